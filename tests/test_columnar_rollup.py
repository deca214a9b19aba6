"""The columnar roll-up against the row-by-row one, cell for cell, on the demo team and a larger generated team."""

import random
from datetime import date

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

import kamxl.consolidate as consolidate_module
from kamxl.consolidate import consolidate, find_duplicates
from kamxl.demo import DemoOptions, credit_code, write_demo_team
from kamxl.io.outputs.rollup_writer import write_rollup
from kamxl.settings import Settings
from tests import scalar_rollup

TODAY = date(2026, 11, 22)
ROW_BY_ROW = ("_derive_customers", "find_duplicates", "_in_period", "_activity")


def _cells(path, styles: bool) -> dict[str, list]:
    """Every sheet's cells as read back by openpyxl: values, and number formats when `styles`."""
    book = openpyxl.load_workbook(path, read_only=not styles)
    sheets = {}
    for ws in book.worksheets:
        if styles:
            sheets[ws.title] = [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()]
        else:
            sheets[ws.title] = [list(row) for row in ws.iter_rows(values_only=True)]
    book.close()
    return sheets


def _both_rollups(team, tmp_path, monkeypatch, period="2026-10", settings=None):
    """The roll-up written by the columnar code, then by the row-by-row code (the scalar rules) in this same test."""
    columnar = write_rollup(consolidate([team], period, today=TODAY, workers=1, settings=settings), tmp_path / "columnar.xlsx")
    with monkeypatch.context() as patch:
        for name in ROW_BY_ROW:
            patch.setattr(consolidate_module, name, getattr(scalar_rollup, name))
        scalar = write_rollup(consolidate([team], period, today=TODAY, workers=1, settings=settings), tmp_path / "scalar.xlsx")
    return columnar, scalar


@pytest.mark.parametrize("method", ["value", "share"])
def test_demo_team_rollup_is_the_same_cell_for_cell(tmp_path, monkeypatch, method):
    team = tmp_path / "team"
    write_demo_team(team)
    settings = Settings(grade_method=method)
    columnar, scalar = _both_rollups(team, tmp_path, monkeypatch, settings=settings)
    got, expected = _cells(columnar, styles=True), _cells(scalar, styles=True)
    assert list(got) == list(expected)
    for sheet in expected:
        assert got[sheet] == expected[sheet], sheet
    assert len(got["客户总表"]) > 400  # 6 reps × 80 customers, read back


def test_larger_team_rollup_is_the_same_cell_for_cell(tmp_path, monkeypatch):
    team = tmp_path / "team"
    write_demo_team(team, DemoOptions(reps=8, customers=200, visits=1000, seed=11))
    columnar, scalar = _both_rollups(team, tmp_path, monkeypatch, period="2026-Q4")
    got, expected = _cells(columnar, styles=False), _cells(scalar, styles=False)
    assert list(got) == list(expected)
    for sheet in expected:
        assert got[sheet] == expected[sheet], sheet
    duplicates = got["重复客户"]
    assert len(duplicates) > 2  # the generated team shares companies between reps: the duplicates sheet is compared too


VALID_CODES = [credit_code(random.Random(seed)) for seed in range(3)]
CODES = st.sampled_from([*VALID_CODES, VALID_CODES[0][:17] + "0", "123", None, ""])  # + a wrong check digit
NAMES = st.sampled_from(["恒瑞精密机械有限公司", "恒瑞精密机械", "恒瑞 精密机械（集团）", "东方化工(苏州)有限公司",
                         "东方化工（苏州）", "华信", None, "有限公司"])


@hyp_settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["张伟", "李娜", "王芳"]), CODES, NAMES), max_size=14))
def test_duplicates_are_the_row_by_row_duplicates(rows):
    customers = pd.DataFrame({"rep": [r for r, _, _ in rows], "customer_id": [f"KA-{i}" for i in range(len(rows))],
                              "credit_code": [c for _, c, _ in rows], "name": [n for _, _, n in rows]}, dtype=object)
    assert find_duplicates(customers) == scalar_rollup.find_duplicates(customers)
