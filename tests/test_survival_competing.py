"""Competing risks: analysis sets, the two models, and recovery on simulated data.

Recovery: exponential cause-specific hazards give a known cumulative incidence
F_k(t) = lambda_k / lambda (1 - exp(-lambda t)); over :data:`REPETITIONS` simulated data sets
the 95% intervals of F_k at the landmarks must cover it at the nominal rate (inside a
3-standard-error binomial band), while the naive "1 - Kaplan-Meier with the other causes
censored" must miss it (the test can fail). Gray's test must hold its size under the null.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.models._simulate import simulate_inputs
from pipeline.models.base import ModelError, ModelInputs, check_fit_result
from pipeline.models.survival import _competing, _survival, _survival_fit
from pipeline.models.survival.cause_specific_cox import CauseSpecificCox
from pipeline.models.survival.cox_ph import CoxPH
from pipeline.models.survival.cumulative_incidence import CumulativeIncidenceModel

REPETITIONS = 200
N = 300
HAZARDS = {"dropout": 0.3, "regular": 0.6}  # per year
LANDMARKS = (0.5, 1.0, 2.0)


def _true_cif(cause: str, t: float) -> float:
    total = sum(HAZARDS.values())
    return HAZARDS[cause] / total * (1.0 - math.exp(-total * t))


def _simulate(rng: np.random.Generator, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    latent = np.column_stack([rng.exponential(1.0 / h, n) for h in HAZARDS.values()])
    censor = rng.uniform(0.5, 4.0, n)
    time = np.minimum(latent.min(axis=1), censor)
    names = np.asarray(list(HAZARDS), dtype=object)
    cause = np.where(latent.min(axis=1) <= censor, names[latent.argmin(axis=1)], None)
    return time, cause


def test_cif_intervals_cover_the_planted_incidence_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(20261204)
    hits = {(c, t): 0 for c in HAZARDS for t in LANDMARKS}
    naive_hits = dict.fromkeys(LANDMARKS, 0)
    for _ in range(REPETITIONS):
        time, cause = _simulate(rng)
        cif = _competing.aalen_johansen(time, cause, tuple(HAZARDS))
        for c in HAZARDS:
            at = cif.at(c, LANDMARKS)
            for i, t in enumerate(LANDMARKS):
                truth = _true_cif(c, t)
                hits[(c, t)] += int(at["ci_low"].iloc[i] <= truth <= at["ci_high"].iloc[i])
        # Naive: regular ends censor, so the estimate is 1 - Kaplan-Meier (see the next test).
        naive = np.where(cause == "dropout", "dropout", None)
        at_naive = _competing.aalen_johansen(time, naive, ("dropout",)).at("dropout", LANDMARKS)
        for i, t in enumerate(LANDMARKS):
            low, high = at_naive["ci_low"].iloc[i], at_naive["ci_high"].iloc[i]
            naive_hits[t] += int(low <= _true_cif("dropout", t) <= high)
    band = 3.0 * math.sqrt(0.95 * 0.05 / REPETITIONS)
    coverage = {k: v / REPETITIONS for k, v in hits.items()}
    print({f"{c}@{t}": f"{v:.3f}" for (c, t), v in coverage.items()})
    for key, value in coverage.items():
        assert abs(value - 0.95) <= band, (key, value)
    pooled = sum(hits.values()) / (REPETITIONS * len(hits))
    assert abs(pooled - 0.95) <= 0.02, pooled
    # 1 - KM with regular ends censored overstates drop-out: its intervals miss the truth.
    assert naive_hits[2.0] / REPETITIONS < 0.5


def test_cif_is_unbiased_and_its_standard_error_matches_the_spread() -> None:
    rng = np.random.default_rng(7)
    estimates, errors = [], []
    for _ in range(REPETITIONS):
        time, cause = _simulate(rng)
        at = _competing.aalen_johansen(time, cause, tuple(HAZARDS)).at("dropout", [1.0])
        estimates.append(at["cif"].iloc[0])
        errors.append(at["std_error"].iloc[0])
    mean, spread = float(np.mean(estimates)), float(np.std(estimates, ddof=1))
    assert abs(mean - _true_cif("dropout", 1.0)) < 3 * spread / math.sqrt(REPETITIONS)
    assert abs(float(np.mean(errors)) / spread - 1.0) < 0.15


def test_gray_test_holds_its_size_and_detects_a_difference() -> None:
    rng = np.random.default_rng(11)
    null_rejections = 0
    power_rejections = 0
    for _ in range(REPETITIONS):
        time, cause = _simulate(rng)
        group = rng.integers(0, 2, len(time)).astype(str)
        result = _competing.gray_test(time, cause, group, "dropout")
        assert result.p_value is not None
        null_rejections += int(result.p_value < 0.05)
        # Group 1: the drop-out hazard doubled -> higher incidence.
        latent_extra = rng.exponential(1.0 / HAZARDS["dropout"], len(time))
        shifted = cause.copy()
        moved = (group == "1") & (latent_extra < time)
        shifted[moved] = "dropout"
        result = _competing.gray_test(
            np.where(moved, latent_extra, time), shifted, group, "dropout"
        )
        assert result.p_value is not None
        power_rejections += int(result.p_value < 0.05)
    band = 3.0 * math.sqrt(0.05 * 0.95 / REPETITIONS)
    assert abs(null_rejections / REPETITIONS - 0.05) <= band
    assert power_rejections / REPETITIONS > 0.8


def test_one_cause_only_gives_one_minus_kaplan_meier() -> None:
    rng = np.random.default_rng(3)
    time = rng.exponential(1.0, 80).round(1)
    event = rng.random(80) < 0.7
    cif = _competing.aalen_johansen(time, np.where(event, "x", None), ("x",))
    km = _survival_fit.kaplan_meier(time, event)
    np.testing.assert_allclose(cif.table["cif"], 1.0 - km.table["survival"], atol=1e-12)
    assert cif.table["n_at_risk"].tolist() == km.table["n_at_risk"].tolist()


def test_curves_of_all_causes_and_the_survival_curve_add_up_to_one() -> None:
    rng = np.random.default_rng(5)
    time, cause = _simulate(rng, 150)
    time = np.round(time, 1)  # ties across causes and censoring
    cif = _competing.aalen_johansen(time, cause, tuple(HAZARDS))
    km = _survival_fit.kaplan_meier(time, cause != None)  # noqa: E711
    total = sum(cif.table[cif.table["cause"] == c]["cif"].to_numpy() for c in HAZARDS)
    np.testing.assert_allclose(total + km.table["survival"].to_numpy(), 1.0, atol=1e-12)


def test_gray_test_undefined_cases_say_why() -> None:
    time = np.array([1.0, 2.0, 3.0])
    cause = np.array(["a", None, "a"], dtype=object)
    assert _competing.gray_test(time, cause, ["x", "x", "x"], "a").message is not None
    assert _competing.gray_test(time, cause, ["x", "y", "x"], "b").statistic is None


# --- analysis sets and models -----------------------------------------------------------------


@pytest.fixture(scope="module")
def inputs() -> ModelInputs:
    return simulate_inputs(400, seed=5)


def _with_reasons(inputs: ModelInputs) -> ModelInputs:
    trajectories = inputs.trajectories.copy()
    ended = trajectories["end_reason"].notna().to_numpy()
    index = np.flatnonzero(ended)
    trajectories.loc[trajectories.index[index[::7]], "end_reason"] = "referred"
    trajectories.loc[trajectories.index[index[3::11]], "end_reason"] = "other"
    trajectories.loc[trajectories.index[index[5::23]], "end_reason"] = None
    return ModelInputs(inputs.scores, trajectories, inputs.seed)


def test_dropout_competing_set_gives_every_end_its_reason(inputs: ModelInputs) -> None:
    data = _with_reasons(inputs)
    spec = _survival.OutcomeSpec("dropout")
    competing = _survival.build_competing_set(data, spec)
    plain = _survival.build_dropout_set(data, _survival.resolve_export_date(data, None))
    frame = competing.frame
    pd.testing.assert_series_equal(frame["duration"], plain.frame["duration"])
    assert ((frame["cause"] == "dropout") == (plain.frame["event"] == 1)).all()
    flow = competing.flow
    assert flow["events_dropout"] == plain.flow["events_dropout"]
    assert flow["events_regular"] == plain.flow["censored_end_regular"]
    assert flow["events_referred"] == plain.flow["censored_end_referred"] > 0
    assert flow["events_other"] == plain.flow["censored_end_other"] > 0
    assert flow["events_unknown"] == plain.flow["censored_end_reason_unknown"] > 0
    assert flow["censored"] == plain.flow["censored_ongoing_at_export_date"]
    assert set(frame["cause"]) <= {*_survival.DROPOUT_CAUSES, _survival.CENSORED}


def test_improvement_competing_set(inputs: ModelInputs) -> None:
    competing = _survival.build_competing_set(inputs, _survival.OutcomeSpec("improvement"))
    plain = _survival.build_time_to_event(inputs, _survival.OutcomeSpec("improvement"))
    flow = competing.flow
    assert flow["events_improvement"] == plain.flow["events_reliable_improvement"] > 0
    assert (
        flow["events_ended_without_improvement"]
        == plain.flow["censored_ended_without_improvement"]
        > 0
    )
    assert flow["censored"] == plain.flow["censored_ongoing_without_improvement"]
    with pytest.raises(ModelError):
        _survival.build_competing_set(inputs, _survival.OutcomeSpec("reentry"))


def test_cumulative_incidence_model_outputs(inputs: ModelInputs) -> None:
    model = CumulativeIncidenceModel(outcome="dropout", groups=("comorbid_opioid", "diagnosis"))
    result = model.fit(_with_reasons(inputs))
    check_fit_result(result, "dropout_cif")
    coefficients = result.coefficients.set_index("term")
    assert "cif_at_1y[dropout][all]" in coefficients.index
    assert "cif_at_2y[regular][diagnosis=fnd]" in coefficients.index
    curves = result.tables["cif_table"]
    first = curves.groupby(["group", "level", "cause"]).head(1)
    assert (first["time"] == 0).all() and (first["cif"] == 0).all()
    # At each landmark the CIFs of every cause add up to 1 - KM of still being in treatment.
    total = sum(
        coefficients.loc[f"cif_at_1y[{c}][all]", "estimate"] for c in _survival.DROPOUT_CAUSES
    )
    frame = _survival.build_competing_set(
        _with_reasons(inputs), _survival.OutcomeSpec("dropout")
    ).frame
    km = _survival_fit.kaplan_meier(frame["duration"], frame["event"]).at([1.0])
    assert total == pytest.approx(1.0 - km["survival"].iloc[0], abs=1e-12)
    gray = result.tables["gray_test"]
    assert set(gray["group"]) == {"comorbid_opioid", "diagnosis"}
    assert len(gray) == 2 * len(_survival.DROPOUT_CAUSES)
    risk = result.tables["risk_table"]
    assert {"n_at_risk", "events_dropout", "cif_dropout"} <= set(risk.columns)
    levels = inputs.trajectories["diagnosis"].dropna().nunique()
    assert result.metrics["gray_tests"]["diagnosis"]["causes"]["dropout"]["df"] == levels - 1


def test_cause_specific_cox_equals_one_cox_per_cause(inputs: ModelInputs) -> None:
    covariates = ("comorbid_opioid", "age_at_start", "sex")
    result = CauseSpecificCox(outcome="dropout", covariates=covariates).fit(inputs)
    check_fit_result(result, "dropout_cs_cox")
    assert result.metrics["causes"] == ["dropout", "regular"]
    single = CoxPH(outcome="dropout", covariates=covariates).fit(inputs)
    ours = result.coefficients.set_index("term")
    for term in single.coefficients["term"]:
        expected = single.coefficients.set_index("term").loc[term]
        np.testing.assert_allclose(
            ours.loc[f"dropout:{term}"].to_numpy(), expected.to_numpy(), rtol=1e-10
        )
    assert set(result.tables["ph_test"]["cause"]) == {"dropout", "regular"}
    with pytest.raises(ModelError):
        CauseSpecificCox(outcome="dropout", covariates=covariates, causes=("improvement",))


def test_cause_specific_cox_recovers_planted_hazard_ratios() -> None:
    rng = np.random.default_rng(17)
    n = 3000
    x = rng.integers(0, 2, n)
    latent_a = rng.exponential(1.0 / (0.3 * np.exp(np.log(2.0) * x)))
    latent_b = rng.exponential(1.0 / (0.6 * np.exp(-0.5 * x)))
    censor = rng.uniform(0.5, 4.0, n)
    time = np.minimum(np.minimum(latent_a, latent_b), censor)
    cause = np.where(
        np.minimum(latent_a, latent_b) > censor, None, np.where(latent_a < latent_b, "a", "b")
    )
    frame = pd.DataFrame({"duration": time, "x": x, "cause": cause})
    for k, truth in (("a", np.log(2.0)), ("b", -0.5)):
        part = frame.assign(event=(frame["cause"] == k).astype(int))
        fit = _survival_fit.fit_cox(part, _survival_fit.CoxSpec(("x",)))
        row = fit.coefficients.iloc[0]
        assert row["ci_low"] <= truth <= row["ci_high"], (k, row.to_dict())
        assert abs(row["estimate"] - truth) < 3 * row["std_error"]


def test_models_reject_bad_settings() -> None:
    with pytest.raises(ModelError):
        CumulativeIncidenceModel(outcome="reentry")  # type: ignore[arg-type]
    with pytest.raises(ModelError):
        CumulativeIncidenceModel(outcome="dropout", landmarks_years=(0.0,))
    with pytest.raises(ModelError):
        CoxPH(outcome="dropout", covariates=("sex",), ph_test="old")  # type: ignore[arg-type]
    with pytest.raises(ModelError):
        CauseSpecificCox(outcome="dropout", covariates=("cause",))


def test_ph_test_option_switches_the_formula(inputs: ModelInputs) -> None:
    covariates = ("comorbid_opioid", "age_at_start", "sex", "diagnosis")
    exact = CoxPH(outcome="dropout", covariates=covariates).fit(inputs)
    old = CoxPH(outcome="dropout", covariates=covariates, ph_test="approximate").fit(inputs)
    assert exact.metrics["proportional_hazards"]["ph_test"] == "exact"
    assert old.metrics["proportional_hazards"]["ph_test"] == "approximate"
    a = exact.tables["ph_test"]["statistic"].to_numpy()
    b = old.tables["ph_test"]["statistic"].to_numpy()
    assert not np.allclose(a, b, rtol=1e-4)
    pd.testing.assert_frame_equal(exact.coefficients, old.coefficients)
