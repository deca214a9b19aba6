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
