"""Benchmark: how long LibreOffice takes to recalculate a big rep workbook with and without the native 校验 formulas.

A seeded demo rep workbook (2,000 customers and 10,000 visits by default) is built twice: as shipped, and with the
native checks left out (校验 a constant "", no helper columns). Each is opened in LibreOffice through its UNO bridge
(benchmarks/lo_recalc.py, run by an interpreter that can `import uno`: Debian's python3-uno, /usr/bin/python3) without
recalculating, then recalculated in full (`calculateAll()`, what Ctrl+Shift+F9 does) --repeat times. The difference
of the two recalculations is the native checks' cost.

`--with-save` also times what the tests do: `soffice --convert-to xlsx` with recalculation on load — opening,
recalculating and writing the workbook out again. Writing dominates there: LibreOffice writes each cell's formula
text in full (no shared formulas), 10,000 copies of a 2,600-character 校验 formula on 拜访日报 alone.

    python benchmarks/native_check.py --customers 2000 --visits 10000 --repeat 3 [--with-save]
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


def _uno_python() -> str:
    for candidate in (os.environ.get("KAMXL_UNO_PYTHON"), "/usr/bin/python3", shutil.which("python3")):
        if candidate and subprocess.run([candidate, "-c", "import uno"], check=False, capture_output=True).returncode == 0:
            return candidate
    raise SystemExit("No Python with LibreOffice's UNO bridge: apt install python3-uno (or set KAMXL_UNO_PYTHON)")


def recalculations(paths: list[Path], repeat: int) -> list[tuple[Path, tuple[float, float], list[tuple[float, float]]]]:
    """Each workbook opened in turn in one LibreOffice: (path, (CPU, wall) of opening it, [(CPU, wall) of each full
    recalculation])."""
    script = Path(__file__).with_name("lo_recalc.py")
    out = subprocess.run([_uno_python(), str(script), "--repeat", str(repeat), *map(str, paths)],
                         check=True, capture_output=True, text=True).stdout
    results = []
    for line in out.splitlines():
        name, opened, recalc = line.split("\t")
        o = [float(x) for x in opened.split()[1:]]
        r = [float(x) for x in recalc.split()[1:]]
        results.append((Path(name), (o[0], o[1]), list(zip(r[::2], r[1::2]))))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--visits", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3, help="full recalculations each time a workbook is opened")
    ap.add_argument("--rounds", type=int, default=3, help="times each workbook is opened, alternating (after a warm-up)")
    ap.add_argument("--with-save", action="store_true", help="also time soffice --convert-to xlsx (open, recalculate, save)")
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
        # alternating, so both see the same load; the first pair warms LibreOffice up and is not counted
        results = recalculations([plain, native] * (args.rounds + 1), args.repeat)[2:]
        saves = {}
        if args.with_save:
            convert(native, work, True)  # the first start of LibreOffice with a new profile is slow: not timed
            saves = {path: statistics.median(convert(path, work, True)[0] for _ in range(args.repeat))
                     for path in (plain, native)}
    print(f"{args.customers:,} customers, {args.visits:,} visits; LibreOffice; {args.rounds} rounds of {args.repeat} full "
          f"recalculations each; median [range]; load average {os.getloadavg()[0]:.1f}")
    print(f"  {'':<28} {'open CPU':>9}  {'recalc CPU':>20}  {'recalc wall':>20}" + ("  open+recalc+save CPU" if saves else ""))
    medians = {}
    for name, path in (("without native checks", plain), ("with native checks", native)):
        opens = [o for p, o, _ in results if p == path]
        runs = [r for p, _, rs in results if p == path for r in rs]
        cpu, wall = [c for c, _ in runs], [w for _, w in runs]
        medians[name] = (statistics.median(cpu), statistics.median(wall))
        line = (f"  {name:<28} {statistics.median(c for c, _ in opens):7.2f} s  "
                f"{medians[name][0]:6.2f} s [{min(cpu):.2f}–{max(cpu):.2f}]  {medians[name][1]:6.2f} s [{min(wall):.2f}–{max(wall):.2f}]")
        print(line + (f"  {saves[path]:10.2f} s" if saves else ""))
    with_, without = medians["with native checks"], medians["without native checks"]
    print(f"  {'of which the native checks':<28} {'':>9}  {with_[0] - without[0]:6.2f} s {'':>13} {with_[1] - without[1]:6.2f} s")


if __name__ == "__main__":
    main()
