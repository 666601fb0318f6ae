"""The result store: checksummed results, one folder per config, resumable units.

Layout of a simulation's output folder ``<out>`` (``--out``)::

    <out>/<name>.json, <name>.npz        the latest result (a verified copy), and its figures
    <out>/runs/<config_hash>/<name>.json the result of that config (all configs coexist)
    <out>/runs/<config_hash>/<name>.npz
    <out>/runs/<config_hash>/units/      one file per finished unit of work (resume)

Every result JSON carries

* ``config`` and ``config_hash`` (the hash of ``config``, the folder name);
* ``checksum.arrays``: SHA-256 of every NPZ array (name, dtype, shape, bytes);
* ``checksum.meta``: SHA-256 of the JSON itself without the ``checksum`` entry;
* ``provenance``: the package version, :func:`code_fingerprint` of the
  ``theory/`` and ``sims/`` source that produced it, and the git commit when
  run from a checkout.

:func:`verify_result` checks all of it; a result that fails is never served
(the simulations recompute it, ``python -m figures`` reruns it), and a result
made by other code is recomputed with a line saying so.  Unit files carry
their own SHA-256, the config hash, the unit's index and the code
fingerprint, so a truncated, edited or foreign unit is recomputed, not
trusted.  Everything is written with :func:`sims._common.atomic_write_bytes`
(temporary name + rename), so concurrent runs of one config into one folder
cannot corrupt each other.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "RUNS",
    "code_fingerprint",
    "git_commit",
    "provenance",
    "arrays_checksum",
    "meta_checksum",
    "verify_result",
    "run_dir",
    "lookup",
    "UnitStore",
    "pack",
    "unpack",
]

#: Sub-folder of ``--out`` holding one folder per config hash.
RUNS = "runs"
_ROOT = Path(__file__).resolve().parent.parent
_UNIT_MAGIC = b"PHT-UNIT-1"


@functools.lru_cache(maxsize=None)
def code_fingerprint() -> str:
    """SHA-256 (16 hex digits) of every ``.py`` file of ``theory/`` and ``sims/``, with its path.

    Part of every result's provenance; a cached result made by code with
    another fingerprint is recomputed.
    """
    h = hashlib.sha256()
    for pkg in ("theory", "sims"):
        for f in sorted((_ROOT / pkg).rglob("*.py")):
            h.update(f.relative_to(_ROOT).as_posix().encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def git_commit() -> str | None:
    """The checkout's ``HEAD`` commit (``+dirty`` with local changes), or ``None`` outside a checkout."""
    if not (_ROOT / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(_ROOT), "status", "--porcelain", "--", "theory", "sims"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def provenance() -> dict[str, Any]:
    """Package version, source fingerprint and git commit of the code running now."""
    import importlib.metadata as md

    try:
        version = md.version("projection-head-theory")
    except md.PackageNotFoundError:
        version = "not installed"
    return {"package_version": version, "code_fingerprint": code_fingerprint(), "git_commit": git_commit()}


# ------------------------------------------------------------------ checksums


def arrays_checksum(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the arrays in name order: name, dtype, shape and the C-order bytes of each."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def meta_checksum(meta: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``meta`` without its ``checksum`` entry."""
    from sims._common import to_jsonable

    body = {k: v for k, v in meta.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(to_jsonable(body), sort_keys=True).encode()).hexdigest()


def verify_result(meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], json_path: Path,
                  npz_path: Path) -> str | None:
    """``None`` if the result is intact, else one line naming the file and what is wrong."""
    from sims._common import config_hash

    for key in ("config", "config_hash", "seed", "arrays", "checksum"):
        if key not in meta:
            return f"corrupt results file {json_path}: no '{key}' entry"
    missing = set(meta["arrays"]) - set(arrays)
    if missing:
        return f"partial results file {npz_path}: missing arrays {sorted(missing)}"
    if not isinstance(meta["config"], dict) or meta["config_hash"] != config_hash(meta["config"]):
        return f"corrupt results file {json_path}: its config does not match its config_hash (edited by hand?)"
    checksum = meta["checksum"]
    if not isinstance(checksum, dict) or checksum.get("meta") != meta_checksum(meta):
        return f"corrupt results file {json_path}: checksum mismatch (edited or damaged)"
    if checksum.get("arrays") != arrays_checksum(arrays):
        return f"corrupt results file {npz_path}: its arrays do not match the checksum in {json_path.name}"
    return None


def run_dir(out: str | os.PathLike, config: Mapping[str, Any]) -> Path:
    """The folder of ``config``'s result under ``out``: ``<out>/runs/<config_hash>``."""
    from sims._common import config_hash

    return Path(out) / RUNS / config_hash(config)


def lookup(folder: str | os.PathLike, name: str, config: Mapping[str, Any] | None = None, *,
           check_code: bool = True) -> tuple[tuple[dict, dict] | None, str | None]:
    """The verified result ``<folder>/<name>.{json,npz}`` or why it cannot be served.

    Returns ``((meta, arrays), None)`` for an intact result of ``config``
    (any config when ``None``) made by the code running now (unless
    ``check_code`` is false), else ``(None, reason)``: ``reason`` starts with
    ``"missing"`` when there is no result, otherwise it is a one-line account
    (``corrupt ...``, ``partial ...``, ``stale ...``).
    """
    from sims._common import CLIError, config_hash, load_results

    folder = Path(folder)
    js = folder / f"{name}.json"
    if not js.exists():
        return None, f"missing results file {js}"
    try:
        meta, arrays = load_results(folder, name)
    except CLIError as exc:
        return None, str(exc)
    if config is not None and meta["config_hash"] != config_hash(config):
        return None, f"stale results file {js}: made with another config"
    if check_code:
        have = (meta.get("provenance") or {}).get("code_fingerprint")
        if have != code_fingerprint():
            return None, (f"stale results file {js}: made by other code (source fingerprint {have}, "
                          f"now {code_fingerprint()})")
    return (meta, arrays), None


# ------------------------------------------------------------------ units


def pack(obj: Any) -> dict[str, np.ndarray]:
    """Encode a tree of dicts (str keys), lists, tuples, arrays and scalars as NPZ-ready arrays.

    Python scalars, strings and ``None`` are kept in the JSON tree (floats
    round-trip exactly, ``nan``/``inf`` included); numpy arrays and scalars
    are stored as arrays, so dtypes survive.
    """
    arrays: dict[str, np.ndarray] = {}

    def enc(x: Any) -> Any:
        if isinstance(x, np.ndarray | np.generic):
            key = f"a{len(arrays)}"
            a = np.asarray(x)
            if a.dtype.hasobject:
                raise TypeError("object arrays cannot be stored in a unit file")
            arrays[key] = a
            return {"$array": key, "scalar": isinstance(x, np.generic)}
        if isinstance(x, Mapping):
            if not all(isinstance(k, str) for k in x):
                raise TypeError("dict keys of a unit result must be strings")
            return {"$dict": {k: enc(v) for k, v in x.items()}}
        if isinstance(x, tuple):
            return {"$tuple": [enc(v) for v in x]}
        if isinstance(x, list):
            return [enc(v) for v in x]
        if x is None or isinstance(x, bool | int | float | str):
            return x
        raise TypeError(f"cannot store a {type(x).__name__} in a unit file")

    tree = enc(obj)
    arrays["__tree__"] = np.frombuffer(json.dumps(tree).encode(), dtype=np.uint8)
    return arrays


def unpack(arrays: Mapping[str, np.ndarray]) -> Any:
    """Inverse of :func:`pack`."""
    tree = json.loads(bytes(arrays["__tree__"]).decode())

    def dec(x: Any) -> Any:
        if isinstance(x, list):
            return [dec(v) for v in x]
        if isinstance(x, dict):
            if "$array" in x:
                a = arrays[x["$array"]]
                return a[()] if x["scalar"] else a
            if "$dict" in x:
                return {k: dec(v) for k, v in x["$dict"].items()}
            if "$tuple" in x:
                return tuple(dec(v) for v in x["$tuple"])
        return x

    return dec(tree)


class UnitStore:
    """Finished units of one config, one checksummed file each, under ``<run_dir>/units``.

    Parameters
    ----------
    folder : path
        The config's run folder (:func:`run_dir`).
    config_hash : str
        Written into, and checked in, every unit file.
    """

    def __init__(self, folder: str | os.PathLike, config_hash: str) -> None:
        self.folder = Path(folder) / "units"
        self.config_hash = config_hash

    def path(self, index: int) -> Path:
        return self.folder / f"unit-{index:06d}.npz"

    def _header(self, index: int) -> dict[str, Any]:
        return {"config_hash": self.config_hash, "index": int(index), "code_fingerprint": code_fingerprint()}

    def save(self, index: int, value: Any) -> Path:
        """Write unit ``index``'s result atomically: magic, SHA-256 of the payload, payload (an NPZ)."""
        from sims._common import atomic_write_bytes

        arrays = pack({"header": self._header(index), "value": value})
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        payload = buf.getvalue()
        digest = hashlib.sha256(payload).hexdigest().encode()
        return atomic_write_bytes(self.path(index), _UNIT_MAGIC + b" " + digest + b"\n" + payload, durable=False)

    def load(self, index: int) -> tuple[bool, Any, str | None]:
        """``(True, value, None)`` for an intact unit; ``(False, None, reason)`` otherwise.

        ``reason`` is ``None`` when the file does not exist and a one-line
        account when it exists but cannot be trusted (truncated, edited,
        another config's, or made by other code).
        """
        path = self.path(index)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return False, None, None
        except OSError as exc:
            return False, None, f"unreadable unit file {path}: {exc}"
        head, sep, payload = blob.partition(b"\n")
        parts = head.split(b" ")
        if not sep or len(parts) != 2 or parts[0] != _UNIT_MAGIC:
            return False, None, f"corrupt unit file {path}: bad header"
        if hashlib.sha256(payload).hexdigest().encode() != parts[1]:
            return False, None, f"corrupt unit file {path}: checksum mismatch (truncated or edited)"
        try:
            with np.load(io.BytesIO(payload), allow_pickle=False) as data:
                obj = unpack({k: data[k] for k in data.files})
        except Exception as exc:  # noqa: BLE001 - any decoding failure means "do not trust it"
            return False, None, f"corrupt unit file {path}: {exc}"
        if obj.get("header") != self._header(index):
            return False, None, f"stale unit file {path}: made for another config, index or code"
        return True, obj["value"], None
