"""Reporters: one module per format, each a pure function of sorted findings and run info.

`render(findings, info) -> str`. Formats are registered here explicitly; an unknown name is a loud error.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from linter.models import ConfigError, Finding, RuleInfo, Severity


@dataclass(frozen=True)
class ResourceRef:
    """A checked resource, for formats that list what passed too (JUnit)."""

    file: str
    line: int
    kind: str
    namespace: str
    name: str
    api_version: str = ""


@dataclass(frozen=True)
class RunInfo:
    tool_version: str
    root: str  # absolute directory that finding paths are relative to
    rules: Mapping[str, RuleInfo]
    summary: Mapping[str, Any]
    resources: Sequence[ResourceRef] = ()
    fail_level: Severity = Severity.ERROR
    color: bool = False
    # Optional extras a format may use (e.g. "flux_graph_mermaid" for the Markdown summary).
    extras: Mapping[str, Any] = field(default_factory=dict)


class Reporter(Protocol):
    def __call__(self, findings: Sequence[Finding], info: RunInfo) -> str: ...


# name -> module under linter.reporters exposing render(findings, info) -> str
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
    "markdown": "markdown",
}


def get_reporter(name: str) -> Reporter:
    try:
        module = FORMATS[name]
    except KeyError:
        raise ConfigError(f"unknown format {name!r} (choose from {', '.join(sorted(FORMATS))})") from None
    render: Reporter = importlib.import_module(f"linter.reporters.{module}").render
    return render
