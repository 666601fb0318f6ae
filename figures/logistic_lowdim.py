"""Figures of ``sims.logistic_lowdim`` (reads only the saved results).

* ``logistic_lowdim_error.{png,pdf}``: test error against ``eta``, one row
  per label scheme (exactly balanced / i.i.d.), one column per
  regularisation regime; points: mean +- sd over replicates for each ``n``;
  lines: the Bayes error ``Phi(-||mu||)`` and, for ``lambda_n = a sqrt(n)``
  with i.i.d. labels, the derived limit of the mean error.
* ``logistic_lowdim_rate.{png,pdf}``: mean excess error against ``n``
  (log-log) for each ``eta``, with the poster's band ``b_n n^{-1/2}`` and the
  measured ``n^{-1}`` as reference slopes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from figures._style import figure_key, plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]

_REG_TITLE = {"const": r"$\lambda_n = a$", "quarter": r"$\lambda_n = a\,n^{1/4}$", "sqrt": r"$\lambda_n = a\sqrt{n}$"}
_LAB_TITLE = {"balanced": "exactly balanced labels", "iid": "i.i.d. labels"}


def _grid(rows: int, cols: int):
    """One row per regularisation regime, one column per label design; key below."""
    return plt.subplots(rows, cols, figsize=(4.5 * cols + 0.5, 3.0 * rows + 1.0), squeeze=False, layout="constrained")


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw both figures from ``<results_dir>/logistic_lowdim.{json,npz}``; returns the written paths."""
    from sims.logistic_lowdim import LABELS, REGIMES

    meta, a = load_results(results_dir, "logistic_lowdim")
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    cfg = meta["config"]
    etas, ns, err, bayes = a["etas"], a["n"], a["err"], float(a["bayes_error"])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(err, axis=3)
        sd = np.nanstd(err, axis=3, ddof=1) if err.shape[3] > 1 else np.zeros_like(mean)
    x = np.log1p(etas)
    fig, axes = _grid(len(REGIMES), len(LABELS))
    for l, lab in enumerate(LABELS):
        for g, reg in enumerate(REGIMES):
            ax = axes[g, l]
            width = 0.025 * (x.max() - x.min() + 1e-9)
            for j, n in enumerate(ns):
                off = (j - (ns.size - 1) / 2) * width
                ax.errorbar(x + off, mean[g, l, j], yerr=sd[g, l, j], fmt="o", ms=3.5, capsize=2,
                            color=colors[j % len(colors)], label=f"$n={n}$")
            ax.axhline(bayes, color="k", lw=1.5, label=r"Bayes $\Phi(-\|\mu\|)$")
            if reg == "sqrt" and lab == "iid":
                ax.plot(np.log1p(a["eta_grid"]), a["limit_mean_err_sqrt_iid"], "k--", lw=1.5,
                        label=r"limit of mean error ($n\to\infty$)")
            ax.set_xlabel(r"$\log(1+\eta)$")
            ax.set_ylabel(r"test error $\mathrm{Err}(\hat\gamma,\hat\beta;\eta)$")
            ax.set_title(f"{_REG_TITLE[reg]}, {_LAB_TITLE[lab]}")
    figure_key(fig, axes, ncol=3)
    fig.suptitle(f"logistic regression, $p={cfg['p']}$, $\\rho={cfg['rho']:g}$, $a={cfg['a']:g}$, "
                 f"{cfg['reps']} reps (mean $\\pm$ sd)")
    paths = save_figure(fig, out_dir / "logistic_lowdim_error")

    fig, axes = _grid(len(REGIMES), len(LABELS))
    for l, lab in enumerate(LABELS):
        for g, reg in enumerate(REGIMES):
            ax = axes[g, l]
            for k, eta in enumerate(etas):
                y = mean[g, l, :, k] - bayes
                ok = y > 0
                ax.plot(ns[ok], y[ok], "o-", ms=3.5, color=colors[k % len(colors)], label=f"$\\eta={eta:g}$")
            ref = np.nanmax(mean[g, l, 0] - bayes)
            if np.isfinite(ref) and ref > 0:
                b = a["lambda"][g] / cfg["a"]
                ax.plot(ns, ref * (b / b[0]) * np.sqrt(ns[0] / ns), "k:", lw=1.2, label=r"band $b_n n^{-1/2}$")
                ax.plot(ns, ref * ns[0] / ns, "k--", lw=1.2, label=r"$n^{-1}$")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("sample size $n$")
            ax.set_ylabel(r"mean excess error $\mathrm{Err} - \Phi(-\|\mu\|)$")
            ax.set_title(f"{_REG_TITLE[reg]}, {_LAB_TITLE[lab]}")
    figure_key(fig, axes, ncol=4)
    fig.suptitle(f"excess error against $n$, $p={cfg['p']}$, $\\rho={cfg['rho']:g}$, $a={cfg['a']:g}$, "
                 f"{cfg['reps']} reps")
    paths += save_figure(fig, out_dir / "logistic_lowdim_rate")
    return paths
