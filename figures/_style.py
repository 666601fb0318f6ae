"""The package's matplotlib style and atomic PNG + PDF saving."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE_FILE = Path(__file__).with_name("projection_heads.mplstyle")

__all__ = ["STYLE_FILE", "figure_key", "use_style", "save_figure"]


def use_style() -> None:
    """Apply the package style (theory as lines, simulation as points)."""
    plt.style.use(str(STYLE_FILE))


def figure_key(fig, axes, *, ncol: int = 3, loc: str = "outside lower center", **kwargs):
    """One legend for the whole figure, outside every axes (so it covers no data).

    Collects the labelled artists of ``axes`` (first occurrence of each label
    wins) and draws them with ``fig.legend``; ``fig`` must use the
    constrained layout for the ``outside`` locations.
    """
    keys: dict = {}
    for ax in _flat(axes):
        for handle, label in zip(*ax.get_legend_handles_labels()):
            keys.setdefault(label, handle)
    return fig.legend(list(keys.values()), list(keys), loc=loc, ncol=min(ncol, max(len(keys), 1)), **kwargs)


def _flat(axes) -> list:
    """``axes`` (one axes, a list or an array of them) as a flat list."""
    import numpy as np

    return list(np.ravel(np.asarray(axes, dtype=object)))


def save_figure(fig, stem: str | os.PathLike, *, formats: tuple[str, ...] = ("png", "pdf")) -> list[Path]:
    """Save ``fig`` as ``<stem>.png`` and ``<stem>.pdf`` atomically, then close it."""
    from sims._common import atomic_write_bytes

    stem = Path(stem)
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        paths.append(atomic_write_bytes(stem.with_suffix(f".{fmt}"), buf.getvalue()))
    plt.close(fig)
    return paths
