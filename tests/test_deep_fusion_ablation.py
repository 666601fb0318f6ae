"""sims.deep_fusion_ablation: the CLI, and a quick run that reuses the toy's training loop unchanged."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sims import deep_fusion_ablation as dfa
from sims import deep_fusion_toy as dft


def test_help_exits_zero():
    r = subprocess.run([sys.executable, "-m", "sims.deep_fusion_ablation", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--axes" in r.stdout and "--quick" in r.stdout


def _call(argv, capsys):
    try:
        rc = dfa.main(argv)
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


@pytest.mark.parametrize("argv, match", [
    (["--axes", "width"], "--axes must be distinct names"), (["--axes", "tau,tau"], "--axes must be distinct names"),
    (["--depths", "0"], "--depths"), (["--depths", "9"], "--depths"),
    (["--axes", ""], "--axes"), (["--batch-sizes", "2"], "--batch-sizes"), (["--batch-sizes", "5000"], "--batch-sizes"),
    (["--taus", "0"], "--taus"), (["--weight-decays", "-1"], "--weight-decays"), (["--noise", "1"], "--noise"),
    (["--epochs", "0"], "--epochs"), (["--seeds", "x"], "invalid int"), (["--bogus"], "unrecognized"),
    (["--heads", "mlp"], "--heads must be whole pairs"), (["--heads", "mlp,deepfusion"], "--heads must be whole pairs"),
    (["--heads", "mlp,transformer,resnet"], "--heads must be whole pairs"),
    (["--heads", "mlp,transformer,mlp"], "--heads must be whole pairs"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, argv, match):
    out = tmp_path / "o"
    rc, err = _call(["--out", str(out), "--no-progress", *argv], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and match in err and "Traceback" not in err
    assert not out.exists()


def test_quick_run_and_its_values_are_the_toys_runs(quick_run, session_result, capsys):
    out = session_result("deep_fusion_ablation")  # made by python -m figures --quick
    meta = json.loads((out / "deep_fusion_ablation.json").read_text())
    cfg = meta["config"]
    assert cfg["axes"] == ["batch", "tau", "weight_decay", "depth"] and cfg["quick"]
    for ext in ("png", "pdf"):
        assert (quick_run[1] / f"deep_fusion_ablation.{ext}").stat().st_size > 0  # the session run's figures
    with np.load(out / "deep_fusion_ablation.npz") as a:
        acc = a["tau_unsup_backbone"]  # (values, heads, seeds); heads: both pairs, ours and the authors'
        assert meta["results"]["heads"] == ["mlp", "transformer", "deepfusion_ffn", "deepfusion"]
        assert meta["results"]["pairs"] == [["mlp", "transformer"], ["deepfusion_ffn", "deepfusion"]]
        assert acc.shape == (2, 4, 1) and a["batch_values"].tolist() == [16.0, 128.0]
        assert a["tau_values"].tolist() == [0.5, 0.05]
        assert a["tau_mass_excess_transformer"].shape[:2] == (2, 1) and a["tau_mass_excess_deepfusion"].shape == (2, 1, 4)
        assert "tau_mass_excess_mlp" not in a.files and "tau_mass_excess_deepfusion_ffn" not in a.files
        # the authors' transformer at tau = 0.05 is the toy's own run of that head
        res = dft.run_head(dict(cfg["base"], tau=0.05), "deepfusion", cfg["seed"])
        assert acc[1, 3, 0] == pytest.approx(res["unsup_backbone"], abs=0)
        # the transformer at tau = 0.05 is the toy's own run with that temperature (the same loop, seed and data)
        c = dict(cfg["base"], tau=0.05)
        res = dft.run_head(c, "transformer", cfg["seed"])
        assert acc[1, 1, 0] == pytest.approx(res["unsup_backbone"], abs=0)
        # Table 6: depth d is a d-block transformer and an FFN with d hidden blocks before its output layer, the
        # head-output probe included; the 1-block transformer has one layer of attention maps
        assert a["depth_values"].tolist() == [1.0, 3.0] and a["depth_sup_head"].shape == (2, 4, 1)
        res = dft.run_head(dict(cfg["base"], layers=1, mlp_layers=2), "mlp", cfg["seed"])
        assert a["depth_sup_backbone"][0, 0, 0] == res["sup_backbone"] and a["depth_sup_head"][0, 0, 0] == res["sup_head"]
        for t in ("transformer", "deepfusion"):
            mass = a[f"depth_mass_excess_{t}"]  # (2 depths, 1 seed, 3 layers), NaN past the 1-block head's layer
            last = a[f"depth_mass_excess_last_{t}"]
            assert mass.shape == (2, 1, 3) and np.isnan(mass[0, 0, 1:]).all() and np.isfinite(mass[1, 0]).all()
            assert last[0, 0] == mass[0, 0, 0] and last[1, 0] == mass[1, 0, 2]

