"""Headline figures, per-model summaries, and the prediction curves grouped by outcome scale.

- :func:`headline_metrics`: the one declared DVC metric (``reports/metrics/headline.json``), a
  few dozen numbers, so ``dvc metrics show`` and ``dvc exp show`` print a readable table: the
  size of the export, the main outcomes, and one validated figure per model.
- :func:`model_headlines`: the fuller per-model summary (``reports/metrics/models.json``, an
  output, not a declared metric).
- :func:`curve_groups`: calibration and decision curves, one table per outcome scale with one
  line per model (``reports/plots/<curve>/<group>.csv``, declared as DVC plots by folder), so a
  new entry is picked up with no edit to ``dvc.yaml`` and models on different scales never
  share a plot.

Pure: model outputs in, mappings and frames out.
"""

from __future__ import annotations

import math
import re
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
    """Floats to 6 decimals (stable diffs), a non-finite float as ``None`` (JSON null);
    whole numbers, flags and text unchanged."""
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def _finite(figures: dict[str, Any]) -> dict[str, Any]:
    """``figures`` without the entries that are not numbers (a headline metric holds numbers)."""
    return {k: v for k, v in figures.items() if v is not None}


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


#: Outcome scores summarised in the headline (completers of ended trajectories).
HEADLINE_OUTCOMES: tuple[str, ...] = ("ssd12_total", "eq5d5l_index", "eq5d_vas")


def _main_figure(model: ModelOutput) -> dict[str, Any]:
    """The figure that says how a model did: validated AUC or R² (prediction; CIs are in
    ``models.json``), the comorbidity-by-time likelihood-ratio p-value (mixed), concordance
    (Cox) or the number of events (Kaplan-Meier and other survival models)."""
    m: Mapping[str, Any] = model.metrics
    if not m:
        return {"fitted": 0}
    if m.get("estimable") is False:
        return {"estimable": 0}
    out: dict[str, Any] = {}
    if model.family == "prediction":
        performance = m.get("performance", {}) or {}
        for measure in ("auc", "r2"):
            value = (performance.get(measure) or {}).get("estimate")
            if value is not None:
                out[measure] = _round(value)
                break
    elif model.family == "mixed":
        lrt = m.get("likelihood_ratio_tests", {}) or {}
        for name in sorted(lrt):
            value = (lrt[name] or {}).get("p_value")
            if value is not None:
                out[f"lrt_{name}_p"] = _round(value)
    elif model.family == "survival":
        causes = [str(c) for c in m.get("causes", []) or []]
        if model.model == "cumulative_incidence" and causes and model.coefficients is not None:
            # the first cause's incidence at the last landmark, all trajectories
            rows = model.coefficients[
                model.coefficients["term"].astype(str).str.endswith(f"[{causes[0]}][all]")
            ]
            if len(rows):
                term = str(rows["term"].iloc[-1]).split("[")[0]  # cif_at_2y
                out[f"{term}_{causes[0]}"] = _round(float(rows["estimate"].iloc[-1]))
        elif isinstance(m.get("concordance"), int | float):
            out["concordance"] = _round(m["concordance"])
        elif isinstance(m.get("events"), int | float):
            out["events"] = _round(m["events"])
        elif isinstance(m.get("events"), Mapping) and causes:
            out[f"events_{causes[0]}"] = _round(m["events"].get(causes[0]))
        elif isinstance(m.get("by_cause"), Mapping) and causes:
            first = m["by_cause"].get(causes[0], {}) or {}
            if isinstance(first.get("concordance"), int | float):
                out[f"concordance_{causes[0]}"] = _round(first["concordance"])
    return out


def headline_metrics(trajectories: pd.DataFrame, models: Sequence[ModelOutput]) -> dict[str, Any]:
    """The headline DVC metric: export size, main outcomes (all years), one figure per model.

    ``outcomes.<score>``: ``completers`` (ended trajectories with a valid intake and end) and
    their ``mean_change`` (end − intake, in score units) and ``reliably_improved`` share
    (categories recovered + improved). No cell here is a count of fewer than a handful of
    trajectories that the reports would suppress: the figures pool every year.
    """
    ended = trajectories["status"].eq("ended") if "status" in trajectories else None
    data: dict[str, Any] = {
        "trajectories": int(len(trajectories)),
        "clients": int(trajectories["client_key"].nunique()) if len(trajectories) else 0,
        "ended": int(ended.sum()) if ended is not None else 0,
    }
    outcomes: dict[str, Any] = {}
    for score in HEADLINE_OUTCOMES:
        change = f"{score}_change"
        category = f"{score}_category"
        if change not in trajectories:
            continue
        done = trajectories[change].notna()
        figures: dict[str, Any] = {"completers": int(done.sum())}
        if done.any():
            figures["mean_change"] = _round(float(trajectories.loc[done, change].mean()))
            if category in trajectories:
                improved = trajectories.loc[done, category].isin(["recovered", "improved"])
                figures["reliably_improved"] = _round(float(improved.mean()))
        outcomes[score] = _finite(figures)
    return {
        "data": data,
        "outcomes": outcomes,
        "models": {m.name: _finite(_main_figure(m)) for m in sorted(models, key=lambda m: m.name)},
    }


def model_headlines(models: Sequence[ModelOutput]) -> dict[str, Any]:
    """``{entry name: headline}`` for every configured model, sorted by name."""
    return {m.name: headline(m) for m in sorted(models, key=lambda m: m.name)}


def curve_group(model: ModelOutput) -> str:
    """The plot a prediction model's curves go to: one per outcome scale.

    Continuous models: their target (``ssd12_total_change``); binary models: their target and
    the levels counted as the event (``ssd12_total_category_recovered_improved``), so the
    improvement and the recovery models never share a plot.
    """
    m = model.metrics
    target = str(m.get("target", model.name))
    if m.get("outcome_type") == "binary" and m.get("event"):
        # "ssd12_total_category in (recovered, improved)" -> "..._recovered_improved"
        levels = str(m["event"]).partition(" in ")[2]
        return "_".join([target, *re.findall(r"[A-Za-z0-9]+", levels)])
    return target


def curve_groups(models: Sequence[ModelOutput], table: str) -> dict[str, pd.DataFrame]:
    """``table`` (``calibration_curve`` or ``decision_curve``) of every model having it, one
    long frame per :func:`curve_group` with a leading ``model`` column (one line per model).

    Decision curves add the reference strategies as lines of their own (``treat all``,
    ``treat none``), taken from the group's first model (the same analysis set).
    """
    groups: dict[str, list[pd.DataFrame]] = {}
    for m in sorted(models, key=lambda m: m.name):
        if table in m.tables and len(m.tables[table]):
            groups.setdefault(curve_group(m), []).append(m.tables[table].assign(model=m.name))
    out: dict[str, pd.DataFrame] = {}
    for group, parts in sorted(groups.items()):
        frame = pd.concat(parts, ignore_index=True)
        if table == "decision_curve" and {"net_benefit_all", "net_benefit_none"} <= set(frame):
            first = parts[0]
            lines = [frame[["model", "threshold", "net_benefit_model"]]]
            for label, column in (
                ("treat all", "net_benefit_all"),
                ("treat none", "net_benefit_none"),
            ):
                lines.append(
                    pd.DataFrame(
                        {
                            "model": label,
                            "threshold": first["threshold"],
                            "net_benefit_model": first[column],
                        }
                    )
                )
            frame = pd.concat(lines, ignore_index=True).rename(
                columns={"net_benefit_model": "net_benefit"}
            )
        out[group] = frame[["model", *(c for c in frame.columns if c != "model")]]
    return out
