import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from theory.phase import expansion_measure, regime, tau_star, w_eta
from theory.population_loss import first_order_loss

from _oracles import explicit_projector, slope_at_rank_one

pos = st.floats(1e-3, 1e2)


@given(sigma2=st.floats(1e-2, 1e2), rho=st.floats(1e-2, 1e2))
@example(sigma2=1e-2, rho=1e2)  # tau* large
@example(sigma2=1e2, rho=1e-2)  # tau* tiny
@example(sigma2=1.0, rho=1.0)
def test_tau_star_is_where_the_first_order_minimiser_becomes_rank_one(sigma2, rho):
    """Independent of the closed form: the temperature at which L~'s slope at t = 1 changes sign,
    found by brentq on first_order_loss evaluated at explicit projectors, and the minimiser found by a
    bounded scalar search on either side."""
    from scipy.optimize import brentq, minimize_scalar

    ts = tau_star(sigma2, rho)
    root = brentq(lambda lt: slope_at_rank_one(first_order_loss, sigma2, np.exp(lt), rho, 4), np.log(ts) - 3, np.log(ts) + 3,
                  xtol=1e-12)
    assert np.exp(root) == pytest.approx(ts, rel=1e-6)  # O(h^2) difference, h = 1e-5
    mu = np.array([np.sqrt(rho), 0.0, 0.0])
    for tau, rank_one in ((ts * 1.05, True), (ts / 1.05, False)):
        res = minimize_scalar(lambda t: first_order_loss(explicit_projector(t, 3), mu, sigma2, tau), bounds=(0.0, 1.0),
                              method="bounded",
                              options={"xatol": 1e-10})
        assert (res.x > 1 - 1e-6) == rank_one
        assert regime(sigma2, tau, rho) == ("expansion" if rank_one else "shrinkage")


@given(p=st.integers(2, 6), k=st.integers(1, 6), seed=st.integers(0, 2**16))
@example(p=2, k=1, seed=0)
@example(p=6, k=6, seed=2 ** 16)
def test_expansion_measure_invariances_and_range(p, k, seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((k, p))
    mu = rng.standard_normal(p)
    e = expansion_measure(W, mu)
    assert 0.0 <= e <= 1.0 + 1e-12
    U, _ = np.linalg.qr(rng.standard_normal((k, k)))
    assert expansion_measure(3.7 * U @ W, mu) == pytest.approx(e, rel=1e-9)
    # reflection fixing mu
    v = rng.standard_normal(p)
    v -= (v @ mu) / (mu @ mu) * mu
    Q = np.eye(p) - 2 * np.outer(v, v) / (v @ v)
    assert expansion_measure(W @ Q, mu) == pytest.approx(e, rel=1e-9)


def test_expansion_measure_is_one_for_rank_one_aligned():
    mu = np.array([1.0, 2.0, -1.0])
    assert expansion_measure(np.outer([1.0, 3.0], mu), mu) == pytest.approx(1.0)
    assert expansion_measure(np.eye(3), mu) == pytest.approx(1 / 3)


@given(eta=st.floats(-0.99, 50), seed=st.integers(0, 1000))
@example(eta=-0.99, seed=0)
@example(eta=50, seed=1000)
def test_w_eta_acts_on_mu_only(eta, seed):
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal(4)
    W = w_eta(mu, eta)
    assert np.allclose(W @ mu, (1 + eta) * mu)
    v = rng.standard_normal(4)
    v -= (v @ mu) / (mu @ mu) * mu
    assert np.allclose(W @ v, v)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: tau_star(0.0, 1.0), r"^sigma2 must be finite and in \(0, inf\)$"),
        (lambda: tau_star(1.0, -1.0), r"^rho must be finite and in \(0, inf\)$"),
        (lambda: tau_star(1.0, 0.0), r"^rho must be finite and in \(0, inf\)$"),  # the open end point
        (lambda: tau_star([1.0, 0.0], 1.0), r"^sigma2 must be"),  # one bad entry of an array
        (lambda: tau_star(np.nan, 1.0), r"^sigma2 must be finite"),
        (lambda: tau_star(1.0, np.inf), r"^rho must be finite"),
        (lambda: tau_star("a", 1.0), r"^sigma2 must be a real number"),
        (lambda: tau_star(1.0, "b"), r"^rho must be a real number"),
        (lambda: w_eta(np.ones(2), -1.0), r"^eta must be in \(-1, inf\)"),
        (lambda: w_eta(np.zeros(2), 0.5), r"^mu must be non-zero"),
        (lambda: expansion_measure(np.zeros((2, 2)), np.ones(2)), r"^W must be non-zero \(\|\|W\|\|_F > 0\)$"),
        (lambda: expansion_measure(np.ones((2, 2)), np.zeros(2)), r"^mu must be non-zero"),
        (lambda: expansion_measure(np.ones((2, 3)), np.ones(2)), r"^W must have shape"),
        (lambda: regime(1.0, 0.0, 1.0), r"^tau must be in \(0, inf\)"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@given(eta=st.floats(-0.999, 1e3), p=st.integers(2, 200))
@example(eta=-0.999, p=2)
@example(eta=1000.0, p=200)
def test_eta_from_expansion_measure_inverts_w_eta(eta, p):
    from theory.phase import eta_from_expansion_measure

    mu = np.zeros(p)
    mu[0] = 1.3
    t = expansion_measure(w_eta(mu, eta), mu)
    assert eta_from_expansion_measure(t, p) == pytest.approx(eta, rel=1e-6, abs=1e-6)


def test_eta_from_expansion_measure_end_points_and_bad_input():
    from theory.phase import eta_from_expansion_measure

    assert eta_from_expansion_measure(1.0, 5) == np.inf
    assert eta_from_expansion_measure(0.0, 5) == -1.0
    with pytest.raises(ValueError, match="t must be in"):
        eta_from_expansion_measure(1.5, 5)
    with pytest.raises(ValueError, match="p must be"):
        eta_from_expansion_measure(0.5, 1)


def test_return_types_follow_the_inputs():
    """Scalars in, Python floats out; arrays in, arrays of the broadcast shape out."""
    assert type(tau_star(1.0, 2.0)) is float
    out = tau_star(np.array([0.5, 1.0]), 2.0)
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    assert tau_star(np.array([[0.5], [1.0]]), np.array([1.0, 2.0, 3.0])).shape == (2, 3)
    assert type(tau_star(1, 2)) is float and tau_star(1, 2) == pytest.approx(tau_star(1.0, 2.0), rel=1e-15)
    from theory.phase import eta_from_expansion_measure

    assert type(eta_from_expansion_measure(0.5, 3)) is float
    e = eta_from_expansion_measure([0.0, 0.5, 1.0], 3)
    assert isinstance(e, np.ndarray) and e.shape == (3,)
    np.testing.assert_allclose(e, [-1.0, np.sqrt(2.0) - 1.0, np.inf])  # hand: 1 + eta = sqrt(t (p-1) / (1-t))


def test_regime_at_exactly_tau_star_is_expansion():
    """Theorem 1: rank one iff tau >= tau*, so the threshold itself belongs to the expansion regime."""
    for s2, rho in ((0.3, 1.0), (2.0, 0.5)):
        ts = tau_star(s2, rho)
        assert regime(s2, ts, rho) == "expansion"
        assert regime(s2, np.nextafter(ts, 0.0), rho) == "shrinkage"


@pytest.mark.parametrize("t", [-1e-12, -0.5, 1.0 + 1e-12, np.nan, np.inf])
def test_eta_from_expansion_measure_refuses_t_outside_the_unit_interval(t):
    from theory.phase import eta_from_expansion_measure

    with pytest.raises(ValueError, match=r"^t must be in \[0, 1\]$"):
        eta_from_expansion_measure(t, 4)
    with pytest.raises(ValueError, match=r"^t must be in \[0, 1\]$"):
        eta_from_expansion_measure([0.5, t], 4)
