"""Real chart sources on 127.0.0.1 for the Helm tests: charts written as files, packaged as Helm does
(a gzipped tar of `<name>/...`), an HTTP chart repository (index.yaml + archives, Python's own HTTP
server) and an OCI registry (Debian's `docker-registry`, Distribution 2.8) that charts are pushed to
by the real Helm engine in a separate process (so no Go runtime runs in the test process)."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      serviceAccountName: {{ .Release.Name }}
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
"""

VALUES = """image:
  repository: ghcr.io/acme/app
  tag: "1.0.0@sha256:0000000000000000000000000000000000000000000000000000000000000000"
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: [ALL]}
"""


def write_chart(directory: Path, name: str = "app", version: str = "1.0.0",
                templates: Mapping[str, str] | None = None, values: str = VALUES,
                crds: Mapping[str, str] | None = None) -> Path:
    chart = directory / name
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: {version}\n")
    (chart / "values.yaml").write_text(values)
    for file, text in (templates if templates is not None else {"deployment.yaml": DEPLOYMENT}).items():
        (chart / "templates" / file).write_text(text)
    for file, text in (crds or {}).items():
        (chart / "crds").mkdir(exist_ok=True)
        (chart / "crds" / file).write_text(text)
    return chart


def package(chart: Path, out: Path) -> Path:
    """`helm package`: `<name>-<version>.tgz` holding `<name>/...`."""
    version = next(line.split(":", 1)[1].strip() for line in (chart / "Chart.yaml").read_text().splitlines()
                   if line.startswith("version:"))
    out.mkdir(parents=True, exist_ok=True)
    archive = out / f"{chart.name}-{version}.tgz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for f in sorted(p for p in chart.rglob("*") if p.is_file()):
            tar.add(f, arcname=f"{chart.name}/{f.relative_to(chart).as_posix()}")
    archive.write_bytes(buf.getvalue())
    return archive


def write_index(repo: Path, base_url: str = "") -> None:
    """index.yaml for every archive in `repo` (JSON is YAML), with digests and relative URLs."""
    entries: dict[str, list[dict[str, str]]] = {}
    for archive in sorted(repo.glob("*.tgz")):
        name, version = archive.name[:-4].rsplit("-", 1)
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        entries.setdefault(name, []).append({"name": name, "version": version, "digest": digest,
                                             "urls": [base_url + archive.name], "apiVersion": "v2"})
    (repo / "index.yaml").write_text(json.dumps({"apiVersion": "v1", "entries": entries}))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def http_repository(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1; yields the base URL."""
    def handler(*args: object, **kwargs: object) -> _Quiet:
        return _Quiet(*args, directory=str(directory), **kwargs)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def registry_binary() -> str | None:
    return shutil.which("docker-registry") or next(
        (p for p in ("/usr/bin/docker-registry", "/usr/sbin/docker-registry") if os.path.exists(p)), None)


@contextmanager
def oci_registry(tmp: Path) -> Iterator[str]:
    """A real OCI registry on 127.0.0.1; yields `127.0.0.1:PORT`."""
    binary = registry_binary()
    assert binary, "docker-registry is not installed (.ci/run installs Debian's docker-registry)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "registry.yml"
    config.write_text(f"version: 0.1\nlog: {{level: error}}\n"
                      f"storage:\n  filesystem: {{rootdirectory: {tmp / 'data'}}}\n"
                      f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("docker-registry did not start") from None
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def push(archive: Path, remote: str) -> None:
    """`helm push ARCHIVE oci://REMOTE --plain-http`, by the real engine, in its own process."""
    code = ("import sys, helm_python; helm_python.disable_logging(); "
            "helm_python.push(sys.argv[1], sys.argv[2], plain_http=True)")
    subprocess.run([sys.executable, "-c", code, str(archive), f"oci://{remote}"], check=True, timeout=60,
                   capture_output=True)
