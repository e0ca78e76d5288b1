"""Flux post-build variable substitution (kustomize-controller `spec.postBuild`), as Flux does it.

- Only `${name}` forms are expanded; `$name` is left alone (the documented way to keep shell variables).
- `$$` is an escape for one `$`: `$${var}` renders as the literal `${var}`.
- `${var:=default}`, `${var:-default}`, `${var=default}`, `${var-default}` give a default: never undefined.
- Any other use of an undefined variable becomes the empty string (Flux's non-strict mode) - which is
  what GRAPH-005 reports.
- Substitution happens only when the Kustomization defines `postBuild.substitute` or `substituteFrom`,
  and never in resources labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from linter.models import DocPath

DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
_NAME = re.compile(r"[A-Za-z0-9_]+")
_DEFAULT_OPS = (":=", ":-", "=", "-")


@dataclass(frozen=True)
class Expansion:
    text: str
    undefined: tuple[str, ...]  # variables used without a value or a default, in order of use


def expand(text: str, values: Mapping[str, str]) -> Expansion:
    out: list[str] = []
    undefined: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
        elif text[i + 1] == "$":
            out.append("$")
            i += 2
        elif text[i + 1] == "{":
            end = _closing(text, i + 2)
            if end < 0:
                out.append(text[i:])
                break
            out.append(_expression(text[i + 2:end], values, undefined))
            i = end + 1
        else:
            out.append(c)
            i += 1
    return Expansion("".join(out), tuple(undefined))


def _closing(text: str, start: int) -> int:
    depth = 1
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _expression(body: str, values: Mapping[str, str], undefined: list[str]) -> str:
    length = body.startswith("#")
    m = _NAME.match(body, 1 if length else 0)
    if m is None:
        return "${" + body + "}"  # not a variable expression: envsubst leaves it as text
    name, rest = m.group(0), body[m.end():]
    value = values.get(name)
    for op in _DEFAULT_OPS:
        if rest.startswith(op):
            default = expand(rest[len(op):], values)
            if value is None or (op.startswith(":") and value == ""):
                undefined.extend(default.undefined)
                return default.text
            return value
    if value is None:
        undefined.append(name)
        return ""
    return str(len(value)) if length else value


def disabled(obj: Any) -> bool:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict):
        return False
    return any(isinstance(m, dict) and m.get(DISABLE_KEY) == "disabled"
               for m in (meta.get("labels"), meta.get("annotations")))


def strings(obj: Any, path: DocPath = ()) -> Iterator[tuple[DocPath, str]]:
    """Every string scalar holding a `$` (the only ones substitution can touch), with its path."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from strings(v, (*path, i))
    elif isinstance(obj, str) and "$" in obj:
        yield path, obj


def substitute_obj(obj: Any, values: Mapping[str, str]) -> tuple[Any, list[tuple[DocPath, tuple[str, ...]]]]:
    """The object Flux would apply, and the undefined variables at each path.

    Flux substitutes in the YAML text of each resource and parses it again, so a plain scalar such as
    `replicas: ${REPLICAS}` becomes the number 3: a one-line result is re-read as a plain YAML scalar
    when the original could have been written plain.
    """
    found: list[tuple[DocPath, tuple[str, ...]]] = []

    def walk(node: Any, path: DocPath) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, (*path, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*path, i)) for i, v in enumerate(node)]
        if isinstance(node, str) and "$" in node:
            exp = expand(node, values)
            if exp.undefined:
                found.append((path, exp.undefined))
            return _retype(node, exp.text)
        return node

    return walk(obj, ()), found


_PLAIN_UNSAFE = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|: |\s#|\s$|\n")


def _retype(original: str, text: str) -> Any:
    if text == original or _PLAIN_UNSAFE.search(original) or not original.startswith("$"):
        return text
    from linter.yamlload.scalars import resolve_plain

    try:
        return resolve_plain(text) if text and not _PLAIN_UNSAFE.search(text) else text
    except Exception:  # noqa: BLE001 - a value that does not resolve stays a string
        return text
