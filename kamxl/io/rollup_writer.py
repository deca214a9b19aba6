"""Writing the department roll-up workbook: 总览 with native charts, then one Excel table per sheet."""

from pathlib import Path

from xlsxwriter.utility import xl_col_to_name

from ..consolidate import Rollup
from ..problems import Severity
from ..rules.activity import MIN_TRIP_DAYS
from ..schema import CONTACTS, CUSTOMERS, DAILY_REPORT, GRADES, KPIS, STAGES, UNGRADED, VISIT_PLAN, Sheet
from .previous import REP_LABEL
from .xlsx_stream import GRADE_COLOURS, Col, StreamingWorkbook, Table, column_kind

SHEETS = ("总览", "考核排名", "客户总表", "联系人", "拜访计划", "拜访日报", "拜访合规", "销售漏斗", "重复客户", "数据问题", "来源")
STATUS_LABEL = {"ok": "已汇总", "skipped": "已跳过", "failed": "失败"}


def _sheet_table(sheet: Sheet, frame, name: str, table_name: str, extra_after: list[tuple[str, str, str]] = ()) -> Table:
    """A roll-up table of a rep sheet: 代表, the sheet's columns, then computed and source columns."""
    columns, data = [Col(REP_LABEL, "text", 10)], [list(frame["rep"])]
    for c in sheet.columns:
        if c.key in frame.columns:
            columns.append(Col(c.label, column_kind(c), c.width))
            data.append(list(frame[c.key]))
    for key, label, kind in extra_after:
        columns.append(Col(label, kind, 10))
        data.append(list(frame[key]))
    known = {"rep", "file", "row", *(c.key for c in sheet.columns), *(k for k, _, _ in extra_after)}
    for extra in [k for k in frame.columns if k not in known]:
        columns.append(Col(str(extra), "text", 12))
        data.append([None if v != v else v for v in frame[extra]])  # NaN from files lacking the column
    columns += [Col("来源文件", "text", 18), Col("源行号", "int", 7)]
    data += [list(frame["file"]), list(frame["row"])]
    return Table(name, table_name, columns, data, freeze=(1, 2))


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
    columns = [Col("排名", "int", 6), Col("代表", "text", 10)]
    data: list[list] = [[s.rank for s in rollup.scores], [s.rep for s in rollup.scores]]
    for k in KPIS:
        unit = "percent" if k.ratio else "int"
        columns += [Col(k.label if k.ratio else f"{k.label}", unit, 11), Col(f"{k.label}得分", "number", 9)]
        values = [s.card.values.get(k.key) for s in rollup.scores]
        data += [[(v / 100 if v is not None and k.ratio else v) for v in values], [s.card.points.get(k.key) for s in rollup.scores]]
    columns += [Col("总分", "score", 8), Col("评级", "text", 8), Col("口头警告", "bool", 8), Col("未评分项", "text", 40),
                Col("本期拜访", "int", 8), Col("有效信息登记率", "percent", 10), Col("出差天数", "int", 8)]
    labels = {k.key: k.label for k in KPIS}
    rate = [s.activity["valid_info_rate"] for s in rollup.scores]
    data += [[s.card.total for s in rollup.scores], [s.card.rating for s in rollup.scores],
             [s.card.warning for s in rollup.scores], ["、".join(labels[m] for m in s.card.missing) for s in rollup.scores],
             [s.activity["visits"] for s in rollup.scores], [r / 100 if r is not None else None for r in rate],
             [s.activity["trip_days"] for s in rollup.scores]]
    table = Table("考核排名", "tblScores", columns, data, freeze=(1, 2))
    # 第13条: at least 15 days a month on the road
    months = _months(rollup.period)
    trips, warned = xl_col_to_name(len(columns) - 1), xl_col_to_name(len(columns) - 5)
    n = max(len(rollup.scores), 1) + 1
    table.conditional = [
        (f"{trips}2:{trips}{n}", {"type": "cell", "criteria": "<", "value": MIN_TRIP_DAYS * months,
                                  "format": {"font_color": "#C00000", "bold": True}}),
        (f"A2:{xl_col_to_name(len(columns) - 1)}{n}", {"type": "formula", "criteria": f'=${warned}2="是"',
                                                        "format": {"bg_color": "#FFC7CE"}}),
    ]
    return table


def _months(period) -> int:
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


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


def _overview(book: StreamingWorkbook, rollup: Rollup):
    wb = book.wb
    ws = wb.add_worksheet("总览")
    title = wb.add_format({"bold": True, "font_size": 16})
    bold = wb.add_format({"bold": True})
    head = book.header_format
    pct, num, note = wb.add_format({"num_format": "0.0%"}), wb.add_format({"num_format": "#,##0"}), \
        wb.add_format({"font_color": "#7F7F7F", "italic": True})
    dash = wb.add_format({"align": "right", "font_color": "#7F7F7F"})
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 50)
    ws.set_column(4, 8, 11)
    o = rollup.overview
    ws.write_string(0, 0, f"大客户部月度汇总 {rollup.period.label}", title)
    ws.write_string(1, 0, f"期间 {rollup.period.start} 至 {rollup.period.end}；{o['files']} 个文件，{o['failed_files']} 个失败，"
                          f"{o['skipped_files']} 个跳过", note)
    metrics = [
        ("销售计划完成率", o["sales_completion"], "pct", "实际销售 ÷ 销售计划"),
        ("合同回款率", o["collection"], "pct", "实际回款 ÷ 应回款"),
        ("销售合同结算率", o["settlement"], "pct", "实际结算 ÷ 结算计划"),
        ("大客户开发计划完成率", o["development"], "pct", "实际开发 ÷ 开发计划"),
        ("商务费用率", o["expense"], "pct", "实际费用 ÷ 费用预算（越低越好）"),
        ("大客户流失率", o["churn"], "pct", "本期流失 ÷ 期初客户" if rollup.has_previous else "无上期汇总（--previous），未计算"),
        ("大客户新开发率", o["new_accounts"], "pct", "本期新增 ÷ 期初客户" if rollup.has_previous else "无上期汇总（--previous），未计算"),
        ("档案完整率", o["completeness"], "pct", "客户档案各项已填写的平均比例"),
        ("拜访合规率", o["visit_compliance"], "pct", "按等级周期未逾期的客户 ÷ 有拜访周期的客户"),
        ("客户总数", o["customers"], "num", ""),
        ("逾期未拜访客户", o["overdue"], "num", f"截至 {rollup.period.end}"),
        ("本期拜访次数", o["visits"], "num", ""),
        ("有效信息登记率", o["valid_info_rate"], "pct", "登记了有效市场信息的拜访 ÷ 全部拜访"),
        ("A 类客户决策链完整率", o["a_chain_complete"], "pct", "已识别决策者、技术把关者、使用者和教练的 A 类客户 ÷ A 类客户"),
        ("数据问题", o["problems"], "num", f"拒收 {o['rejected']} 行，警告 {o['warnings']} 个（见「数据问题」）"),
    ]
    ws.write_row(3, 0, ["指标", "数值", "说明"], head)
    for i, (label, value, kind, text) in enumerate(metrics, start=4):
        ws.write_string(i, 0, label, bold)
        if value is None:
            ws.write_string(i, 1, "—", dash)
        elif kind == "pct":
            ws.write_number(i, 1, value / 100, pct)
        else:
            ws.write_number(i, 1, value, num)
        ws.write_string(i, 2, text, note if value is None else None)
    row = 4 + len(metrics) + 1
    ws.write_row(row, 0, ["客户等级", "客户数"], head)
    grades = [*GRADES, UNGRADED]
    for i, g in enumerate(grades, start=row + 1):
        ws.write_string(i, 0, g)
        ws.write_number(i, 1, o["by_grade"][g])
    grade_first, grade_last = row + 1, row + len(grades)
    # per rep: customers, overdue, score (chart sources)
    ws.write_row(3, 4, ["代表", "客户数", "逾期", "总分", "排名"], head)
    per_rep = rollup.customers.groupby("rep")["overdue"].agg(["size", "sum"]).to_dict("index") if len(rollup.customers) else {}
    for i, s in enumerate(rollup.scores, start=4):
        ws.write_string(i, 4, s.rep)
        stats = per_rep.get(s.rep, {"size": 0, "sum": 0})
        ws.write_number(i, 5, int(stats["size"]))
        ws.write_number(i, 6, int(stats["sum"]))
        if s.card.total is not None:
            ws.write_number(i, 7, s.card.total)
            ws.write_number(i, 8, s.rank)
    rep_first, rep_last = 4, 3 + len(rollup.scores)
    # Pareto points, far right, for the ABC chart
    pareto = _pareto_points(rollup)
    ws.write_row(3, 10, ["客户占比", "采购额累计占比"], head)
    for i, (x, y) in enumerate(pareto, start=4):
        ws.write_number(i, 10, x, pct)
        ws.write_number(i, 11, y, pct)
    ws.set_column(10, 11, 12)

    charts_row = max(row + len(grades) + 2, rep_last + 2)
    if rollup.scores:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "总分", "categories": ["总览", rep_first, 4, rep_last, 4],
                          "values": ["总览", rep_first, 7, rep_last, 7], "data_labels": {"value": True}})
        chart.set_title({"name": "代表考核总分"})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"min": 0, "max": 100})
        ws.insert_chart(charts_row, 0, chart, {"x_scale": 1.2, "y_scale": 1.2})
        overdue = wb.add_chart({"type": "column"})
        overdue.add_series({"name": "逾期客户", "categories": ["总览", rep_first, 4, rep_last, 4],
                            "values": ["总览", rep_first, 6, rep_last, 6], "fill": {"color": "#C00000"}})
        overdue.set_title({"name": "各代表逾期未拜访客户"})
        overdue.set_legend({"none": True})
        ws.insert_chart(charts_row + 20, 0, overdue, {"x_scale": 1.2, "y_scale": 1.2})
    pie = wb.add_chart({"type": "pie"})
    pie.add_series({"name": "客户等级分布", "categories": ["总览", grade_first, 0, grade_last, 0],
                    "values": ["总览", grade_first, 1, grade_last, 1], "data_labels": {"value": True, "category": True}})
    pie.set_title({"name": "客户等级分布"})
    ws.insert_chart(charts_row, 5, pie)
    if pareto:
        curve = wb.add_chart({"type": "scatter", "subtype": "straight"})
        curve.add_series({"name": "采购额累计占比", "categories": ["总览", 4, 10, 3 + len(pareto), 10],
                          "values": ["总览", 4, 11, 3 + len(pareto), 11]})
        curve.set_title({"name": "ABC 帕累托曲线（年采购额）"})
        curve.set_x_axis({"name": "客户占比", "num_format": "0%", "max": 1, "min": 0})
        curve.set_y_axis({"name": "采购额累计占比", "num_format": "0%", "max": 1, "min": 0})
        curve.set_legend({"none": True})
        ws.insert_chart(charts_row + 20, 5, curve)
    ws.activate()


def write_rollup(rollup: Rollup, path: str | Path) -> Path:
    """Write the roll-up workbook atomically (a temp file beside it, renamed into place)."""
    book = StreamingWorkbook(path)
    _overview(book, rollup)
    book.add_table(_score_table(rollup))
    book.add_table(_customers_table(rollup))
    book.add_table(_sheet_table(CONTACTS, rollup.contacts, "联系人", "tblAllContacts"))
    book.add_table(_sheet_table(VISIT_PLAN, rollup.visit_plan, "拜访计划", "tblAllPlans"))
    book.add_table(_sheet_table(DAILY_REPORT, rollup.daily_report, "拜访日报", "tblAllVisits"))
    book.add_table(_compliance_table(rollup))
    book.add_table(_funnel_table(rollup))
    book.add_table(_duplicates_table(rollup))
    book.add_table(_problems_table(rollup))
    book.add_table(_sources_table(rollup))
    book.close()
    return Path(path)
