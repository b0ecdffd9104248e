"""Realistic data errors planted in the questionnaire tables, so the export exercises quarantine.

Per questionnaire table and per kind, ``synth.errors`` rows (fewer when the table is small;
distinct rows for every kind):

- ``out_of_range``: one item of an administration is set one above its maximum (SSD-12 item 5,
  EQ-5D level 6, VAS 101, PHQ-15 item 3, CQI grade 11, a RAND-36 item one past its options);
- ``bad_date``: ``completed_at`` becomes text that no date format reads (day 32, 31 February,
  ``onbekend``); the column then holds ``datetime.datetime`` values and that text, as a table
  read from a real export would;
- ``duplicate``: an exact copy of an administration directly after it;
- ``unknown_client``: a copy of an administration under a client id that is not in
  ``trajectories`` (and no ``trajectory_id``), directly after the original.

The trajectories table gets none: a broken trajectory would orphan its administrations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.synth.params import QUESTIONNAIRES

KINDS: tuple[str, ...] = ("out_of_range", "bad_date", "duplicate", "unknown_client")


def _bad_date(stamp: pd.Timestamp, variant: int) -> str:
    if variant == 0:
        return f"32-{stamp.month:02d}-{stamp.year} {stamp.hour:02d}:{stamp.minute:02d}"
    if variant == 1:
        return f"31-02-{stamp.year}"
    return "onbekend"


def _plant(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    name: str,
    count: int,
    unknown_ids: list[str],
    first_variant: int,
) -> pd.DataFrame:
    n = len(frame)
    per_kind = min(count, n // len(KINDS))
    if per_kind == 0:
        return frame
    chosen = rng.choice(n, size=per_kind * len(KINDS), replace=False).reshape(len(KINDS), per_kind)
    out = frame.copy()
    specs = INSTRUMENT_ITEMS[name]
    for row in chosen[0]:
        spec = specs[int(rng.integers(len(specs)))]
        out.loc[row, spec.name] = spec.high + 1
    stamps = frame["completed_at"].to_numpy(dtype="datetime64[ns]")
    completed = stamps.astype("datetime64[us]").astype(object)
    for variant, row in enumerate(chosen[1]):
        completed[row] = _bad_date(pd.Timestamp(stamps[row]), (first_variant + variant) % 3)
    out["completed_at"] = pd.Series(completed, index=out.index, dtype=object)
    duplicates = out.iloc[chosen[2]]
    strangers = out.iloc[chosen[3]].copy()
    strangers["client_id"] = [unknown_ids.pop() for _ in range(per_kind)]
    strangers["trajectory_id"] = None
    # Originals keep their order; each copy goes directly after its original.
    order = np.concatenate([np.arange(n) * 2.0, chosen[2] * 2.0 + 1.0, chosen[3] * 2.0 + 1.5])
    combined = pd.concat([out, duplicates, strangers], ignore_index=True)
    return combined.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def plant_errors(
    rng: np.random.Generator, tables: dict[str, pd.DataFrame], count: int, unknown_ids: np.ndarray
) -> dict[str, pd.DataFrame]:
    """The tables with ``count`` errors of every kind planted in each questionnaire table.

    Parameters
    ----------
    rng
        The ``errors`` stream.
    tables
        Export tables from :func:`pipeline.synth.tables.export_tables` (not modified).
    count
        Errors per table and kind; 0 returns the tables unchanged.
    unknown_ids
        Client ids that are not in ``trajectories``, at least ``count`` per questionnaire.
    """
    if count == 0:
        return tables
    pool = list(unknown_ids)
    return {
        name: _plant(rng, frame, name, count, pool, position) if name in QUESTIONNAIRES else frame
        for position, (name, frame) in enumerate(tables.items())
    }
