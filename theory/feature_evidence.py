"""Diagnostics of a trained encoder + linear projector (Gui, Ma & Zhong, poster Fig. 2 and its empirical evidence).

The poster's theory is a *feature-level* model: it replaces the encoder's
output by 2-GMM features and studies the linear projector ``z = W h`` alone.
Two pieces of evidence are offered for that reduction, and one figure for its
prediction on a trained encoder:

* **Fig. 2, the cumulative signal score.**  For a pair of classes
  ``(c1, c2)`` let ``mu_{c1,c2}`` be the difference of the class means of the
  encoder features and ``v_1, v_2, ...`` the right singular vectors of ``W``
  in decreasing order of the singular values.  Then

  .. math::

      \\mathrm{score}_i = \\sum_{j \\le i}
      \\frac{\\langle v_j, \\mu_{c_1,c_2}\\rangle^2}{\\|\\mu_{c_1,c_2}\\|^2}
      \\in [0, 1],

  the share of the signal in the top ``i`` directions of the projector
  (:func:`cumulative_signal_scores`).  A projector that ignores the signal
  has ``E score_i = i / p`` for a uniformly random ``mu``; expansion puts
  more of the signal in the top directions (``score_1 > 1/p``), shrinkage
  less.
* **"Linearly separable features after a few epochs"**: the fraction of
  class pairs whose features are strictly separable by an affine hyperplane
  (:func:`pairwise_separability`, an LP per pair).
* **The loss decomposition** at the encoder ``theta_t``,

  .. math::

      L(\\theta_t, \\varphi_t) = \\min_\\varphi L(\\theta_t, \\varphi)
      + L^\\perp(\\theta_t, \\varphi_t), \\qquad
      \\tilde\\varphi_t = \\arg\\min_\\varphi L(\\theta_t, \\varphi),

  with the claim ``L_perp << min L`` and ``||phi~_t - phi_t|| << ||phi_t||``
  (:func:`projector_loss_decomposition`: the projector re-optimised on the
  frozen features of a fixed batch of view pairs).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theory._validation import check_int, check_matrix, check_random_state, check_scalar

__all__ = [
    "class_mean_differences",
    "cumulative_signal_scores",
    "pairwise_separability",
    "LossDecomposition",
    "orbit_distance",
    "projector_loss_decomposition",
]


def _labels(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},) (one label per row of h), got {y.shape}")
    if y.dtype.kind not in "iub":
        raise ValueError(f"y must hold integer labels, got dtype {y.dtype}")
    return y


def class_mean_differences(h, y) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Differences of class means ``mu_{c1,c2} = mean(h | c1) - mean(h | c2)`` for every pair ``c1 < c2``.

    Parameters
    ----------
    h : array_like, shape (n, p)
        Features (one row per input).
    y : array_like of int, shape (n,)
        Labels; at least two distinct classes.

    Returns
    -------
    pairs : list of (c1, c2)
        The class pairs in lexicographic order of the sorted labels.
    M : ndarray, shape (len(pairs), p)
        Row ``k`` is ``mu_{pairs[k]}``.
    """
    h = check_matrix(h, "h")
    y = _labels(y, h.shape[0])
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError(f"y must hold at least 2 classes, got {classes.size}")
    means = np.stack([h[y == c].mean(axis=0) for c in classes])
    pairs = [(int(classes[a]), int(classes[b])) for a in range(classes.size) for b in range(a + 1, classes.size)]
    ia = np.array([a for a in range(classes.size) for b in range(a + 1, classes.size)])
    ib = np.array([b for a in range(classes.size) for b in range(a + 1, classes.size)])
    return pairs, means[ia] - means[ib]


def cumulative_signal_scores(W, mu) -> np.ndarray:
    """The poster's cumulative score ``score_i`` of Fig. 2, for ``i = 1 .. min(k, p)``.

    Parameters
    ----------
    W : array_like, shape (k, p)
        Linear projector ``z = W h``.
    mu : array_like, shape (p,) or (m, p)
        Signal direction(s), e.g. the rows of :func:`class_mean_differences`;
        each non-zero.

    Returns
    -------
    ndarray, shape (min(k, p),) or (m, min(k, p))
        ``score_i = sum_{j <= i} <v_j, mu>^2 / ||mu||^2`` with ``v_j`` the
        right singular vectors of ``W`` in decreasing order of the singular
        values; non-decreasing in ``i``, in ``[0, 1]``, and ``score_p = 1``
        when ``k >= p``.  Only the first ``min(k, p)`` directions are
        returned: beyond them the singular vectors span the kernel of ``W``
        in no particular order.  Where two singular values are equal the
        split of the score between their directions is not defined (their
        sum is).
    """
    W = check_matrix(W, "W")
    mu = np.asarray(mu, dtype=np.float64)
    single = mu.ndim == 1
    M = check_matrix(mu[None, :] if single else mu, "mu", shape=(None, W.shape[1]))
    norms2 = np.einsum("ij,ij->i", M, M)
    if np.any(norms2 <= 0):
        raise ValueError("mu must be non-zero (every row)")
    _, _, Vt = np.linalg.svd(W, full_matrices=False)  # rows of Vt: v_1, v_2, ... (descending)
    shares = (M @ Vt.T) ** 2 / norms2[:, None]
    out = np.minimum(np.cumsum(shares, axis=1), 1.0)
    return out[0] if single else out


def pairwise_separability(h, y) -> float:
    """Fraction of class pairs whose features are strictly separable by an affine hyperplane.

    For each pair ``c1 < c2`` the LP of :func:`theory.svm.is_separable` is
    solved on the rows of the two classes with a constant coordinate appended
    (``<w, h> + b``), labels ``+1`` for ``c1`` and ``-1`` for ``c2``.

    Parameters
    ----------
    h : array_like, shape (n, p)
    y : array_like of int, shape (n,)
        At least two classes.

    Returns
    -------
    float
        Separable pairs / all pairs, in ``[0, 1]``.
    """
    from theory.svm import is_separable

    h = check_matrix(h, "h")
    y = _labels(y, h.shape[0])
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError(f"y must hold at least 2 classes, got {classes.size}")
    Z = np.hstack([h, np.ones((h.shape[0], 1))])
    separable = total = 0
    for a in range(classes.size):
        for b in range(a + 1, classes.size):
            rows = (y == classes[a]) | (y == classes[b])
            labels = np.where(y[rows] == classes[a], 1.0, -1.0)
            separable += bool(is_separable(Z[rows], labels))
            total += 1
    return separable / total


class LossDecomposition(NamedTuple):
    """:func:`projector_loss_decomposition`'s result."""

    loss: float  #: L(theta_t, phi_t): NT-Xent of the given projector on the batch
    min_loss: float  #: min_phi L(theta_t, phi) over linear projectors (the re-optimised one)
    excess: float  #: L_perp = loss - min_loss (>= 0)
    relative_excess: float  #: excess / min_loss
    relative_distance: float  #: min over c > 0, Q orthogonal of ||c Q phi~_t - phi_t||_F / ||phi_t||_F (descent from phi_t)
    W_min: np.ndarray  #: the lowest minimiser found (from phi_t or a restart)
    W_local: np.ndarray  #: phi~_t, the minimiser reached by the descent from phi_t
    local_min_loss: float  #: the loss at W_local (> min_loss when a restart found a lower minimum)
    grad_norm: float  #: gradient max-norm of the loss at W_min (how well the inner problem was solved)
    iterations: int  #: L-BFGS iterations of the descent that found W_min


def orbit_distance(A, B) -> float:
    """``min_{c > 0, Q orthogonal} ||c Q A - B||_F / ||B||_F`` (orthogonal Procrustes with a scale).

    ``Q`` is ``k x k`` (acting on the left, the symmetry of a loss that sees
    ``W`` only through the Gram matrix of ``W h``); ``A``, ``B`` of the same
    shape, both non-zero.  In ``[0, 1]``; 0 iff ``B = c Q A``.
    """
    A = check_matrix(A, "A")
    B = check_matrix(B, "B", shape=A.shape)
    na, nb = float(np.linalg.norm(A)), float(np.linalg.norm(B))
    if na == 0.0 or nb == 0.0:
        raise ValueError("A and B must be non-zero")
    nuclear = float(np.linalg.svd(A @ B.T, compute_uv=False).sum())
    return float(np.sqrt(max(0.0, 1.0 - (nuclear / (na * nb)) ** 2)))


def projector_loss_decomposition(
    h1, h2, W, tau: float, *, max_iter: int = 500, grad_tol: float = 1e-7, restarts: int = 0, seed=None
) -> LossDecomposition:
    """Split the NT-Xent loss of a linear projector into ``min_phi L + L_perp`` on frozen features.

    ``L(W) = nt_xent(h1 W^T, h2 W^T, tau)`` (:func:`theory.ntxent.nt_xent`,
    cosine similarity) on one fixed batch of view pairs; ``phi~`` is found by
    L-BFGS (float64, strong-Wolfe line search) started at ``W``.  NT-Xent is
    invariant under ``W -> c Q W`` (``c > 0``, ``Q`` orthogonal), so the
    minimisers form a set containing the orbit of ``phi~``; the descent
    moves along that orbit freely (the gradient of a scale-invariant loss is
    orthogonal to ``W``, so ``||W||`` grows).  ``relative_distance`` is
    therefore measured to the orbit,

    .. math::

        \\frac{\\min_{c > 0,\\, Q^\\top Q = I} \\|c\\,Q\\tilde\\varphi - \\varphi_t\\|_F}{\\|\\varphi_t\\|_F}
        = \\sqrt{1 - \\frac{\\|\\tilde\\varphi\\,\\varphi_t^\\top\\|_*^2}
        {\\|\\tilde\\varphi\\|_F^2\\,\\|\\varphi_t\\|_F^2}}

    (orthogonal Procrustes, ``||.||_*`` the nuclear norm), an upper bound on
    the distance to the whole set of minimisers.

    The loss is not convex in ``W``: a descent finds a local minimum.  With
    ``restarts > 0`` L-BFGS also starts from that many Gaussian matrices of
    the norm of ``W`` and the lowest minimum wins, so ``min_loss`` is an
    upper bound on the global minimum and ``excess`` a lower bound on the
    true ``L_perp``.  ``relative_distance`` is always measured to the
    minimiser reached from ``W`` itself (the nearest candidate for
    ``phi~``; a restart's minimiser may sit anywhere on the loss's level set).

    Parameters
    ----------
    h1, h2 : array_like, shape (N, p)
        Encoder features of the two views (row ``i``: the same input).
    W : array_like, shape (k, p)
        The projector ``phi_t`` (non-zero).
    tau : float
        Temperature (> 0).
    max_iter : int
        L-BFGS iterations at most.
    grad_tol : float
        Stop when the gradient's max-norm falls below this.
    restarts : int, default 0
        Extra random starts of the inner minimisation.
    seed : int, SeedSequence or Generator, optional
        Seeds the random starts.

    Returns
    -------
    LossDecomposition
    """
    import torch

    from theory.ntxent import nt_xent

    h1 = check_matrix(h1, "h1")
    h2 = check_matrix(h2, "h2", shape=h1.shape)
    if h1.shape[0] < 2:
        raise ValueError(f"h1 and h2 must hold at least 2 rows, got {h1.shape[0]}")
    W = check_matrix(W, "W", shape=(None, h1.shape[1]))
    if not np.any(W):
        raise ValueError("W must be non-zero")
    tau = check_scalar(tau, "tau", low=0.0, closed="neither")
    max_iter = check_int(max_iter, "max_iter", low=1)
    grad_tol = check_scalar(grad_tol, "grad_tol", low=0.0, closed="neither")
    restarts = check_int(restarts, "restarts", low=0)
    rng = check_random_state(seed)
    a = torch.as_tensor(h1, dtype=torch.float64)
    b = torch.as_tensor(h2, dtype=torch.float64)
    W0 = torch.as_tensor(W, dtype=torch.float64)

    def loss_of(Wt):
        return nt_xent(a @ Wt.T, b @ Wt.T, tau)

    with torch.no_grad():
        loss0 = float(loss_of(W0))
    scale = np.linalg.norm(W) / np.sqrt(W.size)
    starts = [W0] + [torch.as_tensor(rng.standard_normal(W.shape) * scale) for _ in range(restarts)]
    best = None
    for start in starts:
        Wv = start.clone().requires_grad_(True)
        opt = torch.optim.LBFGS([Wv], lr=1.0, max_iter=max_iter, tolerance_grad=grad_tol, tolerance_change=1e-15,
                                history_size=20, line_search_fn="strong_wolfe")

        def closure(opt=opt, Wv=Wv):
            opt.zero_grad()
            val = loss_of(Wv)
            val.backward()
            return val

        opt.step(closure)
        iterations = int(opt.state[Wv].get("n_iter", 0))
        val = loss_of(Wv)
        (g,) = torch.autograd.grad(val, Wv)
        found = (float(val.detach()), Wv.detach().numpy().copy(), float(g.abs().max()), iterations)
        if best is None:
            local = found
        if best is None or found[0] < best[0]:
            best = found
    min_loss, W_min, grad_norm, iterations = best
    W_local = local[1] if local[0] <= loss0 else W.copy()
    if min_loss > loss0:  # the line search never ends above its start; guard against round-off
        min_loss, W_min = loss0, W.copy()
    excess = loss0 - min_loss
    return LossDecomposition(
        loss=loss0,
        min_loss=min_loss,
        excess=excess,
        relative_excess=excess / min_loss,
        relative_distance=orbit_distance(W_local, W),
        W_min=W_min,
        W_local=W_local,
        local_min_loss=min(local[0], loss0),
        grad_norm=grad_norm,
        iterations=iterations,
    )
