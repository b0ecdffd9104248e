"""CQ-index (Consumer Quality Index, ambulatory mental health care): the overall grade.

The client's overall grade for the treatment on the Dutch school-mark scale, a whole number
0-10 (``docs/instruments.md``); higher = better. Reported at end of treatment as a
mean with its confidence interval; not a change outcome.
"""

from __future__ import annotations

from pipeline.instruments.base import Instrument, ItemScale, MissingRule
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.instruments.params import ScoreParams

KEY = "cqi"
CITATION = "CQ-index ambulatory mental health care (overall grade, instruments.md)"


def build(params: ScoreParams) -> Instrument:
    """The CQI definition (no options)."""
    grade = ItemScale(
        name="cqi_grade",
        label="CQI overall grade",
        items=("cqi_grade",),
        low=0,
        high=10,
        direction="higher_is_better",
        aggregate="sum",
        rule=MissingRule("complete"),
    )
    return Instrument(
        key=KEY,
        title="CQ-index overall grade",
        citation=CITATION,
        items=INSTRUMENT_ITEMS[KEY],
        scores=(grade,),
        primary=("cqi_grade",),
        burden={"cqi_grade": -1},
        missing_rule="the grade itself; missing when not given",
        end_only=True,
    )
