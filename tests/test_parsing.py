from datetime import date, datetime

import pytest

from kamxl import parsing
from kamxl.parsing import (normalise_company_name, parse_amount, parse_credit_code, parse_date, parse_email, parse_factor,
                           parse_mobile, parse_phone, parse_yes_no)


@pytest.mark.parametrize("raw, unit, expected", [
    ("12.5万", "元", 125000.0),
    ("12.5万", "万元", 12.5),
    ("1,250,000元", "万元", 125.0),
    ("1,250,000", "元", 1250000.0),
    ("￥300,000", "元", 300000.0),
    ("¥1,250,000.00", "元", 1250000.0),
    ("３５", "万元", 35.0),  # full-width digits, the column's unit applies
    ("１２．５万", "元", 125000.0),
    (35, "万元", 35.0),
    (12.5, "元", 12.5),
    ("1.2千元", "元", 1200.0),
    ("0.5亿", "万元", 5000.0),
    (" 88 ", "元", 88.0),
    (None, "元", None),
    ("", "元", None),
])
def test_amounts_are_read_in_the_column_unit(raw, unit, expected):
    assert parse_amount(raw, unit) == (expected, None, ())


@pytest.mark.parametrize("raw", ["十二万", "12.5万元元", "abc", "1.2.3", True])
def test_unreadable_amounts_are_a_problem(raw):
    assert parse_amount(raw, "元").problem == "bad_amount"


def test_negative_amount_is_a_warning_but_kept():
    assert parse_amount("-5", "元") == (-5.0, "negative_amount", ())


@pytest.mark.parametrize("raw, expected", [
    (date(2026, 10, 3), date(2026, 10, 3)),
    (datetime(2026, 10, 3, 14, 30), date(2026, 10, 3)),
    (46298, date(2026, 10, 3)),  # Excel serial
    (46298.5, date(2026, 10, 3)),
    ("2026/10/3", date(2026, 10, 3)),
    ("2026-10-03", date(2026, 10, 3)),
    ("2026.10.3", date(2026, 10, 3)),
    ("2026年10月3日", date(2026, 10, 3)),
    ("２０２６年１０月３日", date(2026, 10, 3)),
    ("2026-10-03 09:15:00", date(2026, 10, 3)),
    ("20261003", date(2026, 10, 3)),
    ("46298", date(2026, 10, 3)),
])
def test_dates_in_every_written_form(raw, expected):
    assert parse_date(raw) == (expected, None, ())


@pytest.mark.parametrize("raw", ["2026/13/45", "2026-02-30", "下周三", "10/3", 5, True])
def test_bad_dates_are_a_problem(raw):
    assert parse_date(raw).problem == "bad_date"


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    (13800138000.0, "13800138000"),
    ("１３８００１３８０００", "13800138000"),
])
def test_mobile_numbers_are_normalised(raw, expected):
    assert parse_mobile(raw) == (expected, None, ())


@pytest.mark.parametrize("raw", ["1380013800", "12800138000", "010-12345678", "电话"])
def test_bad_mobile_numbers(raw):
    assert parse_mobile(raw).problem == "bad_mobile"


@pytest.mark.parametrize("raw, expected", [
    ("010-12345678", "010-12345678"),
    ("0755-88886666", "0755-88886666"),
    ("0755 8888 6666", "075588886666"),
    ("021-62345678-801", "021-62345678-801"),
    ("138 0013 8000", "13800138000"),
])
def test_phones_accept_mobiles_and_landlines(raw, expected):
    assert parse_phone(raw) == (expected, None, ())


@pytest.mark.parametrize("raw", ["1380013800", "12345", "010-1234"])
def test_bad_phones(raw):
    assert parse_phone(raw).problem == "bad_phone"


@pytest.mark.parametrize("raw, ok", [("li.na@corp.cn", True), ("a+b@qq.com", True), ("li.na@corp", False), ("李娜", False)])
def test_email(raw, ok):
    assert parse_email(raw).ok is ok


@pytest.mark.parametrize("raw, expected", [("是", True), ("否", False), ("Y", True), ("no", False), (True, True), (1, True),
                                           (0.0, False), ("√", True)])
def test_yes_no(raw, expected):
    assert parse_yes_no(raw) == (expected, None, ())


def test_yes_no_rejects_other_words():
    assert parse_yes_no("也许").problem == "bad_yes_no"


@pytest.mark.parametrize("raw, expected", [(1, 1), ("5", 5), (3.0, 3), ("３", 3)])
def test_factor_ratings(raw, expected):
    assert parse_factor(raw) == (expected, None, ())


@pytest.mark.parametrize("raw", [0, 6, 2.5, "高"])
def test_factor_outside_one_to_five(raw):
    assert parse_factor(raw).problem == "bad_factor"


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000100000000R", "911100001000000000"[:17] + "R",
                                  " 91350100m000100y43 "])
def test_valid_credit_codes(code):
    assert parse_credit_code(code).ok
    assert parse_credit_code(code).value == code.strip().upper()


@pytest.mark.parametrize("code, problem, params", [
    ("91350100M000100Y44", "bad_credit_check", (("expected", "3"),)),
    ("91310000MA1FL1234X", "bad_credit_check", (("expected", "Q"),)),
    ("91350100M000100Y4", "bad_credit_length", (("length", 17),)),
    ("91350100M0001O0Y43", "bad_credit_chars", ()),  # the letter O is not allowed
])
def test_invalid_credit_codes(code, problem, params):
    assert parse_credit_code(code)[1:] == (problem, params)


@pytest.mark.parametrize("a, b", [
    ("苏州恒瑞精密机械有限公司", "苏州恒瑞精密机械"),
    ("华为技术（深圳）有限公司", "华为技术(深圳)有限公司"),
    ("中联 重科 股份有限公司", "中联重科"),
    ("ＡＢＣ贸易有限责任公司", "abc贸易"),
])
def test_company_spellings_share_a_key(a, b):
    assert normalise_company_name(a) == normalise_company_name(b)


def test_different_companies_keep_different_keys():
    assert normalise_company_name("苏州恒瑞机械") != normalise_company_name("无锡恒瑞机械")


@pytest.mark.parametrize("raw, expected", [(10020.0, "10020"), ("010020", "010020"), ("  KA-1 ", "KA-1"), ("ＫＡ－１", "KA-1")])
def test_clean_text_keeps_identifiers_as_text(raw, expected):
    assert parsing.clean_text(raw) == expected
