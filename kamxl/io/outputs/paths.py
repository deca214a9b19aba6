"""Where the roll-up and its JSON may be written: never over an input, never over anything but a file."""

import os
import stat
from pathlib import Path
from typing import Iterable

from ...errors import KamxlError
from ...messages import render
from ..inputs.excel_file import workbook_sheet_names
from ..inputs.files import collect_inputs
from ..inputs.reader import ROLLUP_MARKERS


class UnsafeOutput(KamxlError):
    "An output path that would overwrite an input or something that is not a regular file"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: Path, option: str, protected: Iterable[Path], must_be_rollup: bool = False):
    """UnsafeOutput when `path` names a protected file (hard links and symbolic links included) or a non-file."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UnsafeOutput(render("output_unusable", option=option, path=str(path), detail=exc.strerror or "")) from exc
    if mode is not None and not stat.S_ISREG(mode):
        raise UnsafeOutput(render("output_not_file", option=option, path=str(path)))
    for other in protected:
        if Path(other).resolve() == path.resolve() or (mode is not None and _same_file(path, Path(other))):
            raise UnsafeOutput(render("output_is_input", option=option, path=str(path)))
    if must_be_rollup and mode is not None and not ROLLUP_MARKERS <= set(workbook_sheet_names(path)):
        raise UnsafeOutput(render("output_not_rollup", option=option, path=str(path)))


def check_outputs(inputs: Iterable, out: Path, json_path: Path | None, **named: Path | None):
    """Refuse outputs that name an input, the KPI workbook, the previous roll-up, the settings, each other, or a non-file.

    An existing `out` may only be replaced when it is itself a kamxl roll-up (last run's output).
    """
    inputs = collect_inputs(inputs)
    named_files = [p for p in named.values() if p]  # --kpi, --previous, --settings: never replaced
    is_rollup = out.is_file() and ROLLUP_MARKERS <= set(workbook_sheet_names(out))
    # last run's roll-up, found among the inputs, is ours to replace (it is never read as an input)
    check_output(out, "--out", [*(p for p in inputs if not (is_rollup and p.resolve() == out.resolve())), *named_files],
                 must_be_rollup=True)
    if json_path is not None and str(json_path) != "-":
        check_output(json_path, "--json", [*inputs, *named_files, out])
    for target, option in ((out, "--out"), (json_path, "--json")):
        if target is not None and str(target) != "-":
            _check_writable(target, option)


def _check_writable(path: Path, option: str):
    """The folder an output goes to must exist or be creatable, and be writable: said before the long read."""
    folder = path.parent if str(path.parent) else Path(".")
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise UnsafeOutput(render("output_unusable", option=option, path=str(path), detail=render("folder_not_writable")))


def check_replaced_rollup(out: Path, period) -> None:
    """An existing roll-up at `out` may be replaced only by the roll-up of its own period (last month's is kept)."""
    if not out.is_file() or not ROLLUP_MARKERS <= set(workbook_sheet_names(out)):
        return
    from ...errors import UnreadableWorkbook
    from ..inputs.previous import read_rollup_figures

    try:
        figures = read_rollup_figures(out)
    except UnreadableWorkbook:
        figures = None
    if figures is None or figures.period != period:
        found = figures.period.label if figures else "?"
        raise UnsafeOutput(render("output_other_period", path=str(out), found=found, period=period.label))
