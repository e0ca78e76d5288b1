"""CHG-003 in `kubegate ci`: the suppressions a change adds, and why they do not apply to it.

A pull request that breaks a resource and adds `kubegate.io/ignore` (or a `# kubegate: ignore[...]`
comment, or an exception entry) to that same resource used to pass with a CHG-003 warning: the change
judged itself. Now a suppression the merge base did not have does not apply in `ci`: the finding keeps its
severity and the new suppression is reported (CHG-003) for review. It takes effect once merged. Only the
base's configuration can allow new inline comments and annotations to apply at once
(`ci.allow_new_suppressions: true`); exceptions are judge data and always come from the base.

"Did the base have it" is decided per resource, not per line: an inline comment is the same when the
resource that holds it (kind, namespace, name) had a comment with the same rules and reason at the base,
so moving an existing comment onto another resource counts as adding one. An annotation is new for the
rule ids its base value did not name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from linter import authority, changes, suppress
from linter.gitutil import ChangedFile
from linter.models import ConfigError, Document, Problem, Span

if TYPE_CHECKING:
    from linter.ci import Context, Judge

_PENDING = "; it does not apply to this change (the merge base did not have it) and takes effect once merged"


@dataclass
class Added:
    """What a change adds: CHG-003 problems, and the new suppressions that must not apply."""

    problems: list[Problem] = field(default_factory=list)
    inline: set[tuple[str, int]] = field(default_factory=set)  # (file, line) of each new comment
    annotations: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)  # resource -> rules


def added_suppressions(ctx: Context, judge: Judge, cs: changes.ChangeSet) -> Added:
    # The trusted base's configuration may let new comments and annotations apply at once; under
    # --trust-head the change is its own judge anyway.
    allow = bool(judge.config.section("ci").get("allow_new_suppressions")) or not judge.trusted
    added = Added()
    for changed in cs.files:
        if changed.status == "deleted" or not changes.is_manifest_path(changed.path):
            continue
        _added_inline(ctx, changed, added)
    for rc in cs.resources:
        _added_annotation(rc, added)
    if allow:
        added.inline.clear()
        added.annotations.clear()
    else:
        added.problems = [replace(p, message=p.message + _PENDING) for p in added.problems]
    added.problems.extend(_added_exceptions(ctx, judge, cs.files))
    return added


def withhold(sources: suppress.Sources, added: Added) -> suppress.Sources:
    """`sources` without the suppressions the change added."""
    return replace(sources, withheld_inline=frozenset(added.inline),
                   withheld_annotations=dict(added.annotations))


def restrict_added(problems: Iterable[Problem], restricted: Sequence[authority.Principal]) -> list[Problem]:
    """A restricted principal may not add suppressions at all: each is also a CHG-001."""
    if not restricted:
        return []
    who = restricted[0].name
    return [replace(p, rule_id="CHG-001", message=f"{who} may not add suppressions: "
                    f"{p.message.removesuffix(_PENDING)}", severity=None) for p in problems]


# --- inline comments --------------------------------------------------------------------------------

def _added_inline(ctx: Context, changed: ChangedFile, added: Added) -> None:
    head = ctx.read_head(changed.path)
    if head is None or b"kubegate:" not in head:
        return
    old = ctx.read_base(changed.old_path)
    before = Counter(_inline_key(i, docs) for docs in [_documents(old, changed.old_path)]
                     for i in suppress.parse_inline(_text(old), changed.old_path))
    docs = _documents(head, changed.path)
    for item in suppress.parse_inline(_text(head), changed.path):
        key = _inline_key(item, docs)
        if before[key] > 0:
            before[key] -= 1
            continue
        rules = ", ".join(item.rules) or "?"
        added.problems.append(Problem("CHG-003", f"the change adds an inline suppression of {rules}",
                                      changed.path, "change", span=Span.point(item.line, item.column)))
        added.inline.add((changed.path, item.line))


def _documents(data: bytes | None, file: str) -> list[Document]:
    if not data:
        return []
    from linter.loader import load_bytes

    return list(load_bytes(data, file).documents)


def _inline_key(item: suppress.Inline, docs: Sequence[Document]) -> tuple[Any, ...]:
    """A comment's rules and reason, and the identity of the resource it sits in (or right above)."""
    line = item.line + 1 if item.comment_only else item.line
    holder = next((d for d in docs if d.span.line <= line <= d.span.end_line), None)
    who = (holder.kind, holder.namespace, holder.name) if holder is not None else ()
    return item.rules, item.reason, who


def _text(data: bytes | None) -> str:
    return data.decode("utf-8", "replace") if data else ""


# --- annotations ------------------------------------------------------------------------------------

def _annotation(doc: Any) -> Any:
    meta = doc.obj.get("metadata") if doc is not None and isinstance(doc.obj, dict) else None
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    return notes.get(suppress.ANNOTATION) if isinstance(notes, dict) else None


def _added_annotation(rc: changes.ResourceChange, added: Added) -> None:
    new = _annotation(rc.head)
    if new is None or new == _annotation(rc.base) or rc.head is None:
        return
    rules, _reason = suppress.parse_annotation(new)
    old_rules, _old_reason = suppress.parse_annotation(_annotation(rc.base))
    added.problems.append(Problem("CHG-003", f"the change adds a {suppress.ANNOTATION} annotation for "
                                  f"{', '.join(rules) or '?'}", rc.head.file, "change", doc=rc.head,
                                  path=("metadata", "annotations", suppress.ANNOTATION)))
    fresh = frozenset(rules) - frozenset(old_rules)
    if fresh:
        added.annotations[suppress.doc_key(rc.head, rc.head.file)] = fresh


# --- exceptions -------------------------------------------------------------------------------------

def _added_exceptions(ctx: Context, judge: Judge, files: Sequence[ChangedFile]) -> list[Problem]:
    """Exceptions are read from the merge base in any case: a new one is reported, never applied."""
    name = judge.config.section("ci").get("exceptions_file")
    if not name:
        return []
    from linter.ci import _join

    rel = _join(judge.config_dir, name)
    changed = next((c for c in files if c.path == rel and c.status != "deleted"), None)
    if changed is None:
        return []
    base_keys = Counter(e.key for e in judge.sources.exceptions) if judge.trusted else Counter[Any]()
    try:
        head = suppress.load_exceptions(ctx.read_head(rel) or b"", rel)
    except ConfigError as exc:  # the change's own copy is broken: CHG-002 already flags it
        return [Problem("CHG-003", f"the change's exceptions file is invalid ({exc.__class__.__name__})", rel,
                        "change", span=Span.point(exc.line or 1))]
    out = []
    for entry in head:
        if base_keys[entry.key] > 0:
            base_keys[entry.key] -= 1
            continue
        how = "; exceptions are read from the merge base, so it applies once merged" if judge.trusted else ""
        out.append(Problem("CHG-003", f"the change adds an exception for {entry.rule} on {entry.kind} "
                           f"{entry.name}{how}", rel, "change", span=Span.point(entry.line)))
    return out


__all__ = ["Added", "added_suppressions", "restrict_added", "withhold"]
