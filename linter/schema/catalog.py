"""The built-in CRD catalog: Flux's own kinds, from upstream CRDs at pinned releases (schemas/crds/).

`scripts/build_schemas.py` writes one `<group>/<kind>_<version>.json` per served version (the CRD's
`openAPIV3Schema`, descriptions removed) and `catalog.json`: where each kind comes from (project,
release, commit, URL, licence) and the versions those projects no longer serve, with their
replacement. A schema is read and converted only when a document of its kind is checked, with the
run's strictness, exactly as a CRD found in the tree is (linter.schema.crd.convert).
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from linter.schema.crd import convert
from linter.schema.registry import FoundSchema, ResourceType


class CrdCatalog:
    def __init__(self, root: Path, strict: bool) -> None:
        self.root, self.strict = root, strict

    @cached_property
    def index(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / "catalog.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"sources": [], "kinds": {}, "removed": {}}
        return data if isinstance(data, dict) else {"sources": [], "kinds": {}, "removed": {}}

    def _entry(self, rtype: ResourceType) -> dict[str, Any] | None:
        entry = self.index.get("kinds", {}).get(f"{rtype.group}/{rtype.kind}")
        return entry if isinstance(entry, dict) else None

    def source_of(self, rtype: ResourceType) -> dict[str, Any] | None:
        entry = self._entry(rtype)
        sources = self.index.get("sources", [])
        if entry is None or not isinstance(entry.get("source"), int) or entry["source"] >= len(sources):
            return None
        return sources[entry["source"]]

    def find(self, rtype: ResourceType) -> FoundSchema | None:
        entry = self._entry(rtype)
        version = rtype.api_version.rpartition("/")[2]
        if entry is None or version not in entry.get("versions", ()):
            return None
        path = self.root / rtype.group / f"{rtype.kind.lower()}_{version}.json"
        try:
            openapi = json.loads(path.read_text(encoding="utf-8"))["openAPIV3Schema"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        source = self.source_of(rtype) or {}
        origin = f"built-in {source.get('project', 'catalog')} {source.get('version', '')}".strip()
        return FoundSchema(convert(openapi, rtype, self.strict), origin)

    def replacement(self, rtype: ResourceType) -> str | None:
        """The apiVersion that replaces a version the catalog's release no longer serves, if any."""
        version = rtype.api_version.rpartition("/")[2]
        found = self.index.get("removed", {}).get(f"{rtype.group}/{version}/{rtype.kind}")
        return found if isinstance(found, str) else None

    def listing(self) -> list[dict[str, Any]]:
        """Every built-in kind and version with its provenance (`kubegate schemas list`)."""
        out = []
        for key, entry in sorted(self.index.get("kinds", {}).items()):
            group, _, kind = key.rpartition("/")
            source = self.source_of(ResourceType(f"{group}/x", kind)) or {}
            for version in entry.get("versions", []):
                out.append({"apiVersion": f"{group}/{version}", "kind": kind, "project": source.get("project", ""),
                            "release": source.get("version", ""), "url": source.get("url", ""),
                            "licence": source.get("licence", "")})
        return out
