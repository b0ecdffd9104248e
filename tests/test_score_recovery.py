"""Parameter recovery: synth -> ingest -> clean -> score on a small synthetic export.

The generator plants a slower SSD-12 improvement for clients with autism (``synth.effects.
ssd12.time_by.comorbid_asd``) and keeps the latent truth. The truth here is the mean change of
the latent SSD-12 total between the intake and end occasions at which the SSD-12 was completed,
per autism status; the pipeline's estimate is the mean ``ssd12_total_change`` of the scored
trajectories. The scored total is the latent total rounded (the generator makes the items sum
to it), prorated when items are missing, so the two agree up to rounding and the few
trajectories whose end total could not be scored.

Stated tolerance: 0.75 points per group, 1.0 point for the autism contrast (the SSD-12 reliable
change is 8.2 points).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.clean import CleanParams, clean_tables
from pipeline.config import load_params
from pipeline.ingest import IngestParams, ingest_tables
from pipeline.ingest.pseudonym import DEMO_KEY
from pipeline.instruments.outcomes import score_stage
from pipeline.instruments.params import ScoreParams
from pipeline.instruments.registry import build_instruments
from pipeline.io.export_readers import read_export
from pipeline.io.export_writers import write_export
from pipeline.synth import SynthParams, generate, simulate
from pipeline.synth.params import TIMEPOINTS

CLIENTS = 600
GROUP_TOLERANCE = 0.75
CONTRAST_TOLERANCE = 1.0


def _true_changes(params: SynthParams) -> pd.Series:
    """Mean latent SSD-12 change (end - intake occasion, SSD-12 completed at both) per ASD."""
    cohort = simulate(params)
    rows, _ = cohort.items["ssd12"]
    done = cohort.occasions.iloc[rows]
    timepoint = np.asarray(TIMEPOINTS)[done["timepoint"].to_numpy()]
    intake = done[timepoint == "intake"].groupby("trajectory")["ssd12_latent"].first()
    end = done[timepoint == "end"].groupby("trajectory")["ssd12_latent"].first()
    both = intake.index.intersection(end.index)
    asd = cohort.trajectories["comorbid_asd"].to_numpy()[both]
    return pd.Series((end[both] - intake[both]).to_numpy()).groupby(asd).mean()


def test_mean_ssd12_change_by_autism_recovers_the_generator_truth(tmp_path: Path) -> None:
    params = dataclasses.replace(load_params("synth", SynthParams), clients=CLIENTS, errors=0)
    write_export(generate(params), tmp_path / "export", "csv", {"synthetic": True})
    ingested = ingest_tables(
        read_export(tmp_path / "export"), load_params("ingest", IngestParams), DEMO_KEY
    )
    clean = clean_tables(ingested.tables, load_params("clean", CleanParams))
    scored = score_stage(
        clean.administrations, clean.trajectories, ScoreParams(), build_instruments()
    ).trajectories
    estimate = scored.groupby(scored["comorbid_asd"].astype("Int64"))["ssd12_total_change"].agg(
        ["mean", "count"]
    )
    truth = _true_changes(params)
    assert set(estimate.index) == {0, 1} and estimate["count"].min() >= 20
    for group in (0, 1):
        assert estimate.loc[group, "mean"] == pytest.approx(truth[group], abs=GROUP_TOLERANCE)
    contrast = estimate.loc[1, "mean"] - estimate.loc[0, "mean"]
    assert contrast == pytest.approx(truth[1] - truth[0], abs=CONTRAST_TOLERANCE)
    assert contrast > 0  # autism slows improvement, as planted
