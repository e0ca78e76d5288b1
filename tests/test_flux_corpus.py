"""The real fleets in ../shared/corpus: the graph builds, everything renders or says why not, no crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linter.flux import build_graph, draw, process
from linter.loader import load_file
from linter.models import Document
from linter.pipeline import classify

FLEETS = ["bjw-s-labs__home-ops", "fluxcd__flux2-kustomize-helm-example", "fluxcd__flux2-multi-tenancy",
          "onedr0p__home-ops"]


def load_fleet(root: Path) -> list[Document]:
    docs = []
    for path in sorted(root.rglob("*")):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            for d in load_file(path, os.path.relpath(path, root)).documents:
                classify(d)
                docs.append(d)
    return docs


@pytest.mark.slow
@pytest.mark.parametrize("fleet", FLEETS)
def test_fleet_builds_a_graph_and_renders(shared_dir: Path, fleet: str, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    root = shared_dir / "corpus" / fleet
    if not root.is_dir():
        pytest.skip(f"{fleet} is not in the corpus")
    monkeypatch.chdir(root)
    docs = load_fleet(root)
    graph = build_graph(docs, root, root)
    assert graph.kustomizations
    assert draw(graph, "text")
    result = process(root, docs, {"jobs": 2}, cwd=root, helm_section={"chart_cache": str(tmp_path / "charts")})
    stats = result.stats
    # every Kustomization is rendered, failed (RENDER-001), or counted as not rendered with a reason
    not_rendered = stats["not_rendered"]
    assert stats["rendered"] + stats["failed"] + sum(not_rendered.values()) == stats["kustomizations"]
    # every HelmRelease Flux applies is rendered, failed, or not rendered with a reason (offline, empty
    # chart cache: the charts of these fleets are all remote)
    helm = stats["helm"]
    assert helm["rendered"] + helm["failed"] + sum(helm["not_rendered"].values()) == helm["releases"]
    assert helm["releases"] + stats.get("unreconciled_helmreleases", 0) >= stats["helmreleases"]
    assert set(helm["not_rendered"]) <= {"chart not cached", "source not readable"}
    assert all(reason and n > 0 for reason, n in not_rendered.items())
    failed = [p for p in result.problems if p.rule_id == "RENDER-001"]
    assert len(failed) == stats["failed"]
    # rendered resources point back at the fleet's files
    assert all(not Path(d.file).is_absolute() and (root / d.file).is_file() for d in result.rendered)
