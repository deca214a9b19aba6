"""met / close / missed: close means short of the standard by less than one deduction step (no point lost yet)."""

import pytest

from kamxl.rules.kpi import kpi_points
from kamxl.rules.standing import CLOSE, MET, MISSED, standard_text, standing
from kamxl.settings import DEFAULTS


@pytest.mark.parametrize("key, value, expected", [
    ("sales_completion", 100, MET), ("sales_completion", 120, MET),
    ("sales_completion", 96, CLOSE), ("sales_completion", 95.01, CLOSE),
    ("sales_completion", 95, MISSED), ("sales_completion", 87, MISSED),  # 95 % costs the first point (domain.md)
    ("expense", 100, MET), ("expense", 104, CLOSE), ("expense", 105, MISSED),  # lower is better
    ("churn", 5, MET), ("churn", 9.9, CLOSE), ("churn", 10, MISSED),
    ("complaints", 0, MET), ("complaints", 1, MISSED),
    ("collection", None, None),
])
def test_standing(key, value, expected):
    assert standing(key, value, DEFAULTS) == expected


@pytest.mark.parametrize("value", [100, 97.5, 95, 90])
def test_close_never_loses_a_point_and_missed_always_does(value):
    full = kpi_points("sales_completion", 100, DEFAULTS)
    lost = kpi_points("sales_completion", value, DEFAULTS) < full
    assert lost == (standing("sales_completion", value, DEFAULTS) == MISSED)


def test_standard_text_from_the_settings():
    assert standard_text("sales_completion", DEFAULTS) == "≥ 100%"
    assert standard_text("churn", DEFAULTS) == "≤ 5%"
    assert standard_text("complaints", DEFAULTS) == "≤ 0 次"
    assert standard_text("sales_completion", DEFAULTS.model_copy(update={"standard_sales_completion": 95.5})) == "≥ 95.5%"
