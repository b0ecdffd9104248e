"""Every exploratory notebook (jupytext percent ``.py``) runs top to bottom on the stage outputs.

Executed as plain Python scripts in a subprocess, in the project copy reproduced by ``dvc repro``
(no Jupyter kernel needed); jupytext checks that each file is a valid percent-format notebook
that pairs with an ``.ipynb``.
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


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_a_paired_percent_notebook(notebook: Path) -> None:
    import jupytext

    nb = jupytext.read(notebook)
    kinds = {cell.cell_type for cell in nb.cells}
    assert {"markdown", "code"} <= kinds
    assert "ipynb" in nb.metadata["jupytext"]["formats"]
    # The paired .ipynb jupytext would write holds the same cells.
    paired = jupytext.reads(jupytext.writes(nb, fmt="ipynb"), fmt="ipynb")
    assert [c.source for c in paired.cells] == [c.source for c in nb.cells]
