"""The SimCLR parts (``synthetic``, ``digits``) of :mod:`sims.projector_e2e`: one training run and its metrics.

Every run goes through :func:`theory.simclr.train_simclr`; the per-epoch metrics are
:func:`_metric_callback`'s, the end-of-training evaluation :func:`_simclr_run`'s (linear probe on all the
labels, the 5-NN classifier and fine-tuning on 1% / 10% of the labels of Song et al. Tables 1-2, spectra,
min-max distance ratio, SparseHead's kept columns).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["finetune_key", "synthetic_runs", "synthetic_task", "digits_task"]


def finetune_key(fraction: float) -> str:
    """The result name of fine-tuning on ``fraction`` of the labels: ``finetune_1pct``, ``finetune_10pct``."""
    return f"finetune_{100 * fraction:g}pct"

# ------------------------------------------------------------ SimCLR parts


def _fixed_random_map(latent_dim: int, input_dim: int, seed: int):
    """A frozen random two-layer tanh network ``R^q -> R^D`` (the data's nonlinear embedding)."""
    import torch
    from torch import nn

    from theory.heads import seeded_init

    with seeded_init(seed):
        hidden = 4 * input_dim
        net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.Tanh(), nn.Linear(hidden, input_dim))
        with torch.no_grad():
            net[0].weight.mul_(2.0)  # a visibly nonlinear map
    for prm in net.parameters():
        prm.requires_grad_(False)
    return net


def _synthetic_data(cfg: dict, seed: int):
    """K-class latent GMM: ``h = mu_y + g`` with orthogonal means of squared norm ``latent_rho``."""
    rng = np.random.default_rng(seed)
    q, K = cfg["latent_dim"], cfg["classes"]
    Q, _ = np.linalg.qr(rng.standard_normal((q, q)))
    means = math.sqrt(cfg["latent_rho"]) * Q[:K]
    n = cfg["n_train"] + cfg["n_test"]
    y = rng.integers(0, K, n)
    h = means[y] + rng.standard_normal((n, q))
    return h[: cfg["n_train"]], y[: cfg["n_train"]], h[cfg["n_train"] :], y[cfg["n_train"] :]


def _head_name(variant: str) -> str:
    return variant.split("+")[0]


def _make_head(variant: str, cfg: dict, seed: int):
    from theory.heads import make_head

    name = _head_name(variant)
    d, k = cfg["rep_dim"], cfg["proj_dim"]
    if name == "linear":
        return make_head("linear", d, k, seed=seed, bias=False)  # Cosentino's projector z = W h
    if name == "mlp":
        return make_head("mlp", d, k, seed=seed, hidden_dim=2 * d, n_layers=2)
    if name == "transformer":
        return make_head("transformer", d, k, seed=seed, width=d, n_layers=1, n_heads=2)
    return make_head("none", d)


def _metric_callback(variant: str, cfg: dict, X_eval, y_eval, augment, seed: int, epochs: int, spectra: dict):
    """Per-epoch InfoNCE-geometry metrics on a fixed pair of views of a fixed evaluation batch.

    For the linear head also the encoder side of Cosentino Figs. 4, 5 and 9:
    ``rank_h`` (``Rank_tau`` of the view-1 encoder outputs ``[h_1, ..., h_n]``,
    eq. 2), ``nn_distance`` (mean over anchors of ``||h_i/|h_i| - h*_i/|h*_i|||``,
    ``h*_i`` the nearest negative of eq. (5) in the projector's output
    space) and, at epochs 0, ``epochs // 2`` and ``epochs``, the singular
    values of ``[h_1, ..., h_n]`` into ``spectra[epoch]``.
    """
    import torch

    from theory.infonce import infonce, nearest_negative, upper_bound
    from theory.projector_geometry import (
        displacement_vectors,
        fraction_variance_unexplained,
        nearest_negative_label_agreement,
        rank_tau,
    )
    from theory.sparsehead import sparsehead_layer

    gen = torch.Generator(device=X_eval.device).manual_seed(seed)
    x1, x2 = augment(X_eval, gen), augment(X_eval, gen)
    beta = 1.0 / cfg["tau"]
    n = X_eval.shape[0]

    def callback(epoch, model, history):
        with torch.no_grad():
            h = model.features(torch.cat([x1, x2]))  # the 2n views as one sequence, as in training
            z = model.head(h)
        h = h.double().cpu().numpy()
        z = z.double().cpu().numpy()
        h1, h2, z1, z2 = h[:n], h[n:], z[:n], z[n:]
        ub = upper_bound(z1, z2, beta)
        out = {
            "infonce": infonce(z1, z2, beta), "upper": ub.upper, "lower": ub.lower,
            "invariance": ub.invariance, "repulsion": ub.repulsion,
            "label_agreement": nearest_negative_label_agreement(z1, z2, y_eval),
        }
        if _head_name(variant) in ("linear", "mlp"):
            Wl = sparsehead_layer(model.head).weight.detach().double().cpu().numpy()
            out["rank_tau"] = rank_tau(Wl, cfg["rank_tol"], relative=True)
        if _head_name(variant) == "linear":
            W = model.head.linear.weight.detach().double().cpu().numpy()
            out["fvu"] = fraction_variance_unexplained(displacement_vectors(h1, h2, W), W)
            star = np.concatenate([h1, h2])[nearest_negative(h1, h2, W)]
            unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
            out["nn_distance"] = float(np.mean(np.linalg.norm(unit(h1) - unit(star), axis=1)))
            out["rank_h"] = rank_tau(h1, cfg["rank_tol"], relative=True)
            if epoch in (0, epochs // 2, epochs):
                spectra[epoch] = np.linalg.svd(h1, compute_uv=False)
        return out

    return callback


def _simclr_run(
    variant: str, data: dict, cfg: dict, *, backbone, augment, epochs: int, seed: int, device, desc: str,
    show: bool = False, finetune: bool = False, label_seed: int = 0,
):
    """Train one SimCLR model and return (scalars, arrays) of its metrics.

    At the end: the linear probe on all the training labels (``probe_h_final``, ``probe_z_final``), the
    ``k``-NN classifier on the backbone features (``knn_h_final``, Song et al. Table 1) and, with
    ``finetune`` (the digits part), the backbone fine-tuned with a linear classifier on each fraction of
    ``cfg["label_fractions"]`` of the labels (:func:`finetune_key`, Song et al. Table 2); ``label_seed``
    draws the labelled subset, the classifier's initialisation and the batch order, and is shared by the
    heads of a replicate so that the with/without-SparseHead comparison is paired.
    """
    import torch

    from theory.evaluation import embed, knn_accuracy, linear_probe_accuracy
    from theory.semi_supervised import fine_tune_accuracy
    from theory.simclr import SimCLR, train_simclr
    from theory.sparsehead import eigenvalue_spectrum, l20_norm, l21_penalty, min_max_distance_ratios, sparsehead_layer

    head = _make_head(variant, cfg, seed + 1)
    model = SimCLR(backbone, head).to(device)
    penalty = None
    if variant.endswith("+sparse"):
        lam = cfg["sparse_lambda"]
        penalty = lambda hd: l21_penalty(hd, lam)  # noqa: E731
    Xtr = torch.as_tensor(data["X_train"], dtype=torch.float32, device=device)
    Xte = torch.as_tensor(data["X_test"], dtype=torch.float32, device=device)
    ne = cfg["eval_size"]
    spectra: dict[int, np.ndarray] = {}
    cb = _metric_callback(variant, cfg, Xte[:ne], data["y_test"][:ne], augment, seed + 2, epochs, spectra)
    probes: dict[str, float] = {}

    def probe(tag):
        bs = cfg["batch_size"]
        for part, key in (("backbone", "h"), ("head", "z")):
            ftr = embed(model, Xtr, part=part, batch_size=bs)
            fte = embed(model, Xte, part=part, batch_size=bs)
            probes[f"probe_{key}_{tag}"] = linear_probe_accuracy(
                ftr, data["y_train"], fte, data["y_test"], fraction=1.0, seed=seed
            )

    probe("init")
    hist = train_simclr(
        model, Xtr, augment, epochs=epochs, batch_size=cfg["batch_size"], tau=cfg["tau"], optimizer="adam",
        lr=cfg["lr"], weight_decay=cfg["weight_decay"], scheduler="cosine", penalty=penalty, callbacks=[cb],
        eval_at_start=True, device=device, seed=seed + 3, progress=show, progress_desc=desc,
    )
    probe("final")
    bs = cfg["batch_size"]
    h_te = embed(model, Xte, part="backbone", batch_size=bs)
    z_te = embed(model, Xte, part="head", batch_size=bs)
    scalars: dict[str, Any] = dict(probes)
    h_tr = embed(model, Xtr, part="backbone", batch_size=bs)
    scalars["knn_h_final"] = knn_accuracy(h_tr, data["y_train"], h_te, data["y_test"], k=cfg["knn_k"])
    if finetune and cfg["finetune_epochs"]:  # Song et al. Table 2: the backbone fine-tuned on a fraction of the labels
        for f in cfg["label_fractions"]:
            scalars[finetune_key(f)] = fine_tune_accuracy(
                model.backbone, Xtr, data["y_train"], Xte, data["y_test"], fraction=f, epochs=cfg["finetune_epochs"],
                batch_size=bs, seed=label_seed,
            )
    scalars["final_loss"] = hist.loss[-1]
    scalars["train_time_s"] = hist.train_time_s
    scalars["min_max_ratio_h"] = float(np.mean(min_max_distance_ratios(h_te)))
    scalars["min_max_ratio_z"] = float(np.mean(min_max_distance_ratios(z_te)))
    if _head_name(variant) in ("linear", "mlp"):
        Wl = sparsehead_layer(model.head).weight.detach().double().cpu().numpy()
        col = np.linalg.norm(Wl, axis=0)
        scalars["columns_kept"] = l20_norm(Wl, atol=1e-3 * col.max())
        scalars["columns_total"] = int(Wl.shape[1])
    for k in ("infonce", "upper"):
        scalars[f"final_{k}"] = hist.metrics[k][-1]
    arrays = {k: np.asarray(v) for k, v in hist.as_arrays().items()}
    if spectra:  # Cosentino Figs. 4 / 9: encoder singular values at initialisation, half-way and the end
        arrays["encoder_sv"] = np.stack([spectra[e] for e in (0, epochs // 2, epochs)])
        scalars["rank_h_init"] = hist.metrics["rank_h"][0]
        scalars["rank_h_final"] = hist.metrics["rank_h"][-1]
        scalars["nn_distance_final"] = hist.metrics["nn_distance"][-1]
    arrays["spectrum_h"] = eigenvalue_spectrum(h_te)
    arrays["spectrum_z"] = eigenvalue_spectrum(z_te)
    return scalars, arrays


def synthetic_runs(cfg: dict) -> list[tuple[str, str]]:
    """The ``(head variant, augmentation strength)`` runs of the synthetic part, in order."""
    runs = [(v, "moderate") for v in cfg["heads"]]
    if "linear" in cfg["heads"]:
        runs += [("linear", "small"), ("linear", "large")]
    return runs


def _replicate_seeds(cfg: dict, part_id: int, replicate: int, n: int) -> list[int]:
    """``n`` 31-bit seeds of replicate ``replicate`` of a part (independent across replicates and parts)."""
    ss = np.random.SeedSequence([cfg["seed"], part_id, replicate])
    return [int(s) % (2**31) for s in ss.generate_state(n)]


def synthetic_task(cfg: dict, variant: str, strength: str, replicate: int, index: int, device, show: bool):
    """One synthetic SimCLR run: replicate ``replicate`` (its own data, map and encoder init) of one head."""
    from torch import nn

    from theory.augmentations import gaussian_noise
    from theory.backbones import make_backbone

    data_seed, map_seed, enc_seed, run_seed = _replicate_seeds(cfg, 3, replicate, 4)
    Xtr, ytr, Xte, yte = _synthetic_data(cfg, data_seed)
    data = {"X_train": Xtr, "y_train": ytr, "X_test": Xte, "y_test": yte}
    fmap = _fixed_random_map(cfg["latent_dim"], cfg["input_dim"], map_seed)
    enc = make_backbone("mlp", (cfg["input_dim"],), cfg["rep_dim"], seed=enc_seed, hidden_dim=64)
    sigma = dict(zip(("small", "moderate", "large"), cfg["aug_sigmas"]))[strength]

    def augment(x, g):
        return gaussian_noise(x, sigma, g)

    seed = (run_seed + 101 * index) % (2**31)
    s, a = _simclr_run(
        variant, data, cfg, backbone=nn.Sequential(fmap, enc), augment=augment, epochs=cfg["epochs"],
        seed=seed, device=device, desc=f"synthetic {variant}@{strength} #{replicate}", show=show,
    )
    s["aug_sigma"] = sigma
    s["run_seed"] = seed
    return s, a


def digits_task(cfg: dict, variant: str, replicate: int, index: int, device, show: bool):
    """One digits SimCLR run: replicate ``replicate`` (its own split and CNN init) of one head."""
    from theory.augmentations import ImageAugment
    from theory.backbones import make_backbone
    from theory.datasets import load_digits_split

    split_seed, cnn_seed, run_seed = _replicate_seeds(cfg, 4, replicate, 3)
    ds = load_digits_split(seed=split_seed)
    n_tr = ds.X_train.shape[0] if not cfg["quick"] else min(ds.X_train.shape[0], 256)
    n_te = ds.X_test.shape[0] if not cfg["quick"] else min(ds.X_test.shape[0], 128)
    data = {"X_train": ds.X_train[:n_tr], "y_train": ds.y_train[:n_tr], "X_test": ds.X_test[:n_te], "y_test": ds.y_test[:n_te]}
    backbone = make_backbone("cnn", (1, 8, 8), cfg["rep_dim"], seed=cnn_seed)
    seed = (run_seed + 101 * index) % (2**31)
    s, a = _simclr_run(
        variant, data, cfg, backbone=backbone, augment=ImageAugment(), epochs=cfg["digits_epochs"],
        seed=seed, device=device, desc=f"digits {variant} #{replicate}", show=show, finetune=True,
        label_seed=run_seed,
    )
    s["run_seed"] = seed
    return s, a
