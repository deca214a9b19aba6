"""The pre-read scan: its quick bound of a sheet's area never lets through what the exact count refuses."""

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsxwriter.utility import xl_col_to_name

from kamxl.errors import UnreadableWorkbook
from kamxl.io.inputs.excel_file import Limits, Package, _placed_area, inspect, load, open_package, open_sheets_of, sheet_rows


def _cell(row: int, col: int, content: bool, with_ref: bool, style: bool, space: str = " ") -> str:
    """A cell's XML; `space` the white space before each attribute (XML allows a tab or a line break); " 0": a space,
    and the row number spelt with leading zeros."""
    zero, space = ("0000", " ") if space == " 0" else ("", space)
    ref = f'{space}r="{xl_col_to_name(col - 1)}{zero}{row}"' if with_ref else ""
    s = f'{space}s="1"' if style else ""
    return f"<c{ref}{s}><v>1</v></c>" if content else f"<c{ref}{s}/>"


cells = st.lists(st.tuples(st.integers(1, 1_048_576), st.integers(1, 16_384), st.booleans(),
                           st.booleans(), st.booleans(), st.sampled_from([" ", "\t", "\n", "\r\n", "  ", " 0"])), max_size=12)


@pytest.mark.slow
@given(cells, st.booleans())
@settings(max_examples=300, deadline=None)
def test_a_sheet_is_refused_exactly_when_its_content_spans_more_than_the_limit(spec, row_refs):
    """Whatever the quick bound says, the verdict is the exact area's: the cells with content, placed as calamine does."""
    rows_xml, placed, row = [], [], 0
    for at_row, col, content, ref, style, space in spec:
        row = at_row if row_refs else row + 1
        rows_xml.append(f'<row{f" r={chr(34)}{row}{chr(34)}" if row_refs else ""}>{_cell(row, col, content, ref, style, space)}</row>')
        if content:  # a cell without a reference is the first of its row
            placed.append((row, col if ref else 1))
    if not placed:
        return
    area = (max(r for r, _ in placed) - min(r for r, _ in placed) + 1) * max(c for _, c in placed)
    package = _package("<sheetData>" + "".join(rows_xml) + "</sheetData>")
    assert inspect(package, Limits(cells=area)) == ()
    with pytest.raises(UnreadableWorkbook):
        inspect(package, Limits(cells=area - 1))


def _workbook(sheet_xml_tail: str) -> Package:
    return _package('<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>客户编号</t></is></c>'
                    '<c r="C1"><v>3</v></c></row>' + sheet_xml_tail + "</sheetData>")


def _package(sheet_data: str) -> Package:
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main">' + sheet_data + "</worksheet>")
    workbook = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://'
                'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                '<sheet name="客户档案" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>')
    out = io.BytesIO()
    types = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
             'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return Package(Path("张伟.xlsx"), out.getvalue(), "")


@pytest.mark.parametrize("tail, refused", [
    ("", None),
    # formatting down to the last cell of the grid: the quick bound is over, the cells holding content are not
    ('<row r="1048576"><c r="XFD1048576" s="1"/></row>', None),
    ('<row r="1048576" s="1"><c r="XFD1048576" s="1"></c></row>', None),
    # content there: 1,048,576 rows × 16,384 columns
    ('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', (1_048_576, 16_384)),
    # the same cell as other writers (or an attacker) may spell it: single quotes, a prefix, spaces, leading zeros
    ("<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>", (1_048_576, 16_384)),
    ('<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>', (1_048_576, 16_384)),
    ('<row r = "1048576"><c t="n" r = " XFD0001048576 "><v>1</v></c></row>', (1_048_576, 16_384)),
    # every cell tag as Excel opens it, one reference with leading zeros: the quick pattern does not read it, so the
    # tolerant one must
    ('<row r="1048576"><c r="XFD0001048576"><v>1</v></c></row>', (1_048_576, 16_384)),
    # 200 rows of cells without references: placed by count (the first of each row), as calamine places them
    ("".join(f'<row r="{r}"><c><v>1</v></c></row>' for r in range(2, 202)), None),
    pytest.param("".join(f'<row r="{r}"><c><v>1</v></c></row>' for r in range(2, 1_000_002)), (1_000_001, 3),
                 marks=pytest.mark.slow),
])
def test_a_sheet_is_refused_by_the_area_its_content_spans(tail, refused):
    package = _workbook(tail)
    if refused is None:
        assert inspect(package, Limits()) == ()
        return
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect(package, Limits())
    assert caught.value.code == "too_many_cells"
    assert (dict(caught.value.params)["rows"], dict(caught.value.params)["cols"]) == refused


small_cells = st.lists(st.tuples(st.integers(1, 5_000), st.integers(1, 400), st.booleans(), st.booleans(), st.booleans()),
                       max_size=12)


@pytest.mark.slow
@given(small_cells, st.booleans())
@settings(max_examples=150, deadline=None)
def test_the_area_checked_after_calamine_placed_the_cells_is_the_area_measured_before(spec, row_refs):
    """Rep workbooks are read without the pre-read measure (in a capped worker): calamine's placement must give the
    same area, so the same sheets are refused at the same limit."""
    rows_xml, row = [], 0
    for at_row, col, content, ref, style in spec:
        row = at_row if row_refs else row + 1
        rows_xml.append(f'<row{f" r={chr(34)}{row}{chr(34)}" if row_refs else ""}>{_cell(row, col, content, ref, style)}</row>')
    package = _package("<sheetData>" + "".join(rows_xml) + "</sheetData>")
    with zipfile.ZipFile(io.BytesIO(package.data)) as zf:
        first, last, cols = _placed_area(zf, zf.getinfo("xl/worksheets/sheet1.xml"), package.path, Limits())
    area = (last - first + 1) * cols if last else 0
    book = open_package(package, Limits(), area=False)
    if area == 0:
        assert sheet_rows(book, "客户档案", package.path, cells=0)[0] in ([], [[]])
        return
    sheet_rows(book, "客户档案", package.path, cells=area)
    with pytest.raises(UnreadableWorkbook) as caught:
        sheet_rows(book, "客户档案", package.path, cells=area - 1)
    assert caught.value.code == "too_many_cells"


def test_reading_one_sheet_never_unpacks_the_others(tmp_path):
    """Last month's roll-up is found by its small figures sheet: a damaged or hostile other sheet is not even unpacked."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_package("<sheetData/>").data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"</sheets>", b'<sheet name="other" sheetId="2" r:id="rId2"/></sheets>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org'
                                    b'/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/>'
                                    b"</Relationships>")
            dst.writestr(info, data)
        dst.writestr("xl/worksheets/sheet2.xml", b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>')
    package = Package(Path("rollup.xlsx"), out.getvalue(), "")
    assert inspect(package, Limits(), only={"客户档案"}) == ()
    with pytest.raises(UnreadableWorkbook) as caught:
        inspect(package, Limits(), only={"other"})
    assert caught.value.code == "xml_doctype"
    with pytest.raises(UnreadableWorkbook):
        inspect(package, Limits())
    # the same from the file itself, as last period's roll-up is opened: the other sheet's part is never unpacked
    path = tmp_path / "rollup.xlsx"
    path.write_bytes(package.data)
    assert open_sheets_of(path, {"客户档案"}, Limits()).sheet_names == ["客户档案", "other"]
    with pytest.raises(UnreadableWorkbook) as caught:
        open_sheets_of(path, {"other"}, Limits())
    assert caught.value.code == "xml_doctype"


def test_sheet_names_are_read_without_parsing_a_directory_of_too_many_entries(tmp_path, monkeypatch):
    import kamxl.io.inputs.excel_file as excel_file

    path = tmp_path / "book.xlsx"
    path.write_bytes(_package("<sheetData/>").data)  # five zip entries
    assert excel_file.workbook_sheet_names(path) == ["客户档案"]
    monkeypatch.setattr(excel_file, "ROLLUP_LIMITS", Limits(members=4))
    assert excel_file.workbook_sheet_names(path) == []


@pytest.mark.parametrize("names, lock, expected", [
    (["卢静.xlsx"], "~$卢静.xlsx", "卢静.xlsx"),  # Excel's owner file: ~$ and the workbook's name
    (["2026年10月客户档案.xlsx"], "~$26年10月客户档案.xlsx", "2026年10月客户档案.xlsx"),  # a long name loses two characters
    ([], "~$张伟.xlsx", "张伟.xlsx"),  # the workbook not beside it: its name as the lock file gives it
])
def test_a_lock_file_names_the_workbook_that_is_probably_open(tmp_path, names, lock, expected):
    for name in names:
        (tmp_path / name).write_bytes(b"PK")
    (tmp_path / lock).write_bytes(b"\x0cowner")
    with pytest.raises(UnreadableWorkbook) as raised:
        load(tmp_path / lock)
    assert raised.value.skipped and raised.value.reason() == (
        f"Excel 临时锁定文件（~$ 开头），已跳过：「{expected}」可能正在 Excel 中打开，未保存的修改不在本次结果中")


class _ReaderOutOfMemory:
    """Stands in for a calamine workbook whose reader runs out of memory handing over a sheet."""

    def get_sheet_by_name(self, name):
        raise MemoryError


def test_a_reader_out_of_memory_outside_a_capped_worker_is_the_files_failure_not_damage():
    """In this process (no memory cap), running out of memory is said as such — not as a damaged sheet, and not as
    a traceback; in a capped reading worker it is a MemoryError, and the file is read again alone
    (tests/io/test_isolation.py)."""
    with pytest.raises(UnreadableWorkbook) as caught:
        sheet_rows(_ReaderOutOfMemory(), "客户档案", "宽表.xlsx")
    assert caught.value.code == "out_of_memory"
    assert caught.value.reason("zh") == "读取此文件时内存不足，未读取：请关闭其他程序后再试，或删除多余的行列、按月拆分"
