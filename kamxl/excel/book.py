"""The small workbook interface the button handlers use, and its file-backed implementation (openpyxl).

`excel/macros.py` implements the same interface over xlwings for a workbook open in Excel; the tests
drive the handlers through `FileBook` on real files — a fake, not a mock. Rows and columns are 1-based.
"""

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Protocol


class Workbook(Protocol):
    path: Path

    def snapshot(self) -> contextlib.AbstractContextManager[Path]:
        """A file holding the workbook as it is now (unsaved edits included), for the readers."""

    def sheet_names(self) -> list[str]: ...

    def values(self, sheet: str) -> list[list]:
        """The sheet's cells from A1 to its last used cell."""

    def set_values(self, sheet: str, row: int, col: int, rows: list[list]) -> None: ...

    def clear_rows(self, sheet: str, first_row: int) -> None:
        """Clear values and hyperlinks from `first_row` down."""

    def set_fill(self, sheet: str, cells: Iterable[tuple[int, int]], colour: str | None) -> None: ...

    def set_link(self, sheet: str, row: int, col: int, target: str) -> None:
        """Make the cell a hyperlink: a file path, or `#'Sheet'!C5` inside the workbook."""

    def ensure_sheet(self, sheet: str) -> None: ...

    def grow_table(self, sheet: str, last_row: int) -> None:
        """Make the sheet's table reach at least `last_row`."""

    def message(self, text: str) -> None: ...

    def open_file(self, path: Path) -> None: ...

    def save(self) -> None: ...


class FileBook:
    """A workbook file edited with openpyxl (VBA and buttons kept); messages and opened files are recorded."""

    def __init__(self, path: str | Path):
        import openpyxl

        self.path = Path(path)
        self.wb = openpyxl.load_workbook(self.path, keep_vba=self.path.suffix.lower() == ".xlsm")
        self.messages: list[str] = []
        self.opened: list[Path] = []
        self._changed = False

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Path]:
        if not self._changed:
            yield self.path
            return
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / self.path.name
            self.wb.save(copy)
            yield copy

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def values(self, sheet: str) -> list[list]:
        return [list(row) for row in self.wb[sheet].iter_rows(values_only=True)]

    def set_values(self, sheet: str, row: int, col: int, rows: list[list]) -> None:
        ws = self.wb[sheet]
        for r, values in enumerate(rows, start=row):
            for c, value in enumerate(values, start=col):
                cell = ws.cell(r, c)
                cell.value = value
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text from a workbook is never written as a formula
        self._changed = True

    def clear_rows(self, sheet: str, first_row: int) -> None:
        ws = self.wb[sheet]
        for row in ws.iter_rows(min_row=first_row):
            for cell in row:
                cell.value = None
                cell.hyperlink = None
        self._changed = True

    def set_fill(self, sheet: str, cells: Iterable[tuple[int, int]], colour: str | None) -> None:
        from openpyxl.styles import PatternFill

        fill = PatternFill("solid", fgColor=colour.lstrip("#")) if colour else PatternFill(fill_type=None)
        ws = self.wb[sheet]
        for row, col in cells:
            ws.cell(row, col).fill = fill
        self._changed = True

    def set_link(self, sheet: str, row: int, col: int, target: str) -> None:
        from openpyxl.worksheet.hyperlink import Hyperlink

        cell = self.wb[sheet].cell(row, col)
        if target.startswith("#"):
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target[1:])
        else:
            cell.hyperlink = target
        self._changed = True

    def ensure_sheet(self, sheet: str) -> None:
        if sheet not in self.wb.sheetnames:
            self.wb.create_sheet(sheet)
            self._changed = True

    def grow_table(self, sheet: str, last_row: int) -> None:
        from openpyxl.utils.cell import range_boundaries, get_column_letter

        for table in self.wb[sheet].tables.values():
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            assert min_col and max_col and max_row  # a table's ref is a whole range (A1:F9), never A:F
            if max_row < last_row:
                table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{last_row}"
                if table.autoFilter is not None:
                    table.autoFilter.ref = table.ref
                self._changed = True

    def message(self, text: str) -> None:
        self.messages.append(text)

    def open_file(self, path: Path) -> None:
        self.opened.append(Path(path))

    def save(self) -> None:
        """Write the workbook back atomically (a temporary sibling renamed into place)."""
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        try:
            self.wb.save(tmp)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
