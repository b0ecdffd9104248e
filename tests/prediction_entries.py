"""Every prediction entry of params.yaml with light validation settings, for equality tests.

The entries keep their model, target, predictors, grid and estimator; only the amount of
resampling is reduced (and the forests' and boosting's trees), so that all of them fit in a
few seconds on simulated inputs. One extra entry validates by the optimism bootstrap.
"""

from __future__ import annotations

from typing import Any

from pipeline.config import read_params_file
from pipeline.models import registry
from pipeline.models._simulate import simulate_inputs
from pipeline.models.base import ModelInputs
from pipeline.stages.fit import fit_entry, format_coefficients, round_metrics

#: Validation settings of every entry (ci_draws above the evaluation's block size of 200, so
#: the resampled measures run as more than one task).
LIGHT: dict[str, Any] = {
    "repeats": 2,
    "folds": 3,
    "inner_folds": 2,
    "bootstrap_reps": 4,
    "imputations": 2,
    "impute_iterations": 2,
    "ci_draws": 250,
    "importance_repeats": 2,
    "importance_fits": 3,
}
#: Smaller ensembles (the tuning grid of each entry is kept).
ESTIMATORS: dict[str, dict[str, Any]] = {
    "random_forest_classifier": {"n_estimators": 15},
    "random_forest_regressor": {"n_estimators": 15},
    "hgb_classifier": {"max_iter": 15},
    "hgb_regressor": {"max_iter": 15},
}
SEED = 20261123
TRAJECTORIES = 320


def light_entries() -> dict[str, dict[str, Any]]:
    """The prediction entries of params.yaml with :data:`LIGHT` settings, plus
    ``improvement_logistic_bootstrap`` (optimism bootstrap)."""
    out: dict[str, dict[str, Any]] = {}
    for name, entry in read_params_file()["models"].items():
        if registry.family_of(str(entry["model"])) != "prediction":
            continue
        light = {**entry, **LIGHT}
        if "estimator_params" in entry and entry["model"] in ESTIMATORS:
            light["estimator_params"] = {**entry["estimator_params"], **ESTIMATORS[entry["model"]]}
        out[name] = light
    if "improvement_logistic" in out:
        out["improvement_logistic_bootstrap"] = {
            **out["improvement_logistic"],
            "validation": "bootstrap",
        }
    return out


def light_inputs() -> ModelInputs:
    """Simulated processed tables (every score column the entries use)."""
    return simulate_inputs(TRAJECTORIES, seed=SEED)


def fitted_outputs(name: str, entry: dict[str, Any], inputs: ModelInputs) -> dict[str, Any]:
    """What the fit stage writes for an entry, as text: metrics, coefficients and tables."""
    result = fit_entry(name, entry, inputs)
    return {
        "metrics": round_metrics(result.metrics),
        "coefficients": format_coefficients(result.coefficients).to_csv(index=False),
        "tables": {
            key: table.to_csv(index=False, float_format="%.10g")
            for key, table in sorted(result.tables.items())
        },
    }
