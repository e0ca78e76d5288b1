"""linter.loader on hostile input: every class of bad file becomes a positioned Problem, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.loader import Limits, LoadResult, load_bytes, load_file

CANARY = "s3cr3t-CANARY-value"


def _findings(result: LoadResult) -> list[tuple[str, int, int]]:
    return sorted((p.rule_id, p.span.line, p.span.column) for p in result.problems if p.span)


def _bomb(levels: int) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("source", "findings"),
    [
        (b"a: b: c\n", [("YAML-001", 1, 5)]),
        (b"a:\n  b: 1\n c: 2\n", [("YAML-001", 3, 2)]),
        (b"kind: A\n---\nx: [1, 2\n", [("YAML-001", 4, 1)]),
        (b"a: *nope\n", [("YAML-001", 1, 4)]),
        (b"a: &x [*x]\n", [("YAML-001", 1, 4)]),  # an alias inside its own anchor
        (b"? [a, b]\n: c\n", [("YAML-001", 1, 3)]),  # a collection key Kubernetes cannot decode
        (b"a: !!binary \x07\n", [("YAML-005", 1, 13)]),  # a control character
    ],
)
def test_syntax_errors_are_positioned(source: bytes, findings: list[tuple[str, int, int]]) -> None:
    result = load_bytes(source, "bad.yaml")
    assert _findings(result) == findings
    assert result.documents == []


def test_syntax_error_messages_never_echo_source() -> None:
    source = f'password: "{CANARY}\nother: [\n'.encode()
    (problem,) = load_bytes(source, "s.yaml").problems
    assert problem.rule_id == "YAML-001" and CANARY not in problem.message and "lol" not in problem.message
    assert problem.message.startswith("YAML syntax error: ")


@pytest.mark.parametrize(
    ("source", "findings"),
    [
        (b"kind: Secret\nstringData:\n  token: a\n  token: b\n", [("YAML-002", 4, 3)]),
        (b"a: 1\nb: 2\na: 3\na: 4\n", [("YAML-002", 3, 1), ("YAML-002", 4, 1)]),
        (b"{\"a\": 1, \"a\": 2}", [("YAML-002", 1, 10)]),
        (b"yes: 1\ntrue: 2\n", [("YAML-002", 2, 1), ("YAML-006", 1, 1)]),  # both are the key "true"
    ],
)
def test_duplicate_keys_point_at_the_second_key(source: bytes, findings: list[tuple[str, int, int]]) -> None:
    result = load_bytes(source, "d.yaml")
    assert _findings(result) == findings


def test_duplicate_key_keeps_last_value_and_never_prints_either() -> None:
    source = f"stringData:\n  token: {CANARY}-1\n  token: {CANARY}-2\n".encode()
    result = load_bytes(source, "s.yaml")
    assert result.documents[0].obj == {"stringData": {"token": f"{CANARY}-2"}}
    assert all(CANARY not in p.message for p in result.problems)
    assert result.problems[0].path == ("stringData", "token") and result.problems[0].key


@pytest.mark.parametrize("levels", [7, 9, 12])
def test_alias_bombs_are_refused(levels: int) -> None:
    result = load_bytes(_bomb(levels), "bomb.yaml")
    assert [p.rule_id for p in result.problems] == ["YAML-003"]
    assert result.documents == []


def test_alias_count_limit() -> None:
    source = b"a: &a x\nb: &b [1]\n" + b"".join(b"k%d: *b\n" % i for i in range(20))
    # An alias shares its anchor's node, so the position is the anchored value.
    assert _findings(load_bytes(source, "t.yaml", Limits(max_aliases=10))) == [("YAML-003", 2, 4)]
    assert load_bytes(source, "t.yaml").problems == []


def test_a_few_anchors_are_fine() -> None:
    result = load_bytes(b"x: &env [{name: A, value: b}]\np: *env\nz: *env\n", "t.yaml")
    assert result.problems == [] and result.documents[0].obj["z"] == [{"name": "A", "value": "b"}]


@pytest.mark.parametrize(
    "source",
    [
        b"[" * 40_000 + b"]" * 40_000,  # segfaults ruamel's C composer if it ever reaches it
        b"{a: " * 40_000 + b"}" * 40_000,
        b"- " * 40_000 + b"x\n",
        b"? " * 40_000 + b"x\n",
        b"".join(b" " * i + b"k:\n" for i in range(300)),
        b"a: [" + b"[" * 201 + b"]" * 202 + b"\n",
    ],
)
def test_deep_nesting_is_refused_before_the_c_composer(source: bytes) -> None:
    result = load_bytes(source, "deep.yaml")
    assert [p.rule_id for p in result.problems] == ["YAML-003"]
    assert "nesting" in result.problems[0].message


def test_nesting_just_inside_the_limit_loads() -> None:
    source = b"[" * 199 + b"]" * 199
    result = load_bytes(source, "ok.yaml")
    assert result.problems == [] and len(result.documents) == 1


def test_many_balanced_brackets_are_not_deep() -> None:
    # A Grafana dashboard: thousands of brackets, shallow nesting. Takes the exact-scan path.
    source = b"data:\n  d.json: |\n    " + b"[{}, " * 3000 + b"{}]\nother: " + b"[[1]], " * 0 + b"[1]\n"
    result = load_bytes(source, "dash.yaml")
    assert result.problems == []


def test_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: reading it fully would be noticed as NUL bytes
    result = load_file(big, "big.yaml", Limits(max_file_bytes=1024))
    assert [(p.rule_id, p.message) for p in result.problems] == [
        ("YAML-003", "file is larger than the 1024 byte limit (limits.max_file_bytes)")]
    assert _findings(load_bytes(b"a: 1\n" * 300, "b.yaml", Limits(max_file_bytes=1024))) == [("YAML-003", 1, 1)]


def test_document_count_limit() -> None:
    source = b"a: 1\n---\n" * 5
    assert [p.rule_id for p in load_bytes(source, "m.yaml", Limits(max_documents=3)).problems] == ["YAML-003"]


def test_unreadable_file(tmp_path: Path) -> None:
    result = load_file(tmp_path / "missing.yaml", "missing.yaml")
    assert [p.rule_id for p in result.problems] == ["YAML-005"]


@pytest.mark.parametrize(
    ("source", "findings"),
    [
        (b"image: {{ .Values.image }}\n", [("YAML-004", 1, 9)]),
        (b"replicas: {{ .Values.n }}\n", [("YAML-004", 1, 12)]),
        (b"metadata:\n  name: {{ .Release.Name }}-app\n", [("YAML-004", 2, 1)]),
        (b"{{- if .Values.enabled }}\nkind: A\n{{- end }}\n", [("YAML-004", 1, 1)]),
        (b"metadata:\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\n", [("YAML-004", 3, 1)]),
        # `{{` in a string elsewhere and an unrelated error: a syntax error, not a template.
        (b"a: '{{ .x }}'\nb: c: d\n", [("YAML-001", 2, 5)]),
    ],
)
def test_helm_templates(source: bytes, findings: list[tuple[str, int, int]]) -> None:
    result = load_bytes(source, "t.yaml")
    assert _findings(result) == findings
    assert all("render it first" in p.message for p in result.problems if p.rule_id == "YAML-004")


@pytest.mark.parametrize(
    ("source", "findings"),
    [
        (b"a: 1\nb: \x00\x01\x02\n", [("YAML-005", 2, 4)]),
        (b"a: 1\n\nname: caf\xe9\n", [("YAML-005", 3, 10)]),  # Latin-1
        (b"\xff\xfe" + "a: 1\n".encode("utf-16-le"), [("YAML-005", 1, 4)]),  # UTF-16: NUL bytes
    ],
)
def test_binary_and_non_utf8(source: bytes, findings: list[tuple[str, int, int]]) -> None:
    assert _findings(load_bytes(source, "bin.yaml")) == findings


YAMLISH = st.lists(
    st.sampled_from(["a", ": ", "- ", "? ", "[", "]", "{", "}", ",", "&x ", "*x", "<<", "\n", "  ", "\t",
                     "'", '"', "#", "---\n", "yes", "0755", "{{", "}}", "|\n", "!!str ", "%YAML 1.1\n", "\r\n",
                     "\xe9", "\\", "@", "`", "\x85", "\u2028", "~", "1_0", "!t "]),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_fuzz_yamlish_text_never_raises(text: str) -> None:
    _check_never_raises(text.encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_never_raise(data: bytes) -> None:
    _check_never_raises(data)


def _check_never_raises(data: bytes) -> None:
    limits = Limits(max_depth=20, max_aliases=5, max_expanded_nodes=500, max_documents=10)
    result = load_bytes(data, "fuzz.yaml", limits)
    assert isinstance(result, LoadResult)
    for problem in result.problems:
        assert problem.span is not None and problem.span.line >= 1 and problem.span.column >= 1
    for doc in result.documents:
        location = doc.locate(("a", 0, "b"), True)
        assert location.span.line >= 1


def test_deep_nesting_in_a_later_document_is_refused() -> None:
    source = b"a: [1]\n---\n" * 600 + b"[" * 5000 + b"]" * 5000 + b"\n"
    assert [p.rule_id for p in load_bytes(source, "m.yaml", Limits(max_aliases=0)).problems] == ["YAML-003"]


def test_flow_opened_before_a_document_marker_cannot_hide_depth() -> None:
    # An unclosed flow collection across `---` is an error the parser reports first.
    source = b"a: [" + b"[" * 600 + b"\n---\n" + b"[" * 600 + b"\n"
    assert [p.rule_id for p in load_bytes(source, "m.yaml").problems] in (["YAML-001"], ["YAML-003"])
