"""The read phase against its floor: kamxl's read of a team beside fastexcel reading every sheet as text.

On a team made by consolidate.py, times (best of --repeat, alternating) kamxl's read phase (phases.py:
the worker processes reading and checking every workbook) and fastexcel reading every sheet of the
same files, every column as text, into Arrow arrays (polars frames), on the same number of processes; prints
both and their ratio. The floor does no checking at all: it is what parsing the XML into columns costs.

    python benchmarks/read_floor.py /tmp/kamxl-bench/team-plain-50-1000-5000 --workers 2 --repeat 3
"""

import argparse
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import fastexcel
import polars  # noqa: F401  imported before the workers fork, as kamxl's workers inherit kamxl's modules

from phases import run_phases


def _read_as_text(path: Path) -> int:
    """Every sheet of a workbook as text columns in Arrow; the cells read (so nothing is optimised away)."""
    reader = fastexcel.read_excel(path)
    cells = 0
    for name in reader.sheet_names:
        # the sheet's Arrow columns handed to polars through the Arrow C interface, zero-copy (no pyarrow needed)
        frame = reader.load_sheet(name, dtypes="string").to_polars()
        cells += frame.height * frame.width
    return cells


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
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = [p for p in sorted(args.team.glob("*.xlsx")) if p.name != "kpi.xlsx" and not p.name.startswith("~$")]
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
