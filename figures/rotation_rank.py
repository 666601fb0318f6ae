"""Figure of ``sims.rotation_rank`` (reads only the saved results).

``rotation_rank.{png,pdf}``: left, the rank of the covariance of the rotated
copies against the maximum angle (points: mean +- sd over runs; the line
``N - 1`` is the largest rank ``N`` images can have); right, the covariance
spectrum of the first run for each maximum angle (log scale, the
``Rank_tau`` threshold as a dashed line).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw the figure from ``<results_dir>/rotation_rank.{json,npz}``; returns the written paths."""
    meta, a = load_results(results_dir, "rotation_rank")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg = meta["config"]
    angles, ranks, spectra = a["max_angles"], a["ranks"], a["spectra"]
    mean = ranks.mean(axis=0)
    sd = ranks.std(axis=0, ddof=1) if ranks.shape[0] > 1 else np.zeros_like(mean)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.0, 4.2), layout="constrained")
    x = np.arange(angles.size)
    ax.errorbar(x, mean, yerr=sd, fmt="o", ms=4, capsize=3, color="C0",
                label=f"rank of the covariance (mean $\\pm$ sd, {ranks.shape[0]} runs)")
    ax.axhline(cfg["copies"] - 1, color="k", ls="--", lw=1.2, label=f"largest possible rank $N-1={cfg['copies'] - 1}$")
    ax.set_xticks(x, [f"{v:g}" for v in angles])
    ax.set_xlabel(r"maximum angle $a$ (degrees; angles uniform in $[0, a]$)")
    ax.set_ylabel(r"$\mathrm{Rank}_\tau$ of the covariance")
    ax.set_ylim(-0.04 * (cfg["copies"] - 1), 1.1 * (cfg["copies"] - 1))
    ax.set_title(f"{cfg['copies']} rotated copies of a one-hot ${cfg['size']}\\times{cfg['size']}$ image")
    cmap = plt.get_cmap("viridis")
    for j, v in enumerate(angles):
        s = spectra[0, j]
        ok = s > 1e-17  # below float64 rounding of the covariance (trace <= 1) the values are noise
        if v == 0 or not np.any(ok):
            continue
        bx.semilogy(np.flatnonzero(ok) + 1, s[ok], "-", lw=1.2, color=cmap(j / max(angles.size - 1, 1)),
                    label=f"$a={v:g}°$")
    tol_exp = np.log10(cfg["rank_tol"])
    tol_txt = f"10^{{{tol_exp:.0f}}}" if float(tol_exp).is_integer() else f"{cfg['rank_tol']:g}"
    bx.axhline(cfg["rank_tol"], color="0.4", ls=":", lw=1.5, label=rf"$\mathrm{{Rank}}_\tau$ threshold $\tau={tol_txt}$")
    bx.set_ylim(1e-17, 3.0)  # the image has unit norm: the covariance's trace is at most 1
    bx.set_xscale("log")
    bx.set_xlabel("index $j$ of the singular value")
    bx.set_ylabel(r"singular value $\sigma_j$ of the covariance (run 1)")
    bx.set_title("covariance spectrum against the maximum angle\n(values below $10^{-17}$: float64 rounding, not drawn)")
    figure_key(fig, [ax, bx], ncol=4)
    return save_figure(fig, out_dir / "rotation_rank")
