"""The fast mixed-model engine: gradient, parameter recovery, coverage, convergence reporting."""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np
import pandas as pd
import pytest

from pipeline.models._simulate import DEFAULT_EFFECTS, OutcomeTruth, simulate_inputs
from pipeline.models.base import ModelError
from pipeline.models.mixed import _lmm, _mixed

FORMULA = (
    "ssd12_total ~ years * (comorbid_asd + comorbid_ptsd + comorbid_depression)"
    " + age_at_start + sex + diagnosis"
)


def _spec(
    formula: str = FORMULA, re_formula: str = "~years", **changes: object
) -> _mixed.MixedSpec:
    spec = _mixed.MixedSpec(
        formula=formula,
        re_formula=re_formula,
        groups="trajectory_key",
        reference_levels={"sex": "f", "diagnosis": "ssd"},
        lrt_blocks={},
        engine="profiled",
        ci_level=0.95,
    )
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def _frame(n: int, seed: int, effects: object = DEFAULT_EFFECTS) -> pd.DataFrame:
    inputs = simulate_inputs(n, seed=seed, effects=effects)  # type: ignore[arg-type]
    return _mixed.build_mixed_analysis_set(inputs, "ssd12_total").frame


@pytest.fixture(scope="module")
def problem() -> _lmm.LMMProblem:
    design = _mixed.build_design(_frame(150, seed=3), _spec())
    return _lmm.prepare(design.y, design.x, design.z, design.groups)


@pytest.mark.parametrize("reml", [True, False])
def test_analytic_gradient_matches_finite_differences(problem: _lmm.LMMProblem, reml: bool) -> None:
    theta = np.array([0.9, -0.2, 0.4])
    grad = _lmm.profiled_gradient(problem, theta, reml)
    step = 1e-5
    numeric = [
        (
            _lmm.profiled_deviance(problem, theta + step * e, reml)
            - _lmm.profiled_deviance(problem, theta - step * e, reml)
        )
        / (2 * step)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4)


def test_theta_round_trip() -> None:
    cov = np.array([[36.0, -3.6], [-3.6, 9.0]])
    theta = _lmm.theta_from_cov(cov, 16.0)
    lam = _lmm.lambda_from_theta(theta, 2)
    np.testing.assert_allclose(16.0 * lam @ lam.T, cov)


def test_profiled_criterion_equals_the_marginal_likelihood(problem: _lmm.LMMProblem) -> None:
    """At the optimum, -2 log L from the dense marginal model N(X beta, sigma^2 V) agrees."""
    design = _mixed.build_design(_frame(150, seed=3), _spec())
    fit = _lmm.fit(problem, reml=False)
    resid = design.y - design.x @ fit.beta
    total = 0.0
    for group in np.unique(design.groups):
        rows = design.groups == group
        z = design.z[rows]
        v = z @ fit.cov_re @ z.T + fit.sigma2 * np.eye(rows.sum())
        sign, logdet = np.linalg.slogdet(v)
        total += logdet + resid[rows] @ np.linalg.solve(v, resid[rows])
    total += len(design.y) * np.log(2 * np.pi)
    np.testing.assert_allclose(fit.deviance, total, rtol=1e-10)


def test_recovers_the_planted_autism_by_time_effect() -> None:
    """Simulated directly from a known LMM: the truth lies inside the 95% CIs."""
    truth = DEFAULT_EFFECTS["ssd12_total"]
    result = _mixed.fit_mixed(_frame(1500, seed=11), _spec())
    assert result.metrics["converged"] is True
    table = result.coefficients.set_index("term")
    planted = {
        "years:comorbid_asd": truth.by_time["comorbid_asd"],
        "years:comorbid_ptsd": truth.by_time["comorbid_ptsd"],
        "years:comorbid_depression": 0.0,
        "years": truth.time,
        "comorbid_asd": truth.main["comorbid_asd"],
        "comorbid_depression": truth.main["comorbid_depression"],
        "age_at_start": truth.main["age_at_start"],
        "Intercept": truth.intercept - 40.0 * truth.main["age_at_start"],
        "sex[T.m]": 0.0,
        "diagnosis[T.fnd]": 0.0,
    }
    for term, value in planted.items():
        row = table.loc[term]
        assert row["ci_low"] <= value <= row["ci_high"], (term, value, row.to_dict())
    estimates = dict(zip(result.coefficients["term"], result.coefficients["estimate"], strict=True))
    # Variance components have no CI here: within 25% (variances) and 0.2 (correlation).
    variances = {
        "var(Intercept)": truth.sd_intercept**2,
        "var(years)": truth.sd_slope**2,
        "var(residual)": truth.sd_residual**2,
    }
    for term, value in variances.items():
        assert abs(estimates[term] / value - 1.0) <= 0.25, term
    correlation = result.metrics["random_effects_correlation"]["cor(Intercept,years)"]
    assert abs(correlation - truth.correlation) <= 0.2


def test_confidence_intervals_cover_at_about_the_nominal_rate() -> None:
    """30 replicates: the 95% CI of the autism x time effect covers the truth >= 26 times."""
    truth = DEFAULT_EFFECTS["ssd12_total"].by_time["comorbid_asd"]
    spec = _spec("ssd12_total ~ years * (comorbid_asd + comorbid_ptsd) + comorbid_depression")
    covered = 0
    for seed in range(30):
        design = _mixed.build_design(_frame(250, seed=1000 + seed), spec)
        fitted = _mixed.fit_design(design, "profiled", reml=True)
        table = _mixed.coefficient_table(design, fitted, 0.95)
        row = table[table["term"] == "years:comorbid_asd"].iloc[0]
        covered += int(float(row["ci_low"]) <= truth <= float(row["ci_high"]))
    assert covered >= 26


def test_random_intercept_only_matches_statsmodels() -> None:
    frame = _frame(120, seed=5)
    spec = _spec("ssd12_total ~ years + comorbid_asd", re_formula="~1")
    fast = _mixed.fit_mixed(frame, spec)
    slow = _mixed.fit_mixed(frame, dataclasses.replace(spec, engine="statsmodels"))
    assert list(fast.coefficients["term"]) == [
        "Intercept",
        "years",
        "comorbid_asd",
        "var(Intercept)",
        "var(residual)",
    ]
    np.testing.assert_allclose(
        fast.coefficients["estimate"], slow.coefficients["estimate"], rtol=1e-4
    )
    assert fast.metrics["random_effects_correlation"] == {}


def test_boundary_fit_is_reported() -> None:
    """No slope variance planted: the fit is singular and says so, and stays a valid REML fit."""
    flat = dataclasses.replace(DEFAULT_EFFECTS["ssd12_total"], sd_slope=0.0, correlation=0.0)
    effects = {"ssd12_total": flat}
    frame = _frame(150, seed=8, effects=effects)
    result = _mixed.fit_mixed(frame, _spec("ssd12_total ~ years"))
    estimates = dict(zip(result.coefficients["term"], result.coefficients["estimate"], strict=True))
    if estimates["var(years)"] < 1e-6:
        assert any("boundary (singular) fit" in w for w in result.metrics["warnings"])
    else:  # the sample happened to estimate a positive slope variance
        assert result.metrics["converged"] is True


def test_non_convergence_is_reported_and_marks_the_fit_unusable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = _frame(150, seed=3)
    monkeypatch.setattr(_mixed._lmm, "fit", partial(_lmm.fit, max_iterations=1))
    result = _mixed.fit_mixed(frame, _spec())
    assert result.metrics["converged"] is False
    assert result.metrics["usable"] is False
    assert any("L-BFGS-B" in w or "gradient" in w for w in result.metrics["warnings"])


def test_rank_deficient_design_drops_aliased_columns_as_lme4_does() -> None:
    frame = _frame(80, seed=2).assign(comorbid_opioid=0.0)
    spec = _spec("ssd12_total ~ years * comorbid_opioid", lrt_blocks={"b": ("years",)})
    result = _mixed.fit_mixed(frame, spec)
    assert result.metrics["fixed_effects_dropped"] == ["comorbid_opioid", "years:comorbid_opioid"]
    assert (
        "dropping 2 column(s): comorbid_opioid, years:comorbid_opioid"
        in (result.metrics["warnings"][0])
    )
    assert "comorbid_opioid" not in set(result.coefficients["term"])
    # The same estimates as the model without the aliased columns.
    plain = _mixed.fit_mixed(frame, _spec("ssd12_total ~ years", lrt_blocks={"b": ("years",)}))
    np.testing.assert_allclose(
        result.coefficients["estimate"], plain.coefficients["estimate"], rtol=1e-8
    )
    assert result.metrics["likelihood_ratio_tests"]["b"]["df"] == 1


def test_lrt_pattern_must_match_a_term() -> None:
    spec = _spec(lrt_blocks={"b": ("years:cfs",)})
    with pytest.raises(ModelError, match="'years:cfs' matches no term"):
        _mixed.fit_mixed(_frame(80, seed=2), spec)


def test_engine_is_deterministic() -> None:
    frame = _frame(100, seed=4)
    first = _mixed.fit_mixed(frame, _spec())
    second = _mixed.fit_mixed(frame.sample(frac=1.0, random_state=1), _spec())
    # Row order of the analysis set does not change the estimates.
    np.testing.assert_allclose(
        first.coefficients["estimate"], second.coefficients["estimate"], rtol=1e-7
    )


def test_outcome_truth_defaults_are_consistent() -> None:
    truth = OutcomeTruth(intercept=0.0, time=0.0)
    assert truth.sd_residual > 0 and truth.main == {}
