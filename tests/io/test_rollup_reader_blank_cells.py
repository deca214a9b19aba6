"""A roll-up the director edited by hand: cells left blank still read back, and the scorecards still get written."""

import io
from datetime import date

import openpyxl

from kamxl import rollup_schema as rs
from kamxl.consolidate import consolidate
from kamxl.io.inputs.rollup_reader import read_rollup
from kamxl.io.outputs.rollup_writer import write_rollup
from kamxl.scorecard import rep_card, scorecard_workbook
from tests.conftest import customer, rows_of, write_workbook

# every factor at its best: value score 100, grade A, a visit due every 30 days
GRADE_A = {"份额": 5, "投入成本": 1, "成交风险": 1, "经营价值": 5, "付款风险": 1, "供应能力": 5, "技术难度": 1}


def test_an_overdue_customer_whose_id_was_blanked_keeps_its_row_on_the_reps_scorecard(tmp_path):
    (tmp_path / "team").mkdir()
    # on file since March, never visited: overdue by October
    write_workbook(tmp_path / "team" / "张伟.xlsx", {"客户档案": rows_of([customer("K-1", **GRADE_A)]),
                                                     "拜访日报": [["日期", "客户编号", "拜访结果"]]})
    rollup = consolidate([tmp_path / "team"], "2026-10", today=date(2026, 11, 5), workers=1)
    path = write_rollup(rollup, tmp_path / "rollup.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[rs.CUSTOMER_TABLE.sheet]
    header = [c.value for c in ws[1]]
    id_cell = ws.cell(2, header.index(rs.CUSTOMER_TABLE.label("customer_id")) + 1)
    assert id_cell.value == "K-1" and ws.cell(2, header.index("逾期") + 1).value == rs.YES
    id_cell.value = None
    wb.save(path)

    digest = read_rollup(path)
    [overdue] = digest.overdue
    assert (overdue.rep, overdue.customer_id, overdue.name) == ("张伟", "", "华信精密机械有限公司")
    card = rep_card(digest, "张伟")
    sheet = openpyxl.load_workbook(io.BytesIO(scorecard_workbook(card))).active
    assert "华信精密机械有限公司" in [c.value for row in sheet.iter_rows() for c in row]
