"""Where `kamxl consolidate` spends its time: read (worker processes), rules and tables, write.

Runs the library in-process on a benchmark team (see consolidate.py, which generates them) and
prints each phase's wall time and CPU time (the read phase's CPU is the workers', the write's includes its helpers'):

    python benchmarks/phases.py /tmp/kamxl-bench/team-50-1000-5000
"""

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import kamxl.consolidate as consolidate_module
import kamxl.gather as gather_module
from kamxl.io.outputs.rollup_writer import write_rollup


def _cpu(who) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_phases(team: Path, period: str = "2026-10", workers: int | None = None,
               write: bool = True) -> dict[str, tuple[float, float]]:
    """Each phase's (wall, CPU) seconds of one in-process `consolidate` of `team` (write left out unless `write`)."""
    phases: dict[str, tuple[float, float]] = {}
    read_files = gather_module.read_files

    def timed_read(*a, **k):
        wall, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
        try:
            return read_files(*a, **k)
        finally:
            phases["read"] = (time.perf_counter() - wall, _cpu(resource.RUSAGE_CHILDREN) - cpu)

    gather_module.read_files = timed_read
    try:
        wall, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        rollup = consolidate_module.consolidate([team], period, today=date(2026, 11, 5), workers=workers)
        total_wall, total_cpu = time.perf_counter() - wall, _cpu(resource.RUSAGE_SELF) - cpu
    finally:
        gather_module.read_files = read_files
    read_wall = phases["read"][0]
    phases["rules and tables"] = (total_wall - read_wall, total_cpu)  # the main process's CPU, read waits excluded
    if write:
        with tempfile.TemporaryDirectory() as tmp:
            # the big tables are made by forked helpers: their CPU counts as the children's
            wall, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
            write_rollup(rollup, Path(tmp) / "rollup.xlsx")
            phases["write"] = (time.perf_counter() - wall,
                               _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN) - cpu)
    return phases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("team", type=Path)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    phases = run_phases(args.team, args.period, args.workers)
    print(f"{'phase':<18} {'wall s':>7} {'CPU s':>7}")
    for name, (w, c) in phases.items():
        print(f"{name:<18} {w:>7.2f} {c:>7.2f}")


if __name__ == "__main__":
    main()
