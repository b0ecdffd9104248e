"""Score a table of administrations: every registered instrument, vectorised per instrument.

Two layouts are supported by one function, :func:`score_frame`:

- long (the ``score`` stage): an ``instrument`` column says which questionnaire each row is,
  and only that instrument scores the row;
- wide (``python -m pipeline score``): no instrument column; every instrument whose items are
  present scores every row, and only the score columns those items allow are returned.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.instruments.base import (
    INVALID_REASONS,
    Instrument,
    ScoreDef,
    normalise_sex,
    score_items,
)
from pipeline.instruments.catalogue import all_item_columns
from pipeline.instruments.registry import SCORE_COLUMNS, score_definitions

INVALID_COLUMNS = ("row", "item", "reason", "low", "high")
ITEM_ORDER = {name: i for i, name in enumerate(all_item_columns())}


def allowed_scores(instrument: Instrument, present: set[str]) -> tuple[str, ...]:
    """The scores of ``instrument`` that the ``present`` item columns can yield.

    A score is allowed when, with every present item answered and every absent item missing,
    its missing-item rule gives a value for a woman or for a man.
    """
    names = instrument.item_names
    values = np.array(
        [[item.low if item.name in present else np.nan for item in instrument.items]] * 2,
        dtype=np.float64,
    )
    block = score_items(instrument, values, sex=np.array(["f", "m"], dtype=object))
    out = []
    for score in instrument.scores:
        result = block.scores[score.name]
        has_value = (
            np.array([v is not None for v in result])
            if result.dtype == object
            else ~np.isnan(result)
        )
        if has_value.any() and any(i in present for i in score.items if i in names):
            out.append(score.name)
    return tuple(out)


def _empty_column(score: ScoreDef, n: int) -> np.ndarray:
    if score.categories:
        return np.full(n, None, dtype=object)
    return np.full(n, np.nan, dtype=np.float64)


def _numbers(column: pd.Series) -> np.ndarray:
    """A numeric column as floats (nullable integers and pandas NA become NaN)."""
    if column.dtype.kind == "f":
        return column.to_numpy()
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def score_frame(
    frame: pd.DataFrame,
    instruments: Mapping[str, Instrument],
    *,
    sex: object | None = None,
    instrument_column: str | None = None,
    unparseable: Mapping[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every row of ``frame``.

    Parameters
    ----------
    frame
        Item columns with canonical names (numbers; NaN = not answered). Other columns are
        ignored.
    instruments
        The registry under the run's options (:func:`~pipeline.instruments.registry.build_instruments`).
    sex
        Per row, ``m``/``f``/``x`` or Dutch ``man``/``vrouw``/``anders`` (anything else =
        unknown); only the PHQ-15 uses it.
    instrument_column
        Long layout: the column naming each row's instrument. ``None``: wide layout.
    unparseable
        Item column -> mask of rows whose text was not a number (invalid, not missing).

    Returns
    -------
    scores : pandas.DataFrame
        Score columns in the order of ``docs/outputs.md`` (long layout: all of them; wide layout:
        those the present items allow), index as ``frame``. Continuous scores are float64,
        categories are pandas strings; empty = not scorable.
    invalid : pandas.DataFrame
        One row per invalid answer: ``row`` (0-based position in ``frame``), ``item``,
        ``reason``, ``low``, ``high`` (the allowed range), sorted by row and item order.
        Never the value itself.
    """
    n = len(frame)
    definitions = score_definitions(dict(instruments))
    sex_codes = normalise_sex(
        np.full(n, None, dtype=object) if sex is None else np.asarray(sex, dtype=object)
    )
    present = set(frame.columns)
    plan: list[tuple[Instrument, np.ndarray, tuple[str, ...]]] = []
    if instrument_column is not None:
        which = frame[instrument_column].to_numpy(dtype=object)
        for key, instrument in instruments.items():
            rows = np.flatnonzero(which == key)
            plan.append((instrument, rows, instrument.score_names))
        wanted = [name for name in SCORE_COLUMNS if name in definitions]
    else:
        allowed: set[str] = set()
        for instrument in instruments.values():
            names = allowed_scores(instrument, present)
            if names or present.intersection(instrument.item_names):
                plan.append((instrument, np.arange(n), names))  # invalid answers reported too
                allowed.update(names)
        wanted = [name for name in SCORE_COLUMNS if name in allowed]
    # Continuous scores live in one (columns x rows) float block, filled in place and handed to
    # pandas without a copy (column-by-column frames cost more than the scoring itself).
    continuous = [name for name in wanted if not definitions[name].categories]
    block_values = np.full((len(continuous), n), np.nan)
    out: dict[str, np.ndarray] = {name: block_values[i] for i, name in enumerate(continuous)}
    for name in wanted:
        if definitions[name].categories:
            out[name] = _empty_column(definitions[name], n)
    invalid_parts: list[pd.DataFrame] = []
    for instrument, rows, names in plan:
        if len(rows) == 0:
            continue
        values = np.empty((len(rows), len(instrument.items)))
        values.fill(np.nan)
        bad_text = np.zeros(values.shape, dtype=bool)
        for j, item in enumerate(instrument.item_names):
            if item in present:
                values[:, j] = _numbers(frame[item])[rows]
            if unparseable is not None and item in unparseable:
                bad_text[:, j] = np.asarray(unparseable[item], dtype=bool)[rows]
        block = score_items(instrument, values, sex=sex_codes[rows], unparseable=bad_text)
        for name in names:
            if name in out:
                out[name][rows] = block.scores[name]
        cells = np.argwhere(block.invalid != 0)
        if len(cells):
            specs = instrument.items
            invalid_parts.append(
                pd.DataFrame(
                    {
                        "row": rows[cells[:, 0]],
                        "item": [specs[j].name for j in cells[:, 1]],
                        "order": [ITEM_ORDER[specs[j].name] for j in cells[:, 1]],
                        "reason": [INVALID_REASONS[int(c)] for c in block.invalid[tuple(cells.T)]],
                        "low": [specs[j].low for j in cells[:, 1]],
                        "high": [specs[j].high for j in cells[:, 1]],
                    }
                )
            )
    scores = pd.DataFrame(block_values.T, columns=continuous, index=frame.index, copy=False)
    for name in wanted:
        if definitions[name].categories:
            scores[name] = pd.array(out[name], dtype="string")
    scores = scores.loc[:, wanted]
    if invalid_parts:
        invalid = (
            pd.concat(invalid_parts, ignore_index=True)
            .drop_duplicates(subset=["row", "item"])
            .sort_values(["row", "order"], kind="mergesort")
            .loc[:, list(INVALID_COLUMNS)]
            .reset_index(drop=True)
        )
    else:
        invalid = pd.DataFrame(
            {
                c: pd.Series(dtype="int64" if c in ("row", "low", "high") else object)
                for c in INVALID_COLUMNS
            }
        )
    return scores, invalid


def find_item_columns(columns: list[str], instruments: Mapping[str, Instrument]) -> dict[str, str]:
    """Canonical item name -> the header that holds it (matched trimmed, case-insensitive)."""
    canonical = {item for instrument in instruments.values() for item in instrument.item_names}
    found: dict[str, str] = {}
    for column in columns:
        key = str(column).strip().lower()
        if key in canonical and key not in found:
            found[key] = column
    return found


def parse_item_text(
    table: pd.DataFrame, columns: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Numbers from text cells: empty = not answered; decimal comma or point accepted.

    Parameters
    ----------
    table
        Text cells (``""`` = empty), as read from a CSV.
    columns
        Canonical item name -> header in ``table`` (:func:`find_item_columns`).

    Returns
    -------
    values : pandas.DataFrame
        One float column per canonical item (NaN = empty or not a number).
    unparseable : dict
        Canonical item -> mask of non-empty cells that are not a number.
    """
    values: dict[str, np.ndarray] = {}
    unparseable: dict[str, np.ndarray] = {}
    for item, header in columns.items():
        text = table[header].astype(str).str.strip()
        number = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        parsed = number.to_numpy(dtype=np.float64)
        values[item] = parsed
        unparseable[item] = (text != "").to_numpy() & np.isnan(parsed)
    return pd.DataFrame(values, index=table.index), unparseable
