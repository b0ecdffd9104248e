"""Competing-risks estimators of the survival family: Aalen-Johansen CIFs and Gray's test.

Every function takes durations (any time unit) and a cause label per unit (``None`` or the
censoring label for a censored unit) and returns numbers laid out as R's ``cmprsk`` and
``survival`` report them, so that ``tests/reference/survival_competing_reference.R`` can check
them to 1e-6.

Cumulative incidence (Aalen & Johansen 1978; Kalbfleisch & Prentice 1980)
    F_k(t) = sum over event times s <= t of S(s-) d_k(s) / n(s), with S the Kaplan-Meier
    estimate of being free of every cause, d_k(s) the events of cause k at s and n(s) the number
    at risk (duration >= s). This is the Aalen-Johansen estimator of the probability of having
    left the initial state for state k by t (R: ``survfit(Surv(time, factor(cause)) ~ 1)``
    ``pstate``; ``cmprsk::cuminc`` ``est``). Its variance is Gray's delta-method estimator of
    ``cmprsk::cuminc`` (Fortran ``cinc``, with the tie correction 1 - (d - 1)/(n - 1)); it is
    updated at the cause's own event times and carried forward in between, as cuminc reports
    it. Pointwise intervals on the log(-log F) scale, F^exp(+-z se / (F log F)), left empty
    where F is 0 or 1 (the same transform as the Kaplan-Meier intervals of the family).
Gray's test (Gray 1988)
    The K-sample test of equal cumulative incidence of one cause across groups, rho = 0, one
    stratum: ``cmprsk::cuminc``'s ``Tests`` (Fortran ``crstm``/``crst``, translated line by
    line), chi-square on (groups - 1) degrees of freedom; undefined (``None`` with a message)
    when the score variance is singular, as cuminc then reports -1.

References
----------
Aalen OO, Johansen S (1978). An empirical transition matrix for non-homogeneous Markov chains
based on censored observations. Scand J Stat 5, 141-150. Gray RJ (1988). A class of K-sample
tests for comparing the cumulative incidence of a competing risk. Ann Stat 16, 1141-1154.
Putter H, Fiocco M, Geskus RB (2007). Tutorial in biostatistics: competing risks and
multi-state models. Stat Med 26, 2389-2430. Gray RJ (2022). cmprsk: Subdistribution Analysis
of Competing Risks. R package 2.2-11.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

#: Columns of a cumulative-incidence table (one row per distinct time, per cause).
CIF_COLUMNS: tuple[str, ...] = (
    "cause",
    "time",
    "n_at_risk",
    "n_events",
    "n_events_any",
    "n_censored",
    "cif",
    "std_error",
    "ci_low",
    "ci_high",
)


@dataclass(frozen=True)
class CumulativeIncidence:
    """Aalen-Johansen estimates of the cumulative incidence of every cause.

    Attributes
    ----------
    table
        :data:`CIF_COLUMNS`, for each cause (in ``causes`` order) one row per distinct observed
        time (event of any cause or censoring), ascending. ``n_events`` counts that cause,
        ``n_events_any`` every cause; ``std_error`` is the square root of cuminc's variance.
    causes
        The causes, in the order given.
    n, events
        Units, and events per cause.
    """

    table: pd.DataFrame
    causes: tuple[str, ...]
    n: int
    events: dict[str, int]

    def at(self, cause: str, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """F, its SE and CI and the number at risk at ``times`` for one cause.

        The number at risk at t counts units with duration >= t; F(t) is the estimate after
        every event at or before t (0 before the first time). Times after the last observed
        time give NaN, as for the Kaplan-Meier curves.
        """
        part = self.table[self.table["cause"] == cause]
        t = np.asarray(times, dtype=float)
        grid = part["time"].to_numpy(dtype=float)
        at_or_before = np.searchsorted(grid, t, side="right") - 1
        at_or_after = np.searchsorted(grid, t, side="left")
        risk = np.append(part["n_at_risk"].to_numpy(dtype=np.int64), 0)
        out = pd.DataFrame({"time": t, "n_at_risk": risk[at_or_after]})
        last = grid[-1] if len(grid) else -math.inf
        for column, before_first in (
            ("cif", 0.0),
            ("std_error", 0.0),
            ("ci_low", math.nan),
            ("ci_high", math.nan),
        ):
            values = np.append(part[column].to_numpy(dtype=float), math.nan)
            picked = np.where(at_or_before >= 0, values[at_or_before], before_first)
            out[column] = np.where(t > last, math.nan, picked)
        return out


def _labels(cause: Sequence[Any] | np.ndarray | pd.Series) -> np.ndarray:
    """Cause labels as text; missing (None/NaN/<NA>) stays ``None`` (= censored)."""
    series = pd.Series(cause.to_numpy() if isinstance(cause, pd.Series) else list(cause))
    missing = series.isna().to_numpy(dtype=bool)
    out = series.astype(str).to_numpy(dtype=object)
    out[missing] = None
    return out


def aalen_johansen(
    duration: Sequence[float] | np.ndarray | pd.Series,
    cause: Sequence[Any] | np.ndarray | pd.Series,
    causes: Sequence[str] | None = None,
    ci_level: float = 0.95,
) -> CumulativeIncidence:
    """Cumulative incidence of each cause (module docstring).

    Parameters
    ----------
    duration
        Non-negative times.
    cause
        The cause of each unit's event; ``None`` / NaN for a censored unit.
    causes
        Causes to report, in this order (default: the observed ones, sorted). A listed cause
        without events gets a curve at 0.
    ci_level
        Level of the pointwise intervals.
    """
    t = np.asarray(duration, dtype=float)
    labels = _labels(cause)
    if len(t) != len(labels):
        raise ValueError("duration and cause differ in length")
    observed = sorted({c for c in labels[labels != None] if c is not None})  # noqa: E711
    wanted = tuple(causes) if causes is not None else tuple(observed)
    z = float(scipy.stats.norm.ppf(0.5 + ci_level / 2.0))
    events = {c: int((labels == c).sum()) for c in wanted}
    if len(t) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in CIF_COLUMNS})
        empty["cause"] = empty["cause"].astype(object)
        return CumulativeIncidence(empty, wanted, 0, events)
    failed = np.asarray(labels != None, dtype=bool)  # noqa: E711
    times = np.unique(t)
    # counts per distinct time
    index = np.searchsorted(times, t)
    n_any = np.bincount(index[failed], minlength=len(times)).astype(float)
    n_cens = np.bincount(index[~failed], minlength=len(times)).astype(float)
    leaving = n_any + n_cens
    at_risk = len(t) - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
    frames = []
    for c in wanted:
        mine = np.asarray(labels == c, dtype=bool)
        n_k = np.bincount(index[mine], minlength=len(times)).astype(float)
        cif, variance = _cinc(at_risk, n_k, n_any - n_k)
        se = np.sqrt(np.maximum(variance, 0.0))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_f = np.log(cif)
            half = z * se / (cif * log_f)
            low = cif ** np.exp(-half)
            high = cif ** np.exp(half)
        interior = (cif > 0) & (cif < 1) & (se > 0)
        frames.append(
            pd.DataFrame(
                {
                    "cause": c,
                    "time": times,
                    "n_at_risk": at_risk.astype(np.int64),
                    "n_events": n_k.astype(np.int64),
                    "n_events_any": n_any.astype(np.int64),
                    "n_censored": n_cens.astype(np.int64),
                    "cif": cif,
                    "std_error": se,
                    "ci_low": np.where(interior, np.minimum(low, high), math.nan),
                    "ci_high": np.where(interior, np.maximum(low, high), math.nan),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    table["cause"] = table["cause"].astype(object)
    return CumulativeIncidence(table, wanted, len(t), events)


def _cinc(
    at_risk: np.ndarray, d_cause: np.ndarray, d_other: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CIF and variance at each distinct time (cmprsk Fortran ``cinc``, line by line).

    ``at_risk``, ``d_cause``, ``d_other``: number at risk and events of the cause and of the
    other causes at each distinct time, ascending.
    """
    fk = 1.0
    f = 0.0
    v = 0.0
    v1 = v2 = v3 = 0.0
    cif = np.zeros(len(at_risk))
    var = np.zeros(len(at_risk))
    for i, (rs, nd1, nd2) in enumerate(zip(at_risk, d_cause, d_other, strict=True)):
        nd = nd1 + nd2
        if nd > 0:
            fkn = fk * (rs - nd) / rs
            if nd1 > 0:
                f = f + fk * nd1 / rs
            if nd2 > 0 and fkn > 0:
                t5 = 1.0 - (nd2 - 1.0) / (rs - 1.0) if nd2 > 1 else 1.0
                t6 = fk * fk * t5 * nd2 / (rs * rs)
                t3 = 1.0 / fkn
                t4 = f / fkn
                v1 += t4 * t4 * t6
                v2 += t3 * t4 * t6
                v3 += t3 * t3 * t6
            if nd1 > 0:
                t5 = 1.0 - (nd1 - 1.0) / (rs - 1.0) if nd1 > 1 else 1.0
                t6 = fk * fk * t5 * nd1 / (rs * rs)
                t3 = 1.0 / fkn if fkn > 0 else 0.0
                t4 = 1.0 + t3 * f
                v1 += t4 * t4 * t6
                v2 += t3 * t4 * t6
                v3 += t3 * t3 * t6
                v = v1 + f * f * v3 - 2.0 * f * v2
            fk = fkn
        cif[i] = f
        var[i] = v
    return cif, var


@dataclass(frozen=True)
class GrayTest:
    """Gray's test of one cause across groups; ``statistic`` is ``None`` when undefined."""

    cause: str
    statistic: float | None
    df: int | None
    p_value: float | None
    n: int
    events: int
    levels: int
    message: str | None = None


def gray_test(
    duration: Sequence[float] | np.ndarray | pd.Series,
    cause: Sequence[Any] | np.ndarray | pd.Series,
    groups: Sequence[Any] | np.ndarray | pd.Series,
    of: str,
    rho: float = 0.0,
) -> GrayTest:
    """Gray's (1988) test that the cumulative incidence of cause ``of`` is equal in ``groups``.

    ``cmprsk::cuminc(ftime, fstatus, group, rho = 0)$Tests`` for one stratum (Fortran
    ``crst``): groups are the sorted distinct labels of ``groups``; every other cause is the
    competing event.
    """
    t = np.asarray(duration, dtype=float)
    labels = _labels(cause)
    group_labels = np.asarray([str(g) for g in groups], dtype=object)
    levels = sorted(set(group_labels.tolist()))
    n = len(t)
    events = int((labels == of).sum())
    if len(levels) < 2:
        return GrayTest(of, None, None, None, n, events, len(levels), "fewer than two groups")
    if events == 0:
        return GrayTest(
            of, None, None, None, n, events, len(levels), "no events of this cause: undefined"
        )
    code = np.where(labels == None, 0, np.where(labels == of, 1, 2)).astype(int)  # noqa: E711
    group = np.asarray([levels.index(g) for g in group_labels], dtype=int)
    order = np.argsort(t, kind="stable")
    score, variance = _crst(t[order], code[order], group[order], len(levels), rho)
    df = len(levels) - 1
    if np.linalg.matrix_rank(variance) < df:
        return GrayTest(
            of, None, None, None, n, events, len(levels), "singular score variance: undefined"
        )
    statistic = float(score @ np.linalg.solve(variance, score))
    p_value = float(scipy.stats.chi2.sf(statistic, df))
    return GrayTest(of, statistic, df, p_value, n, events, len(levels))


def _crst(
    y: np.ndarray, m: np.ndarray, ig: np.ndarray, ng: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score and its variance (cmprsk Fortran ``crst``; groups coded 0 .. ng-1, y sorted)."""
    n = len(y)
    ng1 = ng - 1
    rs = np.bincount(ig, minlength=ng).astype(float)
    s = np.zeros(ng1)
    v = np.zeros((ng1, ng1))
    f1m = np.zeros(ng)
    f1 = np.zeros(ng)
    skmm = np.ones(ng)
    skm = np.ones(ng)
    v3 = np.zeros(ng)
    v2 = np.zeros((ng1, ng))
    c = np.zeros((ng, ng))
    fm = 0.0
    ll = 0
    while ll < n:
        lu = ll
        while lu + 1 < n and y[lu + 1] <= y[ll]:
            lu += 1
        d = np.zeros((3, ng))
        for i in range(ll, lu + 1):
            d[m[i], ig[i]] += 1
        nd1 = float(d[1].sum())
        nd2 = float(d[2].sum())
        f = fm
        if nd1 > 0 or nd2 > 0:
            tr = 0.0
            tq = 0.0
            for i in range(ng):
                if rs[i] <= 0:
                    continue
                td = d[1, i] + d[2, i]
                skm[i] = skmm[i] * (rs[i] - td) / rs[i]
                f1[i] = f1m[i] + (skmm[i] * d[1, i]) / rs[i]
                tr += rs[i] / skmm[i]
                tq += rs[i] * (1.0 - f1m[i]) / skmm[i]
            f = fm + nd1 / tr
            fb = (1.0 - fm) ** rho
            a = np.zeros((ng, ng))
            for i in range(ng):
                if rs[i] <= 0:
                    continue
                t1 = rs[i] / skmm[i]
                a[i, i] = fb * t1 * (1.0 - t1 / tr)
                c[i, i] += a[i, i] * nd1 / (tr * (1.0 - fm))
                for j in range(i + 1, ng):
                    if rs[j] <= 0:
                        continue
                    a[i, j] = -fb * t1 * rs[j] / (skmm[j] * tr)
                    c[i, j] += a[i, j] * nd1 / (tr * (1.0 - fm))
            for i in range(1, ng):
                for j in range(i):
                    a[i, j] = a[j, i]
                    c[i, j] = c[j, i]
            for i in range(ng1):
                if rs[i] <= 0:
                    continue
                s[i] += fb * (d[1, i] - nd1 * rs[i] * (1.0 - f1m[i]) / (skmm[i] * tq))
            if nd1 > 0:
                for k in range(ng):
                    if rs[k] <= 0:
                        continue
                    t4 = 1.0 - (1.0 - f) / skm[k] if skm[k] > 0 else 1.0
                    t5 = 1.0 - (nd1 - 1.0) / (tr * skmm[k] - 1.0) if nd1 > 1 else 1.0
                    t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
                    v3[k] += t4 * t4 * t3
                    for i in range(ng1):
                        t1 = a[i, k] - t4 * c[i, k]
                        v2[i, k] += t1 * t4 * t3
                        for j in range(i + 1):
                            t2 = a[j, k] - t4 * c[j, k]
                            v[i, j] += t1 * t2 * t3
            if nd2 > 0:
                for k in range(ng):
                    if skm[k] <= 0 or d[2, k] <= 0:
                        continue
                    t4 = (1.0 - f) / skm[k]
                    t5 = 1.0 - (d[2, k] - 1.0) / (rs[k] - 1.0) if d[2, k] > 1 else 1.0
                    t3 = t5 * ((skmm[k] ** 2) * d[2, k]) / (rs[k] ** 2)
                    v3[k] += t4 * t4 * t3
                    for i in range(ng1):
                        t1 = t4 * c[i, k]
                        v2[i, k] -= t1 * t4 * t3
                        for j in range(i + 1):
                            t2 = t4 * c[j, k]
                            v[i, j] += t1 * t2 * t3
        if lu >= n - 1:
            break
        for i in range(ll, lu + 1):
            rs[ig[i]] -= 1
        fm = f
        f1m = f1.copy()
        skmm = skm.copy()
        ll = lu + 1
    for i in range(ng1):
        for j in range(i + 1):
            for k in range(ng):
                v[i, j] += c[i, k] * c[j, k] * v3[k]
                v[i, j] += c[i, k] * v2[j, k]
                v[i, j] += c[j, k] * v2[i, k]
    lower = np.tril(v)
    return s, lower + np.tril(v, -1).T
