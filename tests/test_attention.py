import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from theory.attention import score_log_sharpness, sharpness

from _budget import examples


def _brute_sharpness(A, labels, include_diagonal=True):
    # Definition 2 literally: the infimum over all quadruples (i, j, p, q) of A_ij / A_pq.
    n = len(labels)
    best = np.inf
    for i in range(n):
        for j in range(n):
            if labels[i] != labels[j] or (i == j and not include_diagonal):
                continue
            for p in range(n):
                for q in range(n):
                    if labels[p] == labels[q]:
                        continue
                    best = min(best, A[i, j] / A[p, q])
    return best


@given(n=st.integers(2, 7), K=st.integers(2, 3), seed=st.integers(0, 2**16), diag=st.booleans())
@example(n=2, K=2, seed=0, diag=False)
@example(n=7, K=3, seed=2 ** 16, diag=True)
def test_sharpness_is_the_infimum_of_definition_2(n, K, seed, diag):
    rng = np.random.default_rng(seed)
    if n < K:
        n = K
    labels = np.concatenate([np.arange(K), rng.integers(0, K, n - K)])
    if not diag and np.bincount(labels).max() < 2:
        labels[1] = labels[0]
        if np.bincount(labels, minlength=K).min() == 0:
            return
    A = rng.uniform(0.01, 1.0, (n, n))
    assert sharpness(A, labels, include_diagonal=diag) == pytest.approx(_brute_sharpness(A, labels, diag), rel=1e-12)
    assert sharpness(A, labels, include_diagonal=diag, log=True) == pytest.approx(
        np.log(_brute_sharpness(A, labels, diag)), rel=1e-12, abs=1e-12
    )
    # invariant under a positive rescaling and under a relabelling of the clusters
    assert sharpness(3.0 * A, labels, include_diagonal=diag) == pytest.approx(sharpness(A, labels, include_diagonal=diag))
    assert sharpness(A, (labels + 1) % K, include_diagonal=diag) == pytest.approx(sharpness(A, labels, include_diagonal=diag))
    # exp of scores: the ratio equals exp(score_log_sharpness)
    S = np.log(A)
    assert score_log_sharpness(S, labels, include_diagonal=diag) == pytest.approx(
        np.log(_brute_sharpness(A, labels, diag)), abs=1e-12
    )


def test_sharpness_stack_and_conventions():
    labels = np.array([0, 0, 1])
    block = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert sharpness(block, labels) == np.inf
    hole = block.copy()
    hole[0, 1] = 0.0
    hole[0, 2] = 0.5
    assert sharpness(hole, labels) == 0.0
    stack = np.stack([block, hole, np.ones((3, 3))])
    np.testing.assert_array_equal(sharpness(stack, labels), [np.inf, 0.0, 1.0])
    assert sharpness(np.ones((3, 3)), labels, log=True) == 0.0


@pytest.mark.parametrize(
    "A, labels, match",
    [
        (np.ones((3, 3)), [0, 0], "labels must be a 1-d array of length n=3"),
        (np.ones((3, 3)), [0, 0, 0], "at least 2 clusters"),
        (np.ones((3, 3)), [0, 2, 2], "empty"),
        (-np.ones((3, 3)), [0, 0, 1], "non-negative"),
        (np.ones((3, 2)), [0, 0, 1], "square"),
        (np.full((2, 2), np.nan), [0, 1], "finite"),
    ],
)
def test_sharpness_bad_input(A, labels, match):
    with pytest.raises(ValueError, match=match):
        sharpness(A, labels)


def test_sharpness_without_diagonal_needs_a_pair():
    with pytest.raises(ValueError, match="within-cluster pair"):
        sharpness(np.ones((2, 2)), [0, 1], include_diagonal=False)


# ----------------------------------------------------------------- Theorem 1
from theory.attention import (  # noqa: E402
    attention_layers,
    attention_scores,
    corrected_fusion_bound,
    corrected_score_gap,
    fusion_weights,
    noise_Delta,
    noise_delta,
    projection_bounds,
    softmax_rows,
    theorem2_gain,
)
from theory.integrity import cluster_integrity, exact_integrity  # noqa: E402
from theory.subspace import subspace_clusters  # noqa: E402


@st.composite
def cluster_shapes(draw, max_n=24):
    K = draw(st.integers(2, 4))
    r = draw(st.integers(1, 3))
    m = draw(st.integers((K - 1) * r + 1, (K - 1) * r + 4))
    n = draw(st.integers(K, max_n))
    return n, m, K, r


@given(shp=cluster_shapes(), seed=st.integers(0, 2**16))
@example(shp=(2, 2, 2, 1), seed=0)  # smallest: one point per line in the plane
@example(shp=(24, 13, 4, 3), seed=2**16)  # largest shape
def test_theorem1_cross_cluster_scores_are_exactly_zero(shp, seed):
    n, m, K, r = shp
    d = subspace_clusters(n, m, K, r, seed=seed)
    W = fusion_weights(d.X, d.labels, direction="mean")
    np.testing.assert_allclose(np.linalg.norm(W, axis=0), 1.0, atol=1e-12)  # unit columns
    A = attention_scores(d.X, W)
    cross = d.labels[:, None] != d.labels[None, :]
    assert np.abs(A[cross]).max() < 1e-12
    # with the true bases: the columns are orthogonal to every other cluster's subspace
    W = fusion_weights(d.X, d.labels, direction="mean", bases=list(d.bases))
    for j in range(n):
        others = [k for k in range(K) if k != d.labels[j]]
        assert np.abs(d.bases[others].transpose(0, 2, 1) @ W[:, j]).max() < 1e-12


def _three_points_opposite():
    # Smallest counterexample: rank-1 cluster {x_1, x_2 = -x_1}, second cluster {x_3}; n = 3, m = 2, K = 2.
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    return X, np.array([0, 0, 1])


def test_counterexample_opposite_points_break_the_within_bound_for_every_weight_pair():
    X, labels = _three_points_opposite()
    rho = exact_integrity(X, labels, kind="one")  # Definition 1: rho = 1 here
    assert rho.lower > 0.99
    A = attention_scores(X, fusion_weights(X, labels))
    nu = 2
    # Theorem 1 claims A_12 > nu rho^2 = 2; the construction gives A_12 = -2.
    assert A[0, 1] < 0 < nu * rho.lower**2
    # No (W^Q, W^K) at all can do it: A_12 = x_1^T M x_2 = -x_1^T M x_1 = -A_11.
    rng = np.random.default_rng(0)
    for _ in range(200):
        Wq, Wk = rng.standard_normal((2, 2, 5))
        B = attention_scores(X, Wq, Wk)
        assert B[0, 1] == pytest.approx(-B[0, 0], abs=1e-12)
        assert not (B[0, 0] > 0 and B[0, 1] > 0)
    # the absolute-value correction holds with equality: |A_ij| = nu rho_bar^2
    assert np.abs(A[:2, :2]).min() == pytest.approx(nu * rho.lower**2, rel=1e-9)


def _coplanar(tilt=0.0):
    a = np.array([[1.0, 0.0, 0.0], [-0.5, np.sqrt(3) / 2, 0.0], [-0.5, -np.sqrt(3) / 2 * np.cos(tilt), np.sin(tilt)]])
    return a / np.linalg.norm(a, axis=1, keepdims=True), np.array([0, 1, 2])


def test_counterexample_K3_coplanar_lines_satisfy_the_rank_assumption_yet_no_weights_work():
    # n = K = m = 3, r = 1: (K-1) r = 2 < 3 = m holds, yet U_3 lies in U_1 + U_2.
    X, labels = _coplanar()
    B = X[:, :, None]
    d = subspace_clusters(3, 3, 3, 1, bases=B, seed=0)  # the generator accepts these subspaces
    assert d.X.shape == (3, 3)
    rho_def1 = exact_integrity(X, labels, kind="one")
    assert rho_def1.lower == pytest.approx(np.sqrt(3) / 2, abs=1e-6)  # Definition 1 says well separated
    rho_all = exact_integrity(X, labels, kind="all")
    assert rho_all.upper < 1e-9  # no direction orthogonal to two lines sees the third
    # any M with block-zero scores is zero on span(X): solve the linear system for M in the plane
    P = X[:, :2]
    rows = [np.kron(P[i], P[j]) for i in range(3) for j in range(3) if i != j]
    assert np.linalg.matrix_rank(np.array(rows)) == 4  # forces the 2x2 block of M to be 0 => A = 0
    A = attention_scores(X, fusion_weights(X, labels))
    assert np.abs(A).max() < 1e-12 < rho_def1.lower**2


def _complement_of(B):
    """Orthonormal basis (columns) of span(B)^perp, from numpy's SVD (the test's own, not the package's)."""
    U, sv, _ = np.linalg.svd(B, full_matrices=True)
    return U[:, int(np.sum(sv > 1e-10)):]


def _min_norm_in_hull_scipy(Y):
    """dist(0, conv{y_i}) by SLSQP over the simplex (independent of cvxpy and of the package's FISTA)."""
    from scipy.optimize import minimize

    N = Y.shape[0]
    G = Y @ Y.T
    res = minimize(lambda p: p @ G @ p, np.full(N, 1.0 / N), jac=lambda p: 2 * G @ p, method="SLSQP",
                   bounds=[(0, 1)] * N, constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}],
                   options={"ftol": 1e-15, "maxiter": 500})
    return float(np.sqrt(max(res.fun, 0.0)))


def test_counterexample_strict_inequality_fails_at_the_minimising_point():
    # Theorem 1 states "> nu_i rho^2"; the construction attains it: min_i A_ii / nu = rho_bar^2, with the
    # signed generalised integrity rho_bar = dist(0, conv{P_V x_i}) computed here by SLSQP on the true bases.
    d = subspace_clusters(6, 4, 2, 1, seed=3, cone_angle=0.1)
    A = attention_scores(d.X, fusion_weights(d.X, d.labels))
    nu = np.bincount(d.labels)
    for k in range(2):
        Q = _complement_of(d.bases[1 - k])  # w_k ranges over the complement of the other subspace
        rb = _min_norm_in_hull_scipy(d.X[d.labels == k] @ Q)
        own = np.diag(A)[d.labels == k] / nu[k]
        assert own.min() == pytest.approx(rb**2, rel=1e-6)  # equality: the strict ">" fails
        assert np.all(own >= rb**2 * (1 - 1e-6))


@settings(max_examples=examples(8))  # each example solves small cone programs
@given(tilt=st.floats(0.05, 0.6))
@example(tilt=0.05)  # nearly coplanar: the smallest integrity
def test_definition1_rho_is_the_wrong_constant_for_K3(tilt):
    # Tilted (generic) version: the subspaces are independent, but the construction's best
    # within-cluster value nu * rho_bar^2 stays below Definition 1's nu * rho^2.
    X, labels = _coplanar(tilt)
    # one point per cluster: w_k must be orthogonal to the two other points, so w_k = +-their cross product
    own = []
    for k in range(3):
        i, j = [l for l in range(3) if l != k]
        nrm = np.cross(X[i], X[j])
        own.append(abs(X[k] @ nrm) / np.linalg.norm(nrm))
    # Definition 1 by a dense grid on the circle x_k^perp (its own basis): max_u min_{i != k} |x_i . u|
    t = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    rho_def1 = np.inf
    for k in range(3):
        Q = _complement_of(X[k][:, None])
        U = Q @ np.stack([np.cos(t), np.sin(t)])
        rho_def1 = min(rho_def1, np.abs(np.delete(X, k, axis=0) @ U).min(axis=0).max())
    assert exact_integrity(X, labels, kind="one").lower == pytest.approx(rho_def1, abs=1e-4)
    A = attention_scores(X, fusion_weights(X, labels))
    np.testing.assert_allclose(np.diag(A), np.square(own), rtol=1e-6)
    assert np.diag(A).min() < rho_def1**2 - 1e-3


@given(seed=st.integers(0, 2**16), n=st.integers(3, 9))
@example(seed=0, n=3)
def test_corrected_theorem1_absolute_values_without_sign_condition(seed, n):
    """Any unit columns w_c in the complement of the other subspaces give zero cross scores and
    |A_ij| >= nu_c (min_{i in c} |x_i . w_c|)^2 within; exact_integrity's directions are the best such."""
    d = subspace_clusters(n, 5, 2, 2, seed=seed)
    rng = np.random.default_rng(seed)
    nu = np.bincount(d.labels)
    same = d.labels[:, None] == d.labels[None, :]
    best_random = np.zeros(2)
    for _ in range(30):
        Wc = np.stack([_complement_of(d.bases[1 - k]) @ rng.standard_normal(3) for k in range(2)])
        Wc /= np.linalg.norm(Wc, axis=1, keepdims=True)
        A = attention_scores(d.X, Wc[d.labels].T)
        assert np.abs(A[~same]).max() < 1e-10
        for k in range(2):
            c = np.abs(d.X[d.labels == k] @ Wc[k]).min()
            best_random[k] = max(best_random[k], c)
            blk = np.abs(A[np.ix_(d.labels == k, d.labels == k)]) / nu[k]
            assert blk.min() >= c**2 * (1 - 1e-9) - 1e-12
            assert blk.min() == pytest.approx(c**2, rel=1e-9, abs=1e-15)  # attained at the minimising point
    res = exact_integrity(d.X, d.labels, kind="all")
    assert np.all(res.rho_k_lower >= best_random - 1e-9)  # no random direction beats the optimum


@given(shp=cluster_shapes(max_n=16), seed=st.integers(0, 2**16), cone=st.floats(0.05, 1.2))
@example(shp=(2, 2, 2, 1), seed=0, cone=0.05)
@example(shp=(16, 13, 4, 3), seed=2**16, cone=1.2)
def test_corrected_theorem1_signed_integrity_is_attained_and_optimal(shp, seed, cone):
    n, m, K, r = shp
    m = max(m, K * r)  # K r <= m: the projection of U_k onto V_k is injective, so a cone stays in a half-space
    d = subspace_clusters(n, m, K, r, seed=seed, cone_angle=cone)
    res = cluster_integrity(d.X, d.labels, "convex", kind="all", signed=True)
    assert res.lower > 0  # a cone is in an open half-space
    assert res.upper - res.lower < 1e-6  # one SOCP: primal and dual certificates meet
    A = attention_scores(d.X, fusion_weights(d.X, d.labels))
    nu = np.bincount(d.labels)
    cross = d.labels[:, None] != d.labels[None, :]
    assert np.abs(A[cross]).max() < 1e-10
    for k in range(K):
        blk = A[np.ix_(d.labels == k, d.labels == k)] / nu[k]
        assert blk.min() >= res.rho_k_lower[k] ** 2 * (1 - 1e-9) - 1e-12  # corrected bound
        assert blk.min() <= res.rho_k_upper[k] ** 2 * (1 + 1e-9) + 1e-12  # and it is tight
    # no other unit-column construction beats rho_bar^+: random unit w in V_c, same block structure
    rng = np.random.default_rng(seed)
    for k in range(K):
        others = np.concatenate([d.bases[j] for j in range(K) if j != k], axis=1)
        Q = np.linalg.svd(others, full_matrices=True)[0][:, others.shape[1]:]
        w = Q @ rng.standard_normal((Q.shape[1], 50))
        w /= np.linalg.norm(w, axis=0)
        vals = (d.X[d.labels == k] @ w).min(axis=0)
        assert vals.max() <= res.rho_k_upper[k] + 1e-9


# ---------------------------------------------------------------- eq. (6)


@given(eps=st.floats(0.0, 0.99), rho=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
@example(eps=0.0, rho=0.0, seed=0)
@example(eps=0.99, rho=1.0, seed=2 ** 16)
def test_noise_bounds_hold_and_are_tight(eps, rho, seed):
    rng = np.random.default_rng(seed)
    m = 6
    x = np.eye(m)[0]
    # u with x^T u = rho exactly, the rest random
    v = rng.standard_normal(m)
    v[0] = 0
    v /= np.linalg.norm(v)
    u = rho * x + np.sqrt(1 - rho**2) * v
    c = 1 - eps
    for _ in range(20):
        z = rng.standard_normal(m)
        z[0] = 0
        z /= np.linalg.norm(z)
        xt = c * x + np.sqrt(1 - c**2) * z
        assert abs(xt @ v) <= noise_delta(eps) + 1e-12  # v is orthogonal to x
        assert xt @ u >= noise_Delta(eps, rho) - 1e-12
    # the worst case z = -v attains Delta, z = v attains delta
    assert (c * x - np.sqrt(1 - c**2) * v) @ u == pytest.approx(noise_Delta(eps, rho), abs=1e-12)
    assert (c * x + np.sqrt(1 - c**2) * v) @ v == pytest.approx(noise_delta(eps), abs=1e-12)


# ---------------------------------------------------------------- Theorem 2


@given(delta=st.floats(0.0, 1.0), Delta=st.floats(-1.0, 1.0), n=st.integers(1, 2000))
@example(delta=0.0, Delta=1.0, n=3)  # the extreme case: e - 3 < 0
@example(delta=0.0, Delta=1.0, n=1)  # n = 1: the base e - 1 is positive
@example(delta=0.2, Delta=0.0, n=2)
@example(delta=1.0, Delta=-1.0, n=2000)  # overflows a naive float evaluation
def test_theorem2_explicit_gain_against_mpmath_and_its_negative_base(delta, Delta, n):
    """The appendix's explicit expression, evaluated at 50 digits; its base a = Delta e^Delta^2 - n e^{n(delta+delta^2)}
    is negative for every n >= 3, so the proof's squaring of the lower bound a is not a lower bound."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    dl, Dl, N = mp.mpf(delta), mp.mpf(Delta), mp.mpf(n)
    a = Dl * mp.e ** (Dl**2) - N * mp.e ** (N * (dl + dl**2))
    if n >= 3:
        assert a < 0
    T = dl * mp.e ** (N * Dl**2) + mp.e ** (N * (dl + dl**2))
    gain = a**2 * mp.e ** (dl + N * dl**2 - N * Dl**2) / (N**2 * T + N**3 * T**2)
    assert theorem2_gain(delta, Delta, n, log=True) == pytest.approx(float(mp.log(gain)), rel=1e-10, abs=1e-10)
    rate = mp.e ** (N * (dl**2 - Dl**2) + dl) / N
    assert theorem2_gain(delta, Delta, n, form="rate", log=True) == pytest.approx(float(mp.log(rate)), rel=1e-12, abs=1e-12)


@given(eps=st.floats(0.0, 0.99), rho=st.floats(0.0, 1.0), n=st.integers(3, 5000))
@example(eps=0.0, rho=1.0, n=3)  # noise-free, perfectly separated: the gain is (1/n) e^{-n} < 1
@example(eps=0.29, rho=0.71, n=3)  # Delta just above delta
def test_theorem2_claimed_gain_is_below_one_whenever_clusters_are_separable(eps, rho, n):
    # Delta <= sqrt(1 - delta^2), so Delta > delta forces delta < 1/sqrt(2) < log 3 <= log n and the claimed
    # per-layer factor is < 1: the bound is vacuous wherever Delta > delta (a fact about the formula,
    # checked on the package's evaluation of it).
    delta, Delta = noise_delta(eps), noise_Delta(eps, rho)
    if Delta > delta:
        assert theorem2_gain(delta, Delta, n, form="rate") < 1.0
        assert theorem2_gain(delta, Delta, n, form="rate", log=True) < 0.0
    if eps == 0.0 and rho == 1.0:  # delta = 0, Delta = 1
        assert theorem2_gain(delta, Delta, n, form="rate") == pytest.approx(np.exp(-n) / n, rel=1e-12)


def _attained_configuration(delta=0.1, Delta=0.6):
    """K = 2, nu = (3, 3) in R^6: each cluster is {w_c, x, x'} with x.w_c = x'.w_c = Delta and
    x.w_other = +delta, x'.w_other = -delta, and w_a.w_b = delta (hand-built, no solver)."""
    s = np.sqrt(1 - delta**2)
    wa = np.array([1.0, 0, 0, 0, 0, 0])
    wb = np.array([delta, s, 0, 0, 0, 0])

    def point(own_w, other_w, own, cross, free_axis):
        # solve x . own_w = own, x . other_w = cross in span(e1, e2), fill the rest along free_axis
        M = np.stack([own_w[:2], other_w[:2]])
        xy = np.linalg.solve(M, [own, cross])
        x = np.zeros(6)
        x[:2] = xy
        x[free_axis] = np.sqrt(1 - xy @ xy)
        return x

    X = np.stack([wa, point(wa, wb, Delta, delta, 2), point(wa, wb, Delta, -delta, 3),
                  wb, point(wb, wa, Delta, delta, 4), point(wb, wa, Delta, -delta, 5)])
    labels = np.array([0, 0, 0, 1, 1, 1])
    return X, labels, np.stack([wa, wb])


def test_uncorrected_one_layer_bound_is_violated_and_the_corrected_one_attained():
    """Paper eq. (7) drops the negative cross terms: within S_ij >= nu Delta^2. Here min within S is
    nu Delta^2 - (n - nu) delta^2 < nu Delta^2, exactly the corrected bound; the across maximum attains
    eq. (8)'s (nu_a + nu_b) delta, so the corrected gap is attained by the measured score gap."""
    delta, Delta = 0.1, 0.6
    X, labels, Wc = _attained_configuration(delta, Delta)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-12)
    d_meas, D_meas = projection_bounds(X, labels, Wc)
    assert d_meas == pytest.approx(delta, abs=1e-12) and D_meas == pytest.approx(Delta, abs=1e-12)
    S = attention_scores(X, Wc[labels].T)
    same = labels[:, None] == labels[None, :]
    within_min, across_max = S[same].min(), S[~same].max()
    assert within_min == pytest.approx(3 * Delta**2 - 3 * delta**2, abs=1e-12)  # hand-derived
    assert within_min < 3 * Delta**2 - 1e-3  # the paper's eq. (7) bound is violated
    assert across_max == pytest.approx(6 * delta, abs=1e-12)  # hand-derived: (nu_a + nu_b) delta
    gap = score_log_sharpness(S[None], labels)[0]
    assert gap == pytest.approx(within_min - across_max, abs=1e-12)
    assert corrected_score_gap(delta, Delta, np.array([3, 3])) == pytest.approx(gap, abs=1e-12)  # attained
    # the same through the softmax: log Definition-2 sharpness of exp(S) is the score gap
    assert sharpness(np.exp(S), labels, log=True) == pytest.approx(gap, abs=1e-12)


def test_theorem2_explicit_matches_direct_evaluation_where_finite():
    for delta, Delta, n in [(0.1, 0.5, 5), (0.3, 0.2, 10), (0.0, 0.7, 4), (0.5, -0.2, 7)]:
        a = Delta * np.exp(Delta**2) - n * np.exp(n * (delta + delta**2))
        T = delta * np.exp(n * Delta**2) + np.exp(n * (delta + delta**2))
        direct = a**2 * np.exp(delta + n * delta**2 - n * Delta**2) / (n**2 * T + n**3 * T**2)
        assert theorem2_gain(delta, Delta, n) == pytest.approx(direct, rel=1e-10)


def _cone_trace(eps, seed=0, L=6):
    d = subspace_clusters(30, 16, 3, 2, eps, seed=seed, cone_angle=np.pi / 4)
    W = fusion_weights(d.X, d.labels)
    return d, W, attention_layers(d.X_noisy, W, L)


def test_counterexample_theorem2_gain_not_sustained_across_layers():
    # eps = 0.2: delta > Delta, so the claimed factor is e^{7.5} per layer, but sharpness saturates.
    d, W, tr = _cone_trace(0.2)
    res = cluster_integrity(d.X, d.labels, "convex", kind="all", signed=True)
    dl, Dl = noise_delta(0.2), noise_Delta(0.2, res.lower)
    claimed = theorem2_gain(dl, Dl, len(d.labels), form="rate", log=True)
    logS = sharpness(tr.attention, d.labels, log=True)
    gains = np.diff(logS)
    assert claimed > 1.0
    assert gains[-1] < claimed  # a later layer gains far less than the claimed factor
    assert np.all(np.isfinite(logS))


def test_counterexample_sharpness_decreases_after_the_first_layer_without_sign_condition():
    # noise-free, uniform points on each subspace: the first layer mixes clusters and sharpness drops.
    d = subspace_clusters(30, 16, 3, 2, 0.0, seed=0, half_space=True)
    W = fusion_weights(d.X, d.labels)
    tr = attention_layers(d.X, W, 3)
    g = score_log_sharpness(tr.scores, d.labels)
    assert g[0] >= -1e-12  # layer 0 is block diagonal (Theorem 1), gap >= 0
    assert g[1] < g[0]


@given(seed=st.integers(0, 2**16), eps=st.floats(0.0, 0.3), scale=st.floats(0.5, 8.0))
@example(seed=0, eps=0.0, scale=0.5)
@example(seed=2 ** 16, eps=0.3, scale=8.0)
def test_corrected_one_layer_gap_and_recursion_are_lower_bounds(seed, eps, scale):
    d = subspace_clusters(18, 10, 3, 2, eps, seed=seed, cone_angle=0.5)
    W = fusion_weights(d.X, d.labels, direction="mean")
    Wc = W[:, [np.flatnonzero(d.labels == k)[0] for k in range(3)]].T
    tr = attention_layers(d.X_noisy, W, 4, scale=scale)
    gaps = score_log_sharpness(tr.scores, d.labels)
    sizes = np.bincount(d.labels)
    for layer in range(4):
        dl, Dl = projection_bounds(tr.X[layer], d.labels, Wc)
        assert gaps[layer] >= corrected_score_gap(min(dl, 1.0), Dl, sizes, scale=scale) - 1e-9
    d0, D0 = projection_bounds(d.X_noisy, d.labels, Wc)
    bound = corrected_fusion_bound(d0, D0, sizes, 4, scale=scale)
    assert np.all(gaps >= bound - 1e-9)


def test_attention_layers_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((7, 4))
    W = rng.standard_normal((4, 3))
    tr = attention_layers(X, W, 3, residual=True, renormalize=True, scale=0.7)
    x = torch.tensor(X)
    w = torch.tensor(W)
    for layer in range(3):
        q = x @ w
        a = torch.softmax(0.7 * q @ q.T, dim=-1)
        np.testing.assert_allclose(tr.attention[layer], a.numpy(), rtol=1e-12, atol=1e-14)
        x = x + a @ x
        x = x / x.norm(dim=1, keepdim=True)
        np.testing.assert_allclose(tr.X[layer + 1], x.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(softmax_rows(np.array([[1000.0, 0.0]])), [[1.0, 0.0]])


def test_distinct_query_and_key_weights_against_a_loop_and_torch():
    """W^K != W^Q: A_ij = <x_i W^Q, x_j W^K> (row = query), not its transpose."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6, 4))
    Wq, Wk = rng.standard_normal((2, 4, 3))
    A = attention_scores(X, Wq, Wk, scale=0.5)
    loop = np.array([[0.5 * (X[i] @ Wq) @ (X[j] @ Wk) for j in range(6)] for i in range(6)])
    np.testing.assert_allclose(A, loop, rtol=1e-13, atol=1e-14)
    assert np.abs(A - A.T).max() > 0.1  # the test can tell A from A^T
    tr = attention_layers(X, Wq, 2, Wk=Wk, residual=False, renormalize=False, scale=0.5)
    x = torch.tensor(X)
    for layer in range(2):
        q, k = x @ torch.tensor(Wq), x @ torch.tensor(Wk)
        out = torch.nn.functional.scaled_dot_product_attention(q[None], k[None], x[None], scale=0.5)[0]
        ref = torch.softmax(0.5 * q @ k.T, dim=-1)
        np.testing.assert_allclose(tr.attention[layer], ref.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(tr.X[layer + 1], out.numpy(), rtol=1e-10, atol=1e-12)
        x = out



@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: noise_delta(1.0), r"eps must be in \[0, 1\)"),
        (lambda: noise_Delta(0.1, 1.5), r"rho must be in \[0, 1\]"),
        (lambda: theorem2_gain(0.1, 0.2, 0), "n must be"),
        (lambda: theorem2_gain(0.1, 0.2, 3, form="x"), "form"),
        (lambda: attention_layers(np.ones((3, 2)), np.ones((3, 2)), 2), "W must have shape"),
        (lambda: attention_layers(np.ones((3, 2)), np.ones((2, 2)), 0), "L must be"),
        (lambda: attention_scores(np.ones((3, 2)), np.ones((3, 2))), "Wq must have shape"),
        (lambda: fusion_weights(np.ones((3, 2)), [0, 0, 1]), "unit-norm rows"),
        (lambda: fusion_weights(np.eye(3), [0, 0]), "labels must be"),
        (lambda: fusion_weights(np.eye(3), [0, 0, 2]), "empty"),
        (lambda: corrected_score_gap(0.1, 0.5, np.array([3])), "sizes"),
    ],
)
def test_theory_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------ documented ranges, each end and just beyond

_X4 = np.eye(4)[:3]
_RANGE_CASES = [  # (function, valid keyword arguments, parameter, low, high, low closed, high closed)
    (theorem2_gain, dict(delta=0.1, Delta=0.5, n=5), "delta", 0.0, 1.0, True, True),
    (theorem2_gain, dict(delta=0.1, Delta=0.5, n=5), "Delta", -1.0, 1.0, True, True),
    (corrected_score_gap, dict(delta=0.1, Delta=0.5, sizes=[3, 3]), "delta", 0.0, 1.0, True, True),
    (corrected_score_gap, dict(delta=0.1, Delta=0.5, sizes=[3, 3]), "Delta", -1.0, 1.0, True, True),
    (corrected_fusion_bound, dict(delta0=0.1, Delta0=0.5, sizes=[3, 3], L=2), "delta0", 0.0, 1.0, True, True),
    (corrected_fusion_bound, dict(delta0=0.1, Delta0=0.5, sizes=[3, 3], L=2), "Delta0", -1.0, 1.0, True, True),
    (noise_delta, dict(eps=0.1), "eps", 0.0, 1.0, True, False),
    (noise_Delta, dict(eps=0.1, rho=0.5), "rho", 0.0, 1.0, True, True),
    (attention_scores, dict(X=_X4, Wq=np.eye(4)), "scale", 0.0, None, False, None),
    (attention_layers, dict(X=_X4, W=np.eye(4), L=2), "scale", 0.0, None, False, None),
]


@pytest.mark.parametrize("fn, kw, name, low, high, low_closed, high_closed", _RANGE_CASES,
                         ids=[f"{c[0].__name__}-{c[2]}" for c in _RANGE_CASES])
def test_every_documented_range_end_is_accepted_or_refused_by_name(fn, kw, name, low, high, low_closed, high_closed):
    step = 1e-9
    for end, closed, beyond in ((low, low_closed, low - step), (high, high_closed, None if high is None else high + step)):
        if end is None:
            continue
        if closed:
            fn(**{**kw, name: end})
        else:
            with pytest.raises(ValueError, match=rf"^{name} must be"):
                fn(**{**kw, name: end})
        with pytest.raises(ValueError, match=rf"^{name} must be"):
            fn(**{**kw, name: beyond})
    fn(**{**kw, name: 1e3 if high is None else 0.5 * (low + high)})


@pytest.mark.parametrize("fn, kw", [
    (lambda **k: theorem2_gain(0.1, 0.5, **k), {"n": 1}),
    (lambda **k: corrected_fusion_bound(0.1, 0.5, [3, 3], **k), {"L": 1}),
    (lambda **k: attention_layers(_X4, np.eye(4), **k), {"L": 1}),
])
def test_integer_parameters_accept_one_and_refuse_zero(fn, kw):
    (name, one), = kw.items()
    fn(**{name: one})
    with pytest.raises(ValueError, match=rf"^{name} must be an integer in \[1, "):
        fn(**{name: 0})


@pytest.mark.parametrize("fn", [lambda s: corrected_score_gap(0.1, 0.5, s), lambda s: corrected_fusion_bound(0.1, 0.5, s, 2)])
def test_cluster_sizes_must_be_two_or_more_positive_integers(fn):
    fn([1, 1])  # the smallest sizes
    fn(np.array([2, 3, 4], dtype=np.uint8))
    for bad in ([3], [3, 0], [3.0, 3.0], [[3, 3]], [3, -1]):
        with pytest.raises(ValueError, match=r"^sizes must be >= 2 positive integers \(cluster sizes\), got "):
            fn(bad)


def test_noise_bounds_on_arrays_follow_the_scalar_ones_and_refuse_any_bad_entry():
    eps = np.array([0.0, 0.3, 0.9])
    rho = np.array([1.0, 0.5, 0.0])
    d, D = noise_delta(eps), noise_Delta(eps, rho)
    assert isinstance(d, np.ndarray) and isinstance(D, np.ndarray) and isinstance(noise_delta(0.3), float)
    # hand-derived: delta = sin(theta_eps), Delta = cos(theta_eps + theta_rho), cos theta_eps = 1 - eps
    te, tr = np.arccos(1 - eps), np.arccos(rho)
    np.testing.assert_allclose(d, np.sin(te), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(D, np.cos(te + tr), rtol=1e-13, atol=1e-15)
    for bad in ([0.1, 1.0], [-0.1, 0.2], [0.5, np.nan]):
        with pytest.raises(ValueError, match=r"^eps must be in \[0, 1\)$"):
            noise_delta(np.array(bad))
    noise_delta(np.array([0.0, 0.999]))
    for bad in ([0.5, 1.1], [-0.1, 0.2]):
        with pytest.raises(ValueError, match=r"^rho must be in \[0, 1\]$"):
            noise_Delta(np.array([0.1, 0.1]), np.array(bad))
    noise_Delta(np.array([0.1, 0.1]), np.array([0.0, 1.0]))


# ------------------------------------------------------------ the corrected bounds against vertex enumeration

def _score_gap_by_vertices(delta, Delta, sizes, scale):
    """min over within pairs of S_ij minus max over across pairs of S_pq, S_ij = scale sum_c nu_c p_ic p_jc,
    over the box of admissible projections (own in [Delta, 1], others in [-delta, delta]); a bilinear function
    on a box is extreme at its vertices, so a loop over the vertices of (p_i, p_j) is exact."""
    import itertools

    nu = np.asarray(sizes, dtype=float)
    K = nu.size

    def box(c):
        return [[Delta, 1.0] if k == c else [-delta, delta] for k in range(K)]

    def extreme(ci, cj, pick):
        vals = [scale * float(np.sum(nu * np.array(pi) * np.array(pj)))
                for pi in itertools.product(*box(ci)) for pj in itertools.product(*box(cj))]
        return pick(vals)

    within = min(extreme(c, c, min) for c in range(K))
    across = max(extreme(a, b, max) for a in range(K) for b in range(K) if a != b)
    return within - across


@given(delta=st.floats(0.0, 1.0), Delta=st.floats(1e-3, 1.0), sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
       scale=st.floats(0.1, 3.0))
@example(delta=0.1, Delta=0.6, sizes=[2, 3, 5], scale=1.0)  # n - nu_a - nu_b > 0: the delta^2 terms count
@example(delta=0.0, Delta=1.0, sizes=[1, 1], scale=0.1)
@example(delta=1.0, Delta=1e-3, sizes=[6, 1, 1, 6], scale=3.0)
def test_corrected_score_gap_is_the_exact_worst_case_over_admissible_projections(delta, Delta, sizes, scale):
    assert corrected_score_gap(delta, Delta, sizes, scale=scale) == pytest.approx(
        _score_gap_by_vertices(delta, Delta, sizes, scale), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("Delta", [0.0, -0.4])
def test_corrected_score_gap_without_sign_information_uses_the_bound_minus_n(Delta):
    """Delta <= 0: nothing bounds the own projection away from 0, so each within term is only >= -nu_c and the
    within bound is -n (a valid, cruder bound than the box minimum)."""
    sizes, delta = [2, 3, 4], 0.2
    n = 9
    across = max((sizes[a] + sizes[b]) * delta + (n - sizes[a] - sizes[b]) * delta**2
                 for a in range(3) for b in range(3) if a != b)
    assert corrected_score_gap(delta, Delta, sizes) == pytest.approx(-n - across, rel=1e-13)
    assert corrected_score_gap(delta, Delta, sizes, scale=2.5) == pytest.approx(2.5 * (-n - across), rel=1e-13)


def test_corrected_fusion_bound_follows_its_documented_recursion():
    """The recursion of the docstring, iterated by hand from the vertex-enumeration gap (no call to the
    package's gap), for unequal sizes, a scale, and until it turns vacuous."""
    sizes, scale, L = np.array([2, 3, 5]), 0.5, 6
    n = sizes.sum()
    d, D = 0.05, 0.8
    expected = []
    for _ in range(L):
        if not (D > 0 and d <= 1):
            break
        g = _score_gap_by_vertices(min(d, 1.0), D, sizes, scale)
        expected.append(g)
        q = max(1.0 / (1.0 + nu / (n - nu) * np.exp(g)) for nu in sizes)
        D_next = (1 - q) * D - q * d
        if D_next <= 0:
            break
        d, D = min(((1 - q) * d + q) / D_next, 1.0), min(D_next, 1.0)
    out = corrected_fusion_bound(0.05, 0.8, sizes, L, scale=scale)
    assert out.shape == (L,)
    np.testing.assert_allclose(out[:len(expected)], expected, rtol=1e-12, atol=1e-12)
    assert np.all(np.isneginf(out[len(expected):]))
    assert corrected_fusion_bound(0.05, 0.8, sizes, 1)[0] == pytest.approx(
        _score_gap_by_vertices(0.05, 0.8, sizes, 1.0), rel=1e-12)  # the default scale is 1
    assert np.all(np.isneginf(corrected_fusion_bound(0.1, -0.2, sizes, 3)))  # Delta0 <= 0: vacuous from the start


# ------------------------------------------------------------ fusion_weights: its options and fallbacks

@pytest.mark.parametrize("direction", ["integrity", "mean"])
def test_fusion_weights_with_the_true_bases_are_orthogonal_to_the_whole_other_subspaces(direction):
    """Two points per rank-3 subspace: the clusters' numerical spans are 2-d, so without the bases the
    columns only avoid the other clusters' points; with them they avoid the whole subspaces (checked with the
    generator's bases and numpy's SVD, not the package's)."""
    d = subspace_clusters(6, 9, 3, 3, seed=5, cone_angle=0.3)
    assert np.all(np.bincount(d.labels) == 2)
    W_true = fusion_weights(d.X, d.labels, direction=direction, bases=list(d.bases))
    W_span = fusion_weights(d.X, d.labels, direction=direction)
    for j in range(6):
        others = [k for k in range(3) if k != d.labels[j]]
        assert np.abs(np.concatenate(d.bases[others], axis=1).T @ W_true[:, j]).max() < 1e-10
        assert np.abs(d.X[d.labels != d.labels[j]] @ W_span[:, j]).max() < 1e-10
    leak = max(np.abs(np.concatenate(d.bases[[k for k in range(3) if k != d.labels[j]]], axis=1).T @ W_span[:, j]).max()
               for j in range(6))
    assert leak > 1e-3  # without the bases the columns do see the other subspaces


def test_fusion_weights_rank_truncates_each_clusters_span():
    """rank=1 on rank-2 clusters: the span is the top singular direction of each cluster (numpy's SVD), so
    the construction equals the one built from those bases, and cross scores no longer vanish."""
    d = subspace_clusters(12, 6, 2, 2, seed=2)
    tops = [np.linalg.svd(d.X[d.labels == k], full_matrices=False)[2][:1].T for k in range(2)]
    for direction in ("integrity", "mean"):
        W1 = fusion_weights(d.X, d.labels, direction=direction, rank=1)
        Wb = fusion_weights(d.X, d.labels, direction=direction, bases=tops)
        np.testing.assert_allclose(W1, Wb, atol=1e-7)
        A = attention_scores(d.X, W1)
        assert np.abs(A[d.labels[:, None] != d.labels[None, :]]).max() > 1e-3


def test_fusion_weights_fallback_for_a_cluster_around_the_origin_takes_the_majority_orientation():
    """Three unit points at 120 degrees in a plane (0 in their hull: no direction is positive on all): the
    fallback maximises min |x_i . w| (a dense grid over the plane's circle is the oracle; the optimum 1/2 is
    attained along a point, which then sees +-1 and -+1/2 twice), oriented so that two of the three are
    positive."""
    ang = np.deg2rad([90.0, 210.0, 330.0])
    X = np.zeros((4, 4))
    X[:3, 0], X[:3, 1] = np.cos(ang), np.sin(ang)
    X[3, 2] = 1.0
    labels = np.array([0, 0, 0, 1])
    W = fusion_weights(X, labels)
    w = W[:, 0]
    assert np.linalg.norm(w) == pytest.approx(1.0, abs=1e-9) and abs(w[2]) < 1e-9  # in V_0 = span(e1, e2, e4)
    proj = X[:3] @ w
    assert np.sum(proj > 0) == 2
    t = np.linspace(0.0, 2.0 * np.pi, 200_001)
    grid = np.abs(np.stack([np.cos(t), np.sin(t)], 1) @ X[:3, :2].T).min(1).max()
    assert np.abs(proj).min() == pytest.approx(grid, abs=1e-6)
    assert grid == pytest.approx(0.5, abs=1e-6)  # hand-derived: w along one point sees 1, 1/2, 1/2


def test_mean_direction_of_a_cancelling_cluster_is_its_top_singular_direction():
    """{a, -a, b, -b}: the projected mean is exactly 0, so the direction is the top right singular vector of
    the projected cluster (numpy's SVD, up to sign); a cluster inside the other subspaces gets a zero column."""
    a = np.array([1.0, 0.0, 0.0, 0.0])
    b = np.array([0.6, 0.8, 0.0, 0.0])
    X = np.stack([a, -a, b, -b, np.array([0.0, 0.0, 1.0, 0.0])])
    labels = np.array([0, 0, 0, 0, 1])
    W = fusion_weights(X, labels, direction="mean")
    top = np.linalg.svd(X[:4, :2], full_matrices=False)[2][0]
    assert abs(abs(W[:2, 0] @ top) - 1.0) < 1e-12 and np.abs(W[2:, 0]).max() < 1e-12
    np.testing.assert_allclose(W[:, :4], np.repeat(W[:, :1], 4, axis=1), atol=0)
    Xc, lc = _coplanar()  # every cluster lies in the span of the other two: no admissible direction
    np.testing.assert_array_equal(fusion_weights(Xc, lc, direction="mean"), np.zeros((3, 3)))


def test_attention_layers_options_residual_and_renormalisation_against_a_loop():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((5, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    W = rng.standard_normal((3, 3))
    for residual, renormalize in ((False, True), (True, True), (True, False), (False, False)):
        tr = attention_layers(X, W, 3, residual=residual, renormalize=renormalize, scale=0.7)
        x = X.copy()
        for layer in range(3):
            S = 0.7 * (x @ W) @ (x @ W).T
            A = np.exp(S - S.max(1, keepdims=True))
            A /= A.sum(1, keepdims=True)
            y = A @ x + (x if residual else 0.0)
            if renormalize:
                y = y / np.linalg.norm(y, axis=1, keepdims=True)
            np.testing.assert_allclose(tr.scores[layer], S, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(tr.attention[layer], A, rtol=1e-12, atol=1e-14)
            x = y
            np.testing.assert_allclose(tr.X[layer + 1], x, rtol=1e-12, atol=1e-14)
    default = attention_layers(X, W, 2)  # documented defaults: no residual, renormalised rows
    np.testing.assert_allclose(np.linalg.norm(default.X[1:], axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(default.X[1], attention_layers(X, W, 2, residual=False, renormalize=True).X[1], atol=0)
    # W = 0: uniform attention over x and -x gives a zero row, left at zero (no 0/0)
    zero = attention_layers(np.array([[1.0, 0, 0], [-1.0, 0, 0]]), np.zeros((3, 3)), 1)
    np.testing.assert_array_equal(zero.X[1], np.zeros((2, 3)))


@pytest.mark.parametrize("direction", ["integrity", "mean"])
def test_fallback_directions_are_oriented_to_the_majority_whatever_the_clusters_sign(direction):
    """A cluster with no direction positive on all its points: the column is oriented so that most points
    have x_i . w > 0, for the cluster and for its negation (one of the two needs the flip).  "integrity":
    three points at 120 degrees (the |x . w| fallback); "mean": those plus a pair +-c at 45 degrees (the mean
    cancels; the top singular direction is c)."""
    ang = [90.0, 210.0, 330.0] + ([45.0, 225.0] if direction == "mean" else [])
    for sign in (1.0, -1.0):
        P = sign * np.stack([np.cos(np.deg2rad(ang)), np.sin(np.deg2rad(ang))], 1)
        X = np.zeros((len(ang) + 1, 4))
        X[:-1, :2] = P
        X[-1, 2] = 1.0
        labels = np.array([0] * len(ang) + [1])
        w = fusion_weights(X, labels, direction=direction)[:, 0]
        assert np.sum(np.sign(X[:-1] @ w)) > 0, (sign, X[:-1] @ w)
        if direction == "mean":
            assert abs(abs(w[:2] @ [np.sqrt(0.5), np.sqrt(0.5)]) - 1.0) < 1e-9


def test_mean_direction_skips_only_the_clusters_without_an_admissible_direction():
    """m = 3: U_0 = span(e1), U_1 = span(e2, e3), U_2 = span(e1 + e2).  V_0 = (U_1 + U_2)^perp and
    V_2 = (U_0 + U_1)^perp are {0}: zero columns; V_1 = (U_0 + U_2)^perp = span(e3) is not, and a later
    cluster still gets its column after an earlier one was skipped."""
    e = np.eye(3)
    X = np.stack([e[0], e[1], (e[1] + e[2]) / np.sqrt(2), e[2], (e[0] + e[1]) / np.sqrt(2)])
    labels = np.array([0, 1, 1, 1, 2])
    W = fusion_weights(X, labels, direction="mean")
    np.testing.assert_array_equal(W[:, [0, 4]], np.zeros((3, 2)))
    np.testing.assert_allclose(W[:, 1], e[2], atol=1e-12)  # mean of the projections on e3 is positive
    lines = np.stack([[1.0, 0.0], [0.0, 1.0], [np.sqrt(0.5), np.sqrt(0.5)]])  # three lines in the plane
    np.testing.assert_array_equal(fusion_weights(lines, [0, 1, 2], direction="mean"), np.zeros((2, 3)))


_MESSAGES = [  # the whole message, so a message naming the wrong parameter or value fails
    (lambda: sharpness(-np.ones((3, 3)), [0, 0, 1]), "A must be entrywise non-negative (Definition 2 is a ratio of "
     "attention weights); for a signed score matrix use score_log_sharpness"),
    (lambda: sharpness(np.ones((3, 2)), [0, 0, 1]), "A must be a square (n, n) matrix or a stack (L, n, n), got shape (3, 2)"),
    (lambda: sharpness(np.ones((2, 2)), [0, 1], include_diagonal=False),
     "labels must leave at least one within-cluster pair (a cluster of size >= 2 when include_diagonal=False)"),
    (lambda: sharpness(np.ones((3, 3)), [0, 0, 0]), "labels must contain at least 2 clusters, got K=1"),
    (lambda: score_log_sharpness(np.ones((3, 2)), [0, 0, 1]),
     "S must be a square (n, n) matrix or a stack (L, n, n), got shape (3, 2)"),
    (lambda: score_log_sharpness(np.ones((2, 2)), [0, 1], include_diagonal=False),
     "labels must leave at least one within-cluster pair"),
    (lambda: score_log_sharpness(np.ones((3, 3)), [0, 0, 0]), "labels must contain at least 2 clusters, got K=1"),
    (lambda: projection_bounds(np.ones(3), [0, 1, 1], np.ones((2, 3))), "X must be a 2-d array, got shape (3,)"),
    (lambda: projection_bounds(np.eye(3), [0, 1, 1], np.ones((3, 3))), "Wc must have shape (2, 3), got (3, 3)"),
    (lambda: projection_bounds(np.eye(3), [0, 0, 0], np.ones((1, 3))), "labels must contain at least 2 clusters, got K=1"),
    (lambda: attention_scores(np.ones(3), np.ones((3, 2))), "X must be a 2-d array, got shape (3,)"),
    (lambda: attention_scores(np.ones((3, 2)), np.ones((2, 2)), np.ones((3, 2))), "Wk must have shape (2, 2), got (3, 2)"),
    (lambda: attention_layers(np.ones(3), np.ones((3, 2)), 1), "X must be a 2-d array, got shape (3,)"),
    (lambda: attention_layers(np.ones((3, 2)), np.ones(3), 1), "W must have shape (m=2, p) or (L=1, m=2, p), got (3,)"),
    (lambda: attention_layers(np.ones((3, 2)), np.ones((2, 2)), 1, Wk=np.ones((2, 3))),
     "Wk must have the shape of W (1, 2, 2), got (1, 2, 3)"),
    (lambda: fusion_weights(np.ones(3), [0, 1, 1]), "X must be a 2-d array, got shape (3,)"),
    (lambda: fusion_weights(np.eye(3), [0, 0, 0]), "labels must contain at least 2 clusters, got K=1"),
    (lambda: fusion_weights(np.eye(3), [0, 1, 1], direction="x"), "direction must be 'integrity' or 'mean', got 'x'"),
]


@pytest.mark.parametrize("call, message", _MESSAGES)
def test_bad_input_messages_in_full(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == message


def test_non_numeric_weights_are_refused_by_name():
    X = np.eye(3)[:2]
    with pytest.raises(ValueError, match=r"^W must be"):
        attention_layers(X, "abc", 1)
    with pytest.raises(ValueError, match=r"^Wk must be"):
        attention_layers(X, np.eye(3), 1, Wk="abc")


def test_sharpness_defaults_count_the_diagonal():
    rng = np.random.default_rng(3)
    A = rng.uniform(0.1, 1.0, (5, 5))
    A[np.diag_indices(5)] = 0.01  # the diagonal holds the smallest within entries
    labels = np.array([0, 0, 1, 1, 1])
    assert sharpness(A, labels) == pytest.approx(_brute_sharpness(A, labels, True), rel=1e-12)
    assert sharpness(A, labels) < sharpness(A, labels, include_diagonal=False)
    S = np.log(A)
    assert score_log_sharpness(S, labels) == pytest.approx(np.log(_brute_sharpness(A, labels, True)), abs=1e-12)
    assert isinstance(sharpness(A, labels), float) and isinstance(score_log_sharpness(S, labels), float)
    stack = np.stack([A, A.T])
    np.testing.assert_allclose(sharpness(stack, labels), [_brute_sharpness(A, labels), _brute_sharpness(A.T, labels)],
                               rtol=1e-12)
    np.testing.assert_allclose(score_log_sharpness(np.log(stack), labels),
                               np.log([_brute_sharpness(A, labels), _brute_sharpness(A.T, labels)]), atol=1e-12)
