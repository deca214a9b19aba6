"""Checking workbooks without consolidating them: what `kamxl validate` reports for each file."""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .io.inputs.batch import read_files, roster_of, settle
from .io.inputs.excel_file import LIMITS, Limits
from .io.inputs.reader import KpiWorkbook, RepWorkbook, roster_files
from .problems import Problem, Severity


@dataclass
class FileReport:
    path: str
    kind: str  # rep | kpi | unreadable
    status: str  # ok | skipped | failed
    rep: str | None = None
    reason: str | None = None
    sheets: dict[str, dict] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    roster: dict[str, str] = field(default_factory=dict)  # a KPI workbook's file name → rep

    def as_dict(self, lang=None) -> dict:
        return {"path": self.path, "kind": self.kind, "rep": self.rep, "status": self.status, "reason": self.reason,
                "sheets": self.sheets, "problems": [p.as_dict(lang) for p in self.problems]}


@dataclass(frozen=True)
class Totals:
    files: int
    failed: int  # files that could not be used
    rejected_rows: int  # rows, as the sheets count them (one problem may reject every row of a sheet)
    warnings: int  # warning problems, file-level ones included


def totals(reports: list[FileReport]) -> Totals:
    """What `validate`'s closing line counts, each count being what it says."""
    return Totals(len(reports), sum(1 for r in reports if r.status == "failed"),
                  sum(s.get("rejected", 0) for r in reports for s in r.sheets.values()),
                  sum(1 for r in reports for p in r.problems if p.severity == Severity.WARNING))


def validate_files(paths: list[Path], today: date | None = None, workers: int | None = None,
                   limits: Limits = LIMITS) -> list[FileReport]:
    """Reports for several files, each read in isolation; a KPI workbook among them lends its roster to name reps."""
    outcomes = read_files(paths, today=today, workers=workers, limits=limits)
    outcomes, _ = settle(outcomes, roster_of(outcomes))
    return [_report(item) for item in outcomes]


def validate_file(path: str | Path, today: date | None = None, rep_fallback: str | None = None) -> FileReport:
    """Read one file (in isolation) as a rep or KPI workbook and list its problems; an unreadable file is one problem."""
    (item,) = read_files([Path(path)], today=today, workers=1)
    if isinstance(item, RepWorkbook):
        item.fall_back_to(rep_fallback)
    return _report(item)


def _report(item) -> FileReport:
    if isinstance(item, KpiWorkbook):
        sheets = {"kpi": item.kpi.counts, "team": item.team.counts}
        return FileReport(item.path, "kpi", "ok", sheets=sheets, problems=item.all_problems(), roster=roster_files(item.team))
    if isinstance(item, RepWorkbook):
        sheets = {key: result.counts for key, result in item.sheets.items()}
        return FileReport(item.path, "rep", "ok", rep=item.rep, sheets=sheets, problems=item.all_problems())
    if item.skipped:  # an Excel lock file or a copy is not the rep's mistake: listed, not counted
        return FileReport(item.path, "unreadable", "skipped", rep=item.rep, reason=item.reason(),
                          problems=[w for w in (item.warning(),) if w])
    kind = "kpi" if item.code == "settings_error" else "unreadable"
    return FileReport(item.path, kind, "failed", reason=item.reason(), problems=[item.problem()])
