"""High-dimensional max-margin asymptotics for projected 2-GMM features.

Gui, Ma & Zhong (poster, "Effect of projectors on generalization accuracy",
Theorem 2).  Features ``h = y mu + g`` (``y = +-1`` equiprobable,
``g ~ N(0, I_p)``, ``rho = ||mu||^2``) are projected by
``W_eta = I_p + eta mu mu^T / rho`` (``eta > -1``), ``z = W_eta h``, and the
max-margin classifier through the origin

.. math::

    \\hat\\beta = \\arg\\max_{\\|\\beta\\| \\le 1} \\min_{i \\le n} y_i \\langle z_i, \\beta\\rangle

is fitted on ``n`` samples with ``n / p -> delta``.  The convex Gaussian
min-max theorem (CGMT; Gordon 1988, Thrampoulidis, Oymak & Hassibi 2015)
reduces the problem to a scalar one (derivation in ``docs/maxmargin.md``).
With ``s = ||mu||``, ``Z ~ N(0, 1)`` and

.. math::

    F(t) = E[(t + Z)_+^2] = (1 + t^2)\\Phi(t) + t\\varphi(t),

    K_\\delta(c) = c s + F^{-1}\\!\\big((1 - c^2)/\\delta\\big),
    \\qquad q_\\eta = 1 - (1 + \\eta)^{-2},

the limits are

* separability threshold ``delta*(rho) = max_{c in [0,1]} (1 - c^2) / F(-c s)``
  (does not depend on ``eta``);
* margin ``kappa*(rho, eta, delta) = max_c K_delta(c) / sqrt(1 - q_eta c^2)``;
* test error ``Err*(rho, eta, delta) = Phi(-s c*)``, ``c*`` the maximiser
  (``c*`` is the limiting cosine between ``W_eta beta_hat`` and ``mu``).

Above the threshold (``delta >= delta*``) the data are not separable with
probability tending to one and the max-margin classifier does not exist: the
functions here return ``nan`` there and emit an
:class:`AboveSeparabilityThresholdWarning` (one warning per call).

All solvers are vectorised over broadcast grids of ``(rho, eta, delta)``,
use closed forms in ``Phi`` and ``phi`` and locate every optimum by
bisection on the sign of an analytic derivative (no tolerance-dependent
black-box optimiser), so they are accurate to a few ulps of ``c``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import erfcx, ndtr

__all__ = [
    "RHO_MAX",
    "AboveSeparabilityThresholdWarning",
    "gaussian_hinge_moment",
    "bayes_error",
    "separability_threshold",
    "separability_cosine",
    "asymptotic_cosine",
    "asymptotic_margin",
    "asymptotic_error",
    "error_limit_eta_to_minus_one",
    "error_limit_eta_to_infinity",
    "error_limit_at_threshold",
]

_SQRT_HALF_PI = np.sqrt(np.pi / 2.0)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
_N_BISECT = 80  # bisection steps: brackets of width <= 64 shrink below 1e-22


class AboveSeparabilityThresholdWarning(RuntimeWarning):
    """``delta >= delta*(rho)``: the max-margin classifier does not exist (nan returned)."""


# --------------------------------------------------------------------------- Gaussian moments


def _phi(t):
    return _INV_SQRT_2PI * np.exp(-0.5 * t * t)


def _moments(t):
    """``F(t) = E[(t+Z)_+^2]`` and ``F1(t) = E[(t+Z)_+] = F'(t) / 2``.

    For ``t < 0`` both are computed as ``phi(t)`` times a bracket built from
    the scaled complementary error function (Mills ratio
    ``Phi(t)/phi(t) = sqrt(pi/2) erfcx(-t/sqrt 2)``), which avoids the
    underflow of ``Phi`` and keeps the relative error below ``~ t^4 eps``.
    """
    t = np.asarray(t, dtype=np.float64)
    F = np.empty_like(t)
    F1 = np.empty_like(t)
    neg = t < 0
    tn = t[neg]
    mills = _SQRT_HALF_PI * erfcx(-tn / np.sqrt(2.0))
    ph = _phi(tn)
    F[neg] = ph * ((1.0 + tn * tn) * mills + tn)
    F1[neg] = ph * (tn * mills + 1.0)
    tp = t[~neg]
    cdf = ndtr(tp)
    php = _phi(tp)
    F[~neg] = (1.0 + tp * tp) * cdf + tp * php
    F1[~neg] = tp * cdf + php
    return F, F1


def gaussian_hinge_moment(t):
    """The second moment ``F(t) = E[(t + Z)_+^2] = (1 + t^2) Phi(t) + t phi(t)``.

    ``F`` is positive, increasing, convex and log-concave, with
    ``F(t) ~ 2 phi(t) / |t|^3`` as ``t -> -inf`` and ``F(t) ~ 1 + t^2`` as
    ``t -> inf``; ``F(0) = 1/2``.

    Parameters
    ----------
    t : float or array_like

    Returns
    -------
    float or ndarray
    """
    t = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        raise ValueError("t must contain only finite values (no NaN or inf)")
    F, _ = _moments(t)
    return float(F) if F.ndim == 0 else F


def _F_inverse(x):
    """Solve ``F(t) = x`` for ``x > 0`` (vectorised, to machine precision).

    Newton's method on ``log F``, which is concave and increasing: started
    left of the root, the iterates increase monotonically to it.  Starting
    points: for ``x >= 1``, ``sqrt(x - 1)`` (``F(t) <= 1 + t^2``); for
    ``1/2 <= x < 1``, ``0``; for ``x < 1/2``, ``-(sqrt(2 log(1/x)) + 2)``
    (``F(-u) <= (u + 1/u) phi(u)``).
    """
    x = np.asarray(x, dtype=np.float64)
    logx = np.log(x)
    t = np.where(x >= 1.0, np.sqrt(np.maximum(x - 1.0, 0.0)), 0.0)
    small = x < 0.5
    t = np.where(small, -(np.sqrt(2.0 * np.maximum(-logx, 0.0)) + 2.0), t)
    for _ in range(100):
        F, F1 = _moments(t)
        step = (logx - np.log(F)) * F / (2.0 * F1)
        step = np.maximum(step, 0.0)  # monotone from the left; rounding only
        t = t + step
        if np.all(step <= 4e-16 * (1.0 + np.abs(t))):
            break
    return t


def bayes_error(rho):
    """Bayes error ``Phi(-||mu||) = Phi(-sqrt(rho))`` of the symmetric 2-GMM.

    It is the error of the best classifier (any ``W_eta`` is invertible, so
    it is the same for the projected features ``z``).
    """
    r = _as_param(rho, "rho", 0.0, high=RHO_MAX)
    out = ndtr(-np.sqrt(r))
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- validation


def _as_param(value, name: str, low: float, *, allow_inf: bool = False, high: float | None = None) -> np.ndarray:
    span = f"({low:g}, {'inf)' if high is None else f'{high:g}]'}"
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number or array in {span}") from exc
    if np.any(np.isnan(arr)) or (not allow_inf and not np.all(np.isfinite(arr))):
        raise ValueError(f"{name} must be finite and in {span}")
    if np.any(arr <= low):
        bad = arr[arr <= low].ravel()[0]
        raise ValueError(f"{name} must be in {span}, got {float(bad)!r}")
    if high is not None and np.any(arr > high):
        bad = arr[arr > high].ravel()[0]
        why = f" ({_HIGH_REASON[name]})" if name in _HIGH_REASON else ""
        raise ValueError(f"{name} must be in {span}, got {float(bad)!r}{why}")
    return arr


#: Largest signal strength ``rho = ||mu||^2`` the max-margin formulas accept.  ``delta*(rho)`` grows like
#: ``exp(rho / 2)``: at ``rho = 1000`` it is about 4e218 and ``Err*`` about 1e-218; from ``rho`` about 1420
#: on, both leave double precision (``delta*`` overflows, the Gaussian moments underflow to 0 / 0).  The
#: limits there are ``delta* = inf`` and ``Err* = 0``, which the caller can use directly.
RHO_MAX = 1000.0
_HIGH_REASON = {"rho": "above it delta*(rho) > 1e218 and Err* < 1e-218 leave double precision; "
                       "the limits are delta* = inf, Err* = 0"}


def _out(x):
    return float(x) if np.ndim(x) == 0 else x


# --------------------------------------------------------------------------- threshold


def _threshold_and_cosine(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``delta*(s)`` and its maximiser ``c_sep`` by bisection on the derivative.

    ``R(c) = (1 - c^2) / F(-c s)`` has interval super-level sets
    (``R(c) >= delta`` iff ``K_delta(c) >= 0`` and ``K_delta`` is concave), so
    ``d log R / dc = -2c/(1-c^2) + 2 s F1(-cs)/F(-cs)`` changes sign once on
    ``(0, 1)``: positive at 0+ (for ``s > 0``), ``-inf`` at 1-.
    """
    lo = np.zeros_like(s)
    hi = np.ones_like(s)
    for _ in range(_N_BISECT):
        c = 0.5 * (lo + hi)
        F, F1 = _moments(-c * s)
        g = -2.0 * c / (1.0 - c * c) + 2.0 * s * F1 / F
        up = g > 0
        lo = np.where(up, c, lo)
        hi = np.where(up, hi, c)
    c = 0.5 * (lo + hi)
    F, _ = _moments(-c * s)
    return (1.0 - c * c) / F, c


def separability_threshold(rho):
    """Separability threshold ``delta*(rho)`` of the max-margin classifier.

    .. math::

        \\delta^*(\\rho) = \\max_{c \\in [0, 1]} \\frac{1 - c^2}{F(-c\\sqrt\\rho)},
        \\qquad F(t) = E[(t + Z)_+^2],

    (Theorem 2 of the poster; the formula is the Gaussian-mixture case of
    Deng, Kammoun & Thrampoulidis 2019, derived in ``docs/maxmargin.md``).
    For ``n/p -> delta < delta*`` the projected data ``z_i = W_eta h_i`` are
    linearly separable through the origin with probability tending to one,
    for ``delta > delta*`` they are not.  It does not depend on ``eta``:
    ``W_eta`` is invertible, and ``y_i <W_eta h_i, beta> > 0`` for all ``i``
    iff ``y_i <h_i, W_eta beta> > 0`` for all ``i``.  ``delta*(0+) = 2``
    (Cover 1965) and ``delta*`` increases with ``rho``.

    Parameters
    ----------
    rho : float or array_like
        Signal strength ``||mu||^2`` in ``(0, RHO_MAX]`` (:data:`RHO_MAX` = 1000).

    Returns
    -------
    float or ndarray
    """
    r = _as_param(rho, "rho", 0.0, high=RHO_MAX)
    d, _ = _threshold_and_cosine(np.sqrt(r))
    return _out(d)


def separability_cosine(rho):
    """The cosine ``c_sep(rho)`` attaining ``delta*(rho)``.

    At the threshold every ``eta`` gives the same classifier direction in
    ``h``-space: ``Err* -> Phi(-sqrt(rho) c_sep)`` as ``delta -> delta*``.
    """
    r = _as_param(rho, "rho", 0.0, high=RHO_MAX)
    _, c = _threshold_and_cosine(np.sqrt(r))
    return _out(c)


# --------------------------------------------------------------------------- the scalar max-min


def _c_of_t(t, delta):
    F, F1 = _moments(t)
    c2 = np.clip(1.0 - delta * F, 0.0, 1.0)
    c = np.sqrt(c2)
    return c, F1


def _solve(s: np.ndarray, delta: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximise ``J(c) = K_delta(c) / sqrt(1 - q c^2)`` over ``c in [0, 1]``.

    Everything is parametrised by ``t = F^{-1}((1 - c^2)/delta)``, i.e.
    ``c(t) = sqrt(1 - delta F(t))`` for ``t <= t0 = F^{-1}(1/delta)``; ``c`` is
    decreasing in ``t`` so no inverse of ``F`` is needed inside the loops, and
    ``K = t + s c(t)``.  Steps (all bisections on analytic derivative signs):

    1. ``t_K = argmax K`` (``K`` is concave in ``c``: one sign change of
       ``dK/dt = 1 + s c'(t)``, ``c'(t) = -delta F1(t)/c(t)``);
    2. the interval ``(t_a, t_b)`` where ``K > 0`` (``t_b = t0`` if
       ``delta < 2``, i.e. ``K(t0) = t0 > 0``);
    3. on it ``J > 0`` is quasi-concave (its super-level sets are intervals,
       see the docs), so ``sign dJ/dt = sign(K_t (1 - q c^2) + q K c c_t)``
       changes once, from + at ``t_a`` to - at ``t_b``.

    ``q = -inf`` encodes the limit ``eta -> -1`` (objective ``K / c``).
    Entries with ``max K <= 0`` (``delta >= delta*``) are returned as nan.

    Returns
    -------
    c_star, kappa_star : ndarray
    """
    shape = np.broadcast(s, delta, q).shape
    s, delta, q = (np.broadcast_to(a, shape).astype(np.float64).ravel() for a in (s, delta, q))
    t0 = _F_inverse(1.0 / delta)
    # a left end where c(t) ~ 1, dK/dt > 0 and K < 0 (t < -s)
    t_lo = -(s + np.sqrt(2.0 * np.log1p(delta * (1.0 + s))) + 3.0)

    def dK(t):
        c, F1 = _c_of_t(t, delta)
        return 1.0 - s * delta * F1 / np.maximum(c, 1e-300)

    def K(t):
        c, _ = _c_of_t(t, delta)
        return t + s * c

    def bisect(pred, lo, hi):
        # pred(mid) True -> move lo up
        for _ in range(_N_BISECT):
            mid = 0.5 * (lo + hi)
            up = pred(mid)
            lo = np.where(up, mid, lo)
            hi = np.where(up, hi, mid)
        return 0.5 * (lo + hi)

    t_K = bisect(lambda t: dK(t) > 0, t_lo, t0)
    K_max = K(t_K)
    ok = K_max > 0
    t_a = bisect(lambda t: K(t) < 0, t_lo, t_K)
    t_b = np.where(t0 > 0, t0, bisect(lambda t: K(t) > 0, t_K, t0))

    def dJ_positive(t):
        c, F1 = _c_of_t(t, delta)
        c = np.maximum(c, 1e-300)
        c_t = -delta * F1 / c
        k = t + s * c
        k_t = 1.0 + s * c_t
        with np.errstate(invalid="ignore", over="ignore"):
            g_fin = k_t * (1.0 - q * c * c) + q * k * c * c_t
            g_inf = k_t * c - k * c_t  # q = -inf: objective k / c
        return np.where(np.isinf(q), g_inf, g_fin) > 0

    t_star = bisect(dJ_positive, t_a, t_b)
    c_star, _ = _c_of_t(t_star, delta)
    k_star = t_star + s * c_star
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.where(np.isinf(q), c_star, np.sqrt(np.maximum(1.0 - q * c_star * c_star, 0.0)))
        kappa = k_star / den
    c_star = np.where(ok, c_star, np.nan)
    kappa = np.where(ok, kappa, np.nan)
    return c_star.reshape(shape), kappa.reshape(shape)


def _check_grid(rho, eta, delta):
    r = _as_param(rho, "rho", 0.0, high=RHO_MAX)
    e = _as_param(eta, "eta", -1.0)
    d = _as_param(delta, "delta", 0.0)
    try:
        np.broadcast(r, e, d)
    except ValueError as exc:
        raise ValueError(
            f"rho, eta and delta must broadcast together, got shapes {r.shape}, {e.shape}, {d.shape}"
        ) from exc
    return r, e, d


def _warn_above(d, dstar):
    above = d >= dstar
    if np.any(above):
        warnings.warn(
            f"delta >= delta*(rho) for {int(np.sum(above))} grid point(s) (e.g. delta="
            f"{float(np.asarray(d)[above].ravel()[0]):g} >= delta*={float(np.asarray(dstar)[above].ravel()[0]):.6g}): "
            "the data are not separable, the max-margin classifier does not exist; nan returned there",
            AboveSeparabilityThresholdWarning,
            stacklevel=3,
        )
    return above


def _cosine_and_margin(rho, eta, delta):
    r, e, d = _check_grid(rho, eta, delta)
    s = np.sqrt(r)
    dstar, _ = _threshold_and_cosine(s)
    dstar = np.broadcast_to(dstar, np.broadcast(r, e, d).shape)
    d_b = np.broadcast_to(d, dstar.shape)
    above = _warn_above(d_b, dstar)
    q = 1.0 - (1.0 + e) ** -2.0
    c, k = _solve(s, np.where(above, 1.0, d_b), q)  # harmless stand-in above delta*
    return np.where(above, np.nan, c), np.where(above, np.nan, k)


def asymptotic_cosine(rho, eta, delta):
    """Limit ``c*`` of the cosine between ``W_eta beta_hat`` and ``mu``.

    The maximiser of ``K_delta(c) / sqrt(1 - q_eta c^2)`` (see the module
    docstring); ``Err* = Phi(-sqrt(rho) c*)``.  ``nan`` (with an
    :class:`AboveSeparabilityThresholdWarning`) where ``delta >= delta*(rho)``.
    """
    c, _ = _cosine_and_margin(rho, eta, delta)
    return _out(c)


def asymptotic_margin(rho, eta, delta):
    """Limit ``kappa*`` of the max-margin ``min_i y_i <z_i, beta_hat>`` (Theorem 2).

    .. math::

        \\kappa^*(\\rho, \\eta, \\delta) = \\max_{c \\in [0,1]}
        \\frac{c\\sqrt\\rho + F^{-1}((1-c^2)/\\delta)}{\\sqrt{1 - c^2 + c^2/(1+\\eta)^2}} .

    Vectorised: ``rho``, ``eta`` and ``delta`` broadcast together.

    Parameters
    ----------
    rho : float or array_like
        ``||mu||^2`` in ``(0, RHO_MAX]`` (:data:`RHO_MAX` = 1000).
    eta : float or array_like
        Projector parameter, ``eta > -1``.
    delta : float or array_like
        Aspect ratio ``n / p > 0``.

    Returns
    -------
    float or ndarray
        ``kappa* > 0`` for ``delta < delta*(rho)``; ``nan`` (with an
        :class:`AboveSeparabilityThresholdWarning`) for ``delta >= delta*(rho)``.

    Raises
    ------
    ValueError
        If ``rho <= 0``, ``eta <= -1``, ``delta <= 0`` or a value is not finite.
    """
    _, k = _cosine_and_margin(rho, eta, delta)
    return _out(k)


def asymptotic_error(rho, eta, delta):
    """Limit ``Err*(eta)`` of the test error ``P(y' <z', beta_hat> < 0)`` (Theorem 2).

    ``Err* = Phi(-sqrt(rho) c*)`` with ``c*`` from :func:`asymptotic_cosine`.
    It is non-increasing in ``eta`` (strictly decreasing for
    ``0 < delta < delta*``), at least the Bayes error ``Phi(-sqrt(rho))``, and
    its limits are :func:`error_limit_eta_to_minus_one`,
    :func:`error_limit_eta_to_infinity` (strictly above the Bayes error) and
    :func:`error_limit_at_threshold` (the same for every ``eta``).

    Parameters and returns as in :func:`asymptotic_margin`.
    """
    c, _ = _cosine_and_margin(rho, eta, delta)
    r = np.asarray(rho, dtype=np.float64)
    return _out(ndtr(-np.sqrt(r) * c))


def _limit(rho, delta, q_value):
    r = _as_param(rho, "rho", 0.0, high=RHO_MAX)
    d = _as_param(delta, "delta", 0.0)
    s = np.sqrt(r)
    dstar, _ = _threshold_and_cosine(s)
    shape = np.broadcast(r, d).shape
    dstar = np.broadcast_to(dstar, shape)
    d_b = np.broadcast_to(d, shape)
    above = _warn_above(d_b, dstar)
    q = np.full(shape, q_value)
    c, _ = _solve(s, np.where(above, 1.0, d_b), q)
    if np.isinf(q_value):  # eta -> -1: for delta <= 2 the noise alone separates, c* -> 0
        c = np.where(d_b <= 2.0, 0.0, c)
    err = ndtr(-s * c)
    return _out(np.where(above, np.nan, err))


def error_limit_eta_to_minus_one(rho, delta):
    """``lim_{eta -> -1} Err*(eta)`` (full shrinkage of the signal direction).

    For ``delta <= 2`` the ``p - 1`` pure-noise coordinates alone separate
    the data (Cover's threshold), the vanishing signal coordinate is ignored
    and the limit is ``1/2``.  For ``2 < delta < delta*`` the noise cannot
    separate, the classifier must use the signal coordinate, and the limit is
    ``Phi(-sqrt(rho) c_-)`` with ``c_- = argmax_c K_delta(c) / c``.
    """
    return _limit(rho, delta, -np.inf)


def error_limit_eta_to_infinity(rho, delta):
    """``lim_{eta -> inf} Err*(eta) = Phi(-sqrt(rho) c_+)``, ``c_+ = argmax K_delta(c)/sqrt(1-c^2)``.

    ``c_+ < 1`` because ``K_delta(c) -> -inf`` as ``c -> 1``, so the limit is
    strictly larger than the Bayes error ``Phi(-sqrt(rho))``: infinite
    expansion does not recover the Bayes classifier at a fixed aspect ratio.
    """
    return _limit(rho, delta, 1.0)


def error_limit_at_threshold(rho):
    """``lim_{delta -> delta*} Err* = Phi(-sqrt(rho) c_sep)``, the same for every ``eta``."""
    r = _as_param(rho, "rho", 0.0, high=RHO_MAX)
    s = np.sqrt(r)
    _, c = _threshold_and_cosine(s)
    return _out(ndtr(-s * c))
