"""`kamxl excel setup`: check that this PC can run the workbook buttons, and tell the workbooks which Python to start.

xlwings' runtime inside each `.xlsm` looks for INTERPRETER_WIN in the workbook's hidden `kamxl.conf` sheet,
then in `kamxl.conf` beside the workbook, then in `%USERPROFILE%\\.kamxl\\kamxl.conf`: setup writes the
user file (every workbook on the PC) and, for the workbooks named, their sheet.
"""

import os
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .vba import CONFIG_SHEET, PROJECT_NAME, XLWINGS_VERSION, config_rows

MIN_PYTHON = (3, 11)


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
    _write_atomically(path, ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_workbook_interpreter(workbook: Path, interpreter: Path) -> None:
    """Set INTERPRETER_WIN on the workbook's hidden kamxl.conf sheet (VBA and buttons kept), atomically."""
    import openpyxl

    from ..errors import KamxlError

    wb = openpyxl.load_workbook(workbook, keep_vba=workbook.suffix.lower() == ".xlsm")
    if CONFIG_SHEET not in wb.sheetnames:
        raise KamxlError(f"{workbook}: 没有「{CONFIG_SHEET}」表，不是 kamxl 生成的带按钮工作簿 (not a kamxl .xlsm)")
    ws = wb[CONFIG_SHEET]
    rows = {str(ws.cell(r, 1).value or "").upper(): r for r in range(1, ws.max_row + 1)}
    row = rows.get("INTERPRETER_WIN") or ws.max_row + 1
    ws.cell(row, 1).value = "INTERPRETER_WIN"
    ws.cell(row, 2).value = str(interpreter)
    fd, tmp = tempfile.mkstemp(prefix=f".{workbook.stem}.", suffix=workbook.suffix, dir=workbook.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, workbook)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
