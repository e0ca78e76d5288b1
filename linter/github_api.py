"""A small GitHub REST client for publishing kubegate's verdict: a commit status and a check run.

Standard library only (urllib). The token is sent in the Authorization header and nowhere else: it never
appears in a message, exception or repr. Redirects are refused, because urllib would replay the
Authorization header to whatever host a redirect names.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from linter.models import ConfigError, EngineError, Finding, Severity
from linter.reporters import RunInfo

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
ANNOTATIONS_PER_REQUEST = 50  # the Checks API rejects more in one request
STATUS_DESCRIPTION_MAX = 140  # the Statuses API rejects longer descriptions
CHECK_TEXT_MAX = 65_535  # output.summary / output.text limit
_LEVELS = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.INFO: "notice"}
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_HINTS = {
    401: "the token is invalid or expired; check GITHUB_TOKEN / KUBEGATE_GITHUB_TOKEN",
    403: "the token lacks permission: grant `statuses: write` (commit status) and `checks: write` (check "
    "run) in the workflow's `permissions:`; check runs need a GitHub App or Actions token, not a "
    "personal access token; pull requests from forks get a read-only GITHUB_TOKEN",
    404: "repository or commit not found, or the token cannot see the repository (GitHub answers 404 for "
    "private repositories it hides); check GITHUB_REPOSITORY and the commit sha",
    422: "GitHub rejected the request's content; check that the commit sha exists in the repository",
    429: "rate limited; retry later",
}


class GitHubError(EngineError):
    """A GitHub API call failed. `status` is the HTTP status (0: no response)."""

    def __init__(self, method: str, path: str, status: int, api_message: str, hint: str = "") -> None:
        self.status = status
        self.api_message = api_message
        self.hint = hint
        what = f"{status} {api_message}".strip() if status else api_message
        super().__init__(f"GitHub API {method} {path} failed: {what}" + (f" ({hint})" if hint else ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        return None  # urllib then raises HTTPError with the 3xx status


@dataclass(frozen=True)
class PublishResult:
    conclusion: str  # success | failure
    status_state: str | None
    check_run_id: int | None
    check_run_url: str | None
    annotations: int


class GitHubClient:
    def __init__(
        self,
        api_url: str,
        token: str,
        repo: str,
        *,
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
    ) -> None:
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise ConfigError(f"GitHub repository must be OWNER/NAME, got {repo!r}")
        if not token:
            raise ConfigError("no GitHub token: set GITHUB_TOKEN or KUBEGATE_GITHUB_TOKEN")
        self.api_url = api_url.rstrip("/")
        self.repo = repo
        self.__token = token
        self._retries, self._backoff, self._sleep, self._timeout = retries, backoff, sleep, timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.api_url!r}, repo={self.repo!r}, token=***)"

    @classmethod
    def from_env(cls, repo: str | None = None, env: Mapping[str, str] | None = None) -> GitHubClient:
        """Configured as in GitHub Actions: GITHUB_API_URL (Enterprise: https://HOST/api/v3),
        GITHUB_TOKEN or KUBEGATE_GITHUB_TOKEN, GITHUB_REPOSITORY."""
        env = os.environ if env is None else env
        token = env.get("KUBEGATE_GITHUB_TOKEN") or env.get("GITHUB_TOKEN") or ""
        repo = repo or env.get("GITHUB_REPOSITORY", "")
        if not repo:
            raise ConfigError("no GitHub repository: set GITHUB_REPOSITORY=OWNER/NAME")
        return cls(env.get("GITHUB_API_URL") or DEFAULT_API_URL, token, repo)

    # --- endpoints ------------------------------------------------------------------------------
    def post_status(
        self, sha: str, state: str, description: str, context: str = "kubegate", target_url: str | None = None
    ) -> dict[str, Any]:
        if state not in ("error", "failure", "pending", "success"):
            raise ValueError(f"invalid commit status state {state!r}")
        body: dict[str, Any] = {
            "state": state,
            "description": _cut(description, STATUS_DESCRIPTION_MAX),
            "context": context,
        }
        if target_url:
            body["target_url"] = target_url
        return self.request("POST", f"/repos/{self.repo}/statuses/{sha}", body)

    def create_check_run(
        self,
        sha: str,
        name: str,
        conclusion: str,
        title: str,
        summary: str,
        annotations: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Create a completed check run; annotations beyond the first 50 go in PATCHes of 50 each."""
        batches = [
            list(annotations[i : i + ANNOTATIONS_PER_REQUEST])
            for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
        ] or [[]]
        output = {"title": _cut(title, 255), "summary": _cut(summary, CHECK_TEXT_MAX)}
        run = self.request(
            "POST",
            f"/repos/{self.repo}/check-runs",
            {
                "name": name,
                "head_sha": sha,
                "status": "completed",
                "conclusion": conclusion,
                "output": {**output, "annotations": batches[0]},
            },
        )
        run_id = run.get("id")
        if len(batches) > 1 and not isinstance(run_id, int):
            raise GitHubError("POST", f"/repos/{self.repo}/check-runs", 0, "response has no check run id")
        for batch in batches[1:]:
            # Each PATCH appends its annotations; title and summary are required in every `output`.
            self.request(
                "PATCH",
                f"/repos/{self.repo}/check-runs/{run_id}",
                {"output": {**output, "annotations": batch}},
            )
        return run

    # --- transport --------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(self._retries + 1):
            try:
                return self._send(method, path, data)
            except _Retryable as exc:
                if attempt == self._retries:
                    raise exc.error from None
                self._sleep(exc.retry_after if exc.retry_after is not None else self._backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, data: bytes | None) -> dict[str, Any]:
        req = urllib.request.Request(
            self.api_url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.__token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "Content-Type": "application/json",
                "User-Agent": "kubegate",
            },
        )
        try:
            with self._opener.open(req, timeout=self._timeout) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(method, path, exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = GitHubError(
                method,
                path,
                0,
                f"no response from {self.api_url}: {self._scrub(str(reason))}",
                "check GITHUB_API_URL and the network",
            )
            raise _Retryable(error, None) from None
        return _decode(payload, method, path)

    def _http_error(self, method: str, path: str, exc: urllib.error.HTTPError) -> Exception:
        body = exc.read() if exc.fp is not None else b""
        message = self._scrub(_api_message(body) or str(exc.reason or ""))
        hint = _HINTS.get(exc.code, "")
        if 300 <= exc.code < 400:
            hint = "redirects are not followed (the token would go along); use the repository's new name"
        elif exc.code == 403 and exc.headers.get("x-ratelimit-remaining") == "0":
            hint = "API rate limit exhausted; retry after the reset time"
        error = GitHubError(method, path, exc.code, message, hint)
        if exc.code in _RETRY_STATUSES:
            return _Retryable(error, _retry_after(exc.headers.get("Retry-After")))
        return error

    def _scrub(self, text: str) -> str:
        # Whatever a server or proxy echoes back, the token does not leave this object.
        return text.replace(self.__token, "***")


class _Retryable(Exception):
    def __init__(self, error: GitHubError, retry_after: float | None) -> None:
        self.error = error
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    try:
        return min(float(value), 60.0) if value is not None else None
    except ValueError:
        return None


def _api_message(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return ""
    message = doc.get("message") if isinstance(doc, dict) else None
    return " ".join(str(message).split())[:300] if message else ""


def _decode(payload: bytes, method: str, path: str) -> dict[str, Any]:
    if not payload.strip():
        return {}
    try:
        doc = json.loads(payload)
    except ValueError:
        raise GitHubError(method, path, 0, "GitHub answered with something that is not JSON") from None
    return doc if isinstance(doc, dict) else {"items": doc}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- findings -> GitHub ---------------------------------------------------------------------------
def annotations_from_findings(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [_annotation(f) for f in findings]


def _annotation(f: Finding) -> dict[str, Any]:
    line = max(f.line, 1)
    end_line = max(f.end_line, line)
    out: dict[str, Any] = {"path": f.file, "start_line": line, "end_line": end_line}
    if end_line == line:  # the API rejects columns on a multi-line annotation
        out["start_column"] = max(f.column, 1)
        out["end_column"] = max(f.end_column, f.column, 1)
    resource = f" [{f.kind} {f.namespace + '/' if f.namespace else ''}{f.name}]" if f.kind and f.name else ""
    out.update(
        annotation_level=_LEVELS[f.severity],
        title=f"{f.rule_id} {f.rule_name}".strip(),
        message=_cut(f.message + resource, CHECK_TEXT_MAX),
    )
    return out


def publish_check(
    client: GitHubClient,
    sha: str,
    findings: Sequence[Finding],
    info: RunInfo,
    *,
    name: str = "kubegate",
    target_url: str | None = None,
    status: bool = True,
    check_run: bool = True,
) -> PublishResult:
    """Publish a run's verdict on a commit: a commit status and/or a check run with annotations.

    The conclusion is `failure` when any finding is at or above `info.fail_level`. The check
    run's summary is the Markdown report.
    """
    # Imported here: a client user that never publishes a verdict does not load the reporters.
    from linter.reporters import markdown
    from linter.reporters.text import summary_line

    failed = any(f.severity.rank >= info.fail_level.rank for f in findings)
    conclusion = "failure" if failed else "success"
    headline = summary_line(info)
    state = None
    if status:
        state = conclusion
        client.post_status(sha, state, headline, context=name, target_url=target_url)
    run: dict[str, Any] = {}
    annotations = annotations_from_findings(findings)
    if check_run:
        title = f"kubegate: {'failed' if failed else 'passed'}: {headline}"
        run = client.create_check_run(
            sha, name, conclusion, title, markdown.render(findings, info), annotations
        )
    run_id = run.get("id")
    url = run.get("html_url")
    return PublishResult(
        conclusion,
        state,
        run_id if isinstance(run_id, int) else None,
        url if isinstance(url, str) else None,
        len(annotations) if check_run else 0,
    )
