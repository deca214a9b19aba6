"""The month a director can sign: figures as of the period's end, and nothing missing without a word.

Every expected value here is counted from the workbooks the test writes (or worked out by hand in a comment).
"""

import json
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.consolidate import consolidate
from kamxl.rollup_model import summary
from kamxl.io.outputs.rollup_writer import write_rollup
from tests.conftest import customer, write_workbook

TODAY = date(2026, 11, 22)
KPI_HEADER = ["期间", "代表姓名", "销售计划(万元)", "实际销售(万元)", "应回款(万元)", "实际回款(万元)", "有效投诉(次)"]


def visit(day, cid, result="面谈", **extra):
    return {"日期": day, "客户编号": cid, "拜访结果": result, **extra}


@pytest.fixture
def team(tmp_path, rep_workbook):
    """张伟 with customers created before, within and after October; visits and plans either side of its end."""
    (tmp_path / "team").mkdir()
    rep_workbook(
        customers=[customer("KA-1", "老客户一", created=date(2026, 3, 1)),
                   customer("KA-2", "老客户二", created=date(2026, 9, 30)),
                   customer("KA-3", "十月新客户", created=date(2026, 10, 1)),
                   customer("KA-4", "十月新客户但已流失", created=date(2026, 10, 20), stage="流失"),
                   customer("KA-5", "十一月新客户", created=date(2026, 11, 3))],
        contacts=[{"客户编号": "KA-1", "姓名": "王总", "角色": "决策者"}, {"客户编号": "KA-5", "姓名": "李总"}],
        plans=[{"计划日期": date(2026, 10, 28), "客户编号": "KA-1"}, {"计划日期": date(2026, 11, 10), "客户编号": "KA-2"},
               {"计划日期": date(2026, 12, 1), "客户编号": "KA-2"}],
        visits=[visit(date(2026, 10, 5), "KA-1"), visit(date(2026, 10, 31), "KA-3"),
                visit(date(2026, 11, 4), "KA-1"), visit(date(2026, 11, 5), "KA-5")],
        name="team/张伟.xlsx")
    return tmp_path / "team"


def kpi_workbook(folder, rows, roster=("张伟",)):
    return write_workbook(folder / "kpi.xlsx", {"考核指标": [KPI_HEADER, *rows],
                                                "团队": [["代表姓名"], *([r] for r in roster)]}, rep=None)


def sheet_records(path, name):
    ws = openpyxl.load_workbook(path, read_only=True)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_customers_created_after_the_period_are_in_no_figure_or_table(team, tmp_path):
    september = consolidate([team], "2026-09", today=TODAY, workers=1)
    # created on or before 30 September: KA-1 and KA-2
    assert sorted(september.customers["customer_id"]) == ["KA-1", "KA-2"]
    assert september.overview["customers"] == 2
    out = write_rollup(september, tmp_path / "rollup-2026-09.xlsx")
    assert sorted(r["客户编号"] for r in sheet_records(out, "客户总表")) == ["KA-1", "KA-2"]
    # no visit of September at all; KA-5's contact (a November customer) is not in September's roll-up
    assert sheet_records(out, "拜访日报") == []
    assert [r["客户编号"] for r in sheet_records(out, "联系人")] == ["KA-1"]


def test_visits_after_the_period_and_plans_after_the_next_do_not_count(team, tmp_path):
    october = consolidate([team], "2026-10", today=TODAY, workers=1)
    out = write_rollup(october, tmp_path / "rollup-2026-10.xlsx")
    visits = sheet_records(out, "拜访日报")
    assert sorted((r["客户编号"], r["日期"].date()) for r in visits) == [("KA-1", date(2026, 10, 5)), ("KA-3", date(2026, 10, 31))]
    # October's roll-up shows the plan for November (made in October), not December's
    assert [r["计划日期"].date() for r in sheet_records(out, "拜访计划")] == [date(2026, 10, 28), date(2026, 11, 10)]
    # last visit as of 31 October: KA-1's visit of 4 November is not its last visit
    ka1 = october.customers[october.customers["customer_id"] == "KA-1"].iloc[0]
    assert ka1["last_visit"] == date(2026, 10, 5)
    # the rows left out are counted, so read = in the roll-up + rejected + after the period
    counts = summary(october, str(out))["files"][0]["sheets"]
    assert counts["daily_report"]["after_period"] == 2 and counts["visit_plan"]["after_period"] == 1
    assert counts["customers"]["after_period"] == 1 and counts["contacts"]["after_period"] == 1
    assert len(visits) + counts["daily_report"]["after_period"] + counts["daily_report"]["rejected"] == 4


def test_new_accounts_are_those_created_within_the_period(team, tmp_path):
    write_rollup(consolidate([team], "2026-09", today=TODAY, workers=1), tmp_path / "rollup-2026-09.xlsx")
    october = consolidate([team], "2026-10", today=TODAY, workers=1, search=[tmp_path])
    # created in October and not lost: KA-3 only (KA-4 is 流失); at the start: KA-1 and KA-2 (September's roll-up)
    assert october.previous is not None
    assert (october.overview["new"], october.overview["accounts_at_start"]) == (1, 2)
    assert october.overview["new_accounts"] == pytest.approx(50.0)
    assert october.overview["lost"] == 0


def test_a_rep_of_the_roster_without_a_workbook_is_named_not_zero(team, tmp_path):
    kpi_workbook(team, [["2026-10", "张伟", 100, 90, 50, 50, 0], ["2026-10", "王芳", 100, 100, 50, 50, 0]],
                 roster=("张伟", "王芳", "赵强"))
    (team / "赵强.xlsx").write_text("not a workbook", encoding="utf-8")
    october = consolidate([team], "2026-10", today=TODAY, workers=1)
    by_rep = {s.rep: s for s in october.scores}
    assert (by_rep["王芳"].status, by_rep["赵强"].status, by_rep["张伟"].status) == ("no_workbook", "unreadable", "ok")
    assert by_rep["王芳"].activity == {"visits": None, "valid_info_rate": None, "trip_days": None}
    assert by_rep["张伟"].activity["visits"] == 2
    texts = october.warning_texts("zh")
    assert "王芳 没有工作簿：其客户与拜访不在本汇总中，考核排名中标为「无工作簿」（不按 0 计）" in texts
    assert "赵强 的工作簿无法使用（赵强.xlsx）：其客户与拜访不在本汇总中，考核排名中标为「无法读取」" in texts
    # 王芳 is still scored on the KPI sheet's figures, without file completeness (no workbook to measure)
    assert by_rep["王芳"].card.reasons["completeness"] == "无可用工作簿"


def test_a_kpi_left_out_says_why_and_the_total_says_it_is_scaled(team):
    kpi_workbook(team, [["2026-10", "张伟", "一百", 87, 60, 57, 1]])
    october = consolidate([team], "2026-10", today=TODAY, workers=1)
    card = next(s for s in october.scores if s.rep == "张伟").card
    assert "sales_completion" in card.missing
    assert card.reasons["sales_completion"] == "「销售计划(万元)」为「一百」，不是数字"
    # scored: collection 57/60 = 95 % → 20 − 1 = 19 of 20; completeness 5 of 5 (the test customers fill few
    # fields, so only what consolidate measured is taken); complaints 1 → 4 of 5; no previous: churn out
    assert card.possible == 20 + 5 + 5 and card.full == 100 and card.scaled
    texts = october.warning_texts("zh")
    assert any(t.startswith("张伟：销售计划完成率（「销售计划(万元)」为「一百」，不是数字）") and "按 30/100 分折算" in t
               for t in texts), texts


def test_a_plan_of_zero_is_a_reason_not_a_zero_score(team):
    kpi_workbook(team, [["2026-10", "张伟", 0, 87, 60, 57, 0]])
    card = next(s for s in consolidate([team], "2026-10", today=TODAY, workers=1).scores if s.rep == "张伟").card
    assert card.points["sales_completion"] is None
    assert card.reasons["sales_completion"] == "「销售计划(万元)」为 0"


def test_a_quarter_names_the_month_its_kpi_rows_lack(team):
    kpi_workbook(team, [["2026-08", "张伟", 100, 90, 50, 50, 0], ["2026-09", "张伟", 100, 80, 50, 50, 0]])
    quarter = consolidate([team], "2026-Q3", today=TODAY, workers=1)
    assert "考核指标缺少 2026-07 的行（张伟）：本期考核只合计了已填写的月份" in quarter.warning_texts("zh")
    # the months that are there are summed: (90 + 80) ÷ (100 + 100) = 85 %
    card = next(s for s in quarter.scores if s.rep == "张伟").card
    assert card.values["sales_completion"] == pytest.approx(85.0)


def test_out_never_replaces_a_rollup_of_another_period(team, tmp_path):
    september = tmp_path / "rollup-2026-09.xlsx"
    first = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-09", "--out", str(september)],
                               catch_exceptions=False)
    assert first.exit_code == 0, first.output
    before = september.read_bytes()
    refused = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(september)],
                                 catch_exceptions=False)
    assert refused.exit_code == 2
    assert f"--out「{september}」是 2026-09 的汇总表，不能用 2026-10 的汇总覆盖：请换一个文件名" in refused.output
    assert september.read_bytes() == before
    again = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-09", "--out", str(september)],
                               catch_exceptions=False)
    assert again.exit_code == 0, again.output


def test_a_range_of_periods_writes_one_rollup_each_and_the_last_trend_has_them_all(team, tmp_path):
    folder = tmp_path / "rollups"
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-07..2026-10", "--out", str(folder),
                                       "--json", str(tmp_path / "s.json")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [f"rollup-2026-{m:02d}.xlsx" for m in (7, 8, 9, 10)]
    reports = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert [r["period"] for r in reports] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    # each after the first found the one before it; customers as of each month's end: KA-1 (Mar), KA-2 (30 Sep),
    # KA-3 and KA-4 (Oct)
    assert [r["previous"] and r["previous"]["period"] for r in reports] == [None, "2026-07", "2026-08", "2026-09"]
    assert [r["customers"]["total"] for r in reports] == [1, 1, 2, 4]
    trend = [r["期间"] for r in sheet_records(folder / "rollup-2026-10.xlsx", "趋势") if r["期间"] and r["期间"].startswith("2026-")]
    assert trend == ["2026-07", "2026-08", "2026-09", "2026-10"]


def test_a_range_needs_a_folder(team, tmp_path):
    file = tmp_path / "x.xlsx"
    file.write_bytes(b"")
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-09..2026-10", "--out", str(file)],
                                catch_exceptions=False)
    assert result.exit_code == 2 and f"期间为范围时 --out 应为文件夹：「{file}」是文件" in result.output


def test_the_console_names_a_renamed_column_and_an_unusable_sheet(tmp_path, rep_workbook):
    (tmp_path / "team").mkdir()
    rep_workbook(customers=[customer("KA-1")], visits=[{"拜访日期": date(2026, 10, 5), "客户编号": "KA-1", "拜访结果": "面谈"}],
                 name="team/张伟.xlsx")
    rep_workbook(customers=[customer("C-1")], rep="李娜", name="team/李娜.xlsx",
                 plans=[{"日子": date(2026, 10, 5), "客户编号": "C-1"}])
    result = CliRunner().invoke(main, ["consolidate", str(tmp_path / "team"), "--period", "2026-10",
                                       "--out", str(tmp_path / "r.xlsx")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "提醒：张伟.xlsx「拜访日报」：列「拜访日期」按「日期」读取（表头与模板不同，已按同义列读取）" in lines
    assert "提醒：李娜.xlsx「拜访计划」前 10 行内找不到表头（应含 计划日期、客户编号）：该表 2 行均未采用（见「数据问题」）" in lines
    # (the sheet has two rows: its header, unrecognised, and one plan)
    # the visit read through the alias counts: 张伟 visited once in October
    assert sheet_records(tmp_path / "r.xlsx", "考核排名")[0]["本期拜访"] in (1, None)


def test_an_english_run_says_why_in_english_and_the_rollup_in_chinese(team, tmp_path):
    kpi_workbook(team, [["2026-10", "张伟", "一百", 87, 60, 57, 1]])
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(main, ["--lang", "en", "consolidate", str(team), "--period", "2026-10", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # (the sheet has no development, settlement or expense columns: those are listed after it)
    [line] = [t for t in result.output.splitlines() if t.startswith("Note: 张伟: ")]
    assert line.startswith("Note: 张伟: 销售计划完成率（'销售计划(万元)' is '一百', not a number）；大客户开发计划完成率（")
    assert line.endswith(" left out of the total, which is scaled to 100 over 30 of 100 points")
    [cell] = [c.value for c in openpyxl.load_workbook(out)["总览"]["A"] if c.value and c.value.startswith("提醒：张伟：")]
    assert cell.startswith("提醒：张伟：销售计划完成率（「销售计划(万元)」为「一百」，不是数字）；大客户开发计划完成率（")
    assert cell.endswith(" 未计入总分，总分按 30/100 分折算为百分制")
    scores = sheet_records(out, "考核排名")
    assert "「销售计划(万元)」为「一百」，不是数字" in scores[0]["未评分项"]


def test_a_template_made_workbooks_own_check_column_is_not_copied_into_the_rollup(tmp_path):
    from kamxl.templates import build_rep_workbook

    (tmp_path / "team").mkdir()
    build_rep_workbook(tmp_path / "team" / "张伟.xlsx", rep="张伟", data={
        "customers": [{"customer_id": "K1", "name": "甲公司", "industry": "制造", "stage": "合作",
                       "created_on": date(2026, 3, 1)}],
        "contacts": [{"customer_id": "K1", "name": "王总"}],
        "daily_report": [{"date": date(2026, 10, 3), "customer_id": "K1", "result": "面谈"}]})
    out = write_rollup(consolidate([tmp_path / "team"], "2026-10", today=TODAY, workers=1), tmp_path / "r.xlsx")
    for sheet in ("联系人", "拜访日报"):
        header = next(openpyxl.load_workbook(out, read_only=True)[sheet].iter_rows(max_row=1, values_only=True))
        assert "校验" not in header and "客户名称" in header, (sheet, header)


def test_the_charts_show_no_bar_for_a_rep_without_a_workbook(team, tmp_path):
    kpi_workbook(team, [["2026-10", "张伟", 100, 90, 50, 50, 0], ["2026-10", "王芳", 100, 100, 50, 50, 0]],
                 roster=("张伟", "王芳"))
    out = write_rollup(consolidate([team], "2026-10", today=TODAY, workers=1), tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(out)["图表数据"]
    rows = {r[0]: r[1:3] for r in ws.iter_rows(min_row=2, max_col=3, values_only=True) if r[0]}
    # 张伟: 4 customers as of 31 October (KA-5 was created in November), none overdue; 王芳: unknown, not 0
    assert rows == {"张伟": (4, 0), "王芳": (None, None)}
