"""Rank of a rotated image collection: ``python -m sims.rotation_rank`` (Cosentino et al., Fig. 10).

Exactly the appendix experiment: a random one-hot ``32 x 32`` image (one
pixel at a uniformly random position set to 1), ``--copies`` (500) rotated
versions of it with angles drawn uniformly in ``[0, a]`` degrees, and the
rank of the covariance matrix of the ``--copies`` flattened images, for every
maximum angle ``a`` of ``--max-angles``; ``--runs`` (5) independent runs
(a new image per run), mean and sd.  The paper's reading: the larger the
transformation, the higher the rank of the collection (and so, by the
rank-nullity argument of Props. 4.1-4.3, the lower the rank a linear map
needs to be invariant to it).

The rotation is :func:`theory.augmentations.rotate` (bilinear, zero padding,
in float64); the rank is ``Rank_tau`` of eq. (2)
(:func:`theory.projector_geometry.rank_tau`) of the covariance, with the
absolute threshold ``--rank-tol``: the image has unit norm, so the
covariance's trace is at most 1 and the threshold is relative to that scale
(the paper does not give its threshold; the default counts every direction
above float64 rounding, and identical copies, ``a = 0``, have rank 0 rather
than the rank of their rounding noise).  The covariance of ``N`` images has
rank at most ``N - 1``.

Run ``r``'s image and angles come from ``SeedSequence([seed, r])``, one unit
of work per run; finished units are saved (an interrupted run resumes) and a
rerun with the same config is served from ``<out>/runs/<config_hash>/``.
"""

from __future__ import annotations

import numpy as np

from sims._common import ArgumentParser, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "rotation_rank"

__all__ = ["build_parser", "make_config", "units", "combine", "run", "one_run", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.rotation_rank",
        description=(
            "Cosentino et al. Fig. 10: rank of the covariance of rotated copies of a random one-hot image "
            "against the maximum rotation angle (angles uniform in [0, a]), mean and sd over runs."
        ),
    )
    g = ap.add_argument_group("experiment")
    g.add_argument("--size", type=int, default=32, help="image side in pixels (the paper: 32)")
    g.add_argument("--copies", type=int, default=500, help="rotated copies per collection (the paper: 500)")
    g.add_argument("--max-angles", type=float, nargs="+", default=[0, 1, 2, 5, 10, 20, 45, 90, 180, 360],
                   help="maximum angles a in degrees, in [0, 360]; angles are drawn uniformly in [0, a]")
    g.add_argument("--runs", type=int, default=5, help="independent runs (a new one-hot image each; the paper: 5)")
    g.add_argument("--rank-tol", type=float, default=1e-10,
                   help="Rank_tau threshold on the singular values of the covariance (the image has unit norm), in (0, 1)")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    """Validate the parsed flags (all of them, before anything is written)."""
    apply_quick(args, build_parser(), copies=100, runs=2, max_angles=[0, 10, 90], size=16)
    size = check_int(args.size, "--size", low=4, high=128)
    copies = check_int(args.copies, "--copies", low=2, high=5000)
    angles = sorted(check_scalar(v, "--max-angles", low=0.0, high=360.0) for v in args.max_angles)
    runs = check_int(args.runs, "--runs", low=1, high=1000)
    tol = check_scalar(args.rank_tol, "--rank-tol", low=0.0, high=1.0, closed="neither")
    seed = check_int(args.seed, "--seed", low=0)
    check_n_jobs(args.n_jobs)
    return {"size": size, "copies": copies, "max_angles": angles, "runs": runs, "rank_tol": tol, "seed": seed,
            "quick": bool(args.quick)}


def one_run(seed_seq, size: int, copies: int, max_angles, rank_tol: float):
    """One run: ``(ranks, spectra, hot_pixel)`` for every maximum angle.

    ``spectra[j]`` are the singular values of the covariance at ``max_angles[j]``
    (descending, the first ``copies`` of them: the rest are 0).
    """
    import torch

    from theory.augmentations import rotate
    from theory.projector_geometry import rank_tau

    rng = np.random.default_rng(seed_seq)
    hot = rng.integers(size, size=2)
    img = torch.zeros(copies, 1, size, size, dtype=torch.float64)
    img[:, 0, hot[0], hot[1]] = 1.0
    ranks, spectra = [], []
    for a in max_angles:
        angles = rng.uniform(0.0, a, size=copies)
        X = rotate(img, angles).reshape(copies, -1).numpy()
        cov = np.cov(X, rowvar=False)
        ranks.append(rank_tau(cov, rank_tol))
        spectra.append(np.linalg.svd(cov, compute_uv=False)[:copies])
    return np.array(ranks), np.array(spectra), hot


def units(config: dict) -> list[Unit]:
    """One unit per run, seeded by ``SeedSequence([seed, run])``."""
    return [Unit(one_run, (np.random.SeedSequence([config["seed"], r]), config["size"], config["copies"],
                           np.array(config["max_angles"]), config["rank_tol"]))
            for r in range(config["runs"])]


def combine(config: dict, results: list):
    """Mean and sd of the rank over runs; returns ``(scalars, arrays)``."""
    ranks = np.array([r for r, _, _ in results], dtype=float)  # (runs, angles)
    spectra = np.array([s for _, s, _ in results])  # (runs, angles, copies)
    hot = np.array([h for _, _, h in results])
    mean = ranks.mean(axis=0)
    sd = ranks.std(axis=0, ddof=1) if ranks.shape[0] > 1 else np.zeros_like(mean)
    scalars = {
        "mean_rank": mean.tolist(),
        "sd_rank": sd.tolist(),
        "max_possible_rank": config["copies"] - 1,
    }
    arrays = {"max_angles": np.array(config["max_angles"]), "ranks": ranks, "spectra": spectra, "hot_pixel": hot}
    return scalars, arrays


def run(config: dict, runner=None):
    """Run every unit (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.rotation_rank", figure_stems=("rotation_rank",),
    describe=lambda c: f"rotation rank ({c['runs']} runs x {len(c['max_angles'])} angles, {c['copies']} copies)",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
