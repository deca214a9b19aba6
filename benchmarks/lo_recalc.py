"""Time LibreOffice's full recalculation (what Ctrl+Shift+F9 does) of workbooks, through its UNO bridge.

Run by an interpreter that can `import uno` (Debian: apt install python3-uno, then /usr/bin/python3);
benchmarks/native_check.py starts it. Each workbook is opened hidden without recalculating (its cached results
kept), then `calculateAll()` runs `--repeat` times. Prints one line a workbook: the CPU seconds of LibreOffice's
processes and the wall seconds of the open and of each recalculation.

    /usr/bin/python3 benchmarks/lo_recalc.py --repeat 3 a.xlsx b.xlsx
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import uno  # the UNO bridge: makes the com.sun.star imports below work
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

# open .xlsx without recalculating: the timed calculateAll() is then the whole recalculation
KEEP_RESULTS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("workbooks", nargs="+", type=Path)
    args = ap.parse_args()
    profile = Path(tempfile.mkdtemp(prefix="kamxl-lo-"))
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(KEEP_RESULTS, encoding="utf-8")
    pipe = f"kamxl_bench_{os.getpid()}"
    office = subprocess.Popen([shutil.which("soffice") or "soffice", f"-env:UserInstallation={profile.as_uri()}",
                               "--headless", "--norestore", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    try:
        for _ in range(300):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                time.sleep(0.2)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        for path in args.workbooks:
            pids = _descendants(office.pid)
            cpu, start = _cpu(pids), time.perf_counter()
            doc = desktop.loadComponentFromURL(path.resolve().as_uri(), "_blank", 0, (_prop("Hidden", True),))
            opened = (_cpu(pids) - cpu, time.perf_counter() - start)
            runs = []
            for _ in range(args.repeat):
                cpu, start = _cpu(pids), time.perf_counter()
                doc.calculateAll()
                runs.append((_cpu(pids) - cpu, time.perf_counter() - start))
            doc.close(True)
            print(f"{path}\topen {opened[0]:.2f} {opened[1]:.2f}\trecalc "
                  + " ".join(f"{c:.2f} {w:.2f}" for c, w in runs), flush=True)
        desktop.terminate()
    finally:
        try:
            office.wait(timeout=60)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
