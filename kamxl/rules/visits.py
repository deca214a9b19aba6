"""Visit cadence by grade (沟通频率, seed 003) and overdue customers."""

from datetime import date, timedelta

from ..settings import Settings


def cadence_days(grade: str, settings: Settings) -> int | None:
    """Days allowed between visits: A 30, B 60, C 90, D none (defaults); None = no cadence."""
    days = {"A": settings.cadence_a, "B": settings.cadence_b, "C": settings.cadence_c, "D": settings.cadence_d}.get(grade)
    return days or None


def next_visit_due(last_visit: date | None, created_on: date | None, grade: str, settings: Settings) -> date | None:
    """The date the next visit is due: the last visit (or 建档日期 when never visited) plus the cadence."""
    days = cadence_days(grade, settings)
    since = last_visit or created_on
    if days is None or since is None:
        return None
    return since + timedelta(days=days)


def is_overdue(last_visit: date | None, created_on: date | None, grade: str, at: date, settings: Settings) -> bool:
    """True when the last visit (or 建档日期) is older than the grade's cadence on `at` (the period end)."""
    due = next_visit_due(last_visit, created_on, grade, settings)
    return due is not None and at > due
