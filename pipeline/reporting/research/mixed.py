"""Results: longitudinal mixed models, one subsection per outcome.

Per outcome a table of the fixed effects as "at the start of treatment" and "change per year"
(every comorbidity with its main effect and its interaction with time), the other covariates,
and the variance components, ICC and random-effects correlation with their profile-likelihood
intervals; and a figure of the model-predicted mean trajectories with and without each
comorbidity, with pointwise 95% bands, over the observed means.

Predicted trajectories are *marginal over the group's own covariates*: for the trajectories
with comorbidity c (and for those without) the design row at time t is averaged over the
group, x(t) = mean_i x_i(t), and the prediction is x(t) b with variance x(t) V x(t)', V the
fixed-effect covariance matrix the mixed family writes (``fixed_effects_covariance.csv``).
The rows come from the family's own design builder
(:func:`pipeline.models.mixed._mixed.build_design`) on the model's analysis set, so the
prediction uses exactly the model's coding. Observed means are those of the measurements of
the same analysis set in half-year bins of time since the start; a bin resting on fewer than
``min_n`` trajectories is not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from pipeline.models.base import ModelError, ModelInputs
from pipeline.models.mixed import _mixed
from pipeline.reporting import figures as fg
from pipeline.reporting.document import Block, FigureBlock, Heading, Paragraph, Table
from pipeline.reporting.research.common import (
    EN_DASH,
    Inputs,
    ModelOutput,
    Part,
    anchor_of,
    count,
    estimate_ci,
    finite,
    interval,
    join_en,
    num,
    p_text,
    pvalue,
    term,
    var,
    var_lower,
    whole,
)
from pipeline.reporting.research.outcomes import mixed_outcome

#: Width of the bins of observed means (years).
BIN_YEARS = 0.5
#: Points of the predicted curves.
GRID_POINTS = 41


def _digits(score: str) -> int:
    return 3 if score.endswith("_index") else 2


def _spec(entry: Mapping[str, Any]) -> _mixed.MixedSpec:
    return _mixed.MixedSpec(
        formula=" ".join(str(entry["formula"]).split()),
        re_formula=str(entry.get("re_formula", "~years")),
        groups=str(entry.get("groups", "trajectory_key")),
        reference_levels=dict(entry.get("reference_levels") or {"sex": "f", "diagnosis": "ssd"}),
        lrt_blocks={},
        engine="profiled",
        ci_level=float(entry.get("ci_level", 0.95)),
    )


def analysis_frame(inp: Inputs, m: ModelOutput) -> pd.DataFrame | None:
    """The measurements the model was fitted to (complete cases), or ``None`` when they cannot
    be rebuilt."""
    entry = inp.entry(m.name)
    if "formula" not in entry:
        return None
    try:
        outcome = _mixed.outcome_of(str(entry["formula"]))
        data = _mixed.build_mixed_analysis_set(
            ModelInputs(inp.scores, inp.trajectories, seed=0),
            outcome,
            instrument=entry.get("instrument"),
            ended_only=bool(entry.get("ended_only", False)),
        )
        design = _mixed.build_design(data.frame, _spec(entry))
    except ModelError:
        return None
    return design.frame


def predicted(
    inp: Inputs, m: ModelOutput, frame: pd.DataFrame, flag: str, grid: np.ndarray
) -> dict[str, dict[str, np.ndarray]] | None:
    """Marginal predicted means with 95% Wald bands for trajectories without (0) and with (1)
    ``flag``; ``None`` when the design cannot be matched to the fitted coefficients."""
    cov = m.tables.get(_mixed.COVARIANCE_TABLE)
    if cov is None or m.coefficients is None:
        return None
    names = [str(c) for c in cov.columns if c != "term"]
    coef = m.coefficients.set_index(m.coefficients["term"].astype(str))
    if not set(names) <= set(coef.index):
        return None
    beta = coef.loc[names, "estimate"].to_numpy(dtype=float)
    v = cov[names].to_numpy(dtype=float)
    first = frame.drop_duplicates("trajectory_key")
    stacked = pd.concat([first.assign(years=0.0), first.assign(years=1.0)], ignore_index=True)
    try:
        design = _mixed.build_design(stacked, _spec(inp.entry(m.name)))
    except ModelError:
        return None
    if list(design.x_names) != names:
        return None
    n = len(first)
    x0, x1 = design.x[:n], design.x[n:]
    flags = pd.to_numeric(first[flag], errors="coerce").to_numpy()
    z = float(stats.norm.ppf(0.975))
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, value in (("without", 0), ("with", 1)):
        mask = flags == value
        if not mask.any():
            return None
        a = x0[mask].mean(axis=0)
        b = x1[mask].mean(axis=0) - a
        rows = a[None, :] + grid[:, None] * b[None, :]
        mean = rows @ beta
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", rows, v, rows), 0.0))
        out[key] = {"mean": mean, "low": mean - z * se, "high": mean + z * se}
    return out


def observed_means(frame: pd.DataFrame, outcome: str, flag: str, min_n: int) -> pd.DataFrame:
    """Observed means with t intervals per half-year bin and group, bins with at least
    ``min_n`` trajectories in the group."""
    bins = np.round(frame["years"].to_numpy(dtype=float) / BIN_YEARS) * BIN_YEARS
    data = pd.DataFrame(
        {
            "group": pd.to_numeric(frame[flag], errors="coerce"),
            "bin": bins,
            "y": frame[outcome].to_numpy(dtype=float),
            "trajectory": frame["trajectory_key"].to_numpy(),
        }
    ).dropna()
    rows = []
    for key, part in data.groupby(["group", "bin"], sort=True):
        group, centre = (float(k) for k in key)  # type: ignore[arg-type]
        if part["trajectory"].nunique() < min_n or len(part) < 2:
            continue
        mean = float(part["y"].mean())
        half = float(
            stats.t.ppf(0.975, len(part) - 1) * part["y"].std(ddof=1) / math.sqrt(len(part))
        )
        rows.append(
            {
                "group": int(group),
                "years": float(centre),
                "mean": mean,
                "low": mean - half,
                "high": mean + half,
                "n": len(part),
            }  # fmt: skip
        )
    return pd.DataFrame(rows, columns=["group", "years", "mean", "low", "high", "n"])


def _interactions(m: ModelOutput) -> list[str]:
    assert m.coefficients is not None
    return [
        t.split(":", 1)[1]
        for t in m.coefficients["term"].astype(str)
        if t.startswith("years:") and t.count(":") == 1
    ]


def figure(inp: Inputs, m: ModelOutput, anchor: str) -> FigureBlock | None:
    """Predicted trajectories by comorbidity with bands over the observed means."""
    frame = analysis_frame(inp, m)
    if frame is None or frame.empty:
        return None
    outcome = str(m.metrics.get("outcome"))
    flags = [f for f in _interactions(m) if f in frame.columns]
    if not flags:
        return None
    panels = []
    last = 0.0
    observed = {}
    for flag in flags:
        obs = observed_means(frame, outcome, flag, inp.min_n)
        observed[flag] = obs
        if len(obs):
            both = obs.groupby("years")["group"].nunique()
            if (both == 2).any():
                last = max(last, float(both[both == 2].index.max()))
    last = max(last, 1.0)
    grid = np.linspace(0.0, last, GRID_POINTS)
    for flag in flags:
        lines = predicted(inp, m, frame, flag, grid)
        if lines is None:
            return None
        obs = observed[flag]
        panels.append(
            {
                "title": var(flag),
                "years": grid,
                **lines,
                "observed": obs[obs["years"] <= last + 1e-9],
            }
        )
    ylabel = var(outcome)
    cols = 4 if len(panels) > 6 else 3
    rows = math.ceil(len(panels) / cols)

    def draw(fig: Figure) -> None:
        axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
        fg.model_trajectories(
            list(axes), panels, xlabel="Years since start", ylabel=ylabel,
            labels=("without", "with the comorbidity"),
        )  # fmt: skip

    return FigureBlock(
        f"{ylabel}: model-predicted mean trajectories without (solid) and with (dashed) each "
        "comorbidity, averaged over the covariates of each group, with pointwise 95% "
        "confidence bands (Wald, fixed-effect covariance), over the observed means with 95% "
        f"intervals in half-year bins (open symbols; bins with fewer than {inp.min_n} "
        "trajectories not drawn).",
        7.2,
        1.9 * rows + 0.5,
        draw,
        alt=f"Predicted and observed {ylabel} over years since start, with and without "
        + join_en([var_lower(f) for f in flags])
        + ".",
        anchor=anchor,
    )


def table(m: ModelOutput, anchor: str) -> Table:
    """Fixed effects (at start, per year) and variance components with intervals."""
    assert m.coefficients is not None
    outcome = str(m.metrics.get("outcome"))
    d = _digits(outcome)
    refs = dict(m.metrics.get("reference_levels") or {})
    coef = m.coefficients.set_index(m.coefficients["term"].astype(str))

    def est(t: str, digits: int = d) -> tuple[str, str]:
        if t not in coef.index:
            return EN_DASH, ""
        r = coef.loc[t]
        return estimate_ci(r["estimate"], r["ci_low"], r["ci_high"], digits), pvalue(r["p_value"])

    rows: list[tuple[str, ...]] = []
    rows.append(("Reference group (intercept; time)", *est("Intercept"), *est("years")))
    flags = _interactions(m)
    for flag in flags:
        rows.append((var(flag), *est(flag), *est(f"years:{flag}")))
    for t in coef.index:
        if t in ("Intercept", "years") or t in flags or t.startswith(("years:", "var(", "cov(")):
            continue
        digits = 3 if "[T." not in t else d
        rows.append((term(t, refs), *est(t, digits), "", ""))
    rows.append(("Variance components", "", "", "", ""))
    for t in coef.index:
        if t.startswith(("var(", "cov(")):
            r = coef.loc[t]
            rows.append(
                (
                    f"   {term(t)}",
                    estimate_ci(r["estimate"], r["ci_low"], r["ci_high"], d),
                    "",
                    "",
                    "",
                )  # fmt: skip
            )
    icc = m.metrics.get("icc") or {}
    if finite(icc.get("value")):
        rows.append(
            (
                f"   {term('icc')}",
                estimate_ci(icc["value"], icc.get("ci_low"), icc.get("ci_high"), 2),
                "",
                "",
                "",
            )  # fmt: skip
        )
    correlations = m.metrics.get("random_effects_correlation") or {}
    cis = m.metrics.get("random_effects_correlation_ci") or {}
    for name, value in correlations.items():
        if finite(value):
            ci = cis.get(name) or {}
            rows.append(
                (
                    f"   {term(name)}",
                    estimate_ci(value, ci.get("ci_low"), ci.get("ci_high"), 2),
                    "",
                    "",
                    "",
                )  # fmt: skip
            )
    unit = "index units" if outcome.endswith("_index") else "points"
    return Table(
        caption=f"{var(outcome)}: linear mixed model, fixed effects and variance components",
        header=("", "At the start of treatment (95% CI)", "p", "Change per year (95% CI)", "p"),
        rows=tuple(rows),
        note=f"Estimates in {unit}. First row: the mean at the start and the yearly change of "
        "the reference group (no comorbidity, reference levels of sex and diagnosis, age 0; "
        "the other rows are differences from it). A comorbidity's 'change per year' is its "
        "interaction with time: the difference in the yearly rate of change. Fixed effects: t "
        "intervals and tests on Satterthwaite degrees of freedom; variance components, ICC and "
        "correlation: profile-likelihood intervals. ICC: share of the variance at the start "
        "that lies between trajectories.",
        anchor=anchor,
    )


def _paragraph(m: ModelOutput, table_anchor: str, figure_anchor: str | None, min_n: int) -> str:
    met = m.metrics
    outcome = str(met.get("outcome"))
    text = (
        f"{{table:{table_anchor}}} gives the model of the {var_lower(outcome)}: "
        f"{count(met.get('n_measurements', 0), min_n)} measurements of "
        f"{count(met.get('n_trajectories', 0), min_n)} trajectories"
        + (f" ({count(met['n_clients'], min_n)} clients)" if finite(met.get("n_clients")) else "")
        + "."
    )
    if met.get("refitted_without"):
        why = {
            "not identifiable": "there were no more measurements than random effects, so "
            "random slopes were not identifiable (lme4 would stop)",
            "singular": "the fit with random slopes was singular",
        }.get(str(met.get("refit_reason")), "the requested fit failed")
        text += (
            f" The model has a random intercept per trajectory only: {why}; the variance of "
            "individual rates of change is therefore not estimated, and the intervals of the "
            "time effects assume that it is small."
        )
    for name, lrt in sorted((met.get("likelihood_ratio_tests") or {}).items()):
        f = lrt.get("f_test") or {}
        words = (
            "comorbidity \u00d7 time interactions" if "x_time" in name else name.replace("_", " ")
        )
        text += (
            f" Together, the {len(lrt.get('terms') or [])} {words} improve the fit: "
            f"likelihood-ratio \u03c7\u00b2({whole(lrt.get('df'))}) = {num(lrt.get('chi2'), 1)}, "
            f"{p_text(lrt.get('p_value'))}"
        )
        if finite(f.get("f")):
            text += (
                f"; Satterthwaite F({whole(f.get('num_df'))}, {whole(f.get('den_df'))}) = "
                f"{num(f.get('f'), 1)}, {p_text(f.get('p_value'))}"
            )
        text += "."
        if finite(lrt.get("p_value")) and float(lrt["p_value"]) >= 0.05:
            text = text[:-1] + " (no evidence that they do)."
            text = text.replace("improve the fit:", "were tested:")
    icc = met.get("icc") or {}
    if finite(icc.get("value")):
        text += (
            f" Between-trajectory differences account for "
            f"{num(100 * float(icc['value']), 0)}% of the variance at the start (ICC "
            f"{num(icc['value'], 2)}"
            + (
                f", 95% CI {interval(icc.get('ci_low'), icc.get('ci_high'), 2)})."
                if finite(icc.get("ci_low")) and finite(icc.get("ci_high"))
                else ")."
            )
        )
    if figure_anchor:
        text += f" {{figure:{figure_anchor}}} shows the predicted trajectories."
    return text


def mixed_part(inp: Inputs) -> Part:
    """The longitudinal results: one subsection per mixed-model entry."""
    models = sorted(
        inp.family("mixed"),
        key=lambda m: (str(m.metrics.get("outcome")) != "ssd12_total", m.name),
    )
    if not models:
        return Part([])
    blocks: list[Block] = [
        Heading("Course of the outcomes during treatment", 3, "results-mixed"),
    ]
    usable = 0
    for m in models:
        outcome = mixed_outcome(m) if m.fitted and m.metrics.get("outcome") else None
        title = outcome.short if outcome else m.name
        anchor = anchor_of("mixed", m.name)
        blocks.append(Heading(title, 4, anchor))
        if not m.usable or m.coefficients is None:
            blocks.append(Paragraph(f"{m.reason}."))
            continue
        usable += 1
        table_anchor = anchor_of(m.name, "table")
        fig = figure(inp, m, anchor_of(m.name, "figure"))
        blocks.append(
            Paragraph(_paragraph(m, table_anchor, fig.anchor if fig else None, inp.min_n))
        )
        blocks.append(table(m, table_anchor))
        if fig is not None:
            blocks.append(fig)
        else:
            blocks.append(
                Paragraph(
                    "No trajectory figure: the model's design could not be rebuilt from the "
                    "analysis set (the fixed-effect covariance file or a matching design is "
                    "missing)."
                )
            )
    return Part(blocks, {"12d": "methods-mixed"} if usable else {})


__all__ = ["mixed_part", "predicted", "observed_means", "table", "figure"]
