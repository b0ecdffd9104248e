"""Gradient boosting (histogram-based trees) of a binary treatment outcome.

Estimand: the probability of the event (by default reliable improvement on the SSD-12) given
the baseline predictors, from an ensemble of shallow regression trees fitted stagewise to the
log-loss gradient (Friedman 2001; scikit-learn ``HistGradientBoostingClassifier``), which can
pick up non-linear effects and interactions that the logistic model leaves out; tree depth and
learning rate are tuned by cross-validated log loss inside every training set. Validation,
measures and outputs: :mod:`pipeline.models.prediction._prediction`. Such flexible models need more data
than regression for the same stability (van der Ploeg et al. 2014); compare the validated
calibration with the logistic model's before preferring it.

No coefficients: ``coefficients.csv`` lists ``importance[<predictor>]`` (permutation importance,
drop in AUC on held-out rows).

References
----------
Friedman JH (2001). Greedy function approximation: a gradient boosting machine. Annals of
Statistics 29, 1189-1232.
van der Ploeg T, Austin PC, Steyerberg EW (2014). Modern modelling techniques are data hungry.
BMC Medical Research Methodology 14, 137.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from sklearn.ensemble import HistGradientBoostingClassifier

from pipeline.models.prediction._prediction import BinaryPredictionModel, example_settings


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
class HGBClassifier(BinaryPredictionModel):
    """Histogram gradient boosting classifier (``model: hgb_classifier``); fields as
    :class:`~pipeline.models.prediction._prediction.BinaryPredictionModel`."""

    estimator_class: ClassVar[type] = HistGradientBoostingClassifier
    scale: ClassVar[bool] = False

    grid: dict[str, tuple[Any, ...]] = field(default_factory=_grid)
    estimator_params: dict[str, Any] = field(default_factory=_fixed)

    def describe(self) -> str:
        return "gradient boosting (scikit-learn HistGradientBoostingClassifier)"

    @classmethod
    def example(cls) -> Self:
        """Reliable improvement on the SSD-12, few trees, small validation settings."""
        return cls(
            target="ssd12_total_category",
            grid={"max_depth": (2,)},
            estimator_params={"max_iter": 20, "early_stopping": False},
            **example_settings(),
        )
