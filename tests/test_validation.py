import numpy as np
import pytest

from theory._validation import check_array, check_int, check_random_state, check_scalar, check_vector


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
