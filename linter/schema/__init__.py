"""JSON-schema validation of Kubernetes resources (SCHEMA-001/002/003).

Schemas come, in this order, from CRDs (found in the checked tree, then `--crds`), then each schema
location in turn (`default` = the bundled Kubernetes schemas + the project's shipped `schemas/`); the first
that has one for an apiVersion/kind wins. Each schema is compiled once per run with jsonschema-rs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from linter.models import Document, EngineError, Problem, Severity
from linter.schema.crd import CrdSchema, crd_schemas, is_crd, load_crd_documents
from linter.schema.messages import SchemaIssue, describe, display_path, field_name
from linter.schema.registry import (
    DiskCache,
    FoundSchema,
    ResourceType,
    SchemaSource,
    available_versions,
    build_sources,
    default_cache_dir,
    resolve_version,
)

__all__ = ["SchemaValidator", "available_versions", "resolve_version"]

# Past this many errors in one document the rest is noise (a wrong kind, a mis-indented block).
MAX_ERRORS_PER_DOCUMENT = 20
_MISSING: Any = object()


class _Compiled:
    """A compiled validator, or the reason there is none (the CRD's problem is reported once)."""

    def __init__(self, validator: Any, crd_problem: Problem | None = None, failure: str | None = None) -> None:
        self.validator = validator
        self.crd_problem = crd_problem
        self.failure = failure  # the schema could not be had or used: ENGINE-001 on each such document


class SchemaValidator:
    def __init__(
        self,
        *,
        kubernetes_version: str | None = None,
        strict: bool = True,
        locations: Sequence[str] = ("default",),
        crd_documents: Sequence[Document] = (),
        crd_files: Sequence[Path] = (),
        cache_dir: Path | None = None,
        require_schemas: bool = False,
        offline: bool = False,
    ) -> None:
        self.kubernetes_version = resolve_version(kubernetes_version)
        self.strict = strict
        self.require_schemas = require_schemas
        self.setup_problems: list[Problem] = []
        self.unvalidated: Counter[str] = Counter()
        disk = DiskCache(cache_dir if cache_dir is not None else default_cache_dir())
        self._sources: list[SchemaSource] = build_sources(
            locations, self.kubernetes_version, strict, disk, _catalog_dir(), offline
        )
        self.offline = offline
        from linter.schema.catalog import CrdCatalog

        self._catalog = next((s for s in self._sources if isinstance(s, CrdCatalog)), None)
        self._crds: dict[ResourceType, CrdSchema] = {}
        file_docs, load_problems = load_crd_documents(list(crd_files))
        self.setup_problems.extend(load_problems)
        for doc in (*crd_documents, *file_docs):
            self._add_crd(doc)
        self._compiled: dict[ResourceType, _Compiled | None] = {}

    def _add_crd(self, doc: Document) -> None:
        if not is_crd(doc.obj):
            return
        schemas, problems = crd_schemas(doc, self.strict)
        self.setup_problems.extend(problems)
        for crd_schema in schemas:
            # The first definition wins: CRDs of the checked tree are what the cluster will get.
            self._crds.setdefault(crd_schema.rtype, crd_schema)

    def validate_many(self, docs: Sequence[Document]) -> list[Problem]:
        return [problem for doc in docs for problem in self.validate(doc)]

    def validate(self, doc: Document) -> list[Problem]:
        obj = doc.obj
        if not isinstance(obj, dict):
            return []
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not (isinstance(api_version, str) and isinstance(kind, str)):
            return []  # not a resource: the loader reports it
        rtype = ResourceType(api_version, kind)
        compiled = self._compiled.get(rtype, _MISSING)
        if compiled is _MISSING:
            try:
                compiled = self._compile(rtype)
            except EngineError as exc:  # this kind only: every other document is still validated
                compiled = _Compiled(None, failure=str(exc))
            self._compiled[rtype] = compiled
        if compiled is not None and compiled.failure is not None:
            return [_engine_failure(doc, compiled.failure)]
        if compiled is None or compiled.validator is None:
            problems = [self._missing(doc, rtype)]
            if compiled is not None and compiled.crd_problem is not None:
                problems.insert(0, compiled.crd_problem)
                compiled.crd_problem = None  # once per run, not per resource
            return problems
        try:
            issues = _issues(compiled.validator, obj)
        except EngineError as exc:
            return [_engine_failure(doc, str(exc))]
        return self._problems(doc, issues)

    def _compile(self, rtype: ResourceType) -> _Compiled | None:
        crd = self._crds.get(rtype)
        if crd is not None:
            try:
                return _Compiled(_validator(FoundSchema(crd.schema, f"CRD {crd.crd.name}")))
            except EngineError as exc:
                problem = Problem("SCHEMA-003", f"the schema of CRD version {rtype.api_version} of {rtype.kind} "
                                  f"does not compile: {_reason(exc)}", crd.crd.file, "schema", doc=crd.crd,
                                  path=("spec", "versions"))
                return _Compiled(None, problem)
        if not rtype.well_formed:
            return None
        for source in self._sources:
            found = source.find(rtype)
            if found is not None:
                return _Compiled(_validator(found))
        return None

    def _missing(self, doc: Document, rtype: ResourceType) -> Problem:
        replacement = self._catalog.replacement(rtype) if self._catalog is not None else None
        if replacement is not None:
            source = self._catalog.source_of(ResourceType(replacement, rtype.kind)) if self._catalog else None
            where = f"{source['project']} {source['version']}" if source else "its project"
            return Problem("SCHEMA-004", f"{rtype.api_version} {rtype.kind} is no longer served by {where}; "
                           f"use apiVersion {replacement}", doc.file, "schema", doc=doc, path=("apiVersion",))
        self.unvalidated[str(rtype)] += 1
        severity = Severity.ERROR if self.require_schemas else Severity.WARNING
        message = (f"no schema for {field_name(rtype.kind)} in {field_name(rtype.api_version)}; the resource was "
                   "not validated")
        if self.offline and any(getattr(getattr(s, "_fetcher", None), "offline_misses", None) for s in self._sources):
            message += " (offline: URL schema locations answered from the schema cache only)"
        # About the whole resource: its start is known from parsing, so no file is composed for it.
        return Problem("SCHEMA-002", message, doc.file, "schema", doc=doc, severity=severity)

    def _problems(self, doc: Document, issues: list[SchemaIssue]) -> list[Problem]:
        seen: set[tuple[Any, ...]] = set()
        problems: list[Problem] = []
        for issue in issues:
            if (issue.path, issue.key, issue.message) in seen or _substituted_later(doc, issue.path):
                continue
            seen.add((issue.path, issue.key, issue.message))
            problems.append(Problem("SCHEMA-001", issue.message, doc.file, "schema", doc=doc, path=issue.path,
                                    key=issue.key))
        if len(problems) > MAX_ERRORS_PER_DOCUMENT:
            hidden = len(problems) - MAX_ERRORS_PER_DOCUMENT
            problems = problems[:MAX_ERRORS_PER_DOCUMENT]
            problems.append(Problem("SCHEMA-001", f"{hidden} more schema errors in this {doc.kind} not shown",
                                    doc.file, "schema", doc=doc))
        return problems


def _engine_failure(doc: Document, why: str) -> Problem:
    return Problem("ENGINE-001", f"schema validation could not be done on this document: {why}. Every other "
                   "document was checked; the run fails closed (exit 3)", doc.file, "schema", doc=doc)


def _issues(validator: Any, obj: dict[str, Any]) -> list[SchemaIssue]:
    sops = isinstance(obj.get("sops"), dict)
    instance = {k: v for k, v in obj.items() if k != "sops"} if sops else obj
    try:
        errors = list(validator.iter_errors(instance))
    except ValueError:
        # A value JSON cannot hold (a YAML timestamp, a non-string key): validate what the API server
        # would receive after JSON encoding.
        errors = list(validator.iter_errors(_jsonable(instance)))
    issues: list[SchemaIssue] = []
    for error in errors:
        if error.kind.name == "$ref" or type(error.kind).__name__ == "Referencing":
            raise EngineError(f"a schema reference could not be resolved at {display_path(error.instance_path)}")
        issues.extend(describe(error, sops=sops))
    return issues


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    iso = getattr(value, "isoformat", None)
    return iso() if callable(iso) else str(value)


def _validator(found: FoundSchema) -> Any:
    import jsonschema_rs  # 12 ms: paid only by runs that validate something

    try:
        return jsonschema_rs.validator_for(
            found.schema, validate_formats=False, base_uri=found.base_uri,
        )
    except ValueError:
        pass
    except jsonschema_rs.ReferencingError as exc:
        raise EngineError(f"schema {found.origin} cannot be used: {_reason(exc)}") from None
    # CRD patterns are Go RE2 (`^(?i)(abort|warn)?$` in prometheus-operator's PrometheusRule), which the
    # ECMA-262 engine may refuse: such a pattern is left unchecked rather than the whole kind.
    try:
        return jsonschema_rs.validator_for(
            _without_bad_patterns(found.schema, {}, found.schema.get("$schema") if isinstance(found.schema, dict)
                                  else None), validate_formats=False, base_uri=found.base_uri,
        )
    except (ValueError, jsonschema_rs.ReferencingError) as exc:
        raise EngineError(f"schema {found.origin} cannot be used: {_reason(exc)}") from None


def _without_bad_patterns(node: Any, verdicts: dict[str, bool], draft: str | None) -> Any:
    import jsonschema_rs

    if isinstance(node, list):
        return [_without_bad_patterns(v, verdicts, draft) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            if value not in verdicts:
                try:
                    jsonschema_rs.validator_for({"$schema": draft, "pattern": value} if draft else {"pattern": value})
                    verdicts[value] = True
                except ValueError:
                    verdicts[value] = False
            if not verdicts[value]:
                continue
        out[key] = _without_bad_patterns(value, verdicts, draft) if key != "enum" else value
    return out


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return text[:200]


def _catalog_dir() -> Path | None:
    from linter.resources import bundled_dir

    try:
        return bundled_dir("schemas")
    except FileNotFoundError:
        return None


def aggregate_missing(problems: list[Problem]) -> list[Problem]:
    """One SCHEMA-002 per apiVersion and kind, at its first document, naming how many documents and
    which files (`--require-schemas` keeps one per document instead)."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    out: list[Problem] = []
    for p in problems:
        if p.rule_id != "SCHEMA-002" or p.doc is None:
            out.append(p)
            continue
        key = (p.doc.api_version, p.doc.kind)
        if key not in groups:
            groups[key] = []
            out.append(p)  # placeholder, replaced below in place
        groups[key].append(p)
    firsts = {id(g[0]): g for g in groups.values()}
    result = []
    for p in out:
        group = firsts.get(id(p))
        if group is None:
            result.append(p)
            continue
        files = sorted({q.file for q in group})
        first = min(group, key=lambda q: (q.file, q.doc.index if q.doc else 0))
        if len(group) == 1:
            result.append(first)
            continue
        others = [f for f in files if f != first.file]
        also = f"; also in {', '.join(others[:3])}{', ...' if len(others) > 3 else ''}" if others else ""
        message = (f"no schema for {field_name(first.doc.kind)} in {field_name(first.doc.api_version)}: "
                   f"{len(group)} documents in {len(files)} files were not validated{also}. "
                   "--require-schemas reports each")
        result.append(Problem("SCHEMA-002", message, first.file, "schema", doc=first.doc, severity=first.severity))
    return result


def _substituted_later(doc: Document, path: Sequence[Any]) -> bool:
    """A value of a file as written that holds a Flux `${VAR}`: post-build substitution replaces it before
    anything is applied, and the render's copy (substituted) is what the schema judges."""
    if doc.origin is not None:
        return False
    node: Any = doc.obj
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return isinstance(node, str) and "${" in node
