"""Writing an output so that the path holds the old file or the complete new one, never a part.

Everything is written to a temporary sibling (`.NAME.kamxl-tmp-…`, ignored as an input) and renamed
into place; on any exception — Ctrl-C, or SIGTERM, which the CLI turns into an exit — the sibling is
removed. Only a SIGKILL can leave one behind, and no run ever reads it.
"""

import os
import secrets
import zipfile
from contextlib import contextmanager
from pathlib import Path

TEMP_MARK = ".kamxl-tmp-"


def temp_sibling(path: Path) -> Path:
    """A fresh name beside `path` for its temporary (nothing is created)."""
    return path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def is_temporary(path: Path) -> bool:
    return TEMP_MARK in path.name


def publish(tmp: Path, path: Path):
    """Give the finished temporary ordinary permissions and move it into place."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path to write; on success it replaces `path`, on any exception it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path)
    try:
        yield tmp
        publish(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | Path, text: str):
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def zip_entry(name: str, like: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh zip entry named `name` with `like`'s time and attributes, for a package rewritten member by member
    (no stale extra fields or sizes carried over)."""
    entry = zipfile.ZipInfo(name, like.date_time)
    entry.compress_type, entry.external_attr, entry.create_system = like.compress_type, like.external_attr, like.create_system
    return entry
