"""Earlier roll-ups: last period's accounts (`--previous`, churn) and figures (rank changes, 趋势).

A roll-up is recognised by the period written inside it — its hidden figures sheet — never by
its file name. The figures sheet holds every number a later roll-up shows of it (department
figures, each rep's total, rank and points, the settings used), each as JSON text so it reads
back exactly. Roll-ups written before the figures sheet existed are recognised by the period in
their 总览 title; they give accounts for churn but no figures.
"""

from functools import partial
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ... import parsing
from ... import rollup_schema as rs
from ...errors import KamxlError, PeriodError, UnreadableWorkbook
from ...messages import render
from ...rules.periods import Period, parse_period
from ...schema import Column, Sheet
from ..outputs.atomic import is_temporary
from .excel_file import ROLLUP_LIMITS, open_sheets_of, sheet_rows, workbook_sheet_names
from ..machinery.isolation import Crashed, run_isolated
from ...rollup_model import RollupFigures, figures_from_rows
from ...rows import check_rows


FIGURES_SHEET = rs.FIGURES_SHEET  # hidden; written by io/outputs/rollup_writer.py
HISTORY_PERIODS = 12  # 趋势 shows up to this many periods, this one included
_SUFFIXES = (".xlsx", ".xlsm")


def _title_period(title: str) -> str | None:
    """The period written after 总览's title (大客户部月度汇总 2026-10), else None."""
    match = re.match(rf"{re.escape(rs.TITLE)}\s*(\S+)", title)
    return match.group(1) if match else None


def _previous_spec() -> Sheet:
    """The columns of 客户总表 that churn needs, under the labels the writer gives them."""
    table = rs.CUSTOMER_TABLE
    return Sheet("previous_customers", rs.CUSTOMER_SHEET, tuple(
        Column(key, table.label(key), required=key in ("rep", "customer_id"))
        for key in ("rep", "customer_id", "name", "stage")))


class PreviousRollupError(KamxlError):
    "The file named as last period's roll-up is not one, or is not of an earlier period"


@dataclass(frozen=True)
class PreviousAccount:
    rep: str
    customer_id: str
    stage: str | None


def _errors_returned(func, path: Path):
    """`func(path)`, its KamxlError returned rather than raised (to be raised again outside the worker)."""
    try:
        return func(path)
    except KamxlError as exc:
        return exc


def _isolated(func, path):
    """`func(path)` in a worker process; a worker's death or overrun is an UnreadableWorkbook of that file."""
    [result] = run_isolated(partial(_errors_returned, func), [path], workers=1, limits=ROLLUP_LIMITS)
    if isinstance(result, Crashed):
        raise UnreadableWorkbook(path, result.code, **dict(result.params))
    if isinstance(result, BaseException):
        raise result
    return result


def read_rollup_figures(path: str | Path) -> RollupFigures | None:
    """The period and figures of a kamxl roll-up; None when the file is not one (UnreadableWorkbook if unopenable)."""
    return _isolated(_read_rollup_figures, Path(path))


def _open_for(path: Path, sheets: set[str]):
    """A roll-up opened to read `sheets` only, from its file (in a capped worker: see `open_sheets_of`)."""
    return open_sheets_of(path, sheets, ROLLUP_LIMITS)


def _rows(book, sheet: str, path: Path):
    return sheet_rows(book, sheet, path, ROLLUP_LIMITS.cells)


def _read_rollup_figures(path: Path) -> RollupFigures | None:
    book = _open_for(path, {rs.FIGURES_SHEET, rs.OVERVIEW})
    try:
        names = set(book.sheet_names)
        if rs.FIGURES_SHEET in names:
            return figures_from_rows(path, _rows(book, rs.FIGURES_SHEET, path)[0])
        if {rs.OVERVIEW, rs.CUSTOMER_SHEET} <= names:  # written before the figures sheet: the title names the period
            rows, _ = _rows(book, rs.OVERVIEW, path)
            title = str(rows[0][0]) if rows and rows[0] else ""
            if label := _title_period(title):
                try:
                    return RollupFigures(path, parse_period(label))
                except PeriodError:
                    return None
        return None
    finally:
        book.close()


def checked_previous(path: str | Path, period: Period) -> RollupFigures:
    """The roll-up named by --previous: it must be a kamxl roll-up of an earlier period."""
    try:
        figures = read_rollup_figures(path)
    except UnreadableWorkbook as exc:
        raise PreviousRollupError(str(exc)) from exc
    if figures is None:
        raise PreviousRollupError(render("not_a_rollup", path=Path(path).name))
    if figures.period.start >= period.start or figures.period.end >= period.end:
        raise PreviousRollupError(render("previous_not_earlier", path=Path(path).name, found=figures.period.label,
                                         period=period.label))
    return figures


def find_rollups(places: Iterable, exclude: Iterable = ()) -> list[RollupFigures]:
    """Every kamxl roll-up among the files and folders given (folders not recursed); unreadable files passed over."""
    seen = {Path(p).resolve() for p in exclude}
    candidates: list[Path] = []
    for place in places:
        place = Path(place)
        files = sorted(place.iterdir()) if place.is_dir() else [place]
        for p in files:
            if (p.suffix.lower() in _SUFFIXES and not p.name.startswith("~$") and not is_temporary(p) and p.is_file()
                    and p.resolve() not in seen):
                seen.add(p.resolve())
                candidates.append(p)
    # cheap: only workbook.xml is read, no cell is loaded unless the file looks like a roll-up
    likely = [p for p in candidates if rs.FIGURES_SHEET in (names := set(workbook_sheet_names(p)))
              or {rs.OVERVIEW, rs.CUSTOMER_SHEET} <= names]
    results = run_isolated(partial(_errors_returned, _read_rollup_figures), likely, workers=min(2, len(likely)) or 1,
                           limits=ROLLUP_LIMITS)
    return [r for r in results if isinstance(r, RollupFigures)]  # unreadable ones are passed over


def _newest_per_period(rollups: Iterable[RollupFigures]) -> dict[Period, RollupFigures]:
    """One roll-up per period: of two of the same period, the one written last."""
    out: dict[Period, RollupFigures] = {}
    for r in sorted(rollups, key=lambda r: os.stat(r.path).st_mtime):
        out[r.period] = r
    return out


def last_periods_rollup(rollups: Iterable[RollupFigures], period: Period) -> RollupFigures | None:
    """The roll-up of the period just before `period`, if one was found."""
    return _newest_per_period(rollups).get(period.previous())


def history(rollups: Iterable[RollupFigures], period: Period, limit: int = HISTORY_PERIODS - 1) -> list[RollupFigures]:
    """The latest `limit` earlier roll-ups of the same kind of period (month, quarter, year), oldest first."""
    earlier = [r for p, r in _newest_per_period(rollups).items() if p.kind == period.kind and p.end < period.start]
    return sorted(earlier, key=lambda r: r.period.start)[-limit:] if limit > 0 else []


def read_previous_accounts(path: str | Path) -> list[PreviousAccount]:
    """The accounts of a previous roll-up's 客户总表 (UnreadableWorkbook if it cannot be opened)."""
    return _isolated(_read_previous_accounts, Path(path))


def _read_previous_accounts(path: Path) -> list[PreviousAccount]:
    book = _open_for(path, {rs.CUSTOMER_SHEET})
    try:
        if rs.CUSTOMER_SHEET not in book.sheet_names:
            raise PreviousRollupError(render("not_a_rollup", path=Path(path).name))
        rows, first = _rows(book, rs.CUSTOMER_SHEET, path)
    finally:
        book.close()
    frame = check_rows(_previous_spec(), rows, first, Path(path).name).frame
    return [PreviousAccount(rep, cid, parsing.clean_text(stage))
            for rep, cid, stage in zip(frame["rep"], frame["customer_id"], frame["stage"])]
