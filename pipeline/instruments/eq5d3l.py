"""EQ-5D-3L with a Dutch value set, and the EQ VAS.

- Lamers LM, McDonnell J, Stalmeier PFM, Krabbe PFM, Busschbach JJV. The Dutch tariff: results
  and arguments for an effective design for national EQ-5D valuation studies. *Health Econ*
  2006;15(10):1121-32 (``NL_2006_Lamers``, the default): 1 for 11111, otherwise
  1 + constant + the level decrements + the N3 term when any dimension is at level 3.
- Roudijk B, Jonker MF. *Eur J Health Econ* 2026 (``NL_2026_RoudijkJonker``): constant -0.154,
  no N3 term.

Coefficients: ``reference/eq5d3l_nl.csv``; the value set is ``params.yaml:
score.eq5d3l.value_set``. The index is rounded to 3 decimals; any missing dimension leaves it
missing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from pipeline.instruments.base import Algorithmic, Instrument, round_half_away
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.instruments.eq5d5l import vas_score
from pipeline.instruments.params import ScoreParams
from pipeline.instruments.reference import EQ5D_DIMENSIONS, eq5d3l_coefficients, level_lookup

KEY = "eq5d3l"
CITATIONS = {
    "NL_2006_Lamers": "Lamers LM, McDonnell J, Stalmeier PFM, et al. Health Econ 2006;15(10):1121-32",
    "NL_2026_RoudijkJonker": "Roudijk B, Jonker MF. Eur J Health Econ 2026",
}
DIMENSION_ITEMS = tuple(f"eq5d3l_{d}" for d in EQ5D_DIMENSIONS)


def index_function(value_set: str) -> Callable[[np.ndarray], np.ndarray]:
    """The value-set function: ``(m, 5)`` levels 1-3 -> index, vectorised by lookup."""
    coefs = eq5d3l_coefficients(value_set)
    table = level_lookup(coefs, 3)
    full, constant, n3 = coefs["FullHealth"], coefs["AtLeastOne2Or3"], coefs["AtLeastOne3"]
    dims = np.arange(len(EQ5D_DIMENSIONS))

    def index(levels: np.ndarray) -> np.ndarray:
        decrement = table[dims, levels].sum(axis=1)
        problems = (levels > 1).any(axis=1)
        level3 = (levels == 3).any(axis=1)
        value = full + np.where(problems, constant + decrement, 0.0) + np.where(level3, n3, 0.0)
        return round_half_away(value, 3) + 0.0

    return index


def build(params: ScoreParams) -> Instrument:
    """The EQ-5D-3L definition under ``score.eq5d3l.value_set``."""
    value_set = params.eq5d3l.value_set
    func = index_function(value_set)
    states = np.array(list(itertools.product(range(1, 4), repeat=5)), dtype=np.intp)
    index = Algorithmic(
        name="eq5d3l_index",
        label=f"EQ-5D-3L index ({value_set})",
        items=DIMENSION_ITEMS,
        low=float(func(states).min()),
        high=1.0,
        direction="higher_is_better",
        outcome=True,
        func=func,
    )
    return Instrument(
        key=KEY,
        title="EQ-5D-3L (Dutch value set) and EQ VAS",
        citation=CITATIONS[value_set],
        items=INSTRUMENT_ITEMS[KEY],
        scores=(index, vas_score()),
        primary=("eq5d3l_index",),
        burden={**{item: 1 for item in DIMENSION_ITEMS}, "eq5d_vas": -1},
        missing_rule="index: all five dimensions answered; VAS: the answer itself",
        options={"value_set": value_set},
    )
