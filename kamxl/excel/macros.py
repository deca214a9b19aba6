"""What the workbook buttons do: `dispatch(action)` and one handler per action, each a thin shell over pure functions.

A button's VBA runs `RunPython "import kamxl.excel.macros as m; m.dispatch('<action>')"`. Handlers read and
write the workbook through the small interface of `excel/book.py`: `XlwingsBook` (below) in Excel, `FileBook`
in the tests. Every error ends in a message box in the user's language, never in a traceback.
"""

import contextlib
import tempfile
import traceback
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from ..director import (ACTIONS_SHEET, FILE_HEADER, PROBLEM_HEADER, RESULT_ROW, SETTINGS_SHEET_NAME, file_rows,
                        consolidate_team, make_rep_workbooks, problem_rows, read_director_settings, rollup_line,
                        validate_team)
from ..errors import KamxlError
from ..messages import language, render
from ..problems import Problem, Severity
from ..schema import REP_SHEETS, VISIT_PLAN
from .book import Workbook

CHECK_RESULT_SHEET = "校验结果"
CHECK_HEADER = ["工作表", "行", "列", "单元格", "值", "问题", "级别"]
MARK_COLOUR = "#F8CBAD"  # orange: a cell 校验 found a problem in


# ---- rep workbook: 校验 -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mark:
    sheet: str
    row: int
    col: int
    problem: Problem

    @property
    def address(self) -> str:
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(self.col)}{self.row}"


def header_columns(rows: list[list], sheet_name: str) -> dict[str, int]:
    """Label and key → 1-based column of a rep sheet, from its header row (found as the reader finds it)."""
    from ..rows import find_header

    spec = next(s for s in REP_SHEETS if s.name == sheet_name)
    found = find_header(rows, spec)
    if not found:
        return {}
    columns = {}
    for index, key in found[1].items():
        columns[spec.column(key).label] = columns[key] = index + 1
    return columns


def problem_marks(problems: list[Problem], values: Callable[[str], list[list]]) -> tuple[list[Mark], list[Problem]]:
    """The cells the problems point at, and the problems that name no single cell (a missing column, the rep name)."""
    sheets = {s.name for s in REP_SHEETS}
    headers: dict[str, dict[str, int]] = {}
    marks, others = [], []
    for p in problems:
        if p.sheet in sheets and p.row and p.column:
            if p.sheet not in headers:
                headers[p.sheet] = header_columns(values(p.sheet), p.sheet)
            col = headers[p.sheet].get(p.column)
            if col:
                marks.append(Mark(p.sheet, p.row, col, p))
                continue
        others.append(p)
    return marks, others


def _earlier_marks(book: Workbook) -> dict[str, list[tuple[int, int]]]:
    """The cells the last 校验 coloured, as listed on its 校验结果 sheet."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    if CHECK_RESULT_SHEET not in book.sheet_names():
        return {}
    cells: dict[str, list] = {}
    for row in book.values(CHECK_RESULT_SHEET)[1:]:
        if len(row) > 3 and row[0] in book.sheet_names() and isinstance(row[3], str) and row[3]:
            letters, number = coordinate_from_string(row[3])
            cells.setdefault(row[0], []).append((number, column_index_from_string(letters)))
    return cells


def validate(book: Workbook) -> None:
    """校验: mark every cell `kamxl validate` reports, list the problems on 校验结果, show the counts."""
    from ..validation import validate_file

    lang = language()
    with book.snapshot() as copy:
        report = validate_file(copy)
    if report.status != "ok":
        book.message(render("check_failed", lang, reason=report.reason))
        return
    for sheet, cells in _earlier_marks(book).items():
        book.set_fill(sheet, cells, None)
    marks, others = problem_marks(report.problems, book.values)
    for sheet in {m.sheet for m in marks}:
        book.set_fill(sheet, [(m.row, m.col) for m in marks if m.sheet == sheet], MARK_COLOUR)
    book.ensure_sheet(CHECK_RESULT_SHEET)
    book.clear_rows(CHECK_RESULT_SHEET, 1)
    rows: list[list] = [CHECK_HEADER]
    rows += [[m.sheet, m.row, m.problem.column, m.address, m.problem.value or "", m.problem.message(lang),
              Severity(m.problem.severity).label(lang)] for m in marks]
    rows += [[p.sheet or "", p.row or "", p.column or "", "", p.value or "", p.message(lang),
              Severity(p.severity).label(lang)] for p in others]
    book.set_values(CHECK_RESULT_SHEET, 1, 1, rows)
    for i, m in enumerate(marks, start=2):
        book.set_link(CHECK_RESULT_SHEET, i, 4, f"#'{m.sheet}'!{m.address}")
    book.save()
    counts = {s: sum(1 for p in report.problems if p.severity == s) for s in (Severity.REJECTED, Severity.WARNING)}
    if report.problems:
        book.message(render("check_done", lang, rejected=counts[Severity.REJECTED], warnings=counts[Severity.WARNING]))
    else:
        book.message(render("check_clean", lang))


# ---- rep workbook: 新建拜访计划 ---------------------------------------------------------------------------------

def next_month(today: date):
    from ..rules.periods import period_containing

    this = period_containing(today, "month")
    return period_containing(this.end + timedelta(days=1), "month")


def proposed_visits(path: Path, month, today: date | None = None):
    """Next month's proposal for one rep workbook: grades, last visits and due dates as the roll-up computes them."""
    from ..consolidate import consolidate
    from ..rules.planning import propose_visits

    rollup = consolidate([path], month, today=today, workers=1)
    customers = rollup.customers
    plans = rollup.visit_plan.frame()
    planned = {cid for cid, day, status in zip(plans["customer_id"], plans["planned_on"], plans["status"])
               if day is not None and day in month and status != "取消"}
    candidates = list(zip(customers["customer_id"], customers["grade"], customers["next_visit_due"]))
    skipped = {cid for cid, _, due in candidates if cid in planned and due is not None and due <= month.end}
    return propose_visits(candidates, planned, month), skipped


def _first_free_row(rows: list[list], header_index: int, columns: list[int]) -> int:
    """1-based row under the last row holding a value in one of `columns` (0-based) below the header.

    Only typed columns count: a template's ready rows carry formulas (the looked-up 客户名称) but no data.
    """
    last = header_index
    for i, row in enumerate(rows[header_index + 1:], start=header_index + 1):
        if any(c < len(row) and row[c] not in (None, "") for c in columns):
            last = i
    return last + 2


def new_visit_plan(book: Workbook, today: date | None = None) -> None:
    """新建拜访计划: append next month's proposed visits under the last row of 拜访计划."""
    from ..rows import find_header

    lang = language()
    month = next_month(today or date.today())
    with book.snapshot() as copy:
        proposal, skipped = proposed_visits(copy, month, today)
    if not proposal:
        book.message(render("plan_none", lang, month=month.label))
        return
    rows = book.values(VISIT_PLAN.name)
    header = find_header(rows, VISIT_PLAN)
    if header is None:  # the rep renamed or removed its header row: say so, not a traceback
        labels = "、".join(c.label for c in VISIT_PLAN.required)
        raise KamxlError(f"{VISIT_PLAN.name}：{render('no_header', lang, labels=labels)}")
    header_index, columns = header
    col = {key: index + 1 for index, key in columns.items()}
    first = _first_free_row(rows, header_index, list(columns))
    for i, visit in enumerate(proposal):
        values = {"planned_on": datetime(visit.planned_on.year, visit.planned_on.month, visit.planned_on.day),
                  "customer_id": visit.customer_id, "mode": "上门拜访", "status": "计划"}
        for key, value in values.items():
            if key in col:
                book.set_values(VISIT_PLAN.name, first + i, col[key], [[value]])
    book.grow_table(VISIT_PLAN.name, first + len(proposal) - 1)
    book.save()
    book.message(render("plan_added", lang, count=len(proposal), month=month.label, skipped=len(skipped)))


# ---- director's workbook ------------------------------------------------------------------------------------

def _settings(book: Workbook, for_mail: bool = False, today: date | None = None):
    if SETTINGS_SHEET_NAME not in book.sheet_names():
        raise KamxlError(render("no_settings_sheet"))
    return read_director_settings(book.values(SETTINGS_SHEET_NAME), book.path.parent, today, language(), for_mail)


def _write_result(book: Workbook, line: str, files: list[list], problems: list[list]) -> None:
    """The last run's result on 操作: the summary line, one row per file, one row per problem; files linked."""
    book.clear_rows(ACTIONS_SHEET, RESULT_ROW)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    rows = [["上次运行结果", f"{stamp}  {line}"], [], FILE_HEADER, *files]
    if problems:
        rows += [[], PROBLEM_HEADER, *problems]
    book.set_values(ACTIONS_SHEET, RESULT_ROW, 1, rows)
    first_file = RESULT_ROW + 3
    for i, row in enumerate(files):
        book.set_link(ACTIONS_SHEET, first_file + i, 1, str(row[0]))
    first_problem = first_file + len(files) + 2
    for i, row in enumerate(problems):
        if Path(row[0]).is_file():
            book.set_link(ACTIONS_SHEET, first_problem + i, 1, str(row[0]))
    book.save()


def validate_all(book: Workbook, today: date | None = None) -> None:
    """校验全部: `kamxl validate` over the team folder, listed on 操作."""
    lang = language()
    reports = validate_team(_settings(book, today=today), today, exclude=[book.path])  # when kept in the team folder
    failed = sum(1 for r in reports if r.status == "failed")
    count = {s: sum(1 for r in reports for p in r.problems if p.severity == s) for s in (Severity.REJECTED, Severity.WARNING)}
    line = render("validated_all", lang, files=len(reports), failed=failed, rejected=count[Severity.REJECTED],
                  warnings=count[Severity.WARNING])
    _write_result(book, line, file_rows(reports), problem_rows(reports, lang))
    book.message(line)


def consolidate(book: Workbook, today: date | None = None) -> None:
    """汇总: the roll-up of the team folder for the 设置 period, written, opened, summarised on 操作."""
    lang = language()
    settings = _settings(book, today=today)
    rollup, out, _ = consolidate_team(settings, today, exclude=[book.path])
    if out is None:
        book.message(render("rollup_nothing", lang))
        return
    line = rollup_line(rollup, out, lang)
    _write_result(book, line, file_rows(rollup.sources), [])
    book.open_file(out)
    book.message(line)


def send(book: Workbook, today: date | None = None) -> None:
    """发送: `kamxl mail` of the period's roll-up to the 设置 recipients (kamxl.mail.send_month), or say mail is not
    available yet."""
    lang = language()
    try:
        from ..mail import MailRequest, send_month
    except ImportError:
        settings = _settings(book, today=today)
        book.message(render("mail_unavailable", lang, path=settings.rollup_path))
        return
    settings = _settings(book, for_mail=True, today=today)
    if not settings.rollup_path.is_file():
        book.message(render("no_rollup_yet", lang, period=settings.period.label, path=settings.rollup_path))
        return
    try:
        report = send_month(MailRequest.from_options(settings.rollup_path, vars(settings), lang))
    except (KamxlError, OSError) as exc:
        book.message(render("button_mail_failed", lang, reason=exc))
        return
    if report.ok:
        book.message(render("button_mail_sent", lang, to="; ".join(settings.recipients)))
    else:
        book.message(render("button_mail_failed", lang, reason=("; " if lang == "en" else "；").join(
            d.error for d in report.deliveries if d.error)))


def make_templates(book: Workbook, today: date | None = None) -> None:
    """生成模板: a rep workbook (.xlsm) per rep on the roster, name filled in."""
    settings = _settings(book, today=today)
    made, kept = make_rep_workbooks(settings)
    book.message(render("templates_made", language(), folder=settings.templates_folder, count=len(made), skipped=len(kept)))


HANDLERS: dict[str, Callable] = {"validate": validate, "new_visit_plan": new_visit_plan, "validate_all": validate_all,
                                 "consolidate": consolidate, "send": send, "make_templates": make_templates}


def run(action: str, book: Workbook) -> None:
    """Run one button's handler on `book`; any error becomes a message box naming what to fix."""
    lang = language()
    handler = HANDLERS.get(action)
    if handler is None:
        book.message(render("unknown_action", lang, action=action))
        return
    try:
        handler(book)
    except KamxlError as exc:
        book.message(str(exc))
    except Exception as exc:  # the last line of defence: Excel must never show a Python traceback
        _log(traceback.format_exc())
        book.message(render("unexpected_error", lang, error=f"{type(exc).__name__}: {exc}"))


def _log(text: str) -> None:
    with contextlib.suppress(OSError):
        (Path(tempfile.gettempdir()) / "kamxl-macros.log").write_text(text, encoding="utf-8")


def dispatch(action: str) -> None:
    """The entry point of every button (called by RunPython from the workbook's VBA)."""
    import xlwings as xw

    run(action, XlwingsBook(xw.Book.caller()))


class XlwingsBook:
    """The workbook interface over a workbook open in Excel (xlwings)."""

    def __init__(self, book):
        self.book = book
        self.path = Path(book.fullname)

    @contextlib.contextmanager
    def snapshot(self):
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / Path(self.book.name).name
            if copy.suffix.lower() not in (".xlsx", ".xlsm"):  # a new, never-saved workbook
                copy = copy.with_suffix(".xlsm")
            self.book.api.SaveCopyAs(str(copy))
            yield copy

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def values(self, sheet: str) -> list[list]:
        ws = self.book.sheets[sheet]
        last = ws.used_range.last_cell
        return ws.range((1, 1), (last.row, last.column)).options(ndim=2).value

    def set_values(self, sheet: str, row: int, col: int, rows: list[list]) -> None:
        width = max((len(r) for r in rows), default=0)
        if not width:
            return
        safe = [[f"'{v}" if isinstance(v, str) and v.startswith(("=", "+", "-", "@")) else v for v in r]
                + [None] * (width - len(r)) for r in rows]
        self.book.sheets[sheet].range((row, col)).value = safe

    def clear_rows(self, sheet: str, first_row: int) -> None:
        ws = self.book.sheets[sheet]
        last = ws.used_range.last_cell
        if last.row >= first_row:
            rng = ws.range((first_row, 1), (last.row, max(last.column, 1)))
            rng.api.Hyperlinks.Delete()
            rng.clear_contents()

    def set_fill(self, sheet: str, cells, colour: str | None) -> None:
        ws = self.book.sheets[sheet]
        for row, col in cells:
            ws.range((row, col)).color = colour

    def set_link(self, sheet: str, row: int, col: int, target: str) -> None:
        ws = self.book.sheets[sheet]
        cell = ws.range((row, col))
        text = str(cell.value if cell.value is not None else target)
        if target.startswith("#"):
            ws.api.Hyperlinks.Add(Anchor=cell.api, Address="", SubAddress=target[1:], TextToDisplay=text)
        else:
            cell.add_hyperlink(target, text)

    def ensure_sheet(self, sheet: str) -> None:
        if sheet not in self.sheet_names():
            self.book.sheets.add(sheet, after=self.book.sheets[-1])

    def grow_table(self, sheet: str, last_row: int) -> None:
        ws = self.book.sheets[sheet]
        for table in ws.tables:
            rng = table.range
            if rng.last_cell.row < last_row:
                table.resize(ws.range(rng[0, 0], (last_row, rng.last_cell.column)))

    def message(self, text: str) -> None:
        self.book.app.alert(text, title="kamxl")

    def open_file(self, path: Path) -> None:
        self.book.app.books.open(str(path))

    def save(self) -> None:
        """Nothing: the person saves the workbook in Excel, as after any edit."""
