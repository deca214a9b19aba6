"""LibreOffice headless as a real spreadsheet client: it opens what we ship and recalculates the native formulas.

The native formulas of the templates (score, grade, last/next visit, completeness, KPI points, total,
rating) must calculate to what the Python rules give; the 校验 column (a UDF) must say it is not checked.
"""

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from kamxl.demo import DemoOptions, write_demo_team
from kamxl.io.reader import read_kpi_workbook, read_rep_workbook
from kamxl.rules.grading import grade_by_score, value_score
from kamxl.rules.kpi import KPI_INPUTS as RATIO_INPUTS
from kamxl.rules.kpi import kpi_points, rating, ratio_percent, total_score
from kamxl.rules.visits import next_visit_due
from kamxl.schema import FACTORS, KPIS
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
        assert calc["校验"] == "未校验（需 Python 与 kamxl）"  # the UDF cell degrades readably without Python
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
        assert calc["总分"] == pytest.approx(total)
        assert calc["评级"] == rating(total, DEFAULTS)


def test_the_rollup_opens_in_a_real_client(tmp_path):
    from kamxl.consolidate import consolidate
    from kamxl.io.rollup_writer import SHEETS, write_rollup

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
