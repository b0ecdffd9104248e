"""Write ``logistic_set.csv``: a fixed binary-outcome set that logistic_reference.R fits.

One row per trajectory of its own client, treatment success (``event``) drawn from a known
logistic model: intercept -0.4, log odds ratios ``comorbid_asd`` -0.9, ``comorbid_ptsd`` -0.5,
``sex`` = m 0.3, ``diagnosis`` = fnd -0.4 and = other 0.2, 0.01 per year of ``age_at_start``
above 42, 0.04 per SSD-12 point above 30 at intake. Numbers are written with 17 significant
digits so that R reads exactly the doubles Python holds.

Run through ``make r-reference-logistic`` (``mk/r-logistic.mk``); never edit the CSV by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20261207
N = 600
LOG_ODDS = {
    "Intercept": -0.4,
    "comorbid_asd": -0.9,
    "comorbid_ptsd": -0.5,
    "sex_m": 0.3,
    "diagnosis_fnd": -0.4,
    "diagnosis_other": 0.2,
    "age_at_start": 0.01,
    "ssd12_total_intake": 0.04,
}


def simulate(n: int = N, seed: int = SEED) -> pd.DataFrame:
    """The reference set: one row per trajectory with the event and its predictors."""
    rng = np.random.default_rng(seed)
    asd = (rng.random(n) < 0.25).astype(int)
    ptsd = (rng.random(n) < 0.2).astype(int)
    sex = rng.choice(["f", "m"], n, p=[0.7, 0.3])
    diagnosis = rng.choice(["ssd", "fnd", "other"], n, p=[0.6, 0.25, 0.15])
    age = np.clip(np.rint(rng.normal(42.0, 12.0, n)), 18, 75).astype(int)
    intake = np.round(np.clip(rng.normal(30.0, 8.0, n), 0, 48), 1)
    eta = (
        LOG_ODDS["Intercept"]
        + LOG_ODDS["comorbid_asd"] * asd
        + LOG_ODDS["comorbid_ptsd"] * ptsd
        + LOG_ODDS["sex_m"] * (sex == "m")
        + LOG_ODDS["diagnosis_fnd"] * (diagnosis == "fnd")
        + LOG_ODDS["diagnosis_other"] * (diagnosis == "other")
        + LOG_ODDS["age_at_start"] * (age - 42)
        + LOG_ODDS["ssd12_total_intake"] * (intake - 30)
    )
    event = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
    return pd.DataFrame(
        {
            "trajectory": [f"t{i:04d}" for i in range(n)],
            "event": event,
            "age_at_start": age,
            "sex": sex,
            "diagnosis": diagnosis,
            "comorbid_asd": asd,
            "comorbid_ptsd": ptsd,
            "ssd12_total_intake": intake,
        }
    )


if __name__ == "__main__":
    simulate().to_csv(HERE / "logistic_set.csv", index=False, float_format="%.17g")
