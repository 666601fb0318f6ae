"""Tests of theory.infonce: eq. (1), Prop. C.1, Prop. 3.1 and eq. (8) of Cosentino et al."""

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st

from theory.infonce import (
    embed,
    entropy_decomposition,
    infonce,
    infonce_symmetric,
    infonce_terms,
    invariance_loss,
    nearest_negative,
    normalize_on_projector_sphere,
    reformulated_upper_bound,
    repulsion_loss,
    upper_bound,
)
from theory.ntxent import nt_xent

seeds = st.integers(0, 2**31 - 1)


def _batch(seed, n, d):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n, d))


def _reference_terms(f1, f2, beta):
    """Eq. (1) with explicit loops over B_-i and no log-sum-exp trick."""
    f1 = f1 / np.linalg.norm(f1, axis=1, keepdims=True)
    f2 = f2 / np.linalg.norm(f2, axis=1, keepdims=True)
    n = f1.shape[0]
    out = []
    for i in range(n):
        negs = [f[j] for j in range(n) if j != i for f in (f1, f2)]
        denom = sum(math.exp(beta * f1[i] @ g) for g in negs)
        out.append(-math.log(math.exp(beta * f1[i] @ f2[i]) / denom))
    return np.array(out)


@given(n=st.integers(2, 8), d=st.integers(1, 6), beta=st.floats(0.01, 20.0), seed=seeds)
@example(n=2, d=1, beta=0.01, seed=0)
@example(n=8, d=6, beta=20.0, seed=2 ** 31 - 1)
def test_eq1_matches_loop_reference(n, d, beta, seed):
    f1, f2 = _batch(seed, n, d)
    np.testing.assert_allclose(infonce_terms(f1, f2, beta), _reference_terms(f1, f2, beta), rtol=1e-10, atol=1e-10)


@given(n=st.integers(2, 40), d=st.integers(1, 5), beta=st.floats(0.01, 100.0))
@example(n=2, d=1, beta=0.01)
@example(n=40, d=5, beta=100.0)
def test_identical_embeddings_give_log_2_n_minus_1(n, d, beta):
    # all similarities are 1: l_i = log(2(N-1) e^beta) - beta
    f = np.ones((n, d))
    assert infonce(f, f, beta) == pytest.approx(math.log(2 * (n - 1)), rel=1e-12)
    assert infonce_symmetric(f, f, beta) == pytest.approx(math.log(2 * (n - 1)), rel=1e-12)


@given(n=st.integers(2, 8), d=st.integers(1, 5), beta=st.floats(0.05, 20.0), seed=seeds)
@example(n=2, d=1, beta=0.05, seed=0)
@example(n=8, d=5, beta=20.0, seed=2 ** 31 - 1)
def test_nt_xent_is_softplus_of_cosentino_terms(n, d, beta, seed):
    """NT-Xent (denominator with the positive) vs eq. (1) (without): per anchor, softplus(l_i).

    Two independent implementations (torch NT-Xent of theory.ntxent, numpy here).
    """
    f1, f2 = _batch(seed, n, d)
    terms = np.concatenate([infonce_terms(f1, f2, beta), infonce_terms(f2, f1, beta)])
    expected = float(np.mean(np.logaddexp(0.0, terms)))
    got = nt_xent(torch.tensor(f1), torch.tensor(f2), tau=1.0 / beta).item()
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-12)
    assert infonce_symmetric(f1, f2, beta) == pytest.approx(float(np.mean(terms)), rel=1e-12, abs=1e-12)


@given(n=st.integers(2, 10), d=st.integers(1, 6), beta=st.floats(1e-3, 50.0), seed=seeds)
@example(n=2, d=1, beta=0.001, seed=0)
@example(n=10, d=6, beta=50.0, seed=2 ** 31 - 1)
def test_prop_c1_entropy_decomposition_is_an_identity(n, d, beta, seed):
    f1, f2 = _batch(seed, n, d)
    dec = entropy_decomposition(f1, f2, beta)
    # each term from its definition, against the direct evaluation of eq. (1)
    np.testing.assert_allclose(dec.loss_terms, infonce_terms(f1, f2, beta), rtol=0, atol=1e-10)
    # D_-i is a distribution on the 2(N-1) negatives, H within [0, log 2(N-1)]
    np.testing.assert_allclose(dec.probabilities.sum(axis=1), 1.0, atol=1e-12)
    idx = np.arange(n)
    assert np.all(dec.probabilities[idx, idx] == 0) and np.all(dec.probabilities[idx, idx + n] == 0)
    assert np.all(dec.entropy >= -1e-12) and np.all(dec.entropy <= math.log(2 * (n - 1)) + 1e-12)


def test_prop_c1_printed_sign_is_a_typo(rng):
    """Eq. (13) as printed, -beta f^T E[f~], is not the loss; the proof's +beta f^T E[f~] is."""
    f1, f2 = rng.standard_normal((2, 6, 3))
    dec = entropy_decomposition(f1, f2, 2.0)
    printed = -dec.similarity - dec.weighted_negative + dec.entropy
    assert np.max(np.abs(printed - infonce_terms(f1, f2, 2.0))) > 0.1


@given(n=st.integers(2, 10), d=st.integers(1, 6), beta=st.floats(1e-3, 100.0), seed=seeds)
@example(n=2, d=1, beta=0.001, seed=0)
@example(n=10, d=6, beta=100.0, seed=2 ** 31 - 1)
def test_prop_31_sandwich_holds_for_all_inputs(n, d, beta, seed):
    f1, f2 = _batch(seed, n, d)
    loss = infonce(f1, f2, beta)
    ub = upper_bound(f1, f2, beta)
    assert ub.lower - 1e-10 <= loss <= ub.upper + 1e-10
    # eq. (3) from eqs. (4)-(5) evaluated by a loop over anchors and negatives (no package code)
    inv, rep = _loop_terms(f1, f2)
    assert ub.invariance == pytest.approx(inv, abs=1e-12) and ub.repulsion == pytest.approx(rep, abs=1e-12)
    assert ub.upper == pytest.approx(beta * inv + beta * rep + math.log(2 * (n - 1)), rel=1e-12, abs=1e-12)
    assert loss == pytest.approx(_loop_infonce(f1, f2, beta), rel=1e-10, abs=1e-10)


def _cos(a, b):
    return float(a @ b) / math.sqrt(float(a @ a) * float(b @ b))


def _loop_terms(z1, z2):
    """L_invariance (eq. 4) and L_repulsion (eq. 5) by plain loops over raw (unnormalised) embeddings."""
    n = len(z1)
    stacked = list(z1) + list(z2)
    inv = -sum(_cos(z1[i], z2[i]) for i in range(n)) / n
    rep = sum(max(_cos(z1[i], stacked[l]) for l in range(2 * n) if l % n != i) for i in range(n)) / n
    return inv, rep


def _loop_infonce(z1, z2, beta):
    """Eq. (1) by a loop: mean_i [log sum_{l in B_-i} exp(beta cos_il) - beta cos_ii+]."""
    n = len(z1)
    stacked = list(z1) + list(z2)
    total = 0.0
    for i in range(n):
        logits = [beta * _cos(z1[i], stacked[l]) for l in range(2 * n) if l % n != i]
        m = max(logits)
        total += m + math.log(sum(math.exp(x - m) for x in logits)) - beta * _cos(z1[i], z2[i])
    return total / n


@given(n=st.integers(2, 8), d=st.integers(2, 6), d_proj=st.integers(1, 4), beta=st.floats(0.1, 10.0), seed=seeds)
@example(n=2, d=2, d_proj=1, beta=0.1, seed=0)  # d_proj = 1: every cosine is +-1
def test_prop_31_linear_projector_terms_match_definitions(n, d, d_proj, beta, seed):
    h1, h2 = _batch(seed, n, d)
    W = np.random.default_rng(seed + 1).standard_normal((d_proj, d))
    ub = upper_bound(h1, h2, beta, W)
    z1, z2 = h1 @ W.T, h2 @ W.T  # the projector applied by the test
    inv, rep = _loop_terms(z1, z2)
    assert ub.invariance == pytest.approx(inv, abs=1e-12)
    assert ub.repulsion == pytest.approx(rep, abs=1e-12)
    assert ub.upper == pytest.approx(beta * (inv + rep) + math.log(2 * (n - 1)), abs=1e-11)
    assert _loop_infonce(z1, z2, beta) <= ub.upper + 1e-10
    # the nearest negative is a maximiser of Sim(W h1_i, W h~_l) over B_-i (direct loop)
    z = np.concatenate([z1, z2])
    for i, l in enumerate(ub.nearest):
        cands = [k for k in range(2 * n) if k % n != i]
        assert l in cands
        assert _cos(z[i], z[l]) >= max(_cos(z[i], z[k]) for k in cands) - 1e-12


def _top_two_gap(f1, f2):
    f1 = f1 / np.linalg.norm(f1, axis=1, keepdims=True)
    f2 = f2 / np.linalg.norm(f2, axis=1, keepdims=True)
    n = f1.shape[0]
    s = f1 @ np.concatenate([f1, f2]).T
    idx = np.arange(n)
    s[idx, idx] = -np.inf
    s[idx, idx + n] = -np.inf
    top = np.sort(s, axis=1)[:, ::-1]
    return top[:, 0] - top[:, 1]


@given(n=st.integers(3, 8), d=st.integers(2, 5), seed=seeds, beta=st.floats(1.0, 400.0))
@example(n=3, d=2, seed=0, beta=1.0)
@example(n=8, d=5, seed=2 ** 31 - 1, beta=400.0)
def test_bound_gap_rate_as_beta_grows(n, d, seed, beta):
    """Rate tested: with a unique nearest negative (top-two similarity gap Delta_i > 0),

    (1/N) sum_i log(1 + e^{-beta Delta_i}) <= InfoNCE - beta (L_inv + L_rep)
                                           <= (1/N) sum_i log(1 + (2N - 3) e^{-beta Delta_i}),

    i.e. InfoNCE - (L_upper - log 2(N-1)) = Theta(e^{-beta min_i Delta_i}) -> 0.
    """
    f1, f2 = _batch(seed, n, d)
    delta = _top_two_gap(f1, f2)
    assume(delta.min() > 1e-6)
    ub = upper_bound(f1, f2, beta)
    excess = infonce(f1, f2, beta) - ub.lower
    lo = np.mean(np.log1p(np.exp(-beta * delta)))
    hi = np.mean(np.log1p((2 * n - 3) * np.exp(-beta * delta)))
    assert lo - 1e-9 <= excess <= hi + 1e-9


@given(n=st.integers(3, 8), d=st.integers(2, 5), seed=seeds)
@example(n=3, d=3, seed=2744)  # regression: saturated gap dipped by 1.5e-12 (rounding) at beta = 1e4
def test_gap_to_upper_bound_tends_to_log_2_n_minus_1_not_zero(n, d, seed):
    """Regression: L_upper - InfoNCE -> log 2(N-1) as beta -> inf (the bound is loose there),
    and -> 0 like O(beta) as beta -> 0 (gap <= beta * mean_i (s*_i - mean_l s_il))."""
    f1, f2 = _batch(seed, n, d)
    delta = _top_two_gap(f1, f2)
    assume(delta.min() > 1e-3)
    log_term = math.log(2 * (n - 1))
    betas = np.array([1.0, 10.0, 100.0, 1e4])
    gaps = [upper_bound(f1, f2, b).upper - infonce(f1, f2, b) for b in betas]
    # the gap grows with beta; both terms are O(beta), so their float64 rounding
    # is O(beta * 1e-16) and a saturated gap may dip by that much
    assert np.all(np.diff(gaps) >= -1e-14 * betas[1:])
    assert gaps[-1] == pytest.approx(log_term, abs=(2 * n - 3) * math.exp(-1e4 * delta.min()) + 1e-9)
    beta = 1e-3
    s = f1 / np.linalg.norm(f1, axis=1, keepdims=True) @ (
        np.concatenate([f1, f2]) / np.linalg.norm(np.concatenate([f1, f2]), axis=1, keepdims=True)
    ).T
    idx = np.arange(n)
    s[idx, idx] = np.nan
    s[idx, idx + n] = np.nan
    small_gap = upper_bound(f1, f2, beta).upper - infonce(f1, f2, beta)
    assert 0 <= small_gap <= beta * np.mean(np.nanmax(s, axis=1) - np.nanmean(s, axis=1)) + 1e-12


@given(n=st.integers(2, 8), d=st.integers(2, 6), d_proj=st.integers(1, 5), beta=st.floats(0.1, 10.0), seed=seeds)
@example(n=2, d=2, d_proj=1, beta=0.1, seed=0)
@example(n=8, d=6, d_proj=5, beta=10.0, seed=2 ** 31 - 1)
def test_eq8_equals_eq3_on_the_projector_sphere(n, d, d_proj, beta, seed):
    h1, h2 = _batch(seed, n, d)
    W = np.random.default_rng(seed + 7).standard_normal((d_proj, d))
    g1, g2 = normalize_on_projector_sphere(h1, W), normalize_on_projector_sphere(h2, W)
    np.testing.assert_allclose(np.linalg.norm(g1 @ W.T, axis=1), 1.0, rtol=1e-12)
    ub = upper_bound(g1, g2, beta, W)
    # cosines are scale-free: same bound as on the raw encoder outputs
    assert ub.upper == pytest.approx(upper_bound(h1, h2, beta, W).upper, rel=1e-10, abs=1e-10)
    assert reformulated_upper_bound(g1, g2, beta, W) == pytest.approx(ub.upper, rel=1e-10, abs=1e-10)
    assert np.array_equal(nearest_negative(g1, g2, W), ub.nearest)


def test_eq8_needs_the_normalisation(rng):
    """Without ||W h|| = 1, eq. (8) is not the bound (it scales with ||W h||^2)."""
    h1, h2 = rng.standard_normal((2, 6, 4))
    W = 3.0 * rng.standard_normal((2, 4))
    assert abs(reformulated_upper_bound(h1, h2, 2.0, W) - upper_bound(h1, h2, 2.0, W).upper) > 0.1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: infonce(np.ones((3, 2)), np.ones((3, 2)), 0.0), r"beta must be in \(0, inf\)"),
        (lambda: infonce(np.ones((3, 2)), np.ones((3, 2)), -1.0), "beta"),
        (lambda: infonce(np.ones((1, 2)), np.ones((1, 2)), 1.0), "N must be >= 2"),
        (lambda: infonce(np.ones((3, 2)), np.ones((4, 2)), 1.0), "equal shapes"),
        (lambda: infonce(np.ones((3, 2)), np.ones((3, 3)), 1.0), "equal shapes"),
        (lambda: infonce(np.ones(3), np.ones(3), 1.0), "2-d"),
        (lambda: infonce(np.zeros((3, 2)), np.ones((3, 2)), 1.0), "zero row"),
        (lambda: infonce(np.full((3, 2), np.nan), np.ones((3, 2)), 1.0), "finite"),
        (lambda: entropy_decomposition(np.ones((3, 2)), np.ones((3, 2)), np.inf), "beta"),
        (lambda: upper_bound(np.ones((3, 2)), np.ones((3, 2)), 1.0, W=np.ones((2, 3))), "W must have shape"),
        (lambda: upper_bound(np.ones((1, 2)), np.ones((1, 2)), 1.0), "N must be >= 2"),
        (lambda: normalize_on_projector_sphere(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])), "ker"),
        (lambda: reformulated_upper_bound(np.ones((3, 2)), np.ones((3, 2)), 0.0, np.ones((1, 2))), "beta"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()



@given(n=st.integers(2, 7), d=st.integers(1, 5), d_proj=st.integers(1, 4), seed=seeds, project=st.booleans())
@example(n=2, d=1, d_proj=1, seed=0, project=False)
@example(n=7, d=5, d_proj=4, seed=3, project=True)
def test_invariance_and_repulsion_losses_against_loops(n, d, d_proj, seed, project):
    """Eqs. (4)-(5) on their own (raw embeddings or a linear projector) against the loop definitions."""
    h1, h2 = _batch(seed, n, d)
    W = np.random.default_rng(seed + 7).standard_normal((d_proj, d)) if project else None
    z1, z2 = (h1, h2) if W is None else (h1 @ W.T, h2 @ W.T)
    inv, rep = _loop_terms(z1, z2)
    assert invariance_loss(h1, h2, W) == pytest.approx(inv, abs=1e-12)
    assert repulsion_loss(h1, h2, W) == pytest.approx(rep, abs=1e-12)
    assert -1.0 - 1e-12 <= invariance_loss(h1, h2, W) <= 1.0 + 1e-12


def test_invariance_loss_refuses_a_zero_embedding():
    h = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"zero row: cosine similarity is undefined"):
        invariance_loss(h, h, np.array([[1.0, 0.0]]))


def _loop_raw_infonce(z1, z2, beta):
    """Eq. (1) with raw inner products (normalize=False), by a loop."""
    n = len(z1)
    stacked = list(z1) + list(z2)
    total = 0.0
    for i in range(n):
        logits = [beta * float(z1[i] @ stacked[l]) for l in range(2 * n) if l % n != i]
        m = max(logits)
        total += m + math.log(sum(math.exp(x - m) for x in logits)) - beta * float(z1[i] @ z2[i])
    return total / n


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_raw_inner_product_variants_against_loops(seed):
    f1, f2 = _batch(seed, 5, 3)
    f1 = f1 * np.arange(1, 6)[:, None]  # rows of different norms: normalisation matters
    beta = 0.7
    assert infonce(f1, f2, beta, normalize=False) == pytest.approx(_loop_raw_infonce(f1, f2, beta), rel=1e-12)
    sym = 0.5 * (_loop_raw_infonce(f1, f2, beta) + _loop_raw_infonce(f2, f1, beta))
    assert infonce_symmetric(f1, f2, beta, normalize=False) == pytest.approx(sym, rel=1e-12)
    assert abs(infonce(f1, f2, beta, normalize=False) - infonce(f1, f2, beta)) > 1e-3


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_nearest_negative_is_the_cosine_argmax_not_the_inner_product_argmax(seed):
    rng = np.random.default_rng(seed)
    h1, h2 = rng.standard_normal((2, 6, 3)) * rng.uniform(0.1, 10.0, (2, 6, 1))  # very different norms
    z = np.concatenate([h1, h2])
    want = [max((l for l in range(12) if l % 6 != i), key=lambda l: _cos(z[i], z[l])) for i in range(6)]
    for tol in (0.0, 1e-12):
        assert list(nearest_negative(h1, h2, tie_tol=tol)) == want
    assert list(upper_bound(h1, h2, 2.0).nearest) == want
    with pytest.raises(ValueError, match=r"^tie_tol must be in \[0, 1\], got 1\.5$"):
        nearest_negative(h1, h2, tie_tol=1.5)
    assert nearest_negative(h1, h2, tie_tol=1.0).shape == (6,)  # the closed end point is allowed


def test_entropy_decomposition_expected_negative_and_bound_fields_against_loops():
    f1, f2 = _batch(4, 4, 3)
    beta = 1.3
    dec = entropy_decomposition(f1, f2, beta)
    u1 = f1 / np.linalg.norm(f1, axis=1, keepdims=True)
    stacked = np.concatenate([u1, f2 / np.linalg.norm(f2, axis=1, keepdims=True)])
    for i in range(4):
        negs = [l for l in range(8) if l % 4 != i]
        w = np.array([math.exp(beta * float(u1[i] @ stacked[l])) for l in negs])
        w /= w.sum()
        np.testing.assert_allclose(dec.expected_negative[i], w @ stacked[negs], rtol=1e-12, atol=1e-14)
        assert dec.entropy[i] == pytest.approx(-float(np.sum(w * np.log(w))), rel=1e-12)
        np.testing.assert_allclose(dec.probabilities[i, negs], w, rtol=1e-12)
        assert dec.probabilities[i, i] == 0.0 and dec.probabilities[i, i + 4] == 0.0
    ub = upper_bound(f1, f2, beta)
    assert ub.beta == beta and ub.log_term == pytest.approx(math.log(6.0), rel=1e-15)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: infonce(np.ones((1, 3)), np.ones((1, 3)), 1.0), r"^batch size N must be >= 2 .*, got 1$"),
        (lambda: upper_bound(np.ones((3, 2)), np.ones((2, 2)), 1.0), r"^h1 and h2 must have equal shapes"),
        (lambda: upper_bound(np.ones(3), np.ones((2, 2)), 1.0), r"^h1 must be a 2-d array"),
        (lambda: upper_bound(np.ones((2, 2)), np.ones(3), 1.0), r"^h2 must be a 2-d array"),
        (lambda: embed(np.ones(3), np.eye(3)), r"^h must be a 2-d array"),
        (lambda: embed(np.ones((2, 3)), np.eye(2)), r"^W must have shape \(\*, 3\)"),
        (lambda: upper_bound(np.array([[1.0, 0], [0, 1]]), np.array([[1.0, 0], [1, 0]]), 1.0, np.array([[0.0, 1.0]])),
         r"^f1 = W h1 has a zero row"),
        (lambda: upper_bound(np.array([[0.0, 1], [0, 1]]), np.array([[1.0, 0], [0, 1]]), 1.0, np.array([[0.0, 1.0]])),
         r"^f2 = W h2 has a zero row"),
        (lambda: normalize_on_projector_sphere(np.ones(2), np.eye(2)), r"^h must be a 2-d array"),
        (lambda: normalize_on_projector_sphere(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])),
         r"^W h has a zero row: h lies in ker\(W\) and cannot be normalised on the projector sphere$"),
        (lambda: reformulated_upper_bound(np.ones((2, 3)), np.ones((2, 3)), 1.0, np.ones((2, 2))), r"^W must have shape \(\*, 3\)"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
