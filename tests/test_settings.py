import re
from datetime import date

import pytest

from kamxl.errors import SettingsError
from kamxl.settings import DEFAULTS, settings_from_pairs, settings_from_toml, settings_rows


def test_defaults_are_the_handbooks():
    assert (DEFAULTS.grade_a, DEFAULTS.grade_b, DEFAULTS.grade_c) == (80, 60, 40)
    assert (DEFAULTS.cadence_a, DEFAULTS.cadence_b, DEFAULTS.cadence_c, DEFAULTS.cadence_d) == (30, 60, 90, 0)
    assert DEFAULTS.points_sales_completion == 25 and DEFAULTS.step_sales_completion == 5
    assert DEFAULTS.warning_below == 60


def test_every_setting_has_a_meaning():
    rows = settings_rows()
    assert all(meaning for _, _, meaning in rows)
    assert {key for key, _, _ in rows} >= {"grade_method", "weight_f_share", "points_complaints", "cadence_c"}


def test_every_setting_has_its_own_chinese_label_and_labels_say_the_schemas_kpis():
    from kamxl.schema import KPIS
    from kamxl.settings import Settings, setting_key, setting_label

    labels = [setting_label(key) for key in Settings.model_fields]
    assert len(set(labels)) == len(labels) and all(re.search(r"[\u4e00-\u9fff]", label) for label in labels)
    assert [setting_label(f"points_{k.key}") for k in KPIS][:2] == ["销售计划完成率·满分", "合同回款率·满分"]
    assert all(setting_key(setting_label(key)) == key == setting_key(key) for key in Settings.model_fields)


def test_toml_file(tmp_path):
    path = tmp_path / "kamxl.toml"
    path.write_text('[kamxl]\ngrade_method = "share"\nshare_a = 25\n', encoding="utf-8")
    settings = settings_from_toml(path)
    assert settings.grade_method == "share" and settings.share_a == 25


def test_toml_unknown_key(tmp_path):
    path = tmp_path / "kamxl.toml"
    path.write_text("cadance_a = 10\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="cadance_a"):
        settings_from_toml(path)


def test_blank_values_keep_defaults():
    assert settings_from_pairs([("grade_a", ""), ("grade_b", None)]) == DEFAULTS


def test_the_trip_days_minimum_is_a_setting_of_the_kpi_workbooks_参数_sheet(tmp_path):
    import openpyxl

    from kamxl.consolidate import consolidate
    from kamxl.io.inputs.reader import read_kpi_workbook
    from kamxl.io.outputs.rollup_writer import write_rollup
    from kamxl.kpi_workbook import build_kpi_workbook
    from tests.conftest import customer, rows_of, write_workbook

    (tmp_path / "team").mkdir()
    kpi = build_kpi_workbook(tmp_path / "team" / "kpi.xlsx")
    wb = openpyxl.load_workbook(kpi)
    row = next(r for r in wb["参数"].iter_rows() if r[0].value == "每月最少出差天数")
    assert row[1].value == 15 and "出差" in row[2].value  # 第13条: at least 15 days a month, said in Chinese
    row[1].value = 10
    wb.save(kpi)
    assert read_kpi_workbook(kpi).settings.min_trip_days == 10

    write_workbook(tmp_path / "team" / "张伟.xlsx", {"客户档案": rows_of([customer("K-1")]),
                                                     "拜访日报": [["日期", "客户编号", "拜访结果"]]})
    rollup = consolidate([tmp_path / "team"], "2026-Q4", today=date(2027, 1, 5), workers=1)
    scores = openpyxl.load_workbook(write_rollup(rollup, tmp_path / "r.xlsx"))["考核排名"]
    trips = next(c.column_letter for c in scores[1] if c.value == "出差天数")
    marked = [rule.formula for rng in scores.conditional_formatting if str(rng.sqref).startswith(trips)
              for rule in rng.rules]
    assert marked == [["30"]]  # 10 days a month, three months in the quarter


def test_the_declared_weight_and_kpi_fields_are_the_schemas_factors_and_kpis():
    from kamxl.schema import FACTORS, KPIS
    from kamxl.settings import Settings

    declared = [key for key in Settings.model_fields if key.startswith(("weight_", "points_", "standard_", "step_", "deduction_"))]
    assert declared == [f"weight_{key}" for key, _, _ in FACTORS] + [
        f"{kind}_{k.key}" for k in KPIS for kind in ("points", "standard", "step", "deduction")]
    for k in KPIS:  # each KPI's defaults and meaning are its definition's
        assert (getattr(DEFAULTS, f"points_{k.key}"), getattr(DEFAULTS, f"standard_{k.key}"),
                getattr(DEFAULTS, f"step_{k.key}")) == (k.points, k.standard, k.step)
        assert Settings.model_fields[f"points_{k.key}"].description == f"{k.label}：满分"
