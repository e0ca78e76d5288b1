"""Issue 13, rows 1 and 8: input limits hold for standard input and for documents without aliases.

Each end-to-end case runs the real command in a child process and reads its peak RSS from `wait4`, so
a limit that holds only on paper (reading everything, then refusing) fails here.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.error import YAMLError

from linter.loader import Limits, load_bytes, read_capped
from tests.conftest import REPO

MB = 1024 * 1024


# The child's peak RSS, measured by a small launcher: a process forked from pytest starts with
# pytest's resident pages in its ru_maxrss (280 MB late in the suite), whatever it then execs.
_LAUNCH = """import os, sys, time
pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "linter", *sys.argv[2:]], os.environ)
deadline = time.monotonic() + float(sys.argv[1])
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > deadline:
        os.kill(pid, 9)
        sys.exit(124)
    time.sleep(0.05)
sys.stderr.write(f"\\n{usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _peak_rss(args: list[str], cwd: Path, stdin_path: str | None = None,
              timeout: float = 120) -> tuple[int, str, float]:
    """(exit code, stdout, peak RSS in MB) of `python -m linter ARGS`, the RSS the command's own."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "KUBEGATE_NO_CACHE": "1"}
    out_path = cwd / "stdout.txt"
    with open(out_path, "wb") as out, open(stdin_path or os.devnull, "rb") as stdin:
        proc = subprocess.run([sys.executable, "-c", _LAUNCH, str(timeout), *args], cwd=cwd, stdin=stdin,
                              stdout=out, stderr=subprocess.PIPE, env=env, timeout=timeout + 30)
    if proc.returncode == 124:
        raise TimeoutError(f"kubegate did not finish in {timeout} s")
    rss_kb = int(proc.stderr.decode().strip().splitlines()[-1])
    return proc.returncode, out_path.read_text(encoding="utf-8"), rss_kb / 1024


def test_read_capped_reads_one_byte_past_the_cap() -> None:
    assert read_capped(io.BytesIO(b"x" * 100), 10) == b"x" * 11
    assert read_capped(io.BytesIO(b"abc"), 10) == b"abc"
    assert read_capped(io.BytesIO(b""), 10) == b""


def test_stdin_from_dev_zero_is_capped(tmp_path: Path) -> None:
    """Row 1: `kubegate check - < /dev/zero` read all of stdin first (24 GB, killed after 58 s)."""
    code, out, rss = _peak_rss(["check", "--no-render", "--format", "json", "-"], tmp_path, "/dev/zero")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [(f["rule_id"], f["file"], f["line"], f["column"]) for f in findings] == [("YAML-003", "-", 1, 1)]
    assert "standard input is larger than" in findings[0]["message"]
    assert rss < 250, f"peak RSS {rss:.0f} MB"


def test_stdin_over_a_configured_cap(tmp_path: Path) -> None:
    (tmp_path / ".kubegate.yaml").write_text("limits: {max_file_bytes: 1000}\n")
    big = tmp_path / "big.yaml"
    big.write_text("a: b\n" * 1000)
    code, out, _rss = _peak_rss(["check", "--no-render", "--format", "json", "-"], tmp_path, str(big))
    assert code == 1 and [f["rule_id"] for f in json.loads(out)["findings"]] == ["YAML-003"]


def _many_keys(count: int) -> str:
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: apps\ndata:\n"
    return head + "".join(f"  key{i:07d}: v\n" for i in range(count))


def test_million_keys_without_anchors_is_refused_before_composing(tmp_path: Path) -> None:
    """Row 8: 12.9 MB, 10^6 keys, no anchors: 765 MB and 5.3 s, blamed on "alias expansion"."""
    (tmp_path / "big.yaml").write_text(_many_keys(1_000_000))
    code, out, rss = _peak_rss(["check", "--no-render", "--format", "json", "big.yaml"], tmp_path)
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [(f["rule_id"], f["line"]) for f in findings] == [("YAML-003", 100_000)]
    assert "more than 200000 nodes" in findings[0]["message"] and "alias" not in findings[0]["message"]
    assert rss < 250, f"peak RSS {rss:.0f} MB"


def test_node_limit_counts_each_document() -> None:
    one = _many_keys(800).encode()
    limits = Limits(max_nodes=1500)
    assert load_bytes(one, "a.yaml", limits).problems[0].rule_id == "YAML-003"
    # Ten documents of 300 keys: each under the limit, the file over it.
    many = b"---\n".join([_many_keys(300).encode()] * 10)
    result = load_bytes(many, "m.yaml", limits)
    assert result.problems == [] and len(result.documents) == 10


@pytest.mark.parametrize("source", [
    b"{" + b", ".join(b"k%d: v" % i for i in range(800)) + b"}",  # flow mapping
    b"[" + b", ".join(b"k%d: v" % i for i in range(500)) + b"]",  # single-pair mappings in a flow sequence
    b"".join(b"- k%d\n" % i for i in range(1600)),  # block sequence
    b"".join(b"? k%d\n" % i for i in range(800)),  # explicit keys, null values
])
def test_node_limit_holds_for_every_collection_style(source: bytes) -> None:
    result = load_bytes(source, "s.yaml", Limits(max_nodes=1500))
    assert [p.rule_id for p in result.problems] == ["YAML-003"]
    assert "limits.max_nodes" in result.problems[0].message


def test_alias_free_expanded_limit_says_what_it_counts() -> None:
    source = b"---\n".join([b"[" + b", ".join([b"x"] * 300) + b"]\n"] * 5)
    (problem,) = load_bytes(source, "e.yaml", Limits(max_expanded_nodes=1000)).problems
    assert problem.message == "the file has more than 1000 nodes (limits.max_expanded_nodes)"


YAMLISH = st.lists(st.sampled_from(["a", ": ", "- ", "? ", "[", "]", "{", "}", ", ", "\n", "  ", "---\n", "...\n",
                                    "&x ", "*x", "'q'", '"d"', "|\n  t\n", "!!str ", "#c\n", "k: v\n"]),
                   max_size=80).map("".join)


@settings(max_examples=400, deadline=None)
@given(YAMLISH, st.integers(min_value=1, max_value=40))
def test_node_bound_is_sound(text: str, limit: int) -> None:
    """Whenever the cheap bound says a text is safe, no document of it has more than `limit` nodes."""
    from linter.yamlload import compose, guards

    if not guards.node_bound_is_safe(text, limit):
        return
    try:
        assert compose.exact_limits(text, guards.HARD_MAX_DEPTH, limit) is None
    except YAMLError:
        pass  # the parse stops at the error: what was counted before it was within the limit


FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./k
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""


def test_deep_kustomization_under_a_flux_path_does_not_crash(tmp_path: Path) -> None:
    """The Flux graph read a kustomization.yaml the loader had refused with ruamel's C loader directly:
    40k nested brackets segfaulted the run (exit 139). Run in a child: a segfault here would end pytest."""
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "kustomization.yaml").write_text("resources: " + "[" * 40_000 + "]" * 40_000 + "\n")
    (tmp_path / "flux.yaml").write_text(FLUX_KS)
    code, out, _rss = _peak_rss(["check", "--format", "json", "."], tmp_path)  # the graph reads it to render
    assert code == 1
    assert ("YAML-003", "k/kustomization.yaml") in [(f["rule_id"], f["file"]) for f in json.loads(out)["findings"]]
