"""Which files to check: explicit files as given, directories walked recursively.

`.git` and other VCS folders are skipped, and so are Helm chart directories (a `Chart.yaml`: their
templates are checked through the HelmReleases that render them); `.gitignore` files (nested ones too)
are honoured, and the configured `exclude` patterns (gitignore syntax, relative to the config root)
apply to explicit files as well, so a pre-commit hook and a full run agree on what is excluded. Every
entry with a manifest suffix that is not a directory is yielded, FIFOs, devices and symbolic links
included: whether it may be read is the loader's decision (linter.fence), the same whichever way the
file was reached.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox", ".terraform"})


@dataclass(frozen=True)
class Target:
    path: Path  # absolute
    display: str  # relative to cwd, forward slashes


def _is_dir_link(entry: os.DirEntry[str]) -> bool:
    """Directory links are not followed by the walk (a loop, or a tree outside the repository)."""
    try:
        return entry.is_symlink() and entry.is_dir()
    except OSError:
        return False


def display_path(path: Path, cwd: Path) -> str:
    """`path` relative to `cwd` when it is inside it (both as resolved by the caller), else as given."""
    text, base = path.as_posix(), cwd.as_posix().rstrip("/") + "/"
    if text.startswith(base):
        return text[len(base):]
    try:
        return path.resolve().relative_to(_resolved(cwd)).as_posix()
    except ValueError:
        return text


def _lexical(path: Path, cwd: Path) -> str:
    text, base = path.as_posix(), cwd.as_posix().rstrip("/") + "/"
    return text[len(base):] if text.startswith(base) else text


@functools.lru_cache(maxsize=8)
def _resolved(cwd: Path) -> Path:
    """A tree outside the cwd takes the slow path above for every file: resolve the cwd once."""
    return cwd.resolve()


class _Ignore:
    """gitignore-style matching, one spec per directory that has patterns."""

    def __init__(self, root: Path, patterns: Sequence[str]) -> None:
        self._specs: list[tuple[Path, Any]] = []
        if patterns:
            self.add(root, patterns)

    def add(self, base: Path, patterns: Iterable[str]) -> None:
        import pathspec

        lines = [p for p in patterns if p.strip() and not p.lstrip().startswith("#")]
        if lines:
            self._specs.append((base, pathspec.GitIgnoreSpec.from_lines(lines)))

    def add_gitignore(self, directory: Path) -> None:
        gitignore = directory / ".gitignore"
        if gitignore.is_file():
            try:
                self.add(directory, gitignore.read_text(encoding="utf-8", errors="replace").splitlines())
            except OSError:
                pass

    def matches(self, path: Path, is_dir: bool) -> bool:
        for base, spec in self._specs:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + "/" if is_dir else rel):
                return True
        return False

    def copy(self) -> _Ignore:
        clone = _Ignore.__new__(_Ignore)
        clone._specs = list(self._specs)
        return clone


def discover(paths: Sequence[str], cwd: Path, root: Path, exclude: Sequence[str]) -> Iterator[Target]:
    """Yield each file to check once, in a stable order. Raises FileNotFoundError for a missing path."""
    seen: set[Path] = set()
    cwd = cwd.resolve()
    ignore = _Ignore(root.resolve(), exclude)
    for raw in paths:
        path = _explicit(cwd / raw)
        if not os.path.lexists(path):
            raise FileNotFoundError(raw)
        if path.is_dir():
            found: Iterable[Path] = _walk(path.resolve(), ignore.copy())
        else:
            found = [] if ignore.matches(path, False) else [path]
        for file in found:
            if file not in seen:
                seen.add(file)
                # Every path here is resolved up to its last component (the top was resolved and the
                # walk does not follow directory links): only a symlinked file needs resolving again.
                yield Target(file, display_path(file, cwd) if file.is_symlink() else _lexical(file, cwd))


def _explicit(path: Path) -> Path:
    """`path` with its directories resolved but not its last component: a named file that is a
    symbolic link stays a link, so the loader applies the same fence to it as to a link the walk finds."""
    if path.name in ("", ".", ".."):
        return path.resolve()
    return path.parent.resolve() / path.name


def _walk(top: Path, ignore: _Ignore) -> Iterator[Path]:
    ignore.add_gitignore(top)
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if entry.name in SKIP_DIRS or ignore.matches(path, True) or (path / "Chart.yaml").is_file():
                continue  # a Helm chart's source (Go templates, not manifests): checked through its render
            yield from _walk(path, ignore.copy())
        elif (path.suffix.lower() in MANIFEST_SUFFIXES and not _is_dir_link(entry)
              and not ignore.matches(path, False)):
            # Not only regular files: a FIFO, a device, a dangling link or a link out of the tree is
            # yielded too, and the loader refuses it with a finding, as when it is named explicitly.
            yield path
