"""`kubegate charts pull PATH`: fill the chart cache for offline and air-gapped runs.

It reads the tree as `check` does (Flux Kustomizations rendered, so HelmReleases carry their
post-build substitutions), resolves every HelmRelease's chart and version constraint, fetches what
the cache lacks from its HTTP or OCI repository, and renders each release once (which also fills the
render cache). The next `kubegate check` or pre-commit run, offline, renders them from the cache.
Exit 0 when every chart was had, 1 when one could not be fetched or rendered, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from linter.models import ConfigError

EXAMPLES = """examples:
  kubegate charts pull .                         fetch every chart the fleet's HelmReleases use
  kubegate charts pull . --chart-cache /srv/kubegate-charts
  kubegate check --offline --chart-cache /srv/kubegate-charts .   then check without the network
"""


def add_parser(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
               formatter: type[argparse.HelpFormatter]) -> None:
    charts = sub.add_parser("charts", help="fill the chart cache for offline runs", formatter_class=formatter,
                            description=__doc__.split("\n\n")[1], epilog=EXAMPLES)
    actions = charts.add_subparsers(dest="charts_command", metavar="ACTION", required=True)
    pull = actions.add_parser("pull", help="fetch the charts a tree's HelmReleases use", formatter_class=formatter,
                              epilog=EXAMPLES)
    pull.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    pull.add_argument("-c", "--config", type=Path, metavar="FILE", help="configuration file")
    pull.add_argument("--chart-cache", type=Path, metavar="DIR", help="chart cache directory")


def run(args: argparse.Namespace) -> int:
    from linter import flux, helm
    from linter.config import load_config
    from linter.discover import discover
    from linter.fence import fence_for
    from linter.loader import Limits, load_many
    from linter.pipeline import classify

    cwd = Path.cwd()
    paths = args.paths or ["."]
    config = load_config(args.config, cwd / paths[0])
    section = dict(config.section("helm"))
    if args.chart_cache is not None:
        section["chart_cache"] = str(args.chart_cache.resolve())
    if not helm.available():
        raise ConfigError(f"the Helm engine is not installed: {helm.INSTALL_HINT}")
    try:
        targets = list(discover(paths, cwd, config.root, config.exclude))
    except FileNotFoundError as exc:
        raise ConfigError(f"no such file or directory: {exc.args[0]}") from None
    loaded = load_many([(t.path, t.display) for t in targets], Limits(**config.limits),
                       fence=fence_for(config.root, cwd))
    for doc in loaded.documents:
        classify(doc)
    result = flux.process(config.root, loaded.documents, config.section("flux"), cwd=cwd,
                          helm_section=section, online=True)
    stats = result.stats.get("helm", {})
    failed = [p for p in result.problems if p.rule_id in ("RENDER-004", "RENDER-005", "RENDER-006")]
    for p in failed:
        loc = p.doc.locate(p.path, p.key) if p.doc is not None else None
        where = f"{loc.file}:{loc.span.line}" if loc else p.file
        sys.stderr.write(f"{where}: {p.rule_id} {p.message}\n")
    cache = section.get("chart_cache") or str(helm.default_cache_dir())
    skipped = sum(n for why, n in stats.get("not_rendered", {}).items() if why == "source not readable")
    sys.stdout.write(f"{stats.get('rendered', 0)} of {stats.get('releases', 0)} HelmReleases rendered; charts "
                     f"cached in {cache}" + (f"; {skipped} with a source kubegate does not read" if skipped else "")
                     + (f"; {len(failed)} failed (above)" if failed else "") + "\n")
    return 1 if failed else 0
