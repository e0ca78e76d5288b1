"""Micro-benchmark of linter.loader: `python bench/bench_loader.py [DOCS]`.

Compares the loader with ruamel's own C safe loader on a generated multi-document file, measures the
cost of the first position lookup, and load_many serial vs parallel on many files.
"""

from __future__ import annotations

import functools
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from linter.loader import Limits, load_bytes, load_many

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: ns-{n}
  labels: &labels {{app: app-{i}, tier: web}}
spec:
  replicas: 3
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers:
      - name: app
        image: ghcr.io/org/app:1.2.{i}
        ports:
        - containerPort: 8080
        env:
        - {{name: A, value: "x"}}
        resources:
          limits: {{cpu: 500m, memory: 128Mi}}
      volumes:
      - name: cfg
        configMap: {{name: cfg, defaultMode: 0644}}
"""


def best(fn: Callable[[], object], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# Two aliases per document: a 10k-document file needs more than the default per-file alias budget.
LIMITS = Limits(max_aliases=1_000_000)


def main() -> None:
    docs = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    data = "---\n".join(DEPLOYMENT.format(i=i, n=i % 7) for i in range(docs)).encode()
    print(f"{docs} documents, {len(data) / 1e6:.1f} MB")
    yaml = YAML(typ="safe")
    print(f"ruamel C safe load_all: {best(lambda: list(yaml.load_all(data))):.2f} s")
    print(f"kubegate load_bytes:    {best(lambda: load_bytes(data, 'big.yaml', LIMITS)):.2f} s")
    result = load_bytes(data, "big.yaml", LIMITS)
    assert len(result.documents) == docs, result.problems[:1]
    start = time.perf_counter()
    result.documents[-1].locate(("spec", "template", "spec", "containers", 0, "image"))
    first = time.perf_counter() - start
    start = time.perf_counter()
    result.documents[-2].locate(("metadata", "name"))
    print(f"first locate (composes the file): {first:.2f} s; next: {(time.perf_counter() - start) * 1e6:.0f} us")
    with tempfile.TemporaryDirectory() as tmp:
        items = []
        per_file = max(1, docs // 500)
        for f in range(500):
            path = Path(tmp) / f"f{f}.yaml"
            path.write_text("---\n".join(DEPLOYMENT.format(i=i, n=1) for i in range(per_file)))
            items.append((path, path.name))
        for jobs in (1, 2):
            print(f"load_many 500 files jobs={jobs}: {best(functools.partial(load_many, items, LIMITS, jobs)):.2f} s")
        print(f"load_many 500 files auto:   {best(lambda: load_many(items, LIMITS, 0)):.2f} s")


if __name__ == "__main__":
    main()
