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


def _affine_reference(img: np.ndarray, angle_deg: float, scale: float, tx: float, ty: float) -> np.ndarray:
    """scipy.ndimage.affine_transform (bilinear, zero outside) for the map random_affine documents: an output
    pixel samples the input at R(angle) / scale applied about the centre, shifted by (tx, ty) half-widths."""
    import scipy.ndimage as ndi

    H, W = img.shape
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a) / scale, np.sin(a) / scale
    # (x, y) = (col, row): x_in = c x - s y + tx W/2, y_in = s x + c y + ty H/2 about the centre
    M = np.array([[c, s], [-s, c]])  # acts on (row, col)
    centre = np.array([(H - 1) / 2, (W - 1) / 2])
    offset = centre - M @ centre + np.array([ty * H / 2, tx * W / 2])
    return ndi.affine_transform(img, M, offset=offset, order=1, mode="constant", cval=0.0)


@pytest.mark.parametrize("seed", [1, 7])
def test_random_affine_matches_scipy_for_rotation_scale_and_translation_together(seed):
    """All three jitters at once, against scipy at the parameters the generator draws (u = 2 rand - 1:
    angle u0 * max_rotation, scale 1 + u1 * max_scale, translation (u2, u3) * max_translate); interior
    pixels.  A scale applied the wrong way, a swapped translation or a non-similarity map differs."""
    H = 24
    yy, xx = np.meshgrid(np.arange(H, dtype=float), np.arange(H, dtype=float), indexing="ij")
    img = np.exp(-((yy - 9) ** 2 / 5 + (xx - 13) ** 2 / 20)) + 0.5 * np.exp(-((yy - 15) ** 2 / 8 + (xx - 8) ** 2 / 3))
    x = torch.tensor(img)[None, None].repeat(4, 1, 1, 1)
    rot, sc, tr = 25.0, 0.3, 0.2
    out = random_affine(x, gen(seed), max_rotation_deg=rot, max_scale=sc, max_translate=tr).numpy()
    u = (torch.rand((4, 4), generator=gen(seed), dtype=torch.float64) * 2 - 1).numpy()
    inside = (yy - (H - 1) / 2) ** 2 + (xx - (H - 1) / 2) ** 2 < (H / 2 - 6) ** 2
    for b in range(4):
        ref = _affine_reference(img, u[0, b] * rot, 1 + u[1, b] * sc, u[2, b] * tr, u[3, b] * tr)
        np.testing.assert_allclose(out[b, 0][inside], ref[inside], atol=1e-10)


def test_random_affine_defaults_are_ten_degrees_and_ten_percent():
    x = torch.rand(5, 1, 8, 8, generator=gen(2), dtype=torch.float64)
    torch.testing.assert_close(random_affine(x, gen(4)),
                               random_affine(x, gen(4), max_rotation_deg=10.0, max_scale=0.1, max_translate=0.0))


def test_gaussian_noise_has_the_input_precision_and_dropout_zero_is_the_identity():
    """float64 input gets float64 noise (not float32 noise cast up: those values would survive a round trip
    through float32); p = 0 returns the input object itself."""
    x = torch.zeros(50, 50, dtype=torch.float64)
    noise = gaussian_noise(x, 1.0, gen(3))
    assert noise.dtype == torch.float64 and bool((noise.float().double() != noise).any())
    assert feature_dropout(x, 0.0, gen(0)) is x
    kept = feature_dropout(torch.ones(20, 20, dtype=torch.float64), 0.5, gen(1))
    assert kept.dtype == torch.float64 and set(kept.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("call, match", [
    (lambda: gaussian_noise(torch.zeros(2), -1.0), r"^sigma must be"),
    (lambda: feature_dropout(torch.zeros(2), -0.1), r"^p must be in \[0, 1\)"),
    (lambda: random_shift(torch.zeros(2, 3), 1), r"^images must be a tensor of shape \(n, C, H, W\), got torch\.Size\(\[2, 3\]\)$"),
    (lambda: random_shift([[1.0]], 1), r"^images must be a tensor of shape \(n, C, H, W\), got <class 'list'>$"),
    (lambda: random_shift(torch.zeros(1, 1, 4, 4), -1), r"^max_shift must be"),
    (lambda: random_affine(torch.zeros(1, 1, 4, 4), max_rotation_deg=-1.0), r"^max_rotation_deg must be in \[0, 180\]"),
    (lambda: random_affine(torch.zeros(1, 1, 4, 4), max_rotation_deg=180.5), r"^max_rotation_deg must be in \[0, 180\]"),
    (lambda: random_affine(torch.zeros(1, 1, 4, 4), max_scale=-0.1), r"^max_scale must be in \[0, 1\)"),
    (lambda: random_affine(torch.zeros(1, 1, 4, 4), max_translate=-0.1), r"^max_translate must be in \[0, 1\]"),
    (lambda: random_affine(torch.zeros(1, 1, 4, 4), max_translate=1.5), r"^max_translate must be in \[0, 1\]"),
])
def test_bad_input_names_the_parameter_and_its_range(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_range_ends_are_accepted():
    x = torch.rand(2, 1, 6, 6, generator=gen(0), dtype=torch.float64)
    assert random_affine(x, gen(0), max_rotation_deg=180.0, max_scale=0.0, max_translate=1.0).shape == x.shape


def test_composed_augmentations_apply_their_parts_in_order_with_one_generator():
    """VectorAugment = dropout then noise; ImageAugment = shift, affine (rotation and scale), noise; all from
    one generator in that order (an independent re-composition of the parts gives the same tensor)."""
    x = torch.randn(6, 5, generator=gen(0), dtype=torch.float64)
    g = gen(5)
    want = gaussian_noise(feature_dropout(x, 0.3, g), 0.2, g)
    torch.testing.assert_close(VectorAugment(noise=0.2, dropout=0.3)(x, gen(5)), want, rtol=0, atol=0)
    img = torch.rand(4, 1, 8, 8, generator=gen(1), dtype=torch.float64)
    g = gen(9)
    want = gaussian_noise(random_affine(random_shift(img, 2, g), g, max_rotation_deg=15.0, max_scale=0.2), 0.05, g)
    got = ImageAugment(max_shift=2, max_rotation_deg=15.0, max_scale=0.2, noise=0.05)(img, gen(9))
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert VectorAugment() == VectorAugment(noise=0.1, dropout=0.0)
    assert ImageAugment() == ImageAugment(max_shift=1, max_rotation_deg=10.0, max_scale=0.1, noise=0.1)


@pytest.mark.parametrize("make, match", [
    (lambda: VectorAugment(noise=-0.1), r"^noise must be in \[0, inf\)"),
    (lambda: VectorAugment(noise=float("nan")), r"^noise must be"),
    (lambda: VectorAugment(dropout=-0.1), r"^dropout must be in \[0, 1\)"),
    (lambda: VectorAugment(dropout=1.0), r"^dropout must be in \[0, 1\)"),
    (lambda: ImageAugment(max_shift=-1), r"^max_shift must be"),
    (lambda: ImageAugment(max_shift=1.5), r"^max_shift must be"),
    (lambda: ImageAugment(max_rotation_deg=-1.0), r"^max_rotation_deg must be in \[0, 180\]"),
    (lambda: ImageAugment(max_rotation_deg=181.0), r"^max_rotation_deg must be in \[0, 180\]"),
    (lambda: ImageAugment(max_scale=-0.1), r"^max_scale must be in \[0, 1\)"),
    (lambda: ImageAugment(max_scale=1.0), r"^max_scale must be in \[0, 1\)"),
    (lambda: ImageAugment(noise=-1.0), r"^noise must be in \[0, inf\)"),
])
def test_composed_augmentations_validate_every_field_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_composed_augmentations_accept_their_range_ends():
    VectorAugment(noise=0.0, dropout=0.0)
    ImageAugment(max_shift=0, max_rotation_deg=180.0, max_scale=0.0, noise=0.0)


def test_rotate_matches_scipy_at_the_given_angles_and_random_affine_at_its_draw():
    """rotate against scipy.ndimage.rotate (bilinear) on an anisotropic image, interior pixels; and random_affine
    without scaling is rotate at the angles it draws."""
    import scipy.ndimage as ndi

    from theory.augmentations import rotate

    H = 24
    yy, xx = np.meshgrid(np.arange(H, dtype=float), np.arange(H, dtype=float), indexing="ij")
    img = np.exp(-((yy - 8) ** 2 / 4 + (xx - 13) ** 2 / 30)) + 0.5 * np.exp(-((yy - 16) ** 2 / 10 + (xx - 9) ** 2 / 3))
    angles = np.array([0.0, 17.0, -63.0, 150.0, 250.0])
    x = torch.tensor(img)[None, None].repeat(5, 1, 1, 1)
    out = rotate(x, angles).numpy()
    inside = (yy - (H - 1) / 2) ** 2 + (xx - (H - 1) / 2) ** 2 < (H / 2 - 3) ** 2
    for b, ang in enumerate(angles):
        ref = ndi.rotate(img, ang, reshape=False, order=1, mode="constant")
        np.testing.assert_allclose(out[b, 0][inside], ref[inside], atol=1e-12)
    np.testing.assert_allclose(out[0, 0], img, atol=1e-12)  # angle 0 is the identity
    np.testing.assert_allclose(rotate(x[:2], 17.0).numpy()[1, 0], out[1, 0], atol=0)  # a scalar angle for all
    drawn = (torch.rand((4, 5), generator=gen(3), dtype=torch.float64) * 2 - 1)[0] * 40.0
    torch.testing.assert_close(random_affine(x, gen(3), max_rotation_deg=40.0, max_scale=0.0), rotate(x, drawn),
                               rtol=0, atol=1e-14)


def test_rotate_bad_input():
    from theory.augmentations import rotate

    x = torch.zeros(3, 1, 4, 4)
    with pytest.raises(ValueError, match=r"^angles_deg must be a scalar or have shape \(3,\), got \(2,\)$"):
        rotate(x, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^angles_deg must be finite$"):
        rotate(x, [1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match=r"^images must be a tensor of shape \(n, C, H, W\), got "):
        rotate(torch.zeros(3, 4, 4), 1.0)


def test_nuisance_augment_moves_only_the_nuisance_coordinates_by_their_std():
    from theory.augmentations import NuisanceAugment

    x = torch.zeros(20000, 6, dtype=torch.float64)
    out = NuisanceAugment(noise=0.1, nuisance=2.0, n_nuisance=2)(x, gen(0))
    sd = out.std(dim=0).numpy()
    n = x.shape[0]
    # the sample sd of N(0, s^2) has s.e. s / sqrt(2 n); the nuisance coordinates carry both noises
    np.testing.assert_allclose(sd[:4], 0.1, atol=5 * 0.1 / np.sqrt(2 * n))
    s_nuis = np.sqrt(0.1**2 + 2.0**2)
    np.testing.assert_allclose(sd[4:], s_nuis, atol=5 * s_nuis / np.sqrt(2 * n))
    corr = np.corrcoef(out.numpy(), rowvar=False)
    assert np.abs(corr - np.eye(6)).max() < 5 / np.sqrt(n)  # independent coordinates
    plain = NuisanceAugment(noise=0.3, nuisance=0.0, n_nuisance=2)(x[:5], gen(1))
    torch.testing.assert_close(plain, gaussian_noise(x[:5], 0.3, gen(1)), rtol=0, atol=0)
    same = NuisanceAugment(noise=0.3, nuisance=1.0, n_nuisance=0)(x[:5], gen(1))
    torch.testing.assert_close(same, plain, rtol=0, atol=0)
    a = NuisanceAugment(n_nuisance=3)(x[:4, :], gen(5))
    b = NuisanceAugment(n_nuisance=3)(x[:4, :], gen(5))
    assert torch.equal(a, b) and NuisanceAugment() == NuisanceAugment(0.1, 1.0, 8)


def test_nuisance_augment_bad_input():
    from theory.augmentations import NuisanceAugment

    with pytest.raises(ValueError, match=r"^noise must be in \[0, inf\), got -1.0$"):
        NuisanceAugment(noise=-1.0)
    with pytest.raises(ValueError, match=r"^nuisance must be in \[0, inf\), got -0.5$"):
        NuisanceAugment(nuisance=-0.5)
    with pytest.raises(ValueError, match=r"^n_nuisance must be an integer in \[0, inf\), got -1$"):
        NuisanceAugment(n_nuisance=-1)
    with pytest.raises(ValueError, match=r"^x must have shape \(n, d\) with d >= n_nuisance=8, got \(3, 4\)$"):
        NuisanceAugment()(torch.zeros(3, 4))
