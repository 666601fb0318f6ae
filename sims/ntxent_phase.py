"""Phase diagram of the infinite-batch NT-Xent loss: ``python -m sims.ntxent_phase``.

The loss SimCLR trains with (per-sample cosines, large-batch limit,
:mod:`theory.ntxent_population`) minimised over the family ``M(t)`` at every
point of a ``(sigma_aug^2, tau)`` grid, beside the minimisers of the exact
population loss ``C`` and of its first-order approximation ``L~``
(:mod:`theory.population_loss`), with Theorem 1's ``tau*`` and the exact
loss's ``tau_C`` (:mod:`theory.exact_boundary`).  The NT-Xent minimiser is
computed twice: at the dimension ``--p`` (a Gauss-Hermite rule that is not
reliable near rank one) and in the limit ``p -> inf`` (a rule that resolves
the layer near rank one, accurate to ~1e-14 everywhere), with the
coefficient ``K`` of its ``-K sqrt(1 - t)`` escape from rank one
(``docs/expansion_shrinkage.md``, section 9.3).  Each ``sigma_aug^2`` row
is a unit of work (any ``--backend``; an interrupted run resumes).  The
quadrature error of ``L_inf`` at each minimiser is recorded.
"""

from __future__ import annotations

import numpy as np

from sims._common import ArgumentParser, Simulation, Unit, add_run_arguments, apply_quick
from theory._validation import check_int, check_scalar

NAME = "ntxent_phase"

__all__ = ["build_parser", "make_config", "units", "combine", "run", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.ntxent_phase",
        description=(
            "Expansion measure of the minimiser of the infinite-batch NT-Xent loss over (sigma_aug^2, tau), "
            "beside the exact population loss C and its first-order approximation L~, with tau* and tau_C."
        ),
    )
    g = ap.add_argument_group("grid")
    g.add_argument("--n-sigma2", type=int, default=8, help="number of sigma_aug^2 values (log-spaced)")
    g.add_argument("--sigma2-min", type=float, default=0.05, help="smallest sigma_aug^2 (>= 1e-3)")
    g.add_argument("--sigma2-max", type=float, default=10.0, help="largest sigma_aug^2 (<= 100)")
    g.add_argument("--n-tau", type=int, default=8, help="number of temperatures (log-spaced)")
    g.add_argument("--tau-min", type=float, default=0.05, help="smallest temperature (>= 0.05, the quadrature's range)")
    g.add_argument("--tau-max", type=float, default=50.0, help="largest temperature")
    m = ap.add_argument_group("model and quadrature")
    m.add_argument("--rho", type=float, default=2.0, help="signal strength ||mu||^2 (in [1e-3, 1e2])")
    m.add_argument("--p", type=int, default=32, help="feature dimension")
    m.add_argument("--nodes", type=int, default=12,
                   help="Gauss nodes per dimension at --p (cost ~ n^5 per evaluation)")
    m.add_argument("--limit-nodes", type=int, default=8,
                   help="Gauss-Legendre nodes per panel of the p -> inf rule (cost ~ n^2)")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    """Validate the flags (all of them, before anything runs)."""
    apply_quick(args, build_parser(), n_sigma2=3, n_tau=3, nodes=8)
    s_lo = check_scalar(args.sigma2_min, "--sigma2-min", low=1e-3, high=1e2)
    s_hi = check_scalar(args.sigma2_max, "--sigma2-max", low=s_lo, high=1e2)
    t_lo = check_scalar(args.tau_min, "--tau-min", low=0.05, high=1e3)
    t_hi = check_scalar(args.tau_max, "--tau-max", low=t_lo, high=1e3)
    return {
        "sigma2_range": [s_lo, s_hi],
        "n_sigma2": check_int(args.n_sigma2, "--n-sigma2", low=1, high=500),
        "tau_range": [t_lo, t_hi],
        "n_tau": check_int(args.n_tau, "--n-tau", low=1, high=500),
        "rho": check_scalar(args.rho, "--rho", low=1e-3, high=1e2),
        "p": check_int(args.p, "--p", low=2, high=10**6),
        "nodes": check_int(args.nodes, "--nodes", low=4, high=40),
        "limit_nodes": check_int(args.limit_nodes, "--limit-nodes", low=4, high=40),
        "seed": check_int(args.seed, "--seed", low=0),
        "quick": bool(args.quick),
    }


def _grid(config: dict) -> tuple[np.ndarray, np.ndarray]:
    return (np.geomspace(*config["sigma2_range"], config["n_sigma2"]),
            np.geomspace(*config["tau_range"], config["n_tau"]))


def _row(sigma2: float, taus: np.ndarray, rho: float, p: int, nodes: int, limit_nodes: int):
    """One unit: the NT-Xent minimiser (and its quadrature error) at every temperature of one row, at ``p``
    and in the limit ``p -> inf``."""
    from theory.ntxent_population import minimize_population_ntxent, population_ntxent

    out = []
    for dim, n in ((p, nodes), (None, limit_nodes)):
        t = np.array([minimize_population_ntxent(sigma2, tau, rho, dim, n=n, n_grid=9, n_iter=14)[0] for tau in taus])
        err = np.array([population_ntxent(ti, sigma2, tau, rho, dim, n=n).error for ti, tau in zip(t, taus)])
        out += [t, err]
    return tuple(out)


def units(config: dict) -> list[Unit]:
    sigma2, tau = _grid(config)
    return [Unit(_row, (float(s), tau, config["rho"], config["p"], config["nodes"], config["limit_nodes"]))
            for s in sigma2]


def combine(config: dict, results: list):
    from theory.exact_boundary import tau_c
    from theory.ntxent_population import rank_one_sqrt_coefficient
    from theory.phase import tau_star
    from theory.population_loss import minimize_reduced

    sigma2, tau = _grid(config)
    t_ntx = np.stack([r[0] for r in results])
    err = np.stack([r[1] for r in results])
    t_lim = np.stack([r[2] for r in results])
    err_lim = np.stack([r[3] for r in results])
    K = np.array([[rank_one_sqrt_coefficient(si, ti, config["rho"], None) for ti in tau] for si in sigma2])
    reliable = err <= 1e-3
    S, T = np.meshgrid(sigma2, tau, indexing="ij")
    t_c = minimize_reduced(S, T, config["rho"], config["p"], "exact", method="unimodal")[0]
    t_fo = minimize_reduced(S, T, config["rho"], config["p"], "first_order", method="unimodal")[0]
    scalars = {
        "max_quadrature_error": float(err.max()),
        "ntxent_rank_one_fraction": float(np.mean(t_ntx == 1.0)),
        "ntxent_limit_rank_one_fraction": float(np.mean(t_lim == 1.0)),
        "max_t_star_ntxent_limit": float(t_lim.max()),
        "max_quadrature_error_limit": float(err_lim.max()),
        "min_rank_one_coefficient": float(K.min()),
        "reliable_fraction": float(np.mean(reliable)),
        "max_abs_t_ntxent_minus_limit_where_reliable": float(np.max(np.abs(t_ntx - t_lim)[reliable]))
        if reliable.any() else float("nan"),
        "max_abs_t_ntxent_minus_limit_where_unreliable": float(np.max(np.abs(t_ntx - t_lim)[~reliable]))
        if (~reliable).any() else float("nan"),
        "exact_rank_one_fraction": float(np.mean(t_c == 1.0)),
        "mean_t_ntxent_minus_t_exact": float(np.mean(t_ntx - t_c)),
        "max_abs_t_ntxent_minus_t_exact": float(np.max(np.abs(t_ntx - t_c))),
    }
    arrays = {
        "sigma2": sigma2, "tau": tau, "t_star_ntxent": t_ntx, "quadrature_error": err,
        "t_star_ntxent_limit": t_lim, "quadrature_error_limit": err_lim, "rank_one_coefficient": K,
        "t_star_exact": t_c, "t_star_first_order": t_fo,
        "tau_star": np.asarray(tau_star(sigma2, config["rho"])), "tau_c": np.asarray(tau_c(sigma2, config["rho"])),
    }
    return scalars, arrays


def run(config: dict, runner=None):
    """The sweep (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.ntxent_phase", figure_stems=("ntxent_phase",),
    describe=lambda c: f"NT-Xent phase diagram ({c['n_sigma2']} x {c['n_tau']}, rho={c['rho']}, p={c['p']})",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
