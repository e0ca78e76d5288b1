"""Issue 10, item 4: multi-tenancy lockdown rules are errors only when the configuration declares
tenants. Each case is named after a false positive measured on a single-tenant fleet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from linter.config import load_config
from linter.models import ConfigError
from tests.conftest import write

HELM_RELEASE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: {ns}
spec:
  interval: 1h
  chart:
    spec:
      chart: app
      version: 1.2.3
      sourceRef:
        kind: HelmRepository
        name: charts
        namespace: flux-system
"""


def release(name: str, ns: str) -> str:
    return HELM_RELEASE.format(name=name, ns=ns)


def rules(tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str | None) -> list[tuple[str, str, str]]:
    if config is not None:
        write(tmp_path, ".kubegate.yaml", config)
    main(["check", "--format", "json", "--no-render", "--select", "FLUX-001,FLUX-002,META-003", str(tmp_path)])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return sorted((f["rule_id"], f["severity"], f["name"]) for f in report["findings"])


def test_single_tenant_home_lab_helm_releases_are_not_lockdown_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # bjw-s-labs/home-ops: FLUX-001 and FLUX-002 were errors on every HelmRelease (163 + 135).
    write(tmp_path, "apps/media/app.yaml", release("plex", "media"))
    assert rules(tmp_path, capsys, None) == []


def test_single_tenant_fleet_in_the_default_namespace_on_purpose(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # onedr0p/home-ops: 216 META-003 errors for apps deliberately in `default`.
    write(tmp_path, "kubernetes/apps/default/app.yaml", release("sonarr", "default"))
    assert rules(tmp_path, capsys, None) == []


def test_multi_tenancy_turns_the_lockdown_rules_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "apps/media/app.yaml", release("plex", "media"))
    write(tmp_path, "apps/default/app.yaml", release("sonarr", "default"))
    got = rules(tmp_path, capsys, "tenancy: multi\n")
    assert ("FLUX-001", "error", "plex") in got and ("FLUX-002", "error", "plex") in got
    assert ("META-003", "error", "sonarr") in got


def test_a_tenant_list_locks_down_only_those_namespaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "apps/team-a/app.yaml", release("a", "team-a"))
    write(tmp_path, "apps/media/app.yaml", release("plex", "media"))
    got = rules(tmp_path, capsys, "tenancy:\n  tenants: [team-a]\n")
    assert {name for _r, _s, name in got} == {"a"}
    assert rules(tmp_path, capsys, "tenancy: [team-a]\n") == got


def test_an_explicit_severity_still_wins_over_the_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "apps/media/app.yaml", release("plex", "media"))
    assert rules(tmp_path, capsys, "tenancy: multi\nseverity: {FLUX-001: warning, FLUX-002: 'off'}\n") == [
        ("FLUX-001", "warning", "plex")]


def test_cluster_scoped_kind_stamped_with_default_is_not_meta_003(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # kustomize `namespace: default` stamps kinds it does not know, cluster-scoped ones included.
    write(tmp_path, "c.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
          "  name: r\n  namespace: default\nrules: []\n")
    assert rules(tmp_path, capsys, "tenancy: multi\n") == []


@pytest.mark.parametrize("bad", ["tenancy: many\n", "tenancy: []\n", "tenancy: {tenants: []}\n",
                                 "tenancy: {teams: [a]}\n"])
def test_a_bad_tenancy_is_a_configuration_error(tmp_path: Path, bad: str) -> None:
    write(tmp_path, ".kubegate.yaml", bad)
    with pytest.raises(ConfigError):
        load_config(tmp_path / ".kubegate.yaml", tmp_path)


OCI_AND_EXTERNAL_SECRET = """apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: app, namespace: media}
spec:
  interval: 1h
  url: oci://ghcr.io/example/charts/app
  ref: {tag: 1.2.3}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: media}
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: onepassword}
  target: {name: app}
  dataFrom:
    - extract: {key: app}
"""


def test_single_tenant_fleet_is_not_nagged_per_source_and_cluster_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # bjw-s-labs/home-ops: 80 FLUX-009 "set allowed_sources" and 43 SEC-004 ClusterSecretStore warnings.
    write(tmp_path, "apps/media/app.yaml", OCI_AND_EXTERNAL_SECRET)

    def found(config: str | None) -> list[str]:
        if config is not None:
            write(tmp_path, ".kubegate.yaml", config)
        main(["check", "--format", "json", "--no-render", "--select", "FLUX-009,SEC-004", str(tmp_path)])
        return sorted(f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"])

    assert found(None) == []
    assert found("tenancy: multi\n") == ["FLUX-009", "SEC-004"]
    # a configured allowlist applies in every profile
    assert found("tenancy: single\npolicies:\n  params:\n    FLUX-009: {allowed_sources: [oci://quay.io/]}\n") == [
        "FLUX-009"]
