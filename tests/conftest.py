from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs never share kubegate's on-disk caches with the developer's, and never see CI/TTY variables
    that change output (colour, GitHub annotations)."""
    monkeypatch.setenv("KUBEGATE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "kubegate-cache"))
    for var in ("GITHUB_ACTIONS", "NO_COLOR", "RUST_BACKTRACE", "KUBEGATE_DEBUG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the checkout: present on developer machines and CI, absent in a user's clone."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside this checkout")
    return SHARED


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


os.environ.setdefault("KUBEGATE_TEST", "1")
