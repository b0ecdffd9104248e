"""Variance-component inference and lme4's checks: recovery by simulation, flags.

Recovery: 30 data sets with planted variance components (80 groups of 4 measurements, a
random intercept; sd 2.0, sigma 1.5, ICC 0.64); the 95% profile intervals (ML, as lme4's
``confint``) of sd(Intercept), sigma and the ICC each cover the planted value at least 24 times
(the expected count is 28.5; fewer than 24 has probability below 0.5% when coverage is 95%).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pipeline.models.mixed import _lmm, _lmm_inference, _mixed

SD0, SIGMA = 2.0, 1.5
ICC = SD0**2 / (SD0**2 + SIGMA**2)


def _simulate(seed: int, m: int = 80, k: int = 4, sd1: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(m), k)
    years = np.tile(np.arange(k) / 2.0, m)
    b0 = SD0 * rng.standard_normal(m)
    b1 = sd1 * rng.standard_normal(m)
    y = 10.0 - years + b0[group] + b1[group] * years + SIGMA * rng.standard_normal(m * k)
    return pd.DataFrame({"g": [f"g{i:03d}" for i in group], "years": years, "y": y})


def _spec(re_formula: str = "~1", **changes: object) -> _mixed.MixedSpec:
    spec = _mixed.MixedSpec(
        formula="y ~ years",
        re_formula=re_formula,
        groups="g",
        reference_levels={},
        lrt_blocks={},
        engine="profiled",
        ci_level=0.95,
    )
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def test_profile_intervals_cover_planted_variance_components() -> None:
    covered = {"sd(Intercept)": 0, "sigma": 0, "icc": 0}
    truth = {"sd(Intercept)": SD0, "sigma": SIGMA, "icc": ICC}
    reps = 30
    for seed in range(reps):
        frame = _simulate(500 + seed)
        x = np.c_[np.ones(len(frame)), frame["years"]]
        problem = _lmm.prepare(frame["y"].to_numpy(), x, x[:, :1], frame["g"].to_numpy())
        fitted = _lmm.fit(problem, reml=False)
        intervals = _lmm_inference.profile_intervals(problem, fitted, ["Intercept"], 0.95, True)
        for name, value in truth.items():
            interval = intervals[name]
            assert interval.method == "profile"
            covered[name] += int(interval.lower <= value <= interval.upper)
    assert min(covered.values()) >= 24, covered


def test_nobs_not_above_n_random_effects_marks_the_fit_not_identifiable() -> None:
    """Two measurements per group and a random intercept and slope: n = nRE (lme4 stops)."""
    frame = _simulate(1, m=60, k=2, sd1=0.5)
    result = _mixed.fit_mixed(frame, _spec("~years"))
    metrics = result.metrics
    assert metrics["checks"]["n_observations"] == 120
    assert metrics["checks"]["n_random_effects"] == 120
    assert metrics["identifiable"] is False
    assert metrics["usable"] is False
    assert any("not identifiable" in reason for reason in metrics["unusable_reasons"])
    assert any("number of random effects" in w for w in metrics["warnings"])


def test_unidentifiable_design_is_refitted_with_a_random_intercept_when_asked() -> None:
    frame = _simulate(1, m=60, k=2, sd1=0.5)
    result = _mixed.fit_mixed(frame, _spec("~years", on_unidentifiable="refit_without_slope"))
    metrics = result.metrics
    assert (
        metrics["refitted_without"] == ["years"] and metrics["refit_reason"] == "not identifiable"
    )
    assert metrics["re_formula_requested"] == "~years"
    assert metrics["identifiable"] is True and metrics["usable"] is True
    assert metrics["checks"]["n_random_effects"] == 60
    assert "var(years)" not in set(result.coefficients["term"])
    assert "on_unidentifiable: refit_without_slope" in metrics["warnings"][0]
    # The same fit as asking for a random intercept in the first place.
    direct = _mixed.fit_mixed(frame, _spec("~1"))
    assert np.allclose(result.coefficients["estimate"], direct.coefficients["estimate"])


def test_fixed_effect_covariance_table_matches_the_standard_errors() -> None:
    frame = _simulate(2, m=40, k=4)
    result = _mixed.fit_mixed(frame, _spec("~1", variance_ci="none"))
    cov = result.tables[_mixed.COVARIANCE_TABLE]
    terms = list(result.metrics["fixed_effects"])
    assert list(cov["term"]) == terms and list(cov.columns[1:]) == terms
    matrix = cov[terms].to_numpy()
    assert np.allclose(matrix, matrix.T)
    se = result.coefficients.set_index("term").loc[terms, "std_error"].to_numpy()
    assert np.allclose(np.sqrt(np.diag(matrix)), se)


def test_singular_fit_is_flagged_unusable_or_refitted() -> None:
    """No slope variance planted and a fit that estimates it as 0: singular, not usable."""
    seed = next(
        s
        for s in range(40)
        if _mixed.fit_design(
            _mixed.build_design(_simulate(s, m=40, k=4), _spec("~years")), "profiled", True
        ).singular
    )
    frame = _simulate(seed, m=40, k=4)
    reported = _mixed.fit_mixed(frame, _spec("~years"))
    assert reported.metrics["singular"] is True
    assert reported.metrics["checks"]["singular"] is True
    assert reported.metrics["usable"] is False
    assert "singular (boundary) fit" in reported.metrics["unusable_reasons"]
    refitted = _mixed.fit_mixed(frame, _spec("~years", on_singular="refit_without_slope"))
    assert refitted.metrics["refitted_without"] == ["years"]
    assert refitted.metrics["singular"] is False
    assert refitted.metrics["usable"] is True
    assert "var(years)" not in set(refitted.coefficients["term"])
    assert any("refitted with a random intercept only" in w for w in refitted.metrics["warnings"])


def test_satterthwaite_df_of_a_balanced_random_intercept_design() -> None:
    """Balanced random intercept, a between-group covariate: its df is m - 2 exactly (the
    Satterthwaite df of a balanced one-way design equals the ANOVA df)."""
    frame = _simulate(3, m=30, k=4)
    frame["w"] = np.repeat(np.arange(30) % 2, 4).astype(float)
    result = _mixed.fit_mixed(frame, _spec(formula="y ~ w", variance_ci="none"))
    assert result.metrics["fixed_effects"]["w"]["df"] == pytest.approx(28.0, rel=1e-5)
