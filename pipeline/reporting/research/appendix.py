"""Appendices of the research report: the tables a model writes that no section renders (the
generic section through which a new model's outputs reach the report), and the
reproducibility record.

A family section renders the tables it knows by name (:data:`FAMILY_TABLES`); tables with one
row per trajectory or event (:data:`PER_OBSERVATION_TABLES`) are never printed; every other
``data/models/<entry>/<table>.csv`` is printed here, its first :data:`EXTRA_TABLE_ROWS` rows,
with column names and values named through the label dictionary where it knows them and counts
of people below ``min_n`` suppressed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pipeline.reporting.document import Block, Heading, Paragraph, Table
from pipeline.reporting.labels import LABELS
from pipeline.reporting.research.common import (
    Inputs,
    ModelOutput,
    Part,
    anchor_of,
    cap,
    num,
    term,
    whole,
)
from pipeline.reporting.research.outcomes import model_name
from pipeline.reporting.suppression import suppression_label

#: Tables each family's section renders itself (by name).
FAMILY_TABLES: dict[str, frozenset[str]] = {
    "mixed": frozenset({"fixed_effects_covariance"}),
    "prediction": frozenset(
        {"calibration", "calibration_curve", "decision_curve", "subgroups", "importance"}
    ),
    "survival": frozenset(
        {
            "km_table",
            "risk_table",
            "logrank",
            "ph_test",
            "ph_test_factors",
            "cif_table",
            "gray_test",
        }
    ),
}
#: Tables with one row per trajectory or event: never printed.
PER_OBSERVATION_TABLES: frozenset[str] = frozenset({"predictions", "schoenfeld_residuals"})
#: Rows of a generic table printed (the rest stays in the CSV).
EXTRA_TABLE_ROWS = 30
#: Column names of counts of people, suppressed below ``min_n``.
COUNT_COLUMNS: frozenset[str] = frozenset(
    {"n", "events", "at_risk", "n_at_risk", "count", "n_events", "censored", "n_censored"}
)


def _is_count(column: str) -> bool:
    return column in COUNT_COLUMNS or column.startswith("n_") or column.endswith("_n")


def header_label(column: str) -> str:
    """A column name as printed: its label when the dictionary has one, else in words."""
    if column in LABELS:
        return cap(LABELS[column]["en"])
    return cap(column.replace("_", " "))


def cell(value: Any, column: str, min_n: int) -> str:
    """A generic cell: counts of people under ``min_n`` suppressed, numbers rounded, names
    labelled."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "\u2013"
    if _is_count(column) and isinstance(value, int | float | np.integer | np.floating):
        return suppression_label(min_n) if float(value) < min_n else whole(value)
    if isinstance(value, float | np.floating):
        return num(value, 3)
    if isinstance(value, int | np.integer):
        return whole(value)
    text = str(value)
    try:
        return term(text)
    except KeyError:
        return text


def extra_tables(m: ModelOutput, min_n: int) -> list[Block]:
    """Every table of ``m`` that its family's section does not render, as a plain table."""
    shown = FAMILY_TABLES.get(m.family, frozenset()) | PER_OBSERVATION_TABLES
    blocks: list[Block] = []
    for name in sorted(set(m.tables) - shown):
        frame = m.tables[name]
        if frame.empty:
            continue
        head = frame.head(EXTRA_TABLE_ROWS)
        rows = tuple(
            tuple(cell(v, str(c), min_n) for c, v in zip(head.columns, row, strict=True))
            for row in head.itertuples(index=False, name=None)
        )
        note = (
            f"First {EXTRA_TABLE_ROWS} of {len(frame)} rows; the full table is "
            f"data/models/{m.name}/{name}.csv."
            if len(frame) > EXTRA_TABLE_ROWS
            else f"From data/models/{m.name}/{name}.csv."
        )
        blocks.append(
            Table(
                caption=f"{model_name(m)} ({m.name}): {name.replace('_', ' ')}",
                header=tuple(header_label(str(c)) for c in frame.columns),
                rows=rows,
                note=note + f" Counts below {min_n} read '{suppression_label(min_n)}'.",
                anchor=anchor_of(m.name, name),
            )
        )
    return blocks


def extra_part(inp: Inputs) -> Part:
    """Appendix B: further model outputs (only when a model writes tables no section shows)."""
    blocks: list[Block] = []
    for m in inp.models:
        if m.estimable:
            blocks.extend(extra_tables(m, inp.min_n))
    if not blocks:
        return Part([])
    return Part(
        [
            Heading("Appendix B. Further model outputs", 2, "extra-tables"),
            Paragraph(
                "Tables that a model writes and that the sections above do not render, each "
                "with the file it comes from."
            ),
            *blocks,
        ]
    )


def reproducibility_part(inp: Inputs) -> Part:
    """Appendix C: how the report can be reproduced."""
    text = (
        "This report was generated by the ALK ROM pipeline from the export and the settings "
        "in params.yaml (data stages, one fit per model entry, then this report); the same "
        "export and settings give the same report, byte for byte. "
    )
    if inp.code_fingerprint:
        text += (
            f"The code is identified by its code fingerprint, {inp.code_fingerprint} (a digest "
            "of the DVC hashes of the code used; the git commit whose dvc.lock holds the same "
            "hashes is the code). "
        )
    text += (
        f"The technical record beside this report ({inp.record_file}) lists the DVC hashes of "
        "the data, every parameter and the package versions. Every number of the results is "
        "in the stage outputs: data/models/<entry>/ (coefficients.csv, metrics.json and the "
        "model's tables) and reports/metrics/."
    )
    return Part([Heading("Appendix C. Reproducibility", 2, "reproducibility"), Paragraph(text)])
