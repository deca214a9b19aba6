"""LibreOffice headless as a real spreadsheet client: it opens what we ship and recalculates the native formulas.

The native formulas of the templates (score, grade, last/next visit, completeness, KPI points, total,
rating) must calculate to what the Python rules give; without Python 校验 is the native checks' (test_native_check.py).
"""

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from kamxl.demo import DemoOptions, write_demo_team
from kamxl.io.inputs.reader import read_kpi_workbook, read_rep_workbook
from kamxl.rules.grading import grade_by_score, value_score
from kamxl.rules.kpi import KPI_INPUTS as RATIO_INPUTS
from kamxl.rules.kpi import kpi_points, rating, ratio_percent, total_score
from kamxl.rules.visits import next_visit_due
from kamxl.schema import FACTORS, KPIS
from kamxl.schema import KPI_INPUTS as KPI_SHEET
from kamxl.settings import DEFAULTS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.libreoffice, pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")]
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def recalculate(paths: list[Path], out: Path, tmp_path: Path) -> list[Path]:
    """Open each file in LibreOffice, recalculate every formula, save as .xlsx into `out`."""
    profile = tmp_path / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE, encoding="utf-8")
    out.mkdir(exist_ok=True)
    result = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc",
                             "--convert-to", "xlsx", "--outdir", str(out), *map(str, paths)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    converted = [out / p.name for p in paths]
    for path in converted:
        assert path.exists(), f"LibreOffice did not convert {path.name}: {result.stdout} {result.stderr}"
    return converted


def _day(value):
    return value.date() if isinstance(value, datetime) else value


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lo")
    files = write_demo_team(tmp / "team", DemoOptions(reps=1, customers=40, visits=120, mistakes=False))
    rep = next(p for p in files if p.name != "kpi.xlsx")
    kpi = tmp / "team" / "kpi.xlsx"
    converted = recalculate([rep, kpi, *sorted(TEMPLATES.glob("*.xlsx"))], tmp / "out", tmp)
    return rep, kpi, {p.name: p for p in converted}


def test_every_template_opens_and_converts(recalculated):
    _, _, converted = recalculated
    for template in TEMPLATES.glob("*.xlsx"):
        wb = openpyxl.load_workbook(converted[template.name])
        assert wb.sheetnames == openpyxl.load_workbook(template).sheetnames


def test_customer_formulas_calculate_to_the_rules(recalculated):
    rep, _, converted = recalculated
    book = read_rep_workbook(rep)
    customers = book.sheets["customers"].frame
    visits = book.sheets["daily_report"].frame
    last = {}
    for cid, day in zip(visits["customer_id"], visits["date"]):
        last[cid] = max(last.get(cid, day), day)
    ws = openpyxl.load_workbook(converted[rep.name], data_only=True)["客户档案"]
    header = [c.value for c in ws[1]]
    rows = {r[header.index("客户编号")]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    checked = 0
    for record in customers.to_dict("records"):
        calc = rows[record["customer_id"]]
        score = value_score({k: record[k] for k, _, _ in FACTORS}, DEFAULTS)
        grade = grade_by_score(score, DEFAULTS)
        assert (calc["评估得分"] if calc["评估得分"] != "" else None) == (pytest.approx(score) if score is not None else None)
        assert calc["客户等级"] == grade
        assert _day(calc["最近拜访"] or None) == last.get(record["customer_id"])
        due = next_visit_due(last.get(record["customer_id"]), record["created_on"], grade, DEFAULTS)
        assert _day(calc["下次拜访"] or None) == due
        assert calc["档案完整率"] == pytest.approx(record["completeness"])
        assert (calc["校验"] or "") == ""  # without Python the native checks answer: the demo's clean rows show nothing
        checked += 1
    assert checked == 40


def test_kpi_formulas_calculate_to_the_rules(recalculated):
    _, kpi, converted = recalculated
    book = read_kpi_workbook(kpi)
    ws = openpyxl.load_workbook(converted[kpi.name], data_only=True)["考核指标"]
    header = [c.value for c in ws[1]]
    calc_rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True) if r[1]]
    assert len(calc_rows) == len(book.kpi.frame) == 3
    for record, calc in zip(book.kpi.frame.to_dict("records"), calc_rows):
        points = {}
        for k in KPIS:
            if k.key in RATIO_INPUTS:
                actual, plan = RATIO_INPUTS[k.key]
                points[k.key] = kpi_points(k.key, ratio_percent(record[actual], record[plan]), DEFAULTS)
            elif k.key == "complaints":
                points[k.key] = kpi_points(k.key, record["complaints"] or 0, DEFAULTS)
            else:
                points[k.key] = None  # churn and completeness are scored in the roll-up
            assert (calc[f"{k.label}得分"] if calc[f"{k.label}得分"] != "" else None) == points[k.key], k.key
        total = total_score(points, DEFAULTS)
        assert calc[KPI_SHEET.column("total").label] == pytest.approx(total)
        assert calc[KPI_SHEET.column("rating").label] == rating(total, DEFAULTS)


def test_the_rollup_opens_in_a_real_client(tmp_path):
    from kamxl.consolidate import consolidate
    from kamxl.io.outputs.rollup_writer import SHEETS, write_rollup

    write_demo_team(tmp_path / "team", DemoOptions(reps=3, customers=30, visits=60))
    rollup = consolidate([tmp_path / "team"], "2026-10", workers=1)
    out = write_rollup(rollup, tmp_path / "rollup.xlsx")
    [converted] = recalculate([out], tmp_path / "lo", tmp_path)
    wb = openpyxl.load_workbook(converted, data_only=True)
    assert wb.sheetnames == list(SHEETS)
    customers = list(wb["客户总表"].iter_rows(min_row=2, values_only=True))
    assert len([r for r in customers if r[0]]) == len(rollup.customers)
    visits = [r for r in wb["拜访日报"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(visits) == len(rollup.daily_report)
    assert isinstance(visits[0][1], datetime)  # dates arrive as dates, not text


def test_customer_card_shows_the_chosen_customer(recalculated, tmp_path):
    rep, _, _ = recalculated
    wb = openpyxl.load_workbook(rep)
    first = wb["客户档案"]["A2"].value
    wb["客户卡片"]["B3"] = first
    picked = tmp_path / "card.xlsx"
    wb.save(picked)
    [converted] = recalculate([picked], tmp_path / "out", tmp_path)
    card = {r[0]: r[1] for r in openpyxl.load_workbook(converted, data_only=True)["客户卡片"].iter_rows(min_row=4, values_only=True)}
    record = read_rep_workbook(rep).sheets["customers"].frame.iloc[0]
    assert card["客户名称"] == record["name"]
    assert card["建档日期"] == record["created_on"].isoformat()
    assert card["客户等级"] in ("A", "B", "C", "D", "未评级")
    assert card["档案完整率"].endswith("%")


def test_one_total_kpi_sheet_rollup_and_json(tmp_path):
    """The KPI sheet's estimate, the roll-up's total and the JSON's score agree, the difference named in the label.

    The KPI sheet cannot know churn (last period's roll-up) nor file completeness (the rep workbooks): its
    total is labelled 预估 and names both. The roll-up's total is the KPI sheet's six points plus those two,
    on 100 over the points possible — worked out here by hand from the recalculated sheet.
    """
    from kamxl.consolidate import consolidate
    from kamxl.rollup_model import summary
    from kamxl.io.outputs.rollup_writer import write_rollup

    team, out = tmp_path / "team", tmp_path / "out"
    write_demo_team(team, DemoOptions(reps=3, customers=30, visits=90, mistakes=False))
    write_rollup(consolidate([team], "2026-09", workers=1), out / "an-old-name.xlsx")
    rollup = consolidate([team], "2026-10", workers=1, search=[out])
    assert rollup.previous is not None and rollup.previous.period.label == "2026-09"  # found by what it holds
    report = {r["rep"]: r for r in summary(rollup, "x")["reps"]}
    written = write_rollup(rollup, out / "rollup-2026-10.xlsx")
    ranking = {r[1]: dict(zip([c.value for c in openpyxl.load_workbook(written)["考核排名"][1]], r))
               for r in openpyxl.load_workbook(written)["考核排名"].iter_rows(min_row=2, values_only=True)}
    [calc_path] = recalculate([team / "kpi.xlsx"], tmp_path / "lo", tmp_path)
    ws = openpyxl.load_workbook(calc_path, data_only=True)["考核指标"]
    header = [c.value for c in ws[1]]
    total_label = KPI_SHEET.column("total").label
    assert "预估" in total_label and "流失率" in total_label and "档案完整率" in total_label
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "2026-10"]
    assert {r["代表姓名"] for r in rows} == set(report) and len(rows) == 3
    by_key = {k.key: k for k in KPIS}
    sheet_keys = [k for k in by_key if k not in ("churn", "completeness")]
    for row in rows:
        rep = row["代表姓名"]
        sheet_points = {k: row[f"{by_key[k].label}得分"] for k in sheet_keys if row[f"{by_key[k].label}得分"] != ""}
        estimate = round(sum(sheet_points.values()) / sum(by_key[k].points for k in sheet_points) * 100, 1)
        assert row[total_label] == pytest.approx(estimate)
        churn, completeness = ranking[rep]["大客户流失率得分"], ranking[rep]["大客户档案完整率得分"]
        assert churn is not None and completeness is not None
        whole = round((sum(sheet_points.values()) + churn + completeness)
                      / (sum(by_key[k].points for k in sheet_points) + by_key["churn"].points
                         + by_key["completeness"].points) * 100, 1)
        assert ranking[rep]["总分"] == pytest.approx(whole) == pytest.approx(report[rep]["score"])
        assert ranking[rep]["评级"] == report[rep]["rating"]
        assert report[rep]["left_out"] == [] and ranking[rep]["未评分项"] is None


def _pdf_pages(pdf: Path) -> list[str]:
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout)[1])
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"], capture_output=True,
                           text=True).stdout for n in range(1, pages + 1)]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
@pytest.mark.parametrize("options", [DemoOptions(), DemoOptions(reps=12, customers=20, visits=60)],
                         ids=["the README's demo team", "a team of 12"])
def test_the_demo_rollup_prints_as_a_director_reads_it(tmp_path, options):
    """总览 on one page, 考核排名 one page tall, and the period in every page's header or footer."""
    from kamxl.consolidate import consolidate
    from kamxl.io.outputs.rollup_writer import write_rollup

    write_demo_team(tmp_path / "team", options)
    rollup = write_rollup(consolidate([tmp_path / "team"], "2026-10", workers=1), tmp_path / "rollup-2026-10.xlsx")
    profile = tmp_path / "lo-profile"
    result = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                             "--outdir", str(tmp_path / "pdf"), str(rollup)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    pages = _pdf_pages(tmp_path / "pdf" / "rollup-2026-10.pdf")
    heads = [next((line.split()[-1] for line in page.splitlines() if "大客户部月度汇总 2026-10" in line), None) for page in pages]
    # 考核排名: one band of rows, its columns across at most two pages (type of 6 pt or more, test_print_type.py)
    assert heads.count("总览") == 1 and 1 <= heads.count("考核排名") <= 2 and heads.count("趋势") == 1
    assert heads[:2] == ["总览", "考核排名"] and heads[heads.count("考核排名") + 1] == "趋势"
    assert all(h is not None for h in heads), [i for i, h in enumerate(heads, 1) if h is None]  # the period on every page
    assert all("2026-10-01 至 2026-10-31" in page and f"共 {len(pages)} 页" in page for page in pages)
    assert len(pages) < 120  # was 331 before page setup
