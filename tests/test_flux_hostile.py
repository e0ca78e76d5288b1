"""Malformed Flux objects and kustomization files never crash the graph, the drawing or the render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.flux import build_graph, draw, process
from linter.models import Document, Span

KINDS = [("kustomize.toolkit.fluxcd.io/v1", "Kustomization"), ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
         ("source.toolkit.fluxcd.io/v1", "GitRepository"), ("source.toolkit.fluxcd.io/v1beta2", "HelmChart"),
         ("image.toolkit.fluxcd.io/v1beta2", "ImagePolicy"),
         ("image.toolkit.fluxcd.io/v1beta2", "ImageUpdateAutomation"),
         ("source.extensions.fluxcd.io/v1beta1", "ArtifactGenerator")]
FIELDS = ["path", "sourceRef", "dependsOn", "chart", "chartRef", "valuesFrom", "postBuild", "patches", "images",
          "components", "targetNamespace", "imageRepositoryRef", "artifacts", "spec", "name", "kind", "namespace",
          "resources", "substituteFrom", "url", "optional"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(["", "a", "../..", "/", "${X}", "./x"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)), max_leaves=12)


def doc(file: str, obj: Any, index: int = 0) -> Document:
    return Document(file=file, index=index, obj=obj, span=Span.point(1))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(objs=st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(["a", "b", ""]), values), max_size=5),
       kust=values)
def test_arbitrary_specs_never_crash(tmp_path: Path, objs: list[tuple[tuple[str, str], str, Any]],
                                     kust: Any) -> None:
    docs = [doc("flux.yaml", {"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": spec}, i)
            for i, ((api, kind), name, spec) in enumerate(objs)]
    docs.append(doc("kustomization.yaml", kust if isinstance(kust, dict) else {"resources": kust}))
    graph = build_graph(docs, tmp_path, tmp_path)
    for fmt in ("text", "json", "mermaid", "dot"):
        draw(graph, fmt)
    result = process(tmp_path, docs, {}, render=False, cwd=tmp_path)
    assert all(p.rule_id.startswith(("GRAPH", "RENDER")) for p in result.problems)


def test_hostile_kustomization_fields_render_to_findings_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    specs: list[Any] = [
        {"path": "./app", "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
         "patches": [{"patch": "not: [valid", "target": "x"}], "images": [{"name": 5}], "components": [7, "../../.."]},
        {"path": "./app", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "targetNamespace": 5,
         "postBuild": {"substitute": ["x"], "substituteFrom": "y"}},
        {"path": "./app", "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
         "postBuild": {"substitute": {"A": None, "B": 3}}},
    ]
    docs = [doc("ks.yaml", {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                            "metadata": {"name": f"k{i}", "namespace": "flux-system"}, "spec": s}, i)
            for i, s in enumerate(specs)]
    result = process(tmp_path, docs, {"cache": False}, cwd=tmp_path)
    assert result.stats["rendered"] + result.stats["failed"] == 3
    assert {p.rule_id for p in result.problems} <= {"RENDER-001", "GRAPH-005"}


def test_components_outside_the_repository_are_never_walked(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    spec = {"path": "./app", "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "components": ["../../../../../../../../.."]}
    docs = [doc("ks.yaml", {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                            "metadata": {"name": "k", "namespace": "flux-system"}, "spec": spec})]
    result = process(root, docs, {"cache": False}, cwd=root)
    assert [(p.rule_id, p.path) for p in result.problems] == [("RENDER-001", ("spec", "path"))]
    assert "outside the repository" in result.problems[0].message
    assert result.stats["failed"] == 1
