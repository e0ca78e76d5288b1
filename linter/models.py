"""The records that flow through kubegate's pipeline.

discover files -> load documents (with positions) -> [render] -> checks -> suppressions -> reporters -> exit

Checks produce `Problem`s (a rule id, a message and *where* in a document); the core turns each into a
frozen `Finding` with a resolved 1-based position and the severity from configuration. Only the core
stamps severity: a check may propose one (a Rego `warn` rule proposes a warning) but configuration wins.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# A path inside a document: ("spec", "template", "spec", "containers", 0, "image").
DocPath = tuple[str | int, ...]


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r} (expected error, warning or info)") from None


_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1}


@dataclass(frozen=True)
class Span:
    """A 1-based source region; end is inclusive of the last line, exclusive of the end column."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int = 1) -> Span:
        return cls(line, column, line, column)


@dataclass(frozen=True)
class Location:
    """Where a path inside a document lives in source. `exact` is False when the path does not exist
    and `span` is its deepest existing ancestor. `file` may differ from the document's own file for
    rendered resources (a value that came from a kustomize patch points at the patch)."""

    file: str
    span: Span
    exact: bool = True


# Resolves (path, key) to a Location; `key` asks for the mapping key of the last path element.
Locator = Callable[["DocPath", bool], Location]


@dataclass(eq=False)
class Document:
    """One YAML/JSON document as Kubernetes would read it, with a way back to its source text.

    `obj` holds plain Python data (dict, list, str, int, float, bool, None) with YAML 1.1 scalar
    semantics applied, as the API server would decode it. `locate` is lazy: positions are computed
    only for documents that have a finding.
    """

    file: str
    index: int
    obj: Any
    span: Span
    locator: Locator | None = None
    # For items expanded from `kind: List`, the path of the item inside the source document.
    base_path: DocPath = ()
    # "resource" (apiVersion + kind), "kustomize" (a kustomization.yaml), or "other" (skipped).
    role: str = "resource"
    skip_reason: str = ""
    # YAML comments that carry meaning, e.g. Flux `{"$imagepolicy": "ns:name"}` setter markers:
    # [{"path": [...], "line": 12, "marker": "flux-system:app", "field": "" | "tag" | "name" | "digest"}],
    # paths relative to `obj`.
    comments: list[dict[str, Any]] = field(default_factory=list)
    # Set when the document came from a renderer: the source file and document it was built from.
    origin: Document | None = None
    # Set on objects a Helm chart rendered: "chart version: templates/file.yaml" (findings name it).
    via: str = ""
    # False when the loader saw no `kubegate:` in the file's text, so no inline suppression can
    # apply to it (the suppression pass need not read the file again).
    inline_marks: bool = True

    @property
    def kind(self) -> str:
        return _str_field(self.obj, "kind")

    @property
    def api_version(self) -> str:
        return _str_field(self.obj, "apiVersion")

    @property
    def name(self) -> str:
        meta = self.obj.get("metadata") if isinstance(self.obj, dict) else None
        return _str_field(meta, "name") or _str_field(meta, "generateName")

    @property
    def namespace(self) -> str:
        meta = self.obj.get("metadata") if isinstance(self.obj, dict) else None
        return _str_field(meta, "namespace")

    def locate(self, path: DocPath = (), key: bool = False) -> Location:
        """Where the node at `path` (its key when `key`) is in source; lazy and cached by the locator."""
        if self.locator is None or (not path and not key and not self.base_path):
            # The whole document: its start is known from parsing, no need to compose the file.
            return Location(self.file, self.span, not path or self.locator is not None)
        return self.locator(self.base_path + tuple(path), key)

    def release_positions(self) -> None:
        """Drop the node trees `locate` composed (they are composed again if asked): a large run
        must not keep a tree for every file with a finding."""
        release = getattr(self.locator, "release", None)
        if release is not None:
            release()


def _str_field(obj: Any, name: str) -> str:
    if isinstance(obj, dict):
        value = obj.get(name)
        if isinstance(value, str):
            return value
    return ""


@dataclass(frozen=True)
class Problem:
    """What a check reports, before the core resolves its position and severity."""

    rule_id: str
    message: str
    file: str
    source: str  # parse | schema | policy | change | flux | config
    doc: Document | None = None
    path: DocPath = ()
    key: bool = False  # point at the mapping key of `path` rather than its value
    span: Span | None = None  # explicit position; wins over doc/path
    severity: Severity | None = None  # a proposal; configuration wins
    rule_name: str | None = None  # for rules not in the registry (user policies)


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    source: str
    kind: str = ""
    namespace: str = ""
    name: str = ""
    api_version: str = ""
    pointer: str = ""  # RFC 6901 JSON pointer inside the resource ("" when not about a field)
    exact: bool = True  # False: the field is absent; the position is its nearest existing parent
    rendered_from: str = ""  # a Helm chart's template ("podinfo 6.5.0: templates/deployment.yaml")
    chart_only: bool = False  # set by the chart itself, not by the HelmRelease's values

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "severity": self.severity.value,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "kind": self.kind,
            "api_version": self.api_version,
            "namespace": self.namespace,
            "name": self.name,
            "pointer": self.pointer,
            "exact": self.exact,
            "source": self.source,
        }
        if self.rendered_from:  # only on findings about a chart's output: other reports keep their shape
            out.update(rendered_from=self.rendered_from, chart_only=self.chart_only)
        return out


def json_pointer(path: DocPath) -> str:
    if not path:
        return ""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@dataclass(frozen=True)
class RuleInfo:
    """A rule's documentation and defaults; built-in checks and Rego policies alike."""

    id: str
    name: str
    severity: Severity
    title: str
    description: str = ""
    remediation: str = ""
    source: str = ""  # parse | schema | policy | change | flux
    related: tuple[str, ...] = ()
    file: str = ""  # the policy file defining it, for policy rules
    kinds: tuple[str, ...] | None = None  # the kinds a policy rule reports on; None: any


class KubegateError(Exception):
    """Base for errors that end a run with a message instead of findings."""


class ConfigError(KubegateError):
    """Bad configuration, bad command-line usage, or a policy that does not compile (exit 2)."""

    def __init__(self, message: str, file: str = "", line: int = 0) -> None:
        self.file = file
        self.line = line
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")


class EngineError(KubegateError):
    """A checker could not produce a trustworthy answer (exit 3): the gate must be red."""
