"""The Flux object graph of a repository and the checks that need only the graph (GRAPH-001..004, 006).

Every Flux object (any API version) is indexed by (kind, namespace, name). A namespace that a manifest does
not state is inferred the way it would be applied: the `namespace:` of the kustomization.yaml that includes
the file (the outermost one wins, as in kustomize), or the `targetNamespace` of the Flux Kustomization whose
path builds it. When it still cannot be known it is "" and matches any namespace: the checks never report a
broken reference they cannot prove.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from linter.models import DocPath, Document, Problem

FLUX_KINDS: Mapping[str, frozenset[str]] = {
    "source.toolkit.fluxcd.io": frozenset({"GitRepository", "OCIRepository", "HelmRepository", "Bucket",
                                           "HelmChart"}),
    "kustomize.toolkit.fluxcd.io": frozenset({"Kustomization"}),
    "helm.toolkit.fluxcd.io": frozenset({"HelmRelease"}),
    "image.toolkit.fluxcd.io": frozenset({"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"}),
    "source.extensions.fluxcd.io": frozenset({"ArtifactGenerator"}),
}
SOURCE_KINDS = frozenset({"GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart",
                          "ExternalArtifact"})
KUSTOMIZE_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# The source Flux bootstrap creates for the repository it was bootstrapped from (gotk-sync.yaml).
BOOTSTRAP_SOURCE = ("GitRepository", "flux-system", "flux-system")


@dataclass(frozen=True, order=True)
class Ref:
    kind: str
    namespace: str  # "" when it cannot be known: matches any namespace
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


@dataclass(frozen=True)
class Node:
    ref: Ref
    doc: Document
    file: Path  # absolute


@dataclass(frozen=True)
class Edge:
    src: Ref
    dst: Ref
    relation: str  # source | chart | dependsOn | applies | image
    path: DocPath = ()
    broken: bool = False


@dataclass(frozen=True)
class KsInfo:
    """What the graph knows about one Flux Kustomization for rendering."""

    node: Node
    path: Path | None  # absolute spec.path, when the source is this repository
    status: str  # this | other | unknown | missing
    reason: str = ""  # why it is not this repository (for RENDER-002)


@dataclass(frozen=True)
class Inputs:
    """Everything a kustomize build of a directory reads, transitively."""

    files: frozenset[Path]
    remote: bool = False
    helm: bool = False
    outside: bool = False  # reads a directory outside the repository (Flux refuses; never walked)


@dataclass
class FluxGraph:
    root: Path
    nodes: list[Node]
    edges: list[Edge]
    problems: list[Problem]
    kustomizations: list[KsInfo]
    kustomize_dirs: dict[Path, Any]  # directory -> parsed kustomization.yaml
    files: SourceFiles = field(repr=False, default=None)  # type: ignore[assignment]
    _inputs: dict[Path, Inputs] = field(default_factory=dict, repr=False)

    def inputs(self, directory: Path) -> Inputs:
        return kustomize_inputs(directory, self.kustomize_dirs, self._inputs, self.root)

    @cached_property
    def owners(self) -> dict[Ref, list[Node]]:
        """Flux Kustomization -> the Flux objects its build applies (via its render inputs)."""
        by_file: dict[Path, list[Node]] = {}
        for n in self.nodes:
            by_file.setdefault(n.file, []).append(n)
        out: dict[Ref, list[Node]] = {}
        for ks in self.kustomizations:
            if ks.path is not None and ks.path.is_dir():
                out[ks.node.ref] = [m for f in sorted(self.inputs(ks.path).files) for m in by_file.get(f, [])]
        return out


class SourceFiles:
    """Documents by absolute file path, and the display form of any path (relative to cwd, as loaded)."""

    def __init__(self, documents: Sequence[Document], cwd: Path) -> None:
        self.cwd = cwd
        self.by_path: dict[Path, list[Document]] = {}
        self.display: dict[Path, str] = {}
        for doc in documents:
            if doc.origin is None and doc.file and doc.file != "-":
                p = self.path_of(doc)
                self.by_path.setdefault(p, []).append(doc)
                self.display.setdefault(p, doc.file)

    def path_of(self, doc: Document) -> Path:
        p = Path(doc.file)
        return Path(os.path.normpath(p if p.is_absolute() else self.cwd / p))

    def show(self, path: Path) -> str:
        known = self.display.get(path)
        if known is not None:
            return known
        try:
            return path.relative_to(self.cwd).as_posix()
        except ValueError:
            return path.as_posix()


# --- indexing ----------------------------------------------------------------------------------------

def flux_kind(doc: Document) -> str:
    """The Flux kind of a document, or "" when it is not a Flux object."""
    group = doc.api_version.split("/", 1)[0] if "/" in doc.api_version else ""
    kinds = FLUX_KINDS.get(group)
    return doc.kind if kinds and doc.kind in kinds else ""


def is_kustomize_file(doc: Document) -> bool:
    return doc.role == "kustomize" or (Path(doc.file).name in KUSTOMIZE_FILES
                                       and isinstance(doc.obj, dict))


def build_graph(documents: Sequence[Document], root: Path, cwd: Path | None = None,
                self_sources: Sequence[str] | None = None) -> FluxGraph:
    """Index every Flux object, resolve its references and report broken ones.

    `self_sources`: the GitRepositories (`name` or `namespace/name`) that are this repository besides
    flux-system/flux-system; None (`flux.self_sources: auto`): also every GitRepository a sourceRef
    names that the tree does not define, as `flux bootstrap` and the Flux Operator create it in-cluster."""
    root = Path(os.path.normpath(root.resolve()))
    files = SourceFiles(documents, (cwd or Path.cwd()).resolve())
    kdirs = _kustomize_dirs(files)
    patch_files = _patch_files(kdirs)
    raw = [(d, p) for d in documents if d.origin is None and d.role != "other"
           for p in [files.path_of(d)] if p not in patch_files]
    flux_docs = [(d, p) for d, p in raw if flux_kind(d)]
    ns = _Namespaces(kdirs, [(d, p) for d, p in flux_docs if d.kind == "Kustomization"], root)
    nodes = [Node(Ref(d.kind, ns.of(d, p), d.name), d, p) for d, p in flux_docs if d.name]
    graph = FluxGraph(root, nodes, [], [], [], kdirs, files)
    _Resolver(graph, documents, files, self_sources).run()
    return graph


def _patch_files(kdirs: Mapping[Path, Any]) -> set[Path]:
    """Files used as kustomize patches: their objects are fragments, not resources Flux applies."""
    out: set[Path] = set()
    for d, obj in kdirs.items():
        entries = _str_list(obj.get("patchesStrategicMerge"))
        for key in ("patches", "patchesJson6902"):
            entries += [e["path"] for e in _list(obj.get(key)) if isinstance(e, dict) and isinstance(e.get("path"), str)]
        out.update(Path(os.path.normpath(d / e)) for e in entries if "\n" not in e)
    return out


def _kustomize_dirs(files: SourceFiles) -> dict[Path, Any]:
    out: dict[Path, Any] = {}
    for path, docs in files.by_path.items():
        if path.name in KUSTOMIZE_FILES and docs and isinstance(docs[0].obj, dict):
            out.setdefault(path.parent, docs[0].obj)
    return out


class _Namespaces:
    """Infer the namespace kustomize / Flux would give a document that does not state one."""

    def __init__(self, kdirs: Mapping[Path, Any], flux_ks: Sequence[tuple[Document, Path]], root: Path) -> None:
        self.kdirs = kdirs
        self.included_by: dict[Path, list[Path]] = {}
        for d, obj in kdirs.items():
            for entry in _str_list(obj.get("resources")) + _str_list(obj.get("components")):
                target = Path(os.path.normpath(d / entry))
                self.included_by.setdefault(target, []).append(d)
        self.target_ns: dict[Path, set[str]] = {}
        for doc, _ in flux_ks:
            spec = _dict(doc.obj.get("spec"))
            path = spec.get("path")
            if isinstance(path, str):
                p = Path(os.path.normpath(root / path.lstrip("/")))
                tn = spec.get("targetNamespace")
                self.target_ns.setdefault(p, set()).add(tn if isinstance(tn, str) else "")
        self._memo: dict[Path, str] = {}

    def of(self, doc: Document, path: Path) -> str:
        inferred = self._for(path, frozenset())
        return inferred or doc.namespace

    def _for(self, path: Path, seen: frozenset[Path]) -> str:
        if path in self._memo:
            return self._memo[path]
        if path in seen:
            return ""
        parents = self.included_by.get(path, [])
        if not parents:
            result = self._flux_target(path)
        else:
            found = set()
            for k in parents:
                outer = self._for(k, seen | {path})
                own = self.kdirs[k].get("namespace")
                found.add(outer or (own if isinstance(own, str) else ""))
            result = found.pop() if len(found) == 1 else ""
        self._memo[path] = result
        return result

    def _flux_target(self, path: Path) -> str:
        for candidate in (path, *path.parents):
            values = self.target_ns.get(candidate)
            if values is not None:
                return next(iter(values)) if len(values) == 1 else ""
            if candidate != path and candidate in self.kdirs:
                return ""  # a kustomization.yaml in between decides, and it did not include the file
        return ""


# --- reference resolution and checks -----------------------------------------------------------------

class _Resolver:
    def __init__(self, graph: FluxGraph, documents: Sequence[Document], files: SourceFiles,
                 self_sources: Sequence[str] | None = None) -> None:
        self.g, self.files = graph, files
        self.self_sources = None if self_sources is None else [
            tuple(s.split("/", 1)) if "/" in s else ("", s) for s in self_sources]
        self.assumed: set[Ref] = set()  # undefined GitRepositories taken as this repository (GRAPH-007)
        self.by_kind_name: dict[tuple[str, str], list[Node]] = {}
        for n in graph.nodes:
            self.by_kind_name.setdefault((n.ref.kind, n.ref.name), []).append(n)
        self.artifacts = self._external_artifacts()
        self.config_objects = _config_objects(documents, graph.kustomize_dirs)
        self.repo_urls = _repo_urls(graph.root) | self._bootstrap_urls()

    def run(self) -> None:
        for node in self.g.nodes:
            spec = _dict(node.doc.obj.get("spec"))
            if node.ref.kind == "Kustomization":
                self._kustomization(node, spec)
            elif node.ref.kind == "HelmRelease":
                self._helm_release(node, spec)
            elif node.ref.kind == "HelmChart":
                self._source_ref(node, spec.get("sourceRef"), ("spec", "sourceRef"), "chart")
            elif node.ref.kind == "ImagePolicy":
                self._named_ref(node, spec.get("imageRepositoryRef"), "ImageRepository",
                                ("spec", "imageRepositoryRef"), "image")
            elif node.ref.kind == "ImageUpdateAutomation":
                self._source_ref(node, spec.get("sourceRef"), ("spec", "sourceRef"), "source",
                                 default_kind="GitRepository")
        for owner, applied in self.g.owners.items():
            self.g.edges.extend(Edge(owner, m.ref, "applies") for m in applied if m.ref != owner)
        self._cycles()

    # lookups
    def find(self, kind: str, namespace: str, name: str) -> list[Node]:
        return [n for n in self.by_kind_name.get((kind, name), [])
                if not namespace or not n.ref.namespace or n.ref.namespace == namespace]

    def problem(self, rule: str, node: Node, path: DocPath, message: str) -> None:
        self.g.problems.append(Problem(rule, message, node.doc.file, "flux", doc=node.doc, path=path))

    # Kustomization
    def _kustomization(self, node: Node, spec: Mapping[str, Any]) -> None:
        src = self._source_ref(node, spec.get("sourceRef"), ("spec", "sourceRef"), "source")
        status, reason = self._source_status(node, src)
        path_abs = self._check_path(node, spec, status)
        self.g.kustomizations.append(KsInfo(node, path_abs if status == "this" else None, status, reason))
        self._depends_on(node, spec)
        self._from_refs(node, spec, ("postBuild", "substituteFrom"), "substituteFrom")

    def _check_path(self, node: Node, spec: Mapping[str, Any], status: str) -> Path | None:
        raw = spec.get("path", "")
        if not isinstance(raw, str):
            return None
        target = Path(os.path.normpath(self.g.root / raw.lstrip("/")))
        inside = target == self.g.root or self.g.root in target.parents
        if status == "this" and (not inside or not target.is_dir()):
            where = ("spec", "path") if "path" in spec else ("spec",)
            why = "leaves the repository" if not inside else "does not exist in this repository"
            self.problem("GRAPH-001", node, where,
                         f"Kustomization {node.ref.name}: spec.path {why} (relative to the repository root)")
        return target if inside else None

    def _source_status(self, node: Node, src: Ref | None) -> tuple[str, str]:
        if src is None:
            return "missing", "no source reference"
        if src.kind != "GitRepository":
            return "other", f"source is a {src.kind}"
        if self._is_self(src):
            self._note_assumed(node, src)
            return "this", ""
        found = self.find(src.kind, src.namespace, src.name)
        if not found:
            return "missing", "source not found"
        url = _dict(found[0].doc.obj.get("spec")).get("url")
        if isinstance(url, str) and _norm_url(url) in self.repo_urls:
            return "this", ""
        if self.repo_urls:
            return "other", "source is another Git repository"
        return "unknown", "cannot tell whether the GitRepository is this repository (no known URL for it)"

    def _depends_on(self, node: Node, spec: Mapping[str, Any]) -> None:
        for i, entry in enumerate(_list(spec.get("dependsOn"))):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            dst = Ref(node.ref.kind, _str(entry.get("namespace"), node.ref.namespace), entry["name"])
            hits = self.find(dst.kind, dst.namespace, dst.name)
            self.g.edges.append(Edge(node.ref, hits[0].ref if hits else dst, "dependsOn",
                                     ("spec", "dependsOn", i), broken=not hits))
            if not hits:
                self.problem("GRAPH-003", node, ("spec", "dependsOn", i, "name"), self._missing_dep(node, dst))

    def _missing_dep(self, node: Node, dst: Ref) -> str:
        other = "HelmRelease" if dst.kind == "Kustomization" else "Kustomization"
        msg = f"{node.ref.kind} {node.ref.name}: dependsOn names no {dst.kind} {dst.name}"
        msg += f" in namespace {dst.namespace}" if dst.namespace else ""
        if self.find(other, dst.namespace, dst.name):
            msg += f" (a {other} has that name; a {dst.kind} can depend only on {dst.kind}s)"
        return msg

    # HelmRelease
    def _helm_release(self, node: Node, spec: Mapping[str, Any]) -> None:
        chart = _dict(spec.get("chart"))
        chart_spec = _dict(chart.get("spec"))
        if "sourceRef" in chart_spec:
            self._source_ref(node, chart_spec.get("sourceRef"), ("spec", "chart", "spec", "sourceRef"), "source")
        if "chartRef" in spec:
            self._source_ref(node, spec.get("chartRef"), ("spec", "chartRef"), "chart")
        self._depends_on(node, spec)
        self._from_refs(node, spec, ("valuesFrom",), "valuesFrom")

    # references
    def _source_ref(self, node: Node, ref: Any, path: DocPath, relation: str,
                    default_kind: str = "") -> Ref | None:
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
            return None
        kind = _str(ref.get("kind"), default_kind)
        dst = Ref(kind, _str(ref.get("namespace"), node.ref.namespace), ref["name"])
        ok = self._source_exists(dst)
        hits = self.find(dst.kind, dst.namespace, dst.name)
        self.g.edges.append(Edge(node.ref, hits[0].ref if hits else dst, relation, path, broken=not ok))
        if not ok:
            where = f" in namespace {dst.namespace}" if dst.namespace else ""
            self.problem("GRAPH-002", node, (*path, "name"),
                         f"{node.ref.kind} {node.ref.name}: {path[-1]} names no {kind or 'source'} "
                         f"{dst.name}{where}")
        return dst

    def _is_self(self, src: Ref) -> bool:
        """Whether a GitRepository reference is this repository (see build_graph)."""
        if src.kind != "GitRepository":
            return False
        if (src.kind, src.namespace or "flux-system", src.name) == BOOTSTRAP_SOURCE:
            return True  # created by `flux bootstrap` / the Flux Operator, often not in the repository
        if self.self_sources is None:
            return not self.find(src.kind, src.namespace, src.name)
        return any(name == src.name and ns in ("", src.namespace) for ns, name in self.self_sources)

    def _note_assumed(self, node: Node, src: Ref) -> None:
        """One GRAPH-007 per undefined GitRepository taken as this repository: say so, and how to stop it."""
        if self.self_sources is not None or src in self.assumed or self.find(src.kind, src.namespace, src.name):
            return
        if (src.kind, src.namespace or "flux-system", src.name) == BOOTSTRAP_SOURCE:
            return
        self.assumed.add(src)
        where = f"{src.namespace}/{src.name}" if src.namespace else src.name
        self.problem("GRAPH-007", node, ("spec", "sourceRef", "name"),
                     f"GitRepository {where} is not defined in this tree; it is taken to be this repository "
                     "(created at bootstrap), so what it applies is rendered and checked. If it is another "
                     "repository, list this repository's sources in flux.self_sources")

    def _source_exists(self, dst: Ref) -> bool:
        if self._is_self(dst):
            return True
        if dst.kind == "ExternalArtifact":
            return any(ns in ("", dst.namespace) or not dst.namespace for ns in self.artifacts.get(dst.name, ()))
        if dst.kind not in SOURCE_KINDS:
            return True  # a kind Flux does not know is a schema problem, not a graph one
        return bool(self.find(dst.kind, dst.namespace, dst.name))

    def _named_ref(self, node: Node, ref: Any, kind: str, path: DocPath, relation: str) -> None:
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            self._source_ref(node, {**ref, "kind": kind}, path, relation)

    def _from_refs(self, node: Node, spec: Mapping[str, Any], where: DocPath, label: str) -> None:
        holder: Any = spec
        for part in where:
            holder = _dict(holder).get(str(part))
        for i, entry in enumerate(_list(holder)):
            if not isinstance(entry, dict) or entry.get("optional") is True:
                continue
            kind, name = entry.get("kind"), entry.get("name")
            if kind not in ("ConfigMap", "Secret") or not isinstance(name, str):
                continue
            if not self._config_exists(kind, node.ref.namespace, name):
                self.problem("GRAPH-006", node, ("spec", *where, i, "name"),
                             f"{node.ref.kind} {node.ref.name}: {label} {kind} {name} is not in the repository")

    def _config_exists(self, kind: str, namespace: str, name: str) -> bool:
        return any(not namespace or not ns or ns == namespace
                   for ns in self.config_objects.get((kind, name), ()))

    def _external_artifacts(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for n in self.g.nodes:
            if n.ref.kind == "ArtifactGenerator":
                for art in _list(_dict(n.doc.obj.get("spec")).get("artifacts")):
                    if isinstance(art, dict) and isinstance(art.get("name"), str):
                        out.setdefault(art["name"], set()).add(n.ref.namespace)
        return out

    def _bootstrap_urls(self) -> set[str]:
        out = set()
        for n in self.find(*BOOTSTRAP_SOURCE[:1], BOOTSTRAP_SOURCE[1], BOOTSTRAP_SOURCE[2]):
            url = _dict(n.doc.obj.get("spec")).get("url")
            if isinstance(url, str):
                out.add(_norm_url(url))
        return out

    # cycles
    def _cycles(self) -> None:
        deps = [e for e in self.g.edges if e.relation == "dependsOn" and not e.broken]
        succ: dict[Ref, list[Ref]] = {}
        for e in deps:
            succ.setdefault(e.src, []).append(e.dst)
        for scc in _sccs(succ):
            members = set(scc)
            if len(scc) == 1 and scc[0] not in succ.get(scc[0], []):
                continue
            for node in self.g.nodes:
                if node.ref not in members:
                    continue
                for i, e in enumerate(d for d in deps if d.src == node.ref):
                    if e.dst in members:
                        cycle = " -> ".join(str(r.name) for r in _cycle_from(node.ref, succ, members))
                        self.problem("GRAPH-004", node, e.path,
                                     f"{node.ref.kind} {node.ref.name}: dependsOn cycle {cycle}")
                        break


def _sccs(succ: Mapping[Ref, list[Ref]]) -> list[list[Ref]]:
    """Tarjan's strongly connected components, iterative (deep dependency chains must not recurse)."""
    index: dict[Ref, int] = {}
    low: dict[Ref, int] = {}
    stack: list[Ref] = []
    on_stack: set[Ref] = set()
    out: list[list[Ref]] = []
    counter = 0
    for start in sorted(succ):
        if start in index:
            continue
        work: list[tuple[Ref, int]] = [(start, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            children = succ.get(v, [])
            if i < len(children):
                work.append((v, i + 1))
                w = children[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


def _cycle_from(start: Ref, succ: Mapping[Ref, list[Ref]], members: set[Ref]) -> list[Ref]:
    """A path start -> ... -> start inside the component (BFS, so the shortest one)."""
    prev: dict[Ref, Ref] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in succ.get(v, []):
                if w not in members:
                    continue
                if w == start:
                    chain = [v]
                    while chain[-1] != start:
                        chain.append(prev[chain[-1]])
                    return [*reversed(chain), start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return [start, start]


def _config_objects(documents: Sequence[Document], kdirs: Mapping[Path, Any]) -> dict[tuple[str, str], set[str]]:
    """ConfigMaps / Secrets the repository defines, including kustomize generators (by their base name)."""
    out: dict[tuple[str, str], set[str]] = {}
    for d in documents:
        if d.kind in ("ConfigMap", "Secret") and d.name and d.role == "resource":
            out.setdefault((d.kind, d.name), set()).add(d.namespace)
    for obj in kdirs.values():
        ns = _str(obj.get("namespace"))
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for gen in _list(obj.get(key)):
                if isinstance(gen, dict) and isinstance(gen.get("name"), str):
                    out.setdefault((kind, gen["name"]), set()).add(_str(gen.get("namespace"), ns))
    return out


# --- this repository's URL ---------------------------------------------------------------------------

_SCP = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.*)$")


def _norm_url(url: str) -> str:
    """github.com/org/repo for https://, ssh://git@...:22/, git@host:org/repo.git and friends."""
    u = url.strip()
    if "://" in u:
        u = u.split("://", 1)[1]
        u = u.split("@", 1)[1] if "@" in u.split("/", 1)[0] else u
        host, _, rest = u.partition("/")
        host = host.split(":", 1)[0]
    else:
        m = _SCP.match(u)
        if not m:
            return u.rstrip("/").lower()
        host, rest = m.group(1), m.group(2)
    rest = rest.strip("/")
    rest = rest.removesuffix(".git")
    return f"{host.lower()}/{rest.lower()}"


def _repo_urls(root: Path) -> set[str]:
    """The remote URLs of the Git repository at `root` (empty when it is not one, or git is missing)."""
    try:
        out = subprocess.run(["git", "-C", str(root), "remote", "-v"], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return set()
    urls = {line.split()[1] for line in out.stdout.splitlines() if len(line.split()) >= 2}
    return {_norm_url(u) for u in urls}


# --- kustomize inputs ----------------------------------------------------------------------------------

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=|//.*\?", re.IGNORECASE)
_FILE_LISTS = ("patchesStrategicMerge", "crds", "transformers", "generators", "validators", "configurations")


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZE_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def kustomize_inputs(directory: Path, kdirs: Mapping[Path, Any], memo: dict[Path, Inputs], root: Path,
                     _seen: frozenset[Path] = frozenset()) -> Inputs:
    """Files a build of `directory` reads. Without a kustomization.yaml, Flux's rule applies: every manifest
    below it, and each subdirectory that has a kustomization.yaml as one unit."""
    directory = Path(os.path.normpath(directory))
    if directory in memo:
        return memo[directory]
    if directory in _seen:
        return Inputs(frozenset())
    if directory != root and root not in directory.parents:
        # A hostile `../../..` must not make us walk the filesystem; Flux refuses such builds anyway.
        return Inputs(frozenset(), outside=True)
    seen = _seen | {directory}
    kfile = find_kustomization(directory)
    result = _walk_plain(directory, kdirs, memo, root, seen) if kfile is None else \
        _walk_kustomization(directory, kfile, kdirs, memo, root, seen)
    memo[directory] = result
    return result


def _walk_plain(directory: Path, kdirs: Mapping[Path, Any], memo: dict[Path, Inputs], root: Path,
                seen: frozenset[Path]) -> Inputs:
    files: set[Path] = set()
    parts: list[Inputs] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if here != directory and find_kustomization(here) is not None:
            parts.append(kustomize_inputs(here, kdirs, memo, root, seen))
            dirnames[:] = []
            continue
        files.update(here / f for f in filenames if f.endswith(MANIFEST_SUFFIXES))
    return _merge(files, parts)


def _walk_kustomization(directory: Path, kfile: Path, kdirs: Mapping[Path, Any], memo: dict[Path, Inputs],
                        root: Path, seen: frozenset[Path]) -> Inputs:
    obj = kdirs.get(directory)
    if obj is None:
        obj = read_yaml(kfile)
    files, parts = {kfile}, []
    remote = helm = outside = False
    if not isinstance(obj, dict):
        return Inputs(frozenset(files))
    for entry in _references(obj):
        if _REMOTE.search(entry):
            remote = True
            continue
        p = Path(os.path.normpath(directory / entry))
        if p != root and root not in p.parents:
            outside = True
        elif p.is_dir():
            parts.append(kustomize_inputs(p, kdirs, memo, root, seen))
        else:
            files.add(p)  # a missing file is still an input: creating it changes the build
    helm = bool(obj.get("helmCharts")) or bool(obj.get("helmChartInflationGenerator"))
    merged = _merge(files, parts, remote, helm)
    return Inputs(merged.files, merged.remote, merged.helm, merged.outside or outside)


def _references(obj: Mapping[str, Any]) -> Iterable[str]:
    for key in ("resources", "bases", "components"):
        yield from _str_list(obj.get(key))
    for key in _FILE_LISTS:
        yield from (e for e in _str_list(obj.get(key)) if "\n" not in e)
    for key in ("patches", "patchesJson6902", "replacements"):
        for entry in _list(obj.get(key)):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                yield entry["path"]
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in _list(obj.get(key)):
            gen = _dict(gen)
            for f in _str_list(gen.get("files")):
                yield f.split("=", 1)[-1]
            yield from _str_list(gen.get("envs"))
            if isinstance(gen.get("env"), str):
                yield gen["env"]
    if isinstance(obj.get("openapi"), dict) and isinstance(obj["openapi"].get("path"), str):
        yield obj["openapi"]["path"]


def _merge(files: set[Path], parts: Sequence[Inputs], remote: bool = False, helm: bool = False) -> Inputs:
    outside = False
    for p in parts:
        files |= p.files
        remote |= p.remote
        helm |= p.helm
        outside |= p.outside
    return Inputs(frozenset(files), remote, helm, outside)


def read_yaml(path: Path) -> Any:
    """A kustomization the run did not load (refused or outside the checked paths), through kubegate's
    guarded loader: ruamel's C loader on its own segfaulted on deep nesting (exit 139)."""
    from linter.loader import load_file

    try:
        result = load_file(path, path.name)
    except Exception:  # noqa: BLE001 - an unreadable kustomization only loses inputs; kustomize will say why
        return None
    if result.problems and any(p.severity is None for p in result.problems):
        return None  # refused or broken: kustomize reports it when it renders
    return result.documents[0].obj if result.documents else None


# --- small helpers -------------------------------------------------------------------------------------

def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _str(v: Any, default: str = "") -> str:
    return v if isinstance(v, str) else default


def _str_list(v: Any) -> list[str]:
    return [e for e in _list(v) if isinstance(e, str)]
