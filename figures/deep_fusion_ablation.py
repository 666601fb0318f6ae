"""Figure of ``sims.deep_fusion_ablation`` (reads only the saved results).

``deep_fusion_ablation.{png,pdf}``: one column per swept axis (batch size,
temperature, weight decay, depth).  Top row: 1-NN accuracy of the backbone
features (the paper's "unsupervised accuracy") of every head trained (ours:
``mlp``, ``transformer``; the authors': ``deepfusion_ffn``, ``deepfusion``;
points, mean +- sd over seeds); in the depth column (Table 6) the
linear-probe ("supervised") accuracy of the backbone (filled) and of the
head's output (open).  Middle: the paired transformer-minus-FFN difference
of the top row's backbone accuracy for each pair (mean +- s.e.).  Bottom:
each transformer's in-class attention mass minus chance in its first and
last layer (mean +- s.e.).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]

_TITLE = {"batch": "batch size $N$ (Table 3)", "tau": r"temperature $\tau$ (Table 4)",
          "weight_decay": "weight decay (Table 5)", "depth": "head depth $d$ (Table 6)"}


_NAME = {"mlp": "our FFN", "transformer": "our transformer", "deepfusion_ffn": "authors' FFN",
         "deepfusion": "authors' transformer"}
_PAIR = {"transformer": "ours", "deepfusion": "authors'"}
_COLOR = {"mlp": "C0", "transformer": "C1", "deepfusion_ffn": "C2", "deepfusion": "C3"}
_MARK = {"mlp": "o", "transformer": "s", "deepfusion_ffn": "P", "deepfusion": "X"}


def _se(x, axis):
    n = x.shape[axis]
    return x.std(axis=axis, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(np.delete(x.shape, axis))


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw the figure from ``<results_dir>/deep_fusion_ablation.{json,npz}``; returns the written paths."""
    meta, a = load_results(results_dir, "deep_fusion_ablation")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg = meta["config"]
    axes_names = cfg["axes"]
    heads = meta["results"]["heads"]
    fig, grid = plt.subplots(3, len(axes_names), figsize=(min(3.3 * len(axes_names) + 0.5, 10.4), 8.5), squeeze=False,
                             sharex="col", layout="constrained")
    for col, ax_name in enumerate(axes_names):
        vals = a[f"{ax_name}_values"]
        x = np.arange(vals.size)
        ticks = [f"{v:g}" for v in vals]
        sup = ax_name == "depth"  # Table 6 is about the supervised (linear-probe) accuracy
        acc = a[f"{ax_name}_{'sup' if sup else 'unsup'}_backbone"]  # (V, heads, seeds)
        top, mid, bot = grid[0, col], grid[1, col], grid[2, col]
        nh = len(heads)
        off = lambda j: (j - (nh - 1) / 2) * 0.1  # noqa: E731
        for j, h in enumerate(heads):
            sd = acc[:, j].std(axis=1, ddof=1) if acc.shape[2] > 1 else np.zeros(vals.size)
            top.errorbar(x + off(j), acc[:, j].mean(axis=1), yerr=sd, fmt=_MARK[h], ms=5, capsize=3,
                         color=_COLOR[h], label=f"{_NAME[h]} (mean $\\pm$ sd)")
            if sup:
                hd = a["depth_sup_head"][:, j]
                top.errorbar(x + off(j) + 0.45, hd.mean(axis=1), yerr=hd.std(axis=1, ddof=1) if hd.shape[1] > 1
                             else np.zeros(vals.size), fmt=_MARK[h], mfc="none", ms=5, capsize=3, color=_COLOR[h],
                             label=f"{_NAME[h]}, its output (linear probe)")
        pairs = meta["results"].get("pairs", [["mlp", "transformer"]])
        for k, (f, t) in enumerate(pairs):
            diff = acc[:, heads.index(t)] - acc[:, heads.index(f)]
            mid.errorbar(x + (k - (len(pairs) - 1) / 2) * 0.12, diff.mean(axis=1), yerr=_se(diff, 1), fmt="D",
                         ms=5, capsize=3, color=_COLOR[t], mfc="none" if t == "deepfusion" else None,
                         label=f"{_PAIR[t]}: transformer $-$ FFN, paired (mean $\\pm$ s.e.)")
        mid.axhline(0.0, color="k", lw=1.0, label="no difference")
        series = [(t, li) for _, t in pairs for li in (0, 1)]
        for k, (t, li) in enumerate(series):
            mass = a[f"{ax_name}_mass_excess_{t}"]  # (V, seeds, layers), NaN beyond a run's last layer
            m = mass[:, :, 0] if li == 0 else a[f"{ax_name}_mass_excess_last_{t}"]
            bot.errorbar(x + (k - (len(series) - 1) / 2) * 0.1, m.mean(axis=1), yerr=_se(m, 1), fmt="^v"[li], ms=5,
                         capsize=3, color=_COLOR[t], mfc="none" if li == 0 else None,
                         label=f"{_NAME[t]}, {('first', 'last')[li]} layer (mean $\\pm$ s.e.)")
        bot.axhline(0.0, color="k", ls="--", lw=1.0, label="chance (class-blind attention)")
        for ax in (top, mid, bot):
            ax.set_xticks(x, ticks)
        top.set_title(_TITLE[ax_name])
        bot.set_xlabel(_TITLE[ax_name].split(" (")[0])
        top.set_ylabel("linear-probe accuracy (test)" if sup else "1-NN accuracy, backbone (test)")
        mid.set_ylabel("accuracy difference")
        bot.set_ylabel("in-class attention\nmass $-$ chance")
    figure_key(fig, grid, ncol=3)
    base = cfg["base"]
    fig.suptitle(f"Deep Fusion ablations on subspace clusters (noise {cfg['noise']:g}, K={base['K']}), {cfg['epochs']} "
                 f"epochs, {cfg['seeds']} seeds\n{base['layers']}-block transformers (depth column: $d$ blocks); our "
                 "FFN matched in parameters, the authors' FFN as they define it")
    return save_figure(fig, out_dir / "deep_fusion_ablation")
