"""Names of what each model entry analyses: its outcome, in words and as a grouping key, and the
direction in which an estimate means more treatment success.

Two prediction entries may share a target column (``ssd12_total_category``) and differ in the
categories counted as the event (reliable improvement: ``recovered`` and ``improved``;
recovery: ``recovered``): they get distinct names and headings from those categories.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.reporting.annual import DIRECTIONS
from pipeline.reporting.labels import LABELS, label, level
from pipeline.reporting.research.common import ModelOutput, anchor_of, cap

CATEGORY_SUFFIX = "_category"
CHANGE_SUFFIX = "_change"
#: Event category sets with a name of their own.
NAMED_EVENTS: dict[frozenset[str], tuple[str, str]] = {
    frozenset({"recovered", "improved"}): ("improvement", "reliable improvement"),
    frozenset({"recovered"}): ("recovery", "recovery"),
}


@dataclass(frozen=True)
class Outcome:
    """What an entry analyses.

    Attributes
    ----------
    key
        Groups entries with the same outcome (``ssd12_total:improvement``).
    name
        In running text ("reliable improvement on the SSD-12").
    short
        In a table header ("Reliable improvement").
    anchor
        HTML id of the outcome's heading.
    score
        The outcome score column (``ssd12_total``), when there is one.
    success
        +1 when a larger estimate (odds/hazard ratio above 1, a positive coefficient) means more
        treatment success, -1 when less, 0 when the estimate has no direction (importance).
    """

    key: str
    name: str
    short: str
    anchor: str
    score: str | None
    success: int


def short_score(score: str) -> str:
    """``SSD-12``, ``EQ-5D-5L index``, ``RAND-36 physical functioning``."""
    return label(score, "en").replace(" total score", "")


def _positive(m: ModelOutput, entry: Mapping[str, Any]) -> frozenset[str]:
    positive = entry.get("positive")
    if positive:
        return frozenset(str(p) for p in positive)
    event = str(m.metrics.get("event", ""))
    if "(" in event:
        return frozenset(p.strip() for p in event.split("(", 1)[1].rstrip(")").split(","))
    return frozenset()


def _higher_is_better(score: str | None) -> bool:
    return DIRECTIONS.get(score or "", "higher_is_better") == "higher_is_better"


def prediction_outcome(m: ModelOutput, entry: Mapping[str, Any]) -> Outcome:
    """The outcome of a prediction entry."""
    target = str(entry.get("target") or m.metrics.get("target") or "")
    if target.endswith(CATEGORY_SUFFIX):
        score = target.removesuffix(CATEGORY_SUFFIX)
        positive = _positive(m, entry)
        slug, words = NAMED_EVENTS.get(
            positive,
            (
                "-".join(sorted(positive)) or "event",
                " or ".join(level("category", p, "en") for p in sorted(positive)) or "the event",
            ),
        )
        return Outcome(
            key=f"{score}:{slug}",
            name=f"{words} on the {short_score(score)}",
            short=cap(words),
            anchor=anchor_of("prediction", score, slug),
            score=score,
            success=1,
        )
    if target.endswith(CHANGE_SUFFIX):
        score = target.removesuffix(CHANGE_SUFFIX)
        return Outcome(
            key=f"{score}:change",
            name=f"change in the {label(score, 'en')}",
            short=f"{short_score(score)} change",
            anchor=anchor_of("prediction", score, "change"),
            score=score,
            success=1 if _higher_is_better(score) else -1,
        )
    name = label(target, "en") if target in LABELS else "the target"
    return Outcome(
        key=target,
        name=name,
        short=cap(name),
        anchor=anchor_of("prediction", target),
        score=None,
        success=1,
    )


def survival_outcome(m: ModelOutput, cause: str | None = None) -> Outcome:
    """The outcome of a survival entry (or of one cause of a cause-specific model)."""
    outcome = str(m.metrics.get("outcome") or "")
    event = cause or outcome
    words = label(f"cause={event}", "en") if f"cause={event}" in LABELS else event
    good = event in ("improvement",)
    bad = event in ("dropout", "reentry")
    return Outcome(
        key=f"survival:{event}",
        name=f"time to {words}",
        short=f"Time to {words}",
        anchor=anchor_of("survival", event),
        score="ssd12_total" if outcome == "improvement" else None,
        success=1 if good else (-1 if bad else 0),
    )


def mixed_outcome(m: ModelOutput) -> Outcome:
    """The outcome of a mixed model: its score over time."""
    score = str(m.metrics.get("outcome") or "")
    return Outcome(
        key=f"mixed:{score}",
        name=f"the course of the {label(score, 'en') if score in LABELS else score}",
        short=short_score(score) if score in LABELS else score,
        anchor=anchor_of("mixed", score),
        score=score,
        # The comorbidity x time interaction: a larger slope is better for a higher-is-better
        # score.
        success=1 if _higher_is_better(score) else -1,
    )


def model_name(m: ModelOutput) -> str:
    """``Penalised (L2) logistic regression``."""
    key = f"model={m.model}"
    return label(key, "en") if key in LABELS else m.model.replace("_", " ")
