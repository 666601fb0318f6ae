"""Figures of ``sims.projector_e2e`` (reads only the saved results).

* ``projector_e2e_xval``: learned vs population-minimiser expansion measure,
  its SGD trajectories, and the downstream max-margin error against
  Theorem 2's prediction;
* ``projector_e2e_synthetic`` / ``projector_e2e_digits``: InfoNCE and its
  bound (Cosentino Fig. 3), Rank_tau (Fig. 1), FVU (Fig. 7), nearest-negative
  label agreement (Fig. 6), covariance spectra (Song et al. Figs. 1, 3) and
  linear-probe accuracy before / after the projector and their paired
  difference.  Per-epoch metrics: mean over seeds with a +-sd band;
  InfoNCE: points with sd error bars between its bounds (lines); bars:
  mean +- sd with every seed as a dot;
* ``projector_e2e_encoder`` (Cosentino Figs. 4, 5, 9), for the linear head:
  the encoder outputs' log-singular values at initialisation (dotted),
  half-way (dashed) and the end (solid) with ``Rank_tau`` at the end, and
  the normalised distance between a view and its nearest negative per
  epoch, for the three augmentation strengths (synthetic) and the digits;
* ``projector_e2e_sparsehead`` (Song et al. Tables 1, 2): for each head
  trained with and without SparseHead, the paired with-minus-without
  difference of the linear-probe and 5-NN accuracy of the backbone features
  and (digits) of the accuracy after fine-tuning on 1% / 10% of the labels;
  every replicate as a dot, mean +- s.e. as an error bar.

``python -m figures.projector_e2e [results_dir] [out_dir]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from figures._style import save_figure, use_style

NAME = "projector_e2e"


def _xval_figure(meta: dict, A: dict, out_dir: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    s = meta["results"]["xval"]
    s2, tau = A["xval_sigma2"], A["xval_tau"]
    C = s2.size
    labels = [f"$\\sigma^2$={a:g}\n$\\tau$={b:g}" for a, b in zip(s2, tau)]
    x = np.arange(C)
    fig = plt.figure(figsize=(10.0, 9.6), layout="constrained")
    grid = fig.add_gridspec(2, 2)
    axes = [fig.add_subplot(grid[0, :]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])]
    ax = axes[0]
    ax.plot(x, A["xval_t_exact"], "k_", ms=22, mew=2, label="population minimiser $t^*$ (exact $C$)")
    ax.plot(x, A["xval_t_first_order"], "_", color="0.6", ms=22, mew=2, label="first-order $\\tilde L$ (Thm. 1)")
    if "xval_t_ntxent_population" in A and np.isfinite(A["xval_t_ntxent_population"]).any():
        ax.plot(x + 0.12, A["xval_t_ntxent_population"], "_", color="tab:orange", ms=16, mew=2.5,
                label="infinite-batch NT-Xent minimiser $t^*_{NTXent}$")
    for k, (name, mk, off) in enumerate((("population", "o", -0.12), ("ntxent", "s", 0.12))):
        t = A[f"xval_t_{name}"]
        err = t.std(axis=1, ddof=1) if t.shape[1] > 1 else None
        ax.errorbar(x + off, t.mean(axis=1), yerr=err, fmt=mk, ms=6, capsize=3,
                    label=f"SGD on {'plug-in $C(W)$' if name == 'population' else 'NT-Xent'}")
    for c in range(C):
        if tau[c] >= A["xval_tau_star"][c]:
            ax.axvspan(c - 0.45, c + 0.45, color="tab:green", alpha=0.08, lw=0)
    ax.set_xticks(x, labels)
    ax.set_xlabel("configuration (augmentation variance $\\sigma^2_{aug}$, temperature $\\tau$)")
    ax.set_ylabel("expansion measure $t(W)$")
    ax.set_ylim(-0.03, 1.05)
    ax.set_title(f"learned vs population $t^*$ (green band: $\\tau\\geq\\tau^*$), p={s['p']}, $\\rho$={s['rho']:g}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)

    ax = axes[1]
    steps = A["xval_traj_steps"]
    colors = plt.cm.viridis(np.linspace(0, 0.9, C))
    for c in range(C):
        for name, ls in (("population", "-"), ("ntxent", ":")):
            tr = A[f"xval_traj_{name}"][c]
            ax.plot(steps, tr.mean(axis=0), ls, color=colors[c], lw=1.4)
        ax.axhline(A["xval_t_exact"][c], color=colors[c], lw=0.8, ls="--")
    ax.plot([], [], "k-", label="SGD, plug-in $C(W)$")
    ax.plot([], [], "k:", label="SGD, NT-Xent")
    ax.plot([], [], "k--", lw=0.8, label="population $t^*$")
    for c in range(C):
        ax.plot([], [], "-", color=colors[c], lw=4, label=labels[c].replace("\n", ", "))
    ax.set_xlabel("Adam step")
    ax.set_ylabel("expansion measure $t(W)$")
    ax.set_title("trajectories, mean over SGD seeds\n(colour = configuration)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)

    ax = axes[2]
    ax.plot(A["xval_theory_t"], A["xval_theory_err"], "k-", label="Thm. 2: Err$^*(\\eta(t))$")
    ax.axhline(s["bayes_error"], color="0.5", ls="--", lw=1, label="Bayes error $\\Phi(-\\sqrt{\\rho})$")
    for name, mk in (("population", "o"), ("ntxent", "s")):
        t = A[f"xval_t_{name}"].ravel()
        e = A[f"xval_err_{name}"].reshape(-1, 2)
        ax.errorbar(t, e[:, 0], yerr=e[:, 1], fmt=mk, ms=5, capsize=2, alpha=0.8,
                    label=f"SVM on $W h$, W from {'plug-in $C$' if name == 'population' else 'NT-Xent'}")
    e = A["xval_err_minimiser"]
    ax.errorbar(A["xval_t_exact"], e[:, 0], yerr=e[:, 1], fmt="D", ms=5, mfc="none", capsize=2, label="W = population minimiser")
    ei = A["xval_err_identity"]
    ax.errorbar([1.0 / s["p"]], [ei[0]], yerr=[ei[1]], fmt="*", ms=10, color="k", label="no projector (W = I)")
    ax.set_xscale("logit")
    ticks = [0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("expansion measure $t(W)$ (logit scale)")
    ax.set_ylabel("max-margin test error")
    ax.set_title(f"downstream, n/p = $\\delta$ = {s['delta']:g}\n(mean $\\pm$ s.e. over training sets)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=1)
    fig.suptitle("Cross-validation on GMM features: a linear projector learned by SGD vs the population theory")
    return save_figure(fig, out_dir / f"{NAME}_xval")


def _band(ax, x, mean, sd, color, *, label=None, ls="-", marker="o"):
    """Mean line with a shaded +-sd band (no band for one seed)."""
    ax.plot(x, mean, ls=ls, marker=marker, ms=3, color=color, label=label)
    if sd is not None and np.isfinite(sd).any():
        ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=0.18, lw=0)


def _simclr_figure(meta: dict, A: dict, part: str, prefix: str, out_dir: Path) -> list[Path]:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    res = meta["results"][part]
    keys = res["run_keys"]
    cfg = meta["config"]
    n_seeds = res.get("n_seeds", 1)
    color = {key: f"C{i % 10}" for i, key in enumerate(keys)}
    n_classes = 10 if part == "digits" else cfg["classes"]

    def arr(key, name):
        return A.get(f"{prefix}[{key}]_{name}")

    def sd_of(key, name):
        v = arr(key, f"{name}_sd")
        return v if v is not None and np.isfinite(v).any() else None

    fig, grid = plt.subplots(4, 2, figsize=(10.0, 16.0), layout="constrained")
    axes = grid.T.reshape(2, 4)  # axes[r, c] as in a 2 x 4 layout, drawn as 4 rows of 2
    ax = axes[0, 0]
    for key in keys:
        ep = arr(key, "metric_epochs")
        if ep is None:
            continue
        ax.plot(ep, arr(key, "metric_upper"), "-", color=color[key], lw=1)
        ax.plot(ep, arr(key, "metric_lower"), ":", color=color[key], lw=1)
        sd = sd_of(key, "metric_infonce")
        ax.errorbar(ep, arr(key, "metric_infonce"), yerr=sd, fmt="o", color=color[key], ms=3, capsize=2, lw=0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss on a held-out batch (nats), $\\beta$ = 1/$\\tau$ = {1 / cfg['tau']:g}")
    ax.set_title("InfoNCE (points, mean $\\pm$ sd) between\n"
                 "$\\beta(\\mathcal{L}_{inv}+\\mathcal{L}_{rep})$ (dotted) and $\\mathcal{L}_{upper}$ (solid, Prop. 3.1)")

    panels = (
        (axes[0, 1], "metric_rank_tau",
         f"Rank$_\\tau$(W): singular values $\\geq$ {cfg['rank_tol']:g} $\\sigma_{{max}}$",
         "projector rank, linear head / MLP last layer (Cos. Fig. 1)"),
        (axes[0, 2], "metric_fvu", "FVU of span{$\\delta h_i$} by row space of W (eq. 10)",
         "variance of $\\delta h$ the linear projector misses (Cos. Fig. 7)"),
        (axes[0, 3], "metric_label_agreement", "P(nearest negative of $h^{(2)}_i$ has its label)",
         "nearest-negative label agreement (Cos. Fig. 6)"),
    )
    for ax, name, ylabel, title in panels:
        for key in keys:
            v = arr(key, name)
            if v is not None and np.isfinite(v).any():
                _band(ax, arr(key, "metric_epochs"), v, sd_of(key, name), color[key])
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    d_proj = cfg["proj_dim"]
    axes[0, 1].axhline(d_proj, color="k", ls="--", lw=1)
    axes[0, 1].annotate(f"full rank = $d_{{proj}}$ = {d_proj}", (0.02, d_proj), xycoords=("axes fraction", "data"),
                        xytext=(0, -11), textcoords="offset points")
    axes[0, 1].set_ylim(0, d_proj + 1)
    axes[0, 3].axhline(1.0 / n_classes, color="k", ls="--", lw=1)
    axes[0, 3].annotate(f"chance 1/K = {1 / n_classes:.2g}", (0.02, 1.0 / n_classes), xycoords=("axes fraction", "data"),
                        xytext=(0, 3), textcoords="offset points")

    for which, ax in (("h", axes[1, 0]), ("z", axes[1, 1])):
        for key in keys:
            sp = arr(key, f"spectrum_{which}_all")
            if sp is None:
                sp = arr(key, f"spectrum_{which}")
                if sp is None:
                    continue
                sp = sp[None]
            logs = np.log10(np.maximum(sp / np.maximum(sp[:, :1], 1e-300), 1e-16))
            m = logs.mean(axis=0)  # geometric mean over seeds (the axis is logarithmic)
            sd = logs.std(axis=0, ddof=1) if logs.shape[0] > 1 else None
            k = np.arange(1, m.size + 1)
            ax.plot(k, 10**m, color=color[key], lw=1.2, ls="--" if "sparse" in key else "-")
            if sd is not None:
                ax.fill_between(k, 10 ** (m - sd), 10 ** (m + sd), color=color[key], alpha=0.15, lw=0)
        ax.set_yscale("log")
        ax.set_xlabel("eigenvalue index k (descending)")
        ax.set_ylabel(f"$\\lambda_k / \\lambda_1$, test-set covariance of {which}\n(geometric mean, band $\\times/\\div$ geometric sd)")
        ax.set_title(f"spectrum of {'representations h (before the head)' if which == 'h' else 'embeddings z (after the head)'}"
                     "\nSong Figs. 1, 3; dashed: SparseHead")

    runs = res["runs"]
    ax = axes[1, 2]
    x = np.arange(len(keys))
    bars = (("h_init", "h at init", 0.3), ("z_init", "z at init", 0.3), ("h_final", "h (before the head)", 0.9),
            ("z_final", "z (after the head)", 0.9))
    for j, (off, (tag, lab, alpha)) in enumerate(zip((-0.3, -0.1, 0.1, 0.3), bars)):
        name = f"probe_{tag}"
        stats = [runs[k].get("stats", {}).get(name, {"mean": runs[k][name], "sd": None, "all": [runs[k][name]]}) for k in keys]
        mean = np.array([st["mean"] for st in stats])
        sd = np.array([np.nan if st["sd"] is None else st["sd"] for st in stats])
        c = "0.25" if tag.startswith("h") else "white"
        ax.bar(x + off, mean, width=0.2, color=c, alpha=alpha, label=lab, edgecolor="0.25",
               hatch=None if tag.startswith("h") else "////",
               yerr=None if not np.isfinite(sd).any() else np.nan_to_num(sd), capsize=2, error_kw={"lw": 0.8})
        if "final" in tag:
            for i, st in enumerate(stats):
                ax.plot(np.full(len(st["all"]), x[i] + off), st["all"], ".", color="tab:red", ms=3, alpha=0.8)
    ax.set_xticks(x, keys, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_xlabel("run (head)")
    ax.set_ylabel("linear-probe test accuracy")
    ax.set_ylim(0, 1.32)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_title(f"probe accuracy (bars: mean $\\pm$ sd; dots: the {n_seeds} seeds)")
    ax.legend(loc="upper center", ncol=2)

    ax = axes[1, 3]
    gaps = res.get("probe_gap")
    for i, key in enumerate(keys):
        if gaps is not None:
            g = gaps[key]
            vals, m, sd = np.asarray(g["all"]), g["mean"], g["sd"]
        else:  # results written before seeds were added: one seed
            vals = np.array([runs[key]["probe_h_final"] - runs[key]["probe_z_final"]])
            m, sd = float(vals[0]), None
        ax.plot(np.full(vals.size, i) + 0.18, vals, ".", color=color[key], ms=4, alpha=0.7)
        ax.errorbar([i], [m], yerr=None if sd is None else [sd], fmt="o", color=color[key], ms=5, capsize=3)
    ax.axhline(0.0, color="k", lw=1)
    ax.axhspan(-0.01, 0.01, color="0.5", alpha=0.15, lw=0)
    ax.set_xticks(np.arange(len(keys)), keys, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_xlabel("run (head)")
    ax.set_ylabel("probe accuracy on h $-$ on z (paired by seed)")
    ax.set_title("before-minus-after the head (mean $\\pm$ sd, dots: seeds;\ngrey: $\\pm$0.01)")

    handles = [Line2D([], [], color=color[k], marker="o", ms=4, ls="--" if "sparse" in k else "-") for k in keys]
    fig.legend(handles, keys, loc="outside lower center", ncol=min(len(keys), 4),
               title=f"run (head{'@augmentation' if part == 'synthetic' else ''}); lines: mean over {n_seeds} seed(s), "
                     "bands: $\\pm$ sd")
    fig.suptitle(f"SimCLR end to end, {part} data")
    return save_figure(fig, out_dir / f"{NAME}_{part}")


def _encoder_figure(meta: dict, A: dict, out_dir: Path) -> list[Path]:
    """Cosentino Figs. 4 / 9 (encoder log-singular values over training) and Fig. 5 (nearest-negative distance)."""
    import matplotlib.pyplot as plt

    from figures._style import figure_key

    cfg = meta["config"]
    runs = []  # (label, prefix, key, colour)
    if "synthetic" in meta["results"]:
        for i, strength in enumerate(("small", "moderate", "large")):
            key = f"linear@{strength}"
            if f"syn[{key}]_encoder_sv_all" in A:
                sigma = dict(zip(("small", "moderate", "large"), cfg["aug_sigmas"]))[strength]
                runs.append((f"synthetic, {strength} augmentation ($\\sigma={sigma:g}$)", "syn", key, f"C{i}"))
    if "digits" in meta["results"] and "dig[linear]_encoder_sv_all" in A:
        runs.append(("digits, image augmentation", "dig", "linear", "C3"))
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(10.4, 4.4), layout="constrained")
    d_enc = cfg["rep_dim"]
    for label, prefix, key, c in runs:
        sv = A[f"{prefix}[{key}]_encoder_sv_all"][0]  # first seed: (3, d_enc) at init, half, end
        j = np.arange(1, sv.shape[1] + 1)
        for row, ls in zip(sv, (":", "--", "-")):
            ax.semilogy(j, row / row[0], ls=ls, lw=1.2, color=c)
        ax.plot([], [], color=c, lw=1.2, label=label)
        rank = A[f"{prefix}[{key}]_metric_rank_h_all"]  # (seeds, epochs + 1)
        ep = np.arange(rank.shape[1])
        bx.errorbar(ep, rank.mean(axis=0), yerr=rank.std(axis=0, ddof=1) if rank.shape[0] > 1 else None, fmt="o-",
                    ms=2.5, lw=1.0, capsize=2, color=c)
        dist = A[f"{prefix}[{key}]_metric_nn_distance_all"]
        cx.errorbar(np.arange(dist.shape[1]), dist.mean(axis=0), yerr=dist.std(axis=0, ddof=1) if dist.shape[0] > 1
                    else None, fmt="o-", ms=2.5, lw=1.0, capsize=2, color=c)
    for ls, what in ((":", "initialisation"), ("--", "half-way"), ("-", "end of training")):
        ax.plot([], [], color="0.3", ls=ls, lw=1.2, label=what)
    ax.axhline(cfg["rank_tol"], color="0.5", lw=1.0, ls="-.", label=rf"$\mathrm{{Rank}}_\tau$ threshold {cfg['rank_tol']:g}")
    ax.set_xlabel("index $j$ of the singular value")
    ax.set_ylabel(r"$\sigma_j(H) / \sigma_1(H)$, first seed")
    ax.set_title("encoder outputs $H = [h_1, \\dots, h_n]$")
    bx.axhline(d_enc, color="k", lw=1.0, ls="--", label=f"full rank $d_{{enc}}={d_enc}$")
    bx.set_xlabel("epoch")
    bx.set_ylabel(r"$\mathrm{Rank}_\tau(H)$ (mean $\pm$ sd over seeds)")
    bx.set_title("rank of the encoder outputs")
    cx.set_xlabel("epoch")
    cx.set_ylabel(r"mean $\|h_i/|h_i| - h^*_i/|h^*_i|\|$")
    cx.set_title("distance to the nearest negative $h^*_i$")
    figure_key(fig, [ax, bx, cx], ncol=3)
    fig.suptitle(f"Cosentino Figs. 4, 5, 9 at our scale: linear projector, {cfg['eval_size']} evaluation inputs")
    return save_figure(fig, out_dir / f"{NAME}_encoder")


_SPARSE_METRICS = (("probe_h_final", "linear probe, all labels\n(Table 1)"), ("knn_h_final", "5-NN (Table 1)"),
                   ("finetune_1pct", "fine-tuned on 1% of the labels\n(Table 2)"),
                   ("finetune_10pct", "fine-tuned on 10% of the labels\n(Table 2)"))


def _sparsehead_figure(meta: dict, out_dir: Path) -> list[Path]:
    """Song et al. Tables 1-2: paired with-minus-without-SparseHead differences, per data set and base head."""
    import matplotlib.pyplot as plt

    from figures._style import figure_key

    res = meta["results"]
    metrics = [(m, t) for m, t in _SPARSE_METRICS if any(
        m in res.get(part, {}).get("runs", {}).get(k, {}).get("stats", {}) for part in ("synthetic", "digits")
        for k in res.get(part, {}).get("runs", {}))]
    fig, axes = plt.subplots(1, len(metrics), figsize=(min(2.7 * len(metrics) + 0.6, 10.4), 4.0), squeeze=False,
                             layout="constrained")
    colour = {"synthetic": "C0", "digits": "C3"}
    seen = set()
    for ax, (metric, title) in zip(axes[0], metrics):
        ticks = []
        for part in ("synthetic", "digits"):
            runs = res.get(part, {}).get("runs", {})
            for base in ("linear", "mlp"):
                kb = next((k for k in runs if k in (base, f"{base}@moderate")), None)
                ks = next((k for k in runs if k in (f"{base}+sparse", f"{base}+sparse@moderate")), None)
                if kb is None or ks is None or metric not in runs[kb]["stats"] or metric not in runs[ks]["stats"]:
                    continue
                d = 100 * (np.asarray(runs[ks]["stats"][metric]["all"]) - np.asarray(runs[kb]["stats"][metric]["all"]))
                x = len(ticks)
                ticks.append(f"{'syn.' if part == 'synthetic' else part}\n{base}")
                se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else 0.0
                label = f"{part}: mean $\\pm$ s.e. over {d.size} replicates"
                ax.errorbar(x, d.mean(), yerr=se, fmt="D", ms=6, capsize=4, color=colour[part],
                            label=None if label in seen else label)
                seen.add(label)
                ax.plot(x + 0.18 + np.zeros(d.size), d, ".", ms=5, color=colour[part], alpha=0.6,
                        label=None if "replicate" in seen else "one replicate (paired)")
                seen.add("replicate")
        ax.axhline(0.0, color="k", lw=1.0, label=None if "zero" in seen else "no effect")
        seen.add("zero")
        ax.set_xticks(range(len(ticks)), ticks)
        ax.set_xlim(-0.5, len(ticks) - 0.3)
        ax.set_title(title)
        ax.set_ylabel("with $-$ without SparseHead (points)")
        ax.set_xlabel("data set (syn.: synthetic), head")
    figure_key(fig, list(axes[0]), ncol=3)
    fig.suptitle("Song et al. Tables 1-2 at our scale: accuracy of the backbone features, with minus without the "
                 f"L2,1 penalty ($\\lambda$ = {meta['config']['sparse_lambda']:g})")
    return save_figure(fig, out_dir / f"{NAME}_sparsehead")


def plot(results_dir, out_dir=None) -> list[Path]:
    """Draw every figure of the saved ``projector_e2e`` result; returns the written paths."""
    from sims._common import load_results

    results_dir = Path(results_dir)
    out_dir = results_dir if out_dir is None else Path(out_dir)
    meta, A = load_results(results_dir, NAME)
    use_style()
    paths: list[Path] = []
    if "xval" in meta["results"]:
        paths += _xval_figure(meta, A, out_dir)
    for part, prefix in (("synthetic", "syn"), ("digits", "dig")):
        if part in meta["results"]:
            paths += _simclr_figure(meta, A, part, prefix, out_dir)
    if has_encoder_figure(meta["config"]):
        paths += _encoder_figure(meta, A, out_dir)
    if has_sparsehead_figure(meta["config"]):
        paths += _sparsehead_figure(meta, out_dir)
    return paths


def has_encoder_figure(cfg: dict) -> bool:
    """Whether a run of this config draws ``projector_e2e_encoder`` (the linear head on synthetic or digits)."""
    return "linear" in cfg["heads"] and any(p in cfg["parts"] for p in ("synthetic", "digits"))


def has_sparsehead_figure(cfg: dict) -> bool:
    """Whether a run of this config draws ``projector_e2e_sparsehead`` (a head with and without SparseHead)."""
    return (any(b in cfg["heads"] and f"{b}+sparse" in cfg["heads"] for b in ("linear", "mlp"))
            and any(p in cfg["parts"] for p in ("synthetic", "digits")))


if __name__ == "__main__":
    args = sys.argv[1:]
    for p in plot(args[0] if args else f"results/{NAME}", args[1] if len(args) > 1 else None):
        print(p)
