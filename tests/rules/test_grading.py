import pytest

from kamxl.rules.grading import customer_grade, grade_by_score, grade_by_share, man_qualified, value_score
from kamxl.settings import DEFAULTS, Settings

ALL = ("f_share", "f_cost", "f_risk", "f_value", "f_payment_risk", "f_supply", "f_difficulty")


def factors(share, cost, risk, value, payment_risk, supply, difficulty):
    return dict(zip(ALL, (share, cost, risk, value, payment_risk, supply, difficulty)))


@pytest.mark.parametrize("ratings, score", [
    (factors(5, 1, 1, 5, 1, 5, 1), 100.0),  # best on every factor: cost, risks and difficulty count inversely
    (factors(1, 5, 5, 1, 5, 1, 5), 20.0),
    (factors(3, 3, 3, 3, 3, 3, 3), 60.0),
    (factors(5, 1, 2, 4, 1, 5, 2), 91.43),
    (factors(4, 2, 2, 4, 2, 4, 2), 80.0),
])
def test_value_score_weighs_factors_equally_by_default(ratings, score):
    assert value_score(ratings, DEFAULTS) == score


def test_incomplete_assessment_has_no_score():
    ratings = factors(5, 1, 1, 5, 1, 5, None)
    assert value_score(ratings, DEFAULTS) is None
    assert grade_by_score(None, DEFAULTS) == "未评级"


def test_a_factor_weighted_zero_may_stay_blank():
    settings = Settings(weight_f_difficulty=0)
    assert value_score(factors(5, 1, 1, 5, 1, 5, None), settings) == 100.0


def test_weights_change_the_score():
    settings = Settings(weight_f_share=4)
    # share 5 (weight 4) and six factors at 3: (4·5 + 6·3) / (5·10) = 76
    assert value_score(factors(5, 3, 3, 3, 3, 3, 3), settings) == 76.0


@pytest.mark.parametrize("score, grade", [
    (100, "A"), (80, "A"), (79.99, "B"), (60, "B"), (59.99, "C"), (40, "C"), (39.99, "D"), (0, "D"),
])
def test_grade_boundaries_80_60_40(score, grade):
    assert grade_by_score(score, DEFAULTS) == grade


def test_grade_thresholds_are_settings():
    assert grade_by_score(75, Settings(grade_a=70, grade_b=50, grade_c=30)) == "A"


@pytest.mark.parametrize("purchase, regional, grade", [
    (200, 1000, "A"), (199.9, 1000, "B"), (100, 1000, "B"), (99, 1000, "C"), (None, 1000, "未评级"), (10, 0, "未评级"),
])
def test_share_of_regional_sales_method(purchase, regional, grade):
    assert grade_by_share(purchase, regional, DEFAULTS) == grade


def test_method_is_chosen_in_settings():
    assert customer_grade(90, 10, 1000, DEFAULTS) == "A"
    assert customer_grade(90, 10, 1000, Settings(grade_method="share")) == "C"


@pytest.mark.parametrize("money, authority, need, qualified", [
    (True, True, True, True), (False, True, True, False), (True, False, True, False), (True, True, False, False),
    (True, None, True, None), (False, None, None, False),
])
def test_man_principle(money, authority, need, qualified):
    assert man_qualified(money, authority, need) is qualified
