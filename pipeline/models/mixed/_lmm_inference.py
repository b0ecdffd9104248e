"""Inference on a fit of the profiled engine: Satterthwaite tests and profile-likelihood CIs.

Satterthwaite degrees of freedom (as lmerTest, Kuznetsova et al. 2017)
----------------------------------------------------------------------
The variance parameters are ``varpar = (theta, sigma)``. Their asymptotic covariance is
``A = 2 H^{-1}`` with ``H`` the Hessian of the (RE)ML deviance in ``varpar``, not profiled over
``sigma`` (:func:`~pipeline.models.mixed._lmm.deviance_varpar`; lmerTest's ``devfun_vp``), and
``J_k = d C / d varpar_k`` is the derivative of ``C(varpar) = sigma^2 (X'V^{-1}X)^{-1}``. For a
contrast ``l``: ``df = 2 (l'Cl)^2 / (g'Ag)`` with ``g_k = l'J_k l``. For a block of ``q``
contrasts ``L`` (an F test, lmerTest's ``contestMD``): with the eigen-decomposition
``L C L' = P' D P``, ``F = sum_m (P L beta)_m^2 / d_m / q``, each row of ``P L`` gets its own
``nu_m`` as above, and ``ddf = 2 E / (E - q)`` with ``E = sum nu_m / (nu_m - 2)`` (all
``nu_m > 2``; else 2). Derivatives are central differences with Richardson extrapolation
(four halvings from a relative step of 0.1 for the Hessian and 1e-4 for the Jacobian, numDeriv's
defaults that lmerTest uses).

Profile-likelihood intervals (as ``lme4::confint(method = "profile")``, Bates et al. 2015)
-----------------------------------------------------------------------------------------
The deviance is written in the standard-deviation/correlation parameters
``phi = (sd_1, cor_21, ..., sd_2, ..., sigma)`` (lme4's order: the lower triangle of the
random-effects covariance column by column, standard deviations on the diagonal, then the
residual SD). For each parameter the profile ``zeta(v) = sign(v - phi_hat) sqrt(d_min(v) -
d_hat)`` (``d_min(v)``: the deviance minimised over the other parameters with that one fixed at
``v``) is followed outwards and the limits are where ``|zeta|`` reaches the normal quantile
(Brent's root finder, not lme4's spline interpolation). A limit that the profile does not reach
before a bound of the parameter (SD 0, correlation +-1) is that bound. lme4 profiles the ML
deviance even of a REML fit (``devfun2`` calls ``refitML``); ``criterion = "ml"`` does the same,
``"reml"`` profiles the REML criterion instead. The ICC ``sd_1^2 / (sd_1^2 + sigma^2)`` (the
first random effect being the intercept) is profiled the same way in the parameters
``(icc, cor_21, ..., sd_2, ..., sigma)``: lme4 has no interval for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.stats
import threadpoolctl

from pipeline.models.mixed import _lmm

FloatArray = _lmm.FloatArray

#: Richardson extrapolation: relative step, absolute step near zero, number of halvings.
_REL_STEP = 1e-4
_ZERO_TOL = math.sqrt(np.finfo(float).eps / 7e-7)
_LEVELS = 4


#: numDeriv's relative step of ``hessian`` (``genD``: d = 0.1; ``jacobian``: d = 1e-4).
_REL_STEP_HESSIAN = 0.1


def _steps(x: FloatArray, relative: float = _REL_STEP) -> FloatArray:
    """numDeriv's steps: ``d |x|``, or ``1e-4`` when ``|x|`` is near zero."""
    return np.where(np.abs(x) < _ZERO_TOL, 1e-4, relative * np.abs(x))


def _richardson(values: list[np.ndarray]) -> np.ndarray:
    """Richardson extrapolation of ``O(h^2)`` estimates at steps ``h, h/2, h/4, ...``."""
    table = [np.asarray(v, dtype=float) for v in values]
    for level in range(1, len(table)):
        factor = 4.0**level
        table = [(factor * table[k + 1] - table[k]) / (factor - 1.0) for k in range(len(table) - 1)]
    return table[0]


def numeric_jacobian(func: Callable[[FloatArray], np.ndarray], x: FloatArray) -> list[np.ndarray]:
    """Derivatives ``d func / d x_k`` (arrays of func's shape) by extrapolated central differences."""
    x = np.asarray(x, dtype=float)
    h0 = _steps(x)
    out = []
    for k in range(len(x)):
        estimates = []
        for level in range(_LEVELS):
            h = h0[k] / 2.0**level
            up, down = x.copy(), x.copy()
            up[k] += h
            down[k] -= h
            estimates.append((np.asarray(func(up)) - np.asarray(func(down))) / (2.0 * h))
        out.append(_richardson(estimates))
    return out


def numeric_hessian(func: Callable[[FloatArray], float], x: FloatArray) -> FloatArray:
    """Hessian of a scalar function by extrapolated central second differences."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    h0 = _steps(x, _REL_STEP_HESSIAN)
    f0 = func(x)
    hess = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            estimates = []
            for level in range(_LEVELS):
                hi, hj = h0[i] / 2.0**level, h0[j] / 2.0**level
                if i == j:
                    up, down = x.copy(), x.copy()
                    up[i] += hi
                    down[i] -= hi
                    estimates.append((func(up) - 2.0 * f0 + func(down)) / (hi * hi))
                else:
                    corners = []
                    for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                        point = x.copy()
                        point[i] += si * hi
                        point[j] += sj * hj
                        corners.append(func(point))
                    value = (corners[0] - corners[1] - corners[2] + corners[3]) / (4.0 * hi * hj)
                    estimates.append(np.asarray(value))
            hess[i, j] = hess[j, i] = float(_richardson(estimates))
    return hess


def pseudo_inverse_2x(hessian: FloatArray, tol: float = 1e-8) -> tuple[FloatArray, bool]:
    """``2 H^{-1}`` over the positive eigenvalues of ``H`` (lmerTest's ``vcov_varpar``).

    Returns the matrix and whether every eigenvalue was positive.
    """
    values, vectors = np.linalg.eigh(hessian)
    positive = values > tol
    inv = (vectors[:, positive] / values[positive]) @ vectors[:, positive].T
    return 2.0 * inv, bool(np.all(positive))


@dataclass(frozen=True)
class SatterthwaiteBasis:
    """What every Satterthwaite test of one fit needs.

    Attributes
    ----------
    beta, cov_beta
        Fixed effects and ``C = sigma^2 (X'V^{-1}X)^{-1}``.
    vcov_varpar
        ``A = 2 H^{-1}``, asymptotic covariance of ``(theta, sigma)``.
    jacobian
        ``d C / d varpar_k``, one ``p x p`` matrix per variance parameter.
    hessian_positive
        Every eigenvalue of ``H`` was positive (else ``A`` is a pseudo-inverse).
    """

    beta: FloatArray
    cov_beta: FloatArray
    vcov_varpar: FloatArray
    jacobian: tuple[FloatArray, ...]
    hessian_positive: bool


def satterthwaite_basis(problem: _lmm.LMMProblem, fitted: _lmm.LMMFit) -> SatterthwaiteBasis:
    """Hessian of the deviance in ``(theta, sigma)`` and the Jacobian of ``C`` at the fit."""
    sigma = math.sqrt(fitted.sigma2)
    varpar = np.r_[fitted.theta, sigma]

    def deviance(v: FloatArray) -> float:
        return _lmm.deviance_varpar(problem, v[:-1], float(v[-1]), fitted.reml)

    hessian = numeric_hessian(deviance, varpar)
    vcov, positive = pseudo_inverse_2x(hessian)
    jac_theta = numeric_jacobian(
        lambda t: _lmm.cov_beta_at(problem, t, sigma), np.asarray(fitted.theta, dtype=float)
    )
    jac_sigma = 2.0 * fitted.cov_beta / sigma
    return SatterthwaiteBasis(
        beta=np.asarray(fitted.beta, dtype=float),
        cov_beta=np.asarray(fitted.cov_beta, dtype=float),
        vcov_varpar=vcov,
        jacobian=(*jac_theta, jac_sigma),
        hessian_positive=positive,
    )


def _nu(basis: SatterthwaiteBasis, contrast: FloatArray, variance: float) -> float:
    grad = np.array([contrast @ j @ contrast for j in basis.jacobian])
    denominator = float(grad @ basis.vcov_varpar @ grad)
    return 2.0 * variance * variance / denominator if denominator > 0 else math.inf


def t_tests(basis: SatterthwaiteBasis) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Satterthwaite df, t statistic and two-sided p-value of every fixed effect."""
    p = len(basis.beta)
    se = np.sqrt(np.diag(basis.cov_beta))
    df = np.array([_nu(basis, np.eye(p)[k], float(se[k] ** 2)) for k in range(p)])
    t = basis.beta / se
    return df, t, 2.0 * scipy.stats.t.sf(np.abs(t), df)


def f_test(basis: SatterthwaiteBasis, columns: np.ndarray) -> dict[str, float]:
    """Satterthwaite F test that the fixed effects in ``columns`` are all zero (``contestMD``)."""
    p = len(basis.beta)
    contrasts = np.eye(p)[np.asarray(columns, dtype=np.intp)]
    vl = contrasts @ basis.cov_beta @ contrasts.T
    values, vectors = np.linalg.eigh(vl)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    tol = max(np.finfo(float).eps * values[0], 0.0)
    q = int(np.sum(values > tol))
    ptl = vectors[:, :q].T @ contrasts
    f_value = float(np.sum((ptl @ basis.beta) ** 2 / values[:q]) / q)
    nu = np.array([_nu(basis, ptl[m], float(values[m])) for m in range(q)])
    if q == 1:
        ddf = float(nu[0])
    elif np.all(np.abs(np.diff(nu)) < 1e-8):
        ddf = float(np.mean(nu))
    elif np.any(nu <= 2.0):
        ddf = 2.0
    else:
        e = float(np.sum(nu / (nu - 2.0)))
        ddf = 2.0 * e / (e - q)
    return {
        "f": f_value,
        "num_df": q,
        "den_df": ddf,
        "p_value": float(scipy.stats.f.sf(f_value, q, ddf)),
    }


# --- standard-deviation / correlation parameters ------------------------------------------------


def sdcor_names(z_names: tuple[str, ...] | list[str]) -> list[str]:
    """Names of ``phi`` in lme4's order: ``sd(a)``, ``cor(a,b)``, ..., ``sd(b)``, ``sigma``."""
    rows, cols = _lmm.theta_index(len(z_names))
    out = [
        f"sd({z_names[r]})" if r == c else f"cor({z_names[c]},{z_names[r]})"
        for r, c in zip(rows, cols, strict=True)
    ]
    return [*out, "sigma"]


def sdcor_from_cov(cov_re: FloatArray, sigma2: float) -> FloatArray:
    """``phi`` of a random-effects covariance and a residual variance."""
    q = cov_re.shape[0]
    rows, cols = _lmm.theta_index(q)
    sd = np.sqrt(np.maximum(np.diag(cov_re), 0.0))
    out = []
    for r, c in zip(rows, cols, strict=True):
        if r == c:
            out.append(sd[r])
        else:
            denominator = sd[r] * sd[c]
            out.append(
                float(np.clip(cov_re[r, c] / denominator, -1, 1)) if denominator > 0 else 0.0
            )
    return np.array([*out, math.sqrt(sigma2)], dtype=float)


def varpar_from_sdcor(phi: FloatArray, q: int) -> tuple[FloatArray, float] | None:
    """``(theta, sigma)`` of ``phi`` (``None`` if the correlation matrix is not valid)."""
    rows, cols = _lmm.theta_index(q)
    sd = np.zeros(q)
    cor = np.eye(q)
    for value, r, c in zip(phi[:-1], rows, cols, strict=True):
        if r == c:
            sd[r] = value
        else:
            cor[r, c] = cor[c, r] = value
    sigma = float(phi[-1])
    if not sigma > 0.0 or np.any(sd < 0.0):
        return None
    if q == 1:
        chol = np.ones((1, 1))
    elif q == 2:
        rho = cor[1, 0]
        if abs(rho) > 1.0:
            return None
        chol = np.array([[1.0, 0.0], [rho, math.sqrt(max(1.0 - rho * rho, 0.0))]])
    else:
        try:
            chol = np.asarray(np.linalg.cholesky(cor), dtype=float)
        except np.linalg.LinAlgError:
            return None
    lam = (sd[:, None] * chol) / sigma
    return np.asarray(lam[rows, cols], dtype=float), sigma


def icc_to_sdcor(psi: FloatArray) -> FloatArray | None:
    """``phi`` of ``psi`` = ``(icc, cor_21, ..., sigma)``: ``sd_1 = sigma sqrt(icc / (1 - icc))``."""
    icc = float(psi[0])
    if not 0.0 <= icc < 1.0:
        return None
    phi = np.array(psi, dtype=float)
    phi[0] = float(psi[-1]) * math.sqrt(icc / (1.0 - icc))
    return phi


@dataclass(frozen=True)
class Interval:
    """A profile-likelihood interval of one parameter.

    ``method`` is ``profile`` or ``profile (a limit at the parameter's bound)``; a failed
    profile leaves the limits ``nan`` and says why in ``method``.
    """

    name: str
    estimate: float
    lower: float
    upper: float
    method: str


class Profiler:
    """Profiles of the (RE)ML deviance in ``phi`` (or the ICC parametrisation)."""

    def __init__(
        self,
        problem: _lmm.LMMProblem,
        reml: bool,
        phi_hat: FloatArray,
        parametrisation: str = "sdcor",
    ) -> None:
        self.problem = problem
        self.reml = reml
        self.q = problem.q
        self.parametrisation = parametrisation
        rows, cols = _lmm.theta_index(self.q)
        kinds = ["sd" if r == c else "cor" for r, c in zip(rows, cols, strict=True)]
        if parametrisation == "icc":
            kinds[0] = "icc"
        self.kinds = [*kinds, "sigma"]
        lower = {"sd": 0.0, "cor": -1.0, "sigma": 1e-12, "icc": 0.0}
        upper = {"sd": math.inf, "cor": 1.0, "sigma": math.inf, "icc": 1.0 - 1e-6}
        self.lower = np.array([lower[k] for k in self.kinds])
        self.upper = np.array([upper[k] for k in self.kinds])
        start = np.asarray(phi_hat, dtype=float)
        if parametrisation == "icc":
            sd1, sigma = start[0], start[-1]
            start = start.copy()
            start[0] = sd1 * sd1 / (sd1 * sd1 + sigma * sigma)
        self.scale = np.array(
            [1.0 if k in ("cor", "icc") else max(abs(start[-1]), 1e-8) for k in self.kinds]
        )
        # Polish the optimum of the profiled criterion (the start is the estimate of a fit by
        # this criterion; the polish only settles it to the finite-difference scale).
        self.hat, self.dev_hat = self._minimise(np.arange(len(start)), start)

    def deviance(self, psi: FloatArray) -> float:
        """The deviance at ``psi`` (``inf`` outside the parameter space)."""
        phi = icc_to_sdcor(psi) if self.parametrisation == "icc" else np.asarray(psi)
        if phi is None:
            return math.inf
        varpar = varpar_from_sdcor(phi, self.q)
        if varpar is None:
            return math.inf
        return _lmm.deviance_varpar(self.problem, varpar[0], varpar[1], self.reml)

    def _minimise(self, free: np.ndarray, start: FloatArray) -> tuple[FloatArray, float]:
        fixed = np.asarray(start, dtype=float).copy()
        free = np.asarray(free, dtype=np.intp)
        if len(free) == 0:
            return fixed, self.deviance(fixed)
        scale = self.scale[free]

        def objective(u: FloatArray) -> float:
            point = fixed.copy()
            point[free] = u * scale
            value = self.deviance(point)
            return value if math.isfinite(value) else 1e300

        x0 = np.clip(fixed[free], self.lower[free], self.upper[free]) / scale
        bounds = list(
            zip(
                self.lower[free] / scale,
                np.where(np.isinf(self.upper[free]), None, self.upper[free] / scale),
                strict=True,
            )
        )
        result = scipy.optimize.minimize(
            objective,
            x0,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-11, "gtol": 1e-7, "maxiter": 500, "eps": 1e-7},
        )
        point = fixed.copy()
        point[free] = np.asarray(result.x) * scale
        return point, float(result.fun)

    def interval(self, k: int, level: float, name: str) -> Interval:
        """The profile interval of parameter ``k`` at confidence ``level``."""
        crit = float(scipy.stats.norm.ppf(0.5 + level / 2.0))
        target = crit * crit
        hat = float(self.hat[k])
        free = np.array([j for j in range(len(self.hat)) if j != k], dtype=np.intp)
        cache: list[tuple[float, FloatArray]] = [(hat, self.hat)]

        def excess(value: float) -> float:
            nearest = min(cache, key=lambda item: abs(item[0] - value))[1].copy()
            nearest[k] = value
            point, dev = self._minimise(free, nearest)
            cache.append((value, point))
            return max(dev - self.dev_hat, 0.0) - target

        limits: list[float] = []
        at_bound = False
        for direction in (-1.0, 1.0):
            bound = self.lower[k] if direction < 0 else self.upper[k]
            if abs(hat - bound) < 1e-10:
                limits.append(float(bound))
                at_bound = True
                continue
            step = 0.05 * (abs(hat) if self.kinds[k] in ("sd", "sigma") and hat > 0 else 1.0)
            if self.kinds[k] in ("cor", "icc"):
                step = min(0.05, 0.25 * abs(bound - hat))
            inner, outer = hat, hat
            found = False
            for _ in range(60):
                outer = inner + direction * step
                if (direction < 0 and outer <= bound) or (direction > 0 and outer >= bound):
                    outer = float(bound)
                value = excess(outer)
                if value > 0.0:
                    found = True
                    break
                if outer == bound:
                    break
                inner = outer
                step *= 1.6
            if not found:
                if math.isfinite(bound) and outer == bound:
                    limits.append(float(bound))
                    at_bound = True
                    continue
                return Interval(name, hat, math.nan, math.nan, "profile failed: no limit found")
            root = scipy.optimize.brentq(
                excess, inner, outer, xtol=1e-7 * max(1.0, abs(hat)), rtol=1e-7
            )
            limits.append(float(root))
        method = "profile (a limit at the parameter's bound)" if at_bound else "profile"
        return Interval(name, hat, limits[0], limits[1], method)


def profile_intervals(
    problem: _lmm.LMMProblem,
    fitted: _lmm.LMMFit,
    z_names: tuple[str, ...] | list[str],
    level: float,
    with_icc: bool,
) -> dict[str, Interval]:
    """Profile intervals of every ``phi`` parameter (and the ICC) of a fit by its criterion.

    ``fitted`` must be the optimum of the criterion profiled (an ML fit for lme4's intervals,
    a REML fit for REML profiles). Runs single-threaded (small BLAS blocks).
    """
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        return _profile_intervals(problem, fitted, z_names, level, with_icc)


def _profile_intervals(
    problem: _lmm.LMMProblem,
    fitted: _lmm.LMMFit,
    z_names: tuple[str, ...] | list[str],
    level: float,
    with_icc: bool,
) -> dict[str, Interval]:
    phi_hat = sdcor_from_cov(fitted.cov_re, fitted.sigma2)
    names = sdcor_names(z_names)
    profiler = Profiler(problem, fitted.reml, phi_hat)
    out = {name: profiler.interval(k, level, name) for k, name in enumerate(names)}
    if with_icc:
        icc_profiler = Profiler(problem, fitted.reml, phi_hat, parametrisation="icc")
        out["icc"] = icc_profiler.interval(0, level, "icc")
    return out


def delta_covariance(
    basis: SatterthwaiteBasis,
    fitted: _lmm.LMMFit,
    func: Callable[[FloatArray, float], FloatArray],
) -> FloatArray:
    """Asymptotic covariance of ``func(theta, sigma)`` by the delta method: ``J A J'``.

    ``A`` is the covariance of ``(theta, sigma)`` of :func:`satterthwaite_basis` (the
    Hessian of the criterion the model was fitted by), ``J`` the Jacobian of ``func``.
    """
    varpar = np.r_[fitted.theta, math.sqrt(fitted.sigma2)]
    columns = numeric_jacobian(lambda v: func(v[:-1], float(v[-1])), varpar)
    jac = np.column_stack([np.atleast_1d(c) for c in columns])
    return np.asarray(jac @ basis.vcov_varpar @ jac.T, dtype=float)


def components_of(theta: FloatArray, sigma: float, q: int) -> FloatArray:
    """Variances and covariances (lower triangle, column by column), then ``sigma^2``."""
    lam = _lmm.lambda_from_theta(np.asarray(theta, dtype=float), q)
    cov = sigma * sigma * (lam @ lam.T)
    rows, cols = _lmm.theta_index(q)
    return np.r_[cov[rows, cols], sigma * sigma]


def icc_of(theta: FloatArray, sigma: float, q: int) -> FloatArray:
    """``var_1 / (var_1 + sigma^2)`` (the first random effect: the intercept)."""
    lam = _lmm.lambda_from_theta(np.asarray(theta, dtype=float), q)
    var1 = float((lam @ lam.T)[0, 0])
    return np.array([var1 / (var1 + 1.0)])


def correlations_of(theta: FloatArray, sigma: float, q: int) -> FloatArray:
    """Correlations of the random effects (lower triangle, column by column)."""
    lam = _lmm.lambda_from_theta(np.asarray(theta, dtype=float), q)
    cov = lam @ lam.T
    sd = np.sqrt(np.maximum(np.diag(cov), 1e-300))
    rows, cols = _lmm.theta_index(q)
    off = rows != cols
    return np.asarray((cov / np.outer(sd, sd))[rows[off], cols[off]], dtype=float)
