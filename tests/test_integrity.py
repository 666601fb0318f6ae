import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from theory.integrity import (
    _spectral_upper,
    cluster_integrity,
    convex_integrity,
    exact_integrity,
    greedy_integrity,
    integrity_problems,
    min_norm_in_hull,
)
from theory.subspace import subspace_clusters


def _objective_at(X, labels, kind, signed, res):
    """Recompute each cluster's objective at the returned directions (independent of the solver)."""
    vals = []
    for k, (V, idx) in enumerate(integrity_problems(X, labels, kind)):
        u = res.directions[k]
        assert np.abs(u - V @ (V.T @ u)).max() < 1e-9  # feasible: inside V_k
        z = X[idx] @ u
        vals.append(z.min() if signed else np.abs(z).min())
    return np.array(vals)


def _brute_force_circle(Y, signed, grid=200_000):
    """max over unit u in R^2 of min_i |y_i^T u| on a fine grid (error <= pi / grid)."""
    t = np.linspace(0, 2 * np.pi, grid, endpoint=False)
    U = np.stack([np.cos(t), np.sin(t)], axis=1)
    Z = U @ Y.T
    return (Z if signed else np.abs(Z)).min(axis=1).max()


def _planar_instance(seed, n, spread):
    """K = 2 in R^3 with the feasible plane known by construction.

    Cluster 0 is {e3, -e3}, so U_0 = span(e3) and, for kind="one" (cluster 0)
    and kind="all" (cluster 1), the direction ranges over the (e1, e2) plane
    and the minimum runs over cluster 1's points.  Cluster 1: n random unit
    vectors whose planar parts point within +-spread of e1 (spread < pi/2:
    0 outside their hull; spread = pi: 0 typically inside).
    """
    rng = np.random.default_rng(seed)
    ang = rng.uniform(-spread, spread, n)
    z = rng.uniform(-0.9, 0.9, n)
    pts = np.stack([np.sqrt(1 - z**2) * np.cos(ang), np.sqrt(1 - z**2) * np.sin(ang), z], axis=1)
    X = np.concatenate([[[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]], pts])
    labels = np.array([0, 0] + [1] * n)
    return X, labels, pts[:, :2]


@settings(max_examples=12)
@given(seed=st.integers(0, 2**16), n=st.integers(3, 8), signed=st.booleans(), spread=st.sampled_from([1.2, np.pi]))
@example(seed=0, n=3, signed=True, spread=np.pi)  # 0 inside the hull of the projections: negative signed value
@example(seed=1, n=3, signed=False, spread=1.2)
def test_every_method_against_a_dense_circle_grid(seed, n, signed, spread):
    """Oracle: max over 2e5 unit directions of the plane, built without the package (error <= pi/2e5)."""
    X, labels, Y = _planar_instance(seed, n, spread)
    brute = _brute_force_circle(Y, signed)  # brute <= optimum <= brute + grid_err
    grid_err = np.pi / 200_000 * np.linalg.norm(Y, axis=1).max()  # objective is max||y||-Lipschitz in the angle
    for kind, k in (("one", 0), ("all", 1)):
        ex = exact_integrity(X, labels, kind=kind, signed=signed)
        cv = convex_integrity(X, labels, kind=kind, signed=signed, seed=seed)
        g = greedy_integrity(X, labels, kind=kind, signed=signed, seed=seed)
        gs = greedy_integrity(X, labels, kind=kind, signed=signed, seed=seed, variant="signed_step")
        for res in (ex, cv):  # the global optimum, certified from both sides
            assert brute - 1e-6 <= res.rho_k_lower[k] <= brute + grid_err
            assert res.rho_k_upper[k] >= brute - 1e-9
            assert res.rho_k_upper[k] - res.rho_k_lower[k] < 1e-6
        for res in (g, gs):  # Algorithm 1 (both step rules): a valid lower bound, nothing more
            assert res.rho_k_lower[k] <= brute + grid_err
            assert res.rho_k_upper[k] >= brute - 1e-9
            u = res.directions[k]
            assert abs(u[2]) < 1e-9 and np.linalg.norm(u) == pytest.approx(1.0)
            z = Y @ u[:2]
            assert res.rho_k_lower[k] == pytest.approx(z.min() if signed else np.abs(z).min(), abs=1e-12)


def test_signed_integrity_is_zero_when_the_origin_is_in_the_hull_of_a_lower_dimensional_set():
    """Regression: X = [b; -b; e4] (labels 0, 0, 1): no unit w perp e4 has b.w > 0 and -b.w > 0,
    but w = (0.8, -0.6, 0, 0) attains min(b.w, -b.w) = 0, the optimum (an earlier version returned -0.728)."""
    b = np.array([0.6, 0.8, 0.0, 0.0])
    X = np.array([b, -b, [0.0, 0.0, 0.0, 1.0]])
    w = np.array([0.8, -0.6, 0.0, 0.0])
    assert min(X[0] @ w, X[1] @ w) == pytest.approx(0.0, abs=1e-15)
    for method in ("exact", "convex"):
        res = cluster_integrity(X, [0, 0, 1], method, kind="all", signed=True)
        assert res.rho_k_lower[0] == pytest.approx(0.0, abs=1e-12)
        assert res.rho_k_upper[0] >= -1e-12
        u = res.directions[0]
        assert abs(u[3]) < 1e-12 and abs(u @ b) < 1e-12  # a witness: orthogonal to e4 and to b
    # the greedy lower bound can only be below the optimum
    assert cluster_integrity(X, [0, 0, 1], "greedy", kind="all", signed=True, seed=0).rho_k_lower[0] <= 1e-12


def test_signed_integrity_with_the_origin_inside_a_full_dimensional_hull():
    """Hand-derived: the planar points +-e1, +-e2 (square hull, inradius 1/sqrt 2).

    max_{|u|=1} min_i x_i.u = -min_u max(|u1|, |u2|) = -1/sqrt(2), at u = (1, 1)/sqrt 2 (up to signs)."""
    pts = np.array([[1.0, 0, 0], [-1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0]])
    X = np.concatenate([[[0.0, 0.0, 1.0]], pts])
    labels = [0, 1, 1, 1, 1]
    for method in ("exact", "convex"):
        res = cluster_integrity(X, labels, method, kind="one", signed=True)
        assert res.rho_k_lower[0] == pytest.approx(-1 / np.sqrt(2), abs=1e-12)
        assert res.rho_k_upper[0] == pytest.approx(-1 / np.sqrt(2), abs=1e-9)
        assert abs(abs(res.directions[0][0]) - abs(res.directions[0][1])) < 1e-9


def test_spectral_upper_bound_is_valid_and_tight_where_hand_derived():
    """The SDP bound on its own, before cluster_integrity takes the minimum with the other bounds."""
    # orthonormal points e_1..e_d: max_u min_i |u_i| = 1/sqrt(d), attained at u = 1/sqrt(d); the bound
    # sqrt(lambda_max(sum p_i e_i e_i^T)) is minimised at p uniform, equal to 1/sqrt(d): tight.
    for d in (2, 3, 5):
        assert _spectral_upper(np.eye(d)) == pytest.approx(1 / np.sqrt(d), rel=1e-6)
    # a single point y: the optimum is ||y||, and so is the bound
    assert _spectral_upper(np.array([[3.0, 4.0]])) == pytest.approx(5.0, rel=1e-12)
    # random planar instances: never below the dense-grid optimum, never above min ||y_i||
    rng = np.random.default_rng(5)
    for _ in range(20):
        Y = rng.standard_normal((rng.integers(2, 7), 2))
        ub = _spectral_upper(Y)
        assert ub >= _brute_force_circle(Y, False, grid=20_000) - 1e-9
        assert ub <= np.linalg.norm(Y, axis=1).max() + 1e-12



def test_K2_definition1_equals_the_theorem1_quantity():
    d = subspace_clusters(10, 5, 2, 2, seed=4)
    one = exact_integrity(d.X, d.labels, kind="one")
    allk = exact_integrity(d.X, d.labels, kind="all")
    # rho_1 (u perp U_1, points of cluster 2) is rho_bar_2 and vice versa
    np.testing.assert_allclose(one.rho_k_lower[::-1], allk.rho_k_lower, atol=1e-7)
    assert one.lower == pytest.approx(allk.lower, abs=1e-7)


def test_counterexample_algorithm1_far_below_the_optimum():
    # n = 15, m = 6, K = 3, r = 2 (seed 3): Algorithm 1 as written returns 0.005, the certified optimum is ~0.195.
    d = subspace_clusters(15, 6, 3, 2, seed=3)
    g = greedy_integrity(d.X, d.labels, seed=0)
    cv = convex_integrity(d.X, d.labels, seed=0)
    assert cv.upper - cv.lower < 1e-6  # certified optimum
    assert g.lower < 0.1 * cv.lower


@given(seed=st.integers(0, 2**16), N=st.integers(1, 6), d=st.integers(1, 4))
@example(seed=0, N=1, d=1)
@example(seed=2 ** 16, N=6, d=4)
def test_min_norm_point_matches_the_socp_by_duality(seed, N, d):
    # max_{||u|| <= 1} min_i y_i^T u  =  dist(0, conv{y_i})  (minimax duality)
    import cvxpy as cp

    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((N, d)) + rng.uniform(-1, 2) * rng.standard_normal(d)
    p = min_norm_in_hull((Y @ Y.T)[None], iters=5000)[0]
    assert np.all(p >= 0) and p.sum() == pytest.approx(1.0)
    hull = np.linalg.norm(p @ Y)
    u, t = cp.Variable(d), cp.Variable()
    prob = cp.Problem(cp.Maximize(t), [Y @ u >= t, cp.norm(u) <= 1])
    prob.solve(solver="CLARABEL")
    assert max(prob.value, 0.0) == pytest.approx(hull, abs=2e-5)


def test_degenerate_cluster_inside_the_other_subspaces_has_zero_integrity():
    a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [np.sqrt(0.5), np.sqrt(0.5), 0.0]])
    for method in ("greedy", "convex", "exact"):
        res = cluster_integrity(a, [0, 1, 2], method, kind="all")
        assert res.upper <= 1e-12 and res.lower <= 1e-12


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: cluster_integrity(np.ones((3, 2)), [0, 0, 1]), "unit-norm rows"),
        (lambda: cluster_integrity(np.array([[1.0, 0], [0, 0], [0, 1.0]]), [0, 0, 1]), "unit-norm rows"),
        (lambda: cluster_integrity(np.eye(3), [0, 1]), "labels must be a 1-d array of length n=3"),
        (lambda: cluster_integrity(np.eye(3), [0, 0, 2]), "empty"),
        (lambda: cluster_integrity(np.eye(3), [0, 0, 0]), "at least 2 clusters"),
        (lambda: cluster_integrity(np.eye(3), [0, 1, 1], "newton"), "method must be one of"),
        (lambda: cluster_integrity(np.eye(3), [0, 1, 1], kind="some"), "kind must be one of"),
        (lambda: cluster_integrity(np.eye(3), [0, 1, 1], "greedy", T=-1), "T must be"),
        (lambda: cluster_integrity(np.eye(3), [0, 1, 1], "greedy", alpha=0.0), "alpha must be"),
        (lambda: cluster_integrity(np.eye(3), [0, 1, 1], "greedy", variant="x"), "variant"),
        (lambda: exact_integrity(np.eye(20)[:, :20], [0] + [1] * 19, max_exact_points=10), "max_exact_points"),
        (lambda: cluster_integrity(np.full((2, 2), np.nan), [0, 1]), "finite"),
    ],
)
def test_integrity_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
