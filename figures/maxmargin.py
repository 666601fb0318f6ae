"""Figures of ``sims.maxmargin`` (reads only the saved results).

* ``maxmargin_error.{png,pdf}``: test error against ``eta``, one panel per
  ``(rho, delta)``: the asymptotic ``Err*(eta)`` (line), the exact SVM
  error at each ``p`` (points, mean +- sd over replicates), the Bayes error
  and the ``eta -> inf`` limit.
* ``maxmargin_margin.{png,pdf}``: the margin ``kappa`` likewise.
* ``maxmargin_separability.{png,pdf}``: fraction of separable samples
  against ``delta / delta*`` for each ``p``, with ``delta*`` marked.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]


def _stats(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(x, axis=1, ddof=1) if x.shape[1] > 1 else np.zeros(x.shape[::2])
        return np.nanmean(x, axis=1), sd


def _panels(a, key_sim, key_theory, ylabel, title, extra=None):
    n = a["rho"].size
    fig, axes = plt.subplots(1, n, figsize=(min(5.2 * n, 10.5), 4.6), squeeze=False, layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    etas = a["etas"]
    x_of = np.log1p  # log(1 + eta) axis: shrinkage left of 0, expansion right
    for k in range(n):
        ax = axes[0, k]
        ax.plot(x_of(a["eta_grid"]), a[key_theory][k], "k-", lw=1.8, label="asymptotic (CGMT)")
        mean, sd = _stats(a[key_sim][k])
        width = 0.04 * (x_of(etas).max() - x_of(etas).min() + 1e-9)
        for j, p in enumerate(a["p"]):
            off = (j - (a["p"].size - 1) / 2) * width
            ax.errorbar(x_of(etas) + off, mean[j], yerr=sd[j], fmt="o", ms=4, capsize=2,
                        color=colors[j % len(colors)], label=f"SVM, $p={p}$ (mean $\\pm$ sd)")
        if extra is not None:
            extra(ax, k)
        ax.axvline(0.0, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel(r"$\log(1+\eta)$   (shrinkage $<0<$ expansion)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title}: $\\rho={a['rho'][k]:g}$, $\\delta={a['delta'][k]:g}$")
    figure_key(fig, axes, ncol=3)  # below the panels: covers no point or line
    return fig


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw the three figures from ``<results_dir>/maxmargin.{json,npz}``; returns the written paths."""
    meta, a = load_results(results_dir, "maxmargin")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    reps = meta["config"]["reps"]

    def err_extra(ax, k):
        ax.axhline(a["bayes_err"][k], color="C3", ls="--", lw=1.0, label=r"Bayes $\Phi(-\|\mu\|)$")
        ax.axhline(a["limit_err_eta_inf"][k], color="0.4", ls="-.", lw=1.0, label=r"limit $\eta\to\infty$")

    fig = _panels(a, "sim_err", "theory_err", r"test error $\mathrm{Err}(\hat\beta;\eta)$",
                  f"max-margin error ({reps} reps)", err_extra)
    paths = save_figure(fig, out_dir / "maxmargin_error")
    fig = _panels(a, "sim_margin", "theory_margin", r"margin $\hat\kappa = \min_i y_i\langle z_i,\hat\beta\rangle$",
                  f"max margin ({reps} reps)")
    paths += save_figure(fig, out_dir / "maxmargin_margin")

    n_rho = a["sep_rho"].size
    fig, axes = plt.subplots(1, n_rho, figsize=(5.2 * n_rho, 4.0), squeeze=False)
    for i in range(n_rho):
        ax = axes[0, i]
        for j, p in enumerate(a["sep_p"]):
            frac = a["sep_separable"][i, j].mean(axis=-1)
            ax.plot(a["sep_delta_frac"] * a["sep_delta_star"][i], frac, "o-", ms=4, label=f"$p={p}$")
        ax.axvline(a["sep_delta_star"][i], color="k", ls="--", lw=1.2,
                   label=f"$\\delta^*={a['sep_delta_star'][i]:.3f}$")
        ax.set_xlabel(r"aspect ratio $\delta = n/p$")
        ax.set_ylabel("fraction of separable samples (LP)")
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(f"separability, $\\rho={a['sep_rho'][i]:g}$ ({meta['config']['sep_reps']} reps, any $\\eta$)")
        ax.legend(fontsize=8)
    paths += save_figure(fig, out_dir / "maxmargin_separability")
    return paths
