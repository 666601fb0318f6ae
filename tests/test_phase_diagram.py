"""CLI tests of sims.phase_diagram (and its figure module)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sims.phase_diagram import exact_rank_one_boundary, main
from theory.phase import tau_star
from theory.population_loss import minimize_population_loss, population_loss

from _oracles import explicit_projector, slope_at_rank_one


def test_help_exits_zero():
    r = subprocess.run([sys.executable, "-m", "sims.phase_diagram", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--quick" in r.stdout and "--n-jobs" in r.stdout


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--tau-min", "-1"], "--tau-min"),
        (["--sigma2-min", "2", "--sigma2-max", "1"], "--sigma2-max"),
        (["--rho", "0"], "--rho"),
        (["--p", "0"], "--p"),
        (["--n-tau", "1"], "--n-tau"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--tau-max", "nan"], "--tau-max"),
        (["--bogus"], "unrecognized"),
        (["--n-sigma2", "ten"], "invalid int"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, argv, match):
    out = tmp_path / "o"
    r = subprocess.run(
        [sys.executable, "-m", "sims.phase_diagram", "--out", str(out), *argv], capture_output=True, text=True
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and match in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_quick_run_writes_results_and_figures_and_caches(tmp_path, capsys):
    from figures._check import checking_figures

    out = tmp_path / "pd"
    with checking_figures(["figures.phase_diagram"]) as problems:  # two rho rows: a layout the quick run lacks
        assert main(["--quick", "--out", str(out), "--n-jobs", "1", "--no-progress", "--rho", "0.5", "2"]) == 0
    assert len(problems) == 4 and all(v == [] for v in problems.values()), problems
    meta = json.loads((out / "phase_diagram.json").read_text())
    assert meta["seed"] == 0 and meta["config"]["quick"] and meta["config"]["rho"] == [0.5, 2.0]
    assert "numpy" in meta["versions"]
    for f in ("phase_diagram.npz", "phase_diagram.png", "phase_diagram.pdf",
              "phase_diagram_fig3.png", "phase_diagram_fig3.pdf", "phase_diagram_p.png", "phase_diagram_ratio.pdf"):
        assert (out / f).stat().st_size > 0
    with np.load(out / "phase_diagram.npz") as a:
        ts_fo, ts_ex, tau = a["t_star_first_order"], a["t_star_exact"], a["tau"]
        assert ts_fo.shape == (2, 24, 24)
        # every number finite, expansion measures in [0, 1]
        for k in a.files:
            assert np.all(np.isfinite(a[k])), k
        assert np.all((ts_ex >= 0) & (ts_ex <= 1))
        # the saved grid agrees with the single-point minimiser at a spot check
        mu = np.zeros(meta["config"]["p"])
        mu[0] = np.sqrt(2.0)
        i, j = 7, 15
        r = minimize_population_loss(mu, a["sigma2"][i], tau[j], loss="exact", n_grid=129)
        # (t is resolved to ~sqrt(machine eps) since the loss is quadratic at its minimum)
        assert ts_ex[1, i, j] == pytest.approx(r.expansion_measure, abs=1e-6)
        # L~: rank one exactly where tau >= tau*
        assert np.array_equal(ts_fo == 1.0, tau[None, None, :] >= a["tau_star"][..., None])
    assert meta["results"]["first_order_vs_tau_star_mismatches"] == 0
    capsys.readouterr()
    # the rerun is served from the cache
    assert main(["--quick", "--out", str(out), "--n-jobs", "1", "--no-progress", "--rho", "0.5", "2"]) == 0
    assert "cached" in capsys.readouterr().out


def test_default_grid_is_finite_everywhere():
    # the full default sweep (100 x 100, rho = 1, p = 20) and the parameter
    # extremes: no NaN / inf in any minimiser or loss value
    from sims.phase_diagram import build_parser, make_config, run

    cfg = make_config(build_parser().parse_args([]))
    scalars, arrays = run(cfg)
    assert scalars["all_finite"]
    for k in ("t_star_exact", "t_star_first_order", "loss_exact", "loss_first_order", "tau_star"):
        assert np.all(np.isfinite(arrays[k])), k
    assert arrays["t_star_exact"].shape == (1, 100, 100)
    assert np.log10(arrays["tau"][-1] / arrays["tau"][0]) >= 4


def test_exact_rank_one_boundary_against_the_slope_of_C_at_rank_one():
    """Independent of the bisection's predicate (the reduced minimiser): the root in tau of C's slope at
    t = 1, from population_loss on explicit projectors; then a dense global check on either side."""
    from scipy.optimize import brentq

    s = np.array([0.01, 0.1, 1.0, 10.0])
    p = 20
    bd = exact_rank_one_boundary(s, 1.0, p, n_grid=257)
    assert np.all(np.isfinite(bd)) and np.all(bd > tau_star(s, 1.0))
    mu = np.zeros(p)
    mu[0] = 1.0
    ts = np.linspace(0.0, 1.0, 2001)[:-1]
    for si, b in zip(s, bd):
        root = np.exp(brentq(lambda lt: slope_at_rank_one(population_loss, si, np.exp(lt), 1.0, p), np.log(b) - 2, np.log(b) + 2,
                             xtol=1e-12))
        assert root == pytest.approx(b, rel=1e-4)
        for tau, rank_one in ((b * 1.01, True), (b / 1.01, False)):
            c1 = population_loss(np.outer(np.eye(p)[0], mu), mu, si, tau)
            grid = [population_loss(explicit_projector(t, p), mu, si, tau) for t in ts]
            assert (c1 <= min(grid)) == rank_one
