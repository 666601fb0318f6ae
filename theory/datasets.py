"""Labelled data sets for the toy SimCLR runs, with seeded train/test splits.

* :func:`load_digits_split` — scikit-learn's bundled 8x8 handwritten digits
  (1797 images, 10 classes, no download), scaled to ``[0, 1]`` and then
  standardised with the *training* pixels' global mean and standard
  deviation (one scalar each, so an image stays an image for the shift and
  affine augmentations), shaped ``(n, 1, 8, 8)``; stratified split.
* :func:`subspace_cluster_split` — the union-of-subspaces model of the Deep
  Fusion theory (:func:`theory.subspace.subspace_clusters`, ``K`` random
  ``r``-dimensional subspaces of ``R^m`` with eq. (6) noise) lifted
  isometrically into an input space ``R^D`` by a random ``D x m`` matrix
  with orthonormal columns, and scaled by ``sqrt(D)`` so that an input
  coordinate has mean square one (augmentation noise levels are then
  relative to the signal per coordinate).  The lift keeps every cosine,
  so the clusters' subspace structure (and the cluster integrity of
  Def. 1) is that of the ``m``-dimensional draw.

Both return a :class:`SplitDataset` of float32 arrays (inputs) and int64
labels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theory._validation import check_int, check_random_state, check_scalar

__all__ = ["SplitDataset", "load_digits_split", "subspace_cluster_split", "DATASET_NAMES"]

DATASET_NAMES = ("subspaces", "digits")


class SplitDataset(NamedTuple):
    """A labelled train/test split."""

    X_train: np.ndarray  #: inputs, float32, shape (n_train, ...)
    y_train: np.ndarray  #: labels 0..K-1, int64
    X_test: np.ndarray  #: inputs, float32, shape (n_test, ...)
    y_test: np.ndarray  #: labels, int64
    n_classes: int  #: K


def _split(X: np.ndarray, y: np.ndarray, test_fraction: float, rng: np.random.Generator):
    """Stratified split: ``round(test_fraction * n_k)`` of each class (>= 1 each side) go to test."""
    test = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        k = int(round(test_fraction * members.size))
        k = min(max(k, 1), members.size - 1)
        test.append(members[:k])
    test = np.sort(np.concatenate(test))
    train_mask = np.ones(y.size, dtype=bool)
    train_mask[test] = False
    train = np.flatnonzero(train_mask)
    train, test = rng.permutation(train), rng.permutation(test)
    return X[train], y[train], X[test], y[test]


def load_digits_split(test_fraction: float = 0.3, seed=0) -> SplitDataset:
    """The 8x8 digits as ``(n, 1, 8, 8)`` float32 images, standardised with train statistics.

    Parameters
    ----------
    test_fraction : float, default 0.3
        Fraction of each class held out for testing, in ``(0, 1)``.
    seed : int, SeedSequence or Generator
        Seed of the stratified split (and of the order of both parts).
    """
    from sklearn.datasets import load_digits

    test_fraction = check_scalar(test_fraction, "test_fraction", low=0.0, high=1.0, closed="neither")
    rng = check_random_state(seed)
    data = load_digits()
    X = (data.images / 16.0).astype(np.float64)[:, None, :, :]
    y = data.target.astype(np.int64)
    Xtr, ytr, Xte, yte = _split(X, y, test_fraction, rng)
    mean, std = Xtr.mean(), Xtr.std()
    Xtr = ((Xtr - mean) / std).astype(np.float32)
    Xte = ((Xte - mean) / std).astype(np.float32)
    return SplitDataset(Xtr, ytr, Xte, yte, 10)


def subspace_cluster_split(
    n: int = 1200,
    *,
    m: int = 16,
    K: int = 4,
    r: int = 3,
    input_dim: int = 32,
    noise: float = 0.0,
    test_fraction: float = 0.3,
    seed=0,
) -> SplitDataset:
    """Subspace clusters (:func:`theory.subspace.subspace_clusters`) lifted to ``R^input_dim``.

    Parameters
    ----------
    n : int
        Total number of samples (train + test), ``>= 2 K``.
    m, K, r : int
        Ambient dimension, number of clusters and subspace dimension of the
        draw; ``(K - 1) r < m`` (the paper's assumption).
    input_dim : int
        Dimension ``D >= m`` of the input space.
    noise : float
        ``eps`` of eq. (6) in ``[0, 1)``; the noisy rows ``X_noisy`` are
        used as inputs (``noise = 0`` gives exact subspace data).
    test_fraction : float
    seed : int, SeedSequence or Generator
        One seed for the draw, the lift and the split.
    """
    from theory.subspace import subspace_clusters

    n = check_int(n, "n", low=2)
    K = check_int(K, "K", low=2)
    m = check_int(m, "m", low=1)
    input_dim = check_int(input_dim, "input_dim", low=1)
    if input_dim < m:
        raise ValueError(f"input_dim must be >= m (an isometric lift), got input_dim={input_dim}, m={m}")
    if n < 2 * K:
        raise ValueError(f"n must be >= 2 K (one train and one test sample per cluster), got n={n}, K={K}")
    test_fraction = check_scalar(test_fraction, "test_fraction", low=0.0, high=1.0, closed="neither")
    rng = check_random_state(seed)
    draw = subspace_clusters(n, m, K, r, noise=noise, seed=rng, shuffle=True)
    lift = np.linalg.qr(rng.standard_normal((input_dim, m)))[0]  # orthonormal columns
    X = np.sqrt(input_dim) * draw.X_noisy @ lift.T
    Xtr, ytr, Xte, yte = _split(X, draw.labels.astype(np.int64), test_fraction, rng)
    return SplitDataset(Xtr.astype(np.float32), ytr, Xte.astype(np.float32), yte, K)
