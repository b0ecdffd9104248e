"""The survival family: time-to-event analysis sets built from the processed tables.

One shared builder per outcome (docs/methods.md, *Survival*), each a pure function of
:class:`~pipeline.models.base.ModelInputs` that returns one row per unit at risk with
``duration_days`` (whole calendar days), ``duration`` (years = days / 365.25, the time scale of
every survival output), ``event`` (1 = event, 0 = right-censored) and every column of the
unit's trajectory (the baseline factors), plus the count of every selection step.

Selection shared by all outcomes
--------------------------------
1. Trajectories with ``research_consent`` = 1 only (docs/methods.md: research outputs).
2. The *export date* closes follow-up: a model's ``export_date`` hyper-parameter, or, when it
   is ``None``, the export's date as ingest settled it (``ingest.export_date``, else the latest
   administration day not after the day the files were written), or, without that (a test,
   a scored file), the latest date anywhere in the data (``start_date``, ``end_date``,
   ``completed_at``) -- never the clock. A trajectory that starts after it is excluded; an end
   after it is not yet known, so that trajectory counts as ongoing at the export date;
   administrations after it are ignored.
3. A trajectory without a start date, or whose end precedes its start, is excluded.

Outcomes
--------
``dropout``
    Time from ``start_date`` to the end of a trajectory that ended with ``end_reason`` =
    ``dropout`` (event). A regular end, a referral, any other (or unknown) reason censors at the
    end date; an ongoing trajectory is censored at the export date. One row per trajectory.
``improvement``
    Time from ``start_date`` to the first administration with a reliable improvement on the
    SSD-12 total: change from the intake score <= -RC, with RC = ``reliable_change`` (default
    :data:`RC_SSD12` = 1.96 x sqrt(2) x 11.2 x sqrt(1 - 0.93) = 8.2137 points, the
    Jacobson-Truax threshold of ``score.outcomes.ssd12_total`` in params.yaml; Jacobson & Truax
    1991). Administrations at ``intake``, ``interim`` and ``end`` count (during treatment, as in
    the mixed models); ``follow_up`` and ``unlinked`` ones do not. Without an improvement the
    trajectory is censored at its last administration after the intake. Trajectories without an
    intake score or without a later administration carry no information and are excluded
    (counted). The event is *interval-censored* in truth: the improvement happened somewhere
    between the previous administration and the one that shows it (about six months apart);
    it is recorded at the administration that shows it, so times to improvement are
    overestimated by up to one measurement interval (see :data:`INTERVAL_NOTE`).
``reentry``
    Time from a regular end (``end_reason`` = ``regular``, on or before the export date) to the
    start of the client's next trajectory (relapse or booster sessions), when that starts within
    ``window_years`` (default 2) of the end and on or before the export date (event). Otherwise
    censored at the end of the window or at the export date, whichever comes first. One row per
    regular end: a client whose re-entry also ended regularly contributes a second row (counted
    as ``clients_with_several_index_trajectories``). The later trajectory counts whatever its
    own research consent: its start date is registration data about the consenting index
    trajectory (re-entries into trajectories without consent are counted).

Competing risks
---------------
:func:`build_competing_set` gives ``dropout`` and ``improvement`` a ``cause`` per row (the
same rows and durations): for ``dropout`` each end reason is a cause of its own (``dropout``,
``regular``, ``referred``, ``other``, ``unknown``), for ``improvement`` the causes are
``improvement`` and ``ended_without_improvement``; only ongoing trajectories are censored.
Used by ``cumulative_incidence`` and ``cause_specific_cox`` (docs/methods-survival.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from pipeline.change import reliable_change_threshold
from pipeline.models.base import ModelError, ModelInputs

Outcome = Literal["improvement", "dropout", "reentry"]
#: The time-to-event outcomes, in the order of docs/methods.md.
OUTCOMES: tuple[str, ...] = ("improvement", "dropout", "reentry")
#: Days per year of the ``duration`` column (the Julian year, as the mixed models use).
DAYS_PER_YEAR = 365.25
#: The score whose reliable improvement is the ``improvement`` event (lower is better).
SSD12 = "ssd12_total"
#: Timepoints whose SSD-12 administrations count for ``improvement`` (during treatment).
IMPROVEMENT_TIMEPOINTS: tuple[str, ...] = ("intake", "interim", "end")
#: Default reliable-change threshold of the SSD-12 total: 1.96 x S_diff with SD_pre 11.2 and
#: reliability 0.93 (``score.outcomes.ssd12_total`` and ``score.rci_critical`` in params.yaml).
RC_SSD12: float = reliable_change_threshold(11.2, 0.93, 1.96)
#: Columns the builder adds to every analysis set.
TIME_COLUMNS: tuple[str, ...] = ("duration_days", "duration", "event")
TIME_UNIT = "years (calendar days / 365.25)"
INTERVAL_NOTE = (
    "Improvement is only observed at administrations (intake, then about every six months and "
    "at the end): the event time is the date of the first administration showing a reliable "
    "improvement, the right end of the interval in which it happened (right-endpoint "
    "imputation of an interval-censored time), so times to improvement are overestimated by up "
    "to one measurement interval."
)

DEFINITIONS: Mapping[str, str] = {
    "dropout": (
        "time from the start of treatment to an end with end_reason = dropout (event); regular, "
        "referred and other ends censor at the end date, ongoing trajectories at the export date"
    ),
    "improvement": (
        "time from the start of treatment to the first SSD-12 administration (interim or end) "
        "whose change from the intake score is <= -reliable_change (event); otherwise censored "
        "at the last administration after the intake"
    ),
    "reentry": (
        "time from a regular end to the start of a new trajectory of the same client within "
        "the window (event); censored at the end of the window or at the export date"
    ),
}


@dataclass(frozen=True)
class OutcomeSpec:
    """Which time-to-event outcome to build, and its settings.

    Attributes
    ----------
    outcome
        ``improvement``, ``dropout`` or ``reentry``.
    export_date
        ISO date that closes follow-up; ``None``: the export date ingest settled, else the
        latest date in the data.
    reliable_change
        RC in SSD-12 points (``improvement`` only): an improvement is a change <= -RC.
    reentry_window_years
        Length of the re-entry window after a regular end (``reentry`` only).
    """

    outcome: Outcome
    export_date: str | None = None
    reliable_change: float = RC_SSD12
    reentry_window_years: float = 2.0

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ModelError(f"outcome must be one of {', '.join(OUTCOMES)}")
        parse_export_date(self.export_date)
        if not (np.isfinite(self.reliable_change) and self.reliable_change > 0):
            raise ModelError("reliable_change must be a positive number of SSD-12 points")
        if not (np.isfinite(self.reentry_window_years) and self.reentry_window_years > 0):
            raise ModelError("reentry_window_years must be a positive number of years")


@dataclass(frozen=True)
class TimeToEventSet:
    """The units at risk of one outcome, and how they were selected.

    Attributes
    ----------
    frame
        One row per unit (trajectory; for ``reentry`` per regular end): ``duration_days``,
        ``duration`` (years), ``event`` (int 0/1) and every column of ``trajectories``. Sorted
        by ``trajectory_key``.
    flow
        Counts at each selection step and of events and censoring reasons (JSON-able).
    export_date
        The export date used, ISO ``YYYY-MM-DD``.
    definition
        The outcome's definition in words, for ``metrics.json``.
    """

    frame: pd.DataFrame
    flow: dict[str, int]
    export_date: str
    definition: str


def parse_export_date(value: str | None) -> pd.Timestamp | None:
    """The configured export date as a day, or ``None``; a one-line error when unreadable."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(str(value))
    except (TypeError, ValueError) as exc:
        raise ModelError("export_date must be an ISO date (YYYY-MM-DD) or null") from exc
    if pd.isna(stamp):
        raise ModelError("export_date must be an ISO date (YYYY-MM-DD) or null")
    return stamp.normalize()


def resolve_export_date(data: ModelInputs, export_date: str | None) -> pd.Timestamp:
    """The model's configured export date; else the export's (``data.export_date``, as ingest
    settled it); else the latest date in ``data``.

    The latest date is the maximum of the trajectories' ``start_date`` and ``end_date`` and the
    administrations' ``completed_at`` (date part).
    """
    configured = parse_export_date(export_date)
    if configured is not None:
        return configured
    if data.export_date is not None:
        return pd.Timestamp(data.export_date).normalize()
    candidates = []
    for frame, column in (
        (data.trajectories, "start_date"),
        (data.trajectories, "end_date"),
        (data.scores, "completed_at"),
    ):
        if column in frame.columns:
            values = _dates(frame[column])
            if values.notna().any():
                candidates.append(values.max())
    if not candidates:
        raise ModelError("no dates in the data: set export_date")
    return pd.Timestamp(max(candidates)).normalize()


def build_time_to_event(data: ModelInputs, spec: OutcomeSpec) -> TimeToEventSet:
    """Build the analysis set of ``spec.outcome`` (see the module docstring)."""
    export = resolve_export_date(data, spec.export_date)
    if spec.outcome == "dropout":
        return build_dropout_set(data, export)
    if spec.outcome == "improvement":
        return build_improvement_set(data, export, spec.reliable_change)
    return build_reentry_set(data, export, spec.reentry_window_years)


def build_dropout_set(data: ModelInputs, export: pd.Timestamp) -> TimeToEventSet:
    """Time from start to drop-out; other ends censor at the end, ongoing at ``export``."""
    trajectories, flow = _eligible_trajectories(data, export)
    _require(trajectories, ("end_reason",), "trajectories")
    ended = trajectories["_ended"].to_numpy(dtype=bool)
    reason = trajectories["end_reason"].astype("string").where(ended)
    dropout = reason.eq("dropout").fillna(False).to_numpy(dtype=bool)
    stop = np.where(ended, trajectories["_end"].to_numpy(), np.datetime64(export, "ns"))
    days = (pd.to_datetime(stop) - pd.to_datetime(trajectories["_start"].to_numpy())).days
    flow["events_dropout"] = int(dropout.sum())
    for label in ("regular", "referred", "other"):
        flow[f"censored_end_{label}"] = int(reason.eq(label).fillna(False).sum())
    known = reason.isin(["dropout", "regular", "referred", "other"]).fillna(False)
    flow["censored_end_reason_unknown"] = int((ended & ~known.to_numpy(dtype=bool)).sum())
    flow["censored_ongoing_at_export_date"] = int((~ended).sum())
    frame = _finish(trajectories, np.asarray(days, dtype=np.int64), dropout)
    flow["analysed"] = len(frame)
    return TimeToEventSet(frame, flow, export.date().isoformat(), DEFINITIONS["dropout"])


def build_improvement_set(
    data: ModelInputs, export: pd.Timestamp, reliable_change: float = RC_SSD12
) -> TimeToEventSet:
    """Time from start to the first SSD-12 administration showing a reliable improvement."""
    trajectories, flow = _eligible_trajectories(data, export)
    scores = data.scores
    _require(scores, (SSD12, "trajectory_key", "timepoint", "days_from_start"), "scores")
    rows = scores[scores[SSD12].notna().to_numpy(dtype=bool)]
    if "instrument" in rows.columns:
        rows = rows[rows["instrument"].eq("ssd12").fillna(False).to_numpy(dtype=bool)]
    linked = (
        rows["timepoint"].astype("string").isin(IMPROVEMENT_TIMEPOINTS).fillna(False)
        & rows["trajectory_key"].notna()
        & rows["days_from_start"].notna()
    )
    rows = rows[linked.to_numpy(dtype=bool)]
    columns = ["trajectory_key", "timepoint", "days_from_start", SSD12]
    if "completed_at" in rows.columns:
        columns.append("completed_at")
    rows = rows[columns].merge(
        trajectories[["trajectory_key", "_start"]], on="trajectory_key", how="inner"
    )
    rows["days_from_start"] = rows["days_from_start"].astype("int64")
    when = (
        _dates(rows["completed_at"])
        if "completed_at" in rows.columns
        else rows["_start"] + pd.to_timedelta(rows["days_from_start"], unit="D")
    )
    after_export = (when > export).to_numpy(dtype=bool)
    flow["administrations_after_export_date_ignored"] = int(after_export.sum())
    rows = rows[~after_export]
    rows = rows.assign(_distance=rows["days_from_start"].abs()).sort_values(
        ["trajectory_key", "days_from_start", "_distance"], kind="stable"
    )
    intake_rows = rows[rows["timepoint"].eq("intake").to_numpy(dtype=bool)]
    intake_rows = intake_rows.sort_values(["trajectory_key", "_distance"], kind="stable")
    intake = intake_rows.drop_duplicates("trajectory_key")[
        ["trajectory_key", "days_from_start", SSD12]
    ].rename(columns={"days_from_start": "_intake_day", SSD12: "_intake_score"})
    later = rows[rows["timepoint"].isin(["interim", "end"]).to_numpy(dtype=bool)].merge(
        intake, on="trajectory_key", how="inner"
    )
    keep = (later["days_from_start"] > later["_intake_day"]) & (later["days_from_start"] > 0)
    later = later[keep.to_numpy(dtype=bool)]
    has_intake = trajectories["trajectory_key"].isin(intake["trajectory_key"]).to_numpy(bool)
    flow["excluded_no_intake_score"] = int((~has_intake).sum())
    has_later = trajectories["trajectory_key"].isin(later["trajectory_key"]).to_numpy(bool)
    flow["excluded_no_administration_after_intake"] = int((has_intake & ~has_later).sum())
    later = later.assign(
        _improved=(later[SSD12] - later["_intake_score"]) <= -float(reliable_change)
    )
    first_event = (
        later[later["_improved"].to_numpy(dtype=bool)]
        .groupby("trajectory_key", sort=True)["days_from_start"]
        .min()
    )
    last_seen = later.groupby("trajectory_key", sort=True)["days_from_start"].max()
    selected = trajectories[has_later].copy()
    keys = selected["trajectory_key"]
    event = keys.isin(first_event.index).to_numpy(dtype=bool)
    days = np.where(event, keys.map(first_event), keys.map(last_seen)).astype(np.int64)
    flow["events_reliable_improvement"] = int(event.sum())
    ongoing = ~selected["_ended"].to_numpy(dtype=bool)
    flow["censored_ended_without_improvement"] = int((~event & ~ongoing).sum())
    flow["censored_ongoing_without_improvement"] = int((~event & ongoing).sum())
    frame = _finish(selected, days, event)
    flow["analysed"] = len(frame)
    return TimeToEventSet(frame, flow, export.date().isoformat(), DEFINITIONS["improvement"])


def build_reentry_set(
    data: ModelInputs, export: pd.Timestamp, window_years: float = 2.0
) -> TimeToEventSet:
    """Time from a regular end to the client's next trajectory, within ``window_years``."""
    _require(data.trajectories, ("client_key",), "trajectories")
    trajectories, flow = _eligible_trajectories(data, export)
    _require(trajectories, ("end_reason",), "trajectories")
    regular = trajectories["_ended"].to_numpy(dtype=bool) & trajectories["end_reason"].astype(
        "string"
    ).eq("regular").fillna(False).to_numpy(dtype=bool)
    index = trajectories[regular].copy()
    flow["index_regular_ends"] = len(index)
    # Every later trajectory of the client counts, with or without its own consent.
    everyone = data.trajectories[["client_key", "trajectory_key", "start_date"]].copy()
    everyone["_next_start"] = _dates(everyone["start_date"])
    if "research_consent" in data.trajectories.columns:
        consent = data.trajectories["research_consent"].astype("Float64").eq(1).fillna(False)
        everyone["_next_consent"] = consent.to_numpy(dtype=bool)
    else:
        everyone["_next_consent"] = False
    everyone = everyone[everyone["_next_start"].notna().to_numpy(dtype=bool)]
    everyone = everyone[(everyone["_next_start"] <= export).to_numpy(dtype=bool)]
    pairs = index[["trajectory_key", "client_key", "_end"]].merge(
        everyone[["client_key", "trajectory_key", "_next_start", "_next_consent"]].rename(
            columns={"trajectory_key": "_next_key"}
        ),
        on="client_key",
        how="inner",
    )
    later = pairs[
        (pairs["_next_start"] > pairs["_end"]).to_numpy(dtype=bool)
        & (pairs["_next_key"] != pairs["trajectory_key"]).to_numpy(dtype=bool)
    ]
    later = later.sort_values(["trajectory_key", "_next_start", "_next_key"], kind="stable")
    nxt = later.drop_duplicates("trajectory_key").set_index("trajectory_key")
    window_days = float(window_years) * DAYS_PER_YEAR
    end = pd.to_datetime(index["_end"].to_numpy())
    gap = (
        pd.to_datetime(index["trajectory_key"].map(nxt["_next_start"]).to_numpy()) - end
    ).days.to_numpy(dtype=float)
    to_export = np.asarray((export - end).days, dtype=float)
    event = np.isfinite(gap) & (gap <= window_days)
    # Whole days, except at the window's end (2 years = 730.5 days) where the duration in years
    # is exactly the window.
    duration_days = np.where(event, gap, np.minimum(window_days, to_export))
    next_consent = index["trajectory_key"].isin(nxt.index[nxt["_next_consent"].to_numpy(bool)])
    flow["events_reentry"] = int(event.sum())
    flow["events_reentry_into_trajectory_without_consent"] = int(
        (event & ~next_consent.to_numpy(dtype=bool)).sum()
    )
    flow["censored_end_of_window"] = int((~event & (window_days <= to_export)).sum())
    flow["censored_export_date"] = int((~event & (window_days > to_export)).sum())
    clients = index["client_key"].value_counts()
    flow["clients_with_several_index_trajectories"] = int((clients > 1).sum())
    frame = _finish(index, duration_days, event)
    flow["analysed"] = len(frame)
    return TimeToEventSet(frame, flow, export.date().isoformat(), DEFINITIONS["reentry"])


#: Outcomes with competing events (:func:`build_competing_set`).
COMPETING_OUTCOMES: tuple[str, ...] = ("dropout", "improvement")
#: The label of a censored unit in the ``cause`` column.
CENSORED = "censored"
#: Causes of ``dropout`` (each end reason its own cause, as cmprsk and survival treat every
#: distinct status code), in this order; ``unknown`` = an end without a (known) reason.
DROPOUT_CAUSES: tuple[str, ...] = ("dropout", "regular", "referred", "other", "unknown")
#: Causes of ``improvement``: the event, and ending treatment without it.
IMPROVEMENT_CAUSES: tuple[str, ...] = ("improvement", "ended_without_improvement")
COMPETING_DEFINITIONS: Mapping[str, str] = {
    "dropout": (
        "time from the start of treatment to its end, by end reason: dropout, regular, referred, "
        "other and unknown (no or an unlisted reason) are competing causes; ongoing "
        "trajectories are censored at the export date"
    ),
    "improvement": (
        "time from the start of treatment to the first SSD-12 administration (interim or end) "
        "whose change from the intake score is <= -reliable_change (cause improvement); an "
        "ended trajectory without it ends at its last administration after the intake (cause "
        "ended_without_improvement); ongoing trajectories without it are censored there"
    ),
}


@dataclass(frozen=True)
class CompetingSet:
    """A time-to-event set whose events have causes.

    Attributes
    ----------
    frame
        The rows of the outcome's :class:`TimeToEventSet` plus ``cause``: the cause of the
        event (one of ``causes``) or :data:`CENSORED`; ``event`` is 1 for every cause.
    causes
        Every possible cause, in reporting order (those without events included).
    flow, export_date, definition
        As in :class:`TimeToEventSet` (``definition`` names the competing causes).
    """

    frame: pd.DataFrame
    causes: tuple[str, ...]
    flow: dict[str, int]
    export_date: str
    definition: str


def build_competing_set(data: ModelInputs, spec: OutcomeSpec) -> CompetingSet:
    """The competing-risks version of ``spec.outcome`` (``dropout`` or ``improvement``).

    ``dropout``: the rows and durations of :func:`build_dropout_set`; an ended trajectory's
    cause is its end reason (``dropout``, ``regular``, ``referred``, ``other``; ``unknown``
    when missing or unlisted), an ongoing one is censored at the export date.
    ``improvement``: the rows and durations of :func:`build_improvement_set`; an ended
    trajectory without reliable improvement has the competing cause
    ``ended_without_improvement`` at its last administration after the intake (the last time
    improvement was looked for), an ongoing one is censored there.
    """
    if spec.outcome not in COMPETING_OUTCOMES:
        raise ModelError(f"competing risks are defined for {', '.join(COMPETING_OUTCOMES)}")
    export = resolve_export_date(data, spec.export_date)
    if spec.outcome == "dropout":
        base = build_dropout_set(data, export)
        frame = base.frame.copy()
        ended = _ended_by(frame, export)
        reason = frame["end_reason"].astype("string")
        listed = reason.isin(DROPOUT_CAUSES[:-1]).fillna(False).to_numpy(dtype=bool)
        cause = np.where(listed, reason.fillna("").to_numpy(dtype=object), "unknown")
        cause = np.where(ended, cause, CENSORED)
        causes = DROPOUT_CAUSES
    else:
        base = build_improvement_set(data, export, spec.reliable_change)
        frame = base.frame.copy()
        ended = _ended_by(frame, export)
        improved = frame["event"].to_numpy(dtype=int) == 1
        cause = np.where(
            improved, "improvement", np.where(ended, "ended_without_improvement", CENSORED)
        )
        causes = IMPROVEMENT_CAUSES
    frame["cause"] = pd.Series(cause, dtype=object)
    frame["event"] = (frame["cause"] != CENSORED).astype(np.int64)
    flow = dict(base.flow)
    for name in causes:
        flow[f"events_{name}"] = int((frame["cause"] == name).sum())
    flow["censored"] = int((frame["cause"] == CENSORED).sum())
    return CompetingSet(frame, causes, flow, base.export_date, COMPETING_DEFINITIONS[spec.outcome])


def _ended_by(frame: pd.DataFrame, export: pd.Timestamp) -> np.ndarray:
    """Rows whose trajectory ended on or before ``export`` (the builders' rule)."""
    end = _dates(frame["end_date"])
    return (end.notna() & (end <= export)).fillna(False).to_numpy(dtype=bool)


def _eligible_trajectories(
    data: ModelInputs, export: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Consenting trajectories started by ``export``, with ``_start``, ``_end``, ``_ended``."""
    trajectories = data.trajectories
    _require(
        trajectories,
        ("trajectory_key", "research_consent", "start_date", "end_date"),
        "trajectories",
    )
    flow: dict[str, int] = {"trajectories": len(trajectories)}
    consent = trajectories["research_consent"].astype("Float64").eq(1).fillna(False)
    keep = trajectories[consent.to_numpy(dtype=bool)].copy()
    flow["trajectories_with_consent"] = len(keep)
    keep["_start"] = _dates(keep["start_date"])
    keep["_end"] = _dates(keep["end_date"])
    no_start = keep["_start"].isna().to_numpy(dtype=bool)
    flow["excluded_no_start_date"] = int(no_start.sum())
    keep = keep[~no_start]
    late = (keep["_start"] > export).to_numpy(dtype=bool)
    flow["excluded_started_after_export_date"] = int(late.sum())
    keep = keep[~late]
    backwards = (keep["_end"] < keep["_start"]).fillna(False).to_numpy(dtype=bool)
    flow["excluded_end_before_start"] = int(backwards.sum())
    keep = keep[~backwards]
    known_end = keep["_end"].notna().to_numpy(dtype=bool)
    ended = known_end & (keep["_end"] <= export).fillna(False).to_numpy(dtype=bool)
    flow["ended_after_export_date_counted_as_ongoing"] = int((known_end & ~ended).sum())
    keep["_ended"] = ended
    keep.loc[~ended, "_end"] = pd.NaT
    return keep, flow


def _finish(trajectories: pd.DataFrame, days: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Attach the time columns, drop the helpers, sort by trajectory."""
    private = [c for c in trajectories.columns if str(c).startswith("_")]
    frame = trajectories.drop(columns=private).reset_index(drop=True)
    clash = [c for c in TIME_COLUMNS if c in frame.columns]
    if clash:
        raise ModelError(f"trajectories already have column(s) {', '.join(clash)}")
    days_array = np.asarray(days, dtype=float)
    timing = pd.DataFrame(
        {
            "duration_days": days_array,
            "duration": days_array / DAYS_PER_YEAR,
            "event": np.asarray(event, dtype=bool).astype(np.int64),
        }
    )
    frame = pd.concat([frame, timing], axis=1)
    order = ["trajectory_key"] if "trajectory_key" in frame.columns else []
    return frame.sort_values(order, kind="stable").reset_index(drop=True) if order else frame


def _dates(values: pd.Series) -> pd.Series:
    """Calendar days of a date or date-time column (``NaT`` stays)."""
    return pd.to_datetime(values, errors="coerce").dt.normalize()


def _require(frame: pd.DataFrame, columns: tuple[str, ...], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ModelError(f"{table} have no column(s) {', '.join(missing)}")
