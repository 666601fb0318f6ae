"""Shared plumbing for the command-line simulations.

Conventions every ``sims.<name>`` module follows:

* ``build_parser()`` returns an :class:`ArgumentParser` (``--help`` on every
  CLI; a bad flag prints ``prog: error: ...`` on one line and exits 2).
* ``main(argv=None) -> int`` is wrapped by :func:`cli_entry`, so a
  ``ValueError`` / :class:`CLIError` raised by validation becomes one readable
  line on stderr and exit code 2, with no traceback and nothing partial
  written (all result files go through the ``atomic_*`` writers).
* Results are written with :func:`save_results`: ``<out>/<name>.json``
  (config, seed, versions, scalar results) and ``<out>/<name>.npz`` (arrays).
  :func:`load_cached` returns them when a rerun asks for the same config.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CLIError",
    "ArgumentParser",
    "cli_entry",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_savez",
    "versions",
    "config_hash",
    "save_results",
    "load_cached",
    "load_results",
    "resolve_device",
    "progress",
    "to_jsonable",
    "add_run_arguments",
    "check_n_jobs",
    "check_out_dir",
    "cached_run",
    "apply_quick",
]


class CLIError(Exception):
    """A user error: reported as one line on stderr with exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    """``argparse`` parser whose errors are one line and exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(2)


def cli_entry(main: Callable[[list[str] | None], int | None], prog: str) -> Callable[[list[str] | None], int]:
    """Wrap ``main`` so user errors exit 2 with one line and no traceback."""

    def wrapped(argv: list[str] | None = None) -> int:
        try:
            rc = main(argv)
        except (CLIError, ValueError) as exc:
            msg = " ".join(str(exc).split())
            sys.stderr.write(f"{prog}: error: {msg}\n")
            return 2
        except KeyboardInterrupt:
            sys.stderr.write(f"{prog}: interrupted; no partial result was written\n")
            return 130
        return 0 if rc is None else int(rc)

    return wrapped


# --------------------------------------------------------------------------- I/O


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write text (UTF-8) atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, paths and tuples into JSON-ready objects."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if np.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically."""
    return atomic_write_text(path, json.dumps(to_jsonable(obj), indent=2, sort_keys=True) + "\n")


def atomic_savez(path: str | os.PathLike, **arrays: Any) -> Path:
    """``numpy.savez_compressed`` written atomically."""
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue())


# ---------------------------------------------------------------- provenance


def versions() -> dict[str, str]:
    """Versions of Python, the platform and every scientific dependency."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    import importlib.metadata as md

    for dist in ("projection-head-theory", "numpy", "scipy", "torch", "cvxpy", "matplotlib", "joblib", "scikit-learn"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def config_hash(config: Mapping[str, Any]) -> str:
    """A short, stable hash of a JSON-able config (the cache key)."""
    blob = json.dumps(to_jsonable(config), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def save_results(
    out_dir: str | os.PathLike,
    name: str,
    config: Mapping[str, Any],
    seed: int | None,
    scalars: Mapping[str, Any] | None = None,
    arrays: Mapping[str, np.ndarray] | None = None,
    *,
    elapsed_s: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write ``<out>/<name>.npz`` then ``<out>/<name>.json`` atomically.

    The JSON holds the config, its hash, the seed, package versions, a
    timestamp, the wall time, the scalar results and the list of arrays in
    the NPZ; it is written last, so its presence marks a complete result.
    """
    out_dir = Path(out_dir)
    arrays = dict(arrays or {})
    npz = atomic_savez(out_dir / f"{name}.npz", **arrays)
    meta = {
        "name": name,
        "config": dict(config),
        "config_hash": config_hash(config),
        "seed": seed,
        "versions": versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": elapsed_s,
        "results": dict(scalars or {}),
        "arrays": sorted(arrays),
    }
    if extra:
        meta.update(extra)
    js = atomic_write_json(out_dir / f"{name}.json", meta)
    return js, npz


def load_results(out_dir: str | os.PathLike, name: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a result written by :func:`save_results`.

    Raises
    ------
    CLIError
        If the files are missing, unreadable or inconsistent (message names
        the file).
    """
    out_dir = Path(out_dir)
    js, npz = out_dir / f"{name}.json", out_dir / f"{name}.npz"
    try:
        meta = json.loads(js.read_text())
    except FileNotFoundError as exc:
        raise CLIError(f"missing results file {js}") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise CLIError(f"corrupt results file {js}: {exc}") from exc
    for key in ("config", "seed", "arrays"):
        if key not in meta:
            raise CLIError(f"corrupt results file {js}: no '{key}' entry")
    try:
        with np.load(npz) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError as exc:
        raise CLIError(f"missing results file {npz}") from exc
    except Exception as exc:  # zipfile / pickle errors on a truncated file
        raise CLIError(f"corrupt results file {npz}: {exc}") from exc
    missing = set(meta["arrays"]) - set(arrays)
    if missing:
        raise CLIError(f"partial results file {npz}: missing arrays {sorted(missing)}")
    return meta, arrays


def load_cached(out_dir: str | os.PathLike, name: str, config: Mapping[str, Any]):
    """Return ``(meta, arrays)`` if a complete result for ``config`` exists, else ``None``."""
    try:
        meta, arrays = load_results(out_dir, name)
    except CLIError:
        return None
    if meta.get("config_hash") != config_hash(config):
        return None
    return meta, arrays


# --------------------------------------------------------------- runtime


def resolve_device(name: str = "auto"):
    """``"auto"`` -> cuda when available else cpu; ``"cuda"`` without a GPU is a CLIError."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise CLIError("--device cuda was requested but no CUDA GPU is available")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise CLIError(f"--device must be auto, cpu or cuda[:k], got {name!r}")


def progress(iterable: Iterable | None = None, *, disable: bool | None = None, **kwargs: Any):
    """A tqdm progress bar on stderr (disabled with ``disable=True``)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, disable=disable, file=sys.stderr, dynamic_ncols=True, **kwargs)


# ------------------------------------------------------------ CLI skeleton


def add_run_arguments(
    ap: argparse.ArgumentParser,
    name: str,
    *,
    n_jobs: bool = True,
    device: bool = False,
    seed_help: str = "seed (every random draw derives from it)",
) -> argparse._ArgumentGroup:
    """Add the flags every simulation shares to a ``run`` argument group.

    ``--seed``, ``--out`` (default ``results/<name>``), ``--quick``,
    ``--force``, ``--no-plot``, ``--no-progress``, and optionally
    ``--n-jobs`` (joblib workers) and ``--device`` (auto | cpu | cuda[:k]).
    """
    r = ap.add_argument_group("run")
    r.add_argument("--seed", type=int, default=0, help=seed_help)
    if n_jobs:
        r.add_argument("--n-jobs", type=int, default=2, help="joblib workers (-1: all cores)")
    if device:
        r.add_argument("--device", default="auto", help="auto | cpu | cuda[:k]")
    r.add_argument("--out", type=Path, default=Path("results") / name, help="output folder")
    r.add_argument("--quick", action="store_true", help="small sizes for a smoke test")
    r.add_argument("--force", action="store_true", help="recompute even if a cached result exists")
    r.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return r


def check_n_jobs(value: Any, name: str = "--n-jobs") -> int:
    """Validate a joblib worker count: a non-zero integer (-1 means all cores)."""
    from theory._validation import check_int

    n = check_int(value, name, low=-64, high=4096)
    if n == 0:
        raise CLIError(f"{name} must be a non-zero integer (-1 for all cores), got 0")
    return n


def check_out_dir(out: str | os.PathLike) -> Path:
    """``--out`` must be a folder (created later, only when results are written)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} exists and is not a directory")
    return out


def cached_run(
    out: str | os.PathLike,
    name: str,
    config: Mapping[str, Any],
    compute: Callable[[], tuple[Mapping[str, Any], Mapping[str, np.ndarray]]],
    *,
    plot: str | Callable[[Path], Iterable[Path]] | None = None,
    figure_stems: Iterable[str] = (),
    force: bool = False,
    describe: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """The compute -> save -> plot skeleton shared by every simulation.

    If a complete result for ``config`` already exists in ``out`` (and its
    figures, unless ``plot`` is None) nothing is recomputed.  Otherwise
    ``compute()`` returns ``(scalars, arrays)``, which are written atomically
    with :func:`save_results` together with the config, seed and wall time.
    Then ``plot(out)`` draws the figures from the saved files; ``plot`` may
    be the name of a :mod:`figures` module, whose ``plot`` function is used.
    """
    if isinstance(plot, str):
        import importlib

        plot = importlib.import_module(plot).plot
    out = check_out_dir(out)
    figs = [out / f"{stem}.{ext}" for stem in figure_stems for ext in ("png", "pdf")]
    if not force and load_cached(out, name, config) is not None and (plot is None or all(f.exists() for f in figs)):
        print(f"cached result for this config in {out} (use --force to recompute)")
        return 0
    if force or load_cached(out, name, config) is None:
        t0 = time.perf_counter()
        scalars, arrays = compute()
        elapsed = time.perf_counter() - t0
        save_results(out, name, config, config.get("seed"), scalars, arrays, elapsed_s=elapsed, extra=extra)
        print(f"{describe or name} in {elapsed:.1f} s -> {out}")
        for key, value in scalars.items():
            if isinstance(value, (int, float, str, bool)) or value is None:
                print(f"  {key}: {value}")
    if plot is not None:
        for path in plot(out):
            print(f"  wrote {path}")
    return 0


def apply_quick(args: argparse.Namespace, parser: argparse.ArgumentParser, **values: Any) -> argparse.Namespace:
    """Set the ``--quick`` sizes on ``args``, except for flags the user gave.

    A destination is overridden only while it still holds the parser's
    default, so ``--quick --steps 30`` trains 30 steps, not the quick preset's.
    Values may be callables of the current value (e.g. to keep the first and
    last entries of a list).
    """
    if not getattr(args, "quick", False):
        return args
    for dest, value in values.items():
        current = getattr(args, dest)
        if current == parser.get_default(dest):
            setattr(args, dest, value(current) if callable(value) else value)
    return args
