"""Cause-specific Cox models of competing events on baseline factors.

Estimand: for each cause k, exp(beta_kj), the cause-specific hazard ratio of covariate j -- the
ratio of the instantaneous rates of ending through cause k among trajectories still in
treatment (Putter, Fiocco & Geskus 2007) -- assumed constant over time. Each cause's model is an
ordinary Cox model (:func:`pipeline.models.survival._survival_fit.fit_cox`: Efron ties, Wald
intervals, monotone-likelihood checks) in which the other causes censor at their time: that is
right for the cause-specific hazard (not for the cumulative incidence, which also depends on
the other causes' hazards; see ``cumulative_incidence``). The proportional-hazards test per cause
is R's ``cox.zph`` of survival >= 3.0 (``ph_test: exact``) or the 1994 approximation
(``approximate``). Numbers match R's ``coxph(Surv(time, cause == k) ~ ...)`` and ``cox.zph``
(``tests/reference/survival_competing_reference.R``).

Fine-Gray subdistribution hazards are not offered: no maintained Python implementation is in
the pinned environment (see docs/methods-survival.md).

Outputs (``data/models/<name>/``)
---------------------------------
``coefficients.csv``
    One row per cause and term, ``term`` = ``<cause>:<term>``: log hazard ratio, SE, interval,
    p-value, then ``hazard_ratio``, ``hr_ci_low``, ``hr_ci_high``.
``metrics.json``
    Per cause: n, events, concordance, likelihood-ratio test, PH tests, messages, warnings;
    the analysis-set flow.
``ph_test.csv``
    ``cause, term, statistic, df, p_value`` (per term and ``GLOBAL``).
``ph_test_factors.csv``
    (``ph_test: exact``) ``cause, covariate, statistic, df, p_value``: one joint test per
    categorical covariate with two or more indicators (R ``cox.zph``, ``terms = TRUE``).
``schoenfeld_residuals.csv``
    ``cause``, then the beta(t) estimates of :mod:`pipeline.models.survival.cox_ph`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd

from pipeline.models.base import FitResult, Model, ModelError, ModelInputs, NotEstimable
from pipeline.models.survival import _survival, _survival_fit


def _default_reference_levels() -> dict[str, str]:
    return {"sex": "f", "diagnosis": "ssd"}


@dataclass(frozen=True)
class CauseSpecificCox(Model):
    """Cause-specific Cox models (``model: cause_specific_cox``).

    Parameters
    ----------
    outcome
        ``dropout`` (causes: the end reasons) or ``improvement`` (reliable improvement, ending
        without it); see :func:`pipeline.models.survival._survival.build_competing_set`.
    covariates
        Baseline columns of ``trajectories``; text columns are treatment-coded. Complete cases.
    causes
        Causes to model (default: every cause of the outcome with at least one event).
    reference_levels
        Reference level of each categorical covariate.
    penalizer
        Ridge penalty of lifelines (0 = the ordinary partial likelihood).
    ph_time_transform
        g(t) of the PH test: ``km`` (R's default), ``rank``, ``identity``, ``log``.
    ph_test
        ``exact`` (R ``cox.zph`` >= 3.0, default) or ``approximate`` (survival <= 2.44).
    export_date
        ISO date closing follow-up; ``None`` (default): the export date ingest settled
        (``ModelInputs.export_date``), else the latest date in the data.
    reliable_change
        RC in SSD-12 points for ``improvement`` (default 8.2137).
    ci_level
        Level of the Wald intervals.
    """

    family: ClassVar[str] = "survival"

    outcome: Literal["dropout", "improvement"]
    covariates: tuple[str, ...]
    causes: tuple[str, ...] = ()
    reference_levels: dict[str, str] = field(default_factory=_default_reference_levels)
    penalizer: float = 0.0
    ph_time_transform: Literal["km", "rank", "identity", "log"] = "km"
    ph_test: Literal["exact", "approximate"] = "exact"
    export_date: str | None = None
    reliable_change: float = _survival.RC_SSD12
    ci_level: float = 0.95

    def __post_init__(self) -> None:
        if self.outcome not in _survival.COMPETING_OUTCOMES:
            raise ModelError("outcome must be dropout or improvement")
        _ = self.outcome_spec
        possible = (
            _survival.DROPOUT_CAUSES if self.outcome == "dropout" else _survival.IMPROVEMENT_CAUSES
        )
        unknown = [c for c in self.causes if c not in possible]
        if unknown:
            raise ModelError(f"causes of {self.outcome} are {', '.join(possible)}")
        if not self.covariates:
            raise ModelError("covariates must list at least one column")
        if len(set(self.covariates)) != len(self.covariates):
            raise ModelError("covariates lists a column twice")
        clash = set(self.covariates) & {*_survival.TIME_COLUMNS, "cause"}
        if clash:
            raise ModelError(f"covariates cannot include {', '.join(sorted(clash))}")
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
        )

    def fit(self, data: ModelInputs) -> FitResult:
        """Fit one Cox model per cause, the other causes censoring."""
        analysis = _survival.build_competing_set(data, self.outcome_spec)
        frame = analysis.frame
        causes = self.causes or tuple(
            c for c in analysis.causes if bool((frame["cause"] == c).any())
        )
        spec = _survival_fit.CoxSpec(
            covariates=tuple(self.covariates),
            reference_levels=dict(self.reference_levels),
            penalizer=self.penalizer,
            ci_level=self.ci_level,
            ph_time_transform=self.ph_time_transform,
            ph_test=self.ph_test,
        )
        coefficients: list[pd.DataFrame] = []
        ph_tables: list[pd.DataFrame] = []
        factor_tables: list[pd.DataFrame] = []
        residuals: list[pd.DataFrame] = []
        per_cause: dict[str, Any] = {}
        not_estimable: dict[str, str] = {}
        for cause in causes:
            part = frame.assign(event=(frame["cause"] == cause).astype(np.int64))
            try:
                result = _survival_fit.fit_cox(part, spec)
            except NotEstimable as exc:
                # One cause without events (no referrals in a small export) leaves the others.
                not_estimable[cause] = exc.reason
                continue
            table = result.coefficients.copy()
            table["term"] = cause + ":" + table["term"].astype(str)
            coefficients.append(table)
            per_cause[cause] = result.metrics
            for name, sink in (
                ("ph_test", ph_tables),
                ("ph_test_factors", factor_tables),
                ("schoenfeld_residuals", residuals),
            ):
                if name in result.tables:
                    extra = result.tables[name].copy()
                    extra.insert(0, "cause", cause)
                    sink.append(extra)
        if not coefficients:
            reasons = "; ".join(f"{c}: {r}" for c, r in not_estimable.items())
            raise NotEstimable(
                f"no cause of {self.outcome} could be estimated"
                + (f" ({reasons})" if reasons else "")
            )
        settings: dict[str, Any] = {}
        if self.outcome == "improvement":
            settings = {
                "reliable_change": float(self.reliable_change),
                "interval_censoring": _survival.INTERVAL_NOTE,
            }
        metrics: dict[str, Any] = {
            "family": self.family,
            "outcome": self.outcome,
            "estimand": (
                "cause-specific hazard ratios: each cause's Cox model, the other causes "
                "censoring at their time"
            ),
            "definition": analysis.definition,
            "causes": list(causes),
            "time_unit": _survival.TIME_UNIT,
            "export_date": analysis.export_date,
            **settings,
            "interpretation": "hazard_ratio > 1: that cause's event comes sooner",
            "reference_levels": dict(sorted(self.reference_levels.items())),
            "analysis_set": analysis.flow,
            "fine_gray": "not fitted: no maintained Python implementation in the environment",
            "by_cause": per_cause,
            "causes_not_estimable": not_estimable,
        }
        tables: dict[str, pd.DataFrame] = {}
        if ph_tables:
            tables["ph_test"] = pd.concat(ph_tables, ignore_index=True)
        if factor_tables:
            tables["ph_test_factors"] = pd.concat(factor_tables, ignore_index=True)
        if residuals:
            tables["schoenfeld_residuals"] = pd.concat(residuals, ignore_index=True)
        return FitResult(
            coefficients=pd.concat(coefficients, ignore_index=True), metrics=metrics, tables=tables
        )

    @classmethod
    def example(cls) -> Self:
        """Drop-out and regular ends on opioid dependence, depression, age, sex, diagnosis."""
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
