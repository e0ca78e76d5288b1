"""Git plumbing for `kubegate ci`: plain `git` subprocesses, read-only, no GitPython.

Every function takes the repository's top-level directory. Failures a user can fix (not a repository,
an unknown ref, a shallow clone without the merge base) are `ConfigError`s that say how to fix them;
anything else git refuses is an `EngineError` (the gate cannot give a trustworthy answer).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter.models import ConfigError, EngineError

# git diff --name-status letters -> our words. Copies (C) only appear with -C, which we never pass.
_STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "T": "modified"}
# Keep git deterministic and quiet whatever the user's global configuration says.
_ENV_OVERRIDES = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True)
class ChangedFile:
    status: str  # added | modified | deleted | renamed
    path: str  # path at head (for deleted files: the path at base)
    old_path: str  # path at base ("" for added files)


@dataclass(frozen=True)
class Identity:
    """Who made a commit: author and committer, as recorded (emails are not authenticated)."""

    commit: str
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str


def _git(root: Path, args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, **_ENV_OVERRIDES}
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise ConfigError("git is not installed or not on PATH (kubegate ci needs it)") from None
    if check and proc.returncode != 0:
        raise EngineError(f"git {args[0]} failed: {_first_line(proc.stderr)}")
    return proc


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "no error message"


def repo_root(start: Path) -> Path:
    """The top-level directory of the work tree containing `start`."""
    where = start if start.is_dir() else start.parent
    proc = _git(where, ["rev-parse", "--show-toplevel"], check=False) if where.is_dir() else None
    if proc is None or proc.returncode != 0:
        raise ConfigError(f"not a git repository: {start} (kubegate ci compares git refs; run it inside "
                          "a clone, or use `kubegate check` for plain files)")
    return Path(proc.stdout.decode().strip()).resolve()


def is_shallow(root: Path) -> bool:
    proc = _git(root, ["rev-parse", "--is-shallow-repository"])
    return proc.stdout.strip() == b"true"


def resolve_ref(root: Path, ref: str) -> str:
    """The commit id `ref` names; a ConfigError that says how to fetch it when it is unknown."""
    if not ref or ref.startswith("-"):
        raise ConfigError(f"invalid git ref {ref!r}")
    proc = _git(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                check=False)
    if proc.returncode != 0:
        branch = ref.split("/", 1)[1] if ref.startswith("origin/") else ref
        raise ConfigError(f"unknown git ref {ref!r}: fetch the base branch: git fetch origin {branch} "
                          "(in CI, check out with full history, e.g. actions/checkout `fetch-depth: 0`)")
    return proc.stdout.decode().strip()


def merge_base(root: Path, base: str, head: str) -> str:
    """The commit the change was branched from; what `kubegate ci` trusts."""
    base_id, head_id = resolve_ref(root, base), resolve_ref(root, head)
    proc = _git(root, ["merge-base", base_id, head_id], check=False)
    if proc.returncode == 0:
        return proc.stdout.decode().strip()
    if is_shallow(root):
        raise ConfigError(f"no merge base of {base} and {head} in this shallow clone: fetch full history "
                          "(actions/checkout `fetch-depth: 0`, or `git fetch --unshallow`)")
    raise ConfigError(f"{base} and {head} have no common history (no merge base)")


def changed_files(root: Path, base: str, head: str) -> list[ChangedFile]:
    """Files that differ between two commits, renames detected (-M), sorted by path."""
    proc = _git(root, ["diff", "--name-status", "-z", "-M", "--no-ext-diff", "--no-textconv",
                       base, head, "--"])
    fields = proc.stdout.split(b"\0")
    out: list[ChangedFile] = []
    i = 0
    while i < len(fields) and fields[i]:
        letter = fields[i].decode()[:1]
        if letter in ("R", "C"):
            old, new = fields[i + 1].decode(), fields[i + 2].decode()
            renamed = letter == "R"
            out.append(ChangedFile("renamed" if renamed else "added", new, old if renamed else ""))
            i += 3
            continue
        path = fields[i + 1].decode()
        status = _STATUS.get(letter, "modified")
        out.append(ChangedFile(status, path, "" if status == "added" else path))
        i += 2
    return sorted(out, key=lambda c: c.path)


def show(root: Path, ref: str, path: str) -> bytes | None:
    """The bytes of `path` at `ref` (binary-safe), or None when it does not exist there."""
    proc = _git(root, ["cat-file", "blob", f"{ref}:{path}"], check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout


def list_files(root: Path, ref: str, prefix: str = "") -> list[str]:
    """Every file path at `ref` under the directory `prefix` ("" for all)."""
    args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", ref, "--"]
    if prefix:
        args.append(prefix.rstrip("/") + "/")
    proc = _git(root, args)
    return [p.decode() for p in proc.stdout.split(b"\0") if p]


def identities(root: Path, base: str, head: str) -> list[Identity]:
    """Author and committer of every commit in base..head (merge commits included)."""
    fmt = "%H%x00%an%x00%ae%x00%cn%x00%ce%x00"
    proc = _git(root, ["log", f"--format={fmt}", f"{base}..{head}", "--"])
    fields = proc.stdout.decode("utf-8", "replace").split("\0")
    out = []
    for i in range(0, len(fields) - 5, 5):
        commit, an, ae, cn, ce = (f.strip() for f in fields[i:i + 5])
        out.append(Identity(commit, an, ae, cn, ce))
    return out


def export_files(root: Path, ref: str, paths: Sequence[str], dest: Path) -> list[str]:
    """Write each of `paths` as it is at `ref` under `dest` (same relative layout); return those found."""
    written = []
    for rel in paths:
        data = show(root, ref, rel)
        if data is None:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(rel)
    return written


def export_tree(root: Path, ref: str, dest: Path) -> None:
    """The whole tree at `ref` under `dest` (git archive | tar), for checking a head that is not HEAD."""
    import io
    import tarfile

    proc = _git(root, ["archive", "--format=tar", ref])
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter=_data_keeping_links)
        else:  # pragma: no cover - Python < 3.10.12 has no extraction filters; git archive is trusted
            tar.extractall(dest)


def _data_keeping_links(member: Any, path: str) -> Any:
    """tarfile's "data" filter, except that a symbolic link out of the tree is kept as the commit wrote
    it (the data filter raised, a PR could end the gate in exit 3): the loader refuses to follow it
    (linter.fence) and reports it, as for a link in the work tree."""
    import tarfile

    try:
        return tarfile.data_filter(member, path)
    except tarfile.FilterError:
        if member.issym():
            return tarfile.tar_filter(member, path)
        raise
