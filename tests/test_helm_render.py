"""HelmReleases rendered by the real Helm engine, end to end through `kubegate check` / `charts pull`.

Charts are written in the test, served by a real HTTP chart repository and a real OCI registry on
127.0.0.1 (tests/helm_servers.py); every run has its own chart and render cache.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from linter.helm.engine import available
from tests.helm_servers import (DEPLOYMENT, http_repository, oci_registry, package, push, registry_binary,
                                write_chart, write_index)

pytestmark = pytest.mark.skipif(not available(), reason="helm-python-sdk is not installed")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEGATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CI", raising=False)


def fleet(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def helmrelease(chart: str, source: str, values: str = "", version: str = "1.0.0", extra: str = "",
                name: str = "web") -> str:
    return f"""apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: {chart}
      version: "{version}"
      sourceRef:
{source}
  values:
{values or "    {}"}
{extra}"""


SELF = "        kind: GitRepository\n        name: flux-system\n        namespace: flux-system"


def check(root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
          *args: str) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = main(["check", "--format", "json", *args])
    report = json.loads(capsys.readouterr().out)
    return code, report["findings"], report["summary"]


def ids(findings: list[dict[str, Any]]) -> set[str]:
    return {f["rule_id"] for f in findings}


def test_an_in_tree_chart_is_rendered_and_findings_point_at_the_values(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = fleet(tmp_path / "repo", {"apps/hr.yaml": helmrelease("./charts/app", SELF,
                                                                  "    securityContext:\n      privileged: true")})
    write_chart(root / "charts")
    code, findings, summary = check(root, capsys, monkeypatch, "apps")
    privileged = [f for f in findings if f["rule_id"] == "WKL-001"]
    assert code == 1 and len(privileged) == 1
    f = privileged[0]
    assert (f["file"], f["line"], f["kind"], f["namespace"]) == ("apps/hr.yaml", 18, "Deployment", "apps")
    assert f["rendered_from"] == "app 1.0.0: templates/deployment.yaml" and f["chart_only"] is False
    assert "[app 1.0.0: templates/deployment.yaml]" in f["message"]
    assert summary["flux"]["helm"]["rendered"] == 1


def test_a_finding_the_values_cannot_fix_points_at_the_chart_and_can_be_exempted_per_chart(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    template = DEPLOYMENT.replace("      securityContext:\n        runAsNonRoot", "      hostNetwork: true\n"
                                  "      securityContext:\n        runAsNonRoot")
    root = fleet(tmp_path / "repo", {"apps/hr.yaml": helmrelease("./charts/app", SELF)})
    write_chart(root / "charts", templates={"deployment.yaml": template})
    _code, findings, _summary = check(root, capsys, monkeypatch, "apps")
    host = [f for f in findings if f["rule_id"] == "WKL-002"]
    assert len(host) == 1 and host[0]["chart_only"] is True and host[0]["line"] == 8  # spec.chart
    assert "set by the chart, not by values" in host[0]["message"]
    (root / ".kubegate.yaml").write_text("helm:\n  exempt_charts:\n    app: [WKL-002]\n")
    _code, findings, _summary = check(root, capsys, monkeypatch, "apps")
    assert "WKL-002" not in ids(findings)


def test_http_repository_online_then_offline_from_the_cache(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "served"
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        package(write_chart(tmp_path / f"src-{version}", version=version), repo)
    write_index(repo)
    with http_repository(repo) as url:
        source = f"---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n" \
                 f"  namespace: apps\nspec:\n  url: {url}\n"
        root = fleet(tmp_path / "repo", {
            "apps/hr.yaml": helmrelease("app", "        kind: HelmRepository\n        name: charts", version="1.x",
                                        values="    securityContext:\n      privileged: true") + source})
        code, findings, summary = check(root, capsys, monkeypatch, "--offline", ".")
        not_cached = [f for f in findings if f["rule_id"] == "RENDER-003"]
        assert len(not_cached) == 1 and not_cached[0]["severity"] == "warning"
        assert "kubegate charts pull" in not_cached[0]["message"]
        assert "WKL-001" not in ids(findings)

        monkeypatch.chdir(root)
        assert main(["charts", "pull", "."]) == 0
        assert "1 of 1 HelmReleases rendered" in capsys.readouterr().out
    # the server is gone: offline, the cache has what the semver range resolves to
    code, findings, summary = check(root, capsys, monkeypatch, "--offline", ".")
    assert "RENDER-003" not in ids(findings) and "WKL-001" in ids(findings)
    assert next(f for f in findings if f["rule_id"] == "WKL-001")["rendered_from"].startswith("app 1.1.0:")
    assert summary["flux"]["helm"]["cached"] == 1  # the render cache too


def test_an_unreachable_repository_fails_closed_online(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    source = "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n" \
             "  namespace: apps\nspec:\n  url: http://127.0.0.1:9/charts\n"
    ref = "        kind: HelmRepository\n        name: charts"
    root = fleet(tmp_path / "repo", {"apps/hr.yaml": helmrelease("app", ref) + source,
                                     "apps/other.yaml": helmrelease("other", ref, name="worker")})
    code, findings, summary = check(root, capsys, monkeypatch, "--online", ".")
    failed = [f for f in findings if f["rule_id"] == "RENDER-004"]
    # one cause, one finding: the unreachable host, with the releases (of both charts) it leaves unchecked
    assert code == 1 and len(failed) == 1 and failed[0]["severity"] == "error"
    assert "unreachable" in failed[0]["message"] and failed[0]["line"] == 8
    assert "2 HelmRelease(s) not rendered (web, worker)" in failed[0]["message"]
    assert summary["flux"]["helm"]["not_rendered"] == {"chart not fetched": 2}


def test_a_wrong_digest_in_the_index_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "served"
    package(write_chart(tmp_path / "src"), repo)
    write_index(repo)
    index = json.loads((repo / "index.yaml").read_text())
    index["entries"]["app"][0]["digest"] = "0" * 64
    (repo / "index.yaml").write_text(json.dumps(index))
    with http_repository(repo) as url:
        source = f"---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: c\n" \
                 f"  namespace: apps\nspec:\n  url: {url}\n"
        root = fleet(tmp_path / "repo", {"hr.yaml": helmrelease("app", "        kind: HelmRepository\n"
                                                                "        name: c") + source})
        _code, findings, _summary = check(root, capsys, monkeypatch, "--online", ".")
    assert any(f["rule_id"] == "RENDER-004" and "digest does not match" in f["message"] for f in findings)


@pytest.mark.skipif(registry_binary() is None, reason="docker-registry is not installed (.ci/run installs it)")
def test_oci_registry_chart_ref_and_helm_repository_of_type_oci(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with oci_registry(tmp_path / "registry") as host:
        for version in ("1.0.0", "1.4.0"):
            push(package(write_chart(tmp_path / f"src-{version}", version=version), tmp_path / "dist"),
                 f"{host}/charts")
        files = {
            "apps/oci.yaml": f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {{name: app, namespace: apps}}
spec:
  url: oci://{host}/charts/app
  insecure: true
  ref: {{semver: "^1.0"}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: by-ref, namespace: apps}}
spec:
  chartRef: {{kind: OCIRepository, name: app}}
  values:
    securityContext: {{privileged: true}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {{name: oci, namespace: apps}}
spec:
  type: oci
  insecure: true
  url: oci://{host}/charts
""",
            "apps/hr.yaml": helmrelease("app", "        kind: HelmRepository\n        name: oci", version="1.0.0",
                                        values="    securityContext:\n      privileged: true"),
        }
        root = fleet(tmp_path / "repo", files)
        code, findings, summary = check(root, capsys, monkeypatch, "--online", ".")
    privileged = sorted((f["name"], f["rendered_from"]) for f in findings if f["rule_id"] == "WKL-001")
    assert privileged == [("by-ref", "app 1.4.0: templates/deployment.yaml"),
                          ("web", "app 1.0.0: templates/deployment.yaml")]
    assert summary["flux"]["helm"]["rendered"] == 2


def test_values_from_a_configmap_in_the_tree_and_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    extra = "  valuesFrom:\n    - kind: ConfigMap\n      name: web-values\n    - kind: Secret\n      name: elsewhere\n"
    cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-values, namespace: apps}\ndata:\n" \
         "  values.yaml: |\n    image: {tag: from-configmap}\n    securityContext: {runAsUser: 0}\n"
    root = fleet(tmp_path / "repo", {"apps/hr.yaml": helmrelease("./charts/app", SELF, extra=extra) + cm})
    write_chart(root / "charts")
    _code, findings, _summary = check(root, capsys, monkeypatch, "apps")
    root_user = [f for f in findings if f["rule_id"] == "WKL-005"]  # runAsUser: 0 comes from the ConfigMap
    assert len(root_user) == 1 and "user 0" in root_user[0]["message"]
    assert root_user[0]["chart_only"] is False and root_user[0]["line"] == 18  # spec.valuesFrom
    missing = [f for f in findings if f["rule_id"] == "GRAPH-006"]
    assert len(missing) == 1 and "Secret elsewhere" in missing[0]["message"]


def test_a_failing_template_is_one_finding_and_the_rest_is_still_checked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ required \"set .Values.name\" .Values.name }}\n"
    root = fleet(tmp_path / "repo", {
        "apps/broken.yaml": helmrelease("./charts/broken", SELF, name="broken"),
        "apps/hr.yaml": helmrelease("./charts/app", SELF, "    securityContext:\n      privileged: true"),
    })
    write_chart(root / "charts")
    write_chart(root / "charts", name="broken", templates={"cm.yaml": broken})
    code, findings, summary = check(root, capsys, monkeypatch, "apps")
    failed = [f for f in findings if f["rule_id"] == "RENDER-005"]
    assert len(failed) == 1 and "set .Values.name" in failed[0]["message"] and failed[0]["file"] == "apps/broken.yaml"
    assert "WKL-001" in ids(findings) and code == 1
    assert summary["flux"]["helm"]["failed"] == 1 and summary["flux"]["helm"]["rendered"] == 1


@pytest.mark.parametrize(("template", "limit"), [
    ("{{- range $i := until 100000000 }}{{ $i }}{{ end }}", ["timeout_seconds: 2"]),
    ("data:\n{{- range $i := until 2000000 }}\n  k{{ $i }}: {{ repeat 40 \"x\" }}{{ end }}",
     ["max_output_mb: 20", "timeout_seconds: 60"]),
])
def test_a_hostile_chart_is_stopped_with_a_finding(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, template: str,
        limit: list[str]) -> None:
    root = fleet(tmp_path / "repo", {
        ".kubegate.yaml": "helm:\n" + "".join(f"  {line}\n" for line in limit),
        "apps/evil.yaml": helmrelease("./charts/evil", SELF, name="evil"),
        "apps/hr.yaml": helmrelease("./charts/app", SELF, "    securityContext:\n      privileged: true"),
    })
    write_chart(root / "charts")
    write_chart(root / "charts", name="evil",
                templates={"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" + template})
    code, findings, _summary = check(root, capsys, monkeypatch, "apps")
    stopped = [f for f in findings if f["rule_id"] in ("RENDER-005", "RENDER-006") and f["file"] == "apps/evil.yaml"]
    assert len(stopped) == 1 and stopped[0]["severity"] == "error"
    assert "WKL-001" in ids(findings)  # the engine is restarted for the next release


def test_chart_crds_join_the_schema_registry_and_test_hooks_are_dropped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    crd = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.acme.io}
spec:
  group: acme.io
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
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
              properties: {size: {type: integer}}
"""
    templates = {"widget.yaml": "apiVersion: acme.io/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: big}\n",
                 "test.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations: {helm.sh/hook: test}\n"
                              "spec:\n  containers: [{name: t, image: busybox, securityContext: {privileged: true}}]\n"}
    root = fleet(tmp_path / "repo", {"apps/hr.yaml": helmrelease("./charts/app", SELF)})
    write_chart(root / "charts", templates=templates, crds={"widget.yaml": crd})
    _code, findings, _summary = check(root, capsys, monkeypatch, "apps")
    schema = [f for f in findings if f["rule_id"] == "SCHEMA-001" and f["kind"] == "Widget"]
    assert len(schema) == 1 and "rendered_from" in schema[0]
    assert not any(f["kind"] == "Pod" for f in findings)  # helm.sh/hook: test is not installed


def test_a_helmrelease_rendered_by_a_flux_kustomization_gets_its_substitutions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ks = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute: {PRIVILEGED: "true"}
"""
    root = fleet(tmp_path / "repo", {
        "clusters/prod/apps.yaml": ks,
        "apps/kustomization.yaml": "resources: [hr.yaml]\n",
        "apps/hr.yaml": helmrelease("./charts/app", SELF, "    securityContext:\n      privileged: ${PRIVILEGED}"),
    })
    write_chart(root / "charts")
    _code, findings, summary = check(root, capsys, monkeypatch, ".")
    privileged = [f for f in findings if f["rule_id"] == "WKL-001"]
    assert len(privileged) == 1 and privileged[0]["file"] == "apps/hr.yaml" and privileged[0]["line"] == 18
    assert summary["flux"]["helm"]["releases"] == 1  # the rendered HelmRelease, not also the raw one


def test_changed_only_renders_only_the_changed_release(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from linter.config import load_config
    from linter.pipeline import RunRequest, run

    root = fleet(tmp_path / "repo", {
        "apps/a.yaml": helmrelease("./charts/app", SELF, name="a"),
        "apps/b.yaml": helmrelease("./charts/app", SELF, name="b"),
    })
    write_chart(root / "charts")
    result = run(RunRequest(paths=["apps/a.yaml", "apps/b.yaml"], config=load_config(None, root), cwd=root,
                            changed_files=frozenset({root / "apps/a.yaml"})))
    helm = result.summary["flux"]["helm"]
    assert (helm["rendered"], helm["unchanged"]) == (1, 1)


def test_without_the_helm_engine_one_warning_says_how_to_install_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import linter.helm

    monkeypatch.setattr(linter.helm, "available", lambda: False)
    root = fleet(tmp_path / "repo", {"apps/a.yaml": helmrelease("./charts/app", SELF, name="a"),
                                     "apps/b.yaml": helmrelease("./charts/app", SELF, name="b")})
    _code, findings, _summary = check(root, capsys, monkeypatch, "apps")
    missing = [f for f in findings if f["rule_id"] == "RENDER-007"]
    assert len(missing) == 1 and "kubegate[helm]" in missing[0]["message"] and "2 HelmRelease" in missing[0]["message"]


def test_sarif_names_the_chart_template(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = fleet(tmp_path / "repo", {"apps/hr.yaml": helmrelease("./charts/app", SELF,
                                                                  "    securityContext:\n      privileged: true")})
    write_chart(root / "charts")
    monkeypatch.chdir(root)
    capsys.readouterr()
    main(["check", "--format", "sarif", "apps"])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    wkl = next(r for r in results if r["ruleId"] == "WKL-001")
    assert wkl["properties"] == {"renderedFrom": "app 1.0.0: templates/deployment.yaml", "chartOnly": False}
    assert wkl["locations"][0]["physicalLocation"]["region"]["startLine"] == 18


@pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                    reason="kubectl or kustomize is needed for postRenderers")
def test_post_renderers_patch_the_chart_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    extra = """  postRenderers:
    - kustomize:
        patches:
          - target: {kind: Deployment}
            patch: |
              - op: add
                path: /spec/template/spec/hostNetwork
                value: true
"""
    root = fleet(tmp_path / "repo", {"apps/hr.yaml": helmrelease("./charts/app", SELF, extra=extra)})
    write_chart(root / "charts")
    _code, findings, _summary = check(root, capsys, monkeypatch, "apps")
    host = [f for f in findings if f["rule_id"] == "WKL-002"]
    assert len(host) == 1 and host[0]["line"] == 18 and host[0]["chart_only"] is False  # spec.postRenderers
    assert host[0]["rendered_from"] == "app 1.0.0: templates/deployment.yaml"


def test_a_private_http_repository_with_credentials_from_the_docker_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import http.server
    import threading

    repo = tmp_path / "served"
    package(write_chart(tmp_path / "src"), repo)
    write_index(repo)
    secret = "s3cr3t-Passw0rd"
    expected = "Basic " + base64.b64encode(f"ci:{secret}".encode()).decode()

    class Private(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            if self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            super().do_GET()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Private(*a, directory=str(repo)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        source = f"---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: c\n" \
                 f"  namespace: apps\nspec:\n  url: http://{host}\n"
        root = fleet(tmp_path / "repo", {"hr.yaml": helmrelease("app", "        kind: HelmRepository\n"
                                                                "        name: c", values="    securityContext:\n"
                                                                "      privileged: true") + source})
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
        _code, findings, _summary = check(root, capsys, monkeypatch, "--online", ".")
        assert any(f["rule_id"] == "RENDER-004" and "HTTP 401" in f["message"] for f in findings)
        (tmp_path / "docker").mkdir()
        (tmp_path / "docker" / "config.json").write_text(json.dumps(
            {"auths": {host: {"auth": base64.b64encode(f"ci:{secret}".encode()).decode()}}}))
        monkeypatch.chdir(root)
        capsys.readouterr()
        main(["check", "--online", "--format", "json", "."])
        out = capsys.readouterr()
    finally:
        server.shutdown()
        server.server_close()
    findings = json.loads(out.out)["findings"]
    assert "WKL-001" in ids(findings) and "RENDER-004" not in ids(findings)
    assert secret not in out.out + out.err
