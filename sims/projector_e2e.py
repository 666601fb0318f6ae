"""End-to-end SimCLR with linear, MLP, transformer and sparse projection heads, cross-validated against the theory.

``python -m sims.projector_e2e`` runs up to three parts (``--parts``):

``xval``
    The cross-validation of the population theory (Gui, Ma & Zhong).  On
    2-GMM features ``h = y mu + g`` with Gaussian augmentations of variance
    ``sigma_aug^2`` (:mod:`theory.gmm`), a linear projector ``W`` (p x p) is
    trained by online Adam (fresh samples at every step) on

    * ``"population"``: the mini-batch plug-in estimate of the poster's loss
      ``C(W)`` (every expectation replaced by a batch mean, the negatives an
      independent draw), whose exact minimiser is
      :func:`theory.population_loss.minimize_population_loss`;
    * ``"ntxent"``: the NT-Xent loss of SimCLR on ``z = W h``
      (:func:`theory.ntxent.nt_xent`, cosine similarity), at the same ``tau``.

    For every ``(sigma_aug^2, tau)`` of the grid and every seed the expansion
    measure ``t(W) = ||W mu||^2 / (||W||_F^2 ||mu||^2)`` of the learned ``W`` is
    compared with the exact minimiser's ``t*`` (and with the first-order
    Theorem-1 value), and the excess population loss ``C(W) - min C`` is
    recorded.  Downstream, a hard-margin SVM through the origin is fitted on
    ``n = delta p`` clean projected features and its exact test error
    (:mod:`theory.svm`) is compared with the high-dimensional prediction
    ``Err*(eta)`` of Theorem 2 (:mod:`theory.maxmargin`) at the ``eta`` of the
    ``W_eta`` family with the same expansion measure,
    ``1 + eta = sqrt(t (p - 1) / (1 - t))``.

``synthetic``
    SimCLR end to end: a K-class GMM latent pushed through a fixed random
    nonlinear map to the input space, augmentation = Gaussian noise of std
    ``sigma`` in the latent space (the knob), a small MLP encoder and the heads
    none / linear / mlp / transformer / linear+SparseHead / mlp+SparseHead
    (:mod:`theory.heads`, :mod:`theory.sparsehead`), plus the linear head at a
    small and a large augmentation strength (Cosentino Fig. 1).  Per epoch:
    InfoNCE and ``L_upper`` (Cosentino eq. (1), Prop. 3.1; Fig. 3), ``Rank_tau``
    of the linear projector (eq. 2; Fig. 1), the FVU of ``S = span{delta h_i}``
    (eq. 10; Fig. 7), the nearest-negative label agreement (Fig. 6), and for
    the linear head ``Rank_tau`` of the encoder outputs and the distance
    between a view and its nearest negative (Figs. 4, 5), with the encoder
    outputs' singular values at initialisation, half-way and the end
    (Figs. 4, 9); at the
    start and the end the linear-probe accuracy before (``h``) and after (``z``)
    the projector; at the end the covariance spectra of ``h`` and ``z`` (Song
    et al. Figs. 1, 3), the min-max distance ratio (eq. 9) and the number of
    columns SparseHead kept.

``digits``
    The same heads on the 8x8 digits with a small CNN and image
    augmentations (:mod:`theory.datasets`, :mod:`theory.augmentations`).

Every SimCLR run is repeated ``--seeds`` (synthetic, default 3) or
``--digits-seeds`` (digits, default 5) times; replicate ``r`` draws its own
data, nonlinear map / split, initialisations and augmentations from
``SeedSequence([seed, part, r])`` and all heads of a replicate share its data
and encoder initialisation (the before/after-projector comparison is paired).
Arrays ``syn[<key>]_<name>`` / ``dig[<key>]_<name>`` hold the mean over seeds,
``..._sd`` the sample sd and ``..._all`` every seed; JSON
``runs[key][name]`` is the mean and ``runs[key]["stats"][name]`` holds
``mean``, ``sd`` and ``all``.  The ``(head, seed)`` runs and the ``xval``
part run as independent joblib tasks (``--n-jobs``, ``--threads`` torch
threads each); the results do not depend on ``--n-jobs``.

Outputs ``results/projector_e2e/projector_e2e.{json,npz}`` and, unless
``--no-plot``, the figures of :mod:`figures.projector_e2e`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from sims._common import (
    ArgumentParser,
    CLIError,
    Simulation,
    Unit,
    add_run_arguments,
    apply_quick,
    resolve_device,
)
from sims._e2e_simclr import digits_task, synthetic_runs, synthetic_task
from sims._e2e_xval import run_xval

NAME = "projector_e2e"
PARTS = ("xval", "synthetic", "digits")
HEAD_VARIANTS = ("none", "linear", "mlp", "transformer", "linear+sparse", "mlp+sparse")
DIGITS_SEEDS = 5

__all__ = ["NAME", "PARTS", "HEAD_VARIANTS", "DIGITS_SEEDS", "build_parser", "make_config", "units", "combine", "run",
           "SIMULATION", "main"]


# --------------------------------------------------------------------------- CLI


def _floats(text: str) -> list[float]:
    parts = text.split(",")
    if any(not v.strip() for v in parts):
        raise CLIError(f"expected a comma-separated list of numbers without empty entries, got {text!r}")
    try:
        return [float(v) for v in parts]
    except ValueError as exc:
        raise CLIError(f"expected a comma-separated list of numbers, got {text!r}") from exc


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _first_last(text: str) -> str:
    v = _names(text)
    return ",".join(v[:1] + v[-1:]) if len(v) > 1 else text


def _min_max(text: str) -> str:
    v = sorted(set(_floats(text)))
    return ",".join(f"{x!r}" for x in (v[:1] + v[-1:] if len(v) > 1 else v))


def build_parser() -> ArgumentParser:
    p = ArgumentParser(
        prog="python -m sims.projector_e2e",
        description=(
            "SimCLR with none/linear/mlp/transformer/SparseHead projection heads on synthetic GMM data and "
            "digits, with InfoNCE geometry metrics per epoch, and the cross-validation of the learned linear "
            "projector's expansion measure and downstream error against the population theory."
        ),
    )
    p.add_argument("--parts", default="xval,synthetic,digits", help=f"comma-separated subset of {','.join(PARTS)}")
    add_run_arguments(p, NAME, n_jobs=True, device=True, seed_help="master seed (every run is reproducible bit for bit)")
    p.add_argument(
        "--threads", type=int, default=1,
        help="torch CPU threads per run (per joblib worker); results are bit-for-bit reproducible for a fixed value, "
             "whatever --n-jobs",
    )
    g = p.add_argument_group("cross-validation on GMM features (xval)")
    g.add_argument("--p", type=int, default=32, help="feature dimension p")
    g.add_argument("--rho", type=float, default=2.0, help="signal strength rho = ||mu||^2")
    g.add_argument("--sigma2-grid", default="0.5,2", help="augmentation variances sigma_aug^2, each in [1e-3, 1e3]")
    g.add_argument("--tau-grid", default="0.2,1,5", help="temperatures tau, each in [1e-3, 1e3]")
    g.add_argument("--xval-seeds", type=int, default=2, help="independent SGD runs per configuration")
    g.add_argument("--xval-steps", type=int, default=400, help="Adam steps per run")
    g.add_argument("--xval-batch", type=int, default=256, help="batch size B of the SGD runs")
    g.add_argument("--xval-lr", type=float, default=0.02, help="Adam learning rate (cosine-annealed)")
    g.add_argument("--delta", type=float, default=1.0, help="n/p of the downstream max-margin fit (< delta*(rho))")
    g.add_argument("--downstream-reps", type=int, default=20, help="training sets per downstream error estimate")
    g.add_argument("--agreement-tol", type=float, default=0.05, help="|t_learned - t*| counted as agreement")
    g.add_argument("--ntxent-nodes", type=int, default=16,
                   help="Gauss nodes per dimension of the infinite-batch NT-Xent minimiser t*_NTXent "
                        "(theory.ntxent_population; cost ~ n^5; 0: skip it)")
    g = p.add_argument_group("end-to-end SimCLR (synthetic, digits)")
    g.add_argument("--heads", default=",".join(HEAD_VARIANTS), help=f"subset of {','.join(HEAD_VARIANTS)}")
    g.add_argument("--seeds", type=int, default=3, help="independent replicates (data, map, inits, augmentations) per synthetic run")
    g.add_argument("--digits-seeds", type=int, default=DIGITS_SEEDS, help="independent replicates (split, inits, augmentations) per digits head")
    g.add_argument("--epochs", type=int, default=30, help="epochs of the synthetic runs")
    g.add_argument("--digits-epochs", type=int, default=15, help="epochs of the digits runs")
    g.add_argument("--n-train", type=int, default=1024, help="synthetic training inputs")
    g.add_argument("--n-test", type=int, default=1024, help="synthetic test inputs")
    g.add_argument("--classes", type=int, default=4, help="K classes of the synthetic latent GMM")
    g.add_argument("--latent-dim", type=int, default=8, help="latent dimension q (>= K)")
    g.add_argument("--input-dim", type=int, default=32, help="input dimension of the random nonlinear map")
    g.add_argument("--latent-rho", type=float, default=4.0, help="squared norm of the latent class means")
    g.add_argument("--aug-sigmas", default="0.1,0.5,1.5", help="small,moderate,large latent augmentation std")
    g.add_argument("--rep-dim", type=int, default=32, help="representation (encoder output) dimension d_enc")
    g.add_argument("--proj-dim", type=int, default=16, help="embedding (head output) dimension d_proj")
    g.add_argument("--batch-size", type=int, default=128, help="SimCLR batch size N")
    g.add_argument("--tau", type=float, default=0.5, help="NT-Xent temperature in [1e-3, 1e3] (beta = 1/tau in InfoNCE)")
    g.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    g.add_argument("--weight-decay", type=float, default=1e-4, help="weight decay")
    g.add_argument("--sparse-lambda", type=float, default=1e-2, help="SparseHead lambda (L2,1 on columns)")
    g.add_argument("--rank-tol", type=float, default=0.05, help="relative Rank_tau threshold tau * sigma_max")
    g.add_argument("--eval-size", type=int, default=256, help="inputs of the per-epoch metric batch")
    g = p.add_argument_group("downstream evaluation (Song et al. Tables 1-2)")
    g.add_argument("--knn-k", type=int, default=5, help="neighbours of the k-NN classifier on the backbone features")
    g.add_argument("--label-fractions", default="0.01,0.1",
                   help="fractions of the training labels for fine-tuning the backbone + a linear classifier, in (0, 1]")
    g.add_argument("--finetune-epochs", type=int, default=100, help="epochs of each fine-tuning run (0: skip it)")
    return p


def make_config(args) -> dict[str, Any]:
    """Validate the parsed flags and return the run configuration (nothing is written)."""
    from theory._validation import check_int, check_scalar

    apply_quick(  # the --quick sizes, except for flags given explicitly
        args, build_parser(), p=12, sigma2_grid=_first_last, tau_grid=_min_max, xval_seeds=1, xval_steps=60,
        xval_batch=64, downstream_reps=3, seeds=2, digits_seeds=2, epochs=2, digits_epochs=1, n_train=256,
        n_test=128, batch_size=64, eval_size=64, ntxent_nodes=10, finetune_epochs=10,
    )
    parts = _names(args.parts)
    bad = [x for x in parts if x not in PARTS]
    if not parts or bad:
        raise CLIError(f"--parts must be a non-empty subset of {','.join(PARTS)}, got {args.parts!r}")
    heads = _names(args.heads)
    bad = [x for x in heads if x not in HEAD_VARIANTS]
    if not heads or bad:
        raise CLIError(f"unknown head {bad[0] if bad else ''!r}: --heads must be a subset of {','.join(HEAD_VARIANTS)}")
    sig = _floats(args.aug_sigmas)
    if len(sig) != 3 or any(not 0 <= s <= 1e3 for s in sig):
        raise CLIError(f"--aug-sigmas must be three numbers in [0, 1e3] (small,moderate,large), got {args.aug_sigmas!r}")
    s2 = _floats(args.sigma2_grid)
    taus = _floats(args.tau_grid)
    if not s2 or any(not 1e-3 <= v <= 1e3 for v in s2):
        raise CLIError(f"--sigma2-grid must hold numbers in [1e-3, 1e3], got {args.sigma2_grid!r}")
    if not taus or any(not 1e-3 <= v <= 1e3 for v in taus):
        raise CLIError(f"--tau-grid must hold numbers in [1e-3, 1e3], got {args.tau_grid!r}")
    fractions = _floats(args.label_fractions)
    if not fractions or any(not 0 < v <= 1 for v in fractions) or len(set(fractions)) != len(fractions):
        raise CLIError(f"--label-fractions must be distinct numbers in (0, 1], got {args.label_fractions!r}")
    cfg: dict[str, Any] = {
        "parts": parts,
        "quick": bool(args.quick),
        "seed": check_int(args.seed, "--seed", low=0),
        "device": args.device,
        "threads": check_int(args.threads, "--threads", low=1, high=256),
        "p": check_int(args.p, "--p", low=2, high=100_000),
        "rho": check_scalar(args.rho, "--rho", low=0.0, high=1000.0, closed="right"),
        "sigma2_grid": s2,
        "tau_grid": taus,
        "xval_seeds": check_int(args.xval_seeds, "--xval-seeds", low=1, high=1000),
        "xval_steps": check_int(args.xval_steps, "--xval-steps", low=1, high=1_000_000),
        "xval_batch": check_int(args.xval_batch, "--xval-batch", low=2, high=1_000_000),
        "xval_lr": check_scalar(args.xval_lr, "--xval-lr", low=0.0, high=10.0, closed="right"),
        "delta": check_scalar(args.delta, "--delta", low=0.0, closed="neither"),
        "downstream_reps": check_int(args.downstream_reps, "--downstream-reps", low=1, high=10_000),
        "agreement_tol": check_scalar(args.agreement_tol, "--agreement-tol", low=0.0, high=0.5),
        "ntxent_nodes": 0 if args.ntxent_nodes == 0 else check_int(args.ntxent_nodes, "--ntxent-nodes", low=4, high=40),
        "heads": heads,
        "seeds": check_int(args.seeds, "--seeds", low=1, high=1000),
        "digits_seeds": check_int(args.digits_seeds, "--digits-seeds", low=1, high=1000),
        "epochs": check_int(args.epochs, "--epochs", low=1, high=100_000),
        "digits_epochs": check_int(args.digits_epochs, "--digits-epochs", low=1, high=100_000),
        "n_train": check_int(args.n_train, "--n-train", low=4, high=10**7),
        "n_test": check_int(args.n_test, "--n-test", low=4, high=10**7),
        "classes": check_int(args.classes, "--classes", low=2, high=4096),
        "latent_dim": check_int(args.latent_dim, "--latent-dim", low=1, high=65536),
        "input_dim": check_int(args.input_dim, "--input-dim", low=1, high=65536),
        "latent_rho": check_scalar(args.latent_rho, "--latent-rho", low=0.0, high=1e4, closed="right"),
        "aug_sigmas": sig,
        "rep_dim": check_int(args.rep_dim, "--rep-dim", low=2, high=65536),
        "proj_dim": check_int(args.proj_dim, "--proj-dim", low=1, high=65536),
        "batch_size": check_int(args.batch_size, "--batch-size", low=2, high=65536),
        "tau": check_scalar(args.tau, "--tau", low=1e-3, high=1e3),
        "lr": check_scalar(args.lr, "--lr", low=0.0, high=10.0, closed="right"),
        "weight_decay": check_scalar(args.weight_decay, "--weight-decay", low=0.0, high=10.0),
        "sparse_lambda": check_scalar(args.sparse_lambda, "--sparse-lambda", low=0.0, high=1e3),
        "rank_tol": check_scalar(args.rank_tol, "--rank-tol", low=0.0, high=1.0),
        "eval_size": check_int(args.eval_size, "--eval-size", low=4, high=10**6),
        "knn_k": check_int(args.knn_k, "--knn-k", low=1, high=10**6),
        "label_fractions": fractions,
        "finetune_epochs": check_int(args.finetune_epochs, "--finetune-epochs", low=0, high=100_000),
    }
    if cfg["classes"] > cfg["latent_dim"]:
        raise CLIError(f"--classes must be <= --latent-dim (orthogonal class means), got {cfg['classes']} > {cfg['latent_dim']}")
    if cfg["batch_size"] > cfg["n_train"]:
        raise CLIError(f"--batch-size must be <= --n-train, got {cfg['batch_size']} > {cfg['n_train']}")
    if cfg["knn_k"] > min(cfg["n_train"], 256):  # 256: the digits training set at --quick
        raise CLIError(f"--knn-k must be at most min(--n-train, 256), got {cfg['knn_k']}")
    if cfg["eval_size"] > cfg["n_test"]:
        raise CLIError(f"--eval-size must be <= --n-test, got {cfg['eval_size']} > {cfg['n_test']}")
    if "xval" in parts:
        from theory.maxmargin import separability_threshold

        dstar = float(separability_threshold(cfg["rho"]))
        if cfg["delta"] >= dstar:
            raise CLIError(f"--delta must be below the separability threshold delta*(rho={cfg['rho']:g}) = {dstar:.3f}, got {cfg['delta']:g}")
        if int(round(cfg["delta"] * cfg["p"])) < 2:
            raise CLIError("--delta * --p must give at least 2 training samples for the downstream fit")
    resolve_device(cfg["device"])  # a CLIError for an unavailable device, before anything runs
    return cfg


def _tasks(cfg: dict) -> list[tuple]:
    """Every independent unit of work, the slowest first (for load balancing across workers).

    ``("xval",)``, ``("digits", variant, None, replicate, index)`` and
    ``("synthetic", variant, strength, replicate, index)``; ``index`` is the
    run's position within its replicate (it offsets the run seed).
    """
    tasks: list[tuple] = []
    if "xval" in cfg["parts"]:
        tasks.append(("xval",))
    if "digits" in cfg["parts"]:
        tasks += [("digits", v, None, r, i) for r in range(cfg["digits_seeds"]) for i, v in enumerate(cfg["heads"])]
    if "synthetic" in cfg["parts"]:
        runs = synthetic_runs(cfg)
        tasks += [("synthetic", v, s, r, i) for r in range(cfg["seeds"]) for i, (v, s) in enumerate(runs)]
    return tasks


def _run_task(cfg: dict, task: tuple, show_progress: bool = False):
    """One unit: a task of :func:`_tasks` (in a worker or in this process); returns ``(scalars, arrays, seconds)``.

    It runs with ``cfg["threads"]`` torch threads wherever it runs, so its
    result does not depend on the backend.
    """
    import torch

    show = show_progress
    torch.set_num_threads(cfg["threads"])
    device = resolve_device(cfg["device"])
    t0 = time.perf_counter()
    if task[0] == "xval":
        s, a = run_xval(cfg, device, show=show)
    elif task[0] == "digits":
        s, a = digits_task(cfg, task[1], task[3], task[4], device, show)
    else:
        s, a = synthetic_task(cfg, task[1], task[2], task[3], task[4], device, show)
    return s, a, time.perf_counter() - t0


def _stat(values) -> dict[str, Any]:
    """``{"mean", "sd", "all"}`` over seeds (sample sd, ddof = 1; ``None`` for a single seed)."""
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else None, "all": v.tolist()}


def _aggregate(part: str, prefix: str, keys: list[str], per_key: dict[str, list[tuple[dict, dict]]]):
    """Seed statistics of one SimCLR part.

    Arrays: ``<prefix>[<key>]_<name>`` is the mean over seeds (per epoch,
    or per eigenvalue index), ``..._sd`` the sample sd (NaN for one seed),
    ``..._all`` every seed stacked on axis 0.  JSON: ``runs[key][name]`` is
    the mean, ``runs[key]["stats"][name]`` ``{"mean", "sd", "all"}``;
    ``probe_gap[key]`` the paired (same seed) before-minus-after-projector
    probe accuracy ``probe_h_final - probe_z_final``.
    """
    runs: dict[str, dict] = {}
    gaps: dict[str, dict] = {}
    arrays: dict[str, np.ndarray] = {}
    for key in keys:
        results = per_key[key]
        scal = [s for s, _ in results]
        numeric = [k for k, v in scal[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "run_seed"]
        stats = {k: _stat([s[k] for s in scal]) for k in numeric}
        row: dict[str, Any] = {k: stats[k]["mean"] for k in numeric}
        if "columns_total" in row:
            row["columns_total"] = int(scal[0]["columns_total"])
        row["n_seeds"] = len(scal)
        row["run_seeds"] = [int(s["run_seed"]) for s in scal]
        row["stats"] = stats
        runs[key] = row
        d = np.array([s["probe_h_final"] - s["probe_z_final"] for s in scal])
        gaps[key] = {**_stat(d), "n_h_better_by_0.01": int(np.sum(d > 0.01)), "n_seeds": int(d.size)}
        for name in results[0][1]:
            stack = np.stack([a[name] for _, a in results])
            arrays[f"{prefix}[{key}]_{name}"] = stack.mean(axis=0)
            arrays[f"{prefix}[{key}]_{name}_sd"] = stack.std(axis=0, ddof=1) if stack.shape[0] > 1 else np.full(stack.shape[1:], np.nan)
            arrays[f"{prefix}[{key}]_{name}_all"] = stack
    summary = {
        "runs": runs, "run_keys": keys, "probe_gap": gaps, "n_seeds": len(per_key[keys[0]]) if keys else 0,
        "statistics": "runs[key][name] is the mean over seeds; runs[key]['stats'][name] holds mean, sd (ddof=1) and all",
    }
    return summary, arrays


def units(cfg: dict) -> list[Unit]:
    """Every ``(head, seed)`` SimCLR run and the whole ``xval`` part, one unit each (:func:`_tasks`)."""
    return [Unit(_run_task, (cfg, task), {"show_progress": True}) for task in _tasks(cfg)]


def combine(cfg: dict, outputs: list) -> tuple[dict, dict]:
    """Seed statistics of every part; returns ``(scalar results, arrays)``."""
    device = resolve_device(cfg["device"])
    tasks = _tasks(cfg)
    results: dict[str, Any] = {"device": str(device), "n_tasks": len(tasks)}
    arrays: dict[str, np.ndarray] = {}
    timings: dict[str, float] = {}
    per: dict[str, dict[str, list]] = {"synthetic": {}, "digits": {}}
    for task, (s, a, sec) in zip(tasks, outputs):
        timings[task[0]] = timings.get(task[0], 0.0) + sec
        if task[0] == "xval":
            results["xval"] = s
            arrays.update(a)
            continue
        key = f"{task[1]}@{task[2]}" if task[0] == "synthetic" else task[1]
        per[task[0]].setdefault(key, []).append((s, a))
    if "synthetic" in cfg["parts"]:
        keys = [f"{v}@{s}" for v, s in synthetic_runs(cfg)]
        results["synthetic"], a = _aggregate("synthetic", "syn", keys, per["synthetic"])
        arrays.update(a)
    if "digits" in cfg["parts"]:
        results["digits"], a = _aggregate("digits", "dig", list(cfg["heads"]), per["digits"])
        arrays.update(a)
    results["part_time_s"] = timings  # summed over the tasks of each part (CPU-time-like when parallel)
    return results, arrays


def _report(results: dict) -> None:
    """Print the headline numbers (mean ± sd over seeds)."""
    for part in ("synthetic", "digits"):
        if part not in results:
            continue
        r = results[part]
        print(f"  {part}: linear-probe accuracy before (h) / after (z) the projector, mean ± sd over {r['n_seeds']} seed(s)")
        for key in r["run_keys"]:
            st = r["runs"][key]["stats"]
            g = r["probe_gap"][key]
            sd = lambda x: "" if x["sd"] is None else f"±{x['sd']:.3f}"  # noqa: E731
            print(f"    {key:<24} h {st['probe_h_final']['mean']:.3f}{sd(st['probe_h_final'])}  "
                  f"z {st['probe_z_final']['mean']:.3f}{sd(st['probe_z_final'])}  "
                  f"h-z {g['mean']:+.3f}{sd(g)}")


def run(cfg: dict, runner=None) -> tuple[dict, dict]:
    """Run the configured parts (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(cfg, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.projector_e2e", figure_stems=lambda c: [f"{NAME}_{part}" for part in c["parts"]] + (
        [f"{NAME}_encoder"] if "linear" in c["heads"] and {"synthetic", "digits"} & set(c["parts"]) else []) + (
        [f"{NAME}_sparsehead"] if {"synthetic", "digits"} & set(c["parts"]) and any(
            b in c["heads"] and f"{b}+sparse" in c["heads"] for b in ("linear", "mlp")) else []),
    describe=lambda c: f"projector end-to-end runs ({','.join(c['parts'])})",
    report=_report, local=lambda c: resolve_device(c["device"]).type != "cpu",
    user_errors={FloatingPointError: "training diverged"},
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
