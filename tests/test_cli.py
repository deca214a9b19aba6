import json
import os
import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from tests.conftest import customer


@pytest.fixture
def run():
    def invoke(*args):
        return CliRunner().invoke(main, ["--lang", "zh", *map(str, args)])
    return invoke


def test_clean_workbook_exits_0(run, rep_workbook):
    result = run("validate", rep_workbook([customer("KA-1")], name="张伟.xlsx"))
    assert result.exit_code == 0, result.output
    assert result.output == "张伟.xlsx (张伟): 无问题\n共 1 个文件：0 个无法读取，0 行被拒收，0 个警告。\n"


def test_problems_are_listed_by_file_sheet_row_column_and_exit_1(run, rep_workbook):
    path = rep_workbook([customer("KA-1", created="2026/13/45"), customer("KA-2", 电话="12345")], name="张伟.xlsx")
    result = run("validate", path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "张伟.xlsx (张伟):",
        "  客户档案 第2行 建档日期 「2026/13/45」: 必填日期无法识别，此行无法使用 [拒收]",
        "  客户档案 第3行 电话 「12345」: 电话号码无效：手机为 11 位 1 开头，座机如 010-12345678 [警告]",
        "共 1 个文件：0 个无法读取，1 行被拒收，1 个警告。"]


def test_english_messages(rep_workbook):
    path = rep_workbook([customer("KA-1", created="2026/13/45")], name="a.xlsx")
    result = CliRunner().invoke(main, ["--lang", "en", "validate", str(path)])
    assert result.output.splitlines() == [
        "a.xlsx (张伟):",
        "  客户档案 row 2 建档日期 「2026/13/45」: required date cannot be read: the row cannot be used [rejected]",
        "1 files: 0 unreadable, 1 rows rejected, 0 warnings."]


def test_unreadable_file_is_a_problem(run, tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_text("客户编号,客户名称\n", encoding="utf-8")
    result = run("validate", bad)
    assert result.exit_code == 1
    assert result.output.splitlines() == ["坏文件.xlsx: [无法读取] 这不是 Excel 工作簿，而是文本/CSV 文件（可能被改了扩展名）",
                                          "共 1 个文件：1 个无法读取，0 行被拒收，0 个警告。"]


def test_json_report(run, rep_workbook):
    path = rep_workbook([customer("KA-1"), customer("KA-1")], name="张伟.xlsx")
    result = run("validate", "--json", path)
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["problems"] == 1
    [file] = report["files"]
    assert file["sheets"]["customers"] == {"read": 2, "accepted": 1, "rejected": 1, "warnings": 0}
    assert file["problems"][0] | {"message": ""} == {
        "file": "张伟.xlsx", "sheet": "客户档案", "row": 3, "column": "客户编号", "value": "KA-1", "severity": "rejected",
        "code": "duplicate_customer_id", "message": ""}


def test_wrong_usage_exits_2(run, tmp_path):
    assert run("validate").exit_code == 2
    assert run("validate", tmp_path).exit_code == 2  # an empty folder holds no workbook


def test_demo_team_validates_with_actionable_problems(run, tmp_path):
    team = tmp_path / "team"
    result = run("demo", team, "--reps", 3, "--customers", 20, "--visits", 40)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"已写入 5 个文件到 {team}",
        f"上月提交的团队在 {team / '上月'}：先汇总它（kamxl consolidate {team / '上月'} --period 2026-09 --out "
        f"rollups/rollup-2026-09.xlsx），再汇总 {team}（--period 2026-10 --out rollups/rollup-2026-10.xlsx），即可看到流失与新开发"]
    files = sorted(p.name for p in (tmp_path / "team").iterdir() if p.is_file())
    assert "kpi.xlsx" in files and len(files) == 5  # 3 reps, the KPI workbook, one lock file (and the folder 上月/)
    result = run("validate", tmp_path / "team")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    lock = next(p.name for p in team.iterdir() if p.name.startswith("~$"))
    assert f"{lock}: [已跳过] Excel 临时锁定文件（~$ 开头），已跳过：「{lock[2:]}」可能正在 Excel 中打开，未保存的修改不在本次结果中" in lines
    assert "必填日期无法识别" in result.output and "校验位错误" in result.output
    assert lines[-1].startswith("共 5 个文件：0 个无法读取，")  # the lock file is listed, and nothing failed


def test_demo_clean_team_has_no_problems_but_the_lock_file_is_absent(run, tmp_path):
    assert run("demo", tmp_path / "t", "--reps", 2, "--customers", 15, "--visits", 30, "--clean").exit_code == 0
    result = run("validate", tmp_path / "t")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", sorted(main.commands))
@pytest.mark.parametrize("lang, example, usage", [("zh", "示例 (Example):", "用法："), ("en", "Example:", "Usage:")])
def test_every_command_is_documented_with_an_example(command, lang, example, usage):
    for args in (["--lang", lang, command, "--help"], [command, "--help", "--lang", lang]):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0
        assert example in result.output and result.output.startswith(usage)


def test_lang_before_or_after_the_command_reaches_every_output(tmp_path, monkeypatch):
    import os

    from kamxl.messages import language

    monkeypatch.delenv("KAMXL_LANG", raising=False)
    environment = dict(os.environ)
    after = CliRunner().invoke(main, ["demo", str(tmp_path / "t"), "--reps", "2", "--customers", "5",
                                      "--visits", "10", "--lang", "en"], catch_exceptions=False)
    assert after.output.splitlines()[0] == f"wrote 4 files to {tmp_path / 't'}"
    assert after.output.splitlines()[1].startswith(f"the team as submitted a month earlier is in {tmp_path / 't' / '上月'}")
    assert len(after.output.splitlines()) == 2
    before = CliRunner().invoke(main, ["--lang=en", "consolidate", str(tmp_path / "t"), "--period", "2026-10",
                                       "--out", str(tmp_path / "r.xlsx")], catch_exceptions=False)
    assert before.output.startswith(f"roll-up written to {tmp_path / 'r.xlsx'}: 3/4 files") and "Note: " in before.output
    chinese = CliRunner().invoke(main, ["consolidate", str(tmp_path / "t"), "--period", "2026-10",
                                        "--out", str(tmp_path / "r.xlsx")], catch_exceptions=False)
    assert chinese.output.startswith("汇总已写入") and "提醒：" in chinese.output
    # the language was a value for those runs: nothing was left in the environment or the process
    assert dict(os.environ) == environment and language() == "zh"


def test_kamxl_lang_from_the_environment_and_the_option_wins(rep_workbook, monkeypatch):
    path = rep_workbook([customer("KA-1", created="2026/13/45")], name="a.xlsx")
    monkeypatch.setenv("KAMXL_LANG", "en_US.UTF-8")
    assert "[rejected]" in CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False).output
    assert "Usage:" in CliRunner().invoke(main, ["--help"], catch_exceptions=False).output
    assert "[拒收]" in CliRunner().invoke(main, ["validate", str(path), "--lang", "zh"], catch_exceptions=False).output
    monkeypatch.delenv("KAMXL_LANG")
    assert "[拒收]" in CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False).output


def _kamxl_process(tmp_path, *args, stdout_closed=False):
    """The installed command's entry point (`run`) in a process of its own, two exit handlers registered before it
    (one writes a file, one prints), its standard output block-buffered as in a pipe (or closed)."""
    marker = tmp_path / "exit-handler-ran"
    script = ("import atexit, pathlib, sys; "
              f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'ran'); "
              "atexit.register(print, 'said at exit'); "
              "sys.argv = ['kamxl', *sys.argv[1:]]; from kamxl.cli import run; run()")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-c", script, "--lang", "en", *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env, preexec_fn=(lambda: os.close(1)) if stdout_closed else None)
    return done, marker.exists()


@pytest.mark.slow
def test_the_command_leaves_with_its_output_whole_its_exit_code_and_its_exit_handlers_run(tmp_path, rep_workbook):
    (tmp_path / "team").mkdir()
    rep_workbook([customer(f"KA-{i}") for i in range(1, 400)], name="team/张伟.xlsx")
    out = tmp_path / "rollup.xlsx"
    done, handled = _kamxl_process(tmp_path, "consolidate", tmp_path / "team", "--period", "2026-10", "--out", out,
                                   "--json", "-")
    assert (done.returncode, handled) == (0, True), done.stderr
    report, said = done.stdout.rstrip("\n").rsplit("\n", 1)
    assert said == "said at exit"  # what an exit handler printed is flushed too
    report = json.loads(report)  # every byte of a long report arrives through the pipe
    assert report["customers"]["total"] == 399 and report["output"] == str(out)
    assert "roll-up written" in done.stderr and out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    done, handled = _kamxl_process(tmp_path, "consolidate", empty, "--period", "2026-10", "--out", tmp_path / "r2.xlsx")
    # an empty folder is a usage error (exit 2), told without a traceback
    assert (done.returncode, handled) == (2, True) and "Error" in done.stderr and "Traceback" not in done.stderr
    done, handled = _kamxl_process(tmp_path, "consolidate", empty, "--period", "not-a-period", "--out", tmp_path / "r3.xlsx")
    assert (done.returncode, handled) == (2, True) and "--period" in done.stderr
    # started with no standard output at all (a scheduled job closing it): the roll-up is written, exit 0
    again = tmp_path / "again.xlsx"
    done, handled = _kamxl_process(tmp_path, "consolidate", tmp_path / "team", "--period", "2026-10", "--out", again,
                                   stdout_closed=True)
    assert (done.returncode, handled, again.exists()) == (0, True, True) and "Traceback" not in done.stderr


# ---------------------------------------------------------------- every option's help, in both languages

def _commands(group: click.Group, path: tuple[str, ...] = ()):
    """(path, command) for the group itself and every command under it, sub-groups included."""
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _option_rows(group: click.Group, path: tuple[str, ...], lang: str | None) -> dict[str, str]:
    """The options section of `--help` (in the default language when `lang` is None): flags → help text."""
    args = ([] if lang is None else ["--lang", lang]) + [*path, "--help"]
    output = CliRunner().invoke(group, args, catch_exceptions=False).output
    section = re.split(r"^(?:选项|Options):\n", output, flags=re.M)[1]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if not line.strip():
            break
        row = re.match(r"  (-\S.*?)(?:\s{2,}(.*))?$", line)
        if row and not line.startswith("   "):
            flags = row.group(1)
            rows[flags] = row.group(2) or ""
        else:
            rows[flags] += " " + line.strip()
    return rows


def _undocumented(group: click.Group) -> list[str]:
    """Every option of every command whose --help lacks Chinese (shown by default) or English (with --lang en)."""
    missing = []
    for path, command in _commands(group):
        zh, en = _option_rows(group, path, None), _option_rows(group, path, "en")
        ctx = click.Context(command)
        for param in [*command.get_params(ctx)]:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            name = " ".join((*path, param.opts[0]))
            text_zh = next((t for flags, t in zh.items() if param.opts[0] in re.findall(r"-[-\w]+", flags)), "")
            text_en = next((t for flags, t in en.items() if param.opts[0] in re.findall(r"-[-\w]+", flags)), "")
            english = re.sub(r"--[-\w]+|KAMXL_\w+|\[[^]]*\]", "", text_en)  # words, not flags or click's [default: …]
            if not re.search(r"[\u4e00-\u9fff]", text_zh) or text_zh == text_en:
                missing.append(f"{name}: no Chinese help")
            if not re.search(r"[A-Za-z]{3,}", english):
                missing.append(f"{name}: no English help")
    return missing


def test_every_option_of_every_command_has_help_in_chinese_by_default_and_in_english(monkeypatch):
    monkeypatch.delenv("KAMXL_LANG", raising=False)
    assert _undocumented(main) == []


def test_an_option_without_chinese_or_english_help_is_found(monkeypatch):
    import copy

    from kamxl.cli import _option

    monkeypatch.delenv("KAMXL_LANG", raising=False)
    probe = copy.copy(main)  # kamxl with --lang and --version, and one new command of its own
    probe.commands = {}

    @probe.command()
    @_option("--both", help="Both languages.", help_zh="两种语言。")
    @_option("--english-only", help="Only in English.")
    @click.option("--plain-click", help="Added the plain click way.")
    @_option("--chinese-only", help_zh="只有中文。")
    def command(**_):
        """Command."""

    assert _undocumented(probe) == ["command --english-only: no Chinese help", "command --plain-click: no Chinese help",
                                    "command --chinese-only: no English help"]
