"""The Deep Fusion authors' projection head and their FFN baseline (Li & Pimentel-Alarcón).

Written from the description of their published architecture (the
``TransFusion`` block), next to the package's own textbook
:class:`theory.heads.TransformerHead`; ``docs/transformer_head.md`` lists the
differences.  One block, on a sequence ``x`` of shape ``(L, d)`` (the batch of
backbone features: attention runs across the samples)::

    q, k, v = Q x, K x, V x                     # three Linear(d, d) maps ...
    a = MHA(q, k, v)                            # ... before a standard multi-head attention
                                                #     with its own in-projections and out-projection
    x = norm1(x + r_att * a)                    # scalar residual weight, optional norm
    x = norm2(x + r_ffn * FFN(x))               # FFN = Linear(d, F) -> act -> Linear(F, d)

with ``norm`` one of ``"batch"`` (BatchNorm over the sequence, i.e. the
batch), ``"layer"``, ``"group"`` (``n_groups`` groups) or ``"none"`` and
``act`` ReLU or GELU.  The head is ``n_layers`` blocks followed by
``Linear(d, out)`` and a BatchNorm whose shift (bias) is frozen at 0.

:class:`DeepFusionFFNHead` is their FFN baseline: ``n_layers`` times
``Linear(d, d) -> BatchNorm -> ReLU``, then the same final ``Linear`` +
frozen-bias BatchNorm.

Both heads take the width ``d`` from their input (the authors map the
backbone's output to ``d`` with a Linear layer that belongs to the backbone;
the package's backbones end in that map).  The attention of one block is
``softmax((W_q^in Q x)(W_k^in K x)^T / sqrt(d_h))`` per head, computed by
``torch.nn.functional.scaled_dot_product_attention`` (the fused kernel) when
the maps are not asked for, and explicitly when they are.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from theory._validation import check_int, check_scalar

__all__ = ["DEEPFUSION_NORMS", "DEEPFUSION_ACTIVATIONS", "DeepFusionBlock", "DeepFusionHead", "DeepFusionFFNHead",
           "deepfusion_parameter_count"]

DEEPFUSION_NORMS = ("batch", "layer", "group", "none")
DEEPFUSION_ACTIVATIONS = ("relu", "gelu")


def _norm(kind: str, width: int, n_groups: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    if kind == "group":
        return nn.GroupNorm(n_groups, width)
    return nn.Identity()


def _check_sequence(x: torch.Tensor, width: int) -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != width:
        raise ValueError(f"x must have shape (L, {width}) (one sequence: the batch), got {tuple(x.shape)}")


class _FrozenShiftBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d whose bias stays 0 (not trained): the authors' last layer."""

    def __init__(self, width: int) -> None:
        super().__init__(width)
        self.bias.requires_grad_(False)


class DeepFusionBlock(nn.Module):
    """One block of the authors' head (see the module docstring).

    Parameters
    ----------
    width : int
        ``d``.
    n_heads : int
        Attention heads; must divide ``width``.
    ffn_dim : int, optional
        Hidden width ``F`` of the feed-forward network (default ``4 * width``).
    norm : {"batch", "layer", "group", "none"}, default "batch"
    activation : {"relu", "gelu"}, default "relu"
    residual_attention, residual_ffn : float, default 1.0
        Scalar weights of the two residual branches (finite).
    n_groups : int, default 32
        Groups of ``norm="group"`` (must divide ``width``).
    """

    def __init__(self, width: int, n_heads: int, *, ffn_dim: int | None = None, norm: str = "batch",
                 activation: str = "relu", residual_attention: float = 1.0, residual_ffn: float = 1.0,
                 n_groups: int = 32) -> None:
        super().__init__()
        self.width = check_int(width, "width", low=1)
        self.n_heads = check_int(n_heads, "n_heads", low=1)
        if self.width % self.n_heads:
            raise ValueError(f"n_heads must divide width, got width={self.width}, n_heads={self.n_heads}")
        if norm not in DEEPFUSION_NORMS:
            raise ValueError(f"norm must be one of {', '.join(DEEPFUSION_NORMS)}, got {norm!r}")
        if activation not in DEEPFUSION_ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(DEEPFUSION_ACTIVATIONS)}, got {activation!r}")
        n_groups = check_int(n_groups, "n_groups", low=1)
        if norm == "group" and self.width % n_groups:
            raise ValueError(f"n_groups must divide width for norm='group', got width={self.width}, n_groups={n_groups}")
        self.ffn_dim = 4 * self.width if ffn_dim is None else check_int(ffn_dim, "ffn_dim", low=1)
        self.d_head = self.width // self.n_heads
        d = self.width
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.in_proj = nn.Linear(d, 3 * d)  # the multi-head attention's own q/k/v in-projections, stacked
        self.out_proj = nn.Linear(d, d)
        self.norm1, self.norm2 = _norm(norm, d, n_groups), _norm(norm, d, n_groups)
        act = nn.ReLU() if activation == "relu" else nn.GELU()
        self.ffn = nn.Sequential(nn.Linear(d, self.ffn_dim), act, nn.Linear(self.ffn_dim, d))
        self.register_buffer("residual_attention",
                             torch.tensor(check_scalar(residual_attention, "residual_attention")))
        self.register_buffer("residual_ffn", torch.tensor(check_scalar(residual_ffn, "residual_ffn")))

    def forward(self, x: torch.Tensor, need_weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return ``(output, attention)``; ``attention`` has shape ``(n_heads, L, L)`` when asked for."""
        _check_sequence(x, self.width)
        L, d = x.shape
        w_q, w_k, w_v = self.in_proj.weight.chunk(3, dim=0)
        b_q, b_k, b_v = self.in_proj.bias.chunk(3, dim=0)
        q = F.linear(self.query(x), w_q, b_q)
        k = F.linear(self.key(x), w_k, b_k)
        v = F.linear(self.value(x), w_v, b_v)
        q, k, v = (t.reshape(L, self.n_heads, self.d_head).transpose(0, 1) for t in (q, k, v))  # (h, L, d_h)
        attention = None
        if need_weights:
            attention = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.d_head), dim=-1)
            heads = attention @ v
        else:  # 4-d inputs select the fused kernel
            heads = F.scaled_dot_product_attention(q[None], k[None], v[None])[0]
        a = self.out_proj(heads.transpose(0, 1).reshape(L, d))
        x = self.norm1(x + self.residual_attention * a)
        x = self.norm2(x + self.residual_ffn * self.ffn(x))
        return x, attention


class DeepFusionHead(nn.Module):
    """The authors' transformer projection head: ``n_layers`` :class:`DeepFusionBlock` s, ``Linear``, BatchNorm.

    Parameters
    ----------
    in_dim : int
        Backbone output dimension, the width ``d`` of every block.
    out_dim : int
        Embedding dimension.
    n_layers : int, default 4
    n_heads : int, default 4
    ffn_dim, norm, activation, residual_attention, residual_ffn, n_groups
        See :class:`DeepFusionBlock`.
    """

    def __init__(self, in_dim: int, out_dim: int, *, n_layers: int = 4, n_heads: int = 4, ffn_dim: int | None = None,
                 norm: str = "batch", activation: str = "relu", residual_attention: float = 1.0,
                 residual_ffn: float = 1.0, n_groups: int = 32) -> None:
        super().__init__()
        self.in_dim = check_int(in_dim, "in_dim", low=1)
        self.out_dim = check_int(out_dim, "out_dim", low=1)
        self.n_layers = check_int(n_layers, "n_layers", low=1)
        self.blocks = nn.ModuleList(
            DeepFusionBlock(self.in_dim, n_heads, ffn_dim=ffn_dim, norm=norm, activation=activation,
                            residual_attention=residual_attention, residual_ffn=residual_ffn, n_groups=n_groups)
            for _ in range(self.n_layers)
        )
        self.output = nn.Linear(self.in_dim, self.out_dim)
        self.output_norm = _FrozenShiftBatchNorm(self.out_dim)

    @property
    def last_linear(self) -> nn.Linear:
        """The output Linear layer (the one SparseHead's penalty acts on)."""
        return self.output

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        """Project one sequence ``(L, in_dim)``; with ``return_attention`` also ``(n_layers, n_heads, L, L)``."""
        _check_sequence(x, self.in_dim)
        maps = []
        for block in self.blocks:
            x, attention = block(x, return_attention)
            if return_attention:
                maps.append(attention)
        z = self.output_norm(self.output(x))
        if return_attention:
            return z, torch.stack(maps)
        return z


class DeepFusionFFNHead(nn.Module):
    """The authors' FFN baseline: ``n_layers`` x (``Linear(d, d)``, BatchNorm, ReLU), then ``Linear`` + BatchNorm."""

    def __init__(self, in_dim: int, out_dim: int, *, n_layers: int = 4) -> None:
        super().__init__()
        self.in_dim = check_int(in_dim, "in_dim", low=1)
        self.out_dim = check_int(out_dim, "out_dim", low=1)
        self.n_layers = check_int(n_layers, "n_layers", low=1)
        d = self.in_dim
        self.layers = nn.Sequential(*[m for _ in range(self.n_layers)
                                      for m in (nn.Linear(d, d), nn.BatchNorm1d(d), nn.ReLU())])
        self.output = nn.Linear(d, self.out_dim)
        self.output_norm = _FrozenShiftBatchNorm(self.out_dim)

    @property
    def last_linear(self) -> nn.Linear:
        return self.output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_sequence(x, self.in_dim)
        return self.output_norm(self.output(self.layers(x)))


def deepfusion_parameter_count(name: str, in_dim: int, out_dim: int, **kw) -> int:
    """Trainable parameters of :class:`DeepFusionHead` (``"deepfusion"``) or :class:`DeepFusionFFNHead`.

    Block of width ``d``, FFN width ``F``: ``3 (d^2 + d)`` (the Q/K/V maps) ``+ 4 (d^2 + d)`` (the attention's
    in- and out-projections) ``+ 2 d F + F + d`` (FFN) ``+ 4 d`` (two batch/layer/group norms; 0 with
    ``"none"``); FFN baseline layer: ``d^2 + d + 2 d``; both end in ``(d + 1) out + out`` (the Linear and the
    BatchNorm's scale; its shift is frozen).
    """
    d = check_int(in_dim, "in_dim", low=1)
    out = check_int(out_dim, "out_dim", low=1)
    L = check_int(kw.get("n_layers", 4), "n_layers", low=1)
    tail = (d + 1) * out + out
    if name == "deepfusion_ffn":
        return L * (d * d + 3 * d) + tail
    f = kw.get("ffn_dim")
    f = 4 * d if f is None else check_int(f, "ffn_dim", low=1)
    norm = 0 if kw.get("norm", "batch") == "none" else 4 * d
    return L * (7 * (d * d + d) + 2 * d * f + f + d + norm) + tail
