"""One document cannot blind the run (issue 10, item 2): when the engine fails on some documents,
those get a positioned ENGINE-001, every other document and rule is still judged, and the run ends
in exit 3 whatever the configuration says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from linter.models import EngineError
from linter.rego.isolate import MAX_ISOLATED, isolate
from tests.conftest import write

ENGINES = ["regorus", pytest.param("regopy", marks=pytest.mark.skipif(
    __import__("importlib").util.find_spec("regopy") is None, reason="regopy not installed"))]

# A user policy that the engine cannot evaluate on a document whose label is not a string.
LOWER_POLICY = """# METADATA
# custom:
#   id: USR-001
package user.lower

import rego.v1

deny contains msg if {
  v := lower(input.metadata.labels.team)
  v == "x"
  msg := "team x"
}
"""


def configmap(name: str, team: str, namespace: str = "apps") -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
            f"  labels:\n    team: {team}\n")


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["check", "--format", "json", "--no-render", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)["findings"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_document_the_engine_fails_on_does_not_hide_the_others(tmp_path: Path, engine: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "pol/p.rego", LOWER_POLICY)
    write(tmp_path, "bad.yaml", configmap("bad", "5"))
    write(tmp_path, "good.yaml", configmap("good", "X"))
    write(tmp_path, "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: apps}\n"
          "stringData:\n  password: hunter2\n")
    code, findings = check(capsys, "--engine", engine, "--policy", str(tmp_path / "pol"), str(tmp_path))
    assert code == 3
    got = {(f["rule_id"], Path(f["file"]).name) for f in findings}
    assert ("ENGINE-001", "bad.yaml") in got
    assert ("SEC-001", "secret.yaml") in got  # another rule, on another document
    if engine == "regorus":
        assert ("USR-001", "good.yaml") in got  # the same rule, on the other document
    # (regopy 1.5 fails `lower` on every input, so there only the Secret, which the rule skips, passes)
    engine_failure = next(f for f in findings if f["rule_id"] == "ENGINE-001")
    assert engine_failure["line"] == 1 and engine_failure["severity"] == "error"
    if engine == "regorus":  # regorus is asked one rule at a time, so the rule is named
        assert "USR-001" in engine_failure["message"]
    assert "hunter2" not in json.dumps(findings)


def test_engine_failures_cannot_be_ignored_lowered_or_suppressed(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "pol/p.rego", LOWER_POLICY)
    write(tmp_path, "bad.yaml", "# kubegate: ignore[ENGINE-001] nice try\n" + configmap("bad", "5"))
    write(tmp_path, ".kubegate.yaml", "ignore: [ENGINE-001]\nseverity:\n  ENGINE-001: info\n")
    code, findings = check(capsys, "--policy", str(tmp_path / "pol"), "--fail-level", "error",
                           "--config", str(tmp_path / ".kubegate.yaml"), str(tmp_path))
    assert code == 3
    assert [f["severity"] for f in findings if f["rule_id"] == "ENGINE-001"] == ["error"]


def test_many_documents_one_engine_call_per_rule_and_the_failing_ones_isolated(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "pol/p.rego", LOWER_POLICY)
    docs = [configmap(f"c{i}", "5" if i in (7, 61) else "X") for i in range(120)]
    write(tmp_path, "many.yaml", "---\n".join(docs))
    code, findings = check(capsys, "--policy", str(tmp_path / "pol"), "--select", "USR-001", str(tmp_path))
    assert code == 3
    failed = sorted(f["name"] for f in findings if f["rule_id"] == "ENGINE-001")
    assert failed == ["c61", "c7"]
    assert sum(1 for f in findings if f["rule_id"] == "USR-001") == 118


def _bisect_run(count: int, bad: set[int], targets: int = 3, broken_target: int = 1) -> tuple[Any, Any, int]:
    calls = 0

    def target_query(k: int, idx: list[int]) -> Any:
        nonlocal calls
        calls += 1
        if k == broken_target and bad & {idx_i for idx_i in idx}:
            raise EngineError("boom")
        return [[j, [f"r{k}"]] for j, _i in enumerate(idx)]

    def query(idx: list[int]) -> Any:
        raise AssertionError("the whole batch is not asked again when rules can be asked alone")

    answer, failures = isolate(count, targets, query, target_query)
    return answer, failures, calls


def test_isolate_finds_exactly_the_failing_documents_of_the_failing_rule() -> None:
    answer, failures, calls = _bisect_run(1000, {3, 500})
    assert [(f.target, f.docs, f.more) for f in failures] == [(1, (3, 500), 0)]
    assert [len(hits) for hits in answer] == [1000, 998, 1000]
    assert {i for i, _r in answer[1]} == set(range(1000)) - {3, 500}
    assert calls < 2 + 2 * 2 * 10 + 2  # the healthy rules once each; the broken one ~2·log2(n) per bad document


def test_isolate_stops_at_max_isolated_and_counts_the_rest() -> None:
    _answer, failures, calls = _bisect_run(400, set(range(400)))
    (failure,) = failures
    assert len(failure.docs) == MAX_ISOLATED and failure.docs[0] == 0
    assert len(failure.docs) + failure.more == 400
    assert calls < 400


def test_isolate_without_rule_queries_bisects_documents_with_every_rule() -> None:
    def query(idx: list[int]) -> Any:
        if 5 in idx:
            raise EngineError("boom")
        return [[[j, ["m"]] for j, _i in enumerate(idx)] for _k in range(2)]

    answer, failures = isolate(16, 2, query, None)
    assert [(f.target, f.docs) for f in failures] == [(None, (5,))]
    assert [len(hits) for hits in answer] == [15, 15]
