from datetime import date

import pydantic
import pytest

from kamxl.io.inputs.reader import read_rep_workbook
from kamxl.schema import CONTACTS, CUSTOMERS, DAILY_REPORT, KPI_INPUTS, REP_SHEETS, TEAM, VISIT_PLAN, row_model
from tests.conftest import customer


@pytest.mark.parametrize("sheet", [*REP_SHEETS, KPI_INPUTS, TEAM])
def test_labels_and_keys_are_unique(sheet):
    assert len({c.label for c in sheet.columns}) == len({c.key for c in sheet.columns}) == len(sheet.columns)


@pytest.mark.parametrize("sheet, required", [
    (CUSTOMERS, ["客户编号", "客户名称", "行业", "开发阶段", "建档日期"]),
    (CONTACTS, ["客户编号", "姓名"]),
    (VISIT_PLAN, ["计划日期", "客户编号"]),
    (DAILY_REPORT, ["日期", "客户编号", "拜访结果"]),
    (KPI_INPUTS, ["期间", "代表姓名"]),
    (TEAM, ["代表姓名"]),
])
def test_required_labels_are_the_contracts(sheet, required):
    assert [c.label for c in sheet.required] == required


def test_row_model_types_an_accepted_row(rep_workbook):
    frame = read_rep_workbook(rep_workbook([customer("010020", **{"年采购额(万元)": "12.5万", "预算": "是"})])).sheets["customers"].frame
    record = {k: v for k, v in frame.iloc[0].to_dict().items()}
    row = row_model(CUSTOMERS).model_validate(record)
    assert (row.customer_id, row.annual_purchase, row.man_money, row.created_on) == ("010020", 12.5, True, date(2026, 3, 1))
    assert row_model(CUSTOMERS).model_fields["customer_id"].title == "客户编号"
    with pytest.raises(pydantic.ValidationError):
        row_model(CUSTOMERS).model_validate({"customer_id": "KA-1"})  # required values missing


@pytest.mark.parametrize("sheet", [*REP_SHEETS, KPI_INPUTS, TEAM], ids=lambda s: s.key)
def test_an_alias_names_one_column_of_its_sheet(sheet):
    # issue 17: a header variant must never be read as another column (after the reader's folding, case aside)
    from kamxl.rows import _fold

    owners: dict[str, set[str]] = {}
    for c in sheet.columns:
        for name in (c.label, c.key, *c.aliases):
            owners.setdefault(_fold(name).lower(), set()).add(c.key)
    assert {name: keys for name, keys in owners.items() if len(keys) > 1} == {}
    for c in sheet.columns:  # an alias that folds to the label or key itself would be said as a mapping of nothing
        assert not {_fold(a).lower() for a in c.aliases} & {_fold(c.label).lower(), c.key.lower()}, c.key


def test_the_aliases_reps_really_write_are_declared():
    assert {"拜访日期", "拜访时间"} <= set(DAILY_REPORT.column("date").aliases)
    assert {"建档时间", "建档日"} <= set(CUSTOMERS.column("created_on").aliases)
    assert {"客户名", "客户"} <= set(CUSTOMERS.column("name").aliases)
    assert {"编号", "客户ID"} <= set(CUSTOMERS.column("customer_id").aliases)
    assert "联系电话" in CUSTOMERS.column("phone").aliases
    assert {"手机号", "手机号码"} <= set(CONTACTS.column("mobile").aliases)
    assert "年采购额" in CUSTOMERS.column("annual_purchase").aliases
    assert "费用" in DAILY_REPORT.column("expense").aliases
