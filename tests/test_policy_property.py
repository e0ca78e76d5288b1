"""Property: no document, however malformed, makes the bundled library fail inside an engine.

Documents come from tests/policy_fuzz.py (every sample of the library and a template for every
kind a rule declares, mutated where rules look: nulls, empty lists and maps, wrong scalar types,
missing and unexpected keys, second list items, schema-invalid shapes). regorus evaluates each
generated fleet as a run would (hypothesis shrinks a failure to a minimal document); regopy gets the
same examples in one batched query, bisected on failure (regopy costs ~0.4 s per query).

Bounded for the normal suite (deterministic: `derandomize`); a longer run by hand:
`KUBEGATE_HYPOTHESIS_EXAMPLES=2000 pytest tests/test_policy_property.py`.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.policy_fuzz import Seed, Worker, declared_kinds, field_names, fleets, seed_documents

EXAMPLES = int(os.environ.get("KUBEGATE_HYPOTHESIS_EXAMPLES", "60"))
SEEDS = seed_documents()
KEYS = field_names()
FLEETS = fleets(SEEDS, KEYS)
PROPERTY = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def regorus_worker() -> Iterator[Worker]:
    worker = Worker("regorus")
    yield worker
    worker.close()


def test_seeds_cover_every_declared_kind() -> None:
    seeded = {s.obj.get("kind") for s in SEEDS}
    assert declared_kinds() - seeded == set()
    assert any(s.file.endswith("kustomization.yaml") for s in SEEDS)


def _describe(fleet: list[Seed], failures: list[tuple[int, int, str]]) -> str:
    docs = [json.dumps(s.obj, default=str)[:600] for s in fleet]
    return f"{failures}\ndocuments: {docs}"


@given(fleet=FLEETS)
@PROPERTY
def test_bundled_library_never_fails_in_regorus(regorus_worker: Worker, fleet: list[Seed]) -> None:
    failures = regorus_worker.run([fleet])
    assert failures == [], _describe(fleet, failures)


def _examples(count: int) -> list[list[Seed]]:
    """The first `count` fleets hypothesis generates with the settings above (deterministic)."""
    drawn: list[list[Seed]] = []

    @given(st.data())
    @settings(PROPERTY, max_examples=count)
    def collect(data: st.DataObject) -> None:
        drawn.append(data.draw(FLEETS))

    collect()
    return drawn


_CRASHING = """package fuzz.crash

import rego.v1

deny contains msg if some msg in errors(input)

errors(obj) := {msg |
	some c in obj.spec.template.spec.containers
	msg := lower(c.name)
}
"""


@pytest.mark.parametrize("engine", ["regorus", "regopy"])
def test_workers_report_an_engine_failure(tmp_path: Path, engine: str) -> None:
    # The property can fail: a rule that calls lower() on a container name that is not a string.
    if engine == "regopy":
        pytest.importorskip("regopy")
    (tmp_path / "crash.rego").write_text(_CRASHING)
    deployment = next(s for s in SEEDS if s.obj.get("kind") == "Deployment")
    bad = copy.deepcopy(deployment.obj)
    bad["spec"]["template"]["spec"]["containers"][0]["name"] = 5
    worker = Worker(engine, extra_policies=tmp_path)
    try:
        failures = worker.run([[deployment], [deployment, Seed(deployment.file, bad)]])
    finally:
        worker.close()
    assert [(f, d) for f, d, _msg in failures] == [(1, 1)]
    assert "lower" in failures[0][2] or engine == "regopy"


def test_bundled_library_never_fails_in_regopy() -> None:
    pytest.importorskip("regopy")
    examples = _examples(EXAMPLES)
    worker = Worker("regopy")
    try:
        failures = worker.run(examples)
    finally:
        worker.close()
    described = [(f, d, msg, json.dumps(examples[f][d].obj, default=str)[:600] if f >= 0 and d >= 0 else "")
                 for f, d, msg in failures]
    assert failures == [], described
