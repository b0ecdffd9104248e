"""Gradient boosting (histogram-based trees) of a change score.

Estimand: the expected change (end minus intake; by default the SSD-12 total) given the
baseline predictors, from an ensemble of shallow regression trees fitted stagewise to the
squared-error gradient (Friedman 2001; scikit-learn ``HistGradientBoostingRegressor``); tree
depth and learning rate are tuned by cross-validated squared error inside every training set.
Validation, measures and outputs: :mod:`pipeline.models.prediction._prediction`.

No coefficients: ``coefficients.csv`` lists ``importance[<predictor>]`` (permutation importance,
drop in R² on held-out rows).

References
----------
Friedman JH (2001). Greedy function approximation: a gradient boosting machine. Annals of
Statistics 29, 1189-1232.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from sklearn.ensemble import HistGradientBoostingRegressor

from pipeline.models.prediction._prediction import ContinuousPredictionModel, example_settings


def _grid() -> dict[str, tuple[Any, ...]]:
    return {"learning_rate": (0.03, 0.1), "max_depth": (2, 3)}


def _fixed() -> dict[str, Any]:
    return {
        "max_iter": 100,
        "min_samples_leaf": 20,
        "l2_regularization": 1.0,
        "early_stopping": False,
    }


@dataclass(frozen=True)
class HGBRegressor(ContinuousPredictionModel):
    """Histogram gradient boosting regressor (``model: hgb_regressor``); fields as
    :class:`~pipeline.models.prediction._prediction.PredictionModel`."""

    estimator_class: ClassVar[type] = HistGradientBoostingRegressor
    scale: ClassVar[bool] = False

    grid: dict[str, tuple[Any, ...]] = field(default_factory=_grid)
    estimator_params: dict[str, Any] = field(default_factory=_fixed)

    def describe(self) -> str:
        return "gradient boosting (scikit-learn HistGradientBoostingRegressor)"

    @classmethod
    def example(cls) -> Self:
        """SSD-12 change, few trees, small validation settings."""
        return cls(
            target="ssd12_total_change",
            grid={"max_depth": (2,)},
            estimator_params={"max_iter": 20, "early_stopping": False},
            **example_settings(),
        )
