"""Policy loading (files, METADATA, namespaces, ids) and batch evaluation into Problems."""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from linter.models import ConfigError, Document, EngineError, Severity, Span
from linter.rego.policies import WRAPPER_PACKAGE, PolicySet, load_policies, wrapper_module
from tests.opa_fake_server import serve

PRIVILEGED = '''# METADATA
# title: Privileged container
# description: Containers must not run privileged.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: KG-001
#   severity: warning
#   remediation: Remove securityContext.privileged.
package k8s.privileged

import rego.v1

deny contains {"msg": "container is privileged", "path": ["spec", "containers", i, "securityContext", "privileged"]} if {
	some i, c in input.spec.containers
	c.securityContext.privileged == true
}

warn contains "pod has no labels" if {
	input.kind == "Pod"
	not input.metadata.labels
}
'''

USER = '''package main

import rego.v1

deny_latest contains msg if {
	some c in input.spec.containers
	endswith(c.image, ":latest")
	msg := "image uses the latest tag"
}

violation contains {"msg": "params say no", "details": {}} if {
	data.params.main.forbid == input.metadata.name
}
'''

HELPER = "package lib.util\n\nimport rego.v1\n\nis_pod if input.kind == \"Pod\"\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def pod(index: int, *, privileged: bool = False, image: str = "nginx:1.27", labels: bool = True) -> Document:
    meta: dict[str, Any] = {"name": f"p{index}"}
    if labels:
        meta["labels"] = {"app": "x"}
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
           "spec": {"containers": [{"name": "c", "image": image, "securityContext": {"privileged": privileged}}]}}
    return Document(f"pods/{index}.yaml", 0, obj, Span.point(1))


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    return write(tmp_path / "policies", {"k8s/privileged.rego": PRIVILEGED, "user/main.rego": USER,
                                         "lib/util.rego": HELPER,
                                         "user/main_test.rego": "package main_test\n\nbroken syntax {\n",
                                         ".hidden/x.rego": "not rego at all"})


def test_metadata_becomes_rule_info(policy_dir: Path) -> None:
    ps = load_policies([policy_dir])
    info = ps.rules["KG-001"]
    assert (info.name, info.severity, info.title, info.source) == (
        "privileged-container", Severity.WARNING, "Privileged container", "policy")
    assert info.remediation == "Remove securityContext.privileged."
    assert info.related == ("https://kubernetes.io/docs/concepts/security/pod-security-standards/",)
    assert info.file.endswith("privileged.rego")
    assert (ps.rules["main"].name, ps.rules["main"].severity) == ("main", Severity.ERROR)
    assert sorted(p.name for p in ps.files) == ["main.rego", "privileged.rego", "util.rego"]


@pytest.mark.parametrize("engine", ["regorus", "regopy", "opa"])
def test_batch_evaluation(policy_dir: Path, engine: str) -> None:
    docs = [pod(0, privileged=True), pod(1, image="x:latest", labels=False), pod(2)]
    data = {"params": {"main": {"forbid": "p2"}}, "kubegate": {"resources": [d.obj for d in docs]}}
    with serve() as (url, _opa):
        ps = load_policies([policy_dir], engine=engine, opa_url=url)
        problems = ps.evaluate(docs, data)
    got = sorted((p.rule_id, p.doc.obj["metadata"]["name"] if p.doc else "", p.path, p.severity, p.message)
                 for p in problems)
    assert got == [
        ("KG-001", "p0", ("spec", "containers", 0, "securityContext", "privileged"), None,
         "container is privileged"),
        ("KG-001", "p1", (), Severity.WARNING, "pod has no labels"),
        ("main", "p1", (), None, "image uses the latest tag"),
        ("main", "p2", (), None, "params say no"),
    ]
    assert all(p.source == "policy" and p.file == p.doc.file for p in problems if p.doc)


def test_regopy_many_documents(tmp_path: Path) -> None:
    ps = load_policies([write(tmp_path, {"p.rego": USER})], engine="regopy")
    docs = [pod(i, image="x:latest" if i % 100 == 0 else "x:1") for i in range(450)]
    assert sorted(p.doc.obj["metadata"]["name"] for p in ps.evaluate(docs, {}) if p.doc) == ["p0", "p100", "p200",
                                                                                            "p300", "p400"]


def test_namespaces_select_packages(policy_dir: Path) -> None:
    ps = load_policies([policy_dir], namespaces=["k8s"])
    assert sorted(ps.rules) == ["KG-001"]
    with pytest.raises(ConfigError):
        load_policies([policy_dir], namespaces=["nope"])


@pytest.mark.parametrize(
    ("files", "file", "line"),
    [
        ({"bad.rego": "package bad\n\nimport rego.v1\n\ndeny contains x if {\n  x := \n}\n"}, "bad.rego", 6),
        ({"v0.rego": "package v0\n\ndeny[msg] {\n  msg := \"x\"\n}\n"}, "v0.rego", 3),
        ({"unsafe.rego": "package u\n\nimport rego.v1\n\ndeny contains x if {\n  y == 1\n  x := 1\n}\n"},
         "unsafe.rego", 6),
        ({"meta.rego": "# METADATA\n# title: [unclosed\npackage m\n\nimport rego.v1\n\ndeny contains 1 if false\n"},
         "meta.rego", 2),
        ({"sev.rego": "# METADATA\n# custom:\n#   severity: fatal\npackage s\n\nimport rego.v1\n\ndeny contains 1 if false\n"},
         "sev.rego", 1),
        ({"env.rego": "package e\n\nimport rego.v1\n\ndeny contains x if {\n  x := opa.runtime().env.HOME\n}\n"},
         "env.rego", 6),
    ],
)
@pytest.mark.parametrize("engine", ["regorus", "regopy"])
def test_bad_policy_is_config_error_with_position(tmp_path: Path, engine: str, files: dict[str, str],
                                                  file: str, line: int) -> None:
    with pytest.raises(ConfigError) as err:
        load_policies([write(tmp_path, files)], engine=engine)
    assert (Path(err.value.file).name, err.value.line) == (file, line)


def test_duplicate_rule_id_across_packages(tmp_path: Path) -> None:
    other = PRIVILEGED.replace("package k8s.privileged", "package k8s.other")
    with pytest.raises(ConfigError, match="KG-001"):
        load_policies([write(tmp_path, {"a.rego": PRIVILEGED, "b.rego": other})])


def test_rule_scope_metadata_gives_its_own_id(tmp_path: Path) -> None:
    source = ("package multi\n\nimport rego.v1\n\n# METADATA\n# title: No host network\n# custom:\n#   id: KG-010\n"
              "deny_host_network contains \"host network\" if input.spec.hostNetwork\n\n"
              "deny contains \"plain\" if input.plain\n")
    ps = load_policies([write(tmp_path, {"m.rego": source})])
    assert sorted(ps.rules) == ["KG-010", "multi"]
    assert ps.rules["KG-010"].name == "no-host-network"
    doc = Document("f.yaml", 0, {"spec": {"hostNetwork": True}, "plain": True}, Span.point(1))
    assert sorted(p.rule_id for p in ps.evaluate([doc], {})) == ["KG-010", "multi"]


def test_reserved_package_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="reserved"):
        load_policies([write(tmp_path, {"x.rego": f"package {WRAPPER_PACKAGE}\n\nimport rego.v1\n\n"
                                                  "deny contains 1 if false\n"})])


def test_missing_dir_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_policies([tmp_path / "absent"])


@pytest.mark.parametrize(
    "head",
    [
        'deny contains 42 if true',  # not a string or object
        'deny contains {"message": "x"} if true',  # no msg
        'deny contains {"msg": 7} if true',  # msg not a string
        'deny contains {"msg": "x", "path": "spec.x"} if true',  # path not a list
        'deny contains {"msg": "x", "path": [true]} if true',  # path element not key/index
        'deny := "not a set"',
    ],
)
@pytest.mark.parametrize("engine", ["regorus", "regopy"])
def test_malformed_results_are_engine_errors(tmp_path: Path, head: str, engine: str) -> None:
    ps = load_policies([write(tmp_path, {"bad.rego": f"package badres\n\nimport rego.v1\n\n{head}\n"})],
                       engine=engine)
    with pytest.raises(EngineError, match="badres"):
        ps.evaluate([pod(0)], {})


def test_runtime_error_is_an_engine_failure_on_that_document(tmp_path: Path) -> None:
    ps = load_policies([write(tmp_path, {"r.rego": "package r\n\nimport rego.v1\n\n"
                                                   "deny contains \"x\" if count(input.metadata.name) > 1\n"})])
    bad = Document("f.yaml", 0, {"metadata": {"name": 12345}}, Span.point(1))
    good = Document("f.yaml", 1, {"metadata": {"name": "abc"}}, Span.point(5))
    problems = ps.evaluate([bad, good], {})
    assert sorted((p.rule_id, p.doc.index) for p in problems) == [("ENGINE-001", 0), ("r", 1)]
    assert all("12345" not in p.message for p in problems)


def test_no_policies_no_problems(tmp_path: Path) -> None:
    ps = load_policies([write(tmp_path, {"lib.rego": HELPER})])
    assert (ps.rules, ps.evaluate([pod(0)], {})) == ({}, [])


def test_policy_set_pickles_without_engines(policy_dir: Path) -> None:
    ps = load_policies([policy_dir])
    ps.evaluate([pod(0)], {})
    clone = pickle.loads(pickle.dumps(ps))
    assert [p.rule_id for p in clone.evaluate([pod(0, privileged=True)], {})] == ["KG-001"]


DELEGATING = '''package org.delegating

import rego.v1

deny contains f if some f in errors(input)

errors(obj) := {"pod without labels"} if {
	obj.kind == "Pod"
	not obj.metadata.labels
}
'''


def _without_direct(ps: PolicySet) -> PolicySet:
    return dataclasses.replace(ps, targets=[dataclasses.replace(t, direct=None) for t in ps.targets], _engines={})


def _answers(ps: PolicySet, docs: list[Document]) -> list[tuple[str, str, str]]:
    return sorted((p.rule_id, p.file, p.message) for p in ps.evaluate(docs, {"params": {}}))


def test_delegating_rule_is_called_directly_with_the_same_answer(tmp_path: Path) -> None:
    ps = load_policies([write(tmp_path / "p", {"d.rego": DELEGATING})])
    assert [(t.rule, t.direct) for t in ps.targets] == [("deny", "errors")]
    assert "data.org.delegating.errors(doc)" in wrapper_module(ps.targets)
    docs = [pod(0), pod(1, labels=False)]
    assert _answers(ps, docs) == _answers(_without_direct(ps), docs) == [
        ("org.delegating", "pods/1.yaml", "pod without labels")]


@pytest.mark.parametrize("extra", [
    # errors(obj) calls a helper that reads input (through an import, or a reference to a parent package)
    {"lib/util.rego": HELPER, "d.rego": DELEGATING.replace("import rego.v1\n", "import rego.v1\n\nimport data.lib.util\n")
     .replace('obj.kind == "Pod"', 'obj.kind == "Pod"\n\tnot util.is_pod')},
    {"lib/util.rego": HELPER, "d.rego": DELEGATING.replace('obj.kind == "Pod"', 'obj.kind == "Pod"\n\tnot data.lib.util.is_pod')},
    {"lib/util.rego": HELPER, "d.rego": DELEGATING.replace('obj.kind == "Pod"', 'obj.kind == "Pod"\n\tnot data.lib["util"].is_pod')},
    {"d2.rego": "package org.delegating\n\nimport rego.v1\n\ndeny contains \"x\" if input.kind == \"Pod\"\n"},
    {"d.rego": DELEGATING.replace('obj.kind == "Pod"', 'input.kind == "Pod"')},  # errors reads input itself
])
def test_rules_that_may_read_input_keep_the_with_form(tmp_path: Path, extra: dict[str, str]) -> None:
    ps = load_policies([write(tmp_path / "p", {"d.rego": DELEGATING, **extra})])
    assert [t.direct for t in ps.targets if t.package == "org.delegating"] == [None]
    docs = [pod(0), pod(1, labels=False)]
    assert _answers(ps, docs) == _answers(_without_direct(ps), docs)


def test_bundled_library_answers_the_same_called_directly() -> None:
    from test_policy_samples import POLICIES, _documents, _evaluate

    ps = load_policies([POLICIES])
    assert all(t.direct for t in ps.targets)
    docs = _documents()
    key = lambda ps: sorted((p.rule_id, p.file, p.path, p.message) for p in _evaluate(ps, docs))  # noqa: E731
    assert key(ps) == key(_without_direct(ps))


def test_an_unreferenced_helper_reading_input_keeps_the_fast_path(tmp_path: Path) -> None:
    ps = load_policies([write(tmp_path / "p", {"d.rego": DELEGATING, "lib/util.rego": HELPER})])
    assert [t.direct for t in ps.targets] == ["errors"]


@pytest.mark.parametrize("count, jobs, expected", [
    (100, "", 1),            # forking costs more than it saves
    (1_000, "", None),       # every core (capped at 4 and at one worker per 200 documents)
    (1_000, "1", 1),
    (30_000, "", 1),         # each worker copies the run's data: one core keeps 100k under 1 GB
    (30_000, "2", 2),        # unless asked
])
def test_policy_workers(monkeypatch: pytest.MonkeyPatch, count: int, jobs: str, expected: int | None) -> None:
    from linter.rego.policies import _parallel_workers

    monkeypatch.setenv("KUBEGATE_JOBS", jobs)
    want = expected if expected is not None else max(1, min(os.cpu_count() or 1, 4, count // 200))
    assert _parallel_workers("regorus", count) == want
    assert _parallel_workers("opa", count) == 1


def test_worker_shares_balance_rules_not_documents() -> None:
    """A fleet that alternates a heavy kind and a light one: interleaving gives one worker every
    heavy document; the shares must split the work (rules called) instead, each once and in order."""
    from linter.rego.policies import Target, balanced_shares

    def target(i: int, kinds: tuple[str, ...] | None) -> Target:
        return Target(f"p{i}", ("p", str(i)), "deny", f"X-{i:03d}", None, "p.rego", kinds=kinds)

    targets = [target(i, ("Deployment",)) for i in range(20)] + [target(20, ("Service",)), target(21, None)]
    docs = [Document("a.yaml", i, {"kind": "Deployment" if i % 2 == 0 else "Service"}, Span(1, 1, 1, 1))
            for i in range(40)]
    shares = balanced_shares(targets, docs, 2)
    assert sorted(i for share in shares for i in share) == list(range(40))
    assert all(share == sorted(share) for share in shares)
    heavy = [sum(1 for i in share if i % 2 == 0) for share in shares]
    assert heavy == [10, 10]
    assert balanced_shares(targets, docs, 1) == [list(range(40))]


def test_kubegate_data_indexes_markers_by_kind_and_name() -> None:
    from linter.loader import load_bytes
    from linter.pipeline import classify, kubegate_data

    text = b"""apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  template:
    spec:
      containers:
        - name: a
          image: ghcr.io/org/web:1.0.0 # {"$imagepolicy": "flux-system:web"}
        - name: b
          image: ghcr.io/org/b:1.0.0 # {"$imagepolicy": "flux-system:b:tag"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: web}
"""
    docs = load_bytes(text, "web.yaml").documents
    for doc in docs:
        classify(doc)
    data = kubegate_data(docs, docs)
    index = data["comment_index"]
    assert set(index) == {"Deployment/web"}
    assert [data["comments"][i]["marker"] for i in index["Deployment/web"]] == ["flux-system:web", "flux-system:b"]
