"""End to end: the planted autism x time effect of the synthetic export is recovered.

The synthetic export of params.yaml's ``synth`` block (its latent SSD-12 follows a linear mixed
model with ``synth.effects.ssd12.time_by.comorbid_asd`` points a year slower improvement) runs
through ingest, clean and score in a temporary folder; the ``ssd12_mixed`` entry of
``models:`` is then fitted as the fit stage does. Observed SSD-12 totals are sums of integer
items of the latent score, so the check is that the truth lies inside the 95% CI.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.config import load_params, read_params_file
from pipeline.stages import fit as fit_stage

pytestmark = pytest.mark.slow


def test_planted_autism_by_time_effect_is_recovered_from_the_synthetic_export(
    tmp_path: Path,
) -> None:
    synth = pytest.importorskip("pipeline.synth")
    clean_module = pytest.importorskip("pipeline.clean")
    ingest_module = pytest.importorskip("pipeline.ingest")
    from pipeline.stages import clean, ingest, score
    from pipeline.stages import synth as synth_stage

    synth_params = load_params("synth", synth.SynthParams)
    truth = synth_params.effects.ssd12.time_by["comorbid_asd"]
    synth_stage.write_synthetic_export(synth_params, tmp_path / "export")
    ingest_params = dataclasses.replace(
        load_params("ingest", ingest_module.IngestParams), export_dir=tmp_path / "export"
    )
    ingest.run(ingest_params, out_dir=tmp_path / "ingested")
    for folder in ("processed", "metrics"):
        (tmp_path / folder).mkdir()
    clean.run(
        load_params("clean", clean_module.CleanParams),
        ingested_dir=tmp_path / "ingested",
        clean_dir=tmp_path / "clean",
        processed_dir=tmp_path / "processed",
        metrics_dir=tmp_path / "metrics",
    )
    score.run(
        score.load_score_params(),
        clean_dir=tmp_path / "clean",
        processed_dir=tmp_path / "processed",
        metrics_dir=tmp_path / "metrics",
    )
    params = read_params_file()
    inputs = fit_stage.read_inputs(tmp_path / "processed", params["fit"]["seed"])
    result = fit_stage.fit_entry("ssd12_mixed", params["models"]["ssd12_mixed"], inputs)
    assert result.metrics["converged"] is True
    coefficients = result.coefficients
    row = coefficients[coefficients["term"] == "years:comorbid_asd"].iloc[0]
    low, high = float(row["ci_low"]), float(row["ci_high"])
    assert low <= truth <= high
    assert low > 0.0  # the slower improvement is detected
    lrt = result.metrics["likelihood_ratio_tests"]["comorbidity_x_time"]
    assert lrt["df"] == 8
    assert lrt["p_value"] < 0.001
