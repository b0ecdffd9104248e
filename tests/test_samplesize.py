"""Riley et al. minimum sample sizes against published values.

The two checks of ``docs/methods.md`` and the other cases of R ``pmsampsize``'s own
test suite (version 1.1.3, ``tests/testthat/test_bin.R`` tests 4.1-4.4 and ``test_cont.R``
tests 2.1-2.2: per-criterion n as printed by ``pmsampsize``), where the package is the
reference (it is not installed here, so these published figures are the reference values).
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from pipeline.models.prediction import _samplesize as samplesize

# pmsampsize(type = "b", rsquared, parameters, prevalence): criteria 1-3 and the final n.
BINARY_CASES = [
    (0.288, 24, 0.174, (623, 668, 221), 668),
    (0.55, 24, 0.174, (255, 532, 221), 532),
    (0.288, 36, 0.174, (934, 1002, 221), 1002),
    (0.288, 24, 0.25, (623, 583, 289), 623),
]
# pmsampsize(type = "c", rsquared, parameters, intercept = 1.9, sd = 0.6): criteria 1-4, final.
CONTINUOUS_CASES = [
    (0.2, 25, (918, 401, 259, 918), 918),
    (0.3, 25, (574, 351, 259, 574), 574),
]


def test_binary_check_of_methods_md() -> None:
    result = samplesize.riley_binary(0.288, 24, 0.174)
    assert result.minimum_n == 668
    assert result.details["max_r2_cs"] == pytest.approx(0.60)
    assert result.shrinkage == pytest.approx(0.906)
    assert result.details["events_per_parameter"] == pytest.approx(4.84, abs=0.005)


def test_continuous_check_of_methods_md() -> None:
    result = samplesize.riley_continuous(0.2, 25, intercept=1.9, sd=0.6)
    assert result.minimum_n == 918
    assert result.details["subjects_per_parameter"] == pytest.approx(36.72)
    assert result.shrinkage >= 0.9


@pytest.mark.parametrize(("r2", "parameters", "prevalence", "criteria", "final"), BINARY_CASES)
def test_binary_matches_pmsampsize(
    r2: float, parameters: int, prevalence: float, criteria: tuple[int, ...], final: int
) -> None:
    result = samplesize.riley_binary(r2, parameters, prevalence)
    assert tuple(result.criteria.values()) == criteria
    assert result.minimum_n == final


@pytest.mark.parametrize(("r2", "parameters", "criteria", "final"), CONTINUOUS_CASES)
def test_continuous_matches_pmsampsize(
    r2: float, parameters: int, criteria: tuple[int, ...], final: int
) -> None:
    result = samplesize.riley_continuous(r2, parameters, intercept=1.9, sd=0.6)
    assert tuple(result.criteria.values()) == criteria
    assert result.minimum_n == final


def test_max_r2_cs_is_one_minus_the_null_likelihood_ratio() -> None:
    phi = 0.174
    loglik = phi * math.log(phi) + (1 - phi) * math.log(1 - phi)
    assert samplesize.max_r2_cs(phi) == pytest.approx(1 - math.exp(2 * loglik))
    assert samplesize.max_r2_cs(0.5) == pytest.approx(0.75)


def test_continuous_intercept_criterion_binds_for_a_mean_near_zero() -> None:
    # A change score with a small mean needs many trajectories to estimate it within 10%.
    result = samplesize.riley_continuous(0.2, 25, intercept=0.06, sd=0.3)
    assert result.minimum_n == result.criteria["intercept"] > 918
    half = result.details["intercept_ci_half_width"]
    assert half <= 0.1 * 0.06 + 1e-12


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: samplesize.riley_binary(0.7, 10, 0.1), "exceeds its maximum"),
        (lambda: samplesize.riley_binary(0.2, 0, 0.1), "parameters"),
        (lambda: samplesize.riley_binary(0.2, 10, 1.0), "prevalence"),
        (lambda: samplesize.riley_continuous(1.2, 10, 1.0, 1.0), "between 0 and 1"),
        (lambda: samplesize.riley_continuous(0.2, 10, 1.0, 0.0), "sd must be positive"),
    ],
)
def test_out_of_range_inputs_raise(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_absolute_margin_for_a_change_score() -> None:
    """An absolute margin of 0.03 index points around a mean change of 0.06 (SD 0.3, R² 0.2,
    25 parameters): criterion 4 alone asks about (1.96 x sqrt(0.09 x 0.8) / 0.03)^2 = 307
    (hand calculation), below criterion 1's 918, so shrinkage binds (918, as the published
    check) instead of the relative margin's thousands; with a tighter margin of 0.01 criterion
    4 binds at about 9 x 307 = 2766."""
    relative = samplesize.riley_continuous(0.2, 25, intercept=0.06, sd=0.3)
    absolute = samplesize.riley_continuous(0.2, 25, intercept=0.06, sd=0.3, margin=0.03)
    assert absolute.details["intercept_margin_kind"] == "absolute"
    assert absolute.minimum_n == absolute.criteria["shrinkage"] == 918
    assert absolute.as_dict()["binding_criterion"] == "shrinkage"
    assert relative.minimum_n > 7000

    def half(n: int) -> float:
        return float(stats.t.ppf(0.975, n - 26)) * math.sqrt(0.09 * 0.8 / n)

    tight = samplesize.riley_continuous(0.2, 25, intercept=0.06, sd=0.3, margin=0.01)
    n4 = tight.criteria["intercept"]
    assert half(n4) <= 0.01 < half(n4 - 1)
    assert 2700 <= n4 <= 2800
    assert tight.as_dict()["binding_criterion"] == "intercept"
    with pytest.raises(ValueError, match="margin must be positive"):
        samplesize.riley_continuous(0.2, 25, intercept=0.06, sd=0.3, margin=0.0)
