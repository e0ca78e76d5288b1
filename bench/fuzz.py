"""A bounded fuzz target for the whole gate: load -> validate -> evaluate over mutated real documents.

    python bench/fuzz.py --seconds 600 [--seed N] [--corpus DIR] [--keep DIR]

Seeds are the documents of ../shared/corpus (the real fleets beside the checkout) or, where that is absent,
the repository's examples/. Each round mutates seed documents (odd types in identity fields, values
replaced by odd scalars or collections, keys dropped, Unicode escapes, text-level damage such as
truncation, tabs, anchors and template braces), writes a batch of files, and runs
`python -m linter check` on it in a child process with a time limit and an address-space cap, watching the
child's peak RSS (wait4). A failure is: a crash (signal), a hang (time limit), exit 3 or any exit but 0/1,
a traceback on stderr, or peak RSS over --max-rss-mb. A failing batch is then run file by file to name the
files that fail alone, and kept under --keep for reproduction.

Prints a JSON summary; exit 0 when nothing failed, 1 otherwise. The test suite runs it for
KUBEGATE_FUZZ_SECONDS (default 40) seconds: tests/test_fuzz.py.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
EXAMPLES = REPO / "examples"
MB = 1024 * 1024

ODD_VALUES: list[Any] = [None, True, False, 0, -1, 2**63, 2**64 + 1, 1.5, "", "0755", "yes", "~", "\u0000",
                         "\ufeff", "\uffff", "é\u2028x", "${VAR}", "{{ .Values.x }}", [], [True], [None, 1],
                         {}, {"a": [1, {"b": None}]}, "a" * 300, ["x"] * 50]
ESCAPES = ["\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u0000", "\\x00", "\\0", "\\ufeff", "\\uffff", "\\U0010ffff",
           "\\N", "\\L", "\\P"]
IDENTITY = [("kind",), ("apiVersion",), ("metadata",), ("metadata", "name"), ("metadata", "namespace"),
            ("metadata", "labels"), ("metadata", "annotations"), ("spec",)]


@dataclass
class Failure:
    reason: str  # crash | hang | exit N | traceback | rss
    files: list[str]
    stderr: str = ""
    rss_mb: float = 0.0
    alone: list[str] = field(default_factory=list)  # files of the batch that fail on their own


@dataclass
class Outcome:
    code: int | None  # None: killed for time
    signal: int = 0
    rss_mb: float = 0.0
    stderr: str = ""
    stdout: str = ""

    def failure(self, max_rss_mb: float) -> str:
        if self.code is None:
            return "hang"
        if self.signal:
            return f"crash (signal {self.signal})"
        if "Traceback" in self.stderr:
            return "traceback"
        if self.code not in (0, 1):
            return f"exit {self.code}"
        if self.rss_mb > max_rss_mb:
            return "rss"
        return ""


# --- seeds ----------------------------------------------------------------------------------------

def seed_documents(corpus: Path | None) -> tuple[list[Any], str]:
    """Plain objects of every mapping document in the corpus (or examples/), and which one was used."""
    sys.path.insert(0, str(REPO))
    from linter.loader import Limits, load_file

    top = corpus if corpus is not None else (CORPUS if CORPUS.is_dir() else EXAMPLES)
    docs: list[Any] = []
    for path in sorted(top.rglob("*")):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file() and not path.is_symlink():
            docs.extend(d.obj for d in load_file(path, path.name, Limits()).documents if isinstance(d.obj, dict))
    return docs, str(top)


# --- mutations ------------------------------------------------------------------------------------

def _paths(obj: Any, prefix: tuple[Any, ...] = (), limit: int = 400) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    stack = [(obj, prefix)]
    while stack and len(out) < limit:
        node, path = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            out.append(path + (key,))
            stack.append((value, path + (key,)))
    return out


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    node = obj
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        if (isinstance(obj, dict) and step in obj
                or isinstance(obj, list) and isinstance(step, int) and step < len(obj)):
            obj = obj[step]
        else:
            return None
    return obj


def _odd(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(ODD_VALUES))  # a fresh copy: later mutations must not edit the pool


def mutate(doc: Any, rng: random.Random) -> Any:
    out = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        paths = _paths(out)
        if choice < 0.3:  # an identity or top-level field of another type
            path = rng.choice(IDENTITY)
            if len(path) == 1 or isinstance(out.get(path[0]), dict):
                _set(out, path, _odd(rng))
        elif choice < 0.65 and paths:  # any value replaced
            _set(out, rng.choice(paths), _odd(rng))
        elif choice < 0.8 and paths:  # a key dropped, or a value wrapped in a list
            path = rng.choice(paths)
            parent = _get(out, path[:-1]) if len(path) > 1 else out
            if isinstance(parent, dict) and rng.random() < 0.5:
                parent.pop(path[-1], None)
            else:
                _set(out, path, [_get(out, path)])
        elif paths:  # a string value with escapes in it (written as a double-quoted YAML string below)
            strings = [p for p in paths if isinstance(_get(out, p), str)]
            if strings:
                _set(out, rng.choice(strings), "ZZESC" + "".join(rng.choice(ESCAPES) for _ in range(3)))
    return out


def render(obj: Any, rng: random.Random) -> tuple[str, str]:
    """(file suffix, text): JSON or YAML, escape markers turned into double-quoted strings whose escapes
    the parser decodes, and some texts damaged."""
    if rng.random() < 0.3:
        text = json.dumps(obj, indent=1, default=str)
        # JSON doubled the backslashes: undo it inside the marked strings only.
        text = _JSON_MARK.sub(lambda m: '"' + m.group(1).replace("\\\\", "\\") + '"', text)
        suffix = ".json"
    else:
        text = _YAML_MARK.sub(lambda m: '"' + m.group(1) + '"', _yaml(obj))
        suffix = ".yaml"
    if rng.random() < 0.25:
        text = _damage(text, rng)
    return suffix, text


_JSON_MARK = re.compile(r'"ZZESC((?:[^"\\]|\\.)*)"')
_YAML_MARK = re.compile(r"ZZESC(\S*)")


def _yaml(obj: Any) -> str:
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    stream = io.StringIO()
    yaml.dump(obj, stream)
    return stream.getvalue()


def _damage(text: str, rng: random.Random) -> str:
    cut = rng.randrange(max(1, len(text)))
    return rng.choice([
        text[:cut],
        text[:cut] + "\t" + text[cut:],
        text[:cut] + " &a x\nz: *a\n" + text[cut:],
        text[:cut] + "{{ .Values.x }}" + text[cut:],
        text + "\n---\n" + text,
        text[:cut] + '"\\ud800"' + text[cut:],
        "%YAML 1.1\n---\n" + text,
    ])


def batch(seeds: Sequence[Any], rng: random.Random, size: int) -> Iterator[tuple[str, str]]:
    for i in range(size):
        suffix, text = render(mutate(rng.choice(seeds), rng), rng)
        name = f"k{i}/kustomization.yaml" if rng.random() < 0.1 else f"doc{i}{suffix}"
        yield name, text


# --- running one batch under limits ---------------------------------------------------------------

def run_limited(cmd: Sequence[str], cwd: Path, timeout: float, max_as_mb: int) -> Outcome:
    """Run `cmd` with an address-space cap and a time limit; read its own peak RSS from wait4."""
    def limit() -> None:
        cap = max_as_mb * MB
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()

    err_path, out_path = cwd.parent / f"{cwd.name}.stderr", cwd.parent / f"{cwd.name}.stdout"
    env = {**os.environ, "PYTHONPATH": str(REPO), "KUBEGATE_NO_CACHE": "1"}
    env.pop("KUBEGATE_DEBUG", None)
    with open(err_path, "wb") as err, open(out_path, "wb") as out:
        # preexec_fn is safe here: this harness runs no threads.
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, env=env, preexec_fn=limit)  # noqa: PLW1509
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return Outcome(None, stderr=err_path.read_text(errors="replace")[-2000:])
            time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = err_path.read_text(errors="replace")[-2000:]
    sig = -proc.returncode if proc.returncode < 0 else 0
    return Outcome(proc.returncode if not sig else -sig, sig, usage.ru_maxrss / 1024, stderr,
                   out_path.read_text(errors="replace"))


def check_command(paths: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "linter", "check", "--no-render", "--format", "json", "-q", *paths]


def run_batch(files: Sequence[tuple[str, str]], work: Path, args: argparse.Namespace,
              stats: Counter[str]) -> Failure | None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name, text in files:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text, encoding="utf-8")
    outcome = run_limited(check_command(["."]), work, args.timeout, args.max_as_mb)
    _count(outcome, stats)
    reason = outcome.failure(args.max_rss_mb)
    if not reason:
        return None
    failure = Failure(reason, [n for n, _t in files], outcome.stderr, outcome.rss_mb)
    until = time.monotonic() + args.attribution_seconds
    for name, _text in files:  # which files fail on their own (bounded: the budget is for fuzzing)
        if time.monotonic() > until:
            break
        alone = run_limited(check_command([name]), work, args.timeout, args.max_as_mb)
        if alone.failure(args.max_rss_mb):
            failure.alone.append(name)
            if len(failure.alone) >= 5:
                break
    if args.keep is not None:
        target = args.keep / f"failure-{time.time_ns()}"
        shutil.copytree(work, target)
        failure.files = [str(target / n) for n in failure.files[:3]] + ["..."]
    return failure


def _count(outcome: Outcome, stats: Counter[str]) -> None:
    """Evidence that the batches reach every stage: exit codes, resources checked, findings by family."""
    stats[f"exit {outcome.code}"] += 1
    stats["peak_rss_mb"] = max(stats["peak_rss_mb"], int(outcome.rss_mb))
    try:
        report = json.loads(outcome.stdout)
    except ValueError:
        return
    stats["resources_checked"] += int(report.get("summary", {}).get("resources", 0))
    for finding in report.get("findings", []):
        stats["findings " + str(finding.get("rule_id", "")).split("-")[0]] += 1


# --- the loop -------------------------------------------------------------------------------------

def fuzz(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    seeds, source = seed_documents(args.corpus)
    if not seeds:
        return {"error": f"no seed documents under {source}"}
    started = time.monotonic()
    failures: list[Failure] = []
    stats: Counter[str] = Counter()
    batches = documents = 0
    with tempfile.TemporaryDirectory(prefix="kubegate-fuzz-") as tmp:
        while time.monotonic() - started < args.seconds:
            files = list(batch(seeds, rng, args.batch))
            failure = run_batch(files, Path(tmp) / "batch", args, stats)
            batches += 1
            documents += len(files)
            if failure is not None:
                failures.append(failure)
    return {"seeds": len(seeds), "seed_source": source, "seed": args.seed, "batches": batches,
            "documents": documents, "seconds": round(time.monotonic() - started, 1),
            "stats": dict(sorted(stats.items())),
            "failures": [asdict(f) for f in failures]}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--seconds", type=float, default=float(os.environ.get("KUBEGATE_FUZZ_SECONDS", "40")),
                   help="time budget (default: $KUBEGATE_FUZZ_SECONDS or 40)")
    p.add_argument("--seed", type=int, default=int(os.environ.get("KUBEGATE_FUZZ_SEED", "0")) or None)
    p.add_argument("--batch", type=int, default=60, help="documents per child run")
    p.add_argument("--timeout", type=float, default=60, help="seconds a batch may take")
    p.add_argument("--max-rss-mb", type=float, default=500)
    p.add_argument("--attribution-seconds", type=float, default=20,
                   help="time spent running a failing batch's files one by one")
    p.add_argument("--max-as-mb", type=int, default=4096, help="address-space cap of each child")
    p.add_argument("--corpus", type=Path, help="seed directory (default: ../shared/corpus, else examples/)")
    p.add_argument("--keep", type=Path, help="copy failing batches here")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    report = fuzz(args)
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 1 if report.get("failures") or report.get("error") else 0


if __name__ == "__main__":
    raise SystemExit(main())
