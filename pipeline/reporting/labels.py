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
    "end_reason=dropout": {"en": "dropout", "nl": "voortijdig gestopt (uitval)"},
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
