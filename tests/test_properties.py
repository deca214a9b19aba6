"""Property tests of the parsers and rules: valid values round-trip, anything else fails cleanly,
points stay in range, grades move the right way, visit dates never overflow.

Expected values come from the contract's formats and the handbook's rules, not from the code.
A property that the code once broke carries its minimal
failing example as an explicit @example, so it fails every run until the bug is fixed.
"""

import math
from datetime import date, datetime, timedelta
from decimal import Decimal

import pydantic
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from kamxl import parsing
from kamxl.rules.grading import customer_grade, grade_by_share, value_score
from kamxl.rules.kpi import kpi_points, scorecard
from kamxl.rules.visits import is_overdue, next_visit_due
from kamxl.schema import FACTORS, KPIS
from kamxl.settings import DEFAULTS, Settings

pytestmark = pytest.mark.slow  # hundreds of generated examples per property; tests/rules/ holds the rule tables

PROPERTY = settings(max_examples=200, deadline=None, database=None)  # no example database left in the worktree

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# anything a cell may hold, as openpyxl or calamine hands it over
ANY_CELL = st.one_of(
    st.none(), st.booleans(), st.text(max_size=60), st.integers(-10**30, 10**30), st.floats(),
    st.dates(), st.datetimes(), st.text(alphabet="0123456789.,-+eE万元亿￥ ", max_size=420),
)


def _clean(parsed) -> None:
    """A parse result is a Parsed whose value, if a number, is finite."""
    assert isinstance(parsed, parsing.Parsed)
    if isinstance(parsed.value, float):
        assert math.isfinite(parsed.value), parsed
    if parsed.problem is not None:
        from kamxl.messages import MESSAGES

        assert parsed.problem in MESSAGES


# ---------------------------------------------------------------- amounts


CENTS = st.integers(0, 10**13)  # up to 100 billion 元, to the fen


@PROPERTY
@given(CENTS, st.sampled_from(["number", "plain", "commas", "yuan_sign", "yuan_suffix", "full_width", "rmb"]))
def test_an_amount_written_any_allowed_way_reads_back(cents, style):
    value = Decimal(cents) / 100
    text = {
        "number": float(value),
        "plain": f"{value:.2f}",
        "commas": f"{value:,.2f}",
        "yuan_sign": f"￥{value:,.2f}",
        "yuan_suffix": f"{value:,.2f}元",
        "full_width": f"{value:.2f}".translate(FULL_WIDTH),
        "rmb": f"RMB {value:,.2f}",
    }[style]
    parsed = parsing.parse_amount(text, "元")
    assert parsed.ok, (text, parsed)
    assert parsed.value == pytest.approx(float(value), rel=1e-12, abs=1e-6)


@PROPERTY
@given(st.integers(0, 10**9).map(lambda n: Decimal(n) / 100))
def test_an_amount_in_wan_reads_back_in_yuan_and_in_wan(wan):
    # contract: a written unit wins over the column's; 12.5万 in a 元 column is 125,000; in a 万元 column 12.5
    assert parsing.parse_amount(f"{wan}万", "元").value == pytest.approx(float(wan * 10000), rel=1e-12, abs=1e-6)
    assert parsing.parse_amount(f"{wan}万", "万元").value == pytest.approx(float(wan), rel=1e-12, abs=1e-6)
    assert parsing.parse_amount(f"{wan * 10000}元", "万元").value == pytest.approx(float(wan), rel=1e-12, abs=1e-6)


@PROPERTY
@given(ANY_CELL, st.sampled_from(["元", "万元", None]))
@example(float("nan"), "元")
@example(float("inf"), "元")
@example("9" * 400, "元")
def test_any_cell_gives_an_amount_or_a_problem_never_nan_or_inf(raw, unit):
    _clean(parsing.parse_amount(raw, unit))


@pytest.mark.parametrize("parse, kind", [
    (parsing.parse_integer, int), (parsing.parse_date, date), (parsing.parse_phone, str), (parsing.parse_mobile, str),
    (parsing.parse_email, str), (parsing.parse_yes_no, bool), (parsing.parse_factor, int), (parsing.parse_text, str),
    (parsing.parse_credit_code, str),
])
@PROPERTY
@given(raw=ANY_CELL)
def test_any_cell_gives_a_value_of_its_type_or_a_problem(parse, kind, raw):
    parsed = parse(raw)
    _clean(parsed)
    assert parsed.value is None or isinstance(parsed.value, kind), parsed


# ---------------------------------------------------------------- dates

CONTRACT_DATES = st.dates(date(1901, 1, 1), date(2199, 12, 31))  # the serials Excel's 1900 system maps one-to-one


@PROPERTY
@given(CONTRACT_DATES, st.sampled_from(["date", "datetime", "iso", "slashes", "dots", "chinese", "compact", "serial",
                                        "serial_text", "full_width"]))
def test_a_date_written_any_allowed_way_reads_back(day, style):
    serial = (day - date(1899, 12, 30)).days  # Excel's serial: 1900-03-01 is 61, the leap-year bug absorbed
    raw = {
        "date": day, "datetime": datetime(day.year, day.month, day.day, 9, 30), "iso": day.isoformat(),
        "slashes": f"{day.year}/{day.month}/{day.day}", "dots": f"{day.year}.{day.month}.{day.day}",
        "chinese": f"{day.year}年{day.month}月{day.day}日", "compact": day.strftime("%Y%m%d"), "serial": float(serial),
        "serial_text": str(serial), "full_width": day.isoformat().translate(FULL_WIDTH),
    }[style]
    assert parsing.parse_date(raw) == parsing.Parsed(day), raw


# ---------------------------------------------------------------- phones and mobiles

MOBILES = st.tuples(st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9)).map(lambda t: "1" + t[0] + t[1])


@PROPERTY
@given(MOBILES, st.sampled_from(["plain", "spaced", "dashed", "plus86", "0086", "full_width", "number"]))
def test_a_mobile_written_any_usual_way_reads_back_as_11_digits(mobile, style):
    raw = {
        "plain": mobile, "spaced": f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}", "dashed": f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        "plus86": f"+86 {mobile}", "0086": f"0086{mobile}", "full_width": mobile.translate(FULL_WIDTH), "number": int(mobile),
    }[style]
    assert parsing.parse_mobile(raw) == parsing.Parsed(mobile), raw
    assert parsing.parse_phone(raw) == parsing.Parsed(mobile), raw


LANDLINES = st.tuples(st.text("0123456789", min_size=2, max_size=3), st.text("123456789", min_size=1, max_size=1),
                      st.text("0123456789", min_size=6, max_size=7)).map(lambda t: f"0{t[0]}-{t[1]}{t[2]}")


@PROPERTY
@given(LANDLINES)
def test_a_landline_reads_back_as_written(landline):
    assert parsing.parse_phone(landline) == parsing.Parsed(landline)
    assert parsing.parse_phone(f" {landline} ") == parsing.Parsed(landline)


# ---------------------------------------------------------------- credit codes

CODE_CHARS = parsing.CREDIT_CHARS
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # GB 32100-2015: 3^i mod 31


def check_char(first17: str) -> str:
    """The check character by the standard's own formula, written here independently of the code under test."""
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(first17, WEIGHTS))
    return CODE_CHARS[(31 - total % 31) % 31]


CODES = st.text(CODE_CHARS, min_size=17, max_size=17).map(lambda s: s + check_char(s))


def test_the_weights_are_the_powers_of_3_modulo_31():
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))
    assert check_char("91350100M000100Y4") == "3"  # a code published with the standard's examples: 91350100M000100Y43


@PROPERTY
@given(CODES, st.sampled_from(["plain", "lower", "spaced", "dashed", "full_width"]))
def test_a_valid_credit_code_reads_back(code, style):
    raw = {"plain": code, "lower": code.lower(), "spaced": f"{code[:6]} {code[6:12]} {code[12:]}",
           "dashed": f"{code[:8]}-{code[8:]}", "full_width": code.translate(FULL_WIDTH)}[style]
    assert parsing.parse_credit_code(raw) == parsing.Parsed(code), raw


@PROPERTY
@given(CODES, st.integers(0, 17), st.sampled_from(CODE_CHARS))
def test_any_single_wrong_character_is_caught(code, position, char):
    assume(code[position] != char)
    wrong = code[:position] + char + code[position + 1:]
    assert parsing.parse_credit_code(wrong).problem == "bad_credit_check"


# ---------------------------------------------------------------- KPI points

HUGE_AND_TINY = st.one_of(
    st.floats(min_value=0, max_value=1e308, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1e-300, 5e-324, 1e-6, 1e30, 1e300, 1.7976931348623157e308]),
    st.integers(0, 10**12).map(float),
)


@PROPERTY
@given(st.sampled_from([k.key for k in KPIS]), HUGE_AND_TINY)
def test_kpi_points_stay_between_0_and_the_kpi_weight(key, value):
    weight = getattr(DEFAULTS, f"points_{key}")
    points = kpi_points(key, value, DEFAULTS)
    assert points is not None and 0 <= points <= weight


@PROPERTY
@given(st.sampled_from(["sales", "collection", "development", "settlement", "expense"]), HUGE_AND_TINY, HUGE_AND_TINY)
@example("sales", 1e30, 60.0)
@example("sales", 57.0, 1e-300)
def test_a_scorecard_from_any_actual_and_plan_stays_within_its_weights(kpi, actual, plan):
    keys = {"sales": ("sales_actual", "sales_plan"), "collection": ("collection_actual", "collection_due"),
            "development": ("development_actual", "development_plan"),
            "settlement": ("settlement_actual", "settlement_plan"), "expense": ("expense_actual", "expense_budget")}[kpi]
    card = scorecard(dict(zip(keys, (actual, plan))), None, None, DEFAULTS)
    for k in KPIS:
        p = card.points[k.key]
        assert p is None or 0 <= p <= getattr(DEFAULTS, f"points_{k.key}")
    assert card.total is None or 0 <= card.total <= 100


@PROPERTY
@given(st.sampled_from([k for k in KPIS if k.ratio]), HUGE_AND_TINY, HUGE_AND_TINY)
def test_a_better_kpi_value_never_earns_fewer_points(kpi, a, b):
    low, high = sorted((a, b))
    worse, better = (low, high) if kpi.higher_is_better else (high, low)
    assert kpi_points(kpi.key, better, DEFAULTS) >= kpi_points(kpi.key, worse, DEFAULTS)


# ---------------------------------------------------------------- grades

GRADE_RANK = {"A": 4, "B": 3, "C": 2, "D": 1}
RATINGS = st.fixed_dictionaries({key: st.integers(1, 5) for key, _label, _inverse in FACTORS})


@st.composite
def grading_settings(draw):
    """Settings the 参数 sheet may hold: any factor weights ≥ 0, thresholds A ≥ B ≥ C within 0–100."""
    weights = {f"weight_{key}": draw(st.floats(0, 10)) for key, _l, _i in FACTORS}
    c, b, a = sorted(draw(st.floats(0, 100)) for _ in range(3))
    return Settings(**weights, grade_a=a, grade_b=b, grade_c=c)


@PROPERTY
@given(RATINGS, st.sampled_from(FACTORS), st.one_of(st.just(DEFAULTS), grading_settings()))
def test_a_grade_never_falls_when_a_favourable_factor_improves(ratings, factor, chosen):
    key, _label, inverse = factor
    step = -1 if inverse else 1  # cost, risks, difficulty: lower is better (6 − x)
    improved = {**ratings, key: ratings[key] + step}
    assume(1 <= improved[key] <= 5)
    before = customer_grade(value_score(ratings, chosen), None, None, chosen)
    after = customer_grade(value_score(improved, chosen), None, None, chosen)
    if before in GRADE_RANK:
        assert GRADE_RANK[after] >= GRADE_RANK[before], (ratings, key, before, after)


@PROPERTY
@given(st.floats(0, 1e9), st.floats(0, 1e9), st.floats(1e-3, 1e10))
def test_a_grade_by_share_never_falls_when_annual_purchase_rises(a, b, regional):
    share = Settings(grade_method="share")
    low, high = sorted((a, b))
    assert GRADE_RANK[grade_by_share(high, regional, share)] >= GRADE_RANK[grade_by_share(low, regional, share)]


# ---------------------------------------------------------------- visit cadence

ANY_DATE = st.dates(date(1900, 1, 1), date(9999, 12, 31))  # what a real date cell can hold
CADENCES = st.integers(0, 10**7) | st.sampled_from([0, 30, 60, 90, 3_000_000])


def accepted_date(day: date | None) -> bool:
    """True when the date parser hands the date on to the rules (a date it refuses never reaches them)."""
    return day is None or parsing.parse_date(day).value is not None


@PROPERTY
@given(st.one_of(st.none(), ANY_DATE), st.one_of(st.none(), ANY_DATE), st.sampled_from(["A", "B", "C", "D", "未评级"]),
       ANY_DATE, st.fixed_dictionaries({f"cadence_{g}": CADENCES for g in "abcd"}))
@example(None, date(9999, 12, 31), "A", date(2026, 10, 31), {"cadence_a": 30})
@example(date(2026, 10, 1), None, "A", date(2026, 10, 31), {"cadence_a": 3_000_000})
def test_next_visit_and_overdue_never_raise(last_visit, created_on, grade, at, cadences):
    assume(accepted_date(last_visit) and accepted_date(created_on))
    try:
        chosen = Settings(**cadences)
    except pydantic.ValidationError:
        return  # a cadence the settings refuse is a settings problem (tested there), never reaches the rule
    due = next_visit_due(last_visit, created_on, grade, chosen)
    assert due is None or isinstance(due, date)
    assert is_overdue(last_visit, created_on, grade, at, chosen) in (True, False)


@PROPERTY
@given(ANY_DATE.filter(lambda d: d < date(9000, 1, 1)), st.sampled_from(["A", "B", "C"]), st.integers(0, 3000))
def test_a_customer_is_overdue_exactly_after_its_cadence(since, grade, days_later):
    # domain: overdue when the last visit is older than the grade's cadence at the period end
    cadence = {"A": 30, "B": 60, "C": 90}[grade]
    at = since + timedelta(days=days_later)
    assert is_overdue(since, None, grade, at, DEFAULTS) == (days_later > cadence)


_raw_cell = st.one_of(st.none(), st.text(max_size=4), st.sampled_from([" ", "\x01", "\u3000", "\x01 ", True, 1, 0, 1.0]),
                      st.floats(allow_nan=True), st.dates())


@given(st.data(), st.integers(0, 12))
@settings(max_examples=200, deadline=None)
def test_completeness_by_columns_is_the_row_rule(data, rows):
    """The reader computes 档案完整率 column by column; each row's figure is the scalar rule's on that row."""
    from kamxl.rules.completeness import PROFILE_FIELDS, completeness, completeness_column

    present = data.draw(st.lists(st.sampled_from(PROFILE_FIELDS), unique=True))
    columns = {key: data.draw(st.lists(_raw_cell, min_size=rows, max_size=rows)) for key in present}
    expected = [completeness({key: columns[key][i] for key in present}) for i in range(rows)]
    assert completeness_column(columns, rows) == expected
