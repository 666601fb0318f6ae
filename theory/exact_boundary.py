"""The exact loss's own phase boundary ``tau_C`` and its low-temperature law.

Gui, Ma & Zhong's threshold ``tau*`` (Theorem 1, :func:`theory.phase.tau_star`)
is exact for the first-order loss ``L~``.  The exact population loss ``C``
(:mod:`theory.population_loss`) is minimised on the family
``M(t) = t uu^T + (1 - t)(I - uu^T)/(p - 1)``; its minimiser is rank one
(``t = 1``) exactly when ``tau >= tau_C``.  Derivation (``docs/expansion_shrinkage.md``,
section "The exact boundary"): with ``s = sigma_aug^2``, ``N = 1 + s + rho``,
``D = 1/(tau N)`` and ``b = 2(1 + s) D``,

.. math::

    \\frac{dC}{dt}\\Big|_{t=1} = \\frac{D}{N}\\, g, \\qquad
    g = (1+s)^2 \\frac{b}{1+b} + \\rho
        - \\frac{2\\rho(1+s)}{(1+b)^2\\,(1 + e^{a})}, \\qquad
    a = \\frac{\\rho\\, b}{(1+s)(1+b)} ,

which does not depend on ``p`` (the ``(p-1)`` orthogonal directions
contribute ``b/2`` at ``t = 1`` whatever ``p``).  ``g`` is strictly
increasing in ``b``, hence strictly decreasing in ``tau``, from
``(1+s)^2 + rho > 0`` (``tau -> 0``) to ``-rho s < 0`` (``tau -> inf``):
one root, ``tau_C = 2(1+s) / (b_C N)``.  Below ``tau_C`` the slope is
positive, so ``t = 1`` is not a minimiser; above it ``t = 1`` is a local
minimiser, and the global one (checked numerically over the documented
range, ``tests/test_exact_boundary.py``).

Limits of ``tau_C / tau*`` (derived in the docs, checked in the tests):
``(rho^2 + 4 rho + 2) / rho^2`` as ``s -> 0``; ``-> 1`` as ``rho -> inf``;
growth like ``s^2 log(2 s) / rho^2`` as ``s -> inf`` and like
``(1+s)^3 log(1+2s) / (s rho^2)`` as ``rho -> 0``.

Low temperature: as ``tau -> 0`` at fixed ``p`` the exact minimiser returns
to rank one,

.. math::

    1 - t^* \\sim \\tau\\,(p-1)\\,\\frac{N\\,((1+s)^2 + \\rho)}{2 s \\rho (1+s)},

so the re-expansion at small ``tau`` is a small-``p`` effect: the law needs
``tau (p - 1)`` small, and at large ``p`` the minimiser stays shrunk.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from theory._validation import as_real_array, check_int

__all__ = ["SIGMA2_RANGE", "RHO_RANGE", "TAU_RANGE", "rank_one_slope", "tau_c", "low_temperature_deficit"]

#: The ranges over which :func:`tau_c` is documented (and tested) to be accurate to 1e-10 relative.
SIGMA2_RANGE = (1e-6, 1e6)
RHO_RANGE = (1e-6, 1e6)
#: The temperatures :func:`rank_one_slope` and :func:`low_temperature_deficit` accept.
TAU_RANGE = (1e-12, 1e12)


def _array_in(value, name: str, low: float, high: float) -> np.ndarray:
    arr = as_real_array(value, name)
    if not np.all(np.isfinite(arr)) or np.any(arr < low) or np.any(arr > high):
        raise ValueError(f"{name} must be in [{low:g}, {high:g}] (the documented accuracy range)")
    return arr


def _g_of_b(b, s, rho):
    """The scaled slope ``g`` as a function of ``b`` (increasing in ``b``)."""
    x = b / (1.0 + b)
    u = 1.0 / (1.0 + b)
    a = rho * x / (1.0 + s)
    return (1.0 + s) ** 2 * x + rho - 2.0 * rho * (1.0 + s) * u * u * expit(-a)


def rank_one_slope(sigma2, tau, rho):
    """``dC/dt`` at ``t = 1`` on the reduced family, in closed form (any ``p >= 2``).

    Parameters
    ----------
    sigma2, tau, rho : float or array_like
        Broadcast together; ``sigma2`` in :data:`SIGMA2_RANGE`, ``tau`` in
        :data:`TAU_RANGE`, ``rho`` in :data:`RHO_RANGE`.

    Returns
    -------
    float or ndarray
        The slope; positive means the minimiser is not rank one.
    """
    s = _array_in(sigma2, "sigma2", *SIGMA2_RANGE)
    tau = _array_in(tau, "tau", *TAU_RANGE)
    rho = _array_in(rho, "rho", *RHO_RANGE)
    N = 1.0 + s + rho
    D = 1.0 / (tau * N)
    out = D / N * _g_of_b(2.0 * (1.0 + s) * D, s, rho)
    return float(out) if out.ndim == 0 else out


def tau_c(sigma2, rho):
    """The exact loss's rank-one boundary ``tau_C(sigma2, rho)`` (independent of ``p``).

    The root of :func:`rank_one_slope` in ``tau``, found as the root ``b_C``
    of the increasing function ``g(b)`` by vectorised bisection in ``log b``
    on ``[-690, 690]`` (90 halvings: a bracket of 1e-24 in ``log b``, so the
    accuracy is that of evaluating ``g``, about 1e-13 relative).  Broadcasts
    like :func:`theory.phase.tau_star`.

    Parameters
    ----------
    sigma2 : float or array_like
        ``sigma_aug^2`` in :data:`SIGMA2_RANGE`.
    rho : float or array_like
        ``||mu||^2`` in :data:`RHO_RANGE`.

    Returns
    -------
    float or ndarray
        ``tau_C``: the exact minimiser is rank one iff ``tau >= tau_C``.
    """
    s = _array_in(sigma2, "sigma2", *SIGMA2_RANGE)
    rho = _array_in(rho, "rho", *RHO_RANGE)
    s, rho = np.broadcast_arrays(s, rho)
    lo = np.full(s.shape, -690.0)  # log b: g(e^-690) < 0 < g(e^690) over the documented range
    hi = np.full(s.shape, 690.0)
    for _ in range(90):
        mid = 0.5 * (lo + hi)
        pos = _g_of_b(np.exp(mid), s, rho) > 0
        hi = np.where(pos, mid, hi)
        lo = np.where(pos, lo, mid)
    b = np.exp(0.5 * (lo + hi))
    out = 2.0 * (1.0 + s) / (b * (1.0 + s + rho))
    return float(out) if out.ndim == 0 else out


def low_temperature_deficit(tau, sigma2, rho, p):
    """Leading-order ``1 - t*`` of the exact minimiser as ``tau -> 0`` at fixed ``p``.

    .. math::

        1 - t^* \\sim \\tau\\,(p-1)\\,\\frac{(1+s+\\rho)((1+s)^2+\\rho)}{2 s \\rho (1+s)} .

    Valid while the right-hand side is small (``tau (p - 1)`` small); it is
    the balance of the ``O(1/tau)`` terms of ``dC/dt`` near ``t = 1``
    (derivation in ``docs/expansion_shrinkage.md``).
    """
    tau = _array_in(tau, "tau", *TAU_RANGE)
    s = _array_in(sigma2, "sigma2", *SIGMA2_RANGE)
    rho = _array_in(rho, "rho", *RHO_RANGE)
    p = check_int(p, "p", low=2)
    out = tau * (p - 1) * (1.0 + s + rho) * ((1.0 + s) ** 2 + rho) / (2.0 * s * rho * (1.0 + s))
    return float(out) if out.ndim == 0 else out
