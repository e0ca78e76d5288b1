"""From a HelmRelease to the chart it asks for, through the Flux source objects in the tree.

`spec.chart.spec` names a chart in a HelmRepository (`type: default`: an HTTP index; `type: oci`:
`oci://<url>/<chart>`) or a path in a GitRepository (this repository: read in place; another one:
not renderable offline); `spec.chartRef` names an OCIRepository (`ref.tag`, `ref.semver`,
`ref.digest`; default `latest`) or a HelmChart (whose own spec is read like `chart.spec`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from linter.helm.charts import ChartRef
from linter.models import Document

# (kind, namespace, name) -> the source object in the tree (rendered output first), or None.
Find = Callable[[str, str, str], "Document | None"]


class NotRenderable(Exception):
    """The chart's source is one kubegate cannot read (a Bucket, another Git repository)."""


def chart_ref(hr: Mapping[str, Any], namespace: str, find: Find, is_self: Callable[[str, str], bool],
              root: Path) -> ChartRef:
    spec = _dict(hr.get("spec"))
    chart_ref_spec = _dict(spec.get("chartRef"))
    if chart_ref_spec:
        kind, name = str(chart_ref_spec.get("kind", "")), str(chart_ref_spec.get("name", ""))
        ns = str(chart_ref_spec.get("namespace") or namespace)
        src = find(kind, ns, name)
        if src is None:
            raise NotRenderable(f"its chartRef {kind} {name} is not in the tree")
        if kind == "OCIRepository":
            return _oci_repository(_dict(src.obj.get("spec")), name)
        if kind == "HelmChart":
            return _chart_spec(_dict(src.obj.get("spec")), ns, find, is_self, root)
        raise NotRenderable(f"chartRef kind {kind or '(none)'} is not a chart source")
    chart = _dict(_dict(spec.get("chart")).get("spec"))
    if not chart:
        raise NotRenderable("it has neither spec.chart.spec nor spec.chartRef")
    return _chart_spec(chart, namespace, find, is_self, root)


def _chart_spec(chart: Mapping[str, Any], namespace: str, find: Find, is_self: Callable[[str, str], bool],
                root: Path) -> ChartRef:
    name = str(chart.get("chart") or "")
    version = str(chart.get("version") or "*")
    source = _dict(chart.get("sourceRef"))
    kind, src_name = str(source.get("kind", "")), str(source.get("name", ""))
    ns = str(source.get("namespace") or namespace)
    if not name:
        raise NotRenderable("spec.chart.spec.chart is empty")
    if kind == "GitRepository":
        if not is_self(ns, src_name):
            raise NotRenderable(f"the chart is in GitRepository {src_name}, another repository")
        path = Path(os.path.normpath(root / name.lstrip("/")))
        if path != root and root not in path.parents:
            raise NotRenderable(f"chart path {name} leaves the repository")
        return ChartRef("dir", "", path.name, version, path=path)
    if kind == "HelmRepository":
        src = find(kind, ns, src_name)
        if src is None:
            raise NotRenderable(f"HelmRepository {src_name} is not in the tree")
        src_spec = _dict(src.obj.get("spec"))
        url = str(src_spec.get("url") or "")
        if src_spec.get("type") == "oci" or url.startswith("oci://"):
            return ChartRef("oci", url.rstrip("/") + "/" + name, name, version,
                            insecure=src_spec.get("insecure") is True)
        if not url.startswith(("http://", "https://")):
            raise NotRenderable(f"HelmRepository {src_name} has no http(s) URL")
        return ChartRef("http", url, name, version)
    raise NotRenderable(f"the chart's source is a {kind or 'missing kind'}, which kubegate does not read")


def _oci_repository(spec: Mapping[str, Any], src_name: str) -> ChartRef:
    url = str(spec.get("url") or "")
    if not url.startswith("oci://"):
        raise NotRenderable(f"OCIRepository {src_name} has no oci:// URL")
    ref = _dict(spec.get("ref"))
    name = url.rstrip("/").rsplit("/", 1)[-1]
    insecure = spec.get("insecure") is True
    if isinstance(ref.get("digest"), str) and ref["digest"]:
        return ChartRef("oci", url, name, "", insecure=insecure, digest=ref["digest"])
    if isinstance(ref.get("semver"), str) and ref["semver"]:
        return ChartRef("oci", url, name, ref["semver"], insecure=insecure)
    return ChartRef("oci", url, name, str(ref.get("tag") or "latest"), insecure=insecure)


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}
