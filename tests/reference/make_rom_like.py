"""Write ``rom_like.csv``: a fixed, ROM-like analysis set that ``lmer_reference.R`` fits.

The data are drawn by :func:`pipeline.models._simulate.simulate_inputs` (a known linear mixed
model with a planted autism by time effect) with a fixed seed and passed through the
mixed-model analysis set of the SSD-12 total, so R and the project fit the very same rows.
Numbers are written with 17 significant digits, so R reads exactly the doubles Python holds.

Run through ``make r-reference`` (``mk/r-reference.mk``), never edit the CSV by hand.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.models._simulate import DEFAULT_EFFECTS, simulate_inputs
from pipeline.models.mixed._mixed import build_mixed_analysis_set

HERE = Path(__file__).resolve().parent
SEED = 20240601
N_TRAJECTORIES = 400
COLUMNS = [
    "trajectory_key",
    "years",
    "ssd12_total",
    "age_at_start",
    "sex",
    "diagnosis",
    "comorbid_asd",
    "comorbid_ptsd",
    "comorbid_depression",
]


def main() -> None:
    """Simulate, select the SSD-12 analysis set and write ``rom_like.csv`` next to this file."""
    inputs = simulate_inputs(N_TRAJECTORIES, seed=SEED, effects=DEFAULT_EFFECTS)
    frame = build_mixed_analysis_set(inputs, "ssd12_total").frame[COLUMNS]
    frame = frame.astype({c: "float64" for c in COLUMNS[6:] + ["age_at_start"]})
    frame.to_csv(HERE / "rom_like.csv", index=False, float_format="%.17g", lineterminator="\n")


if __name__ == "__main__":
    main()
