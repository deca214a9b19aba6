"""Benchmark: how long LibreOffice takes to recalculate a big rep workbook with the native 校验 formulas.

A seeded demo rep workbook (2,000 customers and 10,000 visits by default) is converted by LibreOffice
headless three ways: without recalculating (loading and saving only — LibreOffice still calculates the
formulas whose cached result xlsxwriter left empty, so this is no zero baseline), recalculating everything,
and recalculating everything in the same workbook built without the native checks (校验 a constant ""). The
difference of the last two is the native checks' cost on a full recalculation (as on opening the file).

Measured (2 shared cores, LibreOffice 7.4), LibreOffice's CPU seconds: without native checks about 5.3 s, with them
12.8–13.7 s (load average 4; 17.9 s before the 校验 formulas were shared, 25.4 s before the helper columns).

    python benchmarks/native_check.py --customers 2000 --visits 10000 --repeat 3
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from unittest import mock

from kamxl import templates
from kamxl.demo import DemoOptions, write_demo_team

RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def convert(path: Path, work: Path, recalculate: bool) -> tuple[float, float]:
    """(CPU seconds, wall seconds) LibreOffice takes to open `path` and save it as .xlsx (mode 0: always
    recalculate, 1: never). CPU time is what to compare on a shared machine: wall time grows with the load."""
    profile = work / ("profile-recalc" if recalculate else "profile-keep")
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC.format(mode=0 if recalculate else 1), encoding="utf-8")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc", "--convert-to", "xlsx",
                    "--outdir", str(work / "out"), str(path)], check=True, capture_output=True, timeout=900)
    return _children_cpu() - cpu, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--visits", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        options = DemoOptions(reps=1, customers=args.customers, visits=args.visits, mistakes=False,
                              previous_month=False)
        [native] = [p for p in write_demo_team(work / "native", options) if p.name != "kpi.xlsx"]
        with mock.patch.object(templates, "native_check_formula", lambda sheet, lang="zh": '""'), \
                mock.patch.object(templates, "helper_columns", lambda sheet: []), \
                mock.patch.object(templates, "helper_formulas", lambda sheet, lang="zh": {}):
            [plain] = [p for p in write_demo_team(work / "plain", options) if p.name != "kpi.xlsx"]
        convert(native, work, False)  # the first start of LibreOffice with a new profile is slow: not timed
        convert(native, work, True)
        runs = {name: [convert(path, work, recalc) for _ in range(args.repeat)]
                for name, path, recalc in (("open and save, no recalculation", native, False),
                                            ("recalculate, without native checks", plain, True),
                                            ("recalculate, with native checks", native, True))}
    cpu = {name: statistics.median(c for c, _ in r) for name, r in runs.items()}
    wall = {name: statistics.median(w for _, w in r) for name, r in runs.items()}
    print(f"{args.customers:,} customers, {args.visits:,} visits; LibreOffice, median of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  {'':<38} {'CPU':>8} {'wall':>8}")
    for name in runs:
        print(f"  {name:<38} {cpu[name]:6.2f} s {wall[name]:6.2f} s")
    with_, without = "recalculate, with native checks", "recalculate, without native checks"
    print(f"  {'of which the native checks':<38} {cpu[with_] - cpu[without]:6.2f} s {wall[with_] - wall[without]:6.2f} s")


if __name__ == "__main__":
    main()
