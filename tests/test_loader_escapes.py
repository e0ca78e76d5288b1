"""Issue 13, rows 5-8: Unicode escapes and odd scalar types never escape the loader as an exception.

Whatever a double-quoted YAML or JSON string spells with `\\u`/`\\U`/`\\x` escapes (lone surrogates, NUL,
BOM, non-characters) and whatever type a top-level identity field has, `load_bytes` returns documents
or positioned problems, every document is JSON- and UTF-8-encodable (what the policy engine and every
reporter need), and classification gives string identities or a positioned YAML-008.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.cli import main
from linter.loader import LoadResult, load_bytes
from linter.pipeline import classify

ESCAPES = ["\\ud800", "\\udfff", "\\uDC00", "\\ud83d\\ude00", "\\ud83d", "\\u0000", "\\x00", "\\0", "\\ufeff",
           "\\uffff", "\\ufffe", "\\U0010ffff", "\\U0001F600", "\\U0000d800", "\\u00e9", "\\N", "\\_", "\\L",
           "\\P", "\\e", "\\t", "\\\\", '\\"', "\\u12", "\\U00110000", "\\q", "a", " ", "é", "\u2028"]
ODD_SCALARS = [".nan", ".inf", "-.Inf", "1e400", "0x", "0o", "0b2", "99999999999999999999", "-9223372036854775809",
               "!!int x", "!!float 1", "!!bool yes", "!!null ''", "!!binary aGk=", "!!timestamp 2001-12-14",
               "!!str 1", "!foo bar", "~", "null", "yes", "0755", "''", "[]", "{}", "[a, b]", "{a: 1}", "[[1]]",
               "&a x", "-1", "+1", "1_000", ".5", "0.", "true"]

quoted = st.lists(st.sampled_from(ESCAPES), max_size=6).map(lambda parts: '"' + "".join(parts) + '"')
scalar = st.one_of(quoted, st.sampled_from(ODD_SCALARS))
FIELDS = ["apiVersion", "kind", "name", "namespace", "label", "key"]


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A resource-shaped YAML document whose identity fields, a label and a key are odd scalars."""
    value = {f: draw(st.one_of(st.none(), scalar)) for f in FIELDS}
    lines = []
    for field in ("apiVersion", "kind"):
        if value[field] is not None:
            lines.append(f"{field}: {value[field]}")
    lines.append("metadata:")
    for field in ("name", "namespace"):
        if value[field] is not None:
            lines.append(f"  {field}: {value[field]}")
    lines.append(f"  labels: {{app: {value['label'] or 'x'}}}")
    if value["key"] is not None and value["key"].startswith('"'):
        lines.append(f"data: {{{value['key']}: v}}")
    return "\n".join(lines) + "\n"


def _json_documents(draw_text: str) -> str:
    return '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": ' + draw_text + "}}"


def _assert_sound(result: LoadResult) -> None:
    for problem in result.problems:
        assert problem.span is not None and problem.span.line >= 1 and problem.span.column >= 1
        problem.message.encode("utf-8")
    for doc in result.documents:
        json.dumps(doc.obj, ensure_ascii=False, allow_nan=True, default=str).encode("utf-8")
        issue = classify(doc)
        if issue is not None:
            assert issue.rule_id == "YAML-008"
            assert doc.locate(issue.path).span.line >= 1
        if doc.role in ("resource", "kustomize"):
            assert isinstance(doc.obj["kind"], str) and isinstance(doc.obj["apiVersion"], str)
        assert all(isinstance(v, str) for v in (doc.kind, doc.api_version, doc.name, doc.namespace))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.sampled_from(["kustomization.yaml", "app.yaml", "Kustomization"]))
def test_escapes_and_odd_scalars_never_raise(text: str, name: str) -> None:
    _assert_sound(load_bytes(text.encode("utf-8"), name))


@settings(max_examples=200, deadline=None)
@given(quoted)
def test_json_string_escapes_never_raise(text: str) -> None:
    _assert_sound(load_bytes(_json_documents(text).encode("utf-8"), "cm.json"))


@pytest.mark.parametrize(("escape", "lone"), [
    ("\\ud800", True), ("\\udfff", True), ("\\ude00\\ud83d", True), ("x\\ud83d", True),
    ("\\ud83d\\ude00", False), ("\\U0001F600", False), ("\\u0000", False), ("\\ufeff", False), ("\\uffff", False),
])
def test_lone_surrogate_is_a_positioned_error(escape: str, lone: bool) -> None:
    source = f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: "{escape}"\n'.encode()
    result = load_bytes(source, "cm.yaml")
    found = [(p.rule_id, p.span.line, p.span.column) for p in result.problems if p.span]
    assert found == ([("YAML-009", 6, 6)] if lone else [])
    (doc,) = result.documents
    json.dumps(doc.obj, ensure_ascii=False).encode("utf-8")
    if escape == "\\ud83d\\ude00":
        assert doc.obj["data"]["x"] == "\U0001F600"  # a pair is the character it encodes, as in JSON


def test_lone_surrogate_in_a_key_names_the_key_it_built() -> None:
    result = load_bytes(b'{"data": {"\\udc00k": 1, "ok": "\\ud800"}}', "x.json")
    assert sorted((p.rule_id, p.path, p.key) for p in result.problems) == [
        ("YAML-009", ("data", "ok"), False), ("YAML-009", ("data", "\ufffdk"), True)]
    doc = result.documents[0]
    assert doc.locate(("data", "\ufffdk"), True).span.column == 11


@pytest.mark.parametrize("name", ["cm.json", "cm.yaml"])
def test_lone_surrogate_escape_in_json_or_yaml_exits_1_in_every_format(
        tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Row 5: a lone `\\ud800` was a UnicodeEncodeError (or an engine failure), exit 3, no position."""
    body = ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "b"}, '
            '"data": {"x": "\\ud800"}}\n')
    (tmp_path / name).write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for fmt in ("json", "text", "sarif", "junit", "github"):
        assert main(["check", "--no-render", "--format", fmt, name]) == 1
        out = capsys.readouterr().out
        out.encode("utf-8")
        assert "YAML-009" in out
    assert main(["check", "--no-render", "--format", "json", name]) == 1
    found = [(f["rule_id"], f["line"], f["column"]) for f in json.loads(capsys.readouterr().out)["findings"]]
    assert ("YAML-009", 1, 102) in found


@pytest.mark.parametrize("kind", ["[Kustomization, Component]", "{a: 1}", "7"])
def test_kustomization_kind_is_a_list(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Row 6: `kind:` as a list in a kustomization.yaml was a TypeError (exit 3)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "kustomization.yaml").write_text(f"resources: [cm.yaml]\nkind: {kind}\n")
    (tmp_path / "app" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--no-render", "--format", "json", "app"])
    found = [(f["rule_id"], f["file"], f["line"]) for f in json.loads(capsys.readouterr().out)["findings"]]
    assert code == 1  # kustomize rejects a number too: its `kind` is a Go string
    assert ("YAML-008", "app/kustomization.yaml", 2) in found


def test_kustomization_api_version_mapping_is_positioned() -> None:
    (doc,) = load_bytes(b"resources: []\napiVersion: {a: b}\n", "kustomization.yaml").documents
    issue = classify(doc)
    assert issue is not None and issue.rule_id == "YAML-008" and doc.role == "other"
    assert doc.locate(issue.path).span.line == 2


@pytest.mark.parametrize("body", ["patches: 5", "patchesStrategicMerge: {a: 1}", "patchesJson6902: x",
                                  "patches: [{path: [x]}, 5, null]", "resources: 5", "images: [{name: [x]}]"])
def test_kustomization_fields_of_odd_types_never_crash(tmp_path: Path, body: str,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`patches: 5` in a kustomization.yaml was a TypeError (exit 3) while looking for patch files."""
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "kustomization.yaml").write_text(body + "\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-render", "--format", "json", "k"]) in (0, 1)
    json.loads(capsys.readouterr().out)
