"""The clean stage on a tiny ingested folder in a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.clean import CleanParams
from pipeline.errors import PipelineError
from pipeline.instruments.catalogue import item_columns
from pipeline.stages import clean as stage


def _ingested(folder: Path, accounting: dict[str, dict[str, int]] | None = None) -> None:
    folder.mkdir(parents=True)
    trajectories = pd.DataFrame(
        {
            "source_row": [2, 3],
            "client_key": ["c2", "c1"],
            "trajectory_key": ["t2", "t1"],
            "birth_year": pd.array([1990, 1980], dtype="Int64"),
            "start_date": pd.to_datetime(["2023-02-01", "2023-01-01"]),
            "end_date": pd.to_datetime([None, "2023-09-01"]),
            "treatments": ["", "cbt|pmt"],
        }
    )
    trajectories.to_parquet(folder / "trajectories.parquet", index=False)
    at = pd.to_datetime(["2023-01-02", "2023-01-02", "2023-09-01", "2023-02-01", "2020-01-01"])
    cqi = pd.DataFrame(
        {
            "source_row": [2, 3, 4, 6, 7],
            "client_key": ["c1", "c1", "c1", "c2", "c2"],
            "trajectory_key": pd.Series([None] * 5, dtype=object),
            "completed_at": at,
            "cqi_grade": pd.array([8, 8, 9, 7, 6], dtype="float32"),
        }
    )
    cqi.to_parquet(folder / "cqi.parquet", index=False)
    ssd = pd.DataFrame(
        {
            "source_row": [2],
            "client_key": ["c1"],
            "trajectory_key": ["t1"],
            "completed_at": pd.to_datetime(["2023-01-05 14:30"]),
            **{item: pd.array([2.0], dtype="float32") for item in item_columns("ssd12")},
        }
    )
    ssd.to_parquet(folder / "ssd12.parquet", index=False)
    pd.DataFrame(
        {
            "table": ["trajectories", "ssd12", "cqi"],
            "row": [4, 1, 5],
            "client_key": ["c9", "", ""],
            "reason": ["end_date before start_date", "no client_id", "no client_id"],
        }
    ).to_csv(folder / "quarantine.csv", index=False)
    accounting = accounting or {
        "trajectories": {
            "rows_read": 3,
            "rows_kept": 2,
            "rows_quarantined": 1,
            "ignored_columns": ["remark"],
        },
        "ssd12": {"rows_read": 2, "rows_kept": 1, "rows_quarantined": 1, "ignored_columns": []},
        "cqi": {"rows_read": 6, "rows_kept": 5, "rows_quarantined": 1, "ignored_columns": []},
    }
    (folder / "accounting.json").write_text(json.dumps(accounting), encoding="utf-8")


def _run(root: Path) -> None:
    stage.run(
        CleanParams(),
        ingested_dir=root / "data/interim/ingested",
        clean_dir=root / "data/interim/clean",
        processed_dir=root / "data/processed",
        metrics_dir=root / "reports/metrics",
    )


OUTPUTS = (
    "data/interim/clean/administrations.parquet",
    "data/interim/clean/trajectories.parquet",
    "data/processed/quarantine.csv",
    "data/processed/row_accounting.json",
    "reports/metrics/linkage.json",
)


def test_stage_writes_balanced_deterministic_outputs(tmp_path: Path) -> None:
    _ingested(tmp_path / "data/interim/ingested")
    _run(tmp_path)
    first = {name: (tmp_path / name).read_bytes() for name in OUTPUTS}
    _run(tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in OUTPUTS} == first

    quarantine = pd.read_csv(tmp_path / OUTPUTS[2], keep_default_na=False)
    assert quarantine.values.tolist() == [
        ["trajectories", 4, "c9", "end_date before start_date"],
        ["ssd12", 1, "", "no client_id"],
        ["cqi", 3, "c1", "exact duplicate of row 2"],
        ["cqi", 5, "", "no client_id"],
    ]
    accounting = json.loads((tmp_path / OUTPUTS[3]).read_text(encoding="utf-8"))
    assert accounting == {
        "cqi": {"rows_quarantined": 2, "rows_kept": 4, "rows_read": 6},
        "ssd12": {"rows_quarantined": 1, "rows_kept": 1, "rows_read": 2},
        "trajectories": {"rows_quarantined": 1, "rows_kept": 2, "rows_read": 3},
    }
    adm = pd.read_parquet(tmp_path / OUTPUTS[0])
    assert adm[["trajectory_key", "instrument", "source_row", "timepoint"]].values.tolist() == [
        ["t1", "ssd12", 2, "intake"],
        ["t1", "cqi", 2, "intake"],
        ["t1", "cqi", 4, "end"],
        ["t2", "cqi", 6, "intake"],
        [None, "cqi", 7, "unlinked"],
    ]
    traj = pd.read_parquet(tmp_path / OUTPUTS[1])
    assert traj["trajectory_key"].tolist() == ["t1", "t2"]
    assert traj["response_cqi"].tolist() == ["completer", "ongoing"]
    assert traj["response_ssd12"].tolist() == ["pre_only", "ongoing"]
    linkage = json.loads((tmp_path / OUTPUTS[4]).read_text(encoding="utf-8"))
    assert linkage["instruments"]["cqi"]["exact_duplicates"] == 1
    assert linkage["total"]["linked_by_id"] == 1


def test_stage_refuses_unbalanced_accounting_and_writes_nothing(tmp_path: Path) -> None:
    _ingested(
        tmp_path / "data/interim/ingested",
        {
            "trajectories": {"rows_read": 3, "rows_kept": 2, "rows_quarantined": 1},
            "cqi": {"rows_read": 7, "rows_kept": 6, "rows_quarantined": 1},
            "ssd12": {"rows_read": 2, "rows_kept": 1, "rows_quarantined": 1},
        },
    )
    with pytest.raises(PipelineError, match="cqi"):
        _run(tmp_path)
    assert not any((tmp_path / name).exists() for name in OUTPUTS)


def test_stage_without_ingested_folder(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="ingest"):
        _run(tmp_path)
