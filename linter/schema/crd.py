"""JSON schemas derived from CustomResourceDefinitions, the way kubeconform's openapi2jsonschema does it.

Every served version of an `apiextensions.k8s.io/v1` CRD with an `openAPIV3Schema` becomes one schema for
`<group>/<version>, <kind>`. Strict mode closes objects that declare `properties` (unknown fields are errors,
as `kubectl apply --validate=strict`), except where the CRD keeps unknown fields
(`x-kubernetes-preserve-unknown-fields`) or says what extra fields may hold (`additionalProperties`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from linter.models import ConfigError, Document, Problem, Span
from linter.schema.registry import ResourceType

CRD_API_VERSION = "apiextensions.k8s.io/v1"
# OpenAPI v3.0 schema objects are draft-4 flavoured (boolean exclusiveMinimum/Maximum).
_DRAFT4 = "http://json-schema.org/draft-04/schema#"
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMA_ONE = ("items", "additionalProperties", "not", "additionalItems")
_CRD_SUFFIXES = (".yaml", ".yml", ".json")


class CrdSchema(NamedTuple):
    rtype: ResourceType
    schema: dict[str, Any]
    crd: Document


def is_crd(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and obj.get("apiVersion") == CRD_API_VERSION
        and obj.get("kind") == "CustomResourceDefinition"
    )


def crd_schemas(doc: Document, strict: bool) -> tuple[list[CrdSchema], list[Problem]]:
    """The schemas one CRD document defines, and SCHEMA-003 problems for versions it cannot serve."""
    spec = doc.obj.get("spec") if isinstance(doc.obj, dict) else None
    group = spec.get("group") if isinstance(spec, dict) else None
    names = spec.get("names") if isinstance(spec, dict) else None
    kind = names.get("kind") if isinstance(names, dict) else None
    versions = spec.get("versions") if isinstance(spec, dict) else None
    if not (isinstance(group, str) and isinstance(kind, str) and isinstance(versions, list)):
        return [], [_problem(doc, ("spec",), "CustomResourceDefinition has no usable spec.group, "
                                               "spec.names.kind and spec.versions")]
    schemas: list[CrdSchema] = []
    problems: list[Problem] = []
    for index, version in enumerate(versions):
        if not isinstance(version, dict) or not isinstance(version.get("name"), str):
            problems.append(_problem(doc, ("spec", "versions", index), "CRD version has no name"))
            continue
        if version.get("served") is False:
            continue
        openapi = _dig(version, "schema", "openAPIV3Schema")
        if not isinstance(openapi, dict):
            problems.append(_problem(
                doc, ("spec", "versions", index),
                f"CRD version {version['name']} of {kind} has no schema.openAPIV3Schema; its resources "
                "cannot be validated",
            ))
            continue
        rtype = ResourceType(f"{group}/{version['name']}", kind)
        schemas.append(CrdSchema(rtype, convert(openapi, rtype, strict), doc))
    return schemas, problems


def convert(openapi: dict[str, Any], rtype: ResourceType, strict: bool) -> dict[str, Any]:
    """A CRD version's openAPIV3Schema as a standalone JSON schema for its custom resources."""
    schema: dict[str, Any] = _node(openapi, strict)
    props = schema.setdefault("properties", {})
    if isinstance(props, dict):
        props["apiVersion"] = {"type": "string", "enum": [rtype.api_version]}
        props["kind"] = {"type": "string", "enum": [rtype.kind]}
        meta = props.get("metadata")
        # The API server validates metadata as ObjectMeta whatever the CRD says; a CRD that constrains
        # `metadata.name` must not make labels "unknown".
        if isinstance(meta, dict):
            meta.pop("additionalProperties", None)
        else:
            props["metadata"] = {"type": "object"}
    schema.setdefault("type", "object")
    schema["$schema"] = _DRAFT4
    return schema


def _node(node: Any, strict: bool) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description":
            continue
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _node(sub, strict) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            # A junctor's branches only constrain fields the structural schema declares (Cilium's
            # `oneOf: [{required: [endpointSelector]}, ...]`); closing them would reject every field.
            out[key] = [_node(sub, False) for sub in value]
        elif key == "not":
            out[key] = _node(value, False)
        elif key in _SUBSCHEMA_ONE:
            out[key] = _node(value, strict)
        else:
            out[key] = value
    _apply_extensions(out)
    if (strict and isinstance(out.get("properties"), dict) and "additionalProperties" not in out
            and out.get("x-kubernetes-preserve-unknown-fields") is not True):
        out["additionalProperties"] = False
    return out


def _apply_extensions(out: dict[str, Any]) -> None:
    if out.get("x-kubernetes-int-or-string") is True or out.get("format") == "int-or-string":
        out["type"] = ["integer", "string"]
    if out.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    props = out.get("properties")
    if out.get("x-kubernetes-embedded-resource") is True and isinstance(props, dict):
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})


def _dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _problem(doc: Document, path: tuple[str | int, ...], message: str) -> Problem:
    return Problem("SCHEMA-003", message, doc.file, "schema", doc=doc, path=path)


# --- Loading --crds files ---------------------------------------------------------------------------------


def crd_file_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files given by --crds: a file as is, a directory's YAML/JSON files recursively, in sorted order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() in _CRD_SUFFIXES and p.is_file())
        elif path.is_file():
            yield path
        else:
            raise ConfigError(f"--crds {str(path)!r}: no such file or directory")


def load_crd_documents(paths: Sequence[Path]) -> tuple[list[Document], list[Problem]]:
    documents: list[Document] = []
    problems: list[Problem] = []
    for path in crd_file_paths(paths):
        docs, found = load_documents(path)
        documents.extend(d for d in docs if is_crd(d.obj))
        problems.extend(found)
    return documents, problems


def load_documents(path: Path) -> tuple[list[Document], list[Problem]]:
    """The project loader when present (positions, limits, YAML 1.1 scalars); a plain fallback until then."""
    try:
        from linter.loader import load_file  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return _fallback_load(path)
    result = load_file(path, str(path))
    return list(result.documents), list(result.problems)


def _fallback_load(path: Path) -> tuple[list[Document], list[Problem]]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
        loaded = list(YAML(typ="safe", pure=False).load_all(text))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        message = f"{path.name}: cannot be loaded ({exc.__class__.__name__})"
        return [], [Problem("YAML-001", message, str(path), "parse", span=Span.point(1))]
    return [Document(str(path), i, obj, Span.point(1)) for i, obj in enumerate(loaded) if obj is not None], []
