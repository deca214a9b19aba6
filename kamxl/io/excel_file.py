"""Opening a file as a workbook, or saying in one sentence why it cannot be opened."""

import zipfile
from pathlib import Path

import olefile
import python_calamine

from ..errors import UnreadableWorkbook

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def diagnose(path: Path) -> str | None:
    """Why a file is not a readable .xlsx/.xlsm (a message code), or None when it looks like one."""
    if path.name.startswith("~$"):
        return "lock_file"
    if not path.is_file():
        return "not_found"
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        return "empty_file"
    if head == _OLE_MAGIC:
        # an encrypted .xlsx is an OLE container holding EncryptionInfo + EncryptedPackage
        try:
            with olefile.OleFileIO(str(path)) as ole:
                if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
                    return "encrypted"
                if ole.exists("Workbook") or ole.exists("Book"):
                    return "legacy_xls"
        except OSError:
            return "corrupt"
        return "not_workbook"
    if head[:2] != b"PK":
        with path.open("rb") as fh:
            sample = fh.read(4096)
        # text (CSV saved as .xlsx, an HTML export) has no NUL bytes; binaries almost always do
        return "text_file" if b"\x00" not in sample else "not_workbook"
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
                return "not_workbook"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return "corrupt"
    return None


def open_workbook(path: str | Path) -> python_calamine.CalamineWorkbook:
    """The workbook behind `path`, or UnreadableWorkbook with its reason."""
    path = Path(path)
    reason = diagnose(path)
    if reason:
        raise UnreadableWorkbook(path, reason, skipped=reason == "lock_file")
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several kinds for damaged content
        raise UnreadableWorkbook(path, "corrupt") from exc


def sheet_rows(workbook: python_calamine.CalamineWorkbook, name: str) -> tuple[list[list], int]:
    """The sheet's cell values as rows, and the Excel row number of the first one."""
    sheet = workbook.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=True)
    start_row, start_col = sheet.start or (0, 0)
    if start_col:
        rows = [[""] * start_col + row for row in rows]
    return rows, start_row + 1


def workbook_sheet_names(path: str | Path) -> list[str]:
    """The sheet names of an .xlsx/.xlsm, read from workbook.xml alone (cheap: no cell is loaded)."""
    import re
    from html import unescape

    try:
        with zipfile.ZipFile(path) as zf:
            xml = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return []
    return [unescape(name) for name in re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', xml)]
