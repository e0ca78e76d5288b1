"""The pre-commit hooks, with the real `pre-commit try-repo` on a committed copy of this checkout.

The copy keeps the project's own git repository untouched. pre-commit installs kubegate into its own
environment (PRE_COMMIT_HOME in a temp dir; pip's cache is reused), so the slow test takes ~15 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from linter.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
HOOKS = REPO / ".pre-commit-hooks.yaml"
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}
# Hardened and digest-pinned: nothing of the bundled library (with the user's registry allowlist) fires.
GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: registry.example.com/shop/web:2.3.1@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
"""
CONFIG = """\
policies:
  params:
    IMG-001: {allowed_registries: ["registry.example.com/"]}
"""
BAD = GOOD.replace("replicas: 2", "replicas: three")


def hooks() -> dict[str, dict[str, object]]:
    return {h["id"]: h for h in YAML(typ="safe").load(HOOKS.read_text())}


def test_hooks_declare_what_the_docs_promise() -> None:
    found = hooks()
    assert set(found) == {"kubegate", "kubegate-policy-test"}
    lint, ptest = found["kubegate"], found["kubegate-policy-test"]
    assert (lint["entry"], lint["types_or"], lint.get("pass_filenames", True), lint["require_serial"]) == (
        "kubegate check", ["yaml", "json"], True, False)
    assert (ptest["entry"], ptest["files"], ptest["pass_filenames"]) == (
        "kubegate policy test", r"\.rego$", False)


@pytest.mark.parametrize("hook", ["kubegate", "kubegate-policy-test"])
def test_hook_entries_are_real_commands(hook: str) -> None:
    entry = str(hooks()[hook]["entry"]).split()
    assert entry[0] == "kubegate"
    build_parser().parse_args(entry[1:])  # a SystemExit here means the command does not exist


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy of the working tree: try-repo needs the hook files in a commit."""
    if not PRE_COMMIT.exists() or shutil.which("git") is None:
        pytest.skip("pre-commit or git not installed")
    dest = tmp_path_factory.mktemp("hookrepo") / "kubegate"
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "*.egg-info",
        ".venv", "build", "dist", ".kubegate-cache"))
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "snapshot")
    return dest


def pre_commit(user: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([str(PRE_COMMIT), *args], cwd=user, env=env, capture_output=True, text=True,
                          check=False, timeout=300)


@pytest.mark.slow
def test_precommit_hooks(hook_repo: Path, tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "bad.yaml").write_text(BAD)
    (user / "good.yaml").write_text(GOOD)
    (user / ".kubegate.yaml").write_text(CONFIG)
    (user / "x.rego").write_text("package x\n")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True,
                         check=True).stdout.strip()
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: kubegate\n"
        "      - id: kubegate-policy-test\n")
    _git(user, "init", "-q")
    _git(user, "add", "-A")
    home = tmp_path / "pre-commit-home"

    # try-repo installs into a throwaway store on every call, so it is used once; `run` reuses `home`.
    bad = pre_commit(user, home, "try-repo", str(hook_repo), "kubegate", "--files", "bad.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.yaml:7:13" in bad.stdout and "SCHEMA-001" in bad.stdout

    both = pre_commit(user, home, "run", "kubegate", "--files", "bad.yaml", "good.yaml")
    assert both.returncode == 1 and "bad.yaml:7:13" in both.stdout and "good.yaml" not in both.stdout
    good = pre_commit(user, home, "run", "kubegate", "--files", "good.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    # The policy-test hook runs on .rego changes only, without file names (the bundled library here).
    ptest = pre_commit(user, home, "run", "kubegate-policy-test", "--files", "x.rego")
    assert ptest.returncode == 0 and "Passed" in ptest.stdout, ptest.stdout + ptest.stderr
    skipped = pre_commit(user, home, "run", "kubegate-policy-test", "--files", "good.yaml")
    assert skipped.returncode == 0 and "Skipped" in skipped.stdout
