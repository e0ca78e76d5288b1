from __future__ import annotations

from pathlib import Path

import pytest

from linter.discover import discover
from tests.conftest import write


def _found(tmp_path: Path, paths: list[str], exclude: tuple[str, ...] = ()) -> list[str]:
    return [t.display for t in discover(paths, tmp_path, tmp_path, exclude)]


def test_recursive_manifest_suffixes_sorted(tmp_path: Path) -> None:
    for rel in ("b/x.yaml", "a/y.yml", "a/z.json", "a/readme.md", "c.YAML"):
        write(tmp_path, rel, "a: 1\n")
    assert _found(tmp_path, ["."]) == ["a/y.yml", "a/z.json", "b/x.yaml", "c.YAML"]


def test_skips_vcs_and_honours_nested_gitignore(tmp_path: Path) -> None:
    write(tmp_path, ".git/config.yaml", "a: 1\n")
    write(tmp_path, ".gitignore", "rendered/\n")
    write(tmp_path, "rendered/out.yaml", "a: 1\n")
    write(tmp_path, "apps/.gitignore", "*.local.yaml\n")
    write(tmp_path, "apps/dev.local.yaml", "a: 1\n")
    write(tmp_path, "apps/app.yaml", "a: 1\n")
    write(tmp_path, "other/dev.local.yaml", "a: 1\n")
    assert _found(tmp_path, ["."]) == ["apps/app.yaml", "other/dev.local.yaml"]


def test_exclude_applies_to_explicit_files_too(tmp_path: Path) -> None:
    write(tmp_path, "charts/x/templates/d.yaml", "a: 1\n")
    write(tmp_path, "apps/a.yaml", "a: 1\n")
    assert _found(tmp_path, ["charts/x/templates/d.yaml", "apps/a.yaml"], ("templates/",)) == ["apps/a.yaml"]
    assert _found(tmp_path, ["."], ("templates/",)) == ["apps/a.yaml"]


def test_explicit_file_with_other_suffix_is_checked_and_deduplicated(tmp_path: Path) -> None:
    write(tmp_path, "manifest.txt", "a: 1\n")
    write(tmp_path, "a.yaml", "a: 1\n")
    assert _found(tmp_path, ["manifest.txt", "a.yaml", "."]) == ["manifest.txt", "a.yaml"]


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _found(tmp_path, ["nope.yaml"])


def test_display_paths_outside_the_cwd_and_through_links(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    write(repo, "apps/app.yaml", "a: 1\n")
    write(outside, "plain.yaml", "a: 1\n")
    write(tmp_path / "elsewhere", "far.yaml", "a: 1\n")
    (outside / "into-repo.yaml").symlink_to(repo / "apps" / "app.yaml")
    (outside / "far.yaml").symlink_to(tmp_path / "elsewhere" / "far.yaml")
    shown = {t.path.name: t.display for t in discover([str(outside)], repo, outside, ())}
    assert shown == {
        "plain.yaml": (outside / "plain.yaml").as_posix(),  # outside the cwd: as given
        "into-repo.yaml": "apps/app.yaml",  # a link into the cwd: relative to it
        "far.yaml": (outside / "far.yaml").as_posix(),  # a link elsewhere: as given
    }
