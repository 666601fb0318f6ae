"""Figures of ``sims.fusion_theory`` (reads only the saved results).

* ``fusion_theory_sharpness``: three panels, one colour per noise level
  (points: mean +- s.e. over draws): the log sharpness (Definition 2) of the
  attention matrix against the layer; its gain per layer against Theorem 2's
  claimed gain per layer (dashed horizontal lines); the proof's score gap
  with the corrected provable lower bound (triangles, drawn where finite).
* ``fusion_theory_attention``: attention matrices of one draw, samples
  sorted by cluster, one row per noise level, one column per layer.
* ``fusion_theory_integrity``: Algorithm 1 against the certified convex
  bounds (lower as points, the certified interval as a bar), with ``y = x``.
* ``fusion_theory_region``: Theorem 2's claimed log gain over ``(eps, rho)``
  with the contour "gain = 1" and the separability boundary ``Delta = delta``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw the four figures from ``<results_dir>/fusion_theory.{json,npz}``; returns the written paths."""
    meta, a = load_results(results_dir, "fusion_theory")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg = meta["config"]
    eps = a["eps"]
    L = a["log_sharpness"].shape[-1]
    layers = np.arange(L)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    paths: list[Path] = []

    # 1. sharpness against layer, its per-layer gain against Theorem 2's claimed gain, the score gap and its bound
    def mean_se(vals):
        ok = np.isfinite(vals)
        cnt = ok.sum(axis=0)
        mean = np.where(cnt > 0, np.sum(np.where(ok, vals, 0.0), axis=0) / np.maximum(cnt, 1), np.nan)
        dev = np.where(ok, vals - mean, 0.0)
        se = np.where(cnt > 1, np.sqrt(np.sum(dev ** 2, axis=0) / np.maximum(cnt - 1, 1) / np.maximum(cnt, 1)), 0.0)
        return mean, se

    fig, axes = plt.subplots(1, 3, figsize=(10.5, 4.2), layout="constrained")
    gain_layers = layers[1:] - 0.5  # the gain from layer l-1 to l sits between them
    for ei, e in enumerate(eps):
        c = colors[ei % len(colors)]
        off = (ei - (len(eps) - 1) / 2) * 0.06
        m, se = mean_se(a["log_sharpness"][ei])
        axes[0].errorbar(layers + off, m, yerr=se, fmt="o", color=c, label=f"$\\varepsilon={e:g}$")
        m, se = mean_se(np.diff(a["log_sharpness"][ei], axis=1))
        axes[1].errorbar(gain_layers + off, m, yerr=se, fmt="o", color=c)
        axes[1].axhline(np.nanmean(a["claimed_rate"][ei]), color=c, ls="--", lw=1.2)
        m, se = mean_se(a["score_gap"][ei])
        axes[2].errorbar(layers + off, m, yerr=se, fmt="o", color=c)
        b = a["corrected_bound"][ei]
        bmean = np.where(np.all(np.isfinite(b), axis=0), np.mean(np.where(np.isfinite(b), b, 0.0), axis=0), np.nan)
        axes[2].plot(layers + off, bmean, "-", marker="v", ms=5, color=c, lw=1.2)
    axes[0].errorbar([], [], yerr=[], fmt="o", color="0.3", label="measured (mean $\\pm$ s.e. over draws)")
    axes[1].plot([], [], "--", color="0.3", label="Theorem 2's claimed gain per layer")
    axes[2].plot([], [], "-", marker="v", color="0.3",
                 label="corrected lower bound (mean; not drawn where $-\\infty$, i.e. vacuous)")
    axes[0].set_title("Def. 2 sharpness of the attention")
    axes[0].set_ylabel(r"$\log \mathcal{S}(A^\ell)$")
    axes[0].set_xlabel(r"layer $\ell$")
    axes[1].set_title("gain per layer: measured vs claimed")
    axes[1].set_ylabel(r"$\log \mathcal{S}(A^{\ell}) - \log \mathcal{S}(A^{\ell-1})$")
    axes[1].set_xlabel(r"from layer $\ell - 1$ to $\ell$")
    axes[1].set_xticks(gain_layers, [f"{int(l) - 1}$\\to${int(l)}" for l in layers[1:]])
    axes[2].set_title(r"score gap $\log D(e^{S^\ell})$ of the proof")
    axes[2].set_ylabel(r"$\min_{within} S_{ij} - \max_{across} S_{pq}$")
    axes[2].set_xlabel(r"layer $\ell$")
    for ax in axes:
        if ax is not axes[1]:
            ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.axhline(0.0, color="0.6", lw=0.8)
    figure_key(fig, axes, ncol=3)
    fig.suptitle(
        f"n={cfg['n']}, m={cfg['m']}, K={cfg['K']}, r={cfg['r']}, cone {cfg['cone_angle']:.2f} rad, "
        f"scale={cfg['scale']:g}, {cfg['reps']} draws; colour = noise level $\\varepsilon$"
    )
    paths += save_figure(fig, out_dir / "fusion_theory_sharpness")

    # 2. attention matrices
    A = a["attention_examples"]
    fig, axes = plt.subplots(len(eps), L, figsize=(1.9 * L + 1, 1.9 * len(eps) + 0.6), squeeze=False)
    for ei in range(len(eps)):
        for j in range(L):
            ax = axes[ei, j]
            ax.imshow(A[ei, j], cmap="viridis", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if ei == 0:
                ax.set_title(f"layer {j}")
            if j == 0:
                ax.set_ylabel(f"$\\varepsilon={eps[ei]:g}$\nsample (by cluster)")
            if ei == len(eps) - 1:
                ax.set_xlabel("sample (by cluster)")
    fig.suptitle("softmax attention of the Theorem 1 construction, samples sorted by cluster")
    paths += save_figure(fig, out_dir / "fusion_theory_attention")

    # 3. integrity scatter
    g, lo_, up = a["integrity_greedy"], a["integrity_convex_lower"], a["integrity_convex_upper"]
    fig, ax = plt.subplots(figsize=(5.4, 5.4), layout="constrained")
    top = float(max(up.max(), lo_.max(), g.max(), 1e-3)) * 1.05
    ax.plot([0, top], [0, top], "k-", lw=1, label="$y = x$")
    ax.vlines(lo_, lo_, up, color=colors[1], lw=1.0)
    ax.plot(lo_, up, "_", color=colors[1], ms=9, mew=1.5,
            label="certified upper bound (bar: the interval; on $y = x$ when tight)")
    ax.plot(lo_, g, "o", color=colors[0], label="Algorithm 1 (greedy, as written)")
    ax.set_xlabel(r"convex (SOCP) certified lower bound on $\rho$")
    ax.set_ylabel(r"$\rho$ estimate")
    ni, mi, Ki, ri = cfg["integrity_shape"]
    ax.set_title(f"cluster integrity (Def. 1), n={ni}, m={mi}, K={Ki}, r={ri}")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13))  # below the axes: covers no point
    paths += save_figure(fig, out_dir / "fusion_theory_integrity")

    # 4. region of Theorem 2
    ns = a["region_n"]
    fig, axes = plt.subplots(1, len(ns), figsize=(4.6 * len(ns), 4.2), squeeze=False)
    E, R = a["region_eps"], a["region_rho"]
    for k, nn in enumerate(ns):
        ax = axes[0, k]
        Z = np.clip(a["region_log_rate"][k], -30, 30)
        mesh = ax.pcolormesh(R, E, Z, shading="nearest", cmap="RdBu_r", vmin=-30, vmax=30)
        ax.contour(R, E, a["region_log_rate"][k], levels=[0.0], colors="k", linewidths=1.5)
        ax.contour(R, E, a["region_separable"].astype(float), levels=[0.5], colors="w", linewidths=1.5, linestyles="--")
        ax.set_xlabel(r"integrity $\rho$")
        ax.set_ylabel(r"noise $\varepsilon$")
        ax.set_title(f"sequence length n = {int(nn)}")
        ax.grid(False)
    fig.colorbar(mesh, ax=axes[0].tolist(), label=r"claimed $\log$ gain $-\log n + n(\delta^2-\Delta^2) + \delta$")
    fig.suptitle("Theorem 2's claimed log gain per layer; black: claimed gain = 1, white dashed: $\\Delta = \\delta$")
    paths += save_figure(fig, out_dir / "fusion_theory_region")
    return paths
