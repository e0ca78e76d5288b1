"""Suppressions: inline comments, resource annotations, an exceptions file and a baseline.

Applied to resolved findings, in this order: `# kubegate: ignore[RULE-ID,...] reason` on the finding's
line or on a comment-only line directly above; the resource annotation `kubegate.io/ignore:
"RULE-ID[,RULE-ID]: reason"`; time-boxed exceptions (YAML list of {rule, kind, namespace, name, owner,
reason, expires}); the baseline (fingerprints without line numbers, so adopting kubegate on an existing
fleet fails only on new findings). A suppression without a reason or naming an unknown rule is CHG-005
and suppresses nothing; an expired exception is CHG-004 and suppresses nothing.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import stat
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from linter.models import ConfigError, Document, Finding, Problem, Span
from linter.rules import FAIL_CLOSED

ANNOTATION = "kubegate.io/ignore"
# YAML starts a comment at `#` preceded by whitespace (or at the start of a line).
_INLINE = re.compile(r"(?:^|\s)#\s*kubegate:\s*ignore\[([^\]]*)\]?(.*)$")
_RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_BUILTIN_FAMILIES = ("YAML-", "SCHEMA-", "CHG-", "GRAPH-", "RENDER-")
_EXCEPTION_FIELDS = ("rule", "kind", "name", "owner", "reason", "expires")
BASELINE_VERSION = 1
_NOT_A_BASELINE = f"invalid baseline: not a kubegate baseline (version {BASELINE_VERSION})"

TextReader = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Inline:
    """One `# kubegate: ignore[...] reason` comment."""

    file: str
    line: int
    column: int
    rules: tuple[str, ...]
    reason: str
    comment_only: bool  # the line holds nothing but the comment (it then covers the next line)


@dataclass(frozen=True)
class ExceptionEntry:
    rule: str
    kind: str
    namespace: str
    name: str  # glob
    owner: str
    reason: str
    expires: date
    file: str
    line: int

    def matches(self, f: Finding) -> bool:
        return (self.rule == f.rule_id and (self.kind in ("*", f.kind))
                and fnmatch.fnmatchcase(f.namespace, self.namespace)
                and fnmatch.fnmatchcase(f.name, self.name))

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule, self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class Sources:
    """Where suppressions come from. `kubegate ci` builds these from the merge base (trusted)."""

    exceptions: tuple[ExceptionEntry, ...] = ()
    baseline: Mapping[str, int] | None = None  # fingerprint -> count
    inline: bool = True  # comments and annotations in the checked files
    read_text: TextReader | None = None  # source text of a finding's file (default: relative to cwd)
    known_rules: Collection[str] | None = None
    # Suppressions that exist but must not apply (kubegate ci: those the change itself added, see
    # linter.ci_suppressions): inline comments by their own (file, line), rule ids by resource key.
    withheld_inline: Collection[tuple[str, int]] = frozenset()
    withheld_annotations: Mapping[tuple[str, ...], Collection[str]] = field(default_factory=dict)


@dataclass
class _State:
    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- parsing -------------------------------------------------------------------------------------

def parse_inline(text: str, file: str) -> list[Inline]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "kubegate:" not in line:
            continue
        m = _INLINE.search(line)
        if m is None:
            continue
        rules = tuple(r.strip() for r in m.group(1).split(",") if r.strip())
        start = m.start() + (1 if line[m.start()].isspace() else 0)
        out.append(Inline(file, number, start + 1, rules, m.group(2).strip(), not line[:start].strip()))
    return out


def parse_annotation(value: Any) -> tuple[tuple[str, ...], str]:
    """`"RULE-ID[,RULE-ID]: reason"` -> (rule ids, reason)."""
    if not isinstance(value, str):
        return (), ""
    ids, _, reason = value.partition(":")
    return tuple(r.strip() for r in ids.split(",") if r.strip()), reason.strip()


def load_exceptions(data: bytes, file: str) -> tuple[ExceptionEntry, ...]:
    """The exceptions file; a missing or malformed field is a ConfigError naming the entry."""
    docs = _load_yaml(data, file)
    if not docs or docs[0].obj is None:
        return ()
    doc = docs[0]
    if not isinstance(doc.obj, list):
        raise ConfigError("invalid exceptions file: expected a list of exceptions", file)
    return tuple(_exception(raw, i, doc, file) for i, raw in enumerate(doc.obj))


def _exception(raw: Any, index: int, doc: Document, file: str) -> ExceptionEntry:
    line = doc.locate((index,)).span.line
    where = f"exception #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid exceptions file: {where} is not a mapping", file, line)
    missing = [k for k in _EXCEPTION_FIELDS if raw.get(k) in (None, "")]
    if missing:
        raise ConfigError(f"invalid exceptions file: {where} misses {', '.join(missing)}", file, line)
    unknown = sorted(set(raw) - {*_EXCEPTION_FIELDS, "namespace"})
    if unknown:
        raise ConfigError(f"invalid exceptions file: {where} has unknown key {', '.join(map(str, unknown))}",
                          file, line)
    expires = _date(raw["expires"])
    if expires is None:
        raise ConfigError(f"invalid exceptions file: {where}: expires must be a date YYYY-MM-DD", file, line)
    text = {k: str(raw.get(k, "")) for k in ("rule", "kind", "namespace", "name", "owner", "reason")}
    return ExceptionEntry(text["rule"], text["kind"], text["namespace"], text["name"], text["owner"],
                          text["reason"], expires, file, line)


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)) else None
    except ValueError:
        return None


def _load_yaml(data: bytes, file: str) -> list[Document]:
    from linter.loader import load_bytes

    result = load_bytes(data, file)
    if result.problems and not result.documents:
        raise ConfigError(f"cannot parse {file}: {result.problems[0].message}", file)
    bad = next((p for p in result.problems if p.rule_id in ("YAML-001", "YAML-002", "YAML-003", "YAML-005")),
               None)
    if bad is not None:
        raise ConfigError(f"cannot parse: {bad.message}", file)
    return list(result.documents)


def load_baseline(data: bytes, file: str) -> dict[str, int]:
    try:
        raw = json.loads(data)
        entries = raw["findings"] if raw.get("version") == BASELINE_VERSION else None
        counts = {str(e["fingerprint"]): int(e.get("count", 1)) for e in entries or ()}
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ConfigError(_NOT_A_BASELINE, file) from None
    if entries is None:
        raise ConfigError(_NOT_A_BASELINE, file)
    return counts


# --- baseline ------------------------------------------------------------------------------------

def fingerprint(f: Finding) -> str:
    """Rule, file, resource identity and JSON pointer: stable when lines move."""
    group = f.api_version.rsplit("/", 1)[0] if "/" in f.api_version else ""
    parts = [f.rule_id, f.file, group, f.kind, f.namespace, f.name, f.pointer]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:20]


def render_baseline(findings: Iterable[Finding]) -> str:
    counts: Counter[str] = Counter()
    sample: dict[str, Finding] = {}
    for f in findings:
        fp = fingerprint(f)
        counts[fp] += 1
        sample.setdefault(fp, f)
    entries = [{"fingerprint": fp, "rule_id": f.rule_id, "file": f.file, "kind": f.kind,
                "namespace": f.namespace, "name": f.name, "pointer": f.pointer, "count": counts[fp]}
               for fp, f in sorted(sample.items(), key=lambda kv: (kv[1].file, kv[1].rule_id, kv[0]))]
    return json.dumps({"version": BASELINE_VERSION, "tool": "kubegate", "findings": entries}, indent=2) + "\n"


# --- sources from configuration ------------------------------------------------------------------

def sources_from_config(config: Any, *, read: Callable[[Path], bytes | None] | None = None,
                        display: Callable[[Path], str] | None = None) -> Sources:
    """Exceptions and baseline named in `ci`, relative to the configuration file's directory."""
    section = config.section("ci")
    reader = read or _read_file
    show = display or (lambda p: p.as_posix())
    exceptions: tuple[ExceptionEntry, ...] = ()
    baseline: dict[str, int] | None = None
    if section.get("exceptions_file"):
        path = config.root / section["exceptions_file"]
        data = reader(path)
        if data is None:
            raise ConfigError(f"exceptions file not found: {section['exceptions_file']}")
        exceptions = load_exceptions(data, show(path))
    if section.get("baseline_file"):
        path = config.root / section["baseline_file"]
        data = reader(path)
        baseline = load_baseline(data, show(path)) if data is not None else None
    return Sources(exceptions, baseline)


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def fenced_reader(fence: Path | None) -> TextReader:
    """Reads a finding's file (relative to the cwd) for its inline comments, never through a link
    that leaves `fence` (linter.fence): a refused link is a YAML-005 finding, its target is not read."""
    from linter.fence import refusal

    def read(file: str) -> str | None:
        return None if refusal(Path(file), fence) else _read_text_cwd(file)
    return read


def _read_text_cwd(file: str) -> str | None:
    path = Path(file)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None  # a FIFO or device (already a YAML-005 finding): opening it could block forever
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


# --- applying ------------------------------------------------------------------------------------

def apply_suppressions(findings: Sequence[Finding], documents: Sequence[Document], config: Any, *,
                       today: date, sources: Sources | None = None,
                       known_rules: Collection[str] | None = None) -> tuple[list[Finding], list[Finding],
                                                                              list[Problem]]:
    """(kept, suppressed, new problems): CHG-004 expired exceptions, CHG-005 invalid suppressions."""
    src = sources if sources is not None else sources_from_config(config)
    known = known_rules if known_rules is not None else src.known_rules
    state = _State()
    inline = _inline_index(documents, findings, src, known, state) if src.inline else {}
    annotated = _withhold(_annotation_index(documents, known, state), src.withheld_annotations) \
        if src.inline else {}
    live = _live_exceptions(src.exceptions, today, state)
    budget = Counter(src.baseline or {})
    for f in findings:
        if f.rule_id not in FAIL_CLOSED and _suppressed(f, inline, annotated, live, budget):
            state.suppressed.append(f)
        else:
            state.kept.append(f)
    return state.kept, state.suppressed, state.problems


def _withhold(index: dict[Any, set[str]], withheld: Mapping[Any, Collection[str]]) -> dict[Any, set[str]]:
    for key, rules in withheld.items():
        if key in index:
            index[key] -= set(rules)
    return index


def _suppressed(f: Finding, inline: Mapping[tuple[str, int], set[str]],
                annotated: Mapping[tuple[str, ...], set[str]], live: Sequence[ExceptionEntry],
                budget: Counter[str]) -> bool:
    if f.rule_id in inline.get((f.file, f.line), ()):
        return True
    if f.rule_id in annotated.get(_finding_key(f), ()) or f.rule_id in annotated.get(_finding_key(f, ""), ()):
        return True
    if any(e.matches(f) for e in live):
        return True
    fp = fingerprint(f)
    if budget[fp] > 0:
        budget[fp] -= 1
        return True
    return False


def _inline_index(documents: Sequence[Document], findings: Sequence[Finding], src: Sources,
                  known: Collection[str] | None, state: _State) -> dict[tuple[str, int], set[str]]:
    """(file, line) -> rule ids suppressed there; invalid comments become CHG-005 and cover nothing."""
    read = src.read_text or _read_text_cwd
    sources = [d for d in documents if d.origin is None]
    unmarked = {d.file for d in sources if not d.inline_marks}  # the loader saw no `kubegate:` there
    files = sorted(({d.file for d in sources} | {f.file for f in findings}) - unmarked)
    index: dict[tuple[str, int], set[str]] = {}
    for file in files:
        text = read(file)
        if text is None or "kubegate:" not in text:
            continue
        for item in parse_inline(text, file):
            if (file, item.line) in src.withheld_inline:
                continue  # it exists, and is reported elsewhere, but covers nothing (kubegate ci)
            problem = _invalid(item.rules, item.reason, known)
            if problem:
                state.problems.append(Problem("CHG-005", f"inline suppression {problem}", file, "change",
                                              span=Span.point(item.line, item.column)))
                continue
            index.setdefault((file, item.line), set()).update(item.rules)
            if item.comment_only:
                index.setdefault((file, item.line + 1), set()).update(item.rules)
    return index


def _annotation_index(documents: Sequence[Document], known: Collection[str] | None,
                      state: _State) -> dict[tuple[str, ...], set[str]]:
    """Resource identity (with file, and without it for rendered resources) -> suppressed rule ids."""
    index: dict[tuple[str, ...], set[str]] = {}
    for doc in documents:
        meta = doc.obj.get("metadata") if isinstance(doc.obj, dict) else None
        notes = meta.get("annotations") if isinstance(meta, dict) else None
        if not isinstance(notes, dict) or ANNOTATION not in notes:
            continue
        rules, reason = parse_annotation(notes[ANNOTATION])
        problem = _invalid(rules, reason, known) if rules or reason else "names no rule id"
        if problem:
            state.problems.append(Problem("CHG-005", f"annotation {ANNOTATION} {problem}", doc.file, "change",
                                          doc=doc, path=("metadata", "annotations", ANNOTATION)))
            continue
        index.setdefault(doc_key(doc, doc.file), set()).update(rules)
        if doc.origin is not None:
            index.setdefault(doc_key(doc, ""), set()).update(rules)
    return index


def _invalid(rules: Sequence[str], reason: str, known: Collection[str] | None) -> str:
    if not rules:
        return "names no rule id"
    if any(r.startswith("CHG-") for r in rules):
        # Change-gate findings are about the change itself; the change may not silence them.
        return "names a CHG rule (those can only be excepted in the exceptions file)"
    bad = [r for r in rules if not _RULE_ID.match(r) or not _known(r, known)]
    if bad:
        return f"names unknown rule {', '.join(r for r in bad if _RULE_ID.match(r)) or 'id'}"
    if not reason:
        return "gives no reason"
    return ""


def _known(rule: str, known: Collection[str] | None) -> bool:
    if known is not None:
        return rule in known
    from linter.rules import BUILTIN_RULES

    # Without the run's rule list only built-in families can be checked; policy ids are taken on trust.
    return rule in BUILTIN_RULES or not rule.startswith(_BUILTIN_FAMILIES)


def _live_exceptions(entries: Sequence[ExceptionEntry], today: date, state: _State) -> list[ExceptionEntry]:
    live = []
    for e in entries:
        if e.expires < today:
            state.problems.append(Problem(
                "CHG-004", f"exception for {e.rule} on {e.kind} {e.name} (owner {e.owner}) expired on "
                f"{e.expires.isoformat()}", e.file, "change", span=Span.point(e.line)))
        else:
            live.append(e)
    return live


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def doc_key(doc: Document, file: str) -> tuple[str, ...]:
    return (file, _group(doc.api_version), doc.kind, doc.namespace, doc.name)


def _finding_key(f: Finding, file: str | None = None) -> tuple[str, ...]:
    return (f.file if file is None else file, _group(f.api_version), f.kind, f.namespace, f.name)
