"""Reporters: one shared findings fixture, a golden file per format, and structural checks per format.

Regenerate the golden files after an intended change with
`KUBEGATE_UPDATE_GOLDEN=1 pytest tests/test_reporters.py` and review the diff.
"""

from __future__ import annotations

import copy
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

import linter
from linter.models import ConfigError, Finding, RuleInfo, Severity
from linter.reporters import FORMATS, ResourceRef, RunInfo, get_reporter, github, junit, markdown, sarif
from linter.rules import BUILTIN_RULES

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
MINIMAL_XSD = HERE / "fixtures" / "junit_minimal.xsd"
MERMAID = "graph LR\n  A[flux-system/apps] --> B[flux-system/infra]\n"


def _f(
    file: str,
    line: int,
    col: int,
    rule: str,
    name: str,
    sev: Severity,
    message: str,
    source: str,
    kind: str = "",
    ns: str = "",
    res: str = "",
    pointer: str = "",
    end: tuple[int, int] | None = None,
    api: str = "",
) -> Finding:
    end_line, end_col = end or (line, col + 4)
    return Finding(
        file, line, col, end_line, end_col, rule, name, sev, message, source, kind, ns, res, api, pointer
    )


# The one findings fixture every format renders. It covers: every severity and family, a rule the
# registry does not know, a multi-line span, a finding without a resource, a finding in a patch file
# about a resource defined elsewhere, a file name with a space, and messages with characters each format
# must escape (| % , : newline < & and a control character).
FINDINGS: list[Finding] = sorted(
    [
        _f(
            "apps/web/deploy.yaml",
            12,
            9,
            "SCHEMA-001",
            "schema-violation",
            E,
            "spec.replicas: expected integer, got string",
            "schema",
            "Deployment",
            "prod",
            "web",
            "/spec/replicas",
            api="apps/v1",
        ),
        _f(
            "apps/web/deploy.yaml",
            20,
            11,
            "POL-SEC-001",
            "no-privileged",
            E,
            "container app: privileged must be false | 100% of pods, see policy\nline two",
            "policy",
            "Deployment",
            "prod",
            "web",
            "/spec/template/spec/containers/0/securityContext/privileged",
            end=(23, 5),
            api="apps/v1",
        ),
        _f(
            "apps/web/deploy.yaml",
            18,
            7,
            "POL-RES-002",
            "resource-limits",
            W,
            "container app has no resources.limits.memory",
            "policy",
            "Deployment",
            "prod",
            "web",
            "/spec/template/spec/containers/0",
            api="apps/v1",
        ),
        _f(
            "apps/web/patch.yaml",
            4,
            3,
            "CHG-003",
            "suppression-added",
            W,
            "the change adds an ignore comment for POL-RES-002",
            "change",
            "Deployment",
            "prod",
            "web",
            api="apps/v1",
        ),
        _f(
            "broken file.yaml",
            3,
            5,
            "YAML-001",
            "yaml-syntax",
            E,
            "mapping values are not allowed here <tag> & \x07 bell",
            "parse",
        ),
        _f(
            "clusters/prod/flux.yaml",
            9,
            5,
            "GRAPH-003",
            "dependency-not-found",
            E,
            "dependsOn names Kustomization flux-system/infra, which does not exist",
            "flux",
            "Kustomization",
            "flux-system",
            "apps",
            "/spec/dependsOn/0",
            api="kustomize.toolkit.fluxcd.io/v1",
        ),
        _f(
            "clusters/prod/flux.yaml",
            1,
            1,
            "RENDER-002",
            "not-rendered",
            I,
            "Kustomization source is another repository; not rendered",
            "flux",
            "Kustomization",
            "flux-system",
            "apps",
            api="kustomize.toolkit.fluxcd.io/v1",
        ),
    ]
)

RESOURCES = (
    ResourceRef("apps/web/deploy.yaml", 1, "Deployment", "prod", "web", "apps/v1"),
    ResourceRef("apps/web/service.yaml", 1, "Service", "prod", "web", "v1"),
    ResourceRef("apps/web/service.yaml", 14, "ConfigMap", "prod", "web-config", "v1"),
    ResourceRef(
        "clusters/prod/flux.yaml", 1, "Kustomization", "flux-system", "apps", "kustomize.toolkit.fluxcd.io/v1"
    ),
)

RULES: dict[str, RuleInfo] = {
    **BUILTIN_RULES,
    "POL-RES-002": RuleInfo(
        "POL-RES-002",
        "resource-limits",
        W,
        "Containers set memory limits",
        "A container without a memory limit can starve its node.",
        "Set resources.limits.memory on every container.",
        "policy",
    ),
}


def make_info(root: Path, findings: Sequence[Finding] = FINDINGS, **extra: Any) -> RunInfo:
    summary = {
        "errors": sum(f.severity is E for f in findings),
        "warnings": sum(f.severity is W for f in findings),
        "infos": sum(f.severity is I for f in findings),
        "files": len({f.file for f in findings}) + 2,  # two files checked without a finding
        "files_with_findings": len({f.file for f in findings}),
        "resources": len(RESOURCES),
    }
    fields: dict[str, Any] = {
        "tool_version": linter.__version__,
        "root": str(root),
        "rules": RULES,
        "summary": summary,
        "resources": RESOURCES,
        "extras": {"flux_graph_mermaid": MERMAID},
    }
    fields.update(extra)
    return RunInfo(**fields)


@pytest.fixture
def info(tmp_path: Path) -> RunInfo:
    return make_info(tmp_path)


@pytest.fixture(scope="session")
def shared_formats() -> Path:
    path = Path(__file__).resolve().parents[2] / "shared" / "formats"
    if not path.is_dir():
        pytest.skip("../shared/formats is not available")
    return path


# --- golden files ---------------------------------------------------------------------------------
def _blank(fmt: str, text: str, info: RunInfo) -> str:
    """Blank what changes between machines and releases: the tool version and the absolute root."""
    if fmt == "sarif":
        log = json.loads(text)
        driver = log["runs"][0]["tool"]["driver"]
        assert driver["version"] == info.tool_version
        driver["version"] = driver["semanticVersion"] = "<version>"
        base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
        assert base["uri"] == sarif.root_uri(info.root)
        base["uri"] = "file:///<root>/"
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    assert info.root not in text
    return text


GOLDEN_FILES = {
    "sarif": "report.sarif.json",
    "junit": "report.junit.xml",
    "github": "report.github.txt",
    "markdown": "report.md",
}


@pytest.mark.parametrize("fmt", sorted(GOLDEN_FILES))
def test_golden(fmt: str, info: RunInfo) -> None:
    actual = _blank(fmt, get_reporter(fmt)(FINDINGS, info), info)
    golden = GOLDEN / GOLDEN_FILES[fmt]
    if os.environ.get("KUBEGATE_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8", newline="")
    assert actual == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", sorted(GOLDEN_FILES))
def test_reporters_are_pure(fmt: str, info: RunInfo) -> None:
    frozen = copy.deepcopy(FINDINGS)
    render = get_reporter(fmt)
    assert render(FINDINGS, info) == render(FINDINGS, info)
    assert FINDINGS == frozen


def test_registry_lists_the_machine_formats() -> None:
    for fmt, module in {"sarif": sarif, "junit": junit, "github": github, "markdown": markdown}.items():
        assert FORMATS[fmt] == module.__name__.rsplit(".", 1)[1]
        assert get_reporter(fmt) is module.render
    with pytest.raises(ConfigError, match="unknown format 'sarif3'"):
        get_reporter("sarif3")


# --- SARIF ----------------------------------------------------------------------------------------
def _sarif(info: RunInfo, findings: Sequence[Finding] = FINDINGS) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(sarif.render(findings, info))
    return log


def test_sarif_validates_against_the_oasis_schema(info: RunInfo, shared_formats: Path) -> None:
    import jsonschema  # type: ignore[import-untyped]

    schema = json.loads((shared_formats / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for findings in (FINDINGS, []):
        errors = [e.message for e in validator.iter_errors(_sarif(info, findings))]
        assert errors == []


def test_sarif_driver_and_rules(info: RunInfo) -> None:
    log = _sarif(info)
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("kubegate", linter.__version__)
    assert driver["informationUri"].startswith("https://")
    fired = sorted({f.rule_id for f in FINDINGS})
    assert [r["id"] for r in driver["rules"]] == fired
    by_id = {r["id"]: r for r in driver["rules"]}
    assert by_id["SCHEMA-001"]["shortDescription"]["text"] == RULES["SCHEMA-001"].title
    assert by_id["SCHEMA-001"]["fullDescription"]["text"] == RULES["SCHEMA-001"].description
    assert by_id["SCHEMA-001"]["help"]["text"] == RULES["SCHEMA-001"].remediation
    levels = {rid: r["defaultConfiguration"]["level"] for rid, r in by_id.items()}
    assert (levels["SCHEMA-001"], levels["POL-RES-002"], levels["RENDER-002"]) == ("error", "warning", "note")
    # A rule missing from the registry (user policy without metadata) still gets a usable entry.
    assert by_id["POL-SEC-001"]["name"] == "no-privileged"


def test_sarif_results(info: RunInfo) -> None:
    run = _sarif(info)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path(info.root).as_uri() + "/"
    results = run["results"]
    assert len(results) == len(FINDINGS)
    for f, r in zip(FINDINGS, results, strict=True):
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"] == f.rule_id
        assert r["level"] == {E: "error", W: "warning", I: "note"}[f.severity]
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith(("/", "file:"))
        region = loc["region"]
        assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (
            f.line,
            f.column,
            f.end_line,
            f.end_column,
        )
        assert f.message.split(" ")[0] in r["message"]["text"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "broken%20file.yaml" in uris


def _fp(findings: Sequence[Finding]) -> list[str]:
    return sarif.fingerprints(findings)


@pytest.mark.parametrize(
    ("change", "same"),
    [
        (lambda f: replace(f, line=f.line + 40, end_line=f.end_line + 40), True),  # moved down the file
        (lambda f: replace(f, column=f.column + 2, end_column=f.end_column + 2), True),  # re-indented
        (lambda f: replace(f, message="reworded"), True),
        (lambda f: replace(f, api_version="apps/v1beta2"), True),  # same group, new version
        (lambda f: replace(f, pointer="/spec/paused"), False),
        (lambda f: replace(f, name="api"), False),
        (lambda f: replace(f, file="apps/api/deploy.yaml"), False),
        (lambda f: replace(f, rule_id="SCHEMA-002"), False),
    ],
)
def test_sarif_fingerprint_is_identity_not_position(change: Callable[[Finding], Finding], same: bool) -> None:
    f = FINDINGS[0]
    assert (_fp([f]) == _fp([change(f)])) is same


def test_sarif_fingerprints_distinguish_same_identity_findings(info: RunInfo) -> None:
    first = _f("bad.yaml", 3, 1, "YAML-001", "yaml-syntax", E, "x", "parse")
    second = replace(first, line=9)
    assert len(set(_fp([first, second]))) == 2
    results = _sarif(info)["runs"][0]["results"]
    assert len({r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in results}) == len(results)


def test_sarif_region_never_inverted(info: RunInfo) -> None:
    odd = _f("a.yaml", 0, 0, "YAML-001", "yaml-syntax", E, "m", "parse", end=(0, 0))
    region = _sarif(info, [odd])["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}


# --- JUnit ----------------------------------------------------------------------------------------
def _junit(info: RunInfo, findings: Sequence[Finding] = FINDINGS) -> ET.Element:
    return ET.fromstring(junit.render(findings, info).encode())


@pytest.mark.parametrize("findings", [FINDINGS, []], ids=["findings", "empty"])
def test_junit_valid_against_own_xsd(info: RunInfo, findings: Sequence[Finding]) -> None:
    xmlschema.XMLSchema(str(MINIMAL_XSD)).validate(junit.render(findings, info))


@pytest.mark.parametrize("findings", [FINDINGS, []], ids=["findings", "empty"])
def test_junit_valid_against_jenkins_xsd(
    info: RunInfo, findings: Sequence[Finding], shared_formats: Path
) -> None:
    xmlschema.XMLSchema(str(shared_formats / "junit.xsd")).validate(junit.render(findings, info))


def test_junit_minimal_xsd_rejects_what_jenkins_would_hide() -> None:
    # The own XSD must be able to fail: two <failure>s in one testcase are what it exists to forbid.
    bad = (
        '<testsuites name="k" tests="1" failures="1" errors="0"><testsuite name="f" tests="1" failures="1" '
        'errors="0"><testcase name="c" classname="f"><failure message="a" type="t"/>'
        '<failure message="b" type="t"/></testcase></testsuite></testsuites>'
    )
    assert not xmlschema.XMLSchema(str(MINIMAL_XSD)).is_valid(bad)


def _cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {
        (s.get("name", ""), c.get("name", "")): c for s in root.iter("testsuite") for c in s.iter("testcase")
    }


def test_junit_one_suite_per_file_one_case_per_resource(info: RunInfo) -> None:
    root = _junit(info)
    assert [s.get("name") for s in root.iter("testsuite")] == [
        "apps/web/deploy.yaml",
        "apps/web/service.yaml",
        "broken file.yaml",
        "clusters/prod/flux.yaml",
    ]
    assert sorted(_cases(root)) == [
        ("apps/web/deploy.yaml", "Deployment prod/web"),
        ("apps/web/service.yaml", "ConfigMap prod/web-config"),
        ("apps/web/service.yaml", "Service prod/web"),
        ("broken file.yaml", "(file)"),
        ("clusters/prod/flux.yaml", "Kustomization flux-system/apps"),
    ]
    assert (root.get("tests"), root.get("failures")) == ("5", "3")
    for suite in root.iter("testsuite"):
        cases = list(suite.iter("testcase"))
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases))
        assert all("." not in (c.get("classname") or ".") for c in cases)


def test_junit_failures_and_warnings(info: RunInfo) -> None:
    cases = _cases(_junit(info))
    deploy = cases["apps/web/deploy.yaml", "Deployment prod/web"]
    failures = deploy.findall("failure")
    assert len(failures) == 1
    assert failures[0].get("message") == "SCHEMA-001 spec.replicas: expected integer, got string (+1 more)"
    assert failures[0].get("type") == "POL-SEC-001 SCHEMA-001"
    lines = (failures[0].text or "").strip().split("\n")
    assert [line.split(": ")[0] for line in lines] == [
        "apps/web/deploy.yaml:12:9",
        "apps/web/deploy.yaml:20:11",
    ]
    out = deploy.findtext("system-out") or ""
    # The warning found in the patch file is shown on the resource it is about.
    assert "warning: apps/web/deploy.yaml:18:7: POL-RES-002" in out
    assert "warning: apps/web/patch.yaml:4:3: CHG-003" in out
    for passing in [
        ("apps/web/service.yaml", "Service prod/web"),
        ("apps/web/service.yaml", "ConfigMap prod/web-config"),
    ]:
        assert list(cases[passing]) == []
    parse = cases["broken file.yaml", "(file)"]
    assert (parse.find("failure").get("message") or "").startswith("YAML-001 ")  # type: ignore[union-attr]
    flux = cases["clusters/prod/flux.yaml", "Kustomization flux-system/apps"]
    assert "info: clusters/prod/flux.yaml:1:1: RENDER-002" in (flux.findtext("system-out") or "")


def test_junit_strips_control_characters(info: RunInfo) -> None:
    text = junit.render(FINDINGS, info)
    assert "\x07" not in text and "\ufffd bell" in text
    assert "&lt;tag&gt; &amp;" in text


def test_junit_empty_run_has_one_passing_case(info: RunInfo) -> None:
    root = _junit(replace(info, resources=()), [])
    assert [(c.get("name"), list(c)) for c in root.iter("testcase")] == [("no resources to check", [])]


def test_junit_finding_about_unknown_resource_gets_its_own_case(info: RunInfo) -> None:
    f = _f("apps/x.yaml", 5, 1, "SCHEMA-001", "schema-violation", E, "m", "schema", "Secret", "prod", "x")
    assert ("apps/x.yaml", "Secret prod/x") in _cases(_junit(info, [f]))


_text = st.text(st.characters(codec="utf-8"), max_size=40)  # every code point XML can carry, controls too


@settings(max_examples=60, deadline=None)
@given(file=_text.filter(bool), message=_text, kind=_text, name=_text)
def test_junit_any_text_is_valid_xml(file: str, message: str, kind: str, name: str) -> None:
    f = _f(file, 1, 1, "X-1", "x", E, message, "policy", kind, "", name)
    info = make_info(Path("/r"), [f])
    text = junit.render([f], replace(info, resources=(ResourceRef(file, 1, kind, "", name),)))
    _MINIMAL.validate(text)


_MINIMAL = xmlschema.XMLSchema(str(MINIMAL_XSD))


# --- GitHub workflow commands ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50%", "50%25", "50%25"),
        ("a\nb\r", "a%0Ab%0D", "a%0Ab%0D"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),  # an already-escaped-looking value is escaped again, not passed through
    ],
)
def test_github_escaping(raw: str, data: str, prop: str) -> None:
    assert (github.escape_data(raw), github.escape_property(raw)) == (data, prop)


_COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _unescape(value: str) -> str:
    return re.sub(
        r"%(25|0D|0A|3A|2C)",
        lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m.group(1)],
        value,
    )


def test_github_annotations(info: RunInfo) -> None:
    lines = github.render(FINDINGS, info).splitlines()
    assert len(lines) == len(FINDINGS) + 1
    assert lines[-1].startswith("kubegate: FAIL")
    for f, line in zip(FINDINGS, lines[:-1], strict=True):
        m = _COMMAND.match(line)
        assert m, line
        assert m.group(1) == {E: "error", W: "warning", I: "notice"}[f.severity]
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        assert _unescape(props["file"]) == f.file
        assert _unescape(props["title"]) == f"{f.rule_id} {f.rule_name}"
        assert (int(props["line"]), int(props["endLine"])) == (f.line, f.end_line)
        if f.line == f.end_line:
            assert (int(props["col"]), int(props["endColumn"])) == (f.column, f.end_column)
        else:
            assert "col" not in props and "endColumn" not in props
        assert _unescape(m.group(3)).startswith(f.message.replace("\x07", " "))
    assert not re.search("[\x00-\x09\x0b-\x1f]", "\n".join(lines))  # one command per line, no raw controls


def test_github_clean_run_passes(info: RunInfo) -> None:
    assert github.render([], info).startswith("kubegate: PASS")


# --- Markdown -------------------------------------------------------------------------------------
def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_verdict_tables_and_graph(info: RunInfo) -> None:
    text = markdown.render(FINDINGS, info)
    lines = text.splitlines()
    assert lines[0].startswith("❌ **kubegate: failed**")
    families = {
        line.split("|")[1].strip(): line
        for line in lines
        if re.match(r"\| (parse|schema|policy|change|flux) \|", line)
    }
    assert [c.strip() for c in families["policy"].split("|")[2:5]] == ["1", "1", "0"]
    assert [c.strip() for c in families["flux"].split("|")[2:5]] == ["1", "0", "1"]
    rows = [line for line in lines if line.startswith("| ") and ".yaml:" in line]
    assert len(rows) == len(FINDINGS)
    assert all(_unescaped_pipes(row) == 6 for row in rows)
    assert "\\| 100% of pods" in text and "&lt;" not in text and "\\<tag\\> &amp;" in text
    assert f"```mermaid\n{MERMAID}```" in text
    assert "<details>" not in text.split("<details><summary>Flux graph")[0]  # 7 findings: not collapsed


def test_markdown_clean_run_without_graph(info: RunInfo) -> None:
    text = markdown.render([], replace(info, extras={}))
    assert text.startswith("✅ **kubegate: passed**") and "mermaid" not in text and "| Location" not in text


def test_markdown_collapses_and_truncates(info: RunInfo) -> None:
    many = [replace(FINDINGS[0], line=n, end_line=n, message="a long message " * 10) for n in range(1, 3001)]
    text = markdown.render(many, replace(info, extras={"flux_graph_mermaid": MERMAID}))
    assert len(text) <= 65_536
    assert "<details><summary>3000 findings</summary>" in text
    shown = sum(1 for line in text.splitlines() if line.startswith("| apps/web/deploy.yaml:"))
    assert 0 < shown < 3000
    assert f"_{3000 - shown} more findings not shown" in text
    assert text.rstrip().endswith("</details>") and "```mermaid" in text


def test_markdown_mermaid_fence_cannot_be_closed_by_graph(info: RunInfo) -> None:
    text = markdown.render([], replace(info, extras={"flux_graph_mermaid": "graph LR\n  A[```] --> B\n"}))
    assert "````mermaid\n" in text and "\n````\n" in text
