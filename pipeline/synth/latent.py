"""The planted outcome model: latent SSD-12 total per measurement occasion.

Truth (``synth.effects.ssd12``), on the scale of the SSD-12 total score (0–48 points):

    T_io = intercept + Σ_k baseline_k·x_ik + u0_i
           + (time + Σ_k time_by_k·x_ik + u1_i)·t_io + e_io

with ``i`` the trajectory, ``o`` the occasion, ``t_io`` the years from start (negative for an
intake before start; held at the end date for occasions after the end),
``(u0_i, u1_i)`` bivariate normal (``sd_intercept``, ``sd_slope``, ``corr_intercept_slope``) and
``e_io ~ N(0, sd_residual)``. A client's re-entry trajectory has random effects correlated
``effects.reentry.effects_correlation`` with those of the first (its marginal distribution is
the same).

The other instruments track ``T`` through ``z = (T - ssd12_center)/ssd12_scale``
(``synth.effects.links``): an instrument's latent severity is ``rho·z + sqrt(1-rho²)·eta``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.synth.params import LinkEffects, ReentryEffects, Ssd12Effects
from pipeline.synth.population import linear_predictor


def draw_random_effects(
    rng: np.random.Generator,
    trajectories: pd.DataFrame,
    ssd12: Ssd12Effects,
    reentry: ReentryEffects,
) -> tuple[np.ndarray, np.ndarray]:
    """Random intercept ``u0`` (points) and slope ``u1`` (points per year) per trajectory.

    ``trajectories`` is sorted by client and episode, so a re-entry (episode 2) directly
    follows its client's first trajectory.
    """
    n = len(trajectories)
    z = rng.standard_normal((n, 2))
    second = np.flatnonzero(trajectories["episode"].to_numpy() == 2)
    r = reentry.effects_correlation
    z[second] = r * z[second - 1] + math.sqrt(1.0 - r * r) * z[second]
    rho = ssd12.corr_intercept_slope
    u0 = ssd12.sd_intercept * z[:, 0]
    u1 = ssd12.sd_slope * (rho * z[:, 0] + math.sqrt(1.0 - rho * rho) * z[:, 1])
    return u0, u1


def fixed_parts(trajectories: pd.DataFrame, ssd12: Ssd12Effects) -> tuple[np.ndarray, np.ndarray]:
    """The fixed intercept and fixed slope (points per year) of every trajectory."""
    intercept = ssd12.intercept + linear_predictor(trajectories, ssd12.baseline)
    slope = ssd12.time + linear_predictor(trajectories, ssd12.time_by)
    return intercept, slope


def latent_ssd12(
    rng: np.random.Generator,
    occasions: pd.DataFrame,
    intercept: np.ndarray,
    slope: np.ndarray,
    sd_residual: float,
) -> np.ndarray:
    """The latent SSD-12 total ``T`` of every occasion (unrounded, unclipped).

    Parameters
    ----------
    rng
        The ``latent`` stream.
    occasions
        Output of :func:`pipeline.synth.schedule.draw_occasions`.
    intercept, slope
        Per trajectory: fixed part plus random effect.
    sd_residual
        Standard deviation of the occasion-level residual ``e``.
    """
    traj = occasions["trajectory"].to_numpy()
    t = occasions["t_years"].to_numpy()
    return intercept[traj] + slope[traj] * t + rng.normal(0.0, sd_residual, size=len(occasions))


def severity(
    rng: np.random.Generator,
    z: np.ndarray,
    traj: np.ndarray,
    n_trajectories: int,
    rho: float,
    links: LinkEffects,
) -> np.ndarray:
    """A standard-normal latent severity that correlates ``rho`` with ``z`` per occasion.

    ``sqrt(1-rho²)·eta`` is the part unrelated to SSD-12; a share ``links.stable_share`` of
    ``eta``'s variance is fixed per trajectory, the rest varies per occasion.
    """
    stable = rng.standard_normal(n_trajectories)[traj]
    occasion = rng.standard_normal(z.size)
    share = links.stable_share
    eta = math.sqrt(share) * stable + math.sqrt(1.0 - share) * occasion
    return rho * z + math.sqrt(1.0 - rho * rho) * eta
