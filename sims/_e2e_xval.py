"""The ``xval`` part of :mod:`sims.projector_e2e`: trained linear projectors against the population theory.

See :mod:`sims.projector_e2e` for what it measures; :func:`run_xval` is one unit of that simulation.
"""

from __future__ import annotations

import math

import numpy as np

from typing import Any

from sims._common import progress
from theory.projector_training import TRAINING_LOSSES as XVAL_LOSSES

__all__ = ["run_xval"]

# ---------------------------------------------------------------- xval part


def _downstream_error(W: np.ndarray, mu: np.ndarray, n: int, reps: int, rng: np.random.Generator):
    """Mean and standard error of the exact test error of the max-margin classifier on ``z = W h``.

    ``reps`` training sets of ``n`` clean features ``h = y mu + g``; each fit
    is the exact hard-margin SVM through the origin (:func:`theory.svm.max_margin`)
    and its error ``Phi(-<mu, W^T beta> / ||W^T beta||)`` is exact
    (:func:`theory.svm.classification_error` applied to ``W^T beta`` on ``h``).
    Non-separable draws are skipped (counted in the third output).
    """
    from theory.gmm import sample_gmm
    from theory.svm import classification_error, max_margin

    errs, skipped = [], 0
    for _ in range(reps):
        h, y = sample_gmm(n, mu, rng)
        try:
            fit = max_margin(h @ W.T, y.astype(float))
        except ValueError:
            skipped += 1
            continue
        errs.append(classification_error(W.T @ fit.beta, mu, 0.0))
    errs = np.asarray(errs)
    if errs.size == 0:
        return math.nan, math.nan, skipped
    se = float(errs.std(ddof=1) / math.sqrt(errs.size)) if errs.size > 1 else math.nan
    return float(errs.mean()), se, skipped


def run_xval(cfg: dict, device, show: bool = False) -> tuple[dict, dict]:
    """The cross-validation part: learned vs population-minimiser expansion measure, and downstream error."""
    from theory.maxmargin import asymptotic_error, bayes_error, separability_threshold
    from theory.phase import eta_from_expansion_measure
    from theory.projector_training import train_gmm_projectors
    from theory.phase import expansion_measure, tau_star
    from theory.population_loss import first_order_expansion_measure, minimize_population_loss, population_loss

    p, rho, S = cfg["p"], cfg["rho"], cfg["xval_seeds"]
    mu = np.zeros(p)
    mu[0] = math.sqrt(rho)
    grid = [(s2, t) for s2 in cfg["sigma2_grid"] for t in cfg["tau_grid"]]
    C = len(grid)
    s2 = np.array([g[0] for g in grid])
    taus = np.array([g[1] for g in grid])
    pops = [minimize_population_loss(mu, a, b) for a, b in grid]
    t_exact = np.array([m.expansion_measure for m in pops])
    c_min = np.array([m.loss_value for m in pops])
    t_first = np.asarray(first_order_expansion_measure(s2, taus, rho), dtype=float)
    # the infinite-batch NT-Xent minimiser on the same family (theory.ntxent_population), where its rule applies
    from theory.ntxent_population import minimize_population_ntxent, population_ntxent

    t_ntx = np.full(C, np.nan)
    t_ntx_err = np.full(C, np.nan)
    nodes = cfg.get("ntxent_nodes", 0)
    for c, (a, b) in enumerate(grid):
        if nodes and 1e-3 <= a <= 1e2 and 0.05 <= b <= 1e3 and 1e-3 <= rho <= 1e2:
            t_ntx[c] = minimize_population_ntxent(a, b, rho, p, n=nodes, n_grid=9, n_iter=14)[0]
            t_ntx_err[c] = population_ntxent(t_ntx[c], a, b, rho, p, n=nodes).error
    tstar = np.asarray(tau_star(s2, rho), dtype=float)
    seeds = np.random.SeedSequence([cfg["seed"], 1]).generate_state(len(XVAL_LOSSES) + 1)
    arrays: dict[str, np.ndarray] = {}
    learned: dict[str, np.ndarray] = {}
    record = 25
    for li, loss in enumerate(progress(XVAL_LOSSES, desc="xval SGD", disable=not show, leave=False)):
        fit = train_gmm_projectors(
            mu, np.repeat(s2, S), np.repeat(taus, S), loss=loss, steps=cfg["xval_steps"], batch=cfg["xval_batch"],
            lr=cfg["xval_lr"], seed=int(seeds[li]) >> 1, device=device, record=record,
        )
        W, traj, steps_rec = fit.W, fit.trajectory, fit.record_steps
        t_learn = np.array([expansion_measure(w, mu) for w in W]).reshape(C, S)
        excess = np.array([population_loss(w, mu, a, b) for w, a, b in zip(W, np.repeat(s2, S), np.repeat(taus, S))])
        arrays[f"xval_t_{loss}"] = t_learn
        arrays[f"xval_excess_{loss}"] = excess.reshape(C, S) - c_min[:, None]
        arrays[f"xval_traj_{loss}"] = traj.reshape(C, S, -1)
        arrays["xval_traj_steps"] = steps_rec
        learned[loss] = W.reshape(C, S, p, p)
    # downstream: max-margin on n = delta p clean projected features
    n = int(round(cfg["delta"] * p))
    rng = np.random.default_rng(np.random.SeedSequence([cfg["seed"], 2]))
    reps = cfg["downstream_reps"]
    err = {k: np.full((C, S, 2), np.nan) for k in XVAL_LOSSES}
    err_pop = np.full((C, 2), np.nan)
    pred = {k: np.full((C, S), np.nan) for k in XVAL_LOSSES}
    pred_pop = np.full(C, np.nan)
    for c in progress(range(C), desc="xval downstream", disable=not show, leave=False):
        m, se, _ = _downstream_error(pops[c].W, mu, n, reps, rng)
        err_pop[c] = (m, se)
        pred_pop[c] = float(asymptotic_error(rho, eta_from_expansion_measure(min(max(t_exact[c], 0.0), 1.0), p), cfg["delta"]))
        for k in XVAL_LOSSES:
            for s in range(S):
                m, se, _ = _downstream_error(learned[k][c, s], mu, n, reps, rng)
                err[k][c, s] = (m, se)
                pred[k][c, s] = float(asymptotic_error(rho, eta_from_expansion_measure(min(max(arrays[f"xval_t_{k}"][c, s], 0.0), 1.0), p), cfg["delta"]))
    m_id, se_id, _ = _downstream_error(np.eye(p), mu, n, reps, rng)
    eta_grid = np.concatenate([np.linspace(-0.95, 0, 20), np.geomspace(0.05, 200, 60)])
    t_grid = ((1 + eta_grid) ** 2) / ((1 + eta_grid) ** 2 + p - 1)
    arrays.update(
        xval_sigma2=s2, xval_tau=taus, xval_tau_star=tstar, xval_t_exact=t_exact, xval_t_first_order=t_first,
        xval_t_ntxent_population=t_ntx, xval_ntxent_quadrature_error=t_ntx_err,
        xval_min_loss=c_min, xval_err_population=err["population"], xval_err_ntxent=err["ntxent"],
        xval_err_minimiser=err_pop, xval_pred_population=pred["population"], xval_pred_ntxent=pred["ntxent"],
        xval_pred_minimiser=pred_pop, xval_err_identity=np.array([m_id, se_id]),
        xval_theory_t=t_grid, xval_theory_err=np.asarray(asymptotic_error(rho, eta_grid, cfg["delta"]), dtype=float),
    )
    tol = cfg["agreement_tol"]
    summary: dict[str, Any] = {
        "p": p, "rho": rho, "delta": cfg["delta"], "n_downstream": n,
        "delta_star": float(separability_threshold(rho)), "bayes_error": float(bayes_error(rho)),
        "agreement_criterion": f"|mean_seeds t_learned - t*_exact| <= {tol:g}",
        "identity_error": [m_id, se_id], "identity_prediction": float(asymptotic_error(rho, 0.0, cfg["delta"])),
        "configs": [],
    }
    for c, (a, b) in enumerate(grid):
        row = {
            "sigma2": a, "tau": b, "tau_star": float(tstar[c]), "regime": "expansion" if b >= tstar[c] else "shrinkage",
            "t_star_exact": float(t_exact[c]), "t_star_first_order": float(t_first[c]),
            "t_star_ntxent_population": float(t_ntx[c]),
            "minimiser_error": err_pop[c].tolist(), "minimiser_prediction": float(pred_pop[c]),
        }
        for k in XVAL_LOSSES:
            t = arrays[f"xval_t_{k}"][c]
            row[f"t_{k}"] = t.tolist()
            row[f"t_{k}_mean"] = float(t.mean())
            row[f"abs_diff_{k}"] = float(abs(t.mean() - t_exact[c]))
            row[f"agree_{k}"] = bool(abs(t.mean() - t_exact[c]) <= tol)
            row[f"abs_diff_{k}_vs_ntxent_population"] = float(abs(t.mean() - t_ntx[c]))
            row[f"excess_loss_{k}"] = arrays[f"xval_excess_{k}"][c].tolist()
            row[f"error_{k}"] = err[k][c, :, 0].tolist()
            row[f"prediction_{k}"] = pred[k][c].tolist()
        summary["configs"].append(row)
    for k in XVAL_LOSSES:
        d = np.array([r[f"abs_diff_{k}"] for r in summary["configs"]])
        summary[f"max_abs_diff_{k}"] = float(d.max())
        summary[f"n_agree_{k}"] = int(sum(r[f"agree_{k}"] for r in summary["configs"]))
        dn = np.array([r[f"abs_diff_{k}_vs_ntxent_population"] for r in summary["configs"]])
        summary[f"max_abs_diff_{k}_vs_ntxent_population"] = float(np.nanmax(dn)) if np.isfinite(dn).any() else None
        e, pr = err[k][..., 0].ravel(), pred[k].ravel()
        ok = np.isfinite(e) & np.isfinite(pr)
        summary[f"downstream_mean_abs_diff_{k}"] = float(np.mean(np.abs(e[ok] - pr[ok]))) if ok.any() else None
    summary["n_configs"] = C
    return summary, arrays
