"""A whole consolidation's figures are the scalar rules' figures: every customer, every rep's activity, the duplicates.

kamxl derives the roll-up a column at a time (kamxl/rules/columnar.py); the definition is the scalar rules
the UDFs call (kamxl/rules/). These tests consolidate a generated team through `consolidate` and work the
same figures out row by row from the roll-up's own input columns (tests/scalar_rules.py).
"""

import random
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

from kamxl.consolidate import consolidate, find_duplicates
from kamxl.demo import DemoOptions, credit_code, write_demo_team
from kamxl.settings import Settings
from tests import scalar_rules

TODAY = date(2026, 11, 22)


def _plain(column: pd.Series) -> list:
    """The values as Python sees them: a blank is None whether pandas holds it as None or NaN."""
    return [None if isinstance(v, float) and v != v else v for v in column.tolist()]


def _assert_the_scalar_figures(rollup):
    customers = rollup.customers
    visits, contacts = rollup.daily_report.frame(), rollup.contacts.frame()
    expected = scalar_rules.customer_figures(customers, visits, contacts, rollup.period, rollup.settings)
    for column in scalar_rules.CUSTOMER_FIGURES:
        assert _plain(customers[column]) == _plain(expected[column]), column
    assert {s.rep: s.activity for s in rollup.scores if s.activity["visits"]} == \
        scalar_rules.activity(visits, rollup.period)
    assert rollup.duplicates == scalar_rules.duplicates(customers)


@pytest.mark.parametrize("method", ["value", pytest.param("share", marks=pytest.mark.slow)])
def test_a_small_teams_figures_are_the_scalar_rules(tmp_path, method):
    team = tmp_path / "team"
    write_demo_team(team, DemoOptions(reps=3, customers=40, visits=150, seed=11))
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1, settings=Settings(grade_method=method))
    assert len(rollup.customers) > 100 and rollup.customers["overdue"].any() and rollup.customers["last_visit"].notna().any()
    _assert_the_scalar_figures(rollup)


@pytest.mark.slow
def test_a_larger_teams_quarter_is_the_scalar_rules(tmp_path):
    team = tmp_path / "team"
    write_demo_team(team, DemoOptions(reps=8, customers=200, visits=1000, seed=11))
    rollup = consolidate([team], "2026-Q4", today=TODAY, workers=1)
    assert len(rollup.duplicates) > 2  # the generated team shares companies between reps: the duplicates are compared too
    _assert_the_scalar_figures(rollup)


VALID_CODES = [credit_code(random.Random(seed)) for seed in range(3)]
CODES = st.sampled_from([*VALID_CODES, VALID_CODES[0][:17] + "0", "123", None, ""])  # + a wrong check digit
NAMES = st.sampled_from(["恒瑞精密机械有限公司", "恒瑞精密机械", "恒瑞 精密机械（集团）", "东方化工(苏州)有限公司",
                         "东方化工（苏州）", "华信", None, "有限公司"])


@pytest.mark.slow
@hyp_settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["张伟", "李娜", "王芳"]), CODES, NAMES), max_size=14))
def test_duplicates_are_every_row_linked_by_the_scalar_checks(rows):
    customers = pd.DataFrame({"rep": [r for r, _, _ in rows], "customer_id": [f"KA-{i}" for i in range(len(rows))],
                              "credit_code": [c for _, c, _ in rows], "name": [n for _, _, n in rows]}, dtype=object)
    assert find_duplicates(customers) == scalar_rules.duplicates(customers)
