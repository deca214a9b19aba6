"""Reading a batch of input files in isolation, then settling who is who: names, copies, one workbook a rep.

`validate` and `consolidate` both read through here, so a file that one of them refuses, counts
once or skips is refused, counted once or skipped alike by the other.
"""

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Sequence

from ...errors import SettingsError, UnreadableWorkbook
from ...messages import render
from ...problems import Problem, Severity
from ...schema import KPI_INPUTS
from .files import readable_name
from .excel_file import LIMITS, Limits, inspect, load, workbook_sheet_names
from ..machinery.isolation import Crashed, run_isolated, worker_memory
from .reader import KpiWorkbook, RepWorkbook, read_workbook, roster_files
from ..machinery.spill import spill_sheets


@dataclass
class Failure:
    """A file that was not used: unreadable (`skipped` False) or passed over on purpose (`skipped` True)."""

    path: str
    code: str
    params: tuple = ()
    skipped: bool = False
    sha256: str = ""
    rep: str | None = None
    kpi: bool = False  # a KPI workbook (by --kpi, or its 考核指标 sheet), not a rep's

    def reason(self, lang: str | None = None) -> str:
        return render(self.code, lang=lang, **dict(self.params))

    def problem(self) -> Problem:
        return Problem(readable_name(self.path), None, None, None, None, self.code, Severity.FAILED, self.params)

    def warning(self) -> Problem | None:
        """A file passed over that the director should hear of (a rep's second workbook; `--strict` fails on it)."""
        if self.code != "duplicate_rep":
            return None
        return Problem(readable_name(self.path), None, None, None, None, self.code, Severity.WARNING, self.params)


Outcome = RepWorkbook | KpiWorkbook | Failure


def _read_job(job) -> Outcome:
    path, kind, today, limits, spill, index = job
    try:
        result = read_workbook(path, kind, today, limits)
        if isinstance(result, RepWorkbook) and (why := result.unusable()) is not None:
            return unusable_failure(result, why)
        if spill is not None and isinstance(result, RepWorkbook):
            spill_sheets(result.sheets, spill, index)
        return result
    except UnreadableWorkbook as exc:
        failure = Failure(str(path), exc.code, exc.params, exc.skipped)
    except SettingsError as exc:
        failure = Failure(str(path), "settings_error", (("detail", str(exc)),))
    return _identified(failure, kind, limits)


def unusable_failure(book: RepWorkbook, why: Problem) -> Failure:
    """A rep workbook with nothing usable (no 客户档案 or its header, or no sheet with its required columns): failed,
    with the reason naming the sheet, so it adds no rows and is not counted among the files read."""
    params: tuple
    if why.code == "missing_sheet":
        code, params = "unusable_no_customer_sheet", ()
    elif why.code == "no_header":
        code, params = "unusable_no_header", (("sheet", why.sheet), *why.params)
    else:
        code, params = "unusable_missing_column", (("sheet", why.sheet), ("label", why.column))
    return Failure(book.path, code, params, sha256=book.sha256, rep=book.rep if book.named else None)


def _identified(failure: Failure, kind: str, limits: Limits) -> Failure:
    """What can still be told of a file that cannot be used: its hash, and whether it is meant as the KPI workbook."""
    try:
        failure.sha256 = load(failure.path, limits).sha256
        failure.kpi = kind == "kpi" or KPI_INPUTS.name in workbook_sheet_names(failure.path)
    except UnreadableWorkbook:
        failure.kpi = kind == "kpi"
    return failure


def default_workers(jobs: int) -> int:
    return max(1, min(os.cpu_count() or 1, 4, jobs))


def read_files(paths: Sequence[Path], kinds: dict[Path, str] | None = None, today: date | None = None,
               workers: int | None = None, limits: Limits = LIMITS,
               progress: Callable[[int, int], None] | None = None, spill: Path | None = None,
               meanwhile: Callable[[], None] | None = None) -> list[Outcome]:
    """Each file read in a worker process (`kinds`: path → 'kpi'|'rep', else by its sheets); nothing raises.

    `spill`: a folder the workers write each rep workbook's detail rows to (io/machinery/spill.py), handing back only the
    columns the rules read. `meanwhile`: called once while the workers read (see `run_isolated`).
    """
    kinds = kinds or {}
    today = today or date.today()
    jobs = [(p, kinds.get(p, "auto"), today, limits, spill, i) for i, p in enumerate(paths)]
    outcomes = run_isolated(_read_job, jobs, workers or default_workers(len(jobs)), limits, progress, meanwhile)
    crashed = [i for i, o in enumerate(outcomes) if isinstance(o, Crashed)]
    # a worker that died (say, calamine asking for a sheet of 17 billion cells): the file's bytes are measured
    # before any is parsed, in a worker again, so its reason is the limit it broke, not only that the reader died
    found = run_isolated(_diagnose_job, [jobs[i] for i in crashed], workers or default_workers(len(crashed)), limits)
    for i, reason in zip(crashed, found):
        if isinstance(reason, Failure):
            outcomes[i] = reason
    _read_alone(jobs, outcomes, workers or default_workers(len(jobs)), limits)
    return [Failure(str(p), o.code, o.params) if isinstance(o, Crashed) else o for p, o in zip(paths, outcomes)]


def _read_alone(jobs: list, outcomes: list, workers: int, limits: Limits) -> None:
    """Read again, one at a time and each with the whole of the workers' budget, the files whose reader died within
    its share and broke no limit (a rep's real, big workbook): the run stays within its budget, the data is read.
    A file whose reader dies even then is left out, saying so (`over_memory_budget`)."""
    alone = worker_memory(limits, 1)
    again = [i for i, o in enumerate(outcomes) if isinstance(o, Crashed) and o.code == "worker_died"]
    if not again or alone <= worker_memory(limits, workers):
        return
    for i, outcome in zip(again, run_isolated(_read_job, [jobs[i] for i in again], 1, limits)):
        died = isinstance(outcome, Crashed) and outcome.code == "worker_died"
        outcomes[i] = Crashed("over_memory_budget", (("limit", alone >> 20),)) if died else outcome


def _diagnose_job(job) -> Failure | None:
    """Why a file's reader died, if the checks made before parsing can tell (cell area, sizes, XML)."""
    path, kind, _, limits, _, _ = job
    try:
        inspect(load(path, limits), limits)
    except UnreadableWorkbook as exc:
        return _identified(Failure(str(path), exc.code, exc.params, exc.skipped), kind, limits)
    return None


def original_first(path: str) -> tuple[int, str]:
    """Sort key among byte-identical copies: the shortest name is the original (张伟.xlsx before 张伟(1).xlsx)."""
    name = Path(path).name
    return len(name), name


def settle(outcomes: list[Outcome], roster: dict[str, str]) -> tuple[list[Outcome], list[Problem]]:
    """Name unnamed reps from the roster; pass over byte-identical copies and a rep's older second workbook.

    A copy (same SHA-256 as a file before it) is skipped, naming the file it copies. Two different
    workbooks of one rep are not summed: the one whose data is newest is used (its latest visit or customer
    建档日期; then the modification time, then the name: an old copy saved into the folder later has a newer file
    time but not newer data) and the other is skipped with a warning naming both (so `--strict` fails).
    """
    problems: list[Problem] = []
    out: list[Outcome] = list(outcomes)
    by_hash: dict[str, list[int]] = {}
    for i, item in enumerate(out):
        if isinstance(item, RepWorkbook):
            item.fall_back_to(roster.get(readable_name(item.path)))
        if not isinstance(item, Failure) and item.sha256:
            by_hash.setdefault(item.sha256, []).append(i)
    for indices in by_hash.values():
        # the original keeps its place: 张伟.xlsx, not the 张伟(1).xlsx a chat app saved beside it
        kept = min(indices, key=lambda i: original_first(out[i].path))
        for i in indices:
            if i != kept:
                item = out[i]
                out[i] = Failure(item.path, "duplicate_file", (("other", readable_name(out[kept].path)),), True, item.sha256,
                                 getattr(item, "rep", None))
    books: dict[str, list[int]] = {}
    rep_books: dict[int, RepWorkbook] = {}
    for i, item in enumerate(out):
        if isinstance(item, RepWorkbook):
            books.setdefault(item.rep, []).append(i)
            rep_books[i] = item
    for rep, indices in books.items():
        if len(indices) < 2:
            continue
        kept = max(indices, key=lambda i: newest_first(rep_books[i]))
        kept_book = rep_books[kept]
        kept_name = readable_name(kept_book.path)
        for i in indices:
            if i == kept:
                continue
            book = rep_books[i]
            params = (("kept", kept_name), ("rep", rep), ("kept_data", _day(kept_book.latest_data)),
                      ("kept_time", _when(kept_book.modified)), ("own_data", _day(book.latest_data)),
                      ("own_time", _when(book.modified)))
            failure = Failure(book.path, "duplicate_rep", params, True, book.sha256, rep)
            out[i] = failure
            if (warning := failure.warning()) is not None:  # always, for a duplicate_rep
                problems.append(warning)
    return out, problems


def newest_first(book: RepWorkbook) -> tuple:
    """Sort key among a rep's workbooks, the one to use last: newest data, then newest file time, then name."""
    return book.latest_data or date.min, book.modified, Path(book.path).name


def _day(day: date | None) -> str:
    return day.isoformat() if day else "?"


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "?"


def roster_of(outcomes: list[Outcome]) -> dict[str, str]:
    """File name → rep from every KPI workbook's 团队 sheet."""
    roster: dict[str, str] = {}
    for item in outcomes:
        if isinstance(item, KpiWorkbook):
            roster |= roster_files(item.team)
    return roster
