"""The Helm engine in a child process: helm-python-sdk's Go library never runs in kubegate's own process.

A chart's templates are code (`until 100000000`, a recursive `include`), and the Go runtime cannot be
interrupted from Python, nor be forked safely once its threads run. So the first call forks a child
(before the library is loaded), which imports `helm_python` and answers requests over two pipes;
each request has a time budget, and the child has an address-space limit. A child that overruns its
budget or dies (an out-of-memory abort of the Go runtime) is killed and reported as `EngineFailed`
for that request only; the next request starts a new child. Measured: fork + import 50 ms once per
run, then a `helm create` chart renders in ~1 ms.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import time
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct("!Q")


class EngineFailed(Exception):
    """The child could not answer: `reason` is "timeout", "crashed" or "unavailable"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class HelmError(Exception):
    """Helm itself refused (a template error, a chart that does not load, a registry error)."""


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("helm_python") is not None


class HelmEngine:
    def __init__(self, memory_mb: int = 2048) -> None:
        self.memory_mb = memory_mb
        self._pid = 0
        self._to_child = self._from_child = -1

    def __enter__(self) -> HelmEngine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def call(self, op: str, timeout: float, **args: Any) -> Any:
        """`op(**args)` in the child (see `_OPS`); HelmError as Helm raised it, EngineFailed when the
        child overran `timeout` seconds or died."""
        if not self._pid:
            self._start()
        try:
            _send(self._to_child, (op, args))
            ok, value = _receive(self._from_child, time.monotonic() + timeout)
        except TimeoutError:
            self.close()
            raise EngineFailed("timeout", f"no answer within {timeout:g} s") from None
        except (EOFError, OSError, pickle.UnpicklingError):
            self.close()
            raise EngineFailed("crashed", "the Helm engine process ended without an answer (out of memory, "
                               f"or a crash; limit {self.memory_mb} MB)") from None
        if not ok:
            raise HelmError(value)
        return value

    def close(self) -> None:
        if self._pid:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            self._pid = 0

    def _start(self) -> None:
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            os.close(down_w)
            os.close(up_r)
            code = 0
            try:
                _serve(down_r, up_w, self.memory_mb)
            except BaseException:  # noqa: BLE001 - whatever happens, never run the parent's code
                code = 1
            os._exit(code)
        os.close(down_r)
        os.close(up_w)
        self._pid, self._to_child, self._from_child = pid, down_w, up_r


# -- the child ---------------------------------------------------------------------------------------

def _serve(inbox: int, outbox: int, memory_mb: int) -> None:
    import resource

    import faulthandler

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and kills this process
    faulthandler.disable()  # an abort here is reported by the parent, not dumped by an inherited handler
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)  # a Go runtime abort writes pages of goroutine dumps: the parent reports it instead
    # The limit is on top of what the fork inherited (the parent's mappings count in the child too).
    limit = _address_space() + (memory_mb << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import helm_python

    helm_python.disable_logging()
    while True:
        try:
            op, args = _receive(inbox, None)
        except EOFError:
            return
        try:
            reply = (True, _OPS[op](helm_python, **args))
        except helm_python.HelmError as exc:
            reply = (False, _helm_message(exc))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            reply = (False, f"{exc.__class__.__name__}: {exc}")
        _send(outbox, reply)


def _address_space() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) << 10
    except (OSError, ValueError, IndexError):
        pass
    return 4 << 30


def _helm_message(exc: Exception) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0] if len(text) > 2000 else text


def _render(h: Any, *, chart: str | bytes, values: dict[str, Any], name: str, namespace: str,
            max_bytes: int) -> dict[str, Any]:
    loaded = h.Chart.load_archive(chart) if isinstance(chart, bytes) else h.Chart.load(chart)
    with loaded:
        meta = dict(loaded.metadata)
        crds = _crds(loaded)
        out = loaded.render(values, name=name, namespace=namespace, is_install=True)
    size = sum(len(v) for v in out.values()) + sum(len(c[1]) for c in crds)
    if size > max_bytes:
        raise ValueError(f"the chart rendered {size >> 20} MB, over the {max_bytes >> 20} MB limit")
    return {"templates": out, "crds": crds, "metadata": meta}


def _crds(chart: Any) -> list[tuple[str, str]]:
    """(file, text) of the chart's `crds/` directory, its dependencies' included."""
    out = []
    for entry in chart.crds or []:
        if isinstance(entry, dict):
            out.append((str(entry.get("filename") or entry.get("name") or ""), str(entry.get("data", ""))))
    return out


def _tags(h: Any, *, ref: str, plain_http: bool, credentials_file: str | None) -> list[str]:
    with h.RegistryClient(plain_http=plain_http, credentials_file=credentials_file) as client:
        return list(client.tags(ref))


def _pull(h: Any, *, ref: str, version: str, destination: str, plain_http: bool,
          credentials_file: str | None) -> dict[str, Any]:
    with h.RegistryClient(plain_http=plain_http, credentials_file=credentials_file) as client:
        return dict(h.pull(ref, client=client, version=version or None, destination=destination,
                           plain_http=plain_http))


_OPS: dict[str, Callable[..., Any]] = {"render": _render, "tags": _tags, "pull": _pull}


# -- framing -----------------------------------------------------------------------------------------

def _send(fd: int, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int, deadline: float | None) -> Any:
    size = _HEADER.unpack(_read(fd, _HEADER.size, deadline))[0]
    return pickle.loads(_read(fd, size, deadline))


def _read(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, left = [], size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
