"""`spec.postRenderers`: helm-controller's kustomize post-renderer, applied with real kustomize.

Each `kustomize` entry (`patches`, `patchesStrategicMerge`, `patchesJson6902`, `images`) becomes a
kustomization over the chart's output, built by the same `kustomize build` / `kubectl kustomize` the
Flux Kustomizations use, entries in order. The chart's `crds/` are not post-rendered (Helm installs
them before, as they are). Objects keep the template they came from, matched by kind, namespace and
name (post-renderers cannot rename).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from linter.flux.render import RENDER_TIMEOUT, Renderer, clean_error

_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902", "images")


class PostRenderError(Exception):
    pass


def kustomize_entries(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in spec.get("postRenderers") or []:
        kust = entry.get("kustomize") if isinstance(entry, dict) else None
        if isinstance(kust, dict) and any(kust.get(k) for k in _KEYS):
            out.append({k: kust[k] for k in _KEYS if kust.get(k)})
    return out


def post_render(manifests: Sequence[tuple[str, Any]], entries: Sequence[dict[str, Any]],
                renderer: Renderer | None) -> list[tuple[str, Any]]:
    """(template, object) pairs after every kustomize entry; CRDs (`crds/...`) pass through untouched."""
    if not entries:
        return list(manifests)
    if renderer is None:
        raise PostRenderError("spec.postRenderers needs kustomize or kubectl on PATH")
    crds = [(t, o) for t, o in manifests if t.startswith("crds/")]
    objects = [(t, o) for t, o in manifests if not t.startswith("crds/")]
    origin = {identity(o): t for t, o in objects}
    current = [o for _t, o in objects]
    for entry in entries:
        current = _build(current, entry, renderer)
    return [*crds, *((origin.get(identity(o), "post-rendered"), o) for o in current)]


def _build(objects: list[Any], entry: dict[str, Any], renderer: Renderer) -> list[Any]:
    from ruamel.yaml import YAML

    with tempfile.TemporaryDirectory(prefix="kubegate-postrender-") as tmp:
        base = Path(tmp)
        (base / "helm.yaml").write_text("\n---\n".join(json.dumps(o) for o in objects), encoding="utf-8")
        (base / "kustomization.yaml").write_text(json.dumps({
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": ["helm.yaml"], **entry}), encoding="utf-8")
        try:
            proc = subprocess.run([*renderer.argv, str(base)], capture_output=True, timeout=RENDER_TIMEOUT,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise PostRenderError(f"kustomize timed out after {RENDER_TIMEOUT} s") from None
        except OSError as exc:
            raise PostRenderError(f"could not run kustomize ({exc.strerror})") from None
        if proc.returncode != 0:
            raise PostRenderError(clean_error(proc.stderr.decode("utf-8", "replace"), base))
    return [o for o in YAML(typ="safe").load_all(proc.stdout) if isinstance(o, dict)]


def identity(obj: Any) -> tuple[str, str, str]:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    return str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", ""))
