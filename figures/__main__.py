"""Regenerate every paper figure from one command: ``python -m figures``.

For each entry of :mod:`figures.manifest` (all, or the ``NAME``\\ s given):

1. check the saved result of the config the simulation would produce for
   the requested scale (``results/<name>/runs/<config_hash>/`` at the
   default scale, ``results/<scale>/<name>/runs/<config_hash>/`` otherwise):
   it is *fresh* when it is intact (checksums) and made by this code;
2. if it is missing, damaged or stale, run ``sims.<name>`` at that scale (in
   this process, its output going to ``<results>/<name>.log``; a damaged or
   stale result is named in one line first);
3. draw the figures from the saved result (``figures.<name>.plot``) and the
   tables (:mod:`figures.report`) into ``figures/out/<scale>/``;
4. write the reproduction report of the results at hand to
   ``<out>/reproduction.md``.

Everything is checked before anything runs: an unknown name or invalid
arguments stop the command with one line (exit code 2), and so does a
missing, damaged or stale result under ``--no-run``.  Damaged or stale
results are never plotted: each is named in one line and recomputed, the
same way the simulations treat them.  One line on stderr starts and ends
each simulation (its own progress goes to its log file).
"""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from pathlib import Path

from figures.manifest import MANIFEST, SCALES, Entry, expected_config, resolve_names, result_status, results_dir, sim_args
from sims._common import ArgumentParser, CLIError, cli_entry

__all__ = ["build_parser", "main", "make_entry"]


class FigureError(Exception):
    """A simulation or a plot failed (exit code 1, one line, the log named)."""


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(
        prog="python -m figures",
        description=(
            "Regenerate the paper figures from saved results, running each needed simulation at the requested "
            "scale when its result is missing or stale; then write the reproduction report. "
            "NAME is a simulation (e.g. phase_diagram) or an output stem (e.g. phase_diagram_fig3); "
            "none means all."
        ),
    )
    ap.add_argument("names", nargs="*", metavar="NAME", help="figures to make (default: all; see --list)")
    ap.add_argument("--list", action="store_true", help="print the manifest and exit")
    ap.add_argument("--scale", default="default", help="quick | default | paper (paper: GPU when present)")
    ap.add_argument("--quick", action="store_true", help="same as --scale quick (seconds per simulation)")
    ap.add_argument("--results-dir", type=Path, default=Path("results"),
                    help="results root: <root>/<name> (default scale) or <root>/<scale>/<name>")
    ap.add_argument("--out", type=Path, default=None, help="figure folder (default: figures/out/<scale>)")
    ap.add_argument("--no-run", action="store_true",
                    help="never run a simulation: missing or stale results are an error (exit 2)")
    ap.add_argument("--force", action="store_true",
                    help="rerun every selected simulation, even when its result is fresh or corrupt")
    ap.add_argument("--n-jobs", type=int, default=None, help="workers passed to the simulations that sweep (default: each simulation's own default)")
    ap.add_argument("--backend", default="loky", help="backend of the simulations that run: loky | threading | dask")
    ap.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                    help="a running dask.distributed scheduler for the simulations (needs --backend dask)")
    ap.add_argument("--no-report", action="store_true", help="do not write <out>/reproduction.md")
    ap.add_argument("--no-progress", action="store_true", help="hide the progress lines (one per simulation)")
    return ap


def _print_list(stream=None) -> None:
    stream = sys.stdout if stream is None else stream
    for e in MANIFEST:
        print(f"{e.name}  (sims.{e.name}; {e.paper})", file=stream)
        for o in e.outputs:
            ext = "+".join(s.lstrip(".") for s in o.suffixes)
            print(f"    {o.stem}.{{{ext}}}  ->  {o.paper}", file=stream)
    print(f"scales: {', '.join(SCALES)}  (python -m figures --scale SCALE)", file=stream)


def _regen_hint(e: Entry, scale: str, root: Path) -> str:
    flag = "" if scale == "default" else f" --scale {scale}"
    rdir = "" if root == Path("results") else f" --results-dir {root}"
    return f"regenerate it with: python -m figures {e.name}{flag}{rdir} --force"


def make_entry(e: Entry, scale: str, root: Path, out_dir: Path, *, n_jobs: int | None = None,
               run_sim: bool = True, force: bool = False, run_flags: tuple[str, ...] = ()) -> list[Path]:
    """Run ``e``'s simulation if ``run_sim``, then draw its outputs; returns the written files."""
    from figures import report

    rdir = results_dir(e, scale, root)
    if run_sim:
        _run_simulation(e, scale, rdir, n_jobs=n_jobs, force=force, run_flags=run_flags)
    st = result_status(e, scale, root)
    if not st.fresh:
        raise FigureError(f"sims.{e.name} ran but its result is still {st.state}: {st.reason}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [Path(p) for p in e.plot()(st.folder, out_dir)] if e.figures else []
    for t in e.tables:
        written.append(report.write_table(e, t, st.folder, out_dir))
    for o in e.outputs:
        for f in o.files(out_dir):
            if not f.is_file() or f.stat().st_size == 0:
                raise FigureError(
                    f"{e.plot_callable or f'figures.{e.name}.plot'} did not write {f}; figures/manifest.py and "
                    f"figures/{e.name}.py disagree"
                )
    return written


def _run_simulation(e: Entry, scale: str, rdir: Path, *, n_jobs: int | None, force: bool = False,
                    run_flags: tuple[str, ...] = ()) -> None:
    """``sims.<name>.main(...)`` in this process; its stdout/stderr go to ``<rdir>/<name>.log``.

    Without ``--force``: the simulation itself serves an intact result of
    the config, resumes from its saved units, and recomputes (saying why) a
    damaged or stale result.
    """
    args = [*sim_args(e, scale, rdir, n_jobs=n_jobs), "--no-plot", *(["--force"] if force else []), *run_flags]
    rdir.mkdir(parents=True, exist_ok=True)
    log = rdir / f"{e.name}.log"
    threads = _torch_threads()
    t0 = time.perf_counter()
    with open(log, "w") as fh, contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
        print(f"$ python -m sims.{e.name} {' '.join(args)}", flush=True)
        try:
            rc = e.load_sim().main(args)
        except BaseException:  # noqa: BLE001 - reported as one line, traceback kept in the log
            traceback.print_exc(file=fh)
            rc = None
        finally:
            _set_torch_threads(threads)
        print(f"# exit {rc} after {time.perf_counter() - t0:.1f} s", flush=True)
    if rc != 0:
        last = [ln for ln in log.read_text().splitlines() if ln.strip() and not ln.startswith("# exit")]
        why = last[-1].strip() if last else "no output"
        raise FigureError(f"sims.{e.name} failed ({why}); full log: {log}")


def _note(args, message: str) -> None:
    """One progress line on stderr (hidden by ``--no-progress``)."""
    if not args.no_progress:
        sys.stderr.write(f"python -m figures: {message}\n")
        sys.stderr.flush()


def _torch_threads() -> int | None:
    if "torch" not in sys.modules:
        return None
    return sys.modules["torch"].get_num_threads()


def _set_torch_threads(n: int | None) -> None:
    """Simulations may call ``torch.set_num_threads``; restore the value so the next one is unaffected."""
    if n is not None and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def _main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.list:
        _print_list()
        return 0
    if args.scale not in SCALES:
        raise CLIError(f"--scale must be one of {', '.join(SCALES)}, got {args.scale!r}")
    if args.quick and args.scale not in ("default", "quick"):
        raise CLIError(f"--quick and --scale {args.scale} are exclusive")
    scale = "quick" if args.quick else args.scale
    if args.n_jobs is not None:
        from sims._common import check_n_jobs

        check_n_jobs(args.n_jobs)
    if args.no_run and args.force:
        raise CLIError("--no-run and --force are exclusive")
    from sims._runner import check_backend

    check_backend(args.backend, args.dask_scheduler)
    run_flags = ("--backend", args.backend) + (("--dask-scheduler", args.dask_scheduler) if args.dask_scheduler else ())
    try:
        entries = resolve_names(args.names)
    except KeyError as exc:
        names = ", ".join(e.name for e in MANIFEST)
        raise CLIError(f"unknown figure {exc.args[0]!r}; choose a simulation ({names}) or an output stem "
                       "listed by python -m figures --list") from None
    root = args.results_dir
    out_dir = args.out if args.out is not None else Path("figures") / "out" / scale
    if out_dir.exists() and not out_dir.is_dir():
        raise CLIError(f"--out {out_dir} exists and is not a directory")

    # 1. check everything before anything runs or is written
    plan: list[tuple[Entry, bool]] = []
    for e in entries:
        expected_config(e, scale, results_dir(e, scale, root))  # invalid manifest arguments: one line, exit 2
        st = result_status(e, scale, root)
        if not st.fresh and args.no_run:
            raise CLIError(f"{st.reason}; {_regen_hint(e, scale, root).replace(' --force', '')}")
        if st.state in ("corrupt", "stale") and not args.force:
            sys.stderr.write(f"figures: rerunning sims.{e.name}: {st.reason}\n")
        plan.append((e, args.force or not st.fresh))

    # 2. run what is needed and draw, one line per phase on stderr (a terminal, a log file or a pipe alike)
    written: list[Path] = []
    t_all = time.perf_counter()
    for k, (e, run_sim) in enumerate(plan, 1):
        t0 = time.perf_counter()
        if run_sim:
            log = results_dir(e, scale, root) / f"{e.name}.log"
            _note(args, f"[{k}/{len(plan)}] running sims.{e.name} at the {scale} scale (its progress: {log})")
        try:
            written += make_entry(e, scale, root, out_dir, n_jobs=args.n_jobs, run_sim=run_sim, force=args.force,
                                  run_flags=run_flags)
        except CLIError as exc:  # a result the plot could not read: never plot stale/partial data
            raise CLIError(f"{exc}; {_regen_hint(e, scale, root)}") from None
        what = "ran and plotted" if run_sim else "plotted (result fresh)"
        _note(args, f"[{k}/{len(plan)}] {e.name}: {what} in {time.perf_counter() - t0:.1f} s")
    _note(args, f"{len(plan)} simulation(s) done in {time.perf_counter() - t_all:.1f} s")
    for p in written:
        print(p)

    # 3. the reproduction report of whatever fresh results exist at this scale
    if not args.no_report:
        from figures.report import write_report

        path = write_report(out_dir / "reproduction.md", scale=scale, results_root=root, figures_dir=out_dir)
        print(path)
    return 0


def _entry_point(argv=None) -> int:
    try:
        return _main(argv)
    except FigureError as exc:
        sys.stderr.write(f"figures: error: {' '.join(str(exc).split())}\n")
        return 1


main = cli_entry(_entry_point, "python -m figures")

if __name__ == "__main__":
    raise SystemExit(main())
