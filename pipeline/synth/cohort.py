"""The simulated cohort with its latent truth, before it is dressed as an export.

:func:`simulate` runs the parts in order (population -> trajectories -> random effects ->
occasions -> latent SSD-12 -> response -> item answers), each from its own random stream, and
keeps the latent quantities so that tests and later analyses can compare estimates with the
truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.synth import items as item_answers
from pipeline.synth._rng import stream
from pipeline.synth.design import draw_trajectories
from pipeline.synth.latent import draw_random_effects, fixed_parts, latent_ssd12, severity
from pipeline.synth.params import RAND36_SCALES, SynthParams
from pipeline.synth.population import draw_clients
from pipeline.synth.rand36 import rand36_items
from pipeline.synth.response import draw_response
from pipeline.synth.schedule import draw_occasions


@dataclass(frozen=True)
class Cohort:
    """A simulated cohort.

    Attributes
    ----------
    trajectories
        One row per trajectory (see :func:`pipeline.synth.design.draw_trajectories`) plus the
        latent truth: ``fixed_intercept``, ``fixed_slope`` (points, points per year), ``u0``,
        ``u1`` (random effects).
    occasions
        One row per measurement occasion (see :func:`pipeline.synth.schedule.draw_occasions`)
        plus ``ssd12_latent`` (the latent total ``T``).
    items
        Questionnaire -> (occasion rows, item answers): the rows of ``occasions`` with a
        completed administration and a float array of answers (NaN = not answered) in the
        catalogue's item order.
    """

    trajectories: pd.DataFrame
    occasions: pd.DataFrame
    items: dict[str, tuple[np.ndarray, np.ndarray]]


def _answers(
    params: SynthParams,
    trajectories: pd.DataFrame,
    occasions: pd.DataFrame,
    masks: dict[str, np.ndarray],
    start_level: np.ndarray,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Item answers of every completed administration (the ``items`` stream)."""
    rng = stream(params.seed, "items")
    links, m = params.effects.links, params.measurement
    traj = occasions["trajectory"].to_numpy()
    n_traj = len(trajectories)
    total = occasions["ssd12_latent"].to_numpy()
    z = (total - links.ssd12_center) / links.ssd12_scale
    z_change = (total - start_level[traj]) / links.ssd12_scale
    s_eq5d = severity(rng, z, traj, n_traj, links.eq5d, links)
    s_phq15 = severity(rng, z, traj, n_traj, links.phq15, links)
    s_rand = {
        k: severity(rng, z_change if k == "hc" else z, traj, n_traj, links.rand36[k], links)
        for k in RAND36_SCALES
    }
    male = trajectories["sex"].to_numpy()[traj] == "m"
    dropout = trajectories["end_reason"].to_numpy()[traj] == "dropout"

    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rows = np.flatnonzero(masks["ssd12"])
    out["ssd12"] = (rows, item_answers.ssd12_items(rng, total[rows], m))
    for name, levels in (("eq5d5l", 5), ("eq5d3l", 3)):
        rows = np.flatnonzero(masks[name])
        answers = np.column_stack(
            [
                item_answers.eq5d_levels(rng, s_eq5d[rows], m, levels),
                item_answers.eq5d_vas(rng, s_eq5d[rows], m),
            ]
        )
        out[name] = (rows, answers)
    rows = np.flatnonzero(masks["rand36"])
    out["rand36"] = (
        rows,
        rand36_items(
            rng,
            {k: v[rows] for k, v in s_rand.items()},
            m.rand36_scale_mean,
            m.rand36_scale_sd,
            m.rand36_item_sd,
        ),
    )
    rows = np.flatnonzero(masks["phq15"])
    out["phq15"] = (rows, item_answers.phq15_items(rng, s_phq15[rows], male[rows], m))
    for name in ("ssd12", "eq5d5l", "eq5d3l", "rand36", "phq15"):
        rows, answers = out[name]
        out[name] = (rows, item_answers.drop_items(rng, answers, params.response.item_missing))
    rows = np.flatnonzero(masks["cqi"])
    improvement = start_level[traj[rows]] - total[rows]
    grade = item_answers.cqi_grade(rng, improvement, dropout[rows], params.effects.cqi)
    out["cqi"] = (rows, grade[:, None])
    return out


def simulate(params: SynthParams) -> Cohort:
    """Simulate the cohort of ``params.clients`` clients with the planted effects.

    Pure and deterministic: the same parameters give the same cohort.
    """
    clients = draw_clients(stream(params.seed, "population"), params.clients, params.population)
    trajectories = draw_trajectories(
        params, clients, stream(params.seed, "course"), stream(params.seed, "reentry")
    )
    ssd12 = params.effects.ssd12
    u0, u1 = draw_random_effects(
        stream(params.seed, "random_effects"), trajectories, ssd12, params.effects.reentry
    )
    fixed_intercept, fixed_slope = fixed_parts(trajectories, ssd12)
    trajectories = trajectories.assign(
        fixed_intercept=fixed_intercept, fixed_slope=fixed_slope, u0=u0, u1=u1
    )
    occasions = draw_occasions(stream(params.seed, "schedule"), trajectories, params)
    occasions["ssd12_latent"] = latent_ssd12(
        stream(params.seed, "latent"),
        occasions,
        fixed_intercept + u0,
        fixed_slope + u1,
        ssd12.sd_residual,
    )
    masks = draw_response(stream(params.seed, "response"), occasions, trajectories, params)
    items = _answers(params, trajectories, occasions, masks, fixed_intercept + u0)
    return Cohort(trajectories=trajectories, occasions=occasions, items=items)
