"""CLI tests of sims.maxmargin and sims.logistic_lowdim (and their figure modules)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sims import logistic_lowdim, maxmargin
from theory.maxmargin import asymptotic_error, separability_threshold

SIMS = {"maxmargin": maxmargin, "logistic_lowdim": logistic_lowdim}


@pytest.mark.parametrize("name", SIMS)
def test_help_exits_zero(name):
    r = subprocess.run([sys.executable, "-m", f"sims.{name}", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--quick" in r.stdout and "--n-jobs" in r.stdout and "--seed" in r.stdout


@pytest.mark.parametrize("name", SIMS)
def test_bad_flag_in_a_subprocess(tmp_path, name):
    out = tmp_path / "o"
    r = subprocess.run([sys.executable, "-m", f"sims.{name}", "--out", str(out), "--bogus"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "unrecognized" in r.stderr
    assert not out.exists()


def _call(module, argv, capsys):
    try:
        rc = module.main(argv)
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    return rc, capsys.readouterr().err


@pytest.mark.parametrize(
    "name, argv, match",
    [
        ("maxmargin", ["--rho", "0"], "--rho"),
        ("maxmargin", ["--etas", "-1"], "--etas"),
        ("maxmargin", ["--delta", "-0.5"], "--delta"),
        ("maxmargin", ["--delta", "5.0"], "separability threshold"),  # above delta*(1) = 3.70
        ("maxmargin", ["--p", "0"], "--p"),
        ("maxmargin", ["--reps", "0"], "--reps"),
        ("maxmargin", ["--n-jobs", "0"], "--n-jobs"),
        ("maxmargin", ["--rho", "nan"], "--rho"),
        ("maxmargin", ["--p", "ten"], "invalid int"),
        ("logistic_lowdim", ["--rho", "-1"], "--rho"),
        ("logistic_lowdim", ["--a", "0"], "--a"),
        ("logistic_lowdim", ["--etas", "-2"], "--etas"),
        ("logistic_lowdim", ["--n", "2"], "--n"),
        ("logistic_lowdim", ["--p", "0"], "--p"),
        ("logistic_lowdim", ["--reps", "x"], "invalid int"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, name, argv, match):
    out = tmp_path / "o"
    rc, err = _call(SIMS[name], ["--out", str(out), "--no-progress", *argv], capsys)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and match in err and "Traceback" not in err
    assert not out.exists()


def test_maxmargin_quick_run(tmp_path, capsys):
    out = tmp_path / "mm"
    assert maxmargin.main(["--quick", "--out", str(out), "--n-jobs", "1", "--no-progress"]) == 0
    meta = json.loads((out / "maxmargin.json").read_text())
    assert meta["seed"] == 0 and meta["config"]["quick"] and "numpy" in meta["versions"]
    for stem in ("maxmargin_error", "maxmargin_margin", "maxmargin_separability"):
        for ext in ("png", "pdf"):
            assert (out / f"{stem}.{ext}").stat().st_size > 0
    with np.load(out / "maxmargin.npz") as a:
        # the saved theory is the theory module's, at the saved parameters
        k = 1
        assert np.allclose(a["theory_err_at_etas"][k], asymptotic_error(a["rho"][k], a["etas"], a["delta"][k]))
        assert np.allclose(a["sep_delta_star"], separability_threshold(a["sep_rho"]))
        assert a["sim_err"].shape == (2, 2, 3, 4)
        assert np.all((a["sim_err"] > 0) & (a["sim_err"] < 1))
    capsys.readouterr()
    # bit-for-bit reproducible (same config and seed, recomputed in-process)
    args = maxmargin.build_parser().parse_args(["--quick"])
    _, arrays = maxmargin.run(maxmargin.make_config(args))
    with np.load(out / "maxmargin.npz") as a:
        assert np.array_equal(a["sim_err"], arrays["sim_err"], equal_nan=True)
        assert np.array_equal(a["sep_separable"], arrays["sep_separable"])
    assert maxmargin.main(["--quick", "--out", str(out), "--n-jobs", "1", "--no-progress"]) == 0
    assert "cached" in capsys.readouterr().out


def test_logistic_quick_run(tmp_path, capsys):
    out = tmp_path / "lg"
    assert logistic_lowdim.main(["--quick", "--out", str(out), "--n-jobs", "1", "--no-progress"]) == 0
    meta = json.loads((out / "logistic_lowdim.json").read_text())
    assert meta["seed"] == 0 and meta["config"]["quick"] and "scipy" in meta["versions"]
    for stem in ("logistic_lowdim_error", "logistic_lowdim_rate"):
        for ext in ("png", "pdf"):
            assert (out / f"{stem}.{ext}").stat().st_size > 0
    with np.load(out / "logistic_lowdim.npz") as a:
        assert a["err"].shape == (3, 2, 2, 6, 4)
        assert np.all(a["err"] >= a["bayes_error"] - 1e-12)
        assert np.all(a["ybar"][:, 0] == 0)  # balanced labels, n even
    capsys.readouterr()
    assert logistic_lowdim.main(["--quick", "--out", str(out), "--n-jobs", "1", "--no-progress"]) == 0
    assert "cached" in capsys.readouterr().out
