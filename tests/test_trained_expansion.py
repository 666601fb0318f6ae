"""sims.trained_expansion (GMZ poster Fig. 2 and its evidence): the CLI, the saved quick run against independent
recomputations, and the claims' rules on hand-made results."""

import json
import subprocess
import sys

import numpy as np
import pytest

from figures.claims import CONFIRMED, CONTRADICTED, NOT_AT_SCALE
from figures.claims import gmz
from sims import trained_expansion


def test_help_exits_zero():
    r = subprocess.run([sys.executable, "-m", "sims.trained_expansion", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--aug-scales" in r.stdout and "(default: 0.5)" in r.stdout


def _call(argv, capsys):
    try:
        rc = trained_expansion.main(argv)
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


@pytest.mark.parametrize("argv, match", [
    (["--datasets", "mnist"], "--datasets entry"), (["--datasets", "digits,digits"], "must not repeat"),
    (["--datasets", ","], "--datasets must name"), (["--taus", "0"], "--taus"), (["--taus", "nan"], "--taus"),
    (["--aug-scales", "0"], "--aug-scales"), (["--aug-scales", "11"], "--aug-scales"),
    (["--evidence-tau", "-1"], "--evidence-tau"), (["--seeds", "0"], "--seeds"), (["--rep-dim", "1"], "--rep-dim"),
    (["--batch-size", "2000"], "--batch-size"), (["--datasets", "synthetic", "--batch-size", "600", "--n-train", "500"],
                                                  "--batch-size"),
    (["--eval-size", "1"], "--eval-size"), (["--eval-size", "600"], "--eval-size"), (["--lr", "0"], "--lr"),
    (["--rho", "0"], "--rho"), (["--sigma2", "inf"], "--sigma2"), (["--decomp-restarts", "-1"], "--decomp-restarts"),
    (["--epochs", "x"], "invalid int"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, argv, match):
    out = tmp_path / "o"
    rc, err = _call(["--out", str(out), "--no-progress", *argv], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and match in err and "Traceback" not in err
    assert not out.exists()


def _scores_by_eigh(W, mu):
    vals, vecs = np.linalg.eigh(W.T @ W)
    v1 = vecs[:, np.argmax(vals)]
    return (v1 @ mu) ** 2 / (mu @ mu)


def test_quick_run_scores_recomputed_from_the_saved_projectors(quick_run, session_result):
    """The saved score_1 is the top eigenvector's share of the saved class-mean differences (eigh, not an SVD), and
    those differences are orthogonal-invariant statistics of real data: the digits' 45 pairs, the synthetic one."""
    out = session_result("trained_expansion")
    meta = json.loads((out / "trained_expansion.json").read_text())
    cfg = meta["config"]
    assert cfg["quick"] and cfg["taus"] == [0.2, 0.5, 2.0] and cfg["aug_scales"] == [1.0]
    for ext in ("png", "pdf"):
        for stem in ("trained_expansion", "trained_expansion_evidence"):
            assert (quick_run[1] / f"{stem}.{ext}").stat().st_size > 0
    with np.load(out / "trained_expansion.npz") as a:
        for d, pairs in (("digits", 45), ("synthetic", 1)):
            W, mu, s1 = a[f"{d}_W"], a[f"{d}_mu"], a[f"{d}_score_1"]
            assert W.shape == (3, 1, 2, 16, 16) and mu.shape == (3, 1, 2, pairs, 16)
            for idx in np.ndindex(*s1.shape):
                want = np.mean([_scores_by_eigh(W[idx], m) for m in mu[idx]])
                assert s1[idx] == pytest.approx(want, rel=1e-6, abs=1e-12)
            sc = a[f"{d}_scores"]
            assert np.all(np.diff(sc, axis=-1) >= -1e-12) and np.allclose(sc[..., -1], 1.0)
            ep = a[f"{d}_evidence_epochs"]
            assert ep.shape[0] == 2 and ep[0].tolist() == list(range(ep.shape[1]))
            assert np.all(a[f"{d}_evidence_relative_excess"] >= 0)
            assert np.all((a[f"{d}_evidence_relative_distance"] >= 0) & (a[f"{d}_evidence_relative_distance"] <= 1))
            frac = a[f"{d}_evidence_separable_fraction"]
            assert np.all((frac >= 0) & (frac <= 1))
        # the loss at epoch t is NT-Xent of the fixed batch: the decomposition's min is never above it
        for d in ("digits", "synthetic"):
            assert np.all(a[f"{d}_evidence_min_loss"] <= a[f"{d}_evidence_loss"] + 1e-12)
    syn = meta["results"]["datasets"]["synthetic"]
    from theory.exact_boundary import tau_c
    assert syn["tau_c"] == pytest.approx([tau_c(cfg["sigma2"] * s, cfg["rho"]) for s in cfg["aug_scales"]])


def test_a_unit_is_seeded_and_the_same_in_any_process(session_result):
    """Re-running one synthetic unit here reproduces the session run's (another process) bit for bit."""
    out = session_result("trained_expansion")
    meta = json.loads((out / "trained_expansion.json").read_text())
    cfg = meta["config"]
    s, arr = trained_expansion.one_run(cfg, "synthetic", 2.0, 1.0, 1)
    with np.load(out / "trained_expansion.npz") as a:
        t = cfg["taus"].index(2.0)
        np.testing.assert_array_equal(arr["W"], a["synthetic_W"][t, 0, 1])
        assert s["score_1"] == a["synthetic_score_1"][t, 0, 1]


# ------------------------------------------------------------------ the claims' rules


def _meta(s1_digits, s1_syn, taus=(0.1, 0.5, 2.0), scales=(1.0, 2.0)):
    cfg = {"datasets": ["digits", "synthetic"], "evidence_tau": 0.5, "rho": 4.0}
    res = {"taus": list(taus), "aug_scales": list(scales), "p": 32,
           "datasets": {"synthetic": {"tau_star": [2.0, 1.2], "tau_c": [4.9, 3.4]}}}
    return {"config": cfg, "results": res}, {"digits_score_1": np.asarray(s1_digits, float),
                                            "synthetic_score_1": np.asarray(s1_syn, float)}


def _grid(by_tau, by_scale, noise, seeds=4, seed=0):
    rng = np.random.default_rng(seed)
    base = np.asarray(by_tau)[:, None, None] + np.asarray(by_scale)[None, :, None]
    return base + noise * rng.standard_normal((len(by_tau), len(by_scale), seeds))


def test_temperature_and_augmentation_rules():
    up = _grid([0.1, 0.2, 0.4], [0.0, 0.05], 0.005)
    meta, a = _meta(up, up)
    assert gmz._fig2_tau(meta, a).verdict == CONFIRMED
    assert gmz._fig2_aug(meta, a).verdict == CONFIRMED
    down = _grid([0.4, 0.2, 0.1], [0.05, 0.0], 0.005)
    meta, a = _meta(up, down)
    assert gmz._fig2_tau(meta, a).verdict == CONTRADICTED  # one data set against the prediction is enough
    assert gmz._fig2_aug(meta, a).verdict == CONTRADICTED
    flat = _grid([0.2, 0.2, 0.2], [0.0, 0.0], 0.05)
    meta, a = _meta(up, flat)
    assert gmz._fig2_tau(meta, a).verdict == NOT_AT_SCALE
    two = _grid([0.1, 0.2, 0.4], [0.0, 0.05], 0.005, seeds=2)
    assert gmz._fig2_tau(*_meta(two, two)).verdict == NOT_AT_SCALE  # two seeds cannot decide


def _evidence_meta(frac_digits, excess, distance, epochs=6, seeds=3):
    ep = np.tile(np.arange(epochs), (seeds, 1))
    cfg = {"datasets": ["digits", "synthetic"], "rho": 4.0}
    a = {}
    for d in cfg["datasets"]:
        a[f"{d}_evidence_epochs"] = ep
        a[f"{d}_evidence_separable_fraction"] = np.tile(frac_digits if d == "digits" else np.zeros(epochs), (seeds, 1))
        a[f"{d}_evidence_relative_excess"] = np.tile(excess, (seeds, 1))
        a[f"{d}_evidence_relative_distance"] = np.tile(distance, (seeds, 1))
        a[f"{d}_evidence_inner_grad_norm"] = np.full((seeds, epochs), 1e-6)
    return {"config": cfg}, a


def test_evidence_rules():
    late = np.array([0.2, 0.5, 0.8, 0.95, 1.0, 1.0])
    never = np.array([0.2, 0.3, 0.3, 0.4, 0.5, 0.6])
    small = np.array([0.3, 0.05, 0.04, 0.03, 0.02, 0.01])  # epoch 0 is not part of the rule
    assert gmz._evidence_separable(*_evidence_meta(late, small, small)).verdict == CONFIRMED
    assert gmz._evidence_separable(*_evidence_meta(never, small, small)).verdict == CONTRADICTED
    too_late = np.array([0.2, 0.3, 0.5, 0.6, 0.95, 1.0])
    assert gmz._evidence_separable(*_evidence_meta(too_late, small, small)).verdict == CONTRADICTED
    loss_rule = gmz._evidence_ratio("relative_excess", "x")
    dist_rule = gmz._evidence_ratio("relative_distance", "x")
    assert loss_rule(*_evidence_meta(late, small, small)).verdict == CONFIRMED
    one_epoch_high = small.copy()
    one_epoch_high[2] = 0.2
    assert loss_rule(*_evidence_meta(late, one_epoch_high, small)).verdict == NOT_AT_SCALE
    large = np.full(6, 0.8)
    assert loss_rule(*_evidence_meta(late, large, small)).verdict == CONTRADICTED
    # a large distance is an upper bound: it never contradicts
    assert dist_rule(*_evidence_meta(late, small, large)).verdict == NOT_AT_SCALE
    assert dist_rule(*_evidence_meta(late, small, small)).verdict == CONFIRMED
