import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from theory.subspace import check_labels, check_unit_rows, cluster_sizes, subspace_clusters


@st.composite
def shapes(draw):
    K = draw(st.integers(1, 4))
    r = draw(st.integers(1, 3))
    lo = max((K - 1) * r + 1, r)
    m = draw(st.integers(lo, lo + 4))
    n = draw(st.integers(K, 30))
    return n, m, K, r


@given(shp=shapes(), eps=st.floats(0.0, 0.99), seed=st.integers(0, 2**16),
       half=st.booleans(), cos=st.sampled_from(["exact", "uniform"]))
@example(shp=(1, 1, 1, 1), eps=0.0, seed=0, half=False, cos="exact")  # smallest: one point on one line
@example(shp=(2, 2, 2, 1), eps=0.99, seed=1, half=True, cos="uniform")  # extreme noise
@example(shp=(30, 13, 4, 3), eps=0.5, seed=2**16, half=True, cos="exact")  # largest shape
def test_rows_are_unit_on_their_subspace_and_noise_obeys_eq6(shp, eps, seed, half, cos):
    n, m, K, r = shp
    if m == 1:
        eps = 0.0
    d = subspace_clusters(n, m, K, r, eps, seed, half_space=half, noise_cosine=cos)
    assert d.X.shape == d.X_noisy.shape == (n, m) and d.bases.shape == (K, m, r)
    np.testing.assert_allclose(np.linalg.norm(d.X, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(d.X_noisy, axis=1), 1.0, atol=1e-12)
    # orthonormal bases, each x_i inside its own subspace (projection residual 0)
    np.testing.assert_allclose(np.einsum("kmi,kmj->kij", d.bases, d.bases), np.broadcast_to(np.eye(r), (K, r, r)), atol=1e-12)
    B = d.bases[d.labels]
    coef = np.einsum("nmr,nm->nr", B, d.X)
    np.testing.assert_allclose(np.einsum("nmr,nr->nm", B, coef), d.X, atol=1e-12)
    # eq. (6): cosine >= 1 - eps, exactly 1 - eps in the "exact" mode
    cosines = np.sum(d.X * d.X_noisy, axis=1)
    np.testing.assert_allclose(cosines, d.cosines, atol=1e-12)
    assert np.all(cosines >= 1 - eps - 1e-12)
    if cos == "exact":
        np.testing.assert_allclose(cosines, 1 - eps, atol=1e-12)
    assert np.bincount(d.labels, minlength=K).min() >= 1
    np.testing.assert_array_equal(np.bincount(d.labels, minlength=K), cluster_sizes(n, K))
    if half:
        assert np.all(np.einsum("nm,nm->n", d.X, B[:, :, 0]) > 0)


def test_same_seed_same_draw_bit_for_bit():
    a = subspace_clusters(40, 9, 3, 2, 0.1, 7, shuffle=True)
    b = subspace_clusters(40, 9, 3, 2, 0.1, 7, shuffle=True)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = subspace_clusters(40, 9, 3, 2, 0.1, 8, shuffle=True)
    assert not np.array_equal(a.X, c.X)


def test_points_fill_the_subspace_uniformly():
    # Uniform on the unit sphere of an r-dim subspace: E[coef coef^T] = I / r.
    # 4000 rows give a standard error ~ 0.006 per entry of the 2x2 second moment; allow 5 s.e.
    d = subspace_clusters(4000, 5, 1, 2, 0.0, 3)
    coef = d.X @ d.bases[0]
    M = coef.T @ coef / len(coef)
    np.testing.assert_allclose(M, np.eye(2) / 2, atol=0.03)


def test_noise_direction_is_isotropic_in_the_complement():
    # z_i uniform on the unit sphere orthogonal to x_i: E[(x~ - c x)(x~ - c x)^T] has trace s^2.
    eps = 0.3
    d = subspace_clusters(3000, 6, 2, 1, eps, 11)
    c = 1 - eps
    Z = (d.X_noisy - c * d.X) / np.sqrt(1 - c**2)
    np.testing.assert_allclose(np.sum(Z * d.X, axis=1), 0.0, atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-10)
    # mean of z is 0 (s.e. ~ 1/sqrt(6*3000) per coordinate, 5 s.e.)
    assert np.abs(Z.mean(axis=0)).max() < 5 / np.sqrt(6 * 3000)


def test_explicit_sizes_and_bases_are_used():
    B = np.zeros((2, 3, 1))
    B[0, 0, 0] = 1.0
    B[1, 1, 0] = 1.0
    d = subspace_clusters(5, 3, 2, 1, sizes=[2, 3], bases=B, seed=0)
    np.testing.assert_array_equal(d.labels, [0, 0, 1, 1, 1])
    np.testing.assert_allclose(np.abs(d.X[:2, 0]), 1.0)
    np.testing.assert_allclose(np.abs(d.X[2:, 1]), 1.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=10, m=4, K=3, r=2), r"\(K - 1\) \* r must be < m"),
        (dict(n=10, m=4, K=2, r=2, noise=1.0), r"noise \(eps\) must be in \[0, 1\)"),
        (dict(n=10, m=4, K=2, r=2, noise=-0.1), r"noise \(eps\)"),
        (dict(n=10, m=4, K=2, r=2, noise=np.nan), r"noise \(eps\)"),
        (dict(n=2, m=4, K=3, r=1), "n must be >= K"),
        (dict(n=5, m=4, K=2, r=1, sizes=[5, 0]), "sizes must all be >= 1"),
        (dict(n=5, m=4, K=2, r=1, sizes=[2, 2]), "sizes must sum to n=5"),
        (dict(n=5, m=4, K=2, r=1, bases=np.ones((2, 4, 1))), "bases must have orthonormal"),
        (dict(n=5, m=4, K=2, r=1, noise_cosine="gauss"), "noise_cosine"),
        (dict(n=0, m=4, K=2, r=1), "n must be"),
        (dict(n=5, m=1, K=1, r=1, noise=0.1), "noise"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        subspace_clusters(**kwargs)


def test_label_and_row_checks():
    with pytest.raises(ValueError, match="labels must be a 1-d array of length n=3"):
        check_labels([0, 1], 3)
    with pytest.raises(ValueError, match=r"empty clusters\), clusters \[1\]"):
        check_labels([0, 2, 2], 3)
    with pytest.raises(ValueError, match="at least 2 clusters"):
        check_labels([0, 0, 0], 3, min_clusters=2)
    with pytest.raises(ValueError, match="unit-norm rows"):
        check_unit_rows(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="unit-norm rows"):
        check_unit_rows(np.array([[2.0, 0.0]]))
    lab, K = check_labels(np.array([1.0, 0.0, 1.0]), 3)
    assert K == 2 and lab.dtype == np.int64
