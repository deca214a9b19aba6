"""The package's layout, read from its imports (ast): the core knows no file format, no framework and no use
case; the readers and writers under kamxl/io/ serve the use cases and never call them."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kamxl"

# the core: the schema, the rules and the values they make, apart from any file, spreadsheet or command line
CORE = ("kamxl.schema", "kamxl.parsing", "kamxl.settings", "kamxl.rules", "kamxl.rows", "kamxl.rollup_model",
        "kamxl.rollup_schema", "kamxl.messages", "kamxl.problems", "kamxl.errors")
USE_CASES = ("kamxl.consolidate", "kamxl.gather", "kamxl.mail", "kamxl.director", "kamxl.cli")
MACHINERY = ("openpyxl", "python_calamine", "xlsxwriter", "xlwings", "click")
DATA_FRAMES = ("pandas", "numpy")
# where the core may load pandas or numpy, and how: the columnar rules run on numpy arrays; a sheet's rows become a
# DataFrame only when `.frame` is asked for. Imports under `if TYPE_CHECKING:` (type hints) are allowed anywhere.
DATA_FRAMES_ALLOWED = {("kamxl.rules.columnar", "numpy", "top"), ("kamxl.rows", "pandas", "lazy")}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, (ast.Name, ast.Attribute)) and ast.unparse(node.test).endswith("TYPE_CHECKING")


def imports(path: Path) -> list[tuple[str, str]]:
    """(module imported, how: top | lazy (inside a function) | type_checking) of every import of a file."""
    name = _name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, how: str):
        for child in ast.iter_child_nodes(node):
            inner = how
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = "lazy" if how == "top" else how
            elif isinstance(child, ast.If) and _is_type_checking(child):
                inner = "type_checking"
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(up + ([child.module] if child.module else []))
                found.append((base, inner))
                found.extend((f"{base}.{alias.name}", inner) for alias in child.names)  # `from . import parsing`
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), "top")
    return found


def _within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


MODULES = {_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_core_module_is_found():
    core = [m for m in MODULES if _within(m, CORE)]
    assert {"kamxl.rows", "kamxl.rollup_model", "kamxl.rules.kpi", "kamxl.rules.columnar", "kamxl.schema"} <= set(core)


@pytest.mark.parametrize("module", [m for m in MODULES if _within(m, ("kamxl.io",))])
def test_no_reader_or_writer_calls_a_use_case(module):
    assert [m for m, _ in MODULES[module] if _within(m, USE_CASES)] == []


@pytest.mark.parametrize("module", [m for m in MODULES if _within(m, CORE)])
def test_the_core_imports_no_file_format_framework_or_outer_module(module):
    found = [(m, how) for m, how in MODULES[module] if how != "type_checking"]
    assert [m for m, _ in found if _within(m, MACHINERY)] == []
    assert [(m, how) for m, how in found if _within(m, DATA_FRAMES)
            and (module, m.split(".")[0], how) not in DATA_FRAMES_ALLOWED] == []
    # the core depends on nothing around it: not on the readers and writers, the Excel shell, the use cases
    assert [m for m, _ in found if m.startswith("kamxl.") and not _within(m, CORE)] == []


def test_the_worksheet_functions_check_rows_with_the_core_not_the_reader():
    assert [m for m, _ in MODULES["kamxl.excel.functions"] if _within(m, ("kamxl.io",))] == []


@pytest.mark.parametrize("module", ["kamxl.templates", "kamxl.director"])
def test_macro_workbooks_are_built_through_the_excel_package_s_one_function(module):
    imported = {m for m, _ in MODULES[module]}
    assert "kamxl.excel" not in imported  # `from .excel import vba` would open every internal of the module
    from_vba = {m.rpartition(".")[2] for m in imported if m.startswith("kamxl.excel.vba.")}
    assert from_vba == {"build_macro_workbook", "REP_BUTTONS" if module == "kamxl.templates" else "DIRECTOR_BUTTONS"}
