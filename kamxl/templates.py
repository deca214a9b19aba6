"""Building the workbooks people fill in — the rep workbook and the KPI workbook — from the schema.

The same builder writes the empty templates (`kamxl templates`) and the filled example team
(`kamxl demo`), so labels, validations and formulas cannot drift from what the reader expects.

Computed columns are native Excel formulas generated here from the settings (they recalculate
instantly in Excel, WPS and LibreOffice, with no Python call). 校验 is native too — the common checks,
generated from the schema and parsing.py's constants — except where Python answers: the customer sheet's
full check, one array UDF per workbook, wins when it runs. None of these cached results is ever read back:
the roll-up recomputes.
"""

import re
from datetime import date, datetime
from pathlib import Path
from typing import Mapping

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from . import TEMPLATE_VERSION
from .schema import (CUSTOMERS, DAILY_REPORT, FACTORS, INSTRUCTIONS_SHEET, REP_NAME_LABEL, REP_SHEETS,
                     TEMPLATE_VERSION_LABEL, UNGRADED, ColType, Column, Sheet)
from .io.outputs.atomic import publish, temp_sibling
from .io.outputs.xlsx_stream import GRADE_COLOURS, HEADER_FORMAT, NUMBER_FORMATS, column_kind
from .native_check import (CHECK_SEPARATOR, CHECKED_SHEETS, TABLE_NAMES, helper_columns, helper_formulas,
                           native_check_formula, native_check_help, native_check_names, native_checks, ref)
from .settings import DEFAULTS, Settings, settings_rows, with_settings

VALIDATION_ROWS = 5000  # list and date checks reach this row; tables themselves grow without limit
TEMPLATE_BLANK_ROWS = 50  # an empty template's tables start with this many ready rows
CHECK_SHEET = "_kamxl"  # hidden: the KAM_CHECK array UDF spills here, one message per customer row
CARD_SHEET = "客户卡片"
# KAM_CHECK's answer as workbook-level names: 校验 names them instead of referring to another sheet, which a shared
# formula cannot (MS-XLSB SharedParsedFormula)
PYTHON_CHECK_NAME, PYTHON_CHECKS_NAME = "kam_python_check", "kam_python_checks"
PYTHON_CHECK_NAMES = {PYTHON_CHECK_NAME: f"={CHECK_SHEET}!$A$1", PYTHON_CHECKS_NAME: f"={CHECK_SHEET}!$A:$A"}
FIXED_TIMESTAMP = datetime(2026, 1, 1)  # templates are rebuilt byte-for-byte-alike in content

# the settings a text quotes are named in braces and filled in from the workbook's settings (settings.with_settings)
INSTRUCTIONS = [
    ("每月流程", ""),
    ("1. 每天", "在「拜访日报」登记每次拜访：日期、客户编号、方式、拜访结果、客户反馈；每天至少登记一条新的客户信息。"),
    ("2. 随时", "在「客户档案」维护客户信息；新客户先建档（客户编号在本工作簿内唯一）。联系人、计划、日报中的客户编号必须先在客户档案中存在，可从下拉框选择。"),
    ("3. 月底前", "在「拜访计划」按客户等级排好下月拜访：A 类每月至少一次，B 类每两个月，C 类每季度。"),
    ("4. 每月 5 日前", "把本工作簿（不要改名为其他代表的名字，也不要加密码）交给内勤或总监，由总监汇总。"),
    ("自动计算的列（灰色）", ""),
    ("评估得分", "由 7 个评估因素（1–5 分）按权重折算为 0–100 分；投入成本、成交风险、付款风险、技术难度反向计分（6−分值）。因素未填全时为空。"),
    ("客户等级", "A ≥ {grade_a}，B ≥ {grade_b}，C ≥ {grade_c}，否则 D；因素未填全为「未评级」。"),
    ("最近拜访 / 下次拜访", "最近拜访取拜访日报中该客户的最新日期；下次拜访 = 最近拜访（从未拜访则为建档日期）+ 等级对应周期（A {cadence_a} 天、B {cadence_b} 天、C {cadence_c} 天，D 不要求）。过期的日期显示为红色。"),
    ("档案完整率", "客户档案各项（客户编号除外）已填写的比例。"),
    ("校验", "本行的问题（如「客户名称必填；电话无效」）；为空表示无误，有问题的单元格标为红色。{native_check}"),
    ("按钮与公式", ""),
]
# the 按钮与公式 section differs: the .xlsm has buttons, the macro-free .xlsx points to it
BUTTON_HELP = [
    ("校验（按钮）", "按 kamxl 的规则检查整个工作簿（与总监汇总时相同）：问题列入「校验结果」表，每条可点击跳到单元格；有问题的单元格标为橙色，上次的标记先清除；最后弹窗显示拒收与警告的条数。"),
    ("新建拜访计划（按钮）", "在「拜访计划」末尾追加下个月的建议拜访：A/B/C 类客户中，按拜访周期在下个月到期（或已逾期）的，均匀排在下个月的工作日；下个月已有计划的客户跳过。可再自行修改。"),
    ("需要什么", "按钮和「客户档案」的完整校验需要这台电脑装有 Python 与 kamxl（IT 提供的安装包：py -m pip install kamxl-<版本>-py3-none-any.whl pywin32，再运行 kamxl excel setup，见 README「安装」），不需要另装 xlwings 加载项。未安装时按钮会弹窗说明，「校验」列改用不需要 Python 的常见检查，其他计算列照常工作。"),
    ("客户卡片", "在「客户卡片」选择客户编号即可打印该客户的档案卡。"),
]
NO_BUTTON_HELP = [
    ("按钮", "本文件为无宏版本（.xlsx，适用于不能运行宏的电脑和 WPS），没有按钮；「校验」列做不需要 Python 的常见检查。需要 校验 / 新建拜访计划 按钮时，请使用 rep_workbook.xlsm。汇总时所有数值都会重新计算，不依赖本文件中保存的结果。"),
    ("客户卡片", "在「客户卡片」选择客户编号即可打印该客户的档案卡。"),
]


def _settings_names(settings: Settings) -> dict[str, object]:
    return {f"kam_{key}": value for key, value, _ in settings_rows(settings)}


def define_names(wb: xlsxwriter.Workbook, names: Mapping[str, str]) -> None:
    """Define workbook-level names (name → formula with =), refusing what Excel would: xlsxwriter's checks of a
    name's characters, length and likeness to a cell reference, and a name defined twice (names ignore case)."""
    taken = {name.lower() for name, *_ in wb.defined_names}
    for name, formula in names.items():
        if name.lower() in taken or wb.define_name(name, formula) != 0:
            raise ValueError(f"not a name Excel accepts here: {name}")
        taken.add(name.lower())


def customer_formulas(lang: str = "zh") -> dict[str, str]:
    """The native formulas of the customer sheet's computed columns, as structured references."""
    t = TABLE_NAMES["customers"]
    col = {c.key: ref(t, c.header(lang)) for c in CUSTOMERS.columns}
    factors = [col[key] for key, _, _ in FACTORS]
    weighted = "+".join(f"kam_weight_{key}*" + (f"(6-{col[key]})" if inverse else col[key]) for key, _, inverse in FACTORS)
    weights = "+".join(f"kam_weight_{key}" for key, _, _ in FACTORS)
    first, last = CUSTOMERS.column(FACTORS[0][0]).header(lang), CUSTOMERS.column(FACTORS[-1][0]).header(lang)
    factor_range = f"{t}[@[{first}]:[{last}]]"
    score, grade, last_visit = col["value_score"], col["grade"], col["last_visit"]
    r = TABLE_NAMES["daily_report"]
    visit_date, visit_cid = DAILY_REPORT.column("date").header(lang), DAILY_REPORT.column("customer_id").header(lang)
    cadence = 'IF({g}="A",kam_cadence_a,IF({g}="B",kam_cadence_b,IF({g}="C",kam_cadence_c,kam_cadence_d)))'.format(g=grade)
    profile = [c for c in CUSTOMERS.columns if c.profile]
    profile_range = f"{t}[@[{profile[0].header(lang)}]:[{profile[-1].header(lang)}]]"
    cid = col["customer_id"]
    from .excel.functions import CHECK_HEADER

    native = native_check_formula(CUSTOMERS, lang)

    return {
        "value_score": f'=IF(OR(COUNT({factor_range})<{len(factors)},MIN({factor_range})<1,MAX({factor_range})>5),"",'
                       f'ROUND(({weighted})/(5*({weights}))*100,2))',
        "grade": f'=IF({cid}="","",IF({score}="","{UNGRADED}",IF({score}>=kam_grade_a,"A",IF({score}>=kam_grade_b,"B",IF({score}>=kam_grade_c,"C","D")))))',
        "last_visit": f'=IF({cid}="","",IF(COUNTIF({r}[{visit_cid}],{cid})=0,"",'
                      f'_xlfn.MAXIFS({r}[{visit_date}],{r}[{visit_cid}],{cid})))',
        "next_visit_due": f'=IF(OR({cid}="",{grade}="{UNGRADED}",{cadence}=0,AND({last_visit}="",{col["created_on"]}="")),"",'
                          f'IF({last_visit}="",{col["created_on"]},{last_visit})+{cadence})',
        "completeness": f'=IF({cid}="","",COUNTA({profile_range})/{len(profile)})',
        # KAM_CHECK answers 校验 for the header row (the .xlsm with Python): its full check wins. Anything else in
        # that cell (an error in WPS, LibreOffice, a macro-free copy; the text the VBA wrapper returns when Python
        # cannot start) says it did not run: the native checks answer instead
        "check": f'=IF(IFERROR({PYTHON_CHECK_NAME}="{CHECK_HEADER}",FALSE),IF({cid}="","",INDEX({PYTHON_CHECKS_NAME},ROW())&""),'
                 f'{native})',
    }


def check_formula(lang: str = "zh") -> str:
    """The one array UDF call behind the 校验 column: the whole customer table in, one message per row out."""
    t = TABLE_NAMES["customers"]
    inputs = CUSTOMERS.inputs
    return f"=KAM_CHECK({t}[[#All],[{inputs[0].header(lang)}]:[{inputs[-1].header(lang)}]])"


class _Book:
    """An xlsxwriter workbook with the formats every kamxl workbook shares."""

    def __init__(self, path: Path, lang: str, settings: Settings = DEFAULTS):
        self.lang, self.settings = lang, settings
        self.path, self._tmp = Path(path), temp_sibling(Path(path))  # xlsxwriter creates it at close
        self.wb = xlsxwriter.Workbook(str(self._tmp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                                  "strings_to_urls": False, "use_future_functions": False})
        self.wb.set_properties({"title": "kamxl", "author": "kamxl", "created": FIXED_TIMESTAMP})
        self.header = self.wb.add_format(HEADER_FORMAT)
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.bold = self.wb.add_format({"bold": True})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self._formats: dict = {}

    def cell_format(self, col: Column):
        as_text = col.type in (ColType.ID, ColType.PHONE, ColType.MOBILE, ColType.CREDIT_CODE)
        key = (column_kind(col), as_text, col.computed)
        if key not in self._formats:
            props: dict[str, object] = {"locked": col.computed}
            if as_text:
                props["num_format"] = "@"  # typed as text: 010020 keeps its zero
            elif NUMBER_FORMATS[key[0]]:
                props["num_format"] = NUMBER_FORMATS[key[0]]
            if col.computed:
                props["bg_color"] = "#EDEDED"
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def close(self):
        """Write the workbook beside its path and move it into place (the old file stays until then)."""
        try:
            self.wb.close()
            publish(self._tmp, self.path)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise


def _write_value(ws, row: int, col: int, value, fmt):
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否", fmt)
    elif isinstance(value, (datetime, date)):
        ws.write_datetime(row, col, value if isinstance(value, datetime) else datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _validation(col: Column, sheet: Sheet, column_index: int = 0, settings: Settings = DEFAULTS) -> dict | None:
    """The data-validation rule of a column, with its Chinese messages, or None."""
    help_text = {"input_title": col.label[:32], "input_message": col.guidance(settings)[:255]}
    if col.key == "customer_id" and sheet is not CUSTOMERS:
        return {"validate": "list", "source": f"={CUSTOMERS.name}!$A$2:$A${VALIDATION_ROWS + 1}",
                "error_title": "客户编号", "error_message": "请从下拉框选择「客户档案」中已有的客户编号。", **help_text}
    if col.type in (ColType.CHOICE, ColType.YES_NO) and col.choices:
        return {"validate": "list", "source": list(col.choices), "error_title": col.label[:32],
                "error_message": f"请从下拉框选择：{'/'.join(col.choices)}"[:255], **help_text}
    if col.type == ColType.FACTOR:
        return {"validate": "list", "source": ["1", "2", "3", "4", "5"], "error_title": col.label,
                "error_message": "请填写 1 到 5 的整数（1 低，5 高）。", **help_text}
    if col.type == ColType.DATE:
        return {"validate": "date", "criteria": "between", "minimum": date(1900, 1, 1), "maximum": date(2099, 12, 31),
                "error_title": col.label, "error_message": "请填写日期，如 2026-10-03。", "error_type": "warning", **help_text}
    if col.type == ColType.AMOUNT and sheet in REP_SHEETS:  # the rep's help offers 12.5万: the check accepts it
        cell = f"{xl_col_to_name(column_index)}2"
        number = cell
        for unit in ("万", "元", ",", "￥", "¥", " "):
            number = f'SUBSTITUTE({number},"{unit}","")'
        return {"validate": "custom", "value": f"=OR(AND(ISNUMBER({cell}),{cell}>=0),ISNUMBER(-{number}))",
                "error_title": col.label[:32], "error_message": f"请填写金额（单位：{col.unit}），如 12.5、12.5万、1,250,000元。",
                "error_type": "warning", **help_text}
    if col.type in (ColType.AMOUNT, ColType.INTEGER):
        return {"validate": "decimal" if col.type == ColType.AMOUNT else "integer", "criteria": ">=", "value": 0,
                "error_title": col.label[:32], "error_message": f"请填写不小于 0 的数字（单位：{col.unit or '个'}）。",
                "error_type": "warning", **help_text}
    return {"validate": "any", **help_text}


# beside each customer-id picker of 联系人 / 拜访计划 / 拜访日报: the customer's name, looked up (not read back)
CUSTOMER_NAME_LOOKUP = Column("customer_name", CUSTOMERS.column("name").label, computed=True, help="按客户编号从「客户档案」查出", width=20)
# last on 联系人 / 拜访计划 / 拜访日报: the native checks of the row (客户档案 has its own 校验, KAM_CHECK's)
ROW_CHECK = Column("check", CUSTOMERS.column("check").label, computed=True, help="本行的常见问题（不需要 Python）；为空表示无误", width=30)


def customer_name_formula(sheet: Sheet, lang: str = "zh") -> str:
    """The looked-up 客户名称 beside a sheet's 客户编号: blank until an id is picked, a note when it is unknown."""
    cid = ref(TABLE_NAMES[sheet.key], sheet.column("customer_id").header(lang))
    t = TABLE_NAMES["customers"]
    name, ids = CUSTOMERS.column("name").header(lang), CUSTOMERS.column("customer_id").header(lang)
    return f'=IF({cid}="","",IFERROR(INDEX({t}[{name}],MATCH({cid},{t}[{ids}],0)),"（不在客户档案中）"))'


def _columns(sheet: Sheet) -> list[Column]:
    columns = list(sheet.columns)
    if sheet is not CUSTOMERS and any(c.key == "customer_id" for c in columns):
        at = next(i for i, c in enumerate(columns) if c.key == "customer_id") + 1
        columns.insert(at, CUSTOMER_NAME_LOOKUP)
    if sheet in CHECKED_SHEETS and sheet is not CUSTOMERS:
        columns.append(ROW_CHECK)
    return columns + helper_columns(sheet)  # hidden, last: what 校验 reads


# the functions xlsxwriter prefixes with _xlfn. even when future functions are off (its _prepare_formula): a formula
# holding none of them is written as it is — xlsxwriter's 30 searches of each 6,000-character native check formula
# took 40 s of a demo team
_DYNAMIC_FUNCTION = re.compile(r"\b(?:ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|"
                               r"MAKEARRAY|MAP|RANDARRAY|REDUCE|SCAN|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|TOCOL|"
                               r"TOROW|UNIQUE|VSTACK|WRAPCOLS|WRAPROWS|XLOOKUP)\(|SINGLE\(|_xlfn\.")


def _quick_formulas(ws) -> None:
    """Let the worksheet skip xlsxwriter's formula rewriting where it would change nothing (same bytes written)."""
    prepare = ws._prepare_formula

    def quick(formula: str, expand_future_functions: bool = False) -> str:
        if ws.use_future_functions or expand_future_functions or _DYNAMIC_FUNCTION.search(formula):
            return prepare(formula, expand_future_functions)
        formula = formula[1:] if formula.startswith("{") else formula
        formula = formula[1:] if formula.startswith("=") else formula
        return formula[:-1] if formula.endswith("}") else formula

    ws._prepare_formula = quick


_ROW_RELATIVE = re.compile(r"(?<![\w\]$])\$?[A-Z]{1,3}\d+(?![\w(])")  # A2, $A2: would move down a shared formula


def _sharable(formula: str) -> bool:
    """Whether Excel can hold `formula` as a shared formula: no row-relative A1 reference (it would move down), and
    none of what MS-XLSB's SharedParsedFormula forbids that a formula's text shows — an array constant ({1,2}) or a
    reference to another sheet."""
    return not _ROW_RELATIVE.search(formula) and "{" not in formula and "!" not in formula


def _shared_formulas(ws, cells: dict[str, tuple[int, str | None]]) -> None:
    """Write the formula cells named in `cells` as one shared formula a column, as Excel writes a filled column.

    `cells`: cell → (the group's index, the group's range on its first cell, else None). Every cell of a group holds
    the same text, with structured (this-row) and absolute references only, so sharing it changes nothing; a
    spreadsheet reads the group's formula once instead of once a row (LibreOffice spent most of a big workbook's
    recalculation reading the native 校验 formulas, row after row).
    """
    write = ws._xml_formula_element

    def shared(formula: str, result, attributes=[]) -> None:
        at = cells.get(attributes[0][1]) if attributes else None
        if at is None:
            return write(formula, result, attributes)
        si, span = at
        attr = "".join(f' {k}="{ws._escape_attributes(v)}"' for k, v in attributes)
        f = (f'<f t="shared" ref="{span}" si="{si}">{ws._escape_data(formula)}</f>' if span
             else f'<f t="shared" si="{si}"/>')
        ws.fh.write(f"<c{attr}>{f}<v>{ws._escape_data(result)}</v></c>")

    ws._xml_formula_element = shared


def _data_sheet(book: _Book, sheet: Sheet, rows: list[Mapping] | None, formulas: dict[str, str], blank_rows: int):
    ws = book.wb.add_worksheet(sheet.name)
    _quick_formulas(ws)
    columns = _columns(sheet)
    if CUSTOMER_NAME_LOOKUP in columns:
        formulas = {**formulas, CUSTOMER_NAME_LOOKUP.key: customer_name_formula(sheet, book.lang)}
    if ROW_CHECK in columns:
        formulas = {**formulas, ROW_CHECK.key: "=" + native_check_formula(sheet, book.lang)}
    helpers = helper_columns(sheet)
    formulas = {**formulas, **helper_formulas(sheet, book.lang)}
    body = rows if rows else [{}] * max(blank_rows, 1)  # a table needs one body row
    last_row = len(body)
    table_columns = []
    for c in columns:
        spec = {"header": c.header(book.lang), "header_format": book.header, "format": book.cell_format(c)}
        if c.key in formulas:
            spec["formula"] = formulas[c.key]
        table_columns.append(spec)
    ws.add_table(0, 0, last_row, len(columns) - 1, {"name": TABLE_NAMES[sheet.key], "columns": table_columns,
                                                     "style": "Table Style Medium 2"})
    shared: dict[str, tuple[int, str | None]] = {}
    sharable = [i for i, c in enumerate(columns) if c.key in formulas and _sharable(formulas[c.key])]
    for si, i in enumerate(sharable if last_row > 1 else ()):
        letter = xl_col_to_name(i)
        shared |= {f"{letter}{r + 1}": (si, f"{letter}2:{letter}{last_row + 1}" if r == 1 else None)
                   for r in range(1, last_row + 1)}
    _shared_formulas(ws, shared)
    for r, record in enumerate(body, start=1):
        for i, c in enumerate(columns):
            if c.key not in formulas:
                _write_value(ws, r, i, record.get(c.key), book.cell_format(c))
            else:
                # cached result "" (xlsxwriter's default is 0): a viewer that does not recalculate, and the
                # reader, see a blank cell instead of 0, 0.0 or 1899-12-30
                formula = formulas[c.key].replace("[@[", "[[#This Row],[")
                ws.write_formula(r, i, formula, book.cell_format(c), "")
    for i, c in enumerate(columns):
        if c in helpers:  # hidden (so not printed either), no comment
            ws.set_column(i, i, c.width, book.cell_format(c), {"hidden": True})
            continue
        ws.set_column(i, i, c.width, book.cell_format(c))
        ws.write_comment(0, i, f"{c.label}：{c.guidance(book.settings)}", {"x_scale": 1.6, "y_scale": 0.8})
        rule = None if c.computed else _validation(c, sheet, i, book.settings)
        if rule:
            ws.data_validation(1, i, VALIDATION_ROWS, i, rule)
    ws.freeze_panes(1, 2 if sheet is CUSTOMERS else 1)
    ws.set_row(0, 32)
    ws.set_landscape()
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)  # A4
    return ws


def _customer_conditional_formats(book: _Book, ws):
    letter = {c.key: xl_col_to_name(i) for i, c in enumerate(CUSTOMERS.columns)}
    g = letter["grade"]
    for grade, colour in GRADE_COLOURS.items():
        ws.conditional_format(f"{g}2:{g}{VALIDATION_ROWS + 1}", {"type": "cell", "criteria": "==", "value": f'"{grade}"',
                                                               "format": book.wb.add_format({"bg_color": colour})})
    n = letter["next_visit_due"]
    ws.conditional_format(f"{n}2:{n}{VALIDATION_ROWS + 1}", {
        "type": "formula", "criteria": f"=AND(ISNUMBER(${n}2),${n}2<TODAY())",
        "format": book.wb.add_format({"font_color": "#C00000", "bold": True, "bg_color": "#FFC7CE"})})


def _check_marks(book: _Book, ws, sheet: Sheet):
    """Mark 校验 when it says anything, and each checked cell whose column its message names (one rule a column)."""
    columns = _columns(sheet)
    letter = {c.key: xl_col_to_name(i) for i, c in enumerate(columns)}
    k = letter["check"]
    ws.conditional_format(f"{k}2:{k}{VALIDATION_ROWS + 1}", {
        "type": "formula", "criteria": f'=LEN(${k}2)>0', "format": book.wb.add_format({"bg_color": "#FFEB9C"})})
    marked = book.wb.add_format({"bg_color": "#F8CBAD", "border": 1, "border_color": "#C00000"})
    # every native message starts with its column's label and follows a 「；」: no label is another's continuation
    for col in dict.fromkeys(col for col, _, _ in native_checks(sheet, book.lang)):
        x = letter[col.key]
        ws.conditional_format(f"{x}2:{x}{VALIDATION_ROWS + 1}", {
            "type": "formula", "criteria": f'=ISNUMBER(FIND("{CHECK_SEPARATOR}{col.label}","{CHECK_SEPARATOR}"&${k}2))',
            "format": marked})


def _instructions(book: _Book, rep: str | None, buttons: tuple = ()):
    ws = book.wb.add_worksheet(INSTRUCTIONS_SHEET)
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, INSTRUCTIONS_WIDTH, book.wrap)
    head_format = book.wb.add_format({"bold": True, "valign": "top"})
    ws.write(0, 0, "大客户经理工作簿（kamxl）", book.title)
    ws.write(2, 0, REP_NAME_LABEL, book.bold)
    ws.write(2, 1, rep or "", book.wb.add_format({"bg_color": "#FFF2CC", "locked": False}))
    ws.write_comment(2, 1, "请填写您的姓名，汇总时按此识别代表。")
    ws.write(3, 0, TEMPLATE_VERSION_LABEL, book.bold)
    ws.write(3, 1, TEMPLATE_VERSION)
    row = 5
    if buttons:
        ws.write(row, 0, "按钮", book.bold)
        ws.set_row(row, 30)
        for i, button in enumerate(buttons):
            caption = button.caption if book.lang == "zh" else f"{button.caption} {button.caption_en}"
            ws.insert_button(row, 1, {"macro": button.macro, "caption": caption, "width": 130, "height": 30,
                                      "x_offset": 4 + i * 140})
        row += 2
    instructions = [(head, with_settings(text.replace("{native_check}", native_check_help()), book.settings))
                    for head, text in INSTRUCTIONS]
    for head, text in instructions + (BUTTON_HELP if buttons else NO_BUTTON_HELP):
        ws.write(row, 0, head, head_format)
        if text:
            ws.write(row, 1, text, book.wrap)
            # spreadsheets do not grow a wrapped row on their own when printing: give it its lines' height
            ws.set_row(row, 16 * _wrapped_lines(text, INSTRUCTIONS_WIDTH) + 2)
        row += 1
    ws.print_area(0, 0, row, 1)
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)
    ws.activate()


INSTRUCTIONS_WIDTH = 76  # characters of column B on 说明: with column A it fits a portrait A4 page


def _wrapped_lines(text: str, width: int) -> int:
    """Lines a text takes in a column `width` characters wide (a CJK character counts two)."""
    import math
    import unicodedata

    units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return max(1, math.ceil(units / (width - 4)))


def _customer_card(book: _Book):
    ws = book.wb.add_worksheet(CARD_SHEET)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 44)
    ws.write(0, 0, "客户档案卡", book.title)
    ws.write(2, 0, "客户编号", book.bold)
    pick = book.wb.add_format({"bg_color": "#FFF2CC", "locked": False, "num_format": "@", "border": 1})
    ws.write_blank(2, 1, None, pick)
    ws.data_validation(2, 1, 2, 1, {"validate": "list", "source": f"={CUSTOMERS.name}!$A$2:$A${VALIDATION_ROWS + 1}",
                                    "input_title": "选择客户", "input_message": "从下拉框选择要打印的客户"})
    for i, c in enumerate(CUSTOMERS.columns[1:], start=1):
        letter = xl_col_to_name(i)
        ws.write(2 + i, 0, c.label, book.bold)
        cell = f"INDEX({CUSTOMERS.name}!${letter}:${letter},MATCH($B$3,{CUSTOMERS.name}!$A:$A,0))"
        # shown as text, so a date reads as a date and a blank as blank (not 0)
        shown = {ColType.DATE: f'IF({cell}="","",TEXT({cell},"yyyy-mm-dd"))'}.get(c.type, f'{cell}&""')
        if c.key == "completeness":
            shown = f'IF({cell}="","",TEXT({cell},"0%"))'
        ws.write_formula(2 + i, 1, f'=IF($B$3="","",IFERROR({shown},""))', book.wrap, "")
    ws.print_area(0, 0, 2 + len(CUSTOMERS.columns), 1)
    ws.fit_to_pages(1, 1)
    ws.set_paper(9)
    ws.center_horizontally()


def build_rep_workbook(path: str | Path, rep: str | None = None, data: Mapping[str, list[Mapping]] | None = None,
                       lang: str = "zh", settings: Settings = DEFAULTS) -> Path:
    """Write a rep workbook: 说明 and the four data sheets, filled with `data` (sheet key → rows) if given.

    A `.xlsm` path gets the buttons 校验 and 新建拜访计划, xlwings' runtime and the KAM_ wrappers (see excel/vba.py).
    """
    from .excel.vba import REP_BUTTONS, build_macro_workbook

    path = Path(path)
    macros = path.suffix.lower() == ".xlsm"
    written = path.with_name(f".{path.stem}.building.xlsm") if macros else path
    book = _Book(written, lang, settings)
    define_names(book.wb, {name: f'="{value}"' if isinstance(value, str) else f"={value}"
                           for name, value in _settings_names(settings).items()})
    define_names(book.wb, {**native_check_names(), **PYTHON_CHECK_NAMES})
    _instructions(book, rep, REP_BUTTONS if macros else ())
    blank = 0 if data else TEMPLATE_BLANK_ROWS
    for spec in REP_SHEETS:
        formulas = customer_formulas(lang) if spec is CUSTOMERS else {}
        ws = _data_sheet(book, spec, (data or {}).get(spec.key), formulas, blank)
        if spec is CUSTOMERS:
            _customer_conditional_formats(book, ws)
        if spec in CHECKED_SHEETS:
            _check_marks(book, ws, spec)
    _customer_card(book)
    check = book.wb.add_worksheet(CHECK_SHEET)
    check.write_dynamic_array_formula(0, 0, 0, 0, check_formula(lang))
    check.hide()
    if macros:
        return build_macro_workbook(book.wb, written, path, close=book.close)
    book.close()
    return path


def build_templates(out_dir: str | Path, lang: str = "zh") -> list[Path]:
    """The empty templates users copy: rep_workbook.xlsx, rep_workbook.xlsm (with buttons) and kpi_sheet.xlsx."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "zh" else f"_{lang}"
    from .kpi_workbook import build_kpi_workbook

    return [build_rep_workbook(out / f"rep_workbook{suffix}.xlsx", lang=lang),
            build_rep_workbook(out / f"rep_workbook{suffix}.xlsm", lang=lang),
            build_kpi_workbook(out / f"kpi_sheet{suffix}.xlsx", lang=lang)]
