"""Geometry of a linear projector: Rank_tau, FVU, nearest-negative labels, kernels.

Cosentino et al., "Toward a Geometrical Understanding of Self-supervised
Contrastive Learning" (arXiv 2205.06926), Sections 2, 4 and 5.  Convention as
in :mod:`theory.infonce`: the projector is ``z = W h`` with ``W`` of shape
``(d_proj, d_enc)`` (the paper's ``W^T``), so the paper's ``Ker(W)`` is our
``ker(W) = {v : W v = 0}`` and its "column space of W" is our row space.

What is checked (``tests/test_projector_geometry.py``, ``docs/infonce_geometry.md``):

* Props. 4.1 / 4.3 (sufficiency): if ``W v_i = 0`` (``v_i = h_i^(2) - h_i^(1)``),
  or ``W G = 0`` for the Lie generator ``G`` with ``h^(2) = exp(eps G) h^(1)``,
  and ``W h_i^(1) != 0``, then ``L_invariance`` attains its minimum ``-1``.
* Props. 4.1 / 4.3 (necessity) are false as printed: the minimum is attained
  iff for each ``i`` there is ``c_i > 0`` with ``W (h_i^(2) - c_i h_i^(1)) = 0``
  (:func:`invariance_minimizer_scales`).  ``c_i = 1`` is the paper's case;
  e.g. every ``d_proj = 1`` projector with ``sign(w.h1) = sign(w.h2)``
  attains it without ``v_i in ker(W)``.
* Prop. 4.2: ``rank(W) <= d_enc - rank(v_1..v_N)`` for every ``W`` whose
  kernel holds the augmentation directions (:func:`max_projector_rank`).
"""

from __future__ import annotations

import numpy as np

from theory._validation import check_int, check_matrix, check_random_state, check_scalar, check_vector
from theory.infonce import TIE_TOL, check_views, embed, nearest_negative

__all__ = [
    "rank_tau",
    "fraction_variance_unexplained",
    "displacement_vectors",
    "nearest_negative_label_agreement",
    "kernel_projector",
    "lie_kernel_projector",
    "max_projector_rank",
    "lie_augment",
    "invariance_minimizer_scales",
]


def rank_tau(W, tau: float, *, relative: bool = False) -> int:
    """Estimated rank of a matrix, eq. (2) of Cosentino et al.

    .. math::

        \\mathrm{Rank}_\\tau(W) = \\sum_j 1\\{|\\sigma_j| \\ge \\tau\\}.

    Parameters
    ----------
    W : array_like, shape (m, n)
    tau : float
        Threshold (>= 0).  ``tau = 0`` counts every singular value, i.e.
        returns ``min(m, n)``.
    relative : bool, default False
        Compare ``sigma_j`` with ``tau * sigma_max`` instead (scale-free; the
        zero matrix then has rank 0).

    Returns
    -------
    int
    """
    W = check_matrix(W, "W")
    tau = check_scalar(tau, "tau", low=0.0)
    s = np.linalg.svd(W, compute_uv=False)
    thr = tau * (s[0] if s.size else 0.0) if relative else tau
    if relative and s.size and s[0] == 0.0:
        return 0
    return int(np.count_nonzero(np.abs(s) >= thr))


def _row_space_basis(W: np.ndarray) -> np.ndarray:
    """Orthonormal basis (rows) of the row space of ``W`` (numpy's default rank tolerance)."""
    _, s, vt = np.linalg.svd(W, full_matrices=False)
    tol = s.max(initial=0.0) * max(W.shape) * np.finfo(np.float64).eps
    return vt[s > tol]


def fraction_variance_unexplained(delta_h, W) -> float:
    """Fraction of the variance of ``S = span{delta h_i}`` unexplained by the projector, eq. (10).

    .. math::

        \\mathrm{FVU} = \\frac{\\sum_i \\min_{t_i} \\|\\delta h_i - W^T t_i\\|^2}
                           {\\sum_i \\|\\delta h_i\\|^2}
        = \\frac{\\sum_i \\|(I - P_W)\\, \\delta h_i\\|^2}{\\sum_i \\|\\delta h_i\\|^2},

    with ``P_W`` the orthogonal projector onto the row space of ``W`` (the
    paper's column space of its ``W``).  In ``[0, 1]``; 0 when every
    ``delta h_i`` lies in the row space.

    Parameters
    ----------
    delta_h : array_like, shape (N, d_enc)
        Displacement vectors, e.g. from :func:`displacement_vectors`.
    W : array_like, shape (d_proj, d_enc)
    """
    delta_h = check_matrix(delta_h, "delta_h")
    W = check_matrix(W, "W", shape=(None, delta_h.shape[1]))
    total = float(np.sum(delta_h * delta_h))
    if total == 0.0:
        raise ValueError("delta_h must be non-zero (sum_i ||delta h_i||^2 > 0)")
    basis = _row_space_basis(W)
    explained = delta_h @ basis.T
    resid = total - float(np.sum(explained * explained))
    return min(max(resid / total, 0.0), 1.0)


def displacement_vectors(h1, h2, W=None, *, tie_tol: float = TIE_TOL) -> np.ndarray:
    """``delta h_i = h_i^(2) - h~*_i`` (Table 1), the nearest negative taken in the projector space.

    Parameters
    ----------
    h1, h2 : array_like, shape (N, d_enc)
        Encoder outputs of the two views (``N >= 2``).
    W : array_like, shape (d_proj, d_enc), optional
        Projector in whose output space ``h~*_i`` is selected (identity if omitted).
    tie_tol : float
        Cosines within ``tie_tol`` of the largest are ties, resolved to the
        smallest stacked index (:func:`theory.infonce.nearest_negative`).

    Returns
    -------
    ndarray, shape (N, d_enc)
        Row ``i`` is ``h_i^(2) - h~*_i`` in the encoder space.
    """
    h1, h2 = check_views(h1, h2)
    idx = nearest_negative(h1, h2, W, tie_tol=tie_tol)
    return h2 - np.concatenate([h1, h2], axis=0)[idx]


def nearest_negative_label_agreement(h1, h2, labels, W=None, *, tie_tol: float = TIE_TOL) -> float:
    """Fraction of anchors whose nearest negative ``h~*_i`` shares the label of ``h_i^(2)`` (Fig. 6).

    Parameters
    ----------
    h1, h2 : array_like, shape (N, d_enc)
    labels : array_like, shape (N,)
        Class label of input ``i`` (both views share it).
    W : array_like, shape (d_proj, d_enc), optional
        The projector in whose output space ``h~*_i`` is selected.
    tie_tol : float
        Tie rule of :func:`theory.infonce.nearest_negative`: cosines within
        ``tie_tol`` of the largest are ties and go to the smallest index.

    Returns
    -------
    float in [0, 1]
    """
    h1, h2 = check_views(h1, h2)
    labels = np.asarray(labels)
    if labels.shape != (h1.shape[0],):
        raise ValueError(f"labels must have shape ({h1.shape[0]},), got {labels.shape}")
    idx = nearest_negative(h1, h2, W, tie_tol=tie_tol) % h1.shape[0]
    return float(np.mean(labels[idx] == labels))


# ----------------------------------------------------- Props. 4.1-4.3


def _complement_basis(V: np.ndarray, name: str) -> np.ndarray:
    """Orthonormal basis (rows) of ``span(rows of V)^perp``."""
    d = V.shape[1]
    _, s, vt = np.linalg.svd(V, full_matrices=True)
    tol = s.max(initial=0.0) * max(V.shape) * np.finfo(np.float64).eps
    r = int(np.count_nonzero(s > tol))
    if r >= d:
        raise ValueError(
            f"{name} spans all of R^{d}: no non-zero projector has it in its kernel (need rank({name}) < d_enc)"
        )
    return vt[r:]


def kernel_projector(V, d_proj: int, seed=None) -> np.ndarray:
    """A projector ``W`` with every augmentation direction in its kernel (Prop. 4.1).

    Returns ``W = A Q`` with ``Q`` an orthonormal basis of ``span{v_i}^perp``
    and ``A`` a Gaussian ``(d_proj, d_enc - r)`` matrix, ``r = rank(V)``; so
    ``W v_i = 0`` for all ``i`` and (almost surely) ``rank(W) =
    min(d_proj, d_enc - r)``, the largest rank allowed by Prop. 4.2.

    Parameters
    ----------
    V : array_like, shape (N, d_enc)
        Augmentation directions ``v_i = h_i^(2) - h_i^(1)`` as rows; must have
        rank ``< d_enc``.
    d_proj : int
        Output dimension (>= 1).
    seed : None, int, SeedSequence or Generator

    Returns
    -------
    ndarray, shape (d_proj, d_enc)
    """
    V = check_matrix(V, "V")
    d_proj = check_int(d_proj, "d_proj", low=1)
    rng = check_random_state(seed)
    Q = _complement_basis(V, "V")
    return rng.standard_normal((d_proj, Q.shape[0])) @ Q


def lie_kernel_projector(G, d_proj: int, seed=None) -> np.ndarray:
    """A projector with ``W G = 0`` (the paper's ``Col(G) in Ker(W)``, Prop. 4.3).

    Then ``W G^k = 0`` for every ``k >= 1``, hence ``W exp(eps G) = W`` for
    every ``eps``: the projector is exactly invariant to the group action,
    not only to its linearisation (the higher powers of ``G`` the paper's
    proof mentions need no extra condition).  ``rank(W) <= d_enc - rank(G)``.

    Parameters
    ----------
    G : array_like, shape (d_enc, d_enc)
        Generator of the Lie group, of rank ``< d_enc`` (the generator of
        rotations in one plane has rank 2).
    d_proj : int
    seed : None, int, SeedSequence or Generator
    """
    G = check_matrix(G, "G")
    if G.shape[0] != G.shape[1]:
        raise ValueError(f"G must be square (d_enc, d_enc), got shape {G.shape}")
    d_proj = check_int(d_proj, "d_proj", low=1)
    rng = check_random_state(seed)
    Q = _complement_basis(G.T, "G")  # the column space of G, as rows of G^T
    return rng.standard_normal((d_proj, Q.shape[0])) @ Q


def max_projector_rank(V, d_proj: int) -> int:
    """Prop. 4.2 (rank-nullity): the largest ``rank(W)`` with ``W v_i = 0`` for all ``i``.

    ``min(d_proj, d_enc - rank(v_1, ..., v_N))``: the more directions the
    augmentations span in the encoder space, the lower the projector's rank.
    """
    V = check_matrix(V, "V")
    d_proj = check_int(d_proj, "d_proj", low=1)
    return int(min(d_proj, V.shape[1] - np.linalg.matrix_rank(V)))


def lie_augment(h, G, eps) -> np.ndarray:
    """Apply ``h_i -> exp(eps_i G) h_i`` row-wise (Cosentino et al., Sec. 4(b), App. B).

    Parameters
    ----------
    h : array_like, shape (N, d)
    G : array_like, shape (d, d)
    eps : float or array_like, shape (N,)
        Per-sample strengths.
    """
    from scipy.linalg import expm

    h = check_matrix(h, "h")
    G = check_matrix(G, "G", shape=(h.shape[1], h.shape[1]))
    eps = np.broadcast_to(np.asarray(eps, dtype=np.float64), (h.shape[0],))
    eps = check_vector(eps, "eps")
    return np.stack([expm(e * G) @ x for e, x in zip(eps, h)])


def invariance_minimizer_scales(h1, h2, W, *, rtol: float = 1e-9) -> np.ndarray:
    """The corrected condition of Props. 4.1/4.3: the scales ``c_i > 0`` with ``W h_i^(2) = c_i W h_i^(1)``.

    ``Sim(W h_i^(1), W h_i^(2)) = 1`` (so ``L_invariance`` attains ``-1``)
    iff ``W h_i^(1) != 0`` and ``W (h_i^(2) - c_i h_i^(1)) = 0`` for some
    ``c_i > 0``.  The paper's condition ``v_i in ker(W)`` is the special case
    ``c_i = 1``.

    Returns
    -------
    ndarray, shape (N,)
        ``c_i`` where it exists (up to the relative tolerance ``rtol`` on the
        residual ``||W h2 - c W h1|| / ||W h2||``), ``nan`` otherwise.
    """
    h1, h2 = check_views(h1, h2)
    rtol = check_scalar(rtol, "rtol", low=0.0)
    z1, z2 = embed(h1, W), embed(h2, W)
    n1 = np.einsum("ij,ij->i", z1, z1)
    out = np.full(h1.shape[0], np.nan)
    ok = n1 > 0
    c = np.where(ok, np.einsum("ij,ij->i", z1, z2) / np.where(ok, n1, 1.0), 0.0)
    resid = np.linalg.norm(z2 - c[:, None] * z1, axis=1)
    scale = np.linalg.norm(z2, axis=1)
    good = ok & (c > 0) & (resid <= rtol * np.maximum(scale, np.finfo(float).tiny))
    out[good] = c[good]
    return out
