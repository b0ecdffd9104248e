"""The Wilson interval of the grouped calibration table: within [0, 1], around the estimate.

A proportion of exactly 0 gave a lower bound 6.9e-18 above it (rounding in the closed form),
and the calibration figure's error bar became negative (``'yerr' must not contain negative
values``). The bounds are now clipped so that ``0 <= low <= p <= high <= 1`` holds exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pipeline.models.prediction import _prediction_metrics as pm


@settings(max_examples=400, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=100_000),
    share=st.floats(min_value=0.0, max_value=1.0),
    level=st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999]),
)
def test_bounds_lie_in_unit_interval_and_contain_the_estimate(
    n: int, share: float, level: float
) -> None:
    successes = round(share * n)
    p = successes / n
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    low, high = pm.wilson_interval(p, n, z)
    assert 0.0 <= low <= p <= high <= 1.0


@pytest.mark.parametrize("n", [1, 3, 7, 12, 13, 40, 113])
def test_extreme_proportions_are_closed_at_the_estimate(n: int) -> None:
    z = float(stats.norm.ppf(0.975))
    low, high = pm.wilson_interval(0.0, n, z)
    assert low == 0.0 and 0.0 < high < 1.0
    low, high = pm.wilson_interval(1.0, n, z)
    assert high == 1.0 and 0.0 < low < 1.0


def test_agrees_with_the_published_closed_form() -> None:
    # Wilson (1927) / Newcombe (1998) method 3: 81 of 263, 95%: 0.2553 to 0.3662.
    low, high = pm.wilson_interval(81 / 263, 263, float(stats.norm.ppf(0.975)))
    assert low == pytest.approx(0.2553, abs=5e-5)
    assert high == pytest.approx(0.3662, abs=5e-5)


@settings(max_examples=100, deadline=None)
@given(
    y=st.lists(st.integers(min_value=0, max_value=1), min_size=1, max_size=200),
    bins=st.integers(min_value=1, max_value=12),
)
def test_calibration_bins_give_non_negative_error_bars(y: list[int], bins: int) -> None:
    outcome = np.asarray(y, dtype=float)
    predicted = np.linspace(0.01, 0.99, len(y))
    table = pm.calibration_bins(outcome, predicted, "binary", bins, 0.95)
    assert ((table["observed"] - table["ci_low"]) >= 0).all()
    assert ((table["ci_high"] - table["observed"]) >= 0).all()
    assert table["ci_low"].between(0.0, 1.0).all() and table["ci_high"].between(0.0, 1.0).all()
    assert all(math.isfinite(v) for v in table["ci_low"])
