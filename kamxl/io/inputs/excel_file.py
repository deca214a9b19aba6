"""Opening a file as a workbook, or saying in one sentence why it cannot be opened.

This is the adapter to the file formats: every error of zipfile, olefile, XML or calamine is
turned here into an `UnreadableWorkbook` with a message code. A file is read into memory once
(its SHA-256 is that of the bytes read, whatever happens to the file afterwards) and checked
against `Limits` before calamine sees it, so a file that would take gigabytes or hours to
unpack is refused by its headers and its first bytes, not by running out of memory.
"""

import hashlib
import io
import os
import re
import zipfile
import zlib
from typing import Callable, Iterable
from dataclasses import dataclass
from html import unescape
from pathlib import Path, PurePosixPath
from types import ModuleType

import olefile
import python_calamine

_isal_zlib: ModuleType | None
try:
    from isal import isal_zlib as _isal_zlib
except ImportError:  # zlib then
    _isal_zlib = None
# a damaged deflate stream: ISA-L raises its own error where zlib raises zlib.error
_INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error,) + ((_isal_zlib.error,) if _isal_zlib is not None else ())

from ...errors import UnreadableWorkbook
from ...messages import Text, os_error_text

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What one input file may ask for; beyond any of these it is refused with its reason (README: Limits)."""

    file_bytes: int = 200 * MB  # the file on disk
    part_bytes: int = 256 * MB  # one member of the zip, unpacked
    total_bytes: int = 512 * MB  # all members, unpacked
    members: int = 10_000  # entries in the zip
    cells: int = 2_000_000  # a sheet's rows × columns, from its first used row and column A to its last
    seconds: float = 120.0  # reading one file
    # the memory of the whole run (main process and reading workers together): each worker's share is what the main
    # process's share leaves, split among the workers (isolation.worker_cap); a file that needs more is read again
    # alone, with all of it (batch.read_files)
    memory_budget: int = 1024 * MB
    main_share: int = 384 * MB
    worker_memory: int | None = None  # a fixed share per reading process instead (Linux; the last line of defence)


LIMITS = Limits()
# our own roll-ups may be far bigger than a rep's workbook (every visit of the department); where they are read
# (last period's, the one mailed) it is in an isolated worker or from the director's own output
ROLLUP_LIMITS = Limits(file_bytes=2 << 30, part_bytes=4 << 30, total_bytes=16 << 30, members=100_000, cells=100_000_000,
                       seconds=600, worker_memory=768 * MB)


@dataclass
class Package:
    """The bytes of one input file, as read once."""

    path: Path
    data: bytes
    sha256: str
    repaired: tuple[str, ...] = ()  # members whose character references XML forbids were replaced by U+FFFD


def locked_workbook(lock: Path) -> str:
    """The workbook an Excel owner file `~$…` stands beside: Excel names it after the workbook (for a long name,
    without the name's first two characters)."""
    rest = lock.name[2:]
    try:
        siblings = sorted(p.name for p in lock.parent.iterdir() if not p.name.startswith("~$"))
    except OSError:
        siblings = []
    return next((n for n in siblings if n == rest), None) or next((n for n in siblings if n.endswith(rest)), rest)


def load(path: str | Path, limits: Limits = LIMITS) -> Package:
    """The file's bytes and their SHA-256, or UnreadableWorkbook (lock file, missing, unreadable, too large)."""
    path = Path(path)
    if path.name.startswith("~$"):
        raise UnreadableWorkbook(path, "lock_file", skipped=True, workbook=locked_workbook(path))
    try:
        if not path.is_file():
            raise UnreadableWorkbook(path, "not_regular_file" if path.exists() else "not_found")
        with path.open("rb") as fh:
            # no more than the file's size is asked for (a read of the limit would reserve it all)
            data = fh.read(min(os.fstat(fh.fileno()).st_size, limits.file_bytes) + 1)
    except PermissionError as exc:
        raise UnreadableWorkbook(path, "no_permission") from exc
    except FileNotFoundError as exc:
        raise UnreadableWorkbook(path, "not_found") from exc
    except OSError as exc:
        raise UnreadableWorkbook(path, "os_error", detail=os_error_text(exc)) from exc
    if len(data) > limits.file_bytes:
        raise UnreadableWorkbook(path, "too_large_file", limit=limits.file_bytes // MB)
    return Package(path, data, hashlib.sha256(data).hexdigest())


def inspect(package: Package, limits: Limits = LIMITS, area: bool = True,
            only: Iterable[str] | None = None) -> tuple[str, ...]:
    """Raise UnreadableWorkbook when the bytes are not a workbook calamine may safely be given.

    Returns the members holding character references XML 1.0 forbids (`&#0;`, `&#xFFFF;`): they can be repaired.
    `area` False leaves each sheet's cell area unmeasured: the caller checks it as calamine places the cells
    (`sheet_rows(cells=…)`) inside a memory-capped worker, and measures it only when that worker dies (batch.py).
    `only`: the sheets that will be read; the parts of the workbook's other sheets are not unpacked (calamine never
    opens them), so finding last month's roll-up among twelve big ones reads a few kilobytes of each.
    """
    path, data = package.path, package.data
    if not data:
        raise UnreadableWorkbook(path, "empty_file")
    if data[:8] == _OLE_MAGIC:
        raise UnreadableWorkbook(path, _ole_kind(data))
    if data[:2] != b"PK":
        # text (CSV saved as .xlsx, an HTML export) has no NUL bytes; binaries almost always do
        raise UnreadableWorkbook(path, "text_file" if b"\x00" not in data[:4096] else "not_workbook")
    return _checked_zip(path, io.BytesIO(data), limits, area, only)


def _checked_zip(path: Path, source, limits: Limits, area: bool, only: Iterable[str] | None) -> tuple[str, ...]:
    """`_check_zip` of the zip in `source` (bytes in memory, or the file itself), its library errors a reason."""
    try:
        with zipfile.ZipFile(source) as zf:
            return _check_zip(path, zf, limits, area, None if only is None else set(only))
    except UnreadableWorkbook:
        raise
    except _ZIP_ERRORS as exc:
        raise UnreadableWorkbook(path, "corrupt_detail", detail=detail_of(exc)) from exc


_ZIP_ERRORS: tuple[type[Exception], ...] = (zipfile.BadZipFile, *_INFLATE_ERRORS, EOFError, ValueError, OSError, NotImplementedError, RuntimeError,
               KeyError, OverflowError, UnicodeDecodeError)


def _ole_kind(data: bytes) -> str:
    # an encrypted .xlsx is an OLE container holding EncryptionInfo + EncryptedPackage
    try:
        with olefile.OleFileIO(data) as ole:
            # types-olefile ties a stream name's type to the container's (bytes here); olefile takes str names
            if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):  # type: ignore[arg-type]
                return "encrypted"
            if ole.exists("Workbook") or ole.exists("Book"):  # type: ignore[arg-type]
                return "legacy_xls"
    except Exception:  # olefile raises OSError, ValueError, struct.error, IndexError… on a damaged container
        return "corrupt"
    return "not_workbook"


def detail_of(exc: BaseException) -> Text:
    """A library's exception as a short text in the user's words: the kind of damage, never the library's English
    (kept, with the exception's name, in the English text of what no kind fits)."""
    text = " ".join(str(exc).split())[:160]
    if isinstance(exc, OSError) and exc.errno:
        return os_error_text(exc)
    kind = type(exc).__name__
    lowered = text.lower()
    if "detect file format" in lowered:
        code = "detail_format"
    elif isinstance(exc, _INFLATE_ERRORS) or "decompress" in lowered or "crc" in lowered:
        code = "detail_inflate"
    elif isinstance(exc, EOFError) or "truncat" in lowered or "unexpected end" in lowered:
        code = "detail_truncated"
    elif isinstance(exc, zipfile.BadZipFile) or kind == "ZipError" or "zip" in lowered:
        code = "detail_zip"
    elif kind == "XmlError" or "xml" in lowered:
        code = "detail_xml"
    elif isinstance(exc, UnicodeError) or "utf" in lowered or "encoding" in lowered:
        code = "detail_encoding"
    elif kind == "WorksheetNotFound":
        code = "detail_missing_part"
    elif "shared strings" in lowered:
        code = "detail_shared_strings"
    elif "float" in lowered or "alphanumeric" in lowered or "cell" in lowered:
        code = "detail_cell"
    elif kind == "PanicException":
        code = "detail_panic"
    else:
        return Text.of("detail_other", kind=kind, text=text)
    return Text.of(code)


_XML_DANGER = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SHEET_ENTRY = re.compile(r'<(?:\w+:)?sheet\b[^>]*>')
_ATTR = re.compile(r'([\w:]+)\s*=\s*["\']([^"\']*)["\']')
# tags as any writer may spell them: a namespace prefix, either quote, spaces around '=', leading zeros.
# [^<>] keeps every match within one tag, so the scan stays linear whatever the bytes
_ANY_REF = re.compile(rb'\br\s*=\s*["\']\s*([A-Za-z]{1,3})0*([0-9]{1,7})')  # every cell's reference, empty ones' too
_BARE_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s>/])(?![^<>]*\br\s*=)")  # a cell placed by count
_TAG = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?(c|row)(?=[\s>/])([^<>]*?)(/?)>(</)?')
_R_ATTR = re.compile(rb'\br\s*=\s*["\']\s*([A-Za-z]{0,3})0*([0-9]{0,7})\s*["\']')
# a cell reference far out, as Excel writes it: found at the speed of the literal `<c r="` (a lone cell at A1048576
# would have calamine allocate the whole column for it before any limit is checked)
_FAR_REF = re.compile(rb'<c r="(?:[A-Z]{3}|[A-Z]{1,2}[1-9][0-9]{5})')
MAX_TAG = 1 * MB  # a tag longer than this is not one a spreadsheet writes
_CELL_OPENINGS = tuple(b"<c" + end for end in (b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b">", b"/"))
_PLAIN_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')


def _references(block: bytes) -> tuple[list[tuple[bytes, bytes]], bool]:
    """(letters, digits) of every cell reference in `block`, and whether every cell tag in it opens as `<c r="` — as
    Excel and most writers write them (then no cell in it is placed by count). That is told by byte counts at memchr
    speed (each `<c r="` is also one of the openings counted, so equal counts leave no other opening); such a block's
    references are read through the exact pattern (a third of the time on a big sheet) when every one is spelt as
    Excel spells it, else through the tolerant one."""
    opened = block.count(b'<c r="')
    plain = b":c" not in block and sum(block.count(o) for o in _CELL_OPENINGS) == opened
    if plain:
        refs = _PLAIN_REF.findall(block)
        if len(refs) == opened:
            return refs, plain
    return _ANY_REF.findall(block), plain


def _check_zip(path: Path, zf: zipfile.ZipFile, limits: Limits, area: bool = True, only: set[str] | None = None):
    infos = zf.infolist()
    if len(infos) > limits.members:
        raise UnreadableWorkbook(path, "corrupt_detail", detail=Text.of("detail_zip_entries", count=len(infos)))
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise UnreadableWorkbook(path, "corrupt_detail", detail=Text.of("detail_duplicate_members"))
    if any(i.flag_bits & 0x1 for i in infos):
        raise UnreadableWorkbook(path, "encrypted")
    if "xl/workbook.bin" in names:
        raise UnreadableWorkbook(path, "xlsb")
    if "xl/workbook.xml" not in names:
        raise UnreadableWorkbook(path, "ods" if _is_ods(zf, names) else "not_workbook")
    if any(i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for i in infos):
        raise UnreadableWorkbook(path, "corrupt_detail", detail=Text.of("detail_compression"))
    declared = sum(i.file_size for i in infos)
    if declared > limits.total_bytes or any(i.file_size > limits.part_bytes for i in infos):
        raise UnreadableWorkbook(path, "too_large_part", limit=limits.part_bytes // MB)
    sheets = {part: name for name, part in _sheet_parts(zf).items()}
    total = 0
    repair = []
    for info in infos:
        if only is not None and sheets.get(info.filename, "") not in ("", *only):
            continue  # another sheet's part: never unpacked by this reader
        # every member is unpacked in chunks and counted (the sizes in the zip's headers may lie)
        count, bad_refs = _scan_member(path, zf, info, limits, sheets.get(info.filename), area)
        total += count
        if total > limits.total_bytes:
            raise UnreadableWorkbook(path, "too_large_total", limit=limits.total_bytes // MB)
        if bad_refs:
            repair.append(info.filename)
    return tuple(repair)


def _is_ods(zf: zipfile.ZipFile, names: list[str]) -> bool:
    """An OpenDocument spreadsheet (LibreOffice, WPS): its first member `mimetype` says so."""
    return "mimetype" in names and _read_small(zf, "mimetype").strip() == "application/vnd.oasis.opendocument.spreadsheet"


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: Limits):
    """The member's bytes in chunks, each with the unfinished tag of the one before (so no tag is cut in two)."""
    size, carry = 0, b""
    with zf.open(info) as member:
        if _isal_zlib is not None and info.compress_type == zipfile.ZIP_DEFLATED and hasattr(member, "_decompressor"):
            member._decompressor = _isal_zlib.decompressobj(-15)  # ISA-L inflates ~3× faster; the same bytes
        while chunk := member.read(4 * MB):
            size += len(chunk)
            if size > limits.part_bytes:
                raise UnreadableWorkbook(path, "too_large_part", limit=limits.part_bytes // MB)
            block = carry + chunk
            cut = block.rfind(b"<")
            if cut >= 0 and b">" not in block[cut:]:
                block, carry = block[:cut], block[cut:]
                if len(carry) > MAX_TAG:
                    raise UnreadableWorkbook(path, "corrupt_detail", detail=Text.of("detail_long_tag"))
            else:
                carry = b""
            yield size, block
    if carry:
        yield size, carry


def _scan_member(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits,
                 sheet: str | None, area: bool = True) -> tuple[int, bool]:
    """Unpack one member in chunks: its size, no DOCTYPE/ENTITY, forbidden character references, and (`area`)
    for a sheet (mapped from workbook.xml, or any part holding <sheetData>) the area its cells span."""
    size, bad_refs, is_sheet, far = 0, False, sheet is not None and area, False
    bound = _Bound()
    tail = b""
    for size, block in _chunks(zf, info, path, limits):
        seam = tail + block[:64]  # a declaration cut between two blocks
        # a lone byte is found at memchr speed (a sheet of data rarely holds '!' or '&'); where it is, the patterns'
        # own literal-prefix scans: twice as fast as `b"<!" in block` (formulas put '!' and '#' everywhere)
        if b"!" in seam and _XML_DANGER.search(seam) or b"!" in block and _XML_DANGER.search(block):
            raise UnreadableWorkbook(path, "xml_doctype")
        tail = block[-16:]
        bad_refs = bad_refs or b"&" in block and any(_forbidden(ref) for ref in _CHAR_REF.findall(block))
        is_sheet = is_sheet or (area and b"sheetData" in block)
        if not is_sheet:
            # `area` False: only a reference far out (row 100,000 on, column AAA on) has the sheet measured
            far = far or (sheet is not None and _FAR_REF.search(block) is not None)
            continue
        bound.add(block)
    if far:  # measured as with `area`: its cheap bound first, over the member again (a third of the exact count's time)
        for _, block in _chunks(zf, info, path, limits):
            bound.add(block)
    if (is_sheet or far) and bound.over(limits.cells):
        # over the bound, or cells placed by count: measured exactly, cell by cell, as a reader places them
        first_row, max_row, max_col = _placed_area(zf, info, path, limits)
        height = max_row - first_row + 1 if max_row else 0
        if height * max_col > limits.cells:
            raise UnreadableWorkbook(path, "too_many_cells", sheet=sheet or info.filename, rows=height,
                                     cols=max_col, limit=limits.cells)
    return size, bad_refs


class _Bound:
    """A cheap bound of a sheet's area, block by block: every cell reference counts, an empty formatted cell's too;
    `bare`: a cell placed by count was seen (then only the exact count tells)."""

    def __init__(self):
        self.first_row = self.max_row = self.max_col = 0
        self.bare = False

    def add(self, block: bytes) -> None:
        refs, plain = _references(block)
        if refs:
            letters, digits = zip(*refs)
            rows = list(map(int, digits))
            low = min(rows)
            self.first_row = low if not self.first_row or low < self.first_row else self.first_row
            self.max_row = max(self.max_row, max(rows))
            self.max_col = max(self.max_col, max(_column_number(x.upper()) for x in set(letters)))
        self.bare = self.bare or not plain and _BARE_CELL.search(block) is not None

    def over(self, cells: int) -> bool:
        """Whether the exact count is needed: cells placed by count, or a bound of more than `cells`."""
        return self.bare or (self.max_row - self.first_row + 1 if self.max_row else 0) * self.max_col > cells


def _placed_area(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: Limits) -> tuple[int, int, int]:
    """First row, last row and last column of the cells with content, placing those without a reference
    after the one before (a row without one after the row before)."""
    row = col = 0
    first_row = max_row = max_col = 0
    for _, block in _chunks(zf, info, path, limits):
        for name, attrs, closed, empty in _TAG.findall(block):
            ref = _R_ATTR.search(attrs)
            if name == b"row":
                row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                col = 0
                continue
            col = _column_number(ref.group(1).upper()) if ref and ref.group(1) else col + 1
            at_row = int(ref.group(2)) if ref and ref.group(2) else row
            if not closed and not empty and at_row:
                first_row = at_row if not first_row or at_row < first_row else first_row
                max_row, max_col = max(max_row, at_row), max(max_col, col)
    return first_row, max_row, max_col


_CHAR_REF = re.compile(rb"&#(x[0-9a-fA-F]{1,8}|[0-9]{1,10});")


def _forbidden(ref: bytes) -> bool:
    """A reference to a character calamine refuses the whole sheet for (controls, surrogates: XML 1.0 forbids them).

    U+FFFE and U+FFFF, forbidden too, calamine reads: the reader reports them on their row and the writer replaces them.
    """
    n = int(ref[1:], 16) if ref[:1] == b"x" else int(ref)
    return not (n in (9, 10, 13) or 0x20 <= n <= 0xD7FF or 0xE000 <= n <= 0x10FFFF)


def _repaired(data: bytes, members: tuple[str, ...]) -> bytes:
    """The zip with the forbidden character references of `members` replaced by U+FFFD (the rest of each cell kept)."""
    out = io.BytesIO()
    fix = lambda m: b"&#xFFFD;" if _forbidden(m.group(1)) else m.group(0)  # noqa: E731
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, _CHAR_REF.sub(fix, body) if info.filename in members else body)
    return out.getvalue()


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in the zip, from workbook.xml and its relationships (bounded reads)."""
    workbook = _read_small(zf, "xl/workbook.xml")
    rels = _read_small(zf, "xl/_rels/workbook.xml.rels")
    targets = {}
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[attrs.get("Id")] = str(PurePosixPath(target))
    parts = {}
    for tag in _SHEET_ENTRY.findall(workbook):
        attrs = dict(_ATTR.findall(tag))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        if "name" in attrs and rid in targets:
            parts[unescape(attrs["name"])] = targets[rid]
    return parts


def _read_small(zf: zipfile.ZipFile, name: str, limit: int = 16 * MB) -> str:
    try:
        with zf.open(name) as member:
            data = member.read(limit + 1)
    except KeyError:
        return ""
    if len(data) > limit:
        raise UnreadableWorkbook(Path(zf.filename or "?"), "too_large_part", limit=limit // MB)
    return data.decode("utf-8", "replace")


def _zip_entries(fh) -> int:
    """The entries a zip's end record declares (what zipfile would read a directory entry for), or a huge number."""
    try:
        # zipfile's private helpers (stable since Python 2; the record zipfile itself reads first): not in typeshed
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]
        return int(end[zipfile._ECD_ENTRIES_TOTAL]) if end else 1 << 62  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 — a damaged end record: the file is not one we read
        return 1 << 62


def sheet_names_of(package: Package) -> list[str]:
    """The sheet names of an inspected package, read from workbook.xml alone (no cell is loaded)."""
    return _sheet_names(io.BytesIO(package.data))


def _sheet_names(source) -> list[str]:
    with zipfile.ZipFile(source) as zf:
        return list(_sheet_parts(zf)) or [unescape(n) for n in re.findall(r'<sheet\b[^>]*\bname="([^"]*)"',
                                                                              _read_small(zf, "xl/workbook.xml"))]


def open_package(package: Package, limits: Limits = LIMITS, area: bool = True,
                 only: Iterable[str] | None = None) -> python_calamine.CalamineWorkbook:
    """The checked workbook behind a package, or UnreadableWorkbook with its reason (`area`, `only`: see `inspect`)."""
    package.repaired = inspect(package, limits, area, only)
    data = _repaired(package.data, package.repaired) if package.repaired else package.data
    return _calamine(package.path, lambda: python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)))


def _calamine(path: Path, opening: Callable[[], python_calamine.CalamineWorkbook]) -> python_calamine.CalamineWorkbook:
    try:
        return opening()
    except BaseException as exc:  # calamine raises several kinds for damaged content, and panics (not Exceptions)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if out_of_memory(exc):  # not damage (see sheet_rows)
            raise _memory_failure(path) from None
        raise UnreadableWorkbook(path, "corrupt_detail", detail=detail_of(exc)) from None


def open_sheets_of(path: str | Path, sheets: Iterable[str], limits: Limits) -> python_calamine.CalamineWorkbook:
    """A workbook opened to read `sheets` from the file itself, not read into memory whole: for our own roll-ups,
    read in a capped worker (cell areas checked as calamine places the cells). Only the parts calamine will open are
    checked; anything unusual (not a zip, too big, a part to repair) takes the whole-file way for its reason."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head, size = fh.read(2), os.fstat(fh.fileno()).st_size
    except OSError:
        head, size = b"", 0
    if head != b"PK" or size > limits.file_bytes or _checked_zip(path, path, limits, False, sheets):
        return open_package(load(path, limits), limits, area=False, only=sheets)
    return _calamine(path, lambda: python_calamine.CalamineWorkbook.from_path(str(path)))


def open_workbook(path: str | Path, limits: Limits = LIMITS) -> python_calamine.CalamineWorkbook:
    """The workbook behind `path`, or UnreadableWorkbook with its reason."""
    return open_package(load(path, limits), limits)


MEMORY_CAPPED = False  # set in a reading process whose memory is capped (io/machinery/isolation.py)


def _memory_failure(path: str | Path) -> BaseException:
    """What a reader out of memory raises: in a reading process whose memory is capped, MemoryError (the file is read
    again alone, with more: batch.py); elsewhere the file's failure, saying so (never a traceback)."""
    return MemoryError(str(path)) if MEMORY_CAPPED else UnreadableWorkbook(Path(path), "out_of_memory")


def out_of_memory(exc: BaseException) -> bool:
    """The reader ran out of memory: Python's MemoryError, or the panic pyo3 raises for it when calamine hands over
    the cells (making a Python object failed: "PyObject pointer is null")."""
    return isinstance(exc, MemoryError) or (type(exc).__name__ == "PanicException" and "pointer is null" in str(exc))


def sheet_rows(workbook: python_calamine.CalamineWorkbook, name: str, path: str | Path = "?",
               cells: int | None = None) -> tuple[list[list], int]:
    """The sheet's cell values as rows, and the Excel row number of the first one (UnreadableWorkbook if damaged).

    `cells`: the most its content area (first used row to last, column A to the last used) may hold, checked as
    calamine placed the cells and before a Python object is made for any of them.
    """
    try:
        sheet = workbook.get_sheet_by_name(name)
        start_row, start_col = sheet.start or (0, 0)
        if cells is not None and sheet.height * (start_col + sheet.width) > cells:
            raise UnreadableWorkbook(Path(path), "too_many_cells", sheet=name, rows=sheet.height,
                                     cols=start_col + sheet.width, limit=cells)
        rows = sheet.to_python(skip_empty_area=True)
    except UnreadableWorkbook:
        raise
    except BaseException as exc:  # a damaged sheet part: calamine errors and panics alike
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if out_of_memory(exc):  # not damage
            raise _memory_failure(path) from None
        raise UnreadableWorkbook(path, "corrupt_sheet", sheet=name, detail=detail_of(exc)) from None
    if start_col:
        rows = [[""] * start_col + row for row in rows]
    return rows, start_row + 1


def workbook_sheet_names(path: str | Path) -> list[str]:
    """The sheet names of an .xlsx/.xlsm ([] when it cannot be read as one); only the zip's directory and
    workbook.xml are read, bounded, from the file (a 200-rep roll-up is not read whole to be recognised)."""
    try:
        with open(path, "rb") as fh:
            if fh.read(2) != b"PK" or _zip_entries(fh) > ROLLUP_LIMITS.members:
                return []  # a directory of millions of entries is not parsed (it would fill this process's memory)
        return _sheet_names(path)
    except Exception:  # whatever the file holds, the answer is "no sheets we know of"
        return []
