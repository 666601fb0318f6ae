"""Tests of theory.projector_geometry: eqs. (2), (10), Fig. 6 metric, Props. 4.1-4.3."""

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from theory.infonce import invariance_loss, nearest_negative
from theory.projector_geometry import (
    displacement_vectors,
    fraction_variance_unexplained,
    invariance_minimizer_scales,
    kernel_projector,
    lie_augment,
    lie_kernel_projector,
    max_projector_rank,
    nearest_negative_label_agreement,
    rank_tau,
)

seeds = st.integers(0, 2**31 - 1)


# ------------------------------------------------------------------ eq. (2)


@given(m=st.integers(1, 8), n=st.integers(1, 8), r=st.integers(0, 8), tau=st.floats(0.0, 5.0), seed=seeds)
@example(m=3, n=4, r=0, tau=0.0, seed=0)  # the zero matrix, tau = 0: every singular value counts
@example(m=3, n=4, r=0, tau=0.5, seed=0)  # the zero matrix: rank 0
@example(m=1, n=1, r=1, tau=5.0, seed=1)  # smallest size
def test_rank_tau_against_eigenvalues_of_gram(m, n, r, tau, seed):
    rng = np.random.default_rng(seed)
    r = min(r, m, n)
    W = rng.standard_normal((m, r)) @ rng.standard_normal((r, n)) if r else np.zeros((m, n))
    # independent computation: singular values as square roots of the eigenvalues of W W^T / W^T W
    gram = W @ W.T if m <= n else W.T @ W
    sv = np.sqrt(np.clip(np.linalg.eigvalsh(gram), 0, None))
    assume(np.min(np.abs(sv - tau)) > 1e-6)
    assert rank_tau(W, tau) == int(np.sum(sv >= tau))
    assert rank_tau(W, 0.0) == min(m, n)
    if r:
        assert rank_tau(W, 1e-9, relative=True) == r
        assert rank_tau(7.5 * W, tau, relative=True) == rank_tau(W, tau, relative=True)


# ----------------------------------------------------------------- eq. (10)


@given(N=st.integers(1, 12), d=st.integers(2, 7), k=st.integers(1, 7), seed=seeds)
@example(N=1, d=2, k=1, seed=0)
@example(N=12, d=7, k=7, seed=2 ** 31 - 1)
def test_fvu_against_least_squares(N, d, k, seed):
    rng = np.random.default_rng(seed)
    delta = rng.standard_normal((N, d))
    W = rng.standard_normal((k, d))
    # eq. (10) literally: min_t ||delta_i - W^T t_i||^2 by least squares
    t, *_ = np.linalg.lstsq(W.T, delta.T, rcond=None)
    direct = np.sum((delta.T - W.T @ t) ** 2) / np.sum(delta**2)
    assert fraction_variance_unexplained(delta, W) == pytest.approx(direct, abs=1e-10)


def test_fvu_extremes(rng):
    delta = rng.standard_normal((5, 4))
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    assert fraction_variance_unexplained(delta, Q) == pytest.approx(0.0, abs=1e-12)
    # directions orthogonal to the row space are fully unexplained
    W = Q[:2]
    assert fraction_variance_unexplained(rng.standard_normal((3, 2)) @ Q[2:], W) == pytest.approx(1.0, abs=1e-12)


# ------------------------------------------------------------ Fig. 6 metric


def _loop_nearest(z):
    """Nearest negative by a plain loop over the stacked unit embeddings z (2N, d): (index, gap to runner-up)."""
    N = z.shape[0] // 2
    idx, gaps = [], []
    for i in range(N):
        cands = sorted(((float(z[i] @ z[l]), l) for l in range(2 * N) if l % N != i), reverse=True)
        idx.append(cands[0][1])
        gaps.append(cands[0][0] - cands[1][0])
    return np.array(idx), np.array(gaps)


@given(N=st.integers(2, 10), d=st.integers(2, 5), k=st.integers(2, 4), seed=seeds)
@example(N=2, d=2, k=2, seed=0)  # smallest batch: two negatives per anchor
@example(N=5, d=2, k=2, seed=4)
def test_label_agreement_and_displacements_against_loop(N, d, k, seed):
    """Tie-free inputs: the loop's nearest negative is unambiguous (runner-up at least 1e-9 below)."""
    rng = np.random.default_rng(seed)
    h1, h2 = rng.standard_normal((2, N, d))
    y = rng.integers(0, 3, N)
    W = rng.standard_normal((k, d))
    z = np.concatenate([h1, h2]) @ W.T
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    idx, gaps = _loop_nearest(z)
    assume(gaps.min() > 1e-9)
    agree = [y[l % N] == y[i] for i, l in enumerate(idx)]
    assert nearest_negative_label_agreement(h1, h2, y, W) == pytest.approx(np.mean(agree), abs=1e-15)
    assert np.array_equal(nearest_negative(h1, h2, W), idx)
    # displacement delta h_i = h2_i - h~*_i, built from the loop's index in the ENCODER space
    stacked = np.concatenate([h1, h2])
    expected = np.stack([h2[i] - stacked[l] for i, l in enumerate(idx)])
    np.testing.assert_allclose(displacement_vectors(h1, h2, W), expected, rtol=0, atol=1e-14)


def test_displacement_vectors_hand_computed():
    """Four points on the plane: nearest negatives and displacements worked out by hand."""
    h1 = np.array([[1.0, 0.0], [0.0, 1.0]])
    h2 = np.array([[1.0, 0.2], [-0.1, 2.0]])
    # anchor 0 (1,0): negatives are h1_1 = (0,1) (cos 0) and h2_1 = (-0.1, 2) (cos < 0) -> h1_1 (index 1)
    # anchor 1 (0,1): negatives h1_0 = (1,0) (cos 0) and h2_0 = (1, 0.2) (cos 0.196) -> h2_0 (index 2)
    assert np.array_equal(nearest_negative(h1, h2), [1, 2])
    np.testing.assert_allclose(displacement_vectors(h1, h2), [[1.0, -0.8], [-1.1, 1.8]], atol=1e-15)
    # a projector onto the first axis changes the geometry: z = h_x, all cosines +-1 (ties)
    W = np.array([[1.0, 0.0]])
    # anchor 0 (z=+1): negatives z(h1_1) = 0 -> zero embedding is refused
    with pytest.raises(ValueError, match="zero row"):
        nearest_negative(h1, h2, W)


def test_tie_rule_smallest_index_among_exact_ties():
    """d = 1: every cosine is +-1, so the nearest negative is the first negative on the anchor's side."""
    h1 = np.array([[2.0], [-1.0], [3.0], [0.5]])
    h2 = np.array([[1.0], [-4.0], [-2.0], [-0.1]])
    # signs of [h1; h2]: + - + + | + - - -
    # anchor 0 (+): negatives exclude 0 and 4 -> first + among 1,2,3,5,6,7 is 2
    # anchor 1 (-): exclude 1, 5 -> first - among 0,2,3,4,6,7 is 6
    # anchor 2 (+): exclude 2, 6 -> 0;  anchor 3 (+): exclude 3, 7 -> 0
    assert np.array_equal(nearest_negative(h1, h2), [2, 6, 0, 0])
    y = np.array([0, 1, 1, 0])
    # matches: y[2 % 4] = 1 vs 0 (no), y[6 % 4] = 1 vs 1 (yes), y[0] = 0 vs 1 (no), y[0] = 0 vs 0 (yes)
    assert nearest_negative_label_agreement(h1, h2, y) == pytest.approx(0.5)


def test_tie_rule_is_robust_to_rounding_and_tunable():
    """Two negatives at the same true cosine but differing by a rounding step: the smaller index wins."""
    a = np.array([1.0, 0.0])
    theta = 0.3
    u = np.array([np.cos(theta), np.sin(theta)])
    v = np.array([np.cos(theta), -np.sin(theta)])  # mirror image of u: same cosine with a
    v_bumped = v + np.array([0.0, -1e-15])  # a rounding-level change of the cosine
    h1 = np.stack([a, 5.0 * v_bumped, -a])
    h2 = np.stack([-a + np.array([0, 1.0]), 3.0 * u, np.array([0.0, -1.0])])
    cos = np.concatenate([h1, h2]) @ a / np.linalg.norm(np.concatenate([h1, h2]), axis=1)
    # anchor 0: candidates 1 (v) and 4 (u) tie at cos(theta); every other candidate is far below
    assert abs(cos[1] - cos[4]) < 1e-14 and cos[1] > max(np.delete(cos, [0, 1, 3, 4])) + 0.1
    assert nearest_negative(h1, h2)[0] == 1
    # a tolerance far below the rounding level gives the plain argmax of the computed cosines
    strict = nearest_negative(h1, h2, tie_tol=0.0)[0]
    assert strict == (1 if cos[1] >= cos[4] else 4)
    # a wide tolerance makes a genuinely lower candidate with a smaller index a tie, and it wins
    g1 = np.array([a, [np.cos(0.5), np.sin(0.5)], [np.cos(0.3), np.sin(0.3)]])
    g2 = np.array([[0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    # anchor 0's negatives: 1 (cos 0.878), 2 (cos 0.955), 4 (cos -1), 5 (cos 0)
    assert nearest_negative(g1, g2)[0] == 2
    assert nearest_negative(g1, g2, tie_tol=0.1)[0] == 1
    with pytest.raises(ValueError, match="tie_tol"):
        nearest_negative(h1, h2, tie_tol=-1e-3)


# -------------------------------------------------------- Props. 4.1-4.3


def _low_rank_directions(rng, N, d, r):
    return rng.standard_normal((N, r)) @ rng.standard_normal((r, d))


@given(N=st.integers(2, 10), d=st.integers(3, 8), r=st.integers(1, 7), d_proj=st.integers(1, 8), seed=seeds)
@example(N=2, d=3, r=1, d_proj=1, seed=0)
@example(N=10, d=8, r=7, d_proj=8, seed=2 ** 31 - 1)
def test_prop_41_kernel_projector_attains_the_minimum(N, d, r, d_proj, seed):
    rng = np.random.default_rng(seed)
    r = min(r, d - 1)
    h1 = rng.standard_normal((N, d))
    V = _low_rank_directions(rng, N, d, r)
    h2 = h1 + V
    W = kernel_projector(V, d_proj, seed=rng)
    np.testing.assert_allclose(W @ V.T, 0.0, atol=1e-10 * np.abs(V).max() * np.abs(W).max() * d)
    assert invariance_loss(h1, h2, W) == pytest.approx(-1.0, abs=1e-10)
    # Prop. 4.2: the constructor reaches the rank-nullity bound
    assert np.linalg.matrix_rank(W) == max_projector_rank(V, d_proj) == min(d_proj, d - np.linalg.matrix_rank(V))


@given(N=st.integers(1, 8), d=st.integers(3, 8), d_proj=st.integers(2, 8), seed=seeds)
@example(N=1, d=3, d_proj=2, seed=0)
@example(N=8, d=8, d_proj=8, seed=2 ** 31 - 1)
def test_prop_41_generic_projector_does_not_attain_it(N, d, d_proj, seed):
    """For d_proj >= 2 a generic W has no kernel vector in span{h1_i, h2_i}, so Sim < 1."""
    rng = np.random.default_rng(seed)
    h1, h2 = rng.standard_normal((2, max(N, 2), d))
    W = rng.standard_normal((min(d_proj, d), d))
    assert invariance_loss(h1, h2, W) > -1.0 + 1e-9
    assert np.all(np.isnan(invariance_minimizer_scales(h1, h2, W)))


@given(N=st.integers(2, 8), d=st.integers(3, 8), seed=seeds)
@example(N=2, d=3, seed=0)
@example(N=8, d=8, seed=2 ** 31 - 1)
def test_prop_41_necessity_counterexample(N, d, seed):
    """Regression: the 'only if' of Props. 4.1/4.3 is false.

    A projector whose kernel holds h2_i - c_i h1_i with c_i > 0, c_i != 1, attains
    L_invariance = -1 while W v_i != 0 (h1_i, h2_i not colinear). The corrected
    condition (some c_i > 0) holds and recovers c_i.
    """
    rng = np.random.default_rng(seed)
    N = min(N, d - 1)
    h1, h2 = rng.standard_normal((2, N, d))
    c = rng.uniform(1.5, 3.0, N)
    W = kernel_projector(h2 - c[:, None] * h1, 1 + rng.integers(0, d - N), seed=rng)
    assume(np.all(np.linalg.norm(h1 @ W.T, axis=1) > 1e-6))
    assert invariance_loss(h1, h2, W) == pytest.approx(-1.0, abs=1e-9)
    v = h2 - h1
    assert np.all(np.linalg.norm(v @ W.T, axis=1) > 1e-6)  # v_i not in ker(W)
    np.testing.assert_allclose(invariance_minimizer_scales(h1, h2, W, rtol=1e-7), c, rtol=1e-6)


def test_prop_41_one_dimensional_projector_counterexample(rng):
    """d_proj = 1: Sim is the sign of (w.h1)(w.h2); any w with equal signs gives the minimum."""
    h1, h2 = rng.standard_normal((2, 5, 4))
    h2 = h2 + 3.0 * h1  # not colinear with h1
    w = np.linalg.lstsq(h1, np.ones(5), rcond=None)[0][None, :]  # w.h1_i = 1 > 0
    h2 = h2 + (2.0 - (h2 @ w.T).ravel())[:, None] * w / (w @ w.T)  # w.h2_i = 2 > 0
    assert np.linalg.matrix_rank(np.stack([h1, h2], axis=1)[0]) == 2  # h1_0, h2_0 not colinear
    assert invariance_loss(h1, h2, w) == pytest.approx(-1.0, abs=1e-12)
    assert np.all(np.abs((h2 - h1) @ w.T) > 1e-8)


@given(N=st.integers(2, 8), d=st.integers(3, 7), r=st.integers(1, 3), d_proj=st.integers(1, 6), seed=seeds)
@example(N=2, d=3, r=1, d_proj=1, seed=0)
@example(N=8, d=7, r=3, d_proj=6, seed=2 ** 31 - 1)
def test_prop_43_lie_generator_in_kernel(N, d, r, d_proj, seed):
    rng = np.random.default_rng(seed)
    r = min(r, d - 1)
    G = rng.standard_normal((d, r)) @ rng.standard_normal((r, d))
    h1 = rng.standard_normal((N, d))
    eps = rng.uniform(0.05, 1.0, N)
    h2 = lie_augment(h1, G, eps)
    W = lie_kernel_projector(G, d_proj, seed=rng)
    np.testing.assert_allclose(W @ G, 0.0, atol=1e-10 * (1 + np.abs(G).max()) * np.abs(W).max() * d)
    # exact (not linearised) invariance: W exp(eps G) = W
    np.testing.assert_allclose(h2 @ W.T, h1 @ W.T, atol=1e-9 * (1 + np.abs(h1 @ W.T).max()))
    assert invariance_loss(h1, h2, W) == pytest.approx(-1.0, abs=1e-9)
    assert np.linalg.matrix_rank(W) <= d - np.linalg.matrix_rank(G)
    # a generic projector of output dimension >= 2 does not make the loss minimal
    W2 = rng.standard_normal((max(2, min(d_proj, d)), d))
    assert invariance_loss(h1, h2, W2) > -1.0 + 1e-9


def test_rank_tau_at_exact_ties_and_the_zero_matrix():
    """sigma_j = tau exactly counts (>=); diag(2, 1, 1): tau = 1 gives 3, just above gives 1."""
    W = np.diag([2.0, 1.0, 1.0])
    assert rank_tau(W, 1.0) == 3
    assert rank_tau(W, np.nextafter(1.0, 2.0)) == 1
    assert rank_tau(W, 2.0) == 1 and rank_tau(W, np.nextafter(2.0, 3.0)) == 0
    assert rank_tau(W, 0.5, relative=True) == 3  # 0.5 * 2 = 1: ties count
    assert rank_tau(np.zeros((2, 3)), 0.0) == 2 and rank_tau(np.zeros((2, 3)), 0.1) == 0
    assert rank_tau(np.zeros((2, 3)), 0.1, relative=True) == 0


def test_invariance_minimizer_scales_nan_for_anti_aligned_views():
    """W h2 = -c W h1 (c > 0): cosine -1, the minimum is not attained, no positive scale exists -> nan;
    a mixed batch keeps the aligned row's scale."""
    h1 = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]])
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    h2 = np.array([[-2.0, 0.0, 7.0], [0.0, 3.0, -1.0]])  # row 0 anti-aligned (c = -2), row 1 aligned (c = 3)
    c = invariance_minimizer_scales(h1, h2, W)
    assert np.isnan(c[0]) and c[1] == pytest.approx(3.0, rel=1e-12)
    assert np.all(np.isnan(invariance_minimizer_scales(h1, -h1, W)))


def test_lie_augment_rotation_matches_closed_form():
    G = np.zeros((3, 3))
    G[0, 1], G[1, 0] = -1.0, 1.0  # rotations in the (e1, e2) plane
    h = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    out = lie_augment(h, G, [np.pi / 2, np.pi])
    np.testing.assert_allclose(out, [[0.0, 1.0, 2.0], [0.0, -1.0, -1.0]], atol=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: rank_tau(np.ones((2, 2)), -0.1), r"tau must be in \[0, inf\)"),
        (lambda: rank_tau(np.ones(3), 0.1), "2-d"),
        (lambda: fraction_variance_unexplained(np.zeros((3, 2)), np.ones((1, 2))), "delta_h must be non-zero"),
        (lambda: fraction_variance_unexplained(np.ones((3, 2)), np.ones((1, 3))), "W must have shape"),
        (lambda: nearest_negative_label_agreement(np.ones((3, 2)), np.ones((3, 2)), [0, 1]), "labels must have shape"),
        (lambda: nearest_negative_label_agreement(np.ones((1, 2)), np.ones((1, 2)), [0]), "N must be >= 2"),
        (lambda: kernel_projector(np.eye(3), 2), "spans all of R"),
        (lambda: kernel_projector(np.ones((2, 3)), 0), "d_proj"),
        (lambda: lie_kernel_projector(np.ones((2, 3)), 1), "square"),
        (lambda: lie_augment(np.ones((2, 3)), np.ones((2, 2)), 0.1), "G must have shape"),
        (lambda: invariance_minimizer_scales(np.ones((2, 2)), np.ones((3, 2)), np.eye(2)), "equal shapes"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------- the corrected condition, edge by edge


def test_invariance_minimizer_scales_edges():
    W = np.eye(2)
    h1 = np.array([[1.0, 2.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    h2 = np.array([[0.5, 1.0], [0.0, 0.0], [1.0, 0.0], [3.0, 3.0], [2.0, 1e-3]])
    # row 0: c = 0.5 in (0, 1) is found; row 1: W h2 = 0 -> c = 0 is not > 0 -> nan; row 2: W h1 = 0 -> nan;
    # row 3: c = 3 exactly colinear (residual exactly 0 passes rtol = 0); row 4: residual 1e-3 / ||z2|| ~ 5e-4
    c = invariance_minimizer_scales(h1, h2, W, rtol=0.0)
    assert c[0] == pytest.approx(0.5, rel=1e-15) and c[3] == pytest.approx(3.0, rel=1e-15)
    assert np.isnan(c[1]) and np.isnan(c[2]) and np.isnan(c[4])
    c = invariance_minimizer_scales(h1, h2, W, rtol=1e-3)  # residual 1e-3 / 2 = 5e-4 <= 1e-3: accepted
    assert c[4] == pytest.approx(1.0, rel=1e-6)
    assert np.isnan(invariance_minimizer_scales(h1, h2, W, rtol=4e-4)[4])  # 5e-4 > 4e-4: refused
    # scale-free: multiplying h2 by 1000 scales c by 1000 and keeps the verdicts
    c2 = invariance_minimizer_scales(h1, 1000 * h2, W, rtol=1e-3)
    np.testing.assert_allclose(c2[[0, 3, 4]], 1000 * invariance_minimizer_scales(h1, h2, W, rtol=1e-3)[[0, 3, 4]], rtol=1e-9)
    with pytest.raises(ValueError, match=r"^rtol must be in \[0, inf\), got -1\.0$"):
        invariance_minimizer_scales(h1, h2, W, rtol=-1.0)


def test_seeded_constructors_are_reproducible():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((2, 5))
    G = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 5))
    assert np.array_equal(kernel_projector(V, 3, seed=4), kernel_projector(V, 3, seed=4))
    assert not np.array_equal(kernel_projector(V, 3, seed=4), kernel_projector(V, 3, seed=5))
    assert np.array_equal(lie_kernel_projector(G, 3, seed=4), lie_kernel_projector(G, 3, seed=4))
    assert not np.array_equal(lie_kernel_projector(G, 3, seed=4), lie_kernel_projector(G, 3, seed=5))
    assert kernel_projector(V, 1, seed=0).shape == (1, 5)  # d_proj = 1 is the smallest allowed


def test_fvu_and_rank_for_zero_and_rank_deficient_projectors():
    delta = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    # W with a numerically zero second row: its row space is span(e1) -> FVU = 4/5
    W = np.array([[3.0, 0.0, 0.0], [0.0, 1e-300, 0.0]])
    assert fraction_variance_unexplained(delta, W) == pytest.approx(4 / 5, rel=1e-12)
    assert fraction_variance_unexplained(delta, np.zeros((2, 3))) == pytest.approx(1.0)
    assert rank_tau(np.zeros((2, 2)), 0.5, relative=True) == 0
    assert rank_tau(np.diag([4.0, 1.0]), 0.25, relative=True) == 2 and rank_tau(np.diag([4.0, 1.0]), 0.26, relative=True) == 1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: rank_tau(np.ones(3), 0.1), r"^W must be a 2-d array"),
        (lambda: fraction_variance_unexplained(np.ones(3), np.ones((1, 3))), r"^delta_h must be a 2-d array"),
        (lambda: fraction_variance_unexplained(np.zeros((3, 2)), np.ones((1, 2))),
         r"^delta_h must be non-zero \(sum_i \|\|delta h_i\|\|\^2 > 0\)$"),
        (lambda: nearest_negative_label_agreement(np.ones((3, 2)), np.ones((3, 2)) * 2, [0, 1]),
         r"^labels must have shape \(3,\), got \(2,\)$"),
        (lambda: kernel_projector(np.ones(3), 2), r"^V must be a 2-d array"),
        (lambda: kernel_projector(np.eye(3), 2), r"^V spans all of R\^3"),
        (lambda: kernel_projector(np.ones((2, 3)), 0), r"^d_proj must be an integer in \[1, inf\), got 0$"),
        (lambda: lie_kernel_projector(np.ones(3), 1), r"^G must be a 2-d array"),
        (lambda: lie_kernel_projector(np.eye(3), 1), r"^G spans all of R\^3"),
        (lambda: max_projector_rank(np.ones(3), 1), r"^V must be a 2-d array"),
        (lambda: max_projector_rank(np.ones((2, 3)), 0), r"^d_proj must be an integer"),
        (lambda: lie_augment(np.ones(3), np.eye(3), 0.1), r"^h must be a 2-d array"),
        (lambda: lie_augment(np.ones((2, 3)), np.eye(3), [0.1, np.nan]), r"^eps must contain only finite"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_lie_augment_broadcasts_a_scalar_strength():
    G = np.zeros((2, 2))
    G[0, 1], G[1, 0] = -1.0, 1.0
    h = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(lie_augment(h, G, np.pi / 2), [[0.0, 1.0], [-1.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(lie_augment(h, G, [0, 1]), [[1.0, 0.0], [-np.sin(1), np.cos(1)]], atol=1e-12)
