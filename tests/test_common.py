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


def test_cached_run_computes_once_and_plots_from_saved_files(tmp_path, capsys):
    from sims._common import cached_run

    calls = []

    def compute():
        calls.append(1)
        return {"v": 1.0}, {"a": np.arange(3)}

    def plot(out):
        meta, arrays = load_results(out, "s")
        path = out / "fig.png"
        path.write_bytes(bytes(arrays["a"].tolist()))
        (out / "fig.pdf").write_bytes(b"%PDF")
        return [path]

    cfg = {"seed": 4, "n": 3}
    assert cached_run(tmp_path, "s", cfg, compute, plot=plot, figure_stems=["fig"]) == 0
    assert cached_run(tmp_path, "s", cfg, compute, plot=plot, figure_stems=["fig"]) == 0
    assert len(calls) == 1
    (tmp_path / "fig.png").unlink()  # a missing figure is redrawn without recomputing
    cached_run(tmp_path, "s", cfg, compute, plot=plot, figure_stems=["fig"])
    assert len(calls) == 1 and (tmp_path / "fig.png").exists()
    cached_run(tmp_path, "s", cfg, compute, plot=plot, figure_stems=["fig"], force=True)
    assert len(calls) == 2
    assert json.loads((tmp_path / "s.json").read_text())["seed"] == 4


def test_check_out_dir_rejects_a_file(tmp_path):
    from sims._common import check_n_jobs, check_out_dir

    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(CLIError, match="not a directory"):
        check_out_dir(f)
    with pytest.raises(CLIError, match="--n-jobs must be a non-zero"):
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
