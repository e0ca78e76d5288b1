"""`--format github`: GitHub Actions workflow commands, shown as annotations on the PR's changed lines.

`::error file=F,line=L,endLine=E,col=C,endColumn=D,title=RULE-ID rule-name::message`. GitHub shows at
most 10 error and 10 warning annotations per step (50 per job), so the action also uploads SARIF.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from linter.models import Finding, Severity
from linter.reporters import RunInfo
from linter.reporters.text import summary_line

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
# Other control characters (ESC starts terminal sequences) would reach the log raw; CR and LF are encoded.
_CONTROL = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")


def escape_data(value: str) -> str:
    # The runner decodes exactly these three in a command's message (actions/toolkit `escapeData`).
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    # Properties are `k=v` pairs split on "," and ended by "::", so ":" and "," are encoded too.
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    props = [("file", f.file), ("line", str(max(f.line, 1))), ("endLine", str(max(f.end_line, f.line, 1)))]
    # GitHub rejects columns on an annotation that spans several lines.
    if f.end_line <= f.line:
        props += [("col", str(max(f.column, 1))), ("endColumn", str(max(f.end_column, f.column, 1)))]
    props.append(("title", f"{f.rule_id} {f.rule_name}".strip()))
    encoded = ",".join(f"{key}={escape_property(_CONTROL.sub(' ', value))}" for key, value in props)
    return f"::{_COMMANDS[f.severity]} {encoded}::{escape_data(_CONTROL.sub(' ', _message(f)))}"


def _message(f: Finding) -> str:
    if f.kind and f.name:
        where = f"{f.kind} {f.namespace}/{f.name}" if f.namespace else f"{f.kind} {f.name}"
        return f"{f.message} [{where}]"
    return f.message


def render(findings: Sequence[Finding], info: RunInfo) -> str:
    lines = [annotation(f) for f in findings]
    failed = any(f.severity.rank >= info.fail_level.rank for f in findings)
    # A plain line for the log; workflow commands alone leave the log silent on a clean run.
    lines.append(f"kubegate: {'FAIL' if failed else 'PASS'}  {summary_line(info)}")
    return "\n".join(lines) + "\n"
