"""The NT-Xent (normalised temperature-scaled cross-entropy) loss of SimCLR.

Li & Pimentel-Alarcón, eq. (1) (Chen et al. 2020): for a batch of ``N``
inputs with two views each, the ``2N`` projected embeddings ``z_1..z_{2N}``
(view ``a`` of sample ``i`` at row ``i``, view ``b`` at row ``N + i``) give

.. math::

    \\ell(i, j) = -\\log \\frac{\\exp(\\mathrm{sim}(z_i, z_j)/\\tau)}
                           {\\sum_{k \\ne i} \\exp(\\mathrm{sim}(z_i, z_k)/\\tau)},
    \\qquad
    \\mathcal{L} = \\frac{1}{2N} \\sum_{i=1}^{N} [\\ell(i, N+i) + \\ell(N+i, i)],

with ``sim`` the cosine similarity.  When all embeddings coincide every
logit is equal and the loss is exactly ``log(2N - 1)``.

This is the package's single implementation of the training loss; every
simulation imports it from here.
"""

from __future__ import annotations

import numpy as np

from theory._validation import check_scalar

__all__ = ["nt_xent"]


def nt_xent(z1, z2, tau: float = 0.5, *, normalize: bool = True):
    """NT-Xent loss of two batches of views (torch, differentiable).

    Parameters
    ----------
    z1, z2 : torch.Tensor, shape (N, d)
        Embeddings of the first and second view; row ``i`` of both comes from
        the same input.  ``N >= 2``.
    tau : float, default 0.5
        Temperature (> 0).
    normalize : bool, default True
        Use cosine similarity (eq. 1).  ``False`` uses the raw inner product.

    Returns
    -------
    torch.Tensor
        Scalar mean loss over the ``2N`` anchors.
    """
    import torch
    import torch.nn.functional as F

    from theory._validation import NonFiniteError

    tau = check_scalar(tau, "tau", low=0.0, closed="neither")
    if not isinstance(z1, torch.Tensor) or not isinstance(z2, torch.Tensor):  # array-likes
        try:
            z1 = torch.as_tensor(np.asarray(z1, dtype=np.float64)) if not isinstance(z1, torch.Tensor) else z1
            z2 = torch.as_tensor(np.asarray(z2, dtype=np.float64)) if not isinstance(z2, torch.Tensor) else z2
        except (TypeError, ValueError):
            raise ValueError("z1 and z2 must be tensors or arrays of real numbers") from None
        z2 = z2.to(z1.dtype)
    if z1.ndim != 2 or z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must be 2-d with equal shapes, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    n = z1.shape[0]
    if n < 2:
        raise ValueError(f"batch size N must be >= 2, got {n}")
    z = torch.cat([z1, z2], dim=0)
    if z.device.type != "meta" and not bool(torch.isfinite(z.detach()).all()):
        raise NonFiniteError("z1 and z2 must be finite (no NaN or inf); a training run has probably diverged")
    if normalize:
        z = F.normalize(z, dim=1)
    logits = (z @ z.T) / tau
    eye = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(eye, float("-inf"))
    idx = torch.arange(2 * n, device=z.device)
    target = (idx + n) % (2 * n)
    return F.cross_entropy(logits, target)
