"""`kamxl excel setup` and `kamxl excel build`."""

import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.errors import KamxlError
from kamxl.excel import setup, vba
from kamxl.excel.saved_by import other_program
from tests.ooxml_check import package_problems

ROOT = Path(__file__).resolve().parents[2]


def test_checks_name_what_is_missing():
    old = {c.name: c for c in setup.environment_checks(platform="linux", version=(3, 10, 4))}
    assert not old["Python"].ok and "3.11" in old["Python"].detail
    assert old["xlwings"].ok and old["xlwings"].detail == vba.XLWINGS_VERSION
    windows = {c.name: c for c in setup.environment_checks(platform="win32")}
    assert windows["pywin32"].ok is False and windows["pywin32"].detail == "未安装：pip install pywin32"


def test_setup_writes_the_interpreter_into_the_user_config_and_the_named_workbooks(tmp_path, monkeypatch):
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    monkeypatch.setenv("KAMXL_LANG", "zh")
    workbook = tmp_path / "kamxl.xlsm"
    shutil.copy(ROOT / "workbook" / "kamxl.xlsm", workbook)
    config = tmp_path / "home" / ".kamxl" / "kamxl.conf"
    config.parent.mkdir(parents=True)
    config.write_text('"PYTHONPATH","D:\\lib"\r\n"INTERPRETER_WIN","C:\\old\\pythonw.exe"\r\n', encoding="utf-8")
    interpreter = r"C:\Python312\pythonw.exe"
    result = CliRunner().invoke(main, ["excel", "setup", str(workbook), "--interpreter", interpreter],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"已写入 {config}: INTERPRETER_WIN = {interpreter}" in result.output
    assert config.read_text(encoding="utf-8").splitlines() == [
        '"PYTHONPATH","D:\\lib"', f'"INTERPRETER_WIN","{interpreter}"', '"UDF MODULES","kamxl.excel.udfs"',
        '"SHOW CONSOLE","False"']
    wb = openpyxl.load_workbook(workbook, keep_vba=True)
    assert wb[vba.CONFIG_SHEET]["A1"].value == "INTERPRETER_WIN" and wb[vba.CONFIG_SHEET]["B1"].value == interpreter
    assert wb.vba_archive is not None and "xl/vbaProject.bin" in wb.vba_archive.namelist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "kamxl.xlsm"]  # no temporary file left


def test_setup_refuses_a_workbook_without_the_config_sheet(tmp_path, monkeypatch):
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    plain = tmp_path / "rep.xlsx"
    shutil.copy(ROOT / "templates" / "rep_workbook.xlsx", plain)
    before = plain.read_bytes()
    result = CliRunner().invoke(main, ["excel", "setup", str(plain), "--interpreter", "python"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "不是 kamxl 生成的带按钮工作簿" in result.output and plain.read_bytes() == before


def test_build_writes_the_directors_workbook(tmp_path):
    result = CliRunner().invoke(main, ["excel", "build", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0 and result.output.strip() == str(tmp_path / "kamxl.xlsm")
    assert (tmp_path / "kamxl.xlsm").read_bytes() == (ROOT / "workbook" / "kamxl.xlsm").read_bytes()
    assert openpyxl.load_workbook(tmp_path / "kamxl.xlsm", keep_vba=True).sheetnames == ["操作", "设置", "kamxl.conf"]


# ---- setup edits only the kamxl.conf sheet's part: the rest of the package stays as it was (issue 19) ----

@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The workbooks with buttons as kamxl builds them: the rep template and the director's kamxl.xlsm."""
    out = tmp_path_factory.mktemp("built")
    for args in (["templates", "--out", str(out / "templates")], ["excel", "build", "--out", str(out / "workbook")]):
        CliRunner().invoke(main, ["--lang", "zh", *args], catch_exceptions=False)
    return {"rep_workbook.xlsm": out / "templates" / "rep_workbook.xlsm", "kamxl.xlsm": out / "workbook" / "kamxl.xlsm"}


def _members(path: Path) -> list[tuple[str, int, bytes]]:
    with zipfile.ZipFile(path) as package:
        return [(i.filename, i.compress_type, package.read(i.filename)) for i in package.infolist()]


def _config_part(name: str) -> str:
    return {"rep_workbook.xlsm": "xl/worksheets/sheet8.xml", "kamxl.xlsm": "xl/worksheets/sheet3.xml"}[name]


@pytest.mark.parametrize("name", ["rep_workbook.xlsm", "kamxl.xlsm"])
def test_setup_changes_only_the_config_sheet(built, name, tmp_path):
    workbook = tmp_path / name
    shutil.copy(built[name], workbook)
    interpreter = r"C:\Program Files\Python 3.12 & co\pythonw.exe"
    assert setup.write_workbook_interpreter(workbook, Path(interpreter)) is None  # Excel's own layout: no warning
    before, after = _members(built[name]), _members(workbook)
    assert [m for m in after if m[0] != _config_part(name)] == [m for m in before if m[0] != _config_part(name)]
    assert [m[:2] for m in after] == [m[:2] for m in before]  # same names, order and compression
    conf = openpyxl.load_workbook(workbook, keep_vba=True)[vba.CONFIG_SHEET]
    assert [[c.value or "" for c in row] for row in conf.iter_rows()] == [
        ["INTERPRETER_WIN", interpreter], ["UDF MODULES", "kamxl.excel.udfs"], ["SHOW CONSOLE", "False"]]
    assert package_problems(workbook.read_bytes()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left


SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
         'spreadsheetml/2006/main"><dimension ref="{ref}"/><sheetData>{rows}</sheetData><pageMargins left="0.7" '
         'right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
ROW1 = '<row r="1" spans="1:2"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
ROW3 = '<row r="3" spans="1:1"><c r="A3" t="str"><v>SHOW CONSOLE</v></c></row>'


def _inline(cell: str, text: str) -> str:
    return f'<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>'


@pytest.mark.parametrize("ref, rows, expected_ref, expected_rows", [
    # the key's row: only its B cell changes
    ("A1:B1", ROW1, "A1:B1", f'<row r="1" spans="1:2"><c r="A1" t="s"><v>0</v></c>{_inline("B1", "D:&amp;py")}</row>'),
    # a new key goes in the first blank row (xlwings stops reading there), before the rows below it; <dimension> grows
    ("A1:A3", '<row r="1"><c r="A1" t="s"><v>1</v></c></row>' + ROW3, "A1:B3",
     '<row r="1"><c r="A1" t="s"><v>1</v></c></row><row r="2" spans="1:2">'
     + _inline("A2", "INTERPRETER_WIN") + _inline("B2", "D:&amp;py") + "</row>" + ROW3),
    # an empty sheet
    ("A1", "", "A1:B1", '<row r="1" spans="1:2">' + _inline("A1", "INTERPRETER_WIN") + _inline("B1", "D:&amp;py") + "</row>"),
    # a row with a blank key keeps its other cells; its spans grow
    ("A1:C1", '<row r="1" spans="3:3"><c r="C1" s="2"><v>7</v></c></row>', "A1:C1",
     '<row r="1" spans="1:3">' + _inline("A1", "INTERPRETER_WIN") + _inline("B1", "D:&amp;py") + '<c r="C1" s="2"><v>7</v></c></row>'),
], ids=["key's row", "new row", "empty sheet", "blank key"])
def test_config_value_goes_in_the_keys_row_or_the_first_blank_one(ref, rows, expected_ref, expected_rows):
    edited = setup.set_config_value(SHEET.format(ref=ref, rows=rows), ["interpreter_win", "C:\\old"], "INTERPRETER_WIN", "D:&py")
    assert edited == SHEET.format(ref=expected_ref, rows=expected_rows)


def test_setup_refuses_a_damaged_workbook_and_leaves_it_alone(tmp_path):
    damaged = tmp_path / "kamxl.xlsm"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(KamxlError) as raised:
        setup.write_workbook_interpreter(damaged, Path("python"))
    assert str(raised.value).startswith(f"{damaged}：无法读取或已损坏（") and str(raised.value).endswith("），未修改")
    assert damaged.read_bytes() == b"PK\x03\x04 not really a zip" and [p.name for p in tmp_path.iterdir()] == ["kamxl.xlsm"]


# ---- a workbook LibreOffice or WPS saved: its VBA project is rewritten, and setup says so ----

EXCEL_BOOK = b'<workbook><workbookPr codeName="ThisWorkbook" defaultThemeVersion="124226"/></workbook>'
OTHER_BOOK = b'<workbook><workbookPr backupFile="false" showObjects="all" date1904="false"/></workbook>'


def _app(name: str) -> bytes:
    return f"<Properties><Application>{name}</Application></Properties>".encode()


@pytest.mark.parametrize("app_xml, workbook_xml, vba_project, expected", [
    (_app("Microsoft Excel"), EXCEL_BOOK, True, None),
    (_app("LibreOffice/7.4.7.2$Linux_X86_64 LibreOffice_project/40$Build-2"), OTHER_BOOK, True, "LibreOffice"),
    (_app("WPS 表格"), EXCEL_BOOK, True, "WPS"),
    (_app("Kingsoft Office"), EXCEL_BOOK, False, "WPS"),
    (_app("Microsoft Excel"), OTHER_BOOK, True, ""),  # code names gone: some other program rewrote the project
    (None, OTHER_BOOK, False, None),  # a plain .xlsx needs no code names
], ids=["Excel", "LibreOffice", "WPS", "Kingsoft", "code names lost", "no macros"])
def test_other_program_is_read_from_the_package(app_xml, workbook_xml, vba_project, expected):
    assert other_program(app_xml, workbook_xml, vba_project) == expected


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_setup_warns_about_a_workbook_libreoffice_saved(built, tmp_path, monkeypatch, lang):
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    (tmp_path / "in").mkdir()
    shutil.copy(built["rep_workbook.xlsm"], tmp_path / "in" / "rep_workbook.xlsm")
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "xlsm:Calc MS Excel 2007 VBA XML", "--outdir", str(tmp_path / "out"),
                    str(tmp_path / "in" / "rep_workbook.xlsm")], check=True, capture_output=True, timeout=300)
    saved = tmp_path / "out" / "rep_workbook.xlsm"
    result = CliRunner().invoke(main, ["--lang", lang, "excel", "setup", str(saved), "--interpreter", "python"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    expected = {
        "zh": f"警告：{saved} 最近由 LibreOffice 保存，工作簿中的宏（VBA 项目）已被改写，Excel 中的按钮和函数将无法使用。"
              "请用 kamxl templates（代表工作簿）或 kamxl excel build（总监工作簿 kamxl.xlsm）重新生成，在 Excel 中打开并把数据复制过去；"
              "带按钮的工作簿只用 Windows 版 Excel 保存",
        "en": f"warning: {saved} was last saved by LibreOffice, which rewrote its macros (VBA project): the buttons and "
              "functions will not work in Excel. Build it again with kamxl templates (rep workbooks) or kamxl excel build "
              "(the director's kamxl.xlsm), open both in Excel and copy the data over; save workbooks with buttons only in "
              "Excel for Windows"}[lang]
    assert result.stderr.splitlines() == [expected]
    assert openpyxl.load_workbook(saved, keep_vba=True)[vba.CONFIG_SHEET]["B1"].value == "python"
