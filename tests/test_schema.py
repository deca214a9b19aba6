from datetime import date

import pydantic
import pytest

from kamxl.io.reader import read_rep_workbook
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
