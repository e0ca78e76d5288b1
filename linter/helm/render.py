"""Rendering one release, as helm-controller installs it, with a cache of the output.

The Helm engine renders the templates (`is_install`, the release name and namespace); from its
output kubegate keeps what an install applies: `NOTES.txt` and empty documents go, test hooks go
unless `spec.test.enable`, the chart's `crds/` come first unless `install.crds: Skip`. Results are
cached by kubegate version + chart digest + values + release name and namespace + those options, so
an unchanged release costs a file read (no engine at all when every release hits the cache).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter import __version__
from linter.helm.charts import Chart
from linter.helm.engine import HelmEngine

CACHE_FORMAT = 1


@dataclass(frozen=True)
class Options:
    name: str
    namespace: str
    crds: bool
    tests: bool
    timeout: float
    max_bytes: int


@dataclass
class Rendered:
    manifests: list[tuple[str, str]]  # (template file, text) in the order Helm applies
    chart: str  # "name version"
    cached: bool = False


def release_name(hr_name: str, spec: dict[str, Any]) -> str:
    """helm-controller's release name: `releaseName`, else `[targetNamespace-]name`, shortened past 53."""
    name = spec.get("releaseName")
    if not isinstance(name, str) or not name:
        target = spec.get("targetNamespace")
        name = f"{target}-{hr_name}" if isinstance(target, str) and target else hr_name
    if len(name) > 53:
        name = f"{name[:40]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return name


def render(engine: HelmEngine, chart: Chart, values: dict[str, Any], opts: Options,
           cache_dir: Path | None) -> Rendered:
    key = _key(chart, values, opts)
    entry = cache_dir / f"{key}.json" if cache_dir is not None else None
    if entry is not None:
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            return Rendered([(str(t), str(x)) for t, x in data["manifests"]], str(data["chart"]), cached=True)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    source: str | bytes = chart.source if isinstance(chart.source, bytes) else str(chart.source)
    out = engine.call("render", opts.timeout, chart=source, values=values, name=opts.name,
                      namespace=opts.namespace, max_bytes=opts.max_bytes)
    meta = out.get("metadata") or {}
    manifests = [(f"crds/{name.rsplit('/', 1)[-1]}", text) for name, text in out["crds"]] if opts.crds else []
    for name, text in sorted(out["templates"].items()):
        if name.endswith("NOTES.txt") or not text.strip():
            continue
        manifests.append((name.split("/", 1)[1] if "/" in name else name, text))
    result = Rendered(manifests, f"{meta.get('name', chart.name)} {meta.get('version', chart.version)}")
    if entry is not None:
        _store(entry, {"manifests": result.manifests, "chart": result.chart})
    return result


def is_test_hook(obj: Any) -> bool:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    hook = notes.get("helm.sh/hook") if isinstance(notes, dict) else None
    return isinstance(hook, str) and any(h.strip() in ("test", "test-success") for h in hook.split(","))


def values_files(chart: Chart, names: list[str]) -> list[dict[str, Any]]:
    """The chart's `valuesFiles`, in order; a file the chart lacks raises FileNotFoundError (as Flux fails)."""
    from linter.helm.values import _parse

    out = []
    for name in names:
        text = _chart_file(chart, name)
        parsed = _parse(text)
        if isinstance(parsed, dict):
            out.append(parsed)
    return out


def _chart_file(chart: Chart, name: str) -> str:
    name = name.lstrip("./")
    if isinstance(chart.source, Path):
        path = Path(os.path.normpath(chart.source / name))
        if chart.source not in path.parents:
            raise FileNotFoundError(name)
        return path.read_text(encoding="utf-8")
    with tarfile.open(fileobj=io.BytesIO(chart.source), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.split("/", 1)[-1] == name:
                handle = tar.extractfile(member)
                if handle is not None:
                    return handle.read(16 << 20).decode("utf-8", "replace")
    raise FileNotFoundError(name)


def _key(chart: Chart, values: dict[str, Any], opts: Options) -> str:
    material = json.dumps([CACHE_FORMAT, __version__, chart.digest, values, opts.name, opts.namespace, opts.crds],
                          sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def _store(entry: Path, data: dict[str, Any]) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, entry)
    except OSError:
        pass  # a read-only cache only costs speed
