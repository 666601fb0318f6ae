"""tau_C, the slope of C at rank one, and the low-temperature law, against independent computations.

Oracles: finite differences of the reduced loss (Richardson), a 50-digit
mpmath derivative and root, the global minimiser of the reduced loss on a
dense grid, and the asymptotic limits derived by hand in the docs.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from theory.exact_boundary import low_temperature_deficit, rank_one_slope, tau_c
from theory.phase import tau_star
from theory.population_loss import minimize_reduced, reduced_loss

from _budget import examples

logu = lambda lo, hi: st.floats(math.log10(lo), math.log10(hi)).map(lambda e: 10.0**e)  # noqa: E731


def _fd_slope(s, tau, rho, p, h=1e-4):
    """One-sided Richardson-extrapolated dC/dt at t = 1 from values of the reduced loss (t <= 1 only)."""
    def d(hh):
        return (reduced_loss(1.0, s, tau, rho, p) - reduced_loss(1.0 - hh, s, tau, rho, p)) / hh
    return 2 * d(h / 2) - d(h)  # the O(h) terms cancel


@settings(max_examples=examples(40), deadline=None)
@given(logu(1e-2, 1e1), logu(1e-2, 1e2), logu(1e-2, 1e1))
@example(0.5, 1.0, 1.0)
@example(0.01, 100.0, 0.01)
def test_rank_one_slope_is_the_derivative_of_C_for_every_p(s, tau, rho):
    want = rank_one_slope(s, tau, rho)
    scale = abs(want) + 1e-3 / tau
    for p in (2, 20, 500):  # the slope at t = 1 does not depend on p
        h = 1e-4 * min(1.0, tau) / p
        assert abs(_fd_slope(s, tau, rho, p, h) - want) <= 2e-4 * scale, p


def _mp_slope(s, tau, rho, p=7):
    """d/dt of the reduced exact loss at t = 1, by 50-digit numerical differentiation."""
    s, tau, rho = mp.mpf(s), mp.mpf(tau), mp.mpf(rho)

    def C(t):
        D = 1 / (tau * (1 + s + rho * t))
        b = 2 * (1 + s) * D
        a = 2 * D * rho * t / (1 + b * t)
        return (s * D - mp.log(1 + b * t) / 2 + mp.log((1 + mp.exp(-a)) / 2)
                - (p - 1) * mp.log(1 + b * (1 - t) / (p - 1)) / 2)

    return mp.diff(C, 1)


@pytest.mark.parametrize("s, rho", [(1e-3, 1e-3), (0.5, 1.0), (2.0, 0.25), (10.0, 0.25), (1e2, 1e2), (1e-3, 1e2),
                                    (1e2, 1e-3)])
def test_tau_c_matches_a_50_digit_root(s, rho):
    with mp.workdps(50):
        guess = mp.mpf(tau_star(s, rho))
        lo, hi = guess / 2, guess * 10
        while _mp_slope(s, hi, rho) > 0:  # bracket the sign change
            hi *= 10
        while _mp_slope(s, lo, rho) < 0:
            lo /= 10
        for _ in range(120):  # bisection in log tau: a bracket of 1e-36 relative
            mid = mp.sqrt(lo * hi)
            if _mp_slope(s, mid, rho) > 0:
                lo = mid
            else:
                hi = mid
        root = mp.sqrt(lo * hi)
    assert tau_c(s, rho) == pytest.approx(float(root), rel=1e-10)


@pytest.mark.parametrize("p", [2, 20, 200])
def test_the_global_minimiser_is_rank_one_exactly_above_tau_c(p):
    """Certified on a grid: above tau_C no t in [0, 1) beats t = 1; below it some t does."""
    t = np.linspace(0.0, 1.0, 20001)[:, None]
    s, rho = np.meshgrid([1e-3, 0.1, 1.0, 10.0, 100.0], [1e-3, 0.1, 1.0, 10.0, 100.0], indexing="ij")
    s, rho = s.ravel(), rho.ravel()
    tc = tau_c(s, rho)
    for factor in (1 + 1e-6, 1.5, 10.0, 1e3):
        tau = tc * factor
        gap = reduced_loss(t, s, tau, rho, p) - reduced_loss(1.0, s, tau, rho, p)
        tol = 1e-13 * np.abs(reduced_loss(1.0, s, tau, rho, p)) + 1e-300
        assert np.all(gap >= -tol), factor
    below = tc * (1 - 1e-3)
    near = np.linspace(1 - 1e-3, 1.0, 2001)[:, None]  # the better t is close to 1 just below tau_C
    gap = reduced_loss(near, s, below, rho, p) - reduced_loss(1.0, s, below, rho, p)
    assert np.all(gap.min(axis=0) < 0)


@pytest.mark.parametrize("p", [2, 20])
def test_tau_c_agrees_with_the_minimiser_based_boundary(p):
    s = np.geomspace(0.01, 10, 7)
    for rho in (0.25, 1.0, 4.0):
        tc = tau_c(s, rho)
        above = minimize_reduced(s, tc * (1 + 1e-4), rho, p, "exact")[0]
        below = minimize_reduced(s, tc * (1 - 1e-4), rho, p, "exact")[0]
        assert np.all(above == 1.0) and np.all(below < 1.0)


def test_tau_c_is_above_tau_star_and_the_ratio_spans_orders_of_magnitude():
    s, rho = np.meshgrid(np.geomspace(1e-3, 1e2, 30), np.geomspace(1e-3, 1e2, 30))
    ratio = tau_c(s, rho) / tau_star(s, rho)
    assert np.all(ratio > 1)
    assert tau_c(10.0, 0.25) / tau_star(10.0, 0.25) > 6000 and tau_c(0.01, 4.0) / tau_star(0.01, 4.0) < 2.2


@pytest.mark.parametrize("rho", [0.1, 1.0, 5.0])
def test_ratio_limit_as_sigma2_goes_to_zero(rho):
    want = (rho**2 + 4 * rho + 2) / rho**2
    errs = [abs(tau_c(s, rho) / tau_star(s, rho) / want - 1) for s in (1e-3, 1e-4, 1e-5)]
    assert errs[-1] < 1e-4 and errs[0] > errs[1] > errs[2]  # converging


def test_ratio_limits_for_large_rho_large_sigma2_and_small_rho():
    assert [tau_c(1.0, r) / tau_star(1.0, r) - 1 for r in (1e4, 1e5, 1e6)] == pytest.approx([0, 0, 0], abs=5e-4)
    big = [tau_c(S, 1.0) / tau_star(S, 1.0) / (S**2 * math.log(2 * S)) for S in (1e3, 1e4, 1e5)]
    assert abs(big[-1] - 1) < 1e-3 and abs(big[0] - 1) > abs(big[-1] - 1)
    s0 = 1.0
    small = [tau_c(s0, r) / tau_star(s0, r) / ((1 + s0) ** 3 * math.log(1 + 2 * s0) / (s0 * r * r))
             for r in (1e-3, 1e-4, 1e-5)]
    assert abs(small[-1] - 1) < 1e-4 and abs(small[0] - 1) > abs(small[-1] - 1)


@pytest.mark.parametrize("s, rho, p", [(0.5, 1.0, 20), (2.0, 0.25, 5), (0.1, 4.0, 50)])
def test_low_temperature_law(s, rho, p):
    """(1 - t*) / law -> 1 as tau -> 0, with t* the global minimiser of the reduced exact loss."""
    taus = np.array([1e-4, 1e-5, 1e-6])
    t = minimize_reduced(s, taus, rho, p, "exact", n_grid=4097)[0]
    ratio = (1 - t) / low_temperature_deficit(taus, s, rho, p)
    err = np.abs(ratio - 1)
    assert err[-1] < 2e-2 and np.all(np.diff(err) < 0)


def test_re_expansion_at_low_temperature_is_a_small_p_effect():
    t = {p: float(minimize_reduced(0.5, 1e-3, 1.0, p, "exact", n_grid=4097)[0]) for p in (20, 512)}
    assert t[20] > 0.85 and t[512] < 0.05


@pytest.mark.parametrize("call, name", [
    (lambda: tau_c(0.0, 1.0), "sigma2"), (lambda: tau_c(1.0, -1.0), "rho"), (lambda: tau_c(1e7, 1.0), "sigma2"),
    (lambda: tau_c("a", 1.0), "sigma2"), (lambda: rank_one_slope(1.0, 0.0, 1.0), "tau"),
    (lambda: low_temperature_deficit(1e-3, 0.5, 1.0, 1), "p"), (lambda: tau_c(1.0, np.nan), "rho"),
])
def test_bad_input_names_the_parameter_and_range(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        call()


def test_tau_c_is_the_root_of_the_slope_of_C_on_explicit_projectors():
    """Oracle independent of the reduced family: C (population_loss) on explicit p x p projectors."""
    from scipy.optimize import brentq

    from _oracles import slope_at_rank_one
    from theory.population_loss import population_loss

    for s in (0.01, 0.5, 10.0):
        tc = tau_c(s, 1.0)
        root = np.exp(brentq(lambda lt: slope_at_rank_one(population_loss, s, np.exp(lt), 1.0, 20),
                             np.log(tc) - 1, np.log(tc) + 1, xtol=1e-12))
        assert root == pytest.approx(tc, rel=1e-5)


@pytest.mark.parametrize("fn, args", [
    (rank_one_slope, dict(sigma2=0.5, tau=1.0, rho=1.0)),
    (tau_c, dict(sigma2=0.5, rho=1.0)),
    (low_temperature_deficit, dict(tau=1e-3, sigma2=0.5, rho=1.0, p=2)),
])
def test_every_parameter_is_named_and_scalars_give_floats(fn, args):
    value = fn(**args)
    assert type(value) is float and np.isfinite(value)
    assert np.asarray(fn(**{k: (np.array([v, v]) if k != "p" else v) for k, v in args.items()})).shape == (2,)
    for name in args:
        if name == "p":
            continue
        with pytest.raises(ValueError, match=rf"^{name} must be in \["):
            fn(**(args | {name: -1.0}))
        with pytest.raises(ValueError, match=rf"^{name} must be a real number"):
            fn(**(args | {name: "x"}))


def test_low_temperature_law_is_linear_in_p_minus_one():
    d = [low_temperature_deficit(1e-4, 0.5, 1.0, p) for p in (2, 3, 11)]
    assert d[1] == pytest.approx(2 * d[0], rel=1e-14) and d[2] == pytest.approx(10 * d[0], rel=1e-14)
