"""Minimum sample size for developing a prediction model (Riley et al. 2019, 2020).

The criteria of the R package ``pmsampsize`` (version 1.1.3), implemented here because the
Python port has known errors. Each criterion gives a smallest n; the minimum is the largest.

Binary outcome (Riley et al. 2019, Part II; 2020, BMJ), with anticipated Cox-Snell R² ``R``,
``p`` candidate predictor parameters, outcome proportion ``phi`` and target shrinkage ``S``:

1. expected uniform shrinkage at least ``S`` (van Houwelingen's heuristic):
   ``n = p / ((S - 1) ln(1 - R / S))``;
2. small optimism in the apparent Nagelkerke R² (at most ``delta`` = 0.05):
   the shrinkage ``S2 = R / (R + delta * max(R²_cs))``, with
   ``max(R²_cs) = 1 - exp(2 lnL_null / n)`` = ``1 - (phi^phi (1 - phi)^(1 - phi))^2``, then
   criterion 1's formula with ``S2``; as ``pmsampsize`` does, ``max(R²_cs)`` is rounded to 2
   decimals and ``S2`` to 3 (without the rounding the published check, 668, would read 661);
3. the overall outcome proportion estimated within ``margin`` (0.05) with 95% confidence:
   ``n = (1.96 / margin)^2 phi (1 - phi)``.

Continuous outcome (Riley et al. 2019, Part I), with anticipated (adjusted) R² ``R``, ``p``
parameters, mean outcome ``intercept`` and outcome SD ``sd``:

1. expected shrinkage ``1 + (p - 2) / (n ln(1 - R²_app))`` at least ``S``, where
   ``R²_app = (R (n - p - 1) + p) / (n - 1)`` is the apparent R² that goes with ``R``; the
   smallest n found by counting up from ``p + 2``;
2. small optimism in R² (``delta`` = 0.05): ``n = 1 + p (1 - R) / delta``, rounded up;
3. the residual variance within a multiplicative margin of 10%: ``n = 234 + p``
   (pmsampsize 1.1.3 fixes this margin);
4. the intercept (mean outcome) within a multiplicative margin ``mmoe`` (1.1): the smallest n
   (from the largest of criteria 1-3) with
   ``t(0.975, n - p - 1) sqrt(sd^2 (1 - R) / n) <= (mmoe - 1) |intercept|``. (pmsampsize's
   loop for this criterion flips the sign of the t quantile after its first step; this module
   applies the stated rule throughout. The two agree whenever criterion 4 does not bind, as in
   the published check.) For a change score, whose mean may lie near 0 (a mean EQ-5D index
   change of 0.06 asks a 10% margin of 0.006 index points, and n in the thousands), a relative
   margin has no clinical reading: ``margin`` sets an absolute margin in score units instead,
   ``t(0.975, n - p - 1) sqrt(sd^2 (1 - R) / n) <= margin`` (the same criterion, the precision
   of the mean outcome, with the margin stated in score units).

Checks (``docs/methods.md``; pmsampsize's own tests): continuous, R² 0.2, 25
parameters, intercept 1.9, SD 0.6 gives 918 (criteria 918, 401, 259, 918); binary, Cox-Snell R²
0.288, 24 parameters, prevalence 0.174 gives 668 (criteria 623, 668, 221).

References
----------
Riley RD, Snell KIE, Ensor J, et al. (2019). Minimum sample size for developing a multivariable
prediction model: Part I - continuous outcomes. Statistics in Medicine 38, 1262-1275.
Riley RD, Snell KIE, Ensor J, et al. (2019). Minimum sample size for developing a multivariable
prediction model: Part II - binary and time-to-event outcomes. Statistics in Medicine 38,
1276-1296.
Riley RD, Ensor J, Snell KIE, et al. (2020). Calculating the sample size required for developing
a clinical prediction model. BMJ 368, m441.
Ensor J, Martin EC, Riley RD (2023). pmsampsize: Sample size for development of a prediction
model. R package version 1.1.3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from scipy import stats

#: Nagelkerke R² assumed when no anticipated Cox-Snell R² is given (Riley et al. 2020: a
#: conservative choice when no previous model is available).
DEFAULT_NAGELKERKE_R2 = 0.15


@dataclass(frozen=True)
class SampleSize:
    """The minimum sample size and the n each criterion asks for.

    Attributes
    ----------
    outcome
        ``binary`` or ``continuous``.
    minimum_n
        The largest of :attr:`criteria`.
    criteria
        Smallest n per criterion, by name.
    parameters
        Candidate predictor parameters (columns of the design, intercept excluded).
    r2
        Anticipated R² (Cox-Snell for a binary outcome).
    shrinkage
        Expected uniform shrinkage at :attr:`minimum_n`.
    details
        Inputs and derived figures (prevalence, maximum R², events per parameter ...).
    """

    outcome: Literal["binary", "continuous"]
    minimum_n: int
    criteria: dict[str, int]
    parameters: int
    r2: float
    shrinkage: float
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (for ``metrics.json``)."""
        return {
            "outcome": self.outcome,
            "minimum_n": self.minimum_n,
            "criteria": dict(self.criteria),
            "binding_criterion": max(self.criteria, key=lambda name: self.criteria[name]),
            "parameters": self.parameters,
            "r2": self.r2,
            "shrinkage": self.shrinkage,
            **self.details,
        }


def _r_round(value: float, digits: int) -> float:
    """Round half away from zero at ``digits`` decimals (R's ``round`` on these inputs)."""
    scale = 10.0**digits
    return math.copysign(math.floor(abs(value) * scale + 0.5) / scale, value)


def max_r2_cs(prevalence: float) -> float:
    """Largest Cox-Snell R² a binary outcome with this prevalence allows (Riley 2019, eq. 23).

    ``1 - exp(2 lnL_null / n)``, with the null log-likelihood per observation
    ``phi ln(phi) + (1 - phi) ln(1 - phi)``.
    """
    if not 0.0 < prevalence < 1.0:
        raise ValueError("prevalence must lie strictly between 0 and 1")
    loglik = prevalence * math.log(prevalence) + (1 - prevalence) * math.log(1 - prevalence)
    return 1.0 - math.exp(2.0 * loglik)


def _shrinkage_n(parameters: int, r2: float, shrinkage: float) -> int:
    return math.ceil(parameters / ((shrinkage - 1.0) * math.log(1.0 - r2 / shrinkage)))


def riley_binary(
    r2_cs: float,
    parameters: int,
    prevalence: float,
    *,
    shrinkage: float = 0.9,
    delta: float = 0.05,
    margin: float = 0.05,
) -> SampleSize:
    """Minimum n for a binary-outcome model (criteria 1-3 of pmsampsize ``type = "b"``).

    Parameters
    ----------
    r2_cs
        Anticipated Cox-Snell R² of the model.
    parameters
        Candidate predictor parameters.
    prevalence
        Anticipated outcome proportion.
    shrinkage
        Target expected shrinkage (criterion 1).
    delta
        Largest acceptable optimism in Nagelkerke's R² (criterion 2).
    margin
        Absolute margin of error of the overall proportion (criterion 3).

    Raises
    ------
    ValueError
        When an input is outside its range, ``r2_cs`` exceeds the shrinkage or the largest
        Cox-Snell R² the prevalence allows.
    """
    if parameters < 1:
        raise ValueError("parameters must be at least 1")
    if not 0.0 < r2_cs < 1.0 or not 0.0 < shrinkage < 1.0:
        raise ValueError("R² and shrinkage must lie strictly between 0 and 1")
    if shrinkage < r2_cs:
        raise ValueError("the shrinkage must be at least the anticipated R²")
    max_r2 = _r_round(max_r2_cs(prevalence), 2)
    if max_r2 < r2_cs:
        raise ValueError(
            f"anticipated Cox-Snell R² {r2_cs:.3f} exceeds its maximum {max_r2:.2f} "
            "for this prevalence"
        )
    n1 = _shrinkage_n(parameters, r2_cs, shrinkage)
    shrinkage_2 = _r_round(r2_cs / (r2_cs + delta * max_r2), 3)
    n2 = _shrinkage_n(parameters, r2_cs, shrinkage_2)
    n3 = math.ceil((1.96 / margin) ** 2 * prevalence * (1 - prevalence))
    criteria = {"shrinkage": n1, "optimism_nagelkerke_r2": n2, "overall_risk": n3}
    minimum = max(criteria.values())
    return SampleSize(
        outcome="binary",
        minimum_n=minimum,
        criteria=criteria,
        parameters=parameters,
        r2=r2_cs,
        shrinkage=max(shrinkage, shrinkage_2),
        details={
            "prevalence": prevalence,
            "max_r2_cs": max_r2,
            "nagelkerke_r2": r2_cs / max_r2_cs(prevalence),
            "events": minimum * prevalence,
            "events_per_parameter": minimum * prevalence / parameters,
        },
    )


def _continuous_shrinkage(n: int, parameters: int, r2: float) -> float:
    """Expected shrinkage of a linear model at n (NaN where it is not defined)."""
    apparent = (r2 * (n - parameters - 1) + parameters) / (n - 1)
    if apparent >= 1.0:
        return math.nan
    return 1.0 + (parameters - 2) / (n * math.log(1.0 - apparent))


def riley_continuous(
    r2: float,
    parameters: int,
    intercept: float,
    sd: float,
    *,
    shrinkage: float = 0.9,
    delta: float = 0.05,
    mmoe: float = 1.1,
    margin: float | None = None,
    max_n: int = 10_000_000,
) -> SampleSize:
    """Minimum n for a continuous-outcome model (criteria 1-4 of pmsampsize ``type = "c"``).

    Parameters
    ----------
    r2
        Anticipated (adjusted) R² of the model.
    parameters
        Candidate predictor parameters.
    intercept, sd
        Anticipated mean and SD of the outcome.
    shrinkage
        Target expected shrinkage (criterion 1).
    delta
        Largest acceptable optimism in R² (criterion 2).
    mmoe
        Multiplicative margin of error of the intercept (criterion 4), used when ``margin``
        is ``None``.
    margin
        Absolute margin of error of the intercept in score units (criterion 4), e.g. for a
        change score; ``None``: ``(mmoe - 1) |intercept|``.
    max_n
        Search limit for criteria 1 and 4.

    Raises
    ------
    ValueError
        When an input is outside its range or a criterion is not met below ``max_n``.
    """
    if parameters < 1:
        raise ValueError("parameters must be at least 1")
    if not 0.0 < r2 < 1.0 or not 0.0 < shrinkage < 1.0:
        raise ValueError("R² and shrinkage must lie strictly between 0 and 1")
    if not sd > 0 or mmoe <= 1.0:
        raise ValueError("sd must be positive and mmoe above 1")
    if margin is not None and not margin > 0:
        raise ValueError("margin must be positive")
    n1 = parameters + 2
    es = _continuous_shrinkage(n1, parameters, r2)
    while not es >= shrinkage:
        n1 += 1
        if n1 > max_n:
            raise ValueError("criterion 1 is not met below the search limit")
        es = _continuous_shrinkage(n1, parameters, r2)
    n2 = math.ceil(1 + parameters * (1 - r2) / delta)
    n3 = 234 + parameters
    n4 = max(n1, n2, n3)
    allowed = (mmoe - 1.0) * abs(intercept) if margin is None else float(margin)

    def half_width(n: int) -> float:
        return float(stats.t.ppf(0.975, n - parameters - 1)) * math.sqrt(sd**2 * (1 - r2) / n)

    while half_width(n4) > allowed:
        n4 += 1
        if n4 > max_n:
            raise ValueError("criterion 4 (intercept precision) is not met below the search limit")
    criteria = {
        "shrinkage": n1,
        "optimism_r2": n2,
        "residual_variance": n3,
        "intercept": n4,
    }
    minimum = max(criteria.values())
    return SampleSize(
        outcome="continuous",
        minimum_n=minimum,
        criteria=criteria,
        parameters=parameters,
        r2=r2,
        shrinkage=_continuous_shrinkage(minimum, parameters, r2),
        details={
            "intercept": intercept,
            "sd": sd,
            "mmoe": mmoe if margin is None else None,
            "intercept_margin": allowed,
            "intercept_margin_kind": "relative (mmoe)" if margin is None else "absolute",
            "intercept_ci_half_width": half_width(minimum),
            "subjects_per_parameter": minimum / parameters,
        },
    )
