"""Every policy's sample manifests, evaluated by the real loader and policy adapter on both engines.

`samples/disallowed-*.yaml` must produce their rule, on the line marked `# expect: RULE-ID`;
`samples/allowed-*.yaml` must not produce it. policies/samples/ holds library-wide samples: a hardened,
digest-pinned workload must produce no error from any rule. Both engines must agree exactly.
All sample documents are also `data.kubegate.resources`, so cross-resource rules see them (sample
objects therefore use distinct names). A rule that is off until configured takes its parameters from
the sample's `# sample-params: {JSON}` line; such a sample is evaluated with exactly those parameters.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from linter.loader import load_file
from linter.models import Document, Problem, Severity
from linter.pipeline import kubegate_data
from linter.rego.metadata import parse_annotations
from linter.rego.policies import PolicySet, load_policies

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
RULE_SAMPLES = sorted(POLICIES.glob("*/*/samples/*.yaml"))
LIBRARY_SAMPLES = sorted((POLICIES / "samples").glob("*.yaml"))
EXPECT = re.compile(r"#\s*expect:\s*([A-Z]+-\d{3}(?:\s*,\s*[A-Z]+-\d{3})*)")
SAMPLE_PARAMS = re.compile(r"^#\s*sample-params:\s*(\{.*\})\s*$", re.MULTILINE)


class Hit(NamedTuple):
    rule_id: str
    line: int
    path: tuple[str | int, ...]
    message: str
    severity: Severity


def _rule_id(sample: Path) -> str:
    policy = sample.parent.parent / "policy.rego"
    note = next(a for a in parse_annotations(str(policy), policy.read_text()) if a.scope == "package")
    return note.rule_id


def _expected(sample: Path) -> set[tuple[str, int]]:
    found = set()
    for number, line in enumerate(sample.read_text().splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            found |= {(rule.strip(), number) for rule in match.group(1).split(",")}
    return found


def _documents() -> list[Document]:
    docs: list[Document] = []
    for sample in [*RULE_SAMPLES, *LIBRARY_SAMPLES]:
        result = load_file(sample, str(sample))
        assert result.problems == [], f"{sample}: {[p.message for p in result.problems]}"
        docs.extend(result.documents)
    return docs


def _hit(policies: PolicySet, problem: Problem) -> Hit:
    assert problem.doc is not None
    location = problem.doc.locate(problem.path)
    assert location.exact, f"{problem.rule_id}: path {problem.path} does not exist in {problem.file}"
    severity = problem.severity or policies.rules[problem.rule_id].severity
    return Hit(problem.rule_id, location.span.line, problem.path, problem.message, severity)


def _sample_params(sample: Path) -> str:
    match = SAMPLE_PARAMS.search(sample.read_text())
    return json.dumps(json.loads(match.group(1)), sort_keys=True) if match else "{}"


def _evaluate(policies: PolicySet, docs: list[Document]) -> list[Problem]:
    """Each group of samples with the same parameters in one batch; every sample is context for all."""
    problems: list[Problem] = []
    for params in sorted({_sample_params(Path(d.file)) for d in docs}):
        inputs = [d for d in docs if _sample_params(Path(d.file)) == params]
        data: dict[str, Any] = {"params": json.loads(params), "kubegate": kubegate_data(docs, inputs)}
        problems.extend(policies.evaluate(inputs, data))
    return problems


@functools.cache
def _answers(engine: str) -> tuple[PolicySet, list[Problem]]:
    """Each engine evaluates the samples once per session (regopy needs ~40 s for them)."""
    policies = load_policies([POLICIES], engine=engine)
    return policies, _evaluate(policies, _documents())


@pytest.fixture(scope="module", params=["regorus", "regopy"])
def hits(request: pytest.FixtureRequest) -> dict[str, set[Hit]]:
    if request.param == "regopy":
        pytest.importorskip("regopy")
    policies, problems = _answers(request.param)
    by_file: dict[str, set[Hit]] = {str(s): set() for s in [*RULE_SAMPLES, *LIBRARY_SAMPLES]}
    for problem in problems:
        by_file[problem.file].add(_hit(policies, problem))
    return by_file


def _samples(prefix: str) -> Iterator[Path]:
    return (s for s in RULE_SAMPLES if s.name.startswith(prefix))


@pytest.mark.parametrize("sample", list(_samples("disallowed-")), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_disallowed_sample_fires_on_marked_line(sample: Path, hits: dict[str, set[Hit]]) -> None:
    expected = _expected(sample)
    assert _rule_id(sample) in {rule for rule, _line in expected}, "mark the offending line `# expect: ID`"
    found = {(h.rule_id, h.line) for h in hits[str(sample)]}
    assert expected <= found, f"missing {sorted(expected - found)}; found {sorted(found)}"


@pytest.mark.parametrize("sample", list(_samples("allowed-")), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_allowed_sample_is_clean_for_its_rule(sample: Path, hits: dict[str, set[Hit]]) -> None:
    rule = _rule_id(sample)
    assert [h for h in hits[str(sample)] if h.rule_id == rule] == []


@pytest.mark.parametrize("sample", LIBRARY_SAMPLES, ids=lambda p: p.name)
def test_library_samples(sample: Path, hits: dict[str, set[Hit]]) -> None:
    found = hits[str(sample)]
    if sample.name.startswith("allowed-"):
        assert sorted(h for h in found if h.severity is Severity.ERROR) == []
    expected = _expected(sample)
    assert expected <= {(h.rule_id, h.line) for h in found}


def test_engines_agree() -> None:
    pytest.importorskip("regopy")
    answers = []
    for engine in ("regorus", "regopy"):
        _policies, problems = _answers(engine)
        answers.append(sorted((p.rule_id, p.file, p.doc.index if p.doc else -1, p.path, p.message,
                               str(p.severity)) for p in problems))
    assert answers[0] == answers[1]


def test_messages_never_quote_sample_values(hits: dict[str, set[Hit]]) -> None:
    # Canary values planted in samples (env values, secret data) must never reach a message.
    canaries = ("hunter2", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "c3VwZXJzZWNyZXQ")
    leaked = [h for found in hits.values() for h in found if any(c in h.message for c in canaries)]
    assert leaked == []
