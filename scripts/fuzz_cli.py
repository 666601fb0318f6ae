"""Fuzz every command-line flag of the package with values a user might mistype.

For each CLI (``sims.*``, ``figures``, ``figures.report``) and each flag that
takes a value, every bad value of its kind is passed (with ``--quick`` where
the CLI has it, a temporary ``--out`` / ``--results-dir``) and the outcome is
classified:

* ``refused``: exit 2 with exactly one line on stderr and no traceback (good);
* ``ran``: exit 0 (the value is accepted; fine when it is in range);
* ``timeout``: still running after ``--timeout`` seconds (accepted, computing);
* ``BAD``: anything else (a traceback, another exit code, several lines).

Usage::

    python scripts/fuzz_cli.py [--timeout 60] [--jobs 2] [--only sims.maxmargin]

Prints one line per case and a summary; exit 1 if any case is ``BAD``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# values argparse itself refuses for a typed flag ("abc" for a float, "1.5" for an int) are left out:
# argparse's one-line error covers them uniformly
FLOAT_VALUES = ["-1", "0", "1e300", "nan", "1e-300"]
INT_VALUES = ["-5", "0", "10000000000"]
STR_VALUES = ["nonsense", "1,,2"]
SKIP = {"--out", "--results-dir", "--figures-dir", "--dask-scheduler", "--device", "-h", "--help"}


def _parsers():
    from figures.__main__ import build_parser
    from figures.manifest import MANIFEST
    from figures.report import _report_parser

    out = {"figures": build_parser(), "figures.report": _report_parser()}
    for e in MANIFEST:
        out[f"sims.{e.name}"] = importlib.import_module(f"sims.{e.name}").build_parser()
    return out


def cases(only: str | None = None):
    for prog, parser in _parsers().items():
        if only and prog != only:
            continue
        opts = parser._option_string_actions
        quick = ["--quick"] if "--quick" in opts else []
        seen = set()
        for option, action in sorted(opts.items()):
            if option in SKIP or id(action) in seen or action.nargs == 0 or not option.startswith("--"):
                continue
            seen.add(id(action))
            kind = action.type
            values = FLOAT_VALUES if kind is float else INT_VALUES if kind is int else STR_VALUES
            for v in values:
                yield prog, [*quick, option, v]


def run_case(prog: str, argv: list[str], timeout: float) -> tuple[str, str, list[str], str]:
    with tempfile.TemporaryDirectory() as tmp:
        where = ["--results-dir", tmp, "--out", tmp] if prog == "figures" else (
            ["--out", tmp] if prog.startswith("sims.") else ["--figures-dir", tmp])
        if prog == "figures.report":
            where = []
        cmd = [sys.executable, "-m", prog, *argv, *where]
        if prog.startswith("sims."):
            cmd.append("--no-plot")
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp,
                               env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        except subprocess.TimeoutExpired:
            return "timeout", prog, argv, ""
    err = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    if r.returncode == 2 and len(err) == 1 and "Traceback" not in r.stderr:
        return "refused", prog, argv, err[0]
    if r.returncode == 0 and "Traceback" not in r.stderr:
        return "ran", prog, argv, ""
    last = err[-1] if err else "(no stderr)"
    return "BAD", prog, argv, f"rc={r.returncode}, {len(err)} stderr line(s), last: {last}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default: 60)")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (default: 2)")
    ap.add_argument("--only", default=None, help="one CLI, e.g. sims.maxmargin")
    args = ap.parse_args(argv)
    todo = list(cases(args.only))
    print(f"{len(todo)} cases", flush=True)
    counts: dict[str, int] = {}
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        for status, prog, av, msg in pool.map(lambda c: run_case(*c, args.timeout), todo):
            counts[status] = counts.get(status, 0) + 1
            print(f"{status:8s} {prog} {' '.join(repr(a) if a == '' else a for a in av)}  {msg}", flush=True)
    print("summary: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 1 if counts.get("BAD") else 0


if __name__ == "__main__":
    raise SystemExit(main())
