"""Redaction of secret values from policy messages, with planted canaries (raw and base64 forms)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linter.redact import REDACTED, redact, secret_values

CANARY = "kg-canary-7f3a9c"
B64 = base64.b64encode(CANARY.encode()).decode()
DOCKER = base64.b64encode(json.dumps(
    {"auths": {"r.io": {"auth": base64.b64encode(f"bot:{CANARY}".encode()).decode()}}}).encode()).decode()


def secret(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, **fields}


def deployment(env: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x", "env": env}]}}}}


@pytest.mark.parametrize("doc", [
    secret(data={"password": B64}),
    secret(stringData={"password": CANARY}),
    secret(stringData={"config.env": f"USER=bot\nPASSWORD={CANARY}\n"}),
    secret(data={".dockerconfigjson": DOCKER}),
    deployment([{"name": "DB_PASSWORD", "value": CANARY}]),
    deployment([{"name": "API_TOKEN", "value": CANARY}]),
    {"kind": "HelmRelease", "spec": {"values": {"auth": {"adminPassword": CANARY}}}},
    {"kind": "HelmRelease", "spec": {"values": {"minio": {"secretKey": CANARY}}}},  # a value outside ESO kinds
])
def test_canary_is_redacted(doc: dict[str, Any]) -> None:
    secrets = secret_values(doc)
    out = redact(f"container c leaks {CANARY} as {B64}", secrets)
    assert CANARY not in out and REDACTED in out
    if B64 in secrets or CANARY in secrets and doc.get("stringData", {}).get("password"):
        assert B64 not in out  # a Secret holding the value whole: its base64 form is redacted too


@pytest.mark.parametrize(("doc", "kept"), [
    (deployment([{"name": "LOG_LEVEL", "value": "debug-verbose"}]), "debug-verbose"),
    ({"kind": "Deployment", "spec": {"volumes": [{"secret": {"secretName": "db-creds"}}]}}, "db-creds"),
    ({"kind": "ConfigMap", "data": {"password": "ab"}}, "ab"),  # too short to redact safely
    # issue 10: an ExternalSecret's name became '<redacted>-api-key' (remoteRef.key is a store entry's name)
    ({"kind": "ExternalSecret", "metadata": {"name": "myapp-api-key"},
      "spec": {"data": [{"secretKey": "api-key", "remoteRef": {"key": "myapp", "property": "api_key"}}],
               "dataFrom": [{"extract": {"key": "myapp"}}]}}, "ExternalSecret 'myapp-api-key'"),
    (deployment([{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password-main"}}}]),
     "password-main"),
])
def test_ordinary_values_are_kept(doc: dict[str, Any], kept: str) -> None:
    assert redact(f"volume {kept} is fine", secret_values(doc)) == f"volume {kept} is fine"


def test_longest_secret_first() -> None:
    assert redact("x hunter2hunter2 y", {"hunter2", "hunter2hunter2"}) == f"x {REDACTED} y"


@pytest.mark.parametrize("doc", [None, "text", 5, [1, {"password": 3}], {"kind": "Secret", "data": "oops"},
                                 {"kind": ["ExternalSecret"]}, {"kind": {"a": 1}}])
def test_odd_documents_do_not_crash(doc: Any) -> None:
    assert secret_values(doc) == set()


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                   max_size=4), max_leaves=20)


@given(st.fixed_dictionaries({"kind": _JSON, "data": _JSON, "spec": _JSON}))
def test_any_shape_under_any_kind_does_not_crash(doc: dict[str, Any]) -> None:
    """A `kind:` that is a list or a map (a broken kustomization.yaml) was a TypeError and exit 3."""
    assert isinstance(secret_values(doc), set)


@given(st.text(min_size=4, max_size=40))
def test_any_stringdata_value_is_redacted(value: str) -> None:
    doc = secret(stringData={"k": value})
    assert value not in redact(f"<<{value}>>", secret_values(doc))
