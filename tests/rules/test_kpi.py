from decimal import Decimal

import pytest

from kamxl.rules.kpi import kpi_points, rating, ratio_percent, scorecard, total_score, warning
from kamxl.settings import DEFAULTS, Settings


@pytest.mark.parametrize("actual, plan, points", [
    (87, 100, 23),  # the seed's own examples
    (95, 100, 24),
    (96, 100, 25),
    (100, 100, 25),
    (130, 100, 25),
    (57, 60, 24),  # 95 % from numbers whose float quotient is 0.9499…
    (0.95 * 3, 3, 24),  # 2.8499999999999996 / 3
    (94.99, 100, 24),  # 5.01 below: one full step
    (90, 100, 23),  # 10 below: two full steps
    (89.99, 100, 23),  # 10.01 below: two full steps
    (0, 100, 5),
    (-500, 100, 0),  # never below 0
])
def test_sales_completion_points(actual, plan, points):
    assert kpi_points("sales_completion", ratio_percent(actual, plan), DEFAULTS) == points


@pytest.mark.parametrize("plan", [0, None, 0.0])
def test_zero_or_blank_plan_cannot_be_scored(plan):
    assert ratio_percent(80, plan) is None
    assert kpi_points("sales_completion", ratio_percent(80, plan), DEFAULTS) is None


def test_ratio_is_exact_at_six_decimals():
    assert ratio_percent(57, 60) == Decimal("95.000000")
    assert ratio_percent(1, 3) == Decimal("33.333333")


@pytest.mark.parametrize("key, value, points", [
    ("collection", 95, 19),
    ("expense", 100, 10),  # lower is better: at the budget, full points
    ("expense", 104.99, 10),
    ("expense", 105, 9),
    ("expense", 112, 8),
    ("churn", 5, 10),  # standard ≤ 5 %
    ("churn", 10, 9),
    ("churn", 21, 7),
    ("completeness", 80, 1),
    ("complaints", 0, 5),
    ("complaints", 2, 3),
    ("complaints", 9, 0),
])
def test_other_kpis_follow_the_same_rule(key, value, points):
    assert kpi_points(key, value, DEFAULTS) == points


def test_points_and_steps_are_settings():
    settings = Settings(points_sales_completion=30, step_sales_completion=10, deduction_sales_completion=2)
    assert kpi_points("sales_completion", 87, settings) == 28


def test_total_is_scaled_over_what_could_be_scored():
    # 62 of 75 possible points (churn and completeness and complaints not scored) → 82.7
    points = {"sales_completion": 23, "collection": 19, "development": 10, "settlement": 10, "expense": None,
              "churn": None, "completeness": None, "complaints": None}
    assert total_score(points, DEFAULTS) == round(62 / 70 * 100, 1)
    points["expense"] = 0
    points["sales_completion"] = 23
    assert total_score(points, DEFAULTS) == round(62 / 80 * 100, 1)


def test_total_of_nothing_is_none():
    assert total_score({"sales_completion": None}, DEFAULTS) is None


@pytest.mark.parametrize("score, label, warned", [
    (95, "优秀", False), (90, "优秀", False), (89.9, "良好", False), (75, "良好", False), (74.9, "合格", False),
    (60, "合格", False), (59.9, "不合格", True), (None, None, False),
])
def test_rating_and_warning(score, label, warned):
    assert rating(score, DEFAULTS) == label
    assert warning(score, DEFAULTS) is warned


def test_scorecard_lists_what_it_left_out():
    inputs = {"sales_plan": 100, "sales_actual": 87, "collection_due": 0, "collection_actual": 10, "complaints": 1}
    card = scorecard(inputs, None, 90.0, DEFAULTS)
    assert card.points["sales_completion"] == 23
    assert card.points["collection"] is None
    assert card.points["complaints"] == 4
    assert card.points["completeness"] == 3
    assert set(card.missing) == {"collection", "development", "settlement", "expense", "churn"}
    assert card.total == round((23 + 4 + 3) / (25 + 5 + 5) * 100, 1)


def test_a_rep_without_kpi_figures_is_not_scored():
    card = scorecard({}, 0.0, 100.0, DEFAULTS)
    assert card.points["completeness"] == 5 and card.points["churn"] == 10
    assert (card.total, card.rating, card.warning) == (None, None, False)
