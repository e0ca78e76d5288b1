"""`--format markdown`: a PR comment, check-run summary or `$GITHUB_STEP_SUMMARY` page.

A verdict line, counts per rule family, then the findings table (collapsed when long). GitHub rejects a
comment or check-run summary over 65536 characters, so the table is cut to fit with a note saying how many
findings were left out; the verdict and counts always survive.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from linter.models import Finding, Severity
from linter.reporters import RunInfo
from linter.reporters.text import summary_line

# GitHub's limit is 65536 characters; keep a margin for whatever a caller wraps around the report.
MAX_CHARS = 65_000
# More findings than this and the table goes into a <details> block, so the verdict stays on screen.
COLLAPSE_AFTER = 10
_NOTE_RESERVE = 300  # room for the "N more findings not shown" note
_ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}
# Characters that would start Markdown or HTML markup inside a table cell.
_MARKUP = re.compile(r"([\\`*_\[\]<>|~#!&])")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_FAMILY_ORDER = ("parse", "schema", "policy", "change", "flux", "config")


def escape(text: str) -> str:
    """One table cell of plain text: markup escaped, no line breaks, no `|` splitting the row."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return _MARKUP.sub(lambda m: "&amp;" if m.group(1) == "&" else "\\" + m.group(1), flat)


def _verdict(findings: Sequence[Finding], info: RunInfo) -> str:
    failed = any(f.severity.rank >= info.fail_level.rank for f in findings)
    word = "❌ **kubegate: failed**" if failed else "✅ **kubegate: passed**"
    return f"{word} (fail level: {info.fail_level.value}). {escape(summary_line(info))}"


def _family_table(findings: Sequence[Finding]) -> list[str]:
    counts = Counter((f.source or "other", f.severity) for f in findings)
    families = sorted(
        {fam for fam, _ in counts}, key=lambda f: (_FAMILY_ORDER.index(f) if f in _FAMILY_ORDER else 99, f)
    )
    rows = ["| Family | Errors | Warnings | Info |", "| --- | ---: | ---: | ---: |"]
    for fam in families:
        rows.append(f"| {escape(fam)} | " + " | ".join(str(counts[fam, s]) for s in Severity) + " |")
    return rows


def _row(f: Finding) -> str:
    resource = f"{f.kind} {f.namespace + '/' if f.namespace else ''}{f.name}" if f.kind and f.name else ""
    return (
        f"| {escape(f'{f.file}:{f.line}:{f.column}')} | {_ICONS[f.severity]} {f.severity.value} "
        f"| {escape(f.rule_id)} {escape(f.rule_name)} | {escape(f.message)} | {escape(resource)} |"
    )


def _findings_table(findings: Sequence[Finding], budget: int) -> list[str]:
    head = ["| Location | Severity | Rule | Message | Resource |", "| --- | --- | --- | --- | --- |"]
    rows: list[str] = []
    used = sum(len(line) + 1 for line in head)
    for i, f in enumerate(findings):
        row = _row(f)
        if used + len(row) + 1 > budget - _NOTE_RESERVE:
            rows.append("")
            rows.append(
                f"_{len(findings) - i} more findings not shown (GitHub's size limit); "
                "see the SARIF or JUnit report or the job log for all of them._"
            )
            break
        rows.append(row)
        used += len(row) + 1
    return head + rows


def _mermaid(graph: str) -> list[str]:
    # A fence longer than any backtick run inside, so the graph text cannot close it early.
    longest = max((len(run) for run in re.findall(r"`+", graph)), default=0)
    fence = "`" * max(3, longest + 1)
    return [
        "<details><summary>Flux graph</summary>",
        "",
        f"{fence}mermaid",
        graph.rstrip("\n"),
        fence,
        "",
        "</details>",
    ]


def render(findings: Sequence[Finding], info: RunInfo, max_chars: int = MAX_CHARS) -> str:
    out = [_verdict(findings, info), ""]
    if findings:
        out += _family_table(findings) + [""]
    graph = info.extras.get("flux_graph_mermaid")
    tail = _mermaid(graph) if isinstance(graph, str) and graph.strip() else []
    if tail and len("\n".join(out + tail)) > max_chars // 2:
        tail = ["_The Flux graph is too large for this summary._"]
    if findings:
        collapse = len(findings) > COLLAPSE_AFTER
        wrap_open = [f"<details><summary>{len(findings)} findings</summary>", ""] if collapse else []
        wrap_close = ["", "</details>", ""] if collapse else [""]
        fixed = len("\n".join(out + wrap_open + wrap_close + tail)) + 2
        out += wrap_open + _findings_table(findings, max_chars - fixed) + wrap_close
    out += tail
    return "\n".join(out).rstrip("\n") + "\n"
