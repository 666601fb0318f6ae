"""CLI tests of sims.projector_e2e (and the figures it draws)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sims.projector_e2e import NAME, main


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sims.projector_e2e", *args], capture_output=True, text=True, cwd=cwd)


def test_help_exits_zero():
    r = _cli("--help")
    assert r.returncode == 0
    assert "--quick" in r.stdout and "--heads" in r.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--bogus-flag"], "unrecognized arguments"),
        (["--heads", "linear,resnet"], "unknown head 'resnet'"),
        (["--tau", "-1"], "--tau must be in [0.001, 1000]"),
        (["--parts", "xval,imagenet"], "--parts must be"),
        (["--sigma2-grid", "0,1"], "--sigma2-grid"),
        (["--delta", "50"], "separability threshold"),
        (["--rank-tol", "-0.1"], "--rank-tol"),
        (["--aug-sigmas", "0.1,0.2"], "--aug-sigmas"),
        (["--batch-size", "1"], "--batch-size"),
        (["--device", "tpu"], "--device"),
        (["--seeds", "0"], "--seeds"),
        (["--digits-seeds", "-2"], "--digits-seeds"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--label-fractions", "0.1,0"], "--label-fractions must be distinct numbers in (0, 1]"),
        (["--label-fractions", "0.1,0.1"], "--label-fractions must be distinct"),
        (["--label-fractions", "nan"], "--label-fractions"),
        (["--knn-k", "0"], "--knn-k"),
        (["--knn-k", "300"], "--knn-k must be at most"),
        (["--finetune-epochs", "-1"], "--finetune-epochs"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, args, needle):
    out = tmp_path / "out"
    r = _cli(*args, "--out", str(out), "--no-plot")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert not out.exists()


def test_quick_run_writes_json_npz_png_pdf(quick_run, session_result):
    """The session's quick run (linear, mlp, mlp+sparse heads; seed 0): results, figures, and the encoder-side
    metrics of Cosentino Figs. 4, 5, 9 recomputed from the saved singular values."""
    out = session_result(NAME)
    meta = json.loads((out / f"{NAME}.json").read_text())
    assert meta["seed"] == 0 and meta["config"]["quick"] is True
    assert set(meta["results"]) >= {"xval", "synthetic", "digits", "device"}
    x = meta["results"]["xval"]
    for row in x["configs"]:
        assert 0.0 <= row["t_star_exact"] <= 1.0
        assert all(0.0 <= t <= 1.0 for t in row["t_population"] + row["t_ntxent"])
        assert all(e >= -1e-6 for e in row["excess_loss_population"])  # nothing beats the population minimum
    tol, d_enc = meta["config"]["rank_tol"], meta["config"]["rep_dim"]
    with np.load(out / f"{NAME}.npz") as data:
        assert "xval_t_exact" in data.files and "syn[linear@moderate]_metric_rank_tau" in data.files
        # InfoNCE sits between the bounds of Prop. 3.1 at every recorded epoch
        for key in ("linear@moderate", "mlp@moderate"):
            lo, mid, hi = (data[f"syn[{key}]_metric_{k}_all"] for k in ("lower", "infonce", "upper"))
            assert np.all(lo <= mid + 1e-9) and np.all(mid <= hi + 1e-9)
        for prefix, key in (("syn", "linear@small"), ("syn", "linear@large"), ("dig", "linear")):
            sv = data[f"{prefix}[{key}]_encoder_sv_all"]  # (seeds, init / half / end, d_enc)
            rank = data[f"{prefix}[{key}]_metric_rank_h_all"]
            assert sv.shape[1:] == (3, d_enc) and np.all(np.diff(sv, axis=-1) <= 1e-12)
            # Rank_tau (eq. 2) counted from the saved singular values at initialisation and at the end
            np.testing.assert_array_equal(rank[:, 0], (sv[:, 0] >= tol * sv[:, 0, :1]).sum(axis=-1))
            np.testing.assert_array_equal(rank[:, -1], (sv[:, 2] >= tol * sv[:, 2, :1]).sum(axis=-1))
            dist = data[f"{prefix}[{key}]_metric_nn_distance_all"]
            assert np.all((dist > 0) & (dist <= 2.0))  # distance of two unit vectors, never 0 for distinct views
        assert "syn[mlp@moderate]_encoder_sv_all" not in data.files  # the encoder metrics need the linear W
    for part in ("xval", "synthetic", "digits", "encoder"):
        for ext in ("png", "pdf"):
            assert (quick_run[1] / f"{NAME}_{part}.{ext}").stat().st_size > 0


def test_nearest_negative_distance_against_a_loop():
    """The callback's distance, on a tiny hand-checkable batch, against a loop over anchors and candidates."""
    import torch

    from sims._e2e_simclr import _metric_callback

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            from theory.heads import make_head

            self.head = make_head("linear", 3, 2, seed=1, bias=False)

        def features(self, x):
            return x

    rng = np.random.default_rng(2)
    X = torch.as_tensor(rng.standard_normal((5, 3)), dtype=torch.float32)
    augment = lambda x, g: x + 0.3 * torch.randn(x.shape, generator=g)  # noqa: E731
    cfg = {"tau": 0.5, "rank_tol": 0.05}
    spectra = {}
    cb = _metric_callback("linear", cfg, X, np.array([0, 1, 0, 1, 0]), augment, 7, 4, spectra)
    out = cb(0, Model(), None)
    gen = torch.Generator().manual_seed(7)
    x1, x2 = augment(X, gen).double().numpy(), augment(X, gen).double().numpy()
    W = Model().head.linear.weight.detach().double().numpy()
    views = np.vstack([x1, x2])
    total = 0.0
    for i in range(5):
        cands = [j for j in range(10) if j not in (i, i + 5)]
        cos = [(W @ x1[i]) @ (W @ views[j]) / np.linalg.norm(W @ x1[i]) / np.linalg.norm(W @ views[j]) for j in cands]
        star = views[cands[int(np.argmax(cos))]]
        total += np.linalg.norm(x1[i] / np.linalg.norm(x1[i]) - star / np.linalg.norm(star))
    assert out["nn_distance"] == pytest.approx(total / 5, rel=1e-6)
    assert 0 in spectra and spectra[0] == pytest.approx(np.linalg.svd(x1, compute_uv=False), rel=1e-6)
    assert out["rank_h"] == int(np.sum(spectra[0] >= 0.05 * spectra[0][0]))
    cb(1, Model(), None)
    assert set(spectra) == {0}  # only epochs 0, epochs // 2 = 2 and epochs = 4 are kept


def test_results_identical_for_any_n_jobs(tmp_path):
    """Seeded runs are reproducible bit for bit, in this process (n_jobs = 1) or in joblib workers (n_jobs = 2)."""
    args = ["--quick", "--heads", "none,linear", "--no-plot", "--seed", "5", "--seeds", "2", "--digits-seeds", "2",
            "--no-progress"]
    assert main(args + ["--n-jobs", "1", "--out", str(tmp_path / "a")]) == 0
    assert main(args + ["--n-jobs", "2", "--out", str(tmp_path / "b")]) == 0
    ma, mb = (json.loads((tmp_path / d / f"{NAME}.json").read_text()) for d in "ab")
    assert (ma["run"]["n_jobs"], mb["run"]["n_jobs"]) == (1, 2) and ma["config_hash"] == mb["config_hash"]
    with np.load(tmp_path / "a" / f"{NAME}.npz") as a, np.load(tmp_path / "b" / f"{NAME}.npz") as b:
        assert a.files == b.files
        for k in a.files:
            if "epoch_time_s" in k:
                continue
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    for part in ("synthetic", "digits"):
        for key, run in ma["results"][part]["runs"].items():
            other = mb["results"][part]["runs"][key]
            for name, st in run["stats"].items():
                if "time" not in name:
                    assert st == other["stats"][name], (part, key, name)


def test_seed_statistics_are_the_mean_sd_and_all_of_the_replicates(tmp_path):
    out = tmp_path / "stats"
    # 4 seeds: an explicit --seeds equal to the default (3) would be replaced by --quick's 2 (sims._common.apply_quick)
    assert main(["--quick", "--parts", "synthetic", "--heads", "linear", "--seeds", "4", "--no-plot", "--no-progress",
                 "--n-jobs", "1", "--out", str(out)]) == 0
    res = json.loads((out / f"{NAME}.json").read_text())["results"]["synthetic"]
    assert res["n_seeds"] == 4 and res["run_keys"] == ["linear@moderate", "linear@small", "linear@large"]
    with np.load(out / f"{NAME}.npz") as data:
        for key in res["run_keys"]:
            run = res["runs"][key]
            assert run["n_seeds"] == 4 and len(set(run["run_seeds"])) == 4
            for name in ("probe_h_final", "probe_z_final", "final_infonce"):
                st = run["stats"][name]
                v = np.asarray(st["all"])
                assert v.shape == (4,) and run[name] == st["mean"]
                assert st["mean"] == pytest.approx(v.mean(), abs=1e-15) and st["sd"] == pytest.approx(v.std(ddof=1), abs=1e-15)
            gap = res["probe_gap"][key]
            d = np.asarray(run["stats"]["probe_h_final"]["all"]) - np.asarray(run["stats"]["probe_z_final"]["all"])
            np.testing.assert_allclose(gap["all"], d, atol=1e-15)
            assert gap["n_h_better_by_0.01"] == int(np.sum(d > 0.01))
            allv = data[f"syn[{key}]_metric_infonce_all"]
            assert allv.shape == (4, 3)  # seeds x (epoch 0 + 2 epochs)
            np.testing.assert_allclose(data[f"syn[{key}]_metric_infonce"], allv.mean(axis=0), rtol=0, atol=1e-12)
            np.testing.assert_allclose(data[f"syn[{key}]_metric_infonce_sd"], allv.std(axis=0, ddof=1), rtol=0, atol=1e-12)
            # the replicates are independent draws (data, map, initialisations), not copies
            assert not np.array_equal(allv[0], allv[1]) and not np.array_equal(allv[1], allv[2])
            # Prop. 3.1 holds for every seed and epoch, not only on average
            lo, hi = data[f"syn[{key}]_metric_lower_all"], data[f"syn[{key}]_metric_upper_all"]
            assert np.all(lo <= allv + 1e-9) and np.all(allv <= hi + 1e-9)


def test_every_head_trains(tmp_path):
    out = tmp_path / "heads"
    heads = "none,mlp,mlp+sparse,linear+sparse,transformer"
    assert main(["--quick", "--parts", "synthetic", "--heads", heads, "--epochs", "1", "--no-plot", "--out", str(out)]) == 0
    runs = json.loads((out / f"{NAME}.json").read_text())["results"]["synthetic"]["runs"]
    assert set(runs) == {f"{h}@moderate" for h in heads.split(",")}
    assert runs["mlp+sparse@moderate"]["columns_total"] == 64  # the penalised layer is the MLP's last layer


def test_downstream_metrics_of_song_tables_1_and_2_are_recorded(quick_run, session_result):
    """k-NN accuracy on h for every run; fine-tuning on 1% / 10% of the labels for the digits runs only, each an
    accuracy with one value per replicate, and the 10% run at least as good as chance on 10 classes."""
    meta = json.loads((session_result(NAME) / f"{NAME}.json").read_text())
    res = meta["results"]
    for part in ("synthetic", "digits"):
        for key, run in res[part]["runs"].items():
            st = run["stats"]
            assert 0.0 <= run["knn_h_final"] <= 1.0 and len(st["knn_h_final"]["all"]) == run["n_seeds"]
            has = {"finetune_1pct", "finetune_10pct"} <= set(st)
            assert has == (part == "digits"), (part, key)
            if has:
                assert all(0.0 <= v <= 1.0 for v in st["finetune_10pct"]["all"] + st["finetune_1pct"]["all"])
                assert st["finetune_10pct"]["mean"] > 0.2  # chance is 0.1
