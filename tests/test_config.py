from __future__ import annotations

from pathlib import Path

import pytest

from linter.config import find_config, load_config, parse_config_text
from linter.models import ConfigError, Severity
from tests.conftest import write


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(None, tmp_path)
    assert config.path is None
    assert config.strict is True
    assert config.fail_level is Severity.ERROR
    assert config.schema_locations == ("default",)


def test_found_by_walking_up_and_paths_relative_to_it(tmp_path: Path) -> None:
    write(tmp_path, ".kubegate.yaml", "crds: [crds/]\npolicies:\n  dirs: [policy]\nfail_level: warning\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    config = load_config(None, deep)
    assert config.path == tmp_path / ".kubegate.yaml"
    assert config.crds == ((tmp_path / "crds").resolve(),)
    assert config.policy_dirs == ((tmp_path / "policy").resolve(),)
    assert config.fail_level is Severity.WARNING


def test_walk_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path, ".kubegate.yaml", "strict: false\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert find_config(tmp_path / "repo") is None


def test_pyproject_table(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n\n[tool.kubegate]\nstrict = false\nignore = ["IMG-004"]\n')
    config = load_config(None, tmp_path)
    assert config.strict is False
    assert config.ignore == ("IMG-004",)


def test_pyproject_without_table_is_not_a_config(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("strictt: true\n", "(top level): unknown key strictt"),
        ("strict: yes-please\n", "strict: expected boolean"),
        ("fail_level: fatal\n", 'fail_level: must be one of "error", "warning", "info"'),
        ("policies:\n  dirz: [x]\n", "policies: unknown key dirz"),
        ("severity:\n  IMG-004: loud\n", "severity.IMG-004: must be one of"),
        ("exempt:\n  RBAC-002:\n    namespace: [a]\n", "exempt.RBAC-002: unknown key namespace"),
        ("limits:\n  max_depth: 0\n", "limits.max_depth"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("a: [\n", "YAML syntax error"),
    ],
)
def test_invalid_config_names_the_key(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config_text(text, ".kubegate.yaml")
    assert "invalid config" in str(info.value)
    assert needle in str(info.value)


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml", tmp_path)


def test_empty_file_is_defaults() -> None:
    assert parse_config_text("", "x.yaml").strict is True
