"""The bundled least-privilege policy library: completeness, engine agreement, docs and params schema.

Every `test_*` Rego rule of `policies/` runs on regorus and on regopy (each engine in a child process,
so an engine crash fails a test instead of killing pytest). Static checks keep the library clear of
constructs measured to break regopy 1.5.2 (see policies/README.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from linter.docgen import render_rules_markdown
from linter.models import RuleInfo, Severity
from linter.rego.metadata import Annotation, parse_annotations
from linter.rego.policies import load_policies

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
SCHEMA = REPO / "schemas" / "config" / "params.schema.json"
RULE_DIRS = sorted(p.parent for p in POLICIES.glob("*/*/policy.rego"))
ID_PATTERN = re.compile(r"^(RBAC|IMG|WKL|FLUX|SEC|META)-\d{3}$")
FAMILY_DIRS = {"rbac": "RBAC", "img": "IMG", "wkl": "WKL", "flux": "FLUX", "sec": "SEC", "meta": "META"}

# Runs all tests of the library in one query (regopy recompiles per query: ~0.6 s each), then reports
# which passed. A test that is not listed failed, was undefined, or errored.
_RUNNER = r"""
import json, sys
from pathlib import Path
from linter.rego.engine import check_modules, make_engine
from linter.rego.policies import find_policy_files, read_modules
engine_name, root = sys.argv[1], Path(sys.argv[2])
modules = read_modules(find_policy_files([root], tests=True))
tests = sorted({(".".join(i.package), h.name) for i in check_modules(modules) for h in i.rules
                if h.name.startswith("test_")})
wrapper = "package kubegate_internal_tests\nimport rego.v1\n" + "".join(
    f'passed contains "{p}.{t}" if data.{p}.{t} == true\n' for p, t in tests)
engine = make_engine(engine_name)
for name, source in modules.items():
    engine.add_policy(name, source)
engine.add_policy("<tests>.rego", wrapper)
engine.set_data({})
passed = engine.eval_query("data.kubegate_internal_tests.passed")
print(json.dumps({"tests": [f"{p}.{t}" for p, t in tests], "passed": sorted(passed)}))
"""


def _run_engine(engine: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", _RUNNER, engine, str(POLICIES)], capture_output=True,
                          text=True, timeout=300, cwd=REPO, check=False)
    assert proc.returncode == 0, f"{engine} crashed or failed (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module", params=["regorus", "regopy"])
def engine_results(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    if request.param == "regopy":
        pytest.importorskip("regopy")
    return request.param, _run_engine(request.param)


def test_every_rego_unit_test_passes(engine_results: tuple[str, dict[str, Any]]) -> None:
    engine, result = engine_results
    failed = sorted(set(result["tests"]) - set(result["passed"]))
    assert len(result["tests"]) >= 50
    assert failed == [], f"{engine}: failing Rego tests: {failed}"


def _package_note(policy: Path) -> Annotation:
    notes = [a for a in parse_annotations(str(policy), policy.read_text()) if a.scope == "package"]
    assert len(notes) == 1, f"{policy}: needs exactly one package-scope METADATA block"
    return notes[0]


@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=lambda p: p.name)
def test_rule_directory_is_complete(rule_dir: Path) -> None:
    note = _package_note(rule_dir / "policy.rego")
    assert ID_PATTERN.match(note.rule_id), note.rule_id
    assert note.title and note.description and note.remediation and note.name
    assert note.severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    assert note.related, "related_resources must name the sources"
    family, number = note.rule_id.split("-")
    assert FAMILY_DIRS[rule_dir.parent.name] == family
    assert rule_dir.name.startswith(f"{family.lower()}_{number}_")
    tests = (rule_dir / "policy_test.rego").read_text()
    assert re.search(r"^test_\w+ if", tests, re.MULTILINE), "policy_test.rego has no tests"
    assert re.search(r"^test_wiring if", tests, re.MULTILINE), "a test must check that deny/warn are wired to input"
    assert list((rule_dir / "samples").glob("allowed-*.yaml")), "no allowed sample"
    assert list((rule_dir / "samples").glob("disallowed-*.yaml")), "no disallowed sample"


def test_ids_are_unique_and_match_directories() -> None:
    ids = [_package_note(d / "policy.rego").rule_id for d in RULE_DIRS]
    assert len(ids) == len(set(ids))
    assert {r.id for r in load_policies([POLICIES]).rules.values()} == set(ids)


def _library_sources() -> dict[Path, str]:
    return {p: p.read_text() for p in sorted(POLICIES.rglob("*.rego"))}


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')


def _code(source: str) -> str:
    """The source without comments and string literals (a `"data"` key is not a `data` reference)."""
    return "\n".join(_STRING.sub('""', line).split("#", 1)[0] for line in source.splitlines())


# Each pattern was measured to break regopy 1.5.2 while regorus and OPA accept it.
_REGOPY_HAZARDS = {
    "`with input as` (use `with input.<key> as` or call the rule's function)": re.compile(r"\bwith\s+input\s+as\b"),
    "bare `data` (the whole tree includes the policies: regopy never returns)": re.compile(r"\bdata\b(?![.\[])"),
    "(?i) regex flag (regopy matches nothing)": re.compile(r"\(\?i"),
    "sprintf (regopy wraps strings not taken from input in quotes; build messages with concat)":
        re.compile(r"\bsprintf\s*\("),
    "`some k, v in` (regopy fails to parse it inside comprehensions; use `some k` + `v := xs[k]`)":
        re.compile(r"\bsome\s+\w+\s*,\s*\w+\s+in\b"),
}


@pytest.mark.parametrize("hazard", sorted(_REGOPY_HAZARDS))
def test_library_avoids_regopy_hazards(hazard: str) -> None:
    offenders = [str(p.relative_to(REPO)) for p, s in _library_sources().items()
                 if _REGOPY_HAZARDS[hazard].search(_code(s))]
    assert offenders == [], f"{hazard}: {offenders}"


def _late_some_declarations(filename: str, source: str) -> list[str]:
    """`file:line` of every bare `some x` declaration that is not the first statement of its body.

    regorus 0.13 runs such a declaration once per binding of an earlier iterating statement of the
    same body (`gen := gens[i]`), and the second run fails with "duplicated definition of local
    variable x": with two configMapGenerator entries, SEC-005 failed every run (issue 10). Declared
    first, it runs once per body on every engine."""
    import regorus  # type: ignore[import-untyped]

    engine = regorus.Engine()
    engine.set_rego_v0(False)
    engine.add_policy(filename, source)
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            stmts = node.get("stmts")
            if isinstance(stmts, list):
                found.extend(f"{filename}:{st['span']['line']}" for k, st in enumerate(stmts)
                             if k > 0 and "SomeVars" in st.get("literal", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(engine.get_ast_as_json()))
    return found


def test_library_declares_bare_some_first_in_each_body() -> None:
    offenders = [hit for p, s in _library_sources().items()
                 for hit in _late_some_declarations(str(p.relative_to(REPO)), s)]
    assert offenders == [], f"move `some x` to the first statement of its body: {offenders}"


def test_generated_batch_wrapper_declares_bare_some_first() -> None:
    from linter.rego.policies import WRAPPER_FILE, wrapper_module

    targets = load_policies([POLICIES]).targets
    for per_document in (False, True):
        assert _late_some_declarations(WRAPPER_FILE, wrapper_module(targets, per_document)) == []


def test_late_some_declaration_is_detected() -> None:
    # The check itself must be able to fail: the shape of the SEC-005 bug.
    source = ("package t\n\nimport rego.v1\n\nr := [x |\n\tsome i\n\tg := input.g[i]\n"
              "\tsome j\n\tx := g.l[j]\n]\n")
    assert _late_some_declarations("t.rego", source) == ["t.rego:8"]


def test_function_names_have_one_arity_across_packages() -> None:
    # regopy 1.5.2 segfaults when two packages define a function of the same name with different arity.
    head = re.compile(r"^([a-z_][A-Za-z0-9_]*)\(([^)]*)\)\s*(?::=|if|\{)", re.MULTILINE)
    arity: dict[str, set[int]] = {}
    for source in _library_sources().values():
        for name, args in head.findall(source):
            arity.setdefault(name, set()).add(len([a for a in args.split(",") if a.strip()]))
    assert {n: a for n, a in arity.items() if len(a) > 1} == {}


def test_generated_docs_and_params_schema_are_fresh() -> None:
    from linter.docgen import outputs

    for path, expected in outputs(REPO).items():
        assert path.read_text() == expected, f"{path.name} is stale: run python -m linter.docgen"


def test_render_rules_markdown_groups_and_escapes() -> None:
    rules = [
        RuleInfo("IMG-002", "b", Severity.ERROR, "Title | pipe", "d", "r"),
        RuleInfo("RBAC-010", "a", Severity.WARNING, "T", "multi\n line", ""),
        RuleInfo("RBAC-002", "c", Severity.ERROR, "T2", "d", "r"),
    ]
    text = render_rules_markdown(rules)
    assert text.index("### RBAC-002") < text.index("### RBAC-010") < text.index("### IMG-002")
    assert "Title \\| pipe" in text
    assert "multi line" in text


# --- parameters schema -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def params_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _declared_params(rule_dir: Path) -> tuple[str, list[str]]:
    note = _package_note(rule_dir / "policy.rego")
    return note.rule_id, list(note.custom.get("params", []))


@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=lambda p: p.name)
def test_params_schema_matches_metadata(rule_dir: Path, params_schema: dict[str, Any]) -> None:
    rule_id, declared = _declared_params(rule_dir)
    props = params_schema["properties"].get(rule_id, {}).get("properties", {})
    assert sorted(props) == sorted(declared)


def test_params_schema_has_no_unknown_rules(params_schema: dict[str, Any]) -> None:
    ids = {_package_note(d / "policy.rego").rule_id for d in RULE_DIRS}
    assert set(params_schema["properties"]) <= ids


@pytest.mark.parametrize(("params", "valid"), [
    ({}, True),
    ({"IMG-003": {"disallowed_tags": ["latest"], "mutable_tag_regex": "^pr-"}}, True),
    ({"RBAC-002": {"platform_namespaces": ["flux-system"]}}, True),
    ({"IMG-003": {"disalowed_tags": ["latest"]}}, False),
    ({"IMG-003": {"disallowed_tags": "latest"}}, False),
    ({"RBAC-999": {}}, False),
    ({"ORG-001": {"anything": [1]}}, True),  # a user policy's own parameters
    ({"ORG-001": "not an object"}, False),
])
def test_params_schema_validates(params: dict[str, Any], valid: bool, params_schema: dict[str, Any]) -> None:
    errors = list(jsonschema.Draft202012Validator(params_schema).iter_errors(params))
    assert (errors == []) is valid


def test_params_schema_names_the_misspelt_key(params_schema: dict[str, Any]) -> None:
    errors = list(jsonschema.Draft202012Validator(params_schema).iter_errors({"IMG-003": {"disalowed_tags": []}}))
    assert any("disalowed_tags" in e.message for e in errors)
