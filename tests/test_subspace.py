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


def test_cone_angle_draws_angles_uniform_up_to_the_cone_and_the_remainder_isotropic():
    """cone_angle: the angle with bases[k][:, 0] is U[0, cone_angle] (Kolmogorov-Smirnov against scipy's
    uniform law) and the remainder's direction is uniform in the rest of the subspace (zero mean, second
    moment I / (r - 1)); it overrides half_space."""
    from scipy.stats import kstest

    angle, r = 0.6, 3
    d = subspace_clusters(3000, 7, 2, r, 0.0, 5, cone_angle=angle, half_space=True, shuffle=True)
    coef = np.einsum("nmr,nm->nr", d.bases[d.labels], d.X)
    theta = np.arccos(np.clip(coef[:, 0], -1.0, 1.0))
    assert theta.max() <= angle + 1e-12
    assert kstest(theta, "uniform", args=(0.0, angle)).pvalue > 1e-3
    rest = coef[:, 1:] / np.linalg.norm(coef[:, 1:], axis=1, keepdims=True)
    assert np.abs(rest.mean(axis=0)).max() < 5 / np.sqrt(3000)  # each coordinate has variance 1/2
    M = rest.T @ rest / len(rest)  # entries have s.e. about 0.35/sqrt(3000) = 0.0065
    np.testing.assert_allclose(M, np.eye(r - 1) / (r - 1), atol=0.035)


def test_cone_angle_on_a_line_puts_every_point_on_the_axis():
    d = subspace_clusters(20, 3, 2, 1, 0.0, 1, cone_angle=1.2)
    coef = np.einsum("nmr,nm->nr", d.bases[d.labels], d.X)
    np.testing.assert_allclose(coef[:, 0], 1.0, atol=1e-12)


def test_uniform_noise_cosines_follow_one_minus_uniform():
    from scipy.stats import kstest

    eps = 0.4
    d = subspace_clusters(2000, 6, 2, 2, eps, 9, noise_cosine="uniform")
    assert kstest(1.0 - d.cosines, "uniform", args=(0.0, eps)).pvalue > 1e-3
    np.testing.assert_allclose(np.sum(d.X * d.X_noisy, axis=1), d.cosines, atol=1e-12)


def test_noise_direction_second_moment_is_the_complement_projector():
    """z_i uniform on the unit sphere of x_i's orthogonal complement: E[z z^T | x] = (I - x x^T)/(m - 1),
    so the average of z z^T equals the average of (I - x x^T)/(m - 1) (entries' s.e. about 0.2/sqrt(n))."""
    eps, n, m = 0.5, 4000, 4
    d = subspace_clusters(n, m, 2, 1, eps, 13)
    c = 1 - eps
    Z = (d.X_noisy - c * d.X) / np.sqrt(1 - c**2)
    want = (np.eye(m) - d.X.T @ d.X / n) / (m - 1)
    np.testing.assert_allclose(Z.T @ Z / n, want, atol=0.02)


def test_half_space_folds_the_first_coordinate_and_keeps_the_sphere_uniform():
    d = subspace_clusters(4000, 5, 1, 2, 0.0, 21, half_space=True)
    coef = d.X @ d.bases[0]
    assert np.all(coef[:, 0] > 0)
    np.testing.assert_allclose(coef.T @ coef / len(coef), np.eye(2) / 2, atol=0.03)  # folding keeps E coef coef^T
    assert abs(np.mean(coef[:, 1])) < 5 * np.sqrt(0.5 / 4000)  # the other coordinate stays symmetric


def test_shuffle_permutes_rows_labels_and_cosines_together():
    a = subspace_clusters(60, 9, 3, 2, 0.2, 4, noise_cosine="uniform")
    b = subspace_clusters(60, 9, 3, 2, 0.2, 4, noise_cosine="uniform", shuffle=True)
    assert not np.array_equal(b.labels, np.sort(b.labels))  # actually permuted
    np.testing.assert_array_equal(np.bincount(b.labels), np.bincount(a.labels))
    # every shuffled row lies in the subspace of its own label, and its cosine is its own
    B = b.bases[b.labels]
    np.testing.assert_allclose(np.einsum("nmr,nr->nm", B, np.einsum("nmr,nm->nr", B, b.X)), b.X, atol=1e-12)
    np.testing.assert_allclose(np.sum(b.X * b.X_noisy, axis=1), b.cosines, atol=1e-12)
    np.testing.assert_array_equal(np.sort(b.cosines), np.sort(a.cosines))  # same draw before the permutation


def test_cluster_sizes_gives_the_remainder_to_the_first_clusters():
    np.testing.assert_array_equal(cluster_sizes(7, 3), [3, 2, 2])
    np.testing.assert_array_equal(cluster_sizes(6, 3), [2, 2, 2])
    np.testing.assert_array_equal(cluster_sizes(1, 1), [1])
    assert cluster_sizes(7, 3).dtype == np.int64
    with pytest.raises(ValueError, match=r"^n must be an integer in \[1, inf\)"):
        cluster_sizes(0, 1)
    with pytest.raises(ValueError, match="n must be >= K"):
        cluster_sizes(2, 3)
    with pytest.raises(ValueError, match="^K must be"):
        cluster_sizes(3, 0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=5, m=2, K=1, r=3), "r must be <= m"),
    (dict(n=5, m=4, K=2, r=1, sizes=[2.0, 3.0]), "sizes must be K=2 integers"),
    (dict(n=5, m=4, K=2, r=1, sizes=[1, 1, 3]), "sizes must be K=2 integers"),
    (dict(n=5, m=4, K=2, r=1, bases=np.zeros((2, 4, 2))), r"^bases must have shape \(2, 4, 1\)"),
    (dict(n=5, m=4, K=2, r=1, bases=np.full((2, 4, 1), 0.6)), r"^bases must have orthonormal columns \(bases\[k\]\.T @ "
                                                             r"bases\[k\] = I_r"),  # column norm 1.2, not 1
    (dict(n=5, m=4, K=2, r=1, cone_angle=0.0), "^cone_angle must be in"),
    (dict(n=5, m=4, K=2, r=1, cone_angle=2.0), "^cone_angle must be in"),
    (dict(n=10, m=4, K=3, r=2), r"^\(K - 1\) \* r must be < m \(paper's assumption\), got \(K-1\)\*r = 4 >= m = 4$"),
    (dict(n=10, m=9, K=4, r=3), r"got \(K-1\)\*r = 9 >= m = 9$"),
    (dict(n=5, m=1, K=1, r=1, noise=0.1), r"^noise \(eps\) must be 0 when m = 1"),
    (dict(n=5, m=4, K=0, r=1, sizes=np.array([], dtype=np.int64)), "^K must be"),
    (dict(n=5, m=0, K=1, r=1), "^m must be"),
    (dict(n=5, m=4, K=0, r=1), "^K must be"),
    (dict(n=5, m=4, K=1, r=0), "^r must be"),
])
def test_more_bad_input_names_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        subspace_clusters(**kwargs)


def test_cone_angle_at_its_upper_end_is_accepted():
    d = subspace_clusters(50, 4, 2, 2, 0.0, 0, cone_angle=np.pi / 2)
    coef = np.einsum("nmr,nm->nr", d.bases[d.labels], d.X)
    assert np.all(coef[:, 0] >= -1e-12)


def test_label_checks_accept_every_integer_kind_and_name_the_argument():
    lab, K = check_labels(np.array([0, 1, 1], dtype=np.uint8), 3)
    assert K == 2 and lab.dtype == np.int64 and lab.tolist() == [0, 1, 1]
    lab, K = check_labels(np.array([True, False]), 2)
    assert K == 2 and lab.tolist() == [1, 0]
    with pytest.raises(ValueError, match="^y must contain integers"):
        check_labels(np.array([0.5, 1.0]), 2, name="y")
    with pytest.raises(ValueError, match="^y must contain integers"):
        check_labels(np.array([0.0, np.nan]), 2, name="y")
    with pytest.raises(ValueError, match="^y must be integers in 0..K-1, got a negative label -1"):
        check_labels([0, -1, 1], 3, name="y")
    with pytest.raises(ValueError, match="^y must be a 1-d array"):
        check_labels(np.zeros((3, 1), dtype=int), 3, name="y")
    with pytest.raises(ValueError, match=r"^y must use every cluster 0..K-1 \(no empty clusters\), clusters \[1, 2\]"):
        check_labels([0, 3, 3], 3, name="y")
    assert check_labels([0, 1], 2, min_clusters=2)[1] == 2


def test_unit_row_check_uses_its_tolerance_and_reports_the_first_bad_row():
    ok = np.array([[1.0 + 5e-9, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(check_unit_rows(ok), ok)
    bad = np.array([[1.0, 0.0], [0.0, 1.0 + 2e-8], [3.0, 0.0]])
    with pytest.raises(ValueError, match=r"^W must have unit-norm rows .*row 1 has norm 1 \(2 bad rows\)"):
        check_unit_rows(bad, "W")
    assert check_unit_rows(bad, "W", atol=3.0).shape == (3, 2)
    with pytest.raises(ValueError, match="^W"):
        check_unit_rows(np.ones(3), "W")


def test_defaults_and_the_returned_noise_level():
    """Default: uniform on the sphere of the subspace (both signs of the first coordinate occur), sorted by
    cluster, eps returned as given; a cluster of size 1 is allowed."""
    d = subspace_clusters(200, 5, 2, 2, 0.25, 3)
    coef = np.einsum("nmr,nm->nr", d.bases[d.labels], d.X)
    assert np.any(coef[:, 0] < 0) and np.any(coef[:, 0] > 0)
    assert d.eps == 0.25 and np.array_equal(d.labels, np.sort(d.labels))
    e = subspace_clusters(5, 4, 2, 1, sizes=[1, 4], seed=0)
    assert np.bincount(e.labels).tolist() == [1, 4]


def test_default_names_and_tolerance_of_the_checks():
    with pytest.raises(ValueError, match="^labels must be a 1-d array"):
        check_labels([0, 1], 3)
    with pytest.raises(ValueError, match=r"^X must have unit-norm rows \(\|\| X\[i\] \|\| = 1 within 1e-08\)"):
        check_unit_rows(np.array([[1.0 + 2e-8, 0.0]]))
    check_unit_rows(np.array([[1.0 + 5e-9, 0.0]]))
