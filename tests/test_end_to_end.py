"""End to end: ``dvc repro`` in a temporary copy of the project on a small synthetic export.

Slow (every stage runs in subprocesses, some twice), so marked ``slow``; ``make test`` runs it.
The reproduced copy (``repro_project``, in ``conftest.py``) is shared with the report and
notebook tests.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import BIN, run_ok, set_params, stale_stages

pytestmark = pytest.mark.slow


def _accounting(project: Path) -> dict[str, dict[str, int]]:
    return json.loads((project / "data/processed/row_accounting.json").read_text("utf-8"))


def test_dvc_repro_builds_every_stage_and_is_then_up_to_date(repro_project: Path) -> None:
    project = repro_project
    accounting = _accounting(project)
    assert "trajectories" in accounting and "ssd12" in accounting
    for counts in accounting.values():
        assert counts["rows_read"] == counts["rows_kept"] + counts["rows_quarantined"]
    admin = pd.read_parquet(project / "data/interim/clean/administrations.parquet")
    trajectories = pd.read_parquet(project / "data/interim/clean/trajectories.parquet")
    assert len(trajectories) == accounting["trajectories"]["rows_kept"]
    kept_admin = sum(c["rows_kept"] for t, c in accounting.items() if t != "trajectories")
    assert len(admin) == kept_admin
    quarantine = pd.read_csv(project / "data/processed/quarantine.csv")
    assert list(quarantine.columns[:4]) == ["table", "row", "client_key", "reason"]
    assert len(quarantine) == sum(c["rows_quarantined"] for c in accounting.values())
    status = run_ok([str(BIN / "dvc"), "status", "--json"], project).stdout
    # Only the key fingerprint stage (always_changed: DVC cannot see the key) may be listed.
    assert stale_stages(json.loads(status or "{}")) == {}


def test_repro_is_byte_identical_on_a_secondrun_ok(repro_project: Path) -> None:
    project = repro_project
    outputs = ["data/processed/row_accounting.json", "data/processed/quarantine.csv"]
    before = {p: (project / p).read_bytes() for p in outputs}
    run_ok([str(BIN / "dvc"), "repro", "--force"], project)
    assert {p: (project / p).read_bytes() for p in outputs} == before


def test_pointing_export_dir_elsewhere_analyses_that_export(
    repro_project: Path, tmp_path: Path
) -> None:
    """In a copy of the reproduced project: set ``ingest.export_dir`` to another export and
    reproduce up to ``clean``; the row accounting is that export's (no code change)."""
    project = tmp_path / "project"
    shutil.copytree(repro_project, project, symlinks=True)
    other = tmp_path / "other_export"
    run_ok(
        [sys.executable, "-m", "pipeline", "synth", "--out", str(other), "--clients", "40",
         "--seed", "7", "--format", "xlsx"],
        project,
    )  # fmt: skip
    expected = run_ok([sys.executable, "-m", "pipeline", "validate", str(other)], project).stdout
    set_params(project, ingest={"export_dir": str(other)})
    run_ok([str(BIN / "dvc"), "repro", "clean"], project)
    accounting = _accounting(project)
    rows_read = accounting["trajectories"]["rows_read"]
    assert rows_read < 100  # 40 clients, not the 400 of the embedded export
    validated = next(line.split() for line in expected.splitlines() if line.startswith("traj"))
    assert int(validated[1]) == rows_read
