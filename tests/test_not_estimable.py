"""Graceful degradation: a model its data cannot support is written as 'not estimable'.

The contract (docs/robustness.md): the fit stage writes ``metrics.json`` with
``"estimable": false`` and a one-line ``"reason"``, and an empty ``coefficients.csv`` with the
standard columns; a fitted model says ``"estimable": true``; bad parameters still fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline.errors import ParamsError
from pipeline.models._simulate import simulate_inputs
from pipeline.models.base import (
    COEFFICIENT_COLUMNS,
    FitResult,
    ModelError,
    ModelInputs,
    NotEstimable,
    check_fit_result,
    empty_coefficients,
    is_estimable,
    not_estimable_result,
)
from pipeline.reporting import headline, research
from pipeline.stages import fit as stage

MIXED = {
    "model": "mixed_lm",
    "family": "mixed",
    "formula": "ssd12_total ~ years * comorbid_asd + age_at_start + sex",
    "re_formula": "~years",
    "instrument": "ssd12",
}
PREDICTION = {
    "model": "logistic_l2",
    "family": "prediction",
    "target": "ssd12_total_category",
    "positive": ["recovered", "improved"],
    "predictors": ["age_at_start", "sex", "ssd12_total_intake"],
    "repeats": 1,
    "folds": 3,
    "inner_folds": 2,
    "imputations": 1,
    "ci_draws": 50,
    "grid": {"C": [0.1, 1.0]},
    "n_jobs": 1,
}
RIDGE = {
    "model": "ridge_regression",
    "family": "prediction",
    "target": "ssd12_total_change",
    "predictors": ["age_at_start", "sex", "ssd12_total_intake"],
    "repeats": 1,
    "folds": 3,
    "inner_folds": 2,
    "imputations": 1,
    "ci_draws": 50,
    "grid": {"alpha": [1.0]},
    "n_jobs": 1,
}
COX = {
    "model": "cox_ph",
    "family": "survival",
    "outcome": "dropout",
    "covariates": ["comorbid_opioid", "age_at_start"],
}
KM = {"model": "kaplan_meier", "family": "survival", "outcome": "dropout", "groups": ["cfs"]}
ENTRIES = {"mixed": MIXED, "prediction": PREDICTION, "cox": COX, "km": KM}


@pytest.fixture(scope="module")
def inputs() -> ModelInputs:
    return simulate_inputs(150, seed=11)


def _no_consent(inputs: ModelInputs) -> ModelInputs:
    trajectories = inputs.trajectories.assign(
        research_consent=pd.array([0] * len(inputs.trajectories), dtype="Int8")
    )
    return ModelInputs(inputs.scores, trajectories, inputs.seed)


def _check_not_estimable(result: FitResult, reason: str) -> None:
    check_fit_result(result, "test")
    assert result.metrics["estimable"] is False
    assert reason in result.metrics["reason"]
    assert "\n" not in result.metrics["reason"]
    assert list(result.coefficients.columns) == list(COEFFICIENT_COLUMNS)
    assert result.coefficients.empty
    assert result.tables == {}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_no_research_consent_is_not_estimable_for_every_family(
    entry: str, inputs: ModelInputs
) -> None:
    result = stage.fit_entry(entry, ENTRIES[entry], _no_consent(inputs))
    _check_not_estimable(result, "")
    assert result.metrics["name"] == entry
    assert result.metrics["family"] == ENTRIES[entry]["family"]
    # The analysis-set flow says where the trajectories went (counts only).
    flow = result.metrics["analysis_set"]
    assert all(isinstance(v, int) for v in flow.values())


def test_reasons_name_the_cause(inputs: ModelInputs) -> None:
    blocked = _no_consent(inputs)
    reasons = {k: stage.fit_entry(k, e, blocked).metrics["reason"] for k, e in ENTRIES.items()}
    assert reasons["mixed"] == "the analysis set is empty (no measurement of a selected trajectory)"
    assert (
        reasons["prediction"] == "no trajectory left to analyse for target 'ssd12_total_category'"
    )
    assert reasons["cox"].startswith("no events among 0 analysed trajectories")
    assert reasons["km"] == "the analysis set is empty: no curve can be estimated"


def test_fitted_models_say_estimable(inputs: ModelInputs) -> None:
    for name in ("mixed", "cox", "km"):
        result = stage.fit_entry(name, ENTRIES[name], inputs)
        assert result.metrics["estimable"] is True
        assert is_estimable(result.metrics)
        assert len(result.coefficients) > 0


def test_no_events_single_class_and_constant_outcome(inputs: ModelInputs) -> None:
    trajectories = inputs.trajectories
    # No drop-outs: the Cox model has no events.
    no_dropouts = trajectories.assign(
        end_reason=trajectories["end_reason"].where(trajectories["end_reason"] != "dropout")
    )
    cox = stage.fit_entry("cox", COX, ModelInputs(inputs.scores, no_dropouts, inputs.seed))
    _check_not_estimable(cox, "no events among")
    # One outcome class: nobody improved.
    one_class = trajectories.assign(
        ssd12_total_category=trajectories["ssd12_total_category"].where(
            trajectories["ssd12_total_category"].isna(), "unchanged"
        )
    )
    logistic = stage.fit_entry(
        "logistic", PREDICTION, ModelInputs(inputs.scores, one_class, inputs.seed)
    )
    _check_not_estimable(logistic, "each outcome class needs at least 3")
    assert logistic.metrics["events"] == 0
    # A constant continuous target.
    constant = trajectories.assign(
        ssd12_total_change=trajectories["ssd12_total_change"].where(
            trajectories["ssd12_total_change"].isna(), 0.0
        )
    )
    ridge = stage.fit_entry("ridge", RIDGE, ModelInputs(inputs.scores, constant, inputs.seed))
    _check_not_estimable(ridge, "is constant over")
    # A constant mixed-model outcome.
    scores = inputs.scores.assign(
        ssd12_total=inputs.scores["ssd12_total"].where(inputs.scores["ssd12_total"].isna(), 20.0)
    )
    mixed = stage.fit_entry("mixed", MIXED, ModelInputs(scores, trajectories, inputs.seed))
    _check_not_estimable(mixed, "the outcome is constant")


def test_too_small_an_analysis_set(inputs: ModelInputs) -> None:
    # Two trajectories with one SSD-12 measurement each: fewer clients than folds, and no more
    # measurements than groups (lme4's check).
    trajectories = inputs.trajectories
    chosen = trajectories.loc[
        (trajectories["status"] == "ended")
        & (trajectories["research_consent"] == 1)
        & trajectories["ssd12_total_change"].notna(),
        "trajectory_key",
    ][:2]
    scores = inputs.scores[
        inputs.scores["trajectory_key"].isin(chosen) & (inputs.scores["instrument"] == "ssd12")
    ]
    scores = scores.sort_values("days_from_start").groupby("trajectory_key").head(1)
    small = ModelInputs(scores, trajectories[trajectories["trajectory_key"].isin(chosen)], 0)
    mixed = stage.fit_entry("mixed", MIXED, small)
    _check_not_estimable(mixed, "2 measurements for 2 groups of trajectory_key")
    ridge = stage.fit_entry("ridge", RIDGE, small)
    _check_not_estimable(ridge, "validation needs at least 3")


def test_bad_parameters_still_fail(inputs: ModelInputs) -> None:
    with pytest.raises(ParamsError, match="unknown key"):
        stage.fit_entry("mixed", {**MIXED, "bogus": 1}, inputs)
    with pytest.raises(ParamsError, match="ci_level must lie between 0 and 1"):
        stage.fit_entry("mixed", {**MIXED, "ci_level": 2.0}, _no_consent(inputs))
    # A formula naming an unknown column is a configuration error, not 'not estimable'.
    broken = {**MIXED, "formula": "ssd12_total ~ years + no_such_column"}
    with pytest.raises(ModelError) as caught:
        stage.fit_entry("broken", broken, inputs)
    assert not isinstance(caught.value, NotEstimable)


def test_contract_checks_the_flag() -> None:
    metrics: dict[str, Any] = {"estimable": False, "reason": "x"}
    check_fit_result(FitResult(empty_coefficients(), metrics))
    with pytest.raises(ModelError, match="one-line reason"):
        check_fit_result(FitResult(empty_coefficients(), {"estimable": False}))
    with pytest.raises(ModelError, match="true or false"):
        check_fit_result(FitResult(empty_coefficients(), {"estimable": "no"}))
    rows = pd.DataFrame([["a", 1.0, 1.0, 0.0, 2.0, 0.5]], columns=list(COEFFICIENT_COLUMNS))
    with pytest.raises(ModelError, match="has no coefficients"):
        check_fit_result(FitResult(rows, metrics))
    assert is_estimable({}) and is_estimable({"estimable": True})
    assert not is_estimable({"estimable": False})
    error = NotEstimable("two\nlines", {"n": 3})
    assert error.reason == "two lines"
    assert not_estimable_result(error).metrics == {
        "n": 3,
        "estimable": False,
        "reason": "two lines",
    }


def test_stage_writes_header_only_coefficients(tmp_path: Path) -> None:
    result = not_estimable_result(NotEstimable("the analysis set is empty", {"n": 0}))
    stage.write_result(result, tmp_path / "m")
    text = (tmp_path / "m" / "coefficients.csv").read_text(encoding="utf-8")
    assert text.strip() == ",".join(COEFFICIENT_COLUMNS)
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics == {"estimable": False, "n": 0, "reason": "the analysis set is empty"}
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "coefficients.csv",
        "metrics.json",
    ]


def test_reports_show_the_reason(inputs: ModelInputs) -> None:
    blocked = _no_consent(inputs)
    outputs = []
    for name, entry in ENTRIES.items():
        result = stage.fit_entry(name, entry, blocked)
        outputs.append(
            research.ModelOutput(
                name=name,
                family=str(entry["family"]),
                model=str(entry["model"]),
                metrics=result.metrics,
                coefficients=result.coefficients,
            )
        )
    heads = headline.model_headlines(outputs)
    assert heads["cox"]["estimable"] is False
    assert heads["cox"]["reason"].startswith("no events among 0")
    responses = {f"response_{i}": "none" for i in research.INSTRUMENTS}
    document = research.build_document(
        research.Inputs(
            trajectories=blocked.trajectories.assign(**responses),
            scores=blocked.scores,
            models=outputs,
            entries=ENTRIES,
        )
    )
    texts = "\n".join(str(getattr(b, "text", "")) for b in document.blocks)
    for name in ENTRIES:
        reason = next(o.metrics["reason"] for o in outputs if o.name == name)
        assert f"not estimable: {reason}" in texts
