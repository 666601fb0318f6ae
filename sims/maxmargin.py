"""Max-margin classifier on projected features: ``python -m sims.maxmargin``.

Theorem 2 of Gui, Ma & Zhong against finite samples.  For each
``(rho, delta)`` it draws ``n = round(delta p)`` samples of the 2-GMM at
``p`` in ``--p`` (``--reps`` replicates), fits the exact hard-margin SVM
through the origin on ``z = W_eta h`` for every ``eta`` in ``--etas``
(:func:`theory.svm.max_margin_path`), and records the exact test error
``Phi(-<mu, W beta>/||W beta||)`` and the margin, next to the asymptotic
curves ``Err*(eta)`` and ``kappa*(eta)`` of :mod:`theory.maxmargin`.  It
also estimates ``P(separable)`` against ``delta`` (LP test) with ``delta*``.

Replicates are units of work (``--backend`` loky, threading or dask,
``--n-jobs`` workers); each replicate's seed is
``SeedSequence([seed, panel, p, replicate])``, so a run is reproducible bit
for bit and independent of the backend and the number of workers.  Finished
units are saved (an interrupted run resumes) and a rerun of the same config
is served from ``<out>/runs/<config_hash>/``.
"""

from __future__ import annotations

import warnings

import numpy as np

from sims._common import ArgumentParser, CLIError, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "maxmargin"

__all__ = ["build_parser", "make_config", "units", "combine", "run", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.maxmargin",
        description=(
            "Test error and margin of the max-margin classifier on W_eta-projected 2-GMM features against "
            "eta: CGMT asymptotics Err*(eta), kappa*(eta) with finite-sample SVM points, and the probability "
            "of separability against delta = n/p with the threshold delta*."
        ),
    )
    m = ap.add_argument_group("model")
    m.add_argument("--rho", type=float, nargs="+", default=[1.0], help="signal strengths ||mu||^2, in (0, 100]")
    m.add_argument("--delta", type=float, nargs="+", default=[0.5, 2.0], help="aspect ratios n/p (< delta*(rho))")
    m.add_argument("--etas", type=float, nargs="+", default=[-0.75, -0.5, -0.25, 0.0, 0.5, 1.0, 2.0, 4.0, 8.0],
                   help="projector parameters eta in (-1, 1000] of the simulation points (beyond, the SVM is ill-conditioned in double precision; the eta -> inf limit is drawn from theory)")
    m.add_argument("--p", type=int, nargs="+", default=[200, 400, 800], help="feature dimensions")
    m.add_argument("--reps", type=int, default=10, help="replicates per (rho, delta, p)")
    m.add_argument("--n-theory", type=int, default=200, help="points of the asymptotic curves")
    s = ap.add_argument_group("separability")
    s.add_argument("--sep-p", type=int, nargs="+", default=[50, 100, 200], help="dimensions of the separability curves")
    s.add_argument("--sep-n-delta", type=int, default=12, help="delta values in [0.5, 1.5] delta*")
    s.add_argument("--sep-reps", type=int, default=20, help="replicates per (p, delta)")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    """Validate the parsed flags (all of them, before anything is written)."""
    from theory.maxmargin import separability_threshold

    apply_quick(args, build_parser(), p=[40, 80], reps=3, n_theory=60, etas=[-0.5, 0.0, 1.0, 4.0],
                sep_p=[30], sep_n_delta=5, sep_reps=4)
    rhos = [check_scalar(v, "--rho", low=0.0, high=100.0, closed="right") for v in args.rho]
    deltas = [check_scalar(v, "--delta", low=0.0, closed="neither") for v in args.delta]
    etas = [check_scalar(v, "--etas", low=-1.0, high=1e3, closed="right") for v in args.etas]
    ps = [check_int(v, "--p", low=1, high=100_000) for v in args.p]
    reps = check_int(args.reps, "--reps", low=1, high=100_000)
    n_theory = check_int(args.n_theory, "--n-theory", low=2, high=1_000_000)
    sep_p = [check_int(v, "--sep-p", low=1, high=100_000) for v in args.sep_p]
    sep_n_delta = check_int(args.sep_n_delta, "--sep-n-delta", low=2, high=1000)
    sep_reps = check_int(args.sep_reps, "--sep-reps", low=1, high=100_000)
    seed = check_int(args.seed, "--seed", low=0)
    check_n_jobs(args.n_jobs)
    for rho in rhos:
        dstar = separability_threshold(rho)
        for d in deltas:
            if d >= dstar:
                raise CLIError(
                    f"--delta {d:g} is not below the separability threshold delta*({rho:g}) = {dstar:.4g}: "
                    "the max-margin classifier does not exist there"
                )
    for p in ps:
        for d in deltas:
            if round(d * p) < 1:
                raise CLIError(f"--delta {d:g} with --p {p} gives n = 0 samples")
    return {
        "rho": rhos,
        "delta": deltas,
        "etas": sorted(etas),
        "p": ps,
        "reps": reps,
        "n_theory": n_theory,
        "sep_p": sep_p,
        "sep_n_delta": sep_n_delta,
        "sep_reps": sep_reps,
        "seed": seed,
        "quick": bool(args.quick),
    }


def _mu(p: int, rho: float) -> np.ndarray:
    mu = np.zeros(p)
    mu[0] = np.sqrt(rho)
    return mu


def _svm_task(seed_seq, rho, delta, p, etas):
    """One replicate: errors and margins along the eta path (nan if not separable)."""
    from theory.gmm import sample_gmm
    from theory.svm import classification_error, max_margin_path

    mu = _mu(p, rho)
    h, y = sample_gmm(int(round(delta * p)), mu, np.random.default_rng(seed_seq))
    try:
        fits = max_margin_path(h, y, mu, etas)
    except ValueError:  # not separable (rare below delta*)
        return np.full(len(etas), np.nan), np.full(len(etas), np.nan)
    err = np.array([classification_error(f.beta, mu, e) for f, e in zip(fits, etas)])
    return err, np.array([f.margin for f in fits])


def _sep_task(seed_seq, rho, n, p):
    from theory.gmm import sample_gmm
    from theory.svm import is_separable

    h, y = sample_gmm(n, _mu(p, rho), np.random.default_rng(seed_seq))
    return is_separable(h, y)


def _sep_block(seed, i, rho, n, p, l, reps):
    """One unit: ``reps`` separability tests at one ``(rho, p, delta)``."""
    return np.array([_sep_task(np.random.SeedSequence([seed, 10_000 + i, p, l, r]), rho, n, p) for r in range(reps)])


def _panels(config: dict) -> list[tuple[float, float]]:
    return [(rho, d) for rho in config["rho"] for d in config["delta"]]


def _sep_design(config: dict):
    from theory.maxmargin import separability_threshold

    dstar = np.array([separability_threshold(rho) for rho in config["rho"]])
    frac = np.linspace(0.5, 1.5, config["sep_n_delta"])
    return dstar, frac


def units(config: dict) -> list[Unit]:
    """One unit per SVM replicate ``(panel, p, replicate)``, then one per separability cell ``(rho, p, delta)``.

    Each replicate's seed is ``SeedSequence([seed, panel, p, replicate])``,
    so the draws do not depend on where or in which order units run.
    """
    panels, ps, R, seed = _panels(config), config["p"], config["reps"], config["seed"]
    etas = np.array(config["etas"])
    out = [Unit(_svm_task, (np.random.SeedSequence([seed, k, ps[j], r]), panels[k][0], panels[k][1], ps[j], etas))
           for k in range(len(panels)) for j in range(len(ps)) for r in range(R)]
    dstar, frac = _sep_design(config)
    sep_p = config["sep_p"]
    out += [Unit(_sep_block, (seed, i, rho, max(1, int(round(frac[l] * dstar[i] * sep_p[j]))), sep_p[j], l,
                              config["sep_reps"]))
            for i, rho in enumerate(config["rho"]) for j in range(len(sep_p)) for l in range(frac.size)]
    return out


def combine(config: dict, results: list):
    """Assemble the unit results with the asymptotic curves; returns ``(scalars, arrays)``."""
    from theory.maxmargin import (
        asymptotic_error,
        asymptotic_margin,
        bayes_error,
        error_limit_eta_to_infinity,
        error_limit_eta_to_minus_one,
    )

    rhos, etas, ps, R = config["rho"], np.array(config["etas"]), config["p"], config["reps"]
    panels = _panels(config)
    # asymptotic curves on a fine eta grid spanning the simulated etas
    eta_lo = max(-0.95, min(etas.min(), -0.5))
    eta_grid = np.concatenate([np.linspace(eta_lo, 0, config["n_theory"] // 2, endpoint=False),
                               np.geomspace(1e-3, max(etas.max(), 1.0) * 1.25, config["n_theory"] - config["n_theory"] // 2)])
    pr = np.array([p[0] for p in panels])[:, None]
    pd = np.array([p[1] for p in panels])[:, None]
    th_err = asymptotic_error(pr, eta_grid[None, :], pd)
    th_margin = asymptotic_margin(pr, eta_grid[None, :], pd)
    th_err_at = asymptotic_error(pr, etas[None, :], pd)
    th_margin_at = asymptotic_margin(pr, etas[None, :], pd)
    n_svm = len(panels) * len(ps) * R
    svm = results[:n_svm]
    err = np.array([e for e, _ in svm], dtype=float).reshape(len(panels), len(ps), R, etas.size)
    margin = np.array([m for _, m in svm], dtype=float).reshape(err.shape)
    sep_p = config["sep_p"]
    dstar, frac = _sep_design(config)
    sep = np.array(results[n_svm:], dtype=bool).reshape(len(rhos), len(sep_p), frac.size, config["sep_reps"])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan slices
        mean_err = np.nanmean(err, axis=2)
        sd_err = np.nanstd(err, axis=2, ddof=1) if R > 1 else np.zeros_like(mean_err)
    n_eff = np.sum(np.isfinite(err), axis=2)
    se = sd_err / np.sqrt(np.maximum(n_eff, 1))
    z = np.abs(mean_err - th_err_at[:, None, :]) / np.where(se > 0, se, np.nan)
    scalars = {
        "delta_star": dict(zip([f"{r:g}" for r in rhos], dstar.tolist())),
        "non_separable_replicates": int(np.sum(~np.isfinite(err[..., 0]))),
        "max_abs_err_minus_theory_largest_p": float(np.nanmax(np.abs(mean_err[:, -1] - th_err_at))),
        "max_z_score_err_largest_p": float(np.nanmax(z[:, -1])) if R > 1 else None,
        "theory_err_decreasing_in_eta": bool(np.all(np.diff(th_err, axis=1) <= 1e-13)),
    }
    arrays = {
        "rho": np.array([p[0] for p in panels]),
        "delta": np.array([p[1] for p in panels]),
        "p": np.array(ps),
        "etas": etas,
        "eta_grid": eta_grid,
        "theory_err": th_err,
        "theory_margin": th_margin,
        "theory_err_at_etas": th_err_at,
        "theory_margin_at_etas": th_margin_at,
        "bayes_err": bayes_error(np.array([p[0] for p in panels])),
        "limit_err_eta_inf": np.array([error_limit_eta_to_infinity(r, d) for r, d in panels]),
        "limit_err_eta_minus_one": np.array([error_limit_eta_to_minus_one(r, d) for r, d in panels]),
        "sim_err": err,
        "sim_margin": margin,
        "sep_rho": np.array(rhos),
        "sep_p": np.array(sep_p),
        "sep_delta_frac": frac,
        "sep_delta_star": dstar,
        "sep_separable": sep,
    }
    return scalars, arrays


def run(config: dict, runner=None):
    """Run the sweep (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.maxmargin", figure_stems=("maxmargin_error", "maxmargin_margin", "maxmargin_separability"),
    describe=lambda c: f"max-margin sweep (p={c['p']}, reps={c['reps']})",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
