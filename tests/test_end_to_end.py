"""End to end: ``dvc repro`` in a temporary copy of the project on a small synthetic export.

Slow (it runs every stage twice in subprocesses), so marked ``slow``; ``make test`` runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.config import ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ROM_PSEUDONYM_KEY"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        GIT_AUTHOR_NAME="e2e",
        GIT_AUTHOR_EMAIL="e2e@example.invalid",
        GIT_COMMITTER_NAME="e2e",
        GIT_COMMITTER_EMAIL="e2e@example.invalid",
        DVC_NO_ANALYTICS="1",
    )
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _set_params(project: Path, **blocks: dict[str, object]) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    for block, values in blocks.items():
        params[block].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's source files (no data, no environment), as a fresh git repo."""
    dest = tmp_path_factory.mktemp("e2e") / "project"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    _set_params(dest, synth={"clients": 150})
    _run(["git", "init", "-q"], dest)
    _run(["git", "add", "-A"], dest)
    _run(["git", "commit", "-qm", "copy"], dest)
    return dest


def _accounting(project: Path) -> dict[str, dict[str, int]]:
    return json.loads((project / "data/processed/row_accounting.json").read_text("utf-8"))


def test_dvc_repro_builds_every_stage_and_is_then_up_to_date(project: Path) -> None:
    _run([str(BIN / "dvc"), "repro"], project)
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
    status = _run([str(BIN / "dvc"), "status"], project).stdout
    assert "up to date" in status.lower()


def test_repro_is_byte_identical_on_a_second_run(project: Path) -> None:
    outputs = ["data/processed/row_accounting.json", "data/processed/quarantine.csv"]
    before = {p: (project / p).read_bytes() for p in outputs}
    _run([str(BIN / "dvc"), "repro", "--force"], project)
    assert {p: (project / p).read_bytes() for p in outputs} == before


def test_pointing_export_dir_elsewhere_analyses_that_export(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other_export"
    _run(
        [sys.executable, "-m", "pipeline", "synth", "--out", str(other), "--clients", "40",
         "--seed", "7", "--format", "xlsx"],
        project,
    )  # fmt: skip
    expected = _run([sys.executable, "-m", "pipeline", "validate", str(other)], project).stdout
    _set_params(project, ingest={"export_dir": str(other)})
    _run([str(BIN / "dvc"), "repro"], project)
    accounting = _accounting(project)
    rows_read = accounting["trajectories"]["rows_read"]
    assert rows_read < 100  # 40 clients, not the 150 of the embedded export
    assert str(rows_read) in expected
