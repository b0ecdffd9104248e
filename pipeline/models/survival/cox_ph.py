"""Cox proportional-hazards model of a time-to-event outcome on baseline factors.

Estimand: exp(beta_j), the hazard ratio of covariate j -- the ratio of the instantaneous rates of
the event (drop-out, reliable improvement on the SSD-12, re-entry after a regular end; see
:mod:`pipeline.models.survival._survival`) between trajectories that differ by one unit in j (or have
level j against the reference level), all other covariates equal, assumed constant over time
(Cox 1972). Estimated by maximum partial likelihood with Efron's (1977) treatment of tied times,
as R's ``coxph`` by default; Wald 95% intervals and p-values. For ``dropout`` and ``reentry`` a
hazard ratio above 1 means the event comes sooner; for ``improvement`` it means reliable
improvement comes sooner (a *good* outcome).

The proportional-hazards assumption is checked for every term and globally with the
Grambsch & Therneau (1994) score test as R's ``cox.zph`` computes it since survival 3.0 (the
full information matrix; ``ph_test: exact``, the default) or with the older approximation on
the scaled Schoenfeld residuals (``ph_test: approximate``; lifelines
``proportional_hazard_test``), with R's ``km`` time transform, reported in ``metrics.json`` and
``ph_test.csv`` (per coefficient and global; with ``exact`` also ``ph_test_factors.csv``, one
joint test per categorical covariate with two or more indicators, R's ``terms = TRUE``);
``schoenfeld_residuals.csv`` holds beta(t) estimates for the diagnostic plot.
The concordance (Harrell's C) is computed so that a higher predicted hazard must mean a shorter
time. Numbers match R's ``coxph`` (``tests/reference/survival_reference.R``).

Outputs (``data/models/<name>/``)
---------------------------------
``coefficients.csv``
    ``term, estimate, std_error, ci_low, ci_high, p_value`` on the log-hazard scale, then
    ``hazard_ratio, hr_ci_low, hr_ci_high`` (= exp of estimate and limits). A term that cannot
    be estimated (constant, or a 0/1 term without events at one value) has empty numbers and a
    message in ``metrics.json``.
``metrics.json``
    n, events, concordance, partial log-likelihoods and likelihood-ratio test, PH tests per
    term and global, convergence, messages, lifelines warnings, the analysis-set flow.

References
----------
Cox DR (1972). Regression models and life-tables. JRSS B 34, 187-220. Efron B (1977). The
efficiency of Cox's likelihood function for censored data. JASA 72, 557-565. Grambsch PM,
Therneau TM (1994). Proportional hazards tests and diagnostics based on weighted residuals.
Biometrika 81, 515-526. Harrell FE, Lee KL, Mark DB (1996). Multivariable prognostic models.
Stat Med 15, 361-387.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

from pipeline.models.base import FitResult, Model, ModelError, ModelInputs, NotEstimable
from pipeline.models.survival import _survival, _survival_fit


def _default_reference_levels() -> dict[str, str]:
    return {"sex": "f", "diagnosis": "ssd"}


INTERPRETATION = {
    "dropout": "hazard_ratio > 1: drop-out comes sooner",
    "improvement": "hazard_ratio > 1: reliable improvement comes sooner (a good outcome)",
    "reentry": "hazard_ratio > 1: re-entry after a regular end comes sooner",
}


@dataclass(frozen=True)
class CoxPH(Model):
    """Cox proportional-hazards model (``model: cox_ph``).

    Parameters
    ----------
    outcome
        ``dropout``, ``improvement`` or ``reentry`` (:mod:`pipeline.models.survival._survival`).
    covariates
        Baseline columns of ``trajectories`` (``comorbid_*``, ``cfs``, ``age_at_start``,
        ``sex``, ``diagnosis``, ``symptom_duration_years``, ``prior_treatments``,
        ``ssd12_total_intake`` ...). Text columns are treatment-coded (``sex[T.m]``).
        Trajectories missing a covariate are left out (complete cases, counted).
    reference_levels
        Reference level of each categorical covariate.
    ties
        ``efron`` (the only method lifelines implements; R's ``coxph`` default).
    penalizer
        Ridge penalty of lifelines (0 = the ordinary partial likelihood; R's ``coxph``).
    ph_time_transform
        g(t) of the proportional-hazards test: ``km`` (R's default), ``rank``, ``identity``,
        ``log``.
    ph_test
        ``exact`` (default): the score test of R's ``cox.zph`` since survival 3.0 (full
        information matrix); ``approximate``: the Grambsch & Therneau (1994) approximation of
        survival <= 2.44 (lifelines ``proportional_hazard_test``).
    export_date
        ISO date closing follow-up; ``None`` (default): the export date ingest settled
        (``ModelInputs.export_date``), else the latest date in the data.
    reliable_change
        RC in SSD-12 points for ``improvement`` (default 8.2137, the Jacobson-Truax threshold
        of ``score.outcomes.ssd12_total``).
    reentry_window_years
        Re-entry window after a regular end (``reentry``; default 2 years).
    ci_level
        Level of the Wald confidence intervals.
    """

    family: ClassVar[str] = "survival"

    outcome: _survival.Outcome
    covariates: tuple[str, ...]
    reference_levels: dict[str, str] = field(default_factory=_default_reference_levels)
    ties: Literal["efron"] = "efron"
    penalizer: float = 0.0
    ph_time_transform: Literal["km", "rank", "identity", "log"] = "km"
    ph_test: Literal["exact", "approximate"] = "exact"
    export_date: str | None = None
    reliable_change: float = _survival.RC_SSD12
    reentry_window_years: float = 2.0
    ci_level: float = 0.95

    def __post_init__(self) -> None:
        _ = self.outcome_spec  # validates outcome, export_date, reliable_change, window
        if not self.covariates:
            raise ModelError("covariates must list at least one column")
        if len(set(self.covariates)) != len(self.covariates):
            raise ModelError("covariates lists a column twice")
        clash = set(self.covariates) & set(_survival.TIME_COLUMNS)
        if clash:
            raise ModelError(f"covariates cannot include {', '.join(sorted(clash))}")
        if self.ties != "efron":
            raise ModelError("ties must be 'efron'")
        if self.ph_test not in ("exact", "approximate"):
            raise ModelError("ph_test must be 'exact' or 'approximate'")
        if self.ph_time_transform not in ("km", "rank", "identity", "log"):
            raise ModelError("ph_time_transform must be km, rank, identity or log")
        if not (math.isfinite(self.penalizer) and self.penalizer >= 0):
            raise ModelError("penalizer must be a number >= 0")
        if not 0.0 < self.ci_level < 1.0:
            raise ModelError("ci_level must lie between 0 and 1")

    @property
    def outcome_spec(self) -> _survival.OutcomeSpec:
        """The analysis-set settings of this model."""
        return _survival.OutcomeSpec(
            outcome=self.outcome,
            export_date=self.export_date,
            reliable_change=self.reliable_change,
            reentry_window_years=self.reentry_window_years,
        )

    def fit(self, data: ModelInputs) -> FitResult:
        """Build the outcome's analysis set, fit the Cox model and test proportional hazards."""
        analysis = _survival.build_time_to_event(data, self.outcome_spec)
        spec = _survival_fit.CoxSpec(
            covariates=tuple(self.covariates),
            reference_levels=dict(self.reference_levels),
            penalizer=self.penalizer,
            ci_level=self.ci_level,
            ph_time_transform=self.ph_time_transform,
            ph_test=self.ph_test,
        )
        try:
            result = _survival_fit.fit_cox(analysis.frame, spec)
        except NotEstimable as exc:
            details = {"family": self.family, "outcome": self.outcome, **exc.details}
            raise NotEstimable(exc.reason, {"analysis_set": analysis.flow, **details}) from exc
        settings: dict[str, Any] = {}
        if self.outcome == "improvement":
            settings = {
                "reliable_change": float(self.reliable_change),
                "interval_censoring": _survival.INTERVAL_NOTE,
            }
        elif self.outcome == "reentry":
            settings = {"reentry_window_years": float(self.reentry_window_years)}
        metrics: dict[str, Any] = {
            "family": self.family,
            "outcome": self.outcome,
            "definition": analysis.definition,
            "time_unit": _survival.TIME_UNIT,
            "export_date": analysis.export_date,
            **settings,
            "interpretation": INTERPRETATION[self.outcome],
            "reference_levels": dict(sorted(self.reference_levels.items())),
            "analysis_set": analysis.flow,
            **result.metrics,
        }
        return FitResult(coefficients=result.coefficients, metrics=metrics, tables=result.tables)

    @classmethod
    def example(cls) -> Self:
        """Drop-out on opioid dependence, depression, age, sex and diagnosis."""
        return cls(
            outcome="dropout",
            covariates=(
                "comorbid_opioid",
                "comorbid_depression",
                "age_at_start",
                "sex",
                "diagnosis",
            ),
        )
