"""Every file kamxl writes or ships, made fresh here, checked the way Excel reads a package (tests/ooxml_check.py);
and each check shown to catch a deliberately broken copy of a good file.

The files: the demo team's roll-up, the attachment `kamxl mail --eml` sends (personal fields left out), a rep's
scorecard as `kamxl mail --per-rep` sends it, the templates `.xlsx`/`.xlsm` and the director's `kamxl.xlsm` (and
their VBA projects, record by record).
When PyPI's `openxml-audit` is installed (the Open XML SDK's schema data: element order and attribute types), each
file is also validated by it; it reports a truncated part as valid, so well-formedness is checked here too. It is
not in the test extra: it brings lxml, and with lxml installed openpyxl parses a sheet mis-encoded in GBK that
kamxl otherwise refuses (tests/test_hostile_files.py, sheet_gbk) -- a reader question of its own.
"""

import email
import io
import re
import struct
import zipfile
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from kamxl.cli import main
from tests.ooxml_check import central_directory, package_problems

pytestmark = pytest.mark.slow  # the demo team, its roll-up and five other files: a few seconds


def _run(*args):
    result = CliRunner().invoke(main, ["--lang", "zh", *map(str, args)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output  # consolidate exits 1 when the demo's deliberate errors are found
    return result


def _attachments(eml: Path) -> dict[str, bytes]:
    msg = email.message_from_binary_file(eml.open("rb"), policy=policy.default)
    return {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()
            if part.get_filename().endswith((".xlsx", ".xlsm"))}


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, bytes]:
    """Every kind of file kamxl writes or ships, written now by its command."""
    root = tmp_path_factory.mktemp("conformance")
    team, rollup = root / "team", root / "rollup.xlsx"
    _run("demo", team)
    _run("consolidate", team, "--period", "2026-10", "--out", rollup)
    _run("mail", rollup, "--to", "gm@example.com", "--eml", root / "rollup.eml")
    _run("mail", rollup, "--per-rep", "--kpi", team / "kpi.xlsx", "--eml", root / "cards")
    _run("templates", "--out", root / "templates")
    _run("excel", "build", "--out", root / "workbook")
    files = {"roll-up": rollup.read_bytes()}
    (files["mailed roll-up"],) = _attachments(root / "rollup.eml").values()
    card = sorted((root / "cards").glob("*.eml"))[0]
    (files["scorecard"],) = _attachments(card).values()
    for path in sorted((root / "templates").iterdir()):
        files[f"template {path.name}"] = path.read_bytes()
    files["director's kamxl.xlsm"] = (root / "workbook" / "kamxl.xlsm").read_bytes()
    home = root / "home"  # `excel setup` also writes %USERPROFILE%\.kamxl\kamxl.conf: kept in the test's folder
    setup = [root / "workbook" / "kamxl.xlsm", root / "templates" / "rep_workbook.xlsm"]
    result = CliRunner().invoke(main, ["--lang", "zh", "excel", "setup", *map(str, setup), "--interpreter",
                                       r"C:\Python312\pythonw.exe"], env={"USERPROFILE": str(home)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for path in setup:
        files[f"{path.name} after excel setup"] = path.read_bytes()
    return files


KINDS = ["roll-up", "mailed roll-up", "scorecard", "template rep_workbook.xlsx", "template rep_workbook.xlsm",
         "template kpi_sheet.xlsx", "director's kamxl.xlsm", "kamxl.xlsm after excel setup",
         "rep_workbook.xlsm after excel setup"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_file_kamxl_writes_passes_every_check(made, kind):
    assert package_problems(made[kind]) == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_file_kamxl_writes_is_valid_to_the_open_xml_sdk_schemas(made, kind, tmp_path):
    validator = pytest.importorskip("openxml_audit").OpenXmlValidator()
    path = tmp_path / ("file.xlsm" if "xlsm" in kind else "file.xlsx")
    path.write_bytes(made[kind])
    result = validator.validate(str(path))
    assert result.is_valid, [str(e) for e in result.errors[:10]]


# ---- the controls: a good file broken one way at a time, each caught by its check ----

def _rewrite(raw: bytes, part: str, change) -> bytes:
    """`raw` with one part's text changed (zipfile's non-forced mode: the zip layer stays clean)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == part:
                text = change(data.decode("utf-8"))
                assert text != data.decode("utf-8"), f"the mutation did not change {part}"
                data = text.encode("utf-8")
            dst.writestr(name, data)
    return out.getvalue()


def _once(pattern: str, replacement: str):
    return lambda text: re.sub(pattern, replacement, text, count=1, flags=re.S)


def _bad_crc(raw: bytes) -> bytes:
    data = bytearray(raw)
    entry = next(e for e in central_directory(raw) if e.name == "xl/workbook.xml")
    wrong = struct.pack("<I", entry.crc ^ 0xFFFF)
    data[entry.offset + 14:entry.offset + 18] = wrong  # the local header's CRC-32
    central = raw.rfind(struct.pack("<I", entry.offset) + b"xl/workbook.xml") - 42  # its central directory entry
    data[central + 16:central + 20] = wrong
    return bytes(data)


def _move_sheet_views(text: str) -> str:
    views = re.search(r"<sheetViews>.*?</sheetViews>", text, re.S).group(0)
    return text.replace(views, "", 1).replace("</sheetData>", "</sheetData>" + views, 1)


# (what is broken, how, the words of the problem the checks must name). The control is the rep template
# (.xlsx): shared strings, styles, tables, data validations, comments, dynamic-array formulas.
BREAKS = [
    ("bad CRC", _bad_crc, "unpacks to"),
    ("ZIP64 extra on a small member", None, "ZIP64 extra field in the local header"),
    ("missing content type", lambda raw: _rewrite(raw, "[Content_Types].xml", _once(
        r'<Override PartName="/xl/worksheets/sheet2.xml"[^>]*/>', "")), "content type 'application/xml' for a worksheet"),
    ("no default content type", lambda raw: _rewrite(raw, "[Content_Types].xml", _once(
        r'<Default Extension="vml"[^>]*/>', "")), "vmlDrawing1.vml: no content type"),
    ("dangling relationship", lambda raw: _rewrite(raw, "xl/_rels/workbook.xml.rels", _once(
        r'Target="worksheets/sheet2.xml"', 'Target="worksheets/sheet99.xml"')), "which is not in the package"),
    ("truncated part", lambda raw: _rewrite(raw, "xl/worksheets/sheet2.xml", lambda t: t[:len(t) // 2]),
     "not well-formed XML"),
    ("forbidden character", lambda raw: _rewrite(raw, "xl/sharedStrings.xml", _once(r"<t>", "<t>&#1;")),
     "not well-formed XML"),
    ("out-of-order element", lambda raw: _rewrite(raw, "xl/worksheets/sheet2.xml", _move_sheet_views),
     "<sheetViews> out of CT_Worksheet's order"),
    ("shared-string index out of range", lambda raw: _rewrite(raw, "xl/worksheets/sheet2.xml", _once(
        r'(t="s"[^>]*><v>)\d+', r"\g<1>99999")), "shared string 99999"),
    ("shared-string count", lambda raw: _rewrite(raw, "xl/sharedStrings.xml", _once(
        r'uniqueCount="\d+"', 'uniqueCount="3"')), "uniqueCount=3"),
    ("style index out of range", lambda raw: _rewrite(raw, "xl/worksheets/sheet2.xml", _once(
        r'(<c r="A1"[^>]*?) s="\d+"', r'\1 s="999"')), "style index 999"),
    ("table header mismatch", lambda raw: _rewrite(raw, "xl/tables/table1.xml", _once(
        r'(<tableColumn id="1" name=")[^"]*', r"\1不是表头")), "its column is named '不是表头'"),
    ("cell past XFD", lambda raw: _rewrite(raw, "xl/worksheets/sheet2.xml", _once(
        r"</row>", '<c r="XFE1"><v>1</v></c></row>')), "past column XFD"),
    ("formula too long", lambda raw: _rewrite(raw, "xl/worksheets/sheet2.xml", _once(
        r"(<c r=\"A2\"[^>]*?)(/>|>.*?</c>)", r"\1><f>" + "1+" * 4096 + "1</f></c>")), "formula of 8193 characters"),
    ("data-validation formula too long", lambda raw: _rewrite(raw, "xl/worksheets/sheet2.xml", _once(
        r"<formula1>.*?</formula1>", '<formula1>"' + "甲," * 127 + '"</formula1>')), "formula1 of 256 characters"),
    ("text too long", lambda raw: _rewrite(raw, "xl/sharedStrings.xml", _once(r"<t>", "<t>" + "😀" * 16384)),
     "UTF-16 units (at most 32767)"),
    ("defined name like a cell", lambda raw: _rewrite(raw, "xl/workbook.xml", lambda t: t.replace(
        "</workbook>", '<definedNames><definedName name="AB12">Sheet1!$A$1</definedName></definedNames></workbook>')
        if "<definedNames>" not in t else t.replace("<definedNames>", '<definedNames><definedName name="AB12">1</definedName>', 1)),
     "defined name 'AB12': not a name Excel accepts"),
]


def test_the_vba_check_catches_a_project_with_a_cache_and_p_code(made):
    """The control: the director's workbook with the project pyOpenVBA wrote before it was made source-only (its
    template's _VBA_PROJECT with version 0x00B5 and a zeroed cache, ThisWorkbook and Sheet1 with p-code)."""
    from pyopenvba import ExcelFile
    from pyopenvba._templates import EMPTY_XLSM_BYTES

    with zipfile.ZipFile(io.BytesIO(EMPTY_XLSM_BYTES)) as template:
        stale = template.read("xl/vbaProject.bin")
    good = made["director's kamxl.xlsm"]
    assert package_problems(good) == [] and ExcelFile  # pyOpenVBA present: its template is Excel's own project
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, stale if name == "xl/vbaProject.bin" else src.read(name))
    problems = package_problems(out.getvalue())
    assert any("_VBA_PROJECT begins cc61b50000" in p for p in problems), problems
    assert any("module ThisWorkbook keeps" in p and "p-code" in p for p in problems), problems


@pytest.mark.parametrize("what, breaking, named", BREAKS, ids=[b[0] for b in BREAKS])
def test_each_check_catches_a_broken_control(made, what, breaking, named):
    good = made["template rep_workbook.xlsx"]
    assert package_problems(good) == []
    if breaking is None:  # a member written with forced ZIP64, as the roll-up's streamed sheets were
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for name in src.namelist():
                with dst.open(name, "w", force_zip64=name == "xl/worksheets/sheet2.xml") as member:
                    member.write(src.read(name))
        broken = out.getvalue()
    else:
        broken = breaking(good)
    problems = package_problems(broken)
    assert any(named in p for p in problems), problems


_SHARED = re.compile(rb'<f t="shared" ref="([A-Z]+)(\d+):([A-Z]+)(\d+)" si="(\d+)">([^<]*)</f>')


def shared_formula_problems(raw: bytes) -> list[str]:
    """What Excel cannot hold as a shared formula (MS-XLSB SharedParsedFormula) in a package's sheets: an array
    constant ({…}, PtgArray) or a reference to another sheet (!, a 3-D reference); and a group's range that is not
    one column of its first cell."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        for name in (n for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
            for first, row, last, last_row, si, text in _SHARED.findall(z.read(name)):
                formula = text.decode("utf-8")
                if re.search(r'[{!]', re.sub(r'"[^"]*"', "", formula.replace("&quot;", '"'))):
                    problems.append(f"{name}: shared formula {si.decode()} holds an array constant or another sheet")
                if first != last or int(row) > int(last_row):
                    problems.append(f"{name}: shared formula {si.decode()} spans more than one column")
    return problems


@pytest.mark.parametrize("kind", KINDS)
def test_every_shared_formula_kamxl_writes_is_one_excel_can_share(made, kind):
    assert shared_formula_problems(made[kind]) == []


def test_the_shared_formula_check_catches_an_array_constant_and_another_sheet(made):
    good = made["template rep_workbook.xlsx"]
    assert b'<f t="shared" ref=' in zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet2.xml")
    for spelling in ("{0,1}", "_kamxl!$A$1"):
        broken = _rewrite(good, "xl/worksheets/sheet2.xml", _once(r'(<f t="shared" ref="[^"]*" si="\d+">)', r"\g<1>" + spelling + "+"))
        problems = shared_formula_problems(broken)
        assert any("holds an array constant or another sheet" in p for p in problems), problems
