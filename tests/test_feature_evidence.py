"""theory.feature_evidence against hand-derived cases, eigendecompositions, loops, sorting and scipy's optimiser."""

import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from scipy.optimize import minimize

from theory.feature_evidence import (
    class_mean_differences,
    cumulative_signal_scores,
    orbit_distance,
    pairwise_separability,
    projector_loss_decomposition,
)

# ------------------------------------------------------------------ cumulative signal scores


def test_scores_of_a_diagonal_projector_by_hand():
    W = np.diag([3.0, 2.0, 1.0])
    np.testing.assert_allclose(cumulative_signal_scores(W, [1.0, 1.0, 1.0]), [1 / 3, 2 / 3, 1.0], rtol=1e-12)
    # the signal on the smallest singular value's axis: nothing until the last direction
    np.testing.assert_allclose(cumulative_signal_scores(W, [0.0, 0.0, 2.0]), [0.0, 0.0, 1.0], atol=1e-12)
    # the order is by the singular value, not by the coordinate
    np.testing.assert_allclose(cumulative_signal_scores(np.diag([1.0, 5.0, 2.0]), [0.0, 3.0, 4.0]),
                               [9 / 25, 1.0, 1.0], atol=1e-12)


def test_rank_one_projector_scores_the_squared_cosine():
    rng = np.random.default_rng(3)
    u, v, mu = rng.standard_normal(4), rng.standard_normal(5), rng.standard_normal(5)
    W = np.outer(u, v) + 1e-9 * rng.standard_normal((4, 5))  # a tiny perturbation fixes the kernel's order
    cos2 = (v @ mu) ** 2 / (v @ v) / (mu @ mu)
    assert cumulative_signal_scores(W, mu)[0] == pytest.approx(cos2, rel=1e-6)


def _scores_by_eigh(W, mu):
    """Independent route: eigenvectors of W^T W (ascending -> reversed), shares summed by a loop."""
    vals, vecs = np.linalg.eigh(W.T @ W)
    order = np.argsort(vals)[::-1][: min(W.shape)]
    out, acc = [], 0.0
    for j in order:
        acc += float(vecs[:, j] @ mu) ** 2 / float(mu @ mu)
        out.append(acc)
    return np.array(out)


@given(k=st.integers(1, 6), p=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
@example(k=1, p=1, seed=0)
@example(k=6, p=2, seed=1)
@example(k=2, p=6, seed=2)
def test_scores_against_the_eigendecomposition_of_wtw(k, p, seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((k, p))
    mu = rng.standard_normal(p)
    sv = np.linalg.svd(W, compute_uv=False)
    assume(sv.size < 2 or np.min(-np.diff(sv)) > 1e-3 * sv[0])  # no near-tie: the split between tied directions is free
    got = cumulative_signal_scores(W, mu)
    assert got.shape == (min(k, p),)
    np.testing.assert_allclose(got, _scores_by_eigh(W, mu), atol=1e-9)
    assert np.all(np.diff(got) >= -1e-12) and 0 <= got[0] and got[-1] <= 1.0
    if k >= p:
        assert got[-1] == pytest.approx(1.0, abs=1e-12)


def test_scores_are_invariant_under_rotations_and_scaling_of_the_projector_and_of_mu():
    rng = np.random.default_rng(5)
    W, mu = rng.standard_normal((4, 4)), rng.standard_normal(4)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    ref = cumulative_signal_scores(W, mu)
    np.testing.assert_allclose(cumulative_signal_scores(3.0 * Q @ W, -2.0 * mu), ref, atol=1e-12)
    # but a rotation on the right (of the feature space) changes them
    assert not np.allclose(cumulative_signal_scores(W @ Q, mu), ref, atol=1e-3)


def test_rows_of_mu_are_scored_one_by_one():
    rng = np.random.default_rng(6)
    W, M = rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    got = cumulative_signal_scores(W, M)
    assert got.shape == (4, 3)
    for row, m in zip(got, M):
        np.testing.assert_allclose(row, cumulative_signal_scores(W, m), rtol=1e-12)


@pytest.mark.parametrize("W, mu, match", [
    (np.eye(3), np.zeros(3), "mu must be non-zero"),
    (np.eye(3), [[1.0, 0, 0], [0, 0, 0]], "mu must be non-zero"),
    (np.eye(3), np.ones(4), "mu must have shape"),
    (np.eye(3)[0], np.ones(3), "W must be a 2-d array"),
    (np.eye(3), [np.nan, 1, 1], "finite"),
])
def test_scores_bad_input(W, mu, match):
    with pytest.raises(ValueError, match=match):
        cumulative_signal_scores(W, mu)


# ------------------------------------------------------------------ class mean differences


def test_class_mean_differences_against_a_loop_with_sparse_labels():
    rng = np.random.default_rng(7)
    y = rng.choice([2, 5, 9], size=40)
    h = rng.standard_normal((40, 3)) + y[:, None]
    pairs, M = class_mean_differences(h, y)
    assert pairs == [(2, 5), (2, 9), (5, 9)]
    for (a, b), row in zip(pairs, M):
        ma = sum(h[i] for i in range(40) if y[i] == a) / np.sum(y == a)
        mb = sum(h[i] for i in range(40) if y[i] == b) / np.sum(y == b)
        np.testing.assert_allclose(row, ma - mb, rtol=1e-12)


@pytest.mark.parametrize("h, y, match", [
    (np.ones((3, 2)), [0, 0, 0], "at least 2 classes"),
    (np.ones((3, 2)), [0, 1], "y must have shape"),
    (np.ones((3, 2)), [0.5, 1.0, 0.0], "integer labels"),
])
def test_class_mean_differences_bad_input(h, y, match):
    with pytest.raises(ValueError, match=match):
        class_mean_differences(h, np.asarray(y))


# ------------------------------------------------------------------ separability


def test_separability_of_hand_built_one_dimensional_classes():
    h = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    assert pairwise_separability(h, np.array([0, 0, 1, 1, 2, 2])) == 1.0
    assert pairwise_separability(h[:4], np.array([0, 1, 0, 1])) == 0.0  # interleaved
    # class 0 = {0, 4} straddles class 1 = {1, 2}; class 2 = {10, 11} is apart from both: 2 of 3 pairs
    h3 = np.array([[0.0], [4.0], [1.0], [2.0], [10.0], [11.0]])
    assert pairwise_separability(h3, np.array([0, 0, 1, 1, 2, 2])) == pytest.approx(2 / 3)


def test_xor_is_not_linearly_separable_but_a_shifted_copy_is():
    h = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert pairwise_separability(h, np.array([0, 0, 1, 1])) == 0.0
    assert pairwise_separability(h + np.array([[0, 0], [0, 0], [5, 5], [5, 5]]), np.array([0, 0, 1, 1])) == 1.0


def _separable_1d(x, y, a, b):
    xa, xb = x[y == a], x[y == b]
    return xa.max() < xb.min() or xb.max() < xa.min()


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(6, 30))
@example(seed=0, n=6)
def test_separability_in_one_dimension_against_sorting(seed, n):
    rng = np.random.default_rng(seed)
    y = np.concatenate([[0, 1, 2], rng.integers(0, 3, n - 3)])
    x = rng.permutation(n).astype(float) + rng.uniform(0, 0.5, n)  # distinct values, no ties
    expected = np.mean([_separable_1d(x, y, a, b) for a, b in ((0, 1), (0, 2), (1, 2))])
    assert pairwise_separability(x[:, None], y) == pytest.approx(expected)


# ------------------------------------------------------------------ orbit distance


def _orbit_distance_by_search(A, B):
    """2 x n matrices: min over c and the rotation / reflection angle, by scipy from a grid of starts."""
    best = np.inf
    for refl in (1.0, -1.0):
        def f(x):
            c, th = x
            Q = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]) @ np.diag([1.0, refl])
            return np.linalg.norm(c * Q @ A - B) ** 2
        for th0 in np.linspace(0, 2 * np.pi, 12, endpoint=False):
            r = minimize(f, [1.0, th0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
            best = min(best, r.fun)
    return math.sqrt(best) / np.linalg.norm(B)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_orbit_distance_against_a_direct_search(seed):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    assert orbit_distance(A, B) == pytest.approx(_orbit_distance_by_search(A, B), abs=1e-6)


def test_orbit_distance_is_zero_on_the_orbit_and_one_for_orthogonal_row_spaces():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((3, 4))
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    assert orbit_distance(A, 2.5 * Q @ A) == pytest.approx(0.0, abs=1e-7)
    assert orbit_distance(np.array([[1.0, 0.0]]), np.array([[0.0, 3.0]])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="non-zero"):
        orbit_distance(np.zeros((2, 2)), np.eye(2))


# ------------------------------------------------------------------ loss decomposition


def _nt_xent_loop(W, h1, h2, tau):
    """NT-Xent by a loop over the 2N anchors (cosine similarity, every other view a candidate)."""
    W = np.asarray(W).reshape(-1, h1.shape[1])
    z = np.vstack([h1 @ W.T, h2 @ W.T])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n = h1.shape[0]
    total = 0.0
    for i in range(2 * n):
        pos = (i + n) % (2 * n)
        logits = [z[i] @ z[k] / tau for k in range(2 * n) if k != i]
        total += -(z[i] @ z[pos] / tau) + np.log(np.sum(np.exp(logits)))
    return total / (2 * n)


def _views(seed, n=6, p=3, noise=0.4):
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((n, p))
    return h + noise * rng.standard_normal((n, p)), h + noise * rng.standard_normal((n, p)), rng


@pytest.mark.parametrize("tau", [0.3, 1.0])
def test_decomposition_against_a_loop_and_scipy(tau):
    h1, h2, rng = _views(11)
    W = rng.standard_normal((3, 3))
    dec = projector_loss_decomposition(h1, h2, W, tau, restarts=6, seed=0)
    assert dec.loss == pytest.approx(_nt_xent_loop(W, h1, h2, tau), rel=1e-10)
    best = min((minimize(_nt_xent_loop, x0.ravel(), args=(h1, h2, tau), method="BFGS",
                         options={"gtol": 1e-9}) for x0 in [W] + [rng.standard_normal((3, 3)) for _ in range(9)]),
               key=lambda r: r.fun)
    best_fun = best.fun
    # the loop at L-BFGS's minimiser is its reported value, and no start of scipy's BFGS does better (the loss is
    # not convex: from W alone L-BFGS can stop in a worse local minimum, see the test below)
    assert _nt_xent_loop(dec.W_min.reshape(3, 3), h1, h2, tau) == pytest.approx(dec.min_loss, rel=1e-10)
    assert dec.min_loss <= best_fun + 1e-7
    assert dec.excess == pytest.approx(dec.loss - dec.min_loss) and dec.excess > 1e-3
    assert dec.relative_excess == pytest.approx(dec.excess / dec.min_loss)
    assert dec.grad_norm < 1e-5


def test_decomposition_at_a_minimiser_is_zero_and_scale_free():
    h1, h2, rng = _views(12)
    W = rng.standard_normal((3, 3))
    r = minimize(_nt_xent_loop, W.ravel(), args=(h1, h2, 0.5), method="BFGS", options={"gtol": 1e-10})
    Wstar = r.x.reshape(3, 3)
    dec = projector_loss_decomposition(h1, h2, 7.0 * Wstar, 0.5)
    assert dec.excess == pytest.approx(0.0, abs=1e-9)
    assert dec.relative_distance < 1e-3
    assert dec.loss == pytest.approx(r.fun, rel=1e-9)
    # away from the minimiser the re-optimised projector is a different point of the orbit-free distance
    dec2 = projector_loss_decomposition(h1, h2, W, 0.5)
    assert dec2.relative_distance > 0.05 and dec2.excess > 1e-3


def test_restarts_find_a_lower_minimum_than_the_descent_from_w_alone():
    h1, h2, rng = _views(11)
    W = rng.standard_normal((2, 3))
    local = projector_loss_decomposition(h1, h2, W, 0.3)
    multi = projector_loss_decomposition(h1, h2, W, 0.3, restarts=6, seed=0)
    assert multi.min_loss < local.min_loss - 1e-3  # this W's basin is not the global one
    assert multi.excess > local.excess
    # the distance is always to the descent from W: the same with or without restarts
    np.testing.assert_array_equal(multi.W_local, local.W_local)
    assert multi.relative_distance == local.relative_distance
    assert local.W_min is not None and np.array_equal(local.W_min, local.W_local)
    again = projector_loss_decomposition(h1, h2, W, 0.3, restarts=6, seed=0)
    np.testing.assert_array_equal(again.W_min, multi.W_min)  # seeded


@pytest.mark.parametrize("kw, match", [
    ({"W": np.zeros((2, 3))}, "W must be non-zero"),
    ({"W": np.ones((2, 4))}, "W must have shape"),
    ({"tau": 0.0}, "tau"),
    ({"h2": np.ones((5, 3))}, "h2 must have shape"),
    ({"max_iter": 0}, "max_iter"),
    ({"restarts": -1}, "restarts"),
])
def test_decomposition_bad_input(kw, match):
    h1, h2, rng = _views(13)
    args = {"h1": h1, "h2": h2, "W": rng.standard_normal((2, 3)), "tau": 0.5, **kw}
    with pytest.raises(ValueError, match=match):
        projector_loss_decomposition(args["h1"], args["h2"], args["W"], args["tau"],
                                     **{k: v for k, v in kw.items() if k in ("max_iter", "restarts")})


def test_decomposition_fields_are_consistent_with_each_other():
    """Every field of the result against a recomputation: the local and the best minimum, the iteration count,
    the distance of the local minimiser, and the zero excess when W is already optimal."""
    h1, h2, rng = _views(14)
    W = rng.standard_normal((3, 3))
    dec = projector_loss_decomposition(h1, h2, W, 0.4, restarts=3, seed=1)
    assert isinstance(dec.iterations, int) and 1 <= dec.iterations <= 500
    assert dec.local_min_loss == pytest.approx(_nt_xent_loop(dec.W_local, h1, h2, 0.4), rel=1e-10)
    assert dec.min_loss <= dec.local_min_loss <= dec.loss
    assert dec.min_loss == pytest.approx(_nt_xent_loop(dec.W_min, h1, h2, 0.4), rel=1e-10)
    assert dec.relative_distance == pytest.approx(orbit_distance(dec.W_local, W), abs=1e-12)
    assert dec.W_local.shape == W.shape and dec.W_min.shape == W.shape
    assert dec.grad_norm < 1e-5
    one = projector_loss_decomposition(h1, h2, W, 0.4, max_iter=1)
    assert one.iterations == 1 and one.min_loss < one.loss  # one step already descends


def test_two_classes_make_one_pair_and_dtypes_are_float64():
    h = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 6.0]], dtype=np.float32)
    pairs, M = class_mean_differences(h, np.array([0, 0, 1]))
    assert pairs == [(0, 1)] and M.dtype == np.float64
    np.testing.assert_allclose(M[0], [1.0 - 4.0, 2.0 - 6.0])
    s = cumulative_signal_scores(np.diag([2.0, 1.0]).astype(np.float32), np.array([1, 1], dtype=np.int64))
    assert s.dtype == np.float64 and s == pytest.approx([0.5, 1.0])


def _fe_cases():
    h1 = np.random.default_rng(0).standard_normal((5, 3))
    h2, W = h1 + 0.1, np.ones((2, 3))
    return [
        (lambda: class_mean_differences(np.ones(3), np.array([0, 1, 0])), r"^h must be a 2-d array, got shape \(3,\)$"),
        (lambda: class_mean_differences(np.ones((3, 2)), np.array([0, 0, 0])), r"^y must hold at least 2 classes, got 1$"),
        (lambda: pairwise_separability(np.ones(3), np.array([0, 1, 0])), r"^h must be a 2-d array, got shape \(3,\)$"),
        (lambda: pairwise_separability(np.ones((3, 2)), np.array([0, 0, 0])), r"^y must hold at least 2 classes, got 1$"),
        (lambda: pairwise_separability(np.ones((3, 2)), np.array(["a", "b", "a"])), r"^y must hold integer labels, got dtype <U1$"),
        (lambda: orbit_distance(np.ones(3), np.ones((1, 3))), r"^A must be a 2-d array, got shape \(3,\)$"),
        (lambda: orbit_distance(np.ones((1, 3)), np.ones((1, 4))), r"^B must have shape \(1, 3\), got \(1, 4\)$"),
        (lambda: orbit_distance(np.ones((1, 3)), np.ones(3)), r"^B must be a 2-d array, got shape \(3,\)$"),
        (lambda: orbit_distance(np.ones((1, 3)), np.zeros((1, 3))), r"^A and B must be non-zero$"),
        (lambda: orbit_distance(np.zeros((1, 3)), np.ones((1, 3))), r"^A and B must be non-zero$"),
        (lambda: cumulative_signal_scores(np.eye(3), np.zeros(3)), r"^mu must be non-zero \(every row\)$"),
        (lambda: projector_loss_decomposition(np.ones(3), h2, W, 0.5), r"^h1 must be a 2-d array, got shape \(3,\)$"),
        (lambda: projector_loss_decomposition(h1[:1], h2[:1], W, 0.5), r"^h1 and h2 must hold at least 2 rows, got 1$"),
        (lambda: projector_loss_decomposition(h1, h2, np.zeros((2, 3)), 0.5), r"^W must be non-zero$"),
        (lambda: projector_loss_decomposition(h1, h2, W, -1.0), r"^tau must be in \(0, inf\), got -1.0$"),
        (lambda: projector_loss_decomposition(h1, h2, W, 0.0), r"^tau must be in \(0, inf\), got 0.0$"),
        (lambda: projector_loss_decomposition(h1, h2, W, 0.5, grad_tol=0.0), r"^grad_tol must be in \(0, inf\), got 0.0$"),
        (lambda: projector_loss_decomposition(h1, h2, W, 0.5, grad_tol=-1.0), r"^grad_tol must be in \(0, inf\), got -1.0$"),
        (lambda: projector_loss_decomposition(h1, h2, W, 0.5, max_iter=0), r"^max_iter must be an integer in \[1, inf\), got 0$"),
        (lambda: projector_loss_decomposition(h1, h2, W, 0.5, restarts=-1), r"^restarts must be an integer in \[0, inf\), got -1$"),
    ]


@pytest.mark.parametrize("case", range(20))
def test_every_message_names_its_parameter(case):
    call, match = _fe_cases()[case]
    with pytest.raises(ValueError, match=match):
        call()


def test_smallest_accepted_inputs():
    """Two rows, one feature, a unit-norm B, restarts = 0: accepted and finite."""
    rng = np.random.default_rng(3)
    h1 = rng.standard_normal((2, 1))
    dec = projector_loss_decomposition(h1, h1 + 0.1, np.ones((1, 1)), 0.5)
    assert np.isfinite(dec.min_loss) and dec.min_loss <= dec.loss
    B = np.array([[0.6, 0.8]])
    assert orbit_distance(np.array([[3.0, 4.0]]), B) == pytest.approx(0.0, abs=1e-12)
    assert orbit_distance(np.array([[0.8, -0.6]]), B) == pytest.approx(1.0, abs=1e-12)


def test_single_precision_input_is_computed_in_double():
    """float32 views and projector give the float64 answer to double precision (the inner problem runs in
    float64 whatever the input's dtype)."""
    h1, h2, rng = _views(15)
    W = rng.standard_normal((3, 3))
    a = projector_loss_decomposition(h1.astype(np.float32), h2.astype(np.float32), W.astype(np.float32), 0.5)
    b = projector_loss_decomposition(h1.astype(np.float32).astype(np.float64), h2.astype(np.float32).astype(np.float64),
                                     W.astype(np.float32).astype(np.float64), 0.5)
    assert a.loss == pytest.approx(b.loss, rel=1e-13) and a.min_loss == pytest.approx(b.min_loss, rel=1e-11)
    assert a.W_min.dtype == np.float64
    mu = np.array([1.0, 2.0, 2.0], dtype=np.float32)
    s32 = cumulative_signal_scores(W.astype(np.float32), mu)
    s64 = cumulative_signal_scores(W.astype(np.float32).astype(np.float64), mu.astype(np.float64))
    np.testing.assert_allclose(s32, s64, rtol=1e-13)
