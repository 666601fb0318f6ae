"""Figures of ``sims.projector_e2e`` (reads only the saved results).

* ``projector_e2e_xval``: learned vs population-minimiser expansion measure,
  its SGD trajectories, and the downstream max-margin error against
  Theorem 2's prediction;
* ``projector_e2e_synthetic`` / ``projector_e2e_digits``: InfoNCE and its
  bound (Cosentino Fig. 3), Rank_tau (Fig. 1), FVU (Fig. 7), nearest-negative
  label agreement (Fig. 6), covariance spectra (Song et al. Figs. 1, 3) and
  linear-probe accuracy before / after the projector.

``python -m figures.projector_e2e [results_dir] [out_dir]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from figures._style import save_figure, use_style

NAME = "projector_e2e"


def _xval_figure(meta: dict, A: dict, out_dir: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    s = meta["results"]["xval"]
    s2, tau = A["xval_sigma2"], A["xval_tau"]
    C = s2.size
    labels = [f"$\\sigma^2$={a:g}\n$\\tau$={b:g}" for a, b in zip(s2, tau)]
    x = np.arange(C)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    ax = axes[0]
    ax.plot(x, A["xval_t_exact"], "k_", ms=22, mew=2, label="population minimiser $t^*$ (exact $C$)")
    ax.plot(x, A["xval_t_first_order"], "_", color="0.6", ms=22, mew=2, label="first-order $\\tilde L$ (Thm. 1)")
    for k, (name, mk, off) in enumerate((("population", "o", -0.12), ("ntxent", "s", 0.12))):
        t = A[f"xval_t_{name}"]
        err = t.std(axis=1, ddof=1) if t.shape[1] > 1 else None
        ax.errorbar(x + off, t.mean(axis=1), yerr=err, fmt=mk, ms=6, capsize=3,
                    label=f"SGD on {'plug-in $C(W)$' if name == 'population' else 'NT-Xent'}")
    for c in range(C):
        if tau[c] >= A["xval_tau_star"][c]:
            ax.axvspan(c - 0.45, c + 0.45, color="tab:green", alpha=0.08, lw=0)
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel("expansion measure $t(W)$")
    ax.set_ylim(-0.03, 1.05)
    ax.set_title(f"learned vs population $t^*$ (green: $\\tau\\geq\\tau^*$), p={s['p']}, $\\rho$={s['rho']:g}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")

    ax = axes[1]
    steps = A["xval_traj_steps"]
    colors = plt.cm.viridis(np.linspace(0, 0.9, C))
    for c in range(C):
        for name, ls in (("population", "-"), ("ntxent", ":")):
            tr = A[f"xval_traj_{name}"][c]
            ax.plot(steps, tr.mean(axis=0), ls, color=colors[c], lw=1.4)
        ax.axhline(A["xval_t_exact"][c], color=colors[c], lw=0.8, ls="--")
    ax.plot([], [], "k-", label="SGD, plug-in $C(W)$")
    ax.plot([], [], "k:", label="SGD, NT-Xent")
    ax.plot([], [], "k--", lw=0.8, label="population $t^*$")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("expansion measure $t(W)$")
    ax.set_title("trajectories (colour = configuration)", fontsize=9)
    ax.legend(fontsize=7)

    ax = axes[2]
    ax.plot(A["xval_theory_t"], A["xval_theory_err"], "k-", label="Thm. 2: Err$^*(\\eta(t))$")
    ax.axhline(s["bayes_error"], color="0.5", ls="--", lw=1, label="Bayes error $\\Phi(-\\sqrt{\\rho})$")
    for name, mk in (("population", "o"), ("ntxent", "s")):
        t = A[f"xval_t_{name}"].ravel()
        e = A[f"xval_err_{name}"].reshape(-1, 2)
        ax.errorbar(t, e[:, 0], yerr=e[:, 1], fmt=mk, ms=5, capsize=2, alpha=0.8,
                    label=f"SVM on $W h$, W from {'plug-in $C$' if name == 'population' else 'NT-Xent'}")
    e = A["xval_err_minimiser"]
    ax.errorbar(A["xval_t_exact"], e[:, 0], yerr=e[:, 1], fmt="D", ms=5, mfc="none", capsize=2, label="W = population minimiser")
    ei = A["xval_err_identity"]
    ax.errorbar([1.0 / s["p"]], [ei[0]], yerr=[ei[1]], fmt="*", ms=10, color="k", label="no projector (W = I)")
    ax.set_xscale("logit")
    ax.set_xlabel("expansion measure $t(W)$")
    ax.set_ylabel("max-margin test error")
    ax.set_title(f"downstream, n/p = $\\delta$ = {s['delta']:g} (mean $\\pm$ s.e.)", fontsize=9)
    ax.legend(fontsize=7)
    fig.suptitle("Cross-validation on GMM features: a linear projector learned by SGD vs the population theory", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_dir / f"{NAME}_xval")


def _simclr_figure(meta: dict, A: dict, part: str, prefix: str, out_dir: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    res = meta["results"][part]
    keys = res["run_keys"]
    cfg = meta["config"]

    def arr(key, name):
        return A.get(f"{prefix}[{key}]_{name}")

    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    ax = axes[0, 0]
    for i, key in enumerate(keys):
        ep = arr(key, "metric_epochs")
        if ep is None:
            continue
        color = f"C{i % 10}"
        ax.plot(ep, arr(key, "metric_infonce"), "o", color=color, ms=3, label=f"{key}: InfoNCE")
        ax.plot(ep, arr(key, "metric_upper"), "-", color=color, lw=1)
        ax.plot(ep, arr(key, "metric_lower"), ":", color=color, lw=1)
    ax.plot([], [], "k-", label="$\\mathcal{L}_{upper}$ (Prop. 3.1)")
    ax.plot([], [], "k:", label="$\\beta(\\mathcal{L}_{inv}+\\mathcal{L}_{rep})$")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss ($\\beta$ = 1/$\\tau$ = {1 / cfg['tau']:g})")
    ax.set_title("InfoNCE (points) within its bounds (lines)", fontsize=9)
    ax.legend(fontsize=6, ncol=2)

    ax = axes[0, 1]
    for i, key in enumerate(keys):
        r = arr(key, "metric_rank_tau")
        if r is not None and np.isfinite(r).any():
            ax.plot(arr(key, "metric_epochs"), r, "o-", ms=3, label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"Rank$_\\tau$ of the (last) projector layer, $\\tau$ = {cfg['rank_tol']:g} $\\sigma_{{max}}$")
    ax.set_title("projector rank (Cosentino Fig. 1)", fontsize=9)
    ax.legend(fontsize=7)

    ax = axes[0, 2]
    for i, key in enumerate(keys):
        f = arr(key, "metric_fvu")
        if f is not None and np.isfinite(f).any():
            ax.plot(arr(key, "metric_epochs"), f, "o-", ms=3, label=f"FVU {key}")
    ax2 = ax.twinx()
    for i, key in enumerate(keys):
        la = arr(key, "metric_label_agreement")
        if la is not None:
            ax2.plot(arr(key, "metric_epochs"), la, "x:", ms=3, color=f"C{i % 10}", alpha=0.6)
    ax.set_xlabel("epoch")
    ax.set_ylabel("FVU of span{$\\delta h_i$} (eq. 10), linear head")
    ax2.set_ylabel("nearest-negative label agreement (x, Fig. 6)")
    ax.set_title("Cosentino Figs. 6-7", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")

    for j, (which, ax) in enumerate((("h", axes[1, 0]), ("z", axes[1, 1]))):
        for i, key in enumerate(keys):
            sp = arr(key, f"spectrum_{which}")
            if sp is None:
                continue
            sp = np.maximum(sp / max(sp[0], 1e-300), 1e-16)
            ax.plot(np.arange(1, sp.size + 1), sp, lw=1.2, label=key, ls="--" if "sparse" in key else "-")
        ax.set_yscale("log")
        ax.set_xlabel("index")
        ax.set_ylabel("eigenvalue / largest")
        ax.set_title(f"covariance spectrum of {'representations h' if which == 'h' else 'embeddings z'} (Song Figs. 1, 3)", fontsize=9)
        ax.legend(fontsize=6)

    ax = axes[1, 2]
    x = np.arange(len(keys))
    runs = res["runs"]
    for off, (tag, lab) in zip((-0.3, -0.1, 0.1, 0.3), (("h_init", "h, init"), ("z_init", "z, init"), ("h_final", "h (before projector)"), ("z_final", "z (after projector)"))):
        ax.bar(x + off, [runs[k][f"probe_{tag}"] for k in keys], width=0.2, label=lab, alpha=0.9 if "final" in tag else 0.35)
    ax.set_xticks(x, keys, rotation=30, fontsize=7, ha="right")
    ax.set_ylabel("linear-probe test accuracy")
    ax.set_ylim(0, 1)
    ax.set_title("before vs after the projector", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"SimCLR end to end, {part} data", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_dir / f"{NAME}_{part}")


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw every figure of the saved ``projector_e2e`` result; returns the written paths."""
    from sims._common import load_results

    results_dir = Path(results_dir)
    out_dir = results_dir if out_dir is None else Path(out_dir)
    meta, A = load_results(results_dir, NAME)
    use_style()
    paths: list[Path] = []
    if "xval" in meta["results"]:
        paths += _xval_figure(meta, A, out_dir)
    for part, prefix in (("synthetic", "syn"), ("digits", "dig")):
        if part in meta["results"]:
            paths += _simclr_figure(meta, A, part, prefix, out_dir)
    return paths


if __name__ == "__main__":
    args = sys.argv[1:]
    for p in plot(args[0] if args else f"results/{NAME}", args[1] if len(args) > 1 else None):
        print(p)
