"""PHQ-15: Patient Health Questionnaire somatic symptom severity.

Kroenke K, Spitzer RL, Williams JBW. The PHQ-15: validity of a new measure for evaluating the
severity of somatic symptoms. *Psychosom Med* 2002;64(2):258-66.

Fifteen items scored 0 (not bothered), 1 (bothered a little), 2 (bothered a lot); total 0-30,
higher = more burden; severity 0-4 minimal, 5-9 low, 10-14 medium, >= 15 high. Item 4
(menstrual cramps or problems) does not apply to men: for a man it is neither answered nor
missing and his maximum is 28 (an answer he gave to it is ignored).

Missing items: the paper gives no rule. Project decision (``params.yaml: score.phq15``): the
total is prorated when at most ``max_missing`` (default 1) applicable items are missing (mean of
the answered applicable items x the number of applicable items, rounded to one decimal), the
same proration as for the SSD-12 subscales. For sex ``x`` or unknown, item 4 counts as
applicable. The severity band of a prorated total uses the same thresholds (5, 10, 15).
"""

from __future__ import annotations

from pipeline.instruments.base import Banded, Instrument, ItemScale, MissingRule
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.instruments.params import ScoreParams

KEY = "phq15"
CITATION = "Kroenke K, Spitzer RL, Williams JBW. Psychosom Med 2002;64(2):258-66"
MENSTRUAL_ITEM = "phq15_04"
SEVERITY = ("minimal", "low", "medium", "high")


def build(params: ScoreParams) -> Instrument:
    """The PHQ-15 definition under ``score.phq15``."""
    opts = params.phq15
    items = tuple(item.name for item in INSTRUMENT_ITEMS[KEY])
    total = ItemScale(
        name="phq15_total",
        label="PHQ-15 total",
        items=items,
        low=0,
        high=30,
        direction="lower_is_better",
        outcome=True,
        aggregate="sum",
        rule=MissingRule("max_missing", opts.max_missing),
        decimals=opts.decimals,
        not_applicable={MENSTRUAL_ITEM: frozenset({"m"})},
    )
    severity = Banded(
        name="phq15_severity",
        label="PHQ-15 severity",
        items=items,
        low=0,
        high=len(SEVERITY) - 1,
        direction="lower_is_better",
        categories=SEVERITY,
        source="phq15_total",
        thresholds=(5.0, 10.0, 15.0),
    )
    return Instrument(
        key=KEY,
        title="PHQ-15 (Patient Health Questionnaire-15)",
        citation=CITATION,
        items=INSTRUMENT_ITEMS[KEY],
        scores=(total, severity),
        primary=("phq15_total",),
        burden={item: 1 for item in items},
        missing_rule=(
            f"total prorated when at most {opts.max_missing} applicable item(s) missing "
            f"(mean of answered x applicable items, {opts.decimals} decimal); item 4 not "
            "applicable to men (project decision)"
        ),
        options={"max_missing": str(opts.max_missing), "decimals": str(opts.decimals)},
    )
