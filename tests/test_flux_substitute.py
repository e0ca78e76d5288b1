"""Flux post-build substitution semantics (kustomize-controller docs, fluxcd/pkg/envsubst)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linter.flux.substitute import disabled, expand, substitute_obj

VALUES = {"A": "a", "EMPTY": "", "N": "3"}


@pytest.mark.parametrize(("text", "out", "undefined"), [
    ("${A}", "a", ()),
    ("x-${A}-y", "x-a-y", ()),
    ("${MISSING}", "", ("MISSING",)),  # Flux substitutes an empty string
    ("${MISSING:=dflt}", "dflt", ()),
    ("${MISSING:-dflt}", "dflt", ()),
    ("${MISSING=dflt}", "dflt", ()),
    ("${EMPTY:=dflt}", "dflt", ()),  # `:` forms treat empty as unset
    ("${EMPTY=dflt}", "", ()),
    ("${MISSING:=${A}}", "a", ()),
    ("${MISSING:=${OTHER}}", "", ("OTHER",)),
    ("$${A}", "${A}", ()),  # the escape keeps the literal
    ("$A and $MISSING", "$A and $MISSING", ()),  # only the braced form is substituted
    ("cost $$5", "cost $5", ()),
    ("${#A}", "1", ()),
    ("${A", "${A", ()),  # unterminated: left as is
    ("${}", "${}", ()),
    ("${MISSING^^}", "", ("MISSING",)),
    ("trailing $", "trailing $", ()),
])
def test_expand(text: str, out: str, undefined: tuple[str, ...]) -> None:
    result = expand(text, VALUES)
    assert (result.text, result.undefined) == (out, undefined)


@given(st.text(alphabet=st.characters(blacklist_characters="$"), max_size=50))
def test_text_without_dollar_is_unchanged(text: str) -> None:
    assert expand(text, VALUES).text == text


@given(st.text(max_size=60))
def test_expand_never_raises_and_reports_only_names(text: str) -> None:
    result = expand(text, {})
    assert all(name and all(c.isalnum() or c == "_" for c in name) for name in result.undefined)


def test_substitute_obj_retypes_plain_values_like_flux_and_reports_paths() -> None:
    obj: dict[str, Any] = {"spec": {"replicas": "${N}", "image": "nginx:${TAG}", "args": ["--x=${A}"],
                                    "note": "a: ${A}"}}
    out, undefined = substitute_obj(obj, VALUES)
    assert out == {"spec": {"replicas": 3, "image": "nginx:", "args": ["--x=a"], "note": "a: a"}}
    assert undefined == [(("spec", "image"), ("TAG",))]
    assert obj["spec"]["replicas"] == "${N}"  # the input is not modified


@pytest.mark.parametrize(("meta", "expected"), [
    ({"labels": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}, True),
    ({"annotations": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}, True),
    ({"annotations": {"kustomize.toolkit.fluxcd.io/substitute": "enabled"}}, False),
    ({}, False),
    ("not a mapping", False),
])
def test_disabled(meta: Any, expected: bool) -> None:
    assert disabled({"metadata": meta}) is expected


@pytest.mark.parametrize(("image", "name"), [
    ("nginx", "nginx"), ("nginx:1.25", "nginx"), ("registry:5000/app:1.2", "registry:5000/app"),
    ("ghcr.io/org/app@sha256:abc", "ghcr.io/org/app"), ("registry:5000/app", "registry:5000/app"),
])
def test_image_name(image: str, name: str) -> None:
    from linter.flux.origin import image_name

    assert image_name(image) == name
