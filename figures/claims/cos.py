"""Claims of the reproduction report: Cosentino et al.: Prop. 3.1 and Figs. 1-7, 9, 10."""

from __future__ import annotations

import numpy as np

from figures.claims._base import CONFIRMED, CONTRADICTED, NOT_AT_SCALE, Claim, Finding, _f, _paired_t, _runs

__all__ = ["CLAIMS"]


def _cos_prop31(meta, a):
    viol, total, gaps = 0, 0, []
    for prefix in ("syn", "dig"):
        for k in [k for k in a if k.startswith(f"{prefix}[") and k.endswith("_metric_infonce")]:
            run = k[: -len("_metric_infonce")]
            # every seed when the per-seed arrays are saved, else the seed mean
            suffix = "_all" if f"{k}_all" in a else ""
            inf, up = a[f"{k}{suffix}"], a[f"{run}_metric_upper{suffix}"]
            lo = a.get(f"{run}_metric_lower{suffix}")
            ok = np.isfinite(inf) & np.isfinite(up)
            viol += int(np.sum(inf[ok] > up[ok] + 1e-9))
            if lo is not None:
                viol += int(np.sum(inf[ok] < lo[ok] - 1e-9))
            total += int(ok.sum())
            gaps.append(up[ok] - inf[ok])
    g = np.concatenate(gaps) if gaps else np.array([np.nan])
    lines = [f"(run, seed, epoch) evaluations: {total}; violations of L_lower <= InfoNCE <= L_upper: {viol}",
             f"gap L_upper - InfoNCE: median {_f(np.median(g))}, max {_f(np.max(g))}"]
    return Finding(CONFIRMED if viol == 0 and total > 0 else CONTRADICTED, lines)


def _cos_tracking(meta, a):
    ratios = []
    for prefix in ("syn", "dig"):
        for k in [k for k in a if k.startswith(f"{prefix}[") and k.endswith("_metric_infonce")]:
            run = k[: -len("_metric_infonce")]
            inf, up = a[k], a[f"{run}_metric_upper"]
            ok = np.isfinite(inf) & np.isfinite(up)
            if ok.sum() < 2:
                continue
            inf, gap = inf[ok], (up - a[k])[ok]
            d_inf, d_gap = abs(inf[-1] - inf[0]), abs(gap[-1] - gap[0])
            ratios.append(d_gap / d_inf if d_inf > 0 else np.inf)
    if not ratios:
        return Finding(NOT_AT_SCALE, ["no run recorded InfoNCE and L_upper per epoch"])
    r = np.asarray(ratios)
    beta = 1.0 / meta["config"]["tau"] if "tau" in meta["config"] else np.nan
    lines = [f"runs: {r.size} (beta = {_f(beta)}); |change of gap| / |change of InfoNCE|: median {_f(np.median(r))}, "
             f"min {_f(np.min(r))}, max {_f(np.max(r))}",
             f"runs where the gap changes by more than InfoNCE itself: {int(np.sum(r > 1))} of {r.size}"]
    if np.all(r <= 0.25):
        return Finding(CONFIRMED, lines)
    if np.sum(r > 1) > r.size / 2:
        return Finding(CONTRADICTED, lines)
    return Finding(NOT_AT_SCALE, lines)


def _cos_rank(meta, a):
    ranks = {}
    for s in ("small", "moderate", "large"):
        r = a.get(f"syn[linear@{s}]_metric_rank_tau")
        ranks[s] = float(r[-1]) if r is not None else np.nan
    runs = _runs(meta, "synthetic")
    sig = {s: runs.get(f"linear@{s}", {}).get("aug_sigma") for s in ranks}
    lines = [f"Rank_tau of the linear projector after training (tau = {_f(meta['config']['rank_tol'])} sigma_max, "
             f"{meta['config']['proj_dim']} x {meta['config']['rep_dim']}): "
             + ", ".join(f"{s} augmentation (sigma={_f(sig[s])}): {_f(ranks[s])}" for s in ranks)]
    if not np.all(np.isfinite(list(ranks.values()))):
        return Finding(NOT_AT_SCALE, lines + ["the synthetic part did not run the linear head at three strengths"])
    if ranks["large"] < ranks["small"]:
        return Finding(CONFIRMED, lines)
    return Finding(NOT_AT_SCALE, lines)


def _cos_nuisance_rank(meta, a):
    cfg = meta["config"]
    d, k = cfg["d"], cfg["n_nuisance"]
    sig, rank, frac = a["sigmas"], np.asarray(a["rank"], dtype=float), np.asarray(a["nuisance_fraction"])
    R = rank.shape[1]
    lines = [f"d = {d}, k = {k} nuisance coordinates, {R} seeds, Rank_tau with tau = {_f(cfg['rank_tol'])} "
             "sigma_max: mean rank " + ", ".join(f"{_f(v)} at sigma_nuis = {s:g}" for s, v in zip(sig, rank.mean(1))),
             "weight on the nuisance coordinates ||W[:, nuis]||_F^2 / ||W||_F^2 (isotropic: "
             f"{_f(k / d)}): " + ", ".join(f"{_f(v)} at {s:g}" for s, v in zip(sig, frac.mean(1)))]
    if sig.size < 2:
        return Finding(NOT_AT_SCALE, lines + ["one augmentation strength only: nothing to compare"])
    drop = rank[0] - rank[-1]  # paired over seeds
    se = drop.std(ddof=1) / np.sqrt(R) if R > 1 else 0.0
    lines.append(f"rank drop from sigma_nuis = {sig[0]:g} to {sig[-1]:g}: {_f(drop.mean())} (per seed "
                 f"{', '.join(_f(v) for v in drop)}; at most k = {k} predicted)")
    falls = frac[-1].mean() < frac[0].mean()
    if drop.mean() > 0 and (drop.min() > 0 or drop.mean() > 2 * se) and drop.max() <= k and falls:
        return Finding(CONFIRMED, lines)
    if drop.mean() < 0 and (drop.max() < 0 or drop.mean() < -2 * se):
        return Finding(CONTRADICTED, lines)
    return Finding(NOT_AT_SCALE, lines)


def _cos_rotation_rank(meta, a):
    angles, ranks = a["max_angles"], np.asarray(a["ranks"], dtype=float)
    R = ranks.shape[0]
    mean = ranks.mean(axis=0)
    se = ranks.std(axis=0, ddof=1) / np.sqrt(R) if R > 1 else np.zeros_like(mean)
    cfg = meta["config"]
    lines = [f"{cfg['copies']} copies of a one-hot {cfg['size']}x{cfg['size']} image, {R} runs, Rank_tau with tau = "
             f"{_f(cfg['rank_tol'])} on the covariance of unit-norm images: mean rank "
             + ", ".join(f"{_f(v)} at a = {v_a:g} deg" for v_a, v in zip(angles, mean))]
    pos = np.flatnonzero(angles > 0)
    if R < 2 or pos.size < 2:
        return Finding(NOT_AT_SCALE, lines + ["fewer than 2 runs or 2 positive angles: nothing to compare"])
    steps = np.diff(mean[pos])
    step_se = np.sqrt(se[pos][1:] ** 2 + se[pos][:-1] ** 2)
    gain = mean[pos[-1]] - mean[pos[0]]
    gain_se = np.sqrt(se[pos[-1]] ** 2 + se[pos[0]] ** 2)
    lines.append(f"largest minus smallest positive angle: {_f(gain)} (s.e. {_f(gain_se)}); largest drop between "
                 f"neighbouring angles: {_f(-steps.min() if steps.size else 0.0)}")
    if mean[angles == 0].size and np.any(mean[angles == 0] != 0):
        lines.append("the rank at a = 0 (identical copies) is not 0")
        return Finding(CONTRADICTED, lines)
    if gain > 2 * gain_se and np.all(steps >= -2 * step_se):
        return Finding(CONFIRMED, lines)
    if gain < -2 * gain_se:
        return Finding(CONTRADICTED, lines)
    return Finding(NOT_AT_SCALE, lines)


def _cos_trend(metric: str, want: str):
    def check(meta, a):
        lines, ok, n = [], 0, 0
        for s in ("small", "moderate", "large"):
            v = a.get(f"syn[linear@{s}]_metric_{metric}")
            if v is None or not np.isfinite(v).any():
                continue
            v = v[np.isfinite(v)]
            n += 1
            good = v[-1] < v[0] if want == "down" else v[-1] > v[0]
            ok += int(good)
            lines.append(f"linear head, {s} augmentation: {_f(v[0])} at epoch 0 -> {_f(v[-1])} after training")
        if n == 0:
            return Finding(NOT_AT_SCALE, ["no linear-head run recorded this metric"])
        lines.append(f"runs moving in the stated direction: {ok} of {n}")
        return Finding(CONFIRMED if ok == n else NOT_AT_SCALE, lines)

    return check


def _cos_encoder_rank(meta, a):
    """Figs. 4 / 9: the encoder outputs stay (nearly) full rank at initialisation, half-way and the end."""
    d_enc = meta["config"]["rep_dim"]
    lines, finals = [], {}
    for label, prefix, key in [("synthetic, " + s, "syn", f"linear@{s}") for s in ("small", "moderate", "large")] + [
            ("digits", "dig", "linear")]:
        r = a.get(f"{prefix}[{key}]_metric_rank_h_all")
        if r is None:
            continue
        half = r.shape[1] // 2
        finals[label] = r[:, -1]
        lines.append(f"{label} augmentation: Rank_tau(H) mean {_f(r[:, 0].mean())} at initialisation, "
                     f"{_f(r[:, half].mean())} half-way, {_f(r[:, -1].mean())} at the end (of d_enc = {d_enc}; "
                     f"seeds at the end: {', '.join(_f(v) for v in r[:, -1])})")
    if "digits" not in finals:
        return Finding(NOT_AT_SCALE, lines + ["no digits run with the linear head"])
    lines.append(f"threshold tau = {_f(meta['config']['rank_tol'])} sigma_max; the synthetic inputs are an "
                 f"{meta['config']['latent_dim']}-dimensional latent pushed through a nonlinear map and are reported only")
    dig = finals["digits"]
    if np.all(dig >= 0.9 * d_enc):
        return Finding(CONFIRMED, lines)
    if np.mean(dig) < 0.5 * d_enc:
        return Finding(CONTRADICTED, lines)
    return Finding(NOT_AT_SCALE, lines)


def _cos_nn_distance(meta, a):
    """Figs. 2 / 5: the larger the augmentation, the closer a view's nearest negative (repulsion de-emphasised)."""
    runs = _runs(meta, "synthetic")
    vals = {}
    for s in ("small", "moderate", "large"):
        v = runs.get(f"linear@{s}", {}).get("stats", {}).get("nn_distance_final")
        if v is not None:
            vals[s] = np.asarray(v["all"], dtype=float)
    if len(vals) < 3:
        return Finding(NOT_AT_SCALE, ["the synthetic part did not run the linear head at three strengths"])
    sig = {s: runs[f"linear@{s}"].get("aug_sigma") for s in vals}
    lines = ["normalised distance between h_i^(1) and its nearest negative after training (mean over anchors; "
             "mean +- sd over seeds): " + ", ".join(f"{s} (sigma={_f(sig[s])}): {_f(v.mean())} +- "
                                                   f"{_f(v.std(ddof=1) if v.size > 1 else 0.0, 2)}"
                                                   for s, v in vals.items())]
    dm, se, crit = _paired_t(vals["small"] - vals["large"])
    lines.append(f"paired difference small - large: {_f(dm)} +- {_f(se, 2)} (95% threshold {_f(crit, 2)}, "
                 f"{vals['small'].size} seeds)")
    ordered = vals["small"].mean() > vals["moderate"].mean() > vals["large"].mean()
    if dm > crit and ordered:
        return Finding(CONFIRMED, lines)
    if dm < -crit:
        return Finding(CONTRADICTED, lines)
    return Finding(NOT_AT_SCALE, lines)


CLAIMS: tuple[Claim, ...] = (
    Claim("COS-P31", "Prop. 3.1: InfoNCE is sandwiched by its bounds during training", "Cosentino et al.",
          "beta (L_invariance + L_repulsion) <= InfoNCE <= L_upper = beta L_invariance + beta L_repulsion + "
          "log(2(N-1)) (the lower bound is the package's addition, see the theory page).",
          "projector_e2e", ("projector_e2e_synthetic", "projector_e2e_digits"),
          "confirmed if no (run, seed, epoch) evaluation violates either inequality (1e-9); contradicted "
          "otherwise.", _cos_prop31, "infonce_geometry.md"),
    Claim("COS-Fig3", "Fig. 3: the upper bound tracks InfoNCE during training", "Cosentino et al.",
          "During training L_upper follows InfoNCE, so minimising the interpretable bound is a proxy for "
          "minimising the loss.",
          "projector_e2e", ("projector_e2e_synthetic", "projector_e2e_digits"),
          "per run (seed mean), compare the change of the gap L_upper - InfoNCE from the first to the last epoch "
          "with the change of InfoNCE: confirmed if |change of gap| <= 0.25 |change of InfoNCE| in every run; "
          "contradicted if |change of gap| > |change of InfoNCE| in more than half of the runs; not reproduced "
          "at our scale otherwise.", _cos_tracking, "infonce_geometry.md"),
    Claim("COS-Fig1", "Fig. 1: stronger augmentation, lower-rank projector", "Cosentino et al.",
          "The rank of a trained linear projector decreases as the augmentation strength grows.",
          "projector_e2e", ("projector_e2e_synthetic",),
          "confirmed if Rank_tau after training is lower at large than at small augmentation; not reproduced at our "
          "scale otherwise.", _cos_rank, "infonce_geometry.md"),
    Claim("COS-Fig1-nuisance", "Fig. 1 made decidable: augmentation along k directions removes them from the projector",
          "Cosentino et al. (Props. 4.1-4.3)",
          "When the augmentation moves the data along k nuisance directions, stronger augmentation gives a "
          "lower-rank linear projector: the nuisance directions move into its kernel, so the rank drops by up to k.",
          "nuisance_rank", ("nuisance_rank",),
          "confirmed if Rank_tau at the largest sigma_nuis is below that at the smallest for every seed (or by more "
          "than 2 s.e. of the paired difference), the drop is at most k, and the projector's weight on the nuisance "
          "coordinates falls; contradicted if the rank rises (every seed, or by more than 2 s.e.); not reproduced "
          "at our scale otherwise.", _cos_nuisance_rank, "infonce_geometry.md"),
    Claim("COS-Fig10", "Fig. 10: the larger the rotation, the higher the rank of the rotated collection",
          "Cosentino et al.",
          "The covariance of 500 rotated copies of a random one-hot 32x32 image (angles uniform in [0, a]) has a "
          "rank that grows with the maximum angle a (mean and sd over 5 runs).",
          "rotation_rank", ("rotation_rank",),
          "confirmed if the rank is 0 at a = 0, the mean rank at the largest angle exceeds that at the smallest "
          "positive angle by more than 2 s.e. and no step between neighbouring angles drops by more than 2 s.e.; "
          "contradicted if the rank at a = 0 is not 0 or the largest angle's mean is more than 2 s.e. below the "
          "smallest's; not reproduced at our scale otherwise.", _cos_rotation_rank, "infonce_geometry.md"),
    Claim("COS-Fig4", "Figs. 4 and 9: the encoder's outputs stay full rank during training", "Cosentino et al.",
          "The log-spectrum of the encoder outputs [h_1, ..., h_N] at initialisation, half-way and after training "
          "gives Rank_tau close to d_enc at all three times: the encoder space is not collapsed, the projector is.",
          "projector_e2e", ("projector_e2e_encoder",),
          "on the digits (linear head, every seed): confirmed if Rank_tau(H) at the end of training is at least "
          "0.9 d_enc; contradicted if its mean is below 0.5 d_enc; not reproduced at our scale otherwise (the "
          "synthetic runs are reported).", _cos_encoder_rank, "infonce_geometry.md"),
    Claim("COS-Fig5", "Figs. 2 and 5: the augmentation strength weighs invariance against repulsion",
          "Cosentino et al.",
          "Under large augmentations the repulsion term is de-emphasised, under small ones it dominates: the "
          "normalised distance between a view h_i^(1) and its nearest negative h*_i is larger after training "
          "with small augmentations than with large ones.",
          "projector_e2e", ("projector_e2e_encoder",),
          "synthetic, linear head, three strengths: confirmed if the mean distance falls from small to moderate to "
          "large and the paired (same data) difference small - large is positive beyond its 95% t threshold; "
          "contradicted if negative beyond it; not reproduced at our scale otherwise.",
          _cos_nn_distance, "infonce_geometry.md"),
    Claim("COS-Fig7", "Fig. 7: fraction of variance unexplained falls during training", "Cosentino et al.",
          "During training the FVU of span{delta h_i} (eq. 10) by the linear projector decreases.",
          "projector_e2e", ("projector_e2e_synthetic",),
          "confirmed if the final FVU is below the initial one for every linear-head run; not reproduced at our "
          "scale otherwise.", _cos_trend("fvu", "down"), "infonce_geometry.md"),
    Claim("COS-Fig6", "Fig. 6: nearest negatives share the label more often during training", "Cosentino et al.",
          "The label agreement between a view and its nearest negative rises during training.",
          "projector_e2e", ("projector_e2e_synthetic",),
          "confirmed if the final agreement is above the initial one for every linear-head run; not reproduced at "
          "our scale otherwise.", _cos_trend("label_agreement", "up"), "infonce_geometry.md"),
)
