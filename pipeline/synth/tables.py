"""Dress a simulated cohort as the tables of a ROM export (``docs/input-format.md``).

Columns are exactly the canonical ones, in contract order. Values are written the way a Dutch
ROM system writes them: ``sex`` as ``vrouw``/``man``/``anders``, ``end_reason`` as
``regulier``/``voortijdig``/``verwezen``/``overig``, the flags of
``population.flags_as_words`` as ``ja``/``nee`` and the other flags as 0/1 integers. Export ids
are text (``C0001234``, ``T0005678``) drawn at random, so they carry no order. Dates are
``datetime64``; ``completed_at`` has a time of day (the questionnaires of one occasion a few
minutes apart, in battery order). Item answers are nullable integers (missing = NA).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.instruments.catalogue import item_columns
from pipeline.synth._rng import stream
from pipeline.synth.cohort import Cohort
from pipeline.synth.params import FLAGS, QUESTIONNAIRES, SynthParams

TRAJECTORY_COLUMNS: tuple[str, ...] = (
    "client_id",
    "trajectory_id",
    "birth_year",
    "sex",
    "referral_date",
    "start_date",
    "end_date",
    "end_reason",
    "diagnosis",
    *FLAGS,
    "symptom_duration_years",
    "prior_treatments",
    "treatments",
    "sessions",
    "research_consent",
    "team",
)
SEX_NL = {"f": "vrouw", "m": "man", "x": "anders"}
END_REASON_NL = {
    "regular": "regulier",
    "dropout": "voortijdig",
    "referred": "verwezen",
    "other": "overig",
}
#: Minutes between the starts of consecutive questionnaires of the battery.
BATTERY_MINUTES = 4


@dataclass(frozen=True)
class ExportIds:
    """Export ids: per client its number (sort key) and text, per trajectory its text."""

    client_numbers: np.ndarray
    client_ids: np.ndarray
    trajectory_ids: np.ndarray


def id_width(n: int) -> int:
    """Digits of the export ids for ``n`` entities (at least 7, room for 4·n numbers)."""
    return max(7, len(str(4 * n)))


def id_numbers(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """``n`` distinct random whole numbers of at most ``width`` digits (none zero)."""
    return rng.choice(10**width - 1, size=n, replace=False).astype(np.int64) + 1


def format_ids(numbers: np.ndarray, prefix: str, width: int) -> np.ndarray:
    """Id text of whole numbers: prefix plus zero-padded digits (``C0001234``)."""
    text = pd.Series(numbers, dtype=np.int64).astype(str).str.zfill(width)
    return (prefix + text).to_numpy(dtype=object)


def unknown_ids(rng: np.random.Generator, known: np.ndarray, k: int, prefix: str) -> np.ndarray:
    """``k`` distinct ids in the style of ``known`` (same prefix and width) that are not in it."""
    width = len(str(known[0])) - len(prefix)
    known_set = set(known)
    found: dict[str, None] = {}
    while len(found) < k:
        numbers = rng.integers(1, 10**width, size=2 * k + 8)
        found.update((i, None) for i in format_ids(numbers, prefix, width) if i not in known_set)
    return np.array(list(found)[:k], dtype=object)


def _dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")


def _nullable_ints(values: np.ndarray) -> pd.arrays.IntegerArray:
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def trajectories_table(cohort: Cohort, ids: ExportIds, params: SynthParams) -> pd.DataFrame:
    """The ``trajectories`` table, sorted by ``client_id`` and ``start_date``."""
    t = cohort.trajectories
    client = t["client"].to_numpy()
    order = np.lexsort((t["start_day"].to_numpy(), ids.client_numbers[client]))
    t = t.iloc[order]
    ended = t["ended"].to_numpy()
    end_date = np.where(ended, _dates(t["end_day"].to_numpy()), np.datetime64("NaT", "ns"))
    words = set(params.population.flags_as_words)

    def flag(name: str, values: np.ndarray) -> np.ndarray:
        if name in words:
            return np.where(values == 1, "ja", "nee").astype(object)
        return values.astype(np.int64)

    columns: dict[str, object] = {
        "client_id": ids.client_ids[client[order]],
        "trajectory_id": ids.trajectory_ids[order],
        "birth_year": t["birth_year"].to_numpy(dtype=np.int64),
        "sex": t["sex"].map(SEX_NL).to_numpy(dtype=object),
        "referral_date": _dates(t["referral_day"].to_numpy()),
        "start_date": _dates(t["start_day"].to_numpy()),
        "end_date": end_date,
        "end_reason": np.array([END_REASON_NL.get(r) for r in t["end_reason"]], dtype=object),
        "diagnosis": t["diagnosis"].to_numpy(dtype=object),
        **{name: flag(name, t[name].to_numpy()) for name in FLAGS},
        "symptom_duration_years": t["symptom_duration_years"].to_numpy(dtype=float),
        "prior_treatments": t["prior_treatments"].to_numpy(dtype=np.int64),
        "treatments": t["treatments"].to_numpy(dtype=object),
        "sessions": t["sessions"].to_numpy(dtype=np.int64),
        "research_consent": flag("research_consent", t["research_consent"].to_numpy()),
        "team": t["team"].to_numpy(dtype=object),
    }
    return pd.DataFrame(columns)[list(TRAJECTORY_COLUMNS)]


def questionnaire_table(
    cohort: Cohort, name: str, ids: ExportIds, battery_offset: np.ndarray
) -> pd.DataFrame:
    """One questionnaire table, sorted by ``client_id`` and ``completed_at``.

    ``battery_offset`` holds the extra minutes of this questionnaire per occasion.
    """
    rows, answers = cohort.items[name]
    occ = cohort.occasions
    traj = occ["trajectory"].to_numpy()[rows]
    t = cohort.trajectories
    client = t["client"].to_numpy()[traj]
    day = t["start_day"].to_numpy()[traj] + occ["day"].to_numpy()[rows]
    minute = day * 1440 + occ["minute"].to_numpy()[rows] + battery_offset[rows]
    order = np.lexsort((minute, ids.client_numbers[client]))
    frame = pd.DataFrame(
        {
            "client_id": ids.client_ids[client[order]],
            "completed_at": minute[order].astype("datetime64[m]").astype("datetime64[ns]"),
            "trajectory_id": ids.trajectory_ids[traj[order]],
        }
    )
    for j, column in enumerate(item_columns(name)):
        frame[column] = _nullable_ints(answers[order, j])
    return frame


def export_tables(cohort: Cohort, params: SynthParams) -> dict[str, pd.DataFrame]:
    """Table name -> export table (without planted errors), in contract order."""
    rng = stream(params.seed, "ids")
    n_trajectories = len(cohort.trajectories)
    client_width, trajectory_width = id_width(params.clients), id_width(n_trajectories)
    client_numbers = id_numbers(rng, params.clients, client_width)
    trajectory_numbers = id_numbers(rng, n_trajectories, trajectory_width)
    ids = ExportIds(
        client_numbers=client_numbers,
        client_ids=format_ids(client_numbers, "C", client_width),
        trajectory_ids=format_ids(trajectory_numbers, "T", trajectory_width),
    )
    tables = {"trajectories": trajectories_table(cohort, ids, params)}
    n_occasions = len(cohort.occasions)
    for position, name in enumerate(QUESTIONNAIRES):
        offset = BATTERY_MINUTES * position + rng.integers(0, BATTERY_MINUTES - 1, size=n_occasions)
        tables[name] = questionnaire_table(cohort, name, ids, offset)
    return tables
