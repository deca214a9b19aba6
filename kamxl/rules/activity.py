"""Decision-chain coverage and field activity: what the handbook asks of a rep beyond the KPI sheet."""

from collections.abc import Iterable
from datetime import date

from ..schema import KEY_ROLES  # an A account should have these identified (seed 001)


def missing_roles(roles: Iterable[str | None]) -> list[str]:
    """The key decision-chain roles not yet identified among a customer's contacts, in the handbook's order."""
    present = set(roles)
    return [role for role in KEY_ROLES if role not in present]


def trip_days(visits: Iterable[tuple[date | None, bool | None]]) -> int:
    """Distinct days on a business trip, from (visit date, 出差) pairs."""
    return len({day for day, on_trip in visits if day is not None and on_trip})


def valid_info_rate(flags: list[bool | None]) -> float | None:
    """Visits that logged useful market information ÷ all visits, as a percent; None without visits."""
    return round(sum(1 for f in flags if f is True) / len(flags) * 100, 1) if flags else None
