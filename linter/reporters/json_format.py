"""`--format json`: one object, {"findings": [...], "summary": {...}}."""

from __future__ import annotations

import json
from collections.abc import Sequence

from linter.models import Finding
from linter.reporters import RunInfo


def render(findings: Sequence[Finding], info: RunInfo) -> str:
    payload = {
        "version": info.tool_version,
        "findings": [f.to_dict() for f in findings],
        "summary": dict(info.summary),
    }
    return json.dumps(payload, indent=2, sort_keys=False) + "\n"
