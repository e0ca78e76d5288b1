"""fork_map: results in order, this process does share 0, and no failure of a child goes unnoticed."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from linter.forking import WorkerError, fork_map
from linter.loader import Limits, load_many
from linter.pipeline import classify, kubegate_data
from linter.rego.policies import load_policies

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
REPO = Path(__file__).resolve().parents[1]


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_results_in_order_and_this_process_answers_the_first() -> None:
    parent = os.getpid()
    got = fork_map(lambda i: (i, os.getpid()), 4)
    assert [i for i, _ in got] == [0, 1, 2, 3]
    assert got[0][1] == parent
    assert len({pid for _, pid in got[1:]} | {parent}) == 4
    assert _no_children_left()


def test_a_result_larger_than_a_pipe_buffer() -> None:
    got = fork_map(lambda i: bytes([i]) * (3 << 20), 3)
    assert [len(g) for g in got] == [3 << 20] * 3 and got[2][:1] == b"\x02"


def test_a_child_exception_is_raised_here() -> None:
    def fn(i: int) -> int:
        if i == 2:
            raise ValueError("share 2 is bad")
        return i

    with pytest.raises(ValueError, match="share 2 is bad"):
        fork_map(fn, 3)
    assert _no_children_left()


def test_a_child_that_dies_is_a_worker_error() -> None:
    def fn(i: int) -> int:
        if i == 1:
            os.kill(os.getpid(), 9)
        return i

    with pytest.raises(WorkerError, match="signal 9"):
        fork_map(fn, 2)
    assert _no_children_left()


def test_an_exception_that_does_not_pickle_still_fails() -> None:
    class Local(Exception):  # local classes cannot be pickled
        pass

    def fn(i: int) -> int:
        if i == 1:
            raise Local("x")
        return i

    with pytest.raises(WorkerError, match="Local in a worker"):
        fork_map(fn, 2)


def test_a_failure_here_stops_and_reaps_the_children() -> None:
    release = threading.Event()

    def fn(i: int) -> int:
        if i == 0:
            raise KeyError("first share")
        release.wait(30)  # a child would sit here: it must be killed, not awaited
        return i

    with pytest.raises(KeyError):
        fork_map(fn, 3)
    assert _no_children_left()


def _fleet(tmp_path: Path, documents: int) -> Path:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("bench_generate_forking", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.generate(tmp_path / "fleet", documents)
    return tmp_path / "fleet"


def test_parallel_load_and_policies_answer_exactly_as_serial(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fleet(tmp_path, 900)
    items = [(p, str(p.relative_to(root))) for p in sorted(root.rglob("*.yaml"))]
    from linter import loader

    plains = loader._parse_parallel(items, Limits(), 3)  # the forked path itself, not its fallback
    assert plains is not None
    assert [(p.file, [d.obj for d in p.docs]) for p in plains] == \
        [(p.file, [d.obj for d in p.docs]) for p in (loader._parse_path(path, f, Limits()) for path, f in items)]
    serial, parallel = load_many(items, Limits(), jobs=1), load_many(items, Limits(), jobs=3)
    assert [(d.file, d.index, d.obj) for d in parallel.documents] == [(d.file, d.index, d.obj) for d in serial.documents]
    docs = parallel.documents
    for doc in docs:
        classify(doc)
    inputs = [d for d in docs if d.role in ("resource", "kustomize")]
    data = {"params": {}, "kubegate": kubegate_data(docs, inputs)}
    policies = load_policies([REPO / "policies"])

    def answers(jobs: str) -> list[tuple[object, ...]]:
        monkeypatch.setenv("KUBEGATE_JOBS", jobs)
        return sorted((p.rule_id, p.file, p.doc.index if p.doc else -1, p.path, p.message)
                      for p in policies.evaluate(inputs, data))

    one = answers("1")
    assert one and answers("3") == one


def test_positions_composed_in_children_are_the_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from linter import pipeline
    from linter.cli import main

    root = _fleet(tmp_path, 400)

    def findings(threshold: int) -> list[dict[str, object]]:
        monkeypatch.setattr(pipeline, "PARALLEL_POSITION_FILES", threshold)
        out = tmp_path / f"out-{threshold}.json"
        assert main(["check", "--no-render", "-q", "-f", "json", "-o", str(out), str(root)]) == 1
        return json.loads(out.read_text())["findings"]

    serial = findings(10**9)
    assert len({f["file"] for f in serial if f["line"] > 1}) > 20  # many files composed
    assert findings(1) == serial


@pytest.mark.parametrize("asked, expected", [("1", 1), ("3", 3), (" 2 ", 2), ("", None)])
def test_cores_honours_kubegate_jobs(monkeypatch: pytest.MonkeyPatch, asked: str, expected: int | None) -> None:
    from linter.forking import cores

    monkeypatch.setenv("KUBEGATE_JOBS", asked)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    assert cores() == (expected if expected is not None else max(1, min(cpus, 4)))


@pytest.mark.parametrize("asked", ["auto", "0", "-1", "2.5"])
def test_a_bad_kubegate_jobs_is_a_usage_error(tmp_path: Path, asked: str) -> None:
    import subprocess
    import sys

    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
    done = subprocess.run([sys.executable, "-m", "linter", "check", "--no-render", str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "KUBEGATE_JOBS": asked}, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "KUBEGATE_JOBS must be a whole number" in done.stderr and "Traceback" not in done.stderr
