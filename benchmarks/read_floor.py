"""The read phase against its floor: kamxl's read of a team beside fastexcel reading every sheet as text.

On a team made by consolidate.py, times (best of --repeat, alternating) kamxl's read phase (phases.py:
the worker processes reading and checking every workbook) and fastexcel reading every sheet of the
same files, every column as text, into Arrow arrays (polars frames), on the same number of processes; prints
both and their ratio. The floor does no checking at all: it is what parsing the XML into columns costs.

    python benchmarks/read_floor.py /tmp/kamxl-bench/team-plain-50-1000-5000 --workers 2 --repeat 3

`--breakdown N` first reads N of the files in this process, one after the other, and prints where a worker's CPU
goes per file (the safety scan of the zip, calamine opening the workbook and handing over each sheet's rows, the
checks of kamxl/rows.py, the spill of the detail rows) beside fastexcel's reading of the same files (Arrow only, and
with the columns turned into Python lists through polars, as a reader built on it would need).
"""

import argparse
import os
import resource
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date
from importlib.metadata import version
from pathlib import Path

import fastexcel
import polars  # noqa: F401  imported before the workers fork, as kamxl's workers inherit kamxl's modules

import kamxl.io.inputs.batch as batch_module
import kamxl.io.inputs.excel_file as excel_file_module
import kamxl.io.inputs.reader as reader_module
from phases import run_phases

# the steps of a worker's reading of one rep workbook: (module, function, what it is)
_STEPS = ((excel_file_module, "inspect", "zip safety scan"), (excel_file_module, "_calamine", "calamine open"),
          (reader_module, "sheet_rows", "calamine rows"), (reader_module, "check_rows", "rows.py checks"),
          (batch_module, "spill_sheets", "spill to disk"))


def _read_as_text(path: Path) -> int:
    """Every sheet of a workbook as text columns in Arrow; the cells read (so nothing is optimised away)."""
    reader = fastexcel.read_excel(path)
    cells = 0
    for name in reader.sheet_names:
        # the sheet's Arrow columns handed to polars through the Arrow C interface, zero-copy (no pyarrow needed)
        frame = reader.load_sheet(name, dtypes="string").to_polars()
        cells += frame.height * frame.width
    return cells


@contextmanager
def _timed_steps(spent: dict[str, float]):
    """Each step of `_STEPS` adds the CPU seconds it took to `spent` while inside."""
    originals = [(module, name, getattr(module, name)) for module, name, _ in _STEPS]

    def timed(func, label):
        def run(*args, **kwargs):
            start = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - start
        return run

    for (module, name, label), (_, _, func) in zip(_STEPS, originals):
        setattr(module, name, timed(func, label))
    try:
        yield
    finally:
        for module, name, func in originals:
            setattr(module, name, func)


def _fastexcel_lists(path: Path) -> None:
    """Every sheet as text through fastexcel, each column then a Python list (what rows.py would need)."""
    reader = fastexcel.read_excel(path)
    for name in reader.sheet_names:
        frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        [frame.get_column(c).to_list() for c in frame.columns]


def breakdown(files: list[Path]) -> None:
    """Print a worker's CPU milliseconds per file, step by step, beside fastexcel's on the same files."""
    spent: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as spill:
        jobs = [(p, "auto", date(2026, 11, 5), excel_file_module.LIMITS, Path(spill), i) for i, p in enumerate(files)]
        batch_module._read_job(jobs[0])  # warm: imports, caches
        start = time.process_time()
        with _timed_steps(spent):
            for job in jobs:
                batch_module._read_job(job)
        total = time.process_time() - start
    per_file = lambda seconds: f"{seconds / len(files) * 1000:6.1f} ms"  # noqa: E731
    print(f"a worker's CPU per file, in-process, {len(files)} files: {per_file(total)}")
    for label, seconds in spent.items():
        print(f"  {label:<18} {per_file(seconds)}")
    print(f"  {'the rest':<18} {per_file(total - sum(spent.values()))}")
    for label, read in (("fastexcel as text into Arrow", _read_as_text), ("… and into Python lists", _fastexcel_lists)):
        start = time.process_time()
        for path in files:
            read(path)
        print(f"{label:<30} {per_file(time.process_time() - start)}")


def floor(files: list[Path], workers: int) -> tuple[float, float, int]:
    """Wall and CPU seconds (the processes') of fastexcel reading `files` on `workers` processes, and the cells read."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:  # started inside the timing: kamxl's read starts its workers too
        cells = sum(pool.map(_read_as_text, files))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, cells


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("team", type=Path)
    ap.add_argument("--workers", type=int, default=2, help="processes for both (kamxl's default is the CPU count, ≤ 4)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (0: the breakdown alone)")
    ap.add_argument("--breakdown", type=int, default=0, metavar="N",
                    help="first print a worker's CPU per file, step by step, over N files read in-process")
    args = ap.parse_args()
    files = [p for p in sorted(args.team.glob("*.xlsx")) if p.name != "kpi.xlsx" and not p.name.startswith("~$")]
    # the readers' versions: a release can move these figures by a fifth (README: Performance)
    print(f"python-calamine {version('python-calamine')}, fastexcel {version('fastexcel')}, polars {version('polars')}")
    if args.breakdown:
        breakdown(files[:args.breakdown])
    if not args.repeat:
        return
    print(f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB; {args.workers} processes; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    kamxl_runs, floor_runs = [], []
    for _ in range(args.repeat):
        kamxl_runs.append(run_phases(args.team, workers=args.workers, write=False)["read"])
        wall, cpu, cells = floor(files, args.workers)
        floor_runs.append((wall, cpu))
        print(f"  kamxl read {kamxl_runs[-1][0]:.2f} s ({kamxl_runs[-1][1]:.2f} CPU-s); fastexcel {wall:.2f} s "
              f"({cpu:.2f} CPU-s, {cells:,} cells); load {os.getloadavg()[0]:.2f}", flush=True)
    k, f = min(kamxl_runs), min(floor_runs)
    print(f"best of {args.repeat}: kamxl read {k[0]:.2f} s ({k[1]:.2f} CPU-s), fastexcel floor {f[0]:.2f} s "
          f"({f[1]:.2f} CPU-s): kamxl's read is {k[0] / f[0]:.2f}× its floor (CPU {k[1] / f[1]:.2f}×)")


if __name__ == "__main__":
    main()
