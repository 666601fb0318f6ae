"""The SimCLR training loop: backbone -> projection head -> NT-Xent.

Li & Pimentel-Alarcón (SimCLR section; Chen et al. 2020): every input is
augmented twice, both views go through the backbone ``f`` and the projection
head ``g``, and the ``2N`` embeddings ``z = g(f(x))`` are trained with the
NT-Xent loss of eq. (1) (:func:`theory.ntxent.nt_xent`, the package's single
implementation).  After training the head is thrown away and the backbone
features ``h = f(x)`` are evaluated (:mod:`theory.evaluation`).

:func:`train_simclr` is deliberately plain: one loop, an optimiser and a
learning-rate schedule chosen by name, an optional extra ``penalty`` on the
head (e.g. the L2,1 penalty of SparseHead, plugged in from outside), and
per-epoch ``callbacks`` whose returned metrics are recorded in the
:class:`TrainHistory`.  With a fixed ``seed`` a run on the CPU is
reproducible bit for bit (same machine, same number of threads).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from theory._validation import NonFiniteError, check_int, check_scalar
from theory.ntxent import nt_xent

__all__ = [
    "OPTIMIZERS",
    "SCHEDULERS",
    "SimCLR",
    "TrainHistory",
    "train_simclr",
    "make_optimizer",
    "lr_factor",
    "torch_generators",
]

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = ("cosine", "constant")

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
Penalty = Callable[[nn.Module], torch.Tensor]
Callback = Callable[[int, "SimCLR", "TrainHistory"], "Mapping[str, float] | None"]


class SimCLR(nn.Module):
    """Backbone followed by a projection head.

    ``features(x) = backbone(x)`` (the representation ``h`` that is
    evaluated), ``forward(x) = head(backbone(x))`` (the embedding ``z`` the
    loss sees).  The head receives the whole batch as one sequence, which
    matters for the transformer head (attention across samples).
    """

    def __init__(self, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


@dataclass
class TrainHistory:
    """Per-epoch record of a :func:`train_simclr` run.

    ``loss`` is the mean NT-Xent loss over the epoch's steps (without the
    penalty), ``penalty`` the mean penalty (0 when none), ``lr`` the learning
    rate at the epoch's last step, ``epoch_time_s`` the wall time of the
    epoch's training steps (callbacks excluded).  ``metrics[name]`` holds
    the values returned by the callbacks, at the epochs listed in
    ``metric_epochs`` (0 = before training, with ``eval_at_start``).
    """

    loss: list[float] = field(default_factory=list)
    penalty: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_time_s: list[float] = field(default_factory=list)
    metric_epochs: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)

    @property
    def train_time_s(self) -> float:
        """Total wall time of the training steps."""
        return float(sum(self.epoch_time_s))

    def record(self, epoch: int, values: Mapping[str, float]) -> None:
        """Record callback metrics for ``epoch`` (missing names are NaN-padded)."""
        if not self.metric_epochs or self.metric_epochs[-1] != epoch:
            self.metric_epochs.append(epoch)
            for v in self.metrics.values():
                v.append(float("nan"))
        k = len(self.metric_epochs)
        for name, value in values.items():
            series = self.metrics.setdefault(name, [float("nan")] * k)
            series[-1] = float(value)

    def as_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """All series as float arrays (``{prefix}loss``, ``{prefix}metric_<name>``, ...)."""
        out = {
            f"{prefix}loss": np.asarray(self.loss, dtype=float),
            f"{prefix}penalty": np.asarray(self.penalty, dtype=float),
            f"{prefix}lr": np.asarray(self.lr, dtype=float),
            f"{prefix}epoch_time_s": np.asarray(self.epoch_time_s, dtype=float),
            f"{prefix}metric_epochs": np.asarray(self.metric_epochs, dtype=int),
        }
        for name, series in self.metrics.items():
            out[f"{prefix}metric_{name}"] = np.asarray(series, dtype=float)
        return out


def torch_generators(seed: int, device: torch.device | str = "cpu") -> tuple[torch.Generator, torch.Generator]:
    """Two independent generators derived from ``seed``: (shuffling on CPU, augmentations on ``device``)."""
    seed = check_int(seed, "seed", low=0)
    s_shuffle, s_aug = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint64)
    g_shuffle = torch.Generator(device="cpu").manual_seed(int(s_shuffle) >> 1)
    g_aug = torch.Generator(device=torch.device(device)).manual_seed(int(s_aug) >> 1)
    return g_shuffle, g_aug


def make_optimizer(
    params, name: str = "sgd", *, lr: float = 0.1, momentum: float = 0.9, weight_decay: float = 1e-3
) -> torch.optim.Optimizer:
    """``"sgd"`` (with momentum, the paper's choice), ``"adam"`` or ``"adamw"``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    lr = check_scalar(lr, "lr", low=0.0, closed="neither")
    momentum = check_scalar(momentum, "momentum", low=0.0, high=1.0, closed="left")
    weight_decay = check_scalar(weight_decay, "weight_decay", low=0.0)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def lr_factor(step: int, total_steps: int, *, scheduler: str = "cosine", warmup_steps: int = 0) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based).

    Linear warm-up over ``warmup_steps``, then ``"cosine"`` annealing to 0
    at ``total_steps`` (Loshchilov & Hutter) or ``"constant"``.
    """
    if scheduler not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {scheduler!r}")
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if scheduler == "constant":
        return 1.0
    span = max(total_steps - warmup_steps, 1)
    t = min(max(step - warmup_steps, 0), span) / span
    return 0.5 * (1.0 + math.cos(math.pi * t))


def _as_tensor(X: Any, device: torch.device) -> torch.Tensor:
    if isinstance(X, torch.Tensor):
        t = X
    else:
        t = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    if not torch.is_floating_point(t):
        t = t.float()
    if t.ndim < 2:
        raise ValueError(f"X must have a sample axis and at least one feature axis, got shape {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError("X must contain only finite values (no NaN or inf)")
    return t.to(device)


def train_simclr(
    model: SimCLR,
    X: Any,
    augment: Augment,
    *,
    epochs: int = 10,
    batch_size: int = 256,
    tau: float = 0.5,
    optimizer: str = "sgd",
    lr: float = 0.1,
    momentum: float = 0.9,
    weight_decay: float = 1e-3,
    scheduler: str = "cosine",
    warmup_epochs: int = 0,
    penalty: Penalty | None = None,
    callbacks: Sequence[Callback] = (),
    eval_at_start: bool = False,
    joint_views: bool = True,
    grad_clip: float | None = None,
    device: torch.device | str = "cpu",
    seed: int = 0,
    progress: bool = False,
    progress_desc: str = "simclr",
) -> TrainHistory:
    """Train ``model`` in place with SimCLR and return its :class:`TrainHistory`.

    Parameters
    ----------
    model : SimCLR
        Backbone + head (moved to ``device``).
    X : array_like or torch.Tensor, shape (n, ...)
        Unlabelled training inputs.
    augment : callable ``(x, generator) -> x'``
        Random augmentation of a batch; called twice per step (two views),
        with a ``torch.Generator`` on ``device`` (see
        :mod:`theory.augmentations`).
    epochs : int
        Passes over ``X`` (each a fresh shuffle; the last incomplete batch is
        dropped, so every step sees exactly ``batch_size`` inputs, i.e. a
        sequence of ``2 * batch_size`` views for the transformer head).
    batch_size : int
        ``N`` of eq. (1), in ``[2, n]``.
    tau : float
        Temperature of eq. (1).
    optimizer, lr, momentum, weight_decay
        See :func:`make_optimizer`; the paper uses SGD, momentum 0.9,
        weight decay 1e-3 and a cosine schedule.
    scheduler : {"cosine", "constant"}
        Per-step schedule after ``warmup_epochs`` of linear warm-up.
    penalty : callable ``head -> scalar tensor``, optional
        Extra term added to the loss at every step, e.g.
        ``lambda head: lam * l21_norm(head.last_linear.weight)``.
    callbacks : sequence of callables ``(epoch, model, history) -> dict | None``
        Called after every epoch (1-based; and at epoch 0 if
        ``eval_at_start``) with the model in eval mode; returned
        ``{name: value}`` are recorded in ``history.metrics``.  Evaluation
        time is not counted in ``epoch_time_s``.
    joint_views : bool, default True
        Push the ``2N`` views through the model in one call (the usual
        SimCLR implementation: ``model(cat([x1, x2]))``); the transformer
        head then sees one sequence of ``2N`` views.  ``False``: two calls of
        ``N`` (each view batch is its own sequence).
    grad_clip : float, optional
        Clip the global gradient norm to this value.
    device : str or torch.device
    seed : int
        Seeds the shuffling and the augmentations (model initialisation is
        seeded where the model is built, see :func:`theory.heads.seeded_init`).
    progress : bool
        Show a tqdm bar on stderr (one tick per epoch).

    Raises
    ------
    ValueError
        On bad parameters.
    FloatingPointError
        If the loss becomes NaN or infinite (lower the learning rate).
    """
    if not isinstance(model, SimCLR):
        raise ValueError(f"model must be a theory.simclr.SimCLR, got {type(model).__name__}")
    device = torch.device(device)
    epochs = check_int(epochs, "epochs", low=0)
    tau = check_scalar(tau, "tau", low=0.0, closed="neither")
    warmup_epochs = check_int(warmup_epochs, "warmup_epochs", low=0)
    if scheduler not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {scheduler!r}")
    if grad_clip is not None:
        grad_clip = check_scalar(grad_clip, "grad_clip", low=0.0, closed="neither")
    X = _as_tensor(X, device)
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"X must hold at least 2 inputs, got {n}")
    batch_size = check_int(batch_size, "batch_size", low=2, high=n)
    model.to(device)
    opt = make_optimizer(model.parameters(), optimizer, lr=lr, momentum=momentum, weight_decay=weight_decay)
    base_lrs = [g["lr"] for g in opt.param_groups]
    steps_per_epoch = n // batch_size
    total_steps = epochs * steps_per_epoch
    warmup_steps = warmup_epochs * steps_per_epoch
    g_shuffle, g_aug = torch_generators(seed, device)
    history = TrainHistory()

    def run_callbacks(epoch: int) -> None:
        if not callbacks:
            return
        model.eval()
        for cb in callbacks:
            values = cb(epoch, model, history)
            if values:
                history.record(epoch, values)
        model.train()

    if eval_at_start:
        run_callbacks(0)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=progress_desc, file=sys.stderr, dynamic_ncols=True, leave=False)
    step = 0
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            t0 = time.perf_counter()
            perm = torch.randperm(n, generator=g_shuffle).to(device)
            sum_loss = sum_pen = 0.0
            for b in range(steps_per_epoch):
                factor = lr_factor(step, total_steps, scheduler=scheduler, warmup_steps=warmup_steps)
                for g, base in zip(opt.param_groups, base_lrs):
                    g["lr"] = base * factor
                x = X[perm[b * batch_size : (b + 1) * batch_size]]
                x1, x2 = augment(x, g_aug), augment(x, g_aug)
                if joint_views:
                    z1, z2 = model(torch.cat([x1, x2], dim=0)).split(batch_size, dim=0)
                else:
                    z1, z2 = model(x1), model(x2)
                try:
                    loss = nt_xent(z1, z2, tau)
                except NonFiniteError:
                    raise FloatingPointError(
                        f"the embeddings became non-finite at epoch {epoch}; lower the learning rate"
                    ) from None
                total = loss
                if penalty is not None:
                    pen = penalty(model.head)
                    total = total + pen
                    sum_pen += float(pen.detach())
                if not bool(torch.isfinite(total.detach())):
                    raise FloatingPointError(
                        f"the SimCLR loss became {float(total.detach())} at epoch {epoch}; lower the learning rate"
                    )
                opt.zero_grad(set_to_none=True)
                total.backward()
                if grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                opt.step()
                sum_loss += float(loss.detach())
                step += 1
            history.loss.append(sum_loss / steps_per_epoch)
            history.penalty.append(sum_pen / steps_per_epoch)
            history.lr.append(opt.param_groups[0]["lr"])
            history.epoch_time_s.append(time.perf_counter() - t0)
            run_callbacks(epoch)
            if bar is not None:
                bar.set_postfix(loss=f"{history.loss[-1]:.3f}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    model.eval()
    return history
