"""The column forms of the customer rules against the scalar rules (the definition), on generated values."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

from kamxl import parsing
from kamxl.consolidate import _derive_customers
from kamxl.rules import columnar
from kamxl.rules.activity import KEY_ROLES, missing_roles, trip_days, valid_info_rate
from kamxl.rules.grading import customer_grade, grade_by_score, man_qualified, value_score
from kamxl.rules.periods import month
from kamxl.rules.visits import is_overdue, next_visit_due
from kamxl.schema import FACTORS, GRADES, LOST_STAGE, STAGES, UNGRADED
from kamxl.settings import Settings
from tests import scalar_rules

FACTOR_KEYS = [k for k, _, _ in FACTORS]
DAYS = st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2027, 6, 30)))
RATING = st.one_of(st.none(), st.integers(0, 6), st.sampled_from([1.5, 4.75, float("nan")]))
AMOUNT = st.one_of(st.none(), st.just(0.0), st.floats(0, 1e5, allow_nan=False), st.integers(0, 500))
ANSWER = st.sampled_from([True, False, None])


@st.composite
def rule_settings(draw):
    """Settings anywhere within their ranges: thresholds in order, a weight of 0 leaves a factor out."""
    floors = sorted(draw(st.lists(st.floats(0, 100), min_size=3, max_size=3)), reverse=True)
    shares = sorted(draw(st.lists(st.floats(0, 100), min_size=2, max_size=2)), reverse=True)
    values = {"grade_method": draw(st.sampled_from(["value", "share"])),
              "grade_a": floors[0], "grade_b": floors[1], "grade_c": floors[2],
              "share_a": shares[0], "share_b": shares[1],
              "regional_sales": draw(st.one_of(st.just(0.0), st.floats(0.01, 1e8))),
              **{f"cadence_{g.lower()}": draw(st.one_of(st.just(0), st.integers(0, 3650))) for g in GRADES},
              **{f"weight_{k}": draw(st.one_of(st.just(1.0), st.just(0.0), st.floats(0, 100))) for k in FACTOR_KEYS}}
    return Settings(**values)


@pytest.mark.slow
@hyp_settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({k: RATING for k in FACTOR_KEYS}), max_size=12), rule_settings())
def test_value_scores_are_the_scalar_scores(rows, settings):
    expected = [value_score(row, settings) for row in rows]
    scores = columnar.value_scores({k: [row[k] for row in rows] for k in FACTOR_KEYS}, settings) if rows else []
    assert scores == expected
    assert columnar.grades_by_score(scores, settings).tolist() == [grade_by_score(s, settings) for s in expected]


@pytest.mark.slow
@hyp_settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(AMOUNT, st.one_of(st.none(), st.just(0.0), st.floats(0.01, 1e6))), max_size=12),
       st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=12, max_size=12), rule_settings())
def test_grades_by_either_method_are_the_scalar_grades(rows, scores, settings):
    purchases, regional = [a for a, _ in rows], [r for _, r in rows]
    scores = scores[:len(rows)]
    grades = columnar.customer_grades(scores, purchases, regional, settings).tolist()
    assert grades == [customer_grade(s, a, r, settings) for s, a, r in zip(scores, purchases, regional)]


@pytest.mark.slow
@hyp_settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(DAYS, DAYS, st.sampled_from([*GRADES, UNGRADED])), max_size=12),
       st.dates(date(2025, 6, 1), date(2027, 1, 31)), rule_settings())
def test_next_visit_due_and_overdue_are_the_scalar_rules(rows, at, settings):
    last = columnar.ordinals([r[0] for r in rows])
    created = columnar.ordinals([r[1] for r in rows])
    grades = np.array([r[2] for r in rows], dtype=object)
    due = columnar.next_visits_due(last, created, grades, settings)
    assert columnar.dates(due) == [next_visit_due(v, c, g, settings) for v, c, g in rows]
    assert columnar.overdue(due, at).tolist() == [is_overdue(v, c, g, at, settings) for v, c, g in rows]


@pytest.mark.parametrize("last, grade, at, due, late", [
    (date(2026, 10, 1), "A", date(2026, 10, 31), date(2026, 10, 31), False),  # A: 30 days, due on the period end
    (date(2026, 10, 1), "A", date(2026, 11, 1), date(2026, 10, 31), True),
    (date(2026, 8, 31), "C", date(2026, 11, 29), date(2026, 11, 29), False),  # C: 90 days
    (None, "B", date(2026, 10, 31), date(2026, 6, 30), True),  # never visited: 建档日期 2026-05-01 + 60
    (date(2026, 1, 1), "D", date(2026, 10, 31), None, False),  # D: no cadence
])
def test_overdue_on_the_handbook_cadence(last, grade, at, due, late):
    from kamxl.settings import DEFAULTS
    due_days = columnar.next_visits_due(columnar.ordinals([last]), columnar.ordinals([date(2026, 5, 1)]),
                                        np.array([grade], dtype=object), DEFAULTS)
    assert columnar.dates(due_days) == [due]
    assert columnar.overdue(due_days, at).tolist() == [late]


@given(st.lists(st.tuples(ANSWER, ANSWER, ANSWER), max_size=30))
def test_man_is_the_scalar_rule(rows):
    columns = [[r[i] for r in rows] for i in range(3)]
    assert columnar.man_qualified_many(*columns) == [man_qualified(*r) for r in rows]


def test_missing_roles_text_for_every_set_of_roles():
    masks = np.arange(1 << len(KEY_ROLES))
    expected = ["、".join(missing_roles([r for i, r in enumerate(KEY_ROLES) if m >> i & 1])) for m in masks]
    assert columnar.missing_roles_text(masks).tolist() == expected
    assert expected[0] == "决策者、技术把关者、使用者、教练" and expected[-1] == ""  # none known; all four known


@given(st.lists(st.tuples(st.integers(0, 3), st.one_of(st.none(), st.dates(date(2026, 10, 1), date(2026, 10, 6))),
                         st.sampled_from([True, False, None]), st.sampled_from([True, False, None])), max_size=30))
def test_activity_by_group_is_the_scalar_activity(rows):
    group = np.array([g for g, _, _, _ in rows], dtype=np.int64)
    days = columnar.ordinals([d for _, d, _, _ in rows])
    assert columnar.trip_days_by_group(group, days, [t for _, _, t, _ in rows], 4) == \
        [trip_days((d, t) for g, d, t, _ in rows if g == k) for k in range(4)]
    valid = np.bincount(group[np.array([v is True for *_, v in rows], dtype=bool)], minlength=4).tolist()
    assert columnar.valid_info_rates(valid, np.bincount(group, minlength=4).tolist()) == \
        [valid_info_rate([v for g, *_, v in rows if g == k]) for k in range(4)]


CREDIT_CHARS = st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXYabcxyIOSVZ-# ")


@st.composite
def credit_codes(draw):
    """Codes as a reader may hand them on: well-formed with the right or a wrong check character, lower case,
    odd characters or lengths, spaces, blanks, numbers."""
    body = "".join(draw(st.lists(CREDIT_CHARS, min_size=17, max_size=17)))
    try:
        right = parsing.credit_code_check_char(body.upper())
    except KeyError:
        right = "0"
    return draw(st.one_of(st.just(body + right), st.just((body + right).lower()), st.just(body + draw(CREDIT_CHARS)),
                          st.text(CREDIT_CHARS, max_size=20), st.sampled_from([None, "", " ", 12345, 91350100.0])))


@pytest.mark.slow
@hyp_settings(max_examples=300, deadline=None)
@given(st.lists(credit_codes(), max_size=30))
def test_credit_codes_ok_is_the_scalar_check(codes):
    assert columnar.credit_codes_ok(codes).tolist() == [parsing.parse_credit_code(c).ok for c in codes]


def test_credit_codes_ok_by_hand():
    # GB 32100-2015's example code, its check character changed, and a code with a letter the standard leaves out
    codes = ["91350100M000100Y43", "91350100m000100y43", "91350100M000100Y44", "91350100M000100I43", "9135", None]
    assert columnar.credit_codes_ok(codes).tolist() == [True, True, False, False, False, True]


def test_ordinals_round_trip_with_blanks():
    days = [date(2026, 10, 31), None, date(1, 1, 1)]
    assert columnar.dates(columnar.ordinals(days)) == days


# ---------------------------------------------------------------- the whole derivation, columnar against row by row

FILES = ["张伟.xlsx", "李娜.xlsx"]
IDS = ["KA-1", "KA-2", "KA-3", "C-17"]


@st.composite
def team_frames(draw):
    """Customers (unique id per file), visits and contacts of two files, with blanks, 流失 and late 建档日期."""
    keys = draw(st.lists(st.tuples(st.sampled_from(FILES), st.sampled_from(IDS)), unique=True, max_size=8))
    customers = pd.DataFrame({
        "rep": [f[:2] for f, _ in keys], "customer_id": [c for _, c in keys],
        "region": draw(st.lists(st.sampled_from(["华东", "华南", None]), min_size=len(keys), max_size=len(keys))),
        "stage": draw(st.lists(st.sampled_from([*STAGES, LOST_STAGE]), min_size=len(keys), max_size=len(keys))),
        "created_on": draw(st.lists(DAYS, min_size=len(keys), max_size=len(keys))),
        "annual_purchase": draw(st.lists(AMOUNT, min_size=len(keys), max_size=len(keys))),
        **{k: draw(st.lists(ANSWER, min_size=len(keys), max_size=len(keys))) for k in ("man_money", "man_authority", "man_need")},
        **{k: draw(st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=len(keys), max_size=len(keys)))
           for k in FACTOR_KEYS},
        "row": list(range(2, 2 + len(keys))), "file": [f for f, _ in keys]}, dtype=object)
    # visit days around the periods' ends, so that a visit on the last day is drawn often
    visit_days = st.one_of(st.none(), st.dates(date(2026, 9, 25), date(2026, 11, 5)))
    visits = draw(st.lists(st.tuples(st.sampled_from(FILES), st.sampled_from(IDS), visit_days), max_size=20))
    contacts = draw(st.lists(st.tuples(st.sampled_from(FILES), st.sampled_from(IDS),
                                       st.sampled_from([*KEY_ROLES, "采购", None])), max_size=20))
    visits = pd.DataFrame({"file": [v[0] for v in visits], "customer_id": [v[1] for v in visits],
                           "date": [v[2] for v in visits]}, dtype=object)
    contacts = pd.DataFrame({"file": [c[0] for c in contacts], "customer_id": [c[1] for c in contacts],
                             "role": [c[2] for c in contacts]}, dtype=object)
    warnings = {(f, row): "某个警告" for f, row in zip(customers["file"], customers["row"]) if row % 2}
    return customers, visits, contacts, warnings


@pytest.mark.slow
@hyp_settings(max_examples=200, deadline=None)
@given(team_frames(), st.integers(9, 11), rule_settings())
def test_derivation_is_the_scalar_rules_row_by_row(frames, month_no, settings):
    customers, visits, contacts, warnings = frames
    period = month(2026, month_no)
    expected = scalar_rules.customer_figures(customers, visits, contacts, period, settings)
    derived = _derive_customers(customers.copy(), visits, contacts, warnings, period, settings)
    for column in scalar_rules.CUSTOMER_FIGURES:
        assert _plain(derived[column]) == _plain(expected[column]), column
    assert derived["check"].tolist() == [warnings.get(key, "") for key in zip(customers["file"], customers["row"])]


def _plain(column: pd.Series) -> list:
    """The values as Python sees them: a blank is None whether pandas holds it as None or NaN."""
    return [None if isinstance(v, float) and v != v else v for v in column.tolist()]


@pytest.mark.parametrize("method", ["value", "share"])
def test_derivation_by_hand(method):
    """Two reps, one handbook example each: an A account visited in the period, a lost one, a late one."""
    full = {k: 5 for k in FACTOR_KEYS} | {"f_cost": 1, "f_risk": 1, "f_payment_risk": 1, "f_difficulty": 1}  # 100
    customers = pd.DataFrame({
        "rep": ["张伟", "张伟", "李娜"], "customer_id": ["KA-1", "KA-2", "KA-1"], "region": ["华东"] * 3,
        "stage": ["合作", LOST_STAGE, "合作"], "created_on": [date(2026, 1, 5), date(2026, 1, 5), date(2026, 11, 2)],
        "annual_purchase": [30.0, 50.0, 20.0], "man_money": [True, True, None], "man_authority": [True, False, True],
        "man_need": [True, True, True], **{k: [full[k], None, full[k]] for k in FACTOR_KEYS},
        "row": [2, 3, 2], "file": ["张伟.xlsx", "张伟.xlsx", "李娜.xlsx"]}, dtype=object)
    visits = pd.DataFrame({"file": ["张伟.xlsx", "张伟.xlsx", "李娜.xlsx"], "customer_id": ["KA-1", "KA-1", "KA-1"],
                           "date": [date(2026, 8, 30), date(2026, 11, 3), date(2026, 10, 1)]}, dtype=object)
    contacts = pd.DataFrame({"file": ["张伟.xlsx"] * 2, "customer_id": ["KA-1"] * 2, "role": ["决策者", "教练"]}, dtype=object)
    out = _derive_customers(customers, visits, contacts, {}, month(2026, 10), Settings(grade_method=method))
    # share: 30 of 100 (华东's sum) = 30 % → A; 50 % → A; 20 % → A. value: 100 → A, blank → 未评级
    assert out["grade"].tolist() == (["A", "A", "A"] if method == "share" else ["A", UNGRADED, "A"])
    assert out["value_score"].tolist()[0] == 100.0
    # the 11-03 visit is after the period: the last one is 08-30, +30 days = 09-29 < 10-31 → overdue
    assert out["last_visit"].tolist()[0] == date(2026, 8, 30)
    assert out["next_visit_due"].tolist()[0] == date(2026, 9, 29) and out["overdue"].tolist()[0] is True
    # lost, and created after the period end: neither due nor overdue
    assert out["next_visit_due"].tolist()[1:] == [None, None] and out["overdue"].tolist()[1:] == [False, False]
    assert out["man_qualified"].tolist() == [True, False, None]
    assert out["chain_missing"].tolist() == ["技术把关者、使用者", "决策者、技术把关者、使用者、教练",
                                             "决策者、技术把关者、使用者、教练"]
