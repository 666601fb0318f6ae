"""Data sets and splits against what can be recovered from them independently.

Digits: the 17 grey levels of scikit-learn's images survive the global affine
standardisation, so every returned image can be mapped back to its integer
levels; the pairs (image, label) are then compared with scikit-learn's own as
multisets (no image lost, duplicated or relabelled), the per-class test counts
with the stratification rule, and the standardisation with the mean and
standard deviation recomputed from the recovered *training* images.

Subspace clusters: an isometric lift scaled by ``sqrt(D)`` gives rows of
squared norm exactly ``D``, rank ``r`` per cluster without noise and rank
``m`` in all; noisy rows stay within the angle ``arccos(1 - eps)`` of their
cluster's subspace (eq. (6)).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sklearn.datasets import load_digits

from theory.datasets import DATASET_NAMES, SplitDataset, load_digits_split, subspace_cluster_split


def _stratified_counts(y: np.ndarray, test_fraction: float) -> dict[int, int]:
    """Test count per class: ``round(test_fraction * n_k)``, at least 1 and at most ``n_k - 1``."""
    out = {}
    for c, n_k in Counter(y.tolist()).items():
        out[c] = min(max(int(np.round(test_fraction * n_k)), 1), n_k - 1)
    return out


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _levels(X: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Integer grey level (index into ``values``) of every pixel."""
    idx = np.searchsorted(values, X)
    idx = np.clip(idx, 1, values.size - 1)
    left = np.abs(X - values[idx - 1]) < np.abs(X - values[idx])
    return np.where(left, idx - 1, idx)


@pytest.mark.parametrize("test_fraction,seed", [(0.3, 0), (0.1, 7), (0.5, 2)])
def test_digits_split_keeps_every_image_once_stratified_and_standardised_by_the_training_set(digits, test_fraction, seed):
    ds = load_digits_split(test_fraction, seed=seed)
    assert isinstance(ds, SplitDataset) and ds.n_classes == 10
    assert ds.X_train.dtype == np.float32 and ds.X_test.dtype == np.float32
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert ds.X_train.shape[1:] == (1, 8, 8) and ds.X_test.shape[1:] == (1, 8, 8)
    assert len(ds.X_train) + len(ds.X_test) == 1797 == len(ds.y_train) + len(ds.y_test)
    # the 17 standardised grey levels, equally spaced
    values = np.unique(np.concatenate([ds.X_train.ravel(), ds.X_test.ravel()]).astype(np.float64))
    values = values[np.concatenate([[True], np.diff(values) > 1e-3])]  # merge float32 copies of one level
    assert values.size == 17
    np.testing.assert_allclose(np.diff(values), np.diff(values).mean(), rtol=1e-5)
    k_train = _levels(ds.X_train.astype(np.float64), values)
    k_test = _levels(ds.X_test.astype(np.float64), values)
    # (image, label) pairs are scikit-learn's, each once
    ours = Counter((k.tobytes(), int(c)) for k, c in zip(np.concatenate([k_train, k_test])[:, 0].astype(np.int64),
                                                          np.concatenate([ds.y_train, ds.y_test])))
    theirs = Counter((img.astype(np.int64).tobytes(), int(c)) for img, c in zip(digits.images, digits.target))
    assert ours == theirs
    # stratified: round(test_fraction * n_k) of each class held out
    assert Counter(ds.y_test.tolist()) == _stratified_counts(digits.target, test_fraction)
    # standardised with the training pixels' mean and sd, both parts alike
    raw_train, raw_test = k_train / 16.0, k_test / 16.0
    mean, sd = raw_train.mean(), raw_train.std()
    np.testing.assert_allclose(ds.X_train, (raw_train - mean) / sd, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ds.X_test, (raw_test - mean) / sd, rtol=1e-6, atol=1e-6)
    assert abs(ds.X_test.mean()) > 1e-4  # the test set is not standardised with its own statistics
    # both parts are shuffled, not sorted by class
    assert np.any(np.diff(ds.y_train) < 0) and np.any(np.diff(ds.y_test) < 0)


def test_digits_split_is_seeded(digits):
    a, b, c = load_digits_split(seed=3), load_digits_split(seed=3), load_digits_split(seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a[:4], b[:4]))
    assert not np.array_equal(a.y_test, c.y_test)
    g = load_digits_split(seed=np.random.default_rng(3))
    assert np.array_equal(g.X_test, a.X_test)


def test_stratification_keeps_one_sample_of_a_class_on_each_side():
    """A class of two samples gives one to each side, whatever the fraction."""
    ds = subspace_cluster_split(8, m=6, K=4, r=1, input_dim=6, test_fraction=0.05, seed=0)
    assert Counter(ds.y_test.tolist()) == {0: 1, 1: 1, 2: 1, 3: 1}
    ds = subspace_cluster_split(8, m=6, K=4, r=1, input_dim=6, test_fraction=0.95, seed=0)
    assert Counter(ds.y_train.tolist()) == {0: 1, 1: 1, 2: 1, 3: 1}


@pytest.mark.parametrize("n,m,K,r,D,tf", [(1200, 16, 4, 3, 32, 0.3), (50, 5, 3, 2, 5, 0.2), (301, 9, 2, 4, 20, 0.5)])
def test_subspace_split_is_an_isometric_lift_of_the_clusters(n, m, K, r, D, tf):
    ds = subspace_cluster_split(n, m=m, K=K, r=r, input_dim=D, test_fraction=tf, seed=1)
    X = np.concatenate([ds.X_train, ds.X_test]).astype(np.float64)
    y = np.concatenate([ds.y_train, ds.y_test])
    assert ds.n_classes == K and X.shape == (n, D) and ds.X_train.dtype == np.float32
    assert sorted(Counter(y.tolist())) == list(range(K))
    counts = Counter(y.tolist())
    assert max(counts.values()) - min(counts.values()) <= 1  # balanced clusters
    assert Counter(ds.y_test.tolist()) == _stratified_counts(y, tf)
    np.testing.assert_allclose((X**2).sum(1), D, rtol=1e-5)  # unit rows times sqrt(D), lifted isometrically
    tol = 1e-4 * np.sqrt(D)
    for c in range(K):
        s = np.linalg.svd(X[y == c], compute_uv=False)
        assert s[r - 1] > 0.05 * s[0] and (s.size <= r or s[r] < tol * s[0])  # rank r exactly
    s = np.linalg.svd(X, compute_uv=False)
    rank_all = min(K * r, m)
    assert s[rank_all - 1] > 1e-3 * s[0] and (s.size <= rank_all or s[rank_all] < tol * s[0])
    assert np.any(np.diff(ds.y_train) != 0)


def test_subspace_split_uses_the_noisy_rows():
    eps, r = 0.1, 2
    ds = subspace_cluster_split(600, m=10, K=3, r=r, input_dim=24, noise=eps, seed=5)
    X = np.concatenate([ds.X_train, ds.X_test]).astype(np.float64) / np.sqrt(24)
    y = np.concatenate([ds.y_train, ds.y_test])
    s = np.linalg.svd(X, compute_uv=False)
    assert s[9] > 1e-2 * s[0] and s[10] < 1e-5 * s[0]  # all of the lifted R^10, nothing outside it
    for c in range(3):
        rows = X[y == c]
        # the noisy rows leave the cluster's subspace, each by no more than the angle arccos(1 - eps); the
        # best rank-r fit has a mean squared residual no larger than the true subspace's, so below that bound
        _, sv, Vt = np.linalg.svd(rows, full_matrices=False)
        assert sv[r] > 1e-2 * sv[0]
        residual = ((rows - rows @ Vt[:r].T @ Vt[:r]) ** 2).sum(1)
        assert residual.mean() > 0.1 * (1 - (1 - eps) ** 2)
        assert residual.mean() <= 1 - (1 - eps) ** 2 + 1e-5


def test_stratification_holds_out_one_sample_of_a_class_of_three_at_a_small_fraction():
    ds = subspace_cluster_split(12, m=6, K=4, r=1, input_dim=6, test_fraction=0.05, seed=2)
    assert Counter(ds.y_test.tolist()) == {0: 1, 1: 1, 2: 1, 3: 1}
    assert ds.X_test.dtype == np.float32 and ds.y_train.dtype == np.int64


def test_defaults_are_the_documented_ones():
    d = subspace_cluster_split()
    assert d.n_classes == 4 and d.X_test.dtype == np.float32
    X = np.concatenate([d.X_train, d.X_test]).astype(np.float64)
    y = np.concatenate([d.y_train, d.y_test])
    s = np.linalg.svd(X[y == 0], compute_uv=False)
    assert s[2] > 1e-3 * s[0] and s[3] < 1e-4 * s[0]  # r = 3
    e = subspace_cluster_split(seed=0)
    assert np.array_equal(d.X_train, e.X_train)
    assert np.array_equal(load_digits_split().y_test, load_digits_split(0.3, seed=0).y_test)


def test_subspace_split_is_seeded():
    a, b, c = (subspace_cluster_split(40, m=6, K=2, r=2, input_dim=8, seed=s) for s in (0, 0, 1))
    assert all(np.array_equal(x, y) for x, y in zip(a[:4], b[:4]))
    assert not np.allclose(a.X_train[:3], c.X_train[:3])
    assert subspace_cluster_split().X_train.shape == (840, 32)  # defaults: n 1200, D 32, 30% test
    assert DATASET_NAMES == ("subspaces", "digits")


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: load_digits_split(0.0), r"^test_fraction must be in \(0, 1\), got 0.0$"),
        (lambda: load_digits_split(1.0), r"^test_fraction must be in \(0, 1\), got 1.0$"),
        (lambda: load_digits_split(0.3, seed="x"), r"^seed"),
        (lambda: subspace_cluster_split(7, K=4), r"^n must be >= 2 K \(one train and one test sample per cluster\), "
                                                 r"got n=7, K=4$"),
        (lambda: subspace_cluster_split(1), r"^n must be an integer in \[2, inf\), got 1$"),
        (lambda: subspace_cluster_split(K=1), r"^K must be an integer in \[2, inf\), got 1$"),
        (lambda: subspace_cluster_split(m=0), r"^m must be an integer in \[1, inf\), got 0$"),
        (lambda: subspace_cluster_split(input_dim=0), r"^input_dim must be an integer in \[1, inf\), got 0$"),
        (lambda: subspace_cluster_split(m=16, input_dim=8),
         r"^input_dim must be >= m \(an isometric lift\), got input_dim=8, m=16$"),
        (lambda: subspace_cluster_split(test_fraction=1.5), r"^test_fraction must be in \(0, 1\), got 1.5$"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
