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
  sqrt(S) Z_2`` (``y' = +-1``), ``|b_perp|^2 ~ S chi^2_{p-1}`` and, its
  direction being uniform, its cosine ``X`` with ``a_perp`` of density
  ``(1 - x^2)^((p-4)/2)`` on ``[-1, 1]``.

So ``L_inf(t)`` is a 5-dimensional integral (2 outer + 3 inner dimensions
for the log-mean-exp), computed here by tensor Gauss quadrature:
Gauss-Hermite for the normals, Gauss-Laguerre (Golub-Welsch, any
``p``) for the chi-squares and Gauss-Gegenbauer for ``X``.  The error estimate is the difference between
the rule with ``n`` nodes per dimension and with ``n + 6``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import integrate
from scipy.linalg import eigh_tridiagonal
from scipy.special import logsumexp, poch, roots_hermitenorm, roots_legendre
from scipy.special import ndtr as _ndtr

from theory._validation import check_int, check_scalar
from theory.population_loss import golden_section

__all__ = ["NTXentValue", "population_ntxent", "minimize_population_ntxent", "cosine_terms",
           "rank_one_sqrt_coefficient"]


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


def _sphere_cosine(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) for E f(X), X the cosine between a fixed and a uniform direction of R^k.

    ``X`` has density ``(1 - x^2)^((k - 3)/2)`` on ``[-1, 1]`` up to a constant
    (``k = 1``: the points ``+-1``).  Gauss-Gegenbauer for ``lambda = (k - 2)/2``
    by Golub-Welsch on its Jacobi matrix (diagonal 0, off-diagonal
    ``sqrt(j (j + 2 lambda - 1) / (4 (j + lambda)(j + lambda - 1)))``), so it
    works for any ``k`` (no Gamma-function overflow); ``k = 2`` (``lambda = 0``,
    where that formula is 0/0 at ``j = 1``) is Gauss-Chebyshev.
    """
    if k == 1:
        return np.array([-1.0, 1.0]), np.array([0.5, 0.5])
    if k == 2:
        return np.cos((2.0 * np.arange(n, 0, -1) - 1.0) * np.pi / (2.0 * n)), np.full(n, 1.0 / n)
    lam = 0.5 * (k - 2)
    j = np.arange(1, n, dtype=np.float64)
    off = np.sqrt(j * (j + 2.0 * lam - 1.0) / (4.0 * (j + lam) * (j + lam - 1.0)))
    x, vecs = eigh_tridiagonal(np.zeros(n), off)
    w = vecs[0] ** 2
    return x, w / w.sum()


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
    # negative: independent b (y', Z2, |b_perp|^2 = S chi^2_k, X), its perpendicular part isotropic: its cosine X
    # with a_perp has the density (1 - x^2)^((k-3)/2), a smooth weight for a Gauss rule (a split into the part
    # along a_perp and the rest would leave cos = b_par / |b_perp| discontinuous at b_perp = 0); log-mean-exp per
    # anchor
    xs, ws = _sphere_cosine(n, k)
    w_neg = wh[:, None, None] * wk[None, :, None] * ws[None, None, :]
    logs = []
    for y in (1.0, -1.0):
        bu = y * r + math.sqrt(S) * zh[:, None, None]
        B_q = S * qk[None, :, None]
        cos_neg = _cos(t, c2, A_u, bu, np.sqrt(A_q * B_q) * xs[None, None, :], A_q, B_q)
        logs.append(logsumexp(cos_neg / tau, axis=(-3, -2, -1), b=np.broadcast_to(0.5 * w_neg, cos_neg.shape)))
    lme = np.logaddexp(logs[0], logs[1])
    negative = float(np.sum(w_out * lme))
    return positive, negative


def _panel_rule(edges: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Composite ``n``-point Gauss-Legendre rule on the panels between sorted ``edges`` (last axis).

    Zero-width panels (repeated edges) get zero weight, so rows with different
    edges but the same number of them stack into one array.
    """
    x, w = roots_legendre(n)
    lo, hi = edges[..., :-1, None], edges[..., 1:, None]
    nodes = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    weights = 0.5 * (hi - lo) * w
    shape = edges.shape[:-1] + (-1,)
    return nodes.reshape(shape), weights.reshape(shape)


def _layer_edges(centre: np.ndarray, width: float, lo: float, hi: float, step: float) -> np.ndarray:
    """Panel edges on ``[lo, hi]``: spacing ``step``, refined geometrically (ratio 2) towards ``centre``
    down to ``width / 100``; one sorted row per entry of ``centre``."""
    steps = width * 1e-2 * 2.0 ** np.arange(int(np.ceil(np.log2(100.0 * (hi - lo) / width))) + 1)
    c = np.asarray(centre, dtype=float)[..., None]
    uniform = np.linspace(lo, hi, int(np.ceil((hi - lo) / step)) + 1)
    uniform = np.broadcast_to(uniform, c.shape[:-1] + uniform.shape)
    e = np.concatenate([c - steps[::-1], c, c + steps, uniform], axis=-1)
    return np.sort(np.clip(e, lo, hi), axis=-1)


def _normal_density(x, mean, var):
    return np.exp(-0.5 * (x - mean) ** 2 / var) / math.sqrt(2.0 * math.pi * var)


def _large_p_terms(t: float, S: float, r: float, tau: float, n: int) -> tuple[float, float]:
    """The two terms as ``p -> inf`` on ``M(t)``: the perpendicular parts concentrate.

    With ``c2 = (1 - t)/(p - 1)``: ``c2 |a_perp|^2 -> (1 - t) S``,
    ``c2 <a_perp, b_perp> -> (1 - t)`` for a positive (covariance 1 per
    coordinate) and ``-> 0`` for a negative, so only the coordinates along
    ``u`` stay random (docs/expansion_shrinkage.md, section 9.1):

        cos+ = (t a b + (1-t)) / sqrt((t a^2 + (1-t) S)(t b^2 + (1-t) S)),
        cos- = t a b- / sqrt((t a^2 + (1-t) S)(t b-^2 + (1-t) S)),

    a 2-dimensional integral for each term.  Near rank one the cosines jump
    from -1 to 1 across a layer of width ``sqrt((1 - t) S)`` around
    ``a = 0`` and ``b = 0`` (section 9.3), which a Gauss-Hermite rule cannot
    resolve; so the rule here is composite Gauss-Legendre (``n`` nodes per
    panel) on panels of unit width refined geometrically towards ``a = 0``
    and ``b = 0`` down to 1/100 of the layer, with the Gaussian densities as
    weights (the positive view in its standardised coordinate ``z``,
    ``b = m(a) + sqrt(S - 1/S) z``, refined towards the ``z`` where
    ``b = 0``).
    """
    q = 1.0 - t
    width = math.sqrt(q * S)
    sd = math.sqrt(S)
    x, w = _panel_rule(_layer_edges(np.zeros(()), width, -(r + 14.0 * sd), r + 14.0 * sd, sd), n)
    au, wa = x[:, None], (w * _normal_density(x, r, S))[:, None]
    # positive view given the anchor, in z = (b - m(a)) / res, refined towards b = 0
    res = math.sqrt(S - 1.0 / S)
    mean_b = r + (au[:, 0] - r) / S
    z, wz = _panel_rule(_layer_edges(-mean_b / res, width / res, -12.0, 12.0, 1.0), n)
    bu = mean_b[:, None] + res * z
    cos_pos = _cos(t, q, au, bu, 1.0, S, S)
    positive = float(np.sum(wa * wz * _normal_density(z, 0.0, 1.0) * cos_pos))
    # negatives: b- ~ (N(r, S) + N(-r, S)) / 2, independent of the anchor
    bn, wb = x[None, :], (w * 0.5 * (_normal_density(x, r, S) + _normal_density(x, -r, S)))[None, :]
    cos_neg = _cos(t, q, au, bn, 0.0, S, S)
    lme = logsumexp(cos_neg / tau, axis=1, b=np.broadcast_to(wb, cos_neg.shape))
    negative = float(np.sum(wa[:, 0] * lme))
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
        Nodes per dimension of the Gauss rules (4 to 40; cost ``~ 2 n^5``);
        for ``p = None`` nodes per panel of the layer-resolving composite
        Gauss-Legendre rule (about ``40 n`` nodes per dimension; ``n = 8``
        is accurate to ~1e-14).  The error estimate compares with ``n + 6``.
        The estimate is not a bound.  The finite-``p`` rule converges
        slowly towards rank one (``t`` close to 1), where the estimate is
        large yet understates the error of ``n = 12`` (measured against
        ``n = 34`` at ``p = 8``, 16, 32, ``sigma2 = 0.5``,
        ``tau = rho = 1``) 3- to 4.5-fold at ``t = 0.5`` and 4- to 6.5-fold
        at ``t = 0.9``; at ``t = 0.25`` it is of the error's size.  The
        ``p = None`` rule has no such trouble.  At small ``p`` and ``t``
        near 0 the positive term converges slowly too (the positive view's
        perpendicular part can nearly vanish, where its cosine jumps; at
        ``p = 2``, ``t = 0`` the cosine is a sign), and the estimate can
        understate the error 2- to 3-fold: at
        ``sigma2 = 0.5``, ``tau = rho = 1`` the error is 0.073 against an
        estimate of 0.033 at ``p = 2``, ``t = 0``, and 0.003 against 0.0013
        at ``p = 3``, ``t = 0.05`` (Monte Carlo); from ``p = 8`` on, near
        ``t = 0``, the estimate is of the error's size.  At ``t = 0`` the
        negative term is integrated to rounding for every ``p`` (a
        Gauss-Gegenbauer rule in the cosine, :func:`_sphere_cosine`;
        ``n >= 12`` at ``tau >= 1``).

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


def _layer_integrals(tau: float) -> tuple[float, float]:
    """``(J1, J2)``: the two layer integrals of :func:`rank_one_sqrt_coefficient` (both negative).

    With ``u(w) = w / sqrt(1 + w^2)``,
    ``J1 = int_0^inf [log cosh(u/tau) - log cosh(1/tau)] dw`` and
    ``J2 = int_0^inf [cosh(u/tau)/cosh(1/tau) - 1] dw``; the integrands decay
    like ``w^-2`` (``1 - u ~ 1/(2 w^2)``).  Computed on ``[0, 1]`` and, with
    ``w = 1/v``, on ``v in (0, 1]`` (adaptive Gauss-Kronrod), so both pieces
    are smooth and bounded.  Both are written in ``d = (1 - u)/tau`` in
    ``[0, 1/tau]``, without cancellation:
    ``cosh(y - d)/cosh(y) = (e^-d + e^(d - 2y)) / (1 + e^-2y)``, ``y = 1/tau``.
    """
    y = 1.0 / tau
    e2y = math.exp(-2.0 * y)

    def log_and_ratio_m1(one_minus_u: float) -> tuple[float, float]:  # log r, r - 1 with r = cosh(u/tau)/cosh(1/tau)
        d = one_minus_u * y
        second = e2y * math.expm1(d) if y < 300.0 else math.exp(d - 2.0 * y)  # e^-2y (e^d - 1), d <= y
        m = (math.expm1(-d) + second) / (1.0 + e2y)
        if m > -0.5:
            return math.log1p(m), m
        hi, lo = max(-d, d - 2.0 * y), min(-d, d - 2.0 * y)  # log(e^-d + e^(d-2y)) without underflow
        return hi + math.log1p(math.exp(lo - hi)) - math.log1p(e2y), m

    def one_minus_u_of_v(v: float) -> float:  # 1 - u(1/v) = v^2 / (sqrt(1+v^2) (1 + sqrt(1+v^2)))
        r = math.sqrt(1.0 + v * v)
        return v * v / (r * (1.0 + r))

    def near(w: float, k: int) -> float:
        return log_and_ratio_m1(1.0 - w / math.sqrt(1.0 + w * w))[k]

    def far(v: float, k: int) -> float:  # the w > 1 part in v = 1/w, dw = dv / v^2
        if v == 0.0:
            return -math.tanh(y) * y / 2.0  # both integrands ~ -tanh(y) y / (2 w^2)
        return log_and_ratio_m1(one_minus_u_of_v(v))[k] / (v * v)

    out = []
    for k in (0, 1):
        a = integrate.quad(near, 0.0, 1.0, args=(k,), epsabs=1e-15, epsrel=1e-12, limit=200)[0]
        b = integrate.quad(far, 0.0, 1.0, args=(k,), epsabs=1e-15, epsrel=1e-12, limit=200)[0]
        out.append(a + b)
    return out[0], out[1]


def rank_one_sqrt_coefficient(sigma2: float, tau: float, rho: float, p: int | None) -> float:
    """``K`` in ``L_inf(1 - eps) = L_inf(1) - K sqrt(eps) + O(eps log(1/eps))``; ``K > 0`` always.

    Near rank one the cosines are ``+-1`` except in a layer of width
    ``sqrt(eps)`` around ``a_u = 0`` (the anchor) and ``b_u = 0`` (the
    other view), where they take every value in ``(-1, 1)``.  For the
    negative term this lowers ``E exp(cos/tau)`` below ``cosh(1/tau)`` by an
    amount proportional to the layer's width; for the positive term the
    layer's contribution is odd in ``a_u`` and cancels to that order.  So
    (``docs/expansion_shrinkage.md``, section 9.3)

    .. math::

        K = -2\\,\\varphi\\big(\\sqrt{\\rho/(1+\\sigma^2)}\\big)\\,
            \\kappa_p\\,\\big(J_1(\\tau) + J_2(\\tau)\\big),
        \\qquad
        \\kappa_p = E\\sqrt{\\chi^2_{p-1}/(p-1)}
                  = \\sqrt{2/(p-1)}\\,\\Gamma(p/2)/\\Gamma((p-1)/2),

    with ``phi`` the standard normal density, ``kappa_inf = 1`` and the layer
    integrals ``J1, J2 < 0`` of :func:`_layer_integrals`.  Since ``K > 0``,
    ``t = 1`` is never a minimiser of ``L_inf`` on ``M(t)`` (nor over all
    ``W``: the rank-one ``W`` is ``uu^T`` up to scale): the infinite-batch
    NT-Xent loss has no rank-one phase, unlike ``C``.  Limits:
    ``K ~ 2 phi kappa_p / tau`` as ``tau -> 0`` and
    ``K ~ pi phi kappa_p / tau^2`` as ``tau -> inf``.

    Parameters
    ----------
    sigma2, tau, rho : float
        As in :func:`population_ntxent` (same ranges).
    p : int or None
        Dimension (2 to 1e6), ``None`` for ``p -> inf``.

    Returns
    -------
    float
    """
    _, sigma2, tau, rho, p, _ = _check(0.5, sigma2, tau, rho, p, 12)
    # Gamma(p/2) / Gamma((p-1)/2) as a Pochhammer symbol: full precision at large p, where a difference of
    # log-Gamma values (about 6e6 at p = 1e6) keeps only 9 digits
    kappa = 1.0 if p is None else math.sqrt(2.0 / (p - 1)) * float(poch(0.5 * (p - 1), 0.5))
    j1, j2 = _layer_integrals(tau)
    z = math.sqrt(rho / (1.0 + sigma2))
    return float(-2.0 * math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) * kappa * (j1 + j2))
