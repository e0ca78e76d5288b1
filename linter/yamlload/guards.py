"""Byte-level checks that run before any YAML parser sees a file.

Node count: composing a document builds a node tree (~350 bytes a node with its marks) before
anything can count it, so 10^6 keys in one mapping took 765 MB. `node_bound` is a cheap sound upper bound
on the nodes of each document: every node but a document's root is a block entry (after `-`), a mapping
key or value (at most 3 nodes for each `:` or `?`, a single-pair mapping in a flow sequence included), a
flow item (after `,` or an opening bracket), or a collection opened by `[`/`{`; a `---`/`...` line
separates documents. Only when that bound is over the limit does the loader pay for an exact event scan.

ruamel's C composer recurses in C and segfaults near 30k nesting levels (a 60 KB file of brackets), so
nesting must be bounded before it runs. `depth_bound` is a cheap *sound* upper bound: flow depth is at
most the number of `[`/`{` in one document (a `---`/`...` line ends every flow collection, or is a
syntax error the parser stops at before going deeper); block depth is at most 2 * (C + 1) where C is the largest column a
block collection can start at, and a block collection starts inside its line's prefix of indentation
and compact indicators (`- `, `? `, `: `). Only when that bound is large do we pay for an exact
(iterative, crash-safe) event scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Far below the ~30k levels where the C composer crashes; an exact scan decides above it.
SAFE_COMPOSE_DEPTH = 1000
# However high a user sets `max_depth`, never hand the C composer more than this.
HARD_MAX_DEPTH = 10_000


@dataclass(frozen=True)
class Refusal:
    """Why a file is not parsed, with a 1-based position."""

    rule_id: str
    message: str
    line: int = 1
    column: int = 1


def decode(data: bytes) -> str | Refusal:
    """UTF-8 text without BOM, or a YAML-005 refusal positioned at the offending byte."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = byte_position(data, nul)
        return Refusal("YAML-005", "file is binary (contains a NUL byte)", line, column)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = byte_position(data, exc.start)
        return Refusal("YAML-005", "file is not valid UTF-8 text", line, column)
    return text.removeprefix("\ufeff")


def byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, best effort) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def char_position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index (libyaml reader errors give an index)."""
    index = max(0, min(index, len(text)))
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)


def depth_bound_is_safe(text: str, limit: int = SAFE_COMPOSE_DEPTH) -> bool:
    """True when nesting provably stays within `limit` (see module docstring)."""
    flow = max(part.count("[") + part.count("{") for part in _DOCUMENT_MARKER.split(text))
    prefix = (limit - flow - 4) // 2
    if prefix <= 0:
        return False
    # Any line whose first `prefix` characters could all be indentation or indicators.
    pattern = re.compile(rf"^[ \t?:-]{{{prefix}}}", re.MULTILINE)
    return pattern.search(text) is None


_NODE_CHARS = (":", "?", ",", "-", "[", "{")


def node_bound_is_safe(text: str, limit: int) -> bool:
    """True when every document provably has at most `limit` nodes (see module docstring)."""
    if 3 * len(text) + 1 <= limit:
        return True
    for part in _DOCUMENT_MARKER.split(text):
        if 3 * sum(part.count(c) for c in _NODE_CHARS) + 1 > limit:
            return False
    return True
