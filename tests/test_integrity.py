import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.integrity import (
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


@settings(max_examples=10)
@given(seed=st.integers(0, 2**16), n=st.integers(3, 8), signed=st.booleans())
def test_exact_integrity_matches_a_dense_grid_in_two_dimensions(seed, n, signed):
    # m = 3, K = 2, r = 1 with kind="one": V = U_k^perp is 2-dimensional -> grid search is exact to pi/grid.
    d = subspace_clusters(n, 3, 2, 1, seed=seed, half_space=signed)
    res = exact_integrity(d.X, d.labels, signed=signed)
    for k, (V, idx) in enumerate(integrity_problems(d.X, d.labels, "one")):
        brute = _brute_force_circle(d.X[idx] @ V, signed)
        assert res.rho_k_lower[k] >= brute - 1e-4  # grid error <= pi / 2e5 ~ 1.6e-5
        assert res.rho_k_upper[k] >= brute - 1e-12  # certified upper bound above the true value
        assert res.rho_k_upper[k] - res.rho_k_lower[k] < 1e-6


@settings(max_examples=8)
@given(seed=st.integers(0, 2**16), kind=st.sampled_from(["one", "all"]), signed=st.booleans())
def test_greedy_and_convex_bracket_the_exact_optimum(seed, kind, signed):
    d = subspace_clusters(9, 5, 3, 1, seed=seed, half_space=True)
    ex = exact_integrity(d.X, d.labels, kind=kind, signed=signed)
    g = greedy_integrity(d.X, d.labels, kind=kind, signed=signed, seed=seed)
    cv = convex_integrity(d.X, d.labels, kind=kind, signed=signed, seed=seed)
    tol = 1e-7
    for res in (g, cv, ex):
        # certified: the lower bound is the objective at the returned directions
        np.testing.assert_allclose(_objective_at(d.X, d.labels, kind, signed, res), res.rho_k_lower, atol=1e-9)
        assert np.all(res.rho_k_lower <= res.rho_k_upper + 1e-12)
        assert res.rho == res.lower == res.rho_k_lower.min()
    # greedy (Algorithm 1) is a valid lower bound; convex is at least as good; both under the exact upper bound
    assert g.lower <= ex.upper + tol
    assert cv.lower >= g.lower - tol
    assert cv.lower <= ex.upper + tol and ex.lower <= cv.upper + tol


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


def test_algorithm1_paper_step_moves_away_when_the_projection_is_negative():
    # Line 8 steps towards +x* even if x*^T u < 0, which shrinks |x*^T u|.
    x_star = np.array([1.0, 0.0])
    u = np.array([-0.6, 0.8])
    u_next = (u + 0.1 * x_star) / np.linalg.norm(u + 0.1 * x_star)
    assert abs(x_star @ u_next) < abs(x_star @ u)


@given(seed=st.integers(0, 2**16), N=st.integers(1, 6), d=st.integers(1, 4))
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
