"""Engine time of each policy rule, per kind of document: which rule makes the policy stage slow.

Loads a tree the way `kubegate check --no-render` does, then evaluates every rule target alone over
the documents of each kind with the default engine (regorus), best of --runs, and prints the costliest
(rule, kind) pairs with their total and per-document time. Policy authors: run it on a generated
fleet (bench/generate.py) or on your own repository before and after changing a rule.

Usage: python bench/rules.py [--top 25] [--runs 5] [--policy DIR ...] TREE
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import regorus  # type: ignore[import-untyped]

from linter.loader import load_file
from linter.pipeline import classify, kubegate_data
from linter.rego.policies import load_policies, rego_ref

REPO = Path(__file__).resolve().parents[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--top", type=int, default=25, help="how many (rule, kind) rows to print")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per cell; the best is kept")
    parser.add_argument("--policy", type=Path, action="append", default=[], help="policy directory "
                        "(repeatable; default: the bundled library)")
    args = parser.parse_args(argv)

    docs = []
    for path in sorted(p for p in args.tree.rglob("*") if p.suffix in (".yaml", ".yml", ".json")):
        docs.extend(load_file(path, str(path)).documents)
    for doc in docs:
        classify(doc)
    inputs = [d for d in docs if d.role in ("resource", "kustomize")]
    policies = load_policies(args.policy or [REPO / "policies"])
    engine = regorus.Engine()
    for filename, source in policies.modules.items():
        engine.add_policy(filename, source)
    engine.add_data_json(json.dumps({"params": {}, "kubegate": kubegate_data(docs, inputs)}))

    rows = []
    kinds = Counter(d.kind for d in inputs)
    for kind, count in kinds.most_common():
        docs = [d.obj for d in inputs if d.kind == kind]
        for target in policies.targets:
            if target.kinds is not None and kind not in target.kinds:
                continue
            call = (f"{rego_ref([*target.path, target.direct])}(d)" if target.direct
                    else f"{rego_ref([*target.path, target.rule])} with input as d")
            query = f"[x | some d in input.docs; x := {call}]"
            # Rules over the whole run (tables, indexes) are computed once per query, as in a real run;
            # the first document alone measures that share, the rest what each document adds.
            engine.set_input_json(json.dumps({"docs": docs[:1]}))
            once = min(_timed(engine, query) for _ in range(args.runs))
            engine.set_input_json(json.dumps({"docs": docs}))
            best = min(_timed(engine, query) for _ in range(args.runs))
            each = (best - once) / (count - 1) if count > 1 else once
            rows.append((best, kind, count, target.rule_id, target.rule, once, max(each, 0.0)))
    print(f"{len(inputs)} documents; {sum(r[0] for r in rows) * 1000:.0f} ms of engine time in all "
          "(each row is its own query, so per-query work is counted once per row)")
    print(f"{'total ms':>9} {'1st doc ms':>10} {'us/doc':>8}  {'kind':<24} {'docs':>5}  rule")
    for best, kind, count, rule_id, rule, once, each in sorted(rows, reverse=True)[:args.top]:
        print(f"{best * 1000:9.1f} {once * 1000:10.2f} {each * 1e6:8.1f}  {kind:<24} {count:5}  {rule_id} {rule}")
    return 0


def _timed(engine: regorus.Engine, query: str) -> float:
    start = time.perf_counter()
    engine.eval_query_as_json(query)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
