"""Rego policies: the engine adapters, policy loading with METADATA, batch evaluation, policy tests."""

from __future__ import annotations

from typing import Any

from linter.rego.engine import ENGINES, Engine, make_engine
from linter.rego.policies import PolicySet, load_policies

_TESTING = ("TestReport", "TestResult", "format_test_report", "run_policy_tests")


def __getattr__(name: str) -> Any:
    """The unit-test runner on first use: a check never needs it (3 ms of start-up)."""
    if name in _TESTING:
        from linter.rego import testing

        return getattr(testing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ENGINES",
    "Engine",
    "PolicySet",
    "TestReport",
    "TestResult",
    "format_test_report",
    "load_policies",
    "make_engine",
    "run_policy_tests",
]
