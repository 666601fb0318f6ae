"""Test configuration: hypothesis profiles and small shared fixtures.

The default profile ("ci") is fast and deterministic (derandomised, no
deadline) so that the suite finishes well inside CI's budget on 2 cores.
Run the thorough profile locally with ``HYPOTHESIS_PROFILE=thorough``.
"""

import os

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


@pytest.fixture(scope="session")
def quick_run_checked(tmp_path_factory):
    """``python -m figures --quick`` into a temporary folder (every simulation runs once per session).

    Every figure saved is checked by :func:`figures._check.figure_problems` as it is drawn; returns
    ``(results root, figure folder, {figure stem: problems})``.
    """
    from figures._check import checking_figures
    from figures.__main__ import main
    from figures.manifest import MANIFEST

    root = tmp_path_factory.mktemp("figures")
    res, figs = root / "results", root / "figs"
    modules = sorted({e.plot().__module__ for e in MANIFEST if e.figures})
    with checking_figures(modules) as problems:
        rc = main(["--quick", "--results-dir", str(res), "--out", str(figs), "--no-progress"])
    assert rc == 0
    return res, figs, problems


@pytest.fixture(scope="session")
def quick_run(quick_run_checked):
    """``(results root, figure folder)`` of the session's ``python -m figures --quick``."""
    res, figs, _ = quick_run_checked
    return res, figs
