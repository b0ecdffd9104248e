"""The canonical item columns of every questionnaire table and their allowed answers.

This is the single source of item names and ranges for ingest (range checks and quarantine),
the synthetic generator and the scorer. Ranges follow ``docs/instruments.md``; the
RAND-36 ranges are those of ``pipeline/instruments/reference/rand36_recode.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemSpec:
    """One item column: whole-number answers from ``low`` to ``high`` inclusive."""

    name: str
    low: int
    high: int


def _items(prefix: str, n: int, low: int, high: int) -> tuple[ItemSpec, ...]:
    return tuple(ItemSpec(f"{prefix}_{i:02d}", low, high) for i in range(1, n + 1))


# RAND-36 item response ranges (item number -> number of response options).
_RAND36_OPTIONS: dict[int, int] = {
    1: 5, 2: 5, **{i: 3 for i in range(3, 13)}, **{i: 2 for i in range(13, 20)},
    20: 5, 21: 6, 22: 5, 23: 6, 24: 6, 25: 6, 26: 6, 27: 6, 28: 6, 29: 6, 30: 6, 31: 6,
    32: 5, 33: 5, 34: 5, 35: 5, 36: 5,
}  # fmt: skip

EQ5D_VAS = ItemSpec("eq5d_vas", 0, 100)

#: Instrument (= table name) -> its item columns, in questionnaire order.
INSTRUMENT_ITEMS: dict[str, tuple[ItemSpec, ...]] = {
    "ssd12": _items("ssd12", 12, 0, 4),
    "eq5d5l": tuple(ItemSpec(f"eq5d5l_{d}", 1, 5) for d in ("mo", "sc", "ua", "pd", "ad"))
    + (EQ5D_VAS,),
    "eq5d3l": tuple(ItemSpec(f"eq5d3l_{d}", 1, 3) for d in ("mo", "sc", "ua", "pd", "ad"))
    + (EQ5D_VAS,),
    "rand36": tuple(ItemSpec(f"rand36_{i:02d}", 1, n) for i, n in _RAND36_OPTIONS.items()),
    "phq15": _items("phq15", 15, 0, 2),
    "cqi": (ItemSpec("cqi_grade", 0, 10),),
}

#: Anchor labels of the answer scales (Dutch and English wordings, lower case): per instrument,
#: canonical answer -> phrases that label it in a codebook or SPSS value labels. The codebook
#: check (``pipeline.ingest.codebook``) refuses a coding that puts such a label on another
#: answer (a 1-based scale read as 0-based). Items with more than 7 answers (EQ VAS, CQI
#: grade) and the RAND-36 (item-specific wordings) have none.
ANSWER_ANCHORS: dict[str, dict[int, tuple[str, ...]]] = {
    "ssd12": {0: ("nooit", "never"), 4: ("heel vaak", "zeer vaak", "very often")},
    "phq15": {
        0: ("niet", "geen last", "not bothered", "not at all"),
        2: ("veel", "bothered a lot", "a lot"),
    },
    "eq5d5l": {
        1: ("geen problemen", "no problems", "geen pijn", "no pain", "niet angstig",
            "not anxious"),
        5: ("niet in staat", "unable", "extreme", "extreem", "extreme pijn"),
    },
    "eq5d3l": {
        1: ("geen problemen", "no problems", "geen pijn", "no pain", "niet angstig",
            "not anxious"),
        3: ("niet in staat", "unable", "bedlegerig", "confined to bed", "extreme", "extreem"),
    },
}  # fmt: skip

#: Questionnaire tables in a fixed order (outputs are sorted by it).
INSTRUMENTS: tuple[str, ...] = tuple(INSTRUMENT_ITEMS)


def item_columns(instrument: str) -> tuple[str, ...]:
    """The canonical item column names of ``instrument``."""
    return tuple(item.name for item in INSTRUMENT_ITEMS[instrument])


def all_item_columns() -> tuple[str, ...]:
    """Every item column of every instrument, each once (``eq5d_vas`` is shared)."""
    seen: dict[str, None] = {}
    for items in INSTRUMENT_ITEMS.values():
        for item in items:
            seen.setdefault(item.name, None)
    return tuple(seen)
