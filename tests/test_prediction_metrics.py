"""Performance measures of the prediction family against independent computations.

Calibration intercept and slope are checked by hand against statsmodels (``GLM`` with
``logit(p)`` as offset; ``Logit`` on ``logit(p)``) and, when Rscript is on the machine, against
R's ``glm`` live; the c-statistic and Brier score against scikit-learn (with weights: a
resample given as counts equals the expanded data); net benefit against ``dcurves``.
"""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.metrics import brier_score_loss, r2_score, roc_auc_score

from pipeline.models.prediction import _prediction_metrics as pm

# A small hand example: 12 predictions (with ties) and outcomes.
P_SMALL = np.array([0.05, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.8, 0.95])
Y_SMALL = np.array([0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1], dtype=float)


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    p = np.round(rng.uniform(0.02, 0.98, 400), 2)  # ties on purpose
    y = (rng.random(400) < p**1.4).astype(float)  # miscalibrated on purpose
    counts = rng.multinomial(400, np.full(400, 1 / 400)).astype(float)
    return p, y, counts


def test_calibration_intercept_and_slope_by_hand() -> None:
    lp = np.log(P_SMALL / (1 - P_SMALL))
    offset = sm.GLM(Y_SMALL, np.ones((12, 1)), family=sm.families.Binomial(), offset=lp).fit(
        tol=1e-12
    )
    logit = sm.Logit(Y_SMALL, sm.add_constant(lp)).fit(disp=0, tol=1e-12)
    intercept, slope = pm.recalibration(Y_SMALL, P_SMALL)
    assert intercept[0] == pytest.approx(offset.params[0], abs=1e-7)
    assert slope[0] == pytest.approx(logit.params[1], abs=1e-7)


def test_perfectly_calibrated_predictions_give_intercept_0_slope_1() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.95, 200_000)
    y = (rng.random(p.size) < p).astype(float)
    intercept, slope = pm.recalibration(y, p)
    assert intercept[0] == pytest.approx(0.0, abs=0.02)
    assert slope[0] == pytest.approx(1.0, abs=0.02)


def test_weighted_measures_equal_the_expanded_resample(
    sample: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    p, y, counts = sample
    rows = np.repeat(np.arange(len(p)), counts.astype(int))
    weights = np.vstack([np.ones(len(p)), counts])
    measures = pm.binary_measures(y, p, weights)
    assert measures["auc"][0] == pytest.approx(roc_auc_score(y, p))
    assert measures["auc"][1] == pytest.approx(roc_auc_score(y[rows], p[rows]))
    assert measures["brier"][1] == pytest.approx(brier_score_loss(y[rows], p[rows]))
    lp = pm.logit(p[rows])
    logit = sm.Logit(y[rows], sm.add_constant(lp)).fit(disp=0, tol=1e-12)
    assert measures["calibration_slope"][1] == pytest.approx(logit.params[1], abs=1e-6)
    offset = sm.GLM(y[rows], np.ones((len(rows), 1)), family=sm.families.Binomial(), offset=lp).fit(
        tol=1e-12
    )
    assert measures["calibration_intercept"][1] == pytest.approx(offset.params[0], abs=1e-6)
    prevalence = y[rows].mean()
    scaled = 1 - brier_score_loss(y[rows], p[rows]) / (prevalence * (1 - prevalence))
    assert measures["scaled_brier"][1] == pytest.approx(scaled)


def test_auc_is_undefined_without_both_classes() -> None:
    assert np.isnan(pm.weighted_auc(np.ones(5), np.linspace(0.1, 0.9, 5))[0])


def _pairwise_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> Fraction:
    """The c-statistic by its definition, over every event/non-event pair, in exact fractions."""
    pairs, concordant = Fraction(0), Fraction(0)
    for i in np.flatnonzero(y == 1):
        for j in np.flatnonzero(y == 0):
            weight = Fraction(int(w[i])) * Fraction(int(w[j]))
            pairs += weight
            concordant += weight * (1 if p[i] > p[j] else Fraction(1, 2) if p[i] == p[j] else 0)
    return concordant / pairs


def test_weighted_auc_is_exact_with_resampling_counts() -> None:
    # With whole-number weights every sum of the c-statistic is exact, so the result is the
    # correctly rounded quotient of the pair counts: equal to the exact fraction to the last bit.
    rng = np.random.default_rng(21)
    for _ in range(20):
        n = int(rng.integers(2, 40))
        p = np.round(rng.uniform(0, 1, n), int(rng.integers(0, 3)))  # many ties
        y = (rng.random(n) < 0.4).astype(float)
        w = pm.cluster_bootstrap_weights(rng.integers(0, n, n), 5, rng)
        auc = pm.weighted_auc(y, p, w)
        for row, value in zip(w, auc, strict=True):
            events, non_events = row[y == 1].sum(), row[y == 0].sum()
            if events == 0 or non_events == 0:
                assert np.isnan(value)
            else:
                assert value == float(_pairwise_auc(y, p, row))


def test_weighted_auc_matches_scikit_learn_on_resamples(
    sample: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    p, y, _ = sample
    rng = np.random.default_rng(8)
    w = pm.cluster_bootstrap_weights(np.arange(len(p)) // 2, 30, rng)
    expected = [roc_auc_score(y, p, sample_weight=row) for row in w]
    np.testing.assert_allclose(pm.weighted_auc(y, p, w), expected, rtol=0, atol=1e-12)


def test_weighted_auc_refuses_an_outcome_that_is_not_0_1() -> None:
    with pytest.raises(ValueError, match="0/1"):
        pm.weighted_auc(np.array([0.0, 0.5, 1.0]), np.array([0.1, 0.2, 0.3]))


def test_net_benefit_matches_dcurves(sample: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    p, y, _ = sample
    thresholds = np.round(np.arange(0.05, 0.81, 0.05), 2)
    table = pm.decision_curve(y, [p], thresholds)
    ours = pm.net_benefit(y, p, thresholds)[0]
    np.testing.assert_allclose(table["net_benefit_model"], ours, atol=1e-12)
    prevalence = y.mean()
    treat_all = prevalence - (1 - prevalence) * thresholds / (1 - thresholds)
    np.testing.assert_allclose(table["net_benefit_all"], treat_all, atol=1e-12)
    assert (table["net_benefit_none"] == 0).all()


def test_continuous_measures_by_hand() -> None:
    rng = np.random.default_rng(5)
    pred = rng.normal(size=300)
    y = 0.5 + 0.8 * pred + rng.normal(size=300)
    measures = pm.continuous_measures(y, pred)
    assert measures["r2"][0] == pytest.approx(r2_score(y, pred))
    assert measures["rmse"][0] == pytest.approx(np.sqrt(np.mean((y - pred) ** 2)))
    assert measures["mae"][0] == pytest.approx(np.mean(np.abs(y - pred)))
    assert measures["calibration_in_the_large"][0] == pytest.approx(np.mean(y - pred))
    ols = sm.OLS(y, sm.add_constant(pred)).fit()
    assert measures["calibration_slope"][0] == pytest.approx(ols.params[1])


def test_cluster_bootstrap_keeps_clients_whole() -> None:
    clients = np.array(["a", "a", "b", "c", "c", "c"])
    weights = pm.cluster_bootstrap_weights(clients, 50, np.random.default_rng(1))
    assert weights.shape == (50, 6)
    assert (weights[:, 0] == weights[:, 1]).all()
    assert (weights[:, 3] == weights[:, 5]).all()
    # Three clients drawn per resample.
    per_client = weights[:, [0, 2, 3]]
    assert (per_client.sum(axis=1) == 3).all()


def test_percentile_interval_is_undefined_when_too_many_draws_are() -> None:
    draws = np.r_[np.arange(100.0), np.full(20, np.nan)]
    low, high = pm.percentile_interval(draws, 0.95, max_undefined=0.1)
    assert np.isnan(low) and np.isnan(high)
    low, high = pm.percentile_interval(draws[:100], 0.95)
    assert low == pytest.approx(2.475) and high == pytest.approx(96.525)


def test_calibration_bins_use_wilson_intervals() -> None:
    y = np.r_[np.zeros(8), np.ones(2)]
    table = pm.calibration_bins(y, np.linspace(0.1, 0.9, 10), "binary", bins=1, level=0.95)
    row = table.iloc[0]
    assert row["n"] == 10 and row["observed"] == pytest.approx(0.2)
    # Wilson 95% interval of 2/10 (as R's prop.test without continuity correction).
    assert row["ci_low"] == pytest.approx(0.05668, abs=1e-4)
    assert row["ci_high"] == pytest.approx(0.50984, abs=1e-4)


R_CALIBRATION = """
p <- c({p}); y <- c({y})
a <- coef(glm(y ~ 1, offset = qlogis(p), family = binomial))[[1]]
b <- coef(glm(y ~ qlogis(p), family = binomial))[[2]]
cat(sprintf("%.10f %.10f", a, b))
"""


@pytest.mark.against_r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not on the PATH")
def test_calibration_against_r_glm(tmp_path: Path) -> None:
    script = tmp_path / "calibration.R"
    script.write_text(
        R_CALIBRATION.format(
            p=", ".join(map(str, P_SMALL)), y=", ".join(str(int(v)) for v in Y_SMALL)
        ),
        encoding="utf-8",
    )
    out = subprocess.run(
        ["Rscript", str(script)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    a, b = (float(v) for v in out.split())
    intercept, slope = pm.recalibration(Y_SMALL, P_SMALL)
    assert intercept[0] == pytest.approx(a, abs=1e-6)
    assert slope[0] == pytest.approx(b, abs=1e-6)


def test_smooth_calibration_of_a_calibrated_model_follows_the_diagonal() -> None:
    rng = np.random.default_rng(8)
    p = rng.uniform(0.1, 0.9, 5000)
    y = (rng.random(p.size) < p).astype(float)
    grid = pm.calibration_grid(p)
    curve = pm.smooth_calibration(y, p, grid)
    np.testing.assert_allclose(curve, grid, atol=0.05)
    assert isinstance(pd.Series(curve).mean(), float)
