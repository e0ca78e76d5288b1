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
    runner.set_data({})
    for test in tests:
        _record(report, _run_one(runner, test))
    return report


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
