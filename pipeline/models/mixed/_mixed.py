"""The mixed-model family: its analysis set, design matrices, fit and output tables.

Analysis set (:func:`build_mixed_analysis_set`, the one shared builder of the family)
-------------------------------------------------------------------------------------
1. Trajectories with ``research_consent`` = 1 only (docs/methods.md: research outputs); optionally
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
Fixed effects are estimated by REML with lme4's ``vcov`` standard errors
``sigma^2 (X'V^{-1}X)^{-1}``; tests and intervals are t tests on Satterthwaite degrees of
freedom, as lmerTest (:mod:`pipeline.models.mixed._lmm_inference`; the statsmodels engine keeps
Wald z tests). A block of fixed effects (the comorbidity by time interactions) is tested by a
likelihood-ratio test of ML refits of the full and the reduced model (REML likelihoods of
models with different fixed effects are not comparable) and by a Satterthwaite F test of the
REML fit. Variance components get delta-method SEs and profile-likelihood intervals (lme4's
``confint(method = "profile")``), as do the correlation and the ICC. lme4's checks are applied:
n observations <= n random effects (``check.nobs.vs.nRE``) and a singular fit (``isSingular``)
make the fit unusable (``on_unidentifiable`` and ``on_singular`` may ask for a refit with a
random intercept only). See docs/methods-mixed-prediction.md.

Tables: ``fixed_effects_covariance`` (``fixed_effects_covariance.csv``), the covariance matrix
of the fixed effects (lme4's ``vcov``: ``sigma^2 (X'V^{-1}X)^{-1}``; a ``term`` column, then
one column per fixed effect in the order of ``coefficients.csv``), from which the reports draw
confidence bands of model-predicted mean trajectories.
"""

from __future__ import annotations

import dataclasses
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
import threadpoolctl

from pipeline.models.base import (
    COEFFICIENT_COLUMNS,
    FitResult,
    ModelError,
    ModelInputs,
    NotEstimable,
)
from pipeline.models.mixed import _lmm, _lmm_inference

#: Timepoints whose measurements enter the models (during treatment).
TIMEPOINTS: tuple[str, ...] = ("intake", "interim", "end")
#: Name of the time variable of the analysis set: years since the start of treatment.
TIME = "years"
DAYS_PER_YEAR = 365.25

Engine = Literal["profiled", "statsmodels"]
OnSingular = Literal["report", "refit_without_slope"]
OnUnidentifiable = Literal["report", "refit_without_slope"]
#: Name of the fixed-effect covariance table (``fixed_effects_covariance.csv``).
COVARIANCE_TABLE = "fixed_effects_covariance"
VarianceCI = Literal["profile_ml", "profile_reml", "none"]


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
    on_singular: OnSingular = "report"
    variance_ci: VarianceCI = "profile_ml"
    on_unidentifiable: OnUnidentifiable = "report"


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
    singular: bool = False
    problem: _lmm.LMMProblem | None = None
    raw: _lmm.LMMFit | None = None


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
    return dataclasses.replace(fitted, warnings=tuple(messages))


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
        singular=result.singular,
        problem=problem,
        raw=result,
    )


def _fit_statsmodels(design: Design, reml: bool) -> EngineFit:
    """statsmodels ``MixedLM`` (the reference implementation), L-BFGS as docs/methods.md advises."""
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
        singular=bool(
            np.any(
                np.linalg.eigvalsh(np.asarray(result.cov_re, dtype=float))
                < 1e-8 * float(result.scale)
            )
        ),
    )


@dataclass(frozen=True)
class Inference:
    """Satterthwaite tests and variance-component intervals of one profiled-engine fit.

    Attributes
    ----------
    df
        Satterthwaite degrees of freedom of every fixed effect.
    basis
        What the Satterthwaite F tests of the blocks need.
    components
        Per ``var()``/``cov()`` row: estimate, delta-method SE, CI limits and how the CI was
        obtained.
    intervals
        Profile intervals of ``sd()``, ``cor()``, ``sigma`` and ``icc``.
    icc_se
        Delta-method SE of the ICC (``None`` without a random intercept).
    criterion
        Criterion profiled: ``ML`` (lme4's ``confint``) or ``REML``.
    """

    df: np.ndarray
    basis: _lmm_inference.SatterthwaiteBasis
    components: dict[str, dict[str, Any]]
    intervals: dict[str, _lmm_inference.Interval]
    icc_se: float | None
    criterion: str | None


def compute_inference(
    design: Design, fitted: EngineFit, ci_level: float, variance_ci: VarianceCI
) -> Inference | None:
    """Satterthwaite df and variance-component SEs and CIs (profiled engine only).

    Runs single-threaded, as the fit does: the blocks are small and multi-threaded BLAS makes
    each criterion evaluation several times slower on a shared machine.
    """
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        return _compute_inference(design, fitted, ci_level, variance_ci)


def _compute_inference(
    design: Design, fitted: EngineFit, ci_level: float, variance_ci: VarianceCI
) -> Inference | None:
    if fitted.problem is None or fitted.raw is None or not np.all(np.isfinite(fitted.beta)):
        return None
    problem, raw = fitted.problem, fitted.raw
    q = problem.q
    basis = _lmm_inference.satterthwaite_basis(problem, raw)
    df, _, _ = _lmm_inference.t_tests(basis)
    cov_components = _lmm_inference.delta_covariance(
        basis, raw, lambda t, s: _lmm_inference.components_of(t, s, q)
    )
    se_components = np.sqrt(np.maximum(np.diag(cov_components), 0.0))
    has_intercept = bool(design.z_names) and design.z_names[0] == "Intercept"
    icc_se = None
    if has_intercept:
        icc_cov = _lmm_inference.delta_covariance(
            basis, raw, lambda t, s: _lmm_inference.icc_of(t, s, q)
        )
        icc_se = float(math.sqrt(max(icc_cov[0, 0], 0.0)))
    intervals: dict[str, _lmm_inference.Interval] = {}
    criterion = None
    if variance_ci != "none":
        reml = variance_ci == "profile_reml"
        criterion = "REML" if reml else "ML"
        target = raw if reml else _lmm.fit(problem, reml=False)
        intervals = _lmm_inference.profile_intervals(
            problem, target, design.z_names, ci_level, with_icc=has_intercept
        )
    z_crit = float(scipy.stats.norm.ppf(0.5 + ci_level / 2.0))
    rows, cols = _lmm.theta_index(q)
    estimates = _lmm_inference.components_of(raw.theta, math.sqrt(raw.sigma2), q)
    names = [
        f"var({design.z_names[r]})" if r == c else f"cov({design.z_names[c]},{design.z_names[r]})"
        for r, c in zip(rows, cols, strict=True)
    ] + ["var(residual)"]
    sd_names = [
        f"sd({design.z_names[r]})" if r == c else None for r, c in zip(rows, cols, strict=True)
    ] + ["sigma"]
    components: dict[str, dict[str, Any]] = {}
    for name, sd_name, estimate, se in zip(names, sd_names, estimates, se_components, strict=True):
        interval = intervals.get(sd_name) if sd_name is not None else None
        if interval is not None:
            low, high = interval.lower**2, interval.upper**2
            method = f"{interval.method} ({criterion}), squared SD limits"
        else:
            low, high = estimate - z_crit * se, estimate + z_crit * se
            method = "Wald (delta-method SE)"
        components[name] = {
            "estimate": float(estimate),
            "std_error": float(se),
            "ci_low": float(low),
            "ci_high": float(high),
            "ci_method": method,
        }
    return Inference(
        df=df,
        basis=basis,
        components=components,
        intervals=intervals,
        icc_se=icc_se,
        criterion=criterion,
    )


def coefficient_table(
    design: Design, fitted: EngineFit, ci_level: float, inference: Inference | None = None
) -> pd.DataFrame:
    """Fixed effects then variance components, in the outputs.md schema.

    With ``inference`` (profiled engine): t tests and t intervals on Satterthwaite degrees of
    freedom, variance components with delta-method SEs and their CIs (profile likelihood for
    variances, Wald for covariances). Without: Wald z tests and intervals, empty
    variance-component SE/CI cells.
    """
    se = np.sqrt(np.diag(fitted.cov_beta))
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = fitted.beta / se
        if inference is not None:
            crit = scipy.stats.t.ppf(0.5 + ci_level / 2.0, inference.df)
            p_values = 2.0 * scipy.stats.t.sf(np.abs(statistic), inference.df)
        else:
            crit = np.full(len(se), float(scipy.stats.norm.ppf(0.5 + ci_level / 2.0)))
            p_values = 2.0 * scipy.stats.norm.sf(np.abs(statistic))
    fixed = pd.DataFrame(
        {
            "term": list(design.x_names),
            "estimate": fitted.beta,
            "std_error": se,
            "ci_low": fitted.beta - crit * se,
            "ci_high": fitted.beta + crit * se,
            "p_value": p_values,
        }
    )
    components = variance_components(design.z_names, fitted.cov_re, fitted.sigma2)
    rows = []
    for term, estimate in components.items():
        extra = inference.components.get(term) if inference is not None else None
        rows.append(
            {
                "term": term,
                "estimate": estimate,
                "std_error": np.nan if extra is None else extra["std_error"],
                "ci_low": np.nan if extra is None else extra["ci_low"],
                "ci_high": np.nan if extra is None else extra["ci_high"],
                "p_value": np.nan,
            }
        )
    variance = pd.DataFrame(rows, columns=list(COEFFICIENT_COLUMNS))
    table = pd.concat([fixed, variance], ignore_index=True)
    for column in COEFFICIENT_COLUMNS[1:]:
        table[column] = table[column].astype(float)
    return table


def variance_components(
    names: Sequence[str], cov_re: np.ndarray, sigma2: float
) -> dict[str, float]:
    """``var(<effect>)``, ``cov(<a>,<b>)`` and ``var(residual)`` as named in docs/outputs.md."""
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


def likelihood_ratio_tests(
    design: Design, spec: MixedSpec, inference: Inference | None = None
) -> dict[str, Any]:
    """ML refits of the full model and of the model without each block; chi-square LRT.

    The statistic ``2 (logL_full - logL_reduced)`` of the ML fits is referred to a chi-square
    with as many degrees of freedom as columns dropped. With ``inference``, each block also
    gets the Satterthwaite F test of the REML fit (lmerTest's ``contest``), under ``f_test``.
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
        if inference is not None:
            columns = np.concatenate([design.term_slices[t] for t in terms])
            f_test = _lmm_inference.f_test(inference.basis, columns)
            tests[name]["f_test"] = {
                **f_test,
                "method": "Satterthwaite F test of the REML fit (lmerTest contest)",
            }
    return tests


def fit_mixed(
    frame: pd.DataFrame, spec: MixedSpec, flow: Mapping[str, int] | None = None
) -> FitResult:
    """Fit one mixed model to its analysis set and assemble the docs/outputs.md files.

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
    n_obs = len(design.y)
    n_groups = int(pd.Series(design.groups).nunique())
    n_re = n_groups * design.z.shape[1]
    identifiable = n_obs > n_re
    can_drop_slope = len(design.z_names) > 1 and design.z_names[0] == "Intercept"
    if not identifiable and spec.on_unidentifiable == "refit_without_slope" and can_drop_slope:
        return _refit_intercept_only(
            frame,
            spec,
            flow,
            design,
            f"number of observations ({n_obs}) <= number of random effects ({n_re}) for "
            f"{spec.re_formula} | {spec.groups} (lme4 check.nobs.vs.nRE): refitted with a random "
            "intercept only (on_unidentifiable: refit_without_slope)",
            "not identifiable",
        )
    fitted = fit_design(design, spec.engine, reml=True)
    if fitted.singular and spec.on_singular == "refit_without_slope" and can_drop_slope:
        return _refit_intercept_only(
            frame,
            spec,
            flow,
            design,
            f"boundary (singular) fit with re_formula {spec.re_formula}: refitted with a random "
            "intercept only (on_singular: refit_without_slope)",
            "singular",
        )
    inference = (
        compute_inference(design, fitted, spec.ci_level, spec.variance_ci) if identifiable else None
    )
    coefficients = coefficient_table(design, fitted, spec.ci_level, inference)
    components = variance_components(design.z_names, fitted.cov_re, fitted.sigma2)
    lrt = likelihood_ratio_tests(design, spec, inference)
    all_warnings = list(fitted.warnings)
    if design.dropped:
        all_warnings.insert(
            0,
            f"fixed-effect model matrix is rank deficient so dropping {len(design.dropped)} "
            f"column(s): {', '.join(design.dropped)}",
        )
    if not identifiable:
        all_warnings.insert(
            0,
            f"number of observations ({n_obs}) <= number of random effects ({n_re}) for "
            f"{spec.re_formula} | {spec.groups}: the random-effects parameters and the residual "
            "variance are probably unidentifiable (lme4 check.nobs.vs.nRE stops here)",
        )
    if fitted.singular and spec.on_singular == "report":
        all_warnings.append(
            "the fit is singular and not usable as it stands (on_singular: report); "
            "on_singular: refit_without_slope refits with a random intercept only"
        )
    lrt_converged = all(test["converged"] for test in lrt.values())
    if not lrt_converged:
        all_warnings.append("an ML refit for a likelihood-ratio test did not converge")
    failed = [
        i.name for i in (inference.intervals.values() if inference else []) if "failed" in i.method
    ]
    if failed:
        all_warnings.append(f"profile interval not found for {', '.join(failed)}")
    intercept_var = components.get("var(Intercept)")
    icc = (
        intercept_var / (intercept_var + fitted.sigma2)
        if intercept_var is not None and math.isfinite(intercept_var)
        else None
    )
    unusable_reasons = []
    if not fitted.converged:
        unusable_reasons.append("did not converge")
    if not identifiable:
        unusable_reasons.append("not identifiable: n observations <= n random effects")
    if fitted.singular:
        unusable_reasons.append("singular (boundary) fit")
    df = inference.df if inference is not None else None
    fixed_rows = coefficients.iloc[: len(design.x_names)]
    icc_interval = inference.intervals.get("icc") if inference is not None else None
    metrics: dict[str, Any] = {
        "engine": spec.engine,
        "method": "REML",
        "converged": bool(fitted.converged),
        "usable": not unusable_reasons,
        "unusable_reasons": unusable_reasons,
        "singular": bool(fitted.singular),
        "identifiable": bool(identifiable),
        "on_singular": spec.on_singular,
        "on_unidentifiable": spec.on_unidentifiable,
        "checks": {
            "n_observations": n_obs,
            "n_random_effects": n_re,
            "nobs_vs_nre": "ok" if identifiable else "n observations <= n random effects",
            "singular": bool(fitted.singular),
            "singular_tol": _lmm.SINGULAR_TOL,
            "singular_definition": "lme4 isSingular: a diagonal element of the relative "
            "covariance factor Lambda (theta with lower bound 0) below singular_tol",
        },
        "warnings": all_warnings,
        "n_trajectories": n_groups,
        "n_measurements": n_obs,
        "n_fixed_effects": len(design.x_names),
        "fixed_effects_dropped": list(design.dropped),
        "reml_criterion": -2.0 * fitted.loglik,
        "loglik_reml": fitted.loglik,
        "optimizer_iterations": fitted.iterations,
        "fixed_effects_inference": (
            "t tests and t intervals on Satterthwaite degrees of freedom (lmerTest)"
            if inference is not None
            else "Wald z tests and normal intervals"
        ),
        "fixed_effects": {
            str(term): {
                "estimate": float(estimate),
                "std_error": float(se),
                "df": None if df is None else float(df[i]),
                "statistic": float(estimate) / float(se) if float(se) > 0 else None,
                "ci_low": float(low),
                "ci_high": float(high),
                "p_value": float(p_value),
            }
            for i, (term, estimate, se, low, high, p_value) in enumerate(
                fixed_rows[list(COEFFICIENT_COLUMNS)].itertuples(index=False, name=None)
            )
        },
        "variance_components": components,
        "variance_components_inference": (
            None
            if inference is None
            else {
                "components": inference.components,
                "profile": {
                    name: {
                        "estimate": interval.estimate,
                        "ci_low": interval.lower,
                        "ci_high": interval.upper,
                        "method": interval.method,
                    }
                    for name, interval in inference.intervals.items()
                },
                "profile_criterion": inference.criterion,
                "std_error_method": "delta method from the inverse Hessian of the REML "
                "criterion in (theta, sigma)",
            }
        ),
        "random_effects_correlation": correlations(design.z_names, fitted.cov_re),
        "random_effects_correlation_ci": {
            name: {"ci_low": interval.lower, "ci_high": interval.upper, "method": interval.method}
            for name, interval in (inference.intervals.items() if inference else [])
            if name.startswith("cor(")
        },
        "icc": {
            "value": icc,
            "std_error": None if inference is None else inference.icc_se,
            "ci_low": None if icc_interval is None else icc_interval.lower,
            "ci_high": None if icc_interval is None else icc_interval.upper,
            "ci_method": None
            if icc_interval is None
            else f"{icc_interval.method} ({inference.criterion if inference else ''}) in "
            "(icc, cor, sd, sigma)",
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
    covariance = pd.DataFrame(
        np.asarray(fitted.cov_beta, dtype=float), columns=list(design.x_names)
    )
    covariance.insert(0, "term", list(design.x_names))
    return FitResult(
        coefficients=coefficients,
        metrics=_json_clean(metrics),
        tables={COVARIANCE_TABLE: covariance},
    )


def _refit_intercept_only(
    frame: pd.DataFrame,
    spec: MixedSpec,
    flow: Mapping[str, int] | None,
    design: Design,
    message: str,
    why: str,
) -> FitResult:
    """The fit with a random intercept only, saying why and what was dropped."""
    refit = fit_mixed(frame, dataclasses.replace(spec, re_formula="~1"), flow)
    refit_metrics = dict(refit.metrics)
    refit_metrics["refitted_without"] = list(design.z_names[1:])
    refit_metrics["re_formula_requested"] = spec.re_formula
    refit_metrics["refit_reason"] = why
    refit_metrics["warnings"] = [message, *refit_metrics["warnings"]]
    return FitResult(
        coefficients=refit.coefficients, metrics=refit_metrics, tables=dict(refit.tables)
    )


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
