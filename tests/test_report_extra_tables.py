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
            "new_table": own,
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
    assert "data/models/new_entry/new_table.csv" in table.note


def test_long_tables_are_cut_with_a_pointer_to_the_file() -> None:
    long = pd.DataFrame({"x": range(EXTRA_TABLE_ROWS + 5)})
    (table,) = extra_tables(_model("mixed", {"profile": long}), min_n=10)
    assert isinstance(table, Table)
    assert len(table.rows) == EXTRA_TABLE_ROWS
    assert f"of {EXTRA_TABLE_ROWS + 5} rows" in table.note


def test_cumulative_incidence_section_shows_landmarks_gray_and_no_small_risk_sets() -> None:
    from pipeline.reporting.document import FigureBlock
    from pipeline.reporting.research import survival_section

    cif = pd.DataFrame(
        {
            "group": ["all"] * 4,
            "level": ["all"] * 4,
            "cause": ["dropout", "dropout", "regular", "regular"],
            "time": [0.0, 1.0, 0.0, 1.0],
            "n_at_risk": [50, 4, 50, 4],
            "cif": [0.0, 0.2, 0.0, 0.5],
            "ci_low": [None, 0.1, None, 0.4],
            "ci_high": [None, 0.3, None, 0.6],
        }
    )
    risk = pd.DataFrame({"group": ["all", "all"], "time": [0.0, 1.0], "n_at_risk": [50, 4]})
    gray = pd.DataFrame(
        {"group": ["comorbid_asd"], "cause": ["dropout"], "statistic": [4.0], "df": [1.0],
         "p_value": [0.0456]}
    )  # fmt: skip
    coefficients = pd.DataFrame(
        {
            "term": ["cif_at_1y[dropout][all]", "cif_at_1y[dropout][comorbid_asd=1]"],
            "estimate": [0.2, 0.3],
            "ci_low": [0.1, 0.2],
            "ci_high": [0.3, 0.4],
        }
    )
    m = ModelOutput(
        "dropout_cif",
        "survival",
        "cumulative_incidence",
        metrics={"causes": ["dropout", "regular"], "events": {"dropout": 9, "regular": 20}},
        coefficients=coefficients,
        tables={"cif_table": cif, "risk_table": risk, "gray_test": gray},
    )
    blocks = survival_section(m, 1, min_n=10)
    tables = [b for b in blocks if isinstance(b, Table)]
    assert tables[0].rows == (("dropout", "1", "20.0%", "10.0 to 30.0"),)
    assert tables[1].rows == (("ASD", "4.00", "1", "0.046"),)
    (figure,) = [b for b in blocks if isinstance(b, FigureBlock)]
    assert "fewer than 10" in figure.caption
    assert "events = 29 (all causes" in blocks[1].text  # type: ignore[attr-defined]
