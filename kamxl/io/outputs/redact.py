"""A copy of a roll-up without the contacts' personal fields, rewritten inside the zip.

The copy is never round-tripped through openpyxl (which drops the native charts): every part
of the package is copied byte for byte except the sheets whose cells are blanked, and the
shared strings only those cells used.
"""

import io
import os
import re
import tempfile
import zipfile
from html import unescape
from pathlib import Path
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Callable
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_col_to_name

from ... import parsing
from ... import rollup_schema as rs
from ...schema import CONTACTS
from ..inputs.excel_file import ROLLUP_LIMITS, open_workbook, sheet_rows
from ...rows import find_header
from ..inputs.rollup_reader import header_spec
from .xlsx_stream import stream_member

PERSONAL_KEYS = ("mobile", "email", "birthday", "hobbies")  # 手机, 邮箱, 生日, 爱好: the person, not the company
PERSONAL_LABELS = tuple(CONTACTS.column(k).label for k in PERSONAL_KEYS)
RAW_ROW_SEPARATOR = rs.RAW_ROW_SEPARATOR  # 数据问题's 被拒收行的全部原始内容 joins label=value with it


def kept_labels() -> frozenset[str]:
    """What 联系人 keeps: the roll-up's declared columns but the personal ones. Any other column (a rep's own
    微信 or 住址, kept by the roll-up as an extra) is blanked too."""
    return frozenset(c.label for c in rs.CONTACT_TABLE.columns if c.key not in PERSONAL_KEYS)

_SHARED_REF = re.compile(r'<c r="[A-Z]+\d+"[^>]*?\bt="s"[^>]*>\s*<v>(\d+)</v>')
_SI = re.compile(r"<si>.*?</si>|<si/>", re.S)
SHARED_STRINGS = "xl/sharedStrings.xml"
_STYLE = re.compile(r'\ss="\d+"')
_ROW_END = "</row>"


@dataclass(frozen=True)
class SheetEdit:
    """The cells of some columns to change: `cell(row, column)`, both 0-based, gives None to keep a cell,
    "" to blank it, other text to put instead. Only cells of `columns` are looked at (a big sheet is fast)."""
    columns: frozenset[int]
    cell: Callable[[int, int], str | None]

    @cached_property
    def pattern(self) -> re.Pattern:
        letters = "|".join(xl_col_to_name(c) for c in sorted(self.columns)) or "(?!)"
        return re.compile(rf'<c r="({letters})(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)

    @cached_property
    def index(self) -> dict[str, int]:
        return {xl_col_to_name(c): c for c in self.columns}


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part name inside the package."""
    workbook = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {m.group(1): m.group(2) for m in re.finditer(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets |= {m.group(2): m.group(1) for m in re.finditer(r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)}
    parts = {}
    for m in re.finditer(r'<sheet\b([^>]*)/?>', workbook):
        name = re.search(r'\bname="([^"]*)"', m.group(1))
        rid = re.search(r'\br:id="([^"]*)"', m.group(1))
        if name and rid and rid.group(1) in targets:
            target = targets[rid.group(1)].lstrip("/")
            parts[unescape(name.group(1))] = target if target.startswith("xl/") else f"xl/{target}"
    return parts


def _edit_cells(text: str, edit: SheetEdit, blanked_shared: set[int]) -> str:
    def replace(m: re.Match) -> str:
        new = edit.cell(int(m.group(2)) - 1, edit.index[m.group(1)])
        if new is None:
            return m.group(0)
        shared = _SHARED_REF.match(m.group(0))
        if shared:
            blanked_shared.add(int(shared.group(1)))
        found_style = _STYLE.search(m.group(3))
        ref = m.group(1) + m.group(2)
        style = found_style.group(0) if found_style else ""
        if new == "":
            return f'<c r="{ref}"{style}/>'
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{escape(new)}</t></is></c>'
    return edit.pattern.sub(replace, text)


def _stream_edit(src: zipfile.ZipFile, part: str, edit: SheetEdit, out, blanked_shared: set[int],
                 kept_shared: set[int]):
    """Rewrite a sheet part row by row (memory bounded by the chunk), writing to `out` when given."""
    pending = ""
    with io.TextIOWrapper(src.open(part), encoding="utf-8") as fh:
        while True:
            chunk = fh.read(1 << 20)
            pending += chunk
            cut = pending.rfind(_ROW_END) + len(_ROW_END) if chunk else len(pending)
            if cut < len(_ROW_END) and chunk:
                continue
            done, pending = _edit_cells(pending[:cut], edit, blanked_shared), pending[cut:]
            kept_shared.update(int(i) for i in _SHARED_REF.findall(done))
            if out is not None:
                out.write(done.encode("utf-8"))
            if not chunk:
                return


def _contacts_edit(book) -> SheetEdit | None:
    """Blank the personal columns of 联系人 below its header."""
    if rs.CONTACT_SHEET not in book.sheet_names:
        return None
    rows, first = sheet_rows(book, rs.CONTACT_SHEET)
    header = find_header(rows, header_spec(rs.CONTACT_TABLE, ("customer_id", "name")))
    if header is None:
        return None
    index, _ = header
    header_row = first - 1 + index  # 0-based, as the cell references decode
    kept = kept_labels()
    columns = {i for i, label in enumerate(rows[index]) if parsing.clean_text(label) not in kept}
    return SheetEdit(frozenset(columns), lambda row, col: "" if row > header_row else None)


def _problems_edit(book) -> SheetEdit | None:
    """In 数据问题, the raw values of contacts' personal cells, and their label=value in a rejected row's contents."""
    table = rs.PROBLEM_TABLE
    if table.sheet not in book.sheet_names:
        return None
    rows, first = sheet_rows(book, table.sheet)
    header = find_header(rows, header_spec(table, keys=("sheet", "column", "value", "raw_row")))
    if header is None:
        return None
    index, mapping = header
    key_of = {c.label: c.key for c in table.columns}
    col = {key_of[label]: i for i, label in mapping.items()}
    kept = kept_labels()
    edits: dict[tuple[int, int], str] = {}
    for offset, row in enumerate(rows[index + 1:], start=first + index):  # offset: the 0-based row
        cell = lambda key: row[col[key]] if key in col and col[key] < len(row) else None
        if parsing.clean_text(cell("sheet")) != CONTACTS.name:  # a problem of a rep workbook's 联系人
            continue
        column = parsing.clean_text(cell("column"))
        if "value" in col and column and column not in kept and not parsing.is_blank(cell("value")):
            edits[(offset, col["value"])] = ""
        raw = cell("raw_row")
        if "raw_row" in col and isinstance(raw, str) and raw:
            parts = [part for part in raw.split(RAW_ROW_SEPARATOR) if part.split("=", 1)[0] in kept and "=" in part]
            if RAW_ROW_SEPARATOR.join(parts) != raw:
                edits[(offset, col["raw_row"])] = RAW_ROW_SEPARATOR.join(parts)
    return SheetEdit(frozenset(c for _, c in edits), lambda row, column: edits.get((row, column)))


def _blank_shared_strings(xml: str, orphaned: set[int]) -> str:
    counter = iter(range(1 << 62))
    return _SI.sub(lambda m: "<si><t></t></si>" if next(counter) in orphaned else m.group(0), xml)


def write_without_personal(rollup: str | Path, dest: str | Path) -> Path:
    """Copy the roll-up to `dest` with the contacts' mobile, e-mail, birthday and hobbies left out (atomically)."""
    rollup, dest = Path(rollup), Path(dest)
    book = open_workbook(rollup, ROLLUP_LIMITS)
    try:
        edits = {rs.CONTACT_SHEET: _contacts_edit(book), rs.PROBLEM_TABLE.sheet: _problems_edit(book)}
    finally:
        book.close()
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}-", suffix=".xlsx", dir=dest.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(rollup) as src:
            parts = _sheet_parts(src)
            edited = {parts[name]: edit for name, edit in edits.items() if edit is not None and name in parts}
            blanked: set[int] = set()
            kept: set[int] = set()
            for part, edit in edited.items():  # first pass: which shared strings only the blanked cells used
                _stream_edit(src, part, edit, None, blanked, kept)
            if blanked:
                for part in set(parts.values()) - set(edited):
                    with io.TextIOWrapper(src.open(part), encoding="utf-8") as fh:
                        kept.update(int(i) for i in _SHARED_REF.findall(fh.read()))
            orphaned = blanked - kept
            # level 1, as the roll-up writer streams its big sheets: a large roll-up is recompressed in seconds
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
                for info in src.infolist():
                    if info.filename in edited:
                        # ZIP64 fields only if the sheet grows past 2 GiB, as the roll-up writer streams its sheets
                        stream_member(dst, info.filename, partial(_stream_edit, src, info.filename, edited[info.filename],
                                                                  blanked_shared=set(), kept_shared=set()))
                    elif info.filename == SHARED_STRINGS and orphaned:
                        xml = _blank_shared_strings(src.read(info.filename).decode("utf-8"), orphaned)
                        dst.writestr(info.filename, xml.encode("utf-8"))
                    else:
                        # a fresh entry: a roll-up written before ZIP64 was dropped carries version 4.5 in its entries
                        entry = zipfile.ZipInfo(info.filename, info.date_time)
                        entry.external_attr = info.external_attr
                        dst.writestr(entry, src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; the copy is an ordinary file
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
