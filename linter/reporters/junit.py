"""`--format junit`: JUnit 4 XML for Jenkins' `junit` step (and GitLab, Azure DevOps).

Layout, chosen for Jenkins' test-result pages:
- one `<testsuite>` per file (name = the path), so a file's resources are listed together;
- one `<testcase>` per checked resource (name `Kind namespace/name`), so resources that passed count as
  passed tests and the pass count means something; classname is the path with dots replaced, because
  Jenkins splits a classname at its last dot into package and class (`deploy.yaml` would show as class
  `yaml`);
- at most ONE `<failure>` per testcase, listing every error-level finding of the resource, one
  `file:line:col RULE-ID rule-name: message` line each. Jenkins (and junitparser, Azure DevOps) show only
  the first `<failure>` of a testcase, so several elements would silently hide findings;
- warnings and infos in the testcase's `<system-out>`, so they are visible without failing the test;
- findings not about a resource (a YAML syntax error) get a testcase `(file)` of their own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from linter.models import Finding, Severity
from linter.reporters import ResourceRef, RunInfo

FILE_CASE = "(file)"
# XML 1.0 forbids these characters even as character references; an XML parser rejects the whole file.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_Identity = tuple[str, str, str]  # kind, namespace, name


@dataclass
class _Case:
    name: str
    line: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]


def clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _case_name(kind: str, namespace: str, name: str) -> str:
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _build_cases(findings: Sequence[Finding], resources: Sequence[ResourceRef]) -> dict[str, list[_Case]]:
    """file -> testcases, in source order; every finding lands in exactly one testcase."""
    by_file: dict[str, dict[_Identity, _Case]] = defaultdict(dict)
    by_identity: dict[_Identity, list[_Case]] = defaultdict(list)
    for r in resources:
        ident = (r.kind, r.namespace, r.name)
        case = by_file[r.file].setdefault(ident, _Case(_case_name(*ident), r.line))
        by_identity[ident].append(case)
    for f in findings:
        _case_for(f, by_file, by_identity).findings.append(f)
    return {file: sorted(cases.values(), key=lambda c: (c.line, c.name)) for file, cases in by_file.items()}


def _case_for(
    f: Finding, by_file: dict[str, dict[_Identity, _Case]], by_identity: dict[_Identity, list[_Case]]
) -> _Case:
    if not (f.kind and f.name):
        return by_file[f.file].setdefault(("", "", ""), _Case(FILE_CASE, 0))
    ident = (f.kind, f.namespace, f.name)
    if ident in by_file.get(f.file, {}):
        return by_file[f.file][ident]
    # A rendered resource's finding can point at the patch file that set the field: attach it to the
    # resource when that is unambiguous rather than inventing a second testcase for it.
    elsewhere = by_identity.get(ident, [])
    if len(elsewhere) == 1:
        return elsewhere[0]
    return by_file[f.file].setdefault(ident, _Case(_case_name(*ident), f.line))


def _one_line(text: str) -> str:
    # One finding per text line, so a multi-line message cannot pass for a second finding.
    return " ".join(clean(text).split())


def _finding_line(f: Finding) -> str:
    return _one_line(f"{f.file}:{f.line}:{f.column}: {f.rule_id} {f.rule_name}: {f.message}")


def _testcase(parent: ET.Element, file: str, case: _Case) -> bool:
    el = ET.SubElement(parent, "testcase", name=clean(case.name), classname=clean(file.replace(".", "_")))
    errors = case.errors
    if errors:
        first = errors[0]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        failure = ET.SubElement(
            el,
            "failure",
            message=_one_line(f"{first.rule_id} {first.message}{more}"),
            type=" ".join(sorted({f.rule_id for f in errors})),
        )
        failure.text = "\n".join(_finding_line(f) for f in errors) + "\n"
    others = [f for f in case.findings if f.severity is not Severity.ERROR]
    if others:
        out = ET.SubElement(el, "system-out")
        out.text = "\n".join(f"{f.severity.value}: {_finding_line(f)}" for f in others) + "\n"
    return bool(errors)


def render(findings: Sequence[Finding], info: RunInfo) -> str:
    cases = _build_cases(findings, info.resources)
    root = ET.Element("testsuites", name="kubegate")
    total = failed = 0
    for file in sorted(cases):
        suite = ET.SubElement(root, "testsuite", name=clean(file))
        suite_failed = sum(_testcase(suite, file, case) for case in cases[file])
        suite.set("tests", str(len(cases[file])))
        suite.set("failures", str(suite_failed))
        suite.set("errors", "0")
        total, failed = total + len(cases[file]), failed + suite_failed
    if not total:
        # An empty report fails Jenkins' `junit` step (allowEmptyResults: false); say what happened instead.
        suite = ET.SubElement(root, "testsuite", name="kubegate", tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name="no resources to check", classname="kubegate")
        total = 1
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
