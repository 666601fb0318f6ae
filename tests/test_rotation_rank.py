"""sims.rotation_rank (Cosentino Fig. 10): the CLI, and each run's ranks against an independent computation."""

import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.ndimage as ndi

from sims import rotation_rank


def test_help_exits_zero_and_shows_the_papers_defaults():
    r = subprocess.run([sys.executable, "-m", "sims.rotation_rank", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--quick" in r.stdout and "--n-jobs" in r.stdout
    args = rotation_rank.build_parser().parse_args([])
    assert (args.size, args.copies, args.runs) == (32, 500, 5)


def _call(argv, capsys):
    try:
        rc = rotation_rank.main(argv)
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


@pytest.mark.parametrize("argv, match", [
    (["--size", "2"], "--size"), (["--copies", "1"], "--copies"), (["--max-angles", "-5"], "--max-angles"),
    (["--max-angles", "400"], "--max-angles"), (["--runs", "0"], "--runs"), (["--rank-tol", "0"], "--rank-tol"),
    (["--rank-tol", "1"], "--rank-tol"), (["--rank-tol", "nan"], "--rank-tol"), (["--copies", "x"], "invalid int"),
    (["--bogus"], "unrecognized"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, argv, match):
    out = tmp_path / "o"
    rc, err = _call(["--out", str(out), "--no-progress", *argv], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and match in err and "Traceback" not in err
    assert not out.exists()


def test_one_run_against_scipy_rotations_and_numpys_rank():
    """The same hot pixel and angles, rotated by scipy.ndimage (bilinear) and ranked by numpy.linalg.matrix_rank:
    the ranks agree for every run whose pixel stays away from the border on its whole arc (scipy and torch pad
    differently at the border); at least three such runs are compared."""
    size, copies, angles = 20, 100, np.array([0.0, 5.0, 30.0, 120.0])
    centre = (size - 1) / 2
    compared = 0
    for r in range(16):
        ranks, spectra, hot = rotation_rank.one_run(np.random.SeedSequence([7, r]), size, copies, angles, 1e-10)
        rng = np.random.default_rng(np.random.SeedSequence([7, r]))
        assert np.array_equal(hot, rng.integers(size, size=2))
        interior = np.hypot(hot[0] - centre, hot[1] - centre) < centre - 2
        for j, a in enumerate(angles):
            draw = rng.uniform(0.0, a, size=copies)
            img = np.zeros((size, size))
            img[hot[0], hot[1]] = 1.0
            X = np.stack([ndi.rotate(img, t, reshape=False, order=1, mode="constant").ravel() for t in draw])
            cov = np.cov(X, rowvar=False)
            want = np.linalg.matrix_rank(cov, tol=1e-10)
            if interior:
                assert ranks[j] == want, (r, a, ranks[j], want)
            assert ranks[j] <= copies - 1
        compared += bool(interior)
        assert ranks[0] == 0 and spectra.shape == (4, copies)
    assert compared >= 3


def test_quick_run_writes_results_and_figure_and_is_cached(quick_run, session_result, capsys):
    out = session_result("rotation_rank")  # made by python -m figures --quick
    meta = json.loads((out / "rotation_rank.json").read_text())
    assert meta["seed"] == 0 and meta["config"]["quick"] and "torch" in meta["versions"]
    for ext in ("png", "pdf"):
        assert (quick_run[1] / f"rotation_rank.{ext}").stat().st_size > 0  # the session run's figures
    with np.load(out / "rotation_rank.npz") as a:
        assert a["ranks"].shape == (2, 3) and np.all(a["ranks"][:, 0] == 0)
        np.testing.assert_allclose(meta["results"]["mean_rank"], a["ranks"].mean(axis=0))
    capsys.readouterr()
    assert rotation_rank.main(["--quick", "--out", str(out), "--n-jobs", "1", "--no-progress"]) == 0
    assert "cached" in capsys.readouterr().out

