"""Tests of theory.sparsehead: L2,1 norm / prox / penalty (Song et al. eqs. 12-13), M(d) (eq. 9)."""

import cvxpy as cp
import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from theory.heads import make_head
from theory.sparsehead import (
    eigenvalue_spectrum,
    group_lasso_lambda_max,
    l20_norm,
    l21_norm,
    l21_penalty,
    l21_prox,
    min_max_distance_ratio,
    min_max_distance_ratios,
    sparsehead_layer,
)

seeds = st.integers(0, 2**31 - 1)


@given(m=st.integers(1, 6), d=st.integers(1, 6), seed=seeds)
@example(m=1, d=1, seed=0)
@example(m=6, d=6, seed=2 ** 31 - 1)
def test_l21_norm_against_loops(m, d, seed):
    W = np.random.default_rng(seed).standard_normal((m, d))
    cols = sum(np.sqrt(sum(W[i, j] ** 2 for i in range(m))) for j in range(d))
    rows = sum(np.sqrt(sum(W[i, j] ** 2 for j in range(d))) for i in range(m))
    assert l21_norm(W) == pytest.approx(cols, rel=1e-12)
    assert l21_norm(W, groups="rows") == pytest.approx(rows, rel=1e-12)
    # a norm: between the Frobenius norm and sqrt(d) times it
    fro = np.linalg.norm(W)
    assert fro - 1e-12 <= l21_norm(W) <= np.sqrt(d) * fro + 1e-12


@given(m=st.integers(1, 4), d=st.integers(1, 5), t=st.floats(0.0, 3.0), seed=seeds)
@example(m=4, d=5, t=2.0, seed=27116)  # regression: the solver's zero columns are ~4e-6, the prox's exact
def test_prox_against_cvxpy(m, d, t, seed):
    """Block soft-thresholding equals argmin_X 1/2 ||X - W||_F^2 + t ||X||_{2,1} (CLARABEL)."""
    W = np.random.default_rng(seed).standard_normal((m, d))
    X = cp.Variable((m, d))
    obj = 0.5 * cp.sum_squares(X - W) + t * cp.sum(cp.norm(X, 2, axis=0))
    cp.Problem(cp.Minimize(obj)).solve(solver=cp.CLARABEL)
    P = l21_prox(W, t)

    def f(A):
        return 0.5 * np.sum((A - W) ** 2) + t * np.sum(np.linalg.norm(A, axis=0))

    # f is 1-strongly convex, so for the minimiser P and any X:
    # ||X - P||^2 / 2 <= f(X) - f(P).  The prox must be at least as good as the
    # solver's point, and that point within the distance its own suboptimality allows.
    assert f(P) <= f(X.value) + 1e-12
    assert 0.5 * np.sum((X.value - P) ** 2) <= f(X.value) - f(P) + 1e-12
    np.testing.assert_allclose(P, X.value, atol=1e-4)
    zero = np.linalg.norm(W, axis=0) <= t
    assert np.all(l21_prox(W, t)[:, zero] == 0.0)


def _group_lasso_cvxpy(X, Y, lam):
    n, d = X.shape
    W = cp.Variable((Y.shape[1], d))
    obj = cp.sum_squares(Y - X @ W.T) / (2 * n) + lam * cp.sum(cp.norm(W, 2, axis=0))
    cp.Problem(cp.Minimize(obj)).solve(solver=cp.CLARABEL)
    return W.value


def _group_lasso_fista(X, Y, lam, iters=5000):
    """Accelerated proximal gradient with theory.sparsehead.l21_prox (a second algorithm)."""
    n, d = X.shape
    L = np.linalg.norm(X, 2) ** 2 / n
    W = np.zeros((Y.shape[1], d))
    Z, t = W.copy(), 1.0
    for _ in range(iters):
        grad = (Z @ X.T - Y.T) @ X / n
        W_new = l21_prox(Z - grad / L, lam / L)
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        Z = W_new + (t - 1) / t_new * (W_new - W)
        W, t = W_new, t_new
    return W


def test_l21_penalty_zeroes_whole_columns_in_a_convex_problem():
    """Group lasso on a head W (m x d), z = W r: only 3 of 8 representation features carry signal.

    With lambda in (lambda_signal, lambda_max), cvxpy's solution has whole columns
    (features of the representation) exactly ~0, rows all non-zero, the zero pattern
    agrees with a proximal-gradient solve, and the KKT conditions hold.
    """
    rng = np.random.default_rng(3)
    n, d, m = 200, 8, 4
    X = rng.standard_normal((n, d))
    W_true = np.zeros((m, d))
    W_true[:, [0, 3, 5]] = rng.standard_normal((m, 3)) + 2.0
    Y = X @ W_true.T + 0.1 * rng.standard_normal((n, m))
    lam_max = group_lasso_lambda_max(X, Y)
    lam = 0.1 * lam_max
    W_cvx = _group_lasso_cvxpy(X, Y, lam)
    W_pg = _group_lasso_fista(X, Y, lam)
    col = np.linalg.norm(W_cvx, axis=0)
    zero_cols = col < 1e-6 * col.max()
    assert zero_cols.sum() == d - 3 and not zero_cols[[0, 3, 5]].any()
    assert np.all(np.linalg.norm(W_cvx, axis=1) > 1e-3)  # no row vanishes: column sparsity, not row
    # the two solvers agree: objective to 1e-8; the problem is strongly convex with modulus
    # mu = lambda_min(X^T X / n), so ||W_pg - W_cvx||_F <= sqrt(2 * 1e-8 / mu) ~ 1.5e-4
    def obj(W):
        return np.sum((Y - X @ W.T) ** 2) / (2 * n) + lam * l21_norm(W)

    assert obj(W_pg) <= obj(W_cvx) + 1e-10
    assert obj(W_cvx) - obj(W_pg) < 1e-8
    mu = np.linalg.eigvalsh(X.T @ X / n).min()
    assert np.linalg.norm(W_pg - W_cvx) <= np.sqrt(2 * 1e-8 / mu)
    assert np.array_equal(np.linalg.norm(W_pg, axis=0) == 0.0, zero_cols)  # prox gives exact zeros
    grad = (W_pg @ X.T - Y.T) @ X / n
    gnorm = np.linalg.norm(grad, axis=0)
    assert np.all(gnorm[zero_cols] <= lam * (1 + 1e-6))
    nz = ~zero_cols
    np.testing.assert_allclose(-grad[:, nz], lam * W_pg[:, nz] / np.linalg.norm(W_pg[:, nz], axis=0), atol=1e-6)
    # above lambda_max the solution is 0; just below it is not
    assert np.abs(_group_lasso_cvxpy(X, Y, 1.01 * lam_max)).max() < 1e-6
    assert np.abs(_group_lasso_fista(X, Y, 0.9 * lam_max, iters=500)).max() > 1e-3
    # the L2,0 "norm" (Assumption 5.3) of the solution counts the selected features
    assert l20_norm(W_cvx, atol=1e-6 * col.max()) == 3


def test_torch_penalty_matches_numpy_on_linear_and_mlp_heads():
    lin = make_head("linear", 6, 3, seed=0)
    mlp = make_head("mlp", 6, 3, seed=0, hidden_dim=5, n_layers=2)
    for head, weight in ((lin, lin.linear.weight), (mlp, mlp.last_linear.weight)):
        assert sparsehead_layer(head).weight is weight
        got = l21_penalty(head, 0.3)
        assert got.item() == pytest.approx(0.3 * l21_norm(weight.detach().double().numpy()), rel=1e-6)
    assert sparsehead_layer(mlp).weight.shape == (3, 5)  # last layer: columns = hidden units


def test_torch_penalty_gradient_including_zero_columns():
    w = torch.tensor([[3.0, 0.0, 1.0], [4.0, 0.0, -1.0]], dtype=torch.float64, requires_grad=True)
    l21_penalty(w, 2.0).backward()
    expected = 2.0 * np.array([[3 / 5, 0.0, 1 / np.sqrt(2)], [4 / 5, 0.0, -1 / np.sqrt(2)]])
    np.testing.assert_allclose(w.grad.numpy(), expected, atol=1e-12)


def test_sparsehead_refuses_heads_without_a_last_linear_layer():
    with pytest.raises(ValueError, match="no last linear layer"):
        sparsehead_layer(make_head("none", 4))
    with pytest.raises(ValueError, match="no last linear layer"):
        l21_penalty(make_head("transformer", 8, 8, width=8, n_layers=1, n_heads=2), 0.1)


# -------------------------------------------------------------------- eq. (9)


@given(n=st.integers(3, 9), d=st.integers(1, 6), seed=seeds)
@example(n=3, d=1, seed=0)
@example(n=9, d=6, seed=2 ** 31 - 1)
def test_min_max_distance_ratio_against_loops(n, d, seed):
    Z = np.random.default_rng(seed).standard_normal((n, d))
    batch = min_max_distance_ratios(Z)
    for i in range(n):
        dist = [np.sqrt(np.sum((Z[i] - Z[j]) ** 2)) for j in range(n) if j != i]
        direct = (max(dist) - min(dist)) / min(dist)
        assert min_max_distance_ratio(Z[i], np.delete(Z, i, axis=0)) == pytest.approx(direct, rel=1e-12)
        assert batch[i] == pytest.approx(direct, rel=1e-6)


def test_lemma_57_distance_concentration_monte_carlo():
    """Lemma 5.7 (Beyer et al.): M(d) -> 0 for i.i.d. points. Mean of M over 50 clouds of
    n = 20 Gaussian points drops from d = 2 to d = 500 by far more than 5 standard errors."""
    rng = np.random.default_rng(11)

    def stats(d):
        vals = [np.mean(min_max_distance_ratios(rng.standard_normal((20, d)))) for _ in range(50)]
        return np.mean(vals), np.std(vals, ddof=1) / np.sqrt(len(vals))

    (m2, s2), (m500, s500) = stats(2), stats(500)
    assert m2 - m500 > 5 * np.hypot(s2, s500)
    assert m500 < 0.5


def test_duplicate_points_give_infinite_ratio():
    Z = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    assert np.isinf(min_max_distance_ratio(Z[0], Z[1:]))
    assert np.isinf(min_max_distance_ratios(Z)[:2]).all()


@given(n=st.integers(2, 12), d=st.integers(1, 8), seed=seeds)
@example(n=2, d=1, seed=0)
@example(n=12, d=8, seed=2 ** 31 - 1)
def test_eigenvalue_spectrum_against_numpy_cov(n, d, seed):
    X = np.random.default_rng(seed).standard_normal((n, d))
    ev = eigenvalue_spectrum(X)
    ref = np.sort(np.linalg.eigvalsh(np.atleast_2d(np.cov(X, rowvar=False))))[::-1]
    np.testing.assert_allclose(ev, ref, atol=1e-10 * max(1.0, ref[0]))
    assert np.all(np.diff(ev) <= 1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: l21_norm(np.ones(3)), "2-d"),
        (lambda: l21_norm(np.ones((2, 2)), groups="cols"), "groups must be one of"),
        (lambda: l21_prox(np.ones((2, 2)), -1.0), "threshold"),
        (lambda: l21_penalty(torch.ones(2, 2), -0.1), "lam"),
        (lambda: l21_penalty(torch.ones(3), 0.1), "2-d"),
        (lambda: min_max_distance_ratio(np.ones(2), np.ones((1, 2))), "n >= 2"),
        (lambda: min_max_distance_ratio(np.ones(2), np.ones((3, 3))), "others must have shape"),
        (lambda: min_max_distance_ratios(np.ones((2, 2))), "n >= 3"),
        (lambda: eigenvalue_spectrum(np.ones((1, 2))), "n >= 2"),
        (lambda: sparsehead_layer("mlp"), "torch.nn.Module"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------- edges pinned by hand


def test_l20_counts_groups_strictly_above_atol():
    W = np.array([[3.0, 0.0, 0.3], [4.0, 0.0, 0.4]])  # column norms 5, 0, 0.5
    assert l20_norm(W) == 2  # default atol = 0: every non-zero column counts
    assert l20_norm(W, atol=0.5) == 1  # a norm equal to atol does not count
    assert l20_norm(W, atol=0.49) == 2
    assert l20_norm(W, groups="rows") == 2
    with pytest.raises(ValueError, match=r"^atol must be in \[0, inf\), got -1\.0$"):
        l20_norm(W, atol=-1.0)


def test_l21_prox_on_rows_of_a_non_square_matrix_by_hand():
    """Block soft-thresholding: row (3, 4, 0) (norm 5) shrinks to (1 - 1/5)(3, 4, 0); row (0.6, 0.8, 0) (norm 1)
    with threshold 1 is set to zero; a zero row stays zero."""
    W = np.array([[3.0, 4.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    out = l21_prox(W, 1.0, groups="rows")
    np.testing.assert_allclose(out, [[2.4, 3.2, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]], atol=1e-15)
    np.testing.assert_allclose(l21_prox(W.T, 1.0), out.T, atol=1e-15)  # columns of the transpose


def test_l21_penalty_of_zero_groups_is_zero_with_zero_gradient():
    torch = pytest.importorskip("torch")
    w = torch.tensor([[0.0, 3.0], [0.0, 4.0]], dtype=torch.float64, requires_grad=True)
    pen = l21_penalty(w, 2.0)
    assert float(pen.detach()) == pytest.approx(10.0, rel=1e-15)  # 2 * (0 + 5)
    pen.backward()
    np.testing.assert_allclose(w.grad.numpy(), [[0.0, 2 * 0.6], [0.0, 2 * 0.8]], atol=1e-15)
    assert float(l21_penalty(torch.zeros(2, 3), 1.0)) == 0.0


def test_min_max_distance_ratio_edges():
    z = np.array([0.0, 0.0])
    assert min_max_distance_ratio(z, np.array([[1.0, 0.0], [0.0, 3.0]])) == pytest.approx(2.0)  # (3 - 1) / 1
    assert min_max_distance_ratio(z, np.array([[0.0, 0.0], [0.0, 3.0]])) == np.inf  # delta_min = 0
    with pytest.raises(ValueError, match=r"^others must hold n >= 2 samples, got 1$"):
        min_max_distance_ratio(z, np.array([[1.0, 5.0]]))
    with pytest.raises(ValueError, match=r"^others must have shape \(\*, 2\)"):
        min_max_distance_ratio(z, np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"^z must be a 1-d array"):
        min_max_distance_ratio(np.ones((1, 2)), np.ones((3, 2)))


def test_min_max_distance_ratios_with_a_duplicate_row_is_inf_there_only():
    Z = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    r = min_max_distance_ratios(Z)
    assert r[0] == np.inf and r[1] == np.inf
    assert r[2] == pytest.approx((5.0 - np.sqrt(18.0)) / np.sqrt(18.0), rel=1e-12)  # hand: to (0,1) sqrt 18, to 0 dist 5
    assert r[3] == pytest.approx((np.sqrt(18.0) - 1.0) / 1.0, rel=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: l21_norm(np.ones(3)), r"^W must be a 2-d array"),
        (lambda: l21_norm(np.ones((2, 2)), groups="cols"), r"^groups must be one of"),
        (lambda: l20_norm(np.ones(3)), r"^W must be a 2-d array"),
        (lambda: l21_prox(np.ones(3), 1.0), r"^W must be a 2-d array"),
        (lambda: l21_prox(np.ones((2, 2)), -1.0), r"^threshold must be in \[0, inf\), got -1\.0$"),
        (lambda: group_lasso_lambda_max(np.ones(3), np.ones((3, 1))), r"^X must be a 2-d array"),
        (lambda: group_lasso_lambda_max(np.ones((3, 2)), np.ones((4, 1))), r"^Y must have shape \(3, \*\), got \(4, 1\)$"),
        (lambda: sparsehead_layer("head"), r"^head must be a torch\.nn\.Module, got str$"),
        (lambda: sparsehead_layer(__import__("torch").nn.ReLU()), r"^head has no last linear layer to penalise \(got ReLU\)"),
        (lambda: l21_penalty(__import__("torch").ones(2, 2), -1.0), r"^lam must be in \[0, inf\), got -1\.0$"),
        (lambda: min_max_distance_ratios(np.ones(3)), r"^Z must be a 2-d array"),
        (lambda: min_max_distance_ratios(np.ones((2, 2))), r"^Z must have n >= 3 rows, got 2$"),
        (lambda: eigenvalue_spectrum(np.ones(3)), r"^X must be a 2-d array"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
