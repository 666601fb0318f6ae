"""Figures of ``sims.phase_diagram`` (reads only the saved results).

* ``phase_diagram.{png,pdf}``: expansion measure of the minimiser of the exact
  loss ``C`` and of ``L~`` over ``(tau, sigma_aug^2)``, one column per loss and
  one row per ``rho``, with the threshold ``tau*`` (Theorem 1) and the exact
  loss's rank-one boundary drawn over both panels.
* ``phase_diagram_fig3.{png,pdf}``: the poster's Figure 3, expansion measure
  against ``tau`` for a few ``sigma_aug^2`` (solid: ``C``; dashed: ``L~``;
  dotted verticals: ``tau*``).
* ``phase_diagram_p.{png,pdf}``: the exact minimiser against ``tau`` for
  several ``p`` with the low-temperature law, and its ``(tau, p)`` map.
* ``phase_diagram_ratio.{png,pdf}``: ``tau_C / tau*`` over ``(sigma_aug^2, rho)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
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
    fig, axes = plt.subplots(n_rho, 2, figsize=(9.6, 3.9 * n_rho + 0.5), squeeze=False, sharex=True, sharey=True,
                             layout="constrained")
    for i, rho in enumerate(rhos):
        for j, loss in enumerate(("exact", "first_order")):
            ax = axes[i, j]
            mesh = ax.pcolormesh(tau, sigma2, a[f"t_star_{loss}"][i], shading="nearest", vmin=0.0, vmax=1.0)
            ax.plot(a["tau_star"][i], sigma2, "w--", lw=2.0, label=r"$\tau^*$ (Theorem 1)")
            ax.plot(a["tau_c"][i], sigma2, "r-", lw=1.6, label=r"$\tau_C$ (exact loss: rank one above)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(tau[0], tau[-1])
            ax.set_ylim(sigma2[0], sigma2[-1])
            ax.set_xlabel(r"temperature $\tau$")
            ax.set_ylabel(r"augmentation variance $\sigma_{aug}^2$")
            ax.set_title(f"{_TITLES[loss]},  $\\rho = {rho:g}$,  $p = {cfg['p']}$")
            ax.grid(False)
        fig.colorbar(mesh, ax=axes[i, :].tolist(), label=r"expansion measure $\tilde t(W^*)$ of the minimiser")
    # below the panels: covers no data; grey so the white line shows
    figure_key(fig, axes[0, 0], ncol=2, facecolor="0.75", frameon=True)
    paths = save_figure(fig, out_dir / "phase_diagram")

    fig, axes = plt.subplots(1, n_rho, figsize=(min(7.6 * n_rho, 10.0), 4.4), squeeze=False, layout="constrained")
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
        ax.set_title(f"minimiser's expansion measure,  $\\rho = {rho:g}$,  $p = {cfg['p']}$")
    # one key, outside the axes, so it covers no curve
    figure_key(fig, axes[0, 0], ncol=1, loc="outside right upper")
    paths += save_figure(fig, out_dir / "phase_diagram_fig3")
    paths += _plot_p(meta, a, out_dir)
    paths += _plot_ratio(a, out_dir)
    return paths


def _plot_p(meta, a, out_dir: Path) -> list[Path]:
    """t* of the exact loss against tau for several p (with the low-temperature law), and the (tau, p) map."""

    cfg = meta["config"]
    s, rho = cfg["p_sigma2"], float(a["rho"][0])
    tau, ps, T = a["p_tau"], a["p_values"], a["p_t_star_exact"]
    from theory.exact_boundary import tau_c
    from theory.phase import tau_star

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.0, 5.6), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, q in enumerate(a["curve_p"]):
        c = colors[k % len(colors)]
        row = int(np.searchsorted(ps, q))
        ax.plot(tau, T[row], "-", color=c, label=f"exact $C$, $p = {int(q)}$")
        law = 1.0 - a["curve_p_low_temperature_deficit"][k]
        ok = law > 0
        ax.plot(tau[ok], law[ok], ":", color=c, lw=1.4)
    ax.plot([], [], "k:", label="low-$\\tau$ law\n$1 - \\tau(p-1)N((1+s)^2+\\rho)/(2s\\rho(1+s))$")
    ax.axvline(tau_star(s, rho), color="0.3", ls="--", lw=1.0, label=r"$\tau^*$")
    ax.axvline(tau_c(s, rho), color="r", ls="-", lw=1.0, label=r"$\tau_C$ (any $p$)")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(r"temperature $\tau$")
    ax.set_ylabel(r"expansion measure $\tilde t(W^*)$")
    ax.set_title(f"exact minimiser,  $\\sigma_{{aug}}^2 = {s:g}$,  $\\rho = {rho:g}$")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)  # below: covers no curve
    mesh = bx.pcolormesh(tau, ps, T, shading="nearest", vmin=0.0, vmax=1.0)
    bx.axvline(tau_c(s, rho), color="r", lw=1.2, label=r"$\tau_C$")
    bx.axvline(tau_star(s, rho), color="w", ls="--", lw=1.2, label=r"$\tau^*$")
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel(r"temperature $\tau$")
    bx.set_ylabel("dimension $p$")
    bx.set_title(r"re-expansion at low $\tau$ needs $\tau (p - 1)$ small")
    bx.grid(False)
    bx.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, facecolor="0.75", frameon=True)
    fig.colorbar(mesh, ax=bx, label=r"expansion measure $\tilde t(W^*)$ (exact loss)")
    return save_figure(fig, out_dir / "phase_diagram_p")


def _plot_ratio(a, out_dir: Path) -> list[Path]:
    """tau_C / tau* over (sigma_aug^2, rho), log colour scale with contours."""
    from matplotlib.colors import LogNorm

    fig, ax = plt.subplots(figsize=(6.8, 5.0))
    S, R, Z = a["ratio_sigma2"], a["ratio_rho"], a["tau_c_over_tau_star"]
    mesh = ax.pcolormesh(S, R, Z.T, shading="nearest", norm=LogNorm(vmin=1.0, vmax=max(float(Z.max()), 10.0)))
    levels = [lv for lv in (2, 10, 100, 1e3, 1e4, 1e6, 1e8) if Z.min() < lv < Z.max()]
    if levels:  # contours of log10 of the ratio (smooth on the log grid), labelled with the ratio
        cs = ax.contour(S, R, np.log10(Z.T), levels=np.log10(levels), colors="w", linewidths=0.8)
        ax.clabel(cs, fmt=lambda v: f"{10 ** v:g}", fontsize="small", inline=False)  # inline cuts short paths
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"augmentation variance $\sigma_{aug}^2$")
    ax.set_ylabel(r"signal strength $\rho = \|\mu\|^2$")
    ax.set_title(r"exact boundary over Theorem 1's threshold, $\tau_C / \tau^*$")
    ax.grid(False)
    fig.colorbar(mesh, ax=ax, label=r"$\tau_C / \tau^*$ (1 = Theorem 1 exact for $C$)")
    return save_figure(fig, out_dir / "phase_diagram_ratio")
