"""Forward+backward throughput and memory of the projection heads.

For batch sizes 256 and 1024 (the transformer head sees ONE sequence of
that length), times a forward+backward pass of

* ``mlp``          — the FFN head, width matched to the transformer's parameter count,
* ``transformer``  — :class:`theory.heads.TransformerHead` (fused attention, no maps),
* ``tf+maps``      — the same head called with ``return_attention=True`` (explicit softmax, the
  ``L x L`` maps kept): the naive path,
* ``torch-encoder``— the same architecture built from ``torch.nn.TransformerEncoderLayer``
  (fused kernels, no maps): the naive-vs-library reference for our attention,
* ``linear``       — a linear head,
* ``deepfusion``   — the Deep Fusion authors' head (:mod:`theory.deepfusion_head`, 4 blocks of width 128,
  BatchNorm, fused attention), and ``df+maps`` the same with the attention maps,
* ``deepfusion_ffn`` — their FFN baseline (4 x Linear + BatchNorm + ReLU),

and prints samples/s, the ratio to the MLP head and to the torch encoder,
and the memory the backward pass keeps (bytes of the tensors autograd saves,
counted with ``torch.autograd.graph.saved_tensors_hooks``; on a GPU also the
peak allocated memory).  Runs on the CPU and, when present, on CUDA.

Usage::

    python benchmarks/bench_heads.py [--batches 256 1024] [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from theory.heads import count_parameters, head_parameter_count, make_head, match_hidden_dim

IN_DIM, OUT_DIM = 128, 64
TF = dict(width=128, n_layers=4, n_heads=4, norm="pre")


class TorchEncoderHead(nn.Module):
    """The transformer head's architecture from torch's own encoder layers (reference)."""

    def __init__(self, in_dim, out_dim, width, n_layers, n_heads, norm):
        super().__init__()
        self.input = nn.Identity() if in_dim == width else nn.Linear(in_dim, width)
        layer = nn.TransformerEncoderLayer(
            width, n_heads, 4 * width, dropout=0.0, activation="gelu", batch_first=True, norm_first=(norm == "pre")
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.final_norm = nn.LayerNorm(width)
        self.output = nn.Linear(width, out_dim)

    def forward(self, x):
        return self.output(self.final_norm(self.encoder(self.input(x)[None])[0]))


def heads():
    target = head_parameter_count("transformer", IN_DIM, OUT_DIM, **TF)
    hidden = match_hidden_dim(target, IN_DIM, OUT_DIM, n_layers=3)
    return {
        "linear": make_head("linear", IN_DIM, OUT_DIM, seed=0),
        "mlp": make_head("mlp", IN_DIM, OUT_DIM, seed=0, hidden_dim=hidden, n_layers=3, activation="gelu"),
        "transformer": make_head("transformer", IN_DIM, OUT_DIM, seed=0, **TF),
        "tf+maps": WithMaps(make_head("transformer", IN_DIM, OUT_DIM, seed=0, **TF)),
        "torch-encoder": TorchEncoderHead(IN_DIM, OUT_DIM, **TF),
        "deepfusion": make_head("deepfusion", IN_DIM, OUT_DIM, seed=0, n_layers=4, n_heads=4),
        "df+maps": WithMaps(make_head("deepfusion", IN_DIM, OUT_DIM, seed=0, n_layers=4, n_heads=4)),
        "deepfusion_ffn": make_head("deepfusion_ffn", IN_DIM, OUT_DIM, seed=0, n_layers=4),
    }


class WithMaps(nn.Module):
    """Call the transformer head with ``return_attention=True`` (explicit attention)."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, x):
        z, maps = self.head(x, return_attention=True)
        return z + 0.0 * maps.sum()


def saved_bytes(head, x) -> int:
    """Bytes of the distinct tensors autograd saves for the backward pass of ``head(x).sum()``."""
    seen: dict[tuple, int] = {}

    def pack(t):
        key = (t.data_ptr(), t.numel(), t.dtype)
        seen[key] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        head(x).sum()
    return sum(seen.values())


def bench(head, batch, device, repeats):
    head = head.to(device)
    x = torch.randn(batch, IN_DIM, device=device, requires_grad=False)

    def step():
        head.zero_grad(set_to_none=True)
        head(x).square().mean().backward()

    for _ in range(2):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    peak = torch.cuda.max_memory_allocated() if device.type == "cuda" else None
    return min(times), saved_bytes(head, x), peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    hs = heads()
    print(f"heads: in={IN_DIM}, out={OUT_DIM}, transformer {TF}; parameters: "
          + ", ".join(f"{k}={count_parameters(v):,}" for k, v in hs.items()))
    for device in devices:
        for batch in args.batches:
            rows = {name: bench(h, batch, device, args.repeats) for name, h in hs.items()}
            base, ref = rows["mlp"][0], rows["torch-encoder"][0]
            print(f"\n{device.type}, batch (sequence length) {batch}, threads {args.threads}, best of {args.repeats}:")
            print(f"  {'head':<14}{'samples/s':>12}{'time/mlp':>10}{'time/torch':>12}{'saved MiB':>11}{'peak MiB':>10}")
            for name, (t, saved, peak) in rows.items():
                pk = f"{peak / 2**20:10.1f}" if peak is not None else f"{'-':>10}"
                print(f"  {name:<14}{batch / t:12.0f}{t / base:10.2f}{t / ref:12.2f}{saved / 2**20:11.2f}{pk}")


if __name__ == "__main__":
    main()
