import numpy as np
import pytest
import torch

from theory.augmentations import VectorAugment
from theory.backbones import make_backbone
from theory.heads import make_head
from theory.ntxent import nt_xent
from theory.simclr import SimCLR, TrainHistory, lr_factor, torch_generators, train_simclr


def _data(n=48, d=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = 3 * rng.standard_normal((3, d))
    y = np.arange(n) % 3
    return (centres[y] + 0.3 * rng.standard_normal((n, d))).astype(np.float32), y


def _model(head="transformer", seed=0, d=6):
    kw = dict(width=8, n_heads=2, n_layers=2) if head == "transformer" else {}
    return SimCLR(make_backbone("mlp", (d,), 8, seed=seed, hidden_dim=16), make_head(head, 8, 4, seed=seed + 1, **kw))


def _train(model, X, **kw):
    kw = {"epochs": 3, "batch_size": 16, "lr": 0.05, "seed": 0, **kw}
    return train_simclr(model, X, VectorAugment(noise=0.2, dropout=0.1), **kw)


def _params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("head", ["none", "linear", "mlp", "transformer"])
def test_seeded_run_is_bit_for_bit_reproducible(head):
    X, _ = _data()
    m1, m2, m3 = _model(head), _model(head), _model(head)
    h1, h2 = _train(m1, X), _train(m2, X)
    h3 = _train(m3, X, seed=1)
    assert torch.equal(_params(m1), _params(m2))
    assert h1.loss == h2.loss and len(h1.loss) == 3
    assert h1.loss != h3.loss


def test_loss_decreases_from_the_untrained_value():
    """Against an independent evaluation of eq. (1) at initialisation (same augmentation law)."""
    X, _ = _data(n=96)
    model = _model("mlp")
    aug = VectorAugment(noise=0.2, dropout=0.1)
    g = torch.Generator().manual_seed(123)
    Xt = torch.as_tensor(X)
    with torch.no_grad():
        initial = np.mean(
            [nt_xent(model(aug(Xt[i : i + 16], g)), model(aug(Xt[i : i + 16], g)), 0.5).item() for i in range(0, 96, 16)]
        )
    hist = train_simclr(model, X, aug, epochs=15, batch_size=16, lr=0.05, tau=0.5, seed=0)
    assert hist.loss[-1] < initial - 0.3


@pytest.mark.parametrize("joint", [True, False])
def test_recorded_loss_is_eq_1_on_the_loops_batches(joint):
    """Replay the loop's shuffling and augmentations by hand and evaluate eq. (1) with nt_xent."""
    X, _ = _data(n=50)
    model = _model("transformer")
    aug = VectorAugment(noise=0.2, dropout=0.1)
    g_shuffle, g_aug = torch_generators(3)
    Xt = torch.as_tensor(X)
    perm = torch.randperm(50, generator=g_shuffle)
    losses = []
    with torch.no_grad():
        for b in range(50 // 16):  # the incomplete last batch is dropped
            x = Xt[perm[b * 16 : (b + 1) * 16]]
            x1, x2 = aug(x, g_aug), aug(x, g_aug)
            if joint:
                z1, z2 = model(torch.cat([x1, x2])).split(16)
            else:
                z1, z2 = model(x1), model(x2)
            losses.append(nt_xent(z1, z2, 0.7).item())
    # lr so small that the weights do not move in float32: the recorded loss is the untouched model's
    hist = train_simclr(model, X, aug, epochs=1, batch_size=16, lr=1e-30, momentum=0.0, weight_decay=0.0,
                        tau=0.7, seed=3, joint_views=joint)
    assert hist.loss[0] == pytest.approx(np.mean(losses), rel=1e-6)


def test_penalty_is_added_and_recorded():
    X, _ = _data()
    lam = 0.5

    def penalty(head):
        return lam * head.linear.weight.pow(2).sum()

    free, penalised = _model("linear"), _model("linear")
    _train(free, X, epochs=5)
    hist = _train(penalised, X, epochs=5, penalty=penalty)
    assert all(p > 0 for p in hist.penalty)
    assert hist.penalty[-1] < hist.penalty[0]
    assert penalised.head.linear.weight.norm() < free.head.linear.weight.norm()


def test_history_records_nt_xent_without_the_penalty_and_the_penalty_apart():
    """Replay with frozen weights (lr 1e-30): loss = eq. (1) on the loop's batches, penalty = its own value."""
    X, _ = _data(n=48)
    model = _model("linear")
    aug = VectorAugment(noise=0.2, dropout=0.1)
    g_shuffle, g_aug = torch_generators(5)
    Xt = torch.as_tensor(X)
    perm = torch.randperm(48, generator=g_shuffle)
    with torch.no_grad():
        losses = []
        for b in range(3):
            x = Xt[perm[b * 16 : (b + 1) * 16]]
            losses.append(nt_xent(model(aug(x, g_aug)), model(aug(x, g_aug)), 0.5).item())
        pen_value = 3.0 * model.head.linear.weight.pow(2).sum().item()
    hist = train_simclr(model, X, aug, epochs=1, batch_size=16, lr=1e-30, momentum=0.0, weight_decay=0.0, tau=0.5,
                        seed=5, penalty=lambda head: 3.0 * head.linear.weight.pow(2).sum())
    assert hist.loss[0] == pytest.approx(np.mean(losses), rel=1e-6)
    assert hist.penalty[0] == pytest.approx(pen_value, rel=1e-6)
    assert abs(hist.loss[0] - (np.mean(losses) + pen_value)) > 0.1 * pen_value  # the sum is not what is recorded


def test_callbacks_and_history():
    X, _ = _data()
    calls = []

    def cb(epoch, model, history):
        calls.append((epoch, model.training))
        return {"epoch_sq": epoch**2} if epoch % 2 == 0 else {"other": 1.0}

    hist = _train(_model("mlp"), X, epochs=4, callbacks=[cb], eval_at_start=True)
    assert calls == [(e, False) for e in range(5)]
    assert hist.metric_epochs == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(hist.metrics["epoch_sq"], [0, np.nan, 4, np.nan, 16])
    np.testing.assert_array_equal(hist.metrics["other"], [np.nan, 1, np.nan, 1, np.nan])
    arrays = hist.as_arrays("tf_")
    assert arrays["tf_loss"].shape == (4,) and arrays["tf_metric_epoch_sq"].shape == (5,)
    assert hist.train_time_s > 0 and len(hist.lr) == 4


def test_joint_and_separate_views_differ_only_for_the_transformer():
    X, _ = _data()
    for head, same in (("mlp", True), ("transformer", False)):
        a, b = _model(head), _model(head)
        _train(a, X, epochs=1, joint_views=True)
        _train(b, X, epochs=1, joint_views=False)
        assert torch.allclose(_params(a), _params(b), atol=1e-5) is same


def test_lr_schedule():
    assert lr_factor(0, 100) == 1.0
    assert lr_factor(50, 100) == pytest.approx(0.5)
    assert lr_factor(25, 100) == pytest.approx(0.5 * (1 + np.sqrt(0.5)), rel=1e-12)  # cos(pi/4)
    assert lr_factor(100, 100) == pytest.approx(0.0, abs=1e-15)
    assert lr_factor(1, 1) == pytest.approx(0.0, abs=1e-15)  # a one-step cosine still ends at 0
    assert lr_factor(4, 100, warmup_steps=4) == 1.0  # the first step after warm-up starts the cosine at 1
    assert lr_factor(0, 100, warmup_steps=1) == 1.0
    assert [lr_factor(s, 100, warmup_steps=4) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    # after warm-up the cosine runs over the remaining 96 steps: step 4 + 48 is its half-way point
    assert lr_factor(52, 100, warmup_steps=4) == pytest.approx(0.5, rel=1e-12)
    assert lr_factor(4 + 32, 100, warmup_steps=4) == pytest.approx(0.75, rel=1e-12)  # cos(pi/3) = 1/2
    assert lr_factor(37, 100, scheduler="constant") == 1.0
    assert lr_factor(2, 100, scheduler="constant", warmup_steps=4) == pytest.approx(0.75)


def test_recorded_learning_rate_follows_the_schedule():
    """history.lr[e] is the rate of the last step of epoch e: base * lr_factor((e + 1) * steps - 1, total)."""
    X, _ = _data(n=48)  # 3 steps per epoch at batch 16; one warm-up epoch = 3 warm-up steps of 12
    hist = _train(_model("linear"), X, epochs=4, lr=0.2, warmup_epochs=1)
    expected = [0.2 * lr_factor((e + 1) * 3 - 1, 12, warmup_steps=3) for e in range(4)]
    np.testing.assert_allclose(hist.lr, expected, rtol=1e-12)
    assert hist.lr[0] == pytest.approx(0.2, rel=1e-12)  # hand: last warm-up step, factor 3/3
    assert hist.lr[1] == pytest.approx(0.2 * 0.5 * (1 + np.cos(2 * np.pi / 9)), rel=1e-12)  # step 5: t = 2/9


def test_divergence_is_reported():
    X, _ = _data()
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        _train(_model("mlp"), X * 1e30, lr=1e30, epochs=2)


# ------------------------------------------- one step against closed forms
#
# The first step of every optimiser has a closed form in the gradient g of
# eq. (1) on the first batch (replayed by hand): SGD (with or without
# momentum: its buffer starts at g) moves by -lr (g + wd p), Adam by
# -lr sign(g + wd p) (m/sqrt(v) = g/|g| at step 1), AdamW by
# -lr sign(g) - lr wd p; clipping rescales g to the clip norm.


def _first_batch_grad(model, X, aug, *, seed, batch_size, tau, wd=0.0, penalty=None):
    import copy

    m = copy.deepcopy(model)
    m.train()
    g_shuffle, g_aug = torch_generators(seed)
    Xt = torch.as_tensor(X)
    perm = torch.randperm(len(X), generator=g_shuffle)
    x = Xt[perm[:batch_size]]
    x1, x2 = aug(x, g_aug), aug(x, g_aug)
    z1, z2 = m(torch.cat([x1, x2])).split(batch_size)
    loss = nt_xent(z1, z2, tau)
    if penalty is not None:
        loss = loss + penalty(m.head)
    loss.backward()
    return [(p.detach().clone(), p.grad.detach().clone()) for p in m.parameters()]


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("wd", [0.0, 0.3])
def test_first_step_of_each_optimiser_in_closed_form(optimizer, wd):
    X, _ = _data(n=16)
    model = _model("linear")
    aug = VectorAugment(noise=0.2, dropout=0.0)
    lr = 2e-3  # not an optimiser's default (1e-3), so a dropped lr shows
    before = _first_batch_grad(model, X, aug, seed=2, batch_size=16, tau=0.5)
    train_simclr(model, X, aug, epochs=1, batch_size=16, tau=0.5, optimizer=optimizer, lr=lr, weight_decay=wd,
                 momentum=0.9, seed=2)
    for (p0, g), p1 in zip(before, model.parameters()):
        if optimizer == "sgd":
            want = p0 - lr * (g + wd * p0)
        elif optimizer == "adam":
            want = p0 - lr * torch.sign(g + wd * p0)
        else:
            want = p0 * (1 - lr * wd) - lr * torch.sign(g)
        torch.testing.assert_close(p1.detach(), want, rtol=1e-5, atol=1e-6)


def test_penalty_gradient_enters_the_step():
    X, _ = _data(n=16)
    model = _model("linear")
    aug = VectorAugment(noise=0.2, dropout=0.0)

    def pen(head):
        return 2.0 * head.linear.weight.pow(2).sum()

    before = _first_batch_grad(model, X, aug, seed=1, batch_size=16, tau=0.5, penalty=pen)
    train_simclr(model, X, aug, epochs=1, batch_size=16, tau=0.5, lr=1e-3, momentum=0.0, weight_decay=0.0, seed=1,
                 penalty=pen)
    for (p0, g), p1 in zip(before, model.parameters()):
        torch.testing.assert_close(p1.detach(), p0 - 1e-3 * g, rtol=1e-5, atol=1e-7)


def test_gradient_clipping_rescales_the_global_norm():
    X, _ = _data(n=16)
    model = _model("mlp")
    aug = VectorAugment(noise=0.2, dropout=0.0)
    before = _first_batch_grad(model, X, aug, seed=0, batch_size=16, tau=0.5)
    norm = torch.sqrt(sum((g**2).sum() for _, g in before))
    clip = 0.1 * float(norm)
    train_simclr(model, X, aug, epochs=1, batch_size=16, tau=0.5, lr=1e-2, momentum=0.0, weight_decay=0.0, seed=0,
                 grad_clip=clip)
    for (p0, g), p1 in zip(before, model.parameters()):
        torch.testing.assert_close(p1.detach(), p0 - 1e-2 * g * (clip / norm), rtol=1e-4, atol=1e-7)


def test_warm_up_scales_the_first_step():
    """One step per epoch and four warm-up epochs: the only step of a one-epoch run has factor 1/4."""
    X, _ = _data(n=16)
    model = _model("linear")
    aug = VectorAugment(noise=0.2, dropout=0.0)
    before = _first_batch_grad(model, X, aug, seed=4, batch_size=16, tau=0.5)
    hist = train_simclr(model, X, aug, epochs=1, batch_size=16, tau=0.5, lr=0.01, momentum=0.0, weight_decay=0.0,
                        seed=4, warmup_epochs=4)
    for (p0, g), p1 in zip(before, model.parameters()):
        torch.testing.assert_close(p1.detach(), p0 - 0.01 * 0.25 * g, rtol=1e-5, atol=1e-8)
    assert hist.lr == [pytest.approx(0.0025, rel=1e-12)]


# ------------------------------------------------------- pieces of the loop


def test_make_optimizer_passes_its_settings_on():
    from theory.simclr import make_optimizer

    params = [torch.nn.Parameter(torch.zeros(2))]
    sgd = make_optimizer(params, "sgd", lr=0.3, momentum=0.7, weight_decay=0.01)
    assert type(sgd) is torch.optim.SGD
    assert (sgd.defaults["lr"], sgd.defaults["momentum"], sgd.defaults["weight_decay"]) == (0.3, 0.7, 0.01)
    adam = make_optimizer(params, "adam", lr=0.2, weight_decay=0.5)
    assert type(adam) is torch.optim.Adam and (adam.defaults["lr"], adam.defaults["weight_decay"]) == (0.2, 0.5)
    adamw = make_optimizer(params, "adamw", lr=0.2, weight_decay=0.5)
    assert type(adamw) is torch.optim.AdamW and (adamw.defaults["lr"], adamw.defaults["weight_decay"]) == (0.2, 0.5)
    d = make_optimizer(params)
    assert type(d) is torch.optim.SGD and (d.defaults["lr"], d.defaults["momentum"], d.defaults["weight_decay"]) == (
        0.1, 0.9, 1e-3)
    assert make_optimizer(params, momentum=0.0).defaults["momentum"] == 0.0


def test_torch_generators_are_seeded_independent_streams():
    a1, a2 = torch_generators(7)
    b1, b2 = torch_generators(7)
    c1, _ = torch_generators(8)
    x = torch.rand(100, generator=a1)
    assert torch.equal(x, torch.rand(100, generator=b1))
    assert not torch.equal(torch.rand(100, generator=a2), torch.rand(100, generator=torch_generators(7)[0]))
    assert not torch.equal(x, torch.rand(100, generator=c1))
    assert a1.device.type == "cpu" and a2.device.type == "cpu"


def test_history_record_pads_missing_names_and_as_arrays_prefixes():
    h = TrainHistory()
    h.record(0, {"a": 1})
    h.record(2, {"b": 2})
    h.record(2, {"a": 3})  # same epoch: filled in, not a new row
    h.record(5, {})
    assert h.metric_epochs == [0, 2, 5]
    np.testing.assert_array_equal(h.metrics["a"], [1, 3, np.nan])
    np.testing.assert_array_equal(h.metrics["b"], [np.nan, 2, np.nan])
    h.loss, h.epoch_time_s, h.penalty, h.lr = [0.5, 0.25], [1.0, 2.5], [0.0, 0.1], [0.3, 0.2]
    arr = h.as_arrays("x_")
    np.testing.assert_array_equal(arr["x_loss"], [0.5, 0.25])
    np.testing.assert_array_equal(arr["x_penalty"], [0.0, 0.1])
    np.testing.assert_array_equal(arr["x_lr"], [0.3, 0.2])
    np.testing.assert_array_equal(arr["x_epoch_time_s"], [1.0, 2.5])
    np.testing.assert_array_equal(arr["x_metric_epochs"], [0, 2, 5])
    empty = TrainHistory().as_arrays()
    assert all(v.shape == (0,) for v in empty.values())
    assert empty["metric_epochs"].dtype.kind == "i" and empty["loss"].dtype == np.float64
    assert set(arr) == {"x_loss", "x_penalty", "x_lr", "x_epoch_time_s", "x_metric_epochs", "x_metric_a", "x_metric_b"}
    assert arr["x_metric_epochs"].dtype.kind == "i" and arr["x_loss"].dtype == np.float64
    assert h.train_time_s == pytest.approx(3.5) and set(TrainHistory().as_arrays()) >= {"loss", "lr"}


def test_epoch_time_excludes_callbacks_and_the_model_ends_in_eval_mode(capsys):
    import time as _time

    X, _ = _data(n=32)
    model = _model("mlp")
    hist = _train(model, X, epochs=2, callbacks=[lambda e, m, h: _time.sleep(0.3)], progress=True,
                  progress_desc="check-desc")
    assert len(hist.epoch_time_s) == 2 and all(0 < t < 0.3 for t in hist.epoch_time_s)
    assert not model.training
    err = capsys.readouterr().err
    assert "check-desc" in err and "1/2" in err and "2/2" in err  # one tick per epoch, out of epochs
    assert f"loss={hist.loss[0]:.3f}" in err  # the epoch's loss in the bar
    assert hist.metric_epochs == [] and hist.penalty == [0.0, 0.0]


def test_zero_epochs_runs_only_the_start_callbacks():
    X, _ = _data()
    model = _model("linear")
    before = _params(model)
    hist = _train(model, X, epochs=0, eval_at_start=True, callbacks=[lambda e, m, h: {"e": e}])
    assert hist.loss == [] and hist.metric_epochs == [0] and torch.equal(_params(model), before)


def test_inputs_are_taken_as_float_tensors():
    X, _ = _data(n=32)
    ints = np.round(X).astype(np.int64)
    a, b = _model("linear"), _model("linear")
    ha = _train(a, ints, epochs=1)
    hb = _train(b, torch.as_tensor(ints.astype(np.float32)), epochs=1)
    assert ha.loss == hb.loss and torch.equal(_params(a), _params(b))


def test_simclr_module_is_head_after_backbone():
    model = _model("mlp")
    x = torch.randn(5, 6)
    torch.testing.assert_close(model.features(x), model.backbone(x), rtol=0, atol=0)
    torch.testing.assert_close(model(x), model.head(model.backbone(x)), rtol=0, atol=0)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"batch_size": 1}, r"^batch_size must be an integer in \[2, 48\], got 1$"),
        ({"batch_size": 49}, r"^batch_size must be an integer in \[2, 48\], got 49$"),
        ({"optimizer": "lbfgs"}, r"^optimizer must be one of sgd, adam, adamw, got 'lbfgs'$"),
        ({"scheduler": "step"}, r"^scheduler must be one of cosine, constant, got 'step'$"),
        ({"tau": 0.0}, r"^tau must be in \(0, inf\), got 0.0$"),
        ({"lr": -1.0}, r"^lr must be in \(0, inf\), got -1.0$"),
        ({"momentum": 1.0}, r"^momentum must be in \[0, 1\), got 1.0$"),
        ({"weight_decay": -0.1}, r"^weight_decay must be in \[0, inf\), got -0.1$"),
        ({"epochs": -1}, r"^epochs must be an integer in \[0, inf\), got -1$"),
        ({"warmup_epochs": -1}, r"^warmup_epochs must be an integer in \[0, inf\), got -1$"),
        ({"grad_clip": 0.0}, r"^grad_clip must be in \(0, inf\), got 0.0$"),
        ({"seed": -1}, r"^seed must be an integer in \[0, inf\), got -1$"),
    ],
)
def test_bad_input_names_the_parameter(kw, match):
    X, _ = _data()
    with pytest.raises(ValueError, match=match):
        _train(_model("mlp"), X, **kw)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((8, 6), np.nan), r"^X must contain only finite values \(no NaN or inf\)$"),
        (np.zeros(6), r"^X must have a sample axis and at least one feature axis, got shape \(6,\)$"),
        (np.zeros((1, 6)), r"^X must hold at least 2 inputs, got 1$"),
    ],
)
def test_bad_data_is_refused(X, match):
    with pytest.raises(ValueError, match=match):
        _train(_model("mlp"), X)


def test_bad_model_and_schedule_names():
    X, _ = _data()
    with pytest.raises(ValueError, match=r"^model must be a theory.simclr.SimCLR, got Linear$"):
        train_simclr(torch.nn.Linear(2, 2), X, VectorAugment())
    with pytest.raises(ValueError, match=r"^scheduler must be one of cosine, constant, got 'x'$"):
        lr_factor(0, 10, scheduler="x")


def test_inputs_of_every_dtype_become_float32():
    X, _ = _data(n=32)
    ints = np.round(X).astype(np.int64)
    runs = [ints.astype(np.float32), ints.astype(np.float64), torch.as_tensor(ints), ints]
    params, losses = [], []
    for data in runs:
        m = _model("linear")
        losses.append(_train(m, data, epochs=1).loss)
        params.append(_params(m))
    assert all(loss == losses[0] for loss in losses)
    assert all(torch.equal(p, params[0]) for p in params)


class _NtXentSpy:
    def __init__(self, monkeypatch):
        import theory.simclr

        self.taus, self.sizes = [], []
        original = theory.simclr.nt_xent

        def spy(z1, z2, tau=0.5, **kw):
            self.taus.append(tau)
            self.sizes.append(z1.shape[0])
            return original(z1, z2, tau, **kw)

        monkeypatch.setattr(theory.simclr, "nt_xent", spy)


def test_defaults(monkeypatch, capsys):
    """10 epochs, batch 256, tau 0.5, SGD lr 0.1 cosine without warm-up, joint views, seed 0, no bar."""
    spy = _NtXentSpy(monkeypatch)
    X, _ = _data(n=256)
    model = _model("linear")
    seen = []
    model.head.register_forward_hook(lambda mod, inp, out: seen.append(inp[0].shape[0]))
    calls = []
    hist = train_simclr(model, X, VectorAugment(noise=0.2), callbacks=[lambda e, m, h: calls.append(e)])
    assert len(hist.loss) == 10 and calls == list(range(1, 11))
    assert spy.taus == [0.5] * 10 and spy.sizes == [256] * 10
    assert seen == [512] * 10  # both views in one call
    np.testing.assert_allclose(hist.lr, [0.1 * lr_factor(e, 10) for e in range(10)], rtol=1e-12)
    assert capsys.readouterr().err == ""
    a, b = _model("linear"), _model("linear")
    ha = train_simclr(a, X, VectorAugment(noise=0.2), epochs=1)
    hb = train_simclr(b, X, VectorAugment(noise=0.2), epochs=1, seed=0)
    assert ha.loss == hb.loss
    train_simclr(_model("linear"), X, VectorAugment(noise=0.2), epochs=1, progress=True)
    import re

    assert re.search(r"(^|\r)simclr: ", capsys.readouterr().err)  # the default description, as it is


def test_constant_schedule_keeps_the_base_rate():
    X, _ = _data(n=32)
    hist = _train(_model("linear"), X, epochs=3, lr=0.07, scheduler="constant")
    assert hist.lr == [0.07, 0.07, 0.07]


def test_callbacks_see_the_history_so_far():
    X, _ = _data(n=32)
    seen = []
    hist = _train(_model("linear"), X, epochs=3, callbacks=[lambda e, m, h: seen.append(list(h.loss))])
    assert seen == [hist.loss[:1], hist.loss[:2], hist.loss[:3]]


def test_two_inputs_are_enough():
    X, _ = _data(n=2)
    hist = train_simclr(_model("linear"), X, VectorAugment(noise=0.2), epochs=2, batch_size=2, lr=0.01)
    assert len(hist.loss) == 2 and np.all(np.isfinite(hist.loss))


def test_bad_temperature_is_refused_before_any_step():
    X, _ = _data()
    for tau in (0.0, -1.0):
        with pytest.raises(ValueError, match=r"^tau must be in \(0, inf\), got "):
            _train(_model("mlp"), X, epochs=0, tau=tau)


def test_a_non_finite_penalty_is_reported_with_its_value():
    X, _ = _data()
    with pytest.raises(FloatingPointError, match=r"^the SimCLR loss became inf at epoch 1; lower the learning rate$"):
        _train(_model("linear"), X, penalty=lambda head: torch.tensor(float("inf")))
