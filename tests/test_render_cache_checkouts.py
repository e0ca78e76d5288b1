"""Issue 10, item 5: output never depends on cache state. The render cache once keyed renders on
root-relative paths but stored origins relative to the first checkout's temp overlay, so a second
checkout of the same fleet got GRAPH-005 at the first checkout's absolute path, line 1:1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from tests.test_flux_graph import ks, write
from tests.test_flux_render import DEPLOY, SUBST

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                                reason="needs kubectl or kustomize on PATH")

FLEET = {
    "apps/base/deploy.yaml": DEPLOY.replace("busybox:1.36", "busybox:${MISSING}"),
    "apps/base/kustomization.yaml": "resources: [deploy.yaml]\nconfigMapGenerator:\n  - name: gen\n"
                                    "    literals: [A=1]\n",
    "clusters/prod/apps.yaml": ks("apps", "./apps/base", extra=SUBST),
}


def findings(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    monkeypatch.chdir(root)
    main(["check", "--format", "json", "."])
    report = json.loads(capsys.readouterr().out)
    return [(f["rule_id"], f["file"], f["line"], f["column"], f["message"]) for f in report["findings"]], \
        report["summary"]["flux"]["cached"]


def test_two_checkouts_of_one_fleet_get_identical_findings_from_a_shared_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KUBEGATE_CACHE_DIR", str(tmp_path / "cache"))
    first, second = tmp_path / "workspace-1", tmp_path / "workspace-2"
    write(first, FLEET)
    shutil.copytree(first, second)
    fresh, cached = findings(first, monkeypatch, capsys)
    assert cached == 0
    assert ("GRAPH-005", "apps/base/deploy.yaml", 15) in [f[:3] for f in fresh]
    again, cached = findings(second, monkeypatch, capsys)
    assert cached == 1  # the second checkout is served from the first one's render
    assert again == fresh
    assert not any(str(first) in str(f) for f in again)
    shutil.rmtree(first)  # nothing read through the cache may point into the first checkout
    assert findings(second, monkeypatch, capsys)[0] == fresh
