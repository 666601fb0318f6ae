"""The population contrastive loss C(W) of the 2-GMM model, its first-order
approximation L~(W), and their minimisers.

Gui, Ma & Zhong (poster, "Population loss" and Theorem 1).  With
``h = y mu + g``, views ``h1+, h2+ | h ~ N(h, sigma2 I)`` and an independent
negative ``h-`` (see :mod:`theory.gmm`), the poster's loss is

.. math::

    C(W) = \\frac{1}{2\\tau}\\frac{E\\|W h_1^+ - W h_2^+\\|^2}{N(W)}
         + \\log E \\exp\\Big(-\\frac{1}{2\\tau}
           \\frac{\\|W h_1^+ - W h^-\\|^2}{N(W)}\\Big),
    \\qquad N(W) = E\\|W h_1^+\\|^2 = (1+\\sigma^2)\\operatorname{tr} M + \\mu^\\top M \\mu,

with ``M = W^T W`` (all views have the same marginal law, so both
normalisers equal ``N``).  Everything below is a function of ``M`` only.
The derivations are in ``docs/expansion_shrinkage.md``:

* **Exact closed form** (eq. (C) there).  ``h1+ - h2+ ~ N(0, 2 sigma2 I)`` and
  ``h1+ - h- = (y - y') mu + z`` with ``z ~ N(0, 2(1+sigma2) I)`` and
  ``y - y'`` equal to 0, +2, -2 with probabilities 1/2, 1/4, 1/4; the
  Gaussian quadratic-form MGF gives, with ``D = 1/(tau N)`` and
  ``b = 2(1+sigma2) D``,

  .. math::

      C = \\sigma^2 D\\operatorname{tr}M - \\tfrac12\\log\\det(I + bM)
          + \\phi\\big(2D\\,\\mu^\\top M (I+bM)^{-1}\\mu\\big),
      \\qquad \\phi(a) = \\log\\frac{1 + e^{-a}}{2}.

* **First-order approximation** ``L~`` (eq. (L~)): the log-MGF of the
  within-class Gaussian noise is replaced by its first cumulant (the class
  mixture is kept exact),

  .. math::

      \\tilde L = -D\\operatorname{tr}M + \\phi(2D\\,\\mu^\\top M\\mu) \\le C .

  Its minimiser is rank one along ``mu`` exactly when
  ``tau >= tau* = 2 rho / ((1+sigma2+rho) log(1+2 sigma2))`` (Theorem 1).

* **Reduction.** Both losses are invariant to ``W -> cW``, ``W -> UW`` and
  ``W -> WQ`` (``Q mu = mu``), and both are minimised on the one-parameter
  family ``M(t) = t uu^T + (1-t)(I - uu^T)/(p-1)``, ``u = mu/||mu||``, whose
  expansion measure is ``t`` (proof in the docs: Fischer's inequality,
  Jensen's inequality for the concave map ``x -> x/(1+bx)`` and AM-GM).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from theory._validation import (
    check_int,
    check_matrix,
    check_random_state,
    check_scalar,
    check_vector,
)

__all__ = [
    "LOSSES",
    "population_loss",
    "first_order_loss",
    "population_loss_torch",
    "reduced_loss",
    "reduced_projector",
    "first_order_expansion_measure",
    "minimize_reduced",
    "PopulationMinimiser",
    "minimize_population_loss",
    "minimize_population_loss_full",
    "MonteCarloEstimate",
    "empirical_loss",
    "monte_carlo_loss",
]

#: names of the two losses accepted by the minimisers
LOSSES = ("exact", "first_order")

_LOG2 = math.log(2.0)


# ----------------------------------------------------------------- helpers


def _phi(a):
    """``phi(a) = log((1 + exp(-a)) / 2) = -a/2 + log cosh(a/2)`` for ``a >= 0``.

    Written without the cancellation of ``log(1 + e^{-a}) - log 2`` at small
    ``a`` (relative accuracy ~1e-16 for every ``a >= 0``) and overflow-free.
    """
    a = np.asarray(a, dtype=np.float64)
    y = 0.5 * a
    small = y < 1.0
    ys = np.where(small, y, 0.0)
    yl = np.where(small, 1.0, y)
    return np.where(small, -ys + np.log1p(2.0 * np.sinh(0.5 * ys) ** 2), np.log1p(np.exp(-2.0 * yl)) - _LOG2)


def _check_params(mu, sigma2, tau):
    mu = check_vector(mu, "mu", nonzero=True)
    sigma2 = check_scalar(sigma2, "sigma2", low=0.0)
    tau = check_scalar(tau, "tau", low=0.0, closed="neither")
    return mu, sigma2, tau


def _check_W(W, p: int) -> np.ndarray:
    W = check_matrix(W, "W", shape=(None, p))
    scale = float(np.max(np.abs(W))) if W.size else 0.0
    if scale == 0.0:
        raise ValueError("W must be non-zero (||W||_F > 0)")
    W = W / scale  # both losses are scale invariant: rescale first, so no norm can overflow or underflow
    return W / float(np.linalg.norm(W))


def _check_loss(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


def _spectral(W: np.ndarray, mu: np.ndarray):
    """Eigenvalues ``lam`` of ``M = W^T W`` (non-zero part) and weights ``(v_j . mu)^2``."""
    _, sv, Vt = np.linalg.svd(W, full_matrices=False)
    lam = sv**2
    w = (Vt @ mu) ** 2
    return lam, w


# ------------------------------------------------------------ closed forms


def population_loss(W, mu, sigma2: float, tau: float) -> float:
    """Exact population contrastive loss ``C(W)`` of the poster (closed form).

    Parameters
    ----------
    W : array_like, shape (d, p)
        Linear projector, ``z = W h`` (any ``d >= 1``; must be non-zero).
    mu : array_like, shape (p,)
        Class mean (non-zero); ``rho = ||mu||^2``.
    sigma2 : float
        Augmentation variance ``sigma_aug^2`` (>= 0).
    tau : float
        Temperature (> 0).

    Returns
    -------
    float
        ``C(W)``, eq. (C) of ``docs/expansion_shrinkage.md``; computed from the
        singular values of ``W`` with ``log1p`` / ``logaddexp``, so it is
        finite for ``tau`` in [1e-3, 1e3] and ``rho`` in [1e-3, 1e2] (and far
        beyond).

    Notes
    -----
    Invariant to ``W -> cW`` (c != 0), ``W -> UW`` (U orthogonal) and
    ``W -> WQ`` (Q orthogonal with ``Q mu = mu``).
    """
    mu, sigma2, tau = _check_params(mu, sigma2, tau)
    W = _check_W(W, mu.size)
    lam, w = _spectral(W, mu)
    tr = lam.sum()
    m = float(lam @ w)
    D = 1.0 / (tau * ((1.0 + sigma2) * tr + m))
    b = 2.0 * (1.0 + sigma2) * D
    q = float(np.sum(lam * w / (1.0 + b * lam)))
    return float(sigma2 * tr * D - 0.5 * np.sum(np.log1p(b * lam)) + _phi(2.0 * D * q))


def first_order_loss(W, mu, sigma2: float, tau: float) -> float:
    """First-order approximation ``L~(W)`` of ``C(W)`` (Theorem 1 of the poster).

    .. math::

        \\tilde L(W) = -\\frac{\\operatorname{tr} M}{\\tau N}
                     + \\log\\frac{1 + \\exp(-2\\mu^\\top M\\mu / (\\tau N))}{2},

    obtained from ``C`` by replacing ``log E_g exp(-X)`` over the within-class
    Gaussian noise ``g`` by ``-E_g X`` (first cumulant) while keeping the
    average over the classes ``y, y'`` exact.  ``L~ <= C`` (Jensen) and
    ``C - L~ = O(tau^{-2})`` as ``tau -> inf``.  Same parameters as
    :func:`population_loss`.
    """
    mu, sigma2, tau = _check_params(mu, sigma2, tau)
    W = _check_W(W, mu.size)
    Wm = W @ mu
    tr = float(np.sum(W * W))
    m = float(Wm @ Wm)
    D = 1.0 / (tau * ((1.0 + sigma2) * tr + m))
    return float(-D * tr + _phi(2.0 * D * m))


def population_loss_torch(W, mu, sigma2: float, tau: float, *, loss: str = "exact"):
    """Differentiable torch version of :func:`population_loss` / :func:`first_order_loss`.

    ``W`` is a tensor of shape ``(d, p)`` (any device/dtype); ``mu`` an array
    or tensor of shape ``(p,)``.  Used for full-``W`` minimisation by autograd
    (:func:`minimize_population_loss_full`); no input validation beyond shapes.
    """
    import torch

    _check_loss(loss)
    mu_t = torch.as_tensor(mu, dtype=W.dtype, device=W.device)
    M = W.T @ W
    tr = torch.trace(M)
    m = mu_t @ M @ mu_t
    N = (1.0 + sigma2) * tr + m
    D = 1.0 / (tau * N)
    def phi(a):  # log((1 + e^-a)/2) = -a/2 + log cosh(a/2), as in _phi
        y = 0.5 * a
        if float(y.detach()) < 1.0:
            return -y + torch.log1p(2.0 * torch.sinh(0.5 * y) ** 2)
        return torch.log1p(torch.exp(-2.0 * y)) - math.log(2.0)

    if loss == "first_order":
        return -D * tr + phi(2.0 * D * m)
    b = 2.0 * (1.0 + sigma2) * D
    A = torch.eye(M.shape[0], dtype=W.dtype, device=W.device) + b * M
    L = torch.linalg.cholesky(A)
    logdet = 2.0 * torch.log(torch.diagonal(L)).sum()
    q = mu_t @ M @ torch.cholesky_solve((mu_t)[:, None], L)[:, 0]
    return sigma2 * tr * D - 0.5 * logdet + phi(2.0 * D * q)


# ------------------------------------------------------------ reduced model


def reduced_loss(t, sigma2, tau, rho, p: int, loss: str = "exact"):
    """``C`` (or ``L~``) on the reduced family ``M(t)``, broadcast over arrays.

    ``M(t) = t uu^T + (1 - t)(I - uu^T)/(p - 1)`` with ``u = mu/||mu||``;
    ``t`` in [0, 1] is its expansion measure.  By the reduction theorem
    (docs) ``min_W C(W) = min_t reduced_loss(t, ...)``.

    Parameters
    ----------
    t, sigma2, tau, rho : float or ndarray
        Broadcast together; no validation (internal fast path of the sweep).
    p : int
        Dimension (>= 1); for ``p = 1`` only ``t = 1`` is meaningful.
    loss : {"exact", "first_order"}
    """
    t = np.asarray(t, dtype=np.float64)
    s = np.asarray(sigma2, dtype=np.float64)
    tau = np.asarray(tau, dtype=np.float64)
    rho = np.asarray(rho, dtype=np.float64)
    D = 1.0 / (tau * (1.0 + s + rho * t))
    if loss == "first_order":
        return -D + _phi(2.0 * D * rho * t)
    b = 2.0 * (1.0 + s) * D
    out = s * D - 0.5 * np.log1p(b * t) + _phi(2.0 * D * rho * t / (1.0 + b * t))
    if p > 1:
        out = out - 0.5 * (p - 1) * np.log1p(b * (1.0 - t) / (p - 1))
    return out


def reduced_projector(mu, t: float) -> np.ndarray:
    """The symmetric projector ``W(t) = M(t)^{1/2}`` with ``||W||_F = 1``, shape (p, p).

    ``W(t) = sqrt(t) uu^T + sqrt((1-t)/(p-1)) (I - uu^T)``; its expansion
    measure is ``t`` (exactly rank one along ``mu`` when ``t = 1``).
    """
    mu = check_vector(mu, "mu", nonzero=True)
    t = check_scalar(t, "t", low=0.0, high=1.0)
    p = mu.size
    u = mu / np.linalg.norm(mu)
    P = np.outer(u, u)
    if p == 1:
        return P.copy()
    return math.sqrt(t) * P + math.sqrt((1.0 - t) / (p - 1)) * (np.eye(p) - P)


def first_order_expansion_measure(sigma2, tau, rho):
    """Closed-form expansion measure of the minimiser of ``L~`` (Theorem 1).

    .. math::

        t^* = \\min\\Big(1, \\frac{\\ell\\,\\tau(1+\\sigma^2)}{\\rho(2 - \\ell\\tau)}\\Big),
        \\quad \\ell = \\log(1 + 2\\sigma^2) \\quad (t^* = 1 \\text{ if } \\ell\\tau \\ge 2),

    so ``t* = 1`` (rank one along ``mu``) iff ``tau >= tau*``, and ``t* -> 0``
    as ``sigma2 -> 0`` at fixed ``tau`` (dimension-free, ``p >= 2``).
    Broadcast over array inputs.
    """
    s = np.asarray(sigma2, dtype=np.float64)
    tau = np.asarray(tau, dtype=np.float64)
    rho = np.asarray(rho, dtype=np.float64)
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("sigma2 must be finite and in [0, inf)")
    if not np.all(np.isfinite(tau)) or np.any(tau <= 0):
        raise ValueError("tau must be finite and in (0, inf)")
    if not np.all(np.isfinite(rho)) or np.any(rho <= 0):
        raise ValueError("rho must be finite and in (0, inf)")
    ell = np.log1p(2.0 * s)
    denom = rho * (2.0 - ell * tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(denom > 0, ell * tau * (1.0 + s) / np.where(denom > 0, denom, 1.0), 1.0)
    out = np.minimum(t, 1.0)
    return float(out) if out.ndim == 0 else out


_GOLD = (math.sqrt(5.0) - 1.0) / 2.0


def golden_section(f, lo, hi, n_iter: int):
    """Vectorised golden-section search: ``n_iter`` shrinkings of the brackets ``[lo, hi]`` of ``f``'s minimum.

    ``f`` maps an array of points (shaped like ``lo``) to their values; returns the final ``(lo, hi)``.
    Shared by :func:`minimize_reduced` and :func:`theory.ntxent_population.minimize_population_ntxent`.
    """
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    x1 = hi - _GOLD * (hi - lo)
    x2 = lo + _GOLD * (hi - lo)
    f1, f2 = f(x1), f(x2)
    for _ in range(n_iter):
        left = f1 <= f2  # the minimum lies in [lo, x2]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        xn = np.where(left, hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo))
        fn = f(xn)
        x1, x2 = np.where(left, xn, x2), np.where(left, x1, xn)
        f1, f2 = np.where(left, fn, f2), np.where(left, f1, fn)
    return lo, hi


def minimize_reduced(sigma2, tau, rho, p: int, loss: str = "exact", *, n_grid: int = 513, n_iter: int = 60,
                     method: str = "grid"):
    """Global minimiser of :func:`reduced_loss` over ``t`` in [0, 1], vectorised.

    ``method="grid"``: a grid of ``n_grid`` points locates the best basin, a
    golden-section search refines it to ~1e-12 in ``t``.  ``method="unimodal"``:
    the golden-section search runs on all of ``[0, 1]`` (``n_grid`` unused),
    about 9 times fewer evaluations; it is exact because both losses are
    unimodal in ``t`` on ``[0, 1]`` (at most one local minimiser, end points
    included), a numerical certificate over ``sigma2 in [1e-3, 1e2]``,
    ``tau in [1e-6, 1e4]``, ``rho in [1e-3, 1e2]``, ``p`` up to ``1e5``
    (``tests/test_population_loss.py::test_reduced_losses_are_unimodal``).
    Either way the end points ``t = 0`` and ``t = 1`` are then compared
    with the refined point: an end point whose loss is within
    ``1e-13 |loss|`` wins, so a rank-one minimiser is reported as ``t = 1``
    exactly (resolution ~1e-6 in ``t``).

    Parameters
    ----------
    sigma2, tau, rho : float or ndarray
        Broadcast together (validated: sigma2 >= 0, tau > 0, rho > 0, finite).
    p : int
        Dimension (>= 1).
    loss : {"exact", "first_order"}
    n_grid, n_iter : int
        Grid size (>= 3) and golden-section iterations (>= 1).

    Returns
    -------
    t_star, value : ndarray
        Expansion measure of the minimiser and the minimal loss, shaped like
        the broadcast inputs.
    """
    loss = _check_loss(loss)
    p = check_int(p, "p", low=1)
    n_grid = check_int(n_grid, "n_grid", low=3)
    n_iter = check_int(n_iter, "n_iter", low=1)
    if method not in ("grid", "unimodal"):
        raise ValueError(f"method must be 'grid' or 'unimodal', got {method!r}")
    s, tau, rho = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (sigma2, tau, rho)))
    for name, arr, lo in (("sigma2", s, None), ("tau", tau, 0.0), ("rho", rho, 0.0)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
    if np.any(s < 0):
        raise ValueError("sigma2 must be in [0, inf)")
    if np.any(tau <= 0):
        raise ValueError("tau must be in (0, inf)")
    if np.any(rho <= 0):
        raise ValueError("rho must be in (0, inf)")
    shape = s.shape
    s, tau, rho = s.ravel(), tau.ravel(), rho.ravel()
    if p == 1:
        t = np.ones_like(s)
        return t.reshape(shape), reduced_loss(t, s, tau, rho, p, loss).reshape(shape)

    def f(t):
        return reduced_loss(t, s, tau, rho, p, loss)

    if method == "grid":
        grid = np.linspace(0.0, 1.0, n_grid)
        vals = reduced_loss(grid[:, None], s[None], tau[None], rho[None], p, loss)
        i = np.argmin(vals, axis=0)
        lo = grid[np.maximum(i - 1, 0)]
        hi = grid[np.minimum(i + 1, n_grid - 1)]
    else:
        lo, hi = np.zeros_like(s), np.ones_like(s)
    lo, hi = golden_section(f, lo, hi, n_iter)
    cand = np.stack([0.5 * (lo + hi), np.zeros_like(s), np.ones_like(s)])
    cval = f(cand)
    # An end point within 1e-13 |value| (a few hundred ulps, the rounding
    # level of the formula) of the refined interior value wins, so a
    # minimiser is reported as exactly rank one (t = 1) or exactly t = 0 up
    # to a resolution of ~1e-6 in t (the loss is quadratic in t - t* at an
    # interior minimum).
    slack = 1e-13 * np.abs(cval[0])
    j = np.argmin(cval - np.stack([np.zeros_like(slack), slack, slack]), axis=0)
    t = cand[j, np.arange(s.size)]
    v = cval[j, np.arange(s.size)]
    return t.reshape(shape), v.reshape(shape)


# --------------------------------------------------------------- minimisers


class PopulationMinimiser(NamedTuple):
    """A minimiser of the population loss (or of ``L~``), up to scale and rotation."""

    W: np.ndarray  #: a minimiser, shape (p, p), symmetric, ||W||_F = 1
    M: np.ndarray  #: W^T W, trace 1
    expansion_measure: float  #: ||W mu||^2 / (||W||_F^2 ||mu||^2)
    loss_value: float  #: the minimal loss
    rank_one: bool  #: True iff the minimiser is exactly rank one along mu (t = 1)
    loss: str  #: "exact" or "first_order"


def minimize_population_loss(
    mu, sigma2: float, tau: float, *, loss: str = "exact", n_grid: int = 513
) -> PopulationMinimiser:
    """Minimise ``C(W)`` (``loss="exact"``) or ``L~(W)`` (``"first_order"``) over all ``W``.

    By the reduction theorem (``docs/expansion_shrinkage.md``) the minimum over
    every ``W`` with ``p`` columns is attained on the family
    ``W(t) = M(t)^{1/2}``; this function minimises over ``t`` (global grid +
    golden section, :func:`minimize_reduced`) and returns the canonical
    minimiser ``W(t*)``.  Every other minimiser of ``C`` is ``c U W(t*)``
    (``c != 0``, ``U`` with orthonormal columns); ``L~`` depends on ``W`` only
    through ``t``, so any ``W`` with expansion measure ``t*`` also minimises it.
    For ``"first_order"`` ``t*`` is the closed form
    :func:`first_order_expansion_measure` (checked against the numerical
    minimiser in the tests).

    Parameters
    ----------
    mu : array_like, shape (p,)
        Class mean (non-zero).
    sigma2 : float
        Augmentation variance (>= 0).
    tau : float
        Temperature (> 0).
    loss : {"exact", "first_order"}
    n_grid : int
        Grid size of the global search over ``t`` (>= 3).

    Returns
    -------
    PopulationMinimiser
        ``(W, M, expansion_measure, loss_value, rank_one, loss)``.
    """
    mu, sigma2, tau = _check_params(mu, sigma2, tau)
    loss = _check_loss(loss)
    p, rho = mu.size, float(mu @ mu)
    if loss == "first_order" and p > 1:
        t = float(first_order_expansion_measure(sigma2, tau, rho))
        value = float(reduced_loss(t, sigma2, tau, rho, p, loss))
    else:
        t_arr, v_arr = minimize_reduced(sigma2, tau, rho, p, loss, n_grid=n_grid)
        t, value = float(t_arr), float(v_arr)
    W = reduced_projector(mu, t)
    return PopulationMinimiser(W=W, M=W.T @ W, expansion_measure=t, loss_value=value, rank_one=t == 1.0, loss=loss)


def minimize_population_loss_full(
    mu,
    sigma2: float,
    tau: float,
    *,
    loss: str = "exact",
    d: int | None = None,
    n_restarts: int = 8,
    max_iter: int = 500,
    seed=None,
) -> PopulationMinimiser:
    """Naive full-``W`` minimisation: multistart L-BFGS with autograd (torch, float64).

    The independent check of :func:`minimize_population_loss` (and the
    baseline of ``benchmarks/bench_population_loss.py``).  Each restart draws
    ``W`` with i.i.d. N(0, 1) entries, shape ``(d, p)`` (``d = p`` by
    default), and runs ``torch.optim.LBFGS`` with strong-Wolfe line search;
    the best restart is returned, rescaled to ``||W||_F = 1``.
    """
    import torch

    mu, sigma2, tau = _check_params(mu, sigma2, tau)
    loss = _check_loss(loss)
    p = mu.size
    d = p if d is None else check_int(d, "d", low=1)
    n_restarts = check_int(n_restarts, "n_restarts", low=1)
    max_iter = check_int(max_iter, "max_iter", low=1)
    rng = check_random_state(seed)
    best_val, best_W = np.inf, None
    for _ in range(n_restarts):
        W = torch.tensor(rng.standard_normal((d, p)), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS(
            [W], lr=1.0, max_iter=max_iter, tolerance_grad=1e-12, tolerance_change=1e-15,
            history_size=50, line_search_fn="strong_wolfe",
        )

        def closure():
            opt.zero_grad()
            val = population_loss_torch(W / W.norm(), mu, sigma2, tau, loss=loss)
            val.backward()
            return val

        opt.step(closure)
        Wn = W.detach().numpy()
        Wn = Wn / np.linalg.norm(Wn)
        val = population_loss(Wn, mu, sigma2, tau) if loss == "exact" else first_order_loss(Wn, mu, sigma2, tau)
        if val < best_val:
            best_val, best_W = val, Wn
    from theory.phase import expansion_measure

    t = expansion_measure(best_W, mu)
    return PopulationMinimiser(
        W=best_W, M=best_W.T @ best_W, expansion_measure=t, loss_value=float(best_val), rank_one=False, loss=loss
    )


# -------------------------------------------------------------- Monte Carlo


class MonteCarloEstimate(NamedTuple):
    """A Monte-Carlo estimate with its (jackknife) standard error."""

    value: float
    stderr: float
    n: int


def _mc_plugin(A, B, Z1, Zn, tau):
    """Plug-in estimate of C from per-sample squared norms (arrays along axis -1)."""
    N = np.sqrt(Z1.mean(-1) * Zn.mean(-1))
    first = A.mean(-1) / (2.0 * tau * N)
    x = -B / (2.0 * tau * N[..., None])
    lse = np.log(np.mean(np.exp(x - x.max(-1, keepdims=True)), -1)) + x.max(-1)
    return first + lse


def monte_carlo_loss(
    W, mu, sigma2: float, tau: float, *, n: int = 100_000, n_groups: int = 20, seed=None
) -> MonteCarloEstimate:
    """Sampling estimate of ``C(W)`` from ``n`` draws of the contrastive model.

    Every expectation of the poster's formula (both normalisers, the
    alignment term and the ``log E exp``) is replaced by an empirical mean
    over ``n`` i.i.d. tuples ``(h1+, h2+, h-)`` from
    :func:`theory.gmm.sample_contrastive` — an estimator that shares no
    algebra with the closed form.  The standard error is the delete-a-group
    jackknife over ``n_groups`` equal groups (the estimator is a smooth
    function of means, so the jackknife is consistent; its bias is
    ``O(1/n)``, far below the standard error).  Precision degrades for
    ``tau -> 0``, where ``E exp(...)`` is dominated by rare events.

    Parameters
    ----------
    W, mu, sigma2, tau
        As in :func:`population_loss`.
    n : int
        Number of samples (>= 2 * n_groups).
    n_groups : int
        Jackknife groups (>= 2).
    seed : None, int, SeedSequence or Generator
    """
    from theory.gmm import sample_contrastive

    mu, sigma2, tau = _check_params(mu, sigma2, tau)
    W = _check_W(W, mu.size)
    n_groups = check_int(n_groups, "n_groups", low=2)
    n = check_int(n, "n", low=2 * n_groups)
    rng = check_random_state(seed)
    smp = sample_contrastive(n, mu, sigma2, rng)
    z1, z2, zn = smp.h1 @ W.T, smp.h2 @ W.T, smp.h_neg @ W.T
    A = np.sum((z1 - z2) ** 2, 1)
    B = np.sum((z1 - zn) ** 2, 1)
    Z1 = np.sum(z1**2, 1)
    Zn = np.sum(zn**2, 1)
    est = float(_mc_plugin(A, B, Z1, Zn, tau))
    g = n // n_groups
    keep = g * n_groups
    idx = np.arange(keep).reshape(n_groups, g)
    mask = np.ones((n_groups, keep), dtype=bool)
    mask[np.arange(n_groups)[:, None], idx] = False
    sel = np.array([np.flatnonzero(row) for row in mask])  # (n_groups, keep - g)
    reps = _mc_plugin(A[sel], B[sel], Z1[sel], Zn[sel], tau)
    se = float(np.sqrt((n_groups - 1) / n_groups * np.sum((reps - reps.mean()) ** 2)))
    return MonteCarloEstimate(value=est, stderr=se, n=n)


def empirical_loss(W, h1, h2, h_neg, tau):
    """Finite-batch plug-in estimate of ``C(W)`` for training (torch, differentiable).

    Every expectation of the poster's ``C(W)`` becomes a batch mean, both
    normalisers included, and the ``log E exp`` runs over all ``B^2`` pairs
    of first views and independent negatives:

    .. math::

        \\hat C(W) = \\frac{\\overline{\\|z_1 - z_2\\|^2}}{2\\tau \\hat N}
        + \\log \\frac{1}{B^2} \\sum_{i,j} \\exp\\Big(-\\frac{\\|z_{1,i} - z^-_j\\|^2}{2\\tau \\hat N}\\Big),
        \\qquad \\hat N = \\big(\\overline{\\|z_1\\|^2}\\;\\overline{\\|z^-\\|^2}\\big)^{1/2},

    with ``z = W h``.  Its minimiser converges to the population one as
    ``B`` grows (the log of a batch mean is biased by ``O(1/B)``).

    Parameters
    ----------
    W : torch.Tensor, shape (..., k, p)
        One projector or a stack of independent projectors.
    h1, h2, h_neg : torch.Tensor, shape (..., B, p)
        Two augmented views and independent negatives (same leading shape as ``W``).
    tau : float or torch.Tensor of shape (...)
        Temperature(s), > 0.

    Returns
    -------
    torch.Tensor, shape (...)
        The loss of each projector.
    """
    import torch

    if not torch.is_tensor(tau):
        tau = check_scalar(tau, "tau", low=0.0, closed="neither")
    elif bool((tau <= 0).any()) or not bool(torch.isfinite(tau).all()):
        raise ValueError("tau must be in (0, inf)")
    if h1.shape != h2.shape or h1.shape != h_neg.shape or h1.shape[-2] < 1:
        raise ValueError(f"h1, h2 and h_neg must have equal shapes (..., B, p), got {tuple(h1.shape)}, "
                         f"{tuple(h2.shape)}, {tuple(h_neg.shape)}")
    if W.shape[-1] != h1.shape[-1]:
        raise ValueError(f"W must have shape (..., k, {h1.shape[-1]}), got {tuple(W.shape)}")
    Wt = W.transpose(-1, -2)
    z1, z2, zn = h1 @ Wt, h2 @ Wt, h_neg @ Wt
    norm = torch.sqrt((z1 * z1).sum(-1).mean(-1) * (zn * zn).sum(-1).mean(-1))
    scale = 2.0 * tau * norm
    align = ((z1 - z2) ** 2).sum(-1).mean(-1) / scale
    x = -(torch.cdist(z1, zn) ** 2) / scale[..., None, None]
    B = h1.shape[-2]
    return align + torch.logsumexp(x.flatten(-2), dim=-1) - 2.0 * math.log(B)
