"""`--format text`: grouped by file, `file:line:col  RULE  message`, a summary line; colour on a TTY."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from linter.models import Finding, Severity
from linter.reporters import RunInfo

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _line(f: Finding, color: bool) -> str:
    where = _paint(f"{f.file}:{f.line}:{f.column}", "1", color)
    sev = _paint(f"{f.severity.value:<7}", _COLOURS[f.severity], color)
    rule = _paint(f"{f.rule_id}", "2", color) if color else f.rule_id
    resource = f" [{f.kind}/{f.name}]" if f.kind and f.name else ""
    return f"{where}  {sev} {rule}  {f.message}{resource}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(info: RunInfo) -> str:
    s = info.summary
    counts = ", ".join(
        [_plural(s.get("errors", 0), "error"), _plural(s.get("warnings", 0), "warning")]
        + ([_plural(s["infos"], "info")] if s.get("infos") else [])
    )
    # "in N files" counts the files with findings; what was checked follows.
    located = s.get("files_with_findings")
    head = f"{counts} in {_plural(located, 'file')}" if located else counts
    parts = [head, f"{_plural(s.get('files', 0), 'file')} and {_plural(s.get('resources', 0), 'resource')} checked"]
    if s.get("skipped_documents"):
        parts.append(f"{s['skipped_documents']} documents skipped")
    if s.get("unvalidated_documents"):
        parts.append(f"{s['unvalidated_documents']} without schema")
    if s.get("suppressed"):
        parts.append(f"{s['suppressed']} suppressed")
    return "; ".join(parts) + "."


def render(findings: Sequence[Finding], info: RunInfo) -> str:
    out: list[str] = []
    for _file, group in groupby(findings, key=lambda f: f.file):
        out.extend(_line(f, info.color) for f in group)
        out.append("")
    verdict_failed = any(f.severity.rank >= info.fail_level.rank for f in findings)
    verdict = _paint("FAIL", "31;1", info.color) if verdict_failed else _paint("PASS", "32;1", info.color)
    out.append(f"{verdict}  {summary_line(info)}")
    return "\n".join(out) + "\n"
