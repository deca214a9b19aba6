"""demo, templates and excel build replace only their own untouched output (issue 20): a user's file stops them."""

import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.io.outputs.ownership import is_untouched

SMALL_TEAM = ["--reps", "2", "--customers", "3", "--visits", "3"]
REFUSED_ZH = "错误：以下文件已存在，且不是 kamxl 写出后未经改动的文件：{files}。未写入任何文件；确认要替换它们请加 --force\n"
REFUSED_EN = "Error: these files exist and are not kamxl's own untouched output: {files}. Nothing was written; " \
             "add --force to replace them\n"


def _run(*args, lang="zh"):
    return CliRunner().invoke(main, ["--lang", lang, *map(str, args)], catch_exceptions=False)


def _snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _rep_workbooks(team: Path) -> list[Path]:
    return sorted(p for p in team.glob("*.xlsx") if p.name != "kpi.xlsx" and not p.name.startswith("~$"))


def _edit(path: Path, sheet: str, cell: str, value, keep_vba=False):
    """What a user does: open the workbook, type into a cell, save."""
    wb = openpyxl.load_workbook(path, keep_vba=keep_vba)
    wb[sheet][cell] = value
    wb.save(path)


def _cell(path: Path, sheet: str, cell: str):
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return wb[sheet][cell].value
    finally:
        wb.close()


# ---------------------------------------------------------------- demo

@pytest.fixture
def team(tmp_path) -> Path:
    assert _run("demo", tmp_path / "team", *SMALL_TEAM).exit_code == 0
    return tmp_path / "team"


@pytest.mark.slow  # the demo team or the templates: 2-6 s
def test_demo_over_its_own_untouched_team_rewrites_it_without_force(team):
    result = _run("demo", team, *SMALL_TEAM)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"已写入 4 个文件到 {team}\n")  # 2 reps, kpi.xlsx, the lock file


@pytest.mark.slow  # the demo team or the templates: 2-6 s
def test_demo_refuses_an_edited_rep_workbook_and_writes_nothing(team):
    edited = _rep_workbooks(team)[0]
    _edit(edited, "客户档案", "B2", "我改过的客户")
    before = _snapshot(team)
    result = _run("demo", team, *SMALL_TEAM)
    assert result.exit_code == 2
    assert result.output == REFUSED_ZH.format(files=f"「{edited}」")
    assert _snapshot(team) == before


@pytest.mark.slow  # the demo team or the templates: 2-6 s
def test_demo_names_every_file_it_would_replace_in_english(team):
    edited = _rep_workbooks(team)[0]
    _edit(edited, "客户档案", "B2", "edited")
    own_kpi = team / "上月" / "kpi.xlsx"
    wb = openpyxl.Workbook()  # the user's own KPI workbook, never written by kamxl
    wb.active["A1"] = "考核"
    wb.save(own_kpi)
    result = _run("demo", team, *SMALL_TEAM, lang="en")
    assert result.exit_code == 2
    assert result.output == REFUSED_EN.format(files=f"'{edited}', '{own_kpi}'")


@pytest.mark.slow  # the demo team or the templates: 2-6 s
def test_demo_with_force_replaces_the_edited_workbook(team):
    edited = _rep_workbooks(team)[0]
    original = _cell(edited, "客户档案", "B2")
    _edit(edited, "客户档案", "B2", "我改过的客户")
    result = _run("demo", team, *SMALL_TEAM, "--force")
    assert result.exit_code == 0, result.output
    assert _cell(edited, "客户档案", "B2") == original
    assert is_untouched(edited)


# ---------------------------------------------------------------- templates

@pytest.mark.slow  # the demo team or the templates: 2-6 s
def test_templates_twice_replaces_its_own_templates(tmp_path):
    assert _run("templates", "--out", tmp_path).exit_code == 0
    result = _run("templates", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpi_sheet.xlsx", "rep_workbook.xlsm", "rep_workbook.xlsx"]


@pytest.mark.slow  # the demo team or the templates: 2-6 s
def test_templates_refuse_a_filled_in_kpi_sheet(tmp_path):
    assert _run("templates", "--out", tmp_path).exit_code == 0
    kpi = tmp_path / "kpi_sheet.xlsx"
    _edit(kpi, "考核指标", "A2", "张伟")
    before = _snapshot(tmp_path)
    result = _run("templates", "--out", tmp_path)
    assert result.exit_code == 2
    assert result.output == REFUSED_ZH.format(files=f"「{kpi}」")
    assert _snapshot(tmp_path) == before
    assert _run("templates", "--out", tmp_path, "--force").exit_code == 0
    assert _cell(kpi, "考核指标", "A2") is None


# ---------------------------------------------------------------- excel build

TEAM_FOLDER, RECIPIENTS = "D:\\大客户部\\2026-10", "gm@example.com; hr@example.com"
KEPT = f"保留了原「设置」中的值：团队文件夹 = {TEAM_FOLDER}；收件人 = {RECIPIENTS}\n"


@pytest.fixture
def director(tmp_path) -> Path:
    """A director's workbook as the director leaves it: built by kamxl, 团队文件夹 (B2) and 收件人 (B7) filled in."""
    assert _run("excel", "build", "--out", tmp_path).exit_code == 0
    workbook = tmp_path / "kamxl.xlsm"
    wb = openpyxl.load_workbook(workbook, keep_vba=True)
    assert (wb["设置"]["A2"].value, wb["设置"]["A7"].value) == ("团队文件夹", "收件人")
    wb["设置"]["B2"], wb["设置"]["B7"] = TEAM_FOLDER, RECIPIENTS
    wb.save(workbook)
    return workbook


def test_excel_build_twice_replaces_its_own_workbook(tmp_path):
    assert _run("excel", "build", "--out", tmp_path).exit_code == 0
    result = _run("excel", "build", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output == f"{tmp_path / 'kamxl.xlsm'}\n"  # nothing filled in, nothing to say was kept
    assert is_untouched(tmp_path / "kamxl.xlsm")


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_excel_build_keeps_the_settings_the_director_filled_in(director, force):
    result = _run("excel", "build", "--out", director.parent, *force)
    assert result.exit_code == 0, result.output
    assert result.output == f"{director}\n{KEPT}"
    assert (_cell(director, "设置", "B2"), _cell(director, "设置", "B7")) == (TEAM_FOLDER, RECIPIENTS)
    assert _cell(director, "设置", "B13") == "starttls"  # 加密方式: the default where nothing was filled in
    assert is_untouched(director)


def test_excel_build_keeps_the_python_excel_setup_wrote_on_the_hidden_kamxl_conf_sheet(director):
    from kamxl.excel.setup import write_workbook_interpreter

    interpreter = "C:\\Users\\张伟\\AppData\\Local\\Programs\\Python\\Python312\\pythonw.exe"
    write_workbook_interpreter(director, Path(interpreter))  # what `kamxl excel setup kamxl.xlsm` does
    result = _run("excel", "build", "--out", director.parent)
    assert result.exit_code == 0, result.output
    config = openpyxl.load_workbook(director, keep_vba=True)["kamxl.conf"]
    assert [[c.value for c in row] for row in config.iter_rows()] == [
        ["INTERPRETER_WIN", interpreter], ["UDF MODULES", "kamxl.excel.udfs"], ["SHOW CONSOLE", "False"]]
    assert _cell(director, "设置", "B2") == TEAM_FOLDER and is_untouched(director)


def test_excel_build_refuses_a_workbook_with_the_directors_own_sheet(director):
    wb = openpyxl.load_workbook(director, keep_vba=True)
    wb.create_sheet("我的笔记")["A1"] = "别删"
    wb.save(director)
    before = director.read_bytes()
    result = _run("excel", "build", "--out", director.parent)
    assert result.exit_code == 2
    assert result.output == REFUSED_ZH.format(files=f"「{director}」")
    assert director.read_bytes() == before
    result = _run("excel", "build", "--out", director.parent, "--force")
    assert result.exit_code == 0, result.output
    assert result.output == f"{director}\n{KEPT}"


def test_excel_build_refuses_a_kamxl_xlsm_kamxl_never_wrote(tmp_path):
    workbook = tmp_path / "kamxl.xlsm"
    wb = openpyxl.Workbook()
    wb.active.title = "设置"
    wb.active.append(["设置", "值"])
    wb.active.append(["团队文件夹", TEAM_FOLDER])
    wb.save(workbook)
    result = _run("excel", "build", "--out", tmp_path, lang="en")
    assert result.exit_code == 2
    assert result.output == REFUSED_EN.format(files=f"'{workbook}'")


def test_excel_build_stops_over_an_unreadable_workbook_unless_forced(tmp_path):
    workbook = tmp_path / "kamxl.xlsm"
    workbook.write_bytes(b"PK\x03\x04 not really a workbook")
    result = _run("excel", "build", "--out", tmp_path)
    assert result.exit_code == 2
    assert result.output == (f"错误：无法读取已有的总监工作簿「{workbook}」（文件已损坏，无法作为工作簿打开），其「设置」无法保留。"
                             "未写入任何文件；确认要替换它请加 --force\n")
    assert workbook.read_bytes() == b"PK\x03\x04 not really a workbook"
    result = _run("excel", "build", "--out", tmp_path, "--force")
    assert result.exit_code == 0, result.output
    assert is_untouched(workbook)


# ---------------------------------------------------------------- the fingerprint

def test_a_change_to_any_one_part_is_seen(tmp_path):
    assert _run("excel", "build", "--out", tmp_path).exit_code == 0
    made = tmp_path / "kamxl.xlsm"
    assert is_untouched(made)
    changed = tmp_path / "changed.xlsm"
    with zipfile.ZipFile(made) as package, zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as out:
        for item in package.infolist():
            data = package.read(item.filename)
            out.writestr(item, data.replace(b"<cols>", b"<cols> ") if item.filename == "xl/worksheets/sheet1.xml" else data)
    assert changed.read_bytes() != made.read_bytes()
    assert not is_untouched(changed)
