"""GitHubClient against a real HTTP server on 127.0.0.1 that records requests and answers like the API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from linter.github_api import (
    API_VERSION,
    GitHubClient,
    GitHubError,
    annotations_from_findings,
    publish_check,
)
from linter.models import ConfigError, EngineError, Finding, Severity
from linter.reporters import RunInfo

TOKEN = "ghs_s3cr3tT0kenValue1234567890"
REPO = "acme/fleet"
SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased: HTTP header names are case-insensitive
    body: Any


@dataclass
class FakeGitHub:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    # Scripted answers, used first-in first-out before the default behaviour: (status, headers, body).
    script: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.requests.append(
                Recorded(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
            )
            status, headers, body = state.script.pop(0) if state.script else self._default()
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _default(self) -> tuple[int, dict[str, str], Any]:
            if self.command == "POST" and self.path.endswith("/check-runs"):
                return 201, {}, {"id": 42, "html_url": "https://github.example/acme/fleet/runs/42"}
            if self.command == "PATCH":
                return 200, {}, {"id": 42}
            return 201, {}, {"id": 7, "state": "success"}

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

    return Handler


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeGitHub]:
    # One server for the module: shutting one down waits out its poll interval.
    state = FakeGitHub("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v3"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake(_server: FakeGitHub) -> FakeGitHub:
    _server.requests.clear()
    _server.script.clear()
    return _server


@dataclass
class Sleeps:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client(fake: FakeGitHub, sleeps: Sleeps | None = None, retries: int = 3) -> GitHubClient:
    return GitHubClient(fake.url, TOKEN, REPO, retries=retries, backoff=0.5, sleep=sleeps or Sleeps())


def _finding(n: int, severity: Severity = Severity.ERROR, end_line: int | None = None) -> Finding:
    return Finding(
        f"apps/f{n % 3}.yaml",
        n,
        3,
        end_line or n,
        9,
        "SCHEMA-001",
        "schema-violation",
        severity,
        f"problem {n}",
        "schema",
        "Deployment",
        "prod",
        f"web{n}",
    )


def _info(fail_level: Severity = Severity.ERROR) -> RunInfo:
    return RunInfo(
        "0.1.0", "/repo", {}, {"errors": 1, "warnings": 0, "files": 1, "resources": 2}, fail_level=fail_level
    )


# --- requests as the API expects them ------------------------------------------------------------
def test_post_status(fake: FakeGitHub) -> None:
    client(fake).post_status(SHA, "failure", "x" * 200, target_url="https://ci.example/job/1")
    (req,) = fake.requests
    assert (req.method, req.path) == ("POST", f"/api/v3/repos/{REPO}/statuses/{SHA}")
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["accept"] == "application/vnd.github+json"
    assert req.headers["x-github-api-version"] == API_VERSION
    assert req.body["state"] == "failure" and req.body["context"] == "kubegate"
    assert req.body["target_url"] == "https://ci.example/job/1"
    assert len(req.body["description"]) == 140


def test_post_status_rejects_unknown_state(fake: FakeGitHub) -> None:
    with pytest.raises(ValueError, match="invalid commit status state"):
        client(fake).post_status(SHA, "passed", "d")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("count", "batches"), [(0, [0]), (1, [1]), (50, [50]), (51, [50, 1]), (120, [50, 50, 20])]
)
def test_check_run_annotations_are_batched(fake: FakeGitHub, count: int, batches: list[int]) -> None:
    annotations = annotations_from_findings([_finding(n) for n in range(1, count + 1)])
    run = client(fake).create_check_run(SHA, "kubegate", "failure", "t", "s", annotations)
    assert run["id"] == 42
    assert [(r.method, r.path) for r in fake.requests] == (
        [("POST", f"/api/v3/repos/{REPO}/check-runs")]
        + [("PATCH", f"/api/v3/repos/{REPO}/check-runs/42")] * (len(batches) - 1)
    )
    assert [len(r.body["output"]["annotations"]) for r in fake.requests] == batches
    first = fake.requests[0].body
    assert (first["name"], first["head_sha"], first["status"], first["conclusion"]) == (
        "kubegate",
        SHA,
        "completed",
        "failure",
    )
    sent = [a for r in fake.requests for a in r.body["output"]["annotations"]]
    assert sent == annotations  # every annotation once, in order
    assert all(r.body["output"]["title"] == "t" and r.body["output"]["summary"] == "s" for r in fake.requests)


def test_annotations_from_findings() -> None:
    one_line, multi, warn, info = annotations_from_findings(
        [_finding(4), _finding(5, end_line=8), _finding(6, Severity.WARNING), _finding(7, Severity.INFO)]
    )
    assert one_line == {
        "path": "apps/f1.yaml",
        "start_line": 4,
        "end_line": 4,
        "start_column": 3,
        "end_column": 9,
        "annotation_level": "failure",
        "title": "SCHEMA-001 schema-violation",
        "message": "problem 4 [Deployment prod/web4]",
    }
    assert "start_column" not in multi and "end_column" not in multi and multi["end_line"] == 8
    assert (warn["annotation_level"], info["annotation_level"]) == ("warning", "notice")


@pytest.mark.parametrize(
    ("findings", "fail_level", "conclusion"),
    [
        ([], Severity.ERROR, "success"),
        ([_finding(1, Severity.WARNING)], Severity.ERROR, "success"),
        ([_finding(1, Severity.WARNING)], Severity.WARNING, "failure"),
        ([_finding(1)], Severity.ERROR, "failure"),
    ],
)
def test_publish_check(
    fake: FakeGitHub, findings: list[Finding], fail_level: Severity, conclusion: str
) -> None:
    result = publish_check(client(fake), SHA, findings, _info(fail_level), target_url="https://ci.example/1")
    status, check = fake.requests
    assert status.path.endswith(f"/statuses/{SHA}") and status.body["state"] == conclusion
    assert check.body["conclusion"] == conclusion
    assert check.body["output"]["summary"].startswith(("❌", "✅"))
    assert len(check.body["output"]["annotations"]) == len(findings)
    assert (result.conclusion, result.check_run_id, result.annotations) == (conclusion, 42, len(findings))


def test_publish_check_status_only(fake: FakeGitHub) -> None:
    result = publish_check(client(fake), SHA, [_finding(1)], _info(), check_run=False)
    assert [r.path.rsplit("/", 2)[-2] for r in fake.requests] == ["statuses"]
    assert result.check_run_id is None


# --- errors, retries, secrecy --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, "invalid or expired"),
        (403, "checks: write"),
        (404, "not found"),
        (422, "sha exists"),
        (301, "redirects are not followed"),
    ],
)
def test_http_errors_are_explained(fake: FakeGitHub, status: int, hint: str) -> None:
    headers = {"Location": "http://127.0.0.1:1/elsewhere"} if status == 301 else {}
    fake.script.append((status, headers, {"message": "Resource not accessible by integration"}))
    with pytest.raises(GitHubError) as info:
        client(fake).post_status(SHA, "success", "ok")
    err = info.value
    assert isinstance(err, EngineError)
    assert (err.status, err.api_message) == (status, "Resource not accessible by integration")
    assert hint in str(err) and f"/repos/{REPO}/statuses/" in str(err)
    assert len(fake.requests) == 1  # client errors are not retried, redirects not followed


def test_rate_limit_403_says_so(fake: FakeGitHub) -> None:
    fake.script.append((403, {"x-ratelimit-remaining": "0"}, {"message": "API rate limit exceeded"}))
    with pytest.raises(GitHubError, match="rate limit exhausted"):
        client(fake).post_status(SHA, "success", "ok")


def test_retries_5xx_and_429_with_backoff(fake: FakeGitHub) -> None:
    fake.script += [
        (502, {}, b"<html>bad gateway</html>"),
        (429, {"Retry-After": "2"}, {"message": "slow"}),
        (503, {}, {"message": "unavailable"}),
    ]
    sleeps = Sleeps()
    client(fake, sleeps).post_status(SHA, "success", "ok")
    assert len(fake.requests) == 4
    assert sleeps.calls == [0.5, 2.0, 2.0]  # exponential backoff, except where Retry-After says otherwise


def test_gives_up_after_retries(fake: FakeGitHub) -> None:
    fake.script += [(500, {}, {"message": "boom"})] * 3
    sleeps = Sleeps()
    with pytest.raises(GitHubError) as info:
        client(fake, sleeps, retries=2).post_status(SHA, "success", "ok")
    assert info.value.status == 500 and len(fake.requests) == 3 and sleeps.calls == [0.5, 1.0]


def test_unreachable_server_is_an_error_without_token() -> None:
    dead = GitHubClient("http://127.0.0.1:9", TOKEN, REPO, retries=1, sleep=Sleeps())
    with pytest.raises(GitHubError) as info:
        dead.post_status(SHA, "success", "ok")
    assert info.value.status == 0 and "no response" in str(info.value)
    assert TOKEN not in str(info.value)


def test_token_never_in_errors_or_repr(fake: FakeGitHub) -> None:
    # A server (or proxy) that echoes the credential back must not get it into a log.
    fake.script.append((401, {}, {"message": f"Bad credentials: Bearer {TOKEN}"}))
    c = client(fake)
    with pytest.raises(GitHubError) as info:
        c.post_status(SHA, "success", "ok")
    texts = [str(info.value), repr(info.value), info.value.api_message, repr(c), str(c)]
    assert all(TOKEN not in t for t in texts)
    assert "***" in info.value.api_message


def test_non_json_success_is_an_error(fake: FakeGitHub) -> None:
    fake.script.append((200, {}, b"<html>proxy login</html>"))
    with pytest.raises(GitHubError, match="not JSON"):
        client(fake).post_status(SHA, "success", "ok")


# --- configuration -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b"}, ("https://api.github.com", "a/b")),
        (
            {
                "KUBEGATE_GITHUB_TOKEN": "t",
                "GITHUB_REPOSITORY": "a/b",
                "GITHUB_API_URL": "https://ghe.example/api/v3/",
            },
            ("https://ghe.example/api/v3", "a/b"),
        ),
    ],
)
def test_from_env(env: dict[str, str], expected: tuple[str, str]) -> None:
    c = GitHubClient.from_env(env=env)
    assert (c.api_url, c.repo) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GITHUB_REPOSITORY": "a/b"}, "no GitHub token"),
        ({"GITHUB_TOKEN": "t"}, "no GitHub repository"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "just-a-name"}, "OWNER/NAME"),
    ],
)
def test_from_env_errors_are_config_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        GitHubClient.from_env(env=env)


def test_kubegate_token_wins_over_actions_token(fake: FakeGitHub) -> None:
    c = GitHubClient.from_env(
        env={
            "GITHUB_TOKEN": "actions",
            "KUBEGATE_GITHUB_TOKEN": "kubegate",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": fake.url,
        }
    )
    c.post_status(SHA, "success", "ok")
    assert fake.requests[0].headers["authorization"] == "Bearer kubegate"
