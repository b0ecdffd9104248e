"""Random forest of a binary treatment outcome.

Estimand: the probability of the event (by default reliable improvement on the SSD-12) given
the baseline predictors, as the average vote of trees grown on bootstrap samples with random
predictor subsets (Breiman 2001; scikit-learn ``RandomForestClassifier``); the leaf size is tuned by cross-validated log loss inside every training
set. Validation, measures and outputs: :mod:`pipeline.models.prediction._prediction`. Forest probabilities
are often poorly calibrated (pulled towards the middle); read the validated calibration slope.

No coefficients: ``coefficients.csv`` lists ``importance[<predictor>]`` (permutation importance,
drop in AUC on held-out rows).

References
----------
Breiman L (2001). Random forests. Machine Learning 45, 5-32.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from sklearn.ensemble import RandomForestClassifier

from pipeline.models.prediction._prediction import BinaryPredictionModel, example_settings


def _grid() -> dict[str, tuple[Any, ...]]:
    return {"min_samples_leaf": (5, 20)}


def _fixed() -> dict[str, Any]:
    return {"n_estimators": 100, "max_features": 0.33, "n_jobs": 1}


@dataclass(frozen=True)
class RandomForestClassifierModel(BinaryPredictionModel):
    """Random forest classifier (``model: random_forest_classifier``); fields as
    :class:`~pipeline.models.prediction._prediction.BinaryPredictionModel`."""

    estimator_class: ClassVar[type] = RandomForestClassifier
    scale: ClassVar[bool] = False

    grid: dict[str, tuple[Any, ...]] = field(default_factory=_grid)
    estimator_params: dict[str, Any] = field(default_factory=_fixed)

    def describe(self) -> str:
        return "random forest (scikit-learn RandomForestClassifier)"

    @classmethod
    def example(cls) -> Self:
        """Reliable improvement on the SSD-12, few trees, small validation settings."""
        return cls(
            target="ssd12_total_category",
            grid={"min_samples_leaf": (10,)},
            estimator_params={"n_estimators": 20, "n_jobs": 1},
            **example_settings(),
        )
