"""The streamed writer: what it writes reads back, through openpyxl and calamine, as it was given."""

from datetime import date, datetime

import openpyxl
import python_calamine

from kamxl.io.outputs.xlsx_stream import EXCEL_TEXT_LIMIT, Col, StreamingWorkbook, Table, unique_headers


def write(tmp_path, columns, data):
    book = StreamingWorkbook(tmp_path / "out.xlsx")
    book.add_table(Table("数据", "tblData", columns, data))
    book.close()
    return tmp_path / "out.xlsx"


def test_values_read_back_with_their_types_and_formats(tmp_path):
    path = write(tmp_path, [Col("文字"), Col("日期", "date"), Col("金额", "amount"), Col("是否", "bool"), Col("比例", "percent")],
                 [["=SUM(A1:A2)", " 前后空格 ", "a<b&c", None], [date(2026, 10, 3), datetime(2026, 1, 2, 9), None, "2026/13/45"],
                  [1.5, 2, float("nan"), float("inf")], [True, False, None, True], [0.25, None, 1, 0.5]])
    ws = openpyxl.load_workbook(path)["数据"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("=SUM(A1:A2)", datetime(2026, 10, 3), 1.5, "是", 0.25)
    assert rows[1] == (" 前后空格 ", datetime(2026, 1, 2), 2, "否", None)
    assert rows[2] == ("a<b&c", None, None, None, 1)  # NaN is a blank
    assert rows[3] == (None, "2026/13/45", "inf", "是", 0.5)  # what is not a date stays text
    assert ws["A2"].data_type == "s" and ws["B2"].number_format == "yyyy-mm-dd" and ws["E2"].number_format == "0.0%"
    assert ws.tables["tblData"].ref == "A1:E5"
    calamine = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("数据").to_python()
    assert calamine[1][:2] == ["=SUM(A1:A2)", date(2026, 10, 3)]


def test_overlong_text_is_cut_to_what_a_cell_holds(tmp_path):
    path = write(tmp_path, [Col("备注")], [["长" * 40000]])
    assert len(openpyxl.load_workbook(path)["数据"]["A2"].value) == EXCEL_TEXT_LIMIT


def test_empty_table_keeps_one_body_row(tmp_path):
    path = write(tmp_path, [Col("a"), Col("b")], [[], []])
    assert openpyxl.load_workbook(path)["数据"].tables["tblData"].ref == "A1:B2"


def test_repeated_headers_are_made_unique(tmp_path):
    assert unique_headers(["代表", "客户编号", "代表", "代表"]) == ["代表", "客户编号", "代表 (2)", "代表 (3)"]
    path = write(tmp_path, [Col("代表"), Col("代表")], [["a"], ["b"]])
    ws = openpyxl.load_workbook(path)["数据"]
    assert [c.value for c in ws[1]] == ["代表", "代表 (2)"]
    assert [c.name for c in ws.tables["tblData"].tableColumns] == ["代表", "代表 (2)"]


def test_a_pandas_column_is_written_as_its_list(tmp_path):
    import pandas as pd

    texts = pd.Series(["张伟", None, "李娜", "张伟"], dtype="str")  # pandas 3 text: a missing value is NaN
    numbers = pd.Series([1.5, None, 3.0, 4.25])
    from_frame = write(tmp_path, [Col("文字"), Col("金额", "amount")], [texts, numbers])
    rows = list(openpyxl.load_workbook(from_frame)["数据"].iter_rows(min_row=2, values_only=True))
    assert rows == [("张伟", 1.5), (None, None), ("李娜", 3), ("张伟", 4.25)]


def test_a_wide_table_reads_back_cell_for_cell_in_every_row(tmp_path):
    """A rep's own extra columns can make a table thousands of columns wide (hostile.py's is 16,384): its rows are
    written in pieces of a bounded number of cells, each row whole and numbered in turn."""
    width, depth = 3000, 200  # far past one piece of 262,144 cells
    path = write(tmp_path, [Col(f"列{j}") for j in range(width)], [[f"{r}-{j}" for r in range(depth)] for j in range(width)])
    calamine = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("数据").to_python()
    assert len(calamine) == depth + 1
    assert all(row == [f"{r}-{j}" for j in range(width)] for r, row in enumerate(calamine[1:]))
    assert openpyxl.load_workbook(path, read_only=True)["数据"].max_row == depth + 1


def test_a_table_is_cut_into_runs_of_whole_blocks_numbered_from_row_2():
    from kamxl.io.outputs.xlsx_stream import _segments

    blocks = [(n, lambda n=n: [[None] * n]) for n in (5, 5, 5, 5, 20)]
    table = Table("数据", "tblData", [Col("a")], blocks=blocks)
    # 40 rows in 2 parts: runs of about 20 rows, the second starting at row 2 + 20
    assert _segments(table, 2) == [(0, 4, 2), (4, 5, 22)]
    assert _segments(table, 1) == [(0, 5, 2)]
    assert _segments(table, 100) == [(i, i + 1, 2 + 5 * i) for i in range(5)]


def test_a_block_that_does_not_hold_the_rows_it_declared_is_refused(tmp_path):
    import pytest

    book = StreamingWorkbook(tmp_path / "out.xlsx")
    book.add_table(Table("数据", "tblData", [Col("a")], blocks=[(3, lambda: [["x", "y"]])]))
    with pytest.raises(ValueError, match="2 rows, 3 declared"):
        book.close()
    assert not (tmp_path / "out.xlsx").exists() and list(tmp_path.iterdir()) == []


def test_text_is_cut_by_the_utf16_units_excel_counts(tmp_path):
    """Excel counts a cell's text in UTF-16 units: an emoji is 2, so 32,767 units hold 'a' and 16,383 emoji."""
    path = write(tmp_path, [Col("备注"), Col("说明")], [["a" + "😀" * 20000], ["😀" * 20000]])
    ws = openpyxl.load_workbook(path)["数据"]
    assert ws["A2"].value == "a" + "😀" * 16383  # 1 + 2 × 16,383 = 32,767 units
    assert ws["B2"].value == "😀" * 16383  # 32,766 units: the 16,384th emoji would be split in half
    for text in (ws["A2"].value, ws["B2"].value):
        assert len(text.encode("utf-16-le")) // 2 <= 32767


def test_helpers_are_as_many_as_cores_and_the_memory_budget_allow():
    from kamxl.io.outputs.xlsx_stream import helper_count

    mb = 1 << 20
    # 1,024 MB budget, this process holding 400: 624 MB left, room for 6 helpers of 96 MB, but 2 cores
    assert helper_count(1024 * mb, 400 * mb, cores=2, each=96 * mb) == 2
    assert helper_count(1024 * mb, 400 * mb, cores=16, each=96 * mb) == 4  # never more than 4
    assert helper_count(1024 * mb, 850 * mb, cores=4, each=96 * mb) == 1  # 174 MB left: one helper
    assert helper_count(1024 * mb, 950 * mb, cores=4, each=96 * mb) == 0  # 74 MB left: the writer makes them all
    assert helper_count(1024 * mb, 1100 * mb, cores=4, each=96 * mb) == 0  # already over the budget
