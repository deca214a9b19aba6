"""The workbook contract as data: every sheet and column, written once.

Templates, reader, validator, UDFs and the roll-up all derive from these specs
(see ../shared/workbook-contract.md). Changing a label here changes every one of them.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

import pydantic

if TYPE_CHECKING:
    from .settings import Settings  # settings are declared on this module's KPIs: imported late at run time


class ColType(StrEnum):
    TEXT = "text"
    ID = "id"  # identifier-like: always text, `010020` keeps its zero
    AMOUNT = "amount"  # money in the column's unit (万元 or 元); text such as 12.5万 accepted
    INTEGER = "integer"
    DATE = "date"
    PHONE = "phone"  # mobile or landline
    MOBILE = "mobile"
    EMAIL = "email"
    YES_NO = "yes_no"
    CHOICE = "choice"
    FACTOR = "factor"  # value-assessment rating 1–5
    CREDIT_CODE = "credit_code"
    PERIOD = "period"


_TYPE_GUIDANCE = {
    ColType.TEXT: "文字", ColType.ID: "编号（按文本保存，前导 0 保留）", ColType.AMOUNT: "数字，可写 12.5万 或 1,250,000元",
    ColType.INTEGER: "整数", ColType.DATE: "日期，如 2026-10-03", ColType.PHONE: "手机或座机，如 13800138000、010-12345678",
    ColType.MOBILE: "11 位手机号", ColType.EMAIL: "邮箱，如 name@example.com", ColType.FACTOR: "1（低）到 5（高）",
    ColType.CREDIT_CODE: "18 位统一社会信用代码", ColType.PERIOD: "2026-10、2026-Q4 或 2026",
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: ColType = ColType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    unit: str | None = None
    help: str = ""
    computed: bool = False  # filled by formula / the rules, never typed by a rep
    profile: bool = False  # counts in 档案完整率 (file completeness)
    no_future: bool = False  # a date after today is a warning
    width: int = 12
    # header variants reps really write (matched after the reader's folding: trimmed, full-width → half-width);
    # reading one is a warning naming the mapping. Never another column's label, key or alias in the same sheet.
    aliases: tuple[str, ...] = ()

    def header(self, lang: str = "zh") -> str:
        return self.key if lang == "en" else self.label

    def help_text(self, settings: "Settings | None" = None) -> str:
        """The help, the settings it quotes ({grade_a}, {cadence_a}…) filled in from `settings` (default: the handbook's)."""
        if "{" not in self.help:
            return self.help
        from .settings import DEFAULTS, with_settings  # settings are declared on this module's KPIs: imported late

        return with_settings(self.help, settings or DEFAULTS)

    def guidance(self, settings: "Settings | None" = None) -> str:
        """What to type, for the header's comment and the cell's input message: the help, else from the type."""
        if self.computed:
            return f"自动计算，请勿填写。{self.help_text(settings)}".rstrip()
        text = self.help_text(settings) or _TYPE_GUIDANCE.get(self.type, "")
        if self.type in (ColType.CHOICE, ColType.YES_NO) and not self.help:
            text = "从下拉框选择：" + "/".join(self.choices)
        if self.unit and self.unit not in text:
            text = f"单位：{self.unit}。{text}"
        return ("必填。" if self.required else "") + text


@dataclass(frozen=True)
class Sheet:
    key: str
    name: str
    columns: tuple[Column, ...]
    help: str = ""
    keyed_by_customer: bool = False  # rows must name a customer of the same file

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def inputs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.computed)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


YES_NO = ("是", "否")
FACTOR_HELP = "1（低）到 5（高）"
INDUSTRIES = ("制造", "能源", "化工", "建筑", "交通物流", "政府", "军工", "公安", "教育", "医疗", "媒体", "金融", "零售", "互联网", "其他")
ACCOUNT_TYPES = ("经济大客户", "重要客户", "集团客户", "战略客户")
SCALES = ("大型", "中型", "小型")
STAGES = ("确定开发对象", "信息收集", "价值评估", "关系建立", "促成成交", "合作", "稳定发展", "流失")
LOST_STAGE = "流失"
CREDIT_LEVELS = ("绿", "黄", "红")
# the decision chain (seed 001); `key`: an A account should have it identified (决策者, 技术把关者, 使用者 and a 教练)
_ROLES = (("决策者", True), ("技术把关者", True), ("使用者", True), ("采购", False), ("财务", False), ("教练", True))
ROLES = tuple(role for role, _ in _ROLES)
KEY_ROLES = tuple(role for role, key in _ROLES if key)
STYLES = ("老虎", "孔雀", "猫头鹰", "无尾熊")
ATTITUDES = ("支持", "中立", "反对")
MODES = ("上门拜访", "电话", "邮件", "接待来访", "会议", "其他")
PURPOSES = ("初次拜访", "需求了解", "方案交流", "商务谈判", "回款催收", "售后服务", "关系维护", "节日关怀", "其他")
PLAN_STATUSES = ("计划", "已完成", "延期", "取消")
GRADES = ("A", "B", "C", "D")
UNGRADED = "未评级"

# The value-assessment factors of seed 001; `inverse` ones count as (6 − x).
FACTORS: tuple[tuple[str, str, bool], ...] = (
    ("f_share", "份额", False),
    ("f_cost", "投入成本", True),
    ("f_risk", "成交风险", True),
    ("f_value", "经营价值", False),
    ("f_payment_risk", "付款风险", True),
    ("f_supply", "供应能力", False),
    ("f_difficulty", "技术难度", True),
)

@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    points: int
    standard: float  # percent, or a count for complaints
    step: float  # a full step of this size away from the standard costs `deduction` points
    higher_is_better: bool
    ratio: bool = True  # False: a count (complaints)


# seed 000's KPI sheet; only the sales row survives in the source — the rest are (default)s
KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition("sales_completion", "销售计划完成率", 25, 100, 5, True),
    KpiDefinition("collection", "合同回款率", 20, 100, 5, True),
    KpiDefinition("development", "大客户开发计划完成率", 15, 100, 5, True),
    KpiDefinition("settlement", "销售合同结算率", 10, 100, 5, True),
    KpiDefinition("expense", "商务费用控制", 10, 100, 5, False),
    KpiDefinition("churn", "大客户流失率", 10, 5, 5, False),
    KpiDefinition("completeness", "大客户档案完整率", 5, 100, 5, True),
    KpiDefinition("complaints", "有效投诉次数", 5, 0, 1, False, ratio=False),
)



C = Column
# header variants shared by several sheets (see Column.aliases)
CUSTOMER_ID_ALIASES = ("编号", "客户ID", "客户号")
EMAIL_ALIASES = ("电子邮箱", "邮箱地址")
CUSTOMERS = Sheet("customers", "客户档案", (
    C("customer_id", "客户编号", ColType.ID, required=True, help="本工作簿内唯一，如 KA-001", width=11,
      aliases=CUSTOMER_ID_ALIASES),
    C("name", "客户名称", required=True, profile=True, help="公司全称", width=28, aliases=("客户名", "客户", "客户全称")),
    C("credit_code", "统一社会信用代码", ColType.CREDIT_CODE, profile=True, help="18 位，含校验位（GB 32100-2015）", width=21,
      aliases=("信用代码", "社会信用代码", "统一信用代码")),
    C("industry", "行业", ColType.CHOICE, required=True, choices=INDUSTRIES, profile=True, width=10, aliases=("所属行业",)),
    C("account_type", "客户类型", ColType.CHOICE, choices=ACCOUNT_TYPES, profile=True, help="经济大客户/重要客户/集团客户/战略客户", width=11),
    C("scale", "规模", ColType.CHOICE, choices=SCALES, profile=True, width=7),
    C("region", "地区", profile=True, help="大区或省市，如 华东、苏州", width=9, aliases=("区域", "所在地区")),
    C("phone", "电话", ColType.PHONE, profile=True, help="手机或座机，如 010-12345678", width=15,
      aliases=("联系电话", "电话号码")),
    C("email", "邮箱", ColType.EMAIL, profile=True, width=22, aliases=EMAIL_ALIASES),
    C("stage", "开发阶段", ColType.CHOICE, required=True, choices=STAGES, profile=True, width=11, aliases=("阶段",)),
    C("created_on", "建档日期", ColType.DATE, required=True, profile=True, no_future=True, width=11,
      aliases=("建档时间", "建档日")),
    C("annual_purchase", "年采购额(万元)", ColType.AMOUNT, unit="万元", profile=True, help="万元；可写 12.5万 或 1,250,000元", width=13,
      aliases=("年采购额", "年采购额(万)", "年采购额万元", "年采购金额(万元)")),
    C("credit_level", "信用等级", ColType.CHOICE, choices=CREDIT_LEVELS, profile=True, help="绿=好，黄=关注，红=风险；变化须 10 天内处理", width=9),
    C("man_money", "预算", ColType.YES_NO, choices=YES_NO, profile=True, help="MAN：有购买力（是/否）", width=6),
    C("man_authority", "决策权", ColType.YES_NO, choices=YES_NO, profile=True, help="MAN：已接触决策者（是/否）", width=7),
    C("man_need", "需求", ColType.YES_NO, choices=YES_NO, profile=True, help="MAN：有明确需求（是/否）", width=6),
    *(C(key, label, ColType.FACTOR, profile=True, help=FACTOR_HELP + ("，越高越难/险（反向计分）" if inverse else ""), width=8)
      for key, label, inverse in FACTORS),
    C("value_score", "评估得分", ColType.AMOUNT, computed=True, help="由评估因素计算（0–100）", width=9),
    C("grade", "客户等级", ColType.CHOICE, choices=GRADES + (UNGRADED,), computed=True, help="A≥{grade_a} B≥{grade_b} C≥{grade_c} 否则 D", width=9),
    C("last_visit", "最近拜访", ColType.DATE, computed=True, help="拜访日报中最近一次日期", width=11),
    C("next_visit_due", "下次拜访", ColType.DATE, computed=True, help="按等级拜访周期：A {cadence_a} 天，B {cadence_b} 天，C {cadence_c} 天", width=11),
    C("completeness", "档案完整率", ColType.AMOUNT, computed=True, width=10),
    C("check", "校验", computed=True, help="本行的问题；为空表示无误", width=30),
), help="每个客户一行", )

# the rep template's hidden helper columns of the native 校验 (native_check.py): _校验·电话, in English _check·phone.
# They are no rep's own columns: the reader leaves them out
HELPER_PREFIX, HELPER_KEY_PREFIX = "_校验·", "_check·"


def is_helper(header) -> bool:
    """True for the header of a native check's helper column."""
    return isinstance(header, str) and header.startswith((HELPER_PREFIX, HELPER_KEY_PREFIX))


CONTACTS = Sheet("contacts", "联系人", (
    C("customer_id", "客户编号", ColType.ID, required=True, width=11, aliases=CUSTOMER_ID_ALIASES),
    C("name", "姓名", required=True, width=10, aliases=("联系人姓名",)),
    C("title", "职务", width=12, aliases=("职位",)),
    C("role", "角色", ColType.CHOICE, choices=ROLES, help="决策链角色：" + "/".join(ROLES), width=11),
    C("style", "性格", ColType.CHOICE, choices=STYLES, width=8),
    C("attitude", "态度", ColType.CHOICE, choices=ATTITUDES, width=7),
    C("mobile", "手机", ColType.MOBILE, width=14, aliases=("手机号", "手机号码")),
    C("email", "邮箱", ColType.EMAIL, width=22, aliases=EMAIL_ALIASES),
    C("birthday", "生日", ColType.DATE, no_future=True, width=11, aliases=("出生日期",)),
    C("hobbies", "爱好", width=16),
), keyed_by_customer=True)

VISIT_PLAN = Sheet("visit_plan", "拜访计划", (
    C("planned_on", "计划日期", ColType.DATE, required=True, width=11, aliases=("计划拜访日期", "计划时间")),
    C("customer_id", "客户编号", ColType.ID, required=True, width=11, aliases=CUSTOMER_ID_ALIASES),
    C("contact", "拜访对象", width=10),
    C("purpose", "目的", ColType.CHOICE, choices=PURPOSES, width=10),
    C("mode", "方式", ColType.CHOICE, choices=MODES, width=10),
    C("status", "状态", ColType.CHOICE, choices=PLAN_STATUSES, width=8),
), keyed_by_customer=True)

DAILY_REPORT = Sheet("daily_report", "拜访日报", (
    C("date", "日期", ColType.DATE, required=True, no_future=True, width=11, aliases=("拜访日期", "拜访时间")),
    C("customer_id", "客户编号", ColType.ID, required=True, width=11, aliases=CUSTOMER_ID_ALIASES),
    C("contact", "联系人", width=10),
    C("mode", "方式", ColType.CHOICE, choices=MODES, width=10),
    C("purpose", "目的", ColType.CHOICE, choices=PURPOSES, width=10),
    C("result", "拜访结果", required=True, width=24, aliases=("结果",)),
    C("feedback", "客户反馈", help="产品质量、使用满意度、竞品、行业动态", width=24),
    C("next_step", "下一步", width=16),
    C("next_date", "下次日期", ColType.DATE, width=11, aliases=("下次拜访日期",)),
    C("expense", "费用(元)", ColType.AMOUNT, unit="元", width=10, aliases=("费用", "拜访费用")),
    C("on_trip", "出差", ColType.YES_NO, choices=YES_NO, width=6, aliases=("是否出差",)),
    C("valid_info", "有效信息", ColType.YES_NO, choices=YES_NO, help="本次是否登记了有用的市场信息", width=8),
), keyed_by_customer=True)

KPI_INPUTS = Sheet("kpi", "考核指标", (
    C("period", "期间", ColType.PERIOD, required=True, help="2026-10、2026-Q4 或 2026", width=9),
    C("rep", "代表姓名", required=True, width=10),
    C("sales_plan", "销售计划(万元)", ColType.AMOUNT, unit="万元", width=12),
    C("sales_actual", "实际销售(万元)", ColType.AMOUNT, unit="万元", width=12),
    C("development_plan", "开发计划(家)", ColType.INTEGER, width=10),
    C("development_actual", "实际开发(家)", ColType.INTEGER, width=10),
    C("settlement_plan", "结算计划(万元)", ColType.AMOUNT, unit="万元", width=12),
    C("settlement_actual", "实际结算(万元)", ColType.AMOUNT, unit="万元", width=12),
    C("collection_due", "应回款(万元)", ColType.AMOUNT, unit="万元", width=12),
    C("collection_actual", "实际回款(万元)", ColType.AMOUNT, unit="万元", width=12),
    C("expense_budget", "费用预算(元)", ColType.AMOUNT, unit="元", width=12),
    C("expense_actual", "实际费用(元)", ColType.AMOUNT, unit="元", width=12),
    C("complaints", "有效投诉(次)", ColType.INTEGER, width=10),
    *(C(f"points_{k.key}", f"{k.label}得分", ColType.AMOUNT, computed=True, width=10) for k in KPIS),
    # this sheet cannot know churn (last period's roll-up) nor file completeness (the rep workbooks): its total
    # is an estimate and says so; the roll-up's 考核排名 holds the total that counts (README, "One total")
    C("total", "预估总分（不含流失率、档案完整率）", ColType.AMOUNT, computed=True, width=12,
      help="按本表可评分项折算为百分制。大客户流失率与大客户档案完整率由月度汇总计算，正式总分与评级以汇总表「考核排名」为准"),
    C("rating", "预估评级", computed=True, help="按预估总分：优秀 ≥{rating_excellent}，良好 ≥{rating_good}，合格 ≥{rating_pass}，否则不合格；正式评级见汇总表", width=8),
))

TEAM = Sheet("team", "团队", (
    C("rep", "代表姓名", required=True, width=10),
    C("email", "邮箱", ColType.EMAIL, width=24),
    C("region", "地区", width=10),
    C("file", "文件", help="代表工作簿的文件名（与姓名不同时填写）", width=24),
))

REP_SHEETS = (CUSTOMERS, CONTACTS, VISIT_PLAN, DAILY_REPORT)
KPI_SHEETS = (KPI_INPUTS, TEAM)
INSTRUCTIONS_SHEET = "说明"
SETTINGS_SHEET = "参数"
REP_NAME_LABEL = "代表姓名"
TEMPLATE_VERSION_LABEL = "模板版本"

_PY_TYPES = {
    ColType.AMOUNT: float, ColType.INTEGER: int, ColType.DATE: date,
    ColType.YES_NO: bool, ColType.FACTOR: int,
}


@cache
def row_model(sheet: Sheet) -> type[pydantic.BaseModel]:
    """A pydantic model of one accepted row of the sheet, derived from its column specs."""
    fields: dict[str, Any] = {}
    for col in sheet.columns:
        py = _PY_TYPES.get(col.type, str)
        fields[col.key] = (py if col.required and not col.computed else py | None,
                           pydantic.Field(default=None if not col.required or col.computed else ...,
                                          title=col.label, description=col.help_text() or None))
    name = "".join(part.title() for part in sheet.key.split("_")) + "Row"
    return pydantic.create_model(name, __config__=pydantic.ConfigDict(extra="allow"), **fields)
