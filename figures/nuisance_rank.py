"""Figure of ``sims.nuisance_rank`` (reads only the saved results).

``nuisance_rank.{png,pdf}``: against the augmentation strength on the
nuisance coordinates, (left) ``Rank_tau`` of the trained projector (points,
mean +- sd over seeds) with the full rank ``d`` and Props. 4.x's ``d - k``
as lines; (middle) the fraction of the projector's squared norm on the
nuisance coordinates (log scale) with the isotropic value ``k / d``; (right)
the projector's singular values (first seed) for each strength, with the
``Rank_tau`` threshold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw the figure from ``<results_dir>/nuisance_rank.{json,npz}``; returns the written paths."""
    meta, a = load_results(results_dir, "nuisance_rank")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg = meta["config"]
    d, k = cfg["d"], cfg["n_nuisance"]
    sig, rank, frac, sv = a["sigmas"], a["rank"], a["nuisance_fraction"], a["singular_values"]
    R = rank.shape[1]
    x = np.arange(sig.size)
    ticks = [f"{v:g}" for v in sig]
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(10.4, 4.2), layout="constrained")
    sd = rank.std(axis=1, ddof=1) if R > 1 else np.zeros(sig.size)
    ax.errorbar(x, rank.mean(axis=1), yerr=sd, fmt="o", ms=5, capsize=3, color="C0",
                label=f"trained projector (mean $\\pm$ sd, {R} seeds)")
    ax.axhline(d, color="k", lw=1.2, label=f"full rank $d={d}$")
    ax.axhline(d - k, color="C3", ls="--", lw=1.2, label=f"nuisance directions in the kernel: $d-k={d - k}$")
    ax.set_xticks(x, ticks)
    ax.set_ylim(d - k - 0.35 * k, d + 0.35 * k)
    ax.set_xlabel(r"augmentation std on the nuisance coordinates $\sigma_{\mathrm{nuis}}$")
    ax.set_ylabel(rf"$\mathrm{{Rank}}_\tau(W)$, $\tau={cfg['rank_tol']:g}\,\sigma_{{\max}}$")
    ax.set_title("rank of the trained linear projector")
    fsd = frac.std(axis=1, ddof=1) if R > 1 else np.zeros(sig.size)
    bx.errorbar(x, frac.mean(axis=1), yerr=fsd, fmt="s", ms=5, capsize=3, color="C2",
                label=r"weight on the nuisance coordinates (mean $\pm$ sd)")
    bx.axhline(k / d, color="k", ls=":", lw=1.2, label=f"isotropic $W$: $k/d={k / d:g}$")
    bx.set_yscale("log")
    bx.set_xticks(x, ticks)
    bx.set_xlabel(r"$\sigma_{\mathrm{nuis}}$")
    bx.set_ylabel(r"$\|W_{:,\mathrm{nuis}}\|_F^2 \,/\, \|W\|_F^2$")
    bx.set_title("weight on the augmentation directions")
    cmap = plt.get_cmap("viridis")
    for j, v in enumerate(sig):
        s = sv[j, 0]
        cx.semilogy(np.arange(1, s.size + 1), s / s[0], "o-", ms=2.5, lw=1.0, color=cmap(j / max(sig.size - 1, 1)),
                    label=rf"$\sigma_{{\mathrm{{nuis}}}}={v:g}$")
    cx.axhline(cfg["rank_tol"], color="0.4", ls="--", lw=1.2, label=rf"threshold $\tau={cfg['rank_tol']:g}$")
    cx.axvline(d - k + 0.5, color="C3", ls=":", lw=1.0, label=f"index $d-k={d - k}$")
    cx.set_xlabel("index $j$ of the singular value")
    cx.set_ylabel(r"$\sigma_j(W) / \sigma_1(W)$ (first seed)")
    cx.set_title("singular values of the projector")
    figure_key(fig, [ax, bx, cx], ncol=4)
    fig.suptitle(f"NT-Xent on 2-GMM features, $d={d}$, $k={k}$ nuisance coordinates, $\\rho={cfg['rho']:g}$, "
                 f"base noise {cfg['base_noise']:g}, {cfg['epochs']} epochs")
    return save_figure(fig, out_dir / "nuisance_rank")
