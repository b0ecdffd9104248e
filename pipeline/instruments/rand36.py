"""RAND-36 / SF-36: eight health scales and the health-change item.

Dutch RAND-36: VanderZee KI, Sanderman R, Heyink JW, de Haes H. Psychometric qualities of the
RAND 36-Item Health Survey 1.0: a multidimensional measure of general health status.
*Int J Behav Med* 1996;3(2):104-22. Scoring: Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item
Health Survey 1.0. *Health Econ* 1993;2(3):217-27 (RAND "Scoring Rules for the RAND 36-Item
Health Survey 1.0").

RAND scoring (``params.yaml: score.rand36.method: rand``, the default): every item is recoded
to 0-100 with ``reference/rand36_recode.csv`` (higher = better health) and each scale is the
mean of its recoded, answered items. ``sf36_ware`` applies Ware's SF-36 recoding instead
(Ware JE, Snow KK, Kosinski M, Gandek B. *SF-36 Health Survey: Manual and Interpretation
Guide*. Boston: New England Medical Center, The Health Institute, 1993): general-health item 1 is precoded 5, 4.4, 3.4, 2, 1
and the pain items 21 (6, 5.4, 4.2, 3.1, 2.2, 1) and 22 (depending on item 21) are precoded as
in the manual; the precoded values are put on 0-100 by (value - lowest) / range x 100, which
equals Ware's transformation of the raw scale sum when the scale is the mean of its items.

Missing items (``score.rand36.missing_rule``): ``half_scale`` (default; Ware's rule, a scale is
scored when at least half its items are answered) or ``available_items`` (RAND: the mean of
whatever is answered).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.instruments.base import Instrument, ItemScale, LookupRecode, MissingRule, Recoder
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.instruments.params import ScoreParams
from pipeline.instruments.reference import rand36_recode_table

KEY = "rand36"
CITATION = (
    "VanderZee KI, Sanderman R, Heyink JW, de Haes H. Int J Behav Med 1996;3(2):104-22; "
    "Hays RD, Sherbourne CD, Mazel RM. Health Econ 1993;2(3):217-27"
)
#: Scale column -> (label, item numbers), as in ``docs/instruments.md``.
SCALES: dict[str, tuple[str, tuple[int, ...]]] = {
    "rand36_pf": ("physical functioning", tuple(range(3, 13))),
    "rand36_rp": ("role limitations due to physical health", (13, 14, 15, 16)),
    "rand36_re": ("role limitations due to emotional problems", (17, 18, 19)),
    "rand36_vt": ("energy/fatigue", (23, 27, 29, 31)),
    "rand36_mh": ("emotional well-being", (24, 25, 26, 28, 30)),
    "rand36_sf": ("social functioning", (20, 32)),
    "rand36_bp": ("pain", (21, 22)),
    "rand36_gh": ("general health", (1, 33, 34, 35, 36)),
    "rand36_hc": ("health change", (2,)),
}
#: Ware's precoded values of item 1 and item 21, on 0-100: (v - 1) / 4 x 100, (v - 1) / 5 x 100.
WARE_ITEM1 = (5.0, 4.4, 3.4, 2.0, 1.0)
WARE_ITEM21 = (6.0, 5.4, 4.2, 3.1, 2.2, 1.0)


def _item(number: int) -> str:
    return f"rand36_{number:02d}"


def _ware_table() -> np.ndarray:
    table = rand36_recode_table().copy()
    table[0, 1:6] = [(v - 1.0) / 4.0 * 100.0 for v in WARE_ITEM1]
    table[20, 1:7] = [(v - 1.0) / 5.0 * 100.0 for v in WARE_ITEM21]
    return table


@dataclass(frozen=True, eq=False)
class WarePainRecode:
    """Ware's pain items 21 and 22, on 0-100.

    Item 21: 6, 5.4, 4.2, 3.1, 2.2, 1. Item 22 when item 21 is answered: 6 if both are 1, 5 if
    item 22 is 1 and item 21 is not, then 4, 3, 2, 1 for answers 2-5; when item 21 is missing:
    6, 4.75, 3.5, 2.25, 1. On 0-100: (v - 1) / 5 x 100.
    """

    def __call__(self, values: np.ndarray) -> np.ndarray:
        item21, item22 = values[:, 0], values[:, 1]
        lut21 = np.array([np.nan, *((v - 1.0) / 5.0 * 100.0 for v in WARE_ITEM21)])
        lut22_alone = np.array([np.nan, 100.0, 75.0, 50.0, 25.0, 0.0])
        lut22_with = np.array([np.nan, 80.0, 60.0, 40.0, 20.0, 0.0])
        idx21 = np.where(np.isnan(item21), 0, item21).astype(np.intp)
        idx22 = np.where(np.isnan(item22), 0, item22).astype(np.intp)
        out21 = lut21[idx21]
        out22 = np.where(np.isnan(item21), lut22_alone[idx22], lut22_with[idx22])
        out22 = np.where((idx21 == 1) & (idx22 == 1), 100.0, out22)
        return np.column_stack([out21, out22])


def _recoder(method: str, numbers: tuple[int, ...]) -> Recoder:
    if method == "sf36_ware" and numbers == (21, 22):
        return WarePainRecode()
    table = _ware_table() if method == "sf36_ware" else rand36_recode_table()
    return LookupRecode(table[[n - 1 for n in numbers]])


def build(params: ScoreParams) -> Instrument:
    """The RAND-36 definition under ``score.rand36`` (method and missing rule)."""
    opts = params.rand36
    rule = (
        MissingRule("min_fraction", 0.5)
        if opts.missing_rule == "half_scale"
        else MissingRule("min_fraction", 0.0)
    )
    scales = tuple(
        ItemScale(
            name=name,
            label=f"RAND-36 {label}",
            items=tuple(_item(n) for n in numbers),
            low=0,
            high=100,
            direction="higher_is_better",
            outcome=name != "rand36_hc",
            aggregate="mean",
            rule=rule,
            recode=_recoder(opts.method, numbers),
        )
        for name, (label, numbers) in SCALES.items()
    )
    table = rand36_recode_table()
    burden = {}
    for spec in INSTRUMENT_ITEMS[KEY]:
        row = table[int(spec.name[-2:]) - 1]
        burden[spec.name] = 1 if row[spec.high] < row[spec.low] else -1
    return Instrument(
        key=KEY,
        title="RAND-36 (Dutch RAND 36-Item Health Survey 1.0)",
        citation=CITATION,
        items=INSTRUMENT_ITEMS[KEY],
        scores=scales,
        primary=tuple(name for name in SCALES if name != "rand36_hc"),
        burden=burden,
        missing_rule=(
            "scale = mean of its answered recoded items, scored when at least half its items "
            "are answered (half-scale rule)"
            if opts.missing_rule == "half_scale"
            else "scale = mean of its answered recoded items, at least one (RAND)"
        ),
        options={"method": opts.method, "missing_rule": opts.missing_rule},
    )
