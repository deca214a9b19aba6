"""Which files an INPUT... argument means: files as given, folders expanded to their workbooks."""

from pathlib import Path

from ...errors import KamxlError
from ...messages import os_error_text, render
from ..outputs.atomic import is_temporary

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv"}


def collect_inputs(inputs) -> list[Path]:
    """Files named, plus every workbook-like file in the folders named (not recursing), in a stable order."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            try:
                # an unfinished output of ours (a run killed while writing) is never an input
                found.extend(sorted(p for p in path.iterdir()
                                    if p.suffix.lower() in WORKBOOK_SUFFIXES and not is_temporary(p) and p.is_file()))
            except OSError as exc:
                raise KamxlError(render("folder_unreadable", path=str(path), detail=os_error_text(exc))) from exc
        else:
            found.append(path)
    unique = []
    for p in found:
        if p not in unique:
            unique.append(p)
    return unique
