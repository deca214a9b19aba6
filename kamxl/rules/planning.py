"""Next month's visit plan (拜访计划, seed 003 沟通频率): who falls due, spread over the working days."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from .periods import Period

PLANNED_GRADES = ("A", "B", "C")  # D: 暂缓、观察 — no visit required


@dataclass(frozen=True)
class ProposedVisit:
    planned_on: date
    customer_id: str
    grade: str
    due: date


def working_days(month: Period) -> list[date]:
    """Monday to Friday of the period (public holidays are the rep's to move)."""
    days, day = [], month.start
    while day <= month.end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def propose_visits(customers: Iterable[tuple[str, str, date | None]], already_planned: set[str],
                   month: Period) -> list[ProposedVisit]:
    """A visit for every A/B/C customer (id, grade, next visit due) due by the month's end and not yet planned in it.

    Visits are spread evenly: each goes to the first working day on or after its due date (or the month's
    first day, when already overdue) that still has room; a day holds at most ⌈visits ÷ working days⌉.
    """
    due = sorted(((d, g, cid) for cid, g, d in customers
                  if g in PLANNED_GRADES and d is not None and d <= month.end and cid not in already_planned),
                 key=lambda x: (x[0], PLANNED_GRADES.index(x[1]), x[2]))
    days = working_days(month)
    if not due or not days:
        return []
    room = math.ceil(len(due) / len(days))
    load = {d: 0 for d in days}
    plan = []
    for when, grade, cid in due:
        target = max(when, month.start)
        day = next((d for d in days if d >= target and load[d] < room), None)
        if day is None:  # due late in the month and those days are full: the least busy day
            day = min(days, key=lambda d: (load[d], -d.toordinal()))
        load[day] += 1
        plan.append(ProposedVisit(day, cid, grade, when))
    return sorted(plan, key=lambda v: (v.planned_on, v.customer_id))
