"""Work on several cores by forking: the children inherit everything, only results are pickled.

`fork_map(fn, n)` runs fn(1) .. fn(n-1) in forked children and fn(0) in this process, then returns
[fn(0), ..., fn(n-1)]. Nothing is sent to a child: it reads its share of the parent's memory, which
makes starting one cost a fork (~2 ms here) where a process pool cost ~20 ms of imports and its
queue threads, and it lets this process work too instead of waiting. Each child writes one pickle to
its pipe and leaves with os._exit, so no atexit handler or buffered output of the parent runs twice.

Failures are never a silent gap: an exception in a child is raised again here, and a child that dies
(a signal, an engine crash) or leaves a truncated answer raises WorkerError. The caller must not hold
threads that the children would need (the children only pickle and write).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class WorkerError(RuntimeError):
    """A forked child ended without a well-formed answer."""


def can_fork() -> bool:
    return hasattr(os, "fork")


def asked_jobs() -> int | None:
    """$KUBEGATE_JOBS as a number of processes; None when unset or empty. Anything else is a usage
    error (exit 2), not a crash and not silently ignored."""
    raw = os.environ.get("KUBEGATE_JOBS", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        from linter.models import ConfigError

        raise ConfigError(f"KUBEGATE_JOBS must be a whole number of processes, 1 or more (it is {raw[:20]!r})")
    return int(raw)


def cores(cap: int = 4) -> int:
    """How many processes a stage may use: the usable CPUs (at most `cap`), or $KUBEGATE_JOBS when
    set (`1`: everything in this process)."""
    asked = asked_jobs()
    if asked is not None:
        return asked
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, cap))


def fork_map(fn: Callable[[int], T], count: int) -> list[T]:
    import pickle  # noqa: F401 - before forking, so that no child imports it again

    children: list[tuple[int, int]] = []  # (pid, read end)
    try:
        for index in range(1, count):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                os.close(read)
                _child(fn, index, write)
            os.close(write)
            children.append((pid, read))
        results = [fn(0)]
        while children:
            pid, read = children[0]
            try:
                results.append(_collect(pid, read))
            finally:
                children.pop(0)  # collected or failed: its pipe is closed and it is reaped
        return results
    finally:
        for pid, read in children:  # an error here or in a child: stop and reap the others
            _close(read)
            _reap(pid, kill=True)


class BudgetExceeded(WorkerError):
    """A forked call did not answer within its time budget; the child was killed."""


def fork_call(fn: Callable[[], T], seconds: float) -> T:
    """fn() in a forked child that is killed after `seconds`: BudgetExceeded. A child that dies (a
    signal, an engine crash) is WorkerError, and the parent survives either way."""
    import pickle  # noqa: F401 - before forking, so that the child does not import it again
    import select
    import time

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        os.close(read)
        _child(lambda _i: fn(), 0, write)
    os.close(write)
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                raise BudgetExceeded(f"no answer within {seconds:g} s")
            chunk = os.read(read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:
        _close(read)
        _reap(pid, kill=True)
        raise
    os.close(read)
    status = _reap(pid, kill=False)
    try:
        ok, value = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - empty or truncated: the child died before answering
        raise WorkerError(f"a worker process ended without an answer ({_describe(status)})") from None
    if not ok:
        raise value
    return value


def _child(fn: Callable[[int], Any], index: int, write: int) -> None:  # pragma: no cover - child only
    import pickle

    try:
        try:
            payload = pickle.dumps((True, fn(index)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            try:
                payload = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                payload = pickle.dumps((False, WorkerError(f"{exc.__class__.__name__} in a worker")))
        view = memoryview(payload)
        while view:
            view = view[os.write(write, view):]
    finally:
        os._exit(0)


def _collect(pid: int, read: int) -> Any:
    import pickle  # not at the top: every run imports this module, few runs fork

    chunks = []
    try:
        while chunk := os.read(read, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(read)  # a child still writing gets EPIPE and ends, so reaping cannot hang
        status = _reap(pid, kill=False)
    try:
        ok, value = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - empty or truncated: the child died before answering
        raise WorkerError(f"a worker process ended without an answer ({_describe(status)})") from None
    if not ok:
        raise value
    return value


def _reap(pid: int, kill: bool) -> int:
    if kill:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}" if os.WIFEXITED(status) else "unknown status"
