import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from theory.integrity import (
    _spectral_upper,
    class_bases,
    cluster_integrity,
    convex_integrity,
    exact_integrity,
    greedy_integrity,
    integrity_problems,
    min_norm_in_hull,
)
from theory.subspace import subspace_clusters

from _budget import examples


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


@settings(max_examples=examples(12))
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



@pytest.mark.parametrize("seed", range(6))
def test_spectral_upper_bound_reaches_the_sdp_optimum_solved_by_cvxpy(seed):
    """min over the simplex of lambda_max(sum_i p_i y_i y_i^T), solved by cvxpy (its lambda_max atom), against the
    mirror descent: never below the optimum (it is a bound at a feasible p), and it closes at least 90% of the
    gap from its uniform start (measured: 99.9% or more on these instances; the uniform p is 2 to 23 times the
    optimum), so an update that fails to descend is caught even where the start is far from optimal."""
    import cvxpy as cp

    rng = np.random.default_rng(seed)
    N, d = int(rng.integers(3, 9)), int(rng.integers(2, 5))
    Y = rng.standard_normal((N, d)) * rng.uniform(0.3, 3.0, size=(N, 1))
    p = cp.Variable(N, nonneg=True)
    prob = cp.Problem(cp.Minimize(cp.lambda_max(sum(p[i] * np.outer(Y[i], Y[i]) for i in range(N)))), [cp.sum(p) == 1])
    prob.solve()
    sdp = prob.value
    uniform = np.linalg.eigvalsh(Y.T @ Y / N)[-1]
    ub2 = _spectral_upper(Y) ** 2
    assert ub2 >= sdp * (1 - 1e-6)
    assert ub2 - sdp <= 0.1 * (uniform - sdp)

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


# =====================================================================
# Independent oracles in three dimensions and for every building block.
#
# * The feasible subspaces come from scipy.linalg (orth, null_space) on the
#   class rows, not from the package.
# * The unsigned optimum on S^2: the best sign patterns of a 400k-point
#   Fibonacci grid, each polished by a cvxpy SOCP written here.  At the
#   optimum u*, min_i |y_i^T u*| = rho > 0, so a grid point within the grid's
#   angular spacing h of u* has u*'s sign pattern whenever rho > h; the SOCP
#   of that pattern is then the optimum (to solver accuracy).
# * The signed optimum: the min-norm point of conv{y_i} by a cvxpy QP when 0
#   is outside the hull; a dense grid otherwise.
# =====================================================================

import cvxpy as cp
import scipy.linalg

from theory.integrity import (
    _cutting_plane_upper,
    _patterns,
    _project_simplex,
    _smooth_ascent,
    class_bases,
)


def _fibonacci_sphere(n):
    i = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * i / n)
    theta = np.pi * (1 + 5**0.5) * i
    return np.stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)], axis=1)


SPHERE = _fibonacci_sphere(400_000)
SPHERE_H = 2.0 * np.sqrt(4 * np.pi / SPHERE.shape[0])  # covering radius of the grid (generous)


def _socp(Y, s):
    u, t = cp.Variable(Y.shape[1]), cp.Variable()
    prob = cp.Problem(cp.Maximize(t), [cp.multiply(s, Y @ u) >= t, cp.norm(u) <= 1])
    prob.solve(solver="CLARABEL")
    return prob.value


def _unsigned_optimum_3d(Y):
    """Global max over unit u in R^3 of min_i |y_i^T u|: grid, then the SOCP of the best patterns."""
    Z = SPHERE @ Y.T
    vals = np.abs(Z).min(axis=1)
    best = vals.max()
    L = np.linalg.norm(Y, axis=1).max()
    near = vals >= best - 2 * L * SPHERE_H
    patterns = np.unique(np.where(Z[near] >= 0, 1.0, -1.0), axis=0)
    return max(best, max(_socp(Y, s) for s in patterns)), best, L * SPHERE_H


def _subproblems_scipy(X, labels, kind, spans=None):
    """(V_k, idx_k) from scipy.linalg: orth of each class's rows (or the ``spans`` given), null_space of the
    relevant spans."""
    K = labels.max() + 1
    spans = [scipy.linalg.orth(X[labels == k].T) for k in range(K)] if spans is None else spans
    out = []
    for k in range(K):
        if kind == "one":
            V = scipy.linalg.null_space(spans[k].T)
            idx = np.flatnonzero(labels != k)
        else:
            V = scipy.linalg.null_space(np.concatenate([spans[l] for l in range(K) if l != k], axis=1).T)
            idx = np.flatnonzero(labels == k)
        out.append((V, idx))
    return out


def _three_cluster_instance(seed, n_per=3):
    """K = 3 in R^5: clusters 0, 1 on random lines, cluster 2 on a random plane; every kind="all" and
    kind="one" sub-problem has a 3-dimensional feasible space for some cluster."""
    rng = np.random.default_rng(seed)
    lines = [rng.standard_normal(5) for _ in range(2)]
    plane = np.linalg.qr(rng.standard_normal((5, 2)))[0]
    rows, labels = [], []
    for k, a in enumerate(lines):
        for _ in range(n_per):
            rows.append(np.sign(rng.standard_normal()) * a / np.linalg.norm(a))
            labels.append(k)
    for _ in range(n_per + 2):
        c = rng.standard_normal(2)
        rows.append(plane @ (c / np.linalg.norm(c)))
        labels.append(2)
    return np.array(rows), np.array(labels)


@pytest.mark.parametrize("kind", ["one", "all"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_integrity_problems_are_the_null_spaces_of_the_class_spans(kind, seed):
    X, labels = _three_cluster_instance(seed)
    ours = integrity_problems(X, labels, kind)
    theirs = _subproblems_scipy(X, labels, kind)
    assert len(ours) == 3
    for (V, idx), (W, jdx) in zip(ours, theirs):
        assert V.shape == W.shape
        np.testing.assert_array_equal(idx, jdx)
        np.testing.assert_allclose(V.T @ V, np.eye(V.shape[1]), atol=1e-12)
        np.testing.assert_allclose(V @ V.T, W @ W.T, atol=1e-10)  # the same subspace


def test_integrity_problems_with_given_bases_and_rank():
    rng = np.random.default_rng(3)
    d = subspace_clusters(30, 6, 2, 2, noise=0.05, seed=4)
    # noisy rows span R^6 per class; rank=2 keeps each class's top-2 singular directions
    full = integrity_problems(d.X_noisy, d.labels, "one")
    assert all(V.shape[1] == 0 for V, _ in full)
    trunc = integrity_problems(d.X_noisy, d.labels, "one", rank=2)
    for k, (V, _) in enumerate(trunc):
        top = np.linalg.svd(d.X_noisy[d.labels == k].T)[0][:, :2]
        np.testing.assert_allclose(V @ V.T, np.eye(6) - top @ top.T, atol=1e-10)
    # given bases are used as they are (here the true ones)
    given = integrity_problems(d.X_noisy, d.labels, "all", bases=list(d.bases))
    for k, (V, idx) in enumerate(given):
        other = d.bases[1 - k]
        np.testing.assert_allclose(V @ V.T, np.eye(6) - other @ other.T, atol=1e-10)
        np.testing.assert_array_equal(idx, np.flatnonzero(d.labels == k))
    with pytest.raises(ValueError, match=r"^bases must be K=2 arrays of shape \(m=6, r_k\)$"):
        integrity_problems(d.X, d.labels, bases=[d.bases[0]])
    with pytest.raises(ValueError, match=r"^bases must be K=2 arrays of shape \(m=6, r_k\)$"):
        integrity_problems(d.X, d.labels, bases=[d.bases[0], d.bases[1][:5]])
    del rng


def test_class_bases_span_each_class():
    X, labels = _three_cluster_instance(4)
    B = class_bases(X, labels)
    assert [b.shape for b in B] == [(5, 1), (5, 1), (5, 2)]
    for k, b in enumerate(B):
        np.testing.assert_allclose(b.T @ b, np.eye(b.shape[1]), atol=1e-12)
        rows = X[labels == k]
        np.testing.assert_allclose(rows - rows @ b @ b.T, 0.0, atol=1e-12)
    assert [b.shape for b in class_bases(X, labels, rank=1)] == [(5, 1)] * 3
    # a loose tolerance drops a weak direction
    Y = np.array([[1.0, 0, 0], [np.sqrt(1 - 1e-12), 1e-6, 0], [0, 0, 1.0]])
    assert class_bases(Y, [0, 0, 1])[0].shape == (3, 2)
    assert class_bases(Y, [0, 0, 1], tol=1e-3)[0].shape == (3, 1)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_exact_and_convex_against_an_independent_sphere_optimum(seed):
    """Unsigned, 3-d feasible spaces: both certified methods bracket the oracle's optimum tightly."""
    X, labels = _three_cluster_instance(seed)
    for kind in ("one", "all"):
        ex = exact_integrity(X, labels, kind=kind)
        cv = convex_integrity(X, labels, kind=kind, seed=seed)
        gr = greedy_integrity(X, labels, kind=kind, seed=seed)
        for k, (V, idx) in enumerate(_subproblems_scipy(X, labels, kind)):
            Y = X[idx] @ V
            if V.shape[1] != 3:
                continue
            opt, grid, err = _unsigned_optimum_3d(Y)
            assert grid <= opt + 1e-7 and opt <= grid + err
            for res in (ex, cv):
                assert res.rho_k_lower[k] == pytest.approx(opt, abs=2e-6), (kind, k, res.method)
                assert res.rho_k_upper[k] >= opt - 1e-7
                assert res.rho_k_upper[k] - res.rho_k_lower[k] < 1e-5
            assert gr.rho_k_lower[k] <= opt + 1e-9
            assert gr.rho_k_upper[k] == pytest.approx(np.linalg.norm(Y, axis=1).min(), rel=1e-12)
        for res in (ex, cv, gr):
            got = _objective_at(X, labels, kind, False, res)
            np.testing.assert_allclose(got, res.rho_k_lower, atol=1e-12)
            np.testing.assert_allclose(np.linalg.norm(res.directions, axis=1), 1.0, atol=1e-12)
            assert res.rho == res.lower == res.rho_k_lower.min() and res.upper == res.rho_k_upper.min()
            assert (res.kind, res.signed) == (kind, False)
        assert (ex.method, cv.method, gr.method) == ("exact", "convex", "greedy")


def _signed_oracle(Y):
    """max_{|u|=1} min_i y_i^T u: the min-norm point of conv{y_i} (cvxpy QP) when 0 is outside the hull."""
    p = cp.Variable(Y.shape[0], nonneg=True)
    prob = cp.Problem(cp.Minimize(cp.sum_squares(Y.T @ p)), [cp.sum(p) == 1])
    prob.solve(solver="CLARABEL")
    return np.sqrt(max(prob.value, 0.0))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_signed_integrity_against_the_min_norm_point_and_a_grid(seed):
    rng = np.random.default_rng(seed)
    # cluster 0: e4 (so the feasible space of kind "one" for cluster 0 is R^3 x {0}); cluster 1: 6 points,
    # shifted towards a random direction (0 outside their hull) or centred (0 typically inside)
    for shift in (1.5, 0.0):
        P = rng.standard_normal((6, 3)) + shift * rng.standard_normal(3)
        P = np.concatenate([P, 0.5 * rng.standard_normal((6, 1))], axis=1)
        P /= np.linalg.norm(P, axis=1, keepdims=True)
        X = np.concatenate([[[0, 0, 0, 1.0]], P])
        labels = np.array([0] + [1] * 6)
        Y = P[:, :3]
        grid = (SPHERE @ Y.T).min(axis=1).max()
        err = SPHERE_H * np.linalg.norm(Y, axis=1).max()
        for method in ("exact", "convex"):
            res = cluster_integrity(X, labels, method, kind="one", signed=True)
            lo, hi = res.rho_k_lower[0], res.rho_k_upper[0]
            assert grid - 1e-9 <= hi and lo <= grid + err
            assert lo >= grid - 1e-9  # never worse than the grid
            if grid > err:  # 0 is outside the hull: the value is its distance to the hull
                assert lo == pytest.approx(_signed_oracle(Y), abs=1e-6) and hi - lo < 1e-6
            u = res.directions[0]
            assert abs(u[3]) < 1e-12 and lo == pytest.approx((Y @ u[:3]).min(), abs=1e-12)


def test_signed_integrity_of_the_one_dimensional_case():
    """V of dimension 1: the two unit directions +-v; the value is the better of min_i y_i and -max_i y_i."""
    # kind "one" for cluster 0 = span(e1, e2) in R^3: V = span(e3)
    X = np.array([[1.0, 0, 0], [0, 1.0, 0], [0.6, 0, 0.8], [0, -0.8, -0.6], [0, 0.96, 0.28]])
    labels = [0, 0, 1, 1, 1]
    ys = np.array([0.8, -0.6, 0.28])
    want = max(ys.min(), -ys.max())
    for method in ("exact", "convex"):
        res = cluster_integrity(X, labels, method, kind="one", signed=True)
        assert res.rho_k_lower[0] == pytest.approx(want, abs=1e-12) and res.rho_k_upper[0] == pytest.approx(want)
        assert abs(res.directions[0][2]) == pytest.approx(1.0)
    # unsigned: min |y_i|
    for method in ("exact", "convex", "greedy"):
        res = cluster_integrity(X, labels, method, kind="one", signed=False, **({"seed": 0} if method != "exact" else {}))
        assert res.rho_k_lower[0] == pytest.approx(0.28, abs=1e-12)


@pytest.mark.parametrize("delta", [0.3, 0.9, 1.4])
def test_two_lines_in_a_plane_have_the_bisector_as_optimum(delta):
    """Hand-derived: unit points at angles 0 and delta <= pi/2 in the feasible plane: rho = cos(delta / 2)."""
    X = np.array([[0, 0, 1.0], [1.0, 0, 0], [np.cos(delta), np.sin(delta), 0]])
    labels = [0, 1, 1]
    for method in ("exact", "convex"):
        res = cluster_integrity(X, labels, method, kind="one")
        assert res.rho_k_lower[0] == pytest.approx(np.cos(delta / 2), abs=1e-8)
        assert res.rho_k_upper[0] == pytest.approx(np.cos(delta / 2), abs=1e-6)
        bisector = np.array([np.cos(delta / 2), np.sin(delta / 2), 0.0])
        assert abs(res.directions[0] @ bisector) == pytest.approx(1.0, abs=1e-8)  # +- the bisector


@settings(max_examples=examples(10), deadline=None)
@given(seed=st.integers(0, 2**16))
@example(seed=0)
def test_integrity_is_invariant_under_rotations_row_order_relabelling_and_row_signs(seed):
    X, labels = _three_cluster_instance(seed % 7)
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    perm = rng.permutation(len(X))
    relabel = np.array([2, 0, 1])
    signs = np.where(rng.random(len(X)) < 0.5, -1.0, 1.0)
    base = exact_integrity(X, labels, kind="all")
    rot = exact_integrity(X @ Q.T, labels, kind="all")
    per = exact_integrity(X[perm], labels[perm], kind="all")
    rel = exact_integrity(X, relabel[labels], kind="all")
    flip = exact_integrity(X * signs[:, None], labels, kind="all")
    np.testing.assert_allclose(rot.rho_k_lower, base.rho_k_lower, atol=1e-7)
    np.testing.assert_allclose(per.rho_k_lower, base.rho_k_lower, atol=1e-7)
    np.testing.assert_allclose(rel.rho_k_lower[relabel], base.rho_k_lower, atol=1e-7)
    np.testing.assert_allclose(flip.rho_k_lower, base.rho_k_lower, atol=1e-7)  # |x^T u| ignores the row's sign
    # the rotated problem's directions are feasible for the rotated data and attain the same values
    np.testing.assert_allclose(_objective_at(X @ Q.T, labels, "all", False, rot), base.rho_k_lower, atol=1e-7)


def test_greedy_with_no_iteration_evaluates_the_projected_random_start():
    """T = 0 (or a huge tau after the first step): Algorithm 1 returns the objective at P u_0, u_0 ~ N(0, I)
    drawn cluster by cluster from the seed, with P the projection onto the feasible space."""
    X, labels = _three_cluster_instance(5)
    for kw in (dict(T=0), dict(T=50, tau=1e9)):
        for kind in ("one", "all"):
            for signed in (False, True):
                res = greedy_integrity(X, labels, kind=kind, signed=signed, seed=11, **kw)
                rng = np.random.default_rng(11)
                for k, (V, idx) in enumerate(_subproblems_scipy(X, labels, kind)):
                    u0 = rng.standard_normal(5)
                    pu = V @ (V.T @ u0)
                    pu /= np.linalg.norm(pu)
                    z = X[idx] @ pu
                    assert res.rho_k_lower[k] == pytest.approx(z.min() if signed else np.abs(z).min(), abs=1e-12)
                    np.testing.assert_allclose(res.directions[k], pu, atol=1e-12)


def test_greedy_step_rules_on_a_hand_made_plane():
    """One step of line 8 from a known start: the paper steps towards +x*, the corrected rule towards
    sign(x*^T u) x*; with x*^T u < 0 the paper's step lowers |x*^T u| and the corrected one raises it."""
    # feasible plane (e1, e2) for cluster 0 = span(e3); cluster 1's points in that plane
    X = np.array([[0, 0, 1.0], [np.cos(2.0), np.sin(2.0), 0], [np.cos(0.2), np.sin(0.2), 0]])
    labels = np.array([0, 1, 1])
    # seed whose u_0 (projected) makes the smallest |x^T u| negative for the first point
    for seed in range(200):
        u0 = np.random.default_rng(seed).standard_normal(3)
        u = np.array([u0[0], u0[1], 0.0]) / np.hypot(u0[0], u0[1])
        z = X[1:] @ u
        i = int(np.argmin(np.abs(z)))
        if z[i] < -0.05:
            break
    alpha = 0.05
    x_star = X[1 + i]
    paper_next = (u + alpha * x_star) / np.linalg.norm(u + alpha * x_star)
    fixed_next = (u - alpha * x_star) / np.linalg.norm(u - alpha * x_star)
    v0 = np.abs(z).min()
    v_paper = np.abs(X[1:] @ paper_next).min()
    v_fixed = np.abs(X[1:] @ fixed_next).min()
    # T = 1: the best of the start and one step (line 12), tau = 0 never stops early
    paper = greedy_integrity(X, labels, T=1, alpha=alpha, tau=0.0, seed=seed)
    fixed = greedy_integrity(X, labels, T=1, alpha=alpha, tau=0.0, seed=seed, variant="signed_step")
    assert paper.rho_k_lower[0] == pytest.approx(max(v0, v_paper), abs=1e-12)
    assert fixed.rho_k_lower[0] == pytest.approx(max(v0, v_fixed), abs=1e-12)
    assert v_fixed > v0 > v_paper  # the corrected step improves on the start, the paper's makes it worse


def test_convex_bound_options():
    """bounds=False keeps only min_i ||y_i|| as upper bound; sdp=False drops the spectral bound only."""
    d = subspace_clusters(12, 6, 2, 2, seed=8)
    probs = integrity_problems(d.X, d.labels, "one")
    trivial = np.array([np.linalg.norm(d.X[idx] @ V, axis=1).min() for V, idx in probs])
    nob = convex_integrity(d.X, d.labels, bounds=False, seed=0)
    np.testing.assert_allclose(nob.rho_k_upper, np.maximum(trivial, nob.rho_k_lower), rtol=1e-12)
    full = convex_integrity(d.X, d.labels, seed=0)
    nosdp = convex_integrity(d.X, d.labels, sdp=False, seed=0)
    spectral = np.array([_spectral_upper(d.X[idx] @ V) for V, idx in probs])
    assert np.all(full.rho_k_upper <= np.minimum(trivial, spectral) + 1e-12)
    assert np.all(full.rho_k_upper <= nosdp.rho_k_upper + 1e-12)
    assert np.all(nob.rho_k_upper >= full.rho_k_upper - 1e-12)
    ex = exact_integrity(d.X, d.labels)
    for res in (full, nosdp):  # 6 points per sub-problem: the cutting planes reach the exact value
        np.testing.assert_allclose(res.rho_k_upper, ex.rho_k_lower, atol=1e-6)


def test_cluster_integrity_dispatches_with_its_arguments():
    d = subspace_clusters(10, 5, 2, 2, seed=1)
    for method in ("greedy", "convex", "exact"):
        kw = {} if method == "exact" else {"seed": 3}
        res = cluster_integrity(d.X, d.labels, method, kind="all", signed=True, **kw)
        fn = {"greedy": greedy_integrity, "convex": convex_integrity, "exact": exact_integrity}[method]
        ref = fn(d.X, d.labels, kind="all", signed=True, **kw)
        assert res.method == method and res.kind == "all" and res.signed is True
        np.testing.assert_allclose(res.rho_k_lower, ref.rho_k_lower, rtol=0, atol=0)
    assert cluster_integrity(d.X, d.labels).method == "convex" and cluster_integrity(d.X, d.labels).kind == "one"
    assert cluster_integrity(d.X, d.labels).signed is False


# ---------------------------------------------------------------- helpers


def _simplex_projection_bisection(v):
    """argmin_{p in simplex} ||p - v||: p = max(v - theta, 0) with sum = 1, theta by bisection."""
    lo, hi = v.min() - 1.0, v.max()
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.maximum(v - mid, 0).sum() > 1:
            lo = mid
        else:
            hi = mid
    return np.maximum(v - 0.5 * (lo + hi), 0)


@settings(max_examples=examples(25), deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 7), scale=st.sampled_from([1e-3, 1.0, 50.0]))
@example(seed=0, n=1, scale=1.0)
@example(seed=1, n=5, scale=50.0)
def test_simplex_projection_against_bisection(seed, n, scale):
    V = scale * np.random.default_rng(seed).standard_normal((3, n))
    P = _project_simplex(V)
    for v, p in zip(V, P):
        np.testing.assert_allclose(p, _simplex_projection_bisection(v), atol=1e-9 * max(scale, 1))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(P >= 0)


def test_min_norm_in_hull_batched_against_a_qp():
    rng = np.random.default_rng(2)
    Ys = [rng.standard_normal((5, 3)) + c * rng.standard_normal(3) for c in (0.0, 1.0, 3.0)]
    G = np.stack([Y @ Y.T for Y in Ys])
    P = min_norm_in_hull(G, iters=5000)
    for Y, p in zip(Ys, P):
        q = cp.Variable(5, nonneg=True)
        prob = cp.Problem(cp.Minimize(cp.sum_squares(Y.T @ q)), [cp.sum(q) == 1])
        prob.solve(solver="CLARABEL")
        assert np.linalg.norm(p @ Y) == pytest.approx(np.sqrt(max(prob.value, 0)), abs=1e-6)
        assert np.all(p >= 0) and p.sum() == pytest.approx(1.0, abs=1e-12)
    # converged to a high accuracy on the far-from-0 hull (the case that sets the certified upper bound)
    q = cp.Variable(5, nonneg=True)
    cp.Problem(cp.Minimize(cp.sum_squares(Ys[2].T @ q)), [cp.sum(q) == 1]).solve(solver="CLARABEL")
    assert np.linalg.norm(P[2] @ Ys[2]) == pytest.approx(np.linalg.norm(q.value @ Ys[2]), rel=1e-7)


def test_sign_patterns_cover_every_pattern_up_to_a_global_sign():
    for N in (1, 2, 3, 5):
        S = _patterns(N)
        assert S.shape == (2 ** max(N - 1, 0), N) and np.all(S[:, :1] == 1.0)
        both = {tuple(s) for s in S} | {tuple(-s) for s in S}
        assert len(both) == 2**N
    assert _patterns(0).shape == (1, 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cutting_plane_bound_is_exact_on_the_full_set_and_valid_on_subsets(seed):
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((7, 3))
    opt, _, _ = _unsigned_optimum_3d(Y)
    u = rng.standard_normal(3)
    u /= np.linalg.norm(u)
    ub_full, u_full = _cutting_plane_upper(Y, u, 7)
    assert ub_full == pytest.approx(opt, abs=1e-6)
    assert np.abs(Y @ u_full).min() == pytest.approx(opt, abs=1e-6)
    for size in (1, 3, 5):
        ub, _ = _cutting_plane_upper(Y, u, size)
        assert ub >= opt - 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smooth_ascent_finds_a_near_optimal_direction(seed):
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((8, 3))
    opt, _, _ = _unsigned_optimum_3d(Y)
    u = _smooth_ascent(Y, np.random.default_rng(seed))
    assert np.linalg.norm(u) == pytest.approx(1.0, abs=1e-12)
    assert np.abs(Y @ u).min() >= 0.9 * opt


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: cluster_integrity(np.eye(3), [0, 1, 1], "newton"),
         r"^method must be one of \('greedy', 'convex', 'exact'\), got 'newton'$"),
        (lambda: cluster_integrity(np.eye(3), [0, 1, 1], kind="some"),
         r"^kind must be one of \('one', 'all'\) \('one' = Definition 1, 'all' = Theorem 1's construction\), got 'some'$"),
        (lambda: greedy_integrity(np.eye(3), [0, 1, 1], T=-1), r"^T must be an integer in \[0, inf\), got -1$"),
        (lambda: greedy_integrity(np.eye(3), [0, 1, 1], alpha=0.0), r"^alpha must be in \(0, inf\), got 0.0$"),
        (lambda: greedy_integrity(np.eye(3), [0, 1, 1], tau=-1.0), r"^tau must be in \[0, inf\), got -1.0$"),
        (lambda: greedy_integrity(np.eye(3), [0, 1, 1], variant="x"),
         r"^variant must be 'paper' or 'signed_step', got 'x'$"),
        (lambda: convex_integrity(np.eye(3), [0, 1, 1], subset_size=0),
         r"^subset_size must be an integer in \[1, 16\], got 0$"),
        (lambda: convex_integrity(np.eye(3), [0, 1, 1], subset_size=17),
         r"^subset_size must be an integer in \[1, 16\], got 17$"),
        (lambda: convex_integrity(np.eye(3), [0, 1, 1], restarts=0), r"^restarts must be an integer in \[1, inf\), got 0$"),
        (lambda: exact_integrity(np.eye(3), [0, 1, 1], max_exact_points=0),
         r"^max_exact_points must be an integer in \[1, 20\], got 0$"),
        (lambda: exact_integrity(np.eye(3), [0, 1, 1], max_exact_points=21),
         r"^max_exact_points must be an integer in \[1, 20\], got 21$"),
        (lambda: exact_integrity(np.eye(4), [0, 1, 1, 1], max_exact_points=2),
         r"^X has 3 points in cluster 0's sub-problem, more than max_exact_points=2; use method='convex'$"),
        (lambda: exact_integrity(np.eye(4), [0, 1, 1, 1], kind="all", max_exact_points=2),
         r"^X has 3 points in cluster 1's sub-problem, more than max_exact_points=2; use method='convex'$"),
    ],
)
def test_integrity_messages_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------- the signed optimum's branches, and the SOCP ascent


def _signed_opt(Y):
    from theory.integrity import _SOCP, _signed_optimum

    return _signed_optimum(Y, _SOCP(Y, "CLARABEL"))


@pytest.mark.parametrize("ys", [[0.3, -0.5], [-0.3, 0.5], [0.2, -0.2, 0.7], [-0.9, 0.1, 0.4]])
def test_signed_optimum_on_a_line_is_the_better_of_the_two_directions(ys):
    """d = 1 with 0 in the hull: u = +-1, the value max(min_i y_i, -max_i y_i) (both negative here)."""
    Y = np.array(ys)[:, None]
    lo, hi, u = _signed_opt(Y)
    want = max(Y.min(), -Y.max())
    assert lo == pytest.approx(want, abs=1e-15) and hi == pytest.approx(want, abs=1e-15)
    assert u.shape == (1,) and (Y[:, 0] * u[0]).min() == pytest.approx(want, abs=1e-15)


def test_signed_optimum_of_a_rank_deficient_set_around_the_origin_is_zero_with_a_normal_witness():
    """Y spans a plane of R^3 and 0 is inside its hull: the optimum is 0, attained only by +-the plane's normal
    (a one-dimensional null space, so the witness is determined), and the certificate is 0 too."""
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    P = np.array([[1.0, 0.2], [-0.7, 0.6], [-0.1, -1.0], [0.4, -0.3]])  # 0 inside their planar hull
    Y = P @ Q[:, :2].T
    lo, hi, u = _signed_opt(Y)
    assert abs(lo) < 1e-12 and -1e-12 < hi < 1e-6
    assert abs(abs(u @ Q[:, 2]) - 1.0) < 1e-12  # the normal of the plane


@pytest.mark.parametrize("d", [2, 3, 8])
def test_signed_optimum_with_the_origin_inside_a_full_dimensional_hull_is_exact_up_to_dimension_8(d):
    """Oracle: -min over facets of conv{y_i} of the facet's distance to 0, from qhull called here, and a
    random-direction search that can only find values below it."""
    from scipy.spatial import ConvexHull

    rng = np.random.default_rng(d)
    Y = rng.standard_normal((d + 4, d))
    Y -= Y.mean(axis=0)  # 0 inside the hull
    eq = ConvexHull(Y).equations
    oracle = -np.min(-eq[:, -1] / np.linalg.norm(eq[:, :-1], axis=1))
    lo, hi, u = _signed_opt(Y)
    assert lo == pytest.approx(oracle, abs=1e-9) and hi == pytest.approx(oracle, abs=1e-9)
    assert np.linalg.norm(u) == pytest.approx(1.0) and (Y @ u).min() == pytest.approx(lo, abs=1e-12)
    U = rng.standard_normal((20000, d))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    assert (U @ Y.T).min(axis=1).max() <= oracle + 1e-12


def test_signed_optimum_above_dimension_8_gives_valid_bounds_from_its_candidates():
    """d = 10 with 0 inside: no facets; the lower bound is attained by the returned direction and lies below the
    qhull optimum computed here, the upper bound is the dual certificate (about 0)."""
    from scipy.spatial import ConvexHull

    rng = np.random.default_rng(3)
    Y = rng.standard_normal((14, 10))
    Y -= Y.mean(axis=0)
    eq = ConvexHull(Y).equations
    oracle = -np.min(-eq[:, -1] / np.linalg.norm(eq[:, :-1], axis=1))
    lo, hi, u = _signed_opt(Y)
    assert (Y @ u).min() == pytest.approx(lo, abs=1e-12) and np.linalg.norm(u) == pytest.approx(1.0)
    assert lo <= oracle + 1e-12 and hi >= oracle - 1e-12
    assert abs(hi) < 1e-6


def _pattern_value(Y, s):
    u, t = cp.Variable(Y.shape[1]), cp.Variable()
    cp.Problem(cp.Maximize(t), [cp.multiply(s, Y @ u) >= t, cp.norm(u) <= 1]).solve(solver="CLARABEL")
    return t.value


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_sign_pattern_ascent_climbs_from_its_start_and_stops_at_a_fixed_point(seed):
    """Each round solves the SOCP of the current sign pattern, so the value returned is at least the SOCP
    optimum of the start's pattern (computed here), and at the end the pattern of the best direction is
    a fixed point: its SOCP does not improve on it."""
    from theory.integrity import _SOCP, _ascent

    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((7, 3))
    u0 = rng.standard_normal(3)
    u0 /= np.linalg.norm(u0)
    best, u = _ascent(Y, _SOCP(Y, "CLARABEL"), u0)
    start_pattern = np.where(Y @ u0 >= 0, 1.0, -1.0)
    assert best >= _pattern_value(Y, start_pattern) - 1e-7
    assert best >= np.abs(Y @ u0).min() - 1e-12
    assert best == pytest.approx(np.abs(Y @ u).min(), abs=1e-12) and np.linalg.norm(u) == pytest.approx(1.0)
    assert _pattern_value(Y, np.where(Y @ u >= 0, 1.0, -1.0)) <= best + 1e-6


def test_sign_pattern_ascent_keeps_an_optimal_start():
    """At the optimum of the orthonormal pair (u = (1, -1)/sqrt 2, value 1/sqrt 2) nothing improves: the
    unsigned value of the start is returned (its signed value would be -1/sqrt 2)."""
    from theory.integrity import _SOCP, _ascent

    Y = np.eye(2)
    u0 = np.array([1.0, -1.0]) / np.sqrt(2)
    best, u = _ascent(Y, _SOCP(Y, "CLARABEL"), u0, max_rounds=0)
    assert best == pytest.approx(1 / np.sqrt(2), abs=1e-15) and np.allclose(u, u0)


@pytest.mark.parametrize("method", ["exact", "convex"])
@pytest.mark.parametrize("seed", [0, 1])
def test_rank_and_bases_reach_every_sub_problem(method, seed):
    """rank=1 (or the same bases passed in) instead of the full class spans: each cluster's feasible plane is
    the complement of its top singular vector, computed here by numpy's SVD and scipy's null_space, and the
    optimum on that plane comes from a dense circle grid (error <= pi |y|_max / grid)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((9, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)  # unit rows, as the package requires
    lab = np.array([0] * 4 + [1] * 5)
    want = []
    for k in (0, 1):
        u_top = np.linalg.svd(X[lab == k].T)[0][:, :1]
        N = scipy.linalg.null_space(u_top.T)  # (3, 2)
        Y = X[lab != k] @ N
        want.append(_brute_force_circle(Y, False, grid=400_000))
    fn = exact_integrity if method == "exact" else convex_integrity
    by_rank = fn(X, lab, kind="one", rank=1)
    bases = [np.linalg.svd(X[lab == k].T)[0][:, :1] for k in (0, 1)]
    by_bases = fn(X, lab, kind="one", bases=bases)
    tol = np.pi / 400_000 + 1e-7  # unit rows: |y| <= 1
    for res in (by_rank, by_bases):
        for k in (0, 1):
            assert res.rho_k_lower[k] <= want[k] + tol
            if method == "exact":
                assert res.rho_k_lower[k] == pytest.approx(want[k], abs=tol)
            assert res.rho_k_upper[k] >= want[k] - tol
    # the full spans (the default: both classes span R^3) leave no feasible direction at all
    full = fn(X, lab, kind="one")
    assert full.rho_k_upper.max() <= 1e-9 < min(want)


def _soft_min_gap(Y):
    """``mu_end log N``: the soft-min ``-mu log sum_i exp(-a_i / mu)`` lies in ``[min a - mu log N, min a]``, so
    the global maximiser of the last (``mu_end = 0.01 median|y_i| / sqrt(d)``) smoothing is within this of the
    optimum."""
    N, d = Y.shape
    return 0.01 * np.median(np.linalg.norm(Y, axis=1)) / np.sqrt(d) * np.log(N)


@pytest.mark.parametrize("seed, N", [(0, 6), (1, 8), (2, 10), (3, 12), (4, 8), (5, 16)])
def test_smooth_ascent_ends_within_the_soft_min_gap_of_its_cells_optimum(seed, N):
    """A heuristic (it can stop at a local maximum: seed 0 here does), but a converged one: at the returned
    ``u`` no point has ``y_i^T u = 0``, so near ``u`` the objective is the concave ``min_i s_i y_i^T u`` of the
    sign cell ``s = sign(Y u)``, whose maximum (cvxpy's SOCP) it must reach up to the last smoothing's gap."""
    rng = np.random.default_rng(100 + seed)
    Y = rng.standard_normal((N, 3)) * rng.uniform(0.2, 2.0, (N, 1))
    u = _smooth_ascent(Y, np.random.default_rng(seed))
    assert np.linalg.norm(u) == pytest.approx(1.0, abs=1e-12)
    val = np.abs(Y @ u).min()
    cell = _socp(Y, np.where(Y @ u >= 0, 1.0, -1.0))  # val <= cell: u lies in that cell
    assert cell - _soft_min_gap(Y) <= val <= cell + 1e-7  # the SOCP solver's accuracy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smooth_ascent_in_the_plane_against_a_circle_grid(seed):
    rng = np.random.default_rng(200 + seed)
    Y = rng.standard_normal((7, 2))
    opt = _brute_force_circle(Y, False)
    val = np.abs(Y @ _smooth_ascent(Y, np.random.default_rng(seed))).min()
    L = np.linalg.norm(Y, axis=1).max()
    assert opt - _soft_min_gap(Y) <= val <= opt + np.pi * L / 200_000


def test_smooth_ascent_with_one_iteration_returns_the_best_random_start():
    """No ascent step is evaluated: the result is the best of the ``restarts`` normalised Gaussian starts."""
    rng = np.random.default_rng(7)
    Y = rng.standard_normal((9, 4))
    for restarts in (1, 5):
        U = np.random.default_rng(3).standard_normal((restarts, 4))
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        best = U[np.argmax(np.abs(U @ Y.T).min(axis=1))]
        np.testing.assert_allclose(_smooth_ascent(Y, np.random.default_rng(3), restarts=restarts, iters=1), best,
                                   rtol=0, atol=1e-15)


def test_smooth_ascent_is_scale_free_and_improves_on_its_starts():
    """``mu`` scales with the points, so scaling ``Y`` leaves the direction unchanged (up to rounding); more
    iterations never return a worse direction than the best start (the best is kept)."""
    rng = np.random.default_rng(8)
    Y = rng.standard_normal((10, 3))
    u = _smooth_ascent(Y, np.random.default_rng(4))
    np.testing.assert_allclose(_smooth_ascent(40.0 * Y, np.random.default_rng(4)), u, atol=1e-8)
    np.testing.assert_allclose(_smooth_ascent(Y / 40.0, np.random.default_rng(4)), u, atol=1e-8)
    start = _smooth_ascent(Y, np.random.default_rng(4), iters=1)
    for iters in (2, 10, 400):
        got = _smooth_ascent(Y, np.random.default_rng(4), iters=iters)
        assert np.abs(Y @ got).min() >= np.abs(Y @ start).min()
    assert np.abs(Y @ u).min() > np.abs(Y @ start).min() + 1e-3  # the ascent does climb here (by 0.04)


def test_convex_integrity_starts_from_algorithm1_on_the_same_sub_problems(monkeypatch):
    """The greedy start is Algorithm 1 run with the caller's kind, sign, bases, rank, seed and options."""
    import theory.integrity as integrity

    calls = []
    real = integrity.greedy_integrity

    def spy(*args, **kw):
        calls.append(kw)
        return real(*args, **kw)

    monkeypatch.setattr(integrity, "greedy_integrity", spy)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    lab = np.array([0] * 4 + [1] * 5)
    bases = [np.linalg.svd(X[lab == k].T)[0][:, :1] for k in (0, 1)]
    integrity.convex_integrity(X, lab, kind="all", bases=bases, bounds=False, restarts=1,
                               greedy_kwargs={"T": 3, "alpha": 0.2})
    integrity.convex_integrity(X, lab, kind="one", rank=1, bounds=False, restarts=1, seed=5)
    assert len(calls) == 2
    a, b = calls
    assert a["kind"] == "all" and a["signed"] is False and a["bases"] is bases and a["rank"] is None
    assert a["T"] == 3 and a["alpha"] == 0.2
    assert b["kind"] == "one" and b["rank"] == 1 and b["bases"] is None and "T" not in b
    assert isinstance(b["seed"], np.random.Generator)
    integrity.convex_integrity(X, lab, signed=True, bounds=False)
    assert len(calls) == 2  # the signed problem is convex: no greedy start


def _algorithm1_from_the_listing(X, labels, kind, signed, variant, T, alpha, tau, seed, spans=None):
    """Appendix Algorithm 1, line by line (lines 3-13 per class), with scipy's null spaces for the projection.

    Extensions of the listing, as documented: ``kind="all"`` projects off every other class's span and takes
    the minimum over the class's own points; ``signed`` drops the absolute value; ``"signed_step"`` steps towards
    ``sign(x*^T u) x*``.  Returns the per-class values and directions.
    """
    rng = np.random.default_rng(seed)
    values, dirs = [], []
    for V, idx in _subproblems_scipy(X, labels, kind, spans):
        P = V @ V.T
        pts = X[idx]
        rho_k, best = -np.inf, None  # line 3
        u = rng.standard_normal(X.shape[1])  # line 4
        for _t in range(T + 1):  # line 5
            u_perp = P @ u / np.linalg.norm(P @ u)  # line 6
            proj = pts @ u_perp
            score = proj if signed else np.abs(proj)
            i = int(np.argmin(score))  # line 7
            x_star = pts[i] if variant == "paper" else np.sign(proj[i]) * pts[i]
            u = (u_perp + alpha * x_star) / np.linalg.norm(u_perp + alpha * x_star)  # line 8
            if abs(rho_k - score[i]) < tau:  # lines 9-10
                break
            if score[i] > rho_k:  # line 12: rho_k <- max(rho_k, .), remembering where
                rho_k, best = score[i], u_perp
        values.append(rho_k)
        dirs.append(best)
    return np.array(values), np.array(dirs)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind, signed, variant", [("one", False, "paper"), ("one", False, "signed_step"),
                                                   ("all", True, "paper"), ("all", False, "signed_step"),
                                                   ("one", True, "signed_step")])
@pytest.mark.parametrize("T, alpha, tau", [(1, 0.05, 0.0), (40, 0.05, 0.0), (40, 0.3, 1e-3), (200, 0.01, 1e-9)])
def test_greedy_follows_the_listing_of_algorithm1_step_by_step(seed, kind, signed, variant, T, alpha, tau):
    X, labels = _three_cluster_instance(seed)
    want, want_dirs = _algorithm1_from_the_listing(X, labels, kind, signed, variant, T, alpha, tau, seed + 20)
    res = greedy_integrity(X, labels, kind=kind, signed=signed, variant=variant, T=T, alpha=alpha, tau=tau,
                           seed=seed + 20)
    np.testing.assert_allclose(res.rho_k_lower, want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.directions, want_dirs, rtol=0, atol=1e-9)
    assert res.rho == pytest.approx(want.min(), abs=1e-10) and res.lower == res.rho
    trivial = [np.linalg.norm(X[idx] @ V, axis=1).min() for V, idx in _subproblems_scipy(X, labels, kind)]
    np.testing.assert_allclose(res.rho_k_upper, trivial, rtol=1e-12)
    assert res.upper == pytest.approx(min(trivial), rel=1e-12)
    assert (res.method, res.kind, res.signed) == ("greedy", kind, signed)


def test_greedy_defaults_are_the_documented_ones():
    """T = 1000, alpha = 0.05, tau = 1e-9, the paper's step, Definition 1, unsigned."""
    X, labels = _three_cluster_instance(4)
    want, want_dirs = _algorithm1_from_the_listing(X, labels, "one", False, "paper", 1000, 0.05, 1e-9, 9)
    res = greedy_integrity(X, labels, seed=9)
    np.testing.assert_allclose(res.rho_k_lower, want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.directions, want_dirs, rtol=0, atol=1e-9)


# ---------------------------------------------------------------- degenerate structures, by construction


def _planar_two_class():
    """R^2: class 0 = {e1}, class 1 = three unit points; with U_0 = span(e1) the feasible direction is +-e2."""
    X = np.array([[1.0, 0.0], [np.cos(0.4), np.sin(0.4)], [np.cos(2.0), np.sin(2.0)], [np.cos(-1.0), np.sin(-1.0)]])
    return X, np.array([0, 1, 1, 1])


@pytest.mark.parametrize("empty", ["no column", "a zero column"])
def test_a_given_empty_basis_is_the_zero_subspace(empty):
    """A class basis with no column (or only a zero column) is the subspace {0}: for Definition 1 the direction of
    that class is free in R^2, so rho_0 = max_u min_{class 1} |x^T u|, from a dense circle grid."""
    X, lab = _planar_two_class()
    B0 = np.zeros((2, 0)) if empty == "no column" else np.zeros((2, 1))
    bases = [B0, np.array([[np.cos(0.4)], [np.sin(0.4)]])]
    probs = integrity_problems(X, lab, "one", bases=bases)
    V0, idx0 = probs[0]
    assert V0.shape == (2, 2) and np.allclose(V0.T @ V0, np.eye(2)) and idx0.tolist() == [1, 2, 3]
    V1, _ = probs[1]
    assert V1.shape == (2, 1) and abs(V1[:, 0] @ [np.cos(0.4), np.sin(0.4)]) < 1e-12
    want0 = _brute_force_circle(X[1:], False)
    for fn in (exact_integrity, convex_integrity):
        res = fn(X, lab, kind="one", bases=bases)
        assert res.rho_k_lower[0] == pytest.approx(want0, abs=1e-4)
    # kind="all" with every other basis empty: cluster 1's direction is free as well
    V, idx = integrity_problems(X, lab, "all", bases=bases)[1]
    assert V.shape == (2, 2) and idx.tolist() == [1, 2, 3]


def test_a_class_spanning_the_whole_space_leaves_no_direction():
    """Class 0 spans R^2: V_0 = {0}, so rho_0 = 0 with a zero direction for every method (Algorithm 1 has no
    admissible u); class 1 = {x} with x = (cos 0.3, sin 0.3) leaves u = +-(-sin 0.3, cos 0.3), where class 0's
    points e1, e2 are seen at sin 0.3 and cos 0.3: rho_1 = sin 0.3, exactly, for every method."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [np.cos(0.3), np.sin(0.3)]])
    lab = np.array([0, 0, 1])
    V0, _ = integrity_problems(X, lab, "one")[0]
    assert V0.shape == (2, 0)
    for method in ("greedy", "convex", "exact"):
        res = cluster_integrity(X, lab, method, **({} if method == "exact" else {"seed": 0}))
        assert res.rho_k_lower[0] == 0.0 and res.rho_k_upper[0] == 0.0 and not np.any(res.directions[0])
        assert res.rho == 0.0 and res.upper == 0.0
        assert res.rho_k_lower[1] == pytest.approx(np.sin(0.3), abs=1e-9)
        assert res.rho_k_upper[1] == pytest.approx(np.sin(0.3), abs=1e-9)


def test_one_dimensional_inputs():
    """m = 1: every class spans R^1, nothing is feasible, rho = 0."""
    X = np.array([[1.0], [-1.0], [1.0]])
    lab = np.array([0, 1, 1])
    for kind in ("one", "all"):
        assert all(V.shape == (1, 0) for V, _ in integrity_problems(X, lab, kind))
        for method in ("greedy", "convex", "exact"):
            res = cluster_integrity(X, lab, method, kind=kind)
            assert res.rho == 0.0 and res.upper == 0.0


def test_integrity_problems_of_a_single_class():
    """K = 1 (integrity_problems itself does not require two classes): kind="all" has no other subspace, so the
    feasible space is R^m and the minimum runs over every point; kind="one" is the complement of the span."""
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    (V, idx), = integrity_problems(X, np.array([0, 0]), "all")
    assert V.shape == (3, 3) and np.allclose(V.T @ V, np.eye(3)) and idx.tolist() == [0, 1]
    (V, idx), = integrity_problems(X, np.array([0, 0]), "one")
    assert V.shape == (3, 1) and abs(abs(V[2, 0]) - 1.0) < 1e-12 and idx.size == 0


def test_integrity_problems_default_kind_and_tolerance():
    """The default kind is Definition 1's; tol sets the numerical rank of each class span (relative to the top
    singular value): a class that is a line up to a 1e-4 wobble is a plane at tol = 1e-9, a line at tol = 1e-2."""
    X, labels = _three_cluster_instance(1)
    for (Va, ia), (Vb, ib) in zip(integrity_problems(X, labels), integrity_problems(X, labels, "one")):
        assert Va.shape == Vb.shape and np.array_equal(ia, ib)
    a = np.array([1.0, 0.0, 0.0])
    rows = [a, np.array([1.0, 1e-4, 0.0]), np.array([0.0, 0.0, 1.0])]
    X = np.array([r / np.linalg.norm(r) for r in rows])
    lab = np.array([0, 0, 1])
    assert integrity_problems(X, lab, "one")[0][0].shape == (3, 1)  # span{x0, x1} is a plane
    assert integrity_problems(X, lab, "one", tol=1e-2)[0][0].shape == (3, 2)  # a line at tol = 1e-2
    assert class_bases(X, lab, tol=1e-2)[0].shape == (3, 1) and class_bases(X, lab)[0].shape == (3, 2)


def test_integer_inputs_are_read_as_floats():
    X = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    lab = np.array([0, 0, 1])
    ref = exact_integrity(X.astype(float), lab)
    res = exact_integrity(X, lab, bases=[np.array([[1, 0], [0, 1], [0, 0]]), np.array([[0], [0], [1]])])
    np.testing.assert_allclose(res.rho_k_lower, ref.rho_k_lower, atol=1e-12)
    assert [b.dtype for b in class_bases(X, lab)] == [np.float64, np.float64]


def test_non_unit_rows_are_refused_with_the_parameter_name():
    for fn in (cluster_integrity, greedy_integrity, convex_integrity, exact_integrity):
        with pytest.raises(ValueError, match=r"^X must have unit-norm rows"):
            fn(np.ones((3, 2)), [0, 0, 1])


def test_greedy_with_rank_or_bases_runs_on_those_subspaces():
    """rank = 1 (and the same bases passed in) against the listing run on the rank-1 sub-problems."""
    X, labels = _three_cluster_instance(2)
    bases = [np.linalg.svd(X[labels == k].T)[0][:, :1] for k in range(3)]
    want, _ = _algorithm1_from_the_listing(X, labels, "one", False, "paper", 30, 0.05, 0.0, 4, spans=bases)
    for kw in (dict(rank=1), dict(bases=bases)):
        res = greedy_integrity(X, labels, T=30, tau=0.0, seed=4, **kw)
        np.testing.assert_allclose(res.rho_k_lower, want, rtol=0, atol=1e-10)
    full, _ = _algorithm1_from_the_listing(X, labels, "one", False, "paper", 30, 0.05, 0.0, 4)
    assert np.abs(full - want).max() > 1e-3  # the rank-1 sub-problems are other problems


def test_signed_integrity_of_every_cluster_against_the_min_norm_point():
    """signed=True, kind="all", K = 3 with 0 outside each cluster's projected hull: rho_k = dist(0, conv{P x_i}),
    from cvxpy's SOCP written here, for every cluster (not only the first)."""
    X, labels = _three_cluster_instance(0)
    X = X.copy()
    X[labels < 2] = np.abs(X[labels < 2])  # points of the lines on one side
    want = [_socp(X[idx] @ V, np.ones(idx.size)) for V, idx in _subproblems_scipy(X, labels, "all")]
    for fn in (convex_integrity, exact_integrity):
        res = fn(X, labels, kind="all", signed=True)
        for k in range(3):
            if want[k] > 1e-6:
                assert res.rho_k_lower[k] == pytest.approx(want[k], abs=1e-6)
                assert res.rho_k_upper[k] == pytest.approx(want[k], abs=1e-6)
        assert sum(w > 1e-6 for w in want) >= 2


def test_a_point_inside_the_other_subspaces_gives_zero_integrity_for_every_method():
    """One point of class 1 lies in U_0: it is seen at 0 by every direction orthogonal to U_0, so rho_0 = 0,
    certified by every method's upper bound."""
    X = np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 0, 0], [0, 0.6, 0.8], [0, -0.8, 0.6], [0.6, 0, 0.8]])
    lab = np.array([0, 0, 1, 1, 1, 1])
    for method in ("exact", "convex"):
        res = cluster_integrity(X, lab, method)
        assert res.rho_k_lower[0] == pytest.approx(0.0, abs=1e-9) and res.rho_k_upper[0] == pytest.approx(0.0, abs=1e-7)


def test_max_exact_points_counts_the_points_of_each_sub_problem():
    """The limit is on the number of points (rows), not the dimension; 15 points exceed the default 14."""
    X, lab = _planar_two_class()  # class 0's sub-problem: 3 points in a 1-dimensional space
    exact_integrity(X, lab, max_exact_points=3)  # 3 points: allowed
    with pytest.raises(ValueError, match=r"^X has 3 points in cluster 0's sub-problem, more than "
                                         r"max_exact_points=2; use method='convex'$"):
        exact_integrity(X, lab, max_exact_points=2)
    rng = np.random.default_rng(0)
    P = rng.standard_normal((16, 3))
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    with pytest.raises(ValueError, match=r"^X has 15 points in cluster 0's sub-problem, more than max_exact_points=14"):
        exact_integrity(P, [0] + [1] * 15)


def test_convex_integrity_is_seeded_and_its_bounds_only_raise_the_lower_bound():
    """The same seed gives the same result bit for bit; the cutting-plane bound (bounds=True) can only raise the
    lower bound found by the ascent (bounds=False), never lower it."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((16, 4))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    lab = np.array([0, 0] + [1] * 14)
    a = convex_integrity(X, lab, seed=7, subset_size=5)
    b = convex_integrity(X, lab, seed=7, subset_size=5)
    np.testing.assert_array_equal(a.directions, b.directions)
    np.testing.assert_array_equal(a.rho_k_upper, b.rho_k_upper)
    nob = convex_integrity(X, lab, seed=7, bounds=False)
    assert np.all(a.rho_k_lower >= nob.rho_k_lower - 1e-12)
    for k in range(2):
        V, idx = integrity_problems(X, lab, "one")[k]
        assert np.abs(X[idx] @ a.directions[k]).min() == pytest.approx(a.rho_k_lower[k], abs=1e-12)


def test_convex_integrity_defaults():
    """sdp=True, subset_size=10, restarts=16, solver CLARABEL: the defaults spelled out give the same result. A
    16-point sub-problem in R^5 where the cutting-plane bound on 10 points is not yet exact (one more point
    tightens it by about 0.008, so the subset size is visible)."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((17, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    lab = np.array([0] + [1] * 16)
    a = convex_integrity(X, lab, seed=1)
    b = convex_integrity(X, lab, seed=1, sdp=True, subset_size=10, restarts=16, solver="CLARABEL", bounds=True)
    np.testing.assert_array_equal(a.rho_k_upper, b.rho_k_upper)
    np.testing.assert_array_equal(a.directions, b.directions)
    assert a.rho_k_upper[0] > convex_integrity(X, lab, seed=1, subset_size=11).rho_k_upper[0] + 1e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cutting_plane_bound_starts_from_the_points_closest_to_the_boundary(seed):
    """size = 1: the one point with the smallest |y_i^T u| (its norm is its own max-min); size = 3: the three
    such points, whose max-min comes from a circle grid; the returned direction is evaluated on all points."""
    rng = np.random.default_rng(30 + seed)
    Y = rng.standard_normal((7, 2))
    u = rng.standard_normal(2)
    u /= np.linalg.norm(u)
    order = np.argsort(np.abs(Y @ u))
    ub1, _ = _cutting_plane_upper(Y, u, 1)
    assert ub1 == pytest.approx(np.linalg.norm(Y[order[0]]), rel=1e-9)
    ub3, u3 = _cutting_plane_upper(Y, u, 3)
    want = _brute_force_circle(Y[order[:3]], False)
    L = np.linalg.norm(Y, axis=1).max()
    assert ub3 == pytest.approx(want, abs=np.pi * L / 200_000 + 1e-7)
    assert np.abs(Y @ u3).min() <= ub3 + 1e-9


def test_spectral_upper_bound_in_one_and_zero_dimensions():
    """d = 1: max_u min |y_i u| = min |y_i| and lambda_max(sum p_i y_i^2) is smallest with all weight on it;
    d = 0 (no feasible direction): 0."""
    assert _spectral_upper(np.array([[0.5], [-2.0], [1.5]])) == pytest.approx(0.5, rel=1e-3)
    assert _spectral_upper(np.array([[0.5], [-2.0], [1.5]])) >= 0.5 - 1e-12
    assert _spectral_upper(np.zeros((4, 0))) == 0.0


def test_socp_falls_back_to_scs_when_the_solver_fails(monkeypatch):
    """A SolverError of the chosen solver: the pattern's SOCP is solved by SCS instead (accurate to ~1e-4)."""
    import cvxpy as cp

    from theory.integrity import _SOCP

    real = cp.Problem.solve

    def failing(self, *a, solver=None, **kw):
        if solver != "SCS":
            raise cp.error.SolverError("planted failure")
        return real(self, *a, solver=solver, **kw)

    rng = np.random.default_rng(0)
    Y = rng.standard_normal((6, 3))
    s = np.where(Y @ rng.standard_normal(3) >= 0, 1.0, -1.0)
    want = _pattern_value(Y, s)
    monkeypatch.setattr(cp.Problem, "solve", failing)
    u, ub = _SOCP(Y, "CLARABEL").solve(s)
    assert np.linalg.norm(u) == pytest.approx(1.0) and (s * (Y @ u)).min() == pytest.approx(want, abs=1e-3)
    assert ub >= want - 1e-3


def test_exact_integrity_of_a_cluster_inside_the_other_subspaces_has_a_zero_direction():
    """Every point of class 1 lies in U_0 (kind="one", cluster 0): Y = 0, rho_0 = 0 and no direction is claimed."""
    X = np.array([[1.0, 0, 0], [0, 1.0, 0], [0.6, 0.8, 0], [0.8, -0.6, 0]])
    lab = np.array([0, 0, 1, 1])
    for fn in (exact_integrity, convex_integrity):
        res = fn(X, lab)
        assert res.rho_k_lower[0] == 0.0 and res.rho_k_upper[0] == 0.0 and not np.any(res.directions[0])


@pytest.mark.parametrize("case", ["outside", "inside", "rank-deficient"])
def test_signed_optimum_is_positively_homogeneous(case):
    """max_{|u|=1} min_i (c y_i)^T u = c max_u min_i y_i^T u for c > 0: the same bounds, scaled, at 1e-6 and 1e6
    (the branch rules -- 0 outside the hull, the rank of Y -- must be scale-free)."""
    from theory.integrity import _SOCP, _signed_optimum

    rng = np.random.default_rng(5)
    Y = rng.standard_normal((6, 3))
    if case == "outside":
        Y[:, 0] = np.abs(Y[:, 0]) + 0.5
    elif case == "inside":
        Y -= Y.mean(axis=0)
    else:
        Y[:, 2] = 0.0
        Y[:, :2] -= Y[:, :2].mean(axis=0)
    lo, hi, _ = _signed_optimum(Y, _SOCP(Y, "CLARABEL"))
    for c in (1e-6, 1e6):
        lo_c, hi_c, u = _signed_optimum(c * Y, _SOCP(c * Y, "CLARABEL"))
        # the conic solver's tolerances are absolute (~1e-8 on values of size 1, ~1e-10 observed at size 1e-6)
        assert lo_c == pytest.approx(c * lo, rel=1e-3, abs=1e-7 * c)
        assert hi_c == pytest.approx(c * hi, rel=1e-3, abs=1e-7 * c)
        assert np.linalg.norm(u) == pytest.approx(1.0)


def test_signed_optimum_uses_facets_up_to_dimension_8_by_default():
    """The documented default max_hull_dim = 8: at d = 9 the bounds are the facet-free ones (as with
    max_hull_dim=8), at d = 8 the facets give the exact value (as with a larger limit)."""
    from theory.integrity import _SOCP, _signed_optimum

    rng = np.random.default_rng(1)
    for d in (8, 9):
        Y = rng.standard_normal((d + 3, d))
        Y -= Y.mean(axis=0)
        got = _signed_optimum(Y, _SOCP(Y, "CLARABEL"))
        same = _signed_optimum(Y, _SOCP(Y, "CLARABEL"), max_hull_dim=8)
        other = _signed_optimum(Y, _SOCP(Y, "CLARABEL"), max_hull_dim=7 if d == 8 else 9)
        assert got[:2] == pytest.approx(same[:2], abs=1e-12)
        assert abs(got[1] - other[1]) > 1e-3  # the two rules give different upper bounds here


def test_convex_integrity_passes_restarts_to_the_soft_min_start(monkeypatch):
    import theory.integrity as integrity

    seen = []
    real = integrity._smooth_ascent
    monkeypatch.setattr(integrity, "_smooth_ascent", lambda Y, rng, **kw: seen.append(kw) or real(Y, rng, **kw))
    X, lab = _planar_two_class()
    integrity.convex_integrity(X, lab, restarts=3, bounds=False)
    integrity.convex_integrity(X, lab, bounds=False)
    assert seen and all(kw == {"restarts": 3} for kw in seen[: len(seen) // 2])
    assert all(kw == {"restarts": 16} for kw in seen[len(seen) // 2:])


def test_class_bases_of_empty_zero_and_one_dimensional_classes():
    """class_bases does not validate: an empty class and a class of zero rows have the empty basis (m, 0);
    in R^1 a single point spans the line."""
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    B = class_bases(X, np.array([0, 0, 2]))
    assert [b.shape for b in B] == [(3, 2), (3, 0), (3, 1)]
    B = class_bases(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([0, 1]))
    assert [b.shape for b in B] == [(2, 0), (2, 1)]
    B = class_bases(np.array([[1.0], [-1.0]]), np.array([0, 1]))
    assert [b.shape for b in B] == [(1, 1), (1, 1)] and abs(B[0][0, 0]) == pytest.approx(1.0)
    B = class_bases(X, np.array([0, 0, 1]), rank=1)
    assert [b.shape for b in B] == [(3, 1), (3, 1)]


def test_simplex_projection_of_a_single_row_and_of_a_stacked_batch():
    """Each row is projected, whatever the leading dimensions: a 1-d vector and a (2, 3, n) batch."""
    rng = np.random.default_rng(9)
    v = 3.0 * rng.standard_normal(6)
    np.testing.assert_allclose(_project_simplex(v), _simplex_projection_bisection(v), atol=1e-9)
    V = rng.standard_normal((2, 3, 5))
    P = _project_simplex(V)
    assert P.shape == V.shape
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(P[i, j], _simplex_projection_bisection(V[i, j]), atol=1e-9)


@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0])
def test_min_norm_in_hull_meets_the_fista_rate(scale):
    """Beck & Teboulle (2009, Thm 4.4): after k accelerated projected-gradient steps with step 1/L on
    f(p) = p^T G p (L = 2 lambda_max(G)), f(p_k) - f* <= 2 L ||p_0 - p*||^2 / (k + 1)^2; f*, p* from cvxpy."""
    rng = np.random.default_rng(3)
    Ys = [scale * (rng.standard_normal((6, 3)) + c * rng.standard_normal(3)) for c in (0.5, 2.0)]
    G = np.stack([Y @ Y.T for Y in Ys])
    for b, Y in enumerate(Ys):
        q = cp.Variable(6, nonneg=True)
        prob = cp.Problem(cp.Minimize(cp.sum_squares(Y.T @ q)), [cp.sum(q) == 1])
        prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        f_star, p_star = prob.value, np.clip(q.value, 0, None) / np.clip(q.value, 0, None).sum()
        L = 2 * np.linalg.eigvalsh(G[b])[-1]
        R2 = np.sum((np.full(6, 1 / 6) - p_star) ** 2)
        for k in (1, 3, 10, 30):
            p = min_norm_in_hull(G, iters=k, tol=0.0)[b]
            assert p @ G[b] @ p - f_star <= 2 * L * R2 / (k + 1) ** 2 + 1e-9 * scale**2


def test_sign_pattern_enumeration_in_chunks_is_the_same_as_in_one_block():
    from theory.integrity import _enumerate

    rng = np.random.default_rng(4)
    Y = rng.standard_normal((5, 3))
    S, ub, V = _enumerate(Y, 400)
    for chunk in (1, 3, 7):
        S2, ub2, V2 = _enumerate(Y, 400, chunk=chunk)
        np.testing.assert_array_equal(S2, S)
        # a block stops when all its patterns are converged (f - f* <= 1e-13 L): |v| agrees to sqrt(1e-13 L)
        tol = np.sqrt(1e-13 * 2 * np.linalg.eigvalsh(Y @ Y.T)[-1])
        np.testing.assert_allclose(ub2, ub, rtol=0, atol=tol)
        np.testing.assert_allclose(V2, V, rtol=0, atol=tol)
    # each pattern's value is the distance from 0 to the hull of its signed points (a QP per pattern)
    for s, u in zip(S[:4], ub[:4]):
        q = cp.Variable(5, nonneg=True)
        cp.Problem(cp.Minimize(cp.sum_squares((s[:, None] * Y).T @ q)), [cp.sum(q) == 1]).solve(solver="CLARABEL")
        assert u == pytest.approx(np.linalg.norm(q.value @ (s[:, None] * Y)), abs=1e-5)


def test_greedy_step_onto_the_origin_ends_the_search():
    """alpha = 1 with the other class at +-e2 and V = span(e2): the first tied point is x* = -e2, so from
    u_perp = e2 the step u_perp + x* is 0 and the search stops with the value 1 found; from u_perp = -e2 it
    goes on. Either way rho_0 = 1 = min ||P x||."""
    X = np.array([[1.0, 0.0], [0.0, -1.0], [0.0, 1.0]])
    lab = np.array([0, 1, 1])
    signs = set()
    for seed in range(8):
        signs.add(np.sign(np.random.default_rng(seed).standard_normal(2)[1]))
        res = greedy_integrity(X, lab, alpha=1.0, T=5, tau=0.0, seed=seed)
        assert res.rho_k_lower[0] == pytest.approx(1.0, abs=1e-15) and res.rho_k_upper[0] == pytest.approx(1.0)
    assert signs == {-1.0, 1.0}  # both starts occur


def test_class_span_rank_is_relative_to_the_top_singular_value():
    """Four unit rows close to a line: singular values s0 ~ 2 and s1 ~ 0.015. The numerical rank counts
    s > tol * s0: at tol = 0.01 the threshold is 0.02 (a line), at tol = 0.005 it is 0.01 (a plane)."""
    t = np.array([-0.01, 0.0, 0.004, 0.012])
    rows = np.stack([np.cos(t), np.sin(t), np.zeros(4)], axis=1)
    X = np.concatenate([rows, [[0.0, 0.0, 1.0]]])
    lab = np.array([0, 0, 0, 0, 1])
    s = np.linalg.svd(rows, compute_uv=False)
    assert 0.005 * s[0] < s[1] < 0.01 * s[0] and s[0] > 1.9
    assert class_bases(X, lab, tol=0.01)[0].shape == (3, 1)
    assert class_bases(X, lab, tol=0.005)[0].shape == (3, 2)
