"""The detail rows go to disk as workbooks are read and come back whole, in order, for the roll-up."""

import gc
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kamxl.consolidate import consolidate
from kamxl.demo import DemoOptions, write_demo_team
from kamxl.io.inputs.reader import read_rep_workbook
from kamxl.io.machinery.spill import DETAILS, RULE_COLUMNS


@pytest.mark.slow
def test_detail_rows_are_spilled_by_the_workers_and_read_back_whole(tmp_path):
    files = write_demo_team(tmp_path / "team", DemoOptions(reps=3, customers=40, visits=150))
    reps = sorted(p for p in files if p.name != "kpi.xlsx" and not p.name.startswith("~$"))
    rollup = consolidate([tmp_path / "team"], "2026-10", today=date(2026, 11, 5), workers=2)
    used = [s for s in rollup.sources if s.kind == "rep" and s.status == "ok"]
    assert len(used) == len(reps)
    for key in DETAILS:
        detail = getattr(rollup, key)
        assert detail.parts and all(p.path and Path(p.path).is_file() and p.data is None for p in detail.parts)
        # the same rows, columns and order as reading each workbook in this process and putting them together
        expected = []
        for source in used:
            book = read_rep_workbook(source.path)
            frame = book.sheets[key].frame.copy()
            frame.insert(0, "rep", source.rep)
            frame["file"] = Path(source.path).name
            expected.append(frame)
        pd.testing.assert_frame_equal(detail.frame(), pd.concat(expected, ignore_index=True), check_dtype=False)
        assert len(detail) == sum(len(f) for f in expected) > 0
    folder = rollup.daily_report.folder.path
    assert folder.is_dir()
    del rollup, detail
    gc.collect()
    assert not folder.exists()  # removed with the roll-up that needed it


def test_the_rules_see_only_the_columns_they_read(tmp_path):
    write_demo_team(tmp_path / "team", DemoOptions(reps=2, customers=30, visits=100))
    from kamxl.io.inputs.batch import read_files

    spill = tmp_path / "spill"
    spill.mkdir()
    outcomes = read_files(sorted((tmp_path / "team").glob("*.xlsx")), today=date(2026, 11, 5), spill=spill)
    books = [o for o in outcomes if hasattr(o, "sheets")]
    assert books
    for book in books:
        for key in DETAILS:
            result = book.sheets[key]
            assert list(result.frame.columns) == [*RULE_COLUMNS[key], "row"]
            spilled = pd.read_pickle(result.spilled[0])  # every column of every accepted row, column by column
            assert list(spilled) == result.spilled[1] and set(RULE_COLUMNS[key]) < set(spilled)
            assert {len(values) for values in spilled.values()} == {len(result.frame)} == {result.accepted}
    assert len(list(spill.iterdir())) == len(books) * len(DETAILS)


def test_leftovers_of_killed_runs_are_swept_and_a_running_ones_kept(tmp_path):
    import os
    import subprocess
    import sys

    from kamxl.io.machinery.spill import sweep_leftovers

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    (tmp_path / f"kamxl-spill-{dead}-abc").mkdir()
    (tmp_path / f"kamxl-spill-{dead}-abc" / "000001-contacts.pkl").write_bytes(b"x")
    (tmp_path / f"kamxl-layout-{dead}-abc.xlsx").write_bytes(b"x")
    (tmp_path / f"kamxl-member-{dead}-abc.deflate").write_bytes(b"x")
    mine = tmp_path / f"kamxl-spill-{os.getpid()}-abc"
    mine.mkdir()
    other = tmp_path / "kamxl-spill-notes.txt"  # not one of ours by its name
    other.write_text("x")
    sweep_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])



def test_a_spilled_sheet_is_read_back_run_by_run_with_only_the_kept_rows(tmp_path, monkeypatch):
    from kamxl.io.machinery import spill

    monkeypatch.setattr(spill, "RUN_ROWS", 4)  # ten rows: runs of rows 0-3, 4-7, 8-9
    data = {"customer_id": [f"C{i}" for i in range(10)], "row": list(range(2, 12))}
    spill.write_runs(data, tmp_path / "visits.pkl")
    part = spill.Part("张伟", "张伟.xlsx", 10, list(data), path=str(tmp_path / "visits.pkl"))
    assert part.runs() == [4, 4, 2]
    part.keep_only([1, 2, 5, 8, 9])  # rows 1, 2 of the first run, 5 of the second, 8 and 9 of the last
    assert part.runs() == [2, 1, 2]
    assert part.load_run(1) == {"rep": ["张伟"], "customer_id": ["C5"], "row": [7], "file": ["张伟.xlsx"]}
    assert part.load_run(2)["customer_id"] == ["C8", "C9"]
    assert part.load_columns()["customer_id"] == ["C1", "C2", "C5", "C8", "C9"]  # every run, joined
