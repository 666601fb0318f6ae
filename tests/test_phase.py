import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.phase import expansion_measure, regime, tau_star, w_eta

pos = st.floats(1e-3, 1e2)


@given(sigma2=pos, rho=pos)
def test_tau_star_is_the_root_of_its_defining_equation(sigma2, rho):
    # tau* solves 2 rho / tau = (1 + sigma2 + rho) log(1 + 2 sigma2)
    t = tau_star(sigma2, rho)
    assert 2 * rho / t == pytest.approx((1 + sigma2 + rho) * np.log(1 + 2 * sigma2), rel=1e-12)
    assert regime(sigma2, t * 1.01, rho) == "expansion"
    assert regime(sigma2, t / 1.01, rho) == "shrinkage"


@given(p=st.integers(2, 6), k=st.integers(1, 6), seed=st.integers(0, 2**16))
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
        (lambda: tau_star(0.0, 1.0), "sigma2"),
        (lambda: tau_star(1.0, -1.0), "rho"),
        (lambda: tau_star(np.nan, 1.0), "sigma2"),
        (lambda: w_eta(np.ones(2), -1.0), r"eta must be in \(-1, inf\)"),
        (lambda: w_eta(np.zeros(2), 0.5), "mu must be non-zero"),
        (lambda: expansion_measure(np.zeros((2, 2)), np.ones(2)), "W must be non-zero"),
        (lambda: expansion_measure(np.ones((2, 3)), np.ones(2)), "W must have shape"),
        (lambda: regime(1.0, 0.0, 1.0), "tau"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@given(eta=st.floats(-0.999, 1e3), p=st.integers(2, 200))
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
