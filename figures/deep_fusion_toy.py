"""Figures of ``sims.deep_fusion_toy`` (reads only the saved results).

* ``deep_fusion_toy_attention``: attention maps of the first head at up to
  five layers (1, 3, 6, 8, 10 of a 10-layer head, as in the paper's Table 1)
  on a held-out batch sorted by the true class, class boundaries marked.
* ``deep_fusion_toy_depth``: per layer, the in-class attention mass (points:
  mean ± sd over seeds, averaged over heads) against its chance level (the
  line a class-blind attention gives), the log-sharpness of Def. 2 and the
  block-diagonality score.
* ``deep_fusion_toy_comparison``: training curves (NT-Xent loss, 1-NN
  accuracy of the backbone features, last-layer in-class mass) and the
  accuracies of the paper's protocol on backbone features and head outputs
  per head (mean ± sd over seeds).

Usage: ``python -m figures.deep_fusion_toy [results/deep_fusion_toy]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from figures._style import figure_key, save_figure, use_style
from sims._common import load_results

NAME = "deep_fusion_toy"

__all__ = ["plot"]


def _mean_sd(a: np.ndarray, axis=0):
    a = np.asarray(a, dtype=float)
    sd = np.nanstd(a, axis=axis, ddof=1) if a.shape[axis] > 1 else np.zeros(np.delete(a.shape, axis))
    return np.nanmean(a, axis=axis), sd


def _title(cfg: dict) -> str:
    return (
        f"{cfg['dataset']}: {cfg['layers']}-layer, {cfg['n_heads']}-head transformer head (width {cfg['width']}, "
        f"{cfg['norm']}-LN),\nN={cfg['batch_size']}, {cfg['epochs']} epochs, {cfg['optimizer']} lr={cfg['lr']:g}, "
        f"tau={cfg['tau']:g}, {cfg['seeds']} seed(s)"
    )


def _attention_figure(meta, arrays, stem):
    from sims.deep_fusion_toy import grid_layers

    A = arrays["attention_maps"]  # (layers, heads, L, L)
    y = arrays["attention_labels"]
    layers = grid_layers(A.shape[0])
    fig, axes = plt.subplots(1, len(layers), figsize=(1.8 * len(layers) + 1.0, 3.2), squeeze=False,
                             layout="constrained")
    edges = np.flatnonzero(np.diff(y)) + 0.5
    # the mean over the attention heads (still row-stochastic), on one colour scale shared by every panel
    maps = [A[layer - 1].mean(axis=0) for layer in layers]
    vmax = float(np.quantile(np.stack(maps), 0.995))
    n_heads = A.shape[1]
    for ax, layer, M in zip(axes[0], layers, maps):
        im = ax.imshow(M, cmap="viridis", vmin=0.0, vmax=vmax, interpolation="nearest")
        for e in edges:
            ax.axhline(e, color="w", lw=0.4, alpha=0.6)
            ax.axvline(e, color="w", lw=0.4, alpha=0.6)
        ax.set_title(f"layer {layer}" + (f"\nmean of {n_heads} heads" if n_heads > 1 else ""))
        ax.set_xlabel("key (sorted by class)")
        ax.grid(False)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("query (sorted by class)")
    fig.colorbar(im, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02, label="attention weight\n(one scale, all panels)")
    fig.suptitle("Deep Fusion attention maps, held-out batch (seed %d); " % meta["config"]["seed"] + _title(meta["config"]))
    return save_figure(fig, stem)


def _depth_figure(meta, arrays, stem):
    mass = arrays["layer_mass"].mean(axis=2)  # (seeds, layers)
    chance = float(arrays["layer_chance"].mean())
    depth = np.arange(1, mass.shape[1] + 1)
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 4.0), layout="constrained")
    m, s = _mean_sd(mass)
    axes[0].errorbar(depth, m, yerr=s, fmt="o", label="transformer head (mean ± sd over seeds)")
    axes[0].axhline(chance, color="k", ls="--", label=f"chance (class-blind attention) = {chance:.3f}")
    axes[0].set_ylabel("in-class attention mass (self excluded)")
    axes[0].set_ylim(bottom=min(chance, float(np.nanmin(m - s))) - 0.02)
    m, s = _mean_sd(arrays["layer_log_sharpness"].mean(axis=2))
    axes[1].errorbar(depth, m, yerr=s, fmt="o")
    axes[1].axhline(0.0, color="k", ls="--", label="S(A) = 1")
    axes[1].set_ylabel("log sharpness  log S(A) (Def. 2)")
    m, s = _mean_sd(np.nanmean(arrays["layer_block_diag"], axis=2))
    axes[2].errorbar(depth, m, yerr=s, fmt="o")
    axes[2].axhline(0.0, color="k", ls=":", label="block-diagonality 0 (class-blind attention)")
    axes[1].lines[-1].set_linestyle("-.")
    axes[1].lines[-1].set_label("log S(A) = 0")
    axes[2].set_ylabel("block-diagonality (correlation)")
    for ax in axes:
        ax.set_xlabel("layer")
        ax.set_xticks(depth)
    figure_key(fig, axes, ncol=2)
    fig.suptitle("Deep Fusion: class structure of the attention against depth\n" + _title(meta["config"]))
    return save_figure(fig, stem)


def _comparison_figure(meta, arrays, stem):
    heads = meta["config"]["heads"]
    fig, axes = plt.subplots(2, 2, figsize=(9.5, 7.4), layout="constrained")
    axes = axes.ravel()
    colours = {h: f"C{i}" for i, h in enumerate(heads)}
    for h in heads:
        col = colours[h]
        m, s = _mean_sd(arrays[f"{h}_loss"])
        ep = np.arange(1, m.size + 1)
        axes[0].plot(ep, m, color=col, label=f"{h} (lines and points: mean; band and bars: $\\pm$ sd)")
        axes[0].fill_between(ep, m - s, m + s, color=col, alpha=0.2)
        me = arrays[f"{h}_metric_epochs"][0]
        m, s = _mean_sd(arrays[f"{h}_metric_knn_backbone"])
        axes[1].errorbar(me, m, yerr=s, fmt="o-", color=col)
        if f"{h}_metric_mass_last" in arrays:
            m, s = _mean_sd(arrays[f"{h}_metric_mass_last"])
            axes[2].errorbar(me, m, yerr=s, fmt="o-", color=col, label=f"{h}, last layer")
            m, s = _mean_sd(arrays[f"{h}_metric_mass_first"])
            axes[2].errorbar(me, m, yerr=s, fmt="s--", color=col, alpha=0.6, label=f"{h}, first layer")
    if "layer_chance" in arrays:
        axes[2].axhline(float(arrays["layer_chance"].mean()), color="k", ls="--", label="chance (class-blind attention)")
    axes[0].set_ylabel("NT-Xent loss (eq. 1)")
    axes[1].set_ylabel("1-NN accuracy, backbone (test)")
    axes[2].set_ylabel("in-class attention mass")
    for ax in axes[:3]:
        ax.set_xlabel("epoch")
    keys = [("unsup_backbone", "unsup. backbone"), ("sup_backbone", "sup. backbone"),
            ("unsup_head", "unsup. head"), ("sup_head", "sup. head")]
    width = 0.8 / len(heads)
    x = np.arange(len(keys))
    for i, h in enumerate(heads):
        vals = [_mean_sd(arrays[f"{h}_{k}"]) for k, _ in keys]
        n_params = meta["results"]["heads"][h]["n_params"]
        axes[3].errorbar(x + (i - (len(heads) - 1) / 2) * width, [v[0] for v in vals], yerr=[v[1] for v in vals],
                         fmt="o", color=colours[h], label=f"{h} head: {n_params:,} parameters")
    axes[3].set_xticks(x, [lab.replace(" ", "\n") for _, lab in keys])
    axes[3].set_xlabel("features probed (protocol)")
    axes[3].set_ylabel("test accuracy")
    figure_key(fig, axes, ncol=2)
    fig.suptitle("FFN vs transformer projection head (paper's protocol)\n" + _title(meta["config"]))
    return save_figure(fig, stem)


def plot(results_dir: str | Path = Path("results") / NAME, out_dir: str | Path | None = None) -> list[Path]:
    """Draw the figures from ``<results_dir>/deep_fusion_toy.{json,npz}``; returns the written paths."""
    results_dir = Path(results_dir)
    out_dir = results_dir if out_dir is None else Path(out_dir)
    meta, arrays = load_results(results_dir, NAME)
    use_style()
    paths: list[Path] = []
    if "attention_maps" in arrays:
        paths += _attention_figure(meta, arrays, out_dir / "deep_fusion_toy_attention")
        paths += _depth_figure(meta, arrays, out_dir / "deep_fusion_toy_depth")
    paths += _comparison_figure(meta, arrays, out_dir / "deep_fusion_toy_comparison")
    return paths


if __name__ == "__main__":  # pragma: no cover
    for p in plot(*sys.argv[1:2]):
        print(p)
