"""Configuration: `.kubegate.yaml` (or `[tool.kubegate]` in pyproject.toml), validated declaratively.

The file is found by walking up from the checked path. Every key is declared once, in
`schemas/config/kubegate.schema.json`; the sections owned by other stages (`policies.params`, `ci`,
`flux`) have their own schema files beside it. Any violation is `invalid config: <key>: <why>` (exit 2).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from linter.models import ConfigError, Severity
from linter.resources import bundled_dir

CONFIG_NAMES = (".kubegate.yaml", ".kubegate.yml")
# Sections validated by their own schema file: config key path -> schema file name.
SECTION_SCHEMAS = {("policies", "params"): "params", ("ci",): "ci", ("flux",): "flux", ("helm",): "helm"}


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    kubernetes_version: str | None = None
    strict: bool = True
    require_schemas: bool = False
    schema_locations: tuple[str, ...] = ("default",)
    schema_backend: str = "builtin"
    crds: tuple[Path, ...] = ()
    policy_dirs: tuple[Path, ...] = ()
    bundled_policies: bool = True
    policy_namespaces: tuple[str, ...] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    exempt: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fail_level: Severity = Severity.ERROR
    exclude: tuple[str, ...] = ()
    engine: str = "regorus"
    opa_url: str | None = None
    limits: Mapping[str, int] = field(default_factory=dict)
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # docs/policies.md "Tenancy profiles": single (the default) leaves multi-tenancy lockdown rules
    # off; multi turns them on everywhere; a tenant list, in those namespaces only.
    # Seconds user (not bundled) Rego rules may take per run before they are stopped (ENGINE-001, exit 3).
    policy_budget: float = 10.0
    tenancy: str = "single"
    tenants: tuple[str, ...] = ()

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, {})


def find_config(start: Path) -> Path | None:
    """The nearest `.kubegate.yaml`, or pyproject.toml with [tool.kubegate], at or above `start`."""
    # A named file's own directory, not its link target's: a link out of the repository must not
    # pull in the configuration (or the fence, linter.fence) of wherever it points.
    here = start.resolve() if start.is_dir() else start.parent.resolve()
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "[tool.kubegate" in _read_text(pyproject):
            return pyproject
        if (directory / ".git").exists():
            break  # never pick up a config from outside the repository being checked
    return None


def repository_root(here: Path) -> Path:
    """The Git work tree holding `here` (Flux paths are relative to it), else `here` itself."""
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return here


def load_config(explicit: Path | None, start: Path) -> Config:
    path = explicit or find_config(start)
    if path is None:
        return Config(root=repository_root(start.resolve() if start.is_dir() else start.parent.resolve()))
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    return parse_config_text(_read_text(path), str(path), root=path.resolve().parent,
                             is_pyproject=path.name == "pyproject.toml")


def parse_config_text(text: str, source: str, *, root: Path | None = None,
                      is_pyproject: bool = False) -> Config:
    raw = _parse_pyproject(text, source) if is_pyproject else _parse_yaml(text, source)
    _validate(raw, source)
    base = root or Path.cwd()
    return _build(raw, Path(source), base)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc.__class__.__name__}", str(path)) from None


def _parse_yaml(text: str, source: str) -> dict[str, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        raise ConfigError(f"invalid config: YAML syntax error: {exc.problem}", source, line) from None
    except YAMLError as exc:
        raise ConfigError(f"invalid config: {exc.__class__.__name__}", source) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("invalid config: the top level must be a mapping", source)
    return data


def _parse_pyproject(text: str, source: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid config: TOML syntax error: {exc}", source) from None
    section = data.get("tool", {}).get("kubegate", {})
    if not isinstance(section, dict):
        raise ConfigError("invalid config: [tool.kubegate] must be a table", source)
    return section


@cache
def _schema(name: str) -> Any:
    import jsonschema_rs

    path = bundled_dir("schemas") / "config" / f"{name}.schema.json"
    if not path.is_file():
        return None
    return jsonschema_rs.validator_for(json.loads(path.read_text(encoding="utf-8")))


def _validate(raw: Mapping[str, Any], source: str) -> None:
    _check(_schema("kubegate"), raw, (), source)
    for keys, name in SECTION_SCHEMAS.items():
        value: Any = raw
        for k in keys:
            value = value.get(k) if isinstance(value, dict) else None
        if value is not None:
            _check(_schema(name), value, keys, source)


def _check(validator: Any, value: Any, prefix: tuple[str, ...], source: str) -> None:
    if validator is None:
        return
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.instance_path])
    if errors:
        err = errors[0]
        where = ".".join([*prefix, *(str(p) for p in err.instance_path)]) or "(top level)"
        raise ConfigError(f"invalid config: {where}: {_describe(err)}", source)


def _describe(err: Any) -> str:
    kind = type(err.kind).__name__
    if kind == "AdditionalProperties":
        unexpected = ", ".join(sorted(err.kind.unexpected))
        return f"unknown key {unexpected}"
    if kind == "Type":
        return f"expected {' or '.join(str(t) for t in err.kind.types)}"
    if kind == "Enum":
        return "must be one of " + ", ".join(json.dumps(o) for o in err.kind.options)
    if kind == "Required":
        return f"missing required key {err.kind.property}"
    return str(err.message)


def _paths(values: Any, base: Path) -> tuple[Path, ...]:
    return tuple((base / v).resolve() for v in values or ())


def _build(raw: Mapping[str, Any], path: Path, root: Path) -> Config:
    policies = raw.get("policies", {})
    namespaces = policies.get("namespaces")
    return Config(
        path=path,
        root=root,
        kubernetes_version=raw.get("kubernetes_version"),
        strict=raw.get("strict", True),
        require_schemas=raw.get("require_schemas", False),
        schema_locations=tuple(raw.get("schema_locations", ("default",))),
        schema_backend=raw.get("schema_backend", "builtin"),
        crds=_paths(raw.get("crds"), root),
        policy_dirs=_paths(policies.get("dirs"), root),
        bundled_policies=policies.get("bundled", True),
        policy_namespaces=tuple(namespaces) if namespaces is not None else None,
        params=policies.get("params", {}),
        policy_budget=float(policies.get("budget_seconds", 10.0)),
        select=tuple(raw.get("select", ())),
        ignore=tuple(raw.get("ignore", ())),
        severity=dict(raw.get("severity", {})),
        exempt={k: {kk: tuple(vv) for kk, vv in v.items()} for k, v in raw.get("exempt", {}).items()},
        per_file_ignores={k: tuple(v) for k, v in raw.get("per_file_ignores", {}).items()},
        fail_level=Severity.parse(raw.get("fail_level", "error")),
        exclude=tuple(raw.get("exclude", ())),
        engine=raw.get("engine", "regorus"),
        opa_url=raw.get("opa_url"),
        limits=dict(raw.get("limits", {})),
        sections={name: raw[name] for name in ("ci", "flux", "helm") if name in raw},
        **_tenancy(raw.get("tenancy", "single")),
    )


def _tenancy(value: Any) -> dict[str, Any]:
    """`tenancy: single | multi | [ns, ...] | {tenants: [ns, ...]}` (validated by the schema)."""
    if isinstance(value, dict):
        value = value.get("tenants", [])
    if isinstance(value, list):
        return {"tenancy": "multi", "tenants": tuple(str(v) for v in value)}
    return {"tenancy": str(value), "tenants": ()}
