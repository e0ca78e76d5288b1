"""A small OPA REST API on 127.0.0.1 that evaluates with regorus, for testing the `opa` engine over real HTTP.

Implements the subset kubegate uses: PUT/DELETE /v1/policies/{id}, PUT /v1/data/{path},
POST /v1/data/{path} with {"input": ...}, plus GET /_fake/requests (the requests seen, for tests).
Errors use OPA's JSON shapes. `serve()` runs it in a child process, like a real server: regorus engines
may not be dropped in another thread than their own, and a garbage collection in a server thread would
drop the test's engines there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import regorus  # type: ignore[import-untyped]

from linter.rego.engine import parse_regorus_error


class FakeOpa:
    def __init__(self, token: str | None = None, fail_status: int | None = None) -> None:
        self.token = token
        self.fail_status = fail_status  # answer every request with this status
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []

    def engine(self) -> Any:
        engine = regorus.Engine()
        engine.set_rego_v0(False)
        for policy_id, source in self.policies.items():
            engine.add_policy(policy_id, source)
        engine.add_data_json(json.dumps(self.data))
        return engine


def _compile_error(policy_id: str, text: str) -> dict[str, Any]:
    msg = parse_regorus_error(text)
    return {
        "code": "invalid_parameter",
        "message": "error(s) occurred while compiling module(s)",
        "errors": [{"code": "rego_parse_error", "message": msg.text,
                    "location": {"file": policy_id, "row": msg.line, "col": msg.column}}],
    }


# Engines must die in the thread that made them (regorus raises otherwise): no engine may outlive these
# functions, not even through an exception's traceback.
def _compile(opa: FakeOpa, policy_id: str, source: str) -> str:
    engine = opa.engine()
    try:
        engine.add_policy(policy_id, source)
        engine.eval_query("data.fake_opa_compile_check")
        error = ""
    except RuntimeError as exc:
        error = str(exc)
    del engine
    return error


def _evaluate(opa: FakeOpa, ref: str, body: dict[str, Any]) -> dict[str, Any] | None:
    engine = opa.engine()
    try:
        if "input" in body:
            engine.set_input_json(json.dumps(body["input"]))
        answer: dict[str, Any] | None = json.loads(engine.eval_query_as_json(ref))
    except RuntimeError:
        answer = None
    del engine
    return answer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, body: Any = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _guard(self) -> bool:
        opa = self.server.opa
        opa.requests.append((self.command, self.path))
        if opa.fail_status:
            self._body()
            self._reply(opa.fail_status, {"code": "internal_error", "message": "injected failure"})
            return False
        if opa.token and self.headers.get("Authorization") != f"Bearer {opa.token}":
            self._body()
            self._reply(401, {"code": "unauthorized", "message": "missing or invalid token"})
            return False
        return True

    def do_PUT(self) -> None:
        if not self._guard():
            return
        opa, body = self.server.opa, self._body()
        if self.path.startswith("/v1/policies/"):
            policy_id = self.path[len("/v1/policies/"):]
            error = _compile(opa, policy_id, body.decode())
            if error:
                self._reply(400, _compile_error(policy_id, error))
                return
            opa.policies[policy_id] = body.decode()
            self._reply(200, {})
        elif self.path.startswith("/v1/data/"):
            keys = [k for k in self.path[len("/v1/data/"):].split("/") if k]
            node = opa.data
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = json.loads(body)
            self._reply(204)
        else:
            self._reply(404, {"code": "resource_not_found", "message": "not found"})

    def do_GET(self) -> None:
        if self.path == "/_fake/requests":
            self._reply(200, self.server.opa.requests)
        else:
            self._reply(404, {"code": "resource_not_found", "message": "not found"})

    def do_DELETE(self) -> None:
        if not self._guard():
            return
        self.server.opa.policies.pop(self.path[len("/v1/policies/"):], None)
        self._reply(200, {})

    def do_POST(self) -> None:
        if not self._guard():
            return
        body = json.loads(self._body() or b"{}")
        if not self.path.startswith("/v1/data"):
            self._reply(404, {"code": "resource_not_found", "message": "not found"})
            return
        ref = ".".join(["data", *[k for k in self.path[len("/v1/data"):].split("/") if k]])
        answer = _evaluate(self.server.opa, ref, body)
        if answer is None:
            self._reply(500, {"code": "internal_error", "message": "evaluation failed"})
            return
        results = answer.get("result") or []
        self._reply(200, {"result": results[0]["expressions"][0]["value"]} if results else {})


class _Server(HTTPServer):
    opa: FakeOpa


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token")
    parser.add_argument("--fail-status", type=int)
    args = parser.parse_args(argv)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.opa = FakeOpa(token=args.token, fail_status=args.fail_status)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@dataclass(frozen=True)
class Running:
    url: str

    def requests(self) -> list[tuple[str, str]]:
        with urllib.request.urlopen(self.url + "/_fake/requests", timeout=10) as resp:
            return [tuple(r) for r in json.loads(resp.read())]


@contextmanager
def serve(token: str | None = None, fail_status: int | None = None) -> Iterator[tuple[str, Running]]:
    """Run a fake OPA on a free port of 127.0.0.1 in a child process; yields (base URL, handle)."""
    cmd = [sys.executable, __file__]
    cmd += ["--token", token] if token else []
    cmd += ["--fail-status", str(fail_status)] if fail_status else []
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        if not port:
            raise RuntimeError("fake OPA server did not start")
        url = f"http://127.0.0.1:{port}"
        yield url, Running(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


if __name__ == "__main__":
    main()
