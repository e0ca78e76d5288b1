"""Node tree -> plain data as Kubernetes decodes it, refusing alias bombs before anything expands.

The composer turns every alias into a reference to the anchored node, so the node graph is never
bigger than the file. Each collection node is built once and memoized; a second visit is an alias use
and adds the memoized *expanded* size to the running count. That caps aliases and the expanded node
count exactly, in one linear pass, with nothing ever expanded (consumers get shared objects whose full
size is known to be under the limit).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.yamlload import scalars
from linter.yamlload.compose import PLAIN, STR_TAG


class BuildError(Exception):
    """The document cannot be decoded (rule YAML-001, YAML-003 or YAML-004), at `node`."""

    def __init__(self, rule_id: str, message: str, node: Node) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.message = message
        self.node = node


@dataclass(frozen=True)
class Note:
    """A scalar worth a warning, or a repeated key: resolved to a path after the build."""

    rule_id: str
    node: Node
    key: bool  # the node is a mapping key


@dataclass
class Budget:
    """Limits shared by every document of one file."""

    max_depth: int
    max_aliases: int
    max_nodes: int
    nodes: int = 0
    aliases: int = 0


class Builder:
    def __init__(self, budget: Budget, templated: bool, escapes: bool = True) -> None:
        self.budget = budget
        self.templated = templated  # the text contains `{{`: a collection key means a Helm template
        # The text holds a `\\u` or `\\U` escape: only then can a quoted scalar carry a UTF-16 surrogate
        # (UTF-8 input never decodes to one), so only then is each quoted scalar searched for one.
        self.escapes = escapes
        self.notes: list[Note] = []
        self._memo: dict[int, tuple[Any, int]] = {}
        self._active: set[int] = set()

    def build(self, node: Node) -> Any:
        return self._value(node, 0)

    def _value(self, node: Node, depth: int) -> Any:
        if node.__class__ is ScalarNode:
            self.budget.nodes += 1
            return self._scalar(node, False)
        return self._collection(node, depth + 1)

    def _scalar(self, node: Node, key: bool) -> Any:
        text = node.value
        ctag = node.ctag
        if ctag is PLAIN:
            if text and text[0] not in scalars.HINT_CHARS:
                return text
            if text in scalars.AMBIGUOUS_BOOLS:
                self.notes.append(Note("YAML-006", node, key))
            elif scalars.is_ambiguous_octal(text):
                self.notes.append(Note("YAML-007", node, key))
            return scalars.resolve_plain(text)
        if self.escapes:
            text = self._surrogates(node, text, key)
        tag = "" if ctag is STR_TAG else str(ctag)
        if not tag.startswith("tag:yaml.org,2002:"):
            return text  # quoted, or a local tag (`!foo`): go-yaml keeps the text
        return scalars.resolve_tagged(tag, text)

    def _surrogates(self, node: Node, text: str, key: bool) -> str:
        """A lone surrogate is no character, and no encoder downstream (JSON for the policy engine, any
        report) accepts it: YAML-009 at the scalar, U+FFFD in its place so the rest is still checked."""
        fixed, lone = scalars.without_surrogates(text)
        if lone:
            self.notes.append(Note("YAML-009", node, key))
        return fixed

    def _collection(self, node: Node, depth: int) -> Any:
        ident = id(node)
        seen = self._memo.get(ident)
        if seen is not None:
            return self._alias(node, seen)
        if ident in self._active:
            raise BuildError("YAML-001", "an alias refers to a node that contains it", node)
        if depth > self.budget.max_depth:
            raise BuildError("YAML-003", f"nesting is deeper than {self.budget.max_depth} levels", node)
        self._active.add(ident)
        before = self.budget.nodes
        self.budget.nodes += 1
        if isinstance(node, MappingNode):
            value: Any = self._mapping(node, depth)
        else:
            value = [self._value(child, depth) for child in node.value]
        self._active.discard(ident)
        self._memo[ident] = (value, self.budget.nodes - before)
        self._check_nodes(node)
        return value

    def _alias(self, node: Node, seen: tuple[Any, int]) -> Any:
        budget = self.budget
        budget.aliases += 1
        budget.nodes += seen[1]
        if budget.aliases > budget.max_aliases:
            raise BuildError("YAML-003", f"more than {budget.max_aliases} aliases", node)
        self._check_nodes(node)
        return seen[0]

    def _check_nodes(self, node: Node) -> None:
        if self.budget.nodes > self.budget.max_nodes:
            what = "alias expansion exceeds" if self.budget.aliases else "the file has more than"
            raise BuildError(
                "YAML-003", f"{what} {self.budget.max_nodes} nodes (limits.max_expanded_nodes)", node)

    def _mapping(self, node: Node, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: set[str] | None = None  # keys written here, tracked once a merge brought others
        for key_node, value_node in node.value:
            if key_node.ctag is PLAIN and key_node.value == scalars.MERGE_KEY:
                explicit = set(out) if explicit is None else explicit
                self._merge(out, value_node, depth)
                continue
            key = self._key(key_node)
            repeated = key in out if explicit is None else key in explicit
            if repeated:
                self.notes.append(Note("YAML-002", key_node, True))
            if explicit is not None:
                explicit.add(key)
            out[key] = self._value(value_node, depth)
        return out

    def _key(self, node: Node) -> str:
        self.budget.nodes += 1
        if node.__class__ is not ScalarNode:
            if self.templated:
                raise BuildError("YAML-004", "file is a Helm/Go template; render it first", node)
            raise BuildError(
                "YAML-001", "a mapping key is a sequence or mapping, which Kubernetes cannot decode", node)
        # Interned: the same few dozen keys repeat in every document (~2 KB of a Deployment's 4 KB).
        return sys.intern(scalars.key_string(self._scalar(node, True)))

    def _merge(self, out: dict[str, Any], node: Node, depth: int) -> None:
        # go-yaml v2 merges in document order; in a list of maps the earlier map wins.
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in reversed(sources):
            if not isinstance(source, MappingNode):
                raise BuildError("YAML-001", "a merge key (<<) must refer to a mapping", source)
            out.update(self._collection(source, depth + 1))
