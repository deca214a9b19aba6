from datetime import date

import pytest

from kamxl.rules.activity import missing_roles, trip_days, valid_info_rate


@pytest.mark.parametrize("roles, missing", [
    (["决策者", "技术把关者", "使用者", "教练", "采购"], []),
    (["决策者", "采购", None], ["技术把关者", "使用者", "教练"]),
    ([], ["决策者", "技术把关者", "使用者", "教练"]),
])
def test_missing_decision_chain_roles(roles, missing):
    assert missing_roles(roles) == missing


def test_trip_days_count_distinct_days_on_trips():
    d = date(2026, 10, 3)
    assert trip_days([(d, True), (d, True), (date(2026, 10, 4), False), (None, True), (date(2026, 10, 5), True)]) == 2


def test_valid_info_rate():
    assert valid_info_rate([True, False, None, True]) == 50.0
    assert valid_info_rate([]) is None
