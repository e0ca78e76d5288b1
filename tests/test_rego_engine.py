"""The engine adapters: compile errors with positions, v1 only, fail-closed results, thread confinement,
and the OPA REST adapter over real HTTP (tests/opa_fake_server.py)."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest

from linter.models import ConfigError, EngineError
from linter.rego.engine import ENGINES, UNDEFINED, make_engine, parse_regorus_error, scrub_values
from tests.opa_fake_server import serve

EMBEDDED = ["regorus", "regopy"]
GOOD = 'package t\n\nimport rego.v1\n\ndeny contains "pod" if input.kind == "Pod"\n'


@pytest.mark.parametrize("engine", EMBEDDED)
@pytest.mark.parametrize(
    ("source", "line"),
    [
        ('package t\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n', 6),  # syntax error
        ('package t\n\ndeny[msg] {\n  msg := "x"\n}\n', 3),  # Rego v0 head: `if` is required
        ('package t\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == "Pod\n}\n', 6),
    ],
)
def test_compile_error_names_file_and_line(engine: str, source: str, line: int) -> None:
    eng = make_engine(engine)
    with pytest.raises(ConfigError) as err:
        eng.add_policy("policies/bad.rego", source)
    assert (err.value.file, err.value.line) == ("policies/bad.rego", line)
    assert "Stack backtrace" not in str(err.value)


def test_backtrace_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    with pytest.raises(ConfigError) as err:
        make_engine("regorus").add_policy("b.rego", "package b\n\ndeny[x] { x := 1 }\n")
    assert "backtrace" not in str(err.value).lower() and "b.rego:3" in str(err.value)


@pytest.mark.parametrize("engine", EMBEDDED)
@pytest.mark.parametrize(
    ("query", "input", "expected"),
    [
        ("data.t.deny", {"kind": "Pod"}, ["pod"]),
        ("data.t.deny", {"kind": "Service"}, []),
        ("data.t.missing", {"kind": "Pod"}, UNDEFINED),
        ("data.params.x", None, 3),
    ],
)
def test_eval_returns_plain_json(engine: str, query: str, input: Any, expected: Any) -> None:
    eng = make_engine(engine)
    eng.add_policy("t.rego", GOOD)
    eng.set_data({"params": {"x": 3}})
    assert eng.eval_query(query, input) == expected
    assert (eng.eval_query(query, input) is UNDEFINED) == (expected is UNDEFINED)


@pytest.mark.parametrize("engine", EMBEDDED)
def test_set_data_replaces_previous_data(engine: str) -> None:
    eng = make_engine(engine)
    eng.add_policy("t.rego", GOOD)
    eng.set_data({"params": {"x": 1}})
    eng.set_data({"params": {"y": 2}})
    assert eng.eval_query("data.params") == {"y": 2}


@pytest.mark.parametrize("engine", EMBEDDED)
def test_runtime_error_is_engine_error_without_values(engine: str) -> None:
    eng = make_engine(engine)
    eng.add_policy("t.rego", "package t\n\nimport rego.v1\n\nx := count(input.secret)\n")
    with pytest.raises(EngineError) as err:
        eng.eval_query("data.t.x", {"secret": 4711})
    assert "4711" not in str(err.value)


@pytest.mark.parametrize("engine", EMBEDDED)
def test_engine_is_poisoned_after_a_failed_module(engine: str) -> None:
    """rego-cpp answers "undefined" with ok() after a failed module: that would be a silent pass."""
    eng = make_engine(engine)
    eng.add_policy("t.rego", GOOD)
    with pytest.raises(ConfigError):
        eng.add_policy("bad.rego", "package bad\n\nimport rego.v1\n\nx := \n")
    with pytest.raises(EngineError):
        eng.eval_query("data.t.deny", {"kind": "Pod"})


@pytest.mark.parametrize("engine", EMBEDDED)
def test_engine_refuses_foreign_thread(engine: str) -> None:
    box = [make_engine(engine)]
    errors: list[str] = []

    def use() -> None:
        try:
            box[0].eval_query("data.t.deny", {})
        except EngineError as exc:
            errors.append(str(exc))  # not the exception: its traceback would keep `eng` in a cycle

    worker = threading.Thread(target=use)
    worker.start()
    worker.join()
    assert len(errors) == 1
    box.clear()
    gc.collect()  # drop any cycle here, not in some other thread (regorus refuses that)


def test_unknown_engine_lists_valid_ones() -> None:
    with pytest.raises(ConfigError) as err:
        make_engine("conftest")
    assert all(name in str(err.value) for name in ENGINES)


def test_nan_in_input_does_not_break_json() -> None:
    eng = make_engine("regorus")
    eng.add_policy("t.rego", "package t\n\nimport rego.v1\n\nv := input.v\n")
    assert eng.eval_query("data.t.v", {"v": float("nan")}) == "nan"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\n--> a.rego:3:11\n  |\nerror: `if` keyword is required\n\nStack backtrace:\n 0: x", ("a.rego", 3, 11)),
        ("something odd", ("", 0, 0)),
    ],
)
def test_parse_regorus_error(text: str, expected: tuple[str, int, int]) -> None:
    msg = parse_regorus_error(text)
    assert (msg.file, msg.line, msg.column) == expected


def test_scrub_values_keeps_builtin_name_only() -> None:
    assert scrub_values("`count` requires array argument. Got `hunter2`.") == \
        "`count` requires array argument. Got `<value>`."


# --- OPA over HTTP ---------------------------------------------------------------------------------


def test_opa_round_trip() -> None:
    with serve() as (url, opa):
        eng = make_engine("opa", opa_url=url)
        eng.add_policy("/repo/policies/t.rego", GOOD)
        eng.set_data({"params": {"x": 3}})
        assert eng.eval_query("data.t.deny", {"kind": "Pod"}) == ["pod"]
        assert eng.eval_query("data.t.missing", {"kind": "Pod"}) is UNDEFINED
        assert eng.eval_query("data.params.x") == 3
        assert ("PUT", "/v1/data/params") in opa.requests()


def test_opa_compile_error_names_file_and_line() -> None:
    with serve() as (url, _opa):
        eng = make_engine("opa", opa_url=url)
        with pytest.raises(ConfigError) as err:
            eng.add_policy("p/bad.rego", "package bad\n\nimport rego.v1\n\nx := )\n")
        assert (err.value.file, err.value.line) == ("p/bad.rego", 5)


def test_opa_compile_error_reported_by_server() -> None:
    """A module that parses but does not compile (unsafe variable) is rejected by the server's 400."""
    with serve() as (url, _opa):
        eng = make_engine("opa", opa_url=url)
        with pytest.raises(ConfigError) as err:
            eng.add_policy("p/unsafe.rego", "package u\n\nimport rego.v1\n\ny if {\n  z == 1\n}\n")
        assert (err.value.file, err.value.line) == ("p/unsafe.rego", 6)


def test_opa_token_is_sent_and_never_printed() -> None:
    with serve(token="s3cr3t-token") as (url, _opa):
        make_engine("opa", opa_url=url)  # no token: the server says 401
        from linter.rego.engine import OpaEngine

        with pytest.raises(EngineError) as err:
            OpaEngine(url, token="wrong").add_policy("t.rego", GOOD)
        assert "401" in str(err.value) and "wrong" not in str(err.value)
        good = OpaEngine(url, token="s3cr3t-token")
        good.add_policy("t.rego", GOOD)
        assert good.eval_query("data.t.deny", {"kind": "Pod"}) == ["pod"]


@pytest.mark.parametrize("status", [500, 503])
def test_opa_http_error_is_engine_error(status: int) -> None:
    with serve(fail_status=status) as (url, _opa):
        with pytest.raises(EngineError) as err:
            make_engine("opa", opa_url=url).eval_query("data.t.deny", {})
        assert f"HTTP {status}" in str(err.value) and url in str(err.value)


def test_opa_unreachable_is_engine_error_without_credentials() -> None:
    with serve() as (url, _opa):
        port = url.rsplit(":", 1)[1]
    dead = f"http://user:pw@127.0.0.1:{port}/?token=abc"
    with pytest.raises(EngineError) as err:
        make_engine("opa", opa_url=dead).eval_query("data.t.deny", {})
    text = str(err.value)
    assert f"127.0.0.1:{port}" in text and "pw" not in text and "abc" not in text and "opa run" in text


@pytest.mark.parametrize("url", [None, "", "ftp://x", "localhost:8181"])
def test_opa_needs_a_valid_url(url: str | None) -> None:
    with pytest.raises(ConfigError):
        make_engine("opa", opa_url=url)
