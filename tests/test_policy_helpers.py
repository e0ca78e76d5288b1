"""The library's hottest helpers against plain Python statements of what they mean.

`images.parse` and the `rbac` matchers are written for the engine's speed (few function bodies,
few built-in calls), which makes them harder to read than the one-body-per-case form they replaced.
These tests hold them to that meaning on random input, in both embedded engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.rego.engine import Engine, make_engine

LIB = Path(__file__).resolve().parents[1] / "policies" / "lib"
ENGINES = ["regorus", "regopy"]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    eng = make_engine(request.param)
    for path in sorted(LIB.glob("*.rego")):
        if not path.name.endswith("_test.rego"):
            eng.add_policy(str(path), path.read_text(encoding="utf-8"))
    eng.set_data({})
    yield eng


# --- images.parse -------------------------------------------------------------------------------

def reference_parse(ref: str) -> dict[str, Any]:
    """Docker's reading: the digest follows the first `@`; the tag follows the first `:` of the last
    path segment; a first segment with a dot, a port or named localhost is a registry host."""
    name_tag, _, digest = ref.partition("@")
    segments = name_tag.split("/")
    base, _, tag = segments[-1].partition(":")
    name = "/".join([*segments[:-1], base])
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, repository = parts[0], "/".join(parts[1:])
    else:
        registry = "docker.io"
        repository = "/".join(parts) if len(parts) > 1 else f"library/{parts[0]}"
    return {"registry": registry, "repository": repository, "tag": tag, "digest": digest, "name": name,
            "normalized": f"{registry}/{repository}", "placeholder": "${" in ref}


REFS = st.text(alphabet="ab.:/@${}5l", max_size=14) | st.sampled_from([
    "nginx", "nginx:1.25", "host:5000/app", "localhost/app", "localhost:5000/a/b:c", "a@b@c", "app:",
    "reg.io/a:b/c", "ghcr.io/org/app:${TAG}", "x:1@sha256:abc", "", "/", ":", "@",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(refs=st.lists(REFS, min_size=1, max_size=25, unique=True))
def test_parse_matches_the_reference(engine: Engine, refs: list[str]) -> None:
    got = engine.eval_query("{r: data.lib.images.parse(r) | some r in input.refs}", {"refs": refs})
    assert got == {ref: reference_parse(ref) for ref in refs}


def test_parse_of_a_non_string_is_undefined(engine: Engine) -> None:
    assert engine.eval_query("[x | some r in input.refs; x := data.lib.images.parse(r)]",
                             {"refs": [1, None, {}, ["a"]]}) == []


# --- rbac.grants ---------------------------------------------------------------------------------

def _field(rule: dict[str, Any], key: str) -> list[str]:
    value = rule.get(key, [""] if key == "apiGroups" else [])
    return [s.lower() for s in value if isinstance(s, str)] if isinstance(value, list) else []


def _resource_match(granted: str, wanted: str) -> bool:
    return (granted in ("*", wanted)
            or (granted.startswith("*/") and "/" in wanted and wanted.endswith(granted[1:]))
            or (wanted.endswith("/*") and granted.startswith(wanted[:-1])))


def reference_grants(rule: dict[str, Any], groups: list[str], resources: list[str], verbs: list[str]) -> bool:
    return (any(g == "*" or g in groups for g in _field(rule, "apiGroups"))
            and any(_resource_match(r, w) for r in _field(rule, "resources") for w in resources)
            and any(v == "*" or v in verbs for v in _field(rule, "verbs")))


WORDS = ["", "*", "apps", "Apps", "pods", "pods/exec", "*/exec", "pods/*", "userextras/*", "userextras/x",
         "secrets", "get", "GET", "create", "list"]
FIELD = st.lists(st.sampled_from(WORDS) | st.integers(0, 3) | st.none(), max_size=4) | st.sampled_from([None, "get", 5, {}])
RULES = st.dictionaries(st.sampled_from(["apiGroups", "resources", "verbs"]), FIELD)
WANTED = st.lists(st.sampled_from([w for w in WORDS if w == w.lower()]), max_size=3, unique=True)
CASES = st.lists(st.tuples(RULES, WANTED, WANTED, WANTED), min_size=1, max_size=25)

# `some i, c in` inside a comprehension does not parse in regopy 1.5.2: bind i first.
_SETS = "{x | some x in c[1]}, {x | some x in c[2]}, {x | some x in c[3]}"
_GRANTS_QUERY = (
    '{"plain": [i | some i; c := input.cases[i]; data.lib.rbac.grants(c[0], ' + _SETS + ')], '
    '"normalized": [i | some i; c := input.cases[i]; n := data.lib.rbac.normalized(c[0]); '
    'data.lib.rbac.grants_normalized(n, ' + _SETS + ')]}')


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=CASES)
def test_grants_matches_the_reference(engine: Engine, cases: list[tuple[Any, ...]]) -> None:
    got = engine.eval_query(_GRANTS_QUERY, {"cases": [list(c) for c in cases]})
    want = [i for i, (rule, g, r, v) in enumerate(cases) if reference_grants(rule, g, r, v)]
    assert got == {"plain": want, "normalized": want}


RESOURCES = st.lists(st.sampled_from(["*", "pods", "pods/exec", "*/exec", "*/status", "pods/*", "nodes/status",
                                      "userextras/*", "userextras/scopes", "secrets"]), max_size=4, unique=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(st.tuples(RESOURCES, RESOURCES), min_size=1, max_size=25))
def test_resources_match_matches_the_reference(engine: Engine, cases: list[tuple[list[str], list[str]]]) -> None:
    got = engine.eval_query("[i | some i; c := input.cases[i]; data.lib.rbac.resources_match(c[0], {x | some x in c[1]})]",
                            {"cases": [list(c) for c in cases]})
    assert got == [i for i, (granted, wanted) in enumerate(cases)
                   if any(_resource_match(g, w) for g in granted for w in wanted)]
