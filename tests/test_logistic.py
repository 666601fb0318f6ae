"""Tests of the low-dimensional logistic proposition (theory.logistic)."""

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from theory.gmm import sample_gmm
from theory.logistic import fit_logistic, fit_logistic_path, logistic_objective
from theory.maxmargin import bayes_error
from theory.svm import project

P = 3
MU = np.array([1.0, 0.0, 0.0])  # rho = 1
ETAS = np.array([-0.5, 0.0, 2.0])
NS = np.array([1000, 4000, 16000])


@given(n=st.integers(20, 200), p=st.integers(1, 6), lam=st.floats(1e-3, 10.0), seed=st.integers(0, 2**20))
@example(n=20, p=1, lam=0.001, seed=0)
@example(n=200, p=6, lam=10.0, seed=2 ** 20)
def test_fit_matches_sklearn(n, p, lam, seed):
    # sklearn minimises 1/2 ||b||^2 + C sum_i loss_i with an unpenalised intercept
    # (lbfgs); dividing l_n by 2 lambda gives C = 1 / (2 lambda n)
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal(p)
    Z, y = sample_gmm(n, mu, seed=rng)
    if np.all(y == y[0]):
        y[0] = -y[0]
    fit = fit_logistic(Z, y, lam)
    ref = LogisticRegression(C=1 / (2 * lam * n), tol=1e-13, max_iter=100_000).fit(Z, y)
    assert fit.gamma == pytest.approx(ref.intercept_[0], abs=1e-5)
    assert np.allclose(fit.beta, ref.coef_[0], atol=1e-5)
    # ours is the exact minimiser: never worse than sklearn's
    assert fit.objective <= logistic_objective(ref.intercept_[0], ref.coef_[0], Z, y, lam) + 1e-12


def _excess(n, lam, balanced, R, seed0):
    """Replicate matrix (R, len(ETAS)) of Err - Phi(-||mu||) for one sample size."""
    out = np.empty((R, ETAS.size))
    for r in range(R):
        h, y = sample_gmm(n, MU, seed=seed0 + r, balanced=balanced)
        out[r] = [err for _, err in fit_logistic_path(h, y, MU, ETAS, lam)]
    return out - bayes_error(1.0)


def _rate(lam_of_n, balanced, R=100):
    """Log-log slope of the mean excess error in n, and its standard error.

    se(log mean) = sd / (mean sqrt(R)) per n (replicates independent across
    n), propagated through the least-squares slope.
    """
    means, rel = [], []
    for n in NS:
        e = _excess(int(n), lam_of_n(n), balanced, R, seed0=int(7 * n))
        means.append(e.mean(0))
        rel.append(e.std(0, ddof=1) / (e.mean(0) * np.sqrt(R)))
    x = np.log(NS) - np.log(NS).mean()
    w = x / np.sum(x * x)
    slope = w @ np.log(np.array(means))
    se = np.sqrt((w**2) @ np.array(rel) ** 2)
    return slope, se, np.array(means)


@pytest.mark.parametrize("balanced", [True, False])
def test_first_claim_rate_is_one_over_n_for_every_eta(balanced):
    """lambda_n = a b_n with b_n = 1: Err - Phi(-||mu||) = O_P(1/n), not just O_P(n^{-1/2}).

    The poster's band b_n n^{-1/2} holds, but the measured rate is n^{-1}
    for every eta, with exactly balanced or i.i.d. labels: the error is
    quadratic in the estimation error around the Bayes rule, and the
    population minimiser has the Bayes direction for every lambda.
    Tolerance: 4 standard errors of the slope.
    """
    slope, se, means = _rate(lambda n: 1.0, balanced)
    assert np.all(means > 0)
    assert np.all(np.abs(slope + 1.0) <= 4 * se), (slope, se)
    assert np.all(slope < -0.5 - 4 * se)  # strictly faster than the stated band


def test_second_claim_with_balanced_labels_has_an_eta_free_limit():
    """lambda_n = a sqrt(n) with exactly balanced labels: Err -> Phi(-||mu||) for every eta.

    The regression test for the corrected statement: with n/2 labels of each
    sign the intercept carries no O(1) bias, the error converges to the Bayes
    error at rate 1/n whatever eta is, and "decreasing in eta" only
    describes the O(1/n) correction (whose mean is decreasing in eta).
    """
    slope, se, means = _rate(lambda n: np.sqrt(n), True)
    assert np.all(np.abs(slope + 1.0) <= 4 * se), (slope, se)
    assert np.all(np.diff(means[-1]) < 0)


def test_second_claim_with_random_labels_matches_the_derived_limit():
    """lambda_n = a sqrt(n), i.i.d. labels: Err decreases in eta, to a random limit.

    Derived limit (docs/maxmargin.md): gamma_hat ~ 2 y_bar,
    W beta_hat ~ (1+eta)^2 mu / (4 a sqrt n), so with xi = sqrt(n) y_bar,
    X = 8 a xi / ((1+eta)^2 ||mu||) and
    Err -> (Phi(-||mu|| - X) + Phi(-||mu|| + X)) / 2,
    increasing in |X|, hence pathwise non-increasing in eta, and
    E Err -> Phi(-||mu|| / sqrt(1 + 64 a^2 / ((1+eta)^4 rho))).
    Here a = 1, n = 16000, etas in [-0.5, 0.5] (the expansion needs
    sqrt(n) >> (1+eta)^2 (1+rho) / (8a)); the pathwise gap is O(n^{-1/2}).
    """
    n, R, a, s = 16000, 60, 1.0, 1.0
    etas = np.array([-0.5, -0.25, 0.0, 0.25, 0.5])
    errs, preds = np.empty((R, etas.size)), np.empty((R, etas.size))
    for r in range(R):
        h, y = sample_gmm(n, MU, seed=500 + r)
        errs[r] = [err for _, err in fit_logistic_path(h, y, MU, etas, a * np.sqrt(n))]
        X = 8 * a * np.sqrt(n) * y.mean() / ((1 + etas) ** 2 * s)
        preds[r] = 0.5 * norm.cdf(-s - X) + 0.5 * norm.cdf(-s + X)
    assert np.all(np.diff(errs, axis=1) <= 1e-12)  # pathwise non-increasing
    assert np.mean(np.abs(errs - preds)) < 0.01
    mean_limit = norm.cdf(-s / np.sqrt(1 + 64 * a**2 / ((1 + etas) ** 4 * s**2)))
    se = errs.std(0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(errs.mean(0) - mean_limit) <= 4 * se + 0.01)
    assert np.all(np.diff(errs.mean(0)) < 0)


def test_unpenalised_limit_is_invariant_in_eta():
    # lambda -> 0: the logistic MLE is equivariant under the reparametrisation
    # z = W_eta h, so the fitted classifier in h-space -- and its error -- is eta-free
    h, y = sample_gmm(400, MU, seed=3)
    errs = [err for _, err in fit_logistic_path(h, y, MU, ETAS, 1e-9)]
    assert np.ptp(errs) < 1e-7


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fit_logistic(np.ones((4, 2)), [1, 1, 1, 1], 1.0), "both labels"),
        (lambda: fit_logistic(np.ones((4, 2)), [1, -1, 1, -1], 0.0), r"lam must be in \(0, inf\)"),
        (lambda: fit_logistic(np.ones((4, 2)), [1, -1, 1, 0], 1.0), "labels"),
        (lambda: fit_logistic(np.ones((4, 2)), [1, -1, 1], 1.0), "y must have shape"),
        (lambda: fit_logistic_path(np.ones((4, 2)), [1, -1, 1, -1], [1.0, 0.0], [-1.0], 1.0), "eta"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_fit_is_a_stationary_point():
    Z = project(*sample_gmm(300, MU, seed=5)[:1], MU, 1.5)
    _, y = sample_gmm(300, MU, seed=5)
    fit = fit_logistic(Z, y, 0.2)
    m = y * (fit.gamma + Z @ fit.beta)
    s = 1 / (1 + np.exp(m))
    assert abs(np.mean(-y * s)) < 1e-10
    assert np.max(np.abs(-(Z.T @ (y * s)) / 300 + 0.4 * fit.beta)) < 1e-10


# ------------------------------------------------------------- independent oracles for the objective and the fit


def _loop_objective(gamma, beta, Z, y, lam):
    return sum(math.log1p(math.exp(-yi * (gamma + float(zi @ beta)))) for zi, yi in zip(Z, y)) / len(y) + lam * float(beta @ beta)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_objective_against_a_loop(seed):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((30, 3))
    y = np.where(rng.random(30) < 0.5, -1, 1)
    for gamma, beta, lam in ((0.3, rng.standard_normal(3), 0.1), (-1.2, rng.standard_normal(3), 0.0), (0.0, np.zeros(3), 2.0)):
        assert logistic_objective(gamma, beta, Z, y, lam) == pytest.approx(_loop_objective(gamma, beta, Z, y, lam), rel=1e-12)
    assert logistic_objective(0.0, np.zeros(3), Z, y, 5.0) == pytest.approx(math.log(2.0), rel=1e-14)  # hand: log 2


@pytest.mark.parametrize("seed, lam", [(0, 0.05), (1, 0.5), (2, 1e-3)])
def test_fit_against_scipy_bfgs_on_the_loop_objective(seed, lam):
    from scipy.optimize import minimize

    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((60, 3)) + 0.5
    y = np.where(Z @ [1.0, -1.0, 0.5] + rng.standard_normal(60) > 0, 1, -1)
    fit = fit_logistic(Z, y, lam)
    ref = minimize(lambda th: _loop_objective(th[0], th[1:], Z, y, lam), np.zeros(4), method="BFGS",
                   options={"gtol": 1e-10})
    np.testing.assert_allclose(np.r_[fit.gamma, fit.beta], ref.x, atol=2e-5)
    assert fit.objective == pytest.approx(_loop_objective(fit.gamma, fit.beta, Z, y, lam), rel=1e-12)
    assert fit.objective <= ref.fun + 1e-12
    # damped Newton converges quadratically: 3-6 steps here; a line search that always halves (linear
    # convergence) or a wrong Hessian would need far more than 12
    assert 1 <= fit.n_iter <= 12
    # the gradient of the loop objective vanishes at the fit (central differences, h = 1e-6)
    th = np.r_[fit.gamma, fit.beta]

    def obj(t):
        return _loop_objective(t[0], t[1:], Z, y, lam)

    grad = [(obj(th + e) - obj(th - e)) / 2e-6 for e in 1e-6 * np.eye(4)]
    assert np.max(np.abs(grad)) < 1e-7


def test_fit_stops_at_once_when_the_start_is_optimal():
    """Symmetric data: the minimiser is gamma = 0, beta = 0 exactly (the start), so no Newton step is taken."""
    y = np.array([1, -1])
    Z = np.array([[0.0], [0.0]])
    fit = fit_logistic(Z, y, 0.1)
    assert fit.n_iter == 0 and fit.gamma == 0.0 and np.all(fit.beta == 0.0)
    assert fit.objective == pytest.approx(math.log(2.0), rel=1e-15)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fit_logistic(np.ones(3), [1, -1, 1], 0.1), r"^Z must be a 2-d array"),
        (lambda: fit_logistic(np.ones((3, 1)), [1, 1, 1], 0.1), r"^y must contain both labels -1 and \+1 \(otherwise the intercept diverges\)$"),
        (lambda: fit_logistic(np.ones((3, 1)), [-1, -1, -1], 0.1), r"^y must contain both labels"),
        (lambda: fit_logistic(np.ones((2, 1)), [1, -1], 0.1, tol=0.0), r"^tol must be in \(0, inf\), got 0\.0$"),
        (lambda: fit_logistic(np.ones((2, 1)), [1, -1], 0.1, max_iter=0), r"^max_iter must be an integer in \[1, inf\), got 0$"),
    ],
)
def test_fit_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_fit_accepts_one_newton_step_budget_when_it_suffices():
    fit = fit_logistic(np.zeros((2, 1)), [1, -1], 0.1, max_iter=1)
    assert fit.n_iter == 0


def test_newton_step_budget_is_exact():
    """A fit that takes k Newton steps needs max_iter = k + 1 (the last iteration only checks the gradient);
    with max_iter = k it must say it did not converge."""
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((60, 3)) + 0.5
    y = np.where(Z @ [1.0, -1.0, 0.5] + rng.standard_normal(60) > 0, 1, -1)
    k = fit_logistic(Z, y, 0.05).n_iter
    again = fit_logistic(Z, y, 0.05, max_iter=k + 1)
    assert again.n_iter == k and again.objective == fit_logistic(Z, y, 0.05).objective
    with pytest.raises(RuntimeError, match=rf"^fit_logistic did not converge in {k} Newton steps$"):
        fit_logistic(Z, y, 0.05, max_iter=k)


def test_a_single_sample_has_one_label_only():
    with pytest.raises(ValueError, match=r"^y must contain both labels"):
        fit_logistic(np.ones((1, 2)), [1], 0.1)
