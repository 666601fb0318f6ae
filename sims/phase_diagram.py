"""Expansion-shrinkage phase diagram: ``python -m sims.phase_diagram``.

Sweeps ``(sigma_aug^2, tau)`` at one or several signal strengths ``rho``,
minimises the exact population loss ``C`` and its first-order approximation
``L~`` at every grid point (reduced one-scalar minimiser of
:mod:`theory.population_loss`), and records the expansion measure ``t*`` of
each minimiser, the threshold ``tau*`` of Theorem 1 and the exact loss's own
rank-one boundary.  Also computes the poster's Figure 3 (``t*`` against
``tau`` for a few ``sigma_aug^2``).

The exact loss's boundary is the closed form ``tau_C`` of
:mod:`theory.exact_boundary`, drawn beside ``tau*`` with the map of
``tau_C / tau*`` over ``(sigma_aug^2, rho)``; the exact minimiser is also
computed against ``tau`` for several dimensions ``p`` (``--curve-p``, a
``(tau, p)`` map), with the low-temperature law.

The sweep is split into units (``sigma2`` blocks per ``rho`` and loss, the
curves per ``rho``, one ``p`` curve per dimension) that run on ``--backend``
``loky``, ``threading`` or ``dask`` (``--dask-scheduler`` for a cluster);
each finished unit is saved, so an interrupted run resumes, and a rerun of
the same config is served from ``<out>/runs/<config_hash>/`` (``--force``
recomputes).  See ``docs/user_guide.md``.
"""

from __future__ import annotations

import numpy as np

from sims._common import ArgumentParser, CLIError, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "phase_diagram"
LOSS_NAMES = ("exact", "first_order")

__all__ = ["build_parser", "make_config", "units", "combine", "run", "exact_rank_one_boundary", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.phase_diagram",
        description=(
            "Expansion-shrinkage phase diagram of the 2-GMM contrastive loss: expansion measure of the "
            "minimiser of the exact loss C and of its first-order approximation L~ over (sigma_aug^2, tau), "
            "with the threshold tau* of Theorem 1."
        ),
    )
    g = ap.add_argument_group("grid")
    g.add_argument("--n-sigma2", type=int, default=100, help="number of sigma_aug^2 values (log-spaced)")
    g.add_argument("--sigma2-min", type=float, default=1e-2, help="smallest sigma_aug^2")
    g.add_argument("--sigma2-max", type=float, default=10.0, help="largest sigma_aug^2")
    g.add_argument("--n-tau", type=int, default=100, help="number of temperatures (log-spaced)")
    g.add_argument("--tau-min", type=float, default=1e-3, help="smallest temperature (in [1e-8, 1e8])")
    g.add_argument("--tau-max", type=float, default=1e3, help="largest temperature (in [1e-8, 1e8])")
    g.add_argument("--n-t-grid", type=int, default=17,
                   help="grid size of the global check of every minimiser (the minimiser itself is a golden-section "
                        "search on [0, 1], exact because the reduced losses are unimodal)")
    g.add_argument(
        "--curve-sigma2", type=float, nargs="+", default=[0.1, 0.5, 1.0, 2.0],
        help="sigma_aug^2 values in [1e-6, 1e6] of the Figure-3 curves (expansion measure against tau)",
    )
    g.add_argument("--n-curve-tau", type=int, default=400, help="temperatures per Figure-3 curve")
    d = ap.add_argument_group("dimension p (exact loss; L~ does not depend on p)")
    d.add_argument("--curve-p", type=int, nargs="+", default=[2, 20, 100, 512],
                   help="dimensions of the curves t* against tau (with the low-temperature law)")
    d.add_argument("--n-p-map", type=int, default=40, help="dimensions (log-spaced in [2, --p-map-max]) of the (tau, p) map")
    d.add_argument("--p-map-max", type=int, default=1024, help="largest dimension of the (tau, p) map")
    d.add_argument("--p-sigma2", type=float, default=0.5, help="sigma_aug^2 of the p curves and of the (tau, p) map")
    d.add_argument("--p-tau-min", type=float, default=1e-6, help="smallest temperature of the p curves and map")
    d.add_argument("--n-ratio", type=int, default=60,
                   help="grid size per axis of the tau_C / tau* map over (sigma_aug^2, rho) in [1e-3, 1e2]^2")
    m = ap.add_argument_group("model")
    m.add_argument("--rho", type=float, nargs="+", default=[1.0], help="signal strength(s) ||mu||^2, one panel row each")
    m.add_argument("--p", type=int, default=20, help="feature dimension (the exact loss depends on it, L~ does not)")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    """Validate the parsed flags and return the (hashable) config."""
    apply_quick(args, build_parser(), n_sigma2=24, n_tau=24, n_curve_tau=60, n_p_map=10,
                curve_p=[2, 20, 512], n_ratio=20)
    n_sigma2 = check_int(args.n_sigma2, "--n-sigma2", low=2, high=2000)
    n_tau = check_int(args.n_tau, "--n-tau", low=2, high=2000)
    n_t_grid = check_int(args.n_t_grid, "--n-t-grid", low=3, high=100_000)
    n_curve_tau = check_int(args.n_curve_tau, "--n-curve-tau", low=2, high=100_000)
    s_lo = check_scalar(args.sigma2_min, "--sigma2-min", low=1e-6, high=1e6)
    s_hi = check_scalar(args.sigma2_max, "--sigma2-max", low=s_lo, high=1e6, closed="right")
    t_lo = check_scalar(args.tau_min, "--tau-min", low=1e-8, high=1e8)
    t_hi = check_scalar(args.tau_max, "--tau-max", low=t_lo, high=1e8, closed="right")
    rhos = [check_scalar(r, "--rho", low=1e-6, high=1e6) for r in args.rho]
    curve = [check_scalar(s, "--curve-sigma2", low=1e-6, high=1e6) for s in args.curve_sigma2]
    p = check_int(args.p, "--p", low=2, high=10**7)
    curve_p = sorted({check_int(v, "--curve-p", low=2, high=10**7) for v in args.curve_p})
    n_p_map = check_int(args.n_p_map, "--n-p-map", low=2, high=1000)
    p_map_max = check_int(args.p_map_max, "--p-map-max", low=3, high=10**7)
    p_sigma2 = check_scalar(args.p_sigma2, "--p-sigma2", low=1e-6, high=1e6)
    p_tau_min = check_scalar(args.p_tau_min, "--p-tau-min", low=1e-12, high=1e12)
    n_ratio = check_int(args.n_ratio, "--n-ratio", low=2, high=2000)
    if p_tau_min >= args.tau_max:
        raise CLIError(f"--p-tau-min must be below --tau-max ({args.tau_max:g}), got {p_tau_min:g}")
    seed = check_int(args.seed, "--seed", low=0)
    check_n_jobs(args.n_jobs)
    if len(set(rhos)) != len(rhos):
        raise CLIError("--rho values must be distinct")
    return {
        "sigma2_range": [s_lo, s_hi],
        "n_sigma2": n_sigma2,
        "tau_range": [t_lo, t_hi],
        "n_tau": n_tau,
        "n_t_grid": n_t_grid,
        "curve_sigma2": curve,
        "n_curve_tau": n_curve_tau,
        "rho": rhos,
        "p": p,
        "curve_p": curve_p,
        "n_p_map": n_p_map,
        "p_map_max": p_map_max,
        "p_sigma2": p_sigma2,
        "p_tau_min": p_tau_min,
        "n_ratio": n_ratio,
        "seed": seed,
        "quick": bool(args.quick),
    }


def _block(sigma2, tau, rho, p, loss, n_grid):
    """One unit: minimise ``loss`` on the block ``sigma2 x tau``; returns ``(t*, value, violations)``.

    The minimiser is the golden-section search on all of ``[0, 1]``
    (``method="unimodal"``, exact because the reduced losses are unimodal);
    ``violations`` counts the points where an ``n_grid``-point grid finds a
    lower value (a global check against a second basin; it must be 0).
    """
    from theory.population_loss import minimize_reduced, reduced_loss

    S, T = np.meshgrid(sigma2, tau, indexing="ij")
    t, v = minimize_reduced(S, T, rho, p, loss, method="unimodal")
    grid = np.linspace(0.0, 1.0, n_grid)[:, None, None]
    below = reduced_loss(grid, S[None], T[None], rho, p, loss).min(axis=0) < v - 1e-12 * np.abs(v)
    return t, v, int(below.sum())


def exact_rank_one_boundary(sigma2, rho: float, p: int, *, n_grid: int = 513, n_bisect: int = 60):
    """Smallest ``tau`` at which the exact minimiser is rank one, per ``sigma2``, from the minimiser alone.

    A slow, independent cross-check of :func:`theory.exact_boundary.tau_c`
    (the simulation uses ``tau_c``).  Bisection in ``log tau`` on the predicate "the global minimiser of the
    reduced exact loss is ``t = 1``" (monotone in ``tau`` on every grid we
    checked), bracketed in ``[1e-6, 1e8]``; ``inf`` where it is not rank one
    even at ``1e8``.
    """
    from theory.population_loss import minimize_reduced

    sigma2 = np.asarray(sigma2, dtype=np.float64)
    lo = np.full(sigma2.shape, np.log(1e-6))
    hi = np.full(sigma2.shape, np.log(1e8))
    ok_hi = minimize_reduced(sigma2, np.exp(hi), rho, p, "exact", n_grid=n_grid)[0] == 1.0
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        rank_one = minimize_reduced(sigma2, np.exp(mid), rho, p, "exact", n_grid=n_grid)[0] == 1.0
        hi = np.where(rank_one, mid, hi)
        lo = np.where(rank_one, lo, mid)
    return np.where(ok_hi, np.exp(hi), np.inf)


def _grid(config: dict) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    sigma2 = np.geomspace(*config["sigma2_range"], config["n_sigma2"])
    tau = np.geomspace(*config["tau_range"], config["n_tau"])
    chunks = np.array_split(np.arange(sigma2.size), max(1, min(sigma2.size, 8)))
    return sigma2, tau, chunks


def _curves(curve_sigma2, curve_tau, rho, p, n_grid):
    """One unit: the Figure-3 curves (expansion measure against tau) of both losses at one ``rho``."""
    from theory.population_loss import minimize_reduced

    S, T = np.meshgrid(np.asarray(curve_sigma2), curve_tau, indexing="ij")
    return tuple(minimize_reduced(S, T, rho, p, loss, method="unimodal")[0] for loss in LOSS_NAMES)


def units(config: dict) -> list[Unit]:
    """The work: 8 ``sigma2`` blocks per (rho, loss), then the exact boundary and the curves per rho."""
    sigma2, tau, chunks = _grid(config)
    rhos, p, n_grid = config["rho"], config["p"], config["n_t_grid"]
    curve_tau = np.geomspace(*config["tau_range"], config["n_curve_tau"])
    out = [Unit(_block, (sigma2[c], tau, rhos[ri], p, loss, n_grid))
           for ri in range(len(rhos)) for loss in LOSS_NAMES for c in chunks]
    out += [Unit(_curves, (config["curve_sigma2"], curve_tau, r, p, n_grid)) for r in rhos]
    p_tau = _p_grid(config)[1]
    out += [Unit(_p_curve, (config["p_sigma2"], p_tau, rhos[0], int(q), n_grid)) for q in _p_grid(config)[0]]
    return out


def _p_grid(config: dict) -> tuple[np.ndarray, np.ndarray]:
    """The dimensions (map and curves, sorted, distinct) and temperatures of the p study."""
    ps = np.unique(np.concatenate([np.round(np.geomspace(2, config["p_map_max"], config["n_p_map"])),
                                   np.asarray(config["curve_p"], dtype=float)])).astype(int)
    return ps, np.geomspace(config["p_tau_min"], config["tau_range"][1], config["n_curve_tau"])


def _p_curve(sigma2, tau, rho, p, n_grid):
    """One unit: the exact minimiser's expansion measure against ``tau`` in dimension ``p``."""
    from theory.population_loss import minimize_reduced

    return minimize_reduced(sigma2, tau, rho, p, "exact", method="unimodal")[0]


def combine(config: dict, results: list):
    """Assemble the unit results; returns ``(scalars, arrays)`` for :func:`save_results`."""
    from theory.exact_boundary import low_temperature_deficit, tau_c
    from theory.phase import tau_star

    sigma2, tau, chunks = _grid(config)
    rhos = config["rho"]
    t_star = {loss: np.empty((len(rhos), sigma2.size, tau.size)) for loss in LOSS_NAMES}
    value = {loss: np.empty((len(rhos), sigma2.size, tau.size)) for loss in LOSS_NAMES}
    it = iter(results)
    violations = 0
    for ri in range(len(rhos)):
        for loss in LOSS_NAMES:
            for c in chunks:
                t_star[loss][ri, c], value[loss][ri, c], bad = next(it)
                violations += bad
    curves_by_rho = [next(it) for _ in rhos]
    p_values, p_tau = _p_grid(config)
    p_t_star = np.stack([next(it) for _ in p_values])
    boundary = np.stack([tau_c(sigma2, r) for r in rhos])
    ratio_grid = np.geomspace(1e-3, 1e2, config["n_ratio"])
    RS, RR = np.meshgrid(ratio_grid, ratio_grid, indexing="ij")
    ratio_map = tau_c(RS, RR) / tau_star(RS, RR)
    curve_rows = np.searchsorted(p_values, config["curve_p"])
    law = np.stack([low_temperature_deficit(p_tau, config["p_sigma2"], rhos[0], q) for q in config["curve_p"]])
    curves = {loss: np.stack([cv[k] for cv in curves_by_rho]) for k, loss in enumerate(LOSS_NAMES)}
    ts_curve = np.stack([tau_star(sigma2, r) for r in rhos])
    curve_s = np.asarray(config["curve_sigma2"])
    curve_tau = np.geomspace(*config["tau_range"], config["n_curve_tau"])
    ratio = boundary / ts_curve
    finite = np.isfinite(ratio)
    scalars = {
        # grid points where "L~ minimiser is rank one" disagrees with "tau >= tau*"
        "first_order_vs_tau_star_mismatches": int(
            np.sum((t_star["first_order"] == 1.0) != (tau[None, None, :] >= ts_curve[..., None]))
        ),
        "exact_boundary_over_tau_star_min": float(ratio[finite].min()) if finite.any() else None,
        "exact_boundary_over_tau_star_max": float(ratio[finite].max()) if finite.any() else None,
        "exact_rank_one_fraction": float(np.mean(t_star["exact"] == 1.0)),
        "first_order_rank_one_fraction": float(np.mean(t_star["first_order"] == 1.0)),
        "all_finite": bool(all(np.all(np.isfinite(v)) for v in value.values())),
        "global_check_violations": int(violations),
        # the minimiser-based rank-one predicate against the closed-form boundary, off a 1e-3 band around it
        "exact_rank_one_vs_tau_c_mismatches": int(np.sum(
            ((t_star["exact"] == 1.0) != (tau[None, None, :] >= boundary[..., None]))
            & (np.abs(np.log(tau[None, None, :] / boundary[..., None])) > 1e-3))),
        "tau_c_over_tau_star_map_min": float(ratio_map.min()),
        "tau_c_over_tau_star_map_max": float(ratio_map.max()),
        # (1 - t*) / law at the smallest temperature, per curve dimension (-> 1 as tau -> 0)
        "low_temperature_law_ratio": {str(q): float((1 - p_t_star[r, 0]) / law[k, 0])
                                      for k, (q, r) in enumerate(zip(config["curve_p"], curve_rows))},
    }
    arrays = {
        "sigma2": sigma2,
        "tau": tau,
        "rho": np.asarray(rhos, dtype=float),
        "t_star_exact": t_star["exact"],
        "t_star_first_order": t_star["first_order"],
        "loss_exact": value["exact"],
        "loss_first_order": value["first_order"],
        "tau_star": ts_curve,
        "tau_c": boundary,
        "ratio_sigma2": ratio_grid,
        "ratio_rho": ratio_grid,
        "tau_c_over_tau_star": ratio_map,
        "p_values": p_values,
        "p_tau": p_tau,
        "p_t_star_exact": p_t_star,
        "curve_p": np.asarray(config["curve_p"]),
        "curve_p_low_temperature_deficit": law,
        "curve_sigma2": curve_s,
        "curve_tau": curve_tau,
        "curve_t_star_exact": curves["exact"],
        "curve_t_star_first_order": curves["first_order"],
    }
    return scalars, arrays


def run(config: dict, runner=None):
    """Compute the phase diagram (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.phase_diagram", figure_stems=("phase_diagram", "phase_diagram_fig3", "phase_diagram_p", "phase_diagram_ratio"),
    describe=lambda c: f"phase diagram ({c['n_sigma2']} x {c['n_tau']}, rho={c['rho']})",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
