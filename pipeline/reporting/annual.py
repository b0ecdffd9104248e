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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.change import effect_size
from pipeline.instruments.catalogue import INSTRUMENTS
from pipeline.instruments.registry import build_instruments
from pipeline.reporting.suppression import (
    check_min_n,
    suppress_count,
    suppress_distribution,
)

#: Instruments measured at the end of treatment only: a responder has an end measurement.
END_ONLY_INSTRUMENTS: frozenset[str] = frozenset(
    key for key, instrument in build_instruments().items() if instrument.end_only
)
#: Outcome scores of the annual report, in print order (instruments.md, methods.md).
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
)
#: Outcomes with a category table and plot for every year.
MAIN_OUTCOMES: tuple[str, ...] = ("ssd12_total", "eq5d5l_index", "eq5d_vas")
#: Jacobson-Truax categories, best first.
CATEGORIES: tuple[str, ...] = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
#: Decimals kept in ``annual.json`` (the report prints fewer).
JSON_DECIMALS = 6

Population = Literal["all", "research_consent"]


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
    """

    year: int | None = None
    population: Population = "all"
    previous_years: int = 4


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
    keys = ("n", "intake_mean", "end_mean", "change_mean", "change_ci_low", "change_ci_high")
    empty: dict[str, float | int | None] = dict.fromkeys((*keys, "effect_size"))
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
    return {
        "n": n,
        "intake_mean": _num(float(np.mean(pre[both]))),
        "end_mean": _num(float(np.mean(post[both]))),
        "change_mean": _num(mean),
        "change_ci_low": _num(low),
        "change_ci_high": _num(high),
        "effect_size": _num(effect_size(pre[both], post[both])),
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


def year_figures(
    trajectories: pd.DataFrame, scores: pd.DataFrame, year: int, min_n: int
) -> dict[str, Any]:
    """Every figure of one year, suppressed."""
    ended = trajectories[_year_of(trajectories["end_date"], year)]
    figures: dict[str, Any] = {
        "counts": year_counts(trajectories, year, min_n),
        "response": response(ended, min_n),
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


def report_years(year: int, previous_years: int, first_year: int) -> list[int]:
    """The report year and up to ``previous_years`` before it, not before ``first_year``."""
    return [y for y in range(year - previous_years, year + 1) if y >= first_year]


def annual_figures(
    trajectories: pd.DataFrame,
    scores: pd.DataFrame,
    report: ReportParams,
    reporting: ReportingParams,
) -> dict[str, Any]:
    """The annual report's figures for the report year and the years before it.

    Parameters
    ----------
    trajectories, scores
        ``data/processed/trajectories.parquet`` and ``scores.parquet`` (left unchanged).
    report, reporting
        The ``report:`` and ``reporting:`` blocks.

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
    year = report.year if report.year is not None else max(default_year(last), first_year)
    population = select_population(trajectories, report.population)
    keys = set(population["trajectory_key"])
    in_scores = scores[scores["trajectory_key"].isin(keys)]
    if year < first_year or year > last.year:
        raise ValueError(f"report.year {year} is outside the data ({first_year}-{last.year})")
    years = report_years(year, report.previous_years, first_year)
    return {
        "year": year,
        "years": years,
        "population": report.population,
        "min_n": min_n,
        "data_until": last.date().isoformat(),
        "trajectories_in_population": suppress_count(len(population), min_n),
        "by_year": {str(y): year_figures(population, in_scores, y, min_n) for y in sorted(years)},
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
