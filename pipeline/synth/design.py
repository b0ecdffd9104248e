"""Care trajectories: start, course, end, re-entry, treatments and sessions.

Calendar days are handled as whole numbers (days since 1970-01-01) so that everything is
vectorised over trajectories; :mod:`pipeline.synth.tables` turns them into dates.

Course of a trajectory (planted truth in ``synth.effects.dropout``):

- planned treatment length: log-normal (``course.duration_*``);
- drop-out time: ``dropout.min_days`` plus an exponential time with hazard
  ``rate_per_year · Π hazard_ratio^x``; a drop-out before the planned end ends the trajectory
  as ``dropout``. Regular, referred and other ends all happen at the planned end and are
  independent of every factor, so for time to drop-out they are independent censoring and a Cox
  model recovers the hazard ratios exactly;
- the trajectory is ended when its end date is on or before the export date, else ongoing.

Re-entry (``synth.effects.reentry``): after a regular end, a client starts a new trajectory
``min_gap_days`` plus an exponential gap (rate ``rate_per_year``) later, when that is within
``window_years`` and on or before ``calendar.last_start``. Each client re-enters at most once.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.synth.params import MODALITIES, SynthParams, TreatmentParams
from pipeline.synth.population import linear_predictor

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0


def day_number(date: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int(np.datetime64(date, "D").astype(np.int64))


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers."""
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _course(
    rng: np.random.Generator, frame: pd.DataFrame, params: SynthParams, cutoff: int
) -> pd.DataFrame:
    """Add referral, duration, end reason and status to trajectories with a ``start_day``."""
    course, dropout = params.course, params.effects.dropout
    n = len(frame)
    planned_years = np.exp(
        math.log(course.duration_median_years) + course.duration_sigma * rng.standard_normal(n)
    )
    planned_years = np.clip(planned_years, course.duration_min_years, course.duration_max_years)
    planned_days = np.rint(planned_years * DAYS_PER_YEAR).astype(np.int64)

    log_hr = {name: math.log(hr) for name, hr in dropout.hazard_ratio.items()}
    hazard = dropout.rate_per_year * np.exp(linear_predictor(frame, log_hr))
    exponential = rng.standard_exponential(n)  # drawn also without drop-outs: same stream
    if dropout.rate_per_year > 0:
        dropout_days = dropout.min_days + np.rint(exponential / hazard * DAYS_PER_YEAR).astype(
            np.int64
        )
        is_dropout = dropout_days < planned_days
    else:
        dropout_days = planned_days
        is_dropout = np.zeros(n, dtype=bool)
    duration = np.where(is_dropout, dropout_days, planned_days)

    u = rng.random(n)
    reason = np.where(
        is_dropout,
        "dropout",
        np.where(
            u < course.referred_share,
            "referred",
            np.where(u < course.referred_share + course.other_share, "other", "regular"),
        ),
    )
    waiting = np.maximum(
        np.rint(
            rng.gamma(
                course.waiting_days_shape, course.waiting_days_mean / course.waiting_days_shape, n
            )
        ),
        1,
    ).astype(np.int64)

    out = frame.copy()
    start = out["start_day"].to_numpy()
    out["referral_day"] = start - waiting
    out["duration_days"] = duration
    out["end_day"] = start + duration
    ended = out["end_day"].to_numpy() <= cutoff
    end_reason = reason.astype(object)
    end_reason[~ended] = None
    out["ended"] = ended
    out["end_reason"] = end_reason
    return out


def draw_treatments(
    rng: np.random.Generator, frame: pd.DataFrame, treatments: TreatmentParams
) -> np.ndarray:
    """The ``|``-joined modalities of each trajectory (contract order, at least one).

    Each modality is drawn independently with its probability, or with
    ``indicated_probability`` when the comorbidity that indicates it is present (EMDR for PTSD,
    schema therapy for personality disorder).
    """
    n = len(frame)
    probs = np.tile([treatments.probability[m] for m in MODALITIES], (n, 1))
    for modality, flag in treatments.indicated.items():
        j = MODALITIES.index(modality)
        probs[:, j] = np.where(
            frame[flag].to_numpy() == 1, treatments.indicated_probability, probs[:, j]
        )
    chosen = rng.random((n, len(MODALITIES))) < probs
    chosen[~chosen.any(axis=1), MODALITIES.index(treatments.fallback)] = True
    masks = chosen.astype(np.int64) @ (1 << np.arange(len(MODALITIES), dtype=np.int64))
    unique, inverse = np.unique(masks, return_inverse=True)
    labels = np.array(
        ["|".join(m for j, m in enumerate(MODALITIES) if mask >> j & 1) for mask in unique],
        dtype=object,
    )
    return labels[inverse]


def draw_trajectories(
    params: SynthParams,
    clients: pd.DataFrame,
    rng_course: np.random.Generator,
    rng_reentry: np.random.Generator,
) -> pd.DataFrame:
    """All trajectories of the clients: one first trajectory each, plus re-entries.

    Parameters
    ----------
    params
        The ``synth`` parameters.
    clients
        Output of :func:`pipeline.synth.population.draw_clients`.
    rng_course, rng_reentry
        The ``course`` and ``reentry`` streams.

    Returns
    -------
    pandas.DataFrame
        One row per trajectory, sorted by ``client`` and ``episode`` (1 = first, 2 = re-entry),
        with the client's factors (``symptom_duration_years`` and ``prior_treatments`` as at
        this trajectory's start), ``age_at_start``, ``birth_year``, ``referral_day``,
        ``start_day``, ``duration_days``, ``end_day`` (the planned or actual end, also for
        ongoing trajectories), ``ended``, ``end_reason`` (None while ongoing), ``treatments``
        and ``sessions``.
    """
    cal = params.calendar
    first_day, last_day = day_number(cal.first_start), day_number(cal.last_start)
    cutoff = day_number(cal.export_date)
    n = len(clients)

    first = clients.copy()
    first["episode"] = 1
    first["start_day"] = rng_course.integers(first_day, last_day + 1, size=n)
    first["age_at_start"] = first["age_first"].to_numpy()
    first["birth_year"] = year_of(first["start_day"].to_numpy()) - first["age_first"].to_numpy()
    first = _course(rng_course, first, params, cutoff)

    reentry = params.effects.reentry
    gap = reentry.min_gap_days + np.rint(
        rng_reentry.standard_exponential(n) / reentry.rate_per_year * DAYS_PER_YEAR
    ).astype(np.int64)
    new_start = first["end_day"].to_numpy() + gap
    keep = (
        first["ended"].to_numpy()
        & (first["end_reason"].to_numpy() == "regular")
        & (gap <= reentry.window_years * DAYS_PER_YEAR)
        & (new_start <= last_day)
    )
    second = first.loc[keep].copy()
    prev_start, prev_end = second["start_day"].to_numpy(), second["end_day"].to_numpy()
    second["episode"] = 2
    second["start_day"] = new_start[keep]
    second["age_at_start"] = year_of(new_start[keep]) - second["birth_year"].to_numpy()
    second["symptom_duration_years"] = (
        second["symptom_duration_years"].to_numpy() + (new_start[keep] - prev_start) / DAYS_PER_YEAR
    )
    second["prior_treatments"] = np.minimum(
        second["prior_treatments"].to_numpy() + 1, params.population.prior_treatments_max
    )
    second = _course(rng_course, second, params, cutoff)
    second["referral_day"] = np.maximum(second["referral_day"].to_numpy(), prev_end + 1)

    trajectories = (
        pd.concat([first, second], ignore_index=True)
        .sort_values(["client", "episode"], kind="stable")
        .reset_index(drop=True)
    )
    trajectories["symptom_duration_years"] = trajectories["symptom_duration_years"].round(1)
    trajectories["treatments"] = draw_treatments(
        rng_course, trajectories, params.population.treatments
    )
    seen_until = np.minimum(trajectories["end_day"].to_numpy(), cutoff)
    months = np.maximum(seen_until - trajectories["start_day"].to_numpy(), 0) / DAYS_PER_MONTH
    trajectories["sessions"] = 1 + rng_course.poisson(params.course.sessions_per_month * months)
    return trajectories
