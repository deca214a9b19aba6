"""What the Excel UDFs compute, as pure functions over Excel-shaped values (scalars or 2-D lists).

Each is a thin adapter from cells to a rule in `kamxl.rules` or the reader's own row checks, so a
formula in a workbook, the CLI and the roll-up give the same answer. Errors come back as a
readable `#KAMXL: …` string, never as a traceback in a cell.
"""

import functools
from datetime import date, datetime

from .. import parsing
from ..errors import KamxlError
from ..rows import check_rows
from ..problems import messages_by_row
from ..rules.completeness import PROFILE_FIELDS, completeness
from ..rules.grading import customer_grade, value_score
from ..rules.kpi import kpi_points, rating, ratio_percent
from ..rules.visits import is_overdue, next_visit_due
from ..schema import CUSTOMERS, FACTORS, KPIS
from ..settings import DEFAULTS, Settings

ERROR = "#KAMXL: "
CHECK_HEADER = "校验"  # check_customers' answer for a good header row: the templates' 校验 formula tests for it
_KPI_KEYS = {k.key: k.key for k in KPIS} | {k.label: k.key for k in KPIS}


def excel_safe(fn):
    """Return `#KAMXL: message` instead of raising: a cell shows the reason, Excel never sees a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KamxlError as exc:
            return ERROR + str(exc)
        except Exception as exc:  # the last line of defence of a worksheet cell
            return f"{ERROR}{type(exc).__name__}: {exc}"
    return wrapper


def _grid(values) -> list[list]:
    """Any Excel argument as a 2-D list: a scalar is one cell, a flat list one column."""
    if not isinstance(values, (list, tuple)):
        return [[values]]
    if values and not isinstance(values[0], (list, tuple)):
        return [[v] for v in values]
    return [list(r) for r in values]


def _column(values) -> list:
    return [row[0] if row else None for row in _grid(values)]


def _out(values: list):
    """One value back as a scalar, several as a column."""
    return values[0] if len(values) == 1 else [[v] for v in values]


def _blank(v):
    return "" if v is None else v


def _date(v) -> date | None:
    return parsing.parse_date(v).value if not parsing.is_blank(v) else None


@excel_safe
def value_scores(factors, settings: Settings = DEFAULTS):
    """评估得分 of each row of the seven factors (份额 … 技术难度), '' when incomplete."""
    scores = []
    keys = [key for key, _, _ in FACTORS]
    ratings_of: dict = {}  # a handful of distinct ratings: parse each once
    for row in _grid(factors):
        if len(row) != len(FACTORS):
            raise KamxlError(f"需要 {len(FACTORS)} 列评估因素（份额至技术难度），收到 {len(row)} 列")
        ratings = {}
        for key, v in zip(keys, row):
            token = (v.__class__, v)
            if token not in ratings_of:
                ratings_of[token] = parsing.parse_factor(v).value
            ratings[key] = ratings_of[token]
        scores.append(_blank(value_score(ratings, settings)))
    return _out(scores)


@excel_safe
def grades(scores, annual_purchase=None, regional_sales=None, settings: Settings = DEFAULTS):
    """客户等级 of each score (or, with the share method, of each annual purchase)."""
    score_list = _column(scores)
    purchases = _column(annual_purchase) if annual_purchase is not None else [None] * len(score_list)
    out = []
    for score, purchase in zip(score_list, purchases):
        score = parsing.parse_amount(score, None).value
        amount = parsing.parse_amount(purchase, "万元").value
        out.append(customer_grade(score, amount, regional_sales, settings))
    return _out(out)


@excel_safe
def next_visits(last_visit, created_on, grade, settings: Settings = DEFAULTS):
    """下次拜访 of each row: last visit (or 建档日期) plus the grade's cadence; '' when none is due."""
    rows = zip(_column(last_visit), _column(created_on), _column(grade))
    return _out([_blank(as_excel_date(next_visit_due(_date(last), _date(created), parsing.clean_text(g) or "", settings)))
                 for last, created, g in rows])


@excel_safe
def overdue(last_visit, created_on, grade, at=None, settings: Settings = DEFAULTS):
    """True for each customer whose next visit was due before `at` (default today)."""
    when = _date(at) if at is not None and not parsing.is_blank(at) else date.today()
    if when is None:
        raise KamxlError(f"日期「{at}」无法识别")
    rows = zip(_column(last_visit), _column(created_on), _column(grade))
    return _out([is_overdue(_date(last), _date(created), parsing.clean_text(g) or "", when, settings)
                 for last, created, g in rows])


@excel_safe
def completeness_of(profile_cells):
    """档案完整率 of each row of the 22 profile cells (客户名称 … 技术难度)."""
    out = []
    for row in _grid(profile_cells):
        if len(row) != len(PROFILE_FIELDS):
            raise KamxlError(f"需要 {len(PROFILE_FIELDS)} 列（客户名称至技术难度），收到 {len(row)} 列")
        out.append(completeness(dict(zip(PROFILE_FIELDS, row))))
    return _out(out)


_CHECK_MEMO: dict = {}  # parse results kept between recalculations: an edit re-parses only what changed
_CHECK_MEMO_LIMIT = 200_000


@excel_safe
def check_customers(table, today: date | None = None, lang: str | None = None):
    """校验 of each row of the customer table (header row included): its problems as one message, '' when clean."""
    rows = _grid(table)
    if sum(len(m) for m in _CHECK_MEMO.values()) > _CHECK_MEMO_LIMIT:
        _CHECK_MEMO.clear()
    result = check_rows(CUSTOMERS, rows, 1, "", today=today, build_frame=False, parse_memo=_CHECK_MEMO)
    messages = messages_by_row(result.problems, lang)
    header = next((p.message(lang) for p in result.problems if p.code in ("no_header", "sheet_unusable")), CHECK_HEADER)
    return [[header]] + [[messages.get(("", r), "")] for r in range(2, len(rows) + 1)]


@excel_safe
def check_credit_code(code, lang: str | None = None):
    """'' for a valid unified social credit code (or a blank), else what is wrong with it."""
    from ..messages import render

    return _out([render(p.problem, lang, **dict(p.params)) if p.problem else ""
                 for p in (parsing.parse_credit_code(c) for c in _column(code))])


@excel_safe
def kpi_points_of(kpi, actual, plan=None, settings: Settings = DEFAULTS):
    """Points of a KPI (key or Chinese label): actual ÷ plan as a percent, or a count when no plan is given."""
    key = _KPI_KEYS.get(parsing.clean_text(kpi) or "")
    if key is None:
        raise KamxlError(f"未知考核指标「{kpi}」，可用：{'、'.join(k.label for k in KPIS)}")
    actuals = _column(actual)
    plans = _column(plan) if plan is not None else [None] * len(actuals)
    out = []
    for a, p in zip(actuals, plans):
        a_value = parsing.parse_amount(a, None).value
        if plan is None:
            value = a_value if a_value is not None else (0 if key == "complaints" else None)
        else:
            ratio = ratio_percent(a_value, parsing.parse_amount(p, None).value)
            value = ratio
        out.append(_blank(kpi_points(key, value, settings)))
    return _out(out)


@excel_safe
def ratings(scores, settings: Settings = DEFAULTS):
    """评级 of each total score."""
    return _out([_blank(rating(parsing.parse_amount(s, None).value, settings)) for s in _column(scores)])


def as_excel_date(value):
    """Dates leave Python as datetimes, which xlwings writes as Excel dates."""
    return datetime(value.year, value.month, value.day) if isinstance(value, date) and not isinstance(value, datetime) else value
