"""Builders of real workbooks for the tests: written with openpyxl, as a hand-made file would be."""

from datetime import date
from pathlib import Path

import openpyxl
import pytest

CUSTOMER_HEADER = ["客户编号", "客户名称", "行业", "开发阶段", "建档日期"]


@pytest.fixture(autouse=True)
def _messages_in_chinese_unless_asked(monkeypatch):
    """Tests read Chinese messages unless they choose English (--lang en, or setenv): whatever KAMXL_LANG the suite
    runs under. monkeypatch restores the environment after each test."""
    monkeypatch.delenv("KAMXL_LANG", raising=False)


def write_workbook(path: Path, sheets: dict[str, list[list]], rep: str | None = "张伟") -> Path:
    """A workbook with a 说明 sheet naming the rep and the given sheets' rows (first row usually the header)."""
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "说明"
    if rep is not None:
        info.append(["代表姓名", rep])
        info.append(["模板版本", "1.0"])
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula, as a rep's '= or a CSV import leaves it
    wb.save(path)
    return path


def customer(cid, name="华信精密机械有限公司", industry="制造", stage="合作", created=date(2026, 3, 1), **extra):
    return {"客户编号": cid, "客户名称": name, "行业": industry, "开发阶段": stage, "建档日期": created, **extra}


def rows_of(records: list[dict]) -> list[list]:
    """A header plus rows from dicts (label → value), columns in first-seen order."""
    header: list[str] = []
    for r in records:
        header += [k for k in r if k not in header]
    return [header] + [[r.get(h) for h in header] for r in records]


@pytest.fixture
def rep_workbook(tmp_path):
    def make(customers=(), contacts=(), visits=(), plans=(), rep="张伟", name="rep.xlsx"):
        sheets = {"客户档案": rows_of(list(customers)) if customers else [CUSTOMER_HEADER],
                  "联系人": rows_of(list(contacts)) if contacts else [["客户编号", "姓名"]],
                  "拜访计划": rows_of(list(plans)) if plans else [["计划日期", "客户编号"]],
                  "拜访日报": rows_of(list(visits)) if visits else [["日期", "客户编号", "拜访结果"]]}
        return write_workbook(tmp_path / name, sheets, rep)
    return make


def pytest_collection_modifyitems(items):
    """A LibreOffice test is a slow test: it starts soffice (seconds each), so the fast loop (-m "not slow") leaves it out."""
    for item in items:
        if item.get_closest_marker("libreoffice"):
            item.add_marker(pytest.mark.slow)


FUZZ_INPUTS = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, config):
    """How many inputs the reader's fuzz test ran (tests/test_fuzz_reader.py; KAMXL_FUZZ_EXAMPLES sets it)."""
    if FUZZ_INPUTS in config.stash:
        terminalreporter.write_line(f"fuzz of the reader: {config.stash[FUZZ_INPUTS]} inputs ran")
