"""Fitting and internal validation of prediction pipelines (the prediction family's engine).

The *procedure* that is validated is everything that learns from data: encoding, multiple
imputation, scaling, hyper-parameter tuning and the estimator. :func:`fit_procedure` runs it on
a training set and returns a :class:`FittedProcedure` (``m`` scikit-learn ``Pipeline`` s, one
per imputation, whose predictions are averaged). :func:`run_validation` repeats the whole
procedure inside every training set of

- repeated nested cross-validation (``nested_cv``): ``repeats`` x ``folds`` outer folds,
  tuning by an inner ``inner_folds``-fold cross-validation inside each outer training set
  (Varma & Simon 2006; Krstajic et al. 2014); every trajectory gets one held-out prediction
  per repetition; or
- Harrell's optimism bootstrap (``bootstrap``): the procedure refitted on ``bootstrap_reps``
  bootstrap samples; each refit is evaluated on its own sample and on the original data, the
  mean difference is the optimism (Harrell, Lee & Mark 1996; Harrell 2015, section 5.3; as R
  ``rms::validate``, ``method = "boot"``).

Resampling is by client: folds, inner folds and bootstrap samples keep all trajectories of one
client together (``groups``), so that a client's second trajectory never validates a model
that saw the first.

Missing predictor values are multiply imputed *inside* the procedure: chained equations with
Bayesian linear-regression draws (mice's "norm" method; van Buuren & Groothuis-Oudshoorn 2011;
:class:`~pipeline.models.prediction._prediction_impute.ChainedEquationsImputer`, the equivalent of
scikit-learn's ``IterativeImputer(sample_posterior=True)``) are fitted on the training rows
only, ``m`` times with different seeds, and the ``m`` pipelines' predictions are averaged
(Wood, Royston & White 2015). The outcome is not part of the imputation model, so the same
imputation applies to a new patient whose outcome is unknown (Hoogland et al. 2020; Sisk et al.
2023). Imputed 0/1 flags are drawn on a continuous scale and clipped to [0, 1], not rounded
(Horton, Lipsitz & Parzen 2003).
Categorical predictors (sex, diagnosis) are single-imputed with the training mode. Tuning is
an inner cross-validation on the training set's first imputed matrix (the imputation ignores
the outcome, so no outcome information crosses inner folds) and picks the hyper-parameters
minimising the held-out log loss (binary) or squared error (continuous), proper scoring rules.

Permutation importance (Breiman 2001; Fisher, Rudin & Dominici 2019) is computed on held-out
rows (outer test folds, or the out-of-bag rows of a bootstrap refit) on the imputed model
matrices: all columns of one predictor (every dummy of a categorical) are permuted together,
with the same permutation in every imputation, and the drop in the AUC (binary) or R²
(continuous) of the averaged prediction is the importance.

Every task is deterministic given its seed (derived from the fit's seed and the task's
position), so the result does not depend on ``n_jobs`` or on where the tasks run. BLAS and
OpenMP threads are limited to one per task; parallelism is over tasks, on local worker
processes (joblib's ``loky`` backend) or a Dask cluster (``fit.backend``;
:mod:`pipeline.models.parallel`).

References
----------
Harrell FE, Lee KL, Mark DB (1996). Multivariable prognostic models. Statistics in Medicine 15,
361-387. Harrell FE (2015). Regression Modeling Strategies, 2nd ed. Springer.
Varma S, Simon R (2006). Bias in error estimation when using cross-validation for model
selection. BMC Bioinformatics 7, 91.
Krstajic D, Buturovic LJ, Leahy DE, Thomas S (2014). Cross-validation pitfalls when selecting
and assessing regression and classification models. Journal of Cheminformatics 6, 10.
van Buuren S, Groothuis-Oudshoorn K (2011). mice: multivariate imputation by chained equations
in R. Journal of Statistical Software 45(3).
Wood AM, Royston P, White IR (2015). The estimation and use of predictions for the assessment of
model performance using large samples with multiply imputed data. Biometrical Journal 57,
614-632.
Hoogland J, van Barreveld M, Debray TPA, et al. (2020). Handling missing predictor values when
validating and applying a prediction model to new patients. Statistics in Medicine 39,
3591-3607.
Sisk R, Sperrin M, Peek N, van Smeden M, Martin GP (2023). Imputation and missing indicators for
handling missing data in the development and deployment of clinical prediction models.
Statistical Methods in Medical Research 32, 1461-1477.
Horton NJ, Lipsitz SR, Parzen M (2003). A potential for bias when rounding in multiple
imputation. The American Statistician 57, 229-232.
Breiman L (2001). Random forests. Machine Learning 45, 5-32.
Fisher A, Rudin C, Dominici F (2019). All models are wrong, but many are useful. Journal of
Machine Learning Research 20(177), 1-81.
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from pipeline.models import parallel
from pipeline.models.prediction import _prediction_metrics as pm
from pipeline.models.prediction._prediction_impute import ChainedEquationsImputer

Kind = Literal["binary", "continuous"]
#: Largest stacked matrix (rows) scored at once by the permutation importance.
STACK_ROWS = 50_000
Method = Literal["nested_cv", "bootstrap"]


def derive_seed(seed: int, *tags: int) -> int:
    """A 32-bit seed derived from ``seed`` and integer ``tags`` (NumPy ``SeedSequence``)."""
    return int(np.random.SeedSequence([int(seed) % 2**63, *tags]).generate_state(1)[0])


@dataclass(frozen=True)
class Design:
    """How the raw predictor columns become the model matrix.

    Attributes
    ----------
    categorical
        Text predictors, one-hot encoded with the reference level dropped (treatment coding).
    numeric
        Numeric predictors (0/1 flags included), passed through.
    levels
        Levels of each categorical predictor, reference first.
    binary
        Numeric predictors whose observed values are all 0 or 1 (imputations clipped to [0, 1]).
    """

    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    levels: Mapping[str, tuple[str, ...]]
    binary: frozenset[str] = frozenset()

    @property
    def columns(self) -> list[str]:
        """Raw predictor columns in model order."""
        return [*self.categorical, *self.numeric]

    def feature_names(self) -> list[str]:
        """Model-matrix columns: ``sex[T.m]`` style dummies, then the numeric predictors."""
        dummies = [f"{c}[T.{level}]" for c in self.categorical for level in self.levels[c][1:]]
        return [*dummies, *self.numeric]

    @property
    def n_parameters(self) -> int:
        """Columns of the model matrix (candidate predictor parameters, no intercept)."""
        return len(self.feature_names())

    def feature_groups(self) -> dict[str, np.ndarray]:
        """Model-matrix column indices of each raw predictor."""
        groups: dict[str, np.ndarray] = {}
        start = 0
        for column in self.categorical:
            width = len(self.levels[column]) - 1
            groups[column] = np.arange(start, start + width)
            start += width
        for column in self.numeric:
            groups[column] = np.array([start])
            start += 1
        return groups


def build_design(frame: pd.DataFrame, reference_levels: Mapping[str, str] | None = None) -> Design:
    """The :class:`Design` of the predictor columns of ``frame``.

    Text columns are categorical; their levels are the sorted observed values with the reference
    level (``reference_levels``, else the first) moved to the front. Levels are a property of
    the schema, not of the outcome, so fixing them on the whole analysis set leaks nothing.
    """
    reference_levels = reference_levels or {}
    categorical, numeric, binary = [], [], set()
    levels: dict[str, tuple[str, ...]] = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numeric.append(str(column))
            observed = values.dropna().to_numpy(dtype=float)
            if len(observed) and np.isin(observed, (0.0, 1.0)).all():
                binary.add(str(column))
            continue
        categorical.append(str(column))
        observed_levels = sorted({str(v) for v in values.dropna()})
        reference = reference_levels.get(str(column))
        if reference in observed_levels:
            observed_levels.remove(reference)
            observed_levels.insert(0, reference)
        levels[str(column)] = tuple(observed_levels)
    return Design(tuple(categorical), tuple(numeric), levels, frozenset(binary))


@dataclass(frozen=True)
class EstimatorSpec:
    """The estimator of a procedure: class, fixed settings and the tuning grid.

    Attributes
    ----------
    kind
        ``binary`` (predicted probabilities) or ``continuous``.
    estimator
        A scikit-learn estimator class.
    fixed
        Settings passed to every fit.
    candidates
        Hyper-parameter combinations tried by the inner cross-validation (one empty mapping:
        nothing to tune).
    scale
        Standardise the model matrix (penalised and linear models; not needed by trees).
    """

    kind: Kind
    estimator: type
    fixed: Mapping[str, Any] = field(default_factory=dict)
    candidates: tuple[Mapping[str, Any], ...] = ({},)
    scale: bool = True

    def make(self, params: Mapping[str, Any], seed: int) -> Any:
        """A new estimator with ``params`` on top of the fixed settings."""
        settings = {**self.fixed, **params}
        if "random_state" in self.estimator().get_params():
            settings["random_state"] = seed
        return self.estimator(**settings)


def grid_candidates(grid: Mapping[str, Sequence[Any]]) -> tuple[dict[str, Any], ...]:
    """Every combination of a hyper-parameter grid, in grid order (keys sorted)."""
    keys = sorted(grid)
    if not keys:
        return ({},)
    return tuple(
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(tuple(grid[k]) for k in keys))
    )


@dataclass(frozen=True)
class Plan:
    """How a procedure is fitted and validated (the model's validation hyper-parameters)."""

    method: Method
    repeats: int
    folds: int
    inner_folds: int
    bootstrap_reps: int
    imputations: int
    impute: bool
    impute_iterations: int
    importance_repeats: int
    importance_fits: int
    n_jobs: int
    seed: int
    impute_method: str = "pmm"
    pmm_donors: int = 5


def imputation_bounds(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits of imputed values per model-matrix column: [0, 1] for dummies
    and 0/1 flags, unbounded otherwise."""
    low = np.full(design.n_parameters, -np.inf)
    high = np.full(design.n_parameters, np.inf)
    groups = design.feature_groups()
    for column in [*design.categorical, *sorted(design.binary)]:
        low[groups[column]], high[groups[column]] = 0.0, 1.0
    return low, high


def make_preprocessor(
    design: Design,
    impute: bool,
    seed: int,
    scale: bool,
    iterations: int,
    method: str = "pmm",
    donors: int = 5,
) -> Any:
    """Encoding, (one draw of the) imputation and scaling, as a scikit-learn Pipeline."""
    transformers: list[tuple[str, Any, list[str]]] = []
    if design.categorical:
        encoder = OneHotEncoder(
            categories=[list(design.levels[c]) for c in design.categorical],
            drop=[design.levels[c][0] for c in design.categorical],
            handle_unknown="ignore",
            sparse_output=False,
        )
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("mode", SimpleImputer(strategy="most_frequent", missing_values=np.nan)),
                        ("dummies", encoder),
                    ]
                ),
                list(design.categorical),
            )
        )
    if design.numeric:
        transformers.append(("numeric", "passthrough", list(design.numeric)))
    encode = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
    steps: list[tuple[str, Any]] = [("encode", encode)]
    if impute:
        low, high = imputation_bounds(design)
        steps.append(
            (
                "impute",
                ChainedEquationsImputer(
                    iterations=iterations,
                    min_value=low,
                    max_value=high,
                    random_state=seed,
                    method=method,
                    donors=donors,
                ),
            )
        )
    steps.append(("scale", StandardScaler() if scale else "passthrough"))
    return Pipeline(steps)


def _predict(estimator: Any, kind: Kind, matrix: np.ndarray) -> np.ndarray:
    if kind == "binary":
        return np.asarray(estimator.predict_proba(matrix)[:, 1], dtype=float)
    return np.asarray(estimator.predict(matrix), dtype=float)


@dataclass
class FittedProcedure:
    """The fitted procedure: one pipeline per imputation, predictions averaged.

    Attributes
    ----------
    pipelines
        ``Pipeline([encode, impute, scale, model])`` per imputation.
    params
        The tuned hyper-parameters.
    kind
        ``binary`` or ``continuous``.
    """

    pipelines: list[Pipeline]
    params: dict[str, Any]
    kind: Kind

    def transform(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """The model matrix of ``frame`` under each imputation."""
        return [np.asarray(p[:-1].transform(frame), dtype=float) for p in self.pipelines]

    def predict_matrices(self, matrices: Sequence[np.ndarray]) -> np.ndarray:
        """Averaged prediction from model matrices (one per imputation)."""
        predictions = [
            _predict(p[-1], self.kind, m) for p, m in zip(self.pipelines, matrices, strict=True)
        ]
        return np.mean(predictions, axis=0)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Averaged prediction (probability of the event, or the expected outcome)."""
        return self.predict_matrices(self.transform(frame))


@dataclass(frozen=True)
class GroupFolds:
    """Shuffled K-fold split keeping every group (client) whole, balanced on the outcome.

    Groups are ordered by stratum (their number of events when ``stratify``, then their number
    of rows), in random order within a stratum, and dealt to the folds in turn from a random
    start, so every fold gets nearly the same number of rows and, for a binary outcome, of
    events. Repeated rows of one group (a bootstrap sample) stay together.
    """

    folds: int
    stratify: bool
    seed: int

    def split(
        self, frame: Any, y: np.ndarray, groups: np.ndarray
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row positions for each fold."""
        rng = np.random.default_rng(self.seed)
        codes, index = np.unique(np.asarray(groups), return_inverse=True)
        if len(codes) < self.folds:
            raise ValueError(f"{len(codes)} clients cannot be split into {self.folds} folds")
        size = np.bincount(index, minlength=len(codes))
        events = (
            np.bincount(index, weights=np.asarray(y, dtype=float), minlength=len(codes))
            if self.stratify
            else np.zeros(len(codes))
        )
        order = rng.permutation(len(codes))
        ordered = order[np.lexsort((size[order], events[order]))]
        fold_of_group = np.empty(len(codes), dtype=int)
        fold_of_group[ordered] = (np.arange(len(codes)) + rng.integers(self.folds)) % self.folds
        fold_of_row = fold_of_group[index]
        for fold in range(self.folds):
            yield np.flatnonzero(fold_of_row != fold), np.flatnonzero(fold_of_row == fold)


def splitter(kind: Kind, folds: int, seed: int) -> GroupFolds:
    """Client-grouped shuffled K-fold splitter, stratified on the outcome when it is binary."""
    return GroupFolds(folds=folds, stratify=kind == "binary", seed=seed)


def _loss(kind: Kind, y: np.ndarray, pred: np.ndarray) -> float:
    if kind == "binary":
        p = np.clip(pred, pm.EPS, 1.0 - pm.EPS)
        return float(-(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)).sum())
    return float(((y - pred) ** 2).sum())


def tune(
    spec: EstimatorSpec,
    matrix: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    plan: Plan,
    seed: int,
) -> dict[str, Any]:
    """The candidate with the smallest inner cross-validated loss (first on ties).

    ``matrix`` is the training set's first imputed (and scaled) model matrix: the imputation
    does not use the outcome, so sharing it across inner folds leaks no outcome information
    into the tuning, and the outer held-out rows are never part of it.
    """
    if len(spec.candidates) == 1:
        return dict(spec.candidates[0])
    losses = np.zeros(len(spec.candidates))
    inner = splitter(spec.kind, plan.inner_folds, derive_seed(seed, 1))
    for train, test in inner.split(matrix, y, groups):
        for index, params in enumerate(spec.candidates):
            model = spec.make(params, derive_seed(seed, 3)).fit(matrix[train], y[train])
            losses[index] += _loss(spec.kind, y[test], _predict(model, spec.kind, matrix[test]))
    return dict(spec.candidates[int(np.argmin(losses))])


def fit_procedure(
    spec: EstimatorSpec,
    design: Design,
    frame: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    plan: Plan,
    seed: int,
) -> FittedProcedure:
    """Impute m times, tune on the first imputation, fit one pipeline per imputation.

    Each pipeline is ``encode -> impute (draw k) -> scale -> model``, all fitted on ``frame``.
    """
    return _fit_procedure(spec, design, frame, y, groups, plan, seed)[0]


def _fit_procedure(
    spec: EstimatorSpec,
    design: Design,
    frame: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    plan: Plan,
    seed: int,
) -> tuple[FittedProcedure, list[np.ndarray]]:
    """:func:`fit_procedure`, also returning the imputed training matrices."""
    imputations = plan.imputations if plan.impute else 1
    prefixes, matrices = [], []
    for k in range(imputations):
        prefix = make_preprocessor(
            design,
            plan.impute,
            derive_seed(seed, 10 + k),
            spec.scale,
            plan.impute_iterations,
            plan.impute_method,
            plan.pmm_donors,
        )
        matrices.append(np.asarray(prefix.fit_transform(frame), dtype=float))
        prefixes.append(prefix)
    params = tune(spec, matrices[0], y, groups, plan, seed)
    pipelines = []
    for prefix, matrix in zip(prefixes, matrices, strict=True):
        model = spec.make(params, derive_seed(seed, 4)).fit(matrix, y)
        pipelines.append(Pipeline([*prefix.steps, ("model", model)]))
    return FittedProcedure(pipelines, params, spec.kind), matrices


def score_function(kind: Kind) -> Callable[[np.ndarray, np.ndarray], float]:
    """The measure whose drop is the permutation importance: AUC (binary) or R² (continuous)."""
    if kind == "binary":
        return lambda y, p: float(pm.weighted_auc(y, p)[0])
    return lambda y, p: float(pm.continuous_measures(y, p)["r2"][0])


def permutation_importance(
    fitted: FittedProcedure,
    design: Design,
    matrices: Sequence[np.ndarray],
    y: np.ndarray,
    repeats: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Mean drop in AUC / R² per raw predictor when its columns are permuted (held-out rows).

    ``matrices`` are the held-out rows' model matrices (one per imputation,
    :meth:`FittedProcedure.transform`). All columns of one predictor are permuted together, by
    the same permutation in every imputation. The permuted copies of several predictors are
    stacked into one prediction call (at most :data:`STACK_ROWS` rows), which is what makes
    forests affordable here.
    """
    score = score_function(fitted.kind)
    base = score(y, fitted.predict_matrices(matrices))
    n = len(y)
    groups = [(i, c) for i, c in enumerate(design.feature_groups().values()) if len(c)]
    plan = [(i, c, rng.permutation(n)) for i, c in groups for _ in range(repeats)]
    per_batch = max(1, STACK_ROWS // max(n, 1))
    scores: dict[int, list[float]] = {i: [] for i, _ in groups}
    for start in range(0, len(plan), per_batch):
        batch = plan[start : start + per_batch]
        stacked = []
        for matrix in matrices:
            copies = np.tile(matrix, (len(batch), 1))
            for b, (_, columns, order) in enumerate(batch):
                copies[b * n : (b + 1) * n, columns[0] : columns[-1] + 1] = matrix[order][
                    :, columns
                ]
            stacked.append(copies)
        predicted = fitted.predict_matrices(stacked).reshape(len(batch), n)
        for b, (index, _, _) in enumerate(batch):
            scores[index].append(score(y, predicted[b]))
    drops = np.zeros(len(design.columns))
    for index, values in scores.items():
        drops[index] = base - float(np.mean(values))
    return drops


@dataclass
class TaskResult:
    """What one fit of the procedure returns to :func:`run_validation`."""

    prediction: np.ndarray
    params: dict[str, Any]
    importance: np.ndarray | None
    warnings: list[str]
    fitted: FittedProcedure | None = None
    train_prediction: np.ndarray | None = None


def _task(
    spec: EstimatorSpec,
    design: Design,
    frame: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    plan: Plan,
    seed: int,
    train: np.ndarray,
    evaluate: np.ndarray | None,
    importance_positions: np.ndarray | None,
    on_training: bool = False,
) -> TaskResult:
    """Fit the procedure on rows ``train`` (repeats allowed) and predict rows ``evaluate``.

    ``evaluate`` ``None`` marks the final model: it predicts its own training rows (from the
    imputed training matrices) and is returned whole. ``on_training`` also returns the
    predictions for the training rows as fitted (imputed training matrices; a bootstrap refit's
    apparent performance). Permutation importance is computed on the predicted rows at
    ``importance_positions``.
    """
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        warnings.simplefilter("always")
        fitted, matrices = _fit_procedure(
            spec, design, frame.iloc[train], y[train], groups[train], plan, seed
        )
        on_sample = fitted.predict_matrices(matrices) if on_training else None
        if evaluate is not None:
            matrices = fitted.transform(frame.iloc[evaluate])
        prediction = fitted.predict_matrices(matrices)
        importance = None
        if importance_positions is not None and len(importance_positions) > 1:
            rows = train if evaluate is None else evaluate
            importance = permutation_importance(
                fitted,
                design,
                [m[importance_positions] for m in matrices],
                y[rows][importance_positions],
                plan.importance_repeats,
                np.random.default_rng(derive_seed(seed, 5)),
            )
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    keep = fitted if evaluate is None else None
    return TaskResult(prediction, fitted.params, importance, messages, keep, on_sample)


@dataclass
class ValidationRun:
    """Raw results of a validation: predictions of every refit and of the final model.

    Attributes
    ----------
    method
        ``nested_cv`` or ``bootstrap``.
    final
        The procedure fitted on all rows (the model).
    apparent
        The final model's predictions for all rows.
    held_out
        ``nested_cv``: held-out predictions, repetitions x rows.
    fold
        ``nested_cv``: outer fold (1-based) of each row in each repetition.
    bootstrap_prediction, bootstrap_counts
        ``bootstrap``: each refit's predictions for all original rows, and how often each row
        was drawn into its bootstrap sample (refits x rows).
    bootstrap_on_sample
        ``bootstrap``: each refit's predictions for its own bootstrap sample as fitted (rows
        ``repeat(arange(n), counts)``, with the imputations it was trained on).
    importance
        Permutation importance per held-out set (sets x predictors).
    choices
        Tuned hyper-parameters of every refit.
    warnings
        Every warning raised while fitting, with counts.
    """

    method: Method
    final: FittedProcedure
    apparent: np.ndarray
    held_out: np.ndarray | None
    fold: np.ndarray | None
    bootstrap_prediction: np.ndarray | None
    bootstrap_counts: np.ndarray | None
    importance: np.ndarray
    choices: list[dict[str, Any]]
    warnings: Counter[str]
    bootstrap_on_sample: list[np.ndarray] | None = None


def bootstrap_counts(groups: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """Cluster-bootstrap resampling counts of every row (reps x rows), clients drawn whole."""
    return pm.cluster_bootstrap_weights(groups, reps, np.random.default_rng(seed)).astype(int)


def run_validation(
    spec: EstimatorSpec,
    design: Design,
    frame: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    plan: Plan,
) -> ValidationRun:
    """Fit the final model and validate the procedure as ``plan.method`` says.

    Raises
    ------
    ValueError
        From the splitters when the data cannot be split as asked (too few clients or events).
    """
    n = len(y)
    every = np.arange(n)
    jobs: list[tuple[Any, ...]] = [(every, None, None, derive_seed(plan.seed, 0))]
    fold = None
    counts = None
    if plan.method == "nested_cv":
        fold = np.zeros((plan.repeats, n), dtype=int)
        for r in range(plan.repeats):
            outer = splitter(spec.kind, plan.folds, derive_seed(plan.seed, 100, r))
            for f, (train, test) in enumerate(outer.split(frame, y, groups)):
                fold[r, test] = f + 1
                positions = np.arange(len(test)) if len(jobs) - 1 < plan.importance_fits else None
                jobs.append((train, test, positions, derive_seed(plan.seed, 200, r, f)))
    else:
        counts = bootstrap_counts(groups, plan.bootstrap_reps, derive_seed(plan.seed, 300))
        for b in range(plan.bootstrap_reps):
            train = np.repeat(every, counts[b])
            out_of_bag = np.flatnonzero(counts[b] == 0)
            positions = out_of_bag if b < plan.importance_fits else None
            jobs.append((train, every, positions, derive_seed(plan.seed, 400, b)))
    if plan.importance_repeats < 1:
        jobs = [(job[0], job[1], None, job[3]) for job in jobs]
    on_training = plan.method == "bootstrap"
    results = parallel.run_tasks(
        _task,
        [
            (spec, design, frame, y, groups, plan, seed, train, rows, positions, on_training)
            for train, rows, positions, seed in jobs
        ],
        plan.n_jobs,
    )
    final = results[0]
    assert final.fitted is not None
    refits = results[1:]
    tally: Counter[str] = Counter()
    for result in results:
        tally.update(result.warnings)
    importance = [r.importance for r in refits if r.importance is not None]
    held_out = None
    prediction = None
    if plan.method == "nested_cv":
        assert fold is not None
        held_out = np.zeros((plan.repeats, n))
        index = 0
        for r in range(plan.repeats):
            for f in range(plan.folds):
                held_out[r, fold[r] == f + 1] = refits[index].prediction
                index += 1
    else:
        prediction = np.vstack([r.prediction for r in refits])
    return ValidationRun(
        method=plan.method,
        final=final.fitted,
        apparent=final.prediction,
        held_out=held_out,
        fold=fold,
        bootstrap_prediction=prediction,
        bootstrap_on_sample=(
            [r.train_prediction for r in refits if r.train_prediction is not None]
            if plan.method == "bootstrap"
            else None
        ),
        bootstrap_counts=counts,
        importance=np.vstack(importance) if importance else np.zeros((0, len(design.columns))),
        choices=[r.params for r in refits],
        warnings=tally,
    )
