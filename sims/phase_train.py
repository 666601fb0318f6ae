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
import time
from pathlib import Path

import numpy as np

from sims._common import ArgumentParser, CLIError, cli_entry, load_cached, progress, resolve_device, save_results
from theory._validation import check_int, check_scalar

NAME = "phase_train"

__all__ = ["build_parser", "make_config", "train_projector", "run", "main"]


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
    ap.add_argument("--seed", type=int, default=0, help="base seed")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda[:k]")
    ap.add_argument("--out", type=Path, default=Path("results") / NAME, help="output folder")
    ap.add_argument("--quick", action="store_true", help="tiny run for a smoke test (seconds)")
    ap.add_argument("--force", action="store_true", help="recompute even if a cached result exists")
    ap.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    ap.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return ap


def make_config(args) -> dict:
    if args.quick:
        args.steps, args.batch, args.n_seeds, args.p = 60, 128, 2, 4
        args.tau = args.tau[:1] + args.tau[-1:] if len(args.tau) > 1 else args.tau
    sig = [check_scalar(s, "--sigma2", low=0.0, closed="neither") for s in args.sigma2]
    taus = [check_scalar(t, "--tau", low=0.0, closed="neither") for t in args.tau]
    device = resolve_device(args.device)
    return {
        "sigma2": sig,
        "tau": taus,
        "rho": check_scalar(args.rho, "--rho", low=0.0, closed="neither"),
        "p": check_int(args.p, "--p", low=1, high=4096),
        "steps": check_int(args.steps, "--steps", low=1),
        "batch": check_int(args.batch, "--batch", low=2),
        "lr": check_scalar(args.lr, "--lr", low=0.0, closed="neither"),
        "n_seeds": check_int(args.n_seeds, "--n-seeds", low=1),
        "seed": check_int(args.seed, "--seed", low=0),
        "device": str(device.type),
        "quick": bool(args.quick),
    }


def train_projector(mu, sigma2: float, tau: float, *, steps: int = 600, batch: int = 512, lr: float = 0.02,
                    seed: int = 0, device="cpu") -> dict:
    """Adam on :func:`theory.population_loss.empirical_loss` with fresh GMM batches; returns the learned ``W`` and its expansion measure."""
    import torch

    from theory.gmm import augment_torch, sample_gmm_torch
    from theory.phase import expansion_measure
    from theory.population_loss import empirical_loss

    device = torch.device(device)
    gen = torch.Generator(device=device).manual_seed(int(seed))
    mu_t = torch.as_tensor(np.asarray(mu), dtype=torch.float32, device=device)
    p = mu_t.numel()
    W = (torch.randn((p, p), generator=gen, device=device) / math.sqrt(p)).requires_grad_(True)
    opt = torch.optim.Adam([W], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for _ in range(steps):
        h, _ = sample_gmm_torch(batch, mu_t, gen)
        h1, h2 = augment_torch(h, sigma2, gen, n_views=2)
        hn, _ = sample_gmm_torch(batch, mu_t, gen)
        (hn1,) = augment_torch(hn, sigma2, gen, n_views=1)
        opt.zero_grad()
        loss = empirical_loss(W, h1, h2, hn1, tau)
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():  # the loss is scale invariant; keep ||W||_F = 1 for Adam
            W /= W.norm()
    Wn = W.detach().cpu().double().numpy()
    return {"W": Wn, "expansion_measure": expansion_measure(Wn, np.asarray(mu, dtype=float)), "final_loss": float(loss.detach())}


def run(config: dict, *, show_progress: bool = True):
    from theory.population_loss import minimize_population_loss

    p, rho = config["p"], config["rho"]
    mu = np.zeros(p)
    mu[0] = math.sqrt(rho)
    S, T = len(config["sigma2"]), len(config["tau"])
    learned = np.empty((S, T, config["n_seeds"]))
    pop = {loss: np.empty((S, T)) for loss in ("exact", "first_order")}
    runs = [(i, j, k) for i in range(S) for j in range(T) for k in range(config["n_seeds"])]
    for i, j, k in progress(runs, desc="phase train", disable=not show_progress):
        s, tau = config["sigma2"][i], config["tau"][j]
        seed = config["seed"] * 1_000_003 + 1000 * (i * T + j) + k
        res = train_projector(mu, s, tau, steps=config["steps"], batch=config["batch"], lr=config["lr"],
                              seed=seed, device=config["device"])
        learned[i, j, k] = res["expansion_measure"]
    for i, s in enumerate(config["sigma2"]):
        for j, tau in enumerate(config["tau"]):
            for loss in pop:
                pop[loss][i, j] = minimize_population_loss(mu, s, tau, loss=loss).expansion_measure
    # population curves for the figure
    from theory.population_loss import minimize_reduced

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


def _main(argv=None):
    args = build_parser().parse_args(argv)
    config = make_config(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} exists and is not a directory")
    if args.force or load_cached(out, NAME, config) is None:
        t0 = time.perf_counter()
        scalars, arrays = run(config, show_progress=not args.no_progress)
        elapsed = time.perf_counter() - t0
        save_results(out, NAME, config, config["seed"], scalars, arrays, elapsed_s=elapsed)
        print(f"phase train ({config['device']}) in {elapsed:.1f} s -> {out}")
        for i, s in enumerate(arrays["sigma2"]):
            for j, tau in enumerate(arrays["tau"]):
                print(f"  sigma2={s:g} tau={tau:g}: learned t = {arrays['learned_mean'][i, j]:.4f} "
                      f"+- {arrays['learned_se'][i, j]:.4f}; population t* (C) = {arrays['population_exact'][i, j]:.4f}, "
                      f"(L~) = {arrays['population_first_order'][i, j]:.4f}")
    else:
        print(f"cached result for this config in {out} (use --force to recompute)")
    if not args.no_plot:
        from figures.phase_train import plot

        for path in plot(out):
            print(f"  wrote {path}")
    return 0


main = cli_entry(_main, "sims.phase_train")

if __name__ == "__main__":
    raise SystemExit(main())
