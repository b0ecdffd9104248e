"""Headline metrics, per-model summaries and curves grouped by outcome scale."""

from __future__ import annotations

import pandas as pd

from pipeline.reporting.headline import curve_groups, headline_metrics, model_headlines
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


def _pred(
    name: str, target: str, event: str | None, table: str, frame: pd.DataFrame
) -> ModelOutput:
    metrics = {"target": target, "outcome_type": "binary" if event else "continuous"}
    if event:
        metrics["event"] = event
    return ModelOutput(name, "prediction", "m", metrics=metrics, tables={table: frame})


def test_curves_are_grouped_by_outcome_scale_one_line_per_model() -> None:
    cal = pd.DataFrame({"predicted": [0.1, 0.2], "observed": [0.1, 0.3]})
    models = [
        _pred("imp_a", "cat", "cat in (recovered, improved)", "calibration_curve", cal),
        _pred("imp_b", "cat", "cat in (recovered, improved)", "calibration_curve", cal),
        _pred("rec", "cat", "cat in (recovered)", "calibration_curve", cal),
        _pred("chg", "ssd12_total_change", None, "calibration_curve", cal),
        MIXED,
    ]
    groups = curve_groups(models, "calibration_curve")
    assert sorted(groups) == ["cat_recovered", "cat_recovered_improved", "ssd12_total_change"]
    both = groups["cat_recovered_improved"]
    assert list(both.columns) == ["model", "predicted", "observed"]
    assert both["model"].tolist() == ["imp_a", "imp_a", "imp_b", "imp_b"]
    assert curve_groups([MIXED], "decision_curve") == {}


def test_decision_curves_carry_treat_all_and_none_as_lines() -> None:
    dc = pd.DataFrame(
        {
            "threshold": [0.1, 0.2],
            "net_benefit_model": [0.3, 0.2],
            "ci_low": [0.2, 0.1],
            "ci_high": [0.4, 0.3],
            "net_benefit_all": [0.25, 0.1],
            "net_benefit_none": [0.0, 0.0],
        }
    )
    groups = curve_groups([_pred("a", "cat", "cat in (x)", "decision_curve", dc)], "decision_curve")
    frame = groups["cat_x"]
    assert list(frame.columns) == ["model", "threshold", "net_benefit"]
    assert frame["model"].tolist() == [
        "a",
        "a",
        "treat all",
        "treat all",
        "treat none",
        "treat none",
    ]
    assert frame["net_benefit"].tolist() == [0.3, 0.2, 0.25, 0.1, 0.0, 0.0]


def test_headline_metric_is_small_and_pools_years() -> None:
    trajectories = pd.DataFrame(
        {
            "client_key": ["a", "a", "b", "c"],
            "status": ["ended", "ended", "ended", "ongoing"],
            "ssd12_total_change": [-10.0, -2.0, None, None],
            "ssd12_total_category": ["improved", "unchanged", None, None],
        }
    )
    got = headline_metrics(trajectories, [PRED, MIXED, UNFITTED])
    assert got["data"] == {"trajectories": 4, "clients": 3, "ended": 3}
    assert got["outcomes"] == {
        "ssd12_total": {"completers": 2, "mean_change": -6.0, "reliably_improved": 0.5}
    }
    assert got["models"]["b_pred"] == {"auc": 0.712346}
    assert got["models"]["a_mixed"] == {"lrt_blk_p": 0.01}
    assert got["models"]["c_new"] == {"fitted": 0}


def test_competing_risk_models_have_a_headline_figure() -> None:
    cif = ModelOutput(
        "dropout_cif",
        "survival",
        "cumulative_incidence",
        metrics={"causes": ["dropout", "regular"], "events": {"dropout": 5, "regular": 9}},
        coefficients=pd.DataFrame(
            {
                "term": ["cif_at_1y[dropout][all]", "cif_at_2y[dropout][all]",
                         "cif_at_2y[dropout][sex=m]", "cif_at_2y[regular][all]"],
                "estimate": [0.1, 0.264, 0.3, 0.6],
            }
        ),
    )  # fmt: skip
    cs = ModelOutput(
        "dropout_cs_cox",
        "survival",
        "cause_specific_cox",
        metrics={"causes": ["dropout"], "by_cause": {"dropout": {"concordance": 0.61}}},
    )
    got = headline_metrics(pd.DataFrame({"client_key": [], "status": []}), [cif, cs])["models"]
    assert got == {
        "dropout_cif": {"cif_at_2y_dropout": 0.264},
        "dropout_cs_cox": {"concordance_dropout": 0.61},
    }
