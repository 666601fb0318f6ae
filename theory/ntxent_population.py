"""The infinite-batch NT-Xent loss of the 2-GMM model, on the reduced family M(t).

SimCLR minimises NT-Xent with per-sample cosine similarities, not the
poster's population-normalised loss ``C`` (:mod:`theory.population_loss`).
Its large-batch limit (NT-Xent minus ``log(2N - 1)`` as ``N -> inf``) is

.. math::

    L_\\infty(W) = -\\frac{1}{\\tau} E\\big[\\cos(W h_1^+, W h_2^+)\\big]
                 + E_{h_1^+}\\Big[\\log E_{h^-} \\exp\\big(\\cos(W h_1^+, W h^-)/\\tau\\big)\\Big],

with ``h = y mu + g``, views ``h^+ | h ~ N(h, sigma2 I)`` and ``h^-`` a view
of an independent sample.  On the family
``W(t) = sqrt(t) uu^T + sqrt((1-t)/(p-1)) (I - uu^T)`` (expansion measure
``t``) every cosine depends on a few scalars (``docs/expansion_shrinkage.md``,
section 9):

* the anchor ``a = h_1^+``: its coordinate along ``u``,
  ``a_u = sqrt(rho) + sqrt(S) Z_1`` (``S = 1 + sigma2``; ``y = 1`` by
  symmetry), and ``Q = |a_perp|^2 ~ S chi^2_{p-1}``;
* the positive ``b = h_2^+`` given ``a`` (regression of jointly Gaussian
  views, ``Cov = 1``, ``Var = S``): ``b_u = sqrt(rho) + (a_u - sqrt(rho))/S +
  sqrt(S - 1/S) Z_4``, and ``b_perp = a_perp/S + sqrt(S - 1/S) xi``, whose
  part along ``a_perp`` is ``|a_perp|/S + sqrt(S - 1/S) Z_5`` and whose rest
  has squared norm ``(S - 1/S) chi^2_{p-2}``;
* the negative ``b = h^-``, independent of ``a``: ``b_u = y' sqrt(rho) +
  sqrt(S) Z_2`` (``y' = +-1``), part along ``a_perp`` ``sqrt(S) Z_3``, rest
  ``S chi^2_{p-2}``.

So ``L_inf(t)`` is a 5-dimensional integral (2 outer + 3 inner dimensions
for the log-mean-exp), computed here by tensor Gauss quadrature:
Gauss-Hermite for the normals and Gauss-Laguerre (Golub-Welsch, any
``p``) for the chi-squares.  The error estimate is the difference between
the rule with ``n`` nodes per dimension and with ``n + 6``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import logsumexp, roots_hermitenorm
from scipy.special import ndtr as _ndtr

from theory._validation import check_int, check_scalar
from theory.population_loss import golden_section

__all__ = ["NTXentValue", "population_ntxent", "minimize_population_ntxent", "cosine_terms"]


class NTXentValue(NamedTuple):
    """``L_inf(t)`` with its parts and a quadrature error estimate."""

    value: float  #: -positive / tau + negative
    positive: float  #: E cos(W h1+, W h2+)
    negative: float  #: E log E exp(cos(W h1+, W h-) / tau)
    error: float  #: |value(n) - value(n + 6)|


def _hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) for E f(Z), Z ~ N(0, 1)."""
    x, w = roots_hermitenorm(n)
    return x, w / w.sum()


def _chi2(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) for E f(X), X ~ chi^2_k (k = 0: the point 0).

    Gauss-Laguerre for the weight ``y^(k/2 - 1) e^-y`` by Golub-Welsch on its
    Jacobi matrix (diagonal ``2j + alpha + 1``, off-diagonal
    ``sqrt(j (j + alpha))``), so it works for any ``k`` (no Gamma-function
    overflow); ``X = 2 y``.
    """
    if k == 0:
        return np.zeros(1), np.ones(1)
    alpha = 0.5 * k - 1.0
    j = np.arange(n, dtype=np.float64)
    diag = 2.0 * j + alpha + 1.0
    off = np.sqrt(j[1:] * (j[1:] + alpha))
    y, vecs = eigh_tridiagonal(diag, off)
    w = vecs[0] ** 2
    return 2.0 * y, w / w.sum()


def _cos(t, c2, au, bu, ab_perp, aa_perp, bb_perp):
    """cos(W a, W b) from the coordinates along u and the perpendicular inner products."""
    num = t * au * bu + c2 * ab_perp
    den2 = (t * au * au + c2 * aa_perp) * (t * bu * bu + c2 * bb_perp)
    safe = den2 > 0
    return np.where(safe, num / np.sqrt(np.where(safe, den2, 1.0)), 0.0)


def cosine_terms(t: float, sigma2: float, tau: float, rho: float, p: int | None, n: int = 12) -> tuple[float, float]:
    """``(E cos_positive, E log E exp(cos_negative / tau))`` by the ``n``-node tensor rule (no validation).

    ``p = None`` gives the limit ``p -> inf`` (:func:`_large_p_terms`).
    """
    S = 1.0 + sigma2
    r = math.sqrt(rho)
    if t >= 1.0:  # rank one: cos = sign(a_u b_u), in closed form
        from scipy.stats import multivariate_normal

        # a_u, b_u ~ N(r, S) with covariance 1: P(a_u b_u < 0) = P(a_u < 0, b_u > 0) + P(a_u > 0, b_u < 0)
        both_neg = multivariate_normal(mean=[0.0, 0.0], cov=[[S, 1.0], [1.0, S]]).cdf([-r, -r])
        one_neg = 2.0 * (_ndtr(-r / math.sqrt(S)) - both_neg)
        # a negative's sign is +-1 with probability 1/2 whatever a: E exp(cos/tau) = cosh(1/tau)
        return 1.0 - 2.0 * one_neg, float(np.logaddexp(1.0 / tau, -1.0 / tau) - math.log(2.0))
    if p is None:
        return _large_p_terms(t, S, r, tau, n)
    c2 = (1.0 - t) / (p - 1)
    k = p - 1
    zh, wh = _hermite(n)
    qk, wk = _chi2(n, k)
    qr, wr = _chi2(n, k - 1)
    # outer: anchor a (Z1, Q)
    au = (r + math.sqrt(S) * zh)[:, None]  # (n, 1)
    Q = (S * qk)[None, :]  # (1, n)
    w_out = wh[:, None] * wk[None, :]
    # positive: b | a (Z4, Z5, R), axes (outer..., Z4, Z5, R)
    res = math.sqrt(max(S - 1.0 / S, 0.0))
    A_u = au[..., None, None, None]
    A_q = Q[..., None, None, None]
    bu = r + (A_u - r) / S + res * zh[:, None, None]
    b_par = np.sqrt(A_q) / S + res * zh[None, :, None]
    rest = (res * res) * qr[None, None, :]
    cos_pos = _cos(t, c2, A_u, bu, np.sqrt(A_q) * b_par, A_q, b_par * b_par + rest)
    w_in = wh[:, None, None] * wh[None, :, None] * wr[None, None, :]
    positive = float(np.sum(w_out * np.sum(cos_pos * w_in, axis=(-3, -2, -1))))
    # negative: independent b (y', Z2, Z3, R); log-mean-exp per anchor
    logs = []
    for y in (1.0, -1.0):
        bu = y * r + math.sqrt(S) * zh[:, None, None]
        b_par = math.sqrt(S) * zh[None, :, None]
        rest = S * qr[None, None, :]
        cos_neg = _cos(t, c2, A_u, bu, np.sqrt(A_q) * b_par, A_q, b_par * b_par + rest)
        logs.append(logsumexp(cos_neg / tau, axis=(-3, -2, -1), b=np.broadcast_to(0.5 * w_in, cos_neg.shape)))
    lme = np.logaddexp(logs[0], logs[1])
    negative = float(np.sum(w_out * lme))
    return positive, negative


def _large_p_terms(t: float, S: float, r: float, tau: float, n: int) -> tuple[float, float]:
    """The two terms as ``p -> inf`` on ``M(t)``: the perpendicular parts concentrate.

    With ``c2 = (1 - t)/(p - 1)``: ``c2 |a_perp|^2 -> (1 - t) S``,
    ``c2 <a_perp, b_perp> -> (1 - t)`` for a positive (covariance 1 per
    coordinate) and ``-> 0`` for a negative, so only the coordinates along
    ``u`` stay random (docs/expansion_shrinkage.md, section 9.1):

        cos+ = (t a b + (1-t)) / sqrt((t a^2 + (1-t) S)(t b^2 + (1-t) S)),
        cos- = t a b- / sqrt((t a^2 + (1-t) S)(t b-^2 + (1-t) S)),

    a 2-dimensional Gauss-Hermite integral for each term.
    """
    zh, wh = _hermite(n)
    q = 1.0 - t
    au = (r + math.sqrt(S) * zh)[:, None]
    res = math.sqrt(max(S - 1.0 / S, 0.0))
    bu = r + (au - r) / S + res * zh[None, :]
    cos_pos = _cos(t, q, au, bu, 1.0, S, S)
    positive = float(wh @ cos_pos @ wh)
    logs = []
    for y in (1.0, -1.0):
        bn = (y * r + math.sqrt(S) * zh)[None, :]
        cos_neg = _cos(t, q, au, bn, 0.0, S, S)
        logs.append(logsumexp(cos_neg / tau, axis=1, b=np.broadcast_to(0.5 * wh[None, :], cos_neg.shape)))
    negative = float(wh @ np.logaddexp(logs[0], logs[1]))
    return positive, negative


def _check(t, sigma2, tau, rho, p, n):
    t = check_scalar(t, "t", low=0.0, high=1.0)
    sigma2 = check_scalar(sigma2, "sigma2", low=1e-3, high=1e2)
    tau = check_scalar(tau, "tau", low=0.05, high=1e3)
    rho = check_scalar(rho, "rho", low=1e-3, high=1e2)
    p = None if p is None else check_int(p, "p", low=2, high=10**6)
    n = check_int(n, "n", low=4, high=40)
    return t, sigma2, tau, rho, p, n


def population_ntxent(t: float, sigma2: float, tau: float, rho: float, p: int | None, *, n: int = 12) -> NTXentValue:
    """Infinite-batch NT-Xent ``L_inf(t)`` on the reduced family, by tensor Gauss quadrature.

    Parameters
    ----------
    t : float
        Expansion measure in [0, 1] (``t = 1``: rank one along ``mu``).
    sigma2 : float
        Augmentation variance, in [1e-3, 1e2].
    tau : float
        Temperature, in [0.05, 1e3] (below 0.05 the ``exp(cos/tau)``
        integrand is too peaked for the rule; use Monte Carlo there).
    rho : float
        ``||mu||^2``, in [1e-3, 1e2].
    p : int or None
        Dimension (2 to 1e6); ``None``: the limit ``p -> inf``, where the
        perpendicular parts concentrate and the loss is a 2-dimensional
        integral over the coordinates along ``mu`` (section 9.1 of
        ``docs/expansion_shrinkage.md``; ``L_p - L_inf = O(1/p)``).
    n : int
        Nodes per dimension (4 to 40; cost ``~ 2 n^5``, ``~ 2 n^2`` for
        ``p = None``); the error estimate compares with ``n + 6``.

    Returns
    -------
    NTXentValue
    """
    t, sigma2, tau, rho, p, n = _check(t, sigma2, tau, rho, p, n)
    pos, neg = cosine_terms(t, sigma2, tau, rho, p, n)
    pos2, neg2 = cosine_terms(t, sigma2, tau, rho, p, n + 6)
    value = -pos / tau + neg
    return NTXentValue(float(value), float(pos), float(neg), float(abs(value - (-pos2 / tau + neg2))))


def minimize_population_ntxent(sigma2: float, tau: float, rho: float, p: int | None, *, n: int = 12, n_grid: int = 17,
                               n_iter: int = 40) -> tuple[float, float]:
    """``(t*, L_inf(t*))``: a grid of ``n_grid`` values of ``t`` locates the best basin, golden section refines it.

    The end points win when within ``1e-12 |L|`` of the refined value (so a
    rank-one minimiser is reported as ``t = 1``).  The quadrature rule is
    fixed (``n`` nodes), so the objective is a smooth deterministic function
    of ``t``.  ``p = None``: the minimiser of the large-``p`` limit.
    """
    _, sigma2, tau, rho, p, n = _check(0.5, sigma2, tau, rho, p, n)
    n_grid = check_int(n_grid, "n_grid", low=3, high=10_000)

    def f(t: float) -> float:
        pos, neg = cosine_terms(t, sigma2, tau, rho, p, n)
        return -pos / tau + neg

    grid = np.linspace(0.0, 1.0, n_grid)
    vals = np.array([f(x) for x in grid])
    i = int(np.argmin(vals))
    lo, hi = golden_section(lambda x: np.array([f(float(v)) for v in np.atleast_1d(x)]),
                            np.array([grid[max(i - 1, 0)]]), np.array([grid[min(i + 1, n_grid - 1)]]), n_iter)
    t_mid = float(0.5 * (lo[0] + hi[0]))
    cands = [(f(t_mid), t_mid), (vals[0] - 1e-12 * abs(vals[0]), 0.0), (vals[-1] - 1e-12 * abs(vals[-1]), 1.0)]
    best = min(cands)
    return float(best[1]), float(f(best[1]))
