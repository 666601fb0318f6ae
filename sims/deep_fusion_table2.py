"""Table 2 with room to move: ``python -m sims.deep_fusion_table2``.

Li & Pimentel-Alarcón's Table 2 finds the transformer projection head ahead
of the FFN head by 2.25-3.20 points of unsupervised (1-NN) accuracy of the
backbone features.  On the clean digits or clean subspace clusters both
heads reach the ceiling (1-NN about 0.95-1.0), so ``sims.deep_fusion_toy``
cannot tell them apart.  Here the comparison runs where it can move: subspace
clusters with noise (``--noise``, default 0.3: the 1-NN accuracy of the
backbone is about 0.7), the toy's quick architecture (a 4-block transformer
head against the FFN head matched in parameters, the paper's protocol of
features before the head), ``--epochs`` epochs and ``--seeds`` seeds, paired
(each seed: the same data, backbone initialisation, shuffling and
augmentations for both heads), so that the paired standard error of the
difference can separate one point.

Every run is :func:`sims.deep_fusion_toy.run_head` (the toy's own loop,
heads and evaluation); one unit per ``(head, seed)``.
"""

from __future__ import annotations

import numpy as np

from sims._common import ArgumentParser, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "deep_fusion_table2"
HEADS = ("mlp", "transformer")
METRICS = ("unsup_backbone", "sup_backbone", "unsup_head", "sup_head")

__all__ = ["build_parser", "make_config", "units", "combine", "run", "HEADS", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.deep_fusion_table2",
        description=(
            "Deep Fusion Table 2 where it can decide: FFN vs transformer projection head (matched parameters) on "
            "noisy subspace clusters, many paired seeds, 1-NN and linear-probe accuracy of the backbone features."
        ),
    )
    g = ap.add_argument_group("comparison")
    g.add_argument("--noise", type=float, default=0.3, help="eps of eq. (6) of the subspace clusters, in [0, 1)")
    g.add_argument("--epochs", type=int, default=15, help="training epochs of every run")
    g.add_argument("--seeds", type=int, default=40, help="paired seeds (40: a paired s.e. of about 0.6 points)")
    g.add_argument("--threads", type=int, default=1, help="torch CPU threads per run")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    """Validate every flag and build the toy's base config (before anything is written)."""
    from sims import deep_fusion_toy as dft

    apply_quick(args, build_parser(), epochs=3, seeds=2)
    noise = check_scalar(args.noise, "--noise", low=0.0, high=1.0, closed="left")
    epochs = check_int(args.epochs, "--epochs", low=1, high=10_000)
    seeds = check_int(args.seeds, "--seeds", low=1, high=1000)
    threads = check_int(args.threads, "--threads", low=1, high=64)
    seed = check_int(args.seed, "--seed", low=0, high=2**31 - 1)
    check_n_jobs(args.n_jobs)
    base = dft.make_config(dft.build_parser().parse_args(
        ["--quick", "--dataset", "subspaces", "--noise", str(noise), "--epochs", str(epochs), "--seeds", "1",
         "--heads", ",".join(HEADS), "--eval-every", str(epochs), "--threads", str(threads), "--device", "cpu",
         "--seed", str(seed)]))
    return {"noise": noise, "epochs": epochs, "seeds": seeds, "threads": threads, "seed": seed, "base": base,
            "quick": bool(args.quick)}


def _run(base: dict, head: str, seed: int) -> dict:
    from sims.deep_fusion_toy import run_head

    res = run_head(base, head, seed)
    out = {k: float(res[k]) for k in METRICS}
    out["epoch_time_s"] = float(np.mean(res["history"]["epoch_time_s"]))
    out["n_params"] = int(res["n_params"])
    return out


def units(config: dict) -> list[Unit]:
    """One unit per ``(head, seed)``, seed ``seed + s`` for both heads (paired)."""
    return [Unit(_run, (config["base"], h, config["seed"] + s)) for h in HEADS for s in range(config["seeds"])]


def combine(config: dict, results: list):
    """Arrays ``<metric>`` of shape ``(heads, seeds)``; the paired differences and their s.e."""
    S = config["seeds"]
    arrays = {m: np.array([[results[j * S + s][m] for s in range(S)] for j in range(len(HEADS))])
              for m in (*METRICS, "epoch_time_s")}
    scalars = {"heads": list(HEADS), "n_params": {h: results[j * S]["n_params"] for j, h in enumerate(HEADS)}}
    for m in METRICS:
        d = arrays[m][1] - arrays[m][0]
        scalars[f"{m}_difference"] = {"mean": float(d.mean()),
                                      "se": float(d.std(ddof=1) / np.sqrt(S)) if S > 1 else None}
    return scalars, arrays


def run(config: dict, runner=None):
    """Run every unit (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.deep_fusion_table2", figure_stems=("deep_fusion_table2",),
    describe=lambda c: f"deep fusion table 2 ({c['seeds']} paired seeds, noise {c['noise']:g}, {c['epochs']} epochs)",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
