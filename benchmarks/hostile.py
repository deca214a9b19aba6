"""Worst case: the demo team plus every generated hostile file (tests/hostile.py) in one folder.

Runs `kamxl consolidate` and `kamxl validate` over it as subprocesses and prints wall time, the
peak resident memory of the whole process tree (workers included) and what became of each file.

    python benchmarks/hostile.py
"""

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from consolidate import measure  # noqa: E402
from tests.hostile import CASES, CaseUnavailable  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        team = tmp / "team"
        subprocess.run([sys.executable, "-m", "kamxl", "demo", str(team)], check=True, capture_output=True)
        made = 0
        for name, make in CASES.items():
            case_dir = tmp / "cases" / name
            case_dir.mkdir(parents=True)
            try:
                for path in [make(case_dir)]:
                    path.rename(team / path.name)
                    made += 1
            except CaseUnavailable as exc:
                print(f"case {name}: not made here ({exc})")
        summary = tmp / "summary.json"
        seconds, _, peak, _ = measure([sys.executable, "-m", "kamxl", "consolidate", str(team), "--period", "2026-10",
                                 "--kpi", str(team / "kpi.xlsx"), "--out", str(tmp / "rollup.xlsx"), "--json", str(summary)])
        report = json.loads(summary.read_text(encoding="utf-8"))
        statuses = Counter(f["status"] for f in report["files"])
        print(f"consolidate: {made} hostile files + the demo team, {seconds:.1f} s, peak {peak:.0f} MB (process tree), "
              f"files {dict(statuses)}")
        # validate exits 1 when it finds problems (it will): a shell reports success once it is done
        seconds, _, peak, _ = measure(["sh", "-c", f'"{sys.executable}" -m kamxl validate "{team}" >/dev/null; true'])
        print(f"validate:    {seconds:.1f} s, peak {peak:.0f} MB (process tree)")


if __name__ == "__main__":
    main()
