"""Regression cases: documents that once made the bundled library end a run in an engine error.

Each case runs the whole CLI (`main`) on regorus and on regopy: the gate must answer, never exit 3.
The class is covered by tests/test_policy_property.py; these keep the reported cases by name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from tests.conftest import write

ENGINES = ["regorus", pytest.param("regopy", marks=pytest.mark.skipif(
    __import__("importlib").util.find_spec("regopy") is None, reason="regopy not installed"))]


def check(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--format", "json", "--no-render", *argv, str(root)])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def rule_ids(report: dict[str, Any]) -> list[str]:
    return sorted(f["rule_id"] for f in report.get("findings", []))


# issue 10: two configMapGenerator entries made regorus fail SEC-005 (a `some j` declared after the
# generator loop ran twice: "duplicated definition of local variable j"), and with it every rule.
@pytest.mark.parametrize("engine", ENGINES)
def test_two_config_map_generators_with_empty_generator_options(tmp_path: Path, engine: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\n"
          "configMapGenerator:\n  - name: a\n  - name: b\ngeneratorOptions:\n  annotations:\n")
    code, report = check(capsys, tmp_path, "--engine", engine)
    assert code == 0, report
    assert rule_ids(report) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_two_config_map_generators_with_literals_still_report(tmp_path: Path, engine: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\n"
          "configMapGenerator:\n  - name: a\n    literals: [LOG=1]\n"
          "  - name: b\n    literals: [DB_PASSWORD=hunter2, MODE=x]\n")
    code, report = check(capsys, tmp_path, "--engine", engine, "--select", "SEC-005")
    assert code == 1
    assert [(f["rule_id"], f["line"]) for f in report["findings"]] == [("SEC-005", 6)]


# issue 13 row 7: string items in a kustomization list.
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("items", ["[x]", "[x, y]", "[x, {name: a}]", "[null, 3, [], {}]"])
def test_string_items_in_kustomization_generator_lists(tmp_path: Path, engine: str, items: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\n"
          f"configMapGenerator: {items}\nsecretGenerator: {items}\nresources: {items}\n"
          f"images: {items}\npatches: {items}\n")
    code, report = check(capsys, tmp_path, "--engine", engine)
    assert code in (0, 1), report
    assert "ENGINE-001" not in rule_ids(report)


# issue 13 row 4: a schema-invalid subject made RBAC-003 fail in object.get and discard every finding.
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("subjects", ["[true]", "[null, 3]", "[{name: [a]}, {kind: Group, name: {}}]", "x"])
def test_cluster_role_binding_with_scalar_subjects(tmp_path: Path, engine: str, subjects: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "crb.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
          "metadata: {name: x}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, "
          f"name: cluster-admin}}\nsubjects: {subjects}\n")
    code, report = check(capsys, tmp_path, "--engine", engine)
    assert code == 1, report
    assert "SCHEMA-001" in rule_ids(report)
    assert "ENGINE-001" not in rule_ids(report)


@pytest.mark.parametrize("engine", ENGINES)
def test_schema_invalid_container_fields(tmp_path: Path, engine: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Shapes the property test found: a port, an env entry and a subject that are not objects.
    write(tmp_path, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n"
          "  containers:\n    - name: a\n      image: nginx:1\n      ports: [80, {hostPort: 80}]\n"
          "      env: [AWS_SECRET_ACCESS_KEY, {name: [x], value: y}, {name: {}, value: z}]\n")
    code, report = check(capsys, tmp_path, "--engine", engine)
    assert code == 1, report
    assert "SCHEMA-001" in rule_ids(report)
    assert "ENGINE-001" not in rule_ids(report)
