"""What rendering Flux Kustomizations costs, next to checking the raw files, on the fleets in ../shared/corpus.

For each fleet, one after another (two shared cores), median of --runs wall times of `linter.pipeline.run`:
  raw            render off: schema + policies on the files as written
  render cold    render on, empty render cache (every Kustomization goes through kustomize)
  render warm    render on, cache filled by the previous run (only hashing inputs)
  changed cold   render on, changed_files = one manifest inside a rendered Kustomization, empty cache
  changed warm   the same with the cache filled
Ratios are to `raw`. Each fleet gets one untimed warm-up so schema caches and the page cache are filled.

Usage: python bench/bench_render.py [--corpus ../shared/corpus] [--runs 3] [--out results.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linter.config import load_config
from linter.pipeline import RunRequest, RunResult, run


def timed(fn: Callable[[], RunResult], runs: int) -> tuple[float, RunResult]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def changed_file(fleet: Path, result: RunResult) -> Path | None:
    """A manifest some rendered Kustomization reads (the first rendered resource's source file)."""
    for doc in result.documents:
        if doc.kind == "Deployment" or doc.kind == "HelmRelease":
            return (fleet / doc.file).resolve()
    return None


def bench_fleet(fleet: Path, runs: int) -> dict[str, Any]:
    base = load_config(None, fleet)
    cache = Path(tempfile.mkdtemp(prefix="kubegate-bench-render-"))

    def request(render: bool, cache_dir: Path, changed: frozenset[Path] | None = None) -> RunRequest:
        flux = {**base.section("flux"), "cache_dir": str(cache_dir)}
        config = dataclasses.replace(base, sections={**base.sections, "flux": flux})
        return RunRequest(paths=[str(fleet)], config=config, cwd=fleet, render=render, changed_files=changed)

    run(request(False, cache))  # warm-up: schema caches, page cache
    raw, raw_result = timed(lambda: run(request(False, cache)), runs)
    fresh = iter(range(10**6))

    def cold(changed: frozenset[Path] | None = None) -> RunResult:
        return run(request(True, cache / f"cold-{next(fresh)}", changed))

    render_cold, result = timed(cold, runs)
    render_warm, _ = timed(lambda: run(request(True, cache / "warm")), runs + 1)  # first run fills the cache
    row: dict[str, Any] = {"fleet": fleet.name, "files": raw_result.summary.get("files"),
                           "raw_s": round(raw, 3), "render_cold_s": round(render_cold, 3),
                           "render_warm_s": round(render_warm, 3), "flux": result.summary.get("flux", {})}
    target = changed_file(fleet, raw_result)
    if target is not None:
        only = frozenset({target})
        changed_cold, changed_result = timed(lambda: cold(only), runs)
        run(request(True, cache / "changed-warm", only))
        changed_warm, _ = timed(lambda: run(request(True, cache / "changed-warm", only)), runs)
        row.update(changed_file=str(target.relative_to(fleet)), changed_cold_s=round(changed_cold, 3),
                   changed_warm_s=round(changed_warm, 3),
                   changed_rendered=changed_result.summary.get("flux", {}).get("rendered"))
    for key in ("render_cold_s", "render_warm_s", "changed_cold_s", "changed_warm_s"):
        if key in row and raw > 0:
            row[key.replace("_s", "_ratio")] = round(row[key] / raw, 2)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    rows = [bench_fleet(f.resolve(), args.runs) for f in sorted(args.corpus.iterdir()) if f.is_dir()]
    cols = ["fleet", "raw_s", "render_cold_s", "render_cold_ratio", "render_warm_s", "render_warm_ratio",
            "changed_cold_s", "changed_cold_ratio", "changed_warm_s", "changed_warm_ratio", "changed_rendered"]
    print(" | ".join(cols))
    for row in rows:
        print(" | ".join(str(row.get(c, "-")) for c in cols))
    for row in rows:
        print(f"{row['fleet']}: {json.dumps(row['flux'])}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
