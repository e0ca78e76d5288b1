"""The core's one place that turns Problems into Findings: selection, severity, exemptions, positions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from linter.config import Config
from linter.models import Document, Location, Problem, RuleInfo, Severity, Span
from linter.pipeline import classify, is_selected, resolve
from linter.rules import BUILTIN_RULES

RULES = {**BUILTIN_RULES, "IMG-003": RuleInfo("IMG-003", "mutable-tag", Severity.ERROR, "Mutable tag")}


def _doc(obj: Any, file: str = "a.yaml") -> Document:
    def locator(path: tuple[Any, ...], key: bool) -> Location:
        return Location(file, Span(10 + len(path), 3, 10 + len(path), 9), bool(path))

    return Document(file=file, index=0, obj=obj, span=Span.point(1), locator=locator)


DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}


def _problem(rule: str = "IMG-003", **kw: Any) -> Problem:
    return Problem(rule, "uses a mutable tag", "a.yaml", "policy", doc=_doc(DEPLOY), path=("spec", "x"), **kw)


@pytest.mark.parametrize(
    ("select", "ignore", "rule", "expected"),
    [
        ((), (), "IMG-003", True),
        (("IMG",), (), "IMG-003", True),
        (("RBAC",), (), "IMG-003", False),
        ((), ("IMG",), "IMG-003", False),
        (("IMG-003",), ("IMG",), "IMG-003", True),  # longest prefix wins
        (("IMG",), ("IMG-003",), "IMG-003", False),
        (("IMG",), ("IMG-003",), "IMG-002", True),
        (("ALL",), ("IMG",), "IMG-002", False),
    ],
)
def test_select_ignore_longest_prefix_wins(select: tuple[str, ...], ignore: tuple[str, ...], rule: str,
                                           expected: bool) -> None:
    assert is_selected(rule, Config(select=select, ignore=ignore)) is expected


def test_position_identity_and_pointer() -> None:
    [f] = resolve([_problem()], Config(), RULES)
    assert (f.rule_id, f.line, f.column, f.end_column) == ("IMG-003", 12, 3, 9)
    assert (f.kind, f.namespace, f.name, f.pointer) == ("Deployment", "shop", "web", "/spec/x")
    assert f.rule_name == "mutable-tag" and f.severity is Severity.ERROR


def test_severity_config_beats_proposal_beats_default() -> None:
    warned = _problem(severity=Severity.WARNING)
    assert resolve([warned], Config(), RULES)[0].severity is Severity.WARNING
    assert resolve([warned], Config(severity={"IMG-003": "error"}), RULES)[0].severity is Severity.ERROR
    assert resolve([_problem()], Config(severity={"IMG": "info"}), RULES)[0].severity is Severity.INFO
    assert resolve([_problem()], Config(severity={"IMG-003": "off"}), RULES) == []


def test_exemptions_by_namespace_name_and_kind() -> None:
    assert resolve([_problem()], Config(exempt={"IMG": {"namespaces": ("sh*",)}}), RULES) == []
    assert resolve([_problem()], Config(exempt={"*": {"names": ("web",)}}), RULES) == []
    assert resolve([_problem()], Config(exempt={"IMG-003": {"kinds": ("Deployment",)}}), RULES) == []
    assert len(resolve([_problem()], Config(exempt={"RBAC": {"namespaces": ("shop",)}}), RULES)) == 1


def test_per_file_ignores() -> None:
    assert resolve([_problem()], Config(per_file_ignores={"a.*": ("IMG",)}), RULES) == []
    assert len(resolve([_problem()], Config(per_file_ignores={"b.*": ("IMG",)}), RULES)) == 1


def test_explicit_span_wins_and_duplicates_collapse() -> None:
    p = Problem("YAML-001", "syntax error", "x.yaml", "parse", span=Span(4, 2, 4, 3))
    findings = resolve([p, p, replace(p, message="other")], Config(), RULES)
    assert [(f.line, f.column, f.message) for f in findings] == [(4, 2, "other"), (4, 2, "syntax error")]


def test_unknown_rule_from_user_policy_gets_a_name() -> None:
    p = Problem("main.deny", "bad", "a.yaml", "policy", doc=_doc(DEPLOY))
    [f] = resolve([p], Config(), RULES)
    assert f.rule_name == "main-deny" and f.severity is Severity.ERROR


def test_secret_values_never_reach_a_message() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "stringData": {"password": "canary-hunter2-value"}}
    p = Problem("SEC-001", "value canary-hunter2-value is plaintext", "a.yaml", "policy", doc=_doc(secret))
    [f] = resolve([p], Config(), RULES)
    assert "canary-hunter2-value" not in f.message


@pytest.mark.parametrize(
    ("file", "obj", "role"),
    [
        ("a.yaml", DEPLOY, "resource"),
        ("kustomization.yaml", {"resources": ["a.yaml"]}, "kustomize"),
        ("x/Kustomization", {"kind": "Kustomization", "resources": []}, "kustomize"),
        ("c.yaml", {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component"}, "kustomize"),
        (".github/workflows/ci.yaml", {"on": "push", "jobs": {}}, "other"),
        ("Taskfile.yaml", {"version": "3"}, "other"),
        ("values.yaml", {"image": {"tag": "1"}}, "other"),
        ("list.yaml", ["a", "b"], "other"),
    ],
)
def test_classify_roles(file: str, obj: Any, role: str) -> None:
    doc = _doc(obj, file)
    assert classify(doc) is None
    assert doc.role == role


def test_kustomize_config_gets_api_version_and_kind() -> None:
    doc = _doc({"resources": ["a.yaml"]}, "kustomization.yaml")
    classify(doc)
    assert doc.kind == "Kustomization" and doc.api_version.startswith("kustomize.config.k8s.io/")


def test_half_a_resource_is_invalid() -> None:
    doc = _doc({"apiVersion": "v1", "metadata": {"name": "x"}})
    problem = classify(doc)
    assert problem is not None and problem.rule_id == "YAML-008" and doc.role == "other"


def test_skip_reasons_are_named() -> None:
    doc = _doc({"on": "push"}, ".github/workflows/ci.yaml")
    classify(doc)
    assert doc.skip_reason == "GitHub workflow"


def test_the_first_of_shared_findings_wins_whatever_the_files_sort_order() -> None:
    """A render's problem (its own file name) and the raw file's locate to the same line: the one
    given first is kept, though problems are resolved file by file."""
    raw = Problem("IMG-003", "uses a mutable tag", "z/app.yaml", "policy", path=("spec", "x"),
                  doc=_doc({**DEPLOY, "metadata": {"name": "web", "namespace": "raw"}}, "a.yaml"))
    rendered = Problem("IMG-003", "uses a mutable tag", "a/render.yaml", "policy", path=("spec", "x"),
                       doc=_doc({**DEPLOY, "metadata": {"name": "web", "namespace": "rendered"}}, "a.yaml"))
    assert [f.namespace for f in resolve([raw, rendered], Config(), RULES)] == ["raw"]
    assert [f.namespace for f in resolve([rendered, raw], Config(), RULES)] == ["rendered"]


def test_node_trees_are_released_once_their_file_is_resolved(tmp_path: Path) -> None:
    from linter.loader import load_file

    docs = []
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n")
        docs.extend(load_file(tmp_path / name, name).documents)
    composed: list[str] = []
    for doc in docs:
        nodes = doc.locator.nodes  # type: ignore[union-attr]
        original = nodes._compose

        def spy(nodes: Any = nodes, original: Any = original) -> Any:
            composed.append(nodes.source.file)
            return original()

        nodes._compose = spy
    problems = [Problem("IMG-003", "m", d.file, "policy", doc=d, path=("data", "k")) for d in docs * 2]
    findings = resolve(problems, Config(), RULES)
    assert [(f.file, f.line) for f in findings] == [("a.yaml", 6), ("b.yaml", 6)]
    assert composed == ["a.yaml", "b.yaml"]  # each file composed once, in file order
    assert all(d.locator.nodes._roots is None for d in docs)  # type: ignore[union-attr]
