"""The run skeleton: backends, resume after an interruption or a kill, the per-config cache, bad input.

Most tests drive the toy simulation of ``tests/_toy_sim.py`` (cheap units
whose results are known draws); the backend-equality tests run the real
simulations at their quick scale.
"""

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import _toy_sim
from sims import _store
from sims._common import config_hash, load_results
from sims._runner import Runner, Unit

TOY = str(Path(__file__).with_name("_toy_sim.py"))
ROOT = Path(__file__).resolve().parent.parent


def _arrays(folder, name):
    with np.load(Path(folder) / f"{name}.npz") as d:
        return {k: d[k] for k in d.files}


def _expected_toy(n, seed=0):
    """The toy's result computed by hand, without the skeleton."""
    return np.stack([np.random.default_rng(np.random.SeedSequence([seed, i])).standard_normal(3) for i in range(n)])


def _unit_files(out):
    return sorted(glob.glob(f"{out}/runs/*/units/*.npz"))


def _children(pid):
    out = set()
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            for c in open(f"/proc/{pid}/task/{t}/children").read().split():
                out |= {int(c)} | _children(int(c))
    except OSError:
        pass
    return out


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


# ------------------------------------------------------------------ runner


def test_runner_returns_results_in_unit_order_on_every_backend():
    units = [Unit(_toy_sim.unit, (3, i, 0.0)) for i in range(7)]
    want = _expected_toy(7, seed=3)
    for backend, n in [("loky", 1), ("loky", 2), ("threading", 2)]:
        with Runner(backend=backend, n_jobs=n) as r:
            got = r.map(units)
        assert np.array_equal(np.stack([g["x"] for g in got]), want), backend
        assert [g["i"] for g in got] == list(range(7))


def test_toy_results_identical_on_every_backend_and_worker_count(tmp_path):
    pytest.importorskip("distributed")
    ref = None
    for backend, n in [("loky", 1), ("loky", 2), ("threading", 2), ("dask", 2)]:
        out = tmp_path / f"{backend}{n}"
        assert _toy_sim.main(["--out", str(out), "--no-plot", "--backend", backend, "--n-jobs", str(n)]) == 0
        meta, arrays = load_results(out, "toy")
        assert np.array_equal(arrays["x"], _expected_toy(6))
        assert meta["run"]["backend"] == backend and meta["run"]["n_workers"] == n
        assert meta["run"]["units"] == 6 and meta["run"]["units_resumed"] == 0
        if ref is None:
            ref = (out / "toy.npz").read_bytes(), meta
        assert (out / "toy.npz").read_bytes() == ref[0]
        assert meta["results"] == ref[1]["results"] and meta["config"] == ref[1]["config"]


# ------------------------------------------------------------------ resume


def test_interrupted_run_resumes_and_ends_with_the_same_bytes(tmp_path, capsys):
    full, part = tmp_path / "full", tmp_path / "part"
    assert _toy_sim.main(["--out", str(full), "--no-plot", "--units", "8", "--no-progress"]) == 0
    rc = _toy_sim.main(["--out", str(part), "--no-plot", "--units", "8", "--fail-after-units", "3", "--n-jobs", "1",
                        "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 130 and "rerun the same command to resume" in err and len(err.strip().splitlines()) == 1
    assert len(_unit_files(part)) == 3 and not (part / "toy.json").exists()
    assert _toy_sim.main(["--out", str(part), "--no-plot", "--units", "8"]) == 0
    assert "resumed 3 of 8 units" in capsys.readouterr().out
    assert (part / "toy.npz").read_bytes() == (full / "toy.npz").read_bytes()
    assert load_results(part, "toy")[0]["run"]["units_resumed"] == 3


def test_a_damaged_unit_is_reported_and_recomputed(tmp_path, capsys):
    out = tmp_path / "o"
    _toy_sim.main(["--out", str(out), "--no-plot", "--units", "5", "--fail-after-units", "4", "--n-jobs", "1"])
    files = _unit_files(out)
    Path(files[1]).write_bytes(Path(files[1]).read_bytes()[:-7])  # truncated
    capsys.readouterr()
    assert _toy_sim.main(["--out", str(out), "--no-plot", "--units", "5"]) == 0
    cap = capsys.readouterr()
    assert f"recomputing unit 1: corrupt unit file {files[1]}" in cap.err
    assert "resumed 3 of 5 units" in cap.out
    assert np.array_equal(load_results(out, "toy")[1]["x"], _expected_toy(5))


def test_force_recomputes_every_unit(tmp_path, capsys):
    out = tmp_path / "o"
    _toy_sim.main(["--out", str(out), "--no-plot", "--units", "4"])
    assert _toy_sim.main(["--out", str(out), "--no-plot", "--units", "4", "--force"]) == 0
    assert "resumed" not in capsys.readouterr().out
    assert load_results(out, "toy")[0]["run"]["units_resumed"] == 0


@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_kill_9_leaves_no_worker_behind_and_the_rerun_resumes(tmp_path, backend):
    if backend == "dask":
        pytest.importorskip("distributed")
    out = tmp_path / "o"
    args = [sys.executable, TOY, "--out", str(out), "--no-plot", "--units", "12", "--sleep", "0.3",
            "--n-jobs", "2", "--backend", backend]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(_unit_files(out)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert proc.poll() is None and workers, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "workers outlived their killed parent"
    done = len(_unit_files(out))
    assert 3 <= done < 12
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"resumed {done} of 12 units" in r.stdout
    assert np.array_equal(load_results(out, "toy")[1]["x"], _expected_toy(12))


def test_two_runs_of_one_config_at_once_do_not_corrupt_each_other(tmp_path):
    out = tmp_path / "o"
    args = [sys.executable, TOY, "--out", str(out), "--no-plot", "--units", "10", "--sleep", "0.05", "--n-jobs", "1"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    meta, arrays = load_results(out, "toy")
    assert np.array_equal(arrays["x"], _expected_toy(10))
    assert not glob.glob(f"{out}/**/*.tmp", recursive=True)


# ------------------------------------------------------------------ cache


def test_results_of_different_configs_coexist_and_the_latest_is_published(tmp_path, capsys):
    out = tmp_path / "o"
    _toy_sim.main(["--out", str(out), "--units", "4"])
    fig4 = (out / "toy_fig.png").read_text()
    _toy_sim.main(["--out", str(out), "--units", "5"])
    assert len(list((out / "runs").iterdir())) == 2
    assert load_results(out, "toy")[0]["config"]["units"] == 5
    capsys.readouterr()
    assert _toy_sim.main(["--out", str(out), "--units", "4"]) == 0
    assert "cached result" in capsys.readouterr().out
    meta, arrays = load_results(out, "toy")
    assert meta["config"]["units"] == 4 and arrays["x"].shape == (4, 3)
    assert (out / "toy_fig.png").read_text() == fig4 == meta["checksum"]["arrays"]  # figure redrawn from it


@pytest.mark.parametrize("damage", ["json_config", "npz_array", "truncated_json"])
def test_a_tampered_result_is_reported_and_recomputed(tmp_path, capsys, damage):
    out = tmp_path / "o"
    _toy_sim.main(["--out", str(out), "--no-plot", "--units", "4"])
    rdir = out / "runs" / config_hash({"units": 4, "sleep": 0.0, "seed": 0})
    js, npz = rdir / "toy.json", rdir / "toy.npz"
    if damage == "json_config":
        m = json.loads(js.read_text())
        m["config"]["units"] = 3
        js.write_text(json.dumps(m))
    elif damage == "npz_array":
        a = _arrays(rdir, "toy")
        a["x"][0, 0] = 0.0
        np.savez(npz, **a)
    else:
        js.write_text(js.read_text()[:40])
    capsys.readouterr()
    assert _toy_sim.main(["--out", str(out), "--no-plot", "--units", "4"]) == 0
    cap = capsys.readouterr()
    lines = [ln for ln in cap.err.splitlines() if ln.startswith("recomputing:")]
    assert len(lines) == 1 and "corrupt results file" in lines[0]
    assert str(js if damage != "npz_array" else npz) in lines[0]
    assert "resumed 4 of 4 units" in cap.out  # the units were intact
    assert np.array_equal(load_results(rdir, "toy")[1]["x"], _expected_toy(4))


def test_a_result_of_other_code_is_recomputed_with_the_reason(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    _toy_sim.main(["--out", str(out), "--no-plot", "--units", "3"])
    monkeypatch.setattr(_store, "code_fingerprint", lambda: "f" * 16)
    capsys.readouterr()
    assert _toy_sim.main(["--out", str(out), "--no-plot", "--units", "3"]) == 0
    cap = capsys.readouterr()
    assert "recomputing: stale results file" in cap.err and "made by other code" in cap.err
    assert "resumed" not in cap.out  # the units were made by the other code too
    assert load_results(out, "toy")[0]["provenance"]["code_fingerprint"] == "f" * 16


# ------------------------------------------------------------------ bad input


def _one_line_exit_2(capsys, argv, *needles):
    rc = _toy_sim.main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, err
    return err


def test_bad_backend_arguments_are_one_line_exit_2(tmp_path, capsys, monkeypatch):
    out = str(tmp_path / "o")
    _one_line_exit_2(capsys, ["--out", out, "--backend", "ray"], "--backend must be one of loky, threading, dask")
    _one_line_exit_2(capsys, ["--out", out, "--dask-scheduler", "tcp://x:1"], "--dask-scheduler needs --backend dask")
    _one_line_exit_2(capsys, ["--out", out, "--n-jobs", "0"], "--n-jobs")
    monkeypatch.setitem(sys.modules, "distributed", None)  # the extra is not installed
    _one_line_exit_2(capsys, ["--out", out, "--backend", "dask"], "pip install -e '.[distributed]'")
    assert not Path(out).exists()


def test_an_unreachable_scheduler_times_out_in_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    t0 = time.perf_counter()
    _one_line_exit_2(capsys, ["--out", str(tmp_path / "o"), "--backend", "dask", "--dask-scheduler",
                              "tcp://127.0.0.1:9", "--dask-timeout", "2"], "cannot reach the Dask scheduler")
    assert time.perf_counter() - t0 < 30
    assert not _unit_files(tmp_path / "o")


@pytest.mark.parametrize("where", ["under_a_file", "proc"])
def test_an_unusable_out_folder_fails_before_any_work(tmp_path, capsys, where):
    if where == "under_a_file":
        (tmp_path / "f").write_text("x")
        out = tmp_path / "f" / "sub"
    else:
        out = Path("/proc/self/no-such-folder")
    t0 = time.perf_counter()
    _one_line_exit_2(capsys, ["--out", str(out), "--units", "3", "--sleep", "5"], f"--out {out} cannot be created")
    assert time.perf_counter() - t0 < 5  # not after the 15 s of work


def test_help_lists_the_backend_flags():
    r = subprocess.run([sys.executable, TOY, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for flag in ("--backend", "--dask-scheduler", "--dask-timeout", "--n-jobs", "--force", "--no-progress"):
        assert flag in r.stdout
    assert "--fail-after-units" not in r.stdout  # a test hook, not a user flag


# ------------------------------------------------------------------ real simulations


def _strip_times(obj):
    """JSON results without wall-clock entries (keys naming a time)."""
    if isinstance(obj, dict):
        return {k: _strip_times(v) for k, v in obj.items() if "time" not in k}
    if isinstance(obj, list):
        return [_strip_times(v) for v in obj]
    return obj


@pytest.mark.parametrize("name, args", [
    ("phase_diagram", ["--quick"]),
    ("maxmargin", ["--quick"]),
    ("deep_fusion_toy", ["--quick", "--epochs", "1", "--seeds", "1", "--heads", "linear,transformer"]),
])
def test_simulations_give_identical_results_on_every_backend(tmp_path, name, args):
    """Same config: the same NPZ arrays bit for bit (wall-clock arrays aside) and the same JSON results."""
    pytest.importorskip("distributed")
    import importlib

    mod = importlib.import_module(f"sims.{name}")
    runs = {}
    for backend, n in [("loky", 1), ("loky", 2), ("dask", 2)]:
        out = tmp_path / f"{backend}{n}"
        assert mod.main([*args, "--out", str(out), "--no-plot", "--no-progress", "--backend", backend,
                         "--n-jobs", str(n)]) == 0
        runs[backend, n] = load_results(out, name)
    (m0, a0), rest = runs["loky", 1], list(runs.values())[1:]
    assert m0["run"]["units"] >= 2
    for meta, arrays in rest:
        assert arrays.keys() == a0.keys()
        differ = [k for k in a0 if "time" not in k and not np.array_equal(a0[k], arrays[k], equal_nan=True)]
        assert not differ, (meta["run"], differ)
        assert _strip_times(meta["results"]) == _strip_times(m0["results"])
