"""Batch InfoNCE of Cosentino et al., its entropy decomposition and upper bound.

Cosentino, Sengupta, Avestimehr, Soltanolkotabi, Ortega, Willke & Tepper,
"Toward a Geometrical Understanding of Self-supervised Contrastive Learning"
(arXiv 2205.06926).  Notation of the paper, with one change of convention
used throughout the package: a linear projector is ``z = W h`` with ``W`` of
shape ``(d_proj, d_enc)``.  The paper writes ``g(h) = W^T h`` with
``W in R^{d_enc x d_proj}``, so the paper's ``W`` is our ``W.T``; its
"``Ker(W)``" (the directions the projector discards) is our ``ker(W)``.

For a batch of ``N`` inputs with two views, the (unit-norm) embeddings are
``f_i^(1), f_i^(2)`` and the negatives of anchor ``i`` are the ``2(N-1)``
other views ``B_-i = {f_j^(k): j != i, k = 1, 2}`` -- *not* the positive
``f_i^(2)``, unlike NT-Xent (:mod:`theory.ntxent`).  Eq. (1):

.. math::

    \\mathcal L_{infoNCE} = -\\frac1N \\sum_i \\log
        \\frac{\\exp(\\beta f_i^{(1)T} f_i^{(2)})}
             {\\sum_{l \\in B_{-i}} \\exp(\\beta f_i^{(1)T} \\tilde f_l)} .

The two losses are related exactly by ``NT-Xent anchor loss = softplus(l_i)``
with ``tau = 1 / beta`` (see :func:`infonce_terms`).

Every function here is pure numpy in float64.  Stacked views are indexed
``0..N-1`` for view 1 and ``N..2N-1`` for view 2, as in :mod:`theory.ntxent`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from theory._validation import check_matrix, check_scalar

__all__ = [
    "EntropyDecomposition",
    "UpperBound",
    "check_views",
    "embed",
    "infonce_terms",
    "infonce",
    "infonce_symmetric",
    "entropy_decomposition",
    "nearest_negative",
    "invariance_loss",
    "repulsion_loss",
    "upper_bound",
    "reformulated_upper_bound",
    "normalize_on_projector_sphere",
]


# ----------------------------------------------------------------- helpers


def check_views(h1, h2, *, name1: str = "h1", name2: str = "h2") -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of views: finite 2-d float arrays of equal shape, ``N >= 2``."""
    h1 = check_matrix(h1, name1)
    h2 = check_matrix(h2, name2)
    if h1.shape != h2.shape:
        raise ValueError(f"{name1} and {name2} must have equal shapes (N, d), got {h1.shape} and {h2.shape}")
    if h1.shape[0] < 2:
        raise ValueError(f"batch size N must be >= 2 (the negatives B_-i are the other 2(N-1) views), got {h1.shape[0]}")
    return h1, h2


def _check_beta(beta) -> float:
    return check_scalar(beta, "beta", low=0.0, closed="neither")


def _unit_rows(z: np.ndarray, name: str) -> np.ndarray:
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    if np.any(norms == 0.0):
        raise ValueError(f"{name} has a zero row: cosine similarity is undefined for a zero embedding")
    return z / norms


def embed(h, W=None) -> np.ndarray:
    """The linear projector ``z = W h`` applied row-wise (``W=None``: identity).

    Parameters
    ----------
    h : array_like, shape (n, d_enc)
    W : array_like, shape (d_proj, d_enc), optional

    Returns
    -------
    ndarray, shape (n, d_proj)
    """
    h = check_matrix(h, "h")
    if W is None:
        return h
    W = check_matrix(W, "W", shape=(None, h.shape[1]))
    return h @ W.T


def _views(h1, h2, W, normalize: bool) -> tuple[np.ndarray, np.ndarray]:
    h1, h2 = check_views(h1, h2)
    f1, f2 = embed(h1, W), embed(h2, W)
    if normalize:
        f1, f2 = _unit_rows(f1, "f1 = W h1"), _unit_rows(f2, "f2 = W h2")
    return f1, f2


def _masked_logits(f1: np.ndarray, f2: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """``beta f_i^(1)T f~_l`` over the stacked 2N views, with ``i`` and ``N+i`` set to ``-inf``.

    Returns ``(logits (N, 2N), positive logits (N,))``.
    """
    n = f1.shape[0]
    stacked = np.concatenate([f1, f2], axis=0)
    logits = beta * (f1 @ stacked.T)
    pos = beta * np.einsum("ij,ij->i", f1, f2)
    idx = np.arange(n)
    logits[idx, idx] = -np.inf
    logits[idx, idx + n] = -np.inf
    return logits, pos


# ----------------------------------------------------------------- eq. (1)


def infonce_terms(f1, f2, beta: float, *, normalize: bool = True) -> np.ndarray:
    """Per-anchor InfoNCE losses ``l_i`` of eq. (1) (Cosentino et al.).

    .. math::

        l_i = \\log \\sum_{l \\in B_{-i}} e^{\\beta f_i^{(1)T}\\tilde f_l}
              - \\beta f_i^{(1)T} f_i^{(2)} .

    Parameters
    ----------
    f1, f2 : array_like, shape (N, d)
        Embeddings of the first and second views (row ``i`` of both from
        input ``i``), ``N >= 2``.
    beta : float
        Inverse temperature (> 0); ``beta = 1 / tau`` of NT-Xent.
    normalize : bool, default True
        Project the embeddings onto the unit sphere first (the paper's
        assumption ``||f|| = 1``).  ``False`` uses raw inner products.

    Returns
    -------
    ndarray, shape (N,)
        ``l_i``; the NT-Xent loss of the same anchor (whose denominator also
        contains the positive) is ``softplus(l_i) = log(1 + exp(l_i))``.
    """
    f1, f2 = _views(f1, f2, None, normalize)
    beta = _check_beta(beta)
    logits, pos = _masked_logits(f1, f2, beta)
    return logsumexp(logits, axis=1) - pos


def infonce(f1, f2, beta: float, *, normalize: bool = True) -> float:
    """Batch InfoNCE, eq. (1): the mean of :func:`infonce_terms` over the ``N`` anchors."""
    return float(np.mean(infonce_terms(f1, f2, beta, normalize=normalize)))


def infonce_symmetric(f1, f2, beta: float, *, normalize: bool = True) -> float:
    """Symmetrised InfoNCE ``(L(f1, f2) + L(f2, f1)) / 2``.

    Both views serve as anchors; for either, the negatives are the same
    ``2(N-1)`` views of the other inputs (Cosentino et al., below eq. (1):
    "in practice, this loss is often symmetrized").
    """
    return 0.5 * (infonce(f1, f2, beta, normalize=normalize) + infonce(f2, f1, beta, normalize=normalize))


# ---------------------------------------------------------- Prop. C.1


class EntropyDecomposition(NamedTuple):
    """Per-anchor terms of Prop. C.1: ``l_i = -similarity + weighted_negative + entropy``."""

    similarity: np.ndarray  #: beta f_i^(1)T f_i^(2), shape (N,)
    weighted_negative: np.ndarray  #: beta f_i^(1)T E_{D_-i}[f~], shape (N,)
    entropy: np.ndarray  #: H(D_-i) in nats, shape (N,)
    expected_negative: np.ndarray  #: E_{D_-i}[f~], shape (N, d)
    probabilities: np.ndarray  #: p_{D_-i}(f~_l; beta) over the stacked 2N views (0 at i, N+i), shape (N, 2N)

    @property
    def loss_terms(self) -> np.ndarray:
        """``-similarity + weighted_negative + entropy`` (equals :func:`infonce_terms`)."""
        return -self.similarity + self.weighted_negative + self.entropy


def entropy_decomposition(f1, f2, beta: float, *, normalize: bool = True) -> EntropyDecomposition:
    """Entropy decomposition of InfoNCE, Prop. C.1 (Cosentino et al., App. C-D.1).

    With the Gibbs distribution over the negatives of anchor ``i``

    .. math::

        p_{D_{-i}}(\\tilde f_l;\\beta) = \\frac{e^{\\beta f_i^{(1)T}\\tilde f_l}}
                                            {\\sum_{k \\in B_{-i}} e^{\\beta f_i^{(1)T}\\tilde f_k}},

    the per-anchor loss is exactly

    .. math::

        l_i = -\\beta f_i^{(1)T} f_i^{(2)}
              + \\beta f_i^{(1)T} \\mathbb E_{D_{-i}}[\\tilde f] + H(D_{-i}).

    The printed eq. (13) has a minus sign in front of the second term; the
    proof (D.1) gives the plus sign used here, and only the plus sign makes
    the identity hold (see ``docs/infonce_geometry.md``).

    Parameters
    ----------
    f1, f2, beta, normalize
        As in :func:`infonce_terms`.

    Returns
    -------
    EntropyDecomposition
        Each term computed from its own definition (the expected negative as
        a weighted average of vectors, the entropy as ``-sum p log p``), so
        their sum is an independent evaluation of :func:`infonce_terms`.
    """
    f1, f2 = _views(f1, f2, None, normalize)
    beta = _check_beta(beta)
    logits, pos = _masked_logits(f1, f2, beta)
    log_p = logits - logsumexp(logits, axis=1, keepdims=True)
    p = np.exp(log_p)  # exactly 0 on the masked entries
    stacked = np.concatenate([f1, f2], axis=0)
    expected = p @ stacked
    weighted = beta * np.einsum("ij,ij->i", f1, expected)
    plogp = np.where(p > 0, p * np.where(p > 0, log_p, 0.0), 0.0)
    entropy = -plogp.sum(axis=1)
    return EntropyDecomposition(pos, weighted, entropy, expected, p)


# ------------------------------------------------------- Prop. 3.1


#: cosines within this absolute distance of the largest one are ties (see :func:`nearest_negative`)
TIE_TOL = 1e-12


def nearest_negative(h1, h2, W=None, *, tie_tol: float = TIE_TOL) -> np.ndarray:
    """Index of the nearest negative ``h~*_i`` of each anchor (Prop. 3.1, Table 1).

    .. math::

        \\tilde h_i^* = \\arg\\max_{\\tilde h_l,\\, l \\in B_{-i}}
                         \\mathrm{Sim}(W h_i^{(1)}, W \\tilde h_l),

    the cosine similarity being taken in the projector's output space.

    Parameters
    ----------
    h1, h2 : array_like, shape (N, d_enc)
        Encoder outputs of the two views.
    W : array_like, shape (d_proj, d_enc), optional
        Linear projector ``z = W h`` (``None``: the identity, i.e. ``h1, h2``
        are already embeddings).

    Returns
    -------
    ndarray of int, shape (N,)
        Indices into the stacked views ``[h1; h2]`` (``l < N``: view 1 of
        input ``l``; ``l >= N``: view 2 of input ``l - N``); the input index
        is ``l % N``.

    Notes
    -----
    **Tie rule.**  Cosines are computed in floating point, so two negatives
    at the same true similarity (e.g. every cosine is ``+-1`` when
    ``d_proj = 1``, or two views are mirror images) can differ by a rounding
    step, and which one wins would depend on the BLAS and on the order of
    the sums.  Every negative whose cosine lies within ``tie_tol`` (absolute;
    cosines are in ``[-1, 1]``, default ``1e-12``, about ``4500`` ulps of 1)
    of the largest is a tie, and ties go to the smallest stacked index.
    ``tie_tol = 0`` gives the plain ``argmax`` of the computed cosines.
    """
    tie_tol = check_scalar(tie_tol, "tie_tol", low=0.0, high=1.0)
    f1, f2 = _views(h1, h2, W, normalize=True)
    logits, _ = _masked_logits(f1, f2, 1.0)
    return _nearest_from_logits(logits, tie_tol)


def _nearest_from_logits(logits: np.ndarray, tie_tol: float = TIE_TOL) -> np.ndarray:
    """Row-wise argmax with the tie rule of :func:`nearest_negative` (smallest index within ``tie_tol``)."""
    best = logits.max(axis=1, keepdims=True)
    return np.argmax(logits >= best - tie_tol, axis=1)


def _stack(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    return np.concatenate([h1, h2], axis=0)


def _cos_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", _unit_rows(a, "W h"), _unit_rows(b, "W h"))


def invariance_loss(h1, h2, W=None) -> float:
    """``L_invariance`` of eq. (4): ``-(1/N) sum_i Sim(W h_i^(1), W h_i^(2))``.

    Its minimum value is ``-1``.  Raises if some ``W h`` is zero (the cosine
    is then undefined).
    """
    f1, f2 = _views(h1, h2, W, normalize=False)
    return float(-np.mean(_cos_rows(f1, f2)))


def repulsion_loss(h1, h2, W=None) -> float:
    """``L_repulsion`` of eq. (5): ``(1/N) sum_i Sim(W h_i^(1), W h~*_i)``, ``h~*_i`` from :func:`nearest_negative`."""
    f1, f2 = _views(h1, h2, W, normalize=True)
    logits, _ = _masked_logits(f1, f2, 1.0)
    return float(np.mean(np.max(logits, axis=1)))


class UpperBound(NamedTuple):
    """The bound of Prop. 3.1 and its parts."""

    upper: float  #: L_upper = beta L_invariance + beta L_repulsion + log(2(N-1)), eq. (3)
    invariance: float  #: L_invariance, eq. (4)
    repulsion: float  #: L_repulsion, eq. (5)
    log_term: float  #: log(2(N-1)) = log |B_-i|
    beta: float  #: the inverse temperature
    nearest: np.ndarray  #: indices of h~*_i into [h1; h2], shape (N,)

    @property
    def lower(self) -> float:
        """``beta (L_invariance + L_repulsion) = upper - log(2(N-1))``: a lower bound on InfoNCE.

        InfoNCE is sandwiched, ``lower <= InfoNCE <= upper``, because
        ``beta max_l s_l <= log sum_l exp(beta s_l) <= beta max_l s_l + log |B_-i|``.
        """
        return self.upper - self.log_term


def upper_bound(h1, h2, beta: float, W=None) -> UpperBound:
    """Interpretable InfoNCE upper bound of Prop. 3.1 (Cosentino et al., eq. (3)).

    .. math::

        \\mathcal L_{infoNCE} \\le \\mathcal L_{Upper}
        = \\beta\\,\\mathcal L_{invariance} + \\beta\\,\\mathcal L_{repulsion} + \\log(2(N-1)).

    The bound holds for any embeddings (``W=None``), not only a linear
    projector: it is ``log sum_{l in B_-i} e^{beta s_l} <= beta max_l s_l +
    log(2(N-1))``.  The gap ``L_upper - InfoNCE`` lies in ``[0, log(2(N-1))]``;
    it tends to ``0`` as ``beta -> 0`` and to ``log(2(N-1))`` (not to ``0``) as
    ``beta -> inf`` when each nearest negative is unique, in which case
    ``InfoNCE - (L_upper - log(2(N-1)))`` decays like
    ``(1/N) sum_i log(1 + sum_{l != *} exp(-beta Delta_il))`` with ``Delta_il``
    the similarity gaps to the nearest negative.

    Parameters
    ----------
    h1, h2 : array_like, shape (N, d_enc)
        Encoder outputs of the two views (or embeddings when ``W`` is None).
    beta : float
        Inverse temperature (> 0).
    W : array_like, shape (d_proj, d_enc), optional
        Linear projector ``z = W h``.

    Returns
    -------
    UpperBound
    """
    f1, f2 = _views(h1, h2, W, normalize=True)
    beta = _check_beta(beta)
    n = f1.shape[0]
    logits, _ = _masked_logits(f1, f2, 1.0)
    nearest = _nearest_from_logits(logits)
    inv = float(-np.mean(np.einsum("ij,ij->i", f1, f2)))
    rep = float(np.mean(logits[np.arange(n), nearest]))
    log_term = float(np.log(2.0 * (n - 1)))
    return UpperBound(beta * inv + beta * rep + log_term, inv, rep, log_term, beta, nearest)


# ----------------------------------------------------------- eq. (8)


def normalize_on_projector_sphere(h, W) -> np.ndarray:
    """Rescale each row ``h_i`` to ``h_i / ||W h_i||`` so that ``||W h_i|| = 1``.

    Cosine similarities in the projector space are unchanged; this is the
    normalisation under which eq. (8) equals eq. (3).
    """
    h = check_matrix(h, "h")
    z = embed(h, W)
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    if np.any(norms == 0.0):
        raise ValueError("W h has a zero row: h lies in ker(W) and cannot be normalised on the projector sphere")
    return h / norms


def reformulated_upper_bound(h1, h2, beta: float, W) -> float:
    """The reformulation eq. (8) of the upper bound (Cosentino et al., Sec. 5).

    .. math::

        \\frac1N \\sum_i -\\beta\\, \\delta h_i^T \\mathrm{Proj}(h_i^{(1)}) + \\log(2(N-1)),
        \\qquad \\delta h_i = h_i^{(2)} - \\tilde h_i^*,\\quad
        \\mathrm{Proj}(h) = W^T W h

    (``W W^T h`` in the paper's transposed convention, eq. (9)).  Computed
    literally, without normalisation; it equals :func:`upper_bound` exactly
    when ``||W h|| = 1`` for every view (apply
    :func:`normalize_on_projector_sphere` first), which is the assumption the
    paper states.  ``Proj`` is an orthogonal projection only when ``W`` has
    orthonormal rows.
    """
    h1, h2 = check_views(h1, h2)
    W = check_matrix(W, "W", shape=(None, h1.shape[1]))
    beta = _check_beta(beta)
    n = h1.shape[0]
    nearest = nearest_negative(h1, h2, W)
    delta = h2 - _stack(h1, h2)[nearest]
    proj = (h1 @ W.T) @ W
    return float(np.mean(-beta * np.einsum("ij,ij->i", delta, proj)) + np.log(2.0 * (n - 1)))
