"""Tests of sims.phase_train: the empirical loss estimates C(W), and the CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sims.phase_train import main
from theory.population_loss import empirical_loss
from theory.population_loss import population_loss


def test_empirical_loss_is_consistent_with_closed_form():
    # mean of independent batch losses -> C(W) up to the O(1/B) plug-in bias;
    # tolerance: 4 standard errors of the mean over 30 batches + the bias,
    # bounded by the spread of a single batch / B.
    import torch

    from theory.gmm import augment_torch, sample_gmm_torch

    rng = np.random.default_rng(0)
    p, s, tau = 3, 0.5, 1.0
    mu = np.array([1.0, 0.5, 0.0])
    W = rng.standard_normal((p, p))
    gen = torch.Generator().manual_seed(0)
    Wt = torch.tensor(W, dtype=torch.float64)
    mu_t = torch.tensor(mu, dtype=torch.float64)
    vals = []
    B = 800
    for _ in range(30):
        h, _ = sample_gmm_torch(B, mu_t, gen, dtype=torch.float64)
        h1, h2 = augment_torch(h, s, gen)
        hn, _ = sample_gmm_torch(B, mu_t, gen, dtype=torch.float64)
        (hn1,) = augment_torch(hn, s, gen, n_views=1)
        vals.append(float(empirical_loss(Wt, h1, h2, hn1, tau)))
    vals = np.array(vals)
    se = vals.std(ddof=1) / np.sqrt(vals.size)
    bias_bound = vals.std(ddof=1) * np.sqrt(B) / B
    assert abs(vals.mean() - population_loss(W, mu, s, tau)) <= 4 * se + bias_bound


def test_help_exits_zero():
    r = subprocess.run([sys.executable, "-m", "sims.phase_train", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--quick" in r.stdout


@pytest.mark.parametrize(
    "argv, match",
    [(["--tau", "0"], "--tau"), (["--batch", "1"], "--batch"), (["--device", "tpu"], "--device"),
     (["--sigma2", "-1"], "--sigma2"), (["--nope"], "unrecognized")],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, match):
    out = tmp_path / "o"
    with pytest.raises(SystemExit) if argv == ["--nope"] else _nullcontext() as exc:
        rc = main(["--out", str(out), *argv])
    rc = exc.value.code if argv == ["--nope"] else rc
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and match in err
    assert not out.exists()


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


def test_quick_run_writes_results_and_figure(tmp_path):
    out = tmp_path / "pt"
    assert main(["--quick", "--out", str(out), "--no-progress", "--device", "cpu"]) == 0
    meta = json.loads((out / "phase_train.json").read_text())
    assert meta["config"]["quick"] and meta["seed"] == 0
    for f in ("phase_train.npz", "phase_train.png", "phase_train.pdf"):
        assert (out / f).stat().st_size > 0
    with np.load(out / "phase_train.npz") as a:
        assert a["learned_expansion"].shape == (1, 2, 2)
        assert np.all((a["learned_expansion"] >= 0) & (a["learned_expansion"] <= 1 + 1e-9))
