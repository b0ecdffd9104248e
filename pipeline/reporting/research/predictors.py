"""Results: the predictor tables, the answer to the research question *which baseline factors
predict treatment success*.

One row per baseline factor (a categorical factor: a row for the factor, then one per level
against its reference level), one column per analysis that estimates an association of the
factor with an outcome:

- prediction models of a binary outcome with coefficients: the odds ratio exp(b) of the final
  model (penalised models: no interval);
- prediction models of a change score: the coefficient (ANCOVA: difference in the end score at
  equal intake, i.e. in the change; with its interval);
- tree ensembles: the permutation importance of the factor (drop in AUC or R² when it is
  permuted) with its interval;
- Cox and cause-specific Cox models: the hazard ratio of the outcome's own cause;
- mixed models: the comorbidity x time interaction (difference in the yearly rate of change).

Every number is read from the entry's ``coefficients.csv`` (``exp`` of the estimate for the
odds ratios; the hazard-ratio columns for Cox models) and printed, nothing else; the tests
compare the printed cells with the files. The tables are grouped by theme (treatment success,
change scores, course over time, ending of treatment), at most :data:`MAX_COLUMNS` analyses
per table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipeline.reporting.document import Block, BulletList, Heading, Paragraph, Table
from pipeline.reporting.research.common import (
    COMORBIDITIES,
    DIAGNOSES,
    EN_DASH,
    SEXES,
    Inputs,
    ModelOutput,
    Part,
    cap,
    estimate_ci,
    finite,
    interval,
    join_en,
    lower,
    lvl,
    num,
    term,
    var,
)
from pipeline.reporting.research.outcomes import (
    Outcome,
    mixed_outcome,
    model_name,
    prediction_outcome,
    survival_outcome,
)

Kind = Literal["or", "hr", "coef", "importance", "interaction"]
Theme = Literal["success", "change", "trajectory", "ending"]
#: Most analyses (columns) in one table.
MAX_COLUMNS = 5
THEMES: dict[str, str] = {
    "success": "Reliable improvement and recovery",
    "change": "Change scores from intake to the end of treatment",
    "trajectory": "Rate of change during treatment (mixed models)",
    "ending": "Drop-out and re-entry",
}
#: Levels of the categorical baseline factors, reference first.
CATEGORICAL: dict[str, tuple[str, ...]] = {"sex": SEXES, "diagnosis": DIAGNOSES}
#: Baseline factors in print order (others follow in their order of appearance).
ORDER: tuple[str, ...] = (
    "age_at_start",
    "sex",
    "diagnosis",
    "cfs",
    *COMORBIDITIES,
    "symptom_duration_years",
    "prior_treatments",
)
MEASURES: dict[str, str] = {
    "or": "OR",
    "hr": "HR",
    "coef": "difference",
    "importance": "importance",
    "interaction": "difference in slope",
}


@dataclass(frozen=True)
class Column:
    """One analysis of the predictor tables."""

    model: ModelOutput
    outcome: Outcome
    kind: Kind
    theme: Theme
    cause: str | None = None

    @property
    def key(self) -> str:
        return f"{self.model.name}:{self.cause or ''}"

    @property
    def header(self) -> str:
        measure = MEASURES[self.kind]
        if self.kind == "importance":
            measure = "importance (AUC)" if self.theme == "success" else "importance (R\u00b2)"
        if self.kind in ("coef", "interaction"):
            measure = f"{measure} ({self._unit()})"
        method = {
            "logistic_l2": "penalised logistic",
            "logistic": "logistic",
            "ridge_regression": "ridge",
            "ancova": "ANCOVA",
            "cox_ph": "Cox",
            "cause_specific_cox": "cause-specific Cox",
            "hgb_classifier": "gradient boosting",
            "hgb_regressor": "gradient boosting",
            "random_forest_classifier": "random forest",
            "random_forest_regressor": "random forest",
            "mixed_lm": "mixed model",
        }.get(self.model.model, lower(model_name(self.model)))
        return f"{self.outcome.short}: {measure}, {method}"

    def _unit(self) -> str:
        score = self.outcome.score or ""
        unit = "index units" if score.endswith("_index") else "points"
        return f"{unit} per year" if self.kind == "interaction" else unit

    def digits(self, row_term: str) -> int:
        if self.kind == "importance":
            return 3
        if self.kind in ("or", "hr"):
            return 3 if _continuous(row_term) else 2
        return 3 if (self.outcome.score or "").endswith("_index") else 2


def _continuous(row_term: str) -> bool:
    return "[T." not in row_term and row_term not in ("cfs", *COMORBIDITIES)


def columns(inp: Inputs) -> tuple[list[Column], list[tuple[ModelOutput, str]]]:
    """The analyses of the predictor tables, and the entries left out with the reason."""
    out: list[Column] = []
    left_out: list[tuple[ModelOutput, str]] = []
    for m in inp.models:
        if m.model in ("kaplan_meier", "cumulative_incidence"):
            continue
        if not m.usable or m.coefficients is None or m.coefficients.empty:
            left_out.append((m, m.reason if not m.usable else "no coefficients"))
            continue
        terms = m.coefficients["term"].astype(str)
        if m.family == "prediction":
            outcome = prediction_outcome(m, inp.entry(m.name))
            binary = m.metrics.get("outcome_type") == "binary"
            theme: Theme = "success" if binary else "change"
            if terms.str.startswith("importance[").all():
                out.append(Column(m, outcome, "importance", theme))
            else:
                out.append(Column(m, outcome, "or" if binary else "coef", theme))
        elif m.family == "survival" and "hazard_ratio" in m.coefficients:
            own = str(m.metrics.get("outcome") or "")
            cause = own if m.model == "cause_specific_cox" else None
            if cause is not None and not terms.str.startswith(f"{cause}:").any():
                left_out.append((m, f"no estimates for the cause {lvl('cause', cause)}"))
                continue
            outcome = survival_outcome(m, cause)
            out.append(
                Column(m, outcome, "hr", "success" if own == "improvement" else "ending", cause)
            )
        elif m.family == "mixed":
            if terms.str.startswith("years:").any():
                out.append(Column(m, mixed_outcome(m), "interaction", "trajectory"))
    out = [c for c in out if not _duplicate(c, out)]
    order = {"success": 0, "change": 1, "trajectory": 2, "ending": 3}
    kinds = {"or": 0, "hr": 1, "coef": 2, "interaction": 3, "importance": 4}
    out.sort(
        key=lambda c: (
            order[c.theme],
            c.outcome.score != "ssd12_total",
            c.outcome.key,
            kinds[c.kind],
            c.model.name,
        )
    )
    return out, left_out


def _duplicate(column: Column, others: Sequence[Column]) -> bool:
    """A plain Cox model whose hazard ratios are those of a cause-specific model of the same
    cause (the same model: the other causes censored), shown once."""
    if column.model.model != "cox_ph" or column.model.coefficients is None:
        return False
    own = column.model.coefficients.set_index("term")["hazard_ratio"].astype(float)
    for other in others:
        if other.model.model != "cause_specific_cox" or other.cause != column.model.metrics.get(
            "outcome"
        ):
            continue
        coef = other.model.coefficients
        assert coef is not None
        mine = coef[coef["term"].astype(str).str.startswith(f"{other.cause}:")]
        theirs = pd.Series(
            mine["hazard_ratio"].to_numpy(dtype=float),
            index=mine["term"].astype(str).str.split(":", n=1).str[1],
        )
        if set(theirs.index) == set(own.index) and bool(
            np.allclose(theirs.loc[own.index].to_numpy(), own.to_numpy(), rtol=1e-6)
        ):
            return True
    return False


def _term_of(column: Column, row: str) -> str:
    """The ``coefficients.csv`` term of row ``row`` in ``column``."""
    if column.kind == "importance":
        return f"importance[{row}]"
    if column.kind == "interaction":
        return f"years:{row}"
    if column.cause:
        return f"{column.cause}:{row}"
    return row


def _exp(log_value: Any) -> float:
    """exp of a log odds ratio; infinite (printed as not finite) beyond the float range
    instead of an OverflowError."""
    x = float(log_value)
    return math.inf if x > 709.0 else math.exp(x)


def value(column: Column, row: str) -> tuple[float, float, float] | None:
    """(estimate, low, high) of ``row`` in ``column`` as printed (odds and hazard ratios on the
    ratio scale); ``None`` when the model has no such term."""
    coef = column.model.coefficients
    assert coef is not None
    hit = coef[coef["term"].astype(str) == _term_of(column, row)]
    if hit.empty:
        return None
    r = hit.iloc[0]
    if column.kind == "hr":
        return float(r["hazard_ratio"]), float(r["hr_ci_low"]), float(r["hr_ci_high"])
    if column.kind == "or":
        return (
            _exp(r["estimate"]),
            _exp(r["ci_low"]) if finite(r["ci_low"]) else math.nan,
            _exp(r["ci_high"]) if finite(r["ci_high"]) else math.nan,
        )
    return float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])


@dataclass(frozen=True)
class Row:
    """A row of the predictor tables: its term (``sex[T.m]``, ``comorbid_asd``) or factor
    (``sex``: the heading row of a categorical factor) and its label."""

    key: str
    label: str
    factor: str
    heading: bool = False

    @property
    def name(self) -> str:
        """The label for running text: without the unit, a level with its factor."""
        text = self.label.strip()
        if "[T." in self.key:
            return f"{var(self.factor).lower()} {text}"
        return text.split(" (per ")[0]


def rows(cols: Sequence[Column]) -> list[Row]:
    """Every baseline factor (and level) any analysis estimates, in print order."""
    seen: list[str] = []
    for c in cols:
        assert c.model.coefficients is not None
        for t in c.model.coefficients["term"].astype(str):
            name = t
            if c.kind == "importance":
                name = t[len("importance[") : -1]
            elif c.kind == "interaction":
                if not t.startswith("years:"):
                    continue
                name = t.split(":", 1)[1]
            elif c.cause:
                if not t.startswith(f"{c.cause}:"):
                    continue
                name = t.split(":", 1)[1]
            if name in ("Intercept", "years") or name.startswith(("var(", "cov(")):
                continue
            if name not in seen:
                seen.append(name)
    factors: list[str] = []
    for name in seen:
        factor = name.split("[T.", 1)[0]
        if factor not in factors:
            factors.append(factor)
    factors.sort(key=lambda f: (ORDER.index(f) if f in ORDER else len(ORDER), 0))
    out: list[Row] = []
    for factor in factors:
        levels = [n for n in seen if n.startswith(f"{factor}[T.")]
        if factor in CATEGORICAL or levels:
            known = CATEGORICAL.get(factor, ())
            present = {n.split("[T.", 1)[1].rstrip("]") for n in levels}
            reference = next((lev for lev in known if lev not in present), None)
            head = var(factor) + (f" (reference: {lvl(factor, reference)})" if reference else "")
            out.append(Row(factor, head, factor, heading=True))
            order = {lev: i for i, lev in enumerate(known)}
            for name in sorted(levels, key=lambda n: order.get(n.split("[T.", 1)[1][:-1], 99)):
                out.append(Row(name, "   " + lvl(factor, name.split("[T.", 1)[1][:-1]), factor))
        else:
            out.append(Row(factor, term(factor), factor))
    return out


def cell(column: Column, row: Row) -> str:
    """The printed cell: "estimate (low to high)", an empty cell for a factor's heading row in
    a per-level analysis, or an en dash when the analysis has no such term."""
    if row.heading and column.kind != "importance":
        return ""
    if not row.heading and "[T." in row.key and column.kind == "importance":
        return ""
    found = value(column, row.key)
    if found is None:
        return EN_DASH
    return estimate_ci(*found, digits=column.digits(row.key))


def _null(kind: Kind) -> float:
    return 1.0 if kind in ("or", "hr") else 0.0


def clear_associations(cols: Sequence[Column], table_rows: Sequence[Row]) -> dict[str, list[str]]:
    """Per row label: the analyses whose interval excludes no effect, with the direction with
    respect to treatment success ("more" / "less"), as phrases."""
    out: dict[str, list[str]] = {}
    for row in table_rows:
        if row.heading:
            continue
        for c in cols:
            if c.kind == "importance" or c.outcome.success == 0:
                continue
            if c.model.model == "ancova" and row.key == f"{c.outcome.score}_intake":
                continue  # the ANCOVA's own baseline adjustment
            found = value(c, row.key)
            if found is None or not (finite(found[1]) and finite(found[2])):
                continue
            est, low, high = found
            null = _null(c.kind)
            if low <= null <= high:
                continue
            sign = 1 if est > null else -1
            more = sign * c.outcome.success > 0
            measure = {
                "or": "OR",
                "hr": "HR",
                "coef": "difference",
                "interaction": "slope difference",
            }[c.kind]
            phrase = (
                f"{'more' if more else 'less'}: {c.outcome.name} ({measure} "
                f"{num(est, c.digits(row.key))}, 95% CI {interval(low, high, c.digits(row.key))})"
            )
            name = row.name
            if phrase not in out.get(name, []):
                out.setdefault(name, []).append(phrase)
    return out


def predictor_part(inp: Inputs) -> Part:
    """The predictor tables with the paragraph that reads them."""
    cols, left_out = columns(inp)
    blocks: list[Block] = [
        Heading("Which baseline factors predict treatment success", 3, "predictors")
    ]
    if not cols:
        blocks.append(
            Paragraph(
                "No analysis estimated an association of a baseline factor with an outcome: "
                + (
                    "; ".join(f"{model_name(m)} ({m.name}): {why}" for m, why in left_out)
                    or "no model entries."
                )
            )
        )
        return Part(blocks, {})
    table_rows = rows(cols)
    anchors: list[str] = []
    tables: list[Table] = []
    for theme, title in THEMES.items():
        members = [c for c in cols if c.theme == theme]
        if not members:
            continue
        parts = -(-len(members) // MAX_COLUMNS)
        size = -(-len(members) // parts)
        chunks = [members[i : i + size] for i in range(0, len(members), size)]
        for i, chunk in enumerate(chunks):
            shown = {
                r.key for r in table_rows if any(cell(c, r) not in ("", EN_DASH) for c in chunk)
            }
            used = [
                r for r in table_rows
                if r.key in shown or any(k.factor == r.factor and k.key in shown for k in table_rows)
            ]  # fmt: skip
            anchor = f"predictors-{theme}" + (f"-{i + 1}" if len(chunks) > 1 else "")
            anchors.append(anchor)
            part = f" ({i + 1} of {len(chunks)})" if len(chunks) > 1 else ""
            tables.append(
                Table(
                    caption=f"Baseline factors and {lower(title)}{part}: estimates with 95% "
                    "confidence intervals",
                    header=("Baseline factor", *(c.header for c in chunk)),
                    rows=tuple((r.label, *(cell(c, r) for c in chunk)) for r in used),
                    note=_note(chunk),
                    anchor=anchor,
                )
            )
    clear = clear_associations(cols, table_rows)

    def tally(word: str) -> list[str]:
        hits = {k: sum(p.startswith(word) for p in v) for k, v in clear.items()}
        return sorted((k for k, n in hits.items() if n), key=lambda k: (-hits[k], k))

    less, more = tally("less"), tally("more")
    refs = (
        "{table:" + anchors[0] + "}"
        if len(anchors) == 1
        else "Tables " + "{table:" + anchors[0] + "} to {table:" + anchors[-1] + "}"
    )
    text = (
        f"{refs} bring together, for every baseline factor, its association with each outcome "
        f"in the {len(cols)} analyses that estimate one; each cell is read from the model's "
        "coefficients file. Odds ratios (OR) and hazard ratios (HR) above 1 and positive "
        "differences mean a higher probability, a sooner event or a larger score; whether that "
        "is more or less treatment success depends on the outcome (see the notes)."
    )
    blocks.append(Paragraph(text))
    if clear:
        sentences = []
        for name in sorted(clear, key=lambda k: (-len(clear[k]), k)):
            phrases = clear[name]
            worse = [p.split(": ", 1)[1] for p in phrases if p.startswith("less")]
            better = [p.split(": ", 1)[1] for p in phrases if p.startswith("more")]
            pieces: list[str] = []
            if worse:
                pieces.append(f"less success in {'; '.join(worse)}")
            if better:
                pieces.append(f"more success in {'; '.join(better)}")
            sentences.append(f"{cap(name)}: " + "; and ".join(pieces) + ".")
        blocks.append(
            Paragraph(
                "Intervals that exclude no effect, ordered by the number of outcomes, point to "
                + (
                    f"less treatment success with {join_en([lower(x) for x in less])}"
                    if less
                    else ""
                )
                + ("; and to " if less and more else "")
                + (
                    f"more treatment success with {join_en([lower(x) for x in more])}"
                    if more
                    else ""
                )
                + ":"
            )
        )
        blocks.append(BulletList(tuple(sentences)))
    else:
        blocks.append(
            Paragraph("No interval of any analysis excludes no effect for any baseline factor.")
        )
    penalised = [c for c in cols if c.model.model in ("logistic_l2", "ridge_regression")]
    if penalised:
        blocks.append(
            Paragraph(
                "The penalised models (penalised logistic and ridge regression) shrink their "
                "coefficients towards zero and have no valid standard errors, so their columns "
                "give estimates without intervals; they show the direction and relative size "
                "of each factor in the prediction model, not a test of it "
                "[@le_cessie_1992; @steyerberg_2019]."
            )
        )
    blocks.extend(tables)
    if left_out:
        blocks.append(
            Paragraph(
                "Not in these tables: "
                + "; ".join(f"{model_name(m)} ({m.name}), {why}" for m, why in left_out)
                + "."
            )
        )
    prediction = any(c.model.family == "prediction" for c in cols)
    return Part(blocks, {"22": "predictors"} if prediction else {})


def _note(chunk: Sequence[Column]) -> str:
    parts = []
    kinds = {c.kind for c in chunk}
    if "or" in kinds:
        parts.append(
            "OR: odds ratio of the event per unit of the factor (a level against the "
            "reference), from the final model."
        )
    if "hr" in kinds:
        parts.append("HR: hazard ratio of the event per unit of the factor (Cox; other "
                     "causes censored in the cause-specific models).")  # fmt: skip
    if "coef" in kinds:
        parts.append(
            "Difference: in the end score at equal intake score (ANCOVA), i.e. in the change, "
            "per unit of the factor; for the outcome's own intake score the ANCOVA coefficient "
            "is that of the end score (subtract 1 for the change)."
        )
    if "interaction" in kinds:
        parts.append(
            "Difference in slope: the yearly rate of change with the comorbidity minus without "
            "it (comorbidity \u00d7 time interaction)."
        )
    if "importance" in kinds:
        parts.append(
            "Importance: mean drop in the validated AUC or R\u00b2 when the factor is permuted "
            "in held-out data, with a corrected resampled t interval (no direction)."
        )
    directions = []
    for c in chunk:
        if c.outcome.success == 0 or c.kind == "importance":
            continue
        word = {1: "higher", -1: "lower"}[c.outcome.success]
        thing = {"or": "OR", "hr": "HR", "coef": "difference", "interaction": "difference"}[c.kind]
        directions.append(f"{c.outcome.short}: {word} {thing} = more success")
    if directions:
        parts.append("Direction: " + "; ".join(dict.fromkeys(directions)) + ".")
    parts.append(
        f"{EN_DASH}: not in this model. Without an interval: a penalised estimate. Entries: "
        + ", ".join(c.model.name for c in chunk)
        + " (data/models/<entry>/coefficients.csv)."
    )
    return " ".join(parts)
