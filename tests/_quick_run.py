"""``python -m figures --quick`` with every saved figure checked, as a script (run in the background by conftest).

Usage: ``python tests/_quick_run.py ROOT``.  Writes results to ``ROOT/results``, figures to
``ROOT/figs`` and ``{figure stem: [problems]}`` to ``ROOT/problems.json``, then ``{"rc": status}`` to
``ROOT/status.json`` (also after an exception), and exits with the run's status.
One worker (``--n-jobs 1``): the run shares the machine with the rest of the suite, and its results
are identical for any number of workers (``tests/test_runner.py``).
"""

import json
import sys
from pathlib import Path


def main(root: Path) -> int:
    from figures._check import checking_figures
    from figures.__main__ import main as figures_main
    from figures.manifest import MANIFEST

    modules = sorted({e.plot().__module__ for e in MANIFEST if e.figures})
    with checking_figures(modules) as problems:
        rc = figures_main(["--quick", "--results-dir", str(root / "results"), "--out", str(root / "figs"),
                           "--no-progress", "--n-jobs", "1"])
    (root / "problems.json").write_text(json.dumps(problems))
    return rc


def _write_status(root: Path, rc: int) -> None:
    """``ROOT/status.json`` written atomically last: the test processes wait for it."""
    tmp = root / "status.json.tmp"
    tmp.write_text(json.dumps({"rc": rc}))
    tmp.replace(root / "status.json")


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    root = Path(sys.argv[1])
    rc = 1
    try:
        rc = main(root)
    finally:
        _write_status(root, rc)
    raise SystemExit(rc)
