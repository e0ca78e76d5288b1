"""Where the bundled policies and schemas are: inside the wheel, or beside the package in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def bundled_dir(name: str) -> Path:
    """`policies` or `schemas`: `linter/_bundled/<name>` in a wheel, `<repo>/<name>` in a checkout."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled {name}/ not found beside {_PACKAGE}: the installation is incomplete")
