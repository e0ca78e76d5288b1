"""HelmReleases rendered with a real Helm engine, so that the rules judge the objects Flux applies.

`process` is what the Flux stage calls once the Kustomizations are rendered. For each HelmRelease
Flux applies (those a Kustomization rendered, with post-build substitution done, then those in files
applied as they are), it finds the chart (linter.helm.sources, linter.helm.charts), composes the
values (linter.helm.values), renders (linter.helm.render) and returns the objects as documents that
point back at the HelmRelease (linter.helm.locate). Every release that is not rendered is one finding
on its HelmRelease, and the summary counts rendered / not rendered by reason:

  RENDER-002 info     the source is not readable here (another Git repository, a Bucket)
  RENDER-003 warning  offline and the chart is not in the chart cache (`kubegate charts pull`);
                     one finding per chart, with the count of releases
  RENDER-004 error    online and the chart could not be fetched (fail closed); one per chart, or per unreachable host
  RENDER-005 error    Helm failed: a template error, invalid values, output that is not YAML
  RENDER-006 error    the render overran its time or size budget, or crashed the engine
  RENDER-007 warning  helm-python-sdk is not installed (once per run, with the count)
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linter.flux.render import find_renderer
from linter.helm.charts import ChartStore, Unavailable, default_cache_dir
from linter.helm.engine import EngineFailed, HelmEngine, HelmError, available
from linter.helm.locate import ValuesLocator
from linter.helm.postrender import PostRenderError, identity, kustomize_entries, post_render
from linter.helm.render import Options, is_test_hook, release_name, render, values_files
from linter.helm.sources import NotRenderable, chart_ref
from linter.helm.values import compose, object_data
from linter.models import Document, Problem, Severity

__all__ = ["INSTALL_HINT", "HelmRun", "available", "default_cache_dir", "process", "render_release"]

HELM_GROUP = "helm.toolkit.fluxcd.io/"
INSTALL_HINT = "pip install 'kubegate[helm]'"
# Kinds without a namespace: Helm leaves them as rendered; every other object gets the release's.
CLUSTER_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "APIService", "ClusterIssuer", "ClusterSecretStore",
    "ClusterExternalSecret", "ClusterPolicy", "GatewayClass", "CertificateSigningRequest",
})


@dataclass
class HelmRun:
    """What the Flux stage hands over: the tree's documents and how to judge them."""

    root: Path
    raw: Sequence[Document]  # documents as loaded (Flux sources, ConfigMaps, HelmReleases applied as is)
    rendered: Sequence[Document]  # output of the Kustomizations rendered so far
    section: Mapping[str, Any]  # the `helm` configuration section
    is_self: Any  # (namespace, name) -> whether a GitRepository is this repository
    path_of: Any  # Document -> its absolute source path
    applies: Any  # Path -> whether Flux applies that file (raw HelmReleases only)
    changed: frozenset[Path] | None = None
    online: bool = False
    stats: dict[str, Any] = field(default_factory=dict)


def process(run: HelmRun, problems: list[Problem]) -> list[Document]:
    started = time.perf_counter()
    releases = _releases(run)
    stats: dict[str, Any] = {"releases": len(releases), "rendered": 0, "cached": 0, "failed": 0,
                             "not_rendered": Counter()}
    run.stats.update(stats)
    if not releases:
        return []
    if run.section.get("render", True) is False:
        run.stats["not_rendered"] = {"disabled in configuration": len(releases)}
        return []
    if not available():
        problems.append(Problem("RENDER-007", f"{len(releases)} HelmRelease(s) not rendered: the Helm engine is not "
                                f"installed; {INSTALL_HINT} renders them", releases[0].file, "flux",
                                doc=releases[0], path=("spec",), key=True))
        run.stats["not_rendered"] = {"helm not installed": len(releases)}
        return []
    index = _Index([*run.rendered, *run.raw])
    out: list[Document] = []
    with HelmEngine(int(run.section.get("memory_mb", 2048))) as engine:
        store = ChartStore(_chart_cache(run.section), run.online, engine,
                           float(run.section.get("fetch_timeout_seconds", 60)))
        releaser = _Releaser(run, index, store, engine, problems)
        for hr in releases:
            if releaser.wanted(hr):
                out.extend(releaser.release(hr))
        releaser.finish()
        counts = releaser.counts
    run.stats.update({k: counts[k] for k in ("rendered", "cached", "failed")})
    run.stats["not_rendered"] = dict(sorted((k, v) for k, v in counts.items() if k not in
                                            ("rendered", "cached", "failed", "unchanged")))
    run.stats["unchanged"] = counts["unchanged"]
    run.stats["seconds"] = round(time.perf_counter() - started, 3)
    return out


def render_release(run: HelmRun, hr: Document) -> list[Document] | None:
    """One HelmRelease (such as the merge base's version of a changed one) rendered in the context of
    `run`: its objects, or None when it could not be rendered (the reason is not reported again)."""
    if not available():
        return None
    with HelmEngine(int(run.section.get("memory_mb", 2048))) as engine:
        store = ChartStore(_chart_cache(run.section), run.online, engine,
                           float(run.section.get("fetch_timeout_seconds", 60)))
        releaser = _Releaser(run, _Index([*run.rendered, *run.raw]), store, engine, [])
        docs = releaser.release(hr)
    return docs if releaser.counts["rendered"] else None


def _releases(run: HelmRun) -> list[Document]:
    """HelmReleases as Flux applies them: rendered by a Kustomization first, then raw ones no render covered."""
    def is_hr(d: Document) -> bool:
        return d.kind == "HelmRelease" and d.api_version.startswith(HELM_GROUP) and isinstance(d.obj, dict)

    rendered = [d for d in run.rendered if is_hr(d)]
    covered = {id(d.origin) for d in rendered if d.origin is not None}
    raw = [d for d in run.raw if is_hr(d) and d.origin is None and d.role == "resource" and id(d) not in covered
           and run.applies(run.path_of(d))]
    return [*rendered, *raw]


class _Index:
    """Objects by kind and name; rendered output (post-build substitution done) before raw files."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self.by: dict[tuple[str, str], list[Document]] = {}
        for d in documents:
            if d.kind in ("HelmRepository", "OCIRepository", "HelmChart", "GitRepository", "ConfigMap", "Secret"):
                self.by.setdefault((d.kind, d.name), []).append(d)

    def find(self, kind: str, namespace: str, name: str) -> Document | None:
        hits = self.by.get((kind, name), [])
        return next((d for d in hits if d.namespace == namespace), None) or \
            next((d for d in hits if not d.namespace), None)


class _Releaser:
    def __init__(self, run: HelmRun, index: _Index, store: ChartStore, engine: HelmEngine,
                 problems: list[Problem]) -> None:
        self.run, self.index, self.store, self.engine, self.problems = run, index, store, engine, problems
        self.counts: Counter[str] = Counter()
        self.unavailable: dict[tuple[str, str], list[tuple[Document, tuple[str, ...]]]] = {}
        self.render_cache = _render_cache(run.section)
        self.timeout = float(run.section.get("timeout_seconds", 30))
        self.max_bytes = int(run.section.get("max_output_mb", 64)) << 20

    def wanted(self, hr: Document) -> bool:
        """Changed-only runs render a release whose HelmRelease, values objects or in-tree chart changed."""
        changed = self.run.changed
        if changed is None or self.run.path_of(hr.origin or hr) in changed:
            return True
        spec = hr.obj.get("spec") if isinstance(hr.obj.get("spec"), dict) else {}
        for entry in spec.get("valuesFrom") or []:
            if isinstance(entry, dict):
                src = self.index.find(str(entry.get("kind")), _namespace(hr), str(entry.get("name")))
                if src is not None and self.run.path_of(src.origin or src) in changed:
                    return True
        try:
            ref = chart_ref(hr.obj, _namespace(hr), self.index.find, self.run.is_self, self.run.root)
        except NotRenderable:
            return False
        if ref.path is not None and any(ref.path in p.parents for p in changed):
            return True
        self.counts["unchanged"] += 1
        return False

    def release(self, hr: Document) -> list[Document]:
        namespace = _namespace(hr)
        spec: dict[str, Any] = hr.obj.get("spec") if isinstance(hr.obj.get("spec"), dict) else {}
        anchor = ("spec", "chartRef") if isinstance(spec.get("chartRef"), dict) else ("spec", "chart")
        try:
            ref = chart_ref(hr.obj, namespace, self.index.find, self.run.is_self, self.run.root)
        except NotRenderable as exc:
            self.counts["source not readable"] += 1
            return self._problem("RENDER-002", hr, anchor, f"HelmRelease {hr.name} not rendered: {exc}")
        try:
            chart = self.store.get(ref)
        except Unavailable as exc:
            # one finding per chart (reported by `finish`), not per release: a fleet whose CI cannot reach
            # ghcr.io read 69 RENDER-004 errors for 41 charts and one cause.
            rule = "RENDER-003" if exc.reason == "not cached" else "RENDER-004"
            self.counts["chart not cached" if rule == "RENDER-003" else "chart not fetched"] += 1
            self.unavailable.setdefault((rule, str(exc)), []).append((hr, anchor))
            return []
        chart_spec = spec.get("chart", {}).get("spec", {}) if isinstance(spec.get("chart"), dict) else {}
        names = [str(n) for n in (chart_spec.get("valuesFiles") or []) if isinstance(n, str)] \
            if isinstance(chart_spec, dict) else []
        try:
            layers = values_files(chart, names)
        except FileNotFoundError as exc:
            self.counts["failed"] += 1
            return self._problem("RENDER-005", hr, ("spec", "chart", "spec", "valuesFiles"),
                                 f"HelmRelease {hr.name}: valuesFiles names {exc.args[0]}, which the chart lacks")
        composed = compose(spec, namespace, self._lookup, layers)
        if composed.problems:
            self.counts["failed"] += 1
            return self._problem("RENDER-005", hr, ("spec", "valuesFrom"),
                                 f"HelmRelease {hr.name}: {'; '.join(composed.problems)}")
        install: dict[str, Any] = spec["install"] if isinstance(spec.get("install"), dict) else {}
        test: dict[str, Any] = spec["test"] if isinstance(spec.get("test"), dict) else {}
        target = spec.get("targetNamespace")
        opts = Options(release_name(hr.name, spec), target if isinstance(target, str) and target else namespace,
                       crds=install.get("crds", "Create") != "Skip", tests=test.get("enable") is True,
                       timeout=self.timeout, max_bytes=self.max_bytes)
        try:
            rendered = render(self.engine, chart, composed.values, opts, self.render_cache)
        except HelmError as exc:
            self.counts["failed"] += 1
            return self._problem("RENDER-005", hr, anchor, f"HelmRelease {hr.name}: Helm could not render "
                                 f"{chart.name} {chart.version}: {_short(str(exc))}")
        except EngineFailed as exc:
            self.counts["failed"] += 1
            return self._problem("RENDER-006", hr, anchor, f"HelmRelease {hr.name}: rendering {chart.name} "
                                 f"{chart.version} stopped: {exc} (helm.timeout_seconds, helm.memory_mb)")
        docs = self._documents(hr, rendered.manifests, rendered.chart, opts, anchor, composed.values)
        if docs is None:
            self.counts["failed"] += 1
            return []
        self.counts["rendered"] += 1
        self.counts["cached"] += int(rendered.cached)
        if composed.missing:  # GRAPH-006 reports each missing object; the summary counts the releases
            self.run.stats["partial_values"] = self.run.stats.get("partial_values", 0) + 1
        return docs

    def finish(self) -> None:
        for (rule, why), releases in self.unavailable.items():
            hr, anchor = releases[0]
            names = ", ".join(r.name for r, _a in releases[:5]) + (", …" if len(releases) > 5 else "")
            hint = "; run `kubegate charts pull .` where the network is allowed, or check with --online" \
                if rule == "RENDER-003" else ""
            self._problem(rule, hr, anchor, f"{why}: {len(releases)} HelmRelease(s) not rendered ({names}){hint}")

    def _documents(self, hr: Document, manifests: list[tuple[str, str]], chart: str, opts: Options,
                   anchor: tuple[str, ...], values: dict[str, Any]) -> list[Document] | None:
        from linter.loader import load_bytes

        objects: list[tuple[str, Any]] = []
        for template, text in manifests:
            loaded = load_bytes(text.encode("utf-8", "surrogatepass"), f"{chart}: {template}")
            bad = next((p for p in loaded.problems if _is_error(p)), None)
            if bad is not None:
                self._problem("RENDER-005", hr, anchor, f"HelmRelease {hr.name}: {chart} {template} rendered "
                              f"invalid YAML: {_short(bad.message)}")
                return None
            for d in loaded.documents:
                obj = d.obj
                if not isinstance(obj, dict) or (not opts.tests and is_test_hook(obj)):
                    continue
                meta = obj.get("metadata")
                if isinstance(meta, dict) and not meta.get("namespace") and obj.get("kind") not in CLUSTER_KINDS:
                    obj = {**obj, "metadata": {**meta, "namespace": opts.namespace}}
                objects.append((template, obj))
        spec = hr.obj.get("spec") if isinstance(hr.obj.get("spec"), dict) else {}
        entries = kustomize_entries(spec)
        before = {identity(o): o for _t, o in objects} if entries else {}
        try:
            objects = post_render(objects, entries, find_renderer() if entries else None)
        except PostRenderError as exc:
            self._problem("RENDER-005", hr, ("spec", "postRenderers"),
                          f"HelmRelease {hr.name}: the postRenderers could not be applied: {_short(str(exc))}")
            return None
        return [Document(file=hr.file, index=hr.index, obj=obj, span=hr.span,
                         locator=ValuesLocator(obj, hr, ("spec", "values"), anchor, values,
                                               before.get(identity(obj)) if entries else None),
                         origin=hr.origin or hr, via=f"{chart}: {template}") for template, obj in objects]

    def _lookup(self, kind: str, namespace: str, name: str) -> Mapping[str, str] | None:
        doc = self.index.find(kind, namespace, name)
        if doc is None or not isinstance(doc.obj, dict) or "sops" in doc.obj:
            return None  # absent, or SOPS-encrypted: the values are not known here
        return object_data(doc.obj)

    def _problem(self, rule: str, hr: Document, path: tuple[Any, ...], message: str) -> list[Document]:
        self.problems.append(Problem(rule, message, hr.file, "flux", doc=hr, path=path, key=True))
        return []


def _is_error(problem: Problem) -> bool:
    from linter.rules import BUILTIN_RULES

    rule = BUILTIN_RULES.get(problem.rule_id)
    return (problem.severity or (rule.severity if rule else Severity.ERROR)) == Severity.ERROR


def _namespace(hr: Document) -> str:
    return hr.namespace or "default"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 600 else text[:600] + "…"


def _chart_cache(section: Mapping[str, Any]) -> Path | None:
    if section.get("cache", True) is False:
        return None
    value = section.get("chart_cache")
    return Path(str(value)).expanduser() if value else default_cache_dir()


def _render_cache(section: Mapping[str, Any]) -> Path | None:
    if section.get("cache", True) is False or os.environ.get("KUBEGATE_NO_CACHE"):
        return None
    return default_cache_dir().parent / "helm-render"
