"""Change, reliable change, cut-offs, Jacobson categories, effect size, Cronbach's alpha."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.change import (
    CATEGORIES,
    ChangeNorms,
    categorise,
    cronbach_alpha,
    cutoff,
    effect_size,
    rci,
    s_diff,
)

SSD_SDIFF = s_diff(11.2, 0.93)  # 4.191; reliable change > 8.21 points
SSD_C = cutoff("c", "lower_is_better", m_clin=28.3, sd_clin=11.2, m_func=5.8, sd_func=7.0)


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        (30, 10, "recovered"),  # -20: reliable, clinical -> functional (c = 14.45)
        (30, 20, "improved"),  # -10: reliable, still clinical
        (12, 2, "improved"),  # -10: reliable, but intake already functional: cannot recover
        (30, 22, "unchanged"),  # -8 < 8.21
        (30, 39, "deteriorated"),  # +9: reliable, clinical -> clinical
        (10, 20, "harmed"),  # +10: reliable, functional -> clinical
        (2, 11, "deteriorated"),  # +9: reliable, but stays functional
        (20, 11, "recovered"),  # -9: reliable, 20 clinical (> 14.45) -> 11 functional
    ],
)
def test_jacobson_categories_lower_is_better(pre: float, post: float, expected: str) -> None:
    got = categorise(
        np.array([pre]), np.array([post]), sdiff=SSD_SDIFF, cut=SSD_C, direction="lower_is_better"
    )
    assert got[0] == expected


def test_higher_is_better_mirrors_lower_is_better() -> None:
    pre = np.array([30, 30, 12, 30, 30, 10, 2])
    post = np.array([10, 20, 2, 22, 39, 20, 11])
    lower = categorise(pre, post, sdiff=SSD_SDIFF, cut=SSD_C, direction="lower_is_better")
    higher = categorise(-pre, -post, sdiff=SSD_SDIFF, cut=-SSD_C, direction="higher_is_better")
    assert list(lower) == list(higher)


def test_missing_intake_or_end_gives_no_category_and_no_rci() -> None:
    got = categorise(
        np.array([np.nan, 30.0, np.nan]),
        np.array([10.0, np.nan, np.nan]),
        sdiff=SSD_SDIFF,
        cut=SSD_C,
        direction="lower_is_better",
    )
    assert list(got) == [None, None, None]
    assert np.isnan(rci(np.array([np.nan]), SSD_SDIFF)).all()


def test_without_a_cutoff_nobody_recovers_or_is_harmed() -> None:
    got = categorise(
        np.array([30.0, 10.0]),
        np.array([10.0, 30.0]),
        sdiff=SSD_SDIFF,
        cut=None,
        direction="lower_is_better",
    )
    assert list(got) == ["improved", "deteriorated"]


def test_reliable_change_is_strict_as_in_clinicalsignificance() -> None:
    exactly = 1.96 * SSD_SDIFF
    got = categorise(
        np.array([30.0]),
        np.array([30.0 - exactly]),
        sdiff=SSD_SDIFF,
        cut=SSD_C,
        direction="lower_is_better",
    )
    assert got[0] == "unchanged"


def test_rci_keeps_the_sign_of_the_raw_change() -> None:
    assert rci(np.array([-9.0, 9.0]), SSD_SDIFF) == pytest.approx([-9 / SSD_SDIFF, 9 / SSD_SDIFF])
    norms = ChangeNorms("lower_is_better", 11.2, 0.93, "c", SSD_C)
    assert norms.s_diff == pytest.approx(4.191, abs=5e-4)
    assert norms.reliable_change == pytest.approx(8.21, abs=5e-3)
    assert set(CATEGORIES) == {"recovered", "improved", "unchanged", "deteriorated", "harmed"}


def test_cutoffs_need_their_norms() -> None:
    with pytest.raises(ValueError):
        cutoff("c", "lower_is_better", m_clin=28.3, sd_clin=11.2)
    with pytest.raises(ValueError):
        cutoff("b", "higher_is_better", m_clin=28.3, sd_clin=11.2)
    with pytest.raises(ValueError):
        cutoff("a", "higher_is_better")
    with pytest.raises(ValueError):
        s_diff(0.0, 0.9)


def test_effect_size_is_mean_change_over_intake_sd() -> None:
    intake = np.array([30.0, 20.0, 25.0, np.nan, 40.0])
    end = np.array([20.0, 18.0, 15.0, 10.0, np.nan])
    change = np.array([-10.0, -2.0, -10.0])
    assert effect_size(intake, end) == pytest.approx(change.mean() / np.std([30, 20, 25], ddof=1))
    assert np.isnan(effect_size(np.array([1.0]), np.array([2.0])))


def test_cronbach_alpha_matches_the_covariance_formula() -> None:
    rng = np.random.default_rng(7)
    true = rng.normal(size=(200, 1))
    items = true + rng.normal(scale=0.8, size=(200, 6))
    items[3, 2] = np.nan  # listwise deletion
    alpha, n = cronbach_alpha(items)
    complete = items[~np.isnan(items).any(axis=1)]
    cov = np.cov(complete, rowvar=False)
    k = cov.shape[0]
    assert n == 199
    assert alpha == pytest.approx(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def test_cronbach_alpha_edge_cases() -> None:
    same = np.tile(np.arange(10.0)[:, None], (1, 4))
    assert cronbach_alpha(same)[0] == pytest.approx(1.0)
    assert np.isnan(cronbach_alpha(np.ones((10, 1)))[0])
    assert np.isnan(cronbach_alpha(np.ones((10, 3)))[0])
    assert np.isnan(cronbach_alpha(np.ones((2, 3)))[0])
