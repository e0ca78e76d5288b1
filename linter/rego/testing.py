"""The policy test runner, like `opa test` and `conftest verify`.

Every rule named `test_*` in every package (policy files and `*_test.rego` alike) is one test. A test
passes when it is defined and not `false`; an undefined or false test fails; an engine error is an error.
A module that does not compile is a ConfigError for the whole run, as with `opa test`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from linter.models import EngineError
from linter.rego.engine import UNDEFINED, Engine, check_modules, make_engine
from linter.rego.policies import find_policy_files, read_modules, rego_ref

_TEST_RULE = re.compile(r"^test_[A-Za-z0-9_]*$")


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    package: str
    name: str
    file: str
    line: int
    outcome: str  # pass | fail | error
    message: str = ""

    @property
    def query(self) -> str:
        return f"data.{self.package}.{self.name}"


@dataclass
class TestReport:
    __test__ = False

    passed: int = 0
    failed: int = 0
    errors: int = 0
    results: list[TestResult] = field(default_factory=list)


@dataclass(frozen=True)
class _Test:
    package: str
    path: tuple[str, ...]
    name: str
    file: str
    line: int


def run_policy_tests(dirs: Sequence[Path], *, engine: str = "regorus", match: str | None = None) -> TestReport:
    """Run every `test_*` rule under `dirs` (whose `package.test_name` matches the regex `match`)."""
    make_engine(engine)  # fail fast on an unknown or missing engine
    modules = read_modules(find_policy_files(dirs, tests=True))
    tests = _discover(modules, match)
    report = TestReport()
    if not tests:
        return report
    runner = make_engine(engine)
    for filename, source in modules.items():
        runner.add_policy(filename, source)
    runner.add_policy(_BATCH_FILE, _batch_module(tests))
    runner.set_data({})
    for result in _run_batch(runner, tests) or [_run_one(runner, t) for t in tests]:
        _record(report, result)
    return report


# One generated module answers every test in one query: regopy recompiles on each query (~0.6 s), so
# per-test queries made a library run take most of a minute. A test passes when its body is defined and
# not false, exactly the condition `if data.<pkg>.<test>` checks.
_BATCH_PACKAGE = "kubegate_internal_tests"
_BATCH_FILE = "kubegate_internal_tests.rego"


def _batch_module(tests: Sequence[_Test]) -> str:
    lines = [f"package {_BATCH_PACKAGE}", "", "import rego.v1", ""]
    lines += [f'passed contains "{i}" if {rego_ref([*t.path, t.name])}' for i, t in enumerate(tests)]
    return "\n".join(lines) + "\n"


def _run_batch(engine: Engine, tests: Sequence[_Test]) -> list[TestResult] | None:
    """Every result from one query, or None when the batch errors (then each test runs alone, so the
    error is reported against the test that caused it)."""
    try:
        value = engine.eval_query(f"data.{_BATCH_PACKAGE}.passed")
    except EngineError:
        return None
    passed = set(value) if isinstance(value, list) else set()
    return [TestResult(t.package, t.name, t.file, t.line, "pass" if str(i) in passed else "fail",
                       "" if str(i) in passed else "false or undefined")
            for i, t in enumerate(tests)]


def _discover(modules: dict[str, str], match: str | None) -> list[_Test]:
    pattern = re.compile(match) if match else None
    found: dict[tuple[str, str], _Test] = {}
    for info in check_modules(modules):
        package = ".".join(info.package)
        for head in info.rules:
            if not _TEST_RULE.match(head.name) or (package, head.name) in found:
                continue
            if pattern and not pattern.search(f"{package}.{head.name}"):
                continue
            found[(package, head.name)] = _Test(package, info.package, head.name, info.filename, head.line)
    return sorted(found.values(), key=lambda t: (t.file, t.line))


def _run_one(engine: Engine, test: _Test) -> TestResult:
    def result(outcome: str, message: str = "") -> TestResult:
        return TestResult(test.package, test.name, test.file, test.line, outcome, message)

    try:
        value = engine.eval_query(rego_ref([*test.path, test.name]))
    except EngineError as exc:
        return result("error", str(exc))
    if value is UNDEFINED:
        return result("fail", "undefined")
    if value is False:
        return result("fail", "false")
    return result("pass")


def _record(report: TestReport, result: TestResult) -> None:
    report.results.append(result)
    if result.outcome == "pass":
        report.passed += 1
    elif result.outcome == "fail":
        report.failed += 1
    else:
        report.errors += 1


def format_test_report(report: TestReport, verbose: bool = False) -> str:
    """One line per failing (or, when verbose, every) test, then `N passed, M failed[, K errors]`."""
    lines = []
    for r in report.results:
        if r.outcome == "pass" and not verbose:
            continue
        detail = f": {r.message}" if r.outcome == "error" and r.message else ""
        lines.append(f"{r.file}:{r.line}: {r.outcome.upper()} {r.query}{detail}")
    summary = f"{report.passed} passed, {report.failed} failed"
    if report.errors:
        summary += f", {report.errors} errors"
    lines.append(summary)
    return "\n".join(lines)
