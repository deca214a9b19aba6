"""Which files an INPUT... argument means: files as given, folders expanded to their workbooks."""

from pathlib import Path

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".csv"}


def collect_inputs(inputs) -> list[Path]:
    """Files named, plus every workbook-like file in the folders named (not recursing), in a stable order."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES))
        else:
            found.append(path)
    unique = []
    for p in found:
        if p not in unique:
            unique.append(p)
    return unique
