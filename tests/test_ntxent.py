import math

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
import pytest

from theory.ntxent import nt_xent


def _reference(z1: np.ndarray, z2: np.ndarray, tau: float) -> float:
    """Straightforward loops over eq. (1) of Li & Pimentel-Alarcon."""
    z = np.concatenate([z1, z2])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n2 = z.shape[0]
    n = n2 // 2
    total = 0.0
    for i in range(n2):
        j = (i + n) % n2
        denom = sum(math.exp(z[i] @ z[k] / tau) for k in range(n2) if k != i)
        total += -math.log(math.exp(z[i] @ z[j] / tau) / denom)
    return total / n2


@given(n=st.integers(2, 7), d=st.integers(1, 5), tau=st.floats(0.1, 5.0), seed=st.integers(0, 10_000))
def test_matches_reference(n, d, tau, seed):
    rng = np.random.default_rng(seed)
    z1, z2 = rng.standard_normal((2, n, d))
    got = nt_xent(torch.tensor(z1), torch.tensor(z2), tau).item()
    assert got == pytest.approx(_reference(z1, z2, tau), rel=1e-10, abs=1e-10)


@given(n=st.integers(2, 50), tau=st.floats(0.05, 10.0))
def test_identical_embeddings_give_log_2n_minus_1(n, tau):
    z = torch.ones(n, 3, dtype=torch.float64)
    assert nt_xent(z, z.clone(), tau).item() == pytest.approx(math.log(2 * n - 1), rel=1e-12)


def test_bad_input():
    z = torch.zeros(1, 3)
    with pytest.raises(ValueError, match="N must be >= 2"):
        nt_xent(z, z)
    with pytest.raises(ValueError, match="tau"):
        nt_xent(torch.ones(2, 2), torch.ones(2, 2), tau=0.0)
    with pytest.raises(ValueError, match="equal shapes"):
        nt_xent(torch.ones(2, 2), torch.ones(3, 2))
