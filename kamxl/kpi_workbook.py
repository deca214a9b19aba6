"""The director's KPI workbook (考核指标, 团队, 参数): built from the schema and the settings in force."""

from pathlib import Path
from typing import Iterable, Mapping

from .native_check import TABLE_NAMES, ref
from .schema import KPI_INPUTS, KPIS, SETTINGS_SHEET, TEAM
from .settings import DEFAULTS, Settings, settings_rows
from .templates import TEMPLATE_BLANK_ROWS, _Book, _columns, _data_sheet, _wrapped_lines, _write_value


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


def build_kpi_workbook(path: str | Path, team: Iterable[Mapping] = (), kpi_rows: Iterable[Mapping] = (),
                       lang: str = "zh", settings: Settings = DEFAULTS) -> Path:
    """Write the director's KPI workbook: 考核指标, 团队 and 参数 (settings with their meanings)."""
    path = Path(path)
    book = _Book(path, lang, settings)
    kpi_rows, team = list(kpi_rows), list(team)
    kpi = _data_sheet(book, KPI_INPUTS, kpi_rows, kpi_formulas(lang), 0 if kpi_rows else TEMPLATE_BLANK_ROWS)
    # tall enough for the longest header wrapped in its column: 预估总分（不含流失率、档案完整率） is not clipped when printed
    kpi.set_row(0, 16 * max(2, *(_wrapped_lines(c.header(lang), c.width) for c in _columns(KPI_INPUTS))))
    _data_sheet(book, TEAM, team, {}, 0 if team else TEMPLATE_BLANK_ROWS)
    ws = book.wb.add_worksheet(SETTINGS_SHEET)
    ws.write_row(0, 0, ["参数", "值", "说明"], book.header)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 12, book.wb.add_format({"locked": False, "bg_color": "#FFF2CC"}))
    ws.set_column(2, 2, 60)
    for r, (key, value, meaning) in enumerate(settings_rows(settings), start=1):
        ws.write_string(r, 0, key)
        _write_value(ws, r, 1, value, None)
        ws.write_string(r, 2, meaning)
        book.wb.define_name(f"kam_{key}", f"={SETTINGS_SHEET}!$B${r + 1}")
    ws.freeze_panes(1, 0)
    book.close()
    return path
