"""When the engine fails on a batch: find the failing rules and documents, answer everything else.

The fast path asks the engine once per batch. If that fails, each rule is asked alone over the whole
batch (together about the cost of the batch); a rule that still fails is asked on halves of the
batch, down to the single documents it fails on. Every other (rule, document) pair keeps its answer,
so one bad document or one broken rule never hides the findings on the rest; the failures become
ENGINE-001 findings and the run still fails closed (exit 3).

Engines that cannot be asked one rule at a time (a remote OPA server answers data references only)
are bisected by documents with every rule, and the rule is inferred from the error's policy file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from linter.models import EngineError

# A rule that fails on more documents than this is not bisected further: the remaining documents
# are reported together (a rule failing on everything would otherwise cost a query per document).
MAX_ISOLATED = 50

# query(doc indexes) -> the batch answer for those documents (per target, [[i, results], ...] with i
# indexing the given list); target_query(k, doc indexes) -> target k's hits alone.
Query = Callable[[list[int]], Any]
TargetQuery = Callable[[int, list[int]], Any]


@dataclass(frozen=True)
class Failure:
    """A rule (index into the targets; None when unknown) that could not be evaluated on documents
    (indexes into the batch; `more`: further documents that were not isolated one by one)."""

    target: int | None
    docs: tuple[int, ...]
    message: str
    more: int = 0


def isolate(count: int, targets: int, query: Query, target_query: TargetQuery | None) -> tuple[list[list[Any]], list[Failure]]:
    """The answer for a batch of `count` documents that failed as a whole, and what failed."""
    every = list(range(count))
    merged: list[list[Any]] = [[] for _ in range(targets)]
    failures: list[Failure] = []
    if target_query is None:
        bad: list[tuple[int, str]] = []
        _bisect(every, lambda idx: _whole(query(idx), idx, merged), bad)
        failures.extend(Failure(None, (i,), msg) for i, msg in bad)
        return merged, failures
    for k in range(targets):
        bad = []

        def ask(idx: list[int], k: int = k) -> None:
            merged[k].extend(_remap(target_query(k, idx), idx))

        left = _bisect(every, ask, bad)
        if bad:
            failures.append(Failure(k, tuple(i for i, _m in bad), bad[0][1], left))
    return merged, failures


def _bisect(idx: list[int], ask: Callable[[list[int]], None], bad: list[tuple[int, str]]) -> int:
    """Ask for `idx`; on failure, for each half, down to single documents, which go to `bad`.
    Returns how many failing documents were left unisolated once MAX_ISOLATED was reached."""
    if not idx:
        return 0
    if len(bad) >= MAX_ISOLATED:
        try:
            ask(idx)
            return 0
        except EngineError:
            return len(idx)
    try:
        ask(idx)
        return 0
    except EngineError as exc:
        if len(idx) == 1:
            bad.append((idx[0], str(exc)))
            return 0
    half = len(idx) // 2
    return _bisect(idx[:half], ask, bad) + _bisect(idx[half:], ask, bad)


def _whole(answer: Any, idx: list[int], merged: list[list[Any]]) -> None:
    if not isinstance(answer, list) or len(answer) != len(merged):
        raise EngineError("policy engine: malformed batch result")
    for k, hits in enumerate(answer):
        merged[k].extend(_remap(hits, idx))


def _remap(hits: Any, idx: Sequence[int]) -> list[Any]:
    """Hits with indexes into the sub-batch `idx`, as indexes into the whole batch."""
    if not isinstance(hits, list):
        raise EngineError("policy engine: malformed batch result")
    out = []
    for hit in hits:
        if (isinstance(hit, list) and len(hit) == 2 and isinstance(hit[0], int) and not isinstance(hit[0], bool)
                and 0 <= hit[0] < len(idx)):
            out.append([idx[hit[0]], hit[1]])
        else:
            out.append(hit)  # malformed: PolicySet._problems names the rule
    return out
