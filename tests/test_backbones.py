"""Backbones against independent forward passes written with numpy loops.

The oracles share no code with :mod:`theory.backbones`: the MLP is a chain of
matrix products, the CNN a brute-force 3x3 cross-correlation over the nine
kernel offsets, BatchNorm from the batch's own mean and biased variance (or
the running statistics in eval mode), 2x2 max-pooling by reshaping, and the
flattening in (channel, row, column) order.  The weights are read from the
module and randomised first (BatchNorm's affine parameters and running
statistics included), so a dropped layer, a missing activation, a pooling
step in the wrong place, a wrong padding or a transposed flattening changes
the output far beyond float64 rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from theory.backbones import BACKBONE_NAMES, MLPEncoder, SmallCNN, make_backbone

from _budget import examples

RTOL = 1e-10  # float64 forward passes of a few hundred terms each


def _randomise(module: nn.Module, seed: int) -> None:
    """Give every parameter and BatchNorm buffer a generic value (no zero bias, no unit scale)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g, dtype=m.running_mean.dtype))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g, dtype=m.running_var.dtype))


# ------------------------------------------------------------------- MLP


def _mlp_oracle(x: np.ndarray, weights: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    h = x
    for k, (W, b) in enumerate(weights):
        h = h @ W.T + b
        if k < len(weights) - 1:
            h = np.maximum(h, 0.0)
    return h


@settings(max_examples=examples(25), deadline=None)
@given(
    in_dim=st.integers(1, 5),
    out_dim=st.integers(1, 4),
    hidden=st.integers(1, 6),
    n_layers=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
@example(in_dim=1, out_dim=1, hidden=1, n_layers=1, seed=0)
@example(in_dim=3, out_dim=2, hidden=4, n_layers=4, seed=1)
def test_mlp_forward_matches_a_chain_of_matrix_products(in_dim, out_dim, hidden, n_layers, seed):
    enc = MLPEncoder(in_dim, out_dim, hidden_dim=hidden, n_layers=n_layers).double()
    _randomise(enc, seed)
    linears = [m for m in enc.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == n_layers
    weights = [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in linears]
    dims = [in_dim] + [hidden] * (n_layers - 1) + [out_dim]
    assert [W.shape for W, _ in weights] == [(dims[k + 1], dims[k]) for k in range(n_layers)]
    x = np.random.default_rng(seed).standard_normal((7, in_dim))
    out = enc(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, _mlp_oracle(x, weights), rtol=RTOL, atol=RTOL)


def test_mlp_output_is_not_rectified_and_hidden_layers_are():
    """The representation can be negative (no ReLU after the last layer); a hidden ReLU is active."""
    enc = MLPEncoder(3, 2, hidden_dim=8, n_layers=2).double()
    _randomise(enc, 3)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((200, 3)))
    out = enc(x)
    assert (out < 0).any()
    hidden = enc.net[0](x)
    assert (hidden < 0).any()  # so the ReLU after it changes something
    assert torch.equal(enc.net[1](hidden), hidden.clamp_min(0))


def test_mlp_parameter_count_in_closed_form():
    for d, o, h, L in [(5, 3, 7, 1), (5, 3, 7, 2), (2, 9, 4, 3)]:
        dims = [d] + [h] * (L - 1) + [o]
        want = sum(dims[k] * dims[k + 1] + dims[k + 1] for k in range(L))
        assert sum(p.numel() for p in MLPEncoder(d, o, hidden_dim=h, n_layers=L).parameters()) == want
    assert MLPEncoder(4).out_dim == 32
    assert [m.out_features for m in MLPEncoder(4).modules() if isinstance(m, nn.Linear)] == [128, 32]


# ------------------------------------------------------------------- CNN


def _conv3x3(x: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Cross-correlation with a 3x3 kernel and zero padding 1, by its nine offsets."""
    n, _, H, Wd = x.shape
    xp = np.zeros((n, x.shape[1], H + 2, Wd + 2))
    xp[:, :, 1:-1, 1:-1] = x
    out = np.zeros((n, W.shape[0], H, Wd))
    for a in range(3):
        for c in range(3):
            patch = xp[:, :, a : a + H, c : c + Wd]  # (n, C_in, H, W)
            out += np.einsum("nchw,oc->nohw", patch, W[:, :, a, c])
    if b is not None:
        out += b[None, :, None, None]
    return out


def _batch_norm(x, gamma, beta, mean=None, var=None, eps=1e-5):
    if mean is None:  # training mode: the batch's statistics, biased variance
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
    return (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + eps) * gamma[
        None, :, None, None
    ] + beta[None, :, None, None]


def _max_pool2(x):
    n, c, H, W = x.shape
    return x.reshape(n, c, H // 2, 2, W // 2, 2).max(axis=(3, 5))


def _cnn_oracle(x: np.ndarray, cnn: SmallCNN, *, batch_norm: bool, training: bool) -> np.ndarray:
    convs = [m for m in cnn.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in cnn.modules() if isinstance(m, nn.BatchNorm2d)]
    h = x
    for k, conv in enumerate(convs):
        W = conv.weight.detach().numpy()
        assert W.shape[2:] == (3, 3)
        h = _conv3x3(h, W, None if conv.bias is None else conv.bias.detach().numpy())
        if batch_norm:
            bn = bns[k]
            stats = {} if training else {"mean": bn.running_mean.numpy(), "var": bn.running_var.numpy()}
            h = _batch_norm(h, bn.weight.detach().numpy(), bn.bias.detach().numpy(), **stats)
        h = np.maximum(h, 0.0)
        if k in (1, 3):
            h = _max_pool2(h)
    flat = h.reshape(h.shape[0], -1)  # (channel, row, column) order
    return flat @ cnn.fc.weight.detach().numpy().T + cnn.fc.bias.detach().numpy()


@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("in_channels,image_size,channels", [(1, 8, (3, 4, 2, 5)), (2, 12, (2, 3, 3, 2)), (1, 4, (1, 1, 1, 1))])
def test_cnn_forward_matches_brute_force_convolutions(batch_norm, training, in_channels, image_size, channels):
    cnn = SmallCNN(in_channels, 3, channels=channels, image_size=image_size, batch_norm=batch_norm).double()
    _randomise(cnn, 7)
    cnn.train(training)
    x = np.random.default_rng(1).standard_normal((5, in_channels, image_size, image_size))
    out = cnn(torch.from_numpy(x)).detach().numpy()
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out, _cnn_oracle(x, cnn, batch_norm=batch_norm, training=training), rtol=1e-9, atol=1e-9)


def test_cnn_layers_and_parameter_count_in_closed_form():
    for bn in (True, False):
        cin, out, ch, s = 2, 6, (3, 4, 5, 7), 8
        cnn = SmallCNN(cin, out, channels=ch, image_size=s, batch_norm=bn)
        dims = (cin,) + ch
        conv = sum(9 * dims[k] * dims[k + 1] + (0 if bn else dims[k + 1]) for k in range(4))
        norm = sum(2 * c for c in ch) if bn else 0
        fc = ch[-1] * (s // 4) ** 2 * out + out
        assert sum(p.numel() for p in cnn.parameters()) == conv + norm + fc
        convs = [m for m in cnn.modules() if isinstance(m, nn.Conv2d)]
        assert [c.bias is None for c in convs] == [bn] * 4  # BatchNorm's shift replaces the bias
        assert all(c.padding == (1, 1) and c.kernel_size == (3, 3) and c.stride == (1, 1) for c in convs)
        assert sum(isinstance(m, nn.BatchNorm2d) for m in cnn.modules()) == (4 if bn else 0)
    default = SmallCNN()
    assert (default.in_channels, default.out_dim, default.image_size) == (1, 64, 8)
    assert [m.out_channels for m in default.modules() if isinstance(m, nn.Conv2d)] == [16, 32, 32, 64]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in default.modules()) == 4


def test_cnn_pools_after_the_second_and_fourth_convolutions():
    """The spatial size seen by each convolution: s, s, s/2, s/2 (hooks on the modules)."""
    cnn = SmallCNN(1, 2, channels=(1, 1, 1, 1), image_size=8)
    sizes = []
    for m in cnn.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(lambda mod, inp, out: sizes.append(tuple(inp[0].shape[2:])))
    cnn(torch.zeros(2, 1, 8, 8))
    assert sizes == [(8, 8), (8, 8), (4, 4), (4, 4)]


# ------------------------------------------------------------ make_backbone


def test_make_backbone_builds_each_kind_with_seeded_weights():
    assert BACKBONE_NAMES == ("mlp", "cnn")
    a = make_backbone("mlp", (5,), 3, seed=4, hidden_dim=6, n_layers=3)
    b = make_backbone("mlp", [5], 3, seed=4, hidden_dim=6, n_layers=3)
    c = make_backbone("mlp", (5,), 3, seed=5, hidden_dim=6, n_layers=3)
    assert isinstance(a, MLPEncoder) and (a.in_dim, a.out_dim) == (5, 3)
    assert len([m for m in a.modules() if isinstance(m, nn.Linear)]) == 3
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not any(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))
    cnn = make_backbone("cnn", (2, 12, 12), 5, seed=0, channels=(2, 2, 2, 2))
    assert isinstance(cnn, SmallCNN) and (cnn.in_channels, cnn.image_size, cnn.out_dim) == (2, 12, 5)
    assert [m.out_channels for m in cnn.modules() if isinstance(m, nn.Conv2d)] == [2, 2, 2, 2]  # **kw passed on
    assert make_backbone("cnn", (1, 8, 8), batch_norm=False).conv[0].bias is not None
    assert make_backbone("cnn", (1, 8, 8)).out_dim == 64


def test_make_backbone_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    make_backbone("cnn", (1, 8, 8), 4, seed=9)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: make_backbone("resnet", (3,)), r"^backbone must be one of mlp, cnn, got 'resnet'$"),
        (lambda: make_backbone("mlp", (3, 4)), r"^input_shape must be \(d,\) for the mlp backbone, got \(3, 4\)$"),
        (lambda: make_backbone("cnn", (1, 8)), r"^input_shape must be \(C, H, H\) for the cnn backbone, got \(1, 8\)$"),
        (lambda: make_backbone("cnn", (1, 8, 12)), r"^input_shape must be \(C, H, H\) for the cnn backbone, got \(1, 8, 12\)$"),
        (lambda: make_backbone("mlp", (3,), seed=-1), r"^seed must be an integer in \[0, inf\), got -1$"),
        (lambda: MLPEncoder(0), r"^in_dim must be an integer in \[1, inf\), got 0$"),
        (lambda: MLPEncoder(2, 0), r"^out_dim must be an integer in \[1, inf\), got 0$"),
        (lambda: MLPEncoder(2, hidden_dim=0), r"^hidden_dim must be an integer in \[1, inf\), got 0$"),
        (lambda: MLPEncoder(2, n_layers=0), r"^n_layers must be an integer in \[1, inf\), got 0$"),
        (lambda: SmallCNN(0), r"^in_channels must be an integer in \[1, inf\), got 0$"),
        (lambda: SmallCNN(1, 0), r"^out_dim must be an integer in \[1, inf\), got 0$"),
        (lambda: SmallCNN(image_size=2), r"^image_size must be an integer in \[4, inf\), got 2$"),
        (lambda: SmallCNN(image_size=10), r"^image_size must be divisible by 4, got 10$"),
        (lambda: SmallCNN(channels=(4, 4, 4)), r"^channels must have 4 entries \(one per conv layer\), got 3$"),
        (lambda: SmallCNN(channels=(4, 0, 4, 4)), r"^channels must be an integer in \[1, inf\), got 0$"),
        (lambda: MLPEncoder(3)(torch.zeros(2, 4)), r"^x must have shape \(n, 3\), got \(2, 4\)$"),
        (lambda: MLPEncoder(3)(torch.zeros(3)), r"^x must have shape \(n, 3\), got \(3,\)$"),
        (lambda: SmallCNN()(torch.zeros(2, 1, 8, 4)), r"^x must have shape \(n, 1, 8, 8\), got \(2, 1, 8, 4\)$"),
        (lambda: SmallCNN()(torch.zeros(1, 8, 8)), r"^x must have shape \(n, 1, 8, 8\), got \(1, 8, 8\)$"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
