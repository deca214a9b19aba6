"""Which existing files kamxl may replace: its own untouched output, known by a fingerprint stored inside the file.

Every workbook `demo`, `templates` and `excel build` write carries a custom document property (docProps/custom.xml,
where Excel keeps its own) holding a SHA-256 of every other part's uncompressed bytes. A save by Excel, LibreOffice
or a script rewrites the parts, so the fingerprint recomputed on the file no longer matches; a file kamxl never wrote
has none. Either way the file is the user's and is replaced only with --force.
"""

import hashlib
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from xml.etree import ElementTree as ET

from ...errors import KamxlError
from ...messages import language, render
from .atomic import atomic_path, temp_sibling, zip_entry

PROPERTY = "kamxl-fingerprint"
CUSTOM_PART = "docProps/custom.xml"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one Excel gives user-defined properties


class OutputsNotOurs(KamxlError):
    """Existing files an output would replace are not kamxl's untouched output."""

    def __init__(self, paths: list[Path]):
        self.paths = paths
        zh = language() == "zh"
        files = ("、" if zh else ", ").join(f"「{p}」" if zh else f"'{p}'" for p in paths)
        super().__init__(render("outputs_not_ours", files=files))


def fingerprint(package: zipfile.ZipFile) -> str:
    """SHA-256 of every part but the custom properties, by name, in name order."""
    return _digest({name: package.read(name) for name in package.namelist() if name != CUSTOM_PART})


def _digest(parts: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(parts):
        digest.update(f"{name}\0{len(parts[name])}\0".encode())
        digest.update(parts[name])
    return digest.hexdigest()


def stored_fingerprint(package: zipfile.ZipFile) -> str | None:
    """The fingerprint kamxl stored in the package, if it holds one."""
    if CUSTOM_PART not in package.namelist():
        return None
    for prop in ET.fromstring(package.read(CUSTOM_PART)).findall(f"{{{_CUSTOM_NS}}}property"):
        if prop.get("name") == PROPERTY:
            return "".join(prop.itertext()).strip()
    return None


def written_by_kamxl(path: Path) -> bool:
    """The workbook carries kamxl's fingerprint property (edited since or not: Excel keeps custom properties)."""
    try:
        with zipfile.ZipFile(path) as package:
            return stored_fingerprint(package) is not None
    except (OSError, zipfile.BadZipFile, ET.ParseError, KeyError, ValueError):
        return False


def is_untouched(path: Path) -> bool:
    """The file is a workbook kamxl wrote and nobody has saved since."""
    try:
        with zipfile.ZipFile(path) as package:
            stored = stored_fingerprint(package)
            return stored is not None and stored == fingerprint(package)
    except (OSError, zipfile.BadZipFile, ET.ParseError, KeyError, ValueError):
        return False


def not_ours(paths: Iterable[Path], same: dict[Path, bytes] | None = None) -> list[Path]:
    """The existing files among `paths` that kamxl must not replace without --force.

    `same`: outputs that are not workbooks (a demo lock file), kamxl's own while they hold exactly these bytes.
    """
    same = same or {}
    found = []
    for path in paths:
        if not path.exists():
            continue
        if path in same:
            if not path.is_file() or path.read_bytes() != same[path]:
                found.append(path)
        elif not path.is_file() or not is_untouched(path):
            found.append(path)
    return found


def refuse_unless_forced(paths: Iterable[Path], force: bool, same: dict[Path, bytes] | None = None) -> None:
    """Raise OutputsNotOurs naming every file that is not kamxl's untouched output, unless `force`."""
    found = [] if force else not_ours(paths, same)
    if found:
        raise OutputsNotOurs(found)


def build_beside(out_dir: Path, force: bool, build: Callable[[Path], list[Path]]) -> list[Path]:
    """Run `build` into a temporary folder inside `out_dir`; unless a result would replace a file that is not kamxl's
    untouched output (OutputsNotOurs, nothing moved), stamp each result and move it into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = temp_sibling(out_dir / "build")
    staging.mkdir()
    try:
        built = build(staging)
        targets = [out_dir / path.relative_to(staging) for path in built]
        refuse_unless_forced(targets, force)
        for path, target in zip(built, targets):
            os.replace(stamp(path), target)
        return targets
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def stamp(path: Path) -> Path:
    """Store the workbook's fingerprint in it (docProps/custom.xml, its content type and relationship), atomically."""
    with zipfile.ZipFile(path) as package:
        parts = {item.filename: (item, package.read(item.filename)) for item in package.infolist()}
    if CUSTOM_PART in parts:
        raise ValueError(f"{path}: already holds custom properties")
    types = parts["[Content_Types].xml"][1].decode("utf-8").replace(
        "</Types>", f'<Override PartName="/{CUSTOM_PART}" ContentType="{_CUSTOM_TYPE}"/></Types>')
    rels = parts["_rels/.rels"][1].decode("utf-8")
    ids = {int(n) for n in re.findall(r'Id="rId(\d+)"', rels)}
    rels = rels.replace("</Relationships>", f'<Relationship Id="rId{max(ids, default=0) + 1}" Type="{_CUSTOM_REL}" '
                                            f'Target="{CUSTOM_PART}"/></Relationships>')
    contents = {name: data for name, (_, data) in parts.items()}
    contents["[Content_Types].xml"], contents["_rels/.rels"] = types.encode("utf-8"), rels.encode("utf-8")
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              f'<Properties xmlns="{_CUSTOM_NS}" xmlns:vt="{_VT_NS}"><property fmtid="{_FMTID}" pid="2" '
              f'name="{PROPERTY}"><vt:lpwstr>{_digest(contents)}</vt:lpwstr></property></Properties>').encode("utf-8")
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as out:
        for name, (item, _) in parts.items():
            if name == "docProps/core.xml":  # where xlsxwriter puts custom properties: before core and app
                out.writestr(zip_entry(CUSTOM_PART, item), custom, compress_type=zipfile.ZIP_DEFLATED)
            out.writestr(zip_entry(name, item), contents[name], compress_type=item.compress_type)
        if "docProps/core.xml" not in parts:
            out.writestr(zip_entry(CUSTOM_PART, item), custom, compress_type=zipfile.ZIP_DEFLATED)
    return path

