"""The one straight pipeline: discover -> load -> classify -> [render] -> checks -> resolve -> suppress.

Checks hand back `Problem`s; `resolve` is the one place that turns them into `Finding`s: it applies
select/ignore, exemptions and severity overrides from configuration, resolves positions (lazily, only
for documents with a finding), and redacts secret values from every message.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from linter import __version__
from linter.config import Config
from linter.discover import Target, discover, display_path
from linter.models import ConfigError, Document, Finding, Problem, RuleInfo, Severity, Span, json_pointer
from linter.reporters import ResourceRef, RunInfo
from linter.resources import bundled_dir
from linter.rules import BUILTIN_RULES, FAIL_CLOSED

Check = Callable[[Sequence[Document]], list[Problem]]
RenderedCheck = Callable[[Sequence[Document], Callable[[Document], "list[Document] | None"]], list[Problem]]
Progress = Callable[[str], None]

KUSTOMIZE_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
KUSTOMIZE_GROUP = "kustomize.config.k8s.io/"
# Files that are YAML but never Kubernetes: recognised so the summary can say why they were skipped.
_SKIP_REASONS: tuple[tuple[Callable[[PurePosixPath], bool], str], ...] = (
    (lambda p: ".github" in p.parts and ("workflows" in p.parts or "actions" in p.parts), "GitHub workflow"),
    (lambda p: (".forgejo" in p.parts or ".gitea" in p.parts) and "workflows" in p.parts, "Forgejo/Gitea workflow"),
    (lambda p: "helmfile" in p.parts or p.name.startswith("helmfile"), "helmfile"),
    (lambda p: p.name.lower().startswith("taskfile"), "Taskfile"),
    (lambda p: p.name in ("Chart.yaml", "Chart.lock") or p.name.startswith("values"), "Helm chart file"),
    (lambda p: p.name.startswith((".pre-commit", ".kubegate", ".yamllint", "renovate", ".sops")),
     "tool configuration"),
    (lambda p: p.name in ("docker-compose.yaml", "docker-compose.yml", "compose.yaml", "compose.yml"),
     "Docker Compose file"),
    (lambda p: "ansible" in p.parts or p.name in ("playbook.yaml", "playbook.yml"), "Ansible file"),
)


_K8S_ONLY = frozenset({"YAML-006", "YAML-007"})


@dataclass
class RunRequest:
    paths: Sequence[str]
    config: Config
    cwd: Path = field(default_factory=Path.cwd)
    policy_dirs: Sequence[Path] | None = None
    extra_policy_dirs: Sequence[Path] = ()
    extra_data: Mapping[str, Any] = field(default_factory=dict)
    extra_checks: Sequence[Check] = ()
    stdin: bytes | None = None
    changed_files: frozenset[Path] | None = None
    context_paths: Sequence[str] = ()
    # CRDs by name from a trusted source (kubegate ci: the merge base), used instead of the checked
    # tree's versions so a change cannot loosen the schema that judges its own custom resources.
    trusted_crds: Mapping[str, Document] | None = None
    render: bool | None = None  # None: configuration decides (default on)
    # Symbolic links are followed only to files under this directory (None: linter.fence decides from
    # the configuration root; kubegate ci passes the head tree).
    fence: Path | None = None
    suppressions: bool = True
    today: date | None = None
    progress: Progress | None = None
    # `paths` were named by a person: a file named there (or under a plain kustomize root named there)
    # is checked even when no Flux entry point applies it. kubegate ci names changed files: False.
    named_paths: bool = True
    show_unreconciled: bool = False  # one GRAPH-008 per file Flux never applies, not one in all
    # Whether charts may be fetched (None: `helm.online` decides; its auto is offline, kubegate ci passes True).
    # False is --offline: nothing from the network, URL schema locations included (their cache answers).
    helm_online: bool | None = None
    # Checks of what was rendered, given a way to render one more HelmRelease (kubegate ci: change
    # authority through the render, linter.helm.authority).
    rendered_checks: Sequence[RenderedCheck] = ()


@dataclass
class RunResult:
    findings: list[Finding]
    documents: list[Document]
    summary: dict[str, Any]
    rules: dict[str, RuleInfo]
    info: RunInfo
    suppressed: list[Finding] = field(default_factory=list)


# --- classification ---------------------------------------------------------------------------

def classify(doc: Document) -> Problem | None:
    """Set `doc.role`; return a YAML-008 problem for a document that is a malformed resource."""
    obj = doc.obj
    path = PurePosixPath(doc.file)
    if not isinstance(obj, dict):
        doc.role, doc.skip_reason = "other", "not a mapping"
        return None
    api, kind = obj.get("apiVersion"), obj.get("kind")
    if _is_kustomize_config(path, api, kind):
        # kustomize (and every stage after this one) needs string identity fields: a list or a
        # mapping as `kind` is a malformed kustomization, reported here rather than crashing later.
        bad = next((k for k, v in (("apiVersion", api), ("kind", kind))
                    if v is not None and not isinstance(v, str)), "")
        if bad:
            doc.role, doc.skip_reason = "other", "malformed kustomization"
            return Problem("YAML-008", f"kustomization whose {bad} is not a string", doc.file, "parse",
                           doc=doc, path=(bad,))
        doc.role = "kustomize"
        # kustomize reads a null `kind: ~` as an absent one: both get the defaults.
        if obj.get("apiVersion") is None:
            obj["apiVersion"] = "kustomize.config.k8s.io/v1beta1"
        if obj.get("kind") is None:
            obj["kind"] = "Kustomization"
        return None
    if isinstance(api, str) and isinstance(kind, str) and api and kind:
        doc.role = "resource"
        return None
    doc.role = "other"
    doc.skip_reason = _skip_reason(path)
    if api is None and kind is None:
        return None
    if api is not None or isinstance(obj.get("metadata"), dict):
        missing = [k for k, v in (("apiVersion", api), ("kind", kind)) if not (isinstance(v, str) and v)]
        return Problem("YAML-008", f"resource without a string {' or '.join(missing)}", doc.file, "parse",
                       doc=doc, path=(missing[0],) if missing[0] in obj else ())
    return None


def patch_files(docs: Sequence[Document], cwd: Path) -> set[str]:
    """Display paths of files that a kustomization.yaml uses as patches.

    Patches are partial objects: validating them as resources gives false "missing required field"
    errors. They are checked through the render that applies them instead.
    """
    found: set[str] = set()
    for doc in docs:
        if doc.role != "kustomize" or not isinstance(doc.obj, dict):
            continue
        base = PurePosixPath(doc.file).parent
        for entry in _patch_entries(doc.obj):
            found.add(posixpath.normpath(base / entry))  # lexical, as kustomize resolves it
    return found


def _patch_entries(obj: Mapping[str, Any]) -> Iterable[str]:
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
        items = obj.get(key)
        # A list is the only shape kustomize accepts; anything else fails its render, not this stage.
        for item in items if isinstance(items, list) else ():
            if isinstance(item, str) and "\n" not in item:
                yield item  # patchesStrategicMerge: a path (or an inline patch, which has newlines)
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                yield item["path"]


def _is_kustomize_config(path: PurePosixPath, api: Any, kind: Any) -> bool:
    if isinstance(api, str) and api.startswith(KUSTOMIZE_GROUP):
        return True
    return path.name in KUSTOMIZE_FILES and (api is None or kind in (None, "Kustomization", "Component"))


def _skip_reason(path: PurePosixPath) -> str:
    for test, reason in _SKIP_REASONS:
        if test(path):
            return reason
    return "no apiVersion/kind"


# --- resolve: problems -> findings -------------------------------------------------------------

def _longest_prefix(rule_id: str, prefixes: Iterable[str]) -> int:
    """Length of the longest prefix of `rule_id` among `prefixes` (-1: none). `ALL` matches all."""
    best = -1
    for p in prefixes:
        if p == "ALL":
            best = max(best, 0)
        elif rule_id.startswith(p):
            best = max(best, len(p))
    return best


def is_selected(rule_id: str, config: Config, extra_ignore: Sequence[str] = ()) -> bool:
    selected = _longest_prefix(rule_id, config.select) if config.select else 0
    ignored = _longest_prefix(rule_id, (*config.ignore, *extra_ignore))
    return selected >= 0 and selected >= ignored if ignored >= 0 else selected >= 0


def _by_prefix(rule_id: str, table: Mapping[str, Any]) -> Any:
    """The entry for the longest key of `table` that is a prefix of `rule_id` (or "*")."""
    best_len, best = -1, None
    for key, value in table.items():
        length = 0 if key in ("*", "ALL") else (len(key) if rule_id.startswith(key) else -1)
        if length > best_len:
            best_len, best = length, value
    return best


def _exempt(rule_id: str, doc: Document | None, config: Config) -> bool:
    entry = _by_prefix(rule_id, config.exempt) if config.exempt else None
    if not entry or doc is None:
        return False
    ident = doc.origin or doc
    checks = (("namespaces", doc.namespace or ident.namespace), ("names", doc.name), ("kinds", doc.kind))
    return any(value and any(fnmatch.fnmatchcase(value, pat) for pat in entry.get(key, ()))
               for key, value in checks)


def _chart_origin(problem: Problem) -> tuple[str, bool]:
    """(the chart template a rendered object came from, whether the HelmRelease's values do not set the
    field), or ("", False) for anything else."""
    doc = problem.doc
    if doc is None or not doc.via:
        return "", False
    traced = getattr(doc.locator, "traced", None)
    return doc.via, bool(traced is not None and not traced(problem.path))


def _chart_exempt(rule_id: str, via: str, chart_only: bool, config: Config) -> bool:
    """`helm.exempt_charts: {chart: [rule prefixes]}`: findings that only the chart can fix, per chart."""
    table = config.section("helm").get("exempt_charts") or {}
    prefixes = table.get(via.split(" ", 1)[0]) if chart_only and isinstance(table, dict) else None
    return isinstance(prefixes, list) and _longest_prefix(rule_id, tuple(str(p) for p in prefixes)) >= 0


def _file_ignored(rule_id: str, file: str, config: Config) -> bool:
    for pattern, prefixes in config.per_file_ignores.items():
        if fnmatch.fnmatch(file, pattern) and _longest_prefix(rule_id, prefixes) >= 0:
            return True
    return False


def _severity(problem: Problem, rule: RuleInfo, config: Config) -> Severity | None:
    override = config.severity.get(problem.rule_id)
    if override is None:
        override = _by_prefix(problem.rule_id, {k: v for k, v in config.severity.items() if k != problem.rule_id})
    if override == "off":
        return None
    if override is not None:
        return Severity.parse(override)
    return problem.severity or rule.severity


def _rule_for(problem: Problem, rules: Mapping[str, RuleInfo]) -> RuleInfo:
    rule = rules.get(problem.rule_id)
    if rule is not None:
        return rule
    name = problem.rule_name or problem.rule_id.lower().replace(".", "-").replace("_", "-")
    return RuleInfo(problem.rule_id, name, Severity.ERROR, name, source=problem.source)


def _position(problem: Problem) -> tuple[str, Span, bool]:
    if problem.span is not None:
        return problem.file, problem.span, True
    if problem.doc is not None:
        loc = problem.doc.locate(problem.path, problem.key)
        return loc.file, loc.span, loc.exact
    return problem.file, Span.point(1), False


def resolve(problems: Iterable[Problem], config: Config, rules: Mapping[str, RuleInfo]) -> list[Finding]:
    """Problems are resolved file by file, and each file's node trees are released once its last
    problem has a position (100k documents: the trees of every file with a finding took 0.9 GB).
    Of findings that raw file and render share, the first problem given wins, in any order."""
    from linter.redact import redact, secret_values

    findings: dict[tuple[Any, ...], tuple[int, Finding]] = {}
    secrets_cache: dict[int, set[str]] = {}
    wanted: list[tuple[int, Problem, RuleInfo, Severity]] = []
    for index, problem in sorted(enumerate(problems), key=lambda item: item[1].file):
        rule = _rule_for(problem, rules)
        if problem.rule_id in FAIL_CLOSED:
            wanted.append((index, problem, rule, Severity.ERROR))
            continue
        if not is_selected(problem.rule_id, config) or _exempt(problem.rule_id, problem.doc, config):
            continue
        severity = _severity(problem, rule, config)
        if severity is not None:
            wanted.append((index, problem, rule, severity))
    positions = _positions([problem for _i, problem, _r, _s in wanted])
    for (index, problem, rule, severity), (file, span, exact) in zip(wanted, positions):
        if problem.rule_id not in FAIL_CLOSED and _file_ignored(problem.rule_id, file, config):
            continue
        doc = problem.doc
        message = problem.message
        if doc is not None:
            obj_id = id(doc.obj)
            if obj_id not in secrets_cache:
                secrets_cache[obj_id] = secret_values(doc.obj)
            message = redact(message, secrets_cache[obj_id])
        via, chart_only = _chart_origin(problem)
        if via and problem.rule_id not in FAIL_CLOSED and _chart_exempt(problem.rule_id, via, chart_only, config):
            continue
        finding = Finding(
            file=file, line=span.line, column=span.column, end_line=span.end_line, end_column=span.end_column,
            rule_id=problem.rule_id, rule_name=rule.name, severity=severity,
            message=f"{message} [{via}{'; set by the chart, not by values' if chart_only else ''}]" if via else message,
            source=problem.source, kind=doc.kind if doc else "", namespace=doc.namespace if doc else "",
            name=doc.name if doc else "", api_version=doc.api_version if doc else "",
            pointer=json_pointer(problem.path), exact=exact, rendered_from=via, chart_only=chart_only,
        )
        # A finding that the raw file and its render share is reported once, at the source line.
        key = (finding.rule_id, finding.file, finding.line, finding.column, finding.message)
        if key not in findings or index < findings[key][0]:
            findings[key] = (index, finding)
    return sorted((f for _i, f in findings.values()), key=sort_key)


# Below this many files to compose for positions, one process does it: forking costs ~2 ms a child.
# Above the maximum too: a child forked from a process that holds 100k documents counts that memory
# again in the process tree (the policy stage stops forking at 20k documents for the same reason).
PARALLEL_POSITION_FILES = 64
PARALLEL_POSITION_MAX_FILES = 10_000


def _positions(problems: Sequence[Problem]) -> list[tuple[str, Span, bool]]:
    """The position of each problem (given grouped by file). Composing a file's node trees again is
    most of the cost, so with many files to compose the files are shared out over forked children."""
    groups: list[list[int]] = []
    for i, problem in enumerate(problems):
        if groups and problems[groups[-1][0]].file == problem.file:
            groups[-1].append(i)
        else:
            groups.append([i])
    from linter.forking import WorkerError, can_fork, cores, fork_map

    composing = sum(1 for g in groups if any(_composes(problems[i]) for i in g))
    jobs = cores()
    if jobs > 1 and PARALLEL_POSITION_FILES <= composing <= PARALLEL_POSITION_MAX_FILES and can_fork():
        shares = [groups[k::jobs] for k in range(jobs)]
        try:
            parts = fork_map(lambda k: _positions_of(problems, shares[k]), jobs)
        except (WorkerError, OSError):
            parts = None  # no workers here: compose in this process
        if parts is not None:
            out: list[tuple[str, Span, bool] | None] = [None] * len(problems)
            for share, part in zip(shares, parts):
                for i, position in zip((i for g in share for i in g), part):
                    out[i] = position
            return [p for p in out if p is not None]
    return _positions_of(problems, groups)


def _composes(problem: Problem) -> bool:
    doc = problem.doc
    return problem.span is None and doc is not None and doc.locator is not None and bool(
        problem.path or problem.key or doc.base_path)


def _positions_of(problems: Sequence[Problem], groups: Sequence[Sequence[int]]) -> list[tuple[str, Span, bool]]:
    """Positions file by file; each file's node trees are released once its last problem has one."""
    out = []
    touched: dict[int, Document] = {}
    for group in groups:
        for i in group:
            problem = problems[i]
            if problem.doc is not None:
                touched[id(problem.doc)] = problem.doc
            out.append(_position(problem))
        _release(touched)
    return out


def _release(docs: dict[int, Document]) -> None:
    for doc in docs.values():
        doc.release_positions()
        if doc.origin is not None:
            doc.origin.release_positions()
    docs.clear()


def sort_key(f: Finding) -> tuple[Any, ...]:
    return (f.file, f.line, f.column, f.rule_id, f.message)


# --- the run ----------------------------------------------------------------------------------

@dataclass
class _Loaded:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def _load(targets: Sequence[Target], stdin: bytes | None, config: Config, fence: Path) -> _Loaded:
    from linter.loader import Limits, load_bytes, load_many

    limits = Limits(**config.limits)
    result = load_many([(t.path, t.display) for t in targets], limits, fence=fence)
    loaded = _Loaded(list(result.documents), list(result.problems), len(targets))
    if stdin is not None:
        extra = load_bytes(stdin, "-", limits)
        loaded.documents.extend(extra.documents)
        loaded.problems.extend(extra.problems)
        loaded.files += 1
    return loaded


def _targets(paths: Sequence[str], cwd: Path, config: Config) -> list[Target]:
    try:
        return list(discover([p for p in paths if p != "-"], cwd, config.root, config.exclude))
    except FileNotFoundError as exc:
        raise ConfigError(f"no such file or directory: {exc.args[0]}") from None


def policy_dirs_for(config: Config, extra: Sequence[Path] = ()) -> list[Path]:
    dirs = [bundled_dir("policies")] if config.bundled_policies else []
    dirs.extend(config.policy_dirs)
    dirs.extend(extra)
    for d in dirs:
        if not d.is_dir():
            raise ConfigError(f"policy directory not found: {d}")
    return dirs


def _policy_rules_wanted(config: Config) -> bool:
    """Skip compiling policies when --select leaves no policy rule family enabled."""
    if not config.select:
        return True
    builtin_prefixes = ("YAML", "SCHEMA", "CHG", "GRAPH", "RENDER")
    return any(not any(b.startswith(s) or s.startswith(b) for b in builtin_prefixes) or s == "ALL"
               for s in config.select)


def _comments(docs: Sequence[Document]) -> list[dict[str, Any]]:
    out = []
    for doc in docs:
        for c in doc.comments:
            out.append({"file": doc.file, "kind": doc.kind, "namespace": doc.namespace, "name": doc.name, **c})
    return out


def _sources(docs: Sequence[Document]) -> list[dict[str, Any]]:
    """Where each raw resource and kustomization lives (file relative to the run's cwd)."""
    return [{"apiVersion": d.api_version, "kind": d.kind, "namespace": d.namespace, "name": d.name,
             "file": d.file, "line": d.span.line}
            for d in docs if d.role in ("resource", "kustomize", "patch") and d.origin is None]


def _source_index(sources: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """`sources` keyed by "Kind/name": a policy finds a resource's own file in O(1), where scanning the
    list for every document made a rule quadratic in the size of the fleet."""
    index: dict[str, list[Mapping[str, Any]]] = {}
    for entry in sources:
        index.setdefault(f"{entry['kind']}/{entry['name']}", []).append(entry)
    return index


def _sops_files(docs: Sequence[Document]) -> list[str]:
    return sorted({d.file for d in docs if isinstance(d.obj, dict) and isinstance(d.obj.get("sops"), dict)})


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.stages: dict[str, float] = {}
        self._last = self.start

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round((now - self._last) * 1000, 1)
        self._last = now


def run(req: RunRequest) -> RunResult:
    """One check. The cyclic garbage collector is paused for it: a run allocates millions of
    small acyclic objects (documents, node trees, findings) that live until it ends, and the
    collector rescanned them again and again (20k documents: positions and suppressions took
    4.4 s with it, 1.4 s without). Reference counting still frees everything acyclic."""
    from linter.loader import gc_paused

    with gc_paused():
        return _run(req)


def _run(req: RunRequest) -> RunResult:
    config, say = req.config, req.progress or (lambda _msg: None)
    watch = Stopwatch()
    targets = _targets(req.paths, req.cwd, config)
    say(f"loading {len(targets)} files")
    from linter.fence import fence_for

    fence = req.fence or fence_for(config.root, req.cwd)
    loaded = _load(targets, req.stdin, config, fence)
    context = (_load(_targets(req.context_paths, req.cwd, config), None, config, fence) if req.context_paths
               else _Loaded())
    watch.lap("load")

    problems: list[Problem] = list(loaded.problems)
    for doc in loaded.documents:
        issue = classify(doc)
        if issue is not None:
            problems.append(issue)
    for doc in context.documents:
        classify(doc)
    patches = patch_files([*loaded.documents, *context.documents], req.cwd)
    for doc in loaded.documents:
        if doc.role == "resource" and doc.file in patches:
            doc.role, doc.skip_reason = "patch", "kustomize patch (checked through its render)"
    # YAML 1.1/1.2 ambiguities matter only where the API server or kustomize reads the document.
    problems = [p for p in problems if not (p.rule_id in _K8S_ONLY and p.doc is not None
                                            and p.doc.role == "other")]
    resources = [d for d in loaded.documents if d.role == "resource"]
    kustomize_docs = [d for d in loaded.documents if d.role == "kustomize"]
    all_known = [*loaded.documents, *context.documents]

    flux_stats: dict[str, Any] = {}
    rendered: list[Document] = []
    if _render_enabled(req, all_known):
        say("rendering Flux Kustomizations and HelmReleases")
        from linter import flux

        flux_result = flux.process(config.root, all_known, config.section("flux"), req.changed_files,
                                   render=True, cwd=req.cwd, helm_section=config.section("helm"),
                                   online=_helm_online(req, config))
        rendered = flux_result.rendered
        # Context files are loaded for CRDs and cross-resource data only: never report on them, except
        # that a render failure is always reported: a change to an overlay fails the render of the
        # (unchanged, context) Flux Kustomization that builds it, and could-not-check is never green.
        context_ids = {id(d) for d in context.documents}
        problems.extend(p for p in flux_result.problems
                        if id(p.doc) not in context_ids or p.rule_id == "RENDER-001")
        flux_stats = flux_result.stats
        if flux_result.reach is not None:
            problems = flux_result.set_aside(loaded.documents, problems, [t.display for t in targets],
                                             _named(req, targets), req.show_unreconciled)
            resources = [d for d in resources if d.role == "resource"]
            kustomize_docs = [d for d in kustomize_docs if d.role == "kustomize"]
        for doc in rendered:
            classify(doc)
        for rendered_check in req.rendered_checks:
            problems.extend(rendered_check(rendered, flux_result.render_release))
        watch.lap("render")
    rendered_resources = [d for d in rendered if d.role == "resource"]
    checked = [*resources, *rendered_resources]

    say(f"validating {len(checked)} resources")
    crds = _crds([*all_known, *rendered], req.trusted_crds)  # a chart's crds/ count for the rest of the run
    # --offline (helm_online False) means no network at all: URL schema locations answer from their cache.
    unvalidated = _schema_check(resources, rendered_resources, crds, config, problems, req.helm_online is False)
    watch.lap("schema")

    rules: dict[str, RuleInfo] = dict(BUILTIN_RULES)
    if _policy_rules_wanted(config):
        say("evaluating policies")
        _policy_check(req, checked, kustomize_docs, [*all_known, *rendered], rules, problems)
    watch.lap("policy")
    for check in req.extra_checks:
        problems.extend(check(loaded.documents))

    findings = resolve(problems, config, rules)
    suppressed: list[Finding] = []
    if req.suppressions:
        findings, suppressed, more = _suppress(findings, loaded.documents, config, req.today, rules, fence)
        findings = sorted([*findings, *resolve(more, config, rules)], key=sort_key)
    watch.lap("report")

    summary = _summary(loaded, context, checked, findings, suppressed, unvalidated, flux_stats, watch)
    info = RunInfo(
        tool_version=__version__, root=str(req.cwd.resolve()), rules=rules, summary=summary,
        resources=[_ref(d) for d in checked], fail_level=config.fail_level,
    )
    return RunResult(findings, loaded.documents, summary, rules, info, suppressed)


def _helm_online(req: RunRequest, config: Config) -> bool:
    if req.helm_online is not None:
        return req.helm_online
    return config.section("helm").get("online", "auto") is True


def _named(req: RunRequest, targets: Sequence[Target]) -> frozenset[str]:
    """The loaded files named on the command line, or under a plain kustomize root named there."""
    if not req.named_paths:
        return frozenset()
    files, roots = set(), []
    for arg in req.paths:
        if arg == "-":
            continue
        path = Path(os.path.normpath(req.cwd / arg))
        if path.is_file():
            files.add(path)
        elif any((path / name).is_file() for name in ("kustomization.yaml", "kustomization.yml", "Kustomization")):
            roots.append(path)
    out = set()
    for t in targets:
        p = Path(os.path.normpath(t.path))
        if p in files or any(r == p or r in p.parents for r in roots):
            out.add(t.display)
    return frozenset(out)


def _render_enabled(req: RunRequest, docs: Sequence[Document]) -> bool:
    section = req.config.section("flux")
    enabled = req.render if req.render is not None else bool(section.get("render", True))
    if not enabled:
        return False
    if section.get("plain_kustomize") and any(d.role == "kustomize" for d in docs):
        return True
    return any(d.role == "resource" and (d.kind, d.api_version.split("/", 1)[0]) in _RENDERED_KINDS for d in docs)


_RENDERED_KINDS = {("Kustomization", "kustomize.toolkit.fluxcd.io"), ("HelmRelease", "helm.toolkit.fluxcd.io")}


def _crds(known: Sequence[Document], trusted: Mapping[str, Document] | None) -> list[Document]:
    found = [d for d in known if d.role == "resource" and d.kind == "CustomResourceDefinition"]
    if trusted is None:
        return found
    names = {d.name for d in found}
    return [trusted.get(d.name, d) for d in found] + [d for n, d in trusted.items() if n not in names]


def _schema_check(raw: Sequence[Document], rendered: Sequence[Document], crds: Sequence[Document],
                  config: Config, problems: list[Problem], offline: bool = False) -> Counter[str]:
    """Validate raw then rendered resources; the count of unvalidated documents is of raw ones only,
    since a render repeats what its sources already counted."""
    if not (raw or rendered) or not is_selected_family("SCHEMA", config):
        return Counter()
    from linter.schema import SchemaValidator

    validator = SchemaValidator(
        kubernetes_version=config.kubernetes_version, strict=config.strict,
        locations=config.schema_locations, crd_documents=crds, crd_files=config.crds,
        cache_dir=_cache_dir(), require_schemas=config.require_schemas, offline=offline,
    )
    problems.extend(validator.setup_problems)
    if config.schema_backend == "kubeconform":
        from linter.schema.kubeconform import KubeconformBackend

        backend = KubeconformBackend(kubernetes_version=config.kubernetes_version, strict=config.strict,
                                     locations=config.schema_locations, crd_documents=crds)
        problems.extend(backend.validate_many([*raw, *rendered]))
        return validator.unvalidated
    found = validator.validate_many(raw)
    unvalidated = Counter(validator.unvalidated)
    found.extend(validator.validate_many(rendered))
    if not config.require_schemas:
        from linter.schema import aggregate_missing

        found = aggregate_missing(found)
    problems.extend(found)
    return unvalidated


def is_selected_family(prefix: str, config: Config) -> bool:
    probe = f"{prefix}-000"
    return is_selected(probe, config) or any(s.startswith(prefix) for s in config.select)


def _cache_dir() -> Path | None:
    """KUBEGATE_CACHE_DIR, else $XDG_CACHE_HOME/kubegate, else ~/.cache/kubegate; KUBEGATE_NO_CACHE=1: none."""
    if os.environ.get("KUBEGATE_NO_CACHE"):
        return None
    if os.environ.get("KUBEGATE_CACHE_DIR"):
        return Path(os.environ["KUBEGATE_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kubegate"


def _policy_check(req: RunRequest, checked: Sequence[Document], kustomize_docs: Sequence[Document],
                  context: Sequence[Document], rules: dict[str, RuleInfo], problems: list[Problem]) -> None:
    from linter.rego import load_policies

    config = req.config
    dirs = list(req.policy_dirs) if req.policy_dirs is not None else policy_dirs_for(config)
    dirs.extend(req.extra_policy_dirs)
    if not dirs:
        return
    policies = load_policies(dirs, engine=config.engine, opa_url=config.opa_url,
                             namespaces=config.policy_namespaces, cache_dir=_cache_dir(),
                             budget=config.policy_budget)
    for rule_id, info in policies.rules.items():
        rules.setdefault(rule_id, info)
    inputs = [*checked, *kustomize_docs]
    if not inputs:
        return
    data = {"params": dict(config.params),
            "kubegate": {**kubegate_data(context, inputs), "tenancy": {"mode": config.tenancy,
                                                                        "tenants": list(config.tenants)},
                         **req.extra_data}}
    problems.extend(policies.evaluate(inputs, data))


def kubegate_data(context: Sequence[Document], inputs: Sequence[Document]) -> dict[str, Any]:
    """`data.kubegate` for policies: the run's resources, comments, sources and SOPS files (see
    docs/architecture.md, "The Rego contract")."""
    sources = _sources(context)
    resources = [d.obj for d in context if d.role == "resource"]
    comments = _comments(inputs)
    return {"resources": resources, "resource_index": _resource_index(resources),
            "comments": comments, "comment_index": _comment_index(comments),
            "sources": sources, "source_index": _source_index(sources), "sops_files": _sops_files(context)}


def _resource_index(resources: Sequence[Any]) -> dict[str, list[int]]:
    """"Kind/name" -> indexes into `resources`, keyed as lib.k8s.resources_named looks them up."""
    def name(obj: Any) -> Any:
        meta = obj.get("metadata")
        return meta.get("name") if isinstance(meta, dict) else None
    return _kind_name_index((obj.get("kind"), name(obj)) for obj in resources)


def _comment_index(comments: Sequence[Mapping[str, Any]]) -> dict[str, list[int]]:
    """"Kind/name" -> indexes into `comments`: a rule finds a document's $imagepolicy markers in O(1),
    where scanning every marker of the run for every document was quadratic (20k documents with
    2k markers: 47 s of policy evaluation)."""
    return _kind_name_index((c.get("kind"), c.get("name")) for c in comments)


def _kind_name_index(keys: Iterable[tuple[Any, Any]]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for i, (kind, name) in enumerate(keys):
        index.setdefault(f"{_text(kind)}/{_text(name)}", []).append(i)
    return index


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _suppress(findings: list[Finding], docs: Sequence[Document], config: Config, today: date | None,
              rules: Mapping[str, RuleInfo], fence: Path) -> tuple[list[Finding], list[Finding], list[Problem]]:
    from dataclasses import replace

    from linter.suppress import apply_suppressions, fenced_reader, sources_from_config

    sources = replace(sources_from_config(config), read_text=fenced_reader(fence))
    return apply_suppressions(findings, docs, config, today=today or date.today(), known_rules=rules,
                              sources=sources)


def _ref(doc: Document) -> ResourceRef:
    return ResourceRef(doc.file, doc.span.line, doc.kind, doc.namespace, doc.name, doc.api_version)


def _summary(loaded: _Loaded, context: _Loaded, checked: Sequence[Document], findings: Sequence[Finding],
             suppressed: Sequence[Finding], unvalidated: Counter[str], flux_stats: Mapping[str, Any],
             watch: Stopwatch) -> dict[str, Any]:
    sev = Counter(f.severity for f in findings)
    skipped = Counter(d.skip_reason for d in loaded.documents if d.role in ("other", "patch"))
    return {
        "files": loaded.files,
        "documents": len(loaded.documents),
        "resources": len(checked),
        "kustomize_files": sum(1 for d in loaded.documents if d.role == "kustomize"),
        "skipped_documents": sum(skipped.values()),
        "skipped": dict(sorted(skipped.items())),
        "unvalidated_documents": sum(unvalidated.values()),
        "unvalidated": dict(sorted(unvalidated.items())),
        "files_with_findings": len({f.file for f in findings}),
        "errors": sev[Severity.ERROR],
        "warnings": sev[Severity.WARNING],
        "infos": sev[Severity.INFO],
        "suppressed": len(suppressed),
        "flux": dict(flux_stats),
        "timings_ms": {**watch.stages, "total": round((time.perf_counter() - watch.start) * 1000, 1)},
    }


__all__ = ["RunRequest", "RunResult", "classify", "display_path", "kubegate_data", "resolve", "run", "sort_key"]
