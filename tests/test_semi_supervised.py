"""Fine-tuning on a fraction of the labels against scipy's multinomial logistic regression and its protocol."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from scipy.special import logsumexp
from torch import nn

from theory.semi_supervised import fine_tune, fine_tune_accuracy


def _blobs(n, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    means = np.array([[1.0, 0.0], [-0.5, 0.9], [-0.5, -0.9]])
    return means[y] + 0.8 * rng.standard_normal((n, 2)) + shift, y


def _scipy_logistic(X, y, K):
    """Unpenalised multinomial logistic regression by BFGS on the loop-free negative log-likelihood."""
    n, p = X.shape

    def f(theta):
        A, b = theta[: K * p].reshape(K, p), theta[K * p :]
        logits = X @ A.T + b
        return np.mean(logsumexp(logits, axis=1) - logits[np.arange(n), y])

    res = minimize(f, np.zeros(K * p + K), method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
    A, b = res.x[: K * p].reshape(K, p), res.x[K * p :]
    return lambda Z: np.exp((Z @ A.T + b) - logsumexp(Z @ A.T + b, axis=1, keepdims=True))


def test_frozen_identity_backbone_is_multinomial_logistic_regression():
    """backbone_lr = 0 on the identity: the classifier converges to the unique (overlapping classes) MLE."""
    X, y = _blobs(300, 0)
    model, subset = fine_tune(nn.Identity(), torch.as_tensor(X), y, fraction=1.0, epochs=3000, lr=0.05,
                              backbone_lr=0.0, batch_size=300, seed=1)
    model = model.double()
    assert subset.tolist() == list(range(300))
    Z, _ = _blobs(50, 2)
    with torch.no_grad():
        P = torch.softmax(model(torch.as_tensor(Z)), dim=1).numpy()
    np.testing.assert_allclose(P, _scipy_logistic(X, y, 3)(Z), atol=2e-3)


def test_fraction_draws_a_stratified_subset_and_only_it_is_used():
    """Labels outside the subset are never read: scrambling them changes nothing."""
    X, y = _blobs(400, 3)
    _, subset = fine_tune(nn.Identity(), X.astype(np.float32), y, fraction=0.1, epochs=1, seed=4)
    counts = np.bincount(y)
    assert np.array_equal(np.bincount(y[subset], minlength=3), np.maximum(1, np.round(0.1 * counts)).astype(int))
    # the same run on the subset alone (fraction 1: all of it, in order) gives the same classifier
    a, _ = fine_tune(nn.Identity(), X.astype(np.float32), y, fraction=0.1, epochs=20, seed=4)
    b, _ = fine_tune(nn.Identity(), X[subset].astype(np.float32), y[subset], fraction=1.0, epochs=20, seed=4)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_one_percent_keeps_one_example_per_class():
    X, y = _blobs(90, 5)
    _, subset = fine_tune(nn.Identity(), X.astype(np.float32), y, fraction=0.01, epochs=1, seed=0)
    assert sorted(y[subset].tolist()) == [0, 1, 2]


def test_backbone_is_trained_on_a_copy_at_its_own_rate():
    torch.manual_seed(0)
    bb = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU())
    before = [p.detach().clone() for p in bb.parameters()]
    X, y = _blobs(200, 6)
    model, _ = fine_tune(bb, X.astype(np.float32), y, fraction=0.5, epochs=5, lr=0.01, seed=2)
    for p, q in zip(bb.parameters(), before):
        assert torch.equal(p, q)  # the caller's backbone is untouched
    moved = [float((p.detach() - q).abs().max()) for p, q in zip(model[0].parameters(), before)]
    assert min(moved) > 0
    frozen, _ = fine_tune(bb, X.astype(np.float32), y, fraction=0.5, epochs=5, lr=0.01, backbone_lr=0.0, seed=2)
    for p, q in zip(frozen[0].parameters(), before):
        assert torch.equal(p, q)
    assert torch.equal(frozen[0][1].running_mean, bb[1].running_mean)  # frozen: eval mode, statistics kept
    assert not model.training and not frozen.training


def test_fine_tuning_helps_when_the_backbone_features_are_poor_and_is_seeded():
    """A backbone that squashes the class axis: the probe cannot recover, fine-tuning can (a protocol bug that
    froze the backbone or used the wrong labels would stay near chance)."""
    torch.manual_seed(0)
    bb = nn.Linear(2, 2)
    with torch.no_grad():
        bb.weight.copy_(torch.tensor([[1e-3, 0.0], [0.0, 1e-3]]))
        bb.bias.zero_()
    X, y = _blobs(600, 7)
    Xte, yte = _blobs(300, 8)
    kw = dict(fraction=0.5, epochs=200, lr=0.05, backbone_lr=0.05, seed=3)
    tuned = fine_tune_accuracy(bb, X.astype(np.float32), y, Xte.astype(np.float32), yte, **kw)
    frozen = fine_tune_accuracy(bb, X.astype(np.float32), y, Xte.astype(np.float32), yte, **{**kw, "backbone_lr": 0.0})
    assert tuned > 0.7 and tuned > frozen + 0.1
    assert tuned == fine_tune_accuracy(bb, X.astype(np.float32), y, Xte.astype(np.float32), yte, **kw)


def test_labels_that_are_not_0_to_k_minus_1_are_returned_as_given():
    X, y = _blobs(200, 9)
    acc = fine_tune_accuracy(nn.Identity(), X.astype(np.float32), 10 * y + 5, X.astype(np.float32), 10 * y + 5,
                             fraction=1.0, epochs=200, lr=0.05)
    assert acc > 0.7


@pytest.mark.parametrize("kw, match", [
    (dict(fraction=0.0), r"^fraction must be in \(0, 1\], got 0.0$"),
    (dict(epochs=0), r"^epochs must be an integer in \[1, inf\), got 0$"),
    (dict(lr=0.0), r"^lr must be in \(0, inf\), got 0.0$"),
    (dict(backbone_lr=-1.0), r"^backbone_lr must be in \[0, inf\), got -1.0$"),
    (dict(weight_decay=float("nan")), r"^weight_decay must be "),
    (dict(batch_size=0), r"^batch_size must be an integer in \[1, inf\), got 0$"),
])
def test_bad_options_name_the_parameter(kw, match):
    X, y = _blobs(20, 0)
    with pytest.raises(ValueError, match=match):
        fine_tune(nn.Identity(), X, y, **kw)


def test_bad_inputs_name_the_parameter():
    X, y = _blobs(20, 0)
    with pytest.raises(ValueError, match=r"^backbone must be a torch.nn.Module, got function$"):
        fine_tune(lambda x: x, X, y)
    with pytest.raises(ValueError, match=r"^labels must be an integer array of shape \(20,\)"):
        fine_tune(nn.Identity(), X, y[:5])
    with pytest.raises(ValueError, match=r"^labels must contain at least 2 classes$"):
        fine_tune(nn.Identity(), X, np.zeros(20, dtype=int))
    with pytest.raises(ValueError, match=r"^test_labels must have shape \(3,\)"):
        fine_tune_accuracy(nn.Identity(), X, y, X[:3], y[:4], epochs=1)


def _one_adam_step(backbone, X, y, **kw):
    """One epoch with one full batch: a single Adam step from the copied backbone and a seeded classifier."""
    model, _ = fine_tune(backbone, X, y, fraction=1.0, epochs=1, batch_size=X.shape[0], seed=0, **kw)
    return model


def test_each_parameter_group_moves_by_its_own_rate_on_the_first_adam_step():
    """Adam's first step is ``-lr * g / (|g| + eps)``: every parameter with a non-zero gradient moves by its rate
    (classifier: ``lr``; backbone: ``backbone_lr``, default ``lr / 10``), independent of the gradient's size."""
    from theory.heads import seeded_init

    torch.manual_seed(0)
    bb = nn.Linear(2, 3)
    X, y = _blobs(60, 11)
    X = X.astype(np.float32)
    with seeded_init(0):
        head0 = nn.Linear(3, 3)
    for kw, lr_head, lr_bb in [(dict(lr=0.02), 0.02, 0.002), (dict(lr=0.02, backbone_lr=0.007), 0.02, 0.007)]:
        model = _one_adam_step(bb, X, y, **kw)
        for p, q in zip(model[0].parameters(), bb.parameters()):
            np.testing.assert_allclose(np.abs((p - q).detach().numpy()), lr_bb, rtol=1e-4)
        for p, q in zip(model[1].parameters(), head0.parameters()):
            np.testing.assert_allclose(np.abs((p - q).detach().numpy()), lr_head, rtol=1e-4)


def test_weight_decay_enters_the_gradient():
    """With a weight decay that dominates the loss gradient, Adam's first step moves every parameter towards 0."""
    torch.manual_seed(1)
    bb = nn.Linear(2, 3)
    X, y = _blobs(60, 12)
    model = _one_adam_step(bb, X.astype(np.float32), y, lr=0.01, backbone_lr=0.01, weight_decay=1e6)
    for p, q in zip(model[0].parameters(), bb.parameters()):
        np.testing.assert_allclose((p - q).detach().numpy(), -0.01 * np.sign(q.detach().numpy()), rtol=1e-4)
    plain = _one_adam_step(bb, X.astype(np.float32), y, lr=0.01, backbone_lr=0.01)
    moved = np.concatenate([(p - q).detach().numpy().ravel() for p, q in zip(plain[0].parameters(), bb.parameters())])
    signs = np.concatenate([q.detach().numpy().ravel() for q in bb.parameters()])
    assert np.any(np.sign(moved) == np.sign(signs))  # without decay some parameter moves away from 0


def test_frozen_backbone_parameters_do_not_require_gradients():
    bb = nn.Sequential(nn.Linear(2, 4), nn.ReLU())
    X, y = _blobs(40, 13)
    frozen = _one_adam_step(bb, X.astype(np.float32), y, backbone_lr=0.0)
    assert not any(q.requires_grad for q in frozen[0].parameters())
    assert all(q.requires_grad for q in frozen[1].parameters())
    tuned = _one_adam_step(bb, X.astype(np.float32), y)
    assert all(q.requires_grad for q in tuned.parameters())


def test_documented_defaults():
    """A call with no options equals one with the documented defaults spelled out (a subset of 300 > batch_size
    rows, so the batch size is visible; a trainable backbone, so ``backbone_lr = lr / 10`` is)."""
    torch.manual_seed(2)
    bb = nn.Linear(2, 2)
    X, y = _blobs(3000, 14)
    X = X.astype(np.float32)
    a, sa = fine_tune(bb, X, y)
    b, sb = fine_tune(bb, X, y, fraction=0.1, epochs=100, lr=1e-2, backbone_lr=1e-3, weight_decay=0.0,
                      batch_size=256, seed=0)
    assert np.array_equal(sa, sb) and sa.size == 300
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    c, _ = fine_tune(bb, X, y, epochs=99)
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_float64_tensors_are_used_as_given():
    """Tensor inputs keep their dtype: float64 inputs give a float64 classifier, and float64 test inputs are
    accepted by it (a float32 conversion would fail on the float64 model)."""
    X, y = _blobs(80, 15)
    Xt = torch.as_tensor(X)  # float64
    model, _ = fine_tune(nn.Identity(), Xt, y, fraction=1.0, epochs=2)
    assert model[1].weight.dtype == torch.float64
    model32, _ = fine_tune(nn.Identity(), X, y, fraction=1.0, epochs=2)  # numpy input: float32
    assert model32[1].weight.dtype == torch.float32
    acc = fine_tune_accuracy(nn.Identity(), Xt, y, Xt, y, fraction=1.0, epochs=50, lr=0.05)
    assert acc > 0.7


def test_accuracy_over_more_than_one_chunk_of_test_inputs_matches_a_direct_count():
    """2500 test inputs are classified in chunks of 1024; every one of them is counted once."""
    X, y = _blobs(300, 16)
    Xte, yte = _blobs(2500, 17)
    kw = dict(fraction=1.0, epochs=30, lr=0.05, seed=5)
    acc = fine_tune_accuracy(nn.Identity(), X.astype(np.float32), y, Xte.astype(np.float32), yte, **kw)
    model, _ = fine_tune(nn.Identity(), X.astype(np.float32), y, **kw)
    with torch.no_grad():
        pred = model(torch.as_tensor(Xte, dtype=torch.float32)).argmax(1).numpy()
    assert round(acc * 2500) == np.count_nonzero(pred == yte)
    wrong = np.flatnonzero(pred != yte)
    assert 0 < wrong.size < 2500  # a count that a dropped or repeated chunk would change


def test_the_smallest_valid_inputs():
    """Two rows of two classes, one feature column, two classes: all accepted."""
    X = np.array([[0.0], [1.0]], dtype=np.float32)
    model, subset = fine_tune(nn.Identity(), X, np.array([0, 1]), fraction=1.0, epochs=1)
    assert sorted(subset.tolist()) == [0, 1] and model[1].weight.shape == (2, 1)
    X2, y2 = _blobs(30, 18)
    model, _ = fine_tune(nn.Identity(), X2.astype(np.float32), (y2 > 0).astype(int), epochs=1)
    assert model[1].weight.shape == (2, 2)


def test_more_bad_inputs_name_the_parameter():
    X, y = _blobs(20, 0)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^inputs must contain only finite values"):
        fine_tune(nn.Identity(), Xn, y)
    with pytest.raises(ValueError, match=r"^inputs must hold at least 2 rows, got shape \(20,\)$"):
        fine_tune(nn.Identity(), X[:, 0], y)
    with pytest.raises(ValueError, match=r"^inputs must hold at least 2 rows, got shape \(1, 2\)$"):
        fine_tune(nn.Identity(), X[:1], y[:1])
    with pytest.raises(ValueError, match=r"^labels must be an integer array of shape \(20,\)"):
        fine_tune(nn.Identity(), X, y.astype(float))
    with pytest.raises(ValueError, match=r"^seed must be an integer in \[0, inf\), got -1$"):
        fine_tune(nn.Identity(), X, y, seed=-1)
    with pytest.raises(ValueError, match=r"^weight_decay must be in \[0, inf\), got -1.0$"):
        fine_tune(nn.Identity(), X, y, weight_decay=-1.0)
    with pytest.raises(ValueError, match=r"^test_inputs must contain only finite values"):
        fine_tune_accuracy(nn.Identity(), X, y, Xn, y, epochs=1)


def test_every_batch_is_trained_on_except_a_single_row_under_batchnorm_training():
    """The batches the backbone sees: a last batch of 2 rows is used; a last batch of 1 row is skipped only when
    the backbone trains (BatchNorm cannot normalise one sample) and used when it is frozen (eval mode)."""

    def sizes(n, backbone_lr):
        bb = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
        seen = []
        bb.register_forward_hook(lambda m, inp, out: seen.append((m.training, inp[0].shape[0])))
        X, y = _blobs(n, 19)
        fine_tune(bb, X.astype(np.float32), np.arange(n) % 3, fraction=1.0, epochs=1, batch_size=4,
                  backbone_lr=backbone_lr, seed=0)
        return [s for training, s in seen[1:]]  # seen[0] is the width probe

    assert sizes(6, 0.5) == [4, 2]
    assert sizes(5, 0.5) == [4]
    assert sizes(5, 2.0) == [4]
    assert sizes(5, 0.0) == [4, 1]
