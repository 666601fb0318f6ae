"""Benchmark of the run skeleton (run: ``python benchmarks/bench_runner.py``).

Side by side in one process, on the units of ``sims.phase_diagram`` (default
config: 100 x 100 grid, 2 losses, 8 blocks each, plus the exact boundary and
the Figure-3 curves) and of ``sims.maxmargin --quick``:

1. *previous*: a bare ``joblib.Parallel(return_as="generator")`` over the same
   functions, nothing saved (what the simulations did before the skeleton);
2. *runner, loky*: :class:`sims._runner.Runner` with the unit store (every
   unit checksummed and written atomically with ``fsync``);
3. *runner, dask*: the same on a ``LocalCluster`` of ``--n-jobs`` workers,
   start-up included (and the start-up alone);
4. *resume at 50%*: a run whose first half of units is already saved.

Every variant's results are checked equal to the previous approach's, bit for
bit.  Options: ``--n-jobs``, ``--repeat``, ``--skip-dask``.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def _config(mod, argv):
    return mod.make_config(mod.build_parser().parse_args(argv))


def previous(units, n_jobs):
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=n_jobs, return_as="generator")
    return list(par(delayed(u.fn)(*u.args) for u in units))


def runner(units, n_jobs, backend, folder=None, resume=True):
    from sims._runner import Runner
    from sims._store import UnitStore

    store = None if folder is None else UnitStore(folder, "bench")
    with Runner(backend=backend, n_jobs=n_jobs, store=store, resume=resume) as r:
        return r.map(units)


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))


def _best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args(argv)
    from sims import maxmargin, phase_diagram

    cases = [("phase_diagram (default)", phase_diagram, []), ("maxmargin --quick", maxmargin, ["--quick"])]
    for label, mod, flags in cases:
        units = mod.units(_config(mod, flags))
        print(f"{label}: {len(units)} units, n_jobs={args.n_jobs}")
        t_prev, ref = _best(lambda: previous(units, args.n_jobs), args.repeat)
        print(f"  previous (bare joblib, nothing saved)  {t_prev:7.2f} s")

        def fresh_store():
            with tempfile.TemporaryDirectory() as d:
                return runner(units, args.n_jobs, "loky", d)

        t_loky, out = _best(fresh_store, args.repeat)
        assert _same(out, ref)
        print(f"  runner, loky, units saved              {t_loky:7.2f} s   ratio {t_loky / t_prev:5.2f}")
        if not args.skip_dask:
            t_dask, out = _best(lambda: runner(units, args.n_jobs, "dask"), 1)
            assert _same(out, ref)
            print(f"  runner, dask LocalCluster (incl. start) {t_dask:6.2f} s   ratio {t_dask / t_prev:5.2f}")
        with tempfile.TemporaryDirectory() as d:
            from sims._store import UnitStore

            store = UnitStore(d, "bench")
            for i in range(len(units) // 2):
                store.save(i, ref[i])
            t0 = time.perf_counter()
            out = runner(units, args.n_jobs, "loky", d)
            t_res = time.perf_counter() - t0
            assert _same(out, ref)
        print(f"  resume with 50% of the units saved     {t_res:7.2f} s   ratio {t_res / t_loky:5.2f} of a full run")
    if not args.skip_dask:
        import logging

        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=args.n_jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR)
        client = Client(cluster)
        t_start = time.perf_counter() - t0
        client.close()
        cluster.close()
        print(f"dask LocalCluster start-up ({args.n_jobs} workers): {t_start:.2f} s")


if __name__ == "__main__":
    main()
