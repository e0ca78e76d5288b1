"""Change authority: what a restricted principal (a CI bot such as Renovate) may change.

Principals are named in the base branch's configuration (`ci.authority.principals`) and recognised by
commit author/committer email (any commit in base..head) or by `--actor`. A change is restricted when any
principal matches, and then every changed structural path must be allowed by every matched principal:
the most restrictive reading wins, because commit emails are not authenticated. Humans (no principal
matched) are not limited here; review and branch protection govern them.

Path patterns are JSON pointers with globs per segment: `*` is one segment, `**` any number of them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from linter.changes import ChangeSet, PathChange, ResourceChange, group_of
from linter.gitutil import ChangedFile, Identity
from linter.models import DocPath, Problem, Span

RULE = "CHG-001"

_POD_SPECS = {
    "Pod": "/spec",
    "Deployment": "/spec/template/spec",
    "StatefulSet": "/spec/template/spec",
    "DaemonSet": "/spec/template/spec",
    "ReplicaSet": "/spec/template/spec",
    "ReplicationController": "/spec/template/spec",
    "Job": "/spec/template/spec",
    "CronJob": "/spec/jobTemplate/spec/template/spec",
    "PodTemplate": "/template/spec",
}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_IMAGE_FIELDS = ("newTag", "newName", "digest")
# Keys of HelmRelease values that hold image references by the common chart conventions.
_VALUES_IMAGE_KEYS = ("tag", "digest", "repository", "image", "imageTag", "imageDigest", "imageRepository")


@dataclass(frozen=True)
class Allowance:
    """Changes a principal may make: `paths` of resources of `kinds`, or anything in `files`."""

    kinds: tuple[str, ...] = ()  # "Kind" (any group) or "group/Kind"; "*" any
    paths: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # path globs of whole files the principal may change
    scalar_only: bool = False  # the changed node must be a scalar in head (an image reference is one)

    def allows(self, change: ResourceChange, item: PathChange) -> bool:
        doc = change.head or change.base
        if doc is not None and any(fnmatch.fnmatchcase(doc.file, f) for f in self.files):
            return True
        if not self.paths or not _kind_matches(self.kinds, change):
            return False
        if self.scalar_only and item.op != "remove" and not _scalar_at(change, item.path):
            return False
        return any(path_matches(pattern, item.path) for pattern in self.paths)

    def allows_file(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, f) for f in self.files)


@dataclass(frozen=True)
class Principal:
    name: str
    emails: tuple[str, ...] = ()  # globs, case-insensitive
    actors: tuple[str, ...] = ()  # exact names given with --actor (e.g. GitHub's `github.actor`)
    allow: tuple[Allowance, ...] = ()

    def matches(self, identities: Iterable[Identity], actor: str | None) -> bool:
        if actor is not None and actor in self.actors:
            return True
        emails = {e.lower() for i in identities for e in (i.author_email, i.committer_email) if e}
        return any(fnmatch.fnmatchcase(e, g.lower()) for e in emails for g in self.emails)

    def allows(self, change: ResourceChange, item: PathChange) -> bool:
        return any(a.allows(change, item) for a in self.allow)


def default_allowance() -> tuple[Allowance, ...]:
    """Image references and chart versions: what an image-update bot legitimately changes."""
    out = [Allowance((kind,), tuple(f"{spec}/{lst}/*/image" for lst in _CONTAINER_LISTS), scalar_only=True)
           for kind, spec in _POD_SPECS.items()]
    out.append(Allowance(("kustomize.config.k8s.io/Kustomization",),
                         tuple(f"/images/*/{f}" for f in _IMAGE_FIELDS), scalar_only=True))
    out.append(Allowance(("kustomize.toolkit.fluxcd.io/Kustomization",),
                         tuple(f"/spec/images/*/{f}" for f in _IMAGE_FIELDS), scalar_only=True))
    out.append(Allowance(("helm.toolkit.fluxcd.io/HelmRelease",),
                         ("/spec/chart/spec/version", *(f"/spec/values/**/{k}" for k in _VALUES_IMAGE_KEYS)),
                         scalar_only=True))
    return tuple(out)


def principals_from_config(section: Mapping[str, Any]) -> list[Principal]:
    """`ci.authority.principals` (already schema-validated) as records."""
    out = []
    for raw in section.get("authority", {}).get("principals", ()):
        allow = tuple(Allowance(tuple(a.get("kinds", ("*",))), tuple(a.get("paths", ())),
                                tuple(a.get("files", ()))) for a in raw.get("allow", ()))
        if raw.get("default_allowance", True):
            allow = (*default_allowance(), *allow)
        out.append(Principal(raw["name"], tuple(raw.get("emails", ())), tuple(raw.get("actors", ())), allow))
    return out


def matched(principals: Sequence[Principal], identities: Sequence[Identity],
            actor: str | None) -> list[Principal]:
    return [p for p in principals if p.matches(identities, actor)]


def check(changes: ChangeSet, principals: Sequence[Principal]) -> list[Problem]:
    """CHG-001 for every change some matched principal is not allowed to make."""
    if not principals:
        return []
    problems: list[Problem] = []
    for change in changes.resources:
        for item in change.changes:
            denied = next((p for p in principals if not p.allows(change, item)), None)
            if denied is not None:
                problems.append(_problem(denied, change, item))
    for changed in changes.opaque:
        denied = next((p for p in principals if not any(a.allows_file(changed.path) for a in p.allow)), None)
        if denied is not None:
            problems.append(_opaque_problem(denied, changed))
    return problems


def _problem(who: Principal, change: ResourceChange, item: PathChange) -> Problem:
    what = _describe(change)
    if change.status == "deleted" and change.base is not None:
        loc = change.base.locate(())
        return Problem(RULE, f"{who.name} may not delete {what} (deleted)", loc.file, "change", span=loc.span)
    assert change.head is not None
    if change.status == "added":
        message = f"{who.name} may not add {what}"
    elif item.op == "remove":
        message = f"{who.name} may not remove {_pointer(item.path)} from {what}"
    else:
        verb = "add" if item.op == "add" else "change"
        message = f"{who.name} may not {verb} {_pointer(item.path)} of {what}"
    return Problem(RULE, message, change.head.file, "change", doc=change.head, path=item.at,
                   key=item.op == "add" and bool(item.at) and isinstance(item.at[-1], str))


def _opaque_problem(who: Principal, changed: ChangedFile) -> Problem:
    return Problem(RULE, f"{who.name} may not change this file ({changed.status}; kubegate cannot check "
                   "its structure)", changed.path, "change", span=Span.point(1))


def _describe(change: ResourceChange) -> str:
    if not change.kind:
        return "a non-Kubernetes document"
    ns = f"{change.namespace}/" if change.namespace else ""
    return f"{change.kind} {ns}{change.name}" if change.name else change.kind


def _pointer(path: DocPath) -> str:
    from linter.models import json_pointer

    return json_pointer(path) or "/"


def _kind_matches(kinds: Sequence[str], change: ResourceChange) -> bool:
    group = group_of(change.api_version)
    for k in kinds:
        if k == "*" or k == change.kind or k == f"{group}/{change.kind}":
            return True
    return False


def _scalar_at(change: ResourceChange, path: DocPath) -> bool:
    node: Any = change.head.obj if change.head is not None else None
    for part in path:
        node = _child(node, part)
        if node is _MISSING:
            return False
    return isinstance(node, (str, int, float)) and not isinstance(node, bool)


_MISSING = object()


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part, _MISSING)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING


def path_matches(pattern: str, path: DocPath) -> bool:
    """Does the JSON-pointer glob `pattern` (segments: glob, `*` one, `**` any) match `path`?"""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pattern.split("/")[1:]] if pattern else []
    return _match(parts, [str(p) for p in path])


def _match(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _match(rest, path[1:])
