"""Reading last period's roll-up (`--previous`): who kept which customer, in which stage."""

from dataclasses import dataclass
from pathlib import Path

from .. import parsing
from ..schema import Column, Sheet
from .excel_file import open_workbook, sheet_rows
from .reader import check_rows

CUSTOMER_SHEET = "客户总表"
REP_LABEL = "代表"

# the columns of 客户总表 that churn needs; written by io/rollup_writer.py under the same labels
_PREVIOUS = Sheet("previous_customers", CUSTOMER_SHEET, (
    Column("rep", REP_LABEL, required=True),
    Column("customer_id", "客户编号", required=True),
    Column("name", "客户名称"),
    Column("stage", "开发阶段"),
))


@dataclass(frozen=True)
class PreviousAccount:
    rep: str
    customer_id: str
    stage: str | None


def read_previous_accounts(path: str | Path) -> list[PreviousAccount]:
    """The accounts of a previous roll-up's 客户总表 (UnreadableWorkbook if it cannot be opened)."""
    book = open_workbook(path)
    try:
        rows, first = sheet_rows(book, CUSTOMER_SHEET)
    finally:
        book.close()
    frame = check_rows(_PREVIOUS, rows, first, Path(path).name).frame
    return [PreviousAccount(rep, cid, parsing.clean_text(stage))
            for rep, cid, stage in zip(frame["rep"], frame["customer_id"], frame["stage"])]
