"""Worst cases: the demo team beside every generated hostile file, and beside ten 200,000-row workbooks.

`--batch hostile` (the default): the demo team, every case of tests/hostile.py and three large ones
written here with xlsxwriter —
  wide_16384:      客户档案 16,384 columns wide (XFD), 120 rows: 1,966,080 cells, just under the 2,000,000-cell limit
  lone_a1048576:   an ~80 KB rep workbook with one more cell, at A1048576 of 客户档案 (refused by the cell limit)
  lone_a1048576_nodim: the same without 客户档案's <dimension> element (its extent known only by scanning)
  styled_xfd:      a rep workbook whose 客户档案 has a styled empty cell at XFD1048576 (dimension A1:XFD1048576)
in one folder. `kamxl consolidate` (and `validate`, unless --skip-validate) run over it as subprocesses;
printed: wall time, the peak PSS of the whole process tree (sampled every 0.1 s) and what became of each
file. Then each large file is consolidated beside only a reference workbook (the same rep workbook
without the large part), and the reference alone, so what that file costs (the difference of the
two peaks) can be attributed.

`--batch big`: the demo team beside ten workbooks of 200,000 rows each (26,000 customers, their contacts
and plans, visits making up the rest; written with xlsxwriter's constant_memory mode, strings inline),
generated once into --work.

    python benchmarks/hostile.py
    python benchmarks/hostile.py --batch big
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from consolidate import measure  # noqa: E402
from plain_team import rep_rows, write_big, write_plain_rep  # noqa: E402
from tests.hostile import CASES, CUSTOMER_PART, CaseUnavailable, mutate  # noqa: E402

ANY_EXIT = tuple(range(256))  # a folder of refused files ends with an error: it still ran
LAST_ROW, LAST_COL = 1_048_575, 16_383  # 0-based: A1048576 and XFD
WIDE_ROWS = 120  # × 16,384 columns = 1,966,080 cells


def _wide(book, sheets):
    sheet = sheets["客户档案"]
    first = 25  # the schema's 23 columns and two extras are written already
    for c in range(first, LAST_COL + 1):
        sheet.write(0, c, f"附加{c}")
    for r in range(1, WIDE_ROWS):
        sheet.write_row(r, first, [f"值{r}-{c}" for c in range(first, LAST_COL + 1)])


def _lone_cell(book, sheets):
    sheets["客户档案"].write(LAST_ROW, 0, "备查")


def _without_dimension(path: Path) -> Path:
    """The workbook with 客户档案's <dimension> element removed: its extent is known only by scanning its cells."""
    def drop(xml: bytes) -> bytes:
        return re.sub(rb"<dimension [^>]*/>", b"", xml)
    moved = path.rename(path.with_name(".undimensioned-" + path.name))
    return mutate(moved, path, {CUSTOMER_PART: drop})


def _styled_corner(book, sheets):
    sheets["客户档案"].write_blank(LAST_ROW, LAST_COL, None, book.add_format({"bg_color": "#FFFF00"}))


LARGE = {  # name: (customers, visits, the change that makes it large)
    "wide_16384": (WIDE_ROWS - 1, 200, _wide),
    "lone_a1048576": (150, 800, _lone_cell),
    "lone_a1048576_nodim": (150, 800, _lone_cell),  # made without its <dimension> below
    "styled_xfd": (150, 800, _styled_corner),
}
NO_DIMENSION = {"lone_a1048576_nodim"}


def make_large(folder: Path, name: str, index: int, reference: bool = False) -> Path:
    """One large case (or, with `reference`, the same rep workbook without its large part)."""
    customers, visits, then = LARGE[name]
    rep, data = rep_rows(900 + index, customers, visits)
    target = folder / f"{'参照' if reference else '大'}{name}.xlsx"
    path = write_plain_rep(target, f"{'参照' if reference else '测试'}{name}", data, then=None if reference else then)
    return _without_dimension(path) if name in NO_DIMENSION and not reference else path


def consolidate(folder: Path, out: Path, kpi: Path | None = None) -> tuple[float, float, dict]:
    """Wall seconds, the tree's peak PSS (MB) and the JSON summary of one consolidate (when none was written: the exit
    code and the last line of standard error, under "ended")."""
    summary = out.with_suffix(".json")
    summary.unlink(missing_ok=True)
    ended: list = []
    seconds, _, peak, _ = measure([sys.executable, "-m", "kamxl", "consolidate", str(folder), "--period", "2026-10",
                                   "--out", str(out), "--json", str(summary), "--lang", "en",
                                   *(["--kpi", str(kpi)] if kpi else [])], ok=ANY_EXIT, ended=ended)
    if summary.exists():
        return seconds, peak, json.loads(summary.read_text(encoding="utf-8"))
    return seconds, peak, {"ended": f"exit {ended[0]}: {ended[1]}"}


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def _report(label: str, seconds: float, peak: float, report: dict):
    statuses = Counter(f["status"] for f in report.get("files", []))
    print(f"{label}: {seconds:.1f} s, peak {peak:.0f} MB PSS (process tree), files {dict(statuses) or report}; "
          f"{_load()}", flush=True)


def hostile_batch(tmp: Path, validate: bool):
    team = tmp / "team"
    subprocess.run([sys.executable, "-m", "kamxl", "demo", str(team)], check=True, capture_output=True)
    made = 0
    for name, make in CASES.items():
        case_dir = tmp / "cases" / name
        case_dir.mkdir(parents=True)
        try:
            path = make(case_dir)
            path.rename(team / path.name)
            made += 1
        except CaseUnavailable as exc:
            print(f"case {name}: not made here ({exc})")
    large = []
    for i, name in enumerate(LARGE):
        large.append(make_large(team, name, i))
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e3:,.0f} KB" for p in large)
    print(f"{made} hostile files + {len(large)} large ({sizes}) + the demo team; {_load()}")
    # several hostile cases are KPI workbooks: the team's own is named
    seconds, peak, report = consolidate(team, tmp / "rollup.xlsx", kpi=team / "kpi.xlsx")
    _report("consolidate, all together", seconds, peak, report)
    by_name = {Path(f["path"]).name: f for f in report.get("files", [])}
    for p in large:
        print(f"  {p.name}: {json.dumps(by_name.get(p.name), ensure_ascii=False)[:300]}")
    if validate:  # validate exits 1 when it finds problems (it will)
        seconds, _, peak, _ = measure([sys.executable, "-m", "kamxl", "validate", str(team)], ok=ANY_EXIT)
        print(f"validate, all together: {seconds:.1f} s, peak {peak:.0f} MB PSS; {_load()}", flush=True)
    print("each large file beside only its reference (the same rep workbook without the large part), against the "
          "reference alone:")
    for i, name in enumerate(LARGE):
        folder = tmp / f"alone-{name}"
        folder.mkdir()
        reference = make_large(folder, name, i, reference=True)
        seconds, base, _ = consolidate(folder, tmp / f"alone-{name}-reference.xlsx")
        path = make_large(folder, name, i)
        seconds, peak, report = consolidate(folder, tmp / f"alone-{name}.xlsx")
        found = [f for f in report.get("files", []) if Path(f["path"]).name == path.name]
        what = f"{found[0]['status']} {found[0].get('reason') or ''}" if found else report.get("ended")
        print(f"  {path.name:<28} {path.stat().st_size / 1e3:>8,.0f} KB {seconds:>6.1f} s {peak:>6.0f} MB PSS "
              f"(reference alone {base:.0f} MB: {peak - base:+.0f} MB)  {what}; {_load()}", flush=True)


def big_batch(tmp: Path, work: Path, count: int, rows: int, customers: int):
    folder = work / f"big-{count}x{rows}"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(write_big, [(folder, i, rows, customers) for i in range(1, count + 1)]))
        (folder / ".complete").touch()
    team = tmp / "team"
    subprocess.run([sys.executable, "-m", "kamxl", "demo", str(team)], check=True, capture_output=True)
    for p in folder.glob("*.xlsx"):
        (team / p.name).symlink_to(p)
    size = sum(p.stat().st_size for p in folder.glob("*.xlsx")) / 1e6
    print(f"the demo team + {count} workbooks of {rows:,} rows ({size:.1f} MB); {_load()}")
    seconds, peak, report = consolidate(team, tmp / "rollup.xlsx", kpi=team / "kpi.xlsx")
    _report("consolidate", seconds, peak, report)
    for f in report.get("files", []):
        if f.get("status") != "ok":
            print(f"  {json.dumps(f, ensure_ascii=False)[:300]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", choices=("hostile", "big"), default="hostile")
    ap.add_argument("--skip-validate", action="store_true")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kamxl-bench")
    ap.add_argument("--count", type=int, default=10, help="big: how many large workbooks")
    ap.add_argument("--rows", type=int, default=200_000, help="big: rows in each (every sheet together)")
    ap.add_argument("--customers", type=int, default=26_000, help="big: customers in each")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.batch == "hostile":
            hostile_batch(Path(tmp), not args.skip_validate)
        else:
            big_batch(Path(tmp), args.work, args.count, args.rows, args.customers)


if __name__ == "__main__":
    main()
