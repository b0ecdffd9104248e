"""Discussion (TRIPOD+AI 25, 26, 27a-c) and the structured summary (2), written from the
results: the factors with intervals that exclude no effect, the primary model's validated
performance, subgroup performance, and limitations that the data show (response and
missingness, events per parameter and sample size, proportional-hazards tests, competing risks,
identifiability of the mixed models, consent) rather than a fixed list.
"""

from __future__ import annotations

from typing import Any

from pipeline.reporting.document import Block, BulletList, DefinitionList, Heading, Paragraph
from pipeline.reporting.research import predictors as pr
from pipeline.reporting.research.common import (
    Inputs,
    Part,
    as_float,
    cap,
    consenting,
    count,
    ended,
    estimate_ci,
    finite,
    join_en,
    lower,
    lvl,
    num,
    percent,
    plural,
    smd,
    var_lower,
    whole,
)
from pipeline.reporting.research.introduction import missing_declarations
from pipeline.reporting.research.outcomes import model_name, prediction_outcome
from pipeline.reporting.research.participants import (
    CONTINUOUS,
    NOTABLE_SMD,
    PRIMARY_INSTRUMENT,
    flow_counts,
)
from pipeline.reporting.research.prediction import exploratory, primary_of

#: A response rate below this is a limitation.
LOW_RESPONSE = 0.7
#: A share of missing predictor values above this is named.
HIGH_MISSING = 0.05
#: Fewer events per candidate parameter than this is named.
LOW_EPP = 10.0


def factor_summary(inp: Inputs) -> tuple[dict[str, list[str]], dict[str, list[str]], int]:
    """Per factor (text name) the outcomes with less and with more success (intervals that
    exclude no effect), and the number of analyses."""
    cols, _ = pr.columns(inp)
    rows = pr.rows(cols)
    less: dict[str, list[str]] = {}
    more: dict[str, list[str]] = {}
    for row in rows:
        if row.heading:
            continue
        for c in cols:
            if c.kind == "importance" or c.outcome.success == 0:
                continue
            if c.model.model == "ancova" and row.key == f"{c.outcome.score}_intake":
                continue
            found = pr.value(c, row.key)
            if found is None or not (finite(found[1]) and finite(found[2])):
                continue
            est, low, high = found
            null = 1.0 if c.kind in ("or", "hr") else 0.0
            if low <= null <= high:
                continue
            good = (1 if est > null else -1) * c.outcome.success > 0
            name = row.label.strip()
            if "(" in name and "[T." not in row.key:
                name = name.split(" (")[0]
            target = more if good else less
            if c.outcome.name not in target.setdefault(name, []):
                target[name].append(c.outcome.name)
    return less, more, len(cols)


def _hr(inp: Inputs, factor: str) -> str:
    """The cause-specific (or Cox) HR of reliable improvement for ``factor``, as text."""
    for m in inp.family("survival"):
        if not m.usable or m.coefficients is None or m.metrics.get("outcome") != "improvement":
            continue
        name = f"improvement:{factor}" if m.model == "cause_specific_cox" else factor
        hit = m.coefficients[m.coefficients["term"].astype(str) == name]
        if len(hit) and "hazard_ratio" in hit:
            r = hit.iloc[0]
            return f"HR {estimate_ci(r['hazard_ratio'], r['hr_ci_low'], r['hr_ci_high'], 2)}"
    return ""


def _primary_text(inp: Inputs) -> str:
    pm = primary_of(inp)
    if pm is None or not pm.estimable:
        return ""
    perf = pm.metrics.get("performance") or {}
    outcome = prediction_outcome(pm, inp.entry(pm.name))
    key = "auc" if pm.metrics.get("outcome_type") == "binary" else "r2"
    v = perf.get(key) or {}
    s = perf.get("calibration_slope") or {}
    word = "AUC" if key == "auc" else "R\u00b2"
    return (
        f"the primary model ({lower(model_name(pm))} of {outcome.name}) had a validated {word} "
        f"of {estimate_ci(v.get('estimate'), v.get('ci_low'), v.get('ci_high'), 2)} and a "
        f"calibration slope of {estimate_ci(s.get('estimate'), s.get('ci_low'), s.get('ci_high'), 2)}"
    )


def _discrimination_word(auc: Any) -> str:
    if not finite(auc):
        return "unknown"
    a = float(auc)
    return "poor" if a < 0.6 else "modest" if a < 0.7 else "moderate" if a < 0.8 else "good"


def summary_part(inp: Inputs) -> Part:
    """The structured summary (item 2)."""
    m = inp.min_n
    c = flow_counts(inp)
    less, more, n_analyses = factor_summary(inp)
    strong = sorted(less, key=lambda k: (-len(less[k]), k))
    consistent = [k for k in strong if len(less[k]) >= 2][:4]
    pm = primary_of(inp)
    results = (
        f"Of {count(c['trajectories'], m)} trajectories, {count(c['consent'], m)} had research "
        f"consent and {count(c['ended'], m)} had ended; {count(c['completers'], m)} had an "
        f"SSD-12 at intake and at the end, of whom {count(c['improved'], m)} "
        f"({percent(c['improved'], c['completers'])}) improved reliably and "
        f"{count(c['recovered'], m)} ({percent(c['recovered'], c['completers'])}) recovered."
    )
    if consistent:
        cols, _ = pr.columns(inp)
        detail = pr.clear_associations(cols, pr.rows(cols))
        named = []
        for k in consistent:
            first = next((p for p in detail.get(k, []) if p.startswith("less")), "")
            named.append(lower(k) + (f" ({first.split(': ', 1)[1]})" if first else ""))
        results += (
            " Less treatment success, each in at least two outcomes, went with "
            + join_en(named)
            + "."
        )
    primary = _primary_text(inp)
    if primary:
        results += f" In internal validation {primary}."
    conclusion = (
        f"{cap(join_en([lower(k) for k in consistent]))} "
        f"{'were' if len(consistent) > 1 else 'was'} associated with less treatment success in "
        "this cohort"
        if consistent
        else (
            "No baseline factor was consistently associated with treatment success in this cohort"
        )
    )
    conclusion += (
        "; the associations are observational and rest on the clients with complete measurements."
    )
    if pm is not None and pm.estimable:
        auc = ((pm.metrics.get("performance") or {}).get("auc") or {}).get("estimate")
        conclusion += f" Prediction of success at intake was {_discrimination_word(auc)}" + (
            " and the models are exploratory (below the minimum sample size); they need a "
            "larger sample and external validation before any use in care."
            if exploratory(pm)
            else "; the models need external validation before any use in care."
        )
    items = (
        (
            "Objective",
            "To identify baseline factors, comorbidities above all, associated with treatment "
            "success in specialist care for persistent somatic symptoms, and to develop and "
            "internally validate models predicting success at intake.",
        ),
        (
            "Design, setting and participants",
            f"Retrospective cohort of routine outcome monitoring data of one Dutch specialist "
            f"centre ({inp.report.centre_name}); treatment trajectories of adults with research "
            "consent.",
        ),
        (
            "Outcomes and methods",
            "Reliable improvement and recovery on the SSD-12 at the end of treatment "
            "(Jacobson\u2013Truax), change in the SSD-12, EQ-5D-5L and RAND-36, the course of "
            "these scores (linear mixed models with comorbidity \u00d7 time interactions), and "
            "time to reliable improvement, drop-out and re-entry (cumulative incidence, "
            f"cause-specific Cox models). {n_analyses} analyses estimated associations with "
            "baseline factors. Prediction models (penalised regression and tree ensembles) were "
            "validated by repeated nested cross-validation with multiple imputation.",
        ),
        ("Results", results),
        ("Conclusions", conclusion),
    )
    return Part([Heading("Summary", 2, "summary"), DefinitionList(items)], {"2": "summary"})


def _factor_key(inp: Inputs, name: str) -> str:
    cols, _ = pr.columns(inp)
    for row in pr.rows(cols):
        label = row.label.strip()
        if label == name or label.split(" (")[0] == name:
            return row.key
    return name


def limitations(inp: Inputs) -> list[str]:
    """Limitations that the data and fits show, most important first."""
    out: list[str] = []
    m = inp.min_n
    done = ended(inp.trajectories)
    column = f"response_{PRIMARY_INSTRUMENT}"
    if column in done and len(done):
        status = done[column].astype("string")
        rate = float((status == "completer").mean())
        comp = done[status == "completer"]
        non = done[status != "completer"]
        diffs = []
        for col, _, _ in CONTINUOUS:
            if col in done:
                value = smd(comp[col], non[col])
                if finite(value) and abs(value) >= NOTABLE_SMD:
                    diffs.append(f"{var_lower(col)} (SMD {num(value, 2)})")
        dropout = (
            smd(
                (comp["end_reason"] == "dropout").astype(float),
                (non["end_reason"] == "dropout").astype(float),
            )
            if "end_reason" in done
            else float("nan")
        )
        if finite(dropout) and abs(dropout) >= NOTABLE_SMD:
            diffs.append(f"drop-out (SMD {num(dropout, 2)})")
        if rate < LOW_RESPONSE or diffs:
            text = (
                f"Only {percent(rate, 1)} of the ended trajectories had an SSD-12 at intake and "
                "at the end; the change and prediction analyses rest on them"
            )
            if diffs:
                text += ", and they differ from the others in " + join_en(diffs[:4])
            text += (
                ". If success is less likely among those who did not fill in the end "
                "questionnaire (drop-outs above all), the success rates are too high and the "
                "associations may be biased."
            )
            out.append(text)
    missing = []
    for model in inp.family("prediction"):
        n = model.metrics.get("n")
        for p, k in sorted((model.metrics.get("missing_predictors") or {}).items()):
            if finite(n) and n and k / n > HIGH_MISSING:
                item = f"{var_lower(p)} ({percent(k, n)})"
                if item not in missing:
                    missing.append(item)
    if missing:
        out.append(
            "Predictor values were missing in the analysed trajectories ("
            + join_en(missing[:5])
            + "); they were multiply imputed, which assumes they are missing at random given "
            "the other predictors."
        )
    short = [x for x in inp.family("prediction") if x.estimable and exploratory(x)]
    if short:
        epp = []
        for x in short:
            ss = x.metrics.get("sample_size") or {}
            if x.metrics.get("outcome_type") == "binary" and finite(ss.get("events_per_parameter")):
                if float(ss["events_per_parameter"]) < LOW_EPP:
                    outcome = prediction_outcome(x, inp.entry(x.name))
                    epp.append(
                        f"{outcome.name} ({count(x.metrics.get('events', 0), m)} events, "
                        f"{num(ss['events_per_parameter'], 1)} per candidate parameter)"
                    )
        total = len([x for x in inp.family("prediction") if x.estimable])
        text = (
            (f"All {total}" if len(short) == total else f"{len(short)} of {total}")
            + " prediction models fall short of the minimum sample size of Riley et al., so they "
            "are exploratory: their coefficients are imprecise and their validated performance "
            "may vary in new data."
        )
        if epp:
            text += " Events are scarcest for " + join_en(sorted(set(epp))) + "."
        out.append(text)
    ph = []
    for model in inp.family("survival"):
        if not model.usable:
            continue
        sources = (
            (model.metrics.get("by_cause") or {}).items()
            if model.model == "cause_specific_cox"
            else [(model.metrics.get("outcome"), model.metrics)]
        )
        for cause, met in sources:
            terms = ((met or {}).get("proportional_hazards") or {}).get("terms") or {}
            bad = [t for t, v in terms.items() if finite(v.get("p_value")) and v["p_value"] < 0.05]
            if bad:
                refs = dict(model.metrics.get("reference_levels") or {})
                from pipeline.reporting.research.common import term as term_label

                ph.append(
                    f"{lvl('cause', str(cause))}: "
                    + join_en([lower(term_label(t, refs)) for t in bad])
                )
    if ph:
        unique = list(dict.fromkeys(ph))
        out.append(
            "The proportional-hazards test suggested time-varying effects ("
            + "; ".join(unique)
            + "); for these terms the hazard ratio is an average over follow-up."
        )
    cif = [x for x in inp.family("survival") if x.model == "cumulative_incidence" and x.usable]
    km = [x for x in inp.family("survival") if x.model == "kaplan_meier" and x.usable]
    if cif or km:
        text = (
            "Treatment ends in several competing ways. We report cumulative incidences, which "
            "give the share of trajectories with each outcome; a Kaplan\u2013Meier curve that "
            "censors the competing ends overstates it"
        )
        dk = next((x for x in km if x.metrics.get("outcome") == "dropout"), None)
        dc = next((x for x in cif if x.metrics.get("outcome") == "dropout"), None)
        if (
            dk is not None
            and dc is not None
            and dk.coefficients is not None
            and dc.coefficients is not None
        ):
            k2 = dk.coefficients[dk.coefficients["term"] == "survival_at_2y[all]"]
            c2 = dc.coefficients[dc.coefficients["term"] == "cif_at_2y[dropout][all]"]
            if len(k2) and len(c2):
                text += (
                    f" (drop-out by 2 years: {num(100 * (1 - float(k2['estimate'].iloc[0])), 0)}% "
                    f"by one minus Kaplan\u2013Meier against {num(100 * float(c2['estimate'].iloc[0]), 0)}% "
                    "cumulative incidence)"
                )
        text += (
            ". Cause-specific hazard ratios describe the rate of one cause among those still in "
            "treatment, not the probability of that cause; no subdistribution (Fine\u2013Gray) "
            "model was fitted."
        )
        out.append(text)
    refitted = [x for x in inp.family("mixed") if x.usable and x.metrics.get("refitted_without")]
    if refitted:
        outcomes = join_en([var_lower(str(x.metrics.get("outcome"))) for x in refitted])
        per = [
            float(x.metrics["n_measurements"]) / float(x.metrics["n_trajectories"])
            for x in refitted
            if finite(x.metrics.get("n_measurements")) and x.metrics.get("n_trajectories")
        ]
        density = (
            f"With {num(min(per), 1)} to {num(max(per), 1)} measurements per trajectory on average"
            if per and round(min(per), 1) != round(max(per), 1)
            else f"With {num(per[0], 1)} measurements per trajectory on average"
            if per
            else "With few measurements per trajectory"
        )
        out.append(
            f"{density}, random slopes were not identifiable "
            f"in the mixed models of the {outcomes}; the random-intercept models assume that "
            "trajectories differ in level but share a rate of change within the same covariate "
            "pattern, which may make the intervals of the time effects too narrow."
        )
    unusable = [x for x in inp.models if x.fitted and not x.usable]
    if unusable:
        out.append("No results for " + join_en([f"{x.name} ({x.reason})" for x in unusable]) + ".")
    cons = consenting(inp.trajectories)
    share = len(cons) / len(inp.trajectories) if len(inp.trajectories) else 1.0
    if share < 0.95:
        out.append(
            f"{percent(len(cons), len(inp.trajectories))} of the trajectories had research "
            "consent; the research population may differ from all clients of the centre."
        )
    cols, _ = pr.columns(inp)
    intervals = sum(
        1
        for c in cols
        for r in pr.rows(cols)
        if not r.heading and c.kind != "importance" and pr.cell(c, r) not in ("", "\u2013")
    )
    if intervals:
        out.append(
            f"The predictor tables hold {whole(intervals)} estimates of {len(cols)} analyses, "
            "without correction for multiple testing; some intervals will exclude no effect by "
            "chance, so a factor seen in one outcome only needs confirmation."
        )
    out.append(
        "The data come from one centre and routine care, without a control group: "
        "associations are not treatment effects, part of every pre\u2013post change is "
        "regression to the mean (which also makes a high intake score look favourable), and "
        "the models were validated internally only."
    )
    gone = missing_declarations(inp)
    if gone:
        out.append(
            "The report settings hold no statement on "
            + join_en(gone)
            + "; these are not reported."
        )
    return out


def discussion_part(inp: Inputs) -> Part:
    """Interpretation, limitations and usability."""
    less, more, n_analyses = factor_summary(inp)
    blocks: list[Block] = [Heading("Discussion", 2, "discussion")]
    ranked = sorted(less, key=lambda k: (-len(less[k]), k))
    text = ""
    if ranked:
        top = ranked[:4]
        text += (
            "In this cohort "
            + join_en([f"{lower(k)} ({plural(len(less[k]), 'outcome')})" for k in top])
            + " went with less treatment success in analyses whose intervals exclude no effect"
        )
        if more:
            text += (
                ", and "
                + join_en([lower(k) for k in sorted(more, key=lambda k: (-len(more[k]), k))[:3]])
                + " with more success in at least one"
            )
        text += f" ({n_analyses} analyses in all). "
        if any(k.startswith("SSD-12 total score at intake") for k in (*less, *more)):
            text += (
                "A high SSD-12 at intake leaves more room for a reliable fall and goes with "
                "regression to the mean, so its association with improvement is not a sign of "
                "a better prognosis. "
            )
    else:
        text += "No baseline factor had an association with an interval excluding no effect. "
    primary = _primary_text(inp)
    if primary:
        text += f"Success could be predicted only in part: {primary}. "
        better = _better_alternatives(inp)
        text += (
            f"{cap(join_en(better))} reached a higher estimate, within the same uncertainty. "
            if better
            else "The more flexible models did not do better. "
        )
    steady = [k for k in ranked if len(less[k]) >= 3 and k not in more]
    if steady:
        text += (
            f"For {join_en([lower(k) for k in steady[:3]])} the associations point the same way "
            "across outcomes measured in different ways (end-of-treatment status, time to "
            "improvement, rate of change), which makes chance an unlikely explanation. "
        )
    text += (
        "Associations seen for one outcome only may be chance findings: no correction for "
        "multiple testing was made. All describe who improves under the centre's usual care, "
        "not what would happen with other care."
    )
    blocks.append(Heading("Interpretation", 3, "interpretation"))
    blocks.append(Paragraph(text))
    fairness = _fairness(inp)
    if fairness:
        blocks.append(Paragraph(fairness))
    blocks.append(Heading("Limitations", 3, "limitations"))
    blocks.append(BulletList(tuple(limitations(inp))))
    blocks.append(Heading("Usability of the models in current care", 3, "usability"))
    blocks.append(
        Paragraph(
            "Input data: all predictors are recorded at intake, but the intake questionnaires "
            "are missing for some clients. The models were developed with multiple imputation; "
            "applied to a new client, a missing questionnaire must be imputed in the same way "
            "or the prediction withheld, and a questionnaire that cannot be scored (too many "
            "items missing) counts as missing. Users: the models are not built into the "
            "electronic record and need no interaction; computing and reading a prediction "
            "currently requires statistical expertise. Next steps: a larger development set "
            "(the minimum sample size), external validation in other centres, and an "
            "assessment of whether predictions at intake would change decisions before any use "
            "in care."
        )
    )
    return Part(
        blocks,
        {
            "25": "interpretation",
            "26": "limitations",
            "27a": "usability",
            "27b": "usability",
            "27c": "usability",
        },
    )


def _better_alternatives(inp: Inputs) -> list[str]:
    """Models of the primary model's outcome with a higher validated AUC (or R²)."""
    pm = primary_of(inp)
    if pm is None or not pm.estimable:
        return []
    key = "auc" if pm.metrics.get("outcome_type") == "binary" else "r2"
    own = ((pm.metrics.get("performance") or {}).get(key) or {}).get("estimate")
    outcome = prediction_outcome(pm, inp.entry(pm.name))
    out = []
    for m in inp.family("prediction"):
        if m.name == pm.name or not m.estimable:
            continue
        if prediction_outcome(m, inp.entry(m.name)).key != outcome.key:
            continue
        other = ((m.metrics.get("performance") or {}).get(key) or {}).get("estimate")
        if finite(own) and finite(other) and as_float(other) > as_float(own) + 0.005:
            out.append(f"the {lower(model_name(m))} ({num(other, 2)})")
    return out


def _fairness(inp: Inputs) -> str:
    pm = primary_of(inp)
    if pm is None or not pm.estimable:
        return ""
    sub = pm.tables.get("subgroups")
    if sub is None or sub.empty:
        return ""
    binary = pm.metrics.get("outcome_type") == "binary"
    measure = "auc" if binary else "r2"
    part = sub[sub["measure"] == measure].dropna(subset=["estimate"])
    if binary:
        part = part[
            (part["n"] >= inp.min_n)
            & (part["events"] >= inp.min_n)
            & (part["n"] - part["events"] >= inp.min_n)
        ]
    else:
        part = part[part["n"] >= inp.min_n]
    if part.empty:
        return ""
    ordered = part.sort_values(["estimate", "variable", "level"], kind="stable")
    lo, hi = ordered.iloc[0], ordered.iloc[-1]

    def name(r: Any) -> str:
        variable, level = str(r["variable"]), str(r["level"])
        if variable in ("sex", "diagnosis"):
            return f"{var_lower(variable)} {lvl(variable, level)}"
        return f"{'with' if level in ('1', '1.0') else 'without'} {var_lower(variable)}"

    word = "AUC" if binary else "R\u00b2"
    return (
        f"Fairness: across {len(part)} subgroups of sex, diagnosis and comorbidity with enough "
        f"events, the primary model's {word} ranged from {num(lo['estimate'], 2)} "
        f"({name(lo)}, n = {whole(lo['n'])}) to {num(hi['estimate'], 2)} ({name(hi)}, "
        f"n = {whole(hi['n'])}), with wide and overlapping intervals; smaller subgroups were "
        "not evaluated."
    )


__all__ = ["discussion_part", "summary_part", "limitations", "factor_summary"]
