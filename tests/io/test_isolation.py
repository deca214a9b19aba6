"""Work spread over processes: results in order, a failure reported as a value, the parent's own work meanwhile."""

import time

import pytest

from kamxl.io.machinery.isolation import Crashed, run_isolated


def _square_or_fail(job):
    if job == "raise":
        raise RuntimeError("boom")
    return job * job


def test_jobs_come_back_in_order_and_a_failing_one_is_reported_not_raised():
    results = run_isolated(_square_or_fail, [1, "raise", 2, 3], workers=2)
    assert results[0] == 1 and results[2:] == [4, 9]
    assert isinstance(results[1], Crashed) and results[1].code == "read_error"


def _pid_and_sum(values):
    import os

    return os.getpid(), sum(values)


def _fails_in_a_child(parent):
    import os

    if os.getpid() != parent:
        raise RuntimeError("only in the child")
    return "computed here"


def _touch_and_wait(job):
    path, seconds = job
    path.write_text("started")
    time.sleep(seconds)
    return path.name


def test_the_parents_own_work_runs_once_while_the_workers_read(tmp_path):
    jobs = [(tmp_path / f"job{i}", 0.3) for i in range(4)]
    calls = []

    def meanwhile():  # the parent's own work (consolidate loads pandas here): the first two jobs are running
        deadline = time.monotonic() + 10
        while not all(path.exists() for path, _ in jobs[:2]) and time.monotonic() < deadline:
            time.sleep(0.01)
        calls.append(sorted(p.name for p in tmp_path.iterdir()))

    assert run_isolated(_touch_and_wait, jobs, workers=2, meanwhile=meanwhile) == [f"job{i}" for i in range(4)]
    assert calls == [["job0", "job1"]]
    nothing = []
    assert run_isolated(_touch_and_wait, [], meanwhile=lambda: nothing.append(1)) == [] and nothing == [1]


def test_each_workers_memory_is_its_share_of_the_runs_budget():
    from kamxl.io.inputs.excel_file import LIMITS, MB, Limits
    from kamxl.io.machinery.isolation import MIN_WORKER_MEMORY, worker_cap, worker_memory

    # 1 GB for the run, 384 MB of it the main process's: 640 MB for the readers
    assert worker_cap(1024 * MB, 2, 384 * MB) == 320 * MB
    assert worker_cap(1024 * MB, 4, 384 * MB) == 160 * MB
    assert worker_cap(1024 * MB, 1, 384 * MB) == 640 * MB  # a file read alone has all of it
    assert worker_cap(1024 * MB, 64, 384 * MB) == MIN_WORKER_MEMORY == 128 * MB  # never too little to read a workbook
    # the default limits: two workers and the main process together within 1 GB
    assert 2 * worker_memory(LIMITS, 2) + LIMITS.main_share == 1024 * MB
    assert worker_memory(Limits(worker_memory=512 * MB), 2) == 512 * MB  # a fixed share, as asked


def _needs_260_mb(path, *_):
    return len(bytearray(260 << 20)) >> 20  # more than a share of two, less than the whole readers' budget


@pytest.mark.slow
def test_a_file_needing_more_than_its_share_is_read_again_alone(tmp_path, monkeypatch):
    from kamxl.io.inputs import batch
    from kamxl.io.inputs.excel_file import MB, Limits
    from kamxl.io.machinery.isolation import MIN_WORKER_MEMORY, worker_memory
    from tests.hostile import write_valid_rep_workbook

    # the workers are forked: they read with the stand-in reader
    monkeypatch.setattr(batch, "read_workbook", _needs_260_mb)
    limits = Limits(memory_budget=128 * MB + 3 * MIN_WORKER_MEMORY, main_share=128 * MB)
    assert (worker_memory(limits, 2), worker_memory(limits, 1)) == (192 * MB, 384 * MB)
    paths = [write_valid_rep_workbook(tmp_path / f"{name}.xlsx", name) for name in ("卢静", "余海燕")]
    assert batch.read_files(paths, workers=2, limits=limits) == [260, 260]


def _needs_500_mb(path, *_):
    return len(bytearray(500 << 20))


@pytest.mark.slow
def test_a_file_needing_more_than_the_whole_budget_is_left_out_with_its_reason(tmp_path, monkeypatch):
    from kamxl.io.inputs import batch
    from kamxl.io.inputs.excel_file import MB, Limits
    from kamxl.io.machinery.isolation import MIN_WORKER_MEMORY
    from tests.hostile import write_valid_rep_workbook

    monkeypatch.setattr(batch, "read_workbook", _needs_500_mb)
    limits = Limits(memory_budget=128 * MB + 3 * MIN_WORKER_MEMORY, main_share=128 * MB)
    paths = [write_valid_rep_workbook(tmp_path / f"{name}.xlsx", name) for name in ("卢静", "余海燕")]
    failures = batch.read_files(paths, workers=2, limits=limits)
    assert [(f.code, dict(f.params)) for f in failures] == [("over_memory_budget", {"limit": 384})] * 2
    assert "可用内存 384 MB 时仍意外退出" in failures[0].reason("zh")


def _write_wide_rep(path, rep: str, rows: int, extra: int):
    """A rep workbook whose 客户档案 has `rows` customers, each with `extra` more text columns (written with
    xlsxwriter, as another tool would: a million cells in seconds)."""
    from datetime import date

    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    book.add_worksheet("说明").write_column(0, 0, ["代表姓名", "模板版本"])
    book.worksheets()[0].write_column(0, 1, [rep, "1.0"])
    sheet = book.add_worksheet("客户档案")
    sheet.write_row(0, 0, ["客户编号", "客户名称", "行业", "开发阶段", "建档日期"] + [f"附加{c}" for c in range(extra)])
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for r in range(1, rows + 1):
        sheet.write_row(r, 0, [f"KA-{r:03d}", f"{rep}{r}号客户有限公司", "制造", "合作"])
        sheet.write_datetime(r, 4, date(2026, 3, 1), day)
        sheet.write_row(r, 5, [f"值{r}-{c}" for c in range(extra)])
    for name, header in (("联系人", ["客户编号", "姓名", "手机"]), ("拜访计划", ["计划日期", "客户编号"]),
                         ("拜访日报", ["日期", "客户编号", "拜访结果"])):
        book.add_worksheet(name).write_row(0, 0, header)
    book.close()
    return path


_READ_WITH_SMALL_BUDGET = """
import sys
from pathlib import Path
from kamxl.io.inputs import batch
from kamxl.io.inputs.excel_file import MB, Limits
# two readers of 128 MB each (the least a reader gets), 256 MB for a file read alone; 60 s before a reader is stopped
limits = Limits(memory_budget=384 * MB, main_share=128 * MB, seconds=60)
for outcome in batch.read_files([Path(p) for p in sys.argv[1:]], workers=2, limits=limits):
    print(getattr(outcome, "code", None) or outcome.sheets["customers"].accepted)
"""


@pytest.mark.slow
@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="the readers' memory is capped on Linux")
def test_a_workbook_whose_cells_overflow_a_readers_share_is_read_again_alone(tmp_path):
    """calamine running out of memory as it hands over 960,000 cells (about 170 MB; a reader of two has 128 MB) is not
    damage: the file is read again alone, with 256 MB, and its customers count. With RUST_BACKTRACE=1 in the run's
    environment, the panic pyo3 raises for it used to hang the reader on its own backtrace lock until the time limit."""
    import os
    import subprocess
    import sys

    from tests.hostile import write_valid_rep_workbook

    wide = _write_wide_rep(tmp_path / "宽表.xlsx", "宽表", rows=60, extra=16_000)
    small = write_valid_rep_workbook(tmp_path / "卢静.xlsx", "卢静")
    done = subprocess.run([sys.executable, "-c", _READ_WITH_SMALL_BUDGET, str(wide), str(small)],
                          env={**os.environ, "RUST_BACKTRACE": "1"}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["60", "3"]  # every customer of both, none left out as damaged or over budget


def _own_peak_kb(_):
    """This process's pid and its peak resident memory (VmHWM), from /proc."""
    import os

    with open("/proc/self/status") as fh:
        return os.getpid(), next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux") or (__import__("os").cpu_count() or 1) < 2,
                    reason="helper processes run on Linux with a second core only (can_fork)")
def test_spawned_work_runs_elsewhere_and_a_failure_is_none():
    import os

    from kamxl.io.machinery.isolation import Spawned

    pid, total = Spawned(_pid_and_sum, [1, 2, 3]).result()
    assert total == 6 and pid != os.getpid()
    assert Spawned(_fails_in_a_child, os.getpid()).result() is None  # it raised there: the caller makes it itself
    assert Spawned(lambda: 1).result() is None  # a job that cannot be sent: never started


@pytest.mark.slow
@pytest.mark.skipif(not __import__("sys").platform.startswith("linux") or (__import__("os").cpu_count() or 1) < 2,
                    reason="helper processes run on Linux with a second core only (can_fork)")
def test_a_spawned_helper_holds_none_of_this_process_memory():
    # 300 MB of this process's own objects, touched: a forked child would map them all (its VmHWM counts them)
    from kamxl.io.machinery.isolation import Spawned

    held = [bytearray(1 << 20) for _ in range(300)]
    pid, peak_kb = Spawned(_own_peak_kb, None).result()
    assert len(held) == 300
    assert peak_kb < 100 * 1024, f"the helper {pid} peaked at {peak_kb >> 10} MB"


def _resident_mb() -> float:
    import os

    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="glibc's allocator (malloc_trim)")
def test_freed_heap_memory_is_handed_back_to_the_system():
    # 200 MB in 64 KB blocks (below the allocator's mmap threshold: on the heap), the last one kept: freeing the
    # rest leaves 200 MB of free heap below it that the allocator keeps counted as this process's until trimmed
    from kamxl.io.machinery.isolation import release_freed_memory

    blocks = [bytes(bytearray(64 << 10)) for _ in range(3200)]
    kept = blocks.pop()
    del blocks
    before = _resident_mb()
    assert release_freed_memory()
    after = _resident_mb()
    assert len(kept) == 64 << 10
    assert before - after > 150, f"resident {before:.0f} MB before, {after:.0f} MB after"
