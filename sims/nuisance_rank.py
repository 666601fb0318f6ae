"""Augmentation along nuisance directions and the projector's rank: ``python -m sims.nuisance_rank``.

Cosentino et al., Fig. 1 made decidable.  Their Props. 4.1-4.3 say that a
linear projector minimising the invariance term puts the directions along
which the augmentation moves the data into its kernel, so that stronger
augmentation gives a lower-rank projector.  An isotropic augmentation has no
such directions (``sims.projector_e2e`` finds no rank drop with one); here
the augmentation moves the data along ``--n-nuisance`` = ``k`` chosen
coordinates only:

* features ``h = y mu + g`` in ``R^d`` (the 2-GMM of :mod:`theory.gmm`,
  ``mu = sqrt(rho) e_1``), the last ``k`` coordinates pure noise;
* augmentation :class:`theory.augmentations.NuisanceAugment`: std
  ``--base-noise`` on every coordinate plus std ``sigma_nuis`` on the last
  ``k`` (``sigma_nuis`` is the knob, ``--sigmas``);
* a ``d x d`` linear projector (:func:`theory.heads.make_head` ``"linear"``)
  on the frozen features (identity backbone), trained with NT-Xent by
  :func:`theory.simclr.train_simclr`.

Recorded per ``(sigma_nuis, seed)``: ``Rank_tau`` of the projector (eq. 2,
relative threshold ``--rank-tol``, as in ``sims.projector_e2e``), its
singular values, and the fraction of its squared Frobenius norm on the
nuisance coordinates, ``||W[:, -k:]||_F^2 / ||W||_F^2`` (``k / d`` for an
isotropic ``W``, 0 for a ``W`` with the nuisance directions in its kernel).
Props. 4.x predict the fraction to fall and the rank to drop by up to ``k``
as ``sigma_nuis`` grows.

One unit per ``(sigma_nuis, seed)``; run ``(j, s)`` is seeded by
``seed + s`` (data, initial weights, shuffling and augmentations), the same
data for every ``sigma_nuis`` of a seed, so the comparisons are paired.
"""

from __future__ import annotations

import numpy as np

from sims._common import ArgumentParser, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "nuisance_rank"

__all__ = ["build_parser", "make_config", "units", "combine", "run", "one_run", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.nuisance_rank",
        description=(
            "Cosentino et al. Fig. 1 with an augmentation that has preferred directions: a linear projector "
            "trained with NT-Xent on 2-GMM features whose last k coordinates are moved by the augmentation; "
            "Rank_tau of the projector and its weight on those coordinates against the augmentation strength."
        ),
    )
    g = ap.add_argument_group("data and augmentation")
    g.add_argument("--d", type=int, default=32, help="feature (and projector) dimension")
    g.add_argument("--n-nuisance", type=int, default=8, help="number k of nuisance coordinates, in [1, d)")
    g.add_argument("--rho", type=float, default=4.0, help="signal strength ||mu||^2 of the 2-GMM, in (0, 100]")
    g.add_argument("--n", type=int, default=2048, help="training samples")
    g.add_argument("--base-noise", type=float, default=0.1, help="augmentation std on every coordinate, in [0, 10]")
    g.add_argument("--sigmas", type=float, nargs="+", default=[0.0, 0.25, 0.5, 1.0, 2.0, 4.0],
                   help="augmentation std sigma_nuis on the nuisance coordinates, in [0, 100]")
    t = ap.add_argument_group("training")
    t.add_argument("--epochs", type=int, default=40, help="passes over the data")
    t.add_argument("--batch-size", type=int, default=256, help="NT-Xent batch size N")
    t.add_argument("--tau", type=float, default=0.5, help="NT-Xent temperature in [1e-3, 1e3]")
    t.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (cosine schedule)")
    t.add_argument("--weight-decay", type=float, default=1e-4, help="Adam weight decay, in [0, 1]")
    t.add_argument("--seeds", type=int, default=3, help="seeds per sigma (seed, seed+1, ...)")
    t.add_argument("--rank-tol", type=float, default=0.05, help="relative Rank_tau threshold tau * sigma_max, in (0, 1)")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    """Validate the parsed flags (all of them, before anything is written)."""
    apply_quick(args, build_parser(), sigmas=[0.0, 2.0], seeds=2, epochs=25, n=1024, d=16, n_nuisance=4)
    d = check_int(args.d, "--d", low=2, high=512)
    k = check_int(args.n_nuisance, "--n-nuisance", low=1, high=d - 1)
    cfg = {
        "d": d,
        "n_nuisance": k,
        "rho": check_scalar(args.rho, "--rho", low=0.0, high=100.0, closed="right"),
        "n": check_int(args.n, "--n", low=4, high=1_000_000),
        "base_noise": check_scalar(args.base_noise, "--base-noise", low=0.0, high=10.0),
        "sigmas": sorted(check_scalar(v, "--sigmas", low=0.0, high=100.0) for v in args.sigmas),
        "epochs": check_int(args.epochs, "--epochs", low=1, high=100_000),
        "tau": check_scalar(args.tau, "--tau", low=1e-3, high=1e3),
        "lr": check_scalar(args.lr, "--lr", low=0.0, high=10.0, closed="right"),
        "weight_decay": check_scalar(args.weight_decay, "--weight-decay", low=0.0, high=1.0),
        "seeds": check_int(args.seeds, "--seeds", low=1, high=1000),
        "rank_tol": check_scalar(args.rank_tol, "--rank-tol", low=0.0, high=1.0, closed="neither"),
        "seed": check_int(args.seed, "--seed", low=0, high=2**31),
        "quick": bool(args.quick),
    }
    cfg["batch_size"] = check_int(args.batch_size, "--batch-size", low=2, high=cfg["n"])
    check_n_jobs(args.n_jobs)
    return cfg


def one_run(cfg: dict, sigma: float, seed: int):
    """Train one projector; returns ``(rank, singular values, nuisance fraction, final loss)``."""
    import torch
    from torch import nn

    from theory.augmentations import NuisanceAugment
    from theory.gmm import sample_gmm
    from theory.heads import make_head
    from theory.projector_geometry import rank_tau
    from theory.simclr import SimCLR, train_simclr

    torch.set_num_threads(1)
    d, k = cfg["d"], cfg["n_nuisance"]
    mu = np.zeros(d)
    mu[0] = np.sqrt(cfg["rho"])
    h, _ = sample_gmm(cfg["n"], mu, np.random.default_rng(np.random.SeedSequence([seed, 0])))
    model = SimCLR(nn.Identity(), make_head("linear", d, d, seed=seed))
    hist = train_simclr(model, h.astype(np.float32), NuisanceAugment(cfg["base_noise"], sigma, k),
                        epochs=cfg["epochs"], batch_size=cfg["batch_size"], tau=cfg["tau"], optimizer="adam",
                        lr=cfg["lr"], weight_decay=cfg["weight_decay"], seed=seed)
    W = model.head.linear.weight.detach().double().numpy()
    sv = np.linalg.svd(W, compute_uv=False)
    frac = float((W[:, d - k :] ** 2).sum() / (W**2).sum())
    return rank_tau(W, cfg["rank_tol"], relative=True), sv, frac, hist.loss[-1]


def units(config: dict) -> list[Unit]:
    """One unit per ``(sigma_nuis, seed)``."""
    return [Unit(one_run, (config, s, config["seed"] + r)) for s in config["sigmas"] for r in range(config["seeds"])]


def combine(config: dict, results: list):
    """Ranks, spectra and nuisance fractions on the ``(sigma, seed)`` grid; returns ``(scalars, arrays)``."""
    S, R = len(config["sigmas"]), config["seeds"]
    rank = np.array([r[0] for r in results], dtype=float).reshape(S, R)
    sv = np.array([r[1] for r in results]).reshape(S, R, -1)
    frac = np.array([r[2] for r in results]).reshape(S, R)
    loss = np.array([r[3] for r in results]).reshape(S, R)
    scalars = {
        "mean_rank": rank.mean(axis=1).tolist(),
        "mean_nuisance_fraction": frac.mean(axis=1).tolist(),
        "isotropic_fraction": config["n_nuisance"] / config["d"],
        "full_rank": config["d"],
        "rank_without_nuisance": config["d"] - config["n_nuisance"],
    }
    arrays = {"sigmas": np.array(config["sigmas"]), "rank": rank, "singular_values": sv, "nuisance_fraction": frac,
              "final_loss": loss}
    return scalars, arrays


def run(config: dict, runner=None):
    """Run every unit (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.nuisance_rank", figure_stems=("nuisance_rank",),
    describe=lambda c: f"nuisance rank ({len(c['sigmas'])} sigmas x {c['seeds']} seeds, d={c['d']}, k={c['n_nuisance']})",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
