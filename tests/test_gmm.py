import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from theory.gmm import augment, augment_torch, sample_contrastive, sample_gmm, sample_gmm_torch


def test_sample_gmm_moments():
    mu = np.array([1.5, -0.5, 0.0])
    h, y = sample_gmm(40_000, mu, seed=0)
    # E[y h] = mu, Cov(h - y mu) = I: compare with 5 standard errors
    se = 1 / np.sqrt(h.shape[0])
    assert np.all(np.abs((y[:, None] * h).mean(0) - mu) < 5 * se)
    g = h - y[:, None] * mu
    assert np.allclose(np.cov(g.T), np.eye(3), atol=5 * np.sqrt(2) * se)
    assert abs(y.mean()) < 5 * se


@given(n=st.integers(1, 9))
@example(n=1)
@example(n=9)
def test_balanced_labels(n):
    _, y = sample_gmm(n, np.ones(2), seed=n, balanced=True)
    assert abs(int(y.sum())) <= 1 and set(np.unique(y)) <= {-1, 1}


def test_contrastive_views_law():
    mu = np.array([1.0, 0.0])
    sigma2 = 0.7
    s = sample_contrastive(50_000, mu, sigma2, seed=1)
    se = 1 / np.sqrt(50_000)
    # views differ by N(0, 2 sigma2 I); the negative is independent of h1
    d = s.h1 - s.h2
    # the variance of a sample variance of N(0, v) is 2 v^2 / n: 5 of its standard errors
    v = 2 * sigma2
    assert np.allclose(d.var(0), v, atol=5 * np.sqrt(2) * v * se)
    assert np.allclose(d.mean(0), 0.0, atol=5 * np.sqrt(v) * se)
    c = np.corrcoef(s.h1[:, 0], s.h_neg[:, 0])[0, 1]
    assert abs(c) < 5 * se
    # Var(h1) = ||mu||^2 (class mean, coordinate 0) + 1 + sigma2; each is a variance of a non-Gaussian
    # (coordinate 0: mixture) variable: sd of the sample variance = sqrt((m4 - v^2) / n), m4 from the law
    var = np.array([1 + sigma2 + 1.0, 1 + sigma2])
    g4 = 3 * (1 + sigma2) ** 2  # fourth moment of N(0, 1 + sigma2)
    m4 = np.array([1.0 + 6 * (1 + sigma2) + g4, g4])  # E(y + g)^4 with y = +-1
    assert np.all(np.abs(s.h1.var(0) - var) < 5 * np.sqrt((m4 - var**2) / 50_000))


def test_reproducible_bit_for_bit():
    a = sample_contrastive(7, np.ones(3), 0.5, seed=3)
    b = sample_contrastive(7, np.ones(3), 0.5, seed=3)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


def test_bad_input():
    with pytest.raises(ValueError, match="n must be"):
        sample_gmm(0, np.ones(2))
    with pytest.raises(ValueError, match="sigma2"):
        augment(np.ones((2, 2)), -0.1)
    with pytest.raises(ValueError, match="mu must contain only finite"):
        sample_gmm(3, [np.nan, 1.0])


def test_torch_variant_matches_law():
    g = torch.Generator().manual_seed(0)
    mu = torch.tensor([2.0, 0.0])
    h, y = sample_gmm_torch(20_000, mu, g)
    assert h.shape == (20_000, 2) and set(y.unique().tolist()) == {-1, 1}
    se = 1 / np.sqrt(20_000)  # sd of the mean of y h (unit-variance noise)
    assert torch.allclose((y[:, None] * h).mean(0), mu, atol=5 * se)
    v = augment_torch(h, 0.25, g)
    assert v.shape == (2, 20_000, 2)
    # the view difference is N(0, 0.5 I): its sample variance (mean of 2 coordinates) has sd 0.5 sqrt(2 / (2 n))
    assert abs(float((v[0] - v[1]).var(0).mean()) - 0.5) < 5 * 0.5 * np.sqrt(1 / 20_000)
