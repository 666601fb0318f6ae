"""Mutation testing of one ``theory/`` module at a time (mutmut), with only the tests that cover it.

Usage::

    python scripts/mutation.py phase                  # theory/phase.py
    python scripts/mutation.py phase infonce --max-children 2
    python scripts/mutation.py phase --tests tests/test_phase.py tests/test_population_loss.py

For each module it copies the project into ``.mutation/<module>/`` (so runs of
different modules never share a ``mutants/`` folder and the checkout is left
alone), writes the ``[mutmut]`` section of ``setup.cfg`` there with
``only_mutate = theory/<module>.py`` and the test selection, runs
``mutmut run`` (mutmut maps every test to the functions it calls and runs,
for each mutant, only the tests that reach the mutated function), and prints
one line per module::

    theory/phase.py: 118 mutants, 112 killed, 2 survived, 4 timeout/suspicious ... score 96.6%

and the names of the survivors (``mutmut show NAME`` inside
``.mutation/<module>/`` prints the diff).  The tests used by default are
``tests/test_<module>.py`` only (the mirror of the module: the score says
how well a module's own tests pin it down); ``--importers`` adds every other
test file that imports from ``theory.<module>``, except the end-to-end
simulation tests (listed in ``SLOW``).
"""

from __future__ import annotations

import argparse
import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPY = ["theory", "sims", "figures", "tests", "setup.cfg", "pyproject.toml"]
SLOW = {"test_figures.py", "test_deep_fusion_toy.py", "test_projector_e2e.py", "test_phase_diagram.py",
        "test_sims_maxmargin.py", "test_fusion_theory.py", "test_phase_train.py", "test_common.py"}


def tests_for(module: str, *, importers: bool = False) -> list[str]:
    """``tests/test_<module>.py``; with ``importers``, also every other fast test file importing the module."""
    own = ROOT / "tests" / f"test_{module.lstrip('_')}.py"  # theory/_validation.py -> tests/test_validation.py
    out = [own] if own.exists() else []
    if importers:
        pattern = re.compile(rf"^\s*(from theory\.{module} import|import theory\.{module}\b)", re.M)
        for f in sorted((ROOT / "tests").glob("test_*.py")):
            if f != own and f.name not in SLOW and pattern.search(f.read_text()):
                out.append(f)
    return [str(f.relative_to(ROOT)) for f in out]


def results(work: Path) -> dict[str, list[str]]:
    """``{status: [mutant names]}`` of a finished run in ``work`` (``mutmut results --all true``)."""
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    res = subprocess.run([mutmut, "results", "--all", "true"], cwd=work, capture_output=True, text=True, check=False)
    status: dict[str, list[str]] = {}
    for line in res.stdout.splitlines():
        if ":" in line:
            name, st = line.rsplit(":", 1)
            status.setdefault(st.strip(), []).append(name.strip())
    return status


def run(module: str, tests: list[str], max_children: int) -> dict:
    work = ROOT / ".mutation" / module
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", "out"))
        elif src.exists():
            shutil.copy2(src, work / name)
    cfg = configparser.ConfigParser()
    cfg.read(work / "setup.cfg")
    cfg["mutmut"]["only_mutate"] = f"theory/{module}.py"
    cfg["mutmut"]["pytest_add_cli_args_test_selection"] = "\n" + "\n".join(tests)
    with open(work / "setup.cfg", "w") as fh:
        cfg.write(fh)
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    subprocess.run([mutmut, "run", "--max-children", str(max_children)], cwd=work, check=False)
    return results(work)


def a_sub(line: str) -> str:
    m = re.search(r'einsum\("([^"]+)"', line)
    return m.group(1) if m else ""


def _strip(x: str) -> str:
    return re.sub(r"\s+", "", x)


def equivalent_reason(before: str, after: str) -> str | None:
    """Why the mutation ``before -> after`` (one source line) cannot change any output, or None."""
    b, a = _strip(before), _strip(after)
    if a_sub(before) and a_sub(after) == a_sub(before).upper() and b.replace(a_sub(before), a_sub(after)) == a:
        return "einsum subscripts upper-cased: the same contraction"
    for default in ("axis=0", "dim=0", "dim=1"):  # the default value of the argument removed
        for call in ("concatenate(", "torch.cat(", "F.normalize(", "np.stack("):
            if call in b and b.replace("," + default + ")", ",)") == a:
                if (call, default) in (("concatenate(", "axis=0"), ("torch.cat(", "dim=0"), ("F.normalize(", "dim=1"), ("np.stack(", "axis=0")):
                    return f"{call[:-1]}'s default is {default}"
    if b.lower() == a.lower() and ('"inf"' in b.lower() or '"-inf"' in b.lower()) and b.replace('inf"', 'INF"') == a:
        return "float('INF') is float('inf')"
    if b.replace("np.finfo(float)", "np.finfo(None)") == a or b.replace("np.finfo(np.float64)", "np.finfo(None)") == a:
        return "np.finfo(None) is float64's finfo"
    if "%(2*n)" in b and b.replace("+n)%(2*n)", "-n)%(2*n)") == a:
        return "(i + n) mod 2n == (i - n) mod 2n"
    if re.search(r"\[idx,idx\+n\]", b) and b.replace("[idx,idx+n]", "[idx,idx-n]") == a:
        return "index idx - n (in [-n, 0)) wraps to idx + n on an axis of length 2n"
    return None


def survivor_diff(work: Path, name: str) -> tuple[str, str]:
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    out = subprocess.run([mutmut, "show", name], cwd=work, capture_output=True, text=True, check=False).stdout
    minus = [l[1:] for l in out.splitlines() if l.startswith("-") and not l.startswith("---")]
    plus = [l[1:] for l in out.splitlines() if l.startswith("+") and not l.startswith("+++")]
    return ("\n".join(minus), "\n".join(plus))


def report(module: str, status: dict[str, list[str]], *, list_survivors: bool = True, work: Path | None = None) -> None:
    killed = len(status.get("killed", []))
    timeout = len(status.get("timeout", []))  # a mutant that hangs the tests is detected
    survived = status.get("survived", []) + status.get("no tests", [])  # a mutant no test reaches survives
    other = {k: len(v) for k, v in status.items() if k not in ("killed", "survived", "timeout", "no tests")}
    total = sum(len(v) for v in status.values())
    equivalent = {}
    if work is not None:
        for name in status.get("survived", []):
            reason = equivalent_reason(*survivor_diff(work, name))
            if reason:
                equivalent[name] = reason
    scored = killed + timeout + len(survived) - len(equivalent)
    score = 100.0 * (killed + timeout) / scored if scored else float("nan")
    print(f"theory/{module}.py: {total} mutants, {killed} killed, {timeout} timed out, {len(survived)} survived "
          f"({len(status.get('no tests', []))} reached by no test, {len(equivalent)} equivalent), other {other}; "
          f"score {score:.1f}% ((killed + timed out) / non-equivalent)", flush=True)
    if list_survivors:
        for name in survived:
            print(f"  survived: {name}" + (f"  [equivalent: {equivalent[name]}]" if name in equivalent else ""))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="+", help="theory module names, e.g. phase infonce (or theory/phase.py)")
    ap.add_argument("--tests", nargs="*", default=None, help="test files to run (default: see module docstring)")
    ap.add_argument("--importers", action="store_true", help="also run the other test files importing the module")
    ap.add_argument("--max-children", type=int, default=2, help="parallel mutant runs (default: 2)")
    ap.add_argument("--summary", action="store_true", help="only summarise the finished runs in .mutation/")
    ap.add_argument("--list", action="store_true", help="with --summary: list the survivors")
    args = ap.parse_args(argv)
    if args.summary:
        for raw in args.modules:
            work = ROOT / ".mutation" / Path(raw).stem
            if work.exists():
                report(Path(raw).stem, results(work), list_survivors=args.list, work=work)
        return 0
    for raw in args.modules:
        module = Path(raw).stem
        if not (ROOT / "theory" / f"{module}.py").exists():
            print(f"mutation: no module theory/{module}.py", file=sys.stderr)
            return 2
        tests = args.tests or tests_for(module, importers=args.importers)
        if not tests:  # mutmut would run the whole suite: refuse instead
            print(f"mutation: no test file for theory/{module}.py; name them with --tests", file=sys.stderr)
            return 2
        print(f"theory/{module}.py: tests {' '.join(tests)}", flush=True)
        report(module, run(module, tests, args.max_children), work=ROOT / ".mutation" / module)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
