"""What every claim module shares: the verdicts, :class:`Claim`, :class:`Finding` and number helpers."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CONFIRMED", "CORRECTED", "NOT_AT_SCALE", "CONTRADICTED", "NO_RESULTS", "VERDICTS", "Finding", "Claim",
           "_f", "_nanmean", "_nanse", "_runs", "_paired_t"]

CONFIRMED = "confirmed"
CORRECTED = "confirmed with a corrected statement"
NOT_AT_SCALE = "not reproduced at our scale"
CONTRADICTED = "contradicted"
NO_RESULTS = "no results"
VERDICTS = (CONFIRMED, CORRECTED, NOT_AT_SCALE, CONTRADICTED)


@dataclass(frozen=True)
class Finding:
    verdict: str
    measured: list[str]
    corrected: str = ""


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    paper: str
    statement: str
    entry: str
    figures: tuple[str, ...]
    rule: str
    check: Callable[[dict, dict], Finding]
    doc: str = ""


# ----------------------------------------------------------------- helpers


def _f(x, digits: int = 3) -> str:
    """Deterministic short number formatting."""
    if x is None:
        return "n/a"
    x = float(x)
    if not np.isfinite(x):
        return "inf" if x > 0 else ("-inf" if x < 0 else "nan")
    return f"{x:.{digits}g}"


def _nanmean(x, axis=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


def _nanse(x, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        n = np.sum(np.isfinite(x), axis=axis)
        sd = np.nanstd(x, axis=axis, ddof=1) if np.max(n) > 1 else np.zeros_like(np.nanmean(x, axis=axis))
        return sd / np.sqrt(np.maximum(n, 1))


def _runs(meta, part):
    return meta["results"].get(part, {}).get("runs", {})


def _all_or_any(signs, lines):
    """Verdict of several paired tests, each +1 (significantly in the claimed direction), -1 (significantly
    against it) or 0: confirmed if every one is +1, contradicted if any is -1, not reproduced at our scale
    otherwise (and when there is none)."""
    if signs and all(v == 1 for v in signs):
        return Finding(CONFIRMED, lines)
    if any(v == -1 for v in signs):
        return Finding(CONTRADICTED, lines)
    return Finding(NOT_AT_SCALE, lines)


def _paired_t(d):
    """Mean, s.e. and the 95% two-sided t threshold of paired differences (inf below 3 pairs)."""
    from scipy.stats import t as student_t

    d = np.asarray(d, dtype=float)
    n = d.size
    se = d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    crit = float(student_t.ppf(0.975, n - 1)) * se if n > 2 else np.inf
    return float(d.mean()), float(se), crit
