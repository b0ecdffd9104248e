"""``fit.backend``: the prediction refits on a Dask cluster give the same bytes as locally.

Every prediction entry of params.yaml (light validation settings, ``tests/prediction_entries.py``)
plus one optimism-bootstrap entry is fitted with the local backend (the entry's ``n_jobs``
loky workers) and on a two-worker ``dask.distributed.LocalCluster`` through joblib's Dask
backend; metrics, coefficients and every table must be equal as written. The fit stage reads
``fit.backend`` / ``fit.dask_scheduler`` like every param: an unknown backend is a one-line
error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from prediction_entries import fitted_outputs, light_entries, light_inputs

from pipeline import cli, config
from pipeline.errors import ParamsError, PipelineError
from pipeline.models import parallel
from pipeline.stages import fit as stage

ENTRIES = light_entries()


@pytest.fixture(scope="module")
def dask_outputs() -> dict[str, dict[str, Any]]:
    inputs = light_inputs()
    with parallel.use_backend("dask", None, workers=2):
        assert parallel.current_backend() == "dask"
        return {name: fitted_outputs(name, entry, inputs) for name, entry in ENTRIES.items()}


def test_every_prediction_entry_is_covered() -> None:
    models = config.read_params_file()["models"]
    prediction = {k for k, v in models.items() if v.get("family") == "prediction"}
    assert prediction and prediction <= set(ENTRIES)
    assert any(entry["validation"] == "bootstrap" for entry in ENTRIES.values())


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_dask_backend_equals_local(
    name: str,
    light_prediction_outputs: dict[str, dict[str, Any]],
    dask_outputs: dict[str, dict[str, Any]],
) -> None:
    local, remote = light_prediction_outputs[name], dask_outputs[name]
    assert local["metrics"]["estimable"] is True
    assert remote["metrics"] == local["metrics"]
    assert remote["coefficients"] == local["coefficients"]
    assert remote["tables"] == local["tables"]


def test_backend_is_reset_after_the_block() -> None:
    assert parallel.current_backend() == "local"
    with pytest.raises(PipelineError, match="unknown parallel backend"):
        with parallel.use_backend("spark"):  # type: ignore[arg-type]
            pass
    assert parallel.current_backend() == "local"


def test_fit_params_are_validated() -> None:
    built = config.build_params(stage.FitParams, {"seed": 1}, "fit")
    assert (built.backend, built.dask_scheduler) == ("local", None)
    built = config.build_params(
        stage.FitParams, {"seed": 1, "backend": "dask", "dask_scheduler": "tcp://h:8786"}, "fit"
    )
    assert (built.backend, built.dask_scheduler) == ("dask", "tcp://h:8786")
    with pytest.raises(ParamsError, match="^params.yaml 'fit.backend' must be one of"):
        config.build_params(stage.FitParams, {"seed": 1, "backend": "spark"}, "fit")
    with pytest.raises(ParamsError, match="unknown key"):
        config.build_params(stage.FitParams, {"seed": 1, "scheduler": "x"}, "fit")


def test_stage_runs_on_a_local_dask_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = light_inputs()
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    inputs.scores.to_parquet(processed / "scores.parquet", index=False)
    inputs.trajectories.to_parquet(processed / "trajectories.parquet", index=False)
    entry = ENTRIES["ssd12_change_ridge"]
    params: dict[str, Any] = {
        "fit": {"seed": 20261123, "backend": "dask", "dask_scheduler": None},
        "models": {"ridge": entry},
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    monkeypatch.setattr(config, "PARAMS_PATH", tmp_path / "params.yaml")
    monkeypatch.setattr(config, "PROCESSED", processed)
    monkeypatch.setattr(config, "MODELS", tmp_path / "data" / "models")
    seen: list[str] = []
    real = parallel.run_tasks

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(parallel.current_backend())
        return real(*args, **kwargs)

    monkeypatch.setattr(parallel, "run_tasks", spy)
    assert cli.main(["stage", "fit", "ridge"]) == 0
    assert seen and set(seen) == {"dask"}
    written = (tmp_path / "data" / "models" / "ridge" / "metrics.json").read_text("utf-8")
    expected = fitted_outputs("ridge", entry, inputs)["metrics"]
    assert yaml.safe_load(written)["performance"] == expected["performance"]
    params["fit"]["backend"] = "spark"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["stage", "fit", "ridge"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: params.yaml 'fit.backend' must be one of")
    assert err.count("\n") == 1
