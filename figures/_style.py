"""The package's matplotlib style and atomic PNG + PDF saving."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE_FILE = Path(__file__).with_name("projection_heads.mplstyle")

__all__ = ["STYLE_FILE", "use_style", "save_figure"]


def use_style() -> None:
    """Apply the package style (theory as lines, simulation as points)."""
    plt.style.use(str(STYLE_FILE))


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
