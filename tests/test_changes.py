"""linter.changes: change sets by resource identity, and the structural deep diff."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linter import changes
from linter.gitutil import ChangedFile

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: envoy:1.0
        - name: web
          image: web:{tag}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: apps
spec:
  ports:
    - port: 80
"""


def compute(base: dict[str, str], head: dict[str, str], files: list[ChangedFile]) -> changes.ChangeSet:
    return changes.compute(files, lambda p: base[p].encode() if p in base else None,
                           lambda p: head[p].encode() if p in head else None)


def summary(cs: changes.ChangeSet) -> list[tuple[str, str, str, list[str]]]:
    return [(r.status, r.kind, r.name, r.changed_paths) for r in cs.resources]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ({"a": 1}, {"a": 1}, []),
    ({"a": 1}, {"a": 2}, [("replace", ("a",))]),
    ({"a": 1}, {"a": True}, [("replace", ("a",))]),  # 1 == True in Python, not to Kubernetes
    ({"a": {"b": 1}}, {"a": {"b": 1, "c": {"d": 1}}}, [("add", ("a", "c"))]),
    ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}}, [("remove", ("a", "c"))]),
    ({"l": [1, 2]}, {"l": [1, 3, 4]}, [("replace", ("l", 1)), ("add", ("l", 2))]),
    ({"l": [1, 2, 3]}, {"l": [1]}, [("remove", ("l", 1)), ("remove", ("l", 2))]),
    # Named items match by name: a reorder is no change; a changed item keeps its head index.
    ({"c": [{"name": "a", "image": "x"}, {"name": "b"}]}, {"c": [{"name": "b"}, {"name": "a", "image": "y"}]},
     [("replace", ("c", 1, "image"))]),
    ({"c": [{"name": "a"}, {"name": "b"}]}, {"c": [{"name": "b"}]}, [("remove", ("c", 0))]),
    ({"c": [{"name": "a"}]}, {"c": [{"name": "a"}, {"name": "z"}]}, [("add", ("c", 1))]),
    ({"a": [1]}, {"a": {"x": 1}}, [("replace", ("a",))]),
])
def test_diff(old: Any, new: Any, expected: list[tuple[str, tuple[Any, ...]]]) -> None:
    assert [(c.op, c.path) for c in changes.diff(old, new)] == expected


def test_removed_named_item_points_at_its_head_parent() -> None:
    [change] = changes.diff({"c": [{"name": "a"}, {"name": "b"}]}, {"c": [{"name": "b"}]})
    assert (change.path, change.at) == (("c", 0), ("c",))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    max_leaves=12,
)


@given(json_values, json_values)
def test_diff_is_empty_exactly_when_equal(old: Any, new: Any) -> None:
    same = _typed(old) == _typed(new)
    assert (list(changes.diff(old, new)) == []) == same


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_typed(v) for v in value]
        return sorted(items, key=repr) if _all_named(value) else items
    return (type(value).__name__, value)


def _all_named(items: list[Any]) -> bool:
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return bool(items) and len(names) == len(items) and all(isinstance(n, str) for n in names) \
        and len(set(names)) == len(names)


def test_image_bump_is_one_path() -> None:
    cs = compute({"d.yaml": DEPLOY.format(tag="1")}, {"d.yaml": DEPLOY.format(tag="2")},
                 [ChangedFile("modified", "d.yaml", "d.yaml")])
    assert summary(cs) == [("modified", "Deployment", "web", ["/spec/template/spec/containers/1/image"])]
    [r] = cs.resources
    assert r.head is not None and r.head.locate(r.changes[0].at).span.line == 13


def test_moved_resource_is_modified_not_deleted_and_added() -> None:
    base = {"all.yaml": DEPLOY.format(tag="1") + "---\n" + SERVICE}
    head = {"all.yaml": SERVICE, "web/deploy.yaml": DEPLOY.format(tag="1")}
    cs = compute(base, head, [ChangedFile("modified", "all.yaml", "all.yaml"),
                              ChangedFile("added", "web/deploy.yaml", "")])
    assert summary(cs) == [("modified", "Deployment", "web", [])]
    [r] = cs.resources
    assert (r.base.file if r.base else "", r.head.file if r.head else "") == ("all.yaml", "web/deploy.yaml")


def test_added_deleted_and_renamed() -> None:
    renamed = SERVICE.replace("name: web", "name: web-svc")
    base = {"a.yaml": DEPLOY.format(tag="1") + "---\n" + SERVICE}
    head = {"a.yaml": renamed + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"}
    cs = compute(base, head, [ChangedFile("modified", "a.yaml", "a.yaml")])
    assert sorted(summary(cs)) == [
        ("added", "ConfigMap", "cm", [""]),
        ("deleted", "Deployment", "web", [""]),
        ("renamed", "Service", "web-svc", ["/metadata/name"]),
    ]


def test_same_identity_in_two_files_pairs_within_each_file() -> None:
    # A kustomize patch repeats its target's identity; each must be compared with itself.
    patch_old = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: apps\n"
                 "spec:\n  replicas: 1\n")
    patch_new = patch_old.replace("replicas: 1", "replicas: 3")
    base = {"base/d.yaml": DEPLOY.format(tag="1"), "overlay/patch.yaml": patch_old}
    head = {"base/d.yaml": DEPLOY.format(tag="1"), "overlay/patch.yaml": patch_new}
    cs = compute(base, head, [ChangedFile("modified", "overlay/patch.yaml", "overlay/patch.yaml")])
    assert summary(cs) == [("modified", "Deployment", "web", ["/spec/replicas"])]


def test_kustomization_and_renamed_file() -> None:
    old = "resources:\n  - d.yaml\nimages:\n  - name: web\n    newTag: '1'\n"
    cs = compute({"old/kustomization.yaml": old}, {"new/kustomization.yaml": old.replace("'1'", "'2'")},
                 [ChangedFile("renamed", "new/kustomization.yaml", "old/kustomization.yaml")])
    assert summary(cs) == [("modified", "Kustomization", "", ["/images/0/newTag"])]


def test_unparseable_and_non_yaml_files_are_opaque() -> None:
    cs = compute({"a.yaml": "a: 1\n", "run.sh": "echo"}, {"a.yaml": "a: [\n", "run.sh": "rm -rf"},
                 [ChangedFile("modified", "a.yaml", "a.yaml"), ChangedFile("modified", "run.sh", "run.sh")])
    assert [c.path for c in cs.opaque] == ["a.yaml", "run.sh"]
    assert cs.resources == []


def test_policy_data_record() -> None:
    cs = compute({"d.yaml": DEPLOY.format(tag="1")}, {"d.yaml": DEPLOY.format(tag="2")},
                 [ChangedFile("modified", "d.yaml", "d.yaml")])
    [record] = cs.to_data()
    assert {k: record[k] for k in ("kind", "apiVersion", "namespace", "name", "status", "changed_paths")} == {
        "kind": "Deployment", "apiVersion": "apps/v1", "namespace": "apps", "name": "web",
        "status": "modified",
        "changed_paths": ["/spec/template/spec/containers/1/image"]}
    assert record["base"]["spec"]["template"]["spec"]["containers"][1]["image"] == "web:1"
