"""Deep Fusion theory checks: ``python -m sims.fusion_theory``.

Li & Pimentel-Alarcon, "Deep Fusion" (Theorems 1-2, Definitions 1-2,
Appendix Algorithm 1).  Three experiments, all on the union-of-subspaces
model of :func:`theory.subspace.subspace_clusters`:

1. **Sharpness across layers.**  For each noise level ``eps`` and ``--reps``
   seeds: the Theorem 1 construction ``W*`` (:func:`theory.attention.fusion_weights`,
   built from the clean rows) is applied ``L`` times to the noisy rows
   (softmax attention, value = identity, rows re-normalised, no residual:
   the proof's setting).  Recorded per layer: the sharpness of Definition 2
   of the attention matrix, the proof's score sharpness ``D(exp S)``, the
   corrected provable lower bound, and Theorem 2's claimed per-layer gain
   (the stated rate and the explicit appendix expression) with
   ``delta = delta(eps)``, ``Delta = Delta(eps, rho_bar^+)``.
2. **Greedy vs convex integrity.**  Algorithm 1 (as written) against the
   certified SOCP bounds of :func:`theory.integrity.convex_integrity`, on
   ``--n-integrity`` random instances.
3. **Where Theorem 2 says anything.**  The claimed gain over a grid of
   ``(eps, rho)`` for a few ``n``: the region where it exceeds 1 versus the
   region where the clusters are separable (``Delta > delta``).

A rerun with the same config is served from ``<out>/fusion_theory.json`` /
``.npz`` (see ``--force``).
"""

from __future__ import annotations

import time

import numpy as np

from sims._common import ArgumentParser, CLIError, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "fusion_theory"

__all__ = ["build_parser", "make_config", "units", "combine", "run", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.fusion_theory",
        description=(
            "Deep Fusion theory: sharpness of the Theorem 1 attention construction across layers on noisy "
            "subspace clusters against the Theorem 2 gain, greedy (Algorithm 1) vs convex cluster integrity, "
            "and the (eps, rho) region where Theorem 2's bound exceeds 1."
        ),
    )
    g = ap.add_argument_group("data")
    g.add_argument("--n", type=int, default=30, help="samples per batch (sequence length)")
    g.add_argument("--m", type=int, default=16, help="ambient dimension")
    g.add_argument("--K", type=int, default=3, help="number of subspaces (clusters)")
    g.add_argument("--r", type=int, default=2, help="dimension of each subspace; needs (K-1) r < m")
    g.add_argument(
        "--cone-angle", type=float, default=float(np.pi / 4),
        help="points lie within this angle (radians, in (0, pi/2]) of a direction of their subspace",
    )
    g.add_argument("--eps", type=float, nargs="+", default=[0.0, 0.02, 0.05, 0.1, 0.2], help="noise levels of eq. (6), in [0, 1)")
    a = ap.add_argument_group("attention")
    a.add_argument("--layers", type=int, default=6, help="number of stacked attention layers L")
    a.add_argument("--scale", type=float, default=1.0, help="score scale (inverse temperature) in (0, 100]; the theorems use 1")
    a.add_argument("--reps", type=int, default=10, help="independent draws per noise level")
    i = ap.add_argument_group("integrity")
    i.add_argument("--n-integrity", type=int, default=30, help="random instances for greedy vs convex integrity")
    i.add_argument("--integrity-shape", type=int, nargs=4, default=[15, 6, 3, 2], metavar=("n", "m", "K", "r"), help="instance shape")
    add_run_arguments(ap, NAME, seed_help="master seed (every draw derives from it)")
    return ap


def make_config(args) -> dict:
    """Validate every flag (before anything is written) and return the config."""
    apply_quick(args, build_parser(), reps=2, n_integrity=3, layers=3, integrity_shape=[9, 5, 3, 1],
                eps=lambda e: e[:1] + e[-1:] if len(e) > 1 else e)
    n = check_int(args.n, "--n", low=2, high=5000)
    m = check_int(args.m, "--m", low=2, high=4096)
    K = check_int(args.K, "--K", low=2, high=n)
    r = check_int(args.r, "--r", low=1, high=m)
    if (K - 1) * r >= m:
        raise CLIError(f"--K and --r must satisfy (K - 1) * r < m, got ({K} - 1) * {r} >= {m}")
    cone = check_scalar(args.cone_angle, "--cone-angle", low=0.0, high=np.pi / 2, closed="right")
    eps = [check_scalar(e, "--eps", low=0.0, high=1.0, closed="left") for e in args.eps]
    if len(set(eps)) != len(eps):
        raise CLIError("--eps values must be distinct")
    L = check_int(args.layers, "--layers", low=1, high=200)
    scale = check_scalar(args.scale, "--scale", low=0.0, high=100.0, closed="right")
    reps = check_int(args.reps, "--reps", low=1, high=10_000)
    n_int = check_int(args.n_integrity, "--n-integrity", low=1, high=100_000)
    ni, mi, Ki, ri = (check_int(v, "--integrity-shape", low=1, high=10_000) for v in args.integrity_shape)
    if Ki < 2 or ni < Ki or (Ki - 1) * ri >= mi or ri > mi:
        raise CLIError(f"--integrity-shape must have K >= 2, n >= K and (K - 1) r < m, got {args.integrity_shape}")
    seed = check_int(args.seed, "--seed", low=0)
    check_n_jobs(args.n_jobs)
    return {
        "n": n, "m": m, "K": K, "r": r, "cone_angle": cone, "eps": eps, "layers": L, "scale": scale,
        "reps": reps, "n_integrity": n_int, "integrity_shape": [ni, mi, Ki, ri], "seed": seed,
        "quick": bool(args.quick),
    }


def _layer_task(config: dict, eps: float, seed_seq) -> dict:
    """One draw at one noise level: construction, L layers, measured and claimed quantities."""
    from theory.attention import (
        attention_layers,
        corrected_fusion_bound,
        fusion_weights,
        noise_Delta,
        noise_delta,
        projection_bounds,
        score_log_sharpness,
        sharpness,
        theorem2_gain,
    )
    from theory.integrity import cluster_integrity
    from theory.subspace import subspace_clusters

    d = subspace_clusters(config["n"], config["m"], config["K"], config["r"], eps, seed_seq, cone_angle=config["cone_angle"])
    W = fusion_weights(d.X, d.labels)
    rho_plus = cluster_integrity(d.X, d.labels, "convex", kind="all", signed=True).lower
    tr = attention_layers(d.X_noisy, W, config["layers"], scale=config["scale"])
    K = config["K"]
    Wc = W[:, [int(np.flatnonzero(d.labels == k)[0]) for k in range(K)]].T
    sizes = np.bincount(d.labels, minlength=K)
    d0, D0 = projection_bounds(d.X_noisy, d.labels, Wc)
    dl = noise_delta(eps)
    Dl = noise_Delta(eps, float(np.clip(rho_plus, 0.0, 1.0)))
    n = config["n"]
    return {
        "log_sharpness": sharpness(tr.attention, d.labels, log=True),
        "score_gap": score_log_sharpness(tr.scores, d.labels),
        "corrected_bound": corrected_fusion_bound(min(d0, 1.0), D0, sizes, config["layers"], scale=config["scale"]),
        "measured": np.array([projection_bounds(x, d.labels, Wc) for x in tr.X]),  # (L + 1, 2): delta_l, Delta_l
        "rho_plus": rho_plus,
        "delta": dl,
        "Delta": Dl,
        "claimed_rate": theorem2_gain(dl, float(np.clip(Dl, -1, 1)), n, form="rate", log=True),
        "claimed_explicit": theorem2_gain(dl, float(np.clip(Dl, -1, 1)), n, form="explicit", log=True),
        "attention": tr.attention,
        "labels": d.labels,
    }


def _integrity_task(shape, seed_seq) -> tuple[float, float, float, float, float]:
    from theory.integrity import convex_integrity, greedy_integrity
    from theory.subspace import subspace_clusters

    n, m, K, r = shape
    d = subspace_clusters(n, m, K, r, seed=seed_seq)
    rng = np.random.default_rng(seed_seq.spawn(1)[0])
    t0 = time.perf_counter()
    g = greedy_integrity(d.X, d.labels, seed=rng)
    t1 = time.perf_counter()
    c = convex_integrity(d.X, d.labels, seed=rng)
    t2 = time.perf_counter()
    return g.lower, c.lower, c.upper, t1 - t0, t2 - t1


def _seeds(config: dict):
    root = np.random.SeedSequence(config["seed"])
    s_layers, s_int = root.spawn(2)
    return s_layers.spawn(len(config["eps"]) * config["reps"]), s_int.spawn(config["n_integrity"])


def units(config: dict) -> list[Unit]:
    """One unit per (noise level, draw) of the layer experiment, then one per integrity instance."""
    layer_seeds, int_seeds = _seeds(config)
    eps, reps = config["eps"], config["reps"]
    out = [Unit(_layer_task, (config, eps[ei], layer_seeds[ei * reps + rep]))
           for ei in range(len(eps)) for rep in range(reps)]
    out += [Unit(_integrity_task, (config["integrity_shape"], s)) for s in int_seeds]
    return out


def combine(config: dict, results: list):
    """Assemble the unit results and Theorem 2's region; returns ``(scalars, arrays)``."""
    from theory.attention import theorem2_gain

    eps = config["eps"]
    reps = config["reps"]
    tasks = [(ei, rep) for ei in range(len(eps)) for rep in range(reps)]
    L, n = config["layers"], config["n"]
    shp = (len(eps), reps)
    logS = np.empty(shp + (L,))
    gap = np.empty(shp + (L,))
    bound = np.empty(shp + (L,))
    measured = np.empty(shp + (L + 1, 2))
    rho_plus, claimed_rate, claimed_explicit = np.empty(shp), np.empty(shp), np.empty(shp)
    attn_examples = np.empty((len(eps), L, n, n))
    labels_example = None
    for (ei, rep), res in zip(tasks, results[: len(tasks)]):
        logS[ei, rep], gap[ei, rep], bound[ei, rep] = res["log_sharpness"], res["score_gap"], res["corrected_bound"]
        measured[ei, rep] = res["measured"]
        rho_plus[ei, rep] = res["rho_plus"]
        claimed_rate[ei, rep], claimed_explicit[ei, rep] = res["claimed_rate"], res["claimed_explicit"]
        if rep == 0:
            attn_examples[ei] = res["attention"]
            labels_example = res["labels"]
    integ = np.array([list(r) for r in results[len(tasks):]], dtype=float).reshape(-1, 5)

    # Theorem 2's claimed gain over (eps, rho) for a few n
    eps_grid = np.linspace(0.0, 0.5, 101)
    rho_grid = np.linspace(0.0, 1.0, 101)
    n_grid = np.array([10, n, 100]) if n not in (10, 100) else np.array([10, 30, 100])
    from theory.attention import noise_Delta, noise_delta

    E, R = np.meshgrid(eps_grid, rho_grid, indexing="ij")
    dgrid = noise_delta(E)
    Dgrid = noise_Delta(E, R)
    rate = np.array([[[theorem2_gain(dgrid[i, j], Dgrid[i, j], int(nn), form="rate", log=True)
                       for j in range(rho_grid.size)] for i in range(eps_grid.size)] for nn in n_grid])
    separable = Dgrid > dgrid

    # layer-to-layer gains against the claim
    gains = np.diff(logS, axis=-1)  # (E, R, L-1)
    claim = claimed_rate[..., None]
    finite = np.isfinite(gains)
    ratio = integ[:, 0] / np.where(integ[:, 1] > 0, integ[:, 1], np.nan)
    scalars = {
        "layer_gains_total": int(finite.sum()),
        "layer_gains_meeting_claimed_rate": int(np.sum((gains >= claim) & finite)),
        "layer_gains_positive": int(np.sum((gains > 0) & finite)),
        "claimed_rate_above_one_fraction": float(np.mean(claimed_rate > 0)),
        "corrected_bound_violations": int(np.sum(gap < bound - 1e-9)),
        "rate_gt_one_and_separable_fraction": {
            str(int(nn)): float(np.mean((rate[k] > 0) & separable)) for k, nn in enumerate(n_grid)
        },
        "rate_gt_one_fraction": {str(int(nn)): float(np.mean(rate[k] > 0)) for k, nn in enumerate(n_grid)},
        "greedy_over_convex_median": float(np.nanmedian(ratio)),
        "greedy_over_convex_q10_q90": [float(np.nanquantile(ratio, 0.1)), float(np.nanquantile(ratio, 0.9))],
        "greedy_above_convex_upper": int(np.sum(integ[:, 0] > integ[:, 2] + 1e-9)),
        "convex_certified_gap_median": float(np.median(integ[:, 2] - integ[:, 1])),
    }
    arrays = {
        "eps": np.asarray(eps, dtype=float),
        "log_sharpness": logS,
        "score_gap": gap,
        "corrected_bound": bound,
        "measured_delta_Delta": measured,
        "rho_plus": rho_plus,
        "claimed_rate": claimed_rate,
        "claimed_explicit": claimed_explicit,
        "attention_examples": attn_examples,
        "labels_example": labels_example,
        "integrity_greedy": integ[:, 0],
        "integrity_convex_lower": integ[:, 1],
        "integrity_convex_upper": integ[:, 2],
        "integrity_time_greedy": integ[:, 3],
        "integrity_time_convex": integ[:, 4],
        "region_eps": eps_grid,
        "region_rho": rho_grid,
        "region_n": n_grid,
        "region_log_rate": rate,
        "region_separable": separable,
    }
    return scalars, arrays


FIGURE_STEMS = ("fusion_theory_sharpness", "fusion_theory_attention", "fusion_theory_integrity", "fusion_theory_region")


def run(config: dict, runner=None):
    """All three experiments (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.fusion_theory", figure_stems=FIGURE_STEMS,
    describe=lambda c: f"fusion theory (n={c['n']}, L={c['layers']}, eps={c['eps']})",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
