"""Optional backend: the same validation done by a `kubeconform` binary from PATH.

Each resource is written as its own JSON file, so kubeconform's `filename` maps a result back to our
Document (positions then come from our locator, not kubeconform). kubeconform gets the *same* schemas as
the built-in validator: the bundled Kubernetes schemas and CRD-derived schemas are written pre-resolved
(self-contained) into a temporary directory used as a local template location, because the bundled files
`$ref` `https://kubernetes.io/api/_definitions.json`, which kubeconform would try to download.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from linter.models import ConfigError, DocPath, Document, EngineError, Problem, Severity
from linter.schema import SchemaValidator
from linter.schema.messages import display_path
from linter.schema.registry import BundledKubernetes, ResourceType, render_template, template_vars

_LAYOUT = "{{ .ResourceKind }}{{ .KindSuffix }}.json"
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_TIMEOUT = 600.0


class KubeconformBackend:
    """Drop-in for `SchemaValidator.validate_many`, driving kubeconform (`-output json -summary`)."""

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
        binary: str | None = None,
    ) -> None:
        found = binary or shutil.which("kubeconform")
        if not found:
            raise ConfigError("kubeconform not found on PATH: install it (https://github.com/yannh/kubeconform) "
                              "or use the built-in schema validator")
        self.binary = found
        self._builtin = SchemaValidator(
            kubernetes_version=kubernetes_version, strict=strict, locations=("default",),
            crd_documents=crd_documents, crd_files=crd_files, cache_dir=cache_dir, require_schemas=require_schemas,
        )
        self.kubernetes_version = self._builtin.kubernetes_version
        self.strict = strict
        self.locations = tuple(locations)
        self.require_schemas = require_schemas
        self.setup_problems: list[Problem] = self._builtin.setup_problems
        self.unvalidated: Counter[str] = Counter()
        self._bundled = BundledKubernetes(self.kubernetes_version, strict, None)

    def validate_many(self, docs: Sequence[Document]) -> list[Problem]:
        resources = [d for d in docs if _rtype(d) is not None]
        if not resources:
            return []
        with tempfile.TemporaryDirectory(prefix="kubegate-kubeconform-") as tmp:
            root = Path(tmp)
            by_file = self._write_documents(root / "docs", resources)
            args = self._arguments(root, resources) + sorted(by_file)
            output = self._run(args)
            return self.parse_output(output, by_file)

    def validate(self, doc: Document) -> list[Problem]:
        return self.validate_many([doc])

    def _write_documents(self, directory: Path, docs: Sequence[Document]) -> dict[str, Document]:
        directory.mkdir()
        by_file: dict[str, Document] = {}
        for number, doc in enumerate(docs):
            path = directory / f"{number:06d}.json"
            obj = doc.obj
            if isinstance(obj.get("sops"), dict):  # as the built-in validator: SOPS metadata is not a field
                obj = {k: v for k, v in obj.items() if k != "sops"}
            path.write_text(json.dumps(obj, default=str), encoding="utf-8")
            by_file[str(path)] = doc
        return by_file

    def _arguments(self, root: Path, docs: Sequence[Document]) -> list[str]:
        """CRD schemas first, then the locations in order with `default` as pre-resolved local files."""
        crd_dir, k8s_dir = root / "crds", root / "kubernetes"
        crd_dir.mkdir()
        k8s_dir.mkdir()
        for rtype in {r for d in docs if (r := _rtype(d)) is not None}:
            name = render_template(_LAYOUT, template_vars(rtype, self.kubernetes_version, self.strict))
            crd = self._builtin._crds.get(rtype)
            if crd is not None:
                (crd_dir / name).write_text(json.dumps(crd.schema), encoding="utf-8")
            elif rtype.well_formed and (found := self._bundled.find(rtype)) is not None:
                text = found.schema if isinstance(found.schema, str) else json.dumps(found.schema)
                (k8s_dir / name).write_text(text, encoding="utf-8")
        args = [self.binary, "-output", "json", "-summary", "-kubernetes-version", self.kubernetes_version]
        if self.strict:
            args.append("-strict")
        args += ["-schema-location", f"{crd_dir}/{_LAYOUT}"]
        for location in self.locations:
            args += ["-schema-location", f"{k8s_dir}/{_LAYOUT}" if location == "default" else location]
        return args

    def _run(self, args: list[str]) -> str:
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"kubeconform could not be run: {exc.__class__.__name__}") from None
        if done.returncode not in (0, 1):
            raise EngineError(f"kubeconform failed with exit code {done.returncode}: "
                              f"{_redact(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '')}")
        return done.stdout

    def parse_output(self, output: str, by_file: dict[str, Document]) -> list[Problem]:
        """kubeconform's `-output json` document -> Problems on the Documents its filenames name."""
        try:
            data = json.loads(output)
        except ValueError:
            data = None
        results = data.get("resources") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise EngineError("kubeconform printed output that is not its JSON report")
        problems: list[Problem] = []
        for result in results:
            if isinstance(result, dict):
                problems.extend(self._result(result, by_file))
        return problems

    def _result(self, result: dict[str, Any], by_file: dict[str, Document]) -> list[Problem]:
        doc = by_file.get(str(result.get("filename", "")))
        status = result.get("status")
        if doc is None or status in ("statusValid", "statusSkipped", "statusEmpty"):
            return []
        msg = str(result.get("msg", ""))
        if status == "statusError" and "could not find schema" in msg:
            rtype = _rtype(doc)
            self.unvalidated[str(rtype)] += 1
            severity = Severity.ERROR if self.require_schemas else Severity.WARNING
            return [Problem("SCHEMA-002", f"no schema for {doc.kind} in {doc.api_version}; the resource was not "
                            "validated", doc.file, "schema", doc=doc, path=("kind",), severity=severity)]
        if status != "statusInvalid":
            raise EngineError(f"kubeconform could not validate {doc.kind} {doc.name!r} in {doc.file}: {_redact(msg)}")
        errors = result.get("validationErrors") or [{"path": "", "msg": msg}]
        return [self._problem(doc, e) for e in errors if isinstance(e, dict)]

    def _problem(self, doc: Document, error: dict[str, Any]) -> Problem:
        path = pointer_to_path(doc.obj, str(error.get("path", "")))
        text = str(error.get("msg", "does not match the schema"))
        unknown = re.match(r"additionalProperties '([^']+)' not allowed", text)
        if unknown and isinstance(_at(doc.obj, path), dict) and unknown[1] in _at(doc.obj, path):
            # Point at the offending key, as the built-in validator does.
            return Problem("SCHEMA-001", f"{display_path(path)}: unknown field \"{unknown[1]}\"", doc.file, "schema",
                           doc=doc, path=path + (unknown[1],), key=True)
        return Problem("SCHEMA-001", f"{display_path(path)}: {_redact(text, _at(doc.obj, path))}", doc.file,
                       "schema", doc=doc, path=path)


def _rtype(doc: Document) -> ResourceType | None:
    obj = doc.obj
    if isinstance(obj, dict) and isinstance(obj.get("apiVersion"), str) and isinstance(obj.get("kind"), str):
        return ResourceType(obj["apiVersion"], obj["kind"])
    return None


def pointer_to_path(obj: Any, pointer: str) -> DocPath:
    """An RFC 6901 pointer into `obj` as a DocPath (array indices as ints, following the data)."""
    path: list[str | int] = []
    node = obj
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit():
            path.append(int(token))
            node = node[int(token)] if int(token) < len(node) else None
        else:
            path.append(token)
            node = node.get(token) if isinstance(node, dict) else None
    return tuple(path)


def _at(obj: Any, path: DocPath) -> Any:
    for part in path:
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and isinstance(part, int) and part < len(obj):
            obj = obj[part]
        else:
            return None
    return obj


def _redact(text: str, node: Any = None) -> str:
    """kubeconform's messages quote values: keep quoted field names of the node, hide everything else."""
    keys = set(node) if isinstance(node, dict) else set()

    def quoted(match: re.Match[str]) -> str:
        return match[0] if match[0][1:-1] in keys else "<value>"

    return _NUMBER.sub("<n>", _QUOTED.sub(quoted, text))[:300]
