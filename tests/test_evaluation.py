import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from sklearn.neighbors import KNeighborsClassifier

from theory.backbones import make_backbone
from theory.evaluation import (
    block_diagonality,
    embed,
    in_class_attention_mass,
    linear_probe_accuracy,
    nearest_neighbour_accuracy,
    sort_by_label,
)
from theory.heads import make_head
from theory.simclr import SimCLR


def _loop_nn_accuracy(F, y):
    """Straightforward double loop: nearest other sample, ties to the lower index."""
    hits = 0
    for i in range(len(F)):
        best, arg = np.inf, -1
        for j in range(len(F)):
            if j != i:
                d = np.sum((F[i] - F[j]) ** 2)
                if d < best:
                    best, arg = d, j
        hits += y[arg] == y[i]
    return hits / len(F)


@given(n=st.integers(2, 30), d=st.integers(1, 4), k=st.integers(2, 4), seed=st.integers(0, 10_000))
@example(n=2, d=1, k=2, seed=0)
@example(n=30, d=4, k=4, seed=10000)
def test_nearest_neighbour_accuracy_matches_loops(n, d, k, seed):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((n, d))
    y = rng.integers(0, k, n)
    assert nearest_neighbour_accuracy(F, y, chunk=7) == pytest.approx(_loop_nn_accuracy(F, y))


@pytest.mark.parametrize("centre, step", [(0.0, 1.0), (0.1, 0.7), (1e3, 0.3)])
def test_nearest_neighbour_ties_go_to_the_lower_index(centre, step):
    """Point 0 sits half-way between points 1 and 2 (equal true distances, unequal after rounding in the
    expanded form): its neighbour must be point 1 -> accuracy 2/3 with labels (0, 0, 1); 1/3 otherwise."""
    F = np.array([[centre], [centre + step], [centre - step]])
    assert nearest_neighbour_accuracy(F, [0, 0, 1]) == pytest.approx(2 / 3)
    assert nearest_neighbour_accuracy(F, [0, 1, 0]) == pytest.approx(1 / 3)  # neighbour 1 has the other label
    # duplicates: the lower index wins as well
    assert nearest_neighbour_accuracy(np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]), [0, 1, 0]) == pytest.approx(1 / 3)


def test_nearest_neighbour_accuracy_matches_sklearn_on_ties_free_data(rng):
    F = rng.standard_normal((200, 5))
    y = rng.integers(0, 3, 200)
    knn = KNeighborsClassifier(n_neighbors=2).fit(F, y)
    nbr = knn.kneighbors(F, n_neighbors=2, return_distance=False)[:, 1]  # [:, 0] is the point itself
    assert nearest_neighbour_accuracy(F, y) == pytest.approx(np.mean(y[nbr] == y))


def test_linear_probe_separable_and_chance(rng):
    """Separable Gaussian classes are learned; shuffled labels give chance within 4 standard errors."""
    K, n = 4, 2000
    centres = 6 * np.eye(K, 10)
    y = rng.integers(0, K, n)
    X = centres[y] + rng.standard_normal((n, 10))
    acc = linear_probe_accuracy(X[:1500], y[:1500], X[1500:], y[1500:], seed=0)
    assert acc > 0.97  # Bayes error of these classes is < 1e-4; 150 training points suffice
    y_rand = rng.integers(0, K, n)
    acc = linear_probe_accuracy(X[:1500], y_rand[:1500], X[1500:], y_rand[1500:], seed=0)
    se = np.sqrt(0.25 * 0.75 / 500)
    assert abs(acc - 0.25) < 4 * se


def test_linear_probe_fits_a_stratified_tenth_standardised_with_its_own_statistics(rng, monkeypatch):
    """The probe must fit exactly max(1, round(0.1 n_c)) rows per class, rows of the training set,
    standardised to mean 0 and sd 1 with the subset's own statistics."""
    from sklearn.linear_model import LogisticRegression

    seen = {}
    original = LogisticRegression.fit

    def spy(self, X, y, *a, **k):
        seen["X"], seen["y"] = np.array(X), np.array(y)
        return original(self, X, y, *a, **k)

    monkeypatch.setattr(LogisticRegression, "fit", spy)
    counts = [300, 120, 37]
    y = np.repeat([0, 1, 2], counts)
    X = rng.standard_normal((y.size, 4)) * [1.0, 10.0, 0.1, 3.0] + [5.0, -2.0, 0.0, 100.0] + y[:, None]
    linear_probe_accuracy(X, y, X[:10], y[:10], seed=1)
    assert np.array_equal(np.bincount(seen["y"]), [30, 12, 4])  # round(3.7) = 4
    np.testing.assert_allclose(seen["X"].mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(seen["X"].std(0), 1.0, rtol=1e-12)
    # the fitted rows are an affine image of training rows: their pairwise distance ratios per column
    # match those of some training rows of the class (checked on the sorted column-0 gaps of class 2)
    z = np.sort(seen["X"][seen["y"] == 2, 0])
    assert np.all(np.diff(z) > 0)  # distinct rows: sampled without replacement


def test_linear_probe_standardises_the_test_set_with_the_training_statistics(rng):
    """A test set shifted by +4: with the training statistics every shifted point falls on the class-1 side
    (accuracy 1/2); a probe that standardised the test set with its own statistics would undo the shift."""
    n = 2000
    y = rng.integers(0, 2, n)
    X = (4.0 * y - 2.0)[:, None] + 0.5 * rng.standard_normal((n, 1))
    yt = rng.integers(0, 2, 1000)
    Xt = (4.0 * yt - 2.0)[:, None] + 0.5 * rng.standard_normal((1000, 1))
    assert linear_probe_accuracy(X, y, Xt, yt, seed=0) > 0.99
    acc_shifted = linear_probe_accuracy(X, y, Xt + 4.0, yt, seed=0)
    assert abs(acc_shifted - np.mean(yt == 1)) < 0.01


def _block_attention(y, inside=5.0, rng=None, jitter=0.0):
    S = np.where(y[:, None] == y[None, :], inside, 0.0)
    if jitter:
        S = S + jitter * rng.standard_normal(S.shape)
    A = np.exp(S - S.max(1, keepdims=True))
    return A / A.sum(1, keepdims=True)


@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4), seed=st.integers(0, 1000))
@example(sizes=[1, 1], seed=0)  # smallest: two singleton clusters
@example(sizes=[6, 6, 6, 6], seed=1000)
@example(sizes=[1, 6], seed=3)  # unequal sizes
def test_attention_scores_on_uniform_and_block_maps(sizes, seed):
    y = np.repeat(np.arange(len(sizes)), sizes)
    L = y.size
    rng = np.random.default_rng(seed)
    # uniform attention sits exactly at chance, with and without self
    U = np.full((L, L), 1.0 / L)
    for excl in (True, False):
        mass, chance = in_class_attention_mass(U, y, exclude_self=excl)
        assert mass == pytest.approx(chance)
    # chance is the mean over rows of (n_c - 1) / (L - 1)
    expected = np.mean([(np.sum(y == c) - 1) / (L - 1) for c in y])
    assert in_class_attention_mass(U, y)[1] == pytest.approx(expected)
    # a (jittered) block map is above chance and has positive block-diagonality
    B = _block_attention(y, 5.0, rng, jitter=0.1)
    mass, chance = in_class_attention_mass(B, y)
    if np.any(np.bincount(y) > 1):
        assert mass > chance
        assert block_diagonality(B, y) > 0
        # independent computation: numpy's Pearson correlation over the off-diagonal entries
        off = ~np.eye(L, dtype=bool)
        ref = np.corrcoef(B[off], (y[:, None] == y[None, :])[off].astype(float))[0, 1]
        assert block_diagonality(B, y) == pytest.approx(ref, rel=1e-9)
    # a stack is scored map by map
    stack = np.stack([U, B])
    masses, chances = in_class_attention_mass(stack, y)
    assert masses.shape == (2,) and masses[1] == pytest.approx(mass)


def test_block_diagonality_is_one_for_exact_blocks_and_nan_when_constant():
    y = np.array([0, 0, 0, 1, 1, 1])
    A = (y[:, None] == y[None, :]).astype(float) / 3
    assert block_diagonality(A, y) == pytest.approx(1.0)
    assert np.isnan(block_diagonality(np.full((6, 6), 1 / 6), y))
    # anti-blocks: attention only on the other class
    assert block_diagonality((y[:, None] != y[None, :]).astype(float) / 3, y) == pytest.approx(-1.0)


def test_self_attention_is_excluded_by_default():
    y = np.array([0, 0, 1, 1])
    eye = np.eye(4)  # attends only to itself
    assert in_class_attention_mass(eye, y, exclude_self=False)[0] == pytest.approx(1.0)
    assert np.isnan(in_class_attention_mass(eye, y)[0])  # nothing off the diagonal to score


def test_embed_and_sort():
    model = SimCLR(make_backbone("mlp", (3,), 4, seed=0, hidden_dim=5), make_head("transformer", 4, 2, seed=0, width=4, n_heads=2))
    X = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    h = embed(model, X, part="backbone", batch_size=3)
    with torch.no_grad():
        assert np.allclose(h, model.features(torch.as_tensor(X)).numpy(), atol=1e-6)
        z = embed(model, X, part="head", batch_size=5)
        assert np.allclose(z[:5], model(torch.as_tensor(X[:5])).numpy(), atol=1e-6)
    assert list(sort_by_label([2, 0, 1, 0])) == [1, 3, 2, 0]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: nearest_neighbour_accuracy(np.zeros((1, 2)), [0]), "at least 2 rows"),
        (lambda: nearest_neighbour_accuracy(np.zeros((3, 2)), [0, 1]), "labels must be a 1-d array of length 3"),
        (lambda: nearest_neighbour_accuracy(np.full((3, 2), np.nan), [0, 1, 1]), "finite"),
        (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 0, 0, 0], np.zeros((2, 2)), [0, 0]), "2 classes"),
        (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 3)), [0, 1]), "test_features"),
        (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [0, 1], fraction=0), "fraction"),
        (lambda: in_class_attention_mass(np.ones((3, 4)), [0, 1, 1]), r"shape \(..., L, L\)"),
        (lambda: block_diagonality(np.ones((3, 3)), [0, 1]), "labels"),
        (lambda: embed(None, np.zeros((2, 2)), part="z"), "part"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
