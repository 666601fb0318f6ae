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


#: The session's ``python -m figures --quick`` runs once, in a background process (``tests/_quick_run.py``, one
#: core), as soon as a test needing it is collected; those tests are moved to the end of the run, by which time
#: it has usually finished.  With pytest-xdist (``-n 2``, the default in setup.cfg) the controller makes one
#: folder for the session and hands it to every worker; a worker that collects such a test leaves a note in it,
#: and the controller starts the run when the worker reports its collection.  The workers run at a lower CPU
#: priority (nice +10) than the run, so that it has a core to itself and is done before the tests that wait for
#: it.  The controller kills a run still going at the end and removes the folder.  Without xdist (``-n 0``) the
#: one process does all of that itself.
_QUICK_RUN_FIXTURE = "quick_run_checked"
_QUICK_RUN_TIMEOUT_S = 3600


def _quick_root(config) -> Path:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return Path(workerinput["quick_run_root"])
    if getattr(config, "_quick_root", None) is None:
        config._quick_root = Path(tempfile.mkdtemp(prefix="pytest-quick-run-"))
    return config._quick_root


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist controller: every worker gets the session's one quick-run folder."""
    node.workerinput["quick_run_root"] = str(_quick_root(node.config))


def pytest_configure(config):
    if getattr(config, "workerinput", None) is not None:
        try:
            os.nice(10)  # let the background quick run (started by the controller, nice 0) go first
        except OSError:  # pragma: no cover
            pass


def _start_quick_run(config) -> None:
    """Start the background quick run unless this session already has (a lock file decides)."""
    import fcntl

    root = _quick_root(config)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / "pid").exists():
            return
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        with open(root / "log.txt", "wb") as log:
            proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_quick_run.py")), str(root)],
                                    cwd=Path(__file__).resolve().parent.parent, stdout=log, stderr=subprocess.STDOUT,
                                    env=env, start_new_session=True)
        (root / "pid.tmp").write_text(str(proc.pid))
        (root / "pid.tmp").replace(root / "pid")  # readers never see a half-written file
        config._quick_proc = proc  # reaped by this process's unconfigure


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """xdist controller: a worker has collected; start the quick run if it left the note that a test needs it."""
    root = _quick_root(node.config)
    if (root / "needed").exists():
        _start_quick_run(node.config)


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
    if getattr(config, "workerinput", None) is not None:
        (_quick_root(config) / "needed").touch()  # the controller starts it (see above)
    else:
        _start_quick_run(config)


def pytest_unconfigure(config):
    if getattr(config, "workerinput", None) is not None:
        return  # an xdist worker: the controller owns the folder and any run still going
    root = getattr(config, "_quick_root", None)
    if root is None:
        return
    pid = root / "pid"
    if pid.exists() and not (root / "status.json").exists():  # interrupted or failed early: leave no process behind
        import signal

        try:
            os.killpg(int(pid.read_text()), signal.SIGKILL)
        except (ProcessLookupError, PermissionError, ValueError):
            pass
    proc = getattr(config, "_quick_proc", None)
    if proc is not None:
        proc.wait()
    shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        return True
    return True


@pytest.fixture(scope="session")
def quick_run_checked(pytestconfig):
    """``python -m figures --quick`` into a temporary folder (every simulation runs once per session).

    Every figure saved is checked by :func:`figures._check.figure_problems` as it is drawn; returns
    ``(results root, figure folder, {figure stem: problems})``.
    """
    import time

    root = _quick_root(pytestconfig)
    status, t0 = root / "status.json", time.monotonic()
    while not (root / "pid").exists():  # the controller starts it when a worker reports its collection
        assert time.monotonic() - t0 < 60, "the background quick run was not started at collection"
        time.sleep(0.2)
    proc = getattr(pytestconfig, "_quick_proc", None)
    pid = int((root / "pid").read_text())
    while not status.exists():
        gone = proc.poll() is not None if proc is not None else not _alive(pid)
        if gone and not status.exists():
            break  # it died without a status
        assert time.monotonic() - t0 < _QUICK_RUN_TIMEOUT_S, "the background quick run did not finish in time"
        time.sleep(0.5)
    log = (root / "log.txt").read_text(errors="replace")[-4000:]
    assert status.exists(), "python -m figures --quick died:\n" + log
    rc = json.loads(status.read_text())["rc"]
    assert rc == 0, "python -m figures --quick failed:\n" + log
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
