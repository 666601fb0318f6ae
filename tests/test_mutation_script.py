"""The mutation-testing driver's statistics: the interval printed for a sampled score."""

import importlib.util
from pathlib import Path

import pytest
from scipy.stats import binomtest

_spec = importlib.util.spec_from_file_location("mutation", Path(__file__).resolve().parents[1] / "scripts" / "mutation.py")
mutation = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutation)


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (90, 100), (149, 150), (150, 150), (1, 1)])
def test_wilson_interval_against_scipy(k, n):
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = mutation.wilson_interval(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-4) and hi == pytest.approx(ci.high, abs=1e-4)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
