"""The macro-enabled workbooks: their VBA equals the text sources, every button reaches a handler, every KAM_ has a wrapper."""

import re
import zipfile
from importlib import metadata
from pathlib import Path

import openpyxl
import pytest
from oletools.olevba import VBA_Parser

import kamxl
from kamxl.director import build_director_workbook
from kamxl.excel import macros, vba
from kamxl.templates import build_rep_workbook

ROOT = Path(__file__).resolve().parents[2]
BUILT = {"director": ROOT / "workbook" / "kamxl.xlsm", "rep": ROOT / "templates" / "rep_workbook.xlsm",
         "rep_en": ROOT / "templates" / "rep_workbook_en.xlsm"}
BUTTONS = {"director": vba.DIRECTOR_BUTTONS, "rep": vba.REP_BUTTONS, "rep_en": vba.REP_BUTTONS}


def modules_in(path: Path) -> dict[str, str]:
    """Module name → source, as oletools' olevba extracts them from the file's vbaProject.bin."""
    parser = VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_all_macros()}
    finally:
        parser.close()


def body(text: str) -> list[str]:
    """Source lines without the attribute header a VBA project adds or drops (line endings aside)."""
    return [line for line in text.replace("\r\n", "\n").split("\n")
            if not line.startswith("Attribute VB_") and line not in ("VERSION 1.0 CLASS", "BEGIN", "  MultiUse = -1  'True", "END")
            and line.strip()]


def button_macros(path: Path) -> dict[str, str]:
    """Caption → macro of every form-control button in the file (the VML drawings' FmlaMacro)."""
    found = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/drawings/vmlDrawing"):
                xml = z.read(name).decode("utf-8")
                for shape in re.findall(r"<v:shape .*?</v:shape>", xml, re.S):
                    macro = re.search(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", shape)
                    if macro:
                        caption = re.sub(r"<[^>]+>", "", re.search(r"<v:textbox.*?</v:textbox>", shape, re.S).group(0))
                        found[caption.strip()] = macro.group(1)
    return found


@pytest.mark.parametrize("which", list(BUILT))
def test_olevba_extracts_every_module_equal_to_its_source(which):
    found = modules_in(BUILT[which])
    for name, text in vba.module_sources().items():
        assert name in found, f"{name} missing from {BUILT[which].name}"
        assert body(found[name]) == body(text), f"{name} in {BUILT[which].name} differs from kamxl/excel/vba_sources"
        assert "\n" not in found[name].replace("\r\n", ""), "VBA source must keep CRLF line ends"


@pytest.mark.parametrize("which", list(BUILT))
def test_every_button_runs_a_macro_that_exists(which):
    path = BUILT[which]
    macros_found = button_macros(path)
    assert sorted(macros_found.values()) == sorted(b.macro for b in BUTTONS[which])
    subs = set(re.findall(r"Public Sub (\w+)\(\)", modules_in(path)["KamButtons"]))
    assert set(macros_found.values()) <= subs
    for button in BUTTONS[which]:
        assert any(caption.startswith(button.caption) for caption in macros_found), button.caption
    with zipfile.ZipFile(path) as z:
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in z.read("[Content_Types].xml").decode()


def test_every_dispatched_action_has_a_handler_and_every_handler_a_button():
    actions = vba.button_actions()
    assert set(actions.values()) == set(macros.HANDLERS)
    assert {b.action for b in vba.REP_BUTTONS + vba.DIRECTOR_BUTTONS} == set(macros.HANDLERS)
    assert {b.macro: b.action for b in vba.REP_BUTTONS + vba.DIRECTOR_BUTTONS} == actions


def kam_functions_in_formulas(path: Path) -> set[str]:
    wb = openpyxl.load_workbook(path, keep_vba=True)
    names = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value.text if hasattr(cell.value, "text") else cell.value
                if isinstance(value, str) and value.startswith("="):
                    names |= set(re.findall(r"\b(KAM_[A-Z_]+)\(", value))
    return names


def test_every_kam_function_in_a_formula_has_a_vba_wrapper_and_a_python_function():
    from kamxl.excel import udfs

    wrappers = set(re.findall(r"^Function (KAM_\w+)\(", vba.source("xlwings_udfs.bas"), re.M))
    python = {name for name in dir(udfs) if name.startswith("KAM_")}
    every_workbook = [*BUILT.values(), *(ROOT / "templates").glob("*.xlsx")]
    used = set().union(*(kam_functions_in_formulas(p) for p in every_workbook))
    assert "KAM_CHECK" in used
    assert used <= wrappers and wrappers == python


def test_udf_wrappers_are_what_the_pinned_xlwings_generates():
    assert metadata.version("xlwings") == vba.XLWINGS_VERSION
    assert vba.udf_wrappers() == vba.source("xlwings_udfs.bas"), "run `kamxl excel build --wrappers`"
    assert 'XLPy.CallUDF("kamxl.excel.udfs", "KAM_CHECK", Array(table), ThisWorkbook, Application.Caller)' \
        in vba.source("xlwings_udfs.bas")


def test_xlwings_runtime_is_the_pinned_package_module_named_kamxl():
    import xlwings

    shipped = (Path(xlwings.__file__).parent / "xlwings.bas").read_bytes().decode("ascii")
    ours = vba.source("xlwings.bas")
    expected = shipped.replace('Public Const PROJECT_NAME As String = "xlwings"', 'Public Const PROJECT_NAME As String = "kamxl"')
    assert expected != shipped and ours == expected.replace("\r\n", "\n").replace("\n", "\r\n")
    assert f'Public Const XLWINGS_VERSION As String = "{vba.XLWINGS_VERSION}"' in ours
    dictionary = (Path(xlwings.__file__).parent / "addin" / "Dictionary.cls").read_bytes().decode("ascii")
    assert vba.source("Dictionary.cls") == dictionary.replace("\r\n", "\n").replace("\n", "\r\n")


def test_vba_sources_are_ascii_so_every_code_page_reads_them():
    for path in vba.sources_folder().iterdir():
        if path.name.endswith((".bas", ".cls")):
            path.read_bytes().decode("ascii")


@pytest.mark.parametrize("which", list(BUILT))
def test_config_sheet_is_hidden_and_names_the_udf_module(which):
    wb = openpyxl.load_workbook(BUILT[which], keep_vba=True)
    ws = wb[vba.CONFIG_SHEET]
    assert ws.sheet_state == "hidden"
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows()]
    assert ("UDF MODULES", "kamxl.excel.udfs") in rows and rows[0][0] == "INTERPRETER_WIN"
    assert all(key for key, _ in rows)  # xlwings stops at the first blank key
    assert vba.NO_PYTHON_TEXT in wb.defined_names[vba.NO_PYTHON_NAME].attr_text


def test_committed_xlsm_files_are_byte_for_byte_a_rebuild(tmp_path):
    from kamxl.io.outputs.ownership import stamp  # as `kamxl templates` ships them: with kamxl's fingerprint

    rebuilt = {"director": build_director_workbook(tmp_path / "kamxl.xlsm"),
               "rep": stamp(build_rep_workbook(tmp_path / "rep_workbook.xlsm")),
               "rep_en": stamp(build_rep_workbook(tmp_path / "rep_workbook_en.xlsm", lang="en"))}
    for which, path in rebuilt.items():
        assert path.read_bytes() == BUILT[which].read_bytes(), \
            f"{BUILT[which].name} is stale: run `kamxl templates` / `kamxl excel build`"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kamxl.xlsm", "rep_workbook.xlsm", "rep_workbook_en.xlsm"]


# ---- the buttons' VBA, run headless by pyOpenVBA's interpreter (not Excel) -------------------------------------

RUNPYTHON_STUB = '''Public Function RunPython(PythonCommand As String)
    ThisWorkbook.Worksheets(1).Range("Z1").Value = PythonCommand
End Function
'''
READY_STUB = '''Public Function KamPythonReady() As Boolean
    KamPythonReady = {ready}
End Function

Public Sub KamMessage(text As String)
    MsgBox text, vbExclamation, "kamxl"
End Sub
'''  # KamMessage as on a Mac: pyOpenVBA cannot call Windows' MessageBoxW (test_messages_show_under_every_code_page)


def _interpreter(path: Path, python_ready: bool):
    """The workbook opened in pyOpenVBA's interpreter with its own KamButtons (as olevba reads it from the file);
    RunPython (xlwings) and the Python probe (KamPython) replaced by stubs."""
    from pyopenvba.apps.excel import ExcelApplication

    app = ExcelApplication.open(path, with_vba=False)
    app.add_module(vba._standard_body(modules_in(path)["KamButtons"].replace("\r\n", "\n")), name="KamButtons")
    app.add_module(RUNPYTHON_STUB, name="xlwings")
    app.add_module(READY_STUB.format(ready=python_ready), name="KamPython")
    return app


@pytest.mark.parametrize("which", ["director", pytest.param("rep", marks=pytest.mark.slow)])
def test_each_button_macro_runs_the_python_command_of_its_action(which):
    path = BUILT[which]
    for macro in button_macros(path).values():
        app = _interpreter(path, True)
        app.run(macro)
        action = vba.button_actions()[macro]
        assert app.sheet(1).value("Z1") == f"import kamxl.excel.macros as m; m.dispatch('{action}')"
        assert app.dialogs == []


def test_without_python_a_button_says_what_to_install_and_runs_nothing():
    path = BUILT["rep"]
    app = _interpreter(path, False)
    app.run(vba.REP_BUTTONS[0].macro)
    assert app.sheet(1).value("Z1") in (None, "")
    [(kind, text, title, _style)] = app.dialogs
    assert (kind, text, title) == ("MsgBox", vba.NO_PYTHON_TEXT, "kamxl")
    # kamxl is not on PyPI: the message names the wheel IT hands out, of this version (README「安装」)
    assert f"py -m pip install kamxl-{kamxl.__version__}-py3-none-any.whl pywin32" in text
    assert "kamxl excel setup" in text


def test_messages_show_under_every_code_page():
    """MsgBox hands its text to Windows in the system's ANSI code page (Chinese shows as ? elsewhere): on Windows
    every message goes through MessageBoxW, which takes the UTF-16 text; MsgBox only on a Mac."""
    text = vba.source("KamPython.bas")
    assert 'Private Declare PtrSafe Function MessageBoxW Lib "user32" (ByVal hWnd As LongPtr, ByVal lpText As LongPtr' in text
    assert "MessageBoxW Application.hWnd, StrPtr(text), StrPtr(title), vbExclamation" in text
    for name in ("KamButtons.bas", "KamPython.bas"):
        windows = re.sub(r"#If Mac Then.*?#Else", "", vba.source(name), flags=re.S)  # what a Windows PC compiles
        assert not [line for line in windows.split("\r\n") if "MsgBox " in line.split("'")[0]], name
