"""Writing the department roll-up workbook: 总览 with native charts, then one Excel table per sheet."""

import math
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from ... import rollup_schema as rs
from ...errors import KamxlError
from ...messages import render
from ...problems import Problem, Severity
from ...rollup_model import (STATUS_OK, Rollup, department_figures, left_out_text, previous_rank, rep_figures,
                             rollup_figures_rows)
from ...rules.standing import CLOSE, MET, MISSED, standard_text, standing
from ...schema import GRADES, KPI_INPUTS, KPIS, REP_SHEETS, STAGES, UNGRADED
from ..machinery.isolation import collector_paused, release_freed_memory
from ..machinery.spill import Detail
from .blocks import Body, part_blocks
from .xlsx_stream import GRADE_COLOURS, Col, StreamingWorkbook, Table, text_lines

SHEETS = rs.SHEETS  # the last two are hidden


BLOCK_ROWS = 16_384
EXCEL_ROWS = 1_048_576  # rows an Excel sheet holds: the design's ceiling (README: Performance)
EXCEL_COLUMNS = 16_384  # columns an Excel sheet holds (A to XFD): a rep's extra columns only as far as they fit


class RollupTooLong(KamxlError):
    "A roll-up sheet would have more rows than an Excel sheet holds"


def _col(c: rs.RollupColumn) -> Col:
    return Col(c.label, c.kind, c.width, c.prints, c.wraps)


def _table(spec: rs.RollupTable, data: Sequence[Sequence], **options) -> Table:
    """A small roll-up table, its columns as the roll-up schema declares them; `data` column by column."""
    return Table(spec.sheet, spec.table, [_col(c) for c in spec.columns], data, **options)


def _dropped_problems(spec: rs.RollupTable, rows: "pd.DataFrame | Detail", dropped: list) -> list[Problem]:
    """One warning per file and sheet naming the rep's extra columns left out of the roll-up (past column XFD)."""
    by_file: dict[str, list] = {}
    if isinstance(rows, Detail):
        for part in rows.parts:
            by_file.setdefault(part.file, []).extend(c for c in dropped if c in part.columns)
    else:
        files = rows["file"] if "file" in rows.columns else pd.Series([""] * len(rows), index=rows.index)
        for column in dropped:  # a file lacking a column has NaN in it: the files with a value had it
            for file in dict.fromkeys(files[rows[column].notna()].tolist()):
                by_file.setdefault(file, []).append(column)
    sheet = next((s.name for s in REP_SHEETS if s.key == spec.key), spec.sheet)
    problems = []
    for file, columns in by_file.items():
        if not columns:
            continue
        named = rs.named_columns(columns)
        problems.append(Problem(file, sheet, None, None, named, "extra_columns_dropped", Severity.WARNING,
                                (("count", len(columns)), ("named", named), ("limit", EXCEL_COLUMNS),
                                 ("rollup_sheet", spec.sheet))))
    return problems


def _sheet_table(spec: rs.RollupTable, rows: "pd.DataFrame | Detail", names: dict | None = None,
                 problems: list[Problem] | None = None) -> Table:
    """A roll-up table of a rep sheet, laid out as `spec` declares: 代表, the sheet's columns, computed columns,
    the rep's own extra columns, then 来源文件 and 源行号.

    `rows`: a frame, or a detail sheet streamed from disk file by file (io/machinery/spill.py) so that only one
    workbook's rows are in memory at a time. `names`: file → customer id → 客户名称, for a detail sheet's
    客户名称 column (filled block by block; blank when the customer is unknown). The sheet stays within Excel's
    16,384 columns: our own columns first, the rep's extra columns only as far as they fit; a warning for each
    file whose columns are left out is added to `problems`.
    """
    # the rep template's own looked-up 客户名称 and 校验 (formulas' last results) give way to the roll-up's own
    extras = rs.extra_keys(spec, list(rows.columns))
    room = EXCEL_COLUMNS - len(spec.columns)
    if len(extras) > room:
        extras, dropped = extras[:room], extras[room:]
        if problems is not None:
            problems += _dropped_problems(spec, rows, dropped)
    head, tail = spec.columns[:spec.extras_at], spec.columns[spec.extras_at:]
    columns = [_col(c) for c in head] + [Col(str(extra), "text", 12, prints=False) for extra in extras] + [_col(c) for c in tail]
    keys = [c.key for c in head] + extras + [c.key for c in tail]
    # NaN in a rep's extra column: a file lacking the column
    body = Body(keys, frozenset(extras), rs.CUSTOMER_NAME.key if names is not None else None, names)

    # a detail sheet file by file, a frame in slices: the cells of one block at a time are turned into Python values
    blocks: list[tuple[int, Callable[[], Sequence[Sequence]]]]
    if isinstance(rows, Detail):
        blocks = [block for part in rows.parts for block in part_blocks(part, body)]
    else:
        blocks = [(n, partial(lambda i, n: body(rows.iloc[i:i + n], n), i, n))
                  for i, n in ((i, min(BLOCK_ROWS, len(rows) - i)) for i in range(0, len(rows), BLOCK_ROWS))]
    return Table(spec.sheet, spec.table, columns, blocks=blocks, freeze=(1, 2))


def _customers_table(rollup: Rollup, problems: list[Problem] | None = None) -> Table:
    frame = rollup.customers
    spec = rs.CUSTOMER_TABLE
    table = _sheet_table(spec, frame, problems=problems)
    headers = [c.header for c in table.columns]
    n = max(len(frame), 1) + 1
    grade = xl_col_to_name(headers.index(spec.label("grade")))
    overdue = xl_col_to_name(headers.index(spec.label("overdue")))
    last = xl_col_to_name(len(headers) - 1)
    table.conditional = [(f"{grade}2:{grade}{n}", {"type": "cell", "criteria": "==", "value": f'"{g}"',
                                                    "format": {"bg_color": c}}) for g, c in GRADE_COLOURS.items()]
    table.conditional.append((f"A2:{last}{n}", {"type": "formula", "criteria": f'=${overdue}2="{rs.YES}"',
                                                "format": {"font_color": "#C00000"}}))
    return table


def _customer_names(rollup: Rollup) -> dict[str, dict]:
    """file → customer id → 客户名称, for the detail sheets' 客户名称 beside their 客户编号."""
    c = rollup.customers
    names: dict[str, dict] = {}
    if len(c):
        for file, customer, name in zip(c["file"].tolist(), c["customer_id"].tolist(), c["name"].tolist()):
            names.setdefault(file, {})[customer] = name
    return names


def _score_table(rollup: Rollup) -> Table:
    spec, scores = rs.SCORE_TABLE, rollup.scores
    before = [previous_rank(rollup, s.rep) for s in scores]
    rate = [s.activity_figure("valid_info_rate") for s in scores]
    by_key: dict[str, list] = {
        "rank": [s.rank for s in scores], "rep": [s.rep for s in scores],
        "status": [rs.WORKBOOK_STATUS[s.status] for s in scores], "previous_rank": before,
        "rank_change": [_rank_change(b, s.rank, _ranked_before(rollup)) for b, s in zip(before, scores)],
        "total": [s.card.total for s in scores],
        "scaled": [rs.scaled_text(s.card.possible, s.card.full) if s.card.scaled else None for s in scores],
        "rating": [s.card.rating for s in scores], "warning": [s.card.warning for s in scores],
        "left_out": [left_out_text(s.card.missing, s.card.reasons) or None for s in scores],
        "visits": [s.activity_figure("visits") for s in scores],
        "valid_info_rate": [r / 100 if r is not None else None for r in rate],
        "trip_days": [s.activity_figure("trip_days") for s in scores],
    }
    for k in KPIS:
        values = [s.card.values.get(k.key) for s in scores]
        by_key[f"value_{k.key}"] = [(v / 100 if v is not None and k.ratio else v) for v in values]
        by_key[f"points_{k.key}"] = [s.card.points.get(k.key) for s in scores]
    table = _table(spec, [by_key[key] for key in spec.keys], freeze=(1, 2))
    # 第13条: at least min_trip_days a month on the road
    months = len(rollup.period.months())
    trips, warned = xl_col_to_name(spec.index("trip_days")), xl_col_to_name(spec.index("warning"))
    n = max(len(scores), 1) + 1
    table.conditional = [
        (f"{trips}2:{trips}{n}", {"type": "cell", "criteria": "<", "value": rollup.settings.min_trip_days * months,
                                  "format": {"font_color": "#C00000", "bold": True}}),
        (f"A2:{xl_col_to_name(len(spec.columns) - 1)}{n}", {"type": "formula", "criteria": f'=${warned}2="{rs.YES}"',
                                                             "format": {"bg_color": "#FFC7CE"}}),
    ]
    return table


def _rank_change(before: int | None, now: int | None, has_previous: bool) -> str | None:
    """↑2, ↓1, = (unchanged), 新 (not ranked last period); blank without last period's figures."""
    if not has_previous or now is None:
        return None
    if before is None:
        return "新"
    return "=" if before == now else f"↑{before - now}" if before > now else f"↓{now - before}"


def _ranked_before(rollup: Rollup) -> bool:
    """Last period's roll-up carries its ranking (one written before the figures sheet does not)."""
    return rollup.previous is not None and bool(rollup.previous.reps)


def _compliance_table(rollup: Rollup) -> Table:
    frame = rollup.customers[[bool(x) for x in rollup.customers["overdue"]]] if len(rollup.customers) else rollup.customers
    frame = frame.sort_values(["rep", "grade", "next_visit_due"], kind="stable") if len(frame) else frame
    end = rollup.period.end
    computed = {"days_overdue": [(end - d).days if d is not None else None for d in frame["next_visit_due"]]}
    data = [computed[c.key] if c.key in computed else list(frame[c.key]) for c in rs.COMPLIANCE_TABLE.columns]
    return _table(rs.COMPLIANCE_TABLE, data, freeze=(1, 1))


def _funnel_table(rollup: Rollup) -> Table:
    customers = rollup.customers
    counts = {rep: {s: 0 for s in STAGES} for rep in rollup.reps}
    for rep, stage in zip(customers["rep"], customers["stage"]):
        if stage in STAGES:
            counts.setdefault(rep, {s: 0 for s in STAGES})[stage] += 1
    names = list(counts)
    data = [names] + [[counts[r][s] for r in names] for s in STAGES] + [[sum(counts[r].values()) for r in names]]
    return _table(rs.FUNNEL_TABLE, data, freeze=(1, 1))


def _columns_of(spec: rs.RollupTable, rows: Sequence[Sequence]) -> list[list]:
    return [list(x) for x in zip(*rows)] if rows else [[] for _ in spec.columns]


def _duplicates_table(rollup: Rollup) -> Table:
    rows = [(g["key"], len({c["rep"] for c in g["customers"]}), c["rep"], c["customer_id"], c["name"])
            for g in rollup.duplicates for c in g["customers"]]
    return _table(rs.DUPLICATE_TABLE, _columns_of(rs.DUPLICATE_TABLE, rows))


def _problems_table(rollup: Rollup, written: Sequence[Problem] = ()) -> Table:
    """数据问题: the roll-up's problems, then those found while writing it (`written`: columns past XFD)."""
    raw: dict[tuple[str, str | None, int | None], dict] = {(f, s, r.row): r.raw for f, s, r in rollup.rejected}
    rows = []
    for p in [*rollup.problems, *written]:
        values = raw.get((p.file, p.sheet, p.row)) if p.severity == "rejected" else None
        rows.append((p.file, p.sheet, p.row, p.column, p.value, p.message(), Severity(p.severity).label("zh"),
                     rs.RAW_ROW_SEPARATOR.join(f"{k}={v}" for k, v in values.items() if v) if values else None))
    return _table(rs.PROBLEM_TABLE, _columns_of(rs.PROBLEM_TABLE, rows), freeze=(1, 0))


def _sources_table(rollup: Rollup) -> Table:
    rows = []
    for s in rollup.sources:
        row = [Path(s.path).name, s.path, s.sha256, s.rep, rs.FILE_STATUS[s.status], s.reason]
        for key in rs.SOURCE_SHEETS:
            row += [s.sheets.get(key, {}).get(c) for c in rs.SOURCE_COUNTS]
        balanced = all(v["read"] == v["accepted"] + v["rejected"] for v in s.sheets.values())
        row.append(rs.BALANCED[balanced] if s.sheets else None)
        rows.append(row)
    return _table(rs.SOURCE_TABLE, _columns_of(rs.SOURCE_TABLE, rows))


def _pareto_points(rollup: Rollup, steps: int = 100) -> list[tuple[float, float]]:
    """(share of customers, share of purchases) at `steps` points along the customers sorted by purchase."""
    amounts = sorted((a for a in rollup.customers["annual_purchase"] if a is not None and a > 0), reverse=True)
    total = sum(amounts)
    if not amounts or not total:
        return []
    points, running, cut = [(0.0, 0.0)], 0.0, 1
    for i, amount in enumerate(amounts, start=1):
        running += amount
        if i * steps >= cut * len(amounts) or i == len(amounts):
            points.append((i / len(amounts), running / total))
            cut += 1
    return points


PRINTABLE_PT = 784  # the width of an A4 landscape page inside the 0.4" margins, in points
PT_PER_WIDTH = 7.3  # a unit of column width on the page LibreOffice prints at 100% (measured; Excel's is narrower)
BODY_PT, SMALLEST_PT = 11, 6.0  # the tables' type, and the smallest a page scaled to fit may show


def _pages_wide(widths: Sequence[float]) -> int:
    """The fewest pages across that hold columns this wide with their type at SMALLEST_PT or more."""
    across = sum(w + 0.71 for w in widths) * PT_PER_WIDTH  # xlsxwriter stores a width with its padding
    return max(1, math.ceil(across * SMALLEST_PT / (BODY_PT * PRINTABLE_PT)))


def _page_setup(ws, rollup: Rollup, sheet: str, one_page: bool = False, repeat_header: bool = True,
                table: Table | None = None):
    """Every sheet prints landscape on A4, its header row repeated, the period in the page header and page numbers
    in the footer. A table prints the columns a director reads (up to its last printing column, not where a row
    came from), scaled to the fewest pages across that keep its type readable, its key columns repeated on each;
    a sheet without a table prints on one page wide (one page in all when asked)."""
    ws.set_paper(9)
    ws.set_landscape()
    if table is None:
        ws.fit_to_pages(1, 1 if one_page else 0)
    else:
        last = max(j for j, c in enumerate(table.columns) if c.prints)
        ws.print_area(0, 0, max(table.rows, 1), last)
        across = _pages_wide([c.width for c in table.columns[:last + 1]])
        ws.fit_to_pages(across, 1 if one_page else 0)
        if across > 1:  # a band of rows reads across its pages, its key columns on each
            ws.print_across()
            if table.freeze[1]:
                ws.repeat_columns(0, table.freeze[1] - 1)
    if repeat_header:
        ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header(f"&L&\"-,Bold\"{rs.TITLE} {rollup.period.label}&R{sheet}", {"margin": 0.25})
    ws.set_footer(f"&L期间 {rollup.period.start} 至 {rollup.period.end}&R第 &P 页，共 &N 页", {"margin": 0.25})


# ---------------------------------------------------------------- the figures a later roll-up reads back


def _figures_sheet(book: StreamingWorkbook, rollup: Rollup):
    ws = book.wb.add_worksheet(rs.FIGURES_SHEET)
    rows = rollup_figures_rows(rollup)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            ws.write_string(i, j, value)
    ws.hide()


# ---------------------------------------------------------------- 总览: the one-page dashboard

CHART_SHEET = rs.CHART_SHEET
_STANDING_COLOURS = {MET: "#C6EFCE", CLOSE: "#FFEB9C", MISSED: "#FFC7CE"}
_STANDING_LABEL = {MET: "达标", CLOSE: "接近", MISSED: "未达标"}


def _left_out_of_total(rollup: Rollup, s) -> str:
    """总览's 未计入总分 of a rep: the workbook's state when it was not usable, how the total was scaled, what was left out."""
    if s.card.total is None:
        return "未评分（见上方提醒）"
    status = s.status
    parts = [rs.WORKBOOK_STATUS[status]] if status != "ok" else []
    if s.card.scaled:
        parts.append(rs.scaled_text(s.card.possible, s.card.full))
    left_out = left_out_text(s.card.missing, s.card.reasons, short=True)
    return "；".join(parts) + ("：" if parts and left_out else "") + left_out


def _chart_series(rollup: Rollup) -> dict[str, tuple[int, int]]:
    """The first and last row of each chart's data on 图表数据."""
    return {"reps": (1, len(rollup.scores)), "grades": (1, len(GRADES) + 1), "pareto": (1, len(_pareto_points(rollup)))}


def _chart_data(book: StreamingWorkbook, rollup: Rollup):
    """The hidden sheet the charts read (as laid out by _chart_series)."""
    wb = book.wb
    ws = wb.add_worksheet(CHART_SHEET)
    head, pct = book.header_format, wb.add_format({"num_format": "0.0%"})
    ws.write_row(0, 0, rs.CHART_REPS, head)
    per_rep = rollup.customers.groupby("rep")["overdue"].agg(["size", "sum"]).to_dict("index") if len(rollup.customers) else {}
    for i, s in enumerate(rollup.scores, start=1):
        stats = per_rep.get(s.rep, {"size": 0, "sum": 0})
        ws.write_string(i, 0, s.rep)
        if s.status == STATUS_OK:  # a rep without a usable workbook: no bar, never a bar of 0
            ws.write_number(i, 1, int(stats["size"]))
            if s.activity_figure("visits") is not None:  # its visits unreadable: overdue unknown
                ws.write_number(i, 2, int(stats["sum"]))
        if s.card.total is not None:
            ws.write_number(i, 3, s.card.total)
    ws.write_row(0, 5, rs.CHART_GRADES, head)
    grades = [*GRADES, UNGRADED]
    for i, g in enumerate(grades, start=1):
        ws.write_string(i, 5, g)
        ws.write_number(i, 6, rollup.overview["by_grade"][g])
    pareto = _pareto_points(rollup)
    ws.write_row(0, 8, rs.CHART_PARETO, head)
    for i, (x, y) in enumerate(pareto, start=1):
        ws.write_number(i, 8, x, pct)
        ws.write_number(i, 9, y, pct)
    ws.hide()


def _change(now, before):
    if isinstance(now, (int, float)) and isinstance(before, (int, float)):
        return now - before
    return None


def _overview(book: StreamingWorkbook, rollup: Rollup, series: dict):
    wb = book.wb
    ws = wb.add_worksheet(rs.OVERVIEW)
    settings = rollup.settings
    o = rollup.overview
    before = rollup.previous.department if rollup.previous else {}
    title = wb.add_format({"bold": True, "font_size": 16})
    bold, head = wb.add_format({"bold": True}), book.header_format
    note = wb.add_format({"font_color": "#595959", "italic": True})
    warn = wb.add_format({"font_color": "#C00000", "bold": True})
    wan = wb.add_format({"num_format": '#,##0.0" 万元"'})
    fmt = {"pct": wb.add_format({"num_format": "0.0%"}), "num": wb.add_format({"num_format": "#,##0"}),
           "wan": wan, "home": wb.add_format({"num_format": '0" 家"'})}
    change = {"pct": wb.add_format({"num_format": '+0.0" 个百分点";-0.0" 个百分点";0.0'}),
              "num": wb.add_format({"num_format": "+#,##0;-#,##0;0"}),
              "wan": wb.add_format({"num_format": '+#,##0.0" 万元";-#,##0.0" 万元";0.0'}),
              "home": wb.add_format({"num_format": '+0" 家";-0" 家";0'})}
    standing_fmt = {k: wb.add_format({"num_format": "0.0%", "bg_color": c, "bold": True})
                    for k, c in _STANDING_COLOURS.items()}
    dash = wb.add_format({"align": "right", "font_color": "#7F7F7F"})
    widths = (20, 12, 12, 10, 9, 10, 13, 20, 2, 5, 9, 7, 7, 8, 8, 14)  # narrow enough to print on one page at 6 pt
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    wrap = {None: wb.add_format({"text_wrap": True, "valign": "top"}),
            note: wb.add_format({"font_color": "#595959", "italic": True, "text_wrap": True, "valign": "top"}),
            warn: wb.add_format({"font_color": "#C00000", "bold": True, "text_wrap": True, "valign": "top"})}
    lines: dict[int, int] = {}

    def wrapped(row: int, col: int, text: str, style=None):
        """A note in a narrow column, wrapped: its row as deep as its longest note (rows do not grow in print)."""
        ws.write_string(row, col, text, wrap[style])
        lines[row] = max(lines.get(row, 1), text_lines(text, widths[col] - 1))

    ws.write_string(0, 0, f"{rs.TITLE} {rollup.period.label}", title)
    previous = (f"；上期汇总 {rollup.previous.path.name}（{rollup.previous.period.label}）" if rollup.previous
                else "；未找到上期汇总")
    ws.write_string(1, 0, f"期间 {rollup.period.start} 至 {rollup.period.end}；{o['files']} 个文件，{o['failed_files']} 个失败，"
                          f"{o['skipped_files']} 个跳过{previous}", note)
    row = 2
    for text in rollup.warning_texts("zh"):
        ws.write_string(row, 0, f"提醒：{text}", warn)
        row += 1
    row += 1
    # the department's figures: amount, plan, ratio against its standard (coloured), last period, change
    figures = department_figures(rollup)
    # amounts are shown in 万元: those the KPI sheet keeps in 元 (expenses) are divided
    in_yuan = {f"amount_{c.key}" for c in KPI_INPUTS.columns if c.unit == "元"}

    def amount(key, unit):
        value = figures.get(key) if key else None
        if value is None:
            return None
        return value / 10000 if unit == "wan" and key in in_yuan else value

    ws.write_row(row, 0, rs.OVERVIEW_METRIC_HEADER, head)
    first_metric = row + 1
    for f in (*rs.OVERVIEW_KPIS, *rs.OVERVIEW_OTHERS):
        row += 1
        value = o.get(f.key)
        ws.write_string(row, 0, f.label, bold)
        for col, key in ((1, f.actual), (2, f.plan)):
            v = amount(key, f.amount_unit)
            if v is not None and f.amount_unit:  # a figure with an amount has its unit (rollup_schema)
                ws.write_number(row, col, v, fmt[f.amount_unit])
        state = standing(f.key, value, settings) if f.kpi else None
        if value is None:
            ws.write_string(row, 3, "—", dash)
        else:
            ws.write_number(row, 3, value / 100, standing_fmt[state] if state else fmt["pct"])
        ws.write_string(row, 4, standard_text(f.key, settings) if f.kpi else "")
        last = before.get(f.key)
        if isinstance(last, (int, float)):
            ws.write_number(row, 5, last / 100, fmt["pct"])
        delta = _change(value, last)
        if delta is not None:
            ws.write_number(row, 6, delta, change["pct"])
        text = f.how_without_previous if f.how_without_previous and not rollup.has_previous else f.how
        wrapped(row, 7, (f"{_STANDING_LABEL[state]}；" if state else "") + text, note if value is None else None)
    notes = {"overdue": f"截至 {rollup.period.end}",
             "problems": f"拒收 {o['rejected']} 行，警告 {o['warnings']} 个（见「{rs.PROBLEMS}」）"}
    for f in rs.OVERVIEW_COUNTS:
        row += 1
        ws.write_string(row, 0, f.label, bold)
        ws.write_number(row, 1, o[f.key], fmt["num"])
        delta = _change(o[f.key], before.get(f.key))
        if delta is not None:
            ws.write_number(row, 6, delta, change["num"])
        wrapped(row, 7, notes.get(f.key, f.how))
    row += 1
    ws.write_string(row, 0, "颜色：绿 = 达标，黄 = 接近（差距不足一档，尚未扣分），红 = 未达标；标准取自参数表。", note)
    last_metric = row

    # the ranking, with each rep's change since last period
    ws.write_row(first_metric - 1, 9, rs.OVERVIEW_RANKING_HEADER, head)
    up = wb.add_format({"align": "center", "font_color": "#00703C", "bold": True})
    down = wb.add_format({"align": "center", "font_color": "#C00000", "bold": True})
    centre = wb.add_format({"align": "center"})
    score_fmt = wb.add_format({"num_format": "0.0"})
    warned = wb.add_format({"num_format": "0.0", "font_color": "#C00000", "bold": True})
    for i, s in enumerate(rollup.scores, start=first_metric):
        if s.rank is not None:
            ws.write_number(i, 9, s.rank, centre)
        ws.write_string(i, 10, s.rep)
        if s.card.total is not None:
            ws.write_number(i, 11, s.card.total, warned if s.card.warning else score_fmt)
            ws.write_string(i, 12, s.card.rating)
        else:
            ws.write_string(i, 11, "—", dash)
        before_rank = previous_rank(rollup, s.rep)
        if before_rank is not None:
            ws.write_number(i, 13, before_rank, centre)
        moved = _rank_change(before_rank, s.rank, _ranked_before(rollup))
        if moved:
            ws.write_string(i, 14, moved, up if moved.startswith("↑") else down if moved.startswith("↓") else centre)
        wrapped(i, 15, _left_out_of_total(rollup, s), warn if s.status != "ok" else None)
    last_rank = first_metric + len(rollup.scores) - 1

    for r, n in lines.items():
        if n > 1:
            ws.set_row(r, 16 * n)
    # charts beside each other under the tables; their data is on the hidden 图表数据 sheet
    charts_row = max(last_metric, last_rank) + 2
    placed = 0

    def place(chart):
        nonlocal placed
        ws.insert_chart(charts_row, 0, chart, {"x_offset": 5 + placed * 325, "y_offset": 5, "x_scale": 0.66, "y_scale": 0.95})
        placed += 1

    reps_first, reps_last = series["reps"]
    if rollup.scores:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": rs.CHART_REPS[3], "categories": [CHART_SHEET, reps_first, 0, reps_last, 0],
                          "values": [CHART_SHEET, reps_first, 3, reps_last, 3], "data_labels": {"value": True}})
        chart.set_title({"name": "代表考核总分", "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True, "num_font": {"size": 10}})  # 6 pt on the page
        chart.set_x_axis({"min": 0, "max": 100})
        place(chart)
        overdue = wb.add_chart({"type": "column"})
        overdue.add_series({"name": "逾期客户", "categories": [CHART_SHEET, reps_first, 0, reps_last, 0],
                            "values": [CHART_SHEET, reps_first, 2, reps_last, 2], "fill": {"color": "#C00000"}})
        overdue.set_title({"name": "各代表逾期未拜访客户", "name_font": {"size": 11}})
        overdue.set_legend({"none": True})
        overdue.set_y_axis({"min": 0})
        place(overdue)
    grades_first, grades_last = series["grades"]
    pie = wb.add_chart({"type": "pie"})
    pie.add_series({"name": "客户等级分布", "categories": [CHART_SHEET, grades_first, 5, grades_last, 5],
                    "values": [CHART_SHEET, grades_first, 6, grades_last, 6],
                    "data_labels": {"value": True, "category": True}})
    pie.set_title({"name": "客户等级分布", "name_font": {"size": 11}})
    place(pie)
    pareto_first, pareto_last = series["pareto"]
    if pareto_last >= pareto_first:
        curve = wb.add_chart({"type": "scatter", "subtype": "straight"})
        curve.add_series({"name": rs.CHART_PARETO[1], "categories": [CHART_SHEET, pareto_first, 8, pareto_last, 8],
                          "values": [CHART_SHEET, pareto_first, 9, pareto_last, 9]})
        curve.set_title({"name": "ABC 帕累托曲线（年采购额）", "name_font": {"size": 11}})
        curve.set_x_axis({"num_format": "0%", "max": 1, "min": 0})
        curve.set_y_axis({"num_format": "0%", "max": 1, "min": 0})
        curve.set_legend({"none": True})
        place(curve)
    _page_setup(ws, rollup, rs.OVERVIEW, one_page=True, repeat_header=False)
    ws.print_area(0, 0, charts_row + 14, 15)
    ws.activate()


# ---------------------------------------------------------------- 趋势


_TREND_DEPARTMENT = rs.TREND_FIGURES


def _trend(book: StreamingWorkbook, rollup: Rollup):
    """Up to the last 12 periods: department KPIs and each rep's total, with two line charts beside the table."""
    wb = book.wb
    ws = wb.add_worksheet(rs.TREND)
    head, pct, score = book.header_format, wb.add_format({"num_format": "0.0%"}), wb.add_format({"num_format": "0.0"})
    note = wb.add_format({"font_color": "#595959", "italic": True})
    periods: list[tuple[str, dict[str, Any], dict[str, dict], dict[str, Any]]] = [
        (r.period.label, r.department, r.reps, r.settings) for r in rollup.history]
    now_settings = rollup.settings.model_dump()
    periods.append((rollup.period.label, department_figures(rollup), rep_figures(rollup), now_settings))
    reps = [s.rep for s in rollup.scores] + sorted({r for _, _, reps, _ in periods for r in reps} - set(rollup.reps))
    headers = [rs.TREND_PERIOD, *(label for _, label in _TREND_DEPARTMENT), rs.TREND_CUSTOMERS, rs.TREND_OVERDUE,
               *(rs.trend_rep_label(r) for r in reps)]
    ws.write_row(0, 0, headers, head)
    ws.set_row(0, 30)
    ws.set_column(0, 0, 9)
    ws.set_column(1, len(headers) - 1, 9)
    for i, (label, department, figures_by_rep, _) in enumerate(periods, start=1):
        ws.write_string(i, 0, label)
        for j, (key, _) in enumerate(_TREND_DEPARTMENT, start=1):
            if isinstance(department.get(key), (int, float)):
                ws.write_number(i, j, department[key] / 100, pct)
        base = 1 + len(_TREND_DEPARTMENT)
        for j, key in enumerate(("customers", "overdue"), start=base):
            if isinstance(department.get(key), (int, float)):
                ws.write_number(i, j, department[key])
        for j, rep in enumerate(reps, start=base + 2):
            total = figures_by_rep.get(rep, {}).get("total")
            if isinstance(total, (int, float)):
                ws.write_number(i, j, total, score)
    last = len(periods)
    row = last + 2
    changed = [(label, sorted(k for k in now_settings if k in used and used[k] != now_settings[k]))
               for label, _, _, used in periods[:-1] if used]
    ws.write_string(row, 0, f"共 {len(periods)} 个期间（最多 12 个）。往期数值取自各期汇总表本身，按当期参数计算，不重算。", note)
    for label, keys in changed:
        if keys:
            row += 1
            ws.write_string(row, 0, f"{label} 的参数与本期不同：{'、'.join(keys)}", note)
    ws.freeze_panes(1, 1)
    department = wb.add_chart({"type": "line"})
    for j, (_, label) in enumerate(_TREND_DEPARTMENT[:5], start=1):
        department.add_series({"name": [rs.TREND, 0, j], "categories": [rs.TREND, 1, 0, last, 0], "values": [rs.TREND, 1, j, last, j],
                               "marker": {"type": "circle", "size": 5}})
    department.set_title({"name": "部门指标趋势", "name_font": {"size": 11}})
    department.set_y_axis({"num_format": "0%"})
    department.set_legend({"position": "bottom"})
    chart_row = row + 2
    ws.insert_chart(chart_row, 0, department, {"x_scale": 1.1, "y_scale": 1.0})
    if reps:
        totals = wb.add_chart({"type": "line"})
        first_rep = 3 + len(_TREND_DEPARTMENT)
        for j in range(first_rep, first_rep + len(reps)):
            totals.add_series({"name": [rs.TREND, 0, j], "categories": [rs.TREND, 1, 0, last, 0], "values": [rs.TREND, 1, j, last, j],
                               "marker": {"type": "circle", "size": 5}})
        totals.set_title({"name": "代表总分趋势", "name_font": {"size": 11}})
        totals.set_y_axis({"min": 0, "max": 100})
        totals.set_legend({"position": "bottom"})
        ws.insert_chart(chart_row, 0, totals, {"x_offset": 545, "x_scale": 1.1, "y_scale": 1.0})
    _page_setup(ws, rollup, rs.TREND, one_page=True)


@collector_paused()
def write_rollup(rollup: Rollup, path: str | Path) -> Path:
    """Write the roll-up workbook atomically (a temp file beside it, renamed into place)."""
    release_freed_memory()  # what the rules phase freed, given back before this phase's helpers start beside it
    names = _customer_names(rollup)
    dropped: list[Problem] = []  # a rep's extra columns past XFD, named in 数据问题
    tables = [_score_table(rollup), None, _customers_table(rollup, dropped),
              *[_sheet_table(spec, getattr(rollup, spec.key), names, dropped) for spec in rs.DETAIL_TABLES],
              _compliance_table(rollup), _funnel_table(rollup), _duplicates_table(rollup)]
    tables += [_problems_table(rollup, dropped), _sources_table(rollup)]
    for table in tables:
        if table is not None and table.rows > EXCEL_ROWS - 1:  # the header takes a row
            raise RollupTooLong(render("rollup_too_long", sheet=table.sheet, rows=table.rows, limit=EXCEL_ROWS - 1))
    book = StreamingWorkbook(path)
    try:
        book.make_ahead(tables)  # the big tables' bodies are made by helper processes while the rest is laid out
        series = _chart_series(rollup)  # the charts refer to 图表数据 by name: it is written near the end
        _overview(book, rollup, series)
        for table in tables:
            if table is None:
                _trend(book, rollup)
                continue
            ws = book.add_table(table)
            _page_setup(ws, rollup, table.sheet, one_page=table.sheet == rs.SCORES, table=table)
        _chart_data(book, rollup)
        _figures_sheet(book, rollup)
        book.close()
    except BaseException:
        book.abort()  # the helpers started ahead and their files: stopped and removed, whatever failed
        raise
    return Path(path)
