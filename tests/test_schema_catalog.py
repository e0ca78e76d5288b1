"""Issue 12: Flux's own kinds are schema-checked out of the box (schemas/crds, built by
scripts/build_schemas.py from upstream CRDs at pinned releases), removed versions say what replaces
them, missing schemas are reported once per kind, and `kubegate schemas list/build` work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from tests.conftest import REPO, write

HELM_RELEASE = """apiVersion: helm.toolkit.fluxcd.io/{version}
kind: HelmRelease
metadata:
  name: app
  namespace: apps
spec:
  interval: 1h
  chart:
    spec:
      chart: app
      version: 1.2.3
      sourceRef:
        kind: HelmRepository
        name: charts
  valuesFrom:
    - {key}: ConfigMap
      name: app-values
"""


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    main(["check", "--format", "json", "--no-render", *args, str(tmp_path)])
    return json.loads(capsys.readouterr().out)


def rows(report: dict[str, Any], prefix: str = "SCHEMA") -> list[tuple[str, int, str]]:
    return [(f["rule_id"], f["line"], f["message"]) for f in report["findings"] if f["rule_id"].startswith(prefix)]


def test_a_typo_in_a_helm_release_is_a_schema_error_at_its_line(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "hr.yaml", HELM_RELEASE.format(version="v2", key="kindd"))
    assert sorted(rows(check(tmp_path, capsys))) == [
        ("SCHEMA-001", 16, 'spec.valuesFrom[0]: missing required field "kind"'),
        ("SCHEMA-001", 16, 'spec.valuesFrom[0]: unknown field "kindd"')]


def test_a_correct_helm_release_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "hr.yaml", HELM_RELEASE.format(version="v2", key="kind"))
    report = check(tmp_path, capsys)
    assert rows(report) == [] and report["summary"]["unvalidated_documents"] == 0


def test_a_removed_api_version_names_its_replacement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "hr.yaml", HELM_RELEASE.format(version="v2beta1", key="kind"))
    (finding,) = [f for f in check(tmp_path, capsys)["findings"] if f["rule_id"].startswith("SCHEMA")]
    assert (finding["rule_id"], finding["line"], finding["severity"]) == ("SCHEMA-004", 1, "warning")
    assert "use apiVersion helm.toolkit.fluxcd.io/v2" in finding["message"]


def test_a_crd_in_the_tree_wins_over_the_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A fleet that still runs a Flux serving v2beta1 vendors its CRDs (gotk-components.yaml).
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "helmreleases.helm.toolkit.fluxcd.io"},
           "spec": {"group": "helm.toolkit.fluxcd.io", "scope": "Namespaced",
                    "names": {"kind": "HelmRelease", "plural": "helmreleases"},
                    "versions": [{"name": "v2beta1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object",
                                                                 "x-kubernetes-preserve-unknown-fields": True}}}]}}
    write(tmp_path, "flux-system/gotk-components.yaml", json.dumps(crd))
    write(tmp_path, "hr.yaml", HELM_RELEASE.format(version="v2beta1", key="kind"))
    assert rows(check(tmp_path, capsys)) == []


def test_missing_schemas_are_one_finding_per_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w{i}, namespace: apps}}\n"
    for i in range(3):
        write(tmp_path, f"w{i}.yaml", doc.format(i=i))
    (finding,) = rows(check(tmp_path, capsys))
    assert finding[0] == "SCHEMA-002" and "3 documents in 3 files" in finding[2]
    per_document = rows(check(tmp_path, capsys, "--require-schemas"))
    assert [r for r, _l, _m in per_document] == ["SCHEMA-002"] * 3


def test_schemas_list_shows_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "list", "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    kinds = {(s["apiVersion"], s["kind"]) for s in listing["schemas"]}
    assert {("helm.toolkit.fluxcd.io/v2", "HelmRelease"), ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
            ("source.toolkit.fluxcd.io/v1", "OCIRepository")} <= kinds
    assert all("Apache-2.0" in s["licence"] and s["url"].startswith("https://github.com/")
               for s in listing["schemas"])
    projects = {s["project"] for s in listing["sources"]}
    assert {"helm-controller", "external-secrets", "prometheus-operator", "cert-manager"} <= projects
    assert all(len(src["commit"]) == 40 for src in listing["sources"])


def test_schemas_build_writes_a_directory_usable_as_a_schema_location(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crd = tmp_path / "crds" / "widget.yaml"
    write(tmp_path, "crds/widget.yaml", json.dumps({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": {
                         "size": {"type": "integer"}}}}}}}]}}))
    out = tmp_path / "out"
    assert main(["schemas", "build", str(crd), "-o", str(out)]) == 0
    assert (out / "example.com" / "widget_v1.json").is_file()
    tree = tmp_path / "tree"
    write(tree, "w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: apps}\n"
          "spec:\n  size: big\n")
    capsys.readouterr()
    template = str(out) + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    report = check(tree, capsys, "--schema-location", "default", "--schema-location", template)
    assert [(r, line) for r, line, _m in rows(report)] == [("SCHEMA-001", 5)]


def test_the_catalog_stays_small_and_is_read_lazily() -> None:
    crds = REPO / "schemas" / "crds"
    assert sum(p.stat().st_size for p in crds.rglob("*.json")) < 5 * 1024 * 1024
    # A one-file run that has no Flux kind never opens a CRD schema file.
    code = ("import builtins, linter.schema.catalog as c\n"
            "from linter.schema.registry import ResourceType\n"
            "opened = []\n"
            "real = c.Path.read_text\n"
            "c.Path.read_text = lambda self, *a, **k: (opened.append(self.name), real(self, *a, **k))[1]\n"
            "cat = c.CrdCatalog(c.Path(%r), True)\n"
            "cat.find(ResourceType('apps/v1', 'Deployment'))\n"
            "cat.find(ResourceType('helm.toolkit.fluxcd.io/v2', 'HelmRelease'))\n"
            "print(opened)\n" % str(crds))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "['catalog.json', 'helmrelease_v2.json']"


@pytest.mark.parametrize("strict", [True, False])
def test_every_built_in_schema_compiles(strict: bool) -> None:
    """A built-in schema that the validator refuses would be ENGINE-001 on every document of its kind
    (prometheus-operator's Go regex `^(?i)(abort|warn)?$` was, on every PrometheusRule)."""
    from linter.schema import _validator
    from linter.schema.catalog import CrdCatalog
    from linter.schema.registry import ResourceType

    catalog = CrdCatalog(REPO / "schemas" / "crds", strict)
    kinds = catalog.index["kinds"]
    assert len(kinds) >= 80 and {"external-secrets.io/ExternalSecret", "monitoring.coreos.com/PrometheusRule",
                                 "gateway.networking.k8s.io/HTTPRoute", "cert-manager.io/Certificate",
                                 "grafana.integreatly.org/GrafanaDashboard"} <= set(kinds)
    for key, entry in kinds.items():
        group, kind = key.rsplit("/", 1)
        for version in entry["versions"]:
            found = catalog.find(ResourceType(f"{group}/{version}", kind))
            assert found is not None and _validator(found) is not None, (key, version)


def test_a_go_regex_pattern_in_a_crd_is_left_unchecked_not_fatal(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    crd = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rules.acme.io}
spec:
  group: acme.io
  names: {kind: Rule, plural: rules, singular: rule, listKind: RuleList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                mode: {type: string, pattern: "^(?i)(abort|warn)?$"}
                size: {type: integer}
"""
    write(tmp_path, "crd.yaml", crd)
    write(tmp_path, "rule.yaml", "apiVersion: acme.io/v1\nkind: Rule\nmetadata: {name: r, namespace: a}\n"
                                 "spec: {mode: ABORT, size: big}\n")
    report = check(tmp_path, capsys)
    assert [(r, line) for r, line, _m in rows(report)] == [("SCHEMA-001", 4)]  # size, not mode; no ENGINE-001


def test_a_flux_variable_in_a_file_is_judged_after_substitution(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\n"
                                "spec:\n  ports:\n    - port: ${PORT}\n      targetPort: ${TARGET:=8080}\n")
    assert rows(check(tmp_path, capsys)) == []


def test_a_crds_catalog_over_http_with_its_cache_and_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """kubeconform parity: the CRDs-catalog layout (`{group}/{kind}_{version}.json`) served by a real HTTP
    server on 127.0.0.1, kept in the on-disk schema cache, and answered from it alone with --offline."""
    from tests.helm_servers import http_repository

    monkeypatch.setenv("KUBEGATE_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path, "crds/widget.yaml", json.dumps({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": {
                         "size": {"type": "integer"}}}}}}}]}}))
    served = tmp_path / "www"
    assert main(["schemas", "build", str(tmp_path / "crds/widget.yaml"), "-o", str(served)]) == 0
    tree = tmp_path / "tree"
    write(tree, "w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: apps}\n"
          "spec:\n  size: big\n")
    layout = "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    capsys.readouterr()
    # a fresh cache, offline: nothing is fetched, and the finding says why there is no schema
    with http_repository(served) as url:
        report = check(tree, capsys, "--offline", "--schema-location", "default", "--schema-location", url + layout)
        (missing,) = rows(report)
        assert missing[0] == "SCHEMA-002" and "offline" in missing[2]
        report = check(tree, capsys, "--schema-location", "default", "--schema-location", url + layout)
        assert [(r, line) for r, line, _m in rows(report)] == [("SCHEMA-001", 5)]
    # the server is gone: offline, the cache answers
    report = check(tree, capsys, "--offline", "--schema-location", "default", "--schema-location", url + layout)
    assert [(r, line) for r, line, _m in rows(report)] == [("SCHEMA-001", 5)]
    # a local clone of the same catalog
    report = check(tree, capsys, "--schema-location", "default", "--schema-location", str(served) + layout)
    assert [(r, line) for r, line, _m in rows(report)] == [("SCHEMA-001", 5)]
