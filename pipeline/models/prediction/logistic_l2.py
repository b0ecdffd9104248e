"""Penalised (ridge, L2) logistic regression of a binary treatment outcome.

Estimand: the probability of the event (by default reliable improvement on the SSD-12:
``ssd12_total_category`` ``recovered`` or ``improved``) given the baseline predictors, from a
logistic model whose coefficients are shrunk towards zero by an L2 penalty; the penalty
(``C`` = 1 / penalty strength, on standardised predictors) is tuned by cross-validated log loss
inside every training set. Penalisation counters the overfitting of maximum likelihood at this
sample size (le Cessie & van Houwelingen 1992; Steyerberg 2019, chapter 13), though it does not
guarantee calibration in small samples (Van Calster et al. 2020). Validation, measures and
outputs: :mod:`pipeline.models.prediction._prediction`.

``coefficients.csv`` holds the final model's coefficients (log odds per unit of each predictor;
dummies against the reference level), averaged over the imputations; penalised estimates have
no valid standard errors, so those columns are empty.

References
----------
le Cessie S, van Houwelingen JC (1992). Ridge estimators in logistic regression. Applied
Statistics 41, 191-201.
Steyerberg EW (2019). Clinical Prediction Models, 2nd ed. Springer.
Van Calster B, van Smeden M, De Cock B, Steyerberg EW (2020). Regression shrinkage methods for
clinical prediction models do not guarantee improved performance: simulation study. Statistical
Methods in Medical Research 29, 3166-3178.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.models.prediction._prediction import (
    BinaryPredictionModel,
    PredictionSet,
    example_settings,
    penalised_coefficients,
)
from pipeline.models.prediction._prediction_engine import Design, ValidationRun


def _grid() -> dict[str, tuple[Any, ...]]:
    return {"C": (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)}


def _fixed() -> dict[str, Any]:
    return {"max_iter": 2000}


@dataclass(frozen=True)
class LogisticL2(BinaryPredictionModel):
    """L2-penalised logistic regression (``model: logistic_l2``); fields as
    :class:`~pipeline.models.prediction._prediction.BinaryPredictionModel`, ``grid`` over ``C``."""

    estimator_class: ClassVar[type] = LogisticRegression

    grid: dict[str, tuple[Any, ...]] = field(default_factory=_grid)
    estimator_params: dict[str, Any] = field(default_factory=_fixed)

    def describe(self) -> str:
        return "L2-penalised logistic regression (scikit-learn LogisticRegression, lbfgs)"

    def coefficients(
        self,
        run: ValidationRun,
        dataset: PredictionSet,
        design: Design,
        importance: pd.DataFrame,
        seed: int,
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        note = "final model, log odds per unit of each predictor, averaged over imputations"
        return penalised_coefficients(run.final, design), {"coefficients": note}

    @classmethod
    def example(cls) -> Self:
        """Reliable improvement on the SSD-12, small validation settings."""
        return cls(target="ssd12_total_category", grid={"C": (0.03, 1.0)}, **example_settings())
