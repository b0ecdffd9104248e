"""A fast linear mixed model engine: lme4's profiled (RE)ML criterion, vectorised over groups.

Model (Bates et al. 2015, section 3)::

    y = X beta + Z b + e,    b ~ N(0, sigma^2 Lambda Lambda'),    e ~ N(0, sigma^2 I),

with one block of ``q`` random effects per group (e.g. intercept and slope per trajectory),
so ``Lambda`` is block diagonal with one lower-triangular ``q x q`` relative covariance factor
repeated over the ``m`` groups, parametrised by ``theta`` (its lower triangle, column by
column, as in lme4). For fixed ``theta`` the penalised least-squares problem is solved in
closed form, which gives ``beta(theta)`` and ``sigma^2(theta)``; what is left is the profiled
deviance of ``theta`` alone (Bates et al. 2015, eqs. 34 and 41)::

    ML:    d(theta)   = log|L|^2 + n (1 + log(2 pi r^2 / n))
    REML:  d_R(theta) = log|L|^2 + log|R_X|^2 + (n - p)(1 + log(2 pi r^2 / (n - p)))

where ``L L' = Lambda' Z'Z Lambda + I`` (here one ``q x q`` Cholesky factor per group),
``R_X R_X' = X'V^{-1}X`` and ``r^2`` is the penalised residual sum of squares.

Everything the criterion needs is a sufficient statistic computed once (``X'X``, ``X'y``,
``y'y`` and per group ``Z_i'Z_i``, ``Z_i'X_i``, ``Z_i'y_i``), so one evaluation costs
``O(m q^2 p + p^3)`` whatever the number of measurements, with the per-group blocks handled as
stacked arrays (numpy batched matrix products, no Python loop over groups). The gradient with
respect to ``theta`` is analytic (derived from ``d log|V| = tr(V^{-1} dV)`` with
``V = Z Lambda Lambda' Z' + I``), and the bounded quasi-Newton optimiser L-BFGS-B (diagonal of
``Lambda`` >= 0) minimises the criterion. Fixed effects, their covariance
``sigma^2 (X'V^{-1}X)^{-1}`` (lme4's ``vcov``), ``sigma^2`` and the random-effects covariance
``sigma^2 Lambda Lambda'`` follow in closed form.

References
----------
Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear mixed-effects models using
lme4. Journal of Statistical Software 67(1), 1-48. doi:10.18637/jss.v067.i01
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.optimize
import threadpoolctl
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: lme4's tolerance for a singular (boundary) fit: a diagonal element of Lambda below this.
SINGULAR_TOL = 1e-4
#: lme4's tolerance on the Newton step ``|H^-1 g|`` at the optimum (``check.conv.grad``).
GRADIENT_TOL = 2e-3


@dataclass(frozen=True)
class LMMProblem:
    """Sufficient statistics of a linear mixed model with one random-effects block per group.

    Build it with :func:`prepare`. Attributes are read-only arrays.
    """

    n: int
    p: int
    q: int
    m: int
    xtx: FloatArray  # (p, p)
    xty: FloatArray  # (p,)
    yty: float
    ztz: FloatArray  # (m, q, q)
    ztx: FloatArray  # (m, q, p)
    zty: FloatArray  # (m, q)


@dataclass(frozen=True)
class LMMFit:
    """A fitted linear mixed model (estimates at the optimum of the profiled criterion).

    Attributes
    ----------
    beta, cov_beta
        Fixed effects and their covariance ``sigma^2 (X'V^{-1}X)^{-1}`` (conditional on
        ``theta``, as lme4's ``vcov``).
    sigma2
        Residual variance.
    cov_re
        Covariance matrix of the ``q`` random effects of one group (absolute scale).
    theta
        Relative covariance factor parameters at the optimum.
    reml
        Whether the REML criterion was optimised (else ML).
    deviance
        The optimised criterion: ``-2 log L`` (ML) or the REML criterion (``-2 log L_R``).
    converged
        The optimiser stopped before its iteration limit, the scaled gradient at the optimum
        is below :data:`GRADIENT_TOL` and the Hessian of the free parameters is positive
        definite (a line-search stop at machine precision passes when the checks do).
    singular
        A diagonal element of ``Lambda`` is below :data:`SINGULAR_TOL` (boundary fit: a
        variance is zero or a correlation is +-1).
    warnings
        Every problem found, as one-line texts.
    n_iterations, n_evaluations
        Optimiser iterations and criterion evaluations.
    """

    beta: FloatArray
    cov_beta: FloatArray
    sigma2: float
    cov_re: FloatArray
    theta: FloatArray
    reml: bool
    deviance: float
    converged: bool
    singular: bool
    warnings: tuple[str, ...]
    n_iterations: int
    n_evaluations: int

    @property
    def loglik(self) -> float:
        """Log-likelihood (ML) or restricted log-likelihood (REML) at the optimum."""
        return -0.5 * self.deviance


def theta_index(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of ``theta`` in ``Lambda``: lower triangle, column by column."""
    pairs = [(r, c) for c in range(q) for r in range(c, q)]
    rows = np.array([r for r, _ in pairs], dtype=np.intp)
    cols = np.array([c for _, c in pairs], dtype=np.intp)
    return rows, cols


def theta_lower_bounds(q: int) -> FloatArray:
    """Lower bounds of ``theta``: 0 on the diagonal of ``Lambda``, unbounded elsewhere."""
    rows, cols = theta_index(q)
    return np.where(rows == cols, 0.0, -np.inf)


def lambda_from_theta(theta: FloatArray, q: int) -> FloatArray:
    """The ``q x q`` lower-triangular relative covariance factor ``Lambda``."""
    rows, cols = theta_index(q)
    lam = np.zeros((q, q))
    lam[rows, cols] = theta
    return lam


def theta_from_cov(cov_re: FloatArray, sigma2: float) -> FloatArray:
    """``theta`` of a random-effects covariance matrix (for start values and tests)."""
    q = cov_re.shape[0]
    lam = np.linalg.cholesky(np.asarray(cov_re, dtype=float) / sigma2)
    rows, cols = theta_index(q)
    return np.asarray(lam[rows, cols], dtype=float)


def prepare(y: FloatArray, x: FloatArray, z: FloatArray, groups: np.ndarray) -> LMMProblem:
    """Compute the sufficient statistics of the model ``y ~ X beta + Z b`` with ``b`` by group.

    Parameters
    ----------
    y
        Outcome, shape ``(n,)``.
    x
        Fixed-effects design, shape ``(n, p)``, full column rank.
    z
        Random-effects design of one group's block, shape ``(n, q)`` (e.g. ``[1, years]``).
    groups
        Group label of every row, shape ``(n,)``; any hashable labels.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    z = np.asarray(z, dtype=float)
    n, p = x.shape
    q = z.shape[1]
    codes = _group_codes(np.asarray(groups))
    order = np.argsort(codes, kind="stable")
    codes, y, x, z = codes[order], y[order], x[order], z[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ztz = np.add.reduceat(z[:, :, None] * z[:, None, :], starts, axis=0)
    ztx = np.add.reduceat(z[:, :, None] * x[:, None, :], starts, axis=0)
    zty = np.add.reduceat(z * y[:, None], starts, axis=0)
    return LMMProblem(
        n=n,
        p=p,
        q=q,
        m=len(starts),
        xtx=x.T @ x,
        xty=x.T @ y,
        yty=float(y @ y),
        ztz=ztz,
        ztx=ztx,
        zty=zty,
    )


def _group_codes(groups: np.ndarray) -> np.ndarray:
    """Integer code per row, in order of first appearance (hashing, no sort of the labels)."""
    codes, _ = pd.factorize(pd.Series(groups), sort=False)
    return np.asarray(codes)


@dataclass(frozen=True)
class _State:
    """Everything computed at one ``theta``."""

    deviance: float
    beta: np.ndarray
    r2: float
    xtvx_chol: np.ndarray  # lower Cholesky factor of X'V^-1 X (relative scale)
    gradient: np.ndarray | None
    logdet_l: float = math.nan  # log|L|^2
    logdet_rx: float = math.nan  # log|R_X|^2


def _chol_small(a: FloatArray) -> FloatArray:
    """Lower Cholesky factors of a stack of small symmetric positive definite matrices.

    Loops over the ``q`` columns only, each step vectorised over the stack (numpy's stacked
    ``cholesky`` pays a per-matrix overhead that dominates for ``q`` = 2).
    """
    q = a.shape[1]
    chol = np.zeros_like(a)
    for j in range(q):
        diag = a[:, j, j] - np.sum(chol[:, j, :j] ** 2, axis=1)
        with np.errstate(invalid="ignore"):  # a negative pivot: nan, refused by the caller
            chol[:, j, j] = np.sqrt(diag)
        for i in range(j + 1, q):
            off = a[:, i, j] - np.sum(chol[:, i, :j] * chol[:, j, :j], axis=1)
            chol[:, i, j] = off / chol[:, j, j]
    return chol


def _inv_lower(chol: FloatArray) -> FloatArray:
    """Inverse of a stack of lower-triangular matrices by forward substitution over ``q``."""
    q = chol.shape[1]
    inv = np.zeros_like(chol)
    for k in range(q):
        inv[:, k, k] = 1.0 / chol[:, k, k]
        for i in range(k + 1, q):
            acc = np.zeros(chol.shape[0])
            for j in range(k, i):
                acc += chol[:, i, j] * inv[:, j, k]
            inv[:, i, k] = -acc / chol[:, i, i]
    return inv


def _mv_small(a: FloatArray, v: FloatArray) -> FloatArray:
    """Stacked products ``a[g] @ v[g]`` of small ``q x q`` matrices and ``q``-vectors."""
    q = a.shape[1]
    out = np.empty_like(v)
    for i in range(q):
        out[:, i] = a[:, i, 0] * v[:, 0]
        for j in range(1, q):
            out[:, i] += a[:, i, j] * v[:, j]
    return out


def _block_gram(a: FloatArray, b: FloatArray) -> FloatArray:
    """``sum_g a[g] @ b[g]'`` for stacks ``(m, q, k)``: one dot product per ``(i, j)``."""
    q = a.shape[1]
    out = np.empty((q, q))
    for i in range(q):
        for j in range(q):
            out[i, j] = np.vdot(a[:, i, :], b[:, j, :])
    return out


def _evaluate(problem: LMMProblem, theta: FloatArray, reml: bool, gradient: bool) -> _State:
    """The profiled criterion (and optionally its gradient) at ``theta``."""
    q, p, n, m = problem.q, problem.p, problem.n, problem.m
    lam = lambda_from_theta(theta, q)
    ztz_lam = (problem.ztz.reshape(m * q, q) @ lam).reshape(m, q, q)  # Z_i'Z_i Lambda
    # Lambda' Z_i'Z_i Lambda = (Z_i'Z_i Lambda)' Lambda, as Z_i'Z_i is symmetric.
    a = (np.swapaxes(ztz_lam, 1, 2).reshape(m * q, q) @ lam).reshape(m, q, q) + np.eye(q)
    chol = _chol_small(a)
    if not np.all(np.isfinite(chol)):
        return _State(math.inf, np.full(p, np.nan), math.nan, np.full((p, p), np.nan), None)
    chol_inv = _inv_lower(chol)
    pmat = (chol_inv.reshape(m * q, q) @ lam.T).reshape(m, q, q)  # L^-1 Lambda'
    rzx = pmat @ problem.ztx  # (m, q, p)
    cu = _mv_small(pmat, problem.zty)  # (m, q)
    rzx_flat = rzx.reshape(m * q, p)
    cu_flat = cu.reshape(m * q)
    xtvx = problem.xtx - rzx_flat.T @ rzx_flat
    rhs = problem.xty - rzx_flat.T @ cu_flat
    try:
        if not np.all(np.isfinite(xtvx)):
            raise np.linalg.LinAlgError("not finite")
        rx = np.linalg.cholesky(xtvx)
    except np.linalg.LinAlgError:
        return _State(math.inf, np.full(p, np.nan), math.nan, np.full((p, p), np.nan), None)
    cb = scipy.linalg.solve_triangular(rx, rhs, lower=True)
    beta = scipy.linalg.solve_triangular(rx.T, cb, lower=False)
    r2 = problem.yty - float(cu_flat @ cu_flat) - float(cb @ cb)
    if not r2 > 0.0:
        return _State(math.inf, beta, r2, rx, None)
    logdet_l = 2.0 * float(np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2))))
    logdet_rx = 2.0 * float(np.sum(np.log(np.diag(rx))))
    if reml:
        dof = n - p
        dev = logdet_l + logdet_rx + dof * (1.0 + math.log(2.0 * math.pi * r2 / dof))
    else:
        dof = n
        dev = logdet_l + n * (1.0 + math.log(2.0 * math.pi * r2 / n))
    grad = None
    if gradient:
        # d/dtheta of log|V| + [log|X'V^-1X|] + dof log r^2 with V = Z Lambda Lambda' Z' + I is
        # tr(D B) with D = dLambda Lambda' + Lambda dLambda' and
        # B = sum_i Z_i'V_i^-1 Z_i - [sum_i W_i (X'V^-1X)^-1 W_i'] - dof/r^2 sum_i g_i g_i',
        # W_i = Z_i'V_i^-1 X_i, g_i = Z_i'V_i^-1 (y_i - X_i beta). With K_i = Z_i'Z_i Lambda
        # L_i^-T: Z_i'V_i^-1 Z_i = Z_i'Z_i - K_i K_i', W_i = Z_i'X_i - K_i RZX_i and
        # g_i = Z_i'(y_i - X_i beta) - K_i (cu_i - RZX_i beta).
        k = ztz_lam @ np.swapaxes(chol_inv, 1, 2)
        t = problem.ztz.sum(axis=0) - _block_gram(k, k)
        u_res = cu - (rzx_flat @ beta).reshape(m, q)
        g = problem.zty - (problem.ztx.reshape(m * q, p) @ beta).reshape(m, q)
        g -= _mv_small(k, u_res)
        b = t - (dof / r2) * (g.T @ g)
        if reml:
            w = problem.ztx - k @ rzx  # (m, q, p)
            xtvx_inv = scipy.linalg.cho_solve((rx, True), np.eye(p))
            wm = (w.reshape(m * q, p) @ xtvx_inv).reshape(m, q, p)
            b = b - _block_gram(wm, w)
        rows, cols = theta_index(q)
        grad = 2.0 * (b @ lam)[rows, cols]
    return _State(dev, beta, r2, rx, grad, logdet_l, logdet_rx)


def deviance_varpar(problem: LMMProblem, theta: FloatArray, sigma: float, reml: bool) -> float:
    """The (RE)ML deviance at ``theta`` and the residual SD ``sigma`` (``beta`` profiled out).

    Not profiled over ``sigma`` (lmerTest's ``devfun_vp`` and lme4's ``devfun2``)::

        ML:    log|L|^2 + r^2 / sigma^2 + n log(2 pi sigma^2)
        REML:  the ML value + log|R_X|^2 - p log(2 pi sigma^2)

    It equals :func:`profiled_deviance` at ``sigma^2 = r^2 / n`` (ML) or ``r^2 / (n - p)``.
    """
    if not (sigma > 0.0 and math.isfinite(sigma) and np.all(np.isfinite(theta))):
        return math.inf
    state = _evaluate(problem, np.asarray(theta, dtype=float), reml, gradient=False)
    if not math.isfinite(state.deviance):
        return math.inf
    s2 = sigma * sigma
    dev = state.logdet_l + state.r2 / s2 + problem.n * math.log(2.0 * math.pi * s2)
    if reml:
        dev += state.logdet_rx - problem.p * math.log(2.0 * math.pi * s2)
    return dev


def cov_beta_at(problem: LMMProblem, theta: FloatArray, sigma: float) -> FloatArray:
    """``sigma^2 (X'V^{-1}X)^{-1}`` at ``theta`` and ``sigma`` (lmerTest's ``get_covbeta``)."""
    state = _evaluate(problem, np.asarray(theta, dtype=float), True, gradient=False)
    if not np.all(np.isfinite(state.xtvx_chol)):
        return np.full((problem.p, problem.p), np.nan)
    inv = scipy.linalg.cho_solve((state.xtvx_chol, True), np.eye(problem.p))
    return np.asarray(sigma * sigma * inv, dtype=float)


def profiled_deviance(problem: LMMProblem, theta: FloatArray, reml: bool = True) -> float:
    """The profiled deviance (ML) or REML criterion at ``theta`` (Bates et al. 2015)."""
    return _evaluate(problem, np.asarray(theta, dtype=float), reml, gradient=False).deviance


def profiled_gradient(problem: LMMProblem, theta: FloatArray, reml: bool = True) -> FloatArray:
    """The analytic gradient of :func:`profiled_deviance` with respect to ``theta``."""
    state = _evaluate(problem, np.asarray(theta, dtype=float), reml, gradient=True)
    if state.gradient is None:
        return np.full(len(theta), np.nan)
    return state.gradient


def fit(
    problem: LMMProblem,
    reml: bool = True,
    theta0: FloatArray | None = None,
    max_iterations: int = 500,
) -> LMMFit:
    """Fit by minimising the profiled criterion over ``theta``.

    L-BFGS-B (bounds: diagonal of ``Lambda`` >= 0) with the analytic gradient, then up to
    three Newton steps on the free parameters with the Hessian from central differences of
    the gradient, accepted only when they lower the criterion (this settles the optimum to
    far below the 1e-4 relative agreement with lme4 that the tests require). The same Hessian
    serves lme4's convergence checks (Bates et al. 2015; ``lme4::checkConv``): the Newton
    step ``|H^-1 g|`` must be below :data:`GRADIENT_TOL` and ``H`` positive definite.

    Parameters
    ----------
    problem
        Sufficient statistics from :func:`prepare`.
    reml
        Optimise the REML criterion (default) or the ML deviance (for likelihood-ratio tests
        of fixed effects).
    theta0
        Start values; default lme4's (``Lambda`` = identity).
    max_iterations
        Iteration limit of L-BFGS-B.

    Returns
    -------
    LMMFit
        Estimates, the convergence checks and every warning.
    """
    # The blocks are small (p columns): multi-threaded BLAS only adds overhead here, and much
    # more so on a shared machine, so the fit runs single-threaded.
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        return _fit(problem, reml, theta0, max_iterations)


def _fit(problem: LMMProblem, reml: bool, theta0: FloatArray | None, max_iterations: int) -> LMMFit:
    q = problem.q
    rows, cols = theta_index(q)
    lower = theta_lower_bounds(q)
    start = (
        np.where(rows == cols, 1.0, 0.0)
        if theta0 is None
        else np.maximum(np.asarray(theta0, dtype=float), lower)
    )
    n_eval = 0

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        nonlocal n_eval
        n_eval += 1
        state = _evaluate(problem, theta, reml, gradient=True)
        if state.gradient is None or not math.isfinite(state.deviance):
            return 1e300, np.zeros_like(theta)
        return state.deviance, state.gradient

    bounds = [(lo if math.isfinite(lo) else None, None) for lo in lower]
    result = scipy.optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iterations, "ftol": 1e-12, "gtol": 1e-8, "maxcor": 10},
    )
    theta = np.asarray(result.x, dtype=float)
    state = _evaluate(problem, theta, reml, gradient=True)
    n_eval += 1
    warnings: list[str] = []
    if not math.isfinite(state.deviance) or state.gradient is None:
        warnings.append("criterion not finite at the optimum (rank-deficient X'V^-1X)")
        return _failed_fit(problem, theta, reml, warnings, int(result.nit), n_eval)
    hessian = None
    for _ in range(3):
        assert state.gradient is not None
        free = _free(theta, rows, cols)
        if not np.any(free):
            break
        hessian = _hessian(problem, theta, reml, free)
        n_eval += 2 * int(free.sum())
        if not np.all(np.isfinite(hessian)) or np.linalg.eigvalsh(hessian).min() <= 0.0:
            break
        step = np.zeros_like(theta)
        step[free] = np.linalg.solve(hessian, state.gradient[free])
        if np.max(np.abs(step)) < 1e-10:
            break
        trial = np.maximum(theta - step, lower)
        trial_state = _evaluate(problem, trial, reml, gradient=True)
        n_eval += 1
        if trial_state.gradient is None or not trial_state.deviance <= state.deviance:
            break
        theta, state = trial, trial_state
        hessian = None
    free = _free(theta, rows, cols)
    singular = not bool(np.all(free[rows == cols]))
    if singular:
        warnings.append(
            "boundary (singular) fit: a random-effect variance is zero or a correlation is +-1"
        )
    if hessian is None and np.any(free):
        hessian = _hessian(problem, theta, reml, free)
        n_eval += 2 * int(free.sum())
    assert state.gradient is not None
    checks_ok = _check_optimum(hessian, state.gradient[free], singular, warnings)
    limit_reached = result.status == 1  # L-BFGS-B: iteration or evaluation limit
    if not result.success:
        note = f"optimizer L-BFGS-B stopped with: {_message(result.message)}"
        if checks_ok and not limit_reached:
            note += " (the gradient and Hessian checks at the optimum passed)"
        warnings.append(note)
    lam = lambda_from_theta(theta, q)
    dof = problem.n - problem.p if reml else problem.n
    sigma2 = state.r2 / dof
    xtvx_inv = scipy.linalg.cho_solve((state.xtvx_chol, True), np.eye(problem.p))
    return LMMFit(
        beta=state.beta,
        cov_beta=sigma2 * xtvx_inv,
        sigma2=sigma2,
        cov_re=sigma2 * (lam @ lam.T),
        theta=theta,
        reml=reml,
        deviance=state.deviance,
        converged=checks_ok and not limit_reached,
        singular=singular,
        warnings=tuple(warnings),
        n_iterations=int(result.nit),
        n_evaluations=n_eval,
    )


def _free(theta: FloatArray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Parameters not at their bound (a diagonal of ``Lambda`` below :data:`SINGULAR_TOL`)."""
    return np.asarray(~((rows == cols) & (theta < SINGULAR_TOL)), dtype=bool)


def _message(message: object) -> str:
    text = message.decode() if isinstance(message, bytes) else str(message)
    return " ".join(text.split())


def _hessian(problem: LMMProblem, theta: FloatArray, reml: bool, free: np.ndarray) -> FloatArray:
    """Hessian of the criterion in the free parameters: central differences of the gradient."""
    idx = np.flatnonzero(free)
    hess = np.empty((len(idx), len(idx)))
    for j, i in enumerate(idx):
        step = 1e-5 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        g_up = profiled_gradient(problem, up, reml)
        g_down = profiled_gradient(problem, down, reml)
        hess[:, j] = (g_up[idx] - g_down[idx]) / (2.0 * step)
    return np.asarray(0.5 * (hess + hess.T), dtype=float)


def _check_optimum(
    hessian: FloatArray | None, gradient: FloatArray, singular: bool, warnings: list[str]
) -> bool:
    """lme4-style checks at the optimum (``checkConv``): Newton step and positive Hessian.

    Parameters at their bound (a zero diagonal of ``Lambda``) are excluded, as lme4 does for
    boundary fits.
    """
    if hessian is None:
        return True
    if not np.all(np.isfinite(hessian)):
        warnings.append("Hessian at the optimum is not finite")
        return False
    eigen = np.linalg.eigvalsh(hessian)
    if eigen.min() <= 0.0:
        warnings.append("Hessian at the optimum is not positive definite (not a minimum)")
        return False
    worst = float(np.max(np.abs(np.linalg.solve(hessian, gradient))))
    if worst > GRADIENT_TOL:
        warnings.append(
            f"scaled gradient at the optimum is {worst:.2g} (tolerance {GRADIENT_TOL:g})"
        )
        return False
    if not singular and eigen.max() / eigen.min() > 1e8:
        warnings.append("Hessian at the optimum is very ill-conditioned (near-unidentifiable)")
    return True


def _failed_fit(
    problem: LMMProblem,
    theta: FloatArray,
    reml: bool,
    warnings: list[str],
    n_iterations: int,
    n_evaluations: int,
) -> LMMFit:
    p, q = problem.p, problem.q
    return LMMFit(
        beta=np.full(p, np.nan),
        cov_beta=np.full((p, p), np.nan),
        sigma2=math.nan,
        cov_re=np.full((q, q), np.nan),
        theta=theta,
        reml=reml,
        deviance=math.nan,
        converged=False,
        singular=False,
        warnings=tuple(warnings),
        n_iterations=n_iterations,
        n_evaluations=n_evaluations,
    )
