"""Shared fixtures.

``repro_project``: a copy of the project's source files (no data, no environment) as a fresh git
repository, with the whole pipeline reproduced by ``dvc repro`` on a small synthetic export. The
end-to-end, report and notebook tests share it, so the expensive run happens once per session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.config import ROOT

#: The environment's bin folder (dvc, python), put first on PATH for every subprocess.
BIN = Path(sys.executable).parent
#: Clients in the end-to-end export: small enough to be quick, large enough for every model.
E2E_CLIENTS = 400


def subprocess_env() -> dict[str, str]:
    """The test process's environment without the pseudonym key, with the environment's bin
    folder first on PATH and a git identity for the scratch repository."""
    env = {k: v for k, v in os.environ.items() if k != "ROM_PSEUDONYM_KEY"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        GIT_AUTHOR_NAME="e2e",
        GIT_AUTHOR_EMAIL="e2e@example.invalid",
        GIT_COMMITTER_NAME="e2e",
        GIT_COMMITTER_EMAIL="e2e@example.invalid",
        DVC_NO_ANALYTICS="1",
        MPLBACKEND="Agg",
    )
    return env


def stale_stages(status: dict[str, Any]) -> dict[str, Any]:
    """``dvc status --json`` less what is expected after a full run: a stage declared
    ``always_changed`` (``pseudonym_key``: the key lives outside DVC's sight, so its fingerprint
    is taken on every run) is reported as "always changed" and nothing else."""
    always = {
        name
        for name, stage in yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))[
            "stages"
        ].items()
        if stage.get("always_changed")
    }
    return {
        name: entries
        for name, entries in status.items()
        if not (name in always and entries == ["always changed"])
    }


def run_ok(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in ``cwd``; fail the test with its output when it exits non-zero."""
    result = subprocess.run(
        args, cwd=cwd, env=subprocess_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def set_params(project: Path, **blocks: dict[str, object]) -> None:
    """Update top-level blocks of ``project/params.yaml``."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    for block, values in blocks.items():
        params[block].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="session")
def repro_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project copied to a scratch git repository and reproduced with ``dvc repro``."""
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
        if src.is_file() and not rel.startswith(("data/", "reports/")) and rel != "dvc.lock":
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for rel in ("data/README.md",):
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    set_params(dest, synth={"clients": E2E_CLIENTS})
    run_ok(["git", "init", "-q"], dest)
    run_ok(["git", "add", "-A"], dest)
    run_ok(["git", "commit", "-qm", "copy"], dest)
    run_ok([str(BIN / "dvc"), "repro"], dest)
    return dest


@pytest.fixture(scope="session")
def light_prediction_outputs() -> dict[str, dict[str, Any]]:
    """Every prediction entry with light settings fitted on the local backend (the outputs as
    the fit stage writes them); shared by the equality tests."""
    from prediction_entries import fitted_outputs, light_entries, light_inputs

    inputs = light_inputs()
    return {name: fitted_outputs(name, entry, inputs) for name, entry in light_entries().items()}
