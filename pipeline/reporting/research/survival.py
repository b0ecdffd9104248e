"""Results: time to event, one subsection per outcome (drop-out and the other ways treatment
ends, reliable improvement, re-entry), leading with the cumulative incidence of each competing
cause (Aalen-Johansen), then the cause-specific (and plain) Cox models with their
proportional-hazards tests, then Kaplan-Meier curves.

Figures are split by the factors with the strongest association with the outcome (the
smallest Gray's test p-value for the cumulative incidence of the outcome's own cause, the
smallest log-rank p-value for Kaplan-Meier), unless ``report.research.figure_factors`` names
them. Every curve stops at the last time at which at least ``min_n`` trajectories remain at
risk; numbers at risk are printed only where the curve is drawn; censoring is marked.
Re-entry is timed from the end of the previous (regularly ended) trajectory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.reporting import figures as fg
from pipeline.reporting.document import Block, FigureBlock, Heading, Paragraph, Table
from pipeline.reporting.research.common import (
    EN_DASH,
    Inputs,
    ModelOutput,
    Part,
    anchor_of,
    cap,
    count,
    estimate_ci,
    finite,
    join_en,
    lvl,
    num,
    p_text,
    pvalue,
    term,
    var,
    var_lower,
    whole,
)

OUTCOME_ORDER: tuple[str, ...] = ("dropout", "improvement", "reentry")
TITLES: dict[str, str] = {
    "dropout": "Ending of treatment and drop-out",
    "improvement": "Time to reliable improvement",
    "reentry": "Re-entry after a regular end",
}
#: Factors shown per figure when the data choose them.
FIGURE_FACTORS = 2
PH_ALPHA = 0.05


def _origin(outcome: str) -> str:
    return (
        "Years since the end of the previous trajectory"
        if outcome == "reentry"
        else ("Years since the start of treatment")
    )


def definition(outcome: str, entry: Mapping[str, Any], metrics: Mapping[str, Any]) -> str:
    """The outcome definition in words (never the model's technical text)."""
    if outcome == "dropout":
        return (
            "Time from the start of treatment to its end, by the reason for ending: drop-out "
            "(ended early without agreement), regular end, referral or another reason; "
            "trajectories still in treatment were censored at the export date."
        )
    if outcome == "improvement":
        rc = entry.get("reliable_change", metrics.get("reliable_change"))
        threshold = f"at least {num(rc, 1)} points" if finite(rc) else "a reliable change"
        return (
            "Time from the start of treatment to the first SSD-12 during or at the end of "
            f"treatment that was {threshold} below the intake score (reliable improvement). The "
            "competing event is the end of treatment without reliable improvement (timed at the "
            "last SSD-12); trajectories in treatment without it were censored at their last "
            "SSD-12. Improvement is seen only when a questionnaire is filled in, so its time is "
            "overestimated by up to one measurement interval."
        )
    if outcome == "reentry":
        window = entry.get("reentry_window_years", 2.0)
        return (
            "Time from a regular end of treatment to the start of a new trajectory of the same "
            f"client within {num(window, 0)} years; censored at the end of that window or at "
            "the export date."
        )
    return "Time to the event."


def _level_label(factor: str, value: Any) -> str:
    text = str(value)
    if factor in ("sex", "diagnosis", "end_reason"):
        return lvl(factor, text)
    if text in ("0", "0.0", "False"):
        return f"No {var_lower(factor)}"
    if text in ("1", "1.0", "True"):
        return var(factor)
    return text


def _risk_label(factor: str, value: Any) -> str:
    """The short row label of the numbers at risk: "No" / "Yes" for a flag."""
    text = str(value)
    if factor not in ("sex", "diagnosis", "end_reason"):
        if text in ("0", "0.0", "False"):
            return "No"
        if text in ("1", "1.0", "True"):
            return "Yes"
    return _level_label(factor, value)


def _cut(frame: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """The curve up to the last time with at least ``min_n`` at risk, without the rows that
    change nothing in the drawing (same estimate and limits, no censoring)."""
    ok = frame["n_at_risk"].to_numpy() >= min_n
    if not ok.any():
        return frame.iloc[0:0]
    last = int(np.flatnonzero(ok).max())
    part = frame.iloc[: last + 1]
    value = "cif" if "cif" in part else "survival"
    same = (
        part[value].eq(part[value].shift())
        & part["ci_low"].fillna(-1).eq(part["ci_low"].fillna(-1).shift())
        & part["ci_high"].fillna(-1).eq(part["ci_high"].fillna(-1).shift())
    )
    if "n_censored" in part:
        same &= part["n_censored"].fillna(0).eq(0)
    keep = ~same.to_numpy()
    keep[-1] = True
    return part[keep]


def _risk_text(risk: pd.DataFrame, end: float, min_n: int) -> pd.DataFrame:
    shown = risk[(risk["time"] <= end + 1e-9) & (risk["n_at_risk"] >= min_n)]
    return pd.DataFrame({"time": shown["time"], "text": [whole(n) for n in shown["n_at_risk"]]})


def strongest(tests: pd.DataFrame, chosen: Sequence[str], k: int = FIGURE_FACTORS) -> list[str]:
    """The factors to split figures by: ``chosen`` (those present) or the ``k`` with the
    smallest p-value (ties by name)."""
    present = [str(g) for g in tests["group"]] if len(tests) else []
    picked = [f for f in chosen if f in present]
    if picked:
        return picked
    ranked = tests.dropna(subset=["p_value"]).sort_values(["p_value", "group"])
    return [str(g) for g in ranked["group"].head(k)]


# ---------------------------------------------------------------------------------------------
# Cumulative incidence


def _causes(m: ModelOutput) -> list[str]:
    events = m.metrics.get("events") if isinstance(m.metrics.get("events"), Mapping) else {}
    return [str(c) for c in m.metrics.get("causes", []) if (events or {}).get(c, 0)]


def cif_blocks(inp: Inputs, m: ModelOutput, outcome: str) -> tuple[list[Block], list[str]]:
    """Cumulative incidence of every cause overall, at the landmarks, and of the outcome's own
    cause by the strongest factors; Gray's tests. Returns blocks and Gray's p per factor (for
    the tests table)."""
    met = m.metrics
    min_n = inp.min_n
    raw = met.get("events")
    events: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    causes = _causes(m)
    own = outcome if outcome in causes else (causes[0] if causes else outcome)
    blocks: list[Block] = []
    cif = m.tables.get("cif_table")
    risk = m.tables.get("risk_table")
    n = met.get("n", (met.get("analysis_set") or {}).get("analysed"))
    listed = ", ".join(
        f"{lvl('cause', c)} {count(events.get(c, 0), min_n)}"
        for c in met.get("causes", [])
        if events.get(c, 0)
    )
    text = (
        f"Events among the {count(n, min_n)} trajectories: {listed}; "
        f"{count(met.get('censored', 0), min_n)} censored. "
    )
    fig_anchor = anchor_of(m.name, "overall")
    if cif is not None and risk is not None and causes:
        overall = cif[cif["group"] == "all"]
        curves = {}
        end = 0.0
        for c in causes:
            part = _cut(overall[overall["cause"] == c].sort_values("time"), min_n)
            if part.empty:
                continue
            end = max(end, float(part["time"].max()))
            curves[cap(lvl("cause", c))] = part.rename(columns={"cif": "value"})
        at_risk = _risk_text(risk[risk["group"] == "all"], end, min_n)
        if curves:
            text += f"{{figure:{fig_anchor}}} shows the cumulative incidence of each cause."

            def draw(
                fig: Figure, curves: dict[str, Any] = curves, at_risk: pd.DataFrame = at_risk
            ) -> None:
                ax, risk_ax = fig.subplots(
                    2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 0.8]}
                )
                fg.survival_curves(
                    ax, risk_ax, curves, {"All": at_risk}, xlabel=_origin(outcome),
                    ylabel="Cumulative incidence", ylim=(0.0, 1.0), legend_loc="upper left",
                )  # fmt: skip

            blocks.append(Paragraph(text))
            blocks.append(
                FigureBlock(
                    "Cumulative incidence of each cause (Aalen\u2013Johansen) with pointwise 95% "
                    "confidence bands, censoring marked; all trajectories of the analysis set. "
                    f"Curves stop where fewer than {min_n} trajectories remain at risk.",
                    6.6,
                    4.2,
                    draw,
                    alt="Cumulative incidence over "
                    + _origin(outcome).lower()
                    + " of "
                    + join_en(list(curves))
                    + ".",
                    anchor=fig_anchor,
                )
            )
    else:
        blocks.append(Paragraph(text))
    landmark_rows = _landmarks(m, causes, min_n)
    if landmark_rows:
        table_anchor = anchor_of(m.name, "landmarks")
        blocks.append(
            Table(
                caption=f"Cumulative incidence of each cause ({lvl('outcome', outcome)} "
                "analysis) at fixed times, with 95% confidence intervals",
                header=landmark_rows[0],
                rows=tuple(landmark_rows[1:]),
                note="Aalen\u2013Johansen estimates, all trajectories of the analysis set; the "
                "causes compete, so at any time their incidences add up to at most 100%. "
                f"A time at which fewer than {min_n} trajectories remain at risk is not shown.",
                anchor=table_anchor,
            )
        )
    gray = m.tables.get("gray_test")
    if gray is not None and len(gray) and cif is not None and risk is not None:
        own_tests = gray[gray["cause"] == own]
        factors = strongest(own_tests, inp.report.research.figure_factors)
        panels = []
        for factor in factors:
            sub = cif[(cif["group"] == factor) & (cif["cause"] == own)]
            rsub = risk[risk["group"] == factor]
            curves, risks, end = {}, {}, 0.0
            for level_value in sorted(set(sub["level"].astype(str))):
                part = _cut(sub[sub["level"].astype(str) == level_value].sort_values("time"), min_n)
                if part.empty:
                    continue
                name = _level_label(factor, level_value)
                curves[name] = part.rename(columns={"cif": "value"})
                t_end = float(part["time"].max())
                end = max(end, t_end)
                risks[_risk_label(factor, level_value)] = _risk_text(
                    rsub[rsub["level"].astype(str) == level_value], t_end, min_n
                )
            row = own_tests[own_tests["group"] == factor]
            p = row["p_value"].iloc[0] if len(row) else None
            if curves:
                panels.append((factor, curves, risks, p))
        if panels:
            anchor = anchor_of(m.name, "by-factor")
            names = join_en([var_lower(f) for f, *_ in panels])
            blocks.append(
                Paragraph(
                    f"{{figure:{anchor}}} shows the cumulative incidence of "
                    f"{lvl('cause', own)} by {names}"
                    + (
                        ", the factors named in the report settings."
                        if inp.report.research.figure_factors
                        else f", the {len(panels)} factors with the smallest Gray's test "
                        "p-value for this cause."
                    )
                )
            )

            def draw_panels(fig: Figure, panels: list[Any] = panels) -> None:
                grid = fig.subplots(
                    2, len(panels), sharex="col", squeeze=False,
                    gridspec_kw={"height_ratios": [4, 1.1]},
                )  # fmt: skip
                for j, (factor, curves, risks, p) in enumerate(panels):
                    fg.survival_curves(
                        grid[0, j], grid[1, j], curves, risks, xlabel=_origin(outcome),
                        ylabel=f"Cumulative incidence of {lvl('cause', own)}",
                        ylim=(0.0, 1.0), title=f"{var(factor)} (Gray's test {p_text(p)})",
                        legend_loc="upper left",
                    )  # fmt: skip

            blocks.append(
                FigureBlock(
                    f"Cumulative incidence of {lvl('cause', own)} by {names}, with pointwise "
                    "95% confidence bands and censoring marks; the other causes compete. "
                    f"Curves stop where fewer than {min_n} trajectories remain at risk.",
                    3.6 * len(panels) if len(panels) > 1 else 4.8,
                    4.2,
                    draw_panels,
                    alt=f"Cumulative incidence of {lvl('cause', own)} by {names}.",
                    anchor=anchor,
                )
            )
    return blocks, causes


def _landmarks(m: ModelOutput, causes: Sequence[str], min_n: int) -> list[tuple[str, ...]]:
    coef = m.coefficients
    risk = m.tables.get("risk_table")
    if coef is None or coef.empty:
        return []
    cells: dict[str, dict[str, str]] = {}
    times: list[str] = []
    for t, est, low, high in coef[["term", "estimate", "ci_low", "ci_high"]].itertuples(
        index=False, name=None
    ):
        name, _, rest = str(t).partition("[")
        cause, _, stratum = rest.rstrip("]").partition("][")
        if stratum != "all" or cause not in causes or not name.startswith("cif_at_"):
            continue
        years = name.removeprefix("cif_at_").removesuffix("y")
        if risk is not None:
            at = risk[(risk["group"] == "all") & np.isclose(risk["time"], float(years))]
            if len(at) and int(at["n_at_risk"].iloc[0]) < min_n:
                continue
        if years not in times:
            times.append(years)
        cells.setdefault(cause, {})[years] = (
            f"{num(100 * est, 1)}% ({num(100 * low, 1)} to {num(100 * high, 1)})"
            if finite(low) and finite(high)
            else f"{num(100 * est, 1)}%"
        )
    if not times:
        return []
    header = ("Cause", *(f"{y} year" if y == "1" else f"{y} years" for y in times))
    rows = [header]
    for cause in causes:
        if cause in cells:
            rows.append((cap(lvl("cause", cause)), *(cells[cause].get(y, EN_DASH) for y in times)))
    if risk is not None:
        at_risk = []
        for y in times:
            at = risk[(risk["group"] == "all") & np.isclose(risk["time"], float(y))]
            at_risk.append(count(at["n_at_risk"].iloc[0], min_n) if len(at) else EN_DASH)
        rows.append(("Number at risk", *at_risk))
    return rows


# ---------------------------------------------------------------------------------------------
# Cox models


def _same_as(m: ModelOutput, others: Sequence[ModelOutput]) -> ModelOutput | None:
    """A cause-specific model whose own cause has the same hazard ratios as plain Cox ``m``."""
    if m.model != "cox_ph" or m.coefficients is None:
        return None
    own = str(m.metrics.get("outcome"))
    mine = m.coefficients.set_index("term")["hazard_ratio"]
    for o in others:
        if o.model != "cause_specific_cox" or not o.usable or o.coefficients is None:
            continue
        coef = o.coefficients[o.coefficients["term"].astype(str).str.startswith(f"{own}:")]
        theirs = pd.Series(
            coef["hazard_ratio"].to_numpy(), index=coef["term"].str.split(":", n=1).str[1]
        )
        if set(theirs.index) == set(mine.index) and np.allclose(
            theirs.loc[mine.index].to_numpy(dtype=float), mine.to_numpy(dtype=float), rtol=1e-6
        ):
            return o
    return None


def cox_blocks(
    inp: Inputs, m: ModelOutput, outcome: str, others: Sequence[ModelOutput]
) -> list[Block]:
    """Hazard ratios with PH tests per cause; a plain Cox model identical to a cause-specific
    one is named, not repeated."""
    min_n = inp.min_n
    twin = _same_as(m, others)
    if twin is not None:
        return [
            Paragraph(
                f"The Cox model of {lvl('outcome', outcome)} that censors the other ways "
                "treatment ends is the cause-specific model of that cause; its hazard ratios "
                f"are those of the cause-specific model above (entries {m.name} and "
                f"{twin.name})."
            )
        ]
    assert m.coefficients is not None
    refs = dict(m.metrics.get("reference_levels") or {})
    by_cause: dict[str, Mapping[str, Any]]
    if m.model == "cause_specific_cox":
        by_cause = dict(m.metrics.get("by_cause") or {})
        order = [c for c in m.metrics.get("causes", []) if c in by_cause]
    else:
        by_cause = {outcome: m.metrics}
        order = [outcome]
    ph = m.tables.get("ph_test")
    coef = m.coefficients
    terms: list[str] = []
    for t in coef["term"].astype(str):
        base = t.split(":", 1)[1] if m.model == "cause_specific_cox" else t
        if base not in terms:
            terms.append(base)
    header = ["Baseline factor"]
    for c in order:
        header += [f"{cap(lvl('cause', c))}: HR (95% CI)", "PH p"]
    rows = []
    for base in terms:
        row = [term(base, refs)]
        for c in order:
            name = f"{c}:{base}" if m.model == "cause_specific_cox" else base
            hit = coef[coef["term"].astype(str) == name]
            if hit.empty:
                row += [EN_DASH, ""]
                continue
            r = hit.iloc[0]
            digits = 3 if ("[T." not in base and not base.startswith(("comorbid_", "cfs"))) else 2
            row.append(estimate_ci(r["hazard_ratio"], r["hr_ci_low"], r["hr_ci_high"], digits))
            p = None
            if ph is not None and len(ph):
                sel = ph[(ph["term"].astype(str) == base)]
                if "cause" in ph:
                    sel = sel[sel["cause"] == c]
                p = sel["p_value"].iloc[0] if len(sel) else None
            row.append(pvalue(p))
        rows.append(tuple(row))
    sentences = []
    for c in order:
        met = by_cause[c]
        glob = (met.get("proportional_hazards") or {}).get("global") or {}
        terms_ph = (met.get("proportional_hazards") or {}).get("terms") or {}
        violated = sorted(
            (
                t
                for t, v in terms_ph.items()
                if finite(v.get("p_value")) and v["p_value"] < PH_ALPHA
            ),
            key=lambda t: terms_ph[t]["p_value"],
        )
        sentence = (
            f"{cap(lvl('cause', c))}: {count(met.get('events', 0), min_n)} events among "
            f"{count(met.get('n', 0), min_n)} trajectories, concordance "
            f"{num(met.get('concordance'), 2)}; global proportional-hazards test "
            f"\u03c7\u00b2({whole(glob.get('df'))}) = {num(glob.get('statistic'), 1)}, "
            f"{p_text(glob.get('p_value'))}"
        )
        if violated:
            sentence += "; time-varying effect (p < 0.05) for " + join_en(
                [
                    term(t, refs).lower() if term(t, refs)[1:2].islower() else term(t, refs)
                    for t in violated
                ]
            )
        sentences.append(sentence + ".")
    anchor = anchor_of(m.name, "hazard-ratios")
    kind = "Cause-specific Cox models" if m.model == "cause_specific_cox" else "Cox model"
    intro = (
        f"{kind} ({'each cause with the others censored' if m.model == 'cause_specific_cox' else 'other ends censored'}): "
        + " ".join(sentences)
        + f" Hazard ratios are in {{table:{anchor}}}."
    )
    return [
        Paragraph(intro),
        Table(
            caption=f"{kind} of {lvl('outcome', outcome)}: hazard ratios with 95% confidence "
            "intervals and proportional-hazards tests",
            header=tuple(header),
            rows=tuple(rows),
            note="HR > 1: the event comes sooner. PH p: Grambsch\u2013Therneau test of a "
            "time-varying effect (R cox.zph, survival \u2265 3.0); a small p means the hazard "
            "ratio is an average over follow-up. Complete cases on the covariates.",
            anchor=anchor,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier


def km_blocks(inp: Inputs, m: ModelOutput, outcome: str) -> tuple[list[Block], pd.DataFrame | None]:
    """Kaplan-Meier curves split by the strongest factors (log-rank), with numbers at risk and
    censoring marks; returns the log-rank table for the tests table."""
    min_n = inp.min_n
    km = m.tables.get("km_table")
    risk = m.tables.get("risk_table")
    logrank = m.tables.get("logrank")
    blocks: list[Block] = []
    if km is None or risk is None:
        return blocks, logrank
    tests = logrank if logrank is not None else pd.DataFrame(columns=["group", "p_value"])
    factors = strongest(tests, inp.report.research.figure_factors)
    if not factors:
        factors = ["all"]
    panels = []
    for factor in factors:
        sub = km[km["group"] == factor]
        rsub = risk[risk["group"] == factor]
        curves, risks = {}, {}
        for level_value in sorted(set(sub["level"].astype(str))):
            part = _cut(sub[sub["level"].astype(str) == level_value].sort_values("time"), min_n)
            if part.empty:
                continue
            name = "All" if factor == "all" else _level_label(factor, level_value)
            curves[name] = part.rename(columns={"survival": "value"})
            risks["All" if factor == "all" else _risk_label(factor, level_value)] = _risk_text(
                rsub[rsub["level"].astype(str) == level_value], float(part["time"].max()), min_n
            )
        row = tests[tests["group"] == factor] if len(tests) else tests
        p = row["p_value"].iloc[0] if len(row) else None
        if curves:
            panels.append((factor, curves, risks, p))
    if not panels:
        return blocks, logrank
    anchor = anchor_of(m.name, "figure")
    ylabel = {
        "dropout": "Not (yet) dropped out",
        "improvement": "Not (yet) reliably improved",
        "reentry": "Not (yet) re-entered",
    }.get(outcome, "Event-free")
    names = join_en([var_lower(f) for f, *_ in panels if f != "all"])
    caveat = ""
    if outcome in ("dropout", "improvement"):
        caveat = (
            " These curves censor the other ways treatment ends, so one minus the curve is not "
            "the share of trajectories with the event (that is the cumulative incidence above); "
            "they show how the hazard differs between groups."
        )
    chosen = (
        "the factors named in the report settings"
        if inp.report.research.figure_factors
        else f"the {len(panels)} factors with the smallest log-rank p-value"
    )
    blocks.append(
        Paragraph(
            f"{{figure:{anchor}}} shows Kaplan\u2013Meier curves by {names} ({chosen})." + caveat
        )
    )

    def draw(fig: Figure, panels: list[Any] = panels) -> None:
        grid = fig.subplots(
            2, len(panels), sharex="col", squeeze=False, gridspec_kw={"height_ratios": [4, 1.1]}
        )
        for j, (factor, curves, risks, p) in enumerate(panels):
            title = "" if factor == "all" else f"{var(factor)} (log-rank {p_text(p)})"
            fg.survival_curves(
                grid[0, j], grid[1, j], curves, risks, xlabel=_origin(outcome), ylabel=ylabel,
                title=title, legend_loc="lower left",
            )  # fmt: skip

    blocks.append(
        FigureBlock(
            f"Kaplan\u2013Meier estimates ({lvl('outcome', outcome)}) by {names or 'all'}, with "
            "pointwise 95% confidence bands (log\u2013log) and censoring marks; numbers at risk "
            f"below. Curves stop where fewer than {min_n} trajectories remain at risk.",
            3.6 * len(panels) if len(panels) > 1 else 4.8,
            4.2,
            draw,
            alt=f"Kaplan-Meier curves of {lvl('outcome', outcome)} by {names or 'all'}.",
            anchor=anchor,
        )
    )
    return blocks, logrank


def tests_table(
    outcome: str, own: str, gray: pd.DataFrame | None, logrank: pd.DataFrame | None, anchor: str
) -> Table | None:
    """Gray's test (own cause) and the log-rank test of every factor, side by side."""
    factors: list[str] = []
    for frame in (gray, logrank):
        if frame is not None:
            for g in frame["group"].astype(str):
                if g not in factors:
                    factors.append(g)
    if not factors:
        return None
    header = ["Factor"]
    if gray is not None:
        header += [f"Gray's test, {lvl('cause', own)}: \u03c7\u00b2 (df)", "p"]
    if logrank is not None:
        header += ["Log-rank: \u03c7\u00b2 (df)", "p"]
    rows = []
    for f in factors:
        row = [var(f)]
        for frame in (gray, logrank):
            if frame is None:
                continue
            sel = frame[(frame["group"].astype(str) == f)]
            if "cause" in sel:
                sel = sel[sel["cause"] == own]
            if sel.empty:
                row += [EN_DASH, ""]
                continue
            r = sel.iloc[0]
            row += [f"{num(r['statistic'], 2)} ({whole(r['df'])})", pvalue(r["p_value"])]
        rows.append(tuple(row))
    return Table(
        caption=f"Tests of each baseline factor against {lvl('outcome', outcome)}",
        header=tuple(header),
        rows=tuple(rows),
        note="Gray's test compares the cumulative incidence of the cause across the factor's "
        "levels in the presence of the competing causes; the log-rank test compares the "
        "cause's hazard with the other ends censored. One test per factor, without adjustment "
        "for the other factors or for multiple testing.",
        anchor=anchor,
    )


def survival_part(inp: Inputs) -> Part:
    """The time-to-event results by outcome."""
    models = inp.family("survival")
    if not models:
        return Part([])
    blocks: list[Block] = [Heading("Time to event", 3, "results-survival")]
    outcomes: list[str] = []
    for m in models:
        o = str(m.metrics.get("outcome") or inp.entry(m.name).get("outcome") or "")
        if o and o not in outcomes:
            outcomes.append(o)
    outcomes.sort(key=lambda o: (OUTCOME_ORDER.index(o) if o in OUTCOME_ORDER else 99, o))
    items: dict[str, str] = {}
    for outcome in outcomes:
        members = [
            m for m in models
            if str(m.metrics.get("outcome") or inp.entry(m.name).get("outcome")) == outcome
        ]  # fmt: skip
        anchor = anchor_of("survival", outcome)
        blocks.append(Heading(TITLES.get(outcome, cap(lvl("outcome", outcome))), 4, anchor))
        first = next((m for m in members if m.estimable), members[0])
        blocks.append(Paragraph(definition(outcome, inp.entry(first.name), first.metrics)))
        order = {"cumulative_incidence": 0, "cause_specific_cox": 1, "cox_ph": 2, "kaplan_meier": 3}
        gray = None
        logrank = None
        own = outcome
        for m in sorted(members, key=lambda x: (order.get(x.model, 9), x.name)):
            if not m.usable:
                blocks.append(Paragraph(f"{cap(lvl('outcome', outcome))} ({m.name}): {m.reason}."))
                continue
            if m.model == "cumulative_incidence":
                more, causes = cif_blocks(inp, m, outcome)
                blocks.extend(more)
                gray = m.tables.get("gray_test")
                own = outcome if outcome in causes else (causes[0] if causes else outcome)
            elif m.model in ("cox_ph", "cause_specific_cox") and m.coefficients is not None:
                blocks.extend(cox_blocks(inp, m, outcome, members))
            elif m.model == "kaplan_meier":
                more, logrank = km_blocks(inp, m, outcome)
                blocks.extend(more)
            items.setdefault("12c", "methods-survival")
        table = tests_table(outcome, own, gray, logrank, anchor_of("survival", outcome, "tests"))
        if table is not None:
            blocks.append(table)
    return Part(blocks, {})
