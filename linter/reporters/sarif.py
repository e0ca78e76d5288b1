"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Only rules that fired are listed (sorted by id), so a report stays small and a viewer's rule list means
"what is wrong here". Locations are relative to `%SRCROOT%`, which `originalUriBaseIds` maps to the run's
root; GitHub resolves them against the checkout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from linter.models import Finding, RuleInfo, Severity
from linter.reporters import RunInfo

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/kubegate/kubegate"
SRCROOT = "%SRCROOT%"
# Bump when the fingerprint recipe changes, so viewers do not match old and new alerts by accident.
FINGERPRINT_KEY = "kubegateFinding/v1"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(findings: Sequence[Finding], info: RunInfo) -> str:
    rules = _fired_rules(findings, info.rules)
    index = {rule.id: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": _driver(info, rules)},
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(info.root)}},
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(f, index[f.rule_id], fp)
            for f, fp in zip(findings, fingerprints(findings), strict=True)
        ],
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def root_uri(root: str) -> str:
    # A base URI must end with "/" or relative references replace its last segment.
    uri = Path(root).absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _fired_rules(findings: Sequence[Finding], known: Mapping[str, RuleInfo]) -> list[RuleInfo]:
    fired: dict[str, RuleInfo] = {}
    for f in findings:
        if f.rule_id not in fired:
            # A rule the registry does not know (a user policy without metadata) still needs an entry.
            fired[f.rule_id] = known.get(f.rule_id) or RuleInfo(
                f.rule_id, f.rule_name, f.severity, f.rule_name
            )
    return [fired[rule_id] for rule_id in sorted(fired)]


def _driver(info: RunInfo, rules: list[RuleInfo]) -> dict[str, Any]:
    return {
        "name": "kubegate",
        "version": info.tool_version,
        "semanticVersion": info.tool_version,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(r) for r in rules],
    }


def _rule(rule: RuleInfo) -> dict[str, Any]:
    title = rule.title or rule.name or rule.id
    entry: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name or rule.id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": rule.description or title},
        "help": {"text": rule.remediation or rule.description or title},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
    }
    if rule.source:
        entry["properties"] = {"tags": [rule.source]}
    return entry


def _result(f: Finding, rule_index: int, fingerprint: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[f.severity],
        "message": {"text": _message(f)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(f.file, safe="/"), "uriBaseId": SRCROOT},
                    "region": region(f),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if f.rendered_from:  # a Helm chart's output: which template, and whether values can fix it
        result["properties"] = {"renderedFrom": f.rendered_from, "chartOnly": f.chart_only}
    return result


def _message(f: Finding) -> str:
    if f.kind and f.name:
        where = f"{f.kind} {f.namespace}/{f.name}" if f.namespace else f"{f.kind} {f.name}"
        return f"{f.message} ({where})"
    return f.message


def region(f: Finding) -> dict[str, int]:
    """A SARIF region; end column is exclusive in both SARIF and `Span`. Clamped so it is never inverted."""
    line, column = max(f.line, 1), max(f.column, 1)
    end_line = max(f.end_line, line)
    end_column = max(f.end_column, column) if end_line == line else max(f.end_column, 1)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """Per finding, a hash of what it is about (rule, file, resource, pointer), never where it is.

    Positions are left out so an edit above a finding keeps its alert. Findings with the same identity
    (two parse errors in one file) are told apart by their order of occurrence.
    """
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        identity = "\x1f".join(
            (f.rule_id, f.file, f.api_version.split("/")[0], f.kind, f.namespace, f.name, f.pointer)
        )
        occurrence = seen.get(identity, 0)
        seen[identity] = occurrence + 1
        digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        out.append(f"{digest}:{occurrence + 1}")
    return out
