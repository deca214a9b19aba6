"""A plain install does everything: the wheel carries the VBA sources, and kamxl reads them from it."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "kamxl" / "excel" / "vba_sources"


def _data_files() -> list[str]:
    """Every file of the package that is not Python: what the wheel must carry beside the modules."""
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "kamxl").rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc", ".typed") and p.name != ".gitattributes"
                  and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from a copy of the source (the build writes build/ and egg-info beside it)."""
    tmp = tmp_path_factory.mktemp("wheel")
    tree = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "kamxl", tree / "kamxl", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(tree)],
                   check=True, capture_output=True, timeout=300)
    [built] = (tmp / "dist").glob("kamxl-*.whl")
    return built


@pytest.mark.slow
def test_wheel_carries_every_vba_source_and_data_file(wheel):
    members = set(zipfile.ZipFile(wheel).namelist())
    vba = {f"kamxl/excel/vba_sources/{name}" for name in
           ("KamButtons.bas", "KamPython.bas", "xlwings.bas", "xlwings_udfs.bas", "Dictionary.cls")}
    assert vba <= members, f"missing from {wheel.name}: {sorted(vba - members)}"
    assert set(_data_files()) <= members, f"missing from {wheel.name}: {sorted(set(_data_files()) - members)}"
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(vba):
            relative = name.removeprefix("kamxl/excel/vba_sources/")
            assert zf.read(name) == (SOURCES / relative).read_bytes(), name


@pytest.mark.slow
def test_kamxl_imported_from_the_wheel_reads_its_vba_sources(wheel, tmp_path):
    # the wheel on sys.path ahead of the editable install, run outside the source tree
    script = "import json, kamxl.excel.vba as v; print(v.__file__); print(json.dumps(v.module_sources()))"
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env={"PYTHONPATH": str(wheel)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    where, found = proc.stdout.splitlines()
    assert where.startswith(str(wheel)), where
    expected = {name: (SOURCES / file_name).read_bytes().decode("ascii").replace("\r\n", "\n").replace("\n", "\r\n")
                for name, file_name in (("KamButtons", "KamButtons.bas"), ("KamPython", "KamPython.bas"),
                                        ("xlwings", "xlwings.bas"), ("xlwings_udfs", "xlwings_udfs.bas"),
                                        ("Dictionary", "Dictionary.cls"))}
    assert json.loads(found) == expected
