import numpy as np
import pytest

from theory._validation import check_array, check_int, check_matrix, check_random_state, check_scalar, check_vector


@pytest.mark.parametrize(
    "value, kw, match",
    [
        (0.0, dict(low=0.0, closed="neither"), r"tau must be in \(0, inf\)"),
        (-1.0, dict(low=0.0), r"tau must be in \[0, inf\)"),
        (float("nan"), dict(), "tau must be finite"),
        (float("inf"), dict(), "tau must be finite"),
        ("a", dict(), "tau must be a real number"),
        (True, dict(), "tau must be a real number"),
        (2.0, dict(high=1.0), r"tau must be in \(-inf, 1\]"),
    ],
)
def test_check_scalar_rejects(value, kw, match):
    with pytest.raises(ValueError, match=match):
        check_scalar(value, "tau", **kw)


def test_check_scalar_accepts_numpy_scalars():
    assert check_scalar(np.float32(0.5), "x", low=0.0) == 0.5
    assert check_scalar(np.array(2.0), "x") == 2.0


def test_check_int():
    assert check_int(np.int64(3), "p", low=1) == 3
    with pytest.raises(ValueError, match="p must be an integer"):
        check_int(0, "p", low=1)
    with pytest.raises(ValueError, match="p must be an integer"):
        check_int(1.5, "p", low=1)


def test_check_array_shape_and_finiteness():
    with pytest.raises(ValueError, match=r"W must have shape \(\*, 3\)"):
        check_array(np.zeros((2, 2)), "W", shape=(None, 3))
    with pytest.raises(ValueError, match="W must contain only finite"):
        check_array([[np.nan]], "W")
    with pytest.raises(ValueError, match="mu must be non-zero"):
        check_vector(np.zeros(3), "mu", nonzero=True)


def test_check_random_state_reproducible():
    a = check_random_state(5).standard_normal(4)
    b = check_random_state(5).standard_normal(4)
    assert np.array_equal(a, b)
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    with pytest.raises(ValueError, match="seed"):
        check_random_state(-1)


# ------------------------------------------------- the full truth tables, with exact messages

BRACKETS = {"both": "[]", "left": "[)", "right": "(]", "neither": "()"}


@pytest.mark.parametrize("closed", list(BRACKETS))
@pytest.mark.parametrize("v", [-0.5, 0.0, 0.5, 1.0, 1.5])
def test_check_scalar_interval_truth_table(closed, v):
    lo_ok = v > 0.0 or (v == 0.0 and closed in ("both", "left"))
    hi_ok = v < 1.0 or (v == 1.0 and closed in ("both", "right"))
    if lo_ok and hi_ok:
        assert check_scalar(v, "x", low=0.0, high=1.0, closed=closed) == v
    else:
        l, r = BRACKETS[closed]
        with pytest.raises(ValueError, match=rf"^x must be in \{l}0, 1\{r}, got {v!r}$"):
            check_scalar(v, "x", low=0.0, high=1.0, closed=closed)


@pytest.mark.parametrize("closed", list(BRACKETS))
def test_check_scalar_half_lines_print_open_infinite_ends(closed):
    l, r = BRACKETS[closed]
    with pytest.raises(ValueError, match=rf"^x must be in \{l}2, inf\), got 1\.0$"):
        check_scalar(1.0, "x", low=2.0, closed=closed)
    with pytest.raises(ValueError, match=rf"^x must be in \(-inf, -2\{r}, got 1\.0$"):
        check_scalar(1.0, "x", high=-2.0, closed=closed)
    with pytest.raises(ValueError, match=r"^x must be finite and in \(-inf, inf\), got nan$"):
        check_scalar(float("nan"), "x", closed=closed)


def test_check_scalar_exact_messages_and_conversions():
    with pytest.raises(ValueError, match=r"^closed must be one of both/left/right/neither, got 'open'$"):
        check_scalar(1.0, "x", closed="open")
    with pytest.raises(ValueError, match=r"^x must be a real number in \[0, inf\), got 'a'$"):
        check_scalar("a", "x", low=0.0)
    with pytest.raises(ValueError, match=r"^x must be a real number in \(-inf, inf\), got True$"):
        check_scalar(True, "x")
    v = check_scalar(3, "x")
    assert v == 3.0 and type(v) is float
    assert check_scalar(np.array(0.25), "x", low=0.0, high=1.0) == 0.25


@pytest.mark.parametrize("v, ok", [(0, False), (1, True), (3, True), (5, True), (6, False)])
def test_check_int_closed_interval_truth_table(v, ok):
    if ok:
        assert check_int(v, "p", low=1, high=5) == v and check_int(np.array(v), "p", low=1, high=5) == v
    else:
        with pytest.raises(ValueError, match=rf"^p must be an integer in \[1, 5\], got {v}$"):
            check_int(v, "p", low=1, high=5)


def test_check_int_exact_messages():
    with pytest.raises(ValueError, match=r"^p must be an integer in \[1, inf\), got 1\.5$"):
        check_int(1.5, "p", low=1)
    with pytest.raises(ValueError, match=r"^p must be an integer in \(-inf, inf\), got True$"):
        check_int(True, "p")
    with pytest.raises(ValueError, match=r"^p must be an integer in \(-inf, 3\], got 4$"):
        check_int(np.array(4), "p", high=3)
    assert type(check_int(np.int32(2), "p")) is int


def test_check_array_exact_messages_and_options():
    with pytest.raises(ValueError, match=r"^A must be a real-valued array, got str$"):
        check_array("abc", "A")
    with pytest.raises(ValueError, match=r"^A must be a 2-d array, got shape \(3,\)$"):
        check_array(np.ones(3), "A", ndim=2)
    with pytest.raises(ValueError, match=r"^A must have shape \(2, \*\), got \(3, 2\)$"):
        check_array(np.ones((3, 2)), "A", shape=(2, None))
    with pytest.raises(ValueError, match=r"^A must have shape \(2, \*\), got \(2,\)$"):
        check_array(np.ones(2), "A", shape=(2, None))
    assert check_array(np.ones((2, 7)), "A", shape=(2, None)).shape == (2, 7)
    with pytest.raises(ValueError, match=r"^A must be non-empty, got shape \(0,\)$"):
        check_array([], "A")
    assert check_array([], "A", allow_empty=True).shape == (0,)
    with pytest.raises(ValueError, match=r"^A must contain only finite values \(no NaN or inf\)$"):
        check_array([1.0, np.inf], "A")
    out = check_array([1, 2], "A")
    assert out.dtype == np.float64


def test_check_vector_exact_messages_and_options():
    assert np.array_equal(check_vector(np.zeros(3), "mu"), np.zeros(3))  # zero allowed unless nonzero=True
    with pytest.raises(ValueError, match=r"^mu must be non-zero \(\|\|mu\|\| > 0\)$"):
        check_vector([0.0, 0.0], "mu", nonzero=True)
    with pytest.raises(ValueError, match=r"^mu must be a 1-d array, got shape \(1, 2\)$"):
        check_vector([[1.0, 2.0]], "mu")
    with pytest.raises(ValueError, match=r"^mu must have shape \(3\), got \(2,\)$"):
        check_vector([1.0, 2.0], "mu", size=3)
    assert check_vector([1.0, 2.0], "mu", size=2).shape == (2,)


def test_check_random_state_all_seed_kinds():
    ss = np.random.SeedSequence(9)
    assert np.array_equal(check_random_state(ss).random(3), np.random.default_rng(np.random.SeedSequence(9)).random(3))
    assert np.array_equal(check_random_state(0).random(3), np.random.default_rng(0).random(3))
    assert np.array_equal(check_random_state(np.int64(4)).random(2), np.random.default_rng(4).random(2))
    assert not np.array_equal(check_random_state(None).random(4), check_random_state(None).random(4))
    with pytest.raises(ValueError, match=r"^seed must be a non-negative integer, got -1$"):
        check_random_state(-1)
    for bad in (True, 1.5, "3"):
        with pytest.raises(ValueError, match=rf"^seed must be None, a non-negative int or a numpy Generator, got {bad!r}$"):
            check_random_state(bad)


def test_check_matrix_shapes_and_messages():
    assert check_matrix([[1, 2], [3, 4]], "M").dtype == np.float64
    assert check_matrix(np.ones((2, 5)), "M", shape=(2, None)).shape == (2, 5)
    with pytest.raises(ValueError, match=r"^M must be a 2-d array, got shape \(3,\)$"):
        check_matrix(np.ones(3), "M")
    with pytest.raises(ValueError, match=r"^M must have shape \(\*, 4\), got \(2, 5\)$"):
        check_matrix(np.ones((2, 5)), "M", shape=(None, 4))
    with pytest.raises(ValueError, match=r"^M must be non-empty"):
        check_matrix(np.ones((0, 3)), "M")
