"""Small backbones (base encoders) for the toy SimCLR runs.

* :class:`MLPEncoder` — a ReLU MLP for vector data (the lifted subspace
  clusters of :mod:`theory.datasets`).
* :class:`SmallCNN` — a 4-layer CNN for the 8x8 digits, the small-scale
  stand-in for the paper's "4-layer CNN on MNIST" (Deep Fusion section,
  Table 1): four 3x3 convolutions (BatchNorm + ReLU), 2x2 max-pooling after
  the 2nd and 4th, then a Linear map of the flattened 2x2 maps to
  ``out_dim``.

:func:`make_backbone` builds one by name with seeded initial weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from theory._validation import check_int
from theory.heads import seeded_init

__all__ = ["BACKBONE_NAMES", "MLPEncoder", "SmallCNN", "make_backbone"]

BACKBONE_NAMES = ("mlp", "cnn")


class MLPEncoder(nn.Module):
    """``n_layers`` Linear layers with ReLU between them: ``in_dim -> hidden_dim -> ... -> out_dim``.

    The output is the representation ``h`` (no activation after the last layer).
    """

    def __init__(self, in_dim: int, out_dim: int = 32, *, hidden_dim: int = 128, n_layers: int = 2) -> None:
        super().__init__()
        self.in_dim = check_int(in_dim, "in_dim", low=1)
        self.out_dim = check_int(out_dim, "out_dim", low=1)
        hidden_dim = check_int(hidden_dim, "hidden_dim", low=1)
        n_layers = check_int(n_layers, "n_layers", low=1)
        dims = [self.in_dim] + [hidden_dim] * (n_layers - 1) + [self.out_dim]
        layers: list[nn.Module] = []
        for k in range(n_layers):
            layers.append(nn.Linear(dims[k], dims[k + 1]))
            if k < n_layers - 1:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"x must have shape (n, {self.in_dim}), got {tuple(x.shape)}")
        return self.net(x)


class SmallCNN(nn.Module):
    """4-layer CNN for small images ``(n, C, H, W)`` with ``H, W`` divisible by 4.

    Parameters
    ----------
    in_channels : int, default 1
    out_dim : int, default 64
        Dimension of the representation ``h``.
    channels : sequence of 4 ints, default (16, 32, 32, 64)
    image_size : int, default 8
    batch_norm : bool, default True
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_dim: int = 64,
        *,
        channels: Sequence[int] = (16, 32, 32, 64),
        image_size: int = 8,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", low=1)
        self.out_dim = check_int(out_dim, "out_dim", low=1)
        self.image_size = check_int(image_size, "image_size", low=4)
        if self.image_size % 4:
            raise ValueError(f"image_size must be divisible by 4, got {self.image_size}")
        channels = [check_int(c, "channels", low=1) for c in channels]
        if len(channels) != 4:
            raise ValueError(f"channels must have 4 entries (one per conv layer), got {len(channels)}")
        layers: list[nn.Module] = []
        c_in = self.in_channels
        for k, c in enumerate(channels):
            layers.append(nn.Conv2d(c_in, c, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(c))
            layers.append(nn.ReLU())
            if k in (1, 3):
                layers.append(nn.MaxPool2d(2))
            c_in = c
        self.conv = nn.Sequential(*layers)
        side = self.image_size // 4
        self.fc = nn.Linear(channels[-1] * side * side, self.out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.image_size
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.in_channels, s, s):
            raise ValueError(f"x must have shape (n, {self.in_channels}, {s}, {s}), got {tuple(x.shape)}")
        return self.fc(self.conv(x).flatten(1))


def make_backbone(name: str, input_shape: Sequence[int], out_dim: int = 64, *, seed: int | None = None, **kw: Any):
    """Build a backbone by name.

    Parameters
    ----------
    name : {"mlp", "cnn"}
    input_shape : tuple
        Shape of one input: ``(d,)`` for ``"mlp"``, ``(C, H, W)`` with
        ``H == W`` for ``"cnn"``.
    out_dim : int
        Dimension of the representation.
    seed : int, optional
        Seed of the initial weights.
    **kw
        Passed to :class:`MLPEncoder` / :class:`SmallCNN`.
    """
    if name not in BACKBONE_NAMES:
        raise ValueError(f"backbone must be one of {', '.join(BACKBONE_NAMES)}, got {name!r}")
    shape = tuple(int(s) for s in input_shape)
    with seeded_init(seed):
        if name == "mlp":
            if len(shape) != 1:
                raise ValueError(f"input_shape must be (d,) for the mlp backbone, got {shape}")
            return MLPEncoder(shape[0], out_dim, **kw)
        if len(shape) != 3 or shape[1] != shape[2]:
            raise ValueError(f"input_shape must be (C, H, H) for the cnn backbone, got {shape}")
        return SmallCNN(shape[0], out_dim, image_size=shape[1], **kw)
