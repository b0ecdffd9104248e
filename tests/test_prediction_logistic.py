"""The maximum-likelihood logistic model (``model: logistic``): odds ratios against R.

Reference: R's ``glm(binomial)`` on a fixed simulated set (``tests/reference/
logistic_make_set.py``, ``logistic_reference.R``, ``make r-reference-logistic``); the live test
reruns R when ``Rscript`` is on the PATH. Parameter recovery with missing predictors goes
through the imputations and Rubin's rules.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.models.base import ModelError, ModelInputs
from pipeline.models.prediction.logistic import Logistic

REFERENCE = Path(__file__).resolve().parent / "reference"
sys.path.insert(0, str(REFERENCE))
from logistic_make_set import LOG_ODDS, simulate  # noqa: E402

PREDICTORS = (
    "age_at_start",
    "sex",
    "diagnosis",
    "comorbid_asd",
    "comorbid_ptsd",
    "ssd12_total_intake",
)
FAST: dict[str, Any] = {
    "repeats": 1,
    "folds": 3,
    "inner_folds": 2,
    "imputations": 5,
    "impute_iterations": 5,
    "ci_draws": 50,
    "importance_repeats": 1,
    "importance_fits": 1,
    "subgroups": ("sex",),
    "n_jobs": 1,
}


def _inputs(data: pd.DataFrame, seed: int = 7) -> ModelInputs:
    n = len(data)
    trajectories = pd.DataFrame(
        {
            "client_key": [f"c{i:04d}" for i in range(n)],
            "trajectory_key": data["trajectory"].to_numpy(),
            "status": "ended",
            "research_consent": pd.array(np.ones(n, dtype=int), dtype="Int8"),
            "age_at_start": pd.array(data["age_at_start"].to_numpy(), dtype="Int64"),
            "sex": data["sex"].to_numpy(),
            "diagnosis": data["diagnosis"].to_numpy(),
            "comorbid_asd": pd.array(data["comorbid_asd"].to_numpy(), dtype="Int8"),
            "comorbid_ptsd": pd.array(data["comorbid_ptsd"].to_numpy(), dtype="Int8"),
            "ssd12_total_intake": data["ssd12_total_intake"].to_numpy(dtype=float),
            "ssd12_total_category": pd.array(
                np.where(data["event"] == 1, "improved", "unchanged"), dtype="string"
            ),
        }
    )
    return ModelInputs(scores=pd.DataFrame(), trajectories=trajectories, seed=seed)


def _model(**kwargs: Any) -> Logistic:
    settings = {"target": "ssd12_total_category", "predictors": PREDICTORS, **FAST}
    return Logistic(**{**settings, **kwargs})


@pytest.fixture(scope="module")
def complete_fit() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "logistic_set.csv")
    return _model().fit(_inputs(data)).coefficients.set_index("term")


def _compare(ours: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert set(ours.index) == set(reference.index)
    for column in ("estimate", "std_error", "ci_low", "ci_high"):
        np.testing.assert_allclose(
            ours.loc[reference.index, column], reference[column], rtol=1e-6, atol=1e-9
        )
    np.testing.assert_allclose(ours.loc[reference.index, "p_value"], reference["p_value"], 1e-5)


def test_complete_data_odds_ratios_equal_r_glm(complete_fit: pd.DataFrame) -> None:
    reference = pd.read_csv(REFERENCE / "logistic_r_reference.csv").set_index("term")
    _compare(complete_fit, reference)


def test_the_committed_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    simulate().to_csv(tmp_path / "set.csv", index=False, float_format="%.17g")
    assert (tmp_path / "set.csv").read_bytes() == (REFERENCE / "logistic_set.csv").read_bytes()


@pytest.mark.against_r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not on the PATH")
def test_live_against_r_glm(tmp_path: Path, complete_fit: pd.DataFrame) -> None:
    subprocess.run(
        ["Rscript", str(REFERENCE / "logistic_reference.R"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    _compare(complete_fit, pd.read_csv(tmp_path / "logistic_r_reference.csv").set_index("term"))


def test_with_missing_predictors_the_pooled_intervals_cover_the_planted_odds_ratios() -> None:
    data = simulate(n=1500, seed=11)
    rng = np.random.default_rng(3)
    data.loc[rng.random(len(data)) < 0.15, "ssd12_total_intake"] = np.nan
    data.loc[rng.random(len(data)) < 0.10, "age_at_start"] = np.nan
    result = _model().fit(_inputs(data))
    table = result.coefficients.set_index("term")
    assert result.metrics["inferential_model"]["imputations"] == 5
    planted = {
        "comorbid_asd": LOG_ODDS["comorbid_asd"],
        "comorbid_ptsd": LOG_ODDS["comorbid_ptsd"],
        "sex[T.m]": LOG_ODDS["sex_m"],
        "diagnosis[T.fnd]": LOG_ODDS["diagnosis_fnd"],
        "ssd12_total_intake": LOG_ODDS["ssd12_total_intake"],
    }
    for term, truth in planted.items():
        assert table.loc[term, "ci_low"] < truth < table.loc[term, "ci_high"], term


def test_configuration_errors() -> None:
    with pytest.raises(ModelError, match="nothing to tune"):
        _model(grid={"C": (1.0,)})
    with pytest.raises(ModelError, match="unpenalised"):
        _model(estimator_params={"C": 1.0})


def test_monotone_likelihood_terms_are_left_out_as_in_the_cox_models() -> None:
    """A flag whose 1s all share one outcome, and a level of a category whose trajectories all
    share one outcome (quasi-complete separation: the estimate runs off to infinity), are left
    out with a message, as the Cox models do; the other odds ratios are still estimated."""
    data = pd.read_csv(REFERENCE / "logistic_set.csv")
    data["comorbid_ptsd"] = np.where(data["event"] == 1, data["comorbid_ptsd"], 0)
    no_event = data.index[data["event"] == 0][:4]
    data.loc[no_event, "sex"] = "x"
    result = _model().fit(_inputs(data))
    table = result.coefficients.set_index("term")
    notes = result.metrics["inferential_model"]
    assert "comorbid_ptsd" not in table.index and "sex[T.x]" not in table.index
    assert notes["n"] == len(data) - 4
    assert any(m.startswith("comorbid_ptsd: all ") for m in notes["messages"])
    assert any(m.startswith("sex[T.x]: all 4 with value 1") for m in notes["messages"])
    assert np.isfinite(table["ci_high"]).all() and (table["std_error"] < 20).all()
    assert {"comorbid_asd", "sex[T.m]", "ssd12_total_intake"} <= set(table.index)


def test_aliased_terms_are_left_out_as_r_glm_gives_them_na() -> None:
    """A comorbidity nobody has, one everybody has (the sweep's absent_* exports) and a copy of
    another column are aliased (R glm: NA); they are left out with a message and the other
    estimates equal the fit without them."""
    data = pd.read_csv(REFERENCE / "logistic_set.csv")
    without = [p for p in PREDICTORS if p not in ("comorbid_asd", "comorbid_ptsd")]
    reference = _model(predictors=tuple(without)).fit(_inputs(data)).coefficients
    reference = reference.set_index("term")
    for asd, ptsd in ((0, 1), (1, 0)):
        changed = data.assign(comorbid_asd=asd, comorbid_ptsd=ptsd)
        result = _model().fit(_inputs(changed))
        table = result.coefficients.set_index("term")
        messages = result.metrics["inferential_model"]["messages"]
        assert set(table.index) == set(reference.index)
        np.testing.assert_allclose(table["estimate"], reference.loc[table.index, "estimate"])
        assert sum("the same value for every analysed trajectory" in m for m in messages) == 2
    copied = data.assign(comorbid_ptsd=data["comorbid_asd"])
    result = _model().fit(_inputs(copied))
    table = result.coefficients.set_index("term")
    assert "comorbid_ptsd" not in table.index and "comorbid_asd" in table.index
    assert any(
        m.startswith("comorbid_ptsd: a linear combination")
        for m in result.metrics["inferential_model"]["messages"]
    )
