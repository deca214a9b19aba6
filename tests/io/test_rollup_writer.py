"""The roll-up a director signs: 总览 against figures worked out by hand, 趋势 over three months, rank changes,
last period's roll-up found by the period inside it, warnings that say why, and every sheet's page setup.

Expected numbers are hand calculations from the handbook's rules (domain.md), written out beside each one.
"""

import json
import shutil
import unicodedata
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.consolidate import consolidate
from kamxl.rollup_model import summary
from kamxl.io.inputs.previous import FIGURES_SHEET, PreviousRollupError, read_rollup_figures
from kamxl.io.outputs.rollup_writer import SHEETS, write_rollup
from tests.conftest import customer, write_workbook

TODAY = date(2026, 11, 20)
REPS = ("张伟", "李娜", "王芳")
# (period, rep, sales plan, sales actual (万元), collection due, collected (万元), expense budget, spent (元), complaints)
KPI_ROWS = [
    ("2026-08", "张伟", 100, 90, 80, 80, 10000, 9000, 0),
    ("2026-08", "李娜", 100, 100, 100, 90, 10000, 12000, 1),
    ("2026-08", "王芳", 200, 210, 100, 100, 10000, 10000, 0),
    ("2026-09", "张伟", 100, 100, 100, 100, 10000, 10000, 0),
    ("2026-09", "李娜", 100, 80, 100, 100, 10000, 10000, 0),
    ("2026-09", "王芳", 100, 70, 100, 50, 10000, 15000, 2),
    ("2026-10", "张伟", 200, 190, 100, 100, 10000, 10400, 0),
    ("2026-10", "李娜", 100, 120, 100, 100, 10000, 8000, 0),
    ("2026-10", "王芳", 100, 100, 100, 90, 10000, 10000, 1),
]
# Each rep keeps 2 customers with 4 of the 22 file fields filled (18.2 %: 16 full 5 % steps below 100 → 0 of 5
# points). Their accounts do not change, so once last month's roll-up is found churn is 0 % → 10 of 10 points.
# 2026-08 has no earlier roll-up: churn is left out and the total is on 100 over 65 possible points.
TOTALS = {
    # 张伟 08: sales 90 % → 25−2 = 23, collection 100 % → 20, expense 90 % → 10, complaints 0 → 5: 58/65
    "2026-08": {"张伟": 89.2, "李娜": 81.5, "王芳": 92.3},  # 李娜 25+18+6+4 = 53/65; 王芳 25+20+10+5 = 60/65
    # with churn: 75 possible. 张伟 25+20+10+5+10 = 70; 李娜 21+20+10+5+10 = 66; 王芳 19+10+0+3+10 = 42
    "2026-09": {"张伟": 93.3, "李娜": 88.0, "王芳": 56.0},
    # 张伟 95 % → 24, expense 104 % → 10 (under one 5 % step): 24+20+10+5+10 = 69; 李娜 70; 王芳 25+18+10+4+10 = 67
    "2026-10": {"张伟": 92.0, "李娜": 93.3, "王芳": 89.3},
}
RANKS = {"2026-08": {"王芳": 1, "张伟": 2, "李娜": 3}, "2026-09": {"张伟": 1, "李娜": 2, "王芳": 3},
         "2026-10": {"李娜": 1, "张伟": 2, "王芳": 3}}


@pytest.fixture(scope="module")
def _three_months_once(tmp_path_factory):
    """A three-rep team, its KPI workbook for Aug–Oct, and a roll-up per month written under names that hide the month."""
    tmp_path = tmp_path_factory.mktemp("three-months")
    team, out = tmp_path / "team", tmp_path / "out"
    team.mkdir()
    for n, rep in enumerate(REPS):
        visits = [["日期", "客户编号", "拜访结果"]] + [[date(2026, m, 10 + n), f"K-{n}1", "面谈"] for m in (8, 9, 10)]
        write_workbook(team / f"{rep}.xlsx", {
            "客户档案": [["客户编号", "客户名称", "行业", "开发阶段", "建档日期"],
                         *([c["客户编号"], c["客户名称"], c["行业"], c["开发阶段"], c["建档日期"]]
                           for c in (customer(f"K-{n}1", f"甲{n}公司"), customer(f"K-{n}2", f"乙{n}公司")))],
            "拜访日报": visits}, rep=rep)
    write_workbook(team / "kpi.xlsx", {
        "考核指标": [["期间", "代表姓名", "销售计划(万元)", "实际销售(万元)", "应回款(万元)", "实际回款(万元)", "费用预算(元)",
                      "实际费用(元)", "有效投诉(次)"], *map(list, KPI_ROWS)],
        "团队": [["代表姓名"], *([r] for r in REPS)]}, rep=None)
    written = {}
    for period, name in (("2026-08", "第一次.xlsx"), ("2026-09", "汇总（二）.xlsx"), ("2026-10", "本月.xlsx")):
        rollup = consolidate([team], period, today=TODAY, workers=1, search=[out])
        written[period] = (rollup, write_rollup(rollup, out / name))
    return team, out, written


@pytest.fixture
def three_months(_three_months_once, tmp_path):
    """The three months' team and roll-ups, copied for this test (made once: a test may add or replace files)."""
    team, out, written = _three_months_once
    mine = {"team": tmp_path / "three" / "team", "out": tmp_path / "three" / "out"}
    shutil.copytree(team, mine["team"])
    shutil.copytree(out, mine["out"])
    return mine["team"], mine["out"], {period: (rollup, mine["out"] / path.name) for period, (rollup, path) in written.items()}


def _overview_rows(path) -> tuple[dict, dict, openpyxl.worksheet.worksheet.Worksheet]:
    ws = openpyxl.load_workbook(path)["总览"]
    metrics = {row[0].value: row for row in ws.iter_rows(max_col=8) if row[0].value}
    ranking = {row[1].value: row for row in ws.iter_rows(min_col=10, max_col=16) if row[1].value in REPS}
    return metrics, ranking, ws


def test_overview_figures_against_a_hand_calculation(three_months):
    _, _, written = three_months
    rollup, path = written["2026-10"]
    metrics, _, _ = _overview_rows(path)
    # sums by hand over the three reps' October rows
    sales = metrics["销售计划完成率"]
    assert (sales[1].value, sales[2].value) == (410, 400)  # 万元: 190+120+100, 200+100+100
    assert sales[3].value == pytest.approx(410 / 400)  # 102.5 %
    assert sales[1].number_format.endswith('" 万元"') and sales[3].number_format == "0.0%"
    assert sales[4].value == "≥ 100%"
    assert sales[5].value == pytest.approx(250 / 300)  # September: 100+80+70 of 300
    assert sales[6].value == pytest.approx((410 / 400 - 250 / 300) * 100)  # change in percentage points
    collection = metrics["合同回款率"]
    assert (collection[1].value, collection[2].value, collection[3].value) == (290, 300, pytest.approx(290 / 300))
    expense = metrics["商务费用控制"]  # kept in 元 on the KPI sheet, shown in 万元
    assert (expense[1].value, expense[2].value) == (pytest.approx(2.84), pytest.approx(3.0))
    assert expense[3].value == pytest.approx(28400 / 30000) and expense[4].value == "≤ 100%"
    assert expense[6].value == pytest.approx((28400 / 30000 - 35000 / 30000) * 100)  # −22 points since September
    churn = metrics["大客户流失率"]
    assert (churn[1].value, churn[2].value, churn[3].value) == (0, 6, 0)  # none of 6 accounts lost
    assert metrics["销售合同结算率"][3].value == "—"  # no settlement plan anywhere: a dash, not 0 %
    assert metrics["客户总数"][1].value == 6 and metrics["本期拜访次数"][1].value == 3
    # colour: met (green), close — short by less than one 5 % step (yellow), missed (red)
    fill = {label: metrics[label][3].fill.fgColor.rgb for label in ("销售计划完成率", "合同回款率", "商务费用控制")}
    assert fill == {"销售计划完成率": "FFC6EFCE", "合同回款率": "FFFFEB9C", "商务费用控制": "FFC6EFCE"}
    september, _, _ = _overview_rows(written["2026-09"][1])
    assert september["销售计划完成率"][3].fill.fgColor.rgb == "FFFFC7CE"  # 83.3 %: missed
    assert rollup.overview["sales_completion"] == pytest.approx(102.5)


def test_rank_changes_and_totals_month_by_month(three_months):
    _, _, written = three_months
    for period, (rollup, path) in written.items():
        assert {s.rep: s.card.total for s in rollup.scores} == TOTALS[period]
        assert {s.rep: s.rank for s in rollup.scores} == RANKS[period]
    _, ranking, _ = _overview_rows(written["2026-10"][1])
    # rank, name, total, rating, last rank, change
    assert [c.value for c in ranking["李娜"][:6]] == [1, "李娜", 93.3, "优秀", 2, "↑1"]
    assert [c.value for c in ranking["张伟"][:6]] == [2, "张伟", 92.0, "优秀", 1, "↓1"]
    assert [c.value for c in ranking["王芳"][:6]] == [3, "王芳", 89.3, "良好", 3, "="]
    _, ranking, _ = _overview_rows(written["2026-09"][1])
    assert [ranking[r][5].value for r in REPS] == ["↑1", "↑1", "↓2"]
    _, ranking, _ = _overview_rows(written["2026-08"][1])
    assert [ranking[r][4].value for r in REPS] == [None] * 3  # no earlier roll-up: no change to show
    report = {r["rep"]: r for r in summary(written["2026-10"][0], "x")["reps"]}
    assert {r: report[r]["previous_rank"] for r in REPS} == {"张伟": 1, "李娜": 2, "王芳": 3}
    table = openpyxl.load_workbook(written["2026-10"][1])["考核排名"]
    header = [c.value for c in table[1]]
    rows = {r[1]: dict(zip(header, r)) for r in table.iter_rows(min_row=2, values_only=True)}
    assert (rows["李娜"]["上期排名"], rows["李娜"]["排名变化"], rows["张伟"]["排名变化"]) == (2, "↑1", "↓1")


def test_trend_over_three_consecutive_months(three_months):
    _, _, written = three_months
    rollup, path = written["2026-10"]
    assert [h.period.label for h in rollup.history] == ["2026-08", "2026-09"]
    ws = openpyxl.load_workbook(path)["趋势"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, max_row=4, values_only=True)]
    assert [r["期间"] for r in rows] == ["2026-08", "2026-09", "2026-10"]
    assert [r["销售计划完成率"] for r in rows] == [pytest.approx(1.0), pytest.approx(250 / 300), pytest.approx(410 / 400)]
    assert [r["商务费用控制"] for r in rows] == [pytest.approx(31000 / 30000), pytest.approx(35000 / 30000),
                                            pytest.approx(28400 / 30000)]
    assert [r["流失率"] for r in rows] == [None, 0, 0]  # August had no earlier roll-up
    for rep in REPS:
        assert [r[f"{rep}总分"] for r in rows] == [TOTALS[p][rep] for p in ("2026-08", "2026-09", "2026-10")]


def test_figures_read_back_exactly(three_months):
    _, _, written = three_months
    rollup, path = written["2026-09"]
    figures = read_rollup_figures(path)
    assert figures.period.label == "2026-09"
    assert figures.department["sales_completion"] == rollup.overview["sales_completion"]  # 83.333333: not rounded
    assert figures.reps["王芳"]["total"] == 56.0 and figures.reps["王芳"]["rank"] == 3
    assert figures.reps["王芳"]["points_expense"] == 0
    assert figures.reps["王芳"]["left_out"] == ["development", "settlement"]  # no plan for either on the KPI sheet
    assert figures.settings["cadence_a"] == 30
    assert openpyxl.load_workbook(path)[FIGURES_SHEET].sheet_state == "hidden"
    assert openpyxl.load_workbook(path)["图表数据"].sheet_state == "hidden"


def test_previous_of_the_same_or_a_later_period_is_refused(three_months, tmp_path):
    team, out, written = three_months
    with pytest.raises(PreviousRollupError, match="不早于本期 2026-09"):
        consolidate([team], "2026-09", previous=written["2026-10"][1], today=TODAY, workers=1)
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-09", "--out", str(tmp_path / "r.xlsx"),
                                       "--previous", str(written["2026-09"][1])], catch_exceptions=False)
    assert result.exit_code == 1 and "是 2026-09 的汇总，不早于本期 2026-09" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r.xlsx").exists()


@pytest.mark.parametrize("content", ["rep", "text", "kpi"])
def test_previous_that_is_not_a_rollup_is_one_clear_message(three_months, tmp_path, content):
    team, _, _ = three_months
    other = {"rep": team / "张伟.xlsx", "kpi": team / "kpi.xlsx", "text": tmp_path / "x.xlsx"}[content]
    if content == "text":
        other.write_text("a,b\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(tmp_path / "r.xlsx"),
                                       "--previous", str(other)], catch_exceptions=False)
    assert result.exit_code == 1 and result.output.count("错误：") == 1
    assert other.name in result.output and "Traceback" not in result.output


def test_history_folder_and_the_summary_name_the_rollups_used(three_months, tmp_path):
    team, out, _ = three_months
    elsewhere = tmp_path / "elsewhere" / "r.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out", str(elsewhere),
                                       "--json", str(tmp_path / "s.json"), "--history", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "上期汇总：" in result.output and "汇总（二）.xlsx（2026-09）" in result.output
    assert "趋势：3 个期间（2026-08 至 2026-10）" in result.output
    report = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert report["previous"]["period"] == "2026-09" and report["previous"]["path"].endswith("汇总（二）.xlsx")
    without = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2026-10", "--out",
                                        str(tmp_path / "alone" / "r.xlsx")], catch_exceptions=False)
    assert "未找到上期（2026-09）汇总" in without.output  # the output folder is new and holds no roll-up


def test_every_sheet_prints_with_the_period(three_months):
    _, _, written = three_months
    wb = openpyxl.load_workbook(written["2026-10"][1])
    assert wb.sheetnames == list(SHEETS)
    for ws in wb.worksheets:
        if ws.sheet_state == "hidden":
            continue
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        # as few pages wide as keep the type readable (1 is the default; test_print_type.py measures the type)
        assert ws.page_setup.fitToWidth is None or ws.page_setup.fitToWidth >= 1, ws.title
        assert "2026-10" in ws.oddHeader.left.text and "&P" in ws.oddFooter.right.text, ws.title
        if ws.title != "总览":
            assert ws.print_title_rows in ("1:1", "$1:$1"), ws.title
    assert wb["总览"].page_setup.fitToHeight in (1, None) and wb["考核排名"].page_setup.fitToHeight in (1, None)
    assert wb["客户总表"].page_setup.fitToHeight == 0  # as many pages down as it needs


def _warning_codes(rollup):
    return [code for code, _ in rollup.warnings]


def test_say_why(three_months, tmp_path):
    team, out, written = three_months
    # everything there but the two KPIs whose columns the KPI sheet lacks: said once, for every rep
    assert written["2026-10"][0].warning_texts("zh") == [
        "各代表的 大客户开发计划完成率（「开发计划(家)」未填写；「实际开发(家)」未填写）；"
        "销售合同结算率（「结算计划(万元)」未填写；「实际结算(万元)」未填写） 均未计入总分，"
        "总分按其余指标折算为百分制"]
    assert _warning_codes(written["2026-08"][0]) == ["warn_no_previous", "warn_kpi_left_out_all"]
    # a year typo: later than every date in the data, no visits in it, no KPI rows for it
    typo = consolidate([team], "2027-10", today=TODAY, workers=1, search=[out])
    assert _warning_codes(typo) == ["warn_no_kpi_rows", "warn_no_previous", "warn_period_after_data", "warn_no_visits"]
    assert "最晚 2026-10-12" in typo.warning_texts("zh")[2]
    assert all(s.card.total is None for s in typo.scores)
    # no KPI workbook at all
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "张伟.xlsx").write_bytes((team / "张伟.xlsx").read_bytes())
    nokpi = consolidate([alone], "2026-10", today=TODAY, workers=1)
    assert _warning_codes(nokpi)[0] == "warn_no_kpi_workbook"
    # a quarter whose first month has no visits
    (alone / "张伟.xlsx").unlink()
    quarter = consolidate([team], "2026-Q3", today=TODAY, workers=1)
    assert "2026-07" in dict(quarter.warnings)["warn_no_visits"]["months"]
    # the same words in the summary line, the JSON and 总览
    result = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2027-10", "--out", str(tmp_path / "t.xlsx"),
                                       "--json", str(tmp_path / "t.json")], catch_exceptions=False)
    assert result.exit_code == 0
    texts = typo.warning_texts("zh")
    assert all(f"提醒：{t}" in result.output for t in texts[:1] + texts[2:])
    assert json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))["warnings"][0] == texts[0]
    cells = [c.value for c in openpyxl.load_workbook(tmp_path / "t.xlsx")["总览"]["A"] if c.value]
    assert f"提醒：{texts[2]}" in cells
    english = CliRunner().invoke(main, ["consolidate", str(team), "--period", "2027-10", "--out", str(tmp_path / "t.xlsx"),
                                        "--lang", "en"], catch_exceptions=False)
    assert "Note: period 2027-10 is later than every date in the data" in english.output


def test_trend_names_the_periods_whose_settings_differ(three_months, tmp_path):
    team, out, written = three_months
    from kamxl.settings import DEFAULTS

    changed = consolidate([team], "2026-09", today=TODAY, workers=1,
                          settings=DEFAULTS.model_copy(update={"cadence_b": 45, "warning_below": 50}))
    write_rollup(changed, out / "汇总（二）.xlsx")  # September again, under other settings
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1, search=[out])
    path = write_rollup(rollup, tmp_path / "r.xlsx")
    notes = [c.value for c in openpyxl.load_workbook(path)["趋势"]["A"] if isinstance(c.value, str)]
    assert "2026-09 的参数与本期不同：cadence_b、warning_below" in notes
    assert not any(n.startswith("2026-08 的参数") for n in notes)  # August used today's settings
    september = read_rollup_figures(out / "汇总（二）.xlsx")
    assert september.settings["cadence_b"] == 45  # kept as computed then, not recomputed


def test_a_rollup_from_before_the_figures_sheet_still_counts_for_churn(three_months, tmp_path):
    team, out, written = three_months
    old = tmp_path / "old" / "九月.xlsx"
    old.parent.mkdir()
    wb = openpyxl.load_workbook(written["2026-09"][1])
    del wb[FIGURES_SHEET]  # as written before this sheet existed: the period only in 总览's title
    wb.save(old)
    assert read_rollup_figures(old).period.label == "2026-09" and read_rollup_figures(old).reps == {}
    rollup = consolidate([team], "2026-10", today=TODAY, workers=1, search=[old.parent])
    assert rollup.previous.path == old and rollup.has_previous
    assert {s.rep: s.card.points["churn"] for s in rollup.scores} == {r: 10 for r in REPS}
    assert all(s.rank is not None for s in rollup.scores) and "warn_no_previous" not in _warning_codes(rollup)
    _, ranking, _ = _overview_rows(write_rollup(rollup, tmp_path / "r.xlsx"))
    assert [ranking[r][5].value for r in REPS] == [None] * 3  # no ranking to compare with: no change, not 新


# ---------------------------------------------------------------- customer names; incomplete is loud

@pytest.fixture(scope="module")
def demo_rollup(tmp_path_factory):
    from kamxl.demo import DemoOptions, write_demo_team

    tmp = tmp_path_factory.mktemp("names")
    write_demo_team(tmp / "team", DemoOptions(reps=3, customers=20, visits=80, seed=4))
    rollup = consolidate([tmp / "team"], "2026-10", workers=1)
    return tmp, rollup, write_rollup(rollup, tmp / "r.xlsx")


def _rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def _input_names(path) -> dict:
    """客户编号 → 客户名称 of a rep workbook's 客户档案, read with openpyxl (header: the row holding both labels)."""
    rows = list(openpyxl.load_workbook(path, read_only=True)["客户档案"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows[:10]) if "客户编号" in r and "客户名称" in r)
    header = list(rows[at])
    names = {}
    for r in rows[at + 1:]:  # an id used again is rejected (the contract): the first row's name stands
        if r[header.index("客户编号")] is not None:
            name = r[header.index("客户名称")]  # as every text is read: full-width folded (NFKC), trimmed
            names.setdefault(str(r[header.index("客户编号")]), unicodedata.normalize("NFKC", name).strip() if name else None)
    return names


def test_customer_name_stands_beside_every_customer_id_of_the_detail_sheets(demo_rollup):
    tmp, _, path = demo_rollup
    wb = openpyxl.load_workbook(path)
    names = {}
    # a customer row the roll-up rejected (a bad 建档日期, say) is unknown to it: its contacts and visits show no name
    accepted = {(r["来源文件"], r["客户编号"]) for r in _rows(wb["客户总表"])}
    blank = seen = 0
    for sheet in ("联系人", "拜访计划", "拜访日报"):
        header = [c.value for c in wb[sheet][1]]
        assert header[header.index("客户编号") + 1] == "客户名称", sheet
        rows = _rows(wb[sheet])
        assert rows, sheet
        for row in rows:
            file = row["来源文件"]
            if file not in names:
                names[file] = _input_names(tmp / "team" / file)
            known = (file, row["客户编号"]) in accepted
            assert row["客户名称"] == (names[file][row["客户编号"]] if known else None), (sheet, row["源行号"])
            blank, seen = blank + (not known), seen + 1
    assert blank < seen / 10  # only the rows of the demo's few rejected customers


def test_a_rep_without_workbook_and_a_scaled_total_are_shown_as_such(demo_rollup, tmp_path):
    from kamxl import mail as mailer
    from kamxl.io.inputs.rollup_reader import read_rollup
    from kamxl.scorecard import rep_card, scorecard_workbook

    _, rollup, _ = demo_rollup
    best, absent = rollup.scores[0], rollup.scores[-1]
    # as consolidate reports them: a rep of the KPI sheet without a workbook; a total over 90 of 100 points
    absent.status, absent.activity = "no_workbook", None
    best.card.missing, best.card.reasons, best.card.possible = ["churn"], {"churn": "无上期汇总"}, 90
    path = write_rollup(rollup, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    ranking = {r["代表"]: r for r in _rows(wb["考核排名"])}
    assert ranking[absent.rep]["工作簿"] == "无工作簿"
    assert [ranking[absent.rep][k] for k in ("本期拜访", "有效信息登记率", "出差天数")] == [None, None, None]
    assert ranking[best.rep]["工作簿"] == "已汇总" and ranking[best.rep]["本期拜访"] is not None
    assert ranking[best.rep]["折算"] == "按 90/100 分折算"
    assert ranking[best.rep]["未评分项"] == "大客户流失率（无上期汇总）"
    overview = {row[1].value: row[6].value for row in wb["总览"].iter_rows(min_col=10, max_col=16)}
    assert overview[best.rep] == "按 90/100 分折算：流失率（无上期汇总）"
    assert overview[absent.rep].startswith("无工作簿")

    body = mailer.rollup_message(path, ["gm@example.com"]).get_body(("plain",)).get_content()
    total = f"{best.card.total:.1f}"
    assert f"- 得分最高：{best.rep} {total}（{best.card.rating}，按 90/100 分折算）" in body
    assert f"- 工作簿缺失或无法读取：{absent.rep}（无工作簿）" in body
    card = rep_card(read_rollup(path), best.rep)
    cells = [c for row in openpyxl.load_workbook(__import__("io").BytesIO(scorecard_workbook(card))).active
             .iter_rows(values_only=True) for c in row if c is not None]
    assert "总分（按 90/100 分折算）" in cells
    rep_body = mailer.rep_message(card, ["x@example.com"]).get_body(("plain",)).get_content()
    assert f"- 总分：{total}（按 90/100 分折算）" in rep_body
