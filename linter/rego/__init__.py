"""Rego policies: the engine adapters, policy loading with METADATA, batch evaluation, policy tests."""

from __future__ import annotations

from linter.rego.engine import ENGINES, Engine, make_engine
from linter.rego.policies import PolicySet, load_policies
from linter.rego.testing import TestReport, TestResult, format_test_report, run_policy_tests

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
