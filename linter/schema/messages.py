"""Turn jsonschema-rs errors into kubegate problems phrased from the error *kind*.

jsonschema-rs messages quote the offending instance (`"hunter2" is not of type "integer"`): a Secret leak.
Every message here is built from the document path, field names, JSON types and schema keywords only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from linter.models import DocPath

# A SOPS-encrypted leaf: `ENC[AES256_GCM,data:...,iv:...,tag:...,type:int]`.
_SOPS_VALUE = re.compile(r"^ENC\[[A-Z0-9_]+,data:.*\]$", re.DOTALL)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_MAX_NAME = 60
_MAX_OPTIONS = 10


class SchemaIssue(NamedTuple):
    """One schema error, positioned and phrased; `key` points at the mapping key of `path`."""

    path: DocPath
    key: bool
    message: str


def display_path(path: Sequence[str | int]) -> str:
    """`spec.template.spec.containers[0].image`; keys that are not identifiers are bracket-quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{field_name(part)}]"
    return out or "(document)"


def field_name(name: object) -> str:
    """A field name as it may appear in a message: quoted, escaped, truncated (names are not values,
    but a pasted credential used as a key must not be printed in full)."""
    text = str(name)
    if len(text) > _MAX_NAME:
        text = text[:_MAX_NAME] + "..."
    return json.dumps(text, ensure_ascii=True)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_sops_value(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("ENC[") and bool(_SOPS_VALUE.match(value))


def describe(error: Any, *, sops: bool = False) -> list[SchemaIssue]:
    """The issues one jsonschema-rs `ValidationError` stands for (several for additionalProperties)."""
    path: DocPath = tuple(error.instance_path)
    if sops and is_sops_value(error.instance):
        return []  # SOPS replaced the value with ciphertext; its real type is unknowable here
    name = error.kind.name
    data = _kind_data(error.kind)
    if name in ("additionalProperties", "unevaluatedProperties"):
        return [
            SchemaIssue(path + (str(field),), True, f"{display_path(path)}: unknown field {field_name(field)}")
            for field in data.get("unexpected", [])
        ]
    if name == "required":
        prop = data.get("property", "")
        return [SchemaIssue(path, False, f"{display_path(path)}: missing required field {field_name(prop)}")]
    if type(error.kind).__name__ == "OneOfMultipleValid":
        return [SchemaIssue(path, False, f"{display_path(path)}: matches more than one allowed form")]
    if name in ("oneOf", "anyOf"):
        return _describe_alternatives(error, path, sops)
    return [SchemaIssue(path, False, f"{display_path(path)}: {_phrase(name, data, error.instance)}")]


def _kind_data(kind: Any) -> dict[str, Any]:
    try:
        data = kind.as_dict()
    except Exception:  # noqa: BLE001 - an unknown kind still gets a generic message
        return {}
    return data if isinstance(data, dict) else {}


def _phrase(name: str, data: dict[str, Any], instance: Any) -> str:
    got = json_type(instance)
    if name == "type":
        return _type_phrase(data.get("types", []), instance)
    if name == "enum":
        return "must be one of " + _options(data.get("options", []))
    if name == "const":
        return "must be " + _literal(data.get("expected_value"))
    limits = {
        "maxLength": "must be at most {} characters long",
        "minLength": "must be at least {} characters long",
        "maxItems": "must have at most {} items",
        "minItems": "must have at least {} items",
        "maxProperties": "must have at most {} fields",
        "minProperties": "must have at least {} fields",
        "maximum": "must be at most {}",
        "minimum": "must be at least {}",
        "exclusiveMaximum": "must be less than {}",
        "exclusiveMinimum": "must be greater than {}",
    }
    if name in limits:
        return limits[name].format(_literal(data.get("limit")))
    if name == "multipleOf":
        return f"must be a multiple of {_literal(data.get('multiple_of'))}"
    if name == "pattern":
        return f"must match the pattern {field_name(data.get('pattern', ''))}"
    if name == "format":
        return f"is not a valid {data.get('format', 'value')}"
    if name == "uniqueItems":
        return "items must be unique"
    if name in ("falseSchema", "not"):
        return "is not allowed here"
    if name == "propertyNames":
        return "has a field name that the schema does not allow"
    return f"{got} does not match the schema ({name})"


def _type_phrase(types: Iterable[str], instance: Any) -> str:
    expected = [t for t in types if t != "null"] or ["null"]
    got = json_type(instance)
    if got in expected or (got == "integer" and "number" in expected):
        # Only a number the validator could not represent (beyond 64 bits) gets here.
        return f"{got} out of range"
    return f"expected {' or '.join(expected)}, got {got}"


def _describe_alternatives(error: Any, path: DocPath, sops: bool) -> list[SchemaIssue]:
    """int-or-string and friends: if every branch failed on the type of this very node, say which types
    were allowed; otherwise report the branch that got furthest (its errors are the useful ones)."""
    branches: list[list[Any]] = [list(b) for b in getattr(error.kind, "context", []) or []]
    types: list[str] = []
    for branch in branches:
        if not all(e.kind.name == "type" and tuple(e.instance_path) == path for e in branch):
            break
        for e in branch:
            types.extend(t for t in _kind_data(e.kind).get("types", []) if t not in types)
    else:
        if types:
            return [SchemaIssue(path, False, f"{display_path(path)}: {_type_phrase(types, error.instance)}")]
    deeper = [b for b in branches if b and not any(e.kind.name == "type" and tuple(e.instance_path) == path
                                                   for e in b)]
    if deeper:
        best = min(deeper, key=len)
        return [issue for e in best for issue in describe(e, sops=sops)]
    return [SchemaIssue(path, False, f"{display_path(path)}: does not match any of the allowed forms")]


def _options(options: Sequence[Any]) -> str:
    options = [o for o in options if o is not None]  # `nullable` adds null; "one of X, null" misleads
    shown = [_literal(o) for o in options[:_MAX_OPTIONS]]
    if len(options) > _MAX_OPTIONS:
        shown.append(f"... ({len(options) - _MAX_OPTIONS} more)")
    return ", ".join(shown)


def _literal(value: Any) -> str:
    """A value taken from the *schema* (enum options, limits): safe to print, but kept short."""
    if isinstance(value, str):
        return value if len(value) <= _MAX_NAME else value[:_MAX_NAME] + "..."
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= _MAX_NAME else text[:_MAX_NAME] + "..."
