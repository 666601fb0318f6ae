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
