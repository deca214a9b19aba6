"""新建拜访计划 on a rep workbook whose 拜访计划 lost its header row: a message naming the sheet, not a traceback."""

from datetime import date

import openpyxl
import pytest

from kamxl.errors import KamxlError
from kamxl.excel import macros
from kamxl.excel.book import FileBook
from kamxl.templates import build_rep_workbook

GRADE_A = dict(f_share=5, f_cost=1, f_risk=1, f_value=5, f_payment_risk=1, f_supply=5, f_difficulty=1)


def test_new_visit_plan_without_the_plan_sheets_header_says_which_sheet_lacks_it(tmp_path):
    # an A customer on file since January and never visited: due, so a visit is proposed for November
    path = build_rep_workbook(tmp_path / "张伟.xlsm", rep="张伟", data={"customers": [
        {"customer_id": "K1", "name": "K1 有限公司", "industry": "制造", "stage": "合作", "created_on": date(2026, 1, 5),
         **GRADE_A}]})
    wb = openpyxl.load_workbook(path, keep_vba=True)
    for cell in wb["拜访计划"][1]:  # the rep typed over the header row
        cell.value = None
    wb.save(path)

    book = FileBook(path)
    with pytest.raises(KamxlError) as raised:
        macros.new_visit_plan(book, today=date(2026, 10, 20))
    assert str(raised.value).startswith("拜访计划：")
    assert "计划日期" in str(raised.value) and "客户编号" in str(raised.value)  # the labels it looks for
