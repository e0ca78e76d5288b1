"""The policy test runner (like `opa test`): discovery, pass/fail/error, file:line, both embedded engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.models import ConfigError
from linter.rego.testing import format_test_report, run_policy_tests

FIXTURES = Path(__file__).parent / "fixtures" / "rego"


def outcomes(dirs: list[Path], engine: str, match: str | None = None) -> list[tuple[str, int, str]]:
    report = run_policy_tests(dirs, engine=engine, match=match)
    return [(Path(r.file).name, r.line, r.outcome) for r in report.results]


@pytest.mark.parametrize("engine", ["regorus", "regopy"])
def test_passing_and_failing_tests(engine: str) -> None:
    assert outcomes([FIXTURES / "simple"], engine) == [("pods_test.rego", 5, "pass"),
                                                       ("pods_test.rego", 10, "fail")]


@pytest.mark.parametrize(("fixture", "expected"), [
    ("passing", [("latest_test.rego", 7, "pass"), ("latest_test.rego", 11, "pass")]),
    ("failing", [("latest_test.rego", 7, "pass"), ("latest_test.rego", 12, "fail")]),
])
def test_tests_in_separate_package(fixture: str, expected: list[tuple[str, int, str]]) -> None:
    assert outcomes([FIXTURES / fixture], "regorus") == expected


def test_match_filters_by_package_and_name() -> None:
    assert outcomes([FIXTURES / "simple"], "regorus", match=r"pods\.test_pod") == [("pods_test.rego", 5, "pass")]


def test_error_outcome(tmp_path: Path) -> None:
    (tmp_path / "e_test.rego").write_text("package e\n\nimport rego.v1\n\ntest_boom if {\n  count(5) > 0\n}\n")
    report = run_policy_tests([tmp_path])
    assert (report.passed, report.failed, report.errors) == (0, 0, 1)
    assert format_test_report(report).splitlines()[-1] == "0 passed, 0 failed, 1 errors"


def test_compile_error_is_config_error(tmp_path: Path) -> None:
    (tmp_path / "b_test.rego").write_text("package b\n\ntest_x {\n  true\n}\n")
    with pytest.raises(ConfigError) as err:
        run_policy_tests([tmp_path])
    assert (Path(err.value.file).name, err.value.line) == ("b_test.rego", 3)


@pytest.mark.parametrize(("verbose", "expected"), [
    (False, ["pods_test.rego:10: FAIL data.fixture.pods.test_deployment_denied", "1 passed, 1 failed"]),
    (True, ["pods_test.rego:5: PASS data.fixture.pods.test_pod_denied",
            "pods_test.rego:10: FAIL data.fixture.pods.test_deployment_denied", "1 passed, 1 failed"]),
])
def test_format(verbose: bool, expected: list[str]) -> None:
    text = format_test_report(run_policy_tests([FIXTURES / "simple"]), verbose=verbose)
    assert [line.rsplit("/", 1)[-1] for line in text.splitlines()] == expected


def test_no_tests(tmp_path: Path) -> None:
    assert format_test_report(run_policy_tests([tmp_path])) == "0 passed, 0 failed"
