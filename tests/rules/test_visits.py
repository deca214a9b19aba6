from datetime import date

import pytest

from kamxl.rules.visits import cadence_days, is_overdue, next_visit_due
from kamxl.settings import DEFAULTS, Settings

END = date(2026, 10, 31)


@pytest.mark.parametrize("grade, days", [("A", 30), ("B", 60), ("C", 90), ("D", None), ("未评级", None)])
def test_cadence_by_grade(grade, days):
    assert cadence_days(grade, DEFAULTS) == days


@pytest.mark.parametrize("grade, last, overdue", [
    ("A", date(2026, 10, 1), False),  # exactly 30 days before the period end
    ("A", date(2026, 9, 30), True),  # 31 days
    ("B", date(2026, 9, 1), False),  # exactly 60 days
    ("B", date(2026, 8, 31), True),
    ("C", date(2026, 8, 2), False),  # exactly 90 days
    ("C", date(2026, 8, 1), True),
    ("D", date(2020, 1, 1), False),  # D: no cadence required
])
def test_overdue_at_period_end_30_60_90(grade, last, overdue):
    assert is_overdue(last, date(2020, 1, 1), grade, END, DEFAULTS) is overdue


def test_never_visited_counts_from_the_file_date():
    assert next_visit_due(None, date(2026, 9, 15), "A", DEFAULTS) == date(2026, 10, 15)
    assert is_overdue(None, date(2026, 9, 15), "A", END, DEFAULTS)
    assert not is_overdue(None, date(2026, 10, 15), "A", END, DEFAULTS)


def test_no_dates_no_due_date():
    assert next_visit_due(None, None, "A", DEFAULTS) is None
    assert not is_overdue(None, None, "A", END, DEFAULTS)


def test_cadence_is_a_setting():
    settings = Settings(cadence_a=14, cadence_d=180)
    assert next_visit_due(date(2026, 10, 1), None, "A", settings) == date(2026, 10, 15)
    assert cadence_days("D", settings) == 180
