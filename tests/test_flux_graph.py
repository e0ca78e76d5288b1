"""The Flux graph: references, dependsOn cycles and paths, reported at the referencing line."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from linter.flux import build_graph, draw
from linter.loader import load_file
from linter.models import Document, Problem
from linter.pipeline import classify


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def load_tree(root: Path) -> list[Document]:
    docs: list[Document] = []
    for path in sorted(root.rglob("*.yaml")):
        if ".git" in path.parts:
            continue
        for doc in load_file(path, path.relative_to(root).as_posix()).documents:
            classify(doc)
            docs.append(doc)
    return docs


def findings(problems: Sequence[Problem], prefix: str = "GRAPH") -> list[tuple[str, str, int]]:
    out = []
    for p in problems:
        if p.rule_id.startswith(prefix):
            assert p.doc is not None
            loc = p.doc.locate(p.path, p.key)
            out.append((p.rule_id, loc.file, loc.span.line))
    return sorted(out)


def ks(name: str, path: str, *, ns: str = "flux-system", source: str = "flux-system", extra: str = "") -> str:
    return f"""apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: {ns}
spec:
  interval: 10m
  path: {path}
  prune: true
  sourceRef:
    kind: GitRepository
    name: {source}
{extra}"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "apps").mkdir()
    return tmp_path


def graph_findings(root: Path) -> list[tuple[str, str, int]]:
    return findings(build_graph(load_tree(root), root, root).problems)


def test_clean_tree_has_no_findings(repo: Path) -> None:
    write(repo, {"clusters/prod/apps.yaml": ks("apps", "./apps"),
                 "clusters/prod/infra.yaml": ks("infra", "./apps", extra="  dependsOn:\n    - name: apps\n")})
    assert graph_findings(repo) == []


@pytest.mark.parametrize(("files", "expected"), [
    # spec.path missing: at the path line
    ({"c/a.yaml": ks("a", "./nope")}, [("GRAPH-001", "c/a.yaml", 8)]),
    # a path that leaves the repository
    ({"c/a.yaml": ks("a", "../../etc")}, [("GRAPH-001", "c/a.yaml", 8)]),
    # sourceRef to a GitRepository the tree does not define: taken as this repository, said once
    ({"c/a.yaml": ks("a", "./apps", source="other")}, [("GRAPH-007", "c/a.yaml", 12)]),
    # dependsOn a missing Kustomization: at the entry's name
    ({"c/a.yaml": ks("a", "./apps", extra="  dependsOn:\n    - name: ghost\n")}, [("GRAPH-003", "c/a.yaml", 14)]),
    # dependsOn in another namespace: not the same object
    ({"c/a.yaml": ks("a", "./apps", extra="  dependsOn:\n    - name: b\n      namespace: other\n"),
      "c/b.yaml": ks("b", "./apps")}, [("GRAPH-003", "c/a.yaml", 14)]),
], ids=["path-missing", "path-outside", "source-missing", "depends-missing", "depends-other-namespace"])
def test_broken_references_are_reported_at_the_referencing_line(
        repo: Path, files: dict[str, str], expected: list[tuple[str, str, int]]) -> None:
    write(repo, files)
    assert graph_findings(repo) == expected


def test_dependency_cycle_is_reported_on_each_member_with_the_cycle(repo: Path) -> None:
    dep = "  dependsOn:\n    - name: {}\n"
    write(repo, {"c/a.yaml": ks("a", "./apps", extra=dep.format("b")),
                 "c/b.yaml": ks("b", "./apps", extra=dep.format("c")),
                 "c/c.yaml": ks("c", "./apps", extra=dep.format("a")),
                 "c/d.yaml": ks("d", "./apps", extra=dep.format("a"))})
    problems = build_graph(load_tree(repo), repo, repo).problems
    assert findings(problems) == [("GRAPH-004", f"c/{n}.yaml", 14) for n in "abc"]
    by_file = {p.file: p.message for p in problems}
    assert "a -> b -> c -> a" in by_file["c/a.yaml"]
    assert "b -> c -> a -> b" in by_file["c/b.yaml"]


def test_self_dependency_is_a_cycle(repo: Path) -> None:
    write(repo, {"c/a.yaml": ks("a", "./apps", extra="  dependsOn:\n    - name: a\n")})
    assert graph_findings(repo) == [("GRAPH-004", "c/a.yaml", 14)]


def test_depends_on_wrong_kind_says_so(repo: Path) -> None:
    hr = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: flux-system
spec:
  chart:
    spec:
      chart: web
      sourceRef:
        kind: HelmRepository
        name: charts
"""
    write(repo, {"c/a.yaml": ks("a", "./apps", extra="  dependsOn:\n    - name: web\n"), "c/hr.yaml": hr})
    problems = build_graph(load_tree(repo), repo, repo).problems
    assert findings(problems) == [("GRAPH-002", "c/hr.yaml", 12), ("GRAPH-003", "c/a.yaml", 14)]
    assert "a HelmRelease has that name" in next(p.message for p in problems if p.rule_id == "GRAPH-003")


HELM = """apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata:
  name: charts
spec:
  url: https://charts.example
---
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: web
spec:
  chart:
    spec:
      chart: web
      sourceRef:
        kind: HelmRepository
        name: charts
  valuesFrom:
    - kind: ConfigMap
      name: web-values
    - kind: Secret
      name: maybe
      optional: true
"""


def test_namespace_comes_from_the_including_kustomization(repo: Path) -> None:
    """Neither object states a namespace; kustomize's `namespace:` puts both in `web`, so they match."""
    write(repo, {"apps/web/release.yaml": HELM,
                 "apps/web/kustomization.yaml": "namespace: web\nresources: [release.yaml]\n",
                 "apps/web/values.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-values\n"})
    assert graph_findings(repo) == []


def test_helm_source_defaults_to_the_release_namespace(repo: Path) -> None:
    release, source = HELM.split("---\n")[1], HELM.split("---\n")[0]
    write(repo, {"apps/web/release.yaml": release,
                 "apps/web/kustomization.yaml": "namespace: web\nresources: [release.yaml]\n",
                 "apps/web/values.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-values\n",
                 "infra/source.yaml": source.replace("name: charts\n", "name: charts\n  namespace: charts\n")})
    # the release is in `web` (kustomize), the chart source in `charts`; sourceRef has no namespace
    assert graph_findings(repo) == [("GRAPH-002", "apps/web/release.yaml", 11)]
    write(repo, {"apps/web/release.yaml": release.replace("name: charts\n", "name: charts\n"
                                                          "        namespace: charts\n")})
    assert graph_findings(repo) == []


def test_values_from_missing_configmap_is_a_warning_optional_ones_are_skipped(repo: Path) -> None:
    write(repo, {"apps/web/release.yaml": HELM})
    problems = build_graph(load_tree(repo), repo, repo).problems
    assert findings(problems) == [("GRAPH-006", "apps/web/release.yaml", 21)]


def test_configmap_generator_counts_as_in_the_repository(repo: Path) -> None:
    write(repo, {"apps/web/release.yaml": HELM,
                 "apps/web/kustomization.yaml": "resources: [release.yaml]\nconfigMapGenerator:\n"
                                                "  - name: web-values\n    files: [values.yaml=v.yaml]\n"})
    assert graph_findings(repo) == []


def test_substitute_from_missing_is_reported(repo: Path) -> None:
    extra = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: vars\n"
    write(repo, {"c/a.yaml": ks("a", "./apps", extra=extra)})
    assert graph_findings(repo) == [("GRAPH-006", "c/a.yaml", 16)]


# --- which source is this repository --------------------------------------------------------------

def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


GITREPO = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: {name}
  namespace: flux-system
spec:
  url: {url}
"""


@pytest.mark.parametrize(("remote", "url", "status"), [
    ("git@github.com:org/fleet.git", "https://github.com/org/fleet", "this"),
    ("https://github.com/org/fleet.git", "ssh://git@github.com/org/fleet.git", "this"),
    ("https://github.com/org/fleet.git", "https://github.com/org/other", "other"),
    (None, "https://github.com/org/other", "unknown"),
])
def test_a_git_repository_is_this_repo_when_its_url_matches_a_remote(
        repo: Path, remote: str | None, url: str, status: str) -> None:
    git(repo, "init", "-q")
    if remote:
        git(repo, "remote", "add", "origin", remote)
    write(repo, {"c/src.yaml": GITREPO.format(name="fleet", url=url),
                 "c/a.yaml": ks("a", "./missing", source="fleet")})
    graph = build_graph(load_tree(repo), repo, repo)
    assert [k.status for k in graph.kustomizations] == [status]
    # a missing path is reported only when the source is known to be this repository
    assert [f[0] for f in findings(graph.problems)] == (["GRAPH-001"] if status == "this" else [])


def test_the_bootstrap_source_is_this_repo_even_when_not_in_the_repo(repo: Path) -> None:
    write(repo, {"c/a.yaml": ks("a", "./apps")})
    graph = build_graph(load_tree(repo), repo, repo)
    assert [(k.status, k.path) for k in graph.kustomizations] == [("this", repo / "apps")]


def test_draw_formats_mark_broken_edges(repo: Path) -> None:
    write(repo, {"c/a.yaml": ks("a", "./apps", extra="  dependsOn:\n    - name: ghost\n"),
                 "apps/web/release.yaml": HELM, "apps/kustomization.yaml": "resources: [web/release.yaml]\n"})
    graph = build_graph(load_tree(repo), repo, repo)
    text = draw(graph, "text")
    assert "Kustomization flux-system/a path=./apps [c/a.yaml]" in text
    assert "dependsOn Kustomization flux-system/ghost  BROKEN" in text
    assert "HelmRelease web" in text.split("Kustomization flux-system/a")[1]
    assert '"broken": true' in draw(graph, "json")
    assert "-.->|dependsOn BROKEN|" in draw(graph, "mermaid")
    assert "style=dashed color=red" in draw(graph, "dot")
    with pytest.raises(ValueError, match="unknown graph format"):
        draw(graph, "svg")


def test_draw_focus_keeps_only_what_touches_the_changed_files(repo: Path) -> None:
    write(repo, {"c/a.yaml": ks("a", "./apps/a"), "c/b.yaml": ks("b", "./apps/b"),
                 "apps/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
                 "apps/b/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n"})
    graph = build_graph(load_tree(repo), repo, repo)
    text = draw(graph, "text", focus={repo / "apps/b/cm.yaml"})
    assert "flux-system/b" in text and "flux-system/a " not in text
