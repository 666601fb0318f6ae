import json

import numpy as np
import pytest

from sims._common import (
    ArgumentParser,
    CLIError,
    atomic_write_text,
    cli_entry,
    config_hash,
    load_cached,
    load_results,
    save_results,
)


def test_save_and_load_roundtrip(tmp_path):
    cfg = {"a": 1, "grid": [1.0, 2.0]}
    save_results(tmp_path, "x", cfg, seed=3, scalars={"v": np.float64(1.5)}, arrays={"m": np.eye(2)})
    meta, arrays = load_results(tmp_path, "x")
    assert meta["seed"] == 3 and meta["config"] == cfg and meta["results"]["v"] == 1.5
    assert "numpy" in meta["versions"] and np.array_equal(arrays["m"], np.eye(2))
    assert load_cached(tmp_path, "x", cfg) is not None
    assert load_cached(tmp_path, "x", {"a": 2, "grid": [1.0, 2.0]}) is None
    assert config_hash(cfg) != config_hash({"a": 2})


def test_corrupt_and_partial_results_are_reported(tmp_path):
    save_results(tmp_path, "x", {}, seed=0, arrays={"m": np.eye(2)})
    (tmp_path / "x.npz").write_bytes(b"garbage")
    with pytest.raises(CLIError, match="corrupt results file .*x.npz"):
        load_results(tmp_path, "x")
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(CLIError, match="corrupt results file .*x.json"):
        load_results(tmp_path, "x")
    with pytest.raises(CLIError, match="missing results file"):
        load_results(tmp_path, "nothing")


def test_atomic_write_leaves_no_temporaries(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "hi")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_cli_entry_exits_2_with_one_line(capsys):
    def main(argv):
        raise ValueError("tau must be in (0, inf), got -1.0")

    assert cli_entry(main, "prog")([]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "prog: error: tau must be in (0, inf), got -1.0"


def test_parser_error_is_one_line(capsys):
    p = ArgumentParser(prog="prog")
    p.add_argument("--n", type=int)
    with pytest.raises(SystemExit) as exc:
        p.parse_args(["--n", "x"])
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_simulation_computes_once_and_plots_from_saved_files(tmp_path, capsys):
    """The skeleton: compute once, serve the cache, redraw a missing figure, recompute on --force."""
    from sims._common import Simulation, Unit, add_run_arguments

    calls, plots = [], []

    def unit(i):
        calls.append(i)
        return np.arange(3) + i

    def plot(rdir, out):
        meta, arrays = load_results(rdir, "s")
        plots.append(rdir)
        paths = [out / "fig.png", out / "fig.pdf"]
        for p in paths:
            p.write_bytes(bytes(arrays["a"].ravel().tolist()))
        return paths

    def parser():
        ap = ArgumentParser(prog="s")
        add_run_arguments(ap, "s", n_jobs_default=1)
        return ap

    import types

    mod = types.ModuleType("_plot_s")
    mod.plot = plot
    import sys

    sys.modules["_plot_s"] = mod
    try:
        sim = Simulation(name="s", build_parser=parser, make_config=lambda a: {"seed": a.seed, "n": 2},
                         units=lambda c: [Unit(unit, (i,)) for i in range(c["n"])],
                         combine=lambda c, r: ({"v": 1.0}, {"a": np.stack(r)}), plot="_plot_s", figure_stems=["fig"])
        argv = ["--out", str(tmp_path), "--seed", "4"]
        assert sim.main(argv) == 0 and sim.main(argv) == 0
        assert calls == [0, 1] and len(plots) == 1
        (tmp_path / "fig.png").unlink()  # a missing figure is redrawn without recomputing
        sim.main(argv)
        assert calls == [0, 1] and len(plots) == 2 and (tmp_path / "fig.png").exists()
        sim.main([*argv, "--force"])
        assert calls == [0, 1, 0, 1]
    finally:
        del sys.modules["_plot_s"]
    assert json.loads((tmp_path / "s.json").read_text())["seed"] == 4
    assert np.array_equal(load_results(tmp_path, "s")[1]["a"], [[0, 1, 2], [1, 2, 3]])


def test_check_out_dir_rejects_a_file(tmp_path):
    from sims._common import check_n_jobs, check_out_dir

    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(CLIError, match="not a directory"):
        check_out_dir(f)
    with pytest.raises(CLIError, match=r"--n-jobs must be -1 \(all cores\) or an integer in \[1, 4096\]"):
        check_n_jobs(0)


def test_apply_quick_keeps_explicit_flags():
    from sims._common import apply_quick

    p = ArgumentParser(prog="prog")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--tau", type=float, nargs="+", default=[0.05, 0.5, 50.0])
    p.add_argument("--quick", action="store_true")
    a = apply_quick(p.parse_args(["--quick"]), p, steps=60, tau=lambda t: t[:1] + t[-1:])
    assert a.steps == 60 and a.tau == [0.05, 50.0]
    b = apply_quick(p.parse_args(["--quick", "--steps", "30"]), p, steps=60)
    assert b.steps == 30
    c = apply_quick(p.parse_args([]), p, steps=60)
    assert c.steps == 600


def test_progress_off_a_terminal_writes_lines_that_end_at_the_total(capsys, monkeypatch):
    """Under pytest stderr is not a terminal: one line at the start, one at the end with n/total, no bar."""
    from sims._common import LogProgress, progress

    with progress(total=3, desc="sweep", unit="unit") as bar:
        assert isinstance(bar, LogProgress)
        for _ in range(3):
            bar.update(1)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "sweep: started"
    assert err[-1].startswith("sweep: 3/3 units done in ") and len(err) == 2, err
    assert list(progress(range(4), desc="it")) == [0, 1, 2, 3]
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("it: 4/4 its done in "), err
    with progress(total=2, desc="quiet", disable=True) as bar:
        bar.update(2)
    assert capsys.readouterr().err == ""


def test_log_progress_reports_every_interval_and_resumes(capsys, monkeypatch):
    import sims._common as common

    clock = iter([0.0, 20.0, 21.0, 50.0, 60.0, 60.0])  # __init__, four updates, close
    monkeypatch.setattr(common.time, "perf_counter", lambda: next(clock))
    bar = common.LogProgress(total=10, desc="d", unit="epoch", initial=4, interval=15.0)
    bar.update(1)  # t = 20: a line
    bar.update(1)  # t = 21: too soon
    bar.update(1)  # t = 50: a line
    bar.set_postfix(loss="0.5")
    bar.update(3)  # the total: done
    bar.close()  # only once
    err = capsys.readouterr().err.splitlines()
    assert err == ["d: resumed at 4/10 epochs", "d: 5/10 epochs, 20 s", "d: 7/10 epochs, 50 s",
                   "d: 10/10 epochs done in 60.0 s [loss=0.5]"], err
