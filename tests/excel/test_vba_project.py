"""The VBA project of every .xlsm kamxl builds is source-only, as [MS-OVBA] asks a writer: read back with olefile
record by record (the `dir` stream's records walked here, not by the code that wrote them)."""

import io
import struct
import zipfile

import olefile
import pytest
from click.testing import CliRunner
from pyopenvba.vba import decompress

from kamxl.cli import main
from kamxl.excel import vba
from tests.ooxml_check import dir_records

pytestmark = pytest.mark.slow  # three workbooks built


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("xlsm")
    CliRunner().invoke(main, ["excel", "build", "--out", str(out / "workbook")], catch_exceptions=False)
    CliRunner().invoke(main, ["templates", "--out", str(out / "templates"), "--lang", "zh"], catch_exceptions=False)
    found = {}
    for path in [out / "workbook" / "kamxl.xlsm", *sorted((out / "templates").glob("*.xlsm"))]:
        with zipfile.ZipFile(path) as zf:
            found[path.name] = zf.read("xl/vbaProject.bin")
    assert set(found) == {"kamxl.xlsm", "rep_workbook.xlsm"}
    return found


@pytest.mark.parametrize("name", ["kamxl.xlsm", "rep_workbook.xlsm"])
def test_the_vba_project_is_source_only(projects, name):
    ole = olefile.OleFileIO(io.BytesIO(projects[name]))
    streams = {"/".join(path) for path in ole.listdir()}
    # 2.3.4.1: Reserved1 0x61CC, Version 0xFFFF, Reserved2 0x00, Reserved3 (2 bytes); no PerformanceCache
    head = ole.openstream("VBA/_VBA_PROJECT").read()
    assert head[:5] == b"\xcc\x61\xff\xff\x00" and len(head) == 7
    assert not [s for s in streams if s.startswith("VBA/__SRP_")]
    modules, count, name_of = [], None, None
    for rid, data in dir_records(decompress(ole.openstream("VBA/dir").read())):
        if rid == 0x000F:  # PROJECTMODULES
            count = struct.unpack("<H", data)[0]
        elif rid == 0x001A:  # MODULESTREAMNAME
            name_of = data.decode("ascii")
        elif rid == 0x0031:  # MODULEOFFSET: where the source starts in the module's stream; 0: no p-code before it
            modules.append((name_of, struct.unpack("<I", data)[0]))
    assert count == len(modules) and {f"VBA/{m}" for m, _ in modules} == streams - {"VBA/dir", "VBA/_VBA_PROJECT"} - {
        s for s in streams if not s.startswith("VBA/")}
    assert [m for m, offset in modules if offset != 0] == []
    sources = vba.module_sources()
    for module, _ in modules:
        text = decompress(ole.openstream(f"VBA/{module}").read()).decode("ascii")  # the whole stream is its source
        assert text.startswith(f'Attribute VB_Name = "{module}"\r\n')
        if module in sources:  # kamxl's own modules: their text sources, line for line
            assert _code(text) == _code(sources[module])


CLASS_HEADER = ("VERSION 1.0 CLASS", "BEGIN", "  MultiUse = -1  'True", "END")  # a .cls file's, not the module's


def _code(text: str) -> list[str]:
    return [line for line in text.split("\r\n") if line and not line.startswith("Attribute VB_")
            and line not in CLASS_HEADER]
