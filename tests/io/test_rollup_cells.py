"""The demo roll-up as written by the streamed writer reads back cell for cell as computed (openpyxl, LibreOffice)."""

import math
import shutil
import subprocess
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from xlsxwriter.utility import xl_col_to_name

from kamxl.consolidate import consolidate
from kamxl.demo import DemoOptions, write_demo_team
from kamxl.io.outputs import xlsx_stream
from kamxl.io.outputs.rollup_writer import write_rollup
from kamxl.parsing import xml_safe

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.slow  # a whole demo team's roll-up, written by helper processes and read back cell by cell


def _expected(value, kind: str):
    """What a cell holding `value` in a column of `kind` must read back as (openpyxl's view)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    if kind in ("text", "bool"):
        return ("是" if value else "否") if isinstance(value, bool) else xml_safe(str(value))[:32767]
    if kind == "date":
        return datetime(value.year, value.month, value.day) if isinstance(value, date) else str(value)
    if isinstance(value, bool):
        return None
    return value if isinstance(value, (int, float)) and math.isfinite(value) else str(value)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The demo team's roll-up, written once, with the tables the writer was given."""
    tmp = tmp_path_factory.mktemp("rollup")
    write_demo_team(tmp / "team", DemoOptions(reps=3, customers=60, visits=200))
    rollup = consolidate([tmp / "team"], "2026-10", today=date(2026, 11, 5), workers=1)
    tables = []
    original = xlsx_stream.StreamingWorkbook.add_table
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xlsx_stream.StreamingWorkbook, "add_table", lambda self, t: (tables.append(t), original(self, t))[1])
        path = write_rollup(rollup, tmp / "rollup.xlsx")
    return rollup, path, tables


def _columns(table) -> list[list]:
    """The table's body column by column, whether it holds its data or streams it in blocks (file by file)."""
    blocks = list(table.bodies())
    return [[v for block in blocks for v in block[j]] for j in range(len(table.columns))]


def _body(ws, table) -> list[tuple]:
    return list(ws.iter_rows(min_row=2, max_row=table.rows + 1, max_col=len(table.columns), values_only=True))


def test_every_streamed_cell_reads_back_with_its_value_format_and_table(written):
    _, path, tables = written
    wb = openpyxl.load_workbook(path)
    assert sum(t.rows for t in tables) > 1000  # the demo roll-up is not trivially small
    for table in tables:
        ws = wb[table.sheet]
        headers = xlsx_stream.unique_headers(c.header for c in table.columns)
        assert [c.value for c in ws[1]][:len(headers)] == headers, table.sheet
        assert ws.tables[table.name].ref == f"A1:{xl_col_to_name(len(table.columns) - 1)}{max(table.rows, 1) + 1}"
        data = _columns(table)
        expected_rows = list(zip(*[[_expected(v, col.kind) for v in values] for col, values in zip(table.columns, data)]))
        assert _body(ws, table) == expected_rows, table.sheet
        for j, col in enumerate(table.columns):
            fmt = xlsx_stream.NUMBER_FORMATS.get(col.kind) or "General"
            cells = [ws.cell(i + 2, j + 1) for i in range(table.rows)]
            for cell, value in zip(cells, data[j]):
                if cell.value is None:
                    continue
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (table.sheet, cell.coordinate)  # text is never a formula
                else:  # whole amounts and scores print without decimals (20,000, not 20,000.00): their own style
                    whole = col.kind in xlsx_stream.WHOLE_FORMATS and float(value) == int(float(value))
                    assert cell.number_format == (xlsx_stream.WHOLE_FORMATS[col.kind] if whole else fmt), \
                        (table.sheet, cell.coordinate)


def test_the_deflate_used_changes_no_byte_of_the_workbook(written, tmp_path, monkeypatch):
    rollup, _, _ = written
    path = write_rollup(rollup, tmp_path / "isal.xlsx")  # written here, in the test's language, as the other one
    monkeypatch.setattr(xlsx_stream, "_isal_zlib", None)  # zlib, as before ISA-L
    plain = write_rollup(rollup, tmp_path / "zlib.xlsx")
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(plain) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "docProps/core.xml":  # it holds the time of writing
                assert a.read(name) == b.read(name), name
        assert a.testzip() is None and b.testzip() is None  # every member's CRC holds


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_same_cells(written, tmp_path):
    _, path, tables = written
    profile = (tmp_path / "lo-profile").as_uri()
    result = subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--calc", "--convert-to", "xlsx",
                             "--outdir", str(tmp_path / "lo"), str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    ours, theirs = openpyxl.load_workbook(path), openpyxl.load_workbook(tmp_path / "lo" / path.name)
    assert theirs.sheetnames == ours.sheetnames
    for table in tables:
        for a, b in zip(_body(theirs[table.sheet], table), _body(ours[table.sheet], table), strict=True):
            # LibreOffice saves numbers to 15 significant digits: 0.988444 comes back as 0.9884439999999999
            assert all(math.isclose(x, y, rel_tol=1e-13) if isinstance(y, float) else x == y for x, y in zip(a, b)), \
                (table.sheet, a, b)
        assert theirs[table.sheet].tables[table.name].ref == ours[table.sheet].tables[table.name].ref


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every member's CRC holds
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}  # it holds the time


def test_members_made_by_helper_processes_are_the_members_made_in_process(written, tmp_path, monkeypatch):
    import tempfile

    rollup, _, _ = written
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(xlsx_stream, "PARALLEL_ROWS", 10**9)  # every member made here
    alone = _members(write_rollup(rollup, tmp_path / "alone.xlsx"))
    monkeypatch.setattr(xlsx_stream, "PARALLEL_ROWS", 1)  # every table by a helper
    helped = []
    original = xlsx_stream._Helpers.copy_into
    monkeypatch.setattr(xlsx_stream._Helpers, "copy_into",
                        lambda self, dst, name, *a: helped.append(done := original(self, dst, name, *a)) or done)
    monkeypatch.setattr(xlsx_stream, "SEGMENTS_PER_HELPER", 50)  # tables cut in many segments, shared by helpers
    together = _members(write_rollup(rollup, tmp_path / "together.xlsx"))
    assert sum(helped) >= 4  # the helpers made them (all but the empty tables)
    assert list(together) == list(alone) and together == alone
    # a helper that fails leaves its members to the writer: the same file
    monkeypatch.setattr(xlsx_stream, "_deflate_segments", _failing_helper)
    helped.clear()
    assert _members(write_rollup(rollup, tmp_path / "fallback.xlsx")) == alone
    assert helped and not any(helped)
    assert not list((tmp_path / "temp").iterdir())  # no helper's file left


def _failing_helper(*args):
    """A helper's work that fails (run in the helper process: it is sent there by name)."""
    raise RuntimeError("helper failed")


def test_a_failure_while_laying_out_stops_the_helpers_and_leaves_no_file(written, tmp_path, monkeypatch):
    import multiprocessing
    import tempfile

    from kamxl.io.outputs import rollup_writer

    rollup, _, _ = written
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(xlsx_stream, "PARALLEL_ROWS", 1)  # every table's body started by helpers before the layout

    def broken(*args):
        raise RuntimeError("layout failed")
    monkeypatch.setattr(rollup_writer, "_overview", broken)
    with pytest.raises(RuntimeError, match="layout failed"):
        write_rollup(rollup, tmp_path / "out.xlsx")
    assert not list((tmp_path / "temp").iterdir())  # no helper's file left
    assert not multiprocessing.active_children()  # no helper left running
    assert not (tmp_path / "out.xlsx").exists()


def test_when_no_helper_can_be_started_the_writer_makes_the_same_file(written, tmp_path, monkeypatch):
    import subprocess
    import tempfile

    rollup, _, _ = written
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(xlsx_stream, "PARALLEL_ROWS", 10**9)
    alone = _members(write_rollup(rollup, tmp_path / "alone.xlsx"))
    monkeypatch.setattr(xlsx_stream, "PARALLEL_ROWS", 1)
    started, start = [], subprocess.Popen

    def refused_once(*args, **kwargs):  # a process refused (EAGAIN, ENOMEM): every other share still gets its helper
        started.append(args)
        if len(started) == 1:
            raise OSError(11, "Resource temporarily unavailable")
        return start(*args, **kwargs)
    monkeypatch.setattr(subprocess, "Popen", refused_once)
    assert _members(write_rollup(rollup, tmp_path / "refused.xlsx")) == alone
    assert len(started) >= 2
    assert not list((tmp_path / "temp").iterdir())
