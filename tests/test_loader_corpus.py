"""Every YAML/JSON file of the real Flux fleets in ../shared/corpus loads without an exception."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from linter.loader import Limits, load_many

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FLEETS = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


@pytest.fixture(params=FLEETS, ids=[p.name for p in FLEETS])
def fleet(request: pytest.FixtureRequest) -> Path:
    return Path(request.param)


@pytest.mark.skipif(not FLEETS, reason="corpus not available (../shared/corpus)")
def test_fleet_loads(fleet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(p for p in fleet.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
    items = [(p, str(p.relative_to(fleet))) for p in files]
    result = load_many(items, Limits(), jobs=1)
    rules = Counter(p.rule_id for p in result.problems)
    with capsys.disabled():
        print(f"\n{fleet.name}: {len(files)} files, {len(result.documents)} documents, problems {dict(rules)}")
    assert files and result.documents
    # Real fleets are valid YAML: no file may fail to parse or trip a safety limit.
    assert not {"YAML-001", "YAML-003", "YAML-005"} & set(rules)
    for doc in result.documents[:: max(1, len(result.documents) // 50)]:
        assert doc.locate(()).span.line == doc.span.line
