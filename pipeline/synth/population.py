"""Baseline factors of the synthetic clients.

The nine binary factors (``cfs`` and every ``comorbid_*``) come from a Gaussian copula: a
multivariate normal with the correlations of ``population.latent_correlation`` (childhood trauma
with PTSD and personality disorder, depression with anxiety, ...), each thresholded at its
prevalence, so that marginal prevalences are exact in expectation and the factors co-occur as
in clinical samples. Sex, diagnosis and team are independent categorical draws; age at the first
start is a scaled beta; symptom duration is log-normal (capped below the age minus 12 years);
prior treatments are Poisson, capped.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import ndtri

from pipeline.synth.params import DIAGNOSES, FLAGS, SEXES, PopulationParams


def _categorical(
    rng: np.random.Generator, shares: Mapping[str, float], order: tuple[str, ...], n: int
) -> np.ndarray:
    probs = np.array([float(shares.get(level, 0.0)) for level in order])
    return np.asarray(order, dtype=object)[rng.choice(len(order), size=n, p=probs / probs.sum())]


def draw_clients(rng: np.random.Generator, n: int, population: PopulationParams) -> pd.DataFrame:
    """Draw the time-invariant baseline factors of ``n`` clients.

    Parameters
    ----------
    rng
        The ``population`` stream.
    n
        Number of clients.
    population
        The ``synth.population`` parameters.

    Returns
    -------
    pandas.DataFrame
        One row per client (``client`` = 0 … n-1): ``sex`` (``f``/``m``/``x``), ``diagnosis``,
        the nine flags (int8 0/1), ``age_first`` (whole years at the first start),
        ``symptom_duration_years`` (at the first referral), ``prior_treatments``,
        ``research_consent`` (0/1) and ``team``.
    """
    frame = pd.DataFrame({"client": np.arange(n, dtype=np.int64)})
    frame["sex"] = _categorical(rng, population.sex, SEXES, n)
    frame["diagnosis"] = _categorical(rng, population.diagnosis, DIAGNOSES, n)

    chol = np.linalg.cholesky(population.correlation_matrix())
    latent = rng.standard_normal((n, len(FLAGS))) @ chol.T
    thresholds = ndtri(1.0 - np.array([population.prevalence[f] for f in FLAGS]))
    flags = (latent > thresholds).astype(np.int8)
    for j, name in enumerate(FLAGS):
        frame[name] = flags[:, j]

    span = population.age_max - population.age_min
    m = (population.age_mean - population.age_min) / span
    k = population.age_concentration
    age = population.age_min + span * rng.beta(m * k, (1.0 - m) * k, size=n)
    frame["age_first"] = np.minimum(np.floor(age), population.age_max).astype(np.int64)

    duration = np.exp(
        np.log(population.symptom_duration_median_years)
        + population.symptom_duration_sigma * rng.standard_normal(n)
    )
    cap = np.maximum(frame["age_first"].to_numpy() - 12.0, population.symptom_duration_min_years)
    frame["symptom_duration_years"] = np.clip(duration, population.symptom_duration_min_years, cap)
    frame["prior_treatments"] = np.minimum(
        rng.poisson(population.prior_treatments_mean, size=n), population.prior_treatments_max
    ).astype(np.int64)
    frame["research_consent"] = (rng.random(n) < population.research_consent).astype(np.int8)
    teams = tuple(population.teams)
    frame["team"] = _categorical(rng, population.teams, teams, n)
    return frame


def covariate(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The value of one planted-effect factor per row of a trajectory frame.

    Flags are 0/1; ``diagnosis_<level>`` and ``sex_<level>`` are indicators against the
    reference levels ``ssd`` and ``f``; ``age_at_start``, ``symptom_duration_years`` and
    ``prior_treatments`` are taken as they are (uncentred, per unit).
    """
    if name.startswith("diagnosis_"):
        return (frame["diagnosis"].to_numpy() == name.removeprefix("diagnosis_")).astype(float)
    if name.startswith("sex_"):
        return (frame["sex"].to_numpy() == name.removeprefix("sex_")).astype(float)
    return frame[name].to_numpy(dtype=float)


def linear_predictor(frame: pd.DataFrame, coefficients: Mapping[str, float]) -> np.ndarray:
    """``Σ coefficient·factor`` per row for a mapping of factor name -> coefficient."""
    total = np.zeros(len(frame))
    for name, beta in coefficients.items():
        total += float(beta) * covariate(frame, name)
    return total
