"""Trust: one bad file never stops a run; nothing is overwritten, counted twice or lost (issue 7)."""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.consolidate import consolidate
from kamxl.rollup_model import summary
from kamxl.errors import PeriodError, SettingsError
from kamxl.io.inputs.excel_file import Limits
from kamxl.io.machinery.isolation import Crashed, run_isolated
from kamxl.parsing import parse_amount, parse_date
from kamxl.rules.kpi import ratio_percent
from kamxl.rules.periods import parse_period
from kamxl.settings import settings_from_pairs
from tests.conftest import customer, write_workbook
from tests.test_consolidate import TODAY, read_sheet, team  # noqa: F401 (a fixture)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args):
    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


# ---------------------------------------------------------------- isolation


def _job(kind):
    if kind == "abort":
        os.abort()
    if kind == "hang":
        time.sleep(60)
    if kind == "memory":
        return len(bytearray(4 << 30))  # more than a worker may take
    if kind == "raise":
        raise RuntimeError("boom")
    return kind * 2


@pytest.mark.slow
def test_a_dying_hanging_or_raising_job_is_that_jobs_failure_only():
    jobs = [1, "abort", 2, "hang", 3, "memory", 4, "raise", 5]
    started = time.monotonic()
    results = run_isolated(_job, jobs, workers=2, limits=Limits(seconds=3, worker_memory=512 << 20))
    assert time.monotonic() - started < 30
    assert [r for r in results if not isinstance(r, Crashed)] == [2, 4, 6, 8, 10]
    crashed = {jobs[i]: r for i, r in enumerate(results) if isinstance(r, Crashed)}
    assert crashed["abort"].code == "worker_died"
    assert crashed["hang"].code == "read_timeout" and dict(crashed["hang"].params) == {"seconds": 3}
    assert crashed["memory"].code == "worker_died"
    assert crashed["raise"].code == "read_error" and "RuntimeError: boom" in dict(crashed["raise"].params)["detail"].render("en")


def test_a_sheet_spanning_too_many_cells_is_refused_with_its_area(rep_workbook, tmp_path):
    import zipfile

    path = rep_workbook([customer("KA-1")], name="张伟.xlsx")
    stray = tmp_path / "stray.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(stray, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":  # 客户档案: one cell at the very end of the grid
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
            dst.writestr(info, data)
    result = _cli("--lang", "zh", "validate", "--json", stray)
    [report] = json.loads(result.output)["files"]
    assert report["status"] == "failed"
    assert report["reason"].startswith("工作表「客户档案」范围过大（1048576 行 × 16384 列")


# ---------------------------------------------------------------- nothing overwritten


@pytest.mark.parametrize("target", ["张伟.xlsx", "kpi.xlsx"])
def test_out_may_not_name_an_input(team, tmp_path, target):  # noqa: F811
    victim = team / target
    before = _digest(victim)
    result = _cli("--lang", "zh", "consolidate", team, "--period", "2026-10", "--out", victim)
    assert result.exit_code == 2 and "输出不能覆盖任何输入" in result.output
    assert _digest(victim) == before


def test_json_may_not_name_an_input_the_output_or_a_device(team, tmp_path):  # noqa: F811
    out = tmp_path / "r.xlsx"
    before = _digest(team / "李娜.xlsx")
    for target, words in ((team / "李娜.xlsx", "输出不能覆盖任何输入"), (out, "输出不能覆盖任何输入"),
                          (Path("/dev/null"), "不是普通文件")):
        result = _cli("--lang", "zh", "consolidate", team, "--period", "2026-10", "--out", out, "--json", target)
        assert result.exit_code == 2 and words in result.output, result.output
    assert _digest(team / "李娜.xlsx") == before and not out.exists()


def test_out_may_not_be_a_folder_or_a_workbook_that_is_not_a_rollup(team, tmp_path):  # noqa: F811
    assert _cli("consolidate", team, "--period", "2026-10", "--out", tmp_path).exit_code == 2
    other = write_workbook(tmp_path / "预算.xlsx", {"预算": [["a"]]})
    before = _digest(other)
    result = _cli("--lang", "zh", "consolidate", team, "--period", "2026-10", "--out", other)
    assert result.exit_code == 2 and "不是 kamxl 汇总文件" in result.output and _digest(other) == before


def test_last_runs_rollup_may_be_replaced_and_a_leftover_temporary_is_never_read(team, tmp_path):  # noqa: F811
    out = team / "rollup.xlsx"
    assert _cli("consolidate", team, "--period", "2026-10", "--out", out).exit_code == 0
    (team / ".rollup.xlsx.kamxl-tmp-99-deadbeef").write_bytes(b"")  # what a killed run may leave
    (team / ".kamxl-layout-x.xlsx").write_bytes(b"")
    result = _cli("consolidate", team, "--period", "2026-10", "--out", out, "--json", "-")
    assert result.exit_code == 0
    names = [Path(f["path"]).name for f in json.loads(result.stdout)["files"]]
    assert not any("kamxl-tmp" in n or "rollup.xlsx" == n for n in names)


# ---------------------------------------------------------------- nothing counted twice


def test_an_identical_copy_is_read_once(team):  # noqa: F811
    alone = summary(consolidate([team], "2026-10", today=TODAY), "x")
    shutil.copy(team / "张伟.xlsx", team / "张伟(1).xlsx")
    both = summary(consolidate([team], "2026-10", today=TODAY), "x")
    assert both["customers"] == alone["customers"] and both["reps"] == alone["reps"]
    copy = next(f for f in both["files"] if f["path"].endswith("张伟(1).xlsx"))
    assert copy["status"] == "skipped" and copy["reason"] == "与「张伟.xlsx」内容完全相同，只计一次"


def test_two_workbooks_of_one_rep_are_not_summed_the_newer_is_used(team, rep_workbook):  # noqa: F811
    # its data is newer too (张伟.xlsx's latest is a visit on 2026-11-05): the data decides first (issue 17)
    newer = rep_workbook([customer("KA-1", "恒瑞精密机械有限公司", created=date(2026, 10, 28))],
                         visits=[{"日期": date(2026, 11, 10), "客户编号": "KA-1", "拜访结果": "面谈"}],
                         name="team/张伟(1).xlsx")  # 张伟 on its 说明 sheet
    old_time = time.time() - 3600
    os.utime(team / "张伟.xlsx", (old_time, old_time))
    rollup = consolidate([team], "2026-10", today=TODAY)
    report = summary(rollup, "x")
    older = next(f for f in report["files"] if f["path"].endswith("/张伟.xlsx"))
    assert older["status"] == "skipped"
    assert older["reason"].startswith("与「张伟(1).xlsx」同属代表「张伟」：采用数据较新的「张伟(1).xlsx」（数据最新至 2026-11-10，"
                                      "修改于 ")
    assert "此文件（数据最新至 2026-11-05，修改于 " in older["reason"]
    assert time.strftime("%Y-%m-%d %H:%M", time.localtime(old_time)) in older["reason"]  # the skipped file's own date
    assert sorted(rollup.customers.loc[rollup.customers["rep"] == "张伟", "customer_id"]) == ["KA-1"]
    assert newer.exists()
    out = team.parent / "r.xlsx"
    strict = _cli("consolidate", team, "--period", "2026-10", "--out", out, "--strict")
    assert strict.exit_code == 1
    assert "代表「张伟」有 2 个工作簿：采用「张伟(1).xlsx」（数据最新至 2026-11-10），未计入「张伟.xlsx」" in strict.output


def test_two_different_kpi_workbooks_without_kpi_is_a_usage_error(team, tmp_path):  # noqa: F811
    shutil.copy(team / "kpi.xlsx", team / "kpi-copy.xlsx")  # identical: one workbook
    out = tmp_path / "r.xlsx"
    assert _cli("consolidate", team, "--period", "2026-10", "--out", out).exit_code == 0
    write_workbook(team / "kpi-old.xlsx", {"考核指标": [["期间", "代表姓名", "销售计划(万元)", "实际销售(万元)"],
                                                       ["2026-10", "张伟", 100, 10]]}, rep=None)
    result = _cli("--lang", "zh", "consolidate", team, "--period", "2026-10", "--out", out)
    assert result.exit_code == 2 and "kpi-old.xlsx" in result.output and "kpi.xlsx" in result.output
    named = _cli("consolidate", team, "--period", "2026-10", "--out", out, "--kpi", team / "kpi.xlsx", "--json", "-")
    assert named.exit_code == 0
    files = {Path(f["path"]).name: f for f in json.loads(named.stdout)["files"]}
    assert files["kpi-old.xlsx"]["status"] == "skipped" and files["kpi.xlsx"]["status"] == "ok"


def test_a_file_gone_before_it_is_read_is_that_files_failure(team):  # noqa: F811
    from kamxl.io.inputs.batch import read_files

    paths = sorted(team.glob("*.xlsx"))
    (team / "李娜.xlsx").unlink()
    outcomes = read_files(paths, today=TODAY)
    gone = next(o for p, o in zip(paths, outcomes) if p.name == "李娜.xlsx")
    assert gone.code == "not_found" and not gone.skipped


def test_the_hash_is_of_the_bytes_read(team):  # noqa: F811
    rollup = consolidate([team], "2026-10", today=TODAY)
    source = next(s for s in rollup.sources if Path(s.path).name == "张伟.xlsx")
    assert source.sha256 == _digest(team / "张伟.xlsx")


# ---------------------------------------------------------------- numbers and settings bounded


def test_amounts_dates_periods_settings_and_ratios_are_bounded():
    assert parse_amount(1e308).problem == "amount_range" and parse_amount(1e308).value is None
    assert parse_amount("9" * 400).problem == "amount_range"
    assert parse_amount(float("nan")).problem == "amount_range"
    assert parse_amount("12.5万", "元").value == 125_000  # within range: as before
    assert parse_date(date(9999, 12, 1)).problem == "date_range"
    assert parse_date(1e12).problem == "bad_date"
    with pytest.raises(PeriodError):
        parse_period("9999-12")
    with pytest.raises(SettingsError, match="cadence_a"):
        settings_from_pairs([("cadence_a", 3_000_000)])
    assert ratio_percent(1e30, 1e-300) is not None  # exact, not decimal.InvalidOperation
    assert ratio_percent(float("inf"), 100) is None


def test_period_far_in_the_future_is_a_usage_error(team, tmp_path):  # noqa: F811
    assert _cli("consolidate", team, "--period", "9999-12", "--out", tmp_path / "r.xlsx").exit_code == 2


def test_characters_xml_cannot_hold_are_reported_and_the_rollup_opens(rep_workbook, tmp_path):
    import zipfile

    path = rep_workbook([customer("KA-1", "华信精密"), customer("KA-2", "东方化工")], name="张伟.xlsx")
    bad = tmp_path / "team" / "张伟.xlsx"
    bad.parent.mkdir()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace("华信精密".encode(), "华信&#xFFFF;精密".encode())
            dst.writestr(info, data)
    out = tmp_path / "r.xlsx"
    result = _cli("--lang", "zh", "consolidate", bad.parent, "--period", "2026-10", "--out", out, "--json", "-")
    assert result.exit_code == 0
    problems = openpyxl.load_workbook(out)["数据问题"]
    rows = [[c.value for c in row] for row in problems.iter_rows()]
    assert any("Excel 不允许的控制字符" in str(v) for r in rows for v in r)
    customers, _ = read_sheet(out, "客户总表")
    assert {c["客户名称"] for c in customers} == {"华信\ufffd精密", "东方化工"}  # U+FFFF replaced, the row kept


# ---------------------------------------------------------------- interruption


def _kamxl(*args, cwd, env=None):
    return subprocess.Popen([sys.executable, "-m", "kamxl", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_interrupted_runs_leave_the_old_output_or_the_new_one_and_no_temporary(team, tmp_path):  # noqa: F811
    out = tmp_path / "rollup.xlsx"
    assert _cli("consolidate", team, "--period", "2026-10", "--out", out).exit_code == 0
    complete = openpyxl.load_workbook(out).sheetnames
    rng = random.Random(7)
    system_temp = tmp_path / "system-temp"  # where the spilled detail rows and the writer's layout go
    system_temp.mkdir()
    env = {**os.environ, "TMPDIR": str(system_temp)}
    for attempt in range(6):
        proc = _kamxl("consolidate", team, "--period", "2026-10", "--out", out, cwd=tmp_path, env=env)
        time.sleep(rng.uniform(0.05, 1.5))
        proc.send_signal(rng.choice([signal.SIGINT, signal.SIGTERM]))
        proc.wait(60)
        assert openpyxl.load_workbook(out).sheetnames == complete  # old or new, always whole
        assert not [p for p in tmp_path.iterdir() if "kamxl-tmp" in p.name], proc.stderr.read()
        assert not [p for p in team.iterdir() if "kamxl" in p.name]
        assert not list(system_temp.iterdir())
    templates = tmp_path / "templates"
    assert _cli("templates", "--out", templates).exit_code == 0
    for attempt in range(4):
        proc = _kamxl("templates", "--out", templates, cwd=tmp_path)
        time.sleep(rng.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        for book in templates.glob("*.xlsx"):
            openpyxl.load_workbook(book)  # whole
        assert not [p for p in templates.iterdir() if "kamxl-tmp" in p.name]


def test_out_may_not_replace_the_previous_rollup_nor_go_where_nothing_can_be_written(team, tmp_path):  # noqa: F811
    previous = tmp_path / "rollup-2026-09.xlsx"
    assert _cli("consolidate", team, "--period", "2026-09", "--out", previous).exit_code == 0
    before = _digest(previous)
    result = _cli("--lang", "zh", "consolidate", team, "--period", "2026-10", "--out", previous, "--previous", previous)
    assert result.exit_code == 2 and "输出不能覆盖任何输入" in result.output and _digest(previous) == before
    # refused before reading where the folder says so; root may write anywhere by the permissions, and /proc still
    # refuses: then the write fails with one sentence and exit 1
    result = _cli("--lang", "zh", "consolidate", team, "--period", "2026-10", "--out", "/proc/r.xlsx")
    assert (result.exit_code, "没有写入权限" in result.output) == (2, True) or \
        (result.exit_code, "无法写入「/proc/r.xlsx」" in result.output) == (1, True), result.output


def test_a_copy_named_by_a_chat_app_without_a_rep_name_is_still_the_same_rep(tmp_path, rep_workbook):
    folder = tmp_path / "team"
    folder.mkdir()
    rep_workbook([customer("KA-1"), customer("KA-2")], rep=None, name="team/余海燕_客户档案.xlsx")
    rep_workbook([customer("KA-1"), customer("KA-2"), customer("KA-3")], rep=None, name="team/余海燕_客户档案(1).xlsx")
    rollup = consolidate([folder], "2026-10", today=TODAY)
    assert len(rollup.customers) in (2, 3)  # one of the two, never both summed
    assert sorted(s.status for s in rollup.sources) == ["ok", "skipped"]


def test_a_kpi_workbook_that_fails_is_not_taken_for_a_rep(team):  # noqa: F811
    import zipfile

    kpi = team / "kpi.xlsx"
    data = {i.filename: z_read for i, z_read in ((i, zipfile.ZipFile(kpi).read(i)) for i in zipfile.ZipFile(kpi).infolist())}
    with zipfile.ZipFile(kpi, "w") as out:  # a malformed cell reference: calamine refuses the sheet
        for name, body in data.items():
            out.writestr(name, body.replace(b'r="A2"', b'r="2A"', 1) if name.startswith("xl/worksheets/") else body)
    rollup = consolidate([team], "2026-10", today=TODAY)
    source = next(s for s in rollup.sources if Path(s.path).name == "kpi.xlsx")
    assert source.status == "failed" and source.kind == "kpi" and source.rep is None
    assert "kpi" not in rollup.reps


def test_a_rollup_longer_than_an_excel_sheet_is_refused_with_what_to_do(team, tmp_path, monkeypatch):  # noqa: F811
    import kamxl.io.outputs.rollup_writer as writer

    monkeypatch.setattr(writer, "EXCEL_ROWS", 3)  # the team has more than two customers
    out = tmp_path / "rollup.xlsx"
    result = _cli("--lang", "zh", "consolidate", team, "--period", "2026-10", "--out", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "超过 Excel 一个工作表的上限 2 行" in result.output and "按区域或小组分别汇总" in result.output
    assert not out.exists() and not [p for p in tmp_path.iterdir() if "kamxl" in p.name]


def test_extra_columns_named_like_the_ones_the_rollup_adds_are_kept_apart(tmp_path):
    # a rep's own columns headed rep, file, row and overdue: the roll-up's 代表, 来源文件, 源行号 and 逾期 stay what they
    # are, and the rep's columns are kept beside them under their label and column number
    folder = tmp_path / "team"
    folder.mkdir()
    rows = [["客户编号", "客户名称", "行业", "开发阶段", "建档日期", "rep", "file", "row", "overdue"],
            ["KA-1", "华信", "制造", "合作", date(2026, 3, 1), "老王", "a.xlsx", 99, "my note"]]
    visits = [["日期", "客户编号", "拜访结果", "rep", "file", "row"], [date(2026, 10, 3), "KA-1", "签约", "小李", "b", 7]]
    write_workbook(folder / "张伟.xlsx", {"客户档案": rows, "拜访日报": visits})
    out = tmp_path / "rollup.xlsx"
    result = _cli("--lang", "zh", "consolidate", folder, "--period", "2026-10", "--out", out)
    assert result.exit_code == 0, result.output
    customers, _ = read_sheet(out, "客户总表")
    assert [(c["代表"], c["来源文件"], c["源行号"], c["rep (6)"], c["file (7)"], c["row (8)"], c["overdue (9)"], c["逾期"])
            for c in customers] == [("张伟", "张伟.xlsx", 2, "老王", "a.xlsx", "99", "my note", "否")]
    visits, _ = read_sheet(out, "拜访日报")
    assert [(v["代表"], v["来源文件"], v["源行号"], v["rep (4)"], v["file (5)"], v["row (6)"]) for v in visits] == \
        [("张伟", "张伟.xlsx", 2, "小李", "b", "7")]
