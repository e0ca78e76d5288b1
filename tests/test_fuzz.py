"""The bounded fuzz target (bench/fuzz.py) runs in the suite for a short budget, and its harness detects
what it claims to detect. A longer run by hand: `python bench/fuzz.py --seconds 600`."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_fuzz", BENCH / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_fuzz_the_gate_for_a_short_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fuzz = _fuzz()
    seconds = os.environ.get("KUBEGATE_FUZZ_SECONDS", "40")
    code = fuzz.main(["--seconds", seconds, "--keep", str(tmp_path / "failures")])
    report = json.loads(capsys.readouterr().out)
    assert "error" not in report, report
    assert report["batches"] >= 1 and report["stats"].get("resources_checked", 0) > 0
    # Every failure counts: an exit 3, a crash, a hang or a traceback on any mutated input is a bug.
    assert report["failures"] == [], json.dumps(report["failures"], indent=1)[:4000]
    assert code == 0


def test_fuzz_falls_back_to_the_examples(tmp_path: Path) -> None:
    fuzz = _fuzz()
    seeds, source = fuzz.seed_documents(fuzz.EXAMPLES)
    assert seeds and source.endswith("examples")


@pytest.mark.parametrize(("script", "reason"), [
    ("import os; os.abort()", "crash (signal 6)"),
    ("import time; time.sleep(30)", "hang"),
    ("raise SystemExit(3)", "exit 3"),
    ("import sys; sys.stderr.write('Traceback (most recent call last):\\n')", "traceback"),
    ("x = bytearray(600 << 20); x[::4096] = b'1' * len(x[::4096])", "rss"),
    ("raise SystemExit(1)", ""),
])
def test_harness_detects_each_kind_of_failure(tmp_path: Path, script: str, reason: str) -> None:
    fuzz = _fuzz()
    outcome = fuzz.run_limited([sys.executable, "-c", script], tmp_path, timeout=2, max_as_mb=4096)
    assert outcome.failure(max_rss_mb=500) == reason


def test_mutations_are_deterministic_per_seed() -> None:
    import random

    fuzz = _fuzz()
    seed = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}
    first = list(fuzz.batch([seed], random.Random(5), 20))
    assert first == list(fuzz.batch([seed], random.Random(5), 20))
    assert len({text for _name, text in first}) > 10
