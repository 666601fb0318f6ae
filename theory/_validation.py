"""Parameter validation at the public boundary.

Every public function of :mod:`theory` validates its inputs with these
helpers, so that bad input raises a :class:`ValueError` that names the
parameter and its allowed range (scikit-learn style), never a silent NaN.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np


class NonFiniteError(ValueError, FloatingPointError):
    """Non-finite (NaN or inf) input: a ValueError for callers, a FloatingPointError for training loops."""

__all__ = [
    "NonFiniteError",
    "check_scalar",
    "check_int",
    "check_array",
    "check_vector",
    "check_matrix",
    "check_random_state",
    "as_real_array",
]


def _fmt_interval(low: float | None, high: float | None, closed: str) -> str:
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") else ")"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    if low is None:
        left = "("
    if high is None:
        right = ")"
    return f"{left}{lo}, {hi}{right}"


def check_scalar(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    closed: str = "both",
) -> float:
    """Validate a finite real scalar in an interval and return it as ``float``.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Parameter name used in the error message.
    low, high : float or None
        Interval end points (``None`` for unbounded).
    closed : {"both", "left", "right", "neither"}
        Which end points belong to the interval.

    Raises
    ------
    ValueError
        If ``value`` is not a finite real number in the interval.
    """
    if closed not in ("both", "left", "right", "neither"):
        raise ValueError(f"closed must be one of both/left/right/neither, got {closed!r}")
    interval = _fmt_interval(low, high, closed)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a real number in {interval}, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite and in {interval}, got {v!r}")
    if low is not None:
        if v < low or (v == low and closed in ("right", "neither")):
            raise ValueError(f"{name} must be in {interval}, got {v!r}")
    if high is not None:
        if v > high or (v == high and closed in ("left", "neither")):
            raise ValueError(f"{name} must be in {interval}, got {v!r}")
    return v


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Validate an integer in the closed interval ``[low, high]`` and return it."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    interval = _fmt_interval(low, high, "both")
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer in {interval}, got {value!r}")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{name} must be an integer in {interval}, got {v}")
    return v


def check_array(
    value: Any,
    name: str,
    *,
    ndim: int | None = None,
    shape: tuple[int | None, ...] | None = None,
    allow_empty: bool = False,
) -> np.ndarray:
    """Validate a finite float array (converted to ``float64``).

    ``shape`` may contain ``None`` for free dimensions.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real-valued array, got {type(value).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must be non-empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def check_vector(value: Any, name: str, *, size: int | None = None, nonzero: bool = False) -> np.ndarray:
    """Validate a finite 1-d float vector, optionally of a given size and non-zero."""
    arr = check_array(value, name, ndim=1, shape=None if size is None else (size,))
    if nonzero and not np.any(arr):
        raise ValueError(f"{name} must be non-zero (||{name}|| > 0)")
    return arr


def check_matrix(value: Any, name: str, *, shape: tuple[int | None, int | None] | None = None) -> np.ndarray:
    """Validate a finite 2-d float matrix, optionally of a given shape."""
    return check_array(value, name, ndim=2, shape=shape)


def as_real_array(value: Any, name: str) -> np.ndarray:
    """``value`` as a float64 array, or a ValueError naming the parameter (e.g. for strings)."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number or an array of real numbers, got {value!r}") from None


def check_random_state(seed: Any) -> np.random.Generator:
    """Turn ``seed`` into a :class:`numpy.random.Generator`.

    ``None`` gives fresh OS entropy, an int (>= 0) or a
    :class:`numpy.random.SeedSequence` a reproducible generator, and an
    existing generator is returned unchanged.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.random.default_rng(int(seed))
    raise ValueError(f"seed must be None, a non-negative int or a numpy Generator, got {seed!r}")
