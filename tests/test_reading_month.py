"""Issue 17, the reader's side: nothing is emptied, dropped or counted as read without a word.

Each test builds real workbooks (the demo team, or the helpers in conftest), changes a copy the way reps do with
openpyxl, runs the command and reads its output back; the expected values are counted from the input files.
"""

import json
import os
import time
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.demo import DemoOptions, write_demo_team
from tests.conftest import customer, write_workbook

REP_FILE = "卢静.xlsx"


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def demo_team(tmp_path):
    folder = tmp_path / "team"
    write_demo_team(folder, DemoOptions(reps=2, customers=20, visits=40))
    (folder / f"~${REP_FILE}").unlink(missing_ok=True)  # the lock file is another story
    return folder


def _rename(path: Path, sheet: str, old: str, new: str) -> int:
    """Rename a header cell of the sheet (first row holding `old`); the header's row number."""
    wb = openpyxl.load_workbook(path)
    for row in wb[sheet].iter_rows(max_row=10):
        for cell in row:
            if cell.value == old:
                cell.value = new
                wb.save(path)
                return cell.row
    raise AssertionError(f"no {old} in {sheet}")


def _body(path: Path, sheet: str) -> tuple[list, list[tuple]]:
    """The header and the non-blank rows below it (row number first), as openpyxl reads them."""
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    return header, [(n, *r) for n, r in enumerate(rows[1:], 2)
                    if any(v is not None and str(v).strip() for v in r)]


def _file(report: dict, name: str) -> dict:
    return next(f for f in report["files"] if Path(f["path"]).name == name)


def _rollup_rows(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:]]


# ---------------------------------------------------------------- renamed columns


def test_renamed_date_columns_are_read_by_their_alias_and_a_bad_creation_date_is_still_rejected(demo_team, tmp_path):
    path = demo_team / REP_FILE
    visit_header_row = _rename(path, "拜访日报", "日期", "拜访日期")
    customer_header_row = _rename(path, "客户档案", "建档日期", "建档时间")
    wb = openpyxl.load_workbook(path)  # one customer's 建档时间 that is no date: rejected, as under its label
    ws = wb["客户档案"]
    column = [c.value for c in ws[1]].index("建档时间") + 1
    ws.cell(3, column).value = "2026/13/45"
    wb.save(path)
    header, visits = _body(path, "拜访日报")
    dated = sum(1 for r in visits if r[1 + header.index("拜访日期")] is not None)

    result = _cli("validate", "--json", path)
    report = json.loads(result.stdout)["files"][0]
    aliases = [(p["sheet"], p["row"], p["column"], p["value"], p["message"]) for p in report["problems"]
               if p["code"] == "column_alias"]
    assert aliases == [("客户档案", customer_header_row, "建档日期", "建档时间", "列「建档时间」按「建档日期」读取"),
                       ("拜访日报", visit_header_row, "日期", "拜访日期", "列「拜访日期」按「日期」读取")]
    assert [p["code"] for p in report["problems"] if p["row"] == 3 and p["sheet"] == "客户档案"
            and p["severity"] == "rejected"] == ["unreadable_required_date"]
    assert not [p for p in report["problems"] if p["code"] in ("sheet_unusable", "missing_column_row")]
    assert report["sheets"]["daily_report"]["read"] == len(visits)

    out = tmp_path / "rollup.xlsx"
    assert _cli("consolidate", demo_team, "--period", "2026-10", "--out", out).exit_code == 0
    rep_visits = [r for r in _rollup_rows(out, "拜访日报") if r.get("文件") == REP_FILE or r.get("代表") == "卢静"]
    assert rep_visits and all(r["日期"] is not None for r in rep_visits)  # never kept with a blank date
    assert len(rep_visits) <= dated
    problems = _rollup_rows(out, "数据问题")
    assert [(p["工作表"], p["列"], p["原始值"]) for p in problems if p["文件"] == REP_FILE and p["问题"].startswith("列「")] == [
        ("客户档案", "建档日期", "建档时间"), ("拜访日报", "日期", "拜访日期")]


def test_a_required_column_not_found_rejects_every_row_of_that_sheet_into_the_data_problems(demo_team, tmp_path):
    path = demo_team / REP_FILE
    header_row = _rename(path, "拜访日报", "日期", "时间点")  # no label, key or alias of 日期
    _, visits = _body(path, "拜访日报")

    out = tmp_path / "rollup.xlsx"
    result = _cli("consolidate", demo_team, "--period", "2026-10", "--out", out, "--json", tmp_path / "s.json")
    assert result.exit_code == 0
    report = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    counts = _file(report, REP_FILE)["sheets"]["daily_report"]
    assert counts == {"read": len(visits), "accepted": 0, "rejected": len(visits), "warnings": 0, "after_period": 0}
    assert _file(report, REP_FILE)["status"] == "ok"  # its customers are still used

    problems = [p for p in _rollup_rows(out, "数据问题") if p["文件"] == REP_FILE and p["工作表"] == "拜访日报"]
    sheet_level = [p for p in problems if p["行"] == header_row]
    assert [(p["列"], p["处理"], p["问题"]) for p in sheet_level] == [
        ("日期", "拒收", f"缺少必填列「日期」：「拜访日报」的 {len(visits)} 行均无法使用")]
    rows = [p for p in problems if p["行"] != header_row]
    assert [p["行"] for p in rows] == [r[0] for r in visits]
    assert all(p["处理"] == "拒收" and p["列"] == "日期" and p["被拒收行的全部原始内容"] for p in rows)
    assert all(p["被拒收行的全部原始内容"].startswith("时间点=") for p in rows if p["行"] == visits[0][0])
    assert not [r for r in _rollup_rows(out, "拜访日报") if r.get("文件") == REP_FILE]


# ---------------------------------------------------------------- nothing unusable counts as read


def test_a_workbook_without_a_recognisable_header_is_failed_adds_no_rows_and_is_not_counted_read(tmp_path, rep_workbook):
    rep_workbook([customer("KA-1")], name="张伟.xlsx")
    write_workbook(tmp_path / "台账.xlsx", {"客户档案": [["序号", "单位", "备注"], [1, "华信", "老客户"], [2, "东方", None]]},
                   rep=None)
    validated = _cli("validate", tmp_path / "台账.xlsx")
    assert validated.exit_code == 1
    reason = "「客户档案」前 10 行内找不到表头（应含 客户编号、客户名称、行业、开发阶段、建档日期）：此文件没有可用的数据，未计入"
    assert validated.output == f"台账.xlsx: [无法读取] {reason}\n共 1 个文件：1 个无法读取，0 行被拒收，0 个警告。\n"

    out = tmp_path / "out" / "rollup.xlsx"
    out.parent.mkdir()
    result = _cli("consolidate", tmp_path / "张伟.xlsx", tmp_path / "台账.xlsx", "--period", "2026-10", "--out", out,
                  "--json", "-")
    report = json.loads(result.stdout)
    ledger = _file(report, "台账.xlsx")
    assert (ledger["status"], ledger["reason"], ledger["sheets"]) == ("failed", reason, {})
    assert "汇总已写入" in result.stderr and "：1/2 个文件，1 个客户" in result.stderr  # read: 张伟.xlsx only
    assert report["customers"]["total"] == 1


def test_validate_counts_rejected_rows_not_problems(tmp_path):
    path = write_workbook(tmp_path / "rep.xlsx", {
        "客户档案": [["客户编号", "客户名称", "行业", "开发阶段", "建档日期"], ["KA-1", "华信", "制造", "合作", date(2026, 1, 5)]],
        "拜访日报": [["说明：按周填写"], *[[f"第{i}周", "KA-1", "面谈"] for i in range(1, 6)]]})  # no header: 6 rows
    report = json.loads(_cli("validate", "--json", path).stdout)["files"][0]
    rejected = sum(s["rejected"] for s in report["sheets"].values())
    assert rejected == 6
    assert len([p for p in report["problems"] if p["severity"] == "rejected"]) == 1  # one problem, six rows
    # the two warnings: 联系人 and 拜访计划 are missing
    assert _cli("validate", path).output.endswith("共 1 个文件：0 个无法读取，6 行被拒收，2 个警告。\n")


def _encrypted(path: Path, plain: Path):
    import msoffcrypto.format.ooxml

    with plain.open("rb") as src, path.open("wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt("secret", out)


@pytest.mark.parametrize("name, message", [
    ("杨芳.xlsx", "--kpi「杨芳.xlsx」不是考核工作簿（没有「考核指标」表）：请指定含「考核指标」表的工作簿"),
    ("kpi.csv", "--kpi「kpi.csv」无法作为考核工作簿读取：这不是 Excel 工作簿，而是文本/CSV 文件（可能被改了扩展名）"),
    ("locked.xlsx", "--kpi「locked.xlsx」无法作为考核工作簿读取：文件有密码保护，无法读取：请去掉密码后重新提交"),
])
def test_a_kpi_that_is_no_readable_kpi_workbook_is_a_usage_error_and_nothing_is_written(tmp_path, rep_workbook, name,
                                                                                        message):
    team = tmp_path / "team"
    team.mkdir()
    rep_workbook([customer("KA-1")], rep="杨芳", name="team/杨芳.xlsx")
    kpi = team / name if name == "杨芳.xlsx" else tmp_path / name
    if name == "kpi.csv":
        kpi.write_text("期间,代表姓名\n2026-10,杨芳\n", encoding="utf-8")
    elif name == "locked.xlsx":
        plain = write_workbook(tmp_path / "plain.xlsx", {"考核指标": [["期间", "代表姓名"], ["2026-10", "杨芳"]]}, rep=None)
        _encrypted(kpi, plain)
    out = tmp_path / "rollup.xlsx"
    result = _cli("consolidate", team, "--period", "2026-10", "--out", out, "--kpi", kpi)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"错误：{message}"
    assert not out.exists()


# ---------------------------------------------------------------- two workbooks of one rep


def test_of_two_workbooks_of_one_rep_the_newer_data_wins_even_with_an_older_file_time(tmp_path, rep_workbook):
    team = tmp_path / "team"
    team.mkdir()
    current = rep_workbook([customer(f"KA-{i}", created=date(2026, 3, 1)) for i in range(1, 5)], name="team/张伟.xlsx",
                           visits=[{"日期": date(2026, 10, 20), "客户编号": "KA-1", "拜访结果": "面谈"}])
    stale = rep_workbook([customer(f"KA-{i}", created=date(2026, 3, 1)) for i in range(1, 3)],
                         name="team/张伟 - 副本.xlsx",
                         visits=[{"日期": date(2026, 8, 2), "客户编号": "KA-1", "拜访结果": "面谈"}])
    long_ago = time.time() - 30 * 86400
    os.utime(current, (long_ago, long_ago))  # the old copy was saved into the folder later
    out = tmp_path / "rollup.xlsx"
    result = _cli("consolidate", team, "--period", "2026-10", "--out", out, "--json", tmp_path / "s.json")
    assert result.exit_code == 0
    report = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert (_file(report, "张伟.xlsx")["status"], _file(report, "张伟 - 副本.xlsx")["status"]) == ("ok", "skipped")
    assert report["customers"]["total"] == 4  # the current workbook's four customers, not the copy's two
    when = datetime.fromtimestamp(long_ago).strftime("%Y-%m-%d %H:%M")
    assert _file(report, "张伟 - 副本.xlsx")["reason"].startswith(
        f"与「张伟.xlsx」同属代表「张伟」：采用数据较新的「张伟.xlsx」（数据最新至 2026-10-20，修改于 {when}），"
        "此文件（数据最新至 2026-08-02，")
    assert "代表「张伟」有 2 个工作簿：采用「张伟.xlsx」（数据最新至 2026-10-20），未计入「张伟 - 副本.xlsx」" in result.output
    assert "重复文件未计入" not in result.output
    assert stale.exists()


def test_a_kpi_whose_sheet_is_damaged_is_refused_once_read(tmp_path, rep_workbook):
    # zip and workbook.xml are sound (the first look passes); the 考核指标 sheet's XML is cut in half
    import zipfile

    team = tmp_path / "team"
    team.mkdir()
    rep_workbook([customer("KA-1")], rep="杨芳", name="team/杨芳.xlsx")
    sound = write_workbook(tmp_path / "sound.xlsx", {"考核指标": [["期间", "代表姓名"], ["2026-10", "杨芳"]]}, rep=None)
    kpi = tmp_path / "kpi.xlsx"
    with zipfile.ZipFile(sound) as src, zipfile.ZipFile(kpi, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data[: len(data) // 2] if name == "xl/worksheets/sheet2.xml" else data)
    out = tmp_path / "rollup.xlsx"
    result = _cli("consolidate", team, "--period", "2026-10", "--out", out, "--kpi", kpi)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith("错误：--kpi「kpi.xlsx」无法作为考核工作簿读取：工作表「考核指标」已损坏，无法读取（")
    assert not out.exists()
