"""CLEAN: link every questionnaire administration to its trajectory and timepoint.

Pure functions from the ingested tables (``docs/architecture.md``, *Ingested questionnaire
table* and *Ingested trajectories*) to the *Clean administrations* and *Clean trajectories*
contracts. The rules are those of ``docs/input-format.md``, sections *Timepoints* and
*Response status*, and of ``docs/outputs.md``, *Quarantine*; nothing here reads files, the
clock or the environment, and no input frame is mutated.

Timepoint windows
-----------------
All arithmetic is in calendar days: an administration's day is the date part of
``completed_at``; a trajectory's days are the date parts of ``start_date`` (s) and ``end_date``
(e). With the ``clean.windows`` parameters (defaults in the last column) every bound is
inclusive as written:

==============  ======================================================  =====================
window          days                                                    defaults
==============  ======================================================  =====================
``intake``      s − intake_before_days … s + intake_after_days          s − 60 … s + 30
``interim``     s + intake_after_days + 1 … e − end_before_days − 1     s + 31 … e − 61
``end``         e − end_before_days … e + end_after_days                e − 60 … e + 30
``follow_up``   e + end_after_days + 1 … e + follow_up_days             e + 31 … e + 730
==============  ======================================================  =====================

So day s − 60 is intake and s − 61 is outside every window of that trajectory; s + 30 is intake
and s + 31 is interim; e + 30 is end, e + 31 is follow-up, e + 730 is follow-up and e + 731 is
outside. An ongoing trajectory (no ``end_date``) has no end or follow-up window and its interim
window has no upper bound (it runs to the end of the export's data). When a trajectory is
shorter than ``intake_after_days + end_before_days`` the intake and end windows overlap and the
interim window is empty. An administration that falls in no window of its trajectory is
``unlinked``.

Linking
-------
1. An administration with a ``trajectory_key`` is linked to that trajectory only (the key and
   the client must both match a trajectory; otherwise it is unlinked).
2. Without a key it is linked by client and date: among the client's trajectories whose span
   (intake window to the end of the follow-up window, or open-ended while ongoing) holds its day,
   the later trajectory wins (latest ``start_date``, then the greatest ``trajectory_key``), as
   docs/input-format.md prescribes for the follow-up of one trajectory overlapping the intake of the
   next. The choice of trajectory is made first and is final: an administration that then loses
   the intake competition below is not handed back to an earlier trajectory.
3. Per trajectory and instrument, the ``intake`` is the administration in the intake window
   closest to s; ties go to the earlier ``completed_at`` (time of day included), then to the
   lowest ``source_row``. The ``end`` is chosen the same way in the end window, among the
   administrations completed after the intake (in that same order) and other than the intake;
   the restriction only matters when the two windows overlap (trajectories shorter than
   ``intake_after_days + end_before_days``) and keeps the end from preceding the intake.
4. The other administrations in an intake or end window are ``interim`` when inside the
   trajectory (s ≤ day ≤ e, or s ≤ day while ongoing), ``follow_up`` when after e, and
   ``unlinked`` when before s.
5. Unlinked rows are kept with a null ``trajectory_key`` and ``days_from_start`` (the contract
   says so), also when the export gave a key: the linkage metrics count them by reason.

The administrations come out sorted by ``trajectory_key`` (unlinked rows last), instrument (in
the catalogue order of :data:`pipeline.instruments.catalogue.INSTRUMENTS`), ``completed_at`` and
``source_row``; the trajectories by ``client_key``, ``start_date`` and ``trajectory_key``. Their
derived columns (status, age, treatment flags, response status per instrument) are described in
:func:`trajectory_attributes`.

Exact duplicates (same instrument, ``client_key``, ``trajectory_key``, ``completed_at`` and
identical answers, missing answers counting as equal) are found before linking: the row with the
lowest ``source_row`` is kept and the others are quarantined with the reason
``"exact duplicate of row N"``, N being the kept row's ``source_row`` (``docs/outputs.md``,
*Quarantine*).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipeline.errors import ParamsError, PipelineError
from pipeline.instruments.catalogue import INSTRUMENTS, all_item_columns, item_columns

#: Name of the ingested trajectories table.
TRAJECTORIES: Final = "trajectories"
#: Timepoints, in the order of their integer codes used internally.
TIMEPOINTS: Final[tuple[str, ...]] = ("intake", "interim", "end", "follow_up", "unlinked")
#: Treatment modalities of docs/input-format.md (``trajectories.treatments``), one ``tx_`` flag each.
MODALITIES: Final[tuple[str, ...]] = (
    "cbt",
    "emdr",
    "body_mentalizing",
    "schema",
    "pmt",
    "physio",
    "hypnotherapy",
    "pharmacotherapy",
    "act",
    "systemic",
    "nursing",
    "ehealth",
)
#: Response statuses of docs/input-format.md, *Response status*.
RESPONSE_STATUSES: Final[tuple[str, ...]] = (
    "completer",
    "pre_only",
    "post_only",
    "none",
    "ongoing",
)
#: Why an administration ended up unlinked (keys of the linkage metrics).
UNLINKED_REASONS: Final[tuple[str, ...]] = (
    "unknown_trajectory",
    "client_without_trajectory",
    "outside_windows",
    "before_start_not_closest",
)
#: The leading columns of the clean administrations table; the item columns follow.
ADMINISTRATION_COLUMNS: Final[tuple[str, ...]] = (
    "instrument",
    "client_key",
    "trajectory_key",
    "completed_at",
    "timepoint",
    "days_from_start",
    "source_row",
)
QUARANTINE_COLUMNS: Final[tuple[str, ...]] = ("table", "row", "client_key", "reason")

_TRAJECTORY_REQUIRED: Final = (
    "source_row",
    "client_key",
    "trajectory_key",
    "birth_year",
    "start_date",
    "end_date",
    "treatments",
)
_ADMIN_REQUIRED: Final = ("source_row", "client_key", "completed_at")
_NS_PER_DAY: Final = 86_400_000_000_000
_INTAKE, _INTERIM, _END, _FOLLOW_UP, _UNLINKED = range(5)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class WindowParams:
    """Timepoint windows in calendar days (``clean.windows`` in ``params.yaml``).

    Defaults are those of ``docs/input-format.md``, *Timepoints*.

    Attributes
    ----------
    intake_before_days, intake_after_days
        The intake window is [start − before, start + after].
    end_before_days, end_after_days
        The end window is [end − before, end + after] (ended trajectories only).
    follow_up_days
        Follow-up runs from end + ``end_after_days`` + 1 to end + ``follow_up_days``.
    """

    intake_before_days: int = 60
    intake_after_days: int = 30
    end_before_days: int = 60
    end_after_days: int = 30
    follow_up_days: int = 730

    def __post_init__(self) -> None:
        for name in (
            "intake_before_days",
            "intake_after_days",
            "end_before_days",
            "end_after_days",
            "follow_up_days",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ParamsError(f"params.yaml 'clean.windows.{name}' must be a whole number >= 0")
        if self.follow_up_days < self.end_after_days:
            raise ParamsError(
                "params.yaml 'clean.windows.follow_up_days' must be at least end_after_days"
            )


@dataclass(frozen=True)
class CleanParams:
    """The ``clean:`` block of ``params.yaml``."""

    windows: WindowParams = field(default_factory=WindowParams)


@dataclass(frozen=True)
class CleanResult:
    """What :func:`clean_tables` returns.

    Attributes
    ----------
    administrations
        *Clean administrations* (``docs/architecture.md``).
    trajectories
        *Clean trajectories* (``docs/architecture.md``).
    quarantine
        The exact duplicates found here: ``table``, ``row``, ``client_key``, ``reason``, sorted by
        table (catalogue order) and row.
    accounting
        Per input table, the number of rows quarantined here (0 for ``trajectories``).
    linkage
        Counts for ``reports/metrics/linkage.json``: ``instruments`` (per catalogue instrument,
        zeros when the export lacks it) and ``total``, each with ``rows_in``,
        ``exact_duplicates``, ``administrations``, ``linked_by_id``, ``linked_by_date``,
        ``unlinked``, ``timepoints`` and ``unlinked_reasons`` (per instrument also ``response``:
        trajectories per response status); ``trajectories``: ``n``, ``ended``, ``ongoing``.
    """

    administrations: pd.DataFrame
    trajectories: pd.DataFrame
    quarantine: pd.DataFrame
    accounting: dict[str, int]
    linkage: dict[str, Any]
    non_response: pd.DataFrame = field(default_factory=lambda: empty_non_response())


#: Name of the ingested table of non-response records.
NON_RESPONSE: Final = "non_response"
#: Columns of ``data/processed/non_response.parquet``: one row per record and instrument.
NON_RESPONSE_COLUMNS: Final[tuple[str, ...]] = (
    "client_key", "trajectory_key", "instrument", "recorded_at", "timepoint", "reason_code",
    "reason_group", "source_row",
)  # fmt: skip


def empty_non_response() -> pd.DataFrame:
    """A non-response table without rows (an export that carries none)."""
    return pd.DataFrame(
        {
            "client_key": pd.Series([], dtype=object),
            "trajectory_key": pd.Series([], dtype=object),
            "instrument": pd.Series([], dtype=object),
            "recorded_at": pd.Series([], dtype="datetime64[ns]"),
            "timepoint": pd.Series([], dtype=object),
            "reason_code": pd.Series([], dtype=object),
            "reason_group": pd.Series([], dtype=object),
            "source_row": pd.Series([], dtype=np.int64),
        }
    )


# --------------------------------------------------------------------------------------------
# entry point


def clean_tables(tables: Mapping[str, pd.DataFrame], params: CleanParams) -> CleanResult:
    """Link administrations to trajectories and timepoints; derive trajectory attributes.

    Parameters
    ----------
    tables
        The ingested tables by name: ``trajectories`` (required) and any of the questionnaire
        tables of :data:`pipeline.instruments.catalogue.INSTRUMENTS`.
    params
        The ``clean`` parameters (timepoint windows).

    Returns
    -------
    CleanResult
        Administrations and trajectories in their clean contracts, the exact duplicates found
        here, per-table quarantine counts and linkage counts. The rules are those of the module
        docstring (docs/input-format.md, *Timepoints*, *Response status*; docs/outputs.md, *Quarantine*).

    Raises
    ------
    PipelineError
        When a table breaks the ingested contract (missing table or column, wrong date type,
        duplicate ``source_row`` or ``trajectory_key``, missing ``completed_at``).
    """
    records = tables.get(NON_RESPONSE)
    tables = {name: frame for name, frame in tables.items() if name != NON_RESPONSE}
    _check_tables(tables)
    instruments = tuple(name for name in INSTRUMENTS if name in tables)
    kept: dict[str, IntArray] = {}
    quarantined: list[pd.DataFrame] = []
    for name in instruments:
        positions, dups = _deduplicate(tables[name], name)
        kept[name] = positions
        quarantined.append(dups)

    trajectories = _sorted_trajectories(tables[TRAJECTORIES])
    admins = _AdminArrays.build(tables, kept, instruments)
    link = _link_administrations(trajectories, admins, params.windows)

    administrations = _administrations_frame(tables, kept, admins, link, trajectories)
    clean_traj = _trajectories_frame(trajectories, admins, link)

    quarantine = pd.concat(quarantined, ignore_index=True) if quarantined else _empty_quarantine()
    # Already in table order (catalogue) and, per table, by row.
    accounting = {str(name): 0 for name in tables}
    for table, count in quarantine["table"].value_counts().items():
        accounting[str(table)] = int(count)
    linkage = _linkage_metrics(tables, admins, link, clean_traj)
    non_response = empty_non_response()
    if records is not None:
        accounting[NON_RESPONSE] = 0
        non_response = link_non_response(trajectories, records, params.windows)
    return CleanResult(
        administrations=administrations,
        trajectories=clean_traj,
        quarantine=quarantine,
        accounting=dict(sorted(accounting.items())),
        linkage=linkage,
        non_response=non_response,
    )


def link_non_response(
    trajectories: pd.DataFrame, records: pd.DataFrame, windows: WindowParams
) -> pd.DataFrame:
    """Link non-response records to trajectories and timepoint windows, one row per instrument.

    A record is linked as an administration is (its ``trajectory_key`` when it has one, else
    the client's trajectory whose span holds its day, the later one winning) and placed in the
    window its day falls in: ``intake`` or ``end`` (in both: the nearer), else ``interim``,
    ``follow_up`` or ``unlinked``; there is no competition between records.

    Parameters
    ----------
    trajectories
        Trajectories sorted as by :func:`_sorted_trajectories`.
    records
        The ingested ``non_response`` table (``source_row``, ``client_key``,
        ``trajectory_key``, ``recorded_at``, ``instruments`` ``|``-joined, ``reason_code``,
        ``reason_group``).
    windows
        Window widths in days.

    Returns
    -------
    pandas.DataFrame
        :data:`NON_RESPONSE_COLUMNS`, sorted by ``source_row`` and instrument (catalogue order).
    """
    if not len(records):
        return empty_non_response()
    for column in ("source_row", "client_key", "recorded_at", "instruments", "reason_code"):
        if column not in records.columns:
            raise PipelineError(f"clean: table non_response lacks column(s): {column}")
    recorded = records["recorded_at"]
    ns = recorded.to_numpy(dtype="datetime64[ns]").view(np.int64)
    day = np.floor_divide(ns, _NS_PER_DAY).astype(np.float64)
    day[recorded.isna().to_numpy()] = np.nan
    keys = _trajectory_keys(records) if "trajectory_key" in records else np.full(
        len(records), None, dtype=object
    )  # fmt: skip
    assigned, _, _ = _assign_trajectories(
        trajectories, records["client_key"].to_numpy(dtype=object), keys, day, windows
    )
    t_start = _day_numbers(trajectories["start_date"])
    t_end = _day_numbers(trajectories["end_date"])
    linked = assigned >= 0
    safe = np.where(linked, assigned, 0)
    s = np.where(linked, t_start[safe] if len(t_start) else np.nan, np.nan)
    e = np.where(linked, t_end[safe] if len(t_end) else np.nan, np.nan)
    ended = ~np.isnan(e)
    w = windows
    in_intake = (day >= s - w.intake_before_days) & (day <= s + w.intake_after_days)
    in_end = ended & (day >= e - w.end_before_days) & (day <= e + w.end_after_days)
    in_interim = (day > s + w.intake_after_days) & np.where(
        ended, day < e - w.end_before_days, True
    )
    in_follow_up = ended & (day > e + w.end_after_days) & (day <= e + w.follow_up_days)
    timepoint = np.full(len(records), _UNLINKED, dtype=np.int64)
    timepoint[in_follow_up] = _FOLLOW_UP
    timepoint[in_interim] = _INTERIM
    nearer_end = np.abs(day - e) < np.abs(day - s)
    timepoint[in_intake] = _INTAKE
    timepoint[in_end & (~in_intake | nearer_end)] = _END
    timepoint[~linked] = _UNLINKED
    t_key = trajectories["trajectory_key"].to_numpy(dtype=object)
    key_or_null = np.concatenate((t_key, np.asarray([None], dtype=object)))
    trajectory_key = key_or_null[np.where(timepoint == _UNLINKED, -1, assigned)]
    parts = records["instruments"].astype(str).str.split("|")
    counts = parts.map(len).to_numpy(dtype=np.int64)
    at = np.repeat(np.arange(len(records)), counts)
    out = pd.DataFrame(
        {
            "client_key": records["client_key"].to_numpy(dtype=object)[at],
            "trajectory_key": trajectory_key[at],
            "instrument": np.concatenate(parts.to_list()).astype(object)
            if len(parts)
            else np.empty(0, dtype=object),
            "recorded_at": recorded.to_numpy(dtype="datetime64[ns]")[at],
            "timepoint": np.array(TIMEPOINTS, dtype=object)[timepoint][at],
            "reason_code": records["reason_code"].to_numpy(dtype=object)[at],
            "reason_group": records["reason_group"].to_numpy(dtype=object)[at]
            if "reason_group" in records
            else np.full(len(at), None, dtype=object),
            "source_row": records["source_row"].to_numpy(dtype=np.int64)[at],
        }
    )
    rank = out["instrument"].map({name: k for k, name in enumerate(INSTRUMENTS)})
    order = np.lexsort((rank.to_numpy(dtype=np.int64), out["source_row"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)[list(NON_RESPONSE_COLUMNS)]


# --------------------------------------------------------------------------------------------
# input checks


def _check_tables(tables: Mapping[str, pd.DataFrame]) -> None:
    if TRAJECTORIES not in tables:
        raise PipelineError("clean: the ingested table 'trajectories' is missing")
    unknown = sorted(set(tables) - {TRAJECTORIES, *INSTRUMENTS})
    if unknown:
        raise PipelineError(f"clean: unexpected ingested table(s): {', '.join(unknown)}")
    traj = tables[TRAJECTORIES]
    _require_columns(traj, TRAJECTORIES, _TRAJECTORY_REQUIRED)
    for column in ("start_date", "end_date"):
        _require_datetime(traj, TRAJECTORIES, column)
    _require_unique(traj, TRAJECTORIES, "source_row")
    for column in ("client_key", "trajectory_key", "start_date"):
        if traj[column].isna().any():
            raise PipelineError(f"clean: trajectories has rows without {column}")
    _require_unique(traj, TRAJECTORIES, "trajectory_key")
    for name in INSTRUMENTS:
        if name not in tables:
            continue
        frame = tables[name]
        _require_columns(frame, name, (*_ADMIN_REQUIRED, *item_columns(name)))
        _require_datetime(frame, name, "completed_at")
        _require_unique(frame, name, "source_row")
        missing = int(frame["completed_at"].isna().sum())
        if missing:
            raise PipelineError(f"clean: {name} has {missing} row(s) without completed_at")


def _require_columns(frame: pd.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PipelineError(f"clean: table {table} lacks column(s): {', '.join(missing)}")


def _require_datetime(frame: pd.DataFrame, table: str, column: str) -> None:
    if not pd.api.types.is_datetime64_any_dtype(frame[column]):
        raise PipelineError(f"clean: {table}.{column} must be a datetime column")


def _require_unique(frame: pd.DataFrame, table: str, column: str) -> None:
    dup = int(frame[column].duplicated().sum())
    if dup:
        raise PipelineError(f"clean: {table}.{column} has {dup} repeated value(s)")


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series([], dtype=object),
            "row": pd.Series([], dtype="int64"),
            "client_key": pd.Series([], dtype=object),
            "reason": pd.Series([], dtype=object),
        }
    )


# --------------------------------------------------------------------------------------------
# exact duplicates


def find_exact_duplicates(
    frame: pd.DataFrame, instrument: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one ingested questionnaire table into kept rows and exact duplicates.

    Two administrations are exact duplicates when ``client_key``, ``trajectory_key`` (both null
    counts as equal), ``completed_at`` and every item answer (both missing counts as equal) are
    identical. Of each set the row with the lowest ``source_row`` is kept; the others go to
    quarantine with reason ``"exact duplicate of row N"`` where N is the kept row's
    ``source_row`` (docs/outputs.md, *Quarantine*: a duplicate administration is quarantined, never
    silently dropped).

    Parameters
    ----------
    frame
        An ingested questionnaire table (not modified).
    instrument
        Its name, used as the quarantine ``table``.

    Returns
    -------
    kept, quarantine
        The kept rows sorted by ``source_row`` (index reset) and the quarantine rows
        (``table``, ``row``, ``client_key``, ``reason``) sorted by row.
    """
    positions, quarantine = _deduplicate(frame, instrument)
    return frame.iloc[positions].reset_index(drop=True), quarantine


def _trajectory_keys(frame: pd.DataFrame) -> npt.NDArray[np.object_]:
    """A questionnaire table's ``trajectory_key`` values (all null when the column is absent)."""
    if "trajectory_key" not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    return frame["trajectory_key"].to_numpy(dtype=object)


def _completed_ns(frame: pd.DataFrame) -> IntArray:
    """``completed_at`` as int64 nanoseconds (local wall time when time-zone aware)."""
    completed = frame["completed_at"]
    if isinstance(completed.dtype, pd.DatetimeTZDtype):
        completed = completed.dt.tz_localize(None)
    return completed.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _deduplicate(frame: pd.DataFrame, instrument: str) -> tuple[IntArray, pd.DataFrame]:
    """Positions (into ``frame``) of the kept rows in ``source_row`` order, and the quarantine
    rows of the exact duplicates (rule: :func:`find_exact_duplicates`).

    Only rows sharing client and ``completed_at`` with another row can be duplicates, so the
    full comparison over every column runs on those candidates alone.
    """
    source_row = frame["source_row"].to_numpy(dtype=np.int64)
    n = len(frame)
    order = (
        np.arange(n, dtype=np.int64)
        if frame["source_row"].is_monotonic_increasing
        else np.argsort(source_row, kind="stable").astype(np.int64)
    )
    client_code = pd.factorize(frame["client_key"], use_na_sentinel=True)[0]
    completed = _completed_ns(frame)
    pre = pd.DataFrame({"c": client_code, "t": completed}).duplicated(keep=False).to_numpy()
    candidates = np.flatnonzero(pre)
    if len(candidates) == 0:
        return order, _empty_quarantine()
    keys = {
        "client_key": frame["client_key"].to_numpy(dtype=object)[candidates],
        "trajectory_key": _trajectory_keys(frame)[candidates],
        "completed_at": completed[candidates],
    }
    for item in item_columns(instrument):
        keys[item] = frame[item].to_numpy()[candidates]
    key_frame = pd.DataFrame(keys)
    group = key_frame.groupby(list(keys), dropna=False, sort=False).ngroup().to_numpy()
    within = np.lexsort((source_row[candidates], group))
    sorted_group = group[within]
    head = np.append(True, sorted_group[1:] != sorted_group[:-1])
    head_row = source_row[candidates[within[head]]]  # indexed by group id (0..G-1, sorted)
    dup_pos = candidates[within[~head]]
    dup_kept_row = head_row[sorted_group[~head]]
    by_row = np.argsort(source_row[dup_pos], kind="stable")
    dup_pos, dup_kept_row = dup_pos[by_row], dup_kept_row[by_row]
    keep = np.ones(n, dtype=bool)
    keep[dup_pos] = False
    client = frame["client_key"].to_numpy(dtype=object)[dup_pos]
    quarantine = pd.DataFrame(
        {
            "table": np.full(len(dup_pos), instrument, dtype=object),
            "row": source_row[dup_pos],
            "client_key": np.where(pd.isna(client), "", client).astype(object),
            "reason": np.array([f"exact duplicate of row {k}" for k in dup_kept_row], dtype=object),
        }
    )
    return order[keep[order]], quarantine


# --------------------------------------------------------------------------------------------
# array views of the inputs


def _sorted_trajectories(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Ingested trajectories less ``source_row``, sorted by client, start date and key."""
    return (
        trajectories.drop(columns="source_row")
        .sort_values(
            ["client_key", "start_date", "trajectory_key"], kind="mergesort", na_position="last"
        )
        .reset_index(drop=True)
    )


def _day_numbers(dates: pd.Series) -> FloatArray:
    """Calendar day numbers (days since 1970-01-01) of a datetime column; NaN for missing."""
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    ns = dates.to_numpy(dtype="datetime64[ns]").view(np.int64)
    days = np.floor_divide(ns, _NS_PER_DAY).astype(np.float64)
    days[dates.isna().to_numpy()] = np.nan
    return days


@dataclass(frozen=True)
class _AdminArrays:
    """Every kept administration of every instrument as flat arrays (block per instrument)."""

    names: tuple[str, ...]  # the instruments present, in catalogue order
    instrument: IntArray  # index into ``names``
    client_key: npt.NDArray[np.object_]
    trajectory_key: npt.NDArray[np.object_]
    completed_ns: IntArray
    day: FloatArray
    source_row: IntArray
    offsets: IntArray  # block start per instrument, plus the total

    @classmethod
    def build(
        cls,
        tables: Mapping[str, pd.DataFrame],
        kept: Mapping[str, IntArray],
        instruments: tuple[str, ...],
    ) -> _AdminArrays:
        """Gather the kept rows (positions ``kept[name]`` of ``tables[name]``)."""
        sizes = np.array([len(kept[name]) for name in instruments], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

        def cat(parts: list[Any], dtype: Any) -> Any:
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.array([], dtype)

        frames = [tables[name] for name in instruments]
        rows = [kept[name] for name in instruments]
        completed = [_completed_ns(f)[r] for f, r in zip(frames, rows, strict=True)]
        completed_ns = cat(completed, np.int64)
        return cls(
            names=instruments,
            instrument=np.repeat(np.arange(len(instruments), dtype=np.int64), sizes),
            client_key=cat(
                [
                    f["client_key"].to_numpy(dtype=object)[r]
                    for f, r in zip(frames, rows, strict=True)
                ],
                object,
            ),
            trajectory_key=cat(
                [_trajectory_keys(f)[r] for f, r in zip(frames, rows, strict=True)], object
            ),
            completed_ns=completed_ns,
            day=np.floor_divide(completed_ns, _NS_PER_DAY).astype(np.float64),
            source_row=cat(
                [
                    f["source_row"].to_numpy(dtype=np.int64)[r]
                    for f, r in zip(frames, rows, strict=True)
                ],
                np.int64,
            ),
            offsets=offsets,
        )

    def __len__(self) -> int:
        return int(self.offsets[-1])

    @property
    def catalogue_index(self) -> IntArray:
        """Per administration, the index of its instrument in ``INSTRUMENTS``."""
        codes = np.array([INSTRUMENTS.index(name) for name in self.names], dtype=np.int64)
        return codes[self.instrument] if len(self) else np.array([], dtype=np.int64)


@dataclass(frozen=True)
class _Linkage:
    """The outcome of :func:`_link_administrations`, aligned with the administration arrays.

    Attributes
    ----------
    trajectory
        Position of the linked trajectory in the sorted trajectories, -1 when unlinked.
    timepoint
        Index into :data:`TIMEPOINTS`.
    by_key
        The administration carried a ``trajectory_key``.
    days_from_start
        Calendar days from the trajectory's start (NaN when unlinked).
    unlinked_reason
        Index into :data:`UNLINKED_REASONS`, -1 when linked.
    """

    trajectory: IntArray
    timepoint: IntArray
    by_key: BoolArray
    days_from_start: FloatArray
    unlinked_reason: IntArray


# --------------------------------------------------------------------------------------------
# linking


def _link_administrations(
    trajectories: pd.DataFrame, admins: _AdminArrays, windows: WindowParams
) -> _Linkage:
    """Assign every administration a trajectory and a timepoint (vectorised).

    Implements the rules of the module docstring (docs/input-format.md, *Timepoints*): a key links to
    its trajectory; without a key, the latest-starting trajectory of the client whose span holds
    the day wins; per trajectory and instrument the closest administration in the intake window
    is the intake, then the closest later one in the end window is the end; the others follow
    the window they fall in.

    Parameters
    ----------
    trajectories
        Trajectories sorted as by :func:`_sorted_trajectories`.
    admins
        The administrations as arrays.
    windows
        Window widths in days.

    Returns
    -------
    _Linkage
    """
    n = len(admins)
    n_instr = int(admins.instrument.max()) + 1 if n else 1
    t_start = _day_numbers(trajectories["start_date"])
    t_end = _day_numbers(trajectories["end_date"])
    assigned, reason, by_key = _assign_trajectories(
        trajectories, admins.client_key, admins.trajectory_key, admins.day, windows
    )

    # 3. Windows relative to the assigned trajectory.
    linked = assigned >= 0
    safe = np.where(linked, assigned, 0)
    s = np.where(linked, t_start[safe] if len(t_start) else np.nan, np.nan)
    e = np.where(linked, t_end[safe] if len(t_end) else np.nan, np.nan)
    ended = ~np.isnan(e)
    d = admins.day
    w = windows
    in_intake = (d >= s - w.intake_before_days) & (d <= s + w.intake_after_days)
    in_end = ended & (d >= e - w.end_before_days) & (d <= e + w.end_after_days)
    in_interim = (d > s + w.intake_after_days) & np.where(ended, d < e - w.end_before_days, True)
    in_follow_up = ended & (d > e + w.end_after_days) & (d <= e + w.follow_up_days)

    group = assigned * n_instr + admins.instrument
    is_intake = _closest(np.flatnonzero(in_intake), group, np.abs(d - s), admins, n)
    # End candidates: in the end window, not the intake, and after the intake (if any).
    n_groups = max(len(t_start), 1) * n_instr
    intake_ns = np.full(n_groups, np.iinfo(np.int64).min, dtype=np.int64)
    intake_row = np.full(n_groups, np.iinfo(np.int64).min, dtype=np.int64)
    chosen = np.flatnonzero(is_intake)
    intake_ns[group[chosen]] = admins.completed_ns[chosen]
    intake_row[group[chosen]] = admins.source_row[chosen]
    g = np.where(linked, group, 0)
    after_intake = (admins.completed_ns > intake_ns[g]) | (
        (admins.completed_ns == intake_ns[g]) & (admins.source_row > intake_row[g])
    )
    end_cand = np.flatnonzero(in_end & ~is_intake & after_intake)
    is_end = _closest(end_cand, group, np.abs(d - e), admins, n)

    # 4. One timepoint each, in order of precedence (later assignments win).
    extra = (in_intake | in_end) & ~is_intake & ~is_end
    inside = (d >= s) & np.where(ended, d <= e, True)
    timepoint = np.full(n, _UNLINKED, dtype=np.int64)
    timepoint[in_follow_up] = _FOLLOW_UP
    timepoint[in_interim] = _INTERIM
    timepoint[extra & ended & (d > e)] = _FOLLOW_UP
    timepoint[extra & inside] = _INTERIM
    timepoint[extra & (d < s)] = _UNLINKED
    timepoint[is_end] = _END
    timepoint[is_intake] = _INTAKE

    unlinked = timepoint == _UNLINKED
    reason[linked & unlinked & extra & (d < s)] = UNLINKED_REASONS.index("before_start_not_closest")
    reason[linked & unlinked & ~(extra & (d < s))] = UNLINKED_REASONS.index("outside_windows")
    reason[~unlinked] = -1
    final = np.where(unlinked, -1, assigned)
    return _Linkage(
        trajectory=final,
        timepoint=timepoint,
        by_key=by_key,
        days_from_start=np.where(unlinked, np.nan, d - s),
        unlinked_reason=reason,
    )


def _assign_trajectories(
    trajectories: pd.DataFrame,
    client_key: npt.NDArray[np.object_],
    trajectory_key: npt.NDArray[np.object_],
    day: FloatArray,
    windows: WindowParams,
) -> tuple[IntArray, IntArray, BoolArray]:
    """Rules 1 and 2 of the module docstring: the trajectory of every row (by key, else by
    client and day), the reason a row has none, and whether it carried a key.

    Returns
    -------
    assigned, reason, by_key
        Position in the sorted trajectories (-1 when none), index into
        :data:`UNLINKED_REASONS` (-1 when assigned), and the key flag.
    """
    n = len(client_key)
    t_client = trajectories["client_key"].to_numpy(dtype=object)
    t_key = trajectories["trajectory_key"].to_numpy(dtype=object)
    t_start = _day_numbers(trajectories["start_date"])
    t_end = _day_numbers(trajectories["end_date"])
    t_ended = ~np.isnan(t_end)

    # Clients as integer codes; trajectories are sorted by client, so their codes are sorted.
    clients = pd.Index(pd.unique(t_client))
    t_code = clients.get_indexer(t_client).astype(np.int64)
    # Trajectories have no null client_key (checked), so a null one here gets -1 like any
    # client without a trajectory.
    a_code = clients.get_indexer(client_key).astype(np.int64)

    by_key = pd.notna(trajectory_key).astype(bool)
    reason = np.full(n, -1, dtype=np.int64)
    assigned = np.full(n, -1, dtype=np.int64)

    # 1. By key: the key must name a trajectory of the same client.
    key_rows = np.flatnonzero(by_key)
    pos = pd.Index(t_key).get_indexer(trajectory_key[key_rows]).astype(np.int64)
    ok = pos >= 0
    ok[ok] = t_code[pos[ok]] == a_code[key_rows[ok]]
    assigned[key_rows[ok]] = pos[ok]
    reason[key_rows[~ok]] = UNLINKED_REASONS.index("unknown_trajectory")

    # 2. By date: expand each row over its client's trajectories, keep those whose span holds
    #    the day, take the last (latest start, then greatest key: the sort order).
    date_rows = np.flatnonzero(~by_key)
    code = a_code[date_rows]
    per_client = np.bincount(t_code, minlength=len(clients)).astype(np.int64)
    first_of_client = np.cumsum(per_client) - per_client
    known = code >= 0
    lo = np.where(known, first_of_client[np.where(known, code, 0)] if len(clients) else 0, 0)
    count = np.where(known, per_client[np.where(known, code, 0)] if len(clients) else 0, 0)
    reason[date_rows[count == 0]] = UNLINKED_REASONS.index("client_without_trajectory")
    rows = np.repeat(date_rows, count)
    starts = np.repeat(np.cumsum(count) - count, count)
    cand = np.repeat(lo, count) + (np.arange(len(rows), dtype=np.int64) - starts)
    row_day = day[rows]
    span_end = np.where(t_ended[cand], t_end[cand] + windows.follow_up_days, np.inf)
    in_span = (row_day >= t_start[cand] - windows.intake_before_days) & (row_day <= span_end)
    rows, cand = rows[in_span], cand[in_span]
    last = np.append(rows[1:] != rows[:-1], True) if len(rows) else np.array([], dtype=bool)
    assigned[rows[last]] = cand[last]
    no_span = np.zeros(n, dtype=bool)
    no_span[date_rows[count > 0]] = True
    no_span[rows] = False
    reason[no_span] = UNLINKED_REASONS.index("outside_windows")

    return assigned, reason, by_key


def _closest(
    candidates: IntArray, group: IntArray, distance: FloatArray, admins: _AdminArrays, n: int
) -> BoolArray:
    """Mark, per group, the candidate with the smallest distance.

    Ties go to the earlier ``completed_at``, then to the lowest ``source_row`` (within one
    instrument ``source_row`` is unique, so the choice is always unique).
    """
    chosen = np.zeros(n, dtype=bool)
    if len(candidates) == 0:
        return chosen
    g = group[candidates]
    order = np.lexsort(
        (
            admins.source_row[candidates],
            admins.completed_ns[candidates],
            distance[candidates],
            g,
        )
    )
    sorted_g = g[order]
    head = np.append(True, sorted_g[1:] != sorted_g[:-1])
    chosen[candidates[order[head]]] = True
    return chosen


# --------------------------------------------------------------------------------------------
# output tables


def _administrations_frame(
    tables: Mapping[str, pd.DataFrame],
    kept: Mapping[str, IntArray],
    admins: _AdminArrays,
    link: _Linkage,
    trajectories: pd.DataFrame,
) -> pd.DataFrame:
    """The *Clean administrations* table, sorted by trajectory_key, instrument, completed_at,
    source_row (instruments in catalogue order; unlinked rows, with a null key, last).

    The item columns are written straight into one float32 block in output order, so the wide
    union of all instruments is never built as an intermediate frame.
    """
    n = len(admins)
    t_key = trajectories["trajectory_key"].to_numpy(dtype=object)
    # Rank of each trajectory's key; the extra last entry (index -1) ranks unlinked rows last.
    key_rank = np.full(len(t_key) + 1, len(t_key), dtype=np.int64)
    key_rank[np.argsort(t_key, kind="stable")] = np.arange(len(t_key), dtype=np.int64)
    # trajectory rank and instrument as one key (the catalogue index is below len(INSTRUMENTS))
    rank = key_rank[link.trajectory] * len(INSTRUMENTS) + admins.catalogue_index
    order = np.lexsort((admins.source_row, admins.completed_ns, rank))
    destination = np.empty(n, dtype=np.int64)
    destination[order] = np.arange(n, dtype=np.int64)

    items = all_item_columns()
    column = {name: j for j, name in enumerate(items)}
    matrix = np.full((n, len(items)), np.nan, dtype=np.float32, order="F")
    for block, name in enumerate(admins.names):
        rows = destination[admins.offsets[block] : admins.offsets[block + 1]]
        for item in item_columns(name):
            values = tables[name][item].to_numpy(dtype=np.float32)[kept[name]]
            matrix[:, column[item]][rows] = values
    out = pd.DataFrame(matrix, columns=list(items), copy=False)

    keys_or_null = np.empty(len(t_key) + 1, dtype=object)  # the last entry stays None
    keys_or_null[: len(t_key)] = t_key
    days = link.days_from_start[order]
    missing_days = np.isnan(days)
    names = np.array(admins.names, dtype=object) if admins.names else np.array([None], object)
    meta: dict[str, Any] = {
        "instrument": names[admins.instrument[order]],
        "client_key": admins.client_key[order],
        "trajectory_key": keys_or_null[link.trajectory[order]],
        "completed_at": admins.completed_ns[order].view("datetime64[ns]"),
        "timepoint": np.array(TIMEPOINTS, dtype=object)[link.timepoint[order]],
        "days_from_start": pd.arrays.IntegerArray(
            np.where(missing_days, 0, days).astype(np.int64), missing_days
        ),
        "source_row": admins.source_row[order],
    }
    for position, name in enumerate(ADMINISTRATION_COLUMNS):
        out.insert(position, name, meta[name])
    return out


def _trajectories_frame(
    trajectories: pd.DataFrame, admins: _AdminArrays, link: _Linkage
) -> pd.DataFrame:
    """The *Clean trajectories* table from the linked intake and end administrations."""
    shape = (len(trajectories), len(INSTRUMENTS))
    has_intake = np.zeros(shape, dtype=bool)
    has_end = np.zeros(shape, dtype=bool)
    catalogue = admins.catalogue_index
    for target, tp in ((has_intake, _INTAKE), (has_end, _END)):
        rows = np.flatnonzero(link.timepoint == tp)
        target[link.trajectory[rows], catalogue[rows]] = True
    return trajectory_attributes(trajectories, has_intake, has_end)


def trajectory_attributes(
    trajectories: pd.DataFrame, has_intake: BoolArray, has_end: BoolArray
) -> pd.DataFrame:
    """Add status, age, treatment flags and response status to the ingested trajectories.

    Parameters
    ----------
    trajectories
        Ingested trajectories without ``source_row`` (not modified); the row order is kept.
    has_intake, has_end
        Boolean arrays (trajectories × ``INSTRUMENTS``): an administration of the instrument is
        the trajectory's intake / end.

    Returns
    -------
    pandas.DataFrame
        The input columns plus

        - ``status``: ``ended`` when ``end_date`` is present, else ``ongoing``;
        - ``age_at_start`` (Int64): year(``start_date``) − ``birth_year``. Only the birth year is
          known, so this is the age reached in the start year: one year more than the true age
          when the start date falls before the birthday (off by at most one);
        - ``tx_<modality>`` (Int8) for every modality of docs/input-format.md: 1 when the modality is
          one of the ``|``-separated ``treatments``, 0 when not, null when ``treatments`` is
          null (an empty string means no treatments, so all 0);
        - ``response_<instrument>`` for every instrument of the catalogue (docs/input-format.md,
          *Response status*): for ended trajectories ``completer`` (intake and end),
          ``pre_only`` (intake, no end), ``post_only`` (end, no intake) or ``none``; ``ongoing``
          for ongoing trajectories. An instrument absent from the export gives ``none``.
          "Valid" here means an administration was linked at that timepoint; the scoring stage
          may refine it to "a valid primary score exists".
    """
    out = trajectories.copy()
    ended = out["end_date"].notna().to_numpy()
    out["status"] = np.where(ended, "ended", "ongoing").astype(object)
    start_year = out["start_date"].dt.year.astype("Int64")
    out["age_at_start"] = (start_year - out["birth_year"].astype("Int64")).astype("Int64")
    for name, flags in treatment_flags(out["treatments"]).items():
        out[name] = flags
    for i, instrument in enumerate(INSTRUMENTS):
        status = np.select(
            [
                ~ended,
                has_intake[:, i] & has_end[:, i],
                has_intake[:, i],
                has_end[:, i],
            ],
            ["ongoing", "completer", "pre_only", "post_only"],
            default="none",
        )
        out[f"response_{instrument}"] = status.astype(object)
    return out


def treatment_flags(treatments: pd.Series) -> dict[str, pd.Series]:
    """One Int8 flag per modality of docs/input-format.md from ``|``-separated ``treatments``.

    A modality's flag is 1 when it is one of the tokens, 0 when not (an empty string has no
    tokens), and null when ``treatments`` itself is null. Tokens outside :data:`MODALITIES` set
    no flag (ingest canonicalises them).
    """
    codes, uniques = pd.factorize(treatments, use_na_sentinel=True)
    tokens = [set(str(value).split("|")) for value in uniques]
    flags: dict[str, pd.Series] = {}
    missing = codes < 0
    safe = np.where(missing, 0, codes)
    for modality in MODALITIES:
        per_unique = np.array([modality in t for t in tokens] or [False], dtype=np.int8)
        values = per_unique[safe] if len(uniques) else np.zeros(len(codes), dtype=np.int8)
        flags[f"tx_{modality}"] = pd.Series(
            pd.arrays.IntegerArray(values.astype(np.int8), missing.copy()),
            index=treatments.index,
        )
    return flags


# --------------------------------------------------------------------------------------------
# metrics and accounting


def _linkage_metrics(
    tables: Mapping[str, pd.DataFrame],
    admins: _AdminArrays,
    link: _Linkage,
    trajectories: pd.DataFrame,
) -> dict[str, Any]:
    """Counts for ``reports/metrics/linkage.json``.

    For every catalogue instrument (zeros when the export lacks it) and in ``total``:
    ``rows_in`` (ingested rows), ``exact_duplicates``, ``administrations`` (kept),
    ``linked_by_id``, ``linked_by_date``, ``unlinked``, ``timepoints`` (count per timepoint),
    ``unlinked_reasons`` (see :data:`UNLINKED_REASONS`) and ``response`` (trajectories per
    response status). ``trajectories`` counts ended and ongoing trajectories.
    """
    catalogue = admins.catalogue_index
    linked = link.timepoint != _UNLINKED
    per: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(INSTRUMENTS):
        mine = catalogue == i
        rows_in = len(tables[name]) if name in tables else 0
        n_kept = int(mine.sum())
        tp_counts = np.bincount(link.timepoint[mine], minlength=len(TIMEPOINTS))
        reasons = link.unlinked_reason[mine]
        reason_counts = np.bincount(reasons[reasons >= 0], minlength=len(UNLINKED_REASONS))
        response = trajectories[f"response_{name}"].value_counts()
        per[name] = {
            "rows_in": rows_in,
            "exact_duplicates": rows_in - n_kept,
            "administrations": n_kept,
            "linked_by_id": int((mine & linked & link.by_key).sum()),
            "linked_by_date": int((mine & linked & ~link.by_key).sum()),
            "unlinked": int((mine & ~linked).sum()),
            "timepoints": {tp: int(c) for tp, c in zip(TIMEPOINTS, tp_counts, strict=True)},
            "unlinked_reasons": {
                r: int(c) for r, c in zip(UNLINKED_REASONS, reason_counts, strict=True)
            },
            "response": {s: int(response.get(s, 0)) for s in RESPONSE_STATUSES},
        }
    total: dict[str, Any] = {
        key: sum(p[key] for p in per.values())
        for key in (
            "rows_in",
            "exact_duplicates",
            "administrations",
            "linked_by_id",
            "linked_by_date",
            "unlinked",
        )
    }
    total["timepoints"] = {tp: sum(p["timepoints"][tp] for p in per.values()) for tp in TIMEPOINTS}
    total["unlinked_reasons"] = {
        r: sum(p["unlinked_reasons"][r] for p in per.values()) for r in UNLINKED_REASONS
    }
    status = trajectories["status"].value_counts()
    return {
        "instruments": per,
        "total": total,
        "trajectories": {
            "n": len(trajectories),
            "ended": int(status.get("ended", 0)),
            "ongoing": int(status.get("ongoing", 0)),
        },
    }


def table_rank(name: str) -> tuple[int, str]:
    """Sort key of a table name: ``trajectories``, then the instruments in catalogue order
    (the order ingest uses), then any other name alphabetically."""
    order = (TRAJECTORIES, *INSTRUMENTS)
    return (order.index(name), "") if name in order else (len(order), name)


def combine_quarantine(ingested: pd.DataFrame, clean: pd.DataFrame) -> pd.DataFrame:
    """Ingest's quarantine together with this stage's, sorted by ``table`` and ``row``.

    Tables are ordered as by :func:`table_rank` (as ingest orders its quarantine). Both frames
    have the columns ``table``, ``row``, ``client_key``, ``reason``; a missing ``client_key``
    becomes the empty string (``docs/architecture.md``, *Quarantine*). Ties on (table, row)
    keep ingest's rows first, then order by reason, so the output is deterministic.
    """
    _require_columns(ingested, "quarantine", QUARANTINE_COLUMNS)
    parts = []
    for stage, frame in enumerate((ingested, clean)):
        part = pd.DataFrame(
            {
                "table": frame["table"].astype(str).to_numpy(dtype=object),
                "row": frame["row"].to_numpy(dtype=np.int64),
                "client_key": frame["client_key"]
                .astype(object)
                .where(frame["client_key"].notna(), "")
                .astype(str)
                .to_numpy(dtype=object),
                "reason": frame["reason"].astype(str).to_numpy(dtype=object),
                "_stage": stage,
            }
        )
        parts.append(part)
    combined = pd.concat(parts, ignore_index=True)
    ranks = {name: table_rank(name) for name in combined["table"].unique()}
    combined["_table"] = combined["table"].map(
        {k: i for i, k in enumerate(sorted(ranks, key=ranks.__getitem__))}
    )
    combined = combined.sort_values(["_table", "row", "_stage", "reason"], kind="mergesort")
    return combined.drop(columns=["_table", "_stage"]).reset_index(drop=True)


def combine_accounting(
    ingested: Mapping[str, Any], result: CleanResult, quarantine: pd.DataFrame
) -> dict[str, dict[str, int]]:
    """Row accounting after cleaning: ingest's counts with this stage's duplicates moved from
    kept to quarantined.

    Parameters
    ----------
    ingested
        Ingest's accounting: per table ``rows_read``, ``rows_kept``, ``rows_quarantined``.
    result
        This stage's result (its ``accounting`` holds the rows quarantined here).
    quarantine
        The combined quarantine (:func:`combine_quarantine`).

    Returns
    -------
    dict
        Per table (sorted) ``rows_read``, ``rows_kept``, ``rows_quarantined``.

    Raises
    ------
    PipelineError
        When it does not balance (docs/outputs.md, *row_accounting.json*): rows read ≠ kept +
        quarantined, kept ≠ rows in the clean outputs, or quarantined ≠ rows of that table in
        the quarantine.
    """
    kept_out = result.administrations["instrument"].value_counts()
    kept_counts = {str(k): int(v) for k, v in kept_out.items()}
    kept_counts[TRAJECTORIES] = len(result.trajectories)
    if NON_RESPONSE in ingested:
        kept_counts[NON_RESPONSE] = int(result.non_response["source_row"].nunique())
    q_counts = {str(k): int(v) for k, v in quarantine["table"].value_counts().items()}
    tables = sorted(set(ingested) | set(result.accounting) | set(q_counts))
    out: dict[str, dict[str, int]] = {}
    for table in tables:
        entry = ingested.get(table)
        if not isinstance(entry, Mapping) or not all(
            isinstance(entry.get(k), int) and not isinstance(entry.get(k), bool)
            for k in ("rows_read", "rows_kept", "rows_quarantined")
        ):
            raise PipelineError(
                f"clean: ingest accounting has no rows_read/rows_kept/rows_quarantined for {table}"
            )
        moved = result.accounting.get(table, 0)
        row = {
            "rows_read": int(entry["rows_read"]),
            "rows_kept": int(entry["rows_kept"]) - moved,
            "rows_quarantined": int(entry["rows_quarantined"]) + moved,
        }
        if row["rows_read"] != row["rows_kept"] + row["rows_quarantined"]:
            raise PipelineError(
                f"clean: row accounting of {table} does not balance: read {row['rows_read']}, "
                f"kept {row['rows_kept']}, quarantined {row['rows_quarantined']}"
            )
        if row["rows_kept"] != kept_counts.get(table, 0):
            raise PipelineError(
                f"clean: row accounting of {table} says {row['rows_kept']} kept but the clean "
                f"output holds {kept_counts.get(table, 0)}"
            )
        if row["rows_quarantined"] != q_counts.get(table, 0):
            raise PipelineError(
                f"clean: row accounting of {table} says {row['rows_quarantined']} quarantined "
                f"but quarantine.csv holds {q_counts.get(table, 0)}"
            )
        out[table] = row
    return out
