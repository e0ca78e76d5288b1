"""The optional kubeconform backend: its absence, its JSON report's mapping, and a real subprocess run
through a stand-in `kubeconform` placed first on PATH (no kubeconform binary is needed)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from linter.models import ConfigError, Document, EngineError, Span
from linter.schema.kubeconform import KubeconformBackend, pointer_to_path

SECRET = "CANARY-hunter2"
DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": SECRET, "template": {"spec": {"containers": [{"name": "a", "image": "x", "imagePullPolicyy": 1}]}}},
}
GADGET = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}


def report(filename: str, status: str, msg: str = "", errors: list[dict[str, str]] | None = None) -> str:
    """The shape kubeconform prints with `-output json -summary` (see its README)."""
    resource: dict[str, Any] = {"filename": filename, "kind": "Deployment", "name": "web", "version": "apps/v1",
                                "status": status, "msg": msg}
    if errors is not None:
        resource["validationErrors"] = errors
    return json.dumps({"resources": [resource], "summary": {"valid": 0, "invalid": 1, "errors": 0, "skipped": 0}})


@pytest.fixture
def fake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def install_fake(bin_dir: Path, body: str) -> Path:
    """A `kubeconform` that records its argv and answers like kubeconform about the first document."""
    script = bin_dir / "kubeconform"
    script.write_text(f"#!{sys.executable}\nimport json, sys\nargs = sys.argv[1:]\n"
                      f"open({str(bin_dir / 'argv.json')!r}, 'w').write(json.dumps(args))\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def backend(tmp_path: Path, **kwargs: Any) -> KubeconformBackend:
    return KubeconformBackend(cache_dir=tmp_path / "cache", **kwargs)


def test_absent_binary_is_a_config_error(tmp_path: Path, fake_path: Path) -> None:
    with pytest.raises(ConfigError, match="kubeconform not found on PATH"):
        backend(tmp_path)


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [("", ()), ("/spec/replicas", ("spec", "replicas")),
     ("/spec/template/spec/containers/0", ("spec", "template", "spec", "containers", 0)),
     ("/metadata/labels/a~1b", ("metadata", "labels", "a/b"))],
)
def test_pointer_to_path(pointer: str, expected: tuple[Any, ...]) -> None:
    obj = {"spec": {"template": {"spec": {"containers": [{}]}}}, "metadata": {"labels": {"a/b": "1"}}}
    assert pointer_to_path(obj, pointer) == expected


def test_report_mapping(tmp_path: Path, fake_path: Path) -> None:
    install_fake(fake_path, "")
    b = backend(tmp_path)
    d = Document("m.yaml", 0, DEPLOYMENT, Span.point(1))
    out = report("/t/000000.json", "statusInvalid", f"problem validating schema: '{SECRET}'", [
        {"path": "/spec/replicas", "msg": f"expected integer or null, but got string '{SECRET}' 1234"},
        {"path": "/spec/template/spec/containers/0", "msg": "additionalProperties 'imagePullPolicyy' not allowed"},
    ])
    problems = b.parse_output(out, {"/t/000000.json": d})
    assert [(p.rule_id, p.path, p.key) for p in problems] == [
        ("SCHEMA-001", ("spec", "replicas"), False),
        ("SCHEMA-001", ("spec", "template", "spec", "containers", 0, "imagePullPolicyy"), True),
    ]
    assert problems[1].message == 'spec.template.spec.containers[0]: unknown field "imagePullPolicyy"'
    assert not [p for p in problems if SECRET in p.message or "1234" in p.message]


def test_report_missing_schema_and_errors(tmp_path: Path, fake_path: Path) -> None:
    install_fake(fake_path, "")
    b = backend(tmp_path)
    d = Document("m.yaml", 0, GADGET, Span.point(1))
    missing = report("/t/a.json", "statusError", "could not find schema for Gadget")
    assert [p.rule_id for p in b.parse_output(missing, {"/t/a.json": d})] == ["SCHEMA-002"]
    assert b.unvalidated == {"example.com/v1/Gadget": 1}
    with pytest.raises(EngineError):
        b.parse_output(report("/t/a.json", "statusError", "failed downloading schema"), {"/t/a.json": d})
    with pytest.raises(EngineError):
        b.parse_output("panic: runtime error", {})


def test_subprocess_run_through_a_stand_in(tmp_path: Path, fake_path: Path) -> None:
    body = (
        "files = [a for a in args if a.endswith('.json') and '{{' not in a]\n"
        "res = [{'filename': files[0], 'kind': 'Deployment', 'name': 'web', 'version': 'apps/v1',\n"
        "        'status': 'statusInvalid', 'msg': '', 'validationErrors': [{'path': '/spec/replicas', 'msg': 'x'}]}]\n"
        "print(json.dumps({'resources': res, 'summary': {}}))\nsys.exit(1)"
    )
    install_fake(fake_path, body)
    docs = [Document("m.yaml", 0, DEPLOYMENT, Span.point(1)), Document("m.yaml", 1, None, Span.point(5))]
    problems = backend(tmp_path).validate_many(docs)
    assert [(p.rule_id, p.doc, p.path) for p in problems] == [("SCHEMA-001", docs[0], ("spec", "replicas"))]
    argv = json.loads((fake_path / "argv.json").read_text(encoding="utf-8"))
    assert argv[:3] == ["-output", "json", "-summary"] and "-strict" in argv
    locations = [argv[i + 1] for i, a in enumerate(argv) if a == "-schema-location"]
    assert len(locations) == 2 and all(loc.endswith("{{ .ResourceKind }}{{ .KindSuffix }}.json") for loc in locations)


def test_subprocess_crash_fails_closed(tmp_path: Path, fake_path: Path) -> None:
    install_fake(fake_path, "sys.stderr.write('boom\\n'); sys.exit(2)")
    with pytest.raises(EngineError, match="exit code 2"):
        backend(tmp_path).validate_many([Document("m.yaml", 0, DEPLOYMENT, Span.point(1))])


@pytest.mark.skipif(os.name == "nt", reason="POSIX shebang stand-in")
def test_no_resources_do_not_run_kubeconform(tmp_path: Path, fake_path: Path) -> None:
    install_fake(fake_path, "sys.exit(2)")
    assert backend(tmp_path).validate_many([Document("m.yaml", 0, [1], Span.point(1))]) == []
