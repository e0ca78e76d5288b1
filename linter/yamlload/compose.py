"""Composing YAML text into ruamel node trees (with marks) via the C parser, or the pure one.

Both composers share one trivial resolver: plain scalars get the PLAIN sentinel tag and everything is
resolved later with Kubernetes (go-yaml v2) semantics, so the C composer never calls back into regexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml.composer import Composer
from ruamel.yaml.docinfo import DocInfo
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import Node, ScalarNode, SequenceNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.reader import Reader
from ruamel.yaml.scanner import Scanner
from ruamel.yaml.tag import Tag

try:  # ruamel.yaml >= 0.19 does not pull in its C extension by itself.
    from _ruamel_yaml import CParser as _CParser  # type: ignore[import-not-found]

    C_LOADER = True
except ImportError:  # pragma: no cover - depends on the installation
    _CParser = object
    C_LOADER = False

# Shared tag objects: the builder tests `node.ctag is PLAIN` instead of building a tag string per node.
PLAIN = Tag(suffix="?")
STR_TAG = Tag(suffix="tag:yaml.org,2002:str")
SEQ_TAG = Tag(suffix="tag:yaml.org,2002:seq")
MAP_TAG = Tag(suffix="tag:yaml.org,2002:map")


class _Resolve:
    """The resolver protocol both composers call."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Tag:
        if kind is ScalarNode:
            return PLAIN if implicit[0] else STR_TAG
        return SEQ_TAG if kind is SequenceNode else MAP_TAG

    def descend_resolver(self, parent: Any, index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class _CComposer(_CParser, _Resolve):  # type: ignore[misc]
    pass


class _PureComposer(Reader, Scanner, Parser, Composer, _Resolve):
    """ruamel's pure-Python reader/scanner/parser/composer; accepts a re-defined anchor."""

    def __init__(self, text: str, max_depth: int) -> None:
        self.comment_handling = None
        self.max_depth = max_depth
        self.processing_version = (1, 2)
        self.doc_infos = [DocInfo()]  # the scanner records %YAML directives here
        self._resolver = self
        Reader.__init__(self, text, loader=self)
        Scanner.__init__(self, loader=self)
        Parser.__init__(self, loader=self)
        Composer.__init__(self, loader=self)
        self.warn_double_anchors = False


def documents(text: str, pure: bool, max_depth: int) -> Iterator[Node]:
    """Each document's root node, in order; raises YAMLError (or RecursionError) on bad input."""
    if C_LOADER and not pure:
        loader: Any = _CComposer(text)
    else:
        loader = _PureComposer(text, max_depth)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        if hasattr(loader, "dispose"):
            loader.dispose()


def exact_limits(text: str, max_depth: int, max_nodes: int) -> tuple[str, int, int] | None:
    """The first limit exceeded ("depth" or "nodes", a node count being per document) and its 0-based
    position, or None. Iterative and streaming: crash-safe, and no node tree is ever built."""
    loader: Any = _CComposer(text) if C_LOADER else _PureComposer(text, 0)
    depth = nodes = 0
    while True:
        event = loader.get_event()
        if event is None or isinstance(event, StreamEndEvent):
            return None
        kind = type(event)
        if kind is DocumentStartEvent:
            nodes = 0
            continue
        if kind in _NODE_EVENTS:
            nodes += 1
            if nodes > max_nodes:
                return "nodes", event.start_mark.line, event.start_mark.column
        if kind is SequenceStartEvent or kind is MappingStartEvent:
            depth += 1
            if depth > max_depth:
                return "depth", event.start_mark.line, event.start_mark.column
        elif kind is SequenceEndEvent or kind is MappingEndEvent:
            depth -= 1


_NODE_EVENTS = frozenset({ScalarEvent, SequenceStartEvent, MappingStartEvent, AliasEvent})


# Quoted fragments in parser messages may echo source (an anchor name, a character, a token).
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_SAFE_QUOTED = re.compile(r"'(?:<[a-z ]+>|\\?.{1,2})'\Z")


def describe(error: YAMLError) -> tuple[str, int, int]:
    """A value-free message and 1-based position for a parser error."""
    if isinstance(error, MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        problem = _clean(error.problem or "invalid YAML")
        context = _clean(error.context or "")
        message = f"{problem} ({context})" if context else problem
        if mark is None:
            return message, 1, 1
        return message, mark.line + 1, mark.column + 1
    return "invalid YAML", 1, 1


def _clean(text: str) -> str:
    text = text.strip().splitlines()[0] if text.strip() else ""
    return _QUOTED.sub(lambda m: m.group() if _SAFE_QUOTED.match(m.group()) else "'…'", text)
