"""Findings on a rendered chart object, mapped back to the HelmRelease that produced it.

The value at the finding's path (or, for a missing field, its nearest existing parent) is looked up in
the HelmRelease's `spec.values`: an equal mapping or list (a `securityContext` block), an equal scalar
under the same key, or, for an image `repo:tag`, the tag or the whole reference. Found: the finding
points at that line of `spec.values` (through the HelmRelease's own locator, so a HelmRelease that a
Flux Kustomization rendered points at its source file). Not found: the value comes from the chart's
templates or defaults, so the finding points at `spec.chart` (or `spec.chartRef`) and is marked as
not fixable by values (`traced` is False).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from linter.models import DocPath, Document, Location

_MAX_NODES = 20_000  # a values tree larger than this is searched no further (bounded time per finding)


class ValuesLocator:
    def __init__(self, rendered: Any, release: Document, values_path: DocPath, anchor: DocPath,
                 composed: Any = None, before_post_render: Any = None) -> None:
        self.rendered, self.hr = rendered, release
        self.values_path, self.anchor = values_path, anchor
        values = release.obj
        for part in values_path:
            values = values.get(part) if isinstance(values, dict) else None
        self.values = values if isinstance(values, dict) else {}
        # All values as composed (valuesFrom objects included): a value found only there is set by a
        # valuesFrom entry, which the finding then points at.
        self.composed = composed if isinstance(composed, dict) else {}
        # The object as the chart rendered it, when `spec.postRenderers` changed it afterwards.
        self.before = before_post_render
        self._memo: dict[DocPath, DocPath | None] = {}

    def __call__(self, path: DocPath, key: bool = False) -> Location:
        found = self.trace(path)
        if found is not None:
            return self.hr.locate((*self.values_path, *found), key and found[-1:] == path[-1:])
        if self.composed and _trace(self.composed, self.rendered, path) is not None:
            return self.hr.locate(("spec", "valuesFrom"), True)
        if self._post_rendered(path):
            return self.hr.locate(("spec", "postRenderers"), True)
        return self.hr.locate(self.anchor, True)

    def traced(self, path: DocPath) -> bool:
        """Whether the HelmRelease sets what `path` holds: its values (inline or valuesFrom) or its
        postRenderers."""
        return self.trace(path) is not None or self._post_rendered(path) or (
            bool(self.composed) and _trace(self.composed, self.rendered, path) is not None)

    def _post_rendered(self, path: DocPath) -> bool:
        if self.before is None:
            return False
        return _deepest(self.before, path) != _deepest(self.rendered, path)

    def trace(self, path: DocPath) -> DocPath | None:
        """The path in `spec.values` that sets what `path` holds in the rendered object, or None."""
        path = tuple(path)
        if path not in self._memo:
            self._memo[path] = _trace(self.values, self.rendered, path)
        return self._memo[path]


def _trace(values: dict[str, Any], rendered: Any, path: DocPath) -> DocPath | None:
    if not values:
        return None
    value, depth = _deepest(rendered, path)
    if depth < len(path):
        # A missing field: an equal parent block in values is where it would be set.
        return _find_equal(values, value, None) if isinstance(value, (dict, list)) and value else None
    last = path[-1] if path else None
    if isinstance(value, (dict, list)):
        return _find_equal(values, value, None) if value else None
    if isinstance(value, str) and last == "image" and ":" in value.rsplit("/", 1)[-1]:
        tag = value.rsplit(":", 1)[1]
        return _find_equal(values, tag, "tag") or _find_equal(values, value, None)
    if isinstance(value, bool) or value is None:
        return _find_equal(values, value, last) if isinstance(last, str) else None
    return _find_equal(values, value, last if isinstance(last, str) else None) or \
        (_find_equal(values, value, None) if isinstance(value, str) and len(value) >= 6 else None)


def _deepest(obj: Any, path: DocPath) -> tuple[Any, int]:
    for i, part in enumerate(path):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and isinstance(part, int) and 0 <= part < len(obj):
            obj = obj[part]
        else:
            return obj, i
    return obj, len(path)


def _find_equal(values: Any, want: Any, key: str | None) -> DocPath | None:
    """The first path (breadth-first, so the shallowest) in `values` to a node equal to `want`,
    whose last key is `key` when given."""
    queue: deque[tuple[DocPath, Any]] = deque([((), values)])
    seen = 0
    while queue and seen < _MAX_NODES:
        path, node = queue.popleft()
        seen += 1
        if path and node == want and type(node) is type(want) and (key is None or path[-1] == key):
            return path
        if isinstance(node, dict):
            queue.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend(((*path, i), v) for i, v in enumerate(node))
    return None
