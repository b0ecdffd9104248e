"""Satterthwaite tests and profile intervals against lmerTest and lme4 (lmertest_reference.R).

The CSVs are written by ``make r-reference`` (never by hand). Tolerances: Satterthwaite df
1e-4 relative (lmerTest's numDeriv derivatives and lme4's optimum differ from ours in the 5th
digit), t values 1e-4, p-values 1e-3 relative; profile limits 1e-4 relative (lme4 interpolates
its profile by splines, ours is root-found), or 1e-5 absolute (a correlation limit near 0). With Rscript on the machine, the ``against_r``
test reruns R live.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_mixed_reference import ROM_SPEC, SLEEP_SPEC, _rom_like, _sleepstudy

from pipeline.models.base import FitResult
from pipeline.models.mixed import _mixed

REFERENCE = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="module")
def sleep_fit() -> FitResult:
    return _mixed.fit_mixed(_sleepstudy(), SLEEP_SPEC)


@pytest.fixture(scope="module")
def rom_fit() -> FitResult:
    return _mixed.fit_mixed(_rom_like(), ROM_SPEC)


def _values(reference: pd.DataFrame, quantity: str) -> pd.Series:
    return reference[reference["quantity"] == quantity].set_index("term")["value"]


def compare(result: FitResult, reference: pd.DataFrame) -> dict[str, float]:
    """Largest relative differences per quantity; asserts each is within its tolerance."""
    metrics = result.metrics
    fixed = metrics["fixed_effects"]
    worst: dict[str, float] = {}

    def check(
        name: str, got: list[float], expected: pd.Series, rtol: float, atol: float = 0.0
    ) -> None:
        want = expected.to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=name)
        worst[name] = float(np.max(np.abs(np.asarray(got) - want) / np.abs(want)))

    df = _values(reference, "satterthwaite_df")
    check("satterthwaite_df", [fixed[t]["df"] for t in df.index], df, 1e-4)
    t_value = _values(reference, "t_value")
    check("t_value", [fixed[t]["statistic"] for t in t_value.index], t_value, 1e-4)
    p_value = _values(reference, "p_value")
    check("p_value", [fixed[t]["p_value"] for t in p_value.index], p_value, 1e-3)
    profile = metrics["variance_components_inference"]["profile"]
    for side, key in (("profile_low", "ci_low"), ("profile_high", "ci_high")):
        limits = _values(reference, side)
        check(side, [profile[t][key] for t in limits.index], limits, 1e-4, atol=1e-5)
    icc = metrics["icc"]
    icc_ref = [
        _values(reference, "icc_profile_low")["icc"],
        _values(reference, "icc_profile_high")["icc"],
    ]
    check("icc_profile", [icc["ci_low"], icc["ci_high"]], pd.Series(icc_ref), 1e-4)
    if "f_value" in set(reference["quantity"]):
        f_test = metrics["likelihood_ratio_tests"]["comorbidity_x_time"]["f_test"]
        assert f_test["num_df"] == _values(reference, "f_num_df").iloc[0]
        check("f_value", [f_test["f"]], _values(reference, "f_value"), 1e-4)
        check("f_den_df", [f_test["den_df"]], _values(reference, "f_den_df"), 1e-4)
        check("f_p_value", [f_test["p_value"]], _values(reference, "f_p_value"), 1e-3)
    return worst


def test_sleepstudy_matches_lmertest_and_lme4_profile(sleep_fit: FitResult) -> None:
    compare(sleep_fit, pd.read_csv(REFERENCE / "lmertest_sleepstudy.csv"))


def test_rom_like_matches_lmertest_and_lme4_profile(rom_fit: FitResult) -> None:
    compare(rom_fit, pd.read_csv(REFERENCE / "lmertest_rom_like.csv"))


def test_coefficients_carry_variance_component_intervals(rom_fit: FitResult) -> None:
    table = rom_fit.coefficients.set_index("term")
    components = [t for t in table.index if t.startswith(("var(", "cov("))]
    assert components
    for term in components:
        row = table.loc[term]
        assert row["std_error"] > 0, term
        assert row["ci_low"] < row["estimate"] < row["ci_high"], term
    profile = rom_fit.metrics["variance_components_inference"]["profile"]
    # Variance limits are the squared SD limits of the profile.
    np.testing.assert_allclose(
        table.loc["var(Intercept)", ["ci_low", "ci_high"]].to_numpy(dtype=float),
        np.square([profile["sd(Intercept)"]["ci_low"], profile["sd(Intercept)"]["ci_high"]]),
    )
    assert rom_fit.metrics["icc"]["ci_low"] < rom_fit.metrics["icc"]["value"]
    assert rom_fit.metrics["icc"]["value"] < rom_fit.metrics["icc"]["ci_high"]


@pytest.mark.against_r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not on the PATH")
def test_live_against_lmertest(tmp_path: Path, sleep_fit: FitResult, rom_fit: FitResult) -> None:
    completed = subprocess.run(
        ["Rscript", str(REFERENCE / "lmertest_reference.R"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if completed.returncode != 0 and "lmerTest" in completed.stderr:
        pytest.skip("R is present but lmerTest is not installed")
    assert completed.returncode == 0, completed.stderr[-2000:]
    compare(sleep_fit, pd.read_csv(tmp_path / "lmertest_sleepstudy.csv"))
    compare(rom_fit, pd.read_csv(tmp_path / "lmertest_rom_like.csv"))
    for name in ("lmertest_sleepstudy.csv", "lmertest_rom_like.csv"):
        live = pd.read_csv(tmp_path / name)
        stored = pd.read_csv(REFERENCE / name)
        pd.testing.assert_frame_equal(live[["quantity", "term"]], stored[["quantity", "term"]])
        np.testing.assert_allclose(live["value"], stored["value"], rtol=1e-6)
