"""Union-of-subspaces data with bounded-cosine noise (Deep Fusion, Li & Pimentel-Alarcon).

The "One-Layer Fusion without Noise" section of the Deep Fusion paper models
a batch ``X`` (``n x m``) whose unit-norm rows each lie in one of ``K``
subspaces ``U_1, ..., U_K`` of dimension at most ``r`` of ``R^m``, under the
assumption ``(K - 1) r < m``.  The "Deep Fusion" section adds noise bounded
by a cosine (eq. 6)::

    x_i^T x~_i >= 1 - eps,   eps in [0, 1).

:func:`subspace_clusters` draws such data.  Every row ``x_i`` is uniform on
the unit sphere of its subspace (optionally restricted to an open half of
it, see ``half_space``); the noisy row is

    x~_i = (1 - e_i) x_i + sqrt(1 - (1 - e_i)^2) z_i,

with ``z_i`` a uniform unit vector orthogonal to ``x_i``, so ``x~_i`` is unit
norm and ``x_i^T x~_i = 1 - e_i`` exactly (``e_i = eps`` by default, the
worst case that eq. 6 allows; ``e_i ~ U[0, eps]`` with
``noise_cosine="uniform"``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theory._validation import check_array, check_int, check_random_state, check_scalar

__all__ = ["SubspaceClusters", "subspace_clusters", "cluster_sizes", "check_labels", "check_unit_rows"]


class SubspaceClusters(NamedTuple):
    """One draw of the union-of-subspaces model (see :func:`subspace_clusters`)."""

    X: np.ndarray  #: clean unit rows x_i, shape (n, m)
    labels: np.ndarray  #: cluster index c_i in {0, ..., K-1}, shape (n,), int64
    bases: np.ndarray  #: orthonormal bases of U_1..U_K, shape (K, m, r)
    X_noisy: np.ndarray  #: noisy unit rows x~_i with x_i^T x~_i = cosines[i], shape (n, m)
    cosines: np.ndarray  #: x_i^T x~_i, shape (n,), all >= 1 - eps
    eps: float  #: the noise level of eq. (6)


def cluster_sizes(n: int, K: int) -> np.ndarray:
    """Balanced cluster sizes: ``n // K`` each, the first ``n % K`` clusters one larger."""
    n = check_int(n, "n", low=1)
    K = check_int(K, "K", low=1)
    if n < K:
        raise ValueError(f"n must be >= K so that no cluster is empty, got n={n}, K={K}")
    sizes = np.full(K, n // K, dtype=np.int64)
    sizes[: n % K] += 1
    return sizes


def check_labels(labels, n: int, *, name: str = "labels", min_clusters: int = 1) -> tuple[np.ndarray, int]:
    """Validate cluster labels for ``n`` samples and return ``(labels, K)``.

    Labels must be integers ``0..K-1`` with every cluster non-empty (an empty
    cluster, e.g. labels {0, 2}, is an error naming ``labels``).
    """
    lab = np.asarray(labels)
    if lab.ndim != 1 or lab.shape[0] != n:
        raise ValueError(f"{name} must be a 1-d array of length n={n} (one per row of X), got shape {lab.shape}")
    if lab.dtype.kind not in "iub":
        if lab.dtype.kind == "f" and np.all(np.isfinite(lab)) and np.all(lab == np.round(lab)):
            lab = lab.astype(np.int64)
        else:
            raise ValueError(f"{name} must contain integers 0..K-1, got dtype {lab.dtype}")
    lab = lab.astype(np.int64)
    if lab.min() < 0:
        raise ValueError(f"{name} must be integers in 0..K-1, got a negative label {lab.min()}")
    K = int(lab.max()) + 1
    counts = np.bincount(lab, minlength=K)
    if np.any(counts == 0):
        empty = np.flatnonzero(counts == 0).tolist()
        raise ValueError(f"{name} must use every cluster 0..K-1 (no empty clusters), clusters {empty} are empty")
    if K < min_clusters:
        raise ValueError(f"{name} must contain at least {min_clusters} clusters, got K={K}")
    return lab, K


def check_unit_rows(X, name: str = "X", *, atol: float = 1e-8) -> np.ndarray:
    """Validate a finite ``(n, m)`` matrix whose rows have unit Euclidean norm."""
    X = check_array(X, name, ndim=2)
    norms = np.linalg.norm(X, axis=1)
    bad = np.flatnonzero(np.abs(norms - 1.0) > atol)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{name} must have unit-norm rows (|| {name}[i] || = 1 within {atol:g}); "
            f"row {i} has norm {norms[i]:.6g} ({bad.size} bad rows)"
        )
    return X


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def subspace_clusters(
    n: int,
    m: int,
    K: int,
    r: int,
    noise: float = 0.0,
    seed=None,
    *,
    sizes=None,
    bases=None,
    half_space: bool = False,
    cone_angle: float | None = None,
    noise_cosine: str = "exact",
    shuffle: bool = False,
) -> SubspaceClusters:
    """Draw unit rows on ``K`` random ``r``-dimensional subspaces of ``R^m``, plus noisy copies.

    Parameters
    ----------
    n : int
        Number of samples (rows), ``n >= K``.
    m : int
        Ambient dimension.
    K : int
        Number of subspaces (clusters), ``K >= 1``.
    r : int
        Dimension of every subspace, ``1 <= r`` and ``(K - 1) r < m`` (the
        paper's assumption in "One-Layer Fusion without Noise").
    noise : float, default 0.0
        ``eps`` of eq. (6), in ``[0, 1)``: the noisy rows satisfy
        ``x_i^T x~_i >= 1 - eps``.
    seed : None, int, SeedSequence or Generator
        Randomness; an int makes the draw reproducible bit for bit.
    sizes : array_like of int, shape (K,), optional
        Cluster sizes (each >= 1, summing to ``n``).  Default: balanced
        (:func:`cluster_sizes`).
    bases : array_like, shape (K, m, r), optional
        Orthonormal bases to use instead of random ones (each ``bases[k]``
        must have orthonormal columns).  Default: independent Haar-random
        subspaces, which satisfy ``U_k not in sum_{l != k} U_l`` with
        probability one when ``(K - 1) r < m``.
    half_space : bool, default False
        If True every point of cluster ``k`` has a positive first coordinate
        in its basis (``x_i^T bases[k][:, 0] > 0``), so each cluster lies in
        an open half of its subspace.  This is the sign condition under which
        the within-cluster bound of Theorem 1 can hold (see
        ``docs/deep_fusion.md``).  Default False: uniform on the sphere of
        the subspace, so ``x`` and ``-x``-like pairs occur.
    cone_angle : float in (0, pi/2], optional
        If given, every point of cluster ``k`` makes an angle ``theta_i``
        with ``bases[k][:, 0]``, ``theta_i ~ U[0, cone_angle]`` (direction
        of the remainder uniform), so the cluster lies in a cone and its
        signed integrity is bounded away from 0.  Overrides ``half_space``.
    noise_cosine : {"exact", "uniform"}, default "exact"
        ``"exact"``: ``x_i^T x~_i = 1 - eps`` for every row (the worst case
        eq. (6) allows); ``"uniform"``: ``1 - e_i`` with ``e_i ~ U[0, eps]``.
    shuffle : bool, default False
        If False rows are sorted by cluster (convenient for plotting
        attention matrices); if True they are randomly permuted.

    Returns
    -------
    SubspaceClusters
        NamedTuple ``(X, labels, bases, X_noisy, cosines, eps)``; ``X`` and
        ``X_noisy`` have unit rows, ``labels`` are ``0..K-1``.

    Raises
    ------
    ValueError
        If ``(K - 1) r >= m``, ``n < K``, ``noise`` is outside ``[0, 1)``,
        ``sizes`` do not sum to ``n`` or contain an empty cluster, or
        ``bases`` is not orthonormal of shape ``(K, m, r)``.
    """
    n = check_int(n, "n", low=1)
    m = check_int(m, "m", low=1)
    K = check_int(K, "K", low=1)
    r = check_int(r, "r", low=1)
    if (K - 1) * r >= m:
        raise ValueError(f"(K - 1) * r must be < m (paper's assumption), got (K-1)*r = {(K - 1) * r} >= m = {m}")
    if r > m:
        raise ValueError(f"r must be <= m, got r={r}, m={m}")
    eps = check_scalar(noise, "noise (eps)", low=0.0, high=1.0, closed="left")
    if eps > 0.0 and m < 2:
        raise ValueError("noise (eps) must be 0 when m = 1 (no direction orthogonal to x_i to add noise along)")
    if cone_angle is not None:
        cone_angle = check_scalar(cone_angle, "cone_angle", low=0.0, high=np.pi / 2, closed="right")
    if noise_cosine not in ("exact", "uniform"):
        raise ValueError(f"noise_cosine must be 'exact' or 'uniform', got {noise_cosine!r}")
    if sizes is None:
        sz = cluster_sizes(n, K)
    else:
        sz = np.asarray(sizes)
        if sz.shape != (K,) or sz.dtype.kind not in "iu":
            raise ValueError(f"sizes must be K={K} integers, got {sizes!r}")
        if np.any(sz < 1):
            raise ValueError(f"sizes must all be >= 1 (no empty clusters), got {sz.tolist()}")
        if int(sz.sum()) != n:
            raise ValueError(f"sizes must sum to n={n}, got sum {int(sz.sum())}")
        sz = sz.astype(np.int64)
    rng = check_random_state(seed)

    if bases is None:
        G = rng.standard_normal((K, m, r))
        B = np.linalg.qr(G)[0]  # (K, m, r), Haar on the Stiefel manifold up to signs
    else:
        B = check_array(bases, "bases", ndim=3, shape=(K, m, r))
        gram = np.einsum("kmi,kmj->kij", B, B)
        if not np.allclose(gram, np.eye(r)[None], atol=1e-8):
            raise ValueError("bases must have orthonormal columns (bases[k].T @ bases[k] = I_r for every k)")

    labels = np.repeat(np.arange(K, dtype=np.int64), sz)
    coef = rng.standard_normal((n, r))
    norms = np.linalg.norm(coef, axis=1)
    while np.any(norms == 0.0):  # probability zero; keeps the rows well defined
        z = norms == 0.0
        coef[z] = rng.standard_normal((int(z.sum()), r))
        norms = np.linalg.norm(coef, axis=1)
    coef /= norms[:, None]
    if cone_angle is not None:
        theta = rng.uniform(0.0, cone_angle, size=n)
        rest = coef.copy()
        rest[:, 0] = 0.0
        rn = np.linalg.norm(rest, axis=1, keepdims=True)
        rest = np.where(rn > 0, rest / np.where(rn > 0, rn, 1.0), 0.0)
        coef = rest * np.sin(theta)[:, None]
        coef[:, 0] = np.cos(theta)
    elif half_space:
        coef[:, 0] = np.abs(coef[:, 0])
        coef[coef[:, 0] == 0.0, 0] = 1e-12  # measure zero
        coef = _unit(coef)
    X = np.einsum("nmr,nr->nm", B[labels], coef)
    X = _unit(X)

    if eps > 0.0:
        e = np.full(n, eps) if noise_cosine == "exact" else rng.uniform(0.0, eps, size=n)
        c = 1.0 - e
        s = np.sqrt(np.clip(1.0 - c**2, 0.0, None))
        Z = rng.standard_normal((n, m))
        Z -= np.sum(Z * X, axis=1, keepdims=True) * X
        Z = _unit(Z)
        Xn = _unit(c[:, None] * X + s[:, None] * Z)
    else:
        Xn = X.copy()
    cosines = np.sum(X * Xn, axis=1)

    if shuffle:
        perm = rng.permutation(n)
        X, Xn, labels, cosines = X[perm], Xn[perm], labels[perm], cosines[perm]
    return SubspaceClusters(X=X, labels=labels, bases=B, X_noisy=Xn, cosines=cosines, eps=eps)
