"""Independent random streams derived from the one seed.

Each part of the generator draws from its own stream (``numpy.random.SeedSequence`` of the seed
and a fixed part number), so the same seed gives the same export, and tuning one part (say, the
item answers) leaves the draws of every other part (the population, the course) unchanged.
"""

from __future__ import annotations

import numpy as np

_PARTS: dict[str, int] = {
    "population": 1,
    "course": 2,
    "reentry": 3,
    "random_effects": 4,
    "schedule": 5,
    "latent": 6,
    "response": 7,
    "items": 8,
    "ids": 9,
    "errors": 10,
    "profiles": 11,
}


def stream(seed: int, part: str) -> np.random.Generator:
    """The random generator of one part of the generator for ``seed``.

    Parameters
    ----------
    seed
        The export's seed (``synth.seed``).
    part
        One of the fixed part names (``population``, ``course``, ``items`` ...).
    """
    return np.random.default_rng(np.random.SeedSequence([seed, _PARTS[part]]))
