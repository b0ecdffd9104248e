"""Unit tests of pipeline.clean on tiny hand-written frames (docs/input-format.md, *Timepoints*,
*Response status*; docs/outputs.md, *Quarantine*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.clean import (
    ADMINISTRATION_COLUMNS,
    MODALITIES,
    CleanParams,
    CleanResult,
    WindowParams,
    clean_tables,
    combine_accounting,
    combine_quarantine,
    find_exact_duplicates,
)
from pipeline.config import load_params
from pipeline.errors import ParamsError, PipelineError
from pipeline.instruments.catalogue import INSTRUMENTS, all_item_columns, item_columns

PARAMS = CleanParams()
START = pd.Timestamp("2023-03-01")
END = pd.Timestamp("2023-12-01")


def day(base: pd.Timestamp, offset: int, hour: int = 10) -> pd.Timestamp:
    return base + pd.Timedelta(days=offset, hours=hour)


def trajectories(*rows: dict[str, Any]) -> pd.DataFrame:
    """Ingested trajectories; every column of the contract, with plain defaults."""
    defaults: dict[str, Any] = {
        "birth_year": 1980,
        "sex": "f",
        "referral_date": pd.Timestamp("2022-12-01"),
        "end_date": pd.NaT,
        "end_reason": None,
        "diagnosis": "ssd",
        "cfs": 0,
        "comorbid_depression": 1,
        "symptom_duration_years": 3.5,
        "prior_treatments": 1,
        "sessions": 20,
        "treatments": "cbt",
        "research_consent": 1,
        "team": None,
    }
    records = []
    for i, row in enumerate(rows):
        record = {"source_row": i + 2, **defaults, **row}
        if pd.notna(record["end_date"]) and record["end_reason"] is None:
            record["end_reason"] = "regular"
        records.append(record)
    frame = pd.DataFrame(records)
    order = ["source_row", "client_key", "trajectory_key", "birth_year", "sex", "referral_date"]
    order += ["start_date", "end_date", "end_reason", "diagnosis", "cfs", "comorbid_depression"]
    order += ["symptom_duration_years", "prior_treatments", "sessions", "treatments"]
    order += ["research_consent", "team"]
    frame = frame[order]
    for column in ("referral_date", "start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    for column in ("birth_year", "prior_treatments", "sessions"):
        frame[column] = frame[column].astype("Int64")
    for column in ("cfs", "comorbid_depression", "research_consent"):
        frame[column] = frame[column].astype("Int8")
    frame["trajectory_key"] = frame["trajectory_key"].astype(object)
    frame["team"] = frame["team"].astype(object)
    return frame


def admins(instrument: str, *rows: dict[str, Any]) -> pd.DataFrame:
    """An ingested questionnaire table; rows give client, completed_at and optionally
    trajectory_key, source_row and answers (default: every item 1)."""
    items = item_columns(instrument)
    records = []
    for i, row in enumerate(rows):
        record: dict[str, Any] = {
            "source_row": row.get("source_row", i + 2),
            "client_key": row["client_key"],
            "trajectory_key": row.get("trajectory_key"),
            "completed_at": row["completed_at"],
        }
        answers = row.get("answers", {})
        for item in items:
            record[item] = answers.get(item, 1.0)
        records.append(record)
    frame = pd.DataFrame(records, columns=["source_row", "client_key", "trajectory_key",
                                           "completed_at", *items])  # fmt: skip
    frame["source_row"] = frame["source_row"].astype("int64")
    frame["trajectory_key"] = frame["trajectory_key"].astype(object)
    frame["completed_at"] = pd.to_datetime(frame["completed_at"]).astype("datetime64[ns]")
    for item in items:
        frame[item] = frame[item].astype("float32")
    return frame


ONE_ENDED = trajectories(
    {"client_key": "c1", "trajectory_key": "t1", "start_date": START, "end_date": END}
)
ONE_ONGOING = trajectories({"client_key": "c1", "trajectory_key": "t1", "start_date": START})


def single(traj: pd.DataFrame, completed_at: pd.Timestamp, key: str | None = None) -> pd.Series:
    """Clean one ssd12 administration of client c1 and return its clean row."""
    table = admins(
        "ssd12", {"client_key": "c1", "completed_at": completed_at, "trajectory_key": key}
    )
    result = clean_tables({"trajectories": traj, "ssd12": table}, PARAMS)
    assert len(result.administrations) == 1
    return result.administrations.iloc[0]


# ---------------------------------------------------------------------------------------------
# windows and their boundary days


@pytest.mark.parametrize("key", [None, "t1"], ids=["by_date", "by_key"])
@pytest.mark.parametrize(
    ("base", "offset", "expected"),
    [
        (START, -61, "unlinked"),
        (START, -60, "intake"),
        (START, 0, "intake"),
        (START, 30, "intake"),
        (START, 31, "interim"),
        (END, -61, "interim"),
        (END, -60, "end"),
        (END, 0, "end"),
        (END, 30, "end"),
        (END, 31, "follow_up"),
        (END, 730, "follow_up"),
        (END, 731, "unlinked"),
    ],
)
def test_window_boundaries_ended(
    key: str | None, base: pd.Timestamp, offset: int, expected: str
) -> None:
    # Late in the day: only the date part counts.
    row = single(ONE_ENDED, day(base, offset, hour=23), key)
    assert row["timepoint"] == expected
    if expected == "unlinked":
        assert row["trajectory_key"] is None
        assert pd.isna(row["days_from_start"])
    else:
        assert row["trajectory_key"] == "t1"
        assert row["days_from_start"] == (base - START).days + offset


@pytest.mark.parametrize("key", [None, "t1"], ids=["by_date", "by_key"])
@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-61, "unlinked"), (-60, "intake"), (30, "intake"), (31, "interim"), (3000, "interim")],
)
def test_window_boundaries_ongoing(key: str | None, offset: int, expected: str) -> None:
    row = single(ONE_ONGOING, day(START, offset), key)
    assert row["timepoint"] == expected


def test_windows_follow_params() -> None:
    params = CleanParams(WindowParams(intake_before_days=10, intake_after_days=5))
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": day(START, -11)},
        {"client_key": "c1", "completed_at": day(START, -10)},
        {"client_key": "c1", "completed_at": day(START, 6)},
    )
    out = clean_tables({"trajectories": ONE_ENDED, "ssd12": table}, params).administrations
    assert list(out.sort_values("source_row")["timepoint"]) == ["unlinked", "intake", "interim"]


# ---------------------------------------------------------------------------------------------
# choosing among trajectories and among administrations


TWO = trajectories(
    {
        "client_key": "c1",
        "trajectory_key": "t1",
        "start_date": pd.Timestamp("2021-01-10"),
        "end_date": pd.Timestamp("2022-06-30"),
    },
    {"client_key": "c1", "trajectory_key": "t2", "start_date": pd.Timestamp("2023-01-15")},
    {"client_key": "c2", "trajectory_key": "t3", "start_date": pd.Timestamp("2023-01-15")},
)


def test_later_trajectory_wins_by_date() -> None:
    # 2022-12-20: follow-up of t1 (end + 173) and intake window of t2 (start - 26).
    row = single(TWO, pd.Timestamp("2022-12-20 09:00"))
    assert (row["trajectory_key"], row["timepoint"], row["days_from_start"]) == (
        "t2",
        "intake",
        -26,
    )


def test_key_overrides_later_trajectory() -> None:
    row = single(TWO, pd.Timestamp("2022-12-20 09:00"), key="t1")
    assert (row["trajectory_key"], row["timepoint"]) == ("t1", "follow_up")


def test_earlier_trajectory_when_only_its_window_holds() -> None:
    row = single(TWO, pd.Timestamp("2022-09-01"))
    assert (row["trajectory_key"], row["timepoint"]) == ("t1", "follow_up")


def test_other_clients_trajectory_never_linked_by_date() -> None:
    table = admins("ssd12", {"client_key": "c3", "completed_at": pd.Timestamp("2023-01-15")})
    result = clean_tables({"trajectories": TWO, "ssd12": table}, PARAMS)
    assert result.administrations["timepoint"].tolist() == ["unlinked"]
    reasons = result.linkage["instruments"]["ssd12"]["unlinked_reasons"]
    assert reasons["client_without_trajectory"] == 1


def test_key_of_another_client_is_unlinked() -> None:
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": pd.Timestamp("2023-01-15"), "trajectory_key": "t3"},
        {"client_key": "c1", "completed_at": pd.Timestamp("2023-01-15"), "trajectory_key": "zz"},
    )
    result = clean_tables({"trajectories": TWO, "ssd12": table}, PARAMS)
    assert result.administrations["timepoint"].tolist() == ["unlinked", "unlinked"]
    assert result.administrations["trajectory_key"].isna().all()
    reasons = result.linkage["instruments"]["ssd12"]["unlinked_reasons"]
    assert reasons["unknown_trajectory"] == 2


def test_key_outside_windows_is_unlinked_without_key() -> None:
    row = single(ONE_ENDED, day(START, -200), key="t1")
    assert row["timepoint"] == "unlinked"
    assert row["trajectory_key"] is None


def test_several_in_intake_window() -> None:
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": day(START, -10)},  # before start, not closest
        {"client_key": "c1", "completed_at": day(START, 5)},  # closest: intake
        {"client_key": "c1", "completed_at": day(START, 20)},  # inside: interim
    )
    result = clean_tables({"trajectories": ONE_ENDED, "ssd12": table}, PARAMS)
    out = result.administrations.sort_values("source_row")
    assert out["timepoint"].tolist() == ["unlinked", "intake", "interim"]
    assert out["trajectory_key"].tolist() == [None, "t1", "t1"]
    reasons = result.linkage["instruments"]["ssd12"]["unlinked_reasons"]
    assert reasons["before_start_not_closest"] == 1


def test_several_in_end_window() -> None:
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": day(END, -20)},
        {"client_key": "c1", "completed_at": day(END, -3)},
        {"client_key": "c1", "completed_at": day(END, 10)},
    )
    out = clean_tables({"trajectories": ONE_ENDED, "ssd12": table}, PARAMS).administrations
    assert out.sort_values("source_row")["timepoint"].tolist() == ["interim", "end", "follow_up"]


def test_tie_goes_to_earlier_day() -> None:
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": day(START, 5)},
        {"client_key": "c1", "completed_at": day(START, -5)},
    )
    out = clean_tables({"trajectories": ONE_ENDED, "ssd12": table}, PARAMS).administrations
    assert out.sort_values("source_row")["timepoint"].tolist() == ["interim", "intake"]


def test_tie_on_same_day_goes_to_earlier_time_then_lowest_row() -> None:
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": day(START, 0, hour=15), "source_row": 2},
        {"client_key": "c1", "completed_at": day(START, 0, hour=9), "source_row": 3},
        {"client_key": "c1", "completed_at": day(END, 0, hour=9), "source_row": 7,
         "answers": {"ssd12_01": 2.0}},
        {"client_key": "c1", "completed_at": day(END, 0, hour=9), "source_row": 5},
    )  # fmt: skip
    out = clean_tables({"trajectories": ONE_ENDED, "ssd12": table}, PARAMS).administrations
    by_row = dict(zip(out["source_row"], out["timepoint"], strict=True))
    assert by_row == {2: "interim", 3: "intake", 5: "end", 7: "interim"}


def test_competition_is_per_instrument() -> None:
    ssd = admins("ssd12", {"client_key": "c1", "completed_at": day(START, 1)})
    phq = admins("phq15", {"client_key": "c1", "completed_at": day(START, 2)})
    out = clean_tables({"trajectories": ONE_ENDED, "ssd12": ssd, "phq15": phq}, PARAMS)
    assert out.administrations["timepoint"].tolist() == ["intake", "intake"]


def test_short_trajectory_end_follows_intake() -> None:
    # Windows overlap (trajectory of 19 days): intake first, then the end among later ones.
    traj = trajectories(
        {
            "client_key": "c1",
            "trajectory_key": "t1",
            "start_date": pd.Timestamp("2023-01-01"),
            "end_date": pd.Timestamp("2023-01-20"),
        }
    )
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": pd.Timestamp("2022-12-25")},
        {"client_key": "c1", "completed_at": pd.Timestamp("2023-01-10")},
        {"client_key": "c1", "completed_at": pd.Timestamp("2023-01-25")},
    )
    result = clean_tables({"trajectories": traj, "ssd12": table}, PARAMS)
    out = result.administrations.sort_values("source_row")
    assert out["timepoint"].tolist() == ["intake", "interim", "end"]
    assert result.trajectories["response_ssd12"].tolist() == ["completer"]


def test_short_trajectory_single_administration_is_intake() -> None:
    traj = trajectories(
        {
            "client_key": "c1",
            "trajectory_key": "t1",
            "start_date": pd.Timestamp("2023-01-01"),
            "end_date": pd.Timestamp("2023-01-20"),
        }
    )
    table = admins("ssd12", {"client_key": "c1", "completed_at": pd.Timestamp("2023-01-19")})
    result = clean_tables({"trajectories": traj, "ssd12": table}, PARAMS)
    assert result.administrations["timepoint"].tolist() == ["intake"]
    assert result.trajectories["response_ssd12"].tolist() == ["pre_only"]


def test_short_trajectory_same_instant_end_after_intake_in_row_order() -> None:
    traj = trajectories(
        {
            "client_key": "c1",
            "trajectory_key": "t1",
            "start_date": pd.Timestamp("2023-01-01"),
            "end_date": pd.Timestamp("2023-01-20"),
        }
    )
    at = pd.Timestamp("2023-01-10 12:00")
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": at, "source_row": 3, "answers": {"ssd12_01": 0.0}},
        {"client_key": "c1", "completed_at": at, "source_row": 2},
    )
    out = clean_tables({"trajectories": traj, "ssd12": table}, PARAMS).administrations
    assert dict(zip(out["source_row"], out["timepoint"], strict=True)) == {2: "intake", 3: "end"}


def test_linkage_counts_by_key_and_by_date() -> None:
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": day(START, 0), "trajectory_key": "t1"},
        {"client_key": "c1", "completed_at": day(START, 100)},
        {"client_key": "c1", "completed_at": day(START, 120)},
        {"client_key": "c1", "completed_at": day(START, -500)},
    )
    linkage = clean_tables({"trajectories": ONE_ENDED, "ssd12": table}, PARAMS).linkage
    ssd = linkage["instruments"]["ssd12"]
    assert (ssd["linked_by_id"], ssd["linked_by_date"], ssd["unlinked"]) == (1, 2, 1)
    assert ssd["timepoints"] == {
        "intake": 1,
        "interim": 2,
        "end": 0,
        "follow_up": 0,
        "unlinked": 1,
    }
    assert ssd["unlinked_reasons"]["outside_windows"] == 1
    assert linkage["instruments"]["cqi"]["administrations"] == 0
    assert linkage["total"]["administrations"] == 4
    assert linkage["trajectories"] == {"n": 1, "ended": 1, "ongoing": 0}


# ---------------------------------------------------------------------------------------------
# exact duplicates


def test_exact_duplicates_keep_lowest_source_row() -> None:
    at = day(START, 1)
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": at, "source_row": 5},
        {"client_key": "c1", "completed_at": at, "source_row": 2},
        {"client_key": "c1", "completed_at": at, "source_row": 9},
        {"client_key": "c1", "completed_at": at, "source_row": 4, "answers": {"ssd12_03": 2.0}},
        {"client_key": "c1", "completed_at": at, "source_row": 6, "trajectory_key": "t1"},
        {"client_key": "c1", "completed_at": day(START, 1, 11), "source_row": 7},
        {"client_key": "c2", "completed_at": at, "source_row": 8},
    )
    result = clean_tables({"trajectories": ONE_ENDED, "ssd12": table}, PARAMS)
    assert result.quarantine.to_dict("list") == {
        "table": ["ssd12", "ssd12"],
        "row": [5, 9],
        "client_key": ["c1", "c1"],
        "reason": ["exact duplicate of row 2", "exact duplicate of row 2"],
    }
    assert sorted(result.administrations["source_row"]) == [2, 4, 6, 7, 8]
    assert result.accounting == {"ssd12": 2, "trajectories": 0}
    assert result.linkage["instruments"]["ssd12"]["exact_duplicates"] == 2


def test_missing_answers_count_as_equal() -> None:
    nan = {"ssd12_01": np.nan, "ssd12_12": np.nan}
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": day(START, 1), "answers": nan},
        {"client_key": "c1", "completed_at": day(START, 1), "answers": nan},
        {"client_key": "c1", "completed_at": day(START, 1), "answers": {"ssd12_01": np.nan}},
    )
    kept, quarantine = find_exact_duplicates(table, "ssd12")
    assert kept["source_row"].tolist() == [2, 4]
    assert quarantine["reason"].tolist() == ["exact duplicate of row 2"]


# ---------------------------------------------------------------------------------------------
# trajectories: response status, age, treatment flags


def test_response_status_every_case() -> None:
    ends = pd.Timestamp("2023-12-01")
    traj = trajectories(
        *(
            {
                "client_key": f"c{i}",
                "trajectory_key": f"t{i}",
                "start_date": START,
                "end_date": ends,
            }
            for i in range(4)
        ),
        {"client_key": "c4", "trajectory_key": "t4", "start_date": START},
    )
    table = admins(
        "ssd12",
        {"client_key": "c0", "completed_at": day(START, 0)},
        {"client_key": "c0", "completed_at": day(ends, 0)},
        {"client_key": "c1", "completed_at": day(START, 0)},
        {"client_key": "c1", "completed_at": day(START, 100)},
        {"client_key": "c2", "completed_at": day(ends, 0)},
        {"client_key": "c3", "completed_at": day(START, 100)},
        {"client_key": "c4", "completed_at": day(START, 0)},
    )
    out = clean_tables({"trajectories": traj, "ssd12": table}, PARAMS).trajectories
    assert out["response_ssd12"].tolist() == [
        "completer",
        "pre_only",
        "post_only",
        "none",
        "ongoing",
    ]
    # An instrument the export lacks: none for ended, ongoing for ongoing trajectories.
    assert out["response_cqi"].tolist() == ["none"] * 4 + ["ongoing"]
    assert out["status"].tolist() == ["ended"] * 4 + ["ongoing"]
    assert [f"response_{name}" for name in INSTRUMENTS] == [
        c for c in out.columns if c.startswith("response_")
    ]


def test_age_at_start() -> None:
    traj = trajectories(
        {"client_key": "c1", "trajectory_key": "t1", "start_date": START, "birth_year": 1980},
        {"client_key": "c2", "trajectory_key": "t2", "start_date": START, "birth_year": None},
    )
    out = clean_tables({"trajectories": traj}, PARAMS).trajectories
    assert str(out["age_at_start"].dtype) == "Int64"
    assert out["age_at_start"].iloc[0] == 43
    assert pd.isna(out["age_at_start"].iloc[1])


def test_treatment_flags() -> None:
    traj = trajectories(
        {"client_key": "c1", "trajectory_key": "t1", "start_date": START, "treatments": "cbt|emdr"},
        {"client_key": "c2", "trajectory_key": "t2", "start_date": START, "treatments": ""},
        {"client_key": "c3", "trajectory_key": "t3", "start_date": START, "treatments": None},
        {
            "client_key": "c4",
            "trajectory_key": "t4",
            "start_date": START,
            "treatments": "act|body_mentalizing|ehealth",
        },
    )
    out = clean_tables({"trajectories": traj}, PARAMS).trajectories
    flags = [f"tx_{m}" for m in MODALITIES]
    assert all(str(out[f].dtype) == "Int8" for f in flags)
    first = out.loc[0, flags]
    assert {f for f in flags if first[f] == 1} == {"tx_cbt", "tx_emdr"}
    assert (out.loc[1, flags] == 0).all()
    assert out.loc[2, flags].isna().all()
    assert {f for f in flags if out.loc[3, f] == 1} == {
        "tx_act",
        "tx_body_mentalizing",
        "tx_ehealth",
    }


def test_trajectories_contract_and_order() -> None:
    traj = trajectories(
        {"client_key": "c2", "trajectory_key": "b", "start_date": START},
        {"client_key": "c1", "trajectory_key": "z", "start_date": END},
        {"client_key": "c1", "trajectory_key": "y", "start_date": START, "end_date": END},
        {"client_key": "c1", "trajectory_key": "a", "start_date": END},
    )
    out = clean_tables({"trajectories": traj}, PARAMS).trajectories
    assert out["trajectory_key"].tolist() == ["y", "a", "z", "b"]
    expected = [c for c in traj.columns if c != "source_row"]
    expected += ["status", "age_at_start", *(f"tx_{m}" for m in MODALITIES)]
    expected += [f"response_{name}" for name in INSTRUMENTS]
    assert list(out.columns) == expected


# ---------------------------------------------------------------------------------------------
# administrations contract


def test_administrations_contract_order_and_purity() -> None:
    traj = trajectories(
        {"client_key": "c1", "trajectory_key": "b", "start_date": START, "end_date": END},
        {"client_key": "c2", "trajectory_key": "a", "start_date": START},
    )
    ssd = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": day(START, 40)},
        {"client_key": "c1", "completed_at": day(START, 1)},
        {"client_key": "c2", "completed_at": day(START, 3)},
        {"client_key": "c9", "completed_at": day(START, 3)},
    )
    eq = admins(
        "eq5d3l",
        {"client_key": "c1", "completed_at": day(START, 2), "answers": {"eq5d_vas": 70.0}},
    )
    cqi = admins("cqi", {"client_key": "c2", "completed_at": day(START, 9)})
    tables = {"trajectories": traj, "ssd12": ssd, "eq5d3l": eq, "cqi": cqi}
    before = {name: frame.copy(deep=True) for name, frame in tables.items()}
    result = clean_tables(tables, PARAMS)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name])

    out = result.administrations
    assert list(out.columns) == [*ADMINISTRATION_COLUMNS, *all_item_columns()]
    assert out[["trajectory_key", "instrument", "source_row"]].values.tolist() == [
        ["a", "ssd12", 4],
        ["a", "cqi", 2],
        ["b", "ssd12", 3],
        ["b", "ssd12", 2],
        ["b", "eq5d3l", 2],
        [None, "ssd12", 5],
    ]
    assert str(out["days_from_start"].dtype) == "Int64"
    assert out["source_row"].dtype == np.int64
    assert out["completed_at"].dtype == np.dtype("datetime64[ns]")
    assert all(out[c].dtype == np.float32 for c in all_item_columns())
    eq_row = out[out["instrument"] == "eq5d3l"].iloc[0]
    assert eq_row["eq5d_vas"] == 70.0 and eq_row["eq5d3l_mo"] == 1.0
    assert np.isnan(eq_row["ssd12_01"])
    assert out.loc[out["instrument"] == "ssd12", "ssd12_01"].eq(1.0).all()


def test_no_questionnaire_tables() -> None:
    result = clean_tables({"trajectories": ONE_ENDED}, PARAMS)
    assert result.administrations.empty
    assert list(result.administrations.columns) == [*ADMINISTRATION_COLUMNS, *all_item_columns()]
    assert result.quarantine.empty
    assert result.trajectories["response_ssd12"].tolist() == ["none"]


def test_missing_trajectory_key_column_means_link_by_date() -> None:
    table = admins("ssd12", {"client_key": "c1", "completed_at": day(START, 0)})
    out = clean_tables(
        {"trajectories": ONE_ENDED, "ssd12": table.drop(columns="trajectory_key")}, PARAMS
    )
    assert out.administrations["timepoint"].tolist() == ["intake"]


# ---------------------------------------------------------------------------------------------
# contract errors and params


def test_contract_errors() -> None:
    table = admins("ssd12", {"client_key": "c1", "completed_at": day(START, 0)})
    with pytest.raises(PipelineError, match="trajectories"):
        clean_tables({"ssd12": table}, PARAMS)
    with pytest.raises(PipelineError, match="unexpected"):
        clean_tables({"trajectories": ONE_ENDED, "ssd99": table}, PARAMS)
    with pytest.raises(PipelineError, match="ssd12_07"):
        clean_tables({"trajectories": ONE_ENDED, "ssd12": table.drop(columns="ssd12_07")}, PARAMS)
    with pytest.raises(PipelineError, match="source_row"):
        clean_tables({"trajectories": ONE_ENDED, "ssd12": pd.concat([table, table])}, PARAMS)
    with pytest.raises(PipelineError, match="completed_at"):
        clean_tables(
            {"trajectories": ONE_ENDED, "ssd12": table.assign(completed_at=pd.NaT)}, PARAMS
        )
    with pytest.raises(PipelineError, match="trajectory_key"):
        twice = pd.concat([ONE_ENDED, ONE_ENDED.assign(source_row=9)])
        clean_tables({"trajectories": twice}, PARAMS)
    with pytest.raises(PipelineError, match="start_date"):
        clean_tables({"trajectories": ONE_ENDED.assign(start_date=pd.NaT)}, PARAMS)
    with pytest.raises(PipelineError, match="datetime"):
        clean_tables({"trajectories": ONE_ENDED.assign(end_date="2023-12-01")}, PARAMS)


def test_params_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("clean:\n  windows:\n    intake_before_days: 45\n", encoding="utf-8")
    params = load_params("clean", CleanParams, path)
    assert params.windows == WindowParams(intake_before_days=45)
    path.write_text("clean:\n  windows:\n    intake_befor_days: 45\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="unknown"):
        load_params("clean", CleanParams, path)
    with pytest.raises(ParamsError, match="follow_up_days"):
        WindowParams(follow_up_days=10)
    with pytest.raises(ParamsError, match=">= 0"):
        WindowParams(end_before_days=-1)


def test_project_params_load() -> None:
    assert load_params("clean", CleanParams) == CleanParams()


# ---------------------------------------------------------------------------------------------
# quarantine and accounting


def _result_with_duplicate() -> CleanResult:
    at = day(START, 0)
    table = admins(
        "ssd12",
        {"client_key": "c1", "completed_at": at, "source_row": 3},
        {"client_key": "c1", "completed_at": at, "source_row": 4},
    )
    return clean_tables({"trajectories": ONE_ENDED, "ssd12": table}, PARAMS)


def test_combine_quarantine_and_accounting() -> None:
    result = _result_with_duplicate()
    ingest_q = pd.DataFrame(
        {
            "table": ["ssd12", "trajectories"],
            "row": [5, 3],
            "client_key": ["", "c7"],
            "reason": ["item ssd12_07 out of range", "unknown sex"],
        }
    )
    quarantine = combine_quarantine(ingest_q, result.quarantine)
    assert quarantine[["table", "row"]].values.tolist() == [
        ["trajectories", 3],
        ["ssd12", 4],
        ["ssd12", 5],
    ]
    ingest_acc = {
        "ssd12": {"rows_read": 3, "rows_kept": 2, "rows_quarantined": 1},
        "trajectories": {"rows_read": 2, "rows_kept": 1, "rows_quarantined": 1},
    }
    assert combine_accounting(ingest_acc, result, quarantine) == {
        "ssd12": {"rows_read": 3, "rows_kept": 1, "rows_quarantined": 2},
        "trajectories": {"rows_read": 2, "rows_kept": 1, "rows_quarantined": 1},
    }
    wrong = {**ingest_acc, "ssd12": {"rows_read": 4, "rows_kept": 3, "rows_quarantined": 1}}
    with pytest.raises(PipelineError, match="ssd12"):
        combine_accounting(wrong, result, quarantine)
    unbalanced = {**ingest_acc, "ssd12": {"rows_read": 9, "rows_kept": 2, "rows_quarantined": 1}}
    with pytest.raises(PipelineError, match="does not balance"):
        combine_accounting(unbalanced, result, quarantine)
    with pytest.raises(PipelineError, match="trajectories"):
        combine_accounting({"ssd12": ingest_acc["ssd12"]}, result, quarantine)
