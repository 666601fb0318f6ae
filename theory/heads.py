"""Projection heads for SimCLR: identity, linear, MLP (FFN) and transformer.

Li & Pimentel-Alarcón ("Transformer Projection Head"): a projection head
maps the backbone representation ``h`` to the embedding ``z`` on which the
NT-Xent loss (eq. 1, :func:`theory.ntxent.nt_xent`) is computed.  The
transformer head treats the whole batch of backbone embeddings as ONE
sequence, so its attention runs *across the samples of the batch*:

.. math::

    \\mathrm{head}_i = \\mathrm{softmax}\\Big(
        \\frac{(X W_i^Q)(X W_i^K)^\\top}{\\sqrt{d_k}}\\Big) X W_i^V,
    \\qquad
    \\mathrm{MultiHead}(X) = \\mathrm{Concat}(\\mathrm{head}_1, \\dots,
        \\mathrm{head}_h) W^O,

followed in each block by a position-wise GELU feed-forward network, with
residual connections and LayerNorm (pre- or post-norm).  There is no
positional encoding, so the head is permutation equivariant: permuting the
batch permutes its outputs and the rows and columns of every attention
matrix, and nothing else depends on the order of the batch (tested in
``tests/test_heads.py``).  The attention is *not* causally masked although
the paper calls its blocks "decoder" blocks: a causal mask would make the
result depend on the arbitrary order of a shuffled batch (see
``docs/transformer_head.md``).

All heads share one call signature ``head(x) -> z`` with ``x`` of shape
``(L, in_dim)`` (one sequence / batch) or ``(B, L, in_dim)`` (``B``
independent sequences); the transformer also has
``head(x, return_attention=True) -> (z, attention)`` with ``attention`` of
shape ``(n_layers, n_heads, L, L)`` (or ``(B, n_layers, n_heads, L, L)``),
rows summing to one.

:func:`make_head` builds a head by name; :func:`head_parameter_count` gives
its parameter count in closed form (checked against the built module in the
tests) and :func:`match_hidden_dim` picks the FFN width that matches a given
parameter budget, for the paper's FFN-vs-transformer comparison at matched
parameter counts (Table 2).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from theory._validation import check_int, check_scalar

try:  # torch is a hard dependency of this module; keep the import explicit
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover
    raise ImportError("theory.heads needs torch (pip install torch)") from exc

__all__ = [
    "HEAD_NAMES",
    "IdentityHead",
    "LinearHead",
    "MLPHead",
    "MultiHeadSelfAttention",
    "TransformerBlock",
    "TransformerHead",
    "make_head",
    "count_parameters",
    "head_parameter_count",
    "match_hidden_dim",
    "seeded_init",
]

#: Names accepted by :func:`make_head` (``"none"`` is an alias of ``"identity"``).
HEAD_NAMES = ("none", "identity", "linear", "mlp", "transformer", "deepfusion", "deepfusion_ffn")

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU}


def _activation(name: str) -> nn.Module:
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[name]()


def _check_input(x: torch.Tensor, in_dim: int) -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim not in (2, 3) or x.shape[-1] != in_dim:
        raise ValueError(f"x must have shape (L, {in_dim}) or (B, L, {in_dim}), got {tuple(x.shape)}")


@contextlib.contextmanager
def seeded_init(seed: int | None):
    """Context manager: draw torch's global RNG from ``seed`` inside, restore it after.

    Module constructors use torch's global generator for their initial
    weights; wrapping a construction in ``seeded_init(seed)`` makes it
    reproducible without leaving the global state changed.  ``None`` is a
    no-op.
    """
    if seed is None:
        yield
        return
    seed = check_int(seed, "seed", low=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# --------------------------------------------------------------------- simple


class IdentityHead(nn.Module):
    """No projection head: ``z = h`` (``out_dim == in_dim``)."""

    def __init__(self, in_dim: int) -> None:
        super().__init__()
        self.in_dim = self.out_dim = check_int(in_dim, "in_dim", low=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_dim)
        return x


class LinearHead(nn.Module):
    """A linear projection head ``z = W h + b``."""

    def __init__(self, in_dim: int, out_dim: int, *, bias: bool = True) -> None:
        super().__init__()
        self.in_dim = check_int(in_dim, "in_dim", low=1)
        self.out_dim = check_int(out_dim, "out_dim", low=1)
        self.linear = nn.Linear(self.in_dim, self.out_dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_dim)
        return self.linear(x)


class MLPHead(nn.Module):
    """The paper's feed-forward (FFN) head: ``n_layers`` Linear layers with activations between.

    Parameters
    ----------
    in_dim, out_dim : int
        Input (backbone) and output (embedding) dimensions.
    hidden_dim : int, default 128
        Width of every hidden layer.
    n_layers : int, default 2
        Number of Linear layers (>= 1; 1 is a linear head).  The paper's
        "small" FFN head has 5 layers of width 640 (Experiment section).
    activation : {"relu", "gelu"}
        Non-linearity between Linear layers (none after the last).
    bias : bool, default True
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        *,
        hidden_dim: int = 128,
        n_layers: int = 2,
        activation: str = "relu",
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_dim = check_int(in_dim, "in_dim", low=1)
        self.out_dim = check_int(out_dim, "out_dim", low=1)
        self.hidden_dim = check_int(hidden_dim, "hidden_dim", low=1)
        self.n_layers = check_int(n_layers, "n_layers", low=1)
        dims = [self.in_dim] + [self.hidden_dim] * (self.n_layers - 1) + [self.out_dim]
        layers: list[nn.Module] = []
        for k in range(self.n_layers):
            layers.append(nn.Linear(dims[k], dims[k + 1], bias=bias))
            if k < self.n_layers - 1:
                layers.append(_activation(activation))
        self.net = nn.Sequential(*layers)

    @property
    def last_linear(self) -> nn.Linear:
        """The last Linear layer (the one a sparsity penalty usually acts on)."""
        return self.net[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_dim)
        return self.net(x)


# ---------------------------------------------------------------- transformer


class MultiHeadSelfAttention(nn.Module):
    """Multi-head scaled-dot-product self-attention over the sequence axis (dim -2).

    ``MultiHead(X) = Concat(head_1..head_h) W^O`` with
    ``head_i = softmax((X W_i^Q)(X W_i^K)^T / sqrt(d_k)) X W_i^V`` and
    ``d_k = width / n_heads``.  No mask, no positional encoding.
    """

    def __init__(self, width: int, n_heads: int, *, bias: bool = True) -> None:
        super().__init__()
        self.width = check_int(width, "width", low=1)
        self.n_heads = check_int(n_heads, "n_heads", low=1)
        if self.width % self.n_heads:
            raise ValueError(f"n_heads must divide width, got width={self.width}, n_heads={self.n_heads}")
        self.d_k = self.width // self.n_heads
        self.qkv = nn.Linear(self.width, 3 * self.width, bias=bias)
        self.out = nn.Linear(self.width, self.width, bias=bias)

    def forward(self, x: torch.Tensor, need_weights: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return ``(output, attention)``; ``attention`` has shape ``(..., n_heads, L, L)``.

        With ``need_weights=False`` the same quantity is computed by
        ``torch.nn.functional.scaled_dot_product_attention`` (fused kernels,
        no ``L x L`` matrix kept for the backward pass) and ``attention`` is
        ``None``; the two paths agree to rounding (tested).
        """
        *lead, L, _ = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)

        def split(t: torch.Tensor) -> torch.Tensor:  # (..., L, width) -> (..., h, L, d_k)
            return t.reshape(*lead, L, self.n_heads, self.d_k).transpose(-3, -2)

        q, k, v = split(q), split(k), split(v)
        if not need_weights:
            # 4-d inputs select torch's fused (flash) CPU kernel; 3-d ones fall back to the math path
            q4, k4, v4 = (t.reshape(-1, self.n_heads, L, self.d_k) for t in (q, k, v))
            heads = F.scaled_dot_product_attention(q4, k4, v4).reshape(*lead, self.n_heads, L, self.d_k)
            return self.out(heads.transpose(-3, -2).reshape(*lead, L, self.width)), None
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)
        attention = torch.softmax(scores, dim=-1)
        heads = attention @ v  # (..., h, L, d_k)
        merged = heads.transpose(-3, -2).reshape(*lead, L, self.width)
        return self.out(merged), attention


class TransformerBlock(nn.Module):
    """One transformer block: self-attention + GELU feed-forward, residuals, LayerNorm.

    ``norm="pre"``:  ``x <- x + MHA(LN(x));  x <- x + FFN(LN(x))``
    ``norm="post"``: ``x <- LN(x + MHA(x));  x <- LN(x + FFN(x))`` (Vaswani et al.)
    """

    def __init__(
        self,
        width: int,
        n_heads: int,
        *,
        ffn_dim: int | None = None,
        norm: str = "pre",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if norm not in ("pre", "post"):
            raise ValueError(f"norm must be 'pre' or 'post', got {norm!r}")
        self.norm = norm
        ffn_dim = 4 * width if ffn_dim is None else check_int(ffn_dim, "ffn_dim", low=1)
        dropout = check_scalar(dropout, "dropout", low=0.0, high=1.0, closed="left")
        self.attn = MultiHeadSelfAttention(width, n_heads)
        self.ln1 = nn.LayerNorm(width)
        self.ln2 = nn.LayerNorm(width)
        self.ffn = nn.Sequential(nn.Linear(width, ffn_dim), nn.GELU(), nn.Linear(ffn_dim, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, need_weights: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.norm == "pre":
            a, attention = self.attn(self.ln1(x), need_weights)
            x = x + self.drop(a)
            x = x + self.drop(self.ffn(self.ln2(x)))
        else:
            a, attention = self.attn(x, need_weights)
            x = self.ln1(x + self.drop(a))
            x = self.ln2(x + self.drop(self.ffn(x)))
        return x, attention


class TransformerHead(nn.Module):
    """Transformer projection head: the batch of backbone embeddings is one sequence.

    ``x (L, in_dim) -> Linear -> n_layers x TransformerBlock -> [LN] -> Linear -> z (L, out_dim)``.
    The input/output Linear maps are omitted when ``in_dim`` / ``out_dim``
    equal ``width``; the final LayerNorm is used with pre-norm blocks only
    (post-norm blocks already end in one).

    Parameters
    ----------
    in_dim, out_dim : int
    width : int, default 64
        Model (feature) dimension ``d_model``; the paper's small head uses 128.
    n_layers : int, default 4
        Number of blocks (the paper's Table 1 uses 10).
    n_heads : int, default 4
        Attention heads; must divide ``width``.
    ffn_dim : int, optional
        Hidden width of the GELU feed-forward network (default ``4 * width``).
    norm : {"pre", "post"}, default "pre"
    dropout : float, default 0.0
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        *,
        width: int = 64,
        n_layers: int = 4,
        n_heads: int = 4,
        ffn_dim: int | None = None,
        norm: str = "pre",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_dim = check_int(in_dim, "in_dim", low=1)
        self.out_dim = check_int(out_dim, "out_dim", low=1)
        self.width = check_int(width, "width", low=1)
        self.n_layers = check_int(n_layers, "n_layers", low=1)
        self.n_heads = check_int(n_heads, "n_heads", low=1)
        if self.width % self.n_heads:
            raise ValueError(f"n_heads must divide width, got width={self.width}, n_heads={self.n_heads}")
        if norm not in ("pre", "post"):
            raise ValueError(f"norm must be 'pre' or 'post', got {norm!r}")
        self.norm = norm
        self.ffn_dim = 4 * self.width if ffn_dim is None else check_int(ffn_dim, "ffn_dim", low=1)
        self.input = nn.Identity() if self.in_dim == self.width else nn.Linear(self.in_dim, self.width)
        self.blocks = nn.ModuleList(
            TransformerBlock(self.width, self.n_heads, ffn_dim=self.ffn_dim, norm=norm, dropout=dropout)
            for _ in range(self.n_layers)
        )
        self.final_norm = nn.LayerNorm(self.width) if norm == "pre" else nn.Identity()
        self.output = nn.Identity() if self.out_dim == self.width else nn.Linear(self.width, self.out_dim)

    @property
    def last_linear(self) -> nn.Linear | None:
        """The output Linear layer (``None`` when ``out_dim == width``)."""
        return self.output if isinstance(self.output, nn.Linear) else None

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        """Project one sequence ``(L, in_dim)`` (or ``B`` sequences ``(B, L, in_dim)``).

        Returns
        -------
        z : torch.Tensor, shape (..., L, out_dim)
        attention : torch.Tensor, shape (..., n_layers, n_heads, L, L)
            Only when ``return_attention``: the softmax attention matrix of
            every layer and head (rows sum to one), in layer order.
        """
        _check_input(x, self.in_dim)
        t = self.input(x)
        maps = []
        for block in self.blocks:
            t, attention = block(t, return_attention)
            if return_attention:
                maps.append(attention)
        z = self.output(self.final_norm(t))
        if return_attention:
            return z, torch.stack(maps, dim=-4)
        return z


# -------------------------------------------------------------------- factory


def make_head(name: str, in_dim: int, out_dim: int | None = None, *, seed: int | None = None, **kw: Any) -> nn.Module:
    """Build a projection head by name.

    Parameters
    ----------
    name : {"none", "identity", "linear", "mlp", "transformer", "deepfusion", "deepfusion_ffn"}
        ``"none"`` / ``"identity"``: no head (``out_dim`` is ignored, the
        output dimension is ``in_dim``); ``"linear"``: :class:`LinearHead`;
        ``"mlp"``: :class:`MLPHead` (the paper's FFN head);
        ``"transformer"``: :class:`TransformerHead`; ``"deepfusion"`` /
        ``"deepfusion_ffn"``: the Deep Fusion authors' head and FFN baseline
        (:mod:`theory.deepfusion_head`).
    in_dim : int
        Backbone output dimension.
    out_dim : int, optional
        Embedding dimension (defaults to ``in_dim``).
    seed : int, optional
        Seed of the initial weights (see :func:`seeded_init`).
    **kw
        Passed to the head's constructor (e.g. ``hidden_dim``, ``n_layers``,
        ``activation`` for ``"mlp"``; ``width``, ``n_layers``, ``n_heads``,
        ``ffn_dim``, ``norm``, ``dropout`` for ``"transformer"``).
    """
    if name not in HEAD_NAMES:
        raise ValueError(f"head must be one of {', '.join(HEAD_NAMES)}, got {name!r}")
    in_dim = check_int(in_dim, "in_dim", low=1)
    out_dim = in_dim if out_dim is None else check_int(out_dim, "out_dim", low=1)
    with seeded_init(seed):
        if name in ("none", "identity"):
            if kw:
                raise ValueError(f"head {name!r} takes no options, got {sorted(kw)}")
            return IdentityHead(in_dim)
        if name == "linear":
            return LinearHead(in_dim, out_dim, **kw)
        if name == "mlp":
            return MLPHead(in_dim, out_dim, **kw)
        if name == "deepfusion":
            from theory.deepfusion_head import DeepFusionHead

            return DeepFusionHead(in_dim, out_dim, **kw)
        if name == "deepfusion_ffn":
            from theory.deepfusion_head import DeepFusionFFNHead

            return DeepFusionFFNHead(in_dim, out_dim, **kw)
        return TransformerHead(in_dim, out_dim, **kw)


def count_parameters(module: nn.Module, *, trainable_only: bool = True) -> int:
    """Number of (trainable) scalar parameters of ``module``."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only))


def head_parameter_count(name: str, in_dim: int, out_dim: int | None = None, **kw: Any) -> int:
    """Closed-form parameter count of ``make_head(name, in_dim, out_dim, **kw)`` (no module built).

    MLP with ``L`` layers of width ``w``: ``(in+1) w + (L-2)(w+1) w + (w+1) out``
    (``(in+1) out`` when ``L = 1``).  Transformer with width ``d``, ``F =
    ffn_dim``: per block ``4 d^2 + 4 d`` (attention) ``+ 2 d F + F + d`` (FFN)
    ``+ 4 d`` (two LayerNorms), plus the input/output maps and the final
    LayerNorm (pre-norm only).
    """
    if name not in HEAD_NAMES:
        raise ValueError(f"head must be one of {', '.join(HEAD_NAMES)}, got {name!r}")
    in_dim = check_int(in_dim, "in_dim", low=1)
    out_dim = in_dim if out_dim is None else check_int(out_dim, "out_dim", low=1)
    if name in ("none", "identity"):
        return 0
    if name in ("deepfusion", "deepfusion_ffn"):
        from theory.deepfusion_head import deepfusion_parameter_count

        return deepfusion_parameter_count(name, in_dim, out_dim, **kw)
    if name == "linear":
        return in_dim * out_dim + (out_dim if kw.get("bias", True) else 0)
    if name == "mlp":
        w = check_int(kw.get("hidden_dim", 128), "hidden_dim", low=1)
        L = check_int(kw.get("n_layers", 2), "n_layers", low=1)
        b = 1 if kw.get("bias", True) else 0
        if L == 1:
            return (in_dim + b) * out_dim
        return (in_dim + b) * w + (L - 2) * (w + b) * w + (w + b) * out_dim
    d = check_int(kw.get("width", 64), "width", low=1)
    L = check_int(kw.get("n_layers", 4), "n_layers", low=1)
    f = kw.get("ffn_dim")
    f = 4 * d if f is None else check_int(f, "ffn_dim", low=1)
    norm = kw.get("norm", "pre")
    block = (4 * d * d + 4 * d) + (2 * d * f + f + d) + 4 * d
    total = L * block
    total += 0 if in_dim == d else (in_dim + 1) * d
    total += 0 if out_dim == d else (d + 1) * out_dim
    total += 2 * d if norm == "pre" else 0
    return total


def match_hidden_dim(target: int, in_dim: int, out_dim: int, *, n_layers: int = 2, bias: bool = True) -> int:
    """Hidden width of an MLP head whose parameter count is closest to ``target``.

    The count is increasing in the width, so a bisection over the closed form
    :func:`head_parameter_count` finds the best integer width; ties go to the
    smaller width.
    """
    target = check_int(target, "target", low=1)
    n_layers = check_int(n_layers, "n_layers", low=2)

    def count(w: int) -> int:
        return head_parameter_count("mlp", in_dim, out_dim, hidden_dim=w, n_layers=n_layers, bias=bias)

    lo, hi = 1, 1
    while count(hi) < target:
        hi *= 2
    while hi - lo > 1:  # invariant: count(lo) < target <= count(hi), or lo == 1
        mid = (lo + hi) // 2
        if count(mid) < target:
            lo = mid
        else:
            hi = mid
    return lo if abs(count(lo) - target) <= abs(count(hi) - target) else hi
