"""Results: the prediction models (TRIPOD+AI items 10, 21, 22, 23a, 14).

- Model development: per model the participants and events analysed, the number of candidate
  parameters and events per parameter, Riley et al.'s minimum sample size with its binding
  criterion; a model that falls short is called *exploratory* in the text.
- Model comparison: validated performance with 95% intervals, the primary model
  (``report.primary_model``) first and named; apparent performance and the optimism read in
  words where they differ much.
- Per outcome (distinct headings for reliable improvement, recovery and each change score):
  calibration with the distribution of the predicted values, the decision curve of binary
  models, and performance in subgroups with at least ``min_n`` events (and trajectories).
- Model specification: the primary model's intercept and coefficients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.reporting import figures as fg
from pipeline.reporting.document import Block, FigureBlock, Heading, Paragraph, Table
from pipeline.reporting.labels import LABELS
from pipeline.reporting.research.common import (
    EN_DASH,
    Inputs,
    ModelOutput,
    Part,
    anchor_of,
    as_float,
    cap,
    count,
    estimate_ci,
    finite,
    join_en,
    lower,
    lvl,
    num,
    percent,
    term,
    var,
    whole,
)
from pipeline.reporting.research.outcomes import Outcome, model_name, prediction_outcome
from pipeline.reporting.suppression import suppression_label

BINARY_MEASURES = ("auc", "calibration_slope", "calibration_intercept", "scaled_brier")
CONTINUOUS_MEASURES = ("r2", "rmse", "calibration_slope", "calibration_in_the_large")
#: Apparent and validated values further apart than this are read in words.
OPTIMISM_NOTE = 0.3
#: Bins of the distribution of predicted values under the calibration plot.
HISTOGRAM_BINS = 20


def _measure_label(key: str) -> str:
    return LABELS[key]["en"] if key in LABELS else key.replace("_", " ")


def _digits(key: str, outcome: Outcome) -> int:
    if key in ("rmse", "mae", "calibration_in_the_large"):
        return 3 if (outcome.score or "").endswith("_index") else 2
    return 2 if key in ("calibration_slope", "calibration_intercept") else 3


def primary_of(inp: Inputs) -> ModelOutput | None:
    """The primary prediction model (``report.primary_model``), when fitted."""
    name = inp.report.primary_model
    m = inp.model(name) if name else None
    return m if m is not None and m.family == "prediction" else None


def exploratory(m: ModelOutput) -> bool:
    """Riley et al.'s minimum sample size is not met."""
    return (m.metrics.get("sample_size") or {}).get("sufficient") is False


def groups(inp: Inputs) -> list[tuple[Outcome, list[ModelOutput]]]:
    """Prediction entries grouped by outcome (binary outcomes first), primary model first."""
    out: dict[str, tuple[Outcome, list[ModelOutput]]] = {}
    primary = inp.report.primary_model
    for m in inp.family("prediction"):
        if not m.fitted:
            continue
        outcome = prediction_outcome(m, inp.entry(m.name))
        out.setdefault(outcome.key, (outcome, []))[1].append(m)
    for _, members in out.values():
        members.sort(key=lambda x: (x.name != primary, x.name))
    binary_first = sorted(
        out.values(),
        key=lambda g: (
            not any(x.metrics.get("outcome_type") == "binary" for x in g[1]),
            primary not in [x.name for x in g[1]],
            g[0].score != "ssd12_total",
            g[0].key,
        ),
    )
    return binary_first


def _label(m: ModelOutput, primary: str | None) -> str:
    name = model_name(m)
    tags = []
    if m.name == primary:
        tags.append("primary")
    if exploratory(m):
        tags.append("exploratory")
    return name + (f" ({', '.join(tags)})" if tags else "")


# ---------------------------------------------------------------------------------------------
# Development and sample size


def development(inp: Inputs, grouped: Sequence[tuple[Outcome, list[ModelOutput]]]) -> list[Block]:
    """Participants, events, parameters and Riley's minimum sample size per model."""
    m_ = inp.min_n
    rows = []
    short: list[str] = []
    for outcome, members in grouped:
        for m in members:
            if not m.estimable:
                rows.append((f"{outcome.short}: {model_name(m)}", m.reason, "", "", "", ""))
                continue
            met = m.metrics
            ss = met.get("sample_size") or {}
            binary = met.get("outcome_type") == "binary"
            n = int(met.get("n", 0))
            events = met.get("events")
            epp = ss.get("events_per_parameter") if binary else ss.get("subjects_per_parameter")
            criterion = str(ss.get("binding_criterion") or ss.get("criterion") or "")
            crit_label = (
                LABELS[f"criterion={criterion}"]["en"] if f"criterion={criterion}" in LABELS
                else criterion.replace("_", " ")
            )  # fmt: skip
            rows.append(
                (
                    f"{outcome.short}: {model_name(m)}",
                    f"{count(n, m_)} ({count(met.get('n_clients', n), m_)})",
                    (
                        f"{count(int(as_float(events)), m_)} ({percent(as_float(events), n)})"
                        if binary and finite(events)
                        else EN_DASH
                    ),  # fmt: skip
                    f"{whole(met.get('parameters', ss.get('parameters')))} ({num(epp, 1)})",
                    f"{whole(ss.get('minimum_n'))} ({crit_label})"
                    if finite(ss.get("minimum_n"))
                    else EN_DASH,
                    "yes" if ss.get("sufficient") else "no: exploratory",
                )
            )
            if ss.get("sufficient") is False:
                short.append(f"{lower(outcome.short)} with {lower(model_name(m))}")
    anchor = "prediction-development"
    text = (
        f"{{table:{anchor}}} gives the trajectories and events each prediction model was "
        "developed and validated on (every refit of the internal validation used subsets of "
        "them), the candidate parameters, and the minimum sample size of Riley et al. "
        "[@riley_2020; @riley_2019_continuous] with the criterion that sets it."
    )
    if short:
        text += (
            f" {len(short)} of {len([r for r in rows if r[1] and not r[1].startswith('not')])} "
            "models fall short of that minimum and are therefore exploratory: their validated "
            "performance is the better guide, their coefficients are imprecise, and they should "
            "not be used for individual predictions without a larger development set."
        )
    else:
        text += " Every model meets the minimum."
    text += (
        " All performance figures come from internal validation: the models were evaluated on "
        "the data they were developed on (no external or temporal validation set), so there is "
        "no separate evaluation population to compare."
    )
    return [
        Heading("Model development and sample size", 4, "prediction-development-section"),
        Paragraph(text),
        Table(
            caption="Prediction models: participants, events, candidate parameters and minimum "
            "sample size",
            header=(
                "Outcome: model",
                "Trajectories (clients)",
                "Events (%)",
                "Parameters (events per parameter)",
                "Minimum n (binding criterion)",
                "Sample size adequate",
            ),
            rows=tuple(rows),
            note="Parameters: columns of the model matrix (a category counts once per level "
            "against its reference). Events per parameter for binary outcomes, trajectories per "
            "parameter for change scores. Minimum n: Riley et al.'s criteria with an anticipated "
            "Nagelkerke R\u00b2 of 0.15; for tree ensembles this is a lower bound (van der "
            "Ploeg et al. [@van_der_ploeg_2014]). "
            f"'{suppression_label(m_)}': fewer than {m_}.",
            anchor=anchor,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Comparison


def comparison(inp: Inputs, grouped: Sequence[tuple[Outcome, list[ModelOutput]]]) -> list[Block]:
    """Validated performance of every model, binary and continuous outcomes apart."""
    primary = inp.report.primary_model
    blocks: list[Block] = [Heading("Model performance and comparison", 4, "prediction-comparison")]
    tables: list[Table] = []
    readings: list[str] = []
    for binary, measures in ((True, BINARY_MEASURES), (False, CONTINUOUS_MEASURES)):
        rows = []
        for outcome, members in grouped:
            for m in members:
                if not m.estimable or (m.metrics.get("outcome_type") == "binary") != binary:
                    continue
                perf = m.metrics.get("performance") or {}
                cells = []
                for key in measures:
                    v = perf.get(key) or {}
                    cells.append(
                        estimate_ci(
                            v.get("estimate"),
                            v.get("ci_low"),
                            v.get("ci_high"),
                            _digits(key, outcome),
                        )  # fmt: skip
                    )
                rows.append((f"{outcome.short}: {_label(m, primary)}", *cells))
                slope = perf.get("calibration_slope") or {}
                if (
                    finite(slope.get("apparent"))
                    and finite(slope.get("estimate"))
                    and abs(float(slope["apparent"]) - float(slope["estimate"])) > OPTIMISM_NOTE
                ):
                    readings.append(
                        f"the {lower(model_name(m))} ({lower(outcome.short)}: apparent calibration slope "
                        f"{num(slope['apparent'], 2)}, validated {num(slope['estimate'], 2)})"
                    )
        if not rows:
            continue
        anchor = "prediction-comparison-binary" if binary else "prediction-comparison-change"
        tables.append(
            Table(
                caption=(
                    "Validated performance of the models of binary outcomes"
                    if binary
                    else "Validated performance of the models of change scores"
                ),
                header=("Outcome: model", *(_measure_label(k) for k in measures)),
                rows=tuple(rows),
                note="Internally validated estimates (repeated nested cross-validation or the "
                "bootstrap, as in the Methods) with 95% percentile intervals over client-cluster "
                "bootstrap resamples. "
                + (
                    "AUC 0.5 = no discrimination; calibration slope 1 and intercept 0 = ideal; "
                    "scaled Brier score: 1 \u2212 Brier / Brier of the event rate (0 = no better "
                    "than predicting the event rate for everyone)."
                    if binary
                    else "R\u00b2 on held-out data; calibration slope 1 and calibration-in-the-"
                    "large 0 = ideal; errors in the outcome's units."
                ),
                anchor=anchor,
            )
        )
    pm = primary_of(inp)
    refs = join_en(["{table:" + t.anchor + "}" for t in tables])
    if pm is not None and pm.estimable:
        perf = pm.metrics.get("performance") or {}
        outcome = prediction_outcome(pm, inp.entry(pm.name))
        key = "auc" if pm.metrics.get("outcome_type") == "binary" else "r2"
        v = perf.get(key) or {}
        text = (
            f"The primary model, named before the analysis in the report settings, is the "
            f"{lower(model_name(pm))} of {outcome.name}. Its validated "
            f"{_measure_label(key)} was {estimate_ci(v.get('estimate'), v.get('ci_low'), v.get('ci_high'), 3)}"
        )
        slope = perf.get("calibration_slope") or {}
        if finite(slope.get("estimate")):
            text += (
                f" and its calibration slope "
                f"{estimate_ci(slope['estimate'], slope.get('ci_low'), slope.get('ci_high'), 2)}"
            )
        text += f". {refs} compare all models."
        same = [
            x for o, members in grouped for x in members
            if o.key == outcome.key and x.name != pm.name and x.estimable
        ]  # fmt: skip
        if same:
            other = []
            for x in same:
                w = (x.metrics.get("performance") or {}).get(key) or {}
                other.append(
                    f"{lower(model_name(x))} {estimate_ci(w.get('estimate'), w.get('ci_low'), w.get('ci_high'), 3)}"
                )
            text += (
                f" For the same outcome the other models reached {join_en(other)}: with "
                "overlapping intervals, the more flexible models do not discriminate better "
                "than the primary model."
                if _overlap(v, [(x.metrics.get("performance") or {}).get(key) or {} for x in same])
                else f" For the same outcome the other models reached {join_en(other)}."
            )
    elif inp.report.primary_model:
        text = (
            f"The primary model named in the report settings ({inp.report.primary_model}) has no "
            f"results. {refs} compare the models."
        )
    else:
        text = (
            f"No primary model is named in the report settings (report.primary_model). {refs} "
            "compare the models."
        )
    blocks.append(Paragraph(text))
    weak = []
    for outcome, members in grouped:
        for m in members:
            sb = ((m.metrics.get("performance") or {}).get("scaled_brier") or {}).get("estimate")
            if finite(sb) and as_float(sb) < 0.05:
                weak.append(
                    f"the {lower(model_name(m))} of {outcome.name} (scaled Brier {num(sb, 3)}, "
                    f"{count(m.metrics.get('events', 0), inp.min_n)} events)"
                )
    if weak:
        blocks.append(
            Paragraph(
                "Little better than the event rate: "
                + join_en(weak)
                + "; such a model adds almost nothing to predicting the average risk for "
                "everyone, whatever its AUC."
            )
        )
    if readings:
        blocks.append(
            Paragraph(
                "Apparent and validated calibration differ much for "
                + join_en(readings)
                + ". The apparent value describes the model on the data it was fitted to and "
                "is not a measure of its quality; a flexible model (tree ensemble) can fit its "
                "training data in ways that make it meaningless. Only the validated value "
                "says how the predictions would hold in new trajectories of this centre."
            )
        )
    blocks.extend(tables)
    return blocks


def _overlap(primary: Mapping[str, Any], others: Sequence[Mapping[str, Any]]) -> bool:
    lo, hi = primary.get("ci_low"), primary.get("ci_high")
    if not (finite(lo) and finite(hi)):
        return False
    return all(
        finite(o.get("ci_low")) and finite(o.get("ci_high"))
        and as_float(o["ci_low"]) <= as_float(hi) and as_float(o["ci_high"]) >= as_float(lo)
        for o in others
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Per outcome: calibration, decision curves, subgroups


def predicted_values(m: ModelOutput) -> np.ndarray:
    """Validated predictions per trajectory (held-out, averaged over repetitions), or the
    apparent ones when the model was validated by the bootstrap."""
    pred = m.tables.get("predictions")
    if pred is None or pred.empty:
        return np.array([])
    held = pred[pred["set"] == "held_out"]
    use = held if len(held) else pred[pred["set"] == "apparent"]
    return use.groupby("trajectory_key")["predicted"].mean().to_numpy(dtype=float)


def histogram(values: np.ndarray, lo: float, hi: float, min_n: int) -> pd.DataFrame:
    """Bins of predicted values with their share of trajectories; a bin with fewer than
    ``min_n`` trajectories has no share (not drawn)."""
    if not len(values) or not hi > lo:
        return pd.DataFrame(columns=["left", "right", "share"])
    edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
    counts, _ = np.histogram(np.clip(values, lo, hi), bins=edges)
    share = np.where(counts >= min_n, counts / len(values), np.nan)
    return pd.DataFrame({"left": edges[:-1], "right": edges[1:], "share": share})


def outcome_figures(
    inp: Inputs, outcome: Outcome, members: Sequence[ModelOutput], anchor: str
) -> list[FigureBlock]:
    """Calibration of every model of one outcome with the distribution of its predicted values
    below it; for a binary outcome also the decision curves of all models."""
    models = [m for m in members if m.estimable and m.tables.get("calibration_curve") is not None]
    if not models:
        return []
    binary = models[0].metrics.get("outcome_type") == "binary"
    values = {m.name: predicted_values(m) for m in models}
    if binary:
        top = max(
            [float(np.nanmax(v)) for v in values.values() if len(v)]
            + [float(m.tables["calibration_curve"]["predicted"].max()) for m in models]
        )
        limits = (0.0, min(1.0, float(np.ceil((top + 0.05) * 10) / 10)))
    else:
        pool = np.concatenate(
            [m.tables["calibration_curve"]["predicted"].to_numpy(dtype=float) for m in models]
            + [v for v in values.values() if len(v)]
        )
        pad = 0.05 * float(np.nanmax(pool) - np.nanmin(pool))
        limits = (float(np.nanmin(pool)) - pad, float(np.nanmax(pool)) + pad)
    panels = []
    for m in models:
        bins = m.tables.get("calibration")
        if bins is not None and "n" in bins:
            bins = bins[bins["n"] >= inp.min_n]
        hist = histogram(values[m.name], limits[0], limits[1], inp.min_n)
        panels.append((model_name(m), m.tables["calibration_curve"], bins, hist))
    word = "risk" if binary else "change"
    ncol = len(panels)

    def draw(fig: Figure) -> None:
        grid = fig.subplots(2, ncol, squeeze=False, gridspec_kw={"height_ratios": [4, 1]})
        for j, (name, curve, bins, hist) in enumerate(panels):
            fg.calibration(grid[0, j], curve, bins, label=word, limits=limits, title=name,
                           legend=j == 0)  # fmt: skip
            fg.prediction_histogram(grid[1, j], hist, limits=limits, xlabel=f"Predicted {word}")

    out = [
        FigureBlock(
            f"{cap(outcome.name)}: calibration of each model (validated smooth curve, apparent "
            "curve, and observed values in groups of predicted values with 95% intervals), with "
            "the distribution of the validated predictions below. Groups and histogram bars "
            f"with fewer than {inp.min_n} trajectories are not drawn.",
            min(7.0, 2.4 * ncol + 0.4),
            3.6,
            draw,
            alt=f"Calibration plots of {join_en([p[0] for p in panels])} for {outcome.name}.",
            anchor=anchor,
        )
    ]
    curves = {
        model_name(m): m.tables["decision_curve"]
        for m in models
        if binary and m.tables.get("decision_curve") is not None
    }
    if curves:

        def draw_dc(fig: Figure) -> None:
            fg.decision_curves(fig.subplots(), curves)

        out.append(
            FigureBlock(
                f"{cap(outcome.name)}: decision curves, the net benefit of acting on each "
                "model's validated predictions over threshold probabilities, against acting for "
                "everyone or no one (the first model with its 95% band).",
                5.0,
                3.2,
                draw_dc,
                alt=f"Decision curves of {join_en(list(curves))} for {outcome.name}.",
                anchor=anchor_of(anchor, "decision"),
            )
        )
    return out


def subgroup_table(
    inp: Inputs, outcome: Outcome, members: Sequence[ModelOutput], anchor: str
) -> tuple[Table | None, int]:
    """Discrimination (AUC) or R² per subgroup with at least ``min_n`` trajectories and (binary)
    ``min_n`` events, one column per model; returns the table and the subgroups left out."""
    models = [m for m in members if m.estimable and m.tables.get("subgroups") is not None]
    if not models:
        return None, 0
    binary = models[0].metrics.get("outcome_type") == "binary"
    measure = "auc" if binary else "r2"
    first = models[0].tables["subgroups"]
    first = first[first["measure"] == measure]
    rows = []
    left_out = 0
    for r in first.itertuples(index=False):
        n = int(as_float(r.n)) if finite(r.n) else 0
        events = int(as_float(r.events)) if finite(r.events) else None
        if n < inp.min_n or (binary and (events is None or events < inp.min_n)):
            left_out += 1
            continue
        if binary and events is not None and n - events < inp.min_n:
            left_out += 1
            continue
        cells = []
        for m in models:
            sub = m.tables["subgroups"]
            hit = sub[
                (sub["variable"].astype(str) == str(r.variable))
                & (sub["level"].astype(str) == str(r.level))
                & (sub["measure"] == measure)
            ]
            if hit.empty:
                cells.append(EN_DASH)
            else:
                h = hit.iloc[0]
                cells.append(estimate_ci(h["estimate"], h["ci_low"], h["ci_high"], 2))
        variable = str(r.variable)
        level = str(r.level)
        if variable in ("sex", "diagnosis"):
            name = f"{var(variable)}: {lvl(variable, level)}"
        else:
            name = f"{var(variable)}: {'yes' if level in ('1', '1.0') else 'no'}"
        if all(c == EN_DASH for c in cells):
            left_out += 1
            continue
        if binary:
            rows.append((name, whole(n), whole(events) if events is not None else EN_DASH, *cells))
        else:
            rows.append((name, whole(n), *cells))
    if not rows:
        return None, left_out
    return (
        Table(
            caption=f"{cap(outcome.name)}: {_measure_label(measure)} in subgroups",
            header=(
                "Subgroup",
                "Trajectories",
                *(("Events",) if binary else ()),
                *(model_name(m) for m in models),
            ),
            rows=tuple(rows),
            note=f"Validated predictions; 95% intervals over client-cluster bootstrap resamples. "
            f"Only subgroups with at least {inp.min_n} trajectories"
            + (f" and at least {inp.min_n} events and {inp.min_n} non-events" if binary else "")
            + f" are shown ({left_out} left out).",
            anchor=anchor,
        ),
        left_out,
    )


def outcome_blocks(
    inp: Inputs, outcome: Outcome, members: Sequence[ModelOutput]
) -> tuple[list[Block], dict[str, str]]:
    """One outcome's subsection."""
    primary = inp.report.primary_model
    blocks: list[Block] = [Heading(f"Prediction of {outcome.name}", 4, outcome.anchor)]
    items: dict[str, str] = {}
    gone = [m for m in members if not m.estimable]
    live = [m for m in members if m.estimable]
    for m in gone:
        blocks.append(Paragraph(f"{model_name(m)} ({m.name}): {m.reason}."))
    if not live:
        return blocks, items
    first = live[0]
    met = first.metrics
    binary = met.get("outcome_type") == "binary"
    n = int(met.get("n", 0))
    if binary:
        text = (
            f"{count(met.get('events', 0), inp.min_n)} of {count(n, inp.min_n)} trajectories "
            f"({percent(int(met.get('events', 0)), n)}) reached {outcome.name}. "
        )
    else:
        text = (
            f"{count(n, inp.min_n)} trajectories; mean change "
            f"{num(met.get('outcome_mean'), 2)} (SD {num(met.get('outcome_sd'), 2)}). "
        )
    short = [m for m in live if exploratory(m)]
    if short:
        text += (
            "Exploratory: "
            + join_en([lower(model_name(m)) for m in short])
            + (" falls" if len(short) == 1 else " fall")
            + " short of the minimum sample size ("
            + "; ".join(
                f"{whole((m.metrics.get('sample_size') or {}).get('minimum_n'))} needed"
                for m in short[:1]
            )
            + f", {count(n, inp.min_n)} available). "
        )
    fig_anchor = anchor_of(outcome.anchor, "figure")
    figures = outcome_figures(inp, outcome, live, fig_anchor)
    if figures:
        text += f"{{figure:{fig_anchor}}} shows calibration"
        text += (
            f" and {{figure:{figures[1].anchor}}} the decision curves." if len(figures) > 1 else "."
        )
    table, left_out = subgroup_table(inp, outcome, live, anchor_of(outcome.anchor, "subgroups"))
    if table is not None:
        text += f" {{table:{table.anchor}}} gives the performance in subgroups."
        items["14"] = outcome.anchor
    elif left_out:
        text += (
            f" No subgroup reaches {inp.min_n} events and non-events, so no subgroup "
            "performance is shown."
        )
    blocks.append(Paragraph(text))
    if len(figures) > 1:
        blocks.append(Paragraph(_decision_reading(live, primary)))
    blocks.extend(figures)
    if table is not None:
        blocks.append(table)
    return blocks, items


def _decision_reading(models: Sequence[ModelOutput], primary: str | None) -> str:
    m = next((x for x in models if x.name == primary), models[0])
    dc = m.tables.get("decision_curve")
    if dc is None or dc.empty:
        return ""
    better = dc[
        (dc["net_benefit_model"] > dc["net_benefit_all"])
        & (dc["net_benefit_model"] > dc["net_benefit_none"])
    ]
    if better.empty:
        return (
            f"The {lower(model_name(m))} has no higher net benefit than treating everyone or "
            "no one at any threshold probability: it would not improve decisions."
        )
    lo, hi = float(better["threshold"].min()), float(better["threshold"].max())
    return (
        f"The {lower(model_name(m))} has a higher net benefit than treating everyone or no one "
        f"at threshold probabilities from {num(lo, 2)} to {num(hi, 2)}"
        + (
            "; the interval of the net benefit overlaps that of treating everyone at most "
            "thresholds, so the gain is uncertain."
            if {"ci_low"} <= set(dc.columns)
            and bool((better["ci_low"] <= better["net_benefit_all"]).mean() > 0.5)
            else "."
        )
    )


def specification(inp: Inputs) -> list[Block]:
    """The primary model in full (TRIPOD+AI 22): intercept and coefficients."""
    pm = primary_of(inp)
    if pm is None or not pm.estimable or pm.coefficients is None or pm.coefficients.empty:
        return []
    coef = pm.coefficients
    binary = pm.metrics.get("outcome_type") == "binary"
    importance = coef["term"].astype(str).str.startswith("importance[").all()
    if importance:
        return [
            Heading("Model specification", 4, "model-specification"),
            Paragraph(
                f"The primary model is a {lower(model_name(pm))}, which has no formula; the "
                f"fitted ensemble is not part of the outputs. Its permutation importances are "
                "in the predictor tables."
            ),
        ]
    outcome = prediction_outcome(pm, inp.entry(pm.name))
    rows = []
    for t, est in coef[["term", "estimate"]].itertuples(index=False, name=None):
        label = "Intercept" if t == "Intercept" else term(str(t))
        rows.append(
            (label, num(est, 4), num(float(np.exp(est)), 3) if binary and t != "Intercept" else "")
        )
    anchor = "model-specification-table"
    header: tuple[str, ...] = (
        ("Term", "Coefficient (log odds)", "Odds ratio") if binary else ("Term", "Coefficient")
    )
    if not binary:
        rows = [(r[0], r[1], "") for r in rows]
    width = len(header)
    hyper = (pm.metrics.get("hyperparameters") or {}).get("final") or {}
    text = (
        f"{{table:{anchor}}} gives the primary model in full: the predicted "
        + ("probability of " if binary else "")
        + f"{outcome.name} for a new trajectory is "
        + ("1 / (1 + exp(\u2212lp)), lp being" if binary else "")
        + " the intercept plus the sum of each coefficient times the value of its predictor "
        "(categories: 1 for the level, 0 otherwise; continuous predictors in their own units, "
        "as in the table). It is the final model, fitted on all "
        f"{count(pm.metrics.get('n', 0), inp.min_n)} trajectories"
        + (
            f" with the tuned penalty ({', '.join(f'{k} = {v}' for k, v in sorted(hyper.items()))})"
            if hyper
            else ""
        )
        + " and averaged over the imputations; missing predictor values must be imputed as in "
        f"the Methods before it is applied. The coefficients of every model are in "
        f"data/models/<entry>/coefficients.csv (this model: {pm.name})."
    )
    return [
        Heading("Model specification", 4, "model-specification"),
        Paragraph(text),
        Table(
            caption=f"The primary model ({lower(model_name(pm))} of {outcome.name}): intercept "
            "and coefficients of the final model",
            header=header,
            rows=tuple(tuple(r[:width]) for r in rows),
            note="Penalised estimates: no standard errors or intervals. Units as in the "
            "predictor tables.",
            anchor=anchor,
        ),
    ]


def prediction_part(inp: Inputs) -> Part:
    """The prediction results."""
    grouped = groups(inp)
    if not grouped:
        return Part([])
    blocks: list[Block] = [Heading("Prediction models", 3, "results-prediction")]
    items: dict[str, str] = {}
    live = [m for _, members in grouped for m in members if m.estimable]
    blocks.extend(development(inp, grouped))
    if live:
        items["21"] = "prediction-development-section"
        blocks.extend(comparison(inp, grouped))
        items["23a"] = "prediction-comparison"
    for outcome, members in grouped:
        more, found = outcome_blocks(inp, outcome, members)
        blocks.extend(more)
        for k, v in found.items():
            items.setdefault(k, v)
    spec = specification(inp)
    if spec:
        blocks.extend(spec)
        items["22"] = "model-specification"
    return Part(blocks, items)
