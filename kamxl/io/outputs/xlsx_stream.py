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
import pickle
import re
import secrets
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Iterator, Sequence

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ...rollup_schema import column_kind  # noqa: F401 (templates and the writer take it from here)
from ...schema import UNGRADED
from .atomic import atomic_path
from ..inputs.excel_file import LIMITS
from ..machinery.isolation import Spawned, can_fork

_isal_zlib: ModuleType | None
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
CELLS_PER_CHUNK = 64 * ROWS_PER_CHUNK  # a wider table's chunks hold fewer rows (a rep's 16,384 columns: 16)
EXCEL_TEXT_LIMIT = 32767  # UTF-16 units a cell may hold (an emoji is 2); longer text makes Excel "repair" the file
HEADER_FORMAT = {"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                 "border": 1}  # every kamxl workbook's table headers
GRADE_COLOURS = {"A": "#C6EFCE", "B": "#DDEBF7", "C": "#FFF2CC", "D": "#EDEDED", UNGRADED: "#FCE4D6"}  # grade cells, everywhere


# whole values of these kinds show without decimals (20,000 and 17, not 20,000.00 and 17.0): their own style
WHOLE_FORMATS = {"amount": "#,##0", "score": "0"}


def _whole(kind: str) -> str:
    """The style key of a kind's whole values."""
    return f"{kind}:whole"


WRAPPED = "text:wrap"  # the style key of a wrapping text column's cells
TOP = ":top"  # a style key's variant aligned to the top: every cell of a table with a wrapping column (its rows grow)
LINE_HEIGHT = 16  # points a wrapped line takes (CJK type at 11 pt)


def text_lines(text: str | None, width: int) -> int:
    """Lines a wrapped cell needs (CJK characters are two columns wide): rows do not grow by themselves in print."""
    columns = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text or "")
    return max(1, -(-columns // max(width, 1)))


@dataclass
class Col:
    header: str
    kind: str = "text"  # text | int | amount | number | score | percent (a fraction) | date | bool
    width: float = 12
    prints: bool = True  # on the printed page (a director reads it); a table prints up to its last such column
    wraps: bool = False  # long text wraps in the cell, its row as deep as it needs (a row does not grow in print)


@dataclass
class Table:
    sheet: str
    name: str
    columns: list[Col]
    data: Sequence[Sequence] = field(default_factory=list)  # column-major: data[j][i] is row i of column j
    style: str = "Table Style Medium 2"
    freeze: tuple[int, int] = (1, 0)
    conditional: list[tuple[str, dict]] = field(default_factory=list)  # (range, xlsxwriter options)
    # instead of `data`: the body in column-major blocks, in order, each as (its rows, what loads it), so that
    # any run of blocks can be written on its own (a file's detail rows from disk, a slice of a frame)
    blocks: list[tuple[int, Callable[[], Sequence[Sequence]]]] | None = None

    @property
    def rows(self) -> int:
        if self.blocks is not None:
            return sum(n for n, _ in self.blocks)
        return len(self.data[0]) if self.data else 0

    def pieces(self) -> list[tuple[int, Callable[[], Sequence[Sequence]]]]:
        """The body's blocks as (rows, loader): one when the table holds its `data`."""
        return self.blocks if self.blocks is not None else [(self.rows, lambda: self.data)]

    def bodies(self) -> Iterable[Sequence[Sequence]]:
        """The body as column-major blocks, loaded one at a time."""
        return (load() for _, load in self.pieces())


class Portable:
    """A block loader that may be sent to a helper process as it is (small to pickle, its module cheap to import):
    what it loads is read there, from disk. Any other loader's block is loaded here and stored in a file first."""

    def __call__(self) -> Sequence[Sequence]:
        raise NotImplementedError


@dataclass
class Stored(Portable):
    """A block pickled to a file (column-major lists)."""

    path: str

    def __call__(self) -> Sequence[Sequence]:
        with open(self.path, "rb") as fh:
            return pickle.load(fh)


def excel_text(text: str, limit: int = EXCEL_TEXT_LIMIT) -> str:
    """`text` cut to `limit` UTF-16 units, as Excel counts a cell's length (a character past U+FFFF is 2 units),
    never between the two halves of such a character."""
    if len(text) <= limit // 2:  # no character is more than 2 units
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) <= 2 * limit:
        return text
    cut = units[:2 * limit]
    if 0xD800 <= int.from_bytes(cut[-2:], "little") <= 0xDBFF:  # the first half of a pair: not the character
        cut = cut[:-2]
    return cut.decode("utf-16-le", "surrogatepass")


def _text_cell(value) -> str:
    text = excel_text(str(value))
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

    def __init__(self, kind: str, style: int | None, letter: str = "A", whole: int | None = None):
        self.kind = kind
        self.s = f' s="{style}"' if style else ""
        self.whole = f' s="{whole}"' if whole else self.s  # a whole amount or score: no decimals shown
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
            if not math.isfinite(v):
                return self.head + s + _text_cell(v)
            return f"{self.head}{self.whole if v.is_integer() else s}><v>{v!r}</v></c>"
        if isinstance(v, int):
            return f"{self.head}{self.whole}><v>{v}</v></c>"
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
        # in_memory: xlsxwriter's packager would otherwise write each part to an unnamed temporary of the system's
        # temp folder, left behind when Ctrl-C or SIGTERM comes while it closes (the layout's parts are small)
        self.wb = xlsxwriter.Workbook(str(self._layout), {"strings_to_formulas": False, "strings_to_numbers": False,
                                                          "strings_to_urls": False, "in_memory": True})
        self.header_format = self.wb.add_format(HEADER_FORMAT)
        self._formats = {kind: self.wb.add_format({"num_format": fmt}) if fmt else None
                         for kind, fmt in NUMBER_FORMATS.items()}
        self._formats |= {_whole(kind): self.wb.add_format({"num_format": fmt}) for kind, fmt in WHOLE_FORMATS.items()}
        self._formats[WRAPPED] = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self._formats |= {kind + TOP: self.wb.add_format({"valign": "top"} | ({"num_format": fmt} if fmt else {}))
                          for kind, fmt in (NUMBER_FORMATS | {_whole(k): f for k, f in WHOLE_FORMATS.items()}).items()}
        # xf indices are given out as formats are first used, and none is used before these: asked for now, the
        # streamed cells' styles are known before the layout is made (so bodies can be made while it is)
        self.styles = {kind: (fmt._get_xf_index() if fmt is not None else None) for kind, fmt in self._formats.items()}
        self._streamed: dict[int, Table] = {}
        self._helpers = _Helpers()

    def format(self, kind: str):
        return self._formats.get(kind)

    def add_table(self, table: Table):
        """A sheet holding one Excel table; its body is streamed at close."""
        ws = self.wb.add_worksheet(table.sheet)
        columns = [{"header": h, "header_format": self.header_format} for h in unique_headers(c.header for c in table.columns)]
        # declared one row deep: xlsxwriter checks overlaps cell by cell (seconds and a GB for millions of
        # cells); the real depth is set in the table's XML when the body is spliced in
        ws.add_table(0, 0, 1, len(table.columns) - 1, {"name": table.name, "columns": columns, "style": table.style})
        top = _aligned_top(table)
        for j, col in enumerate(table.columns):
            ws.set_column(j, j, col.width, self._formats.get(_style_key(col, top)))
        ws.freeze_panes(*table.freeze)
        # the header's labels wrap: its row is as deep as the longest label needs (a row does not grow in print)
        lines = max((text_lines(c.header, int(c.width) - 1) for c in table.columns if c.prints), default=1)
        ws.set_row(0, max(30, 16 * lines + 2))
        for cell_range, options in table.conditional:
            if isinstance(options.get("format"), dict):
                options = options | {"format": self.wb.add_format(options["format"])}
            ws.conditional_format(cell_range, options)
        self._streamed[len(self.wb.worksheets())] = table
        return ws

    def make_ahead(self, tables: Iterable[Table | None]):
        """Start making the bodies of the big tables among `tables` in helper processes, while the layout is made.

        The tables must be added (`add_table`) before `close`; one not made ahead is made at close, as is one
        whose helper failed.
        """
        self._helpers.start([t for t in tables if t is not None and t.rows >= PARALLEL_ROWS
                             and t.name not in self._helpers.where], self.styles)

    def abort(self):
        """Give up the workbook: stop the helpers making bodies ahead and remove their files (nothing is written)."""
        self._helpers.stop()
        self._layout.unlink(missing_ok=True)

    def close(self):
        """Finish the layout, splice the table bodies in, and move the result into place."""
        helpers, styles = self._helpers, self.styles
        try:
            self.make_ahead(self._streamed.values())  # the big tables not made ahead yet: now, while xlsxwriter writes
            self.wb.close()
            with atomic_path(self.path) as tmp, zipfile.ZipFile(self._layout) as src, \
                    zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
                depth = {t.name: _last_cell(t) for t in self._streamed.values()}
                for info in src.infolist():
                    match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
                    table = self._streamed.get(int(match.group(1))) if match else None
                    if table is not None:
                        xml = src.read(info.filename).decode("utf-8")
                        if not helpers.copy_into(dst, info.filename, xml, table):
                            stream_member(dst, info.filename, lambda out, xml=xml, table=table: _write_all(
                                out, _member_chunks(xml, table, styles)), fast=True)
                        continue
                    data = src.read(info.filename)
                    if info.filename.startswith("xl/tables/"):
                        data = _deepen_table(data.decode("utf-8"), depth).encode("utf-8")
                    dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
        finally:
            helpers.stop()
            self._layout.unlink(missing_ok=True)


def _write_all(out, chunks: Iterable[bytes]):
    for chunk in chunks:
        out.write(chunk)


def _head_and_tail(xml: str, table: Table) -> tuple[bytes, bytes]:
    """xlsxwriter's sheet around where the body rows go, its <dimension> the streamed table's."""
    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{_last_cell(table)}"/>', xml, count=1)
    head, tail = xml.split("</sheetData>", 1)
    return head.encode("utf-8"), ("</sheetData>" + tail).encode("utf-8")


def _member_chunks(xml: str, table: Table, styles: dict) -> Iterator[bytes]:
    """A streamed sheet's whole XML in pieces: xlsxwriter's sheet with the table's body rows put in."""
    head, tail = _head_and_tail(xml, table)
    yield head
    yield from _body_chunks(table, styles, table.pieces(), 2)
    yield tail


def _body_chunks(table: Table, styles: dict, blocks: list, first_row: int) -> Iterator[bytes]:
    """The body rows of `blocks` (a run of the table's) as sheet XML, the first numbered `first_row`.

    Each block must hold the rows it was declared with: the table's range and <dimension> were written for them.
    """
    top = _aligned_top(table)
    encoders = [_ColumnEncoder(col.kind, styles.get(_style_key(col, top)), xl_col_to_name(j),
                               styles.get(_style_key(col, top, _whole(col.kind)))) for j, col in enumerate(table.columns)]
    wrapped = [(j, int(col.width) - 1) for j, col in enumerate(table.columns) if col.wraps]
    done, step = first_row, max(1, min(ROWS_PER_CHUNK, CELLS_PER_CHUNK // max(1, len(encoders))))
    for rows, load in blocks:
        block = load()
        length = len(block[0]) if block else 0
        if length != rows:
            raise ValueError(f"{table.name}: a block of {length} rows, {rows} declared")
        for first in range(0, length, step):
            columns = [enc.encode(values[first:first + step]) for enc, values in zip(encoders, block)]
            # a row is its cells' bytes joined, the row number put in once: no Python code runs per cell
            numbered = enumerate(zip(*columns), start=done + first)
            if not wrapped:
                yield b"".join([b'<row r="%d">%s</row>' % (i, b"".join(cells).replace(_ROW_BYTES, b"%d" % i))
                                for i, cells in numbered])
                continue
            heads = _row_heads(block, wrapped, first, len(columns[0]) if columns else 0)
            yield b"".join([heads[k] % i + b"".join(cells).replace(_ROW_BYTES, b"%d" % i) + b"</row>"
                            for k, (i, cells) in enumerate(numbered)])
        done += length


def _aligned_top(table: Table) -> bool:
    """Whether the table's cells are aligned to the top: it has a wrapping column (a row two lines deep reads as one
    row). Asked once a table, not once a column: a rep's 16,384-column sheet made that 268 million looks."""
    return any(c.wraps for c in table.columns)


def _style_key(col: Col, top: bool, kind: str | None = None) -> str:
    """The style of a column's cells: by its kind (or `kind`), aligned to the top in a table with a wrapping column
    (`top`: `_aligned_top`), the wrapping column's own wrapped."""
    if col.wraps:
        return WRAPPED
    kind = kind or col.kind
    return kind + TOP if top else kind


def _row_heads(block: Sequence[Sequence], wrapped: list[tuple[int, int]], first: int, count: int) -> list[bytes]:
    """Each row's opening tag (its number left as %d) in a table with wrapping columns (`wrapped`: their index and
    width): a row whose text needs more than one line is given the height of its lines."""
    heads = []
    for k in range(first, first + count):
        lines = max(text_lines(block[j][k] if isinstance(block[j][k], str) else None, width) for j, width in wrapped)
        heads.append(b'<row r="%%d" ht="%d" customHeight="1">' % (LINE_HEIGHT * lines) if lines > 1 else b'<row r="%d">')
    return heads


def _compressor():
    """Raw deflate at level 1, as the roll-up's members are written: ISA-L when installed, else zlib."""
    if _isal_zlib is not None:
        return _isal_zlib.compressobj(1, _isal_zlib.DEFLATED, -15)
    return zlib.compressobj(1, zlib.DEFLATED, -15)


ZIP64_LIMIT = zipfile.ZIP64_LIMIT  # 2 GiB - 1: past it zipfile writes a member's sizes in a ZIP64 extra field


class _NeedsZip64(Exception):
    """A member streamed without ZIP64 fields grew past `ZIP64_LIMIT`: it is written again with them."""


class _Counted:
    """A member's write handle that stops a member growing past `limit` bytes unpacked (`_NeedsZip64`)."""

    def __init__(self, out, limit: int | None):
        self.out, self.limit, self.size = out, limit, 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise _NeedsZip64
        return self.out.write(data)


def stream_member(dst: zipfile.ZipFile, name: str, produce: Callable[[Any], None], fast: bool = False,
                  limit: int = ZIP64_LIMIT):
    """Write a deflated member of `dst` whose size is not known ahead: `produce(out)` writes its bytes to `out`.

    ZIP64 only where needed, as Excel and zipfile's own non-forced mode write a member: its local header
    then carries the real 32-bit sizes, version 2.0 and no extra field, as the central directory does.
    Only a member growing past 2 GiB unpacked (none within the roll-up's limits) needs ZIP64: it is then
    cut off, and written again from the start with ZIP64 fields (`produce` is called a second time),
    which the central directory then carries too. `fast`: ISA-L's deflate when it is installed
    (`_member_writer`).
    """
    start = dst.start_dir  # where the member's local header goes: the file is cut back to it on a retry
    try:
        with _member_writer(dst, name, fast) as out:
            produce(_Counted(out, limit))
        return
    except _NeedsZip64:
        pass
    # the member was closed with what it held by then: take it out of the archive and the file
    dst.filelist.pop()
    del dst.NameToInfo[name]
    assert dst.fp is not None  # open for writing
    dst.fp.seek(start)
    dst.fp.truncate()
    dst.start_dir = start
    with _member_writer(dst, name, fast, zip64=True) as out:
        produce(out)


def _member_writer(dst: zipfile.ZipFile, name: str, fast: bool = True, zip64: bool = False):
    """A deflated member of `dst` open for writing; compressed by ISA-L at level 1 when it is installed (`fast`).

    ISA-L's level 1 deflates the roll-up's sheets about 4× faster than zlib's level 1 and a little
    smaller (README: Performance); any deflate stream is a valid zip member, so zipfile only needs
    its compressor swapped.
    """
    out = dst.open(name, "w", force_zip64=zip64)
    if fast and _isal_zlib is not None and hasattr(out, "_compressor"):
        out._compressor = _compressor()
    return out


PARALLEL_ROWS = 20_000  # a table this long is made by a helper process when the machine has a second core


class _AsIs:
    """A 'compressor' handing on bytes already deflated (a helper's member)."""

    def compress(self, data):
        return data

    def flush(self):
        return b""


SEGMENTS_PER_HELPER = 4  # a helper's share in pieces, so that the helpers' loads come out even


def _deflate_segments(jobs: list[tuple[Table, int]], styles: dict, paths: list[str]) -> list[tuple[int, int]]:
    """Each segment's body rows (a table holding only the segment's blocks, and its first row number) deflated (no final
    block: more follows) to its path; their CRC-32s and sizes unpacked."""
    assert _isal_zlib is not None  # helpers deflate only with ISA-L (`start`)
    found = []
    for (table, first_row), path in zip(jobs, paths):
        compressor, crc, size = _compressor(), 0, 0
        with open(path, "wb") as fh:
            for chunk in _body_chunks(table, styles, table.pieces(), first_row):
                crc, size = _isal_zlib.crc32(chunk, crc), size + len(chunk)
                fh.write(compressor.compress(chunk))
            fh.write(compressor.flush(_isal_zlib.Z_SYNC_FLUSH))  # ends on a byte: the next segment's bytes follow
        found.append((crc, size))
    return found


def _portable_segment(table: Table, start: int, stop: int, stored: list[str]) -> Table:
    """A table holding only the blocks `start:stop` of `table`, each loader portable (`Portable`): a block whose loader
    is not is loaded here, one at a time, and pickled to a temporary file (its path added to `stored`)."""
    blocks: list[tuple[int, Callable[[], Sequence[Sequence]]]] = []
    for rows, load in table.pieces()[start:stop]:
        if not isinstance(load, Portable):
            fd, path = tempfile.mkstemp(prefix=f"kamxl-member-{os.getpid()}-", suffix=".pkl")
            stored.append(path)
            columns = [values.tolist() if hasattr(values, "tolist") else list(values) for values in load()]
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(columns, fh, protocol=pickle.HIGHEST_PROTOCOL)
            del columns
            load = Stored(path)
        blocks.append((rows, load))
    return Table(table.sheet, table.name, table.columns, blocks=blocks)


def _segments(table: Table, parts: int) -> list[tuple[int, int, int]]:
    """The table's blocks in about `parts` runs of similar length: (first block, end block, first row number)."""
    blocks = table.pieces()
    target = max(1, table.rows // max(1, parts))
    runs, start, rows, first_row = [], 0, 0, 2
    for i, (n, _) in enumerate(blocks):
        rows += n
        if rows >= target or i == len(blocks) - 1:
            runs.append((start, i + 1, first_row))
            start, first_row, rows = i + 1, first_row + rows, 0
    return runs


def _cost(table: Table, start: int, stop: int, first_row: int) -> int:
    """About how long a segment takes to make: its cells."""
    return sum(n for n, _ in table.pieces()[start:stop]) * len(table.columns)


def _copies_deflated() -> bool:
    """Whether this Python's zipfile writes a member the way `_Helpers.copy_into` relies on (private attributes)."""
    with zipfile.ZipFile(io.BytesIO(), "w", zipfile.ZIP_DEFLATED) as probe, probe.open("probe", "w") as out:
        return all(hasattr(out, a) for a in ("_compressor", "_crc", "_file_size", "_compress_size"))


HELPER_MEMORY = 96 << 20  # what a helper holds at most: a fresh interpreter (~35 MB) and one block being deflated


def helper_count(budget: int, held: int, cores: int, each: int = HELPER_MEMORY) -> int:
    """How many helper processes may make table bodies: one per core (up to 4), as many as the run's memory `budget`
    leaves room for beside what this process `held` (0: the writer makes every table itself)."""
    return max(0, min(cores, 4, (budget - held) // each))


def _held() -> int:
    """The memory this process holds now (its PSS; 0 where /proc cannot tell)."""
    try:
        with open("/proc/self/smaps_rollup") as fh:
            return next(int(line.split()[1]) << 10 for line in fh if line.startswith("Pss:"))
    except (OSError, StopIteration, ValueError):
        return 0


class _Helpers:
    """Fresh processes (`isolation.Spawned`: no page of this heap shared, so none copied) making the big tables'
    bodies, deflated, in temporary files.

    Each big table is cut into runs of its blocks (segments); the segments are shared out among as many helpers as
    the machine has cores (up to 4) and the run's memory budget leaves room for (`helper_count`), the costliest
    first to the least loaded, so that they finish together. Each segment is deflated on its own and ends without
    a final block, so a member is xlsxwriter's head, its segments and the tail one after another, its CRC-32
    combined from theirs. If anything goes wrong in a helper, the members it had a part in are made by the writer
    itself, so the file is the same either way; where no helper can run, the writer makes every member. A helper
    reads its blocks from disk (`Portable`): a block held only in this process's memory is pickled to a temporary
    file for it first.
    """

    def __init__(self) -> None:
        self.jobs: list[tuple[Spawned, list[str]]] = []  # a helper, and the files of its segments
        self.stored: list[str] = []  # blocks pickled for the helpers
        self.made: dict[int, list[tuple[int, int]] | None] = {}  # helper → its segments' (CRC-32, size), once known
        self.where: dict[str, list[tuple[int, int]]] = {}  # table name → (helper, segment), in the order of the rows
        self.tables: dict[str, Table] = {}  # table name → the table made ahead (the one written must be it)

    def start(self, tables: list[Table], styles: dict):
        if not tables or not can_fork() or not _copies_deflated() or _isal_zlib is None:
            return
        count = helper_count(LIMITS.memory_budget, _held(), os.cpu_count() or 1)
        if not count:
            return
        segments = [(table, *run) for table in tables for run in _segments(table, count * SEGMENTS_PER_HELPER)]
        shares: list[list[tuple]]
        loads, shares = [0] * count, [[] for _ in range(count)]
        for segment in sorted(segments, key=lambda g: -_cost(*g)):
            helper = loads.index(min(loads))
            loads[helper] += _cost(*segment)
            shares[helper].append(segment)
        places = []
        for share in filter(None, shares):
            paths = []
            try:
                for _ in share:
                    fd, path = tempfile.mkstemp(prefix=f"kamxl-member-{os.getpid()}-", suffix=".deflate")
                    paths.append(path)
                    os.close(fd)
            except OSError:  # no temporary file to be had: the writer makes every table itself
                for path in paths:
                    Path(path).unlink(missing_ok=True)
                self.stop()
                return
            try:
                jobs = [(_portable_segment(table, start, stop, self.stored), first_row)
                        for table, start, stop, first_row in share]
            except OSError:  # no room for the stored blocks: the writer makes every table itself
                for path in paths:
                    Path(path).unlink(missing_ok=True)
                self.stop()
                return
            # a helper that cannot be started makes nothing (`result` None): its tables are then made by the writer
            self.jobs.append((Spawned(_deflate_segments, jobs, styles, paths), paths))
            places += [(table.name, first_row, len(self.jobs) - 1, j) for j, (table, _, _, first_row) in enumerate(share)]
        for name, _, helper, j in sorted(places, key=lambda place: place[:2]):
            self.where.setdefault(name, []).append((helper, j))
        self.tables.update({table.name: table for table in tables})

    def _made(self, helper: int) -> list[tuple[int, int]] | None:
        if helper not in self.made:
            self.made[helper] = self.jobs[helper][0].result()
        return self.made[helper]

    def copy_into(self, dst: zipfile.ZipFile, name: str, xml: str, table: Table) -> bool:
        """Put a table's member made ahead into `dst` (False: it was not, or a helper failed; the caller makes it)."""
        places = self.where.get(table.name, [])
        if not places or self.tables.get(table.name) is not table or any(self._made(helper) is None for helper, _ in places):
            return False
        head, tail = _head_and_tail(xml, table)
        assert _isal_zlib is not None  # tables are made ahead only with ISA-L (`start`)
        head_deflated, tail_deflated = _deflated(head, _isal_zlib.Z_SYNC_FLUSH), _deflated(tail, _isal_zlib.Z_FINISH)
        # both sizes are known before a byte is written: ZIP64 fields only if the member needs them (never
        # within the roll-up's limits), so that the local header agrees with the central directory's
        totals = {helper: self.made[helper] or [] for helper, _ in places}  # none is None: checked above
        unpacked = len(head) + len(tail) + sum(totals[h][j][1] for h, j in places)
        packed = len(head_deflated) + len(tail_deflated) + sum(
            os.path.getsize(self.jobs[h][1][j]) for h, j in places)
        zip64 = unpacked > ZIP64_LIMIT or packed > ZIP64_LIMIT
        out: Any = dst.open(name, "w", force_zip64=zip64)  # zipfile's private _ZipWriteFile: its compressor and totals are set
        out._compressor = _AsIs()
        crc, size = _isal_zlib.crc32(head), len(head)
        out.write(head_deflated)
        for helper, j in places:
            with open(self.jobs[helper][1][j], "rb") as fh:
                while chunk := fh.read(4 << 20):
                    out.write(chunk)
            made = self.made[helper]
            assert made is not None  # checked above: no helper failed
            piece_crc, piece_size = made[j]
            crc, size = _isal_zlib.crc32_combine(crc, piece_crc, piece_size), size + piece_size
        out.write(tail_deflated)
        crc, size = _isal_zlib.crc32_combine(crc, _isal_zlib.crc32(tail), len(tail)), size + len(tail)
        out._crc, out._file_size = crc, size  # what the member holds unpacked, not the deflated bytes written
        out.close()
        return True

    def stop(self):
        for helper, paths in self.jobs:
            helper.stop()
            for path in paths:
                Path(path).unlink(missing_ok=True)
        for path in self.stored:
            Path(path).unlink(missing_ok=True)
        self.stored.clear()
        self.jobs.clear()
        self.made.clear()
        self.where.clear()
        self.tables.clear()


def _deflated(data: bytes, mode: int) -> bytes:
    compressor = _compressor()
    return compressor.compress(data) + compressor.flush(mode)
