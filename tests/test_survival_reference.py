"""The survival estimators against R's survival package (tests/reference/survival_reference.R).

The CSVs next to the R script are written by ``make r-reference-survival`` (never by hand): a
fixed synthetic drop-out set with many tied times (``survival_synthetic.csv``, from
survival_make_synthetic.py) and survival's ``lung`` and ``veteran`` data. Cox coefficients,
standard errors, intervals, p-values, log-likelihoods, concordance and the proportional-hazards
tests (``ph_test`` exact: R's cox.zph of survival >= 3.0, to 1e-6; approximate: the 1994
formula); Kaplan-Meier tables (numbers at risk, events, censored, S, Greenwood SE, log-log CI),
medians with their intervals, landmark estimates; and log-rank tests must agree to 1e-4. With
Rscript on the machine, the ``against_r`` test reruns R live.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.models.survival import _survival_fit
from pipeline.models.survival.kaplan_meier import _labels

REFERENCE = Path(__file__).resolve().parent / "reference"
RTOL = 1e-4
ATOL = 1e-4


@dataclass(frozen=True)
class Dataset:
    file: str
    time: str
    covariates: tuple[str, ...]
    reference_levels: Mapping[str, str]
    groups: tuple[str, ...]
    landmarks: tuple[float, ...]


DATASETS = {
    "synthetic": Dataset(
        "survival_synthetic.csv",
        "duration",
        ("comorbid_opioid", "comorbid_depression", "age_at_start", "sex", "diagnosis"),
        {"sex": "f", "diagnosis": "ssd"},
        ("comorbid_opioid", "diagnosis"),
        (0.5, 1.0, 2.0),
    ),
    "lung": Dataset(
        "survival_lung.csv",
        "time",
        ("age", "sex", "ph_ecog"),
        {},
        ("sex", "ph_ecog"),
        (180, 365, 730),
    ),
    "veteran": Dataset(
        "survival_veteran.csv",
        "time",
        ("trt", "celltype", "karno", "diagtime", "age", "prior"),
        {"celltype": "squamous"},
        ("celltype", "trt"),
        (30, 90, 180),
    ),
}


def _data(name: str, folder: Path = REFERENCE) -> pd.DataFrame:
    return pd.read_csv(folder / DATASETS[name].file)


def _reference(name: str, folder: Path = REFERENCE) -> pd.DataFrame:
    table = pd.read_csv(folder / "survival_r_reference.csv")
    return table[table["dataset"] == name]


def _values(reference: pd.DataFrame, quantity: str) -> pd.Series:
    part = reference[reference["quantity"] == quantity]
    return part.set_index("term")["value"].astype(float)


def _cox(
    name: str, folder: Path = REFERENCE, ph_test: _survival_fit.PHTestMethod = "exact"
) -> _survival_fit.CoxResult:
    spec = DATASETS[name]
    cox_spec = _survival_fit.CoxSpec(spec.covariates, spec.reference_levels, ph_test=ph_test)
    return _survival_fit.fit_cox(_data(name, folder), cox_spec, duration=spec.time)


def _strata(name: str, folder: Path = REFERENCE) -> Iterator[tuple[str, str, pd.DataFrame]]:
    spec = DATASETS[name]
    frame = _data(name, folder)
    yield "all", "all", frame
    for group in spec.groups:
        labels = _labels(frame[group])
        for level in sorted(set(labels.dropna())):
            yield group, level, frame[labels.eq(level).fillna(False).to_numpy(dtype=bool)]


def _relative(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)))


def compare_cox(name: str, folder: Path = REFERENCE) -> dict[str, float]:
    """Largest relative differences to ``coxph``; asserts each is within :data:`RTOL`."""
    result = _cox(name, folder)
    reference = _reference(name, folder)
    coefficients = result.coefficients.set_index("term")
    worst: dict[str, float] = {}
    for quantity in ("estimate", "std_error", "ci_low", "ci_high", "p_value"):
        expected = _values(reference, quantity)
        assert list(expected.index) == list(coefficients.index), quantity
        got = coefficients.loc[expected.index, quantity].to_numpy()
        np.testing.assert_allclose(got, expected.to_numpy(), rtol=RTOL, err_msg=quantity)
        worst[quantity] = _relative(got, expected.to_numpy())
    np.testing.assert_allclose(
        coefficients["hazard_ratio"], np.exp(coefficients["estimate"]), rtol=1e-12
    )
    metrics = result.metrics
    loglik = _values(reference, "loglik")["model"]
    np.testing.assert_allclose(metrics["log_likelihood"], loglik, rtol=1e-9)
    loglik_null = _values(reference, "loglik_null")["model"]
    np.testing.assert_allclose(metrics["log_likelihood_null"], loglik_null, rtol=1e-9)
    np.testing.assert_allclose(
        metrics["likelihood_ratio_test"]["statistic"],
        _values(reference, "lrt_chisq")["model"],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        metrics["concordance"], _values(reference, "concordance")["model"], rtol=1e-9
    )
    worst["concordance"] = (
        abs(metrics["concordance"] - _values(reference, "concordance")["model"])
        / _values(reference, "concordance")["model"]
    )
    assert metrics["n"] == _values(reference, "n")["model"]
    assert metrics["events"] == _values(reference, "events")["model"]
    assert metrics["converged"] is True
    assert metrics["warnings"] == []
    # Default ph_test = exact: R's cox.zph of the installed survival (>= 3.0), to 1e-6.
    ph = result.tables["ph_test"].set_index("term")["statistic"]
    expected = _values(reference, "ph_chisq_coxzph3")
    assert list(expected.index) == list(ph.index)
    np.testing.assert_allclose(ph.to_numpy(), expected.to_numpy(), rtol=1e-6)
    worst["ph_chisq_exact"] = _relative(ph.to_numpy(), expected.to_numpy())
    # ph_test = approximate: the 1994 formula of survival <= 2.44.
    old = _cox(name, folder, ph_test="approximate").tables["ph_test"]
    old_ph = old.set_index("term")["statistic"]
    expected = _values(reference, "ph_chisq_gt1994")
    assert list(expected.index) == list(old_ph.index)
    np.testing.assert_allclose(old_ph.to_numpy(), expected.to_numpy(), rtol=RTOL)
    worst["ph_chisq_approximate"] = _relative(old_ph.to_numpy(), expected.to_numpy())
    return worst


def compare_km(name: str, folder: Path = REFERENCE) -> dict[str, float]:
    """Largest absolute differences to ``survfit`` tables, medians and landmarks."""
    spec = DATASETS[name]
    table = pd.read_csv(folder / "survival_r_km.csv", dtype={"level": str})
    table = table[table["dataset"] == name]
    reference = _reference(name, folder)
    worst: dict[str, float] = {}

    def note(key: str, got: Any, expected: Any) -> None:
        got_a, expected_a = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        assert np.array_equal(np.isnan(got_a), np.isnan(expected_a)), key
        both = ~np.isnan(got_a)
        diff = float(np.max(np.abs(got_a[both] - expected_a[both]), initial=0.0))
        assert diff <= ATOL, (key, diff)
        worst[key] = max(worst.get(key, 0.0), diff)

    for group, level, part in _strata(name, folder):
        km = _survival_fit.kaplan_meier(part[spec.time], part["event"])
        expected = table[(table["group"] == group) & (table["level"] == level)]
        got = km.table
        assert len(got) == len(expected), (group, level)
        np.testing.assert_allclose(got["time"], expected["time"], rtol=1e-12)
        for column in ("n_at_risk", "n_events", "n_censored"):
            assert got[column].tolist() == expected[column].tolist(), (group, level, column)
        for column in ("survival", "std_error", "ci_low", "ci_high"):
            note(f"km_{column}", got[column], expected[column])
        stratum = "all" if group == "all" else f"{group}={level}"
        values = reference[reference["term"] == stratum].set_index("quantity")["value"]
        values = values.astype(float)
        assert km.n == values["n"] and km.events == values["events"]
        note("median", [km.median], [values["median"]])
        note(
            "median_ci",
            [km.median_ci_low, km.median_ci_high],
            values[["median_ci_low", "median_ci_high"]],
        )
        inside = [t for t in spec.landmarks if t <= got["time"].max()]
        at = km.at(inside)
        for i, t in enumerate(inside):
            suffix = f"_at_{t:g}"
            assert at["n_at_risk"].iloc[i] == values[f"n_at_risk{suffix}"]
            for column in ("survival", "std_error", "ci_low", "ci_high"):
                note(f"landmark_{column}", [at[column].iloc[i]], [values[column + suffix]])
    return worst


def compare_logrank(name: str, folder: Path = REFERENCE) -> dict[str, float]:
    spec = DATASETS[name]
    frame = _data(name, folder)
    reference = _reference(name, folder)
    worst = 0.0
    for group in spec.groups:
        result = _survival_fit.logrank(frame[spec.time], frame["event"], _labels(frame[group]))
        assert result.statistic is not None and result.p_value is not None
        expected = _values(reference, "logrank_chisq")[group]
        np.testing.assert_allclose(result.statistic, expected, rtol=RTOL)
        assert result.df == _values(reference, "logrank_df")[group]
        np.testing.assert_allclose(
            result.p_value, _values(reference, "logrank_p")[group], rtol=RTOL
        )
        worst = max(worst, abs(result.statistic - expected) / expected)
    return {"logrank_chisq": worst}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_cox_matches_coxph_efron(name: str) -> None:
    compare_cox(name)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_kaplan_meier_matches_survfit(name: str) -> None:
    compare_km(name)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_logrank_matches_survdiff(name: str) -> None:
    compare_logrank(name)


def test_reference_data_have_ties_and_a_single_subject_group() -> None:
    synthetic = _data("synthetic")
    events = synthetic[synthetic["event"] == 1]["duration"]
    assert events.duplicated().sum() > 50  # Efron's method matters
    lung = _data("lung")
    assert (lung["ph_ecog"] == 3).sum() == 1  # a one-subject stratum in the KM comparison


def test_ph_test_exact_is_survival_3_and_approximate_is_the_1994_formula() -> None:
    """ph_test=exact reproduces cox.zph of survival 3.5-3 (1e-6); approximate the old formula.

    The two formulas differ, and the stored values document by how much.
    """
    for name in DATASETS:
        reference = _reference(name)
        old = _values(reference, "ph_chisq_gt1994")
        new = _values(reference, "ph_chisq_coxzph3")
        exact = _cox(name).tables["ph_test"].set_index("term")["statistic"]
        approximate = _cox(name, ph_test="approximate").tables["ph_test"]
        np.testing.assert_allclose(exact.to_numpy(), new.to_numpy(), rtol=1e-6)
        np.testing.assert_allclose(
            approximate.set_index("term")["statistic"].to_numpy(), old.to_numpy(), rtol=1e-8
        )
        assert not np.allclose(old.to_numpy(), new.to_numpy(), rtol=1e-3)
    metrics = _cox("lung").metrics["proportional_hazards"]
    assert metrics["ph_test"] == "exact" and "survival >= 3.0" in metrics["method"]


@pytest.mark.against_r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not on the PATH")
def test_live_against_r_survival(tmp_path: Path) -> None:
    shutil.copy(REFERENCE / "survival_reference.R", tmp_path / "survival_reference.R")
    shutil.copy(REFERENCE / "survival_synthetic.csv", tmp_path / "survival_synthetic.csv")
    completed = subprocess.run(
        ["Rscript", str(tmp_path / "survival_reference.R"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0 and "survival" in completed.stderr:
        pytest.skip("R is present but the survival package is not installed")
    assert completed.returncode == 0, completed.stderr[-2000:]
    for name in DATASETS:
        compare_cox(name, tmp_path)
        compare_km(name, tmp_path)
        compare_logrank(name, tmp_path)
    # The checked-in references are what R writes today.
    for file in ("survival_r_reference.csv", "survival_r_km.csv", "survival_lung.csv"):
        live, stored = pd.read_csv(tmp_path / file), pd.read_csv(REFERENCE / file)
        pd.testing.assert_frame_equal(live, stored, check_exact=False, rtol=1e-6)


def test_worst_differences_are_small() -> None:
    """One summary over every data set (printed with -s; the report quotes it)."""
    worst: dict[str, float] = {}
    for name in DATASETS:
        for part in (compare_cox(name), compare_km(name), compare_logrank(name)):
            for key, value in part.items():
                worst[key] = max(worst.get(key, 0.0), value)
    print({k: f"{v:.2e}" for k, v in sorted(worst.items())})
    assert all(math.isfinite(v) and v <= max(RTOL, ATOL) for v in worst.values())
