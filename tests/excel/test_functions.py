"""The UDFs' pure functions give exactly what the rules and the reader give on the same rows."""

import random
from datetime import date, datetime

import pytest

from kamxl.demo import DemoOptions, _customers
from kamxl.excel import functions as f
from kamxl.rows import check_rows
from kamxl.rules.completeness import PROFILE_FIELDS, completeness
from kamxl.rules.grading import grade_by_score, value_score
from kamxl.rules.kpi import kpi_points, ratio_percent
from kamxl.rules.visits import next_visit_due
from kamxl.schema import CUSTOMERS, FACTORS
from kamxl.settings import DEFAULTS

FACTOR_KEYS = [k for k, _, _ in FACTORS]


@pytest.fixture(scope="module")
def demo_rows():
    return _customers(random.Random(3), 1, DemoOptions(customers=300), date(2026, 10, 31), [])


def test_value_scores_and_grades_match_the_rules(demo_rows):
    grid = [[r[k] for k in FACTOR_KEYS] for r in demo_rows]
    scores = [row[0] for row in f.value_scores(grid)]
    expected = [value_score({k: r[k] for k in FACTOR_KEYS}, DEFAULTS) for r in demo_rows]
    assert scores == [("" if e is None else e) for e in expected]
    grades = [row[0] for row in f.grades([[s] for s in scores])]
    assert grades == [grade_by_score(e, DEFAULTS) for e in expected]
    assert "未评级" in grades and "A" in grades


def test_single_cells_give_single_values():
    assert f.value_scores([[5, 1, 1, 5, 1, 5, 1]]) == 100.0
    assert f.grades(79.99) == "B"
    assert f.ratings(90) == "优秀"
    assert f.check_credit_code("91350100M000100Y43") == ""
    assert f.check_credit_code("91350100M000100Y44") == "统一社会信用代码校验位错误：末位应为 3"


@pytest.mark.parametrize("last, created, grade, expected", [
    (datetime(2026, 10, 1), datetime(2026, 1, 1), "A", datetime(2026, 10, 31)),
    (None, "2026/9/1", "B", datetime(2026, 10, 31)),
    (46296.0, None, "C", datetime(2026, 12, 30)),  # an Excel serial (2026-10-01)
    (datetime(2026, 10, 1), None, "D", ""),
    (None, None, "A", ""),
])
def test_next_visit_matches_the_rule(last, created, grade, expected):
    assert f.next_visits(last, created, grade) == expected
    if expected:
        rule = next_visit_due(f._date(last), f._date(created), grade, DEFAULTS)
        assert datetime(rule.year, rule.month, rule.day) == expected


def test_overdue_column():
    out = f.overdue([[datetime(2026, 9, 30)], [datetime(2026, 10, 1)]], [[None], [None]], [["A"], ["A"]], "2026-10-31")
    assert out == [[True], [False]]


def test_completeness_of_profile_cells(demo_rows):
    grid = [[r.get(k) for k in PROFILE_FIELDS] for r in demo_rows[:20]]
    assert [row[0] for row in f.completeness_of(grid)] == [completeness(r) for r in demo_rows[:20]]


def test_check_gives_the_readers_problems_per_row(demo_rows):
    header = [c.label for c in CUSTOMERS.inputs]
    table = [header] + [[r.get(c.key) for c in CUSTOMERS.inputs] for r in demo_rows]
    out = f.check_customers(table, today=date(2026, 11, 22))
    assert len(out) == len(table) and out[0] == ["校验"]
    result = check_rows(CUSTOMERS, table, 1, "", today=date(2026, 11, 22))
    flagged = {p.row for p in result.problems}
    assert {i + 1 for i, row in enumerate(out) if i and row[0]} == flagged
    bad_code = next(p for p in result.problems if p.code == "bad_credit_check")
    assert out[bad_code.row - 1][0].startswith("统一社会信用代码：统一社会信用代码校验位错误")
    rejected = next(p for p in result.problems if p.code == "unreadable_required_date")
    assert "必填日期无法识别" in out[rejected.row - 1][0]


def test_check_reports_a_table_without_its_header():
    assert f.check_customers([["x", "y"], [1, 2]])[0][0].startswith("前 10 行内找不到表头")


@pytest.mark.parametrize("kpi, actual, plan, expected", [
    ("销售计划完成率", 87, 100, 23), ("sales_completion", 57, 60, 24), ("合同回款率", 95, 100, 19),
    ("商务费用控制", 112, 100, 8), ("有效投诉次数", 2, None, 3), ("sales_completion", 80, 0, ""),
])
def test_kpi_points_match_the_rule(kpi, actual, plan, expected):
    assert f.kpi_points_of(kpi, actual, plan) == expected
    if plan:
        key = f._KPI_KEYS[kpi]
        assert kpi_points(key, ratio_percent(actual, plan), DEFAULTS) == expected


@pytest.mark.parametrize("call, fragment", [
    (lambda: f.kpi_points_of("销售额", 1, 2), "#KAMXL: 未知考核指标「销售额」"),
    (lambda: f.value_scores([[1, 2, 3]]), "#KAMXL: 需要 7 列评估因素"),
    (lambda: f.completeness_of([[1]]), "#KAMXL: 需要 22 列"),
    (lambda: f.overdue(None, "2026-01-01", "A", "下周"), "#KAMXL: 日期「下周」无法识别"),
])
def test_errors_are_readable_strings_not_tracebacks(call, fragment):
    result = call()
    assert isinstance(result, str) and result.startswith(fragment)


def test_udf_module_wraps_the_functions():
    from kamxl.excel import udfs

    assert udfs.KAM_GRADE(85) == "A"
    assert udfs.KAM_KPI_POINTS("销售计划完成率", 95, 100) == 24
    names = {n for n in dir(udfs) if n.startswith("KAM_")}
    assert names == {"KAM_VALUE_SCORE", "KAM_GRADE", "KAM_NEXT_VISIT", "KAM_OVERDUE", "KAM_COMPLETENESS", "KAM_CHECK",
                     "KAM_CHECK_CREDIT_CODE", "KAM_KPI_POINTS", "KAM_RATING"}
