"""Methods of the research report, generated from ``params.yaml`` (scoring options, windows,
norms, the ``models:`` entries with their resolved settings) and the data (period, counts).

Subsections: design, setting and data (TRIPOD+AI 5a, 5b, 6a; STROBE 4-6); participants and
treatments (6b, 6c); measurement and data preparation (7); outcomes (8a-c); predictors
(9a-c); statistical analysis: descriptive, longitudinal mixed models, time to event, prediction
models (12a-g, 13-16); missing data (11); sample size (10); disclosure control and software.
Every setting printed is the one in force: model settings come from the registry's model
built from the entry (:func:`pipeline.models.registry.build`), so defaults are stated too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.models import registry
from pipeline.reporting.document import Block, Heading, Paragraph, Table
from pipeline.reporting.research.common import (
    COMORBIDITIES,
    Inputs,
    ModelOutput,
    Part,
    consenting,
    count,
    finite,
    join_en,
    lower,
    num,
    percent,
    var_lower,
    whole,
)
from pipeline.reporting.research.outcomes import model_name, prediction_outcome
from pipeline.reporting.research.participants import export_date
from pipeline.reporting.research.prediction import groups
from pipeline.reporting.suppression import suppression_label

#: How each prediction model type is built, for the Methods.
ESTIMATORS: dict[str, tuple[str, str]] = {
    "logistic_l2": (
        "logistic regression with an L2 (ridge) penalty on standardised predictors, the "
        "penalty tuned",
        "le_cessie_1992",
    ),
    "logistic": (
        "logistic regression by maximum likelihood, nothing penalised or tuned (its odds ratios "
        "are reported with Wald intervals, pooled over the imputations by Rubin's rules)",
        "rubin_1987",
    ),
    "hgb_classifier": (
        "histogram-based gradient boosting of classification trees",
        "friedman_2001",
    ),
    "hgb_regressor": ("histogram-based gradient boosting of regression trees", "friedman_2001"),
    "random_forest_classifier": ("a random forest of classification trees", "breiman_2001"),
    "random_forest_regressor": ("a random forest of regression trees", "breiman_2001"),
    "ancova": (
        "linear regression of the change on the intake score and the predictors (ANCOVA; its "
        "coefficients are reported from the equivalent regression of the end score, pooled over "
        "the imputations by Rubin's rules)",
        "vickers_altman_2001",
    ),
    "ridge_regression": (
        "linear regression of the change with an L2 (ridge) penalty on standardised "
        "predictors, the penalty tuned",
        "steyerberg_2019",
    ),
}
GRID_NAMES: dict[str, str] = {
    "C": "inverse penalty C",
    "alpha": "penalty \u03b1",
    "learning_rate": "learning rate",
    "max_depth": "tree depth",
    "min_samples_leaf": "minimum leaf size",
}


def _long_date(value: Any) -> str:
    day = pd.Timestamp(value)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _settings(inp: Inputs, m: ModelOutput) -> Any:
    """The model built from the entry (every setting resolved, defaults included)."""
    try:
        return registry.build(m.name, dict(inp.entry(m.name)))
    except Exception:
        return None


def design_part(inp: Inputs) -> Part:
    """Design, setting and data source; participants and treatments."""
    t = inp.trajectories
    cons = consenting(t)
    starts = (
        cons["start_date"].dropna() if "start_date" in cons else pd.Series(dtype="datetime64[ns]")
    )
    day = export_date(inp)
    centre = inp.report.centre_name
    m = inp.min_n
    period = (
        f"started treatment between {_long_date(starts.min())} and {_long_date(starts.max())}"
        if len(starts)
        else "started treatment in the period of the export"
    )
    text1 = (
        "We analysed routinely collected data of a retrospective cohort: all treatment "
        f"trajectories in a pseudonymised export of the electronic records and the routine "
        f"outcome monitoring (ROM) questionnaires of {centre}, a Dutch specialist mental-health "
        "centre for adults with persistent somatic symptoms (one centre, secondary and tertiary "
        "care, referral by a general practitioner or medical specialist). Trajectories "
        f"{period}; follow-up ended at the export date"
        + (f", {_long_date(day)}" if day is not None else "")
        + ". Routine data cover every referred adult, not a selected trial population; the "
        "research analyses are limited to clients who consented to research use of their data. "
        "The report follows TRIPOD+AI for the prediction models [@tripod_ai] and STROBE for "
        "the other cohort analyses [@strobe]."
    )
    tx = [c for c in t.columns if str(c).startswith("tx_")]
    text2 = (
        f"Eligible were all {count(len(t), m)} treatment trajectories in the export; "
        f"{count(len(cons), m)} ({percent(len(cons), len(t))}) had research consent and form "
        "the research population. A client who returns after an ended treatment starts a new "
        "trajectory; trajectories of one client were kept together wherever data were resampled "
        "or split. Each analysis then selects its own set (outcome measured, ended or not), "
        "described with its results."
    )
    if tx:
        text2 += (
            " Clients received the centre's usual multidisciplinary treatment: "
            + join_en([var_lower(c) for c in tx])
            + " ({table:table1} gives how often). Treatments are decided after the intake and "
            "were not used as predictors: the models predict success under the usual care of "
            "the centre."
        )
    return Part(
        [
            Heading("Design, setting and data", 3, "methods-data"),
            Paragraph(text1),
            Heading("Participants", 3, "methods-participants"),
            Paragraph(text2),
        ],
        {
            "5a": "methods-data",
            "5b": "methods-data",
            "6a": "methods-data",
            "6b": "methods-participants",
            **({"6c": "methods-participants"} if tx else {}),
        },  # fmt: skip
    )


def measurement_part(inp: Inputs) -> Part:
    """Instruments, scoring options, timepoint windows and data checks (item 7)."""
    o = inp.score_options
    w = inp.windows
    ssd = o.get("ssd12") or {}
    eq5 = o.get("eq5d5l") or {}
    eq3 = o.get("eq5d3l") or {}
    rand = o.get("rand36") or {}
    phq = o.get("phq15") or {}
    eq_value = {
        "published": "the Dutch value set with its published three-decimal coefficients",
        "full_precision": "the Dutch value set in full precision",
    }.get(str(eq5.get("coefficients")), f"the value set '{eq5.get('coefficients')}'")
    eq3_value = {
        "NL_2006_Lamers": "the Dutch value set of Lamers et al. [@lamers_2006]",
        "NL_2026_RoudijkJonker": "the Dutch value set of Roudijk and Jonker (2026)",
    }.get(str(eq3.get("value_set")), f"the value set '{eq3.get('value_set')}'")
    rand_rule = {
        "half_scale": "a scale was scored when at least half of its items were answered",
        "available_items": "a scale was the mean of its answered items",
    }.get(str(rand.get("missing_rule")), str(rand.get("missing_rule")))
    rand_method = {
        "rand": "the RAND scoring rules [@rand36]",
        "sf36_ware": "Ware's SF-36 scoring",
    }.get(str(rand.get("method")), str(rand.get("method")))
    text = (
        "Clients complete the ROM questionnaires at the start of treatment (intake), about every "
        "six months during treatment and at the end. The SSD-12 measures the psychological "
        "features of somatic symptoms (12 items, total 0 to 48, higher is worse) [@ssd12]; a "
        f"subscale was prorated when at most {whole(ssd.get('max_missing_per_subscale', 1))} "
        "of its four items was missing. The EQ-5D-5L [@eq5d5l] index was computed with "
        f"{eq_value} [@versteegh_2016] (the EQ-5D-3L of the early years with {eq3_value}); the "
        "EQ VAS rates health today from 0 to 100. The RAND-36 [@rand36; @vanderzee_1996] was "
        f"scored with {rand_method}; {rand_rule} (0 to 100, higher is better). The PHQ-15 "
        f"[@phq15] total (0 to 30, higher is worse) was prorated when at most "
        f"{whole(phq.get('max_missing', 1))} applicable item was missing."
    )
    if w:
        text += (
            f" The intake measurement is the one closest to the start date within "
            f"{whole(w.get('intake_before_days'))} days before to "
            f"{whole(w.get('intake_after_days'))} days after it, the end measurement the one "
            f"closest to the end date within {whole(w.get('end_before_days'))} days before to "
            f"{whole(w.get('end_after_days'))} days after it; measurements in between count as "
            "during treatment."
        )
    text2 = (
        "Before analysis the export was checked row by row: rows with an invalid value (a date "
        "after the export date, an unknown code, an answer out of range), exact duplicates and "
        "administrations that could not be linked to a trajectory were set aside with their "
        "reason, and identifying columns were refused. Client and trajectory numbers were "
        "replaced by keyed pseudonyms. The same rules apply to every client, whatever their sex, "
        "age or diagnosis."
    )
    return Part(
        [
            Heading("Measurement and data preparation", 3, "methods-measurement"),
            Paragraph(text),
            Paragraph(text2),
        ],
        {"7": "methods-measurement"},
    )


def _norm(inp: Inputs, score: str) -> Mapping[str, Any]:
    return inp.norms.get(score) or {}


def outcomes_part(inp: Inputs) -> Part:
    """Treatment success and the other outcomes (8a-c)."""
    n = _norm(inp, "ssd12_total")
    rc, cutoff = n.get("reliable_change"), n.get("cutoff_value")
    z = inp.rci_critical
    text = (
        "The primary outcome is treatment success on the SSD-12 at the end of treatment, the "
        "centre's main measure of the psychological burden of the symptoms, defined by the "
        "reliable change index of Jacobson and Truax [@jacobson_1991]. Reliable improvement: "
        "the end score is lower than the intake score by more than the reliable change"
    )
    if finite(rc) and finite(n.get("sd_pre")) and finite(n.get("reliability")):
        text += (
            f", {z:g} \u00d7 \u221a2 \u00d7 SD \u00d7 \u221a(1 \u2212 r) = {num(rc, 2)} points "
            f"(SD {num(n['sd_pre'], 1)}, reliability r = {num(n['reliability'], 2)})"
        )
    text += ". Recovery: reliable improvement and an end score on the healthy side of the cut-off"
    if finite(cutoff):
        text += (
            f" c = {num(cutoff, 1)} points, the point between the clinical (mean "
            f"{num(n.get('m_clin'), 1)}, SD {num(n.get('sd_clin'), 1)}) and the general population "
            f"distribution (mean {num(n.get('m_func'), 1)}, SD {num(n.get('sd_func'), 1)}) "
            "[@ssd12; @kop_2019]"
        )
    text += (
        ". Both need an SSD-12 at intake and at the end (completers). Secondary outcomes are "
        "the changes from intake to the end in the EQ-5D-5L index and RAND-36 physical "
        "functioning; the course of the SSD-12, EQ-5D-5L index, EQ VAS and RAND-36 scales "
        "during treatment; and the time to reliable improvement, to drop-out and to re-entry "
        "after a regular end."
    )
    text2 = (
        "All outcomes are questionnaires filled in by the clients themselves: their assessment "
        "needs no interpretation by an assessor, and there was no blinding (the clinicians knew "
        "the predictors, the clients their own history). The same questionnaires and scoring "
        "rules apply to every sociodemographic group; Dutch norms exist for the SSD-12 only, so "
        "reliable change of the other instruments uses the centre's own intake data."
    )
    return Part(
        [
            Heading("Outcomes", 3, "methods-outcomes"),
            Paragraph(text),
            Paragraph(text2),
        ],
        {"8a": "methods-outcomes", "8b": "methods-outcomes", "8c": "methods-outcomes"},
    )


def predictors_part(inp: Inputs) -> Part:
    """Choice and definition of the predictors (9a-c)."""
    names: list[str] = []
    for m in inp.family("prediction"):
        for p in m.metrics.get("predictors") or []:
            if p not in names:
                names.append(str(p))
    if not names:
        names = ["age_at_start", "sex", "diagnosis", "cfs", *COMORBIDITIES]
    listed = join_en([var_lower(p) for p in names])
    text = (
        "The candidate predictors were chosen before the analysis as the baseline factors the "
        "centre records for every client and that its research line asks about: "
        f"{listed}. No predictor was selected on the data; every model uses all of them "
        "(tree ensembles select splits themselves)."
    )
    text2 = (
        "Age is in years at the start of treatment; sex as registered (female, male, other); "
        "the diagnosis is the main classification at intake (somatic symptom disorder, "
        "functional neurological symptom disorder, illness anxiety disorder, other); chronic "
        "fatigue syndrome and each comorbidity are 0/1 flags registered by the clinicians at "
        "intake; symptom duration is in years at referral; prior treatments is the number of "
        "earlier treatments for the symptoms; the intake scores are the questionnaires at "
        "intake. All are known at the start of treatment; variables known only later "
        "(treatments given, sessions, the end date and reason) are excluded by design. "
        "Diagnoses and comorbidities are clinical judgements; the export does not record who "
        "made them or their qualifications."
    )
    return Part(
        [
            Heading("Predictors", 3, "methods-predictors"),
            Paragraph(text),
            Paragraph(text2),
        ],
        {"9a": "methods-predictors", "9b": "methods-predictors"},
    )


def _grid_text(grid: Mapping[str, Sequence[Any]]) -> str:
    return "; ".join(
        f"{GRID_NAMES.get(k, k.replace('_', ' '))} {', '.join(str(x) for x in v)}"
        for k, v in sorted(grid.items())
    )


def analysis_part(inp: Inputs) -> Part:
    """Statistical analysis: descriptive, mixed, survival, prediction (12a-g, 13-16)."""
    blocks: list[Block] = [Heading("Statistical analysis", 3, "methods-analysis")]
    items: dict[str, str] = {}
    blocks.append(
        Paragraph(
            "Characteristics of the ended trajectories are described overall and by SSD-12 "
            "completer status, with standardised mean differences between completers and "
            "non-completers [@austin_2009]. All analyses use trajectories with research consent."
        )
    )
    mixed = [m for m in inp.family("mixed") if m.fitted]
    if mixed:
        s = _settings(inp, mixed[0])
        outcomes = join_en(
            [var_lower(str(m.metrics.get("outcome"))) for m in mixed if m.metrics.get("outcome")]
        )
        refit = any(
            (getattr(_settings(inp, m), "on_unidentifiable", "report") == "refit_without_slope")
            or (getattr(_settings(inp, m), "on_singular", "report") == "refit_without_slope")
            for m in mixed
        )
        text = (
            f"The {outcomes} were each modelled over time since the "
            "start of treatment (years) in a linear mixed model [@laird_ware] with every "
            "measurement at intake, during and at the end of treatment, including those of "
            "trajectories still in treatment (valid when missingness depends on observed data). "
            "Fixed effects: time, each comorbidity and its interaction with time (the "
            "difference in the yearly rate of change, the estimand of interest), age, sex and "
            "diagnosis; random effects per trajectory as specified"
            + (
                f" (lme4 notation: (1 + {s.re_formula.lstrip('~').strip()} | trajectory))"
                if s is not None and s.re_formula.strip() not in ("~1", "~ 1")
                else " (a random intercept)"
            )
            + ". Models were fitted by REML through lme4's profiled criterion [@lme4], with t "
            "tests on Satterthwaite degrees of freedom as in lmerTest [@lmertest], "
            "profile-likelihood intervals for the variance components, the intraclass "
            "correlation and the random-effects correlation, and a likelihood-ratio test (ML "
            "refits) with a Satterthwaite F test of all comorbidity \u00d7 time interactions "
            "together."
        )
        if refit:
            text += (
                " Where a trajectory had too few measurements for random slopes to be "
                "identifiable (no more measurements than random effects, when lme4 stops) or the "
                "fit was singular, the model was refitted with a random intercept only, as "
                "pre-specified in the settings."
            )
        text += (
            " Predicted mean trajectories with and without each comorbidity average the "
            "model's predictions over the covariates of each group, with pointwise 95% Wald "
            "bands from the fixed-effect covariance matrix."
        )
        blocks.append(Heading("Longitudinal mixed models", 4, "methods-mixed"))
        blocks.append(Paragraph(text))
        items["12d"] = "methods-clusters"
    survival = [m for m in inp.family("survival") if m.fitted]
    if survival:
        models = {m.model for m in survival}
        text = (
            "Time ran from the start of treatment (re-entry: from the end of a "
            "regularly ended trajectory), in years. Because treatment ends in several ways that "
            "preclude one another, we estimated the cumulative incidence of each cause with the "
            "Aalen\u2013Johansen estimator [@aalen_johansen; @putter_2007] (pointwise 95% "
            "intervals on the log(\u2212log) scale, variance as cmprsk) and compared factors with "
            "Gray's test [@gray_1988]. "
        )
        if "cause_specific_cox" in models or "cox_ph" in models:
            text += (
                "Associations were estimated by cause-specific Cox models [@cox_1972] (Efron "
                "ties; the other causes censored), and proportional hazards were checked per "
                "term and globally with the Grambsch\u2013Therneau test as R's cox.zph "
                "(survival \u2265 3.0) computes it [@grambsch_1994]. Fine\u2013Gray "
                "subdistribution models were not fitted. "
            )
        if "kaplan_meier" in models:
            text += (
                "Kaplan\u2013Meier curves [@kaplan_meier] with log\u2013log intervals and "
                "log-rank tests describe each cause's hazard with the other causes censored."
            )
        blocks.append(Heading("Time to event", 4, "methods-survival"))
        blocks.append(Paragraph(text.strip()))
    prediction = [m for _, members in groups(inp) for m in members if m.fitted]
    if prediction:
        blocks.extend(_prediction_methods(inp, prediction))
        items.update(
            {
                "12a": "methods-prediction",
                "12b": "methods-prediction",
                "12c": "methods-prediction",
                "12e": "methods-prediction-performance",
                "12f": "methods-prediction-performance",
                "12g": "methods-prediction-performance",
                "13": "methods-prediction",
                "14": "methods-prediction-performance",
                "15": "methods-prediction-performance",
                "16": "methods-prediction",
            }
        )
    blocks.append(Heading("Clustering", 4, "methods-clusters"))
    blocks.append(
        Paragraph(
            "All data come from one centre, so heterogeneity between centres could not be "
            "examined. Measurements within a trajectory are modelled by random effects in the "
            "mixed models; trajectories of the same client were kept in the same fold or "
            "bootstrap draw in every resampling of the prediction models."
        )
    )
    items["12d"] = "methods-clusters"
    return Part(blocks, items)


def _prediction_methods(inp: Inputs, models: Sequence[ModelOutput]) -> list[Block]:
    first = _settings(inp, models[0])
    rows = []
    cites: list[str] = []
    for m in models:
        s = _settings(inp, m)
        estimator, cite = ESTIMATORS.get(m.model, (lower(model_name(m)), "steyerberg_2019"))
        if cite not in cites:
            cites.append(cite)
        outcome = prediction_outcome(m, inp.entry(m.name))
        grid = getattr(s, "grid", {}) or {}
        validation = getattr(s, "validation", "nested_cv")
        if validation == "nested_cv":
            valid = (
                f"{getattr(s, 'repeats', '')} \u00d7 {getattr(s, 'folds', '')}-fold nested CV"
                + (f", {getattr(s, 'inner_folds', '')}-fold inner CV" if grid else "")
            )
        else:
            valid = f"bootstrap optimism correction, {getattr(s, 'bootstrap_reps', '')} refits"
        rows.append((f"{outcome.short}: {model_name(m)}", _grid_text(grid) or "nothing", valid))
        del estimator
    validation = getattr(first, "validation", "nested_cv")
    imputation = getattr(first, "imputation_method", "pmm")
    text = (
        "Each model was developed on all eligible trajectories "
        "(completers of the outcome's instrument) and validated internally; the data were not "
        "split into a development and a test set, which wastes data at this sample size "
        "[@steyerberg_2019]. "
    )
    if validation == "nested_cv":
        text += (
            f"Performance was estimated by {getattr(first, 'repeats', 3)} repeats of "
            f"{getattr(first, 'folds', 5)}-fold cross-validation with folds grouped by client; "
            "every step (imputation, standardisation, tuning by an inner "
            f"{getattr(first, 'inner_folds', 3)}-fold cross-validation minimising the log loss "
            "or squared error) was repeated inside each training set, so that no held-out "
            "trajectory informed its own prediction. "
        )
    else:
        text += (
            "Performance was estimated by Harrell's bootstrap optimism correction "
            f"[@harrell_1996] with {getattr(first, 'bootstrap_reps', 100)} client-cluster "
            "refits of the whole procedure. "
        )
    text += (
        "The final model was refitted on all trajectories with the tuned settings. Continuous "
        "predictors entered linearly (standardised inside the penalised models, untransformed "
        "in the tree ensembles), categories as indicators against a reference level. "
        + "{table:methods-models} lists the models: "
        + join_en(sorted({ESTIMATORS.get(m.model, (lower(model_name(m)), ""))[0] for m in models}))
        + " "
        + "["
        + "; ".join(f"@{c}" for c in cites)
        + "]. "
        "No class-imbalance methods (resampling or reweighting) were used, so predicted risks "
        "are on the scale of the observed event rate. Development and evaluation data come from "
        "the same centre, period, eligibility, outcome and predictor definitions."
    )
    if imputation == "pmm":
        missing = (
            f"{getattr(first, 'imputations', 5)} imputations by chained equations with "
            f"predictive mean matching ({getattr(first, 'pmm_donors', 5)} donors) for continuous "
            "predictors"
        )
    else:
        missing = (
            f"{getattr(first, 'imputations', 5)} imputations by chained equations with "
            "Bayesian normal draws"
        )
    performance = (
        "Performance of binary outcomes: discrimination (AUC), calibration (calibration "
        "intercept and slope from a logistic recalibration of the validated predictions, "
        "smoothed and grouped calibration plots [@van_calster_2019]), the Brier score and the "
        "scaled Brier score, and clinical usefulness by decision curves (net benefit over "
        "threshold probabilities) [@vickers_2006]; of change scores: R\u00b2, root mean squared "
        "and mean absolute error, calibration slope and calibration-in-the-large. 95% "
        f"intervals are percentiles over {getattr(first, 'ci_draws', 1000)} client-cluster "
        "bootstrap resamples of the validated predictions. Models of the same outcome were "
        "compared on these measures; the primary model was named beforehand in the report "
        "settings. Performance is also given per subgroup of sex, diagnosis, chronic fatigue "
        "syndrome and each comorbidity, as a check of fairness, where a subgroup has at least "
        f"{inp.min_n} trajectories (binary outcomes: also {inp.min_n} events and non-events). "
        "Permutation importance [@fisher_2019] is the mean drop in the validated AUC or R\u00b2 "
        "when a predictor is permuted in the held-out data, with a corrected resampled t "
        "interval [@nadeau_2003]. The models output a predicted probability (binary) or a "
        "predicted change; no classification threshold was set. Predictions of a linear model "
        "are its intercept plus its coefficients times the predictor values "
        "(coefficients files); the tree ensembles are computed by the fitted pipeline. The "
        "models were not updated or recalibrated after validation."
    )
    return [
        Heading("Prediction models", 4, "methods-prediction"),
        Paragraph(text),
        Table(
            caption="Prediction models: tuned hyper-parameters and internal validation",
            header=("Outcome: model", "Tuned (grid)", "Validation"),
            rows=tuple(rows),
            note=f"Missing predictor values: {missing}, fitted on each training set; the outcome "
            "is not in the imputation model of the validated procedure. CV: cross-validation, "
            "folds grouped by client.",
            anchor="methods-models",
            left=(1, 2),
        ),
        Heading("Performance measures", 4, "methods-prediction-performance"),
        Paragraph(performance),
    ]


def missing_part(inp: Inputs) -> Part:
    """Missing data (item 11)."""
    prediction = [m for m in inp.family("prediction") if m.fitted]
    first = _settings(inp, prediction[0]) if prediction else None
    text = (
        "Outcomes were not imputed. A trajectory without an end measurement has no change "
        "score or success status and is left out of those analyses; {table:table1} compares "
        "completers with non-completers. The mixed models use every available measurement "
        "(valid under missing at random given the model's covariates and earlier "
        "measurements) and drop measurements with a missing covariate; the Cox models use "
        "complete cases."
    )
    if first is not None:
        imputations = getattr(first, "imputations", 5)
        method = (
            f"predictive mean matching ({getattr(first, 'pmm_donors', 5)} donors)"
            if getattr(first, "imputation_method", "pmm") == "pmm"
            else "Bayesian normal draws"
        )
        text += (
            f" Missing predictor values of the prediction models were multiply imputed "
            f"({imputations} imputations by chained equations, {method} for continuous "
            "predictors, draws bounded to [0, 1] for indicators) [@mice] inside every training "
            "set, and the predictions of the imputed models averaged; the ANCOVA coefficients "
            "were pooled by Rubin's rules [@rubin_1987] with the end score in the imputation "
            "model."
        )
    return Part(
        [Heading("Missing data", 3, "methods-missing"), Paragraph(text)], {"11": "methods-missing"}
    )


def sample_size_part(inp: Inputs) -> Part:
    """Sample size (item 10)."""
    text = (
        "The study size is that of the export: no sample size was calculated beforehand. For "
        "each prediction model we compared the number of trajectories with the minimum of "
        "Riley et al. [@riley_2020; @riley_2019_continuous] for an anticipated Nagelkerke "
        "R\u00b2 of 0.15: expected shrinkage of at least 0.9, a small optimism in R\u00b2 and a "
        "precise estimate of the overall risk (binary) or of the mean and residual variance "
        "(change scores, within an absolute margin set per outcome). A model below its "
        "minimum is reported as exploratory. The minimum is a lower bound for the tree "
        "ensembles [@van_der_ploeg_2014]."
    )
    margins = []
    for m in inp.family("prediction"):
        s = _settings(inp, m)
        margin = getattr(s, "intercept_margin", None)
        if margin is not None:
            outcome = prediction_outcome(m, inp.entry(m.name))
            item = f"{lower(outcome.short)} {num(margin, 2 if margin < 1 else 1)}"
            if item not in margins:
                margins.append(item)
    if margins:
        text += " Margins of the mean change: " + join_en(margins) + " (score units)."
    return Part(
        [Heading("Sample size", 3, "methods-sample-size"), Paragraph(text)],
        {"10": "methods-sample-size"},
    )


def software_part(inp: Inputs, versions: Mapping[str, str]) -> Part:
    """Disclosure control and software."""
    m = inp.min_n
    named = [
        f"{k} {versions[k]}"
        for k in ("python", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "lifelines")
        if k in versions
    ]
    text = (
        f"No count of fewer than {m} trajectories is published: such counts (and percentages, "
        f"numbers at risk and subgroup results resting on them) read '{suppression_label(m)}' "
        "or are left out, also where they could be recovered by subtraction "
        "[@hundepool_2012]; curves stop where fewer remain at risk. "
        "The analysis is a reproducible pipeline (Python, DVC): the same export and settings "
        "give the same report byte for byte. Its estimates were checked against R (lme4, "
        "lmerTest, survival, cmprsk, pmsampsize) in the pipeline's tests."
    )
    if named:
        text += " Software: " + ", ".join(named) + "."
    return Part(
        [Heading("Disclosure control and software", 3, "methods-software"), Paragraph(text)]
    )


def methods_part(inp: Inputs, versions: Mapping[str, str]) -> Part:
    """The whole Methods section."""
    parts = [
        design_part(inp),
        measurement_part(inp),
        outcomes_part(inp),
        predictors_part(inp),
        analysis_part(inp),
        missing_part(inp),
        sample_size_part(inp),
        software_part(inp, versions),
    ]
    blocks: list[Block] = [Heading("Methods", 2, "methods")]
    items: dict[str, str] = {}
    for p in parts:
        blocks.extend(p.blocks)
        for k, v in p.items.items():
            items.setdefault(k, v)
    return Part(blocks, items)


__all__ = ["methods_part"]
