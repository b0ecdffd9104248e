"""The contract every model follows: hyper-parameters as fields, one pure ``fit``.

A model is one frozen dataclass in its own module of :mod:`pipeline.models` (the module's file
name is the registry key and the ``model:`` value in ``params.yaml``). Its fields are the
hyper-parameters, formulas are strings, and :meth:`Model.fit` is a pure function of
:class:`ModelInputs`: it reads no file, clock, environment variable or global random state and
never mutates its input. The stage :mod:`pipeline.stages.fit` does the reading and writing.

The shape of the outputs (``docs/outputs.md``, *Models*) is checked here once, by
:func:`check_fit_result`, for every family: ``coefficients`` with the columns
:data:`COEFFICIENT_COLUMNS`, ``metrics`` a JSON-able mapping, ``tables`` named frames.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import pandas as pd

from pipeline.errors import PipelineError

#: The model families; a family shares one analysis-set builder and one output layout.
FAMILIES: tuple[str, ...] = ("mixed", "prediction", "survival")

#: Columns of ``data/models/<name>/coefficients.csv`` (docs/outputs.md), in this order.
COEFFICIENT_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
)


class ModelError(PipelineError):
    """A model cannot be fitted as configured (empty analysis set, singular design, ...).

    Like every :class:`~pipeline.errors.PipelineError` the message names columns, terms and
    counts, never a patient value.
    """


class NotEstimable(ModelError):
    """The model is well configured but the data cannot support it (``docs/robustness.md``).

    Raised by a family's analysis-set builder or fitter when the analysis set is empty or too
    small, has no events or a single outcome class, a constant outcome or a degenerate design.
    The fit stage does not fail on it: it writes ``metrics.json`` with ``"estimable": false``,
    the one-line ``"reason"`` (this message) and ``details``, and an empty ``coefficients.csv``
    with the columns :data:`COEFFICIENT_COLUMNS` (see :func:`not_estimable_result`). Bad
    *parameters* are never this error: they stay a :class:`ModelError` raised at build time
    (and a :class:`~pipeline.errors.ParamsError` from the registry).

    Parameters
    ----------
    reason
        One line naming columns, counts and thresholds, never a patient value.
    details
        JSON-able figures known when the fit stopped (analysis-set flow, n, events), merged
        into ``metrics.json``; counts only.
    """

    def __init__(self, reason: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = str(self)
        self.details: dict[str, Any] = dict(details or {})


@dataclass(frozen=True)
class ModelInputs:
    """Everything a model may look at: the processed tables and the seed.

    Attributes
    ----------
    scores
        ``data/processed/scores.parquet``: one row per kept administration (``client_key``,
        ``trajectory_key``, ``instrument``, ``completed_at``, ``timepoint``,
        ``days_from_start`` and the score columns).
    trajectories
        ``data/processed/trajectories.parquet``: one row per trajectory with the baseline
        factors (``age_at_start``, ``sex``, ``diagnosis``, ``cfs``, every ``comorbid_*``,
        ``research_consent`` ...) and the per-outcome change columns.
    seed
        Seed for every random step of a fit (resampling, imputation, cross-validation folds).
        Deterministic models ignore it.
    export_date
        The export's cut-off day as ingest settled it (``data/interim/ingested/export.json``:
        ``ingest.export_date``, else the latest administration day not after the day the files
        were written); ``None`` when unknown (tests, a scored file). Survival models close
        follow-up there unless their own ``export_date`` is set.
    """

    scores: pd.DataFrame
    trajectories: pd.DataFrame
    seed: int = 0
    export_date: pd.Timestamp | None = None


@dataclass(frozen=True)
class FitResult:
    """What a fit hands to the stage for writing.

    Attributes
    ----------
    coefficients
        One row per term, columns :data:`COEFFICIENT_COLUMNS` (empty cells as NaN), optionally
        followed by extra float columns (the Cox models add ``hazard_ratio``, ``hr_ci_low``,
        ``hr_ci_high``). Mixed models add their variance components as terms
        ``var(<effect>)``, ``cov(<a>,<b>)`` and ``var(residual)``.
    metrics
        JSON-able mapping (``metrics.json``): n, events, convergence and warnings, validated
        performance ... Floats must be finite; a missing figure is ``None``.
    tables
        Extra outputs, written as ``<name>.csv`` next to the coefficients (predictions per
        fold, survival tables ...).
    """

    coefficients: pd.DataFrame
    metrics: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class Model(ABC):
    """Abstract base of every registered model.

    Subclasses are frozen dataclasses whose fields are the hyper-parameters (the keys of their
    ``params.yaml`` entry besides ``model:``), set ``family`` to one of :data:`FAMILIES`, and
    implement :meth:`fit` and :meth:`example`.
    """

    family: ClassVar[str]

    @abstractmethod
    def fit(self, data: ModelInputs) -> FitResult:
        """Fit the model to ``data``; pure (no I/O, no global state, input left unchanged)."""

    @classmethod
    @abstractmethod
    def example(cls) -> Self:
        """A small valid configuration, fitted by the registry-wide contract tests.

        It must fit the synthetic inputs of :func:`pipeline.models._simulate.simulate_inputs`.
        """


def empty_coefficients() -> pd.DataFrame:
    """A coefficients table with the columns :data:`COEFFICIENT_COLUMNS` and no rows."""
    frame = pd.DataFrame({column: pd.Series(dtype=float) for column in COEFFICIENT_COLUMNS})
    frame["term"] = pd.Series(dtype=object)
    return frame


def not_estimable_result(error: NotEstimable) -> FitResult:
    """The :class:`FitResult` written for a model that cannot be estimated on its data.

    ``metrics`` holds ``estimable: false``, the one-line ``reason`` and the error's
    ``details`` (counts such as the analysis-set flow); ``coefficients`` is empty with the
    standard columns; no extra tables.
    """
    metrics: dict[str, Any] = {**error.details, "estimable": False, "reason": error.reason}
    return FitResult(coefficients=empty_coefficients(), metrics=metrics)


def is_estimable(metrics: Mapping[str, Any]) -> bool:
    """Whether a ``metrics.json`` mapping describes a fitted model (``estimable`` not false).

    Outputs written before the flag existed count as estimable.
    """
    return metrics.get("estimable") is not False


def check_fit_result(result: FitResult, where: str = "model") -> None:
    """Check that ``result`` follows the output contract of docs/outputs.md.

    Parameters
    ----------
    result
        The result of :meth:`Model.fit`.
    where
        Name used in the error message (the ``params.yaml`` entry).

    Raises
    ------
    ModelError
        When a required column is missing or out of order, an extra column comes before them or
        is unnamed, a term is repeated or empty, a numeric column is not numeric, the metrics
        are not JSON-able with finite floats, a table name is not a plain file name, or
        ``estimable`` is present but not true/false (false needs a one-line ``reason`` and no
        coefficient rows).
    """
    coefficients = result.coefficients
    if not isinstance(coefficients, pd.DataFrame):
        raise ModelError(f"{where}: coefficients must be a DataFrame")
    columns = tuple(coefficients.columns)
    if columns[: len(COEFFICIENT_COLUMNS)] != COEFFICIENT_COLUMNS:
        raise ModelError(
            f"{where}: coefficients columns must be {', '.join(COEFFICIENT_COLUMNS)} "
            f"(then any extra float columns); got {', '.join(map(str, coefficients.columns))}"
        )
    extra = columns[len(COEFFICIENT_COLUMNS) :]
    if any(not isinstance(c, str) or not c for c in extra) or len(set(columns)) != len(columns):
        raise ModelError(f"{where}: extra coefficient columns need distinct, non-empty names")
    terms = coefficients["term"]
    if terms.isna().any() or not all(isinstance(t, str) and t for t in terms):
        raise ModelError(f"{where}: every coefficient needs a non-empty term name")
    if terms.duplicated().any():
        dupes = sorted(set(terms[terms.duplicated()]))
        raise ModelError(f"{where}: repeated coefficient term(s): {', '.join(dupes)}")
    for column in columns[1:]:
        if not pd.api.types.is_float_dtype(coefficients[column]):
            raise ModelError(f"{where}: coefficient column {column} must be float")
    if not isinstance(result.metrics, Mapping):
        raise ModelError(f"{where}: metrics must be a mapping")
    _check_json(result.metrics, f"{where}: metrics")
    estimable = result.metrics.get("estimable", True)
    if not isinstance(estimable, bool):
        raise ModelError(f"{where}: metrics 'estimable' must be true or false")
    if not estimable:
        reason = result.metrics.get("reason")
        if not isinstance(reason, str) or not reason or "\n" in reason:
            raise ModelError(f"{where}: a model that is not estimable needs a one-line reason")
        if len(coefficients):
            raise ModelError(f"{where}: a model that is not estimable has no coefficients")
    try:
        json.dumps(result.metrics, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{where}: metrics are not JSON-able ({exc.__class__.__name__})") from exc
    for name, table in result.tables.items():
        if not name or not name.replace("_", "").isalnum() or name == "coefficients":
            raise ModelError(f"{where}: table name '{name}' must be letters, digits and _")
        if not isinstance(table, pd.DataFrame):
            raise ModelError(f"{where}: table '{name}' must be a DataFrame")


def _check_json(value: Any, where: str) -> None:
    """Reject non-finite floats and non-string keys anywhere in a metrics mapping."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ModelError(f"{where} holds a non-finite number (use None for a missing figure)")
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if not isinstance(key, str):
                raise ModelError(f"{where} has a non-text key")
            _check_json(inner, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for inner in value:
            _check_json(inner, where)
