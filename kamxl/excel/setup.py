"""`kamxl excel setup`: check that this PC can run the workbook buttons, and tell the workbooks which Python to start.

xlwings' runtime inside each `.xlsm` looks for INTERPRETER_WIN in the workbook's hidden `kamxl.conf` sheet,
then in `kamxl.conf` beside the workbook, then in `%USERPROFILE%\\.kamxl\\kamxl.conf`: setup writes the
user file (every workbook on the PC) and, for the workbooks named, their sheet.
"""

import html
import os
import posixpath
import re
import sys
import zipfile
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from ..io.outputs.atomic import atomic_path, zip_entry
from .vba import CONFIG_SHEET, PROJECT_NAME, XLWINGS_VERSION, config_rows

MIN_PYTHON = (3, 11)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_DANGER = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SHEET_DATA = re.compile(r"<(?P<p>(?:[\w.-]+:)?)sheetData\b(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)sheetData>)", re.S)
_ROW = re.compile(r"<(?P<p>(?:[\w.-]+:)?)row\b(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)row>)", re.S)
_CELL = re.compile(r"<(?P<p>(?:[\w.-]+:)?)c\b(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)c>)", re.S)
_DIMENSION = re.compile(r'(<(?:[\w.-]+:)?dimension\b[^>]*?\bref=")([^"]+)(")')


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def environment_checks(platform: str = sys.platform, version=sys.version_info) -> list[Check]:
    """Python's version, xlwings at the pinned version, and pywin32 (Windows only: xlwings talks COM through it)."""
    checks = [Check("Python", tuple(version[:2]) >= MIN_PYTHON,
                    f"{version[0]}.{version[1]}（需要 {MIN_PYTHON[0]}.{MIN_PYTHON[1]} 或更高）")]
    try:
        found = metadata.version("xlwings")
        checks.append(Check("xlwings", found == XLWINGS_VERSION,
                            f"{found}" + ("" if found == XLWINGS_VERSION else f"（工作簿内置 {XLWINGS_VERSION}：pip install xlwings=={XLWINGS_VERSION}）")))
    except metadata.PackageNotFoundError:
        checks.append(Check("xlwings", False, f"未安装：pip install xlwings=={XLWINGS_VERSION}"))
    if platform == "win32":
        try:
            checks.append(Check("pywin32", True, metadata.version("pywin32")))
        except metadata.PackageNotFoundError:
            checks.append(Check("pywin32", False, "未安装：pip install pywin32"))
    else:
        checks.append(Check("pywin32", True, "非 Windows，跳过（按钮只在 Windows 版 Excel 中运行）"))
    return checks


def excel_interpreter(executable: str | Path = sys.executable) -> Path:
    """The interpreter Excel should start: pythonw.exe beside python.exe (no console window), else python itself."""
    path = Path(executable)
    windowless = path.with_name("pythonw.exe")
    return windowless if path.name.lower() == "python.exe" and windowless.exists() else path


def user_config_path(home: Path | None = None) -> Path:
    home = home or Path(os.environ.get("USERPROFILE") or Path.home())
    return home / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"


def write_user_config(interpreter: Path, home: Path | None = None) -> Path:
    """Set INTERPRETER_WIN (and UDF MODULES) in the user's kamxl.conf, keeping its other lines."""
    path = user_config_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    wanted = dict(config_rows(str(interpreter)))
    lines = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key = line.split(",", 1)[0].strip().strip('"').upper()
            if key and key not in wanted:
                lines.append(line)
    lines += [f'"{key}","{value}"' for key, value in wanted.items()]
    with atomic_path(path) as tmp:
        tmp.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_workbook_interpreter(workbook: Path, interpreter: Path) -> str | None:
    """Set INTERPRETER_WIN on the workbook's hidden kamxl.conf sheet, atomically, editing only that sheet's XML part;
    return the program other than Excel that last saved the workbook, if one did (saved_by.other_program).

    Every other member of the package is copied unchanged (same name, order, compression and content), so the
    workbook keeps what openpyxl would drop on a re-save: dynamic-array metadata, VML shapes, the VBA project.
    """
    from ..errors import KamxlError
    from ..messages import render
    from .saved_by import other_program

    try:
        with atomic_path(workbook) as tmp, zipfile.ZipFile(workbook) as package, zipfile.ZipFile(tmp, "w") as out:
            part = _config_sheet_part(package)
            if part is None:
                raise KamxlError(render("setup_no_config_sheet", workbook=workbook, sheet=CONFIG_SHEET))
            sheet = _read_xml_text(package, part)
            strings = _shared_strings(package)
            edited = set_config_value(sheet, strings, "INTERPRETER_WIN", str(interpreter))
            for item in package.infolist():
                data = edited.encode("utf-8") if item.filename == part else package.read(item.filename)
                out.writestr(zip_entry(item.filename, item), data, compress_type=item.compress_type)
            names = package.namelist()
            return other_program(package.read("docProps/app.xml") if "docProps/app.xml" in names else None,
                                 package.read("xl/workbook.xml"), "xl/vbaProject.bin" in names)
    except (zipfile.BadZipFile, ET.ParseError, KeyError, UnicodeDecodeError, ValueError) as error:
        raise KamxlError(render("setup_unreadable", workbook=workbook, detail=error)) from error


def _config_sheet_part(package: zipfile.ZipFile) -> str | None:
    """The zip member holding the kamxl.conf sheet, found through xl/workbook.xml and its relationships."""
    book = ET.fromstring(_read_xml_text(package, "xl/workbook.xml"))
    rel_id = next((s.get(f"{{{_R}}}id") for s in book.iter(f"{{{_MAIN}}}sheet") if s.get("name") == CONFIG_SHEET), None)
    if rel_id is None:
        return None
    rels = ET.fromstring(_read_xml_text(package, "xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels if r.get("Id") == rel_id), None)
    if not target:
        raise ValueError(f"xl/_rels/workbook.xml.rels: no relationship {rel_id}")
    return posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target))


def _shared_strings(package: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in package.namelist():
        return []
    table = ET.fromstring(_read_xml_text(package, "xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in si.iter(f"{{{_MAIN}}}t")) for si in table.iter(f"{{{_MAIN}}}si")]


def _read_xml_text(package: zipfile.ZipFile, name: str) -> str:
    data = package.read(name)
    if _XML_DANGER.search(data):
        raise ValueError(f"{name}: DOCTYPE/ENTITY")
    return data.decode("utf-8")


def set_config_value(sheet: str, shared: list[str], key: str, value: str) -> str:
    """The sheet's XML with `value` in column B of `key`'s row; a new key goes in the first row whose column A is blank
    (xlwings reads keys from A1 down to the first blank). Only that row and <dimension> change."""
    ET.fromstring(sheet)  # well-formed, or ParseError
    data = _SHEET_DATA.search(sheet)
    if data is None:
        raise ValueError("no <sheetData>")
    prefix, body = data["p"], data["body"] or ""
    rows = {_row_number(m, i): m for i, m in enumerate(_ROW.finditer(body))}
    number = 1
    while number in rows and (found := _column_a(rows[number], shared).strip().upper()) and found != key.upper():
        number += 1
    cells = {1: key, 2: value} if number not in rows or not _column_a(rows[number], shared).strip() else {2: value}
    if number in rows:
        row = rows[number]
        body = body[:row.start()] + _with_cells(row, number, cells, prefix) + body[row.end():]
    else:
        new_row = f'<{prefix}row r="{number}" spans="1:2">{_cells_xml(number, cells, prefix, {})}</{prefix}row>'
        after = next((m.start() for n, m in sorted(rows.items()) if n > number), len(body))
        body = body[:after] + new_row + body[after:]
    edited = f"{sheet[:data.start()]}<{prefix}sheetData{data['attrs']}>{body}</{prefix}sheetData>{sheet[data.end():]}"
    return _DIMENSION.sub(lambda m: m[1] + _widened(m[2], number) + m[3], edited, count=1)


def _row_number(row: re.Match, index: int) -> int:
    found = re.search(r'\br="(\d+)"', row["attrs"])
    return int(found[1]) if found else index + 1


def _cell_column(cell: re.Match, index: int) -> int:
    found = re.search(r'\br="([A-Z]+)\d+"', cell["attrs"])
    return column_index_from_string(found[1]) if found else index + 1


def _column_a(row: re.Match, shared: list[str]) -> str:
    for i, cell in enumerate(_CELL.finditer(row["body"] or "")):
        if _cell_column(cell, i) == 1:
            return _cell_text(cell, shared)
    return ""


def _cell_text(cell: re.Match, shared: list[str]) -> str:
    body, kind = cell["body"] or "", re.search(r'\bt="(\w+)"', cell["attrs"])
    if kind and kind[1] == "inlineStr":
        return html.unescape("".join(re.findall(r"<(?:[\w.-]+:)?t\b[^>]*>(.*?)</(?:[\w.-]+:)?t>", body, re.S)))
    found = re.search(r"<(?:[\w.-]+:)?v>(.*?)</(?:[\w.-]+:)?v>", body, re.S)
    text = html.unescape(found[1]) if found else ""
    if kind and kind[1] == "s" and text:
        return shared[int(text)]
    return text


def _with_cells(row: re.Match, number: int, cells: dict[int, str], prefix: str) -> str:
    """The row with `cells` (column -> text) written as inline strings, its other cells kept in column order."""
    kept, styles = [], {}
    for i, cell in enumerate(_CELL.finditer(row["body"] or "")):
        column = _cell_column(cell, i)
        if column in cells:
            style = re.search(r'\bs="\d+"', cell["attrs"])
            styles[column] = f" {style[0]}" if style else ""
        else:
            kept.append((column, cell[0]))
    kept += [(column, _cells_xml(number, {column: text}, prefix, styles)) for column, text in cells.items()]
    attrs = re.sub(r'\bspans="(\d+):(\d+)"', lambda m: f'spans="{min(int(m[1]), 1)}:{max(int(m[2]), 2)}"', row["attrs"])
    return f"<{prefix}row{attrs}>{''.join(xml for _, xml in sorted(kept, key=lambda c: c[0]))}</{prefix}row>"


def _cells_xml(number: int, cells: dict[int, str], prefix: str, styles: dict[int, str]) -> str:
    return "".join(f'<{prefix}c r="{get_column_letter(column)}{number}"{styles.get(column, "")} t="inlineStr"><{prefix}is>'
                   f"<{prefix}t{_space(text)}>{escape(text)}</{prefix}t></{prefix}is></{prefix}c>"
                   for column, text in sorted(cells.items()))


def _space(text: str) -> str:
    return ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""


def _widened(ref: str, number: int) -> str:
    """A <dimension> reference grown to hold A{number}:B{number}."""
    first, _, last = ref.partition(":")
    (c1, r1), (c2, r2) = (coordinate_from_string(first), coordinate_from_string(last or first))
    top, bottom = min(r1, number), max(r2, number)
    left, right = min(column_index_from_string(c1), 1), max(column_index_from_string(c2), 2)
    return f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"

