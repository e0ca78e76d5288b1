"""linter.gitutil against real git repositories made in tmp_path.

`Repo` is also used by the other ci test modules (test_changes, test_authority, test_ci_e2e).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from linter import gitutil
from linter.models import ConfigError

HUMAN = ("Ada Human", "ada@example.com")
BOT = ("renovate[bot]", "bot@renovateapp.com")


class Repo:
    """A throwaway git repository with deterministic, unsigned commits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        for key, value in (("user.name", HUMAN[0]), ("user.email", HUMAN[1]), ("commit.gpgsign", "false"),
                           ("core.autocrlf", "false")):
            self.git("config", key, value)

    def git(self, *args: str, who: tuple[str, str] = HUMAN) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1],
               "GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1],
               "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        proc = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True,
                              check=True)
        return proc.stdout.strip()

    def write(self, files: dict[str, str | bytes | None]) -> None:
        for rel, content in files.items():
            path = self.root / rel
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")

    def commit(self, files: dict[str, str | bytes | None], message: str = "change",
               who: tuple[str, str] = HUMAN) -> str:
        self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, who=who)
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def test_changed_files_statuses(repo: Repo) -> None:
    body = "".join(f"line {i}\n" for i in range(40))
    repo.commit({"keep.yaml": "a: 1\n", "edit.yaml": "a: 1\n", "gone.yaml": "a: 1\n", "old/name.yaml": body})
    repo.branch("pr")
    repo.commit({"edit.yaml": "a: 2\n", "gone.yaml": None, "new.yaml": "b: 1\n",
                 "old/name.yaml": None, "moved/name.yaml": body + "extra\n"})
    assert gitutil.changed_files(repo.root, "main", "pr") == [
        gitutil.ChangedFile("modified", "edit.yaml", "edit.yaml"),
        gitutil.ChangedFile("deleted", "gone.yaml", "gone.yaml"),
        gitutil.ChangedFile("renamed", "moved/name.yaml", "old/name.yaml"),
        gitutil.ChangedFile("added", "new.yaml", ""),
    ]


def test_paths_with_spaces_and_unicode(repo: Repo) -> None:
    repo.commit({"a.yaml": "x: 1\n"})
    repo.branch("pr")
    repo.commit({"dir with space/ünï cödé.yaml": "x: 1\n"})
    [changed] = gitutil.changed_files(repo.root, "main", "pr")
    assert changed.path == "dir with space/ünï cödé.yaml"
    assert gitutil.show(repo.root, "pr", changed.path) == b"x: 1\n"


def test_merge_base_is_the_fork_point(repo: Repo) -> None:
    fork = repo.commit({"a.yaml": "x: 1\n"})
    repo.branch("pr")
    repo.commit({"a.yaml": "x: 2\n"})
    repo.git("checkout", "-q", "main")
    repo.commit({"b.yaml": "y: 1\n"})  # main moved on after the fork
    assert gitutil.merge_base(repo.root, "main", "pr") == fork
    # Only the PR's own change, not main's later commit, is in the change set.
    assert [c.path for c in gitutil.changed_files(repo.root, fork, "pr")] == ["a.yaml"]


def test_show_is_binary_safe_and_none_when_absent(repo: Repo) -> None:
    blob = bytes(range(256)) + b"\r\n\x00end"
    repo.commit({"bin.dat": blob})
    assert gitutil.show(repo.root, "HEAD", "bin.dat") == blob
    assert gitutil.show(repo.root, "HEAD", "missing.yaml") is None


def test_identities_of_the_range(repo: Repo) -> None:
    repo.commit({"a.yaml": "x: 1\n"})
    repo.branch("pr")
    bot_commit = repo.commit({"a.yaml": "x: 2\n"}, who=BOT)
    human_commit = repo.commit({"a.yaml": "x: 3\n"})
    found = {(i.commit, i.author_email, i.committer_email)
             for i in gitutil.identities(repo.root, "main", "pr")}
    assert found == {(bot_commit, BOT[1], BOT[1]), (human_commit, HUMAN[1], HUMAN[1])}


def test_list_and_export(repo: Repo, tmp_path: Path) -> None:
    repo.commit({"policies/a.rego": "package a\n", "policies/sub/b.rego": "package b\n", "x.yaml": "a: 1\n"})
    assert gitutil.list_files(repo.root, "HEAD", "policies") == ["policies/a.rego", "policies/sub/b.rego"]
    dest = tmp_path / "export"
    assert gitutil.export_files(repo.root, "HEAD", ["policies/a.rego", "nope"], dest) == ["policies/a.rego"]
    assert (dest / "policies/a.rego").read_text() == "package a\n"
    tree = tmp_path / "tree"
    gitutil.export_tree(repo.root, "HEAD", tree)
    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()) == [
        "policies/a.rego", "policies/sub/b.rego", "x.yaml"]


@pytest.mark.parametrize(("ref", "needle"), [
    ("origin/main", "git fetch origin main"),
    ("no-such-branch", "git fetch origin no-such-branch"),
    ("--upload-pack=evil", "invalid git ref"),
])
def test_unknown_ref_says_how_to_fetch(repo: Repo, ref: str, needle: str) -> None:
    repo.commit({"a.yaml": "x: 1\n"})
    with pytest.raises(ConfigError, match=needle):
        gitutil.merge_base(repo.root, ref, "HEAD")


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # never find a repository above tmp_path
    with pytest.raises(ConfigError, match="not a git repository"):
        gitutil.repo_root(plain)


def test_shallow_clone_without_merge_base_says_fetch_depth(repo: Repo, tmp_path: Path) -> None:
    repo.commit({"a.yaml": "x: 1\n"})
    repo.commit({"a.yaml": "x: 2\n"})
    repo.branch("pr")
    repo.commit({"a.yaml": "x: 3\n"})
    repo.git("checkout", "-q", "main")
    repo.commit({"b.yaml": "y: 1\n"})
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo.root}",
                    str(clone)], check=True, capture_output=True)
    assert gitutil.is_shallow(clone)
    with pytest.raises(ConfigError, match="fetch-depth: 0"):
        gitutil.merge_base(clone, "origin/main", "origin/pr")
