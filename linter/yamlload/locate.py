"""Positions from node marks: spans, path walking, node -> path, and Flux image-policy markers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.models import DocPath, Span
from linter.yamlload import scalars
from linter.yamlload.compose import PLAIN, STR_TAG


def span(node: Node) -> Span:
    """1-based span; libyaml marks are 0-based and the end mark is exclusive."""
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def key_of(node: Node) -> str | None:
    """A mapping key as Kubernetes spells it, or None for collection keys and merge keys."""
    if node.__class__ is not ScalarNode:
        return None
    if node.ctag is PLAIN:
        if node.value == scalars.MERGE_KEY:
            return None
        return scalars.key_string(scalars.resolve_plain(node.value))
    tag = "" if node.ctag is STR_TAG else str(node.ctag)
    # The builder replaced lone surrogates in keys (YAML-009): paths must name the key it built.
    text = scalars.without_surrogates(node.value)[0]
    if not tag.startswith("tag:yaml.org,2002:"):
        return str(text)
    return scalars.key_string(scalars.resolve_tagged(tag, text))


def child(node: Node, step: str | int) -> tuple[Node | None, Node] | None:
    """(key node, value node) of `step` inside `node`; the last repeated key wins, as in Kubernetes."""
    if isinstance(node, SequenceNode):
        if isinstance(step, int) and not isinstance(step, bool) and 0 <= step < len(node.value):
            return None, node.value[step]
        return None
    if not isinstance(node, MappingNode):
        return None
    found: tuple[Node | None, Node] | None = None
    for key_node, value_node in node.value:
        if key_of(key_node) == str(step):
            found = key_node, value_node
    return found if found is not None else _merged_child(node, step)


def _merged_child(node: Node, step: str | int) -> tuple[Node | None, Node] | None:
    for key_node, value_node in node.value:
        if key_node.__class__ is ScalarNode and key_node.ctag is PLAIN and key_node.value == scalars.MERGE_KEY:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                found = child(source, step) if isinstance(source, MappingNode) else None
                if found is not None:
                    return found
    return None


def walk(root: Node, path: DocPath, key: bool) -> tuple[Span, bool]:
    """Span of `path` (its key when `key`), else of its deepest existing ancestor with exact=False."""
    node, key_node = root, None
    for step in path:
        found = child(node, step)
        if found is None:
            return _value_span(key_node, node), False
        key_node, node = found
    if key and key_node is not None:
        return span(key_node), True
    return _value_span(key_node, node), True


def _value_span(key_node: Node | None, node: Node) -> Span:
    """A collection value under a key starts at its key: `stringData:` is the line a reader looks at,
    not the first entry below it."""
    if key_node is None or isinstance(node, ScalarNode):
        return span(node)
    start, end = key_node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def paths_of(root: Node, wanted: set[int]) -> dict[int, tuple[str | int, ...]]:
    """Paths (from `root`) of nodes whose id is in `wanted`; a key node gets its value's path."""
    found: dict[int, tuple[str | int, ...]] = {}
    stack: list[tuple[Node, tuple[str | int, ...]]] = [(root, ())]
    visited: set[int] = set()
    while stack and len(found) < len(wanted):
        node, path = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if id(node) in wanted and id(node) not in found:
            found[id(node)] = path
        for step, key_node, value_node in _children(node):
            if key_node is not None and id(key_node) in wanted and id(key_node) not in found:
                found[id(key_node)] = path + (step,)
            stack.append((value_node, path + (step,)))
    return found


def _children(node: Node) -> Iterable[tuple[str | int, Node | None, Node]]:
    if isinstance(node, SequenceNode):
        return [(i, None, item) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        out: list[tuple[str | int, Node | None, Node]] = []
        for key_node, value_node in node.value:
            step = key_of(key_node)
            if step is not None:
                out.append((step, key_node, value_node))
        return out
    return []


# `# {"$imagepolicy": "flux-system:app"}` and the `:tag` / `:name` / `:digest` variants.
_MARKER = re.compile(r'#\s*\{\s*"\$imagepolicy"\s*:\s*"([^"\n]+)"\s*\}')
_FIELDS = ("tag", "name", "digest")


def marker_lines(text: str) -> dict[int, tuple[str, str]]:
    """0-based line -> (marker, field) for each Flux setter comment."""
    out: dict[int, tuple[str, str]] = {}
    for match in _MARKER.finditer(text):
        line = text.count("\n", 0, match.start())
        parts = match.group(1).strip().split(":")
        field = parts[-1] if len(parts) == 3 and parts[-1] in _FIELDS else ""
        marker = ":".join(parts[:2]) if field else match.group(1).strip()
        out[line] = (marker, field)
    return out


def scalars_on_lines(root: Node, lines: set[int]) -> dict[int, tuple[str | int, ...]]:
    """0-based line -> path of a value scalar that starts on it (keys are not candidates)."""
    found: dict[int, tuple[str | int, ...]] = {}
    stack: list[tuple[Node, tuple[str | int, ...]]] = [(root, ())]
    visited: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, ScalarNode):
            line = node.start_mark.line
            if line in lines and line not in found:
                found[line] = path
            continue
        if node.start_mark.line > max(lines) or node.end_mark.line < min(lines):
            continue  # the marker lines are outside this subtree
        stack.extend((value_node, path + (step,)) for step, _k, value_node in _children(node))
    return found

