"""Change sets by resource identity: what a pull request did to each Kubernetes object.

Resources are matched across base and head by identity (API group, kind, namespace, name), not by file
or position, so a resource moved to another file is *modified* (possibly with no changed paths), not
deleted and added. Each match is deep-diffed into structural paths; lists whose items all carry a unique
string `name` (containers, env, ports, volumes, kustomize images, ...) are matched by name, as a
strategic merge would, so reordering containers is no change and a changed image is one path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from linter.gitutil import ChangedFile
from linter.models import DocPath, Document, json_pointer

# (group, kind, namespace, name); documents without a name are keyed by their file instead.
Key = tuple[str, str, str, str]
Loader = Callable[[bytes, str], "tuple[list[Document], bool]"]
Reader = Callable[[str], "bytes | None"]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZE_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


@dataclass(frozen=True)
class PathChange:
    op: str  # add | remove | replace
    path: DocPath  # head coordinates for add/replace; base coordinates for remove
    at: DocPath  # where to point in the head document: the node, or a removed node's parent

    @property
    def pointer(self) -> str:
        return json_pointer(self.path)


@dataclass(frozen=True)
class ResourceChange:
    status: str  # added | modified | deleted | renamed
    api_version: str
    kind: str
    namespace: str
    name: str
    head: Document | None
    base: Document | None
    changes: tuple[PathChange, ...] = ()

    @property
    def changed_paths(self) -> list[str]:
        return [c.pointer for c in self.changes]

    @property
    def is_resource(self) -> bool:
        doc = self.head or self.base
        return doc is not None and doc.role in ("resource", "kustomize")

    def to_data(self) -> dict[str, Any]:
        """The record policies see as `data.kubegate.change[_]`."""
        return {
            "kind": self.kind, "apiVersion": self.api_version, "namespace": self.namespace, "name": self.name,
            "status": self.status, "changed_paths": self.changed_paths,
            "changes": [{"op": c.op, "path": list(c.path)} for c in self.changes],
            "file": self.head.file if self.head else "", "base_file": self.base.file if self.base else "",
            "base": self.base.obj if self.base is not None else None,
        }


@dataclass
class ChangeSet:
    files: list[ChangedFile]
    resources: list[ResourceChange] = field(default_factory=list)
    # Changed files whose structure is unknown: not YAML/JSON, or failed to parse on either side.
    opaque: list[ChangedFile] = field(default_factory=list)

    def to_data(self) -> list[dict[str, Any]]:
        return [r.to_data() for r in self.resources if r.is_resource]


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_manifest_path(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(MANIFEST_SUFFIXES) or name in KUSTOMIZE_NAMES


def default_loader(data: bytes, file: str) -> tuple[list[Document], bool]:
    """Load and classify with the project's loader; the flag is False when the file had parse errors."""
    from linter.loader import load_bytes
    from linter.pipeline import classify

    result = load_bytes(data, file)
    for doc in result.documents:
        classify(doc)
    ok = not any(p.source == "parse" and p.rule_id in ("YAML-001", "YAML-003", "YAML-005")
                 for p in result.problems)
    return list(result.documents), ok


def compute(files: Sequence[ChangedFile], read_base: Reader, read_head: Reader,
            load: Loader = default_loader) -> ChangeSet:
    """The change set of `files`: parse both sides of each, match by identity, deep-diff the matches."""
    out = ChangeSet(list(files))
    base_docs: list[tuple[Document, str]] = []  # (document, key file: the head path of its file)
    head_docs: list[tuple[Document, str]] = []
    for changed in files:
        if not is_manifest_path(changed.path) and not is_manifest_path(changed.old_path):
            out.opaque.append(changed)
            continue
        sides = _load_sides(changed, read_base, read_head, load)
        if sides is None:
            out.opaque.append(changed)
            continue
        base_docs.extend((d, changed.path) for d in sides[0])
        head_docs.extend((d, changed.path) for d in sides[1])
    out.resources = _match(base_docs, head_docs)
    return out


def _load_sides(changed: ChangedFile, read_base: Reader, read_head: Reader,
                load: Loader) -> tuple[list[Document], list[Document]] | None:
    sides: list[list[Document]] = []
    for path, read in ((changed.old_path, read_base), (changed.path if changed.status != "deleted" else "",
                                                      read_head)):
        data = read(path) if path else None
        if data is None:
            sides.append([])
            continue
        docs, ok = load(data, path)
        if not ok:
            return None
        sides.append([d for d in docs if d.obj is not None])
    return sides[0], sides[1]


def identity(doc: Document, key_file: str) -> Key:
    name = doc.name
    if doc.role == "other" or not name:
        # Nameless documents (kustomization.yaml, plain YAML) are only the same across a file rename.
        name = f"{key_file}#{doc.index if doc.role == 'other' else 0}"
    return (group_of(doc.api_version), doc.kind, doc.namespace, name)


def _match(base: Sequence[tuple[Document, str]],
           head: Sequence[tuple[Document, str]]) -> list[ResourceChange]:
    by_key: dict[Key, tuple[list[tuple[Document, str]], list[tuple[Document, str]]]] = defaultdict(
        lambda: ([], []))
    for doc, key_file in base:
        by_key[identity(doc, key_file)][0].append((doc, key_file))
    for doc, key_file in head:
        by_key[identity(doc, key_file)][1].append((doc, key_file))
    changes: list[ResourceChange] = []
    added: list[Document] = []
    deleted: list[Document] = []
    for olds, news in by_key.values():
        for old, new in _pair(olds, news):
            if old is None and new is not None:
                added.append(new)
            elif new is None and old is not None:
                deleted.append(old)
            elif old is not None and new is not None:
                change = _modified(old, new)
                if change is not None:
                    changes.append(change)
    changes.extend(_renames_and_rest(added, deleted))
    return sorted(changes, key=_sort_key)


def _pair(olds: list[tuple[Document, str]],
          news: list[tuple[Document, str]]) -> Iterable[tuple[Document | None, Document | None]]:
    """Same identity on both sides: pair within a file first (kustomize patches repeat identities)."""
    olds, news = list(olds), list(news)
    for old in list(olds):
        same = next((n for n in news if n[1] == old[1]), None)
        if same is not None:
            olds.remove(old)
            news.remove(same)
            yield old[0], same[0]
    for i in range(max(len(olds), len(news))):
        yield (olds[i][0] if i < len(olds) else None), (news[i][0] if i < len(news) else None)


def _modified(old: Document, new: Document) -> ResourceChange | None:
    diffs = tuple(diff(old.obj, new.obj))
    if not diffs and old.file == new.file:
        return None
    return _record("modified", old, new, diffs)


def _renames_and_rest(added: list[Document], deleted: list[Document]) -> list[ResourceChange]:
    """An added and a deleted resource that differ only in metadata.name were renamed."""
    out: list[ResourceChange] = []
    for new in added:
        old = next((d for d in deleted if d.role == "resource" and _same_but_name(d, new)), None)
        if old is not None:
            deleted.remove(old)
            out.append(_record("renamed", old, new, tuple(diff(old.obj, new.obj))))
        else:
            out.append(_record("added", None, new, (PathChange("add", (), ()),)))
    out.extend(_record("deleted", old, None, (PathChange("remove", (), ()),)) for old in deleted)
    return out


def _same_but_name(old: Document, new: Document) -> bool:
    if (group_of(old.api_version), old.kind, old.namespace) != (group_of(new.api_version), new.kind,
                                                                   new.namespace):
        return False
    return [c.path for c in diff(old.obj, new.obj)] == [("metadata", "name")]


def _record(status: str, old: Document | None, new: Document | None,
            diffs: tuple[PathChange, ...]) -> ResourceChange:
    doc = new if new is not None else old
    assert doc is not None
    return ResourceChange(status, doc.api_version, doc.kind, doc.namespace, doc.name, new, old, diffs)


def _sort_key(change: ResourceChange) -> tuple[str, int, str]:
    doc = change.head or change.base
    assert doc is not None
    return (doc.file, doc.index, change.status)


# --- deep diff -----------------------------------------------------------------------------------

def diff(old: Any, new: Any, path: DocPath = (), base_path: DocPath = ()) -> Iterable[PathChange]:
    """Structural differences, outermost first: an added or removed subtree is one change."""
    if isinstance(old, dict) and isinstance(new, dict):
        yield from _diff_dict(old, new, path, base_path)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _diff_list(old, new, path, base_path)
    elif not _same_scalar(old, new):
        yield PathChange("replace", path, path)


def _same_scalar(old: Any, new: Any) -> bool:
    # `True == 1` in Python; Kubernetes sees different types, so the type must match too.
    return type(old) is type(new) and old == new


def _diff_dict(old: dict[Any, Any], new: dict[Any, Any], path: DocPath,
               base_path: DocPath) -> Iterable[PathChange]:
    for key, value in new.items():
        if key not in old:
            yield PathChange("add", (*path, key), (*path, key))
        else:
            yield from diff(old[key], value, (*path, key), (*base_path, key))
    for key in old:
        if key not in new:
            yield PathChange("remove", (*base_path, key), path)


def _diff_list(old: list[Any], new: list[Any], path: DocPath, base_path: DocPath) -> Iterable[PathChange]:
    old_names, new_names = _names(old), _names(new)
    if old_names is not None and new_names is not None:
        for name, j in new_names.items():
            i = old_names.get(name)
            if i is None:
                yield PathChange("add", (*path, j), (*path, j))
            else:
                yield from diff(old[i], new[j], (*path, j), (*base_path, i))
        for name, i in old_names.items():
            if name not in new_names:
                yield PathChange("remove", (*base_path, i), path)
        return
    for i in range(min(len(old), len(new))):
        yield from diff(old[i], new[i], (*path, i), (*base_path, i))
    for j in range(len(old), len(new)):
        yield PathChange("add", (*path, j), (*path, j))
    for i in range(len(new), len(old)):
        yield PathChange("remove", (*base_path, i), path)


def _names(items: list[Any]) -> dict[str, int] | None:
    """name -> index when every item is a mapping with a unique string `name`, else None."""
    names: dict[str, int] = {}
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or name in names:
            return None
        names[name] = i
    return names if names else None
