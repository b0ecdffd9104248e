"""A small fitted cohort for the research-report tests (test support, not package code).

Simulated model inputs (:func:`pipeline.models._simulate.simulate_inputs`) with the response
status and treatment columns the report reads, and one small entry of every model type the
report renders, fitted by the fit stage's own function with fast validation settings. The
whole set fits in well under a minute, so the report's sections are tested on real model
outputs without the DVC pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline.models._simulate import simulate_inputs
from pipeline.models.base import ModelInputs
from pipeline.reporting.annual import ReportParams, ResearchParams
from pipeline.reporting.research import Inputs, ModelOutput
from pipeline.stages import fit

FAST: dict[str, Any] = {
    "repeats": 1,
    "folds": 3,
    "inner_folds": 2,
    "imputations": 2,
    "impute_iterations": 2,
    "ci_draws": 50,
    "importance_repeats": 1,
    "importance_fits": 3,
    "subgroup_min_n": 10,
    "n_jobs": 1,
}
COMORBID = [
    "comorbid_asd",
    "comorbid_ptsd",
    "comorbid_personality",
    "comorbid_depression",
]
PREDICTORS = ["age_at_start", "sex", "diagnosis", "cfs", "comorbid_*", "ssd12_total_intake"]
ENTRIES: dict[str, dict[str, Any]] = {
    "ssd12_mixed": {
        "model": "mixed_lm",
        "family": "mixed",
        "formula": "ssd12_total ~ years * (" + " + ".join(COMORBID) + ") + age_at_start + sex",
        "instrument": "ssd12",
        "lrt_blocks": {"comorbidity_x_time": ["years:comorbid_*"]},
        "on_unidentifiable": "refit_without_slope",
        "variance_ci": "none",
    },
    "dropout_km": {
        "model": "kaplan_meier",
        "family": "survival",
        "outcome": "dropout",
        "groups": ["cfs", *COMORBID, "diagnosis"],
    },
    "dropout_cif": {
        "model": "cumulative_incidence",
        "family": "survival",
        "outcome": "dropout",
        "groups": ["cfs", *COMORBID],
    },
    "improvement_cs_cox": {
        "model": "cause_specific_cox",
        "family": "survival",
        "outcome": "improvement",
        "causes": ["improvement", "ended_without_improvement"],
        "covariates": [*COMORBID, "age_at_start", "sex"],
    },
    "improvement_cox": {
        "model": "cox_ph",
        "family": "survival",
        "outcome": "improvement",
        "covariates": [*COMORBID, "age_at_start", "sex"],
    },
    "improvement_logistic": {
        "model": "logistic_l2",
        "family": "prediction",
        "target": "ssd12_total_category",
        "positive": ["recovered", "improved"],
        "predictors": PREDICTORS,
        "grid": {"C": [0.1, 1.0]},
        **FAST,
    },
    "improvement_hgb": {
        "model": "hgb_classifier",
        "family": "prediction",
        "target": "ssd12_total_category",
        "positive": ["recovered", "improved"],
        "predictors": PREDICTORS,
        "grid": {"max_depth": [2]},
        "estimator_params": {"max_iter": 20, "early_stopping": False},
        **FAST,
    },
    "ssd12_change_ancova": {
        "model": "ancova",
        "family": "prediction",
        "target": "ssd12_total_change",
        "intercept_margin": 2.0,
        "predictors": PREDICTORS,
        **{k: v for k, v in FAST.items() if k != "inner_folds"},
    },
}


def research_inputs(n: int = 500, seed: int = 11) -> ModelInputs:
    """Simulated inputs with ``response_*`` and ``tx_*`` columns as the score stage writes."""
    data = simulate_inputs(n, seed=seed)
    traj = data.trajectories.copy()
    rng = np.random.default_rng(seed)
    pre = traj["ssd12_total_intake"].notna()
    post = traj["ssd12_total_end"].notna()
    ended = traj["status"].eq("ended")
    status = np.select(
        [~ended, pre & post, pre & ~post, ~pre & post],
        ["ongoing", "completer", "pre_only", "post_only"],
        default="none",
    )
    traj["response_ssd12"] = pd.array(status, dtype="string")
    for tx, share in (("tx_cbt", 0.55), ("tx_pmt", 0.4), ("tx_emdr", 0.1)):
        traj[tx] = pd.array((rng.random(len(traj)) < share).astype(int), dtype="Int8")
    traj["end_reason"] = traj["end_reason"].astype("string")
    return ModelInputs(data.scores, traj, seed)


def fit_models(
    data: ModelInputs, entries: Mapping[str, Mapping[str, Any]] = ENTRIES
) -> list[ModelOutput]:
    """Every entry fitted as the fit stage fits it, as the report stage reads it."""
    out = []
    for name in sorted(entries):
        entry = dict(entries[name])
        result = fit.fit_entry(name, entry, data)
        metrics = fit.round_metrics(result.metrics)
        out.append(
            ModelOutput(
                name=name,
                family=str(entry["family"]),
                model=str(entry["model"]),
                metrics=metrics,
                coefficients=result.coefficients,
                tables=dict(result.tables),
            )
        )
    return out


NORMS = {
    "ssd12_total": {
        "reliable_change": 8.213686,
        "cutoff_value": 14.453846,
        "sd_pre": 11.2,
        "reliability": 0.93,
        "m_clin": 28.3,
        "sd_clin": 11.2,
        "m_func": 5.8,
        "sd_func": 7.0,
    }
}
OPTIONS = {
    "ssd12": {"max_missing_per_subscale": 1, "decimals": 1},
    "eq5d5l": {"coefficients": "published"},
    "eq5d3l": {"value_set": "NL_2006_Lamers"},
    "rand36": {"method": "rand", "missing_rule": "half_scale"},
    "phq15": {"max_missing": 1, "decimals": 1},
}
WINDOWS = {
    "intake_before_days": 60,
    "intake_after_days": 30,
    "end_before_days": 60,
    "end_after_days": 30,
}


def report_inputs(
    data: ModelInputs,
    models: list[ModelOutput],
    *,
    min_n: int = 10,
    research: ResearchParams | None = None,
    primary: str | None = "improvement_logistic",
) -> Inputs:
    """The research report's inputs for the fitted cohort."""
    report = ReportParams(
        centre_name="Testcentrum",
        publication_date="2026-03-31",
        primary_model=primary,
        research=research or ResearchParams(),
    )
    return Inputs(
        trajectories=data.trajectories,
        scores=data.scores,
        models=models,
        entries=ENTRIES,
        report=report,
        min_n=min_n,
        score_options=OPTIONS,
        norms=NORMS,
        windows=WINDOWS,
        rci_critical=1.96,
        code_fingerprint="0123456789abcdef",
    )
