import math

import numpy as np
import torch
from hypothesis import example, given
from hypothesis import strategies as st
import pytest

from theory.ntxent import nt_xent


def _reference(z1: np.ndarray, z2: np.ndarray, tau: float, normalize: bool = True) -> float:
    """Straightforward loops over eq. (1) of Li & Pimentel-Alarcon (raw inner products if not normalize)."""
    z = np.concatenate([z1, z2])
    if normalize:
        z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n2 = z.shape[0]
    n = n2 // 2
    total = 0.0
    for i in range(n2):
        j = (i + n) % n2
        logits = [float(z[i] @ z[k]) / tau for k in range(n2) if k != i]
        m = max(logits)  # log-sum-exp by hand: raw inner products reach logits of several hundred
        total += m + math.log(sum(math.exp(x - m) for x in logits)) - float(z[i] @ z[j]) / tau
    return total / n2


@given(n=st.integers(2, 7), d=st.integers(1, 5), tau=st.floats(0.1, 5.0), seed=st.integers(0, 10_000),
       normalize=st.booleans(), scale=st.floats(0.2, 3.0))
@example(n=2, d=1, tau=0.1, seed=0, normalize=True, scale=1.0)  # smallest batch, cosines +-1
@example(n=3, d=2, tau=0.5, seed=1, normalize=False, scale=3.0)  # raw inner products, large norms
@example(n=4, d=4, tau=0.1, seed=4, normalize=False, scale=2.84375)  # thorough profile: a naive exp/log reference underflows
def test_matches_reference(n, d, tau, seed, normalize, scale):
    rng = np.random.default_rng(seed)
    z1, z2 = scale * rng.standard_normal((2, n, d))
    got = nt_xent(torch.tensor(z1), torch.tensor(z2), tau, normalize=normalize).item()
    assert got == pytest.approx(_reference(z1, z2, tau, normalize), rel=1e-10, abs=1e-10)


def test_normalize_false_is_not_scale_invariant_and_normalize_true_is():
    rng = np.random.default_rng(3)
    z1, z2 = (torch.tensor(a) for a in rng.standard_normal((2, 5, 4)))
    assert nt_xent(2 * z1, 2 * z2, 0.5).item() == pytest.approx(nt_xent(z1, z2, 0.5).item(), rel=1e-12)
    assert abs(nt_xent(2 * z1, 2 * z2, 0.5, normalize=False).item() - nt_xent(z1, z2, 0.5, normalize=False).item()) > 1e-3


@given(n=st.integers(2, 50), tau=st.floats(0.05, 10.0))
@example(n=2, tau=0.05)
@example(n=50, tau=10.0)
def test_identical_embeddings_give_log_2n_minus_1(n, tau):
    z = torch.ones(n, 3, dtype=torch.float64)
    assert nt_xent(z, z.clone(), tau).item() == pytest.approx(math.log(2 * n - 1), rel=1e-12)


def test_bad_input():
    z = torch.zeros(1, 3)
    with pytest.raises(ValueError, match="N must be >= 2"):
        nt_xent(z, z)
    with pytest.raises(ValueError, match=r"^tau must be in \(0, inf\)"):
        nt_xent(torch.ones(2, 2), torch.ones(2, 2), tau=0.0)
    with pytest.raises(ValueError, match="equal shapes"):
        nt_xent(torch.ones(2, 2), torch.ones(3, 2))


def test_default_temperature_is_one_half():
    rng = np.random.default_rng(0)
    z1, z2 = (torch.tensor(a) for a in rng.standard_normal((2, 4, 3)))
    assert nt_xent(z1, z2).item() == pytest.approx(_reference(z1.numpy(), z2.numpy(), 0.5), rel=1e-12)


def test_every_intermediate_lives_on_the_inputs_device():
    """The 'meta' device stands in for a GPU in CI: a mask or index built on the CPU would fail to combine."""
    z = torch.empty(5, 3, device="meta")
    out = nt_xent(z, z, 0.3)
    assert out.device.type == "meta" and out.shape == ()
