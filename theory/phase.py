"""Expansion / shrinkage: the threshold tau*, the expansion measure, W_eta.

Gui, Ma & Zhong (poster, "Expansion-shrinkage phase transition in GMM
features" and "Effect of projectors on generalization accuracy").
"""

from __future__ import annotations

import numpy as np

from theory._validation import as_real_array, check_matrix, check_scalar, check_vector

__all__ = ["tau_star", "regime", "expansion_measure", "w_eta", "eta_from_expansion_measure"]




def tau_star(sigma2, rho):
    """The expansion-shrinkage threshold of Theorem 1.

    .. math::

        \\tau^* = \\frac{2\\rho}{(1 + \\sigma_{aug}^2 + \\rho)\\,\\log(1 + 2\\sigma_{aug}^2)},
        \\qquad \\rho = \\|\\mu\\|^2 .

    Parameters
    ----------
    sigma2 : float or array_like
        Augmentation variance ``sigma_aug^2`` (> 0; at 0 the threshold is
        infinite and every temperature is in the shrinkage regime).
    rho : float or array_like
        Signal strength ``||mu||^2`` (> 0).

    Returns
    -------
    float or ndarray
        ``tau*``, broadcast over the inputs.
    """
    s = as_real_array(sigma2, "sigma2")
    r = as_real_array(rho, "rho")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError("sigma2 must be finite and in (0, inf)")
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ValueError("rho must be finite and in (0, inf)")
    out = 2.0 * r / ((1.0 + s + r) * np.log1p(2.0 * s))
    return float(out) if out.ndim == 0 else out


def regime(sigma2: float, tau: float, rho: float) -> str:
    """``"expansion"`` if ``tau >= tau*(sigma2, rho)`` else ``"shrinkage"``."""
    tau = check_scalar(tau, "tau", low=0.0, closed="neither")
    return "expansion" if tau >= tau_star(sigma2, rho) else "shrinkage"


def expansion_measure(W, mu) -> float:
    """Expansion measure of a projector (poster, Figure 3).

    .. math::

        \\tilde t(W) = \\frac{\\|W\\mu\\|^2}{\\|W\\|_F^2\\,\\|\\mu\\|^2} \\in [0, 1],

    equal to 1 exactly when ``W`` is rank one with its row space along ``mu``.
    It is invariant to ``W -> cW``, ``W -> UW`` (``U`` orthogonal) and
    ``W -> WQ`` (``Q`` orthogonal with ``Q mu = mu``).
    """
    mu = check_vector(mu, "mu", nonzero=True)
    W = check_matrix(W, "W", shape=(None, mu.size))
    fro2 = float(np.sum(W * W))
    if fro2 == 0.0:
        raise ValueError("W must be non-zero (||W||_F > 0)")
    Wm = W @ mu
    return float(Wm @ Wm) / (fro2 * float(mu @ mu))


def w_eta(mu, eta: float) -> np.ndarray:
    """The projector family ``W_eta = I_p + eta mu mu^T / rho`` (eta > -1).

    ``eta > 0`` expands the signal direction, ``-1 < eta < 0`` shrinks it,
    ``eta = 0`` is the identity.
    """
    mu = check_vector(mu, "mu", nonzero=True)
    eta = check_scalar(eta, "eta", low=-1.0, closed="neither")
    return np.eye(mu.size) + eta * np.outer(mu, mu) / float(mu @ mu)


def eta_from_expansion_measure(t, p: int):
    """The ``eta`` whose ``W_eta`` (in dimension ``p``) has expansion measure ``t``.

    For ``W_eta`` the expansion measure is
    ``(1 + eta)^2 / ((1 + eta)^2 + p - 1)``, an increasing bijection from
    ``(-1, inf)`` onto ``(0, 1)``; its inverse is

    .. math::

        1 + \\eta = \\sqrt{t (p - 1) / (1 - t)} .

    ``t = 1`` (rank one along ``mu``) maps to ``eta = inf`` and ``t = 0`` to
    ``eta = -1`` (the signal is projected out).  Vectorised over ``t``.
    """
    from theory._validation import check_int

    p = check_int(p, "p", low=2)
    t_arr = as_real_array(t, "t")
    if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0) or np.any(t_arr > 1):
        raise ValueError("t must be in [0, 1]")
    out = np.where(t_arr >= 1.0, np.inf, np.sqrt(t_arr * (p - 1) / np.maximum(1.0 - t_arr, 1e-300)) - 1.0)
    return float(out) if out.ndim == 0 else out
