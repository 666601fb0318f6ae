"""Attention on subspace clusters: scores, softmax layers, sharpness (Deep Fusion).

Li & Pimentel-Alarcon, "Deep Fusion", sections "One-Layer Fusion without
Noise" (Theorem 1), "Deep Fusion" (eq. 6, Definition 2, Theorem 2) and
"Appendix: Proof of Theorem 2".

* :func:`attention_scores` -- ``(X W^Q)(X W^K)^T`` (Theorem 1's ``A``).
* :func:`fusion_weights` -- the Theorem 1 construction ``W*``: column ``w_j``
  is a unit vector orthogonal to every subspace except that of ``x_j``.
* :func:`attention_layers` -- softmax attention stacked ``L`` deep (value =
  identity, optional residual, optional row re-normalisation), returning
  every layer's scores and attention matrix.
* :func:`sharpness` -- Definition 2, ``S(A) = inf_{c_i = c_j, c_p != c_q} A_ij / A_pq``.
* :func:`noise_delta`, :func:`noise_Delta` -- the two bounds after eq. (6).
* :func:`theorem2_gain` -- the per-layer gain of Theorem 2, both the explicit
  expression at the end of the appendix proof and its claimed rate
  ``(1/n) exp(n (delta^2 - Delta^2) + delta)``.
* :func:`corrected_score_gap` and :func:`corrected_fusion_bound` -- the
  corrected (provable) versions, see ``docs/deep_fusion.md``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theory._validation import check_array, check_int, check_matrix, check_scalar
from theory.subspace import check_labels, check_unit_rows

__all__ = [
    "attention_scores",
    "softmax_rows",
    "fusion_weights",
    "FusionTrace",
    "attention_layers",
    "sharpness",
    "score_log_sharpness",
    "noise_delta",
    "noise_Delta",
    "theorem2_gain",
    "corrected_score_gap",
    "corrected_fusion_bound",
    "projection_bounds",
]


# ---------------------------------------------------------------- attention


def attention_scores(X, Wq, Wk=None, *, scale: float = 1.0) -> np.ndarray:
    """Attention scores ``A = scale * (X W^Q)(X W^K)^T`` (Theorem 1; no softmax).

    Parameters
    ----------
    X : array_like, shape (n, m)
    Wq : array_like, shape (m, p)
    Wk : array_like, shape (m, p), optional
        Defaults to ``Wq`` (the construction uses ``W^Q = W^K = W*``).
    scale : float, default 1
        Multiplies the scores (``1 / sqrt(d_k)`` in a standard transformer;
        the theorems use 1).

    Returns
    -------
    ndarray, shape (n, n)
    """
    X = check_matrix(X, "X")
    Wq = check_matrix(Wq, "Wq", shape=(X.shape[1], None))
    Wk = Wq if Wk is None else check_matrix(Wk, "Wk", shape=(X.shape[1], Wq.shape[1]))
    scale = check_scalar(scale, "scale", low=0.0, closed="neither")
    return scale * (X @ Wq) @ (X @ Wk).T


def softmax_rows(S: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for any finite scores."""
    Z = S - S.max(axis=-1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=-1, keepdims=True)


def fusion_weights(X, labels, *, direction: str = "integrity", bases=None, rank: int | None = None) -> np.ndarray:
    """The Theorem 1 construction ``W*`` (``m x n``).

    Column ``w_j`` is the same unit vector ``w_{c_j}`` for every ``j`` of a
    cluster; ``w_c`` lies in ``V_c = (sum_{l != c} U_l)^perp`` (orthogonal to
    every subspace except ``U_c``) so ``x_i^T w_j = 0`` whenever
    ``c_i != c_j``.  Within ``V_c`` the direction is

    * ``"integrity"`` (default): the maximiser of ``min_{c_i = c} x_i^T w``
      (the signed generalised integrity, one SOCP, see
      :func:`theory.integrity.cluster_integrity` with ``kind="all",
      signed=True``); if that is not positive (the cluster is not in an open
      half of its subspace) the maximiser of ``min |x_i^T w|`` is used,
      oriented so that most points have ``x_i^T w > 0``;
    * ``"mean"``: the normalised projection of the cluster mean onto ``V_c``
      (no solver; positive on every point only for tight clusters; the top
      singular direction of the projected cluster if the mean cancels).

    The proof's bounds need ``||w_j|| = 1``: without a normalisation the
    statement of Theorem 1 is scale-free (multiply ``W`` by ``t`` and every
    entry of ``A`` by ``t^2``).

    Parameters
    ----------
    X : array_like, shape (n, m)
        Clean unit rows (used to find the subspaces).
    labels : array_like of int, shape (n,)
    direction : {"integrity", "mean"}
    bases, rank :
        Subspace bases (``K`` arrays ``(m, r_k)``) or truncation rank; default
        the numerical span of each cluster.

    Returns
    -------
    ndarray, shape (m, n)
    """
    from theory.integrity import cluster_integrity, integrity_problems

    X = check_unit_rows(X, "X")
    lab, K = check_labels(labels, X.shape[0], min_clusters=2)
    if direction not in ("integrity", "mean"):
        raise ValueError(f"direction must be 'integrity' or 'mean', got {direction!r}")
    m = X.shape[1]
    Wc = np.zeros((K, m))
    if direction == "mean":
        for k, (V, idx) in enumerate(integrity_problems(X, lab, "all", bases=bases, rank=rank)):
            Y = X[idx] @ V
            v = Y.mean(axis=0)
            top = float(np.linalg.norm(Y, axis=1).max()) if Y.size else 0.0
            if top == 0.0:
                continue  # the cluster lies in the other subspaces' span: no admissible direction
            if np.linalg.norm(v) <= 1e-8 * top:  # the projected mean cancels: top singular direction
                v = np.linalg.svd(Y, full_matrices=False)[2][0]
                if np.sum(np.sign(Y @ v)) < 0:
                    v = -v
            Wc[k] = V @ (v / np.linalg.norm(v))
    else:
        res = cluster_integrity(X, lab, "convex", kind="all", signed=True, bases=bases, rank=rank)
        Wc = res.directions.copy()
        bad = res.rho_k_lower <= 1e-12
        if np.any(bad):
            ab = cluster_integrity(X, lab, "convex", kind="all", signed=False, bounds=False, bases=bases, rank=rank)
            for k in np.flatnonzero(bad):
                w = ab.directions[k]
                if np.sum(np.sign(X[lab == k] @ w)) < 0:
                    w = -w
                Wc[k] = w
    return Wc[lab].T


class FusionTrace(NamedTuple):
    """Every layer of :func:`attention_layers`."""

    scores: np.ndarray  #: pre-softmax scores S^l, shape (L, n, n)
    attention: np.ndarray  #: row-softmax attention A^l, shape (L, n, n)
    X: np.ndarray  #: layer inputs X^0..X^L, shape (L + 1, n, m)


def attention_layers(
    X,
    W,
    L: int,
    *,
    Wk=None,
    residual: bool = False,
    renormalize: bool = True,
    scale: float = 1.0,
) -> FusionTrace:
    """Softmax attention stacked ``L`` deep with value = identity.

    Layer ``l`` (``l = 0..L-1``)::

        S^l = scale * (X^l W^Q)(X^l W^K)^T,   A^l = softmax_rows(S^l),
        Y   = A^l X^l            (+ X^l if residual),
        X^{l+1} = Y / ||Y||_row  (if renormalize; the proof says the softmax
                                  normalisation "can be eliminated by the
                                  subsequent feed-forward layer").

    Parameters
    ----------
    X : array_like, shape (n, m)
        Layer-0 input (e.g. the noisy rows ``X~``).
    W : array_like, shape (m, p) or (L, m, p)
        ``W^Q`` (one for all layers, or one per layer).
    L : int
        Number of layers (>= 1).
    Wk : array_like, optional
        ``W^K`` (same shape as ``W``); defaults to ``W``.
    residual, renormalize : bool
    scale : float

    Returns
    -------
    FusionTrace
        ``scores`` and ``attention`` of shape ``(L, n, n)`` and the inputs
        ``X`` of every layer, shape ``(L + 1, n, m)``.
    """
    X = check_matrix(X, "X")
    L = check_int(L, "L", low=1)
    n, m = X.shape
    W = check_array(W, "W")
    if W.ndim == 2:
        W = np.broadcast_to(W, (L,) + W.shape)
    if W.ndim != 3 or W.shape[0] != L or W.shape[1] != m:
        raise ValueError(f"W must have shape (m={m}, p) or (L={L}, m={m}, p), got {W.shape}")
    if Wk is None:
        Wk = W
    else:
        Wk = check_array(Wk, "Wk")
        if Wk.ndim == 2:
            Wk = np.broadcast_to(Wk, (L,) + Wk.shape)
        if Wk.shape != W.shape:
            raise ValueError(f"Wk must have the shape of W {W.shape}, got {Wk.shape}")
    scale = check_scalar(scale, "scale", low=0.0, closed="neither")
    scores = np.empty((L, n, n))
    attn = np.empty((L, n, n))
    xs = np.empty((L + 1, n, m))
    xs[0] = X
    for layer in range(L):
        Xl = xs[layer]
        S = scale * (Xl @ W[layer]) @ (Xl @ Wk[layer]).T
        A = softmax_rows(S)
        Y = A @ Xl
        if residual:
            Y = Y + Xl
        if renormalize:
            nrm = np.linalg.norm(Y, axis=1, keepdims=True)
            Y = Y / np.where(nrm > 0, nrm, 1.0)
        scores[layer], attn[layer], xs[layer + 1] = S, A, Y
    return FusionTrace(scores=scores, attention=attn, X=xs)


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


# ------------------------------------------------------------ noise (eq. 6)


def noise_delta(eps):
    """``delta = sqrt(1 - (1 - eps)^2)`` (first bound after eq. 6).

    For unit ``x~_i`` with ``x_i^T x~_i >= 1 - eps`` and unit ``u`` orthogonal
    to the subspace of ``x_i``: ``|x~_i^T u| <= delta``.  ``eps`` in ``[0, 1)``
    (scalar or array).
    """
    e = np.asarray(eps, dtype=np.float64)
    if e.ndim == 0:
        check_scalar(float(e), "eps", low=0.0, high=1.0, closed="left")
    elif not np.all((e >= 0) & (e < 1)):
        raise ValueError("eps must be in [0, 1)")
    out = np.sqrt(1.0 - (1.0 - e) ** 2)
    return float(out) if out.ndim == 0 else out


def noise_Delta(eps, rho):
    """``Delta = (1 - eps) rho - sqrt(1 - (1 - eps)^2) sqrt(1 - rho^2)`` (second bound after eq. 6).

    For unit ``x~_i`` with ``x_i^T x~_i >= 1 - eps`` and unit ``u`` with
    ``x_i^T u >= rho`` (signed): ``x~_i^T u >= Delta`` (the minimum of
    ``cos(theta_eps + theta_rho)``).  Negative when the noise angle exceeds
    the integrity angle, i.e. ``Delta > 0  <=>  1 - eps > sqrt(1 - rho^2)``.
    """
    r = np.asarray(rho, dtype=np.float64)
    if r.ndim == 0:
        check_scalar(float(r), "rho", low=0.0, high=1.0)
    elif not np.all((r >= 0) & (r <= 1)):
        raise ValueError("rho must be in [0, 1]")
    d = np.asarray(noise_delta(eps))
    out = (1.0 - np.asarray(eps, dtype=np.float64)) * r - d * np.sqrt(1.0 - r**2)
    return float(out) if out.ndim == 0 else out


def _logaddexp_signed(la, sa, lb, sb):
    """log|sa e^la + sb e^lb| and its sign (sa, sb in {-1, 0, +1})."""
    if sa == 0:
        return lb, sb
    if sb == 0:
        return la, sa
    if sa == sb:
        return float(np.logaddexp(la, lb)), sa
    hi, lo_, s_hi = (la, lb, sa) if la >= lb else (lb, la, sb)
    if hi == lo_:
        return -np.inf, 0
    return float(hi + np.log1p(-np.exp(lo_ - hi))), s_hi


def theorem2_gain(delta: float, Delta: float, n: int, *, form: str = "explicit", log: bool = False) -> float:
    """The per-layer sharpness gain claimed by Theorem 2.

    ``form="rate"``: the theorem's statement ``(1/n) exp(n (delta^2 - Delta^2) + delta)``.

    ``form="explicit"``: the last explicit bound of the appendix proof,
    with its constants::

        (Delta e^{Delta^2} - n e^{n(delta + delta^2)})^2 e^{delta + n delta^2 - n Delta^2}
        ---------------------------------------------------------------------------------
        n^2 (delta e^{n Delta^2} + e^{n(delta+delta^2)}) + n^3 (delta e^{n Delta^2} + e^{n(delta+delta^2)})^2

    Evaluated in log space (no overflow for large ``n``).  Note the proof
    squares the lower bound ``Delta e^{Delta^2} - n e^{n(...)}``, which is
    negative for every ``n >= 3``; see ``docs/deep_fusion.md``.

    Parameters
    ----------
    delta : float in [0, 1]
    Delta : float in [-1, 1]
    n : int >= 1
    form : {"explicit", "rate"}
    log : bool
        Return the natural log of the gain.
    """
    delta = check_scalar(delta, "delta", low=0.0, high=1.0)
    Delta = check_scalar(Delta, "Delta", low=-1.0, high=1.0)
    n = check_int(n, "n", low=1)
    if form not in ("explicit", "rate"):
        raise ValueError(f"form must be 'explicit' or 'rate', got {form!r}")
    ln = np.log(n)
    if form == "rate":
        out = -ln + n * (delta**2 - Delta**2) + delta
    else:
        # a = Delta e^{Delta^2}, b = n e^{n(delta + delta^2)};  num = (a - b)^2 e^{...}
        la = np.log(abs(Delta)) + Delta**2 if Delta != 0 else -np.inf
        lb = ln + n * (delta + delta**2)
        ldiff, sdiff = _logaddexp_signed(la, int(np.sign(Delta)), lb, -1)
        lnum = 2 * ldiff + delta + n * delta**2 - n * Delta**2
        # T = delta e^{n Delta^2} + e^{n(delta + delta^2)}
        lT = float(np.logaddexp(np.log(delta) + n * Delta**2, n * (delta + delta**2))) if delta > 0 else n * (delta + delta**2)
        lden = float(np.logaddexp(2 * ln + lT, 3 * ln + 2 * lT))
        out = lnum - lden if sdiff != 0 else -np.inf
    out = float(out)
    return out if log else float(np.exp(out)) if out < 700 else np.inf


# --------------------------------------------------------- corrected bounds


def corrected_score_gap(delta: float, Delta: float, sizes, *, scale: float = 1.0) -> float:
    """Provable lower bound on ``min_{within} S_ij - max_{across} S_pq`` for the construction.

    With unit columns ``w_j = w_{c_j}``, ``S = scale (X~ W)(X~ W)^T`` and
    ``S_ij = scale * sum_c nu_c (x~_i^T w_c)(x~_j^T w_c)``.  If every
    ``x~_i^T w_{c_i} >= Delta > 0`` and every ``|x~_i^T w_c| <= delta``
    (``c != c_i``), then (corrected eq. 7, which in the paper omits the
    negative cross terms, and eq. 8, which is right)::

        S_ij >= scale (nu_c Delta^2 - (n - nu_c) delta^2)           (c_i = c_j = c)
        S_pq <= scale ((nu_a + nu_b) delta + (n - nu_a - nu_b) delta^2)   (c_p = a != b = c_q)

    and the returned gap is the difference of the worst cases; it is the
    log of a lower bound on the proof's sharpness ``D(exp S)``
    (:func:`score_log_sharpness`).

    Parameters
    ----------
    delta, Delta : float
        Bounds on the cross and own projections (e.g. :func:`noise_delta`
        and :func:`noise_Delta` with the signed generalised integrity).
    sizes : array_like of int, shape (K,)
        Cluster sizes ``nu_c``, ``K >= 2``.
    scale : float
    """
    delta = check_scalar(delta, "delta", low=0.0, high=1.0)
    Delta = check_scalar(Delta, "Delta", low=-1.0, high=1.0)
    nu = np.asarray(sizes)
    if nu.ndim != 1 or nu.size < 2 or nu.dtype.kind not in "iu" or np.any(nu < 1):
        raise ValueError(f"sizes must be >= 2 positive integers (cluster sizes), got {sizes!r}")
    n = int(nu.sum())
    # no sign information when Delta <= 0: each term nu_c (x~_i^T w_c)(x~_j^T w_c) >= -nu_c
    within = nu * Delta**2 - (n - nu) * delta**2 if Delta > 0 else np.full(nu.shape, -float(n))
    pair = nu[:, None] + nu[None, :]
    across = pair * delta + (n - pair) * delta**2
    np.fill_diagonal(across, -np.inf)
    return float(scale * (within.min() - across.max()))


def corrected_fusion_bound(delta0: float, Delta0: float, sizes, L: int, *, scale: float = 1.0) -> np.ndarray:
    """Provable per-layer lower bounds on the score gap of the construction (no residual, row re-normalised).

    Iterates, for ``l = 0..L-1`` (see ``docs/deep_fusion.md`` for the
    derivation)::

        g_l     = corrected_score_gap(delta_l, Delta_l, sizes)
        q_l     = max_c 1 / (1 + nu_c e^{g_l} / (n - nu_c))       (cross-cluster softmax mass)
        Delta_{l+1} = (1 - q_l) Delta_l - q_l delta_l              (own projection; ||y|| <= 1)
        delta_{l+1} = ((1 - q_l) delta_l + q_l) / Delta_{l+1}      (cross projection over ||y|| >= Delta_{l+1})

    valid while ``Delta_l > 0``; afterwards the bound is ``-inf``
    (vacuous).  Returns the array ``g_0..g_{L-1}``: a lower bound on
    ``score_log_sharpness`` of layer ``l``.
    """
    L = check_int(L, "L", low=1)
    nu = np.asarray(sizes)
    if nu.ndim != 1 or nu.size < 2 or nu.dtype.kind not in "iu" or np.any(nu < 1):
        raise ValueError(f"sizes must be >= 2 positive integers (cluster sizes), got {sizes!r}")
    n = int(nu.sum())
    d, D = check_scalar(delta0, "delta0", low=0.0, high=1.0), check_scalar(Delta0, "Delta0", low=-1.0, high=1.0)
    out = np.full(L, -np.inf)
    for layer in range(L):
        if not (D > 0 and d <= 1):
            break
        g = corrected_score_gap(min(d, 1.0), D, nu, scale=scale)
        out[layer] = g
        with np.errstate(over="ignore"):
            q = float(np.max(1.0 / (1.0 + nu / (n - nu) * np.exp(min(g, 700.0)))))
        D_next = (1.0 - q) * D - q * d
        if D_next <= 0:
            break
        d = min(((1.0 - q) * d + q) / D_next, 1.0)
        D = min(D_next, 1.0)
    return out


def projection_bounds(X, labels, Wc) -> tuple[float, float]:
    """Measured ``(delta, Delta)`` of rows ``X`` against the cluster directions ``Wc``.

    ``delta = max_{i, c != c_i} |x_i^T w_c|`` and ``Delta = min_i x_i^T w_{c_i}``
    (``Wc`` of shape ``(K, m)``, e.g. ``fusion_weights(...)[:, first index of
    each cluster].T``).  These are the quantities eq. (6)'s ``delta`` and
    ``Delta`` bound from above / below.
    """
    X = check_matrix(X, "X")
    lab, K = check_labels(labels, X.shape[0], min_clusters=2)
    Wc = check_matrix(Wc, "Wc", shape=(K, X.shape[1]))
    P = X @ Wc.T  # (n, K)
    own = P[np.arange(len(lab)), lab]
    cross = np.abs(P)
    cross[np.arange(len(lab)), lab] = -np.inf
    return float(cross.max()), float(own.min())
