"""What every section of the research report shares: the model outputs, the inputs, number
formats, small-cell suppression and the :class:`Part` a section returns.

Numbers follow the house style of English-language journals: a point as decimal separator, a
comma between thousands from 1,000 on, a true minus sign (U+2212), intervals as "0.70 to 1.03"
and p-values with three decimals or "<0.001". A count of people below ``reporting.min_n`` is
never printed: it reads "n < 10" (:func:`count`).

Tables and figures are referred to before they are numbered: a section writes
``{table:<anchor>}`` or ``{figure:<anchor>}`` in its text and a citation as ``[@key]``;
:mod:`pipeline.reporting.research.numbering` numbers tables, figures and references in order of
appearance once the whole document is assembled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.reporting.annual import ReportParams
from pipeline.reporting.document import Block
from pipeline.reporting.labels import MINUS, label, level, term_label
from pipeline.reporting.suppression import suppression_label

#: The comorbidity flags of the trajectories table, in print order.
COMORBIDITIES: tuple[str, ...] = (
    "comorbid_asd",
    "comorbid_ptsd",
    "comorbid_personality",
    "comorbid_mild_id",
    "comorbid_opioid",
    "comorbid_childhood_trauma",
    "comorbid_depression",
    "comorbid_anxiety",
)
#: Every 0/1 baseline flag (CFS and the comorbidities).
FLAGS: tuple[str, ...] = ("cfs", *COMORBIDITIES)
SEXES: tuple[str, ...] = ("f", "m", "x")
DIAGNOSES: tuple[str, ...] = ("ssd", "fnd", "illness_anxiety", "other")
EN_DASH = "\u2013"


@dataclass(frozen=True)
class ModelOutput:
    """What one ``data/models/<name>/`` folder holds (``metrics`` empty when not yet fitted).

    ``tables`` holds every ``<table>.csv`` of the folder except ``coefficients.csv``
    (``predictions`` included: the calibration figures draw the distribution of the predicted
    risks from it; it is never printed).
    """

    name: str
    family: str
    model: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    coefficients: pd.DataFrame | None = None
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def fitted(self) -> bool:
        """Outputs exist."""
        return bool(self.metrics)

    @property
    def estimable(self) -> bool:
        """Fitted and estimable (``metrics.json`` ``estimable`` not false)."""
        return self.fitted and self.metrics.get("estimable") is not False

    @property
    def usable(self) -> bool:
        """Estimable and not flagged ``usable: false``."""
        return self.estimable and self.metrics.get("usable") is not False

    @property
    def reason(self) -> str:
        """Why the model has no results: not fitted, not estimable (its reason) or unusable."""
        if not self.fitted:
            return "no outputs in data/models/ for this entry yet"
        if not self.estimable:
            return f"not estimable: {self.metrics.get('reason', '')}"
        reasons = self.metrics.get("unusable_reasons") or []
        return "not usable: " + ("; ".join(str(r) for r in reasons) or "see its warnings")


@dataclass(frozen=True)
class Part:
    """A section's blocks and the TRIPOD+AI items they report (item -> anchor of the place)."""

    blocks: list[Block]
    items: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Inputs:
    """Everything the research report is built from (read by the report stage).

    Attributes
    ----------
    trajectories, scores
        ``trajectories.parquet`` and ``scores.parquet`` (every trajectory; the sections select
        the research-consent population themselves).
    models
        Every ``models:`` entry with its outputs, sorted by name.
    entries
        The ``models:`` block of ``params.yaml`` (settings as configured).
    report
        The ``report:`` block (centre, dates, ``primary_model``, ``research`` statements).
    min_n
        ``reporting.min_n``.
    score_options
        The scoring options in force (:func:`pipeline.instruments.params.describe_options`).
    norms
        Per outcome score the reliable-change norms the score stage used.
    windows
        The ``clean.windows`` block (days).
    rci_critical
        ``score.rci_critical``.
    code_fingerprint
        Digest of the code the report rests on (:mod:`pipeline.reporting.provenance`).
    record_file
        File name of the technical record beside the report.
    """

    trajectories: pd.DataFrame
    scores: pd.DataFrame
    models: Sequence[ModelOutput]
    entries: Mapping[str, Mapping[str, Any]]
    report: ReportParams = field(default_factory=ReportParams)
    min_n: int = 10
    score_options: Mapping[str, Any] = field(default_factory=dict)
    norms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    windows: Mapping[str, Any] = field(default_factory=dict)
    rci_critical: float = 1.96
    code_fingerprint: str = ""
    record_file: str = "research-record.html"

    def family(self, family: str) -> list[ModelOutput]:
        """The entries of one family, in name order."""
        return [m for m in self.models if m.family == family]

    def model(self, name: str) -> ModelOutput | None:
        """The entry called ``name``."""
        return next((m for m in self.models if m.name == name), None)

    def entry(self, name: str) -> Mapping[str, Any]:
        """The configured settings of entry ``name`` (empty when unknown)."""
        return self.entries.get(name) or {}


# ---------------------------------------------------------------------------------------------
# Populations


def consenting(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Trajectories with research consent (the population of every research output)."""
    if "research_consent" not in trajectories:
        return trajectories.iloc[0:0]
    return trajectories[trajectories["research_consent"].fillna(0).astype(int) == 1]


def ended(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Ended trajectories with research consent."""
    cons = consenting(trajectories)
    return cons[cons["status"] == "ended"] if "status" in cons else cons.iloc[0:0]


# ---------------------------------------------------------------------------------------------
# Number formats


def finite(value: Any) -> bool:
    """A real, finite number."""
    if value is None or value is pd.NA or isinstance(value, bool | str):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def num(value: Any, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, a true minus sign and thousands separated by a
    comma; an en dash when missing."""
    if not finite(value):
        return EN_DASH
    text = f"{abs(float(value)):,.{digits}f}"
    negative = float(value) < 0 and any(ch not in "0.," for ch in text)
    return (MINUS + text) if negative else text


def whole(value: Any) -> str:
    """A whole number (``1,304``)."""
    return num(value, 0)


def interval(low: Any, high: Any, digits: int = 2) -> str:
    """``"0.70 to 1.03"``; an en dash when a limit is missing."""
    if not (finite(low) and finite(high)):
        return EN_DASH
    return f"{num(low, digits)} to {num(high, digits)}"


def estimate_ci(estimate: Any, low: Any, high: Any, digits: int = 2) -> str:
    """``"0.85 (0.70 to 1.03)"``, or the estimate alone when it has no interval."""
    if not finite(estimate):
        return EN_DASH
    if not (finite(low) and finite(high)):
        return num(estimate, digits)
    return f"{num(estimate, digits)} ({interval(low, high, digits)})"


def pvalue(value: Any) -> str:
    """``"<0.001"`` or three decimals (``"0.046"``)."""
    if not finite(value):
        return EN_DASH
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def p_text(value: Any) -> str:
    """``"p = 0.046"`` or ``"p < 0.001"`` for running text."""
    shown = pvalue(value)
    return f"p < {shown[1:]}" if shown.startswith("<") else f"p = {shown}"


def percent(part: float, total: float, digits: int = 0) -> str:
    """``"45%"`` (an en dash without a total)."""
    if not total:
        return EN_DASH
    return f"{num(100.0 * part / total, digits)}%"


def count(n: Any, min_n: int) -> str:
    """A count of people, or "n < min_n" when below ``min_n`` (also 0: an empty cell is a
    small cell too)."""
    if not finite(n):
        return EN_DASH
    return suppression_label(min_n) if int(n) < min_n else whole(n)


def count_percent(n: int, total: int, min_n: int, digits: int = 0) -> str:
    """``"230 (45%)"``, or "n < min_n" for a small count (its share is not shown either)."""
    if n < min_n:
        return suppression_label(min_n)
    return f"{whole(n)} ({percent(n, total, digits)})"


def years_text(value: Any, digits: int = 1) -> str:
    """``"2.5 years"``."""
    return f"{num(value, digits)} years"


# ---------------------------------------------------------------------------------------------
# Names


def cap(text: str) -> str:
    """First letter upper case."""
    return text[:1].upper() + text[1:]


def lower(text: str) -> str:
    """First letter lower case unless the text starts with an abbreviation (``PTSD``)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def var(name: str) -> str:
    """The English label of a variable, with a capital."""
    return cap(label(name, "en"))


def var_lower(name: str) -> str:
    """The English label of a variable for running text (``autism spectrum disorder``)."""
    return lower(label(name, "en"))


def lvl(column: str, value: Any) -> str:
    """The English label of a level (``sex``, ``m`` -> ``male``)."""
    return level(column, str(value), "en")


def term(name: str, reference_levels: Mapping[str, str] | None = None) -> str:
    """The English label of a model term (:func:`pipeline.reporting.labels.term_label`)."""
    return term_label(name, "en", reference_levels)


def join_en(items: Sequence[str], word: str = "and") -> str:
    """``"a, b and c"``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def plural(n: int, one: str, many: str | None = None) -> str:
    """``"1 trajectory"``, ``"3 trajectories"``."""
    return f"{whole(n)} {one if n == 1 else (many or one + 's')}"


def anchor_of(*parts: str) -> str:
    """An HTML id from parts (``improvement_logistic``, ``calibration`` ->
    ``improvement-logistic-calibration``)."""
    return "-".join(p.replace("_", "-").replace(".", "-") for p in parts if p)


def smd(a: pd.Series, b: pd.Series) -> float:
    """Standardised mean difference (a - b) / sqrt((var a + var b) / 2) of two samples
    (Austin 2009); for a 0/1 variable the same formula on the proportions. NaN when a group
    has fewer than two values or both variances are 0."""
    x = pd.to_numeric(a, errors="coerce").dropna().astype(float)
    y = pd.to_numeric(b, errors="coerce").dropna().astype(float)
    if len(x) < 2 or len(y) < 2:
        return math.nan
    pooled = math.sqrt((float(x.var()) + float(y.var())) / 2.0)
    return float((x.mean() - y.mean()) / pooled) if pooled > 0 else math.nan


def first_sentence(text: Any) -> str:
    """``text`` as a sentence: first letter upper case, one full stop."""
    text = str(text).strip().rstrip(".")
    return cap(text) + "." if text else ""


def as_float(value: Any) -> float:
    """``value`` as a float (NaN when it is not a number)."""
    return float(value) if finite(value) else math.nan


def column_numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats (NaN for missing), or all NaN when absent."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()


def check_settings(
    report: ReportParams, entries: Mapping[str, Mapping[str, Any]], families: Mapping[str, str]
) -> None:
    """Check ``report.primary_model`` and ``report.research.figure_factors`` against the
    ``models:`` entries (``families``: entry -> family); a one-line
    :class:`~pipeline.errors.ParamsError` when they do not fit."""
    from pipeline.errors import ParamsError

    prediction = sorted(name for name, family in families.items() if family == "prediction")
    name = report.primary_model
    if name is not None:
        if name not in entries:
            raise ParamsError(
                f"params.yaml 'report.primary_model' names '{name}', which is not an entry of "
                f"models: (prediction entries: {', '.join(prediction) or 'none'})"
            )
        if families.get(name) != "prediction":
            raise ParamsError(
                f"params.yaml 'report.primary_model' names '{name}', a {families.get(name)} "
                f"model; the primary model is a prediction entry ({', '.join(prediction) or 'none'})"
            )
    factors: set[str] = set()
    for entry in entries.values():
        for key in ("groups", "covariates"):
            factors.update(str(f) for f in entry.get(key) or [])
    unknown = [f for f in report.research.figure_factors if f not in factors]
    if unknown:
        raise ParamsError(
            "params.yaml 'report.research.figure_factors' names "
            f"{', '.join(repr(f) for f in unknown)}, not a grouping factor of a survival entry "
            f"(known: {', '.join(sorted(factors)) or 'none'})"
        )
