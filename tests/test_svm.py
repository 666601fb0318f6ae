"""Tests of the finite-sample solvers (theory.svm)."""

import warnings

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.stats import norm

from theory.gmm import sample_gmm
from theory.maxmargin import separability_threshold
from theory.phase import w_eta
from theory.svm import (
    classification_error,
    is_separable,
    max_margin,
    max_margin_cvxpy,
    max_margin_path,
    project,
)

# Clarabel at tight tolerances: the margin is then exact to ~1e-11, and the
# direction -- a non-smooth maximiser, error ~ sqrt(duality gap) -- to ~1e-6.
TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "tol_ktratio": 1e-10}


def _instance(n, p, rho, seed):
    mu = np.zeros(p)
    mu[0] = np.sqrt(rho)
    h, y = sample_gmm(n, mu, seed=seed)
    return h, y, mu


@given(
    n=st.integers(3, 60),
    p=st.integers(3, 60),
    rho=st.floats(0.0, 4.0),
    eta=st.floats(-0.9, 10.0),
    seed=st.integers(0, 2**20),
)
@example(n=47, p=48, rho=3.486328125, eta=0.0, seed=188462)  # regression: cvxpy's direction off by 2.2e-5
def test_fast_solver_returns_the_cvxpy_solution(n, p, rho, eta, seed):
    h, y, mu = _instance(n, p, max(rho, 1e-12), seed)
    if rho == 0.0:
        mu = np.ones(p) / np.sqrt(p)  # any direction for W_eta; data are pure noise
    Z = project(h, mu, eta)
    separable = is_separable(Z, y)
    if not separable:
        with pytest.raises(ValueError, match="not linearly separable"):
            max_margin(Z, y)
        with pytest.raises(ValueError, match="not linearly separable"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                max_margin_cvxpy(Z, y, **TIGHT)
        return
    fast = max_margin(Z, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cvxpy "may be inaccurate" at tight tolerances
        ref = max_margin_cvxpy(Z, y, **TIGHT)
    assert fast.margin == pytest.approx(ref.margin, abs=1e-6)
    # Same direction, to the accuracy the reference certifies: min ||w||^2 s.t.
    # y_i <z_i, w> >= 1 is 2-strongly convex, so any feasible w satisfies
    # ||w - w*||^2 <= ||w||^2 - ||w*||^2.  With w = beta / kappa (kappa the
    # margin of the unit direction beta) this bounds the distance of the
    # cvxpy direction from the exact one by its own margin deficit.
    b_ref = ref.beta / np.linalg.norm(ref.beta)
    k_ref = float(np.min(y * (Z @ b_ref)))
    assert fast.margin >= k_ref * (1 - 1e-9)  # the exact solver is at least as good (float slack)
    dist2 = np.sum((b_ref / k_ref - fast.beta / fast.margin) ** 2)
    assert dist2 <= 1 / k_ref**2 - 1 / fast.margin**2 + 1e-8 / fast.margin**2
    assert np.linalg.norm(fast.beta - b_ref) < 1e-4
    assert np.linalg.norm(fast.beta) == pytest.approx(1.0)
    assert fast.margin == pytest.approx(np.min(y * (Z @ fast.beta)), rel=1e-12)


def test_fast_solver_kkt_on_a_larger_instance():
    h, y, mu = _instance(300, 200, 1.0, 3)
    fit = max_margin(h, y)
    margins = y * (h @ fit.beta)
    # support vectors sit on the margin, the others strictly above it
    on = np.isclose(margins, fit.margin, rtol=1e-9)
    assert on.sum() == fit.n_support
    assert np.all(margins >= fit.margin * (1 - 1e-9))
    # beta is in the cone of the support vectors: a non-negative least-squares fit is exact
    from scipy.optimize import nnls

    X = (y[:, None] * h)[on]
    _, res = nnls(X.T, fit.beta)
    assert res < 1e-9


def test_path_equals_fits_on_projected_data():
    h, y, mu = _instance(120, 100, 1.5, 4)
    etas = [-0.7, 0.0, 4.0]
    for fit, eta in zip(max_margin_path(h, y, mu, etas), etas):
        direct = max_margin(h @ w_eta(mu, eta), y)
        assert fit.margin == pytest.approx(direct.margin, rel=1e-10)
        assert np.allclose(fit.beta, direct.beta, atol=1e-9)


@given(seed=st.integers(0, 2**20), eta=st.floats(-0.95, 20.0))
@example(seed=0, eta=-0.95)
@example(seed=2 ** 20, eta=20.0)
def test_project_is_w_eta(seed, eta):
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal(5)
    h = rng.standard_normal((7, 5))
    assert np.allclose(project(h, mu, eta), h @ w_eta(mu, eta), atol=1e-12)


@given(seed=st.integers(0, 2**20), eta=st.floats(-0.95, 20.0), scale=st.floats(0.1, 10.0))
@example(seed=0, eta=-0.95, scale=0.1)
def test_exact_error_hand_derived_special_cases(seed, eta, scale):
    """beta = c mu: W_eta mu = (1+eta) mu, so the score is c (1+eta)(y rho + mu.g) and the error is the
    Bayes error Phi(-||mu||) for every eta and c > 0; beta perp mu: the score ignores y, error 1/2
    (any intercept gamma: (Phi(-g/s) + Phi(g/s))/2 = 1/2)."""
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal(6)
    rho = mu @ mu
    assert classification_error(scale * mu, mu, eta) == pytest.approx(norm.cdf(-np.sqrt(rho)), rel=1e-12)
    assert classification_error(-scale * mu, mu, eta) == pytest.approx(norm.cdf(np.sqrt(rho)), rel=1e-12)
    v = rng.standard_normal(6)
    v -= (v @ mu) / rho * mu
    for gamma in (0.0, 0.7, -2.0):
        assert classification_error(scale * v, mu, eta, gamma) == pytest.approx(0.5, abs=1e-12)  # v perp mu up to rounding


@pytest.mark.parametrize("eta, gamma", [(-0.5, 0.0), (2.0, 0.3), (-0.9, -0.4), (10.0, 1.5)])
def test_exact_error_against_monte_carlo(eta, gamma):
    """Fresh test draws, misclassification frequency; tolerance 4 binomial standard errors."""
    rng = np.random.default_rng(7)
    p, N = 8, 400_000
    mu = rng.standard_normal(p) * 0.4
    beta = mu + rng.standard_normal(p) * 0.5
    h, y = sample_gmm(N, mu, seed=11)
    z = project(h, mu, eta)
    freq = np.mean(y * (gamma + z @ beta) < 0)
    err = classification_error(beta, mu, eta, gamma)
    assert abs(freq - err) < 4 * np.sqrt(err * (1 - err) / N)


def test_separability_is_invariant_under_w_eta():
    rho = 1.0
    p = 60
    for n in (100, 200, 230, 260):
        h, y, mu = _instance(n, p, rho, n)
        base = is_separable(h, y)
        for eta in (-0.9, -0.3, 1.0, 25.0):
            assert is_separable(project(h, mu, eta), y) == base


def test_separability_probability_crosses_delta_star():
    """P(separable) at p = 100: ~1 at 0.75 delta*, ~0 at 1.25 delta*.

    20 replicates each; the transition has width O(p^{-1/2}) around delta*
    (measured: 1.0 and 0.0 at p = 100), so the bounds 0.85 / 0.15 leave room.
    """
    rho, p, R = 1.0, 100, 20
    dstar = separability_threshold(rho)
    mu = np.zeros(p)
    mu[0] = 1.0
    below = np.mean([is_separable(*sample_gmm(int(0.75 * dstar * p), mu, seed=r)) for r in range(R)])
    above = np.mean([is_separable(*sample_gmm(int(1.25 * dstar * p), mu, seed=100 + r)) for r in range(R)])
    assert below >= 0.85 and above <= 0.15


def test_lp_and_nnls_agree_on_separability():
    p = 50
    for n in (120, 150, 170, 185, 200, 240):
        h, y, mu = _instance(n, p, 1.0, 1000 + n)
        sep = is_separable(h, y)
        try:
            max_margin(h, y)
            nnls_sep = True
        except ValueError:
            nnls_sep = False
        assert sep == nnls_sep


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: max_margin(np.ones((3, 2)), [1, -1, 2]), "y must contain only the labels"),
        (lambda: max_margin(np.ones((3, 2)), [1, -1]), "y must have shape"),
        (lambda: max_margin(np.ones(3), [1, -1, 1]), "Z must be a 2-d array"),
        (lambda: max_margin(np.array([[1.0], [1.0]]), [1, -1]), "not linearly separable"),
        (lambda: max_margin_cvxpy(np.array([[1.0], [1.0]]), [1, -1]), "not linearly separable"),
        (lambda: is_separable([[np.nan]], [1]), "Z must contain only finite"),
        (lambda: classification_error([1.0, 0.0], [1.0, 0.0], -1.0), r"eta must be in \(-1, inf\)"),
        (lambda: classification_error([1.0], [1.0, 0.0], 0.0), "beta must have shape"),
        (lambda: classification_error([1.0, 0.0], [0.0, 0.0], 0.0), "mu must be non-zero"),
        (lambda: project(np.ones((2, 2)), [1.0, 0.0], -3.0), "eta"),
        (lambda: max_margin_path(np.ones((2, 2)), [1, -1], [1.0, 0.0], [0.0, -1.0]), "etas"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_zero_classifier_has_error_one_half():
    assert classification_error([0.0, 0.0], [1.0, 0.0], 0.5, 0.7) == 0.5


# ------------------------------------------------------------- hand-solved instances


def test_bounded_separability_margin_by_hand():
    """max{t : X w >= t, |w|_inf <= 1, t <= 1}: rows (1, 0), (0, 2) -> w = (1, 1), t = 1 (capped);
    rows (0.5, 0), (0, 0.25) -> t = 0.25; rows (1, 0), (-1, 0) -> t = 0 (not separable)."""
    from theory.svm import _bounded_separability_margin

    assert _bounded_separability_margin(np.array([[1.0, 0.0], [0.0, 2.0]])) == pytest.approx(1.0, abs=1e-7)
    assert _bounded_separability_margin(np.array([[0.5, 0.0], [0.0, 0.25]])) == pytest.approx(0.25, abs=1e-7)
    assert _bounded_separability_margin(np.array([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx(0.0, abs=1e-7)
    # negative weights at their bound: w = (-1, -1) gives min(1, 0.5) = 0.5
    assert _bounded_separability_margin(np.array([[-1.0, 0.0], [0.0, -0.5]])) == pytest.approx(0.5, abs=1e-7)
    # the cap t <= 1 binds: w = (1, 1) would give 3
    assert _bounded_separability_margin(np.array([[3.0, 0.0], [0.0, 3.0]])) == pytest.approx(1.0, abs=1e-7)
    assert _bounded_separability_margin(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])) == pytest.approx(0.0, abs=1e-7)
    # rows (1, 1), (-1, -0.5), (0, 1): w = (-0.75, 1) gives 0.25, 0.25, 1 -> t = 0.25 (hand, the LP optimum)
    assert _bounded_separability_margin(np.array([[1.0, 1.0], [-1.0, -0.5], [0.0, 1.0]])) == pytest.approx(0.25, abs=1e-7)


def test_is_separable_by_hand_and_its_tolerance():
    Z = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    assert is_separable(Z, [1, 1, -1])  # w = (1, 1)
    assert not is_separable(Z, [1, 1, 1])  # 0 = z1 + z2 + z3 is in the hull of the signed rows
    assert not is_separable(np.array([[1.0, 0.0], [2.0, 0.0]]), [1, -1])  # same direction, opposite labels
    with pytest.raises(ValueError, match=r"^tol must be in \(0, inf\), got 0\.0$"):
        is_separable(Z, [1, 1, -1], tol=0.0)


@pytest.mark.parametrize("solver", ["fast", "cvxpy"])
def test_max_margin_two_points_by_hand(solver):
    """y z = (1, 0) and (0, 1): beta = (1, 1)/sqrt 2, margin 1/sqrt 2, both points support vectors;
    a third point far on the good side is not a support vector."""
    Z = np.array([[1.0, 0.0], [0.0, -1.0], [3.0, 3.0]])
    y = np.array([1, -1, 1])
    fit = max_margin(Z, y) if solver == "fast" else max_margin_cvxpy(Z, y)
    np.testing.assert_allclose(fit.beta, [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)
    assert fit.margin == pytest.approx(np.sqrt(0.5), abs=1e-6)
    assert fit.n_support == 2
    assert np.linalg.norm(fit.beta) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: project(np.ones((2, 2)), np.zeros(2), 0.5), r"^mu must be non-zero"),
        (lambda: project(np.ones((2, 2)), np.ones(2), -1.0), r"^eta must be in \(-1, inf\), got -1\.0$"),
        (lambda: classification_error(np.ones(2), np.zeros(2), 0.5), r"^mu must be non-zero"),
        (lambda: max_margin_path(np.ones((2, 2)), [1, -1], np.zeros(2), [0.0]), r"^mu must be non-zero"),
        (lambda: max_margin_path(np.ones((2, 2)), [1, -1], np.ones(2), [0.0, -1.5]), r"^etas must be in \(-1, inf\), got -1\.5$"),
        (lambda: max_margin(np.array([[1.0, 0.0], [2.0, 0.0]]), [1, -1]), r"^Z, y are not linearly separable through the origin"),
        (lambda: max_margin_cvxpy(np.array([[1.0, 0.0], [2.0, 0.0]]), [1, -1]), r"^Z, y are not linearly separable"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------- small margins and the separability rule


def test_small_margin_is_solved_accurately_by_hand():
    """One feature, y z = (m, 1, ..., 1): the max-margin classifier is w = 1/m, margin kappa = m.  At
    m = 3e-7 (above the rule's 1e-7 x data scale) the margin is exact to 1e-9 relative; 1 - sum(u) would
    have no correct digit here (kappa^2 = 9e-14)."""
    for m, scale_ in ((3e-7, 1.0), (1.5e-6, 10.0), (0.3, 1.0)):
        Z = np.array([m] + [scale_] * 99)[:, None]
        fit = max_margin(Z, np.ones(100))
        assert fit.margin == pytest.approx(m, rel=1e-9) and fit.beta[0] == pytest.approx(1.0)
        assert fit.n_support == 1


@pytest.mark.parametrize("m, scale_", [(5e-8, 1.0), (5e-7, 10.0)])
def test_margin_below_the_rule_is_not_separable(m, scale_):
    """The documented rule: kappa below 1e-7 x sqrt(mean ||x_i||^2) counts as not separable."""
    Z = np.array([m] + [scale_] * 99)[:, None]
    with pytest.raises(ValueError, match="^Z, y are not linearly separable"):
        max_margin(Z, np.ones(100))


def test_cvxpy_separability_rule_and_support_count_agree_with_the_fast_solver(rng):
    """cvxpy's threshold is 1e-6 x data scale: margin 2e-5 at scale ~10 is separable, 5e-6 is not; on a
    generic instance the support-vector counts of the two solvers agree (the minimiser itself is one)."""
    ok = max_margin_cvxpy(np.array([2e-5] + [10.0] * 99)[:, None], np.ones(100))
    assert ok.margin == pytest.approx(2e-5, rel=1e-4)
    with pytest.raises(ValueError, match="^Z, y are not linearly separable"):
        max_margin_cvxpy(np.array([5e-6] + [10.0] * 99)[:, None], np.ones(100))
    Z = rng.standard_normal((40, 5))
    y = np.sign(Z @ rng.standard_normal(5))
    a, b = max_margin(Z, y), max_margin_cvxpy(Z, y)
    assert a.n_support == b.n_support and 1 <= a.n_support <= 5


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")  # cvxpy's warning for the stopped solve
def test_cvxpy_solver_options_are_passed_on():
    """One interior-point iteration cannot reach optimality: the solver's status is reported."""
    Z = np.array([[1.0, 0.0], [0.0, -1.0], [3.0, 3.0]])
    with pytest.raises(RuntimeError, match="^max_margin_cvxpy: solver status"):
        max_margin_cvxpy(Z, [1, -1, 1], max_iter=1)


def test_is_separable_falls_back_to_the_bounded_lp_when_highs_gives_no_verdict(monkeypatch):
    """When the feasibility LP returns neither a point nor an infeasibility certificate (status 4, HiGHS's
    numerical trouble), the bounded LP decides with the rule t* > tol x max_i ||x_i||_1.  X = diag rows
    (t, 0), (0, 5), (0, 5) has t* = t (w = (1, 1)) and max row norm 5 (the sum of all rows is 10)."""
    import scipy.optimize

    import theory.svm as svm

    real = scipy.optimize.linprog

    def no_verdict(c, *a, method=None, **k):
        res = real(c, *a, method=method, **k)
        if method == "highs":
            res.status = 4
        return res

    monkeypatch.setattr(svm, "linprog", no_verdict)
    y = np.ones(3)

    def data(t):
        return np.array([[t, 0.0], [0.0, 5.0], [0.0, 5.0]])

    assert is_separable(data(7e-7), y)  # 7e-7 > 1e-7 * 5
    assert not is_separable(data(3e-7), y)  # 3e-7 < 5e-7
    assert is_separable(data(3e-7), y, tol=1e-8)
    assert not is_separable(np.array([[1.0, 0.0], [-1.0, 0.0]]), y[:2])


@pytest.mark.parametrize("call, match", [
    (lambda: project(np.ones((2, 3)), np.ones(2), 0.5), r"^h must have shape"),
    (lambda: project(np.ones(2), np.ones(2), 0.5), r"^h must be"),
    (lambda: classification_error(np.ones(2), np.ones(2), 0.5, np.nan), r"^gamma must be"),
    (lambda: max_margin_path(np.ones((2, 3)), [1, -1], np.ones(2), [0.0]), r"^h must have shape"),
    (lambda: max_margin_path(np.ones((2, 2)), [1, -1, 1], np.ones(2), [0.0]), r"^y must have shape"),
    (lambda: max_margin_path(np.ones((2, 2)), [1, -1], np.ones(2), [[0.0]]), r"^etas must be"),
    (lambda: max_margin(np.ones((2, 2)), [1, 0]), r"^y must contain only the labels -1 and \+1$"),
    (lambda: max_margin(np.array([[1.0, 0.0], [2.0, 0.0]]), [1, -1]),
     r"^Z, y are not linearly separable through the origin: the hard-margin SVM has no solution \(check with "
     r"is_separable; above delta\* this is the typical case\)$"),
])
def test_more_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
