"""Ingest, clean and ``score`` outputs stay byte for byte what they were before the pyarrow reader.

Issue 16 (part 5) replaced the CSV reader and the column parsers of ingest. Every case of
``tests/golden/ingest_outputs.py`` (the bad-export corpus, larger synthetic exports with planted
errors in every layout, format and CSV dialect, awkward but valid CSV files, ``score IN OUT``)
is run with the current code and compared with ``tests/golden/ingest_outputs.json``, recorded
with the code before the change: the same exit status, the same one-line error or ``validate``
report, and the same SHA-256 of every file ingest and clean wrote (tables, quarantine, row
accounting, linkage metrics).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import ingest_outputs as golden

RECORDED: dict[str, Any] = json.loads(golden.GOLDEN.read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> golden.Exports:
    return golden.Exports(tmp_path_factory.mktemp("exports"))


def test_every_case_is_recorded() -> None:
    assert golden.case_names() == sorted(RECORDED, key=golden.case_names().index)
    assert set(golden.case_names()) == set(RECORDED)


@pytest.mark.parametrize("name", golden.case_names())
def test_same_outcome_as_recorded(name: str, exports: golden.Exports, tmp_path: Path) -> None:
    got = golden.outcome(name, exports, tmp_path)
    want = RECORDED[name]
    for part in ("ingested", "clean"):
        if part in want and part in got:
            changed = sorted(
                f for f in set(want[part]) | set(got[part])
                if want[part].get(f) != got[part].get(f)
            )  # fmt: skip
            assert not changed, f"{part}: files differ from the recorded ones: {changed}"
    assert got == want
