"""Figure of ``sims.phase_train``: learned vs population expansion measure.

Lines: expansion measure of the population minimiser of ``C`` (solid) and of
``L~`` (dashed) against ``tau``; points with error bars: the projector learned
by Adam on the finite-batch loss (mean +- standard error over seeds);
dotted verticals: ``tau*``.
"""

from __future__ import annotations

from pathlib import Path

from figures._style import plt, save_figure, use_style
from sims._common import load_results

__all__ = ["plot"]


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw ``phase_train.{png,pdf}`` from ``<results_dir>/phase_train.{json,npz}``."""
    from theory.phase import tau_star

    meta, a = load_results(results_dir, "phase_train")
    cfg = meta["config"]
    out_dir = Path(results_dir if out_dir is None else out_dir)
    use_style()
    fig, ax = plt.subplots(figsize=(8.4, 4.2), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, s in enumerate(a["sigma2"]):
        c = colors[i % len(colors)]
        ax.plot(a["curve_tau"], a["curve_exact"][i], "-", color=c, label=f"population $C$, $\\sigma_{{aug}}^2={s:g}$")
        ax.plot(a["curve_tau"], a["curve_first_order"][i], "--", color=c, lw=1.0, label=r"population $\tilde L$")
        ax.errorbar(a["tau"], a["learned_mean"][i], yerr=a["learned_se"][i], fmt="o", color=c,
                    label=f"Adam, batch {cfg['batch']} ({cfg['n_seeds']} seeds)")
        ax.axvline(tau_star(s, cfg["rho"]), color=c, ls=":", lw=1.0)
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel(r"temperature $\tau$  (dotted: $\tau^*$)")
    ax.set_ylabel(r"expansion measure $\tilde t(W)$")
    ax.set_title(f"learned vs population projector,  $\\rho={cfg['rho']:g}$,  $p={cfg['p']}$,  {cfg['steps']} steps")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # outside: covers no curve
    return save_figure(fig, out_dir / "phase_train")
