"""A synthetic cohort for the annual-report tests (test support, not package code)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.reporting import annual


def cohort(n: int = 600, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic cohort over 2021-2024 with mixed end reasons, response and categories."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(60, 500, n), unit="D")
    end = end.where(end <= pd.Timestamp("2024-12-31"))
    ended = end.notna()
    pre = rng.normal(28, 9, n).clip(0, 48).round()
    post = (pre - rng.normal(5, 8, n)).clip(0, 48).round()
    responder = rng.random(n) < 0.5
    post = np.where(responder & ended, post, np.nan)
    change = post - pre
    category = np.select(
        [change <= -9, change >= 9], ["improved", "deteriorated"], default="unchanged"
    ).astype(object)
    category[(change <= -9) & (post < 14.45)] = "recovered"
    category[np.isnan(change)] = None
    traj = pd.DataFrame(
        {
            "client_key": [f"c{i % (n - 40):04d}" for i in range(n)],
            "trajectory_key": [f"t{i:04d}" for i in range(n)],
            "referral_date": start - pd.Timedelta(days=60),
            "start_date": start,
            "end_date": end,
            "end_reason": pd.array(
                np.where(
                    ended,
                    rng.choice(
                        ["regular", "dropout", "referred", "other"], n, p=[0.65, 0.25, 0.05, 0.05]
                    ),
                    None,
                ),
                dtype="string",
            ),
            "status": np.where(ended, "ended", "ongoing"),
            "age_at_start": rng.integers(18, 75, n).astype(float),
            "sex": pd.array(rng.choice(["f", "m", "x"], n, p=[0.7, 0.29, 0.01]), dtype="string"),
            "diagnosis": pd.array(
                rng.choice(
                    ["ssd", "fnd", "illness_anxiety", "other"], n, p=[0.65, 0.2, 0.08, 0.07]
                ),
                dtype="string",
            ),
            "research_consent": pd.array(np.ones(n, dtype=int), dtype="Int8"),
            "response_ssd12": pd.array(
                np.where(~ended, "ongoing", np.where(responder, "completer", "pre_only")),
                dtype="string",
            ),
            "ssd12_total_intake": pre,
            "ssd12_total_end": post,
            "ssd12_total_change": change,
            "ssd12_total_category": pd.array(category, dtype="string"),
        }
    )
    for flag in annual.FLAGS:
        traj[flag] = pd.array((rng.random(n) < 0.3).astype(int), dtype="Int8")
    scores = pd.DataFrame(
        {
            "trajectory_key": traj["trajectory_key"][ended],
            "instrument": "cqi",
            "timepoint": "end",
            "completed_at": traj["end_date"][ended],
            "cqi_grade": rng.integers(5, 11, int(ended.sum())).astype(float),
        }
    )
    return traj, scores
