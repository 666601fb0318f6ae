"""Figure of ``sims.deep_fusion_table2`` (reads only the saved results).

``deep_fusion_table2.{png,pdf}``: left, the four accuracies of the paper's
protocol (1-NN and linear probe, on the backbone and on the head's output)
for the FFN and transformer heads, one point per seed and the mean; right,
the paired transformer-minus-FFN difference per metric (mean with a 95%
t-interval), against 0 and the paper's reported gain.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]

_LABELS = {"unsup_backbone": "1-NN\nbackbone", "sup_backbone": "probe\nbackbone", "unsup_head": "1-NN\nhead",
           "sup_head": "probe\nhead"}


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw the figure from ``<results_dir>/deep_fusion_table2.{json,npz}``; returns the written paths."""
    from scipy.stats import t as student_t

    meta, a = load_results(results_dir, "deep_fusion_table2")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg = meta["config"]
    heads = meta["results"]["heads"]
    metrics = list(_LABELS)
    S = a[metrics[0]].shape[1]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.0, 4.4), layout="constrained")
    x = np.arange(len(metrics))
    for j, h in enumerate(heads):
        off = (j - 0.5) * 0.25
        for i, m in enumerate(metrics):
            ax.plot(np.full(S, x[i] + off), a[m][j], "o", ms=3, alpha=0.4, color=f"C{j}")
        ax.plot(x + off, [a[m][j].mean() for m in metrics], "_", ms=18, mew=2.5, color=f"C{j}",
                label=f"{h} head: seeds (dots) and mean (bar)")
    ax.set_xticks(x, [_LABELS[m] for m in metrics])
    ax.set_ylabel("test accuracy")
    ax.set_xlabel("metric (features probed)")
    ax.set_title(f"{S} paired seeds, subspace clusters with noise {cfg['noise']:g}")
    crit = float(student_t.ppf(0.975, S - 1)) if S > 1 else np.nan
    for i, m in enumerate(metrics):
        d = a[m][1] - a[m][0]
        se = d.std(ddof=1) / np.sqrt(S) if S > 1 else 0.0
        bx.errorbar(x[i], d.mean(), yerr=crit * se if np.isfinite(crit) else 0.0, fmt="D", ms=6, capsize=4,
                    color="C3", label="transformer $-$ FFN, paired: mean and 95% t-interval" if i == 0 else None)
    bx.axhline(0.0, color="k", lw=1.0, label="no difference")
    bx.axhspan(0.0225, 0.032, color="0.85", label="the paper's 1-NN gain (Table 2: 2.25 to 3.20 points)")
    bx.set_xticks(x, [_LABELS[m] for m in metrics])
    bx.set_ylabel("accuracy difference")
    bx.set_xlabel("metric (features probed)")
    bx.set_title("transformer minus FFN head")
    figure_key(fig, [ax, bx], ncol=2)
    p = meta["results"]["n_params"]
    fig.suptitle(f"Table 2 with room to move: {cfg['epochs']} epochs, parameters FFN {p['mlp']:,} / transformer "
                 f"{p['transformer']:,}")
    return save_figure(fig, out_dir / "deep_fusion_table2")
