"""Performance measures of prediction models, vectorised over bootstrap weights.

Every measure takes the observed outcomes ``y`` (n), the predictions (n) and a weight matrix
``w`` (B x n) and returns one value per row of ``w``: row weights of 1 give the measure on the
data as they are, rows of resampling counts give it on a (cluster) bootstrap sample without
copying data. One code path therefore serves the point estimates, the percentile confidence
intervals and the apparent performance on bootstrap samples that the optimism correction
needs.

Binary outcomes (predicted probabilities ``p``; Steyerberg 2019; Van Calster et al. 2019):

- ``auc``: the c-statistic, P(p_event > p_non-event) with ties counted 1/2 (Hanley & McNeil
  1982), from the rank-sum identity on weighted counts;
- ``brier``: mean squared difference between p and y; ``scaled_brier`` = 1 - brier / brier of
  the overall proportion (Steyerberg et al. 2010);
- ``calibration_intercept``: a in logit P(y = 1) = a + logit(p), logit(p) as an offset
  (calibration-in-the-large; ideal 0);
- ``calibration_slope``: b in logit P(y = 1) = a + b logit(p) (ideal 1; below 1 means
  predictions too extreme);
- ``net_benefit`` at each threshold t: (TP - FP t / (1 - t)) / n with test positive = p >= t,
  as ``dcurves`` (Vickers & Elkin 2006).

Continuous outcomes: ``r2`` = 1 - SSE / SST around the evaluated set's own mean (so a model
no better than that mean scores <= 0), ``rmse``, ``mae``, ``calibration_in_the_large`` = mean
observed - mean predicted (ideal 0) and ``calibration_slope`` = OLS slope of observed on
predicted (ideal 1).

The logistic recalibration models are fitted by Newton-Raphson, vectorised over the rows of
``w``; a fit that does not converge in :data:`MAX_NEWTON` steps gives NaN.

References
----------
Hanley JA, McNeil BJ (1982). The meaning and use of the area under a receiver operating
characteristic (ROC) curve. Radiology 143, 29-36.
Steyerberg EW, Vickers AJ, Cook NR, et al. (2010). Assessing the performance of prediction
models: a framework for traditional and novel measures. Epidemiology 21, 128-138.
Steyerberg EW (2019). Clinical Prediction Models, 2nd ed. Springer.
Van Calster B, McLernon DJ, van Smeden M, Wynants L, Steyerberg EW (2019). Calibration: the
Achilles heel of predictive analytics. BMC Medicine 17, 230.
Vickers AJ, Elkin EB (2006). Decision curve analysis: a novel method for evaluating prediction
models. Medical Decision Making 26, 565-574.
Austin PC, Steyerberg EW (2014). Graphical assessment of internal and external calibration of
logistic regression models by using loess smoothers. Statistics in Medicine 33, 517-535.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

#: Predicted probabilities are clipped to [EPS, 1 - EPS] before taking logits.
EPS = 1e-6
#: Newton-Raphson steps allowed for a logistic recalibration fit.
MAX_NEWTON = 50
#: Convergence: every Newton step smaller than this.
TOLERANCE = 1e-8
#: Rows of a weight matrix processed together by :func:`continuous_measures`.
ROW_BLOCK = 16
#: Names of the overall measures, by outcome kind.
BINARY_MEASURES: tuple[str, ...] = (
    "auc",
    "brier",
    "scaled_brier",
    "calibration_intercept",
    "calibration_slope",
)
CONTINUOUS_MEASURES: tuple[str, ...] = (
    "r2",
    "rmse",
    "mae",
    "calibration_in_the_large",
    "calibration_slope",
)

Draws = dict[str, np.ndarray]


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) after clipping p to [EPS, 1 - EPS]."""
    q = np.clip(np.asarray(p, dtype=float), EPS, 1.0 - EPS)
    return np.log(q / (1.0 - q))


def _as_weights(w: np.ndarray | None, n: int) -> np.ndarray:
    if w is None:
        return np.ones((1, n))
    w = np.asarray(w, dtype=float)
    return w[None, :] if w.ndim == 1 else w


def weighted_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """c-statistic per row of ``w`` (NaN where a row has no events or no non-events).

    The rank-sum identity on weighted counts: every event's weight times the non-event weight
    below its prediction plus half the non-event weight tied with it, over the product of the
    event and non-event weights. The non-events' weights are accumulated once in the order of
    the predictions and looked up at each event's tie group, so only the event columns are
    multiplied (a few passes over the weights, instead of summing every tie group). With
    whole-number weights (the resampling counts, or none) every sum is a whole or half number
    far below 2**53, exact in any order, so the result does not depend on how it is summed.
    ``y`` must be 0/1.
    """
    y = np.asarray(y, dtype=float)
    w = _as_weights(w, len(y))
    order = np.argsort(np.asarray(p, dtype=float), kind="mergesort")
    ps = np.asarray(p, dtype=float)[order]
    event = y[order] == 1.0
    if not np.all(event | (y[order] == 0.0)):
        raise ValueError("weighted_auc needs a 0/1 outcome")
    tie_group = np.r_[0, np.cumsum(np.diff(ps) != 0)]
    non_event_group = tie_group[~event]
    event_group = tie_group[event]
    cumulative = np.zeros((w.shape[0], len(non_event_group) + 1))
    np.cumsum(w[:, order[~event]], axis=1, out=cumulative[:, 1:])
    below = np.searchsorted(non_event_group, event_group, side="left")
    up_to = np.searchsorted(non_event_group, event_group, side="right")
    w_event = w[:, order[event]]
    numerator = 0.5 * (w_event * (cumulative[:, below] + cumulative[:, up_to])).sum(axis=1)
    denominator = w_event.sum(axis=1) * cumulative[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = numerator / denominator
    return np.where(denominator > 0, auc, np.nan)


def recalibration(
    y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Calibration intercept (logit(p) as offset) and slope, per row of ``w``.

    Returns
    -------
    intercept, slope
        ``a`` of ``logit P(y=1) = a + logit(p)`` and ``b`` of ``logit P(y=1) = a' + b logit(p)``,
        by weighted maximum likelihood; NaN where the Newton-Raphson iterations do not converge
        (for instance without events). Every row starts from the fit with unit weights, which
        the resamples stay close to.
    """
    y = np.asarray(y, dtype=float)
    w = _as_weights(w, len(y))
    lp = logit(p)
    ones = np.ones((1, len(y)))
    start_a = _offset_intercept(y, lp, ones, np.zeros(1))
    start_ab = _intercept_slope(y, lp, ones, np.zeros(1), np.ones(1))
    a0 = np.nan_to_num(start_a, nan=0.0)
    b0 = np.nan_to_num(start_ab[0], nan=0.0), np.nan_to_num(start_ab[1], nan=1.0)
    intercept = _offset_intercept(y, lp, w, np.repeat(a0, w.shape[0]))
    _, slope = _intercept_slope(
        y, lp, w, np.repeat(b0[0], w.shape[0]), np.repeat(b0[1], w.shape[0])
    )
    return intercept, slope


def _offset_intercept(y: np.ndarray, lp: np.ndarray, w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Newton-Raphson for a in logit P(y=1) = a + lp, per row of ``w`` (NaN: no convergence).

    The (rows x n) intermediate arrays are allocated once and reused by every step (the same
    operations in the same order as fresh arrays, so the same numbers, without allocating
    large arrays in every step).
    """
    a = a.astype(float).copy()
    done = np.zeros(w.shape[0], dtype=bool)
    mu, work, other = np.empty(w.shape), np.empty(w.shape), np.empty(w.shape)
    for _ in range(MAX_NEWTON):
        expit(np.add(lp[None, :], a[:, None], out=work), out=mu)
        gradient = np.multiply(w, np.subtract(y, mu, out=work), out=work).sum(axis=1)
        np.multiply(w, mu, out=work)
        hessian = np.multiply(work, np.subtract(1.0, mu, out=other), out=work).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(done, 0.0, gradient / hessian)
        a = a + np.clip(step, -5.0, 5.0)
        done = done | (np.abs(step) < TOLERANCE)
        if done.all() or not np.isfinite(step).any():
            break
    return np.where(done & np.isfinite(a), a, np.nan)


def _intercept_slope(
    y: np.ndarray, lp: np.ndarray, w: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Newton-Raphson for (a, b) in logit P(y=1) = a + b lp, per row of ``w`` (intermediate
    arrays reused as in :func:`_offset_intercept`)."""
    a = a.astype(float).copy()
    b = b.astype(float).copy()
    done = np.zeros(w.shape[0], dtype=bool)
    mu, r, v, work = (np.empty(w.shape) for _ in range(4))
    lp2 = lp * lp
    for _ in range(MAX_NEWTON):
        np.multiply(b[:, None], lp[None, :], out=work)
        expit(np.add(a[:, None], work, out=work), out=mu)
        np.multiply(w, np.subtract(y, mu, out=work), out=r)
        np.multiply(w, mu, out=v)
        np.multiply(v, np.subtract(1.0, mu, out=work), out=v)
        g0, g1 = r.sum(axis=1), r @ lp
        h00, h01, h11 = v.sum(axis=1), v @ lp, v @ lp2
        det = h00 * h11 - h01 * h01
        with np.errstate(invalid="ignore", divide="ignore"):
            da = np.where(done, 0.0, (h11 * g0 - h01 * g1) / det)
            db = np.where(done, 0.0, (h00 * g1 - h01 * g0) / det)
        a = a + np.clip(da, -5.0, 5.0)
        b = b + np.clip(db, -5.0, 5.0)
        done = done | ((np.abs(da) < TOLERANCE) & (np.abs(db) < TOLERANCE))
        if done.all() or not (np.isfinite(da).any() or np.isfinite(db).any()):
            break
    ok = done & np.isfinite(a) & np.isfinite(b)
    return np.where(ok, a, np.nan), np.where(ok, b, np.nan)


def net_benefit(
    y: np.ndarray, p: np.ndarray, thresholds: np.ndarray, w: np.ndarray | None = None
) -> np.ndarray:
    """Net benefit of treating when p >= t, per row of ``w`` (B x thresholds)."""
    y = np.asarray(y, dtype=float)
    w = _as_weights(w, len(y))
    t = np.asarray(thresholds, dtype=float)
    positive = (np.asarray(p, dtype=float)[:, None] >= t[None, :]).astype(float)
    n = w.sum(axis=1)[:, None]
    tp = (w * y) @ positive
    fp = (w * (1.0 - y)) @ positive
    return (tp - fp * (t / (1.0 - t))[None, :]) / n


def binary_measures(
    y: np.ndarray,
    p: np.ndarray,
    w: np.ndarray | None = None,
    thresholds: np.ndarray | None = None,
) -> Draws:
    """Every binary measure per row of ``w`` (plus ``net_benefit`` when thresholds are given)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    w = _as_weights(w, len(y))
    total = w.sum(axis=1)
    brier = (w * (y - p) ** 2).sum(axis=1) / total
    rate = (w * y).sum(axis=1) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = 1.0 - brier / (rate * (1.0 - rate))
    intercept, slope = recalibration(y, p, w)
    out: Draws = {
        "auc": weighted_auc(y, p, w),
        "brier": brier,
        "scaled_brier": np.where((rate > 0) & (rate < 1), scaled, np.nan),
        "calibration_intercept": intercept,
        "calibration_slope": slope,
    }
    if thresholds is not None:
        out["net_benefit"] = net_benefit(y, p, thresholds, w)
    return out


def continuous_measures(y: np.ndarray, pred: np.ndarray, w: np.ndarray | None = None) -> Draws:
    """Every continuous measure per row of ``w``.

    Rows of ``w`` are taken :data:`ROW_BLOCK` at a time: every measure of a row is computed
    from that row alone (element-wise operations and a sum along the row), so blocks give the
    same numbers with intermediate arrays small enough to stay in the processor's cache.
    """
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    w = _as_weights(w, len(y))
    if w.shape[0] > ROW_BLOCK:
        parts = [
            _continuous_block(y, pred, w[start : start + ROW_BLOCK])
            for start in range(0, w.shape[0], ROW_BLOCK)
        ]
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    return _continuous_block(y, pred, w)


def _continuous_block(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> Draws:
    total = w.sum(axis=1)
    mean_y = (w * y).sum(axis=1) / total
    mean_p = (w * pred).sum(axis=1) / total
    residual = y[None, :] - pred[None, :]
    sse = (w * residual**2).sum(axis=1)
    sst = (w * (y[None, :] - mean_y[:, None]) ** 2).sum(axis=1)
    dp = pred[None, :] - mean_p[:, None]
    dy = y[None, :] - mean_y[:, None]
    var_p = (w * dp**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1.0 - sse / sst
        slope = (w * dp * dy).sum(axis=1) / var_p
    return {
        "r2": np.where(sst > 0, r2, np.nan),
        "rmse": np.sqrt(sse / total),
        "mae": (w * np.abs(residual)).sum(axis=1) / total,
        "calibration_in_the_large": mean_y - mean_p,
        "calibration_slope": np.where(var_p > 0, slope, np.nan),
    }


def cluster_bootstrap_weights(
    cluster: np.ndarray, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Resampling counts per row for ``draws`` cluster bootstrap samples (draws x n).

    Clusters (clients) are drawn with replacement, as many as there are; every row of a drawn
    cluster gets the cluster's count, so trajectories of one client stay together.
    """
    codes, index = np.unique(cluster, return_inverse=True)
    counts = rng.multinomial(len(codes), np.full(len(codes), 1.0 / len(codes)), size=draws)
    return counts[:, index].astype(float)


def percentile_interval(
    draws: np.ndarray, level: float, max_undefined: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0, NaN where more than ``max_undefined`` draws are NaN."""
    alpha = (1.0 - level) / 2.0
    undefined = np.isnan(draws).mean(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanquantile(draws, alpha, axis=0)
        high = np.nanquantile(draws, 1.0 - alpha, axis=0)
    bad = undefined > max_undefined
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def number(value: Any) -> float | None:
    """A finite float from a scalar or one-element array, or None (metrics.json holds no NaN)."""
    if value is None:
        return None
    result = float(np.ravel(np.asarray(value, dtype=float))[0])
    return result if math.isfinite(result) else None


def wilson_interval(proportion: float, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval of an observed ``proportion`` of ``n`` (Wilson 1927).

    The bounds are clipped to [0, 1] and to the estimate, so that ``0 <= low <= proportion <=
    high <= 1`` holds exactly also in floating point: at a proportion of exactly 0 or 1 the
    closed form gives a bound a rounding error (about 1e-17) beyond the estimate.

    Parameters
    ----------
    proportion
        Observed share of successes, in [0, 1].
    n
        Number of observations (at least 1).
    z
        Standard-normal quantile of the interval (1.96 for 95%).
    """
    denominator = 1.0 + z * z / n
    centre = (proportion + z * z / (2 * n)) / denominator
    half = z * math.sqrt(proportion * (1 - proportion) / n + z * z / (4 * n * n)) / denominator
    low = min(max(centre - half, 0.0), proportion)
    high = max(min(centre + half, 1.0), proportion)
    return low, high


def calibration_bins(
    y: np.ndarray, pred: np.ndarray, kind: str, bins: int, level: float
) -> pd.DataFrame:
    """Grouped calibration: equal-count groups of the predictions (for the calibration plot).

    Columns ``bin``, ``n``, ``mean_predicted``, ``observed`` (proportion or mean), ``ci_low``,
    ``ci_high`` (Wilson interval for a proportion, t interval for a mean).
    """
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    order = np.argsort(pred, kind="mergesort")
    groups = [g for g in np.array_split(order, min(bins, len(order))) if len(g)]
    z = stats.norm.ppf(0.5 + level / 2.0)
    rows = []
    for number_, rows_in in enumerate(groups, start=1):
        obs = y[rows_in]
        n = len(obs)
        mean = float(obs.mean())
        if kind == "binary":
            low, high = wilson_interval(mean, n, z)
        elif n > 1:
            half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * float(obs.std(ddof=1)) / n**0.5
            low, high = mean - half, mean + half
        else:
            low = high = math.nan
        rows.append((number_, n, float(pred[rows_in].mean()), mean, low, high))
    return pd.DataFrame(
        rows, columns=["bin", "n", "mean_predicted", "observed", "ci_low", "ci_high"]
    ).astype({"bin": "int64", "n": "int64"})


def smooth_calibration(
    y: np.ndarray, pred: np.ndarray, grid: np.ndarray, frac: float = 0.75
) -> np.ndarray:
    """Loess-type calibration curve of observed on predicted, evaluated at ``grid``.

    statsmodels' ``lowess`` (local linear, tricube weights, span ``frac`` as R's ``loess``
    default, no robustness iterations, which are unsuitable for a 0/1 outcome: Austin &
    Steyerberg 2014).
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fitted = lowess(
            np.asarray(y, dtype=float),
            np.asarray(pred, dtype=float),
            frac=frac,
            it=0,
            xvals=np.asarray(grid, dtype=float),
        )
    return np.asarray(fitted, dtype=float)


def calibration_grid(pred: np.ndarray, points: int = 50) -> np.ndarray:
    """Evaluation points of the smooth calibration curve: the 2.5th-97.5th percentile range."""
    low, high = np.quantile(np.asarray(pred, dtype=float), [0.025, 0.975])
    return np.linspace(low, high, points)


def decision_curve(
    y: np.ndarray, predictions: Sequence[np.ndarray], thresholds: np.ndarray
) -> pd.DataFrame:
    """Net benefit of the model, treat-all and treat-none by ``dcurves.dca``.

    The model's net benefit is averaged over the prediction sets (one per cross-validation
    repetition); treat-all and treat-none depend on the outcomes only.

    Returns
    -------
    DataFrame
        ``threshold``, ``net_benefit_model``, ``net_benefit_all``, ``net_benefit_none``.
    """
    from dcurves import dca

    grid = [float(t) for t in thresholds]
    names = [f"set{i}" for i in range(len(predictions))]
    frame = pd.DataFrame({"outcome": np.asarray(y, dtype=int)})
    for name, pred in zip(names, predictions, strict=True):
        frame[name] = np.asarray(pred, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curve = dca(data=frame, outcome="outcome", modelnames=names, thresholds=grid)
    by_model = {
        str(name): part.sort_values("threshold")["net_benefit"].to_numpy(dtype=float)
        for name, part in curve.groupby("model")
    }
    return pd.DataFrame(
        {
            "threshold": np.asarray(grid, dtype=float),
            "net_benefit_model": np.mean([by_model[name] for name in names], axis=0),
            "net_benefit_all": by_model["all"],
            "net_benefit_none": by_model["none"],
        }
    )


def subtract(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> Draws:
    """Element-wise a - b over the keys of ``a``."""
    return {key: np.asarray(a[key]) - np.asarray(b[key]) for key in a}
