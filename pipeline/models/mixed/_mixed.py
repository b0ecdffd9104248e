"""The mixed-model family: its analysis set, design matrices, fit and output tables.

Analysis set (:func:`build_mixed_analysis_set`, the one shared builder of the family)
-------------------------------------------------------------------------------------
1. Trajectories with ``research_consent`` = 1 only (methods.md: research outputs); optionally
   only ended ones.
2. Administrations with a value of the outcome (of the configured instrument, if any), linked
   to a trajectory and assigned to the ``intake``, ``interim`` or ``end`` timepoint:
   ``follow_up`` (after the end of treatment) and ``unlinked`` administrations are excluded.
3. Time is ``years`` = ``days_from_start`` / 365.25 (years since the start of treatment).
4. Rows missing a covariate of the formula are dropped (complete cases on covariates; the
   outcome is modelled by likelihood, so every available measurement counts: MAR).
Every step's count is reported in ``metrics.json`` under ``analysis_set``.

Categorical baseline factors use treatment coding with the reference levels configured per
model (default ``sex`` = ``f``, ``diagnosis`` = ``ssd``); terms are named as patsy names them
(``sex[T.m]``, ``years:comorbid_asd``).

Inference
---------
Fixed effects are estimated by REML, with Wald standard errors from
``sigma^2 (X'V^{-1}X)^{-1}`` (as lme4's ``vcov``), 95% Wald confidence intervals and two-sided
normal p-values (as statsmodels' ``MixedLM``; with hundreds of trajectories the difference to
Satterthwaite degrees of freedom is negligible). A block of fixed effects (the comorbidity by
time interactions) is tested by a likelihood-ratio test of ML refits of the full and the reduced
model (REML likelihoods of models with different fixed effects are not comparable).
"""

from __future__ import annotations

import fnmatch
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import patsy
import scipy.stats

from pipeline.models.base import (
    COEFFICIENT_COLUMNS,
    FitResult,
    ModelError,
    ModelInputs,
    NotEstimable,
)
from pipeline.models.mixed import _lmm

#: Timepoints whose measurements enter the models (during treatment).
TIMEPOINTS: tuple[str, ...] = ("intake", "interim", "end")
#: Name of the time variable of the analysis set: years since the start of treatment.
TIME = "years"
DAYS_PER_YEAR = 365.25

Engine = Literal["profiled", "statsmodels"]


@dataclass(frozen=True)
class MixedAnalysisSet:
    """The measurements a mixed model is fitted to, and how they were selected.

    Attributes
    ----------
    frame
        One row per measurement: ``client_key``, ``trajectory_key``, ``timepoint``,
        ``days_from_start``, ``years``, the outcome, and every column of ``trajectories``
        (baseline factors). Sorted by ``trajectory_key`` and ``days_from_start``.
    flow
        Counts at each selection step (JSON-able).
    """

    frame: pd.DataFrame
    flow: dict[str, int]


@dataclass(frozen=True)
class MixedSpec:
    """What to fit: formulas as strings and the settings of one mixed model."""

    formula: str
    re_formula: str
    groups: str
    reference_levels: Mapping[str, str]
    lrt_blocks: Mapping[str, Sequence[str]]
    engine: Engine
    ci_level: float


def outcome_of(formula: str) -> str:
    """The outcome column: the left-hand side of ``formula``, which must be a column name."""
    lhs, sep, _ = formula.partition("~")
    name = lhs.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ModelError("formula must read '<outcome column> ~ <terms>'")
    return name


def build_mixed_analysis_set(
    data: ModelInputs,
    outcome: str,
    instrument: str | None = None,
    ended_only: bool = False,
) -> MixedAnalysisSet:
    """Select the measurements of one outcome for a mixed model (see the module docstring).

    Parameters
    ----------
    data
        The processed scores and trajectories; not modified.
    outcome
        Score column (``ssd12_total``, ``eq5d5l_index``, ``eq5d_vas`` ...).
    instrument
        Only administrations of this instrument (``None``: any row with the outcome).
    ended_only
        Only ended trajectories (default: ended and ongoing, whose measurements so far are
        valid under MAR).
    """
    scores, trajectories = data.scores, data.trajectories
    for column in (outcome, "trajectory_key", "timepoint", "days_from_start"):
        if column not in scores.columns:
            raise ModelError(f"scores have no column '{column}'")
    for column in ("trajectory_key", "research_consent", "status"):
        if column not in trajectories.columns:
            raise ModelError(f"trajectories have no column '{column}'")
    flow: dict[str, int] = {"trajectories": len(trajectories)}
    consent = trajectories["research_consent"].astype("Float64").eq(1).fillna(False)
    keep = trajectories[consent.to_numpy(dtype=bool)]
    flow["trajectories_with_consent"] = len(keep)
    if ended_only:
        keep = keep[keep["status"].eq("ended").to_numpy(dtype=bool)]
        flow["trajectories_ended"] = len(keep)
    rows = scores[scores[outcome].notna().to_numpy(dtype=bool)]
    if instrument is not None:
        rows = rows[rows["instrument"].eq(instrument).to_numpy(dtype=bool)]
    flow["measurements_with_outcome"] = len(rows)
    timepoint = rows["timepoint"].astype("string")
    for point in ("follow_up", "unlinked"):
        flow[f"measurements_excluded_{point}"] = int(timepoint.eq(point).fillna(False).sum())
    linked = (
        timepoint.isin(TIMEPOINTS).fillna(False)
        & rows["trajectory_key"].notna()
        & rows["days_from_start"].notna()
    )
    rows = rows[linked.to_numpy(dtype=bool)]
    flow["measurements_linked_during_treatment"] = len(rows)
    score_columns = ["trajectory_key", "timepoint", "days_from_start", outcome]
    if "completed_at" in rows.columns:
        score_columns.append("completed_at")
    frame = rows[score_columns].merge(keep, on="trajectory_key", how="inner", validate="m:1")
    flow["measurements_of_selected_trajectories"] = len(frame)
    frame[TIME] = frame["days_from_start"].astype(float) / DAYS_PER_YEAR
    frame[outcome] = frame[outcome].astype(float)
    order = ["trajectory_key", "days_from_start"]
    if "completed_at" in frame.columns:
        order.append("completed_at")
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    return MixedAnalysisSet(frame=frame, flow=flow)


@dataclass(frozen=True)
class Design:
    """Design matrices of one mixed model on its complete cases."""

    y: np.ndarray
    x: np.ndarray
    z: np.ndarray
    groups: np.ndarray
    x_names: tuple[str, ...]
    z_names: tuple[str, ...]
    term_slices: Mapping[str, np.ndarray]
    frame: pd.DataFrame
    dropped: tuple[str, ...] = ()


def build_design(frame: pd.DataFrame, spec: MixedSpec) -> Design:
    """Design matrices of ``spec`` on ``frame``, dropping rows missing any model variable.

    Categorical columns named in ``spec.reference_levels`` are coded with that reference
    level; other text columns get patsy's default (first level in sorted order).
    """
    if spec.groups not in frame.columns:
        raise ModelError(f"analysis set has no grouping column '{spec.groups}'")
    if len(frame) == 0:
        raise NotEstimable("the analysis set is empty (no measurement of a selected trajectory)")
    data = frame.copy()
    for column, reference in spec.reference_levels.items():
        if column not in data.columns:
            continue
        present = sorted(str(v) for v in data[column].dropna().unique())
        if len(present) > 1 and reference not in present:
            # With one level the factor is constant and its column is dropped as aliased.
            raise NotEstimable(
                f"reference level '{reference}' of {column} does not occur in the analysis set "
                f"({len(present)} other levels): its contrasts are not estimable"
            )
        levels = [reference, *(v for v in present if v != reference)]
        data[column] = pd.Categorical(data[column].astype("object"), categories=levels)
    numeric = data.select_dtypes(include=["Int8", "Int16", "Int32", "Int64", "Float64"])
    for column in numeric.columns:
        data[column] = data[column].astype(float)
    try:
        y_frame, x_frame = patsy.dmatrices(
            spec.formula, data, NA_action="drop", return_type="dataframe"
        )
        z_frame = patsy.dmatrix(
            spec.re_formula, data.loc[x_frame.index], NA_action="raise", return_type="dataframe"
        )
    except patsy.PatsyError as exc:
        raise ModelError(f"formula cannot be built: {' '.join(str(exc).split()[:12])}") from exc
    kept = data.loc[x_frame.index]
    groups = kept[spec.groups]
    if groups.isna().any():
        raise ModelError(f"grouping column '{spec.groups}' has missing values")
    if len(kept) == 0:
        raise NotEstimable("the analysis set is empty after dropping incomplete rows")
    x = x_frame.to_numpy(dtype=float)
    y = y_frame.to_numpy(dtype=float).ravel()
    n_groups = int(groups.nunique())
    if n_groups < 2:
        raise NotEstimable(f"{n_groups} group(s) of {spec.groups}: at least 2 are needed")
    if len(kept) <= n_groups:
        # lme4's check.nobs.vs.nlev: as many groups as measurements leaves the random effects
        # and the residual variance unidentifiable (e.g. intake measurements only).
        raise NotEstimable(
            f"{len(kept)} measurements for {n_groups} groups of {spec.groups}: the random "
            "effects need more measurements than groups"
        )
    if float(np.ptp(y)) == 0.0:
        raise NotEstimable(f"the outcome is constant over {len(kept)} measurements")
    names = tuple(str(c) for c in x_frame.columns)
    keep = estimable_columns(x)
    info = x_frame.design_info
    positions = np.cumsum(keep) - 1
    term_columns = {
        term: positions[np.arange(x.shape[1])[piece]][keep[piece]]
        for term, piece in info.term_name_slices.items()
    }
    if int(keep.sum()) >= len(kept):
        raise NotEstimable(
            f"{len(kept)} measurements for {int(keep.sum())} estimable fixed effects: "
            "no residual degrees of freedom"
        )
    return Design(
        y=y,
        x=x[:, keep],
        z=z_frame.to_numpy(dtype=float),
        groups=groups.astype(str).to_numpy(),
        x_names=tuple(n for n, k in zip(names, keep, strict=True) if k),
        z_names=tuple(str(c) for c in z_frame.columns),
        term_slices={t: cols for t, cols in term_columns.items() if len(cols)},
        frame=kept,
        dropped=tuple(n for n, k in zip(names, keep, strict=True) if not k),
    )


def estimable_columns(x: np.ndarray) -> np.ndarray:
    """Which columns of ``x`` to keep so that the fixed-effects design has full column rank.

    As lme4 does (``lFormula``'s default ``check.rankX = "message+drop.cols"``), a
    rank-deficient design is not an error: aliased columns (for instance a comorbidity that no
    one in the analysis set has, and its interaction with time) are dropped and the fit
    reports them. Columns are taken in formula order and a column is kept when it raises the
    rank, so the intercept and main effects win over the interactions that alias them.
    """
    keep = np.zeros(x.shape[1], dtype=bool)
    rank = 0
    for j in range(x.shape[1]):
        keep[j] = True
        new_rank = np.linalg.matrix_rank(x[:, keep])
        if new_rank > rank:
            rank = new_rank
        else:
            keep[j] = False
    return keep


@dataclass(frozen=True)
class EngineFit:
    """A fit by either engine, on the engine-independent scale."""

    beta: np.ndarray
    cov_beta: np.ndarray
    sigma2: float
    cov_re: np.ndarray
    loglik: float
    converged: bool
    warnings: tuple[str, ...]
    iterations: int | None


def fit_design(design: Design, engine: Engine, reml: bool) -> EngineFit:
    """Fit the design by REML (or ML) with the fast profiled engine or statsmodels.

    Every Python warning raised during the fit is captured and returned with the engine's
    own convergence warnings.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if engine == "profiled":
            fitted = _fit_profiled(design, reml)
        elif engine == "statsmodels":
            fitted = _fit_statsmodels(design, reml)
        else:
            raise ModelError(f"unknown engine '{engine}' (profiled or statsmodels)")
    messages = list(fitted.warnings)
    for item in caught:
        text = f"{item.category.__name__}: {' '.join(str(item.message).split())}"
        if text not in messages:
            messages.append(text)
    return EngineFit(
        beta=fitted.beta,
        cov_beta=fitted.cov_beta,
        sigma2=fitted.sigma2,
        cov_re=fitted.cov_re,
        loglik=fitted.loglik,
        converged=fitted.converged,
        warnings=tuple(messages),
        iterations=fitted.iterations,
    )


def _fit_profiled(design: Design, reml: bool) -> EngineFit:
    problem = _lmm.prepare(design.y, design.x, design.z, design.groups)
    result = _lmm.fit(problem, reml=reml)
    return EngineFit(
        beta=result.beta,
        cov_beta=result.cov_beta,
        sigma2=result.sigma2,
        cov_re=result.cov_re,
        loglik=result.loglik,
        converged=result.converged,
        warnings=result.warnings,
        iterations=result.n_iterations,
    )


def _fit_statsmodels(design: Design, reml: bool) -> EngineFit:
    """statsmodels ``MixedLM`` (the reference implementation), L-BFGS as methods.md advises."""
    from statsmodels.regression.mixed_linear_model import MixedLM as StatsmodelsMixedLM

    model = StatsmodelsMixedLM(design.y, design.x, groups=design.groups, exog_re=design.z)
    result = model.fit(reml=reml, method=["lbfgs"])
    p = design.x.shape[1]
    messages = []
    converged = bool(result.converged)
    if not converged:
        messages.append("statsmodels MixedLM did not converge")
    return EngineFit(
        beta=np.asarray(result.fe_params, dtype=float),
        cov_beta=np.asarray(result.cov_params(), dtype=float)[:p, :p],
        sigma2=float(result.scale),
        cov_re=np.asarray(result.cov_re, dtype=float),
        loglik=float(result.llf),
        converged=converged,
        warnings=tuple(messages),
        iterations=None,
    )


def coefficient_table(design: Design, fitted: EngineFit, ci_level: float) -> pd.DataFrame:
    """Fixed effects (Wald SE, CI, p) then variance components, in the outputs.md schema."""
    z_crit = float(scipy.stats.norm.ppf(0.5 + ci_level / 2.0))
    se = np.sqrt(np.diag(fitted.cov_beta))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = 2.0 * scipy.stats.norm.sf(np.abs(fitted.beta / se))
    fixed = pd.DataFrame(
        {
            "term": list(design.x_names),
            "estimate": fitted.beta,
            "std_error": se,
            "ci_low": fitted.beta - z_crit * se,
            "ci_high": fitted.beta + z_crit * se,
            "p_value": p_values,
        }
    )
    components = variance_components(design.z_names, fitted.cov_re, fitted.sigma2)
    variance = pd.DataFrame(
        {
            "term": list(components),
            "estimate": list(components.values()),
            "std_error": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
        }
    )
    table = pd.concat([fixed, variance], ignore_index=True)
    for column in COEFFICIENT_COLUMNS[1:]:
        table[column] = table[column].astype(float)
    return table


def variance_components(
    names: Sequence[str], cov_re: np.ndarray, sigma2: float
) -> dict[str, float]:
    """``var(<effect>)``, ``cov(<a>,<b>)`` and ``var(residual)`` as named in outputs.md."""
    out: dict[str, float] = {}
    for i, name in enumerate(names):
        out[f"var({name})"] = float(cov_re[i, i])
    for j in range(len(names)):
        for i in range(j + 1, len(names)):
            out[f"cov({names[j]},{names[i]})"] = float(cov_re[i, j])
    out["var(residual)"] = float(sigma2)
    return out


def correlations(names: Sequence[str], cov_re: np.ndarray) -> dict[str, float | None]:
    """Correlations of the random effects, ``cor(<a>,<b>)`` (``None`` if a variance is 0)."""
    out: dict[str, float | None] = {}
    for j in range(len(names)):
        for i in range(j + 1, len(names)):
            denominator = math.sqrt(max(cov_re[i, i], 0.0) * max(cov_re[j, j], 0.0))
            value = cov_re[i, j] / denominator if denominator > 0 else None
            out[f"cor({names[j]},{names[i]})"] = None if value is None else float(value)
    return out


def resolve_block(design: Design, patterns: Sequence[str], where: str) -> list[str]:
    """Formula terms matched by ``patterns`` (exact names or shell patterns like ``years:*``)."""
    terms = [t for t in design.term_slices if t != "Intercept"]
    chosen: list[str] = []
    for pattern in patterns:
        matched = [t for t in terms if fnmatch.fnmatchcase(t, pattern)]
        if not matched:
            raise ModelError(f"{where}: '{pattern}' matches no term of the formula")
        chosen.extend(t for t in matched if t not in chosen)
    return chosen


def reduced_design(design: Design, drop_terms: Sequence[str]) -> Design:
    """The design without the columns of ``drop_terms`` (for a likelihood-ratio test)."""
    keep = np.ones(design.x.shape[1], dtype=bool)
    for term in drop_terms:
        keep[design.term_slices[term]] = False
    return Design(
        y=design.y,
        x=design.x[:, keep],
        z=design.z,
        groups=design.groups,
        x_names=tuple(n for n, k in zip(design.x_names, keep, strict=True) if k),
        z_names=design.z_names,
        term_slices={},
        frame=design.frame,
    )


def likelihood_ratio_tests(design: Design, spec: MixedSpec) -> dict[str, Any]:
    """ML refits of the full model and of the model without each block; chi-square LRT.

    The statistic ``2 (logL_full - logL_reduced)`` of the ML fits is referred to a chi-square
    with as many degrees of freedom as columns dropped.
    """
    if not spec.lrt_blocks:
        return {}
    full = fit_design(design, spec.engine, reml=False)
    tests: dict[str, Any] = {}
    for name in sorted(spec.lrt_blocks):
        terms = resolve_block(design, spec.lrt_blocks[name], f"lrt_blocks.{name}")
        reduced = reduced_design(design, terms)
        small = fit_design(reduced, spec.engine, reml=False)
        df = design.x.shape[1] - reduced.x.shape[1]
        statistic = max(2.0 * (full.loglik - small.loglik), 0.0)
        converged = full.converged and small.converged
        tests[name] = {
            "terms": terms,
            "df": int(df),
            "chi2": statistic,
            "p_value": float(scipy.stats.chi2.sf(statistic, df)),
            "loglik_full_ml": full.loglik,
            "loglik_reduced_ml": small.loglik,
            "converged": bool(converged),
            "warnings": sorted(set(full.warnings) | set(small.warnings)),
        }
    return tests


def fit_mixed(
    frame: pd.DataFrame, spec: MixedSpec, flow: Mapping[str, int] | None = None
) -> FitResult:
    """Fit one mixed model to its analysis set and assemble the outputs.md files.

    Parameters
    ----------
    frame
        The analysis set (:attr:`MixedAnalysisSet.frame`, or any frame with the formula's
        columns and the grouping column).
    spec
        Formulas and settings.
    flow
        Counts of the analysis-set selection, completed here with the complete-case step and
        reported as ``analysis_set`` in the metrics.

    Returns
    -------
    FitResult
        ``coefficients``: fixed effects then variance components. ``metrics``: n trajectories
        and measurements, convergence, every warning, REML criterion, variance components,
        their correlation, the ICC at time 0 and the likelihood-ratio tests.
    """
    try:
        design = build_design(frame, spec)
    except NotEstimable as exc:
        raise NotEstimable(exc.reason, {"analysis_set": dict(flow or {}), **exc.details}) from exc
    fitted = fit_design(design, spec.engine, reml=True)
    coefficients = coefficient_table(design, fitted, spec.ci_level)
    components = variance_components(design.z_names, fitted.cov_re, fitted.sigma2)
    lrt = likelihood_ratio_tests(design, spec)
    all_warnings = list(fitted.warnings)
    if design.dropped:
        all_warnings.insert(
            0,
            f"fixed-effect model matrix is rank deficient so dropping {len(design.dropped)} "
            f"column(s): {', '.join(design.dropped)}",
        )
    lrt_converged = all(test["converged"] for test in lrt.values())
    if not lrt_converged:
        all_warnings.append("an ML refit for a likelihood-ratio test did not converge")
    intercept_var = components.get("var(Intercept)")
    icc = (
        intercept_var / (intercept_var + fitted.sigma2)
        if intercept_var is not None and math.isfinite(intercept_var)
        else None
    )
    metrics: dict[str, Any] = {
        "engine": spec.engine,
        "method": "REML",
        "converged": bool(fitted.converged),
        "usable": bool(fitted.converged),
        "warnings": all_warnings,
        "n_trajectories": int(pd.Series(design.groups).nunique()),
        "n_measurements": len(design.y),
        "n_fixed_effects": len(design.x_names),
        "fixed_effects_dropped": list(design.dropped),
        "reml_criterion": -2.0 * fitted.loglik,
        "loglik_reml": fitted.loglik,
        "optimizer_iterations": fitted.iterations,
        "fixed_effects": {
            row.term: {
                "estimate": row.estimate,
                "std_error": row.std_error,
                "ci_low": row.ci_low,
                "ci_high": row.ci_high,
                "p_value": row.p_value,
            }
            for row in coefficients.iloc[: len(design.x_names)].itertuples()
        },
        "variance_components": components,
        "random_effects_correlation": correlations(design.z_names, fitted.cov_re),
        "icc": {
            "value": icc,
            "definition": "var(Intercept) / (var(Intercept) + var(residual)): share of the "
            "variance between trajectories at time 0 (start of treatment)",
        },
        "ci_level": spec.ci_level,
        "likelihood_ratio_tests": lrt,
    }
    if "client_key" in design.frame.columns:
        metrics["n_clients"] = int(design.frame["client_key"].nunique())
    metrics["analysis_set"] = {
        **(flow or {}),
        "measurements_dropped_missing_covariates": len(frame) - len(design.y),
        "measurements_analysed": len(design.y),
        "trajectories_analysed": metrics["n_trajectories"],
    }
    return FitResult(coefficients=coefficients, metrics=_json_clean(metrics), tables={})


def _json_clean(value: Any) -> Any:
    """Numpy scalars to Python, non-finite floats to ``None``."""
    if isinstance(value, dict):
        return {str(k): _json_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_clean(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        number = float(value)
        return number if math.isfinite(number) else None
    return value
