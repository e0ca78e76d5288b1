"""Rendering Flux Kustomizations with the real `kubectl kustomize`, and positions back in source."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from linter.flux import FluxResult, process
from linter.models import Document, Severity
from tests.test_flux_graph import findings, ks, load_tree, write

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                                reason="needs kubectl or kustomize on PATH")

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: sidecar
          image: busybox:1.36
        - name: web
          image: nginx:1.25
"""
BASE = {"apps/base/deploy.yaml": DEPLOY, "apps/base/kustomization.yaml": "resources: [deploy.yaml]\n"}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(root: Path, section: dict[str, Any] | None = None, changed: frozenset[Path] | None = None) -> FluxResult:
    return process(root, load_tree(root), section or {}, changed, cwd=root)


def one(result: FluxResult, kind: str, name: str) -> Document:
    hits = [d for d in result.rendered if d.kind == kind and d.name.endswith(name)]
    assert len(hits) == 1, [(d.kind, d.name) for d in result.rendered]
    return hits[0]


def where(doc: Document, *path: str | int) -> tuple[str, int, bool]:
    loc = doc.locate(tuple(path))
    return loc.file, loc.span.line, loc.exact


def test_overlay_patch_value_is_located_at_the_patch_line(repo: Path) -> None:
    write(repo, {**BASE,
                 "apps/prod/kustomization.yaml": "resources: [../base]\npatches:\n  - path: patch.yaml\n",
                 "apps/prod/patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
                                         "  template:\n    spec:\n      containers:\n        - name: web\n"
                                         "          image: nginx:latest\n",
                 "clusters/prod/apps.yaml": ks("apps", "./apps/prod")})
    result = run(repo)
    assert findings(result.problems, "") == []
    deploy = one(result, "Deployment", "web")
    assert deploy.origin is not None and deploy.origin.file == "apps/base/deploy.yaml"
    # kustomize's strategic merge moves the patched container first: items are matched by name
    assert [c["name"] for c in deploy.obj["spec"]["template"]["spec"]["containers"]] == ["web", "sidecar"]
    # the patched image: the patch file's line; the untouched one: the base file's line
    assert where(deploy, "spec", "template", "spec", "containers", 0, "image") == ("apps/prod/patch.yaml", 10, True)
    assert where(deploy, "spec", "template", "spec", "containers", 1, "image") == ("apps/base/deploy.yaml", 15, True)
    assert where(deploy, "spec", "replicas") == ("apps/base/deploy.yaml", 6, True)
    # the kustomize origin annotation is an artefact of rendering: checks must not see it
    assert "annotations" not in deploy.obj["metadata"]


def test_flux_inline_patch_images_and_target_namespace(repo: Path) -> None:
    extra = """  targetNamespace: prod
  images:
    - name: busybox
      newTag: "1.37"
  patches:
    - target:
        kind: Deployment
      patch: |
        - op: replace
          path: /spec/replicas
          value: 3
"""
    write(repo, {**BASE, "clusters/prod/apps.yaml": ks("apps", "./apps/base", extra=extra)})
    deploy = one(run(repo), "Deployment", "web")
    assert deploy.namespace == "prod"
    assert deploy.obj["spec"]["replicas"] == 3
    assert where(deploy, "spec", "replicas") == ("clusters/prod/apps.yaml", 23, True)
    assert where(deploy, "spec", "template", "spec", "containers", 0, "image") == \
        ("clusters/prod/apps.yaml", 16, True)
    # a field nobody wrote (the namespace came from targetNamespace): the resource, not exact
    assert where(deploy, "metadata", "namespace") == ("apps/base/deploy.yaml", 1, False)


def test_path_without_kustomization_yaml_renders_every_manifest_like_flux(repo: Path) -> None:
    write(repo, {"apps/plain/deploy.yaml": DEPLOY, "apps/plain/notes.yaml": "just: data\n",
                 "apps/plain/sub/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
                 "clusters/prod/apps.yaml": ks("apps", "./apps/plain")})
    result = run(repo)
    assert sorted((d.kind, d.file) for d in result.rendered) == [
        ("ConfigMap", "apps/plain/sub/cm.yaml"), ("Deployment", "apps/plain/deploy.yaml")]


SUBST = """  postBuild:
    substitute:
      TAG: "1.27"
"""


def test_undefined_variable_is_reported_at_its_source_line(repo: Path) -> None:
    write(repo, {"apps/v/deploy.yaml": DEPLOY.replace("nginx:1.25", "nginx:${TAG}").replace(
                     "busybox:1.36", "busybox:${MISSING}").replace("replicas: 1", "replicas: ${REPLICAS:=2}"),
                 "apps/v/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
                                   "  script: echo $${HOME} $PATH\n",
                 "clusters/prod/apps.yaml": ks("apps", "./apps/v", extra=SUBST)})
    result = run(repo)
    assert findings(result.problems) == [("GRAPH-005", "apps/v/deploy.yaml", 15)]
    deploy = one(result, "Deployment", "web")
    assert deploy.obj["spec"]["replicas"] == 2  # re-read as a number, as Flux does
    containers = deploy.obj["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == ["busybox:", "nginx:1.27"]
    assert one(result, "ConfigMap", "cm").obj["data"]["script"] == "echo ${HOME} $PATH"


@pytest.mark.parametrize(("extra", "annotation"), [
    ("", ""),  # no postBuild: Flux does not substitute at all
    (SUBST, "  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"),
    (SUBST + "    substituteFrom:\n      - kind: ConfigMap\n        name: in-cluster\n", ""),  # unknowable
])
def test_no_undefined_variable_finding_when_flux_would_not_substitute_or_it_cannot_be_known(
        repo: Path, extra: str, annotation: str) -> None:
    write(repo, {"apps/v/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n" + annotation +
                 "data:\n  x: ${UNSET}\n", "clusters/prod/apps.yaml": ks("apps", "./apps/v", extra=extra)})
    assert [f for f in findings(run(repo).problems) if f[0] == "GRAPH-005"] == []


def test_substitute_from_configmap_in_repo_defines_variables(repo: Path) -> None:
    extra = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: vars\n"
    write(repo, {"apps/v/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  x: ${A}\n",
                 "clusters/prod/vars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n"
                                            "  namespace: flux-system\ndata:\n  A: a\n",
                 "clusters/prod/apps.yaml": ks("apps", "./apps/v", extra=extra)})
    result = run(repo)
    assert findings(result.problems) == []
    assert one(result, "ConfigMap", "cm").obj["data"]["x"] == "a"


def test_render_failure_is_reported_at_spec_path(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {"apps/bad/kustomization.yaml": "resources: [missing.yaml]\n",
                 "clusters/prod/apps.yaml": ks("apps", "./apps/bad")})
    monkeypatch.delenv("CI", raising=False)
    result = run(repo)
    assert findings(result.problems, "RENDER") == [("RENDER-001", "clusters/prod/apps.yaml", 8)]
    # issue 13 row 11: could-not-check is an error with or without CI in the environment
    assert result.problems[0].severity == Severity.ERROR
    assert str(repo) not in result.problems[0].message
    monkeypatch.setenv("CI", "true")
    assert run(repo).problems[0].severity == Severity.ERROR
    assert run(repo, {"on_failure": "warning"}).problems[0].severity == Severity.WARNING


def test_no_renderer_on_path_is_a_render_failure(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {**BASE, "clusters/prod/apps.yaml": ks("apps", "./apps/base")})
    monkeypatch.setenv("PATH", str(repo / "empty-bin"))
    result = run(repo)
    assert findings(result.problems, "RENDER") == [("RENDER-001", "clusters/prod/apps.yaml", 8)]
    assert "no renderer on PATH" in result.problems[0].message
    assert result.problems[0].severity == Severity.ERROR


def test_remote_bases_and_other_sources_are_not_rendered_with_reasons(repo: Path) -> None:
    oci = "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: oci\n" \
          "  namespace: flux-system\nspec:\n  url: oci://example/x\n"
    write(repo, {"apps/remote/kustomization.yaml": "resources:\n  - https://github.com/org/repo//base?ref=v1\n",
                 "clusters/prod/remote.yaml": ks("remote", "./apps/remote"),
                 "clusters/prod/oci.yaml": oci + "---\n" + ks("oci", "./", source="oci").replace(
                     "kind: GitRepository", "kind: OCIRepository")})
    result = run(repo)
    assert result.rendered == []
    assert result.stats["not_rendered"] == {"remote base": 1, "source: OCIRepository": 1}
    assert findings(result.problems, "RENDER") == [("RENDER-002", "clusters/prod/oci.yaml", 18),
                                                   ("RENDER-002", "clusters/prod/remote.yaml", 8)]


def test_helm_charts_in_a_flux_path_are_the_build_failure_flux_reports(repo: Path) -> None:
    # kustomize-controller never passes --enable-helm: Flux fails this build, so the gate does too.
    chart = "helmCharts:\n  - {name: podinfo, repo: 'https://charts.example.com', version: 6.5.0}\n"
    write(repo, {**BASE, "apps/prod/kustomization.yaml": "resources: [../base]\n",
                 "apps/base/kustomization.yaml": "resources: [deploy.yaml]\n" + chart,
                 "apps/other/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
                 "clusters/prod/apps.yaml": ks("apps", "./apps/prod"),
                 "clusters/prod/other.yaml": ks("other", "./apps/other")})
    result = run(repo)
    assert findings(result.problems, "RENDER") == [("RENDER-001", "clusters/prod/apps.yaml", 8)]
    message = result.problems[0].message
    assert "apps/base/kustomization.yaml uses kustomize helmCharts" in message and "HelmRelease" in message
    assert result.problems[0].severity == Severity.ERROR
    assert result.stats["failed"] == 1 and result.stats["rendered"] == 1
    # a change elsewhere does not report it again
    quiet = run(repo, changed=frozenset({repo / "apps/other/cm.yaml"}))
    assert findings(quiet.problems, "RENDER") == [] and quiet.stats["unchanged"] == 1


def test_changed_file_selects_only_its_owning_kustomization(repo: Path) -> None:
    write(repo, {**BASE,
                 "apps/prod/kustomization.yaml": "resources: [../base]\n",
                 "apps/other/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
                 "clusters/prod/apps.yaml": ks("apps", "./apps/prod"),
                 "clusters/prod/other.yaml": ks("other", "./apps/other")})
    full = run(repo)
    assert full.stats["rendered"] == 2
    changed = run(repo, changed=frozenset({repo / "apps/base/deploy.yaml"}))
    assert changed.stats["rendered"] == 1
    assert [d.kind for d in changed.rendered] == ["Deployment"]
    by_ks = run(repo, changed=frozenset({Path("clusters/prod/other.yaml")}))
    assert [d.kind for d in by_ks.rendered] == ["ConfigMap"]
    assert run(repo, changed=frozenset({repo / "README.md"})).stats["rendered"] == 0


def test_renders_are_cached_by_content(repo: Path, tmp_path: Path) -> None:
    write(repo, {**BASE, "clusters/prod/apps.yaml": ks("apps", "./apps/base")})
    section = {"cache_dir": str(tmp_path / "cache")}
    assert run(repo, section).stats["cached"] == 0
    assert run(repo, section).stats["cached"] == 1
    write(repo, {"apps/base/deploy.yaml": DEPLOY.replace("replicas: 1", "replicas: 4")})
    again = run(repo, section)
    assert again.stats["cached"] == 0
    assert one(again, "Deployment", "web").obj["spec"]["replicas"] == 4


def test_plain_kustomize_directories_render_when_asked(repo: Path) -> None:
    write(repo, {**BASE})
    assert run(repo).rendered == []
    result = run(repo, {"plain_kustomize": True})
    assert [(d.kind, d.file) for d in result.rendered] == [("Deployment", "apps/base/deploy.yaml")]


@pytest.mark.parametrize(("choice", "expected"), [
    ("warning", [Severity.WARNING]), ("error", [Severity.ERROR]), ("off", []),
])
def test_missing_refs_severity_is_configurable(repo: Path, choice: str, expected: list[Severity]) -> None:
    extra = "  postBuild:\n    substituteFrom:\n      - kind: Secret\n        name: gone\n"
    write(repo, {**BASE, "clusters/prod/apps.yaml": ks("apps", "./apps/base", extra=extra)})
    result = run(repo, {"missing_refs": choice, "render": False})
    assert [p.severity for p in result.problems if p.rule_id == "GRAPH-006"] == expected


def test_flux_components_are_inputs_for_cache_and_changed_files(repo: Path, tmp_path: Path) -> None:
    component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [cm.yaml]\n"
    write(repo, {**BASE, "components/extra/kustomization.yaml": component,
                 "components/extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n",
                 "clusters/prod/apps.yaml": ks("apps", "./apps/base",
                                               extra="  components:\n    - ../../components/extra\n")})
    section = {"cache_dir": str(tmp_path / "cache")}
    assert sorted(d.kind for d in run(repo, section).rendered) == ["ConfigMap", "Deployment"]
    assert run(repo, section, frozenset({repo / "components/extra/cm.yaml"})).stats["rendered"] == 1
    write(repo, {"components/extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: changed\n"})
    again = run(repo, section)
    assert again.stats["cached"] == 0
    assert one(again, "ConfigMap", "changed").file == "components/extra/cm.yaml"
