"""The director's 设置 sheet: read and checked by the CLI's own parsers; a bad cell is a message naming it."""

from datetime import date
from pathlib import Path

import pytest

from kamxl.director import SETTING_CELLS, SettingCellError, default_period, read_director_settings


def sheet(**values) -> list[list]:
    """The 设置 sheet's rows as the builder lays them out: header, then one labelled cell per setting."""
    return [["设置", "值", "说明"]] + [[c.cell, values.get(c.key, c.default), c.cell_help] for c in SETTING_CELLS]


@pytest.fixture
def team(tmp_path) -> Path:
    (tmp_path / "team").mkdir()
    return tmp_path / "team"


@pytest.mark.parametrize("today, period", [(date(2026, 11, 25), "2026-10"), (date(2026, 1, 5), "2025-12"),
                                           (date(2026, 3, 31), "2026-02")])
def test_period_defaults_to_the_month_before_today(today, period):
    assert default_period(today).label == period


def test_good_settings_are_read(team, tmp_path):
    (tmp_path / "kpi.xlsx").write_bytes(b"")
    s = read_director_settings(sheet(team_folder="team", period="2026-Q3", kpi=str(tmp_path / "kpi.xlsx"),
                                     recipients="gm@example.com；hr@example.com, ceo@example.com", smtp_port=465.0,
                                     smtp_user="kam@example.com", smtp_security="SSL"), tmp_path, date(2026, 11, 25))
    assert s.team_folder == team and s.output_folder == team and s.period.label == "2026-Q3"
    assert s.kpi == tmp_path / "kpi.xlsx" and s.previous is None
    assert s.recipients == ["gm@example.com", "hr@example.com", "ceo@example.com"]
    assert (s.smtp_port, s.smtp_security, s.smtp_from) == (465, "ssl", "kam@example.com")  # the sender: the user
    assert s.rollup_path == team / "汇总-2026-Q3.xlsx"
    blank = read_director_settings(sheet(team_folder=str(team), period=None), tmp_path, date(2026, 11, 25))
    assert blank.period.label == "2026-10" and blank.smtp_security == "starttls"
    assert blank.smtp_port is None  # left to the security, as on the command line: 587 for starttls, 465 for ssl


@pytest.mark.parametrize("values, message", [
    ({"team_folder": None}, "设置!B2「团队文件夹」为空：团队工作簿所在文件夹的完整路径"),
    ({"team_folder": "nowhere"}, "设置!B2「团队文件夹」找不到文件夹「nowhere」："),
    ({"period": "2026-13"}, "设置!B3「期间」无法识别「2026-13」：写 2026-10、2026-Q4 或 2026；留空为上个月"),
    ({"output_folder": "out"}, "设置!B4「输出文件夹」找不到文件夹「out」"),
    ({"kpi": "kpi.xlsx"}, "设置!B5「考核工作簿」找不到文件「kpi.xlsx」：可选：考核工作簿的完整路径"),
    ({"previous": "old.xlsx"}, "设置!B6「上期汇总」找不到文件「old.xlsx」"),
    ({"recipients": "gm@example.com; 总经理"}, "设置!B7「收件人」中「总经理」不是邮箱地址：邮箱地址，多个用分号隔开"),
    ({"smtp_port": "abc"}, "设置!B10「SMTP 端口」应为 1–65535 的整数，现为「abc」"),
    ({"smtp_port": 70000}, "设置!B10「SMTP 端口」应为 1–65535 的整数，现为「70000」"),
    ({"smtp_security": "tls"}, "设置!B13「加密方式」应为 starttls/ssl/none，现为「tls」"),
    ({"smtp_from": "kam"}, "设置!B12「发件人」中「kam」不是邮箱地址"),
])
def test_a_bad_cell_is_named_with_what_to_write(team, tmp_path, values, message):
    with pytest.raises(SettingCellError) as raised:
        read_director_settings(sheet(**{"team_folder": "team", **values}), tmp_path, date(2026, 11, 25), lang="zh")
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("missing, cell", [("recipients", "设置!B7"), ("smtp_host", "设置!B9"), ("smtp_user", "设置!B12")])
def test_sending_needs_recipients_a_server_and_a_sender(team, tmp_path, missing, cell):
    values = {"team_folder": "team", "recipients": "gm@example.com", "smtp_host": "smtp.example.com",
              "smtp_user": "kam@example.com", missing: None}
    read_director_settings(sheet(**values), tmp_path, date(2026, 11, 25))  # fine unless sending
    with pytest.raises(SettingCellError) as raised:
        read_director_settings(sheet(**values), tmp_path, date(2026, 11, 25), lang="zh", for_mail=True)
    assert raised.value.cell == cell and "为空" in str(raised.value)


def test_english_messages(team, tmp_path):
    with pytest.raises(SettingCellError) as raised:
        read_director_settings(sheet(team_folder="team", period="13/2026"), tmp_path, date(2026, 11, 25), lang="en")
    assert str(raised.value).startswith("设置!B3 (期间): '13/2026' not understood")


# the 设置 sheet as directors know it (workbook-contract.md), row by row from A2
SETTINGS_LABELS = ["团队文件夹", "期间", "输出文件夹", "考核工作簿", "上期汇总", "收件人", "抄送", "SMTP 服务器", "SMTP 端口",
                   "SMTP 用户", "发件人", "加密方式"]


def test_the_built_workbooks_settings_sheet_has_the_labels_directors_know(tmp_path):
    import openpyxl

    from kamxl.director import build_director_workbook

    ws = openpyxl.load_workbook(build_director_workbook(tmp_path / "kamxl.xlsm"))["设置"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == SETTINGS_LABELS
    assert all(r[2] for r in rows)  # every cell says what to write
    assert {r[0]: r[1] for r in rows if r[1] is not None} == {"加密方式": "starttls"}
    assert ws.data_validations.dataValidation[0].formula1 == '"starttls,ssl,none"'


def test_the_sender_cell_is_read_as_the_sender_and_a_login_name_without_it_is_no_error(team, tmp_path):
    s = read_director_settings(sheet(team_folder="team", smtp_user="kam", smtp_from="director@example.com"), tmp_path,
                               date(2026, 11, 25))
    assert (s.smtp_user, s.smtp_from) == ("kam", "director@example.com")
    s = read_director_settings(sheet(team_folder="team", smtp_user="kam"), tmp_path, date(2026, 11, 25))
    assert s.smtp_from == ""  # 汇总 still works; 发送 asks for 发件人
    with pytest.raises(SettingCellError) as raised:
        read_director_settings(sheet(team_folder="team", smtp_user="kam", recipients="gm@example.com",
                                     smtp_host="smtp.example.com"), tmp_path, date(2026, 11, 25), lang="zh",
                               for_mail=True)
    assert str(raised.value).startswith("设置!B12「发件人」为空")
