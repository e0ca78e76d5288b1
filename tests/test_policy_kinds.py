"""`custom.kinds`: a rule is called only for documents of the kinds its METADATA lists.

The declaration is a promise about the rule's body, so the bundled library is held to it three ways:
dispatch changes no answer on the samples, the example and the shared corpus; a document that
triggers a rule triggers nothing once relabelled to any kind outside the declaration (the rule really
checks the kind); and `@pods` is exactly the kinds that lib.k8s finds a pod spec in.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linter.loader import load_file
from linter.models import ConfigError, Document, Problem
from linter.pipeline import classify, kubegate_data
from linter.rego.engine import make_engine
from linter.rego.metadata import KIND_GROUPS, parse_annotations
from linter.rego.policies import PolicySet, batch_input, load_policies, wrapper_module
from tests.test_policy_samples import LIBRARY_SAMPLES, RULE_SAMPLES, _sample_params

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="module")
def library() -> PolicySet:
    return load_policies([POLICIES])


def _key(p: Problem) -> tuple[Any, ...]:
    assert p.doc is not None
    return (p.rule_id, p.file, p.doc.index, p.path, p.message, p.severity)


def _load(files: list[Path]) -> list[Document]:
    docs: list[Document] = []
    for path in files:
        docs.extend(load_file(path, str(path)).documents)
    for doc in docs:
        classify(doc)
    return docs


def _inputs(docs: list[Document]) -> list[Document]:
    return [d for d in docs if d.role in ("resource", "kustomize")]


def _by_params(docs: list[Document]) -> Iterator[tuple[dict[str, Any], list[Document]]]:
    for params in sorted({_sample_params(Path(d.file)) for d in docs}):
        yield json.loads(params), [d for d in docs if _sample_params(Path(d.file)) == params]


def _both_ways(library: PolicySet, context: list[Document], inputs: list[Document],
               params: dict[str, Any]) -> tuple[list[Problem], list[Problem]]:
    data = {"params": params, "kubegate": kubegate_data(context, inputs)}
    return library.evaluate(inputs, data), library.evaluate(inputs, data, dispatch=False)


def test_every_bundled_rule_but_two_declares_its_kinds(library: PolicySet) -> None:
    # IMG-007 reads $imagepolicy markers on any kind; META-003 is about every namespaced kind.
    assert sorted(r for r, info in library.rules.items() if info.kinds is None) == ["IMG-007", "META-003"]


def test_dispatch_changes_no_answer_on_the_samples(library: PolicySet) -> None:
    docs = _load([*RULE_SAMPLES, *LIBRARY_SAMPLES])
    for params, group in _by_params(_inputs(docs)):
        fast, every = _both_ways(library, docs, group, params)
        assert every, "the samples must trigger rules, or this test proves nothing"
        assert sorted(map(_key, fast)) == sorted(map(_key, every))


@pytest.mark.parametrize("tree", ["examples", *(["corpus"] if CORPUS.is_dir() else [])])
def test_dispatch_changes_no_answer_on_real_trees(library: PolicySet, tree: str) -> None:
    root = REPO / "examples" if tree == "examples" else CORPUS
    docs = _load(sorted(p for p in root.rglob("*.y*ml") if ".github" not in p.parts))
    fast, every = _both_ways(library, docs, _inputs(docs), {})
    assert len(every) > 10
    assert sorted(map(_key, fast)) == sorted(map(_key, every))


def _universe() -> set[str]:
    """Every kind the bundled Kubernetes schemas define, and every kind the library names."""
    from linter.schema.registry import kubernetes_schema_root, resolve_version

    root = kubernetes_schema_root()
    assert root is not None
    directory = next(d for d in root.iterdir() if d.name.startswith(f"v{resolve_version(None)}"))
    definitions = json.loads((directory / "_definitions.json").read_text())
    kinds: set[str] = set()
    for definition in definitions.get("$defs", definitions.get("definitions", {})).values():
        for gvk in definition.get("x-kubernetes-group-version-kind", ()):
            kinds.add(gvk["kind"])
    policy = load_policies([POLICIES])
    for info in policy.rules.values():
        kinds |= set(info.kinds or ())
    return kinds | {"Component", "SealedSecret", "ExternalSecret", "ClusterExternalSecret"}


def test_a_rule_fires_for_no_undeclared_kind(library: PolicySet) -> None:
    """Relabel every document a rule reports on to each kind outside the rule's `kinds`: the rule
    must go quiet, or its body does not check what its METADATA promises."""
    docs = _load([*RULE_SAMPLES, *LIBRARY_SAMPLES])
    universe = _universe()
    checked = 0
    for params, group in _by_params(_inputs(docs)):
        _fast, every = _both_ways(library, docs, group, params)
        for target in library.targets:
            if target.kinds is None:
                continue
            hit_docs = {id(p.doc): p.doc for p in every if p.rule_id == target.rule_id and p.doc is not None}
            mutants = [dataclasses.replace(d, obj={**d.obj, "kind": kind})
                       for d in hit_docs.values() for kind in sorted(universe - set(target.kinds))]
            if not mutants:
                continue
            one = dataclasses.replace(library, targets=[target], _engines={})
            data = {"params": params, "kubegate": kubegate_data(docs, group)}
            wrong = [(p.doc.kind, p.message) for p in one.evaluate(mutants, data, dispatch=False) if p.doc]
            assert wrong == [], f"{target.rule_id} ({target.rule}) fires for undeclared kinds"
            checked += len(mutants)
    assert checked > 1000


def test_pods_group_is_what_lib_k8s_reads_pod_specs_from() -> None:
    engine = make_engine("regorus")
    engine.add_policy("k8s.rego", (POLICIES / "lib" / "k8s.rego").read_text())
    engine.add_policy("probe.rego", "package probe\n\nimport rego.v1\n\n"
                      "kinds contains k if {\n\tsome k in input.kinds\n"
                      "\tdata.lib.k8s.pod_spec_path({\"kind\": k})\n}\n")
    universe = sorted(_universe())
    assert set(engine.eval_query("data.probe.kinds", {"kinds": universe})) == set(KIND_GROUPS["@pods"])


# --- the mechanism, on policies written for the test ------------------------------------------------

EVERYTHING = """# METADATA
# custom:
#   id: T-001
#   kinds: [ConfigMap, "@pods"]
package t.everything

import rego.v1

deny contains msg if msg := concat("", ["saw ", input.kind])
"""

UNTYPED = """# METADATA
# custom:
#   id: T-002
package t.untyped

import rego.v1

deny contains msg if {
\tinput.kind == "Service"
\tmsg := "a service"
}
"""


def _docs(*kinds: str) -> list[Document]:
    from linter.models import Span

    return [Document("f.yaml", i, {"apiVersion": "v1", "kind": k, "metadata": {"name": f"n{i}"}}, Span.point(1))
            for i, k in enumerate(kinds)]


def _policy(tmp_path: Path, **modules: str) -> PolicySet:
    for name, source in modules.items():
        (tmp_path / f"{name}.rego").write_text(source)
    return load_policies([tmp_path])


@pytest.mark.parametrize("engine", ["regorus", "regopy"])
def test_a_rule_is_called_only_for_its_kinds(tmp_path: Path, engine: str) -> None:
    if engine == "regopy":
        pytest.importorskip("regopy")
    for name, source in {"everything": EVERYTHING, "untyped": UNTYPED}.items():
        (tmp_path / f"{name}.rego").write_text(source)
    policies = load_policies([tmp_path], engine=engine)
    problems = policies.evaluate(_docs("Service", "ConfigMap", "Deployment", "Secret", "CronJob"), {})
    found = sorted((p.rule_id, p.message) for p in problems)
    assert found == [("T-001", "saw ConfigMap"), ("T-001", "saw CronJob"), ("T-001", "saw Deployment"),
                     ("T-002", "a service")]
    # The body alone decides without dispatch: the declaration above is deliberately a lie.
    every = policies.evaluate(_docs("Secret"), {}, dispatch=False)
    assert [(p.rule_id, p.message) for p in every] == [("T-001", "saw Secret")]


def test_kinds_reach_targets_rules_and_the_index_cache(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "everything.rego").write_text(EVERYTHING)
    cold = load_policies([tmp_path / "p"], cache_dir=tmp_path / "cache")
    warm = load_policies([tmp_path / "p"], cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").glob("policies-*.json"))
    for policies in (cold, warm):
        assert policies.targets[0].kinds == ("ConfigMap", *KIND_GROUPS["@pods"])
        assert policies.rules["T-001"].kinds == ("ConfigMap", *KIND_GROUPS["@pods"])
        assert policies.package_refs is not None and "t.everything" in policies.package_refs
    assert cold.targets == warm.targets and cold.rules == warm.rules


def test_wrapper_iterates_a_kind_group_and_input_lists_its_documents(tmp_path: Path) -> None:
    policies = _policy(tmp_path, everything=EVERYTHING, untyped=UNTYPED)
    wrapper = wrapper_module(policies.targets)
    assert "some i in input.sel[0]" in wrapper
    assert wrapper.count("some i, doc in docs\n") == 1  # the kind-less rule still sees every document
    objs = [d.obj for d in _docs("Service", "ConfigMap", "Job")]
    assert batch_input(policies.targets, objs)["sel"] == [[1, 2]]
    assert batch_input(policies.targets, objs, dispatch=False)["sel"] == [[0, 1, 2]]


def test_documents_that_are_run_resources_travel_as_indexes(tmp_path: Path) -> None:
    policies = _policy(tmp_path, everything=EVERYTHING, untyped=UNTYPED)
    docs = _docs("Service", "ConfigMap", "Job")
    resources = [{"kind": "Other"}, docs[2].obj, docs[0].obj]
    sent = batch_input(policies.targets, [d.obj for d in docs], shared=resources)
    assert sent["refs"] == [2, -1, 1] and sent["docs"] == [None, docs[1].obj, None]
    # An equal object that is not the same one travels whole: only identity proves it is the same.
    copy = batch_input(policies.targets, [dict(docs[0].obj)], shared=resources)
    assert copy["refs"] == [-1]
    shared = policies.evaluate(docs, {"kubegate": {"resources": resources}})
    apart = policies.evaluate(docs, {"kubegate": {"resources": json.loads(json.dumps(resources))}})
    assert sorted(map(_key, shared)) == sorted(map(_key, apart))
    assert sorted(p.message for p in shared) == ["a service", "saw ConfigMap", "saw Job"]


def test_packages_no_document_needs_are_not_compiled(tmp_path: Path) -> None:
    helper = "package t.helper\n\nimport rego.v1\n\nsuffix := \"!\"\n"
    user = EVERYTHING.replace('concat("", ["saw ", input.kind])', 'concat("", ["saw ", input.kind, data.t.helper.suffix])')
    policies = _policy(tmp_path, everything=user, untyped=UNTYPED, helper=helper)
    services = policies.applicable(_docs("Service"))
    assert [t.rule_id for t in services] == ["T-002"]
    compiled = {Path(f).stem for f in policies.modules_for(services)}
    assert compiled == {"untyped", "helper"}  # a package that defines no policy rule is always kept
    assert {Path(f).stem for f in policies.modules_for(policies.applicable(_docs("Pod")))} == {
        "everything", "untyped", "helper"}
    found = [(p.rule_id, p.message) for p in policies.evaluate(_docs("Service", "Pod"), {})]
    assert sorted(found) == [("T-001", "saw Pod!"), ("T-002", "a service")]


def test_a_referenced_rule_package_is_compiled_with_its_referrer(tmp_path: Path) -> None:
    reuse = UNTYPED.replace("T-002", "T-003").replace("t.untyped", "t.reuse").replace(
        'msg := "a service"', 'some msg in data.t.everything.deny')
    policies = _policy(tmp_path, everything=EVERYTHING, reuse=reuse)
    services = policies.applicable(_docs("Service"))
    assert [t.rule_id for t in services] == ["T-003"]
    assert {Path(f).stem for f in policies.modules_for(services)} == {"everything", "reuse"}


@pytest.mark.parametrize("kinds, why", [
    ("Deployment", "non-empty list"),
    ("[]", "non-empty list"),
    ("[apps/v1 Deployment]", "neither a kind name nor a group"),
    ('["@workloads"]', "neither a kind name nor a group"),
    ("[1]", "neither a kind name nor a group"),
])
def test_malformed_kinds_are_a_config_error_at_the_block(kinds: str, why: str) -> None:
    source = f"# METADATA\n# custom:\n#   id: T-009\n#   kinds: {kinds}\npackage t\n"
    with pytest.raises(ConfigError, match=why) as info:
        parse_annotations("p.rego", source)
    assert (info.value.file, info.value.line) == ("p.rego", 1)


def test_declared_kinds_are_documented(library: PolicySet) -> None:
    text = (REPO / "docs" / "rules.md").read_text()
    assert "*Applies to:* ClusterRoleBinding, RoleBinding" in text
