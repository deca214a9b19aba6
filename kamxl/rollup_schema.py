"""The roll-up workbook as data: its sheets, each table's columns and every figure of 总览 and 考核排名, written once.

The writer (io/outputs/rollup_writer.py) lays the roll-up out from these specs; the readers — mail and the
scorecards (io/inputs/rollup_reader.py), the next period's roll-up (io/inputs/previous.py), the redaction
(io/outputs/redact.py) — find sheets, columns and figures by them. The columns of 客户总表, 联系人, 拜访计划 and
拜访日报 are derived from the rep sheets of schema.py, so a label renamed there is renamed here too.
Mail and scorecards read the figures by key from the hidden figures sheet, never from visible text.

Pure: no pandas, xlsxwriter or openpyxl here. A column or figure is one mutable object held in one place,
so a label changed on it (a migration, a test) changes every writer and reader at once.
"""

from dataclasses import dataclass

from .messages import render
from .schema import (CONTACTS, CUSTOMERS, DAILY_REPORT, KPI_SHEETS, KPIS, REP_SHEETS, STAGES, VISIT_PLAN, Column,
                     ColType, Sheet)

# ---------------------------------------------------------------- the sheets, in the workbook's order

OVERVIEW = "总览"
SCORES = "考核排名"
TREND = "趋势"
CUSTOMER_SHEET = "客户总表"
CONTACT_SHEET = CONTACTS.name
PLAN_SHEET = VISIT_PLAN.name
VISIT_SHEET = DAILY_REPORT.name
COMPLIANCE = "拜访合规"
FUNNEL = "销售漏斗"
DUPLICATES = "重复客户"
PROBLEMS = "数据问题"
SOURCES = "来源"
CHART_SHEET = "图表数据"  # hidden: the charts' sources, so no bare percentages print under a chart
FIGURES_SHEET = "_kamxl_figures"  # hidden: every figure by key, as JSON text (see FIGURES_* below)
SHEETS = (OVERVIEW, SCORES, TREND, CUSTOMER_SHEET, CONTACT_SHEET, PLAN_SHEET, VISIT_SHEET, COMPLIANCE, FUNNEL,
          DUPLICATES, PROBLEMS, SOURCES, CHART_SHEET, FIGURES_SHEET)
HIDDEN_SHEETS = (CHART_SHEET, FIGURES_SHEET)

TITLE = "大客户部月度汇总"  # 总览's title and every page header: 大客户部月度汇总 2026-10
YES, NO = "是", "否"  # how a bool cell reads

# ---------------------------------------------------------------- columns and tables

# how a cell is shown: text | int | amount | number | score (one decimal) | percent (a fraction) | date | bool
_KIND_OF_TYPE = {ColType.DATE: "date", ColType.AMOUNT: "amount", ColType.INTEGER: "int", ColType.FACTOR: "int",
                 ColType.YES_NO: "bool"}


def column_kind(col: Column) -> str:
    """How a schema column's cells are shown: completeness as a percent, the value score to one decimal, else by type."""
    if col.key == "completeness":
        return "percent"
    if col.key == "value_score":
        return "score"
    return _KIND_OF_TYPE.get(col.type, "text")


@dataclass(eq=False)
class RollupColumn:
    """One column of a roll-up table (a figure when `how` says how it is computed)."""
    key: str
    label: str
    en: str
    kind: str = "text"
    width: float = 12
    how: str = ""
    prints: bool = True  # on the printed page: a director reads it (where a file's row came from does not)
    wraps: bool = False  # long text wraps, its row as deep as it needs (on screen and on paper)

    def header(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.label


@dataclass(eq=False)
class RollupTable:
    """A table sheet of the roll-up: its sheet, Excel table name and columns in order.

    `extras_at`: where a rep's own extra columns (kept from their workbook, not in the schema) are put.
    """
    key: str
    sheet: str
    table: str
    columns: tuple[RollupColumn, ...]
    extras_at: int | None = None

    def column(self, key: str) -> RollupColumn:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def label(self, key: str) -> str:
        return self.column(key).label

    def index(self, key: str) -> int:
        """The column's position (0-based) among the declared columns."""
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def labels(self, keys=None) -> tuple[str, ...]:
        return tuple(c.label for c in self.columns if keys is None or c.key in keys)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)


def _from_schema(col: Column) -> RollupColumn:
    return RollupColumn(col.key, col.label, col.key, column_kind(col), col.width)


REP = RollupColumn("rep", "代表", "rep", "text", 10)  # the same column in every table that names a rep
SOURCE_FILE = RollupColumn("file", "来源文件", "source_file", "text", 18, prints=False)
SOURCE_ROW = RollupColumn("row", "源行号", "source_row", "int", 7, prints=False)
# beside every 客户编号 of a detail sheet: the customer's name, from the same file's 客户档案
CUSTOMER_NAME = RollupColumn("customer_name", CUSTOMERS.column("name").label, "customer_name", "text", 24)


def rep_table(sheet: Sheet, name: str, table: str, computed: tuple[RollupColumn, ...] = ()) -> RollupTable:
    """The roll-up table of a rep sheet: 代表, the sheet's columns (客户名称 beside 客户编号 where the sheet only
    names the customer), the roll-up's computed columns, the rep's own extra columns, 来源文件 and 源行号."""
    columns = [REP]
    for col in sheet.columns:
        columns.append(_from_schema(col))
        if col.key == "customer_id" and sheet.keyed_by_customer:
            columns.append(CUSTOMER_NAME)
    columns += computed
    return RollupTable(sheet.key, name, table, (*columns, SOURCE_FILE, SOURCE_ROW), extras_at=len(columns))


NAMED_DROPPED = 10  # a file's columns left out of a roll-up sheet that its warning names (then "…")


def named_columns(columns: list) -> str:
    """A file's columns left out of a roll-up sheet, as its warning names them: the first `NAMED_DROPPED`."""
    return "、".join(map(str, columns[:NAMED_DROPPED])) + ("…" if len(columns) > NAMED_DROPPED else "")


def extra_keys(spec: RollupTable, present: list) -> list:
    """A rep sheet's own extra columns among `present` (a workbook's columns, or the team's), in their order: not
    the table's own, not the template's looked-up 客户名称 or 校验 (the roll-up fills or checks those itself)."""
    declared = [c.key for c in spec.columns]
    filled = {CUSTOMER_NAME.label} if CUSTOMER_NAME.key in declared else set()
    check = CUSTOMERS.column("check")
    filled |= {check.label, check.key} if check.key not in declared else set()
    return [k for k in present if k not in {*declared, *filled, "file", "row"}]


CUSTOMER_TABLE = rep_table(CUSTOMERS, CUSTOMER_SHEET, "tblAllCustomers", (
    RollupColumn("overdue", "逾期", "overdue", "bool", 10, how="最近拜访（从未拜访则为建档日期）超过等级拜访周期，截至期末"),
    RollupColumn("man_qualified", "MAN合格", "man_qualified", "bool", 10, how="预算、决策权、需求均为是"),
    RollupColumn("chain_missing", "决策链缺失角色", "chain_missing", "text", 10, how="决策者、技术把关者、使用者、教练中没有联系人的"),
))
CONTACT_TABLE = rep_table(CONTACTS, CONTACT_SHEET, "tblAllContacts")
PLAN_TABLE = rep_table(VISIT_PLAN, PLAN_SHEET, "tblAllPlans")
VISIT_TABLE = rep_table(DAILY_REPORT, VISIT_SHEET, "tblAllVisits")
DETAIL_TABLES = (CONTACT_TABLE, PLAN_TABLE, VISIT_TABLE)

# 考核排名: each rep's KPI values and points, total, rating and activity
WORKBOOK_STATUS = {"ok": "已汇总", "no_workbook": render("rep_no_workbook", "zh"),
                   "unreadable": render("rep_unreadable", "zh")}  # RepScore.status as the roll-up shows it


def _kpi_columns() -> list[RollupColumn]:
    out = []
    for k in KPIS:
        out += [RollupColumn(f"value_{k.key}", k.label, k.key, "percent" if k.ratio else "int", 9,
                             how="实际 ÷ 计划（比率）" if k.ratio else "次数"),
                RollupColumn(f"points_{k.key}", f"{k.label}得分", f"points_{k.key}", "number", 7,
                             how=f"满分 {k.points} 分（默认），按参数表扣分")]
    return out


SCORE_TABLE = RollupTable("scores", SCORES, "tblScores", (
    RollupColumn("rank", "排名", "rank", "int", 5, how="按总分从高到低，同分同名次"),
    REP,
    RollupColumn("status", "工作簿", "workbook", "text", 8, how="已汇总；无工作簿或无法读取时本期活动留空"),
    RollupColumn("previous_rank", "上期排名", "previous_rank", "int", 6, how="上期汇总的排名"),
    RollupColumn("rank_change", "排名变化", "rank_change", "text", 6, how="↑ 上升，↓ 下降，= 不变，新 = 上期未排名"),
    *_kpi_columns(),
    RollupColumn("total", "总分", "total", "score", 7, how="可评分指标得分之和 ÷ 其满分之和 × 100"),
    RollupColumn("scaled", "折算", "scaled", "text", 12, how="有指标未评分时：按 可评分满分/总满分 折算为百分制"),
    RollupColumn("rating", "评级", "rating", "text", 7, how="优秀 ≥90，良好 ≥75，合格 ≥60，否则不合格（参数表）"),
    RollupColumn("warning", "口头警告", "warning", "bool", 6, how="总分低于警告线"),
    RollupColumn("left_out", "未评分项", "left_out", "text", 22, how="未计入总分的指标及原因"),
    RollupColumn("visits", "本期拜访", "visits", "int", 7, how="本期拜访日报条数"),
    RollupColumn("valid_info_rate", "有效信息登记率", "valid_info_rate", "percent", 9, how="登记了有效信息的拜访 ÷ 全部拜访"),
    RollupColumn("trip_days", "出差天数", "trip_days", "int", 7, how="本期标记出差的不同日期数"),
))


def scaled_text(possible: int, full: int) -> str:
    """How a total scaled over fewer points than the full sheet is marked: 按 62/75 分折算 (62 of 75 scored)."""
    return render("scaled_total", "zh", possible=possible, full=full)


_customer = CUSTOMER_TABLE.column  # the customer columns other tables show are the very same columns
COMPLIANCE_TABLE = RollupTable("compliance", COMPLIANCE, "tblOverdue", (
    REP, _customer("grade"), _customer("customer_id"), _customer("name"), _customer("last_visit"),
    RollupColumn("next_visit_due", "应拜访日期", "next_visit_due", "date", 11),
    RollupColumn("days_overdue", "逾期天数", "days_overdue", "int", 9, how="期末 − 应拜访日期"),
    _customer("stage"),
))

FUNNEL_TABLE = RollupTable("funnel", FUNNEL, "tblFunnel", (
    REP, *(RollupColumn(f"stage_{i}", stage, f"stage_{i}", "int", 9) for i, stage in enumerate(STAGES)),
    RollupColumn("total", "合计", "total", "int", 8),
))

DUPLICATE_TABLE = RollupTable("duplicates", DUPLICATES, "tblDuplicates", (
    RollupColumn("key", "重复键（信用代码或名称）", "key", "text", 24),
    RollupColumn("reps", "涉及代表数", "reps", "int", 9),
    REP, _customer("customer_id"), _customer("name"),
))

RAW_ROW_SEPARATOR = "｜"  # 被拒收行的全部原始内容 joins label=value with it
PROBLEM_TABLE = RollupTable("problems", PROBLEMS, "tblProblems", (
    RollupColumn("file", "文件", "file", "text", 18),
    RollupColumn("sheet", "工作表", "sheet", "text", 9),
    RollupColumn("row", "行", "row", "int", 6),
    RollupColumn("column", "列", "column", "text", 14),
    RollupColumn("value", "原始值", "value", "text", 20),
    RollupColumn("message", "问题", "message", "text", 64, wraps=True),
    RollupColumn("severity", "处理", "severity", "text", 8),
    RollupColumn("raw_row", "被拒收行的全部原始内容", "raw_row", "text", 60, prints=False),
))

FILE_STATUS = {"ok": "已汇总", "skipped": "已跳过", "failed": "失败"}  # 来源's 状态 of a file
SOURCE_COUNTS = {"read": "读取", "accepted": "采用", "rejected": "拒收", "warnings": "警告"}
SOURCE_SHEETS = {s.key: s.name for s in (*REP_SHEETS, *KPI_SHEETS)}
SOURCE_TABLE = RollupTable("sources", SOURCES, "tblSources", (
    RollupColumn("file", "文件", "file", "text", 20),
    RollupColumn("path", "路径", "path", "text", 40),
    RollupColumn("sha256", "SHA-256", "sha256", "text", 20),
    REP,
    RollupColumn("status", "状态", "status", "text", 8),
    RollupColumn("reason", "原因", "reason", "text", 30),
    *(RollupColumn(f"{sheet}_{count}", f"{name}{label}", f"{sheet}_{count}", "int", 8)
      for sheet, name in SOURCE_SHEETS.items() for count, label in SOURCE_COUNTS.items()),
    RollupColumn("balanced", "对账", "balanced", "text", 8, how="读取 = 采用 + 拒收"),
))
BALANCED = {True: "平", False: "不平"}

TABLES = (SCORE_TABLE, CUSTOMER_TABLE, CONTACT_TABLE, PLAN_TABLE, VISIT_TABLE, COMPLIANCE_TABLE, FUNNEL_TABLE,
          DUPLICATE_TABLE, PROBLEM_TABLE, SOURCE_TABLE)

# ---------------------------------------------------------------- 总览's figures


@dataclass(eq=False)
class Figure:
    """One figure of 总览: its key in the figures sheet, label, unit and how it is computed.

    A ratio (`unit` "percent") shows its actual and plan beside it, from the department's amounts
    `actual` / `plan` (keys of the figures sheet), in `amount_unit`."""
    key: str
    label: str
    unit: str  # percent | count
    how: str
    actual: str | None = None
    plan: str | None = None
    amount_unit: str | None = None  # wan (万元) | home (家)
    how_without_previous: str | None = None  # the text when last period's roll-up was not found
    kpi: bool = False  # has a standard in the settings and counts in a rep's total


KPI_LABELS = {k.key: k.label for k in KPIS}  # a KPI is named as the schema names it, on every sheet


def short_kpi_label(key: str) -> str:
    """A KPI's label for narrow columns (趋势, the charts): without 大客户."""
    return KPI_LABELS[key].replace("大客户", "")


OVERVIEW_KPIS = (
    Figure("sales_completion", KPI_LABELS["sales_completion"], "percent", "实际销售 ÷ 销售计划", "amount_sales_actual", "amount_sales_plan",
           "wan", kpi=True),
    Figure("collection", KPI_LABELS["collection"], "percent", "实际回款 ÷ 应回款", "amount_collection_actual", "amount_collection_due",
           "wan", kpi=True),
    Figure("settlement", KPI_LABELS["settlement"], "percent", "实际结算 ÷ 结算计划", "amount_settlement_actual",
           "amount_settlement_plan", "wan", kpi=True),
    Figure("development", KPI_LABELS["development"], "percent", "实际开发 ÷ 开发计划", "amount_development_actual",
           "amount_development_plan", "home", kpi=True),
    Figure("expense", KPI_LABELS["expense"], "percent", "实际费用 ÷ 费用预算，越低越好", "amount_expense_actual",
           "amount_expense_budget", "wan", kpi=True),
    Figure("churn", KPI_LABELS["churn"], "percent", "本期流失 ÷ 期初客户，越低越好", "lost", "accounts_at_start", "home",
           "无上期汇总：未计算，未计入总分（见上方提醒）", kpi=True),
    Figure("completeness", KPI_LABELS["completeness"], "percent", "客户档案各项已填写的平均比例", kpi=True),
)
OVERVIEW_OTHERS = (
    Figure("new_accounts", "大客户新开发率", "percent", "本期新增 ÷ 期初客户", "new", "accounts_at_start", "home",
           "无上期汇总：未计算"),
    Figure("visit_compliance", "拜访合规率", "percent", "未逾期的客户 ÷ 有拜访周期的客户"),
    Figure("valid_info_rate", "有效信息登记率", "percent", "登记了有效市场信息的拜访 ÷ 全部拜访"),
    Figure("a_chain_complete", "A 类客户决策链完整率", "percent", "决策者、技术把关者、使用者、教练齐全的 A 类客户"),
)
OVERVIEW_COUNTS = (
    Figure("customers", "客户总数", "count", ""),
    Figure("overdue", "逾期未拜访客户", "count", "截至期末"),
    Figure("visits", "本期拜访次数", "count", ""),
    Figure("problems", "数据问题", "count", "拒收与警告的行（见「数据问题」）"),
)
OVERVIEW_FIGURES = (*OVERVIEW_KPIS, *OVERVIEW_OTHERS, *OVERVIEW_COUNTS)
OVERVIEW_METRIC_HEADER = ("部门指标", "实际", "计划 / 基数", "比率", "标准", "上期", "变化", "说明")
OVERVIEW_RANKING_HEADER = ("排名", "代表", "总分", "评级", "上期排名", "排名变化", "未计入总分")


def figure(key: str) -> Figure:
    return next(f for f in OVERVIEW_FIGURES if f.key == key)


# 趋势: the department's KPIs period by period (shorter labels: the columns are narrow), then each rep's total
TREND_FIGURES = (*((key, short_kpi_label(key)) for key in ("sales_completion", "collection", "settlement", "development",
                                                           "expense", "churn", "completeness")),
                 ("visit_compliance", "拜访合规率"))
TREND_PERIOD, TREND_CUSTOMERS, TREND_OVERDUE = "期间", "客户总数", "逾期"


def trend_rep_label(rep: str) -> str:
    return f"{rep}总分"


# 图表数据: per rep, per grade, the Pareto curve (columns A–D, F–G, I–J)
CHART_REPS = ("代表", "客户数", "逾期", "总分")
CHART_GRADES = (CUSTOMERS.column("grade").label, "客户数")
CHART_PARETO = ("客户占比", "采购额累计占比")

# ---------------------------------------------------------------- the figures sheet, by key

FIGURES_HEADER = ("kind", "rep", "key", "value")
# 1: department, rep total/rank/rating/left_out/points_*/value_*, settings.
# 2: each rep also status, warning, possible, full, scaled, reasons, visits, valid_info_rate, trip_days.
FIGURES_VERSION = 2
FIGURES_VERSION_KEY = "kamxl_rollup"
REP_FIGURES = {  # key → meaning; points_<kpi> and value_<kpi> for every KPI besides
    "total": "总分（百分制）", "rank": "排名", "rating": "评级", "warning": "口头警告",
    "left_out": "未计入总分的指标（键）", "reasons": "指标键 → 未计入的原因",
    "possible": "总分折算所依的可评分满分", "full": "全部指标满分之和", "scaled": "总分按更少的分折算",
    "status": "工作簿：ok / no_workbook / unreadable",
    "visits": "本期拜访（无工作簿为 null）", "valid_info_rate": "有效信息登记率（百分数）", "trip_days": "出差天数",
}
