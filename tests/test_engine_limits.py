"""Issue 13 rows 2, 3 and 9: a user policy cannot crash, hang or reach the network from the gate.

Rows 2 and 3 run the real command in a child process, so a segfault or a hang fails the test
instead of taking pytest down with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linter.cli import main
from linter.rego.policies import load_policies
from linter.resources import bundled_dir
from tests.conftest import REPO, write

SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: apps}\nstringData: {password: hunter2}\n"


def kubegate(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize(("files", "line"), [
    ({"p.rego": "package user.rec\n\nimport rego.v1\n\nf(x) := y if {\n  y := f(x)\n}\n\n"
                "deny contains \"x\" if f(1) == 2\n"}, 5),
    # mutual, across packages, through an import alias and a data reference
    ({"a.rego": "package user.a\n\nimport rego.v1\n\nimport data.user.b\n\nbad if b.worse\n\ndeny contains \"x\" if bad\n",
      "b.rego": "package user.b\n\nimport rego.v1\n\nworse if data.user.a.bad\n"}, 7),
], ids=["direct", "mutual-across-packages"])
def test_row2_recursive_function_is_rejected_at_load(tmp_path: Path, files: dict[str, str], line: int) -> None:
    for name, text in files.items():
        write(tmp_path, f"pol/{name}", text)
    write(tmp_path, "s.yaml", SECRET)
    done = kubegate(tmp_path, "check", "--policy", "pol", "s.yaml")
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert f".rego:{line}:" in done.stderr and "is recursive" in done.stderr


def test_row2_the_bundled_library_has_no_recursion() -> None:
    assert load_policies([bundled_dir("policies")]).rules  # reject_recursion runs on every compile


def test_row2_a_local_variable_named_like_a_rule_is_not_recursion(tmp_path: Path) -> None:
    write(tmp_path, "p.rego", "package user.ok\n\nimport rego.v1\n\nname := \"x\"\n\n"
          "f(name) := out if {\n  out := upper(name)\n}\n\ndeny contains m if {\n  m := f(input.kind)\n  m == \"\"\n}\n")
    assert load_policies([tmp_path]).rules is not None


def test_row3_a_runaway_comprehension_is_stopped_by_the_budget(tmp_path: Path) -> None:
    write(tmp_path, "pol/p.rego", "# METADATA\n# custom:\n#   id: USR-002\npackage user.slow\n\nimport rego.v1\n\n"
          "deny contains msg if {\n  n := count([x | some x in numbers.range(1, 27000000)])\n  n > 0\n"
          "  msg := \"slow\"\n}\n")
    write(tmp_path, "s.yaml", SECRET)
    write(tmp_path, ".kubegate.yaml", "policies:\n  budget_seconds: 1\n")
    start = time.monotonic()
    done = kubegate(tmp_path, "check", "--format", "json", "--policy", "pol", "s.yaml")
    assert time.monotonic() - start < 30
    assert done.returncode == 3, done.stderr
    findings = json.loads(done.stdout)["findings"]
    (stopped,) = [f for f in findings if f["rule_id"] == "ENGINE-001"]
    assert "USR-002" in stopped["message"] and "budget of 1 s" in stopped["message"]
    assert "SEC-001" in {f["rule_id"] for f in findings}  # the bundled library still answered
    assert "hunter2" not in done.stdout


def test_row3_a_fast_user_rule_answers_through_the_budgeted_child(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "pol/p.rego", "# METADATA\n# custom:\n#   id: USR-003\npackage user.fast\n\nimport rego.v1\n\n"
          "deny contains \"a secret\" if input.kind == \"Secret\"\n")
    write(tmp_path, "s.yaml", SECRET)
    assert main(["check", "--format", "json", "--policy", str(tmp_path / "pol"), str(tmp_path / "s.yaml")]) == 1
    rules = {f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert {"USR-003", "SEC-001"} <= rules and "ENGINE-001" not in rules


@pytest.mark.parametrize("call", ['http.send({"method": "get", "url": "http://127.0.0.1:9"})',
                                  'net.lookup_ip_addr("example.com")', "opa.runtime()"])
def test_row9_network_builtins_are_rejected_at_load(tmp_path: Path, call: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "pol/p.rego", "package user.net\n\nimport rego.v1\n\n# http.send( in a comment\n"
          "doc := \"http.send(\"\n\ndeny contains msg if {\n  r := " + call + "\n  msg := \"x\"\n}\n")
    write(tmp_path, "s.yaml", SECRET)
    assert main(["check", "--policy", str(tmp_path / "pol"), str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "p.rego:9" in err and "not allowed" in err
