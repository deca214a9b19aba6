"""Checking workbooks without consolidating them: what `kamxl validate` reports for each file."""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import SettingsError, UnreadableWorkbook
from .io.reader import is_kpi_workbook, read_kpi_workbook, read_rep_workbook, roster_files
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


def validate_files(paths: list[Path], today: date | None = None) -> list[FileReport]:
    """Reports for several files; a KPI workbook among them lends its roster to name reps missing a name."""
    kpi_reports = {path: validate_file(path, today) for path in paths if is_kpi_workbook(path)}
    roster: dict[str, str] = {}
    for report in kpi_reports.values():
        roster |= report.roster
    return [kpi_reports.get(path) or validate_file(path, today, roster.get(path.name)) for path in paths]


def validate_file(path: str | Path, today: date | None = None, rep_fallback: str | None = None) -> FileReport:
    """Read one file as a rep or KPI workbook and list its problems; an unreadable file is one problem."""
    path = Path(path)
    try:
        if is_kpi_workbook(path):
            book = read_kpi_workbook(path, today=today)
            sheets = {"kpi": book.kpi.counts, "team": book.team.counts}
            return FileReport(str(path), "kpi", "ok", sheets=sheets, problems=book.all_problems(),
                              roster=roster_files(book.team))
        book = read_rep_workbook(path, rep_fallback=rep_fallback, today=today)
        sheets = {key: result.counts for key, result in book.sheets.items()}
        return FileReport(str(path), "rep", "ok", rep=book.rep, sheets=sheets, problems=book.all_problems())
    except UnreadableWorkbook as exc:
        problem = Problem(path.name, None, None, None, None, exc.code, Severity.FAILED)
        if exc.skipped:  # an Excel lock file is not the rep's mistake: listed, not counted
            return FileReport(str(path), "unreadable", "skipped", reason=exc.reason())
        return FileReport(str(path), "unreadable", "failed", reason=exc.reason(), problems=[problem])
    except SettingsError as exc:
        problem = Problem(path.name, "参数", None, None, None, "settings_error", Severity.FAILED, (("detail", str(exc)),))
        return FileReport(str(path), "kpi", "failed", reason=str(exc), problems=[problem])
