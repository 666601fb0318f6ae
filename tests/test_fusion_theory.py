import json
import subprocess
import sys

import numpy as np
import pytest

from sims.fusion_theory import main


def test_help_exits_zero():
    r = subprocess.run([sys.executable, "-m", "sims.fusion_theory", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--quick" in r.stdout


def _run(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse errors exit 2 from inside parse_args
        return exc.code


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--eps", "1.0"], "--eps"),
        (["--K", "3", "--r", "8", "--m", "16"], "(K - 1) * r < m"),
        (["--layers", "0"], "--layers"),
        (["--cone-angle", "2.0"], "--cone-angle"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--bogus"], "unrecognized"),
        (["--integrity-shape", "2", "5", "3", "1"], "--integrity-shape"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, argv, match):
    out = tmp_path / "res"
    assert _run(argv + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and match in err
    assert not out.exists()


def test_quick_run_writes_json_npz_png_pdf_and_is_cached(quick_run, session_result, capsys):
    out = session_result("fusion_theory")  # the session's python -m figures --quick (another process)
    meta = json.loads((out / "fusion_theory.json").read_text())
    assert meta["config"]["quick"] is True and meta["seed"] == 0
    res = meta["results"]
    assert res["corrected_bound_violations"] == 0  # the corrected bound holds on every layer and draw
    assert res["greedy_above_convex_upper"] == 0  # Algorithm 1 never beats a certified upper bound
    with np.load(out / "fusion_theory.npz") as a:
        assert a["log_sharpness"].shape == (2, 2, 3)
        assert np.all(a["integrity_convex_lower"] <= a["integrity_convex_upper"] + 1e-12)
        first = a["log_sharpness"].copy()
    for stem in ("fusion_theory_sharpness", "fusion_theory_attention", "fusion_theory_integrity", "fusion_theory_region"):
        for ext in ("png", "pdf"):
            assert (quick_run[1] / f"{stem}.{ext}").stat().st_size > 0
    capsys.readouterr()
    assert main(["--quick", "--out", str(out), "--no-progress", "--n-jobs", "1"]) == 0
    assert "cached" in capsys.readouterr().out
    # bit-for-bit reproducible with --force, in this process
    assert main(["--quick", "--out", str(out), "--no-progress", "--n-jobs", "1", "--force", "--no-plot"]) == 0
    with np.load(out / "fusion_theory.npz") as a:
        np.testing.assert_array_equal(a["log_sharpness"], first)
