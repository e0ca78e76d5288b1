"""Issue 13, row 12: links, FIFOs and devices get the same finding whichever way they were reached, and
nothing outside the repository is ever read (`check` and `ci`).

The walk used to skip a link to /dev/zero, a FIFO and a dangling link silently and to read a link out of
the tree; named explicitly, the first three were findings and the last was read too. Each file outside
the tree here is invalid YAML: had it been read, the finding would be YAML-001, not YAML-005.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_gitutil import Repo

from linter.cli import main
from linter.fence import fence_for, refusal

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: apps\ndata: {{a: b}}\n"
OUTSIDE = "not: [valid yaml\n"


def _make(kind: str, link: Path, outside: Path) -> None:
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.yaml").write_text(OUTSIDE)
    if kind == "fifo":
        os.mkfifo(link)
    elif kind == "device":
        link.symlink_to("/dev/zero")
    elif kind == "dangling":
        link.symlink_to(link.parent / "gone.yaml")
    elif kind == "outside-absolute":
        link.symlink_to(outside / "secret.yaml")
    elif kind == "outside-relative":
        link.symlink_to(os.path.relpath(outside / "secret.yaml", link.parent))


def _check(capsys: pytest.CaptureFixture[str], *paths: str) -> tuple[int, list[tuple[str, str, int]]]:
    code = main(["check", "--no-render", "--no-bundled-policies", "--format", "json", *paths])
    findings = json.loads(capsys.readouterr().out)["findings"]
    return code, sorted((f["rule_id"], f["file"], f["line"]) for f in findings)


KINDS = ["fifo", "device", "dangling", "outside-absolute", "outside-relative"]


@pytest.mark.parametrize("kind", KINDS)
def test_same_finding_walked_or_named(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # the repository's top: the fence
    (repo / "apps").mkdir()
    (repo / "apps" / "ok.yaml").write_text(CM.format(name="ok"))
    _make(kind, repo / "apps" / "odd.yaml", tmp_path / "outside")
    monkeypatch.chdir(repo)
    walked = _check(capsys, "apps")
    named = _check(capsys, "apps/odd.yaml", "apps/ok.yaml")
    assert walked == named == (1, [("YAML-005", "apps/odd.yaml", 1)])


def test_links_inside_the_repository_are_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "base").mkdir()
    (repo / "base" / "cm.yaml").write_text(CM.format(name="shared") + "extra: 1\n")
    (repo / "apps").mkdir()
    (repo / "apps" / "cm.yaml").symlink_to("../base/cm.yaml")
    monkeypatch.chdir(repo / "apps")  # the cwd is below the link's target: the fence is the repository
    code, found = _check(capsys, ".")
    assert code == 1 and found == [("SCHEMA-001", "cm.yaml", 7)]


def test_directory_links_are_not_followed_by_the_walk(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "bad.yaml").write_text(OUTSIDE)
    (repo / "ext.yaml").symlink_to(tmp_path / "outside")  # a directory link with a manifest suffix
    (repo / "ok.yaml").write_text(CM.format(name="ok"))
    monkeypatch.chdir(repo)
    assert _check(capsys, ".") == (0, [])


def test_fence_is_the_repository_top(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "a" / "b").mkdir(parents=True)
    assert fence_for(repo / "a" / "b", tmp_path) == repo.resolve()
    plain = tmp_path / "plain"
    (plain / "x").mkdir(parents=True)
    assert fence_for(plain / "x", plain) == plain.resolve()  # no git: the cwd holding the config root
    assert fence_for(plain / "x", tmp_path / "repo") == (plain / "x").resolve()
    (plain / "x" / "l.yaml").symlink_to(repo / "a")
    assert refusal(plain / "x" / "l.yaml", plain) != ""
    assert refusal(plain / "x" / "l.yaml", None) == ""


@pytest.mark.parametrize("target", ["absolute", "relative", "dangling"])
def test_ci_never_judges_a_file_outside_the_repository(tmp_path: Path, target: str,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A PR that commits `apps/x.yaml -> <outside>` used to have the outside file judged as its own."""
    outside = tmp_path / "outside"
    outside.mkdir()
    # Outside the repository: a manifest that would pass, so only a refusal makes the gate red.
    (outside / "x.yaml").write_text(CM.format(name="outside"))
    repo = Repo(tmp_path / "fleet")
    repo.commit({".kubegate.yaml": "policies: {bundled: false}\n", "apps/ok.yaml": CM.format(name="ok")})
    repo.branch("pr")
    link = repo.root / "apps" / "x.yaml"
    link.symlink_to({"absolute": str(outside / "x.yaml"), "relative": "../../outside/x.yaml",
                     "dangling": "../nothing.yaml"}[target])
    repo.commit({})
    monkeypatch.chdir(repo.root)
    code = main(["ci", "--base", "main", "--format", "json", "--no-render"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1
    assert [(f["rule_id"], f["file"], f["line"]) for f in findings] == [("YAML-005", "apps/x.yaml", 1)]
    assert all("outside" not in f["name"] for f in findings)


def test_ci_head_export_refuses_links_out_of_the_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`--head REF` exports the tree with git archive; a link in it must not reach the host either."""
    repo = Repo(tmp_path / "fleet")
    repo.commit({".kubegate.yaml": "policies: {bundled: false}\n", "apps/ok.yaml": CM.format(name="ok")})
    repo.branch("pr")
    (repo.root / "apps" / "x.yaml").symlink_to("/etc/hostname")
    head = repo.commit({})
    repo.git("checkout", "-q", "main")
    monkeypatch.chdir(repo.root)
    code = main(["ci", "--base", "main", "--head", head, "--format", "json", "--no-render"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1 and [(f["rule_id"], f["file"]) for f in findings] == [("YAML-005", "apps/x.yaml")]
