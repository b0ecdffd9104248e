"""EQ-5D-5L with the Dutch value set, and the EQ VAS.

Versteegh MM, Vermeulen KM, Evers SMAA, de Wit GA, Prenger R, Stolk EA. Dutch tariff for the
five-level version of EQ-5D. *Value Health* 2016;19(4):343-52. doi:10.1016/j.jval.2016.01.003

``eq5d5l_index`` = 1 for state 11111, otherwise 1 + Intercept + the level decrement of each
dimension (no N-terms, no interactions), rounded to 3 decimals. Coefficients:
``reference/eq5d5l_nl_2016.csv``; ``params.yaml: score.eq5d5l.coefficients`` chooses the
published 3-decimal coefficients (default) or EuroQol's full-precision coefficients that
reproduce its value-set table. Any missing dimension leaves the index missing.
``eq5d_vas`` is the EQ VAS itself, a whole number 0 (worst) - 100 (best imaginable health).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from pipeline.instruments.base import (
    Algorithmic,
    Instrument,
    ItemScale,
    MissingRule,
    round_half_away,
)
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.instruments.params import ScoreParams
from pipeline.instruments.reference import EQ5D_DIMENSIONS, eq5d5l_coefficients, level_lookup

KEY = "eq5d5l"
CITATION = (
    "Versteegh MM, Vermeulen KM, Evers SMAA, et al. Value Health 2016;19(4):343-52. "
    "doi:10.1016/j.jval.2016.01.003"
)
DIMENSION_ITEMS = tuple(f"eq5d5l_{d}" for d in EQ5D_DIMENSIONS)


def index_function(coefficients: str) -> Callable[[np.ndarray], np.ndarray]:
    """The value-set function: ``(m, 5)`` levels 1-5 -> index, vectorised by lookup."""
    coefs = eq5d5l_coefficients(coefficients)
    table = level_lookup(coefs, 5)
    start, intercept = coefs["StartValue"], coefs["Intercept"]
    dims = np.arange(len(EQ5D_DIMENSIONS))

    def index(levels: np.ndarray) -> np.ndarray:
        decrement = table[dims, levels].sum(axis=1)
        problems = (levels > 1).any(axis=1)
        value = start + np.where(problems, intercept + decrement, 0.0)
        return round_half_away(value, 3) + 0.0  # + 0.0 turns -0.0 into 0.0

    return index


def vas_score() -> ItemScale:
    """The EQ VAS as a score (shared by the 5L and 3L definitions)."""
    return ItemScale(
        name="eq5d_vas",
        label="EQ VAS",
        items=("eq5d_vas",),
        low=0,
        high=100,
        direction="higher_is_better",
        outcome=True,
        aggregate="sum",
        rule=MissingRule("complete"),
    )


def build(params: ScoreParams) -> Instrument:
    """The EQ-5D-5L definition under ``score.eq5d5l.coefficients``."""
    option = params.eq5d5l.coefficients
    func = index_function(option)
    states = np.array(list(itertools.product(range(1, 6), repeat=5)), dtype=np.intp)
    index = Algorithmic(
        name="eq5d5l_index",
        label=f"EQ-5D-5L index (NL 2016, {option} coefficients)",
        items=DIMENSION_ITEMS,
        low=float(func(states).min()),
        high=1.0,
        direction="higher_is_better",
        outcome=True,
        func=func,
    )
    return Instrument(
        key=KEY,
        title="EQ-5D-5L (Dutch value set 2016) and EQ VAS",
        citation=CITATION,
        items=INSTRUMENT_ITEMS[KEY],
        scores=(index, vas_score()),
        primary=("eq5d5l_index",),
        burden={**{item: 1 for item in DIMENSION_ITEMS}, "eq5d_vas": -1},
        missing_rule="index: all five dimensions answered; VAS: the answer itself",
        options={"coefficients": option},
    )
