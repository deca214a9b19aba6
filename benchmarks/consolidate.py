"""Benchmark: `kamxl consolidate` end to end against a naive pandas + openpyxl read-concat-write and a
polars + fastexcel read, concat, xlsxwriter write (no rules: "what a competent engineer writes").

Generates (once, then reuses) seeded synthetic teams of N reps, each with --customers customers
and --visits visit rows, in one of two shapes (--shape): `demo`, written by kamxl's own templates, or
`plain`, written with xlsxwriter alone, no styles, 25 customer columns (plain_team.py). Runs the
pipelines on the same files as subprocesses and prints wall time, CPU time, the ratios and the peak
memory of each process tree (PSS and RSS sum, sampled from /proc every 0.1 s); then `kamxl validate`
of the same team (wall and CPU time). CPU seconds are the whole process tree's (workers included):
on a shared machine they move less than wall time.

    python benchmarks/consolidate.py --reps 10 50 100 200   (200 with --skip-naive: the naive run needs ~20 min and 9 GB)
    python benchmarks/consolidate.py --shape plain --reps 50 --skip-validate
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plain_team import write_plain  # noqa: E402

NAIVE = r'''
import sys, pandas as pd
from pathlib import Path
files = [p for p in sorted(Path(sys.argv[1]).glob("*.xlsx")) if p.name != "kpi.xlsx" and not p.name.startswith("~$")]
sheets = {}
for f in files:
    for name, df in pd.read_excel(f, sheet_name=["客户档案", "联系人", "拜访计划", "拜访日报"], engine="openpyxl").items():
        df.insert(0, "代表", f.stem)
        sheets.setdefault(name, []).append(df)
with pd.ExcelWriter(sys.argv[2], engine="openpyxl") as writer:
    for name, parts in sheets.items():
        pd.concat(parts, ignore_index=True).to_excel(writer, sheet_name=name, index=False)
'''

# every sheet of every file read as text into Arrow, concatenated per sheet name, written with xlsxwriter
POLARS = r'''
import sys, fastexcel, polars as pl, xlsxwriter
from pathlib import Path
files = [p for p in sorted(Path(sys.argv[1]).glob("*.xlsx")) if p.name != "kpi.xlsx" and not p.name.startswith("~$")]
sheets = {}
for f in files:
    reader = fastexcel.read_excel(f)
    for name in reader.sheet_names:
        df = reader.load_sheet(name, dtypes="string").to_polars()
        sheets.setdefault(name, []).append(df.with_columns(pl.lit(f.stem).alias("代表")))
with xlsxwriter.Workbook(sys.argv[2]) as book:
    for name, parts in sheets.items():
        pl.concat(parts, how="diagonal_relaxed").write_excel(book, worksheet=name)
'''


def _write_rep(args):
    folder, index, opts = args
    from kamxl.demo import DemoOptions, write_demo_team

    # each rep is its own seeded one-rep team, renamed: generation runs in parallel and stays reproducible
    sub = folder / f".rep{index:03d}"
    files = write_demo_team(sub, DemoOptions(reps=1, customers=opts["customers"], visits=opts["visits"],
                                             seed=1000 + index, mistakes=True, previous_month=False))
    for f in files:
        if f.name == "kpi.xlsx" or f.name.startswith("~$"):
            f.unlink()
        else:
            f.rename(folder / f"rep{index:03d}_{f.name}")
    sub.rmdir()


def team_folder(work: Path, shape: str, reps: int, customers: int, visits: int) -> Path:
    return work / f"team-{'' if shape == 'demo' else shape + '-'}{reps}-{customers}-{visits}"


def make_team(folder: Path, reps: int, customers: int, visits: int, shape: str = "demo") -> Path:
    marker = folder / ".complete"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    opts = {"customers": customers, "visits": visits}
    write = _write_rep if shape == "demo" else write_plain
    with ProcessPoolExecutor() as pool:
        list(pool.map(write, [(folder, i, opts) for i in range(1, reps + 1)]))
    marker.touch()
    return folder


def _tree_memory_kb(root: int) -> tuple[int, int]:
    """Memory of a process and all its descendants, in kB: (PSS, RSS) summed over the tree.

    PSS (proportional set size) splits each page shared between processes among them: the read workers and the
    writer's helpers are forked from the main process and share its pages, which a sum of RSS counts once per process.
    """
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
            parents[int(entry)] = int(fields["PPid"])
            rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
        except (OSError, KeyError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(_pss_kb(pid, rss.get(pid, 0)) for pid in tree), sum(rss.get(pid, 0) for pid in tree)


def _pss_kb(pid: int, fallback: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return fallback


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], ok: tuple[int, ...] = (0,), ended: list | None = None) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds, and the peak tree PSS and RSS (MB) of a command (`ok`: the exit codes that mean it ran;
    `ended`, when given, receives the exit code and the last line of standard error)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = peak_rss = 0
    done = threading.Event()

    def sample():
        nonlocal peak, peak_rss
        while not done.is_set():
            pss, rss = _tree_memory_kb(proc.pid)
            peak, peak_rss = max(peak, pss), max(peak_rss, rss)
            time.sleep(0.1)  # PSS costs the kernel a page-table walk per sample; at 0.1 s that is well under 1% of a core

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if ended is not None:
        ended.extend([proc.returncode, (err.decode(errors="replace").strip().splitlines() or [""])[-1]])
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[:3]} failed: {err.decode()[-2000:]}")
    return elapsed, _children_cpu() - cpu, peak / 1024, peak_rss / 1024


COLUMNS = (("reps", 5, "d"), ("MB in", 7, ".1f"), ("kamxl s", 8, ".1f"), ("CPU s", 6, ".1f"), ("PSS MB", 7, ".0f"),
           ("RSS MB", 7, ".0f"), ("naive s", 8, ".1f"), ("naive MB", 9, ".0f"), ("×naive", 7, ".1f"),
           ("polars s", 8, ".1f"), ("polars MB", 9, ".0f"), ("×polars", 7, ".1f"), ("validate s", 10, ".1f"),
           ("CPU s", 6, ".1f"), ("load", 5, ".2f"))


def _line(values: tuple) -> str:
    return " ".join(f"{'-' if v is None else v:>{w}}" if v is None or isinstance(v, str) else f"{v:>{w}{fmt}}"
                    for v, (_, w, fmt) in zip(values, COLUMNS))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, nargs="+", default=[10, 50, 100])
    ap.add_argument("--shape", choices=("demo", "plain"), default="demo",
                    help="demo: written by kamxl's templates; plain: by xlsxwriter, no styles, 25 customer columns")
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--visits", type=int, default=5000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kamxl-bench")
    ap.add_argument("--skip-naive", action="store_true", help="do not run the pandas + openpyxl pipeline")
    ap.add_argument("--skip-polars", action="store_true", help="do not run the polars + fastexcel + xlsxwriter pipeline")
    ap.add_argument("--skip-validate", action="store_true", help="do not time kamxl validate")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each team this many times (kamxl, then naive, then polars, each time) and add a line of "
                         "medians: on a shared machine one run's ratio moves by a fifth")
    args = ap.parse_args()
    kamxl = [sys.executable, "-m", "kamxl"]
    print(f"shape {args.shape}; load average before: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} CPUs")
    print(" ".join(f"{label:>{w}}" for label, w, _ in COLUMNS))
    for reps in args.reps:
        team = make_team(team_folder(args.work, args.shape, reps, args.customers, args.visits), reps, args.customers,
                         args.visits, args.shape)
        size = sum(p.stat().st_size for p in team.glob("*.xlsx")) / 1e6
        tag = f"{args.shape}-{reps}"
        runs = []
        for _ in range(args.repeat):
            k_time, k_cpu, k_mem, k_rss = measure(kamxl + ["consolidate", str(team), "--period", "2026-10",
                                                           "--out", str(args.work / f"rollup-{tag}.xlsx")])
            n_time = n_mem = p_time = p_mem = v_time = v_cpu = None
            if not args.skip_naive:
                n_time, _, n_mem, _ = measure([sys.executable, "-c", NAIVE, str(team), str(args.work / f"naive-{tag}.xlsx")])
            if not args.skip_polars:
                p_time, _, p_mem, _ = measure([sys.executable, "-c", POLARS, str(team), str(args.work / f"polars-{tag}.xlsx")])
            if not args.skip_validate:  # exit 1: the generated team has data problems on purpose
                v_time, v_cpu, _, _ = measure(kamxl + ["validate", str(team)], ok=(0, 1))
            run = (reps, size, k_time, k_cpu, k_mem, k_rss, n_time, n_mem, n_time / k_time if n_time else None,
                   p_time, p_mem, p_time / k_time if p_time else None, v_time, v_cpu, os.getloadavg()[0])
            runs.append(run)
            print(_line(run), flush=True)
        if args.repeat > 1:
            medians = tuple(statistics.median(values) if None not in values else None for values in zip(*runs))
            print(_line(("med",) + medians[1:]), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
