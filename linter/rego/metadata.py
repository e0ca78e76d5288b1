"""OPA `# METADATA` annotations: YAML in comments, read the way OPA, conftest and Gatekeeper read them.

A block is a `# METADATA` comment line followed by comment lines holding YAML. It annotates what follows
it: the `package` line (package scope) or a rule (rule scope); an explicit `scope:` key wins. Only the
fields kubegate uses are interpreted: title, description, related_resources and custom.{id, name,
severity, remediation, kinds}.

`custom.kinds` lists the kinds a rule can report on (a kind name, or a group such as `@pods`). It
documents the rule and lets kubegate skip calling it for other documents; the rule must still check
the kind itself, so that OPA, conftest and Gatekeeper, which ignore `custom`, give the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linter.models import ConfigError, Severity

_METADATA = re.compile(r"^\s*#\s*METADATA\s*$")
_COMMENT = re.compile(r"^\s*#")
_PACKAGE = re.compile(r"^\s*package\s")
_RULE = re.compile(r"^\s*(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)")
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SCOPES = ("package", "subpackages", "rule", "document")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
# Kinds that carry a pod spec (lib.k8s.pod_spec_path); a test pins this to the Rego library.
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "@pods": ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
              "CronJob", "PodTemplate"),
}


@dataclass(frozen=True)
class Annotation:
    scope: str  # package | subpackages | rule | document
    line: int  # 1-based line of the `# METADATA` comment
    rule: str = ""  # the annotated rule's name, for rule and document scope
    title: str = ""
    description: str = ""
    related: tuple[str, ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_id(self) -> str:
        return str(self.custom.get("id", ""))

    @property
    def severity(self) -> Severity | None:
        value = self.custom.get("severity")
        return Severity(value) if value else None

    @property
    def remediation(self) -> str:
        return str(self.custom.get("remediation", ""))

    @property
    def name(self) -> str:
        return str(self.custom.get("name", ""))

    @property
    def kinds(self) -> tuple[str, ...] | None:
        """The kinds the rule applies to, groups expanded; None: every kind."""
        value = self.custom.get("kinds")
        return expand_kinds(value) if value is not None else None


def expand_kinds(names: list[str]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for name in names:
        out.update(dict.fromkeys(KIND_GROUPS.get(name, (name,))))
    return tuple(out)


def parse_annotations(filename: str, source: str) -> list[Annotation]:
    """Every METADATA block of one module, in source order; ConfigError (file, line) if malformed."""
    lines = source.splitlines()
    found: list[Annotation] = []
    i = 0
    while i < len(lines):
        if not _METADATA.match(lines[i]):
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and _COMMENT.match(lines[i]) and not _METADATA.match(lines[i]):
            body.append(_uncomment(lines[i]))
            i += 1
        target = lines[i] if i < len(lines) else ""
        found.append(_annotation(filename, start + 1, "\n".join(body), target))
    return found


def _uncomment(line: str) -> str:
    text = line.lstrip()[1:]
    return text.removeprefix(" ")


def _annotation(filename: str, line: int, text: str, target: str) -> Annotation:
    data = _load_yaml(filename, line, text)
    rule_match = _RULE.match(target)
    default_scope = "package" if _PACKAGE.match(target) else "rule"
    scope = str(data.get("scope", default_scope))
    if scope not in _SCOPES:
        raise ConfigError(f"METADATA scope {scope!r} is not one of {', '.join(_SCOPES)}", filename, line)
    rule = rule_match.group(1) if rule_match and scope in ("rule", "document") else ""
    if scope in ("rule", "document") and (not rule or rule == "package"):
        raise ConfigError("METADATA block with rule scope is not followed by a rule", filename, line)
    custom = data.get("custom") or {}
    if not isinstance(custom, dict):
        raise ConfigError("METADATA `custom` must be a mapping", filename, line)
    _check_custom(filename, line, custom)
    return Annotation(
        scope=scope,
        line=line,
        rule=rule,
        title=_text(filename, line, data, "title"),
        description=_text(filename, line, data, "description"),
        related=_related(filename, line, data.get("related_resources")),
        custom=dict(custom),
    )


def _error_offset(text: str) -> int:
    """Line offset of a YAML error; the pure loader's mark is exact, libyaml's points past it."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return mark.line + 1 if mark is not None else 0
    return 0


def _load_yaml(filename: str, line: int, text: str) -> dict[str, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(text)  # the C loader: ~7x faster, and METADATA is plain YAML
    except YAMLError:
        raise ConfigError("METADATA block is not valid YAML", filename, line + _error_offset(text)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("METADATA block must be a YAML mapping", filename, line)
    return data


def _text(filename: str, line: int, data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"METADATA `{key}` must be a string", filename, line)
    return value.strip()


def _related(filename: str, line: int, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError("METADATA `related_resources` must be a list", filename, line)
    refs: list[str] = []
    for item in value:
        ref = item.get("ref") if isinstance(item, dict) else item
        if not isinstance(ref, str):
            raise ConfigError("METADATA `related_resources` entries need a string `ref`", filename, line)
        refs.append(ref)
    return tuple(refs)


def _check_custom(filename: str, line: int, custom: dict[str, Any]) -> None:
    for key in ("id", "name", "severity", "remediation"):
        if key in custom and not isinstance(custom[key], str):
            raise ConfigError(f"METADATA `custom.{key}` must be a string", filename, line)
    if "severity" in custom:
        try:
            custom["severity"] = Severity.parse(custom["severity"]).value
        except ValueError as exc:
            raise ConfigError(f"METADATA `custom.severity`: {exc}", filename, line) from None
    if "kinds" in custom:
        _check_kinds(filename, line, custom["kinds"])
    if "name" in custom and not _KEBAB.match(custom["name"]):
        raise ConfigError("METADATA `custom.name` must be kebab-case (a-z, 0-9, dashes)", filename, line)


def _check_kinds(filename: str, line: int, kinds: Any) -> None:
    if not isinstance(kinds, list) or not kinds:
        raise ConfigError("METADATA `custom.kinds` must be a non-empty list of kinds", filename, line)
    for kind in kinds:
        if not isinstance(kind, str) or not (_KIND.match(kind) or kind in KIND_GROUPS):
            groups = ", ".join(KIND_GROUPS)
            raise ConfigError(f"METADATA `custom.kinds`: {kind!r} is neither a kind name nor a group ({groups})",
                              filename, line)


def kebab(text: str) -> str:
    """A kebab-case rule name from a title or package name: "Host PID: denied" -> "host-pid-denied"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
