"""Consolidating messy workbooks built here, then reading the roll-up back cell by cell."""

import hashlib
import json
import zipfile
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.consolidate import consolidate
from kamxl.rollup_model import summary
from kamxl.io.outputs.rollup_writer import SHEETS, write_rollup
from tests.conftest import customer, rows_of, write_workbook

TODAY = date(2026, 11, 22)
A_FACTORS = {"份额": 5, "投入成本": 1, "成交风险": 1, "经营价值": 5, "付款风险": 1, "供应能力": 5, "技术难度": 1}  # 100
B_FACTORS = {"份额": 3, "投入成本": 3, "成交风险": 3, "经营价值": 3, "付款风险": 3, "供应能力": 3, "技术难度": 3}  # 60
SHARED_CODE = "91350100M000100Y43"
INJECTION = '=HYPERLINK("http://evil.example","点我")'


def visit(day, cid, result="面谈", **extra):
    return {"日期": day, "客户编号": cid, "拜访结果": result, **extra}


@pytest.fixture
def team(tmp_path, rep_workbook):
    folder = tmp_path / "team"
    folder.mkdir()
    rep_workbook(
        customers=[customer("KA-1", "恒瑞精密机械有限公司", 统一社会信用代码=SHARED_CODE, **A_FACTORS,
                            **{"年采购额(万元)": "120万元"}),
                   customer("KA-2", "东方化工（苏州）有限公司", **B_FACTORS),
                   customer("KA-3", INJECTION),
                   customer("KA-1", "重复行"),
                   customer("KA-4", "坏日期公司", created="2026/13/45"),
                   customer("KA-5", "@SUM(A1:A9)", stage="流失", created=date(2025, 1, 1), **B_FACTORS)],
        contacts=[{"客户编号": "KA-1", "姓名": "王总", "角色": "决策者"}, {"客户编号": "KA-8", "姓名": "无主"}],
        visits=[visit(date(2026, 10, 20), "KA-1"), visit(date(2026, 7, 1), "KA-2"), visit(date(2026, 11, 5), "KA-2"),
                visit(date(2026, 10, 2), "KA-9"), visit("2026年10月8日", "KA-3", 有效信息="是")],
        name="team/张伟.xlsx")
    rep_workbook(
        customers=[customer("C-17", "恒瑞精密机械", 统一社会信用代码=SHARED_CODE, created=date(2026, 10, 10), **A_FACTORS),
                   customer("C-18", "东方化工(苏州)", created=date(2026, 5, 1), **B_FACTORS)],
        visits=[visit(date(2026, 10, 11), "C-17")],
        rep="李娜", name="team/李娜.xlsx")
    (folder / "坏文件.xlsx").write_text("客户编号,客户名称\nKA-1,x\n", encoding="utf-8")
    (folder / "~$张伟.xlsx").write_bytes(b"\x0cowner")
    write_workbook(folder / "kpi.xlsx", {
        "考核指标": [["期间", "代表姓名", "销售计划(万元)", "实际销售(万元)", "应回款(万元)", "实际回款(万元)", "有效投诉(次)"],
                     ["2026-10", "张伟", 100, 87, 60, 57, 1], ["2026-10", "李娜", 0, 50, None, None, 0],
                     ["2026-09", "张伟", 100, 10, None, None, 5]],
        "团队": [["代表姓名", "邮箱"], ["张伟", "zw@example.com"], ["李娜", "ln@example.com"], ["王芳", "wf@example.com"]],
        "参数": [["参数", "值", "说明"], ["cadence_b", 60, ""]]}, rep=None)
    return folder


def read_sheet(path, name):
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]], ws


def test_rollup_cell_by_cell(team, tmp_path):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in team.iterdir()}
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1)
    out = write_rollup(rollup, tmp_path / "rollup.xlsx")
    assert openpyxl.load_workbook(out).sheetnames == list(SHEETS)
    with zipfile.ZipFile(out) as zf:
        charts = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart")]
    kinds = sorted(next(k for k in ("barChart", "pieChart", "scatterChart", "lineChart") if f"<c:{k}>" in c) for c in charts)
    # 总览: score, overdue, grades, Pareto; 趋势: department KPIs, reps' totals
    assert kinds == ["barChart", "barChart", "lineChart", "lineChart", "pieChart", "scatterChart"]

    customers, ws = read_sheet(out, "客户总表")
    by_id = {(r["代表"], r["客户编号"]): r for r in customers}
    assert len(customers) == 6  # 4 of 张伟's 6 rows accepted, both of 李娜's
    ka1 = by_id["张伟", "KA-1"]
    assert (ka1["评估得分"], ka1["客户等级"], ka1["最近拜访"].date(), ka1["下次拜访"].date(), ka1["逾期"]) == \
        (100, "A", date(2026, 10, 20), date(2026, 11, 19), "否")
    assert ka1["年采购额(万元)"] == 120
    ka2 = by_id["张伟", "KA-2"]
    # the 2026-11-05 visit is after the period: at 2026-10-31 the last visit is 07-01, due 08-30 → overdue
    assert (ka2["客户等级"], ka2["最近拜访"].date(), ka2["逾期"]) == ("B", date(2026, 7, 1), "是")
    assert by_id["张伟", "KA-3"]["客户等级"] == "未评级"
    assert by_id["张伟", "KA-5"]["逾期"] == "否"  # a lost account has no cadence
    assert by_id["李娜", "C-18"]["最近拜访"] is None
    # injected formulas stay text
    headers = [c.value for c in ws[1]]
    name_col = headers.index("客户名称")
    cells = {row[0].value + "/" + row[headers.index("客户编号")].value: row[name_col] for row in ws.iter_rows(min_row=2)}
    assert cells["张伟/KA-3"].value == INJECTION and cells["张伟/KA-3"].data_type == "s"
    assert cells["张伟/KA-5"].value == "@SUM(A1:A9)" and cells["张伟/KA-5"].data_type == "s"

    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in team.iterdir()}
    assert before == after  # no input file was touched


def test_overdue_counts_from_created_date_when_never_visited(team):
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1)
    c18 = rollup.customers[rollup.customers["customer_id"] == "C-18"].iloc[0]
    assert c18["grade"] == "B" and c18["next_visit_due"] == date(2026, 6, 30) and bool(c18["overdue"]) is True


def test_counts_reconcile_and_nothing_is_lost(team, tmp_path):
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1)
    report = summary(rollup, "rollup.xlsx")
    files = {f["path"].split("/")[-1]: f for f in report["files"]}
    assert files["坏文件.xlsx"]["status"] == "failed" and "文本/CSV" in files["坏文件.xlsx"]["reason"]
    assert files["~$张伟.xlsx"]["status"] == "skipped"
    zw = files["张伟.xlsx"]["sheets"]
    assert zw["customers"] == {"read": 6, "accepted": 4, "rejected": 2, "warnings": 0, "after_period": 0}
    assert zw["contacts"] == {"read": 2, "accepted": 1, "rejected": 1, "warnings": 0, "after_period": 0}
    # the visit of 2026-11-05 is after October: read and accepted, not in October's roll-up
    assert zw["daily_report"] == {"read": 5, "accepted": 4, "rejected": 1, "warnings": 0, "after_period": 1}
    for f in report["files"]:
        for counts in f["sheets"].values():
            assert counts["read"] == counts["accepted"] + counts["rejected"]

    out = write_rollup(rollup, tmp_path / "rollup.xlsx")
    problems, _ = read_sheet(out, "数据问题")
    rejected = [p for p in problems if p["处理"] == "拒收"]
    assert len(rejected) == 4
    dup = next(p for p in rejected if p["列"] == "客户编号" and p["工作表"] == "客户档案")
    assert (dup["文件"], dup["行"], dup["问题"]) == ("张伟.xlsx", 5, "客户编号与第 2 行重复，此行未采用")
    assert "客户名称=重复行" in dup["被拒收行的全部原始内容"]
    assert any(p["文件"] == "坏文件.xlsx" and p["处理"] == "无法读取" for p in problems)
    # rows in the roll-up + rejected rows in 数据问题 + rows dated after the period (counted in 来源) = every row read
    visits, _ = read_sheet(out, "拜访日报")
    assert all(v["日期"].date() <= date(2026, 10, 31) for v in visits)
    after = sum(f["sheets"].get("daily_report", {}).get("after_period", 0) for f in report["files"])
    assert len(visits) + sum(1 for p in rejected if p["工作表"] == "拜访日报") + after == 5 + 1
    sources, _ = read_sheet(out, "来源")
    zw_source = next(s for s in sources if s["文件"] == "张伟.xlsx")
    assert (zw_source["客户档案读取"], zw_source["客户档案采用"], zw_source["客户档案拒收"], zw_source["对账"]) == (6, 4, 2, "平")
    assert len(zw_source["SHA-256"]) == 64


def test_duplicates_by_credit_code_then_name(team):
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1)
    groups = {g["key"]: sorted((c["rep"], c["customer_id"]) for c in g["customers"]) for g in rollup.duplicates}
    assert groups[SHARED_CODE] == [("张伟", "KA-1"), ("李娜", "C-17")]
    assert groups["东方化工苏州"] == [("张伟", "KA-2"), ("李娜", "C-18")]
    assert len(groups) == 2


@pytest.mark.parametrize("spawned", [True, False], ids=["spawned", "computed-here"])
def test_duplicates_are_the_same_whether_found_in_a_spawned_process_or_here(team, monkeypatch, spawned):
    # where the duplicate search cannot start its own process (no second core, no process to be had), it runs here
    import kamxl.io.machinery.isolation as isolation

    if not spawned:
        monkeypatch.setattr(isolation, "can_fork", lambda: False)
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1)
    groups = {g["key"]: sorted((c["rep"], c["customer_id"]) for c in g["customers"]) for g in rollup.duplicates}
    assert groups == {SHARED_CODE: [("张伟", "KA-1"), ("李娜", "C-17")], "东方化工苏州": [("张伟", "KA-2"), ("李娜", "C-18")]}


def test_kpi_points_scores_and_reps(team):
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1)
    report = summary(rollup, "x.xlsx")
    reps = {r["rep"]: r for r in report["reps"]}
    # 王芳: on the roster without a workbook; 坏文件.xlsx failed and names no rep of the team: it adds none
    assert set(reps) == {"张伟", "李娜", "王芳"}
    zw = reps["张伟"]
    assert set(zw["points"]) == {"sales_completion", "collection", "development", "settlement", "expense", "churn",
                                 "completeness", "complaints"}
    assert zw["points"]["sales_completion"] == 23 and zw["points"]["collection"] == 19 and zw["points"]["complaints"] == 4
    assert zw["points"]["churn"] is None  # no previous roll-up
    assert reps["李娜"]["points"]["sales_completion"] is None  # plan 0: not scored, not a crash
    assert reps["王芳"]["score"] is None and reps["王芳"]["rank"] is None
    assert zw["rank"] == 1 or reps["李娜"]["rank"] == 1
    assert report["customers"]["by_grade"] == {"A": 2, "B": 3, "C": 0, "D": 0, "未评级": 1}


def test_quarter_sums_the_months(team):
    rollup = consolidate([team], "2026-Q4", today=TODAY, workers=1)
    zw = next(s for s in rollup.scores if s.rep == "张伟")
    assert zw.kpi_inputs["sales_actual"] == 87  # 2026-09 is outside Q4
    q3 = consolidate([team], "2026-Q3", today=TODAY, workers=1)
    assert next(s for s in q3.scores if s.rep == "张伟").card.points["sales_completion"] == 7  # 10 % → 25 − 18


def test_churn_and_new_accounts_from_the_previous_rollup(team, tmp_path, rep_workbook):
    previous = write_rollup(consolidate([team], "2026-09", today=TODAY, workers=1), tmp_path / "2026-09.xlsx")
    # in October 张伟 lost KA-2 and KA-3 left his file; a new account KA-7 was created; KA-8, filed in October
    # with its creation in March, existed before the period: not a new account
    rep_workbook(customers=[customer("KA-1", "恒瑞精密机械有限公司", **A_FACTORS), customer("KA-2", "东方化工", stage="流失"),
                            customer("KA-7", "新客户", created=date(2026, 10, 15)),
                            customer("KA-8", "老客户", created=date(2026, 3, 1))], name="team/张伟.xlsx")
    rollup = consolidate([team], "2026-10", previous=previous, today=TODAY, workers=1)
    zw = next(s for s in rollup.scores if s.rep == "张伟")
    assert zw.churn == {"start": 3, "lost": 2, "new": 1}  # KA-5 was already 流失 last month
    assert zw.card.values["churn"] == pytest.approx(66.666667)
    assert zw.card.points["churn"] == 0
    assert rollup.overview["new_accounts"] is not None


def test_cli_consolidate_writes_rollup_and_json(team, tmp_path):
    out, js = tmp_path / "out" / "rollup.xlsx", tmp_path / "summary.json"
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(out), "--json", str(js)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # kpi.xlsx, 张伟 and 李娜 used of 5 files (the lock file skipped, 坏文件 failed); 6 customers (4 of 张伟's 6 rows);
    # overdue: 张伟's KA-2 (B, last visit 07-01 + 60 days) and 李娜's C-18 (B, never visited, filed 05-01 + 60 days);
    # problems: 张伟's duplicate KA-1 and bad date KA-4, a contact and a visit of no customer, 坏文件
    assert result.output.splitlines() == [
        f"汇总已写入 {out}：3/5 个文件，6 个客户，2 个逾期，5 个数据问题",
        "提醒：未找到上期（2026-09）汇总：「大客户流失率」未计入总分，总分按其余指标折算为百分制。请把上期汇总表放在输出文件夹，或用 --previous 指定",
        "提醒：未计入的文件：坏文件.xlsx（这不是 Excel 工作簿，而是文本/CSV 文件（可能被改了扩展名））",
        "提醒：王芳 没有工作簿：其客户与拜访不在本汇总中，考核排名中标为「无工作簿」（不按 0 计）",
        "提醒：各代表的 大客户开发计划完成率（「开发计划(家)」未填写；「实际开发(家)」未填写）；销售合同结算率（「结算计划(万元)」未填写；"
        "「实际结算(万元)」未填写）；商务费用控制（「费用预算(元)」未填写；「实际费用(元)」未填写） 均未计入总分，总分按其余指标折算为百分制",
        "提醒：李娜：销售计划完成率（「销售计划(万元)」为 0）；合同回款率（「应回款(万元)」未填写；「实际回款(万元)」未填写） 未计入总分，"
        "总分按 10/100 分折算为百分制"]
    report = json.loads(js.read_text(encoding="utf-8"))
    assert set(report) == {"period", "output", "problems", "files", "reps", "customers", "duplicates", "warnings", "previous"}
    assert report["period"] == "2026-10" and report["output"] == str(out) and report["problems"] > 0
    assert set(report["customers"]) == {"total", "by_grade", "overdue"}
    assert out.exists() and not list(out.parent.glob(".kamxl-*"))  # no temp file left behind
    strict = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(out), "--strict"], catch_exceptions=False)
    assert strict.exit_code == 1


@pytest.mark.parametrize("args, error", [
    (["--period", "2026-13"], "错误：--period 的值「2026-13」无效：期间无法识别：应为 2026-10、2026-Q4 或 2026"),
    # well formed but out of range: said so, not the format hint (issue 20)
    (["--period", "9999"], "错误：--period 的值「9999」无效：年份 9999 超出可用范围（1990–2199）"),
    (["--period", "2026-10..2025-11"], "错误：--period 的值「2026-10..2025-11」无效：范围应从较早的期间到较晚的期间、"
                                       "两端类型相同（如 2025-11..2026-10），且不超过 120 个期间"),
    ([], "错误：缺少选项 '--period'."),
    (["--period", "2026-13", "--lang", "en"], "Error: --period has a bad value '2026-13': period not understood: use "
                                              "2026-10, 2026-Q4 or 2026"),
])
def test_cli_consolidate_usage_errors(team, tmp_path, args, error):
    result = CliRunner().invoke(main, ["consolidate", str(team), "--out", str(tmp_path / "r.xlsx"), *args], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == ("Usage: " if "en" in args else "用法：") + "main consolidate [OPTIONS] INPUTS..."
    assert result.output.splitlines()[-1] == error
    assert not (tmp_path / "r.xlsx").exists()


def test_cli_consolidate_nothing_usable(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    result = CliRunner().invoke(main, ["consolidate", str(bad), "--period", "2026-10", "--out", str(tmp_path / "r.xlsx")], catch_exceptions=False)
    assert result.exit_code == 1 and not (tmp_path / "r.xlsx").exists()
    assert result.output == "错误：没有可用的工作簿，未生成汇总\n"


def test_parallel_reading_gives_the_same_rollup(team):
    one = summary(consolidate([team], "2026-10", today=TODAY, workers=1), "x")
    two = summary(consolidate([team], "2026-10", today=TODAY, workers=2), "x")
    assert one == two


def test_settings_from_toml_override_the_kpi_workbook(team, tmp_path):
    toml = tmp_path / "kamxl.toml"
    toml.write_text("cadence_b = 200\n", encoding="utf-8")
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(out),
                                       "--settings", str(toml), "--json", "-"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["customers"]["overdue"] == 0  # with a 200-day B cadence nobody is overdue
    bad = tmp_path / "bad.toml"
    bad.write_text("cadance_b = 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(out), "--settings", str(bad)], catch_exceptions=False)
    assert result.exit_code == 1 and "未知参数「cadance_b」" in result.output


def test_last_months_rollup_in_the_team_folder_is_skipped(team, tmp_path):
    write_rollup(consolidate([team], "2026-09", today=TODAY, workers=1), team / "rollup-2026-09.xlsx")
    out = team / "rollup-2026-10.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(out), "--json", "-"], catch_exceptions=False)
    files = {f["path"].split("/")[-1]: f for f in json.loads(result.stdout)["files"]}
    assert files["rollup-2026-09.xlsx"]["status"] == "skipped" and files["rollup-2026-09.xlsx"]["reason"] == "kamxl 汇总文件，已跳过"
    assert "rollup-2026-10.xlsx" not in files  # the output itself is never read as an input


@pytest.mark.slow
def test_reading_workers_also_work_when_spawned(team):
    """Windows starts worker processes by spawning, not forking: the workers must import cleanly."""
    import subprocess
    import sys

    code = ("import multiprocessing as mp, sys\n"
            "from kamxl.consolidate import consolidate\n"
            "if __name__ == '__main__':\n"
            "    mp.set_start_method('spawn')\n"
            "    print(len(consolidate([sys.argv[1]], '2026-10', workers=2).customers))\n")
    result = subprocess.run([sys.executable, "-c", code, str(team)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "6"


def test_decision_chain_and_field_activity(team, tmp_path):
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1)
    out = write_rollup(rollup, tmp_path / "rollup.xlsx")
    customers, _ = read_sheet(out, "客户总表")
    ka1 = next(r for r in customers if r["客户编号"] == "KA-1")
    assert ka1["决策链缺失角色"] == "技术把关者、使用者、教练"  # only 王总 (决策者) is on file
    scores, ws = read_sheet(out, "考核排名")
    zw = next(r for r in scores if r["代表"] == "张伟")
    # October: 10-20 and 10-08 (a text date); 07-01 and 11-05 are outside, KA-9 was rejected
    assert (zw["本期拜访"], zw["有效信息登记率"], zw["出差天数"]) == (2, 0.5, 0)
    assert rollup.overview["a_chain_complete"] == 0.0
    overview = {r[0]: r[1:] for r in openpyxl.load_workbook(out)["总览"].iter_rows(min_row=3, max_col=4, values_only=True)}
    assert overview["A 类客户决策链完整率"][2] == 0 and overview["客户总数"][0] == 6


def test_the_best_total_ranks_first_and_ties_share_a_rank(tmp_path, rep_workbook):
    """Four reps alike but for sales: 100 %, 80 %, 80 % and 50 % of plan (domain.md: fewer points below 95 %)."""
    folder = tmp_path / "ranked"
    folder.mkdir()
    actuals = {"甲": 100, "乙": 80, "丙": 80, "丁": 50}
    for rep in actuals:
        rep_workbook([customer("KA-1")], rep=rep, name=f"ranked/{rep}.xlsx")
    write_workbook(folder / "kpi.xlsx", {
        "考核指标": [["期间", "代表姓名", "销售计划(万元)", "实际销售(万元)"],
                     *[["2026-10", rep, 100, actual] for rep, actual in actuals.items()]]}, rep=None)
    rollup = consolidate([folder], "2026-10", today=TODAY)
    ranks = {s.rep: s.rank for s in rollup.scores}
    totals = {s.rep: s.card.total for s in rollup.scores}
    assert totals["甲"] > totals["乙"] == totals["丙"] > totals["丁"]
    assert ranks == {"甲": 1, "乙": 2, "丙": 2, "丁": 4}
    rows, _ = read_sheet(write_rollup(rollup, tmp_path / "r.xlsx"), "考核排名")
    assert [r["代表"] for r in rows][:1] == ["甲"] and [r["代表"] for r in rows][-1] == "丁"


def test_reps_without_a_roster_are_listed_in_the_order_of_their_files():
    # 销售漏斗 and the scores list the reps in this order: the same from run to run, whatever the hash seed
    from kamxl.consolidate import _rep_statuses
    from kamxl.io.inputs.reader import RepWorkbook

    names = [f"代表{i:02d}" for i in range(40)]
    books = [RepWorkbook(f"{name}.xlsx", name, {}, []) for name in names]
    assert list(_rep_statuses(None, books, [])) == names


def test_the_reps_own_columns_are_bounded_keeping_those_most_rows_have(tmp_path, monkeypatch):
    """One workbook's thousands of columns of its own would make every row of the team that wide: past EXTRA_CELLS
    (rows × the reps' own columns) the columns most rows have are kept, of equal ones the first seen, and the file
    losing some is told which, in 数据问题 and in its 来源 warnings."""
    import kamxl.consolidate as consolidate_module

    folder = tmp_path / "team"
    folder.mkdir()
    write_workbook(folder / "张伟.xlsx", {"客户档案": rows_of(
        [customer(f"KA-00{i}", name=f"张伟{i}号客户有限公司", 备注=f"备注{i}") for i in range(1, 6)])}, "张伟")
    write_workbook(folder / "李娜.xlsx", {"客户档案": rows_of(
        [customer(f"KB-00{i}", name=f"李娜{i}号客户有限公司", **{f"自加{j}": f"{i}-{j}" for j in range(1, 5)})
         for i in range(1, 4)])}, "李娜")
    # 8 customers: 3 of the reps' own columns fit in 24 cells — 备注 (5 rows), then 自加1 and 自加2 (3 rows each)
    monkeypatch.setattr(consolidate_module, "EXTRA_CELLS", 24)
    out = write_rollup(consolidate([folder], "2026-10", today=TODAY, workers=1), tmp_path / "rollup.xlsx")
    customers, ws = read_sheet(out, "客户总表")
    header = [c.value for c in ws[1]]
    assert [h for h in header if h in ("备注", "自加1", "自加2", "自加3", "自加4")] == ["备注", "自加1", "自加2"]
    assert [(r["客户编号"], r["备注"], r["自加2"]) for r in customers if r["客户编号"] in ("KA-005", "KB-003")] == [
        ("KA-005", "备注5", None), ("KB-003", None, "3-2")]
    problems, _ = read_sheet(out, "数据问题")
    [bounded] = [p for p in problems if p["原始值"] == "自加3、自加4"]
    assert (bounded["文件"], bounded["工作表"], bounded["处理"]) == ("李娜.xlsx", "客户档案", "警告")
    assert bounded["问题"] == ("汇总表「客户总表」只保留代表自加的列中填写行数最多的 3 列（列数 × 行数以 24 个单元格为限）："
                             "本文件的自有列有 2 列未写入（自加3、自加4）；其余各列照常汇总")
    sources, _ = read_sheet(out, "来源")
    warned = {r["文件"]: r["客户档案警告"] for r in sources}
    assert warned["李娜.xlsx"] == 1 + warned["张伟.xlsx"]  # the same customers' warnings otherwise (none, or alike)
