"""Workers read with the cyclic collector paused, and leave the parent's as it was."""

import gc

import pytest

from kamxl.io.isolation import Crashed, collector_paused, run_isolated


def _collector_state(job):
    if job == "raise":
        raise RuntimeError("boom")
    return gc.isenabled()


def test_a_job_runs_with_the_collector_paused_and_the_parent_keeps_its_own():
    assert gc.isenabled()
    results = run_isolated(_collector_state, [1, "raise", 2, 3], workers=2)
    assert results[0] is False and results[2] is False and results[3] is False
    assert isinstance(results[1], Crashed) and results[1].code == "read_error"
    assert gc.isenabled()  # unpickling the results paused it in the parent only for that while


def test_a_parent_that_paused_its_collector_finds_it_paused():
    gc.disable()
    try:
        assert run_isolated(_collector_state, [1], workers=1) == [False]
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_paused_for_bulk_work_and_restored_after_even_on_error():
    seen = []

    @collector_paused()
    def work(fail: bool):
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("boom")

    assert gc.isenabled()
    work(False)
    with pytest.raises(ValueError):
        work(True)
    assert seen == [False, False] and gc.isenabled()
