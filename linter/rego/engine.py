"""The Rego engine adapters: the only module in kubegate that imports a Rego engine.

Three engines satisfy one small Protocol and are listed in an explicit registry (`ENGINES`):

- `regorus` (default, embedded, gordon-to-regorus),
- `regopy` (Microsoft rego-cpp, an optional extra),
- `opa` (a remote OPA server, spoken to over its REST API with the standard library).

Every engine is treated as untrusted: anything that is not a well-formed success is an `EngineError`
(rego-cpp answers "undefined" with ok() after a module failed to compile: that is a fail-open gate).
Compile errors are `ConfigError`s naming the policy file and line. Engines are not thread-safe
(regorus raises "unsendable", regopy segfaults), so each engine refuses calls from a foreign thread.

`check_modules` compiles a set of modules with regorus whatever engine runs them: regorus rejects Rego v0
syntax, unsafe variables and rule conflicts with positions, which regopy accepts silently.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from linter.models import ConfigError, EngineError


class _Undefined:
    """The result of a query that has no value (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()


class Engine(Protocol):
    name: str

    def add_policy(self, filename: str, source: str) -> None: ...

    def set_data(self, data: dict[str, Any]) -> None: ...

    def eval_query(self, query: str, input: Any | None = None) -> Any: ...


# --- JSON at the boundary -----------------------------------------------------------------------


def to_json(value: Any) -> str:
    """JSON for an engine. YAML allows `.nan` and `.inf`, JSON does not: they become strings."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# --- error text ---------------------------------------------------------------------------------

_REGORUS_WHERE = re.compile(r"-->\s*(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)")
_REGORUS_ERROR = re.compile(r"^error:\s*(?P<msg>.*)$", re.MULTILINE)
_BACKTICKED = re.compile(r"`[^`]*`")


@dataclass(frozen=True)
class EngineMessage:
    """A parsed engine error: where (policy file, 1-based line and column) and what."""

    file: str
    line: int
    column: int
    text: str

    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.file else "<query>"


def strip_backtrace(text: str) -> str:
    """Drop the Rust backtrace regorus appends when RUST_BACKTRACE is set."""
    return text.split("\nStack backtrace:", 1)[0].strip()


def parse_regorus_error(text: str) -> EngineMessage:
    text = strip_backtrace(text)
    where = _REGORUS_WHERE.search(text)
    error = _REGORUS_ERROR.search(text)
    msg = error.group("msg").strip() if error else (text.splitlines() or ["unknown error"])[-1].strip()
    if not where:
        return EngineMessage("", 0, 0, msg)
    return EngineMessage(where.group("file"), int(where.group("line")), int(where.group("col")), msg)


def scrub_values(text: str) -> str:
    """Keep the first backticked token (a builtin or variable name), hide later ones: runtime errors
    quote the offending value (`count` requires ... Got `<a value from the manifest>`)."""
    seen = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen == 1 else "`<value>`"

    return _BACKTICKED.sub(repl, text)


def _config_error(msg: EngineMessage, filename: str) -> ConfigError:
    col = f" (column {msg.column})" if msg.column else ""
    return ConfigError(f"policy does not compile: {msg.text}{col}", msg.file or filename, msg.line)


def _runtime_error(engine: str, msg: EngineMessage) -> EngineError:
    return EngineError(f"{engine}: policy evaluation failed at {msg.where()}: {scrub_values(msg.text)}")


# --- thread confinement -------------------------------------------------------------------------


class _ThreadBound:
    """Neither embedded engine may be shared across threads (regopy segfaults): refuse politely."""

    name = "engine"

    def __init__(self) -> None:
        self._owner = threading.get_ident()

    def _check_thread(self) -> None:
        if threading.get_ident() != self._owner:
            raise EngineError(f"{self.name}: engine used from a thread that did not create it; "
                              "create one engine per thread or process")


# --- regorus --------------------------------------------------------------------------------------


class RegorusEngine(_ThreadBound):
    name = "regorus"

    def __init__(self) -> None:
        super().__init__()
        self._policies: list[tuple[str, str]] = []
        self._failed = ""
        self._data = "{}"
        self._engine = self._new()
        self._has_input = False

    def _new(self) -> Any:
        import regorus  # type: ignore[import-untyped]

        engine = regorus.Engine()
        engine.set_rego_v0(False)  # Rego v1 only: `deny[msg] {` must not compile
        return engine

    def add_policy(self, filename: str, source: str) -> None:
        self._check_thread()
        try:
            self._engine.add_policy(filename, source)
        except (RuntimeError, ValueError) as exc:
            self._failed = filename  # never evaluate a policy set with a policy missing
            raise _config_error(parse_regorus_error(str(exc)), filename) from None
        self._policies.append((filename, source))

    def set_data(self, data: dict[str, Any]) -> None:
        self._check_thread()
        self._data = to_json(data)
        self._engine.clear_data()
        self._call(lambda: self._engine.add_data_json(self._data))

    def eval_query(self, query: str, input: Any | None = None) -> Any:
        self._check_thread()
        if self._failed:
            raise EngineError(f"regorus: policy {self._failed} failed to compile; refusing to evaluate")
        if input is not None:
            self._call(lambda: self._engine.set_input_json(to_json(input)))
            self._has_input = True
        elif self._has_input:
            self._reset()  # regorus cannot unset input; an input-less query gets a fresh engine
        raw = self._call(lambda: self._engine.eval_query_as_json(query))
        return _single_value(self.name, query, raw)

    def _reset(self) -> None:
        self._engine = self._new()
        for filename, source in self._policies:
            self._engine.add_policy(filename, source)
        self._engine.add_data_json(self._data)
        self._has_input = False

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (RuntimeError, ValueError) as exc:
            raise _runtime_error(self.name, parse_regorus_error(str(exc))) from None


def _single_value(engine: str, query: str, raw: str) -> Any:
    """The value of the last expression of a query's only result (OPA's /v1/query shape)."""
    try:
        answer = json.loads(raw)
    except ValueError:
        raise EngineError(f"{engine}: malformed answer to query {query}") from None
    if answer == {}:  # regorus' "undefined"
        return UNDEFINED
    results = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise EngineError(f"{engine}: malformed answer to query {query}")
    if not results:
        return UNDEFINED
    if len(results) != 1:
        raise EngineError(f"{engine}: query {query} has {len(results)} results, expected one")
    try:
        return results[0]["expressions"][-1]["value"]
    except (KeyError, IndexError, TypeError):
        raise EngineError(f"{engine}: malformed answer to query {query}") from None


# --- check: compile everything with regorus, whatever engine runs it -----------------------------


def parse_v1(filename: str, source: str) -> None:
    """Parse one module as Rego v1 with regorus; ConfigError (file, line) when it does not parse."""
    import regorus

    engine = regorus.Engine()
    engine.set_rego_v0(False)
    try:
        engine.add_policy(filename, source)
    except (RuntimeError, ValueError) as exc:
        raise _config_error(parse_regorus_error(str(exc)), filename) from None


@dataclass(frozen=True)
class RuleHead:
    name: str
    line: int


@dataclass(frozen=True)
class ModuleInfo:
    """What kubegate needs to know about one parsed module."""

    filename: str
    package: tuple[str, ...]
    rules: tuple[RuleHead, ...]


def check_modules(modules: dict[str, str]) -> list[ModuleInfo]:
    """Parse and compile `modules` (filename -> source) as Rego v1; ConfigError on the first problem.

    Compiling (not only parsing) catches unsafe variables and conflicting rules, which regopy accepts
    silently and answers as "undefined". Runtime errors (a builtin on a wrong type) remain EngineErrors.
    """
    engine = RegorusEngine()
    for filename, source in modules.items():
        engine.add_policy(filename, source)
    try:
        engine._engine.eval_query("data.kubegate_compile_check_0e6b")
    except (RuntimeError, ValueError) as exc:
        raise _config_error(parse_regorus_error(str(exc)), "") from None
    modules_ast = json.loads(engine._engine.get_ast_as_json())
    from linter.rego.recursion import reject_recursion  # here: it needs only the AST

    reject_recursion(modules_ast)
    return [_module_info(m) for m in modules_ast]


def _module_info(module: dict[str, Any]) -> ModuleInfo:
    ast = module["ast"]
    package = tuple(_ref_path(ast["package"]["refr"]))
    rules: list[RuleHead] = []
    for rule in ast.get("rules", []):
        body = next(iter(rule.values()))
        head = body.get("head") if isinstance(body, dict) else None
        refr = _head_ref(head)
        if refr is not None:
            path = _ref_path(refr)
            if path:
                rules.append(RuleHead(str(path[0]), int(body["span"]["line"])))
    return ModuleInfo(module["source"]["file"], package, tuple(rules))


def _head_ref(head: Any) -> Any:
    if not isinstance(head, dict):
        return None
    inner = next(iter(head.values()), None)
    return inner.get("refr") if isinstance(inner, dict) else None


def _ref_path(refr: dict[str, Any]) -> list[str]:
    """`a.b["c"]` as ["a", "b", "c"] from regorus' AST (Var / RefDot / RefBrack nodes)."""
    kind, node = next(iter(refr.items()))
    if kind == "Var":
        return [str(node["value"])]
    if kind == "RefDot":
        return [*_ref_path(node["refr"]), str(node["field"][1])]
    if kind == "RefBrack":
        index = node["index"]
        key_kind, key = next(iter(index.items()))
        return [*_ref_path(node["refr"]), str(key.get("value")) if key_kind == "String" else "?"]
    return []


# --- regopy ---------------------------------------------------------------------------------------

_REGOPY_ERROR = re.compile(r"\(error \d+:(?P<file>[^|]*)\|(?P<offset>\d+)\|\d+")
_REGOPY_MSG = re.compile(r"\(errormsg \d+:(?P<msg>[^)\n]*)")


class RegopyEngine(_ThreadBound):
    name = "regopy"

    def __init__(self) -> None:
        super().__init__()
        try:
            import regopy  # type: ignore[import-untyped]
        except ImportError:
            raise ConfigError("engine 'regopy' is not installed: pip install 'kubegate[regopy]'") from None
        self._regopy = regopy
        self._policies: list[tuple[str, str]] = []
        self._failed = ""
        self._data_set = False
        self._interp = self._new()

    def _new(self) -> Any:
        interp = self._regopy.Interpreter()
        # Otherwise rego-cpp prints error text to stdout. (regopy.set_default_log_level aborts the
        # process when called twice: use the per-interpreter level only.)
        interp.log_level = self._regopy.LogLevel.NONE
        # Builtin errors become errors instead of "undefined" (count(5) would silently pass).
        interp.strict_built_in_errors = True
        return interp

    def add_policy(self, filename: str, source: str) -> None:
        self._check_thread()
        # A failed module must poison the engine: rego-cpp answers later queries "undefined" with ok(),
        # and any engine would evaluate the remaining policies as if the failed one passed.
        self._failed = filename
        parse_v1(filename, source)  # rego-cpp accepts v0 syntax (`deny[msg] {`) as a partial object
        try:
            self._interp.add_module(filename, source)
        except self._regopy.RegoError as exc:
            raise _config_error(_regopy_message(str(exc), {filename: source}), filename) from None
        self._failed = ""
        self._policies.append((filename, source))

    def set_data(self, data: dict[str, Any]) -> None:
        self._check_thread()
        if self._data_set:  # rego-cpp only merges data: start over so old data cannot linger
            self._interp = self._new()
            for filename, source in self._policies:
                self._interp.add_module(filename, source)
        self._call(lambda: self._interp.add_data_json(to_json(data)))
        self._data_set = True

    def eval_query(self, query: str, input: Any | None = None) -> Any:
        self._check_thread()
        if self._failed:
            raise EngineError(f"regopy: policy {self._failed} failed to compile; refusing to evaluate")
        self._call(lambda: self._interp.set_input(_finite(input) if input is not None else {}))
        output = self._call(lambda: self._interp.query(query))
        if not output.ok():
            # Never read a failed output: regopy 1.5's str()/node() on it can segfault.
            raise EngineError(f"regopy: query {query} failed inside rego-cpp (no safe error detail); "
                              "run the same policies with --engine regorus to see the error")
        return _regopy_value(query, str(output))

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except self._regopy.RegoError as exc:
            raise _runtime_error(self.name, _regopy_message(str(exc), dict(self._policies))) from None
        except ValueError:  # regopy 1.5 builds an Output from an empty string when rego-cpp fails
            raise EngineError("regopy: the evaluation failed inside rego-cpp (no readable error); run the "
                              "same policies with --engine regorus to see the error") from None


def _regopy_message(text: str, sources: dict[str, str]) -> EngineMessage:
    """rego-cpp reports byte offsets: turn them into line and column."""
    where = _REGOPY_ERROR.search(text)
    what = _REGOPY_MSG.search(text)
    msg = what.group("msg").strip() if what else "unknown error"
    if not where:
        return EngineMessage("", 0, 0, msg)
    filename, offset = where.group("file"), int(where.group("offset"))
    source = sources.get(filename)
    if source is None:
        return EngineMessage(filename, 0, 0, msg)
    before = source.encode()[:offset].decode(errors="replace")
    line = before.count("\n") + 1
    return EngineMessage(filename, line, len(before) - (before.rfind("\n") + 1) + 1, msg)


def _regopy_value(query: str, text: str) -> Any:
    if text.strip() == "undefined":
        return UNDEFINED
    try:
        parsed = json.loads(text)
    except ValueError:
        raise EngineError(f"regopy: malformed answer to query {query}") from None
    if isinstance(parsed, list):
        if len(parsed) != 1:
            raise EngineError(f"regopy: query {query} has {len(parsed)} results, expected one")
        parsed = parsed[0]
    try:
        return parsed["expressions"][-1]
    except (KeyError, IndexError, TypeError):
        raise EngineError(f"regopy: malformed answer to query {query}") from None


# --- OPA server -----------------------------------------------------------------------------------

_DATA_REF = re.compile(r"data((?:\.[A-Za-z_][A-Za-z0-9_]*)*)")
OPA_TOKEN_ENV = "KUBEGATE_OPA_TOKEN"


class OpaEngine:
    """A remote OPA server over its REST API (PUT /v1/policies, PUT /v1/data, POST /v1/data).

    Policies are uploaded under ids prefixed with this engine's own prefix. The bearer token comes from
    the environment ($KUBEGATE_OPA_TOKEN) and never appears in a message.
    """

    name = "opa"

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"invalid OPA URL {_safe_url(url)!r}: expected http(s)://host:port")
        self._base = url.rstrip("/")
        self._token = token if token is not None else os.environ.get(OPA_TOKEN_ENV)
        self._timeout = timeout
        self._prefix = f"kubegate-{os.getpid()}-{id(self):x}"
        self._ids: list[str] = []
        self._failed = ""

    def add_policy(self, filename: str, source: str) -> None:
        self._failed = filename  # never evaluate a policy set with a policy missing
        parse_v1(filename, source)  # the same syntax verdict and positions as the embedded engines
        # A plain id: OPA's router cleans `//` and encoded slashes out of paths.
        policy_id = f"{self._prefix}/{len(self._ids)}-{re.sub(r'[^A-Za-z0-9._-]+', '_', filename)[-80:]}"
        path = "/v1/policies/" + policy_id
        status, body = self._request("PUT", path, source.encode(), "text/plain")
        if status == 400:
            raise _opa_compile_error(body, filename, policy_id)
        self._expect_ok(status, body, "PUT", path)
        self._failed = ""
        self._ids.append(policy_id)

    def set_data(self, data: dict[str, Any]) -> None:
        # One PUT per top-level key: replacing the whole of `data` would erase other users' documents.
        for key, value in data.items():
            path = "/v1/data/" + urllib.parse.quote(str(key), safe="")
            status, body = self._request("PUT", path, to_json(value).encode(), "application/json")
            self._expect_ok(status, body, "PUT", path)

    def eval_query(self, query: str, input: Any | None = None) -> Any:
        if self._failed:
            raise EngineError(f"opa: policy {self._failed} failed to upload; refusing to evaluate")
        ref = _DATA_REF.fullmatch(query.strip())
        if ref is None:
            raise EngineError(f"opa: only data references can be queried on a server, not {query!r}")
        path = "/v1/data" + ref.group(1).replace(".", "/")
        payload = "{}" if input is None else '{"input":' + to_json(input) + "}"
        status, body = self._request("POST", path, payload.encode(), "application/json")
        self._expect_ok(status, body, "POST", path)
        try:
            answer = json.loads(body)
        except ValueError:
            raise EngineError(f"opa: malformed answer from {self._safe()}{path}") from None
        if not isinstance(answer, dict):
            raise EngineError(f"opa: malformed answer from {self._safe()}{path}")
        return answer.get("result", UNDEFINED)

    def close(self) -> None:
        """Remove this engine's policies from the server (best effort)."""
        for policy_id in self._ids:
            try:
                self._request("DELETE", "/v1/policies/" + policy_id, None, "")
            except EngineError:
                pass
        self._ids.clear()

    def _request(self, method: str, path: str, body: bytes | None, ctype: str) -> tuple[int, bytes]:
        import urllib.error  # the HTTP stack costs ~10 ms of start-up; only the OPA engine needs it
        import urllib.request

        req = urllib.request.Request(self._base + path, data=body, method=method)
        if ctype:
            req.add_header("Content-Type", ctype)
        if self._token:
            req.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise EngineError(f"opa: cannot reach the OPA server at {self._safe()} ({reason}); start it with "
                              "`opa run --server` or fix the OPA URL") from None

    def _expect_ok(self, status: int, body: bytes, method: str, path: str) -> None:
        if 200 <= status < 300:
            return
        hint = {401: "check $" + OPA_TOKEN_ENV, 403: "check $" + OPA_TOKEN_ENV + " and the server's authz"}
        code = _opa_code(body)
        extra = f"; {hint[status]}" if status in hint else ""
        raise EngineError(f"opa: {method} {self._safe()}{path} failed with HTTP {status}"
                          f"{f' ({code})' if code else ''}{extra}")

    def _safe(self) -> str:
        return _safe_url(self._base)


def _safe_url(url: str) -> str:
    """The URL without credentials or query string (a token may hide in either)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _opa_code(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    return str(answer.get("code", "")) if isinstance(answer, dict) else ""


def _opa_compile_error(body: bytes, filename: str, policy_id: str) -> ConfigError:
    try:
        errors = json.loads(body).get("errors") or [{}]
        first = errors[0]
        line = int(first.get("location", {}).get("row", 0))
        msg = str(first.get("message", "")) or "rejected by the OPA server"
    except (ValueError, AttributeError, TypeError):
        line, msg = 0, "rejected by the OPA server"
    return ConfigError(f"policy does not compile: {msg.replace(policy_id, filename)}", filename, line)


# --- registry -------------------------------------------------------------------------------------


def _make_opa(opa_url: str | None) -> Engine:
    if not opa_url:
        raise ConfigError("engine 'opa' needs the OPA server URL (--opa-url)")
    return OpaEngine(opa_url)


ENGINES: dict[str, Callable[[str | None], Engine]] = {
    "regorus": lambda _url: RegorusEngine(),
    "regopy": lambda _url: RegopyEngine(),
    "opa": _make_opa,
}


def make_engine(name: str, *, opa_url: str | None = None) -> Engine:
    factory = ENGINES.get(name)
    if factory is None:
        raise ConfigError(f"unknown Rego engine {name!r} (expected one of: {', '.join(ENGINES)})")
    return factory(opa_url)
