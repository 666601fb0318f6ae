"""The infinite-batch NT-Xent loss on M(t) against Monte Carlo on explicit p-dimensional samples."""

import numpy as np
import pytest
from scipy.special import logsumexp

from theory.ntxent_population import cosine_terms, minimize_population_ntxent, population_ntxent
from theory.population_loss import minimize_population_loss, reduced_projector


def _monte_carlo(t, s, tau, rho, p, n_anchor=8000, n_neg=2000, seed=0):
    """Plain Monte Carlo of L_inf with explicit p-vectors (no reduction): anchors, their second views, and a
    pool of independent negatives; returns (estimate, standard error)."""
    rng = np.random.default_rng(seed)
    mu = np.zeros(p)
    mu[0] = np.sqrt(rho)
    W = reduced_projector(mu, t)

    def views(n, k):
        y = rng.choice([-1.0, 1.0], n)
        h = y[:, None] * mu + rng.standard_normal((n, p))
        return [h + np.sqrt(s) * rng.standard_normal((n, p)) for _ in range(k)]

    a, b = views(n_anchor, 2)
    (neg,) = views(n_neg, 1)
    unit = lambda z: z / np.linalg.norm(z, axis=1, keepdims=True)  # noqa: E731
    za, zb, zn = (unit(x @ W.T) for x in (a, b, neg))
    per = -np.sum(za * zb, 1) / tau + logsumexp(za @ zn.T / tau, axis=1) - np.log(n_neg)
    return per.mean(), per.std(ddof=1) / np.sqrt(n_anchor)


@pytest.mark.parametrize("t, s, tau, rho, p", [
    (0.3, 0.5, 1.0, 1.0, 5), (0.1, 0.5, 0.2, 2.0, 20), (0.0, 1.0, 1.0, 1.0, 10), (0.5, 2.0, 2.0, 0.5, 8),
    (1.0, 1.0, 1.0, 1.0, 10), (1.0, 0.3, 0.5, 4.0, 3),
])
def test_quadrature_matches_monte_carlo(t, s, tau, rho, p):
    q = population_ntxent(t, s, tau, rho, p)
    est, se = _monte_carlo(t, s, tau, rho, p)
    # 4 standard errors, the reported quadrature error, and the O(1/n_neg) bias of the finite negative pool
    assert abs(q.value - est) <= 4 * se + q.error + 2e-3, (q, est, se)


def test_structure_rho_drops_out_at_t0_and_identical_views_have_cosine_one():
    a = population_ntxent(0.0, 0.7, 1.0, 0.1, 6)
    b = population_ntxent(0.0, 0.7, 1.0, 10.0, 6)
    assert a.value == pytest.approx(b.value, abs=1e-12)  # W(0) projects mu out
    tiny = population_ntxent(0.4, 1e-3, 1.0, 1.0, 6)
    assert tiny.positive == pytest.approx(1.0, abs=2e-3)
    one = population_ntxent(1.0, 1.0, 0.5, 1.0, 6)  # rank one: the negative term is log cosh(1/tau)
    assert one.negative == pytest.approx(np.log(np.cosh(2.0)), rel=1e-12) and one.error == 0.0


def test_error_estimate_is_small_where_the_rule_converges_and_large_near_rank_one():
    assert population_ntxent(0.2, 2.0, 1.0, 2.0, 32).error < 1e-4
    hard = population_ntxent(0.95, 2.0, 5.0, 2.0, 32, n=10)
    ref = population_ntxent(0.95, 2.0, 5.0, 2.0, 32, n=22).value
    assert hard.error > 1e-3 and abs(hard.value - ref) <= 2 * hard.error


def test_the_ntxent_minimiser_differs_from_the_population_loss_minimiser():
    """At sigma2 = 2, tau = 1, rho = 2, p = 32 the NT-Xent population minimiser expands more than C's
    (SGD on NT-Xent in sims.projector_e2e learns about 0.27); a grid check confirms it is the minimum."""
    t_ntx, v = minimize_population_ntxent(2.0, 1.0, 2.0, 32, n=12)
    mu = np.zeros(32)
    mu[0] = np.sqrt(2.0)
    t_c = minimize_population_loss(mu, 2.0, 1.0).expansion_measure
    assert 0.2 < t_ntx < 0.3 and t_c < 0.2
    for t in np.linspace(0.0, 0.6, 13):
        assert population_ntxent(t, 2.0, 1.0, 2.0, 32, n=12).value >= v - 1e-6


@pytest.mark.parametrize("kwargs, name", [
    (dict(t=1.2), "t"), (dict(sigma2=0.0), "sigma2"), (dict(tau=0.01), "tau"), (dict(rho=-1.0), "rho"),
    (dict(p=1), "p"), (dict(n=2), "n"),
])
def test_bad_input_names_the_parameter(kwargs, name):
    args = dict(t=0.5, sigma2=1.0, tau=1.0, rho=1.0, p=5) | kwargs
    n = args.pop("n", 12)
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        population_ntxent(**args, n=n)


# ---------------------------------------------------------------- the limit p -> inf


@pytest.mark.parametrize("s, tau", [(0.5, 1.0), (2.0, 0.2), (0.01, 5.0)])
def test_large_p_limit_at_t0_is_the_hand_derived_value(s, tau):
    """t = 0: W projects mu out; cos+ -> <a_perp, b_perp> / |a_perp||b_perp| -> 1/(1 + s), cos- -> 0."""
    v = population_ntxent(0.0, s, tau, 1.0, None)
    assert v.positive == pytest.approx(1.0 / (1.0 + s), rel=1e-12)
    assert v.negative == pytest.approx(0.0, abs=1e-12)
    assert v.value == pytest.approx(-1.0 / (tau * (1.0 + s)), rel=1e-12)


@pytest.mark.parametrize("t, s, tau, rho", [(0.3, 0.5, 1.0, 1.0), (0.1, 2.0, 0.5, 2.0), (0.7, 1.0, 2.0, 0.5)])
def test_finite_p_quadrature_converges_to_the_limit_like_one_over_p(t, s, tau, rho):
    """The finite-p rule (chi-square quadrature, 5-D) and the 2-D limit are separate computations; their gap
    must shrink by about 4 each time p grows 4-fold (the cosines' fluctuations are O(p^-1/2), their effect on
    an expectation O(1/p)).  Both use the same 20 Gauss-Hermite nodes along mu, so the rules' error there
    (largest at high t, where the cosine turns sharply near a_u = 0) is common and the gap measures the
    p-dependence."""

    def value(p):
        pos, neg = cosine_terms(t, s, tau, rho, p, 20)
        return -pos / tau + neg

    lim = value(None)
    gaps = [abs(value(p) - lim) for p in (100, 400, 1600)]
    assert 3.0 < gaps[0] / gaps[1] < 5.5 and 3.0 < gaps[1] / gaps[2] < 5.5, gaps


def test_large_p_limit_against_monte_carlo_of_explicit_vectors():
    """Plain Monte Carlo at p = 3000 with explicit vectors (no reduction); the tolerance adds the finite-p
    offset |L_p - L_inf| from the separate finite-p rule (of order 1e-4 here)."""
    t, s, tau, rho, p = 0.3, 0.5, 1.0, 1.0, 3000
    est, se = _monte_carlo(t, s, tau, rho, p, n_anchor=1500, n_neg=1500, seed=3)
    lim = population_ntxent(t, s, tau, rho, None, n=24)
    offset = abs(population_ntxent(t, s, tau, rho, p).value - lim.value)
    assert abs(est - lim.value) <= 4 * se + lim.error + offset + 2e-3, (est, se, lim, offset)


def test_large_p_minimiser_is_the_limit_of_the_finite_p_minimisers():
    t_inf, _ = minimize_population_ntxent(2.0, 1.0, 2.0, None, n=24)
    t_p = [minimize_population_ntxent(2.0, 1.0, 2.0, p)[0] for p in (32, 256)]
    assert abs(t_p[1] - t_inf) < abs(t_p[0] - t_inf), (t_p, t_inf)
    assert abs(t_p[1] - t_inf) < 0.01, (t_p, t_inf)


# documented ranges: t [0, 1], sigma2 [1e-3, 1e2], tau [0.05, 1e3], rho [1e-3, 1e2], p [2, 1e6], n [4, 40]
_EDGES = [("t", 0.0, 1.0, 1e-9), ("sigma2", 1e-3, 1e2, 1e-9), ("tau", 0.05, 1e3, 1e-9), ("rho", 1e-3, 1e2, 1e-9),
          ("p", 2, 10**6, 1), ("n", 4, 40, 1)]


@pytest.mark.parametrize("name, low, high, step", _EDGES)
def test_every_range_end_is_accepted_and_just_beyond_it_refused(name, low, high, step):
    """Both ends of each documented range pass validation; a step beyond either end names the parameter."""
    from theory.ntxent_population import _check

    base = dict(t=0.5, sigma2=1.0, tau=1.0, rho=1.0, p=5, n=12)
    for v in (low, high):
        got = _check(**(base | {name: v}))
        assert got[list(base).index(name)] == v
    for v in (low - step * max(1.0, abs(low)), high + step * max(1.0, abs(high))):
        v = int(v) if isinstance(low, int) else v
        with pytest.raises(ValueError, match=rf"^{name} must be"):
            _check(**(base | {name: v}))
    assert _check(**(base | {"p": None}))[4] is None  # the limit p -> inf
