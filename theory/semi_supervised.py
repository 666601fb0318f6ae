"""Semi-supervised fine-tuning with a fraction of the labels (Song et al., SparseHead, Table 2).

Song et al. fine-tune the pre-trained backbone on the fixed 1% and 10% label
splits of ImageNet and report the top-1 test accuracy.  At our scale the
same protocol reads: take a stratified subset of ``fraction`` of the
labelled training inputs (:func:`theory.evaluation.stratified_subset`, at
least one per class), put a linear classifier on a *copy* of the backbone
``f_theta`` (the head is discarded, as in SimCLR's fine-tuning), train both
with Adam on the cross-entropy

.. math::

    \\min_{\\theta, A, b}\\; \\frac{1}{|S|} \\sum_{i \\in S}
    -\\log \\operatorname{softmax}(A f_\\theta(x_i) + b)_{y_i},

and report the top-1 accuracy on the test inputs.  With ``backbone_lr = 0``
the backbone stays frozen and the problem is the convex multinomial logistic
regression on the frozen features (the linear probe, up to its penalty).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from theory._validation import check_array, check_int, check_scalar
from theory.evaluation import stratified_subset

__all__ = ["fine_tune", "fine_tune_accuracy"]


def _labels(y: Any, n: int, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise ValueError(f"{name} must be an integer array of shape ({n},), got {y.dtype} {y.shape}")
    return y


def fine_tune(
    backbone,
    inputs: Any,
    labels: Any,
    *,
    fraction: float = 0.1,
    epochs: int = 100,
    lr: float = 1e-2,
    backbone_lr: float | None = None,
    weight_decay: float = 0.0,
    batch_size: int = 256,
    seed: int = 0,
    device=None,
):
    """Fine-tune a copy of ``backbone`` with a linear classifier on ``fraction`` of the labelled ``inputs``.

    Parameters
    ----------
    backbone : torch.nn.Module
        Maps a batch of inputs to features ``(B, p)``; it is deep-copied, never modified.
    inputs : array_like or torch.Tensor, shape (n, ...)
    labels : array_like of int, shape (n,)
        At least two classes.
    fraction : float in (0, 1], default 0.1
        Share of each class that is labelled (stratified, at least one per class).
    epochs : int >= 1, default 100
        Passes over the labelled subset (mini-batches of ``batch_size``, reshuffled each epoch).
    lr : float > 0, default 1e-2
        Adam's rate for the classifier.
    backbone_lr : float >= 0, optional
        Adam's rate for the backbone (default ``lr / 10``); 0 freezes it.
    weight_decay : float >= 0, default 0
        Adam's L2 weight decay on every trained parameter.
    batch_size : int >= 1, default 256
    seed : int >= 0
        Seeds the subset, the classifier's initialisation and the batch order.
    device : torch.device, optional
        Default: the backbone's.

    Returns
    -------
    model : torch.nn.Sequential
        ``(backbone copy, Linear)`` in eval mode, producing logits.
    subset : ndarray of int
        The indices of the labelled inputs used.
    """
    import torch
    from torch import nn

    from theory.heads import seeded_init

    if not isinstance(backbone, nn.Module):
        raise ValueError(f"backbone must be a torch.nn.Module, got {type(backbone).__name__}")
    X = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(check_array(inputs, "inputs"), dtype=torch.float32)
    if X.ndim < 2 or X.shape[0] < 2:
        raise ValueError(f"inputs must hold at least 2 rows, got shape {tuple(X.shape)}")
    y = _labels(labels, X.shape[0], "labels")
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError("labels must contain at least 2 classes")
    epochs = check_int(epochs, "epochs", low=1)
    lr = check_scalar(lr, "lr", low=0.0, closed="neither")
    backbone_lr = lr / 10 if backbone_lr is None else check_scalar(backbone_lr, "backbone_lr", low=0.0)
    weight_decay = check_scalar(weight_decay, "weight_decay", low=0.0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    seed = check_int(seed, "seed", low=0)
    subset = stratified_subset(y, fraction, np.random.default_rng(seed))

    net = copy.deepcopy(backbone)
    if device is None:
        device = next((p.device for p in net.parameters()), X.device)
    net = net.to(device)
    Xs = X[torch.as_tensor(subset)].to(device)
    ys = torch.as_tensor(codes[subset], dtype=torch.long, device=device)
    was = net.training
    net.eval()
    with torch.no_grad():
        probe = net(Xs[:2])
    net.train(was)
    with seeded_init(seed):
        classifier = nn.Linear(probe.shape[1], classes.size).to(device=device, dtype=probe.dtype)
    model = nn.Sequential(net, classifier)
    groups = [{"params": list(classifier.parameters()), "lr": lr}]
    trainable = [q for q in net.parameters() if q.requires_grad]
    if trainable and backbone_lr > 0:
        groups.append({"params": trainable, "lr": backbone_lr})
    else:
        for q in trainable:
            q.requires_grad_(False)
    opt = torch.optim.Adam(groups, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    if backbone_lr == 0:
        net.eval()  # frozen: BatchNorm keeps its running statistics
    n = Xs.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen).to(device)
        for s in range(0, n, batch_size):
            b = order[s : s + batch_size]
            if b.numel() < 2 and backbone_lr > 0:
                continue  # BatchNorm cannot train on one sample
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(Xs[b]), ys[b]).backward()
            opt.step()
    model.eval()
    return model, subset


def fine_tune_accuracy(
    backbone, train_inputs: Any, train_labels: Any, test_inputs: Any, test_labels: Any, **kw
) -> float:
    """Top-1 test accuracy after :func:`fine_tune` on ``fraction`` of the training labels (Song et al., Table 2).

    ``kw`` are :func:`fine_tune`'s options (``fraction``, ``epochs``, ``lr``, ...).
    """
    import torch

    model, _ = fine_tune(backbone, train_inputs, train_labels, **kw)
    classes = np.unique(np.asarray(train_labels))
    Xte = test_inputs if isinstance(test_inputs, torch.Tensor) else torch.as_tensor(
        check_array(test_inputs, "test_inputs"), dtype=torch.float32)
    yte = np.asarray(test_labels)
    if yte.shape != (Xte.shape[0],):
        raise ValueError(f"test_labels must have shape ({Xte.shape[0]},), got {yte.shape}")
    device = next(model.parameters()).device
    with torch.no_grad():
        pred = torch.cat([model(Xte[s : s + 1024].to(device)).argmax(1).cpu() for s in range(0, Xte.shape[0], 1024)])
    return float(np.mean(classes[pred.numpy()] == yte))
