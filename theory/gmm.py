"""The symmetric 2-GMM feature model with Gaussian augmentations.

Gui, Ma & Zhong (poster, "Feature-level GMM modeling"):

.. math::

    h_i \\overset{iid}{\\sim} \\tfrac12 N(-\\mu, I_p) + \\tfrac12 N(\\mu, I_p),
    \\qquad h_i = y_i \\mu + g_i,\\; y_i = \\pm 1 \\text{ equiprobable},

    h_{i,1}^+, h_{i,2}^+ \\mid h_i \\overset{iid}{\\sim} N(h_i, \\sigma_{aug}^2 I_p),
    \\qquad h_i^- \\overset{d}{=} h_{j,1}^+,\\; j \\ne i .

All samplers take a ``seed`` (int, ``numpy.random.SeedSequence`` or a
``numpy.random.Generator``) and are reproducible bit for bit.  The torch
variant :func:`sample_gmm_torch` draws on a ``torch.Generator`` on any device.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theory._validation import check_int, check_random_state, check_scalar, check_vector

__all__ = [
    "ContrastiveSample",
    "sample_gmm",
    "augment",
    "sample_contrastive",
    "sample_gmm_torch",
    "augment_torch",
]


class ContrastiveSample(NamedTuple):
    """One draw of the contrastive model: clean features, two views, negatives."""

    h: np.ndarray  #: clean features, shape (n, p)
    y: np.ndarray  #: labels in {-1, +1}, shape (n,)
    h1: np.ndarray  #: first augmented view h_{i,1}^+, shape (n, p)
    h2: np.ndarray  #: second augmented view h_{i,2}^+, shape (n, p)
    h_neg: np.ndarray  #: independent negatives h_i^- (an independent h_{j,1}^+), shape (n, p)
    y_neg: np.ndarray  #: labels of the negatives, shape (n,)


def _check_common(n: int, mu, sigma2: float | None = None):
    n = check_int(n, "n", low=1)
    mu = check_vector(mu, "mu", nonzero=False)
    if sigma2 is not None:
        sigma2 = check_scalar(sigma2, "sigma2", low=0.0)
    return n, mu, sigma2


def sample_gmm(n: int, mu, seed=None, *, balanced: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` features ``h = y mu + g`` from the symmetric 2-GMM.

    Parameters
    ----------
    n : int
        Number of samples (>= 1).
    mu : array_like, shape (p,)
        Class mean; ``rho = ||mu||^2`` is the signal strength.
    seed : None, int, SeedSequence or Generator
        Randomness.
    balanced : bool, default False
        If True the labels are exactly balanced (``n // 2`` of each sign,
        the odd one random) and then shuffled; otherwise i.i.d. Rademacher.

    Returns
    -------
    h : ndarray, shape (n, p)
    y : ndarray of int, shape (n,), values in {-1, +1}
    """
    n, mu, _ = _check_common(n, mu)
    rng = check_random_state(seed)
    if balanced:
        y = np.ones(n, dtype=np.int64)
        y[: n // 2] = -1
        if n % 2:
            y[-1] = rng.choice([-1, 1])
        rng.shuffle(y)
    else:
        y = rng.choice(np.array([-1, 1], dtype=np.int64), size=n)
    g = rng.standard_normal((n, mu.size))
    return y[:, None] * mu[None, :] + g, y


def augment(h, sigma2: float, seed=None, *, n_views: int = 2) -> np.ndarray:
    """Gaussian augmentations ``h^+ | h ~ N(h, sigma2 I)``, independent across views.

    Returns an array of shape ``(n_views, n, p)``.
    """
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"h must be a 2-d array (n, p), got shape {h.shape}")
    sigma2 = check_scalar(sigma2, "sigma2", low=0.0)
    n_views = check_int(n_views, "n_views", low=1)
    rng = check_random_state(seed)
    return h[None] + np.sqrt(sigma2) * rng.standard_normal((n_views,) + h.shape)


def sample_contrastive(n: int, mu, sigma2: float, seed=None) -> ContrastiveSample:
    """Draw ``n`` i.i.d. tuples ``(h, h1+, h2+, h-)`` of the contrastive model.

    The negative ``h_i^-`` is the first view of an independent draw, so
    ``(h1_i, h_neg_i)`` has exactly the joint law used in the population loss.
    """
    n, mu, sigma2 = _check_common(n, mu, sigma2)
    rng = check_random_state(seed)
    h, y = sample_gmm(n, mu, rng)
    h1, h2 = augment(h, sigma2, rng, n_views=2)
    h_other, y_neg = sample_gmm(n, mu, rng)
    (h_neg,) = augment(h_other, sigma2, rng, n_views=1)
    return ContrastiveSample(h=h, y=y, h1=h1, h2=h2, h_neg=h_neg, y_neg=y_neg)


def sample_gmm_torch(n: int, mu, generator=None, *, device=None, dtype=None):
    """Torch variant of :func:`sample_gmm`: returns ``(h, y)`` as tensors.

    ``mu`` may be an array or a tensor; ``generator`` is a ``torch.Generator``
    (on ``device``) for reproducibility.
    """
    import torch

    n = check_int(n, "n", low=1)
    mu_t = torch.as_tensor(mu, device=device, dtype=dtype or torch.float32)
    if mu_t.ndim != 1 or not bool(torch.isfinite(mu_t).all()):
        raise ValueError("mu must be a finite 1-d vector")
    y = torch.randint(0, 2, (n,), generator=generator, device=mu_t.device) * 2 - 1
    g = torch.randn((n, mu_t.numel()), generator=generator, device=mu_t.device, dtype=mu_t.dtype)
    return y[:, None].to(mu_t.dtype) * mu_t[None, :] + g, y


def augment_torch(h, sigma2: float, generator=None, *, n_views: int = 2):
    """Torch variant of :func:`augment`: a tensor of shape ``(n_views, n, p)``."""
    import torch

    sigma2 = check_scalar(sigma2, "sigma2", low=0.0)
    n_views = check_int(n_views, "n_views", low=1)
    noise = torch.randn((n_views,) + tuple(h.shape), generator=generator, device=h.device, dtype=h.dtype)
    return h.unsqueeze(0) + sigma2**0.5 * noise
