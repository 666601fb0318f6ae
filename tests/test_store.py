"""The result store: checksums, verification, unit files, code fingerprint, file modes."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sims import _store
from sims._common import CLIError, atomic_write_bytes, config_hash, load_results, save_results
from sims._store import UnitStore, lookup, pack, unpack

from _budget import examples

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=True),
                    st.text(max_size=5))
arrays = st.builds(lambda v, dt: np.asarray(v, dtype=dt), st.lists(st.floats(-1e6, 1e6), max_size=4),
                   st.sampled_from(["float64", "float32", "int64"]))
trees = st.recursive(scalars | arrays, lambda kids: st.lists(kids, max_size=3) | st.tuples(kids, kids)
                     | st.dictionaries(st.text(max_size=4), kids, max_size=3), max_leaves=12)


def _same(a, b) -> bool:
    """Structural equality with dtype, nan-aware (an independent walk, not pack/unpack)."""
    if isinstance(a, np.ndarray | np.generic):
        return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b


@settings(max_examples=examples(60), deadline=None)
@given(trees)
@example({"x": np.float32(1.5), "t": (np.int64(3), [float("nan"), float("inf")]), "": None})
@example([])
def test_pack_unpack_roundtrip_keeps_structure_and_dtypes(tree):
    assert _same(tree, unpack(pack(tree)))


@pytest.mark.parametrize("bad, why", [
    (np.array([object()]), "object arrays"), ({1: 2}, "keys"), ({"f": set()}, "set"),
])
def test_pack_rejects_what_it_cannot_store(bad, why):
    with pytest.raises(TypeError, match=why):
        pack(bad)


def test_unit_store_roundtrip_and_every_damage_is_detected(tmp_path):
    store = UnitStore(tmp_path, "abc")
    value = {"a": np.arange(4.0), "b": (1, "x")}
    path = store.save(3, value)
    ok, got, why = store.load(3)
    assert ok and why is None and _same(value, got)
    assert store.load(4) == (False, None, None)  # absent: silent
    blob = path.read_bytes()
    damages = {
        "truncated": blob[: len(blob) // 2],
        "flipped": blob[:-5] + bytes([blob[-5] ^ 1]) + blob[-4:],
        "no header": blob.split(b"\n", 1)[1],
        "empty": b"",
    }
    for name, data in damages.items():
        path.write_bytes(data)
        ok, got, why = store.load(3)
        assert not ok and got is None and str(path) in why, name
    # an intact file of another config, or renamed to another index, is not trusted either
    UnitStore(tmp_path, "other").save(3, value)
    ok, _, why = store.load(3)
    assert not ok and "stale unit file" in why
    store.save(5, value)
    os.replace(store.path(5), store.path(3))
    ok, _, why = store.load(3)
    assert not ok and "stale unit file" in why


def _result(tmp_path, **arr):
    arrays = {"a": np.arange(5.0), "b": np.eye(2)} | arr
    save_results(tmp_path, "r", {"seed": 1, "n": 5, "f": 0.1}, 1, {"s": 2.5, "nan": float("nan")}, arrays)
    return tmp_path / "r.json", tmp_path / "r.npz"


def test_intact_result_verifies_and_tampering_is_refused(tmp_path):
    js, npz = _result(tmp_path)
    meta, arrays = load_results(tmp_path, "r")
    assert meta["config_hash"] == config_hash({"seed": 1, "n": 5, "f": 0.1})
    original = js.read_text()

    def edit(mutate):
        m = json.loads(original)
        mutate(m)
        js.write_text(json.dumps(m))

    cases = {
        "config edited, hash kept": lambda m: m["config"].update(n=6),
        "scalar result edited": lambda m: m["results"].update(s=2.6),
        "seed edited": lambda m: m.update(seed=2),
        "checksum removed": lambda m: m.pop("checksum"),
    }
    for name, mutate in cases.items():
        edit(mutate)
        with pytest.raises(CLIError, match="corrupt results file"):
            load_results(tmp_path, "r")
        assert lookup(tmp_path, "r")[0] is None, name
    js.write_text(original)
    js.write_text(original[: len(original) // 2])  # truncated JSON
    with pytest.raises(CLIError, match=f"corrupt results file {js}"):
        load_results(tmp_path, "r")
    js.write_text(original)
    # NPZ with one altered value (a valid file, written by numpy itself)
    with np.load(npz) as d:
        arrays = {k: d[k] for k in d.files}
    arrays["a"][2] += 1e-12
    np.savez(npz, **arrays)
    with pytest.raises(CLIError, match=f"corrupt results file {npz}.*do not match the checksum"):
        load_results(tmp_path, "r")


def test_lookup_says_why_it_does_not_serve(tmp_path, monkeypatch):
    _result(tmp_path)
    cfg = {"seed": 1, "n": 5, "f": 0.1}
    hit, why = lookup(tmp_path, "r", cfg)
    assert hit is not None and why is None
    assert lookup(tmp_path, "r", {**cfg, "n": 6}) == (None, f"stale results file {tmp_path / 'r.json'}: made with another config")
    assert lookup(tmp_path, "missing", cfg)[1].startswith("missing")
    monkeypatch.setattr(_store, "code_fingerprint", lambda: "0" * 16)
    hit, why = lookup(tmp_path, "r", cfg)
    assert hit is None and "made by other code" in why and "0" * 16 in why
    assert lookup(tmp_path, "r", cfg, check_code=False)[0] is not None


def test_code_fingerprint_follows_the_source(tmp_path, monkeypatch):
    root = Path(_store.__file__).resolve().parent.parent
    for pkg in ("theory", "sims"):
        shutil.copytree(root / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(_store, "_ROOT", tmp_path)
    _store.code_fingerprint.cache_clear()
    try:
        same = _store.code_fingerprint()
        (tmp_path / "theory" / "phase.py").write_text((tmp_path / "theory" / "phase.py").read_text() + "\n# fix\n")
        _store.code_fingerprint.cache_clear()
        edited = _store.code_fingerprint()
        (tmp_path / "figures").mkdir()
        (tmp_path / "figures" / "x.py").write_text("# plotting code does not change results\n")
        _store.code_fingerprint.cache_clear()
        assert edited == _store.code_fingerprint()
    finally:
        monkeypatch.undo()
        _store.code_fingerprint.cache_clear()
    assert same == _store.code_fingerprint() and edited != same


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_umask_permissions(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "f.bin", b"x")
        js, npz = _result(tmp_path / "res")
        units = UnitStore(tmp_path / "res", "h").save(0, 1.0)
    finally:
        os.umask(old)
    for f in (tmp_path / "f.bin", js, npz, units):
        assert f.stat().st_mode & 0o777 == mode, f
