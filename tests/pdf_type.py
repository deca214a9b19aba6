"""Printing a workbook as LibreOffice does and measuring the type on each printed page.

`print_pdf` converts a workbook to PDF with LibreOffice headless (a private profile per call, so parallel
runs never share one); `page_type_sizes` gives, per page, the smallest effective type size in points: the
font size times the text matrix's scale, as the reader sees it on paper (pdfplumber's char `size`).
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
READABLE_PT = 6.0  # the smallest type a printed page may carry


def print_pdf(workbook: Path, out: Path) -> Path:
    """`workbook` printed to PDF by LibreOffice into `out` (every sheet, as its page setup asks)."""
    assert SOFFICE is not None, "LibreOffice (soffice) is not installed"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        result = subprocess.run([SOFFICE, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                                 "--convert-to", "pdf", "--outdir", str(out), str(workbook)],
                                capture_output=True, text=True, timeout=600)
    pdf = out / (workbook.stem + ".pdf")
    assert result.returncode == 0 and pdf.exists(), f"LibreOffice did not print {workbook.name}: {result.stderr}"
    return pdf


def page_type_sizes(pdf: Path) -> list[float | None]:
    """The smallest effective type size (pt) on each page; None for a page without text (a chart alone)."""
    import pdfplumber

    sizes: list[float | None] = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            chars = [c["size"] for c in page.chars if c["text"].strip()]
            sizes.append(round(min(chars), 2) if chars else None)
    return sizes


def page_heads(pdf: Path, title: str) -> list[str | None]:
    """Each page's sheet name: the last word of the page header line that carries `title`."""
    import pdfplumber

    heads: list[str | None] = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            line = next((ln for ln in (page.extract_text() or "").splitlines() if title in ln), None)
            heads.append(re.split(r"\s+", line.strip())[-1] if line else None)
    return heads


def small_pages(pdf: Path, limit: float = READABLE_PT) -> list[tuple[int, float]]:
    """(page number, its smallest type) of every page printed below `limit` points."""
    return [(n, s) for n, s in enumerate(page_type_sizes(pdf), start=1) if s is not None and s < limit]
