"""sims.ntxent_phase: the NT-Xent phase diagram beside C's and L~'s."""

import subprocess
import sys

import numpy as np

from sims._common import load_results
from sims.ntxent_phase import main


def test_help_and_bad_input():
    r = subprocess.run([sys.executable, "-m", "sims.ntxent_phase", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--nodes" in r.stdout and "--backend" in r.stdout
    r = subprocess.run([sys.executable, "-m", "sims.ntxent_phase", "--tau-min", "0.01"], capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--tau-min" in r.stderr


def test_quick_run_agrees_with_the_pointwise_minimisers(tmp_path):
    from theory.ntxent_population import minimize_population_ntxent
    from theory.population_loss import minimize_reduced

    out = tmp_path / "o"
    assert main(["--quick", "--out", str(out), "--no-plot", "--no-progress", "--n-jobs", "1"]) == 0
    meta, a = load_results(out, "ntxent_phase")
    assert a["t_star_ntxent"].shape == (3, 3) and np.all((a["t_star_ntxent"] >= 0) & (a["t_star_ntxent"] <= 1))
    i, j = 1, 2
    s, tau, cfg = a["sigma2"][i], a["tau"][j], meta["config"]
    want = minimize_population_ntxent(s, tau, cfg["rho"], cfg["p"], n=cfg["nodes"], n_grid=9, n_iter=14)[0]
    assert a["t_star_ntxent"][i, j] == want
    want = minimize_population_ntxent(s, tau, cfg["rho"], None, n=cfg["limit_nodes"], n_grid=9, n_iter=14)[0]
    assert a["t_star_ntxent_limit"][i, j] == want
    # the p -> inf rule resolves the rank-one layer: tiny error estimates, and no cell is rank one (section 9.3)
    assert a["quadrature_error_limit"].max() < 1e-10 and np.all(a["t_star_ntxent_limit"] < 1.0)
    assert np.all(a["rank_one_coefficient"] > 0)
    grid = minimize_reduced(s, tau, cfg["rho"], cfg["p"], "exact", n_grid=2049)[0]  # the grid-search minimiser
    assert abs(a["t_star_exact"][i, j] - grid) < 1e-5
    assert np.all(a["tau_c"] > a["tau_star"])
