"""Tests of the CGMT characterisation (theory.maxmargin, Theorem 2)."""

import warnings

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import integrate
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import norm

from theory.gmm import sample_gmm
from theory.maxmargin import (
    AboveSeparabilityThresholdWarning,
    asymptotic_cosine,
    asymptotic_error,
    asymptotic_margin,
    bayes_error,
    error_limit_at_threshold,
    error_limit_eta_to_infinity,
    error_limit_eta_to_minus_one,
    gaussian_hinge_moment,
    separability_cosine,
    separability_threshold,
)
from theory.svm import classification_error, max_margin_cvxpy, max_margin_path

rhos = st.floats(0.05, 9.0)
fracs = st.floats(0.02, 0.97)  # delta / delta*(rho)
etas = st.floats(-0.95, 50.0)


# ------------------------------------------------------------------ the Gaussian moment F


@given(t=st.floats(-8.0, 8.0))
@example(t=-8.0)
@example(t=8.0)
def test_hinge_moment_matches_quadrature(t):
    ref, _ = integrate.quad(lambda z: (t + z) ** 2 * norm.pdf(z), -t, np.inf, epsabs=0, epsrel=1e-12)
    assert gaussian_hinge_moment(t) == pytest.approx(ref, rel=1e-9, abs=1e-300)


def test_hinge_moment_tails():
    # F(-u) ~ 2 phi(u) / u^3 (1 - 6/u^2 + ...) and F(u) ~ 1 + u^2
    u = np.array([15.0, 25.0, 35.0])
    lead = 2 * norm.pdf(u) / u**3 * (1 - 6 / u**2 + 45 / u**4)
    assert np.allclose(gaussian_hinge_moment(-u), lead, rtol=1e-5)
    assert gaussian_hinge_moment(0.0) == pytest.approx(0.5)
    assert gaussian_hinge_moment(30.0) == pytest.approx(1 + 900.0, rel=1e-15)


# ------------------------------------------------------------------ an independent solver


def _kappa_bruteforce(rho, eta, delta):
    """max kappa of the auxiliary optimisation, straight from its 2-d form.

    Feasibility of margin kappa at beta = (b, r) with b = cos(theta) along mu
    and r = sin(theta) orthogonal:  delta E[(kappa - a s - a U - r H)_+^2] <= r^2,
    a = (1 + eta) b, U, H iid N(0, 1).  The inner expectation over H is
    r^2 F((kappa - a s - a u)/r); the outer one over U is done by quadrature,
    kappa by root finding and theta by a bounded scalar search -- no use of
    the one-dimensional reduction in c or of F^{-1}.
    """
    s = np.sqrt(rho)

    def lhs(kappa, theta):
        a, r = (1 + eta) * np.cos(theta), np.sin(theta)
        val, _ = integrate.quad(
            lambda u: r * r * gaussian_hinge_moment((kappa - a * s - a * u) / r) * norm.pdf(u),
            -12,
            12,
            epsabs=0,
            epsrel=1e-11,
            limit=200,
        )
        return delta * val - r * r

    def kappa_of(theta):
        hi = 1.0
        while lhs(hi, theta) < 0:
            hi *= 2
        return brentq(lambda k: lhs(k, theta), -20.0, hi, xtol=1e-13)

    res = minimize_scalar(lambda th: -kappa_of(th), bounds=(1e-3, np.pi / 2 - 1e-3), method="bounded",
                          options={"xatol": 1e-10})
    theta = res.x
    a, r = (1 + eta) * np.cos(theta), np.sin(theta)
    return -res.fun, a / np.hypot(a, r)


@pytest.mark.slow
@pytest.mark.parametrize("rho, eta, delta", [(2.0, 1.5, 2.5), (0.5, -0.6, 1.2)])
def test_scalar_reduction_matches_two_dimensional_auxiliary_problem(rho, eta, delta):
    kappa, c = _kappa_bruteforce(rho, eta, delta)
    assert asymptotic_margin(rho, eta, delta) == pytest.approx(kappa, abs=1e-7)
    # the cosine is a flat maximiser of kappa: sqrt(1e-14)-accuracy of the search
    assert asymptotic_cosine(rho, eta, delta) == pytest.approx(c, abs=2e-5)


@pytest.mark.parametrize("rho", [0.3, 1.3, 4.0])
def test_threshold_from_the_two_dimensional_problem_at_zero_margin(rho):
    # second algorithm: at kappa = 0 the feasibility condition reads
    # delta <= r^2 / E[(-a s - a U - r H)_+^2] (any eta: a = (1+eta) cos(theta)
    # only reparametrises theta); maximise over theta with quadrature
    s = np.sqrt(rho)

    def ratio(theta, eta=0.7):
        a, r = (1 + eta) * np.cos(theta), np.sin(theta)
        val, _ = integrate.quad(
            lambda u: r * r * gaussian_hinge_moment((-a * s - a * u) / r) * norm.pdf(u),
            -12, 12, epsabs=0, epsrel=1e-12, limit=200,
        )
        return r * r / val

    res = minimize_scalar(lambda th: -ratio(th), bounds=(1e-3, np.pi / 2 - 1e-3), method="bounded",
                          options={"xatol": 1e-10})
    assert separability_threshold(rho) == pytest.approx(-res.fun, rel=1e-8)


# ------------------------------------------------------------------ properties of Theorem 2


@given(rho=rhos, frac=fracs, e1=etas, e2=etas)
@example(rho=0.05, frac=0.02, e1=-0.95, e2=-0.95)
@example(rho=9.0, frac=0.97, e1=50.0, e2=50.0)
def test_error_is_non_increasing_in_eta(rho, frac, e1, e2):
    lo, hi = sorted((e1, e2))
    delta = frac * separability_threshold(rho)
    err_lo, err_hi = asymptotic_error(rho, [lo, hi], delta)
    assert err_hi <= err_lo + 1e-13
    k_lo, k_hi = asymptotic_margin(rho, [lo, hi], delta)
    assert k_hi >= k_lo - 1e-13  # the norm constraint relaxes as q_eta grows
    if hi - lo > 0.05:
        assert err_hi < err_lo  # strictly


@given(rho=rhos, frac=fracs, eta=etas)
@example(rho=0.05, frac=0.02, eta=-0.95)
@example(rho=9.0, frac=0.97, eta=50.0)
def test_error_above_bayes_and_margin_positive(rho, frac, eta):
    delta = frac * separability_threshold(rho)
    err = asymptotic_error(rho, eta, delta)
    assert bayes_error(rho) < err < 0.5
    assert asymptotic_margin(rho, eta, delta) > 0
    assert 0.0 < asymptotic_cosine(rho, eta, delta) < 1.0


@given(rho=rhos, frac=fracs)
@example(rho=0.05, frac=0.02)
@example(rho=9.0, frac=0.97)
def test_limit_eta_to_infinity_is_strictly_above_bayes(rho, frac):
    delta = frac * separability_threshold(rho)
    lim = error_limit_eta_to_infinity(rho, delta)
    assert asymptotic_error(rho, 1e9, delta) == pytest.approx(lim, abs=1e-7)
    assert lim > bayes_error(rho)
    assert lim <= asymptotic_error(rho, 100.0, delta) + 1e-13


@given(rho=rhos, frac=fracs)
@example(rho=0.05, frac=0.02)
@example(rho=9.0, frac=0.97)
def test_limit_eta_to_minus_one(rho, frac):
    """The closed-form limit against Err* itself at eta = -1 + 1e-10 (an independent path: the scalar
    problem with q_eta ~ -1e20, no special branch); convergence is slow near Cover's delta = 2 (c* ~ 1/|q|)."""
    delta = frac * separability_threshold(rho)
    lim = error_limit_eta_to_minus_one(rho, delta)
    assert bayes_error(rho) < lim <= 0.5
    if abs(delta - 2.0) > 0.05:
        assert asymptotic_error(rho, -1 + 1e-10, delta) == pytest.approx(lim, abs=1e-3)


@pytest.mark.slow
def test_limit_eta_to_minus_one_against_finite_sample_svms():
    """delta = 1 < 2: the noise coordinates alone separate, so a max-margin SVM on strongly shrunk features
    (eta = -1 + 1e-3) ignores the signal and errs about half the time; delta = 3 > 2 (rho = 4, delta* = 20.7):
    it must use the signal. Exact test errors of SVMs at p = 300, 6 replicates, against Err* at that eta."""
    p, reps, eta = 300, 6, -1 + 1e-3
    for rho, delta in ((1.0, 1.0), (4.0, 3.0)):
        n = int(delta * p)
        errs = []
        for r in range(reps):
            mu = np.zeros(p)
            mu[0] = np.sqrt(rho)
            h, y = sample_gmm(n, mu, seed=1000 * r + int(10 * delta))
            beta = max_margin_path(h, y, mu, [eta])[0].beta
            errs.append(classification_error(beta, mu, eta))
        errs = np.array(errs)
        theory = asymptotic_error(rho, eta, delta)
        se = errs.std(ddof=1) / np.sqrt(reps)
        assert abs(errs.mean() - theory) < 4 * se + 0.01  # + finite-p bias
        lim = error_limit_eta_to_minus_one(rho, delta)
        if delta < 2:
            assert lim == 0.5 and abs(errs.mean() - 0.5) < 4 * se + 0.02
        else:
            assert lim < 0.45 and errs.mean() < 0.45


@given(rho=rhos, eta=etas)
@example(rho=0.05, eta=-0.95)
@example(rho=9.0, eta=50.0)
def test_limit_at_threshold_is_eta_free(rho, eta):
    dstar = separability_threshold(rho)
    delta = dstar * (1 - 1e-9)
    assert asymptotic_error(rho, eta, delta) == pytest.approx(error_limit_at_threshold(rho), abs=1e-4)
    assert 0 < asymptotic_margin(rho, eta, delta) < 1e-3
    assert asymptotic_cosine(rho, eta, delta) == pytest.approx(separability_cosine(rho), abs=1e-4)


@given(rho=rhos, eta=etas)
@example(rho=0.05, eta=-0.95)
@example(rho=9.0, eta=50.0)
def test_threshold_does_not_depend_on_eta(rho, eta):
    dstar = separability_threshold(rho)
    assert np.isfinite(asymptotic_margin(rho, eta, dstar * (1 - 1e-6)))
    with pytest.warns(AboveSeparabilityThresholdWarning, match="delta"):
        assert np.isnan(asymptotic_margin(rho, eta, dstar * (1 + 1e-6)))


def test_threshold_known_values_and_monotonicity():
    # Cover (1965): delta*(0+) = 2; and delta* increases with rho
    assert separability_threshold(1e-8) == pytest.approx(2.0, abs=1e-6)
    d = separability_threshold(np.linspace(0.1, 6, 30))
    assert np.all(np.diff(d) > 0)


def test_vectorised_equals_scalar():
    rho = np.array([[0.5], [2.0]])
    eta = np.array([-0.5, 0.0, 3.0])
    err = asymptotic_error(rho, eta, 1.5)
    kap = asymptotic_margin(rho, eta, 1.5)
    assert err.shape == kap.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert err[i, j] == asymptotic_error(float(rho[i, 0]), float(eta[j]), 1.5)
            assert kap[i, j] == asymptotic_margin(float(rho[i, 0]), float(eta[j]), 1.5)


def test_grid_crossing_the_threshold_returns_nan_with_one_warning():
    dstar = separability_threshold(1.0)
    deltas = np.array([0.5, dstar * 0.99, dstar, dstar * 1.5])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        err = asymptotic_error(1.0, 0.0, deltas)
    assert [w.category for w in rec] == [AboveSeparabilityThresholdWarning]
    assert "2 grid point" in str(rec[0].message)
    assert np.all(np.isfinite(err[:2])) and np.all(np.isnan(err[2:]))


# ------------------------------------------------------------------ against finite samples


@pytest.mark.slow
def test_asymptotics_agree_with_finite_sample_svm_at_p400():
    """Err* and kappa* against the exact SVM at p = 400, R = 20 replicates.

    Tolerance: 4 standard errors of the replicate mean (se = sd / sqrt(R),
    sd the replicate spread), i.e. a two-sided test at level ~6e-5 per
    comparison if the finite-p bias is negligible (it is O(1/p) here, below
    one se).  The replicates use the fast exact solver, which the first
    replicate checks against the cvxpy reference.
    """
    p, R = 400, 20
    eta = np.array([-0.6, 0.0, 2.0])
    for rho, delta in [(1.0, 0.5), (2.0, 1.5)]:
        n = int(delta * p)
        mu = np.zeros(p)
        mu[0] = np.sqrt(rho)
        err = np.empty((R, eta.size))
        kap = np.empty((R, eta.size))
        for r in range(R):
            h, y = sample_gmm(n, mu, seed=10_000 + r)
            fits = max_margin_path(h, y, mu, eta)
            err[r] = [classification_error(f.beta, mu, e) for f, e in zip(fits, eta)]
            kap[r] = [f.margin for f in fits]
            if r == 0:
                ref = max_margin_cvxpy(h + 2.0 * np.outer(h @ mu / rho, mu), y)  # eta = 2
                assert ref.margin == pytest.approx(fits[2].margin, abs=1e-6)
        for sim, th in [(err, asymptotic_error(rho, eta, delta)), (kap, asymptotic_margin(rho, eta, delta))]:
            se = sim.std(axis=0, ddof=1) / np.sqrt(R)
            assert np.all(np.abs(sim.mean(axis=0) - th) <= 4 * se), (rho, delta, sim.mean(axis=0), th, se)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: separability_threshold(0.0), r"rho must be in \(0, 1000\]"),
        (lambda: separability_threshold(-1.0), "rho"),
        (lambda: asymptotic_error(1.0, -1.0, 1.0), r"eta must be in \(-1, inf\)"),
        (lambda: asymptotic_error(1.0, [0.0, -2.0], 1.0), "eta"),
        (lambda: asymptotic_margin(1.0, 0.0, 0.0), r"delta must be in \(0, inf\)"),
        (lambda: asymptotic_margin(np.nan, 0.0, 1.0), "rho must be finite"),
        (lambda: asymptotic_margin(1.0, np.inf, 1.0), "eta must be finite"),
        (lambda: asymptotic_error(1.0, "a", 1.0), "eta"),
        (lambda: asymptotic_error([1.0, 2.0], [0.0, 1.0, 2.0], 1.0), "broadcast"),
        (lambda: error_limit_eta_to_infinity(1.0, -1.0), "delta"),
        (lambda: gaussian_hinge_moment(np.nan), "t must"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------ the rho range of every formula, and return types

_OF_RHO = {  # every public formula as a function of rho (other arguments at valid values)
    "bayes_error": bayes_error,
    "separability_threshold": separability_threshold,
    "separability_cosine": separability_cosine,
    "asymptotic_error": lambda r: asymptotic_error(r, 0.5, 1.0),
    "asymptotic_margin": lambda r: asymptotic_margin(r, 0.5, 1.0),
    "asymptotic_cosine": lambda r: asymptotic_cosine(r, 0.5, 1.0),
    "error_limit_eta_to_minus_one": lambda r: error_limit_eta_to_minus_one(r, 1.0),
    "error_limit_eta_to_infinity": lambda r: error_limit_eta_to_infinity(r, 1.0),
    "error_limit_at_threshold": error_limit_at_threshold,
}
_WHY = " (above it delta*(rho) > 1e218 and Err* < 1e-218 leave double precision; the limits are delta* = inf, Err* = 0)"


@pytest.mark.parametrize("name", sorted(_OF_RHO))
@pytest.mark.parametrize("bad, message", [
    (0.0, "rho must be in (0, 1000], got 0.0"),
    (-1.0, "rho must be in (0, 1000], got -1.0"),
    (1000.0000001, "rho must be in (0, 1000], got 1000.0000001" + _WHY),
    (np.nan, "rho must be finite and in (0, 1000]"),
    (np.inf, "rho must be finite and in (0, 1000]"),
    ("ab", "rho must be a real number or array in (0, 1000]"),
])
def test_every_formula_refuses_rho_outside_its_range_with_the_whole_message(name, bad, message):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AboveSeparabilityThresholdWarning)
        with pytest.raises(ValueError) as err:
            _OF_RHO[name](bad)
    assert str(err.value) == message


@pytest.mark.parametrize("name", sorted(_OF_RHO))
def test_every_formula_returns_a_float_for_a_scalar_and_an_array_for_an_array(name):
    import warnings

    f = _OF_RHO[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AboveSeparabilityThresholdWarning)
        one, many, top = f(1.0), f(np.array([1.0, 2.0])), f(1000.0)  # RHO_MAX itself is accepted
    assert type(one) is float and type(top) is float
    assert isinstance(many, np.ndarray) and many.shape == (2,)
    assert many[0] == pytest.approx(one, rel=1e-15) and many[1] == pytest.approx(f(2.0), rel=1e-15)


@pytest.mark.parametrize("eta, message", [
    (-1.0, "eta must be in (-1, inf), got -1.0"), (-1.5, "eta must be in (-1, inf), got -1.5"),
    (np.nan, "eta must be finite and in (-1, inf)"), ("x", "eta must be a real number or array in (-1, inf)"),
])
def test_eta_range_message(eta, message):
    with pytest.raises(ValueError) as err:
        asymptotic_error(1.0, eta, 1.0)
    assert str(err.value) == message


@pytest.mark.parametrize("delta, message", [
    (0.0, "delta must be in (0, inf), got 0.0"), (-1.0, "delta must be in (0, inf), got -1.0"),
    (np.nan, "delta must be finite and in (0, inf)"), (np.inf, "delta must be finite and in (0, inf)"),
])
def test_delta_range_message(delta, message):
    with pytest.raises(ValueError) as err:
        asymptotic_error(1.0, 0.5, delta)
    assert str(err.value) == message


def test_hinge_moment_types_and_message():
    assert type(gaussian_hinge_moment(0.3)) is float
    assert gaussian_hinge_moment(0.0) == pytest.approx(0.5, rel=1e-15)  # F(0) = 1/2
    arr = gaussian_hinge_moment(np.array([[0.0, 1.0]]))
    assert isinstance(arr, np.ndarray) and arr.shape == (1, 2)
    with pytest.raises(ValueError) as err:
        gaussian_hinge_moment([0.0, np.inf])
    assert str(err.value) == "t must contain only finite values (no NaN or inf)"


def test_inverse_hinge_moment_round_trips_on_every_branch():
    """F(F^-1(x)) = x through the three starting branches of Newton's method (x < 1/2, 1/2 <= x < 1, x >= 1),
    F^-1 increasing.  Newton stops when its step is below rounding, so the round trip is limited by the
    rounding noise of F's closed form, whose relative error against 50-digit mpmath (next test) is 5e-14 at
    t = -5 and 3e-12 at t = -15: the tolerance is 10 times that error at the far end of each range, x >= 1e-8
    (t >= -5.3) and x >= 1e-60 (t >= -15.7).  Measured: 2.0e-13 and 1.5e-11."""
    from theory.maxmargin import _F_inverse

    near = np.concatenate([np.logspace(-8, 6, 300), [0.5, 0.5 - 1e-12, 0.75, 1.0, 1.0 + 1e-12, 2.0]])
    far = np.logspace(-60, -8, 100)
    for x, rtol in ((near, 5e-13), (far, 3e-11)):
        t = _F_inverse(x)
        np.testing.assert_allclose(gaussian_hinge_moment(t), x, rtol=rtol)
        order = np.argsort(x)
        assert np.all(np.diff(t[order]) >= 0)
    assert _F_inverse(0.5) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("t, rtol", [(-25.0, 2e-10), (-15.0, 1e-11), (-10.0, 1e-12), (-5.0, 1e-13), (-1.0, 1e-14),
                                     (0.0, 1e-15), (3.0, 1e-15), (30.0, 1e-15)])
def test_hinge_moment_against_mpmath_across_its_tail(t, rtol):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    T = mp.mpf(t)
    exact = (1 + T * T) * mp.ncdf(T) + T * mp.npdf(T)
    assert gaussian_hinge_moment(t) == pytest.approx(float(exact), rel=rtol)


# ------------------------------------------------------------ the limits on grids, and the grid's validation


@pytest.mark.parametrize("limit", [error_limit_eta_to_minus_one, error_limit_eta_to_infinity])
def test_limits_on_a_grid_crossing_the_threshold_are_nan_exactly_above_it(limit):
    rho = 4.0
    dstar = separability_threshold(rho)
    deltas = np.array([0.5, 1.5, 3.0, 0.99 * dstar, dstar, 1.2 * dstar])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = limit(rho, deltas)
    assert [w.category for w in rec] == [AboveSeparabilityThresholdWarning]
    assert "2 grid point" in str(rec[0].message)
    assert np.all(np.isnan(out[4:])) and np.all(np.isfinite(out[:4]))
    for d, v in zip(deltas[:4], out[:4]):
        assert v == pytest.approx(limit(rho, float(d)), rel=1e-12)
        assert bayes_error(rho) < v <= 0.5
    # a scalar rho against a grid of delta, and a grid of rho against a scalar delta
    assert limit(rho, deltas[:4].reshape(2, 2)).shape == (2, 2)
    rhos_ = np.array([0.5, 2.0, 8.0])
    np.testing.assert_allclose(limit(rhos_, 1.5), [limit(float(r), 1.5) for r in rhos_], rtol=1e-12)


def test_limit_eta_to_minus_one_is_one_half_up_to_covers_threshold_and_below_it_after():
    """Cover: for delta <= 2 the pure-noise coordinates separate, the signal is ignored, the error is 1/2."""
    for rho in (0.5, 4.0):
        assert error_limit_eta_to_minus_one(rho, 2.0) == 0.5
        assert error_limit_eta_to_minus_one(rho, 1.0) == 0.5
        assert error_limit_eta_to_minus_one(rho, 2.5) < 0.5


def test_grid_warning_counts_every_point_of_the_broadcast_grid():
    dstar = separability_threshold(1.0)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = asymptotic_error(1.0, np.array([0.0, 1.0, 2.0]), 1.5 * dstar)
    assert out.shape == (3,) and np.all(np.isnan(out))
    assert "for 3 grid point(s)" in str(rec[0].message)


@pytest.mark.parametrize("f", [asymptotic_error, asymptotic_margin, asymptotic_cosine])
def test_grids_that_do_not_broadcast_are_refused_with_the_whole_message(f):
    with pytest.raises(ValueError) as err:
        f([1.0, 2.0], [0.0, 1.0, 2.0], 1.0)
    assert str(err.value) == "rho, eta and delta must broadcast together, got shapes (2,), (3,), ()"
    with pytest.raises(ValueError) as err:
        f(1.0, [0.0, 1.0], [1.0, 2.0, 3.0])
    assert str(err.value) == "rho, eta and delta must broadcast together, got shapes (), (2,), (3,)"


def test_integer_arguments_are_taken_as_floats():
    assert gaussian_hinge_moment(2) == gaussian_hinge_moment(2.0)
    np.testing.assert_array_equal(gaussian_hinge_moment(np.array([-1, 0, 3])), gaussian_hinge_moment(np.array([-1.0, 0.0, 3.0])))
    assert asymptotic_error(1, 0, 1) == asymptotic_error(1.0, 0.0, 1.0)
    assert error_limit_eta_to_infinity(2, 1) == error_limit_eta_to_infinity(2.0, 1.0)


@pytest.mark.parametrize("limit", [error_limit_eta_to_minus_one, error_limit_eta_to_infinity])
def test_limits_name_delta_in_their_message(limit):
    with pytest.raises(ValueError) as err:
        limit(1.0, -1.0)
    assert str(err.value) == "delta must be in (0, inf), got -1.0"


# ------------------------------------------------------------------ the scalar problem by a direct search in c


def _F_scipy(t):
    """E[(t + Z)_+^2] from scipy's normal cdf and pdf (the definition integrated by parts)."""
    return (1.0 + t * t) * norm.cdf(t) + t * norm.pdf(t)


def _scalar_problem_by_search(rho, eta, delta):
    """``max_c K_delta(c) / sqrt(1 - q c^2)``, ``q = 1 - (1 + eta)^-2``, straight from its definition in ``c``:
    ``F^{-1}`` by scipy's brentq, the maximum by a grid over ``c in (0, 1)`` refined by a bounded scalar search
    (the package parametrises by ``t`` and bisects on derivative signs instead)."""
    s, q = np.sqrt(rho), 1.0 - (1.0 + eta) ** -2

    def J(c):
        t = brentq(lambda t: _F_scipy(t) - (1.0 - c * c) / delta, -60.0, 60.0, xtol=1e-15, rtol=1e-15)
        return (c * s + t) / np.sqrt(1.0 - q * c * c)

    grid = np.linspace(1e-4, 1 - 1e-4, 101)
    j = int(np.argmax([J(c) for c in grid]))
    lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
    res = minimize_scalar(lambda c: -J(c), bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    return -res.fun, res.x


@pytest.mark.parametrize("rho, eta, delta", [(2.0, 1.5, 2.5), (0.5, -0.6, 1.2), (4.0, 0.0, 3.0), (1.0, 9.0, 0.5),
                                             (9.0, -0.9, 5.0), (0.3, 0.4, 0.2)])
def test_margin_and_cosine_against_a_direct_search_over_the_cosine(rho, eta, delta):
    """The margin is the maximum (accurate to the search's ~1e-12 in value); the cosine is its flat maximiser
    (sqrt of that accuracy); the error is Phi(-sqrt(rho) c*) at the searched cosine."""
    assert delta < separability_threshold(rho)
    kappa, c = _scalar_problem_by_search(rho, eta, delta)
    assert asymptotic_margin(rho, eta, delta) == pytest.approx(kappa, rel=1e-9)
    assert asymptotic_cosine(rho, eta, delta) == pytest.approx(c, abs=1e-5)
    assert asymptotic_error(rho, eta, delta) == pytest.approx(norm.cdf(-np.sqrt(rho) * c), abs=1e-5)
