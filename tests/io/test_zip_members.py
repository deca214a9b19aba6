"""The streamed members' zip headers: ZIP64 only where a member needs it, local headers agreeing with the central
directory as Excel and zipfile's own non-forced mode write them; the same bytes unpacked."""

import io
import struct
import zipfile

import pytest
import xlsxwriter

from kamxl.io.outputs import xlsx_stream
from kamxl.io.outputs.redact import write_without_personal
from kamxl.io.outputs.xlsx_stream import Col, StreamingWorkbook, Table, stream_member
from tests.ooxml_check import ZIP64_EXTRA, central_directory, local_header, zip_problems


def _headers(raw: bytes, name: str):
    """(central, local) as read with struct from the file's bytes."""
    central = next(e for e in central_directory(raw) if e.name == name)
    return central, local_header(raw, central.offset)[0]


def _plain(raw: bytes, name: str):
    central, local = _headers(raw, name)
    assert ZIP64_EXTRA not in local.extra and ZIP64_EXTRA not in central.extra
    assert local.version_needed == central.version_needed == 20
    assert (local.crc, local.packed, local.unpacked) == (central.crc, central.packed, central.unpacked)
    assert local.unpacked < 0xFFFFFFFF and local.packed < 0xFFFFFFFF


def _write(path, rows: int):
    book = StreamingWorkbook(path)
    table = Table("数据", "tblData", [Col("代表"), Col("金额", "amount")],
                  [[f"代表{i % 7}" for i in range(rows)], [i * 1.5 for i in range(rows)]])
    book.add_table(table)
    book.make_ahead([table])
    book.close()
    return path.read_bytes()


@pytest.mark.parametrize("rows", [50, xlsx_stream.PARALLEL_ROWS + 10], ids=["written-here", "made-by-helpers"])
def test_streamed_sheets_have_plain_headers_and_their_rows(tmp_path, rows):
    raw = _write(tmp_path / "out.xlsx", rows)
    assert zip_problems(raw) == []
    _plain(raw, "xl/worksheets/sheet1.xml")
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    # the rows as given, counted in the sheet's own XML: header + every body row
    assert xml.count("<row ") == rows + 1 and f"<v>{(rows - 1) * 1.5!r}</v>" in xml


def test_the_redacted_copy_has_plain_headers(tmp_path):
    source = tmp_path / "rollup.xlsx"
    wb = xlsxwriter.Workbook(source)
    ws = wb.add_worksheet("联系人")
    for c, value in enumerate(["代表", "客户编号", "姓名", "手机", "来源文件", "源行号"]):
        ws.write(0, c, value)
    for c, value in enumerate(["张伟", "KA-1", "王五", "13900001111", "a.xlsx", 2]):
        ws.write(1, c, value)
    wb.close()
    out = write_without_personal(source, tmp_path / "copy.xlsx")
    raw = out.read_bytes()
    assert zip_problems(raw) == []
    _plain(raw, "xl/worksheets/sheet1.xml")
    with zipfile.ZipFile(out) as zf:
        assert "13900001111" not in zf.read("xl/worksheets/sheet1.xml").decode() + zf.read("xl/sharedStrings.xml").decode()


def test_a_member_past_the_limit_is_written_again_with_zip64_fields(tmp_path):
    """The limit made small: the member outgrows it, is cut off and written whole again, ZIP64 locally."""
    body = [b"<row>%d</row>" % i for i in range(2000)]
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        dst.writestr("first.xml", b"<a/>")
        stream_member(dst, "big.xml", lambda out: [out.write(b) for b in body], limit=1000)
        stream_member(dst, "small.xml", lambda out: out.write(b"<b/>"))
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["first.xml", "big.xml", "small.xml"]
        assert zf.read("big.xml") == b"".join(body) and zf.read("small.xml") == b"<b/>" and zf.testzip() is None
    _, local = _headers(raw, "big.xml")
    assert ZIP64_EXTRA in local.extra and local.version_needed == 45
    _plain(raw, "small.xml")


def test_the_check_catches_a_forced_zip64_member():
    """The control: what the writer did before (force_zip64 on a small member) is a problem the check names."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(b"<worksheet/>")
    problems = zip_problems(buf.getvalue())
    assert any("ZIP64 extra field in the local header" in p for p in problems)
    assert any("CRC/sizes" in p for p in problems)  # 0xFFFFFFFF locally, the real sizes centrally
    central, local = _headers(buf.getvalue(), "xl/worksheets/sheet1.xml")
    assert struct.unpack("<QQ", local.extra[ZIP64_EXTRA]) == (12, central.packed)


def test_a_roll_up_written_with_zip64_locals_is_mailed_without_them(tmp_path):
    """A roll-up from before: every member with a forced ZIP64 local header (version 4.5); the copy has none."""
    plain = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(plain)
    wb.add_worksheet("总览").write(0, 0, "大客户部月度汇总")
    wb.close()
    old = tmp_path / "old.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            with dst.open(name, "w", force_zip64=True) as out:
                out.write(src.read(name))
    assert zip_problems(old.read_bytes())
    copy = write_without_personal(old, tmp_path / "copy.xlsx")
    assert zip_problems(copy.read_bytes()) == []
    with zipfile.ZipFile(old) as a, zipfile.ZipFile(copy) as b:
        assert {n: a.read(n) for n in a.namelist()} == {n: b.read(n) for n in b.namelist()}
