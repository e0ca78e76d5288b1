"""Real public Flux fleets (../shared/corpus) through the whole gate: no crash, no false error on the
documented multi-tenancy pattern. Skips where ../shared is absent (a user's clone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main

FLEETS = ["fluxcd__flux2-kustomize-helm-example", "fluxcd__flux2-multi-tenancy", "onedr0p__home-ops",
          "bjw-s-labs__home-ops"]


def check(fleet: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--format", "json", *extra, str(fleet)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out)


@pytest.mark.parametrize("name", FLEETS)
def test_fleet_checks_without_crashing(shared_dir: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(shared_dir / "corpus" / name, capsys, "--no-render")
    assert code in (0, 1)
    summary = report["summary"]
    assert summary["resources"] > 0
    assert summary["documents"] >= summary["resources"]
    assert all(f["line"] >= 1 for f in report["findings"])
    # Every parse problem a real fleet has is an ambiguity warning, never a broken file.
    assert {f["rule_id"] for f in report["findings"] if f["source"] == "parse"} <= {"YAML-006", "YAML-007"}


def test_multi_tenancy_tenant_pattern_is_not_an_error(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(shared_dir / "corpus" / "fluxcd__flux2-multi-tenancy", capsys)
    errors = [(f["file"], f["line"], f["rule_id"]) for f in report["findings"] if f["severity"] == "error"]
    assert errors == []
    assert code == 0
    tenant_binding = [f for f in report["findings"] if f["rule_id"] == "RBAC-002"]
    assert tenant_binding and all(f["severity"] == "warning" for f in tenant_binding)
    assert report["summary"]["flux"]["rendered"] > 0
