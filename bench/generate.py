"""Generate deterministic GitOps fleets of N Kubernetes documents for benchmarks.

The layout imitates a Flux monorepo: `clusters/production/<tenant>/apps.yaml` holds one Flux
Kustomization per app, `infrastructure/tenants/<tenant>/` the Namespace, and
`apps/<tenant>/<app>/` the app itself (plain manifests or a HelmRelease) with a kustomization.yaml.
Documents are spread over files of 1-5 documents. A small, fixed share of resources carries a
violation (mutable image tag, privileged container, wildcard RBAC, schema error) so checks report
findings as they would on a real repository. The same (N, seed) always produces the same bytes.

Usage: python bench/generate.py --docs 10000 OUT_DIR
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

APPS_PER_TENANT = 25
RAW_BUNDLE = 8  # Deployment, Service, ConfigMap, ServiceAccount, Role, RoleBinding, kustomization.yaml, Flux Kustomization
HELM_BUNDLE = 5  # HelmRepository, ConfigMap, HelmRelease, kustomization.yaml, Flux Kustomization
DIGEST = "@sha256:" + "0123456789abcdef" * 4

# Violation frequencies: one resource in N of its kind gets the defect (primes, so they rarely stack).
VIOLATIONS = {"image-latest": 37, "privileged": 53, "schema-replicas": 97, "rbac-wildcard": 61, "helm-no-version": 43}


@dataclass(frozen=True)
class Doc:
    """One YAML document and its kind (for the statistics)."""

    kind: str
    text: str


@dataclass
class FleetStats:
    """What a generated fleet contains."""

    documents: int = 0
    files: int = 0
    bytes: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)


class _Fleet:
    """Accumulates documents, chunks them into files and writes them under `root`."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.stats = FleetStats()

    def write_chunked(self, directory: str, docs: Sequence[Doc]) -> list[str]:
        """Spread `docs` over files of 1-5 documents; returns the file names written."""
        names: list[str] = []
        i = 0
        while i < len(docs):
            size = self.rng.randint(1, 5)
            chunk = docs[i:i + size]
            name = f"{chunk[0].kind.lower()}-{len(names)}.yaml"
            self.write(f"{directory}/{name}", chunk)
            names.append(name)
            i += size
        return names

    def write(self, rel: str, docs: Sequence[Doc]) -> None:
        data = "---\n".join(doc.text for doc in docs).encode()
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.stats.files += 1
        self.stats.bytes += len(data)
        self.stats.documents += len(docs)
        self.stats.kinds.update(doc.kind for doc in docs)

    def flag(self, name: str, counter: int) -> bool:
        """True for the deterministic share of resources that carry violation `name`."""
        hit = counter % VIOLATIONS[name] == VIOLATIONS[name] - 1
        if hit:
            self.stats.violations[name] += 1
        return hit


def _deployment(fleet: _Fleet, ns: str, app: str, n: int) -> Doc:
    tag = "latest" if fleet.flag("image-latest", n) else f"1.{n % 40}.{n % 7}{DIGEST}"
    privileged = "true" if fleet.flag("privileged", n) else "false"
    replicas = '"two"' if fleet.flag("schema-replicas", n) else str(1 + n % 3)
    return Doc("Deployment", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/part-of: {ns}
spec:
  replicas: {replicas}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
        app.kubernetes.io/part-of: {ns}
    spec:
      serviceAccountName: {app}
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {app}
          image: ghcr.io/example/{app}:{tag}
          ports:
            - name: http
              containerPort: 8080
          envFrom:
            - configMapRef:
                name: {app}-config
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
            limits:
              memory: 256Mi
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
          securityContext:
            privileged: {privileged}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
""")


def _service(ns: str, app: str) -> Doc:
    return Doc("Service", f"""apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {ns}
spec:
  selector:
    app.kubernetes.io/name: {app}
  ports:
    - name: http
      port: 80
      targetPort: http
""")


def _configmap(ns: str, name: str, n: int) -> Doc:
    return Doc("ConfigMap", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
data:
  LOG_LEVEL: info
  WORKERS: "{1 + n % 8}"
  FEATURE_FLAGS: "search,export"
""")


def _rbac(fleet: _Fleet, ns: str, app: str, n: int) -> list[Doc]:
    verbs = '["*"]' if fleet.flag("rbac-wildcard", n) else '["get", "list", "watch"]'
    return [
        Doc("ServiceAccount", f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}
  namespace: {ns}
automountServiceAccountToken: false
"""),
        Doc("Role", f"""apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {app}-reader
  namespace: {ns}
rules:
  - apiGroups: [""]
    resources: ["configmaps", "services"]
    verbs: {verbs}
"""),
        Doc("RoleBinding", f"""apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {app}-reader
  namespace: {ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {app}-reader
subjects:
  - kind: ServiceAccount
    name: {app}
    namespace: {ns}
"""),
    ]


def _helm(fleet: _Fleet, ns: str, app: str, n: int) -> list[Doc]:
    version = "" if fleet.flag("helm-no-version", n) else f"\n      version: 2.{n % 9}.1"
    return [
        Doc("HelmRepository", f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: {app}
  namespace: {ns}
spec:
  interval: 1h
  url: https://charts.example.com/{app}
"""),
        Doc("HelmRelease", f"""apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {app}
  namespace: {ns}
spec:
  interval: 30m
  serviceAccountName: {ns}-flux
  chart:
    spec:
      chart: {app}{version}
      sourceRef:
        kind: HelmRepository
        name: {app}
  valuesFrom:
    - kind: ConfigMap
      name: {app}-values
  values:
    replicaCount: {1 + n % 3}
    image:
      repository: ghcr.io/example/{app}
      tag: 3.{n % 11}.0
    podSecurityContext:
      runAsNonRoot: true
      runAsUser: 10001
      fsGroup: 10001
    resources:
      requests:
        cpu: 100m
        memory: 128Mi
      limits:
        memory: 512Mi
    ingress:
      enabled: true
      className: internal
      hosts:
        - host: {app}.{ns}.example.com
          paths:
            - path: /
              pathType: Prefix
    persistence:
      data:
        enabled: true
        size: 5Gi
        storageClass: ceph-block
    serviceMonitor:
      enabled: true
      interval: 1m
"""),
    ]


def _kustomization(names: Sequence[str]) -> Doc:
    listed = "".join(f"  - {name}\n" for name in names)
    return Doc("kustomization.yaml", f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{listed}")


def _flux_kustomization(ns: str, app: str, path: str) -> Doc:
    return Doc("Kustomization", f"""apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {app}
  namespace: {ns}
spec:
  interval: 10m
  path: ./{path}
  prune: true
  serviceAccountName: {ns}-flux
  targetNamespace: {ns}
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
""")


def _namespace(ns: str) -> Doc:
    return Doc("Namespace", f"""apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
  labels:
    pod-security.kubernetes.io/enforce: restricted
""")


def _app(fleet: _Fleet, ns: str, index: int, helm: bool) -> Doc:
    """Write one app's directory; returns the Flux Kustomization that deploys it."""
    app = f"app-{index:05d}"
    directory = f"apps/{ns}/{app}"
    if helm:
        docs = [*_helm(fleet, ns, app, index), _configmap(ns, f"{app}-values", index)]
    else:
        docs = [_deployment(fleet, ns, app, index), _service(ns, app), _configmap(ns, f"{app}-config", index),
                *_rbac(fleet, ns, app, index)]
    names = fleet.write_chunked(directory, docs)
    fleet.write(f"{directory}/kustomization.yaml", [_kustomization(names)])
    return _flux_kustomization(ns, app, directory)


def generate(root: Path, documents: int, seed: int = 0) -> FleetStats:
    """Write a fleet of exactly `documents` documents under `root` (created if needed)."""
    fleet = _Fleet(root, random.Random(seed))
    remaining, index, tenant = documents, 0, 0
    while remaining > 0:
        ns = f"team-{tenant:03d}"
        fleet.write(f"infrastructure/tenants/{ns}/namespace.yaml", [_namespace(ns)])
        remaining -= 1
        flux_docs: list[Doc] = []
        for _ in range(APPS_PER_TENANT):
            # Every app needs its Flux Kustomization in the tenant's cluster file as well.
            if remaining < HELM_BUNDLE:
                break
            helm = remaining < RAW_BUNDLE or fleet.rng.random() < 0.3
            flux_docs.append(_app(fleet, ns, index, helm))
            remaining -= HELM_BUNDLE if helm else RAW_BUNDLE
            index += 1
        if flux_docs:
            fleet.write_chunked(f"clusters/production/{ns}", flux_docs)
        if 0 < remaining < HELM_BUNDLE:
            fleet.write(f"infrastructure/misc/{ns}.yaml",
                        [_configmap(ns, f"extra-{i}", i) for i in range(remaining)])
            remaining = 0
        tenant += 1
    return fleet.stats


def write_pair(path: Path) -> None:
    """Write the pre-commit case: one changed file with two documents (a Deployment and its Service)."""
    fleet = _Fleet(path.parent, random.Random(0))
    fleet.write(path.name, [_deployment(fleet, "team-000", "app-00000", 0), _service("team-000", "app-00000")])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, required=True, help="number of YAML documents")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("out", type=Path, help="output directory (must be empty or absent)")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        print(f"generate: {args.out} is not empty", file=sys.stderr)
        return 2
    stats = generate(args.out, args.docs, args.seed)
    print(f"{stats.documents} documents in {stats.files} files, {stats.bytes / 1e6:.1f} MB; "
          f"violations: {dict(sorted(stats.violations.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
