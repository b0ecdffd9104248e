"""Labels of variables, levels and metrics in English and Dutch, and Dutch number and date
formats: the one place where report texts name things, so every table, figure and paragraph
uses the same term.

:data:`LABELS` maps a key (a column, a level as ``"column=level"``, or a metric) to its English
and Dutch label; :func:`label` looks one up. The glossary of the annual report
(:data:`GLOSSARY_NL`) defines the Dutch terms that the text uses consistently: *voormeting* and
*nameting* (never begin/eind-, pre/post), *ROM-respons*, *uitval*.

Number formats follow Dutch usage (Taalunie, *Leenwoordenboek/Schrijfwijzer*): decimal comma,
a true minus sign, a thin non-breaking space as thousands separator from 10 000 on, dates as
"31 december 2025".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal

Lang = Literal["en", "nl"]

#: key -> {"en": ..., "nl": ...}
LABELS: dict[str, dict[str, str]] = {
    # Outcome scores
    "ssd12_total": {"en": "SSD-12 total score", "nl": "SSD-12 totaalscore"},
    "eq5d5l_index": {"en": "EQ-5D-5L index", "nl": "EQ-5D-5L index"},
    "eq5d_vas": {"en": "EQ VAS", "nl": "EQ VAS"},
    "rand36_pf": {"en": "RAND-36 physical functioning", "nl": "RAND-36 fysiek functioneren"},
    "rand36_rp": {
        "en": "RAND-36 role limitations (physical)",
        "nl": "RAND-36 rolbeperking door lichamelijke problemen",
    },
    "rand36_re": {
        "en": "RAND-36 role limitations (emotional)",
        "nl": "RAND-36 rolbeperking door emotionele problemen",
    },
    "rand36_vt": {"en": "RAND-36 vitality", "nl": "RAND-36 vitaliteit"},
    "rand36_mh": {"en": "RAND-36 mental health", "nl": "RAND-36 mentale gezondheid"},
    "rand36_sf": {"en": "RAND-36 social functioning", "nl": "RAND-36 sociaal functioneren"},
    "rand36_bp": {"en": "RAND-36 bodily pain", "nl": "RAND-36 pijn"},
    "rand36_gh": {"en": "RAND-36 general health", "nl": "RAND-36 algemene gezondheidsbeleving"},
    "phq15_total": {"en": "PHQ-15 total score", "nl": "PHQ-15 totaalscore"},
    "cqi_grade": {"en": "CQ-index overall grade", "nl": "CQ-index rapportcijfer"},
    # Instruments
    "ssd12": {"en": "SSD-12", "nl": "SSD-12"},
    "eq5d5l": {"en": "EQ-5D-5L", "nl": "EQ-5D-5L"},
    "eq5d3l": {"en": "EQ-5D-3L", "nl": "EQ-5D-3L"},
    "rand36": {"en": "RAND-36", "nl": "RAND-36"},
    "phq15": {"en": "PHQ-15", "nl": "PHQ-15"},
    "cqi": {"en": "CQ-index", "nl": "CQ-index"},
    # Baseline variables
    "age_at_start": {"en": "Age at start", "nl": "Leeftijd bij start"},
    "sex": {"en": "Sex", "nl": "Geslacht"},
    "sex=f": {"en": "female", "nl": "vrouw"},
    "sex=m": {"en": "male", "nl": "man"},
    "sex=x": {"en": "other", "nl": "anders"},
    "diagnosis": {"en": "Diagnosis", "nl": "Diagnose"},
    "diagnosis=ssd": {
        "en": "somatic symptom disorder",
        "nl": "somatisch-symptoomstoornis",
    },
    "diagnosis=fnd": {
        "en": "functional neurological symptom disorder",
        "nl": "functioneel neurologische stoornis (conversie)",
    },
    "diagnosis=illness_anxiety": {"en": "illness anxiety disorder", "nl": "ziekteangststoornis"},
    "diagnosis=other": {"en": "other", "nl": "andere diagnose"},
    "cfs": {"en": "chronic fatigue syndrome", "nl": "chronisch vermoeidheidssyndroom"},
    "comorbid_asd": {"en": "autism spectrum disorder", "nl": "autismespectrumstoornis"},
    "comorbid_ptsd": {"en": "PTSD", "nl": "posttraumatische stressstoornis"},
    "comorbid_personality": {"en": "personality disorder", "nl": "persoonlijkheidsstoornis"},
    "comorbid_mild_id": {
        "en": "mild intellectual disability",
        "nl": "licht verstandelijke beperking",
    },
    "comorbid_opioid": {"en": "opioid dependence", "nl": "opioïdafhankelijkheid"},
    "comorbid_childhood_trauma": {
        "en": "early childhood trauma",
        "nl": "vroegkinderlijke traumatisering",
    },
    "comorbid_depression": {"en": "depressive disorder", "nl": "depressieve stoornis"},
    "comorbid_anxiety": {"en": "anxiety disorder", "nl": "angststoornis"},
    # End reasons
    "end_reason=regular": {"en": "regular end", "nl": "regulier afgesloten"},
    "end_reason=dropout": {"en": "drop-out", "nl": "voortijdig gestopt (uitval)"},
    "end_reason=referred": {"en": "referred", "nl": "verwezen"},
    "end_reason=other": {"en": "other", "nl": "overig"},
    # Jacobson-Truax categories
    "category=recovered": {"en": "recovered", "nl": "hersteld"},
    "category=improved": {"en": "improved", "nl": "betrouwbaar verbeterd, niet hersteld"},
    "category=unchanged": {"en": "unchanged", "nl": "onveranderd"},
    "category=deteriorated": {"en": "deteriorated", "nl": "betrouwbaar verslechterd"},
    "category=harmed": {
        "en": "harmed",
        "nl": "betrouwbaar verslechterd tot in het klinische gebied",
    },
    "merged=better": {
        "en": "reliably improved (incl. recovered)",
        "nl": "betrouwbaar verbeterd (incl. hersteld)",
    },
    "merged=unchanged": {"en": "unchanged", "nl": "onveranderd"},
    "merged=worse": {"en": "reliably deteriorated", "nl": "betrouwbaar verslechterd"},
    # Metrics and terms
    "intake": {"en": "intake", "nl": "voormeting"},
    "end": {"en": "end of treatment", "nl": "nameting"},
    "change": {"en": "change", "nl": "verandering"},
    "effect_size": {"en": "effect size", "nl": "effectgrootte"},
    "ci95": {"en": "95% CI", "nl": "95%-BI"},
    "response": {"en": "ROM response", "nl": "ROM-respons"},
    "dropout": {"en": "dropout", "nl": "uitval"},
    # Further baseline and course variables
    "symptom_duration_years": {"en": "Symptom duration", "nl": "Klachtenduur"},
    "prior_treatments": {"en": "Prior treatments", "nl": "Eerdere behandelingen"},
    "sessions": {"en": "Sessions", "nl": "Sessies"},
    "team": {"en": "Team", "nl": "Team"},
    "research_consent": {"en": "Research consent", "nl": "Toestemming voor onderzoek"},
    "end_reason": {"en": "Reason for ending", "nl": "Reden van afsluiting"},
    "status": {"en": "Status", "nl": "Status"},
    "status=ended": {"en": "ended", "nl": "afgesloten"},
    "status=ongoing": {"en": "ongoing", "nl": "lopend"},
    "end_reason=unknown": {"en": "unknown", "nl": "onbekend"},
    "sex=other": {"en": "male or other", "nl": "man of anders"},
    # Treatment modalities (tx_<modality> flags)
    "tx_cbt": {"en": "cognitive behavioural therapy", "nl": "cognitieve gedragstherapie"},
    "tx_emdr": {
        "en": "eye movement desensitisation and reprocessing",
        "nl": "eye movement desensitization and reprocessing (EMDR)",
    },
    "tx_body_mentalizing": {
        "en": "body-oriented mentalisation-based therapy",
        "nl": "lichaamsgerichte mentaliseren-bevorderende therapie",
    },
    "tx_schema": {"en": "schema therapy", "nl": "schematherapie"},
    "tx_pmt": {"en": "psychomotor therapy", "nl": "psychomotorische therapie"},
    "tx_physio": {"en": "physiotherapy", "nl": "fysiotherapie"},
    "tx_hypnotherapy": {"en": "hypnotherapy", "nl": "hypnotherapie"},
    "tx_pharmacotherapy": {"en": "pharmacotherapy", "nl": "farmacotherapie"},
    "tx_act": {
        "en": "acceptance and commitment therapy",
        "nl": "acceptance and commitment therapy (ACT)",
    },
    "tx_systemic": {"en": "systemic (family) therapy", "nl": "systeemtherapie"},
    "tx_nursing": {"en": "nursing care", "nl": "verpleegkundige zorg"},
    "tx_ehealth": {"en": "e-health modules", "nl": "e-healthmodules"},
    # Response status of an instrument (intake and end measurement)
    "response=completer": {"en": "completer", "nl": "voor- en nameting"},
    "response=pre_only": {"en": "intake only", "nl": "alleen voormeting"},
    "response=post_only": {"en": "end only", "nl": "alleen nameting"},
    "response=none": {"en": "neither", "nl": "geen van beide"},
    "response=ongoing": {"en": "ongoing", "nl": "lopend"},
    # Timepoints
    "timepoint=intake": {"en": "intake", "nl": "voormeting"},
    "timepoint=interim": {"en": "during treatment", "nl": "tussenmeting"},
    "timepoint=end": {"en": "end of treatment", "nl": "nameting"},
    "timepoint=follow_up": {"en": "follow-up", "nl": "follow-upmeting"},
    # Time-to-event outcomes and competing causes
    "outcome=dropout": {"en": "drop-out", "nl": "uitval"},
    "outcome=improvement": {"en": "reliable improvement", "nl": "betrouwbare verbetering"},
    "outcome=reentry": {"en": "re-entry", "nl": "heraanmelding"},
    "cause=dropout": {"en": "drop-out", "nl": "uitval"},
    "cause=regular": {"en": "regular end", "nl": "regulier afgesloten"},
    "cause=referred": {"en": "referral", "nl": "verwezen"},
    "cause=other": {"en": "other end", "nl": "overige afsluiting"},
    "cause=unknown": {"en": "end, reason unknown", "nl": "afsluiting, reden onbekend"},
    "cause=improvement": {"en": "reliable improvement", "nl": "betrouwbare verbetering"},
    "cause=ended_without_improvement": {
        "en": "ended without reliable improvement",
        "nl": "afgesloten zonder betrouwbare verbetering",
    },
    "cause=censored": {"en": "censored", "nl": "gecensureerd"},
    # Model terms that are not variables
    "Intercept": {"en": "Intercept", "nl": "Constante"},
    "years": {"en": "Time since start (per year)", "nl": "Tijd sinds start (per jaar)"},
    "var(Intercept)": {
        "en": "Variance of the random intercept",
        "nl": "Variantie van de random intercept",
    },
    "var(years)": {
        "en": "Variance of the random slope (per year)",
        "nl": "Variantie van de random helling (per jaar)",
    },
    "cov(Intercept,years)": {
        "en": "Covariance of random intercept and slope",
        "nl": "Covariantie van random intercept en helling",
    },
    "cor(Intercept,years)": {
        "en": "Correlation of random intercept and slope",
        "nl": "Correlatie van random intercept en helling",
    },
    "var(residual)": {"en": "Residual variance", "nl": "Residuele variantie"},
    "icc": {"en": "Intraclass correlation (time 0)", "nl": "Intraclasscorrelatie (tijdstip 0)"},
    # Performance measures
    "auc": {"en": "AUC (c statistic)", "nl": "AUC (c-statistiek)"},
    "brier": {"en": "Brier score", "nl": "Brier-score"},
    "scaled_brier": {"en": "Scaled Brier score", "nl": "Geschaalde Brier-score"},
    "calibration_intercept": {"en": "Calibration intercept", "nl": "Kalibratie-intercept"},
    "calibration_slope": {"en": "Calibration slope", "nl": "Kalibratiehelling"},
    "calibration_in_the_large": {
        "en": "Calibration-in-the-large",
        "nl": "Kalibratie in het groot",
    },
    "r2": {"en": "R\u00b2", "nl": "R\u00b2"},
    "rmse": {"en": "Root mean squared error", "nl": "Wortel van de gemiddelde kwadratische fout"},
    "mae": {"en": "Mean absolute error", "nl": "Gemiddelde absolute fout"},
    "concordance": {"en": "Concordance (Harrell's C)", "nl": "Concordantie (Harrell's C)"},
    "net_benefit": {"en": "Net benefit", "nl": "Netto voordeel"},
    "importance": {"en": "Permutation importance", "nl": "Permutatiebelang"},
    # Sample-size criteria (Riley et al. 2019, 2020)
    "criterion=shrinkage": {
        "en": "expected shrinkage of at least 0.9",
        "nl": "verwachte krimp van ten minste 0,9",
    },
    "criterion=optimism_nagelkerke_r2": {
        "en": "small optimism in Nagelkerke R\u00b2",
        "nl": "kleine optimisme in Nagelkerke-R\u00b2",
    },
    "criterion=overall_risk": {
        "en": "precise estimate of the overall risk",
        "nl": "nauwkeurige schatting van het totale risico",
    },
    "criterion=optimism_r2": {
        "en": "small optimism in R\u00b2",
        "nl": "kleine optimisme in R\u00b2",
    },
    "criterion=residual_variance": {
        "en": "precise estimate of the residual variance",
        "nl": "nauwkeurige schatting van de residuele variantie",
    },
    "criterion=intercept": {
        "en": "precise estimate of the mean outcome",
        "nl": "nauwkeurige schatting van de gemiddelde uitkomst",
    },
    # Model types (registry keys)
    "model=logistic_l2": {
        "en": "Penalised (L2) logistic regression",
        "nl": "Gepenaliseerde (L2) logistische regressie",
    },
    "model=logistic": {
        "en": "Logistic regression (maximum likelihood)",
        "nl": "Logistische regressie (maximale aannemelijkheid)",
    },
    "model=hgb_classifier": {"en": "Gradient boosting", "nl": "Gradient boosting"},
    "model=hgb_regressor": {"en": "Gradient boosting", "nl": "Gradient boosting"},
    "model=random_forest_classifier": {"en": "Random forest", "nl": "Random forest"},
    "model=random_forest_regressor": {"en": "Random forest", "nl": "Random forest"},
    "model=ancova": {"en": "Linear regression (ANCOVA)", "nl": "Lineaire regressie (ANCOVA)"},
    "model=ridge_regression": {
        "en": "Penalised (ridge) linear regression",
        "nl": "Gepenaliseerde (ridge) lineaire regressie",
    },
    "model=mixed_lm": {"en": "Linear mixed model", "nl": "Lineair gemengd model"},
    "model=kaplan_meier": {"en": "Kaplan\u2013Meier", "nl": "Kaplan\u2013Meier"},
    "model=cox_ph": {"en": "Cox proportional hazards", "nl": "Cox-proportionele hazards"},
    "model=cumulative_incidence": {
        "en": "Cumulative incidence (Aalen\u2013Johansen)",
        "nl": "Cumulatieve incidentie (Aalen\u2013Johansen)",
    },
    "model=cause_specific_cox": {"en": "Cause-specific Cox", "nl": "Oorzaakspecifieke Cox"},
    # Registered reasons of non-response (SBG reason codes)
    "nonresponse_group=approached": {
        "en": "client approached, no (complete) measurement (SBG codes 01-05)",
        "nl": "cliënt benaderd, geen (volledige) meting (SBG-codes 01–05)",
    },
    "nonresponse_group=not_approached": {
        "en": "client not approached (SBG codes 06-10)",
        "nl": "cliënt niet benaderd (SBG-codes 06–10)",
    },
    "nonresponse_group=not_registered": {
        "en": "no reason registered",
        "nl": "geen reden geregistreerd",
    },
}
#: Suffixes of per-trajectory score columns (``<score>_intake`` ...): English and Dutch.
SCORE_SUFFIXES: dict[str, dict[str, str]] = {
    "intake": {"en": "at intake", "nl": "bij de voormeting"},
    "end": {"en": "at the end of treatment", "nl": "bij de nameting"},
    "change": {"en": "change", "nl": "verandering"},
    "rci": {"en": "reliable change index", "nl": "betrouwbareveranderingsindex"},
    "category": {"en": "change category", "nl": "veranderingscategorie"},
}
#: Outcome scores whose per-trajectory columns get labels (``ssd12_total_intake`` ...).
SCORES: tuple[str, ...] = (
    "ssd12_total",
    "eq5d5l_index",
    "eq5d_vas",
    "rand36_pf",
    "rand36_rp",
    "rand36_re",
    "rand36_vt",
    "rand36_mh",
    "rand36_sf",
    "rand36_bp",
    "rand36_gh",
    "phq15_total",
)
LABELS.update(
    {
        "ssd12_cognitive": {"en": "SSD-12 cognitive subscale", "nl": "SSD-12 cognitieve subschaal"},
        "ssd12_affective": {
            "en": "SSD-12 affective subscale",
            "nl": "SSD-12 affectieve subschaal",
        },
        "ssd12_behavioural": {
            "en": "SSD-12 behavioural subscale",
            "nl": "SSD-12 gedragsmatige subschaal",
        },
        "eq5d3l_index": {"en": "EQ-5D-3L index", "nl": "EQ-5D-3L index"},
    }
)
LABELS.update(
    {
        f"{score}_{suffix}": {lang: f"{LABELS[score][lang]} {words[lang]}" for lang in ("en", "nl")}
        for score in (*SCORES, "ssd12_cognitive", "ssd12_affective", "ssd12_behavioural")
        for suffix, words in SCORE_SUFFIXES.items()
    }
)

#: Age groups of the client tables (lower bounds, years at the start of treatment).
AGE_GROUPS: tuple[tuple[int, int | None], ...] = ((18, 29), (30, 44), (45, 64), (65, None))

#: The annual report's glossary: term -> definition (Dutch), in print order.
GLOSSARY_NL: tuple[tuple[str, str], ...] = (
    (
        "Behandeltraject",
        "Eén behandeling van één cliënt, van de eerste behandelafspraak tot de afsluiting. Een "
        "cliënt die na afsluiting opnieuw start, heeft een tweede traject.",
    ),
    (
        "Voormeting",
        "De ROM-meting bij de start van de behandeling (het dichtst bij de startdatum).",
    ),
    (
        "Nameting",
        "De ROM-meting bij de afsluiting van de behandeling (het dichtst bij de einddatum).",
    ),
    (
        "ROM-respons",
        "Het percentage van de afgesloten trajecten met een bruikbare voormeting én nameting "
        "van een vragenlijst; bij de CQ-index (alleen bij afsluiting) telt de nameting.",
    ),
    (
        "Uitval",
        "Een behandeling die voortijdig is gestopt, zonder afspraak tussen cliënt en behandelaar.",
    ),
    (
        "Verandering",
        "Nameting min voormeting, in de eenheid van de vragenlijst.",
    ),
    (
        "Effectgrootte",
        "De gemiddelde verbetering gedeeld door de spreiding (standaarddeviatie) bij de "
        "voormeting. Positief is verbetering, negatief verslechtering. Leeswijzer: 0,2 klein, "
        "0,5 middelmatig, 0,8 groot.",
    ),
    (
        "Betrouwbare verandering",
        "Een verandering die groter is dan de meetfout van de vragenlijst (Jacobson & Truax).",
    ),
    (
        "Hersteld",
        "Betrouwbaar verbeterd én bij de nameting aan de gezonde kant van de grenswaarde.",
    ),
    (
        "95%-BI",
        "95%-betrouwbaarheidsinterval: het gebied waarin de werkelijke waarde met 95% "
        "zekerheid ligt.",
    ),
)

MONTHS_NL: tuple[str, ...] = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
MINUS = "\u2212"
THIN_NBSP = "\u202f"


def label(key: str, lang: Lang = "nl") -> str:
    """The label of ``key`` in ``lang``; an unknown key is an error (no silent fallback)."""
    try:
        return LABELS[key][lang]
    except KeyError:
        raise KeyError(f"no {lang} label for {key!r}") from None


def level(column: str, value: str, lang: Lang = "nl") -> str:
    """The label of level ``value`` of ``column`` (``label(f"{column}={value}")``)."""
    return label(f"{column}={value}", lang)


#: Units of continuous predictors, as printed after a label ("per year").
UNITS: dict[str, dict[str, str]] = {
    "age_at_start": {"en": "per year", "nl": "per jaar"},
    "symptom_duration_years": {"en": "per year", "nl": "per jaar"},
    "prior_treatments": {"en": "per treatment", "nl": "per behandeling"},
    "ssd12_total_intake": {"en": "per point", "nl": "per punt"},
    "eq5d5l_index_intake": {"en": "per unit", "nl": "per eenheid"},
    "eq5d_vas_intake": {"en": "per point", "nl": "per punt"},
    "phq15_total_intake": {"en": "per point", "nl": "per punt"},
    **{
        f"rand36_{scale}_intake": {"en": "per point", "nl": "per punt"}
        for scale in ("pf", "rp", "re", "vt", "mh", "sf", "bp", "gh")
    },
}
_VERSUS = {"en": "vs", "nl": "vs."}
_TIME_PER_YEAR = {"en": "time (per year)", "nl": "tijd (per jaar)"}


def _lower(text: str) -> str:
    """``text`` with a lower-case first letter, unless it is an abbreviation (``PTSD``)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


_TIMES = "\u00d7"


def term_label(
    term: str, lang: Lang = "en", reference_levels: Mapping[str, str] | None = None
) -> str:
    """The label of a model term as the model outputs name it.

    ``sex[T.m]`` -> "Sex: male (vs female)" (the reference level from ``reference_levels``),
    ``years:comorbid_asd`` -> "Time since start (per year) x autism spectrum disorder",
    ``improvement:comorbid_asd`` (cause-specific Cox) -> the cause and the term,
    ``importance[sex]`` -> "Sex", a variable -> its label with its unit, a variance component
    -> its label. An unknown name is an error (:func:`label`): nothing reaches a report
    unlabelled.
    """
    refs = dict(reference_levels or {})
    if term.startswith("importance[") and term.endswith("]"):
        return term_label(term[len("importance[") : -1], lang, refs)
    if term in LABELS and term not in UNITS:
        text = label(term, lang)
        return text[:1].upper() + text[1:]
    if ":" in term and "(" not in term:
        head, _, rest = term.partition(":")
        if f"cause={head}" in LABELS:
            cause = label(f"cause={head}", lang)
            return f"{cause[:1].upper() + cause[1:]}: {_lower(term_label(rest, lang, refs))}"
        parts = term.split(":")
        time = [p for p in parts if p == "years"]
        others = [term_label(p, lang, refs) for p in parts if p != "years"]
        words = [others[0], *(_lower(p) for p in others[1:])]
        if time:
            words.append(_TIME_PER_YEAR[lang])
        return f" {_TIMES} ".join(words)
    if "[T." in term and term.endswith("]"):
        column, _, value = term[:-1].partition("[T.")
        text = f"{label(column, lang)}: {level(column, value, lang)}"
        if column in refs:
            text += f" ({_VERSUS[lang]} {level(column, refs[column], lang)})"
        return text
    if term in UNITS:
        text = label(term, lang)
        return f"{text[:1].upper() + text[1:]} ({UNITS[term][lang]})"
    text = label(term, lang)
    return text[:1].upper() + text[1:]


def age_group_label(low: int, high: int | None) -> str:
    """``"18-29 jaar"`` or ``"65 jaar en ouder"`` (en dash)."""
    return f"{low} jaar en ouder" if high is None else f"{low}\u2013{high} jaar"


def number_nl(value: float | int, decimals: int = 0) -> str:
    """``value`` in Dutch notation: decimal comma, true minus sign, thin space between
    thousands from 10 000 on (Dutch usage leaves four-digit numbers unseparated)."""
    text = f"{abs(value):.{decimals}f}"
    whole, _, frac = text.partition(".")
    if len(whole) > 4:
        groups: list[str] = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = THIN_NBSP.join(groups)
    out = whole + ("," + frac if frac else "")
    negative = value < 0 and any(ch not in "0,." for ch in text)
    return (MINUS + out) if negative else out


def signed_nl(value: float, decimals: int) -> str:
    """As :func:`number_nl` with an explicit plus sign for positive values (``+0,40``)."""
    text = number_nl(value, decimals)
    return text if text.startswith(MINUS) or set(text) <= {"0", ","} else "+" + text


def percent_nl(value: float, decimals: int = 0) -> str:
    """``"45%"`` (Dutch writes the percent sign without a space in tables)."""
    return number_nl(value, decimals) + "%"


def date_nl(value: dt.date | str) -> str:
    """``"31 december 2025"`` from a date or an ISO date text."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def year_range_nl(first: int, last: int) -> str:
    """``"2021\u20132025"`` or ``"2025"`` (word joiners keep the range on one line)."""
    return str(first) if first == last else f"{first}\u2060\u2013\u2060{last}"


def join_nl(items: list[str]) -> str:
    """``"a, b en c"``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


def labels_for(keys: Mapping[str, object] | list[str], lang: Lang = "nl") -> dict[str, str]:
    """``{key: label(key, lang)}`` for every key."""
    return {k: label(k, lang) for k in keys}
