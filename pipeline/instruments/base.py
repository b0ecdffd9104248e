"""Declarative questionnaire definitions and the one generic scorer.

An instrument is data: its items (from :mod:`pipeline.instruments.catalogue`), its scores, the
direction of improvement of each score, its missing-item rule and its citation. Scores are
built from four small kinds:

- :class:`ItemScale`: items, optionally recoded, summed or averaged under a
  :class:`MissingRule` (with proration of sums), items that do not apply to one sex;
- :class:`SumOfScores`: the sum of other scores, missing when any part is missing;
- :class:`Banded`: a categorical band of another score;
- :class:`Algorithmic`: the hook for scoring that is not a sum or a mean (EQ-5D value sets).

:func:`score_items` scores one instrument on a block of rows with numpy only (no per-row
Python). Invalid answers (outside the item's range, not a whole number, not a number) never
reach a score: every score that uses an invalid cell is left empty and the cell is reported.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from pipeline.instruments.catalogue import ItemSpec

Direction = Literal["higher_is_better", "lower_is_better"]

#: Accepted sex spellings (``docs/input-format.md``) -> canonical code; "" is "unknown".
_SEX_ALIASES = {
    "m": "m",
    "man": "m",
    "male": "m",
    "f": "f",
    "v": "f",
    "vrouw": "f",
    "female": "f",
    "x": "x",
    "anders": "x",
    "other": "x",
}

#: Reason codes of :func:`check_items` (0 = valid or missing).
VALID, OUT_OF_RANGE, NOT_WHOLE, NOT_A_NUMBER = 0, 1, 2, 3
INVALID_REASONS = {
    OUT_OF_RANGE: "out of range",
    NOT_WHOLE: "not a whole number",
    NOT_A_NUMBER: "not a number",
}


def normalise_sex(values: object) -> np.ndarray:
    """Map sex answers (``m``/``f``/``x``, ``man``/``vrouw``/``anders``, ``M``/``V``/``X``)
    to canonical codes; anything else (missing, unrecognised) becomes ``""`` (unknown)."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object).ravel()))
    mapped = [
        _SEX_ALIASES.get(u.strip().lower(), "") if isinstance(u, str) else "" for u in uniques
    ]
    lookup = np.array([*mapped, ""], dtype=object)
    return lookup[codes]  # factorize codes missing values as -1: the trailing ""


def sex_recognised(value: object) -> bool:
    """Whether a non-empty sex answer is one of the accepted spellings."""
    return isinstance(value, str) and value.strip().lower() in _SEX_ALIASES


def direction_sign(direction: Direction) -> int:
    """+1 when a higher score is better, -1 when a lower score is better."""
    return 1 if direction == "higher_is_better" else -1


def round_half_away(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round half away from zero (the hand-calculation and SPSS convention).

    A tolerance of 1e-9 in scaled units absorbs binary representation error (0.918 stored as
    0.91799999...), so a value that is a tie on paper rounds as on paper.
    """
    factor = 10.0**decimals
    scaled = np.abs(values) * factor
    return np.sign(values) * np.floor(scaled + 0.5 + 1e-9) / factor


class Recoder(Protocol):
    """Maps raw answers ``(n, k)`` (NaN = missing) to scoring values ``(n, k)`` (NaN kept)."""

    def __call__(self, values: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class LookupRecode:
    """Recode item ``j``'s answer ``a`` to ``table[j, a]`` (a lookup array, no Python loop)."""

    table: np.ndarray

    def __call__(self, values: np.ndarray) -> np.ndarray:
        missing = np.isnan(values)
        idx = np.where(missing, 0, values).astype(np.intp)
        out = self.table[np.arange(values.shape[1]), idx]
        out[missing] = np.nan
        return out


@dataclass(frozen=True)
class MissingRule:
    """How many answered items a score needs.

    ``complete``: every applicable item; ``max_missing``: at most ``value`` applicable items
    missing; ``min_fraction``: at least ``value`` of the applicable items answered (rounded
    up); always at least one answered item.
    """

    kind: Literal["complete", "max_missing", "min_fraction"]
    value: float = 0.0

    def min_answered(self, n_applicable: np.ndarray) -> np.ndarray:
        """Fewest answered items that give a score, per row."""
        n = np.asarray(n_applicable, dtype=np.int64)
        if self.kind == "complete":
            need = n
        elif self.kind == "max_missing":
            need = n - int(self.value)
        else:
            need = np.ceil(self.value * n - 1e-9).astype(np.int64)
        return np.maximum(need, 1)

    def describe(self) -> str:
        """The rule in words, for reports."""
        if self.kind == "complete":
            return "all items answered"
        if self.kind == "max_missing":
            return f"at most {int(self.value)} item(s) missing (prorated)"
        if self.value <= 0:
            return "at least one item answered"
        return f"at least {self.value:g} of the items answered"


@dataclass(frozen=True)
class ScoringContext:
    """One instrument's answers for ``n`` rows: ``values`` ``(n, k)`` in catalogue order, with
    invalid cells already set to NaN, and each row's canonical ``sex`` (``""`` = unknown)."""

    columns: tuple[str, ...]
    values: np.ndarray
    sex: np.ndarray

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    def take(self, items: tuple[str, ...]) -> np.ndarray:
        """The ``(n, len(items))`` answers of ``items``."""
        index = [self.columns.index(item) for item in items]
        return self.values[:, index]


@dataclass(frozen=True, eq=False, kw_only=True)
class ScoreDef(ABC):
    """One score column: what it is, its range and its direction of improvement.

    Abstract: a concrete score says how it is computed (:class:`ItemScale`, or an algorithmic
    hook such as the EQ-5D value sets)."""

    name: str
    label: str
    items: tuple[str, ...]
    low: float
    high: float
    direction: Direction
    #: Whether the score is an outcome: intake, end, change, RCI and category per trajectory.
    outcome: bool = False
    #: Ordered category labels, best first, for a categorical score (empty: continuous).
    categories: tuple[str, ...] = ()

    @abstractmethod
    def compute(self, ctx: ScoringContext, done: Mapping[str, np.ndarray]) -> np.ndarray:
        """The score per row (NaN or None where it cannot be scored)."""

    def alpha_matrix(self, ctx: ScoringContext, instrument: Instrument) -> np.ndarray | None:
        """Item scores for Cronbach's alpha, or ``None`` when alpha does not apply."""
        return None


@dataclass(frozen=True, eq=False, kw_only=True)
class ItemScale(ScoreDef):
    """Sum or mean of (recoded) items under a missing-item rule.

    A sum with missing items is prorated: mean of the answered applicable items x the number of
    applicable items. Items listed in ``not_applicable`` for a sex are ignored for that sex
    (neither answered nor missing). ``decimals`` rounds half away from zero.
    """

    aggregate: Literal["sum", "mean"]
    rule: MissingRule
    recode: Recoder | None = None
    decimals: int | None = None
    not_applicable: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def applicable(self, ctx: ScoringContext) -> np.ndarray:
        """``(n, k)`` mask of the items that apply to each row."""
        mask = np.ones((ctx.n, len(self.items)), dtype=bool)
        for j, item in enumerate(self.items):
            sexes = self.not_applicable.get(item)
            if sexes:
                mask[:, j] = ~np.isin(ctx.sex, sorted(sexes))
        return mask

    def item_values(self, ctx: ScoringContext) -> np.ndarray:
        """Recoded answers; NaN where missing or not applicable."""
        raw = ctx.take(self.items)
        values = self.recode(raw) if self.recode is not None else raw.astype(np.float64)
        if self.not_applicable:
            values = np.where(self.applicable(ctx), values, np.nan)
        return values

    def compute(self, ctx: ScoringContext, done: Mapping[str, np.ndarray]) -> np.ndarray:
        values = self.item_values(ctx)
        answered = ~np.isnan(values)
        n_answered = answered.sum(axis=1)
        if self.not_applicable:
            n_applicable = self.applicable(ctx).sum(axis=1)
        else:
            n_applicable = np.full(ctx.n, len(self.items))
        total = np.where(answered, values, 0.0).sum(axis=1)
        safe = np.maximum(n_answered, 1)
        if self.aggregate == "sum":
            score = np.where(n_answered == n_applicable, total, total / safe * n_applicable)
        else:
            score = total / safe
        if self.decimals is not None:
            score = round_half_away(score, self.decimals)
        ok = (n_answered >= self.rule.min_answered(n_applicable)) & (n_answered > 0)
        return np.where(ok, score, np.nan)

    def alpha_matrix(self, ctx: ScoringContext, instrument: Instrument) -> np.ndarray | None:
        keep = [j for j, item in enumerate(self.items) if item not in self.not_applicable]
        if len(keep) < 2:
            return None
        raw = ctx.take(self.items)
        values = self.recode(raw) if self.recode is not None else raw.astype(np.float64)
        return values[:, keep]


@dataclass(frozen=True, eq=False, kw_only=True)
class SumOfScores(ScoreDef):
    """Sum of other scores of the same instrument; missing when any part is missing."""

    parts: tuple[str, ...]
    decimals: int | None = None

    def compute(self, ctx: ScoringContext, done: Mapping[str, np.ndarray]) -> np.ndarray:
        total = np.sum([done[p] for p in self.parts], axis=0)
        return round_half_away(total, self.decimals) if self.decimals is not None else total

    def alpha_matrix(self, ctx: ScoringContext, instrument: Instrument) -> np.ndarray | None:
        blocks = [instrument.score(p).alpha_matrix(ctx, instrument) for p in self.parts]
        if any(b is None for b in blocks):
            return None
        return np.hstack([b for b in blocks if b is not None])


@dataclass(frozen=True, eq=False, kw_only=True)
class Banded(ScoreDef):
    """Category of another score: band ``i`` when ``thresholds[i-1] <= score < thresholds[i]``.

    ``categories`` are listed from the lowest band up.
    """

    source: str
    thresholds: tuple[float, ...]

    def compute(self, ctx: ScoringContext, done: Mapping[str, np.ndarray]) -> np.ndarray:
        score = done[self.source]
        code = np.searchsorted(np.asarray(self.thresholds), score, side="right")
        code = np.where(np.isnan(score), len(self.categories), code)
        labels = np.array([*self.categories, None], dtype=object)
        return labels[code]

    def rank(self, labels: np.ndarray) -> np.ndarray:
        """Band number (0 = lowest band) per label; NaN for missing."""
        lookup = {c: i for i, c in enumerate(self.categories)}
        return np.array([lookup.get(v, np.nan) if v is not None else np.nan for v in labels])


@dataclass(frozen=True, eq=False, kw_only=True)
class Algorithmic(ScoreDef):
    """Hook for algorithmic scoring: ``func`` maps complete whole-number answers ``(m, k)`` to
    scores ``(m,)``. Any missing item leaves the score missing."""

    func: Callable[[np.ndarray], np.ndarray]

    def compute(self, ctx: ScoringContext, done: Mapping[str, np.ndarray]) -> np.ndarray:
        raw = ctx.take(self.items)
        complete = ~np.isnan(raw).any(axis=1)
        out = np.full(ctx.n, np.nan)
        if complete.any():
            out[complete] = self.func(raw[complete].astype(np.intp))
        return out


@dataclass(frozen=True, eq=False, kw_only=True)
class Instrument:
    """One questionnaire: items, scores (in computation order) and what reports must say."""

    key: str
    title: str
    citation: str
    items: tuple[ItemSpec, ...]
    scores: tuple[ScoreDef, ...]
    #: Scores that must be valid at intake and end for a "completer" (response status).
    primary: tuple[str, ...]
    #: +1 when a higher answer means more burden (worse health), -1 when less.
    burden: Mapping[str, int]
    #: The missing-item rule in words, and the options in force, for reports.
    missing_rule: str
    options: Mapping[str, str] = field(default_factory=dict)
    #: Administered at the end of treatment only (no intake): response means an end
    #: measurement, not a completer.
    end_only: bool = False

    @property
    def item_names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.items)

    @property
    def score_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.scores)

    def score(self, name: str) -> ScoreDef:
        """The definition of score ``name``."""
        for s in self.scores:
            if s.name == name:
                return s
        raise KeyError(name)


@dataclass(frozen=True)
class ScoredBlock:
    """Scores of one instrument on ``n`` rows, and the reason code of every invalid cell."""

    scores: dict[str, np.ndarray]
    invalid: np.ndarray


def check_items(instrument: Instrument, values: np.ndarray) -> np.ndarray:
    """Reason code per cell: :data:`OUT_OF_RANGE`, :data:`NOT_WHOLE` or :data:`VALID`.

    ``values`` is ``(n, k)`` in the instrument's item order; NaN (not answered) is valid.
    """
    low = np.array([i.low for i in instrument.items], dtype=np.float64)
    high = np.array([i.high for i in instrument.items], dtype=np.float64)
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        out_of_range = present & ((values < low) | (values > high) | ~np.isfinite(values))
        not_whole = present & ~out_of_range & (values != np.floor(values))
    codes = np.zeros(values.shape, dtype=np.int8)
    codes[out_of_range] = OUT_OF_RANGE
    codes[not_whole] = NOT_WHOLE
    return codes


def score_items(
    instrument: Instrument,
    values: np.ndarray,
    sex: np.ndarray | None = None,
    unparseable: np.ndarray | None = None,
) -> ScoredBlock:
    """Score ``instrument`` on ``(n, k)`` answers in its item order.

    Parameters
    ----------
    instrument
        The definition (see :mod:`pipeline.instruments.registry`).
    values
        Answers as floats; NaN = not answered.
    sex
        Canonical sex code per row (``m``/``f``/``x``/``""``); ``None`` = all unknown.
    unparseable
        Optional ``(n, k)`` mask of cells whose text was not a number (they are NaN in
        ``values`` but are invalid answers, not missing ones).

    Returns
    -------
    ScoredBlock
        Every score of the instrument (float arrays; object arrays for categories) and the
        reason code of every invalid cell. A score using an invalid cell is left empty.
    """
    values = np.asarray(values, dtype=np.float64)
    codes = check_items(instrument, values)
    if unparseable is not None:
        codes[np.asarray(unparseable, dtype=bool)] = NOT_A_NUMBER
    bad = codes != VALID
    clean = np.where(bad, np.nan, values)
    n = values.shape[0]
    sex_arr = np.full(n, "", dtype=object) if sex is None else np.asarray(sex, dtype=object)
    ctx = ScoringContext(columns=instrument.item_names, values=clean, sex=sex_arr)
    done: dict[str, np.ndarray] = {}
    for score in instrument.scores:
        done[score.name] = score.compute(ctx, done)
    if bad.any():
        columns = instrument.item_names
        for score in instrument.scores:
            rows = bad[:, [columns.index(i) for i in score.items]].any(axis=1)
            if rows.any():
                result = done[score.name]
                if result.dtype == object:
                    result[rows] = None
                else:
                    result[rows] = np.nan
    return ScoredBlock(scores=done, invalid=codes)
