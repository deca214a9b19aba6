"""Reading the team's workbooks with calamine: a rep's four sheets, the KPI workbook and its 参数.

The files are opened here (io/inputs/excel_file.py); their rows are checked by the core
(kamxl/rows.py), which knows nothing of the file format.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ... import parsing
from ...errors import UnreadableWorkbook
from ...problems import Problem, Severity
from ...rows import SheetResult, check_rows, labelled_value, missing_sheet, settings_pairs
from ...schema import (CUSTOMERS, DAILY_REPORT, INSTRUCTIONS_SHEET, KPI_INPUTS, REP_NAME_LABEL, REP_SHEETS, SETTINGS_SHEET,
                       TEAM, TEMPLATE_VERSION_LABEL)
from ...settings import DEFAULTS, Settings, settings_keeping_defaults
from .excel_file import LIMITS, Limits, inspect, load, open_package, sheet_names_of, sheet_rows
from .files import readable_name, readable_path

# what a chat app, a mail client or Explorer adds to a copy's name: 卢静(1), 卢静（2）, 卢静 - 副本, 卢静 - Copy (3)
_COPY_SUFFIX = re.compile(r"(?:\s*[(（]\d+[)）]|\s*-\s*(?:副本|Copy)(?:\s*[(（]\d+[)）])?|_副本)+$", re.IGNORECASE)
ROLLUP_MARKERS = {"总览", "来源"}  # sheets of a kamxl roll-up


@dataclass
class RepWorkbook:
    path: str
    rep: str
    sheets: dict[str, SheetResult]
    problems: list[Problem]  # file-level (rep name); sheet problems live in `sheets`
    template_version: str | None = None
    sha256: str = ""
    named: bool = True  # the 说明 sheet names the rep
    modified: float = 0.0  # the file's modification time when it was read
    # the newest visit date or customer 建档日期 (none after the day of reading): of two workbooks of one rep,
    # the one whose data is newest is used, whatever its file time says
    latest_data: date | None = None

    def all_problems(self) -> list[Problem]:
        return self.problems + [p for s in self.sheets.values() for p in s.problems]

    def unusable(self) -> Problem | None:
        """Why nothing of this workbook can be used, else None: without a usable 客户档案 header no row can be
        placed (every contact, plan and visit names a customer of the file), and a file of unusable sheets holds
        nothing either."""
        customers = self.sheets[CUSTOMERS.key]
        if not customers.present or (customers.unusable and customers.unusable.code == "no_header"):
            return customers.unusable
        if all(s.unusable for s in self.sheets.values()):
            return customers.unusable
        return None

    def fall_back_to(self, name: str | None):
        """Name a rep whose 说明 sheet does not (roster, else the file name), and say so."""
        if self.named:
            return
        self.rep = parsing.clean_text(name) or parsing.clean_text(_COPY_SUFFIX.sub("", Path(readable_path(self.path)).stem)) or "?"
        self.problems = [p for p in self.problems if p.code != "no_rep_name"]
        self.problems.insert(0, Problem(readable_name(self.path), INSTRUCTIONS_SHEET, None, REP_NAME_LABEL, None, "no_rep_name",
                                        Severity.WARNING, (("name", self.rep),)))


def read_rep_workbook(path: str | Path, rep_fallback: str | None = None, today: date | None = None,
                      limits: Limits = LIMITS) -> RepWorkbook:
    """A rep workbook's four sheets as typed rows and problems; UnreadableWorkbook if it cannot be opened."""
    package = load(path, limits)
    return _read_rep(package, open_package(package, limits), rep_fallback, today, limits.cells)


def _repair_problems(package) -> list[Problem]:
    """A file whose XML held forbidden character references (&#0;) is read with U+FFFD in their place: say so."""
    return [Problem(readable_name(package.path), None, None, None, ", ".join(package.repaired), "illegal_char_refs", Severity.WARNING)
            ] if package.repaired else []


def _read_rep(package, book, rep_fallback: str | None, today: date | None, cells: int) -> RepWorkbook:
    path = package.path
    file = readable_name(path)
    names = set(book.sheet_names)
    if ROLLUP_MARKERS <= names:  # kamxl's own roll-up, saved into the team folder: passed over
        raise UnreadableWorkbook(path, "rollup_file", skipped=True)
    if not names & {s.name for s in REP_SHEETS}:
        raise UnreadableWorkbook(path, "not_rep_workbook")
    rep = version = None
    if INSTRUCTIONS_SHEET in names:
        rows, _ = sheet_rows(book, INSTRUCTIONS_SHEET, path, cells)
        rep = parsing.clean_text(labelled_value(rows, REP_NAME_LABEL))
        version = parsing.clean_text(labelled_value(rows, TEMPLATE_VERSION_LABEL))
    sheets: dict[str, SheetResult] = {}
    known: set[str] | None = None
    since: dict[str, date] = {}
    for spec in REP_SHEETS:
        if spec.name not in names:
            sheets[spec.key] = missing_sheet(spec, file)
            if spec is CUSTOMERS:
                known = set()  # without a customer sheet no contact or visit can be placed
            continue
        rows, first = sheet_rows(book, spec.name, path, cells)
        result = check_rows(spec, rows, first, file, known_customers=known, today=today, customers_since=since)
        sheets[spec.key] = result
        if spec is CUSTOMERS:
            # a visit to a customer whose own row was rejected (say, for a bad date) still happened: keep it
            known = result.ids_seen
            since = {c: d for c, d in zip(result.data["customer_id"], result.data["created_on"]) if d is not None}
    workbook = RepWorkbook(str(path), rep or "", sheets, _repair_problems(package), version, package.sha256,
                           named=bool(rep), latest_data=latest_data(sheets, today or date.today()))
    if not rep:
        workbook.fall_back_to(rep_fallback)
    return workbook


def latest_data(sheets: dict[str, SheetResult], today: date) -> date | None:
    """The newest accepted visit date or customer 建档日期 not after `today` (a later one is a typo, not news)."""
    days = [d for key, column in ((DAILY_REPORT.key, "date"), (CUSTOMERS.key, "created_on"))
            for d in sheets[key].data.get(column, ()) if d is not None and d <= today]
    return max(days, default=None)


@dataclass
class KpiWorkbook:
    path: str
    kpi: SheetResult
    team: SheetResult
    settings: Settings = DEFAULTS
    problems: list[Problem] = field(default_factory=list)
    sha256: str = ""

    def all_problems(self) -> list[Problem]:
        return self.problems + self.kpi.problems + self.team.problems


def roster_files(team: SheetResult) -> dict[str, str]:
    """File name → rep, from the roster's 文件 column (for workbooks whose 说明 lacks the name)."""
    return {f: rep for f, rep in zip(team.data["file"], team.data["rep"]) if f and rep}


def read_kpi_workbook(path: str | Path, today: date | None = None, limits: Limits = LIMITS) -> KpiWorkbook:
    """The KPI workbook: KPI rows, the roster and the settings (defaults when 参数 is absent)."""
    package = load(path, limits)
    return _read_kpi(package, open_package(package, limits), today, limits.cells)


def _read_kpi(package, book, today: date | None, cells: int) -> KpiWorkbook:
    path = package.path
    names = set(book.sheet_names)
    results = {}
    for spec in (KPI_INPUTS, TEAM):
        if spec.name in names:
            rows, first = sheet_rows(book, spec.name, path, cells)
            results[spec.key] = check_rows(spec, rows, first, readable_name(path), today=today)
        else:
            results[spec.key] = missing_sheet(spec, readable_name(path))
    settings, problems = DEFAULTS, []
    if SETTINGS_SHEET in names:
        rows, _ = sheet_rows(book, SETTINGS_SHEET, path, cells)
        settings, bad = settings_keeping_defaults(settings_pairs(rows))
        # a bad setting keeps the handbook's default and is a problem on that setting
        problems = [Problem(readable_name(path), SETTINGS_SHEET, None, key, parsing.clean_text(value),
                            "unknown_setting" if reason == "unknown" else "bad_setting", Severity.WARNING,
                            (("key", key),) if reason == "unknown" else
                            (("key", key), ("value", parsing.clean_text(value)), ("reason", reason)))
                    for key, value, reason in bad]
    return KpiWorkbook(str(path), results["kpi"], results["team"], settings, _repair_problems(package) + problems,
                       sha256=package.sha256)


def read_workbook(path: str | Path, kind: str = "auto", today: date | None = None,
                  limits: Limits = LIMITS) -> "RepWorkbook | KpiWorkbook":
    """A rep or KPI workbook (`kind` auto: KPI when it has a 考核指标 sheet); a rep's missing name is left to the caller.

    UnreadableWorkbook or SettingsError when it cannot be used. The file is read once: its SHA-256 is that of
    the bytes parsed, and its modification time is taken before reading. Meant for a memory-capped worker
    (batch.read_files): a sheet's cell area is checked as calamine places the cells, measured first if far out.
    """
    try:
        modified = Path(path).stat().st_mtime
    except OSError:
        modified = 0.0
    package = load(path, limits)
    # a sheet with a cell far out (row 100,000 on, column AAA on) is measured from its XML before calamine allocates
    # for it (a lone cell at A1048576 would cost the whole column); the others as calamine places the cells, in a
    # worker whose memory is capped
    book = open_package(package, limits, area=False)
    try:
        if kind == "kpi" or (kind == "auto" and KPI_INPUTS.name in book.sheet_names):
            return _read_kpi(package, book, today, limits.cells)
        result = _read_rep(package, book, None, today, limits.cells)
        result.modified = modified
        return result
    finally:
        book.close()


def is_kpi_workbook(path: str | Path) -> bool:
    """True when the file carries a 考核指标 sheet (the director's KPI workbook)."""
    try:
        package = load(path)
        inspect(package)
        return KPI_INPUTS.name in sheet_names_of(package)
    except UnreadableWorkbook:
        return False
