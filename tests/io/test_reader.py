import zipfile
from datetime import date

import openpyxl
import pytest
from openpyxl.styles import PatternFill

from kamxl.errors import UnreadableWorkbook
from kamxl.io.inputs.reader import read_kpi_workbook, read_rep_workbook
from kamxl.settings import DEFAULTS
from tests.conftest import CUSTOMER_HEADER, customer, write_workbook

TODAY = date(2026, 11, 22)


def problems_of(book):
    return [(p.sheet, p.row, p.column, p.code, str(p.severity)) for p in book.all_problems()]


def test_header_on_the_first_row(rep_workbook):
    book = read_rep_workbook(rep_workbook([customer("KA-1"), customer("KA-2")]), today=TODAY)
    frame = book.sheets["customers"].frame
    assert list(frame["customer_id"]) == ["KA-1", "KA-2"]
    assert list(frame["row"]) == [2, 3]
    assert book.rep == "张伟"
    assert book.sheets["customers"].counts == {"read": 2, "accepted": 2, "rejected": 0, "warnings": 0}


def test_header_on_row_three_under_a_merged_title(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["代表姓名", "李娜"])
    ws = wb.create_sheet("客户档案")
    ws["A1"] = "客户档案表（2026 年）"
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(CUSTOMER_HEADER)
    ws.append(["KA-1", "华信", "制造", "合作", date(2026, 1, 5)])
    wb.save(tmp_path / "merged.xlsx")
    frame = read_rep_workbook(tmp_path / "merged.xlsx", today=TODAY).sheets["customers"].frame
    assert frame.loc[0, "customer_id"] == "KA-1" and frame.loc[0, "row"] == 4
    assert frame.loc[0, "created_on"] == date(2026, 1, 5)


def test_shuffled_columns_english_keys_and_extra_columns(tmp_path):
    rows = [["stage", "备注", "created_on", "客户名称", "customer_id", "industry", "电话"],
            ["合作", "老客户", "2026/3/1", "华信", "010020", "制造", 13800138000]]
    path = write_workbook(tmp_path / "english.xlsx", {"客户档案": rows})
    frame = read_rep_workbook(path, today=TODAY).sheets["customers"].frame
    row = frame.iloc[0]
    assert (row["customer_id"], row["name"], row["stage"], row["created_on"]) == ("010020", "华信", "合作", date(2026, 3, 1))
    assert row["phone"] == "13800138000"  # a number cell read back as the text it is
    assert row["备注"] == "老客户"  # extra columns are kept


def test_blank_and_styled_empty_rows_are_skipped(tmp_path):
    path = write_workbook(tmp_path / "styled.xlsx", {"客户档案": [CUSTOMER_HEADER, list(customer("KA-1").values())]})
    wb = openpyxl.load_workbook(path)
    ws = wb["客户档案"]
    ws.append([None] * 5)
    ws.append(list(customer("KA-2").values()))
    fill = PatternFill("solid", fgColor="FFFF00")
    for r in range(6, 2000):
        ws.cell(r, 1).fill = fill
    ws.cell(1_048_576, 3).fill = fill  # formatting reaching the last row of the sheet
    wb.save(path)
    result = read_rep_workbook(path, today=TODAY).sheets["customers"]
    assert list(result.frame["customer_id"]) == ["KA-1", "KA-2"]
    assert list(result.frame["row"]) == [2, 4]
    assert result.read == 2


def test_a_row_counts_when_any_named_column_holds_something(tmp_path):
    """A row blank in its first columns but holding something further along is read (and rejected for its missing
    id); a row of spaces, or with a value only under no label, is dropped as blank."""
    rows = [CUSTOMER_HEADER + [None],
            list(customer("KA-1").values()) + [None],
            ["", "  ", None, None, None, "只在无标题列"],  # spaces, and a note under no header: blank
            [None, "华信", None, None, None, None],  # a name without its id: read, rejected
            [None] * 6,
            [None, None, 0, None, None, None],  # a 0 is a value
            list(customer("KA-2").values()) + [None]]
    result = read_rep_workbook(write_workbook(tmp_path / "gaps.xlsx", {"客户档案": rows}), today=TODAY).sheets["customers"]
    assert list(result.frame["row"]) == [2, 7]
    assert [(r.row, r.problem.code) for r in result.rejected] == [(4, "no_customer_id"), (6, "no_customer_id")]
    assert result.rejected[0].raw["客户名称"] == "华信"
    assert result.read == 4


def test_rejected_rows_keep_their_raw_values_and_counts_reconcile(rep_workbook):
    path = rep_workbook(
        customers=[customer("KA-1"), customer(None, name="无编号公司"), customer("KA-1", name="重复公司"),
                   customer("KA-3", created="2026/13/45"), customer("KA-4", industry="汽车", 电话="12345")],
        visits=[{"日期": date(2026, 10, 3), "客户编号": "KA-1", "拜访结果": "ok"},
                {"日期": date(2026, 10, 4), "客户编号": "KA-9", "拜访结果": "ok"},
                {"日期": date(2026, 10, 5), "客户编号": "KA-3", "拜访结果": "客户行被拒收，拜访仍有效"},
                {"日期": "下周", "客户编号": "KA-1", "拜访结果": "ok"}])
    book = read_rep_workbook(path, today=TODAY)
    customers = book.sheets["customers"]
    assert customers.counts == {"read": 5, "accepted": 2, "rejected": 3, "warnings": 2}
    assert [(r.row, r.problem.code) for r in customers.rejected] == [
        (3, "no_customer_id"), (4, "duplicate_customer_id"), (5, "unreadable_required_date")]
    assert customers.rejected[1].raw["客户名称"] == "重复公司"
    assert customers.rejected[1].problem.message() == "客户编号与第 2 行重复，此行未采用"
    assert customers.rejected[2].raw["建档日期"] == "2026/13/45"
    visits = book.sheets["daily_report"]
    assert visits.counts["read"] == visits.counts["accepted"] + visits.counts["rejected"] == 4
    assert [(r.row, r.problem.code) for r in visits.rejected] == [(3, "unknown_customer_id"), (5, "unreadable_required_date")]
    assert ("客户档案", 6, "行业", "bad_choice", "warning") in problems_of(book)
    assert ("客户档案", 6, "电话", "bad_phone", "warning") in problems_of(book)


def test_a_missing_sheet_is_a_warning(tmp_path):
    path = write_workbook(tmp_path / "old.xlsx", {"客户档案": [CUSTOMER_HEADER, list(customer("KA-1").values())]})
    book = read_rep_workbook(path, today=TODAY)
    assert [(p.code, p.message()) for p in book.all_problems()] == [
        ("missing_sheet", "缺少工作表「联系人」"), ("missing_sheet", "缺少工作表「拜访计划」"), ("missing_sheet", "缺少工作表「拜访日报」")]


def test_missing_required_column_makes_the_sheet_unusable_its_rows_rejected_with_their_values(tmp_path):
    # issue 17: a required column not found (no label, key or alias) rejects the sheet's rows, never accepts blanks
    path = write_workbook(tmp_path / "nocol.xlsx", {"客户档案": [["客户编号", "客户名称", "行业", "建档日期"],
                                                                 ["KA-1", "华信", "制造", date(2026, 1, 1)]]})
    book = read_rep_workbook(path, today=TODAY)
    customers = book.sheets["customers"]
    unusable = [p for p in book.all_problems() if p.code == "sheet_unusable"]
    assert [(p.file, p.sheet, p.row, p.column, str(p.severity), p.message()) for p in unusable] == [
        ("nocol.xlsx", "客户档案", 1, "开发阶段", "rejected", "缺少必填列「开发阶段」：「客户档案」的 1 行均无法使用")]
    assert customers.counts == {"read": 1, "accepted": 0, "rejected": 1, "warnings": 0}
    assert [(r.row, r.raw, r.problem.code, r.problem.column) for r in customers.rejected] == [
        (2, {"客户编号": "KA-1", "客户名称": "华信", "行业": "制造", "建档日期": "2026-01-01"}, "missing_column_row", "开发阶段")]
    assert customers.unusable == unusable[0]


def test_missing_customer_id_column_rejects_every_row_with_its_values(tmp_path):
    path = write_workbook(tmp_path / "noid.xlsx", {"客户档案": [CUSTOMER_HEADER, list(customer("KA-1").values())],
                                                   "联系人": [["姓名", "职务"], ["王总", "总经理"]]})
    contacts = read_rep_workbook(path, today=TODAY).sheets["contacts"]
    assert contacts.counts["rejected"] == 1 and contacts.rejected[0].raw["姓名"] == "王总"


def test_rep_name_falls_back_to_the_file_name_with_a_warning(rep_workbook):
    book = read_rep_workbook(rep_workbook([customer("KA-1")], rep=None, name="王芳.xlsx"), today=TODAY)
    assert book.rep == "王芳"
    assert [p.code for p in book.problems] == ["no_rep_name"]


def test_future_dates_are_warnings(rep_workbook):
    path = rep_workbook([customer("KA-1", created=date(2027, 1, 1))])
    book = read_rep_workbook(path, today=TODAY)
    assert [(p.code, p.params) for p in book.all_problems()] == [("future_date", (("today", "2026-11-22"),))]


def test_cached_formula_results_are_ignored(rep_workbook):
    path = rep_workbook([customer("KA-1", 客户等级="A", 评估得分=99)])
    frame = read_rep_workbook(path, today=TODAY).sheets["customers"].frame
    assert frame.loc[0, "grade"] is None and frame.loc[0, "value_score"] is None


def _csv(path):
    path.write_text("客户编号,客户名称\nKA-1,华信\n", encoding="utf-8")


def _corrupt(path):
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)


def _truncated(path, tmp_path):
    good = write_workbook(tmp_path / "good.xlsx", {"客户档案": [CUSTOMER_HEADER]})
    path.write_bytes(good.read_bytes()[:600])


def _encrypted(path, tmp_path):
    import msoffcrypto.format.ooxml

    plain = write_workbook(tmp_path / "plain.xlsx", {"客户档案": [CUSTOMER_HEADER]})
    with plain.open("rb") as src, path.open("wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt("secret", out)


def _xls(path):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    book.add_sheet("客户档案").write(0, 0, "客户编号")
    book.save(str(path))


def _not_xlsx_zip(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")


@pytest.mark.parametrize("name, make, code", [
    ("~$张伟.xlsx", lambda p, t: p.write_bytes(b"\x0cowner"), "lock_file"),
    ("encrypted.xlsx", _encrypted, "encrypted"),
    ("corrupt.xlsx", lambda p, t: _corrupt(p), "corrupt_detail"),
    ("truncated.xlsx", _truncated, "corrupt_detail"),
    ("renamed.xlsx", lambda p, t: _csv(p), "text_file"),
    ("old.xls", lambda p, t: _xls(p), "legacy_xls"),
    ("empty.xlsx", lambda p, t: p.write_bytes(b""), "empty_file"),
    ("report.xlsx", lambda p, t: _not_xlsx_zip(p), "not_workbook"),
    ("budget.xlsx", lambda p, t: write_workbook(p, {"预算": [["a"]]}), "not_rep_workbook"),
])
def test_unreadable_files_give_one_clear_reason(tmp_path, name, make, code):
    path = tmp_path / name
    make(path, tmp_path)
    with pytest.raises(UnreadableWorkbook) as caught:
        read_rep_workbook(path)
    assert caught.value.code == code
    # one sentence naming the file, in the catalogue's words (not a library's exception text)
    assert str(caught.value) == f"{path}: {caught.value.reason()}" and "\n" not in str(caught.value)
    assert caught.value.reason("zh") != caught.value.reason("en")


def _kpi_file(tmp_path, settings_rows):
    sheets = {"考核指标": [["期间", "代表姓名", "销售计划(万元)", "实际销售(万元)"], ["2026-10", "张伟", 100, "87"],
                           [None, "李娜", 100, 90], ["2026-10", None, 100, 90]],
              "团队": [["代表姓名", "邮箱", "文件"], ["张伟", "zw@example.com", None], ["王芳", None, "wf.xlsx"]],
              "参数": [["参数", "值", "说明"], *settings_rows]}
    return write_workbook(tmp_path / "kpi.xlsx", sheets, rep=None)


def test_kpi_workbook_reads_rows_roster_and_settings(tmp_path):
    book = read_kpi_workbook(_kpi_file(tmp_path, [["grade_a", 85, "A 级"], ["cadence_a", "20", ""]]), today=TODAY)
    assert book.settings.grade_a == 85 and book.settings.cadence_a == 20 and book.settings.grade_b == 60
    kpi = book.kpi
    assert kpi.counts == {"read": 3, "accepted": 1, "rejected": 2, "warnings": 0}
    assert kpi.frame.loc[0, "period"].label == "2026-10" and kpi.frame.loc[0, "sales_actual"] == 87.0
    assert [r.problem.code for r in kpi.rejected] == ["no_period", "no_rep"]
    assert list(book.team.frame["rep"]) == ["张伟", "王芳"]


@pytest.mark.parametrize("rows, fragment", [
    ([["grade_x", 1, ""]], "未知参数「grade_x」"),
    ([["grade_a", "high", ""]], "grade_a"),
    ([["grade_a", 50, ""]], "grade_a ≥ grade_b ≥ grade_c"),  # a rule across settings: the sheet's values all unused
    ([["grade_method", "magic", ""]], "grade_method"),
])
def test_a_bad_setting_keeps_its_default_and_is_a_problem_on_that_setting(tmp_path, rows, fragment):
    book = read_kpi_workbook(_kpi_file(tmp_path, [*rows, ["cadence_b", 45, ""]]))
    assert book.settings.grade_a == DEFAULTS.grade_a and book.settings.grade_method == DEFAULTS.grade_method
    problems = [p for p in book.problems if p.sheet == "参数"]
    assert len(problems) == (1 if "≥" not in fragment else 2)  # a rule across settings: every value on the sheet unused
    assert all(p.file == "kpi.xlsx" for p in problems) and fragment in problems[0].message("zh")
    assert book.settings.cadence_b == (45 if "≥" not in fragment else DEFAULTS.cadence_b)  # good ones are used


def test_sheet_without_a_header_rejects_each_row_at_its_own_number(tmp_path):
    path = write_workbook(tmp_path / "nohead.xlsx", {"客户档案": [["甲", "乙"], [None, None], ["甲", "乙"]]})
    customers = read_rep_workbook(path, today=TODAY).sheets["customers"]
    assert [(r.row, r.problem.code) for r in customers.rejected] == [(1, "no_header"), (3, "no_header")]


# ---- issue 17: reading that never empties data silently

def test_renamed_columns_are_read_by_their_alias_with_a_warning_naming_the_mapping(tmp_path):
    path = write_workbook(tmp_path / "renamed.xlsx", {
        "客户档案": [["客户编号", "客户名称", "行业", "开发阶段", "建档时间"],
                 ["KA-1", "华信", "制造", "合作", date(2026, 1, 5)],
                 ["KA-2", "东方", "能源", "合作", "2026/13/45"]],
        "拜访日报": [["拜访日期", "客户编号", "拜访结果"], [date(2026, 2, 3), "KA-1", "面谈"]]})
    book = read_rep_workbook(path, today=TODAY)
    customers, visits = book.sheets["customers"], book.sheets["daily_report"]
    assert (customers.data["customer_id"], customers.data["created_on"]) == (["KA-1"], [date(2026, 1, 5)])
    # the unreadable 建档日期 is the required date it is: the row is rejected, not accepted blank
    assert [(r.row, r.problem.code) for r in customers.rejected] == [(3, "unreadable_required_date")]
    assert visits.data["date"] == [date(2026, 2, 3)]
    aliases = [(p.file, p.sheet, p.row, p.column, p.value, str(p.severity), p.message())
               for p in book.all_problems() if p.code == "column_alias"]
    assert aliases == [("renamed.xlsx", "客户档案", 1, "建档日期", "建档时间", "warning", "列「建档时间」按「建档日期」读取"),
                       ("renamed.xlsx", "拜访日报", 1, "日期", "拜访日期", "warning", "列「拜访日期」按「日期」读取")]
    assert not [p for p in book.all_problems() if p.code in ("sheet_unusable", "missing_column_row")]


def test_an_alias_is_matched_after_folding_and_a_label_wins_over_an_alias(tmp_path):
    path = write_workbook(tmp_path / "both.xlsx", {
        "客户档案": [[" 客户ｉｄ ", "客户名", "行业", "开发阶段", "建档日期", "customer_id"],
                 ["ignored", "华信", "制造", "合作", date(2026, 1, 5), "KA-1"]]})
    book = read_rep_workbook(path, today=TODAY)
    data = book.sheets["customers"].data
    assert (data["customer_id"], data["name"]) == (["KA-1"], ["华信"])  # the English key, not the alias 客户ID
    assert data["客户id"] == ["ignored"]  # kept as an extra column, its header folded
    assert [(p.column, p.value) for p in book.all_problems() if p.code == "column_alias"] == [("客户名称", "客户名")]


def test_an_english_key_is_no_alias(tmp_path):
    path = write_workbook(tmp_path / "en.xlsx", {"客户档案": [["customer_id", "name", "industry", "stage", "created_on"],
                                                             ["KA-1", "华信", "制造", "合作", date(2026, 1, 5)]]})
    book = read_rep_workbook(path, today=TODAY)
    assert book.sheets["customers"].accepted == 1
    assert [p.code for p in book.all_problems() if p.code == "column_alias"] == []


def test_a_visit_before_its_customers_creation_is_a_warning_and_still_accepted(rep_workbook):
    path = rep_workbook([customer("KA-1", created=date(2026, 3, 1)), customer("KA-2", created=date(2026, 3, 1))],
                        visits=[{"日期": date(2026, 2, 27), "客户编号": "KA-1", "拜访结果": "面谈"},
                                {"日期": date(2026, 3, 1), "客户编号": "KA-1", "拜访结果": "面谈"},
                                {"日期": date(2026, 3, 5), "客户编号": "KA-2", "拜访结果": "面谈"}])
    book = read_rep_workbook(path, today=TODAY)
    visits = book.sheets["daily_report"]
    assert visits.counts == {"read": 3, "accepted": 3, "rejected": 0, "warnings": 1}
    assert [(p.sheet, p.row, p.column, p.value, p.message()) for p in visits.problems] == [
        ("拜访日报", 2, "日期", "2026-02-27", "拜访日期早于该客户的建档日期（2026-03-01）")]


def test_latest_data_is_the_newest_visit_or_customer_date_not_after_today(rep_workbook):
    path = rep_workbook([customer("KA-1", created=date(2026, 3, 1)), customer("KA-2", created=date(2026, 6, 9)),
                         customer("KA-3", created=date(2099, 1, 1))],
                        visits=[{"日期": date(2026, 5, 2), "客户编号": "KA-1", "拜访结果": "面谈"}])
    assert read_rep_workbook(path, today=TODAY).latest_data == date(2026, 6, 9)
    visits_later = rep_workbook([customer("KA-1", created=date(2026, 3, 1))], name="later.xlsx",
                                visits=[{"日期": date(2026, 7, 1), "客户编号": "KA-1", "拜访结果": "面谈"}])
    assert read_rep_workbook(visits_later, today=TODAY).latest_data == date(2026, 7, 1)


@pytest.mark.parametrize("sheets, reason", [
    ({"客户档案": [["说明文字"], ["KA-1", "华信"]]}, "no_header"),
    ({"拜访日报": [["日期", "客户编号", "拜访结果"]]}, "missing_sheet"),
    ({"客户档案": [["客户编号", "客户名称", "行业", "建档日期"], ["KA-1", "华信", "制造", date(2026, 1, 1)]]}, "sheet_unusable"),
])
def test_a_workbook_with_no_usable_sheet_says_why(tmp_path, sheets, reason):
    book = read_rep_workbook(write_workbook(tmp_path / "x.xlsx", sheets), today=TODAY)
    assert book.unusable() is not None and book.unusable().code == reason


def test_a_workbook_whose_customer_sheet_lacks_a_column_but_whose_visits_are_usable_is_used(tmp_path):
    path = write_workbook(tmp_path / "part.xlsx", {
        "客户档案": [["客户编号", "客户名称", "行业", "建档日期"], ["KA-1", "华信", "制造", date(2026, 1, 1)]],
        "拜访日报": [["日期", "客户编号", "拜访结果"], [date(2026, 2, 3), "KA-1", "面谈"]]})
    book = read_rep_workbook(path, today=TODAY)
    assert book.unusable() is None
    assert (book.sheets["customers"].accepted, book.sheets["daily_report"].accepted) == (0, 1)
