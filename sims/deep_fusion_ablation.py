"""Deep Fusion ablations (Tables 3-6) at our scale: ``python -m sims.deep_fusion_ablation``.

Li & Pimentel-Alarcón's ablations vary one training setting at a time on
CIFAR100 with a ResNet18: the batch size (Table 3; the batch is the
transformer head's sequence, and Theorem 2's gain weakens as the sequence
grows), the temperature (Table 4; their transformer collapses at 0.02) and
the weight decay (Table 5), and the depth of the head with the supervised
accuracy read off the backbone or the head's output (Table 6).  Here each
axis of ``--axes`` is swept on the
Deep Fusion toy of :mod:`sims.deep_fusion_toy` (the same training loop,
heads and evaluation: :func:`sims.deep_fusion_toy.run_head`), every other
setting at the toy's ``--quick`` preset: noisy subspace clusters
(``--noise``, so that the accuracies are off their ceiling), a 4-block
transformer head against the FFN head matched in parameters, ``--epochs``
epochs, ``--seeds`` seeds (the same data and initial weights for every value
of an axis, so the comparisons are paired).

Two FFN-vs-transformer pairs are trained (``--heads``): the package's own
(``mlp`` against ``transformer``, the FFN matched in parameters) and the
authors' architecture (``deepfusion_ffn`` against ``deepfusion``, their FFN
baseline as they define it, :mod:`theory.deepfusion_head`).

The ``depth`` axis sets the transformers' number of blocks to ``d``, the
authors' FFN baseline to ``d`` (Linear, BatchNorm, ReLU) layers, and our FFN
head to ``d`` hidden Linear + activation blocks before its output Linear
(``mlp_layers = d + 1``; the paper's FFN "layer" is such a block), its width
matched in parameters as everywhere in the toy.

Recorded per ``(axis, value, head, seed)``: 1-NN and linear-probe accuracy
of the backbone features and of the head's outputs, the training time per
epoch, and for each
transformer the in-class attention mass of every layer minus its chance
level (the Deep Fusion measure of Table 1).  One unit per run.
"""

from __future__ import annotations

import numpy as np

from sims._common import ArgumentParser, CLIError, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "deep_fusion_ablation"
AXES = ("batch", "tau", "weight_decay", "depth")
HEADS = ("mlp", "transformer", "deepfusion_ffn", "deepfusion")
PAIRS = (("mlp", "transformer"), ("deepfusion_ffn", "deepfusion"))  # (FFN, transformer): ours, the authors'
ATTENTION = tuple(t for _, t in PAIRS)

__all__ = ["build_parser", "make_config", "units", "combine", "run", "AXES", "HEADS", "PAIRS", "SIMULATION", "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.deep_fusion_ablation",
        description=(
            "Deep Fusion ablations (the paper's Tables 3-6) on noisy subspace clusters: FFN vs transformer head "
            "(ours and the authors' architecture) and the transformers' in-class attention per layer against the "
            "batch size, the temperature, the weight decay and the depth, paired over seeds."
        ),
    )
    g = ap.add_argument_group("ablation")
    g.add_argument("--axes", default="batch,tau,weight_decay,depth",
                   help="comma-separated axes to sweep: batch, tau, weight_decay, depth")
    g.add_argument("--heads", default=",".join(HEADS),
                   help="comma-separated heads, whole FFN/transformer pairs: mlp,transformer (ours) and/or "
                        "deepfusion_ffn,deepfusion (the authors')")
    g.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 256],
                   help="batch sizes N (Table 3; --scale paper: 16 64 256 512)")
    g.add_argument("--taus", type=float, nargs="+", default=[1.0, 0.02],
                   help="temperatures (Table 4; --scale paper: 1 0.2 0.05 0.02)")
    g.add_argument("--weight-decays", type=float, nargs="+", default=[1e-1, 1e-4],
                   help="Adam weight decays (Table 5; --scale paper: 0.1 0.01 0.001 0.0001)")
    g.add_argument("--depths", type=int, nargs="+", default=[1, 3],
                   help="head depths d (Table 6): transformer blocks, FFN hidden blocks; each in [1, 8]")
    g.add_argument("--noise", type=float, default=0.3, help="eps of eq. (6) of the subspace clusters, in [0, 1)")
    g.add_argument("--epochs", type=int, default=15, help="training epochs of every run")
    g.add_argument("--seeds", type=int, default=3, help="seeds per (value, head)")
    g.add_argument("--threads", type=int, default=1, help="torch CPU threads per run")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    """Validate every flag and build the toy's base config (before anything is written)."""
    from sims import deep_fusion_toy as dft

    apply_quick(args, build_parser(), batch_sizes=[16, 128], taus=[0.5, 0.05], weight_decays=[1e-1, 1e-4], epochs=3,
                seeds=1)
    axes = [a.strip() for a in str(args.axes).split(",") if a.strip()]
    if not axes or any(a not in AXES for a in axes) or len(set(axes)) != len(axes):
        raise CLIError(f"--axes must be distinct names from {', '.join(AXES)}, got {args.axes!r}")
    names = [h.strip() for h in str(args.heads).split(",")]
    pairs = [pr for pr in PAIRS if set(pr) <= set(names)]
    if (not names or any(h not in HEADS for h in names) or len(set(names)) != len(names)
            or {h for pr in pairs for h in pr} != set(names)):
        raise CLIError(f"--heads must be whole pairs from mlp,transformer and deepfusion_ffn,deepfusion, got {args.heads!r}")
    heads = [h for h in HEADS if h in names]
    values = {
        "batch": sorted(check_int(v, "--batch-sizes", low=4, high=512) for v in args.batch_sizes),
        "tau": sorted((check_scalar(v, "--taus", low=1e-3, high=1e3) for v in args.taus), reverse=True),
        "weight_decay": sorted((check_scalar(v, "--weight-decays", low=0.0, high=10.0) for v in args.weight_decays),
                               reverse=True),
        "depth": sorted({check_int(v, "--depths", low=1, high=8) for v in args.depths}),
    }
    noise = check_scalar(args.noise, "--noise", low=0.0, high=1.0, closed="left")
    epochs = check_int(args.epochs, "--epochs", low=1, high=10_000)
    seeds = check_int(args.seeds, "--seeds", low=1, high=100)
    threads = check_int(args.threads, "--threads", low=1, high=64)
    seed = check_int(args.seed, "--seed", low=0, high=2**31 - 1)
    check_n_jobs(args.n_jobs)
    base_args = dft.build_parser().parse_args(
        ["--quick", "--dataset", "subspaces", "--noise", str(noise), "--epochs", str(epochs), "--seeds", "1",
         "--heads", ",".join(heads), "--eval-every", str(epochs), "--threads", str(threads), "--device", "cpu",
         "--seed", str(seed)])
    base = dft.make_config(base_args)
    if max(values["batch"]) > base["n"] * (1 - base["test_fraction"]) - base["K"]:
        raise CLIError(f"--batch-sizes must fit in the training set, got {max(values['batch'])}")
    return {"axes": axes, "heads": heads, "values": {a: values[a] for a in axes}, "noise": noise, "epochs": epochs,
            "seeds": seeds, "threads": threads, "seed": seed, "base": base, "quick": bool(args.quick)}


def _run(base: dict, axis: str, value, head: str, seed: int) -> dict:
    from sims.deep_fusion_toy import run_head

    c = dict(base)
    if axis == "depth":
        c["layers"], c["mlp_layers"] = value, value + 1
    else:
        c[{"batch": "batch_size", "tau": "tau", "weight_decay": "weight_decay"}[axis]] = value
    res = run_head(c, head, seed)
    out = {k: float(res[k]) for k in ("sup_backbone", "unsup_backbone", "sup_head", "unsup_head")}
    out["epoch_time_s"] = float(np.mean(res["history"]["epoch_time_s"]))
    if "scores" in res:
        out["mass_excess"] = (res["scores"]["mass"].mean(axis=-1) - res["scores"]["chance"]).tolist()
    return out


def units(config: dict) -> list[Unit]:
    """One unit per ``(axis, value, head, seed)``; the seed is ``seed + s`` for every value (paired)."""
    return [Unit(_run, (config["base"], a, v, h, config["seed"] + s))
            for a in config["axes"] for v in config["values"][a] for h in config["heads"] for s in range(config["seeds"])]


def combine(config: dict, results: list):
    """Arrays ``<axis>_<metric>`` of shape ``(values, heads, seeds)`` (heads in ``results["heads"]`` order); for
    each transformer ``h`` its per-layer mass excess ``<axis>_mass_excess_<h>`` ``(values, seeds, layers)``
    (NaN-padded where the depth varies) and its last layer's ``<axis>_mass_excess_last_<h>`` ``(values, seeds)``."""
    arrays: dict[str, np.ndarray] = {}
    scalars: dict = {"axes": {}}
    it = iter(results)
    S = config["seeds"]
    heads = config["heads"]
    for a in config["axes"]:
        vals = config["values"][a]
        grid = [[[next(it) for _ in range(S)] for _ in heads] for _ in vals]
        arrays[f"{a}_values"] = np.asarray(vals, dtype=float)
        summary = {}
        for m in ("sup_backbone", "unsup_backbone", "sup_head", "unsup_head", "epoch_time_s"):
            arr = np.array([[[r[m] for r in hs] for hs in vs] for vs in grid])
            arrays[f"{a}_{m}"] = arr
            summary[m] = {h: arr[:, j].mean(axis=1).tolist() for j, h in enumerate(heads)}
        for h in (t for t in ATTENTION if t in heads):
            runs_tf = [vs[heads.index(h)] for vs in grid]
            L = max(len(r["mass_excess"]) for rs in runs_tf for r in rs)  # the depth axis changes the number of layers
            mass = np.full((len(vals), S, L), np.nan)  # (V, S, L), NaN beyond a run's last layer
            for i, rs in enumerate(runs_tf):
                for j, r in enumerate(rs):
                    mass[i, j, : len(r["mass_excess"])] = r["mass_excess"]
            last = np.array([[r["mass_excess"][-1] for r in rs] for rs in runs_tf])  # (V, S)
            arrays[f"{a}_mass_excess_{h}"] = mass
            arrays[f"{a}_mass_excess_last_{h}"] = last
            summary[f"{h}_last_layer_mass_excess"] = last.mean(axis=1).tolist()
        scalars["axes"][a] = {"values": vals, **summary}
    scalars["heads"] = list(heads)
    scalars["pairs"] = [list(pr) for pr in PAIRS if set(pr) <= set(heads)]
    return scalars, arrays


def run(config: dict, runner=None):
    """Run every unit (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.deep_fusion_ablation", figure_stems=("deep_fusion_ablation",),
    describe=lambda c: f"deep fusion ablation ({', '.join(c['axes'])}; {c['seeds']} seeds, {c['epochs']} epochs)",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
