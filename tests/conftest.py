"""Test configuration: hypothesis profiles and small shared fixtures.

The default profile ("ci") is fast and deterministic (derandomised, no
deadline) so that the suite finishes well inside CI's budget on 2 cores.
Run the thorough profile locally with ``HYPOTHESIS_PROFILE=thorough``.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=500, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

try:  # keep torch single-threaded and deterministic in tests
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


#: The session's ``python -m figures --quick`` runs in a background process from the end of collection
#: (``tests/_quick_run.py``, one core) while the other tests run on the other; the tests that need it
#: are moved to the end of the run, by which time it has usually finished.
_QUICK_RUN_FIXTURE = "quick_run_checked"


def pytest_collection_modifyitems(session, config, items):
    if os.environ.get("MUTATION_SKIP_SLOW"):  # scripts/mutation.py --skip-slow: the fast tests only
        slow = [item for item in items if item.get_closest_marker("slow")]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if item not in slow]
    needs = [item for item in items if _QUICK_RUN_FIXTURE in getattr(item, "fixturenames", ())]
    if not needs:
        return
    items[:] = [item for item in items if item not in needs] + needs
    if config.getoption("collectonly"):
        return
    root = Path(tempfile.mkdtemp(prefix="pytest-quick-run-"))
    log = open(root / "log.txt", "wb")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_quick_run.py")), str(root)],
                            cwd=Path(__file__).resolve().parent.parent, stdout=log, stderr=subprocess.STDOUT, env=env)
    config._quick_run = (proc, root, log)


def pytest_unconfigure(config):
    started = getattr(config, "_quick_run", None)
    if started is not None:
        proc, root, log = started
        if proc.poll() is None:  # interrupted or failed early: leave no process behind
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def quick_run_checked(pytestconfig):
    """``python -m figures --quick`` into a temporary folder (every simulation runs once per session).

    Every figure saved is checked by :func:`figures._check.figure_problems` as it is drawn; returns
    ``(results root, figure folder, {figure stem: problems})``.
    """
    started = getattr(pytestconfig, "_quick_run", None)
    assert started is not None, "the background quick run was not started at collection"
    proc, root, log = started
    rc = proc.wait()
    log.flush()
    assert rc == 0, "python -m figures --quick failed:\n" + (root / "log.txt").read_text()[-4000:]
    problems = json.loads((root / "problems.json").read_text())
    return root / "results", root / "figs", problems


@pytest.fixture(scope="session")
def quick_run(quick_run_checked):
    """``(results root, figure folder)`` of the session's ``python -m figures --quick``."""
    res, figs, _ = quick_run_checked
    return res, figs


@pytest.fixture
def session_result(quick_run, tmp_path):
    """``session_result(name)``: a copy of the session's ``python -m figures --quick`` result folder of ``name``."""
    from figures.manifest import MANIFEST, results_dir

    def copy(name):
        res, _ = quick_run
        e = next(e for e in MANIFEST if e.name == name)
        return Path(shutil.copytree(results_dir(e, "quick", res), tmp_path / f"session-{name}"))

    return copy
