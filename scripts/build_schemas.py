"""Build kubegate's built-in CRD catalog (schemas/crds/) from upstream CRD manifests at pinned releases.

    python scripts/build_schemas.py --mirror /work/.mirror

`scripts/schema_sources.json` pins each project: the Git repository, the release tag, its commit, the
CRD files, the licence. The mirror holds bare clones as `<owner>+<name>/repo` (any `git clone --bare`
of the repository works). For each CRD the catalog keeps the served versions' `openAPIV3Schema`
without descriptions (kubegate converts them per run, strict or not, as it converts a CRD found in the
tree); `catalog.json` records where each kind came from, and the versions the project served in
earlier releases but no longer does, with the version that replaces them (SCHEMA-004).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "scripts" / "schema_sources.json"
OUT = REPO / "schemas" / "crds"
# Constraints real clusters do not have: (group, kind, path to the property, key to drop, why).
RELAX = [
    ("notification.toolkit.fluxcd.io", "Alert", ["spec", "eventSources", "items", "kind"], "enum",
     "the Flux Operator's distribution also accepts FluxInstance and ResourceSet event sources"),
]
# Older releases are sampled for removed versions: every Nth tag is enough (versions live for years).
TAG_STRIDE = 4


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def crds_at(repo: Path, ref: str, path: str) -> list[dict[str, Any]]:
    try:
        text = git(repo, "show", f"{ref}:{path}")
    except subprocess.CalledProcessError:
        return []
    yaml = YAML(typ="safe")
    # As the API server reads them: a bare `=` (in some enums) is the string "=", not YAML 1.1's value tag.
    yaml.constructor.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
    return [d for d in yaml.load_all(text) if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]


def strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def relax(group: str, kind: str, openapi: dict[str, Any]) -> dict[str, Any]:
    for g, k, path, key, _why in RELAX:
        if (g, k) != (group, kind):
            continue
        node: Any = openapi
        for step in path:
            node = node.get("items") if step == "items" else node.get("properties", {}).get(step)
            if not isinstance(node, dict):
                break
        else:
            node.pop(key, None)
    return openapi


def served(crd: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in crd["spec"]["versions"] if v.get("served", True)]


def build(mirror: Path) -> dict[str, Any]:
    sources = json.loads(SOURCES.read_text(encoding="utf-8"))
    catalog: dict[str, Any] = {"format": 1, "sources": [], "kinds": {}, "removed": {}}
    for index, src in enumerate(sources):
        repo = mirror / src["repository"].replace("/", "+") / "repo"
        commit = git(repo, "rev-parse", f"{src['tag']}^{{commit}}").strip()
        if commit != src["commit"]:
            sys.exit(f"{src['repository']} {src['tag']} is {commit}, not the pinned {src['commit']}")
        if src.get("format") == "jsonschema":
            _jsonschema_source(repo, src, index, catalog)
            continue
        tags = [t for t in git(repo, "tag", "--sort=creatordate").split() if t.startswith("v")]
        older = tags[:tags.index(src["tag"])][::-TAG_STRIDE]
        kinds = []
        for path in src["files"]:
            for crd in crds_at(repo, src["tag"], path):
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                versions = served(crd)
                storage = next((v["name"] for v in versions if v.get("storage")), versions[-1]["name"])
                for v in versions:
                    target = OUT / group / f"{kind.lower()}_{v['name']}.json"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    openapi = relax(group, kind, strip(v["schema"]["openAPIV3Schema"]))
                    target.write_text(json.dumps({"openAPIV3Schema": openapi}, separators=(",", ":"), sort_keys=True),
                                      encoding="utf-8")
                catalog["kinds"][f"{group}/{kind}"] = {"versions": [v["name"] for v in versions],
                                                       "storage": storage, "source": index}
                kinds.append(kind)
                current = {v["name"] for v in versions}
                for tag in older:
                    for old in crds_at(repo, tag, path):
                        if old["spec"]["names"]["kind"] != kind:
                            continue
                        for v in served(old):
                            if v["name"] not in current:
                                catalog["removed"].setdefault(f"{group}/{v['name']}/{kind}", f"{group}/{storage}")
        catalog["sources"].append({"project": src["project"], "version": src["tag"], "commit": commit,
                                   "url": f"https://github.com/{src['repository']}/tree/{src['tag']}/"
                                          f"{src['files'][0].rsplit('/', 1)[0]}",
                                   "licence": src["licence"], "kinds": sorted(kinds)})
    catalog["removed"] = dict(sorted(catalog["removed"].items()))
    catalog["relaxed"] = [{"kind": f"{g}/{k}", "field": ".".join(p), "dropped": key, "why": why}
                          for g, k, p, key, why in RELAX]
    (OUT / "catalog.json").write_text(json.dumps(catalog, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return catalog


def _jsonschema_source(repo: Path, src: dict[str, Any], index: int, catalog: dict[str, Any]) -> None:
    """A CRDs-catalog directory (`<group>/<kind>_<version>.json`, already JSON schemas of the CRDs'
    openAPIV3Schema): used for projects whose own repository is too large to bring (Cilium). `kinds`
    in the source maps the lower-case file names to the kinds' names; the newest version is storage."""
    versions: dict[tuple[str, str], list[str]] = {}
    for path in src["files"]:
        group, name = path.rsplit("/", 1)
        low, version = name[:-len(".json")].rsplit("_", 1)
        kind = src["kinds"][low]
        schema = strip(json.loads(git(repo, "show", f"{src['commit']}:{path}")))
        target = OUT / group / f"{low}_{version}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"openAPIV3Schema": schema}, separators=(",", ":"), sort_keys=True),
                          encoding="utf-8")
        versions.setdefault((group, kind), []).append(version)
    for (group, kind), found in versions.items():
        catalog["kinds"][f"{group}/{kind}"] = {"versions": sorted(found), "storage": max(found, key=_rank),
                                               "source": index}
    catalog["sources"].append({"project": src["project"], "version": src["commit"][:12], "commit": src["commit"],
                               "url": f"https://github.com/{src['repository']}/tree/{src['commit']}/"
                                      f"{src['files'][0].rsplit('/', 1)[0]}",
                               "licence": src["licence"], "kinds": sorted(k for _g, k in versions)})


def _rank(version: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA over beta over alpha, then the higher number."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if m is None:
        return (0, 0, 0)
    return (int(m.group(1)), {"alpha": 0, "beta": 1, None: 2}[m.group(2)], int(m.group(3) or 0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, required=True, help="directory of bare clones (<owner>+<name>/repo)")
    catalog = build(parser.parse_args().mirror)
    size = sum(p.stat().st_size for p in OUT.rglob("*.json"))
    print(f"{len(catalog['kinds'])} kinds, {sum(len(k['versions']) for k in catalog['kinds'].values())} versions, "
          f"{len(catalog['removed'])} removed versions, {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
