"""Figure of ``sims.ntxent_phase`` (reads only the saved result).

``ntxent_phase.{png,pdf}``: the expansion measure of the minimiser over
``(tau, sigma_aug^2)`` for the first-order loss ``L~``, the exact population
loss ``C`` and the infinite-batch NT-Xent loss, side by side, with ``tau*``
(white dashed) and ``tau_C`` (red); NT-Xent cells whose quadrature error
exceeds 1e-3 are crossed out (the rule converges slowly near rank one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw the figure from ``<results_dir>/ntxent_phase.{json,npz}``; returns the written paths."""
    meta, a = load_results(results_dir, "ntxent_phase")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg = meta["config"]
    s, tau = a["sigma2"], a["tau"]
    panels = [("t_star_first_order", r"first-order $\tilde L$"), ("t_star_exact", "exact population loss $C$"),
              ("t_star_ntxent", "infinite-batch NT-Xent (what SimCLR trains)")]
    fig, axes = plt.subplots(1, 3, figsize=(10.0, 4.2), sharey=True, layout="constrained")
    panels[2] = ("t_star_ntxent", "infinite-batch NT-Xent\n(what SimCLR trains)")
    for ax, (key, title) in zip(axes, panels):
        mesh = ax.pcolormesh(tau, s, a[key], shading="nearest", vmin=0.0, vmax=1.0)
        ax.plot(a["tau_star"], s, "w--", lw=2.0, label=r"$\tau^*$ (Theorem 1)")
        ax.plot(a["tau_c"], s, "r-", lw=1.6, label=r"$\tau_C$ (rank one for $C$ above)")
        if key == "t_star_ntxent":
            bad = a["quadrature_error"] > 1e-3
            if bad.any():
                ii, jj = np.nonzero(bad)
                ax.plot(tau[jj], s[ii], "kx", ms=9, mew=1.5, label="quadrature error > 1e-3 (not reliable)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(tau[0], tau[-1])
        ax.set_ylim(s[0], s[-1])
        ax.set_xlabel(r"temperature $\tau$")
        ax.set_title(title)
        ax.grid(False)
    axes[0].set_ylabel(r"augmentation variance $\sigma_{aug}^2$")
    figure_key(fig, axes, ncol=3, facecolor="0.75", frameon=True)  # grey, so the white line shows
    fig.colorbar(mesh, ax=axes.tolist(), label=r"expansion measure $\tilde t$ of the minimiser")
    fig.suptitle(f"minimisers on the family $M(t)$,  $\\rho = {cfg['rho']:g}$,  $p = {cfg['p']}$")
    return save_figure(fig, out_dir / "ntxent_phase")
