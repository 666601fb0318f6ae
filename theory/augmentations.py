"""Random augmentations in torch, seeded by a ``torch.Generator``.

The SimCLR loop (:func:`theory.simclr.train_simclr`) calls an augmentation
as ``augment(x, generator)`` twice per batch to make the two views.  All
randomness comes from ``generator`` (on the data's device), so a run is
reproducible bit for bit.

Vectors ``(n, d)``: :func:`gaussian_noise` and :func:`feature_dropout`,
composed by :class:`VectorAugment`.  Images ``(n, C, H, W)``:
:func:`random_shift` (pad-and-crop), :func:`random_affine` (small rotation,
scale and translation jitter with bilinear resampling) and
:func:`gaussian_noise`, composed by :class:`ImageAugment`.  The paper's
colour/grey-scale/blur/flip augmentations do not apply to 8x8 grey digits
(a flip changes a digit's identity), so they are left out on purpose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from theory._validation import check_int, check_scalar

__all__ = [
    "gaussian_noise",
    "feature_dropout",
    "random_shift",
    "random_affine",
    "rotate",
    "VectorAugment",
    "NuisanceAugment",
    "ImageAugment",
    "identity",
]


def identity(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """No augmentation (both views equal the input)."""
    return x


def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """``x + sigma * N(0, I)`` entrywise (the 2-GMM model's augmentation when ``sigma^2 = sigma_aug^2``)."""
    sigma = check_scalar(sigma, "sigma", low=0.0)
    if sigma == 0.0:
        return x
    return x + sigma * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def feature_dropout(
    x: torch.Tensor, p: float, generator: torch.Generator | None = None, *, rescale: bool = False
) -> torch.Tensor:
    """Zero each entry independently with probability ``p`` (``rescale``: divide the rest by ``1 - p``)."""
    p = check_scalar(p, "p", low=0.0, high=1.0, closed="left")
    if p == 0.0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    out = x * keep.to(x.dtype)
    return out / (1.0 - p) if rescale else out


def _check_images(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(f"images must be a tensor of shape (n, C, H, W), got {getattr(x, 'shape', type(x))}")


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random translation by up to ``max_shift`` pixels per axis (zero padding, then crop).

    Each image gets its own integer offsets ``(dy, dx)`` uniform on
    ``{-max_shift, ..., max_shift}``; pixels shifted out are lost, the
    uncovered border is zero.
    """
    _check_images(x)
    s = check_int(max_shift, "max_shift", low=0)
    if s == 0:
        return x
    n, c, h, w = x.shape
    padded = F.pad(x, (s, s, s, s))
    off = torch.randint(0, 2 * s + 1, (2, n), generator=generator, device=x.device)
    rows = off[0][:, None] + torch.arange(h, device=x.device)[None, :]  # (n, h)
    cols = off[1][:, None] + torch.arange(w, device=x.device)[None, :]  # (n, w)
    b = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[b, rows[:, :, None], cols[:, None, :]]  # (n, h, w, c)
    return out.permute(0, 3, 1, 2).contiguous()


def random_affine(
    x: torch.Tensor,
    generator: torch.Generator | None = None,
    *,
    max_rotation_deg: float = 10.0,
    max_scale: float = 0.1,
    max_translate: float = 0.0,
) -> torch.Tensor:
    """Small random affine jitter: rotation, isotropic scaling and translation, bilinear resampling.

    Angle uniform in ``±max_rotation_deg`` degrees, scale uniform in
    ``1 ± max_scale``, translation uniform in ``±max_translate`` (fraction
    of the half-width, as in ``affine_grid``); zero padding outside.
    """
    _check_images(x)
    rot = check_scalar(max_rotation_deg, "max_rotation_deg", low=0.0, high=180.0)
    sc = check_scalar(max_scale, "max_scale", low=0.0, high=1.0, closed="left")
    tr = check_scalar(max_translate, "max_translate", low=0.0, high=1.0)
    if rot == 0.0 and sc == 0.0 and tr == 0.0:
        return x
    n = x.shape[0]
    u = torch.rand((4, n), generator=generator, device=x.device, dtype=x.dtype) * 2 - 1
    angle = u[0] * (rot * math.pi / 180.0)
    scale = 1.0 + u[1] * sc
    return _resample(x, torch.cos(angle) / scale, torch.sin(angle) / scale, u[2] * tr, u[3] * tr)


def _resample(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    """Bilinear resampling of each image at ``[[cos, -sin, tx], [sin, cos, ty]]`` (output pixel -> input location)."""
    theta = torch.stack(
        [torch.stack([cos, -sin, tx], dim=1), torch.stack([sin, cos, ty], dim=1)], dim=1
    )  # (n, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def rotate(x: torch.Tensor, angles_deg) -> torch.Tensor:
    """Rotate image ``i`` by ``angles_deg[i]`` degrees about its centre (bilinear, zero padding).

    The deterministic counterpart of :func:`random_affine` (the same
    resampling, no scaling or translation), for experiments that draw the
    angles themselves (e.g. Cosentino et al.'s Fig. 10: angles uniform in
    ``[0, a]``).  Positive angles turn the image the way
    ``scipy.ndimage.rotate`` does.

    Parameters
    ----------
    x : torch.Tensor, shape (n, C, H, W)
    angles_deg : float or array_like, shape (n,)
        Finite angles in degrees (any value; a scalar applies to every image).
    """
    _check_images(x)
    a = torch.as_tensor(angles_deg, dtype=x.dtype, device=x.device)
    if a.ndim == 0:
        a = a.expand(x.shape[0])
    if a.shape != (x.shape[0],):
        raise ValueError(f"angles_deg must be a scalar or have shape ({x.shape[0]},), got {tuple(a.shape)}")
    if not bool(torch.isfinite(a).all()):
        raise ValueError("angles_deg must be finite")
    rad = a * (math.pi / 180.0)
    zero = torch.zeros_like(rad)
    return _resample(x, torch.cos(rad), torch.sin(rad), zero, zero)


@dataclass(frozen=True)
class VectorAugment:
    """Feature dropout with probability ``dropout`` then Gaussian noise of std ``noise``."""

    noise: float = 0.1
    dropout: float = 0.0

    def __post_init__(self) -> None:
        check_scalar(self.noise, "noise", low=0.0)
        check_scalar(self.dropout, "dropout", low=0.0, high=1.0, closed="left")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return gaussian_noise(feature_dropout(x, self.dropout, generator), self.noise, generator)


@dataclass(frozen=True)
class NuisanceAugment:
    """Gaussian noise of std ``noise`` on every coordinate, plus std ``nuisance`` on the last ``n_nuisance``.

    An augmentation with preferred directions (Cosentino et al., Props.
    4.1-4.3): it moves the data along the ``n_nuisance`` nuisance coordinates
    (the augmentation directions) much more than along the others, so an
    invariant linear projector should put those directions in its kernel.
    ``nuisance = 0`` is :func:`gaussian_noise` of std ``noise`` alone.
    """

    noise: float = 0.1
    nuisance: float = 1.0
    n_nuisance: int = 8

    def __post_init__(self) -> None:
        check_scalar(self.noise, "noise", low=0.0)
        check_scalar(self.nuisance, "nuisance", low=0.0)
        check_int(self.n_nuisance, "n_nuisance", low=0)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        k = self.n_nuisance
        if x.ndim != 2 or x.shape[1] < k:
            raise ValueError(f"x must have shape (n, d) with d >= n_nuisance={k}, got {tuple(x.shape)}")
        x = gaussian_noise(x, self.noise, generator)
        if k == 0 or self.nuisance == 0.0:
            return x
        return torch.cat([x[:, : x.shape[1] - k], gaussian_noise(x[:, x.shape[1] - k :], self.nuisance, generator)], dim=1)


@dataclass(frozen=True)
class ImageAugment:
    """Random shift (pad + crop), then affine jitter, then Gaussian pixel noise."""

    max_shift: int = 1
    max_rotation_deg: float = 10.0
    max_scale: float = 0.1
    noise: float = 0.1

    def __post_init__(self) -> None:
        check_int(self.max_shift, "max_shift", low=0)
        check_scalar(self.max_rotation_deg, "max_rotation_deg", low=0.0, high=180.0)
        check_scalar(self.max_scale, "max_scale", low=0.0, high=1.0, closed="left")
        check_scalar(self.noise, "noise", low=0.0)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        x = random_shift(x, self.max_shift, generator)
        x = random_affine(x, generator, max_rotation_deg=self.max_rotation_deg, max_scale=self.max_scale)
        return gaussian_noise(x, self.noise, generator)
