import warnings

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


def test_linear_probe_uses_the_training_scale_on_the_test_set(rng):
    """Two features on scales 10 and 0.1 that matter equally after standardisation (y = 1 iff
    x1/10 + x2/0.1 > 0): dividing the test set by the training sd keeps the accuracy near 1; multiplying
    by it (or not scaling) would let one feature dominate (accuracy about 3/4)."""
    n = 4000
    U = rng.standard_normal((n, 2))
    X = U * [10.0, 0.1]
    y = (U.sum(1) > 0).astype(int)
    acc = linear_probe_accuracy(X[:3000], y[:3000], X[3000:], y[3000:], fraction=0.5, seed=0)
    assert acc > 0.95


def test_linear_probe_regularisation_and_iterations_are_passed_on(rng):
    """C is the inverse L2 strength: at C = 1e-6 the weights are ~0 and the probe predicts one class for
    every point (accuracy = that class's share), at C = 1 it learns the classes; max_iter = 1 stops
    L-BFGS after one step (sklearn warns that it did not converge)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    n = 2000
    y = (rng.random(n) < 0.7).astype(int)
    X = (3.0 * y - 1.5)[:, None] + rng.standard_normal((n, 3))
    strong = linear_probe_accuracy(X[:1500], y[:1500], X[1500:], y[1500:], seed=0, C=1e-6)
    share = max(np.mean(y[1500:]), 1 - np.mean(y[1500:]))
    assert strong == pytest.approx(share, abs=1e-12)
    assert linear_probe_accuracy(X[:1500], y[:1500], X[1500:], y[1500:], seed=0, C=1.0) > 0.95
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        linear_probe_accuracy(X[:1500], y[:1500], X[1500:], y[1500:], seed=0, max_iter=1)
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)


def test_linear_probe_subset_depends_on_the_seed_only(rng, monkeypatch):
    """The same seed fits the same rows, another seed other rows; the rows are distinct training rows
    (sampled without replacement: at fraction 1 every row exactly once), at least one per class even when
    10% rounds to 0.  Column 0 of X is the row index, so the fitted rows can be told apart after
    standardisation (an increasing affine map)."""
    from sklearn.linear_model import LogisticRegression

    original = LogisticRegression.fit
    seen = []

    def spy(self, Xs, ys, *a, **k):
        seen.append(np.array(Xs)[:, 0])
        return original(self, Xs, ys, *a, **k)

    monkeypatch.setattr(LogisticRegression, "fit", spy)
    y = np.repeat([0, 1, 2], [40, 40, 3])
    X = np.column_stack([np.arange(y.size, dtype=float), rng.standard_normal(y.size)])
    for seed in (5, 5, 6):
        linear_probe_accuracy(X, y, X[:5], y[:5], seed=seed)
    assert np.array_equal(seen[0], seen[1]) and not np.array_equal(seen[0], seen[2])
    assert len(np.unique(seen[0])) == seen[0].size == 9  # 4 + 4 + 1
    linear_probe_accuracy(X, y, X[:5], y[:5], seed=7, fraction=1.0)
    assert len(np.unique(seen[-1])) == seen[-1].size == y.size


def test_linear_probe_ignores_a_constant_feature(rng):
    """A constant column has sd 0: it must be left as 0 after centring (not divided by 0, not scaled), so the
    probe's accuracy is that of the other columns alone."""
    n = 1000
    y = rng.integers(0, 2, n)
    X = (2.0 * y - 1.0)[:, None] * [1.0, 0.0] + rng.standard_normal((n, 2)) * [1.0, 0.0] + [0.0, 7.0]
    with_const = linear_probe_accuracy(X[:800], y[:800], X[800:], y[800:], seed=0)
    alone = linear_probe_accuracy(X[:800, :1], y[:800], X[800:, :1], y[800:], seed=0)
    assert with_const == pytest.approx(alone, abs=1e-12)
    # a test set whose constant column moved: unscaled (sd set to 1) it shifts the logits by w * 3 with w = 0
    shifted = X[800:] + [0.0, 3.0]
    assert linear_probe_accuracy(X[:800], y[:800], shifted, y[800:], seed=0) == pytest.approx(alone, abs=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: linear_probe_accuracy(np.zeros(4), [0, 1, 0, 1], np.zeros((2, 1)), [0, 1]), "^train_features"),
    (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros(2), [0, 1]), "^test_features"),
    (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0], np.zeros((2, 2)), [0, 1]), "^train_labels must be a 1-d"),
    (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [0]), "^test_labels must be a 1-d"),
    (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [0, 1], fraction=1.5),
     "^fraction must be"),
    (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [0, 1], C=0.0), "^C must be"),
    (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [0, 1], C=-1.0), "^C must be"),
    (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [0, 1], max_iter=0),
     "^max_iter must be"),
    (lambda: linear_probe_accuracy(np.zeros((4, 2)), [0, 0, 0, 0], np.zeros((2, 2)), [0, 0]),
     "^train_labels must contain at least 2 classes$"),
])
def test_linear_probe_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_linear_probe_accepts_the_whole_training_set():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    assert linear_probe_accuracy(X, [0, 0, 1, 1], X, [0, 0, 1, 1], fraction=1.0, seed=0) == 1.0


def _loop_in_class_mass(A, y, exclude_self):
    """Row by row, straight from the definition; rows with no mass to score are skipped."""
    L = len(y)
    vals = []
    for i in range(L):
        cols = [j for j in range(L) if not (exclude_self and j == i)]
        den = sum(A[i, j] for j in cols)
        if den > 0:
            vals.append(sum(A[i, j] for j in cols if y[j] == y[i]) / den)
    chance = np.mean([(np.sum(y == y[i]) - exclude_self) / (L - exclude_self) for i in range(L)])
    return (np.mean(vals) if vals else np.nan), chance


def test_attention_scores_of_a_stack_of_unnormalised_asymmetric_maps_match_loops(rng):
    """Maps with two leading axes (layers, heads), rows not normalised, A != A^T, some rows empty: every map
    is scored on its own, rows along the last axis (a transposed or summed-over-the-wrong-axis score differs)."""
    y = np.array([0, 0, 1, 1, 1, 2, 0])
    L = y.size
    A = rng.random((2, 3, L, L)) ** 3
    A[0, 1, 2, :] = 0.0  # an empty row: skipped in both modes
    A[1, 2, :, :] = np.eye(L)  # only self-attention: nothing to score off the diagonal
    A[1, 2, 4, 0] = 0.5  # ... except one row: the mean of a single valid row
    A[1, 0] *= 10.0  # scale differs between maps
    for excl in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # empty rows give nan silently
            mass, chance = in_class_attention_mass(A, y, exclude_self=excl)
        assert mass.shape == chance.shape == (2, 3)
        for idx in np.ndindex(2, 3):
            m, c = _loop_in_class_mass(A[idx], y, excl)
            assert chance[idx] == pytest.approx(c, rel=1e-12)
            assert (np.isnan(mass[idx]) and np.isnan(m)) or mass[idx] == pytest.approx(m, rel=1e-12), (idx, excl)
    bd = block_diagonality(A, y)
    off = ~np.eye(L, dtype=bool)
    s = (y[:, None] == y[None, :])[off].astype(float)
    for idx in np.ndindex(2, 3):
        assert bd[idx] == pytest.approx(np.corrcoef(A[idx][off], s)[0, 1], rel=1e-9), idx


def test_attention_scores_need_square_maps_and_name_A():
    y = [0, 1, 1]
    with pytest.raises(ValueError, match=r"^A must have shape \(\.\.\., L, L\)"):
        block_diagonality(np.ones((2, 3, 4)), y)
    with pytest.raises(ValueError, match="^A must"):
        in_class_attention_mass(np.full((3, 3), np.nan), y)
    with pytest.raises(ValueError, match="^A must be at least 2 x 2 when exclude_self=True$"):
        in_class_attention_mass(np.ones((1, 1)), [0])
    assert in_class_attention_mass(np.ones((1, 1)), [0], exclude_self=False)[0] == pytest.approx(1.0)


def test_nearest_neighbour_ties_in_rounding_always_go_to_the_lower_index(rng):
    """Equal true distances whose expanded-form values differ by rounding (centres up to 1e4): the lower
    index wins whichever side it is on; with all-zero features every other row ties at distance 0."""
    for c in rng.uniform(1e2, 1e4, 40):
        step = rng.uniform(0.1, 3.0)
        for F, want in ((np.array([[c], [c + step], [c - step]]), [0, 0, 1]),
                        (np.array([[c], [c - step], [c + step]]), [0, 0, 1])):
            assert nearest_neighbour_accuracy(F, want) == pytest.approx(2 / 3), (c, step)
    assert nearest_neighbour_accuracy(np.zeros((3, 2)), [0, 1, 0]) == pytest.approx(1 / 3)  # 0->1, 1->0, 2->0


@pytest.mark.parametrize("call, match", [
    (lambda: nearest_neighbour_accuracy(np.zeros(3), [0, 1, 1]), "^features must"),
    (lambda: nearest_neighbour_accuracy(np.eye(3), [0, 1, 1], chunk=0), "^chunk must be"),
    (lambda: embed(None, np.zeros((2, 2)), batch_size=0), "^batch_size must be"),
])
def test_more_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_nearest_neighbour_accuracy_with_chunks_of_one():
    F = np.array([[0.0], [1.0], [3.0], [3.5]])
    assert nearest_neighbour_accuracy(F, [0, 0, 1, 1], chunk=1) == pytest.approx(1.0)


def test_embed_defaults_dtypes_and_chunking():
    """Defaults: backbone features, chunks of 512 (for a transformer head each chunk is one sequence, so the
    first 512 rows of z are the head applied to rows 0..511 together); float64 arrays and tensors that
    require grad are accepted; batch_size = 1 works; the model's mode is restored."""
    model = SimCLR(make_backbone("mlp", (3,), 4, seed=0, hidden_dim=5),
                   make_head("transformer", 4, 2, seed=0, width=4, n_heads=2))
    X64 = np.random.default_rng(1).standard_normal((600, 3))
    X32 = torch.as_tensor(X64, dtype=torch.float32)
    model.train()
    h = embed(model, X64)
    assert model.training
    with torch.no_grad():
        model.eval()
        np.testing.assert_allclose(h, model.features(X32).numpy(), atol=1e-6)
        z = embed(model, X32.clone().requires_grad_(True), part="head")
        np.testing.assert_allclose(z[:512], model(X32[:512]).numpy(), atol=1e-6)
        np.testing.assert_allclose(z[512:], model(X32[512:]).numpy(), atol=1e-6)
    np.testing.assert_allclose(embed(model, X64[:4], batch_size=1, device="cpu"), h[:4], atol=1e-6)


def test_sort_by_label_is_stable_on_long_inputs(rng):
    y = rng.integers(0, 3, 1000)
    order = sort_by_label(y)
    assert np.all(np.diff(y[order]) >= 0)
    for c in range(3):
        idx = order[y[order] == c]
        assert np.all(np.diff(idx) > 0)  # within a label, the original order


# ------------------------------------------------------------------ k-NN classifier, stratified subsets

from theory.evaluation import knn_accuracy, stratified_subset  # noqa: E402


@pytest.mark.parametrize("k", [1, 5, 8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_knn_accuracy_matches_scikit_learn(k, seed):
    """Tie-free continuous data: the brute-force scikit-learn classifier is the oracle."""
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(seed)
    ytr, yte = rng.integers(0, 4, 120), rng.integers(0, 4, 70)
    means = 1.2 * rng.standard_normal((4, 3))
    Xtr, Xte = means[ytr] + rng.standard_normal((120, 3)), means[yte] + rng.standard_normal((70, 3))
    ref = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(Xtr, ytr).predict(Xte)
    assert knn_accuracy(Xtr, ytr, Xte, yte, k=k, chunk=16) == pytest.approx(np.mean(ref == yte), abs=1e-12)
    # the chunk size changes nothing
    assert knn_accuracy(Xtr, ytr, Xte, yte, k=k, chunk=1) == knn_accuracy(Xtr, ytr, Xte, yte, k=k)


def test_knn_tie_rules():
    """Equal distances go to the lower training index; a tied vote to the smallest label."""
    Xtr = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [5.0, 5.0]])
    ytr = np.array([3, 1, 2, 0, 0])
    X0 = np.zeros((1, 2))
    # k = 1: four neighbours at distance 1, the first (label 3) wins
    assert knn_accuracy(Xtr, ytr, X0, np.array([3]), k=1) == 1.0
    # k = 2: labels 3 and 1 tied one vote each -> 1 (the smaller)
    assert knn_accuracy(Xtr, ytr, X0, np.array([1]), k=2) == 1.0
    # k = 4: one vote each for 3, 1, 2, 0 -> 0
    assert knn_accuracy(Xtr, ytr, X0, np.array([0]), k=4) == 1.0
    # k = 5: label 0 has two votes
    assert knn_accuracy(Xtr, ytr, X0, np.array([0]), k=5) == 1.0
    # the vote is a majority, not the nearest: two far points of label 7 outvote one near point of label 2
    Xtr2 = np.array([[0.1, 0.0], [2.0, 0.0], [0.0, 2.0]])
    assert knn_accuracy(Xtr2, np.array([2, 7, 7]), X0, np.array([7]), k=3) == 1.0
    assert knn_accuracy(Xtr2, np.array([2, 7, 7]), X0, np.array([7]), k=1) == 0.0


def test_knn_uses_train_to_test_distances_not_leave_one_out():
    """A test point equal to a training point takes that point's label at k = 1 (it is not excluded)."""
    Xtr = np.array([[0.0], [0.4], [10.0]])
    ytr = np.array([0, 1, 1])
    assert knn_accuracy(Xtr, ytr, np.array([[0.0], [10.0]]), np.array([0, 1]), k=1) == 1.0
    assert knn_accuracy(Xtr, ytr, np.array([[0.3]]), np.array([1]), k=1) == 1.0  # Euclidean, not first coordinate order


@pytest.mark.parametrize("call, match", [
    (lambda: knn_accuracy(np.zeros((3, 2)), [0, 1, 0], np.zeros((2, 2)), [0, 1], k=4),
     r"^k must be an integer in \[1, 3\], got 4$"),
    (lambda: knn_accuracy(np.zeros((3, 2)), [0, 1, 0], np.zeros((2, 2)), [0, 1], k=0),
     r"^k must be an integer in \[1, 3\], got 0$"),
    (lambda: knn_accuracy(np.zeros((3, 2)), [0, 1, 0], np.zeros((2, 3)), [0, 1]), r"^test_features must have shape"),
    (lambda: knn_accuracy(np.zeros((3, 2)), [0, 1], np.zeros((2, 2)), [0, 1]), r"^train_labels"),
    (lambda: knn_accuracy(np.zeros((3, 2)), [0, 1, 0], np.zeros((2, 2)), [0, 1], k=1, chunk=0),
     r"^chunk must be an integer in \[1, inf\), got 0$"),
    (lambda: stratified_subset([0, 1], 0.0), r"^fraction must be in \(0, 1\], got 0.0$"),
    (lambda: stratified_subset(np.zeros((2, 2)), 0.5), r"^labels must be a non-empty 1-d array, got shape \(2, 2\)$"),
    (lambda: stratified_subset([], 0.5), r"^labels must be a non-empty 1-d array, got shape \(0,\)$"),
])
def test_knn_and_subset_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.5, 1.0])
def test_stratified_subset_counts_and_randomness(fraction):
    y = np.repeat(np.arange(4), [3, 40, 77, 200])
    idx = stratified_subset(y, fraction, 0)
    assert np.all(np.diff(idx) > 0) and idx.min() >= 0 and idx.max() < y.size
    want = [max(1, int(round(fraction * c))) for c in (3, 40, 77, 200)]
    assert np.bincount(y[idx], minlength=4).tolist() == want
    if fraction < 1:  # a random subset, not the first members of each class
        others = {tuple(stratified_subset(y, fraction, s)) for s in range(5)}
        assert len(others) > 1


def test_knn_default_is_the_papers_k5_and_messages_name_their_argument():
    """Song et al. use k = 5: the five nearest training points vote 1, 1, 0, 1, 0 (label 1 wins); the sixth is 0,
    so k = 6 ties 3-3 and gives the smaller label 0."""
    Xtr = np.arange(6.0)[:, None]
    ytr = np.array([1, 1, 0, 1, 0, 0])
    X0 = np.array([[-0.5]])
    assert knn_accuracy(Xtr, ytr, X0, np.array([1])) == 1.0
    assert knn_accuracy(Xtr, ytr, X0, np.array([1]), k=6) == 0.0
    with pytest.raises(ValueError, match=r"^train_features must be a 2-d array"):
        knn_accuracy(np.zeros(3), [0, 1, 0], np.zeros((2, 1)), [0, 1])
    with pytest.raises(ValueError, match=r"^test_labels"):
        knn_accuracy(np.zeros((3, 1)), [0, 1, 0], np.zeros((2, 1)), [0, 1, 1], k=1)
    with pytest.raises(ValueError, match=r"^test_features must be a 2-d array"):
        knn_accuracy(np.zeros((3, 1)), [0, 1, 0], np.zeros(2), [0, 1], k=1)


@pytest.mark.parametrize("chunk", [1, 7, 16, 1000])
def test_knn_every_test_row_is_classified_whatever_the_chunk(chunk):
    """Each test point equal to a training point takes its label at k = 1: accuracy exactly 1 for any chunk."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 2))
    y = rng.integers(0, 3, 40)
    assert knn_accuracy(X, y, X, y, k=1, chunk=chunk) == 1.0
