"""The fleet report: kubegate on real Flux fleets, as a new user runs it (issue 10, item 6).

    .venv/bin/python bench/fleets.py                    # every fleet in ../shared/corpus
    .venv/bin/python bench/fleets.py DIR [DIR ...]      # and/or any directories
    .venv/bin/python bench/fleets.py --write BENCHMARKS.md

Each fleet is checked with `python -m linter check --format json .` from its own directory (the
defaults a first run gets, rendering on), in a child process whose wall time and peak RSS are
measured. The table: documents, exit code, errors and warnings per rule family, documents without a
schema, Flux Kustomizations and HelmReleases rendered / not rendered by reason, time and memory.
The exit code is 1 when any fleet ends in exit 3 or prints a traceback: the gate was red for
kubegate's own reasons.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
BEGIN, END = "<!-- fleets:begin -->", "<!-- fleets:end -->"


@dataclass
class FleetRun:
    name: str
    code: int
    seconds: float
    rss_mb: float
    report: dict[str, Any] = field(default_factory=dict)
    traceback: bool = False

    @property
    def broken(self) -> bool:
        return self.code == 3 or self.traceback or not self.report


def run_fleet(path: Path, timeout: float) -> FleetRun:
    """One check of `path`, its JSON report, wall time and the child's own peak RSS (wait4)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        pid = _spawn(path, env, out.fileno(), err.fileno())
        status, usage = _wait(pid, timeout)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    try:
        report = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        report = {}
    code = os.waitstatus_to_exitcode(status) if status is not None else 124
    return FleetRun(path.name, code, seconds, usage / 1024, report, "Traceback (most recent call last)" in stderr)


def _spawn(cwd: Path, env: dict[str, str], out: int, err: int) -> int:
    """fork + exec in `cwd` (posix_spawn has no cwd before 3.13); this script is small, so the child's
    ru_maxrss is its own, not an inherited parent's."""
    pid = os.fork()
    if pid == 0:  # child: no Python objects touched after the fork but these calls
        try:
            os.chdir(cwd)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execve(sys.executable, [sys.executable, "-m", "linter", "check", "--format", "json", "."], env)
        finally:
            os._exit(127)
    return pid


def _wait(pid: int, timeout: float) -> tuple[int | None, int]:
    deadline = time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage.ru_maxrss
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.wait4(pid, 0)
            return None, 0
        time.sleep(0.02)


def family(rule_id: str) -> str:
    return re.sub(r"-\d+$", "", rule_id)


def row(run: FleetRun) -> str:
    summary = run.report.get("summary", {})
    findings = run.report.get("findings", [])
    errors = Counter(family(f["rule_id"]) for f in findings if f["severity"] == "error")
    warnings = Counter(family(f["rule_id"]) for f in findings if f["severity"] == "warning")
    flux = summary.get("flux", {})
    not_rendered = dict(flux.get("not_rendered", {}))
    helm = flux.get("helm", {})
    helm_why = ", ".join(f"{k} {n}" for k, n in sorted(helm.get("not_rendered", {}).items())) or "–"
    ks = flux.get("kustomizations", 0)

    def counts(c: Counter[str]) -> str:
        return f"{sum(c.values())}" + (f" ({', '.join(f'{k} {n}' for k, n in c.most_common())})" if c else "")

    why = ", ".join(f"{k} {n}" for k, n in sorted(not_rendered.items())) or "–"
    return (f"| {run.name} | {summary.get('documents', '–')} | {run.code}{' traceback' if run.traceback else ''} | "
            f"{counts(errors)} | {counts(warnings)} | {_share(summary)} | "
            f"{flux.get('rendered', 0)}/{ks} ({flux.get('failed', 0)} failed; not rendered: {why}) | "
            f"{helm.get('rendered', 0)}/{flux.get('helmreleases', 0)} ({helm.get('failed', 0)} failed; "
            f"not rendered: {helm_why}) | "
            f"{run.seconds:.2f} | {run.rss_mb:.0f} |")


def _share(summary: dict[str, Any]) -> str:
    missing, total = summary.get("unvalidated_documents"), summary.get("documents")
    if not isinstance(missing, int) or not total:
        return "–"
    return f"{missing} ({100 * missing / total:.1f}%)"


HEADER = ("| fleet | documents | exit | errors (by family) | warnings (by family) | without schema | "
          "Kustomizations rendered | HelmReleases rendered | wall s | peak RSS MB |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def table(runs: list[FleetRun]) -> str:
    return "\n".join([HEADER, *(row(r) for r in runs)])


def write_section(path: Path, text: str) -> None:
    body = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in body and END in body:
        body = body[:body.index(BEGIN)] + block + body[body.index(END) + len(END):]
    else:
        body = body.rstrip("\n") + "\n\n## Real fleets (bench/fleets.py)\n\n" + block + "\n"
    path.write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="*", type=Path, help="fleet directories (default: ../shared/corpus/*)")
    parser.add_argument("--write", type=Path, metavar="FILE", help="replace the fleet table in FILE (BENCHMARKS.md)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per fleet (default 300)")
    args = parser.parse_args(argv)
    dirs = args.dirs or (sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else [])
    if not dirs:
        parser.error("no fleets: ../shared/corpus is absent and no directory was given")
    runs = [run_fleet(d.resolve(), args.timeout) for d in dirs]
    text = table(runs)
    print(text)
    if args.write:
        write_section(args.write, text)
    broken = [r.name for r in runs if r.broken]
    if broken:
        print(f"fleets.py: exit 3, a traceback or no report on: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
