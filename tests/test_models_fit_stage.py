"""The ``fit`` stage on processed tables built in a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline import cli, config
from pipeline.errors import ParamsError, PipelineError
from pipeline.models._simulate import simulate_inputs
from pipeline.stages import fit as stage

ENTRY = {
    "model": "mixed_lm",
    "family": "mixed",
    "formula": "ssd12_total ~ years * (comorbid_asd + comorbid_ptsd) + age_at_start + sex",
    "re_formula": "~years",
    "instrument": "ssd12",
    "lrt_blocks": {"comorbidity_x_time": ["years:comorbid_*"]},
}


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    inputs = simulate_inputs(120, seed=5)
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    inputs.scores.to_parquet(processed / "scores.parquet", index=False)
    inputs.trajectories.to_parquet(processed / "trajectories.parquet", index=False)
    params = {"fit": {"seed": 1}, "models": {"ssd12_small": ENTRY}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    monkeypatch.setattr(config, "PARAMS_PATH", tmp_path / "params.yaml")
    monkeypatch.setattr(config, "PROCESSED", processed)
    monkeypatch.setattr(config, "MODELS", tmp_path / "data" / "models")
    return tmp_path


def test_stage_writes_the_promised_files(project: Path) -> None:
    stage.main(["ssd12_small"])
    folder = project / "data" / "models" / "ssd12_small"
    assert sorted(p.name for p in folder.iterdir()) == [
        "coefficients.csv",
        "fixed_effects_covariance.csv",
        "metrics.json",
    ]
    coefficients = pd.read_csv(folder / "coefficients.csv")
    covariance = pd.read_csv(folder / "fixed_effects_covariance.csv")
    fixed = coefficients[~coefficients["term"].str.contains(r"^(?:var|cov)\(")]
    assert list(covariance["term"]) == list(fixed["term"])
    assert list(coefficients.columns) == [
        "term",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
        "p_value",
    ]
    assert {"years:comorbid_asd", "var(Intercept)", "cov(Intercept,years)", "var(residual)"} <= set(
        coefficients["term"]
    )
    variance = coefficients[coefficients["term"].str.startswith(("var(", "cov("))]
    # Variance components carry a delta-method SE and a CI (profile for variances).
    assert (variance["std_error"] > 0).all()
    assert (variance["ci_low"] < variance["ci_high"]).all()
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["name"] == "ssd12_small"
    assert metrics["model"] == "mixed_lm"
    assert metrics["family"] == "mixed"
    assert metrics["converged"] is True
    assert metrics["usable"] is True
    assert isinstance(metrics["warnings"], list)
    assert metrics["n_trajectories"] > 50
    assert metrics["n_measurements"] > metrics["n_trajectories"]
    assert 0.0 < metrics["icc"]["value"] < 1.0
    assert "cor(Intercept,years)" in metrics["random_effects_correlation"]
    lrt = metrics["likelihood_ratio_tests"]["comorbidity_x_time"]
    assert lrt["df"] == 2
    assert lrt["terms"] == ["years:comorbid_asd", "years:comorbid_ptsd"]
    assert metrics["analysis_set"]["measurements_analysed"] == metrics["n_measurements"]


def test_stage_output_is_byte_identical_on_rerun(project: Path) -> None:
    folder = project / "data" / "models" / "ssd12_small"
    stage.main(["ssd12_small"])
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    stage.main(["ssd12_small"])
    second = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert first == second
    text = first["metrics.json"].decode()
    assert str(project) not in text


def test_unknown_entry_is_a_params_error(project: Path) -> None:
    with pytest.raises(
        ParamsError, match="'models' has no entry 'nope' \\(entries: ssd12_small\\)"
    ):
        stage.main(["nope"])


def test_missing_processed_tables_are_a_pipeline_error(project: Path) -> None:
    (project / "data" / "processed" / "scores.parquet").unlink()
    with pytest.raises(PipelineError, match="scores.parquet not found"):
        stage.main(["ssd12_small"])
    assert not (project / "data" / "models" / "ssd12_small").exists()


def test_model_errors_name_the_entry(project: Path) -> None:
    params = {
        "fit": {"seed": 1},
        "models": {"broken": {**ENTRY, "formula": "ssd12_total ~ years + no_such_column"}},
    }
    (project / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    with pytest.raises(PipelineError, match="^models.broken: formula cannot be built"):
        stage.main(["broken"])


def test_cli_runs_the_stage_and_prints_one_line_errors(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["stage", "fit", "ssd12_small"]) == 0
    assert (project / "data" / "models" / "ssd12_small" / "metrics.json").exists()
    assert cli.main(["stage", "fit", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: params.yaml 'models' has no entry 'nope'")
    assert err.count("\n") == 1


def test_format_and_rounding_are_fixed() -> None:
    frame = pd.DataFrame(
        {
            "term": ["a"],
            "estimate": [1 / 3],
            "std_error": [float("nan")],
            "ci_low": [1e-12],
            "ci_high": [123456789.123],
            "p_value": [0.05],
        }
    )
    text = stage.format_coefficients(frame).iloc[0].tolist()
    assert text == ["a", "0.3333333333", "", "1e-12", "123456789.1", "0.05"]
    assert stage.round_metrics({"x": [2 / 3, True, 3]}) == {"x": [0.6666666667, True, 3]}
