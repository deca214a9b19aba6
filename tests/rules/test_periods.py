from datetime import date, datetime

import pytest

from kamxl.errors import PeriodError
from kamxl.rules.periods import parse_period


@pytest.mark.parametrize("raw, start, end, label", [
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
    ("2026/2", date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
    ("2026年10月", date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
    ("2026q1", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
    ("2026年第3季度", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026"),
    (2026, date(2026, 1, 1), date(2026, 12, 31), "2026"),
    (2026.0, date(2026, 1, 1), date(2026, 12, 31), "2026"),
    (datetime(2026, 10, 1), date(2026, 10, 1), date(2026, 10, 31), "2026-10"),  # Excel turned 2026-10 into a date
])
def test_periods(raw, start, end, label):
    period = parse_period(raw)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize("raw", ["2026-13", "2026-Q5", "十月", "", None, date(2026, 10, 5)])
def test_bad_periods(raw):
    with pytest.raises(PeriodError):
        parse_period(raw)


def test_period_contains_and_previous():
    q4 = parse_period("2026-Q4")
    assert date(2026, 11, 30) in q4 and date(2027, 1, 1) not in q4
    assert q4.covers(parse_period("2026-10"))
    assert parse_period("2026-01").previous().label == "2025-12"
    assert q4.previous().label == "2026-Q3"


@pytest.mark.parametrize("raw, months", [
    ("2026-10", ["2026-10"]), ("2026-Q4", ["2026-10", "2026-11", "2026-12"]), ("2025-Q1", ["2025-01", "2025-02", "2025-03"]),
    ("2026", [f"2026-{m:02d}" for m in range(1, 13)]),
])
def test_months_of_a_period(raw, months):
    assert [m.label for m in parse_period(raw).months()] == months
