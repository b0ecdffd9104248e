"""RAND-36 item answers from latent health per scale.

Each scale ``k`` has a health value on the 0–100 RAND scale (higher = better),
``v = rand36_scale_mean_k − rand36_scale_sd_k·s_k``, with ``s_k`` the scale's latent severity
(correlating ``effects.links.rand36[k]`` with the SSD-12 latent; for ``hc``, health change, with
the change of the latent SSD-12 since start). An item answer is the response option whose RAND
recode (``pipeline/instruments/reference/rand36_recode.csv``) is nearest to ``v + N(0, rand36_item_sd)``.
RAND items point both ways: for some a higher raw answer is better health (the physical
functioning items, 24, 25, 28, ...), for others worse (items 1, 2, 20–23, ...); the key below
encodes that direction so that recoded scales move with latent health. ``tests/test_synth.py``
checks the key against the reference table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pipeline.instruments.catalogue import INSTRUMENT_ITEMS

#: Item number -> RAND-36 scale (RAND scoring rules, as in ``docs/instruments.md``).
ITEM_SCALE: dict[int, str] = {
    1: "gh", 2: "hc", **{i: "pf" for i in range(3, 13)}, **{i: "rp" for i in range(13, 17)},
    **{i: "re" for i in range(17, 20)}, 20: "sf", 21: "bp", 22: "bp", 23: "vt", 24: "mh",
    25: "mh", 26: "mh", 27: "vt", 28: "mh", 29: "vt", 30: "mh", 31: "vt", 32: "sf", 33: "gh",
    34: "gh", 35: "gh", 36: "gh",
}  # fmt: skip

#: Items whose RAND recode rises with the raw answer (a higher answer is better health).
HIGHER_IS_BETTER: frozenset[int] = frozenset({*range(3, 20), 24, 25, 28, 29, 31, 32, 33, 35})


def rand36_items(
    rng: np.random.Generator,
    severities: Mapping[str, np.ndarray],
    scale_mean: Mapping[str, float],
    scale_sd: Mapping[str, float],
    item_sd: float,
) -> np.ndarray:
    """The 36 raw RAND-36 answers of administrations with latent severities per scale.

    Parameters
    ----------
    rng
        The ``items`` stream.
    severities
        Scale name -> latent severity per administration (standard normal, higher = worse).
    scale_mean, scale_sd
        Mean and standard deviation of each scale's health on the 0–100 RAND scale.
    item_sd
        Item-level noise on the 0–100 scale.

    Returns
    -------
    numpy.ndarray
        Shape (n, 36), whole numbers from 1 to each item's number of options.
    """
    n = next(iter(severities.values())).size
    specs = INSTRUMENT_ITEMS["rand36"]
    out = np.empty((n, len(specs)))
    noise = rng.normal(0.0, item_sd, size=(n, len(specs)))
    for j, spec in enumerate(specs):
        number = j + 1
        scale = ITEM_SCALE[number]
        options = spec.high - spec.low + 1
        health = scale_mean[scale] - scale_sd[scale] * severities[scale] + noise[:, j]
        step = np.clip(np.rint(health / 100.0 * (options - 1)), 0, options - 1)
        out[:, j] = spec.low + (step if number in HIGHER_IS_BETTER else options - 1 - step)
    return out
