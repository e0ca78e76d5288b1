"""linter.loader: values as Kubernetes decodes them, documents, positions, markers, load_many."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from linter.loader import Limits, LoadResult, load_bytes, load_file, load_many, parser_info
from linter.models import Severity, Span


def _findings(result: LoadResult) -> list[tuple[str, int, int]]:
    return sorted((p.rule_id, p.span.line, p.span.column) for p in result.problems if p.span)


def _value(text: str) -> Any:
    result = load_bytes(f"v: {text}\n".encode(), "t.yaml")
    assert len(result.documents) == 1
    return result.documents[0].obj["v"]


def test_parser_info_reports_the_c_loader() -> None:
    info = parser_info()
    assert info["c_loader"] == "yes"
    assert info["yaml"].startswith("ruamel.yaml ")


# go-yaml v2 resolve() decides what the API server sees; YAML 1.2 tools differ on several of these.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True), ("Yes", True), ("YES", True), ("y", True), ("Y", True), ("on", True), ("ON", True),
        ("no", False), ("N", False), ("off", False), ("Off", False), ("true", True), ("FALSE", False),
        ("tRUE", "tRUE"), ("yEs", "yEs"),
        ("0755", 493), ("012", 10), ("0o755", 493), ("-0755", -493), ("+0755", 493), ("0x1F", 31),
        ("0b101", 5), ("1_000", 1000), ("08", 8.0), ("1e3", 1000.0), ("1.10", 1.1), (".5", 0.5),
        ("0o", "0o"), ("0x", "0x"), ("1:20", "1:20"), ("2024-01-01", "2024-01-01"), ("1e400", "1e400"),
        ("~", None), ("null", None), ("", None), ("NULL", None),
        ("'yes'", "yes"), ('"0755"', "0755"), ("!!str 0755", "0755"), ("!!int 0755", 493),
        ("!custom 0755", "0755"), ("18446744073709551615", 18446744073709551615),
        ("Deployment", "Deployment"), ("o", "o"), ("NaN", "NaN"),
    ],
)
def test_scalars_as_kubernetes_reads_them(text: str, expected: Any) -> None:
    value = _value(text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("text", "sign"), [(".inf", 1), ("-.Inf", -1), ("+.INF", 1)])
def test_infinities(text: str, sign: int) -> None:
    assert _value(text) == sign * math.inf


def test_nan() -> None:
    assert math.isnan(_value(".nan"))


@pytest.mark.parametrize(
    ("source", "findings"),
    [
        ("a: yes\n", [("YAML-006", 1, 4)]),
        ("a:\n  - off\n  - 'on'\n", [("YAML-006", 2, 5)]),
        ("mode: 0755\n", [("YAML-007", 1, 7)]),
        ("mode: 0644\nother: 07\n", [("YAML-007", 1, 7)]),  # 07 is 7 either way
        ("mode: '0755'\nb: \"yes\"\nc: true\nd: 0o755\n", []),  # quoted or unambiguous: never flagged
        ("y: 1\n", [("YAML-006", 1, 1)]),  # a key: go-yaml v2 turns it into "true"
    ],
)
def test_ambiguous_scalars_are_warnings_at_the_scalar(source: str, findings: list[tuple[str, int, int]]) -> None:
    result = load_bytes(source.encode(), "t.yaml")
    assert _findings(result) == findings
    assert all(p.severity is Severity.WARNING and p.doc is result.documents[0] for p in result.problems)


def test_ambiguous_problem_carries_doc_path_and_never_the_value() -> None:
    result = load_bytes(b"spec:\n  volumes:\n  - secret:\n      defaultMode: 0755\n", "t.yaml")
    (problem,) = result.problems
    assert problem.path == ("spec", "volumes", 0, "secret", "defaultMode")
    assert "0755" not in problem.message and "755" not in problem.message
    assert result.documents[0].locate(problem.path).span.line == 4


def test_key_ambiguity_becomes_true_key() -> None:
    result = load_bytes(b"on:\n  push: {}\n", "wf.yaml")
    assert result.documents[0].obj == {"true": {"push": {}}}
    assert result.problems[0].key and result.problems[0].path == ("true",)


def test_multi_document_indexes_and_offsets() -> None:
    source = b"# leading comment\na: 1\n---\n---\n# only a comment\n---\nkind: B\nspec:\n  x: 1\n---\n"
    result = load_bytes(source, "m.yaml")
    assert [(d.index, d.obj) for d in result.documents] == [(0, {"a": 1}), (3, {"kind": "B", "spec": {"x": 1}})]
    second = result.documents[1]
    assert second.span.line == 7
    assert second.locate(("spec", "x")).span == Span(9, 6, 9, 7)
    assert second.locate(("spec", "x"), key=True).span == Span(9, 3, 9, 4)


@pytest.mark.parametrize(
    ("path", "key", "line", "column", "exact"),
    [
        ((), False, 1, 1, True),
        (("metadata", "name"), False, 3, 9, True),
        (("metadata", "name"), True, 3, 3, True),
        (("spec", "containers", 1, "image"), False, 8, 12, True),
        (("spec", "containers", 1, "ports"), False, 7, 5, False),  # missing: its parent, not exact
        (("spec", "containers", 5), False, 5, 3, False),  # a collection under a key starts at the key
        (("nope", "deeper"), False, 1, 1, False),
    ],
)
def test_locate(path: tuple[Any, ...], key: bool, line: int, column: int, exact: bool) -> None:
    source = (b"kind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: a\n"
              b"  - name: b\n    image: nginx\n")
    location = load_bytes(source, "p.yaml").documents[0].locate(path, key)
    assert (location.span.line, location.span.column, location.exact) == (line, column, exact)
    assert location.file == "p.yaml"


def test_locate_uses_the_last_duplicate_and_merged_keys() -> None:
    source = b"base: &b\n  x: 1\nm:\n  <<: *b\n  z: 2\n  z: 3\n"
    result = load_bytes(source, "t.yaml")
    doc = result.documents[0]
    assert doc.obj["m"] == {"x": 1, "z": 3}
    assert doc.locate(("m", "z")).span.line == 6
    assert doc.locate(("m", "x")).span.line == 2  # found through the merge, at the anchor
    assert _findings(result) == [("YAML-002", 6, 3)]


def test_merge_order_follows_go_yaml_v2() -> None:
    source = b"a: &a {k: 1, p: 1}\nb: &b {k: 2, q: 2}\nm:\n  k: 0\n  <<: [*a, *b]\n"
    obj = load_bytes(source, "t.yaml").documents[0].obj
    assert obj["m"] == {"k": 1, "p": 1, "q": 2}  # earlier map in the list wins; merge overrides k: 0


def test_kind_list_expands_items_with_base_path() -> None:
    source = (b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  data: {a: yes}\n"
              b"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n")
    result = load_bytes(source, "l.yaml")
    assert [(d.kind, d.base_path, d.index) for d in result.documents] == [
        ("ConfigMap", ("items", 0), 0), ("Secret", ("items", 1), 0)]
    assert result.documents[1].locate(("metadata", "name")).span.line == 10
    assert result.documents[1].span.line == 7
    (problem,) = result.problems  # relative to its item
    assert problem.doc is result.documents[0] and problem.path == ("data", "a")


def test_typed_list_kind_expands_too() -> None:
    source = b"apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- kind: Deployment\n"
    assert [d.kind for d in load_bytes(source, "l.yaml").documents] == ["Deployment"]


@pytest.mark.parametrize(
    "source",
    [
        b'{\n\t"apiVersion": "v1",\n\t"kind": "ConfigMap",\n\t"data": {"a": "b"}\n}\n',
        b'{"apiVersion": "v1", "kind": "ConfigMap", "data": {"n": 0755, "y": "yes"}}',
    ],
)
def test_json_files(source: bytes) -> None:
    result = load_bytes(source, "c.json")
    assert result.documents[0].kind == "ConfigMap"


@pytest.mark.parametrize(
    "source",
    [
        b"\xef\xbb\xbfkind: A\nspec:\n  x: 1\n",
        b"kind: A\r\nspec:\r\n  x: 1\r\n",
        b"kind:\tA\nspec:\n  x: 1\n",
    ],
)
def test_bom_crlf_and_tabs_load_with_correct_lines(source: bytes) -> None:
    result = load_bytes(source, "t.yaml")
    assert result.problems == []
    assert result.documents[0].obj == {"kind": "A", "spec": {"x": 1}}
    assert result.documents[0].locate(("spec", "x")).span.line == 3


@pytest.mark.parametrize(
    "source",
    [
        # PrometheusRule annotations, Grafana dashboards, Flux Alert summaries: templates inside strings.
        (b"spec:\n  groups:\n  - rules:\n    - annotations:\n        summary: '{{ $labels.instance }} down'\n"
         b"        description: |\n          {{ $value }} errors\n"),
        b"data:\n  dash.json: |\n    {\"title\": \"{{ .Name }}\", \"panels\": [[{}]]}\n",
        b"spec:\n  summary: \"Cluster {{ .cluster }}\"\n  plain: text-{{.x}}\n",
    ],
)
def test_templates_inside_strings_load_without_findings(source: bytes) -> None:
    result = load_bytes(source, "t.yaml")
    assert result.problems == [] and len(result.documents) == 1


def test_redefined_anchor_falls_back_to_the_pure_loader() -> None:
    result = load_bytes(b"a: &x 1\nb: &x 2\nc: *x\nd: yes\n", "t.yaml")
    assert result.documents[0].obj == {"a": 1, "b": 2, "c": 2, "d": True}
    assert _findings(result) == [("YAML-006", 4, 4)]
    # An alias shares its anchor's node: positions point at the (second) anchored value.
    assert result.documents[0].locate(("c",)).span.line == 2


def test_imagepolicy_markers() -> None:
    source = (b"kind: A\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
              b"      containers:\n      - name: app\n"
              b'        image: ghcr.io/org/app:1.2.3 # {"$imagepolicy": "flux-system:app"}\n'
              b'      - image: ghcr.io/org/side:1.0 # {"$imagepolicy": "apps:side:tag"}\n'
              b'tag: v1 #  {"$imagepolicy":"ns:p:digest"}\n')
    docs = load_bytes(source, "d.yaml").documents
    assert docs[0].comments == []
    assert docs[1].comments == [
        {"path": ["spec", "template", "spec", "containers", 0, "image"], "line": 10,
         "marker": "flux-system:app", "field": ""},
        {"path": ["spec", "template", "spec", "containers", 1, "image"], "line": 11,
         "marker": "apps:side", "field": "tag"},
        {"path": ["tag"], "line": 12, "marker": "ns:p", "field": "digest"},
    ]


def test_load_file_and_display_path(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"kind: A\nspec:\n  x: yes\n")
    result = load_file(path, "repo/a.yaml")
    assert result.documents[0].file == "repo/a.yaml"
    assert result.problems[0].file == "repo/a.yaml"
    # The locator re-reads the file lazily.
    assert result.documents[0].locate(("spec", "x")) .span.line == 3


@pytest.mark.parametrize("jobs", [1, 2])
def test_load_many_keeps_order_and_locators(tmp_path: Path, jobs: int) -> None:
    items = []
    for i in range(10):
        path = tmp_path / f"f{i}.yaml"
        path.write_bytes(f"kind: K{i}\n---\nkind: L{i}\nspec:\n  on: x\n".encode())
        items.append((path, f"f{i}.yaml"))
    (tmp_path / "bad.yaml").write_bytes(b"a: b: c\n")
    items.append((tmp_path / "bad.yaml", "bad.yaml"))
    result = load_many(items, Limits(), jobs=jobs)
    assert [d.kind for d in result.documents] == [k for i in range(10) for k in (f"K{i}", f"L{i}")]
    assert result.documents[3].locate(("spec",)).span.line == 4  # the `spec:` key line
    assert sorted({p.rule_id for p in result.problems}) == ["YAML-001", "YAML-006"]
    assert all(p.doc is None or p.doc.file == p.file for p in result.problems)
