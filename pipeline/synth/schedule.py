"""Measurement occasions: when the ROM battery is offered to a trajectory.

Occasions follow the centre's protocol and stay inside the timepoint windows of
``docs/input-format.md`` (defaults: intake [start − 60, start + 30], end [end − 60, end + 30]):

- ``intake``: start + a normal offset (mostly a few days before start), clipped to
  ``schedule.intake_offset_min_days`` … ``intake_offset_max_days`` and never before referral;
- ``interim``: every ``interim_every_days`` after start (normal jitter), only after the intake
  window and more than ``interim_margin_days`` before the end;
- ``end``: ended trajectories only, end + a clipped normal offset, at least
  ``end_min_days_after_intake`` after the intake occasion;
- ``follow_up``: a share of the trajectories that ended other than by drop-out, about
  ``follow_up_days`` after the end, never after the client's next referral.

Nothing is scheduled after the export date. Each occasion has a time of day between
``day_start_hour`` and ``day_end_hour``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.synth.design import DAYS_PER_YEAR, day_number
from pipeline.synth.params import TIMEPOINTS, SynthParams

INTAKE, INTERIM, END, FOLLOW_UP = (TIMEPOINTS.index(t) for t in TIMEPOINTS)


def _clipped_offsets(
    rng: np.random.Generator, n: int, mean: float, sd: float, low: int, high: int
) -> np.ndarray:
    return np.clip(np.rint(rng.normal(mean, sd, size=n)), low, high).astype(np.int64)


def _within_group_index(counts: np.ndarray) -> np.ndarray:
    """0, 1, … within each group of ``np.repeat(…, counts)``."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def draw_occasions(
    rng: np.random.Generator, trajectories: pd.DataFrame, params: SynthParams
) -> pd.DataFrame:
    """Every measurement occasion of every trajectory.

    Parameters
    ----------
    rng
        The ``schedule`` stream.
    trajectories
        Output of :func:`pipeline.synth.design.draw_trajectories`.
    params
        The ``synth`` parameters.

    Returns
    -------
    pandas.DataFrame
        One row per occasion, sorted by trajectory and day: ``trajectory`` (row of
        ``trajectories``), ``timepoint`` (index into :data:`TIMEPOINTS`), ``day`` (days from
        start), ``minute`` (minute of the day) and ``t_years`` (years from start, held at the
        end date after the end: the time scale of the planted SSD-12 model).
    """
    s = params.schedule
    cutoff = day_number(params.calendar.export_date)
    n = len(trajectories)
    start = trajectories["start_day"].to_numpy()
    duration = trajectories["duration_days"].to_numpy()
    ended = trajectories["ended"].to_numpy()
    horizon = cutoff - start  # last day (from start) that can be in the export

    intake = _clipped_offsets(
        rng,
        n,
        s.intake_offset_mean_days,
        s.intake_offset_sd_days,
        s.intake_offset_min_days,
        s.intake_offset_max_days,
    )
    intake = np.maximum(intake, trajectories["referral_day"].to_numpy() - start)

    upper = np.where(ended, np.minimum(duration - s.interim_margin_days, horizon), horizon)
    counts = np.maximum((upper + 3 * s.interim_jitter_days) // s.interim_every_days, 0).astype(
        np.int64
    )
    interim_traj = np.repeat(np.arange(n), counts)
    interim = (_within_group_index(counts) + 1) * s.interim_every_days + np.rint(
        rng.normal(0.0, s.interim_jitter_days, size=interim_traj.size)
    ).astype(np.int64)
    keep_interim = (interim > s.intake_offset_max_days) & (interim < upper[interim_traj])

    end = duration + _clipped_offsets(
        rng,
        n,
        s.end_offset_mean_days,
        s.end_offset_sd_days,
        s.end_offset_min_days,
        s.end_offset_max_days,
    )
    keep_end = ended & (end >= intake + s.end_min_days_after_intake)

    follow = duration + np.clip(
        np.rint(rng.normal(s.follow_up_days, s.follow_up_sd_days, size=n)),
        s.end_offset_max_days + 1,
        2 * DAYS_PER_YEAR - 1,
    ).astype(np.int64)
    client = trajectories["client"].to_numpy()
    next_same_client = np.append(client[1:] == client[:-1], False)
    next_referral = np.append(trajectories["referral_day"].to_numpy()[1:], 0)
    before_next = ~next_same_client | (start + follow < next_referral)
    keep_follow = (
        ended
        & (trajectories["end_reason"].to_numpy() != "dropout")
        & (rng.random(n) < s.follow_up_share)
        & before_next
    )

    all_traj = np.arange(n)
    occasions = pd.DataFrame(
        {
            "trajectory": np.concatenate(
                [all_traj, interim_traj[keep_interim], all_traj[keep_end], all_traj[keep_follow]]
            ),
            "timepoint": np.concatenate(
                [
                    np.full(n, INTAKE),
                    np.full(int(keep_interim.sum()), INTERIM),
                    np.full(int(keep_end.sum()), END),
                    np.full(int(keep_follow.sum()), FOLLOW_UP),
                ]
            ).astype(np.int8),
            "day": np.concatenate(
                [intake, interim[keep_interim], end[keep_end], follow[keep_follow]]
            ),
        }
    )
    traj = occasions["trajectory"].to_numpy()
    occasions = occasions.loc[occasions["day"].to_numpy() <= horizon[traj]]
    occasions = occasions.sort_values(["trajectory", "day", "timepoint"], kind="stable")
    occasions = occasions.reset_index(drop=True)
    traj = occasions["trajectory"].to_numpy()
    day = occasions["day"].to_numpy()
    occasions["minute"] = rng.integers(
        s.day_start_hour * 60, s.day_end_hour * 60, size=len(occasions)
    )
    held = np.where(ended[traj], np.minimum(day, duration[traj]), day)
    occasions["t_years"] = held / DAYS_PER_YEAR
    return occasions
