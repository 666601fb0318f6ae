"""Independent reference computations shared by several test files (no package formula is re-typed here)."""

import numpy as np


def explicit_projector(t: float, p: int) -> np.ndarray:
    """W(t) = diag(sqrt t, sqrt((1-t)/(p-1)), ...): expansion measure t along e_1, built without the package."""
    return np.diag([np.sqrt(t)] + [np.sqrt((1 - t) / (p - 1))] * (p - 1))


def slope_at_rank_one(loss, sigma2, tau, rho, p, h=1e-5):
    """d loss(W(t))/dt at t = 1 by the O(h^2) one-sided difference (3 f(1) - 4 f(1-h) + f(1-2h)) / 2h,
    for loss(W, mu, sigma2, tau) evaluated on explicit projectors with mu = sqrt(rho) e_1."""
    mu = np.zeros(p)
    mu[0] = np.sqrt(rho)
    f = [loss(explicit_projector(1.0 - k * h, p), mu, sigma2, tau) for k in range(3)]
    return (3 * f[0] - 4 * f[1] + f[2]) / (2 * h)
