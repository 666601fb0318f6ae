"""Expansion and shrinkage on a trained encoder: ``python -m sims.trained_expansion`` (Gui, Ma & Zhong, poster Fig. 2).

SimCLR (:func:`theory.simclr.train_simclr`, NT-Xent) with a one-layer
linear projector ``z = W h`` (``p x p``, no bias) on top of an encoder, for
every temperature of ``--taus`` and augmentation strength of
``--aug-scales``, on two data sets (``--datasets``):

``digits``
    scikit-learn's 8x8 digits, the small CNN of :mod:`theory.backbones`,
    :class:`theory.augmentations.ImageAugment` with the rotation, the scale
    jitter and the pixel noise multiplied by the strength ``s`` (one-pixel
    shifts at every strength).
``synthetic``
    the poster's 2-GMM (:func:`theory.gmm.sample_gmm`, ``mu = sqrt(rho) e_1``
    in ``R^D``) as *inputs*, a two-layer MLP encoder, and the model's
    Gaussian augmentation with ``sigma_aug^2 = s * --sigma2``.  The input
    model's ``tau*`` and exact-loss boundary ``tau_C``
    (:mod:`theory.phase`, :mod:`theory.exact_boundary`) are recorded as the
    reference the feature-level theory would give if the encoder were the
    identity.

At the end of training, for every pair of classes, ``mu_{c1,c2}`` is the
difference of the class means of the encoder features of the test inputs
and the poster's cumulative score
``score_i = sum_{j<=i} <v_j, mu>^2 / ||mu||^2`` is computed from the right
singular vectors ``v_j`` of ``W`` (:mod:`theory.feature_evidence`); the
isotropic baseline is ``i / p``.  Also recorded: the expansion measure
``t(W) = ||W mu||^2 / (||W||_F^2 ||mu||^2)`` (poster Fig. 3; ``1/p`` for an
isotropic ``W``) averaged over the pairs.

The poster's "empirical evidence for feature-level modeling" is measured
on the reference run of each data set (``tau = --evidence-tau``, strength
1) for the first ``--evidence-seeds`` replicates, at every epoch (epoch 0 =
initialisation):

* the fraction of class pairs whose encoder features (training inputs) are
  strictly separable by an affine hyperplane (an LP per pair);
* the loss decomposition ``L(theta_t, phi_t) = min_phi L(theta_t, phi) +
  L_perp``: NT-Xent of a fixed batch of ``--eval-size`` view pairs of test
  inputs, the projector re-optimised by L-BFGS on the frozen features
  (:func:`theory.feature_evidence.projector_loss_decomposition`); recorded
  ``L_perp / min L`` and ``||phi~ - phi_t||_F / ||phi_t||_F``.

One unit per ``(data set, tau, strength, seed)``; replicate ``r`` of a data
set draws its data / split and its encoder and projector initialisation
from ``SeedSequence([seed, dataset index, r])``, the same for every
``(tau, strength)``, so the comparisons across temperatures and strengths
are paired.
"""

from __future__ import annotations

import math

import numpy as np

from sims._common import ArgumentParser, CLIError, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "trained_expansion"
DATASETS = ("digits", "synthetic")

__all__ = ["NAME", "DATASETS", "build_parser", "make_config", "units", "combine", "run", "one_run", "SIMULATION",
           "main"]


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.trained_expansion",
        description=(
            "Gui, Ma & Zhong poster Fig. 2 and its empirical evidence: SimCLR with a linear projector on the "
            "digits (small CNN) and on 2-GMM inputs (MLP encoder); the cumulative signal score of the projector's "
            "singular directions against i/p for several temperatures and augmentation strengths, the separability "
            "of the encoder features per epoch and the loss decomposition min_phi L + L_perp per epoch."
        ),
    )
    g = ap.add_argument_group("experiment")
    g.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated subset of {','.join(DATASETS)}")
    g.add_argument("--taus", type=float, nargs="+", default=[0.1, 0.5, 2.0],
                   help="NT-Xent temperatures, each in [1e-3, 1e3]")
    g.add_argument("--aug-scales", type=float, nargs="+", default=[2.0],
                   help="augmentation strengths s (multipliers of the base augmentation), each in (0, 10]; "
                        "1 is always run (the evidence run)")
    g.add_argument("--evidence-tau", type=float, default=0.5,
                   help="temperature of the per-epoch evidence run (added to --taus), in [1e-3, 1e3]")
    g.add_argument("--seeds", type=int, default=5, help="replicates per configuration")
    g.add_argument("--evidence-seeds", type=int, default=3,
                   help="replicates (the first ones, at most --seeds) that also record the per-epoch evidence")
    g.add_argument("--rep-dim", type=int, default=32, help="encoder output dimension p (the projector is p x p)")
    g.add_argument("--epochs", type=int, default=10, help="epochs of the digits runs")
    g.add_argument("--synthetic-epochs", type=int, default=15, help="epochs of the synthetic runs")
    g.add_argument("--batch-size", type=int, default=256, help="SimCLR batch size N")
    g.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (cosine schedule), in (0, 10]")
    g.add_argument("--weight-decay", type=float, default=1e-4, help="weight decay, in [0, 1]")
    g.add_argument("--input-dim", type=int, default=32, help="synthetic input dimension D")
    g.add_argument("--rho", type=float, default=4.0, help="synthetic signal strength ||mu||^2, in (0, 100]")
    g.add_argument("--sigma2", type=float, default=0.5, help="synthetic base augmentation variance sigma_aug^2, in (0, 100]")
    g.add_argument("--n-train", type=int, default=2048, help="synthetic training inputs")
    g.add_argument("--n-test", type=int, default=1024, help="synthetic test inputs")
    g.add_argument("--eval-size", type=int, default=256, help="view pairs of the loss decomposition batch")
    g.add_argument("--decomp-iters", type=int, default=50, help="L-BFGS iterations of the inner minimisation")
    g.add_argument("--decomp-restarts", type=int, default=1,
                   help="random restarts of the inner minimisation besides the start at the current projector")
    g.add_argument("--separability-size", type=int, default=1500,
                   help="training inputs (the first ones) in the per-epoch separability LPs")
    add_run_arguments(ap, NAME)
    return ap


def _names(text: str) -> list[str]:
    names = [t.strip() for t in str(text).split(",") if t.strip()]
    if not names:
        raise CLIError("--datasets must name at least one of " + ", ".join(DATASETS))
    for t in names:
        if t not in DATASETS:
            raise CLIError(f"--datasets entry must be one of {', '.join(DATASETS)}, got {t!r}")
    if len(set(names)) != len(names):
        raise CLIError("--datasets entries must not repeat")
    return [d for d in DATASETS if d in names]


def make_config(args) -> dict:
    """Validate the parsed flags (all of them, before anything is written)."""
    apply_quick(args, build_parser(), taus=[0.2, 2.0], aug_scales=[1.0], seeds=2, epochs=3, synthetic_epochs=4,
                n_train=512, n_test=256, eval_size=128, decomp_iters=60, rep_dim=16, separability_size=300)
    taus = sorted({check_scalar(t, "--taus", low=1e-3, high=1e3) for t in args.taus}
                  | {check_scalar(args.evidence_tau, "--evidence-tau", low=1e-3, high=1e3)})
    scales = sorted({check_scalar(s, "--aug-scales", low=0.0, high=10.0, closed="right") for s in args.aug_scales}
                    | {1.0})
    cfg = {
        "datasets": _names(args.datasets),
        "taus": taus,
        "aug_scales": scales,
        "evidence_tau": float(args.evidence_tau),
        "seeds": check_int(args.seeds, "--seeds", low=1, high=1000),
        "evidence_seeds": min(check_int(args.evidence_seeds, "--evidence-seeds", low=1, high=1000), int(args.seeds)),
        "rep_dim": check_int(args.rep_dim, "--rep-dim", low=2, high=1024),
        "epochs": check_int(args.epochs, "--epochs", low=1, high=100_000),
        "synthetic_epochs": check_int(args.synthetic_epochs, "--synthetic-epochs", low=1, high=100_000),
        "lr": check_scalar(args.lr, "--lr", low=0.0, high=10.0, closed="right"),
        "weight_decay": check_scalar(args.weight_decay, "--weight-decay", low=0.0, high=1.0),
        "input_dim": check_int(args.input_dim, "--input-dim", low=2, high=4096),
        "rho": check_scalar(args.rho, "--rho", low=0.0, high=100.0, closed="right"),
        "sigma2": check_scalar(args.sigma2, "--sigma2", low=0.0, high=100.0, closed="right"),
        "n_train": check_int(args.n_train, "--n-train", low=4, high=1_000_000),
        "n_test": check_int(args.n_test, "--n-test", low=4, high=1_000_000),
        "decomp_iters": check_int(args.decomp_iters, "--decomp-iters", low=1, high=100_000),
        "decomp_restarts": check_int(args.decomp_restarts, "--decomp-restarts", low=0, high=100),
        "separability_size": check_int(args.separability_size, "--separability-size", low=4, high=1_000_000),
        "seed": check_int(args.seed, "--seed", low=0, high=2**31),
        "quick": bool(args.quick),
    }
    # every data set must offer a full batch and an evaluation batch: digits has 1257 training and 540 test images
    n_train_min = min(cfg["n_train"] if d == "synthetic" else 1257 for d in cfg["datasets"])
    n_test_min = min(cfg["n_test"] if d == "synthetic" else 540 for d in cfg["datasets"])
    cfg["batch_size"] = check_int(args.batch_size, "--batch-size", low=2, high=n_train_min)
    cfg["eval_size"] = check_int(args.eval_size, "--eval-size", low=2, high=n_test_min)
    check_n_jobs(args.n_jobs)
    return cfg


def _replicate_seeds(cfg: dict, dataset: str, replicate: int) -> list[int]:
    ss = np.random.SeedSequence([cfg["seed"], DATASETS.index(dataset), replicate])
    return [int(s) % (2**31) for s in ss.generate_state(4)]


def _data(cfg: dict, dataset: str, data_seed: int):
    """``(X_train, y_train, X_test, y_test, input_shape)`` of one replicate."""
    if dataset == "digits":
        from theory.datasets import load_digits_split

        ds = load_digits_split(seed=data_seed)
        return ds.X_train, ds.y_train, ds.X_test, ds.y_test, (1, 8, 8)
    from theory.gmm import sample_gmm

    mu = np.zeros(cfg["input_dim"])
    mu[0] = math.sqrt(cfg["rho"])
    h, y = sample_gmm(cfg["n_train"] + cfg["n_test"], mu, np.random.default_rng(data_seed))
    X, y = h.astype(np.float32), ((y + 1) // 2).astype(np.int64)
    n = cfg["n_train"]
    return X[:n], y[:n], X[n:], y[n:], (cfg["input_dim"],)


def _augment(cfg: dict, dataset: str, scale: float):
    if dataset == "digits":
        from theory.augmentations import ImageAugment

        return ImageAugment(max_shift=1, max_rotation_deg=min(10.0 * scale, 180.0), max_scale=min(0.1 * scale, 0.9),
                            noise=0.1 * scale)
    from theory.augmentations import gaussian_noise

    sigma = math.sqrt(cfg["sigma2"] * scale)
    return lambda x, g: gaussian_noise(x, sigma, g)


def one_run(cfg: dict, dataset: str, tau: float, scale: float, replicate: int):
    """One SimCLR run; returns ``(scalars, arrays)`` of its scores (and, for the evidence run, the per-epoch evidence)."""
    import torch

    from theory.backbones import make_backbone
    from theory.evaluation import embed
    from theory.feature_evidence import (
        class_mean_differences,
        cumulative_signal_scores,
        pairwise_separability,
        projector_loss_decomposition,
    )
    from theory.heads import make_head
    from theory.phase import expansion_measure
    from theory.simclr import SimCLR, train_simclr

    torch.set_num_threads(1)
    data_seed, enc_seed, head_seed, run_seed = _replicate_seeds(cfg, dataset, replicate)
    Xtr, ytr, Xte, yte, shape = _data(cfg, dataset, data_seed)
    p = cfg["rep_dim"]
    if dataset == "digits":
        backbone = make_backbone("cnn", shape, p, seed=enc_seed)
    else:
        backbone = make_backbone("mlp", shape, p, seed=enc_seed, hidden_dim=64)
    model = SimCLR(backbone, make_head("linear", p, p, seed=head_seed, bias=False))
    augment = _augment(cfg, dataset, scale)
    evidence = scale == 1.0 and tau == cfg["evidence_tau"] and replicate < cfg["evidence_seeds"]
    callbacks = []
    if evidence:
        Xsep, ysep = torch.as_tensor(Xtr[: cfg["separability_size"]]), ytr[: cfg["separability_size"]]
        Xev = torch.as_tensor(Xte[: cfg["eval_size"]])
        gen = torch.Generator().manual_seed(run_seed + 1)
        x1, x2 = augment(Xev, gen), augment(Xev, gen)

        def evidence_callback(epoch, m, history):
            with torch.no_grad():
                h1 = m.features(x1).double().numpy()
                h2 = m.features(x2).double().numpy()
            hsep = embed(m, Xsep, part="backbone")
            W = m.head.linear.weight.detach().double().numpy()
            dec = projector_loss_decomposition(h1, h2, W, tau, max_iter=cfg["decomp_iters"],
                                               restarts=cfg["decomp_restarts"], seed=np.random.SeedSequence([run_seed, epoch]))
            return {"separable_fraction": pairwise_separability(hsep, ysep), "loss": dec.loss,
                    "min_loss": dec.min_loss, "relative_excess": dec.relative_excess,
                    "relative_distance": dec.relative_distance, "inner_grad_norm": dec.grad_norm,
                    "restart_gain": dec.local_min_loss - dec.min_loss}

        callbacks.append(evidence_callback)
    epochs = cfg["epochs"] if dataset == "digits" else cfg["synthetic_epochs"]
    hist = train_simclr(model, Xtr, augment, epochs=epochs, batch_size=cfg["batch_size"], tau=tau, optimizer="adam",
                        lr=cfg["lr"], weight_decay=cfg["weight_decay"], scheduler="cosine", callbacks=callbacks,
                        eval_at_start=evidence, seed=run_seed)
    model.eval()
    h = embed(model, torch.as_tensor(Xte), part="backbone")
    W = model.head.linear.weight.detach().double().numpy()
    _, M = class_mean_differences(h, yte)
    scores = cumulative_signal_scores(W, M)
    scalars = {
        "score_1": float(scores[:, 0].mean()),
        "expansion_measure": float(np.mean([expansion_measure(W, m) for m in M])),
        "final_loss": float(hist.loss[-1]),
        "train_time_s": float(hist.train_time_s),
    }
    arrays = {"scores": scores.mean(axis=0), "singular_values": np.linalg.svd(W, compute_uv=False), "W": W, "mu": M}
    if evidence:
        for k, v in hist.as_arrays().items():
            if k.startswith("metric_"):
                arrays[f"evidence_{k[len('metric_'):]}"] = np.asarray(v)
    return scalars, arrays


def _configs(cfg: dict) -> list[tuple[str, float, float]]:
    return [(d, t, s) for d in cfg["datasets"] for t in cfg["taus"] for s in cfg["aug_scales"]]


def units(config: dict) -> list[Unit]:
    """One unit per ``(data set, tau, strength, seed)``."""
    return [Unit(one_run, (config, d, t, s, r)) for d, t, s in _configs(config) for r in range(config["seeds"])]


def combine(config: dict, results: list):
    """Per data set: arrays over ``(tau, strength, seed)`` and the evidence run's per-epoch curves."""
    from theory.exact_boundary import tau_c
    from theory.phase import tau_star

    T, S, R = len(config["taus"]), len(config["aug_scales"]), config["seeds"]
    it = iter(results)
    scalars: dict = {"taus": config["taus"], "aug_scales": config["aug_scales"], "p": config["rep_dim"],
                     "isotropic_score_1": 1.0 / config["rep_dim"], "datasets": {}}
    arrays: dict = {"taus": np.array(config["taus"]), "aug_scales": np.array(config["aug_scales"])}
    e_tau = config["taus"].index(config["evidence_tau"])
    e_scale = config["aug_scales"].index(1.0)
    for d in config["datasets"]:
        runs = [[[next(it) for _ in range(R)] for _ in range(S)] for _ in range(T)]
        for key in ("score_1", "expansion_measure", "final_loss", "train_time_s"):
            arrays[f"{d}_{key}"] = np.array([[[r[0][key] for r in rs] for rs in row] for row in runs])
        arrays[f"{d}_scores"] = np.array([[[r[1]["scores"] for r in rs] for rs in row] for row in runs])
        for key in ("singular_values", "W", "mu"):
            arrays[f"{d}_{key}"] = np.array([[[r[1][key] for r in rs] for rs in row] for row in runs])
        ev = runs[e_tau][e_scale][: config["evidence_seeds"]]
        for key in ("epochs", "separable_fraction", "loss", "min_loss", "relative_excess", "relative_distance",
                    "inner_grad_norm", "restart_gain"):
            arrays[f"{d}_evidence_{key}"] = np.array([r[1][f"evidence_{key}"] for r in ev])
        s1 = arrays[f"{d}_score_1"]
        info = {
            "mean_score_1": s1.mean(axis=2).tolist(),
            "mean_expansion_measure": arrays[f"{d}_expansion_measure"].mean(axis=2).tolist(),
            "mean_train_time_s": float(arrays[f"{d}_train_time_s"].mean()),
            "final_separable_fraction": float(arrays[f"{d}_evidence_separable_fraction"][:, -1].mean()),
            "initial_separable_fraction": float(arrays[f"{d}_evidence_separable_fraction"][:, 0].mean()),
            "max_relative_excess_after_init": float(arrays[f"{d}_evidence_relative_excess"][:, 1:].max()),
            "max_relative_distance_after_init": float(arrays[f"{d}_evidence_relative_distance"][:, 1:].max()),
            "max_restart_gain": float(arrays[f"{d}_evidence_restart_gain"].max()),
            "max_inner_grad_norm": float(arrays[f"{d}_evidence_inner_grad_norm"].max()),
        }
        if d == "synthetic":
            sig = [config["sigma2"] * s for s in config["aug_scales"]]
            info["sigma2"] = sig
            info["tau_star"] = [float(tau_star(s, config["rho"])) for s in sig]
            info["tau_c"] = [float(tau_c(s, config["rho"])) for s in sig]
        scalars["datasets"][d] = info
    return scalars, arrays


def run(config: dict, runner=None):
    """Run every unit (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.trained_expansion", figure_stems=("trained_expansion", "trained_expansion_evidence"),
    describe=lambda c: (f"trained expansion ({','.join(c['datasets'])}: {len(c['taus'])} taus x "
                        f"{len(c['aug_scales'])} strengths x {c['seeds']} seeds)"),
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
