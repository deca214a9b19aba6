"""The templates users copy: built from the schema, committed, reproducible, and read back cleanly."""

import re
from pathlib import Path

import openpyxl
import pytest

from kamxl.demo import DemoOptions, write_demo_team
from kamxl.io.inputs.reader import read_kpi_workbook, read_rep_workbook
from kamxl.schema import CONTACTS, CUSTOMERS, DAILY_REPORT, KPI_INPUTS, TEAM, VISIT_PLAN, ColType
from kamxl.templates import build_templates

COMMITTED = Path(__file__).resolve().parents[1] / "templates"
UDF = re.compile(r"\bKAM_[A-Z_]+\(")


def _formula_text(value):
    return f"{{{value.ref}}}{value.text}" if hasattr(value, "text") else value  # array formulas compare by text


def content(path: Path) -> dict:
    """What a template is made of, as openpyxl sees it: sheets, cells, formulas, validations, styles, names, tables."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames, "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items())}
    for ws in wb.worksheets:
        cells = {c.coordinate: (_formula_text(c.value), c.number_format, c.fill.fgColor.rgb, c.font.b, c.protection.locked)
                 for row in ws.iter_rows() for c in row if c.value is not None or c.fill.fill_type}
        validations = sorted((str(v.sqref), v.type, v.formula1, v.error, v.prompt) for v in ws.data_validations.dataValidation)
        conditional = sorted((str(rng.sqref), [r.formula for r in rng.rules].__repr__()) for rng in ws.conditional_formatting)
        tables = {t.name: (t.ref, [c.name for c in t.tableColumns]) for t in ws.tables.values()}
        out[ws.title] = {"cells": cells, "validations": validations, "conditional": conditional, "tables": tables,
                         "freeze": ws.freeze_panes, "widths": {k: d.width for k, d in ws.column_dimensions.items()},
                         "state": ws.sheet_state}
    return out


@pytest.mark.parametrize("lang, names", [
    ("zh", ["rep_workbook.xlsx", "rep_workbook.xlsm", "kpi_sheet.xlsx"]),
    pytest.param("en", ["rep_workbook_en.xlsx", "rep_workbook_en.xlsm", "kpi_sheet_en.xlsx"], marks=pytest.mark.slow)])
def test_committed_templates_match_a_rebuild(tmp_path, lang, names):
    built = build_templates(tmp_path, lang)
    assert [p.name for p in built] == names
    for name in names:
        assert content(tmp_path / name) == content(COMMITTED / name), f"templates/{name} is stale: run `kamxl templates`"


def headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def test_rep_template_follows_the_contract():
    wb = openpyxl.load_workbook(COMMITTED / "rep_workbook.xlsx")
    assert wb.sheetnames[:5] == ["说明", "客户档案", "联系人", "拜访计划", "拜访日报"]
    for spec in (CUSTOMERS, CONTACTS, VISIT_PLAN, DAILY_REPORT):
        ws = wb[spec.name]
        expected = [c.label for c in spec.columns]
        if spec is not CUSTOMERS:  # the looked-up customer name stands beside the customer id
            expected.insert(expected.index("客户编号") + 1, "客户名称")
            expected.append("校验")  # and the row's native checks close the table
        # then the native check's helper columns (a cleaned value each), hidden, under the reserved prefix
        helpers = headers(ws)[len(expected):]
        assert headers(ws)[:len(expected)] == expected
        assert helpers and all(h.startswith("_校验·") and h[len("_校验·"):] in expected for h in helpers)
        hidden = {i for d in ws.column_dimensions.values() if d.hidden for i in range(d.min, d.max + 1)}
        assert hidden == set(range(len(expected) + 1, len(expected) + len(helpers) + 1))
        assert ws.freeze_panes in ("B2", "C2")
        [table] = ws.tables.values()
        assert table.ref.startswith("A1:")
    info = wb["说明"]
    labels = {row[0].value: row[1].value for row in info.iter_rows() if row[0].value}
    assert "代表姓名" in labels and labels["模板版本"] == "1.0"
    assert wb["_kamxl"].sheet_state == "hidden"


def validations(ws) -> dict[str, tuple]:
    """Column letter → (type, formula1, error message) of the sheet's data validations."""
    out = {}
    for v in ws.data_validations.dataValidation:
        letter = re.match(r"[A-Z]+", str(v.sqref)).group(0)
        out[letter] = (v.type, v.formula1, v.error)
    return out


def letter_of(ws, label: str) -> str:
    return openpyxl.utils.get_column_letter(headers(ws).index(label) + 1)


@pytest.mark.parametrize("spec", [CUSTOMERS, CONTACTS, VISIT_PLAN, DAILY_REPORT])
def test_every_list_column_has_a_dropdown_and_dates_are_checked(spec):
    ws = openpyxl.load_workbook(COMMITTED / "rep_workbook.xlsx")[spec.name]
    found = validations(ws)
    for col in spec.inputs:
        rule = found.get(letter_of(ws, col.label))
        if col.key == "customer_id" and spec is not CUSTOMERS:
            assert rule[:2] == ("list", "客户档案!$A$2:$A$5001")
        elif col.choices:
            assert rule[0] == "list" and rule[1] == '"' + ",".join(col.choices) + '"'
            assert "请从下拉框选择" in rule[2]
        elif col.type == ColType.FACTOR:
            assert rule[:2] == ("list", '"1,2,3,4,5"')
        elif col.type == ColType.DATE:
            assert rule[0] == "date" and "日期" in rule[2]


def test_every_header_carries_its_guidance():
    wb = openpyxl.load_workbook(COMMITTED / "rep_workbook.xlsx")
    for spec in (CUSTOMERS, CONTACTS, VISIT_PLAN, DAILY_REPORT):
        by_label = {cell.value: cell for cell in wb[spec.name][1]}
        for col in spec.columns:
            cell = by_label[col.label]
            assert cell.comment is not None and cell.comment.text.startswith(f"{col.label}："), (spec.name, col.label)
    assert "必填" in wb["客户档案"]["A1"].comment.text


def test_computed_columns_are_formulas_locked_and_shaded():
    ws = openpyxl.load_workbook(COMMITTED / "rep_workbook.xlsx")["客户档案"]
    for col in CUSTOMERS.columns:
        cell = ws[f"{letter_of(ws, col.label)}2"]
        if col.computed:
            assert isinstance(cell.value, str) and cell.value.startswith("="), col.label
            assert cell.protection.locked and cell.fill.fgColor.rgb.endswith("EDEDED")
        else:
            assert not cell.protection.locked, col.label
    assert ws[f"{letter_of(ws, '年采购额(万元)')}2"].number_format == "#,##0.00"
    assert ws[f"{letter_of(ws, '建档日期')}2"].number_format == "yyyy-mm-dd"
    assert ws[f"{letter_of(ws, '客户编号')}2"].number_format == "@"  # ids typed as text keep their zeros


def test_conditional_formats_grade_overdue_and_check():
    ws = openpyxl.load_workbook(COMMITTED / "rep_workbook.xlsx")["客户档案"]
    ranges = {str(r.sqref).split(":")[0][:-1]: [rule.formula for rule in r.rules] for r in ws.conditional_formatting}
    assert letter_of(ws, "客户等级") in ranges and letter_of(ws, "下次拜访") in ranges and letter_of(ws, "校验") in ranges
    assert "TODAY()" in ranges[letter_of(ws, "下次拜访")][0][0]


def test_kpi_template_follows_the_contract():
    wb = openpyxl.load_workbook(COMMITTED / "kpi_sheet.xlsx")
    assert wb.sheetnames == ["考核指标", "团队", "参数"]
    assert headers(wb["考核指标"]) == [c.label for c in KPI_INPUTS.columns]
    assert headers(wb["团队"]) == [c.label for c in TEAM.columns]
    params = {r[0]: r[1] for r in wb["参数"].iter_rows(min_row=2, values_only=True)}  # by Chinese label
    assert params["A级·最低评估得分"] == 80 and params["销售计划完成率·满分"] == 25
    assert wb.defined_names["kam_grade_a"].attr_text == "参数!$B$3"


def udf_calls(path: Path) -> int:
    """How many Python calls a full recalculation of the workbook makes: one per UDF in a formula cell."""
    wb = openpyxl.load_workbook(path)
    calls = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value.text if hasattr(cell.value, "text") else cell.value
                if isinstance(value, str) and value.startswith("="):
                    calls += len(UDF.findall(value))
    return calls


@pytest.mark.slow
def test_udf_calls_do_not_grow_with_the_rows(tmp_path):
    empty = udf_calls(COMMITTED / "rep_workbook.xlsx")
    write_demo_team(tmp_path, DemoOptions(reps=1, customers=2000, visits=50, mistakes=False))
    [filled] = [p for p in tmp_path.glob("*.xlsx") if p.name != "kpi.xlsx"]
    assert 1 <= empty <= 20
    assert udf_calls(filled) == empty  # 2,000 customers, still the same handful of calls
    assert udf_calls(COMMITTED / "kpi_sheet.xlsx") <= 20


def test_filled_template_reads_back_without_problems(tmp_path):
    files = write_demo_team(tmp_path, DemoOptions(reps=2, customers=30, visits=60, mistakes=False))
    for path in files:
        if path.name == "kpi.xlsx":
            book = read_kpi_workbook(path)
            assert book.all_problems() == [] and len(book.kpi.frame) == 6
        else:
            book = read_rep_workbook(path)
            assert book.all_problems() == []
            assert book.sheets["customers"].counts["accepted"] == 30


def test_empty_template_reads_back_empty():
    book = read_rep_workbook(COMMITTED / "rep_workbook.xlsx")
    assert all(s.read == 0 for s in book.sheets.values())
    assert [p.code for p in book.all_problems()] == ["no_rep_name"]


@pytest.mark.parametrize("spec", [CONTACTS, VISIT_PLAN, DAILY_REPORT])
def test_customer_pickers_show_the_customers_name_beside_the_id(spec):
    ws = openpyxl.load_workbook(COMMITTED / "rep_workbook.xlsx")[spec.name]
    cell = ws[f"{letter_of(ws, '客户名称')}2"]
    assert letter_of(ws, "客户名称") == openpyxl.utils.get_column_letter(headers(ws).index("客户编号") + 2)
    assert cell.value.startswith('=IF(') and "INDEX(tblCustomers[客户名称],MATCH(" in cell.value
    assert cell.protection.locked and cell.fill.fgColor.rgb.endswith("EDEDED")


def test_amount_cells_accept_what_their_prompt_offers():
    ws = openpyxl.load_workbook(COMMITTED / "rep_workbook.xlsx")["客户档案"]
    letter = letter_of(ws, "年采购额(万元)")
    [rule] = [v for v in ws.data_validations.dataValidation if str(v.sqref).startswith(letter)]
    assert "可写 12.5万" in rule.prompt
    assert rule.type == "custom" and '"万"' in rule.formula1 and '"元"' in rule.formula1 and "12.5万" in rule.error


def _comments(path, sheet: str) -> dict[str, str]:
    """Header label → the header cell's comment."""
    return {c.value: c.comment.text for c in openpyxl.load_workbook(path)[sheet][1] if c.comment}


def test_help_texts_quote_the_settings_the_workbook_is_built_with(tmp_path):
    from kamxl.settings import DEFAULTS
    from kamxl.kpi_workbook import build_kpi_workbook
    from kamxl.templates import build_rep_workbook

    def texts(path):
        wb = openpyxl.load_workbook(path)
        comments = _comments(path, "客户档案")
        notes = [c.value for c in wb["说明"]["B"] if isinstance(c.value, str)]
        return comments, notes

    comments, notes = texts(COMMITTED / "rep_workbook.xlsx")  # the handbook's numbers
    assert "A≥80 B≥60 C≥40 否则 D" in comments["客户等级"]
    assert "A 30 天，B 60 天，C 90 天" in comments["下次拜访"]
    assert "优秀 ≥90，良好 ≥75，合格 ≥60" in _comments(COMMITTED / "kpi_sheet.xlsx", "考核指标")["预估评级"]
    assert any("A ≥ 80，B ≥ 60，C ≥ 40" in n for n in notes) and any("A 30 天、B 60 天、C 90 天" in n for n in notes)

    director = DEFAULTS.model_copy(update={"grade_a": 85, "grade_b": 62.5, "cadence_a": 20, "rating_excellent": 95})
    comments, notes = texts(build_rep_workbook(tmp_path / "r.xlsx", settings=director))
    assert "A≥85 B≥62.5 C≥40 否则 D" in comments["客户等级"]
    assert "A 20 天，B 60 天，C 90 天" in comments["下次拜访"]
    kpi = build_kpi_workbook(tmp_path / "kpi.xlsx", settings=director)
    assert "优秀 ≥95，良好 ≥75，合格 ≥60" in _comments(kpi, "考核指标")["预估评级"]
    assert any("A ≥ 85，B ≥ 62.5，C ≥ 40" in n for n in notes) and any("A 20 天、B 60 天、C 90 天" in n for n in notes)


@pytest.mark.parametrize("bad", ["KAM_LIST_INDUSTRY", "AB12", "kam list", "R1C1", "1kam"])
def test_a_defined_name_excel_would_refuse_is_refused(tmp_path, bad):
    """Names ignore case in Excel, may not look like a cell (AB12, R1C1) nor hold a space or start with a digit."""
    import warnings

    import xlsxwriter

    from kamxl.templates import define_names

    wb = xlsxwriter.Workbook(str(tmp_path / "names.xlsx"))
    define_names(wb, {"kam_list_industry": '={"","制造"}'})
    with warnings.catch_warnings(), pytest.raises(ValueError, match=f"not a name Excel accepts here: {bad}"):
        warnings.simplefilter("ignore")  # xlsxwriter warns before refusing
        define_names(wb, {bad: "=1"})
    wb.close()
    assert openpyxl.load_workbook(tmp_path / "names.xlsx").defined_names["kam_list_industry"].attr_text == '{"","制造"}'
