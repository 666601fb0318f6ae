"""Run a simulation's units of work on loky, threads or Dask, saving each as it finishes.

A simulation splits its work into :class:`Unit`\\ s: a module-level function
and small arguments (configs, seeds, index ranges, never large arrays), whose
result depends on those arguments alone.  :meth:`Runner.map` runs the units
that have no saved result, in any order and on any backend, stores each
result (:class:`sims._store.UnitStore`) the moment it arrives, and returns
all results in unit order, so the combine step, and therefore the final
arrays, are the same bit for bit for every backend and worker count:

* ``loky`` (default): ``joblib.Parallel`` worker processes;
* ``threading``: ``joblib.Parallel`` threads (the GIL-free numpy/torch parts);
* ``dask``: ``dask.distributed`` (``pip install -e .[distributed]``), on a
  ``LocalCluster`` of ``n_jobs`` single-threaded workers or, with
  ``scheduler``, on a running scheduler (Slurm via dask-jobqueue, Kubernetes,
  a shared cluster).

Every unit runs with one BLAS thread (``threadpoolctl``), wherever it runs;
worker processes on this machine watch the parent and exit when it dies
(``kill -9`` included), so no worker outlives its run.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BACKENDS", "Unit", "RunInterrupted", "Runner", "check_backend"]

#: The backends ``--backend`` accepts.
BACKENDS = ("loky", "threading", "dask")
_DASK_HINT = "pip install -e '.[distributed]'"


@dataclass(frozen=True)
class Unit:
    """One unit of work: ``fn(*args)``.

    ``local_kwargs`` are added only when the unit runs in this process (one
    worker, or a GPU run); a ``show_progress`` entry there is replaced by the
    runner's own setting (so inner per-epoch bars follow ``--no-progress``).
    """

    fn: Callable[..., Any]
    args: tuple = ()
    local_kwargs: dict = field(default_factory=dict)


class RunInterrupted(Exception):
    """The run stopped before every unit finished; the finished ones are saved."""


def check_backend(backend: str, scheduler: str | None = None) -> None:
    """Validate ``--backend`` / ``--dask-scheduler`` (raises :class:`sims._common.CLIError`)."""
    from sims._common import CLIError

    if backend not in BACKENDS:
        raise CLIError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise CLIError("--dask-scheduler needs --backend dask")
    if backend == "dask":
        try:
            import distributed  # noqa: F401  (only checking that the extra is installed)
        except ImportError:
            raise CLIError(f"--backend dask needs dask.distributed: {_DASK_HINT}") from None


# ---------------------------------------------------------------- workers


def _parent_alive(pid: int) -> bool:
    """Is process ``pid`` alive (a zombie counts as dead)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return True


_WATCHDOG_LOCK = threading.Lock()
_WATCHDOG_FOR: list[int] = []  # per worker process: the parent pid being watched (at most one)


def _start_watchdog(parent_pid: int, interval: float = 0.5) -> None:
    """In a worker process: exit at once (``os._exit``) when ``parent_pid`` dies."""
    with _WATCHDOG_LOCK:
        if _WATCHDOG_FOR:
            return
        _WATCHDOG_FOR.append(parent_pid)

    def watch() -> None:
        while _parent_alive(parent_pid):
            time.sleep(interval)
        os._exit(3)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _execute(index: int, fn: Callable[..., Any], args: tuple, parent_pid: int | None) -> tuple[int, Any]:
    """Run one unit in a worker process: watchdog on, one BLAS thread; returns ``(index, result)``."""
    from threadpoolctl import threadpool_limits

    if parent_pid is not None and os.getpid() != parent_pid:
        _start_watchdog(parent_pid)
        with threadpool_limits(limits=1, user_api="blas"):
            return index, fn(*args)
    return index, fn(*args)  # a thread of this process: the limit is set once around the whole map


# ---------------------------------------------------------------- runner


class _closing_quietly:
    """Close a unit generator on exit, without joblib's "tasks not used" warning after an interruption."""

    def __init__(self, gen: Iterator) -> None:
        self.gen = gen

    def __enter__(self) -> Iterator:
        return self.gen

    def __exit__(self, *exc: Any) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self.gen.close()


@dataclass
class Runner:
    """Where and how the units of one run execute.

    Parameters
    ----------
    backend : {"loky", "threading", "dask"}
    n_jobs : int
        Workers (``-1``: all cores); for ``dask`` without ``scheduler``, the
        size of the ``LocalCluster``.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler.
    show_progress : bool
        One bar over all units (resumed ones counted as done); ``None``
        means "only when stderr is a terminal".
    store : sims._store.UnitStore, optional
        Where finished units are saved and looked up (no resume without it).
    resume : bool
        Load saved units (``False``: ``--force``, recompute and overwrite them).
    fail_after : int, optional
        Test hook: raise :class:`RunInterrupted` after this many units were
        computed and saved (``--fail-after-units``).
    connect_timeout : float
        Seconds to wait for ``scheduler`` before giving up.
    """

    backend: str = "loky"
    n_jobs: int = 1
    scheduler: str | None = None
    show_progress: bool | None = False
    store: Any = None
    fail_after: int | None = None
    resume: bool = True
    connect_timeout: float = 30.0
    units_total: int = 0
    units_resumed: int = 0
    units_computed: int = 0
    n_workers: int = 1
    _client: Any = field(default=None, repr=False)
    _cluster: Any = field(default=None, repr=False)

    # -- lifetime (dask needs a client for the whole run)
    def __enter__(self) -> Runner:
        from joblib import effective_n_jobs

        check_backend(self.backend, self.scheduler)
        if self.backend == "dask":
            self._start_dask()
        else:
            self.n_workers = effective_n_jobs(self.n_jobs)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        for obj in (self._client, self._cluster):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # noqa: BLE001 - shutting down; nothing to save here
                    pass
        self._client = self._cluster = None

    def _start_dask(self) -> None:
        import logging

        from distributed import Client, LocalCluster
        from joblib import effective_n_jobs

        from sims._common import CLIError

        if self.scheduler is not None:
            try:
                self._client = Client(self.scheduler, timeout=self.connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise CLIError(f"cannot reach the Dask scheduler at {self.scheduler} within "
                               f"{self.connect_timeout:g} s ({type(exc).__name__})") from None
            self.n_workers = max(1, len(self._client.scheduler_info().get("workers", {})))
            return
        n = effective_n_jobs(self.n_jobs)
        logging.getLogger("distributed").setLevel(logging.ERROR)
        self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                     dashboard_address=None, scheduler_kwargs={"dashboard": False},
                                     silence_logs=logging.ERROR)
        self._client = Client(self._cluster)
        self.n_workers = n

    @property
    def local_workers(self) -> bool:
        """Do the workers run on this machine (so they can watch this process)?"""
        return self.scheduler is None

    # -- the one entry point
    def map(self, units: Sequence[Unit], *, desc: str = "units", local: bool = False) -> list[Any]:
        """Results of ``units`` in order: saved ones loaded, the others computed and saved.

        ``local=True`` runs the missing units one after the other in this
        process (a GPU run); so does a single worker of loky or threading.
        Units run in this process get their ``local_kwargs``.
        """
        from sims._common import progress

        results: list[Any] = [None] * len(units)
        todo: list[int] = []
        for i in range(len(units)):
            found, value, problem = (False, None, None)
            if self.store is not None and self.resume:
                found, value, problem = self.store.load(i)
            if found:
                results[i] = value
            else:
                if problem:
                    sys.stderr.write(f"recomputing unit {i}: {problem}\n")
                todo.append(i)
        self.units_total += len(units)
        self.units_resumed += len(units) - len(todo)
        disable = None if self.show_progress is None else not self.show_progress
        stream = self._iterate(units, todo, local)
        with progress(total=len(units), initial=len(units) - len(todo), desc=desc, unit="unit",
                      disable=disable) as bar, _closing_quietly(stream):
            for i, value in stream:
                if self.store is not None:
                    self.store.save(i, value)
                results[i] = value
                self.units_computed += 1
                bar.update(1)
                if self.fail_after is not None and self.units_computed >= self.fail_after:
                    raise RunInterrupted(f"stopped after {self.units_computed} computed units (--fail-after-units)")
        return results

    def _iterate(self, units: Sequence[Unit], todo: list[int], local: bool) -> Iterator[tuple[int, Any]]:
        if not todo:
            return
        from threadpoolctl import threadpool_limits

        if local or (self.backend != "dask" and self.n_workers == 1):
            show = sys.stderr.isatty() if self.show_progress is None else bool(self.show_progress)
            with threadpool_limits(limits=1, user_api="blas"):
                for i in todo:
                    kwargs = dict(units[i].local_kwargs)
                    if "show_progress" in kwargs:
                        kwargs["show_progress"] = show
                    yield i, units[i].fn(*units[i].args, **kwargs)
            return
        parent = os.getpid() if self.local_workers else None
        if self.backend == "dask":
            yield from self._iterate_dask(units, todo, parent)
            return
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=self.n_jobs, backend=self.backend, return_as="generator_unordered")
        with threadpool_limits(limits=1, user_api="blas"):  # threads share this process's BLAS
            yield from par(delayed(_execute)(i, units[i].fn, units[i].args, parent) for i in todo)

    def _iterate_dask(self, units: Sequence[Unit], todo: list[int], parent: int | None):
        from distributed import as_completed

        futures = [self._client.submit(_execute, i, units[i].fn, units[i].args, parent, pure=False) for i in todo]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            self._client.cancel(futures)

    def summary(self) -> dict[str, Any]:
        """What the result JSON records about how it was computed."""
        return {
            "backend": self.backend,
            "scheduler": self.scheduler,
            "n_workers": int(self.n_workers),
            "units": int(self.units_total),
            "units_resumed": int(self.units_resumed),
        }
