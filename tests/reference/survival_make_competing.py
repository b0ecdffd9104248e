"""Write ``survival_competing.csv``: a fixed competing-risks set that the R script fits.

Four causes of ending treatment (``dropout``, ``regular``, ``referred``, ``other``), each with an
exponential cause-specific hazard (per year: 0.25, 0.45, 0.08, 0.05) multiplied by exp(linear
predictor): drop-out hazard ratio 2.0 for ``comorbid_opioid`` and exp(0.3) for ``diagnosis`` =
fnd; regular-end hazard ratio exp(-0.4) for ``comorbid_opioid`` and exp(-0.01) per year of
``age_at_start`` above 40. Independent uniform censoring (0.3-3 years). Times are rounded *up to
whole weeks* so that events of different causes tie with each other and with censorings; the
cause of a tied draw is the one whose latent time was smallest. ``duration`` in years
(days / 365.25), written with 17 significant digits; ``cause`` is ``censored`` for a censored
row.

Run through ``make r-reference-survival`` (``mk/r-survival.mk``); never edit the CSV by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261204
N = 400
CAUSES = ("dropout", "regular", "referred", "other")
BASELINE_PER_YEAR = {"dropout": 0.25, "regular": 0.45, "referred": 0.08, "other": 0.05}


def simulate(n: int = N, seed: int = SEED) -> pd.DataFrame:
    """One row per trajectory: duration (years), cause, event and covariates."""
    rng = np.random.default_rng(seed)
    opioid = (rng.random(n) < 0.2).astype(int)
    age = np.clip(np.rint(rng.normal(42.0, 12.0, n)), 18, 75).astype(int)
    diagnosis = rng.choice(["ssd", "fnd", "other"], size=n, p=[0.6, 0.25, 0.15])
    linear = {
        "dropout": np.log(2.0) * opioid + 0.3 * (diagnosis == "fnd"),
        "regular": -0.4 * opioid - 0.01 * (age - 40),
        "referred": np.zeros(n),
        "other": np.zeros(n),
    }
    latent = np.column_stack(
        [rng.exponential(1.0, n) / (BASELINE_PER_YEAR[c] * np.exp(linear[c])) for c in CAUSES]
    )
    first = latent.argmin(axis=1)
    event_years = latent.min(axis=1)
    censor_years = rng.uniform(0.3, 3.0, n)
    event_days = 7 * np.ceil(event_years * 365.25 / 7)
    censor_days = 7 * np.ceil(censor_years * 365.25 / 7)
    event = event_days <= censor_days
    days = np.minimum(event_days, censor_days)
    cause = np.where(event, np.asarray(CAUSES, dtype=object)[first], "censored")
    return pd.DataFrame(
        {
            "trajectory_key": [f"c{i:04d}" for i in range(n)],
            "duration_days": days,
            "duration": days / 365.25,
            "cause": cause,
            "event": event.astype(int),
            "comorbid_opioid": opioid,
            "age_at_start": age,
            "diagnosis": diagnosis,
        }
    )


def main() -> None:
    """Write ``survival_competing.csv`` next to this file."""
    simulate().to_csv(
        HERE / "survival_competing.csv", index=False, float_format="%.17g", lineterminator="\n"
    )


if __name__ == "__main__":
    main()
