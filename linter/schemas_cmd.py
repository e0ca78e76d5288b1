"""`kubegate schemas`: what schemas are built in, and converting a team's own CRDs.

`list` prints every built-in CRD kind and version with its provenance (project, release, source,
licence). `build CRD_FILES... -o DIR` converts CustomResourceDefinitions into the CRDs-catalog layout
(`DIR/<group>/<kind>_<version>.json`, kind in lower case), usable as
`--schema-location 'DIR/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'` by kubegate
and by kubeconform alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from linter.models import ConfigError

EXAMPLES = """examples:
  kubegate schemas list                          built-in schemas and where they come from
  kubegate schemas list --format json
  kubegate schemas build crds/*.yaml -o schemas/  convert your CRDs, then:
  kubegate check --schema-location default \\
      --schema-location 'schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json' .
"""


def add_parser(sub: argparse._SubParsersAction, formatter: type[argparse.HelpFormatter]) -> None:
    schemas = sub.add_parser("schemas", help="list built-in schemas, convert CRDs", formatter_class=formatter,
                             description=__doc__.split("\n\n")[1], epilog=EXAMPLES)
    actions = schemas.add_subparsers(dest="schemas_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="built-in schemas with provenance", formatter_class=formatter)
    listing.add_argument("--format", choices=["text", "json"], default="text")
    build = actions.add_parser("build", help="convert CRD files to a schema directory", formatter_class=formatter)
    build.add_argument("files", nargs="+", type=Path, metavar="CRD_FILE")
    build.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    build.add_argument("--strict", action=argparse.BooleanOptionalAction, default=True,
                       help="unknown fields are errors (kubegate's default; --no-strict to allow them)")


def run(args: argparse.Namespace) -> int:
    return cmd_list(args) if args.schemas_command == "list" else cmd_build(args)


def cmd_list(args: argparse.Namespace) -> int:
    from linter.resources import bundled_dir
    from linter.schema.catalog import CrdCatalog

    catalog = CrdCatalog(bundled_dir("schemas") / "crds", strict=True)
    rows = catalog.listing()
    if args.format == "json":
        sys.stdout.write(json.dumps({"schemas": rows, "removed": catalog.index.get("removed", {}),
                                     "sources": catalog.index.get("sources", [])}, indent=2) + "\n")
        return 0
    sys.stdout.write("Kubernetes built-in kinds: kubernetes-validate's bundled schemas (per --kubernetes-version)\n")
    width = max((len(f"{r['apiVersion']} {r['kind']}") for r in rows), default=0)
    for r in rows:
        sys.stdout.write(f"{r['apiVersion'] + ' ' + r['kind']:<{width}}  {r['project']} {r['release']} "
                         f"({r['licence']}) {r['url']}\n")
    removed = catalog.index.get("removed", {})
    sys.stdout.write(f"{len(rows)} CRD schemas built in; {len(removed)} removed versions are reported as SCHEMA-004\n")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from linter.loader import Limits, load_file
    from linter.schema.crd import crd_schemas, is_crd

    written = 0
    for path in args.files:
        if not path.is_file():
            raise ConfigError(f"no such file: {path}")
        result = load_file(path, str(path), Limits())
        for problem in result.problems:
            sys.stderr.write(f"{problem.file}: {problem.message}\n")
        for doc in result.documents:
            if not is_crd(doc.obj):
                continue
            schemas, problems = crd_schemas(doc, args.strict)
            for problem in problems:
                sys.stderr.write(f"{doc.file}: {problem.message}\n")
            for schema in schemas:
                group, version = schema.rtype.api_version.rsplit("/", 1)
                target = args.output / group / f"{schema.rtype.kind.lower()}_{version}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema.schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
                written += 1
    if not written:
        raise ConfigError("no CustomResourceDefinition with a usable schema in the given files")
    sys.stdout.write(f"wrote {written} schemas to {args.output}\n")
    return 0
