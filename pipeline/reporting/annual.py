"""The annual quality report's figures: pure, from the processed tables to one plain mapping.

Estimands, per calendar year Y (the report year and the ``previous_years`` before it):

- *referrals*: trajectories with ``referral_date`` in Y; *intakes*: ``start_date`` in Y;
  *ended*: ``end_date`` in Y; *ongoing*: started on or before 31 December Y and not ended by
  then.
- *response rate* per instrument: responders / trajectories ended in Y, a responder being a
  ``completer`` (valid intake and end; the Dutch national ROM benchmark) or, for the CQ-index
  (measured at the end only), a trajectory with an end measurement.
- per outcome score, over the trajectories ended in Y with intake and end: mean intake, mean
  end, mean change (end - intake) with its 95% t-interval, and the effect size (mean change / SD
  at intake, :func:`pipeline.change.effect_size`); the share recovered / improved / unchanged /
  deteriorated / harmed (Jacobson-Truax categories of the score stage).
- CQ-index grade at the end of treatment: mean, 95% t-interval and n.

Every figure resting on fewer than ``min_n`` trajectories is ``None`` (shown as "n < min_n"),
with secondary suppression where cells add up to a shown total
(:mod:`pipeline.reporting.suppression`). The result is what ``reports/metrics/annual.json``
holds and what both the HTML and the PDF print.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.change import effect_size
from pipeline.instruments.catalogue import INSTRUMENTS
from pipeline.instruments.registry import build_instruments, score_definitions
from pipeline.reporting.suppression import (
    check_min_n,
    suppress_count,
    suppress_distribution,
)

#: Instruments measured at the end of treatment only: a responder has an end measurement.
END_ONLY_INSTRUMENTS: frozenset[str] = frozenset(
    key for key, instrument in build_instruments().items() if instrument.end_only
)
#: Direction of improvement per score (from the instrument definitions, never from report code).
DIRECTIONS: dict[str, str] = {
    name: d.direction for name, d in score_definitions(build_instruments()).items()
}
#: Outcome scores of the annual report, in print order (docs/instruments.md, docs/methods.md).
OUTCOMES: tuple[str, ...] = (
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
#: Outcomes with a category table and plot for every year.
MAIN_OUTCOMES: tuple[str, ...] = ("ssd12_total", "eq5d5l_index", "eq5d_vas")
#: Jacobson-Truax categories, best first.
CATEGORIES: tuple[str, ...] = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
#: Decimals kept in ``annual.json`` (the report prints fewer).
JSON_DECIMALS = 6

Population = Literal["all", "research_consent"]


@dataclass(frozen=True)
class ReferenceValue:
    """An earlier figure of the centre (or a benchmark) shown beside the report's own figures.

    Attributes
    ----------
    measure
        What it is a value of: ``cqi_grade`` (the CQ-index rapportcijfer).
    year
        The year it refers to.
    value
        The figure itself.
    source
        Where it comes from, in Dutch, as printed (e.g. "CQ-index-meting van het centrum").
    """

    measure: Literal["cqi_grade"]
    year: int
    value: float
    source: str = ""


@dataclass(frozen=True)
class ResearchParams:
    """The ``report.research`` block: what the research report cannot know from the data.

    Every text is optional; an item of the TRIPOD+AI checklist that rests on a missing text
    reads "not reported" in the report's checklist (never reported by default).

    Attributes
    ----------
    title
        The report's title; ``None``: a title generated from the research question.
    authors
        Authors as printed under the title.
    figure_factors
        Baseline factors (``comorbid_asd``, ``diagnosis`` ...) by which the Kaplan-Meier and
        cumulative-incidence figures are split; empty (default): the two factors with the
        strongest association with each outcome (smallest log-rank or Gray's test p-value).
    background
        Context and rationale, with references to existing models (TRIPOD+AI 3a), printed
        after the generated background paragraph.
    health_inequalities
        Known health inequalities between sociodemographic groups (3c).
    ethics
        Ethics committee and informed consent (17).
    funding
        Source of funding and the role of the funders (18a).
    conflicts_of_interest
        Conflicts of interest of the authors (18b).
    protocol
        Where the protocol can be accessed, or that none was prepared (18c).
    registration
        Register and registration number, or that the study was not registered (18d).
    data_sharing
        Availability of the data (18e).
    code_sharing
        Availability of the analysis code (18f).
    patient_involvement
        Patient and public involvement, or that there was none (19).
    """

    title: str | None = None
    authors: str | None = None
    figure_factors: tuple[str, ...] = ()
    background: str | None = None
    health_inequalities: str | None = None
    ethics: str | None = None
    funding: str | None = None
    conflicts_of_interest: str | None = None
    protocol: str | None = None
    registration: str | None = None
    data_sharing: str | None = None
    code_sharing: str | None = None
    patient_involvement: str | None = None


@dataclass(frozen=True)
class ReportParams:
    """The ``report:`` block of ``params.yaml``.

    Attributes
    ----------
    year
        Report year; ``None`` = the last complete year of the data (:func:`default_year`).
    population
        ``all`` trajectories or ``research_consent`` only, for the annual report.
    previous_years
        How many earlier years are shown beside the report year.
    centre_name, centre_description, contact
        Printed on the title page and in "Over het centrum en dit verslag".
    publication_date
        ISO date printed as the publication date (never the clock).
    export_date
        ISO date of the ROM export as printed; ``None`` = the export date ingest settled
        (``ingest.export_date``, else from the data and the export's metadata).
    reference_values
        Earlier figures of the centre shown and compared in words (CQ-index rapportcijfer).
    reentry_window_years
        Re-entry counts a new trajectory of the same client within this many years of a
        regular end.
    record_kept_by
        Who keeps the technical record (``verantwoording-<year>.html``), as printed.
    primary_model
        The ``models:`` entry (prediction family) that the research report names as its
        primary prediction model; checked against ``models:`` by the report stage.
    research
        Texts and choices of the research report (:class:`ResearchParams`).
    """

    year: int | None = None
    population: Population = "all"
    previous_years: int = 4
    centre_name: str = "ALK-centrum"
    centre_description: str = ""
    contact: str = ""
    publication_date: str | None = None
    export_date: str | None = None
    reference_values: tuple[ReferenceValue, ...] = ()
    reentry_window_years: float = 2.0
    record_kept_by: str = "de afdeling Kwaliteit"
    primary_model: str | None = None
    research: ResearchParams = field(default_factory=ResearchParams)


@dataclass(frozen=True)
class ReportingParams:
    """The ``reporting:`` block: ``min_n``, the smallest publishable number of trajectories."""

    min_n: int = 10


def data_until(trajectories: pd.DataFrame, scores: pd.DataFrame) -> pd.Timestamp:
    """The latest date in the data (referral, start, end, or a completed questionnaire)."""
    dates = [
        trajectories[c].max()
        for c in ("referral_date", "start_date", "end_date")
        if c in trajectories
    ]
    if "completed_at" in scores and len(scores):
        dates.append(scores["completed_at"].max())
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        raise ValueError("the data hold no dates: no report year can be derived")
    return pd.Timestamp(max(dates)).normalize()


def default_year(last_date: pd.Timestamp) -> int:
    """The last complete calendar year: that of ``last_date`` if it is 31 December, else the
    year before."""
    if last_date.month == 12 and last_date.day == 31:
        return int(last_date.year)
    return int(last_date.year) - 1


def report_year(configured: int | None, export_date: pd.Timestamp) -> int:
    """The annual report's year: ``report.year``, or (``None``) the last calendar year ending on
    or before the export date.

    The report stage passes the export date ingest settled (``data/interim/ingested/export.json``:
    ``ingest.export_date``, else from the export's metadata and data); ingest quarantines later
    dates, so a mistyped ``end_date`` of 2099 cannot make an ``annual-report-2098``.

    Examples
    --------
    >>> report_year(None, pd.Timestamp("2025-12-31")), report_year(None, pd.Timestamp("2025-12-30"))
    (2025, 2024)
    >>> report_year(2023, pd.Timestamp("2025-06-01"))
    2023
    """
    if configured is not None:
        return int(configured)
    return default_year(pd.Timestamp(export_date).normalize())


def select_population(trajectories: pd.DataFrame, population: Population) -> pd.DataFrame:
    """All trajectories, or those with ``research_consent`` = 1."""
    if population == "all":
        return trajectories
    if population == "research_consent":
        return trajectories[trajectories["research_consent"].fillna(0).astype(int) == 1]
    raise ValueError("report.population must be 'all' or 'research_consent'")


def _num(value: float) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), JSON_DECIMALS)


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t-interval (``level``) of the finite ``values``; NaN when n < 2."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        return (float(np.mean(x)) if n else float("nan")), float("nan"), float("nan")
    mean = float(np.mean(x))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * np.std(x, ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def _year_of(series: pd.Series, year: int) -> pd.Series:
    return (series.dt.year == year).fillna(False).astype(bool)


def year_counts(trajectories: pd.DataFrame, year: int, min_n: int) -> dict[str, int | None]:
    """Referrals, intakes, ended and ongoing trajectories of ``year`` (primary suppression)."""
    year_end = pd.Timestamp(year=year, month=12, day=31)
    started = (trajectories["start_date"] <= year_end).fillna(False)
    open_at_end = trajectories["end_date"].isna() | (trajectories["end_date"] > year_end)
    raw = {
        "referrals": int(_year_of(trajectories["referral_date"], year).sum()),
        "intakes": int(_year_of(trajectories["start_date"], year).sum()),
        "ended": int(_year_of(trajectories["end_date"], year).sum()),
        "ongoing_at_year_end": int((started & open_at_end).sum()),
    }
    return {k: suppress_count(v, min_n) for k, v in raw.items()}


def response(ended: pd.DataFrame, min_n: int) -> dict[str, dict[str, float | int | None]]:
    """Response per instrument among trajectories ended in the year.

    Responders and non-responders partition the ended trajectories (a shown total), so both
    are suppressed together when either is below ``min_n``.
    """
    out: dict[str, dict[str, float | int | None]] = {}
    n_ended = len(ended)
    for instrument in INSTRUMENTS:
        column = f"response_{instrument}"
        if column not in ended:
            continue
        status = ended[column].astype("string")
        if instrument in END_ONLY_INSTRUMENTS:
            responders = int(status.isin(["completer", "post_only"]).sum())
        else:
            responders = int((status == "completer").sum())
        cells = suppress_distribution(
            {"responders": responders, "non_responders": n_ended - responders}, min_n
        )
        shown = cells["responders"]
        out[instrument] = {
            "ended": suppress_count(n_ended, min_n),
            "responders": shown,
            "rate": None if shown is None else _num(responders / n_ended),
        }
    return out


def outcome(ended: pd.DataFrame, score: str, min_n: int) -> dict[str, float | int | None]:
    """Pre-post figures of one score over trajectories ended in the year with intake and end."""
    keys = (
        "n",
        "intake_mean",
        "end_mean",
        "change_mean",
        "change_ci_low",
        "change_ci_high",
        "effect_size",
        "improvement_mean",
        "improvement_ci_low",
        "improvement_ci_high",
        "effect_size_improvement",
        "effect_size_improvement_ci_low",
        "effect_size_improvement_ci_high",
    )
    empty: dict[str, float | int | None] = dict.fromkeys(keys)
    if f"{score}_change" not in ended:
        return empty
    pre = ended[f"{score}_intake"].to_numpy(dtype=np.float64, na_value=np.nan)
    post = ended[f"{score}_end"].to_numpy(dtype=np.float64, na_value=np.nan)
    both = np.isfinite(pre) & np.isfinite(post)
    n = int(both.sum())
    if n < min_n:
        return empty
    change = post[both] - pre[both]
    mean, low, high = mean_ci(change)
    es = effect_size(pre[both], post[both])
    sign = 1 if DIRECTIONS.get(score, "higher_is_better") == "higher_is_better" else -1
    sd = float(np.std(pre[both], ddof=1))
    es_low, es_high = sorted((sign * low / sd, sign * high / sd)) if sd > 0 else (np.nan, np.nan)
    return {
        "n": n,
        "intake_mean": _num(float(np.mean(pre[both]))),
        "end_mean": _num(float(np.mean(post[both]))),
        "change_mean": _num(mean),
        "change_ci_low": _num(low),
        "change_ci_high": _num(high),
        "effect_size": _num(es),
        "improvement_mean": _num(sign * mean),
        "improvement_ci_low": _num(min(sign * low, sign * high)),
        "improvement_ci_high": _num(max(sign * low, sign * high)),
        "effect_size_improvement": _num(sign * es),
        "effect_size_improvement_ci_low": _num(es_low),
        "effect_size_improvement_ci_high": _num(es_high),
    }


def categories(ended: pd.DataFrame, score: str, min_n: int) -> dict[str, Any]:
    """Counts and percentages of the Jacobson-Truax categories (suppressed as a distribution)."""
    column = f"{score}_category"
    values = (
        ended[column].astype("string").dropna()
        if column in ended
        else pd.Series([], dtype="string")
    )
    raw = {c: int((values == c).sum()) for c in CATEGORIES}
    total = sum(raw.values())
    shown = suppress_distribution(raw, min_n)
    return {
        "n": suppress_count(total, min_n),
        "counts": shown,
        "percent": {
            c: (None if shown[c] is None else _num(100.0 * raw[c] / total)) for c in CATEGORIES
        },
    }


def cqi(ended: pd.DataFrame, scores: pd.DataFrame, min_n: int) -> dict[str, float | int | None]:
    """CQ-index grade at the end of treatment: mean, 95% t-interval, n (one per trajectory)."""
    rows = scores[
        (scores["instrument"] == "cqi")
        & (scores["timepoint"] == "end")
        & scores["trajectory_key"].isin(ended["trajectory_key"])
    ]
    grades = (
        rows.dropna(subset=["cqi_grade"])
        .sort_values(["trajectory_key", "completed_at"])
        .drop_duplicates("trajectory_key", keep="last")["cqi_grade"]
        .to_numpy(dtype=np.float64)
    )
    n = len(grades)
    if n < min_n:
        return {"n": None, "mean": None, "ci_low": None, "ci_high": None}
    mean, low, high = mean_ci(grades)
    return {"n": n, "mean": _num(mean), "ci_low": _num(low), "ci_high": _num(high)}


#: Baseline flags of the client tables (each comorbidity and CFS), in print order.
FLAGS: tuple[str, ...] = (
    "cfs",
    "comorbid_depression",
    "comorbid_anxiety",
    "comorbid_ptsd",
    "comorbid_childhood_trauma",
    "comorbid_personality",
    "comorbid_asd",
    "comorbid_mild_id",
    "comorbid_opioid",
)
SEXES: tuple[str, ...] = ("f", "m", "x")
DIAGNOSES: tuple[str, ...] = ("ssd", "fnd", "illness_anxiety", "other")
END_REASONS: tuple[str, ...] = ("regular", "dropout", "referred", "other")
#: Age groups (years at start), lower and upper bound inclusive; ``None`` = open.
AGE_GROUPS: tuple[tuple[int, int | None], ...] = ((18, 29), (30, 44), (45, 64), (65, None))
#: Merged reliable-change categories (what the report prints) and their members.
MERGED: dict[str, tuple[str, ...]] = {
    "better": ("recovered", "improved"),
    "unchanged": ("unchanged",),
    "worse": ("deteriorated", "harmed"),
}


def age_group(age: float) -> str:
    """The key ``"18-29"`` ... ``"65+"`` of :data:`AGE_GROUPS` for one age (``""`` if none)."""
    for low, high in AGE_GROUPS:
        if age >= low and (high is None or age <= high):
            return f"{low}+" if high is None else f"{low}-{high}"
    return ""


def age_group_keys() -> tuple[str, ...]:
    """The keys of :data:`AGE_GROUPS` in order."""
    return tuple(f"{lo}+" if hi is None else f"{lo}-{hi}" for lo, hi in AGE_GROUPS)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name``, or an all-missing column when the frame lacks it (unknown values)."""
    if name in frame:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="object")


def in_care(trajectories: pd.DataFrame, year: int) -> pd.DataFrame:
    """Trajectories in care during ``year``: started on or before 31 December and not ended
    before 1 January."""
    first = pd.Timestamp(year=year, month=1, day=1)
    last = pd.Timestamp(year=year, month=12, day=31)
    started = (trajectories["start_date"] <= last).fillna(False)
    not_ended = trajectories["end_date"].isna() | (trajectories["end_date"] >= first)
    return trajectories[started & not_ended.fillna(False)]


def _distribution(values: pd.Series, levels: Sequence[str], min_n: int) -> dict[str, Any]:
    """Counts and percentages of ``levels`` (a missing value is ``unknown``), suppressed as a
    distribution whose total is shown."""
    text = values.astype("string").fillna("unknown")
    raw = {k: int((text == k).sum()) for k in levels}
    unknown = int((~text.isin(list(levels))).sum())
    if unknown:
        raw["unknown"] = unknown
    total = sum(raw.values())
    shown = suppress_distribution(raw, min_n)
    return {
        "n": suppress_count(total, min_n),
        "counts": shown,
        "percent": {
            k: None if shown[k] is None or total == 0 else _num(100.0 * raw[k] / total) for k in raw
        },
    }


def _flag(values: pd.Series, min_n: int) -> dict[str, Any]:
    """A 0/1 flag as a yes/no/unknown distribution (suppressed)."""
    number = pd.to_numeric(values, errors="coerce")
    text = number.map({1: "yes", 0: "no"}).astype("string")
    return _distribution(text, ("yes", "no"), min_n)


def clients(trajectories: pd.DataFrame, year: int, min_n: int) -> dict[str, Any]:
    """Who was in care during ``year``: trajectories, unique clients, age group, sex,
    diagnosis and every comorbidity (per trajectory, at the start of treatment).

    Returns
    -------
    dict
        ``trajectories``, ``clients`` (suppressed counts), ``age``, ``sex``, ``diagnosis``
        (distributions) and ``flags``: flag -> yes/no distribution.
    """
    care = in_care(trajectories, year)
    ages = pd.to_numeric(_col(care, "age_at_start"), errors="coerce")
    groups = ages.map(lambda a: age_group(a) if pd.notna(a) else pd.NA).astype("string")
    sex = _col(care, "sex").astype("string")
    return {
        "trajectories": suppress_count(len(care), min_n),
        "clients": suppress_count(int(care["client_key"].nunique()), min_n),
        "age": _distribution(groups, age_group_keys(), min_n),
        "sex": _distribution(sex, SEXES, min_n),
        # Women vs everyone else: what the report shows when "x" alone is too small to show.
        "sex_f_other": _distribution(sex.where(sex == "f", "other"), ("f", "other"), min_n),
        "diagnosis": _distribution(_col(care, "diagnosis"), DIAGNOSES, min_n),
        "flags": {f: _flag(care[f], min_n) for f in FLAGS if f in care},
    }


def _median_iqr(values: np.ndarray) -> tuple[float, float, float]:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return float(med), float(q1), float(q3)


def flow(trajectories: pd.DataFrame, year: int, min_n: int, window_years: float) -> dict[str, Any]:
    """Intake, throughput and outflow of ``year``.

    Estimands: started in the year; ended in the year by reason (regular, dropout = uitval,
    referred, other; a distribution, suppressed); the dropout share of the ended; ongoing on
    31 December; treatment duration of the trajectories ended in the year (start to end, in
    months of 365.25/12 days: median and interquartile range, linear interpolation); re-entry:
    of the clients whose trajectory ended regularly in ``year - ceil(window_years)`` (so the
    whole window lies inside the data), the share with a new trajectory starting within
    ``window_years`` of that end.
    """
    ended = trajectories[_year_of(trajectories["end_date"], year)]
    reason = _col(ended, "end_reason").astype("string")
    reasons = _distribution(reason, END_REASONS, min_n)
    # Regular / dropout / referred-or-other first (what the report prints), then the split of
    # a published referred-or-other cell into its two parts (both shown or both hidden).
    merged_reason = reason.where(~reason.isin(["referred", "other"]), "referred_or_other")
    reasons3 = _distribution(merged_reason, ("regular", "dropout", "referred_or_other"), min_n)
    rest = reasons3["counts"].get("referred_or_other")
    n_ended = len(ended)
    if rest is not None:
        parts = {k: int((reason == k).sum()) for k in ("referred", "other")}
        split = suppress_distribution(parts, min_n)
        reasons3["split"] = {
            k: None if split[k] is None else _num(100.0 * parts[k] / n_ended) for k in parts
        }
    else:
        reasons3["split"] = {"referred": None, "other": None}
    dropout = reasons3["counts"].get("dropout")
    months = (ended["end_date"] - ended["start_date"]).dt.days.to_numpy(
        dtype=np.float64, na_value=np.nan
    ) / (365.25 / 12)
    months = months[np.isfinite(months)]
    duration: dict[str, float | int | None] = {"n": None, "median": None, "q1": None, "q3": None}
    if len(months) >= min_n:
        med, q1, q3 = _median_iqr(months)
        duration = {"n": len(months), "median": _num(med), "q1": _num(q1), "q3": _num(q3)}
    base_year = year - math.ceil(window_years)
    window = pd.Timedelta(days=window_years * 365.25)
    regular = trajectories[
        _year_of(trajectories["end_date"], base_year)
        & (_col(trajectories, "end_reason").astype("string") == "regular").fillna(False)
    ]
    starts = trajectories[["client_key", "trajectory_key", "start_date"]]
    pairs = regular[["client_key", "trajectory_key", "end_date"]].merge(
        starts, on="client_key", suffixes=("", "_next")
    )
    later = pairs[
        (pairs["trajectory_key_next"] != pairs["trajectory_key"])
        & (pairs["start_date"] > pairs["end_date"])
        & (pairs["start_date"] <= pairs["end_date"] + window)
    ]
    back = int(later["trajectory_key"].nunique())
    split = suppress_distribution({"reentry": back, "no_reentry": len(regular) - back}, min_n)
    return {
        "started": suppress_count(int(_year_of(trajectories["start_date"], year).sum()), min_n),
        "ended": suppress_count(n_ended, min_n),
        "end_reasons": reasons,
        "end_reasons_merged": reasons3,
        "dropout_percent": None
        if dropout is None or n_ended == 0
        else _num(100.0 * dropout / n_ended),
        "ongoing_at_year_end": year_counts(trajectories, year, min_n)["ongoing_at_year_end"],
        "duration_months": duration,
        "reentry": {
            "base_year": base_year,
            "window_years": window_years,
            "regular_ends": suppress_count(len(regular), min_n),
            "reentries": split["reentry"],
            "percent": None
            if split["reentry"] is None or not len(regular)
            else _num(100.0 * back / len(regular)),
        },
    }


def _responders(ended: pd.DataFrame, instrument: str) -> pd.Series:
    status = ended[f"response_{instrument}"].astype("string")
    if instrument in END_ONLY_INSTRUMENTS:
        return status.isin(["completer", "post_only"]).fillna(False).astype(bool)
    return (status == "completer").fillna(False).astype(bool)


def score_response(ended: pd.DataFrame, score: str, min_n: int) -> dict[str, float | int | None]:
    """ROM response of one score (e.g. the EQ VAS, which shares its instrument with the
    EQ-5D-5L index): trajectories with the score at both voormeting and nameting."""
    both = ended[f"{score}_intake"].notna() & ended[f"{score}_end"].notna()
    responders = int(both.sum())
    n_ended = len(ended)
    cells = suppress_distribution(
        {"responders": responders, "non_responders": n_ended - responders}, min_n
    )
    return {
        "ended": suppress_count(n_ended, min_n),
        "responders": cells["responders"],
        "rate": None if cells["responders"] is None else _num(responders / n_ended),
    }


def _group_profile(group: pd.DataFrame, min_n: int) -> dict[str, Any]:
    n = len(group)
    if n < min_n:
        return {
            "n": None,
            "age_mean": None,
            "female_percent": None,
            "diagnosis_ssd_percent": None,
            "dropout_percent": None,
            "ssd12_intake_n": None,
            "ssd12_intake_mean": None,
        }

    def share(mask: pd.Series) -> float | None:
        yes = int(mask.fillna(False).astype(bool).sum())
        cells = suppress_distribution({"yes": yes, "no": n - yes}, min_n)
        return None if cells["yes"] is None else _num(100.0 * yes / n)

    ages = pd.to_numeric(_col(group, "age_at_start"), errors="coerce").dropna()
    intake = pd.to_numeric(_col(group, "ssd12_total_intake"), errors="coerce").dropna()
    return {
        "n": n,
        "age_mean": _num(float(ages.mean())) if len(ages) >= min_n else None,
        "female_percent": share(_col(group, "sex").astype("string") == "f"),
        "diagnosis_ssd_percent": share(_col(group, "diagnosis").astype("string") == "ssd"),
        "dropout_percent": share(_col(group, "end_reason").astype("string") == "dropout"),
        "ssd12_intake_n": len(intake) if len(intake) >= min_n else None,
        "ssd12_intake_mean": _num(float(intake.mean())) if len(intake) >= min_n else None,
    }


def nonresponse(ended: pd.DataFrame, min_n: int, instrument: str = "ssd12") -> dict[str, Any]:
    """Responders vs non-responders of the primary instrument among trajectories ended in
    the year: group size, mean age, % female, % somatic symptom disorder, % dropout and the
    mean SSD-12 at voormeting where it is known (non-responders with a voormeting only)."""
    if f"response_{instrument}" not in ended:
        return {"instrument": instrument, "responders": None, "non_responders": None}
    mask = _responders(ended, instrument)
    sizes = suppress_distribution(
        {"responders": int(mask.sum()), "non_responders": int((~mask).sum())}, min_n
    )
    out: dict[str, Any] = {"instrument": instrument}
    for key, group in (("responders", ended[mask]), ("non_responders", ended[~mask])):
        profile = _group_profile(group, min_n)
        if sizes[key] is None:
            profile = dict.fromkeys(profile)
        out[key] = profile
    return out


#: Reason groups of registered non-response, in print order (``not_registered``: none).
NONRESPONSE_GROUPS: tuple[str, ...] = ("approached", "not_approached", "not_registered")


def nonresponse_reasons(
    ended: pd.DataFrame,
    records: pd.DataFrame | None,
    min_n: int,
    instrument: str = "ssd12",
) -> dict[str, Any]:
    """Non-responders of ``instrument`` among the trajectories ended in the year, by the
    reason group of their registered non-response (SBG codes 01-05: approached; 06-10: not
    approached; or none registered).

    A non-responder's reason is that of a record of the instrument linked to the trajectory
    at a missing measurement: the end's when the end is missing and a record is there, else
    the intake's; of several records at one timepoint the latest counts. The three groups add
    up to the non-responders and are suppressed together (:func:`suppress_distribution`).

    Parameters
    ----------
    ended
        Trajectories ended in the year (with ``response_<instrument>``).
    records
        ``data/processed/non_response.parquet`` (``None`` or empty: the export carries none).
    min_n
        Smallest publishable count.

    Returns
    -------
    dict
        ``instrument``, ``available`` (the export carries non-response records),
        ``non_responders``, ``counts`` and ``percent`` per group (``None`` when suppressed).
    """
    available = records is not None and len(records) > 0
    out: dict[str, Any] = {"instrument": instrument, "available": available}
    if f"response_{instrument}" not in ended:
        return out | {"non_responders": None, "counts": dict.fromkeys(NONRESPONSE_GROUPS),
                      "percent": dict.fromkeys(NONRESPONSE_GROUPS)}  # fmt: skip
    status = ended[f"response_{instrument}"].astype("string")
    missing_end = status.isin(["pre_only", "none"]).fillna(False).to_numpy(dtype=bool)
    missing_intake = status.isin(["post_only", "none"]).fillna(False).to_numpy(dtype=bool)
    non_responders = ~_responders(ended, instrument).to_numpy(dtype=bool)
    group = np.full(len(ended), "not_registered", dtype=object)
    if available:
        assert records is not None
        mine = records[
            (records["instrument"] == instrument) & records["trajectory_key"].notna()
        ].sort_values(["recorded_at", "source_row"], kind="mergesort")
        keys = ended["trajectory_key"].to_numpy(dtype=object)
        for timepoint, needed in (("intake", missing_intake), ("end", missing_end)):
            latest = mine[mine["timepoint"] == timepoint].drop_duplicates(
                "trajectory_key", keep="last"
            )
            found = pd.Series(latest["reason_group"].to_numpy(), index=latest["trajectory_key"])
            reason = pd.Series(keys).map(found).to_numpy(dtype=object)
            hit = needed & pd.notna(reason)
            group[hit] = reason[hit]  # the end's (second) wins over the intake's
    counts = {g: int((non_responders & (group == g)).sum()) for g in NONRESPONSE_GROUPS}
    total = int(non_responders.sum())
    shown = suppress_distribution(counts, min_n)
    return out | {
        "non_responders": suppress_count(total, min_n),
        "counts": shown,
        "percent": {
            g: None if shown[g] is None or not total else _num(100.0 * counts[g] / total)
            for g in NONRESPONSE_GROUPS
        },
    }


def merged_counts(values: pd.Series) -> dict[str, int]:
    """Counts of the three merged categories (:data:`MERGED`) and of ``recovered``."""
    text = values.astype("string").dropna()
    out = {m: int(text.isin(list(members)).sum()) for m, members in MERGED.items()}
    out["recovered"] = int((text == "recovered").sum())
    return out


def reliable_change(
    trajectories: pd.DataFrame, score: str, year: int, years: Sequence[int], min_n: int
) -> dict[str, Any]:
    """Reliable change of one score in three categories, pooled over ``years`` when a cell of
    the report year alone would be suppressed.

    The three merged categories (betrouwbaar verbeterd incl. hersteld / onveranderd /
    betrouwbaar verslechterd) are a distribution of the trajectories with voormeting and
    nameting; when every cell of ``year`` can be published they are shown for ``year``, else
    for all ``years`` pooled (suppressed as usual if even that is too small). *Waarvan
    hersteld* splits the published improved cell into recovered / improved-not-recovered, a
    distribution of its own (both shown or both hidden), so nothing is recoverable by
    subtraction.
    """
    column = f"{score}_category"
    if column not in trajectories:
        values_all = pd.Series([], dtype="string")
    ended_years = trajectories["end_date"].dt.year
    chosen: dict[str, Any] = {}
    for period in ([year], list(years)):
        rows = trajectories[ended_years.isin(period).fillna(False)]
        values_all = rows[column] if column in rows else pd.Series([], dtype="string")
        counts = merged_counts(values_all)
        main = {m: counts[m] for m in MERGED}
        shown = suppress_distribution(main, min_n)
        total = sum(main.values())
        chosen = {
            "period": [min(period), max(period)],
            "n": suppress_count(total, min_n),
            "counts": shown,
            "percent": {
                m: None if shown[m] is None else _num(100.0 * main[m] / total) for m in MERGED
            },
        }
        split = (
            suppress_distribution(
                {"recovered": counts["recovered"], "rest": main["better"] - counts["recovered"]},
                min_n,
            )
            if shown["better"] is not None
            else {"recovered": None}
        )
        chosen["recovered"] = split["recovered"]
        chosen["recovered_percent"] = (
            None if split["recovered"] is None else _num(100.0 * counts["recovered"] / total)
        )
        if all(v is not None for v in shown.values()):
            break
    return chosen


def reliable_change_by_year(
    trajectories: pd.DataFrame, score: str, years: Sequence[int], min_n: int
) -> dict[str, Any]:
    """Reliably improved (incl. recovered) vs not per year (no pooling), suppressed per year:
    the trend indicator, publishable in more years than the three categories."""
    column = f"{score}_category"
    out: dict[str, Any] = {}
    for y in years:
        rows = trajectories[_year_of(trajectories["end_date"], y)]
        counts = merged_counts(rows[column] if column in rows else pd.Series([], dtype="string"))
        main = {"better": counts["better"], "not_better": counts["unchanged"] + counts["worse"]}
        shown = suppress_distribution(main, min_n)
        total = sum(main.values())
        out[str(y)] = {
            "n": suppress_count(total, min_n),
            "percent": {
                m: None if shown[m] is None else _num(100.0 * main[m] / total) for m in main
            },
        }
    return out


def references(report: ReportParams) -> list[dict[str, Any]]:
    """The configured reference values (sorted by measure and year)."""
    return [
        {"measure": r.measure, "year": r.year, "value": r.value, "source": r.source}
        for r in sorted(report.reference_values, key=lambda r: (r.measure, r.year))
    ]


def year_figures(
    trajectories: pd.DataFrame,
    scores: pd.DataFrame,
    year: int,
    min_n: int,
    reentry_window_years: float = 2.0,
    non_response: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Every figure of one year, suppressed."""
    ended = trajectories[_year_of(trajectories["end_date"], year)]
    figures: dict[str, Any] = {
        "counts": year_counts(trajectories, year, min_n),
        "clients": clients(trajectories, year, min_n),
        "flow": flow(trajectories, year, min_n, reentry_window_years),
        "response": response(ended, min_n),
        "score_response": {
            s: score_response(ended, s, min_n) for s in OUTCOMES if f"{s}_intake" in ended
        },
        "nonresponse": nonresponse(ended, min_n),
        "nonresponse_reasons": nonresponse_reasons(ended, non_response, min_n),
        "outcomes": {s: outcome(ended, s, min_n) for s in OUTCOMES},
        "categories": {s: categories(ended, s, min_n) for s in OUTCOMES},
        "cqi": cqi(ended, scores, min_n),
    }
    # An outcome's n equals (nearly) its instrument's responders: hide it where the response
    # split is suppressed, so the non-responders cannot be recovered by subtraction.
    for score in OUTCOMES:
        instrument = "eq5d5l" if score.startswith("eq5d") else score.split("_")[0]
        split = figures["response"].get(instrument)
        if split is not None and split["responders"] is None:
            figures["outcomes"][score]["n"] = None
            figures["categories"][score]["n"] = None
    return figures


def _iso_date(text: str, key: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(text)))
    except ValueError:
        raise ValueError(f"report.{key} must be an ISO date such as 2026-03-31") from None


def report_years(year: int, previous_years: int, first_year: int) -> list[int]:
    """The report year and up to ``previous_years`` before it, not before ``first_year``."""
    return [y for y in range(year - previous_years, year + 1) if y >= first_year]


def annual_figures(
    trajectories: pd.DataFrame,
    scores: pd.DataFrame,
    report: ReportParams,
    reporting: ReportingParams,
    export_date: pd.Timestamp | None = None,
    non_response: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The annual report's figures for the report year and the years before it.

    Parameters
    ----------
    trajectories, scores
        ``data/processed/trajectories.parquet`` and ``scores.parquet`` (left unchanged).
    report, reporting
        The ``report:`` and ``reporting:`` blocks.
    export_date
        The export date ingest settled (``data/interim/ingested/export.json``): the default
        report year is the last calendar year ending on or before it. ``None``: the latest
        date in the data stands in for it.
    non_response
        ``data/processed/non_response.parquet`` (registered reasons of non-response), or
        ``None`` when the export carries none.

    Returns
    -------
    dict
        ``year``, ``years``, ``population``, ``min_n``, ``data_until`` (ISO date),
        ``trajectories_in_population`` (suppressed count) and ``by_year``: year (text) ->
        ``counts``, ``response``, ``outcomes``, ``categories``, ``cqi``. Suppressed figures are
        ``None``.
    """
    min_n = check_min_n(reporting.min_n)
    if report.previous_years < 0:
        raise ValueError("report.previous_years must be 0 or more")
    last = data_until(trajectories, scores)
    first_year = int(trajectories["start_date"].min().year)
    # Data without a complete calendar year (an export of a few months): the default report
    # year is the one year the data cover, in part (docs/robustness.md).
    cut_off = last if export_date is None else pd.Timestamp(export_date).normalize()
    year = report_year(report.year, cut_off)
    if report.year is None:
        year = max(year, first_year)
    population = select_population(trajectories, report.population)
    keys = set(population["trajectory_key"])
    in_scores = scores[scores["trajectory_key"].isin(keys)]
    if year < first_year or year > last.year:
        raise ValueError(f"report.year {year} is outside the data ({first_year}-{last.year})")
    years = report_years(year, report.previous_years, first_year)
    printed_export_date = (
        cut_off if report.export_date is None else _iso_date(report.export_date, "export_date")
    )
    if report.publication_date is not None:
        _iso_date(report.publication_date, "publication_date")
    if report.reentry_window_years <= 0:
        raise ValueError("report.reentry_window_years must be positive")
    return {
        "year": year,
        "years": years,
        "population": report.population,
        "min_n": min_n,
        "data_until": last.date().isoformat(),
        "trajectories_in_population": suppress_count(len(population), min_n),
        "export_date": printed_export_date.date().isoformat(),
        "publication_date": report.publication_date,
        "centre": {
            "name": report.centre_name,
            "description": report.centre_description,
            "contact": report.contact,
        },
        "references": references(report),
        "by_year": {
            str(y): year_figures(
                population, in_scores, y, min_n, report.reentry_window_years, non_response
            )
            for y in sorted(years)
        },
        "reliable_change": {
            s: reliable_change(population, s, year, years, min_n) for s in OUTCOMES
        },
        "reliable_change_by_year": {
            s: reliable_change_by_year(population, s, years, min_n) for s in MAIN_OUTCOMES
        },
    }


def instruments_shown(figures: Mapping[str, Any]) -> Sequence[str]:
    """Instruments with published responders in at least one shown year (the others were not
    administered in these years, or too rarely to publish)."""
    shown = []
    for instrument in INSTRUMENTS:
        for y in figures["by_year"].values():
            cell = y["response"].get(instrument)
            if cell is not None and cell["responders"] is not None:
                shown.append(instrument)
                break
    return shown
