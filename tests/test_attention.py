import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.attention import score_log_sharpness, sharpness


def _brute_sharpness(A, labels, include_diagonal=True):
    # Definition 2 literally: the infimum over all quadruples (i, j, p, q) of A_ij / A_pq.
    n = len(labels)
    best = np.inf
    for i in range(n):
        for j in range(n):
            if labels[i] != labels[j] or (i == j and not include_diagonal):
                continue
            for p in range(n):
                for q in range(n):
                    if labels[p] == labels[q]:
                        continue
                    best = min(best, A[i, j] / A[p, q])
    return best


@given(n=st.integers(2, 7), K=st.integers(2, 3), seed=st.integers(0, 2**16), diag=st.booleans())
def test_sharpness_is_the_infimum_of_definition_2(n, K, seed, diag):
    rng = np.random.default_rng(seed)
    if n < K:
        n = K
    labels = np.concatenate([np.arange(K), rng.integers(0, K, n - K)])
    if not diag and np.bincount(labels).max() < 2:
        labels[1] = labels[0]
        if np.bincount(labels, minlength=K).min() == 0:
            return
    A = rng.uniform(0.01, 1.0, (n, n))
    assert sharpness(A, labels, include_diagonal=diag) == pytest.approx(_brute_sharpness(A, labels, diag), rel=1e-12)
    assert sharpness(A, labels, include_diagonal=diag, log=True) == pytest.approx(
        np.log(_brute_sharpness(A, labels, diag)), rel=1e-12, abs=1e-12
    )
    # invariant under a positive rescaling and under a relabelling of the clusters
    assert sharpness(3.0 * A, labels, include_diagonal=diag) == pytest.approx(sharpness(A, labels, include_diagonal=diag))
    assert sharpness(A, (labels + 1) % K, include_diagonal=diag) == pytest.approx(sharpness(A, labels, include_diagonal=diag))
    # exp of scores: the ratio equals exp(score_log_sharpness)
    S = np.log(A)
    assert score_log_sharpness(S, labels, include_diagonal=diag) == pytest.approx(
        np.log(_brute_sharpness(A, labels, diag)), abs=1e-12
    )


def test_sharpness_stack_and_conventions():
    labels = np.array([0, 0, 1])
    block = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert sharpness(block, labels) == np.inf
    hole = block.copy()
    hole[0, 1] = 0.0
    hole[0, 2] = 0.5
    assert sharpness(hole, labels) == 0.0
    stack = np.stack([block, hole, np.ones((3, 3))])
    np.testing.assert_array_equal(sharpness(stack, labels), [np.inf, 0.0, 1.0])
    assert sharpness(np.ones((3, 3)), labels, log=True) == 0.0


@pytest.mark.parametrize(
    "A, labels, match",
    [
        (np.ones((3, 3)), [0, 0], "labels must be a 1-d array of length n=3"),
        (np.ones((3, 3)), [0, 0, 0], "at least 2 clusters"),
        (np.ones((3, 3)), [0, 2, 2], "empty"),
        (-np.ones((3, 3)), [0, 0, 1], "non-negative"),
        (np.ones((3, 2)), [0, 0, 1], "square"),
        (np.full((2, 2), np.nan), [0, 1], "finite"),
    ],
)
def test_sharpness_bad_input(A, labels, match):
    with pytest.raises(ValueError, match=match):
        sharpness(A, labels)


def test_sharpness_without_diagonal_needs_a_pair():
    with pytest.raises(ValueError, match="within-cluster pair"):
        sharpness(np.ones((2, 2)), [0, 1], include_diagonal=False)
