"""sims.nuisance_rank (Cosentino Fig. 1 with augmentation directions): the CLI and one run against its prediction."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sims import nuisance_rank


def test_help_exits_zero():
    r = subprocess.run([sys.executable, "-m", "sims.nuisance_rank", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--quick" in r.stdout and "--n-nuisance" in r.stdout


def _call(argv, capsys):
    try:
        rc = nuisance_rank.main(argv)
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


@pytest.mark.parametrize("argv, match", [
    (["--d", "1"], "--d"), (["--n-nuisance", "0"], "--n-nuisance"), (["--d", "8", "--n-nuisance", "8"], "--n-nuisance"),
    (["--rho", "0"], "--rho"), (["--sigmas", "-1"], "--sigmas"), (["--sigmas", "nan"], "--sigmas"),
    (["--batch-size", "5000"], "--batch-size"), (["--tau", "0"], "--tau"), (["--lr", "0"], "--lr"),
    (["--rank-tol", "1"], "--rank-tol"), (["--epochs", "0"], "--epochs"), (["--seeds", "x"], "invalid int"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, argv, match):
    out = tmp_path / "o"
    rc, err = _call(["--out", str(out), "--no-progress", *argv], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and match in err and "Traceback" not in err
    assert not out.exists()


def test_quick_run_puts_the_nuisance_directions_in_the_kernel(quick_run, session_result, capsys):
    """Quick scale (d = 16, k = 4): without nuisance augmentation the projector is full rank with about k/d of
    its weight on the nuisance coordinates (at most one weak direction lost in 25 epochs); with sigma_nuis = 2 the rank is d - k and that weight is tiny. The
    rank and the weight are recomputed here from the saved singular values and checked against numpy."""
    out = session_result("nuisance_rank")  # made by python -m figures --quick
    meta = json.loads((out / "nuisance_rank.json").read_text())
    assert meta["config"]["quick"] and meta["config"]["d"] == 16 and meta["config"]["n_nuisance"] == 4
    for ext in ("png", "pdf"):
        assert (quick_run[1] / f"nuisance_rank.{ext}").stat().st_size > 0  # the session run's figures
    with np.load(out / "nuisance_rank.npz") as a:
        rank, frac, sv = a["rank"], a["nuisance_fraction"], a["singular_values"]
        assert a["sigmas"].tolist() == [0.0, 2.0] and rank.shape == (2, 2)
        tol = meta["config"]["rank_tol"]
        np.testing.assert_array_equal(rank, (sv >= tol * sv[..., :1]).sum(axis=-1))
    assert np.all(rank[0] > 12) and np.all(rank[1] == 12)  # (full rank, or one weak direction less, at 25 epochs)
    assert np.all(np.abs(frac[0] - 0.25) < 0.1) and np.all(frac[1] < 1e-3)
    capsys.readouterr()
    assert nuisance_rank.main(["--quick", "--out", str(out), "--n-jobs", "1", "--no-progress"]) == 0
    assert "cached" in capsys.readouterr().out


def test_one_run_is_seeded_and_its_fraction_is_that_of_its_weights():
    cfg = nuisance_rank.make_config(nuisance_rank.build_parser().parse_args(["--quick"]))
    a = nuisance_rank.one_run(cfg, 1.0, 3)
    b = nuisance_rank.one_run(cfg, 1.0, 3)
    assert a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert 0.0 <= a[2] <= 1.0 and a[1].shape == (16,) and np.all(np.diff(a[1]) <= 0)

