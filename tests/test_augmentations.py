import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from theory.augmentations import (
    ImageAugment,
    VectorAugment,
    feature_dropout,
    gaussian_noise,
    identity,
    random_affine,
    random_shift,
)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_gaussian_noise_moments():
    """Mean 0 and std sigma within 4 standard errors over 200k draws."""
    x = torch.zeros(400, 500, dtype=torch.float64)
    e = gaussian_noise(x, 0.3, gen(0))
    n = e.numel()
    assert abs(e.mean().item()) < 4 * 0.3 / np.sqrt(n)
    # sd of the sample variance of a normal: sigma^2 sqrt(2 / n)
    assert abs(e.var().item() - 0.09) < 4 * 0.09 * np.sqrt(2 / n)
    assert gaussian_noise(x, 0.0, gen(0)) is x


@given(p=st.floats(0.05, 0.95), seed=st.integers(0, 1000))
@example(p=0.05, seed=0)
@example(p=0.95, seed=1000)
def test_feature_dropout_rate_and_rescaling(p, seed):
    x = torch.ones(100, 100, dtype=torch.float64)
    out = feature_dropout(x, p, gen(seed))
    dropped = (out == 0).double().mean().item()
    assert abs(dropped - p) < 4 * np.sqrt(p * (1 - p) / x.numel())
    scaled = feature_dropout(x, p, gen(seed), rescale=True)
    torch.testing.assert_close(scaled, out / (1 - p))


def _shift_reference(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """out[i, j] = img[i - dy, j - dx] where that pixel exists, else 0 (loops)."""
    c, h, w = img.shape
    out = np.zeros_like(img)
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[:, i, j] = img[:, i - dy, j - dx]
    return out


@given(s=st.integers(0, 3), seed=st.integers(0, 1000))
@example(s=0, seed=0)
@example(s=3, seed=1000)
def test_random_shift_is_an_integer_translation(s, seed):
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.standard_normal((5, 2, 6, 7)))
    out = random_shift(x, s, gen(seed)).numpy()
    offsets = [(dy, dx) for dy in range(-s, s + 1) for dx in range(-s, s + 1)]
    for b in range(5):
        assert any(np.array_equal(out[b], _shift_reference(x[b].numpy(), dy, dx)) for dy, dx in offsets)
    # all (2s + 1)^2 offsets occur over many images (each with probability 1/9 when s = 1: P(miss) < 9 (8/9)^300)
    if s == 1:
        imgs = rng.standard_normal((300, 1, 4, 4))
        many = random_shift(torch.as_tensor(imgs), 1, gen(seed)).numpy()
        seen = {o for b in range(300) for o in offsets if np.array_equal(many[b], _shift_reference(imgs[b], *o))}
        assert seen == set(offsets)


@pytest.mark.parametrize("seed", [0, 4, 9])
def test_random_affine_rotation_matches_scipy_at_the_drawn_angle(seed):
    """An anisotropic image (two elongated off-centre blobs) against scipy.ndimage.rotate (bilinear) at the
    angle the generator draws (u[0] * max_rotation in degrees, u uniform on [-1, 1]); interior pixels."""
    import scipy.ndimage as ndi

    H = 24
    yy, xx = np.meshgrid(np.arange(H, dtype=float), np.arange(H, dtype=float), indexing="ij")
    img = np.exp(-((yy - 8) ** 2 / 4 + (xx - 13) ** 2 / 30)) + 0.5 * np.exp(-((yy - 16) ** 2 / 10 + (xx - 9) ** 2 / 3))
    x = torch.tensor(img)[None, None].repeat(3, 1, 1, 1)
    out = random_affine(x, gen(seed), max_rotation_deg=40.0, max_scale=0.0).numpy()
    angles = (torch.rand((4, 3), generator=gen(seed), dtype=torch.float64) * 2 - 1)[0].numpy() * 40.0
    inside = (yy - (H - 1) / 2) ** 2 + (xx - (H - 1) / 2) ** 2 < (H / 2 - 3) ** 2  # away from the zero padding
    for b in range(3):
        ref = ndi.rotate(img, angles[b], reshape=False, order=1, mode="constant")
        np.testing.assert_allclose(out[b, 0][inside], ref[inside], atol=1e-12)
        # and not the opposite rotation (the image is not symmetric)
        if abs(angles[b]) > 5:
            wrong = ndi.rotate(img, -angles[b], reshape=False, order=1, mode="constant")
            assert np.abs(out[b, 0] - wrong)[inside].max() > 0.05


def test_random_affine_identity_and_small_jitter():
    x = torch.rand(8, 1, 8, 8, generator=gen(1), dtype=torch.float64)
    assert random_affine(x, gen(0), max_rotation_deg=0.0, max_scale=0.0) is x
    tiny = random_affine(x, gen(0), max_rotation_deg=1e-7, max_scale=1e-9)
    torch.testing.assert_close(tiny, x, atol=1e-6, rtol=0)
    # a centred blob keeps its mass under small rotations/scalings (bilinear resampling, nothing leaves)
    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    blob = torch.exp(-((yy - 7.5) ** 2 + (xx - 7.5) ** 2) / 8.0).to(torch.float64)[None, None].repeat(4, 1, 1, 1)
    out = random_affine(blob, gen(3), max_rotation_deg=10.0, max_scale=0.05)
    ratio = out.sum((1, 2, 3)) / blob.sum((1, 2, 3))
    # the Jacobian of a scaling by s in [0.95, 1.05] changes the mass by s^2
    assert bool(((ratio > 0.95**2 - 0.02) & (ratio < 1.05**2 + 0.02)).all())


@pytest.mark.parametrize("aug, shape", [(VectorAugment(0.2, 0.1), (6, 5)), (ImageAugment(1, 10, 0.1, 0.1), (6, 1, 8, 8))])
def test_composed_augmentations_are_seeded(aug, shape):
    x = torch.randn(shape, generator=gen(0))
    a, b, c = aug(x, gen(5)), aug(x, gen(5)), aug(x, gen(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape
    assert identity(x, gen(0)) is x


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gaussian_noise(torch.zeros(2), -1.0), "sigma"),
        (lambda: feature_dropout(torch.zeros(2), 1.0), "p must be in"),
        (lambda: random_shift(torch.zeros(2, 3), 1), "images must be"),
        (lambda: random_shift(torch.zeros(1, 1, 4, 4), -1), "max_shift"),
        (lambda: random_affine(torch.zeros(1, 1, 4, 4), max_scale=1.0), "max_scale"),
        (lambda: VectorAugment(noise=-0.1), "noise"),
        (lambda: ImageAugment(max_shift=-1), "max_shift"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
