"""Instrument definitions, the registry, params and the frame-level scorer on tiny inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config import PARAMS_PATH, load_params
from pipeline.instruments.base import normalise_sex, round_half_away, score_items
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS, all_item_columns
from pipeline.instruments.params import ScoreParams, describe_options
from pipeline.instruments.registry import (
    REGISTRY,
    SCORE_COLUMNS,
    build_instruments,
    outcome_scores,
    score_sources,
)
from pipeline.instruments.scoring import allowed_scores, parse_item_text, score_frame


def test_params_yaml_score_block_equals_the_dataclass_defaults() -> None:
    assert load_params("score", ScoreParams, PARAMS_PATH) == ScoreParams()
    options = describe_options(ScoreParams())
    assert options["eq5d5l"] == {"coefficients": "published"}
    assert options["eq5d3l"] == {"value_set": "NL_2006_Lamers"}
    assert options["rand36"] == {"method": "rand", "missing_rule": "half_scale"}


def test_registry_matches_the_catalogue_and_the_output_columns() -> None:
    instruments = build_instruments()
    assert tuple(instruments) == tuple(INSTRUMENT_ITEMS)
    names = {s.name for i in instruments.values() for s in i.scores}
    assert names == set(SCORE_COLUMNS)
    for key, instrument in instruments.items():
        assert instrument.key == key and REGISTRY[key].__module__ == f"pipeline.instruments.{key}"
        assert instrument.citation and instrument.missing_rule
        assert set(instrument.burden) == set(instrument.item_names)
        assert set(instrument.primary) <= set(instrument.score_names)
        for score in instrument.scores:
            assert score.direction in ("higher_is_better", "lower_is_better")
            assert set(score.items) <= set(instrument.item_names)
    assert outcome_scores(instruments)[:4] == (
        "ssd12_total",
        "ssd12_cognitive",
        "ssd12_affective",
        "ssd12_behavioural",
    )
    assert "rand36_hc" not in outcome_scores(instruments)
    assert "cqi_grade" not in outcome_scores(instruments)
    assert score_sources(instruments)["eq5d_vas"] == ("eq5d5l", "eq5d3l")


def test_directions_of_improvement_live_in_the_definitions() -> None:
    instruments = build_instruments()
    lower = {"ssd12_total", "ssd12_cognitive", "ssd12_affective", "ssd12_behavioural", "phq15_total", "phq15_severity"}  # fmt: skip
    for instrument in instruments.values():
        for score in instrument.scores:
            expected = "lower_is_better" if score.name in lower else "higher_is_better"
            assert score.direction == expected, score.name


def test_sex_spellings() -> None:
    got = normalise_sex(
        ["m", "M", "man", " Vrouw ", "V", "f", "x", "anders", "", None, np.nan, "?"]
    )
    assert list(got) == ["m", "m", "m", "f", "f", "f", "x", "x", "", "", "", ""]


def test_round_half_away_from_zero() -> None:
    got = round_half_away(np.array([0.25, 0.35, -0.25, 2.45, 0.9179999999, np.nan]), 1)
    assert list(got[:5]) == [0.3, 0.4, -0.3, 2.5, 0.9]
    assert np.isnan(got[5])


def test_allowed_scores_follow_the_missing_item_rules() -> None:
    instruments = build_instruments()
    ssd = instruments["ssd12"]
    eleven = {f"ssd12_{i:02d}" for i in range(1, 12)}
    assert set(allowed_scores(ssd, eleven)) == set(ssd.score_names)
    assert allowed_scores(ssd, {f"ssd12_{i:02d}" for i in range(1, 7)}) == ()
    assert allowed_scores(instruments["eq5d5l"], {"eq5d_vas"}) == ("eq5d_vas",)
    phq_without_item4 = {f"phq15_{i:02d}" for i in range(1, 16) if i != 4}
    assert allowed_scores(instruments["phq15"], phq_without_item4) == (
        "phq15_total",
        "phq15_severity",
    )


def test_long_layout_scores_each_row_with_its_own_instrument() -> None:
    frame = pd.DataFrame(
        {
            "instrument": ["eq5d5l", "eq5d3l", "ssd12"],
            "eq5d5l_mo": [2, np.nan, np.nan],
            "eq5d5l_sc": [1, np.nan, np.nan],
            "eq5d5l_ua": [1, np.nan, np.nan],
            "eq5d5l_pd": [1, np.nan, np.nan],
            "eq5d5l_ad": [1, np.nan, np.nan],
            "eq5d3l_mo": [np.nan, 3, np.nan],
            "eq5d3l_sc": [np.nan, 3, np.nan],
            "eq5d3l_ua": [np.nan, 3, np.nan],
            "eq5d3l_pd": [np.nan, 3, np.nan],
            "eq5d3l_ad": [np.nan, 3, np.nan],
            "eq5d_vas": [70, 40, np.nan],
            **{f"ssd12_{i:02d}": [np.nan, np.nan, 1.0] for i in range(1, 13)},
        }
    ).astype({c: "float32" for c in all_item_columns() if c in ("eq5d_vas",)})
    scores, invalid = score_frame(frame, build_instruments(), instrument_column="instrument")
    assert invalid.empty
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert scores["eq5d5l_index"].tolist()[0] == pytest.approx(0.918)
    assert np.isnan(scores["eq5d5l_index"].iloc[1])
    assert scores["eq5d3l_index"].iloc[1] == pytest.approx(-0.329)
    assert scores["eq5d_vas"].tolist()[:2] == [70.0, 40.0]
    assert scores["ssd12_total"].tolist()[2] == 12.0
    assert scores["phq15_severity"].isna().all()
    assert str(scores["phq15_severity"].dtype) == "string"


def test_invalid_cells_are_listed_in_row_and_item_order_without_values() -> None:
    frame = pd.DataFrame({"ssd12_07": [5.0, 1.0, 2.5], "eq5d_vas": [50.0, 101.0, 3.0]})
    scores, invalid = score_frame(frame, build_instruments())
    assert list(scores.columns) == ["eq5d_vas"]  # 1 of 12 SSD-12 items cannot give a score
    assert invalid[["row", "item", "reason"]].values.tolist() == [
        [0, "ssd12_07", "out of range"],
        [1, "eq5d_vas", "out of range"],
        [2, "ssd12_07", "not a whole number"],
    ]
    assert invalid[["low", "high"]].values.tolist() == [[0, 4], [0, 100], [0, 4]]
    assert scores["eq5d_vas"].tolist()[0] == 50.0 and np.isnan(scores["eq5d_vas"].iloc[1])


def test_text_cells_parse_with_either_decimal_mark() -> None:
    table = pd.DataFrame({"EQ5D_VAS": ["72", "72,0", " 72.5 ", "", "n.v.t.", "nan"]})
    values, unparseable = parse_item_text(table, {"eq5d_vas": "EQ5D_VAS"})
    assert values["eq5d_vas"].tolist()[:3] == [72.0, 72.0, 72.5]
    assert unparseable["eq5d_vas"].tolist() == [False, False, False, False, True, True]


def test_a_man_answering_the_menstrual_item_is_not_counted() -> None:
    phq = build_instruments()["phq15"]
    values = np.ones((2, 15))
    block = score_items(phq, values, np.array(["m", "f"], dtype=object))
    assert block.scores["phq15_total"].tolist() == [14.0, 15.0]
