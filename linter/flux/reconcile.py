"""Which files Flux applies: its entry points, and everything their Kustomizations reach.

An entry point is a Flux Kustomization that no other Kustomization of this repository applies: the
bootstrap Kustomization (`clusters/<name>/flux-system`, which applies itself), or the one `flux
bootstrap` / the Flux Operator points at when the tree does not hold it. Entry points in hidden
directories (`.archive/`, `.github/`) count only when there is no other. From the entry points, a
Kustomization is reached when a reached one applies the file that defines it; the files Flux applies are
the render inputs of every reached Kustomization whose source is this repository, and the entry points'
own files. Everything else in the tree is unreconciled: Flux never applies it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from linter.flux.graph import FluxGraph, KsInfo
from linter.models import Document, Problem, Span


@dataclass(frozen=True)
class Reach:
    entry_points: tuple[KsInfo, ...]
    kustomizations: frozenset[int]  # ids of the reached KsInfos, entry points included
    files: frozenset[Path]  # absolute paths of the files Flux applies

    def reaches(self, ks: KsInfo) -> bool:
        return id(ks) in self.kustomizations

    def applies(self, path: Path) -> bool:
        return path in self.files


def reach(graph: FluxGraph, inputs_of: Callable[[KsInfo], frozenset[Path]]) -> Reach | None:
    """What the entry points reach; None when the tree has no Kustomization of this repository (then
    there is no Flux view of it, and every file is checked as a manifest)."""
    # By index, not Ref: clusters/prod and clusters/staging often both define flux-system/apps.
    kss = list(graph.kustomizations)
    if not any(k.status == "this" for k in kss):
        return None
    applied = [inputs_of(k) if k.status == "this" else frozenset() for k in kss]
    roots = [i for i, k in enumerate(kss)
             if not any(k.node.file in applied[j] for j in range(len(kss)) if j != i)]
    live = [i for i in roots if not _hidden(kss[i].node.file, graph.root)] or roots or list(range(len(kss)))
    # A bootstrap Kustomization that is not in the tree still applies its cluster directory; a plain
    # kustomize root is applied by hand (`kubectl apply -k`, a bootstrap script).
    implicit = [graph.inputs(d).files for d in [*bootstrap_paths(graph), *plain_roots(graph, applied)]]
    applies = {kss[i].node.file for i in live}.union(*implicit)
    live += [j for j, k in enumerate(kss) if j not in live and k.node.file in applies]
    reached = set(live)
    frontier = list(live)
    while frontier:
        files = applied[frontier.pop()]
        for j, k in enumerate(kss):
            if j not in reached and k.node.file in files:
                reached.add(j)
                frontier.append(j)
    for i in reached:
        applies |= applied[i]
    return Reach(tuple(kss[i] for i in live), frozenset(id(kss[i]) for i in reached), frozenset(applies))


_BOOTSTRAP_FILES = {"gotk-components.yaml", "gotk-sync.yaml"}


def bootstrap_paths(graph: FluxGraph) -> list[Path]:
    """Cluster directories of `flux bootstrap` (`clusters/<name>/flux-system/kustomization.yaml` lists
    gotk-components.yaml or gotk-sync.yaml) whose bootstrap Kustomization the tree does not define."""
    defined = {k.path for k in graph.kustomizations if k.path is not None}
    out = []
    for directory, obj in sorted(graph.kustomize_dirs.items()):
        resources = obj.get("resources") if isinstance(obj, dict) else None
        if directory.name == "flux-system" and isinstance(resources, list) and directory.parent not in defined \
                and _BOOTSTRAP_FILES & {str(r).lstrip("./") for r in resources}:
            out.append(directory.parent)
    return out


def plain_roots(graph: FluxGraph, applied: Sequence[frozenset[Path]]) -> list[Path]:
    """kustomize directories outside hidden ones that no other kustomization and no Flux Kustomization
    builds: what a person applies with `kubectl apply -k`."""
    built = set().union(*applied) if applied else set()
    included = set()
    for directory, obj in graph.kustomize_dirs.items():
        for key in ("resources", "components", "bases"):
            entries = obj.get(key) if isinstance(obj, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, str):
                    included.add(Path(os.path.normpath(directory / entry)))
    out = []
    for directory, obj in sorted(graph.kustomize_dirs.items()):
        kfiles = {directory / n for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")}
        if directory in included or kfiles & built or _hidden(directory / "x", graph.root):
            continue
        if isinstance(obj, dict) and obj.get("kind") == "Component":
            continue
        out.append(directory)
    return out


def _hidden(path: Path, root: Path) -> bool:
    try:
        parts: Sequence[str] = path.relative_to(root).parts[:-1]
    except ValueError:
        return False
    return any(p.startswith(".") for p in parts)


SKIP_REASON = "not applied by any Flux Kustomization"


def set_aside(reached: Reach, shown: Callable[[Path], str], documents: Sequence[Document],
              problems: list[Problem], loaded_files: Sequence[str], named: frozenset[str],
              per_file: bool = False) -> list[Problem]:
    """Leave out what Flux never applies: the documents of each loaded file that no entry point reaches
    (unless it was `named` on the command line) become skipped, their problems are dropped, and one
    GRAPH-008 says how many files that was (one per file with `per_file`). Returns the new problems."""
    applied = {shown(p) for p in reached.files}
    away = {f for f in loaded_files if f not in applied and f not in named}
    if not away:
        return problems
    relevant: set[str] = {p.file for p in problems if p.file in away}
    for doc in documents:
        if doc.file in away and doc.origin is None and doc.role in ("resource", "kustomize", "patch"):
            relevant.add(doc.file)
            doc.role, doc.skip_reason = "other", SKIP_REASON
    kept = [p for p in problems if p.file not in away]
    files = sorted(relevant)
    if not files:
        return kept
    if per_file:
        return kept + [Problem("GRAPH-008", f"{f} is {SKIP_REASON} (no Flux entry point reaches it); it was not "
                               "checked", f, "flux", span=Span.point(1)) for f in files]
    sample = ", ".join(files[:3]) + (", ..." if len(files) > 3 else "")
    return kept + [Problem(
        "GRAPH-008", f"{len(files)} files are {SKIP_REASON} ({sample}); they were not checked. "
        "--show-unreconciled lists them; name a file on the command line to check it anyway",
        files[0], "flux", span=Span.point(1))]
