"""From a validation run to validated performance with confidence intervals, and plot tables.

Point estimates
    ``nested_cv``: each measure is computed on the pooled held-out predictions of one
    repetition (every trajectory predicted once, by a model that never saw its client), then
    averaged over repetitions. ``bootstrap``: apparent performance of the final model minus the
    mean optimism of the refits, optimism_b = (refit b on its bootstrap sample, with the
    imputations it was trained on) - (refit b on the original data) (Harrell 2015;
    ``rms::validate``).

95% confidence intervals
    Percentile intervals over ``ci_draws`` client-cluster bootstrap resamples of the evaluated
    trajectories, the predictions held fixed (each resample re-evaluates the measure, averaged
    over repetitions, on resampled clients). They reflect the sampling variability of the
    evaluation set, which dominates for a data set of this size, not the variability of
    refitting; for the bootstrap method the interval of the apparent measure is shifted by the
    optimism (the location-shifted bootstrap interval of Noma et al. 2021). The spread of the
    estimate over cross-validation repetitions is reported beside it
    (``repetition_min``/``repetition_max``) as the instability due to the random split, which
    an interval across repetitions would misrepresent as sampling uncertainty (Bates, Hastie &
    Tibshirani 2024).

Calibration plot data
    Equal-count groups of the predictions (observed proportion or mean with its interval) and a
    loess curve on a grid: for ``nested_cv`` from each trajectory's held-out prediction averaged
    over repetitions; for ``bootstrap`` the final model's apparent curve corrected by the mean
    optimism of the refits' curves at every grid point, as ``rms::calibrate``.

References
----------
Harrell FE (2015). Regression Modeling Strategies, 2nd ed. Springer.
Noma H, Shinozaki T, Iba K, Teramukai S, Furukawa TA (2021). Confidence intervals of prediction
accuracy measures for multivariable prediction models based on the bootstrap-based optimism
correction methods. Statistics in Medicine 40, 5691-5701.
Bates S, Hastie T, Tibshirani R (2024). Cross-validation: what does it estimate and how well
does it do it? Journal of the American Statistical Association 119, 1434-1445.
Collins GS, Moons KGM, Dhiman P, et al. (2024). TRIPOD+AI statement. BMJ 385, e078378.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from pipeline.models import parallel
from pipeline.models.prediction import _prediction_metrics as pm
from pipeline.models.prediction._prediction_engine import Design, Kind, ValidationRun, derive_seed

#: Separates subgroup, level and measure in the flat keys of a measures mapping.
SEP = "|"
#: Resamples evaluated at once, one parallel task each: bounds memory for large data, and
#: the default 1,000 resamples make 10 tasks, which two or five workers share evenly. Every
#: measure of a resample is computed from its own row of weights, so the size of the block
#: does not change a figure.
CHUNK = 100


@dataclass(frozen=True)
class EvaluationSettings:
    """What to evaluate and how (from the model's hyper-parameters)."""

    kind: Kind
    ci_level: float
    ci_draws: int
    thresholds: np.ndarray | None
    calibration_bins: int
    subgroup_min_n: int
    subgroup_min_events: int
    seed: int
    n_jobs: int = 1


@dataclass(frozen=True)
class Subgroup:
    """One level of one subgrouping variable and its rows."""

    variable: str
    level: str
    mask: np.ndarray
    n: int
    events: int | None
    eligible: bool


def make_subgroups(
    table: pd.DataFrame, y: np.ndarray, settings: EvaluationSettings
) -> list[Subgroup]:
    """Every level of every subgrouping column; metrics only where n (and events) suffice."""
    out = []
    for variable in table.columns:
        labels = table[variable].to_numpy(dtype=object)
        for level in sorted({str(v) for v in labels}):
            mask = labels == level
            n = int(mask.sum())
            events = int(y[mask].sum()) if settings.kind == "binary" else None
            eligible = n >= settings.subgroup_min_n
            if events is not None:
                eligible = eligible and min(events, n - events) >= settings.subgroup_min_events
            out.append(Subgroup(str(variable), level, mask, n, events, eligible))
    return out


def measures(
    kind: Kind,
    y: np.ndarray,
    pred: np.ndarray,
    w: np.ndarray,
    thresholds: np.ndarray | None,
    subgroups: list[Subgroup],
) -> pm.Draws:
    """Overall and per-subgroup measures per row of ``w`` (flat keys ``variable|level|name``)."""
    if kind == "binary":
        out = pm.binary_measures(y, pred, w, thresholds)
    else:
        out = pm.continuous_measures(y, pred, w)
    for group in subgroups:
        if not group.eligible:
            continue
        m = group.mask
        if kind == "binary":
            part = pm.binary_measures(y[m], pred[m], w[:, m])
        else:
            part = pm.continuous_measures(y[m], pred[m], w[:, m])
        for name, values in part.items():
            out[SEP.join((group.variable, group.level, name))] = values
    return out


def _mean_over(parts: list[pm.Draws]) -> pm.Draws:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {key: np.nanmean([p[key] for p in parts], axis=0) for key in parts[0]}


def _chunk_measures(
    kind: Kind,
    y: np.ndarray,
    predictions: list[np.ndarray],
    weights: np.ndarray,
    thresholds: np.ndarray | None,
    subgroups: list[Subgroup],
) -> pm.Draws:
    """Measures on a block of resamples, averaged over the prediction sets."""
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _mean_over(
            [measures(kind, y, p, weights, thresholds, subgroups) for p in predictions]
        )


def _resampled(
    kind: Kind,
    y: np.ndarray,
    predictions: list[np.ndarray],
    weights: np.ndarray,
    thresholds: np.ndarray | None,
    subgroups: list[Subgroup],
    n_jobs: int,
) -> pm.Draws:
    """Measures on each resample, averaged over the prediction sets (draws x ...); blocks of
    :data:`CHUNK` resamples run as parallel tasks (:func:`pipeline.models.parallel.run_tasks`)."""
    blocks = [weights[start : start + CHUNK] for start in range(0, len(weights), CHUNK)]
    chunks = parallel.run_tasks(
        _chunk_measures,
        [(kind, y, predictions, w, thresholds, subgroups) for w in blocks],
        n_jobs,
    )
    return {key: np.concatenate([c[key] for c in chunks], axis=0) for key in chunks[0]}


@dataclass
class Evaluation:
    """Validated performance and the tables behind the plots."""

    estimate: pm.Draws
    ci_low: pm.Draws
    ci_high: pm.Draws
    apparent: pm.Draws
    repetition_min: pm.Draws | None
    repetition_max: pm.Draws | None
    subgroups: list[Subgroup]
    tables: dict[str, pd.DataFrame]


def evaluate(
    run: ValidationRun,
    y: np.ndarray,
    groups: np.ndarray,
    keys: np.ndarray,
    subgroup_table: pd.DataFrame,
    settings: EvaluationSettings,
) -> Evaluation:
    """Validated measures with intervals, plus the ``predictions``, ``calibration``,
    ``calibration_curve``, ``decision_curve`` and ``subgroups`` tables."""
    kind = settings.kind
    n = len(y)
    ones = np.ones((1, n))
    subgroups = make_subgroups(subgroup_table, y, settings)
    weights = pm.cluster_bootstrap_weights(
        groups, settings.ci_draws, np.random.default_rng(derive_seed(settings.seed, 900))
    )
    optimism: pm.Draws | None = None
    rep_min: pm.Draws | None = None
    rep_max: pm.Draws | None = None
    apparent = measures(kind, y, run.apparent, ones, settings.thresholds, subgroups)
    if run.method == "nested_cv":
        assert run.held_out is not None
        sets = list(run.held_out)
        per_rep = [measures(kind, y, p, ones, settings.thresholds, subgroups) for p in sets]
        estimate = _mean_over(per_rep)
        draws = _resampled(kind, y, sets, weights, settings.thresholds, subgroups, settings.n_jobs)
        rep_min = {k: np.min([p[k] for p in per_rep], axis=0) for k in estimate}
        rep_max = {k: np.max([p[k] for p in per_rep], axis=0) for k in estimate}
        subject_prediction = np.mean(run.held_out, axis=0)
    else:
        assert run.bootstrap_prediction is not None and run.bootstrap_counts is not None
        differences = []
        for pred, rows, own in _bootstrap_samples(run, len(y)):
            sample_groups = [replace(g, mask=g.mask[rows]) for g in subgroups]
            on_sample = measures(
                kind, y[rows], own, np.ones((1, len(rows))), settings.thresholds, sample_groups
            )
            on_original = measures(kind, y, pred, ones, settings.thresholds, subgroups)
            differences.append(pm.subtract(on_sample, on_original))
        optimism = _mean_over(differences)
        estimate = pm.subtract(apparent, optimism)
        draws = pm.subtract(
            _resampled(
                kind,
                y,
                [run.apparent],
                weights,
                settings.thresholds,
                subgroups,
                settings.n_jobs,
            ),
            optimism,
        )
        subject_prediction = run.apparent
    low, high = {}, {}
    for key, values in draws.items():
        low[key], high[key] = pm.percentile_interval(values, settings.ci_level)
    tables = {
        "predictions": predictions_table(run, y, keys),
        "calibration": pm.calibration_bins(
            y, subject_prediction, kind, settings.calibration_bins, settings.ci_level
        ),
        "calibration_curve": calibration_curve(run, y, subject_prediction, optimism),
        "subgroups": subgroups_table(subgroups, estimate, low, high, kind),
    }
    if kind == "binary":
        assert settings.thresholds is not None
        tables["decision_curve"] = decision_curve_table(
            run, y, settings.thresholds, low["net_benefit"], high["net_benefit"], optimism
        )
    squeeze = _squeeze
    return Evaluation(
        estimate=squeeze(estimate),
        ci_low=low,
        ci_high=high,
        apparent=squeeze(apparent),
        repetition_min=None if rep_min is None else squeeze(rep_min),
        repetition_max=None if rep_max is None else squeeze(rep_max),
        subgroups=subgroups,
        tables=tables,
    )


def _bootstrap_samples(
    run: ValidationRun, n: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per bootstrap refit: its predictions for the original rows, the rows of its bootstrap
    sample (``repeat(arange(n), counts)``) and its predictions for that sample as fitted."""
    assert run.bootstrap_prediction is not None and run.bootstrap_counts is not None
    for b, (pred, counts) in enumerate(
        zip(run.bootstrap_prediction, run.bootstrap_counts, strict=True)
    ):
        rows = np.repeat(np.arange(n), counts)
        own = run.bootstrap_on_sample[b] if run.bootstrap_on_sample else pred[rows]
        yield pred, rows, own


def _squeeze(values: Mapping[str, np.ndarray]) -> pm.Draws:
    """Drop the leading resample axis of single-row measures."""
    return {
        k: np.asarray(v)[0] if np.ndim(v) and np.shape(v)[0] == 1 else v for k, v in values.items()
    }


def predictions_table(run: ValidationRun, y: np.ndarray, keys: np.ndarray) -> pd.DataFrame:
    """Held-out predictions per repetition and fold (``nested_cv``) and the final model's
    apparent predictions: ``trajectory_key``, ``set``, ``repetition``, ``fold``, ``observed``,
    ``predicted``."""
    parts = []
    if run.held_out is not None and run.fold is not None:
        for r, (pred, fold) in enumerate(zip(run.held_out, run.fold, strict=True), start=1):
            parts.append(
                pd.DataFrame(
                    {
                        "trajectory_key": keys,
                        "set": "held_out",
                        "repetition": r,
                        "fold": fold,
                        "observed": y,
                        "predicted": pred,
                    }
                )
            )
    parts.append(
        pd.DataFrame(
            {
                "trajectory_key": keys,
                "set": "apparent",
                "repetition": pd.NA,
                "fold": pd.NA,
                "observed": y,
                "predicted": run.apparent,
            }
        )
    )
    out = pd.concat(parts, ignore_index=True)
    out = out.astype(
        {"repetition": "Int64", "fold": "Int64", "observed": "float64", "predicted": "float64"}
    )
    return out.sort_values(["set", "repetition", "trajectory_key"], kind="stable").reset_index(
        drop=True
    )


def calibration_curve(
    run: ValidationRun,
    y: np.ndarray,
    subject_prediction: np.ndarray,
    optimism: pm.Draws | None,
) -> pd.DataFrame:
    """Smooth calibration curve on a grid: ``predicted``, ``observed`` (validated),
    ``observed_apparent`` (final model on its own data) and ``ideal``."""
    grid = pm.calibration_grid(subject_prediction)
    apparent = pm.smooth_calibration(y, run.apparent, grid)
    if run.method == "nested_cv":
        observed = pm.smooth_calibration(y, subject_prediction, grid)
    else:
        assert run.bootstrap_prediction is not None and run.bootstrap_counts is not None
        gaps = []
        for pred, rows, own in _bootstrap_samples(run, len(y)):
            on_sample = pm.smooth_calibration(y[rows], own, grid)
            gaps.append(on_sample - pm.smooth_calibration(y, pred, grid))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            observed = apparent - np.nanmean(gaps, axis=0)
    return pd.DataFrame(
        {
            "predicted": grid,
            "observed": observed,
            "observed_apparent": apparent,
            "ideal": grid,
        }
    )


def decision_curve_table(
    run: ValidationRun,
    y: np.ndarray,
    thresholds: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    optimism: pm.Draws | None,
) -> pd.DataFrame:
    """Net benefit of the model (validated, with interval), of treating all and of none.

    ``nested_cv``: ``dcurves`` on each repetition's held-out predictions, averaged.
    ``bootstrap``: ``dcurves`` on the final model's predictions minus the optimism.
    """
    if run.method == "nested_cv":
        assert run.held_out is not None
        table = pm.decision_curve(y, list(run.held_out), thresholds)
    else:
        assert optimism is not None
        table = pm.decision_curve(y, [run.apparent], thresholds)
        table["net_benefit_model"] = table["net_benefit_model"] - optimism["net_benefit"][0]
    table.insert(2, "ci_low", low)
    table.insert(3, "ci_high", high)
    return table


def subgroups_table(
    subgroups: list[Subgroup],
    estimate: pm.Draws,
    low: pm.Draws,
    high: pm.Draws,
    kind: Kind,
) -> pd.DataFrame:
    """Performance per subgroup level: ``variable``, ``level``, ``n``, ``events``, ``measure``,
    ``estimate``, ``ci_low``, ``ci_high`` (empty where n or events are below the minimum)."""
    names = pm.BINARY_MEASURES if kind == "binary" else pm.CONTINUOUS_MEASURES
    rows: list[dict[str, Any]] = []
    for group in subgroups:
        for name in names:
            key = SEP.join((group.variable, group.level, name))
            value = (
                [float(np.ravel(v[key])[0]) for v in (estimate, low, high)]
                if group.eligible
                else [np.nan] * 3
            )
            rows.append(
                {
                    "variable": group.variable,
                    "level": group.level,
                    "n": group.n,
                    "events": group.events,
                    "measure": name,
                    "estimate": value[0],
                    "ci_low": value[1],
                    "ci_high": value[2],
                }
            )
    columns = ["variable", "level", "n", "events", "measure", "estimate", "ci_low", "ci_high"]
    table = pd.DataFrame(rows, columns=columns)
    return table.astype(
        {
            "n": "int64",
            "events": "Int64",
            "estimate": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
        }
    )


def importance_test_train_ratio(run: ValidationRun, sets: int) -> float:
    """n_test / n_train of the held-out sets the permutation importance was computed on:
    ``1 / (folds - 1)`` for ``nested_cv``; the mean out-of-bag share of the first ``sets``
    bootstrap refits for ``bootstrap`` (about 0.368)."""
    if run.fold is not None:
        folds = int(run.fold.max())
        return 1.0 / (folds - 1) if folds > 1 else math.nan
    if run.bootstrap_counts is not None and sets:
        counts = run.bootstrap_counts[:sets]
        return float(np.mean((counts == 0).sum(axis=1) / counts.shape[1]))
    return math.nan


def importance_table(
    run: ValidationRun, design: Design, kind: Kind, ci_level: float = 0.95
) -> pd.DataFrame:
    """Permutation importance per predictor over the held-out sets: ``predictor``,
    ``importance`` (mean drop), ``sd``, ``sets``, ``std_error``, ``ci_low``, ``ci_high``,
    ``rank`` (1 = most important), ``measure``.

    The interval is the corrected resampled t interval of Nadeau & Bengio (2003): the held-out
    sets share training rows, so the naive ``sd / sqrt(sets)`` is too small; the variance of
    the mean is ``sd^2 (1 / sets + n_test / n_train)``, with ``sets - 1`` degrees of freedom.
    Empty with fewer than two sets.
    """
    values = run.importance
    sets = values.shape[0]
    mean = values.mean(axis=0) if sets else np.full(len(design.columns), np.nan)
    sd = values.std(axis=0, ddof=1) if sets > 1 else np.full(len(design.columns), np.nan)
    ratio = importance_test_train_ratio(run, sets)
    if sets > 1 and math.isfinite(ratio):
        se = sd * math.sqrt(1.0 / sets + ratio)
        crit = float(stats.t.ppf(0.5 + ci_level / 2.0, sets - 1))
    else:
        se = np.full(len(design.columns), np.nan)
        crit = math.nan
    table = pd.DataFrame(
        {
            "predictor": design.columns,
            "importance": mean,
            "sd": sd,
            "sets": sets,
            "std_error": se,
            "ci_low": mean - crit * se,
            "ci_high": mean + crit * se,
            "measure": "auc" if kind == "binary" else "r2",
        }
    )
    table["rank"] = table["importance"].rank(ascending=False, method="first").astype("Int64")
    table = table.sort_values(["rank", "predictor"], kind="stable").reset_index(drop=True)
    return table[
        [
            "predictor",
            "importance",
            "sd",
            "sets",
            "std_error",
            "ci_low",
            "ci_high",
            "rank",
            "measure",
        ]
    ]
