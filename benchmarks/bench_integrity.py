"""Greedy (Algorithm 1) vs convex cluster integrity: time and value gap.

Run: ``.venv/bin/python benchmarks/bench_integrity.py [--n 1000 --m 64 --K 4 --r 3 --reps 3]``.

Side by side in one process, on the same instances (Definition 1, ``kind="one"``):

* Algorithm 1 exactly as written (``variant="paper"``) and with the step sign
  fixed (``"signed_step"``) -- each returns a certified lower bound;
* the convex method (SOCP sign-pattern ascent from the greedy direction and
  annealed soft-min starts, cvxpy/CLARABEL) with its certified upper bound
  (SDP dual via ``lambda_max`` and cutting-plane exact subsets).

Prints the times, the values, the ratio greedy / convex-lower (how far the
greedy bound is from the best certified value) and the certified gap
``upper - lower`` (how far the best value may still be from the optimum).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from theory.integrity import convex_integrity, greedy_integrity
from theory.subspace import subspace_clusters


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--m", type=int, default=64)
    ap.add_argument("--K", type=int, default=4)
    ap.add_argument("--r", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"n={args.n} m={args.m} K={args.K} r={args.r}, {args.reps} instances")
    print(f"{'inst':>4} {'greedy':>9} {'t[s]':>6} {'signed':>9} {'t[s]':>6} {'convex lo':>10} {'convex up':>10} {'t[s]':>6} "
          f"{'greedy/lo':>9} {'t ratio':>8}")
    rows = []
    for i in range(args.reps):
        d = subspace_clusters(args.n, args.m, args.K, args.r, seed=args.seed + i)
        t0 = time.perf_counter()
        g = greedy_integrity(d.X, d.labels, seed=i)
        t1 = time.perf_counter()
        gs = greedy_integrity(d.X, d.labels, seed=i, variant="signed_step")
        t2 = time.perf_counter()
        c = convex_integrity(d.X, d.labels, seed=i)
        t3 = time.perf_counter()
        rows.append((g.lower, t1 - t0, gs.lower, t2 - t1, c.lower, c.upper, t3 - t2))
        r = rows[-1]
        print(f"{i:>4} {r[0]:9.5f} {r[1]:6.2f} {r[2]:9.5f} {r[3]:6.2f} {r[4]:10.5f} {r[5]:10.5f} {r[6]:6.2f} "
              f"{r[0] / r[4]:9.3f} {r[6] / r[1]:8.1f}")
    a = np.array(rows)
    print(f"median greedy/convex-lower = {np.median(a[:, 0] / a[:, 4]):.3f}, signed-step/convex-lower = "
          f"{np.median(a[:, 2] / a[:, 4]):.3f}, convex time / greedy time = {np.median(a[:, 6] / a[:, 1]):.1f}x, "
          f"median certified gap (upper - lower) = {np.median(a[:, 5] - a[:, 4]):.4f}")


if __name__ == "__main__":
    main()
