"""A new model's own tables reach the research report through the generic section."""

from __future__ import annotations

import pandas as pd

from pipeline.reporting.document import FigureBlock, Table
from pipeline.reporting.research import EXTRA_TABLE_ROWS, ModelOutput, extra_tables
from pipeline.reporting.research.common import Inputs
from pipeline.reporting.research.survival import cif_blocks


def _model(family: str, tables: dict[str, pd.DataFrame]) -> ModelOutput:
    return ModelOutput("new_entry", family, "m", metrics={"n": 1}, tables=tables)


def test_tables_the_family_does_not_render_are_shown_labelled_with_small_counts_suppressed() -> (
    None
):
    own = pd.DataFrame({"group": ["comorbid_asd", "b"], "n": [3, 40], "estimate": [0.123456, 1.0]})
    m = _model(
        "survival",
        {
            "new_table": own,
            "km_table": pd.DataFrame({"t": [1.0]}),  # rendered by the survival section
            "schoenfeld_residuals": pd.DataFrame({"r": [0.1]}),  # per event: never shown
        },
    )
    blocks = extra_tables(m, min_n=10)
    assert len(blocks) == 1
    table = blocks[0]
    assert isinstance(table, Table)
    assert table.header == ("Group", "N", "Estimate")
    # Names through the label dictionary, counts below min_n suppressed, numbers rounded.
    assert table.rows == (("Autism spectrum disorder", "n < 10", "0.123"), ("b", "40", "1.000"))
    assert "data/models/new_entry/new_table.csv" in table.note


def test_long_tables_are_cut_with_a_pointer_to_the_file() -> None:
    long = pd.DataFrame({"x": range(EXTRA_TABLE_ROWS + 5)})
    (table,) = extra_tables(_model("mixed", {"profile": long}), min_n=10)
    assert isinstance(table, Table)
    assert len(table.rows) == EXTRA_TABLE_ROWS
    assert f"of {EXTRA_TABLE_ROWS + 5} rows" in table.note


def test_cumulative_incidence_shows_landmarks_and_no_small_risk_sets() -> None:
    cif = pd.DataFrame(
        {
            "group": ["all"] * 6,
            "level": ["all"] * 6,
            "cause": ["dropout"] * 3 + ["regular"] * 3,
            "time": [0.0, 1.0, 2.0] * 2,
            "n_at_risk": [50, 12, 4] * 2,
            "n_censored": [0, 1, 0] * 2,
            "cif": [0.0, 0.2, 0.25, 0.0, 0.5, 0.6],
            "ci_low": [None, 0.1, 0.15, None, 0.4, 0.5],
            "ci_high": [None, 0.3, 0.35, None, 0.6, 0.7],
        }
    )
    risk = pd.DataFrame(
        {
            "group": ["all"] * 3,
            "level": ["all"] * 3,
            "time": [0.0, 1.0, 2.0],
            "n_at_risk": [50, 12, 4],
        }
    )
    coefficients = pd.DataFrame(
        {
            "term": ["cif_at_1y[dropout][all]", "cif_at_2y[dropout][all]"],
            "estimate": [0.2, 0.25],
            "ci_low": [0.1, 0.15],
            "ci_high": [0.3, 0.35],
        }
    )
    m = ModelOutput(
        "dropout_cif",
        "survival",
        "cumulative_incidence",
        metrics={
            "causes": ["dropout", "regular"],
            "events": {"dropout": 9, "regular": 20},
            "outcome": "dropout",
            "n": 50,
            "censored": 21,
        },  # fmt: skip
        coefficients=coefficients,
        tables={"cif_table": cif, "risk_table": risk},
    )
    inputs = Inputs(trajectories=pd.DataFrame(), scores=pd.DataFrame(), models=[m], entries={})
    blocks, causes = cif_blocks(inputs, m, "dropout")
    assert causes == ["dropout", "regular"]
    (table,) = [b for b in blocks if isinstance(b, Table)]
    # The 2-year landmark has 4 at risk (< 10): not shown; the number at risk is printed.
    assert table.header == ("Cause", "1 year")
    assert table.rows[0] == ("Drop-out", "20.0% (10.0 to 30.0)")
    assert table.rows[-1] == ("Number at risk", "12")
    (figure,) = [b for b in blocks if isinstance(b, FigureBlock)]
    assert "fewer than 10" in figure.caption
    assert "drop-out n < 10" in blocks[0].text  # type: ignore[union-attr]
