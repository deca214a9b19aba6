"""Macro-enabled workbooks from text sources: the VBA of `kamxl/excel/vba_sources/` (package data) embedded into what xlsxwriter wrote.

Each `.xlsm` carries xlwings' standalone VBA runtime (its `xlwings` module with PROJECT_NAME "kamxl",
so it reads the sheet `kamxl.conf`, plus its `Dictionary` class), the wrappers of every KAM_ function
(generated with xlwings' own generator: no "Import Functions", no Trust-access setting) and the
button macros. The VBA project is written with pyOpenVBA (ms-ovba's compressor corrupts long modules).
"""

import importlib.resources
import importlib.util
import re
import struct
import sys
import types
import zipfile
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Callable

from .. import __version__

VBA_SOURCES = "vba_sources"  # package data of kamxl.excel (pyproject.toml): a wheel install carries it too
XLWINGS_VERSION = "0.37.8"  # the runtime and the wrapper generator must match: pinned in pyproject.toml too
PROJECT_NAME = "kamxl"
UDF_MODULE = "kamxl.excel.udfs"
CONFIG_SHEET = f"{PROJECT_NAME}.conf"  # xlwings' GetConfig reads <PROJECT_NAME>.conf, key in A, value in B
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
BUTTON_MACRO = "KamBtn_{action}"


@dataclass(frozen=True)
class Button:
    action: str  # what kamxl.excel.macros.dispatch receives
    caption: str
    caption_en: str

    @property
    def macro(self) -> str:
        return BUTTON_MACRO.format(action=self.action)


REP_BUTTONS = (Button("validate", "校验", "Validate"), Button("new_visit_plan", "新建拜访计划", "New visit plan"))
DIRECTOR_BUTTONS = (Button("validate_all", "校验全部", "Validate all"), Button("consolidate", "汇总", "Consolidate"),
                    Button("send", "发送", "Send"), Button("make_templates", "生成模板", "Make templates"))
NO_PYTHON_NAME = "kam_msg_no_python"  # the defined name KamButtons shows when Python or kamxl is missing
NO_PYTHON_TEXT = ("这台电脑还不能运行 kamxl 按钮：请安装 Python 3.11 或更高版本，再安装 IT 提供的 kamxl 安装包（命令行运行 "
                  f"py -m pip install kamxl-{__version__}-py3-none-any.whl pywin32），然后运行 kamxl excel setup。"
                  "详见工作簿「说明」或 README「安装」。")

# module name, source file, kind ("std" or "class"): the order they are added to every workbook
MODULES = (("KamButtons", "KamButtons.bas", "std"), ("KamPython", "KamPython.bas", "std"),
           ("xlwings", "xlwings.bas", "std"), ("xlwings_udfs", "xlwings_udfs.bas", "std"),
           ("Dictionary", "Dictionary.cls", "class"))


def sources_folder() -> Traversable:
    """The VBA sources, read as package data: the same from a clone, a wheel or `pipx install`."""
    return importlib.resources.files("kamxl.excel") / VBA_SOURCES


def source(file_name: str) -> str:
    """A VBA source file's text with CRLF line ends (VBA's own)."""
    text = (sources_folder() / file_name).read_bytes().decode("ascii")
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def module_sources() -> dict[str, str]:
    """Module name → the source text embedded in every built workbook."""
    return {name: source(file_name) for name, file_name, _ in MODULES}


def _standard_body(text: str) -> str:
    # pyOpenVBA writes the VB_Name attribute itself
    return re.sub(r'^Attribute VB_Name = ".*?"\r\n', "", text)


def button_actions(text: str | None = None) -> dict[str, str]:
    """Macro name → action of every `KamBtn_*` Sub in KamButtons (what a button may target)."""
    text = text if text is not None else source("KamButtons.bas")
    return dict(re.findall(r'Public Sub (KamBtn_\w+)\(\)\r?\n\s+KamRun "(\w+)"', text))


def _embed_vba(path: Path) -> None:
    """Add kamxl's VBA project to an xlsxwriter-written workbook at `path` and mark it macro-enabled."""
    from pyopenvba import ExcelFile, VBAModuleKind

    with ExcelFile(path) as book:
        project = book.add_vba_project()
        for name, file_name, kind in MODULES:
            text = source(file_name)
            if kind == "std":
                project.add_module(name, _standard_body(text), kind=VBAModuleKind.standard)
            else:
                project.add_module(name, text, kind=VBAModuleKind.other)
        book.save()
    _set_content_type(path, XLSM_CONTENT_TYPE, _source_only)


# [MS-OVBA] 2.3.4.1: the _VBA_PROJECT stream a writer emits: Reserved1 0x61CC, Version 0xFFFF ("MUST be 0xFFFF on
# write"), Reserved2 0x00, Reserved3 (2 bytes, ignored), no PerformanceCache: every Office compiles from source
SOURCE_ONLY_VBA_PROJECT = b"\xcc\x61\xff\xff\x00\x00\x00"
VBA_PROJECT_BIN = "xl/vbaProject.bin"
MODULESTREAMNAME, MODULEOFFSET, PROJECTVERSION, DIR_TERMINATOR = 0x001A, 0x0031, 0x0009, 0x0010


def dir_records(dir_stream: bytes) -> list[tuple[int, int, bytes]]:
    """The records of a decompressed `dir` stream ([MS-OVBA] 2.3.4.2): (id, offset of the record, its data)."""
    records, i = [], 0
    while i + 6 <= len(dir_stream):
        rid, size = struct.unpack_from("<HI", dir_stream, i)
        if rid == PROJECTVERSION:  # its Size field is 4 (Reserved), but VersionMajor and VersionMinor follow: 6 bytes
            size = 6
        records.append((rid, i, dir_stream[i + 6:i + 6 + size]))
        i += 6 + size
        if rid == DIR_TERMINATOR:
            break
    return records


def module_offsets(dir_stream: bytes) -> list[tuple[str, int, int]]:
    """Each module's (stream name, where its MODULEOFFSET record is, TextOffset: the p-code before its source)."""
    found, name = [], ""
    for rid, at, data in dir_records(dir_stream):
        if rid == MODULESTREAMNAME:
            name = data.decode("latin-1")
        elif rid == MODULEOFFSET:
            found.append((name, at, struct.unpack("<I", data)[0]))
    return found


def source_only_project(project: bytes) -> bytes:
    """A vbaProject.bin made source-only: `_VBA_PROJECT` as a writer emits it, and no module stream keeping
    compiled p-code (pyOpenVBA keeps its template's, for ThisWorkbook and Sheet1, and the template's cache)."""
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import compress, decompress

    cfb = CFB.from_bytes(project)
    directory = bytearray(decompress(cfb.get_stream_in_storage("VBA", "dir")))
    for name, at, text_offset in module_offsets(bytes(directory)):
        if text_offset:  # the module's stream: its p-code (PerformanceCache), then the compressed source
            cfb.write_stream_in_storage("VBA", name, cfb.get_stream_in_storage("VBA", name)[text_offset:])
            directory[at + 6:at + 10] = struct.pack("<I", 0)
    cfb.write_stream_in_storage("VBA", "dir", compress(bytes(directory)))
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", SOURCE_ONLY_VBA_PROJECT)
    return cfb.to_bytes()


def _source_only(name: str, data: bytes) -> bytes:
    return source_only_project(data) if name == VBA_PROJECT_BIN else data


def _set_content_type(path: Path, content_type: str, change: Callable[[str, bytes], bytes] | None = None) -> None:
    tmp = path.with_name(f".{path.name}.ct.tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(f'ContentType="{XLSX_CONTENT_TYPE}"'.encode(), f'ContentType="{content_type}"'.encode())
            if change is not None:
                data = change(item.filename, data)
            zout.writestr(item, data)
    tmp.replace(path)


def _write_config_sheet(wb, interpreter: str = "") -> None:
    """The hidden `kamxl.conf` sheet xlwings' runtime reads (an xlsxwriter workbook)."""
    ws = wb.add_worksheet(CONFIG_SHEET)
    for row, (key, value) in enumerate(config_rows(interpreter)):
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
    ws.hide()


def config_rows(interpreter: str = "") -> list[tuple[str, str]]:
    # xlwings stops reading at the first blank key: every key is written, even with a blank value
    return [("INTERPRETER_WIN", interpreter), ("UDF MODULES", UDF_MODULE), ("SHOW CONSOLE", "False")]


def _define_no_python_text(wb) -> None:
    wb.define_name(NO_PYTHON_NAME, '="' + NO_PYTHON_TEXT.replace('"', '""') + '"')


def udf_wrappers() -> str:
    """xlwings_udfs.bas as xlwings' "Import Functions" would write it, generated here without Excel.

    xlwings' generator lives in `xlwings.udfs`, which imports pywin32: empty stand-ins let it import
    on Linux, and a private copy of our UDF module is loaded with the decorators that record metadata.
    """
    import io

    import xlwings

    if xlwings.__version__ != XLWINGS_VERSION:
        raise RuntimeError(f"xlwings {XLWINGS_VERSION} is pinned for the VBA runtime, found {xlwings.__version__}")
    stubs: dict[str, Any] = {name: types.ModuleType(name) for name in ("pythoncom", "pywintypes", "win32com", "win32com.client")}
    stubs["pythoncom"].CoInitialize = lambda: None
    stubs["pywintypes"].com_error = type("com_error", (Exception,), {})
    stubs["win32com.client"].Dispatch = None
    stubs["win32com"].client = stubs["win32com.client"]
    added = [name for name in stubs if name not in sys.modules]
    had_udfs = "xlwings.udfs" in sys.modules
    sys.modules.update({name: stubs[name] for name in added})
    saved = {k: getattr(xlwings, k) for k in ("func", "arg", "ret")}
    try:
        import xlwings.udfs as generator

        for k, v in (("func", generator.xlfunc), ("arg", generator.xlarg), ("ret", generator.xlret)):
            setattr(xlwings, k, v)
        spec = importlib.util.spec_from_file_location(UDF_MODULE, Path(__file__).with_name("udfs.py"))
        assert spec is not None and spec.loader is not None  # a .py file always has its loader
        module = importlib.util.module_from_spec(spec)
        module.__package__ = "kamxl.excel"
        spec.loader.exec_module(module)
        out = io.StringIO()
        out.write('Attribute VB_Name = "xlwings_udfs"\n')
        out.write("'Autogenerated code by xlwings - changes will be lost with next import!\n")
        out.write("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel\n""")
        generator.generate_vba_wrapper(UDF_MODULE, module, out, types.SimpleNamespace(Name="kamxl.xlsm"))
    finally:
        for k, v in saved.items():
            setattr(xlwings, k, v)
        for name in added:
            sys.modules.pop(name, None)
        if not had_udfs:
            sys.modules.pop("xlwings.udfs", None)
            if hasattr(xlwings, "udfs"):
                delattr(xlwings, "udfs")
    return out.getvalue().replace("\r\n", "\n").replace("\n", "\r\n")


def write_udf_wrappers() -> Path:
    """Regenerate kamxl/excel/vba_sources/xlwings_udfs.bas (after a change to kamxl/excel/udfs.py).

    In a clone that is the source file the next build embeds; the package must be a folder on disk."""
    path = Path(__file__).with_name(VBA_SOURCES) / "xlwings_udfs.bas"
    path.write_bytes(udf_wrappers().encode("ascii"))
    return path


def _finish_xlsm(built: Path, target: Path) -> Path:
    """Embed the VBA into `built` (an xlsxwriter file beside `target`) and rename it to `target`; no leftover on failure."""
    try:
        _embed_vba(built)
        built.replace(target)
    finally:
        built.unlink(missing_ok=True)
        built.with_name(f".{built.name}.ct.tmp").unlink(missing_ok=True)
    return target


def build_macro_workbook(wb, built: Path, target: Path, close: Callable[[], object] | None = None) -> Path:
    """Finish an xlsxwriter workbook being written to `built` as a kamxl macro workbook at `target`.

    Adds the hidden `kamxl.conf` sheet and the no-Python message, closes `wb` (with `close` when the caller
    closes it its own way), embeds kamxl's VBA modules (MODULES) and renames the result to `target`.
    The one way the templates and the director's workbook become `.xlsm` files.
    """
    _write_config_sheet(wb)
    _define_no_python_text(wb)
    (close or wb.close)()
    return _finish_xlsm(built, target)
