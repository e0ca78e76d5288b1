"""linter.suppress: inline comments, annotations, exceptions file and baseline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from linter import suppress
from linter.config import Config
from linter.loader import load_bytes
from linter.models import ConfigError, Document, Finding, Severity

TODAY = date(2030, 6, 1)
KNOWN = frozenset({"ORG-001", "ORG-002", "SCHEMA-001"})
MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
  annotations:
    kubegate.io/ignore: "{annotation}"
spec:
  replicas: 1  # kubegate: ignore[ORG-001] load tested
  # kubegate: ignore[ORG-002] reviewed by sec in JIRA-1
  paused: true
  minReadySeconds: 5
"""


def finding(rule: str, line: int, name: str = "web", file: str = "d.yaml", pointer: str = "/spec") -> Finding:
    return Finding(file, line, 3, line, 9, rule, rule.lower(), Severity.ERROR, "m", "policy", "Deployment",
                   "apps", name, "apps/v1", pointer)


def apply(findings: list[Finding], text: str, *, exceptions: tuple[suppress.ExceptionEntry, ...] = (),
          baseline: dict[str, int] | None = None) -> tuple[list[tuple[str, int]], list[tuple[str, int]],
                                                          list[tuple[str, int]]]:
    docs = load_bytes(text.encode(), "d.yaml").documents
    sources = suppress.Sources(exceptions, baseline, read_text=lambda f: text if f == "d.yaml" else None,
                               known_rules=KNOWN)
    kept, gone, problems = suppress.apply_suppressions(findings, docs, Config(), today=TODAY, sources=sources)
    return ([(f.rule_id, f.line) for f in kept], [(f.rule_id, f.line) for f in gone],
            [(p.rule_id, _line(p, docs)) for p in problems])


def _line(p: object, docs: list[Document]) -> int:
    span = getattr(p, "span", None)
    if span is not None:
        return int(span.line)
    doc = getattr(p, "doc", None)
    assert doc is not None
    return int(doc.locate(getattr(p, "path", ())).span.line)


@pytest.mark.parametrize(("rule", "line", "suppressed"), [
    ("ORG-001", 9, True),  # same line
    ("ORG-002", 9, False),  # another rule on that line
    ("ORG-002", 11, True),  # comment-only line above
    ("ORG-002", 12, False),  # two lines below: not covered
    ("SCHEMA-001", 2, True),  # the annotation covers the whole resource
])
def test_inline_and_annotation(rule: str, line: int, suppressed: bool) -> None:
    kept, gone, problems = apply([finding(rule, line)], MANIFEST.format(annotation="SCHEMA-001: generated"))
    assert (gone == [(rule, line)]) is suppressed and (kept == [(rule, line)]) is not suppressed
    assert problems == []


@pytest.mark.parametrize(("text", "expected", "kept_rules"), [
    # No reason anywhere: both suppressions are CHG-005 and both findings stay.
    (MANIFEST.format(annotation="SCHEMA-001").replace("load tested", ""), [("CHG-005", 7), ("CHG-005", 9)],
     ["ORG-001", "SCHEMA-001"]),
    (MANIFEST.format(annotation="NOPE-9: x").replace("ORG-001]", "ORG-404]"),
     [("CHG-005", 7), ("CHG-005", 9)], ["ORG-001", "SCHEMA-001"]),
    # CHG rules are about the change itself: never silenced from inside the change.
    (MANIFEST.format(annotation="CHG-001: the bot said so"), [("CHG-005", 7)], ["SCHEMA-001"]),
])
def test_invalid_suppressions_are_chg005_and_suppress_nothing(text: str, expected: list[tuple[str, int]],
                                                              kept_rules: list[str]) -> None:
    kept, _gone, problems = apply([finding("ORG-001", 9), finding("SCHEMA-001", 2)], text)
    assert sorted(problems) == expected
    assert sorted(rule for rule, _ in kept) == kept_rules


def test_disabled_inline_sources_keep_everything() -> None:
    text = MANIFEST.format(annotation="SCHEMA-001: generated")
    docs = load_bytes(text.encode(), "d.yaml").documents
    kept, gone, _ = suppress.apply_suppressions([finding("ORG-001", 9)], docs, Config(), today=TODAY,
                                                sources=suppress.Sources(inline=False, known_rules=KNOWN))
    assert (len(kept), len(gone)) == (1, 0)


EXCEPTIONS = """\
- rule: ORG-001
  kind: Deployment
  namespace: apps
  name: web-*
  owner: team-web
  reason: migrating to the new chart
  expires: 2030-12-31
- rule: ORG-002
  kind: Deployment
  namespace: apps
  name: web
  owner: team-web
  reason: old
  expires: 2030-01-01
"""


def test_exceptions_match_by_glob_and_expire() -> None:
    entries = suppress.load_exceptions(EXCEPTIONS.encode(), "exceptions.yaml")
    kept, gone, problems = apply([finding("ORG-001", 12, name="web-1"), finding("ORG-001", 12, name="api"),
                                  finding("ORG-002", 12)], MANIFEST.format(annotation="SCHEMA-001: x"),
                                 exceptions=entries)
    assert gone == [("ORG-001", 12)]
    assert kept == [("ORG-001", 12), ("ORG-002", 12)]  # api not matched; the ORG-002 exception expired
    assert problems == [("CHG-004", 8)]


@pytest.mark.parametrize(("text", "needle"), [
    ("- rule: ORG-001\n  kind: Deployment\n  name: web\n", "exception #1 misses owner, reason, expires"),
    ("- rule: X\n  kind: K\n  name: n\n  owner: o\n  reason: r\n  expires: soon\n", "exception #1: expires"),
    ("- rule: X\n  kind: K\n  name: n\n  owner: o\n  reason: r\n  expires: 2030-01-01\n  nmae: x\n",
     "unknown key nmae"),
    ("rule: X\n", "expected a list"),
    ("[1]\n", "exception #1 is not a mapping"),
])
def test_bad_exceptions_file_is_a_config_error(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        suppress.load_exceptions(text.encode(), "exceptions.yaml")


def test_baseline_ignores_lines_and_counts() -> None:
    old = [finding("ORG-001", 9), finding("ORG-001", 9), finding("ORG-002", 11, pointer="/spec/paused")]
    baseline = suppress.load_baseline(suppress.render_baseline(old).encode(), "baseline.json")
    moved = [finding("ORG-001", 30), finding("ORG-001", 31), finding("ORG-001", 32),
             finding("ORG-002", 40, pointer="/spec/paused"), finding("ORG-002", 41, pointer="/spec/replicas")]
    kept, gone, _ = apply(moved, "a: 1\n", baseline=baseline)
    # Two ORG-001 were baselined, a third is new; the ORG-002 at another pointer is new too.
    assert gone == [("ORG-001", 30), ("ORG-001", 31), ("ORG-002", 40)]
    assert kept == [("ORG-001", 32), ("ORG-002", 41)]


@pytest.mark.parametrize("data", [b"{}", b"[]", b"not json", b'{"version": 1, "findings": [{"x": 1}]}'])
def test_bad_baseline_is_a_config_error(data: bytes) -> None:
    with pytest.raises(ConfigError, match="invalid baseline"):
        suppress.load_baseline(data, "baseline.json")


def test_sources_from_config_reads_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "exc.yaml").write_text(EXCEPTIONS)
    section = {"exceptions_file": "exc.yaml", "baseline_file": "none.json"}
    config = Config(root=tmp_path, sections={"ci": section})
    sources = suppress.sources_from_config(config)
    assert [e.rule for e in sources.exceptions] == ["ORG-001", "ORG-002"] and sources.baseline is None
    missing = Config(root=tmp_path, sections={"ci": {"exceptions_file": "gone.yaml"}})
    with pytest.raises(ConfigError, match="exceptions file not found"):
        suppress.sources_from_config(missing)


@pytest.mark.parametrize(("line", "rules", "reason", "comment_only"), [
    ("x: 1  # kubegate: ignore[A-1,B-2] because", ("A-1", "B-2"), "because", False),
    ("  #kubegate: ignore[A-1]   spaced   ", ("A-1",), "spaced", True),
    ("x: 1  # kubegate: ignore[] why", (), "why", False),
])
def test_parse_inline(line: str, rules: tuple[str, ...], reason: str, comment_only: bool) -> None:
    [item] = suppress.parse_inline(line, "f.yaml")
    assert (item.rules, item.reason, item.comment_only) == (rules, reason, comment_only)


@pytest.mark.parametrize("line", ["x: a#kubegate: ignore[A-1] no space before #", "x: 1 # nothing here"])
def test_not_a_suppression(line: str) -> None:
    assert suppress.parse_inline(line, "f.yaml") == []


def test_files_the_loader_saw_no_marker_in_are_not_read_again() -> None:
    marked = load_bytes(MANIFEST.format(annotation="").encode(), "marked.yaml").documents
    plain = load_bytes(MANIFEST.replace("# kubegate:", "#").format(annotation="").encode(), "plain.yaml").documents
    assert [d.inline_marks for d in marked + plain] == [True, False]
    read: list[str] = []

    def reader(file: str) -> str | None:
        read.append(file)
        return MANIFEST if file == "marked.yaml" else None

    sources = suppress.Sources(read_text=reader, known_rules=KNOWN)
    findings = [finding("ORG-001", 9, file="marked.yaml"), finding("ORG-001", 9, file="plain.yaml"),
                finding("ORG-001", 2, file="broken.yaml")]  # a file without documents is still read
    kept, gone, _ = suppress.apply_suppressions(findings, marked + plain, Config(), today=TODAY, sources=sources)
    assert sorted(read) == ["broken.yaml", "marked.yaml"]
    assert [f.file for f in gone] == ["marked.yaml"] and [f.file for f in kept] == ["plain.yaml", "broken.yaml"]
