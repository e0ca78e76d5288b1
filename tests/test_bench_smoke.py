"""The benchmark harness must not rot: the generator and a tiny harness run work end to end (no timing asserts)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ruamel.yaml import YAML

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _generate_module() -> ModuleType:
    # bench/ holds scripts, not a package: load the generator by path.
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("documents", [1, 4, 5, 8, 20, 257])
def test_generator_writes_exactly_n_documents_in_small_files(tmp_path: Path, documents: int) -> None:
    stats = _generate_module().generate(tmp_path, documents)
    loader = YAML(typ="safe")
    per_file = [len([d for d in loader.load_all(p.read_text()) if d is not None]) for p in tmp_path.rglob("*.yaml")]
    assert (sum(per_file), stats.documents, stats.files) == (documents, documents, len(per_file))
    assert set(per_file) <= {1, 2, 3, 4, 5}


def test_generator_is_deterministic_and_plants_violations(tmp_path: Path) -> None:
    gen = _generate_module()
    first = gen.generate(tmp_path / "a", 1500)
    gen.generate(tmp_path / "b", 1500)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert set(first.violations) == {"image-latest", "privileged", "schema-replicas", "rbac-wildcard", "helm-no-version"}


def test_harness_tiny_run_measures_kubegate(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(BENCH / "run.py"), "--tiny", "--out", str(out), "--work",
                           str(tmp_path / "work")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = {(r["tool"], r["case"]): r for r in json.loads(out.read_text())["results"]}
    tiny = results[("kubegate", "generated/20")]
    # kubegate's own document count must agree with the generator's: the fleet is what we claim it is.
    assert (tiny["exit_code"] in (0, 1), tiny["timings_ms"]["documents"], "total" in tiny["timings_ms"]) == (
        True, 20, True)
    assert results[("kubegate", "precommit (1 file, 2 docs)")]["median_s"] is not None
    assert "| generated/20 | 20 |" in done.stdout


def test_rules_profile_names_the_rules_that_ran(tmp_path: Path) -> None:
    _generate_module().generate(tmp_path / "fleet", 40)
    out = subprocess.run([sys.executable, str(BENCH / "rules.py"), "--runs", "1", "--top", "500", str(tmp_path / "fleet")],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:]]
    assert {row[3] for row in rows} >= {"Deployment", "Role", "Kustomization"}
    assert {"IMG-003", "RBAC-001", "WKL-001"} <= {row[5] for row in rows}
    assert all(float(row[0]) >= 0 and float(row[1]) >= 0 for row in rows)


_LOWER = ("# METADATA\n# custom:\n#   id: USR-001\npackage user.lower\n\nimport rego.v1\n\n"
          "deny contains msg if {\n  lower(input.metadata.labels.team) == \"x\"\n  msg := \"x\"\n}\n")


def test_fleet_report_table_and_its_exit_code(tmp_path: Path) -> None:
    good, broken = tmp_path / "good-fleet", tmp_path / "broken-fleet"
    for fleet in (good, broken):
        fleet.mkdir()
        (fleet / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: apps\n"
                                       "  labels:\n    team: 5\n")
    (broken / "pol").mkdir()
    (broken / "pol" / "p.rego").write_text(_LOWER)
    (broken / ".kubegate.yaml").write_text("policies:\n  dirs: [pol]\n")  # an engine failure: exit 3
    bench = tmp_path / "BENCHMARKS.md"
    bench.write_text("# Benchmarks\n")
    ok = subprocess.run([sys.executable, str(BENCH / "fleets.py"), str(good), "--write", str(bench)],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "| good-fleet | 1 | 1 | 1 (SCHEMA 1) |" in ok.stdout
    assert "<!-- fleets:begin -->" in bench.read_text() and "good-fleet" in bench.read_text()
    bad = subprocess.run([sys.executable, str(BENCH / "fleets.py"), str(good), str(broken)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "broken-fleet" in bad.stderr
    assert "| broken-fleet | 2 | 3 | 2 (ENGINE 1, SCHEMA 1) |" in bad.stdout  # .kubegate.yaml is a document too


def test_helm_bench_runs_and_writes_its_table(tmp_path: Path) -> None:
    from linter.helm import available

    if not available():
        pytest.skip("helm-python-sdk is not installed")
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text("# Benchmarks\n")
    proc = subprocess.run([sys.executable, str(BENCH / "helm.py"), "--releases", "3", "--runs", "1",
                           "--write", str(doc)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = doc.read_text()
    assert "<!-- helm:begin -->" in text and "| cached |" in text
    # 3 releases of 5 objects each are checked on top of the raw run's resources
    rows = {line.split("|")[1].strip(): int(line.split("|")[3]) for line in text.splitlines()
            if line.startswith("| ") and line.split("|")[3].strip().isdigit()}
    assert rows["cached"] - rows["raw"] == 15
