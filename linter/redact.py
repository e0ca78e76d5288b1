"""Defense in depth for messages that someone else wrote: a policy's `sprintf` can interpolate anything.

`secret_values` collects the strings of a document that must never be printed: a Secret's `data` (raw
and base64-decoded) and `stringData`, and any string under a credential-looking name (an env var
`DB_PASSWORD`'s `value`, a `token:` key in Helm values). `redact` replaces them in a message.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

REDACTED = "<redacted>"
WITHHELD = "<message withheld: it contained a secret value>"
# Shorter values would redact ordinary words out of messages; they cannot carry much of a secret.
MIN_SECRET_LENGTH = 4
_CREDENTIAL = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth|"
    r"session|cookie|signature|bearer|dsn|connection[-_]?string|_key$|^key$",
    re.IGNORECASE,
)
# References to secrets (`secretName`, `tokenSecretRef`) name objects, they do not hold values.
_REFERENCE = re.compile(r"(name|ref|refs|path|file|mode|type|kind)$", re.IGNORECASE)
_MAX_DEPTH = 64
# External Secrets Operator kinds name entries of an external store: `secretKey`, `remoteRef.key` and
# `property` are names there, not values (redacting them turned `myapp-api-key` into `<redacted>-api-key`).
_EXTERNAL_SECRET_KINDS = frozenset({"ExternalSecret", "ClusterExternalSecret", "PushSecret"})
_EXTERNAL_NAME_KEYS = frozenset({"secretKey", "key", "property", "remoteKey"})


def secret_values(doc_obj: Any) -> set[str]:
    """Strings in `doc_obj` that must never be printed."""
    found: set[str] = set()
    if isinstance(doc_obj, dict) and doc_obj.get("kind") == "Secret":
        _secret_payload(doc_obj, found)
    kind = doc_obj.get("kind") if isinstance(doc_obj, dict) else None
    names = _EXTERNAL_NAME_KEYS if isinstance(kind, str) and kind in _EXTERNAL_SECRET_KINDS else frozenset()
    _walk(doc_obj, found, 0, names)
    return {s for s in found if len(s) >= MIN_SECRET_LENGTH}


def redact(message: str, secrets: set[str]) -> str:
    """`message` with every secret replaced, in one left-to-right pass preferring the longest match.
    If the marker and its neighbours happen to spell a secret again, the whole message goes."""
    present = sorted((s for s in secrets if s and s in message), key=len, reverse=True)
    if not present:
        return message
    pattern = re.compile("|".join(re.escape(s) for s in present))
    out = pattern.sub(REDACTED, message)
    if any(s in out for s in present):
        return WITHHELD
    return out


def _secret_payload(secret: dict[str, Any], found: set[str]) -> None:
    data = secret.get("data")
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, str):
                found.add(value)
                _add_plain(_b64decode(value), found)
    string_data = secret.get("stringData")
    if isinstance(string_data, dict):
        for value in string_data.values():
            if isinstance(value, str):
                _add_plain(value, found)
                found.add(base64.b64encode(value.encode()).decode())


def _add_plain(value: str | None, found: set[str]) -> None:
    """A secret value, plus its parts: lines, `KEY=value` values, JSON leaves (.dockerconfigjson)."""
    if not value:
        return
    found.add(value)
    found.add(value.strip())
    for line in value.splitlines():
        found.add(line.strip())
        for sep in ("=", ":"):
            if sep in line:
                found.add(line.split(sep, 1)[1].strip().strip("\"'"))
    try:
        parsed = json.loads(value)
    except ValueError:
        return
    _leaves(parsed, found, 0)


def _leaves(value: Any, found: set[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        found.add(value)
        decoded = _b64decode(value)  # docker config `auth` is base64 of user:password
        if decoded:
            found.add(decoded)
            found.update(part for part in decoded.split(":", 1))
    elif isinstance(value, dict):
        for item in value.values():
            _leaves(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _leaves(item, found, depth + 1)


def _walk(value: Any, found: set[str], depth: int, names: frozenset[str] = frozenset()) -> None:
    """Strings under credential-looking keys, and env entries `{name: <credential-ish>, value: ...}`.
    A mapping under a reference key (`secretKeyRef`, `remoteRef`) names a secret and holds none;
    `names` are keys whose strings are names in this kind (External Secrets)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str) and _CREDENTIAL.search(name) and isinstance(value.get("value"), str):
            found.add(value["value"])
        for key, item in value.items():
            if isinstance(item, str):
                if isinstance(key, str) and key not in names and _holds_credential(key):
                    found.add(item)
            elif isinstance(item, (dict, list)):
                if isinstance(key, str) and isinstance(item, dict) and _REF_KEY.search(key):
                    continue
                _walk(item, found, depth + 1, names)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                _walk(item, found, depth + 1, names)


_REF_KEY = re.compile(r"Ref$")
_KEY_VERDICTS: dict[str, bool] = {}  # the same few hundred keys recur in every document of a fleet


def _holds_credential(key: str) -> bool:
    verdict = _KEY_VERDICTS.get(key)
    if verdict is None:
        verdict = bool(_CREDENTIAL.search(key)) and not _REFERENCE.search(key)
        if len(_KEY_VERDICTS) < 50_000:  # a hostile file of unique keys must not grow it unbounded
            _KEY_VERDICTS[key] = verdict
    return verdict


def _b64decode(value: str) -> str | None:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
