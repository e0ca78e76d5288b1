"""`kubegate ci` judges a bot's HelmRelease values change by what the chart renders from it (real git
repositories, the real Helm engine, an in-tree chart)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_gitutil import BOT, Repo

from linter.cli import main
from linter.helm.engine import available

pytestmark = pytest.mark.skipif(not available(), reason="helm-python-sdk is not installed")

CONFIG = """\
ci:
  authority:
    principals:
      - name: renovate
        emails: ["*@renovateapp.com"]
"""
CHART = {
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/values.yaml": "image: {repository: registry.example.com/web, tag: '1.0.0'}\n",
    # A chart that does more with the tag than set the image: a "debug" build runs on the host network.
    "charts/web/templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: {{ .Values.image.tag | quote }}}}
    spec:
      {{- if hasPrefix "debug" .Values.image.tag }}
      hostNetwork: true
      {{- end }}
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
""",
}
RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/web
      sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}
  values:
    image:
      tag: "{tag}"
"""


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.setenv("KUBEGATE_CACHE_DIR", str(tmp_path / "cache"))
    repo = Repo(tmp_path / "fleet")
    repo.commit({".kubegate.yaml": CONFIG, **CHART, "apps/web.yaml": RELEASE.format(tag="1.0.0")})
    repo.branch("pr")
    return repo


def chg(repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    monkeypatch.chdir(repo.root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    capsys.readouterr()
    main(["ci", "--base", "main", "--format", "json", "--select", "CHG"])
    return [f for f in json.loads(capsys.readouterr().out)["findings"] if f["rule_id"] == "CHG-001"]


def test_a_tag_bump_that_renders_only_an_image_change_passes(
        fleet: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({"apps/web.yaml": RELEASE.format(tag="1.0.1")}, who=BOT)
    assert chg(fleet, monkeypatch, capsys) == []  # the version label changes too: labels grant nothing


def test_a_tag_bump_that_renders_host_network_is_not_only_an_image_change(
        fleet: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({"apps/web.yaml": RELEASE.format(tag="debug-1.0.1")}, who=BOT)
    found = chg(fleet, monkeypatch, capsys)
    assert len(found) == 1, found
    f = found[0]
    assert "may not add /spec/template/spec/hostNetwork of Deployment apps/web" in f["message"]
    assert "HelmRelease web's values change renders" in f["message"]
    assert f["file"] == "apps/web.yaml" and f["rendered_from"] == "web 1.0.0: templates/deployment.yaml"


def test_a_human_may_make_the_same_change(fleet: Repo, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    fleet.commit({"apps/web.yaml": RELEASE.format(tag="debug-1.0.1")})
    assert chg(fleet, monkeypatch, capsys) == []
