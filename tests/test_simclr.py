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


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"batch_size": 1}, "batch_size"),
        ({"batch_size": 49}, "batch_size"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"scheduler": "step"}, "scheduler must be one of"),
        ({"tau": 0.0}, "tau"),
        ({"lr": -1.0}, "lr"),
        ({"epochs": -1}, "epochs"),
    ],
)
def test_bad_input(kw, match):
    X, _ = _data()
    with pytest.raises(ValueError, match=match):
        _train(_model("mlp"), X, **kw)
    with pytest.raises(ValueError, match="finite"):
        _train(_model("mlp"), np.full((8, 6), np.nan))
    with pytest.raises(ValueError, match="SimCLR"):
        train_simclr(torch.nn.Linear(2, 2), X, VectorAugment())
