"""Flux-aware checking: the Flux object graph, rendering Kustomizations, and mapping output back to source.

`process` is what the pipeline calls: it builds the graph (GRAPH-001..004, 006), renders each Flux
Kustomization whose source is this repository (RENDER-001/002), applies post-build substitution
(GRAPH-005) and returns the rendered resources positioned at their source lines.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from linter.flux.draw import draw
from linter.flux.graph import FluxGraph, Inputs, KsInfo, Node, Ref, build_graph
from linter.flux.reconcile import Reach, reach, set_aside
from linter.flux.origin import ORIGIN_ANNOTATION, ImageRule, Patch, RenderedLocator, file_patch, inline_patch
from linter.flux.render import Job, Output, Renderer, find_renderer, flux_job, plain_job, run_jobs
from linter.flux.substitute import disabled, substitute_obj
from linter.models import DocPath, Document, Problem, Severity, Span

__all__ = ["FluxGraph", "FluxResult", "Ref", "build_graph", "draw", "process", "self_sources"]


@dataclass
class FluxResult:
    rendered: list[Document]
    problems: list[Problem]
    stats: dict[str, Any] = field(default_factory=dict)
    reach: Reach | None = None  # what Flux applies (linter.flux.reconcile); None: no Flux view of the tree
    graph: FluxGraph | None = None
    helm_run: Any = None  # linter.helm.HelmRun of this run, for rendering one more release (kubegate ci)

    def render_release(self, hr: Document) -> list[Document] | None:
        """`hr` rendered with this run's charts, sources and values objects (None: not rendered)."""
        if self.helm_run is None:
            return None
        from linter import helm

        return helm.render_release(self.helm_run, hr)

    def set_aside(self, documents: Sequence[Document], problems: list[Problem], loaded_files: Sequence[str],
                  named: frozenset[str], per_file: bool) -> list[Problem]:
        """linter.flux.reconcile.set_aside: the files Flux never applies leave the check."""
        if self.reach is None or self.graph is None:
            return problems
        return set_aside(self.reach, self.graph.files.show, documents, problems, loaded_files, named, per_file)


@dataclass(frozen=True)
class _Target:
    job: Job
    ks: KsInfo | None  # None: a plain kustomize directory


def process(root: Path, documents: Sequence[Document], section: Mapping[str, Any],
            changed_files: frozenset[Path] | None = None, *, render: bool = True,
            cwd: Path | None = None, helm_section: Mapping[str, Any] | None = None,
            online: bool = False) -> FluxResult:
    started = time.perf_counter()
    graph = build_graph(documents, root, cwd, self_sources(section))
    problems = _missing_refs(graph.problems, str(section.get("missing_refs", "warning")))
    stats: dict[str, Any] = {
        "kustomizations": len(graph.kustomizations),
        "helmreleases": sum(1 for n in graph.nodes if n.ref.kind == "HelmRelease"),
        "rendered": 0, "failed": 0, "cached": 0, "unchanged": 0, "documents": 0, "not_rendered": {},
    }
    not_rendered: Counter[str] = Counter()
    rendered: list[Document] = []
    helm_run = None
    reached = reach(graph, lambda ks: ks_inputs(graph, ks).files) if section.get("unreconciled", "skip") == "skip" \
        else None
    if render and section.get("render", True) is not False:
        renderer_choice = str(section.get("renderer", "auto"))
        ctx = _Context(graph, section, changed_files, documents, reached)
        targets = ctx.targets(problems, not_rendered)
        stats["unchanged"], stats["failed"] = ctx.unchanged, ctx.failed
        if ctx.unreconciled_helm:
            stats["unreconciled_helmreleases"] = ctx.unreconciled_helm
        renderer = find_renderer(renderer_choice) if targets else None
        if targets and renderer is None:
            for t in targets:
                ctx.render_failed(t, f"no renderer on PATH ({_renderer_names(renderer_choice)})", problems)
            stats["failed"] += len(targets)
        elif targets and renderer is not None:
            rendered = ctx.run(targets, renderer, problems, stats)
        helm_docs, helm_run = _helm(graph, documents, rendered, helm_section or {}, ctx, online, problems, stats)
        rendered.extend(helm_docs)
    stats["not_rendered"] = dict(sorted(not_rendered.items()))
    stats["documents"] = len(rendered)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    if reached is not None:
        stats["entry_points"] = len(reached.entry_points)
    return FluxResult(rendered, problems, stats, reached, graph, helm_run)


def _helm(graph: FluxGraph, documents: Sequence[Document], rendered: Sequence[Document],
          section: Mapping[str, Any], ctx: _Context, online: bool, problems: list[Problem],
          stats: dict[str, Any]) -> tuple[list[Document], Any]:
    """linter.helm renders the HelmReleases Flux applies; its counts go under `helm` in the summary."""
    from linter import helm

    names = self_sources(ctx.section)
    defined = {(n.ref.namespace, n.ref.name) for n in graph.nodes if n.ref.kind == "GitRepository"}

    def is_self(namespace: str, name: str) -> bool:
        if (namespace, name) == ("flux-system", "flux-system"):
            return True
        if names is None:
            return (namespace, name) not in defined
        return any(n in (name, f"{namespace}/{name}") for n in names)

    run = helm.HelmRun(graph.root, documents, rendered, section, is_self, graph.files.path_of,
                       (lambda p: True) if ctx.reached is None else ctx.reached.applies, ctx.changed, online)
    out = helm.process(run, problems)
    stats["helm"] = run.stats
    return out, run


def ks_inputs(graph: FluxGraph, ks: KsInfo) -> Inputs:
    """What a Flux Kustomization's build reads: its path's tree and its components'."""
    if ks.path is None or not ks.path.is_dir():
        return Inputs(frozenset())
    spec = ks.node.doc.obj.get("spec") if isinstance(ks.node.doc.obj.get("spec"), dict) else {}
    inputs = graph.inputs(ks.path)
    for component in spec.get("components") or []:
        if isinstance(component, str):  # Flux adds them to the build: their files are inputs too
            extra = graph.inputs(ks.path / component)
            inputs = Inputs(inputs.files | extra.files, inputs.remote or extra.remote,
                            inputs.helm or extra.helm, inputs.outside or extra.outside)
    return inputs


def self_sources(section: Mapping[str, Any]) -> list[str] | None:
    """`flux.self_sources`: None for auto, else the configured GitRepository names."""
    value = section.get("self_sources", "auto")
    return None if value == "auto" else [str(v) for v in value]


def _missing_refs(problems: Sequence[Problem], choice: str) -> list[Problem]:
    """GRAPH-006 takes the configured severity proposal, or is dropped when `off`."""
    if choice == "off":
        return [p for p in problems if p.rule_id != "GRAPH-006"]
    severity = Severity.parse(choice)
    return [replace(p, severity=severity) if p.rule_id == "GRAPH-006" else p for p in problems]


def _renderer_names(choice: str) -> str:
    return "kustomize or kubectl" if choice == "auto" else choice


class _Context:
    def __init__(self, graph: FluxGraph, section: Mapping[str, Any], changed: frozenset[Path] | None,
                 documents: Sequence[Document], reached: Reach | None) -> None:
        self.g, self.section, self.files = graph, section, graph.files
        self.reached = reached
        self.unreconciled_helm = 0  # HelmReleases in files Flux never applies
        self.changed = None if changed is None else frozenset(
            Path(os.path.normpath(p if p.is_absolute() else self.files.cwd / p)) for p in changed)
        self.documents = documents
        self._loaded: dict[Path, list[Document]] = {}
        self.unchanged = 0
        self.failed = 0

    # -- choosing what to render ---------------------------------------------------------------------
    def targets(self, problems: list[Problem], not_rendered: Counter[str]) -> list[_Target]:
        out: list[_Target] = []
        covered: set[Path] = set()
        for ks in self.g.kustomizations:
            if self.reached is not None and not self.reached.reaches(ks):
                not_rendered["unreconciled"] += 1  # no entry point applies it: neither does Flux
                continue
            target = self._flux_target(ks, problems, not_rendered)
            if target is not None:
                covered |= target.job.inputs.files
                if self._wanted(target, ks.node):
                    out.append(target)
                else:
                    self.unchanged += 1
        for node in self.g.nodes:
            if node.ref.kind == "HelmRelease" and self.reached is not None and not self.reached.applies(node.file):
                self.unreconciled_helm += 1  # the others are linter.helm's
        if self.section.get("plain_kustomize", False):
            out.extend(t for t in self._plain_targets(covered) if self._wanted(t, None))
        return out

    def _flux_target(self, ks: KsInfo, problems: list[Problem], not_rendered: Counter[str]) -> _Target | None:
        node = ks.node
        if ks.status != "this":
            reason = {"other": ks.reason or "source is not this repository", "unknown": ks.reason,
                      "missing": ks.reason or "source not found"}[ks.status]
            not_rendered[_reason_key(ks)] += 1
            if ks.status != "missing" and self._wanted_file(node.file):
                self._not_rendered(node, ("spec", "sourceRef"), f"Kustomization {node.ref.name} not rendered: "
                                   f"{reason}", problems)
            return None
        if ks.path is None or not ks.path.is_dir():
            not_rendered["path not found"] += 1
            return None
        spec = node.doc.obj.get("spec") if isinstance(node.doc.obj.get("spec"), dict) else {}
        inputs = ks_inputs(self.g, ks)
        if inputs.remote:
            not_rendered["remote base"] += 1
            if self._wanted_file(node.file) or self._touches(inputs.files):
                self._not_rendered(node, ("spec", "path"), f"Kustomization {node.ref.name} not rendered: uses "
                                   "remote bases", problems)
            return None
        target = _Target(flux_job(str(node.ref), ks.path, spec, inputs), ks)
        if inputs.outside or inputs.helm:
            # kustomize-controller builds without --enable-helm (fluxcd/kustomize-controller#579, wontfix):
            # a helmCharts entry is a build Flux fails, not one it applies differently.
            why = "it reads a directory outside the repository" if inputs.outside else (
                f"{self.files.show(self._helm_chart_file(inputs))} uses kustomize helmCharts, which "
                "kustomize-controller never inflates (it builds without --enable-helm), so Flux fails this "
                "build; install the chart with a HelmRelease (spec.postRenderers for patches)")
            if self._wanted(target, node):
                self.render_failed(target, why, problems)
                self.failed += 1
            else:
                self.unchanged += 1
            return None
        return target

    def _helm_chart_file(self, inputs: Inputs) -> Path:
        """The kustomization file of a build that holds the helmCharts entry."""
        for path in sorted(inputs.files):
            obj = self.g.kustomize_dirs.get(path.parent)
            if path.name in ("kustomization.yaml", "kustomization.yml", "Kustomization") and isinstance(obj, dict) \
                    and (obj.get("helmCharts") or obj.get("helmChartInflationGenerator")):
                return path
        return min(inputs.files)

    def _plain_targets(self, covered: set[Path]) -> list[_Target]:
        included = set()
        for d, obj in self.g.kustomize_dirs.items():
            for entry in obj.get("resources") or []:
                if isinstance(entry, str):
                    included.add(Path(os.path.normpath(d / entry)))
        out = []
        for d in sorted(self.g.kustomize_dirs):
            kfiles = [d / n for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")]
            if d in included or any(k in covered for k in kfiles):
                continue
            if self.g.kustomize_dirs[d].get("kind") == "Component":
                continue
            inputs = self.g.inputs(d)
            if not (inputs.remote or inputs.helm or inputs.outside):
                out.append(_Target(plain_job(self.files.show(d), d, inputs), None))
        return out

    def _wanted(self, target: _Target, node: Node | None) -> bool:
        if self.changed is None:
            return True
        if node is not None and node.file in self.changed:
            return True
        return self._touches(target.job.inputs.files)

    def _touches(self, files: frozenset[Path]) -> bool:
        return self.changed is None or not self.changed.isdisjoint(files)

    def _wanted_file(self, path: Path) -> bool:
        return self.changed is None or path in self.changed

    def _not_rendered(self, node: Node, path: DocPath, message: str, problems: list[Problem]) -> None:
        problems.append(Problem("RENDER-002", message, node.doc.file, "flux", doc=node.doc, path=path,
                                key=True))

    def render_failed(self, target: _Target, why: str, problems: list[Problem]) -> None:
        severity = _failure_severity(self.section)
        for base in sorted({str(self.g.root), str(self.files.cwd)}, key=len, reverse=True):
            why = why.replace(base + os.sep, "").replace(base, ".")
        if target.ks is None:
            kfile = next((f for f in sorted(target.job.inputs.files) if f.parent == target.job.directory), None)
            problems.append(Problem("RENDER-001", f"kustomize build of {target.job.label} failed: {why}",
                                    self.files.show(kfile or target.job.directory), "flux",
                                    span=Span.point(1), severity=severity))
            return
        node = target.ks.node
        problems.append(Problem("RENDER-001", f"Kustomization {node.ref.name} could not be rendered: {why}",
                                node.doc.file, "flux", doc=node.doc, path=("spec", "path"), severity=severity))

    # -- rendering --------------------------------------------------------------------------------------
    def run(self, targets: list[_Target], renderer: Renderer, problems: list[Problem],
            stats: dict[str, Any]) -> list[Document]:
        jobs = int(self.section.get("jobs") or min(4, os.cpu_count() or 1))
        outputs = run_jobs([t.job for t in targets], renderer, jobs, _cache_dir(self.section), self.g.root)
        rendered: list[Document] = []
        for target, out in zip(targets, outputs):
            if out.text is None:
                stats["failed"] += 1
                self.render_failed(target, out.error, problems)
                continue
            stats["rendered"] += 1
            stats["cached"] += int(out.cached)
            rendered.extend(self._documents(target, out, problems))
        return rendered

    def _documents(self, target: _Target, out: Output, problems: list[Problem]) -> list[Document]:
        from linter.loader import load_bytes

        loaded = load_bytes((out.text or "").encode(), target.job.label)
        patches, images = self._patches(target)
        subst = self._substitution(target)
        docs = []
        for d in loaded.documents:
            if not isinstance(d.obj, dict):
                continue
            obj, origin_path = _strip_origin(d.obj, str(self.g.root))
            source = self._source_doc(origin_path, obj)
            locator = RenderedLocator(obj, source, patches, images)
            final = obj
            doc = Document(file=source.file, index=source.index, obj=obj, span=source.span, locator=locator,
                           origin=source)
            if subst is not None and not disabled(obj):
                values, complete = subst
                final, undefined = substitute_obj(obj, values)
                doc.obj = final
                if complete and target.ks is not None:
                    self._undefined(target.ks.node, doc, undefined, problems)
            docs.append(doc)
        return docs

    def _undefined(self, ks: Node, doc: Document, undefined: list[tuple[DocPath, tuple[str, ...]]],
                   problems: list[Problem]) -> None:
        for path, names in undefined:
            for name in dict.fromkeys(names):
                loc = doc.locate(path)
                problems.append(Problem(
                    "GRAPH-005",
                    f"variable {name} is defined neither in postBuild.substitute nor in a substituteFrom object "
                    f"of Kustomization {ks.ref.name}; Flux substitutes an empty string",
                    loc.file, "flux", doc=doc, path=path))

    # -- substitution values ------------------------------------------------------------------------------
    def _substitution(self, target: _Target) -> tuple[dict[str, str], bool] | None:
        """(variables, whether every source of variables was found) or None when Flux would not substitute."""
        if target.ks is None:
            return None
        spec = target.ks.node.doc.obj.get("spec")
        post = spec.get("postBuild") if isinstance(spec, dict) else None
        if not isinstance(post, dict):
            return None
        raw = post.get("substitute")
        inline: dict[str, Any] = raw if isinstance(raw, dict) else {}
        sources = [s for s in post.get("substituteFrom") or [] if isinstance(s, dict)]
        if not inline and not sources:
            return None
        values: dict[str, str] = {}
        complete = True
        for src in sources:
            found = self._config_values(str(src.get("kind")), target.ks.node.ref.namespace, str(src.get("name")))
            if found is None:
                complete = False
            else:
                values.update(found)
        values.update({str(k): "" if v is None else str(v) for k, v in inline.items()})
        return values, complete

    def _config_values(self, kind: str, namespace: str, name: str) -> dict[str, str] | None:
        hits = [d for d in self.documents if d.kind == kind and d.name == name and d.origin is None
                and (not namespace or not d.namespace or d.namespace == namespace)]
        if not hits:
            return self._generated_values(kind, name)
        out: dict[str, str] = {}
        for d in hits:
            for key in ("data", "stringData"):
                data = d.obj.get(key)
                if isinstance(data, dict):
                    out.update({str(k): _decode(kind, key, v) for k, v in data.items()})
        return out

    def _generated_values(self, kind: str, name: str) -> dict[str, str] | None:
        gen_key = "configMapGenerator" if kind == "ConfigMap" else "secretGenerator"
        for obj in self.g.kustomize_dirs.values():
            for gen in obj.get(gen_key) or []:
                if isinstance(gen, dict) and gen.get("name") == name:
                    if gen.get("files") or gen.get("envs") or gen.get("env"):
                        return None  # keys live in other files: cannot be known cheaply
                    lits = [str(x) for x in gen.get("literals") or []]
                    return {x.split("=", 1)[0]: x.split("=", 1)[-1] for x in lits}
        return None

    # -- origins -------------------------------------------------------------------------------------------
    def _source_doc(self, origin_path: Path | None, obj: dict[str, Any]) -> Document:
        if origin_path is None:
            return _stub(self.files.show(self.g.root), obj)
        docs = self._docs_of(origin_path)
        if not docs:
            return _stub(self.files.show(origin_path), obj)
        kind = obj.get("kind")
        name = _name(obj)
        same_kind = [d for d in docs if d.kind == kind]
        for pick in ([d for d in same_kind if d.name == name],
                     [d for d in same_kind if d.name and d.name in name],
                     same_kind if len(same_kind) == 1 else [],
                     [d for d in docs if d.role == "kustomize"], docs[:1]):
            if pick:
                return pick[0]
        return docs[0]

    def _docs_of(self, path: Path) -> list[Document]:
        known = self.files.by_path.get(path)
        if known:
            return known
        if path not in self._loaded:
            from linter.loader import load_file

            try:
                self._loaded[path] = load_file(path, self.files.show(path)).documents
            except OSError:
                self._loaded[path] = []
        return self._loaded[path]

    def _patches(self, target: _Target) -> tuple[list[Patch], list[ImageRule]]:
        patches: list[Patch] = []
        images: list[ImageRule] = []
        if target.ks is not None:
            ksdoc = target.ks.node.doc
            spec = ksdoc.obj.get("spec") if isinstance(ksdoc.obj.get("spec"), dict) else {}
            for i, p in reversed(list(enumerate(spec.get("patches") or []))):
                if isinstance(p, dict) and isinstance(p.get("patch"), str):
                    made = inline_patch(ksdoc, ("spec", "patches", i, "patch"), p["patch"], p.get("target"))
                    patches.extend([made] if made else [])
            images.extend(ImageRule(ksdoc.file, str(e.get("name")), ksdoc, ("spec", "images", i))
                          for i, e in enumerate(spec.get("images") or []) if isinstance(e, dict))
        kfiles = sorted((f for f in target.job.inputs.files if f.name in ("kustomization.yaml", "kustomization.yml",
                                                                           "Kustomization")),
                        key=lambda f: (f.parent != target.job.directory, len(f.parts)))
        for kfile in kfiles:
            docs = self._docs_of(kfile)
            if docs and isinstance(docs[0].obj, dict):
                p2, i2 = self._kustomization_patches(kfile, docs[0])
                patches.extend(p2)
                images.extend(i2)
        return patches, images

    def _kustomization_patches(self, kfile: Path, kdoc: Document) -> tuple[list[Patch], list[ImageRule]]:
        obj = kdoc.obj
        out: list[Patch] = []
        for key in ("patches", "patchesJson6902"):
            for i, p in reversed(list(enumerate(obj.get(key) or []))):
                if not isinstance(p, dict):
                    continue
                if isinstance(p.get("patch"), str):
                    made = inline_patch(kdoc, (key, i, "patch"), p["patch"], p.get("target"))
                elif isinstance(p.get("path"), str):
                    made = self._file_patch(kfile.parent / p["path"], p.get("target"))
                else:
                    made = None
                out.extend([made] if made else [])
        for i, p in reversed(list(enumerate(obj.get("patchesStrategicMerge") or []))):
            if isinstance(p, str):
                made = inline_patch(kdoc, ("patchesStrategicMerge", i), p, None) if "\n" in p.strip() \
                    else self._file_patch(kfile.parent / p, None)
                out.extend([made] if made else [])
        images = [ImageRule(kdoc.file, str(e.get("name")), kdoc, ("images", i))
                  for i, e in enumerate(obj.get("images") or []) if isinstance(e, dict)]
        return out, images

    def _file_patch(self, path: Path, target: Any) -> Patch | None:
        path = Path(os.path.normpath(path))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return file_patch(self.files.show(path), text, target)


# kustomize writes `path: <file>` for resources and `configuredIn: <kustomization>` for generated ones.
_ORIGIN_PATH = re.compile(r"^(?:path|configuredIn):[ \t]*(\S.*?)[ \t]*$", re.MULTILINE)


def _strip_origin(obj: dict[str, Any], base: str) -> tuple[dict[str, Any], Path | None]:
    """The object without kustomize's origin annotation, and the source file that annotation names."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("annotations"), dict):
        return obj, None
    annotations = dict(meta["annotations"])
    raw = annotations.pop(ORIGIN_ANNOTATION, None)
    meta = dict(meta)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations")
    path = None
    m = _ORIGIN_PATH.search(raw) if isinstance(raw, str) else None
    if m is not None and "://" not in m.group(1):
        path = Path(os.path.normpath(Path(base) / m.group(1).strip().strip("'\"")))
    return {**obj, "metadata": meta}, path


def _stub(file: str, obj: Any) -> Document:
    return Document(file=file, index=0, obj=obj, span=Span.point(1), role="resource")


def _name(obj: Any) -> str:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return str(meta.get("name") or "") if isinstance(meta, dict) else ""


def _decode(kind: str, key: str, value: Any) -> str:
    if kind == "Secret" and key == "data" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    return "" if value is None else str(value)


def _reason_key(ks: KsInfo) -> str:
    if ks.status == "other":
        return "remote source" if "Git repository" in ks.reason else ks.reason.replace("source is a ", "source: ")
    return {"unknown": "unknown source", "missing": "source not found"}.get(ks.status, ks.status)


def _failure_severity(section: Mapping[str, Any]) -> Severity:
    """Could-not-check is red by default wherever the run happens (Jenkins sets no `CI`); a team that
    renders elsewhere lowers it in configuration (in `kubegate ci`, only the base's counts)."""
    choice = str(section.get("on_failure", "auto"))
    return Severity.ERROR if choice == "auto" else Severity.parse(choice)


def _cache_dir(section: Mapping[str, Any]) -> Path | None:
    if section.get("cache", True) is False or os.environ.get("KUBEGATE_NO_CACHE"):
        return None
    if isinstance(section.get("cache_dir"), str):
        return Path(section["cache_dir"]).expanduser()
    if os.environ.get("KUBEGATE_CACHE_DIR"):
        return Path(os.environ["KUBEGATE_CACHE_DIR"]) / "render"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kubegate" / "render"
