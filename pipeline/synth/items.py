"""Item answers of SSD-12, EQ-5D (5L and 3L), PHQ-15 and CQI from the latent severities.

Every function is vectorised over administrations and returns float arrays (NaN = no answer)
of whole numbers inside the item ranges of :mod:`pipeline.instruments.catalogue`.

- SSD-12: ``item_j = clip(round(T/12 + offset_j + N(0, ssd12_item_sd)), 0, 4)`` (offsets sum to
  0), then items with room are moved up or down one step at a time (a random item per step)
  until the sum equals ``clip(round(T), 0, 48)``: the total score is the latent total, rounded,
  and clipped only where ``T`` itself leaves 0–48; the items keep their own profile and noise.
- EQ-5D: a continuous level per dimension on the 5L scale,
  ``mean_d + eq5d_loading·s + N(0, eq5d_item_sd)``; 5L = round and clip to 1–5; 3L maps the same
  continuous level to 1–3 (``1 + (c − 1)/2``), so both versions describe the same health.
  VAS ``= eq5d_vas_mean − eq5d_vas_per_sd·s + N(0, eq5d_vas_sd)``, clipped to 0–100.
- PHQ-15: ``item_j = clip(round(mean_j + phq15_loading·s + N(0, phq15_item_sd)), 0, 2)``; item 4
  (menstrual problems) is missing for men by design.
- CQI grade: ``mean + per_10_points·improvement/10 + dropout_shift·dropout + N(0, sd)``,
  rounded and clipped to 0–10, with ``improvement`` the fall of the latent SSD-12 total from the
  trajectory's start to the end occasion.
"""

from __future__ import annotations

import numpy as np

from pipeline.synth.params import CqiEffects, MeasurementParams

EQ5D_DIMENSIONS: tuple[str, ...] = ("mo", "sc", "ua", "pd", "ad")
#: PHQ-15 item (0-based) that does not apply to men.
PHQ15_MENSTRUAL = 3


def _rounded(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.rint(values), low, high)


def match_sum(
    rng: np.random.Generator, items: np.ndarray, target: np.ndarray, low: int, high: int
) -> np.ndarray:
    """Items moved one step at a time (a random item with room per row and step) until each
    row sums to ``target``; ``target`` must lie in ``[k·low, k·high]`` for ``k`` items."""
    out = items.copy()
    rows = np.flatnonzero(out.sum(axis=1) != target)
    while rows.size:
        block = out[rows]
        step = np.sign(target[rows] - block.sum(axis=1))
        room = np.where(step[:, None] > 0, block < high, block > low)
        pick = np.argmax(np.where(room, rng.random(block.shape), -1.0), axis=1)
        out[rows, pick] += step
        rows = rows[out[rows].sum(axis=1) != target[rows]]
    return out


def ssd12_items(
    rng: np.random.Generator, total: np.ndarray, measurement: MeasurementParams
) -> np.ndarray:
    """The 12 SSD-12 answers (0–4) of administrations with latent totals ``total``; each row
    sums to ``clip(round(total), 0, 48)``."""
    offsets = np.asarray(measurement.ssd12_item_offsets)
    noise = rng.normal(0.0, measurement.ssd12_item_sd, size=(total.size, offsets.size))
    items = _rounded(total[:, None] / offsets.size + offsets[None, :] + noise, 0, 4)
    target = np.clip(np.rint(total), 0, 4 * offsets.size)
    return match_sum(rng, items, target, 0, 4)


def eq5d_levels(
    rng: np.random.Generator, s: np.ndarray, measurement: MeasurementParams, levels: int
) -> np.ndarray:
    """The five EQ-5D dimensions (1–5 for ``levels=5``, 1–3 for ``levels=3``) at severity ``s``."""
    means = np.array([measurement.eq5d_dimension_mean[d] for d in EQ5D_DIMENSIONS])
    noise = rng.normal(0.0, measurement.eq5d_item_sd, size=(s.size, means.size))
    continuous = means[None, :] + measurement.eq5d_loading * s[:, None] + noise
    if levels == 5:
        return _rounded(continuous, 1, 5)
    return _rounded(1.0 + (continuous - 1.0) / 2.0, 1, 3)


def eq5d_vas(rng: np.random.Generator, s: np.ndarray, measurement: MeasurementParams) -> np.ndarray:
    """The EQ VAS (0–100, higher = better health) at severity ``s``."""
    noise = rng.normal(0.0, measurement.eq5d_vas_sd, size=s.size)
    return _rounded(measurement.eq5d_vas_mean - measurement.eq5d_vas_per_sd * s + noise, 0, 100)


def phq15_items(
    rng: np.random.Generator, s: np.ndarray, male: np.ndarray, measurement: MeasurementParams
) -> np.ndarray:
    """The 15 PHQ-15 answers (0–2) at severity ``s``; item 4 is NaN for men."""
    means = np.asarray(measurement.phq15_item_mean)
    noise = rng.normal(0.0, measurement.phq15_item_sd, size=(s.size, means.size))
    items = _rounded(means[None, :] + measurement.phq15_loading * s[:, None] + noise, 0, 2)
    items[male, PHQ15_MENSTRUAL] = np.nan
    return items


def cqi_grade(
    rng: np.random.Generator, improvement: np.ndarray, dropout: np.ndarray, cqi: CqiEffects
) -> np.ndarray:
    """The CQI grade (0–10) given the latent SSD-12 improvement (points) and drop-out."""
    grade = (
        cqi.mean
        + cqi.per_10_points * improvement / 10.0
        + cqi.dropout_shift * dropout
        + rng.normal(0.0, cqi.sd, size=improvement.size)
    )
    return _rounded(grade, 0, 10)


def drop_items(rng: np.random.Generator, items: np.ndarray, share: float) -> np.ndarray:
    """Items with each answer missing at random with probability ``share`` (a copy)."""
    out = items.astype(float, copy=True)
    out[rng.random(out.shape) < share] = np.nan
    return out
