"""Logistic regression by maximum likelihood: odds ratios of a binary treatment outcome.

Estimand: the log odds of the event (by default reliable improvement on the SSD-12:
``ssd12_total_category`` ``recovered`` or ``improved``) per unit of each baseline predictor,
adjusted for the others; exponentiated, the odds ratios with 95% confidence intervals that the
research question (*which baseline factors predict treatment success*) asks for. Nothing is
penalised or tuned, so the coefficients keep their usual standard errors; the price is more
optimism in prediction than the penalised model (le Cessie & van Houwelingen 1992), which the
validation measures and reports like for every prediction entry.

Two roles, as :mod:`pipeline.models.prediction.ancova`:

- *prediction*: a scikit-learn ``LogisticRegression`` without penalty (``C = inf``) inside the
  validated procedure of :mod:`pipeline.models.prediction._prediction`;
- *inference*: ``coefficients.csv`` holds statsmodels ``Logit`` estimates (log odds; Wald
  intervals and p-values). With missing predictor values the model is fitted on each of
  ``imputations`` imputed data sets, whose imputation model includes the outcome (Moons et al.
  2006), and pooled by Rubin's rules with Barnard-Rubin degrees of freedom from the
  complete-data residual df n - p, as R ``mice::pool`` does for a ``glm``; with complete data
  the intervals are Wald z intervals, as R ``confint.default`` of a ``glm``.

References
----------
le Cessie S, van Houwelingen JC (1992). Ridge estimators in logistic regression. Applied
Statistics 41, 191-201.
Moons KGM, Donders RART, Stijnen T, Harrell FE (2006). Using the outcome for imputation of
missing predictor values was preferred. Journal of Clinical Epidemiology 59, 1092-1101.
Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple imputation.
Biometrika 86, 948-955.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from pipeline.models.base import ModelError, NotEstimable
from pipeline.models.prediction._prediction import (
    BinaryPredictionModel,
    Pooled,
    PredictionSet,
    coefficient_frame,
    example_settings,
    pool_rubin,
)
from pipeline.models.prediction._prediction_engine import (
    Design,
    EstimatorSpec,
    ValidationRun,
    derive_seed,
    imputation_bounds,
    make_preprocessor,
)
from pipeline.models.prediction._prediction_impute import ChainedEquationsImputer

#: A log-odds standard error above this means a flat (monotone) likelihood: the term's estimate
#: runs off to infinity (quasi-complete separation); as the Cox models' ``SEPARATION_SE``.
SEPARATION_SE = 20.0


def _fixed() -> dict[str, Any]:
    return {"max_iter": 5000}


@dataclass(frozen=True)
class Logistic(BinaryPredictionModel):
    """Maximum-likelihood logistic regression (``model: logistic``); fields as
    :class:`~pipeline.models.prediction._prediction.BinaryPredictionModel` (``grid`` unused:
    nothing is tuned)."""

    estimator_class: ClassVar[type] = LogisticRegression

    estimator_params: dict[str, Any] = field(default_factory=_fixed)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.grid:
            raise ModelError("logistic has nothing to tune: leave grid empty")
        if "C" in self.estimator_params:
            raise ModelError("logistic is unpenalised: use logistic_l2 for a penalty C")

    def estimator_spec(self) -> EstimatorSpec:
        """scikit-learn's ``LogisticRegression`` with no penalty (``C = inf``)."""
        spec = super().estimator_spec()
        return EstimatorSpec(
            kind=spec.kind,
            estimator=spec.estimator,
            fixed={**spec.fixed, "C": math.inf},
            candidates=spec.candidates,
            scale=spec.scale,
        )

    def describe(self) -> str:
        return (
            "logistic regression, maximum likelihood (scikit-learn LogisticRegression without "
            "penalty; statsmodels Logit)"
        )

    def coefficients(
        self,
        run: ValidationRun,
        dataset: PredictionSet,
        design: Design,
        importance: pd.DataFrame,
        seed: int,
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """statsmodels Logit of the event, pooled over imputations by Rubin's rules.

        Aliased terms are left out first, as R's ``glm`` reports them ``NA``: a column with one
        value for every analysed trajectory (a comorbidity nobody or everybody has, an absent
        level) and a column that is a linear combination of the intercept and the columns
        before it. Then terms whose likelihood is monotone (no finite estimate), as the Cox
        models do: a 0/1 column whose 1s all share one outcome, and any term whose standard
        error exceeds :data:`SEPARATION_SE` after the fit; for a level of a categorical
        predictor its rows are left out (the level cannot be merged into the reference), for a
        flag its column. ``metrics["inferential_model"]["messages"]`` says which, with counts.
        """
        y_all = np.asarray(dataset.y, dtype=float)
        encode = make_preprocessor(design, impute=False, seed=0, scale=False, iterations=1)
        matrix_all = np.asarray(encode.fit_transform(dataset.frame), dtype=float)
        names = list(design.feature_names())
        rows = np.ones(len(y_all), dtype=bool)
        columns = list(range(len(names)))
        messages: list[str] = []

        def leave_out(j: int, why: str) -> None:
            nonlocal rows
            columns.remove(j)
            if "[T." in names[j]:
                at = rows & (matrix_all[:, j] == 1.0)
                rows = rows & ~at
                messages.append(
                    f"{names[j]}: {why} ({int(at.sum())} trajectories; odds ratio not "
                    "estimable: monotone likelihood); they are left out of the model"
                )
            else:
                messages.append(
                    f"{names[j]}: {why} (odds ratio not estimable: monotone likelihood); left "
                    "out of the model"
                )

        def alias(j: int, why: str) -> None:
            columns.remove(j)
            messages.append(f"{names[j]}: {why}; not estimable (aliased), left out of the model")

        for _ in range(len(names) + 1):
            for j in list(columns):
                x = matrix_all[rows, j]
                x = x[~np.isnan(x)]
                if x.size == 0 or x.min() == x.max():
                    alias(j, "the same value for every analysed trajectory")
            for j in _dependent(matrix_all[rows][:, columns], columns):
                alias(j, "a linear combination of the intercept and the terms before it")
            for j in list(columns):
                x = matrix_all[rows, j]
                if not np.isin(x[~np.isnan(x)], (0.0, 1.0)).all():
                    continue
                ones = y_all[rows][x == 1.0]
                if ones.size and ones.min() == ones.max():
                    leave_out(j, f"all {ones.size} with value 1 had the same outcome")
            if rows.sum() == 0 or y_all[rows].min() == y_all[rows].max():
                raise NotEstimable(
                    "after leaving out the terms with a monotone likelihood one outcome class "
                    "is left: no odds ratio is estimable"
                )
            pooled, imputations = self._pooled(
                y_all[rows], matrix_all[rows][:, columns], design, columns, seed
            )
            errors = zip(columns, pooled.std_error[1:], strict=True)
            flat = [j for j, se in errors if not se <= SEPARATION_SE]
            if not flat:
                break
            for j in flat:
                leave_out(j, f"standard error above {SEPARATION_SE:g}")
        y = y_all[rows]
        terms = ["Intercept", *(names[j] for j in columns)]
        rows_out = list(
            zip(
                terms,
                pooled.estimate,
                pooled.std_error,
                pooled.ci_low,
                pooled.ci_high,
                pooled.p_value,
                strict=True,
            )
        )
        missing = imputations > 1
        notes = {
            "coefficients": (
                "maximum-likelihood Logit of the event on the predictors (log odds)"
                + (
                    f", pooled over {imputations} imputations (outcome in the imputation "
                    "model) by Rubin's rules, Barnard-Rubin df"
                    if missing
                    else ", complete data, Wald z intervals"
                )
            ),
            "inferential_model": {
                "outcome": "event",
                "n": len(y),
                "events": int(y.sum()),
                "imputations": imputations,
                "largest_fraction_missing_information": float(
                    np.max(pooled.fraction_missing_information)
                ),
                "messages": messages,
            },
        }
        return coefficient_frame(rows_out), notes

    def _pooled(
        self, y: np.ndarray, matrix: np.ndarray, design: Design, columns: list[int], seed: int
    ) -> tuple[Pooled, int]:
        """The Logit fitted on each imputed data set (or once, without missing values) and
        pooled by Rubin's rules; returns the pooled estimates and the number of data sets."""
        missing = bool(np.isnan(matrix).any())
        imputations = self.imputations if missing else 1
        low, high = imputation_bounds(design)
        low, high = np.asarray(low)[columns], np.asarray(high)[columns]
        estimates, variances = [], []
        for k in range(imputations):
            filled = matrix
            if missing:
                imputer = ChainedEquationsImputer(
                    iterations=self.impute_iterations,
                    min_value=np.r_[low, -np.inf],
                    max_value=np.r_[high, np.inf],
                    random_state=derive_seed(seed, 710, k),
                    method=self.imputation_method,
                    donors=self.pmm_donors,
                )
                filled = imputer.fit_transform(np.column_stack([matrix, y]))[:, :-1]
            params, bse = _logit(y, filled)
            estimates.append(params)
            variances.append(bse**2)
        df_complete = float(len(y) - matrix.shape[1] - 1) if missing else math.inf
        pooled = pool_rubin(np.vstack(estimates), np.vstack(variances), df_complete, self.ci_level)
        return pooled, imputations

    @classmethod
    def example(cls) -> Self:
        """Reliable improvement on the SSD-12, small validation settings."""
        return cls(target="ssd12_total_category", **example_settings())


def _dependent(matrix: np.ndarray, columns: list[int]) -> list[int]:
    """The ``columns`` that are linear combinations of the intercept and the columns before
    them, on the rows without missing values: R's ``glm`` gives them ``NA`` (pivoted QR, the
    later column of a dependent set is dropped); here they are left out before the fit."""
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    kept = np.ones((len(complete), 1))
    dependent = []
    for k, j in enumerate(columns):
        candidate = np.column_stack([kept, complete[:, k]])
        if np.linalg.matrix_rank(candidate) < candidate.shape[1]:
            dependent.append(j)
        else:
            kept = candidate
    return dependent


def _logit(y: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and standard errors of a statsmodels Logit with an intercept.

    Raises :class:`NotEstimable` when the likelihood has no finite maximum (separation) or the
    information matrix is singular: then no odds ratio is estimable.
    """
    design = sm.add_constant(matrix, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            result = sm.Logit(y, design).fit(disp=0, maxiter=200, method="newton")
        except (PerfectSeparationWarning, np.linalg.LinAlgError) as exc:
            raise NotEstimable(
                "the logistic likelihood has no finite maximum (separation or a singular "
                "information matrix): no odds ratio is estimable"
            ) from exc
    params = np.asarray(result.params, dtype=float)
    bse = np.asarray(result.bse, dtype=float)
    if not (np.isfinite(params).all() and np.isfinite(bse).all()):
        raise NotEstimable(
            "the logistic likelihood has no finite maximum (separation): no odds ratio is estimable"
        )
    return params, bse
