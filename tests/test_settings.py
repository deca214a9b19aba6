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
