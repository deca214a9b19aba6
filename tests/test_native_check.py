"""校验 without Python: the native checks, recalculated by LibreOffice, agree with the Python rules.

Values are written by the template builder into a rep workbook, LibreOffice recalculates it, and each row's
校验 is compared with what parsing.py's parsers (and rows.check_rows) say of the same values. Where the native
check deliberately covers less (phone patterns, amounts Excel coerces, such as 1e5), it must flag a subset.
"""

from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamxl import parsing
from kamxl.schema import CONTACTS, CUSTOMERS, DAILY_REPORT, INDUSTRIES, VISIT_PLAN
from kamxl.native_check import CHECK_SEPARATOR, native_check_formula, native_checks
from kamxl.io.inputs.reader import read_rep_workbook
from kamxl.templates import build_rep_workbook
from tests.test_libreoffice import SOFFICE, recalculate

libreoffice = [pytest.mark.libreoffice, pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")]
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def _customer(i: int, **values) -> dict:
    return {"customer_id": f"KA-{i:03d}", "name": f"客户{i}", "industry": "制造", "stage": "合作",
            "created_on": date(2026, 1, 5), **values}


def _calculated(tmp_path, data: dict) -> dict[str, list[set[str]]]:
    """Sheet name → the messages of each body row's 校验, after LibreOffice recalculated the workbook."""
    path = build_rep_workbook(tmp_path / "rep.xlsx", "张三", data)
    converted = recalculate([path], tmp_path / "out", tmp_path)[0]
    wb = openpyxl.load_workbook(converted, data_only=True)
    out = {}
    for sheet in (CUSTOMERS, CONTACTS, VISIT_PLAN, DAILY_REPORT):
        ws = wb[sheet.name]
        header = [c.value for c in ws[1]]
        at = header.index("校验")
        out[sheet.name] = [set(filter(None, (r[at] or "").split(CHECK_SEPARATOR)))
                           for r in ws.iter_rows(min_row=2, values_only=True)]
    return out


def test_every_formula_is_generated_from_the_schema_and_parsing(tmp_path):
    formula = native_check_formula(CUSTOMERS)
    # the constants stand in workbook-level names the formula reads (a formula holding {…} cannot be shared)
    assert "{" not in formula and "kam_credit_weights" in formula and "kam_list_industry" in formula
    names = openpyxl.load_workbook(build_rep_workbook(tmp_path / "rep.xlsx")).defined_names
    assert names["kam_credit_weights"].attr_text == "{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}"  # GB 32100-2015
    assert parsing.CREDIT_CHARS in formula
    assert names["kam_list_industry"].attr_text == '{"","' + '","'.join(INDUSTRIES) + '"}'
    assert names["kam_python_checks"].attr_text == "_kamxl!$A:$A"
    messages = [m for _, m, _ in native_checks(CUSTOMERS)]
    assert [m for m in messages if m.endswith("必填")] == [f"{c.label}必填" for c in CUSTOMERS.required]
    for banned in ("TEXTJOIN", "LET(", "LAMBDA", "FILTER(", "_xlfn"):
        for sheet in (CUSTOMERS, CONTACTS, VISIT_PLAN, DAILY_REPORT):
            assert banned not in native_check_formula(sheet)
    assert len("=" + formula) < 8192  # Excel's limit of a formula's length


PLANTED = [  # (field values of one customer row, the messages its 校验 must show)
    ({}, set()),
    ({"name": None}, {"客户名称必填"}),
    ({"customer_id": "KA-001"}, {"客户编号重复"}),
    ({"created_on": "2026/13/45"}, {"建档日期不是日期"}),
    ({"created_on": 12}, {"建档日期不是日期"}),
    ({"phone": "1380013800"}, {"电话无效"}),
    ({"phone": "010-1234abcd"}, {"电话无效"}),
    ({"credit_code": "91350100M000100Y4"}, {"统一社会信用代码应为18位"}),
    ({"credit_code": "91350100M000100Y4O"}, {"统一社会信用代码含无效字符"}),
    ({"credit_code": "91350100M000100Y44"}, {"统一社会信用代码校验位错误"}),
    ({"industry": "汽车"}, {"行业不在列表中"}),
    ({"man_money": "也许"}, {"预算不在列表中"}),
    ({"annual_purchase": "十二万"}, {"年采购额(万元)不是金额"}),
    ({"annual_purchase": -3}, {"年采购额(万元)为负数"}),
    ({"name": None, "phone": "12"}, {"客户名称必填", "电话无效"}),
    # what the Python rules accept, the native check accepts too
    ({"phone": "０１０－１２３４５６７８", "credit_code": "91350100m000100y43", "created_on": "2026年10月3日",
      "annual_purchase": "12.5万", "man_money": "Y"}, set()),
    ({"created_on": "20261003", "annual_purchase": "￥1,250,000元", "phone": "+86 138 0013 8000"}, set()),
    ({"created_on": "45000", "man_money": True}, set()),
]


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_each_planted_mistake_shows_in_its_rows_check_and_a_clean_row_shows_none(tmp_path):
    customers = [_customer(i + 1, **values) for i, (values, _) in enumerate(PLANTED)]
    data = {"customers": customers + [{}],  # and an empty row says nothing
            "contacts": [{"customer_id": "KA-001", "name": "李四", "mobile": "13800138000"},
                         {"customer_id": "KA-999", "name": "王五", "mobile": "1380013800"},
                         {"customer_id": None, "name": None, "mobile": None, "role": "老板"}],
            "visit_plan": [{"planned_on": date(2026, 11, 2), "customer_id": "KA-001", "status": "计划"},
                           {"planned_on": "下周", "customer_id": "KA-999", "status": "完成"}],
            "daily_report": [{"date": date(2026, 10, 8), "customer_id": "KA-002", "result": "交流方案", "expense": "300元"},
                             {"date": None, "customer_id": "KA-002", "result": None, "expense": "三百", "on_trip": "是的"},
                             {"date": date(2026, 10, 9), "customer_id": "KA-999", "result": "交流方案", "expense": 300}]}
    checks = _calculated(tmp_path, data)
    assert checks[CUSTOMERS.name][:len(PLANTED) + 1] == [messages for _, messages in PLANTED] + [set()]
    assert checks[CONTACTS.name][:3] == [set(), {"客户编号不在客户档案中", "手机无效"},
                                     {"客户编号必填", "姓名必填", "角色不在列表中"}]
    assert checks[VISIT_PLAN.name][:2] == [set(), {"计划日期不是日期", "客户编号不在客户档案中", "状态不在列表中"}]
    assert checks[DAILY_REPORT.name][:3] == [set(), {"日期必填", "拜访结果必填", "费用(元)不是金额", "出差不在列表中"},
                                         {"客户编号不在客户档案中"}]


# --- generated values: each native check against its Python parser ------------------------------------------
def _full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


def _spaced(values):
    return st.tuples(values, st.sampled_from(["", " ", "  "]), st.booleans()).map(
        lambda t: (t[1] + (_full_width(t[0]) if t[2] else t[0]) + t[1]) if isinstance(t[0], str) else t[0])


def _number_once_units_dropped(raw) -> bool:
    """What the native amount check reads: noise and every unit word dropped anywhere, then a number."""
    text = (parsing.clean_text(raw) or "").upper().replace(" ", "")
    for word in parsing.AMOUNT_NOISE + tuple(sorted(parsing.AMOUNT_UNITS, key=len, reverse=True)):
        text = text.replace(word, "")
    try:
        float(text)
    except ValueError:
        return False
    return True


def _valid_credit_code(first17: str) -> str:
    return first17 + parsing.credit_code_check_char(first17)


digits = st.text("0123456789", min_size=1, max_size=14)
DATES = st.one_of(
    st.dates(date(1850, 1, 1), date(2250, 12, 31)).map(lambda d: datetime(d.year, d.month, d.day)
                                                      if 1900 <= d.year <= 9999 else d.isoformat()),
    st.integers(-5, 130_000), st.floats(0, 120_000, allow_nan=False).map(lambda x: round(x, 2)),
    st.tuples(st.integers(1890, 2210), st.integers(0, 14), st.integers(0, 33), st.sampled_from(["-", "/", ".", "年"])).map(
        lambda t: f"{t[0]}年{t[1]}月{t[2]}日" if t[3] == "年" else f"{t[0]}{t[3]}{t[1]}{t[3]}{t[2]}"),
    st.dates(date(1990, 1, 1), date(2100, 1, 1)).map(lambda d: d.strftime("%Y%m%d")),
    st.integers(367, 109_573).map(str), st.sampled_from(["下周", "明天", "2026-10", "abc", "2026-02-30", "12月3日"]),
)
PHONES = st.one_of(
    st.tuples(st.sampled_from(["", "+86 ", "0086", "86"]), st.sampled_from("0123456789"), digits).map(lambda t: t[0] + t[1] + t[2]),
    st.tuples(st.sampled_from(["010", "0755", "021"]), st.sampled_from(["-", " ", ""]), digits).map(lambda t: "".join(t)),
    st.tuples(st.integers(10, 19), st.integers(0, 99_999_999_999)).map(lambda t: f"{t[0]}{t[1]:09d}"[:11] if t[1] < 10**9 else f"{t[0]}{t[1]}"),
    st.sampled_from(["138 0013 8000", "138-0013-8000", "(010)12345678", "电话", "13800138000转1"]),
)
CREDIT_CODES = st.one_of(
    st.text(parsing.CREDIT_CHARS, min_size=17, max_size=17).map(_valid_credit_code),
    st.text(parsing.CREDIT_CHARS, min_size=17, max_size=17).map(lambda s: _valid_credit_code(s).lower()),
    st.text(parsing.CREDIT_CHARS + "IOSVZ-", min_size=15, max_size=20),
    st.text(parsing.CREDIT_CHARS, min_size=17, max_size=17).map(lambda s: _valid_credit_code(s)[:9] + " " + _valid_credit_code(s)[9:]),
)
AMOUNTS = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 2)),
    st.tuples(st.decimals(-10_000, 10_000, places=2).map(str), st.sampled_from(["", "万", "元", "万元", "千元", "亿"]),
              st.sampled_from(["", "￥", "RMB "])).map(lambda t: t[2] + t[0] + t[1]),
    st.integers(0, 10**9).map(lambda n: f"{n:,}元"),
    st.sampled_from(["十二万", "12.5.3", "abc", "12万万元", "约10万", "1e5"]),
)
CHOICES = st.one_of(st.sampled_from(INDUSTRIES), st.sampled_from(["汽车", "制造业", "其它", "金 融"]))
YES_NO = st.one_of(st.sampled_from(parsing.YES_NO_WORDS), st.sampled_from(["YES", "True", "N", "也许", "是的", "2"]), st.booleans())


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(_spaced(DATES), _spaced(PHONES), _spaced(PHONES), _spaced(CREDIT_CODES), _spaced(AMOUNTS),
                          CHOICES, YES_NO), min_size=40, max_size=40))
def test_native_checks_agree_with_the_python_parsers(tmp_path_factory, values):
    tmp_path = tmp_path_factory.mktemp("native")
    customers = [_customer(i + 1, created_on=d, phone=p, credit_code=c, annual_purchase=a, industry=ind, man_money=yn)
                 for i, (d, p, _, c, a, ind, yn) in enumerate(values)]
    contacts = [{"customer_id": "KA-001", "name": "李四", "mobile": m} for _, _, m, *_ in values]
    checks = _calculated(tmp_path, {"customers": customers, "contacts": contacts})
    label = {c.key: c.label for c in CUSTOMERS.columns}
    for row, (record, native) in enumerate(zip(customers, checks[CUSTOMERS.name])):
        def flags(key, *kinds):
            return {m for m in native if m.startswith(label[key]) and any(m.endswith(k) for k in kinds)}

        where = f"row {row + 2}: {record}"
        date_problem = parsing.parse_date(record["created_on"]).problem
        assert bool(flags("created_on", "不是日期")) == (date_problem is not None), where
        credit = parsing.parse_credit_code(record["credit_code"]).problem
        expected = {"bad_credit_length": "应为18位", "bad_credit_chars": "含无效字符", "bad_credit_check": "校验位错误"}
        assert flags("credit_code", *expected.values()) == ({label["credit_code"] + expected[credit]} if credit else set()), where
        assert bool(flags("industry", "不在列表中")) == (parsing.parse_choice(record["industry"], INDUSTRIES).problem is not None), where
        assert bool(flags("man_money", "不在列表中")) == (parsing.parse_yes_no(record["man_money"]).problem is not None), where
        # covered less: numbers Excel reads and Python does not (1e5), units anywhere (12万万元), beyond 1万亿元
        amount = parsing.parse_amount(record["annual_purchase"], "万元").problem
        if flags("annual_purchase", "不是金额"):
            assert amount == "bad_amount", where
        if amount == "bad_amount" and not _number_once_units_dropped(record["annual_purchase"]):
            assert flags("annual_purchase", "不是金额"), where
        assert bool(flags("annual_purchase", "为负数")) == (amount == "negative_amount"), where
        # covered less: the native check reads lengths and leading digits, not every landline pattern
        if flags("phone", "无效"):
            assert parsing.parse_phone(record["phone"]).problem == "bad_phone", where
        assert not native - flags("created_on", "不是日期") - flags("credit_code", *expected.values()) \
            - flags("industry", "不在列表中") - flags("man_money", "不在列表中") - flags("annual_purchase", "不是金额", "为负数") \
            - flags("phone", "无效"), where
    for record, native in zip(contacts, checks[CONTACTS.name]):
        if native:
            assert native == {"手机无效"} and parsing.parse_mobile(record["mobile"]).problem == "bad_mobile", record
        elif parsing.parse_mobile(record["mobile"]).problem:
            # the flags the native check leaves to Python: a number of more than 11 digits after 86 / 0086
            assert len("".join(ch for ch in parsing.clean_text(record["mobile"]) or "" if ch.isdigit())) > 11, record


def test_the_helper_columns_are_no_reps_own_columns(tmp_path):
    """The hidden helper columns (_校验·电话 …) stand in the file, but the reader leaves them out of the rows."""
    path = build_rep_workbook(tmp_path / "rep.xlsx", "张三", {"customers": [_customer(1, phone="010-12345678")],
                                                              "contacts": [{"customer_id": "KA-001", "name": "李四"}]})
    wb = openpyxl.load_workbook(path)
    assert {"_校验·电话", "_校验·建档日期"} <= {c.value for c in wb[CUSTOMERS.name][1]}
    assert "_校验·手机" in {c.value for c in wb[CONTACTS.name][1]}
    book = read_rep_workbook(path)
    assert book.all_problems() == []
    for key in ("customers", "contacts"):
        assert not [k for k in book.sheets[key].data if str(k).startswith("_校验")], key
