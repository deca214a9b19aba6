"""LibreOffice headless opens every macro-enabled workbook, and the empty template rows print blank.

Printed twice: as LibreOffice opens a file by default (it shows the results cached in the file, as any viewer
that does not recalculate) and with every formula recalculated.
"""

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.test_libreoffice import ALWAYS_RECALCULATE

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = [pytest.mark.libreoffice, pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")]
ROOT = Path(__file__).resolve().parents[1]
XLSM = [ROOT / "workbook" / "kamxl.xlsm", ROOT / "templates" / "rep_workbook.xlsm", ROOT / "templates" / "rep_workbook_en.xlsm"]
REP_TEMPLATES = [ROOT / "templates" / "rep_workbook.xlsm", ROOT / "templates" / "rep_workbook.xlsx"]


def convert(paths: list[Path], fmt: str, out: Path, profile: Path, recalculate: bool) -> list[Path]:
    (profile / "user").mkdir(parents=True, exist_ok=True)
    if recalculate:
        (profile / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE, encoding="utf-8")
    result = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc",
                             "--convert-to", fmt, "--outdir", str(out), *map(str, paths)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    converted = [out / f"{p.stem}.{fmt}" for p in paths]
    assert all(p.exists() for p in converted), result.stdout + result.stderr
    return converted


def test_libreoffice_opens_every_xlsm_with_its_sheets(tmp_path):
    converted = convert(XLSM, "xlsx", tmp_path / "out", tmp_path / "profile", recalculate=True)
    for original, copy in zip(XLSM, converted):
        assert openpyxl.load_workbook(copy).sheetnames == openpyxl.load_workbook(original, keep_vba=True).sheetnames


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


@pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils (pdftotext) is not installed")
@pytest.mark.parametrize("recalculate", [False, True], ids=["as-saved", "recalculated"])
def test_empty_template_rows_print_blank(tmp_path, recalculate):
    for pdf in convert(REP_TEMPLATES, "pdf", tmp_path / "out", tmp_path / "profile", recalculate):
        pages = [p for p in page_texts(pdf) if p.strip()]
        assert "大客户经理工作簿" in pages[0] and "代表姓名" in pages[0]
        data_pages = pages[1:]  # the 说明 page explains 未评级 and 未校验 in words; every other page must be blank
        assert any("客户编号" in p for p in data_pages) and any("客户档案卡" in p for p in data_pages)
        for page in data_pages:
            words = page.split()
            for shown in ("0", "0.0", "0.00", "0%", "1899-12-30", "未评级", "#NAME?", "#VALUE!", "Err:502", "FALSE"):
                assert shown not in words, f"{pdf.name}: an empty row shows {shown!r}"
            assert "未校验" not in page and "不在客户档案中" not in page


@pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils (pdftotext) is not installed")
def test_instructions_fit_one_page(tmp_path):
    [pdf] = convert([REP_TEMPLATES[0]], "pdf", tmp_path / "out", tmp_path / "profile", recalculate=False)
    first = page_texts(pdf)[0]
    assert "新建拜访计划（按钮）" in first and "客户卡片" in first  # the whole 说明, buttons included, on page 1


def test_libreoffice_binds_every_button_to_its_macro_in_the_workbooks_vba(tmp_path):
    import re
    import zipfile

    from kamxl.excel import vba

    expected = {"kamxl": vba.DIRECTOR_BUTTONS, "rep_workbook": vba.REP_BUTTONS}
    sources = [ROOT / "workbook" / "kamxl.xlsm", ROOT / "templates" / "rep_workbook.xlsm"]
    for ods in convert(sources, "ods", tmp_path / "out", tmp_path / "profile", recalculate=False):
        with zipfile.ZipFile(ods) as z:
            content = z.read("content.xml").decode("utf-8")
            modules = {Path(n).stem for n in z.namelist() if n.startswith("Basic/VBAProject/")}
        buttons = re.findall(r'<form:button [^>]*form:label="([^"]+)".*?'
                             r'xlink:href="vnd\.sun\.star\.script:VBAProject\.KamButtons\.(\w+)\?language=Basic', content, re.S)
        assert sorted(buttons) == sorted((b.caption, b.macro) for b in expected[ods.stem])
        assert {"KamButtons", "KamPython", "xlwings", "xlwings_udfs", "Dictionary"} <= modules


@pytest.mark.parametrize("check_sheet, expected", [
    # Python cannot start (the VBA wrapper's answer), or is not there at all: the native checks answer
    ({"A1": "Could not activate Python COM server, hr = -2147221164"}, ["", "电话无效", ""]),
    ({"A1": "#KAMXL: ValueError: boom"}, ["", "电话无效", ""]),
    ({"A1": "校验", "A3": "电话：电话号码无效"}, ["", "电话：电话号码无效", ""]),  # KAM_CHECK ran: its full check wins
    ({"A1": "校验"}, ["", "", ""]),
    ({"A1": None}, ["", "电话无效", ""]),
])
def test_the_check_column_tells_a_check_that_ran_from_one_that_did_not(tmp_path, check_sheet, expected):
    from datetime import date

    from kamxl.templates import CHECK_SHEET, build_rep_workbook

    customers = [{"customer_id": f"K{i}", "name": f"客户{i}", "industry": "制造", "stage": "合作",
                  "created_on": date(2026, 3, 1), "phone": "12" if i == 2 else None} for i in (1, 2, 3)]
    built = build_rep_workbook(tmp_path / "rep.xlsx", rep="张伟", data={"customers": customers})
    wb = openpyxl.load_workbook(built)
    for cell, value in check_sheet.items():  # what KAM_CHECK's cell would hold in Excel
        wb[CHECK_SHEET][cell].value = value
    wb.save(built)
    [converted] = convert([built], "xlsx", tmp_path / "out", tmp_path / "profile", recalculate=True)
    ws = openpyxl.load_workbook(converted, data_only=True)["客户档案"]
    header = [c.value for c in ws[1]]
    shown = [ws.cell(r, header.index("校验") + 1).value or "" for r in (2, 3, 4)]
    assert shown == expected
