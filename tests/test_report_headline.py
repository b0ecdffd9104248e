"""Headline metrics and long-format curves over every configured model."""

from __future__ import annotations

import pandas as pd

from pipeline.reporting.headline import curves, model_headlines
from pipeline.reporting.research import ModelOutput

PRED = ModelOutput(
    name="b_pred",
    family="prediction",
    model="logistic_l2",
    metrics={
        "n": 300,
        "events": 90,
        "usable": True,
        "performance": {"auc": {"estimate": 0.71234567, "ci_low": 0.6, "ci_high": 0.8, "x": 1}},
        "sample_size": {"minimum_n": 668, "sufficient": False},
    },
    tables={"calibration_curve": pd.DataFrame({"predicted": [0.1, 0.2], "observed": [0.1, 0.3]})},
)
MIXED = ModelOutput(
    name="a_mixed",
    family="mixed",
    model="mixed_lm",
    metrics={
        "converged": True,
        "usable": True,
        "likelihood_ratio_tests": {"blk": {"p_value": 0.01}},
    },
)
UNFITTED = ModelOutput(name="c_new", family="survival", model="cox_ph")


def test_headlines_per_family() -> None:
    got = model_headlines([UNFITTED, PRED, MIXED])
    assert list(got) == ["a_mixed", "b_pred", "c_new"]
    assert got["b_pred"]["auc"] == {"estimate": 0.712346, "ci_low": 0.6, "ci_high": 0.8}
    assert got["b_pred"]["sample_size_minimum_n"] == 668
    assert got["b_pred"]["sample_size_sufficient"] is False
    assert got["a_mixed"]["lrt_blk_p"] == 0.01 and got["a_mixed"]["usable"] is True
    assert got["c_new"] == {"family": "survival", "fitted": False}


def test_curves_are_long_with_a_model_column() -> None:
    frame = curves([MIXED, PRED], "calibration_curve")
    assert list(frame.columns) == ["model", "predicted", "observed"]
    assert frame["model"].tolist() == ["b_pred", "b_pred"]
    assert curves([MIXED], "decision_curve").empty
