"""Estimators of the survival family, on a plain time-to-event frame (lifelines).

Every function takes durations and event indicators (any time unit) and returns numbers laid out
as R's ``survival`` package reports them, so that ``tests/reference/survival_reference.R`` can
check them to 1e-4 (Therneau 2024, ``survival`` 3.5).

Kaplan-Meier (Kaplan & Meier 1958)
    lifelines ``KaplanMeierFitter``: the product-limit estimate at every distinct time, with the
    numbers at risk, events and censored; the Greenwood (1926) variance; pointwise confidence
    intervals on the log(-log S) scale (Kalbfleisch & Prentice 1980; lifelines' default, R's
    ``conf.type = "log-log"``), left empty where S is 0 or 1 as R does. Quantiles (the median)
    with R's rule: the first time S <= 1 - p, the midpoint of a flat stretch at exactly 1 - p;
    the confidence interval of a quantile is where the confidence limits cross it (Brookmeyer &
    Crowley 1982).
Log-rank test (Mantel 1966; Peto & Peto 1972)
    lifelines ``multivariate_logrank_test`` (R's ``survdiff``, rho = 0): chi-square with
    (groups - 1) degrees of freedom.
Cox proportional hazards (Cox 1972)
    lifelines ``CoxPHFitter``: maximum partial likelihood with Efron's (1977) handling of tied
    event times (R's ``coxph`` default; lifelines has no other), Newton-Raphson run to a tight
    tolerance; Wald standard errors, confidence intervals and p-values; hazard ratios exp(beta).
    Concordance (Harrell et al. 1996) of the linear predictor with the *negated* risk, so that a
    higher predicted hazard must go with a shorter time: C > 0.5 means the model orders
    trajectories in the right direction (R's ``concordance`` of a ``coxph`` fit).
Proportional-hazards check (Grambsch & Therneau 1994)
    Per term and global, the score test of adding x * g(t) terms. ``ph_test = "exact"``
    (default; :func:`zph_exact`): at the fitted beta with the full information matrix of
    (beta, gamma) and Efron ties, as R's ``cox.zph`` computes it since survival 3.0 (checked
    against survival 3.5-3 to 1e-6, ``terms = FALSE``: one test per coefficient).
    ``ph_test = "approximate"``: lifelines ``proportional_hazard_test``, the formula of
    ``cox.zph`` up to survival 2.44. The time transform g is R's default ``km`` (1 - the
    left-continuous Kaplan-Meier estimate at each event time; lifelines' own ``km`` uses the
    right-continuous one), or ``rank``, ``identity`` or ``log``.

References
----------
Kaplan EL, Meier P (1958). JASA 53, 457-481. Greenwood M (1926). Reports on Public Health and
Medical Subjects 33. Kalbfleisch JD, Prentice RL (1980). The Statistical Analysis of Failure Time
Data. Brookmeyer R, Crowley J (1982). Biometrics 38, 29-41. Mantel N (1966). Cancer Chemother
Rep 50, 163-170. Cox DR (1972). JRSS B 34, 187-220. Efron B (1977). JASA 72, 557-565. Harrell FE,
Lee KL, Mark DB (1996). Stat Med 15, 361-387. Grambsch PM, Therneau TM (1994). Biometrika 81,
515-526.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.stats
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import concordance_index

from pipeline.models.base import COEFFICIENT_COLUMNS, ModelError, NotEstimable

TimeTransform = Literal["km", "rank", "identity", "log"]
PHTestMethod = Literal["exact", "approximate"]
#: A column of numbers (durations, event indicators): array, Series or list.
Vector = np.ndarray | pd.Series | Sequence[float]

#: Columns of a Kaplan-Meier table (one row per distinct time, R's ``summary(censored=TRUE)``).
KM_COLUMNS: tuple[str, ...] = (
    "time",
    "n_at_risk",
    "n_events",
    "n_censored",
    "survival",
    "std_error",
    "ci_low",
    "ci_high",
)
#: Extra columns of the Cox coefficients, after :data:`~pipeline.models.base.COEFFICIENT_COLUMNS`.
HAZARD_RATIO_COLUMNS: tuple[str, ...] = ("hazard_ratio", "hr_ci_low", "hr_ci_high")
#: Newton-Raphson settings of lifelines: tight enough that estimates are the optimum to ~1e-9.
COX_FIT_OPTIONS: Mapping[str, float] = {"precision": 1e-11, "r_precision": 1e-13}
#: A log-hazard-ratio standard error above this means a flat (monotone) likelihood: the term's
#: estimate runs off to infinity (a genuine estimate from a handful of events is below 5).
SEPARATION_SE = 20.0
#: R's tolerance for a flat stretch of the survival curve at exactly 1 - p.
QUANTILE_TOLERANCE = math.sqrt(np.finfo(float).eps)


# --- Kaplan-Meier ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier estimate.

    Attributes
    ----------
    table
        :data:`KM_COLUMNS`, one row per distinct observed time (event or censoring), ascending.
        ``std_error`` is the Greenwood standard error of S (empty where S = 0); ``ci_low`` and
        ``ci_high`` are the log(-log) limits (empty where S is 0 or 1).
    n, events
        Units and events.
    median, median_ci_low, median_ci_high
        Median time and its confidence interval (NaN when not reached).
    """

    table: pd.DataFrame
    n: int
    events: int
    median: float
    median_ci_low: float
    median_ci_high: float

    def at(self, times: Vector) -> pd.DataFrame:
        """S, its SE and CI and the number at risk at ``times`` (R's ``summary(fit, times=)``).

        The number at risk at t counts units with duration >= t; S(t) is the estimate after
        every event at or before t. Times after the last observed time give NaN.
        """
        table = self.table
        t = np.asarray(times, dtype=float)
        grid = table["time"].to_numpy(dtype=float)
        at_or_before = np.searchsorted(grid, t, side="right") - 1
        at_or_after = np.searchsorted(grid, t, side="left")
        risk = np.append(table["n_at_risk"].to_numpy(dtype=np.int64), 0)
        out = pd.DataFrame({"time": t, "n_at_risk": risk[at_or_after]})
        last = grid[-1] if len(grid) else -math.inf
        for column, before_first in (
            ("survival", 1.0),
            ("std_error", 0.0),
            ("ci_low", math.nan),
            ("ci_high", math.nan),
        ):
            values = np.append(table[column].to_numpy(dtype=float), math.nan)
            picked = np.where(at_or_before >= 0, values[at_or_before], before_first)
            out[column] = np.where(t > last, math.nan, picked)
        return out


def kaplan_meier(duration: Vector, event: Vector, ci_level: float = 0.95) -> KaplanMeier:
    """Kaplan-Meier estimate with Greenwood SEs and log(-log) CIs (see the module docstring).

    Parameters
    ----------
    duration
        Non-negative times.
    event
        1 (or True) for an event, 0 for right-censoring.
    ci_level
        Level of the pointwise intervals and of the median's interval.
    """
    t = np.asarray(duration, dtype=float)
    d = np.asarray(event, dtype=float)
    if len(t) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in KM_COLUMNS})
        return KaplanMeier(empty, 0, 0, math.nan, math.nan, math.nan)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fitter = KaplanMeierFitter(alpha=1.0 - ci_level).fit(t, event_observed=d)
        counts = fitter.event_table
        survival = fitter.survival_function_.iloc[:, 0]
        limits = fitter.confidence_interval_
        observed = counts[counts["removed"] > 0]
        at_risk = observed["at_risk"].to_numpy(dtype=float)
        events = observed["observed"].to_numpy(dtype=float)
        greenwood = np.cumsum(events / (at_risk * (at_risk - events)))
        times = observed.index.to_numpy(dtype=float)
        surv = survival.loc[times].to_numpy(dtype=float)
        low = limits.iloc[:, 0].loc[times].to_numpy(dtype=float)
        high = limits.iloc[:, 1].loc[times].to_numpy(dtype=float)
        std_error = np.where(surv > 0, surv * np.sqrt(greenwood), math.nan)
    interior = (surv > 0) & (surv < 1)
    table = pd.DataFrame(
        {
            "time": times,
            "n_at_risk": at_risk.astype(np.int64),
            "n_events": events.astype(np.int64),
            "n_censored": observed["censored"].to_numpy(dtype=np.int64),
            "survival": surv,
            "std_error": std_error,
            "ci_low": np.where(interior, np.minimum(low, high), math.nan),
            "ci_high": np.where(interior, np.maximum(low, high), math.nan),
        }
    ).reset_index(drop=True)
    x = np.concatenate([[0.0], times])
    return KaplanMeier(
        table=table,
        n=len(t),
        events=int(d.sum()),
        median=quantile_time(x, np.concatenate([[0.0], 1.0 - surv]), 0.5),
        median_ci_low=quantile_time(x, np.concatenate([[0.0], 1.0 - table["ci_low"]]), 0.5),
        median_ci_high=quantile_time(x, np.concatenate([[0.0], 1.0 - table["ci_high"]]), 0.5),
    )


def quantile_time(x: np.ndarray, y: np.ndarray, p: float) -> float:
    """Time at which a cumulative-incidence step curve ``y`` (= 1 - S) first reaches ``p``.

    R's ``survival:::findq`` (``quantile.survfit``): ``x`` = 0 followed by the survfit times,
    ``y`` = 0 followed by 1 - S (or 1 - a confidence limit). Where the curve is flat at exactly
    ``p`` (within :data:`QUANTILE_TOLERANCE`) the quantile is the midpoint of the flat stretch;
    a flat stretch at the end ends at the last time. NaN when ``p`` is never reached.
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    tol = QUANTILE_TOLERANCE
    # R returns NA when max(y) < p; within the tolerance here, because lifelines computes S as
    # exp(sum(log(1 - d/n))), a hair off R's exact product (0.5000000000000001 for 0.5).
    if np.all(np.isnan(ys)) or np.nanmax(ys) < p - tol:
        return math.nan
    x_max = xs[-1]
    first = ~pd.Series(ys).duplicated().to_numpy()
    xs, ys = xs[first], ys[first]

    def first_at_or_above(shift: float) -> int | None:
        # approx(y + shift, 1:n, p, method = "constant", f = 1) in R.
        ok = ~np.isnan(ys)
        knots = ys[ok] + shift
        positions = np.flatnonzero(ok)
        order = np.argsort(knots, kind="stable")
        knots, positions = knots[order], positions[order]
        if len(knots) == 0 or p < knots[0] or p > knots[-1]:
            return None
        return int(positions[np.searchsorted(knots, p, side="left")])

    low, high = first_at_or_above(tol), first_at_or_above(-tol)
    if p == 0:
        return float(xs[0])
    if not np.isnan(ys[-1]) and abs(p - ys[-1]) < tol and low is not None:
        return float((xs[low] + x_max) / 2.0)
    if low is None or high is None:
        return math.nan
    return float((xs[low] + xs[high]) / 2.0)


def numbers_at_risk(duration: Vector, event: Vector, times: Vector) -> pd.DataFrame:
    """Numbers at risk (duration >= t) and cumulative events (at or before t) at ``times``."""
    t = np.asarray(duration, dtype=float)
    d = np.asarray(event, dtype=bool)
    return pd.DataFrame(
        {
            "time": np.asarray(times, dtype=float),
            "n_at_risk": [int((t >= x).sum()) for x in times],
            "cumulative_events": [int((d & (t <= x)).sum()) for x in times],
        }
    )


# --- log-rank ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRank:
    """A log-rank test; ``statistic`` is ``None`` when the test is not defined (``message``)."""

    statistic: float | None
    df: int | None
    p_value: float | None
    n: int
    events: int
    levels: int
    message: str | None = None


def logrank(duration: Vector, event: Vector, groups: Sequence[Any] | pd.Series) -> LogRank:
    """Log-rank test of equal hazards across ``groups`` (R's ``survdiff``)."""
    t = np.asarray(duration, dtype=float)
    d = np.asarray(event, dtype=float)
    labels = np.asarray([str(g) for g in groups], dtype=object)
    n, events, levels = len(t), int(d.sum()), len(set(labels))
    if levels < 2:
        return LogRank(None, None, None, n, events, levels, "fewer than two groups with data")
    if events == 0:
        return LogRank(None, None, None, n, events, levels, "no events: log-rank test undefined")
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = multivariate_logrank_test(t, labels, d)
    statistic = float(result.test_statistic)
    if not math.isfinite(statistic):
        return LogRank(None, None, None, n, events, levels, "log-rank statistic not finite")
    return LogRank(
        statistic, int(result.degrees_of_freedom), float(result.p_value), n, events, levels
    )


# --- Cox proportional hazards -------------------------------------------------------------------


@dataclass(frozen=True)
class CoxSpec:
    """What to fit: covariate columns and the settings of one Cox model."""

    covariates: tuple[str, ...]
    reference_levels: Mapping[str, str] = field(default_factory=dict)
    penalizer: float = 0.0
    ci_level: float = 0.95
    ph_time_transform: TimeTransform = "km"
    ph_test: PHTestMethod = "exact"


@dataclass(frozen=True)
class Design:
    """The covariate matrix of a Cox model on complete cases.

    Attributes
    ----------
    x
        One float column per term (numeric covariates as they are; categorical covariates as
        0/1 indicators ``name[T.level]`` against the reference level), rows = complete cases.
    terms
        Requested terms in order (including those dropped as not estimable).
    rows
        Boolean mask over the input frame: complete cases.
    messages
        Reference-level fall-backs and the like.
    indicators
        For each indicator term of a categorical covariate, its (column, level).
    """

    x: pd.DataFrame
    terms: tuple[str, ...]
    rows: np.ndarray
    messages: tuple[str, ...]
    indicators: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def build_design(
    frame: pd.DataFrame, covariates: Sequence[str], reference_levels: Mapping[str, str]
) -> Design:
    """Treatment-coded covariate matrix (patsy's term names) on the complete cases.

    Text, categorical and boolean columns are categorical: reference level from
    ``reference_levels`` (or the first level in sorted order), one indicator per other level
    present. Every other column is numeric. Rows missing any covariate are dropped.
    """
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise ModelError(f"analysis set has no column(s) {', '.join(missing)}")
    rows = np.ones(len(frame), dtype=bool)
    for column in covariates:
        rows &= frame[column].notna().to_numpy(dtype=bool)
    data = frame.loc[rows, list(covariates)]
    columns: dict[str, np.ndarray] = {}
    indicators: dict[str, tuple[str, str]] = {}
    messages: list[str] = []
    for column in covariates:
        values = data[column]
        if _is_categorical(values):
            text = values.astype(str)
            present = sorted(text.unique())
            reference = reference_levels.get(column)
            if reference is None and present:
                reference = present[0]
            elif reference not in present and present:
                messages.append(
                    f"{column}: reference level '{reference}' does not occur in the analysis "
                    f"set; '{present[0]}' used instead"
                )
                reference = present[0]
            for level in present:
                if level != reference:
                    columns[f"{column}[T.{level}]"] = (text == level).to_numpy(dtype=float)
                    indicators[f"{column}[T.{level}]"] = (column, level)
        else:
            columns[column] = values.astype(float).to_numpy()
    x = pd.DataFrame(columns, index=data.index)
    return Design(
        x=x, terms=tuple(columns), rows=rows, messages=tuple(messages), indicators=indicators
    )


def _is_categorical(values: pd.Series) -> bool:
    return bool(
        pd.api.types.is_object_dtype(values)
        or pd.api.types.is_string_dtype(values)
        or isinstance(values.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(values)
    )


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model laid out for the outputs.

    Attributes
    ----------
    coefficients
        :data:`~pipeline.models.base.COEFFICIENT_COLUMNS` then :data:`HAZARD_RATIO_COLUMNS`,
        one row per requested term (NaN for a term that could not be estimated).
    metrics
        JSON-able figures (n, events, concordance, PH tests, messages, warnings ...).
    tables
        ``ph_test`` (per term and global) and ``schoenfeld_residuals`` (long: event time, g(t),
        term, beta + scaled residual, the estimate of beta(t) to plot).
    """

    coefficients: pd.DataFrame
    metrics: dict[str, Any]
    tables: dict[str, pd.DataFrame]


def fit_cox(
    frame: pd.DataFrame, spec: CoxSpec, duration: str = "duration", event: str = "event"
) -> CoxResult:
    """Fit a Cox model with Efron ties and check proportional hazards (module docstring).

    Terms that cannot be estimated are reported, never silently kept (R would print a
    coefficient running off to infinity with a warning). Monotone likelihood is detected
    before the fit -- a level of a categorical covariate without events (its trajectories are
    left out, so that the reference level keeps its meaning), a 0/1 term without events at one
    of its values, a constant term (left out of the model) -- and after it: a term whose
    standard error exceeds :data:`SEPARATION_SE` (e.g. a one-trajectory level whose event comes
    first) is treated the same way and the model is refitted. Each gets a message and appears
    with empty numbers. Without events nothing is fitted. lifelines' warnings, of every fit,
    are captured into ``metrics["warnings"]``; ``converged`` is that of the final fit.
    """
    design = build_design(frame, spec.covariates, spec.reference_levels)
    messages = list(design.messages)
    x_all = design.x
    t_all = frame.loc[design.rows, duration].astype(float).to_numpy()
    e_all = frame.loc[design.rows, event].astype(float).to_numpy()
    keep = np.ones(len(x_all), dtype=bool)
    dropped: set[str] = set()
    captured: list[str] = []
    metrics: dict[str, Any] = {
        "ties": "efron",
        "penalizer": float(spec.penalizer),
        "ci_level": float(spec.ci_level),
        "terms_requested": list(design.terms),
    }

    def exclude_level(term: str, why: str) -> None:
        nonlocal keep
        column, level = design.indicators[term]
        at = (x_all[term].to_numpy() == 1.0) & keep
        keep = keep & ~at
        dropped.add(term)
        messages.append(
            f"{column} = {level}: {why} ({int(at.sum())} trajectories; hazard ratio not "
            "estimable: monotone likelihood); they are left out of the model"
        )

    fitter: CoxPHFitter | None = None
    data = pd.DataFrame()
    usable: list[str] = []
    final_warnings: list[str] = []
    for _ in range(len(design.terms) + 1):
        for term in design.indicators:
            at = (x_all[term].to_numpy() == 1.0) & keep
            if term not in dropped and at.any() and e_all[at].sum() == 0:
                exclude_level(term, "no events")
        for term in design.terms:
            if term in dropped:
                continue
            reason = _inestimable(x_all[term].to_numpy()[keep], e_all[keep])
            if reason:
                dropped.add(term)
                messages.append(f"{term}: {reason}; left out of the model")
        usable = [term for term in design.terms if term not in dropped]
        metrics.update(
            n=int(keep.sum()),
            events=int(e_all[keep].sum()),
            n_incomplete_covariates_excluded=int((~design.rows).sum()),
            n_excluded_inestimable_levels=int((~keep).sum()),
            terms_fitted=usable,
        )
        if e_all[keep].sum() == 0 or not usable:
            why = "no events" if e_all[keep].sum() == 0 else "no estimable term"
            metrics.update(messages=messages, warnings=captured)
            raise NotEstimable(
                f"{why} among {int(keep.sum())} analysed trajectories: the Cox model is not "
                "estimable",
                metrics,
            )
        data = x_all.loc[keep, usable].reset_index(drop=True)
        data["_T"] = t_all[keep]
        data["_E"] = e_all[keep]
        final_warnings = []
        with _capture(final_warnings):
            try:
                fitter = CoxPHFitter(penalizer=spec.penalizer, alpha=1.0 - spec.ci_level)
                fitter.fit(data, "_T", "_E", fit_options=dict(COX_FIT_OPTIONS))
            except ConvergenceError as exc:
                fitter = None
                messages.append(f"the Cox fit failed: {str(exc).splitlines()[0][:200]}")
        if fitter is None:
            captured.extend(w for w in final_warnings if w not in captured)
            metrics.update(_empty_fit_metrics(status="failed"))
            metrics.update(messages=messages, warnings=captured)
            return CoxResult(_coefficient_frame(design.terms, None), metrics, {})
        errors = fitter.standard_errors_
        separated = [t for t in usable if not (errors[t] <= SEPARATION_SE)]
        prefix = "(fit before leaving out a term) " if separated else ""
        captured.extend(prefix + w for w in final_warnings if prefix + w not in captured)
        if not separated:
            break
        for term in separated:
            if term in design.indicators:
                exclude_level(term, "its estimate runs off to infinity")
            else:
                dropped.add(term)
                messages.append(
                    f"{term}: the estimate runs off to infinity (standard error above "
                    f"{SEPARATION_SE:g}: monotone likelihood); left out of the model"
                )
    assert fitter is not None
    with _capture(captured):
        factors: dict[str, list[str]] = {}
        for term, (column, _level) in design.indicators.items():
            factors.setdefault(column, []).append(term)
        ph = ph_tests(fitter, data, spec.ph_time_transform, spec.ph_test, factors)
        summary = fitter.summary
        lrt = fitter.log_likelihood_ratio_test()
        linear_predictor = data[usable].to_numpy() @ fitter.params_.to_numpy()
        # Higher risk (linear predictor) must mean a shorter time: score = -linear predictor.
        concordance = float(concordance_index(data["_T"], -linear_predictor, data["_E"]))
    if spec.penalizer > 0 and spec.ph_test == "exact":
        messages.append(
            "penalizer > 0: the PH test uses the unpenalised information matrix (R's cox.zph "
            "adds the penalty's)"
        )
    converged = not any(w.startswith(ConvergenceWarning.__name__) for w in final_warnings)
    metrics.update(
        status="fitted",
        converged=converged,
        log_likelihood=float(fitter.log_likelihood_),
        log_likelihood_null=float(fitter.log_likelihood_) - float(lrt.test_statistic) / 2.0,
        likelihood_ratio_test={
            "statistic": float(lrt.test_statistic),
            "df": int(lrt.degrees_freedom),
            "p_value": float(lrt.p_value),
        },
        concordance=concordance,
        concordance_definition=(
            "Harrell's C of the linear predictor: the share of comparable pairs in which the "
            "trajectory with the higher predicted hazard has the shorter time (ties in the "
            "predictor count 1/2); 0.5 = no discrimination"
        ),
        proportional_hazards=ph.metrics,
    )
    metrics.update(messages=messages, warnings=captured)
    tables = {"ph_test": ph.table, "schoenfeld_residuals": ph.residuals}
    if spec.ph_test == "exact" and len(ph.factors):
        tables["ph_test_factors"] = ph.factors
    return CoxResult(_coefficient_frame(design.terms, summary), metrics, tables)


def _inestimable(x: np.ndarray, event: np.ndarray) -> str | None:
    """Why a term cannot be estimated, or ``None``."""
    values = np.unique(x)
    if len(values) < 2:
        return "constant in the analysis set"
    if len(values) == 2 and set(values.tolist()) <= {0.0, 1.0}:
        for value in (1.0, 0.0):
            at = x == value
            if event[at].sum() == 0:
                return (
                    f"no events among the {int(at.sum())} with value {value:g} (monotone "
                    "likelihood: the hazard ratio is not estimable)"
                )
    return None


def _empty_fit_metrics(status: str) -> dict[str, Any]:
    return {
        "status": status,
        "converged": False,
        "log_likelihood": None,
        "log_likelihood_null": None,
        "likelihood_ratio_test": None,
        "concordance": None,
        "proportional_hazards": None,
    }


def _coefficient_frame(terms: Sequence[str], summary: pd.DataFrame | None) -> pd.DataFrame:
    rows = []
    for term in terms:
        if summary is not None and term in summary.index:
            columns = [
                "coef",
                "se(coef)",
                _ci_column(summary, "coef lower"),
                _ci_column(summary, "coef upper"),
                "p",
            ]
            estimate, se, low, high, p = summary.loc[[term], columns].to_numpy(dtype=float)[0]
        else:
            estimate = se = low = high = p = math.nan
        with np.errstate(over="ignore"):
            ratios = np.exp([estimate, low, high])
        rows.append([term, estimate, se, low, high, p, *ratios])
    names = [*COEFFICIENT_COLUMNS, *HAZARD_RATIO_COLUMNS]
    frame = pd.DataFrame(rows, columns=names)
    return frame.astype({c: float for c in names[1:]})


def _ci_column(summary: pd.DataFrame, prefix: str) -> str:
    return next(c for c in summary.columns if str(c).startswith(prefix))


@dataclass(frozen=True)
class PHTests:
    metrics: dict[str, Any]
    table: pd.DataFrame
    residuals: pd.DataFrame
    factors: pd.DataFrame = field(default_factory=pd.DataFrame)


def time_transform(kind: TimeTransform) -> Callable[[pd.Series, pd.Series, Any], pd.Series]:
    """g(t) of the Grambsch-Therneau test, as R's ``cox.zph`` defines it.

    The callable follows lifelines' ``proportional_hazard_test`` signature (durations, events,
    weights) and returns a value for every row; only event rows are used. ``km`` is
    1 - the left-continuous Kaplan-Meier estimate at the event time (R), ``rank`` the average
    rank among event times, ``identity`` the time, ``log`` its logarithm.
    """

    def transform(durations: pd.Series, events: pd.Series, weights: Any) -> pd.Series:
        t = np.asarray(durations, dtype=float)
        d = np.asarray(events, dtype=bool)
        if kind == "identity":
            values = t
        elif kind == "log":
            with np.errstate(divide="ignore"):
                values = np.log(t)
        elif kind == "rank":
            values = np.full(len(t), np.nan)
            values[d] = scipy.stats.rankdata(t[d], method="average")
        else:
            values = 1.0 - _km_left_continuous(t, d)
        return pd.Series(values, index=getattr(durations, "index", None))

    return transform


def _km_left_continuous(t: np.ndarray, d: np.ndarray) -> np.ndarray:
    """S(t-) of the Kaplan-Meier estimate, at each row's time."""
    times = np.unique(t[d])
    at_risk = np.array([(t >= u).sum() for u in times], dtype=float)
    deaths = np.array([(d & (t == u)).sum() for u in times], dtype=float)
    survival = np.cumprod(1.0 - deaths / at_risk)
    before = np.concatenate([[1.0], survival])
    return before[np.searchsorted(times, t, side="left")]


def ph_tests(
    fitter: CoxPHFitter,
    data: pd.DataFrame,
    transform: TimeTransform,
    method: PHTestMethod = "exact",
    factors: Mapping[str, Sequence[str]] | None = None,
) -> PHTests:
    """Proportional-hazards tests per term and global, and scaled Schoenfeld residuals.

    ``method="exact"``: R's ``cox.zph`` of survival >= 3.0 (3.5-3; :func:`zph_exact`);
    ``"approximate"``: the Grambsch & Therneau (1994) approximation of survival <= 2.44
    (lifelines ``proportional_hazard_test``). Undefined (``None``, with a message) when every
    event has the same transformed time. With ``exact``, ``factors`` (covariate -> its
    indicator terms, two or more) also get one joint test each (R's ``terms = TRUE``), in the
    table ``ph_test_factors`` and ``metrics["factors"]``. The residual table (for plots) is the 1994 scaling
    either way.
    """
    g = time_transform(transform)
    residuals = fitter.compute_residuals(data, kind="schoenfeld")
    terms = [str(term) for term in fitter.params_.index]
    event_times = data.loc[residuals.index, "_T"].to_numpy(dtype=float)
    gt = g(data["_T"], data["_E"].astype(bool), None).loc[residuals.index].to_numpy(dtype=float)
    centred = gt - gt.mean()
    variance = fitter.variance_matrix_.loc[residuals.columns, residuals.columns].to_numpy()
    n_events = len(residuals)
    statistics = dict.fromkeys(terms, math.nan)
    factor_statistics: dict[str, tuple[float, int]] = {}
    global_statistic = math.nan
    message = None
    if np.isfinite(centred).all() and (centred**2).sum() > 0:
        if method == "exact":
            exact = zph_exact(
                data[terms].to_numpy(dtype=float),
                data["_T"].to_numpy(dtype=float),
                data["_E"].to_numpy(dtype=float),
                fitter.params_.loc[terms].to_numpy(dtype=float),
                transform,
            )
            statistics = dict(zip(terms, exact.per_term.tolist(), strict=True))
            global_statistic = exact.global_statistic
            if not np.isfinite([*exact.per_term, global_statistic]).all():
                message = (
                    "the information matrix of the PH test is singular (too few events for "
                    f"{len(terms)} terms): the tests that need its inverse are undefined"
                )
            for column, members in (factors or {}).items():
                positions = [terms.index(m) for m in members if m in terms]
                if len(positions) >= 2:
                    factor_statistics[column] = (zph_block(exact, positions), len(positions))
        else:
            summary = proportional_hazard_test(fitter, data, time_transform=g).summary
            statistics = {t: float(summary.loc[t, "test_statistic"]) for t in terms}
            score = centred @ residuals.to_numpy()
            global_statistic = float(score @ variance @ score * n_events / (centred**2).sum())
    else:
        message = "every event at the same transformed time: the PH test is undefined"
    per_term = {
        term: {
            "statistic": _finite(statistic),
            "df": 1,
            "p_value": _finite(float(scipy.stats.chi2.sf(statistic, 1))),
        }
        for term, statistic in statistics.items()
    }
    global_df = len(terms)
    global_p = float(scipy.stats.chi2.sf(global_statistic, global_df))
    scaled = n_events * residuals.to_numpy() @ variance + fitter.params_.to_numpy()
    table = pd.DataFrame(
        [[term, statistics[term], 1, v["p_value"]] for term, v in per_term.items()]
        + [["GLOBAL", global_statistic, global_df, global_p]],
        columns=["term", "statistic", "df", "p_value"],
    ).astype({"statistic": float, "p_value": float})
    long = pd.DataFrame(
        {
            "time": np.repeat(event_times, len(terms)),
            "g_time": np.repeat(gt, len(terms)),
            "term": np.tile(terms, n_events),
            "beta_t": scaled.reshape(-1),
        }
    ).sort_values(["term", "time"], kind="stable")
    metrics: dict[str, Any] = {
        "method": PH_METHODS[method],
        "ph_test": method,
        "time_transform": transform,
        "terms": per_term,
        "global": {
            "statistic": _finite(global_statistic),
            "df": global_df,
            "p_value": _finite(global_p),
        },
        "message": message,
    }
    factor_rows: list[tuple[str, float, int, float]] = [
        (column, statistic, df, float(scipy.stats.chi2.sf(statistic, df)))
        for column, (statistic, df) in factor_statistics.items()
    ]
    if method == "exact":
        metrics["factors"] = {
            column: {"statistic": _finite(st), "df": df, "p_value": _finite(pv)}
            for column, st, df, pv in factor_rows
        }
    factor_table = pd.DataFrame(factor_rows, columns=["covariate", "statistic", "df", "p_value"])
    factor_table = factor_table.astype({"statistic": float, "df": "int64", "p_value": float})
    return PHTests(metrics, table, long.reset_index(drop=True), factor_table)


#: What ``metrics.json`` says about each PH-test method.
PH_METHODS: Mapping[str, str] = {
    "exact": (
        "score test of adding x * g(t) for every term, at the fitted beta and with the full "
        "information matrix (Grambsch & Therneau 1994; R cox.zph of survival >= 3.0, as in "
        "survival 3.5-3); per term: beta and that term's g(t) interaction, global: all"
    ),
    "approximate": (
        "Grambsch & Therneau (1994) approximation on the scaled Schoenfeld residuals "
        "(lifelines proportional_hazard_test; R cox.zph up to survival 2.44)"
    ),
}


@dataclass(frozen=True)
class ZphExact:
    """Score statistics of the exact PH test (R ``cox.zph``, ``terms = FALSE``)."""

    per_term: np.ndarray
    global_statistic: float
    score: np.ndarray
    information: np.ndarray


def zph_g_times(time: np.ndarray, event: np.ndarray, transform: TimeTransform) -> np.ndarray:
    """g(t) of every row, centred at its mean over the events (R ``cox.zph``, survival 3.x).

    ``km``: 1 - the Kaplan-Meier estimate just before t (``findInterval(left.open = TRUE)``);
    ``rank``: the average rank of t among *all* rows; ``identity``: t; ``log``: log t.
    """
    d = np.asarray(event, dtype=bool)
    if transform == "identity":
        values = time.astype(float)
    elif transform == "log":
        with np.errstate(divide="ignore"):
            values = np.log(time.astype(float))
    elif transform == "rank":
        values = scipy.stats.rankdata(time, method="average").astype(float)
    else:
        values = 1.0 - _km_left_continuous(time.astype(float), d)
    return values - values[d].mean()


def zph_exact(
    x: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    beta: np.ndarray,
    transform: TimeTransform = "km",
) -> ZphExact:
    """The proportional-hazards score test of survival >= 3.0 (``cox.zph``; Efron ties).

    The Cox model is extended by p terms x_j g(t); at (beta-hat, gamma = 0) the score vector
    U = (U_beta, U_gamma) and the full 2p x 2p information matrix I are computed with Efron's
    handling of ties (R's C routine ``zph1``; g(t) is the same for tied events, so the gamma
    blocks are the beta blocks weighted by g and g squared). With U_beta set to 0 (the fitted
    beta solves it), the test of term j is u' I[k, k]^-1 u over k = (all beta, gamma_j), on
    1 df, and the global test uses all 2p rows, on p df (R: ``cox.zph(fit, terms = FALSE)``).
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(time, dtype=float)
    d = np.asarray(event, dtype=float) > 0
    p = x.shape[1]
    g = zph_g_times(t, d, transform)
    order = np.argsort(-t, kind="stable")  # descending: risk sets are prefixes
    xs, ts, ds = x[order], t[order], d[order]
    eta = xs @ beta
    r = np.exp(eta - eta.max())
    s0 = np.cumsum(r)
    s1 = np.cumsum(r[:, None] * xs, axis=0)
    s2 = np.cumsum(r[:, None, None] * xs[:, :, None] * xs[:, None, :], axis=0)
    u_beta = np.zeros(p)
    u_gamma = np.zeros(p)
    info = np.zeros((2 * p, 2 * p))
    event_times = np.unique(ts[ds])
    for u in event_times:
        at = ts == u
        last = int(np.flatnonzero(ts >= u)[-1])  # risk set: rows 0..last (t >= u)
        dead = at & ds
        n_dead = int(dead.sum())
        g_u = float(g[order][dead][0])
        r_d = r[dead]
        x_d = xs[dead]
        d0 = r_d.sum()
        d1 = (r_d[:, None] * x_d).sum(axis=0)
        d2 = (r_d[:, None, None] * x_d[:, :, None] * x_d[:, None, :]).sum(axis=0)
        score = x_d.sum(axis=0)
        information = np.zeros((p, p))
        for k in range(n_dead):
            frac = k / n_dead
            a0 = s0[last] - frac * d0
            a1 = s1[last] - frac * d1
            a2 = s2[last] - frac * d2
            mean = a1 / a0
            score = score - mean
            information += a2 / a0 - np.outer(mean, mean)
        u_beta += score
        u_gamma += g_u * score
        info[:p, :p] += information
        info[:p, p:] += g_u * information
        info[p:, :p] += g_u * information
        info[p:, p:] += g_u * g_u * information
    full = np.concatenate([np.zeros(p), u_gamma])
    per_term = np.empty(p)
    for j in range(p):
        keep = [*range(p), p + j]
        per_term[j] = _score_statistic(full[keep], info[np.ix_(keep, keep)])
    global_statistic = _score_statistic(full, info)
    return ZphExact(per_term, global_statistic, np.concatenate([u_beta, u_gamma]), info)


def _score_statistic(u: np.ndarray, information: np.ndarray) -> float:
    """u' I^-1 u, or NaN when I is computationally singular.

    As R's ``solve``, which stops with 'system is computationally singular' when the
    reciprocal condition number (1-norm) is below machine epsilon: with too few events for
    the terms the statistic would be rounding noise (1e15 was seen), so it is undefined.
    """
    try:
        inverse = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return math.nan
    rcond = 1.0 / (np.linalg.norm(information, 1) * np.linalg.norm(inverse, 1))
    if not rcond >= np.finfo(float).eps:
        return math.nan
    return float(u @ np.linalg.solve(information, u))


def zph_block(result: ZphExact, columns: Sequence[int]) -> float:
    """The exact PH test of several coefficients at once (R ``cox.zph``, ``terms = TRUE``).

    ``columns``: positions of the coefficients (e.g. a factor's indicators); the statistic is
    u' I[k, k]^-1 u over k = (every beta, their gammas), on ``len(columns)`` df.
    """
    p = len(result.score) // 2
    keep = [*range(p), *(p + j for j in columns)]
    u = np.concatenate([np.zeros(p), result.score[p:]])[keep]
    return _score_statistic(u, result.information[np.ix_(keep, keep)])


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@contextmanager
def _capture(sink: list[str]) -> Iterator[None]:
    """Record warnings (category: first line) into ``sink`` instead of printing them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for item in caught:
                if issubclass(item.category, DeprecationWarning | FutureWarning):
                    continue
                text = f"{item.category.__name__}: {str(item.message).strip().splitlines()[0]}"
                text = text[:300]
                if text not in sink:
                    sink.append(text)
