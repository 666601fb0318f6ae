import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch import nn

from theory.heads import (
    HEAD_NAMES,
    IdentityHead,
    LinearHead,
    MLPHead,
    MultiHeadSelfAttention,
    TransformerBlock,
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
    assert set(HEAD_NAMES) == {"none", "identity", "linear", "mlp", "transformer", "deepfusion", "deepfusion_ffn"}
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


# ------------------------------------------------------------ the validation contract of every constructor

_SIZE_PARAMETERS = [  # (label, builder taking the one parameter by keyword, parameter, smallest allowed value)
    ("IdentityHead", lambda **k: IdentityHead(**{"in_dim": 3, **k}), "in_dim", 1),
    ("LinearHead", lambda **k: LinearHead(**{"in_dim": 3, "out_dim": 2, **k}), "in_dim", 1),
    ("LinearHead", lambda **k: LinearHead(**{"in_dim": 3, "out_dim": 2, **k}), "out_dim", 1),
    ("MLPHead", lambda **k: MLPHead(**{"in_dim": 3, "out_dim": 2, **k}), "in_dim", 1),
    ("MLPHead", lambda **k: MLPHead(**{"in_dim": 3, "out_dim": 2, **k}), "out_dim", 1),
    ("MLPHead", lambda **k: MLPHead(**{"in_dim": 3, "out_dim": 2, **k}), "hidden_dim", 1),
    ("MLPHead", lambda **k: MLPHead(**{"in_dim": 3, "out_dim": 2, **k}), "n_layers", 1),
    ("MultiHeadSelfAttention", lambda **k: MultiHeadSelfAttention(**{"width": 4, "n_heads": 1, **k}), "width", 1),
    ("MultiHeadSelfAttention", lambda **k: MultiHeadSelfAttention(**{"width": 4, "n_heads": 1, **k}), "n_heads", 1),
    ("TransformerBlock", lambda **k: TransformerBlock(**{"width": 4, "n_heads": 2, **k}), "ffn_dim", 1),
    ("TransformerHead", lambda **k: TransformerHead(**{"in_dim": 3, "out_dim": 2, "n_heads": 1, **k}), "in_dim", 1),
    ("TransformerHead", lambda **k: TransformerHead(**{"in_dim": 3, "out_dim": 2, "n_heads": 1, **k}), "out_dim", 1),
    ("TransformerHead", lambda **k: TransformerHead(**{"in_dim": 3, "out_dim": 2, "n_heads": 1, **k}), "width", 1),
    ("TransformerHead", lambda **k: TransformerHead(**{"in_dim": 3, "out_dim": 2, "n_heads": 1, **k}), "n_layers", 1),
    ("TransformerHead", lambda **k: TransformerHead(**{"in_dim": 3, "out_dim": 2, "width": 4, **k}), "n_heads", 1),
    ("TransformerHead", lambda **k: TransformerHead(**{"in_dim": 3, "out_dim": 2, "n_heads": 1, **k}), "ffn_dim", 1),
    ("match_hidden_dim", lambda **k: match_hidden_dim(**{"target": 40, "in_dim": 3, "out_dim": 2, **k}), "target", 1),
    ("match_hidden_dim", lambda **k: match_hidden_dim(**{"target": 40, "in_dim": 3, "out_dim": 2, **k}), "n_layers", 2),
] + [
    (f"{fn.__name__}({name!r})", (lambda fn, name: lambda **k: fn(**{"name": name, "in_dim": 3, "out_dim": 2, **k}))(fn, name),
     param, 1)
    for fn in (make_head, head_parameter_count)
    for name in ("linear", "mlp", "transformer")
    for param in ("in_dim", "out_dim")
] + [
    (f"head_parameter_count({name!r})", (lambda name: lambda **k: head_parameter_count(name, 3, 2, **k))(name), param, 1)
    for name, params in (("mlp", ("hidden_dim", "n_layers")), ("transformer", ("width", "n_layers", "ffn_dim")))
    for param in params
]


@pytest.mark.parametrize("label, build, param, smallest", _SIZE_PARAMETERS,
                         ids=[f"{lab}-{p}" for lab, _, p, _ in _SIZE_PARAMETERS])
def test_every_size_parameter_accepts_its_smallest_value_and_refuses_the_next_one_down(label, build, param, smallest):
    """The documented lower bound is the bound checked, and the refusal names the parameter."""
    build(**{param: smallest})  # the smallest size is a valid head
    for bad in (smallest - 1, 2.5):
        with pytest.raises(ValueError, match=rf"^{param} must be an integer in \[{smallest}, "):
            build(**{param: bad})


@pytest.mark.parametrize("build", [
    lambda d: TransformerBlock(4, 2, dropout=d),
    lambda d: TransformerHead(3, 2, width=4, n_heads=2, n_layers=1, dropout=d),
])
def test_dropout_must_lie_in_the_unit_interval_closed_on_the_left(build):
    for ok in (0.0, 0.5, 0.999):
        build(ok)
    for bad in (-0.1, 1.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"^dropout must be"):
            build(bad)


def test_dropout_is_off_by_default_and_acts_only_in_training_mode():
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    default = make_head("transformer", 3, 2, seed=1, width=4, n_heads=2, n_layers=2).train()
    torch.testing.assert_close(default(x), default(x), rtol=0, atol=0)  # no dropout: a deterministic training step
    noisy = make_head("transformer", 3, 2, seed=1, width=4, n_heads=2, n_layers=2, dropout=0.5).train()
    torch.manual_seed(0)
    assert not torch.allclose(noisy(x), noisy(x))
    noisy.eval()  # dropout off: the same weights as the default head give the default head's output
    torch.testing.assert_close(noisy(x), default.eval()(x), rtol=0, atol=0)


def test_messages_name_the_offending_value_and_agree_between_factory_and_closed_form():
    names = ", ".join(("none", "identity", "linear", "mlp", "transformer", "deepfusion", "deepfusion_ffn"))
    for fn in (make_head, head_parameter_count):
        with pytest.raises(ValueError) as err:
            fn("attention", 4, 4)
        assert str(err.value) == f"head must be one of {names}, got 'attention'"
    for build in (lambda: MultiHeadSelfAttention(6, 4), lambda: TransformerHead(4, 4, width=6, n_heads=4)):
        with pytest.raises(ValueError) as err:
            build()
        assert str(err.value) == "n_heads must divide width, got width=6, n_heads=4"
    for build in (lambda: TransformerBlock(4, 2, norm="middle"), lambda: TransformerHead(4, 4, norm="middle")):
        with pytest.raises(ValueError) as err:
            build()
        assert str(err.value) == "norm must be 'pre' or 'post', got 'middle'"
    with pytest.raises(ValueError, match=r"^x must be a torch.Tensor, got ndarray$"):
        make_head("linear", 4, 4)(np.zeros((3, 4)))


# --------------------------------------------------------------------- parameter counts, every option

@given(
    name=st.sampled_from([h for h in HEAD_NAMES if not h.startswith("deepfusion")]),  # those: test_deepfusion_head
    in_dim=st.integers(1, 12),
    out_dim=st.one_of(st.none(), st.integers(1, 12)),
    defaults=st.booleans(),
    bias=st.booleans(),
    hidden=st.integers(1, 6),
    n_layers=st.integers(1, 3),
    n_heads=st.sampled_from([1, 2]),
    ffn=st.one_of(st.none(), st.integers(1, 9)),
    norm=st.sampled_from(["pre", "post"]),
)
@example(name="mlp", in_dim=3, out_dim=2, defaults=True, bias=True, hidden=1, n_layers=1, n_heads=1, ffn=None, norm="pre")
@example(name="transformer", in_dim=5, out_dim=None, defaults=True, bias=True, hidden=1, n_layers=1, n_heads=1,
         ffn=None, norm="pre")
@example(name="transformer", in_dim=4, out_dim=4, defaults=False, bias=True, hidden=2, n_layers=2, n_heads=2,
         ffn=None, norm="post")  # width == in_dim == out_dim: no input or output map
@example(name="linear", in_dim=3, out_dim=2, defaults=False, bias=False, hidden=1, n_layers=1, n_heads=1, ffn=None,
         norm="pre")
@example(name="mlp", in_dim=3, out_dim=2, defaults=False, bias=False, hidden=4, n_layers=3, n_heads=1, ffn=None,
         norm="pre")
@example(name="linear", in_dim=3, out_dim=2, defaults=True, bias=True, hidden=1, n_layers=1, n_heads=1, ffn=None,
         norm="pre")
@example(name="mlp", in_dim=3, out_dim=2, defaults=False, bias=True, hidden=4, n_layers=1, n_heads=1, ffn=None,
         norm="pre")  # one layer: a linear map
@example(name="identity", in_dim=3, out_dim=7, defaults=True, bias=True, hidden=1, n_layers=1, n_heads=1, ffn=None,
         norm="pre")
def test_closed_form_count_matches_torch_for_every_option(name, in_dim, out_dim, defaults, bias, hidden, n_layers,
                                                          n_heads, ffn, norm):
    """``head_parameter_count`` against torch's own count of the built module, defaults included."""
    if defaults or name in ("none", "identity"):
        kw = {}
    elif name == "linear":
        kw = dict(bias=bias)
    elif name == "mlp":
        kw = dict(hidden_dim=hidden, n_layers=n_layers, bias=bias)
    else:
        kw = dict(width=n_heads * hidden, n_heads=n_heads, n_layers=n_layers, ffn_dim=ffn, norm=norm)
    head = make_head(name, in_dim, out_dim, **kw)
    assert count_parameters(head, trainable_only=False) == count_parameters(head)  # nothing frozen
    assert count_parameters(head) == head_parameter_count(name, in_dim, out_dim, **kw)
    linears = [m for m in head.modules() if isinstance(m, nn.Linear)]
    if "bias" in kw:
        assert all((m.bias is None) == (not bias) for m in linears)


def test_count_parameters_counts_only_trainable_ones_unless_asked():
    head = make_head("mlp", 5, 3, hidden_dim=7, n_layers=2)
    head.last_linear.requires_grad_(False)
    total = 6 * 7 + 8 * 3  # hand count: (5 + 1) 7 + (7 + 1) 3
    assert count_parameters(head, trainable_only=False) == total
    assert count_parameters(head) == count_parameters(head, trainable_only=True) == 6 * 7


def test_attention_without_bias_has_only_its_four_weight_matrices():
    attn = MultiHeadSelfAttention(8, 2, bias=False)
    assert count_parameters(attn) == 4 * 8 * 8
    assert attn.qkv.bias is None and attn.out.bias is None


def test_attention_module_returns_its_maps_by_default_and_matches_torch():
    """Called with no flag, the attention module returns the maps; both paths equal torch's MultiheadAttention."""
    width, h, L = 8, 2, 5
    with seeded_init(4):
        attn = MultiHeadSelfAttention(width, h).to(DT)
    ref = nn.MultiheadAttention(width, h, batch_first=True).to(DT)
    with torch.no_grad():
        ref.in_proj_weight.copy_(attn.qkv.weight)
        ref.in_proj_bias.copy_(attn.qkv.bias)
        ref.out_proj.weight.copy_(attn.out.weight)
        ref.out_proj.bias.copy_(attn.out.bias)
    x = torch.randn(3, L, width, generator=torch.Generator().manual_seed(1), dtype=DT)
    out, A = attn(x)
    ref_out, ref_A = ref(x, x, x, need_weights=True, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(A, ref_A, rtol=1e-10, atol=1e-12)
    fused, none = attn(x, need_weights=False)
    assert none is None
    torch.testing.assert_close(fused, ref_out, rtol=1e-10, atol=1e-12)
    block = TransformerBlock(width, h, ffn_dim=4).to(DT)
    assert block(x)[1] is not None and block.norm == "pre"  # the documented default


def test_batched_sequences_equal_separate_calls_on_the_fused_path():
    head = _transformer(6, n_heads=2)
    x = torch.randn(3, 4, 6, generator=torch.Generator().manual_seed(2), dtype=DT)
    z = head(x)
    assert z.shape == (3, 4, 5)
    for b in range(3):
        torch.testing.assert_close(z[b], head(x[b]), rtol=1e-10, atol=1e-12)
    assert head.norm == "pre" and _transformer(6, norm="post").norm == "post"


@given(target=st.integers(1, 10**5), in_dim=st.integers(1, 16), out_dim=st.integers(1, 16), L=st.integers(2, 4),
       bias=st.booleans())
@example(target=1, in_dim=1, out_dim=1, L=2, bias=True)  # the smallest target: width 1
@example(target=7, in_dim=2, out_dim=1, L=2, bias=True)  # counts 5 (w = 1) and 9 (w = 2): a tie goes to w = 1
@example(target=6, in_dim=2, out_dim=1, L=2, bias=True)  # between the counts of w = 1 and 2, nearer w = 1
@example(target=10 ** 5, in_dim=16, out_dim=16, L=4, bias=False)
def test_match_hidden_dim_is_the_closest_width_and_ties_go_to_the_smaller(target, in_dim, out_dim, L, bias):
    w = match_hidden_dim(target, in_dim, out_dim, n_layers=L, bias=bias)

    def gap(h):  # brute force over the module torch builds
        return abs(count_parameters(make_head("mlp", in_dim, out_dim, hidden_dim=h, n_layers=L, bias=bias)) - target)

    assert gap(w) <= gap(w + 1)
    assert w == 1 or gap(w - 1) > gap(w)  # strictly: an equal gap one below would have been chosen


@pytest.mark.parametrize("target, in_dim, out_dim", [(1, 1, 1), (6, 2, 1), (7, 2, 1), (5000, 10, 4), (10**5, 16, 16)])
def test_match_hidden_dim_defaults_match_the_default_mlp_head(target, in_dim, out_dim):
    """With no options the width is matched for make_head("mlp", ...)'s own defaults (2 layers, biases)."""
    w = match_hidden_dim(target, in_dim, out_dim)

    def gap(h):
        return abs(count_parameters(make_head("mlp", in_dim, out_dim, hidden_dim=h)) - target)

    assert gap(w) <= gap(w + 1) and (w == 1 or gap(w - 1) > gap(w))


def test_linear_head_and_block_defaults_against_hand_counts():
    assert count_parameters(LinearHead(5, 3)) == 5 * 3 + 3  # biases by default
    assert count_parameters(LinearHead(5, 3, bias=False)) == 5 * 3
    block = TransformerBlock(8, 2)  # ffn_dim defaults to 4 * width = 32
    assert count_parameters(block) == (4 * 64 + 4 * 8) + (2 * 8 * 32 + 32 + 8) + 4 * 8
