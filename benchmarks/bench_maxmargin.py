"""Benchmark of the max-margin solvers (run: ``python benchmarks/bench_maxmargin.py``).

1. A 200-point ``Err*(eta)`` curve: the vectorised bisection solver of
   :mod:`theory.maxmargin` against the naive approach (a bounded
   ``scipy.optimize.minimize_scalar`` per point with ``F^{-1}`` by ``brentq``).
2. The exact hard-margin SVM at ``n = 800``, ``p = 1600``: the Lawson-Hanson
   NNLS solver :func:`theory.svm.max_margin` against the cvxpy SOCP reference
   (Clarabel), with the agreement of margin and direction.
3. The separability test at the same size: the LP (HiGHS).

Options: ``--n``, ``--p``, ``--rho``, ``--seed``, ``--skip-cvxpy``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import norm

from theory.gmm import sample_gmm
from theory.maxmargin import asymptotic_error, gaussian_hinge_moment
from theory.svm import is_separable, max_margin, max_margin_cvxpy


def naive_error(rho: float, eta: float, delta: float) -> float:
    s = np.sqrt(rho)
    q = 1 - (1 + eta) ** -2

    def Finv(x):
        return brentq(lambda t: gaussian_hinge_moment(t) - x, -40.0, np.sqrt(x) + 2.0, xtol=1e-14)

    def negJ(c):
        return -(c * s + Finv((1 - c * c) / delta)) / np.sqrt(1 - q * c * c)

    c = minimize_scalar(negJ, bounds=(0.0, 1 - 1e-9), method="bounded", options={"xatol": 1e-12}).x
    return float(norm.cdf(-s * c))


def best_of(f, k=3):
    best, out = np.inf, None
    for _ in range(k):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=800)
    ap.add_argument("--p", type=int, default=1600)
    ap.add_argument("--rho", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-cvxpy", action="store_true")
    args = ap.parse_args()

    etas = np.linspace(-0.9, 10.0, 200)
    delta = 1.5
    t_fast, curve = best_of(lambda: asymptotic_error(args.rho, etas, delta), k=5)
    t_naive, naive = best_of(lambda: np.array([naive_error(args.rho, e, delta) for e in etas]), k=1)
    print(f"[1] Err*(eta), 200 points (rho={args.rho}, delta={delta}):")
    print(f"    vectorised bisection {t_fast * 1e3:8.1f} ms | naive per-point {t_naive * 1e3:8.1f} ms "
          f"| ratio {t_naive / t_fast:6.1f}x | max |diff| {np.max(np.abs(curve - naive)):.1e}")

    mu = np.zeros(args.p)
    mu[0] = np.sqrt(args.rho)
    h, y = sample_gmm(args.n, mu, seed=args.seed)
    t_nnls, fit = best_of(lambda: max_margin(h, y), k=3)
    print(f"[2] hard-margin SVM, n={args.n}, p={args.p}:")
    print(f"    NNLS (Lawson-Hanson) {t_nnls:8.3f} s  margin {fit.margin:.10f}  support vectors {fit.n_support}")
    if not args.skip_cvxpy:
        t_cvx, ref = best_of(lambda: max_margin_cvxpy(h, y), k=1)
        print(f"    cvxpy SOCP (Clarabel) {t_cvx:7.3f} s  margin {ref.margin:.10f}")
        print(f"    ratio {t_cvx / t_nnls:6.1f}x | |margin diff| {abs(fit.margin - ref.margin):.1e} "
              f"| ||beta diff|| {np.linalg.norm(fit.beta - ref.beta):.1e}")
    t_lp, sep = best_of(lambda: is_separable(h, y), k=1)
    print(f"[3] separability LP (HiGHS), n={args.n}, p={args.p}: {t_lp:.3f} s -> separable={sep}")
    h2, y2 = sample_gmm(int(1.2 * 3.70 * 200), mu[:200] if args.p >= 200 else mu, seed=args.seed)
    t_lp2, sep2 = best_of(lambda: is_separable(h2, y2), k=1)
    print(f"    and above delta* (n={h2.shape[0]}, p={h2.shape[1]}): {t_lp2:.3f} s -> separable={sep2}")


if __name__ == "__main__":
    main()
