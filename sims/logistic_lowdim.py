"""Low-dimensional logistic proposition: ``python -m sims.logistic_lowdim``.

Fixed ``p``, growing ``n``: fits l2-regularised logistic regression with an
intercept on ``z = W_eta h`` for every ``eta`` in ``--etas`` and records the
exact test error of the fit (:func:`theory.svm.classification_error`), for
three regularisation regimes

* ``const``:   ``lambda_n = a``            (``b_n = 1``; claim 1: error -> Bayes),
* ``quarter``: ``lambda_n = a n^{1/4}``    (``b_n = n^{1/4} << sqrt(n)``; claim 1),
* ``sqrt``:    ``lambda_n = a sqrt(n)``    (claim 2: error decreasing in eta),

each with exactly balanced labels and with i.i.d. labels.  It reports the
measured log-log rate of the mean excess error ``Err - Phi(-||mu||)`` in
``n`` and, for ``sqrt``, the derived limit of the mean error
``Phi(-||mu|| / sqrt(1 + 64 a^2 / ((1+eta)^4 rho)))`` with i.i.d. labels
(``docs/maxmargin.md``).

Replicates run in blocks (units of work, any ``--backend``); the seed of
each is ``SeedSequence([seed, regime, labels, n, replicate])`` (reproducible
bit for bit, independent of the backend and ``--n-jobs``).  Finished blocks
are saved (an interrupted run resumes) and a rerun with the same config is
served from ``<out>/runs/<config_hash>/``.
"""

from __future__ import annotations

import numpy as np

from sims._common import ArgumentParser, Simulation, Unit, add_run_arguments, apply_quick, check_n_jobs
from theory._validation import check_int, check_scalar

NAME = "logistic_lowdim"
REGIMES = ("const", "quarter", "sqrt")
LABELS = ("balanced", "iid")

__all__ = ["build_parser", "make_config", "units", "combine", "run", "lambda_n", "SIMULATION", "main"]


def lambda_n(regime: str, n: int, a: float) -> float:
    """The regularisation ``lambda_n`` of each regime."""
    exponent = {"const": 0.0, "quarter": 0.25, "sqrt": 0.5}[regime]
    return a * float(n) ** exponent


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.logistic_lowdim",
        description=(
            "Low-dimensional proposition: exact test error of l2-regularised logistic regression with "
            "intercept on W_eta-projected 2-GMM features against eta, for lambda_n = a, a n^(1/4), "
            "a sqrt(n), balanced and i.i.d. labels, growing n."
        ),
    )
    m = ap.add_argument_group("model")
    m.add_argument("--rho", type=float, default=1.0, help="signal strength ||mu||^2, in (0, 100]")
    m.add_argument("--p", type=int, default=5, help="feature dimension (fixed)")
    m.add_argument("--a", type=float, default=1.0, help="constant a in lambda_n = a b_n")
    m.add_argument("--etas", type=float, nargs="+", default=[-0.75, -0.5, -0.25, 0.0, 0.5, 1.0, 2.0, 4.0],
                   help="projector parameters eta in (-1, 1000]")
    m.add_argument("--n", type=int, nargs="+", default=[250, 1000, 4000, 16000], help="sample sizes")
    m.add_argument("--reps", type=int, default=100, help="replicates per (regime, labels, n)")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    """Validate the parsed flags (all of them, before anything is written)."""
    apply_quick(args, build_parser(), n=[100, 400], reps=6, etas=[-0.5, 0.0, 1.0, 3.0])
    rho = check_scalar(args.rho, "--rho", low=0.0, high=100.0, closed="right")
    p = check_int(args.p, "--p", low=1, high=10_000)
    a = check_scalar(args.a, "--a", low=0.0, high=1e3, closed="right")
    etas = sorted(check_scalar(v, "--etas", low=-1.0, high=1e3, closed="right") for v in args.etas)
    ns = sorted(check_int(v, "--n", low=4, high=10**7) for v in args.n)
    reps = check_int(args.reps, "--reps", low=1, high=1_000_000)
    seed = check_int(args.seed, "--seed", low=0)
    check_n_jobs(args.n_jobs)
    return {"rho": rho, "p": p, "a": a, "etas": etas, "n": ns, "reps": reps, "seed": seed,
            "quick": bool(args.quick)}


def _task(seed_seq, n, p, rho, balanced, etas, lam):
    from theory.gmm import sample_gmm
    from theory.logistic import fit_logistic_path

    mu = np.zeros(p)
    mu[0] = np.sqrt(rho)
    rng = np.random.default_rng(seed_seq)
    h, y = sample_gmm(n, mu, rng, balanced=balanced)
    if np.all(y == y[0]):  # one class only (n tiny): no finite minimiser
        return np.full(len(etas), np.nan), 0.0
    return np.array([err for _, err in fit_logistic_path(h, y, mu, etas, lam)]), float(np.mean(y))


#: Replicates per unit of work (a unit saved on completion is the resume granularity).
REPS_PER_UNIT = 10


def _block(seed, g, l, n, p, rho, etas, lam, reps):
    """One unit: the replicates ``reps`` of one ``(regime, labels, n)`` cell; returns ``(errors, ybar)``."""
    out = [_task(np.random.SeedSequence([seed, g, l, n, r]), n, p, rho, LABELS[l] == "balanced", etas, lam)
           for r in reps]
    return np.array([e for e, _ in out]), np.array([y for _, y in out])


def units(config: dict) -> list[Unit]:
    """Blocks of :data:`REPS_PER_UNIT` replicates per ``(regime, labels, n)``.

    Replicate ``r`` is seeded by ``SeedSequence([seed, regime, labels, n, r])``
    whatever block it falls in.
    """
    rho, p, a, ns, R, seed = (config[k] for k in ("rho", "p", "a", "n", "reps", "seed"))
    etas = np.array(config["etas"])
    blocks = [list(range(r0, min(R, r0 + REPS_PER_UNIT))) for r0 in range(0, R, REPS_PER_UNIT)]
    return [Unit(_block, (seed, g, l, ns[j], p, rho, etas, lambda_n(REGIMES[g], ns[j], a), reps))
            for g in range(len(REGIMES)) for l in range(len(LABELS)) for j in range(len(ns)) for reps in blocks]


def combine(config: dict, results: list):
    """Assemble the unit results; returns ``(scalars, arrays)`` for :func:`save_results`."""
    from scipy.special import ndtr

    from theory.maxmargin import bayes_error

    rho, a, etas, ns, R = (config[k] for k in ("rho", "a", "etas", "n", "reps"))
    etas = np.array(etas)
    shape = (len(REGIMES), len(LABELS), len(ns))
    err = np.concatenate([e for e, _ in results]).reshape(shape + (R, etas.size))
    ybar = np.concatenate([y for _, y in results]).reshape(shape + (R,))
    bayes = bayes_error(rho)
    excess = err - bayes
    mean_excess = np.nanmean(excess, axis=3)  # (regime, labels, n, eta)
    logn = np.log(np.array(ns, dtype=float))
    slopes = np.full(mean_excess.shape[:2] + (etas.size,), np.nan)
    if len(ns) >= 2:
        x = logn - logn.mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            slopes = np.einsum("n,glne->gle", x / np.sum(x * x), np.log(mean_excess))
    eta_grid = np.linspace(max(-0.95, etas.min()), etas.max(), 200)
    limit_sqrt_iid = ndtr(-np.sqrt(rho) / np.sqrt(1.0 + 64.0 * a**2 / ((1.0 + eta_grid) ** 4 * rho)))
    scalars = {
        "bayes_error": bayes,
        "rate_slopes": {f"{REGIMES[g]}/{LABELS[l]}": slopes[g, l].tolist()
                        for g in range(len(REGIMES)) for l in range(len(LABELS))},
        "mean_error_decreasing_in_eta_largest_n": {
            f"{REGIMES[g]}/{LABELS[l]}": bool(np.all(np.diff(np.nanmean(err[g, l, -1], axis=0)) < 0))
            for g in range(len(REGIMES)) for l in range(len(LABELS))
        },
    }
    arrays = {
        "etas": etas,
        "n": np.array(ns),
        "err": err,
        "ybar": ybar,
        "bayes_error": np.array(bayes),
        "rate_slopes": slopes,
        "eta_grid": eta_grid,
        "limit_mean_err_sqrt_iid": limit_sqrt_iid,
        "lambda": np.array([[lambda_n(g, n, a) for n in ns] for g in REGIMES]),
    }
    return scalars, arrays


def run(config: dict, runner=None):
    """Run the sweep (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.logistic_lowdim", figure_stems=("logistic_lowdim_error", "logistic_lowdim_rate"),
    describe=lambda c: f"logistic sweep (n={c['n']}, reps={c['reps']})",
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
