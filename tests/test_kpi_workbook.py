"""The KPI workbook's 参数 sheet (Chinese labels, read back by label or by English key) and the KPI template on paper."""

import re
from pathlib import Path

import openpyxl
import pdfplumber
import pytest

from kamxl.errors import SettingsError
from kamxl.io.inputs.reader import read_kpi_workbook
from kamxl.kpi_workbook import build_kpi_workbook
from kamxl.settings import settings_from_pairs
from tests.conftest import write_workbook
from tests.pdf_type import READABLE_PT, SOFFICE, page_type_sizes, print_pdf

# a few rows of 参数 as the handbook gives them (domain.md): label, value, a word of its 说明, key
HANDBOOK_ROWS = [("A级·拜访周期", 30, "A 级客户拜访周期", "cadence_a"),
                 ("每月最少出差天数", 15, "出差", "min_trip_days"),
                 ("权重·份额", 1, "评估因素「份额」的权重", "weight_f_share"),
                 ("销售计划完成率·满分", 25, "销售计划完成率：满分", "points_sales_completion"),
                 ("有效投诉次数·标准", 0, "有效投诉次数：标准（次）", "standard_complaints")]


def _settings_rows(path: Path) -> list[tuple]:
    return [tuple(c.value for c in row) for row in openpyxl.load_workbook(path)["参数"].iter_rows()]


def test_参数_shows_chinese_labels_values_meanings_and_the_english_key_last(tmp_path):
    rows = _settings_rows(build_kpi_workbook(tmp_path / "kpi.xlsx", lang="zh"))
    assert rows[0] == ("参数", "值", "说明", "key")
    by_label = {r[0]: r for r in rows[1:]}
    for label, value, meaning, key in HANDBOOK_ROWS:
        assert by_label[label][1] == value and meaning in by_label[label][2] and by_label[label][3] == key
    assert not any(re.fullmatch(r"[a-z_]+", r[0]) for r in rows[1:])  # no English key in the 参数 column


def test_an_edited_参数_with_chinese_labels_reads_into_the_settings(tmp_path):
    path = build_kpi_workbook(tmp_path / "kpi.xlsx", lang="zh")
    wb = openpyxl.load_workbook(path)
    for row in wb["参数"].iter_rows(min_row=2):
        if row[0].value == "A级·拜访周期":
            row[1].value = 20
        if row[0].value == "销售计划完成率·满分":
            row[1].value = "30"
    wb.save(path)
    book = read_kpi_workbook(path)
    assert (book.settings.cadence_a, book.settings.points_sales_completion, book.settings.cadence_b) == (20, 30, 60)
    assert book.problems == []


def test_an_old_参数_with_english_keys_still_reads_and_an_unknown_label_names_its_row(tmp_path):
    sheets = {"考核指标": [["期间", "代表姓名"]], "参数": [["参数", "值", "说明"], ["cadence_a", 45, "A 级客户拜访周期（天）"],
                                                   ["B级·拜访周期", 50, ""], ["A级·拜访周其", 7, ""]]}
    book = read_kpi_workbook(write_workbook(tmp_path / "kpi.xlsx", sheets, rep=None))
    assert (book.settings.cadence_a, book.settings.cadence_b) == (45, 50)
    assert [(p.code, p.column, p.value) for p in book.problems] == [("unknown_setting", "A级·拜访周其", "7")]


def test_settings_pairs_take_a_label_or_a_key_and_a_bad_value_is_named_as_written():
    settings = settings_from_pairs([("A级·拜访周期", 20), ("grade_a", 85), ("权重 · 份额", 2)])
    assert (settings.cadence_a, settings.grade_a, settings.weight_f_share) == (20, 85, 2)
    with pytest.raises(SettingsError, match="「C级·拜访周期」的值「九十」"):
        settings_from_pairs([("C级·拜访周期", "九十")])


def test_the_english_workbook_names_settings_by_their_english_keys_and_reads_back(tmp_path):
    path = build_kpi_workbook(tmp_path / "kpi_en.xlsx", lang="en")
    rows = _settings_rows(path)
    assert rows[0] == ("key", "value", "meaning")
    assert ("cadence_a", 30) == rows[1:][[r[0] for r in rows[1:]].index("cadence_a")][:2]
    assert read_kpi_workbook(path).settings.cadence_a == 30


# ---- on paper (LibreOffice prints the KPI template) ----

def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_the_kpi_template_prints_at_6_pt_or_more_with_each_setting_on_one_line(tmp_path):
    from kamxl.settings import DEFAULTS, setting_label, settings_rows

    pdf = print_pdf(build_kpi_workbook(tmp_path / "kpi_sheet.xlsx", lang="zh"), tmp_path / "pdf")
    sizes = page_type_sizes(pdf)
    assert all(s is None or s >= READABLE_PT for s in sizes), sizes
    with pdfplumber.open(pdf) as doc:
        pages = [_flat(page.extract_text() or "") for page in doc.pages]
    # 考核指标's points page: its longest header whole, its wrapped lines read in order among the other headers'
    assert re.search(".*?".join(map(re.escape, "预估总分（不含流失率、档案完整率）")), pages[1])
    for key, value, meaning in settings_rows(DEFAULTS):
        shown = f"{value:g}" if isinstance(value, float) else str(value)  # 1.0 prints as 1
        row = _flat(setting_label(key) + shown + meaning)
        assert any(row in page for page in pages), (key, row)
    assert not any("grade_a" in page for page in pages)  # the English key column is not printed


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_kpi_amounts_and_points_print_whole_without_decimals(tmp_path):
    rows = [{"period": "2026-10", "rep": "张伟", "sales_plan": 100, "sales_actual": 87.5, "expense_budget": 20000,
             "expense_actual": 19000, "complaints": 0}]
    pdf = print_pdf(build_kpi_workbook(tmp_path / "kpi.xlsx", kpi_rows=rows, lang="zh"), tmp_path / "pdf")
    with pdfplumber.open(pdf) as doc:
        text = " ".join(page.extract_text() or "" for page in doc.pages)
    # by hand: 87.5 % of plan is 12.5 below 100, two whole steps of 5 → 25 − 2 = 23 points; 19,000 ≤ 20,000 → 10
    assert re.search(r"\b20,000\b(?!\.)", text) and "20,000.00" not in text and "87.50" in text
    assert re.search(r"\b23\b(?!\.)", text) and "23.00" not in text
