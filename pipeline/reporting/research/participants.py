"""Results, participants: the flow diagram (TRIPOD+AI 20a, STROBE 13) and the baseline
characteristics of the ended trajectories by completer status, with standardised mean
differences and missing values (20b, STROBE 14), and the outcome counts.

Every count of people below ``min_n`` reads "n < min_n"; where counts add up to a printed total
(end reasons, reasons for not completing, diagnoses) further cells are hidden so that none can
be recovered by subtraction (:func:`pipeline.reporting.suppression.suppress_distribution`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from pipeline.reporting import figures as fg
from pipeline.reporting.document import Block, FigureBlock, Heading, Paragraph, Table
from pipeline.reporting.labels import date_nl  # noqa: F401  (Dutch dates live there)
from pipeline.reporting.research.common import (
    COMORBIDITIES,
    DIAGNOSES,
    EN_DASH,
    Inputs,
    Part,
    consenting,
    count,
    count_percent,
    ended,
    finite,
    lvl,
    num,
    percent,
    smd,
    var,
    whole,
)
from pipeline.reporting.suppression import suppress_distribution, suppression_label

#: The outcome instrument whose completers form the prediction analysis set.
PRIMARY_INSTRUMENT = "ssd12"
PRIMARY_SCORE = "ssd12_total"
#: Categories counted as reliable improvement and as recovery (Jacobson-Truax).
IMPROVED = ("recovered", "improved")
RECOVERED = ("recovered",)
END_REASONS = ("regular", "dropout", "referred", "other")
NOT_COMPLETER = ("pre_only", "post_only", "none")
#: Continuous baseline variables of Table 1: column, decimals, summary (mean or median).
CONTINUOUS: tuple[tuple[str, int, str], ...] = (
    ("age_at_start", 1, "mean"),
    ("symptom_duration_years", 1, "median"),
    ("prior_treatments", 1, "mean"),
    ("ssd12_total_intake", 1, "mean"),
    ("eq5d5l_index_intake", 2, "mean"),
    ("eq5d_vas_intake", 1, "mean"),
    ("rand36_pf_intake", 1, "mean"),
    ("phq15_total_intake", 1, "mean"),
)
#: A standardised mean difference at least this large is called notable (Austin 2009).
NOTABLE_SMD = 0.1


def _long_date(value: Any) -> str:
    day = pd.Timestamp(value)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def export_date(inp: Inputs) -> pd.Timestamp | None:
    """The export date the models used (``metrics.json`` ``export_date``), else the latest date
    in the data; ``None`` without any."""
    for m in inp.models:
        if m.estimable and m.metrics.get("export_date"):
            return pd.Timestamp(str(m.metrics["export_date"]))
    if inp.report.export_date:
        return pd.Timestamp(inp.report.export_date)
    dates = [
        inp.trajectories[c].max()
        for c in ("referral_date", "start_date", "end_date")
        if c in inp.trajectories
    ]
    dates = [d for d in dates if pd.notna(d)]
    return pd.Timestamp(max(dates)) if dates else None


def _distribution_text(counts: Mapping[str, int], labels: Mapping[str, str], min_n: int) -> str:
    shown = suppress_distribution({k: int(v) for k, v in counts.items()}, min_n)
    return "\n".join(
        f"{labels[k]}: {suppression_label(min_n) if v is None else whole(v)}"
        for k, v in shown.items()
        if counts[k] or v is None
    )


def _analysed(inp: Inputs, family: str, outcome: str | None = None) -> list[int]:
    out = []
    for m in inp.family(family):
        if not m.estimable:
            continue
        if outcome is not None and m.metrics.get("outcome") != outcome:
            continue
        n = m.metrics.get("n_trajectories", m.metrics.get("n"))
        if finite(n):
            out.append(int(n))
    return out


def _span(values: Sequence[int], min_n: int) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    return count(lo, min_n) if lo == hi else f"{count(lo, min_n)} to {count(hi, min_n)}"


def flow_counts(inp: Inputs) -> dict[str, Any]:
    """The counts of the flow diagram (unsuppressed; the drawing suppresses)."""
    t = inp.trajectories
    cons = consenting(t)
    done = ended(t)
    status = (
        done[f"response_{PRIMARY_INSTRUMENT}"].astype("string").fillna("none")
        if f"response_{PRIMARY_INSTRUMENT}" in done
        else pd.Series("none", index=done.index, dtype="string")
    )
    completers = done[status == "completer"]
    category = completers.get(f"{PRIMARY_SCORE}_category", pd.Series(dtype="string"))
    reasons = (
        done["end_reason"].astype("string").fillna("unknown")
        if "end_reason" in done
        else pd.Series(dtype="string")
    )
    return {
        "trajectories": len(t),
        "clients": int(t["client_key"].nunique()) if "client_key" in t else len(t),
        "consent": len(cons),
        "no_consent": len(t) - len(cons),
        "ended": len(done),
        "ongoing": len(cons) - len(done),
        "end_reasons": {
            r: int((reasons == r).sum())
            for r in (*END_REASONS, "unknown")
            if r != "unknown" or (reasons == "unknown").any()
        },
        "completers": len(completers),
        "not_completer": {s: int((status == s).sum()) for s in NOT_COMPLETER},
        "improved": int(category.isin(IMPROVED).sum()),
        "recovered": int(category.isin(RECOVERED).sum()),
    }


def flow_part(inp: Inputs) -> Part:
    """The participant flow diagram with a paragraph on follow-up and outcomes."""
    m = inp.min_n
    c = flow_counts(inp)
    day = export_date(inp)
    ongoing_text = (
        f"Ongoing at the export date ({_long_date(day)}): {count(c['ongoing'], m)}"
        if day is not None
        else f"Ongoing at the export date: {count(c['ongoing'], m)}"
    )
    steps = [
        f"Treatment trajectories in the export\nn = {count(c['trajectories'], m)} "
        f"({count(c['clients'], m)} clients)",
        f"With research consent\nn = {count(c['consent'], m)}",
        f"Ended\nn = {count(c['ended'], m)}\n"
        + _distribution_text(
            c["end_reasons"], {r: lvl("end_reason", r) for r in c["end_reasons"]}, m
        ),
        f"SSD-12 at intake and at the end (completers)\nn = {count(c['completers'], m)}\n"
        f"reliable improvement: {count_percent(c['improved'], c['completers'], m)}\n"
        f"recovery: {count_percent(c['recovered'], c['completers'], m)}",
    ]
    missing = sum(c["not_completer"].values())
    exclusions = [
        f"No research consent: {count(c['no_consent'], m)}",
        ongoing_text,
        f"No SSD-12 at intake and at the end: {count(missing, m)}\n"
        + _distribution_text(c["not_completer"], {s: lvl("response", s) for s in NOT_COMPLETER}, m),
    ]
    left_consent = []
    mixed = _analysed(inp, "mixed")
    if mixed:
        left_consent.append(f"Longitudinal models: {_span(mixed, m)} trajectories")
    for outcome in ("dropout", "improvement", "reentry"):
        n = _analysed(inp, "survival", outcome)
        if n:
            left_consent.append(f"Time to {lvl('outcome', outcome)}: {_span(n, m)}")
    prediction = [
        x
        for x in inp.family("prediction")
        if x.estimable and str(x.metrics.get("target", "")).startswith(PRIMARY_SCORE)
    ]
    left_completers = []
    if prediction:
        binary = [
            int(x.metrics["n"]) for x in prediction if x.metrics.get("outcome_type") == "binary"
        ]
        change = [
            int(x.metrics["n"]) for x in prediction if x.metrics.get("outcome_type") != "binary"
        ]
        if binary:
            left_completers.append(f"Prediction of improvement and recovery: {_span(binary, m)}")
        if change:
            left_completers.append(f"Prediction of SSD-12 change: {_span(change, m)}")
    analyses: list[str | None] = [
        None,
        "Analysed\n" + "\n".join(left_consent) if left_consent else None,
        None,
        "Analysed\n" + "\n".join(left_completers) if left_completers else None,
    ]

    def draw(fig: Figure) -> None:
        fg.flow_diagram(fig, steps, exclusions, analyses)

    alt = "Participant flow. " + " ".join(s.replace("\n", "; ") + "." for s in steps)
    alt += " Excluded: " + "; ".join(e.replace("\n", ", ") for e in exclusions) + "."
    duration = _duration_years(ended(inp.trajectories))
    text = (
        "{figure:flow} shows the flow of treatment trajectories from the export to the "
        f"analyses. Of {count(c['trajectories'], m)} trajectories, "
        f"{count(c['consent'], m)} ({percent(c['consent'], c['trajectories'])}) had research "
        f"consent; {count(c['ended'], m)} of these had ended by the export date"
    )
    if duration is not None:
        text += (
            f", after a median of {num(duration[0], 2)} years in treatment (interquartile "
            f"range {num(duration[1], 2)} to {num(duration[2], 2)})"
        )
    text += (
        f". {count(c['completers'], m)} ended trajectories "
        f"({percent(c['completers'], c['ended'])}) had an SSD-12 at intake and at the end; of "
        f"these, {count_percent(c['improved'], c['completers'], m)} improved reliably and "
        f"{count_percent(c['recovered'], c['completers'], m)} recovered (the outcomes of the "
        "prediction models; definitions in the Methods)."
    )
    blocks: list[Block] = [
        Heading("Participants", 3, "participants"),
        Paragraph(text),
        FigureBlock(
            "Flow of treatment trajectories from the export to the analyses. Each analysis "
            "selects its own set from the trajectories with research consent (Methods); counts "
            f"below {m} are shown as '{suppression_label(m)}'.",
            7.0,
            5.6,
            draw,
            alt=alt,
            anchor="flow",
        ),
    ]
    return Part(blocks, {"20a": "participants"})


def _duration_years(frame: pd.DataFrame) -> tuple[float, float, float] | None:
    if not {"start_date", "end_date"} <= set(frame.columns) or frame.empty:
        return None
    days = (frame["end_date"] - frame["start_date"]).dt.days.dropna().astype(float) / 365.25
    if len(days) < 2:
        return None
    return float(days.median()), float(days.quantile(0.25)), float(days.quantile(0.75))


# ---------------------------------------------------------------------------------------------
# Table 1


def _mean_sd(x: pd.Series, digits: int) -> str:
    x = pd.to_numeric(x, errors="coerce").dropna().astype(float)
    if len(x) < 2:
        return EN_DASH
    return f"{num(x.mean(), digits)} ({num(x.std(), digits)})"


def _median_iqr(x: pd.Series, digits: int) -> str:
    x = pd.to_numeric(x, errors="coerce").dropna().astype(float)
    if len(x) < 2:
        return EN_DASH
    return (
        f"{num(x.median(), digits)} ({num(x.quantile(0.25), digits)} to "
        f"{num(x.quantile(0.75), digits)})"
    )


def _smd_cell(value: float, hidden: bool = False) -> str:
    return EN_DASH if hidden or not finite(value) else num(value, 2)


def _cells_for_levels(
    groups: Sequence[pd.DataFrame], column: str, levels: Sequence[str], min_n: int
) -> dict[str, list[str]]:
    """Per level one cell per group, with primary and secondary suppression per group."""
    out: dict[str, list[str]] = {lev: [] for lev in levels}
    for frame in groups:
        values = frame[column].astype("string") if column in frame else pd.Series(dtype="string")
        counts = {lev: int((values == lev).sum()) for lev in levels}
        shown = suppress_distribution(counts, min_n)
        for lev in levels:
            n = shown[lev]
            out[lev].append(
                suppression_label(min_n) if n is None else f"{whole(n)} ({percent(n, len(frame))})"
            )
    return out


def table1_part(inp: Inputs) -> Part:
    """Baseline characteristics of the ended trajectories by SSD-12 completer status, with
    SMDs (completers minus non-completers) and missing values (Table 1)."""
    m = inp.min_n
    done = ended(inp.trajectories)
    column = f"response_{PRIMARY_INSTRUMENT}"
    status = (
        done[column].astype("string").fillna("none")
        if column in done
        else pd.Series("none", index=done.index, dtype="string")
    )
    comp = done[status == "completer"]
    non = done[status != "completer"]
    groups = [done, comp, non]
    rows: list[tuple[str, ...]] = [
        ("Trajectories, n", *(count(len(g), m) for g in groups), ""),
    ]
    smds: dict[str, float] = {}

    def add_continuous(col: str, digits: int, summary: str) -> None:
        if col not in done:
            return
        unit = " (years)" if col in ("age_at_start", "symptom_duration_years") else ""
        label = var(col) + unit
        if summary == "mean":
            cells = [_mean_sd(g[col], digits) for g in groups]
            label += ", mean (SD)"
        else:
            cells = [_median_iqr(g[col], digits) for g in groups]
            label += ", median (IQR)"
        value = smd(comp[col], non[col])
        smds[col] = value
        rows.append((label, *cells, _smd_cell(value)))

    add_continuous("age_at_start", 1, "mean")
    # Sex: female vs male (or male or other when the 'other' cells are small).
    sexes = done["sex"].astype("string") if "sex" in done else pd.Series(dtype="string")
    rows.append(("Sex, n (%)", "", "", "", ""))
    small_x = any(
        0 < int((g["sex"].astype("string") == "x").sum()) < m for g in groups if "sex" in g
    )
    sex_levels = ("f", "m") if small_x else ("f", "m", "x")
    frames = []
    for g in groups:
        s = g["sex"].astype("string") if "sex" in g else pd.Series(dtype="string")
        frames.append(pd.DataFrame({"sex": s.replace({"x": "m"}) if small_x else s}, index=g.index))
    cells = _cells_for_levels(frames, "sex", sex_levels, m)
    for lev in sex_levels:
        name = lvl("sex", "other") if (small_x and lev == "m") else lvl("sex", lev)
        hidden = any(c.startswith("n <") for c in cells[lev][1:])
        value = smd(
            (frames[1]["sex"] == lev).astype(float), (frames[2]["sex"] == lev).astype(float)
        )
        smds[f"sex={lev}"] = value
        rows.append((f"   {name}", *cells[lev], _smd_cell(value, hidden)))
    del sexes
    rows.append(("Diagnosis, n (%)", "", "", "", ""))
    cells = _cells_for_levels(groups, "diagnosis", DIAGNOSES, m)
    for lev in DIAGNOSES:
        hidden = any(c.startswith("n <") for c in cells[lev][1:])
        value = smd(_indicator(comp, "diagnosis", lev), _indicator(non, "diagnosis", lev))
        smds[f"diagnosis={lev}"] = value
        rows.append((f"   {lvl('diagnosis', lev)}", *cells[lev], _smd_cell(value, hidden)))
    rows.append(("Comorbidity, n (%)", "", "", "", ""))
    for flag in ("cfs", *COMORBIDITIES):
        if flag not in done:
            continue
        flags = [pd.to_numeric(g[flag], errors="coerce").fillna(0) for g in groups]
        cell = [count_percent(int(f.sum()), len(g), m) for f, g in zip(flags, groups, strict=True)]
        hidden = any(c.startswith("n <") for c in cell[1:])
        value = smd(
            pd.to_numeric(comp[flag], errors="coerce"), pd.to_numeric(non[flag], errors="coerce")
        )
        smds[flag] = value
        rows.append((f"   {var(flag)}", *cell, _smd_cell(value, hidden)))
    for col, digits, summary in CONTINUOUS[1:]:
        add_continuous(col, digits, summary)
    rows.append(("Reason for ending, n (%)", "", "", "", ""))
    cells = _cells_for_levels(groups, "end_reason", END_REASONS, m)
    for lev in END_REASONS:
        hidden = any(c.startswith("n <") for c in cells[lev][1:])
        value = smd(_indicator(comp, "end_reason", lev), _indicator(non, "end_reason", lev))
        smds[f"end_reason={lev}"] = value
        rows.append((f"   {lvl('end_reason', lev)}", *cells[lev], _smd_cell(value, hidden)))
    duration = [
        (g["end_date"] - g["start_date"]).dt.days.astype("Float64") / 365.25
        if {"start_date", "end_date"} <= set(g.columns)
        else pd.Series(dtype=float)
        for g in groups
    ]
    value = smd(duration[1], duration[2])
    smds["duration"] = value
    rows.append(
        (
            "Time in treatment (years), median (IQR)",
            *(_median_iqr(d, 2) for d in duration),
            _smd_cell(value),
        )
    )
    tx = [c for c in done.columns if str(c).startswith("tx_")]
    if tx:
        rows.append(("Treatments received, n (%)", "", "", "", ""))
        for col in tx:
            flags = [pd.to_numeric(g[col], errors="coerce").fillna(0) for g in groups]
            cell = [
                count_percent(int(f.sum()), len(g), m) for f, g in zip(flags, groups, strict=True)
            ]
            hidden = any(c.startswith("n <") for c in cell[1:])
            value = smd(flags[1], flags[2])
            smds[col] = value
            rows.append((f"   {var(col)}", *cell, _smd_cell(value, hidden)))
    missing_rows = []
    for col in (
        "age_at_start",
        "sex",
        "diagnosis",
        "cfs",
        *COMORBIDITIES,
        *(c for c, _, _ in CONTINUOUS[1:]),
    ):
        if col not in done:
            continue
        counts = [int(g[col].isna().sum()) for g in groups]
        if counts[0] == 0:
            continue
        missing_rows.append(
            (
                f"   {var(col)}",
                *(count_percent(k, len(g), m) for k, g in zip(counts, groups, strict=True)),
                "",
            )
        )
    if missing_rows:
        rows.append(("Missing values, n (%)", "", "", "", ""))
        rows.extend(missing_rows)
    notable = sorted(
        ((k, v) for k, v in smds.items() if finite(v) and abs(v) >= NOTABLE_SMD),
        key=lambda kv: -abs(kv[1]),
    )
    names = []
    for key, value in notable[:5]:
        names.append(f"{_smd_name(key)} (SMD {num(value, 2)})")
    text = (
        "{table:table1} describes the ended trajectories with research consent, overall and by "
        f"whether they had an SSD-12 at intake and at the end (completers, "
        f"{count(len(comp), m)}) or not ({count(len(non), m)}). The standardised mean "
        "difference (SMD) compares completers with non-completers [@austin_2009]; "
    )
    if names:
        text += (
            f"{len(notable)} of {len([v for v in smds.values() if finite(v)])} characteristics "
            f"differ by |SMD| \u2265 {NOTABLE_SMD:g}, most of all "
            + ", ".join(names)
            + ". The completers on whom the change and prediction analyses rest are therefore a "
            "selected group."
        )
    else:
        text += f"no characteristic differs by |SMD| \u2265 {NOTABLE_SMD:g}."
    return Part(
        [
            Paragraph(text),
            Table(
                caption="Characteristics of the ended treatment trajectories with research "
                "consent, by SSD-12 completer status",
                header=("", "All ended", "Completers", "Non-completers", "SMD"),
                rows=tuple(rows),
                note="Completers: an SSD-12 at intake and at the end of treatment. SMD: "
                "standardised mean difference, completers minus non-completers, pooled SD "
                f"(for a category: of its indicator); |SMD| \u2265 {NOTABLE_SMD:g} is a notable "
                "difference. Summaries leave missing values out. IQR: interquartile range. "
                f"'{suppression_label(m)}': fewer than {m} trajectories (or a cell from which "
                "such a count could be recovered); no SMD is shown where a cell is hidden."
                + (
                    f" Sex 'other' is counted with male: fewer than {m} trajectories."
                    if small_x
                    else ""
                ),
                anchor="table1",
            ),
        ],
        {"20b": "participants"},
    )


def _indicator(frame: pd.DataFrame, column: str, value: str) -> pd.Series:
    """0/1 (float) for ``column == value``; all 0 when the column is absent."""
    if column not in frame:
        return pd.Series(0.0, index=frame.index)
    return frame[column].astype("string").eq(value).fillna(False).astype(float)


def _smd_name(key: str) -> str:
    if key == "duration":
        return "time in treatment"
    if "=" in key:
        column, value = key.split("=", 1)
        if column == "end_reason":
            return f"{lvl(column, value)} as the reason for ending"
        return f"{var(column).lower()} {lvl(column, value)}"
    text = var(key)
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def outcome_counts(inp: Inputs) -> dict[str, int]:
    """Completers, reliable improvement and recovery on the SSD-12 (ended, consenting)."""
    c = flow_counts(inp)
    return {k: c[k] for k in ("completers", "improved", "recovered")}


__all__ = ["flow_part", "table1_part", "flow_counts", "export_date", "outcome_counts"]
