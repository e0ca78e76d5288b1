"""HelmRelease rendering cost beside the raw check (issue 11, item 6).

    .venv/bin/python bench/helm.py                       # 150 releases, 5 runs each
    .venv/bin/python bench/helm.py --releases 300 --runs 7
    .venv/bin/python bench/helm.py --write BENCHMARKS.md

A generated fleet: one Flux Kustomization applying N HelmReleases of a chart (a Deployment, a
Service, a ServiceAccount and a Role/RoleBinding per release, like a small app chart), each with its
own values, beside N plain Deployments. Three ways, side by side in one run, each `python -m linter
check --format json` in a child process (wall time, median of the runs):

  raw        `helm.render: false`: HelmReleases judged on their values only (what kubegate did before)
  cold       rendering with empty chart and Helm render caches (every release through the Helm engine)
  cached     rendering with the caches the cold run filled (the steady state of CI and pre-commit)

The kustomize render cache of the Flux Kustomization is warm in all three (a warm-up run fills it).

The ratio column is against `raw`; the target is cached < 2x raw.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- helm:begin -->", "<!-- helm:end -->"

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    "values.yaml": "image: {repository: ghcr.io/acme/app, tag: '1.0.0'}\nreplicas: 1\nport: 8080\n",
    "templates/all.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}, labels: {app: {{ .Release.Name }}}}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      serviceAccountName: {{ .Release.Name }}
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports: [{containerPort: {{ .Values.port }}}]
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          resources: {limits: {memory: 128Mi}, requests: {cpu: 10m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}}
spec: {selector: {app: {{ .Release.Name }}}, ports: [{port: 80, targetPort: {{ .Values.port }}}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: {{ .Release.Name }}}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: {{ .Release.Name }}}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: {{ .Release.Name }}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: {{ .Release.Name }}}
subjects: [{kind: ServiceAccount, name: {{ .Release.Name }}, namespace: {{ .Release.Namespace }}}]
""",
}


def make_fleet(root: Path, releases: int) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name, text in CHART.items():
        (root / "charts/app" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "charts/app" / name).write_text(text)
    (root / "clusters").mkdir()
    (root / "clusters/apps.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: apps, namespace: flux-system}\n"
        "spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n")
    apps = root / "apps"
    apps.mkdir()
    names = []
    for i in range(releases):
        names.append(f"app{i}.yaml")
        (apps / f"app{i}.yaml").write_text(f"""apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: app{i}, namespace: apps}}
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/app
      sourceRef: {{kind: GitRepository, name: flux-system, namespace: flux-system}}
  values:
    image: {{tag: "1.{i}.0@sha256:{i:064x}"}}
    replicas: {1 + i % 3}
""")
        names.append(f"deploy{i}.yaml")
        (apps / f"deploy{i}.yaml").write_text(f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: plain{i}, namespace: apps}}
spec:
  selector: {{matchLabels: {{app: plain{i}}}}}
  template:
    metadata: {{labels: {{app: plain{i}}}}}
    spec:
      containers: [{{name: app, image: "ghcr.io/acme/plain:1.{i}@sha256:{i:064x}"}}]
""")
    (apps / "kustomization.yaml").write_text("resources:\n" + "".join(f"  - {n}\n" for n in names))


def run_once(root: Path, cache: Path, render: bool) -> tuple[float, dict]:
    (root / ".kubegate.yaml").write_text(f"helm:\n  render: {'true' if render else 'false'}\n")
    env = {**os.environ, "KUBEGATE_CACHE_DIR": str(cache)}
    env.pop("CI", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "linter", "check", "--format", "json", "."], cwd=root,
                          env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"kubegate exited {proc.returncode}: {proc.stderr[-2000:]}")
    return seconds, json.loads(proc.stdout)["summary"]


def measure(releases: int, runs: int) -> list[tuple[str, float, int, str]]:
    with tempfile.TemporaryDirectory(prefix="kubegate-bench-helm-") as tmp:
        root, cache = Path(tmp) / "fleet", Path(tmp) / "cache"
        make_fleet(root, releases)
        raw, cold, cached = [], [], []
        resources: dict[str, int] = {}
        run_once(root, cache, render=False)  # warm-up: the Flux Kustomization's kustomize render cache, for all
        for _ in range(runs):
            s, summary = run_once(root, cache, render=False)
            raw.append(s)
            resources["raw"] = summary["resources"]
            for helm_cache in ("charts", "helm-render"):
                shutil.rmtree(cache / helm_cache, ignore_errors=True)
            s, summary = run_once(root, cache, render=True)
            cold.append(s)
            resources["cold"] = summary["resources"]
            s, summary = run_once(root, cache, render=True)
            cached.append(s)
            resources["cached"] = summary["resources"]
            assert summary["flux"]["helm"]["cached"] == releases, summary["flux"]["helm"]
        base = statistics.median(raw)
        return [(label, statistics.median(times), resources[label], f"{statistics.median(times) / base:.2f}x")
                for label, times in (("raw", raw), ("cold", cold), ("cached", cached))]


def table(rows: list[tuple[str, float, int, str]], releases: int, runs: int) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    lines = [f"{releases} HelmReleases of one chart (5 objects each) beside {releases} plain Deployments; median "
             f"of {runs} runs; {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; "
             f"`.venv/bin/python bench/helm.py --releases {releases} --runs {runs}`.", "",
             "| mode | wall s | resources checked | vs raw |", "|---|---|---|---|"]
    lines += [f"| {label} | {seconds:.2f} | {res} | {ratio} |" for label, seconds, res, ratio in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=150)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path, metavar="FILE", help="replace the table between the helm markers")
    args = parser.parse_args(argv)
    text = table(measure(args.releases, args.runs), args.releases, args.runs)
    print(text)
    if args.write:
        doc = args.write.read_text()
        block = f"{BEGIN}\n{text}\n{END}"
        if BEGIN in doc and END in doc:
            doc = doc[:doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
        else:
            doc = doc.rstrip("\n") + f"\n\n## HelmRelease rendering (bench/helm.py)\n\n{block}\n"
        args.write.write_text(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
