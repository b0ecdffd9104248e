"""Every exploratory notebook (jupytext percent ``.py``) runs top to bottom on the stage outputs.

Each is converted to a notebook and executed cell by cell by a Jupyter kernel of the project's
environment (nbclient + ipykernel, as `make notebook` opens them in JupyterLab), in the project
copy reproduced by ``dvc repro``; jupytext checks that each file is a valid percent-format
notebook that pairs with an ``.ipynb``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pipeline import config

NOTEBOOKS = sorted((config.ROOT / "notebooks").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(notebook: Path, repro_project: Path) -> None:
    """Each notebook runs top to bottom in a Jupyter kernel in the reproduced project copy."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(repro_project / "notebooks" / notebook.name)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(repro_project)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(repro_project)}},
    )
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors


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
