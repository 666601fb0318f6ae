"""l2-regularised logistic regression with intercept on projected 2-GMM features.

Gui, Ma & Zhong (poster, "Invariance of generalization error in
low-dimensional regime", Proposition):

.. math::

    \\ell_n(\\gamma, \\beta; \\lambda_n) = \\frac1n \\sum_{i=1}^n
    \\log\\big(1 + e^{-y_i(\\gamma + \\langle z_i, \\beta\\rangle)}\\big) + \\lambda_n \\|\\beta\\|^2,

with ``z_i = W_eta h_i`` and the intercept ``gamma`` not penalised.  The
test error of the minimiser is computed exactly by
:func:`theory.svm.classification_error`.  The proposition says: for fixed
``p`` and ``n -> inf``,

1. ``lambda_n = a b_n`` with ``b_n << sqrt(n)``: ``Err = Phi(-||mu||) + O_P(b_n / sqrt(n))``
   for every ``eta`` (the measured rate is faster, see ``docs/maxmargin.md``);
2. ``lambda_n = a sqrt(n)``: ``Err`` is decreasing in ``eta`` -- which needs
   random class proportions (i.i.d. labels); with exactly balanced labels
   the limit is the Bayes error for every ``eta``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import expit, log_expit

from theory._validation import check_int, check_matrix, check_scalar
from theory.svm import check_labels, classification_error, project

__all__ = ["LogisticFit", "logistic_objective", "fit_logistic", "fit_logistic_path"]


class LogisticFit(NamedTuple):
    """Minimiser of the regularised logistic loss."""

    gamma: float  #: intercept
    beta: np.ndarray  #: weights on the features, shape (p,)
    objective: float  #: l_n(gamma, beta; lambda_n) at the minimiser
    n_iter: int  #: Newton iterations used


def logistic_objective(gamma: float, beta, Z, y, lam: float) -> float:
    """``l_n(gamma, beta; lambda) = mean log(1 + exp(-y (gamma + Z beta))) + lambda ||beta||^2``."""
    Z = np.asarray(Z, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    margin = y * (gamma + Z @ beta)
    return float(-np.mean(log_expit(margin)) + lam * float(beta @ beta))


def fit_logistic(Z, y, lam: float, *, tol: float = 1e-10, max_iter: int = 200) -> LogisticFit:
    """Minimise ``l_n(gamma, beta; lambda)`` by damped Newton's method.

    The objective is strictly convex (the penalty makes it strictly convex in
    ``beta``, the logistic loss in ``gamma``) and coercive as soon as both
    labels occur, so the minimiser exists and is unique.  Newton steps with
    Armijo backtracking; stops when the gradient's max-norm is below ``tol``.

    Parameters
    ----------
    Z : array_like, shape (n, p)
        Features.
    y : array_like, shape (n,)
        Labels in ``{-1, +1}``; both must occur.
    lam : float
        ``lambda_n > 0``.
    tol : float
        Gradient tolerance.
    max_iter : int
        Maximum number of Newton steps.

    Returns
    -------
    LogisticFit

    Raises
    ------
    ValueError
        On bad input, or if only one label occurs (no finite minimiser).
    """
    Z = check_matrix(Z, "Z")
    y = check_labels(y, Z.shape[0])
    lam = check_scalar(lam, "lam", low=0.0, closed="neither")
    tol = check_scalar(tol, "tol", low=0.0, closed="neither")
    max_iter = check_int(max_iter, "max_iter", low=1)
    if np.all(y == y[0]):
        raise ValueError("y must contain both labels -1 and +1 (otherwise the intercept diverges)")
    n, p = Z.shape
    A = np.hstack([np.ones((n, 1)), Z])  # design with intercept column
    pen = np.full(p + 1, 2.0 * lam)
    pen[0] = 0.0
    theta = np.zeros(p + 1)

    def objective(th):
        return float(-np.mean(log_expit(y * (A @ th))) + lam * float(th[1:] @ th[1:]))

    f = objective(theta)
    for it in range(1, max_iter + 1):
        m = y * (A @ theta)
        s = expit(-m)  # sigma(-y f)
        grad = -(A.T @ (y * s)) / n + pen * theta
        if np.max(np.abs(grad)) <= tol:
            return LogisticFit(float(theta[0]), theta[1:].copy(), f, it - 1)
        w = s * (1.0 - s)
        H = (A.T * w) @ A / n + np.diag(pen)
        step = np.linalg.solve(H, -grad)
        dec = float(grad @ step)  # -(Newton decrement)^2
        if -dec < 1e-14:
            # inside the quadratic-convergence region objective differences are
            # below rounding, so Armijo cannot judge: take the full step
            theta = theta + step
            f = objective(theta)
            continue
        t = 1.0
        while True:
            cand = theta + t * step
            fc = objective(cand)
            if fc <= f + 1e-4 * t * dec or t < 1e-12:
                break
            t *= 0.5
        theta, f = cand, fc
    raise RuntimeError(f"fit_logistic did not converge in {max_iter} Newton steps")  # pragma: no cover


def fit_logistic_path(h, y, mu, etas, lam: float) -> list[tuple[LogisticFit, float]]:
    """Fit on ``z = W_eta h`` for each ``eta``; return ``(fit, exact test error)`` pairs."""
    out = []
    for eta in np.atleast_1d(np.asarray(etas, dtype=np.float64)):
        fit = fit_logistic(project(h, mu, float(eta)), y, lam)
        out.append((fit, classification_error(fit.beta, mu, float(eta), fit.gamma)))
    return out
