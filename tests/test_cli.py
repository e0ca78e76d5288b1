"""End to end through `main(argv)`: exit codes, positions, formats, bad input, secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from tests.conftest import REPO, write

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web@sha256:{digest}
          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
            seccompProfile: {type: RuntimeDefault}
""".replace("{digest}", "a" * 64)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--format", "json", "--no-render", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)


def ids_lines(report: dict[str, Any]) -> list[tuple[str, int]]:
    return [(f["rule_id"], f["line"]) for f in report["findings"]]


def test_schema_error_in_second_document_points_at_its_line(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = DEPLOYMENT.replace("replicas: 2", 'replicas: "two"')
    write(tmp_path, "two.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n---\n" + bad)
    code, report = run_json(capsys, "--select", "SCHEMA", str(tmp_path))
    assert code == 1
    assert ids_lines(report) == [("SCHEMA-001", 14)]
    f = report["findings"][0]
    assert (f["column"], f["kind"], f["name"], f["pointer"]) == (13, "Deployment", "web", "/spec/replicas")


def test_unknown_field_points_at_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "d.yaml", DEPLOYMENT.replace("        - name: web\n", "        - name: web\n          imagePullPolicyy: Always\n"))
    code, report = run_json(capsys, "--select", "SCHEMA", str(tmp_path))
    assert code == 1
    assert [(f["rule_id"], f["line"], f["column"]) for f in report["findings"]] == [("SCHEMA-001", 16, 11)]
    code, report = run_json(capsys, "--select", "SCHEMA", "--no-strict", str(tmp_path))
    assert code == 0 and report["findings"] == []


def test_custom_resource_validated_against_crd_in_the_same_tree(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "crd.yaml", """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
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
              required: [size]
              properties:
                size: {type: integer}
""")
    write(tmp_path, "w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n")
    code, report = run_json(capsys, "--select", "SCHEMA", str(tmp_path))
    assert code == 1
    assert [(f["file"].rsplit("/", 1)[-1], f["rule_id"], f["line"]) for f in report["findings"]] == [
        ("w.yaml", "SCHEMA-001", 6)]


def test_sops_secret_passes_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "s.yaml", """\
apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  password: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]
sops:
  mac: ENC[AES256_GCM,data:xyz=,iv:a=,tag:b=,type:str]
  lastmodified: "2024-01-01T00:00:00Z"
  version: 3.8.1
""")
    code, report = run_json(capsys, "--select", "SCHEMA,YAML", str(tmp_path))
    assert (code, report["findings"]) == (0, [])


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("syntax.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n", "YAML-001"),
        ("dup.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n", "YAML-002"),
        ("bomb.yaml", b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n".encode() for i in range(8)),
         "YAML-003"),
        ("deep.yaml", b"a: " + b"[" * 30000 + b"]" * 30000 + b"\n", "YAML-003"),
        ("chart.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n", "YAML-004"),
        ("bin.yaml", b"\x00\x01\x02binary\x00", "YAML-005"),
        ("latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n", "YAML-005"),
    ],
)
def test_bad_input_is_a_positioned_finding_never_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         name: str, content: bytes, rule: str) -> None:
    (tmp_path / name).write_bytes(content)
    code, report = run_json(capsys, str(tmp_path / name))
    assert code == 1
    assert rule in {f["rule_id"] for f in report["findings"]}
    assert all(f["line"] >= 1 and f["column"] >= 1 for f in report["findings"])


def test_bom_crlf_and_tabs_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = DEPLOYMENT.replace("\n", "\r\n").encode("utf-8")
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + text)
    code, report = run_json(capsys, "--select", "YAML,SCHEMA", str(tmp_path))
    assert (code, report["findings"]) == (0, [])


def test_yaml_11_values_are_what_kubernetes_sees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
          "    - name: a\n      image: a@sha256:" + "b" * 64 + "\n      tty: yes\n  volumes:\n    - name: v\n"
          "      secret:\n        secretName: s\n        defaultMode: 0755\n")
    code, report = run_json(capsys, "--select", "YAML,SCHEMA", str(tmp_path))
    assert sorted(ids_lines(report)) == [("YAML-006", 9), ("YAML-007", 14)]
    assert code == 0  # warnings only: `tty: yes` is a valid boolean to the API server


def test_non_kubernetes_yaml_is_skipped_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, ".github/workflows/ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n")
    write(tmp_path, "Taskfile.yaml", "version: '3'\ntasks: {}\n")
    write(tmp_path, "kustomization.yaml", "resources: []\n")
    code, report = run_json(capsys, str(tmp_path))
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["skipped"] == {"GitHub workflow": 1, "Taskfile": 1}


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "ok.yaml", DEPLOYMENT)
    assert main(["check", "--no-render", str(tmp_path / "ok.yaml")]) == 0
    assert main(["check", str(tmp_path / "missing.yaml")]) == 2
    assert main(["check", "--bogus-flag"]) == 2
    write(tmp_path, "bad/.kubegate.yaml", "stricter: true\n")
    write(tmp_path, "bad/a.yaml", DEPLOYMENT)
    assert main(["check", str(tmp_path / "bad")]) == 2
    assert "invalid config" in capsys.readouterr().err


def test_fail_level_warning_fails_on_warnings(tmp_path: Path) -> None:
    write(tmp_path, "w.yaml", "apiVersion: example.com/v1\nkind: Unknown\nmetadata:\n  name: x\n")
    assert main(["check", "--no-render", "--select", "SCHEMA", str(tmp_path)]) == 0
    assert main(["check", "--no-render", "--select", "SCHEMA", "--fail-level", "warning", str(tmp_path)]) == 1
    assert main(["check", "--no-render", "--select", "SCHEMA", "--require-schemas", str(tmp_path)]) == 1


def test_policy_with_syntax_error_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "ok.yaml", DEPLOYMENT)
    write(tmp_path, "pol/bad.rego", "package bad\n\ndeny contains msg if {\n  msg := \n}\n")
    assert main(["check", "--no-render", "--policy", str(tmp_path / "pol"), str(tmp_path / "ok.yaml")]) == 2
    assert "bad.rego:" in capsys.readouterr().err


def test_user_policy_conftest_style(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "ok.yaml", DEPLOYMENT)
    write(tmp_path, "pol/replicas.rego", """\
package main

import rego.v1

deny contains {"msg": "at least 3 replicas", "path": ["spec", "replicas"]} if {
\tinput.kind == "Deployment"
\tinput.spec.replicas < 3
}

warn contains "a warning" if input.kind == "Deployment"
""")
    code, report = run_json(capsys, "--no-bundled-policies", "--policy", str(tmp_path / "pol"),
                            str(tmp_path / "ok.yaml"))
    assert code == 1
    assert sorted((f["rule_id"], f["line"], f["severity"]) for f in report["findings"]) == [
        ("main", 1, "warning"), ("main", 7, "error")]


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    data = DEPLOYMENT.replace("replicas: 2", "replicas: two").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code = main(["check", "--format", "json", "--select", "SCHEMA", "-"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["findings"][0]["file"] == "-" and report["findings"][0]["line"] == 7


CANARIES = ("Y2FuYXJ5LXNlY3JldC0x", "canary-secret-1", "canary-env-2", "canary-dup-3")


def test_canary_secrets_never_printed_in_any_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "secret.yaml", f"""\
apiVersion: v1
kind: Secret
metadata:
  name: leaky
data:
  token: {CANARIES[0]}
  bad: 12
stringData:
  password: {CANARIES[1]}
  password: {CANARIES[3]}
""")
    write(tmp_path, "pod.yaml", f"""\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: a
      image: nginx:latest
      env:
        - name: DB_PASSWORD
          value: {CANARIES[2]}
          valueFrom: 3
""")
    from linter.reporters import FORMATS

    for fmt in sorted(FORMATS):
        main(["check", "--no-render", "--format", fmt, str(tmp_path)])
        captured = capsys.readouterr()
        for canary in CANARIES:
            assert canary not in captured.out + captured.err, (fmt, canary)


def test_example_fleet_shows_findings_at_exact_lines(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "examples" / "fleet")
    code = main(["check", "--format", "json", "."])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    found = {(f["file"], f["rule_id"], f["line"]) for f in report["findings"]}
    assert {("apps/base/podinfo/deployment.yaml", "SCHEMA-001", 9),
            ("apps/base/podinfo/deployment.yaml", "SCHEMA-001", 21),
            ("clusters/production/apps.yaml", "GRAPH-001", 23),
            # the in-tree chart rendered by the Helm engine, reported at the HelmRelease's values line
            ("apps/monitoring/metrics-agent.yaml", "WKL-002", 17)} <= found


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--help"]) == 0
    assert "examples:" in capsys.readouterr().out


def test_python_dash_m_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "linter", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("kubegate ")


@pytest.mark.parametrize("absolute", [False, True])
def test_kustomize_patch_is_not_checked_as_a_resource(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch, absolute: bool) -> None:
    # A strategic-merge patch lacks what its base has (here: containers); as a resource it would fail schema.
    write(tmp_path, "overlay/kustomization.yaml", "resources: [../base]\npatches:\n  - path: patch.yaml\n")
    write(tmp_path, "overlay/patch.yaml",
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n")
    # A tree outside the working directory is reported by absolute paths.
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere" if absolute else tmp_path)
    main(["check", "--no-render", "--format", "json", str(tmp_path / "overlay") if absolute else "overlay"])
    report = json.loads(capsys.readouterr().out)
    assert [f for f in report["findings"] if f["file"].endswith("patch.yaml")] == []
    assert report["summary"]["skipped"] == {"kustomize patch (checked through its render)": 1}


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_special_files_are_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    kind: str) -> None:
    # open() on a FIFO with no writer blocks forever, and /dev/zero never ends: never read either.
    special = tmp_path / "special.yaml"
    if kind == "fifo":
        os.mkfifo(special)
    else:
        special.symlink_to("/dev/zero")
    code, report = run_json(capsys, str(special))
    assert code == 1
    assert [(f["rule_id"], f["line"]) for f in report["findings"]] == [("YAML-005", 1)]


@pytest.mark.parametrize("files", [1, 150])
def test_exit_without_teardown_still_delivers_all_output(tmp_path: Path, files: int) -> None:
    """The entry points end with os._exit: a report must reach a pipe whole, whether it is smaller
    than the pipe's buffer (written at exit) or larger, and the exit code must survive."""
    for i in range(files):
        write(tmp_path, f"d{i}.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  labels: [x]\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a pipe is block-buffered
    out = subprocess.run([sys.executable, "-m", "linter", "check", "--format", "json", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 1, out.stderr
    payload = json.loads(out.stdout)  # complete: a truncated document would not parse
    assert len(payload["findings"]) >= files


def test_a_run_pauses_the_cyclic_collector_and_restores_it(tmp_path: Path) -> None:
    import gc

    from linter.config import Config
    from linter.pipeline import RunRequest, run

    write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    seen: list[bool] = []

    def check(_docs: Any) -> list[Any]:
        seen.append(gc.isenabled())
        return []

    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            run(RunRequest(paths=[str(tmp_path)], config=Config(), cwd=tmp_path, extra_checks=[check]))
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert seen == [False, False]
