"""A new model's own tables reach the research report through the generic section."""

from __future__ import annotations

import pandas as pd

from pipeline.reporting.document import Table
from pipeline.reporting.research import EXTRA_TABLE_ROWS, ModelOutput, extra_tables


def _model(family: str, tables: dict[str, pd.DataFrame]) -> ModelOutput:
    return ModelOutput("new_entry", family, "m", metrics={"n": 1}, tables=tables)


def test_tables_the_family_does_not_render_are_shown_with_small_counts_suppressed() -> None:
    own = pd.DataFrame({"group": ["a", "b"], "n": [3, 40], "estimate": [0.123456, 1.0]})
    m = _model(
        "survival",
        {
            "gray_test": own,
            "km_table": pd.DataFrame({"t": [1.0]}),  # rendered by the survival section
            "schoenfeld_residuals": pd.DataFrame({"r": [0.1]}),  # per event: never shown
        },
    )
    blocks = extra_tables(m, min_n=10)
    assert len(blocks) == 1
    table = blocks[0]
    assert isinstance(table, Table)
    assert table.header == ("group", "n", "estimate")
    assert table.rows == (("a", "<10", "0.123"), ("b", "40", "1.000"))
    assert "data/models/new_entry/gray_test.csv" in table.note


def test_long_tables_are_cut_with_a_pointer_to_the_file() -> None:
    long = pd.DataFrame({"x": range(EXTRA_TABLE_ROWS + 5)})
    (table,) = extra_tables(_model("mixed", {"profile": long}), min_n=10)
    assert isinstance(table, Table)
    assert len(table.rows) == EXTRA_TABLE_ROWS
    assert f"of {EXTRA_TABLE_ROWS + 5} rows" in table.note
