"""SparseHead: the L2,1 penalty on a projection head, and the min-max distance ratio.

Song, Su, Wang, Qiang, Zheng & Sun, "Towards the Sparseness of Projection
Head in Self-Supervised Learning".

* The head maps a representation ``r in R^d`` to an embedding ``z = W r in
  R^m`` (``W`` of shape ``(m, d)``, the layout of ``torch.nn.Linear.weight``).
  The support of a head is the set of *representation features* it reads,
  ``S = {j : ||W_{:, j}||_2 != 0}`` (Sec. 5.2), so the L2,0 "norm" counts
  non-zero **columns** and its convex relaxation (Corollary 6.1, eqs. 12-13)
  is the group lasso over columns,

  .. math::  \\|W\\|_{2,1} = \\sum_{j=1}^{d} \\|W_{:, j}\\|_2 .

  Its proximal operator zeroes whole columns: the penalty selects features
  of the representation (``tests/test_sparsehead.py`` checks this on a small
  convex problem solved with cvxpy).  For an MLP head the penalty is put on
  the weight of its last linear layer (Sec. 6), so it prunes hidden units.
* The min-max distance ratio of eq. (9),
  ``M(d) = (delta_max - delta_min) / delta_min``.
* The eigenvalue spectrum of a covariance (Figs. 1 and 3).

numpy in float64, plus :func:`l21_penalty` in torch for training.
"""

from __future__ import annotations

import numpy as np

from theory._validation import check_matrix, check_scalar, check_vector

__all__ = [
    "GROUPS",
    "l21_norm",
    "l20_norm",
    "l21_prox",
    "group_lasso_lambda_max",
    "sparsehead_layer",
    "l21_penalty",
    "min_max_distance_ratio",
    "min_max_distance_ratios",
    "eigenvalue_spectrum",
]

GROUPS = ("columns", "rows")


def _check_groups(groups: str) -> int:
    if groups not in GROUPS:
        raise ValueError(f"groups must be one of {GROUPS}, got {groups!r}")
    return 0 if groups == "columns" else 1  # the axis the 2-norm runs over


def l21_norm(W, *, groups: str = "columns") -> float:
    """The L2,1 norm of Song et al. (Corollary 6.1): ``sum_j ||W_{:, j}||_2``.

    Parameters
    ----------
    W : array_like, shape (m, d)
        Head weight, ``z = W r``.
    groups : {"columns", "rows"}, default "columns"
        ``"columns"`` (the paper's support over representation features);
        ``"rows"`` gives ``sum_i ||W_{i, :}||_2`` (the other convention in
        the literature, equal to the columns norm of ``W.T``).
    """
    W = check_matrix(W, "W")
    axis = _check_groups(groups)
    return float(np.sum(np.linalg.norm(W, axis=axis)))


def l20_norm(W, *, groups: str = "columns", atol: float = 0.0) -> int:
    """Number of non-zero groups (``||W||_{2,0}``, Assumption 5.3): columns with ``||W_{:, j}|| > atol``."""
    W = check_matrix(W, "W")
    axis = _check_groups(groups)
    atol = check_scalar(atol, "atol", low=0.0)
    return int(np.count_nonzero(np.linalg.norm(W, axis=axis) > atol))


def l21_prox(W, threshold: float, *, groups: str = "columns") -> np.ndarray:
    """Proximal operator of ``threshold * ||.||_{2,1}`` (block soft-thresholding).

    .. math::

        \\mathrm{prox}(W)_{:, j} = \\Big(1 - \\frac{t}{\\|W_{:, j}\\|}\\Big)_+ W_{:, j},

    so a column is set exactly to zero when its norm is ``<= t``.
    """
    W = check_matrix(W, "W")
    t = check_scalar(threshold, "threshold", low=0.0)
    axis = _check_groups(groups)
    norms = np.linalg.norm(W, axis=axis, keepdims=True)
    scale = np.where(norms > t, 1.0 - t / np.where(norms > 0, norms, 1.0), 0.0)
    return W * scale


def group_lasso_lambda_max(X, Y) -> float:
    """Smallest ``lambda`` for which ``W = 0`` solves the column-group lasso.

    For ``min_W (1/(2n)) ||Y - X W^T||_F^2 + lambda ||W||_{2,1}`` (``X`` of
    shape ``(n, d)``, ``Y`` of shape ``(n, m)``, ``W`` of shape ``(m, d)``), the
    optimality condition at ``W = 0`` gives ``lambda_max = max_j
    ||(Y^T X)_{:, j}||_2 / n``.
    """
    X = check_matrix(X, "X")
    Y = check_matrix(Y, "Y", shape=(X.shape[0], None))
    return float(np.max(np.linalg.norm(Y.T @ X, axis=0)) / X.shape[0])


# ------------------------------------------------------------------ torch


def sparsehead_layer(head):
    """The ``torch.nn.Linear`` that SparseHead penalises: the last linear layer of ``head``.

    For a linear head that is the head itself; for an MLP head its last
    layer (Song et al., Sec. 6).  Raises ``ValueError`` for a head with no
    linear layer (the identity head).
    """
    import torch

    if isinstance(head, torch.nn.Linear):
        return head
    if not isinstance(head, torch.nn.Module):
        raise ValueError(f"head must be a torch.nn.Module, got {type(head).__name__}")
    if hasattr(head, "last_linear"):  # theory.heads.MLPHead / TransformerHead
        layer = head.last_linear
        if isinstance(layer, torch.nn.Linear):
            return layer
    else:
        layers = [m for m in head.modules() if isinstance(m, torch.nn.Linear)]
        if layers:
            return layers[-1]
    raise ValueError(
        f"head has no last linear layer to penalise (got {type(head).__name__}); SparseHead needs a linear or MLP head"
    )


def l21_penalty(head_or_weight, lam: float, *, groups: str = "columns"):
    """SparseHead regulariser ``lam * ||W||_{2,1}`` (torch, differentiable).

    Parameters
    ----------
    head_or_weight : torch.nn.Module or torch.Tensor
        A projection head (its last linear layer is penalised, see
        :func:`sparsehead_layer`) or a weight tensor of shape ``(m, d)``.
    lam : float
        Penalty strength ``lambda`` (>= 0); Song et al. use ``1e-4``.
    groups : {"columns", "rows"}

    Returns
    -------
    torch.Tensor
        Scalar.  The gradient at a zero column is taken as zero (a
        subgradient), via ``sqrt(sum w^2 + 0)`` guarded by ``where``.
    """
    import torch

    lam = check_scalar(lam, "lam", low=0.0)
    axis = _check_groups(groups)
    weight = head_or_weight if isinstance(head_or_weight, torch.Tensor) else sparsehead_layer(head_or_weight).weight
    if weight.ndim != 2:
        raise ValueError(f"weight must be 2-d (m, d), got shape {tuple(weight.shape)}")
    sq = (weight * weight).sum(dim=axis)
    safe = torch.where(sq > 0, sq, torch.ones_like(sq))
    norms = torch.where(sq > 0, torch.sqrt(safe), torch.zeros_like(sq))
    return lam * norms.sum()


# ------------------------------------------------------------- eq. (9)


def min_max_distance_ratio(z, others) -> float:
    """Min-max distance ratio of eq. (9): ``(delta_max - delta_min) / delta_min``.

    Parameters
    ----------
    z : array_like, shape (d,)
        The query embedding.
    others : array_like, shape (n, d)
        The other samples ``z_1..z_n`` (``n >= 2``).

    Returns
    -------
    float
        ``inf`` when ``z`` coincides with one of ``others`` (``delta_min = 0``).
    """
    z = check_vector(z, "z")
    others = check_matrix(others, "others", shape=(None, z.size))
    if others.shape[0] < 2:
        raise ValueError(f"others must hold n >= 2 samples, got {others.shape[0]}")
    dist = np.linalg.norm(others - z[None, :], axis=1)
    dmin, dmax = float(dist.min()), float(dist.max())
    if dmax == 0.0:
        raise ValueError("z coincides with every point of others: the min-max distance ratio is undefined (0/0)")
    if dmin == 0.0:
        return float("inf")
    return (dmax - dmin) / dmin


def min_max_distance_ratios(Z) -> np.ndarray:
    """Eq. (9) for every row of ``Z`` against the other ``n - 1`` rows (``n >= 3``).

    Returns an array of shape ``(n,)`` (``inf`` where a row has a duplicate).
    """
    Z = check_matrix(Z, "Z")
    n = Z.shape[0]
    if n < 3:
        raise ValueError(f"Z must have n >= 3 rows, got {n}")
    sq = np.einsum("ij,ij->i", Z, Z)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * Z @ Z.T, 0.0)
    dist = np.sqrt(d2)
    np.fill_diagonal(dist, np.inf)
    dmin = dist.min(axis=1)
    np.fill_diagonal(dist, -np.inf)
    dmax = dist.max(axis=1)
    return np.where(dmin > 0, (dmax - dmin) / np.where(dmin > 0, dmin, 1.0), np.inf)


def eigenvalue_spectrum(X) -> np.ndarray:
    """Eigenvalues of the sample covariance of the rows of ``X``, in decreasing order (Figs. 1, 3).

    Computed from the singular values of the centred data (``s^2 / (n - 1)``),
    so tiny eigenvalues are accurate to machine precision relative to the
    largest; zero-padded to ``d`` when ``n - 1 < d``.
    """
    X = check_matrix(X, "X")
    n, d = X.shape
    if n < 2:
        raise ValueError(f"X must have n >= 2 rows, got {n}")
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    ev = np.zeros(d)
    ev[: s.size] = s**2 / (n - 1)
    return ev
