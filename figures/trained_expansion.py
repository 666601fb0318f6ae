"""Figures of ``sims.trained_expansion`` (read only the saved results).

``trained_expansion.{png,pdf}`` (poster Fig. 2), one row per data set:
(left) the cumulative signal score ``score_i`` against ``i`` for every
temperature at augmentation strength 1 (mean over seeds and class pairs,
band: sd over seeds) with the isotropic baseline ``i / p``; (right) the top
direction's share ``score_1`` against ``tau`` for every augmentation
strength (mean, every seed a dot) with ``1 / p``; on the synthetic row the
input model's exact-loss boundary ``tau_C`` of each strength is marked.

``trained_expansion_evidence.{png,pdf}`` ("empirical evidence for
feature-level modeling"), against the epoch of the evidence run (one line
per seed): the fraction of class pairs with linearly separable encoder
features, ``L_perp / min_phi L`` and the projector's relative distance to
the re-optimised one (modulo scale and rotation), both on log scales.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.ticker import NullFormatter

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]

_TITLES = {"digits": "digits, small CNN", "synthetic": "2-GMM inputs, MLP encoder"}


def _sd(x, axis):
    return x.std(axis=axis, ddof=1) if x.shape[axis] > 1 else np.zeros(np.delete(x.shape, axis))


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw both figures from ``<results_dir>/trained_expansion.{json,npz}``; returns the written paths."""
    meta, a = load_results(results_dir, "trained_expansion")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg, res = meta["config"], meta["results"]
    return [*_scores(cfg, res, a, out_dir), *_evidence(cfg, res, a, out_dir)]


def _scores(cfg, res, a, out_dir):
    datasets = cfg["datasets"]
    taus, scales = a["taus"], a["aug_scales"]
    p = cfg["rep_dim"]
    j1 = int(np.flatnonzero(np.isclose(scales, 1.0))[0])
    fig, axes = plt.subplots(len(datasets), 2, figsize=(10.0, 3.6 * len(datasets) + 0.8), layout="constrained",
                             squeeze=False)
    cmap = plt.get_cmap("plasma")
    i = np.arange(1, p + 1)
    for row, d in zip(axes, datasets):
        ax, bx = row
        sc = a[f"{d}_scores"]  # (T, S, R, p)
        for t, tau in enumerate(taus):
            c = cmap(0.85 * t / max(taus.size - 1, 1))
            m, s = sc[t, j1].mean(axis=0), _sd(sc[t, j1], 0)
            ax.plot(i, m, "o-", ms=2.5, lw=1.2, color=c, label=rf"trained, $\tau={tau:g}$")
            ax.fill_between(i, m - s, m + s, color=c, alpha=0.2, lw=0)
        ax.plot(i, i / p, "k--", lw=1.2, label=r"isotropic baseline $i/p$")
        ax.set_xlabel("number $i$ of top singular directions of $W$")
        ax.set_ylabel(r"$\mathrm{score}_i$ (mean over class pairs)")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{_TITLES[d]}: cumulative signal score, strength 1")
        s1 = a[f"{d}_score_1"]  # (T, S, R)
        for j, s in enumerate(scales):
            c = plt.get_cmap("viridis")(0.8 * j / max(scales.size - 1, 1))
            x = taus * (1 + 0.05 * (j - (scales.size - 1) / 2))  # side by side, the strengths do not hide each other
            bx.plot(x, s1[:, j].mean(axis=1), "s-", ms=4, lw=1.0, color=c, label=f"augmentation strength $s={s:g}$ (mean)")
            bx.plot(np.repeat(x, s1.shape[2]), s1[:, j].ravel(), ".", ms=3, color=c, alpha=0.6)
            if d == "synthetic":
                bx.axvline(res["datasets"][d]["tau_c"][j], color=c, ls=":", lw=1.2,
                           label=rf"input model's $\tau_C$, $s={s:g}$")
        lo = min(float(s1.min()), 1.0 / p)
        bx.set_ylim(lo / 2, 1.5)
        bx.axhline(1.0 / p, color="k", ls="--", lw=1.2, label=r"isotropic $1/p$")
        bx.set_xscale("log")
        bx.set_yscale("log")
        bx.yaxis.set_minor_formatter(NullFormatter())  # minor labels of a short log range collide
        bx.xaxis.set_minor_formatter(NullFormatter())
        bx.set_xlabel(r"temperature $\tau$")
        bx.set_ylabel(r"$\mathrm{score}_1$ (top direction's share)")
        bx.set_title(f"{_TITLES[d]}: top direction against $\\tau$")
    figure_key(fig, axes, ncol=4)
    fig.suptitle(f"SimCLR with a linear projector ($p={p}$): signal share of the projector's top singular directions "
                 f"({cfg['seeds']} seeds)")
    return save_figure(fig, out_dir / "trained_expansion")


def _evidence(cfg, res, a, out_dir):
    datasets = cfg["datasets"]
    fig, axes = plt.subplots(1, 3, figsize=(10.4, 4.0), layout="constrained")
    ax, bx, cx = axes
    markers = {"digits": "o", "synthetic": "s"}
    for k, d in enumerate(datasets):
        ep = a[f"{d}_evidence_epochs"]
        c = f"C{k}"
        for r in range(ep.shape[0]):
            lab = _TITLES[d] if r == 0 else None
            ax.plot(ep[r], a[f"{d}_evidence_separable_fraction"][r], marker=markers[d], ms=3, lw=1.0, color=c,
                    alpha=0.8, label=lab)
            bx.semilogy(ep[r], a[f"{d}_evidence_relative_excess"][r], marker=markers[d], ms=3, lw=1.0, color=c,
                        alpha=0.8)
            cx.plot(ep[r], a[f"{d}_evidence_relative_distance"][r], marker=markers[d], ms=3, lw=1.0, color=c,
                    alpha=0.8)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("epoch (0 = initialisation)")
    ax.set_ylabel("fraction of class pairs linearly separable")
    ax.set_title("encoder features (training inputs)")
    bx.axhline(0.1, color="0.4", ls="--", lw=1.0, label=r"$0.1$ (the report's $\ll 1$)")
    bx.set_xlabel("epoch")
    bx.set_ylabel(r"$L^\perp / \min_\varphi L$")
    bx.set_title("loss decomposition")
    cx.axhline(0.1, color="0.4", ls="--", lw=1.0)
    cx.set_ylim(0, 1.05)
    cx.set_xlabel("epoch")
    cx.set_ylabel(r"$\min_{c,Q}\|cQ\tilde\varphi-\varphi\|_F/\|\varphi\|_F$")
    cx.set_title("projector vs re-optimised projector")
    figure_key(fig, axes, ncol=3)
    fig.suptitle(f"Feature-level evidence along training ($\\tau={cfg['evidence_tau']:g}$, strength 1, one line per "
                 f"seed, {cfg.get('evidence_seeds', cfg['seeds'])} seeds, {cfg['eval_size']} view pairs)")
    return save_figure(fig, out_dir / "trained_expansion_evidence")
