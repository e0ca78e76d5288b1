"""Run kustomize the way kustomize-controller does, in parallel, with a content-addressed cache.

For each Flux Kustomization the controller writes its own `spec` (targetNamespace, namePrefix/nameSuffix,
patches, images, components) into a kustomization.yaml at `spec.path`, generating one when the path has
none. We do the same without touching the repository: a temporary overlay directory whose
kustomization.yaml lists `spec.path` (or, when it has no kustomization.yaml, the files and kustomize
subdirectories Flux's generator would list) and carries the Kustomization's fields. The overlay also asks
kustomize for `buildMetadata: [originAnnotations]`, which names each output resource's source file.
The load restrictor is off, as in Flux (which confines reads to the source root itself).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter.flux.graph import MANIFEST_SUFFIXES, Inputs, find_kustomization

RENDER_TIMEOUT = 120
_MANIFEST = re.compile(rb"^apiVersion:", re.MULTILINE)
_KIND = re.compile(rb"^kind:", re.MULTILINE)


@dataclass(frozen=True)
class Renderer:
    argv: tuple[str, ...]  # the command before the directory argument
    version: str


@dataclass(frozen=True)
class Job:
    label: str
    directory: Path
    overlay: dict[str, Any]  # fields besides resources/components
    resources: tuple[Path, ...]
    components: tuple[Path, ...]
    inputs: Inputs


@dataclass(frozen=True)
class Output:
    text: str | None  # kustomize's stdout, origin paths relative to the repository root; None: it failed
    error: str = ""
    cached: bool = False


# kustomize's origin annotation (`buildMetadata: [originAnnotations]`), a block scalar whose `path:` or
# `configuredIn:` line names the source file relative to the overlay directory.
_ORIGIN_BLOCK = re.compile(r"^(?P<head>(?P<ind>[ \t]*)config\.kubernetes\.io/origin: \|[-+]?\n"
                           r"(?:(?P=ind)[ \t]+\S.*\n)*?"  # only lines of its block: indented deeper than the key
                           r"(?P=ind)[ \t]+(?:path|configuredIn): )(?P<path>\S[^\n]*)", re.MULTILINE)


def find_renderer(choice: str = "auto") -> Renderer | None:
    """`kustomize build` or `kubectl kustomize` from PATH; None when neither is installed."""
    candidates = {"kustomize": ("kustomize", "build"), "kubectl": ("kubectl", "kustomize")}
    order = ["kustomize", "kubectl"] if choice == "auto" else [choice]
    for name in order:
        exe = shutil.which(candidates[name][0])
        if exe:
            return Renderer((exe, candidates[name][1], "--load-restrictor=LoadRestrictionsNone"),
                            _version(exe, name))
    return None


def _version(exe: str, name: str) -> str:
    """Identifies the binary for cache keys: its path, size and mtime (running `version` costs ~0.1 s)."""
    try:
        st = os.stat(exe)
    except OSError:
        return name
    return f"{name} {exe} {st.st_size} {st.st_mtime_ns}"


def flux_job(label: str, directory: Path, spec: dict[str, Any], inputs: Inputs) -> Job:
    """The overlay kustomize-controller would generate for a Kustomization's spec."""
    overlay: dict[str, Any] = {}
    if isinstance(spec.get("targetNamespace"), str):
        overlay["namespace"] = spec["targetNamespace"]
    for key in ("namePrefix", "nameSuffix"):
        if isinstance(spec.get(key), str):
            overlay[key] = spec[key]
    patches = [{k: p[k] for k in ("patch", "target") if k in p}
               for p in spec.get("patches") or [] if isinstance(p, dict) and isinstance(p.get("patch"), str)]
    if patches:
        overlay["patches"] = patches
    images = [i for i in spec.get("images") or [] if isinstance(i, dict) and isinstance(i.get("name"), str)]
    if images:
        overlay["images"] = images
    components = tuple(Path(os.path.normpath(directory / c)) for c in spec.get("components") or []
                       if isinstance(c, str))
    return Job(label, directory, overlay, generated_resources(directory), components, inputs)


def plain_job(label: str, directory: Path, inputs: Inputs) -> Job:
    return Job(label, directory, {}, (directory,), (), inputs)


def generated_resources(directory: Path) -> tuple[Path, ...]:
    """What Flux lists for a path: the path itself when it has a kustomization.yaml, else every manifest
    below it and each subdirectory that has a kustomization.yaml."""
    if find_kustomization(directory) is not None:
        return (directory,)
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if here != directory and find_kustomization(here) is not None:
            out.append(here)
            dirnames[:] = []
            continue
        out.extend(here / f for f in sorted(filenames) if f.endswith(MANIFEST_SUFFIXES) and _is_manifest(here / f))
    return tuple(out)


def _is_manifest(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return bool(_MANIFEST.search(data) and _KIND.search(data))


def cache_key(job: Job, renderer: Renderer, root: Path) -> str:
    h = hashlib.sha256()
    h.update(renderer.version.encode())

    def rel(p: Path) -> str:  # keys must not depend on where the checkout is
        return os.path.relpath(p, root)

    h.update(json.dumps([job.overlay, [rel(p) for p in job.resources], [rel(p) for p in job.components]],
                        sort_keys=True, default=str).encode())
    for path in sorted(job.inputs.files):
        h.update(b"\0" + rel(path).encode() + b"\0")
        try:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()


def run_jobs(jobs: Sequence[Job], renderer: Renderer, workers: int, cache_dir: Path | None,
             root: Path) -> list[Output]:
    """Render every job; identical jobs (same inputs) run once. Threads suffice: the work is in subprocesses.

    Nothing cached names the checkout: keys hash root-relative paths and file contents, and outputs
    hold root-relative origins, so a second checkout of the same tree (a new Jenkins workspace) gets
    the same findings from the cache as from a fresh render."""
    keys = [cache_key(j, renderer, root) for j in jobs]
    unique = {k: j for k, j in zip(keys, jobs)}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = dict(zip(unique, pool.map(lambda kj: _render_cached(kj[1], kj[0], renderer, cache_dir, root),
                                            unique.items())))
    return [results[k] for k in keys]


def _render_cached(job: Job, key: str, renderer: Renderer, cache_dir: Path | None, root: Path) -> Output:
    entry = cache_dir / f"{CACHE_FORMAT}-{key}.json" if cache_dir is not None else None
    if entry is not None:
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            if isinstance(data["text"], str):
                return Output(data["text"], cached=True)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    out = render(job, renderer, root)
    if entry is not None and out.text is not None:
        _store(entry, {"text": out.text})
    return out


def _store(entry: Path, data: dict[str, Any]) -> None:
    """Write then rename: concurrent runs never see a half-written entry, and the last writer wins."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, entry)
    except OSError:
        pass  # a cache that cannot be written only costs time


# Bumped whenever what a cache entry holds changes meaning (2: origins relative to the root).
CACHE_FORMAT = 2


def render(job: Job, renderer: Renderer, root: Path) -> Output:
    with tempfile.TemporaryDirectory(prefix="kubegate-render-") as tmp:
        base = Path(tmp)
        kust: dict[str, Any] = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": [os.path.relpath(p, base) for p in job.resources],
            **job.overlay,
            "buildMetadata": ["originAnnotations"],
        }
        if job.components:
            kust["components"] = [os.path.relpath(p, base) for p in job.components]
        (base / "kustomization.yaml").write_text(json.dumps(kust), encoding="utf-8")
        try:
            proc = subprocess.run([*renderer.argv, str(base)], capture_output=True, timeout=RENDER_TIMEOUT,
                                  check=False)
        except subprocess.TimeoutExpired:
            return Output(None, f"timed out after {RENDER_TIMEOUT} s")
        except OSError as exc:
            return Output(None, f"could not run the renderer ({exc.strerror})")
        if proc.returncode != 0:
            return Output(None, clean_error(proc.stderr.decode("utf-8", "replace"), base))
        return Output(relocate_origins(proc.stdout.decode("utf-8", "replace"), base, root))


def relocate_origins(text: str, base: Path, root: Path) -> str:
    """Origin paths relative to the overlay directory `base`, rewritten relative to `root`."""
    def rel(m: re.Match[str]) -> str:
        raw = m.group("path").strip()
        if "://" in raw:
            return m.group(0)
        return m.group("head") + os.path.relpath(os.path.normpath(base / raw), root)

    return _ORIGIN_BLOCK.sub(rel, text)


_MISSING_FILE = re.compile(r"(?:lstat|stat|open) ([^\s:'\"]+): no such file or directory")
_GO_DUMP = re.compile(r"map\[|\{|\"")


def clean_error(stderr: str, base: Path) -> str:
    """The first line of kustomize's error, without the overlay's temp path or anything value-like."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    text = lines[-1] if lines else "kustomize failed"
    m = re.search(r'err="(.*)"\s*$', text)
    text = m.group(1) if m else re.sub(r"^Error:\s*", "", text)
    missing = _MISSING_FILE.search(text)
    if missing:  # the innermost cause, which kustomize's chain of wrapped errors buries at the end
        return f"{os.path.normpath(base / missing.group(1))} does not exist (it is named by a kustomization)"
    text = text.replace(str(base) + os.sep, "").replace(str(base), "<overlay>")
    # paths relative to the overlay directory become absolute, so the caller can show them repo-relative
    text = re.sub(r"(?:\.\./)+[^\s':]*", lambda m: os.path.normpath(base / m.group(0)), text)
    cut = _GO_DUMP.search(text)
    if cut:
        text = text[:cut.start()].rstrip(" :'") + " ..."
    return text[:300]
