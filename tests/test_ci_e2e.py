"""`kubegate ci` end to end: real git repositories in tmp_path, `linter.cli.main([...])`."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_gitutil import BOT, Repo

from linter.cli import main

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:{tag}
"""
ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: [{verbs}]
"""
# A user policy: no Deployment may run the tag "bad".
POLICY = """\
# METADATA
# title: No bad tags
# custom:
#   id: ORG-001
#   severity: error
package org.tags

import rego.v1

deny contains result if {
  input.kind == "Deployment"
  some i
  endswith(input.spec.template.spec.containers[i].image, ":bad")
  path := ["spec", "template", "spec", "containers", i, "image"]
  result := {"msg": "the tag bad is not allowed", "path": path}
}
"""
# A user change rule: a deleted Deployment needs a human (data.kubegate.change).
CHANGE_POLICY = """\
# METADATA
# title: No Deployment deletions
# custom:
#   id: ORG-002
#   severity: error
package org.changes

import rego.v1

deny contains msg if {
  some c in data.kubegate.change
  c.kind == "Deployment"
  c.status == "deleted"
  input.kind == "ClusterRole"
  msg := sprintf("Deployment %s deleted", [c.name])
}
"""
CONFIG = """\
policies:
  dirs: [policies]
  bundled: false
ci:
  exceptions_file: exceptions.yaml
  authority:
    principals:
      - name: renovate
        emails: ["*@renovateapp.com"]
"""


def findings_of(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, int]]:
    data = json.loads(capsys.readouterr().out)
    items = data["findings"] if isinstance(data, dict) else data
    return sorted((f["rule_id"], f["file"], f["line"]) for f in items)


def ci(repo: Repo, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("KUBEGATE_TODAY", "2030-06-01")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return main(["ci", "--base", "main", "--format", "json", "--no-render", *extra])


@pytest.fixture
def fleet(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "fleet")
    repo.commit({".kubegate.yaml": CONFIG, "policies/tags.rego": POLICY, "exceptions.yaml": "[]\n",
                 "apps/web.yaml": DEPLOY.format(tag="1.0"), "rbac/role.yaml": ROLE.format(verbs='"get"')})
    repo.branch("pr")
    return repo


def test_bot_image_bump_passes(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({"apps/web.yaml": DEPLOY.format(tag="1.1")}, who=BOT)
    assert ci(fleet, monkeypatch) == 0
    assert findings_of(capsys) == []


def test_bot_touching_rbac_fails_at_the_line(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({"apps/web.yaml": DEPLOY.format(tag="1.1"),
                  "rbac/role.yaml": ROLE.format(verbs='"get", "list"')}, who=BOT)
    assert ci(fleet, monkeypatch) == 1
    assert findings_of(capsys) == [("CHG-001", "rbac/role.yaml", 8)]


def test_human_touching_rbac_passes(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({"rbac/role.yaml": ROLE.format(verbs='"get", "list"')})
    assert ci(fleet, monkeypatch) == 0
    assert findings_of(capsys) == []


def test_weakened_policy_is_judged_by_the_base(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    weakened = POLICY.split("deny contains")[0] + "deny := set()\n"
    fleet.commit({"policies/tags.rego": weakened, "apps/web.yaml": DEPLOY.format(tag="bad")})
    assert ci(fleet, monkeypatch) == 1
    assert findings_of(capsys) == [("CHG-002", "policies/tags.rego", 10), ("ORG-001", "apps/web.yaml", 15)]
    # --trust-head takes the change's own (weakened) policy, and does not flag it.
    assert ci(fleet, monkeypatch, "--trust-head") == 0
    assert findings_of(capsys) == []


def test_weakened_config_is_judged_by_the_base(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({".kubegate.yaml": CONFIG.replace("dirs: [policies]", "dirs: []"),
                  "apps/web.yaml": DEPLOY.format(tag="bad")})
    assert ci(fleet, monkeypatch) == 1
    assert findings_of(capsys) == [("CHG-002", ".kubegate.yaml", 2), ("ORG-001", "apps/web.yaml", 15)]


def test_exceptions(fleet: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    entry = ("- rule: ORG-001\n  kind: Deployment\n  namespace: apps\n  name: web*\n  owner: team-web\n"
             "  reason: migrating\n  expires: {expires}\n")
    fleet.git("checkout", "-q", "main")
    fleet.commit({"exceptions.yaml": entry.format(expires="2030-12-31")})
    fleet.git("checkout", "-q", "pr")
    fleet.git("merge", "-q", "main")
    fleet.commit({"apps/web.yaml": DEPLOY.format(tag="bad")})
    assert ci(fleet, monkeypatch) == 0  # excepted by the base's exceptions file
    assert findings_of(capsys) == []
    monkeypatch.setenv("KUBEGATE_TODAY", "2031-01-01")
    assert main(["ci", "--base", "main", "--format", "json", "--no-render"]) == 1
    assert findings_of(capsys) == [("CHG-004", "exceptions.yaml", 1), ("ORG-001", "apps/web.yaml", 15)]


def test_exception_added_by_the_change_does_not_count(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    entry = ("- rule: ORG-001\n  kind: Deployment\n  namespace: apps\n  name: web\n  owner: me\n"
             "  reason: trust me\n  expires: 2099-01-01\n")
    fleet.commit({"exceptions.yaml": entry, "apps/web.yaml": DEPLOY.format(tag="bad")})
    assert ci(fleet, monkeypatch) == 1
    assert findings_of(capsys) == [("CHG-002", "exceptions.yaml", 1), ("CHG-003", "exceptions.yaml", 1),
                                   ("ORG-001", "apps/web.yaml", 15)]


def test_inline_suppression_added_is_reported(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    comment = "          # kubegate: ignore[ORG-001] canary\n"
    bad = DEPLOY.format(tag="bad").replace("          image:", comment + "          image:")
    fleet.commit({"apps/web.yaml": bad})
    assert ci(fleet, monkeypatch) == 1  # a suppression the base did not have does not apply (issue 13 row 10)
    assert findings_of(capsys) == [("CHG-003", "apps/web.yaml", 15), ("ORG-001", "apps/web.yaml", 16)]


def test_bot_may_not_add_suppressions(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    image = "image: registry.example.com/web:bad"
    bad = DEPLOY.format(tag="bad").replace(image, image + "  # kubegate: ignore[ORG-001] x")
    fleet.commit({"apps/web.yaml": bad}, who=BOT)
    assert ci(fleet, monkeypatch) == 1
    assert findings_of(capsys) == [("CHG-001", "apps/web.yaml", 15), ("CHG-003", "apps/web.yaml", 15),
                                   ("ORG-001", "apps/web.yaml", 15)]  # and the suppression does not apply


def test_moved_resource_is_modified_and_change_data_reaches_rego(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    fleet.git("checkout", "-q", "main")
    fleet.commit({"policies/changes.rego": CHANGE_POLICY})
    fleet.git("checkout", "-q", "pr")
    fleet.git("merge", "-q", "main")
    fleet.commit({"apps/web.yaml": None, "apps/moved/web.yaml": DEPLOY.format(tag="1.0"),
                  "rbac/role.yaml": ROLE.format(verbs='"get", "list"')})
    assert ci(fleet, monkeypatch) == 0  # moved, not deleted: the change rule stays quiet
    findings_of(capsys)
    fleet.commit({"apps/moved/web.yaml": None, "rbac/role.yaml": ROLE.format(verbs='"get", "watch"')})
    assert ci(fleet, monkeypatch) == 1
    assert findings_of(capsys) == [("ORG-002", "rbac/role.yaml", 1)]


def test_write_baseline_then_only_new_findings_fail(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fleet.git("checkout", "-q", "main")
    fleet.commit({"apps/web.yaml": DEPLOY.format(tag="bad")})
    monkeypatch.chdir(fleet.root)
    assert main(["ci", "--write-baseline", "baseline.json", "--no-render"]) == 0
    capsys.readouterr()
    baseline: dict[str, Any] = json.loads((fleet.root / "baseline.json").read_text())
    assert [(e["rule_id"], e["file"], e["pointer"]) for e in baseline["findings"]] == [
        ("ORG-001", "apps/web.yaml", "/spec/template/spec/containers/0/image")]
    fleet.commit({"baseline.json": (fleet.root / "baseline.json").read_text(),
                  ".kubegate.yaml": CONFIG + "  baseline_file: baseline.json\n"})
    fleet.git("checkout", "-q", "pr")
    fleet.git("merge", "-q", "main")
    # Lines move, the old finding stays baselined; a new bad Deployment fails.
    fleet.commit({"apps/web.yaml": "# moved down\n" + DEPLOY.format(tag="bad"),
                  "apps/api.yaml": DEPLOY.format(tag="bad").replace("name: web", "name: api")})
    assert ci(fleet, monkeypatch) == 1
    assert findings_of(capsys) == [("ORG-001", "apps/api.yaml", 15)]


@pytest.mark.parametrize(("argv", "needle"), [
    (["ci", "--base", "origin/main"], "git fetch origin main"),
    (["ci"], "--base"),
])
def test_usage_errors_exit_2(fleet: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                             argv: list[str], needle: str) -> None:
    monkeypatch.chdir(fleet.root)
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_github_actions_gets_annotations(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({"rbac/role.yaml": ROLE.format(verbs='"get", "list"')}, who=BOT)
    monkeypatch.chdir(fleet.root)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["ci", "--base", "main", "--no-render"]) == 1
    assert "::error file=rbac/role.yaml,line=8," in capsys.readouterr().out


def test_head_ref_other_than_the_checkout(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({"rbac/role.yaml": ROLE.format(verbs='"get", "list"')}, who=BOT)
    fleet.git("checkout", "-q", "main")  # the work tree now holds the base; the change is read from git
    assert ci(fleet, monkeypatch, "--head", "pr") == 1
    assert findings_of(capsys) == [("CHG-001", "rbac/role.yaml", 8)]


def test_actor_restricts_a_human_commit(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({".kubegate.yaml": CONFIG}, message="noop")  # nothing changes
    fleet.git("checkout", "-q", "main")
    fleet.commit({".kubegate.yaml": CONFIG + "        actors: [deploy-bot]\n"})
    fleet.git("checkout", "-q", "pr")
    fleet.git("merge", "-q", "main")
    fleet.commit({"rbac/role.yaml": ROLE.format(verbs='"*"')})
    assert ci(fleet, monkeypatch, "--actor", "deploy-bot") == 1
    assert findings_of(capsys) == [("CHG-001", "rbac/role.yaml", 8)]
    assert ci(fleet, monkeypatch, "--actor", "someone") == 0
    capsys.readouterr()


def test_missing_policy_dir_at_the_base_is_a_config_error(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    fleet.git("checkout", "-q", "main")
    fleet.commit({".kubegate.yaml": CONFIG.replace("[policies]", "[nowhere]")})
    assert ci(fleet, monkeypatch) == 2
    assert "policy directory not found at the merge base: nowhere" in capsys.readouterr().err


def test_config_added_by_the_change_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    repo = Repo(tmp_path / "bare")
    repo.commit({"apps/web.yaml": DEPLOY.format(tag="1.0")})
    repo.branch("pr")
    repo.commit({"ci/kubegate.yaml": "ignore: [SCHEMA]\n",
                 "apps/web.yaml": DEPLOY.format(tag="1.0").replace("  selector:", "  bogus: 1\n  selector:")})
    # Whether named with --config or not, the change's new configuration does not silence SCHEMA-001.
    for extra in ([], ["--config", "ci/kubegate.yaml"]):
        assert ci(repo, monkeypatch, *extra) == 1
        judged = [f for f in findings_of(capsys) if f[0].startswith(("CHG", "SCHEMA"))]
        assert judged == [*([("CHG-002", "ci/kubegate.yaml", 1)] if extra else []),
                          ("SCHEMA-001", "apps/web.yaml", 7)]


CALLS: list[tuple[str, str, dict[str, Any]]] = []


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        CALLS.append(("POST", self.path, body))
        payload = json.dumps({"id": 7, "html_url": "http://127.0.0.1/run/7"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_github_publishes_status_and_check_run_on_the_pr_head(
        fleet: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    pr_head = fleet.commit({"rbac/role.yaml": ROLE.format(verbs='"get", "list"')}, who=BOT)
    # Like actions/checkout on `pull_request`: HEAD is a merge commit of the PR into the base.
    fleet.git("checkout", "-q", "--detach", "main")
    fleet.git("merge", "-q", "--no-ff", "-m", "merge", "pr")
    assert fleet.git("rev-parse", "HEAD") != pr_head
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"sha": pr_head}}}))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    CALLS.clear()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("GITHUB_TOKEN", "test-token")
        monkeypatch.setenv("GITHUB_REPOSITORY", "org/fleet")
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
        assert ci(fleet, monkeypatch, "--github") == 1
    finally:
        server.shutdown()
        server.server_close()
    capsys.readouterr()
    calls = {(method, path): body for method, path, body in CALLS}
    assert calls[("POST", f"/repos/org/fleet/statuses/{pr_head}")]["state"] == "failure"
    check = calls[("POST", "/repos/org/fleet/check-runs")]
    assert (check["head_sha"], check["conclusion"]) == (pr_head, "failure")
    assert [(a["path"], a["start_line"]) for a in check["output"]["annotations"]] == [("rbac/role.yaml", 8)]


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {{kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {{type: {size_type}}}
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: apps\nspec:\n  size: big\n"


def test_a_change_cannot_loosen_the_crd_that_judges_it(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    fleet.git("checkout", "-q", "main")
    fleet.commit({"crds/widget.yaml": CRD.format(size_type="integer")})
    fleet.git("checkout", "-q", "-B", "pr")
    # The change loosens `size` to a string and adds a Widget that only the loosened schema accepts.
    fleet.commit({"crds/widget.yaml": CRD.format(size_type="string"), "apps/widget.yaml": WIDGET})
    assert ci(fleet, monkeypatch) == 1
    assert findings_of(capsys) == [("CHG-002", "crds/widget.yaml", 1), ("SCHEMA-001", "apps/widget.yaml", 7)]
