"""Reading each input in a worker process that nothing in the file can take the run down with.

A workbook may make a reader raise anything, panic inside Rust, abort the process, loop, or ask
for more memory than the machine has. Each file is therefore handled by a worker process of a
small pool: an exception becomes the file's result, and a worker that dies (abort, out of
memory) or overruns the time limit is replaced — the file it held is reported, the others go on.
On Linux each worker's address space is capped, so a memory blow-up ends that worker, not the
machine: the caps are shares of one budget for the whole run (`worker_cap`).
"""

import faulthandler
import gc
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Callable, Sequence

from ..inputs import excel_file
from ..inputs.excel_file import LIMITS, Limits, detail_of


@dataclass(frozen=True)
class Crashed:
    """A job whose worker died or overran: `code` is `worker_died` or `read_timeout`."""

    code: str
    params: tuple = ()


def _vm_size() -> int | None:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _cap_memory(extra: int) -> bool:
    """Limit this process's address space to what it holds now plus `extra` (Linux; elsewhere nothing): whether it is."""
    try:
        import resource
    except ImportError:
        return False
    now = _vm_size()
    if now is None:
        return False
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = now + extra
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        return False
    return True


def _silence_stderr():
    """What a library prints on its way down (a Rust panic and its backtrace, 'memory allocation failed') is not
    the director's to read: the file's failure says it. The worker's standard error goes nowhere."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
    except OSError:
        pass


def _worker(func: Callable, conn, memory: int):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    faulthandler.disable()  # a worker's abort is reported as that file's failure, not as a dump on the console
    _silence_stderr()
    # a Rust panic in this process prints no backtrace: making one allocates, and under the cap an allocation failing
    # inside it waits forever on the lock the backtrace holds (calamine running out of memory with RUST_BACKTRACE=1
    # set hung its reader until the time limit, and the file was left out instead of read again alone). This
    # process's environment only: it is a fork of the run's
    os.environ["RUST_BACKTRACE"] = "0"
    # a reader out of memory here is a MemoryError: the file is read again alone, with more (batch.py)
    excel_file.MEMORY_CAPPED = _cap_memory(memory)
    # what the worker inherited is never collected: left out of every collection (and its pages never copied)
    gc.freeze()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        # reading a workbook makes a million short-lived objects and few cycles: the cyclic collector would cost
        # a fifth of the time; it runs once between files instead (the memory cap still bounds a job)
        gc.disable()
        try:
            result = func(job)
        except MemoryError:
            result = Crashed("worker_died")
        except BaseException as exc:  # a bug of ours or a library's: this file's failure, never a traceback
            result = Crashed("read_error", (("detail", detail_of(exc)),))
        finally:
            gc.enable()
        conn.send(result)
        del result
        gc.collect()


@contextmanager
def collector_paused():
    """The cyclic garbage collector off for a block of bulk work (restored after, as it was).

    A roll-up makes millions of short-lived objects and almost no cycles: at 50 reps the collector's
    passes cost a fifth of the main process's rules phase. Reference counting still frees them.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def release_freed_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's `malloc_trim`; elsewhere nothing): what a finished
    phase freed otherwise stays counted in this process's memory, and the next phase's helpers add theirs on top.
    True when it was asked of the allocator."""
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError, ImportError):  # not glibc: nothing to do
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True


MIN_WORKER_MEMORY = 128 << 20  # below this a worker could not read a rep's ordinary workbook


def worker_cap(budget: int, workers: int, main_share: int) -> int:
    """The memory each of `workers` reading processes may add: the run's budget less the main process's share, split
    evenly among them (never less than `MIN_WORKER_MEMORY`)."""
    return max(MIN_WORKER_MEMORY, (budget - main_share) // max(1, workers))


def worker_memory(limits: Limits, workers: int) -> int:
    """The cap of each of `workers` reading processes under `limits` (its fixed `worker_memory`, else its budget's share)."""
    return limits.worker_memory or worker_cap(limits.memory_budget, workers, limits.main_share)


def _receive(slot) -> object:
    """What a worker sent back, or `Crashed` when it died before sending (EOF on its pipe)."""
    collecting = gc.isenabled()
    gc.disable()  # unpickling a file's rows makes objects by the hundred thousand, none of them garbage yet
    try:
        if slot.conn.poll():
            return slot.conn.recv()
    except Exception:  # EOFError, OSError, or a result that cannot be unpickled
        pass
    finally:
        if collecting:
            gc.enable()
    return Crashed("worker_died")


class _Slot:
    def __init__(self, ctx, func: Callable, memory: int):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(func, child, memory), daemon=True)
        self.process.start()
        child.close()
        self.job: int | None = None
        self.started = 0.0

    def give(self, index: int, job):
        self.job, self.started = index, time.monotonic()
        self.conn.send(job)

    def stop(self, kill: bool = False):
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def run_isolated(func: Callable, jobs: Sequence, workers: int = 2, limits: Limits = LIMITS,
                 progress: Callable[[int, int], None] | None = None, meanwhile: Callable[[], None] | None = None) -> list:
    """`func(job)` for every job, each in a worker process; a job whose worker died or overran gives `Crashed`.

    `func` must be importable (a module-level function) and should turn its own errors into results:
    an exception escaping it is a crash of that job only. `meanwhile` is called once the workers have their first
    jobs (this process's own work while they read: say, loading the code that will use the results).
    """
    if not jobs:
        if meanwhile:
            meanwhile()
        return []
    ctx = multiprocessing.get_context()
    results: list = [None] * len(jobs)
    pending = deque(enumerate(jobs))
    slots: list[_Slot | None] = [None] * max(1, min(workers, len(jobs)))
    done = 0
    memory = worker_memory(limits, len(slots))
    try:
        while done < len(jobs):
            for i, slot in enumerate(slots):
                if (slot is None or slot.job is None) and pending:
                    slots[i] = slot = slot or _Slot(ctx, func, memory)
                    slot.give(*pending.popleft())
            if meanwhile:
                then, meanwhile = meanwhile, None
                then()
            busy = [slot for slot in slots if slot is not None and slot.job is not None]
            deadline = min(slot.started for slot in busy) + limits.seconds
            ready = set(wait([s.conn for s in busy] + [s.process.sentinel for s in busy],
                             timeout=max(0.0, deadline - time.monotonic())))
            for i, slot in enumerate(slots):
                if slot is None or slot.job is None:
                    continue
                if slot.conn in ready or slot.process.sentinel in ready:
                    outcome = _receive(slot)
                elif time.monotonic() - slot.started >= limits.seconds:
                    outcome = Crashed("read_timeout", (("seconds", int(limits.seconds)),))
                else:
                    continue
                results[slot.job] = outcome
                done += 1
                if progress:
                    progress(done, len(jobs))
                if isinstance(outcome, Crashed):  # the worker is gone or stuck: a new one is started when needed
                    slot.stop(kill=True)
                    slots[i] = None
                else:
                    slot.job = None
    finally:
        for slot in slots:
            if slot is not None:
                slot.stop(kill=True)
    return results


def can_fork() -> bool:
    """Whether work may go to a forked process: Linux (macOS frameworks may not survive a fork) with a second core."""
    return (os.cpu_count() or 1) > 1 and sys.platform.startswith("linux")


# a fresh interpreter's part in `Spawned`: the job from standard input, the result to standard output
_SERVE = "from kamxl.io.machinery.isolation import _serve; _serve()"


class Spawned:
    """`func(*args)` computed in a fresh interpreter while this one goes on (`can_fork`); `result()` is None when it
    could not run or failed (the caller then does the work itself).

    Unlike a forked process, it shares no page of this one's heap: a forked child that allocates or
    touches a reference count copies the parent's pages one by one (a 200-rep roll-up's writer helpers grew to
    450 MB each that way), so what it holds is its own work's alone (tens of MB) whatever this process holds.
    `func` must be importable and `args` picklable (and small: they are sent as a file).
    """

    def __init__(self, func: Callable, *args):
        self.process: subprocess.Popen | None = None
        if not can_fork():
            return
        package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))}
        try:
            with tempfile.TemporaryFile() as job:
                pickle.dump((func, args), job, protocol=pickle.HIGHEST_PROTOCOL)
                job.seek(0)
                self.process = subprocess.Popen([sys.executable, "-c", _SERVE], stdin=job, stdout=subprocess.PIPE,
                                                stderr=subprocess.DEVNULL, env=env)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):  # no process, or a job that cannot go
            self.process = None

    def result(self):
        """The result, or None when the process could not make it."""
        if self.process is None:
            return None
        try:
            out, _ = self.process.communicate()
            found = pickle.loads(out) if self.process.returncode == 0 and out else None
        except Exception:  # noqa: BLE001 — whatever went wrong, the caller makes it itself
            found = None
        self.stop()
        return found[0] if found else None

    def stop(self):
        """End the process, finished or not."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


def _serve():
    """A `Spawned` process: reads (func, args) from standard input, writes (result,) to standard output."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops this process
    gc.disable()  # short-lived bulk work, few cycles
    func, args = pickle.load(sys.stdin.buffer)
    found = (func(*args),)
    sys.stdout.buffer.write(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
