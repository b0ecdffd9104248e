"""The instrument registry: key = module name = ``params.yaml: score`` key = table name.

Adding an instrument is one module with a ``build(params) -> Instrument`` function and one
entry here; the scorer, the stage and the property tests pick it up from :data:`REGISTRY`.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.instruments import cqi, eq5d3l, eq5d5l, phq15, rand36, ssd12
from pipeline.instruments.base import Instrument, ScoreDef
from pipeline.instruments.params import ScoreParams

REGISTRY: dict[str, Callable[[ScoreParams], Instrument]] = {
    "ssd12": ssd12.build,
    "eq5d5l": eq5d5l.build,
    "eq5d3l": eq5d3l.build,
    "rand36": rand36.build,
    "phq15": phq15.build,
    "cqi": cqi.build,
}

#: Every score column, in the order of ``docs/outputs.md``.
SCORE_COLUMNS: tuple[str, ...] = (
    "ssd12_total",
    "ssd12_cognitive",
    "ssd12_affective",
    "ssd12_behavioural",
    "eq5d5l_index",
    "eq5d3l_index",
    "eq5d_vas",
    "rand36_pf",
    "rand36_rp",
    "rand36_re",
    "rand36_vt",
    "rand36_mh",
    "rand36_sf",
    "rand36_bp",
    "rand36_gh",
    "rand36_hc",
    "phq15_total",
    "phq15_severity",
    "cqi_grade",
)

#: Outcome scores measured by more than one instrument: the instruments in order of preference.
SHARED_SCORES: dict[str, tuple[str, ...]] = {"eq5d_vas": ("eq5d5l", "eq5d3l")}


def build_instruments(params: ScoreParams | None = None) -> dict[str, Instrument]:
    """Every registered instrument under ``params`` (defaults when ``None``)."""
    params = params or ScoreParams()
    return {key: build(params) for key, build in REGISTRY.items()}


def score_definitions(instruments: dict[str, Instrument]) -> dict[str, ScoreDef]:
    """Score column -> its definition (the first instrument defining it)."""
    out: dict[str, ScoreDef] = {}
    for instrument in instruments.values():
        for score in instrument.scores:
            out.setdefault(score.name, score)
    return {name: out[name] for name in SCORE_COLUMNS if name in out}


def score_sources(instruments: dict[str, Instrument]) -> dict[str, tuple[str, ...]]:
    """Score column -> the instruments that yield it, in order of preference."""
    out: dict[str, list[str]] = {}
    for key, instrument in instruments.items():
        for name in instrument.score_names:
            out.setdefault(name, []).append(key)
    for name, preferred in SHARED_SCORES.items():
        if name in out:
            out[name] = [k for k in preferred if k in out[name]] + [
                k for k in out[name] if k not in preferred
            ]
    return {name: tuple(keys) for name, keys in out.items()}


def outcome_scores(instruments: dict[str, Instrument]) -> tuple[str, ...]:
    """The continuous outcome scores (intake, end, change, RCI, category per trajectory)."""
    return tuple(name for name, s in score_definitions(instruments).items() if s.outcome)


def describe_instruments(instruments: dict[str, Instrument]) -> dict[str, dict[str, object]]:
    """What reports must say about each instrument: title, citation, missing-item rule and the
    ``params.yaml`` options in force."""
    return {
        key: {
            "title": i.title,
            "citation": i.citation,
            "missing_rule": i.missing_rule,
            "options": dict(i.options),
            "primary": list(i.primary),
        }
        for key, i in instruments.items()
    }
