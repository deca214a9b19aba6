"""`kamxl excel setup` and `kamxl excel build`."""

import shutil
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.excel import setup, vba

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
