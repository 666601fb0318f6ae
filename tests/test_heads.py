import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch import nn

from theory.heads import (
    HEAD_NAMES,
    IdentityHead,
    TransformerHead,
    count_parameters,
    head_parameter_count,
    make_head,
    match_hidden_dim,
    seeded_init,
)

DT = torch.float64


def _transformer(seed, *, in_dim=6, out_dim=5, width=8, n_layers=2, n_heads=2, norm="pre"):
    return make_head(
        "transformer", in_dim, out_dim, seed=seed, width=width, n_layers=n_layers, n_heads=n_heads, norm=norm
    ).to(DT)


@given(
    L=st.integers(1, 9),
    n_heads=st.sampled_from([1, 2, 4]),
    norm=st.sampled_from(["pre", "post"]),
    seed=st.integers(0, 2**16),
)
@example(L=1, n_heads=1, norm='pre', seed=0)
@example(L=9, n_heads=4, norm='post', seed=2 ** 16)
def test_transformer_is_permutation_equivariant(L, n_heads, norm, seed):
    """Permuting the batch permutes the outputs and every attention matrix (rows and columns)."""
    head = _transformer(seed, n_heads=n_heads, norm=norm)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(L, 6, generator=g, dtype=DT)
    perm = torch.randperm(L, generator=g)
    z, A = head(x, return_attention=True)
    zp, Ap = head(x[perm], return_attention=True)
    assert A.shape == (2, n_heads, L, L)
    torch.testing.assert_close(zp, z[perm], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(Ap, A[:, :, perm][:, :, :, perm], rtol=1e-10, atol=1e-12)
    # attention rows are probability vectors
    assert bool((A >= 0).all())
    torch.testing.assert_close(A.sum(-1), torch.ones_like(A.sum(-1)))


@given(seed=st.integers(0, 2**16), L=st.integers(2, 6))
@example(seed=0, L=2)
@example(seed=2 ** 16, L=6)
def test_attention_runs_across_the_batch(seed, L):
    """Changing one sample changes the other samples' outputs (it is a sequence model), unlike the MLP."""
    head = _transformer(seed)
    mlp = make_head("mlp", 6, 5, seed=seed, hidden_dim=7).to(DT)
    x = torch.randn(L, 6, generator=torch.Generator().manual_seed(seed), dtype=DT)
    y = x.clone()
    y[0] += 1.0
    assert not torch.allclose(head(x)[1:], head(y)[1:])
    torch.testing.assert_close(mlp(x)[1:], mlp(y)[1:], rtol=0, atol=0)


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_transformer_matches_torch_encoder_layers(norm):
    """Independent check: the same weights in torch.nn.TransformerEncoderLayer give the same output and maps."""
    width, n_heads, ffn, L = 8, 2, 12, 7
    head = make_head(
        "transformer", width, width, seed=3, width=width, n_layers=3, n_heads=n_heads, ffn_dim=ffn, norm=norm
    ).to(DT)
    x = torch.randn(L, width, generator=torch.Generator().manual_seed(0), dtype=DT)
    z, A = head(x, return_attention=True)
    t = x[None]
    for k, block in enumerate(head.blocks):
        ref = nn.TransformerEncoderLayer(
            width, n_heads, ffn, dropout=0.0, activation="gelu", batch_first=True, norm_first=(norm == "pre")
        ).to(DT)
        with torch.no_grad():
            ref.self_attn.in_proj_weight.copy_(block.attn.qkv.weight)
            ref.self_attn.in_proj_bias.copy_(block.attn.qkv.bias)
            ref.self_attn.out_proj.weight.copy_(block.attn.out.weight)
            ref.self_attn.out_proj.bias.copy_(block.attn.out.bias)
            ref.linear1.load_state_dict(block.ffn[0].state_dict())
            ref.linear2.load_state_dict(block.ffn[2].state_dict())
            ref.norm1.load_state_dict(block.ln1.state_dict())
            ref.norm2.load_state_dict(block.ln2.state_dict())
        ref.eval()
        a_in = ref.norm1(t) if norm == "pre" else t
        _, maps = ref.self_attn(a_in, a_in, a_in, need_weights=True, average_attn_weights=False)
        torch.testing.assert_close(A[k], maps[0], rtol=1e-10, atol=1e-12)
        t = ref(t)
    if norm == "pre":
        t = head.final_norm(t)
    torch.testing.assert_close(z, t[0], rtol=1e-10, atol=1e-12)


@given(seed=st.integers(0, 2**16), L=st.integers(1, 12), norm=st.sampled_from(["pre", "post"]))
@example(seed=0, L=1, norm='pre')
@example(seed=2 ** 16, L=12, norm='post')
def test_fused_and_explicit_attention_paths_agree(seed, L, norm):
    """head(x) uses torch's fused attention, head(x, return_attention=True) the explicit softmax."""
    head = _transformer(seed, norm=norm)
    x = torch.randn(L, 6, generator=torch.Generator().manual_seed(seed), dtype=DT)
    torch.testing.assert_close(head(x), head(x, return_attention=True)[0], rtol=1e-10, atol=1e-12)


def test_batched_sequences_equal_separate_calls():
    head = _transformer(5)
    x = torch.randn(3, 4, 6, generator=torch.Generator().manual_seed(1), dtype=DT)
    z, A = head(x, return_attention=True)
    assert A.shape == (3, 2, 2, 4, 4)
    for b in range(3):
        zb, Ab = head(x[b], return_attention=True)
        torch.testing.assert_close(z[b], zb)
        torch.testing.assert_close(A[b], Ab)


@given(
    name=st.sampled_from(["linear", "mlp", "transformer"]),
    in_dim=st.integers(1, 20),
    out_dim=st.integers(1, 20),
    hidden=st.integers(1, 40),
    n_layers=st.integers(1, 4),
    norm=st.sampled_from(["pre", "post"]),
)
@example(name='linear', in_dim=1, out_dim=1, hidden=1, n_layers=1, norm='pre')
@example(name='transformer', in_dim=20, out_dim=20, hidden=40, n_layers=4, norm='post')
def test_closed_form_parameter_count(name, in_dim, out_dim, hidden, n_layers, norm):
    if name == "mlp":
        kw = dict(hidden_dim=hidden, n_layers=n_layers)
    elif name == "transformer":
        kw = dict(width=2 * hidden, n_heads=2, n_layers=n_layers, ffn_dim=hidden + 3, norm=norm)
    else:
        kw = {}
    head = make_head(name, in_dim, out_dim, **kw)
    assert count_parameters(head) == head_parameter_count(name, in_dim, out_dim, **kw)


@given(target=st.integers(50, 10**6), in_dim=st.integers(1, 64), out_dim=st.integers(1, 64), L=st.integers(2, 6))
@example(target=50, in_dim=1, out_dim=1, L=2)
@example(target=10 ** 6, in_dim=64, out_dim=64, L=6)
def test_match_hidden_dim_is_the_closest_width(target, in_dim, out_dim, L):
    w = match_hidden_dim(target, in_dim, out_dim, n_layers=L)

    def gap(h):
        return abs(head_parameter_count("mlp", in_dim, out_dim, hidden_dim=h, n_layers=L) - target)

    assert gap(w) <= gap(w + 1)
    assert w == 1 or gap(w) <= gap(w - 1)


@pytest.mark.parametrize("activation, n_layers, bias", [("relu", 3, True), ("gelu", 2, True), ("relu", 1, False), ("relu", 4, False)])
def test_mlp_head_against_a_numpy_forward_pass_with_the_same_weights(activation, n_layers, bias):
    """Linear -> act -> ... -> Linear with no activation after the last layer, evaluated in numpy."""
    from scipy.special import erf

    head = make_head("mlp", 5, 3, hidden_dim=7, n_layers=n_layers, activation=activation, bias=bias, seed=2).double()
    linears = [m for m in head.modules() if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(7, 5)] * (n_layers > 1) + [(7, 7)] * max(n_layers - 2, 0) + [
        (3, 7 if n_layers > 1 else 5)]
    x = torch.randn(6, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    act = {"relu": lambda a: np.maximum(a, 0.0), "gelu": lambda a: 0.5 * a * (1 + erf(a / np.sqrt(2)))}[activation]
    z = x.numpy()
    for k, m in enumerate(linears):
        z = z @ m.weight.detach().numpy().T + (m.bias.detach().numpy() if bias else 0.0)
        assert (m.bias is not None) == bias
        if k < len(linears) - 1:
            z = act(z)
    np.testing.assert_allclose(head(x).detach().numpy(), z, rtol=1e-12, atol=1e-13)


def test_identity_and_factory():
    x = torch.randn(4, 3)
    for name in ("none", "identity"):
        head = make_head(name, 3, 7)
        assert isinstance(head, IdentityHead) and head.out_dim == 3 and head(x) is x
        assert count_parameters(head) == 0
    assert set(HEAD_NAMES) == {"none", "identity", "linear", "mlp", "transformer"}
    assert make_head("mlp", 3, 2, hidden_dim=5, n_layers=3)(x).shape == (4, 2)
    assert make_head("linear", 3, 2)(x).shape == (4, 2)
    assert isinstance(make_head("transformer", 3, 2, width=4, n_heads=2), TransformerHead)


def test_seeded_init_is_reproducible_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a = make_head("transformer", 5, 3, seed=11, width=8, n_heads=2)
    b = make_head("transformer", 5, 3, seed=11, width=8, n_heads=2)
    c = make_head("transformer", 5, 3, seed=12, width=8, n_heads=2)
    assert torch.equal(torch.random.get_rng_state(), state)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))
    with seeded_init(None):
        pass


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_head("attention", 4, 4), "head must be one of"),
        (lambda: make_head("transformer", 4, 4, width=6, n_heads=4), "n_heads must divide width"),
        (lambda: make_head("transformer", 4, 4, norm="middle"), "norm must be"),
        (lambda: make_head("mlp", 4, 4, activation="tanh"), "activation must be one of"),
        (lambda: make_head("mlp", 0, 4), "in_dim"),
        (lambda: make_head("linear", 4, 0), "out_dim"),
        (lambda: make_head("none", 4, 4, width=3), "takes no options"),
        (lambda: make_head("mlp", 4, 4, seed=-1), "seed"),
        (lambda: make_head("transformer", 4, 4)(torch.zeros(3, 5)), r"x must have shape \(L, 4\)"),
        (lambda: make_head("transformer", 4, 4)(np.zeros((3, 4))), "x must be a torch.Tensor"),
        (lambda: match_hidden_dim(0, 3, 3), "target"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
