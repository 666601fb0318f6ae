"""Does the infinite-batch NT-Xent minimiser over *all* W lie on the reduced family M(t)?

``theory.ntxent_population`` minimises ``L_inf`` over
``W(t) = sqrt(t) uu^T + sqrt((1-t)/(p-1)) (I - uu^T)`` only.  The loss
depends on ``W`` through ``W^T W`` up to scale (cosines are invariant to
``W -> c Q W``), so a minimiser over all ``W`` lies on ``M(t)`` iff ``mu`` is
an eigenvector of ``W^T W`` and the other ``p - 1`` eigenvalues are equal.

This script draws one large Monte-Carlo sample of the model (anchors, their
second views, a pool of independent negatives), and on that *same* sample
(common random numbers) minimises the empirical large-batch loss

* over all ``p x p`` matrices ``W`` (Adam in float64, several random starts),
* over the family ``M(t)`` (a fine grid of ``t``),

and prints both minima, the expansion measure of the full-``W`` minimiser,
the angle between ``mu`` and the nearest eigenvector of ``W^T W`` and the
spread of the other eigenvalues, next to the quadrature minimiser
``t*_NTXent``.  Usage::

    python scripts/ntxent_full_w_check.py [--p 4] [--sigma2 2] [--tau 1] [--rho 2] [--n 3000] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    import torch

    from theory.ntxent_population import minimize_population_ntxent

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", type=int, default=4, help="dimension (default: 4)")
    ap.add_argument("--sigma2", type=float, default=2.0, help="augmentation variance (default: 2)")
    ap.add_argument("--tau", type=float, default=1.0, help="temperature (default: 1)")
    ap.add_argument("--rho", type=float, default=2.0, help="||mu||^2 (default: 2)")
    ap.add_argument("--n", type=int, default=3000, help="anchors and negatives (default: 3000)")
    ap.add_argument("--starts", type=int, default=4, help="random starts of the full-W search (default: 4)")
    ap.add_argument("--steps", type=int, default=600, help="Adam steps per start (default: 600)")
    ap.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    rng = np.random.default_rng(a.seed)
    p, s, tau = a.p, a.sigma2, a.tau
    mu = np.zeros(p)
    mu[0] = math.sqrt(a.rho)

    def views(n: int, k: int):
        y = rng.choice([-1.0, 1.0], n)
        h = y[:, None] * mu + rng.standard_normal((n, p))
        return [h + math.sqrt(s) * rng.standard_normal((n, p)) for _ in range(k)]

    A, B = (torch.tensor(v) for v in views(a.n, 2))
    (Neg,) = (torch.tensor(v) for v in views(a.n, 1))

    def per_anchor(W: torch.Tensor, A, B, Neg) -> torch.Tensor:
        za, zb, zn = (torch.nn.functional.normalize(x @ W.T, dim=1) for x in (A, B, Neg))
        lme = torch.logsumexp(za @ zn.T / tau, dim=1) - math.log(Neg.shape[0])
        return -(za * zb).sum(1) / tau + lme

    def loss(W: torch.Tensor) -> torch.Tensor:
        return per_anchor(W, A, B, Neg).mean()

    def family(t: float) -> torch.Tensor:
        u = torch.zeros(p, dtype=torch.float64)
        u[0] = 1.0
        P = torch.outer(u, u)
        return math.sqrt(t) * P + math.sqrt((1 - t) / (p - 1)) * (torch.eye(p, dtype=torch.float64) - P)

    t0 = time.perf_counter()
    grid = np.linspace(0.0, 1.0, 401)
    with torch.no_grad():
        fam = np.array([float(loss(family(float(t)))) for t in grid])
    k = int(np.argmin(fam))
    t_fam, l_fam = float(grid[k]), float(fam[k])

    best = (math.inf, None)
    gen = torch.Generator().manual_seed(a.seed)
    for _ in range(a.starts):
        W = torch.randn(p, p, dtype=torch.float64, generator=gen).requires_grad_(True)
        opt = torch.optim.Adam([W], lr=0.03)
        for _ in range(a.steps):
            opt.zero_grad()
            val = loss(W)
            val.backward()
            opt.step()
        with torch.no_grad():
            val = float(loss(W))
        if val < best[0]:
            best = (val, W.detach().clone())
    l_full, W = best
    G = (W.T @ W).numpy()
    G /= np.trace(G)
    t_full = float(G[0, 0])  # expansion measure ||W u||^2 / ||W||_F^2
    evals, evecs = np.linalg.eigh(G)
    j = int(np.argmax(np.abs(evecs[0])))
    angle = math.degrees(math.acos(min(1.0, abs(float(evecs[0, j])))))
    others = np.delete(evals, j)
    t_quad, _ = minimize_population_ntxent(s, tau, a.rho, p, n=16)
    # held out: a fresh sample, paired per anchor (is the all-W advantage real or fitted to the sample noise?)
    A2, B2 = (torch.tensor(v) for v in views(a.n, 2))
    (Neg2,) = (torch.tensor(v) for v in views(a.n, 1))
    with torch.no_grad():
        diff = (per_anchor(W, A2, B2, Neg2) - per_anchor(family(t_fam), A2, B2, Neg2)).numpy()
    d_mean, d_se = float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(diff.size))
    print(f"p={p}, sigma2={s:g}, tau={tau:g}, rho={a.rho:g}, {a.n} anchors and negatives, seed {a.seed} "
          f"({time.perf_counter() - t0:.1f} s)")
    print(f"  family M(t):   min loss {l_fam:.5f} at t = {t_fam:.4f}   (quadrature t*_NTXent = {t_quad:.4f})")
    print(f"  all W (Adam):  min loss {l_full:.5f}, expansion measure {t_full:.4f}")
    print(f"  full minus family: {l_full - l_fam:+.2e} (negative = all-W search found a lower loss)")
    print(f"  held-out sample, all-W minimiser minus family minimiser: {d_mean:+.2e} +- {d_se:.1e} (s.e.)")
    print(f"  angle(mu, nearest eigenvector of W^T W) = {angle:.2f} deg; other eigenvalues "
          f"{np.array2string(others, precision=4)} (spread max/min = {others.max() / others.min():.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
