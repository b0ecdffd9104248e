"""SSD-12: Somatic Symptom Disorder - B Criteria Scale.

Toussaint A, Murray AM, Voigt K, et al. Development and validation of the Somatic Symptom
Disorder-B Criteria Scale (SSD-12). *Psychosom Med* 2016;78(1):5-12.
doi:10.1097/PSY.0000000000000240

Twelve items scored 0 (never) to 4 (very often); higher = more burden. Three subscales of four
items in the alternating order cognitive, affective, behavioural (items 1, 4, 7, 10 / 2, 5, 8,
11 / 3, 6, 9, 12), each 0-16; the total (0-48) is the primary outcome.

Missing items: the paper gives no rule. Project decision (``params.yaml: score.ssd12``): a
subscale is prorated when at most one of its four items is missing (mean of the answered items
x 4, rounded to one decimal); the total is the sum of the three subscales and is missing when
any subscale is missing. Never a silent sum over missing items.
"""

from __future__ import annotations

from pipeline.instruments.base import Instrument, ItemScale, MissingRule, SumOfScores
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.instruments.params import ScoreParams

KEY = "ssd12"
CITATION = (
    "Toussaint A, Murray AM, Voigt K, et al. Psychosom Med 2016;78(1):5-12. "
    "doi:10.1097/PSY.0000000000000240"
)
SUBSCALES = {
    "ssd12_cognitive": ("cognitive", (1, 4, 7, 10)),
    "ssd12_affective": ("affective", (2, 5, 8, 11)),
    "ssd12_behavioural": ("behavioural", (3, 6, 9, 12)),
}


def build(params: ScoreParams) -> Instrument:
    """The SSD-12 definition under the ``score.ssd12`` options."""
    opts = params.ssd12
    rule = MissingRule("max_missing", opts.max_missing_per_subscale)
    subscales = tuple(
        ItemScale(
            name=name,
            label=f"SSD-12 {label} subscale",
            items=tuple(f"ssd12_{i:02d}" for i in numbers),
            low=0,
            high=16,
            direction="lower_is_better",
            outcome=True,
            aggregate="sum",
            rule=rule,
            decimals=opts.decimals,
        )
        for name, (label, numbers) in SUBSCALES.items()
    )
    total = SumOfScores(
        name="ssd12_total",
        label="SSD-12 total",
        items=tuple(f"ssd12_{i:02d}" for i in range(1, 13)),
        low=0,
        high=48,
        direction="lower_is_better",
        outcome=True,
        parts=tuple(SUBSCALES),
        decimals=opts.decimals,
    )
    return Instrument(
        key=KEY,
        title="SSD-12 (Somatic Symptom Disorder - B Criteria Scale)",
        citation=CITATION,
        items=INSTRUMENT_ITEMS[KEY],
        scores=(*subscales, total),
        primary=("ssd12_total",),
        burden={item.name: 1 for item in INSTRUMENT_ITEMS[KEY]},
        missing_rule=(
            f"subscale prorated when at most {opts.max_missing_per_subscale} of its 4 items "
            f"missing (mean of answered x 4, {opts.decimals} decimal); total = sum of the "
            "subscales, missing when any subscale is missing (project decision)"
        ),
        options={
            "max_missing_per_subscale": str(opts.max_missing_per_subscale),
            "decimals": str(opts.decimals),
        },
    )
