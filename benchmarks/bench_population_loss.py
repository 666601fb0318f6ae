"""Benchmark: closed form + reduced minimiser against the naive approaches.

Run: ``python benchmarks/bench_population_loss.py [--p 8] [--restarts 8]``

1. One grid point, exact loss: reduced one-scalar minimiser
   (``minimize_population_loss``) vs multistart L-BFGS with autograd over the
   full ``W`` on the same closed form (``minimize_population_loss_full``);
   both reach the same minimum (printed), the ratio is the speed-up.
2. Per grid point inside the vectorised sweep (``minimize_reduced`` on a
   100 x 100 grid) vs the full-W multistart.
3. Loss evaluation: closed form vs the Monte-Carlo estimate (the
   Monte-Carlo standard error is printed; the closed form is exact to
   rounding, so the comparison is generous to Monte Carlo).
4. Monte-Carlo loss + SGD (Adam on the empirical loss, ``sims.phase_train``)
   vs the reduced minimiser, with the error in the expansion measure reached.
   Also the sweep's two minimisers side by side: today's golden search on
   all of ``[0, 1]`` (``method="unimodal"``) against the previous 513-point
   grid search; and the closed-form ``tau_c`` against the previous
   bisection on the minimiser.
5. ``sims.phase_diagram`` sweeps (default 100 x 100; paper 200 x 200 x 3;
   1000 x 1000), timed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _timeit(fn, repeat=3):
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p", type=int, default=8)
    ap.add_argument("--restarts", type=int, default=8)
    ap.add_argument("--sigma2", type=float, default=0.5)
    ap.add_argument("--tau", type=float, default=2.0)
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from sims.phase_diagram import build_parser, make_config, run
    from theory.population_loss import (
        minimize_population_loss,
        minimize_population_loss_full,
        minimize_reduced,
        monte_carlo_loss,
        population_loss,
    )

    p, s, tau = args.p, args.sigma2, args.tau
    mu = np.zeros(p)
    mu[0] = 1.0
    print(f"# p = {p}, sigma2 = {s}, tau = {tau}, rho = 1 (timings: best of 3, 1 thread)")

    t_red, red = _timeit(lambda: minimize_population_loss(mu, s, tau))
    t_full, full = _timeit(lambda: minimize_population_loss_full(mu, s, tau, n_restarts=args.restarts, seed=0), 1)
    print(f"[1] reduced minimiser     {t_red * 1e3:9.3f} ms  loss {red.loss_value:.12f}  t* {red.expansion_measure:.6f}")
    print(f"    full-W L-BFGS x{args.restarts:<3d}  {t_full * 1e3:9.1f} ms  loss {full.loss_value:.12f}  t* {full.expansion_measure:.6f}")
    print(f"    speed-up (full / reduced): {t_full / t_red:,.0f}x")

    S, T = np.meshgrid(np.geomspace(1e-2, 10, 100), np.geomspace(1e-3, 1e3, 100))
    t_grid, (tg, _) = _timeit(lambda: minimize_reduced(S, T, 1.0, p, "exact"))
    t_uni, (tu, _) = _timeit(lambda: minimize_reduced(S, T, 1.0, p, "exact", method="unimodal"))
    per_point, per_uni = t_grid / S.size, t_uni / S.size
    print(f"[2] grid-search sweep (513-point grid + golden)  {per_point * 1e6:9.2f} us per grid point "
          f"({S.size} points in {t_grid:.2f} s)")
    print(f"    unimodal sweep (golden on [0, 1])            {per_uni * 1e6:9.2f} us per grid point "
          f"({t_uni:.2f} s; max |t difference| {np.max(np.abs(tg - tu)):.1e}, "
          f"rank-one sets equal: {bool(np.array_equal(tg == 1, tu == 1))})")
    print(f"    speed-up: grid / unimodal {per_point / per_uni:,.1f}x; full-W / unimodal per point "
          f"{t_full / per_uni:,.0f}x")

    from sims.phase_diagram import exact_rank_one_boundary
    from theory.exact_boundary import tau_c

    s_grid = np.geomspace(1e-2, 10, 100)
    t_bis, bd = _timeit(lambda: exact_rank_one_boundary(s_grid, 1.0, p, n_grid=513), 1)
    t_tc, tc = _timeit(lambda: tau_c(s_grid, 1.0))
    print(f"[2b] exact boundary for 100 sigma2: bisection on the minimiser {t_bis:.2f} s, closed-form tau_c "
          f"{t_tc * 1e3:.2f} ms ({t_bis / t_tc:,.0f}x; max relative difference {np.max(np.abs(bd / tc - 1)):.1e}, "
          f"the bisection's resolution)")

    rng = np.random.default_rng(0)
    W = rng.standard_normal((p, p))
    t_cf, c = _timeit(lambda: population_loss(W, mu, s, tau))
    t_mc, mc = _timeit(lambda: monte_carlo_loss(W, mu, s, tau, n=100_000, seed=1), 1)
    print(f"[3] closed form           {t_cf * 1e6:9.1f} us  value {c:.10f}")
    print(f"    Monte Carlo n=1e5     {t_mc * 1e3:9.1f} ms  value {mc.value:.6f} +- {mc.stderr:.1e}")
    print(f"    speed-up (MC / closed form): {t_mc / t_cf:,.0f}x  (and MC would need ~{(mc.stderr / 1e-8) ** 2 * 1e5:.0e} samples for 1e-8)")

    from theory.projector_training import train_gmm_projectors

    t_sgd, res = _timeit(lambda: train_gmm_projectors(mu, s, tau, steps=300, batch=512, seed=0, device="cpu"), 1)
    t_learned = float(res.expansion_measure[0])
    print(f"[4] Adam on MC loss (300 steps x 512)  {t_sgd:6.2f} s  t = {t_learned:.4f} vs t* = {red.expansion_measure:.4f}"
          f"  (|err| {abs(t_learned - red.expansion_measure):.1e})")
    print(f"    speed-up (SGD / reduced): {t_sgd / t_red:,.0f}x")

    from sims._runner import Runner

    for flags in ([], ["--n-sigma2", "200", "--n-tau", "200", "--rho", "0.5", "1", "4"],
                  ["--n-sigma2", "1000", "--n-tau", "1000"]):
        cfg = make_config(build_parser().parse_args(flags))
        t0 = time.perf_counter()
        run(cfg, Runner(n_jobs=2))
        print(f"[5] phase diagram {' '.join(flags) or '(default, 100 x 100)'} with n_jobs=2: "
              f"{time.perf_counter() - t0:.2f} s (in process, no start-up)")


if __name__ == "__main__":
    main()
