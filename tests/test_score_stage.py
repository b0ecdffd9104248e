"""The ``score`` stage on tiny hand-written clean tables (architecture.md contracts)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import ParamsError, PipelineError
from pipeline.instruments.catalogue import all_item_columns
from pipeline.instruments.outcomes import ID_COLUMNS, score_stage
from pipeline.instruments.params import OutcomeNorms, ScoreParams
from pipeline.instruments.registry import SCORE_COLUMNS, build_instruments
from pipeline.io import write_parquet
from pipeline.stages import score as stage

ITEMS = all_item_columns()


def _admin(instrument: str, client: str, trajectory: str | None, day: int, timepoint: str, row: int, **items: float) -> dict:  # fmt: skip
    out = {
        "instrument": instrument,
        "client_key": client,
        "trajectory_key": trajectory,
        "completed_at": pd.Timestamp("2024-01-01") + pd.Timedelta(days=day),
        "timepoint": timepoint,
        "days_from_start": day if trajectory is not None else None,
        "source_row": row,
    }
    out.update({c: np.nan for c in ITEMS})
    out.update(items)
    return out


def _ssd(value: float, missing: tuple[int, ...] = ()) -> dict[str, float]:
    return {f"ssd12_{i:02d}": (np.nan if i in missing else value) for i in range(1, 13)}


def _phq(value: float, missing: tuple[int, ...] = ()) -> dict[str, float]:
    return {f"phq15_{i:02d}": (np.nan if i in missing else value) for i in range(1, 16)}


def _eq(version: str, level: int, vas: float) -> dict[str, float]:
    out = {f"{version}_{d}": float(level) for d in ("mo", "sc", "ua", "pd", "ad")}
    out["eq5d_vas"] = vas
    return out


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [
        _admin("ssd12", "C1", "T1", 0, "intake", 2, **_ssd(3)),
        _admin("ssd12", "C1", "T1", 300, "end", 3, **_ssd(1)),
        _admin("phq15", "C1", "T1", 0, "intake", 2, **_phq(1)),
        _admin("phq15", "C1", "T1", 300, "end", 3, **_phq(0)),
        _admin("ssd12", "C2", "T2", 0, "intake", 4, **_ssd(2)),
        _admin("ssd12", "C2", "T2", 200, "end", 5, **_ssd(2, missing=(1, 4))),
        _admin("phq15", "C2", "T2", 0, "intake", 4, **_phq(1, missing=(4,))),
        _admin("phq15", "C2", None, 900, "unlinked", 5, **_phq(2, missing=(4,))),
        _admin("ssd12", "C3", "T3", 0, "intake", 6, **_ssd(2)),
        _admin("ssd12", "C3", "T3", 100, "interim", 7, **_ssd(1)),
        _admin(
            "ssd12",
            "C4",
            "T4",
            0,
            "intake",
            8,
            **{**_ssd(0), "ssd12_01": 4.0, "ssd12_02": 3.0, "ssd12_03": 3.0},
        ),  # fmt: skip
        _admin(
            "ssd12",
            "C4",
            "T4",
            250,
            "end",
            9,
            **{**_ssd(2), "ssd12_01": 0.0, "ssd12_02": 0.0, "ssd12_03": 0.0, "ssd12_04": 0.0},
        ),  # fmt: skip
        _admin("eq5d3l", "C4", "T4", 0, "intake", 2, **_eq("eq5d3l", 3, 40)),
        _admin("eq5d5l", "C4", "T4", 250, "end", 3, **_eq("eq5d5l", 1, 70)),
        _admin("cqi", "C4", "T4", 251, "end", 2, cqi_grade=8.0),
    ]
    admin = pd.DataFrame(rows)
    admin[list(ITEMS)] = admin[list(ITEMS)].astype("float32")
    admin["days_from_start"] = admin["days_from_start"].astype("Int64")
    trajectories = pd.DataFrame(
        {
            "client_key": ["C4", "C2", "C1", "C3"],
            "trajectory_key": ["T4", "T2", "T1", "T3"],
            "sex": ["x", "m", "f", "f"],
            "status": ["ended", "ended", "ended", "ongoing"],
            "comorbid_asd": pd.array([0, 1, 0, 1], dtype="Int8"),
            "response_ssd12": ["completer", "completer", "completer", "ongoing"],
        }
    )
    return admin, trajectories


def test_scores_one_row_per_administration_with_all_columns(tables) -> None:
    admin, traj = tables
    result = score_stage(admin, traj, ScoreParams(), build_instruments())
    scores = result.scores
    assert list(scores.columns) == [*ID_COLUMNS, *SCORE_COLUMNS]
    assert len(scores) == len(admin)
    assert scores["trajectory_key"].isna().tolist()[-1]  # unlinked row sorted last
    t1 = scores[(scores["trajectory_key"] == "T1") & (scores["instrument"] == "ssd12")]
    assert t1["ssd12_total"].tolist() == [36.0, 12.0]
    assert t1["eq5d5l_index"].isna().all()
    unlinked = scores[scores["timepoint"] == "unlinked"].iloc[0]
    assert unlinked["phq15_total"] == 28.0  # a man (sex taken from the client): item 4 n/a


def test_trajectory_outcomes_categories_and_response(tables) -> None:
    admin, traj = tables
    admin_before, traj_before = admin.copy(), traj.copy()
    out = score_stage(admin, traj, ScoreParams(), build_instruments()).trajectories
    pd.testing.assert_frame_equal(admin, admin_before)
    pd.testing.assert_frame_equal(traj, traj_before)
    assert out["trajectory_key"].tolist() == ["T1", "T2", "T3", "T4"]
    by = out.set_index("trajectory_key")
    assert by.loc["T1", "ssd12_total_intake"] == 36 and by.loc["T1", "ssd12_total_end"] == 12
    assert by.loc["T1", "ssd12_total_change"] == -24
    assert by.loc["T1", "ssd12_total_rci"] == pytest.approx(-24 / 4.1912, rel=1e-3)
    assert by.loc["T1", "ssd12_total_category"] == "recovered"
    assert by.loc["T4", "ssd12_total_intake"] == 10 and by.loc["T4", "ssd12_total_end"] == 16
    assert by.loc["T4", "ssd12_total_category"] == "unchanged"  # +6 < 8.21
    assert pd.isna(by.loc["T2", "ssd12_total_end"])  # 2 cognitive items missing at end
    assert pd.isna(by.loc["T2", "ssd12_total_category"])
    assert by.loc["T2", "response_ssd12"] == "pre_only"  # present at end, but not valid
    assert by.loc["T1", "response_ssd12"] == "completer"
    assert by.loc["T3", "response_ssd12"] == "ongoing"
    assert by.loc["T4", "response_cqi"] == "post_only"
    assert by.loc["T1", "response_rand36"] == "none"
    # EQ VAS: intake from the 3L administration, end from the 5L one
    assert by.loc["T4", "eq5d_vas_intake"] == 40 and by.loc["T4", "eq5d_vas_end"] == 70
    assert by.loc["T4", "eq5d3l_index_intake"] == pytest.approx(-0.329)
    assert by.loc["T2", "phq15_total_intake"] == 14.0  # man: 14 applicable items
    for name in ("ssd12_total", "eq5d5l_index", "eq5d_vas", "phq15_total", "rand36_pf"):
        for suffix in ("intake", "end", "change", "rci", "category"):
            assert f"{name}_{suffix}" in out.columns
    assert str(out["ssd12_total_category"].dtype) == "string"
    assert out["comorbid_asd"].tolist() == [0, 1, 1, 0]


def test_centre_psychometrics_are_reported_and_used_only_when_asked(tables) -> None:
    admin, traj = tables
    few = score_stage(admin, traj, ScoreParams(), build_instruments())
    psy = few.psychometrics["outcomes"]["ssd12_total"]
    assert psy["defaults"]["sd_pre"] == 11.2 and psy["used"]["sd_pre_from"] == "params"
    assert psy["centre_intake"]["n"] == 4
    assert psy["used"]["cutoff_value"] == pytest.approx(14.45, abs=5e-3)
    assert psy["used"]["reliable_change"] == pytest.approx(8.21, abs=5e-3)
    cognitive = few.psychometrics["outcomes"]["ssd12_cognitive"]
    assert cognitive["used"]["s_diff"] is None  # 4 intakes < centre_min_n: no RCI
    assert few.trajectories["ssd12_cognitive_rci"].isna().all()
    json.dumps(few.psychometrics, allow_nan=False)

    params = ScoreParams(centre_min_n=3, use_centre_psychometrics=True)
    used = score_stage(admin, traj, params, build_instruments(params)).psychometrics
    total = used["outcomes"]["ssd12_total"]
    assert total["used"]["sd_pre_from"] == "centre"
    assert total["used"]["sd_pre"] == pytest.approx(np.std([36, 24, 24, 10], ddof=1), abs=1e-6)
    assert total["used"]["m_clin_from"] == "params"
    vas = used["outcomes"]["eq5d_vas"]
    assert vas["centre_intake"]["alpha"] is None  # single item
    assert vas["used"]["reliability_from"] == "params"


def test_unknown_outcome_and_missing_functional_norms_are_params_errors(tables) -> None:
    admin, traj = tables
    bad = ScoreParams(outcomes={**ScoreParams().outcomes, "ssd12_totaal": OutcomeNorms()})
    with pytest.raises(ParamsError, match="ssd12_totaal"):
        score_stage(admin, traj, bad, build_instruments())
    no_func = ScoreParams(
        outcomes={**ScoreParams().outcomes, "phq15_total": OutcomeNorms(cutoff="c")}
    )
    with pytest.raises(ParamsError, match="m_func"):
        score_stage(admin, traj, no_func, build_instruments())


def test_an_invalid_item_value_is_a_contract_breach(tables) -> None:
    admin, traj = tables
    admin = admin.copy()
    admin.loc[0, "ssd12_07"] = 7.0
    with pytest.raises(PipelineError, match=r"ssd12_07 \(1\)"):
        score_stage(admin, traj, ScoreParams(), build_instruments())


def test_two_intakes_of_one_instrument_are_a_contract_breach(tables) -> None:
    admin, traj = tables
    admin = pd.concat([admin, admin.iloc[[0]]], ignore_index=True)
    with pytest.raises(PipelineError, match="more than one ssd12"):
        score_stage(admin, traj, ScoreParams(), build_instruments())


def test_run_writes_three_outputs_byte_identically(tables, tmp_path: Path) -> None:
    admin, traj = tables
    clean = tmp_path / "clean"
    write_parquet(admin, clean / "administrations.parquet")
    write_parquet(traj, clean / "trajectories.parquet")
    outputs = []
    for attempt in ("a", "b"):
        processed, metrics = tmp_path / attempt / "processed", tmp_path / attempt / "metrics"
        stage.run(ScoreParams(), clean_dir=clean, processed_dir=processed, metrics_dir=metrics)
        outputs.append(
            [
                (processed / "scores.parquet").read_bytes(),
                (processed / "trajectories.parquet").read_bytes(),
                (metrics / "psychometrics.json").read_bytes(),
            ]
        )
    assert outputs[0] == outputs[1]
    with pytest.raises(PipelineError, match="run the clean stage first"):
        stage.run(
            ScoreParams(),
            clean_dir=tmp_path / "nowhere",
            processed_dir=tmp_path,
            metrics_dir=tmp_path,
        )


def test_score_params_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ScoreParams().rci_critical = 2.0  # type: ignore[misc]


def test_outputs_do_not_depend_on_input_row_order(tables) -> None:
    admin, traj = tables
    first = score_stage(admin, traj, ScoreParams(), build_instruments())
    shuffled = score_stage(
        admin.sample(frac=1.0, random_state=3),
        traj.sample(frac=1.0, random_state=4),
        ScoreParams(),
        build_instruments(),
    )
    pd.testing.assert_frame_equal(first.scores, shuffled.scores)
    pd.testing.assert_frame_equal(first.trajectories, shuffled.trajectories)
    assert first.psychometrics == shuffled.psychometrics
