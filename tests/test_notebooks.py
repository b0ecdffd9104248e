"""Every exploratory notebook (jupytext percent ``.py``) runs top to bottom on the stage outputs.

Executed as plain Python scripts in a subprocess (jupytext/nbclient are not dependencies).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import config

NOTEBOOKS = sorted((config.ROOT / "notebooks").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(notebook: Path, repro_project: Path) -> None:
    """Each notebook runs top to bottom in the reproduced project copy (its stage outputs)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(repro_project)}
    done = subprocess.run(
        [sys.executable, str(repro_project / "notebooks" / notebook.name)],
        cwd=repro_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 2
