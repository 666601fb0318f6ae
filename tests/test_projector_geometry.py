"""Tests of theory.projector_geometry: eqs. (2), (10), Fig. 6 metric, Props. 4.1-4.3."""

import numpy as np
import pytest
from hypothesis import assume, given
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


@given(N=st.integers(2, 10), d=st.integers(1, 5), k=st.integers(1, 4), seed=seeds)
def test_label_agreement_against_loop(N, d, k, seed):
    rng = np.random.default_rng(seed)
    h1, h2 = rng.standard_normal((2, N, d))
    y = rng.integers(0, 3, N)
    W = rng.standard_normal((k, d))
    z = np.concatenate([h1, h2]) @ W.T
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    agree = []
    for i in range(N):
        cands = [(z[i] @ z[l], -l, l) for l in range(2 * N) if l % N != i]
        l = max(cands)[2]  # largest cosine, ties to the smallest index
        agree.append(y[l % N] == y[i])
    assert nearest_negative_label_agreement(h1, h2, y, W) == pytest.approx(np.mean(agree))
    delta = displacement_vectors(h1, h2, W)
    np.testing.assert_allclose(delta, h2 - np.concatenate([h1, h2])[nearest_negative(h1, h2, W)])


# -------------------------------------------------------- Props. 4.1-4.3


def _low_rank_directions(rng, N, d, r):
    return rng.standard_normal((N, r)) @ rng.standard_normal((r, d))


@given(N=st.integers(2, 10), d=st.integers(3, 8), r=st.integers(1, 7), d_proj=st.integers(1, 8), seed=seeds)
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
def test_prop_41_generic_projector_does_not_attain_it(N, d, d_proj, seed):
    """For d_proj >= 2 a generic W has no kernel vector in span{h1_i, h2_i}, so Sim < 1."""
    rng = np.random.default_rng(seed)
    h1, h2 = rng.standard_normal((2, max(N, 2), d))
    W = rng.standard_normal((min(d_proj, d), d))
    assert invariance_loss(h1, h2, W) > -1.0 + 1e-9
    assert np.all(np.isnan(invariance_minimizer_scales(h1, h2, W)))


@given(N=st.integers(2, 8), d=st.integers(3, 8), seed=seeds)
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
