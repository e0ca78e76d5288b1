"""Where schemas come from: the bundled Kubernetes schemas, kubeconform-style locations, and a disk cache.

The Kubernetes schemas are the data files of the `kubernetes-validate` package, located with
`importlib.util.find_spec` and never imported (its import costs 67 ms). Each kind's schema there `$ref`s a
1.4 MB `_definitions.json`; we pre-resolve a kind into one self-contained schema holding only the
definitions it reaches, without descriptions (~50 KB for a Deployment), and keep that on disk, so a
one-file run neither parses `_definitions.json` nor builds a registry from it (see `BundledKubernetes`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from linter.models import ConfigError, EngineError

# Bump when the pre-resolved layout changes: old cache entries are then simply never read again.
CACHE_FORMAT = "1"
_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local$")
_VERSION_ARG = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")
# Only well-formed identifiers reach a file name or URL: a `kind: ../../x` must not walk the disk.
_API_VERSION = re.compile(r"^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-z0-9]+$")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_TEMPLATE_VAR = re.compile(r"\{\{-?\s*\.(\w+)\s*-?\}\}")
_TEMPLATE_VARS = frozenset(
    {"NormalizedKubernetesVersion", "StrictSuffix", "ResourceKind", "ResourceAPIVersion", "Group", "KindSuffix"}
)
# kubeconform's layout for a location that is not a full template (its kubernetes-json-schema fork).
_STANDALONE_SUFFIX = "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
# Layout of the schemas shipped in the project's `schemas/` (the CRDs-catalog convention).
CATALOG_TEMPLATE = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
_HTTP_TIMEOUT = 30.0
_MAX_DOWNLOAD = 64 * 1024 * 1024
_DEFS_REF = "#/$defs/"
# Keys whose values are data or name maps, not schema keywords: never strip "description" inside them.
_DATA_KEYS = frozenset({"enum", "const", "default", "examples", "x-kubernetes-group-version-kind"})
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


class ResourceType(NamedTuple):
    api_version: str
    kind: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def well_formed(self) -> bool:
        return bool(_API_VERSION.match(self.api_version) and _KIND.match(self.kind))

    def __str__(self) -> str:
        return f"{self.api_version}/{self.kind}"


class FoundSchema(NamedTuple):
    """A schema as JSON text (compiled without a Python parse) or parsed data, and where it came from."""

    schema: str | dict[str, Any]
    origin: str
    base_uri: str | None = None


class SchemaSource(Protocol):
    def find(self, rtype: ResourceType) -> FoundSchema | None: ...


# --- Kubernetes versions -------------------------------------------------------------------------------------


@cache
def kubernetes_schema_root() -> Path | None:
    """`.../kubernetes_validate/kubernetes-json-schema`, found without importing the package."""
    try:
        spec = importlib.util.find_spec("kubernetes_validate")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "kubernetes-json-schema"
        if candidate.is_dir():
            return candidate
    return None


@cache
def _versions() -> tuple[str, ...]:
    root = kubernetes_schema_root()
    found: list[tuple[int, int, int]] = []
    for entry in os.listdir(root) if root else []:
        match = _VERSION_DIR.match(entry)
        if match:
            found.append((int(match[1]), int(match[2]), int(match[3])))
    return tuple(f"{a}.{b}.{c}" for a, b, c in sorted(found))


def available_versions() -> list[str]:
    """Kubernetes versions with bundled schemas, oldest first, e.g. ["1.25.0", ..., "1.37.0"]."""
    return list(_versions())


def resolve_version(requested: str | None) -> str:
    """"1.30", "v1.30.0" or "1.30.4" -> "1.30.0" (schemas are per minor release); None -> the newest."""
    versions = _versions()
    if not versions:
        raise ConfigError("no bundled Kubernetes schemas: the kubernetes-validate package is not installed")
    if requested is None or requested == "":
        return versions[-1]
    match = _VERSION_ARG.match(requested.strip())
    if match:
        for version in versions:
            if version.split(".")[:2] == [match[1], match[2]]:
                return version
    raise ConfigError(
        f"unknown Kubernetes version {requested!r}: bundled schemas cover {_minor(versions[0])} to "
        f"{_minor(versions[-1])}"
    )


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


# --- Disk cache ----------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """$KUBEGATE_CACHE_DIR, else $XDG_CACHE_HOME/kubegate, else ~/.cache/kubegate."""
    explicit = os.environ.get("KUBEGATE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kubegate"


class DiskCache:
    """Best-effort text cache: a miss or an unwritable directory only costs time, never correctness.
    Writes go to a temporary file in the same directory and are renamed into place, so concurrent runs
    see either no entry or a complete one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, namespace: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / namespace / f"{digest[:40]}.json"

    def read(self, namespace: str, key: str) -> str | None:
        try:
            return self.path(namespace, key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def write(self, namespace: str, key: str, text: str) -> None:
        target = self.path(namespace, key)
        tmp = ""
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            import tempfile  # only on a cache miss: it pulls in shutil, random, bz2, lzma

            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except OSError:
            if tmp:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


# --- The bundled Kubernetes schemas --------------------------------------------------------------------------


def is_kubernetes_group(group: str) -> bool:
    """Built-in API groups: core (""), single-label groups (apps, batch, policy...) and *.k8s.io. A CRD
    group such as `apps.example.com` must not match `deployment-apps-v1.json` by its first label."""
    return group == "" or "." not in group or group.endswith(".k8s.io")


class BundledKubernetes:
    """Schemas from kubernetes-validate's `v<version>-local[-strict]` directory, pre-resolved per kind."""

    def __init__(self, version: str, strict: bool, disk: DiskCache | None) -> None:
        root = kubernetes_schema_root()
        if root is None:
            raise ConfigError("no bundled Kubernetes schemas: the kubernetes-validate package is not installed")
        self.directory = root / f"v{version}-local{'-strict' if strict else ''}"
        self._disk = disk
        self._definitions: dict[str, Any] | None = None

    def find(self, rtype: ResourceType) -> FoundSchema | None:
        if not is_kubernetes_group(rtype.group):
            return None
        source = self.directory / f"{rtype.kind.lower()}{template_vars(rtype, '', False)['KindSuffix']}.json"
        try:
            stat = source.stat()
        except OSError:
            return None
        return FoundSchema(self._resolved_text(source, stat), str(source))

    def _resolved_text(self, source: Path, stat: os.stat_result) -> str:
        if self._disk is None:
            return self._pre_resolve(source)
        defs = (self.directory / "_definitions.json").stat()
        key = "|".join(
            map(str, (CACHE_FORMAT, source, stat.st_size, stat.st_mtime_ns, defs.st_size, defs.st_mtime_ns))
        )
        text = self._disk.read("k8s", key)
        if text is None or not (text.startswith("{") and text.endswith("}")):
            text = self._pre_resolve(source)
            self._disk.write("k8s", key, text)
        return text

    def _pre_resolve(self, source: Path) -> str:
        """One self-contained schema: the kind's schema plus the definitions it reaches, refs made local."""
        if self._definitions is None:
            with open(self.directory / "_definitions.json", encoding="utf-8") as handle:
                self._definitions = json.load(handle).get("$defs", {})
        definitions = self._definitions
        with open(source, encoding="utf-8") as handle:
            schema: dict[str, Any] = json.load(handle)
        needed: set[str] = set()
        pending = _ref_names(schema)
        while pending:
            name = pending.pop()
            if name not in needed and name in definitions:
                needed.add(name)
                pending.extend(_ref_names(definitions[name]))
        slim = _slim(schema)
        slim.pop("$id", None)
        slim["$defs"] = {name: _slim(definitions[name]) for name in sorted(needed)}
        return json.dumps(slim, separators=(",", ":"), sort_keys=True)


def _ref_names(node: Any) -> list[str]:
    names: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and _DEFS_REF in ref:
                names.append(ref.split(_DEFS_REF, 1)[1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return names


def _slim(node: Any, names: bool = False) -> Any:
    """Drop descriptions (a third of the bytes, no effect on validation) and make `$ref`s document-local."""
    if isinstance(node, list):
        return [_slim(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: _slim(value) for key, value in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description":
            continue
        if key == "$ref" and isinstance(value, str) and _DEFS_REF in value:
            out[key] = _DEFS_REF + value.split(_DEFS_REF, 1)[1]
        elif key in _DATA_KEYS:
            out[key] = value
        else:
            out[key] = _slim(value, names=key in _NAME_MAPS)
    return out


# --- kubeconform-style locations -----------------------------------------------------------------------------


def template_vars(rtype: ResourceType, k8s_version: str, strict: bool) -> dict[str, str]:
    """kubeconform's template variables, computed exactly as kubeconform's registry does."""
    group_parts = rtype.api_version.split("/")
    kind_suffix = "-" + group_parts[0].split(".")[0].lower()
    if len(group_parts) > 1:
        kind_suffix += "-" + group_parts[1].lower()
    return {
        "NormalizedKubernetesVersion": k8s_version if k8s_version == "master" else f"v{k8s_version}",
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": rtype.kind.lower(),
        "ResourceAPIVersion": group_parts[-1],
        "Group": group_parts[0],
        "KindSuffix": kind_suffix,
    }


def render_template(template: str, variables: dict[str, str]) -> str:
    return _TEMPLATE_VAR.sub(lambda m: variables[m[1]], template)


def check_template(template: str) -> None:
    for name in _TEMPLATE_VAR.findall(template):
        if name not in _TEMPLATE_VARS:
            raise ConfigError(
                f"schema location {template!r}: unknown template variable .{name} (known: "
                f"{', '.join(sorted(_TEMPLATE_VARS))})"
            )
    if "{{" in _TEMPLATE_VAR.sub("", template):
        raise ConfigError(f"schema location {template!r}: unsupported template expression")


class TemplateLocation:
    """A local path or http(s) URL template; a missing file or an HTTP 404 means "not here"."""

    def __init__(self, template: str, version: str, strict: bool, fetcher: HttpFetcher) -> None:
        check_template(template)
        self.template = template
        self.version = version
        self.strict = strict
        self.remote = template.startswith(("http://", "https://"))
        self._fetcher = fetcher

    def find(self, rtype: ResourceType) -> FoundSchema | None:
        where = render_template(self.template, template_vars(rtype, self.version, self.strict))
        if self.remote:
            text = self._fetcher.get(where)
            return None if text is None else FoundSchema(text, where, where)
        path = Path(where)
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise EngineError(f"schema {path}: cannot be read: {exc.__class__.__name__}") from None
        return FoundSchema(text, str(path), path.resolve().as_uri())


class HttpFetcher:
    """GETs schema URLs once, keeping successful downloads in the disk cache (as kubeconform's `-cache`).
    Anything but a 200 or a 404 fails the run: a schema we could not fetch is not a pass."""

    def __init__(self, disk: DiskCache | None, offline: bool = False) -> None:
        self._disk = disk
        self.offline = offline  # --offline: only the disk cache answers; a miss is an absent schema
        self.offline_misses: set[str] = set()
        self._memory: dict[str, str | None] = {}

    def get(self, url: str) -> str | None:
        if url in self._memory:
            return self._memory[url]
        text = self._disk.read("http", url) if self._disk else None
        if text is None and self.offline:
            self.offline_misses.add(url)
        elif text is None:
            text = self._download(url)
            if text is not None and self._disk:
                self._disk.write("http", url, text)
        self._memory[url] = text
        return text

    def _download(self, url: str) -> str | None:
        import urllib.error  # 12 ms of imports (http.client, ssl): paid only when a URL location is used
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT) as response:
                body: bytes = response.read(_MAX_DOWNLOAD + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise EngineError(f"schema location {url}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise EngineError(f"schema location {url}: fetch failed: {reason}") from None
        if len(body) > _MAX_DOWNLOAD:
            raise EngineError(f"schema location {url}: response larger than {_MAX_DOWNLOAD} bytes")
        try:
            text: str = body.decode("utf-8")
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise EngineError(f"schema location {url}: the response is not a JSON schema")
        return text


def build_sources(
    locations: Sequence[str], version: str, strict: bool, disk: DiskCache | None, catalog: Path | None,
    offline: bool = False,
) -> list[SchemaSource]:
    """kubeconform's `-schema-location` semantics: `default`, a full template (ends in `json`), or a base
    directory/URL that gets kubeconform's standalone layout appended. Order is precedence."""
    fetcher = HttpFetcher(disk, offline)
    sources: list[SchemaSource] = []
    for location in locations:
        if location == "default":
            sources.append(BundledKubernetes(version, strict, disk))
            if catalog is not None and (catalog / "crds").is_dir():
                from linter.schema.catalog import CrdCatalog  # here: it imports this module

                sources.append(CrdCatalog(catalog / "crds", strict))
            if catalog is not None:
                sources.append(CatalogLocation(catalog, version, strict, fetcher))
            continue
        template = location if location.endswith("json") else location.rstrip("/") + _STANDALONE_SUFFIX
        if not template.startswith(("http://", "https://")):
            _check_local_base(location, template)
        sources.append(TemplateLocation(template, version, strict, fetcher))
    return sources


class CatalogLocation(TemplateLocation):
    """The project's shipped `schemas/<group>/<kind>_<version>.json` (its `config/` holds other things)."""

    def __init__(self, root: Path, version: str, strict: bool, fetcher: HttpFetcher) -> None:
        super().__init__(str(root) + "/" + CATALOG_TEMPLATE, version, strict, fetcher)

    def find(self, rtype: ResourceType) -> FoundSchema | None:
        if is_kubernetes_group(rtype.group) or rtype.group == "config":
            return None
        return super().find(rtype)


def _check_local_base(location: str, template: str) -> None:
    base = template.split("{{", 1)[0]
    directory = Path(base if base.endswith(("/", os.sep)) else os.path.dirname(base) or ".")
    if not directory.is_dir():
        raise ConfigError(f"schema location {location!r}: no such directory {str(directory)!r}")
