"""A HelmRelease's values, composed in helm-controller's order.

Lowest first: the chart's own `values.yaml` (Helm merges it), the chart's `valuesFiles`
(`spec.chart.spec.valuesFiles`, which source-controller merges into the chart), each `valuesFrom`
entry in order (a ConfigMap or Secret: the YAML under `valuesKey`, default `values.yaml`, merged at the
root, or the single value placed at `targetPath`), then `spec.values`. Maps merge recursively; any
other value replaces (helm-controller's MergeMaps). An object that is not in the tree is skipped when
`optional`, else noted: the release is still rendered from what is known, and the note says which
entry was left out (GRAPH-006 already reports the missing object).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# (kind, namespace, name) -> the object's data, decoded; None when the tree does not hold it.
Lookup = Callable[[str, str, str], "Mapping[str, str] | None"]


@dataclass
class Composed:
    values: dict[str, Any]
    missing: list[str] = field(default_factory=list)  # "Secret app-values" entries left out
    problems: list[str] = field(default_factory=list)  # entries whose data is not valid values


def compose(spec: Mapping[str, Any], namespace: str, lookup: Lookup,
            values_files: Sequence[Mapping[str, Any]] = ()) -> Composed:
    out = Composed({})
    for layer in values_files:
        out.values = merge(out.values, layer)
    for entry in spec.get("valuesFrom") or []:
        if not isinstance(entry, dict) or entry.get("kind") not in ("ConfigMap", "Secret"):
            continue
        kind, name = str(entry["kind"]), str(entry.get("name", ""))
        data = lookup(kind, namespace, name)
        key = str(entry.get("valuesKey") or "values.yaml")
        if data is None or key not in data:
            if entry.get("optional") is not True:
                out.missing.append(f"{kind} {name}" + ("" if data is None else f" (no key {key})"))
            continue
        target = entry.get("targetPath")
        if isinstance(target, str) and target:
            try:
                out.values = set_path(out.values, target, data[key])
            except ValueError as exc:
                out.problems.append(f"{kind} {name}: targetPath {target!r}: {exc}")
            continue
        parsed = _parse(data[key])
        if isinstance(parsed, str):
            out.problems.append(f"{kind} {name} key {key}: {parsed}")
        elif isinstance(parsed, dict):
            out.values = merge(out.values, parsed)
    inline = spec.get("values")
    if isinstance(inline, dict):
        out.values = merge(out.values, inline)
    return out


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


_SEGMENT = re.compile(r"((?:\\.|[^.\[\\])+)((?:\[\d+\])*)")


def set_path(values: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    """`values` with the string `value` at the Helm `--set` style `path` (`a.b[0].c`, `\\.` escapes a dot)."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            raise ValueError("not a Helm values path")
        parts.append(m.group(1).replace("\\.", ".").replace("\\\\", "\\"))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
        pos = m.end()
        if pos < len(path):
            if path[pos] != ".":
                raise ValueError("not a Helm values path")
            pos += 1
    if not parts:
        raise ValueError("empty path")
    result = merge(values, {})
    _place(result, parts, value)
    return result


def _place(holder: Any, parts: Sequence[str | int], value: Any) -> None:
    head, rest = parts[0], parts[1:]
    if isinstance(head, int):
        if head > 10_000:
            raise ValueError("list index too large")
        while len(holder) <= head:
            holder.append(None)
    if not rest:
        holder[head] = value
        return
    current = holder[head] if isinstance(head, int) else holder.get(head)
    want_list = isinstance(rest[0], int)
    if want_list and not isinstance(current, list):
        current = []
    elif not want_list and not isinstance(current, dict):
        current = {}
    else:
        current = list(current) if want_list else dict(current)
    holder[head] = current
    _place(current, rest, value)


def _parse(text: str) -> dict[str, Any] | str:
    from linter.loader import load_bytes

    loaded = load_bytes(text.encode("utf-8", "surrogatepass"), "values")
    if loaded.problems:
        return "not valid YAML"
    docs = [d.obj for d in loaded.documents]
    if not docs or docs[0] is None:
        return {}
    if not isinstance(docs[0], dict):
        return "not a YAML mapping"
    return docs[0]


def object_data(obj: Mapping[str, Any]) -> dict[str, str]:
    """A ConfigMap's or Secret's data as strings (a Secret's `data` base64-decoded)."""
    out: dict[str, str] = {}
    secret = obj.get("kind") == "Secret"
    for key in ("data", "stringData"):
        data = obj.get(key)
        if not isinstance(data, dict):
            continue
        for k, v in data.items():
            if secret and key == "data" and isinstance(v, str):
                try:
                    v = base64.b64decode(v, validate=True).decode("utf-8", "replace")
                except (binascii.Error, ValueError):
                    continue
            out[str(k)] = "" if v is None else str(v)
    return out
