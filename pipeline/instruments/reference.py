"""Published coefficients and recoding keys as lookup arrays.

The tables in ``pipeline/instruments/reference/`` are the published ones (a test checks their
SHA-256 digests; sources in ``docs/instruments.md``), read once and cached.
"""

from __future__ import annotations

from functools import cache
from types import MappingProxyType
from typing import Literal

import numpy as np

from pipeline.io.score_csv import read_reference_csv

EQ5D5L_TABLE = "eq5d5l_nl_2016.csv"
EQ5D3L_TABLE = "eq5d3l_nl.csv"
RAND36_TABLE = "rand36_recode.csv"

#: EQ-5D dimensions in questionnaire order (column suffixes and coefficient prefixes).
EQ5D_DIMENSIONS = ("mo", "sc", "ua", "pd", "ad")


@cache
def eq5d5l_coefficients(
    coefficients: Literal["published", "full_precision"],
) -> MappingProxyType[str, float]:
    """Versteegh et al. (2016) terms -> coefficients (3 decimals or EuroQol's 7 decimals)."""
    table = read_reference_csv(EQ5D5L_TABLE)
    column = "coefficient" if coefficients == "published" else "coefficient_full_precision"
    return MappingProxyType(
        {str(t): float(c) for t, c in zip(table["term"], table[column], strict=True)}
    )


@cache
def eq5d3l_coefficients(value_set: str) -> MappingProxyType[str, float]:
    """Terms -> coefficients of one Dutch EQ-5D-3L value set (``NL_2006_Lamers`` ...)."""
    table = read_reference_csv(EQ5D3L_TABLE)
    rows = table[table["value_set"] == value_set]
    if rows.empty:
        raise KeyError(value_set)
    return MappingProxyType(
        {str(t): float(c) for t, c in zip(rows["term"], rows["coefficient"], strict=True)}
    )


def level_lookup(coefs: MappingProxyType[str, float], levels: int) -> np.ndarray:
    """``(5, levels + 1)`` array: ``[d, level]`` = the decrement of dimension ``d`` at
    ``level`` (level 1 and the unused column 0 are 0)."""
    table = np.zeros((len(EQ5D_DIMENSIONS), levels + 1))
    for d, dim in enumerate(EQ5D_DIMENSIONS):
        for level in range(2, levels + 1):
            table[d, level] = coefs[f"{dim.upper()}{level}"]
    return table


@cache
def rand36_recode_table() -> np.ndarray:
    """``(36, 7)`` array: ``[item - 1, raw]`` = RAND 0-100 recoded value (NaN if no such
    answer)."""
    table = read_reference_csv(RAND36_TABLE)
    out = np.full((36, 7), np.nan)
    for item, raw, value in zip(
        table["item"], table["raw_value"], table["recoded_0_100"], strict=True
    ):
        out[int(item) - 1, int(raw)] = float(value)
    out.setflags(write=False)
    return out
