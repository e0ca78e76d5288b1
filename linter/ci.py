"""`kubegate ci --base REF [--head REF]`: the pull-request gate.

The judge (configuration, the repository's policies, the exceptions and baseline files) is read from
the merge base, never from the change being judged, unless `--trust-head`. The change is checked file by
file (changed files only, the rest of the repository as context), its resources are diffed by identity,
restricted principals (the CI bot) are held to their authority (CHG-001), judge changes are flagged
(CHG-002), added suppressions are flagged (CHG-003), and suppressions come from the trusted judge.
See docs/trust-model.md.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from linter import authority, changes, ci_suppressions, gitutil, suppress
from linter.config import CONFIG_NAMES, Config
from linter.gitutil import ChangedFile
from linter.helm import authority as helm_authority
from linter.models import ConfigError, Document, Finding, Problem, Severity, Span
from linter.reporters import RunInfo

DESCRIPTION = ("Check a pull request: only the files it changes, judged by the policies, configuration, "
               "exceptions and baseline of its merge base; the CI bot is held to its change authority.")
EXAMPLES = """\
examples:
  kubegate ci --base origin/main                      check HEAD against the branch it forks from
  kubegate ci --base origin/main --actor renovate[bot]
  kubegate ci --base origin/main --format sarif -o kubegate.sarif
  kubegate ci --base origin/main --github             also post a commit status and a check run
  kubegate ci --write-baseline .kubegate-baseline.json  record today's findings (adoption)

the base must be fetched with history: `git fetch origin main` (actions/checkout: `fetch-depth: 0`).
exit codes: 0 clean, 1 findings at or above --fail-level, 2 usage or configuration error, 3 internal error
"""


@dataclass
class CiOutcome:
    """What `kubegate ci` found; linter.cli maps it to an exit code."""

    findings: list[Finding]
    fail_level: Severity
    info: RunInfo | None = None
    suppressed: list[Finding] = field(default_factory=list)
    changes: changes.ChangeSet | None = None

    @property
    def failed(self) -> bool:
        return any(f.severity.rank >= self.fail_level.rank for f in self.findings)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `ci` beyond those shared with `check` (which linter.cli adds)."""
    g = parser.add_argument_group("pull request")
    g.add_argument("paths", nargs="*", default=[], metavar="PATH",
                   help="limit the check to these files or directories (default: the whole repository)")
    g.add_argument("--base", metavar="REF", help="the branch the change goes into, e.g. origin/main")
    g.add_argument("--head", metavar="REF", help="the change (default: HEAD, checked in the working tree)")
    g.add_argument("--actor", metavar="NAME", help="who opened the change (e.g. $GITHUB_ACTOR); matched "
                   "against ci.authority.principals[].actors")
    g.add_argument("--trust-head", action="store_true", help="read policies, configuration, exceptions and "
                   "baseline from the change itself (only where every author is trusted)")
    g.add_argument("--write-baseline", type=Path, metavar="FILE", help="write the findings of the whole "
                   "tree to FILE as a baseline and exit 0")
    g.add_argument("--github", action="store_true", help="publish a commit status and a check run "
                   "(GITHUB_TOKEN, GITHUB_REPOSITORY)")


# --- the judge: configuration and policies from the merge base -----------------------------------

@dataclass
class Judge:
    config: Config
    sources: suppress.Sources
    files: set[str]  # repository paths of judge files (exact)
    dirs: set[str]  # repository paths of judge directories (policies)
    config_dir: str  # repository path of the configuration's directory ("" at the root)
    trusted: bool  # read from the merge base


@dataclass
class Context:
    args: argparse.Namespace
    root: Path  # top of the work tree
    head_dir: Path  # where the head tree is on disk (the work tree, or an export)
    rel_cwd: PurePosixPath  # the invocation directory, relative to root
    merge_base: str
    head: str
    workdir: Path  # temporary directory for exports
    max_bytes: int = 16 * 1024 * 1024  # the judge's limits.max_file_bytes, once the judge is built

    def read_base(self, path: str) -> bytes | None:
        return gitutil.show(self.root, self.merge_base, path) if path else None

    def read_head(self, path: str) -> bytes | None:
        """A file of the head tree; never through a link out of it (linter.fence), never a FIFO or
        device, and at most one byte past the size cap (the loader reports the rest)."""
        from linter.fence import refusal
        from linter.loader import read_capped

        if not path:
            return None
        full = self.head_dir / path
        try:
            if refusal(full, self.head_dir) or not full.is_file():
                return None
            with full.open("rb") as handle:
                return read_capped(handle, self.max_bytes)
        except OSError:
            return None


def _config_candidates(rel_cwd: PurePosixPath) -> list[str]:
    """Config files that would apply, nearest first: the same walk as linter.config.find_config."""
    out: list[str] = []
    for d in (rel_cwd, *rel_cwd.parents):
        prefix = "" if str(d) == "." else f"{d}/"
        out.extend(f"{prefix}{name}" for name in (*CONFIG_NAMES, "pyproject.toml"))
    return out


def _find_base_config(ctx: Context) -> tuple[str, bytes | None] | None:
    """(repository path, bytes at the merge base or None if the change adds it); None: outside the repo."""
    explicit = ctx.args.config
    if explicit is not None:
        rel = _repo_relative(ctx, explicit)
        return (rel, ctx.read_base(rel)) if rel is not None else None
    for rel in _config_candidates(ctx.rel_cwd):
        data = ctx.read_base(rel)
        if data is not None and (not rel.endswith("pyproject.toml") or b"[tool.kubegate" in data):
            return rel, data
    here = "" if str(ctx.rel_cwd) == "." else str(ctx.rel_cwd)
    return _join(here, CONFIG_NAMES[0]), None


def _repo_relative(ctx: Context, path: Path) -> str | None:
    absolute = (Path.cwd() / path).resolve()
    for top in (ctx.head_dir.resolve(), ctx.root):
        try:
            return absolute.relative_to(top).as_posix()
        except ValueError:
            continue
    return None


def build_judge(ctx: Context) -> Judge:
    from linter import cli

    args = ctx.args
    if args.trust_head:
        config = cli.config_from_args(args, ctx.head_dir / ctx.rel_cwd)
        return _judge_from(config, ctx, trusted=False, mirror=None, config_rel=_head_config_rel(ctx, config))
    mirror = ctx.workdir / "judge"
    mirror.mkdir(exist_ok=True)
    found = _find_base_config(ctx)
    if found is None:
        # An explicit config outside the repository is not part of the change: trusted as it is.
        config = _export_policies(ctx, cli.config_from_args(args, ctx.head_dir / ctx.rel_cwd), mirror)
        return _judge_from(config, ctx, trusted=True, mirror=None, config_rel=None)
    config_rel, data = found
    target = mirror / config_rel
    target.parent.mkdir(parents=True, exist_ok=True)
    # No configuration at the merge base: defaults (a configuration the change adds is flagged CHG-002).
    target.write_bytes(data if data is not None else b"{}\n")
    config = cli.config_from_args(argparse.Namespace(**{**vars(args), "config": target}), mirror)
    config = _export_policies(ctx, config, mirror)
    judge = _judge_from(config, ctx, trusted=True, mirror=mirror, config_rel=config_rel,
                        exists=data is not None)
    if judge.config.section("ci").get("trust_head"):
        ctx.args.trust_head = True  # the trusted base itself says so
        return build_judge(ctx)
    return judge


def _head_config_rel(ctx: Context, config: Config) -> str | None:
    if config.path is None:
        return None
    try:
        return config.path.resolve().relative_to(ctx.head_dir.resolve()).as_posix()
    except ValueError:
        return None


def _export_policies(ctx: Context, config: Config, mirror: Path) -> Config:
    """Policy directories inside the repository are replaced by their merge-base versions."""
    dirs = []
    for d in config.policy_dirs:
        rel = _under(d, mirror) or _under(d, ctx.head_dir) or _under(d, ctx.root)
        if rel is None:
            dirs.append(d)  # outside the repository: not part of the change
            continue
        found = gitutil.list_files(ctx.root, ctx.merge_base, rel)
        if not found:
            raise ConfigError(f"policy directory not found at the merge base: {rel or '.'}")
        gitutil.export_files(ctx.root, ctx.merge_base, found, mirror)
        dirs.append(mirror / rel)
    return replace(config, policy_dirs=tuple(dirs))


def _under(path: Path, top: Path) -> str | None:
    try:
        rel = path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None
    return "" if rel == "." else rel


def _judge_from(config: Config, ctx: Context, *, trusted: bool, mirror: Path | None,
                config_rel: str | None, exists: bool = True) -> Judge:
    """Point everything that is *checked* (root, CRDs, excludes) back at the head tree."""
    section = config.section("ci")
    config_dir = str(PurePosixPath(config_rel).parent) if config_rel else str(ctx.rel_cwd)
    config_dir = "" if config_dir == "." else config_dir
    files = {*_config_candidates(ctx.rel_cwd), *([config_rel] if config_rel else [])} if trusted else set()
    for key in ("exceptions_file", "baseline_file"):
        if section.get(key):
            files.add(_join(config_dir, section[key]))
    dirs = {rel for d in config.policy_dirs if mirror and (rel := _under(d, mirror)) is not None}
    dirs |= {_join("", t) for t in section.get("trusted_files", ())}
    if mirror is not None:
        crds = tuple(ctx.head_dir / r if (r := _under(c, mirror)) is not None else c for c in config.crds)
        config = replace(config, root=ctx.head_dir / config_dir, crds=crds,
                         path=ctx.head_dir / config_rel if config_rel and exists else None)
    if mirror is not None:
        judge_files = sorted(files - {*_config_candidates(ctx.rel_cwd), config_rel})
        gitutil.export_files(ctx.root, ctx.merge_base, judge_files, mirror)
    read_root = (mirror / config_dir) if mirror is not None else config.root
    sources = suppress.sources_from_config(
        replace(config, root=read_root), read=_reader(read_root),
        display=lambda p: _join(config_dir, p.relative_to(read_root).as_posix()))
    return Judge(config, sources, files, dirs, config_dir, trusted)


def _reader(top: Path) -> Callable[[Path], bytes | None]:
    def read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None
    return read


def _join(base: str, rel: str) -> str:
    return PurePosixPath(base, rel).as_posix().lstrip("/") if base else PurePosixPath(rel).as_posix()


# --- CHG-002: the change modifies the judge ------------------------------------------------------

def judge_changes(ctx: Context, judge: Judge, files: Sequence[ChangedFile]) -> list[Problem]:
    problems = []
    for changed in files:
        for path in {changed.path, changed.old_path} - {""}:
            if _is_judge(path, judge) and _judge_content_changed(ctx, path, changed):
                problems.append(_judge_problem(ctx, path, changed, judge.trusted))
                break
    return problems


def _is_judge(path: str, judge: Judge) -> bool:
    if path in judge.files:
        return True
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in judge.dirs if d)


def _judge_content_changed(ctx: Context, path: str, changed: ChangedFile) -> bool:
    if not path.endswith("pyproject.toml"):
        return True
    old, new = ctx.read_base(changed.old_path), ctx.read_head(changed.path)
    return bool(_kubegate_table(old) != _kubegate_table(new))


def _kubegate_table(data: bytes | None) -> Any:
    import tomllib

    if data is None:
        return None
    try:
        return tomllib.loads(data.decode("utf-8", "replace")).get("tool", {}).get("kubegate")
    except tomllib.TOMLDecodeError:
        return "unparseable"


def _judge_problem(ctx: Context, path: str, changed: ChangedFile, trusted: bool) -> Problem:
    how = "judged by the merge base's version" if trusted else "trusted as is (--trust-head)"
    if changed.status == "deleted":
        return Problem("CHG-002", f"the change deletes a kubegate judge file; {how}", changed.path, "change",
                       span=Span.point(1))
    line = _first_changed_line(ctx.read_base(changed.old_path), ctx.read_head(changed.path))
    return Problem("CHG-002", f"the change modifies kubegate's policies or configuration ({changed.status}); "
                   f"{how}", changed.path, "change", span=Span.point(line))


def _first_changed_line(old: bytes | None, new: bytes | None) -> int:
    if old is None or new is None:
        return 1
    a, b = old.decode("utf-8", "replace").splitlines(), new.decode("utf-8", "replace").splitlines()
    for tag, _i1, _i2, j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            return min(j1 + 1, max(len(b), 1))
    return 1


# --- the run ----------------------------------------------------------------------------------------

def run(args: argparse.Namespace, out: TextIO | None = None) -> CiOutcome:
    stream = out if out is not None else sys.stdout
    if args.base is None and args.write_baseline is None:
        raise ConfigError("kubegate ci needs --base REF (the branch the change goes into, e.g. origin/main)")
    cwd = Path.cwd()
    root = gitutil.repo_root(cwd)
    with tempfile.TemporaryDirectory(prefix="kubegate-ci-") as tmp:
        ctx = _context(args, root, cwd, Path(tmp))
        judge = build_judge(ctx)
        from linter.loader import Limits

        ctx.max_bytes = Limits(**judge.config.limits).max_file_bytes
        if args.write_baseline is not None:
            return _write_baseline(ctx, judge, stream)
        return _gate(ctx, judge, stream)


def _context(args: argparse.Namespace, root: Path, cwd: Path, tmp: Path) -> Context:
    head = gitutil.resolve_ref(root, args.head or "HEAD")
    base = gitutil.merge_base(root, args.base, head) if args.base else head
    head_dir = root
    if args.head and head != gitutil.resolve_ref(root, "HEAD"):
        head_dir = tmp / "head"
        gitutil.export_tree(root, head, head_dir)
    rel = cwd.resolve().relative_to(root)
    return Context(args, root, head_dir, PurePosixPath(rel.as_posix()), base, head, tmp)


def _gate(ctx: Context, judge: Judge, stream: TextIO) -> CiOutcome:
    from linter.pipeline import RunRequest, resolve
    from linter.pipeline import run as run_pipeline

    files = gitutil.changed_files(ctx.root, ctx.merge_base, ctx.head)
    cs = changes.compute(files, ctx.read_base, ctx.read_head)
    section = judge.config.section("ci")
    restricted = authority.matched(authority.principals_from_config(section),
                                   gitutil.identities(ctx.root, ctx.merge_base, ctx.head), ctx.args.actor)
    extra = authority.check(cs, restricted)
    extra.extend(judge_changes(ctx, judge, files) if judge.trusted else [])
    added = ci_suppressions.added_suppressions(ctx, judge, cs)
    extra.extend(ci_suppressions.restrict_added(added.problems, restricted))
    extra.extend(_with_severity(added.problems, section.get("suppression_added_severity", "warning")))

    base_crds = _base_crds(cs) if judge.trusted else None
    if base_crds:
        extra.extend(_crd_problems(cs))
    targets = _targets(ctx, files)
    result = run_pipeline(RunRequest(
        paths=targets, context_paths=_context_paths(ctx, targets), config=judge.config, cwd=ctx.head_dir,
        extra_data={"change": cs.to_data()},
        extra_checks=[lambda _docs: list(extra)], suppressions=False, render=ctx.args.render,
        changed_files=frozenset(ctx.head_dir / t for t in targets), trusted_crds=base_crds,
        fence=ctx.head_dir, named_paths=False, show_unreconciled=ctx.args.show_unreconciled,
        helm_online=_online(ctx.args, judge.config),
        rendered_checks=[lambda rendered, render: helm_authority.check(cs, restricted, rendered, render)]
        if restricted else [],
    ))
    findings, suppressed = result.findings, list(result.suppressed)
    if not ctx.args.disable_suppressions:
        sources = replace(judge.sources, read_text=lambda f: _text(ctx.read_head(f)) or None,
                          known_rules=frozenset(result.rules))
        sources = ci_suppressions.withhold(sources, added)
        findings, newly, more = suppress.apply_suppressions(findings, result.documents, judge.config,
                                                            today=_today(), sources=sources)
        suppressed.extend(newly)
        findings = sorted([*findings, *resolve(more, judge.config, result.rules)], key=_sort_key)
    info = _info(result.info, findings, suppressed, cs, ctx)
    _report(ctx.args, findings, info, stream)
    outcome = CiOutcome(findings, judge.config.fail_level, info, suppressed, cs)
    if ctx.args.github:
        _publish(ctx, outcome)
    return outcome


def _base_crds(cs: changes.ChangeSet) -> dict[str, Document]:
    """The merge base's version of every CRD the change modifies or deletes: custom resources are
    validated against the schema the change did not write."""
    return {rc.name: rc.base for rc in cs.resources
            if rc.kind == "CustomResourceDefinition" and rc.base is not None and rc.status != "added"}


def _crd_problems(cs: changes.ChangeSet) -> list[Problem]:
    return [Problem("CHG-002", f"changes CustomResourceDefinition {rc.name}; custom resources were "
                    "validated against the merge base's version, the new schema applies after merge",
                    rc.head.file, "change", doc=rc.head)
            for rc in cs.resources
            if rc.kind == "CustomResourceDefinition" and rc.status != "added" and rc.head is not None]


def _text(data: bytes | None) -> str:
    return data.decode("utf-8", "replace") if data else ""


def _with_severity(problems: Iterable[Problem], severity: str) -> list[Problem]:
    if severity == "off":
        return []
    return [replace(p, severity=Severity.parse(severity)) for p in problems]


def _targets(ctx: Context, files: Sequence[ChangedFile]) -> list[str]:
    """Changed manifests that exist at head, limited to the PATH arguments."""
    scopes = [_repo_relative(ctx, Path(p)) for p in ctx.args.paths]
    out = []
    for changed in files:
        if changed.status == "deleted" or not changes.is_manifest_path(changed.path):
            continue
        # A link is kept even when it is dangling or leaves the tree: the loader refuses it with a finding.
        if not os.path.lexists(ctx.head_dir / changed.path) or (ctx.head_dir / changed.path).is_dir():
            continue
        if ctx.args.paths and not any(s is not None and (s in ("", ".") or changed.path == s or
                                                          changed.path.startswith(s.rstrip("/") + "/"))
                                      for s in scopes):
            continue
        out.append(changed.path)
    return out


def _context_paths(ctx: Context, targets: Sequence[str]) -> list[str]:
    """Every other manifest at head: CRDs, Flux objects and cross-resource data, never reported on."""
    checked = set(targets)
    return [p for p in gitutil.list_files(ctx.root, ctx.head)
            if p not in checked and changes.is_manifest_path(p) and (ctx.head_dir / p).is_file()]


def _today() -> date:
    # KUBEGATE_TODAY pins the date for reproducible runs (and tests of expiry).
    pinned = os.environ.get("KUBEGATE_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def _sort_key(f: Finding) -> tuple[Any, ...]:
    return (f.file, f.line, f.column, f.rule_id, f.message)


def _info(info: RunInfo, findings: Sequence[Finding], suppressed: Sequence[Finding],
          cs: changes.ChangeSet, ctx: Context) -> RunInfo:
    sev = Counter(f.severity for f in findings)
    summary = {**info.summary, "files_with_findings": len({f.file for f in findings}),
               "errors": sev[Severity.ERROR], "warnings": sev[Severity.WARNING],
               "infos": sev[Severity.INFO], "suppressed": len(suppressed),
               "ci": {"base": ctx.args.base, "merge_base": ctx.merge_base, "head": ctx.head,
                      "changed_files": len(cs.files),
                      "changed_resources": Counter(r.status for r in cs.resources if r.is_resource)}}
    return replace(info, summary=summary)


def _report(args: argparse.Namespace, findings: Sequence[Finding], info: RunInfo, stream: TextIO) -> None:
    from linter import cli
    from linter.reporters import get_reporter

    fmt = cli.resolve_format(args.format)
    text = get_reporter(fmt)(findings, replace(info, color=cli.use_color(args.color, stream)
                                                and args.output is None))
    if args.output is not None:
        cli.emit(text, args.output)
        if os.environ.get("GITHUB_ACTIONS") == "true" and args.format == "auto":
            stream.write(get_reporter("github")(findings, info))
        return
    stream.write(text)


def _publish(ctx: Context, outcome: CiOutcome) -> None:
    from linter.github_api import GitHubClient, publish_check

    assert outcome.info is not None
    publish_check(GitHubClient.from_env(), _publish_sha(ctx), outcome.findings, outcome.info)


def _publish_sha(ctx: Context) -> str:
    """The PR's head commit: on `pull_request` Actions checks out a merge commit the PR page never shows."""
    import json

    event = os.environ.get("GITHUB_EVENT_PATH")
    if event and not ctx.args.head:
        try:
            sha = json.loads(Path(event).read_text(encoding="utf-8"))["pull_request"]["head"]["sha"]
        except (OSError, ValueError, KeyError, TypeError):
            sha = None
        if isinstance(sha, str) and sha:
            return sha
    return ctx.head


def _write_baseline(ctx: Context, judge: Judge, stream: TextIO) -> CiOutcome:
    """Every current finding of the whole tree (not only a change), inline suppressions still honoured."""
    from linter.pipeline import RunRequest
    from linter.pipeline import run as run_pipeline

    paths = ctx.args.paths or ["."]
    result = run_pipeline(RunRequest(paths=paths, config=judge.config, cwd=ctx.head_dir, suppressions=False,
                                     render=ctx.args.render, fence=ctx.head_dir, named_paths=False,
                                     helm_online=_online(ctx.args, judge.config)))
    sources = replace(judge.sources, baseline=None, read_text=lambda f: _text(ctx.read_head(f)) or None,
                      known_rules=frozenset(result.rules))
    kept, _gone, _problems = suppress.apply_suppressions(result.findings, result.documents, judge.config,
                                                         today=_today(), sources=sources)
    target = ctx.args.write_baseline
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(suppress.render_baseline(kept), encoding="utf-8")
    stream.write(f"kubegate: wrote {len(kept)} findings to {target}\n")
    return CiOutcome([], judge.config.fail_level, result.info)


def _online(args: Any, config: Any) -> bool:
    """`kubegate ci` fetches charts unless --offline or the base's `helm.online: false` says not to:
    a chart that cannot be had there is RENDER-004, an error (could-not-check is never green)."""
    if getattr(args, "online", None) is not None:
        return bool(args.online)
    return config.section("helm").get("online", "auto") is not False
