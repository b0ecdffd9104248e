"""Typed, frozen parameters of the synthetic export generator (the ``synth`` block).

Every number that shapes the synthetic export lives in ``params.yaml``; these dataclasses only
give it types and check it once, so that :func:`pipeline.synth.generate` can trust its input.
The meaning of each value (and the effects it plants) is documented in ``data/README.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pipeline.errors import ParamsError

#: Binary baseline factors of the ``trajectories`` table, in contract order.
FLAGS: tuple[str, ...] = (
    "cfs",
    "comorbid_asd",
    "comorbid_ptsd",
    "comorbid_personality",
    "comorbid_mild_id",
    "comorbid_opioid",
    "comorbid_childhood_trauma",
    "comorbid_depression",
    "comorbid_anxiety",
)
#: Diagnosis codes; the first is the reference level of the planted effects.
DIAGNOSES: tuple[str, ...] = ("ssd", "fnd", "illness_anxiety", "other")
#: Sex codes; the first is the reference level of the planted effects.
SEXES: tuple[str, ...] = ("f", "m", "x")
#: Treatment modalities of ``docs/input-format.md``, in contract order.
MODALITIES: tuple[str, ...] = (
    "cbt",
    "emdr",
    "body_mentalizing",
    "schema",
    "pmt",
    "physio",
    "hypnotherapy",
    "pharmacotherapy",
    "act",
    "systemic",
    "nursing",
    "ehealth",
)
#: Continuous baseline factors that may carry a planted effect (uncentred, per unit).
NUMERIC_COVARIATES: tuple[str, ...] = ("age_at_start", "symptom_duration_years", "prior_treatments")
#: Every name allowed as a key of a planted effect.
COVARIATES: tuple[str, ...] = (
    FLAGS
    + tuple(f"diagnosis_{d}" for d in DIAGNOSES[1:])
    + tuple(f"sex_{s}" for s in SEXES[1:])
    + NUMERIC_COVARIATES
)
#: RAND-36 scales generated from their own latent health (``hc`` follows change).
RAND36_SCALES: tuple[str, ...] = ("pf", "rp", "re", "vt", "mh", "sf", "bp", "gh", "hc")
#: Timepoints of the generated measurement occasions.
TIMEPOINTS: tuple[str, ...] = ("intake", "interim", "end", "follow_up")
#: Questionnaires of the export, in battery order.
QUESTIONNAIRES: tuple[str, ...] = ("ssd12", "eq5d5l", "eq5d3l", "rand36", "phq15", "cqi")


def _probability(value: float, where: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ParamsError(f"params.yaml 'synth.{where}' must lie between 0 and 1")


def _positive(value: float, where: str) -> None:
    if not value > 0:
        raise ParamsError(f"params.yaml 'synth.{where}' must be positive")


def _date(value: str, where: str) -> np.datetime64:
    try:
        return np.datetime64(value, "D")
    except ValueError as exc:
        raise ParamsError(f"params.yaml 'synth.{where}' must be a date like 2025-12-31") from exc


def _distribution(values: Mapping[str, float], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ParamsError(f"params.yaml 'synth.{where}' has unknown level(s): {', '.join(unknown)}")
    if any(v < 0 for v in values.values()) or not math.isclose(sum(values.values()), 1.0):
        raise ParamsError(f"params.yaml 'synth.{where}' must be shares that sum to 1")


def _covariates(values: Mapping[str, float], where: str) -> None:
    unknown = sorted(set(values) - set(COVARIATES))
    if unknown:
        raise ParamsError(
            f"params.yaml 'synth.{where}' has unknown factor(s): {', '.join(unknown)}"
        )


@dataclass(frozen=True)
class CalendarParams:
    """Calendar of the export: first trajectories start uniformly in [first_start, last_start];
    ``export_date`` is the data cut-off (nothing after it; later ends are ongoing)."""

    first_start: str
    last_start: str
    export_date: str

    def __post_init__(self) -> None:
        first = _date(self.first_start, "calendar.first_start")
        last = _date(self.last_start, "calendar.last_start")
        cutoff = _date(self.export_date, "calendar.export_date")
        if not first <= last <= cutoff:
            raise ParamsError(
                "params.yaml 'synth.calendar' needs first_start <= last_start <= export_date"
            )


@dataclass(frozen=True)
class TreatmentParams:
    """Which modalities a trajectory gets: independent draws with ``probability`` per modality,
    raised to ``indicated_probability`` for a modality whose indicating comorbidity is present
    (``indicated``: modality -> flag); a trajectory without any draws gets ``fallback``."""

    probability: Mapping[str, float]
    indicated: Mapping[str, str]
    indicated_probability: float
    fallback: str

    def __post_init__(self) -> None:
        unknown = sorted(set(self.probability) - set(MODALITIES))
        if unknown or set(self.probability) != set(MODALITIES):
            raise ParamsError(
                "params.yaml 'synth.population.treatments.probability' needs exactly the "
                "modalities of rom-export.md"
            )
        for name, p in self.probability.items():
            _probability(p, f"population.treatments.probability.{name}")
        for modality, flag in self.indicated.items():
            if modality not in MODALITIES or flag not in FLAGS:
                raise ParamsError(
                    "params.yaml 'synth.population.treatments.indicated' maps a modality to a "
                    "comorbidity flag"
                )
        _probability(self.indicated_probability, "population.treatments.indicated_probability")
        if self.fallback not in MODALITIES:
            raise ParamsError("params.yaml 'synth.population.treatments.fallback' is no modality")


@dataclass(frozen=True)
class PopulationParams:
    """Baseline factors of the clients (see ``data/README.md``, *Population*)."""

    sex: Mapping[str, float]
    diagnosis: Mapping[str, float]
    age_min: int
    age_max: int
    age_mean: float
    age_concentration: float
    prevalence: Mapping[str, float]
    latent_correlation: Mapping[str, Mapping[str, float]]
    symptom_duration_median_years: float
    symptom_duration_sigma: float
    symptom_duration_min_years: float
    prior_treatments_mean: float
    prior_treatments_max: int
    research_consent: float
    teams: Mapping[str, float]
    flags_as_words: tuple[str, ...]
    treatments: TreatmentParams

    def __post_init__(self) -> None:
        _distribution(self.sex, SEXES, "population.sex")
        _distribution(self.diagnosis, DIAGNOSES, "population.diagnosis")
        if not 0 < self.age_min < self.age_mean < self.age_max:
            raise ParamsError("params.yaml 'synth.population' needs age_min < age_mean < age_max")
        _positive(self.age_concentration, "population.age_concentration")
        if set(self.prevalence) != set(FLAGS):
            raise ParamsError(
                "params.yaml 'synth.population.prevalence' needs exactly cfs and every comorbid_*"
            )
        # 0 (nobody) and 1 (everybody) are allowed: the export sweep's absent and universal
        # comorbidities. The copula threshold is then -inf or +inf (population.draw_clients).
        for name, p in self.prevalence.items():
            if not 0.0 <= p <= 1.0:
                raise ParamsError(
                    f"params.yaml 'synth.population.prevalence.{name}' must lie between 0 and 1"
                )
        for a, row in self.latent_correlation.items():
            for b, r in row.items():
                if a not in FLAGS or b not in FLAGS or a == b or not -1.0 < r < 1.0:
                    raise ParamsError(
                        "params.yaml 'synth.population.latent_correlation' pairs two different "
                        "flags with a correlation in (-1, 1)"
                    )
        if np.linalg.eigvalsh(self.correlation_matrix()).min() <= 0:
            raise ParamsError(
                "params.yaml 'synth.population.latent_correlation' is not positive definite"
            )
        _positive(self.symptom_duration_median_years, "population.symptom_duration_median_years")
        _positive(self.symptom_duration_sigma, "population.symptom_duration_sigma")
        _positive(self.symptom_duration_min_years, "population.symptom_duration_min_years")
        _positive(self.prior_treatments_mean, "population.prior_treatments_mean")
        _probability(self.research_consent, "population.research_consent")
        if not self.teams:
            raise ParamsError("params.yaml 'synth.population.teams' needs team shares")
        _distribution(self.teams, tuple(self.teams), "population.teams")
        allowed_words = (*FLAGS, "research_consent")
        if any(name not in allowed_words for name in self.flags_as_words):
            raise ParamsError(
                "params.yaml 'synth.population.flags_as_words' lists 0/1 columns of trajectories"
            )

    def correlation_matrix(self) -> np.ndarray:
        """The latent correlation matrix of :data:`FLAGS` (symmetric, unit diagonal)."""
        corr = np.eye(len(FLAGS))
        for a, row in self.latent_correlation.items():
            for b, r in row.items():
                i, j = FLAGS.index(a), FLAGS.index(b)
                corr[i, j] = corr[j, i] = r
        return corr


@dataclass(frozen=True)
class CourseParams:
    """Course of a trajectory: waiting time, planned treatment length, end reasons, sessions."""

    waiting_days_mean: float
    waiting_days_shape: float
    duration_median_years: float
    duration_sigma: float
    duration_min_years: float
    duration_max_years: float
    referred_share: float
    other_share: float
    sessions_per_month: float

    def __post_init__(self) -> None:
        _positive(self.waiting_days_mean, "course.waiting_days_mean")
        _positive(self.waiting_days_shape, "course.waiting_days_shape")
        _positive(self.duration_median_years, "course.duration_median_years")
        _positive(self.duration_sigma, "course.duration_sigma")
        if not 0 < self.duration_min_years < self.duration_max_years:
            raise ParamsError(
                "params.yaml 'synth.course' needs 0 < duration_min_years < duration_max_years"
            )
        _probability(self.referred_share + self.other_share, "course.referred_share+other_share")
        _positive(self.sessions_per_month, "course.sessions_per_month")


@dataclass(frozen=True)
class ScheduleParams:
    """When the ROM battery is offered (days relative to start or end; see ``data/README.md``)."""

    intake_offset_mean_days: float
    intake_offset_sd_days: float
    intake_offset_min_days: int
    intake_offset_max_days: int
    interim_every_days: int
    interim_jitter_days: float
    interim_margin_days: int
    end_offset_mean_days: float
    end_offset_sd_days: float
    end_offset_min_days: int
    end_offset_max_days: int
    end_min_days_after_intake: int
    follow_up_share: float
    follow_up_days: float
    follow_up_sd_days: float
    eq5d3l_until: str
    day_start_hour: int
    day_end_hour: int

    def __post_init__(self) -> None:
        if not self.intake_offset_min_days <= 0 <= self.intake_offset_max_days:
            raise ParamsError("params.yaml 'synth.schedule' intake offsets must bracket 0")
        if not self.end_offset_min_days <= 0 <= self.end_offset_max_days:
            raise ParamsError("params.yaml 'synth.schedule' end offsets must bracket 0")
        _positive(self.interim_every_days, "schedule.interim_every_days")
        _probability(self.follow_up_share, "schedule.follow_up_share")
        _date(self.eq5d3l_until, "schedule.eq5d3l_until")
        if not 0 <= self.day_start_hour < self.day_end_hour <= 23:
            raise ParamsError(
                "params.yaml 'synth.schedule' needs 0 <= day_start_hour < day_end_hour <= 23"
            )


@dataclass(frozen=True)
class ResponseParams:
    """Non-response: whether the battery is completed at an occasion (per timepoint; the end of
    a drop-out apart), then per questionnaire, then per item (missing at random)."""

    occasion: Mapping[str, float]
    end_after_dropout: float
    questionnaire: Mapping[str, float]
    item_missing: float

    def __post_init__(self) -> None:
        if set(self.occasion) != set(TIMEPOINTS):
            raise ParamsError(
                "params.yaml 'synth.response.occasion' needs intake, interim, end, follow_up"
            )
        if set(self.questionnaire) != set(QUESTIONNAIRES):
            raise ParamsError(
                "params.yaml 'synth.response.questionnaire' needs every questionnaire"
            )
        for name, p in {**self.occasion, **self.questionnaire}.items():
            _probability(p, f"response.{name}")
        _probability(self.end_after_dropout, "response.end_after_dropout")
        _probability(self.item_missing, "response.item_missing")


@dataclass(frozen=True)
class Ssd12Effects:
    """The planted linear mixed model of the latent SSD-12 total (points, years since start).

    ``T = intercept + Σ baseline·x + u0 + (time + Σ time_by·x + u1)·t + e`` with ``t`` the years
    from start, held at the end date after the end; ``(u0, u1)`` per trajectory, ``e`` per
    measurement occasion.
    """

    intercept: float
    baseline: Mapping[str, float]
    time: float
    time_by: Mapping[str, float]
    sd_intercept: float
    sd_slope: float
    corr_intercept_slope: float
    sd_residual: float

    def __post_init__(self) -> None:
        _covariates(self.baseline, "effects.ssd12.baseline")
        _covariates(self.time_by, "effects.ssd12.time_by")
        _positive(self.sd_intercept, "effects.ssd12.sd_intercept")
        _positive(self.sd_slope, "effects.ssd12.sd_slope")
        _positive(self.sd_residual, "effects.ssd12.sd_residual")
        if not -1.0 < self.corr_intercept_slope < 1.0:
            raise ParamsError("params.yaml 'synth.effects.ssd12.corr_intercept_slope' in (-1, 1)")


@dataclass(frozen=True)
class DropoutEffects:
    """Drop-out time: ``min_days`` plus an exponential time with hazard
    ``rate_per_year · Π hazard_ratio^x`` (proportional hazards); a drop-out before the planned
    end ends the trajectory as ``voortijdig``. ``rate_per_year: 0`` gives an export without
    drop-outs."""

    rate_per_year: float
    hazard_ratio: Mapping[str, float]
    min_days: int

    def __post_init__(self) -> None:
        if not self.rate_per_year >= 0:
            raise ParamsError("params.yaml 'synth.effects.dropout.rate_per_year' must be >= 0")
        _covariates(self.hazard_ratio, "effects.dropout.hazard_ratio")
        for name, hr in self.hazard_ratio.items():
            _positive(hr, f"effects.dropout.hazard_ratio.{name}")


@dataclass(frozen=True)
class ReentryEffects:
    """Re-entry after a regular end: ``min_gap_days`` plus an exponential gap with
    ``rate_per_year``, kept when within ``window_years`` of the end and before the cut-off.
    The random effects of the new trajectory correlate ``effects_correlation`` with the old."""

    rate_per_year: float
    window_years: float
    min_gap_days: int
    effects_correlation: float

    def __post_init__(self) -> None:
        _positive(self.rate_per_year, "effects.reentry.rate_per_year")
        _positive(self.window_years, "effects.reentry.window_years")
        _probability(self.effects_correlation, "effects.reentry.effects_correlation")


@dataclass(frozen=True)
class LinkEffects:
    """How the other instruments track the SSD-12 latent total.

    ``z = (T - ssd12_center) / ssd12_scale``; an instrument's latent severity is
    ``rho·z + sqrt(1 - rho²)·eta`` with ``eta`` standard normal, a share ``stable_share`` of its
    variance fixed per trajectory and the rest per occasion.
    """

    ssd12_center: float
    ssd12_scale: float
    stable_share: float
    eq5d: float
    phq15: float
    rand36: Mapping[str, float]

    def __post_init__(self) -> None:
        _positive(self.ssd12_scale, "effects.links.ssd12_scale")
        _probability(self.stable_share, "effects.links.stable_share")
        _probability(self.eq5d, "effects.links.eq5d")
        _probability(self.phq15, "effects.links.phq15")
        if set(self.rand36) != set(RAND36_SCALES):
            raise ParamsError("params.yaml 'synth.effects.links.rand36' needs every RAND-36 scale")
        for name, rho in self.rand36.items():
            _probability(rho, f"effects.links.rand36.{name}")


@dataclass(frozen=True)
class CqiEffects:
    """CQI grade at the end: ``mean + per_10_points·(improvement on the latent SSD-12)/10 +
    dropout_shift·dropout + N(0, sd)``, rounded and clipped to 0–10."""

    mean: float
    per_10_points: float
    dropout_shift: float
    sd: float

    def __post_init__(self) -> None:
        _positive(self.sd, "effects.cqi.sd")


@dataclass(frozen=True)
class EffectParams:
    """The planted, documented truths that later analyses must recover."""

    ssd12: Ssd12Effects
    dropout: DropoutEffects
    reentry: ReentryEffects
    links: LinkEffects
    cqi: CqiEffects


@dataclass(frozen=True)
class MeasurementParams:
    """How latent severities become item answers (calibration, not planted effects)."""

    ssd12_item_offsets: tuple[float, ...]
    ssd12_item_sd: float
    eq5d_dimension_mean: Mapping[str, float]
    eq5d_loading: float
    eq5d_item_sd: float
    eq5d_vas_mean: float
    eq5d_vas_per_sd: float
    eq5d_vas_sd: float
    phq15_item_mean: tuple[float, ...]
    phq15_loading: float
    phq15_item_sd: float
    rand36_scale_mean: Mapping[str, float]
    rand36_scale_sd: Mapping[str, float]
    rand36_item_sd: float

    def __post_init__(self) -> None:
        if len(self.ssd12_item_offsets) != 12 or not math.isclose(
            sum(self.ssd12_item_offsets), 0.0, abs_tol=1e-9
        ):
            raise ParamsError(
                "params.yaml 'synth.measurement.ssd12_item_offsets' needs 12 offsets summing to 0"
            )
        if set(self.eq5d_dimension_mean) != {"mo", "sc", "ua", "pd", "ad"}:
            raise ParamsError(
                "params.yaml 'synth.measurement.eq5d_dimension_mean' needs mo, sc, ua, pd, ad"
            )
        if len(self.phq15_item_mean) != 15:
            raise ParamsError("params.yaml 'synth.measurement.phq15_item_mean' needs 15 values")
        for name in ("rand36_scale_mean", "rand36_scale_sd"):
            if set(getattr(self, name)) != set(RAND36_SCALES):
                raise ParamsError(f"params.yaml 'synth.measurement.{name}' needs every scale")
        for name in (
            "ssd12_item_sd",
            "eq5d_item_sd",
            "eq5d_vas_sd",
            "phq15_item_sd",
            "rand36_item_sd",
        ):
            _positive(getattr(self, name), f"measurement.{name}")


@dataclass(frozen=True)
class SynthParams:
    """The ``synth`` block of ``params.yaml``: what :func:`pipeline.synth.generate` needs.

    Attributes
    ----------
    seed
        Seed of every random draw: the same seed gives the same export.
    clients
        Number of clients; re-entries make the number of trajectories about 15 % larger.
    out_dir
        Where the DVC stage writes the export (relative to the project root).
    format
        ``csv`` (Dutch dialect), ``xlsx`` (one workbook) or ``sav`` (one SPSS file per table).
    errors
        Planted data errors per questionnaire table and kind (out-of-range item, unparseable
        date, exact duplicate, unknown client); 0 plants none.
    profile
        The file layout: ``alk`` (the project's own, in ``format``), ``roqua`` or ``long``
        (CSV files as those platforms write them; :mod:`pipeline.synth.profiles`).
    """

    seed: int
    clients: int
    out_dir: str
    format: Literal["csv", "xlsx", "sav"]
    errors: int
    calendar: CalendarParams
    population: PopulationParams
    course: CourseParams
    schedule: ScheduleParams
    response: ResponseParams
    effects: EffectParams
    measurement: MeasurementParams
    profile: Literal["alk", "roqua", "long"] = "alk"

    def __post_init__(self) -> None:
        if self.profile != "alk" and self.format != "csv":
            raise ParamsError(
                f"params.yaml 'synth.profile' {self.profile} writes CSV files: set synth.format "
                "to csv"
            )
        if self.clients < 1:
            raise ParamsError("params.yaml 'synth.clients' must be at least 1")
        if self.errors < 0:
            raise ParamsError("params.yaml 'synth.errors' must be 0 or more")
        if self.seed < 0:
            raise ParamsError("params.yaml 'synth.seed' must be 0 or more")
