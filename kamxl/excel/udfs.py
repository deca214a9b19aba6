"""The worksheet functions (UDFs) Excel calls through xlwings — thin wrappers over `functions.py`.

Each accepts a single cell or a whole column range and returns one value or a column, so one
formula can serve a whole table (a full recalculation makes a handful of Python calls, not one
per row). Import this module from the xlwings add-in (see README, "Using from Excel").
"""

import xlwings as xw

from . import functions as f


@xw.func
@xw.arg("factors", ndim=2)
def KAM_VALUE_SCORE(factors):
    """评估得分 (0–100) of each row of the seven factors 份额 … 技术难度."""
    return f.value_scores(factors)


@xw.func
@xw.arg("score", ndim=2)
@xw.arg("annual_purchase", ndim=2)
def KAM_GRADE(score, annual_purchase=None, regional_sales=None):
    """客户等级 (A/B/C/D/未评级) of each score."""
    return f.grades(score, annual_purchase, regional_sales)


@xw.func
@xw.arg("last_visit", ndim=2)
@xw.arg("created_on", ndim=2)
@xw.arg("grade", ndim=2)
def KAM_NEXT_VISIT(last_visit, created_on, grade):
    """下次拜访: last visit (or 建档日期) plus the grade's visit cadence."""
    return f.next_visits(last_visit, created_on, grade)


@xw.func
@xw.arg("last_visit", ndim=2)
@xw.arg("created_on", ndim=2)
@xw.arg("grade", ndim=2)
def KAM_OVERDUE(last_visit, created_on, grade, at=None):
    """TRUE when the next visit was due before `at` (default: today)."""
    return f.overdue(last_visit, created_on, grade, at)


@xw.func
@xw.arg("profile", ndim=2)
def KAM_COMPLETENESS(profile):
    """档案完整率 of each row of the 22 profile cells 客户名称 … 技术难度."""
    return f.completeness_of(profile)


@xw.func
@xw.arg("table", ndim=2)
def KAM_CHECK(table):
    """校验: each customer row's problems as one message ('' when clean); pass the table with its header."""
    return f.check_customers(table)


@xw.func
@xw.arg("code", ndim=2)
def KAM_CHECK_CREDIT_CODE(code):
    """'' for a valid unified social credit code, else what is wrong with it."""
    return f.check_credit_code(code)


@xw.func
@xw.arg("actual", ndim=2)
@xw.arg("plan", ndim=2)
def KAM_KPI_POINTS(kpi, actual, plan=None):
    """Points of a KPI (e.g. 销售计划完成率 or sales_completion) for actual ÷ plan, or for a count."""
    return f.kpi_points_of(kpi, actual, plan)


@xw.func
@xw.arg("score", ndim=2)
def KAM_RATING(score):
    """评级 (优秀/良好/合格/不合格) of each total score."""
    return f.ratings(score)
