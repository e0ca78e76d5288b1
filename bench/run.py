"""Time kubegate side by side with its peers, in one run, and print medians and ratios.

Cases: every fleet in ../shared/corpus (when present), generated fleets (bench/generate.py) and the
pre-commit case (one changed 2-document file, wall time including interpreter start-up). Peers:
Checkov (from its own venv), kubernetes-validate's CLI, and kubeconform when a binary is on PATH.
Tools run one after another, never in parallel (two shared cores). Each (tool, case) gets one
untimed warm-up (it fills kubegate's schema cache and the page cache), then timed runs, interleaved
across the tools so that the machine's drift in speed is shared by all; the median is reported. A peer is skipped on a case when its time per document so far projects past --cap.

`--baseline REV` adds kubegate as it was at a git revision (extracted with `git archive`, run with the
same venv) as one more tool, so a change is measured as a ratio in the same run. A calibration loop
(fixed pure-Python work) is timed before and after: these shared machines change speed from hour to
hour, and its time tells how fast this one was.

Usage: python bench/run.py [--sizes 1000,10000,100000] [--runs 5] [--out results.json] [--baseline REV]
       python bench/run.py --tiny    # 20 documents, one run, kubegate and kubernetes-validate only
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate, write_pair  # noqa: E402  (bench/ is scripts, not a package)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
VENV_BIN = Path(sys.executable).parent
CHECKOV = Path(os.environ.get("BENCH_CHECKOV", "/tmp/bench-venv-checkov/bin/checkov"))
YAML_SUFFIXES = (".yaml", ".yml")


class Case(NamedTuple):
    name: str
    path: Path
    documents: int  # generated: exact; corpus: as kubegate counted them
    files: int
    bytes: int
    group: str  # "corpus", "generated" or "precommit"


class Tool(NamedTuple):
    name: str
    version: str
    argv: Callable[[Case, Path], list[str] | None]  # (case, scratch dir) -> command, None = cannot run
    ok_codes: frozenset[int]
    partial: str = ""  # output text meaning the tool stopped before the end of the input


@dataclass
class Result:
    tool: str
    case: str
    runs_s: list[float] = field(default_factory=list)
    warmup_s: float | None = None
    median_s: float | None = None
    exit_code: int | None = None
    max_rss_mb: float | None = None
    timings_ms: dict[str, float] | None = None
    note: str = ""


# --- running one command ------------------------------------------------------------------------

class Sample(NamedTuple):
    wall_s: float
    exit_code: int
    max_rss_kb: int  # largest single process (the tool or one of its reaped workers)


def time_once(argv: Sequence[str], stdout: Path, timeout: float, env: dict[str, str]) -> Sample:
    """Run argv once; wall time with perf_counter and peak RSS from the kernel's rusage (wait4)."""
    with stdout.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it is reaped
    return Sample(wall, proc.returncode, usage.ru_maxrss)


def tree_peak_rss_mb(argv: Sequence[str], env: dict[str, str], timeout: float) -> float:
    """Peak of the summed RSS of a process and its descendants (workers), sampled every 20 ms."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak, deadline = 0, time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        peak = max(peak, sum(_rss_kb(pid) for pid in _descendants(proc.pid)))
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    return peak / 1024


def _descendants(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in children.read_text().split())
            except OSError:  # the process ended between listing and reading
                pass
    return pids


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- tools ----------------------------------------------------------------------------------------

def _version(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


def _yaml_files(path: Path) -> list[str]:
    if path.is_file():
        return [str(path)]
    return sorted(str(p) for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())


def kubegate_tool(schema_only: bool = False) -> Tool:
    """The full check; or schema only (`--select YAML,SCHEMA`: no policy compiled), kubeconform's job."""
    exe = str(VENV_BIN / "kubegate")
    select = ["--select", "YAML,SCHEMA"] if schema_only else []

    def argv(case: Case, scratch: Path) -> list[str]:
        return [exe, "check", "--no-render", *select, "-q", "-f", "json", "-o", str(scratch / "kubegate.json"),
                str(case.path)]
    name = "kubegate-schema-only" if schema_only else "kubegate"
    return Tool(name, _version([exe, "--version"]), argv, frozenset({0, 1}))


def baseline_tool(rev: str, work: Path) -> Tool:
    """kubegate at git revision `rev`, run from an extracted copy with this venv's dependencies."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    root = work / f"baseline-{sha}"
    if not root.exists():
        root.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", sha], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        import compileall

        compileall.compile_dir(str(root / "linter"), quiet=1)
    # -P: `-m` would put the working directory first on sys.path, and from a checkout that is
    # today's linter/, not the revision's.
    prefix = ["env", f"PYTHONPATH={root}", sys.executable, "-P", "-m", "linter"]
    where = subprocess.run([*prefix[:3], "-P", "-c", "import linter; print(linter.__file__)"], capture_output=True,
                           text=True, check=True, cwd=REPO).stdout.strip()
    if not where.startswith(str(root)):
        raise SystemExit(f"run.py: --baseline {rev} would import {where}, not the extracted copy")

    def argv(case: Case, scratch: Path) -> list[str]:
        return [*prefix, "check", "--no-render", "-q", "-f", "json", "-o", str(scratch / "kubegate.json"),
                str(case.path)]
    return Tool(f"kubegate@{sha}", _version([*prefix, "--version"]), argv, frozenset({0, 1}))


def calibration_s(rounds: int = 3) -> float:
    """Median time of a fixed pure-Python loop: how fast the machine was at that moment."""
    times = []
    for _ in range(rounds):
        start, total = time.perf_counter(), 0
        for i in range(5_000_000):
            total += i
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def checkov_tool() -> Tool | None:
    if not CHECKOV.exists():
        return None

    def argv(case: Case, scratch: Path) -> list[str]:
        target = ["-f", str(case.path)] if case.path.is_file() else ["-d", str(case.path)]
        return [str(CHECKOV), *target, "--framework", "kubernetes", "--quiet", "--compact", "-o", "json"]
    return Tool("checkov", _version([str(CHECKOV), "--version"]), argv, frozenset({0, 1}))


def kubernetes_validate_tool() -> Tool | None:
    exe = VENV_BIN / "kubernetes-validate"
    if not exe.exists():
        return None
    limit = 1_500_000  # bytes of arguments; ARG_MAX here is 2 MiB (environment included)

    def argv(case: Case, scratch: Path) -> list[str] | None:
        files = _yaml_files(case.path)
        if sum(len(f) + 1 for f in files) > limit:
            return None  # one invocation only: splitting would time several interpreter start-ups
        return [str(exe), "--strict", "--quiet", *files]
    # Exit 2 means "a document could not be validated" (not a mapping, say); it still went on. A YAML
    # syntax error ends the whole run (SystemExit, exit 1): that time covers only part of the input.
    return Tool("kubernetes-validate", _version([str(exe), "--version"]), argv, frozenset({0, 1, 2}),
                "Couldn't parse YAML from file")


def kubeconform_tool() -> Tool | None:
    exe = shutil.which("kubeconform")
    if exe is None:
        return None

    def argv(case: Case, scratch: Path) -> list[str]:
        return [exe, "-strict", "-summary", "-ignore-missing-schemas", str(case.path)]
    return Tool("kubeconform", _version([exe, "-v"]), argv, frozenset({0, 1}))


# --- cases ------------------------------------------------------------------------------------------

def corpus_cases() -> list[Case]:
    if not CORPUS.is_dir():
        return []
    cases = []
    for fleet in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        files = _yaml_files(fleet)
        size = sum(Path(f).stat().st_size for f in files)
        cases.append(Case(f"corpus/{fleet.name}", fleet, 0, len(files), size, "corpus"))
    return cases


def generated_cases(work: Path, sizes: Sequence[int]) -> list[Case]:
    cases = []
    for size in sizes:
        root = work / f"fleet-{size}"
        if root.exists():
            shutil.rmtree(root)
        stats = generate(root, size)
        cases.append(Case(f"generated/{_human(size)}", root, stats.documents, stats.files, stats.bytes, "generated"))
    return cases


def precommit_case(work: Path) -> Case:
    path = work / "precommit" / "app.yaml"
    write_pair(path)
    return Case("precommit (1 file, 2 docs)", path, 2, 1, path.stat().st_size, "precommit")


def _human(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


# --- measuring -------------------------------------------------------------------------------------

@dataclass
class Options:
    runs: int
    cap_s: float
    scratch: Path
    env: dict[str, str]
    hyperfine: str | None


def warm_up(tool: Tool, case: Case, opts: Options, projected_s: float | None) -> tuple[Result, list[str] | None]:
    """The untimed first run: fills caches, and tells whether the tool can take the case at all.
    Returns the result so far and the command to time, or None when the tool is out of this case."""
    result = Result(tool.name, case.name)
    argv = tool.argv(case, opts.scratch)
    if argv is None:
        result.note = "cannot run in one invocation (argument list too long)"
        return result, None
    if projected_s is not None and projected_s > opts.cap_s:
        result.note = f"skipped: projected {projected_s:.0f} s > cap {opts.cap_s:.0f} s"
        return result, None
    timeout = opts.cap_s * 1.5
    warm = time_once(argv, opts.scratch / "out.txt", timeout, opts.env)
    result.warmup_s, result.exit_code = round(warm.wall_s, 3), warm.exit_code
    if warm.wall_s >= timeout:
        result.note = f"timeout: killed after {timeout:.0f} s"
        return result, None
    if warm.exit_code not in tool.ok_codes:
        result.note = f"failed: exit {warm.exit_code}: {_tail(opts.scratch / 'out.txt')}"
        return result, None
    if tool.partial and tool.partial in (opts.scratch / "out.txt").read_text(errors="replace"):
        result.note = "partial: stopped at the first file it could not parse"
        return result, None
    return result, argv


def measure_case(tools: Sequence[Tool], case: Case, opts: Options, caps: Sequence[float],
                 projected: Sequence[float | None]) -> list[Result]:
    """Every tool on one case, the timed runs interleaved (tool A, B, C, then B, C, A, ...): these
    machines drift in speed over minutes, and timing one tool's runs after another's turned that
    drift into a difference between the tools. Still one process at a time."""
    started = [warm_up(tool, case, replace(opts, cap_s=cap), proj)
               for tool, cap, proj in zip(tools, caps, projected)]
    if case.group == "precommit" and opts.hyperfine:
        for (result, argv), tool in zip(started, tools):
            if argv is not None:
                result.runs_s = hyperfine(opts.hyperfine, argv, max(opts.runs, 10), opts)
                _finish(result, tool, opts)
        return [r for r, _ in started]
    wanted = [_runs_for(r.warmup_s or 0.0, opts.runs) if argv is not None else 0 for r, argv in started]
    samples: list[list[Sample]] = [[] for _ in tools]
    timings: list[dict[str, float] | None] = [None] * len(tools)
    for round_no in range(max(wanted, default=0)):
        order = list(range(len(tools)))
        order = order[round_no % len(order):] + order[:round_no % len(order)]
        for i in order:
            result, argv = started[i]
            if argv is None or len(samples[i]) >= wanted[i]:
                continue
            timeout = caps[i] * 1.5
            samples[i].append(time_once(argv, opts.scratch / "out.txt", timeout, opts.env))
            if tools[i].name.startswith("kubegate"):
                timings[i] = _kubegate_timings(opts.scratch / "kubegate.json")
    for i, (result, argv) in enumerate(started):
        if argv is not None:
            result.runs_s = [round(x.wall_s, 4) for x in samples[i]]
            result.max_rss_mb = round(max(x.max_rss_kb for x in samples[i]) / 1024, 1)
            _finish(result, tools[i], opts, timings[i])
    return [r for r, _ in started]


def _finish(result: Result, tool: Tool, opts: Options, timings: dict[str, float] | None = None) -> None:
    result.median_s = round(statistics.median(result.runs_s), 4)
    if tool.name.startswith("kubegate"):
        result.timings_ms = timings if timings is not None else _kubegate_timings(opts.scratch / "kubegate.json")


def _runs_for(warmup_s: float, runs: int) -> int:
    """Fewer repetitions for long runs: the time box matters more than the last percent."""
    if warmup_s > 30:
        return 1
    if warmup_s > 5:
        return min(runs, 3)
    return runs


def hyperfine(exe: str, argv: Sequence[str], runs: int, opts: Options) -> list[float]:
    export = opts.scratch / "hyperfine.json"
    # -N: no intermediate shell, so the number is the tool's own start-up and work.
    command = [exe, "-N", "--warmup", "2", "--runs", str(runs), "-i", "--style", "none",
               "--export-json", str(export), " ".join(argv)]
    subprocess.run(command, check=True, env=opts.env, stdout=subprocess.DEVNULL)
    times: list[float] = json.loads(export.read_text())["results"][0]["times"]
    return [round(t, 4) for t in times]


def _kubegate_timings(report: Path) -> dict[str, float] | None:
    try:
        summary = json.loads(report.read_text())["summary"]
    except (OSError, ValueError, KeyError):
        return None
    timings: dict[str, float] = summary.get("timings_ms", {})
    timings["documents"] = summary.get("documents", 0)
    timings["files"] = summary.get("files", 0)
    return timings


def _tail(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines()
    return lines[-1][:200] if lines else ""


def run_all(tools: Sequence[Tool], cases: Sequence[Case], opts: Options, subject_cap: float) -> list[Result]:
    """Each case, every tool (runs interleaved); the growth measured so far projects the next size
    for the cap."""
    results: list[Result] = []
    seen: dict[str, list[tuple[int, float]]] = {}
    for case in cases:
        # kubegate is the subject: it gets a longer cap than the peers.
        caps = [subject_cap if tool.name.startswith("kubegate") else opts.cap_s for tool in tools]
        projected = [project(seen.get(tool.name, []), case.documents) if case.group == "generated" else None
                     for tool in tools]
        for result in measure_case(tools, case, opts, caps, projected):
            results.append(result)
            _progress(result)
            if result.median_s and case.group == "generated":
                seen.setdefault(result.tool, []).append((case.documents, result.median_s))
    return results


def project(points: Sequence[tuple[int, float]], documents: int) -> float | None:
    """Extrapolate a run time: linear from one point, with the measured exponent (>= 1) from two."""
    if not points:
        return None
    n2, t2 = points[-1]
    exponent = 1.0
    if len(points) >= 2:
        n1, t1 = points[-2]
        exponent = max(1.0, math.log(t2 / t1) / math.log(n2 / n1))
    return float(t2 * (documents / n2) ** exponent)


def _progress(result: Result) -> None:
    shown = f"{result.median_s:.3f} s (n={len(result.runs_s)})" if result.median_s is not None else result.note
    print(f"  {result.case:40} {result.tool:20} {shown}", file=sys.stderr, flush=True)


# --- extra kubegate measurements -------------------------------------------------------------------

def import_profile(path: Path, env: dict[str, str], top: int = 12) -> list[tuple[str, float, float]]:
    """`python -X importtime -m linter check`: the slowest imports as (module, self ms, cumulative ms)."""
    argv = [sys.executable, "-X", "importtime", "-m", "linter", "check", "--no-render", "-q", str(path)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO)
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if match:
            rows.append((match[4], int(match[1]) / 1000, int(match[2]) / 1000, len(match[3])))
    # Only top-level imports (no indentation) add up to the total; list them by cumulative cost.
    roots = sorted((r for r in rows if r[3] == 0), key=lambda r: -r[2])
    return [(name, round(own, 1), round(cum, 1)) for name, own, cum, _ in roots[:top]]


def cold_precommit(case: Case, env: dict[str, str]) -> float:
    """One pre-commit run with an empty schema cache: the first commit after installing kubegate."""
    with tempfile.TemporaryDirectory() as cache:
        cold_env = {**env, "KUBEGATE_CACHE_DIR": cache}
        with tempfile.TemporaryDirectory() as scratch:
            argv = kubegate_tool().argv(case, Path(scratch))
            assert argv is not None
            return round(time_once(argv, Path(scratch) / "out.txt", 120, cold_env).wall_s, 4)


# --- report ----------------------------------------------------------------------------------------

def table(results: Sequence[Result], cases: Sequence[Case], peers: Sequence[str]) -> str:
    by = {(r.tool, r.case): r for r in results}
    head = ["case", "docs", "files", "MB", "kubegate s"]
    for peer in peers:
        head += [f"{peer} s", f"{peer} ÷ kubegate"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in cases:
        kg = by.get(("kubegate", case.name))
        docs = case.documents or (kg.timings_ms or {}).get("documents", 0) if kg else case.documents
        cells = [case.name, f"{int(docs):,}", f"{case.files:,}", f"{case.bytes / 1e6:.2f}", _cell(kg)]
        for peer in peers:
            cells += _peer_cells(by.get((peer, case.name)), kg)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(result: Result | None) -> str:
    if result is None:
        return "–"
    if result.median_s is None:
        return result.note or "–"
    return f"{result.median_s:.3f} (n={len(result.runs_s)})"


def _peer_cells(peer: Result | None, kg: Result | None) -> list[str]:
    if peer is None or peer.median_s is None:
        return [_cell(peer), "–"]
    ratio = f"{peer.median_s / kg.median_s:.2f}×" if kg and kg.median_s else "–"
    return [f"{peer.median_s:.3f} (n={len(peer.runs_s)})", ratio]


def growth(results: Sequence[Result], cases: Sequence[Case]) -> str:
    """kubegate's cost per document and per stage (summary.timings_ms) as the fleet grows."""
    by = {(r.tool, r.case): r for r in results}
    stages = ["load", "schema", "policy", "report", "total"]
    lines = ["| variant | docs | median s | µs/doc | " + " | ".join(f"{s} ms" for s in stages) + " | max RSS MB |",
             "|" + "---|" * (5 + len(stages))]
    for tool, case in ((t, c) for t in ("kubegate", "kubegate-schema-only") for c in cases if c.group == "generated"):
        r = by.get((tool, case.name))
        if r is None or r.median_s is None:
            continue
        t = r.timings_ms or {}
        cells = [tool, f"{case.documents:,}", f"{r.median_s:.3f}", f"{r.median_s / case.documents * 1e6:.0f}",
                 *(f"{t.get(s, 0):.0f}" for s in stages), f"{r.max_rss_mb}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------------

def compile_bytecode() -> None:
    """Measure kubegate as pip installs it, with its modules byte-compiled. An editable install
    under PYTHONDONTWRITEBYTECODE (set on these machines) recompiles every module on each start:
    ~40 ms of a one-file run that no installed copy pays. The peers' venvs are compiled by pip."""
    import compileall

    import linter

    compileall.compile_dir(str(Path(linter.__file__).parent), quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KUBEGATE_CACHE_DIR": str(work / "cache"), "NO_COLOR": "1"}
    opts = Options(args.runs, args.cap, work, env, None if args.tiny else shutil.which("hyperfine"))
    tools = _tools(args)
    if args.baseline:
        tools.insert(2, baseline_tool(args.baseline, work))
    compile_bytecode()
    calibration = {"before_s": calibration_s()}
    sizes = [20] if args.tiny else [int(s) for s in args.sizes.split(",") if s]
    cases = ([] if args.tiny or args.no_corpus else corpus_cases())
    cases += generated_cases(work, sizes) + [precommit_case(work)]
    print(f"tools: {', '.join(f'{t.name} ({t.version})' for t in tools)}", file=sys.stderr)
    results = run_all(tools, cases, opts, args.subject_cap)
    calibration["after_s"] = calibration_s()
    extra: dict[str, Any] = {}
    if not args.tiny:
        extra = _extras(cases, results, work, env)
    peers = [t.name for t in tools if t.name != "kubegate"]
    report = {"machine": machine(), "calibration": calibration, "tools": {t.name: t.version for t in tools}, "absent": _absent(tools),
              "cases": [c._asdict() | {"path": str(c.path)} for c in cases],
              "results": [asdict(r) for r in results], **extra}
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(table(results, cases, peers))
    print()
    print(growth(results, cases))
    print(f"\ncalibration (5M-step Python loop, median of 3): {json.dumps(calibration)}")
    for key, value in extra.items():
        print(f"\n{key}: {json.dumps(value)}")
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="kubegate benchmarks against its peers")
    parser.add_argument("--sizes", default="1000,10000,100000", help="generated fleet sizes (documents)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (fewer for long cases)")
    parser.add_argument("--cap", type=float, default=120.0, help="skip a peer projected to take longer (s)")
    parser.add_argument("--subject-cap", type=float, default=600.0, help="the same cap for kubegate (s)")
    parser.add_argument("--peers", default="checkov,kubernetes-validate,kubeconform")
    parser.add_argument("--no-corpus", action="store_true", help="skip ../shared/corpus")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "kubegate-bench"))
    parser.add_argument("--out", default="bench-results.json", help="JSON results file")
    parser.add_argument("--tiny", action="store_true", help="smoke mode: 20 documents, one run, no Checkov")
    parser.add_argument("--baseline", metavar="REV", help="also time kubegate at this git revision")
    args = parser.parse_args(argv)
    if args.tiny:
        args.runs, args.peers = 1, "kubernetes-validate"
    return args


def _tools(args: argparse.Namespace) -> list[Tool]:
    factories: dict[str, Callable[[], Tool | None]] = {
        "checkov": checkov_tool, "kubernetes-validate": kubernetes_validate_tool, "kubeconform": kubeconform_tool}
    tools = [kubegate_tool(), kubegate_tool(schema_only=True)]
    for name in (p for p in args.peers.split(",") if p):
        if name not in factories:
            raise SystemExit(f"run.py: unknown peer {name!r} (known: {', '.join(factories)})")
        tool = factories[name]()
        if tool is not None:
            tools.append(tool)
    return tools


def _absent(tools: Sequence[Tool]) -> list[str]:
    present = {t.name for t in tools}  # kubeconform: only when its binary is on PATH
    return [name for name in ("checkov", "kubernetes-validate", "kubeconform") if name not in present]


def _extras(cases: Sequence[Case], results: Sequence[Result], work: Path, env: dict[str, str]) -> dict[str, Any]:
    pre = next(c for c in cases if c.group == "precommit")
    extra: dict[str, Any] = {"precommit_cold_cache_s": cold_precommit(pre, env),
                             "imports_top_level_ms": import_profile(pre.path, env)}
    # Peak memory of the whole process tree (workers included) on the largest fleet each variant finished.
    extra["tree_peak_rss_mb"] = {}
    for schema_only in (False, True):
        tool = kubegate_tool(schema_only)
        done = [r for r in results if r.tool == tool.name and r.median_s is not None and r.case.startswith("generated")]
        case = max((c for c in cases if any(r.case == c.name for r in done)), key=lambda c: c.documents, default=None)
        if case is not None:
            argv = tool.argv(case, work)
            assert argv is not None
            peak = tree_peak_rss_mb(argv, env, 3600)
            extra["tree_peak_rss_mb"][f"{tool.name} {case.name}"] = round(peak, 1)
    return extra


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    # The bundled library grows while kubegate is built: the policy stage depends on how many rules ran.
    policies = len(list((REPO / "policies").glob("*/*/policy.rego")))
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": sys.version.split()[0], "platform": sys.platform, "bundled_policies": policies}


if __name__ == "__main__":
    raise SystemExit(main())
