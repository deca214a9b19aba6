"""Every word the console shows is Chinese by default and English with --lang en (issue 20): click's own usage
errors, library and system errors turned into reasons, and file names that are not UTF-8."""

import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from kamxl.cli import main
from tests.hostile import make_central_directory_lies, write_valid_rep_workbook

# what click says in English when nobody translates it
CLICK_ENGLISH = re.compile(r"Usage:|Error:|Try '|for help|Invalid value|does not exist|is a directory|is a file|"
                           r"Missing (?:argument|option)|No such (?:option|command)|Got unexpected|Aborted!|"
                           r"Show this message|Options:|Commands:")


def _run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env=env)


@pytest.fixture
def places(tmp_path):
    """A team folder with one rep workbook, a file, and an empty folder."""
    team = tmp_path / "team"
    team.mkdir()
    write_valid_rep_workbook(team / "张伟.xlsx", "张伟")
    (tmp_path / "empty").mkdir()
    return tmp_path


def _mistakes(p: Path) -> dict[str, list]:
    out = p / "r.xlsx"
    return {
        "misspelt folder": ["consolidate", p / "tema", "--period", "2026-10", "--out", out],
        "misspelt folder (validate)": ["validate", p / "tema"],
        "a file as folder": ["consolidate", p / "team", "--period", "2026-10", "--out", out,
                             "--history", p / "team" / "张伟.xlsx"],
        "a folder as file": ["mail", p / "team", "--to", "gm@example.com", "--eml", p / "m.eml"],
        "bad --period": ["consolidate", p / "team", "--period", "2026-13", "--out", out],
        "unknown command": ["consolidat", p / "team"],
        "unknown option": ["validate", p / "team", "--jsn"],
        "missing argument": ["validate"],
        "missing option": ["consolidate", p / "team", "--out", out],
        "extra argument": ["templates", "extra"],
    }


def test_the_common_mistakes_are_usage_errors_told_in_chinese_without_a_word_of_clicks_english(places):
    for name, args in _mistakes(places).items():
        result = _run(*args)
        assert result.exit_code == 2, name
        assert not CLICK_ENGLISH.search(result.output), (name, result.output)
        assert result.output.splitlines()[0].startswith("用法："), name
        assert "查看帮助。" in result.output and "错误：" in result.output, name


def test_the_same_mistakes_are_told_in_english_with_lang_en(places):
    for name, args in _mistakes(places).items():
        result = _run("--lang", "en", *args)
        assert result.exit_code == 2, name
        assert result.output.startswith("Usage: ") and "for help." in result.output and "\nError: " in result.output, name
        assert not re.search(r"[\u4e00-\u9fff]", result.output.replace("张伟", "")), (name, result.output)


@pytest.mark.parametrize("key, message", [
    ("misspelt folder", "错误：'INPUTS...' 的值无效：路径「{p}/tema」不存在。"),
    ("misspelt folder (validate)", "错误：'FILES...' 的值无效：路径「{p}/tema」不存在。"),
    ("a file as folder", "错误：'--history' 的值无效：文件夹「{p}/team/张伟.xlsx」是文件，不是文件夹。"),
    ("a folder as file", "错误：'ROLLUP' 的值无效：文件「{p}/team」是文件夹，不是文件。"),
    ("bad --period", "错误：--period 的值「2026-13」无效：期间无法识别：应为 2026-10、2026-Q4 或 2026"),
    ("unknown command", "错误：没有命令「consolidat」。 是否想输入 'consolidate'？"),
    ("unknown option", "错误：没有选项「--jsn」。 是否想输入 '--json'？"),
    ("missing option", "错误：缺少选项 '--period'."),
    ("extra argument", "错误：多出了参数（extra）"),
])
def test_each_mistake_says_what_is_wrong_and_echoes_the_value(places, key, message):
    result = _run(*_mistakes(places)[key])
    assert result.output.splitlines()[1] in ("运行「main consolidate --help」查看帮助。", "运行「main validate --help」查看帮助。",
                                             "运行「main mail --help」查看帮助。", "运行「main --help」查看帮助。",
                                             "运行「main templates --help」查看帮助。")
    assert result.output.splitlines()[-1] == message.format(p=places)


@pytest.mark.parametrize("args, zh, en", [
    (["--lang", "fr", "validate", "x"], "错误：'--lang' 的值无效：「fr」不在可选值 'zh', 'en' 中。",
     "Error: Invalid value for '--lang': 'fr' is not one of 'zh', 'en'."),
    (["mail", "{p}/team/张伟.xlsx", "--to", "a@example.com", "--smtp-port", "99999"],
     "错误：'--smtp-port' 的值无效：99999 不在范围 1<=x<=65535 内。",
     "Error: Invalid value for '--smtp-port': 99999 is not in the range 1<=x<=65535."),
    (["validate", "{p}/team", "--json=x"], "错误：选项「--json」不带值。", "Error: Option '--json' does not take a value."),
    (["--version"], "kamxl 0.1.0", "kamxl 0.1.0"),
])
def test_clicks_value_checks_are_told_in_the_runs_language(places, args, zh, en):
    from kamxl import __version__

    args = [a.format(p=places) for a in args]
    assert _run(*args).output.splitlines()[-1] == zh.replace("0.1.0", __version__)
    assert _run(*args, env={"KAMXL_LANG": "en"}).output.splitlines()[-1] == en.replace("0.1.0", __version__)


def test_ctrl_c_is_aborted_in_the_runs_language(places, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("kamxl.validation.validate_files", interrupted)
    assert _run("validate", places / "team").output.splitlines()[-1] == "已中止。"
    assert _run("validate", places / "team", "--lang", "en").output.splitlines()[-1] == "Aborted!"


# ---------------------------------------------------------------- one exit-code policy

@pytest.mark.parametrize("command", [["validate"], ["consolidate", "--period", "2026-10", "--out", "{p}/r.xlsx"]])
@pytest.mark.parametrize("place, message", [
    ("tema", "错误：'{arg}' 的值无效：路径「{p}/tema」不存在。"),
    ("empty", "错误：没有找到工作簿"),
])
def test_a_missing_path_and_an_empty_folder_are_usage_errors_in_every_command(places, command, place, message):
    args = [a.format(p=places) for a in command]
    result = _run(args[0], places / place, *args[1:])
    assert result.exit_code == 2
    arg = "FILES..." if command == ["validate"] else "INPUTS..."
    assert result.output.splitlines()[-1] == message.format(p=places, arg=arg)
    assert not (places / "r.xlsx").exists()


# ---------------------------------------------------------------- library and system errors, in the user's words

def _damaged_deflate(path: Path) -> Path:
    """A workbook whose customer sheet's compressed bytes are overwritten in the middle (the zip itself is sound)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 20, start + min(info.compress_size, 200)):
        data[i] = 0xFF
    path.write_bytes(bytes(data))
    return path


def _ods(path: Path) -> Path:
    """An OpenDocument spreadsheet as LibreOffice and WPS start one: `mimetype` stored first."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_library_errors_become_chinese_reasons_and_english_ones_with_lang_en(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    make_central_directory_lies(folder)
    _damaged_deflate(write_valid_rep_workbook(folder / "坏压缩.xlsx", "李雷"))
    _ods(folder / "表格.ods")
    zh = _run("validate", folder).output
    assert "坏压缩.xlsx: [无法读取] 文件已损坏或格式异常，无法读取（压缩数据已损坏）：请在 Excel 中打开后另存为 .xlsx" in zh
    assert "central_directory_lies.xlsx: [无法读取] 文件已损坏或格式异常，无法读取（压缩数据已损坏）：请在 Excel 中打开后另存为 .xlsx" in zh
    assert "表格.ods: [无法读取] OpenDocument .ods 格式：请在 Excel 或 WPS 中另存为 .xlsx 或 .xlsm" in zh
    assert not re.search(r"Error|Calamine|Isal|zlib|[a-z]{3,} [a-z]{3,}", zh)
    en = _run("validate", folder, "--lang", "en").output
    assert "坏压缩.xlsx: [unreadable] file is damaged or malformed and cannot be read (the compressed data is damaged)" in en
    assert "表格.ods: [unreadable] OpenDocument .ods format: save it as .xlsx or .xlsm in Excel or WPS" in en


@pytest.mark.parametrize("exception, zh, en", [
    ("CalamineError('Cannot detect file format')", "无法识别文件格式", "the file format is not recognised"),
    ("zlib.error('Error -3 while decompressing data: invalid distance too far back')", "压缩数据已损坏",
     "the compressed data is damaged"),
    ("FileNotFoundError(errno.ENOENT, 'No such file or directory')", "文件不存在", "no such file"),
    ("NotADirectoryError(errno.ENOTDIR, 'Not a directory')", "路径中有一段不是文件夹", "a part of the path is not a folder"),
    ("PermissionError(errno.EACCES, 'Permission denied')", "没有权限", "permission denied"),
    ("IsADirectoryError(errno.EISDIR, 'Is a directory')", "是文件夹，不是文件", "it is a folder, not a file"),
    ("RuntimeError('boom')", "内容格式异常", "malformed content (RuntimeError: boom)"),
    ("ConnectionRefusedError(errno.ECONNREFUSED, 'Connection refused')", "连接被拒绝（服务器未在该端口监听）",
     "connection refused (nothing listens on that port)"),
    ("socket.gaierror(-2, 'Name or service not known')", "找不到该服务器（名称无法解析）",
     "the server's name cannot be resolved"),
])
def test_each_kind_of_library_error_has_its_own_words(exception, zh, en):
    import errno  # noqa: F401 (used by the expressions)
    import socket  # noqa: F401
    import zlib  # noqa: F401

    from python_calamine import CalamineError  # noqa: F401

    from kamxl.io.inputs.excel_file import detail_of

    text = detail_of(eval(exception))
    assert (text.render("zh"), text.render("en")) == (zh, en)


@pytest.mark.parametrize("toml, message", [
    ("cadence_a = 99999\n", "参数文件「{path}」：参数「cadence_a」的值「99999」无效：应不大于 3650"),
    ("cadence_a = -1\n", "参数文件「{path}」：参数「cadence_a」的值「-1」无效：应不小于 0"),
    ("cadence_a = \"三十\"\n", "参数文件「{path}」：参数「cadence_a」的值「三十」无效：应为整数"),
    ("grade_a = 10\ngrade_b = 50\n", "参数文件「{path}」：参数表有误：各档阈值应从高到低（grade_a ≥ grade_b ≥ grade_c）"),
    ("nosuch = 1\n", "参数文件「{path}」：未知参数「nosuch」"),
    ("x y\n", "参数文件「{path}」第 1 行第 3 列有 TOML 格式错误"),
])
def test_a_bad_settings_file_is_told_in_chinese(tmp_path, toml, message):
    settings = tmp_path / "s.toml"
    settings.write_text(toml, encoding="utf-8")
    team = tmp_path / "team"
    team.mkdir()
    write_valid_rep_workbook(team / "张伟.xlsx", "张伟")
    result = _run("consolidate", team, "--period", "2026-10", "--out", tmp_path / "r.xlsx", "--settings", settings)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "错误：" + message.format(path=settings)


# ---------------------------------------------------------------- file names from Chinese Windows

def test_a_file_name_in_gbk_bytes_is_shown_as_it_reads_everywhere(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    real = write_valid_rep_workbook(tmp_path / "real.xlsx", "张伟")
    gbk = os.path.join(os.fsencode(team), "张伟.xlsx".encode("gbk"))
    with open(gbk, "wb") as fh:  # as a zip made on Chinese Windows, unpacked on Linux, leaves it
        fh.write(real.read_bytes())
    other = write_valid_rep_workbook(tmp_path / "other.xlsx", "李雷")
    shutil.copyfile(other, os.path.join(os.fsencode(team), b"\xff\xfe.xlsx"))  # no encoding reads these bytes
    assert "张伟.xlsx" not in os.listdir(team)  # the name really is not UTF-8

    validated = _run("validate", team)
    assert validated.output.splitlines()[:2] == ["张伟.xlsx (张伟): 无问题", "\ufffd\ufffd.xlsx (李雷): 无问题"]
    files = json.loads(_run("validate", team, "--json").output)["files"]
    assert sorted(Path(f["path"]).name for f in files) == ["张伟.xlsx", "\ufffd\ufffd.xlsx"]

    out = tmp_path / "r.xlsx"
    result = _run("consolidate", team, "--period", "2026-10", "--out", out, "--json", tmp_path / "s.json")
    assert result.exit_code == 0
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert sorted(Path(f["path"]).name for f in summary["files"]) == ["张伟.xlsx", "\ufffd\ufffd.xlsx"]
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("来源").to_python()
    assert sorted(row[0] for row in rows[1:]) == ["张伟.xlsx", "\ufffd\ufffd.xlsx"]


def test_a_bad_value_on_the_kpi_workbooks_settings_sheet_is_told_with_its_bound():
    from kamxl.settings import settings_keeping_defaults

    _, bad = settings_keeping_defaults([("cadence_a", 99999), ("grade_a", "八十")])
    assert sorted((key, value, reason.render("zh"), reason.render("en")) for key, value, reason in bad) == [
        ("cadence_a", 99999, "应不大于 3650", "must be at most 3650"), ("grade_a", "八十", "应为数字", "must be a number")]


def test_a_librarys_warning_stays_off_the_console(tmp_path):
    """pandas' PerformanceWarning was printed three times in a run over many files: a library's warning is not the
    director's to read. The command runs in its own process (pytest would catch the warning itself), its reader
    warning the way pandas does."""
    import subprocess
    import sys

    write_valid_rep_workbook(tmp_path / "卢静.xlsx", "卢静")
    script = (
        "import sys, warnings, pandas\n"
        "import kamxl.validation as validation\n"
        "real = validation.validate_files\n"
        "def warning_reader(*args, **kwargs):\n"
        "    warnings.warn('DataFrame is highly fragmented', pandas.errors.PerformanceWarning)\n"
        "    return real(*args, **kwargs)\n"
        "validation.validate_files = warning_reader\n"
        "from kamxl.cli import run\n"
        f"sys.argv = ['kamxl', 'validate', {str(tmp_path / '卢静.xlsx')!r}]\n"
        "run()\n")
    done = subprocess.run([sys.executable, "-W", "default", "-c", script], capture_output=True, text=True,
                          encoding="utf-8", cwd=tmp_path, env={**os.environ, "KAMXL_LANG": "zh"}, timeout=120)
    assert "PerformanceWarning" not in done.stderr + done.stdout and "fragmented" not in done.stderr
    assert "卢静.xlsx" in done.stdout  # the run itself went on
