"""Figure of ``sims.ntxent_phase`` (reads only the saved result).

``ntxent_phase.{png,pdf}``: the expansion measure of the minimiser over
``(tau, sigma_aug^2)`` for the first-order loss ``L~``, the exact population
loss ``C`` and the infinite-batch NT-Xent loss at ``p`` and as ``p -> inf``,
in a 2 x 2 grid, with ``tau*`` (white dashed) and ``tau_C`` (red); NT-Xent
cells whose quadrature error exceeds 1e-3 are crossed out (the finite-``p``
rule converges slowly near rank one); cells where a minimiser is exactly
rank one are marked with a dot.
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
    panels = [("t_star_first_order", r"first-order $\tilde L$", None),
              ("t_star_exact", "exact population loss $C$", None),
              ("t_star_ntxent", f"infinite-batch NT-Xent, $p = {cfg['p']}$", "quadrature_error"),
              ("t_star_ntxent_limit", r"infinite-batch NT-Xent, $p \to \infty$", "quadrature_error_limit")]
    def cell_edges(v):  # outer edges of log-spaced cells, so markers at the border cells are not cut
        f = np.sqrt(v[1] / v[0]) if v.size > 1 else 1.5
        return v[0] / f, v[-1] * f

    fig, axes = plt.subplots(2, 2, figsize=(8.6, 7.6), sharex=True, sharey=True, layout="constrained")
    for ax, (key, title, err_key) in zip(axes.ravel(), panels):
        mesh = ax.pcolormesh(tau, s, a[key], shading="nearest", vmin=0.0, vmax=1.0)
        ax.plot(a["tau_star"], s, "w--", lw=2.0, label=r"$\tau^*$ (Theorem 1)")
        ax.plot(a["tau_c"], s, "r-", lw=1.6, label=r"$\tau_C$ (rank one for $C$ above)")
        ii, jj = np.nonzero(a[key] == 1.0)
        if ii.size:
            ax.plot(tau[jj], s[ii], "o", color="0.15", ms=4, label="minimiser exactly rank one")
        if err_key is not None:
            bad = a[err_key] > 1e-3
            if bad.any():
                ii, jj = np.nonzero(bad)
                ax.plot(tau[jj], s[ii], "kx", ms=9, mew=1.5, label="quadrature error > 1e-3 (not reliable)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*cell_edges(tau))
        ax.set_ylim(*cell_edges(s))
        ax.set_title(title)
        ax.grid(False)
    for ax in axes[1]:
        ax.set_xlabel(r"temperature $\tau$")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"augmentation variance $\sigma_{aug}^2$")
    figure_key(fig, axes, ncol=2, facecolor="0.75", frameon=True)  # grey, so the white line shows
    fig.colorbar(mesh, ax=axes.ravel().tolist(), label=r"expansion measure $\tilde t$ of the minimiser")
    fig.suptitle(f"minimisers on the family $M(t)$,  $\\rho = {cfg['rho']:g}$,  $p = {cfg['p']}$ unless marked")
    return save_figure(fig, out_dir / "ntxent_phase")
