"""Writing large tables fast: xlsxwriter lays the workbook out, the table bodies are streamed as XML.

xlsxwriter writes about 130,000 cells a second; a 50-rep roll-up holds millions, so writing them
cell by cell would dominate the run (see benchmarks/consolidate.py). Here xlsxwriter still writes
everything that needs care — styles, table definitions, widths, frozen panes, conditional formats,
charts, the small sheets — and each big table's body rows are generated directly as sheet XML
and spliced into the file xlsxwriter produced. Text cells are inline strings, so no text from a
workbook can ever become a formula.
"""

import io
import math
import os
import re
import secrets
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ..schema import UNGRADED, Column, ColType
from .atomic import atomic_path
from .isolation import Background, can_fork

try:
    from isal import isal_zlib as _isal_zlib
except ImportError:  # zlib then, slower
    _isal_zlib = None

_EPOCH = date(1899, 12, 30).toordinal()
# XML 1.0 forbids most control characters; & < > must be escaped
_XML_TABLE = ({i: None for i in range(32) if i not in (9, 10, 13)} | {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
              | {i: "\ufffd" for i in (*range(0xD800, 0xE000), 0xFFFE, 0xFFFF)})  # lone surrogates: a non-UTF-8 file name
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "amount": "#,##0.00", "int": "0", "percent": "0.0%", "score": "0.0",
                   "number": "General", "text": None, "bool": None}
ROWS_PER_CHUNK = 4096
EXCEL_TEXT_LIMIT = 32767  # characters a cell may hold; longer text makes Excel "repair" the file
HEADER_FORMAT = {"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                 "border": 1}  # every kamxl workbook's table headers
GRADE_COLOURS = {"A": "#C6EFCE", "B": "#DDEBF7", "C": "#FFF2CC", "D": "#EDEDED", UNGRADED: "#FCE4D6"}  # grade cells, everywhere


_KIND_OF_TYPE = {ColType.DATE: "date", ColType.AMOUNT: "amount", ColType.INTEGER: "int", ColType.FACTOR: "int",
                 ColType.YES_NO: "bool"}


def column_kind(col: Column) -> str:
    """How a schema column's cells are shown: completeness as a percent, the value score to one decimal, else by type."""
    if col.key == "completeness":
        return "percent"
    if col.key == "value_score":
        return "score"
    return _KIND_OF_TYPE.get(col.type, "text")


@dataclass
class Col:
    header: str
    kind: str = "text"  # text | int | amount | number | score | percent (a fraction) | date | bool
    width: float = 12


@dataclass
class Table:
    sheet: str
    name: str
    columns: list[Col]
    data: list[Sequence] = field(default_factory=list)  # column-major: data[j][i] is row i of column j
    style: str = "Table Style Medium 2"
    freeze: tuple[int, int] = (1, 0)
    conditional: list[tuple[str, dict]] = field(default_factory=list)  # (range, xlsxwriter options)
    blocks: Callable[[], Iterable[list[Sequence]]] | None = None  # instead of `data`: column-major blocks, in order
    length: int = 0  # the rows `blocks` gives, in all

    @property
    def rows(self) -> int:
        if self.blocks is not None:
            return self.length
        return len(self.data[0]) if self.data else 0

    def bodies(self) -> Iterable[list[Sequence]]:
        """The body as column-major blocks (one when the table holds its `data`)."""
        return self.blocks() if self.blocks is not None else [self.data]


def _text_cell(value) -> str:
    text = str(value)[:EXCEL_TEXT_LIMIT]
    if not text.isprintable() or "&" in text or "<" in text or ">" in text:  # what XML forbids is never printable
        text = text.translate(_XML_TABLE)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


_ROW = "\x00"  # where a cell's row number goes: a character no cell can hold (the XML table drops it)
_ROW_BYTES = _ROW.encode()
_NUMBERS = {bool, int, float}


class _ColumnEncoder:
    """Turns a column's values into each cell's whole XML in UTF-8, its row number left as `_ROW` (b'' for a blank).

    Each distinct value is encoded once (and kept while the column is written, up to a bound), so
    the per-cell work is a dictionary lookup done by `map`, not Python code.
    """

    def __init__(self, kind: str, style: int | None, letter: str = "A"):
        self.kind = kind
        self.s = f' s="{style}"' if style else ""
        self.head = f'<c r="{letter}{_ROW}"'
        self.cache: dict = {}

    def _cell(self, v) -> str:
        """One value's cell ('' when the cell stays blank)."""
        s = self.s
        if self.kind in ("text", "bool"):
            if v is None or v != v or v == "":  # v != v: NaN
                return ""
            return self.head + s + _text_cell(("是" if v else "否") if isinstance(v, bool) else v)
        if self.kind == "date":
            if v is None or not isinstance(v, (date, datetime)):
                return "" if v is None or v != v else self.head + s + _text_cell(v)
            day = v.date() if isinstance(v, datetime) else v
            return f"{self.head}{s}><v>{day.toordinal() - _EPOCH}</v></c>"
        if v is None or v != v or isinstance(v, bool):
            return ""
        if isinstance(v, float):
            return f"{self.head}{s}><v>{v!r}</v></c>" if math.isfinite(v) else self.head + s + _text_cell(v)
        if isinstance(v, int):
            return f"{self.head}{s}><v>{v}</v></c>"
        return self.head + s + _text_cell(v)

    def encode(self, values: Sequence) -> list[bytes]:
        values = values.tolist() if hasattr(values, "tolist") else values if isinstance(values, list) else list(values)
        distinct = dict.fromkeys(values)
        if len(_NUMBERS.intersection(map(type, distinct))) > 1:
            # True, 1 and 1.0 are equal keys but different cells: key such a column by type too
            keys = list(zip(map(type, values), values))
            distinct = dict.fromkeys(keys)
            cell = lambda key: self._cell(key[1])  # noqa: E731
        else:
            keys, cell = values, self._cell
        cache = self.cache
        if len(cache) > 8192:  # repeated values (stages, grades, dates) come back; the rest need not stay
            cache.clear()
        for key in distinct:
            if key not in cache:
                cache[key] = cell(key).encode("utf-8")
        return list(map(cache.__getitem__, keys))


def unique_headers(headers) -> list[str]:
    """Table headers made unique (Excel refuses a table with two equal ones): a repeat gets ' (2)', ' (3)'…"""
    seen: set[str] = set()
    out = []
    for header in headers:
        name, n = str(header), 1
        while name.casefold() in seen:
            n += 1
            name = f"{header} ({n})"
        seen.add(name.casefold())
        out.append(name)
    return out


def _last_cell(table: Table) -> str:
    return f"{xl_col_to_name(len(table.columns) - 1)}{max(table.rows, 1) + 1}"  # a table keeps one body row


def _deepen_table(xml: str, depth: dict[str, str]) -> str:
    """Give a table definition (xl/tables/tableN.xml) the range of its streamed body."""
    name = re.search(r'\bname="([^"]+)"', xml)
    if not name or name.group(1) not in depth:
        return xml
    return re.sub(r'ref="A1:[A-Z]+\d+"', f'ref="A1:{depth[name.group(1)]}"', xml)


class StreamingWorkbook:
    """An xlsxwriter workbook whose big tables are streamed in at close; written atomically."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # xlsxwriter's own file (written at close) lives in the system's temp folder, never beside the output
        self._layout = Path(tempfile.gettempdir()) / f"kamxl-layout-{os.getpid()}-{secrets.token_hex(6)}.xlsx"
        self.wb = xlsxwriter.Workbook(str(self._layout), {"strings_to_formulas": False, "strings_to_numbers": False,
                                                          "strings_to_urls": False})
        self.header_format = self.wb.add_format(HEADER_FORMAT)
        self._formats = {kind: self.wb.add_format({"num_format": fmt}) if fmt else None
                         for kind, fmt in NUMBER_FORMATS.items()}
        self._streamed: dict[int, Table] = {}

    def format(self, kind: str):
        return self._formats.get(kind)

    def add_table(self, table: Table):
        """A sheet holding one Excel table; its body is streamed at close."""
        ws = self.wb.add_worksheet(table.sheet)
        columns = [{"header": h, "header_format": self.header_format} for h in unique_headers(c.header for c in table.columns)]
        # declared one row deep: xlsxwriter checks overlaps cell by cell (seconds and a GB for millions of
        # cells); the real depth is set in the table's XML when the body is spliced in
        ws.add_table(0, 0, 1, len(table.columns) - 1, {"name": table.name, "columns": columns, "style": table.style})
        for j, col in enumerate(table.columns):
            ws.set_column(j, j, col.width, self._formats.get(col.kind))
        ws.freeze_panes(*table.freeze)
        ws.set_row(0, 30)
        for cell_range, options in table.conditional:
            if isinstance(options.get("format"), dict):
                options = options | {"format": self.wb.add_format(options["format"])}
            ws.conditional_format(cell_range, options)
        self._streamed[len(self.wb.worksheets())] = table
        return ws

    def close(self):
        """Finish the layout, splice the table bodies in, and move the result into place."""
        # xf indices are fixed when a format is first used; ask for them now so the streamed cells agree
        styles = {kind: (fmt._get_xf_index() if fmt is not None else None) for kind, fmt in self._formats.items()}
        helpers = _Helpers()
        try:
            self.wb.close()
            with atomic_path(self.path) as tmp, zipfile.ZipFile(self._layout) as src, \
                    zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
                depth = {t.name: _last_cell(t) for t in self._streamed.values()}
                bodies = {}
                for info in src.infolist():
                    match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
                    table = self._streamed.get(int(match.group(1))) if match else None
                    if table is not None:
                        bodies[info.filename] = (src.read(info.filename).decode("utf-8"), table)
                # the biggest tables are made by forked helpers while this process makes the others (README: Performance)
                helpers.start({name: body for name, body in bodies.items() if body[1].rows >= PARALLEL_ROWS}, styles)
                for info in src.infolist():
                    if info.filename in bodies:
                        if not helpers.copy_into(dst, info.filename):
                            xml, table = bodies[info.filename]
                            with _member_writer(dst, info.filename) as out:
                                for chunk in _member_chunks(xml, table, styles):
                                    out.write(chunk)
                        continue
                    data = src.read(info.filename)
                    if info.filename.startswith("xl/tables/"):
                        data = _deepen_table(data.decode("utf-8"), depth).encode("utf-8")
                    dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
        finally:
            helpers.stop()
            self._layout.unlink(missing_ok=True)


def _member_chunks(xml: str, table: Table, styles: dict) -> Iterator[bytes]:
    """A streamed sheet's whole XML in pieces: xlsxwriter's sheet with the table's body rows put in."""
    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{_last_cell(table)}"/>', xml, count=1)
    head, tail = xml.split("</sheetData>", 1)
    encoders = [_ColumnEncoder(col.kind, styles.get(col.kind), xl_col_to_name(j)) for j, col in enumerate(table.columns)]
    yield head.encode("utf-8")
    done = 0
    for block in table.bodies():
        length = len(block[0]) if block else 0
        for first in range(0, length, ROWS_PER_CHUNK):
            columns = [enc.encode(values[first:first + ROWS_PER_CHUNK]) for enc, values in zip(encoders, block)]
            # a row is its cells' bytes joined, the row number put in once: no Python code runs per cell
            rows = [b'<row r="%d">%s</row>' % (i, b"".join(cells).replace(_ROW_BYTES, b"%d" % i))
                    for i, cells in enumerate(zip(*columns), start=done + first + 2)]
            yield b"".join(rows)
        done += length
    if done != table.rows:  # the table's range and <dimension> were written for `rows`
        raise ValueError(f"{table.name}: {done} rows streamed, {table.rows} declared")
    yield ("</sheetData>" + tail).encode("utf-8")


def _compressor():
    """Raw deflate at level 1, as the roll-up's members are written: ISA-L when installed, else zlib."""
    if _isal_zlib is not None:
        return _isal_zlib.compressobj(1, _isal_zlib.DEFLATED, -15)
    return zlib.compressobj(1, zlib.DEFLATED, -15)


def _member_writer(dst: zipfile.ZipFile, name: str):
    """A deflated member of `dst` open for writing; compressed by ISA-L at level 1 when it is installed.

    ISA-L's level 1 deflates the roll-up's sheets about 4× faster than zlib's level 1 and a little
    smaller (README: Performance); any deflate stream is a valid zip member, so zipfile only needs
    its compressor swapped.
    """
    out = dst.open(name, "w", force_zip64=True)
    if _isal_zlib is not None and hasattr(out, "_compressor"):
        out._compressor = _compressor()
    return out


PARALLEL_ROWS = 20_000  # a table this long is made by a helper process when the machine has a second core


class _AsIs:
    """A 'compressor' handing on bytes already deflated (a helper's member)."""

    def compress(self, data):
        return data

    def flush(self):
        return b""


def _deflate_member(xml: str, table: Table, styles: dict, path: str) -> tuple[int, int]:
    """The member's deflated bytes to `path` (in a helper process); its CRC-32 and size unpacked."""
    compressor, crc, size = _compressor(), 0, 0
    with open(path, "wb") as fh:
        for chunk in _member_chunks(xml, table, styles):
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
            fh.write(compressor.compress(chunk))
        fh.write(compressor.flush())
    return crc, size


def _copies_deflated() -> bool:
    """Whether this Python's zipfile writes a member the way `_Helpers.copy_into` relies on (private attributes)."""
    with zipfile.ZipFile(io.BytesIO(), "w", zipfile.ZIP_DEFLATED) as probe, probe.open("probe", "w") as out:
        return all(hasattr(out, a) for a in ("_compressor", "_crc", "_file_size", "_compress_size"))


class _Helpers:
    """Forked processes (`isolation.Background`) each making one big member, deflated, in a temporary file the
    writer copies in. Anything that goes wrong in a helper leaves the member to the writer itself, so the file is
    the same either way; where no helper can run (`can_fork`), the writer makes every member.
    """

    def __init__(self):
        self.running: dict[str, tuple[Background, str]] = {}

    def start(self, bodies: dict[str, tuple[str, Table]], styles: dict):
        if not bodies or not can_fork() or not _copies_deflated():
            return
        for name, (xml, table) in bodies.items():
            fd, path = tempfile.mkstemp(prefix=f"kamxl-member-{os.getpid()}-", suffix=".deflate")
            os.close(fd)
            self.running[name] = (Background(_deflate_member, xml, table, styles, path), path)

    def copy_into(self, dst: zipfile.ZipFile, name: str) -> bool:
        """Copy a helper's member into `dst` (False: no helper made it; the caller makes it)."""
        if name not in self.running:
            return False
        helper, path = self.running[name]
        found = helper.result(here=False)
        if found is None:
            return False
        crc, size = found
        out = dst.open(name, "w", force_zip64=True)
        out._compressor = _AsIs()
        with open(path, "rb") as fh:
            while chunk := fh.read(4 << 20):
                out.write(chunk)
        out._crc, out._file_size = crc, size  # what the member holds unpacked, not the deflated bytes written
        out.close()
        return True

    def stop(self):
        for helper, path in self.running.values():
            helper.stop()
            Path(path).unlink(missing_ok=True)
        self.running.clear()
