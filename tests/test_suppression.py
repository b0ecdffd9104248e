"""Small-cell suppression: primary, secondary (no recovery by subtraction), tiny cohorts."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from pipeline.reporting.annual import ReportingParams, ReportParams, annual_figures
from pipeline.reporting.suppression import suppress_distribution, suppression_label


def test_label() -> None:
    assert suppression_label(10) == "n < 10"


def test_nothing_hidden_when_every_cell_is_large() -> None:
    counts = {"a": 10, "b": 25, "c": 40}
    assert suppress_distribution(counts, 10) == counts


def test_single_small_cell_hides_the_next_smallest() -> None:
    out = suppress_distribution({"a": 3, "b": 12, "c": 40, "d": 50}, 10)
    assert out == {"a": None, "b": None, "c": 40, "d": 50}


def test_hidden_group_must_hold_min_n() -> None:
    # a and b hidden together hold 5 < 10: reader would learn "a + b = 5", so c goes too.
    out = suppress_distribution({"a": 2, "b": 3, "c": 30, "d": 60}, 10)
    assert out == {"a": None, "b": None, "c": None, "d": 60}


def test_small_total_hides_everything() -> None:
    assert suppress_distribution({"a": 4, "b": 5}, 10) == {"a": None, "b": None}


def test_zero_cells_count_as_small() -> None:
    out = suppress_distribution({"a": 0, "b": 20, "c": 30}, 10)
    assert out["a"] is None and out["b"] is None and out["c"] == 30


@pytest.mark.parametrize("cells", list(itertools.product([0, 3, 9, 10, 25], repeat=4)))
def test_no_hidden_cell_recoverable_by_subtraction(cells: tuple[int, ...]) -> None:
    counts = dict(zip("abcd", cells, strict=True))
    out = suppress_distribution(counts, 10)
    hidden = [k for k, v in out.items() if v is None]
    shown = [v for v in out.values() if v is not None]
    assert all(v >= 10 for v in shown)
    if hidden and len(hidden) < len(counts):
        assert len(hidden) >= 2
        assert sum(counts[k] for k in hidden) >= 10


def _tiny_cohort(n: int, year: int = 2024) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = [f"t{i:03d}" for i in range(n)]
    start = pd.Timestamp(f"{year}-02-01")
    end = pd.Timestamp(f"{year}-11-01")
    traj = pd.DataFrame(
        {
            "client_key": [f"c{i:03d}" for i in range(n)],
            "trajectory_key": keys,
            "referral_date": [pd.Timestamp(f"{year}-01-05")] * n,
            "start_date": [start] * n,
            "end_date": [end] * n,
            "status": ["ended"] * n,
            "research_consent": pd.array([1] * n, dtype="Int8"),
            "response_ssd12": pd.array(["completer"] * n, dtype="string"),
            "response_cqi": pd.array(["post_only"] * n, dtype="string"),
            "ssd12_total_intake": [30.0 + i for i in range(n)],
            "ssd12_total_end": [20.0 + i for i in range(n)],
            "ssd12_total_change": [-10.0] * n,
            "ssd12_total_category": pd.array(["improved"] * n, dtype="string"),
        }
    )
    scores = pd.DataFrame(
        {
            "trajectory_key": keys,
            "instrument": ["cqi"] * n,
            "timepoint": ["end"] * n,
            "completed_at": [end] * n,
            "cqi_grade": [8.0] * n,
        }
    )
    return traj, scores


#: Keys that describe a figure (its period, window, instrument; whether the export carries
#: non-response records at all), not figures themselves.
LABEL_KEYS = frozenset({"base_year", "window_years", "instrument", "period", "available"})


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() if k not in LABEL_KEYS for leaf in _leaves(v)]
    return [value]


def test_tiny_cohort_every_figure_suppressed() -> None:
    traj, scores = _tiny_cohort(6)
    fig = annual_figures(traj, scores, ReportParams(year=2024, previous_years=0), ReportingParams())
    year = fig["by_year"]["2024"]
    assert all(v is None for v in _leaves(year)), year
    assert all(v is None for v in _leaves(fig["reliable_change"]))
    assert all(v is None for v in _leaves(fig["reliable_change_by_year"]))
    assert fig["trajectories_in_population"] is None


def test_cohort_at_threshold_is_published() -> None:
    traj, scores = _tiny_cohort(10)
    fig = annual_figures(traj, scores, ReportParams(year=2024, previous_years=0), ReportingParams())
    year = fig["by_year"]["2024"]
    assert year["counts"]["ended"] == 10
    assert year["outcomes"]["ssd12_total"]["change_mean"] == pytest.approx(-10.0)
    assert year["cqi"]["mean"] == pytest.approx(8.0)
    # All 10 are "improved": the other four categories (0 each) are hidden, and with them
    # "improved" (the hidden group would otherwise hold 0 < 10 trajectories).
    assert all(v is None for v in year["categories"]["ssd12_total"]["counts"].values())


def test_response_split_suppressed_when_non_responders_small() -> None:
    traj, scores = _tiny_cohort(25)
    status = ["completer"] * 20 + ["pre_only"] * 5
    traj["response_ssd12"] = pd.array(status, dtype="string")
    traj.loc[20:, ["ssd12_total_end", "ssd12_total_change"]] = float("nan")
    traj.loc[20:, "ssd12_total_category"] = pd.NA
    fig = annual_figures(traj, scores, ReportParams(year=2024, previous_years=0), ReportingParams())
    year = fig["by_year"]["2024"]
    # 5 non-responders could be found as ended (25) - responders (20): both hidden, and the
    # outcome n (20) too, which would give the same subtraction.
    assert year["response"]["ssd12"]["responders"] is None
    assert year["response"]["ssd12"]["rate"] is None
    assert year["outcomes"]["ssd12_total"]["n"] is None
    assert year["outcomes"]["ssd12_total"]["change_mean"] == pytest.approx(-10.0)
