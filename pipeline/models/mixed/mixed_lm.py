"""Linear mixed model of an outcome trajectory over time since the start of treatment.

Estimand: with ``formula`` = ``y ~ years * (comorbid_a + comorbid_b + ...) + covariates`` and
``re_formula`` = ``~years``, the coefficient of ``years:comorbid_a`` is the difference in the
mean yearly rate of change of ``y`` between trajectories with and without comorbidity *a*,
holding the other fixed effects constant ("does comorbidity *a* change the rate of
improvement"), with a random intercept and a random slope per trajectory (Laird & Ware 1982).
Estimated by REML through lme4's profiled criterion (Bates et al. 2015) or, as the reference
implementation, statsmodels' ``MixedLM``; a block of terms (e.g. every comorbidity by time
interaction) is tested by a likelihood-ratio test of ML refits and a Satterthwaite F test. See :mod:`pipeline.models.mixed._mixed`
for the analysis set and the inference.

References
----------
Laird NM, Ware JH (1982). Random-effects models for longitudinal data. Biometrics 38, 963-974.
Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear mixed-effects models using
lme4. Journal of Statistical Software 67(1), 1-48.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal, Self

from pipeline.models.base import FitResult, Model, ModelError, ModelInputs
from pipeline.models.mixed import _mixed


def _default_reference_levels() -> dict[str, str]:
    return {"sex": "f", "diagnosis": "ssd"}


@dataclass(frozen=True)
class MixedLM(Model):
    """Linear mixed model with random effects per trajectory (``model: mixed_lm``).

    Parameters
    ----------
    formula
        Fixed effects as a patsy formula whose left-hand side is the outcome score column,
        e.g. ``"ssd12_total ~ years * (comorbid_asd + comorbid_ptsd) + age_at_start + sex"``.
        ``years`` is the time since the start of treatment in years.
    re_formula
        Random effects per group, e.g. ``"~years"`` (random intercept and slope) or ``"~1"``.
    groups
        Grouping column: ``trajectory_key`` (one random-effects block per trajectory).
    instrument
        Use only administrations of this instrument (``None``: every row with the outcome).
    ended_only
        Only ended trajectories (default ``False``: ongoing ones contribute their
        measurements so far, valid under MAR).
    reference_levels
        Reference level of each categorical covariate (treatment coding).
    lrt_blocks
        Named blocks of formula terms, each tested by a likelihood-ratio test of ML refits;
        terms may be shell patterns (``"years:comorbid_*"``).
    engine
        ``profiled`` (fast, lme4's profiled REML criterion; agrees with ``lmer`` to about 1e-6)
        or ``statsmodels`` (statsmodels ``MixedLM`` with L-BFGS, the reference
        implementation). Estimates agree; statsmodels' standard errors come from the joint
        observed information of fixed effects and covariance parameters and differ from
        lme4's ``sigma^2 (X'V^-1X)^-1`` by up to about 1% on small data sets.
    ci_level
        Level of the confidence intervals.
    on_singular
        What a singular (boundary) fit leads to: ``report`` (default, as lme4 does: the fit is
        kept and flagged, ``singular: true``, ``usable: false``) or ``refit_without_slope``
        (refit with a random intercept only and report that fit, saying so).
    on_unidentifiable
        What a design with no more observations than random effects (lme4's
        ``check.nobs.vs.nRE``, with which ``lmer`` stops) leads to: ``report`` (default: the
        fit is kept and flagged, ``identifiable: false``, ``usable: false``) or
        ``refit_without_slope`` (fit a random intercept only, which the data can identify,
        and say so in ``warnings``, ``refitted_without`` and ``refit_reason``).
    variance_ci
        Intervals of the variance components, ICC and correlation: ``profile_ml`` (default,
        lme4's ``confint(method = "profile")``, which profiles the ML deviance), ``profile_reml``
        (the REML criterion) or ``none``.
    """

    family: ClassVar[str] = "mixed"

    formula: str
    re_formula: str = "~years"
    groups: str = "trajectory_key"
    instrument: str | None = None
    ended_only: bool = False
    reference_levels: dict[str, str] = field(default_factory=_default_reference_levels)
    lrt_blocks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    engine: Literal["profiled", "statsmodels"] = "profiled"
    ci_level: float = 0.95
    on_singular: Literal["report", "refit_without_slope"] = "report"
    variance_ci: Literal["profile_ml", "profile_reml", "none"] = "profile_ml"
    on_unidentifiable: Literal["report", "refit_without_slope"] = "report"

    def __post_init__(self) -> None:
        _mixed.outcome_of(self.formula)
        if "~" not in self.re_formula:
            raise ModelError("re_formula must read '~<terms>' (e.g. '~years')")
        if not 0.0 < self.ci_level < 1.0:
            raise ModelError("ci_level must lie between 0 and 1")
        if self.on_singular not in ("report", "refit_without_slope"):
            raise ModelError("on_singular must be report or refit_without_slope")
        if self.variance_ci not in ("profile_ml", "profile_reml", "none"):
            raise ModelError("variance_ci must be profile_ml, profile_reml or none")
        if self.on_unidentifiable not in ("report", "refit_without_slope"):
            raise ModelError("on_unidentifiable must be report or refit_without_slope")

    @property
    def outcome(self) -> str:
        """The outcome score column (left-hand side of :attr:`formula`)."""
        return _mixed.outcome_of(self.formula)

    def fit(self, data: ModelInputs) -> FitResult:
        """Fit by REML on the mixed-model analysis set of ``data``; ML refits for the LRTs."""
        analysis = _mixed.build_mixed_analysis_set(
            data, self.outcome, instrument=self.instrument, ended_only=self.ended_only
        )
        spec = _mixed.MixedSpec(
            formula=self.formula,
            re_formula=self.re_formula,
            groups=self.groups,
            reference_levels=dict(self.reference_levels),
            lrt_blocks={k: tuple(v) for k, v in self.lrt_blocks.items()},
            engine=self.engine,
            ci_level=self.ci_level,
            on_singular=self.on_singular,
            variance_ci=self.variance_ci,
            on_unidentifiable=self.on_unidentifiable,
        )
        result = _mixed.fit_mixed(analysis.frame, spec, flow=analysis.flow)
        metrics = {
            "family": self.family,
            "outcome": self.outcome,
            "reference_levels": dict(sorted(self.reference_levels.items())),
            **result.metrics,
        }
        return FitResult(coefficients=result.coefficients, metrics=metrics, tables=result.tables)

    @classmethod
    def example(cls) -> Self:
        """SSD-12 total with two comorbidities and their interaction with time."""
        return cls(
            formula=(
                "ssd12_total ~ years * (comorbid_asd + comorbid_depression)"
                " + age_at_start + sex + diagnosis"
            ),
            lrt_blocks={"comorbidity_x_time": ("years:comorbid_*",)},
        )
