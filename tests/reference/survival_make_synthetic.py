"""Write ``survival_synthetic.csv``: a fixed, small time-to-event set that survival_reference.R fits.

Drop-out times are drawn from a known proportional-hazards model (exponential baseline, 0.35 a
year; hazard ratios 2.0 for ``comorbid_opioid``, exp(0.3) for ``comorbid_depression``,
exp(0.02) per year of ``age_at_start`` above 40, exp(-0.2) for ``sex`` = m, exp(0.25) for
``diagnosis`` = fnd), censored by an independent uniform time (0.2-3 years). Both are rounded
*up to whole weeks*, so that many times are tied (Efron's method matters) and some events tie
with censorings. ``duration`` is in years (days / 365.25, as the pipeline), written with 17
significant digits so that R reads exactly the doubles Python holds.

Run through ``make r-reference-survival`` (``mk/r-survival.mk``); never edit the CSV by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261122
N = 300
BASELINE_PER_YEAR = 0.35
LOG_HAZARD_RATIOS = {
    "comorbid_opioid": float(np.log(2.0)),
    "comorbid_depression": 0.3,
    "age_at_start": 0.02,
    "sex_m": -0.2,
    "diagnosis_fnd": 0.25,
}


def simulate(n: int = N, seed: int = SEED) -> pd.DataFrame:
    """The reference set: one row per trajectory with duration (years), event and covariates."""
    rng = np.random.default_rng(seed)
    opioid = (rng.random(n) < 0.15).astype(int)
    depression = (rng.random(n) < 0.4).astype(int)
    age = np.clip(np.rint(rng.normal(42.0, 12.0, n)), 18, 75).astype(int)
    sex = np.where(rng.random(n) < 0.3, "m", "f")
    diagnosis = rng.choice(["ssd", "fnd", "other"], size=n, p=[0.6, 0.25, 0.15])
    b = LOG_HAZARD_RATIOS
    linear = (
        b["comorbid_opioid"] * opioid
        + b["comorbid_depression"] * depression
        + b["age_at_start"] * (age - 40)
        + b["sex_m"] * (sex == "m")
        + b["diagnosis_fnd"] * (diagnosis == "fnd")
    )
    event_years = rng.exponential(1.0, n) / (BASELINE_PER_YEAR * np.exp(linear))
    censor_years = rng.uniform(0.2, 3.0, n)
    event_days = 7 * np.ceil(event_years * 365.25 / 7)
    censor_days = 7 * np.ceil(censor_years * 365.25 / 7)
    event = (event_days <= censor_days).astype(int)
    days = np.minimum(event_days, censor_days)
    return pd.DataFrame(
        {
            "trajectory_key": [f"s{i:04d}" for i in range(n)],
            "duration_days": days,
            "duration": days / 365.25,
            "event": event,
            "comorbid_opioid": opioid,
            "comorbid_depression": depression,
            "age_at_start": age,
            "sex": sex,
            "diagnosis": diagnosis,
        }
    )


def main() -> None:
    """Write ``survival_synthetic.csv`` next to this file."""
    simulate().to_csv(
        HERE / "survival_synthetic.csv", index=False, float_format="%.17g", lineterminator="\n"
    )


if __name__ == "__main__":
    main()
