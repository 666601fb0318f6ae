"""Cross-validate the population minimiser by training: ``python -m sims.phase_train``.

At a few ``(sigma_aug^2, tau)`` points, trains a full ``p x p`` projector
``W`` by Adam on the finite-batch empirical analogue of the poster's loss
``C(W)`` (every expectation, normalisers included, replaced by a batch mean;
the ``log E exp`` over all ``B x B`` pairs of first views and independent
negatives), with freshly sampled GMM features at every step (torch; CUDA
when present, else CPU).  Compares the learned expansion measure (mean +-
standard error over seeds) with that of the population minimiser
(:func:`theory.population_loss.minimize_population_loss`).
"""

from __future__ import annotations

import math

import numpy as np

from sims._common import ArgumentParser, CLIError, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs, resolve_device
from theory._validation import check_int, check_scalar

NAME = "phase_train"

__all__ = ["build_parser", "make_config", "units", "combine", "run", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.phase_train",
        description=(
            "Train a linear projector by Adam on the finite-batch contrastive loss of the 2-GMM model and "
            "compare its expansion measure with the population minimiser's."
        ),
    )
    ap.add_argument("--sigma2", type=float, nargs="+", default=[0.5], help="augmentation variances")
    ap.add_argument("--tau", type=float, nargs="+", default=[0.05, 0.5, 50.0], help="temperatures")
    ap.add_argument("--rho", type=float, default=1.0, help="signal strength ||mu||^2")
    ap.add_argument("--p", type=int, default=10, help="feature dimension")
    ap.add_argument("--steps", type=int, default=600, help="Adam steps per run")
    ap.add_argument("--batch", type=int, default=512, help="batch size B (B x B negative pairs)")
    ap.add_argument("--lr", type=float, default=0.02, help="Adam learning rate (cosine-decayed)")
    ap.add_argument("--n-seeds", type=int, default=2, help="independent runs per grid point")
    add_run_arguments(ap, NAME, device=True, seed_help="base seed", n_jobs_default=1)
    return ap


def make_config(args) -> dict:
    apply_quick(args, build_parser(), steps=60, batch=128, n_seeds=2, p=4,
                tau=lambda t: t[:1] + t[-1:] if len(t) > 1 else t)
    sig = [check_scalar(s, "--sigma2", low=1e-3, high=1e2) for s in args.sigma2]
    taus = [check_scalar(t, "--tau", low=1e-3, high=1e3) for t in args.tau]
    device = resolve_device(args.device)
    check_n_jobs(args.n_jobs)
    config = {
        "sigma2": sig,
        "tau": taus,
        "rho": check_scalar(args.rho, "--rho", low=1e-3, high=1e2),
        "p": check_int(args.p, "--p", low=2, high=4096),
        "steps": check_int(args.steps, "--steps", low=1, high=10**6),
        "batch": check_int(args.batch, "--batch", low=2, high=65536),
        "lr": check_scalar(args.lr, "--lr", low=0.0, high=10.0, closed="right"),
        "n_seeds": check_int(args.n_seeds, "--n-seeds", low=1, high=1000),
        "seed": check_int(args.seed, "--seed", low=0),
        "device": str(device.type),
        "quick": bool(args.quick),
    }
    _check_memory(config)
    return config


def _check_memory(config: dict) -> None:
    """Refuse before allocating: the stacked run holds about 4 B x B + 6 B p floats per (grid point, seed)."""
    import os

    runs = len(config["sigma2"]) * len(config["tau"]) * config["n_seeds"]
    B, p = config["batch"], config["p"]
    need = 8.0 * runs * (4.0 * B * B + 6.0 * B * p)
    try:
        have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if need > 0.5 * have:
        raise CLIError(f"--batch {B} x --n-seeds {config['n_seeds']} x {runs // config['n_seeds']} grid points needs "
                       f"about {need / 2**30:.1f} GiB, more than half of this machine's {have / 2**30:.1f} GiB; "
                       "lower --batch or --n-seeds")


def _train(config: dict, show_progress: bool = False) -> np.ndarray:
    """The one unit: every ``(sigma2, tau, seed)`` run trained at once, as one stacked tensor."""
    from theory.projector_training import train_gmm_projectors

    p, rho = config["p"], config["rho"]
    mu = np.zeros(p)
    mu[0] = math.sqrt(rho)
    S, T, K = len(config["sigma2"]), len(config["tau"]), config["n_seeds"]
    s2 = np.repeat(np.asarray(config["sigma2"], dtype=float), T * K)
    taus = np.tile(np.repeat(np.asarray(config["tau"], dtype=float), K), S)
    res = train_gmm_projectors(mu, s2, taus, loss="population", steps=config["steps"], batch=config["batch"],
                               lr=config["lr"], seed=np.random.SeedSequence([config["seed"], 7]),
                               device=config["device"], progress=show_progress)
    t = np.asarray(res.expansion_measure, dtype=float).reshape(S, T, K)
    if not np.all(np.isfinite(t)):
        raise FloatingPointError(f"{int(np.sum(~np.isfinite(t)))} of {t.size} runs ended with a non-finite "
                                 f"projector (lr {config['lr']:g} too large?)")
    return t


def units(config: dict) -> list[Unit]:
    """One unit (the stacked training); it runs in this process on a GPU."""
    return [Unit(_train, (config,), {"show_progress": True})]


def combine(config: dict, results: list):
    """Learned against population expansion measures; returns ``(scalars, arrays)``."""
    from theory.population_loss import minimize_population_loss, minimize_reduced

    p, rho = config["p"], config["rho"]
    mu = np.zeros(p)
    mu[0] = math.sqrt(rho)
    S, T = len(config["sigma2"]), len(config["tau"])
    learned = results[0]
    pop = {loss: np.empty((S, T)) for loss in ("exact", "first_order")}
    for i, s in enumerate(config["sigma2"]):
        for j, tau in enumerate(config["tau"]):
            for loss in pop:
                pop[loss][i, j] = minimize_population_loss(mu, s, tau, loss=loss).expansion_measure
    # population curves for the figure
    curve_tau = np.geomspace(min(config["tau"]) / 3, max(config["tau"]) * 3, 200)
    Sg, Tg = np.meshgrid(config["sigma2"], curve_tau, indexing="ij")
    curves = {loss: minimize_reduced(Sg, Tg, rho, p, loss)[0] for loss in pop}
    n = config["n_seeds"]
    mean = learned.mean(-1)
    se = learned.std(-1, ddof=1) / math.sqrt(n) if n > 1 else np.zeros_like(mean)
    scalars = {"max_abs_error_vs_exact": float(np.max(np.abs(mean - pop["exact"])))}
    arrays = {
        "sigma2": np.asarray(config["sigma2"]), "tau": np.asarray(config["tau"]),
        "learned_expansion": learned, "learned_mean": mean, "learned_se": se,
        "population_exact": pop["exact"], "population_first_order": pop["first_order"],
        "curve_tau": curve_tau, "curve_exact": curves["exact"], "curve_first_order": curves["first_order"],
    }
    return scalars, arrays


def run(config: dict, runner=None):
    """Train and compare (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.phase_train", figure_stems=("phase_train",),
    describe=lambda c: f"phase train ({c['device']})",
    local=lambda c: c["device"] != "cpu",
    user_errors={FloatingPointError: "training diverged"},
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
