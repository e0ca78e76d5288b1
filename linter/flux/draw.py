"""Draw the Flux graph: sources -> Kustomizations -> HelmReleases, as text, json, mermaid or dot.

A Kustomization applied by another Kustomization is drawn under its parent, otherwise under its source.
Broken references (GRAPH-002/003) are drawn as edges to a node marked "missing".
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from linter.flux.graph import BOOTSTRAP_SOURCE, SOURCE_KINDS, Edge, FluxGraph, Node, Ref

FORMATS = ("text", "json", "mermaid", "dot")
_SHOWN = frozenset({*SOURCE_KINDS, "Kustomization", "HelmRelease"})
_RELATIONS = ("source", "chart", "dependsOn", "applies")


def _is_bootstrap(ref: Ref) -> bool:
    return (ref.kind, ref.namespace or "flux-system", ref.name) == BOOTSTRAP_SOURCE


def draw(graph: FluxGraph, fmt: str, *, focus: set[Path] | None = None) -> str:
    """`focus`: changed files; only the part of the graph that touches them is drawn."""
    drawers: dict[str, Callable[[_View], str]] = {"text": _text, "json": _json, "mermaid": _mermaid, "dot": _dot}
    if fmt not in drawers:
        raise ValueError(f"unknown graph format {fmt!r} (expected one of {', '.join(FORMATS)})")
    return drawers[fmt](_View(graph, focus))


class _View:
    def __init__(self, graph: FluxGraph, focus: set[Path] | None) -> None:
        self.g = graph
        self.nodes: dict[Ref, Node] = {}
        # The same object in several clusters (staging, production) is one Ref: its label lists every copy.
        self.copies: dict[Ref, list[Node]] = {}
        for n in graph.nodes:
            if n.ref.kind in _SHOWN:
                self.nodes.setdefault(n.ref, n)
                self.copies.setdefault(n.ref, []).append(n)
        edges = [e for e in graph.edges if e.src in self.nodes and e.relation in _RELATIONS
                 and (e.dst in self.nodes or e.broken or _is_bootstrap(e.dst))]
        # Objects repeated per cluster (staging, production) share a Ref: draw each edge once.
        self.edges = list(dict.fromkeys(Edge(e.src, e.dst, e.relation, (), e.broken) for e in edges))
        self.keep = self._focus(focus) if focus is not None else set(self.nodes) | {e.dst for e in self.edges}
        self.edges = [e for e in self.edges if e.src in self.keep and e.dst in self.keep]

    def _focus(self, focus: set[Path]) -> set[Ref]:
        files = {Path(os.path.normpath(p if p.is_absolute() else self.g.files.cwd / p)) for p in focus}
        hit = {r for r, n in self.nodes.items() if n.file in files}
        for ks in self.g.kustomizations:
            if ks.path is not None and ks.path.is_dir() and not files.isdisjoint(self.g.inputs(ks.path).files):
                hit.add(ks.node.ref)
        keep = set(hit)
        frontier = set(hit)
        while frontier:  # upwards: the sources and parents that lead to a touched object
            frontier = {e.src for e in self.edges if e.dst in frontier and e.relation == "applies"} | \
                       {e.dst for e in self.edges if e.src in frontier and e.relation in ("source", "chart")}
            frontier -= keep
            keep |= frontier
        keep |= {e.dst for e in self.edges if e.src in hit}  # direct references of what changed
        return keep

    def label(self, ref: Ref) -> str:
        node = self.nodes.get(ref)
        if node is None:
            return f"{ref} (this repository)" if _is_bootstrap(ref) else f"{ref} (missing)"
        paths: list[str] = []
        for copy in self.copies[ref]:
            spec = copy.doc.obj.get("spec")
            if ref.kind == "Kustomization" and isinstance(spec, dict) and isinstance(spec.get("path"), str):
                paths.append(spec["path"])
        extra = f" path={','.join(dict.fromkeys(paths))}" if paths else ""
        files = ", ".join(dict.fromkeys(c.doc.file for c in self.copies[ref]))
        return f"{ref}{extra} [{files}]"

    def out(self, ref: Ref, relation: str) -> list[Edge]:
        return sorted((e for e in self.edges if e.src == ref and e.relation == relation), key=lambda e: e.dst)

    def parents(self) -> dict[Ref, Ref]:
        return {e.dst: e.src for e in self.edges if e.relation == "applies"}

    def ordered(self) -> list[Ref]:
        return sorted(self.keep)


def _text(v: _View) -> str:
    lines: list[str] = []
    parent = v.parents()
    by_source: dict[Ref, list[Ref]] = {}
    for e in v.edges:
        if e.relation == "source" and e.src.kind == "Kustomization" and e.src not in parent:
            by_source.setdefault(e.dst, []).append(e.src)
    roots = sorted(by_source)
    seen: set[Ref] = set()
    for src in roots:
        broken = any(e.broken for e in v.edges if e.dst == src and e.relation == "source")
        lines.append(v.label(src) + ("  BROKEN" if broken and src not in v.nodes and not _is_bootstrap(src) else ""))
        _children(v, sorted(by_source[src]), "", lines, seen)
    orphans = [r for r in v.ordered() if r.kind in ("Kustomization", "HelmRelease") and r not in seen
               and r in v.nodes]
    if orphans:
        lines.append("(not reached from a source)")
        _children(v, orphans, "", lines, seen)
    return "\n".join(lines) + ("\n" if lines else "")


def _children(v: _View, refs: Iterable[Ref], indent: str, lines: list[str], seen: set[Ref]) -> None:
    refs = list(refs)
    for i, ref in enumerate(refs):
        last = i == len(refs) - 1
        lines.append(f"{indent}{'└── ' if last else '├── '}{v.label(ref)}" + ("  (again)" if ref in seen else ""))
        if ref in seen:
            continue
        seen.add(ref)
        sub = indent + ("    " if last else "│   ")
        for e in v.out(ref, "dependsOn"):
            lines.append(f"{sub}· dependsOn {e.dst}{'  BROKEN' if e.broken else ''}")
        for e in v.out(ref, "source") + v.out(ref, "chart"):
            if ref.kind == "HelmRelease":
                lines.append(f"{sub}· chart from {e.dst}{'  BROKEN' if e.broken else ''}")
        applied = [e.dst for e in v.out(ref, "applies") if e.dst.kind in ("Kustomization", "HelmRelease")]
        _children(v, applied, sub, lines, seen)


def _json(v: _View) -> str:
    nodes = []
    for ref in v.ordered():
        n = v.nodes.get(ref)
        item: dict[str, Any] = {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name,
                                "file": n.doc.file if n else None, "missing": n is None}
        if n is not None and ref.kind == "Kustomization":
            spec = n.doc.obj.get("spec")
            item["path"] = spec.get("path") if isinstance(spec, dict) else None
        nodes.append(item)
    edges = [{"from": str(e.src), "to": str(e.dst), "relation": e.relation, "broken": e.broken}
             for e in sorted(v.edges, key=lambda e: (e.src, e.dst, e.relation))]
    for item in nodes:
        item["id"] = str(Ref(item["kind"], item["namespace"], item["name"]))
    return json.dumps({"nodes": nodes, "edges": edges}, indent=2) + "\n"


def _ids(v: _View) -> dict[Ref, str]:
    return {ref: f"n{i}" for i, ref in enumerate(v.ordered())}


def _mermaid(v: _View) -> str:
    ids = _ids(v)
    lines = ["flowchart LR"]
    for ref, nid in ids.items():
        lines.append(f'  {nid}["{_escape(v.label(ref))}"]')
    for e in v.edges:
        arrow = f"-.->|{e.relation} BROKEN|" if e.broken else f"-->|{e.relation}|"
        lines.append(f"  {ids[e.src]} {arrow} {ids[e.dst]}")
    return "\n".join(lines) + "\n"


def _dot(v: _View) -> str:
    ids = _ids(v)
    lines = ["digraph flux {", "  rankdir=LR;", "  node [shape=box];"]
    for ref, nid in ids.items():
        style = ' style=dashed color=red' if ref not in v.nodes else ""
        lines.append(f'  {nid} [label="{_escape(v.label(ref))}"{style}];')
    for e in v.edges:
        style = ' style=dashed color=red' if e.broken else ""
        lines.append(f'  {ids[e.src]} -> {ids[e.dst]} [label="{e.relation}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "'")
