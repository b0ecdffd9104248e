"""The research report (English): pure sections from the processed tables and model outputs.

Population: trajectories with research consent (docs/methods.md). Sections: participant flow
(TRIPOD+AI 20a), Table 1 by comorbidity with missingness (20b), response status and how
completers differ from non-completers, one section per configured model by family (mixed,
prediction, survival; a model whose outputs do not exist yet is listed as not available), a
TRIPOD+AI checklist pointing at the sections, and limitations derived from the data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.instruments.catalogue import INSTRUMENTS
from pipeline.reporting import figures as fg
from pipeline.reporting.annual import END_ONLY_INSTRUMENTS
from pipeline.reporting.document import (
    Block,
    BulletList,
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
)

COMORBIDITIES: tuple[str, ...] = (
    "cfs",
    "comorbid_asd",
    "comorbid_ptsd",
    "comorbid_personality",
    "comorbid_mild_id",
    "comorbid_opioid",
    "comorbid_childhood_trauma",
    "comorbid_depression",
    "comorbid_anxiety",
)
LABELS: dict[str, str] = {
    "cfs": "CFS",
    "comorbid_asd": "ASD",
    "comorbid_ptsd": "PTSD",
    "comorbid_personality": "Personality disorder",
    "comorbid_mild_id": "Mild ID",
    "comorbid_opioid": "Opioid dependence",
    "comorbid_childhood_trauma": "Childhood trauma",
    "comorbid_depression": "Depression",
    "comorbid_anxiety": "Anxiety disorder",
}
#: Extra tables (``data/models/<name>/<table>.csv``) each family's section renders itself;
#: any other table a model writes reaches the report through :func:`extra_tables`.
FAMILY_TABLES: dict[str, frozenset[str]] = {
    "mixed": frozenset(),
    "prediction": frozenset({"calibration", "calibration_curve", "decision_curve", "subgroups"}),
    "survival": frozenset(
        {"km_table", "risk_table", "logrank", "ph_test", "cif_table", "gray_test"}
    ),
}
#: Tables with one row per trajectory or event: never printed in a report.
PER_OBSERVATION_TABLES: frozenset[str] = frozenset({"predictions", "schoenfeld_residuals"})
#: Rows of a generic extra table printed in the report (the rest stays in the CSV).
EXTRA_TABLE_ROWS = 30
#: Column names of counts of people, suppressed below ``min_n`` in generic tables.
COUNT_COLUMNS: frozenset[str] = frozenset(
    {"n", "events", "at_risk", "n_at_risk", "count", "n_events", "censored"}
)
#: A response rate below this is flagged as a limitation.
LOW_RESPONSE = 0.5
#: A share of missing values above this is flagged as a limitation.
HIGH_MISSING = 0.10


@dataclass(frozen=True)
class ModelOutput:
    """What one ``data/models/<name>/`` folder holds (``metrics`` empty when not yet fitted)."""

    name: str
    family: str
    model: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    coefficients: pd.DataFrame | None = None
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)


def _f(value: Any, digits: int = 2) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.{digits}f}"


def _p(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _p_relation(value: Any) -> str:
    """``= 0.052`` or ``< 0.001``, for p in running text."""
    shown = _p(value)
    return f"< {shown[1:]}" if shown.startswith("<") else f"= {shown}"


def _ci(low: Any, high: Any, digits: int) -> str:
    """``low to high``, or ``-`` when the interval is not available (variance components)."""
    if low is None or high is None or not all(math.isfinite(float(v)) for v in (low, high)):
        return "-"
    return f"{_f(low, digits)} to {_f(high, digits)}"


def consenting(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Trajectories with research consent."""
    return trajectories[trajectories["research_consent"].fillna(0).astype(int) == 1]


def flow(trajectories: pd.DataFrame, models: Sequence[ModelOutput]) -> Table:
    """Participant flow: referred -> consent -> ended -> completers per instrument -> analysed."""
    all_n = len(trajectories)
    cons = consenting(trajectories)
    ended = cons[cons["status"] == "ended"]
    rows: list[tuple[str, ...]] = [
        ("Trajectories in the export (referred and started)", str(all_n), ""),
        (
            "With research consent",
            str(len(cons)),
            f"{all_n - len(cons)} without consent excluded",
        ),
        ("Ended", str(len(ended)), f"{len(cons) - len(ended)} ongoing at the export date"),
    ]
    for instrument in INSTRUMENTS:
        column = f"response_{instrument}"
        if column not in ended:
            continue
        status = ended[column].astype("string").fillna("none")
        counts = status.value_counts()
        reasons = ", ".join(
            f"{int(counts.get(s, 0))} {s.replace('_', '-')}"
            for s in ("pre_only", "post_only", "none")
        )
        if instrument in END_ONLY_INSTRUMENTS:
            rows.append(
                (
                    f"  With an end measurement {instrument} (end only)",
                    str(int(counts.get("post_only", 0))),
                    f"not: {int(counts.get('none', 0))} none",
                )
            )
            continue
        rows.append(
            (f"  Completers {instrument}", str(int(counts.get("completer", 0))), f"not: {reasons}")
        )
    for m in models:
        n = m.metrics.get("n_trajectories", m.metrics.get("n"))
        if n is None:
            continue
        aset = m.metrics.get("analysis_set") or {}
        detail = ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in sorted(aset.items()) if v is not None
        )
        rows.append((f"  Analysed: {m.name} ({m.family})", str(n), detail))
    return Table(
        caption="Table 1. Participant flow (TRIPOD+AI 20a)",
        header=("Step", "n", "Reasons / detail"),
        rows=tuple(rows),
        anchor="flow",
    )


def _describe(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(row label, formatted value) for one column group of Table 1."""
    n = len(frame)
    out = [("n", str(n))]
    age = frame["age_at_start"].astype("Float64")
    out.append(("Age, mean (SD)", f"{age.mean():.1f} ({age.std():.1f})" if n > 1 else "-"))
    for sex in ("f", "m", "x"):
        k = int((frame["sex"] == sex).sum())
        out.append((f"Sex {sex}, n (%)", f"{k} ({100 * k / n:.0f}%)" if n else "-"))
    for dx in ("ssd", "fnd", "illness_anxiety", "other"):
        k = int((frame["diagnosis"] == dx).sum())
        out.append((f"Diagnosis {dx}, n (%)", f"{k} ({100 * k / n:.0f}%)" if n else "-"))
    dur = frame["symptom_duration_years"].astype("Float64")
    out.append(
        (
            "Symptom duration (y), median [IQR]",
            f"{dur.median():.1f} [{dur.quantile(0.25):.1f}-{dur.quantile(0.75):.1f}]"
            if dur.notna().any()
            else "-",
        )
    )
    prior = frame["prior_treatments"].astype("Float64")
    out.append(("Prior treatments, mean (SD)", f"{prior.mean():.1f} ({prior.std():.1f})"))
    for score, digits in (("ssd12_total", 1), ("eq5d5l_index", 3), ("eq5d_vas", 1)):
        x = frame[f"{score}_intake"].astype("Float64")
        out.append(
            (f"{score} at intake, mean (SD)", f"{x.mean():.{digits}f} ({x.std():.{digits}f})")
        )
    return out


MISSING_COLUMNS: tuple[str, ...] = (
    "age_at_start",
    "sex",
    "diagnosis",
    *COMORBIDITIES,
    "symptom_duration_years",
    "prior_treatments",
    "ssd12_total_intake",
    "eq5d5l_index_intake",
    "eq5d_vas_intake",
)


def table1(trajectories: pd.DataFrame) -> Table:
    """Baseline characteristics overall and by comorbidity (consenting trajectories)."""
    cons = consenting(trajectories)
    groups: dict[str, pd.DataFrame] = {"All": cons}
    for c in COMORBIDITIES:
        groups[LABELS[c]] = cons[cons[c].fillna(0).astype(int) == 1]
    described = {k: _describe(v) for k, v in groups.items()}
    labels = [row[0] for row in described["All"]]
    rows = tuple((label, *(described[g][i][1] for g in groups)) for i, label in enumerate(labels))
    return Table(
        caption="Table 2. Baseline characteristics by comorbidity (research consent)",
        header=("", *groups),
        rows=rows,
        note="Columns after 'All' are overlapping subgroups (a trajectory can have several "
        "comorbidities). Missing values are left out of each summary; see Table 3.",
        anchor="table1",
    )


def missing_table(trajectories: pd.DataFrame) -> Table:
    """Missing values per variable, overall and by response status on the SSD-12 (20b)."""
    cons = consenting(trajectories)
    status = cons["response_ssd12"].astype("string").fillna("none")
    levels = ["completer", "pre_only", "post_only", "none", "ongoing"]
    rows = []
    for column in MISSING_COLUMNS:
        if column not in cons:
            continue
        miss = cons[column].isna()
        cells = [f"{int(miss.sum())} ({100 * miss.mean():.1f}%)"]
        for level in levels:
            sub = miss[status == level]
            cells.append(f"{int(sub.sum())}/{len(sub)}")
        rows.append((column, *cells))
    return Table(
        caption="Table 3. Missing values per variable, overall and by SSD-12 response status "
        "(TRIPOD+AI 20b)",
        header=("Variable", "Missing, n (%)", *levels),
        rows=tuple(rows),
        anchor="missing",
    )


def response_table(trajectories: pd.DataFrame) -> Table:
    """Response status per instrument among ended consenting trajectories."""
    ended = consenting(trajectories)
    ended = ended[ended["status"] == "ended"]
    n = len(ended)
    rows = []
    for instrument in INSTRUMENTS:
        column = f"response_{instrument}"
        if column not in ended:
            continue
        counts = ended[column].astype("string").fillna("none").value_counts()
        completers = int(counts.get("completer", 0))
        if instrument in END_ONLY_INSTRUMENTS:
            completers = int(counts.get("post_only", 0)) + completers
        rows.append(
            (
                instrument,
                *(
                    str(int(counts.get(s, 0)))
                    for s in ("completer", "pre_only", "post_only", "none")
                ),
                f"{100 * completers / n:.1f}%" if n else "-",
            )
        )
    return Table(
        caption=f"Table 4. Response status per instrument, ended trajectories (n = {n})",
        header=("Instrument", "completer", "pre-only", "post-only", "none", "Response rate"),
        rows=tuple(rows),
        note="Response rate = completers / ended (for the CQ-index, measured at the end only: "
        "an end measurement).",
        anchor="response",
    )


def response_rates(trajectories: pd.DataFrame) -> dict[str, float]:
    """Completers / ended per pre-post instrument (consenting trajectories); the EQ-5D-3L, run
    beside the 5L in the early years only, is left out."""
    ended = consenting(trajectories)
    ended = ended[ended["status"] == "ended"]
    out = {}
    for instrument in INSTRUMENTS:
        column = f"response_{instrument}"
        if instrument in END_ONLY_INSTRUMENTS | {"eq5d3l"} or column not in ended or not len(ended):
            continue
        out[instrument] = float((ended[column].astype("string") == "completer").mean())
    return out


def _smd(a: pd.Series, b: pd.Series) -> float:
    a = a.dropna().astype(float)
    b = b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pooled = math.sqrt((a.var() + b.var()) / 2)
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else float("nan")


def completer_comparison(trajectories: pd.DataFrame) -> Table:
    """SSD-12 completers versus non-completers (pre-only) at baseline: means and SMDs."""
    ended = consenting(trajectories)
    ended = ended[ended["status"] == "ended"]
    status = ended["response_ssd12"].astype("string")
    comp = ended[status == "completer"]
    non = ended[status == "pre_only"]
    variables = [
        "age_at_start",
        "symptom_duration_years",
        "prior_treatments",
        "ssd12_total_intake",
        "eq5d5l_index_intake",
        "eq5d_vas_intake",
        *COMORBIDITIES,
    ]
    rows = []
    for v in variables:
        a, b = comp[v].astype("Float64"), non[v].astype("Float64")
        rows.append((v, _f(a.mean()), _f(b.mean()), _f(_smd(a, b))))
    dropout_a = float((comp["end_reason"] == "dropout").mean()) if len(comp) else float("nan")
    dropout_b = float((non["end_reason"] == "dropout").mean()) if len(non) else float("nan")
    rows.append(("end_reason = dropout (share)", _f(dropout_a), _f(dropout_b), "-"))
    return Table(
        caption=f"Table 5. SSD-12 completers (n = {len(comp)}) versus non-completers with an "
        f"intake only (n = {len(non)}): baseline means (shares for 0/1 flags)",
        header=("Variable", "Completers", "Pre-only", "SMD"),
        rows=tuple(rows),
        note="SMD = standardised mean difference (pooled SD); |SMD| > 0.1 is a notable "
        "difference. Change analyses assume missing-at-random given these factors.",
        anchor="completers",
    )


def _coef_table(caption: str, coefficients: pd.DataFrame, anchor: str, hr: bool = False) -> Table:
    rows: list[tuple[str, ...]] = []
    for r in coefficients.to_dict(orient="records"):
        if hr and "hazard_ratio" in r:
            rows.append(
                (
                    str(r["term"]),
                    _f(r["hazard_ratio"]),
                    _ci(r["hr_ci_low"], r["hr_ci_high"], 2),
                    _p(r["p_value"]),
                )
            )
        else:
            rows.append(
                (
                    str(r["term"]),
                    _f(r["estimate"], 3),
                    _f(r["std_error"], 3),
                    _ci(r["ci_low"], r["ci_high"], 3),
                    _p(r["p_value"]),
                )
            )
    header = ("Term", "HR", "95% CI", "p") if hr else ("Term", "Estimate", "SE", "95% CI", "p")
    return Table(caption=caption, header=header, rows=tuple(rows), anchor=anchor)


def _implied_panels(metrics: Mapping[str, Any], trajectories: pd.DataFrame) -> list[dict[str, Any]]:
    fe = metrics.get("fixed_effects") or {}
    if "Intercept" not in fe or "years" not in fe:
        return []
    cons = consenting(trajectories)
    age = float(cons["age_at_start"].astype("Float64").mean())
    grid = np.linspace(0.0, 2.0, 21)
    base = fe["Intercept"]["estimate"] + (fe.get("age_at_start") or {}).get("estimate", 0.0) * age
    slope = fe["years"]["estimate"]
    panels = []
    for c in COMORBIDITIES:
        if c not in fe:
            continue
        inter = fe.get(f"years:{c}", {}).get("estimate", 0.0)
        panels.append(
            {
                "title": LABELS[c],
                "years": grid,
                "without": base + slope * grid,
                "with": base + fe[c]["estimate"] + (slope + inter) * grid,
            }
        )
    return panels


def mixed_section(m: ModelOutput, trajectories: pd.DataFrame, number: int) -> list[Block]:
    """Fixed effects, variance components, ICC, LRT and model-implied trajectories."""
    met = m.metrics
    out: list[Block] = [Heading(f"Mixed model: {m.name} ({met.get('outcome', '')})", 3, m.name)]
    usable, converged = bool(met.get("usable")), bool(met.get("converged"))
    status = (
        "converged and usable"
        if usable and converged
        else "NOT usable: estimates are shown for diagnosis only and must not be interpreted"
        if not usable
        else "usable but flagged: see warnings"
    )
    out.append(
        Paragraph(
            f"{met.get('method', 'REML')} fit ({met.get('engine', '')}): {status}. "
            f"n = {met.get('n_clients', '-')} clients, {met.get('n_trajectories', '-')} "
            f"trajectories, {met.get('n_measurements', '-')} measurements. ICC "
            f"{_f(met.get('icc', {}).get('value'), 3)} "
            f"({met.get('icc', {}).get('definition', '')}). Warnings: "
            f"{'; '.join(met.get('warnings', [])) or 'none'}."
        )
    )
    for name, lrt in sorted((met.get("likelihood_ratio_tests") or {}).items()):
        out.append(
            Paragraph(
                f"Likelihood-ratio test (ML) of the block {name}: chi2 = {_f(lrt.get('chi2'))}, "
                f"df = {lrt.get('df')}, p {_p_relation(lrt.get('p_value'))}."
            )
        )
    if m.coefficients is not None and usable:
        out.append(
            _coef_table(
                f"Table M{number}. {m.name}: fixed effects (95% CI) and variance components",
                m.coefficients,
                f"{m.name}-coef",
            )
        )
        panels = _implied_panels(met, trajectories)
        if panels:
            outcome = str(met.get("outcome", "outcome"))

            def draw(fig: Figure, panels: list[dict[str, Any]] = panels) -> None:
                axes = fig.subplots(3, 3, sharex=True, sharey=True).ravel()
                fg.model_trajectories(list(axes), panels, xlabel="Years", ylabel=outcome)

            out.append(
                FigureBlock(
                    f"Figure M{number}. {m.name}: model-implied mean {outcome} over years since "
                    "start, without (solid) and with (dashed) each comorbidity; other factors at "
                    "reference levels (female, SSD, no other comorbidity) and mean age.",
                    7.5,
                    6.5,
                    draw,
                )
            )
    elif not usable:
        out.append(Paragraph("No estimates or trajectories are shown for an unusable fit."))
    return out


def prediction_section(m: ModelOutput, number: int) -> list[Block]:
    """Validated performance with CIs, sample size, calibration, decision curve, subgroups."""
    met = m.metrics
    out: list[Block] = [Heading(f"Prediction model: {m.name} ({met.get('target', '')})", 3, m.name)]
    val = met.get("validation") or {}
    out.append(
        Paragraph(
            f"Estimator: {met.get('estimator', m.model)}. Outcome type {met.get('outcome_type')}; "
            f"n = {met.get('n')}"
            + (f", events = {met.get('events')}" if "events" in met else "")
            + f". Validation: {val.get('method')} ({val.get('refits')} refits, resampling unit "
            f"{val.get('resampling_unit')}). Missing data: "
            f"{met.get('missing_data', {}).get('method', '-')}. Intervals: "
            f"{met.get('confidence_intervals', '-')}. Usable: {bool(met.get('usable'))}."
        )
    )
    perf = met.get("performance") or {}
    out.append(
        Table(
            caption=f"Table P{number}. {m.name}: validated performance",
            header=("Measure", "Estimate", "95% CI", "Apparent", "Optimism"),
            rows=tuple(
                (
                    k,
                    _f(v.get("estimate"), 3),
                    _ci(v.get("ci_low"), v.get("ci_high"), 3),
                    _f(v.get("apparent"), 3),
                    _f(v.get("optimism"), 3),
                )
                for k, v in sorted(perf.items())
            ),
            anchor=f"{m.name}-performance",
        )
    )
    ss = met.get("sample_size") or {}
    if ss:
        out.append(
            Paragraph(
                f"Sample size (Riley et al. 2020): minimum n {ss.get('minimum_n', '-')}, "
                f"available {ss.get('n_available', '-')}; sufficient: {ss.get('sufficient', '-')}."
            )
        )
    curve = m.tables.get("calibration_curve")
    if curve is not None and len(curve):
        bins = m.tables.get("calibration")
        dc = m.tables.get("decision_curve")
        label = "risk" if met.get("outcome_type") == "binary" else "change"

        def draw(fig: Figure) -> None:
            axes = fig.subplots(1, 2 if dc is not None else 1, squeeze=False).ravel()
            fg.calibration(axes[0], curve, bins, label=label)
            if dc is not None:
                fg.decision_curve(axes[1], dc)

        out.append(
            FigureBlock(
                f"Figure P{number}. {m.name}: calibration (validated smooth curve, apparent "
                "curve, grouped observed with 95% CI)"
                + (" and decision curve (net benefit with 95% CI)" if dc is not None else "")
                + ".",
                7.5 if dc is not None else 4.0,
                3.6,
                draw,
            )
        )
    sub = m.tables.get("subgroups")
    if sub is not None and len(sub):
        headline = "auc" if met.get("outcome_type") == "binary" else "r2"
        part = sub[sub["measure"] == headline].sort_values(["variable", "level"])
        out.append(
            Table(
                caption=f"Table P{number}b. {m.name}: {headline} per subgroup (TRIPOD+AI 23a)",
                header=("Variable", "Level", "n", "Events", headline, "95% CI"),
                rows=tuple(
                    (
                        str(r.variable),
                        str(r.level),
                        _f(r.n),
                        _events(r.events),
                        _f(r.estimate, 3),
                        _ci(r.ci_low, r.ci_high, 3),
                    )
                    for r in part.itertuples(index=False)
                ),
                note="'-' where n or events are below the subgroup minimum.",
            )
        )
    return out


def _sentence(text: Any) -> str:
    """``text`` as the start of a sentence: first letter upper case, no closing full stop."""
    text = str(text).rstrip(".")
    return text[:1].upper() + text[1:]


def _event_total(events: Any) -> str:
    """Events as printed in a section's first line: a count, or the total over causes."""
    if isinstance(events, Mapping):
        return f"{sum(int(v) for v in events.values())} (all causes; by cause below)"
    return "-" if events is None else str(events)


def _cif_blocks(m: ModelOutput, number: int, min_n: int) -> list[Block]:
    """Cumulative incidence (Aalen-Johansen) of every cause, overall, with numbers at risk;
    the incidence at the landmarks; Gray's test of each factor for each cause.

    Curves stop where fewer than ``min_n`` trajectories remain at risk, and numbers at risk
    below ``min_n`` are not printed.
    """
    met = m.metrics
    out: list[Block] = []
    events = met.get("events", {}) if isinstance(met.get("events"), Mapping) else {}
    causes = [str(c) for c in met.get("causes", []) if events.get(c, 0)]
    out.append(
        Paragraph(
            f"Estimand: {met.get('estimand', 'cumulative incidence of each cause')}. "
            + "Events by cause: "
            + ", ".join(f"{c} {events.get(c, 0)}" for c in met.get("causes", []))
            + f"; censored {met.get('censored', '-')}. Intervals: "
            f"{met.get('confidence_interval', '-')}."
        )
    )
    cif = m.tables.get("cif_table")
    risk = m.tables.get("risk_table")
    if cif is not None and risk is not None and causes:
        overall = cif[(cif["group"] == "all") & cif["n_at_risk"].ge(min_n)]
        curves = {
            c: overall[overall["cause"] == c].rename(columns={"cif": "survival"}) for c in causes
        }
        at_risk = risk[risk["group"] == "all"][["time", "n_at_risk"]]
        at_risk = at_risk[at_risk["n_at_risk"].ge(min_n)]

        def draw(fig: Figure) -> None:
            ax, risk_ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 0.7]})
            fg.kaplan_meier(
                ax,
                risk_ax,
                curves,
                {"all": at_risk},
                xlabel="Years since start",
                ylabel="Cumulative incidence",
            )

        out.append(
            FigureBlock(
                f"Figure S{number}. {m.name}: cumulative incidence of each cause "
                "(Aalen-Johansen, 95% pointwise CI), numbers at risk below; curves stop where "
                f"fewer than {min_n} remain at risk.",
                7.0,
                4.6,
                draw,
                alt=f"Cumulative incidence curves of {', '.join(causes)} over years since start.",
            )
        )
    if m.coefficients is not None and len(m.coefficients):
        coef = m.coefficients
        rows = []
        for term, est, low, high in coef[["term", "estimate", "ci_low", "ci_high"]].itertuples(
            index=False, name=None
        ):
            label, _, rest = str(term).partition("[")
            cause, _, stratum = rest.rstrip("]").partition("][")
            if stratum != "all" or cause not in causes:
                continue
            years = label.removeprefix("cif_at_").removesuffix("y")
            rows.append((cause, years, f"{_f(100 * est, 1)}%", _ci(100 * low, 100 * high, 1)))
        if rows:
            out.append(
                Table(
                    caption=f"Table S{number}. {m.name}: cumulative incidence at the landmarks",
                    header=("Cause", "Years since start", "Cumulative incidence", "95% CI"),
                    rows=tuple(rows),
                    note="All trajectories of the analysis set; the causes compete, so the "
                    "incidences at one time add up to at most 100%.",
                    anchor=f"{m.name}-landmarks",
                )
            )
    gray = m.tables.get("gray_test")
    if gray is not None and len(gray) and causes:
        main = causes[0]
        sel = gray[gray["cause"] == main]
        out.append(
            Table(
                caption=f"Table S{number}b. {m.name}: Gray's test of each factor ({main})",
                header=("Factor", "Chi-square", "df", "p"),
                rows=tuple(
                    (LABELS.get(str(g), str(g)), _f(stat), _f(df, 0), _p(p))
                    for g, stat, df, p in sel[["group", "statistic", "df", "p_value"]].itertuples(
                        index=False, name=None
                    )
                ),
                note="Equality of the cumulative incidence of the cause across the factor's "
                "levels (Gray 1988).",
                anchor=f"{m.name}-gray",
            )
        )
    return out


def survival_section(m: ModelOutput, number: int, min_n: int = 10) -> list[Block]:
    """Kaplan-Meier curves with numbers at risk, cumulative incidence, or a Cox table with the
    PH test."""
    met = m.metrics
    out: list[Block] = [Heading(f"Survival: {m.name} ({met.get('outcome', '')})", 3, m.name)]
    out.append(
        Paragraph(
            f"{_sentence(met.get('definition', ''))}. n = {met.get('n', '-')}, events = "
            f"{_event_total(met.get('events'))}; time unit: {met.get('time_unit', '-')}. Warnings: "
            f"{'; '.join(met.get('warnings', [])) or 'none'}."
        )
    )
    if m.model == "kaplan_meier":
        km = m.tables.get("km_table")
        risk = m.tables.get("risk_table")
        if km is not None and risk is not None:
            groups = ["all"]
            if "comorbid_opioid" in set(km["group"]):
                groups = ["comorbid_opioid"]
            curves = {}
            risks = {}
            for g in groups:
                for level in sorted(set(km.loc[km["group"] == g, "level"].astype(str))):
                    label = "all" if g == "all" else f"{LABELS.get(g, g)} = {level}"
                    sel = (km["group"] == g) & (km["level"].astype(str) == level)
                    curves[label] = km[sel]
                    rsel = (risk["group"] == g) & (risk["level"].astype(str) == level)
                    risks[label] = risk[rsel]

            def draw(fig: Figure) -> None:
                ax, risk_ax = fig.subplots(
                    2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 0.4 + 0.3 * len(risks)]}
                )
                fg.kaplan_meier(
                    ax, risk_ax, curves, risks, xlabel="Years since start", ylabel="Not yet event"
                )

            out.append(
                FigureBlock(
                    f"Figure S{number}. {m.name}: Kaplan-Meier curves (95% pointwise CI) by "
                    f"{', '.join(LABELS.get(g, g) for g in groups)}, numbers at risk below.",
                    7.0,
                    4.6,
                    draw,
                )
            )
        strata = met.get("strata") or {}
        out.append(
            Table(
                caption=f"Table S{number}. {m.name}: medians and log-rank tests",
                header=("Stratum", "n", "Events", "Median (95% CI)", "Log-rank p"),
                rows=tuple(
                    (
                        k,
                        _f(v.get("n")),
                        _f(v.get("events")),
                        "not reached"
                        if v.get("median") is None
                        else f"{_f(v.get('median'))} ({_f(v.get('median_ci_low'))} to "
                        f"{_f(v.get('median_ci_high'))})",
                        _p((met.get("logrank") or {}).get(k.split("=")[0], {}).get("p_value"))
                        if "=" in k
                        else "",
                    )
                    for k, v in sorted(strata.items())
                ),
                note="Medians in years. Not reached: the curve stays above 0.5; '-' for a "
                "confidence limit: not estimable.",
            )
        )
    elif m.model == "cumulative_incidence":
        out.extend(_cif_blocks(m, number, min_n))
    elif m.coefficients is not None:
        ph = met.get("proportional_hazards") or {}
        glob = ph.get("global") or {}
        out.append(
            Paragraph(
                f"Concordance {_f(met.get('concordance'), 3)} "
                f"({met.get('concordance_definition', '')}). Proportional hazards, global test: "
                f"chi2 = {_f(glob.get('statistic'))}, df = {glob.get('df')}, p = "
                f"{_p(glob.get('p_value'))} ({ph.get('method', '')})."
            )
        )
        out.append(
            _coef_table(
                f"Table S{number}. {m.name}: hazard ratios (95% CI)",
                m.coefficients,
                f"{m.name}-coef",
                hr=True,
            )
        )
    return out


TRIPOD: tuple[tuple[str, str, str], ...] = (
    ("1", "Title", "Report title"),
    ("2", "Abstract", "Not part of this generated report (written for the paper)"),
    ("3a-b", "Background and objectives", "Methods overview"),
    ("4", "Source of data", "Methods overview; Provenance"),
    ("5a-b", "Participants and setting", "Participant flow (#flow); Table 2 (#table1)"),
    ("6", "Data preparation", "Methods overview (scoring options); Provenance"),
    ("7", "Outcome", "Prediction sections (target) and Methods overview"),
    ("8", "Predictors", "Prediction sections (predictor list in metrics)"),
    ("9", "Sample size", "Prediction sections (Riley et al. minimum)"),
    ("10", "Missing data", "Table 3 (#missing); prediction sections (method)"),
    ("11", "Analytical methods", "Prediction sections (validation, intervals)"),
    ("12", "Class imbalance", "Prediction sections (events, event rate)"),
    ("13", "Fairness", "Subgroup tables in the prediction sections"),
    ("14", "Model output", "Prediction sections"),
    ("15", "Training versus evaluation", "Prediction sections (validation method)"),
    ("16", "Ethical approval", "Not part of this generated report"),
    ("17-19", "Open science, patient involvement", "Not part of this generated report"),
    ("20a", "Participants (flow)", "Table 1 (#flow)"),
    ("20b", "Characteristics, missing data", "Tables 2-3 (#table1, #missing)"),
    ("20c", "Comparison of development data", "Table 5 (#completers)"),
    ("21", "Model development (n, events)", "Prediction sections"),
    ("22", "Model specification", "Prediction sections; data/models/<name>/coefficients.csv"),
    ("23a", "Model performance (with CIs, subgroups)", "Prediction sections"),
    ("23b", "Heterogeneity", "Subgroup tables in the prediction sections"),
    ("24", "Model updating", "Not applicable (development only)"),
    ("25-27", "Discussion: interpretation, limitations, usability", "Limitations (#limitations)"),
)


def _cell(value: Any, column: str, min_n: int) -> str:
    """A generic table cell: counts of people under ``min_n`` suppressed, floats rounded."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    is_count = column in COUNT_COLUMNS or column.startswith("n_") or column.endswith("_n")
    if is_count and isinstance(value, int | float | np.integer | np.floating):
        if 0 < float(value) < min_n:
            return f"<{min_n}"
        return _f(value, 0)
    if isinstance(value, float | np.floating):
        return _f(value, 3)
    return str(value)


def extra_tables(m: ModelOutput, min_n: int) -> list[Block]:
    """Every table of ``m`` that its family's section does not render, as a plain table.

    This is how a new model's own outputs reach the report without report code: each
    ``data/models/<name>/<table>.csv`` other than ``coefficients``, the family's own tables
    (:data:`FAMILY_TABLES`) and per-observation tables (:data:`PER_OBSERVATION_TABLES`) is
    printed (its first :data:`EXTRA_TABLE_ROWS` rows), with counts of people below ``min_n``
    suppressed.
    """
    shown = FAMILY_TABLES.get(m.family, frozenset()) | PER_OBSERVATION_TABLES
    blocks: list[Block] = []
    for name in sorted(set(m.tables) - shown):
        frame = m.tables[name]
        if frame.empty:
            continue
        head = frame.head(EXTRA_TABLE_ROWS)
        rows = tuple(
            tuple(_cell(v, str(c), min_n) for c, v in zip(head.columns, row, strict=True))
            for row in head.itertuples(index=False, name=None)
        )
        note = (
            f"First {EXTRA_TABLE_ROWS} of {len(frame)} rows; the full table is "
            f"data/models/{m.name}/{name}.csv."
            if len(frame) > EXTRA_TABLE_ROWS
            else f"From data/models/{m.name}/{name}.csv."
        )
        blocks.append(
            Table(
                caption=f"{m.name}: {name.replace('_', ' ')}",
                header=tuple(str(c) for c in frame.columns),
                rows=rows,
                note=note,
                anchor=f"{m.name}-{name}".replace("_", "-"),
            )
        )
    return blocks


def tripod_table(models: Sequence[ModelOutput]) -> Table:
    """TRIPOD+AI checklist pointing to where each item is answered."""
    has_prediction = any(m.family == "prediction" and m.metrics for m in models)
    rows = []
    for item, topic, where in TRIPOD:
        if "Prediction sections" in where and not has_prediction:
            where = where + " (no prediction outputs yet: not answered in this build)"
        rows.append((item, topic, where))
    return Table(
        caption="Table T. TRIPOD+AI checklist (Collins et al. 2024): where each item is answered",
        header=("Item", "Topic", "Where"),
        rows=tuple(rows),
        anchor="tripod",
    )


def limitations(trajectories: pd.DataFrame, models: Sequence[ModelOutput]) -> list[str]:
    """Limitations derived from the data and the fits (sorted, deterministic)."""
    out: list[str] = []
    for instrument, rate in sorted(response_rates(trajectories).items()):
        if rate < LOW_RESPONSE:
            out.append(
                f"Low response on {instrument}: {100 * rate:.0f}% of ended trajectories are "
                "completers; change estimates rest on a selected group (see Table 5)."
            )
    cons = consenting(trajectories)
    for column in MISSING_COLUMNS:
        if column in cons and len(cons):
            share = float(cons[column].isna().mean())
            if share > HIGH_MISSING and not column.endswith("_intake"):
                out.append(f"{column} is missing for {100 * share:.0f}% of trajectories.")
    share_consent = len(cons) / len(trajectories) if len(trajectories) else 1.0
    if share_consent < 0.9:
        out.append(
            f"Only {100 * share_consent:.0f}% of trajectories have research consent; the research "
            "set may differ from the whole clinic population."
        )
    for m in models:
        if not m.metrics:
            out.append(f"{m.name}: no outputs yet; its section is missing from this report.")
            continue
        if m.metrics.get("usable") is False or m.metrics.get("converged") is False:
            out.append(f"{m.name}: the fit did not converge or is not usable.")
        glob = (m.metrics.get("proportional_hazards") or {}).get("global") or {}
        if glob.get("p_value") is not None and glob["p_value"] < 0.05:
            out.append(
                f"{m.name}: the proportional-hazards assumption is rejected (global p = "
                f"{_p(glob['p_value'])}); hazard ratios are averages over time."
            )
        ss = m.metrics.get("sample_size") or {}
        if ss.get("sufficient") is False:
            out.append(
                f"{m.name}: n = {ss.get('n_available')} is below the Riley et al. minimum of "
                f"{ss.get('minimum_n')}; expect overfitting."
            )
    out.append(
        "Observational data from one centre: associations, not treatment effects; no control "
        "group, so regression to the mean is part of every pre-post change."
    )
    return out


def build_document(
    trajectories: pd.DataFrame,
    models: Sequence[ModelOutput],
    *,
    score_options: Mapping[str, Any],
    provenance: Sequence[Block],
    min_n: int = 10,
) -> Document:
    """The research report as a document (English); ``min_n`` is ``reporting.min_n``."""
    options = "; ".join(
        f"{k}: " + ", ".join(f"{kk} = {vv}" for kk, vv in sorted(v.items()))
        for k, v in sorted(score_options.items())
    )
    blocks: list[Block] = [
        Heading("Research report: routine outcome monitoring, persistent somatic symptoms", 1),
        Heading("Methods overview", 2, "methods"),
        Paragraph(
            "Population: trajectories with research consent. Change analyses use ended "
            "trajectories with intake and end measurements; mixed models use every available "
            "measurement during treatment (likelihood-based, missing at random); prediction "
            "models impute inside the validation loop. Scoring options: " + options + "."
        ),
        Heading("Participants", 2, "participants"),
        flow(trajectories, models),
        table1(trajectories),
        missing_table(trajectories),
        Heading("Response", 2, "response-section"),
        response_table(trajectories),
        completer_comparison(trajectories),
    ]
    by_family: dict[str, list[ModelOutput]] = {"mixed": [], "prediction": [], "survival": []}
    for m in models:
        by_family.setdefault(m.family, []).append(m)
    titles = {
        "mixed": "Longitudinal mixed models",
        "prediction": "Prediction models",
        "survival": "Time to event",
    }
    for family in ("mixed", "prediction", "survival"):
        entries = by_family.get(family, [])
        if not entries:
            continue
        blocks.append(Heading(titles[family], 2, family))
        for i, m in enumerate(entries, start=1):
            if not m.metrics:
                blocks.append(Heading(f"{m.name}", 3, m.name))
                blocks.append(Paragraph("No outputs in data/models/ for this entry yet."))
            elif m.metrics.get("estimable") is False:
                blocks.append(Heading(f"{m.name}", 3, m.name))
                blocks.append(Paragraph(f"not estimable: {m.metrics.get('reason', '')}"))
            elif family == "mixed":
                blocks.extend(mixed_section(m, trajectories, i))
            elif family == "prediction":
                blocks.extend(prediction_section(m, i))
            else:
                blocks.extend(survival_section(m, i, min_n))
            if m.metrics:
                blocks.extend(extra_tables(m, min_n))
    blocks.extend(
        [
            Heading("TRIPOD+AI checklist", 2, "tripod-section"),
            tripod_table(models),
            Heading("Limitations", 2, "limitations"),
            BulletList(tuple(limitations(trajectories, models))),
            *provenance,
        ]
    )
    return Document(lang="en", title="Research report", blocks=blocks)


def _events(value: Any) -> str:
    """An event count, '-' when missing (continuous targets)."""
    try:
        return "-" if value is None or not math.isfinite(float(value)) else str(int(value))
    except (TypeError, ValueError):
        return "-"
