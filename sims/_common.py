"""Shared plumbing for the command-line simulations: the run skeleton, I/O and provenance.

A simulation is declared, not written out: :class:`Simulation` takes its
parser, its config builder, its units of work and its combine step, and its
:meth:`Simulation.main` is the whole command line (validation, the
per-config result store of :mod:`sims._store`, the backends and resume of
:mod:`sims._runner`, the figures).  So every ``sims.<name>`` has the same
flags (:func:`add_run_arguments`) and the same guarantees:

* ``--help`` everywhere; a bad flag or value is one line on stderr and exit
  code 2 (:func:`cli_entry`), before any computation;
* results go to ``<out>/runs/<config_hash>/<name>.{json,npz}`` with
  checksums and the code's provenance (:func:`save_results`), the latest is
  copied to ``<out>/<name>.{json,npz}``; every file is written atomically
  (:func:`atomic_write_bytes`) with the user's umask;
* a rerun of the same config is served from its verified result; an
  interrupted one resumes from its saved units.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from sims._runner import RunInterrupted, Unit

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
    "add_backend_arguments",
    "check_n_jobs",
    "check_out_dir",
    "prepare_out_dir",
    "Simulation",
    "Unit",
    "apply_quick",
]


class CLIError(Exception):
    """A user error: reported as one line on stderr with exit code 2."""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` once: not when the help already names its default, nor for unset flags."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if re.search(r"\bdefaults?:", text) or action.default in (None, False, argparse.SUPPRESS):
            return text
        if isinstance(action, argparse._StoreConstAction) or action.option_strings == []:
            return text
        return super()._get_help_string(action)


class ArgumentParser(argparse.ArgumentParser):
    """``argparse`` parser whose errors are one line and exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
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
        except BrokenPipeError:  # e.g. `| head`: stop writing, no traceback
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except OSError:
                pass
            return 141
        except (KeyboardInterrupt, RunInterrupted) as exc:
            why = f" ({exc})" if isinstance(exc, RunInterrupted) else ""
            sys.stderr.write(f"{prog}: interrupted{why}; the finished units are saved, "
                             "rerun the same command to resume\n")
            return 130
        return 0 if rc is None else int(rc)

    return wrapped


# --------------------------------------------------------------------------- I/O


def _umask() -> int:
    """The process umask (read from ``/proc`` where possible, so no thread sees it changed)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + ``os.replace``).

    ``durable=True`` also calls ``fsync`` on the file before the rename (results);
    the unit files of :mod:`sims._store` skip it, since a unit torn by a
    crash fails its checksum and is recomputed.

    The file gets the permissions a plain ``open()`` would give it under the
    user's umask (``mkstemp`` alone would make it private, mode 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
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

    for dist in ("projection-head-theory", "numpy", "scipy", "torch", "cvxpy", "matplotlib", "joblib", "scikit-learn",
                 "dask", "distributed"):
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

    The JSON holds the config, its hash, the seed, package versions, the
    provenance of the code (:func:`sims._store.provenance`), a timestamp,
    the wall time, the scalar results, the list of arrays in the NPZ and the
    checksums of the arrays and of the JSON itself
    (:func:`sims._store.verify_result`); it is written last, so its presence
    marks a complete result.
    """
    from sims._store import arrays_checksum, meta_checksum, provenance

    out_dir = Path(out_dir)
    arrays = {k: np.asanyarray(v) for k, v in (arrays or {}).items()}
    npz = atomic_savez(out_dir / f"{name}.npz", **arrays)
    meta = {
        "name": name,
        "config": dict(config),
        "config_hash": config_hash(config),
        "seed": seed,
        "versions": versions(),
        "provenance": provenance(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": elapsed_s,
        "results": dict(scalars or {}),
        "arrays": sorted(arrays),
    }
    if extra:
        meta.update(extra)
    meta = to_jsonable(meta)
    meta["checksum"] = {"arrays": arrays_checksum(arrays), "meta": meta_checksum(meta)}
    js = atomic_write_json(out_dir / f"{name}.json", meta)
    return js, npz


def load_results(out_dir: str | os.PathLike, name: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and verify a result written by :func:`save_results`.

    Raises
    ------
    CLIError
        If the files are missing, unreadable, truncated, edited or
        inconsistent (:func:`sims._store.verify_result`); the message names
        the file.
    """
    from sims._store import verify_result

    out_dir = Path(out_dir)
    js, npz = out_dir / f"{name}.json", out_dir / f"{name}.npz"
    try:
        meta = json.loads(js.read_text())
    except FileNotFoundError as exc:
        raise CLIError(f"missing results file {js}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CLIError(f"corrupt results file {js}: {exc}") from exc
    if not isinstance(meta, dict):
        raise CLIError(f"corrupt results file {js}: not a JSON object")
    try:
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError as exc:
        raise CLIError(f"missing results file {npz}") from exc
    except Exception as exc:  # zipfile / format errors on a truncated file
        raise CLIError(f"corrupt results file {npz}: {exc}") from exc
    problem = verify_result(meta, arrays, js, npz)
    if problem:
        raise CLIError(problem)
    return meta, arrays


def load_cached(out_dir: str | os.PathLike, name: str, config: Mapping[str, Any]):
    """Return ``(meta, arrays)`` if a verified result for ``config``, made by this code, is in ``out_dir``."""
    from sims._store import lookup

    return lookup(out_dir, name, config)[0]


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
    """Progress on stderr: a tqdm bar on a terminal, log lines otherwise.

    ``disable=True`` shows nothing; ``disable=False`` forces a bar;
    ``disable=None`` (the default) draws a bar when stderr is a terminal and
    otherwise writes :class:`LogProgress` lines (a log file or a pipe still
    shows every phase of work and its end).
    """
    from tqdm.auto import tqdm

    if disable is None and not _isatty(sys.stderr):
        return LogProgress(iterable, **kwargs)
    return tqdm(iterable, disable=disable, file=sys.stderr, dynamic_ncols=True, **kwargs)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LogProgress:
    """The part of tqdm's interface the package uses, as plain lines on stderr.

    One line when the work starts, then at most one every ``interval``
    seconds, and one when it ends (``n/total`` and the elapsed time).
    """

    def __init__(self, iterable: Iterable | None = None, *, total: int | None = None, desc: str = "",
                 initial: int = 0, unit: str = "it", interval: float = 15.0, **_: Any) -> None:
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total, self.n, self.desc, self.unit, self.interval = total, initial, desc or "progress", unit, interval
        self.postfix = ""
        self.t0 = self._last = time.perf_counter()
        self._closed = False
        self._write("started" if not initial else f"resumed at {self._count()}")

    def _count(self) -> str:
        return f"{self.n}/{self.total} {self.unit}s" if self.total is not None else f"{self.n} {self.unit}s"

    def _write(self, what: str) -> None:
        post = f" [{self.postfix}]" if self.postfix else ""
        sys.stderr.write(f"{self.desc}: {what}{post}\n")
        sys.stderr.flush()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if self.total is not None and self.n >= self.total:
            self.close()
        elif now - self._last >= self.interval:
            self._last = now
            self._write(f"{self._count()}, {now - self.t0:.0f} s")

    def set_postfix(self, ordered_dict: dict | None = None, refresh: bool = True, **kwargs: Any) -> None:
        items = {**(ordered_dict or {}), **kwargs}
        self.postfix = ", ".join(f"{k}={v}" for k, v in items.items())

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or self.desc

    def write(self, s: str) -> None:
        sys.stderr.write(s.rstrip("\n") + "\n")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._write(f"{self._count()} done in {time.perf_counter() - self.t0:.1f} s")

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self) -> "LogProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self.close()


# ------------------------------------------------------------ CLI skeleton


def add_run_arguments(
    ap: argparse.ArgumentParser,
    name: str,
    *,
    n_jobs: bool = True,
    device: bool = False,
    seed_help: str = "seed (every random draw derives from it)",
    n_jobs_default: int = 2,
) -> argparse._ArgumentGroup:
    """Add the flags every simulation shares to a ``run`` argument group.

    ``--seed``, ``--out`` (default ``results/<name>``), ``--quick``,
    ``--force``, ``--no-plot``, ``--no-progress``, ``--backend``,
    ``--dask-scheduler``, ``--n-jobs`` (workers) and optionally ``--device``
    (auto | cpu | cuda[:k]).  ``n_jobs=False`` is accepted for backward
    compatibility and ignored: every simulation takes ``--n-jobs``.
    """
    r = ap.add_argument_group("run")
    r.add_argument("--seed", type=int, default=0, help=seed_help)
    r.add_argument("--n-jobs", type=int, default=n_jobs_default,
                   help="workers (-1: all cores); with --backend dask, the size of the local cluster")
    add_backend_arguments(r)
    if device:
        r.add_argument("--device", default="auto", help="auto | cpu | cuda[:k]")
    r.add_argument("--out", type=Path, default=Path("results") / name,
                   help="output folder: results of every config are kept in <out>/runs/<config hash>/, "
                        "the latest one is copied to <out>/")
    r.add_argument("--quick", action="store_true", help="small sizes for a smoke test")
    r.add_argument("--force", action="store_true",
                   help="recompute everything, even a cached result or saved units of this config")
    r.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    r.add_argument("--no-progress", action="store_true",
                   help="hide the progress bar (it is also hidden when stderr is not a terminal)")
    return r


def add_backend_arguments(group: argparse._ArgumentGroup) -> None:
    """``--backend``, ``--dask-scheduler`` and the hidden test hook ``--fail-after-units``."""
    from sims._runner import BACKENDS

    group.add_argument("--backend", default="loky", metavar="{" + ",".join(BACKENDS) + "}",
                       help="where the units of work run: loky processes, threads, or dask.distributed "
                            "(pip install -e '.[distributed]')")
    group.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                       help="address of a running dask.distributed scheduler (e.g. tcp://host:8786); "
                            "without it --backend dask starts a local cluster of --n-jobs workers")
    group.add_argument("--dask-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="how long (0.1 to 86400 s) to wait for --dask-scheduler before giving up")
    group.add_argument("--fail-after-units", type=int, default=None, help=argparse.SUPPRESS)  # test hook


def check_n_jobs(value: Any, name: str = "--n-jobs") -> int:
    """Validate a worker count: -1 (all cores) or an integer in [1, 4096]."""
    ok = isinstance(value, Integral) and not isinstance(value, bool) and (value == -1 or 1 <= value <= 4096)
    if not ok:
        raise CLIError(f"{name} must be -1 (all cores) or an integer in [1, 4096], got {value!r}")
    return int(value)


def check_out_dir(out: str | os.PathLike) -> Path:
    """``--out`` must be a folder (created later, only when results are written)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} exists and is not a directory")
    return out


def prepare_out_dir(out: str | os.PathLike, folder: str | os.PathLike | None = None) -> Path:
    """Create ``folder`` (default ``out``) and check a file can be written there, before any computation.

    Raises
    ------
    CLIError
        One line naming ``--out`` and why it cannot be used.
    """
    out = check_out_dir(out)
    folder = Path(out if folder is None else folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise CLIError(f"--out {out} cannot be created or written ({why})") from None
    return out


@dataclass(frozen=True)
class Simulation:
    """A simulation, declared: its parser, its config, its units of work and its combine step.

    :meth:`main` is the whole command line (``python -m sims.<name>``):

    1. parse the flags and build the config (every check before anything
       runs: a bad value is one line and exit 2);
    2. check the backend (and the ``distributed`` extra), and that ``--out``
       can be created and written;
    3. serve the result of this config from ``<out>/runs/<config_hash>/``
       when it is intact and made by this code; otherwise say why (one line)
       and recompute;
    4. run the units on the chosen backend (:class:`sims._runner.Runner`),
       each saved the moment it finishes, so a rerun after an interruption
       computes only the missing ones;
    5. ``combine`` the unit results (in unit order) into
       ``(scalars, arrays)``, save them with their checksums, copy them to
       ``<out>/<name>.{json,npz}`` and draw the figures into ``<out>``.

    Parameters
    ----------
    name : str
        The result name (``<name>.json``) and the ``--out`` default.
    build_parser, make_config : callables
        ``make_config(args)`` validates the flags and returns the (JSON-able)
        config; its hash keys the cache.
    units : callable
        ``units(config) -> list[Unit]``: the work, as small independent tasks.
    combine : callable
        ``combine(config, results) -> (scalars, arrays)``.
    plot : str, optional
        The :mod:`figures` module drawing the figures (``plot(results_dir, out_dir)``).
    figure_stems : sequence or callable of the config
        The figures ``plot`` writes (``<stem>.png`` + ``.pdf``).
    describe : callable, optional
        One-line description of a config for the log.
    report : callable, optional
        Prints the headline numbers of ``scalars`` after a computation.
    local : callable, optional
        ``local(config)`` true: run the units in this process, one after the
        other (a GPU run), whatever the backend.
    user_errors : mapping
        Exception types raised by the units that are the user's to fix,
        with the prefix of their one-line message (e.g. a diverged training).
    """

    name: str
    build_parser: Callable[[], argparse.ArgumentParser]
    make_config: Callable[[argparse.Namespace], dict]
    units: Callable[[dict], list]
    combine: Callable[[dict, list], tuple[Mapping[str, Any], Mapping[str, np.ndarray]]]
    plot: str | None = None
    figure_stems: Sequence[str] | Callable[[dict], Sequence[str]] = ()
    describe: Callable[[dict], str] | None = None
    report: Callable[[Mapping[str, Any]], None] | None = None
    local: Callable[[dict], bool] | None = None
    user_errors: Mapping[type, str] = field(default_factory=dict)

    def run(self, config: dict, runner=None) -> tuple[Mapping[str, Any], Mapping[str, np.ndarray]]:
        """``(scalars, arrays)`` of ``config``, computed with ``runner`` (default: in this process)."""
        from sims._runner import Runner

        runner = Runner() if runner is None else runner
        units = self.units(config)
        local = bool(self.local and self.local(config))
        try:
            with runner:
                results = runner.map(units, desc=f"{self.name} ({runner.backend})", local=local)
            return self.combine(config, results)
        except tuple(self.user_errors) as exc:
            prefix = next(v for k, v in self.user_errors.items() if isinstance(exc, k))
            raise CLIError(f"{prefix}: {exc}") from exc

    def main(self, argv: list[str] | None = None) -> int:
        """The command line; see the class docstring."""
        from sims._runner import Runner, check_backend
        from sims._store import UnitStore, lookup, run_dir
        from theory._validation import check_scalar

        args = self.build_parser().parse_args(argv)
        config = self.make_config(args)
        n_jobs = check_n_jobs(args.n_jobs)
        check_backend(args.backend, args.dask_scheduler)
        timeout = check_scalar(args.dask_timeout, "--dask-timeout", low=0.1, high=86400.0)
        fail_after = None if args.fail_after_units is None else check_n_jobs(args.fail_after_units, "--fail-after-units")
        out = Path(args.out)
        rdir = run_dir(out, config)
        prepare_out_dir(out, rdir)
        stems = self.figure_stems(config) if callable(self.figure_stems) else self.figure_stems
        plot = None if args.no_plot or self.plot is None else importlib.import_module(self.plot).plot
        hit, reason = (None, None) if args.force else lookup(rdir, self.name, config)
        if hit is not None:
            print(f"cached result for this config in {rdir} (use --force to recompute)")
            changed = _publish(rdir, out, self.name)
            figs = [out / f"{stem}.{ext}" for stem in stems for ext in ("png", "pdf")]
            if plot is not None and (changed or not all(f.exists() for f in figs)):
                for path in plot(rdir, out):
                    print(f"  wrote {path}")
            return 0
        if reason and not reason.startswith("missing"):
            sys.stderr.write(f"recomputing: {reason}\n")
        runner = Runner(backend=args.backend, n_jobs=n_jobs, scheduler=args.dask_scheduler,
                        show_progress=False if args.no_progress else None,
                        store=UnitStore(rdir, config_hash(config)), resume=not args.force, fail_after=fail_after,
                        connect_timeout=timeout)
        t0 = time.perf_counter()
        scalars, arrays = self.run(config, runner)
        elapsed = time.perf_counter() - t0
        if runner.units_resumed:
            print(f"resumed {runner.units_resumed} of {runner.units_total} units from {rdir / 'units'}")
        if self.report is not None:
            self.report(scalars)
        run_info = {**runner.summary(), "n_jobs": n_jobs}
        save_results(rdir, self.name, config, config.get("seed"), scalars, arrays, elapsed_s=elapsed,
                     extra={"run": run_info})
        _publish(rdir, out, self.name)
        print(f"{self.describe(config) if self.describe else self.name} in {elapsed:.1f} s -> {rdir}")
        for key, value in scalars.items():
            if isinstance(value, (int, float, str, bool)) or value is None:
                print(f"  {key}: {value}")
        if plot is not None:
            for path in plot(rdir, out):
                print(f"  wrote {path}")
        return 0

    def entry(self) -> Callable[[list[str] | None], int]:
        """``main`` wrapped by :func:`cli_entry` (one line and exit 2 on a user error)."""
        return cli_entry(self.main, f"python -m sims.{self.name}")


def _publish(rdir: Path, out: Path, name: str) -> bool:
    """Copy the result in ``rdir`` to ``<out>/<name>.{npz,json}`` (NPZ first); ``True`` if it changed."""
    src_js, dst_js = rdir / f"{name}.json", out / f"{name}.json"
    data_js = src_js.read_bytes()
    try:
        if dst_js.read_bytes() == data_js and (out / f"{name}.npz").exists():
            return False
    except OSError:
        pass
    atomic_write_bytes(out / f"{name}.npz", (rdir / f"{name}.npz").read_bytes())
    atomic_write_bytes(dst_js, data_js)
    return True


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
