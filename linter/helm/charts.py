"""Where charts come from: the repository itself, the chart cache, and (when allowed) the network.

A chart in the tree (a GitRepository source that is this repository) is read in place, always
offline. Any other chart is looked up in the chart cache, a directory per source URL holding
`<chart>-<version>.tgz` archives, so a semver range resolves offline to the newest cached match. Online, an HTTP repository's `index.yaml` is
read, the chosen archive downloaded and checked against the index's digest; an OCI repository's tags
are listed and the chart pulled by the Helm engine. Credentials come from the registry configuration
(`$HELM_REGISTRY_CONFIG`, `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`, Helm's own; `auths` by
host) or from user information in the URL, and are never printed: error messages name the URL without it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter.helm import semver
from linter.helm.engine import EngineFailed, HelmEngine, HelmError

MAX_ARCHIVE_BYTES = 64 << 20
MAX_INDEX_BYTES = 256 << 20
# Network-level failures (Go's net package and Python's socket errors): the host, not the chart, is at fault.
_UNREACHABLE = re.compile(r"no such host|connection refused|network is unreachable|no route to host|i/o timeout|"
                          r"timed out|name or service not known|temporary failure in name resolution",
                          re.IGNORECASE)


@dataclass(frozen=True)
class ChartRef:
    """What a HelmRelease asks for."""

    kind: str  # dir | http | oci
    url: str  # http: the repository URL; oci: oci://host/path/chart; dir: ""
    name: str
    version: str  # a constraint as written; "" is the newest
    path: Path | None = None  # dir: the chart directory in the tree
    insecure: bool = False  # oci: plain HTTP (`spec.insecure`)
    digest: str = ""  # OCIRepository `ref.digest`

    @property
    def label(self) -> str:
        want = f" {self.version}" if self.version and self.version != "*" else ""
        where = f" from {safe_url(self.url)}" if self.url else ""
        return f"chart {self.name}{want}{where}"


@dataclass(frozen=True)
class Chart:
    """A chart ready to render: an archive's bytes, or a directory in the tree."""

    name: str
    version: str
    source: bytes | Path
    digest: str  # sha256 of the archive, or of a directory's files


class Unavailable(Exception):
    """The chart could not be had. `reason`: "not cached" (offline) or "fetch failed"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ChartStore:
    def __init__(self, cache_dir: Path | None, online: bool, engine: HelmEngine, timeout: float = 60.0) -> None:
        self.cache_dir, self.online, self.engine, self.timeout = cache_dir, online, engine, timeout
        self._memo: dict[ChartRef, Chart | Unavailable] = {}
        self._down: dict[str, Unavailable] = {}  # hosts that could not be reached at all

    def get(self, ref: ChartRef) -> Chart:
        if ref not in self._memo:
            try:
                self._memo[ref] = self._get(ref)
            except Unavailable as exc:
                self._memo[ref] = exc
        found = self._memo[ref]
        if isinstance(found, Unavailable):
            raise found
        return found

    def _get(self, ref: ChartRef) -> Chart:
        if ref.kind == "dir":
            assert ref.path is not None
            if not (ref.path / "Chart.yaml").is_file():
                raise Unavailable("fetch failed", f"{ref.path.name}: no Chart.yaml in the chart directory")
            return Chart(ref.name, _chart_version(ref.path), ref.path, dir_digest(ref.path))
        cached = self._cached(ref)
        if cached is not None and (is_tag(ref.version) or ref.digest or not self.online):
            return cached
        if not self.online:
            raise Unavailable("not cached", f"{ref.label} is not in the chart cache and the run is offline")
        host = urllib.parse.urlsplit(ref.url).hostname or ""
        if host in self._down:
            raise self._down[host]
        try:
            return self._fetch(ref)
        except (OSError, ValueError, HelmError, EngineFailed, urllib.error.URLError) as exc:
            text = _clean(exc)
            cause = _UNREACHABLE.search(text)
            if host and cause:  # one cause for every chart of the host: asked once, reported once
                self._down[host] = Unavailable("fetch failed", f"{host} is unreachable ({cause.group(0).lower()}), "
                                               "so its charts could not be fetched")
                raise self._down[host] from None
            raise Unavailable("fetch failed", f"{ref.label} could not be fetched: {text}") from None

    # -- the cache -----------------------------------------------------------------------------------
    def _dir(self, ref: ChartRef) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(ref.url.rstrip("/").encode()).hexdigest()[:24]
        return self.cache_dir / key

    def _cached(self, ref: ChartRef) -> Chart | None:
        d = self._dir(ref)
        if d is None or not d.is_dir():
            return None
        versions = {p.name[len(ref.name) + 1:-4]: p for p in d.glob(f"{glob_escape(ref.name)}-*.tgz")}
        if ref.digest:  # an OCI manifest digest: the archive is cached under it
            pinned = d / f"{ref.name}@{ref.digest.removeprefix('sha256:')}.tgz"
            if not pinned.is_file():
                return None
            data = pinned.read_bytes()
            return Chart(ref.name, ref.digest, data, _sha256(data))
        chosen = pick(ref.version, versions)
        if chosen is None:
            return None
        data = versions[chosen].read_bytes()
        return Chart(ref.name, chosen, data, _sha256(data))

    def _store(self, ref: ChartRef, version: str, data: bytes) -> Chart:
        d = self._dir(ref)
        name = f"{ref.name}@{ref.digest.removeprefix('sha256:')}.tgz" if ref.digest else f"{ref.name}-{version}.tgz"
        if d is not None:
            d.mkdir(parents=True, exist_ok=True)
            (d / "source.json").write_text(json.dumps({"url": safe_url(ref.url), "kind": ref.kind}) + "\n")
            tmp = d / f".{name}.{os.getpid()}"
            tmp.write_bytes(data)
            os.replace(tmp, d / name)
        return Chart(ref.name, version, data, _sha256(data))

    # -- the network ---------------------------------------------------------------------------------
    def _fetch(self, ref: ChartRef) -> Chart:
        if ref.kind == "http":
            return self._fetch_http(ref)
        return self._fetch_oci(ref)

    def _fetch_http(self, ref: ChartRef) -> Chart:
        base = ref.url.rstrip("/") + "/"
        index = _yaml(_get(base + "index.yaml", MAX_INDEX_BYTES, self.timeout))
        entries = [e for e in (index.get("entries") or {}).get(ref.name) or [] if isinstance(e, dict)]
        if not entries:
            raise ValueError(f"the repository index has no chart {ref.name}")
        by_version = {str(e.get("version")): e for e in entries}
        chosen = pick(ref.version, by_version)
        if chosen is None:
            raise ValueError(f"no version of {ref.name} matches {ref.version or '*'} "
                             f"(newest: {pick('*', by_version) or 'none'})")
        entry = by_version[chosen]
        urls = [u for u in entry.get("urls") or [] if isinstance(u, str)]
        if not urls:
            raise ValueError(f"the index lists no download URL for {ref.name} {chosen}")
        data = _get(urllib.parse.urljoin(base, urls[0]), MAX_ARCHIVE_BYTES, self.timeout)
        want = str(entry.get("digest") or "").removeprefix("sha256:")
        if want and _sha256(data) != want:
            raise ValueError(f"{ref.name} {chosen}: the archive's digest does not match the index")
        return self._store(ref, chosen, data)

    def _fetch_oci(self, ref: ChartRef) -> Chart:
        plain = ref.insecure
        version = ref.version if is_tag(ref.version) else ""
        if ref.digest:
            version = ""
        elif not version:
            tags = self.engine.call("tags", self.timeout, ref=ref.url, plain_http=plain,
                                    credentials_file=registry_config())
            version = pick(ref.version, tags) or ""
            if not version:
                raise ValueError(f"no tag of {ref.url} matches {ref.version or '*'}")
        d = self._dir(ref)
        tmp = (d or Path(os.environ.get("TMPDIR", "/tmp"))) / f".pull-{os.getpid()}"
        tmp.mkdir(parents=True, exist_ok=True)
        try:
            pull_ref = f"{ref.url}@{ref.digest}" if ref.digest else ref.url
            self.engine.call("pull", self.timeout, ref=pull_ref, version=version, destination=str(tmp),
                             plain_http=plain, credentials_file=registry_config())
            archives = sorted(tmp.glob("*.tgz"))
            if not archives:
                raise ValueError("the registry returned no chart archive")
            data = archives[0].read_bytes()
        finally:
            for p in tmp.glob("*"):
                p.unlink()
            tmp.rmdir()
        return self._store(ref, version or ref.digest, data)


def pick(constraint: str, versions: Any) -> str | None:
    """The newest version matching `constraint`; a constraint that is a tag but not semver (`latest`,
    `1.2-custom`) matches only itself, as an OCI tag does."""
    versions = list(versions)
    try:
        return semver.best(constraint, versions)
    except semver.ConstraintError:
        return constraint if constraint in versions else None


def is_tag(constraint: str) -> bool:
    """A version that names one artifact (exact semver or a plain tag), not a range."""
    if semver.is_exact(constraint):
        return True
    try:
        semver.best(constraint, [])
    except semver.ConstraintError:
        return True
    return False


def default_cache_dir() -> Path:
    if os.environ.get("KUBEGATE_CACHE_DIR"):
        return Path(os.environ["KUBEGATE_CACHE_DIR"]) / "charts"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kubegate" / "charts"


def dir_digest(path: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode() + b"\0")
        h.update(_sha256(f.read_bytes()).encode())
    return h.hexdigest()


def safe_url(url: str) -> str:
    """`url` without user information (never print a password written into a URL)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _chart_version(path: Path) -> str:
    m = re.search(r"^version:\s*['\"]?([^'\"\s#]+)", (path / "Chart.yaml").read_text(errors="replace"), re.M)
    return m.group(1) if m else "0.0.0"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _get(url: str, limit: int, timeout: float) -> bytes:
    request = urllib.request.Request(safe_url(url), headers={"User-Agent": "kubegate"})
    auth = _basic_auth(url)
    if auth:
        request.add_header("Authorization", "Basic " + auth)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked
        data: bytes = response.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{safe_url(url)} is larger than {limit >> 20} MB")
    return data


def _basic_auth(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        return base64.b64encode(f"{user}:{urllib.parse.unquote(parts.password or '')}".encode()).decode()
    for config in _registry_configs():
        try:
            auths = json.loads(config.read_text()).get("auths") or {}
        except (OSError, ValueError, AttributeError):
            continue
        for host, entry in auths.items():
            if isinstance(entry, dict) and isinstance(entry.get("auth"), str) and \
                    urllib.parse.urlsplit(host if "//" in host else "//" + host).netloc == parts.netloc:
                return str(entry["auth"])
    return ""


def registry_config() -> str | None:
    """The credentials file the Helm engine's registry client reads for OCI (None: Helm's default)."""
    return next((str(p) for p in _registry_configs() if p.is_file()), None)


def _registry_configs() -> list[Path]:
    out = []
    if os.environ.get("HELM_REGISTRY_CONFIG"):
        out.append(Path(os.environ["HELM_REGISTRY_CONFIG"]))
    if os.environ.get("DOCKER_CONFIG"):
        out.append(Path(os.environ["DOCKER_CONFIG"]) / "config.json")
    out.append(Path.home() / ".docker" / "config.json")
    out.append(Path.home() / ".config" / "helm" / "registry" / "config.json")
    return out


def _yaml(data: bytes) -> dict[str, Any]:
    from ruamel.yaml import YAML

    try:
        obj = YAML(typ="safe").load(data)
    except Exception as exc:  # noqa: BLE001 - any parser error: the index is not usable
        raise ValueError(f"the repository index is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(obj, dict):
        raise ValueError("the repository index is not a YAML mapping")
    return obj


def _clean(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} from {safe_url(exc.url or '')}"
    if isinstance(exc, urllib.error.URLError):
        return f"unreachable ({exc.reason})"
    text = str(exc).strip() or exc.__class__.__name__
    return re.sub(r"//[^/@\s]+@", "//", text)[:500]
