"""Ridge (L2-penalised linear) regression of a change score.

Estimand: the expected change (end minus intake; by default the SSD-12 total,
``ssd12_total_change``) given the baseline predictors, the intake score of the outcome
included (so the model is an ANCOVA of the end score with shrunken coefficients); the penalty
``alpha`` (on standardised predictors) is tuned by cross-validated squared error inside every
training set (Hoerl & Kennard 1970; Steyerberg 2019, chapter 13). Validation, measures and
outputs: :mod:`pipeline.models.prediction._prediction`.

``coefficients.csv`` holds the final model's coefficients (points of change per unit of each
predictor), averaged over the imputations, without standard errors (penalised estimates).

References
----------
Hoerl AE, Kennard RW (1970). Ridge regression: biased estimation for nonorthogonal problems.
Technometrics 12, 55-67.
Steyerberg EW (2019). Clinical Prediction Models, 2nd ed. Springer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import pandas as pd
from sklearn.linear_model import Ridge

from pipeline.models.prediction._prediction import (
    ContinuousPredictionModel,
    PredictionSet,
    example_settings,
    penalised_coefficients,
)
from pipeline.models.prediction._prediction_engine import Design, ValidationRun


def _grid() -> dict[str, tuple[Any, ...]]:
    return {"alpha": (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0)}


@dataclass(frozen=True)
class RidgeRegression(ContinuousPredictionModel):
    """Ridge regression (``model: ridge_regression``); fields as
    :class:`~pipeline.models.prediction._prediction.PredictionModel`, ``grid`` over ``alpha``."""

    estimator_class: ClassVar[type] = Ridge

    grid: dict[str, tuple[Any, ...]] = field(default_factory=_grid)

    def describe(self) -> str:
        return "ridge regression (scikit-learn Ridge)"

    def coefficients(
        self,
        run: ValidationRun,
        dataset: PredictionSet,
        design: Design,
        importance: pd.DataFrame,
        seed: int,
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        note = "final model, change per unit of each predictor, averaged over imputations"
        return penalised_coefficients(run.final, design), {"coefficients": note}

    @classmethod
    def example(cls) -> Self:
        """SSD-12 change, small validation settings."""
        return cls(target="ssd12_total_change", grid={"alpha": (1.0, 100.0)}, **example_settings())
