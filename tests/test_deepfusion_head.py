"""The Deep Fusion authors' head against an independent re-statement with torch's own modules.

The re-statement runs the three Q/K/V maps, then ``torch.nn.MultiheadAttention`` (with the block's in- and
out-projection weights copied in, unbatched 2-d input: attention across the samples), then the residual
branches and norms, and the authors' FFN baseline as a plain ``nn.Sequential`` with copied weights.  The
package's block computes the attention itself (explicitly, or through the fused kernel); a transposed Q/K,
a missing scale, a wrong head split or a swapped residual weight changes the output far beyond rounding.
"""

import numpy as np
import pytest
import torch
from torch import nn

from theory.deepfusion_head import (
    DeepFusionBlock,
    DeepFusionFFNHead,
    DeepFusionHead,
    deepfusion_parameter_count,
)
from theory.heads import count_parameters, head_parameter_count, make_head


def _randomise(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))


def _reference_block(block: DeepFusionBlock, x: torch.Tensor):
    d, h = block.width, block.n_heads
    mha = nn.MultiheadAttention(d, h, dtype=x.dtype)
    with torch.no_grad():
        mha.in_proj_weight.copy_(block.in_proj.weight)
        mha.in_proj_bias.copy_(block.in_proj.bias)
        mha.out_proj.weight.copy_(block.out_proj.weight)
        mha.out_proj.bias.copy_(block.out_proj.bias)
    a, w = mha(block.query(x), block.key(x), block.value(x), need_weights=True, average_attn_weights=False)
    x = block.norm1(x + float(block.residual_attention) * a)
    x = block.norm2(x + float(block.residual_ffn) * block.ffn(x))
    return x, w


@pytest.mark.parametrize("norm", ["batch", "layer", "group", "none"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("training", [True, False])
def test_block_against_torch_multihead_attention(norm, activation, training):
    torch.manual_seed(0)
    block = DeepFusionBlock(8, 2, ffn_dim=12, norm=norm, activation=activation, residual_attention=0.7,
                            residual_ffn=1.3, n_groups=4).double()
    _randomise(block, 1)
    block.train(training)
    x = torch.randn(10, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    ref, w_ref = _reference_block(block, x)
    out, w = block(x, need_weights=True)
    fused, none = block(x, need_weights=False)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(w, w_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(fused, out, rtol=1e-10, atol=1e-10)
    assert none is None and w.shape == (2, 10, 10)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 10, dtype=torch.float64), rtol=0, atol=1e-12)
    assert isinstance(block.ffn[1], nn.ReLU if activation == "relu" else nn.GELU)
    kinds = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm, "group": nn.GroupNorm, "none": nn.Identity}
    assert isinstance(block.norm1, kinds[norm]) and isinstance(block.norm2, kinds[norm])


def test_attention_is_not_symmetric_in_queries_and_keys():
    """Distinct Q and K maps: the attention differs from the one with Q and K swapped (a swap would pass
    a test on W_Q = W_K)."""
    block = DeepFusionBlock(6, 1, norm="none").double()
    _randomise(block, 3)
    x = torch.randn(7, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    _, w = block(x, need_weights=True)
    swapped = DeepFusionBlock(6, 1, norm="none").double()
    swapped.load_state_dict(block.state_dict())
    with torch.no_grad():
        swapped.query.weight.copy_(block.key.weight)
        swapped.query.bias.copy_(block.key.bias)
        swapped.key.weight.copy_(block.query.weight)
        swapped.key.bias.copy_(block.query.bias)
        wq, wk, wv = block.in_proj.weight.chunk(3)
        bq, bk, bv = block.in_proj.bias.chunk(3)
        swapped.in_proj.weight.copy_(torch.cat([wk, wq, wv]))
        swapped.in_proj.bias.copy_(torch.cat([bk, bq, bv]))
    _, w_swapped = swapped(x, need_weights=True)
    # the scores written out here: S = (W_q^in Q x + b_q)(W_k^in K x + b_k)^T / sqrt(d); swapping the two
    # paths transposes S, and the row softmax of S^T is a different attention
    wq, wk, _ = block.in_proj.weight.chunk(3)
    bq, bk, _ = block.in_proj.bias.chunk(3)
    with torch.no_grad():
        S = ((block.query(x) @ wq.T + bq) @ (block.key(x) @ wk.T + bk).T) / np.sqrt(6)
    torch.testing.assert_close(w[0], torch.softmax(S, dim=-1), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(w_swapped[0], torch.softmax(S.T, dim=-1), rtol=1e-10, atol=1e-12)
    assert not torch.allclose(w, w_swapped, atol=1e-3)


def test_head_is_blocks_then_linear_then_batchnorm_with_a_frozen_shift():
    torch.manual_seed(0)
    head = make_head("deepfusion", 8, 5, seed=3, n_layers=2, n_heads=2, norm="layer").double()
    assert isinstance(head, DeepFusionHead) and len(head.blocks) == 2 and head.last_linear is head.output
    x = torch.randn(12, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    t = x
    for b in head.blocks:
        t, _ = _reference_block(b, t)
    bn = head.output_norm
    lin = head.output(t)
    want = (lin - lin.mean(0)) / torch.sqrt(lin.var(0, unbiased=False) + bn.eps) * bn.weight
    torch.testing.assert_close(head(x), want, rtol=1e-9, atol=1e-9)
    z, maps = head(x, return_attention=True)
    assert maps.shape == (2, 2, 12, 12)
    assert not head.output_norm.bias.requires_grad and torch.all(head.output_norm.bias == 0)
    opt = torch.optim.SGD(head.parameters(), lr=0.1)
    head(x).pow(2).sum().backward()
    opt.step()
    assert torch.all(head.output_norm.bias == 0)  # still 0 after a step
    assert count_parameters(head) == count_parameters(head, trainable_only=False) - 5


def test_ffn_baseline_against_a_plain_sequential():
    head = make_head("deepfusion_ffn", 6, 4, seed=1, n_layers=3).double()
    assert isinstance(head, DeepFusionFFNHead)
    layers = []
    for _ in range(3):
        layers += [nn.Linear(6, 6), nn.BatchNorm1d(6), nn.ReLU()]
    ref = nn.Sequential(*layers, nn.Linear(6, 4), nn.BatchNorm1d(4)).double()
    _randomise(head, 7)
    with torch.no_grad():
        head.output_norm.bias.zero_()
    # copy weights layer by layer
    src = [m for m in head.layers] + [head.output, head.output_norm]
    for a, b in zip(src, ref):
        b.load_state_dict(a.state_dict())
    x = torch.randn(9, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    for mode in (True, False):
        head.train(mode)
        ref.train(mode)
        torch.testing.assert_close(head(x), ref(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(n_layers=1, ffn_dim=5, norm="none"), dict(n_layers=3, norm="group", n_groups=2),
                                dict(n_layers=2, n_heads=1, norm="batch", activation="gelu")])
def test_parameter_counts_in_closed_form(kw):
    for name in ("deepfusion", "deepfusion_ffn"):
        kwn = kw if name == "deepfusion" else {"n_layers": kw.get("n_layers", 4)}
        head = make_head(name, 8, 3, **kwn)
        assert count_parameters(head) == head_parameter_count(name, 8, 3, **kwn) == deepfusion_parameter_count(
            name, 8, 3, **kwn)
    # hand count, one block of width 2, F = 3, no norm, out 1: 3 (4 + 2) + 4 (4 + 2) + (2*2*3 + 3 + 2) + (3 + 1)
    assert deepfusion_parameter_count("deepfusion", 2, 1, n_layers=1, ffn_dim=3, norm="none") == 18 + 24 + 17 + 4


def test_trains_in_a_simclr_step_and_is_seeded():
    from theory.augmentations import VectorAugment
    from theory.backbones import make_backbone
    from theory.simclr import SimCLR, train_simclr

    X = np.random.default_rng(0).standard_normal((32, 5)).astype(np.float32)
    a = SimCLR(make_backbone("mlp", (5,), 8, seed=0, hidden_dim=8), make_head("deepfusion", 8, 4, seed=1, n_layers=2,
                                                                             n_heads=2))
    b = SimCLR(make_backbone("mlp", (5,), 8, seed=0, hidden_dim=8), make_head("deepfusion", 8, 4, seed=1, n_layers=2,
                                                                             n_heads=2))
    ha = train_simclr(a, X, VectorAugment(noise=0.1), epochs=2, batch_size=16, lr=0.01)
    hb = train_simclr(b, X, VectorAugment(noise=0.1), epochs=2, batch_size=16, lr=0.01)
    assert ha.loss == hb.loss and np.all(np.isfinite(ha.loss))


@pytest.mark.parametrize("call, match", [
    (lambda: DeepFusionBlock(8, 3), r"^n_heads must divide width, got width=8, n_heads=3$"),
    (lambda: DeepFusionBlock(8, 2, norm="instance"), r"^norm must be one of batch, layer, group, none, got 'instance'$"),
    (lambda: DeepFusionBlock(8, 2, activation="tanh"), r"^activation must be one of relu, gelu, got 'tanh'$"),
    (lambda: DeepFusionBlock(8, 2, residual_attention=float("nan")),
     r"^residual_attention must be finite and in \(-inf, inf\), got nan$"),
    (lambda: DeepFusionBlock(8, 2, residual_ffn=float("inf")), r"^residual_ffn must be finite and in \(-inf, inf\), got inf$"),
    (lambda: DeepFusionBlock(8, 2, norm="group", n_groups=3),
     r"^n_groups must divide width for norm='group', got width=8, n_groups=3$"),
    (lambda: DeepFusionBlock(8, 2, ffn_dim=0), r"^ffn_dim must be an integer in \[1, inf\), got 0$"),
    (lambda: DeepFusionHead(8, 2, n_layers=0), r"^n_layers must be an integer in \[1, inf\), got 0$"),
    (lambda: DeepFusionFFNHead(8, 0), r"^out_dim must be an integer in \[1, inf\), got 0$"),
    (lambda: DeepFusionHead(4, 2, n_heads=2)(torch.zeros(2, 3, 4)),
     r"^x must have shape \(L, 4\) \(one sequence: the batch\), got \(2, 3, 4\)$"),
    (lambda: DeepFusionFFNHead(4, 2)(np.zeros((3, 4))), r"^x must be a torch.Tensor, got ndarray$"),
])
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


_CTORS = {
    "block": lambda **kw: DeepFusionBlock(**{"width": 4, "n_heads": 1, **kw}),
    "head": lambda **kw: DeepFusionHead(**{"in_dim": 4, "out_dim": 2, "n_heads": 1, **kw}),
    "ffn": lambda **kw: DeepFusionFFNHead(**{"in_dim": 4, "out_dim": 2, **kw}),
    "count": lambda **kw: deepfusion_parameter_count("deepfusion", **{"in_dim": 4, "out_dim": 2, **kw}),
    "count_ffn": lambda **kw: deepfusion_parameter_count("deepfusion_ffn", **{"in_dim": 4, "out_dim": 2, **kw}),
}
_INTS = {"block": ("width", "n_heads", "ffn_dim", "n_groups"), "head": ("in_dim", "out_dim", "n_layers", "n_heads"),
         "ffn": ("in_dim", "out_dim", "n_layers"), "count": ("in_dim", "out_dim", "n_layers", "ffn_dim"),
         "count_ffn": ("in_dim", "out_dim", "n_layers")}


@pytest.mark.parametrize("where, name", [(w, n) for w, names in _INTS.items() for n in names])
@pytest.mark.parametrize("value", [0, -3])
def test_every_integer_argument_is_checked_by_name(where, name, value):
    """Each integer argument refuses values below 1 with a message naming it; 1 itself is accepted."""
    extra = {"n_heads": 1} if name == "width" else {}
    with pytest.raises(ValueError, match=rf"^{name} must be an integer in \[1, inf\), got {value}$"):
        _CTORS[where](**{name: value, **extra})


@pytest.mark.parametrize("where", ["block", "head", "ffn", "count", "count_ffn"])
def test_the_smallest_sizes_are_accepted(where):
    kw = {"block": dict(width=1, n_heads=1, ffn_dim=1, norm="group", n_groups=1),
          "head": dict(in_dim=1, out_dim=1, n_layers=1, n_heads=1, ffn_dim=1), "ffn": dict(in_dim=1, out_dim=1, n_layers=1),
          "count": dict(in_dim=1, out_dim=1, n_layers=1, ffn_dim=1), "count_ffn": dict(in_dim=1, out_dim=1, n_layers=1)}[where]
    obj = _CTORS[where](**kw)
    if where.startswith("count"):
        name = "deepfusion" if where == "count" else "deepfusion_ffn"
        extra = {"n_heads": 1} if where == "count" else {}
        built = make_head(name, 1, 1, **extra, **{k: v for k, v in kw.items() if k not in ("in_dim", "out_dim")})
        assert obj == count_parameters(built)
    elif where == "block":
        out, w = obj(torch.zeros(3, 1), need_weights=True)
        assert out.shape == (3, 1) and w.shape == (1, 3, 3)
    else:
        assert obj(torch.randn(3, 1)).shape == (3, 1)


def test_defaults_are_the_documented_ones():
    """Four blocks, four heads, F = 4 d, batch norm, ReLU, residual weights 1, 32 groups, attention maps only on request."""
    head = DeepFusionHead(64, 8)
    assert len(head.blocks) == 4 and count_parameters(head) == deepfusion_parameter_count("deepfusion", 64, 8)
    assert len(DeepFusionFFNHead(64, 8).layers) == 12
    assert count_parameters(DeepFusionFFNHead(64, 8)) == deepfusion_parameter_count("deepfusion_ffn", 64, 8)
    b = head.blocks[0]
    assert b.n_heads == 4 and b.ffn_dim == 256 and isinstance(b.norm1, nn.BatchNorm1d) and isinstance(b.ffn[1], nn.ReLU)
    assert float(b.residual_attention) == 1.0 and float(b.residual_ffn) == 1.0
    g = DeepFusionBlock(64, 4, norm="group")
    assert g.norm1.num_groups == 32 and DeepFusionHead(64, 8, norm="group").blocks[0].norm1.num_groups == 32
    lone = DeepFusionBlock(64, 4)
    assert float(lone.residual_attention) == 1.0 and float(lone.residual_ffn) == 1.0
    out, w = b(torch.randn(5, 64))
    assert w is None and out.shape == (5, 64)


def test_head_passes_every_block_option_to_its_blocks():
    head = DeepFusionHead(8, 3, n_layers=2, n_heads=2, ffn_dim=6, norm="layer", activation="gelu",
                          residual_attention=0.25, residual_ffn=-0.5, n_groups=4)
    for b in head.blocks:
        assert (b.n_heads, b.ffn_dim) == (2, 6) and isinstance(b.norm1, nn.LayerNorm) and isinstance(b.ffn[1], nn.GELU)
        assert float(b.residual_attention) == 0.25 and float(b.residual_ffn) == -0.5
    assert DeepFusionHead(8, 3, n_heads=2, norm="group", n_groups=4).blocks[0].norm1.num_groups == 4


def test_a_batch_of_sequences_is_refused():
    """A 3-d input whose middle axis happens to equal the width is still refused (one sequence only)."""
    with pytest.raises(ValueError, match=r"^x must have shape \(L, 4\)"):
        DeepFusionBlock(4, 1)(torch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match=r"^x must have shape \(L, 4\)"):
        DeepFusionFFNHead(4, 2)(torch.zeros(3, 5))
