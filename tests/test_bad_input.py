"""Bad input at the public boundary: the cases a fuzzing pass of every CLI and the API found.

Each case must give one readable line and exit code 2 (CLIs) or a ValueError naming the parameter (API),
or a correct result; never a traceback, a silent NaN or a run that cannot finish.
"""

import subprocess
import sys

import numpy as np
import pytest
import torch

from theory.ntxent import nt_xent
from theory.population_loss import first_order_loss, population_loss
from theory.sparsehead import min_max_distance_ratio


@pytest.mark.parametrize("argv, needle", [
    (["sims.phase_diagram", "--tau-max", "1e300"], "--tau-max"),
    (["sims.phase_diagram", "--rho", "1e300"], "--rho"),
    (["sims.maxmargin", "--rho", "1e300"], "--rho"),
    (["sims.logistic_lowdim", "--rho", "1e300"], "--rho"),
    (["sims.logistic_lowdim", "--a", "1e300"], "--a"),
    (["sims.deep_fusion_toy", "--lr", "1e300"], "--lr"),
    (["sims.projector_e2e", "--xval-lr", "1e300"], "--xval-lr"),
    (["sims.projector_e2e", "--tau-grid", "1,,2"], "empty entries"),
    (["sims.phase_train", "--batch", "10000000"], "--batch"),
    (["sims.phase_train", "--n-seeds", "1000000"], "--n-seeds"),
    (["sims.phase_train", "--steps", "10000000000"], "--steps"),
    (["sims.phase_train", "--batch", "60000", "--n-seeds", "500"], "GiB"),
    (["sims.phase_train", "--tau", "1e-300"], "--tau"),
    (["sims.phase_diagram", "--n-jobs", "-5"], "--n-jobs"),
    (["figures", "--n-jobs", "-100"], "--n-jobs"),
    (["figures", "--scale", "foo", "--quick"], "--scale must be one of"),
    # found by scripts/fuzz_cli.py: accepted, then a traceback, a memory error or a silently invalid result
    (["sims.projector_e2e", "--quick", "--tau", "1e-300"], "--tau"),
    (["sims.projector_e2e", "--quick", "--weight-decay", "1e300"], "--weight-decay"),
    (["sims.projector_e2e", "--quick", "--rep-dim", "10000000000"], "--rep-dim"),
    (["sims.projector_e2e", "--quick", "--p", "10000000000"], "--p"),
    (["sims.projector_e2e", "--quick", "--threads", "10000000000"], "--threads"),
    (["sims.projector_e2e", "--quick", "--xval-seeds", "10000000000"], "--xval-seeds"),
    (["sims.deep_fusion_toy", "--quick", "--tau", "1e-300"], "--tau"),
    (["sims.logistic_lowdim", "--quick", "--etas", "1e300"], "--etas"),
    (["sims.maxmargin", "--quick", "--etas", "1e6"], "--etas"),
    (["sims.fusion_theory", "--quick", "--scale", "1e300"], "--scale"),
    (["sims.phase_diagram", "--quick", "--curve-sigma2", "1e300"], "--curve-sigma2"),
])
def test_cli_refuses_in_one_line_before_any_work(tmp_path, capsys, argv, needle):
    """In process (the CLIs' ``main``); the subprocess path is covered by the tests below and the fuzzer."""
    import importlib

    mod, *rest = argv
    extra = ["--out", str(tmp_path / "o")] if mod.startswith("sims.") else ["--results-dir", str(tmp_path / "r")]
    main = importlib.import_module("figures.__main__" if mod == "figures" else mod).main
    rc = main([*rest, *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and needle in err[0] and err[0].startswith(f"python -m {mod}: error: "), err
    assert not (tmp_path / "o").exists() and not (tmp_path / "r").exists()


def test_a_refusal_in_a_fresh_process_is_one_line_without_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "sims.projector_e2e", "--tau", "1e-300", "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120)
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(err) == 1 and "--tau" in err[0] and "Traceback" not in r.stderr, r.stderr


def test_a_diverging_training_run_exits_non_zero(tmp_path, monkeypatch, capsys):
    """A run whose projectors come back non-finite stops with one line and exit 2, never a result of NaNs."""
    import theory.projector_training as pt
    from sims import phase_train

    real = pt.train_gmm_projectors

    def diverging(*args, **kwargs):
        res = real(*args, **kwargs)
        return res._replace(expansion_measure=np.full_like(np.asarray(res.expansion_measure, float), np.nan))

    monkeypatch.setattr(pt, "train_gmm_projectors", diverging)
    rc = phase_train.main(["--quick", "--out", str(tmp_path), "--no-plot", "--device", "cpu", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "training diverged" in err[0]
    assert not (tmp_path / "phase_train.json").exists()


def test_piping_into_head_exits_quietly():
    r = subprocess.run(f"{sys.executable} -m sims.phase_diagram --help | head -1", shell=True, capture_output=True,
                       text=True)
    assert "BrokenPipe" not in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_population_losses_are_scale_invariant_at_extreme_scales(scale):
    mu = np.array([1.0, 0.0, 0.0])
    W = np.diag([1.0, 0.5, 0.25])
    for loss in (population_loss, first_order_loss):
        want = loss(W, mu, 0.5, 1.0)
        assert loss(scale * W, mu, 0.5, 1.0) == pytest.approx(want, rel=1e-12)


def test_nt_xent_accepts_arrays_and_refuses_non_finite_input():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    want = nt_xent(torch.as_tensor(a), torch.as_tensor(b), 0.5)
    assert float(nt_xent(a, b, 0.5)) == pytest.approx(float(want), rel=1e-12)
    bad = a.copy()
    bad[1, 2] = np.nan
    for x in (bad, torch.as_tensor(bad)):
        with pytest.raises(ValueError, match="must be finite"):
            nt_xent(x, b, 0.5)
        with pytest.raises(FloatingPointError):  # what the training loops catch as divergence
            nt_xent(x, b, 0.5)
    with pytest.raises(ValueError, match="real numbers"):
        nt_xent([["a"]], [["b"]], 0.5)


def test_min_max_distance_ratio_on_coincident_points():
    z = np.zeros(3)
    with pytest.raises(ValueError, match="undefined"):
        min_max_distance_ratio(z, np.zeros((4, 3)))
    assert min_max_distance_ratio(z, np.array([[0.0, 0, 0], [1.0, 0, 0]])) == np.inf  # delta_min = 0 < delta_max


def test_tau_star_names_sigma2_for_a_string():
    from theory.phase import tau_star

    with pytest.raises(ValueError, match="^sigma2 must be"):
        tau_star("a", 1.0)


def test_max_margin_formulas_refuse_rho_beyond_double_precision_and_work_up_to_it():
    """rho in (0, RHO_MAX]: above it delta* overflows and Err* underflows (they gave inf / 0 with warnings)."""
    import warnings

    from theory.maxmargin import RHO_MAX, asymptotic_error, bayes_error, separability_threshold

    for call in (lambda: separability_threshold(1e6), lambda: asymptotic_error(1e4, 1.0, 0.5),
                 lambda: separability_threshold([1.0, 2 * RHO_MAX])):
        with pytest.raises(ValueError, match=r"rho must be in \(0, 1000\].*limits are delta\* = inf"):
            call()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or 0/0 inside the accepted range
        d = separability_threshold(RHO_MAX)
        err = asymptotic_error(RHO_MAX, 1.0, 0.5)
    # delta* grows like exp(rho / 2) up to a polynomial factor; Err* is at least the Bayes error
    assert np.isfinite(d) and 0.3 < np.log(d) / (RHO_MAX / 2) < 1.1
    assert bayes_error(RHO_MAX) <= err < 1e-200
