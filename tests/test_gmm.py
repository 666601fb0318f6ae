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


# ------------------------------------------------------------- the contract, pinned


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: sample_gmm(0, np.ones(2)), r"^n must be"),
        (lambda: sample_gmm(2, np.ones((2, 2))), r"^mu must be"),
        (lambda: sample_contrastive(3, np.ones(2), -0.1), r"^sigma2 must be in \[0, inf\)"),
        (lambda: augment(np.ones(3), 0.5), r"^h must be a 2-d array \(n, p\), got shape \(3,\)$"),
        (lambda: augment(np.ones((2, 3)), -1.0), r"^sigma2 must be in \[0, inf\)"),
        (lambda: augment(np.ones((2, 3)), 0.5, n_views=0), r"^n_views must be"),
        (lambda: sample_gmm_torch(0, np.ones(2)), r"^n must be"),
        (lambda: sample_gmm_torch(3, np.ones((2, 2))), r"^mu must be a finite 1-d vector$"),
        (lambda: sample_gmm_torch(3, np.array([1.0, np.nan])), r"^mu must be a finite 1-d vector$"),
        (lambda: augment_torch(torch.ones(2, 3), -1.0), r"^sigma2 must be in \[0, inf\)"),
        (lambda: augment_torch(torch.ones(2, 3), 0.5, n_views=0), r"^n_views must be"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_smallest_valid_inputs_and_defaults():
    """n = 1, n_views = 1, sigma2 = 0 and a zero mean (pure noise) are all valid; two views by default."""
    h, y = sample_gmm(1, np.zeros(3), seed=0)
    assert h.shape == (1, 3) and y.dtype == np.int64
    assert sample_gmm(4, np.ones(2), seed=0, balanced=True)[1].dtype == np.int64
    assert augment(np.ones((2, 3)), 0.0, seed=0).shape == (2, 2, 3)
    np.testing.assert_array_equal(augment(np.ones((2, 3)), 0.0, seed=0, n_views=1), np.ones((1, 2, 3)))
    ht, yt = sample_gmm_torch(1, np.ones(2), torch.Generator().manual_seed(0))
    assert ht.shape == (1, 2) and ht.dtype == torch.float32
    assert augment_torch(torch.ones(2, 3), 0.5, torch.Generator().manual_seed(0)).shape == (2, 2, 3)
    assert augment_torch(torch.ones(2, 3), 0.0, n_views=1).shape == (1, 2, 3)
    # the default is i.i.d. labels: over 20 seeds of n = 1000 some label sum leaves {-1, 0, 1}
    assert any(abs(int(sample_gmm(1000, np.ones(2), seed=s)[1].sum())) > 1 for s in range(20))


def test_odd_balanced_batch_draws_the_extra_label_at_random():
    extra = {int(sample_gmm(5, np.ones(2), seed=s, balanced=True)[1].sum()) for s in range(40)}
    assert extra == {-1, 1}  # P(one sign only in 40 seeds) = 2^-39


def test_torch_samplers_use_their_generator_only_and_keep_the_dtype():
    mu = torch.tensor([1.0, -2.0], dtype=torch.float64)
    out = []
    for global_seed in (0, 1):
        torch.manual_seed(global_seed)  # the global RNG must not matter
        h, y = sample_gmm_torch(50, mu, torch.Generator().manual_seed(7), dtype=torch.float64)
        v = augment_torch(h, 0.3, torch.Generator().manual_seed(8))
        out.append((h, y, v))
    assert torch.equal(out[0][0], out[1][0]) and torch.equal(out[0][1], out[1][1]) and torch.equal(out[0][2], out[1][2])
    assert out[0][0].dtype == torch.float64 and out[0][2].dtype == torch.float64
    h2, _ = sample_gmm_torch(50, mu, torch.Generator().manual_seed(8), dtype=torch.float64)
    assert not torch.equal(h2, out[0][0])
    # h - y mu is the noise: its law is N(0, I) whatever the labels (checked on a large draw)
    h, y = sample_gmm_torch(40_000, mu, torch.Generator().manual_seed(1), dtype=torch.float64)
    g = (h - y[:, None].double() * mu).numpy()
    assert np.all(np.abs(g.mean(0)) < 5 / np.sqrt(40_000))
    assert set(y.unique().tolist()) == {-1, 1} and abs(float(y.double().mean())) < 5 / np.sqrt(40_000)


def test_contrastive_sample_fields_are_consistent():
    """h is the clean feature of y (h.mu has the sign of y mostly), h1 - h and h2 - h are the augmentation noise,
    and y_neg labels the negative's clean feature."""
    mu = np.array([3.0, 0.0])
    s = sample_contrastive(4000, mu, 0.25, seed=2)
    assert s.h.shape == s.h1.shape == s.h2.shape == s.h_neg.shape == (4000, 2)
    assert np.mean(np.sign(s.h @ mu) == s.y) > 0.99  # Phi(3) = 0.9987
    assert np.mean(np.sign(s.h_neg @ mu) == s.y_neg) > 0.99
    for view in (s.h1, s.h2):
        assert abs(float((view - s.h).var()) - 0.25) < 5 * 0.25 * np.sqrt(2 / 8000)


def test_torch_noise_is_drawn_in_the_requested_precision():
    """float64 in, float64 noise out: a float32 draw upcast to float64 would be exactly representable in float32."""
    mu = torch.tensor([1.0, -2.0], dtype=torch.float64)
    h, y = sample_gmm_torch(500, mu, torch.Generator().manual_seed(3), dtype=torch.float64)
    g = (h - y[:, None].double() * mu).numpy()
    assert np.mean(g.astype(np.float32).astype(np.float64) != g) > 0.99
    v = augment_torch(h, 0.5, torch.Generator().manual_seed(4))
    noise = (v - h).numpy()
    assert v.dtype == torch.float64 and np.mean(noise.astype(np.float32).astype(np.float64) != noise) > 0.99


def test_augment_torch_draws_on_the_inputs_device():
    """The 'meta' device stands in for a GPU in CI: noise drawn on the CPU could not be added to it."""
    v = augment_torch(torch.empty(3, 2, device="meta", dtype=torch.float64), 0.5, None, n_views=2)
    assert v.device.type == "meta" and v.shape == (2, 3, 2) and v.dtype == torch.float64
