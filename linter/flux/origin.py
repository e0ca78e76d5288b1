"""Map rendered resources back to source lines.

A rendered node is located, in order of preference:
1. at the same path in the source document, when the value there is the rendered value;
2. at the field of the kustomize patch (or `images:` entry) that produced the value;
3. at the start of the source resource, `exact=False` ("the position can only be the resource").

Inline patches (a `patch: |` string inside a kustomization.yaml or a Flux Kustomization) are composed with
ruamel so a field inside the string maps to a line of the enclosing file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from linter.models import DocPath, Document, Location, Span

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


# --- positions inside YAML text ---------------------------------------------------------------------

def compose(text: str) -> list[Node]:
    """The node trees of every document in `text`; [] when it does not parse (positions are best effort)."""
    try:
        return [n for n in YAML(typ="rt").compose_all(text) if n is not None]
    except Exception:  # noqa: BLE001 - any parser failure only costs precision, never correctness
        return []


def _span(node: Node, line_offset: int) -> Span:
    s, e = node.start_mark, node.end_mark
    return Span(s.line + 1 + line_offset, s.column + 1, e.line + 1 + line_offset, e.column + 1)


def node_at(root: Node, path: DocPath) -> tuple[Node, Node | None, bool]:
    """(deepest node reached, its mapping key node if any, whether the whole path exists)."""
    node, key_node = root, None
    for part in path:
        child = _child(node, part)
        if child is None:
            return node, key_node, False
        key_node, node = child
    return node, key_node, True


def _child(node: Node, part: str | int) -> tuple[Node | None, Node] | None:
    if isinstance(node, MappingNode) and isinstance(part, str):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == part:
                return k, v
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


def locate_in(root: Node, path: DocPath, key: bool, file: str, line_offset: int = 0) -> Location:
    node, key_node, exact = node_at(root, path)
    target = key_node if key and exact and key_node is not None else node
    return Location(file, _span(target, line_offset), exact)


def text_locator(text: str, file: str, index: int = 0) -> Document | None:
    """A Document for document `index` of `text`, positioned by ruamel; used for inline patches and as the
    fallback reader when the project loader is unavailable."""
    roots = compose(text)
    if index >= len(roots):
        return None
    root = roots[index]
    try:
        obj = YAML(typ="safe", pure=True).load(_doc_text(text, root))
    except Exception:  # noqa: BLE001
        return None

    def locator(path: DocPath, key: bool) -> Location:
        return locate_in(root, path, key, file)

    return Document(file=file, index=index, obj=obj, span=_span(root, 0), locator=locator)


def _doc_text(text: str, root: Node) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[root.start_mark.line:root.end_mark.line + 1])


# --- patches ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Patch:
    """One patch that may have produced rendered values.

    `roots` are the composed patch documents; `line_offset` shifts their lines into `file` (inline patches);
    `target` is (kind, name) when known ("" matches anything). `json6902` marks a list of operations.
    """

    file: str
    roots: tuple[Node, ...]
    line_offset: int
    target_kind: str
    target_name: str
    json6902: bool


@dataclass(frozen=True)
class ImageRule:
    """An `images:` entry: where its newName / newTag / digest lines are."""

    file: str
    name: str
    doc: Document
    path: DocPath


def inline_patch(doc: Document, path: DocPath, text: str, target: Any) -> Patch | None:
    """A patch whose text is the string at `path` of `doc` (a block scalar: content starts a line later)."""
    loc = doc.locate(path)
    if not loc.exact:
        return None
    roots = compose(text)
    if not roots:
        return None
    # Only block scalars keep their lines; a quoted one-line patch cannot be positioned inside.
    offset = loc.span.line if _is_block(text) else loc.span.line - 1
    return _make_patch(loc.file, roots, offset, target)


def _is_block(text: str) -> bool:
    return "\n" in text.rstrip("\n")


def file_patch(file: str, text: str, target: Any) -> Patch | None:
    roots = compose(text)
    return _make_patch(file, roots, 0, target) if roots else None


def _make_patch(file: str, roots: Sequence[Node], offset: int, target: Any) -> Patch:
    json6902 = isinstance(roots[0], SequenceNode)
    kind = name = ""
    if isinstance(target, dict):
        kind, name = str(target.get("kind") or ""), str(target.get("name") or "")
    elif not json6902:
        obj = _plain(roots[0])
        if isinstance(obj, dict):
            kind = str(obj.get("kind") or "")
            meta = obj.get("metadata")
            name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
    return Patch(file, tuple(roots), offset, kind, name, json6902)


def _plain(node: Node) -> Any:
    if isinstance(node, MappingNode):
        return {k.value: _plain(v) for k, v in node.value if isinstance(k, ScalarNode)}
    if isinstance(node, SequenceNode):
        return [_plain(v) for v in node.value]
    return node.value


def _scalar_equal(node: Node, value: Any) -> bool:
    if not isinstance(node, ScalarNode) or isinstance(value, (dict, list)):
        return False
    if isinstance(value, bool):
        return str(node.value).lower() == str(value).lower()
    return str(node.value) == ("null" if value is None else str(value))


# --- the locator for a rendered document -------------------------------------------------------------

class RenderedLocator:
    """Locate paths of a rendered object: source first, then patches and image rules, then the resource."""

    def __init__(self, rendered: Any, source: Document, patches: Sequence[Patch],
                 images: Sequence[ImageRule]) -> None:
        self.rendered, self.source = rendered, source
        self.patches, self.images = patches, images
        self._cache: dict[tuple[DocPath, bool], Location] = {}

    def __call__(self, path: DocPath, key: bool = False) -> Location:
        hit = self._cache.get((path, key))
        if hit is None:
            hit = self._cache[(path, key)] = self._locate(tuple(path), key)
        return hit

    def _locate(self, path: DocPath, key: bool) -> Location:
        value, found = value_at(self.rendered, path)
        src_path = _source_path(self.rendered, self.source.obj, path)
        if found and src_path is not None:
            src_value, src_found = value_at(self.source.obj, src_path)
            if src_found and (src_value == value or isinstance(value, (dict, list))):
                loc = self.source.locate(src_path, key)
                if loc.exact:
                    return loc
        if found:
            for finder in (self._from_patch, self._from_image):
                hit = finder(path, value, key)
                if hit is not None:
                    return hit
        whole = self.source.locate(())
        return Location(whole.file, whole.span, exact=not path)

    def _from_patch(self, path: DocPath, value: Any, key: bool) -> Location | None:
        kind, name = self.rendered.get("kind", ""), self.source.name
        for patch in self.patches:
            if patch.target_kind and patch.target_kind != kind:
                continue
            if patch.target_name and patch.target_name not in (name, _meta_name(self.rendered)):
                continue
            loc = _locate_in_patch(patch, self.rendered, path, value, key)
            if loc is not None:
                return loc
        return None

    def _from_image(self, path: DocPath, value: Any, key: bool) -> Location | None:
        if not path or path[-1] != "image" or not isinstance(value, str):
            return None
        src_path = _source_path(self.rendered, self.source.obj, path)
        original, _ = value_at(self.source.obj, src_path) if src_path is not None else (None, False)
        for rule in self.images:
            if isinstance(original, str) and image_name(original) != rule.name:
                continue  # the rule is for another image
            entry = rule.doc.obj
            for p in rule.path:
                entry = entry[p]
            if not isinstance(entry, dict):
                continue
            for field in ("digest", "newTag", "newName"):
                part = entry.get(field)
                if isinstance(part, (str, int)) and str(part) and str(part) in value:
                    loc = rule.doc.locate((*rule.path, field), key)
                    if loc.exact:
                        return loc
        return None


def image_name(image: str) -> str:
    """`registry:5000/app:1.2@sha256:...` -> `registry:5000/app` (the name kustomize's images: matches)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _meta_name(obj: Any) -> str:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return str(meta.get("name", "")) if isinstance(meta, dict) else ""


def value_at(obj: Any, path: DocPath) -> tuple[Any, bool]:
    for part in path:
        if not _has(obj, part):
            return None, False
        obj = obj[part]
    return obj, True


def _has(obj: Any, part: str | int) -> bool:
    if isinstance(obj, dict):
        return isinstance(part, str) and part in obj
    return isinstance(obj, list) and isinstance(part, int) and 0 <= part < len(obj)


def _source_path(rendered: Any, source: Any, path: DocPath) -> DocPath | None:
    """The rendered path re-expressed in the source: list items are matched by `name` (merge keys move them)."""
    out: list[str | int] = []
    r, s = rendered, source
    for part in path:
        if isinstance(part, int):
            if not isinstance(r, list) or not isinstance(s, list) or not 0 <= part < len(r):
                return None
            idx = _matching_index(r[part], s, part)
            if idx is None:
                return None
            out.append(idx)
            r, s = r[part], s[idx]
        else:
            if not isinstance(r, dict) or not isinstance(s, dict) or part not in r or part not in s:
                return None
            out.append(part)
            r, s = r[part], s[part]
    return tuple(out)


def _matching_index(item: Any, candidates: list[Any], default: int) -> int | None:
    if isinstance(item, dict) and "name" in item:
        for i, c in enumerate(candidates):
            if isinstance(c, dict) and c.get("name") == item["name"]:
                return i
        return None
    return default if default < len(candidates) else None


def _locate_in_patch(patch: Patch, rendered: Any, path: DocPath, value: Any, key: bool) -> Location | None:
    for root in patch.roots:
        if patch.json6902:
            loc = _locate_in_ops(patch, root, path, value, key)
        else:
            loc = _locate_in_smp(patch, root, rendered, path, value, key)
        if loc is not None:
            return loc
    return None


def _locate_in_smp(patch: Patch, root: Node, rendered: Any, path: DocPath, value: Any,
                   key: bool) -> Location | None:
    node: Node = root
    key_node: Node | None = None
    r = rendered
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, SequenceNode) or not isinstance(r, list) or part >= len(r):
                return None
            idx = _matching_index(r[part], [_plain(n) for n in node.value], part)
            if idx is None:
                return None
            node, key_node, r = node.value[idx], None, r[part]
        else:
            child = _child(node, part)
            if child is None or not isinstance(r, dict):
                return None
            (key_node, node), r = child, r.get(part)
    if isinstance(value, (dict, list)) or _scalar_equal(node, value):
        target = key_node if key and key_node is not None else node
        return Location(patch.file, _span(target, patch.line_offset), True)
    return None


def _locate_in_ops(patch: Patch, root: Node, path: DocPath, value: Any, key: bool) -> Location | None:
    if not isinstance(root, SequenceNode):
        return None
    for op_node in reversed(root.value):
        op = _plain(op_node)
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "copy", "move"):
            continue
        op_path = _pointer_parts(str(op.get("path", "")))
        if op_path is None or len(op_path) > len(path) or not _pointer_matches(op_path, path):
            continue
        rest = path[len(op_path):]
        value_child = _child(op_node, "value")
        if value_child is None:
            continue
        node, _, exact = node_at(value_child[1], rest)
        if exact and (isinstance(value, (dict, list)) or _scalar_equal(node, value)):
            return Location(patch.file, _span(node, patch.line_offset), True)
    return None


def _pointer_parts(pointer: str) -> list[str] | None:
    if not pointer.startswith("/"):
        return None
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _pointer_matches(op_path: list[str], path: DocPath) -> bool:
    return all(a == str(b) or (a == "-" and isinstance(b, int)) for a, b in zip(op_path, path))

