"""Assessment periods (考核周期 月/季/年): `2026-10`, `2026-Q4`, `2026`."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..errors import PeriodError


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive: the last day of the period
    label: str

    @property
    def kind(self) -> str:
        return "year" if len(self.label) == 4 else "quarter" if "Q" in self.label else "month"

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def covers(self, other: "Period") -> bool:
        return self.start <= other.start and other.end <= self.end

    def previous(self) -> "Period":
        return period_containing(self.start - timedelta(days=1), self.kind)

    def following(self) -> "Period":
        """The period of the same kind right after this one."""
        return period_containing(self.end + timedelta(days=1), self.kind)

    def months(self) -> list["Period"]:
        """The months the period covers, in order (one for a month, three for a quarter)."""
        out = [month(self.start.year, self.start.month)]
        while out[-1].end < self.end:
            out.append(period_containing(out[-1].end + timedelta(days=1), "month"))
        return out

    def __str__(self):
        return self.label


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def month(year: int, month_: int) -> Period:
    return Period(date(year, month_, 1), _month_end(year, month_), f"{year}-{month_:02d}")


def quarter(year: int, q: int) -> Period:
    return Period(date(year, 3 * q - 2, 1), _month_end(year, 3 * q), f"{year}-Q{q}")


def year(year_: int) -> Period:
    return Period(date(year_, 1, 1), date(year_, 12, 31), f"{year_}")


def period_containing(day: date, kind: str) -> Period:
    if kind == "year":
        return year(day.year)
    if kind == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return month(day.year, day.month)


_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?$")
_QUARTER = re.compile(r"^(\d{4})\s*(?:[-/ 年])?\s*(?:Q|第)\s*([1-4])\s*(?:季度?)?$", re.I)
_YEAR = re.compile(r"^(\d{4})\s*年?(?:\.0)?$")


def parse_period(raw) -> Period:
    """A period from `2026-10`, `2026年10月`, `2026-Q4`, `2026Q4`, `2026年第4季度`, `2026`.

    Excel turns a typed `2026-10` into the date 2026-10-01: a first-of-month date is that month.
    """
    try:
        period = _parse_period(raw)
    except (ValueError, OverflowError) as exc:  # a date beyond year 9999
        raise PeriodError(str(raw)) from exc
    if not FIRST_YEAR <= period.start.year <= LAST_YEAR:  # a year typo (9999-12), never a period of the data
        raise PeriodError(str(raw))
    return period


FIRST_YEAR, LAST_YEAR = 1990, 2199


def _parse_period(raw) -> Period:
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        if raw.day != 1:
            raise PeriodError(raw.isoformat())
        return month(raw.year, raw.month)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    if m := _MONTH.match(text):
        if 1 <= int(m.group(2)) <= 12:
            return month(int(m.group(1)), int(m.group(2)))
    elif m := _QUARTER.match(text):
        return quarter(int(m.group(1)), int(m.group(2)))
    elif m := _YEAR.match(text):
        return year(int(m.group(1)))
    raise PeriodError(text)


RANGE_SEPARATOR = ".."
MAX_RANGE = 120  # periods one command writes: ten years of months


def is_period_range(raw) -> bool:
    return isinstance(raw, str) and RANGE_SEPARATOR in raw


def parse_period_range(raw: str) -> list[Period]:
    """`2025-11..2026-10` → every period from the first to the last, of the same kind (month, quarter, year)."""
    first_text, _, last_text = str(raw).partition(RANGE_SEPARATOR)
    first, last = parse_period(first_text), parse_period(last_text)
    if first.kind != last.kind or last.start < first.start:
        raise PeriodError(str(raw))
    periods = [first]
    while periods[-1] != last:
        if len(periods) >= MAX_RANGE:
            raise PeriodError(str(raw))
        periods.append(period_containing(periods[-1].end + timedelta(days=1), first.kind))
    return periods
