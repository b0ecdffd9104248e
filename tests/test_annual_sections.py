"""The annual report's new sections on tiny hand-written frames: counts, merges and pooling,
suppression of the new tables (also by subtraction), Dutch formatting and wording."""

from __future__ import annotations

import pandas as pd
import pytest
from annual_cohort import cohort

from pipeline.reporting import annual
from pipeline.reporting.annual import ReferenceValue, ReportingParams, ReportParams
from pipeline.reporting.annual_report import build_document, effect_word, key_points
from pipeline.reporting.document import (
    BulletList,
    DefinitionList,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
)
from pipeline.reporting.labels import date_nl, label, number_nl, percent_nl, signed_nl


def _frame(n: int, year: int = 2024, **overrides: object) -> pd.DataFrame:
    """``n`` trajectories ended in ``year``; every one improves 10 points on the SSD-12."""
    start = pd.Timestamp(f"{year}-02-01")
    frame = pd.DataFrame(
        {
            "client_key": [f"c{i:03d}" for i in range(n)],
            "trajectory_key": [f"t{i:03d}" for i in range(n)],
            "referral_date": [pd.Timestamp(f"{year}-01-05")] * n,
            "start_date": [start] * n,
            "end_date": [start + pd.Timedelta(days=30 * (1 + i % 9)) for i in range(n)],
            "end_reason": pd.array(["regular"] * n, dtype="string"),
            "status": ["ended"] * n,
            "age_at_start": [20.0 + (i % 50) for i in range(n)],
            "sex": pd.array(["f" if i % 3 else "m" for i in range(n)], dtype="string"),
            "diagnosis": pd.array(["ssd"] * n, dtype="string"),
            "cfs": pd.array([i % 2 for i in range(n)], dtype="Int8"),
            "research_consent": pd.array([1] * n, dtype="Int8"),
            "response_ssd12": pd.array(["completer"] * n, dtype="string"),
            "ssd12_total_intake": [30.0 + i % 7 for i in range(n)],
            "ssd12_total_end": [20.0 + i % 5 for i in range(n)],
            "ssd12_total_change": [-10.0 + i % 5 - i % 7 for i in range(n)],
            "ssd12_total_category": pd.array(["improved"] * n, dtype="string"),
        }
    )
    for key, value in overrides.items():
        frame[key] = value
    return frame


def _scores(traj: pd.DataFrame, grade: float = 8.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trajectory_key": traj["trajectory_key"],
            "instrument": "cqi",
            "timepoint": "end",
            "completed_at": traj["end_date"],
            "cqi_grade": grade,
        }
    )


def _figures(traj: pd.DataFrame, **report: object) -> dict[str, object]:
    params = ReportParams(**{"year": 2024, "previous_years": 0, **report})  # type: ignore[arg-type]
    return annual.annual_figures(traj, _scores(traj), params, ReportingParams())


# -- Dutch formats -----------------------------------------------------------------------------


def test_dutch_numbers_and_dates() -> None:
    assert number_nl(0.5, 1) == "0,5"
    assert number_nl(-0.4, 2) == "\u22120,40"
    assert number_nl(-0.001, 1) == "0,0"  # no negative zero
    assert number_nl(1234, 0) == "1234"
    assert number_nl(12345, 0) == "12\u202f345"
    assert signed_nl(0.4, 2) == "+0,40" and signed_nl(-0.4, 2) == "\u22120,40"
    assert percent_nl(45.4) == "45%"
    assert date_nl("2025-12-31") == "31 december 2025"
    assert label("end_reason=dropout") == "voortijdig gestopt (uitval)"
    with pytest.raises(KeyError):
        label("no_such_key")


def test_effect_size_reading_guide() -> None:
    assert effect_word(0.1) == "verwaarloosbaar"
    assert effect_word(0.2) == "klein"
    assert effect_word(-0.6) == "middelmatig"
    assert effect_word(0.8) == "groot"


def test_default_year_comes_from_the_export_date_not_the_last_data_day() -> None:
    """The walk-through case: ingest.export_date 2025-12-31, last questionnaire 30 December."""
    traj = _frame(30, year=2024)
    traj["end_date"] = pd.Timestamp("2025-12-30")
    params = ReportParams(year=None, previous_years=0)
    without = annual.annual_figures(traj, _scores(traj), params, ReportingParams())
    assert without["year"] == 2024 and without["export_date"] == "2025-12-30"
    with_date = annual.annual_figures(
        traj, _scores(traj), params, ReportingParams(), export_date=pd.Timestamp("2025-12-31")
    )
    assert with_date["year"] == 2025 and with_date["export_date"] == "2025-12-31"
    printed = annual.annual_figures(
        traj,
        _scores(traj),
        ReportParams(year=None, previous_years=0, export_date="2026-01-05"),
        ReportingParams(),
        export_date=pd.Timestamp("2025-12-31"),
    )
    assert printed["year"] == 2025 and printed["export_date"] == "2026-01-05"


# -- clients and flow --------------------------------------------------------------------------


def test_clients_counts_trajectories_and_unique_clients() -> None:
    traj = _frame(30)
    traj.loc[:9, "client_key"] = "c000"  # one client with ten trajectories
    c = annual.clients(traj, 2024, 10)
    assert c["trajectories"] == 30
    assert c["clients"] == 21
    assert c["sex"]["counts"] == {"f": 20, "m": 10, "x": None} or c["sex"]["counts"]["x"] is None
    # x = 0 is hidden, and with it the next smallest (m = 10): no recovery by subtraction.
    assert c["sex"]["counts"]["m"] is None and c["sex"]["counts"]["f"] == 20
    assert c["flags"]["cfs"]["percent"]["yes"] == pytest.approx(50.0)


def test_in_care_spans_the_year() -> None:
    traj = _frame(3)
    traj["start_date"] = pd.to_datetime(["2023-05-01", "2024-12-31", "2025-01-01"])
    traj["end_date"] = pd.to_datetime(["2024-01-01", pd.NaT, pd.NaT])
    assert list(annual.in_care(traj, 2024)["trajectory_key"]) == ["t000", "t001"]


def test_flow_reasons_dropout_duration_and_suppression() -> None:
    reasons = ["regular"] * 20 + ["dropout"] * 12 + ["referred"] * 3 + ["other"] * 5
    traj = _frame(40, end_reason=pd.array(reasons, dtype="string"))
    f = annual.flow(traj, 2024, 10, 2.0)
    assert f["ended"] == 40 and f["started"] == 40
    counts = f["end_reasons"]["counts"]
    # referred (3) and other (5) are hidden together (8 < 10), so dropout (12) goes too.
    assert counts["regular"] == 20
    assert counts["referred"] is None and counts["other"] is None and counts["dropout"] is None
    assert f["dropout_percent"] is None
    months = (traj["end_date"] - traj["start_date"]).dt.days / (365.25 / 12)
    assert f["duration_months"]["median"] == pytest.approx(months.median(), abs=1e-6)
    assert f["duration_months"]["q1"] == pytest.approx(months.quantile(0.25), abs=1e-6)


def test_reentry_within_window() -> None:
    base = _frame(20, year=2022)
    again = _frame(12, year=2023)
    again["trajectory_key"] = [f"r{i:03d}" for i in range(12)]  # clients c000-c011 return
    traj = pd.concat([base, again], ignore_index=True)
    f = annual.flow(traj, 2024, 10, 2.0)
    assert f["reentry"]["base_year"] == 2022
    assert f["reentry"]["regular_ends"] == 20
    # 12 back vs 8 not back: the 8 could be found by subtraction, so both are hidden.
    assert f["reentry"]["reentries"] is None and f["reentry"]["percent"] is None
    more = pd.concat(
        [
            base,
            _frame(5, year=2022).assign(
                client_key=[f"z{i}" for i in range(5)], trajectory_key=[f"z{i}" for i in range(5)]
            ),
            again,
        ],
        ignore_index=True,
    )
    f = annual.flow(more, 2024, 10, 2.0)
    assert f["reentry"]["reentries"] == 12 and f["reentry"]["percent"] == pytest.approx(48.0)


# -- response and non-response -----------------------------------------------------------------


def test_nonresponse_profiles_and_group_suppression() -> None:
    status = ["completer"] * 20 + ["pre_only"] * 25
    traj = _frame(45, response_ssd12=pd.array(status, dtype="string"))
    traj.loc[20:31, "end_reason"] = "dropout"
    traj.loc[20:, "ssd12_total_end"] = float("nan")
    nr = annual.nonresponse(traj, 10)
    assert nr["responders"]["n"] == 20 and nr["non_responders"]["n"] == 25
    assert nr["non_responders"]["dropout_percent"] == pytest.approx(100 * 12 / 25)
    # No dropout among responders: a zero cell is small, so the share is hidden.
    assert nr["responders"]["dropout_percent"] is None
    assert nr["non_responders"]["ssd12_intake_mean"] == pytest.approx(
        traj.loc[20:, "ssd12_total_intake"].mean()
    )
    small = _frame(30, response_ssd12=pd.array(["completer"] * 25 + ["none"] * 5, dtype="string"))
    nr = annual.nonresponse(small, 10)
    assert nr["responders"]["n"] is None and nr["non_responders"]["n"] is None


def test_eq_vas_response_row() -> None:
    traj = _frame(20, eq5d_vas_intake=[50.0] * 20, eq5d_vas_end=[60.0] * 10 + [None] * 10)
    r = annual.score_response(traj, "eq5d_vas", 10)
    assert r["responders"] == 10 and r["rate"] == pytest.approx(0.5)


# -- outcomes: one sign convention ------------------------------------------------------------


def test_improvement_is_positive_for_lower_is_better_scores() -> None:
    fig = _figures(_frame(20))
    o = fig["by_year"]["2024"]["outcomes"]["ssd12_total"]
    assert o["change_mean"] == pytest.approx(-10.0 + (1.8 - 2.75), abs=0.5)
    assert o["improvement_mean"] == pytest.approx(-o["change_mean"])
    assert o["improvement_ci_low"] == pytest.approx(-o["change_ci_high"])
    assert o["effect_size"] < 0 < o["effect_size_improvement"]
    assert o["effect_size_improvement"] == pytest.approx(-o["effect_size"])
    assert o["effect_size_improvement_ci_low"] < o["effect_size_improvement_ci_high"]


# -- reliable change: merge and pool -----------------------------------------------------------


def _categories(counts: dict[str, int]) -> pd.array:
    return pd.array([k for k, v in counts.items() for _ in range(v)], dtype="string")


def test_reliable_change_merges_and_splits_recovered() -> None:
    cats = _categories(
        {"recovered": 12, "improved": 15, "unchanged": 20, "deteriorated": 8, "harmed": 3}
    )
    traj = _frame(58, ssd12_total_category=cats)
    rc = annual.reliable_change(traj, "ssd12_total", 2024, [2024], 10)
    assert rc["period"] == [2024, 2024]
    assert rc["counts"] == {"better": 27, "unchanged": 20, "worse": 11}
    assert rc["recovered"] == 12
    assert rc["percent"]["better"] == pytest.approx(100 * 27 / 58)


def test_recovered_hidden_when_its_complement_is_small() -> None:
    cats = _categories({"recovered": 12, "improved": 4, "unchanged": 20, "deteriorated": 12})
    rc = annual.reliable_change(
        _frame(48, ssd12_total_category=cats), "ssd12_total", 2024, [2024], 10
    )
    assert rc["counts"]["better"] == 16
    assert rc["recovered"] is None and rc["recovered_percent"] is None


def test_reliable_change_pools_years_when_one_year_is_small() -> None:
    a = _frame(
        30,
        year=2023,
        ssd12_total_category=_categories({"improved": 22, "unchanged": 5, "deteriorated": 3}),
    )
    b = _frame(
        30,
        year=2024,
        ssd12_total_category=_categories({"improved": 20, "unchanged": 6, "deteriorated": 4}),
    )
    b["trajectory_key"] = [f"b{i}" for i in range(30)]
    traj = pd.concat([a, b], ignore_index=True)
    rc = annual.reliable_change(traj, "ssd12_total", 2024, [2023, 2024], 10)
    assert rc["period"] == [2023, 2024]
    assert (
        rc["counts"] == {"better": 42, "unchanged": 11, "worse": None}
        or rc["counts"]["worse"] is None
    )
    # worse = 7 (< 10) is hidden together with unchanged (11): 18 >= 10.
    assert rc["counts"]["better"] == 42 and rc["counts"]["unchanged"] is None


# -- the document ------------------------------------------------------------------------------


NORMS = {
    "ssd12_total": {
        "reliable_change": 8.213686,
        "cutoff_value": 14.453846,
        "cutoff": "c",
        "m_clin": 28.3,
        "m_func": 5.8,
        "note": "",
    }
}
OPTIONS = {
    "ssd12": {"max_missing_per_subscale": 1},
    "eq5d5l": {"coefficients": "published"},
    "eq5d3l": {"value_set": "NL_2006_Lamers"},
    "rand36": {"method": "rand", "missing_rule": "half_scale"},
    "phq15": {"max_missing": 1},
}
WINDOWS = {
    "intake_before_days": 60,
    "intake_after_days": 30,
    "end_before_days": 60,
    "end_after_days": 30,
}


def _doc(traj: pd.DataFrame, **report: object):  # type: ignore[no-untyped-def]
    fig = _figures(traj, **report)
    return fig, build_document(fig, score_options=OPTIONS, windows=WINDOWS, norms=NORMS)


def test_document_sections_order_numbering_and_references() -> None:
    traj, scores = cohort()
    params = ReportParams(
        year=2024,
        previous_years=3,
        centre_name="Centrum X",
        publication_date="2025-03-31",
        reference_values=(ReferenceValue("cqi_grade", 2019, 8.0, "eigen meting"),),
    )
    fig = annual.annual_figures(traj, scores, params, ReportingParams())
    doc = build_document(fig, score_options=OPTIONS, windows=WINDOWS, norms=NORMS)
    headings = [b.text for b in doc.blocks if isinstance(b, Heading) and b.level == 2]
    assert headings == [
        "Kernpunten",
        "Over het centrum en dit verslag",
        "De cliënten",
        "Instroom, doorstroom en uitstroom",
        "ROM-respons",
        "Uitkomsten",
        "Betrouwbare verandering",
        "Cliëntervaring",
        "Werkwijze",
    ]
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    figures = [b for b in doc.blocks if isinstance(b, FigureBlock)]
    assert [t.caption.split(".")[0] for t in tables] == [
        f"Tabel {i}" for i in range(1, len(tables) + 1)
    ]
    assert [f.caption.split(".")[0] for f in figures] == [
        f"Figuur {i}" for i in range(1, len(figures) + 1)
    ]
    text = " ".join(b.text for b in doc.blocks if isinstance(b, Paragraph))
    for i in range(1, len(tables) + 1):
        assert f"Tabel {i} " in text or f"tabel {i} " in text or f"tabel {i})" in text, i
    for i in range(1, len(figures) + 1):
        assert f"figuur {i}" in text, i
    everything = " ".join(
        [b.text for b in doc.blocks if isinstance(b, Paragraph)]
        + [c for t in tables for r in t.rows for c in r]
        + [t.caption + t.note for t in tables]
        + [d for b in doc.blocks if isinstance(b, DefinitionList) for i in b.items for d in i]
    )
    assert "31 maart 2025" in everything and "Centrum X" in doc.title
    assert "8,0" in everything and "2019" in everything  # the reference value, compared
    assert "8,2 punten" in everything and "c = 14,5" in everything  # thresholds stated
    assert "commit" not in everything.lower() and "md5" not in everything.lower()
    assert "2025-" not in everything and "2024-" not in everything  # no ISO dates
    points = next(b for b in doc.blocks if isinstance(b, BulletList))
    assert 5 <= len(points.items) <= 8


def test_small_n_wording_and_suppressed_sentences_left_out() -> None:
    fig = _figures(_frame(20))
    from pipeline.reporting.annual_report import Context, Numbers

    ctx = Context(fig=fig, year="2024", years=["2024"], min_n=10, numbers=Numbers(), norms=NORMS)
    points = key_points(ctx)
    ssd = next(p for p in points if "SSD-12" in p and "punten" in p)
    assert "ruwe schatting" in ssd and "minder dan 50 trajecten" in ssd
    tiny = _figures(_frame(6))
    ctx = Context(fig=tiny, year="2024", years=["2024"], min_n=10, numbers=Numbers(), norms=NORMS)
    assert key_points(ctx) == []  # every figure suppressed: no sentence with "n < 10"


def test_new_tables_of_a_tiny_cohort_show_only_suppressed_cells() -> None:
    _, doc = _doc(_frame(6))
    for table in (b for b in doc.blocks if isinstance(b, Table)):
        if "Grenzen" in table.caption:  # thresholds of the instruments, not data
            continue
        for row in table.rows:
            for cell in row[1:]:
                assert cell in ("", "n < 10", "2024"), (table.caption, row)
