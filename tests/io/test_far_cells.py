"""A sheet with a cell far out: measured from its XML before calamine allocates for it."""

import subprocess
import sys
from pathlib import Path

import pytest

from kamxl.io.inputs.reader import read_workbook
from tests.hostile import CUSTOMER_PART, mutate, write_valid_rep_workbook

# the child reads the file and prints its outcome and how much its peak resident memory grew while reading (kB)
_CHILD = r"""
import resource, sys
from kamxl.errors import UnreadableWorkbook
from kamxl.io.inputs.reader import read_workbook
import kamxl.io.inputs.excel_file, python_calamine  # loaded before the peak is taken
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_workbook(sys.argv[1])
    code = "read"
except UnreadableWorkbook as exc:
    code = f"{exc.code} {dict(exc.params)['rows']} {dict(exc.params)['cols']}"
print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def _with(tmp_path: Path, name: str, cells: bytes) -> Path:
    base = write_valid_rep_workbook(tmp_path / f"{name}-base.xlsx", "卢静")
    return mutate(base, tmp_path / f"{name}.xlsx", {CUSTOMER_PART: lambda xml: xml.replace(b"</sheetData>", cells + b"</sheetData>")})


@pytest.mark.slow
def test_a_lone_cell_at_a1048576_is_refused_before_calamine_allocates_the_column(tmp_path):
    path = _with(tmp_path, "lone", b'<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row>')
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    code, rows, cols, grown_kb = out.stdout.split()
    # the header is on row 1 (the cells with content run from row 1 to 1,048,576), the customer sheet's last
    # column is the one its header names
    assert (code, int(rows)) == ("too_many_cells", 1_048_576)
    assert int(cols) > 1
    # dense, calamine's grid of 1,048,576 rows would be hundreds of MB; measured first, a few MB
    assert int(grown_kb) < 16 * 1024


def test_formatting_to_xfd1048576_with_little_data_is_read(tmp_path):
    # empty styled cells out to the grid's last cell, as a sheet formatted whole leaves: no value, no content
    path = _with(tmp_path, "formatted", b'<row r="1048576"><c r="A1048576" s="1"/><c r="XFD1048576" s="1"/></row>')
    book = read_workbook(path)
    customers = book.sheets["customers"]
    plain = read_workbook(write_valid_rep_workbook(tmp_path / "plain.xlsx", "卢静")).sheets["customers"]
    assert customers.data["customer_id"] == plain.data["customer_id"] and len(customers.data["customer_id"]) > 0
    assert customers.data["name"] == plain.data["name"]
