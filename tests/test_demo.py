"""The demo team exercises the month: consolidated a month earlier (上月/) and now, it shows lost and new accounts."""

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.demo import LOST_ACCOUNTS, NEW_ACCOUNTS, PREVIOUS_MONTH_FOLDER, DemoOptions, write_demo_team
from kamxl.io.inputs.previous import FIGURES_SHEET
from kamxl.schema import (CUSTOMERS, DAILY_REPORT, INSTRUCTIONS_SHEET, KPI_INPUTS, LOST_STAGE, REP_NAME_LABEL, TEAM,
                          VISIT_PLAN)

LAST_MONTH_END = date(2026, 9, 30)  # the end of the month before the demo's default --month 2026-10
# the README's team, and a team too small to hold enough lost and new accounts by chance (a few are planted)
TEAMS = {"readme": DemoOptions(), "small": DemoOptions(reps=2, customers=15, visits=30, seed=5)}


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """name → the demo team, and its 2026-10 roll-up made after the 2026-09 one from 上月/, as a director runs them."""
    built = {}

    def build(name: str) -> tuple[Path, Path]:
        if name not in built:
            tmp = tmp_path_factory.mktemp(name)
            team, out = tmp / "team", tmp / "r"
            write_demo_team(team, TEAMS[name])
            for folder, period in ((team / PREVIOUS_MONTH_FOLDER, "2026-09"), (team, "2026-10")):
                result = CliRunner().invoke(main, ["consolidate", str(folder), "--period", period,
                                                   "--out", str(out / f"rollup-{period}.xlsx")], catch_exceptions=False)
                assert result.exit_code == 0, result.output
            built[name] = team, out / "rollup-2026-10.xlsx"
        return built[name]
    return build


def _day(value) -> date | None:
    """A date cell as the contract reads it: a real date or text like 2026/10/3, 2026-10-03, 2026年10月3日."""
    if isinstance(value, datetime):
        return value.date()
    for form in ("%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(str(value), form).date()
        except ValueError:
            pass
    return None


def _rows(path: Path, sheet) -> list[dict]:
    """A data sheet's rows as label → value (header in the first row, as the demo writes it)."""
    rows = openpyxl.load_workbook(path, read_only=True)[sheet.name].iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row)) for row in rows if any(v is not None for v in row)]


def _rep_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.xlsx") if p.name != "kpi.xlsx" and not p.name.startswith("~$"))


def _rep_of(path: Path) -> str:
    """The rep a workbook is of: 说明's 代表姓名, else the roster's 文件 column."""
    cells = [row for row in openpyxl.load_workbook(path, read_only=True)[INSTRUCTIONS_SHEET].iter_rows(values_only=True)]
    named = [row[1] for row in cells if row and row[0] == REP_NAME_LABEL and len(row) > 1 and row[1]]
    if named:
        return named[0]
    roster = _rows(path.parent / "kpi.xlsx", TEAM)
    return next(r[TEAM.column("rep").label] for r in roster if r[TEAM.column("file").label] == path.name)


def _accounts(path: Path) -> dict[str, str]:
    """customer id → stage, of the rows a reader accepts: an id, used first here, and a readable 建档日期."""
    label = {key: CUSTOMERS.column(key).label for key in ("customer_id", "stage", "created_on")}
    accounts: dict[str, str] = {}
    seen = set()
    for row in _rows(path, CUSTOMERS):
        cid = row[label["customer_id"]]
        if cid in seen:
            continue  # an id typed twice: the later row is rejected
        seen.add(cid)
        if cid and _day(row[label["created_on"]]) is not None:
            accounts[cid] = row[label["stage"]]
    return accounts


def _expected(team: Path) -> dict[str, dict]:
    """Per rep, by hand from the two folders: accounts at the start, lost since (流失 or gone), new since."""
    out = {}
    for path in _rep_files(team):
        before, now = _accounts(team / PREVIOUS_MONTH_FOLDER / path.name), _accounts(path)
        start = {cid for cid, stage in before.items() if stage != LOST_STAGE}
        out[_rep_of(path)] = {"start": len(start),
                              "lost": sum(1 for cid in start if now.get(cid, LOST_STAGE) == LOST_STAGE),
                              "new": sum(1 for cid, stage in now.items() if cid not in before and stage != LOST_STAGE)}
    return out


def _figures(rollup: Path) -> tuple[dict, dict]:
    """The hidden figures sheet: the department's figures and each rep's, by key (rows kind, rep, key, JSON value)."""
    department, reps = {}, {}
    rows = openpyxl.load_workbook(rollup, read_only=True)[FIGURES_SHEET].iter_rows(values_only=True)
    next(rows)  # the header
    for kind, rep, key, value in rows:
        if kind == "department":
            department[key] = json.loads(value)
        elif kind == "rep":
            reps.setdefault(rep, {})[key] = json.loads(value)
    return department, reps


@pytest.mark.parametrize("name", [pytest.param("readme", marks=pytest.mark.slow), "small"])
def test_the_months_roll_up_counts_the_accounts_lost_and_new_since_last_month(months, name):
    team, rollup = months(name)
    expected = _expected(team)
    lost, new, start = (sum(e[key] for e in expected.values()) for key in ("lost", "new", "start"))
    assert LOST_ACCOUNTS[0] <= lost <= LOST_ACCOUNTS[1] and new >= NEW_ACCOUNTS
    department, reps = _figures(rollup)
    assert (department["lost"], department["new"], department["accounts_at_start"]) == (lost, new, start)
    assert department["churn"] == pytest.approx(lost / start * 100, abs=1e-4) and department["churn"] > 0
    assert department["new_accounts"] == pytest.approx(new / start * 100, abs=1e-4) and department["new_accounts"] > 0
    for rep, counts in expected.items():
        assert reps[rep]["value_churn"] == pytest.approx(counts["lost"] / counts["start"] * 100, abs=1e-4), rep
    # 上月/ is not read with the team: the sources are the files directly in the folder
    assert department["files"] == sum(1 for p in team.iterdir() if p.is_file())


@pytest.mark.parametrize("name", [pytest.param("readme", marks=pytest.mark.slow), "small"])
def test_last_months_workbooks_hold_nothing_dated_after_last_month(months, name):
    team, _ = months(name)
    files = _rep_files(team / PREVIOUS_MONTH_FOLDER)
    assert [p.name for p in files] == [p.name for p in _rep_files(team)]
    unreadable = 0
    for path in files:
        for sheet, key in ((CUSTOMERS, "created_on"), (DAILY_REPORT, "date"), (VISIT_PLAN, "planned_on")):
            values = [row[sheet.column(key).label] for row in _rows(path, sheet)]
            days = [d for d in map(_day, values) if d is not None]
            unreadable += len(values) - len(days)
            assert days and max(days) <= LAST_MONTH_END, (path.name, sheet.name)
    assert unreadable <= len(files)  # the deliberate 建档日期 2026/13/45, one per workbook at most
    # the same KPI workbook: it holds last month's rows too
    periods = {r[KPI_INPUTS.column("period").label] for r in _rows(team / PREVIOUS_MONTH_FOLDER / "kpi.xlsx", KPI_INPUTS)}
    assert "2026-09" in periods and "2026-10" in periods


@pytest.mark.slow
def test_the_month_before_leaves_the_readme_team_as_it_was(months, tmp_path):
    team, _ = months("readme")
    alone = tmp_path / "alone"
    write_demo_team(alone, DemoOptions(previous_month=False))
    assert sorted(p.name for p in alone.iterdir()) == sorted(p.name for p in team.iterdir() if p.is_file())
    for path in alone.iterdir():
        if path.name.startswith("~$"):
            assert path.read_bytes() == (team / path.name).read_bytes()
        else:
            assert _cell_values(path) == _cell_values(team / path.name), path.name


def _cell_values(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [tuple(getattr(v, "text", v) for v in row) for row in ws.iter_rows(values_only=True)]
            for ws in book.worksheets}  # an array formula compared by its text


@pytest.mark.slow
def test_demo_over_an_existing_team_writes_it_again(tmp_path):
    args = ["demo", str(tmp_path / "team"), "--reps", "2", "--customers", "12", "--visits", "20"]
    first = CliRunner().invoke(main, args, catch_exceptions=False)
    before = _all_values(tmp_path / "team")
    again = CliRunner().invoke(main, args, catch_exceptions=False)
    assert (first.exit_code, again.exit_code) == (0, 0) and again.output == first.output
    assert _all_values(tmp_path / "team") == before
    assert sorted(p.name for p in (tmp_path / "team" / PREVIOUS_MONTH_FOLDER).iterdir()) == \
        sorted(p.name for p in (tmp_path / "team").glob("*.xlsx") if not p.name.startswith("~$"))


def _all_values(folder: Path) -> dict:
    return {p.relative_to(folder): _cell_values(p) if not p.name.startswith("~$") else p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}
