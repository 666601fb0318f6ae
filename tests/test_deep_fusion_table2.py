"""sims.deep_fusion_table2: the CLI, a quick run, and the paired rule on hand-made results."""

import json
import subprocess
import sys

import numpy as np
import pytest

from figures.claims import CONFIRMED, CONTRADICTED, NOT_AT_SCALE, lpa
from sims import deep_fusion_table2 as dt2
from sims import deep_fusion_toy as dft


def test_help_exits_zero():
    r = subprocess.run([sys.executable, "-m", "sims.deep_fusion_table2", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--seeds" in r.stdout and "--noise" in r.stdout


@pytest.mark.parametrize("argv, match", [
    (["--noise", "-0.1"], "--noise"), (["--noise", "1"], "--noise"), (["--epochs", "0"], "--epochs"),
    (["--seeds", "0"], "--seeds"), (["--threads", "0"], "--threads"), (["--bogus"], "unrecognized"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, argv, match):
    out = tmp_path / "o"
    try:
        rc = dt2.main(["--out", str(out), "--no-progress", *argv])
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and match in err and "Traceback" not in err
    assert not out.exists()


def test_quick_run_is_the_toys_runs_paired_by_seed(quick_run, session_result, capsys):
    out = session_result("deep_fusion_table2")  # made by python -m figures --quick
    meta = json.loads((out / "deep_fusion_table2.json").read_text())
    for ext in ("png", "pdf"):
        assert (quick_run[1] / f"deep_fusion_table2.{ext}").stat().st_size > 0  # the session run's figures
    with np.load(out / "deep_fusion_table2.npz") as a:
        acc = a["unsup_backbone"]
        assert acc.shape == (2, 2)
        res = dft.run_head(meta["config"]["base"], "mlp", meta["config"]["seed"] + 1)
        assert acc[0, 1] == res["unsup_backbone"]
        d = acc[1] - acc[0]
    assert meta["results"]["unsup_backbone_difference"]["mean"] == pytest.approx(d.mean(), abs=1e-15)


def test_paired_rule():
    rng = np.random.default_rng(0)
    base = 0.7 + 0.03 * rng.standard_normal(20)

    def meta_arrays(gain):
        arrays = {m: np.stack([base, base + gain + 0.002 * rng.standard_normal(20)]) for m in
                  ("unsup_backbone", "sup_backbone")}
        meta = {"results": {"heads": ["mlp", "transformer"], "n_params": {"mlp": 1, "transformer": 1}},
                "config": {"noise": 0.3}}
        return meta, arrays

    assert lpa._lpa_table2_decide(*meta_arrays(0.02)).verdict == CONFIRMED
    assert lpa._lpa_table2_decide(*meta_arrays(-0.02)).verdict == CONTRADICTED
    assert lpa._lpa_table2_decide(*meta_arrays(0.0)).verdict == NOT_AT_SCALE
    meta, arrays = meta_arrays(0.02)
    arrays["sup_backbone"] = np.stack([base, base - 0.02 + 0.002 * rng.standard_normal(20)])  # one metric reversed
    assert lpa._lpa_table2_decide(meta, arrays).verdict == CONTRADICTED

