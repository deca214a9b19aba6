"""The director's workbook (总监工作簿, `workbook/kamxl.xlsm`): its 设置 sheet read and checked, and what its buttons do.

Everything here is plain Python over files and cell values: the Excel shell (`excel/macros.py`) only reads
the sheets, calls these functions and writes their results back. A bad setting is a `SettingCellError`
naming the cell and what to write, which the shell shows in a message box.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .errors import KamxlError, PeriodError
from .messages import render
from .options import SETTING_CELLS, Option, option  # SETTING_CELLS: the 设置 sheet, row by row from B2
from .rules.periods import Period, parse_period, period_containing

SETTINGS_SHEET_NAME = "设置"
KEPT_INTERPRETER = "INTERPRETER_WIN"  # in the kept values: the Python `kamxl excel setup` wrote on the hidden kamxl.conf sheet
ACTIONS_SHEET = "操作"


class SettingCellError(KamxlError):
    "A cell of the 设置 sheet holds a value kamxl cannot use"

    def __init__(self, code: str, cell: str, spec: Option, value=None, lang: str | None = None, **params):
        self.cell = cell
        self.code = code
        super().__init__(render(code, lang, cell=cell, label=spec.cell, value="" if value is None else value,
                                hint=spec.cell_help, **params))


@dataclass
class DirectorSettings:
    """The 设置 sheet's values, one field per option of `SETTING_CELLS` (same key), checked."""
    team_folder: Path
    period: Period
    output_folder: Path
    kpi: Path | None = None
    previous: Path | None = None
    recipients: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    smtp_host: str = ""
    smtp_port: int | None = None  # None: the security's port (DEFAULT_PORTS)
    smtp_user: str = ""
    smtp_from: str = ""  # the sender: the 发件人 cell, else the SMTP user when it is an address
    smtp_security: str = "starttls"
    cells: dict[str, str] = field(default_factory=dict)  # key → the cell it came from, e.g. 设置!B2

    @property
    def rollup_path(self) -> Path:
        return self.output_folder / f"汇总-{self.period.label}.xlsx"

    @property
    def templates_folder(self) -> Path:
        return self.output_folder / "代表工作簿"


def default_period(today: date) -> Period:
    """The month before today: what the director consolidates at the start of a month."""
    return period_containing(today.replace(day=1) - timedelta(days=1), "month")


def settings_cells(rows: list[list]) -> dict[str, tuple[str, object]]:
    """Key → (cell address, value) of the 设置 sheet's labelled cells: the label in column A, the value in B."""
    from .parsing import clean_text

    by_label = {c.cell: c for c in SETTING_CELLS}
    found = {}
    for i, row in enumerate(rows, start=1):
        label = clean_text(row[0]) if row else None
        if label in by_label:
            found[by_label[label].key] = (f"{SETTINGS_SHEET_NAME}!B{i}", row[1] if len(row) > 1 else None)
    return found


def read_director_settings(rows: list[list], base: Path, today: date | None = None, lang: str | None = None,
                           for_mail: bool = False) -> DirectorSettings:
    """The 设置 sheet's values, each checked as its option's kind says; relative paths are relative to `base`.

    `for_mail` also requires what sending needs (recipients, SMTP server, sender).
    """
    from .parsing import clean_text, is_blank, parse_email

    today = today or date.today()
    cells = settings_cells(rows)

    def fail(code, spec: Option, value=None, **params):
        return SettingCellError(code, cells.get(spec.key, (f"{SETTINGS_SHEET_NAME}!B?",))[0], spec, value, lang,
                                **params)

    def addresses(spec: Option, text: str) -> list[str]:
        found = []
        for part in text.replace("；", ";").replace(",", ";").replace("，", ";").split(";"):
            if part.strip():
                parsed = parse_email(part)
                if not parsed.ok:
                    raise fail("cell_bad_email", spec, part.strip())
                found.append(parsed.value)
        return found

    def value_of(spec: Option):
        value = cells.get(spec.key, (None, None))[1]
        text = "" if is_blank(value) else str(clean_text(value))
        if not text:
            if spec.cell_required:
                raise fail("cell_blank", spec)
            return {"addresses": [], "period": default_period(today), "text": "", "email": ""}.get(spec.kind, spec.default)
        if spec.kind in ("folder", "file"):
            path = Path(text.strip('"'))
            path = path if path.is_absolute() else base / path
            if spec.kind == "folder" and not path.is_dir():
                raise fail("cell_no_folder", spec, text)
            if spec.kind == "file" and not path.is_file():
                raise fail("cell_no_file", spec, text)
            return path
        if spec.kind == "period":
            try:
                return parse_period(value)
            except PeriodError:
                raise fail("cell_bad_period", spec, value) from None
        if spec.kind == "addresses":
            return addresses(spec, text)
        if spec.kind == "email":
            if not parse_email(text).ok:
                raise fail("cell_bad_email", spec, text)
            return text
        if spec.kind == "port":
            try:
                port = int(float(text))
                if not 0 < port < 65536 or float(text) != port:
                    raise ValueError
            except ValueError:
                raise fail("cell_bad_port", spec, value) from None
            return port
        if spec.kind == "choice":
            if text.lower() not in spec.choices:
                raise fail("cell_bad_choice", spec, text, choices="/".join(spec.choices))
            return text.lower()
        return text

    settings = DirectorSettings(**{spec.key: value_of(spec) for spec in SETTING_CELLS},
                                cells={k: v[0] for k, v in cells.items()})
    settings.output_folder = settings.output_folder or settings.team_folder
    if not settings.smtp_from and settings.smtp_user and parse_email(settings.smtp_user).ok:
        settings.smtp_from = settings.smtp_user
    if for_mail:
        for key in ("recipients", "smtp_host", "smtp_from"):
            if not getattr(settings, key):
                raise fail("cell_blank", option(key, SETTING_CELLS))
    return settings


# ---- what the buttons do, as plain functions ------------------------------------------------------------

FILE_HEADER = ["文件", "代表", "状态", "原因", "读取行", "采用行", "拒收行", "警告"]
PROBLEM_HEADER = ["文件", "工作表", "行", "问题", "列", "值", "级别"]  # the long texts (原因, 问题) share column D


def file_rows(reports) -> list[list]:
    """One row per file of a validation (or consolidation) report: status and counts over the four sheets."""
    rows = []
    for r in reports:
        status = {"ok": "正常", "skipped": "已跳过", "failed": "无法读取"}.get(r.status, r.status)
        counts = [sum(s.get(key, 0) for s in r.sheets.values()) for key in ("read", "accepted", "rejected", "warnings")]
        rows.append([r.path, r.rep or "", status, r.reason or "", *counts])
    return rows


def problem_rows(reports, lang: str | None = None) -> list[list]:
    """One row per problem: file, sheet, row, message, column, value, severity."""
    from .problems import Severity

    return [[str(Path(r.path).parent / p.file) if p.file == Path(r.path).name else p.file, p.sheet or "", p.row or "",
             p.message(lang), p.column or "", p.value or "", Severity(p.severity).label(lang)]
            for r in reports for p in r.problems]


def validate_team(settings: DirectorSettings, today: date | None = None, exclude=()):
    """`kamxl validate` over the team folder (and the named KPI workbook): one report per file.

    `exclude`: files not to check — the director's own workbook, when it lives in the team folder.
    """
    from .io.inputs.files import collect_inputs
    from .validation import validate_files

    inputs = [settings.team_folder] + ([settings.kpi] if settings.kpi else [])
    skipped = {Path(p).resolve() for p in exclude}
    return validate_files([p for p in collect_inputs(inputs) if p.resolve() not in skipped], today)


def consolidate_team(settings: DirectorSettings, today: date | None = None, exclude=()):
    """`kamxl consolidate TEAM --period P --out ROLLUP [--kpi] [--previous]`: the roll-up written, and its summary."""
    from .consolidate import consolidate
    from .rollup_model import summary
    from .io.outputs.rollup_writer import write_rollup

    out = settings.rollup_path
    rollup = consolidate([settings.team_folder], settings.period, kpi=settings.kpi, previous=settings.previous,
                         today=today, exclude=[out, *exclude])
    if not any(s.status == "ok" for s in rollup.sources):
        return rollup, None, None
    write_rollup(rollup, out)
    return rollup, out, summary(rollup, str(out))


def rollup_line(rollup, out: Path, lang: str | None = None) -> str:
    """The CLI's one-line summary of a roll-up."""
    o = rollup.overview
    ok = sum(1 for s in rollup.sources if s.status == "ok")
    return render("rollup_done", lang, out=out, ok=ok, files=len(rollup.sources), customers=o["customers"],
                  overdue=o["overdue"], problems=rollup.problem_count)


def roster(settings: DirectorSettings) -> tuple[Path, list[str]]:
    """The KPI workbook (named, else found in the team folder) and the reps on its 团队 sheet."""
    from .io.inputs.batch import Failure, read_files
    from .io.inputs.files import collect_inputs
    from .io.inputs.reader import KpiWorkbook, is_kpi_workbook

    path = settings.kpi or next((p for p in collect_inputs([settings.team_folder]) if is_kpi_workbook(p)), None)
    if path is None:
        raise KamxlError(render("no_roster"))
    [book] = read_files([Path(path)], {Path(path): "kpi"}, workers=1)  # in isolation, as every input is read
    if isinstance(book, Failure):
        raise KamxlError(f"{Path(path).name}: {book.reason()}")
    assert isinstance(book, KpiWorkbook)  # read as one
    reps = [r for r in book.team.frame["rep"] if r]
    if not reps:
        raise KamxlError(render("empty_roster", path=path))
    return path, list(dict.fromkeys(reps))


_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|]')


def _file_name(rep: str) -> str:
    """The rep's name as a file name Windows accepts."""
    return _NOT_IN_FILE_NAMES.sub("_", rep).strip(" .") or "rep"


def make_rep_workbooks(settings: DirectorSettings) -> tuple[list[Path], list[Path]]:
    """A macro-enabled rep workbook per rep on the roster, name filled in; existing files are left alone."""
    from .templates import build_rep_workbook

    _, reps = roster(settings)
    folder = settings.templates_folder
    folder.mkdir(parents=True, exist_ok=True)
    made, kept = [], []
    for rep in reps:
        path = folder / f"{_file_name(rep)}.xlsm"
        if path.exists():
            kept.append(path)
        else:
            made.append(build_rep_workbook(path, rep=rep))
    return made, kept


# ---- the workbook itself ----------------------------------------------------------------------------------

DIRECTOR_HELP = [
    ("每月怎么用", ""),
    ("1. 设置", "在「设置」表填写团队文件夹、期间（留空为上个月）等；每个格子右侧有说明。密码不写在工作簿里。"),
    ("2. 校验全部", "检查团队文件夹中的每个工作簿，结果列在下方：每个文件一行（状态与行数），每个问题一行（文件、工作表、行、列、值、问题），点击文件名即可打开。"),
    ("3. 汇总", "按「设置」汇总团队文件夹，写出「汇总-期间.xlsx」并打开，下方列出一句话结果和每个文件的状态。与命令 kamxl consolidate 完全相同。"),
    ("4. 发送", "把本期汇总发给「收件人」（个人联系方式默认不含）。"),
    ("生成模板", "为考核工作簿「团队」表上的每位代表生成一个已填姓名的代表工作簿（.xlsm），放在输出文件夹的「代表工作簿」中；已存在的不覆盖。"),
]
RESULT_ROW = 12  # 1-based: where the last run's result starts on 操作


class DirectorWorkbookUnreadable(KamxlError):
    """The existing director's workbook cannot be read, so its 设置 cannot be kept."""


@dataclass(frozen=True)
class OldDirectorWorkbook:
    sheets: list[str]
    settings: dict[str, object]  # key → the value filled in on its 设置 sheet (blank cells left out)
    interpreter: str = ""  # INTERPRETER_WIN on its hidden kamxl.conf sheet ("" when unset)


def read_old_director_workbook(path: Path, config_sheets: tuple[str, ...] = ()) -> OldDirectorWorkbook:
    """The sheets and filled 设置 values of an existing director's workbook, and INTERPRETER_WIN from the first of
    `config_sheets` it has (the hidden kamxl.conf); DirectorWorkbookUnreadable if it cannot be read."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    from .messages import os_error_text
    from .parsing import is_blank

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = list(wb.sheetnames)
            rows = ([list(r) for r in wb[SETTINGS_SHEET_NAME].iter_rows(values_only=True)]
                    if SETTINGS_SHEET_NAME in sheets else [])
            config = next(([list(r) for r in wb[name].iter_rows(values_only=True)] for name in config_sheets
                           if name in sheets), [])
        finally:
            wb.close()
    except OSError as error:
        raise DirectorWorkbookUnreadable(render("director_unreadable", path=path, detail=os_error_text(error))) from error
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError) as error:
        raise DirectorWorkbookUnreadable(render("director_unreadable", path=path, detail=render("corrupt"))) from error
    values = {key: value for key, (_, value) in settings_cells(rows).items() if not is_blank(value)}
    interpreter = next((str(r[1]).strip() for r in config if len(r) > 1 and r[0] == KEPT_INTERPRETER and not is_blank(r[1])), "")
    return OldDirectorWorkbook(sheets, values, interpreter)


def settings_to_keep(path: Path, force: bool, macro_sheets: tuple[str, ...] = ()) -> dict[str, object]:
    """The 设置 values a rebuild of the director's workbook at `path` keeps; raises when it must not be replaced.

    A director rebuilds kamxl.xlsm to get a newer version: what they filled in on 设置 is kept, the rest is kamxl's and
    is replaced -- when the file is kamxl's (it carries kamxl's fingerprint property) and holds no sheet of the
    director's own (`macro_sheets`: those build_macro_workbook adds). Anything else (another program's kamxl.xlsm,
    added sheets, an unreadable file) needs --force. The INTERPRETER_WIN `kamxl excel setup` wrote on the hidden
    kamxl.conf sheet is kept too (under KEPT_INTERPRETER).
    """
    from .io.outputs.ownership import OutputsNotOurs, is_untouched, written_by_kamxl

    if not path.exists():
        return {}
    try:
        old = read_old_director_workbook(path, macro_sheets)
    except DirectorWorkbookUnreadable:
        if force:
            return {}
        raise
    ours = set(old.sheets) <= {ACTIONS_SHEET, SETTINGS_SHEET_NAME, *macro_sheets} and written_by_kamxl(path)
    if not (force or ours or is_untouched(path)):
        raise OutputsNotOurs([path])
    return old.settings | ({KEPT_INTERPRETER: old.interpreter} if old.interpreter else {})


def kept_settings_text(kept: dict[str, object]) -> str | None:
    """The kept 设置 values other than their defaults, as the console shows them (标签 = 值；…); None if none."""
    shown = [f"{spec.cell} = {kept[spec.key]}" for spec in SETTING_CELLS
             if spec.key in kept and str(kept[spec.key]) != str(spec.default)]
    from .messages import language

    return render("director_settings_kept", values=("；" if language() == "zh" else "; ").join(shown)) if shown else None


def build_director_workbook(path: str | Path, lang: str = "zh", kept: dict[str, object] | None = None) -> Path:
    """Write workbook/kamxl.xlsm: 操作 (buttons, help, last result) and 设置 (labelled cells with their help).

    `kept`: 设置 values (by key) to write instead of the defaults -- an earlier build's, filled in by the director --
    and under KEPT_INTERPRETER the Python `kamxl excel setup` set on its hidden kamxl.conf sheet.
    """
    import xlsxwriter

    from .excel.vba import DIRECTOR_BUTTONS, build_macro_workbook
    from .io.outputs.xlsx_stream import HEADER_FORMAT
    from .templates import FIXED_TIMESTAMP, _wrapped_lines

    path = Path(path)
    written = path.with_name(f".{path.stem}.building.xlsm")
    wb = xlsxwriter.Workbook(str(written), {"strings_to_formulas": False, "strings_to_numbers": False,
                                            "strings_to_urls": False})
    wb.set_properties({"title": "kamxl 总监工作簿", "author": "kamxl", "created": FIXED_TIMESTAMP})
    title, bold = wb.add_format({"bold": True, "font_size": 14}), wb.add_format({"bold": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    header = wb.add_format(HEADER_FORMAT)
    ws = wb.add_worksheet(ACTIONS_SHEET)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 10)
    ws.set_column(3, 3, 60)
    ws.set_column(4, 5, 16)
    ws.set_column(6, 7, 9)
    ws.write(0, 0, "大客户部 总监工作簿（kamxl）", title)
    ws.set_row(2, 32)
    for i, button in enumerate(DIRECTOR_BUTTONS):
        caption = button.caption if lang == "zh" else f"{button.caption} {button.caption_en}"
        ws.insert_button(2, 0, {"macro": button.macro, "caption": caption, "width": 110, "height": 32,
                                "x_offset": 2 + i * 118})
    for r, (head, text) in enumerate(DIRECTOR_HELP, start=4):
        ws.write(r, 0, head, bold)
        if text:
            ws.merge_range(r, 1, r, 7, text, wrap)
            ws.set_row(r, 30)
    ws.write(RESULT_ROW - 1, 0, "上次运行结果", bold)
    ws.freeze_panes(4, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.activate()

    settings_ws = wb.add_worksheet(SETTINGS_SHEET_NAME)
    settings_ws.write_row(0, 0, ["设置", "值", "说明"], header)
    settings_ws.set_column(0, 0, 16, bold)
    value_format = wb.add_format({"bg_color": "#FFF2CC", "locked": False, "num_format": "@", "valign": "top"})
    settings_ws.set_column(1, 1, 48, value_format)
    settings_ws.set_column(2, 2, 70, wrap)
    for r, spec in enumerate(SETTING_CELLS, start=1):
        settings_ws.set_row(r, 16 * _wrapped_lines(spec.cell_help, 70) + 2)
        settings_ws.write_string(r, 0, spec.cell, bold)
        value = (kept or {}).get(spec.key, spec.default)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            settings_ws.write_number(r, 1, value, value_format)
        elif value is not None:
            settings_ws.write_string(r, 1, str(value), value_format)
        settings_ws.write_string(r, 2, spec.cell_help, wrap)
        if spec.kind == "choice":
            settings_ws.data_validation(r, 1, r, 1, {"validate": "list", "source": list(spec.choices),
                                                     "error_title": spec.cell, "error_message": spec.cell_help})
    settings_ws.freeze_panes(1, 0)
    settings_ws.set_landscape()
    settings_ws.set_paper(9)
    settings_ws.fit_to_pages(1, 0)
    from .io.outputs.ownership import stamp

    built = build_macro_workbook(wb, written, path)
    if (kept or {}).get(KEPT_INTERPRETER):
        from .excel.setup import write_workbook_interpreter

        write_workbook_interpreter(built, Path(str((kept or {})[KEPT_INTERPRETER])))
    return stamp(built)
