"""The chained-equations imputer: proper draws that keep the data's relations.

Checks on a bivariate normal with values missing at random given the observed column: the
imputed data reproduce the mean, the SD and the regression slope of the complete data (single
mean imputation would shrink the SD and the slope), like scikit-learn's
``IterativeImputer(sample_posterior=True)``; the draws differ between seeds (between-imputation
variance) and repeat for one seed; limits are respected; ``transform`` replays the chain.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer

from pipeline.models.prediction._prediction_impute import ChainedEquationsImputer


@pytest.fixture(scope="module")
def mar_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2024)
    n = 4000
    x = rng.normal(10.0, 2.0, n)
    z = 3.0 + 0.8 * x + rng.normal(0.0, 1.5, n)
    complete = np.column_stack([x, z])
    incomplete = complete.copy()
    # Missing at random: z is missing more often when x is high.
    incomplete[rng.random(n) < 1 / (1 + np.exp(-(x - 11.0))), 1] = np.nan
    return complete, incomplete


def _summary(data: np.ndarray) -> tuple[float, float, float]:
    slope = np.polyfit(data[:, 0], data[:, 1], 1)[0]
    return float(data[:, 1].mean()), float(data[:, 1].std()), float(slope)


def test_imputations_reproduce_mean_sd_and_slope(mar_data: tuple[np.ndarray, np.ndarray]) -> None:
    complete, incomplete = mar_data
    assert np.isnan(incomplete).mean() > 0.1
    truth = _summary(complete)
    ours = np.mean(
        [
            _summary(ChainedEquationsImputer(random_state=k).fit_transform(incomplete))
            for k in range(5)
        ],
        axis=0,
    )
    sklearn = np.mean(
        [
            _summary(
                IterativeImputer(sample_posterior=True, random_state=k).fit_transform(incomplete)
            )
            for k in range(5)
        ],
        axis=0,
    )
    np.testing.assert_allclose(ours, truth, rtol=0.03)
    np.testing.assert_allclose(ours, sklearn, rtol=0.03)
    # Mean imputation would have shrunk the SD.
    observed = incomplete[~np.isnan(incomplete[:, 1])]
    assert ours[1] > observed[:, 1].std() * 0.99


def test_draws_vary_with_the_seed_and_repeat_for_one_seed(
    mar_data: tuple[np.ndarray, np.ndarray],
) -> None:
    _, incomplete = mar_data
    first = ChainedEquationsImputer(random_state=1).fit_transform(incomplete)
    again = ChainedEquationsImputer(random_state=1).fit_transform(incomplete)
    other = ChainedEquationsImputer(random_state=2).fit_transform(incomplete)
    np.testing.assert_array_equal(first, again)
    missing = np.isnan(incomplete)
    assert not np.allclose(first[missing], other[missing])
    np.testing.assert_array_equal(first[~missing], incomplete[~missing])


def test_limits_are_respected_and_complete_columns_left_alone() -> None:
    rng = np.random.default_rng(0)
    flag = (rng.random(500) < 0.3).astype(float)
    score = 5 * flag + rng.normal(size=500)
    data = np.column_stack([flag, score, rng.normal(size=500)])
    data[rng.random(500) < 0.2, 0] = np.nan
    imputer = ChainedEquationsImputer(
        min_value=[0.0, -np.inf, -np.inf], max_value=[1.0, np.inf, np.inf], random_state=0
    )
    filled = imputer.fit_transform(data)
    assert filled[:, 0].min() >= 0.0 and filled[:, 0].max() <= 1.0
    assert not np.isnan(filled).any()
    # The flag is imputed from the score it drives.
    missing = np.isnan(data[:, 0])
    high = missing & (score > 2.5)
    assert filled[high, 0].mean() > 0.7
    assert {step[0] for step in imputer.steps_} == {0}


def test_transform_replays_the_chain_on_new_rows(mar_data: tuple[np.ndarray, np.ndarray]) -> None:
    complete, incomplete = mar_data
    imputer = ChainedEquationsImputer(random_state=3).fit(incomplete[:3000])
    new = incomplete[3000:].copy()
    new[:5, 0] = np.nan  # a column complete in training: filled with its training mean
    filled = imputer.transform(new)
    assert not np.isnan(filled).any()
    np.testing.assert_allclose(filled[:5, 0], imputer.mean_[0])
    rows = np.isnan(new[:, 1]) & ~np.isnan(new[:, 0])
    residual = filled[rows, 1] - (3.0 + 0.8 * complete[3000:][rows, 0])
    assert abs(residual.mean()) < 0.3
    assert 1.0 < residual.std() < 2.2
    np.testing.assert_array_equal(filled, imputer.transform(new))
    with pytest.raises(ValueError, match="expected 2 columns"):
        imputer.transform(new[:, :1])


def test_an_empty_column_is_filled_with_zero() -> None:
    data = np.column_stack([np.full(20, np.nan), np.arange(20.0)])
    filled = ChainedEquationsImputer(random_state=0).fit_transform(data)
    assert (filled[:, 0] == 0).all()


def test_a_category_absent_from_training_does_not_explode_imputations() -> None:
    # Column 0 is the dummy of a category no training row has (constant 0); a new row with
    # that category and a missing value must get a value on the observed scale.
    rng = np.random.default_rng(9)
    n = 150
    x = rng.normal(30, 8, n)
    data = np.column_stack([np.zeros(n), x, 0.01 * x + rng.normal(0.6, 0.1, n)])
    data[rng.random(n) < 0.2, 2] = np.nan
    imputer = ChainedEquationsImputer(random_state=4).fit(data)
    new = np.array([[1.0, 30.0, np.nan], [1.0, 45.0, np.nan]])
    filled = imputer.transform(new)
    assert np.all(np.abs(filled[:, 2] - 0.9) < 1.0)
    for _, beta, *_ in imputer.steps_:
        assert beta[1] == 0.0  # the constant column's coefficient
