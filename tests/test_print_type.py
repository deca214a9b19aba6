"""The roll-up and a scorecard on paper: every page LibreOffice prints reads at 6 pt type or more, whole numbers
print without decimals, and the detail sheets print the columns a director reads."""

import re
import unicodedata
from pathlib import Path

import openpyxl
import pdfplumber
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from tests.pdf_type import READABLE_PT, SOFFICE, page_heads, page_type_sizes, print_pdf

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice,
              pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")]
TITLE = "大客户部月度汇总 2026-10"
WHOLE_WITH_DECIMALS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.0+(?![\d%])")  # 17.0, 20,000.00 (not 85.0%)


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The README's demo: `kamxl demo team`, then `kamxl consolidate`; the roll-up and one scorecard as PDF."""
    from kamxl.io.inputs.rollup_reader import read_rollup
    from kamxl.scorecard import rep_card, scorecard_workbook

    tmp = tmp_path_factory.mktemp("print")
    runner = CliRunner()
    for args in (["demo", str(tmp / "team")],
                 ["consolidate", str(tmp / "team"), "--period", "2026-10", "--out", str(tmp / "rollup-2026-10.xlsx")]):
        result = runner.invoke(main, ["--lang", "zh", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    rollup = tmp / "rollup-2026-10.xlsx"
    digest = read_rollup(rollup)
    card = tmp / "card.xlsx"
    card.write_bytes(scorecard_workbook(rep_card(digest, digest.results[0].rep)))
    return {"xlsx": rollup, "rollup": print_pdf(rollup, tmp / "pdf"), "card": print_pdf(card, tmp / "pdf")}


def _texts(pdf: Path) -> list[str]:
    with pdfplumber.open(pdf) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def _sheets(pdf: Path) -> dict[str | None, str]:
    """The text printed for each sheet, its pages joined."""
    out: dict[str | None, str] = {}
    for head, text in zip(page_heads(pdf, TITLE), _texts(pdf)):
        out[head] = out.get(head, "") + text
    return out


def test_every_page_of_the_rollup_reads_at_6_pt_or_more(printed):
    sizes = page_type_sizes(printed["rollup"])
    heads = page_heads(printed["rollup"], TITLE)
    small = [(n, h, s) for n, (h, s) in enumerate(zip(heads, sizes), start=1) if s is not None and s < READABLE_PT]
    assert small == []  # 43 of 74 pages under 6 pt (2.6 pt the smallest) when every column was squeezed in


def test_the_scorecard_reads_at_6_pt_or_more(printed):
    sizes = page_type_sizes(printed["card"])
    assert len(sizes) == 1 and sizes[0] >= READABLE_PT


def test_whole_numbers_print_without_decimals(printed):
    card = _texts(printed["card"])[0]
    assert WHOLE_WITH_DECIMALS.findall(card) == []
    pages = _sheets(printed["rollup"])
    assert WHOLE_WITH_DECIMALS.findall(pages["客户总表"]) == []
    # a whole 年采购额 from the roll-up itself prints as a whole number on its customer's line
    ws = openpyxl.load_workbook(printed["xlsx"], read_only=True)["客户总表"]
    rows = list(ws.iter_rows(values_only=True))
    amount = rows[0].index("年采购额(万元)")
    cid, whole = next((r[1], r[amount]) for r in rows[1:] if isinstance(r[amount], float) and r[amount].is_integer())
    lines = " | ".join(ln for ln in pages["客户总表"].splitlines() if cid in ln)
    assert re.search(rf"(?<![\d.,]){int(whole):,}(?![\d.])", lines) and f"{whole:,.2f}" not in lines, (cid, whole, lines)


def test_a_detail_sheet_prints_what_a_director_reads_not_where_a_row_came_from(printed):
    pages = _sheets(printed["rollup"])
    assert "客户名称" in pages["客户总表"] and "来源文件" not in pages["客户总表"]
    assert "问题" in pages["数据问题"] and "被拒收行的全部原始内容" not in pages["数据问题"]


def _width(text: str) -> int:
    """Columns a text takes (a CJK character two), by hand: not the writer's own count."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_a_long_problem_message_wraps_in_its_row_and_prints_whole(printed):
    """The 问题 column (64 wide) wraps: a message wider than it prints whole, its row two lines deep (it was cut at
    the column's edge on paper); a short message's row keeps the default height."""
    ws = openpyxl.load_workbook(printed["xlsx"])["数据问题"]  # not read-only: row heights and alignment
    at = [c.value for c in ws[1]].index("问题") + 1
    messages = {r: ws.cell(r, at).value or "" for r in range(2, ws.max_row + 1)}
    long = {r: m for r, m in messages.items() if _width(m) > 63}
    assert long and len(long) < len(messages)  # the demo's 行业 messages list every industry: 94 columns
    for r, message in messages.items():
        if r in long:
            assert ws.cell(r, at).alignment.wrap_text and ws.row_dimensions[r].height >= 2 * 15, (r, message)
        else:
            assert ws.row_dimensions[r].height is None, (r, message)
    printed_text = "".join(_sheets(printed["rollup"])["数据问题"].split())
    for message in set(long.values()):
        assert "".join(message.split())[-5:] in printed_text, message  # its end is on paper (its last line)
