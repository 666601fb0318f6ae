"""Evaluation of SimCLR features and of attention maps.

Li & Pimentel-Alarcón, "Metrics" (Experiment section):

* **unsupervised accuracy** (:func:`nearest_neighbour_accuracy`) — the label
  agreement of every test feature with its nearest neighbour (Euclidean)
  among the *other* test features;
* **supervised accuracy** (:func:`linear_probe_accuracy`) — top-1 test
  accuracy of a linear softmax classifier trained on 10% of the frozen
  training features.

Song et al. (SparseHead), Table 1, also report a **k-NN classifier**
(:func:`knn_accuracy`, ``k = 5``: the test features vote with their ``k``
nearest training features); their Table 2 (fine-tuning on 1% / 10% of the
labels) is :func:`theory.semi_supervised.fine_tune_accuracy`, which draws
its labelled subset with :func:`stratified_subset`.

Both are computed on the backbone features ``h`` (the paper's protocol) and,
to show the before/after-projector gap, on the head's outputs ``z``
(:func:`embed`).

Attention maps (Deep Fusion section, Table 1) are scored by

* :func:`in_class_attention_mass` — mean over rows of the attention on
  same-class columns, against its chance level (the mass a uniform
  attention row would put there);
* :func:`block_diagonality` — the correlation between the attention
  weights and the same-class indicator (0 for attention that ignores the
  classes, 1 for attention that is constant on the class blocks and 0
  off them);
* the sharpness of Def. 2 lives in :func:`theory.attention.sharpness`.

All functions take arrays with arbitrary leading axes for the maps
(``(..., L, L)``, e.g. ``(n_layers, n_heads, L, L)``) and are pure numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theory._validation import check_array, check_int, check_random_state, check_scalar

__all__ = [
    "embed",
    "sort_by_label",
    "nearest_neighbour_accuracy",
    "linear_probe_accuracy",
    "knn_accuracy",
    "stratified_subset",
    "in_class_attention_mass",
    "block_diagonality",
]


# ------------------------------------------------------------------ features


def embed(model, X: Any, *, part: str = "backbone", batch_size: int = 512, device=None) -> np.ndarray:
    """Frozen features of ``X``: backbone ``h = f(x)`` or head output ``z = g(f(x))``.

    ``X`` is processed in consecutive chunks of ``batch_size`` in the given
    order, in eval mode without gradients.  For ``part="head"`` with a
    transformer head each chunk is ONE sequence, so ``z`` depends on the
    chunk a sample lands in (attention runs across the samples); use the
    training batch size and a shuffled order to match training conditions.
    A last chunk shorter than ``batch_size`` is processed as it is.
    """
    import torch

    if part not in ("backbone", "head"):
        raise ValueError(f"part must be 'backbone' or 'head', got {part!r}")
    batch_size = check_int(batch_size, "batch_size", low=1)
    if device is None:
        device = next(model.parameters()).device
    Xt = X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X), dtype=torch.float32)
    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, Xt.shape[0], batch_size):
            x = Xt[i : i + batch_size].to(device)
            out.append((model.features(x) if part == "backbone" else model(x)).cpu().double().numpy())
    model.train(was_training)
    return np.concatenate(out, axis=0)


def sort_by_label(labels: Any) -> np.ndarray:
    """Stable permutation that groups the samples by label (as in the paper's Table 1 maps)."""
    return np.argsort(np.asarray(labels), kind="stable")


def _labels(labels: Any, n: int, name: str = "labels") -> np.ndarray:
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must be a 1-d array of length {n}, got shape {y.shape}")
    return y


def nearest_neighbour_accuracy(features: Any, labels: Any, *, chunk: int = 1024) -> float:
    """The paper's "unsupervised accuracy": leave-one-out 1-NN label agreement (Euclidean).

    For every sample, the nearest *other* sample of the same set (smallest
    Euclidean distance) is found and the fraction of samples whose
    neighbour has the same label is returned.

    Tie rule: squared distances are computed in the expanded form
    ``|x|^2 + |y|^2 - 2 x.y``, whose rounding error is about
    ``eps (|x|^2 + |y|^2)``; candidates within ``1e-9 (|x|^2 + max_y |y|^2)``
    of the smallest are ties, and ties go to the lower index (so equal true
    distances give the same answer on every BLAS).

    Parameters
    ----------
    features : array_like, shape (n, d), n >= 2
    labels : array_like, shape (n,)
    """
    F_ = check_array(features, "features", ndim=2)
    n = F_.shape[0]
    if n < 2:
        raise ValueError(f"features must have at least 2 rows, got {n}")
    y = _labels(labels, n)
    chunk = check_int(chunk, "chunk", low=1)
    sq = np.einsum("ij,ij->i", F_, F_)
    nearest = np.empty(n, dtype=np.int64)
    for s in range(0, n, chunk):
        block = F_[s : s + chunk]
        d2 = sq[s : s + chunk, None] + sq[None, :] - 2.0 * block @ F_.T
        rows = np.arange(block.shape[0])
        d2[rows, s + rows] = np.inf
        tol = 1e-9 * (sq[s : s + chunk] + sq.max())[:, None]
        nearest[s : s + chunk] = np.argmax(d2 <= d2.min(axis=1, keepdims=True) + tol, axis=1)
    return float(np.mean(y[nearest] == y))


def linear_probe_accuracy(
    train_features: Any,
    train_labels: Any,
    test_features: Any,
    test_labels: Any,
    *,
    fraction: float = 0.1,
    seed=None,
    C: float = 1.0,
    max_iter: int = 2000,
) -> float:
    """The paper's "supervised accuracy": linear softmax probe on ``fraction`` of the frozen train features.

    A stratified subset of ``fraction`` of the training features (at least
    one per class) is standardised with its own mean and standard deviation
    and fits a multinomial logistic regression (softmax on one linear layer,
    L2 penalty ``1 / C``, L-BFGS); the top-1 accuracy on the test features is
    returned.
    """
    from sklearn.linear_model import LogisticRegression

    Xtr = check_array(train_features, "train_features", ndim=2)
    Xte = check_array(test_features, "test_features", ndim=2, shape=(None, Xtr.shape[1]))
    ytr = _labels(train_labels, Xtr.shape[0], "train_labels")
    yte = _labels(test_labels, Xte.shape[0], "test_labels")
    fraction = check_scalar(fraction, "fraction", low=0.0, high=1.0, closed="right")
    C = check_scalar(C, "C", low=0.0, closed="neither")
    rng = check_random_state(seed)
    if np.unique(ytr).size < 2:
        raise ValueError("train_labels must contain at least 2 classes")
    idx = stratified_subset(ytr, fraction, rng)
    Xs = Xtr[idx]
    mean, std = Xs.mean(axis=0), Xs.std(axis=0)
    std[std == 0] = 1.0
    clf = LogisticRegression(C=C, max_iter=check_int(max_iter, "max_iter", low=1))
    clf.fit((Xs - mean) / std, ytr[idx])
    return float(np.mean(clf.predict((Xte - mean) / std) == yte))


def stratified_subset(labels: Any, fraction: float, seed=None) -> np.ndarray:
    """Sorted indices of a stratified random subset: ``max(1, round(fraction * n_c))`` of each class ``c``.

    Every class keeps at least one member, so ``fraction = 0.01`` of a class
    of 50 still gives one labelled example (Song et al., Table 2's 1% split).

    Parameters
    ----------
    labels : array_like of int, shape (n,)
    fraction : float in (0, 1]
    seed : None, int or numpy Generator
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"labels must be a non-empty 1-d array, got shape {y.shape}")
    fraction = check_scalar(fraction, "fraction", low=0.0, high=1.0, closed="right")
    rng = check_random_state(seed)
    idx = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        k = max(1, int(round(fraction * members.size)))
        idx.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(idx))


def knn_accuracy(
    train_features: Any, train_labels: Any, test_features: Any, test_labels: Any, *, k: int = 5, chunk: int = 256
) -> float:
    """Top-1 accuracy of the k-nearest-neighbour classifier (Euclidean, majority vote; Song et al., Table 1).

    Each test feature takes the most frequent label among its ``k`` nearest
    training features.  Distances are summed squared differences computed
    element by element (no matrix product, so equal distances are equal in
    every rounding); ties in distance go to the lower training index, ties
    in the vote to the smallest label.

    Parameters
    ----------
    train_features : array_like, shape (n, d)
    train_labels : array_like of int, shape (n,)
    test_features : array_like, shape (m, d)
    test_labels : array_like of int, shape (m,)
    k : int in [1, n], default 5
        The paper's value.
    chunk : int, default 256
        Test rows per block (memory ``chunk * n * d`` floats).
    """
    Xtr = check_array(train_features, "train_features", ndim=2)
    Xte = check_array(test_features, "test_features", ndim=2, shape=(None, Xtr.shape[1]))
    ytr = _labels(train_labels, Xtr.shape[0], "train_labels")
    yte = _labels(test_labels, Xte.shape[0], "test_labels")
    k = check_int(k, "k", low=1, high=Xtr.shape[0])
    chunk = check_int(chunk, "chunk", low=1)
    classes, codes = np.unique(ytr, return_inverse=True)
    pred = np.empty(Xte.shape[0], dtype=ytr.dtype)
    for s in range(0, Xte.shape[0], chunk):
        d2 = ((Xte[s : s + chunk, None, :] - Xtr[None, :, :]) ** 2).sum(axis=2)
        nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
        votes = np.zeros((d2.shape[0], classes.size), dtype=np.int64)
        np.add.at(votes, (np.arange(d2.shape[0])[:, None], codes[nearest]), 1)
        pred[s : s + chunk] = classes[np.argmax(votes, axis=1)]  # argmax: the first (smallest) label of a tie
    return float(np.mean(pred == yte))


# ----------------------------------------------------------------- attention


def _check_maps(A: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    A = check_array(A, "A")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"A must have shape (..., L, L), got {A.shape}")
    return A, _labels(labels, A.shape[-1])


def in_class_attention_mass(A: Any, labels: Any, *, exclude_self: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Mean attention on same-class columns, and its chance level.

    For a row-stochastic ``A`` (each row an attention distribution) and row
    ``i`` of class ``y_i``:

    * ``exclude_self=True`` (default): the diagonal is removed and the row
      renormalised, ``m_i = sum_{j != i, y_j = y_i} A_ij / sum_{j != i} A_ij``,
      with chance ``c_i = (n_{y_i} - 1) / (L - 1)``.  Self-attention is
      in-class by definition, so counting it would reward a head that only
      looks at itself.
    * ``exclude_self=False``: ``m_i = sum_{j: y_j = y_i} A_ij``, chance
      ``c_i = n_{y_i} / L``.

    Returns ``(mass, chance)``, the means over rows, with the leading shape
    of ``A``.  ``chance`` is what a uniform row (or one that ignores the
    labels) gets.
    """
    A, y = _check_maps(A, labels)
    L = A.shape[-1]
    same = (y[:, None] == y[None, :]).astype(float)
    if exclude_self:
        if L < 2:
            raise ValueError("A must be at least 2 x 2 when exclude_self=True")
        off = 1.0 - np.eye(L)
        num = (A * same * off).sum(-1)
        den = (A * off).sum(-1)
        mass = np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)
        chance = (same.sum(1) - 1.0) / (L - 1)
    else:
        rows = A.sum(-1)
        mass = np.divide((A * same).sum(-1), rows, out=np.full_like(rows, np.nan), where=rows > 0)
        chance = same.sum(1) / L
    valid = ~np.isnan(mass)
    count = valid.sum(-1)
    total = np.where(valid, mass, 0.0).sum(-1)
    mean = np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)
    return mean, np.broadcast_to(chance.mean(), mean.shape).copy()


def block_diagonality(A: Any, labels: Any) -> np.ndarray:
    """Pearson correlation between the off-diagonal attention weights and the same-class indicator.

    ``1`` for a map that takes one value on the off-diagonal class blocks
    and a smaller one outside them (e.g. exact blocks of equal size), ``0``
    in expectation for a map whose weights do not depend on the classes,
    negative when attention prefers other classes.  Unlike the sharpness of
    Def. 2 (a ratio of extremes) it scores the bulk of the map, so it stays
    informative for diffuse softmax attention.  ``NaN`` for a constant map
    (no variation) or a single-class batch.  Returned with the leading shape
    of ``A``.
    """
    A, y = _check_maps(A, labels)
    L = A.shape[-1]
    mask = ~np.eye(L, dtype=bool)
    s = (y[:, None] == y[None, :])[mask].astype(float)
    a = A[..., mask]  # (..., L(L-1))
    s_c = s - s.mean()
    a_c = a - a.mean(axis=-1, keepdims=True)
    num = (a_c * s_c).sum(-1)
    var_a = (a_c**2).sum(-1)
    # a map that is constant up to rounding has no variation to correlate
    tiny = 64.0 * a.shape[-1] * (np.finfo(float).eps * np.abs(a).max(axis=-1)) ** 2
    den = np.sqrt(var_a * (s_c**2).sum())
    ok = (var_a > tiny) & (den > 0)
    return np.divide(num, den, out=np.full_like(num, np.nan), where=ok)
