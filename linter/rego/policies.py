"""Loading Rego policies with their METADATA, and evaluating them over many documents in one query.

Batching: a generated wrapper module iterates the documents given as the wrapper's `input.docs` and
evaluates each policy rule `with input as doc`, so policies see exactly what conftest would give them
(`input` = the manifest) while the engine is entered once per batch instead of once per document
(measured several times cheaper in regorus). regopy cannot run that construct reliably (see PER_DOCUMENT):
it gets one query per document.
The documents travel in `input`, never in `data`, so they cannot collide with the caller's data; a
document that is itself an item of data.kubegate.resources travels as its index there (see
`batch_input`), so the engine does not hold it twice.

Dispatch by kind: a rule whose METADATA lists `custom.kinds` is only called for documents of those
kinds (`input.sel[g]` holds their indexes), and a package none of whose rules applies to a run's kinds
is not compiled at all, unless a package that is compiled refers to it. Calling a rule costs regorus a
few microseconds even when its first line rejects the document, and most rules are about a few kinds.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from linter.models import ConfigError, Document, EngineError, Problem, RuleInfo, Severity
from linter.rego.engine import UNDEFINED, Engine, ModuleInfo, check_modules, make_engine
from linter.rego.isolate import Failure, TargetQuery, isolate
from linter.rego.metadata import Annotation, kebab, parse_annotations

POLICY_RULE = re.compile(r"^(deny|warn|violation)(_[A-Za-z0-9_]+)?$")
WRAPPER_PACKAGE = "kubegate_internal_batch"
WRAPPER_FILE = "<kubegate-batch>.rego"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Built-ins a gate must not run (issue 13 row 9): opa.runtime() exposes the process environment;
# http.send and net.lookup_ip_addr reach the network, which regorus answers with nothing (a silent
# pass) and OPA with whatever the network says (a judge that depends on the outside).
_FORBIDDEN_CALL = re.compile(r"\b(opa\.runtime|http\.send|net\.lookup_ip_addr)\s*\(")
_FORBIDDEN_WHY = {
    "opa.runtime": "opa.runtime() is not allowed in kubegate policies (it exposes the process environment)",
    "http.send": "network built-ins are not allowed in kubegate policies: http.send() (a gate's answer must "
                 "depend on the change only; pass data with `policies.params` or data files instead)",
    "net.lookup_ip_addr": "network built-ins are not allowed in kubegate policies: net.lookup_ip_addr() (a "
                          "gate's answer must depend on the change only)",
}
# Strings (double-quoted with escapes, or raw backquoted) and comments: what a call pattern must skip.
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|#[^\n]*')
# Engines that evaluate any query text (a remote OPA server answers data references only).
AD_HOC_QUERIES = {"regorus"}
# Documents per engine call.
CHUNK = {"regorus": 50_000, "opa": 1_000}
# regopy 1.5 fails (ok() false, unreadable error) when a rule evaluated `with input as doc` calls a
# builtin on a value taken from that input, and is superlinear on large batches: one query per document.
PER_DOCUMENT = {"regopy"}


@dataclass(frozen=True)
class Target:
    """One policy rule (`deny`, `warn_foo`, ...) of one package, and the rule id its results carry."""

    package: str
    path: tuple[str, ...]  # the package path (segments may contain dots when quoted)
    rule: str
    rule_id: str
    severity: Severity | None  # proposed per result: WARNING for warn rules, None for deny/violation
    file: str
    # The package's one-argument function this rule only delegates to (`deny contains f if some f in
    # errors(input)`), called directly in batches; None: evaluated `with input as doc`.
    direct: str | None = None
    kinds: tuple[str, ...] | None = None  # METADATA custom.kinds, groups expanded; None: every kind


@dataclass
class PolicySet:
    rules: dict[str, RuleInfo]
    files: list[Path]
    engine_name: str = "regorus"
    opa_url: str | None = None
    targets: list[Target] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)
    # The package of each module, and the packages each package refers to (`data.x.y`, imports):
    # what must be compiled with a package. None: unknown, compile every module.
    module_packages: dict[str, str] | None = None
    package_refs: dict[str, list[str]] | None = None
    _engines: dict[tuple[int, tuple[int, ...]], Engine] = field(default_factory=dict, repr=False,
                                                                compare=False)
    # Seconds that user (not bundled) rules may take over a run's documents, evaluated in a forked
    # child that is killed past it (policies.budget_seconds; 0: no budget, in this process).
    budget: float = 0.0

    def evaluate(self, documents: Sequence[Document], data: dict[str, Any], *,
                 dispatch: bool = True) -> list[Problem]:
        """Every policy result for `documents` (given to policies as `input`, one at a time).

        `dispatch=False` calls every rule for every document (custom.kinds ignored): the same
        answers, slower; tests use it to prove the kinds declarations sound."""
        targets = self.applicable(documents) if dispatch else list(self.targets)
        if not targets or not documents:
            return []
        user = [t for t in targets if not _bundled(t)]
        if user and self.budget > 0 and self.engine_name in AD_HOC_QUERIES:
            from linter.forking import can_fork

            if can_fork():
                trusted = [t for t in targets if _bundled(t)]
                problems = self._evaluate_targets(trusted, documents, data, dispatch) if trusted else []
                return problems + self._evaluate_budgeted(user, documents, data, dispatch)
        return self._evaluate_targets(targets, documents, data, dispatch)

    def _evaluate_budgeted(self, targets: list[Target], documents: Sequence[Document], data: dict[str, Any],
                           dispatch: bool) -> list[Problem]:
        """User rules in a child killed after `budget` seconds (issue 13 row 3: a 27-million-item
        comprehension ran past 60 s with no output). Past the budget, or if the engine dies, each
        rule is ENGINE-001 at the first document: exit 3, naming the rules; the bundled library's
        findings, evaluated in this process, are kept."""
        from linter.forking import BudgetExceeded, WorkerError, fork_call

        objs = [d.obj for d in documents]

        def evaluate() -> tuple[Any, list[Failure]]:
            engine = self._engine(targets, dispatch)
            engine.set_data(data)
            return answer_batch(engine, targets, objs, dispatch, _shared(data))

        try:
            answer, failures = fork_call(evaluate, self.budget)
        except BudgetExceeded:
            why = (f"did not finish within the policy evaluation budget of {self.budget:g} s "
                   "(policies.budget_seconds; raise it, or make the rule cheaper)")
            return self._failures(targets, [Failure(k, (0,), why) for k in range(len(targets))], documents)
        except WorkerError as exc:
            return self._failures(targets, [Failure(k, (0,), f"the engine process failed: {exc}")
                                            for k in range(len(targets))], documents)
        return [*self._problems(targets, answer, documents), *self._failures(targets, failures, documents)]

    def _evaluate_targets(self, targets: list[Target], documents: Sequence[Document], data: dict[str, Any],
                          dispatch: bool) -> list[Problem]:
        if self.engine_name in PER_DOCUMENT:
            engine = self._engine(targets, dispatch)
            engine.set_data(data)
            return self._evaluate_each(engine, targets, documents, dispatch, data)
        workers = _parallel_workers(self.engine_name, len(documents))
        if workers > 1:
            return self._evaluate_parallel(targets, documents, data, workers, dispatch)
        engine = self._engine(targets, dispatch)
        engine.set_data(data)
        size = CHUNK.get(engine.name, 1_000)
        problems: list[Problem] = []
        for start in range(0, len(documents), size):
            chunk = documents[start:start + size]
            answer, failures = answer_batch(engine, targets, [d.obj for d in chunk], dispatch, _shared(data))
            problems.extend(self._problems(targets, answer, chunk))
            problems.extend(self._failures(targets, failures, chunk))
        return problems

    def applicable(self, documents: Sequence[Document]) -> list[Target]:
        """The targets that may report on some of `documents`: kind-less ones, and those whose kinds
        occur among them."""
        present = {_kind(d.obj) for d in documents}
        return [t for t in self.targets if t.kinds is None or not present.isdisjoint(t.kinds)]

    def _evaluate_parallel(self, targets: list[Target], documents: Sequence[Document], data: dict[str, Any],
                           workers: int, dispatch: bool) -> list[Problem]:
        """Large batches on several cores: one engine per process (engines cannot be shared), each
        answering a share of the documents; this process answers the first share, forked children
        the others. Any worker failure fails the gate.

        The children inherit what they need from the fork instead of receiving it pickled."""
        from linter.forking import WorkerError, fork_map

        shares = balanced_shares(targets, documents, workers)
        modules, wrapper = self.modules_for(targets, dispatch), wrapper_module(targets)
        objs = [[documents[i].obj for i in share] for share in shares]
        try:
            answers = fork_map(lambda k: _evaluate_share(self.engine_name, modules, wrapper, data, targets, objs[k],
                                                         dispatch), workers)
        except EngineError:
            raise
        except WorkerError as exc:
            raise EngineError(f"policy engine {self.engine_name}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a broken worker must be a red gate, never a pass
            raise EngineError(f"policy engine {self.engine_name}: a worker process failed "
                              f"({exc.__class__.__name__})") from None
        problems: list[Problem] = []
        for share, (answer, failures) in zip(shares, answers):
            chunk = [documents[i] for i in share]
            problems.extend(self._problems(targets, answer, chunk))
            problems.extend(self._failures(targets, failures, chunk))
        return problems

    def _evaluate_each(self, engine: Engine, targets: list[Target], documents: Sequence[Document],
                       dispatch: bool, data: dict[str, Any]) -> list[Problem]:
        """One query per document, the document as the real `input` (no `with`). Every rule runs;
        with `dispatch`, answers of rules whose kinds exclude the document are dropped, so that
        every engine gives the same answers."""
        problems: list[Problem] = []
        for doc in documents:
            try:
                answer = engine.eval_query(f"data.{WRAPPER_PACKAGE}.single", doc.obj)
            except EngineError as exc:  # this document only: the others are still judged
                problems.extend(self._failures(targets, [Failure(None, (0,), str(exc))], [doc]))
                # regopy 1.5 fails every later query of an interpreter that failed once: a new one.
                self._engines.pop((threading.get_ident(), tuple(self.targets.index(t) for t in targets)), None)
                engine = self._engine(targets, dispatch)
                engine.set_data(data)
                continue
            if not isinstance(answer, list):
                raise EngineError(f"policy engine {self.engine_name}: malformed result")
            kind = _kind(doc.obj)
            batch = [[] if dispatch and t.kinds is not None and kind not in t.kinds
                     else [[0, xs] for xs in entry] if isinstance(entry, list) else entry
                     for t, entry in zip(targets, answer)]
            problems.extend(self._problems(targets, batch, [doc]))
        return problems

    def modules_for(self, targets: Sequence[Target], prune: bool = True) -> dict[str, str]:
        """The modules to compile for `targets`: every module, less the packages that define policy
        rules none of which is in `targets` and that no compiled package refers to."""
        if not prune or self.module_packages is None or self.package_refs is None:
            return self.modules
        refs = self.package_refs
        rule_packages = {t.package for t in self.targets}
        seed = {p for p in refs if p not in rule_packages} | {t.package for t in targets}
        keep = _closure(seed, refs, lambda name, kept: any(_refers(r, name) for k in kept for r in refs[k]))
        return {f: src for f, src in self.modules.items() if self.module_packages.get(f) in keep}

    def _engine(self, targets: list[Target], prune: bool = True) -> Engine:
        # One engine per thread: neither embedded engine survives being shared; and one per set of
        # targets, since a run compiles only the packages its documents need.
        key = (threading.get_ident(), tuple(self.targets.index(t) for t in targets))
        engine = self._engines.get(key)
        if engine is None:
            engine = make_engine(self.engine_name, opa_url=self.opa_url)
            for filename, source in self.modules_for(targets, prune).items():
                engine.add_policy(filename, source)
            engine.add_policy(WRAPPER_FILE, wrapper_module(targets, engine.name in PER_DOCUMENT))
            self._engines[key] = engine
        return engine

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_engines"] = {}  # engines never cross a process boundary
        return state

    def _problems(self, targets: list[Target], answer: Any, chunk: Sequence[Document]) -> list[Problem]:
        if answer is UNDEFINED or not isinstance(answer, list) or len(answer) != len(targets):
            raise EngineError(f"policy engine {self.engine_name}: malformed batch result")
        problems: list[Problem] = []
        for target, hits in zip(targets, answer):
            if not isinstance(hits, list):
                raise EngineError(f"policy engine {self.engine_name}: malformed batch result")
            for hit in hits:
                index, results = _hit(hit, len(chunk), target)
                problems.extend(self._results(target, chunk[index], results))
        return problems

    def _failures(self, targets: list[Target], failures: Sequence[Failure],
                  chunk: Sequence[Document]) -> list[Problem]:
        """ENGINE-001 on each document a rule could not be evaluated on (linter.rego.isolate)."""
        problems: list[Problem] = []
        for failure in failures:
            target = targets[failure.target] if failure.target is not None else None
            what = (f"rule {target.rule_id} ({target.file}) could not be evaluated on this document"
                    if target is not None else "the policy engine failed on this document")
            more = (f"; {failure.more} more documents fail the same way and were not isolated one by one"
                    if failure.more else "")
            for index in failure.docs:
                problems.append(Problem(
                    rule_id="ENGINE-001",
                    message=f"{what}: {_first_line(failure.message)}{more}. Every other rule and document "
                            f"was checked; the run fails closed (exit 3)",
                    file=chunk[index].file, source="policy", doc=chunk[index],
                ))
                more = ""
        return problems

    def _results(self, target: Target, doc: Document, results: Any) -> list[Problem]:
        if not isinstance(results, list):
            raise _bad_result(target, "is not a set of messages")
        info = self.rules[target.rule_id]
        return [
            Problem(
                rule_id=target.rule_id,
                message=message,
                file=doc.file,
                source="policy",
                doc=doc,
                path=path,
                severity=target.severity,
                rule_name=info.name,
            )
            for message, path in (_result(target, item) for item in results)
        ]


def _bundled(target: Target) -> bool:
    """Whether a rule comes from the bundled library (trusted, tested to stay fast and finite)."""
    return target.file.startswith(_bundled_prefix())


@functools.lru_cache(maxsize=1)
def _bundled_prefix() -> str:
    from linter.resources import bundled_dir

    return str(bundled_dir("policies")) + os.sep


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no message"
    return line if len(line) <= limit else line[:limit] + "…"


def _hit(hit: Any, size: int, target: Target) -> tuple[int, Any]:
    if (not isinstance(hit, list) or len(hit) != 2 or not isinstance(hit[0], int)
            or isinstance(hit[0], bool) or not 0 <= hit[0] < size):
        raise _bad_result(target, "gave a malformed batch entry")
    return hit[0], hit[1]


def _result(target: Target, item: Any) -> tuple[str, tuple[str | int, ...]]:
    """A result is a string, or an object with a string `msg` and an optional `path` (conftest's
    `details` and other keys are allowed and ignored)."""
    if isinstance(item, str):
        return item, ()
    if not isinstance(item, dict):
        raise _bad_result(target, "returned a result that is neither a string nor an object")
    msg = item.get("msg")
    if not isinstance(msg, str):
        raise _bad_result(target, "returned an object without a string `msg`")
    path = item.get("path", [])
    if path is None:
        path = []
    if not isinstance(path, list) or not all(
            isinstance(p, str) or (isinstance(p, int) and not isinstance(p, bool)) for p in path):
        raise _bad_result(target, "returned a `path` that is not a list of keys and indexes")
    return msg, tuple(path)


def _bad_result(target: Target, why: str) -> EngineError:
    return EngineError(f"policy {target.package} ({target.file}): rule `{target.rule}` {why}")


# --- the batch wrapper ----------------------------------------------------------------------------


def rego_ref(path: Sequence[str]) -> str:
    """`data.a.b["c-d"]` for a package path."""
    parts = ["data"]
    for seg in path:
        parts.append(f".{seg}" if _IDENT.match(seg) else f"[{_rego_string(seg)}]")
    return "".join(parts)


def _rego_string(text: str) -> str:
    import json

    return json.dumps(text)


_BATCH_QUERY = f"data.{WRAPPER_PACKAGE}.results"
# Measured: regorus spends ~20 us per rule and document, so a fleet of a few thousand documents with the
# full library takes about a second on one core. Below this many documents, forking costs more than
# it saves.
PARALLEL_MIN_DOCUMENTS = 400
# Every worker's engine holds its own copy of data.kubegate.resources (~4 KB per document), on top of
# the parent's documents: above this many, workers would take the run past 1 GB at 100k documents,
# so large runs evaluate on one core unless KUBEGATE_JOBS asks for workers.
PARALLEL_MAX_DOCUMENTS = 20_000


def _parallel_workers(engine: str, count: int) -> int:
    from linter.forking import asked_jobs, can_fork, cores

    asked = asked_jobs()
    if engine != "regorus" or count < PARALLEL_MIN_DOCUMENTS or asked == 1 or not can_fork():
        return 1
    if count > PARALLEL_MAX_DOCUMENTS and asked is None:
        return 1
    return max(1, min(cores(), count // 200))


def _evaluate_share(engine_name: str, modules: dict[str, str], wrapper: str, data: dict[str, Any],
                    targets: list[Target], objs: list[Any], dispatch: bool) -> tuple[Any, list[Failure]]:
    engine = make_engine(engine_name)
    for filename, source in modules.items():
        engine.add_policy(filename, source)
    engine.add_policy(WRAPPER_FILE, wrapper)
    engine.set_data(data)
    return answer_batch(engine, targets, objs, dispatch, _shared(data))


def answer_batch(engine: Engine, targets: list[Target], objs: list[Any], dispatch: bool,
                 shared: list[Any] | None) -> tuple[Any, list[Failure]]:
    """The batch answer in one query; when the engine fails, every rule and document that can still
    be answered, and what failed (linter.rego.isolate)."""
    def query(idx: list[int]) -> Any:
        return engine.eval_query(_BATCH_QUERY, batch_input(targets, [objs[i] for i in idx], dispatch, shared))

    try:
        return query(list(range(len(objs)))), []
    except EngineError:
        pass
    target_query: TargetQuery | None = None
    if engine.name in AD_HOC_QUERIES:
        group_of = {kinds: g for g, kinds in enumerate(kind_groups(targets))}
        docs = f"data.{WRAPPER_PACKAGE}.docs"
        texts = [target_entry(t, group_of, docs) for t in targets]

        def target_query(k: int, idx: list[int]) -> Any:
            return engine.eval_query(texts[k], batch_input(targets, [objs[i] for i in idx], dispatch, shared))
    return isolate(len(objs), len(targets), query, target_query)


def balanced_shares(targets: Sequence[Target], documents: Sequence[Document], workers: int) -> list[list[int]]:
    """Document indexes for each worker, balanced by the number of rules each document is called
    with (a Deployment meets ~30, a Service 3): the run waits for the slowest worker, and an
    interleaved split left them 10-25% apart on a generated fleet. Greedy, heaviest first; each
    share keeps document order."""
    import heapq

    free = sum(1 for t in targets if t.kinds is None)
    per_kind: dict[Any, int] = {}
    for target in targets:
        for kind in target.kinds or ():
            per_kind[kind] = per_kind.get(kind, 0) + 1
    weights = [free + per_kind.get(_kind(d.obj), 0) + 1 for d in documents]
    load = [(0, w) for w in range(workers)]
    shares: list[list[int]] = [[] for _ in range(workers)]
    for i in sorted(range(len(documents)), key=lambda i: -weights[i]):
        total, w = heapq.heappop(load)
        shares[w].append(i)
        heapq.heappush(load, (total + weights[i], w))
    return [sorted(share) for share in shares]


def _kind(obj: Any) -> Any:
    return obj.get("kind") if isinstance(obj, dict) else None


def kind_groups(targets: Sequence[Target]) -> list[tuple[str, ...]]:
    """The distinct `kinds` of `targets`, in order: group g is `input.sel[g]` in the wrapper."""
    return list(dict.fromkeys(t.kinds for t in targets if t.kinds is not None))


def _shared(data: dict[str, Any]) -> list[Any] | None:
    kubegate = data.get("kubegate")
    resources = kubegate.get("resources") if isinstance(kubegate, dict) else None
    return resources if isinstance(resources, list) else None


def batch_input(targets: Sequence[Target], objs: list[Any], dispatch: bool = True,
                shared: list[Any] | None = None) -> dict[str, Any]:
    """The wrapper's input: the documents, and for each kind group the indexes of its documents
    (with `dispatch` off, every index: each rule is called for every document).

    A document that is (the very object) an item of `shared`, the run's data.kubegate.resources,
    travels as its index there (`refs`; -1: in `docs`) and `docs` holds null in its place: the
    engine would otherwise hold every checked resource twice (at 20k documents, 60 MB)."""
    groups = kind_groups(targets)
    position = {id(obj): j for j, obj in enumerate(shared)} if shared else {}
    refs = [position.get(id(obj), -1) for obj in objs]
    docs = [None if j >= 0 else obj for obj, j in zip(objs, refs)]
    if not dispatch:
        every = list(range(len(objs)))
        return {"docs": docs, "refs": refs, "sel": [every for _ in groups]}
    by_kind: dict[Any, list[int]] = {}
    for i, obj in enumerate(objs):
        kind = _kind(obj)
        if isinstance(kind, str):
            by_kind.setdefault(kind, []).append(i)
    sel = [sorted(i for kind in group for i in by_kind.get(kind, ())) for group in groups]
    return {"docs": docs, "refs": refs, "sel": sel}


def wrapper_module(targets: Sequence[Target], per_document: bool = False) -> str:
    """`results`: one comprehension per policy rule, [[document index, results], ...] for the documents
    (with results) in `input.docs`, or for a rule with kinds in its group's `input.sel[g]`; `single`:
    per rule, [results] or [] for one document as `input`."""
    group_of = {kinds: g for g, kinds in enumerate(kind_groups(targets))}
    entries = [f"  {target_entry(t, group_of)}" for t in targets]
    singles = [f"  [xs | xs := {rego_ref([*t.path, t.rule])}\n    xs != set()\n    xs != []]" for t in targets]
    head = f"package {WRAPPER_PACKAGE}\n\nimport rego.v1\n\n"
    if per_document:  # regopy fails to compile the whole program when `results` trips it
        return head + "single := [\n" + ",\n".join(singles) + ",\n]\n"
    return head + _DOCS + "results := [\n" + ",\n".join(entries) + ",\n]\n"


def target_entry(t: Target, group_of: dict[tuple[str, ...], int], docs: str = "docs") -> str:
    """One rule's comprehension over the batch: [[document index, results], ...]. With `docs` a full
    reference (`data.kubegate_internal_batch.docs`), it is a query of its own: how a failing batch
    is asked one rule at a time (linter.rego.isolate)."""
    # `with input as doc` makes the engine recompute every whole-run rule (cross-resource indexes)
    # for each document; calling the rule's delegate function directly keeps them cached.
    if t.direct:
        value = f"{rego_ref([*t.path, t.direct])}(doc)"
    else:
        value = f"{rego_ref([*t.path, t.rule])} with input as doc"
    each = f"some i, doc in {docs}" if t.kinds is None else (
        f"some i in input.sel[{group_of[t.kinds]}]\n    doc := {docs}[i]")
    return f"[[i, xs] | {each}\n    xs := {value}\n    xs != set()\n    xs != []]"


# The batch's documents: from input, or from data.kubegate.resources when input.refs says so.
_DOCS = """docs := [d |
  some i, j in input.refs
  d := _doc(i, j)
]

_doc(i, j) := input.docs[i] if j < 0

_doc(_, j) := data.kubegate.resources[j] if j >= 0

"""


# --- loading --------------------------------------------------------------------------------------


def find_policy_files(dirs: Sequence[Path], *, tests: bool = False) -> list[Path]:
    """Every `*.rego` under `dirs` (hidden directories skipped); `*_test.rego` only when `tests`."""
    found: set[Path] = set()
    for root in dirs:
        if root.is_file():
            found.add(root)
            continue
        if not root.is_dir():
            raise ConfigError(f"policy directory {root} does not exist")
        for path in root.rglob("*.rego"):
            rel = path.relative_to(root).parts
            if any(part.startswith(".") for part in rel[:-1]):
                continue
            if tests or not path.name.endswith("_test.rego"):
                found.add(path)
    return sorted(found)


def read_modules(files: Sequence[Path]) -> dict[str, str]:
    modules: dict[str, str] = {}
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read policy: {exc.__class__.__name__}", str(path)) from None
        _reject_runtime(str(path), source)
        modules[str(path)] = source
    return modules


def _reject_runtime(filename: str, source: str) -> None:
    """Refuse a policy that calls a forbidden built-in (_FORBIDDEN_CALL), at its line: exit 2."""
    if not any(name in source for name in _FORBIDDEN_WHY):  # most modules are done in one scan
        return
    # Blank out strings and comments, keeping newlines, so line numbers stay right.
    code = _STRING_OR_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
    found = _FORBIDDEN_CALL.search(code)
    if found:
        raise ConfigError(_FORBIDDEN_WHY[found.group(1)], filename, code.count("\n", 0, found.start()) + 1)


def load_policies(dirs: Sequence[Path], *, engine: str = "regorus", opa_url: str | None = None,
                  namespaces: Sequence[str] | None = None, cache_dir: Path | None = None,
                  budget: float = 0.0) -> PolicySet:
    """Compile every policy under `dirs` (not `*_test.rego`) and read its rules from METADATA.

    With `cache_dir`, the rule index of an unchanged set of modules is read from disk: the compile
    check and METADATA parsing are most of a one-file run's policy cost.
    """
    make_engine(engine, opa_url=opa_url)  # fail fast on an unknown or missing engine
    files = find_policy_files(dirs)
    modules = read_modules(files)
    key = _index_key(modules, namespaces)
    index = _read_index(cache_dir, key)
    if index is None:
        index = _index(modules, namespaces)
        _write_index(cache_dir, key, index)
    return PolicySet(rules=index.rules, files=files, engine_name=engine, opa_url=opa_url, budget=budget,
                     targets=index.targets, modules=modules, module_packages=index.module_packages,
                     package_refs=index.package_refs)


@dataclass
class _Index:
    """What compiling and reading a set of modules tells: cached on disk by their content."""

    rules: dict[str, RuleInfo]
    targets: list[Target]
    module_packages: dict[str, str]
    package_refs: dict[str, list[str]]


def _index(modules: dict[str, str], namespaces: Sequence[str] | None) -> _Index:
    infos = check_modules(modules)
    by_package = _group(infos)
    if WRAPPER_PACKAGE in by_package:
        raise ConfigError(f"package name {WRAPPER_PACKAGE} is reserved by kubegate")
    selected = _select(by_package, namespaces)
    delegates = _Delegates(by_package, modules)
    rules, targets = _rules(selected, modules, by_package, delegates)
    packages = {m.filename: ".".join(m.package) for m in infos}
    return _Index(rules, targets, packages, {p: sorted(r) for p, r in delegates.refs.items()})


_INDEX_FORMAT = 3


def _index_key(modules: dict[str, str], namespaces: Sequence[str] | None) -> str:
    from linter import __version__

    digest = hashlib.sha256(f"{_INDEX_FORMAT}\0{__version__}\0{namespaces!r}".encode())
    for filename in sorted(modules):
        digest.update(f"\0{filename}\0{len(modules[filename])}\0".encode())
        digest.update(modules[filename].encode())
    return digest.hexdigest()[:32]


def _read_index(cache_dir: Path | None, key: str) -> _Index | None:
    """JSON, never pickle: a cache directory writable by others must not be a way to run code."""
    if cache_dir is None:
        return None
    try:
        raw = json.loads((cache_dir / f"policies-{key}.json").read_text(encoding="utf-8"))
        rules = {r["id"]: RuleInfo(**{**r, "severity": Severity(r["severity"]), "related": tuple(r["related"]),
                                      "kinds": _tuple_or_none(r["kinds"])})
                 for r in raw["rules"]}
        targets = [Target(t["package"], tuple(t["path"]), t["rule"], t["rule_id"],
                          Severity(t["severity"]) if t["severity"] else None, t["file"], t["direct"],
                          _tuple_or_none(t["kinds"]))
                   for t in raw["targets"]]
        index = _Index(rules, targets, dict(raw["module_packages"]),
                       {p: list(r) for p, r in raw["package_refs"].items()})
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or unreadable: rebuild it
    return index


def _tuple_or_none(value: Any) -> tuple[str, ...] | None:
    return tuple(value) if value is not None else None


def _write_index(cache_dir: Path | None, key: str, index: _Index) -> None:
    if cache_dir is None:
        return
    payload = {
        "rules": [{**r.__dict__, "severity": r.severity.value, "related": list(r.related)}
                  for r in index.rules.values()],
        "targets": [{**t.__dict__, "path": list(t.path), "severity": t.severity.value if t.severity else None}
                    for t in index.targets],
        "module_packages": index.module_packages,
        "package_refs": index.package_refs,
    }
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".policies-{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, cache_dir / f"policies-{key}.json")  # atomic: safe under concurrent runs
    except OSError:
        pass  # an unwritable cache only costs time


def _group(infos: Sequence[ModuleInfo]) -> dict[str, list[ModuleInfo]]:
    grouped: dict[str, list[ModuleInfo]] = {}
    for info in infos:
        grouped.setdefault(".".join(info.package), []).append(info)
    return grouped


def _select(by_package: dict[str, list[ModuleInfo]],
            namespaces: Sequence[str] | None) -> dict[str, list[ModuleInfo]]:
    """Packages defining policy rules, limited to `namespaces` (a package or its sub-packages)."""
    policy = {name: mods for name, mods in by_package.items()
              if any(POLICY_RULE.match(r.name) for m in mods for r in m.rules)}
    if namespaces is None:
        return policy
    chosen = {}
    for ns in namespaces:
        matched = {n: m for n, m in policy.items() if n == ns or n.startswith(ns + ".")}
        if not matched:
            raise ConfigError(f"policy namespace {ns!r} matches no package defining deny/warn/violation rules")
        chosen.update(matched)
    return chosen


def _rules(selected: dict[str, list[ModuleInfo]], modules: dict[str, str],
           every_package: dict[str, list[ModuleInfo]],
           delegates: _Delegates) -> tuple[dict[str, RuleInfo], list[Target]]:
    rules: dict[str, RuleInfo] = {}
    owners: dict[str, str] = {}
    targets: list[Target] = []
    for package in sorted(selected):
        mods = selected[package]
        notes = {m.filename: parse_annotations(m.filename, modules[m.filename]) for m in mods}
        pkg_note = _package_annotation(package, notes)
        path = mods[0].package
        for rule_name, filename, rule_note in _policy_rules(mods, notes):
            note = rule_note or pkg_note
            rule_id = (note.rule_id if note else "") or package
            kind = POLICY_RULE.match(rule_name)
            warn = kind is not None and kind.group(1) == "warn"
            if owners.setdefault(rule_id, package) != package:
                raise ConfigError(f"rule id {rule_id} is defined by packages {owners[rule_id]} and {package}",
                                  filename)
            kinds = rule_note.kinds if rule_note and "kinds" in rule_note.custom else (
                pkg_note.kinds if pkg_note else None)
            if rule_id not in rules:
                rules[rule_id] = _rule_info(rule_id, package, note, filename, warn)
            targets.append(Target(package, path, rule_name, rule_id, Severity.WARNING if warn else None, filename,
                                  delegates.function(package, rule_name), kinds))
    for rule_id, info in rules.items():
        rules[rule_id] = replace(info, kinds=_union([t.kinds for t in targets if t.rule_id == rule_id]))
    return rules, targets


def _union(kinds: Sequence[tuple[str, ...] | None]) -> tuple[str, ...] | None:
    """The kinds of a rule id over its targets: None (any kind) if any target has none."""
    if any(k is None for k in kinds):
        return None
    return tuple(dict.fromkeys(k for ks in kinds if ks is not None for k in ks))


_DELEGATION = re.compile(r"^\s*(?P<rule>[A-Za-z_]\w*)\s+contains\s+(?P<v>[A-Za-z_]\w*)\s+if\s+"
                         r"some\s+(?P=v)\s+in\s+(?P<fn>[A-Za-z_]\w*)\(\s*input\s*\)\s*(?:#.*)?$")
_STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|`[^`]*`|#[^\n]*')
_INPUT = re.compile(r"\binput\b")
_DATA_REF = re.compile(r"\bdata((?:\.[A-Za-z_]\w*)*)")


class _Delegates:
    """Which policy rules may be evaluated by calling their delegate function on each document.

    Only when that is provably the same as `rule with input as doc`: the rule has one definition, of
    the exact form `deny contains f if some f in errors(input)`, and its package is not tainted. A
    package is tainted when one of its modules reads `input` (other than in such a line), or refers
    (`data.x.y`, imports included; bare `data` refers to everything) to a tainted package. Policies
    that read `input` themselves, conftest style, keep the `with` form.
    """

    def __init__(self, packages: dict[str, list[ModuleInfo]], modules: dict[str, str]) -> None:
        self._packages, self._modules = packages, modules
        code = {name: "\n".join(self._code(m.filename) for m in mods) for name, mods in packages.items()}
        refs = {name: {m.group(1)[1:] for m in _DATA_REF.finditer(text)} for name, text in code.items()}
        self.refs = refs
        reads_input = {name for name, text in code.items() if _INPUT.search(text)}
        self._tainted = _closure(reads_input, packages,
                                 lambda name, bad: any(_refers(r, other) for r in refs[name] for other in bad))

    def _code(self, filename: str) -> str:
        lines = [line for line in self._modules[filename].splitlines() if not _DELEGATION.match(line)]
        return _STRING_OR_COMMENT.sub("", "\n".join(lines))

    def function(self, package: str, rule: str) -> str | None:
        mods = self._packages[package]
        heads = [(m.filename, h.line) for m in mods for h in m.rules if h.name == rule]
        if package in self._tainted or len(heads) != 1 or not all(_IDENT.match(seg) for seg in mods[0].package):
            return None
        filename, line = heads[0]
        lines = self._modules[filename].splitlines()
        match = _DELEGATION.match(lines[line - 1]) if 0 < line <= len(lines) else None
        return match.group("fn") if match is not None and match.group("rule") == rule else None


def _closure(seed: set[str], names: Iterable[str], joins: Callable[[str, set[str]], bool]) -> set[str]:
    """`seed`, grown by every name for which `joins(name, grown)` holds until none joins."""
    grown = set(seed)
    grew = True
    while grew:
        grew = False
        for name in set(names) - grown:
            if joins(name, grown):
                grown.add(name)
                grew = True
    return grown


def _refers(ref: str, package: str) -> bool:
    """Whether `data.<ref>` may reach into `package` (the package itself, inside it, or a parent)."""
    return ref == "" or ref == package or ref.startswith(package + ".") or package.startswith(ref + ".")


def _package_annotation(package: str, notes: dict[str, list[Annotation]]) -> Annotation | None:
    found = [(f, a) for f, anns in notes.items() for a in anns if a.scope in ("package", "subpackages")]
    ids = {a.rule_id for _f, a in found if a.rule_id}
    if len(ids) > 1:
        raise ConfigError(f"package {package} has package METADATA with different ids: {', '.join(sorted(ids))}",
                          found[-1][0], found[-1][1].line)
    ranked = [a for _f, a in found if a.rule_id] + [a for _f, a in found]
    return ranked[0] if ranked else None


def _policy_rules(mods: Sequence[ModuleInfo],
                  notes: dict[str, list[Annotation]]) -> list[tuple[str, str, Annotation | None]]:
    """(rule name, file, rule-scope annotation) once per policy rule name of a package."""
    seen: dict[str, tuple[str, str, Annotation | None]] = {}
    for mod in mods:
        rule_notes = {a.rule: a for a in notes[mod.filename] if a.scope in ("rule", "document")}
        for head in mod.rules:
            if not POLICY_RULE.match(head.name):
                continue
            note = rule_notes.get(head.name)
            previous = seen.get(head.name)
            if previous and note and previous[2] and previous[2].rule_id != note.rule_id:
                raise ConfigError(f"rule `{head.name}` has METADATA with different ids; give each id its "
                                  "own rule name (deny_<suffix>)", mod.filename, note.line)
            if previous is None or (note and previous[2] is None):
                seen[head.name] = (head.name, mod.filename, note)
    return [seen[name] for name in sorted(seen)]


def _rule_info(rule_id: str, package: str, note: Annotation | None, filename: str, warn: bool) -> RuleInfo:
    title = (note.title if note else "") or package
    default = Severity.WARNING if warn else Severity.ERROR
    return RuleInfo(
        id=rule_id,
        name=(note.name if note else "") or kebab(title) or kebab(package),
        severity=(note.severity if note else None) or default,
        title=title,
        description=note.description if note else "",
        remediation=note.remediation if note else "",
        source="policy",
        related=note.related if note else (),
        file=filename,
    )
