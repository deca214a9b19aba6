"""Checks of an OOXML package the way Excel reads it, of our own: each returns the problems it found (none: clean).

The zip layer is read with `struct` (not zipfile, which forgives what Excel may not); the OPC and SpreadsheetML
checks follow ECMA-376 Part 1 (5th edition) and Part 2. Used by tests/test_conformance.py over every file kamxl
writes or ships, and by the tests that prove each check catches a broken file.
"""

import re
import struct
import zlib
from dataclasses import dataclass
from posixpath import dirname, join, normpath
from xml.etree import ElementTree as ET

ZIP64_EXTRA = 0x0001
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"


@dataclass
class Entry:
    """One member as its central directory entry and its local header describe it."""
    name: str
    version_needed: int
    flags: int
    method: int
    crc: int
    packed: int
    unpacked: int
    extra: dict[int, bytes]
    offset: int


def _extras(data: bytes) -> dict[int, bytes]:
    found, i = {}, 0
    while i + 4 <= len(data):
        tag, size = struct.unpack_from("<HH", data, i)
        found[tag] = data[i + 4:i + 4 + size]
        i += 4 + size
    return found


def central_directory(raw: bytes) -> list[Entry]:
    end = raw.rfind(b"PK\x05\x06")
    if end < 0:
        raise ValueError("no end of central directory record")
    _, _, _, _, count, _size, start = struct.unpack_from("<IHHHHII", raw, end)
    entries, at = [], start
    for _ in range(count):
        (sig, _made, needed, flags, method, _t, _d, crc, packed, unpacked, nlen, xlen, clen, _disk, _ia, _ea,
         offset) = struct.unpack_from("<IHHHHHHIIIHHHHHII", raw, at)
        if sig != 0x02014B50:
            raise ValueError(f"central directory entry at {at} has a bad signature")
        name = raw[at + 46:at + 46 + nlen].decode("utf-8" if flags & 0x800 else "cp437")
        extra = _extras(raw[at + 46 + nlen:at + 46 + nlen + xlen])
        entries.append(Entry(name, needed, flags, method, crc, packed, unpacked, extra, offset))
        at += 46 + nlen + xlen + clen
    return entries


def local_header(raw: bytes, offset: int) -> tuple[Entry, int]:
    """The local header at `offset`, and where the member's data starts."""
    sig, needed, flags, method, _t, _d, crc, packed, unpacked, nlen, xlen = struct.unpack_from("<IHHHHHIIIHH", raw, offset)
    if sig != 0x04034B50:
        raise ValueError(f"no local header at {offset}")
    name = raw[offset + 30:offset + 30 + nlen].decode("utf-8" if flags & 0x800 else "cp437")
    extra = _extras(raw[offset + 30 + nlen:offset + 30 + nlen + xlen])
    return Entry(name, needed, flags, method, crc, packed, unpacked, extra, offset), offset + 30 + nlen + xlen


def zip_problems(raw: bytes) -> list[str]:
    """The zip layer: every local header agrees with its central directory entry, no ZIP64 field on a member
    that fits in 32 bits, and every member unpacks to its CRC-32 and size."""
    problems = []
    for c in central_directory(raw):
        small = c.packed < 0xFFFFFFFF and c.unpacked < 0xFFFFFFFF
        if small and ZIP64_EXTRA in c.extra:
            problems.append(f"{c.name}: ZIP64 extra field in the central directory of a small member")
        local, data_start = local_header(raw, c.offset)
        if local.name != c.name:
            problems.append(f"{c.name}: the local header names {local.name!r}")
        if local.version_needed != c.version_needed:
            problems.append(f"{c.name}: version needed {local.version_needed} locally, {c.version_needed} centrally")
        if local.method != c.method or local.flags != c.flags:
            problems.append(f"{c.name}: method/flags {local.method}/{local.flags:#x} locally, {c.method}/{c.flags:#x} centrally")
        if small and ZIP64_EXTRA in local.extra:
            problems.append(f"{c.name}: ZIP64 extra field in the local header of a small member")
        if small and c.version_needed > 20:
            problems.append(f"{c.name}: version needed {c.version_needed / 10} for a member that needs 2.0")
        if c.flags & 0x8:  # sizes in a data descriptor after the data
            sizes = struct.unpack_from("<III", raw, data_start + c.packed + (4 if raw[data_start + c.packed:data_start + c.packed + 4] == b"PK\x07\x08" else 0))
        else:
            sizes = (local.crc, local.packed, local.unpacked)
        if sizes != (c.crc, c.packed, c.unpacked):
            problems.append(f"{c.name}: CRC/sizes {sizes} locally, {(c.crc, c.packed, c.unpacked)} centrally")
        data = raw[data_start:data_start + c.packed]
        try:
            unpacked = zlib.decompress(data, -15) if c.method == 8 else data
        except zlib.error as e:
            problems.append(f"{c.name}: does not inflate ({e})")
            continue
        if len(unpacked) != c.unpacked or zlib.crc32(unpacked) != c.crc:
            problems.append(f"{c.name}: unpacks to {len(unpacked)} bytes, CRC {zlib.crc32(unpacked):#010x}; "
                            f"the directory says {c.unpacked}, {c.crc:#010x}")
    return problems


# ECMA-376 Part 1, §18.3.1.99 CT_Worksheet: its children, in this order (each at most once but
# conditionalFormatting, which may repeat)
WORKSHEET_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                   "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
                   "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
                   "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
                   "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
                   "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
                   "extLst")
REPEATABLE = {"conditionalFormatting"}
MAX_COLUMNS, MAX_ROWS = 16_384, 1_048_576
DATA_VALIDATION_FORMULA = 255  # characters of a list or formula in a data validation
CELL_FORMULA = 8192  # characters of a cell formula
CELL_TEXT = 32767  # UTF-16 units of a cell's text, as Excel counts them (an emoji is 2)
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
# a relationship's type → how its target's content type ends (ECMA-376 Part 1, §12.3 and §8.4)
PART_TYPES = {"officeDocument": ".main+xml", "worksheet": "spreadsheetml.worksheet+xml",
              "styles": "spreadsheetml.styles+xml", "sharedStrings": "spreadsheetml.sharedStrings+xml",
              "table": "spreadsheetml.table+xml", "comments": "spreadsheetml.comments+xml",
              "drawing": "drawing+xml", "chart": "drawingml.chart+xml", "theme": "theme+xml",
              "vbaProject": "ms-office.vbaProject"}
_NAME = re.compile(r"^(_xlnm\.)?[A-Za-z_\\\u0080-\uffff][\w.\\?\u0080-\uffff]*$")
_CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*|[RrCc])$")


def _q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref}")
    return column_number(m.group(1)), int(m.group(2))


class Package:
    """An OOXML package's parts, read once."""

    def __init__(self, raw: bytes):
        import io
        import zipfile

        self.raw = raw
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            self.parts = {name: zf.read(name) for name in zf.namelist() if not name.endswith("/")}
        self._xml: dict[str, ET.Element] = {}

    def xml(self, name: str) -> ET.Element:
        if name not in self._xml:
            self._xml[name] = ET.fromstring(self.parts[name])
        return self._xml[name]

    def rels(self, source: str) -> list[ET.Element]:
        """The relationships of part `source` ('' for the package)."""
        name = join(dirname(source), "_rels", source.rsplit("/", 1)[-1] + ".rels") if source else "_rels/.rels"
        if name not in self.parts:
            return []
        return self.xml(name).findall(_q("Relationship", PKG_REL))

    def target(self, source: str, rel: ET.Element) -> str:
        target = rel.get("Target", "")
        if target.startswith("/"):
            return target[1:]
        return normpath(join(dirname(source), target))

    def related(self, source: str, kind: str) -> list[str]:
        return [self.target(source, r) for r in self.rels(source) if r.get("Type", "").endswith("/" + kind)]

    def content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        root = self.xml("[Content_Types].xml")
        defaults = {d.get("Extension", "").lower(): d.get("ContentType", "") for d in root.findall(_q("Default", CT))}
        overrides = {o.get("PartName", "").lstrip("/"): o.get("ContentType", "") for o in root.findall(_q("Override", CT))}
        return defaults, overrides

    def content_type(self, name: str) -> str | None:
        defaults, overrides = self.content_types()
        return overrides.get(name) or defaults.get(name.rsplit(".", 1)[-1].lower())

    def workbook(self) -> str:
        return self.related("", "officeDocument")[0]

    def sheets(self) -> list[tuple[str, str]]:
        """(name, part) of each worksheet, in the workbook's order."""
        book = self.workbook()
        targets = {r.get("Id"): self.target(book, r) for r in self.rels(book)}
        sheets = self.xml(book).find(_q("sheets"))
        return [(s.get("name", ""), targets.get(s.get(_q("id", REL)), "")) for s in (sheets if sheets is not None else [])]

    def shared_strings(self) -> list[str]:
        part = next(iter(self.related(self.workbook(), "sharedStrings")), None)
        if part is None or part not in self.parts:
            return []
        return ["".join(t.text or "" for t in si.iter(_q("t")) if not _inside_rph(si, t)) for si in self.xml(part).findall(_q("si"))]


def _inside_rph(si: ET.Element, t: ET.Element) -> bool:
    return any(t in list(rph.iter()) for rph in si.findall(_q("rPh")))


def opc_problems(pkg: Package) -> list[str]:
    """[Content_Types].xml covers every part and names only parts that exist; every relationship's target exists."""
    problems = []
    if "[Content_Types].xml" not in pkg.parts:
        return ["no [Content_Types].xml"]
    defaults, overrides = pkg.content_types()
    for name in pkg.parts:
        if name != "[Content_Types].xml" and pkg.content_type(name) is None:
            problems.append(f"{name}: no content type")
    for source in [""] + [n for n in pkg.parts if n.endswith(".xml")]:
        for rel in pkg.rels(source):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            target = pkg.target(source, rel)
            if kind in PART_TYPES and target in pkg.parts and rel.get("TargetMode") != "External" \
                    and not (pkg.content_type(target) or "").endswith(PART_TYPES[kind]):
                problems.append(f"{target}: content type {pkg.content_type(target)!r} for a {kind} part")
    for name in overrides:
        if name not in pkg.parts:
            problems.append(f"[Content_Types].xml: an override for {name}, which is not in the package")
    for name in [n for n in pkg.parts if n.endswith(".rels")]:
        folder = dirname(dirname(name))
        source = join(folder, name.rsplit("/", 1)[-1][:-5]) if folder or not name.startswith("_rels/") else ""
        if source and source not in pkg.parts:
            problems.append(f"{name}: relationships of {source}, which is not in the package")
        ids = set()
        for rel in pkg.xml(name).findall(_q("Relationship", PKG_REL)):
            if rel.get("Id") in ids:
                problems.append(f"{name}: relationship id {rel.get('Id')} twice")
            ids.add(rel.get("Id"))
            if rel.get("TargetMode") == "External":
                continue
            target = pkg.target(source, rel)
            if target not in pkg.parts:
                problems.append(f"{name}: {rel.get('Id')} points at {target}, which is not in the package")
    return problems


def xml_problems(pkg: Package) -> list[str]:
    """Every XML part well-formed XML 1.0 (expat: no forbidden character, raw or as a reference; no truncation)."""
    problems = []
    for name, data in pkg.parts.items():
        kind = pkg.content_type(name) or ""
        if name.endswith((".xml", ".rels", ".vml")) or kind.endswith("xml"):
            try:
                ET.fromstring(data)
            except ET.ParseError as e:
                problems.append(f"{name}: not well-formed XML ({e})")
    return problems


def _units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cells(sheet: ET.Element):
    data = sheet.find(_q("sheetData"))
    return [] if data is None else data


def worksheet_problems(pkg: Package) -> list[str]:
    """Per sheet: CT_Worksheet's child order, rows and cells in order and within the grid, shared-string and style
    indices in range, formula lengths, data-validation formula lengths; sheet names Excel accepts."""
    problems = []
    strings = pkg.shared_strings()
    styles_part = next(iter(pkg.related(pkg.workbook(), "styles")), None)
    xf_count = dxf_count = 0
    if styles_part in pkg.parts:
        styles = pkg.xml(styles_part)
        cell_xfs, dxfs = styles.find(_q("cellXfs")), styles.find(_q("dxfs"))
        xf_count = len(cell_xfs) if cell_xfs is not None else 0
        dxf_count = len(dxfs) if dxfs is not None else 0
        if cell_xfs is not None and cell_xfs.get("count") not in (None, str(xf_count)):
            problems.append(f"{styles_part}: cellXfs count={cell_xfs.get('count')}, {xf_count} <xf>")
    references = 0
    seen_names: set[str] = set()
    for sheet_name, part in pkg.sheets():
        if len(sheet_name.encode("utf-16-le")) // 2 > 31 or not sheet_name or SHEET_NAME_FORBIDDEN & set(sheet_name) \
                or sheet_name.startswith("'") or sheet_name.endswith("'"):
            problems.append(f"sheet name {sheet_name!r}: not one Excel accepts")
        if sheet_name.casefold() in seen_names:
            problems.append(f"sheet name {sheet_name!r} twice")
        seen_names.add(sheet_name.casefold())
        if part not in pkg.parts:
            continue
        root = pkg.xml(part)
        where = f"{part} ({sheet_name})"
        last, seen = -1, set()
        for child in root:
            if not child.tag.startswith("{" + MAIN + "}"):
                continue  # mc:AlternateContent and other namespaces: not ordered here
            tag = child.tag.split("}")[1]
            if tag not in WORKSHEET_ORDER:
                problems.append(f"{where}: <{tag}> is not a child of CT_Worksheet")
                continue
            index = WORKSHEET_ORDER.index(tag)
            if index < last or (index == last and tag not in REPEATABLE):
                problems.append(f"{where}: <{tag}> out of CT_Worksheet's order (after <{WORKSHEET_ORDER[last]}>)")
            last = max(last, index)
            seen.add(tag)
        if "sheetData" not in seen:
            problems.append(f"{where}: no <sheetData>")
        last_row = 0
        for row in _cells(root):
            r = int(row.get("r", last_row + 1))
            if r <= last_row or r > MAX_ROWS:
                problems.append(f"{where}: row {r} out of order or past row {MAX_ROWS}")
            last_row = r
            if row.get("s") is not None and int(row.get("s", 0)) >= xf_count:
                problems.append(f"{where}: row {r} style {row.get('s')}, cellXfs holds {xf_count}")
            last_col = 0
            for c in row:
                ref = c.get("r")
                col, cr = split_ref(ref) if ref else (last_col + 1, r)
                if col <= last_col or col > MAX_COLUMNS or cr != r:
                    problems.append(f"{where}: cell {ref} out of order, in another row, or past column XFD")
                last_col = col
                if c.get("s") is not None and int(c.get("s", 0)) >= xf_count:
                    problems.append(f"{where}: {ref} style index {c.get('s')}, cellXfs holds {xf_count}")
                if c.get("t") == "s":
                    references += 1
                    v = c.find(_q("v"))
                    if v is None or not (v.text or "").isdigit() or int(v.text or 0) >= len(strings):
                        problems.append(f"{where}: {ref} shared string {None if v is None else v.text}, "
                                        f"the table holds {len(strings)}")
                if c.get("t") == "inlineStr" and _units(_cell_text(c, strings)) > CELL_TEXT:
                    problems.append(f"{where}: {ref} text of {_units(_cell_text(c, strings))} UTF-16 units "
                                    f"(at most {CELL_TEXT})")
                f = c.find(_q("f"))
                if f is not None and len(f.text or "") > CELL_FORMULA:
                    problems.append(f"{where}: {ref} formula of {len(f.text or '')} characters (at most {CELL_FORMULA})")
        for col in root.iter(_q("col")):
            if col.get("style") is not None and int(col.get("style", 0)) >= xf_count:
                problems.append(f"{where}: column style {col.get('style')}, cellXfs holds {xf_count}")
            if int(col.get("max", 1)) > MAX_COLUMNS:
                problems.append(f"{where}: <col max={col.get('max')}> past XFD")
        for dim in root.iter(_q("dimension")):
            for ref in dim.get("ref", "A1").split(":"):
                col, r = split_ref(ref)
                if col > MAX_COLUMNS or r > MAX_ROWS:
                    problems.append(f"{where}: dimension {dim.get('ref')} past XFD{MAX_ROWS}")
        for rule in root.iter(_q("cfRule")):
            if rule.get("dxfId") is not None and int(rule.get("dxfId", 0)) >= dxf_count:
                problems.append(f"{where}: conditional format dxfId {rule.get('dxfId')}, dxfs holds {dxf_count}")
        for dv in root.iter(_q("dataValidation")):
            for tag in ("formula1", "formula2"):
                f = dv.find(_q(tag))
                if f is not None and len(f.text or "") > DATA_VALIDATION_FORMULA:
                    problems.append(f"{where}: data validation {dv.get('sqref')} {tag} of {len(f.text or '')} "
                                    f"characters (at most {DATA_VALIDATION_FORMULA})")
    sst = next(iter(pkg.related(pkg.workbook(), "sharedStrings")), None)
    if sst in pkg.parts:
        root = pkg.xml(sst)
        for i, text in enumerate(strings):
            if _units(text) > CELL_TEXT:
                problems.append(f"{sst}: string {i} of {_units(text)} UTF-16 units (at most {CELL_TEXT})")
        if root.get("uniqueCount") not in (None, str(len(strings))):
            problems.append(f"{sst}: uniqueCount={root.get('uniqueCount')}, {len(strings)} <si>")
        if root.get("count") is not None and int(root.get("count", 0)) < references:
            problems.append(f"{sst}: count={root.get('count')}, {references} cells refer to it")
    return problems


def _cell_text(cell: ET.Element, strings: list[str]) -> str:
    if cell.get("t") == "s":
        v = cell.find(_q("v"))
        index = int(v.text or 0) if v is not None and (v.text or "").isdigit() else -1
        return strings[index] if 0 <= index < len(strings) else ""
    if cell.get("t") == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(_q("t")))
    v = cell.find(_q("v"))
    return "" if v is None else v.text or ""


def _decode_x(text: str) -> str:
    """ST_Xstring's _xHHHH_ escapes, as a table column's name carries a line break."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def table_problems(pkg: Package) -> list[str]:
    """Every table: its columns as many as its range is wide, each header cell equal to its column's name, names
    unique."""
    problems = []
    strings = pkg.shared_strings()
    for _, part in pkg.sheets():
        if part not in pkg.parts:
            continue
        cells = {c.get("r"): c for row in _cells(pkg.xml(part)) for c in row}
        for table_part in pkg.related(part, "table"):
            if table_part not in pkg.parts:
                continue
            table = pkg.xml(table_part)
            first, last = table.get("ref", "A1:A1").split(":")
            (c1, r1), (c2, _) = split_ref(first), split_ref(last)
            columns = table.find(_q("tableColumns"))
            names = [_decode_x(tc.get("name", "")) for tc in (columns if columns is not None else [])]
            if columns is not None and columns.get("count") not in (None, str(len(names))):
                problems.append(f"{table_part}: tableColumns count={columns.get('count')}, {len(names)} columns")
            if len(names) != c2 - c1 + 1:
                problems.append(f"{table_part}: {len(names)} columns over a range {c2 - c1 + 1} wide")
            if len({n.casefold() for n in names}) != len(names):
                problems.append(f"{table_part}: two columns of one name")
            if table.get("headerRowCount", "1") == "0":
                continue
            from xlsxwriter.utility import xl_col_to_name

            for j, name in enumerate(names):
                ref = f"{xl_col_to_name(c1 - 1 + j)}{r1}"
                header = _cell_text(cells[ref], strings) if ref in cells else ""
                if header != name:
                    problems.append(f"{table_part}: header cell {ref} holds {header!r}, its column is named {name!r}")
    return problems


def defined_name_problems(pkg: Package) -> list[str]:
    """The workbook's defined names: well-formed, not a cell reference, unique in their scope, a sheet in range."""
    problems = []
    book = pkg.xml(pkg.workbook())
    sheets = len(pkg.sheets())
    seen = set()
    for dn in book.iter(_q("definedName")):
        name, scope = dn.get("name", ""), dn.get("localSheetId")
        if not _NAME.match(name) or _CELL_LIKE.match(name) or len(name) > 255:
            problems.append(f"defined name {name!r}: not a name Excel accepts")
        if (name.casefold(), scope) in seen:
            problems.append(f"defined name {name!r} twice in one scope")
        seen.add((name.casefold(), scope))
        if scope is not None and not (scope.isdigit() and int(scope) < sheets):
            problems.append(f"defined name {name!r}: localSheetId {scope}, {sheets} sheets")
        if not (dn.text or "").strip():
            problems.append(f"defined name {name!r}: refers to nothing")
    return problems


def package_problems(raw: bytes) -> list[str]:
    """Every check of this module over one file's bytes."""
    problems = zip_problems(raw)
    if problems:  # zipfile would refuse what follows (a bad CRC), or forgive what Excel may not
        return problems
    pkg = Package(raw)
    problems += opc_problems(pkg) + xml_problems(pkg)
    if problems:  # the checks below parse the XML parts
        return problems
    return problems + worksheet_problems(pkg) + table_problems(pkg) + defined_name_problems(pkg) + vba_problems(pkg)


def dir_records(data: bytes):
    """[MS-OVBA] 2.3.4.2: the decompressed dir stream's records, (id, data): Id (2 bytes), Size (4), Size bytes;
    PROJECTVERSION's Size says 4 but 6 bytes follow. Ends at the terminator 0x0010 (and its Reserved); only zeros
    may follow (Excel's own projects have four)."""
    i = 0
    while True:
        rid, size = struct.unpack_from("<HI", data, i)
        size = 6 if rid == 0x0009 else size
        yield rid, data[i + 6:i + 6 + size]
        i += 6 + size
        if rid == 0x0010:
            if data[i:].strip(b"\0"):
                raise ValueError("records after the dir stream's terminator")
            return


def vba_problems(pkg: Package) -> list[str]:
    """A source-only VBA project, as [MS-OVBA] asks a writer: `_VBA_PROJECT` 0x61CC, 0xFFFF, 0x00 without a
    performance cache; no __SRP_ stream; every module in `dir` with its stream, MODULEOFFSET 0 (no p-code before
    its source), and its source decompressing to text that names the module."""
    import io

    import olefile
    from pyopenvba.vba import decompress

    part = next((p for p in pkg.parts if p.endswith("vbaProject.bin")), None)
    if part is None:
        return []
    ole = olefile.OleFileIO(io.BytesIO(pkg.parts[part]))
    streams = {"/".join(path) for path in ole.listdir()}
    problems = []
    head = ole.openstream("VBA/_VBA_PROJECT").read()
    if head[:5] != b"\xcc\x61\xff\xff\x00" or len(head) > 7:
        problems.append(f"{part}: _VBA_PROJECT begins {head[:5].hex()} and is {len(head)} bytes (a writer's: "
                        "cc61ffff00, no performance cache)")
    problems += [f"{part}: performance cache stream {s}" for s in streams if s.startswith("VBA/__SRP_")]
    modules, count, name = [], None, ""
    try:
        for rid, data in dir_records(decompress(ole.openstream("VBA/dir").read())):
            if rid == 0x000F:  # PROJECTMODULES
                count = struct.unpack("<H", data)[0]
            elif rid == 0x001A:  # MODULESTREAMNAME
                name = data.decode("latin-1")
            elif rid == 0x0031:  # MODULEOFFSET
                modules.append((name, struct.unpack("<I", data)[0]))
    except (ValueError, struct.error) as e:
        return problems + [f"{part}: the dir stream does not parse ({e})"]
    if count != len(modules):
        problems.append(f"{part}: PROJECTMODULES says {count}, {len(modules)} modules follow")
    for module, offset in modules:
        if f"VBA/{module}" not in streams:
            problems.append(f"{part}: module {module} has no stream")
            continue
        if offset:
            problems.append(f"{part}: module {module} keeps {offset} bytes of compiled p-code before its source")
        stream = ole.openstream(f"VBA/{module}").read()
        try:
            text = decompress(stream[offset:]).decode("latin-1")
        except Exception as e:  # noqa: BLE001 (any failure to decompress is the finding)
            problems.append(f"{part}: module {module}'s source does not decompress ({e})")
            continue
        if not text.startswith(f'Attribute VB_Name = "{module}"'):
            problems.append(f"{part}: module {module}'s source does not begin with its VB_Name")
    return problems
