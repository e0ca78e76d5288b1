"""Issue 10, item 3: check what Flux applies. Entry points, undefined GitRepositories taken as this
repository (flux.self_sources), and files no Flux Kustomization reaches set aside (GRAPH-008)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from tests.test_flux_graph import ks, write

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                                reason="needs kubectl or kustomize on PATH")

PRIVILEGED = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: apps
spec:
  containers:
    - name: c
      image: registry.example.com/c@sha256:{digest}
      securityContext:
        privileged: true
"""
DIGEST = "a" * 64


def pod(name: str) -> str:
    return PRIVILEGED.format(name=name, digest=DIGEST)


def fleet(root: Path, source: str = "flux-system", extra: dict[str, str] | None = None) -> Path:
    write(root, {
        "clusters/prod/flux-system/gotk-sync.yaml": ks("flux-system", "./clusters/prod"),
        "clusters/prod/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
        "clusters/prod/apps.yaml": ks("apps", "./apps/prod", source=source),
        "apps/prod/kustomization.yaml": "resources: [pod.yaml]\n",
        "apps/prod/pod.yaml": pod("live"),
        ".archive/old/pod.yaml": pod("archived"),
        "examples/pod.yaml": pod("example"),
        ".github/workflows/ci.yaml": "on: push\njobs: {}\n",
        **(extra or {}),
    })
    return root


def check(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          *args: str) -> tuple[int, dict[str, Any]]:
    monkeypatch.chdir(root)
    code = main(["check", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def by_rule(report: dict[str, Any], rule: str) -> list[tuple[str, int]]:
    return [(f["file"], f["line"]) for f in report["findings"] if f["rule_id"] == rule]


def test_files_no_entry_point_reaches_are_reported_once_and_not_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(fleet(tmp_path), monkeypatch, capsys, ".")
    assert code == 1
    assert [f for f, _l in by_rule(report, "WKL-001")] == ["apps/prod/pod.yaml"]  # the live one only
    (note,) = [f for f in report["findings"] if f["rule_id"] == "GRAPH-008"]
    assert note["severity"] == "info" and note["message"].startswith("2 files are not applied")
    assert report["summary"]["skipped"]["not applied by any Flux Kustomization"] == 2


def test_show_unreconciled_lists_each_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _code, report = check(fleet(tmp_path), monkeypatch, capsys, "--show-unreconciled", ".")
    assert sorted(by_rule(report, "GRAPH-008")) == [(".archive/old/pod.yaml", 1), ("examples/pod.yaml", 1)]


def test_a_file_named_on_the_command_line_is_checked_anyway(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _code, report = check(fleet(tmp_path), monkeypatch, capsys, ".", ".archive/old/pod.yaml")
    assert sorted(f for f, _l in by_rule(report, "WKL-001")) == [".archive/old/pod.yaml", "apps/prod/pod.yaml"]


def test_unreconciled_check_keeps_the_old_behaviour(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    fleet(tmp_path, extra={".kubegate.yaml": "flux: {unreconciled: check}\n"})
    _code, report = check(tmp_path, monkeypatch, capsys, ".")
    assert len(by_rule(report, "WKL-001")) == 3 and by_rule(report, "GRAPH-008") == []


def test_a_root_kustomization_in_a_hidden_directory_is_not_an_entry_point(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fleet(tmp_path, extra={".archive/clusters/old/apps.yaml": ks("old-apps", "./apps/old"),
                           "apps/old/kustomization.yaml": "resources: [pod.yaml]\n",
                           "apps/old/pod.yaml": pod("old")})
    _code, report = check(tmp_path, monkeypatch, capsys, "--show-unreconciled", ".")
    assert [f for f, _l in by_rule(report, "WKL-001")] == ["apps/prod/pod.yaml"]
    assert ("apps/old/pod.yaml", 1) in by_rule(report, "GRAPH-008")
    assert report["summary"]["flux"]["not_rendered"].get("unreconciled") == 1


def test_a_bootstrap_directory_without_its_kustomization_is_an_entry_point(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # `flux bootstrap` placeholders: the flux-system Kustomization lives only in the cluster.
    write(tmp_path, {
        "clusters/prod/flux-system/kustomization.yaml": "resources: [gotk-components.yaml, gotk-sync.yaml]\n",
        "clusters/prod/flux-system/gotk-sync.yaml": "# generated by flux bootstrap\n",
        "clusters/prod/flux-system/gotk-components.yaml": "# generated by flux bootstrap\n",
        "clusters/prod/apps.yaml": ks("apps", "./apps/prod"),
        "apps/prod/kustomization.yaml": "resources: [pod.yaml]\n",
        "apps/prod/pod.yaml": pod("live"),
    })
    _code, report = check(tmp_path, monkeypatch, capsys, ".")
    assert by_rule(report, "GRAPH-008") == []
    assert [f for f, _l in by_rule(report, "WKL-001")] == ["apps/prod/pod.yaml"]


def test_an_undefined_git_repository_is_this_repository_and_rendered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # The fleet: 268 of 285 Kustomizations named a bootstrap GitRepository the tree lacks.
    fleet(tmp_path, source="home-kubernetes")
    _code, report = check(tmp_path, monkeypatch, capsys, ".")
    flux = report["summary"]["flux"]
    assert "source not found" not in flux["not_rendered"] and flux["rendered"] == 2
    assert by_rule(report, "GRAPH-002") == []
    assert by_rule(report, "GRAPH-007") == [("clusters/prod/apps.yaml", 12)]
    assert [f for f, _l in by_rule(report, "WKL-001")] == ["apps/prod/pod.yaml"]


def test_self_sources_list_makes_other_undefined_sources_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fleet(tmp_path, source="someone-else", extra={".kubegate.yaml": "flux: {self_sources: [flux-system/home]}\n"})
    _code, report = check(tmp_path, monkeypatch, capsys, ".")
    assert by_rule(report, "GRAPH-002") == [("clusters/prod/apps.yaml", 12)]
    assert report["summary"]["flux"]["not_rendered"] == {"source not found": 1}
    fleet(tmp_path, source="home", extra={".kubegate.yaml": "flux: {self_sources: [flux-system/home]}\n"})
    _code, report = check(tmp_path, monkeypatch, capsys, ".")
    assert by_rule(report, "GRAPH-002") == by_rule(report, "GRAPH-007") == []
    assert report["summary"]["flux"]["rendered"] == 2


def test_a_tree_without_flux_is_checked_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"a/pod.yaml": pod("a"), ".archive/pod.yaml": pod("b")})
    _code, report = check(tmp_path, monkeypatch, capsys, ".")
    assert len(by_rule(report, "WKL-001")) == 2 and by_rule(report, "GRAPH-008") == []


def test_a_plain_kustomize_root_is_applied_by_hand_and_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # onedr0p/home-ops: bootstrap/kustomize/* is applied with `kubectl apply -k` before Flux runs.
    fleet(tmp_path, extra={"bootstrap/kustomize/kustomization.yaml": "resources: [pod.yaml]\n",
                           "bootstrap/kustomize/pod.yaml": pod("bootstrap")})
    _code, report = check(tmp_path, monkeypatch, capsys, "--show-unreconciled", ".")
    assert sorted(f for f, _l in by_rule(report, "WKL-001")) == ["apps/prod/pod.yaml", "bootstrap/kustomize/pod.yaml"]
    assert sorted(by_rule(report, "GRAPH-008")) == [(".archive/old/pod.yaml", 1), ("examples/pod.yaml", 1)]
