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
