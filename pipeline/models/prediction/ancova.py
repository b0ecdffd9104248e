"""Linear regression (ANCOVA) of a change score: end score on intake score plus predictors.

Estimand: the expected end score of an outcome (by default the SSD-12 total) given its intake
score and the other baseline predictors, by ordinary least squares (ANCOVA; Vickers & Altman
2001); its prediction of the change is the predicted end score minus the intake score. The
coefficients of the predictors are the adjusted differences in mean change (the same whether
the end score or the change is the dependent variable; only the intake coefficient differs, by
1). Nothing is tuned.

Two roles:

- *prediction*: a scikit-learn ``LinearRegression`` of the change on the intake score and the
  predictors, inside the validated procedure of :mod:`pipeline.models.prediction._prediction` (its
  predictions equal those of the end-score model minus the intake score);
- *inference*: ``coefficients.csv`` holds statsmodels ``OLS`` estimates of the end-score model
  with t intervals and p-values. With missing predictor values the model is fitted on each of
  ``imputations`` imputed data sets, whose imputation model includes the end score (required
  for unbiased coefficients: Moons et al. 2006; White, Royston & Wood 2011), and pooled by
  Rubin's rules with Barnard-Rubin degrees of freedom.

References
----------
Vickers AJ, Altman DG (2001). Analysing controlled trials with baseline and follow up
measurements. BMJ 323, 1123-1124.
Moons KGM, Donders RART, Stijnen T, Harrell FE (2006). Using the outcome for imputation of
missing predictor values was preferred. Journal of Clinical Epidemiology 59, 1092-1101.
White IR, Royston P, Wood AM (2011). Multiple imputation using chained equations: issues and
guidance for practice. Statistics in Medicine 30, 377-399.
Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple imputation.
Biometrika 86, 948-955.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.linear_model import LinearRegression

from pipeline.models.base import ModelError
from pipeline.models.prediction._prediction import (
    ContinuousPredictionModel,
    PredictionSet,
    coefficient_frame,
    example_settings,
    pool_rubin,
)
from pipeline.models.prediction._prediction_engine import (
    Design,
    ValidationRun,
    derive_seed,
    imputation_bounds,
    make_preprocessor,
)
from pipeline.models.prediction._prediction_impute import ChainedEquationsImputer

CHANGE_SUFFIX = "_change"


@dataclass(frozen=True)
class Ancova(ContinuousPredictionModel):
    """ANCOVA of an end score (``model: ancova``); ``target`` must be a ``<score>_change``
    column with ``<score>_intake`` and ``<score>_end`` beside it. The intake score is added to
    the predictors when they do not name it. Other fields as
    :class:`~pipeline.models.prediction._prediction.PredictionModel` (``grid`` unused)."""

    estimator_class: ClassVar[type] = LinearRegression

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.target.endswith(CHANGE_SUFFIX):
            raise ModelError("ancova needs a change target '<score>_change'")
        if self.grid:
            raise ModelError("ancova has nothing to tune: leave grid empty")

    @property
    def score(self) -> str:
        """The outcome score (``ssd12_total`` for ``ssd12_total_change``)."""
        return self.target.removesuffix(CHANGE_SUFFIX)

    def predictor_patterns(self) -> tuple[str, ...]:
        baseline = f"{self.score}_intake"
        patterns = tuple(self.predictors)
        return patterns if baseline in patterns else (baseline, *patterns)

    def extra_columns(self) -> tuple[str, ...]:
        return (f"{self.score}_end",)

    def describe(self) -> str:
        return "linear regression, ANCOVA (scikit-learn LinearRegression; statsmodels OLS)"

    def coefficients(
        self,
        run: ValidationRun,
        dataset: PredictionSet,
        design: Design,
        importance: pd.DataFrame,
        seed: int,
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """statsmodels OLS of the end score, pooled over imputations by Rubin's rules."""
        end = dataset.extra[f"{self.score}_end"].to_numpy(dtype=float)
        encode = make_preprocessor(design, impute=False, seed=0, scale=False, iterations=1)
        matrix = np.asarray(encode.fit_transform(dataset.frame), dtype=float)
        missing = bool(np.isnan(matrix).any())
        imputations = self.imputations if missing else 1
        low, high = imputation_bounds(design)
        estimates, variances, r2 = [], [], []
        df_residual = float(len(end) - matrix.shape[1] - 1)
        for k in range(imputations):
            filled = matrix
            if missing:
                imputer = ChainedEquationsImputer(
                    iterations=self.impute_iterations,
                    min_value=np.r_[low, -np.inf],
                    max_value=np.r_[high, np.inf],
                    random_state=derive_seed(seed, 700, k),
                    method=self.imputation_method,
                    donors=self.pmm_donors,
                )
                filled = imputer.fit_transform(np.column_stack([matrix, end]))[:, :-1]
            result = sm.OLS(end, sm.add_constant(filled, has_constant="add")).fit()
            estimates.append(np.asarray(result.params, dtype=float))
            variances.append(np.asarray(result.bse, dtype=float) ** 2)
            r2.append(float(result.rsquared))
            df_residual = float(result.df_resid)
        pooled = pool_rubin(np.vstack(estimates), np.vstack(variances), df_residual, self.ci_level)
        terms = ["Intercept", *design.feature_names()]
        rows = list(
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
        notes = {
            "coefficients": (
                f"OLS of {self.score}_end on {self.score}_intake and the predictors"
                + (
                    f", pooled over {imputations} imputations (end score in the imputation "
                    "model) by Rubin's rules, Barnard-Rubin df"
                    if missing
                    else ", complete data"
                )
            ),
            "inferential_model": {
                "outcome": f"{self.score}_end",
                "n": len(end),
                "r2": float(np.mean(r2)),
                "df_residual": df_residual,
                "imputations": imputations,
                "largest_fraction_missing_information": float(
                    np.max(pooled.fraction_missing_information)
                ),
            },
        }
        return coefficient_frame(rows), notes

    @classmethod
    def example(cls) -> Self:
        """SSD-12 change, small validation settings."""
        return cls(target="ssd12_total_change", **example_settings())
