"""The team's detail rows (every contact, plan and visit) held on disk, file by file, while a roll-up is made.

A 200-rep department sends a million visit rows. The rules need a few columns of them (whose
visit, when, valid information, on a trip); the rest is only copied into the roll-up. So the
worker that reads a workbook writes each detail sheet's accepted rows to a pickle in a private
temporary folder (in runs of `RUN_ROWS` rows) and hands back only the columns the rules read
(`RULE_COLUMNS`); the roll-up writer streams the pickles back one run at a time. The run's memory
then grows with the customers, not with the visits, nor with the size of any one file.
"""

import bisect
import os
import pickle
import struct
import re
import shutil
import signal
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ...schema import CONTACTS, DAILY_REPORT, VISIT_PLAN, Sheet

if TYPE_CHECKING:
    import pandas as pd

TEMP_PREFIX = "kamxl-"  # every temporary kamxl makes in the system's temp folder: kamxl-<what>-<pid>-<random>
_LEFTOVER = re.compile(r"kamxl-(?:spill|layout|member)-(\d+)-")


def sweep_leftovers(folder: Path | None = None) -> None:
    """Remove the temporaries of kamxl processes that no longer run (killed before they could clean up)."""
    folder = Path(folder or tempfile.gettempdir())
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if not match or _alive(int(match.group(1))):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would send Ctrl-C, not ask
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # someone else's, or unknowable: left alone
    return True


DETAILS = {"contacts": CONTACTS, "visit_plan": VISIT_PLAN, "daily_report": DAILY_REPORT}
# the columns of each detail sheet that any rule reads (consolidate.py, excel/macros.py); `row` is always kept
RULE_COLUMNS = {"contacts": ("customer_id", "role"),
                "visit_plan": ("customer_id", "planned_on", "status"),
                "daily_report": ("customer_id", "date", "valid_info", "on_trip")}


class SpillFolder:
    """A private temporary folder, removed when closed, when it is garbage, or when the interpreter exits.

    A process killed outright (SIGKILL, a power cut) cannot remove it: the next run removes every kamxl
    temporary whose process is gone (`sweep_leftovers`).
    """

    def __init__(self):
        sweep_leftovers()
        self.path = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}spill-{os.getpid()}-"))
        self._remove = weakref.finalize(self, _remove_uninterrupted, self.path)

    def close(self):
        self._remove()


def _remove_uninterrupted(path: Path) -> None:
    """Remove the folder with Ctrl-C and SIGTERM held back until it is gone (a signal arriving while a run cleans
    up on its way out would otherwise stop the removal half-way); they are delivered right after."""
    held = {signal.SIGINT, signal.SIGTERM}
    block = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held) if block else None
    try:
        shutil.rmtree(path, ignore_errors=True)
    finally:
        if before is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


RUN_ROWS = 16_384  # a spilled sheet is pickled in runs of this many rows: a writer holds one run at a time
_TRAILER = struct.Struct("<Q")  # a spill file ends with the offset of its index: the offset of each run


def write_runs(data: dict, path: Path) -> None:
    """Pickle `data` (columns of equal length) to `path` in runs of `RUN_ROWS` rows, then an index of the runs."""
    length = len(next(iter(data.values()), []))
    with open(path, "wb") as fh:
        offsets = []
        for start in range(0, length, RUN_ROWS):
            offsets.append(fh.tell())
            pickle.dump({c: values[start:start + RUN_ROWS] for c, values in data.items()}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        index = fh.tell()
        pickle.dump(offsets, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.write(_TRAILER.pack(index))


def read_run(path: str, run: int | None = None) -> dict:
    """Run `run` of a file `write_runs` wrote (None: every run, joined)."""
    with open(path, "rb") as fh:
        fh.seek(-_TRAILER.size, os.SEEK_END)
        fh.seek(_TRAILER.unpack(fh.read(_TRAILER.size))[0])
        offsets = pickle.load(fh)
        if run is not None:
            fh.seek(offsets[run])
            return pickle.load(fh)
        joined: dict[str, list] = {}
        for offset in offsets:
            fh.seek(offset)
            for c, values in pickle.load(fh).items():
                joined.setdefault(c, []).extend(values)
        return joined


def spill_sheets(sheets: dict, folder: Path, index: int) -> None:
    """Write each detail sheet's accepted rows to `folder` and keep only the rule columns in memory (a worker calls
    this for the file it read; `index` keeps files apart)."""
    for key in DETAILS:
        result = sheets.get(key)
        if result is None or not result.accepted:
            continue
        data = result.data
        path = folder / f"{index:06d}-{key}.pkl"
        write_runs(data, path)
        result.spilled = (str(path), list(data))
        result.data = {c: data[c] for c in (*RULE_COLUMNS[key], "row") if c in data}


@dataclass
class Part:
    """One workbook's rows of a detail sheet, column by column: in memory (`data`) or spilled (`path`)."""

    rep: str
    file: str
    rows: int
    columns: list[str]
    data: dict[str, list] | None = None
    path: str | None = None
    keep: list[int] | None = None  # the rows (positions) in the roll-up, ascending; None: all (see `keep_only`)
    total: int = -1  # the rows read (spilled), before `keep_only`: set from `rows` when made

    def __post_init__(self) -> None:
        if self.total < 0:
            self.total = self.rows

    def keep_only(self, positions: list[int]) -> None:
        """Only these rows are the roll-up's (the others are dated after its period)."""
        self.keep = [self.keep[i] for i in positions] if self.keep is not None else list(positions)
        self.rows = len(self.keep)

    def load_columns(self) -> dict[str, list]:
        """The rows' columns with 代表 first and the source file last, as the roll-up lists them."""
        if self.data is not None:
            data = self.data
        else:
            assert self.path is not None  # in memory or spilled
            data = read_run(self.path)
        if self.keep is not None:
            data = {key: [values[i] for i in self.keep] for key, values in data.items()}
        return {"rep": [self.rep] * self.rows, **data, "file": [self.file] * self.rows}

    def runs(self) -> list[int]:
        """The roll-up's rows in each run of `RUN_ROWS` rows read (`load_run`), in order."""
        bounds = range(0, self.total, RUN_ROWS)
        if self.keep is None:
            return [min(RUN_ROWS, self.total - start) for start in bounds]
        return [bisect.bisect_left(self.keep, start + RUN_ROWS) - bisect.bisect_left(self.keep, start) for start in bounds]

    def load_run(self, run: int) -> dict[str, list]:
        """`load_columns` of the rows of one run only: a writer holds no more than `RUN_ROWS` rows of a file at once."""
        start = run * RUN_ROWS
        if self.data is not None:
            data = {key: values[start:start + RUN_ROWS] for key, values in self.data.items()}
        else:
            assert self.path is not None  # in memory or spilled
            data = read_run(self.path, run)
        if self.keep is not None:
            kept = self.keep[bisect.bisect_left(self.keep, start):bisect.bisect_left(self.keep, start + RUN_ROWS)]
            data = {key: [values[i - start] for i in kept] for key, values in data.items()}
        rows = len(next(iter(data.values()), []))
        return {"rep": [self.rep] * rows, **data, "file": [self.file] * rows}

    def load(self) -> "pd.DataFrame":
        """The rows as a DataFrame (object columns), 代表 first and the source file last."""
        import pandas as pd

        return pd.DataFrame(self.load_columns(), dtype=object)


@dataclass
class Detail:
    """A detail sheet of the whole team: its parts in the order of the files."""

    sheet: Sheet
    parts: list[Part] = field(default_factory=list)
    folder: SpillFolder | None = None  # kept alive as long as the rows it holds may be read

    def __len__(self) -> int:
        return sum(p.rows for p in self.parts)

    @property
    def columns(self) -> list[str]:
        """The columns `frame()` has, in its order (as pandas' concat orders them: first seen first)."""
        seen = dict.fromkeys(["rep"])
        for part in self.parts:
            seen.update(dict.fromkeys([*part.columns, "file"]))
        if not self.parts:
            seen.update(dict.fromkeys([*(c.key for c in self.sheet.columns), "row", "file"]))
        return list(seen)

    def blocks(self) -> Iterator["pd.DataFrame"]:
        """Each file's rows in turn: only one file's detail rows are in memory at a time."""
        for part in self.parts:
            yield part.load()

    def frame(self) -> "pd.DataFrame":
        """All rows in one frame (small teams, tests, the visit-plan proposal)."""
        import pandas as pd

        parts = list(self.blocks())
        if not parts:
            return pd.DataFrame(columns=self.columns, dtype=object)
        return pd.concat(parts, ignore_index=True)
