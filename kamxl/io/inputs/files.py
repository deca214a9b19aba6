"""Which files an INPUT... argument means: files as given, folders expanded to their workbooks."""

import os
import re
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


_UNDECODED = re.compile("[\udc80-\udcff]")  # a byte that was not UTF-8, as Python keeps it in a file name


def readable_path(path: "str | os.PathLike[str]") -> str:
    """A file's name or path as a person reads it, wherever one is shown (console, JSON, the roll-up's 来源).

    A name that is not UTF-8 (a zip made on Chinese Windows, unpacked elsewhere: `张伟.xlsx` in GBK bytes) is read
    as GB18030 where its bytes are that, else with U+FFFD for each byte that is not; the file is still opened by its
    real path, never by this text.
    """
    text = os.fspath(path)
    if not _UNDECODED.search(text):
        return text
    return os.sep.join(_readable_part(part) for part in text.split(os.sep))


def _readable_part(part: str) -> str:
    raw = part.encode("utf-8", "surrogateescape")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("utf-8", "replace")


def readable_name(path: "str | os.PathLike[str]") -> str:
    """A file's name (without its folder) as a person reads it: see `readable_path`."""
    return readable_path(Path(path).name)
