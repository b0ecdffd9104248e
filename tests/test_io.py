"""Atomic, deterministic writers: no partial output on failure, ordinary file modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from pipeline.io import atomic_dir, read_json, write_csv, write_json, write_parquet


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "x.json"
    with pytest.raises(ValueError):
        write_json({"a": float("nan")}, target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_failed_directory_write_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new", encoding="utf-8")
        raise RuntimeError("boom")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["dir"]


def test_outputs_get_ordinary_modes(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_json({"b": 1, "a": [1, 2]}, tmp_path / "m.json")
        write_parquet(pd.DataFrame({"x": [1, 2]}), tmp_path / "t.parquet")
        with atomic_dir(tmp_path / "d") as tmp:
            write_csv(pd.DataFrame({"x": [1]}), tmp / "c.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "t.parquet").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "d" / "c.csv").stat().st_mode) == 0o644


def test_json_is_deterministic_and_sorted(tmp_path: Path) -> None:
    write_json({"b": 1, "a": 2}, tmp_path / "1.json")
    write_json({"a": 2, "b": 1}, tmp_path / "2.json")
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()
    assert (tmp_path / "1.json").read_text(encoding="utf-8").startswith('{\n  "a": 2')
    assert read_json(tmp_path / "1.json") == {"a": 2, "b": 1}
