"""The director's KPI workbook (考核指标, 团队, 参数): built from the schema and the settings in force."""

from pathlib import Path
from typing import Iterable, Mapping

from xlsxwriter.utility import xl_col_to_name

from .io.outputs.xlsx_stream import WHOLE_FORMATS, column_kind
from .native_check import TABLE_NAMES, ref
from .schema import KPI_INPUTS, KPIS, SETTINGS_SHEET, TEAM
from .settings import DEFAULTS, Settings, setting_label, settings_rows
from .templates import (TEMPLATE_BLANK_ROWS, VALIDATION_ROWS, _Book, _columns, _data_sheet, _wrapped_lines,
                        _write_value)


def kpi_formulas(lang: str = "zh") -> dict[str, str]:
    """Native formulas of the KPI sheet's points, total and rating, reading the 参数 sheet through names."""
    t = TABLE_NAMES["kpi"]
    col = {c.key: ref(t, c.header(lang)) for c in KPI_INPUTS.columns}
    from .rules.kpi import KPI_INPUTS as RATIO_INPUTS

    formulas = {}
    for k in KPIS:
        p, s, st, d = (f"kam_{x}_{k.key}" for x in ("points", "standard", "step", "deduction"))
        if k.key in RATIO_INPUTS:
            actual, plan = (col[x] for x in RATIO_INPUTS[k.key])
            ratio = f"ROUND({actual}/{plan}*100,6)"
            gap = f"{s}-{ratio}" if k.higher_is_better else f"{ratio}-{s}"
            formulas[f"points_{k.key}"] = (f'=IF(OR({plan}="",{plan}=0,{actual}=""),"",'
                                           f"MAX(0,{p}-{d}*INT(ROUND(MAX(0,{gap}),6)/{st})))")
        elif not k.ratio:
            count = col[k.key]
            formulas[f"points_{k.key}"] = f'=IF({col["rep"]}="","",MAX(0,{p}-{d}*INT(MAX(0,N({count})-{s})/{st})))'
    points = [(f"points_{k.key}", f"kam_points_{k.key}") for k in KPIS]
    possible = "+".join(f"ISNUMBER({col[c]})*{name}" for c, name in points)
    scored = "+".join(f"N({col[c]})" for c, _ in points)
    formulas["total"] = f'=IF(({possible})=0,"",ROUND(({scored})/({possible})*100,1))'
    total = col["total"]
    formulas["rating"] = (f'=IF({total}="","",IF({total}>=kam_rating_excellent,"优秀",IF({total}>=kam_rating_good,"良好",'
                          f'IF({total}>=kam_rating_pass,"合格","不合格"))))')
    return formulas


KPI_PRINT_SCALE = 65  # percent: 考核指标's inputs (columns A–M, A–B repeated) fill a landscape A4 page; 11 pt × 0.65 ≈ 7 pt
SETTINGS_WIDTHS = (32, 7, 38, 22)  # 参数, 值, 说明 (wrapped) fit a portrait A4 page; the English key is not printed


def _whole_amounts(book: _Book, ws) -> None:
    """Amounts and points show their decimals only when they have some: 20,000 and 17, not 20,000.00 and 17.00."""
    whole = book.wb.add_format({"num_format": WHOLE_FORMATS["amount"]})
    for i, c in enumerate(_columns(KPI_INPUTS)):
        if column_kind(c) == "amount":
            x = xl_col_to_name(i)
            ws.conditional_format(f"{x}2:{x}{VALIDATION_ROWS + 1}", {
                "type": "formula", "criteria": f"=AND(ISNUMBER({x}2),{x}2=INT({x}2))", "format": whole})


def _settings_sheet(book: _Book) -> None:
    """参数: each setting's label, value and meaning on one printed row (the English key beside, grey, not printed);
    each value is named kam_<key> for the formulas of 考核指标."""
    ws = book.wb.add_worksheet(SETTINGS_SHEET)
    en = book.lang == "en"
    heads = ["key", "value", "meaning"] if en else ["参数", "值", "说明", "key"]
    ws.write_row(0, 0, heads, book.header)
    label_format = book.wb.add_format({"valign": "top", "text_wrap": True})
    value_format = book.wb.add_format({"locked": False, "bg_color": "#FFF2CC", "valign": "top", "align": "left"})
    key_format = book.wb.add_format({"font_color": "#808080", "valign": "top"})
    for i, (width, fmt) in enumerate(zip(SETTINGS_WIDTHS, (label_format, value_format, book.wrap, key_format))):
        if i < len(heads):
            ws.set_column(i, i, width, fmt)
    rows = settings_rows(book.settings)
    for r, (key, value, meaning) in enumerate(rows, start=1):
        label = setting_label(key, book.lang)
        ws.write_string(r, 0, label, label_format)
        _write_value(ws, r, 1, value, value_format)
        ws.write_string(r, 2, meaning, book.wrap)
        if not en:
            ws.write_string(r, 3, key, key_format)
        ws.set_row(r, 16 * max(_wrapped_lines(label, SETTINGS_WIDTHS[0]), _wrapped_lines(meaning, SETTINGS_WIDTHS[2])) + 2)
        book.wb.define_name(f"kam_{key}", f"={SETTINGS_SHEET}!$B${r + 1}")
    ws.freeze_panes(1, 0)
    ws.print_area(0, 0, len(rows), 2)
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)  # A4, portrait


def build_kpi_workbook(path: str | Path, team: Iterable[Mapping] = (), kpi_rows: Iterable[Mapping] = (),
                       lang: str = "zh", settings: Settings = DEFAULTS) -> Path:
    """Write the director's KPI workbook: 考核指标, 团队 and 参数 (settings with their labels and meanings)."""
    path = Path(path)
    book = _Book(path, lang, settings)
    kpi_rows, team = list(kpi_rows), list(team)
    kpi = _data_sheet(book, KPI_INPUTS, kpi_rows, kpi_formulas(lang), 0 if kpi_rows else TEMPLATE_BLANK_ROWS)
    # tall enough for the longest header wrapped in its column: 预估总分（不含流失率、档案完整率） is not clipped when printed
    kpi.set_row(0, 16 * max(2, *(_wrapped_lines(c.header(lang), c.width) for c in _columns(KPI_INPUTS))))
    # one page width would print at about 4 pt: the inputs on one page, the points on the next, 期间 and 代表姓名 on both
    kpi.set_print_scale(KPI_PRINT_SCALE)
    kpi.set_v_pagebreaks([next(i for i, c in enumerate(_columns(KPI_INPUTS)) if c.computed)])
    kpi.repeat_columns(0, 1)
    _data_sheet(book, TEAM, team, {}, 0 if team else TEMPLATE_BLANK_ROWS)
    _whole_amounts(book, kpi)
    _settings_sheet(book)
    book.close()
    return path
