"""Figures of ``sims.phase_diagram`` (reads only the saved results).

* ``phase_diagram.{png,pdf}``: expansion measure of the minimiser of the exact
  loss ``C`` and of ``L~`` over ``(tau, sigma_aug^2)``, one column per loss and
  one row per ``rho``, with the threshold ``tau*`` (Theorem 1) and the exact
  loss's rank-one boundary drawn over both panels.
* ``phase_diagram_fig3.{png,pdf}``: the poster's Figure 3, expansion measure
  against ``tau`` for a few ``sigma_aug^2`` (solid: ``C``; dashed: ``L~``;
  dotted verticals: ``tau*``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures._style import plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]

_TITLES = {"exact": "exact loss $C(W)$", "first_order": r"first-order approximation $\tilde L(W)$"}


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw both figures from ``<results_dir>/phase_diagram.{json,npz}``; returns the written paths."""
    meta, a = load_results(results_dir, "phase_diagram")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg = meta["config"]
    sigma2, tau, rhos = a["sigma2"], a["tau"], a["rho"]
    n_rho = rhos.size
    fig, axes = plt.subplots(n_rho, 2, figsize=(10.5, 4.0 * n_rho), squeeze=False, sharex=True, sharey=True)
    for i, rho in enumerate(rhos):
        for j, loss in enumerate(("exact", "first_order")):
            ax = axes[i, j]
            mesh = ax.pcolormesh(tau, sigma2, a[f"t_star_{loss}"][i], shading="nearest", vmin=0.0, vmax=1.0)
            ax.plot(a["tau_star"][i], sigma2, "w--", lw=2.0, label=r"$\tau^*$ (Theorem 1)")
            bd = a["tau_exact_rank_one"][i]
            ok = np.isfinite(bd)
            ax.plot(bd[ok], sigma2[ok], "r-", lw=1.6, label="exact loss: rank-one boundary")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(tau[0], tau[-1])
            ax.set_ylim(sigma2[0], sigma2[-1])
            ax.set_xlabel(r"temperature $\tau$")
            ax.set_ylabel(r"augmentation variance $\sigma_{aug}^2$")
            ax.set_title(f"{_TITLES[loss]},  $\\rho = {rho:g}$,  $p = {cfg['p']}$")
            ax.grid(False)
            if i == 0 and j == 0:
                ax.legend(loc="lower left", frameon=True, framealpha=0.8)
        fig.colorbar(mesh, ax=axes[i, :].tolist(), label=r"expansion measure $\tilde t(W^*)$ of the minimiser")
    paths = save_figure(fig, out_dir / "phase_diagram")

    fig, axes = plt.subplots(1, n_rho, figsize=(6.0 * n_rho, 4.2), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    from theory.phase import tau_star

    for i, rho in enumerate(rhos):
        ax = axes[0, i]
        for k, s in enumerate(a["curve_sigma2"]):
            c = colors[k % len(colors)]
            ax.plot(a["curve_tau"], a["curve_t_star_exact"][i, k], "-", color=c, label=f"$\\sigma_{{aug}}^2={s:g}$")
            ax.plot(a["curve_tau"], a["curve_t_star_first_order"][i, k], "--", color=c)
            ax.axvline(tau_star(s, rho), color=c, ls=":", lw=1.0)
        ax.axhline(1.0 / cfg["p"], color="0.5", lw=0.8, label=r"identity $W = I$ ($1/p$)")
        ax.plot([], [], "k-", label=r"exact loss $C$")
        ax.plot([], [], "k--", label=r"first-order $\tilde L$")
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(r"temperature $\tau$  (dotted: $\tau^*$)")
        ax.set_ylabel(r"expansion measure $\tilde t(W^*)$")
        ax.set_title(f"expansion measure of the minimiser,  $\\rho = {rho:g}$,  $p = {cfg['p']}$")
        ax.legend(ncol=2, loc="center left")
    paths += save_figure(fig, out_dir / "phase_diagram_fig3")
    return paths
