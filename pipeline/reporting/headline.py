"""Headline figures of every fitted model, and the prediction curves in long format.

One small metrics file (``reports/metrics/models.json``) and two plot tables
(``reports/plots/calibration.csv``, ``reports/plots/decision_curve.csv``) cover every
``models:`` entry, so ``dvc metrics diff``, ``dvc plots diff`` and ``dvc exp show`` compare
models, and a new entry is picked up with no edit to ``dvc.yaml``. Pure: model outputs in,
a mapping and frames out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.reporting.research import ModelOutput

#: Measures kept per family: validated performance for prediction models (with CIs).
PREDICTION_MEASURES: tuple[str, ...] = (
    "auc",
    "brier",
    "calibration_intercept",
    "calibration_slope",
    "r2",
    "rmse",
)


def _round(value: Any) -> Any:
    """Floats to 6 decimals (stable diffs); whole numbers, flags and text unchanged."""
    if isinstance(value, float):
        return round(value, 6)
    return value


def headline(model: ModelOutput) -> dict[str, Any]:
    """The few figures that summarise one fitted model (empty when it has no outputs)."""
    m: Mapping[str, Any] = model.metrics
    if not m:
        return {"family": model.family, "fitted": False}
    out: dict[str, Any] = {"family": model.family, "model": model.model, "fitted": True}
    if m.get("estimable") is False:
        # Not estimable on this export: say why (docs/robustness.md), no figures.
        out.update(estimable=False, reason=str(m.get("reason", "")))
        return out
    out["estimable"] = True
    for key in ("n", "events", "n_trajectories", "converged", "usable", "status"):
        if key in m and not isinstance(m[key], Mapping):
            out[key] = _round(m[key])
    if model.family == "prediction":
        performance = m.get("performance") or {}
        for measure in PREDICTION_MEASURES:
            if measure in performance:
                figures = performance[measure]
                out[measure] = {
                    k: _round(figures.get(k)) for k in ("estimate", "ci_low", "ci_high")
                }
        sample = m.get("sample_size") or {}
        if isinstance(sample, Mapping) and "minimum_n" in sample:
            out["sample_size_minimum_n"] = _round(sample["minimum_n"])
            out["sample_size_sufficient"] = sample.get("sufficient")
    elif model.family == "survival" and m.get("concordance") is not None:
        out["concordance"] = _round(m["concordance"])
    elif model.family == "mixed":
        lrt = m.get("likelihood_ratio_tests") or {}
        for name in sorted(lrt):
            out[f"lrt_{name}_p"] = _round(lrt[name].get("p_value"))
    return out


def model_headlines(models: Sequence[ModelOutput]) -> dict[str, Any]:
    """``{entry name: headline}`` for every configured model, sorted by name."""
    return {m.name: headline(m) for m in sorted(models, key=lambda m: m.name)}


def curves(models: Sequence[ModelOutput], table: str) -> pd.DataFrame:
    """One long table of ``table`` (e.g. ``calibration_curve``) over every model having it,
    with a leading ``model`` column; empty (no rows) when no model has it."""
    parts = [
        m.tables[table].assign(model=m.name)
        for m in sorted(models, key=lambda m: m.name)
        if table in m.tables
    ]
    if not parts:
        return pd.DataFrame({"model": pd.Series(dtype="str")})
    frame = pd.concat(parts, ignore_index=True)
    return frame[["model", *(c for c in frame.columns if c != "model")]]
