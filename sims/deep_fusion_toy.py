"""Deep Fusion toy: ``python -m sims.deep_fusion_toy``.

Trains SimCLR (backbone -> projection head -> NT-Xent, eq. 1) end to end
with a transformer projection head whose attention runs across the samples
of the batch (Li & Pimentel-Alarcón, "Transformer Projection Head"), and

* records the attention maps of every layer and head on a held-out batch
  sorted by the true class (the paper's Table 1), with per-layer in-class
  attention mass (against chance), the sharpness of Def. 2 and a
  block-diagonality score — the Deep Fusion claim is that these rise with
  depth; the run reports what it measures either way;
* compares the heads given by ``--heads`` (default: the FFN head ``mlp``
  against ``transformer`` at matched parameter counts) with the paper's
  protocol (Experiment, "Metrics"): "unsupervised accuracy" (1-NN label
  agreement among test features) and "supervised accuracy" (linear softmax
  probe on 10% of the frozen train features), on the backbone features and
  on the head's outputs, over several seeds, with training times.

Data: ``--dataset digits`` (scikit-learn's 8x8 digits, a 4-layer CNN
backbone, shift/affine/noise augmentations) or ``--dataset subspaces``
(union-of-subspaces clusters of the Deep Fusion theory lifted to an input
space, an MLP backbone, Gaussian noise + feature dropout augmentations).

Presets: ``default`` (digits, a few minutes on 2 CPU cores), ``--quick``
(clean subspace clusters, under a minute) and ``--preset paper`` (10-layer,
4-head head, SGD lr 0.1 cosine, batch 1024, 200 epochs, for a GPU).  Every
flag given explicitly overrides the preset.  A rerun with the same config
is served from ``<out>/deep_fusion_toy.json`` / ``.npz`` (see ``--force``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sims._common import (
    ArgumentParser,
    CLIError,
    Simulation,
    Unit,
    add_backend_arguments,
    progress,
    resolve_device,
)
from theory._validation import check_int, check_scalar

NAME = "deep_fusion_toy"
RUN_HEADS = ("none", "linear", "mlp", "transformer", "deepfusion", "deepfusion_ffn")
ATTENTION_HEADS = ("transformer", "deepfusion")
FIGURE_STEMS = ("deep_fusion_toy_attention", "deep_fusion_toy_depth", "deep_fusion_toy_comparison")

__all__ = ["PRESETS", "build_parser", "make_config", "units", "combine", "run", "run_head", "grid_layers", "SIMULATION",
           "main"]

_COMMON = {
    "heads": "mlp,transformer",
    "norm": "pre",
    "df_norm": "batch",
    "df_activation": "relu",
    "residual_attention": 1.0,
    "residual_ffn": 1.0,
    "ffn_dim": None,
    "momentum": 0.9,
    "scheduler": "cosine",
    "warmup_epochs": 0,
    "tau": 0.2,
    "joint_views": True,
    "mlp_layers": 3,
    "mlp_hidden": None,
    "feature_dim": 64,
    "out_dim": 32,
    "test_fraction": 0.3,
    "probe_fraction": 0.1,
    "n": 1200,
    "m": 16,
    "K": 4,
    "r": 3,
    "input_dim": 32,
    "noise": 0.0,
    "aug_noise": None,
    "aug_dropout": 0.1,
}

#: Settings of each preset; explicit flags override them.
PRESETS = {
    "default": {
        **_COMMON,
        "dataset": "digits",
        "seeds": 3,
        "epochs": 30,
        "batch_size": 64,
        "optimizer": "adam",
        "lr": 1e-3,
        "weight_decay": 1e-4,
        "layers": 6,
        "n_heads": 4,
        "width": 64,
        "attention_batch": 128,
        "eval_every": 5,
    },
    "quick": {
        **_COMMON,
        "dataset": "subspaces",
        "seeds": 1,
        "epochs": 60,
        "batch_size": 64,
        "optimizer": "adam",
        "lr": 3e-3,
        "weight_decay": 1e-4,
        "layers": 4,
        "n_heads": 4,
        "width": 64,
        "attention_batch": 128,
        "eval_every": 10,
    },
    "paper": {
        **_COMMON,
        "dataset": "digits",
        "seeds": 3,
        "epochs": 200,
        "batch_size": 1024,
        "optimizer": "sgd",
        "lr": 0.1,
        "weight_decay": 1e-3,
        "layers": 10,
        "n_heads": 4,
        "width": 128,
        "feature_dim": 128,
        "mlp_layers": 5,
        "attention_batch": 512,
        "eval_every": 10,
    },
}

_DEFAULT_AUG_NOISE = {"digits": 0.1, "subspaces": 0.3}


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m sims.deep_fusion_toy",
        description=(
            "SimCLR with a transformer projection head (attention across the batch): Deep Fusion attention "
            "maps per layer (Table 1) and the FFN-vs-transformer comparison at matched parameter counts "
            "(Table 2) on sklearn digits or synthetic subspace clusters. Unset flags take the preset's value."
        ),
        argument_default=None,
    )
    p = ap.add_argument_group("preset and data")
    p.add_argument("--preset", default="default", help="default | paper (quick: use --quick)")
    p.add_argument("--quick", action="store_true", help="the 'quick' preset: clean subspace clusters, < 1 minute")
    p.add_argument("--dataset", help="digits | subspaces")
    p.add_argument("--n", type=int, help="subspaces: total number of samples (train + test)")
    p.add_argument("--m", type=int, help="subspaces: ambient dimension of the subspace draw")
    p.add_argument("--K", type=int, help="subspaces: number of clusters (classes)")
    p.add_argument("--r", type=int, help="subspaces: dimension of each subspace ((K-1) r < m)")
    p.add_argument("--input-dim", type=int, help="subspaces: dimension of the input space the draw is lifted to")
    p.add_argument("--noise", type=float, help="subspaces: eps of eq. (6) in [0, 1) (0 = clean clusters)")
    p.add_argument("--test-fraction", type=float, help="held-out fraction of each class")
    p.add_argument("--aug-noise", type=float, help="std of the Gaussian noise augmentation (default 0.1 digits, 0.3 subspaces)")
    p.add_argument("--aug-dropout", type=float, help="subspaces: feature-dropout probability of the augmentation")
    h = ap.add_argument_group("model")
    h.add_argument("--heads", help="comma-separated heads to train: none, linear, mlp, transformer, deepfusion (the "
                                   "authors' head), deepfusion_ffn (their FFN baseline)")
    h.add_argument("--df-norm", help="deepfusion heads: batch | layer | group | none after each branch")
    h.add_argument("--df-activation", help="deepfusion head: relu | gelu in the feed-forward branch")
    h.add_argument("--residual-attention", type=float, help="deepfusion head: weight of the attention residual branch")
    h.add_argument("--residual-ffn", type=float, help="deepfusion head: weight of the feed-forward residual branch")
    h.add_argument("--layers", type=int, help="transformer blocks")
    h.add_argument("--n-heads", type=int, help="attention heads (must divide --width)")
    h.add_argument("--width", type=int, help="transformer width d_model")
    h.add_argument("--ffn-dim", type=int, help="transformer feed-forward width (default 4 x width)")
    h.add_argument("--norm", help="pre | post LayerNorm blocks")
    h.add_argument("--mlp-layers", type=int, help="Linear layers of the FFN (mlp) head")
    h.add_argument(
        "--mlp-hidden", type=int,
        help="FFN hidden width (default: matched to the transformer's parameter count)",
    )
    h.add_argument("--feature-dim", type=int, help="backbone output (representation) dimension")
    h.add_argument("--out-dim", type=int, help="projection (embedding) dimension")
    t = ap.add_argument_group("training")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int, help="N of eq. (1); the head sees sequences of 2N views")
    t.add_argument("--optimizer", help="sgd | adam | adamw")
    t.add_argument("--lr", type=float, help="base learning rate")
    t.add_argument("--momentum", type=float, help="SGD momentum")
    t.add_argument("--weight-decay", type=float, help="in [0, 10]")
    t.add_argument("--scheduler", help="cosine | constant")
    t.add_argument("--warmup-epochs", type=int)
    t.add_argument("--tau", type=float, help="NT-Xent temperature in [1e-3, 1e3]")
    t.add_argument("--separate-views", action="store_true", help="each view batch is its own sequence (default: one sequence of 2N views)")
    e = ap.add_argument_group("evaluation")
    e.add_argument("--attention-batch", type=int, help="size of the held-out batch whose attention maps are recorded")
    e.add_argument("--eval-every", type=int, help="epochs between the per-epoch metrics")
    e.add_argument("--probe-fraction", type=float, help="fraction of train features for the linear probe (paper: 0.1)")
    r = ap.add_argument_group("run")
    r.add_argument("--seeds", type=int, help="number of seeds (seed, seed+1, ...)")
    r.add_argument("--seed", type=int, default=0, help="first seed")
    r.add_argument("--device", default="auto", help="auto | cpu | cuda[:k]")
    r.add_argument("--n-jobs", type=int, default=2,
                   help="parallel (head, seed) runs on the CPU (workers; -1: all cores); with --backend dask, "
                        "the size of the local cluster")
    r.add_argument(
        "--threads", type=int, default=1,
        help="torch CPU threads (1 is fastest for these small models on a shared machine; results are bit-for-bit reproducible for a fixed value)",
    )
    add_backend_arguments(r)
    r.add_argument("--out", type=Path, default=Path("results") / NAME,
                   help="output folder: results of every config are kept in <out>/runs/<config hash>/, "
                        "the latest one is copied to <out>/")
    r.add_argument("--force", action="store_true",
                   help="recompute everything, even a cached result or saved units of this config")
    r.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _show_preset_values(ap)
    return ap


def _show_preset_values(ap: ArgumentParser) -> None:
    """Append each preset's value to the help of every flag the presets set (their argparse default is unset)."""
    for action in ap._actions:
        if action.default is not None or not action.option_strings:
            continue
        values = {name: PRESETS[name].get(action.dest) for name in ("default", "quick", "paper")}
        if all(v is None for v in values.values()):
            continue
        if len({_help_value(v) for v in values.values()}) == 1:
            shown = f"every preset: {_help_value(values['default'])}"
        else:
            shown = "preset " + "; ".join(f"{name}: {_help_value(v)}" for name, v in values.items())
        action.help = f"{action.help or ''} [{shown}]".strip()


def _help_value(v) -> str:
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v))
    return "derived" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def _choice(value, name: str, allowed) -> str:
    if value not in allowed:
        raise CLIError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def make_config(args) -> dict:
    """Resolve the preset, apply explicit flags and validate everything; returns the config."""
    preset = "quick" if args.quick else args.preset
    if args.quick and args.preset not in ("default", "quick"):
        raise CLIError(f"--quick and --preset {args.preset} are exclusive")
    _choice(preset, "--preset", ("default", "paper", "quick"))
    c = dict(PRESETS[preset])
    for key in c:
        v = getattr(args, key, None)
        if v is not None:
            c[key] = v
    if args.separate_views:
        c["joint_views"] = False
    c["preset"] = preset
    c["dataset"] = _choice(c["dataset"], "--dataset", ("digits", "subspaces"))
    heads = [h.strip() for h in str(c["heads"]).split(",") if h.strip()]
    if not heads:
        raise CLIError("--heads must name at least one head")
    for h in heads:
        _choice(h, "--heads entry", RUN_HEADS)
    if len(set(heads)) != len(heads):
        raise CLIError(f"--heads must not repeat a head, got {c['heads']!r}")
    c["heads"] = heads
    c["norm"] = _choice(c["norm"], "--norm", ("pre", "post"))
    c["df_norm"] = _choice(c["df_norm"], "--df-norm", ("batch", "layer", "group", "none"))
    c["df_activation"] = _choice(c["df_activation"], "--df-activation", ("relu", "gelu"))
    c["residual_attention"] = check_scalar(c["residual_attention"], "--residual-attention", low=-1e3, high=1e3)
    c["residual_ffn"] = check_scalar(c["residual_ffn"], "--residual-ffn", low=-1e3, high=1e3)
    c["optimizer"] = _choice(c["optimizer"], "--optimizer", ("sgd", "adam", "adamw"))
    c["scheduler"] = _choice(c["scheduler"], "--scheduler", ("cosine", "constant"))
    c["layers"] = check_int(c["layers"], "--layers", low=1, high=256)
    c["n_heads"] = check_int(c["n_heads"], "--n-heads", low=1, high=1024)
    c["width"] = check_int(c["width"], "--width", low=1, high=65536)
    if c["width"] % c["n_heads"]:
        raise CLIError(f"--n-heads must divide --width, got width={c['width']}, n_heads={c['n_heads']}")
    if c["ffn_dim"] is not None:
        c["ffn_dim"] = check_int(c["ffn_dim"], "--ffn-dim", low=1, high=10**6)
    c["mlp_layers"] = check_int(c["mlp_layers"], "--mlp-layers", low=2, high=64)
    if c["mlp_hidden"] is not None:
        c["mlp_hidden"] = check_int(c["mlp_hidden"], "--mlp-hidden", low=1, high=10**6)
    c["feature_dim"] = check_int(c["feature_dim"], "--feature-dim", low=1, high=65536)
    c["out_dim"] = check_int(c["out_dim"], "--out-dim", low=1, high=65536)
    if "deepfusion" in heads and c["feature_dim"] % c["n_heads"]:
        raise CLIError(f"--n-heads must divide --feature-dim for the deepfusion head (its width), got "
                       f"feature_dim={c['feature_dim']}, n_heads={c['n_heads']}")
    if any(h.startswith("deepfusion") for h in heads) and c["df_norm"] == "group" and c["feature_dim"] % 32:
        raise CLIError(f"--df-norm group needs 32 groups to divide --feature-dim, got {c['feature_dim']}")
    c["epochs"] = check_int(c["epochs"], "--epochs", low=1, high=100_000)
    c["lr"] = check_scalar(c["lr"], "--lr", low=0.0, high=10.0, closed="right")
    c["momentum"] = check_scalar(c["momentum"], "--momentum", low=0.0, high=1.0, closed="left")
    c["weight_decay"] = check_scalar(c["weight_decay"], "--weight-decay", low=0.0, high=10.0)
    c["warmup_epochs"] = check_int(c["warmup_epochs"], "--warmup-epochs", low=0, high=c["epochs"])
    c["tau"] = check_scalar(c["tau"], "--tau", low=1e-3, high=1e3)
    c["test_fraction"] = check_scalar(c["test_fraction"], "--test-fraction", low=0.0, high=1.0, closed="neither")
    c["probe_fraction"] = check_scalar(c["probe_fraction"], "--probe-fraction", low=0.0, high=1.0, closed="right")
    if args.eval_every is None:  # the preset's spacing, at most the number of epochs
        c["eval_every"] = min(c["eval_every"], c["epochs"])
    c["eval_every"] = check_int(c["eval_every"], "--eval-every", low=1, high=c["epochs"])
    c["seeds"] = check_int(c["seeds"], "--seeds", low=1, high=1000)
    c["seed"] = check_int(args.seed, "--seed", low=0, high=2**31 - 1)
    c["aug_dropout"] = check_scalar(c["aug_dropout"], "--aug-dropout", low=0.0, high=1.0, closed="left")
    if c["aug_noise"] is None:
        c["aug_noise"] = _DEFAULT_AUG_NOISE[c["dataset"]]
    c["aug_noise"] = check_scalar(c["aug_noise"], "--aug-noise", low=0.0, high=1e3)
    if c["dataset"] == "subspaces":
        c["n"] = check_int(c["n"], "--n", low=4, high=10**7)
        c["K"] = check_int(c["K"], "--K", low=2, high=10**4)
        c["m"] = check_int(c["m"], "--m", low=1, high=10**5)
        c["r"] = check_int(c["r"], "--r", low=1, high=c["m"])
        if (c["K"] - 1) * c["r"] >= c["m"]:
            raise CLIError(f"--K, --r, --m must satisfy (K - 1) r < m, got (K-1) r = {(c['K'] - 1) * c['r']} >= m = {c['m']}")
        c["input_dim"] = check_int(c["input_dim"], "--input-dim", low=c["m"], high=10**6)
        c["noise"] = check_scalar(c["noise"], "--noise", low=0.0, high=1.0, closed="left")
        if c["n"] < 2 * c["K"]:
            raise CLIError(f"--n must be >= 2 K, got n={c['n']}, K={c['K']}")
        n_total = c["n"]
    else:
        for key in ("n", "m", "K", "r", "input_dim", "noise"):
            c[key] = None  # not used by digits; keeps the cache key honest
        n_total = 1797
    n_test = _n_test(n_total, c)
    n_train = n_total - n_test
    c["batch_size"] = check_int(c["batch_size"], "--batch-size", low=2, high=n_train)
    c["attention_batch"] = check_int(c["attention_batch"], "--attention-batch", low=2, high=n_test)
    c["threads"] = check_int(args.threads, "--threads", low=1, high=1024)
    c["device"] = str(resolve_device(args.device))
    return c


def _n_test(n_total: int, c: dict) -> int:
    """Size of the test split, as :mod:`theory.datasets` computes it (per-class rounding)."""
    if c["dataset"] == "digits":
        from sklearn.datasets import load_digits

        counts = np.bincount(load_digits().target)
    else:
        from theory.subspace import cluster_sizes

        counts = cluster_sizes(n_total, c["K"])
    return int(sum(min(max(int(round(c["test_fraction"] * k)), 1), k - 1) for k in counts))


def grid_layers(n_layers: int, k: int = 5) -> list[int]:
    """Up to ``k`` evenly spaced 1-based layers including the first and the last.

    For 10 layers this gives 1, 3, 6, 8, 10 (the paper's Table 1).
    """
    return sorted({int(np.floor(v + 0.5)) for v in np.linspace(1, n_layers, min(k, n_layers))})


# ------------------------------------------------------------------------ run


def _dataset(c: dict, seed: int):
    from theory.datasets import load_digits_split, subspace_cluster_split

    if c["dataset"] == "digits":
        return load_digits_split(c["test_fraction"], seed=seed)
    return subspace_cluster_split(
        c["n"], m=c["m"], K=c["K"], r=c["r"], input_dim=c["input_dim"], noise=c["noise"],
        test_fraction=c["test_fraction"], seed=seed,
    )


def _head_kwargs(c: dict, name: str) -> dict:
    from theory.heads import head_parameter_count, match_hidden_dim

    tf = dict(width=c["width"], n_layers=c["layers"], n_heads=c["n_heads"], ffn_dim=c["ffn_dim"], norm=c["norm"])
    if name == "transformer":
        return tf
    if name == "deepfusion":
        return dict(n_layers=c["layers"], n_heads=c["n_heads"], ffn_dim=c["ffn_dim"], norm=c["df_norm"],
                    activation=c["df_activation"], residual_attention=c["residual_attention"],
                    residual_ffn=c["residual_ffn"])
    if name == "deepfusion_ffn":
        return dict(n_layers=c["layers"])
    if name == "mlp":
        hidden = c["mlp_hidden"]
        if hidden is None:
            target = head_parameter_count("transformer", c["feature_dim"], c["out_dim"], **tf)
            hidden = match_hidden_dim(target, c["feature_dim"], c["out_dim"], n_layers=c["mlp_layers"])
        return dict(hidden_dim=hidden, n_layers=c["mlp_layers"], activation="gelu")
    return {}


def _attention_scores(A: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Per-(layer, head) in-class mass, chance, log-sharpness (Def. 2) and block-diagonality."""
    from theory.attention import sharpness
    from theory.evaluation import block_diagonality, in_class_attention_mass

    _, lab = np.unique(labels, return_inverse=True)
    mass, chance = in_class_attention_mass(A, lab)
    L = A.shape[-1]
    if lab.max() >= 1:
        log_sharp = sharpness(A.reshape(-1, L, L), lab, log=True).reshape(A.shape[:-2])
    else:  # a single-class batch has no cross-class pair: Def. 2 is undefined
        log_sharp = np.full(A.shape[:-2], np.nan)
    return {
        "mass": mass,
        "chance": float(np.mean(chance)),
        "log_sharpness": log_sharp,
        "block_diag": block_diagonality(A, lab),
    }


def _one_run(c: dict, head_name: str, seed: int, data, device, bar=None) -> dict:
    import torch

    from theory.augmentations import ImageAugment, VectorAugment
    from theory.backbones import make_backbone
    from theory.evaluation import embed, linear_probe_accuracy, nearest_neighbour_accuracy, sort_by_label
    from theory.heads import count_parameters, make_head
    from theory.simclr import SimCLR, train_simclr

    ss = np.random.SeedSequence([seed, 7])
    s_backbone, s_head, s_train, s_probe = (int(s) for s in ss.generate_state(4) >> 1)
    if c["dataset"] == "digits":
        backbone = make_backbone("cnn", data.X_train.shape[1:], c["feature_dim"], seed=s_backbone)
        augment = ImageAugment(max_shift=1, max_rotation_deg=10.0, max_scale=0.1, noise=c["aug_noise"])
    else:
        backbone = make_backbone("mlp", data.X_train.shape[1:], c["feature_dim"], seed=s_backbone, hidden_dim=128)
        augment = VectorAugment(noise=c["aug_noise"], dropout=c["aug_dropout"])
    head_kwargs = _head_kwargs(c, head_name)
    head = make_head(head_name, c["feature_dim"], c["out_dim"], seed=s_head, **head_kwargs)
    model = SimCLR(backbone, head).to(device)
    Xte = torch.as_tensor(data.X_test, device=device)
    # held-out batch for the attention maps: the first attention_batch test samples, sorted by class
    att_idx = np.arange(c["attention_batch"])
    att_idx = att_idx[sort_by_label(data.y_test[att_idx])]
    att_x, att_y = Xte[att_idx], data.y_test[att_idx]
    is_tf = head_name in ATTENTION_HEADS
    seq = 2 * c["batch_size"] if c["joint_views"] else c["batch_size"]

    def attention(m):
        with torch.no_grad():
            _, A = m.head(m.features(att_x), return_attention=True)
        return A.double().cpu().numpy()

    def callback(epoch, m, history):
        if epoch % c["eval_every"] and epoch != c["epochs"]:
            return None
        out = {"knn_backbone": nearest_neighbour_accuracy(embed(m, Xte, part="backbone", batch_size=seq), data.y_test)}
        if is_tf:
            s = _attention_scores(attention(m), att_y)
            out["mass_first"] = float(s["mass"][0].mean())
            out["mass_last"] = float(s["mass"][-1].mean())
            out["block_diag_last"] = float(np.nanmean(s["block_diag"][-1]))
        return out

    def tick(epoch, m, history):
        if bar is not None:
            bar.set_postfix(head=head_name, seed=seed, loss=f"{history.loss[-1]:.3f}" if history.loss else "-")
            bar.update(1)
        return None

    history = train_simclr(
        model, data.X_train, augment, epochs=c["epochs"], batch_size=c["batch_size"], tau=c["tau"],
        optimizer=c["optimizer"], lr=c["lr"], momentum=c["momentum"], weight_decay=c["weight_decay"],
        scheduler=c["scheduler"], warmup_epochs=c["warmup_epochs"], callbacks=[callback, tick],
        eval_at_start=True, joint_views=c["joint_views"], device=device, seed=s_train,
    )
    Xtr = torch.as_tensor(data.X_train, device=device)
    res = {
        "history": history,
        "n_params": count_parameters(head),
        "head_kwargs": head_kwargs,
        "train_time_s": history.train_time_s,
    }
    for part in ("backbone", "head"):
        f_tr = embed(model, Xtr, part=part, batch_size=seq)
        f_te = embed(model, Xte, part=part, batch_size=seq)
        res[f"unsup_{part}"] = nearest_neighbour_accuracy(f_te, data.y_test)
        res[f"sup_{part}"] = linear_probe_accuracy(
            f_tr, data.y_train, f_te, data.y_test, fraction=c["probe_fraction"], seed=s_probe
        )
    if is_tf:
        A = attention(model)
        res["attention"] = A
        res["attention_labels"] = att_y
        res["scores"] = _attention_scores(A, att_y)
    return res


def _task(c: dict, head_name: str, seed: int, show_progress: bool = False) -> dict:
    """One unit: a (head, seed) training run, in a worker or in this process (with a per-epoch bar)."""
    import torch

    torch.set_num_threads(c["threads"])
    with progress(total=c["epochs"] + 1, desc=f"{head_name} seed {seed}", unit="epoch", leave=False,
                  disable=not show_progress) as bar:
        res = _one_run(c, head_name, seed, _dataset(c, seed), torch.device(c["device"]), bar)
    res["history"] = res["history"].as_arrays()
    return res


#: One (head, seed) training run with its evaluation, for other simulations (the ablations) to reuse.
run_head = _task


def _tasks(c: dict) -> list[tuple[int, str]]:
    return [(c["seed"] + k, h) for k in range(c["seeds"]) for h in c["heads"]]


def units(config: dict) -> list[Unit]:
    """One unit per (seed, head) training run; each run's seeds derive from its seed alone."""
    return [Unit(_task, (config, h, seed), {"show_progress": True}) for seed, h in _tasks(config)]


def combine(config: dict, results: list):
    """Aggregate the runs over seeds; returns ``(scalars, arrays)`` for :func:`save_results`.

    Every run uses ``config["threads"]`` torch threads wherever it runs, so
    the results do not depend on the backend or the number of workers.
    """
    c = config
    seeds = [c["seed"] + k for k in range(c["seeds"])]
    heads = c["heads"]
    tasks = _tasks(c)
    scalars: dict = {"heads": {}}
    arrays: dict[str, np.ndarray] = {"seeds": np.asarray(seeds)}
    per: dict[str, dict[str, list]] = {h: {} for h in heads}
    for (seed, h), res in zip(tasks, results):
        d = per[h]
        for k in ("unsup_backbone", "unsup_head", "sup_backbone", "sup_head", "train_time_s", "n_params", "head_kwargs"):
            d.setdefault(k, []).append(res[k])
        for k, v in res["history"].items():
            d.setdefault(k, []).append(v)
        if h in ATTENTION_HEADS:
            for k in ("mass", "log_sharpness", "block_diag"):
                d.setdefault(f"layer_{k}", []).append(res["scores"][k])
            d.setdefault("layer_chance", []).append(res["scores"]["chance"])
            if seed == seeds[0]:
                pre = "" if h == "transformer" else f"{h}_"  # the transformer's keep their historical names
                arrays[f"{pre}attention_maps"] = res["attention"].astype(np.float32)
                arrays[f"{pre}attention_labels"] = np.asarray(res["attention_labels"])
    for h in heads:
        d = per[h]
        summary = {"n_params": int(d["n_params"][0]), "head_kwargs": d["head_kwargs"][0]}
        for k in ("unsup_backbone", "unsup_head", "sup_backbone", "sup_head", "train_time_s"):
            v = np.asarray(d[k], dtype=float)
            arrays[f"{h}_{k}"] = v
            summary[k] = {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0}
        for k, series in d.items():
            if k in summary or k.startswith("layer_"):
                continue
            arrays[f"{h}_{k}"] = np.stack(series)
        if h in ATTENTION_HEADS:
            pre = "" if h == "transformer" else f"{h}_"
            for k in ("layer_mass", "layer_log_sharpness", "layer_block_diag", "layer_chance"):
                arrays[pre + k] = np.asarray(d[k], dtype=float)  # (seeds, layers, heads) or (seeds,)
            mass = arrays[pre + "layer_mass"].mean(axis=2)  # average over attention heads
            summary["layer_in_class_mass"] = mass.mean(axis=0).tolist()
            summary["chance"] = float(arrays[pre + "layer_chance"].mean())
            summary["layer_block_diagonality"] = np.nanmean(arrays[pre + "layer_block_diag"], axis=(0, 2)).tolist()
            summary["layer_log_sharpness"] = arrays[pre + "layer_log_sharpness"].mean(axis=(0, 2)).tolist()
            summary["last_layer_mass_minus_chance"] = float(mass[:, -1].mean() - summary["chance"])
            summary["mass_rises_with_depth"] = bool(mass.mean(axis=0)[-1] > mass.mean(axis=0)[0])
        scalars["heads"][h] = summary
    scalars["grid_layers"] = grid_layers(c["layers"])
    scalars["device"] = str(c["device"])
    return scalars, arrays


def _report(scalars: dict) -> None:
    for h, s in scalars["heads"].items():
        line = f"  {h:<11} params={s['n_params']:>8d}"
        for k in ("unsup_backbone", "sup_backbone", "unsup_head", "sup_head"):
            line += f"  {k}={s[k]['mean']:.3f}±{s[k]['sd']:.3f}"
        line += f"  train={s['train_time_s']['mean']:.1f}s"
        print(line)
        if "layer_in_class_mass" in s:
            print("  in-class attention mass per layer: " + " ".join(f"{v:.3f}" for v in s["layer_in_class_mass"])
                  + f"  (chance {s['chance']:.3f})")
            print("  block-diagonality per layer:       " + " ".join(f"{v:.3f}" for v in s["layer_block_diagonality"]))


def run(config: dict, runner=None):
    """Train every head for every seed (``runner``: a :class:`sims._runner.Runner`, default in this process)."""
    return SIMULATION.run(config, runner)


SIMULATION = Simulation(
    name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
    plot="figures.deep_fusion_toy", figure_stems=FIGURE_STEMS,
    describe=lambda c: f"deep fusion toy ({c['preset']}, {c['dataset']}, {c['device']})",
    report=_report, local=lambda c: c["device"] != "cpu",
    user_errors={FloatingPointError: "training diverged"},
)
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
