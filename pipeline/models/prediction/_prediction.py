"""Prediction models of treatment success: analysis set, shared model class and outputs.

Estimand (TRIPOD+AI): the performance that a model developed by the stated procedure
(encoding, multiple imputation, scaling, tuning, estimator) on this centre's data can be
expected to have for new trajectories of the same centre, estimated by internal validation,
for

- *reliable improvement* on the SSD-12: ``ssd12_total_category`` ``recovered`` or ``improved``
  (Jacobson-Truax; see :mod:`pipeline.change`) versus ``unchanged``, ``deteriorated`` or
  ``harmed``; *recovery*: ``recovered`` versus the rest (binary);
- change in the SSD-12 total and the EQ-5D-5L index, end minus intake (continuous);

from baseline factors only: age, sex, diagnosis, CFS, every comorbidity, symptom duration,
prior treatments and intake scores. Columns measured after intake (``*_end``, ``*_change``,
``*_rci``, ``*_category``, ``sessions``, treatment flags ``tx_*``, response status, end date and
reason, status) are refused as predictors.

Analysis set: trajectories with research consent that have ended and have the target (the
completers of its instrument); with ``complete_case`` also every predictor observed. All
trajectories of one client are kept and resampled together. The flow from all trajectories to
the analysed set is reported (TRIPOD+AI item 20a), with the number of missing values per
predictor (item 20b).

Validation, measures and intervals: :mod:`pipeline.models.prediction._prediction_engine` and
:mod:`pipeline.models.prediction._prediction_evaluate`. Sample size: the Riley et al. minimum
(:mod:`pipeline.models.prediction._samplesize`) for the number of model-matrix parameters, the observed outcome
proportion (or mean and SD) and an anticipated R² (``anticipated_r2``; by default Nagelkerke
R² = 0.15, the conservative choice of Riley et al. 2020, i.e. Cox-Snell R² = 0.15 x its maximum
for a binary outcome and R² = 0.15 for a continuous one), next to the n available. For tree
ensembles the figure is the regression-based minimum; they need more (van der Ploeg et al. 2014).

Outputs (``data/models/<name>/``): ``coefficients.csv`` (models with coefficients: the final
model's; tree ensembles: ``importance[<predictor>]`` rows, the estimate being the permutation
importance with its corrected resampled t interval (Nadeau & Bengio 2003), like the survival
family's non-coefficient estimates), ``metrics.json`` (n, events,
flow, missing data, validated performance with 95% intervals, tuned hyper-parameters, sample
size, warnings), and the tables ``predictions``, ``calibration``, ``calibration_curve``,
``decision_curve`` (binary), ``importance`` and ``subgroups``.

References
----------
Collins GS, Moons KGM, Dhiman P, et al. (2024). TRIPOD+AI statement: updated guidance for
reporting clinical prediction models that use regression or machine learning methods. BMJ 385,
e078378.
Riley RD, Ensor J, Snell KIE, et al. (2020). Calculating the sample size required for developing
a clinical prediction model. BMJ 368, m441.
van der Ploeg T, Austin PC, Steyerberg EW (2014). Modern modelling techniques are data hungry.
BMC Medical Research Methodology 14, 137.
Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple imputation.
Biometrika 86, 948-955.
Nadeau C, Bengio Y (2003). Inference for the generalization error. Machine Learning 52,
239-281.
"""

from __future__ import annotations

import fnmatch
import math
import warnings
from abc import abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.models.base import (
    COEFFICIENT_COLUMNS,
    FitResult,
    Model,
    ModelError,
    ModelInputs,
    NotEstimable,
)
from pipeline.models.prediction import _prediction_metrics as pm
from pipeline.models.prediction import _samplesize as samplesize
from pipeline.models.prediction._prediction_engine import (
    Design,
    EstimatorSpec,
    FittedProcedure,
    Kind,
    Plan,
    ValidationRun,
    build_design,
    grid_candidates,
    run_validation,
)
from pipeline.models.prediction._prediction_evaluate import (
    Evaluation,
    EvaluationSettings,
    evaluate,
    importance_table,
)

#: Baseline predictors used unless an entry lists its own (shell patterns allowed).
DEFAULT_PREDICTORS: tuple[str, ...] = (
    "age_at_start",
    "sex",
    "diagnosis",
    "cfs",
    "comorbid_*",
    "symptom_duration_years",
    "prior_treatments",
    "ssd12_total_intake",
    "eq5d5l_index_intake",
    "eq5d_vas_intake",
)
#: Subgrouping variables of the performance-per-subgroup table (TRIPOD+AI items 14, 23a).
DEFAULT_SUBGROUPS: tuple[str, ...] = ("sex", "diagnosis", "cfs", "comorbid_*")
#: Columns known only after intake: never predictors.
POST_INTAKE_SUFFIXES: tuple[str, ...] = ("_end", "_change", "_rci", "_category")
POST_INTAKE_PREFIXES: tuple[str, ...] = ("tx_", "response_")
POST_INTAKE_COLUMNS: frozenset[str] = frozenset(
    {"sessions", "status", "end_date", "end_reason", "treatments"}
)
#: Identifiers and selection columns: never predictors either.
NOT_PREDICTORS: frozenset[str] = frozenset({"client_key", "trajectory_key", "research_consent"})


def _default_reference_levels() -> dict[str, str]:
    return {"sex": "f", "diagnosis": "ssd"}


def resolve_columns(patterns: Sequence[str], columns: Sequence[str], what: str) -> list[str]:
    """Columns named by ``patterns`` (exact names or shell patterns), in table order.

    Raises
    ------
    ModelError
        When an exact name is not a column or a pattern matches none.
    """
    columns = [str(c) for c in columns]
    chosen: list[str] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            found = [c for c in columns if fnmatch.fnmatchcase(c, pattern)]
            if not found:
                raise ModelError(f"{what} pattern '{pattern}' matches no trajectories column")
        elif pattern in columns:
            found = [pattern]
        else:
            raise ModelError(f"{what} '{pattern}' is not a trajectories column")
        chosen.extend(c for c in found if c not in chosen)
    return chosen


def check_baseline_only(predictors: Sequence[str], target: str) -> None:
    """Refuse predictors measured after intake, identifiers, and the target itself."""
    bad = [
        c
        for c in predictors
        if c == target
        or c in POST_INTAKE_COLUMNS
        or c in NOT_PREDICTORS
        or c.endswith(POST_INTAKE_SUFFIXES)
        or c.startswith(POST_INTAKE_PREFIXES)
    ]
    if bad:
        raise ModelError(
            f"predictors must be baseline factors known at intake; refused: {', '.join(bad)}"
        )


@dataclass(frozen=True)
class PredictionSet:
    """The analysis set of one prediction model.

    Attributes
    ----------
    frame
        Raw predictors, one row per trajectory: numeric columns as float (NaN missing), text
        columns as objects (NaN missing).
    y
        Target: 0/1 (binary) or the continuous outcome.
    groups, keys
        ``client_key`` and ``trajectory_key`` per row.
    subgroups
        Subgrouping variables as text labels (``missing`` where unknown).
    extra
        Other columns of the analysed rows the model asked for (e.g. the end score).
    flow
        Counts from all trajectories to the analysed set.
    missing
        Missing values per predictor among the analysed rows (before any complete-case step).
    """

    frame: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray
    keys: np.ndarray
    subgroups: pd.DataFrame
    extra: pd.DataFrame
    flow: dict[str, int]
    missing: dict[str, int]


def build_prediction_set(
    data: ModelInputs,
    *,
    target: str,
    kind: Kind,
    positive: Sequence[str] = (),
    predictors: Sequence[str],
    subgroups: Sequence[str],
    complete_case: bool,
    extra: Sequence[str] = (),
) -> PredictionSet:
    """Select the analysed trajectories and build the target, predictors and subgroups.

    Raises
    ------
    ModelError
        Missing columns, refused predictors, a target of the wrong type, or no trajectory left.
    """
    trajectories = data.trajectories
    columns = list(trajectories.columns)
    required = ["client_key", "trajectory_key", "status", "research_consent", target, *extra]
    absent = [c for c in required if c not in columns]
    if absent:
        raise ModelError(f"trajectories lack column(s): {', '.join(absent)}")
    chosen = resolve_columns(predictors, columns, "predictor")
    check_baseline_only(chosen, target)
    subgroup_columns = resolve_columns(subgroups, columns, "subgroup")
    consent = trajectories["research_consent"].astype("Float64").fillna(0).to_numpy() == 1
    ended = consent & (trajectories["status"].astype("string").fillna("") == "ended").to_numpy()
    raw_target = trajectories[target]
    if kind == "binary":
        if pd.api.types.is_numeric_dtype(raw_target):
            raise ModelError(
                f"target '{target}' is numeric; a binary model needs a category column "
                "(e.g. ssd12_total_category) and the labels that count as the event"
            )
        labels = raw_target.astype("string")
        observed = (labels.notna() & (labels.fillna("") != "")).to_numpy()
    else:
        if not pd.api.types.is_numeric_dtype(raw_target):
            raise ModelError(f"target '{target}' must be numeric for a continuous model")
        observed = raw_target.notna().to_numpy()
    completers = ended & observed
    predictor_frame = _predictor_frame(trajectories.loc[completers, chosen])
    rows = completers.copy()
    missing = {c: int(predictor_frame[c].isna().sum()) for c in chosen}
    if complete_case:
        keep = predictor_frame.notna().all(axis=1).to_numpy()
        rows[np.flatnonzero(completers)[~keep]] = False
        predictor_frame = predictor_frame.loc[keep]
    flow = {
        "trajectories": len(trajectories),
        "research_consent": int(consent.sum()),
        "ended": int(ended.sum()),
        "target_observed": int(completers.sum()),
        "complete_predictors": int(rows.sum()) if complete_case else None,
        "analysed": int(rows.sum()),
    }
    if not rows.any():
        raise NotEstimable(
            f"no trajectory left to analyse for target '{target}'",
            {"analysis_set": {k: v for k, v in flow.items() if v is not None}},
        )
    selected = trajectories.loc[rows]
    if kind == "binary":
        y = selected[target].astype("string").isin(list(positive)).to_numpy(dtype=float)
    else:
        y = selected[target].to_numpy(dtype=float)
    return PredictionSet(
        frame=predictor_frame.reset_index(drop=True),
        y=y,
        groups=selected["client_key"].astype(str).to_numpy(),
        keys=selected["trajectory_key"].astype(str).to_numpy(),
        subgroups=_subgroup_labels(selected[subgroup_columns]),
        extra=selected[list(extra)].reset_index(drop=True),
        flow={k: v for k, v in flow.items() if v is not None},
        missing=missing,
    )


def _predictor_frame(selected: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for column in selected.columns:
        values = selected[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        else:
            text = values.astype("string")
            out[column] = np.asarray(text.to_numpy(dtype=object, na_value=np.nan), dtype=object)
    return pd.DataFrame(out, index=selected.index)


def _subgroup_labels(selected: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for column in selected.columns:
        values = selected[column]
        if pd.api.types.is_numeric_dtype(values):
            text = values.astype("Float64").map(
                lambda v: "missing" if pd.isna(v) else f"{float(v):g}"
            )
        else:
            text = values.astype("string").fillna("missing")
        out[column] = text.astype(object).to_numpy()
    return pd.DataFrame(out)


def empty_coefficients() -> pd.DataFrame:
    """A coefficients table with no rows and the columns of docs/outputs.md."""
    return pd.DataFrame({c: pd.Series(dtype=float) for c in COEFFICIENT_COLUMNS}).astype(
        {"term": object}
    )


def coefficient_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Coefficients table from rows ``(term, estimate, std_error, ci_low, ci_high, p_value)``."""
    if not rows:
        return empty_coefficients()
    frame = pd.DataFrame(list(rows), columns=list(COEFFICIENT_COLUMNS))
    return frame.astype({c: float for c in COEFFICIENT_COLUMNS[1:]})


def penalised_coefficients(fitted: FittedProcedure, design: Design) -> pd.DataFrame:
    """Coefficients of a (penalised) linear or logistic model per unit of each predictor.

    The estimator works on standardised columns; its coefficients are transformed back to the
    units of the model matrix (per year, per point, dummy vs reference level) and averaged over
    the imputations. Penalised estimates have no valid standard errors, so those columns are
    empty.
    """
    slopes, intercepts = [], []
    for pipeline in fitted.pipelines:
        model = pipeline[-1]
        coef = np.ravel(model.coef_).astype(float)
        intercept = float(np.ravel(model.intercept_)[0])
        scaler = pipeline.named_steps["scale"]
        if hasattr(scaler, "scale_"):
            coef_units = coef / scaler.scale_
            intercept = intercept - float(np.sum(coef * scaler.mean_ / scaler.scale_))
        else:
            coef_units = coef
        slopes.append(coef_units)
        intercepts.append(intercept)
    estimates = [float(np.mean(intercepts)), *np.mean(slopes, axis=0).tolist()]
    terms = ["Intercept", *design.feature_names()]
    nan = math.nan
    return coefficient_frame(
        [(t, e, nan, nan, nan, nan) for t, e in zip(terms, estimates, strict=True)]
    )


def importance_coefficients(importance: pd.DataFrame) -> pd.DataFrame:
    """``importance[<predictor>]`` rows for models without coefficients: the permutation
    importance with its standard error and corrected resampled t interval
    (:func:`~pipeline.models.prediction._prediction_evaluate.importance_table`); no p-value."""
    nan = math.nan
    columns = ("importance", "std_error", "ci_low", "ci_high")
    values = {
        c: importance[c].to_numpy(dtype=float) if c in importance else np.full(len(importance), nan)
        for c in columns
    }
    return coefficient_frame(
        [
            (f"importance[{predictor}]", est, se, low, high, nan)
            for predictor, est, se, low, high in zip(
                importance["predictor"].astype(str), *(values[c] for c in columns), strict=True
            )
        ]
    )


@dataclass(frozen=True)
class Pooled:
    """Rubin's rules pooled estimates (one entry per term)."""

    estimate: np.ndarray
    std_error: np.ndarray
    df: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    fraction_missing_information: np.ndarray


def pool_rubin(
    estimates: np.ndarray, variances: np.ndarray, df_complete: float, level: float = 0.95
) -> Pooled:
    """Pool m sets of estimates and sampling variances by Rubin's rules (Rubin 1987).

    ``Q = mean(Q_k)``, ``T = U + (1 + 1/m) B`` with U the mean within-imputation variance and B
    the between-imputation variance; t intervals and p-values on the Barnard & Rubin (1999)
    small-sample degrees of freedom, as R ``mice::pool``.
    """
    q = np.atleast_2d(np.asarray(estimates, dtype=float))
    u = np.atleast_2d(np.asarray(variances, dtype=float))
    m = q.shape[0]
    mean = q.mean(axis=0)
    within = u.mean(axis=0)
    between = q.var(axis=0, ddof=1) if m > 1 else np.zeros_like(mean)
    total = within + (1.0 + 1.0 / m) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(total > 0, (1.0 + 1.0 / m) * between / total, 0.0)
        df_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        df_obs = (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - lam)
        df = np.where(np.isinf(df_old), df_obs, df_old * df_obs / (df_old + df_obs))
    if m == 1:
        df = np.full_like(mean, float(df_complete))
    se = np.sqrt(total)
    t_crit = stats.t.ppf(0.5 + level / 2.0, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2.0 * stats.t.sf(np.abs(mean / se), df)
    return Pooled(mean, se, df, mean - t_crit * se, mean + t_crit * se, p, lam)


def _warning_list(tally: Counter[str]) -> list[str]:
    return [
        f"{message} (x{count})" if count > 1 else message
        for message, count in sorted(tally.items())
    ]


@dataclass(frozen=True)
class PredictionModel(Model):
    """Shared hyper-parameters and fit of every prediction model.

    Parameters
    ----------
    target
        Target column of ``trajectories.parquet``: a ``*_category`` column for binary models, a
        ``*_change`` column for continuous ones.
    predictors
        Baseline predictors (exact column names or shell patterns such as ``comorbid_*``).
    reference_levels
        Reference level of each categorical predictor (treatment coding).
    validation
        ``nested_cv`` (repeated nested cross-validation) or ``bootstrap`` (Harrell's optimism
        correction).
    repeats, folds, inner_folds
        Repetitions and outer folds of the nested cross-validation; folds of the inner
        (tuning) cross-validation, also used by the bootstrap refits.
    bootstrap_reps
        Bootstrap refits for ``validation: bootstrap``.
    imputations
        Multiple imputations m (predictions averaged over the m pipelines).
    impute_iterations
        Rounds of chained equations per imputation (mice's default: 5).
    imputation_method
        ``pmm`` (default, mice's: predictive mean matching for continuous predictors, so every
        imputed value is an observed one) or ``norm`` (Bayesian normal draws).
    pmm_donors
        Donor pool of predictive mean matching (mice's default: 5).
    complete_case
        Sensitivity analysis: drop trajectories with any missing predictor, no imputation.
    grid
        Hyper-parameter grid tuned inside every training set.
    estimator_params
        Fixed settings of the scikit-learn estimator.
    ci_level, ci_draws
        Level of the intervals and the number of client-cluster bootstrap resamples behind
        them.
    importance_repeats, importance_fits
        Permutations per predictor and held-out set; number of held-out sets (outer folds in
        order, or the first bootstrap refits' out-of-bag rows) on which importance is computed
        (0 repeats: none).
    subgroups
        Subgrouping variables for the performance table (exact names or patterns).
    subgroup_min_n, subgroup_min_events
        Smallest subgroup (and, binary, smallest number of events and of non-events) with
        reported performance; smaller subgroups get their n only.
    calibration_bins
        Equal-count groups of the grouped calibration plot.
    anticipated_r2
        Anticipated R² for the Riley sample size (Cox-Snell for binary targets); ``None``:
        Nagelkerke R² 0.15.
    intercept_margin
        Continuous targets: absolute margin of error (score units) of the mean outcome in
        Riley's criterion 4, as a change score needs; ``None``: pmsampsize's relative margin
        (10% of the mean).
    n_jobs
        Parallel worker processes over refits (results do not depend on it).
    """

    family: ClassVar[str] = "prediction"
    kind: ClassVar[Kind]
    estimator_class: ClassVar[type]
    scale: ClassVar[bool] = True

    target: str
    predictors: tuple[str, ...] = DEFAULT_PREDICTORS
    reference_levels: dict[str, str] = field(default_factory=_default_reference_levels)
    validation: Literal["nested_cv", "bootstrap"] = "nested_cv"
    repeats: int = 3
    folds: int = 5
    inner_folds: int = 3
    bootstrap_reps: int = 100
    imputations: int = 5
    impute_iterations: int = 5
    imputation_method: Literal["pmm", "norm"] = "pmm"
    pmm_donors: int = 5
    complete_case: bool = False
    grid: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    estimator_params: dict[str, Any] = field(default_factory=dict)
    ci_level: float = 0.95
    ci_draws: int = 1000
    importance_repeats: int = 5
    importance_fits: int = 10
    subgroups: tuple[str, ...] = DEFAULT_SUBGROUPS
    subgroup_min_n: int = 30
    subgroup_min_events: int = 5
    calibration_bins: int = 10
    anticipated_r2: float | None = None
    intercept_margin: float | None = None
    n_jobs: int = 1

    def __post_init__(self) -> None:
        checks = {
            "repeats": self.repeats >= 1,
            "folds": self.folds >= 2,
            "inner_folds": self.inner_folds >= 2,
            "bootstrap_reps": self.bootstrap_reps >= 1,
            "imputations": self.imputations >= 1,
            "impute_iterations": self.impute_iterations >= 1,
            "imputation_method": self.imputation_method in ("pmm", "norm"),
            "pmm_donors": self.pmm_donors >= 1,
            "ci_draws": self.ci_draws >= 10,
            "importance_repeats": self.importance_repeats >= 0,
            "importance_fits": self.importance_fits >= 0,
            "subgroup_min_n": self.subgroup_min_n >= 1,
            "calibration_bins": self.calibration_bins >= 2,
            "n_jobs": self.n_jobs >= 1 or self.n_jobs == -1,
            "intercept_margin": self.intercept_margin is None or self.intercept_margin > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ModelError(f"out-of-range setting(s): {', '.join(bad)}")
        if not 0.0 < self.ci_level < 1.0:
            raise ModelError("ci_level must lie between 0 and 1")
        if self.anticipated_r2 is not None and not 0.0 < self.anticipated_r2 < 1.0:
            raise ModelError("anticipated_r2 must lie between 0 and 1")
        if not self.predictors:
            raise ModelError("predictors must name at least one column")

    # Hooks -------------------------------------------------------------------------------

    def positive_labels(self) -> tuple[str, ...]:
        """Target labels counted as the event (binary models)."""
        return ()

    def thresholds(self) -> np.ndarray | None:
        """Decision-curve thresholds (binary models)."""
        return None

    def predictor_patterns(self) -> tuple[str, ...]:
        """The predictors as configured (ANCOVA adds the target's baseline score)."""
        return tuple(self.predictors)

    def extra_columns(self) -> tuple[str, ...]:
        """Other trajectories columns the model needs for its analysed rows."""
        return ()

    def coefficients(
        self,
        run: ValidationRun,
        dataset: PredictionSet,
        design: Design,
        importance: pd.DataFrame,
        seed: int,
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """The coefficients table and any metrics about it (default: importance terms)."""
        note = "no coefficients: importance[<predictor>] rows give the permutation importance"
        return importance_coefficients(importance), {"coefficients": note}

    def estimator_spec(self) -> EstimatorSpec:
        """The estimator, its fixed settings and the tuning candidates."""
        return EstimatorSpec(
            kind=self.kind,
            estimator=self.estimator_class,
            fixed=dict(self.estimator_params),
            candidates=grid_candidates({k: tuple(v) for k, v in self.grid.items()}),
            scale=self.scale,
        )

    @abstractmethod
    def describe(self) -> str:
        """One line naming the estimator and its tuning, for metrics.json."""

    # Fit ---------------------------------------------------------------------------------

    def fit(self, data: ModelInputs) -> FitResult:
        """Build the analysis set, fit the final model, validate it and summarise."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dataset = build_prediction_set(
                data,
                target=self.target,
                kind=self.kind,
                positive=self.positive_labels(),
                predictors=self.predictor_patterns(),
                subgroups=self.subgroups,
                complete_case=self.complete_case,
                extra=self.extra_columns(),
            )
            design = build_design(dataset.frame, dict(self.reference_levels))
            impute = bool(dataset.frame.isna().to_numpy().any())
            plan = Plan(
                method=self.validation,
                repeats=self.repeats,
                folds=self.folds,
                inner_folds=self.inner_folds,
                bootstrap_reps=self.bootstrap_reps,
                imputations=self.imputations,
                impute=impute,
                impute_iterations=self.impute_iterations,
                impute_method=self.imputation_method,
                pmm_donors=self.pmm_donors,
                importance_repeats=self.importance_repeats,
                importance_fits=self.importance_fits,
                n_jobs=self.n_jobs,
                seed=data.seed,
            )
            self._check_splittable(dataset)
            spec = self.estimator_spec()
            try:
                run = run_validation(spec, design, dataset.frame, dataset.y, dataset.groups, plan)
            except ValueError as exc:
                raise ModelError(f"validation failed: {exc}") from exc
            settings = EvaluationSettings(
                kind=self.kind,
                ci_level=self.ci_level,
                ci_draws=self.ci_draws,
                thresholds=self.thresholds(),
                calibration_bins=self.calibration_bins,
                subgroup_min_n=self.subgroup_min_n,
                subgroup_min_events=self.subgroup_min_events,
                seed=data.seed,
                n_jobs=self.n_jobs,
            )
            evaluation = evaluate(
                run, dataset.y, dataset.groups, dataset.keys, dataset.subgroups, settings
            )
            importance = importance_table(run, design, self.kind, self.ci_level)
            coefficients, coefficient_notes = self.coefficients(
                run, dataset, design, importance, data.seed
            )
        tally = Counter(run.warnings)
        tally.update(f"{w.category.__name__}: {w.message}" for w in caught)
        tables = dict(evaluation.tables)
        tables["importance"] = importance
        metrics = self._metrics(dataset, design, plan, run, evaluation, tally)
        metrics.update(coefficient_notes)
        return FitResult(coefficients=coefficients, metrics=metrics, tables=tables)

    def _check_splittable(self, dataset: PredictionSet) -> None:
        """Raise :class:`NotEstimable` when the analysis set cannot be validated as set up:
        fewer clients than folds, an outcome class with fewer members than folds, or a
        constant continuous target."""
        clients = len(set(dataset.groups.tolist()))
        folds = self.folds if self.validation == "nested_cv" else self.inner_folds
        details = {"analysis_set": dataset.flow, "n": len(dataset.y)}
        if clients < folds:
            raise NotEstimable(
                f"{clients} clients analysed; validation needs at least {folds}", details
            )
        if self.kind == "binary":
            events = int(dataset.y.sum())
            smallest = min(events, len(dataset.y) - events)
            if smallest < folds:
                raise NotEstimable(
                    f"target '{self.target}': {events} events among {len(dataset.y)} analysed "
                    f"trajectories; each outcome class needs at least {folds} (one per fold)",
                    {**details, "events": events},
                )
        elif float(np.ptp(dataset.y)) == 0.0:
            raise NotEstimable(
                f"target '{self.target}' is constant over {len(dataset.y)} analysed trajectories",
                details,
            )

    def _performance(self, evaluation: Evaluation) -> dict[str, dict[str, float | None]]:
        names = pm.BINARY_MEASURES if self.kind == "binary" else pm.CONTINUOUS_MEASURES
        out: dict[str, dict[str, float | None]] = {}
        for name in names:
            estimate = pm.number(evaluation.estimate[name])
            apparent = pm.number(evaluation.apparent[name])
            out[name] = {
                "estimate": estimate,
                "ci_low": pm.number(evaluation.ci_low[name]),
                "ci_high": pm.number(evaluation.ci_high[name]),
                "apparent": apparent,
                "optimism": (None if estimate is None or apparent is None else apparent - estimate),
                "repetition_min": (
                    None
                    if evaluation.repetition_min is None
                    else pm.number(evaluation.repetition_min[name])
                ),
                "repetition_max": (
                    None
                    if evaluation.repetition_max is None
                    else pm.number(evaluation.repetition_max[name])
                ),
            }
        return out

    def _sample_size(self, dataset: PredictionSet, design: Design) -> dict[str, Any]:
        n = len(dataset.y)
        parameters = max(design.n_parameters, 1)
        source = "anticipated_r2" if self.anticipated_r2 is not None else "nagelkerke_0.15"
        try:
            if self.kind == "binary":
                prevalence = float(dataset.y.mean())
                r2 = self.anticipated_r2
                if r2 is None:
                    r2 = samplesize.DEFAULT_NAGELKERKE_R2 * samplesize.max_r2_cs(prevalence)
                result = samplesize.riley_binary(r2, parameters, prevalence)
            else:
                r2 = self.anticipated_r2 or samplesize.DEFAULT_NAGELKERKE_R2
                result = samplesize.riley_continuous(
                    r2,
                    parameters,
                    float(dataset.y.mean()),
                    float(dataset.y.std(ddof=1)),
                    margin=self.intercept_margin,
                )
        except ValueError as exc:
            return {
                "criterion": None,
                "n_required": None,
                "sufficient": None,
                "error": str(exc),
                "n_available": n,
            }
        summary = result.as_dict()
        binding = summary["binding_criterion"]
        sufficient = n >= result.minimum_n
        summary.update(
            {
                "criterion": binding,
                "n_required": result.minimum_n,
                "r2_source": source,
                "n_available": n,
                "sufficient": sufficient,
                "reading": (
                    f"Riley et al.'s criteria ask for at least {result.minimum_n} trajectories, "
                    f"set by the {binding.replace('_', ' ')} criterion; {n} are available, so "
                    + (
                        "the sample is large enough for this model."
                        if sufficient
                        else "the model risks overfitting: read its performance as optimistic "
                        "and its coefficients as imprecise."
                    )
                ),
            }
        )
        if self.kind == "binary":
            summary["events_available"] = int(dataset.y.sum())
        return summary

    def _metrics(
        self,
        dataset: PredictionSet,
        design: Design,
        plan: Plan,
        run: ValidationRun,
        evaluation: Evaluation,
        tally: Counter[str],
    ) -> dict[str, Any]:
        n = len(dataset.y)
        performance = self._performance(evaluation)
        converged = not any("ConvergenceWarning" in message for message in tally)
        headline = "auc" if self.kind == "binary" else "r2"
        outcome: dict[str, Any] = {"n": n, "n_clients": len(set(dataset.groups.tolist()))}
        if self.kind == "binary":
            outcome.update(
                {
                    "events": int(dataset.y.sum()),
                    "event_rate": float(dataset.y.mean()),
                    "event": f"{self.target} in ({', '.join(self.positive_labels())})",
                }
            )
        else:
            outcome.update(
                {
                    "outcome_mean": float(dataset.y.mean()),
                    "outcome_sd": float(dataset.y.std(ddof=1)) if n > 1 else None,
                }
            )
        choices = Counter(
            ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "none"
            for params in run.choices
        )
        imputations = plan.imputations if plan.impute else 1
        return {
            "family": self.family,
            "estimator": self.describe(),
            "target": self.target,
            "outcome_type": self.kind,
            **outcome,
            "predictors": design.columns,
            "parameters": design.n_parameters,
            "analysis_set": dataset.flow,
            "missing_predictors": dataset.missing,
            "missing_data": {
                "complete_case": self.complete_case,
                "imputed": plan.impute,
                "imputations": imputations,
                "method": (
                    "complete cases only"
                    if self.complete_case
                    else "multiple imputation inside every training set (chained equations, "
                    + (
                        f"predictive mean matching with {self.pmm_donors} donors for continuous "
                        "predictors, Bayesian normal draws clipped to [0, 1] for dummies and flags"
                        if self.imputation_method == "pmm"
                        else "Bayesian linear-regression draws"
                    )
                    + f", {self.impute_iterations} rounds, outcome "
                    "not used), predictions averaged over imputations"
                    if plan.impute
                    else "no missing predictor values"
                ),
            },
            "validation": {
                "method": self.validation,
                "repeats": self.repeats if self.validation == "nested_cv" else None,
                "folds": self.folds if self.validation == "nested_cv" else None,
                "inner_folds": self.inner_folds,
                "bootstrap_reps": self.bootstrap_reps if self.validation == "bootstrap" else None,
                "refits": len(run.choices),
                "resampling_unit": "client_key",
                "tuning_loss": "log loss" if self.kind == "binary" else "squared error",
            },
            "performance": performance,
            "confidence_intervals": (
                f"{self.ci_level:.0%} percentile intervals over {self.ci_draws} client-cluster "
                "bootstrap resamples of the evaluated trajectories, predictions fixed"
                + (
                    ", shifted by the optimism (Noma et al. 2021)"
                    if self.validation == "bootstrap"
                    else ", averaged over repetitions"
                )
            ),
            "hyperparameters": {
                "final": {k: _jsonable(v) for k, v in sorted(run.final.params.items())},
                "grid": {k: [_jsonable(x) for x in v] for k, v in sorted(self.grid.items())},
                "refits": dict(sorted(choices.items())),
            },
            "importance_sets": int(run.importance.shape[0]),
            "subgroup_min_n": self.subgroup_min_n,
            "sample_size": self._sample_size(dataset, design),
            "converged": converged,
            "usable": converged and performance[headline]["estimate"] is not None,
            "warnings": _warning_list(tally),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class BinaryPredictionModel(PredictionModel):
    """A prediction model of a binary target (event = one of the ``positive`` labels).

    Parameters
    ----------
    positive
        Labels of the target column that count as the event.
    threshold_range, threshold_step
        Risk thresholds of the decision curve: from, to (inclusive) and step.
    """

    kind: ClassVar[Kind] = "binary"

    positive: tuple[str, ...] = ("recovered", "improved")
    threshold_range: tuple[float, float] = (0.05, 0.80)
    threshold_step: float = 0.01

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.positive:
            raise ModelError("positive must name at least one label of the target")
        low, high = self.threshold_range
        if not (0.0 < low <= high < 1.0 and self.threshold_step > 0):
            raise ModelError("threshold_range must satisfy 0 < from <= to < 1, step > 0")

    def positive_labels(self) -> tuple[str, ...]:
        return tuple(self.positive)

    def thresholds(self) -> np.ndarray:
        low, high = self.threshold_range
        count = int(math.floor((high - low) / self.threshold_step + 1e-9)) + 1
        return np.round(low + self.threshold_step * np.arange(count), 10)


@dataclass(frozen=True)
class ContinuousPredictionModel(PredictionModel):
    """A prediction model of a continuous target (a change score)."""

    kind: ClassVar[Kind] = "continuous"


def example_settings() -> dict[str, Any]:
    """Small validation settings for the registry's contract tests (``example()``)."""
    return {
        "repeats": 1,
        "folds": 3,
        "inner_folds": 2,
        "imputations": 2,
        "impute_iterations": 2,
        "ci_draws": 50,
        "importance_repeats": 1,
        "importance_fits": 1,
        "n_jobs": 1,
    }
