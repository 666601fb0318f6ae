"""Attention on subspace clusters: scores, softmax layers, sharpness (Deep Fusion).

Li & Pimentel-Alarcon, "Deep Fusion", sections "One-Layer Fusion without
Noise" (Theorem 1), "Deep Fusion" (eq. 6, Definition 2, Theorem 2) and
"Appendix: Proof of Theorem 2".

* :func:`sharpness` -- Definition 2, ``S(A) = inf_{c_i = c_j, c_p != c_q} A_ij / A_pq``.
"""

from __future__ import annotations

import numpy as np

from theory._validation import check_array
from theory.subspace import check_labels

__all__ = ["sharpness", "score_log_sharpness"]


def _within_between_masks(labels: np.ndarray, include_diagonal: bool) -> tuple[np.ndarray, np.ndarray]:
    same = labels[:, None] == labels[None, :]
    within = same.copy()
    if not include_diagonal:
        np.fill_diagonal(within, False)
    return within, ~same


def _check_square_stack(A, name: str) -> np.ndarray:
    A = check_array(A, name)
    if A.ndim not in (2, 3) or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must be a square (n, n) matrix or a stack (L, n, n), got shape {A.shape}")
    return A


def sharpness(A, labels, *, include_diagonal: bool = True, log: bool = False):
    """Sharpness of an attention matrix (Definition 2).

    .. math::

        \\mathcal S(A) = \\inf_{c_i = c_j,\\; c_p \\ne c_q} \\frac{A_{ij}}{A_{pq}}
                      = \\frac{\\min_{c_i = c_j} A_{ij}}{\\max_{c_p \\ne c_q} A_{pq}}

    (the second form holds because ``A`` is non-negative).  A perfectly
    block-diagonal ``A`` has sharpness ``+inf``; ``S(A) > 1`` means every
    within-cluster weight beats every cross-cluster weight.

    Parameters
    ----------
    A : array_like, shape (n, n) or (L, n, n)
        Non-negative attention matrix (e.g. a row-softmax), or a stack of
        ``L`` of them (one per layer).
    labels : array_like of int, shape (n,)
        Cluster labels ``0..K-1`` with ``K >= 2`` (both sets of pairs must
        be non-empty).
    include_diagonal : bool, default True
        Whether the pairs ``i = j`` count as within-cluster pairs
        (Definition 2 does not exclude them; the proof of Theorem 2 bounds
        them together with the other within-cluster pairs).
    log : bool, default False
        Return ``log S(A)`` (computed as ``log min - log max``, so it does
        not overflow for very sharp matrices).

    Returns
    -------
    float or ndarray of shape (L,)
        ``S(A)`` (or its log).  Conventions: ``+inf`` when every
        cross-cluster entry is 0 and every within-cluster entry positive;
        ``0`` when some within-cluster entry is 0.

    Raises
    ------
    ValueError
        If ``A`` is not square / finite / non-negative, ``labels`` does not
        match ``A``, has an empty cluster or fewer than two clusters, or no
        within-cluster pair remains (``include_diagonal=False`` with all
        clusters singletons).

    See Also
    --------
    score_log_sharpness : the sharpness of ``exp(S)`` for a score matrix ``S``
        (the quantity the appendix proof of Theorem 2 calls ``D(S)``).
    """
    A = _check_square_stack(A, "A")
    n = A.shape[-1]
    lab, _ = check_labels(labels, n, min_clusters=2)
    if np.any(A < 0):
        raise ValueError(
            "A must be entrywise non-negative (Definition 2 is a ratio of attention weights); "
            "for a signed score matrix use score_log_sharpness"
        )
    within, between = _within_between_masks(lab, include_diagonal)
    if not within.any():
        raise ValueError("labels must leave at least one within-cluster pair (a cluster of size >= 2 when include_diagonal=False)")
    stack = A.reshape((-1, n, n))
    lo = np.min(stack[:, within], axis=1)
    hi = np.max(stack[:, between], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(lo == 0.0, -np.inf, np.log(np.where(lo > 0, lo, 1.0)) - np.log(np.where(hi > 0, hi, 1.0)))
        out = np.where((hi == 0.0) & (lo > 0.0), np.inf, out)
        if not log:
            out = np.exp(out)
    return float(out[0]) if A.ndim == 2 else out


def score_log_sharpness(S, labels, *, include_diagonal: bool = True):
    """``log D(exp S) = min_{c_i = c_j} S_ij - max_{c_p != c_q} S_pq`` for a score matrix ``S``.

    In the appendix proof of Theorem 2 the attention weights are
    ``alpha = exp(ln alpha)``, ``beta = exp(ln beta)`` with ``ln alpha`` and
    ``ln beta`` bounds on the pre-softmax scores, and the sharpness is
    ``D(S) = alpha / beta``; this function returns the exact log of that
    ratio for given scores (no row normalisation).  Works on ``(n, n)`` or
    ``(L, n, n)`` and never overflows.
    """
    S = _check_square_stack(S, "S")
    n = S.shape[-1]
    lab, _ = check_labels(labels, n, min_clusters=2)
    within, between = _within_between_masks(lab, include_diagonal)
    if not within.any():
        raise ValueError("labels must leave at least one within-cluster pair")
    stack = S.reshape((-1, n, n))
    out = np.min(stack[:, within], axis=1) - np.max(stack[:, between], axis=1)
    return float(out[0]) if S.ndim == 2 else out
