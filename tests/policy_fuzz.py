"""Hostile Kubernetes-shaped documents for the bundled policy library, and engines to run them in.

Seeds are every sample of the library (`policies/**/samples/*.yaml`) plus templates for the kinds the
rules declare (`custom.kinds`) that no sample has: generators, patches, Flux sources, HelmRelease
values. A strategy mutates a seed where rules look: a field becomes null, an empty list or map, a
scalar of the wrong type, a list of scalars, arbitrary JSON; a key goes missing or appears where it
was absent (names taken from the library's own field names); a list gets a second item (the SEC-005
crash needed two). A fleet is a few such documents, so cross-resource rules see them in
`data.kubegate` too.

Engines run in a child process (`python -m tests.policy_fuzz ENGINE`, one JSON request per line):
regopy segfaults on some inputs, and a crash must fail a test, not kill pytest.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"

# Kinds the rules declare and the samples lack, and richer shapes of the ones generators and
# patches live in. Positions do not matter: only the objects are used.
TEMPLATES = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps
resources: [deployment.yaml, "https://github.com/org/repo//base?ref=main", ../base]
components: [../components/a]
bases: [../legacy]
images:
  - {name: nginx, newName: registry.example.com/nginx, newTag: "1.27", digest: "sha256:abc"}
configMapGenerator:
  - {name: a, literals: [LOG=1, DB_PASSWORD=x], files: [app.conf], envs: [app.env]}
  - {name: b, behavior: merge}
secretGenerator:
  - {name: s, literals: [TOKEN=x], files: [key.pem], envs: [.env], type: Opaque}
  - {name: t}
generatorOptions: {disableNameSuffixHash: true, labels: {a: b}, annotations: {c: d}}
patches:
  - {path: patch.yaml, target: {kind: Deployment, name: web}}
  - {patch: "- op: replace\\n  path: /spec/replicas\\n  value: 2", target: {kind: Deployment}}
patchesStrategicMerge: [strategic.yaml, "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: x}\\n"]
patchesJson6902: [{path: json.yaml, target: {version: v1, kind: Service, name: x}}]
helmCharts: [{name: chart, repo: "https://charts.example.com", version: 1.0.0, valuesInline: {a: 1}}]
---
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources: [extra.yaml]
configMapGenerator: [{name: c, literals: [API_KEY=x]}]
secretGenerator: [{name: d, literals: [PASSWORD=x]}]
images: [{name: app, newTag: latest}]
patches: [{path: p.yaml}]
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  serviceAccountName: apps
  targetNamespace: apps
  dependsOn: [{name: infra, namespace: flux-system}]
  decryption: {provider: sops, secretRef: {name: sops-age}}
  postBuild:
    substitute: {DOMAIN: example.com}
    substituteFrom: [{kind: Secret, name: vars}, {kind: ConfigMap, name: cm, optional: true}]
  patches:
    - {patch: "apiVersion: apps/v1\\nkind: Deployment\\nmetadata: {name: web}\\n", target: {kind: Deployment}}
  images: [{name: nginx, newTag: latest}]
  healthChecks: [{apiVersion: apps/v1, kind: Deployment, name: web, namespace: apps}]
  kubeConfig: {secretRef: {name: remote}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: app, namespace: apps}
spec:
  interval: 1h
  serviceAccountName: app
  targetNamespace: apps
  storageNamespace: apps
  chart:
    spec:
      chart: app
      version: 1.x
      sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}
  chartRef: {kind: OCIRepository, name: app, namespace: flux-system}
  dependsOn: [{name: db}]
  valuesFrom: [{kind: Secret, name: app-values, valuesKey: values.yaml}]
  values:
    image: {repository: registry.example.com/app, tag: latest, digest: ""}
    controllers:
      main:
        containers:
          app:
            image: {repository: ghcr.io/org/app, tag: 1.0.0}
            env: {TOKEN: x, PASSWORD: {valueFrom: {secretKeyRef: {name: s, key: k}}}}
    securityContext: {privileged: true}
    persistence: {data: {hostPath: /var/lib}}
  postRenderers: [{kustomize: {images: [{name: app, newTag: latest}]}}]
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata: {name: chart, namespace: flux-system}
spec: {chart: app, version: "*", sourceRef: {kind: HelmRepository, name: charts}, interval: 1h}
---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: Bucket
metadata: {name: b, namespace: flux-system}
spec: {bucketName: b, endpoint: minio.example.com, insecure: true, secretRef: {name: creds}, interval: 1m}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/org/app, interval: 1h, insecure: true, secretRef: {name: pull}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: {name: auto, namespace: flux-system}
spec:
  interval: 30m
  sourceRef: {kind: GitRepository, name: flux-system}
  git:
    checkout: {ref: {branch: main}}
    commit: {author: {name: bot, email: bot@example.com}}
    push: {branch: main}
  update: {path: ./clusters, strategy: Setters}
---
apiVersion: external-secrets.io/v1beta1
kind: ClusterExternalSecret
metadata: {name: shared}
spec:
  namespaceSelector: {matchLabels: {shared: "true"}}
  externalSecretSpec:
    secretStoreRef: {kind: ClusterSecretStore, name: vault}
    data: [{secretKey: k, remoteRef: {key: k}, sourceRef: {storeRef: {kind: ClusterSecretStore, name: v}}}]
    dataFrom: [{extract: {key: all}, sourceRef: {storeRef: {name: v}}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: apps}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: a, image: nginx, ports: [{containerPort: 80, hostPort: 80}]}]
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: apps}
spec:
  template:
    spec:
      volumes: [{name: h, hostPath: {path: /}}]
      containers: [{name: a, image: "nginx:latest", securityContext: {capabilities: {add: [SYS_ADMIN]}}}]
---
apiVersion: v1
kind: PodTemplate
metadata: {name: pt, namespace: apps}
template:
  metadata: {labels: {app: a}}
  spec:
    serviceAccountName: default
    initContainers: [{name: i, image: busybox, env: [{name: AWS_SECRET_ACCESS_KEY, value: x}]}]
    containers: [{name: a, image: nginx, envFrom: [{secretRef: {name: s}}]}]
    ephemeralContainers: [{name: e, image: busybox}]
"""

# Values a field may take in a schema-invalid or merely odd manifest.
_SCALARS: list[Any] = [None, True, False, 0, -1, 1.5, 2**64, -(2**63), "", "x", "*", "0", "true",
                       "system:masters", "latest", "a=b", "${VAR}", "../../etc", "kind/name", "\u00e9\u2603"]
_ODD: list[Any] = [[], {}, [None], [True], ["x", "x"], [1, "a"], [{}], [[]], {"": None}, {"a": None},
                   {"name": None}, {"name": 3}]


@dataclass(frozen=True)
class Seed:
    file: str
    obj: dict[str, Any]
    comments: tuple[dict[str, Any], ...] = ()


def _documents(text: str, file: str) -> list[Any]:
    from linter.loader import load_bytes

    return list(load_bytes(text.encode(), file).documents)


def seed_documents() -> list[Seed]:
    """The library's samples and TEMPLATES, as (file, object, comments); kustomize configuration
    keeps a kustomization.yaml name so the pipeline classifies it as such."""
    from linter.loader import load_file

    docs = []
    for path in sorted(POLICIES.rglob("samples/*.yaml")):
        docs.extend(load_file(path, str(path.relative_to(REPO))).documents)
    docs.extend(_documents(TEMPLATES, "templates.yaml"))
    seeds = []
    for i, doc in enumerate(docs):
        if not isinstance(doc.obj, dict):
            continue
        kustomize = str(doc.obj.get("apiVersion", "")).startswith("kustomize.config.k8s.io/")
        file = f"seed{i}/kustomization.yaml" if kustomize else f"seed{i}/manifest.yaml"
        seeds.append(Seed(file, doc.obj, tuple(doc.comments)))
    return seeds


def declared_kinds() -> set[str]:
    """Every kind some bundled rule declares in METADATA `custom.kinds` (groups expanded)."""
    from linter.rego.policies import load_policies

    return {k for t in load_policies([POLICIES]).targets for k in t.kinds or ()}


def field_names() -> list[str]:
    """Keys the library reads (`.field` and `"field"` in its code): where a missing or odd key hurts."""
    names: set[str] = set()
    for path in POLICIES.rglob("*.rego"):
        if path.name.endswith("_test.rego"):
            continue
        code = "\n".join(line.split("#", 1)[0] for line in path.read_text().splitlines())
        names.update(re.findall(r"\.([a-z][A-Za-z0-9]*)\b", code))
        names.update(re.findall(r'"([a-z][A-Za-z0-9]*)"', code))
    return sorted(names)


# --- the strategy --------------------------------------------------------------------------------

def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.sampled_from(_SCALARS), st.text(max_size=6), st.integers(-3, 3))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["name", "image", "a", "spec", "value", "kind", "0"]), inner, max_size=3)),
        max_leaves=max_leaves)


def odd_values(keys: Sequence[str]) -> st.SearchStrategy[Any]:
    """Copies: a drawn value is mutated in place later, and the tables must stay as they are."""
    return st.one_of(st.sampled_from(_SCALARS), st.sampled_from(_ODD), json_values(),
                     st.dictionaries(st.sampled_from(list(keys)), st.sampled_from(_SCALARS + _ODD), max_size=2)).map(copy.deepcopy)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*path, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_paths(value, (*path, i)))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


Mutation = Callable[[Any, Any], Any]


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Seed], keys: Sequence[str]) -> Seed:
    """A seed with up to six mutations, each at a drawn node (the root's own kind too)."""
    seed = draw(st.sampled_from(list(seeds)))
    obj = copy.deepcopy(seed.obj)
    for _ in range(draw(st.integers(0, 6))):
        paths = _paths(obj)[1:] or [()]
        path = paths[draw(st.integers(0, len(paths) - 1))]
        obj = _mutate(draw, obj, path, keys)
    return Seed(seed.file, obj, seed.comments) if isinstance(obj, dict) else seed


def _mutate(draw: st.DrawFn, obj: Any, path: tuple[Any, ...], keys: Sequence[str]) -> Any:
    if not path:
        return obj
    parent, last = _get(obj, path[:-1]), path[-1]
    node = parent[last]
    op = draw(st.sampled_from(["replace", "replace", "delete", "wrap", "second", "add_key", "unwrap"]))
    if op == "replace":
        parent[last] = draw(odd_values(keys))
    elif op == "delete":
        del parent[last]
    elif op == "wrap":
        parent[last] = [node]
    elif op == "second" and isinstance(node, list):
        node.append(copy.deepcopy(node[0]) if node and draw(st.booleans()) else draw(odd_values(keys)))
    elif op == "add_key" and isinstance(node, dict):
        node[draw(st.sampled_from(list(keys)))] = draw(odd_values(keys))
    elif op == "unwrap" and isinstance(node, (list, dict)) and node:
        parent[last] = node[0] if isinstance(node, list) else next(iter(node.values()))
    else:
        parent[last] = draw(odd_values(keys))
    return obj


def fleets(seeds: Sequence[Seed], keys: Sequence[str]) -> st.SearchStrategy[list[Seed]]:
    """One to three documents checked in one run."""
    return st.lists(mutated(seeds, keys), min_size=1, max_size=3)


def as_request(fleet: Sequence[Seed]) -> list[dict[str, Any]]:
    return [{"file": s.file, "obj": s.obj, "comments": list(s.comments)} for s in fleet]


# --- the engine worker ---------------------------------------------------------------------------

class Worker:
    """A child process holding the compiled library in one engine; `run(fleets)` answers, for
    each failing document, (fleet index, document index, engine message)."""

    def __init__(self, engine: str, timeout: float = 600, extra_policies: Path | None = None) -> None:
        self.engine, self.timeout, self.extra = engine, timeout, extra_policies
        self._proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            extra = [str(self.extra)] if self.extra else []
            self._proc = subprocess.Popen([sys.executable, "-m", "tests.policy_fuzz", self.engine, *extra], cwd=REPO,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        return self._proc

    def run(self, fleets: Sequence[Sequence[Seed]]) -> list[tuple[int, int, str]]:
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps([as_request(f) for f in fleets], default=str) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            code = proc.wait(timeout=self.timeout)
            self._proc = None
            return [(-1, -1, f"{self.engine} worker died (exit {code})")]
        return [tuple(x) for x in json.loads(line)]  # type: ignore[misc]

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=30)
        self._proc = None


def _child(engine: str, extra: Sequence[str]) -> None:
    from linter.models import EngineError
    from linter.rego.policies import load_policies

    policies = load_policies([POLICIES, *map(Path, extra)], engine=engine)
    evaluate = _regopy_batch(policies) if engine == "regopy" else _regorus(policies)
    for line in sys.stdin:
        fleets = json.loads(line)
        failures: list[tuple[int, int, str]] = []
        try:
            failures = evaluate(fleets)
        except EngineError as exc:
            failures = [(-1, -1, str(exc))]
        print(json.dumps(failures), flush=True)


def _documents_of(fleet: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    from linter.models import Document, Span
    from linter.pipeline import classify

    docs = [Document(d["file"], i, d["obj"], Span.point(1), comments=d["comments"]) for i, d in enumerate(fleet)]
    for doc in docs:
        classify(doc)
    return docs, [d for d in docs if d.role in ("resource", "kustomize")]


def _regorus(policies: Any) -> Callable[[list[Any]], list[tuple[int, int, str]]]:
    """Each fleet as one run (the batch wrapper, every rule on every document); a failing fleet is
    retried document by document to name the culprit."""
    from linter.models import EngineError
    from linter.pipeline import kubegate_data

    def run(fleets: list[Any]) -> list[tuple[int, int, str]]:
        failures = []
        for f, fleet in enumerate(fleets):
            docs, inputs = _documents_of(fleet)
            if not inputs:
                continue
            data = {"params": {}, "kubegate": kubegate_data(docs, inputs)}
            try:
                problems = policies.evaluate(inputs, data, dispatch=False)
            except EngineError as exc:  # not isolated to documents: the whole fleet failed
                failures.append((f, -1, str(exc)))
                continue
            # A failure is isolated to its documents as ENGINE-001 (linter.rego.isolate).
            failures.extend((f, p.doc.index, p.message) for p in problems
                            if p.rule_id == "ENGINE-001" and p.doc is not None)
        return failures
    return run


def _regopy_batch(policies: Any) -> Callable[[list[Any]], list[tuple[int, int, str]]]:
    """All fleets in one query that calls every rule's function on every document (regopy recompiles
    per query, ~0.4 s; its own adapter asks once per document). A failing batch is bisected."""
    from linter.models import EngineError
    from linter.pipeline import kubegate_data
    from linter.rego.engine import make_engine
    from linter.rego.policies import rego_ref

    if not all(t.direct for t in policies.targets):  # every bundled rule delegates to errors(obj)
        raise SystemExit("the regopy batch calls rule functions: a rule without one would go unchecked")
    calls = ",\n".join(f"\t\t{rego_ref([*t.path, t.direct])}(doc)" for t in policies.targets if t.direct)
    wrapper = ("package kubegate_fuzz\n\nimport rego.v1\n\nresults := [r |\n\tsome i\n\tdoc := input.docs[i]\n"
               f"\tr := [\n{calls},\n\t]\n]\n")

    def run(fleets: list[Any]) -> list[tuple[int, int, str]]:
        everything = [(f, doc) for f, fleet in enumerate(fleets) for doc in _documents_of(fleet)[1]]
        all_docs = [doc for fleet in fleets for doc in _documents_of(fleet)[0]]
        engine = make_engine("regopy")
        for filename, source in policies.modules.items():
            engine.add_policy(filename, source)
        engine.add_policy("<fuzz>.rego", wrapper)
        engine.set_data({"params": {}, "kubegate": kubegate_data(all_docs, [d for _f, d in everything])})

        def failing(items: list[Any]) -> list[tuple[int, int, str]]:
            if not items:
                return []
            try:
                answer = engine.eval_query("data.kubegate_fuzz.results", {"docs": [d.obj for _f, d in items]})
                if isinstance(answer, list) and len(answer) == len(items):
                    return []
                why = "regopy: no answer for every document"  # an undefined batch must not pass
            except EngineError as exc:
                why = str(exc)
            if len(items) == 1:
                return [(items[0][0], items[0][1].index, why)]
            half = len(items) // 2
            return failing(items[:half]) + failing(items[half:])
        return failing(everything)
    return run


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2:])
