"""Finite-sample hard-margin SVM through the origin, separability, exact test error.

Gui, Ma & Zhong (poster, Theorem 2) study the max-margin classifier

.. math::

    \\hat\\beta = \\arg\\max_{\\|\\beta\\| \\le 1} \\min_{i \\le n} y_i \\langle z_i, \\beta\\rangle,
    \\qquad \\hat\\kappa = \\min_i y_i \\langle z_i, \\hat\\beta\\rangle,

which gradient descent on the logistic loss converges to in direction on
separable data (Soudry et al. 2018).  This module gives

* :func:`max_margin_cvxpy` -- the reference: the second-order cone program
  above, solved by cvxpy (Clarabel);
* :func:`max_margin` -- a faster exact solver: the equivalent least-distance
  problem ``min ||w|| s.t. y_i <z_i, w> >= 1`` (``beta = w/||w||``,
  ``kappa = 1/||w||``) solved by the Lawson-Hanson reduction to a
  non-negative least-squares problem (Lawson & Hanson 1974, ch. 23), an
  active-set method that terminates with the exact solution; the KKT
  conditions of the result are verified before it is returned;
* :func:`max_margin_path` -- the same for a whole grid of projectors
  ``W_eta`` applied to one sample;
* :func:`is_separable` -- an LP feasibility test (HiGHS);
* :func:`classification_error` -- the exact test error of a linear classifier
  on projected features, ``Phi(-<mu, W_eta beta> / ||W_eta beta||)`` (with an
  intercept, the average of the two class-conditional errors).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import linprog, nnls
from scipy.special import ndtr

from theory._validation import check_matrix, check_scalar, check_vector

__all__ = [
    "MaxMarginFit",
    "check_labels",
    "project",
    "classification_error",
    "is_separable",
    "max_margin",
    "max_margin_cvxpy",
    "max_margin_path",
]


class MaxMarginFit(NamedTuple):
    """A fitted hard-margin SVM through the origin."""

    beta: np.ndarray  #: unit-norm direction, shape (p,)
    margin: float  #: min_i y_i <z_i, beta> (> 0)
    n_support: int  #: number of support vectors (active constraints)


def check_labels(y, n: int) -> np.ndarray:
    """Validate labels in ``{-1, +1}`` of length ``n``; return them as float."""
    y = check_vector(y, "y", size=n)
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("y must contain only the labels -1 and +1")
    return y


def _check_data(Z, y):
    Z = check_matrix(Z, "Z")
    y = check_labels(y, Z.shape[0])
    return Z, y


def project(h, mu, eta: float) -> np.ndarray:
    """``z = W_eta h`` row-wise without forming ``W_eta``: ``h + eta (h.mu / rho) mu``.

    Equal to ``h @ theory.phase.w_eta(mu, eta)`` (``W_eta`` is symmetric) in
    ``O(n p)`` instead of ``O(n p^2)``.
    """
    mu = check_vector(mu, "mu", nonzero=True)
    h = check_matrix(h, "h", shape=(None, mu.size))
    eta = check_scalar(eta, "eta", low=-1.0, closed="neither")
    return h + eta * np.outer(h @ mu / float(mu @ mu), mu)


def classification_error(beta, mu, eta: float, gamma: float = 0.0) -> float:
    """Exact test error of ``x -> sign(gamma + <W_eta x, beta>)`` on a fresh 2-GMM draw.

    With ``v = W_eta beta`` (``<W_eta h, beta> = <h, v>``, ``W_eta`` symmetric),
    ``m = <mu, v>`` and ``sigma = ||v||``,

    .. math::

        \\mathrm{Err}(\\gamma, \\beta; \\eta) = P\\big(y'(\\gamma + \\langle z', \\beta\\rangle) < 0\\big)
        = \\tfrac12\\Phi\\Big(-\\frac{m + \\gamma}{\\sigma}\\Big) + \\tfrac12\\Phi\\Big(-\\frac{m - \\gamma}{\\sigma}\\Big),

    which is ``Phi(-<mu, W_eta beta> / ||W_eta beta||)`` for ``gamma = 0``
    (test labels equiprobable).  No sampling is involved.

    Parameters
    ----------
    beta : array_like, shape (p,)
        Classifier weights on the projected features ``z``.
    mu : array_like, shape (p,)
        Class mean (non-zero).
    eta : float
        Projector parameter, ``eta > -1``.
    gamma : float, default 0
        Intercept.

    Returns
    -------
    float
        The error; ``1/2`` for ``beta = 0`` (a constant classifier).
    """
    mu = check_vector(mu, "mu", nonzero=True)
    beta = check_vector(beta, "beta", size=mu.size)
    eta = check_scalar(eta, "eta", low=-1.0, closed="neither")
    gamma = check_scalar(gamma, "gamma")
    v = beta + eta * (float(beta @ mu) / float(mu @ mu)) * mu
    sigma = float(np.linalg.norm(v))
    if sigma == 0.0:
        return 0.5
    m = float(mu @ v)
    return 0.5 * float(ndtr(-(m + gamma) / sigma)) + 0.5 * float(ndtr(-(m - gamma) / sigma))


def is_separable(Z, y, *, tol: float = 1e-7) -> bool:
    """LP test of strict linear separability through the origin.

    ``exists beta: y_i <z_i, beta> > 0 for all i`` iff the feasibility LP
    ``y_i <z_i, w> >= 1 for all i`` (``w`` free) has a solution -- rescale
    ``beta``.  It is solved with HiGHS (``scipy.optimize.linprog``): a
    feasible point means separable, a certificate of infeasibility means not.
    Where HiGHS returns neither (numerical trouble on nearly degenerate
    instances), the bounded LP

    .. math::

        t^* = \\max\\{t : y_i \\langle z_i, w\\rangle \\ge t \\;\\forall i,\\; \\|w\\|_\\infty \\le 1,\\; t \\le 1\\},

    always feasible and bounded, decides: separable iff
    ``t* > tol * max_i ||z_i||_1`` (``tol`` above HiGHS's 1e-7 feasibility
    tolerance on this scale).  Separability is invariant under any
    invertible linear map of the features, so it is the same for every
    ``W_eta``.
    """
    Z, y = _check_data(Z, y)
    tol = check_scalar(tol, "tol", low=0.0, closed="neither")
    n, p = Z.shape
    X = y[:, None] * Z
    res = linprog(np.zeros(p), A_ub=-X, b_ub=-np.ones(n), bounds=[(None, None)] * p, method="highs")
    if res.status == 0:
        return True
    if res.status == 2:
        return False
    scale = float(np.max(np.sum(np.abs(X), axis=1)))
    return bool(_bounded_separability_margin(X) > tol * scale)


def _bounded_separability_margin(X: np.ndarray) -> float:
    """``t* = max{t : X w >= t, ||w||_inf <= 1, t <= 1}`` by HiGHS's interior point (the fallback of
    :func:`is_separable`); ``t* > 0`` iff the rows of ``X`` (``y_i z_i``) are strictly separable."""
    n, p = X.shape
    c = np.zeros(p + 1)
    c[p] = -1.0
    res = linprog(
        c,
        A_ub=np.hstack([-X, np.ones((n, 1))]),
        b_ub=np.zeros(n),
        bounds=[(-1.0, 1.0)] * p + [(None, 1.0)],
        method="highs-ipm",
    )
    if res.status != 0:
        raise RuntimeError(f"separability LP did not finish: {res.message}")  # pragma: no cover
    return float(-res.fun)


def _not_separable() -> ValueError:
    return ValueError(
        "Z, y are not linearly separable through the origin: the hard-margin SVM has no "
        "solution (check with is_separable; above delta* this is the typical case)"
    )


def _ldp(X: np.ndarray, *, kkt_tol: float = 1e-7) -> MaxMarginFit:
    """Least-distance programming ``min ||w|| s.t. X w >= 1`` by NNLS.

    Lawson & Hanson (1974), Algorithm LDP: with ``E = [X^T; 1^T]`` and
    ``f = e_{p+1}``, let ``u = argmin_{u >= 0} ||E u - f||`` and ``r = E u - f``.
    If ``r = 0`` the constraints are incompatible; otherwise
    ``w = -r_{1:p} / r_{p+1}``.  Since ``r`` is orthogonal to ``E u``,
    ``||r||^2 = -r_{p+1} = kappa^2 / (1 + kappa^2)`` with ``kappa = 1/||w||``;
    ``-r_{p+1}`` is computed as ``||r||^2`` (no cancellation), not as
    ``1 - sum(u)``, which has no correct digits for margins below ~1e-7.
    """
    n, p = X.shape
    E = np.empty((p + 1, n))
    E[:p] = X.T
    E[p] = 1.0
    f = np.zeros(p + 1)
    f[p] = 1.0
    u, _ = nnls(E, f, maxiter=max(50 * n, 1000))
    Xu = X.T @ u
    r_last = float(u.sum()) - 1.0
    # -r_last = ||r||^2 = ||X^T u||^2 + r_last^2 at the NNLS optimum; the sum of squares has no
    # cancellation, while 1 - sum(u) loses all digits when the margin is small (kappa^2 ~ 1e-13).
    neg_r = float(Xu @ Xu) + r_last * r_last
    scale = float(np.sqrt(np.mean(np.sum(X * X, axis=1))))
    # neg_r = kappa^2/(1+kappa^2): a margin below ~1e-7 of the data scale is "not separable"
    if neg_r <= (1e-7 * scale) ** 2 or not np.isfinite(neg_r):
        raise _not_separable()
    w = Xu / neg_r
    margins = X @ w
    if margins.min() < 1.0 - kkt_tol:
        raise RuntimeError(f"max_margin: primal feasibility violated (min margin {margins.min():.3e} < 1)")
    # stationarity: w = sum_i alpha_i x_i with alpha = u / (-r_last) >= 0 and
    # complementary slackness alpha_i (x_i.w - 1) = 0
    alpha = u / neg_r
    if np.max(alpha * (margins - 1.0)) > kkt_tol * max(1.0, float(alpha.sum())):
        raise RuntimeError("max_margin: complementary slackness violated")  # pragma: no cover
    norm = float(np.linalg.norm(w))
    beta = w / norm
    return MaxMarginFit(beta=beta, margin=float((X @ beta).min()), n_support=int(np.sum(u > 0)))


def max_margin(Z, y) -> MaxMarginFit:
    """Exact hard-margin SVM through the origin (fast; Lawson-Hanson NNLS).

    Parameters
    ----------
    Z : array_like, shape (n, p)
        Features (rows ``z_i``).
    y : array_like, shape (n,)
        Labels in ``{-1, +1}``.

    Returns
    -------
    MaxMarginFit
        ``beta`` (unit norm), ``margin = min_i y_i <z_i, beta>`` and the
        number of support vectors.  Agrees with :func:`max_margin_cvxpy`.

    Raises
    ------
    ValueError
        If the data are not linearly separable through the origin (the
        hard-margin problem has no solution), or on malformed input.
    """
    Z, y = _check_data(Z, y)
    return _ldp(y[:, None] * Z)


def max_margin_cvxpy(Z, y, *, solver: str = "CLARABEL", **solver_options) -> MaxMarginFit:
    """Reference hard-margin SVM: the SOCP ``max t s.t. y_i <z_i, b> >= t, ||b|| <= 1``.

    Solved with cvxpy (default solver Clarabel, an interior-point method;
    ``solver_options`` are passed to it, e.g. ``tol_gap_abs=1e-12``).
    Slow for large ``n p``; use :func:`max_margin` for sweeps.

    Raises
    ------
    ValueError
        If the optimal margin is not positive (data not separable).
    """
    import cvxpy as cp

    Z, y = _check_data(Z, y)
    n, p = Z.shape
    X = y[:, None] * Z
    b = cp.Variable(p)
    t = cp.Variable()
    prob = cp.Problem(cp.Maximize(t), [X @ b >= t, cp.norm(b, 2) <= 1])
    prob.solve(solver=solver, **solver_options)
    if prob.status not in ("optimal", "optimal_inaccurate") or b.value is None:
        raise RuntimeError(f"max_margin_cvxpy: solver status {prob.status}")
    scale = float(np.sqrt(np.mean(np.sum(X * X, axis=1))))
    if float(t.value) <= 1e-6 * scale:
        raise _not_separable()
    beta = np.asarray(b.value, dtype=np.float64)
    beta = beta / np.linalg.norm(beta)
    margins = X @ beta
    kappa = float(margins.min())
    n_sv = int(np.sum(margins <= kappa * (1 + 1e-5)))
    return MaxMarginFit(beta=beta, margin=kappa, n_support=n_sv)


def max_margin_path(h, y, mu, etas) -> list[MaxMarginFit]:
    """Max-margin fits on ``z = W_eta h`` for each ``eta`` in ``etas`` (one sample).

    Separability does not depend on ``eta``, so one non-separable sample
    raises for the whole path.  Each fit is exact (:func:`max_margin`).
    """
    mu = check_vector(mu, "mu", nonzero=True)
    h = check_matrix(h, "h", shape=(None, mu.size))
    y = check_labels(y, h.shape[0])
    etas = check_vector(etas, "etas")
    if np.any(etas <= -1.0):
        raise ValueError(f"etas must be in (-1, inf), got {float(etas[etas <= -1.0][0])!r}")
    X0 = y[:, None] * h
    along = X0 @ mu / float(mu @ mu)
    return [_ldp(X0 + eta * np.outer(along, mu)) for eta in etas]
