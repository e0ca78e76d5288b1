"""Change authority through the render: a values change is judged by what it makes the chart install.

A restricted principal (an image-update bot) may change image keys of a HelmRelease's `spec.values`.
Whether that is only an image change depends on the chart: a `tag` a template also uses as a
`hostPath`, or a value that switches on a ClusterRoleBinding, is not. For each HelmRelease whose change
touches only `spec.values`, the release is rendered twice with the same chart, sources and values
objects — with the head's values and with the base's — and the difference between the two sets of
objects goes through the same allowances as a plain manifest change (linter.authority). Labels,
annotations and the namespace of rendered objects are not compared: charts stamp versions and
checksums there, and they grant nothing.

The base's values are the head's HelmRelease (as Flux applies it, post-build substitution done) with
each changed value put back to the base's; a change that is not a plain replacement uses the base's
HelmRelease as written.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from linter import authority
from linter.changes import ChangeSet, PathChange, ResourceChange, diff, group_of
from linter.models import Document, Problem

RenderOne = Callable[[Document], "list[Document] | None"]
_IGNORED = (("metadata", "labels"), ("metadata", "annotations"), ("metadata", "namespace"),
            ("spec", "template", "metadata"), ("spec", "jobTemplate", "spec", "template", "metadata"))


def check(changes: ChangeSet, principals: Sequence[authority.Principal], rendered: Sequence[Document],
          render: RenderOne) -> list[Problem]:
    if not principals:
        return []
    problems: list[Problem] = []
    for change in changes.resources:
        if not _values_only(change):
            continue
        assert change.head is not None and change.base is not None
        head_objects = [d for d in rendered if d.via and d.origin is not None and d.origin.kind == "HelmRelease"
                        and d.origin.name == change.name and d.origin.file == change.head.file]
        if not head_objects:
            continue  # not rendered at head: RENDER-00x says why
        base_objects = render(_base_release(change, rendered))
        if base_objects is None:
            continue
        pairs = ChangeSet([], list(_object_changes(base_objects, head_objects)))
        for p in authority.check(pairs, principals):
            problems.append(replace(p, message=f"{p.message}, which HelmRelease {change.name}'s values change "
                                    "renders"))
    return problems


def _values_only(change: ResourceChange) -> bool:
    return (change.kind == "HelmRelease" and change.api_version.startswith("helm.toolkit.fluxcd.io/")
            and change.status == "modified" and change.head is not None and change.base is not None
            and bool(change.changes) and all(c.path[:2] == ("spec", "values") for c in change.changes))


def _base_release(change: ResourceChange, rendered: Sequence[Document]) -> Document:
    assert change.head is not None and change.base is not None
    head = next((d for d in rendered if d.kind == "HelmRelease" and d.origin is not None and not d.via
                 and d.origin.file == change.head.file and d.name == change.name), None)
    if head is None or not all(c.op == "replace" for c in change.changes):
        return change.base
    obj = copy.deepcopy(head.obj)
    for c in change.changes:
        old = _get(change.base.obj, c.path)
        if not _set(obj, c.path, old):
            return change.base
    return Document(file=head.file, index=head.index, obj=obj, span=head.span, locator=head.locator,
                    origin=head.origin)


def _object_changes(base: Sequence[Document], head: Sequence[Document]) -> list[ResourceChange]:
    def key(d: Document) -> tuple[str, str, str]:
        return group_of(d.api_version), d.kind, d.name

    olds = {key(d): d for d in base}
    out = []
    for new in head:
        old = olds.pop(key(new), None)
        if old is None:
            out.append(ResourceChange("added", new.api_version, new.kind, new.namespace, new.name, new, None,
                                      (PathChange("add", (), ()),)))
            continue
        items = tuple(c for c in diff(old.obj, new.obj) if not any(c.path[:len(p)] == p for p in _IGNORED))
        if items:
            out.append(ResourceChange("modified", new.api_version, new.kind, new.namespace, new.name, new, old, items))
    for old in olds.values():
        out.append(ResourceChange("deleted", old.api_version, old.kind, old.namespace, old.name, None, old,
                                  (PathChange("remove", (), ()),)))
    return out


def _get(obj: Any, path: Sequence[Any]) -> Any:
    for part in path:
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and isinstance(part, int) and 0 <= part < len(obj):
            obj = obj[part]
        else:
            return None
    return obj


def _set(obj: Any, path: Sequence[Any], value: Any) -> bool:
    for part in path[:-1]:
        obj = obj.get(part) if isinstance(obj, dict) else obj[part] if isinstance(obj, list) and \
            isinstance(part, int) and 0 <= part < len(obj) else None
        if obj is None:
            return False
    last = path[-1]
    if isinstance(obj, dict):
        obj[last] = value
        return True
    if isinstance(obj, list) and isinstance(last, int) and 0 <= last < len(obj):
        obj[last] = value
        return True
    return False
