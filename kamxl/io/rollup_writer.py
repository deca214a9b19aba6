"""Writing the department roll-up workbook: 总览 with native charts, then one Excel table per sheet."""

from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from ..consolidate import Rollup, previous_rank
from ..errors import KamxlError
from ..messages import render
from ..problems import Severity
from ..rules.activity import MIN_TRIP_DAYS
from ..rules.standing import CLOSE, MET, MISSED, standard_text, standing
from ..schema import CONTACTS, CUSTOMERS, DAILY_REPORT, GRADES, KPIS, STAGES, UNGRADED, VISIT_PLAN, Sheet
from .isolation import collector_paused
from .previous import FIGURES_SHEET, REP_LABEL, figures_rows
from .spill import Detail
from .xlsx_stream import GRADE_COLOURS, Col, StreamingWorkbook, Table, column_kind

SHEETS = ("总览", "考核排名", "趋势", "客户总表", "联系人", "拜访计划", "拜访日报", "拜访合规", "销售漏斗", "重复客户", "数据问题",
          "来源", "图表数据", "_kamxl_figures")  # the last two are hidden
STATUS_LABEL = {"ok": "已汇总", "skipped": "已跳过", "failed": "失败"}


BLOCK_ROWS = 16_384
EXCEL_ROWS = 1_048_576  # rows an Excel sheet holds: the design's ceiling (README: Performance)


class RollupTooLong(KamxlError):
    "A roll-up sheet would have more rows than an Excel sheet holds"


def _sheet_table(sheet: Sheet, rows: "pd.DataFrame | Detail", name: str, table_name: str,
                 extra_after: list[tuple[str, str, str]] = ()) -> Table:
    """A roll-up table of a rep sheet: 代表, the sheet's columns, then computed and source columns.

    `rows`: a frame, or a detail sheet streamed from disk file by file (io/spill.py) so that only one
    workbook's rows are in memory at a time.
    """
    present = list(rows.columns)
    keys = ["rep", *(c.key for c in sheet.columns if c.key in present), *(k for k, _, _ in extra_after)]
    columns = [Col(REP_LABEL, "text", 10)] + [Col(c.label, column_kind(c), c.width) for c in sheet.columns if c.key in present]
    columns += [Col(label, kind, 10) for _, label, kind in extra_after]
    known = {"rep", "file", "row", *(c.key for c in sheet.columns), *(k for k, _, _ in extra_after)}
    extras = [k for k in present if k not in known]
    columns += [Col(str(extra), "text", 12) for extra in extras]
    columns += [Col("来源文件", "text", 18), Col("源行号", "int", 7)]

    def body(columns: dict, length: int) -> list[list]:
        """A block's columns in the table's order; `columns` maps a key to its values (a list or a Series)."""
        def column(key, blank_nan: bool = False) -> list:
            if key not in columns:
                return [None] * length
            values = columns[key]
            values = values if isinstance(values, list) else values.tolist()
            return [None if v != v else v for v in values] if blank_nan else values  # NaN: a file lacking the column

        return [column(k) for k in keys] + [column(k, True) for k in extras] + [column("file"), column("row")]

    # a detail sheet file by file, a frame in slices: the cells of one block at a time are turned into Python values
    if isinstance(rows, Detail):
        blocks = [(part.rows, lambda part=part: body(part.load_columns(), part.rows)) for part in rows.parts]
    else:
        blocks = [(n, lambda i=i, n=n: body(rows.iloc[i:i + n], n))
                  for i, n in ((i, min(BLOCK_ROWS, len(rows) - i)) for i in range(0, len(rows), BLOCK_ROWS))]
    return Table(name, table_name, columns, blocks=blocks, freeze=(1, 2))


def _customers_table(rollup: Rollup) -> Table:
    frame = rollup.customers
    table = _sheet_table(CUSTOMERS, frame, "客户总表", "tblAllCustomers",
                         [("overdue", "逾期", "bool"), ("man_qualified", "MAN合格", "bool"),
                          ("chain_missing", "决策链缺失角色", "text")])
    headers = [c.header for c in table.columns]
    n = max(len(frame), 1) + 1
    grade, overdue = xl_col_to_name(headers.index("客户等级")), xl_col_to_name(headers.index("逾期"))
    last = xl_col_to_name(len(headers) - 1)
    table.conditional = [(f"{grade}2:{grade}{n}", {"type": "cell", "criteria": "==", "value": f'"{g}"',
                                                    "format": {"bg_color": c}}) for g, c in GRADE_COLOURS.items()]
    table.conditional.append((f"A2:{last}{n}", {"type": "formula", "criteria": f'=${overdue}2="是"',
                                                "format": {"font_color": "#C00000"}}))
    return table


def _score_table(rollup: Rollup) -> Table:
    columns = [Col("排名", "int", 5), Col("代表", "text", 8), Col("上期排名", "int", 6), Col("排名变化", "text", 6)]
    before = [previous_rank(rollup, s.rep) for s in rollup.scores]
    data: list[list] = [[s.rank for s in rollup.scores], [s.rep for s in rollup.scores], before,
                        [_rank_change(b, s.rank, _ranked_before(rollup)) for b, s in zip(before, rollup.scores)]]
    for k in KPIS:
        unit = "percent" if k.ratio else "int"
        columns += [Col(k.label if k.ratio else f"{k.label}", unit, 9), Col(f"{k.label}得分", "number", 7)]
        values = [s.card.values.get(k.key) for s in rollup.scores]
        data += [[(v / 100 if v is not None and k.ratio else v) for v in values], [s.card.points.get(k.key) for s in rollup.scores]]
    columns += [Col("总分", "score", 7), Col("评级", "text", 7), Col("口头警告", "bool", 6), Col("未评分项", "text", 22),
                Col("本期拜访", "int", 7), Col("有效信息登记率", "percent", 9), Col("出差天数", "int", 7)]
    labels = {k.key: k.label for k in KPIS}
    rate = [s.activity["valid_info_rate"] for s in rollup.scores]
    data += [[s.card.total for s in rollup.scores], [s.card.rating for s in rollup.scores],
             [s.card.warning for s in rollup.scores], ["、".join(labels[m] for m in s.card.missing) for s in rollup.scores],
             [s.activity["visits"] for s in rollup.scores], [r / 100 if r is not None else None for r in rate],
             [s.activity["trip_days"] for s in rollup.scores]]
    table = Table("考核排名", "tblScores", columns, data, freeze=(1, 2))
    # 第13条: at least 15 days a month on the road
    months = len(rollup.period.months())
    trips, warned = xl_col_to_name(len(columns) - 1), xl_col_to_name(len(columns) - 5)
    n = max(len(rollup.scores), 1) + 1
    table.conditional = [
        (f"{trips}2:{trips}{n}", {"type": "cell", "criteria": "<", "value": MIN_TRIP_DAYS * months,
                                  "format": {"font_color": "#C00000", "bold": True}}),
        (f"A2:{xl_col_to_name(len(columns) - 1)}{n}", {"type": "formula", "criteria": f'=${warned}2="是"',
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
    days = [(end - d).days if d is not None else None for d in frame["next_visit_due"]]
    columns = [Col("代表", "text", 10), Col("客户等级", "text", 8), Col("客户编号", "text", 11), Col("客户名称", "text", 28),
               Col("最近拜访", "date", 11), Col("应拜访日期", "date", 11), Col("逾期天数", "int", 9), Col("开发阶段", "text", 10)]
    data = [list(frame["rep"]), list(frame["grade"]), list(frame["customer_id"]), list(frame["name"]), list(frame["last_visit"]),
            list(frame["next_visit_due"]), days, list(frame["stage"])]
    return Table("拜访合规", "tblOverdue", columns, data, freeze=(1, 1))


def _funnel_table(rollup: Rollup) -> Table:
    customers = rollup.customers
    reps = rollup.reps
    columns = [Col("代表", "text", 10)] + [Col(s, "int", 9) for s in STAGES] + [Col("合计", "int", 8)]
    counts = {rep: {s: 0 for s in STAGES} for rep in reps}
    for rep, stage in zip(customers["rep"], customers["stage"]):
        if stage in STAGES:
            counts.setdefault(rep, {s: 0 for s in STAGES})[stage] += 1
    names = list(counts)
    data = [names] + [[counts[r][s] for r in names] for s in STAGES] + [[sum(counts[r].values()) for r in names]]
    return Table("销售漏斗", "tblFunnel", columns, data, freeze=(1, 1))


def _duplicates_table(rollup: Rollup) -> Table:
    rows = [(g["key"], len({c["rep"] for c in g["customers"]}), c["rep"], c["customer_id"], c["name"])
            for g in rollup.duplicates for c in g["customers"]]
    columns = [Col("重复键（信用代码或名称）", "text", 24), Col("涉及代表数", "int", 9), Col("代表", "text", 10),
               Col("客户编号", "text", 11), Col("客户名称", "text", 30)]
    return Table("重复客户", "tblDuplicates", columns, [list(x) for x in zip(*rows)] if rows else [[] for _ in columns])


def _problems_table(rollup: Rollup) -> Table:
    raw = {(f, s, r.row): r.raw for f, s, r in rollup.rejected}
    rows = []
    for p in rollup.problems:
        values = raw.get((p.file, p.sheet, p.row)) if p.severity == "rejected" else None
        rows.append((p.file, p.sheet, p.row, p.column, p.value, p.message(), Severity(p.severity).label("zh"),
                     "｜".join(f"{k}={v}" for k, v in values.items() if v) if values else None))
    columns = [Col("文件", "text", 18), Col("工作表", "text", 9), Col("行", "int", 6), Col("列", "text", 12),
               Col("原始值", "text", 18), Col("问题", "text", 44), Col("处理", "text", 8), Col("被拒收行的全部原始内容", "text", 60)]
    return Table("数据问题", "tblProblems", columns, [list(x) for x in zip(*rows)] if rows else [[] for _ in columns],
                 freeze=(1, 0))


def _sources_table(rollup: Rollup) -> Table:
    columns = [Col("文件", "text", 20), Col("路径", "text", 40), Col("SHA-256", "text", 20), Col("代表", "text", 10),
               Col("状态", "text", 8), Col("原因", "text", 30)]
    sheet_names = {"customers": "客户档案", "contacts": "联系人", "visit_plan": "拜访计划", "daily_report": "拜访日报",
                   "kpi": "考核指标", "team": "团队"}
    counts = {"read": "读取", "accepted": "采用", "rejected": "拒收", "warnings": "警告"}
    for name in sheet_names.values():
        columns += [Col(f"{name}{label}", "int", 8) for label in counts.values()]
    columns.append(Col("对账", "text", 8))
    rows = []
    for s in rollup.sources:
        row = [Path(s.path).name, s.path, s.sha256, s.rep, STATUS_LABEL[s.status], s.reason]
        for key in sheet_names:
            row += [s.sheets.get(key, {}).get(c) for c in counts]
        balanced = all(v["read"] == v["accepted"] + v["rejected"] for v in s.sheets.values())
        row.append(("平" if balanced else "不平") if s.sheets else None)
        rows.append(row)
    return Table("来源", "tblSources", columns, [list(x) for x in zip(*rows)] if rows else [[] for _ in columns])


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


def _page_setup(ws, rollup: Rollup, sheet: str, one_page: bool = False, repeat_header: bool = True):
    """Every sheet prints landscape on A4, one page wide (one page in all when asked), its header row repeated,
    the period in the page header and page numbers in the footer."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 1 if one_page else 0)
    if repeat_header:
        ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header(f"&L&\"-,Bold\"大客户部月度汇总 {rollup.period.label}&R{sheet}", {"margin": 0.25})
    ws.set_footer(f"&L期间 {rollup.period.start} 至 {rollup.period.end}&R第 &P 页，共 &N 页", {"margin": 0.25})


# ---------------------------------------------------------------- the figures a later roll-up reads back


def _department_figures(rollup: Rollup) -> dict:
    o = rollup.overview
    figures = {k: v for k, v in o.items() if isinstance(v, (int, float)) or v is None}
    figures |= {f"amount_{k}": v for k, v in o["amounts"].items()}
    return figures


def _rep_figures(rollup: Rollup) -> dict[str, dict]:
    out = {}
    for s in rollup.scores:
        out[s.rep] = {"total": s.card.total, "rank": s.rank, "rating": s.card.rating, "left_out": s.card.missing,
                      **{f"points_{k}": v for k, v in s.card.points.items()},
                      **{f"value_{k}": v for k, v in s.card.values.items()}}
    return out


def _figures_sheet(book: StreamingWorkbook, rollup: Rollup):
    ws = book.wb.add_worksheet(FIGURES_SHEET)
    rows = figures_rows(rollup.period, _department_figures(rollup), _rep_figures(rollup), rollup.settings.model_dump())
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            ws.write_string(i, j, value)
    ws.hide()


# ---------------------------------------------------------------- 总览: the one-page dashboard

CHART_SHEET = "图表数据"  # hidden: the charts' sources, so no bare percentages print under a chart
_STANDING_COLOURS = {MET: "#C6EFCE", CLOSE: "#FFEB9C", MISSED: "#FFC7CE"}
_STANDING_LABEL = {MET: "达标", CLOSE: "接近", MISSED: "未达标"}
_KPI_KEYS = {k.key for k in KPIS}  # the figures with a standard in the settings


def _chart_series(rollup: Rollup) -> dict[str, tuple[int, int]]:
    """The first and last row of each chart's data on 图表数据."""
    return {"reps": (1, len(rollup.scores)), "grades": (1, len(GRADES) + 1), "pareto": (1, len(_pareto_points(rollup)))}


def _chart_data(book: StreamingWorkbook, rollup: Rollup):
    """The hidden sheet the charts read (as laid out by _chart_series)."""
    wb = book.wb
    ws = wb.add_worksheet(CHART_SHEET)
    head, pct = book.header_format, wb.add_format({"num_format": "0.0%"})
    ws.write_row(0, 0, ["代表", "客户数", "逾期", "总分"], head)
    per_rep = rollup.customers.groupby("rep")["overdue"].agg(["size", "sum"]).to_dict("index") if len(rollup.customers) else {}
    for i, s in enumerate(rollup.scores, start=1):
        stats = per_rep.get(s.rep, {"size": 0, "sum": 0})
        ws.write_string(i, 0, s.rep)
        ws.write_number(i, 1, int(stats["size"]))
        ws.write_number(i, 2, int(stats["sum"]))
        if s.card.total is not None:
            ws.write_number(i, 3, s.card.total)
    ws.write_row(0, 5, ["客户等级", "客户数"], head)
    grades = [*GRADES, UNGRADED]
    for i, g in enumerate(grades, start=1):
        ws.write_string(i, 5, g)
        ws.write_number(i, 6, rollup.overview["by_grade"][g])
    pareto = _pareto_points(rollup)
    ws.write_row(0, 8, ["客户占比", "采购额累计占比"], head)
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
    ws = wb.add_worksheet("总览")
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
    for col, width in enumerate((20, 12, 12, 10, 9, 10, 13, 34, 2, 5, 9, 7, 7, 8, 8, 26)):
        ws.set_column(col, col, width)

    ws.write_string(0, 0, f"大客户部月度汇总 {rollup.period.label}", title)
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
    a = o["amounts"]
    wan_of = {"expense_actual": 10000, "expense_budget": 10000}  # expenses are kept in 元

    def amount(key):
        value = a.get(key)
        return value / wan_of.get(key, 1) if value is not None else None

    kpi_rows = [
        ("销售计划完成率", "sales_completion", amount("sales_actual"), amount("sales_plan"), "wan", "实际销售 ÷ 销售计划"),
        ("合同回款率", "collection", amount("collection_actual"), amount("collection_due"), "wan", "实际回款 ÷ 应回款"),
        ("销售合同结算率", "settlement", amount("settlement_actual"), amount("settlement_plan"), "wan", "实际结算 ÷ 结算计划"),
        ("大客户开发计划完成率", "development", a.get("development_actual"), a.get("development_plan"), "home",
         "实际开发 ÷ 开发计划"),
        ("商务费用率", "expense", amount("expense_actual"), amount("expense_budget"), "wan", "实际费用 ÷ 费用预算，越低越好"),
        ("大客户流失率", "churn", o.get("lost"), o.get("accounts_at_start"), "home",
         "本期流失 ÷ 期初客户，越低越好" if rollup.has_previous else "无上期汇总：未计算，未计入总分（见上方提醒）"),
        ("大客户档案完整率", "completeness", None, None, None, "客户档案各项已填写的平均比例"),
    ]
    other_rows = [
        ("大客户新开发率", "new_accounts", o.get("new"), o.get("accounts_at_start"), "home",
         "本期新增 ÷ 期初客户" if rollup.has_previous else "无上期汇总：未计算"),
        ("拜访合规率", "visit_compliance", None, None, None, "未逾期的客户 ÷ 有拜访周期的客户"),
        ("有效信息登记率", "valid_info_rate", None, None, None, "登记了有效市场信息的拜访 ÷ 全部拜访"),
        ("A 类客户决策链完整率", "a_chain_complete", None, None, None, "决策者、技术把关者、使用者、教练齐全的 A 类客户"),
    ]
    counts = [("客户总数", "customers", ""), ("逾期未拜访客户", "overdue", f"截至 {rollup.period.end}"),
              ("本期拜访次数", "visits", ""),
              ("数据问题", "problems", f"拒收 {o['rejected']} 行，警告 {o['warnings']} 个（见「数据问题」）")]
    ws.write_row(row, 0, ["部门指标", "实际", "计划 / 基数", "比率", "标准", "上期", "变化", "说明"], head)
    first_metric = row + 1
    for label, key, actual, plan, unit, text in kpi_rows + other_rows:
        row += 1
        value = o.get(key)
        is_kpi = key in _KPI_KEYS
        ws.write_string(row, 0, label, bold)
        for col, v in ((1, actual), (2, plan)):
            if v is not None:
                ws.write_number(row, col, v, fmt[unit])
        state = standing(key, value, settings) if is_kpi else None
        if value is None:
            ws.write_string(row, 3, "—", dash)
        else:
            ws.write_number(row, 3, value / 100, standing_fmt[state] if state else fmt["pct"])
        ws.write_string(row, 4, standard_text(key, settings) if is_kpi else "")
        last = before.get(key)
        if isinstance(last, (int, float)):
            ws.write_number(row, 5, last / 100, fmt["pct"])
        delta = _change(value, last)
        if delta is not None:
            ws.write_number(row, 6, delta, change["pct"])
        ws.write_string(row, 7, (f"{_STANDING_LABEL[state]}；" if state else "") + text, note if value is None else None)
    for label, key, text in counts:
        row += 1
        ws.write_string(row, 0, label, bold)
        ws.write_number(row, 1, o[key], fmt["num"])
        delta = _change(o[key], before.get(key))
        if delta is not None:
            ws.write_number(row, 6, delta, change["num"])
        ws.write_string(row, 7, text)
    row += 1
    ws.write_string(row, 0, "颜色：绿 = 达标，黄 = 接近（差距不足一档，尚未扣分），红 = 未达标；标准取自参数表。", note)
    last_metric = row

    # the ranking, with each rep's change since last period
    ws.write_row(first_metric - 1, 9, ["排名", "代表", "总分", "评级", "上期排名", "排名变化", "未计入总分"], head)
    up = wb.add_format({"align": "center", "font_color": "#00703C", "bold": True})
    down = wb.add_format({"align": "center", "font_color": "#C00000", "bold": True})
    centre = wb.add_format({"align": "center"})
    score_fmt = wb.add_format({"num_format": "0.0"})
    warned = wb.add_format({"num_format": "0.0", "font_color": "#C00000", "bold": True})
    labels = {k.key: k.label for k in KPIS}
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
        left_out = "、".join(labels[m].replace("大客户", "") for m in s.card.missing)
        ws.write_string(i, 15, left_out if s.card.total is not None else "未评分（见上方提醒）")
    last_rank = first_metric + len(rollup.scores) - 1

    # charts beside each other under the tables; their data is on the hidden 图表数据 sheet
    charts_row = max(last_metric, last_rank) + 2
    placed = 0

    def place(chart):
        nonlocal placed
        ws.insert_chart(charts_row, 0, chart, {"x_offset": 5 + placed * 345, "y_offset": 5, "x_scale": 0.7, "y_scale": 0.95})
        placed += 1

    reps_first, reps_last = series["reps"]
    if rollup.scores:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "总分", "categories": [CHART_SHEET, reps_first, 0, reps_last, 0],
                          "values": [CHART_SHEET, reps_first, 3, reps_last, 3], "data_labels": {"value": True}})
        chart.set_title({"name": "代表考核总分", "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True, "num_font": {"size": 7 if len(rollup.scores) > 8 else 9}})
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
        curve.add_series({"name": "采购额累计占比", "categories": [CHART_SHEET, pareto_first, 8, pareto_last, 8],
                          "values": [CHART_SHEET, pareto_first, 9, pareto_last, 9]})
        curve.set_title({"name": "ABC 帕累托曲线（年采购额）", "name_font": {"size": 11}})
        curve.set_x_axis({"num_format": "0%", "max": 1, "min": 0})
        curve.set_y_axis({"num_format": "0%", "max": 1, "min": 0})
        curve.set_legend({"none": True})
        place(curve)
    _page_setup(ws, rollup, "总览", one_page=True, repeat_header=False)
    ws.print_area(0, 0, charts_row + 14, 15)
    ws.activate()


# ---------------------------------------------------------------- 趋势


_TREND_DEPARTMENT = (("sales_completion", "销售计划完成率"), ("collection", "合同回款率"), ("settlement", "销售合同结算率"),
                     ("development", "开发计划完成率"), ("expense", "商务费用率"), ("churn", "流失率"),
                     ("completeness", "档案完整率"), ("visit_compliance", "拜访合规率"))


def _trend(book: StreamingWorkbook, rollup: Rollup):
    """Up to the last 12 periods: department KPIs and each rep's total, with two line charts beside the table."""
    wb = book.wb
    ws = wb.add_worksheet("趋势")
    head, pct, score = book.header_format, wb.add_format({"num_format": "0.0%"}), wb.add_format({"num_format": "0.0"})
    note = wb.add_format({"font_color": "#595959", "italic": True})
    periods = [(r.period.label, r.department, r.reps, r.settings) for r in rollup.history]
    now_settings = rollup.settings.model_dump()
    periods.append((rollup.period.label, _department_figures(rollup), _rep_figures(rollup), now_settings))
    reps = [s.rep for s in rollup.scores] + sorted({r for _, _, reps, _ in periods for r in reps} - set(rollup.reps))
    headers = ["期间", *(label for _, label in _TREND_DEPARTMENT), "客户总数", "逾期", *(f"{r}总分" for r in reps)]
    ws.write_row(0, 0, headers, head)
    ws.set_row(0, 30)
    ws.set_column(0, 0, 9)
    ws.set_column(1, len(headers) - 1, 9)
    for i, (label, department, rep_figures, _) in enumerate(periods, start=1):
        ws.write_string(i, 0, label)
        for j, (key, _) in enumerate(_TREND_DEPARTMENT, start=1):
            if isinstance(department.get(key), (int, float)):
                ws.write_number(i, j, department[key] / 100, pct)
        base = 1 + len(_TREND_DEPARTMENT)
        for j, key in enumerate(("customers", "overdue"), start=base):
            if isinstance(department.get(key), (int, float)):
                ws.write_number(i, j, department[key])
        for j, rep in enumerate(reps, start=base + 2):
            total = rep_figures.get(rep, {}).get("total")
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
        department.add_series({"name": ["趋势", 0, j], "categories": ["趋势", 1, 0, last, 0], "values": ["趋势", 1, j, last, j],
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
            totals.add_series({"name": ["趋势", 0, j], "categories": ["趋势", 1, 0, last, 0], "values": ["趋势", 1, j, last, j],
                               "marker": {"type": "circle", "size": 5}})
        totals.set_title({"name": "代表总分趋势", "name_font": {"size": 11}})
        totals.set_y_axis({"min": 0, "max": 100})
        totals.set_legend({"position": "bottom"})
        ws.insert_chart(chart_row, 0, totals, {"x_offset": 545, "x_scale": 1.1, "y_scale": 1.0})
    _page_setup(ws, rollup, "趋势", one_page=True)


@collector_paused()
def write_rollup(rollup: Rollup, path: str | Path) -> Path:
    """Write the roll-up workbook atomically (a temp file beside it, renamed into place)."""
    tables = [_score_table(rollup), None, _customers_table(rollup),
              _sheet_table(CONTACTS, rollup.contacts, "联系人", "tblAllContacts"),
              _sheet_table(VISIT_PLAN, rollup.visit_plan, "拜访计划", "tblAllPlans"),
              _sheet_table(DAILY_REPORT, rollup.daily_report, "拜访日报", "tblAllVisits"),
              _compliance_table(rollup), _funnel_table(rollup), _duplicates_table(rollup), _problems_table(rollup),
              _sources_table(rollup)]
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
            _page_setup(ws, rollup, table.sheet, one_page=table.sheet == "考核排名")
            if table.sheet == "考核排名":
                ws.repeat_columns(0, 1)
                ws.set_row(0, 44)  # its labels are long: three lines of the narrow columns
        _chart_data(book, rollup)
        _figures_sheet(book, rollup)
        book.close()
    except BaseException:
        book.abort()  # the helpers started ahead and their files: stopped and removed, whatever failed
        raise
    return Path(path)
