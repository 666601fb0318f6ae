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

import math
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
    progress,
    resolve_device,
)

NAME = "projector_e2e"
PARTS = ("xval", "synthetic", "digits")
HEAD_VARIANTS = ("none", "linear", "mlp", "transformer", "linear+sparse", "mlp+sparse")
DIGITS_SEEDS = 5
from theory.projector_training import TRAINING_LOSSES as XVAL_LOSSES  # noqa: E402

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
    return p


def make_config(args) -> dict[str, Any]:
    """Validate the parsed flags and return the run configuration (nothing is written)."""
    from theory._validation import check_int, check_scalar

    apply_quick(  # the --quick sizes, except for flags given explicitly
        args, build_parser(), p=12, sigma2_grid=_first_last, tau_grid=_min_max, xval_seeds=1, xval_steps=60,
        xval_batch=64, downstream_reps=3, seeds=2, digits_seeds=2, epochs=2, digits_epochs=1, n_train=256,
        n_test=128, batch_size=64, eval_size=64, ntxent_nodes=10,
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
    }
    if cfg["classes"] > cfg["latent_dim"]:
        raise CLIError(f"--classes must be <= --latent-dim (orthogonal class means), got {cfg['classes']} > {cfg['latent_dim']}")
    if cfg["batch_size"] > cfg["n_train"]:
        raise CLIError(f"--batch-size must be <= --n-train, got {cfg['batch_size']} > {cfg['n_train']}")
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


# ---------------------------------------------------------------- xval part


def _downstream_error(W: np.ndarray, mu: np.ndarray, n: int, reps: int, rng: np.random.Generator):
    """Mean and standard error of the exact test error of the max-margin classifier on ``z = W h``.

    ``reps`` training sets of ``n`` clean features ``h = y mu + g``; each fit
    is the exact hard-margin SVM through the origin (:func:`theory.svm.max_margin`)
    and its error ``Phi(-<mu, W^T beta> / ||W^T beta||)`` is exact
    (:func:`theory.svm.classification_error` applied to ``W^T beta`` on ``h``).
    Non-separable draws are skipped (counted in the third output).
    """
    from theory.gmm import sample_gmm
    from theory.svm import classification_error, max_margin

    errs, skipped = [], 0
    for _ in range(reps):
        h, y = sample_gmm(n, mu, rng)
        try:
            fit = max_margin(h @ W.T, y.astype(float))
        except ValueError:
            skipped += 1
            continue
        errs.append(classification_error(W.T @ fit.beta, mu, 0.0))
    errs = np.asarray(errs)
    if errs.size == 0:
        return math.nan, math.nan, skipped
    se = float(errs.std(ddof=1) / math.sqrt(errs.size)) if errs.size > 1 else math.nan
    return float(errs.mean()), se, skipped


def run_xval(cfg: dict, device, show: bool = False) -> tuple[dict, dict]:
    """The cross-validation part: learned vs population-minimiser expansion measure, and downstream error."""
    from theory.maxmargin import asymptotic_error, bayes_error, separability_threshold
    from theory.phase import eta_from_expansion_measure
    from theory.projector_training import train_gmm_projectors
    from theory.phase import expansion_measure, tau_star
    from theory.population_loss import first_order_expansion_measure, minimize_population_loss, population_loss

    p, rho, S = cfg["p"], cfg["rho"], cfg["xval_seeds"]
    mu = np.zeros(p)
    mu[0] = math.sqrt(rho)
    grid = [(s2, t) for s2 in cfg["sigma2_grid"] for t in cfg["tau_grid"]]
    C = len(grid)
    s2 = np.array([g[0] for g in grid])
    taus = np.array([g[1] for g in grid])
    pops = [minimize_population_loss(mu, a, b) for a, b in grid]
    t_exact = np.array([m.expansion_measure for m in pops])
    c_min = np.array([m.loss_value for m in pops])
    t_first = np.asarray(first_order_expansion_measure(s2, taus, rho), dtype=float)
    # the infinite-batch NT-Xent minimiser on the same family (theory.ntxent_population), where its rule applies
    from theory.ntxent_population import minimize_population_ntxent, population_ntxent

    t_ntx = np.full(C, np.nan)
    t_ntx_err = np.full(C, np.nan)
    nodes = cfg.get("ntxent_nodes", 0)
    for c, (a, b) in enumerate(grid):
        if nodes and 1e-3 <= a <= 1e2 and 0.05 <= b <= 1e3 and 1e-3 <= rho <= 1e2:
            t_ntx[c] = minimize_population_ntxent(a, b, rho, p, n=nodes, n_grid=9, n_iter=14)[0]
            t_ntx_err[c] = population_ntxent(t_ntx[c], a, b, rho, p, n=nodes).error
    tstar = np.asarray(tau_star(s2, rho), dtype=float)
    seeds = np.random.SeedSequence([cfg["seed"], 1]).generate_state(len(XVAL_LOSSES) + 1)
    arrays: dict[str, np.ndarray] = {}
    learned: dict[str, np.ndarray] = {}
    record = 25
    for li, loss in enumerate(progress(XVAL_LOSSES, desc="xval SGD", disable=not show, leave=False)):
        fit = train_gmm_projectors(
            mu, np.repeat(s2, S), np.repeat(taus, S), loss=loss, steps=cfg["xval_steps"], batch=cfg["xval_batch"],
            lr=cfg["xval_lr"], seed=int(seeds[li]) >> 1, device=device, record=record,
        )
        W, traj, steps_rec = fit.W, fit.trajectory, fit.record_steps
        t_learn = np.array([expansion_measure(w, mu) for w in W]).reshape(C, S)
        excess = np.array([population_loss(w, mu, a, b) for w, a, b in zip(W, np.repeat(s2, S), np.repeat(taus, S))])
        arrays[f"xval_t_{loss}"] = t_learn
        arrays[f"xval_excess_{loss}"] = excess.reshape(C, S) - c_min[:, None]
        arrays[f"xval_traj_{loss}"] = traj.reshape(C, S, -1)
        arrays["xval_traj_steps"] = steps_rec
        learned[loss] = W.reshape(C, S, p, p)
    # downstream: max-margin on n = delta p clean projected features
    n = int(round(cfg["delta"] * p))
    rng = np.random.default_rng(np.random.SeedSequence([cfg["seed"], 2]))
    reps = cfg["downstream_reps"]
    err = {k: np.full((C, S, 2), np.nan) for k in XVAL_LOSSES}
    err_pop = np.full((C, 2), np.nan)
    pred = {k: np.full((C, S), np.nan) for k in XVAL_LOSSES}
    pred_pop = np.full(C, np.nan)
    for c in progress(range(C), desc="xval downstream", disable=not show, leave=False):
        m, se, _ = _downstream_error(pops[c].W, mu, n, reps, rng)
        err_pop[c] = (m, se)
        pred_pop[c] = float(asymptotic_error(rho, eta_from_expansion_measure(min(max(t_exact[c], 0.0), 1.0), p), cfg["delta"]))
        for k in XVAL_LOSSES:
            for s in range(S):
                m, se, _ = _downstream_error(learned[k][c, s], mu, n, reps, rng)
                err[k][c, s] = (m, se)
                pred[k][c, s] = float(asymptotic_error(rho, eta_from_expansion_measure(min(max(arrays[f"xval_t_{k}"][c, s], 0.0), 1.0), p), cfg["delta"]))
    m_id, se_id, _ = _downstream_error(np.eye(p), mu, n, reps, rng)
    eta_grid = np.concatenate([np.linspace(-0.95, 0, 20), np.geomspace(0.05, 200, 60)])
    t_grid = ((1 + eta_grid) ** 2) / ((1 + eta_grid) ** 2 + p - 1)
    arrays.update(
        xval_sigma2=s2, xval_tau=taus, xval_tau_star=tstar, xval_t_exact=t_exact, xval_t_first_order=t_first,
        xval_t_ntxent_population=t_ntx, xval_ntxent_quadrature_error=t_ntx_err,
        xval_min_loss=c_min, xval_err_population=err["population"], xval_err_ntxent=err["ntxent"],
        xval_err_minimiser=err_pop, xval_pred_population=pred["population"], xval_pred_ntxent=pred["ntxent"],
        xval_pred_minimiser=pred_pop, xval_err_identity=np.array([m_id, se_id]),
        xval_theory_t=t_grid, xval_theory_err=np.asarray(asymptotic_error(rho, eta_grid, cfg["delta"]), dtype=float),
    )
    tol = cfg["agreement_tol"]
    summary: dict[str, Any] = {
        "p": p, "rho": rho, "delta": cfg["delta"], "n_downstream": n,
        "delta_star": float(separability_threshold(rho)), "bayes_error": float(bayes_error(rho)),
        "agreement_criterion": f"|mean_seeds t_learned - t*_exact| <= {tol:g}",
        "identity_error": [m_id, se_id], "identity_prediction": float(asymptotic_error(rho, 0.0, cfg["delta"])),
        "configs": [],
    }
    for c, (a, b) in enumerate(grid):
        row = {
            "sigma2": a, "tau": b, "tau_star": float(tstar[c]), "regime": "expansion" if b >= tstar[c] else "shrinkage",
            "t_star_exact": float(t_exact[c]), "t_star_first_order": float(t_first[c]),
            "t_star_ntxent_population": float(t_ntx[c]),
            "minimiser_error": err_pop[c].tolist(), "minimiser_prediction": float(pred_pop[c]),
        }
        for k in XVAL_LOSSES:
            t = arrays[f"xval_t_{k}"][c]
            row[f"t_{k}"] = t.tolist()
            row[f"t_{k}_mean"] = float(t.mean())
            row[f"abs_diff_{k}"] = float(abs(t.mean() - t_exact[c]))
            row[f"agree_{k}"] = bool(abs(t.mean() - t_exact[c]) <= tol)
            row[f"abs_diff_{k}_vs_ntxent_population"] = float(abs(t.mean() - t_ntx[c]))
            row[f"excess_loss_{k}"] = arrays[f"xval_excess_{k}"][c].tolist()
            row[f"error_{k}"] = err[k][c, :, 0].tolist()
            row[f"prediction_{k}"] = pred[k][c].tolist()
        summary["configs"].append(row)
    for k in XVAL_LOSSES:
        d = np.array([r[f"abs_diff_{k}"] for r in summary["configs"]])
        summary[f"max_abs_diff_{k}"] = float(d.max())
        summary[f"n_agree_{k}"] = int(sum(r[f"agree_{k}"] for r in summary["configs"]))
        dn = np.array([r[f"abs_diff_{k}_vs_ntxent_population"] for r in summary["configs"]])
        summary[f"max_abs_diff_{k}_vs_ntxent_population"] = float(np.nanmax(dn)) if np.isfinite(dn).any() else None
        e, pr = err[k][..., 0].ravel(), pred[k].ravel()
        ok = np.isfinite(e) & np.isfinite(pr)
        summary[f"downstream_mean_abs_diff_{k}"] = float(np.mean(np.abs(e[ok] - pr[ok]))) if ok.any() else None
    summary["n_configs"] = C
    return summary, arrays


# ------------------------------------------------------------ SimCLR parts


def _fixed_random_map(latent_dim: int, input_dim: int, seed: int):
    """A frozen random two-layer tanh network ``R^q -> R^D`` (the data's nonlinear embedding)."""
    import torch
    from torch import nn

    from theory.heads import seeded_init

    with seeded_init(seed):
        hidden = 4 * input_dim
        net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.Tanh(), nn.Linear(hidden, input_dim))
        with torch.no_grad():
            net[0].weight.mul_(2.0)  # a visibly nonlinear map
    for prm in net.parameters():
        prm.requires_grad_(False)
    return net


def _synthetic_data(cfg: dict, seed: int):
    """K-class latent GMM: ``h = mu_y + g`` with orthogonal means of squared norm ``latent_rho``."""
    rng = np.random.default_rng(seed)
    q, K = cfg["latent_dim"], cfg["classes"]
    Q, _ = np.linalg.qr(rng.standard_normal((q, q)))
    means = math.sqrt(cfg["latent_rho"]) * Q[:K]
    n = cfg["n_train"] + cfg["n_test"]
    y = rng.integers(0, K, n)
    h = means[y] + rng.standard_normal((n, q))
    return h[: cfg["n_train"]], y[: cfg["n_train"]], h[cfg["n_train"] :], y[cfg["n_train"] :]


def _head_name(variant: str) -> str:
    return variant.split("+")[0]


def _make_head(variant: str, cfg: dict, seed: int):
    from theory.heads import make_head

    name = _head_name(variant)
    d, k = cfg["rep_dim"], cfg["proj_dim"]
    if name == "linear":
        return make_head("linear", d, k, seed=seed, bias=False)  # Cosentino's projector z = W h
    if name == "mlp":
        return make_head("mlp", d, k, seed=seed, hidden_dim=2 * d, n_layers=2)
    if name == "transformer":
        return make_head("transformer", d, k, seed=seed, width=d, n_layers=1, n_heads=2)
    return make_head("none", d)


def _metric_callback(variant: str, cfg: dict, X_eval, y_eval, augment, seed: int, epochs: int, spectra: dict):
    """Per-epoch InfoNCE-geometry metrics on a fixed pair of views of a fixed evaluation batch.

    For the linear head also the encoder side of Cosentino Figs. 4, 5 and 9:
    ``rank_h`` (``Rank_tau`` of the view-1 encoder outputs ``[h_1, ..., h_n]``,
    eq. 2), ``nn_distance`` (mean over anchors of ``||h_i/|h_i| - h*_i/|h*_i|||``,
    ``h*_i`` the nearest negative of eq. (5) in the projector's output
    space) and, at epochs 0, ``epochs // 2`` and ``epochs``, the singular
    values of ``[h_1, ..., h_n]`` into ``spectra[epoch]``.
    """
    import torch

    from theory.infonce import infonce, nearest_negative, upper_bound
    from theory.projector_geometry import (
        displacement_vectors,
        fraction_variance_unexplained,
        nearest_negative_label_agreement,
        rank_tau,
    )
    from theory.sparsehead import sparsehead_layer

    gen = torch.Generator(device=X_eval.device).manual_seed(seed)
    x1, x2 = augment(X_eval, gen), augment(X_eval, gen)
    beta = 1.0 / cfg["tau"]
    n = X_eval.shape[0]

    def callback(epoch, model, history):
        with torch.no_grad():
            h = model.features(torch.cat([x1, x2]))  # the 2n views as one sequence, as in training
            z = model.head(h)
        h = h.double().cpu().numpy()
        z = z.double().cpu().numpy()
        h1, h2, z1, z2 = h[:n], h[n:], z[:n], z[n:]
        ub = upper_bound(z1, z2, beta)
        out = {
            "infonce": infonce(z1, z2, beta), "upper": ub.upper, "lower": ub.lower,
            "invariance": ub.invariance, "repulsion": ub.repulsion,
            "label_agreement": nearest_negative_label_agreement(z1, z2, y_eval),
        }
        if _head_name(variant) in ("linear", "mlp"):
            Wl = sparsehead_layer(model.head).weight.detach().double().cpu().numpy()
            out["rank_tau"] = rank_tau(Wl, cfg["rank_tol"], relative=True)
        if _head_name(variant) == "linear":
            W = model.head.linear.weight.detach().double().cpu().numpy()
            out["fvu"] = fraction_variance_unexplained(displacement_vectors(h1, h2, W), W)
            star = np.concatenate([h1, h2])[nearest_negative(h1, h2, W)]
            unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
            out["nn_distance"] = float(np.mean(np.linalg.norm(unit(h1) - unit(star), axis=1)))
            out["rank_h"] = rank_tau(h1, cfg["rank_tol"], relative=True)
            if epoch in (0, epochs // 2, epochs):
                spectra[epoch] = np.linalg.svd(h1, compute_uv=False)
        return out

    return callback


def _simclr_run(
    variant: str, data: dict, cfg: dict, *, backbone, augment, epochs: int, seed: int, device, desc: str, show: bool = False
):
    """Train one SimCLR model and return (scalars, arrays) of its metrics."""
    import torch

    from theory.evaluation import embed, linear_probe_accuracy
    from theory.simclr import SimCLR, train_simclr
    from theory.sparsehead import eigenvalue_spectrum, l20_norm, l21_penalty, min_max_distance_ratios, sparsehead_layer

    head = _make_head(variant, cfg, seed + 1)
    model = SimCLR(backbone, head).to(device)
    penalty = None
    if variant.endswith("+sparse"):
        lam = cfg["sparse_lambda"]
        penalty = lambda hd: l21_penalty(hd, lam)  # noqa: E731
    Xtr = torch.as_tensor(data["X_train"], dtype=torch.float32, device=device)
    Xte = torch.as_tensor(data["X_test"], dtype=torch.float32, device=device)
    ne = cfg["eval_size"]
    spectra: dict[int, np.ndarray] = {}
    cb = _metric_callback(variant, cfg, Xte[:ne], data["y_test"][:ne], augment, seed + 2, epochs, spectra)
    probes: dict[str, float] = {}

    def probe(tag):
        bs = cfg["batch_size"]
        for part, key in (("backbone", "h"), ("head", "z")):
            ftr = embed(model, Xtr, part=part, batch_size=bs)
            fte = embed(model, Xte, part=part, batch_size=bs)
            probes[f"probe_{key}_{tag}"] = linear_probe_accuracy(
                ftr, data["y_train"], fte, data["y_test"], fraction=1.0, seed=seed
            )

    probe("init")
    hist = train_simclr(
        model, Xtr, augment, epochs=epochs, batch_size=cfg["batch_size"], tau=cfg["tau"], optimizer="adam",
        lr=cfg["lr"], weight_decay=cfg["weight_decay"], scheduler="cosine", penalty=penalty, callbacks=[cb],
        eval_at_start=True, device=device, seed=seed + 3, progress=show, progress_desc=desc,
    )
    probe("final")
    bs = cfg["batch_size"]
    h_te = embed(model, Xte, part="backbone", batch_size=bs)
    z_te = embed(model, Xte, part="head", batch_size=bs)
    scalars: dict[str, Any] = dict(probes)
    scalars["final_loss"] = hist.loss[-1]
    scalars["train_time_s"] = hist.train_time_s
    scalars["min_max_ratio_h"] = float(np.mean(min_max_distance_ratios(h_te)))
    scalars["min_max_ratio_z"] = float(np.mean(min_max_distance_ratios(z_te)))
    if _head_name(variant) in ("linear", "mlp"):
        Wl = sparsehead_layer(model.head).weight.detach().double().cpu().numpy()
        col = np.linalg.norm(Wl, axis=0)
        scalars["columns_kept"] = l20_norm(Wl, atol=1e-3 * col.max())
        scalars["columns_total"] = int(Wl.shape[1])
    for k in ("infonce", "upper"):
        scalars[f"final_{k}"] = hist.metrics[k][-1]
    arrays = {k: np.asarray(v) for k, v in hist.as_arrays().items()}
    if spectra:  # Cosentino Figs. 4 / 9: encoder singular values at initialisation, half-way and the end
        arrays["encoder_sv"] = np.stack([spectra[e] for e in (0, epochs // 2, epochs)])
        scalars["rank_h_init"] = hist.metrics["rank_h"][0]
        scalars["rank_h_final"] = hist.metrics["rank_h"][-1]
        scalars["nn_distance_final"] = hist.metrics["nn_distance"][-1]
    arrays["spectrum_h"] = eigenvalue_spectrum(h_te)
    arrays["spectrum_z"] = eigenvalue_spectrum(z_te)
    return scalars, arrays


def _synthetic_runs(cfg: dict) -> list[tuple[str, str]]:
    """The ``(head variant, augmentation strength)`` runs of the synthetic part, in order."""
    runs = [(v, "moderate") for v in cfg["heads"]]
    if "linear" in cfg["heads"]:
        runs += [("linear", "small"), ("linear", "large")]
    return runs


def _replicate_seeds(cfg: dict, part_id: int, replicate: int, n: int) -> list[int]:
    """``n`` 31-bit seeds of replicate ``replicate`` of a part (independent across replicates and parts)."""
    ss = np.random.SeedSequence([cfg["seed"], part_id, replicate])
    return [int(s) % (2**31) for s in ss.generate_state(n)]


def _synthetic_task(cfg: dict, variant: str, strength: str, replicate: int, index: int, device, show: bool):
    """One synthetic SimCLR run: replicate ``replicate`` (its own data, map and encoder init) of one head."""
    from torch import nn

    from theory.augmentations import gaussian_noise
    from theory.backbones import make_backbone

    data_seed, map_seed, enc_seed, run_seed = _replicate_seeds(cfg, 3, replicate, 4)
    Xtr, ytr, Xte, yte = _synthetic_data(cfg, data_seed)
    data = {"X_train": Xtr, "y_train": ytr, "X_test": Xte, "y_test": yte}
    fmap = _fixed_random_map(cfg["latent_dim"], cfg["input_dim"], map_seed)
    enc = make_backbone("mlp", (cfg["input_dim"],), cfg["rep_dim"], seed=enc_seed, hidden_dim=64)
    sigma = dict(zip(("small", "moderate", "large"), cfg["aug_sigmas"]))[strength]

    def augment(x, g):
        return gaussian_noise(x, sigma, g)

    seed = (run_seed + 101 * index) % (2**31)
    s, a = _simclr_run(
        variant, data, cfg, backbone=nn.Sequential(fmap, enc), augment=augment, epochs=cfg["epochs"],
        seed=seed, device=device, desc=f"synthetic {variant}@{strength} #{replicate}", show=show,
    )
    s["aug_sigma"] = sigma
    s["run_seed"] = seed
    return s, a


def _digits_task(cfg: dict, variant: str, replicate: int, index: int, device, show: bool):
    """One digits SimCLR run: replicate ``replicate`` (its own split and CNN init) of one head."""
    from theory.augmentations import ImageAugment
    from theory.backbones import make_backbone
    from theory.datasets import load_digits_split

    split_seed, cnn_seed, run_seed = _replicate_seeds(cfg, 4, replicate, 3)
    ds = load_digits_split(seed=split_seed)
    n_tr = ds.X_train.shape[0] if not cfg["quick"] else min(ds.X_train.shape[0], 256)
    n_te = ds.X_test.shape[0] if not cfg["quick"] else min(ds.X_test.shape[0], 128)
    data = {"X_train": ds.X_train[:n_tr], "y_train": ds.y_train[:n_tr], "X_test": ds.X_test[:n_te], "y_test": ds.y_test[:n_te]}
    backbone = make_backbone("cnn", (1, 8, 8), cfg["rep_dim"], seed=cnn_seed)
    seed = (run_seed + 101 * index) % (2**31)
    s, a = _simclr_run(
        variant, data, cfg, backbone=backbone, augment=ImageAugment(), epochs=cfg["digits_epochs"],
        seed=seed, device=device, desc=f"digits {variant} #{replicate}", show=show,
    )
    s["run_seed"] = seed
    return s, a


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
        runs = _synthetic_runs(cfg)
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
        s, a = _digits_task(cfg, task[1], task[3], task[4], device, show)
    else:
        s, a = _synthetic_task(cfg, task[1], task[2], task[3], task[4], device, show)
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
        keys = [f"{v}@{s}" for v, s in _synthetic_runs(cfg)]
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
        [f"{NAME}_encoder"] if "linear" in c["heads"] and {"synthetic", "digits"} & set(c["parts"]) else []),
    describe=lambda c: f"projector end-to-end runs ({','.join(c['parts'])})",
    report=_report, local=lambda c: resolve_device(c["device"]).type != "cpu",
    user_errors={FloatingPointError: "training diverged"},
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
