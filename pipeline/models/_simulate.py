"""Synthetic model inputs drawn from a known linear mixed model, for tests and benchmarks.

:func:`simulate_inputs` returns :class:`~pipeline.models.base.ModelInputs` whose ``scores`` and
``trajectories`` frames have the columns of ``data/processed/scores.parquet`` and
``trajectories.parquet`` (``docs/outputs.md``) that the models read. Outcomes follow
exactly the linear mixed model

    y_ij = b0 + b_time t_ij + x_i' gamma + (x_i' delta) t_ij + u0_i + u1_i t_ij + e_ij,

with ``t`` = years since start, ``(u0, u1)`` bivariate normal per trajectory and ``e`` normal,
with no rounding or clipping to the instruments' ranges, so that parameter-recovery tests can
compare estimates with the planted values in :data:`DEFAULT_EFFECTS`. It is not the realistic
export generator (:mod:`pipeline.synth`); it is small, fast and exactly specified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.change import Direction, categorise, cutoff, s_diff
from pipeline.models.base import ModelInputs

#: Prevalence of each 0/1 baseline factor.
PREVALENCE: Mapping[str, float] = {
    "cfs": 0.15,
    "comorbid_asd": 0.15,
    "comorbid_ptsd": 0.15,
    "comorbid_personality": 0.12,
    "comorbid_mild_id": 0.08,
    "comorbid_opioid": 0.06,
    "comorbid_childhood_trauma": 0.2,
    "comorbid_depression": 0.35,
    "comorbid_anxiety": 0.3,
}
SEX_LEVELS: tuple[tuple[str, float], ...] = (("f", 0.7), ("m", 0.28), ("x", 0.02))
DIAGNOSIS_LEVELS: tuple[tuple[str, float], ...] = (
    ("ssd", 0.55),
    ("fnd", 0.2),
    ("illness_anxiety", 0.1),
    ("other", 0.15),
)


@dataclass(frozen=True)
class OutcomeTruth:
    """The planted linear mixed model of one outcome.

    Attributes
    ----------
    intercept, time
        Mean at start and yearly change of the reference group (female, diagnosis ``ssd``,
        no comorbidity, age 40).
    main, by_time
        Baseline effects on the level and on the yearly change (interaction with time), by
        baseline factor (``comorbid_*``, ``cfs``, ``age_at_start`` per year above 40).
    sd_intercept, sd_slope, correlation, sd_residual
        Random intercept and slope SDs, their correlation, and the residual SD.
    """

    intercept: float
    time: float
    main: Mapping[str, float] = field(default_factory=dict)
    by_time: Mapping[str, float] = field(default_factory=dict)
    sd_intercept: float = 1.0
    sd_slope: float = 0.5
    correlation: float = 0.0
    sd_residual: float = 1.0


#: The planted models; ``comorbid_asd`` slows SSD-12 improvement by 2.5 points a year.
DEFAULT_EFFECTS: Mapping[str, OutcomeTruth] = {
    "ssd12_total": OutcomeTruth(
        intercept=31.0,
        time=-5.0,
        main={"comorbid_asd": 2.0, "comorbid_depression": 1.5, "age_at_start": 0.05},
        by_time={"comorbid_asd": 2.5, "comorbid_ptsd": 1.0},
        sd_intercept=6.0,
        sd_slope=3.0,
        correlation=-0.2,
        sd_residual=4.0,
    ),
    "eq5d5l_index": OutcomeTruth(
        intercept=0.55,
        time=0.08,
        main={"comorbid_depression": -0.05},
        by_time={"comorbid_asd": -0.03},
        sd_intercept=0.15,
        sd_slope=0.08,
        correlation=-0.1,
        sd_residual=0.08,
    ),
    "eq5d_vas": OutcomeTruth(
        intercept=52.0,
        time=7.0,
        main={"comorbid_depression": -4.0},
        by_time={"comorbid_asd": -2.0},
        sd_intercept=14.0,
        sd_slope=6.0,
        correlation=0.1,
        sd_residual=9.0,
    ),
}

#: RAND-36 scales (0-100, higher = better health): planted like the SSD-12 and EQ-5D, so that
#: the mixed and change models of every RAND-36 scale have inputs. ``comorbid_asd`` slows the
#: gain in physical and social functioning.
RAND36_EFFECTS: Mapping[str, OutcomeTruth] = {
    f"rand36_{scale}": OutcomeTruth(
        intercept=level,
        time=gain,
        main={"comorbid_depression": -6.0, "age_at_start": -0.2},
        by_time={"comorbid_asd": -2.0} if scale in ("pf", "sf") else {},
        sd_intercept=18.0,
        sd_slope=7.0,
        correlation=-0.2,
        sd_residual=10.0,
    )
    for scale, level, gain in (
        ("pf", 60.0, 6.0),
        ("rp", 35.0, 12.0),
        ("re", 45.0, 10.0),
        ("vt", 38.0, 7.0),
        ("mh", 55.0, 6.0),
        ("sf", 50.0, 9.0),
        ("bp", 45.0, 8.0),
        ("gh", 40.0, 5.0),
    )
}

#: The other score columns (SSD-12 subscales, EQ-5D-3L index, RAND-36 health change, PHQ-15
#: total, CQ-index grade), planted simply so that a model of any scored outcome has inputs for
#: the contract tests; drawn from a third generator so that the data above stay as they were.
OTHER_EFFECTS: Mapping[str, OutcomeTruth] = {
    name: OutcomeTruth(
        intercept=level,
        time=gain,
        main={"comorbid_depression": sd / 4.0},
        by_time={"comorbid_asd": -gain / 3.0},
        sd_intercept=sd,
        sd_slope=sd / 3.0,
        correlation=-0.1,
        sd_residual=sd / 2.0,
    )
    for name, level, gain, sd in (
        ("ssd12_cognitive", 9.5, -1.0, 3.0),
        ("ssd12_affective", 9.5, -1.2, 3.0),
        ("ssd12_behavioural", 9.0, -0.8, 3.0),
        ("eq5d3l_index", 0.55, 0.06, 0.15),
        ("rand36_hc", 45.0, 8.0, 20.0),
        ("phq15_total", 13.0, -1.5, 4.0),
        ("cqi_grade", 7.4, 0.0, 1.2),
    )
}

#: Every planted outcome: the SSD-12 and EQ-5D ones first (their draws come first, so that
#: adding instruments leaves their data unchanged), then the RAND-36 scales, then the others.
ALL_EFFECTS: Mapping[str, OutcomeTruth] = {**DEFAULT_EFFECTS, **RAND36_EFFECTS, **OTHER_EFFECTS}

#: PHQ-15 severity bands of the total (Kroenke et al. 2002), as the scorer labels them.
PHQ15_SEVERITY: tuple[tuple[float, str], ...] = (
    (5.0, "minimal"),
    (10.0, "low"),
    (15.0, "medium"),
    (float("inf"), "high"),
)

#: Reliable-change norms per outcome for ``S_rci`` and ``S_category`` (Jacobson & Truax 1991),
#: as the score stage's defaults in params.yaml: direction of improvement, SD at intake (``None``:
#: the sample's), reliability and the Jacobson-Truax cut-off (``None``: nobody recovers).
CHANGE_NORMS: Mapping[str, tuple[Direction, float | None, float, float | None]] = {
    "ssd12_total": (
        "lower_is_better",
        11.2,
        0.93,
        cutoff("c", "lower_is_better", m_clin=28.3, sd_clin=11.2, m_func=5.8, sd_func=7.0),
    ),
    "eq5d5l_index": ("higher_is_better", None, 0.70, None),
    "eq5d_vas": ("higher_is_better", None, 0.70, None),
    "phq15_total": ("lower_is_better", None, 0.80, None),
}

#: Instrument carrying each outcome column.
OUTCOME_INSTRUMENT: Mapping[str, str] = {
    "ssd12_total": "ssd12",
    "eq5d5l_index": "eq5d5l",
    "eq5d_vas": "eq5d5l",
    **{name: "rand36" for name in RAND36_EFFECTS},
    "ssd12_cognitive": "ssd12",
    "ssd12_affective": "ssd12",
    "ssd12_behavioural": "ssd12",
    "eq5d3l_index": "eq5d3l",
    "rand36_hc": "rand36",
    "phq15_total": "phq15",
    "cqi_grade": "cqi",
}


def simulate_inputs(
    n_trajectories: int = 200,
    seed: int = 0,
    effects: Mapping[str, OutcomeTruth] = ALL_EFFECTS,
    missing_rate: float = 0.15,
) -> ModelInputs:
    """Draw scores and trajectories from the planted linear mixed models.

    Parameters
    ----------
    n_trajectories
        Number of trajectories (one client each; every tenth client has a second, later
        trajectory instead of a new client).
    seed
        Seed of the generator (the only source of randomness).
    effects
        Planted model per outcome column (default every outcome of :data:`ALL_EFFECTS`).
        Outcomes of :data:`DEFAULT_EFFECTS` (SSD-12, EQ-5D) are drawn first from ``seed``; the
        others (RAND-36) from a second generator seeded ``(seed, 1)``, so that their
        administrations leave the SSD-12 and EQ-5D data of a seed as they were.
    missing_rate
        Probability that a planned administration was not completed (missing completely at
        random).

    Returns
    -------
    ModelInputs
        ``scores`` also holds ``follow_up`` and ``unlinked`` rows and ``trajectories`` holds
        clients without research consent and ongoing trajectories, so analysis-set filters
        have something to filter.
    """
    rng = np.random.default_rng(seed)
    n = int(n_trajectories)
    keys = [f"t{i:06d}" for i in range(n)]
    client_index = np.arange(n) - (np.arange(n) % 10 == 9).astype(int)
    clients = [f"c{i:06d}" for i in client_index]
    traj = pd.DataFrame({"client_key": clients, "trajectory_key": keys})
    age = np.clip(np.round(rng.normal(42.0, 12.0, n)), 18, 80).astype(int)
    traj["age_at_start"] = pd.array(age, dtype="Int64")
    traj["sex"] = _draw_levels(rng, SEX_LEVELS, n)
    traj["diagnosis"] = _draw_levels(rng, DIAGNOSIS_LEVELS, n)
    for column, prevalence in PREVALENCE.items():
        traj[column] = pd.array((rng.random(n) < prevalence).astype(int), dtype="Int8")
    start = pd.Timestamp("2021-01-04") + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")
    duration_days = rng.integers(180, 800, n)
    ongoing = rng.random(n) < 0.12
    traj["start_date"] = start
    traj["end_date"] = (start + pd.to_timedelta(duration_days, unit="D")).where(~ongoing)
    traj["status"] = np.where(ongoing, "ongoing", "ended")
    traj["end_reason"] = pd.Series(
        np.where(rng.random(n) < 0.15, "dropout", "regular"), dtype="object"
    ).where(~ongoing)
    traj["symptom_duration_years"] = np.round(rng.gamma(2.0, 3.0, n), 1)
    traj["prior_treatments"] = pd.array(rng.poisson(1.5, n), dtype="Int64")
    traj["sessions"] = pd.array(rng.integers(6, 40, n), dtype="Int64")
    traj["research_consent"] = pd.array((rng.random(n) < 0.9).astype(int), dtype="Int8")

    visits = _visits(rng, duration_days, ongoing)
    years = visits["days_from_start"].to_numpy() / 365.25
    rows = visits["row"].to_numpy()
    first = {k: v for k, v in effects.items() if k in DEFAULT_EFFECTS}
    extra = {k: v for k, v in effects.items() if k in RAND36_EFFECTS}
    other = {
        k: v for k, v in effects.items() if k not in DEFAULT_EFFECTS and k not in RAND36_EFFECTS
    }
    parts = [_administrations(rng, traj, visits, rows, years, first, missing_rate)]
    if extra:
        extra_rng = np.random.default_rng([seed, 1])
        parts.append(_administrations(extra_rng, traj, visits, rows, years, extra, missing_rate))
    if other:
        other_rng = np.random.default_rng([seed, 2])
        parts.append(_administrations(other_rng, traj, visits, rows, years, other, missing_rate))
    long = pd.concat([p for p in parts if len(p)], ignore_index=True)
    outcome_columns = list(effects)
    scores_frame = long[
        [
            "client_key",
            "trajectory_key",
            "instrument",
            "completed_at",
            "timepoint",
            "days_from_start",
            *outcome_columns,
        ]
    ].sort_values(["client_key", "instrument", "completed_at"], kind="stable")
    scores_frame = scores_frame.reset_index(drop=True)
    if "phq15_total" in scores_frame:
        total = scores_frame["phq15_total"]
        bands = pd.Series(pd.NA, index=total.index, dtype="string")
        for upper, label in reversed(PHQ15_SEVERITY):
            bands = bands.mask(total.notna() & (total < upper), label)
        scores_frame["phq15_severity"] = bands
    traj = _add_change_columns(traj, scores_frame, outcome_columns)
    return ModelInputs(scores=scores_frame, trajectories=traj, seed=seed)


def _administrations(
    rng: np.random.Generator,
    traj: pd.DataFrame,
    visits: pd.DataFrame,
    rows: np.ndarray,
    years: np.ndarray,
    effects: Mapping[str, OutcomeTruth],
    missing_rate: float,
) -> pd.DataFrame:
    """Administrations of the instruments of ``effects``: draws, MCAR misses, unlinked rows."""
    if not effects:
        return pd.DataFrame()
    scores = []
    for outcome, truth in effects.items():
        values = _draw_outcome(rng, traj, truth, rows, years)
        instrument = OUTCOME_INSTRUMENT.get(outcome, outcome.split("_")[0])
        scores.append((instrument, outcome, values))
    frames = []
    for instrument in sorted({i for i, _, _ in scores}):
        part = visits.copy()
        part["instrument"] = instrument
        for inst, outcome, values in scores:
            part[outcome] = values if inst == instrument else np.nan
        frames.append(part)
    long = pd.concat(frames, ignore_index=True)
    long = long[rng.random(len(long)) >= missing_rate]
    long["client_key"] = traj["client_key"].to_numpy()[long["row"].to_numpy()]
    long["trajectory_key"] = traj["trajectory_key"].to_numpy()[long["row"].to_numpy()]
    long["completed_at"] = traj["start_date"].to_numpy()[long["row"].to_numpy()] + pd.to_timedelta(
        long["days_from_start"], unit="D"
    )
    unlinked = rng.random(len(long)) < 0.02
    long.loc[unlinked, "timepoint"] = "unlinked"
    long["trajectory_key"] = long["trajectory_key"].where(~unlinked)
    long["days_from_start"] = long["days_from_start"].astype("Int64")
    long.loc[unlinked, "days_from_start"] = pd.NA
    return long


def _draw_levels(
    rng: np.random.Generator, levels: tuple[tuple[str, float], ...], n: int
) -> np.ndarray:
    names = [name for name, _ in levels]
    probs = np.array([p for _, p in levels])
    return np.asarray(rng.choice(names, size=n, p=probs / probs.sum()), dtype=object)


def _visits(rng: np.random.Generator, duration: np.ndarray, ongoing: np.ndarray) -> pd.DataFrame:
    """Planned administrations: intake, six-monthly interim, end, and a follow-up."""
    rows, days, points = [], [], []
    for i, (length, is_ongoing) in enumerate(zip(duration, ongoing, strict=True)):
        observed = int(length * 0.6) if is_ongoing else int(length)
        rows.append(i)
        days.append(int(rng.integers(-14, 8)))
        points.append("intake")
        for visit in range(182, observed - 60, 182):
            rows.append(i)
            days.append(visit + int(rng.integers(-10, 11)))
            points.append("interim")
        if not is_ongoing:
            rows.append(i)
            days.append(int(length) + int(rng.integers(-20, 10)))
            points.append("end")
            if rng.random() < 0.3:
                rows.append(i)
                days.append(int(length) + int(rng.integers(120, 400)))
                points.append("follow_up")
    return pd.DataFrame({"row": rows, "days_from_start": days, "timepoint": points})


def _draw_outcome(
    rng: np.random.Generator,
    traj: pd.DataFrame,
    truth: OutcomeTruth,
    rows: np.ndarray,
    years: np.ndarray,
) -> np.ndarray:
    n = len(traj)
    level = np.full(n, truth.intercept)
    slope = np.full(n, truth.time)
    for factor, effect in truth.main.items():
        level = level + effect * _centred(traj, factor)
    for factor, effect in truth.by_time.items():
        slope = slope + effect * _centred(traj, factor)
    cov = truth.correlation * truth.sd_intercept * truth.sd_slope
    sigma = np.array([[truth.sd_intercept**2, cov], [cov, truth.sd_slope**2]])
    random = rng.multivariate_normal(np.zeros(2), sigma, size=n)
    level = level + random[:, 0]
    slope = slope + random[:, 1]
    noise = rng.normal(0.0, truth.sd_residual, len(rows))
    return np.asarray(level[rows] + slope[rows] * years + noise, dtype=float)


def _centred(traj: pd.DataFrame, factor: str) -> np.ndarray:
    values = traj[factor].astype(float).to_numpy()
    return values - 40.0 if factor == "age_at_start" else values


def _add_change_columns(
    traj: pd.DataFrame, scores: pd.DataFrame, outcomes: list[str]
) -> pd.DataFrame:
    """``S_intake``, ``S_end``, ``S_change`` per outcome, as the scoring stage writes them.

    Outcomes with :data:`CHANGE_NORMS` also get ``S_rci`` and ``S_category`` (``recovered`` ...
    ``harmed``, empty without both scores), computed by :mod:`pipeline.change`.
    """
    out = traj.copy()
    for outcome in outcomes:
        for point in ("intake", "end"):
            rows = scores[(scores["timepoint"] == point) & scores[outcome].notna()]
            values = rows.groupby("trajectory_key")[outcome].first()
            out[f"{outcome}_{point}"] = out["trajectory_key"].map(values).astype(float)
        out[f"{outcome}_change"] = out[f"{outcome}_end"] - out[f"{outcome}_intake"]
        if outcome in CHANGE_NORMS:
            direction, sd_pre, reliability, cut = CHANGE_NORMS[outcome]
            intake = out[f"{outcome}_intake"].to_numpy(dtype=float)
            sdiff = s_diff(
                sd_pre if sd_pre is not None else float(np.nanstd(intake, ddof=1)), reliability
            )
            out[f"{outcome}_rci"] = out[f"{outcome}_change"] / sdiff
            category = categorise(
                intake,
                out[f"{outcome}_end"].to_numpy(dtype=float),
                sdiff=sdiff,
                cut=cut,
                direction=direction,
            )
            out[f"{outcome}_category"] = pd.array(category, dtype="string")
    return out
