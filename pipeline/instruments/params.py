"""The ``score:`` block of ``params.yaml`` as typed, frozen parameters.

Every scoring option of ``docs/instruments.md`` is a setting here, so a report can name
the option it used (:func:`describe_options`). Load with
``pipeline.config.load_params("score", ScoreParams)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Cutoff = Literal["a", "b", "c"]


@dataclass(frozen=True)
class Ssd12Params:
    """SSD-12 missing-item rule (project decision; no published proration rule exists).

    A subscale is prorated when at most ``max_missing_per_subscale`` of its four items are
    missing (mean of the answered items x 4, rounded to ``decimals``); the total is the sum of
    the three subscales and is missing when any subscale is missing.
    """

    max_missing_per_subscale: int = 1
    decimals: int = 1


@dataclass(frozen=True)
class Eq5d5lParams:
    """EQ-5D-5L Dutch value set (Versteegh et al. 2016).

    ``published``: the 3-decimal coefficients of the paper; ``full_precision``: EuroQol's
    7-decimal coefficients that reproduce its value-set table exactly.
    """

    coefficients: Literal["published", "full_precision"] = "published"


@dataclass(frozen=True)
class Eq5d3lParams:
    """EQ-5D-3L Dutch value set: Lamers et al. 2006 (default) or Roudijk & Jonker 2026."""

    value_set: Literal["NL_2006_Lamers", "NL_2026_RoudijkJonker"] = "NL_2006_Lamers"


@dataclass(frozen=True)
class Rand36Params:
    """RAND-36 scoring method and missing-item rule.

    ``method``: ``rand`` (RAND 36-Item Health Survey 1.0 recoding) or ``sf36_ware`` (Ware's
    SF-36 recoding of general-health item 1 and the two pain items). ``missing_rule``:
    ``half_scale`` (a scale is scored when at least half its items are answered; default) or
    ``available_items`` (RAND: mean of whatever items are answered, at least one).
    """

    method: Literal["rand", "sf36_ware"] = "rand"
    missing_rule: Literal["half_scale", "available_items"] = "half_scale"


@dataclass(frozen=True)
class Phq15Params:
    """PHQ-15 missing-item rule (project decision; Kroenke et al. 2002 give none).

    The total is prorated (mean of the answered applicable items x the number of applicable
    items, rounded to ``decimals``) when at most ``max_missing`` applicable items are missing.
    Item 4 (menstrual problems) is not applicable to men and never counts as missing for them.
    """

    max_missing: int = 1
    decimals: int = 1


@dataclass(frozen=True)
class OutcomeNorms:
    """Reliable-change and cut-off inputs for one outcome score (Jacobson & Truax 1991).

    ``None`` means "estimate from the centre's own intake data" (SD and mean of the intake
    scores; Cronbach's alpha of the items). ``cutoff`` chooses criterion a, b or c.
    """

    sd_pre: float | None = None
    reliability: float | None = None
    m_clin: float | None = None
    sd_clin: float | None = None
    m_func: float | None = None
    sd_func: float | None = None
    cutoff: Cutoff = "a"
    source: str = "centre intake data"


def _default_outcomes() -> dict[str, OutcomeNorms]:
    """The defaults of ``params.yaml`` (a test checks the two agree)."""
    ssd = OutcomeNorms(
        sd_pre=11.2,
        reliability=0.93,
        m_clin=28.3,
        sd_clin=11.2,
        m_func=5.8,
        sd_func=7.0,
        cutoff="c",
        source=(
            "instruments.md: Dutch clinical reference (n = 48, alpha 0.93); "
            "general population Kop et al. 2019 (n = 448)"
        ),
    )
    centre = OutcomeNorms()
    index = OutcomeNorms(
        reliability=0.70,
        source=(
            "centre intake data; reliability 0.70 assumed (Nunnally 1978 minimum; "
            "alpha does not apply to a preference index)"
        ),
    )
    vas = OutcomeNorms(
        reliability=0.70,
        source="centre intake data; reliability 0.70 assumed (Nunnally 1978 minimum; single item)",
    )
    outcomes: dict[str, OutcomeNorms] = {
        "ssd12_total": ssd,
        "ssd12_cognitive": centre,
        "ssd12_affective": centre,
        "ssd12_behavioural": centre,
        "eq5d5l_index": index,
        "eq5d3l_index": index,
        "eq5d_vas": vas,
    }
    for scale in ("pf", "rp", "re", "vt", "mh", "sf", "bp", "gh"):
        outcomes[f"rand36_{scale}"] = centre
    outcomes["phq15_total"] = centre
    return outcomes


@dataclass(frozen=True)
class ScoreParams:
    """The ``score:`` block: scoring options, reliable change and clinical significance."""

    ssd12: Ssd12Params = field(default_factory=Ssd12Params)
    eq5d5l: Eq5d5lParams = field(default_factory=Eq5d5lParams)
    eq5d3l: Eq5d3lParams = field(default_factory=Eq5d3lParams)
    rand36: Rand36Params = field(default_factory=Rand36Params)
    phq15: Phq15Params = field(default_factory=Phq15Params)
    #: Multiplier of S_diff for a reliable change (Jacobson & Truax 1991: 1.96).
    rci_critical: float = 1.96
    #: Use the centre's own intake SD and Cronbach's alpha instead of the defaults below.
    use_centre_psychometrics: bool = False
    #: Fewest intake scores (and complete item sets for alpha) for a centre estimate to be used.
    centre_min_n: int = 30
    #: Outcome score -> its norms. (A ``dict`` hint so ``load_params`` builds the entries;
    #: loaded from ``params.yaml`` it is a read-only mapping.)
    outcomes: dict[str, OutcomeNorms] = field(default_factory=_default_outcomes)


def describe_options(params: ScoreParams) -> dict[str, Any]:
    """The scoring options in force, as plain data for reports and ``psychometrics.json``."""
    return {
        "ssd12": {
            "max_missing_per_subscale": params.ssd12.max_missing_per_subscale,
            "decimals": params.ssd12.decimals,
        },
        "eq5d5l": {"coefficients": params.eq5d5l.coefficients},
        "eq5d3l": {"value_set": params.eq5d3l.value_set},
        "rand36": {"method": params.rand36.method, "missing_rule": params.rand36.missing_rule},
        "phq15": {"max_missing": params.phq15.max_missing, "decimals": params.phq15.decimals},
    }
