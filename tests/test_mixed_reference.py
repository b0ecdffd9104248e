"""The mixed models against lme4 (reference values from tests/reference/lmer_reference.R).

The CSVs next to the R script are written by ``make r-reference`` (never by hand): lme4's
``sleepstudy`` and a fixed ROM-like analysis set (``rom_like.csv``, from make_rom_like.py).
Fixed effects, their standard errors and the variance components must agree with ``lmer`` to
1e-4 relative. With Rscript on the machine, the ``against_r`` test reruns R live.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.models.base import FitResult
from pipeline.models.mixed import _mixed

REFERENCE = Path(__file__).resolve().parent / "reference"
RTOL = 1e-4
ROM_LIKE_FORMULA = (
    "ssd12_total ~ years * (comorbid_asd + comorbid_ptsd + comorbid_depression)"
    " + age_at_start + sex + diagnosis"
)


def _spec(formula: str, re_formula: str, groups: str, engine: str = "profiled") -> _mixed.MixedSpec:
    return _mixed.MixedSpec(
        formula=formula,
        re_formula=re_formula,
        groups=groups,
        reference_levels={"sex": "f", "diagnosis": "ssd"},
        lrt_blocks={"comorbidity_x_time": ("years:comorbid_*",)} if "years" in formula else {},
        engine=engine,  # type: ignore[arg-type]
        ci_level=0.95,
    )


SLEEP_SPEC = _spec("Reaction ~ Days", "~Days", "Subject")
ROM_SPEC = _spec(ROM_LIKE_FORMULA, "~years", "trajectory_key")


def _sleepstudy() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "sleepstudy.csv", dtype={"Subject": str})


def _rom_like() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "rom_like.csv")


def _reference(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def _compare(result: FitResult, reference: pd.DataFrame, rtol: float = RTOL) -> dict[str, float]:
    """Largest relative differences per quantity; asserts each is within ``rtol``."""
    coefficients = result.coefficients.set_index("term")
    worst: dict[str, float] = {}
    for quantity, column in (
        ("estimate", "estimate"),
        ("std_error", "std_error"),
        ("variance", "estimate"),
    ):
        expected = reference[reference["quantity"] == quantity].set_index("term")["value"]
        assert set(expected.index) <= set(coefficients.index), quantity
        got = coefficients.loc[expected.index, column].to_numpy()
        np.testing.assert_allclose(got, expected.to_numpy(), rtol=rtol, err_msg=quantity)
        worst[quantity] = float(np.max(np.abs(got - expected.to_numpy()) / np.abs(expected)))
    return worst


def test_sleepstudy_matches_lmer() -> None:
    result = _mixed.fit_mixed(_sleepstudy(), SLEEP_SPEC)
    _compare(result, _reference(REFERENCE / "lmer_sleepstudy.csv"))
    assert result.metrics["converged"] is True
    assert result.metrics["n_trajectories"] == 18
    assert result.metrics["n_measurements"] == 180


def test_sleepstudy_matches_the_published_values() -> None:
    """docs/methods.md: 251.405105 and 10.467286, SEs 6.825 and 1.546, variances 612.10, 35.07,
    654.94, correlation 0.07 (lme4's printed, rounded output)."""
    result = _mixed.fit_mixed(_sleepstudy(), SLEEP_SPEC)
    est = result.coefficients.set_index("term")
    np.testing.assert_allclose(est.loc[["Intercept", "Days"], "estimate"], [251.405105, 10.467286])
    np.testing.assert_allclose(
        est.loc[["Intercept", "Days"], "std_error"], [6.825, 1.546], atol=5e-4
    )
    variances = est.loc[["var(Intercept)", "var(Days)", "var(residual)"], "estimate"]
    np.testing.assert_allclose(variances, [612.10, 35.07, 654.94], rtol=1e-4)
    correlation = result.metrics["random_effects_correlation"]["cor(Intercept,Days)"]
    assert round(correlation, 2) == 0.07


def test_rom_like_matches_lmer_fixed_effects_ses_and_variances() -> None:
    reference = _reference(REFERENCE / "lmer_rom_like.csv")
    result = _mixed.fit_mixed(_rom_like(), ROM_SPEC)
    _compare(result, reference)
    # The same terms: the R script fits the same formula.
    fixed = set(reference.loc[reference["quantity"] == "estimate", "term"])
    assert fixed == set(result.metrics["fixed_effects"])
    stats = reference[reference["quantity"] == "statistic"].set_index("term")["value"]
    assert result.metrics["n_measurements"] == stats["n_measurements"]
    assert result.metrics["n_trajectories"] == stats["n_groups"]
    np.testing.assert_allclose(result.metrics["reml_criterion"], stats["reml_criterion"], rtol=1e-9)
    correlation = reference[reference["quantity"] == "correlation"]["value"].iloc[0]
    np.testing.assert_allclose(
        result.metrics["random_effects_correlation"]["cor(Intercept,years)"], correlation, rtol=RTOL
    )


def test_rom_like_likelihood_ratio_test_matches_lmer_anova() -> None:
    reference = _reference(REFERENCE / "lmer_rom_like.csv")
    stats = reference[reference["quantity"] == "statistic"].set_index("term")["value"]
    lrt = _mixed.fit_mixed(_rom_like(), ROM_SPEC).metrics["likelihood_ratio_tests"]
    block = lrt["comorbidity_x_time"]
    assert block["df"] == stats["lrt_df"] == 3
    np.testing.assert_allclose(block["loglik_full_ml"], stats["loglik_full_ml"], rtol=1e-9)
    np.testing.assert_allclose(block["loglik_reduced_ml"], stats["loglik_reduced_ml"], rtol=1e-9)
    np.testing.assert_allclose(block["chi2"], stats["lrt_chi2"], rtol=1e-5)


def test_statsmodels_engine_agrees_with_the_fast_engine() -> None:
    """statsmodels MixedLM stays the reference implementation.

    Estimates agree closely. Standard errors agree less closely by design: statsmodels inverts
    the joint observed information of fixed effects and covariance parameters, lme4 and the
    fast engine use ``sigma^2 (X'V^-1X)^-1`` (conditional on the covariance parameters).
    """
    frame = _rom_like()
    fast = _mixed.fit_mixed(frame, ROM_SPEC).coefficients.set_index("term")
    slow_spec = _spec(ROM_LIKE_FORMULA, "~years", "trajectory_key", engine="statsmodels")
    slow_spec = _mixed.MixedSpec(**{**slow_spec.__dict__, "lrt_blocks": {}})
    slow = _mixed.fit_mixed(frame, slow_spec)
    assert slow.metrics["converged"] is True
    reference = slow.coefficients.set_index("term")
    fixed = [t for t in reference.index if not t.startswith(("var(", "cov("))]
    np.testing.assert_allclose(
        fast.loc[fixed, "estimate"], reference.loc[fixed, "estimate"], rtol=1e-3, atol=1e-4
    )
    np.testing.assert_allclose(
        fast.loc[fixed, "std_error"], reference.loc[fixed, "std_error"], rtol=2e-2
    )
    components = [t for t in reference.index if t.startswith(("var(", "cov("))]
    np.testing.assert_allclose(
        fast.loc[components, "estimate"], reference.loc[components, "estimate"], rtol=1e-3
    )


@pytest.mark.against_r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not on the PATH")
def test_live_against_lmer(tmp_path: Path) -> None:
    completed = subprocess.run(
        ["Rscript", str(REFERENCE / "lmer_reference.R"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0 and "lme4" in completed.stderr:
        pytest.skip("R is present but lme4 is not installed")
    assert completed.returncode == 0, completed.stderr[-2000:]
    sleep = pd.read_csv(tmp_path / "sleepstudy.csv", dtype={"Subject": str})
    _compare(_mixed.fit_mixed(sleep, SLEEP_SPEC), _reference(tmp_path / "lmer_sleepstudy.csv"))
    _compare(_mixed.fit_mixed(_rom_like(), ROM_SPEC), _reference(tmp_path / "lmer_rom_like.csv"))
    # The checked-in references are what R writes today.
    for name in ("lmer_sleepstudy.csv", "lmer_rom_like.csv"):
        live = _reference(tmp_path / name)
        stored = _reference(REFERENCE / name)
        pd.testing.assert_frame_equal(live[["quantity", "term"]], stored[["quantity", "term"]])
        np.testing.assert_allclose(live["value"], stored["value"], rtol=1e-6)
