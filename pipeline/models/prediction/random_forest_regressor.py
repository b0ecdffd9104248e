"""Random forest of a change score.

Estimand: the expected change (end minus intake; by default the SSD-12 total) given the
baseline predictors, as the average of regression trees grown on bootstrap samples with random
predictor subsets (Breiman 2001; scikit-learn ``RandomForestRegressor``); the leaf size is tuned by cross-validated squared error inside every
training set. Validation, measures and outputs: :mod:`pipeline.models.prediction._prediction`.

No coefficients: ``coefficients.csv`` lists ``importance[<predictor>]`` (permutation importance,
drop in R² on held-out rows).

References
----------
Breiman L (2001). Random forests. Machine Learning 45, 5-32.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from sklearn.ensemble import RandomForestRegressor

from pipeline.models.prediction._prediction import ContinuousPredictionModel, example_settings


def _grid() -> dict[str, tuple[Any, ...]]:
    return {"min_samples_leaf": (5, 20)}


def _fixed() -> dict[str, Any]:
    return {"n_estimators": 100, "max_features": 0.33, "n_jobs": 1}


@dataclass(frozen=True)
class RandomForestRegressorModel(ContinuousPredictionModel):
    """Random forest regressor (``model: random_forest_regressor``); fields as
    :class:`~pipeline.models.prediction._prediction.PredictionModel`."""

    estimator_class: ClassVar[type] = RandomForestRegressor
    scale: ClassVar[bool] = False

    grid: dict[str, tuple[Any, ...]] = field(default_factory=_grid)
    estimator_params: dict[str, Any] = field(default_factory=_fixed)

    def describe(self) -> str:
        return "random forest (scikit-learn RandomForestRegressor)"

    @classmethod
    def example(cls) -> Self:
        """SSD-12 change, few trees, small validation settings."""
        return cls(
            target="ssd12_total_change",
            grid={"min_samples_leaf": (10,)},
            estimator_params={"n_estimators": 20, "n_jobs": 1},
            **example_settings(),
        )
