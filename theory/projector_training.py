"""Training linear projectors on 2-GMM features by stochastic optimisation (torch).

The finite-sample counterpart of :mod:`theory.population_loss`: ``R``
independent linear projectors ``W_r`` (one per configuration
``(sigma_aug^2, tau)_r``) are trained *at once*, as one stacked tensor, by
Adam with a cosine-annealed learning rate on fresh mini-batches of the
contrastive model of :mod:`theory.gmm` (online: every step draws a new
batch, so there is no overfitting and the target is the population
minimiser).  Two training losses:

``"population"``
    :func:`theory.population_loss.empirical_loss`, the batch plug-in
    estimate of the poster's ``C(W)`` (all ``B^2`` first-view/negative pairs);
``"ntxent"``
    :func:`theory.ntxent.nt_xent` on the projected views (SimCLR's loss, whose
    population version is *not* ``C``; it tests how far the theory carries).

The loss is invariant to ``W -> cW``; with ``normalize=True`` (default)
``W`` is rescaled to unit Frobenius norm after each step, which keeps Adam's
effective step size constant and changes no expansion measure.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from theory._validation import check_int, check_random_state, check_scalar, check_vector

__all__ = ["TRAINING_LOSSES", "ProjectorTraining", "train_gmm_projectors"]

TRAINING_LOSSES = ("population", "ntxent")


class ProjectorTraining(NamedTuple):
    """Result of :func:`train_gmm_projectors`."""

    W: np.ndarray  #: final projectors, shape (R, p, p), float64
    expansion_measure: np.ndarray  #: final expansion measures t(W_r), shape (R,)
    trajectory: np.ndarray  #: expansion measure at the recorded steps, shape (R, n_record)
    record_steps: np.ndarray  #: the recorded step indices, shape (n_record,)
    final_loss: np.ndarray  #: training loss of the last batch, shape (R,)


def train_gmm_projectors(
    mu,
    sigma2,
    tau,
    *,
    loss: str = "population",
    steps: int = 600,
    batch: int = 512,
    lr: float = 0.02,
    seed=0,
    device="cpu",
    record: int = 0,
    normalize: bool = True,
    dtype=None,
    progress: bool = False,
) -> ProjectorTraining:
    """Train ``R`` square linear projectors ``z = W_r h`` at once.

    Parameters
    ----------
    mu : array_like, shape (p,)
        Class mean of the 2-GMM features (``rho = ||mu||^2``).
    sigma2, tau : float or array_like, shape (R,)
        Augmentation variance and temperature of each run (broadcast together).
    loss : {"population", "ntxent"}
        Training loss (see the module docstring).
    steps, batch, lr : int, int, float
        Adam steps, batch size ``B`` (>= 2) and initial learning rate
        (cosine-annealed to 0).
    seed : int, SeedSequence or Generator
        Seeds the initialisation and every batch (one torch generator).
    device : str or torch.device
        ``"cpu"`` or a CUDA device.
    record : int
        Number of (evenly spaced) steps at which to record ``t(W_r)``.
    normalize : bool
        Rescale each ``W_r`` to unit Frobenius norm after every step.
    dtype : torch.dtype, optional
        Default ``torch.float32`` (the expansion measure needs no more).
    progress : bool
        Show a tqdm progress bar over the steps (on stderr).

    Returns
    -------
    ProjectorTraining
    """
    import torch

    from theory.ntxent import nt_xent
    from theory.population_loss import empirical_loss

    mu = check_vector(mu, "mu", nonzero=True)
    s2 = np.atleast_1d(np.asarray(sigma2, dtype=np.float64))
    taus = np.atleast_1d(np.asarray(tau, dtype=np.float64))
    try:
        s2, taus = np.broadcast_arrays(s2, taus)
    except ValueError as exc:
        raise ValueError(f"sigma2 and tau must broadcast together, got shapes {s2.shape} and {taus.shape}") from exc
    if s2.ndim != 1 or not np.all(np.isfinite(s2)) or np.any(s2 < 0):
        raise ValueError("sigma2 must be a scalar or 1-d array of finite values in [0, inf)")
    if not np.all(np.isfinite(taus)) or np.any(taus <= 0):
        raise ValueError("tau must be a scalar or 1-d array of finite values in (0, inf)")
    if loss not in TRAINING_LOSSES:
        raise ValueError(f"loss must be one of {TRAINING_LOSSES}, got {loss!r}")
    steps = check_int(steps, "steps", low=1)
    batch = check_int(batch, "batch", low=2)
    lr = check_scalar(lr, "lr", low=0.0, closed="neither")
    record = check_int(record, "record", low=0)
    torch_seed = int(check_random_state(seed).integers(2**62))
    dt = dtype or torch.float32
    device = torch.device(device)

    R, p = s2.size, mu.size
    g = torch.Generator(device=device).manual_seed(torch_seed)
    mu_t = torch.as_tensor(mu, dtype=dt, device=device)
    sd = torch.as_tensor(np.sqrt(s2), dtype=dt, device=device)[:, None, None]
    tau_t = torch.as_tensor(taus, dtype=dt, device=device)
    rho = float(mu @ mu)
    W = torch.randn(R, p, p, generator=g, dtype=dt, device=device) / math.sqrt(p)
    if normalize:
        W = W / W.norm(dim=(-2, -1), keepdim=True)
    W.requires_grad_(True)
    opt = torch.optim.Adam([W], lr=lr)
    rec_at = set(np.unique(np.linspace(0, steps, record).round().astype(int)).tolist()) if record else set()
    traj, rec_steps = [], []

    def t_of(Wt):
        Wm = Wt @ mu_t
        return ((Wm * Wm).sum(-1) / ((Wt * Wt).sum((-1, -2)) * rho)).detach().cpu().double().numpy()

    def features(n_views):
        sign = (torch.randint(0, 2, (R, batch), generator=g, device=device) * 2 - 1).to(dt)
        h = sign[..., None] * mu_t + torch.randn(R, batch, p, generator=g, dtype=dt, device=device)
        return [h + sd * torch.randn(R, batch, p, generator=g, dtype=dt, device=device) for _ in range(n_views)]

    last = torch.full((R,), float("nan"))
    bar = None
    if progress:
        import sys

        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=f"Adam on {R} projectors ({loss})", file=sys.stderr, dynamic_ncols=True)
    for step in range(steps + 1):
        if step in rec_at:
            traj.append(t_of(W))
            rec_steps.append(step)
        if step == steps:
            break
        for grp in opt.param_groups:
            grp["lr"] = lr * 0.5 * (1.0 + math.cos(math.pi * step / steps))
        h1, h2 = features(2)
        if loss == "population":
            (hn,) = features(1)
            per_run = empirical_loss(W, h1, h2, hn, tau_t)
        else:
            z1, z2 = h1 @ W.transpose(1, 2), h2 @ W.transpose(1, 2)
            per_run = torch.stack([nt_xent(z1[r], z2[r], float(taus[r])) for r in range(R)])
        opt.zero_grad(set_to_none=True)
        per_run.sum().backward()
        opt.step()
        last = per_run.detach()
        if normalize:
            with torch.no_grad():
                W /= W.norm(dim=(-2, -1), keepdim=True)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    W_np = W.detach().cpu().double().numpy()
    Wm = W_np @ mu
    t_final = (Wm * Wm).sum(-1) / ((W_np * W_np).sum((-1, -2)) * rho)
    trajectory = np.array(traj).T if traj else np.empty((R, 0))
    return ProjectorTraining(W_np, t_final, trajectory, np.array(rec_steps, dtype=int), last.cpu().double().numpy())
