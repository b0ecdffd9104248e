"""Golden CSVs of expected scores (``tests/golden/``; derivations in each file and its README)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.instruments.params import (
    Eq5d3lParams,
    Eq5d5lParams,
    Rand36Params,
    ScoreParams,
)
from pipeline.instruments.registry import build_instruments
from pipeline.instruments.scoring import score_frame

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "ssd12.csv": ("ssd12", ScoreParams()),
    "eq5d5l.csv": ("eq5d5l", ScoreParams()),
    "eq5d5l_full_precision.csv": ("eq5d5l", ScoreParams(eq5d5l=Eq5d5lParams("full_precision"))),
    "eq5d3l.csv": ("eq5d3l", ScoreParams()),
    "eq5d3l_roudijk_jonker.csv": (
        "eq5d3l",
        ScoreParams(eq5d3l=Eq5d3lParams("NL_2026_RoudijkJonker")),
    ),
    "rand36.csv": ("rand36", ScoreParams()),
    "rand36_sf36_ware.csv": ("rand36", ScoreParams(rand36=Rand36Params(method="sf36_ware"))),
    "rand36_available_items.csv": (
        "rand36",
        ScoreParams(rand36=Rand36Params(missing_rule="available_items")),
    ),
    "phq15.csv": ("phq15", ScoreParams()),
    "cqi.csv": ("cqi", ScoreParams()),
}


def test_every_golden_file_is_used_and_every_instrument_has_one() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.csv")) == sorted(CASES)
    assert {key for key, _ in CASES.values()} == set(build_instruments())


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_scores(name: str) -> None:
    key, params = CASES[name]
    table = pd.read_csv(GOLDEN / name, dtype=str, keep_default_na=False)
    assert table["derivation"].str.len().gt(10).all(), "every row explains its expected values"
    instrument = build_instruments(params)[key]
    items = table.loc[:, [c for c in instrument.item_names if c in table.columns]]
    values = items.replace("", np.nan).astype(np.float64)
    sex = table["sex"].to_numpy(dtype=object) if "sex" in table.columns else None
    scores, invalid = score_frame(values, {key: instrument}, sex=sex)
    assert invalid.empty
    expected_columns = [c for c in table.columns if c.startswith("expected_")]
    assert expected_columns
    for column in expected_columns:
        score = column.removeprefix("expected_")
        got = scores[score]
        for row, text in enumerate(table[column]):
            where = f"{name} row {row + 2} {score}"
            if text == "":
                assert pd.isna(got.iloc[row]), where
            elif instrument.score(score).categories:
                assert got.iloc[row] == text, where
            else:
                assert float(got.iloc[row]) == pytest.approx(float(text), abs=1e-9), where
