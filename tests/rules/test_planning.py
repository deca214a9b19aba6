"""Next month's visit proposal: who is due (cadence by grade), spread over the working days."""

from datetime import date

import pytest

from kamxl.rules.periods import month
from kamxl.rules.planning import propose_visits, working_days

NOV = month(2026, 11)  # 1 Nov 2026 is a Sunday: 21 working days, the first Mon 2 Nov


def test_working_days_of_november_2026():
    days = working_days(NOV)
    assert len(days) == 21 and days[0] == date(2026, 11, 2) and days[-1] == date(2026, 11, 30)
    assert date(2026, 11, 14) not in days  # a Saturday


@pytest.mark.parametrize("customer, planned_on", [
    (("A1", "A", date(2026, 11, 10)), date(2026, 11, 10)),  # due on a Tuesday: that day
    (("A3", "A", date(2026, 11, 14)), date(2026, 11, 16)),  # due on a Saturday: the Monday after
    (("B1", "B", date(2026, 10, 1)), date(2026, 11, 2)),  # overdue: the first working day
    (("C1", "C", date(2026, 11, 30)), date(2026, 11, 30)),
    (("C2", "C", date(2026, 12, 1)), None),  # due the month after
    (("D1", "D", date(2026, 11, 5)), None),  # D: no visit required
    (("X1", "未评级", date(2026, 11, 5)), None),
    (("A2", "A", None), None),  # no due date (lost, or nothing to count from)
])
def test_who_is_proposed_and_when(customer, planned_on):
    proposal = propose_visits([customer], set(), NOV)
    assert [v.planned_on for v in proposal] == ([planned_on] if planned_on else [])


def test_customers_already_planned_that_month_are_skipped():
    assert propose_visits([("A1", "A", date(2026, 11, 10))], {"A1"}, NOV) == []


def test_visits_are_spread_at_most_ceil_n_over_days_a_day():
    overdue = [(f"K{i:02d}", "A", date(2026, 9, 1)) for i in range(30)]
    proposal = propose_visits(overdue, set(), NOV)
    per_day = {}
    for v in proposal:
        per_day[v.planned_on] = per_day.get(v.planned_on, 0) + 1
    assert len(proposal) == 30 and max(per_day.values()) == 2  # ⌈30 / 21⌉
    assert sorted(per_day) == working_days(NOV)[:15]


def test_when_the_last_days_are_full_the_least_busy_day_takes_the_visit():
    proposal = propose_visits([("K1", "A", date(2026, 11, 30)), ("K2", "A", date(2026, 11, 30))], set(), NOV)
    assert [(v.customer_id, v.planned_on) for v in proposal] == [("K2", date(2026, 11, 27)), ("K1", date(2026, 11, 30))]
