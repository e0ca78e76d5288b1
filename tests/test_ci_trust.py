"""What a pull request can and cannot change about its own judgment (docs/trust-model.md).

Issue 13 row 10: a PR that adds a `kubegate.io/ignore` annotation (or an inline comment, or an exception)
to the resource it breaks passed `kubegate ci` with a CHG-003 warning. A suppression the merge base did
not have does not apply in `ci`: the finding stays an error, CHG-003 asks for review, and only the
base's configuration (`ci.allow_new_suppressions: true`) lets new ones apply at once. And the render rule:
a failed render is never green in `ci`, whatever the PR does to the configuration.
Every case is a real git repository with a base and a PR branch, run through `kubegate ci`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_ci_e2e import CONFIG, DEPLOY, POLICY
from test_gitutil import Repo

from linter.cli import main

ANNOTATED = DEPLOY.replace("  namespace: apps\n", "  namespace: apps\n  annotations:\n"
                           "    kubegate.io/ignore: \"ORG-001: {reason}\"\n")
SECOND = DEPLOY.replace("name: web\n  namespace", "name: api\n  namespace")


def gate(repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         *extra: str) -> tuple[int, list[dict[str, Any]]]:
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("KUBEGATE_TODAY", "2030-06-01")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    code = main(["ci", "--base", "main", "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)["findings"]


def rows(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((f["rule_id"], f["severity"], f["file"]) for f in findings)


def fleet(tmp_path: Path, config: str = CONFIG, web: str = DEPLOY.format(tag="1.0")) -> Repo:
    repo = Repo(tmp_path / "fleet")
    repo.commit({".kubegate.yaml": config, "policies/tags.rego": POLICY, "exceptions.yaml": "[]\n",
                 "apps/web.yaml": web})
    repo.branch("pr")
    return repo


def test_pr_adding_ignore_annotation_to_the_resource_it_breaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    repo = fleet(tmp_path)
    repo.commit({"apps/web.yaml": ANNOTATED.format(tag="bad", reason="trust me")})
    code, findings = gate(repo, monkeypatch, capsys, "--no-render")
    assert code == 1
    assert rows(findings) == [("CHG-003", "warning", "apps/web.yaml"), ("ORG-001", "error", "apps/web.yaml")]
    chg = next(f for f in findings if f["rule_id"] == "CHG-003")
    assert "does not apply to this change" in chg["message"] and chg["line"] == 7


def test_pr_adding_inline_ignore_to_the_resource_it_breaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    repo = fleet(tmp_path)
    image = "image: registry.example.com/web:bad"
    repo.commit({"apps/web.yaml": DEPLOY.format(tag="bad").replace(image, image + "  # kubegate: ignore[ORG-001] x")})
    code, findings = gate(repo, monkeypatch, capsys, "--no-render")
    assert code == 1
    assert rows(findings) == [("CHG-003", "warning", "apps/web.yaml"), ("ORG-001", "error", "apps/web.yaml")]


def test_pr_adding_an_exception_for_the_resource_it_breaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    repo = fleet(tmp_path)
    entry = ("- rule: ORG-001\n  kind: Deployment\n  namespace: apps\n  name: web\n  owner: me\n"
             "  reason: trust me\n  expires: 2099-01-01\n")
    repo.commit({"exceptions.yaml": entry, "apps/web.yaml": DEPLOY.format(tag="bad")})
    code, findings = gate(repo, monkeypatch, capsys, "--no-render")
    assert code == 1
    assert ("ORG-001", "error", "apps/web.yaml") in rows(findings)
    assert any(f["rule_id"] == "CHG-003" and "read from the merge base" in f["message"] for f in findings)


def test_suppression_the_base_had_still_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    repo = fleet(tmp_path, web=ANNOTATED.format(tag="bad", reason="legacy, ticket 12"))
    repo.commit({"apps/web.yaml": ANNOTATED.format(tag="bad", reason="legacy, ticket 12").replace(
        "labels: {app: web}\n    spec", "labels: {app: web, tier: front}\n    spec")})
    code, findings = gate(repo, monkeypatch, capsys, "--no-render")
    assert (code, rows(findings)) == (0, [])


def test_moving_a_base_comment_onto_another_resource_counts_as_new(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    image = "image: registry.example.com/web:"
    mark = "  # kubegate: ignore[ORG-001] legacy"
    base = DEPLOY.format(tag="bad").replace(image + "bad", image + "bad" + mark) + "---\n" + SECOND.format(tag="1.0")
    repo = fleet(tmp_path, web=base)
    moved = DEPLOY.format(tag="1.0") + "---\n" + SECOND.format(tag="bad").replace(image + "bad", image + "bad" + mark)
    repo.commit({"apps/web.yaml": moved})
    code, findings = gate(repo, monkeypatch, capsys, "--no-render")
    assert code == 1
    assert [(f["rule_id"], f["name"]) for f in findings if f["rule_id"] == "ORG-001"] == [("ORG-001", "api")]


def test_allow_new_suppressions_from_the_base_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    repo = fleet(tmp_path, config=CONFIG.replace("ci:\n", "ci:\n  allow_new_suppressions: true\n"))
    repo.commit({"apps/web.yaml": ANNOTATED.format(tag="bad", reason="reviewed in the PR")})
    code, findings = gate(repo, monkeypatch, capsys, "--no-render")
    assert code == 0
    assert rows(findings) == [("CHG-003", "warning", "apps/web.yaml")]
    assert "does not apply" not in findings[0]["message"]


def test_a_pr_cannot_allow_its_own_new_suppressions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    repo = fleet(tmp_path)
    repo.commit({".kubegate.yaml": CONFIG.replace("ci:\n", "ci:\n  allow_new_suppressions: true\n"),
                 "apps/web.yaml": ANNOTATED.format(tag="bad", reason="trust me")})
    code, findings = gate(repo, monkeypatch, capsys, "--no-render")
    assert code == 1
    assert rows(findings) == [("CHG-002", "warning", ".kubegate.yaml"), ("CHG-003", "warning", "apps/web.yaml"),
                              ("ORG-001", "error", "apps/web.yaml")]


# --- the render rule ---------------------------------------------------------------------------------

needs_renderer = pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                                    reason="needs kubectl or kustomize on PATH")
FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
RENDER_CONFIG = "policies:\n  bundled: false\n"


def render_fleet(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "fleet")
    repo.commit({".kubegate.yaml": RENDER_CONFIG, "clusters/prod/apps.yaml": FLUX_KS,
                 "apps/kustomization.yaml": "resources: [web.yaml]\n", "apps/web.yaml": DEPLOY.format(tag="1.0")})
    repo.branch("pr")
    return repo


@needs_renderer
def test_pr_cannot_turn_a_failed_render_green_through_the_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CI", "true")
    repo = render_fleet(tmp_path)
    repo.commit({"apps/kustomization.yaml": "resources: [web.yaml, missing.yaml]\n",
                 ".kubegate.yaml": RENDER_CONFIG + "flux: {on_failure: info}\nseverity: {RENDER-001: 'off'}\n"})
    code, findings = gate(repo, monkeypatch, capsys)
    assert code == 1
    assert ("RENDER-001", "error", "clusters/prod/apps.yaml") in rows(findings)
    assert ("CHG-002", "warning", ".kubegate.yaml") in rows(findings)


@needs_renderer
def test_failed_render_is_never_green_in_ci_without_the_ci_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CI", raising=False)  # Jenkins sets no CI
    repo = render_fleet(tmp_path)
    repo.commit({"apps/kustomization.yaml": "resources: [web.yaml, missing.yaml]\n"})
    code, findings = gate(repo, monkeypatch, capsys)
    assert code == 1
    assert ("RENDER-001", "error", "clusters/prod/apps.yaml") in rows(findings)


def test_a_new_comment_above_a_base_comment_withholds_only_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    image = "image: registry.example.com/web:bad"
    base = DEPLOY.format(tag="bad").replace(image, image + "  # kubegate: ignore[ORG-001] legacy, ticket 7")
    repo = fleet(tmp_path, web=base)
    # A new comment-only line above covers the same line: withholding it must not withhold the base's.
    repo.commit({"apps/web.yaml": base.replace("          image:", "          # kubegate: ignore[ORG-001] dup\n"
                                                                   "          image:")})
    code, findings = gate(repo, monkeypatch, capsys, "--no-render")
    assert (code, rows(findings)) == (0, [("CHG-003", "warning", "apps/web.yaml")])
