"""kubegate's command line. The only module that knows exit codes:

0 no findings at or above the fail level; 1 findings at or above it; 2 usage or configuration error;
3 internal error (a checker could not give a trustworthy answer). A tool failure is never a pass.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from linter import __version__
from linter.models import ConfigError, EngineError, Finding, KubegateError, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG, EXIT_INTERNAL = 0, 1, 2, 3

CHECK_EXAMPLES = """\
examples:
  kubegate check                          check every manifest under the current directory
  kubegate check clusters/ apps/base.yaml check some directories and files
  cat deploy.yaml | kubegate check -      check standard input
  kubegate check --format json -o out.json
  kubegate check --select IMG,RBAC        only image and RBAC rules
  kubegate check --ignore IMG-004         everything but digest pinning
  kubegate check --crds crds/ --kubernetes-version 1.30
  kubegate check --policy ./my-policies   add your own Rego (conftest-style deny/warn/violation)

exit codes: 0 clean, 1 findings at or above --fail-level, 2 usage or configuration error, 3 internal error
"""

MAIN_EXAMPLES = """\
commands:
  check        check manifests: YAML/JSON parsing, schemas (CRDs too), Rego policies
  ci           check a pull request: changed files only, policies from the base branch, bot authority
  policy test  run the Rego unit tests of a policy directory (like `opa test`)
  rules        list every rule with its id, severity and title
  graph        draw the Flux graph: sources -> Kustomizations -> HelmReleases
  schemas      list the built-in CRD schemas, convert your own CRDs
  charts pull  fill the chart cache so offline runs render every HelmRelease

run `kubegate COMMAND --help` for a command's options and examples.
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=_help_width())


def _help_width() -> int:
    """What argparse computes with shutil.get_terminal_size, without importing shutil (and with it
    bz2, lzma and zlib: 3 ms of every run, which builds the parser)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns - 2


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _add_common(p: argparse.ArgumentParser) -> None:
    """Options shared by `check` and `ci`: one declaration each, for CLI and config alike."""
    from linter.reporters import FORMATS

    out = p.add_argument_group("output")
    out.add_argument("-f", "--format", default="auto", choices=["auto", *sorted(FORMATS)],
                     help="report format (auto: GitHub annotations under GitHub Actions, else text)")
    out.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report to FILE")
    out.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                     help="colour the text report (auto: only on a terminal, never when NO_COLOR is set)")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary line")
    out.add_argument("--fail-level", choices=[s.value for s in Severity],
                     help="lowest severity that fails the run (default: error)")

    cfg = p.add_argument_group("configuration")
    cfg.add_argument("-c", "--config", type=Path, metavar="FILE",
                     help="configuration file (default: .kubegate.yaml or pyproject.toml found upwards)")
    cfg.add_argument("--select", type=_csv, action="extend", metavar="PREFIXES",
                     help="only rules whose id starts with one of these (comma-separated)")
    cfg.add_argument("--ignore", type=_csv, action="extend", metavar="PREFIXES",
                     help="turn off rules whose id starts with one of these")
    cfg.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                     help="gitignore-style pattern of paths not to check (repeatable)")

    sch = p.add_argument_group("schemas")
    sch.add_argument("--kubernetes-version", metavar="X.Y", help="schemas of this Kubernetes version "
                     "(default: newest bundled)")
    sch.add_argument("--schema-location", action="append", default=[], metavar="LOC",
                     help="kubeconform-style schema location: 'default', a directory, or a URL template "
                     "(repeatable; the first that has a schema wins)")
    sch.add_argument("--crds", action="append", default=[], type=Path, metavar="PATH",
                     help="CustomResourceDefinition file or directory (repeatable)")
    sch.add_argument("--strict", action=argparse.BooleanOptionalAction, default=None,
                     help="unknown fields are errors (default: on)")
    sch.add_argument("--require-schemas", action="store_true", default=None,
                     help="a resource without a schema is an error, not a warning")
    sch.add_argument("--schema-backend", choices=["builtin", "kubeconform"],
                     help="validate with the built-in validator or a kubeconform binary on PATH")

    pol = p.add_argument_group("policies")
    pol.add_argument("--policy", action="append", default=[], type=Path, metavar="DIR",
                     help="Rego policy directory added to the bundled library (repeatable)")
    pol.add_argument("--no-bundled-policies", action="store_true", help="do not use the bundled library")
    pol.add_argument("--engine", choices=["regorus", "regopy", "opa"],
                     help="Rego engine (default: regorus, embedded)")
    pol.add_argument("--opa-url", metavar="URL", help="OPA server for --engine opa")

    run = p.add_argument_group("run")
    run.add_argument("--render", action=argparse.BooleanOptionalAction, default=None,
                     help="render Flux Kustomizations with kustomize and check what Flux applies (default: on)")
    helm = p.add_argument_group("helm")
    helm.add_argument("--online", dest="online", action="store_const", const=True, default=None,
                      help="fetch charts from their repositories when the chart cache lacks them "
                      "(default for `kubegate ci`)")
    helm.add_argument("--offline", dest="online", action="store_const", const=False,
                      help="never use the network: charts come from the tree and the chart cache, URL schema "
                      "locations from the schema cache (charts: the default for `check` and pre-commit)")
    helm.add_argument("--chart-cache", type=Path, metavar="DIR",
                      help="chart cache directory (default: the user cache directory; fill it with "
                      "`kubegate charts pull`)")
    run.add_argument("--disable-suppressions", action="store_true",
                     help="ignore inline and annotation suppressions and exceptions (for audits)")
    run.add_argument("--show-unreconciled", action="store_true",
                     help="one GRAPH-008 per file that no Flux entry point applies (default: one in all)")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubegate", formatter_class=_Formatter, epilog=MAIN_EXAMPLES,
        description="A pre-merge gate for Kubernetes manifests in GitOps repositories.",
    )
    parser.add_argument("--version", action="store_true", help="show version and engine details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check manifests", formatter_class=_Formatter,
                           description="Check Kubernetes manifests: YAML, schemas (CRDs too) and Rego policies.",
                           epilog=CHECK_EXAMPLES)
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                       help="files or directories (default: .); '-' reads standard input")
    _add_common(check)

    if command == "ci":  # its module pulls in git and diff machinery: import it only when used
        from linter import ci

        ci_parser = sub.add_parser("ci", help="check a pull request against its base branch",
                                   formatter_class=_Formatter, description=ci.DESCRIPTION, epilog=ci.EXAMPLES)
        _add_common(ci_parser)
        ci.add_arguments(ci_parser)
    else:
        sub.add_parser("ci", help="check a pull request against its base branch", add_help=False,
                       formatter_class=_Formatter)

    policy = sub.add_parser("policy", help="work with Rego policies", formatter_class=_Formatter)
    policy_sub = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    ptest = policy_sub.add_parser(
        "test", help="run Rego unit tests", formatter_class=_Formatter,
        description="Run the test_* rules of Rego policies, like `opa test` or `conftest verify`.",
        epilog="examples:\n  kubegate policy test                 the bundled library\n"
               "  kubegate policy test policies/ -v    a directory, listing every test\n",
    )
    ptest.add_argument("dirs", nargs="*", type=Path, metavar="DIR", help="policy directories or .rego "
                       "files (default: the bundled library)")
    ptest.add_argument("--engine", choices=["regorus", "regopy"], default="regorus")
    ptest.add_argument("--run", metavar="REGEX", help="only tests whose name matches")
    ptest.add_argument("-v", "--verbose", action="store_true")

    rules = sub.add_parser("rules", help="list rules", formatter_class=_Formatter,
                           description="List every rule: built-in checks and the Rego library.")
    rules.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    rules.add_argument("-c", "--config", type=Path, metavar="FILE")
    rules.add_argument("--policy", action="append", default=[], type=Path, metavar="DIR")

    graph = sub.add_parser("graph", help="draw the Flux graph", formatter_class=_Formatter,
                           description="Draw sources -> Kustomizations -> HelmReleases of a repository.",
                           epilog="examples:\n  kubegate graph\n  kubegate graph clusters/ --format mermaid\n")
    graph.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    graph.add_argument("--format", choices=["text", "json", "mermaid", "dot"], default="text")
    graph.add_argument("-c", "--config", type=Path, metavar="FILE")

    from linter import charts_cmd, schemas_cmd

    schemas_cmd.add_parser(sub, _Formatter)
    charts_cmd.add_parser(sub, _Formatter)
    return parser


# --- config from arguments ----------------------------------------------------------------------

def config_from_args(args: argparse.Namespace, start: Path) -> Any:
    from linter.config import load_config

    config = load_config(args.config, start)
    changes: dict[str, Any] = {}
    simple = {"kubernetes_version": "kubernetes_version", "strict": "strict", "engine": "engine",
              "opa_url": "opa_url", "require_schemas": "require_schemas", "schema_backend": "schema_backend"}
    for attr, field in simple.items():
        value = getattr(args, attr, None)
        if value is not None:
            changes[field] = value
    if args.fail_level:
        changes["fail_level"] = Severity.parse(args.fail_level)
    if args.select is not None:
        changes["select"] = tuple(args.select)
    if args.ignore is not None:
        changes["ignore"] = (*config.ignore, *args.ignore)
    if args.schema_location:
        changes["schema_locations"] = tuple(args.schema_location)
    if args.crds:
        changes["crds"] = (*config.crds, *(p.resolve() for p in args.crds))
    if args.policy:
        changes["policy_dirs"] = (*config.policy_dirs, *(p.resolve() for p in args.policy))
    if args.no_bundled_policies:
        changes["bundled_policies"] = False
    if args.exclude:
        changes["exclude"] = (*config.exclude, *args.exclude)
    if getattr(args, "chart_cache", None) is not None:
        helm = {**config.section("helm"), "chart_cache": str(args.chart_cache.resolve())}
        changes["sections"] = {**config.sections, "helm": helm}
    if changes.get("engine") == "opa" and not (changes.get("opa_url") or config.opa_url):
        raise ConfigError("--engine opa needs --opa-url (or opa_url in the configuration)")
    return replace(config, **changes)


# --- output ---------------------------------------------------------------------------------------

def resolve_format(name: str) -> str:
    if name != "auto":
        return name
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def use_color(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("CI"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """A one-line status on a terminal's stderr, shown only once a run takes more than a moment."""

    DELAY = 0.4

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, message: str) -> None:
        if self.enabled and time.monotonic() - self.start > self.DELAY:
            sys.stderr.write(f"\r\x1b[2Kkubegate: {message}…")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def make_progress(args: argparse.Namespace, fmt: str) -> Progress:
    interactive = sys.stderr.isatty() and not os.environ.get("CI") and fmt == "text" and not args.quiet
    return Progress(interactive)


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}") from None


def exit_code(findings: Sequence[Finding], fail_level: Severity) -> int:
    from linter.rules import FAIL_CLOSED

    if any(f.rule_id in FAIL_CLOSED for f in findings):
        return EXIT_INTERNAL  # a document was not fully judged: red, whatever --fail-level says
    return EXIT_FINDINGS if any(f.severity.rank >= fail_level.rank for f in findings) else EXIT_OK


# --- commands ------------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from linter.pipeline import RunRequest, run
    from linter.reporters import get_reporter

    cwd = Path.cwd()
    paths = args.paths or ["."]
    start = cwd / next((p for p in paths if p != "-"), ".")
    config = config_from_args(args, start)
    fmt = resolve_format(args.format)
    reporter = get_reporter(fmt)
    stdin = _read_stdin(config) if "-" in paths else None
    progress = make_progress(args, fmt)
    try:
        result = run(RunRequest(paths=paths, config=config, cwd=cwd, stdin=stdin, render=args.render,
                                suppressions=not args.disable_suppressions, progress=progress,
                                show_unreconciled=args.show_unreconciled, helm_online=args.online))
    finally:
        progress.clear()
    color = use_color(args.color, sys.stdout) and args.output is None
    info = replace(result.info, color=color)
    from linter.loader import gc_paused

    with gc_paused():  # the run's documents are still alive: see linter.pipeline.run
        text = reporter(result.findings, info)
    if args.quiet and fmt == "text":
        text = "".join(line + "\n" for line in text.splitlines()[:-1] if line)
    emit(text, args.output)
    return exit_code(result.findings, config.fail_level)


def _read_stdin(config: Any) -> bytes:
    """Standard input under the same size cap as a file: at most one byte past the limit is read, so
    `kubegate check - < /dev/zero` ends in a YAML-003 finding instead of filling memory."""
    from linter.loader import Limits, read_capped

    return read_capped(sys.stdin.buffer, Limits(**config.limits).max_file_bytes)


def cmd_ci(args: argparse.Namespace) -> int:
    from linter import ci

    outcome = ci.run(args)
    return exit_code(outcome.findings, outcome.fail_level)


def cmd_policy_test(args: argparse.Namespace) -> int:
    from linter.rego.testing import format_test_report, run_policy_tests
    from linter.resources import bundled_dir

    dirs = args.dirs or [bundled_dir("policies")]
    for d in dirs:
        if not d.exists():
            raise ConfigError(f"no such file or directory: {d}")
    report = run_policy_tests(dirs, engine=args.engine, match=args.run)
    sys.stdout.write(format_test_report(report, verbose=args.verbose) + "\n")
    return EXIT_FINDINGS if report.failed or report.errors else EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    import json

    from linter.config import load_config
    from linter.pipeline import policy_dirs_for
    from linter.rego import load_policies
    from linter.rules import BUILTIN_RULES

    config = load_config(args.config, Path.cwd())
    policies = load_policies(policy_dirs_for(config, [p.resolve() for p in args.policy]),
                             engine="regorus", namespaces=config.policy_namespaces)
    rules = sorted({**BUILTIN_RULES, **policies.rules}.values(), key=lambda r: r.id)
    if args.format == "json":
        sys.stdout.write(json.dumps([{"id": r.id, "name": r.name, "severity": r.severity.value,
                                      "title": r.title, "source": r.source} for r in rules], indent=2) + "\n")
    elif args.format == "markdown":
        from linter.docgen import render_rules_markdown

        sys.stdout.write(render_rules_markdown(rules))
    else:
        width = max(len(r.id) for r in rules)
        for r in rules:
            sys.stdout.write(f"{r.id:<{width}}  {r.severity.value:<7}  {r.title}\n")
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    from linter import flux
    from linter.config import load_config
    from linter.discover import discover
    from linter.loader import Limits, load_many
    from linter.pipeline import classify

    cwd = Path.cwd()
    config = load_config(args.config, cwd / args.paths[0])
    try:
        targets = list(discover(args.paths, cwd, config.root, config.exclude))
    except FileNotFoundError as exc:
        raise ConfigError(f"no such file or directory: {exc.args[0]}") from None
    from linter.fence import fence_for

    loaded = load_many([(t.path, t.display) for t in targets], Limits(**config.limits),
                       fence=fence_for(config.root, cwd))
    for doc in loaded.documents:
        classify(doc)
    graph = flux.build_graph(loaded.documents, config.root, cwd, flux.self_sources(config.section("flux")))
    sys.stdout.write(flux.draw(graph, args.format))
    return EXIT_OK


def cmd_version() -> int:
    from linter.loader import parser_info

    info = parser_info()
    lines = [f"kubegate {__version__}", f"python {sys.version.split()[0]}"]
    lines += [f"{k}: {v}" for k, v in info.items()]
    try:
        from linter.schema import available_versions

        versions = available_versions()
        lines.append(f"kubernetes schemas: {versions[0]} .. {versions[-1]}" if versions else
                     "kubernetes schemas: none found")
    except Exception as exc:  # noqa: BLE001 - --version must always answer
        lines.append(f"kubernetes schemas: unavailable ({exc.__class__.__name__})")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


COMMANDS = {"check": cmd_check, "ci": cmd_ci, "rules": cmd_rules, "graph": cmd_graph}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((a for a in argv if not a.startswith("-")), None))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, a usage error is 2
        return int(exc.code or 0)
    try:
        if args.version:
            return cmd_version()
        if args.command is None:
            parser.print_help()
            return EXIT_CONFIG
        if args.command == "policy":
            return cmd_policy_test(args)
        if args.command == "charts":
            from linter import charts_cmd

            return charts_cmd.run(args)
        if args.command == "schemas":
            from linter import schemas_cmd

            return schemas_cmd.run(args)
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        sys.stderr.write(f"kubegate: {exc}\n")
        return EXIT_CONFIG
    except EngineError as exc:
        sys.stderr.write(f"kubegate: could not complete the check, failing closed: {exc}\n")
        return EXIT_INTERNAL
    except KubegateError as exc:
        sys.stderr.write(f"kubegate: {exc}\n")
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        sys.stderr.write("kubegate: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except ImportError as exc:
        sys.stderr.write(f"kubegate: internal error: a dependency is missing ({exc.name or 'unknown'}); "
                         "reinstall kubegate (pip install --force-reinstall kubegate). The gate is red (exit 3).\n")
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the gate must be red, never a traceback-and-pass
        if os.environ.get("KUBEGATE_DEBUG"):
            raise
        sys.stderr.write(
            # The exception text is not printed: library messages can quote manifest values.
            f"kubegate: internal error: {exc.__class__.__name__}\n"
            "kubegate: the check did not complete, so the gate is red (exit 3). "
            "Re-run with KUBEGATE_DEBUG=1 for a traceback and please report it.\n"
        )
        return EXIT_INTERNAL


def main_entry() -> None:
    """The console script: `main`, then exit without the interpreter's teardown. Freeing a large
    run's millions of objects one by one took longer than writing its report (20k documents:
    0.6 s); nothing but standard output and error is left to flush."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (`kubegate check | head`): the exit code still tells
        pass
    os._exit(code)
