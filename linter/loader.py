"""Load YAML/JSON files into `Document`s as the Kubernetes API server would decode them.

Pipeline per file: size cap -> NUL/UTF-8 check -> nesting guard (before the C composer, which segfaults
on very deep input) -> compose each document with ruamel's C parser (pure-Python fallback for files
only the pure composer accepts, such as a re-defined anchor) -> build plain data with go-yaml v2 scalar
semantics while capping aliases and expanded size -> expand `kind: List` -> Flux setter markers.

Positions are lazy: a Document's locator re-composes its file (from memory or by re-reading it) on
first use and walks the node tree; documents without findings never pay for it. Workers of `load_many`
return plain picklable data and the parent attaches the locators.
"""

from __future__ import annotations

import gc
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.reader import ReaderError

from linter.fence import refusal
from linter.models import DocPath, Document, Location, Problem, Severity, Span, json_pointer
from linter.yamlload import compose, guards, locate
from linter.yamlload.construct import Budget, Builder, BuildError, Note

# Parallel parsing pays only when there is enough to parse to amortise worker start-up and pickling.
PARALLEL_MIN_BYTES = 256 * 1024
PARALLEL_MIN_FILES = 8


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 16 * 1024 * 1024
    max_depth: int = 200  # nesting depth, enforced BEFORE the C loader sees the bytes
    # Alias uses per file. Real fleets use a few anchors per document; bombs are stopped by
    # max_expanded_nodes, which counts what the aliases would expand to.
    max_aliases: int = 100_000
    max_expanded_nodes: int = 2_000_000  # nodes after alias expansion (alias-bomb guard)
    # Nodes of one document as written, counted on parser events before any node tree is built
    # (~350 bytes a node while composing: a document at this limit peaks near 180 MB RSS). The
    # largest real manifests seen (CRD bundles) have a few 10k.
    max_nodes: int = 200_000
    max_documents: int = 100_000


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- plain, picklable results (what a worker process sends back) ---------------------------------
SpanTuple = tuple[int, int, int, int]


@dataclass(frozen=True)
class _PlainDoc:
    index: int
    obj: Any
    span: SpanTuple
    base_path: DocPath
    comments: list[dict[str, Any]]


@dataclass(frozen=True)
class _PlainProblem:
    rule_id: str
    message: str
    span: SpanTuple
    doc: int = -1  # position in _PlainFile.docs
    path: DocPath = ()
    key: bool = False
    warning: bool = False


@dataclass(frozen=True)
class _PlainFile:
    file: str
    docs: list[_PlainDoc]
    problems: list[_PlainProblem]
    pure: bool = False  # positions must be recomposed with the pure-Python composer
    inline_marks: bool = True  # the text holds `kubegate:` (an inline suppression may be there)


def parser_info() -> dict[str, str]:
    """Which YAML implementation is in use, for `--version` and debug output."""
    info = {"yaml": f"ruamel.yaml {_version('ruamel.yaml')}", "c_loader": "yes" if compose.C_LOADER else "no"}
    if compose.C_LOADER:
        info["clib"] = f"ruamel.yaml.clib {_version('ruamel.yaml.clib')}"
    return info


def _version(dist: str) -> str:
    from importlib import metadata  # only --version needs it; 14 ms of start-up otherwise

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


# --- public API -----------------------------------------------------------------------------------
def load_bytes(data: bytes, file: str, limits: Limits = Limits()) -> LoadResult:
    return _rebuild(_parse(data, file, limits), _Source(file, data=data), limits)


def read_capped(handle: BinaryIO, max_bytes: int) -> bytes:
    """At most `max_bytes + 1` bytes of a stream (one past the cap tells the loader it is too big);
    read in chunks so a pipe that delivers little at a time is still read to the cap or its end."""
    chunks: list[bytes] = []
    left = max_bytes + 1
    while left > 0:
        chunk = handle.read(min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def load_file(path: Path, file: str, limits: Limits = Limits(), fence: Path | None = None) -> LoadResult:
    """`file` is the display path used in Documents and Problems; a symbolic link is followed only to
    a file inside `fence` (see linter.fence)."""
    return _rebuild(_parse_path(path, file, limits, fence), _Source(file, path=path), limits)


def load_many(items: Sequence[tuple[Path, str]], limits: Limits, jobs: int = 0,
              fence: Path | None = None) -> LoadResult:
    """Load (path, display path) pairs in order; parse in worker processes when it pays."""
    jobs = _jobs(items, jobs)
    plains = _parse_parallel(items, limits, jobs, fence) if jobs > 1 else None
    if plains is None:
        plains = [_parse_path(path, file, limits, fence) for path, file in items]
    result = LoadResult()
    for plain, (path, file) in zip(plains, items):
        one = _rebuild(plain, _Source(file, path=path), limits)
        result.documents.extend(one.documents)
        result.problems.extend(one.problems)
    return result


# --- parallelism ------------------------------------------------------------------------------------
def _jobs(items: Sequence[tuple[Path, str]], jobs: int) -> int:
    if jobs != 0:
        return max(1, jobs)
    from linter.forking import cores

    cpus = cores()
    if cpus < 2 or len(items) < PARALLEL_MIN_FILES:
        return 1
    return cpus if _total_bytes(items) >= PARALLEL_MIN_BYTES else 1


def _total_bytes(items: Sequence[tuple[Path, str]]) -> int:
    total = 0
    for path, _file in items:
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


def _parse_parallel(items: Sequence[tuple[Path, str]], limits: Limits, jobs: int,
                    fence: Path | None = None) -> list[_PlainFile] | None:
    """This process parses one share and forked children the others (they inherit `items`).
    Interleaved shares balance big and small files; order is restored by index."""
    from linter.forking import WorkerError, can_fork, fork_map

    if not can_fork():
        return None
    shares = [list(range(i, len(items), jobs)) for i in range(jobs)]

    def parse_share(k: int) -> list[_PlainFile]:
        return [_parse_path(items[i][0], items[i][1], limits, fence) for i in shares[k]]

    try:
        parts = fork_map(parse_share, jobs)
    except (WorkerError, OSError):
        return None  # no workers here (sandbox, resource limits): parse in-process instead
    out: list[_PlainFile | None] = [None] * len(items)
    for share, plains in zip(shares, parts):
        for i, plain in zip(share, plains):
            out[i] = plain
    return [p for p in out if p is not None] if all(p is not None for p in out) else None


# --- parsing into plain data --------------------------------------------------------------------
def _parse_path(path: Path, file: str, limits: Limits, fence: Path | None = None) -> _PlainFile:
    why = refusal(path, fence)
    if why:
        return _refused(file, "YAML-005", f"file not read: {why}")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # A FIFO blocks open() forever and a device never ends: refuse before opening.
            return _refused(file, "YAML-005", "not a regular file (a FIFO, socket or device): nothing was checked")
        if info.st_size > limits.max_file_bytes:
            return _refused(file, "YAML-003", _too_big(limits))
        with path.open("rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        return _refused(file, "YAML-005", f"file could not be read ({type(exc).__name__})")
    return _parse(data, file, limits)


def _too_big(limits: Limits, file: str = "") -> str:
    what = "standard input" if file == "-" else "file"
    return f"{what} is larger than the {limits.max_file_bytes} byte limit (limits.max_file_bytes)"


def _refused(file: str, rule_id: str, message: str, line: int = 1, column: int = 1) -> _PlainFile:
    return _PlainFile(file, [], [_PlainProblem(rule_id, message, (line, column, line, column))])


@contextmanager
def gc_paused() -> Iterator[None]:
    """Node trees and documents are millions of small acyclic objects; the cyclic collector would
    rescan the growing heap again and again (measured: 10k documents 3x slower). Pause it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse(data: bytes, file: str, limits: Limits) -> _PlainFile:
    with gc_paused():
        return _parse_text(data, file, limits)


def _parse_text(data: bytes, file: str, limits: Limits) -> _PlainFile:
    if len(data) > limits.max_file_bytes:
        return _refused(file, "YAML-003", _too_big(limits, file))
    text = guards.decode(data)
    if isinstance(text, guards.Refusal):
        return _refused(file, text.rule_id, text.message, text.line, text.column)
    max_depth = min(limits.max_depth, guards.HARD_MAX_DEPTH)
    refusal = _guard_refusal(text, max_depth, limits.max_nodes)
    if refusal is not None:
        return _refused(file, refusal.rule_id, refusal.message, refusal.line, refusal.column)
    return _compose_and_build(text, file, limits, max_depth)


def _guard_refusal(text: str, max_depth: int, max_nodes: int) -> guards.Refusal | None:
    depth_safe = guards.depth_bound_is_safe(text)
    if depth_safe and guards.node_bound_is_safe(text, max_nodes):
        return None  # the builder enforces the exact depth; the C composer is safe at this depth and size
    try:
        where = compose.exact_limits(text, guards.HARD_MAX_DEPTH if depth_safe else max_depth, max_nodes)
    except (YAMLError, RecursionError):
        return None  # a syntax error comes before any dangerous depth or size; the parse reports it
    if where is None:
        return None
    what, line, column = where
    message = (f"nesting is deeper than {max_depth} levels" if what == "depth" else
               f"a document has more than {max_nodes} nodes (keys, values and items; limits.max_nodes)")
    return guards.Refusal("YAML-003", message, line + 1, column + 1)


def _compose_and_build(text: str, file: str, limits: Limits, max_depth: int) -> _PlainFile:
    try:
        return _FileBuilder(text, file, limits, max_depth, pure=False).run()
    except (YAMLError, RecursionError) as first:
        if compose.C_LOADER:
            try:  # the C composer rejects some valid files (an anchor defined twice): retry in pure Python
                return _FileBuilder(text, file, limits, max_depth, pure=True).run()
            except BuildError as exc:
                return _build_error(file, exc)
            except Exception:  # noqa: BLE001 - any pure-parser failure: report the C parser's error
                return _error_file(text, file, first)
        return _error_file(text, file, first)
    except BuildError as exc:
        return _build_error(file, exc)


def _build_error(file: str, exc: BuildError) -> _PlainFile:
    mark = exc.node.start_mark
    return _refused(file, exc.rule_id, exc.message, mark.line + 1, mark.column + 1)


def _error_file(text: str, file: str, error: YAMLError | RecursionError) -> _PlainFile:
    if isinstance(error, RecursionError):
        return _refused(file, "YAML-003", "nesting is too deep to parse")
    if isinstance(error, ReaderError):
        line, column = guards.char_position(text, error.position)
        return _refused(file, "YAML-005", "file contains a character that is not allowed in YAML", line, column)
    message, line, column = compose.describe(error)
    template = _template_line(text, line)
    if template:
        return _refused(file, "YAML-004", "file is a Helm/Go template; render it first", template, 1)
    return _refused(file, "YAML-001", f"YAML syntax error: {message}", line, column)


def _template_line(text: str, error_line: int) -> int:
    """The error's line when it holds `{{`: a template, not a typo."""
    if "{{" not in text:
        return 0
    lines = text.split("\n")
    return error_line if 1 <= error_line <= len(lines) and "{{" in lines[error_line - 1] else 0


class _FileBuilder:
    """Builds one file's documents, notes and markers; raises on the first fatal error."""

    def __init__(self, text: str, file: str, limits: Limits, max_depth: int, pure: bool) -> None:
        self.text, self.file, self.limits, self.pure = text, file, limits, pure
        self.max_depth = max_depth
        self.budget = Budget(max_depth, limits.max_aliases, limits.max_expanded_nodes)
        self.markers = locate.marker_lines(text) if "$imagepolicy" in text else {}
        self.docs: list[_PlainDoc] = []
        self.problems: list[_PlainProblem] = []

    def run(self) -> _PlainFile:
        templated = "{{" in self.text
        escapes = "\\u" in self.text or "\\U" in self.text
        for index, root in enumerate(compose.documents(self.text, self.pure, self.max_depth)):
            if index >= self.limits.max_documents:
                raise BuildError("YAML-003", f"more than {self.limits.max_documents} documents", root)
            builder = Builder(self.budget, templated, escapes)
            obj = builder.build(root)
            if obj is not None:  # empty and comment-only documents are dropped silently
                self._add(index, root, obj, builder.notes)
        return _PlainFile(self.file, self.docs, self.problems, self.pure, "kubegate:" in self.text)

    def _add(self, index: int, root: Node, obj: Any, notes: list[Note]) -> None:
        items = _list_items(root, obj)
        comments = self._comments(root)
        first = len(self.docs)
        if items is None:
            self.docs.append(_PlainDoc(index, obj, _span(root), (), comments))
        else:
            for i, item_node in enumerate(items):
                base = ("items", i)
                mine = [_relative(c, base) for c in comments if _under(c["path"], base)]
                self.docs.append(_PlainDoc(index, obj["items"][i], _span(item_node), base, mine))
        if notes:
            self._notes(root, notes, first, items is not None)

    def _comments(self, root: Node) -> list[dict[str, Any]]:
        if not self.markers:
            return []
        wanted = {ln for ln in self.markers if root.start_mark.line <= ln <= root.end_mark.line}
        if not wanted:
            return []
        found = locate.scalars_on_lines(root, wanted)
        return [
            {"path": list(found[ln]), "line": ln + 1, "marker": self.markers[ln][0], "field": self.markers[ln][1]}
            for ln in sorted(found)
        ]

    def _notes(self, root: Node, notes: list[Note], first: int, is_list: bool) -> None:
        paths = locate.paths_of(root, {id(n.node) for n in notes})
        for note in notes:
            path = paths.get(id(note.node), ())
            doc = first
            if is_list and len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
                doc, path = first + path[1], path[2:]
            where = json_pointer(path) or "the document root"
            what = "mapping key" if note.key and note.rule_id != "YAML-002" else "plain scalar"
            message = _NOTE_MESSAGES[note.rule_id].format(where=where, what=what)
            self.problems.append(_PlainProblem(
                note.rule_id, message, _span(note.node),
                doc, path, note.key, warning=note.rule_id in _WARNING_NOTES))


_WARNING_NOTES = frozenset({"YAML-006", "YAML-007"})
_NOTE_MESSAGES = {
    "YAML-009": "a \\u escape in the string at {where} is a lone UTF-16 surrogate, not a character: "
                "Kubernetes' YAML decoder rejects it and a JSON decoder silently makes it U+FFFD "
                "(checked here as U+FFFD)",
    "YAML-002": "duplicate mapping key {where}: Kubernetes rejects a mapping that repeats a key",
    "YAML-006": "{what} at {where} is a boolean to Kubernetes (YAML 1.1) but a string to YAML 1.2 "
                "tools; quote it if you mean a string, or write true/false",
    "YAML-007": "{what} at {where} is an octal number to Kubernetes (YAML 1.1) but decimal to "
                "YAML 1.2 tools; write it with 0o or in decimal, or quote it",
}


def _list_items(root: Node, obj: Any) -> list[Node] | None:
    """Item nodes of a `kind: List` (or `*List`) document, which kubectl applies item by item."""
    if not isinstance(obj, dict) or not isinstance(obj.get("items"), list):
        return None
    kind = obj.get("kind")
    if not isinstance(kind, str) or not kind.endswith("List") or not isinstance(obj.get("apiVersion"), str):
        return None
    found = locate.child(root, "items")
    if found is None or not isinstance(found[1], SequenceNode):
        return None
    return list(found[1].value)


def _under(path: list[Any], base: DocPath) -> bool:
    return tuple(path[: len(base)]) == base


def _relative(comment: dict[str, Any], base: DocPath) -> dict[str, Any]:
    return {**comment, "path": comment["path"][len(base):]}


def _span(node: Node) -> SpanTuple:
    s = locate.span(node)
    return s.line, s.column, s.end_line, s.end_column


# --- rebuilding Documents with lazy locators ---------------------------------------------------------
class _Source:
    """A file's bytes: kept in memory (load_bytes) or re-read on first use (load_file, load_many)."""

    def __init__(self, file: str, data: bytes | None = None, path: Path | None = None) -> None:
        self.file, self._data, self._path = file, data, path

    def text(self, limit: int) -> str | None:
        data = self._data
        if data is None and self._path is not None:
            try:
                with self._path.open("rb") as handle:
                    data = handle.read(limit + 1)
            except OSError:
                return None
        decoded = guards.decode(data) if data is not None else None
        return decoded if isinstance(decoded, str) else None


class _FileNodes:
    """The node trees (with marks) of one file, composed on first use and cached."""

    def __init__(self, source: _Source, pure: bool, limits: Limits) -> None:
        self.source, self.pure, self.limits = source, pure, limits
        self._roots: list[Node] | None = None

    def root(self, index: int) -> Node | None:
        if self._roots is None:
            with gc_paused():
                self._roots = self._compose()
        return self._roots[index] if index < len(self._roots) else None

    def release(self) -> None:
        self._roots = None

    def _compose(self) -> list[Node]:
        text = self.source.text(self.limits.max_file_bytes)
        roots: list[Node] = []
        if text is None:
            return roots
        depth = min(self.limits.max_depth, guards.HARD_MAX_DEPTH)
        try:  # the file parsed before; if it changed since, keep what still composes
            roots.extend(compose.documents(text, self.pure, depth))
        except Exception:  # noqa: BLE001 - the file changed or broke since: keep what composed
            return roots
        return roots


@dataclass(frozen=True)
class _DocLocator:
    nodes: _FileNodes
    file: str
    index: int
    span: Span

    def __call__(self, path: DocPath, key: bool = False) -> Location:
        root = self.nodes.root(self.index)
        if root is None or not isinstance(root, (MappingNode, SequenceNode)) and path:
            return Location(self.file, self.span, not path)
        where, exact = locate.walk(root, tuple(path), key)
        return Location(self.file, where, exact)

    def release(self) -> None:
        self.nodes.release()


def _rebuild(plain: _PlainFile, source: _Source, limits: Limits) -> LoadResult:
    nodes = _FileNodes(source, plain.pure, limits)
    docs = [
        Document(plain.file, d.index, d.obj, Span(*d.span),
                 locator=_DocLocator(nodes, plain.file, d.index, Span(*d.span)),
                 base_path=d.base_path, comments=d.comments, inline_marks=plain.inline_marks)
        for d in plain.docs
    ]
    problems = [
        Problem(p.rule_id, p.message, plain.file, "parse", doc=docs[p.doc] if p.doc >= 0 else None,
                path=p.path, key=p.key, span=Span(*p.span),
                severity=Severity.WARNING if p.warning else None)
        for p in plain.problems
    ]
    return LoadResult(docs, problems)

