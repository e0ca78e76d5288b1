"""The pure parts of HelmRelease rendering: version constraints, values composition, tracing values."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linter.helm.locate import ValuesLocator
from linter.helm.render import is_test_hook, release_name
from linter.helm.semver import ConstraintError, best
from linter.helm.values import compose, merge, object_data, set_path
from linter.models import Document, Location, Span

VERSIONS = ["1.0.0", "1.2.3", "1.2.9", "1.3.0", "2.0.0", "2.1.0-rc.1", "0.2.5", "0.3.1", "v3.7.1", "3.7.0", "oops"]


@pytest.mark.parametrize(("constraint", "chosen"), [
    ("*", "v3.7.1"), ("", "v3.7.1"), ("1.2.3", "1.2.3"), (">=1.0 <2.0", "1.3.0"), (">=1.0, <1.3", "1.2.9"),
    ("~1.2", "1.2.9"), ("^1.2", "1.3.0"), ("1.x", "1.3.0"), ("1.2.*", "1.2.9"), ("1.0 - 1.2.5", "1.2.3"),
    ("^0.2", "0.2.5"), ("^2", "2.0.0"), ("<=1.2", "1.2.9"), ("1.2.x || 3.x", "v3.7.1"), ("!=3.7.1", "3.7.0"),
    (">=2.1.0-0 <2.2", "2.1.0-rc.1"), ("9.x", None),
])
def test_semver_picks_the_newest_match_like_flux(constraint: str, chosen: str | None) -> None:
    assert best(constraint, VERSIONS) == chosen


def test_a_prerelease_needs_a_constraint_that_names_one() -> None:
    assert best(">=2.0.0", ["2.0.0", "2.1.0-rc.1"]) == "2.0.0"


def test_a_malformed_constraint_is_an_error_not_a_guess() -> None:
    with pytest.raises(ConstraintError):
        best("latest", VERSIONS)


def _lookup(objects: dict[tuple[str, str], dict[str, str]]):  # type: ignore[no-untyped-def]
    return lambda kind, _ns, name: objects.get((kind, name))


def test_values_compose_in_helm_controllers_order() -> None:
    spec = {
        "valuesFrom": [
            {"kind": "ConfigMap", "name": "base"},
            {"kind": "Secret", "name": "creds", "valuesKey": "token", "targetPath": "auth.token"},
            {"kind": "ConfigMap", "name": "absent", "optional": True},
            {"kind": "ConfigMap", "name": "gone"},
        ],
        "values": {"image": {"tag": "2.0"}, "replicas": 3},
    }
    objects = {("ConfigMap", "base"): {"values.yaml": "image: {repository: r, tag: '1.0'}\nreplicas: 1\n"},
               ("Secret", "creds"): {"token": "s3cr3t"}}
    out = compose(spec, "apps", _lookup(objects), [{"image": {"pullPolicy": "Always"}}])
    assert out.values == {"image": {"repository": "r", "tag": "2.0", "pullPolicy": "Always"}, "replicas": 3,
                          "auth": {"token": "s3cr3t"}}
    assert out.missing == ["ConfigMap gone"]  # optional ones are skipped silently, as Flux does


def test_values_that_are_not_a_mapping_are_a_problem() -> None:
    out = compose({"valuesFrom": [{"kind": "ConfigMap", "name": "x"}]}, "a",
                  _lookup({("ConfigMap", "x"): {"values.yaml": "- a list\n"}}))
    assert out.problems == ["ConfigMap x key values.yaml: not a YAML mapping"]


@pytest.mark.parametrize(("path", "expected"), [
    ("a", {"a": "v"}), ("a.b.c", {"a": {"b": {"c": "v"}}}), ("list[1]", {"list": [None, "v"]}),
    ("a\\.b", {"a.b": "v"}), ("x[0].y", {"x": [{"y": "v"}]}),
])
def test_target_path_is_helm_set_syntax(path: str, expected: dict[str, Any]) -> None:
    assert set_path({}, path, "v") == expected


@pytest.mark.parametrize("path", ["", "a..b", "a[", "a[99999]"])
def test_a_bad_target_path_is_refused(path: str) -> None:
    with pytest.raises(ValueError):
        set_path({}, path, "v")


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                     max_leaves=15)


@given(st.dictionaries(st.text(max_size=4), _JSON, max_size=4), st.dictionaries(st.text(max_size=4), _JSON,
                                                                                  max_size=4))
def test_merge_keeps_every_key_and_the_later_scalars(a: dict[str, Any], b: dict[str, Any]) -> None:
    out = merge(a, b)
    assert set(out) == set(a) | set(b)
    assert all(out[k] == v for k, v in b.items() if not isinstance(v, dict))


def test_secret_data_is_decoded_and_string_data_wins() -> None:
    obj = {"kind": "Secret", "data": {"a": base64.b64encode(b"x: 1").decode(), "bad": "%%"},
           "stringData": {"a": "x: 2"}}
    assert object_data(obj) == {"a": "x: 2"}


def test_release_names_follow_helm_controller() -> None:
    assert release_name("web", {}) == "web"
    assert release_name("web", {"targetNamespace": "prod"}) == "prod-web"
    assert release_name("web", {"releaseName": "site", "targetNamespace": "prod"}) == "site"
    long = release_name("a" * 60, {})
    assert len(long) == 53 and long.startswith("a" * 40 + "-")


def test_only_test_hooks_are_dropped() -> None:
    assert is_test_hook({"metadata": {"annotations": {"helm.sh/hook": "test"}}})
    assert is_test_hook({"metadata": {"annotations": {"helm.sh/hook": "pre-install, test-success"}}})
    assert not is_test_hook({"metadata": {"annotations": {"helm.sh/hook": "pre-install"}}})


def _hr(values: dict[str, Any]) -> Document:
    obj = {"kind": "HelmRelease", "spec": {"chart": {"spec": {}}, "values": values}}
    return Document(file="hr.yaml", index=0, obj=obj, span=Span.point(1),
                    locator=lambda path, key: Location("hr.yaml", Span.point(len(path)), True))


def test_a_value_is_traced_to_the_values_that_set_it() -> None:
    hr = _hr({"image": {"tag": "1.0"}, "securityContext": {"privileged": True}, "name": "web"})
    rendered = {"spec": {"containers": [{"image": "ghcr.io/a:1.0", "securityContext": {"privileged": True}}]}}
    loc = ValuesLocator(rendered, hr, ("spec", "values"), ("spec", "chart"))
    containers: tuple[Any, ...] = ("spec", "containers", 0)
    assert loc.trace((*containers, "image")) == ("image", "tag")
    assert loc.trace((*containers, "securityContext", "privileged")) == ("securityContext", "privileged")
    assert loc.trace((*containers, "securityContext", "runAsNonRoot")) == ("securityContext",)  # its block
    assert loc.trace(("spec", "hostNetwork")) is None  # the chart's, not the values'
    assert not loc.traced(("spec", "hostNetwork"))
