"""What a machine can check about a figure before a reader sees it.

:func:`figure_problems` draws a figure (as :func:`figures._style.save_figure`
saves it) and returns one line per problem:

* **legend over data**: a legend drawn inside an axes must not cover any
  plotted point, marker, error bar or line segment of that axes (lines are
  sampled along their segments in display space, so a segment that crosses
  the legend box counts even when no vertex lies inside it);
* **data outside the axes**: a line, marker set or error bar of which no part
  lies inside the axes view is invisible; a marker or error-bar point outside
  the view is clipped;
* **font size at the shown size**: every text is at least
  :data:`MIN_FONT_PT` points once the figure is scaled to
  :data:`SHOWN_WIDTH_IN` inches wide (a page or a screen; figures narrower
  than that are shown at their own size);
* **overlapping texts**: two titles, labels, tick labels or annotations
  whose boxes overlap (texts inside a legend are the legend's business;
  slanted texts are not judged, their boxes are much wider than the glyphs);
* **unlabelled axes**: every axes with plotted data has an x and a y label
  (a grid of images on its outer panels: x on the bottom row, y on the left
  column; an axis shared with a labelled axis carries its label); every
  colourbar has a label.

``python -m figures._check`` renders every registered figure from the saved
results under ``--results-dir`` and prints the problems (exit 1 if any).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from figures._style import plt

__all__ = ["MIN_FONT_PT", "SHOWN_WIDTH_IN", "figure_problems", "main"]

#: Width (inches) at which a figure is assumed to be shown: a page's text width.
SHOWN_WIDTH_IN = 7.0
#: Smallest readable font size (points) at the shown width.
MIN_FONT_PT = 6.0

_SAMPLES_PER_SEGMENT = 24


def _display_points(artist, xy) -> np.ndarray:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if xy.size == 0:
        return np.empty((0, 2))
    return artist.get_transform().transform(xy)


def _densify(pts: np.ndarray) -> np.ndarray:
    """Points along the polyline ``pts`` (display coordinates), a few per segment."""
    if len(pts) < 2:
        return pts
    s = np.linspace(0.0, 1.0, _SAMPLES_PER_SEGMENT, endpoint=False)[None, :, None]
    seg = pts[:-1, None, :] + s * (pts[1:, None, :] - pts[:-1, None, :])
    return np.vstack([seg.reshape(-1, 2), pts[-1:]])


def _data_marks(ax) -> list[tuple[str, np.ndarray, bool]]:
    """``(description, display points, is_line)`` of every plotted element of ``ax``."""
    marks = []
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = np.column_stack([np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)])
        pts = _display_points(line, xy)
        if len(pts) == 0:
            continue
        label = line.get_label()
        name = f"line {label!r}" if label and not label.startswith("_") else "an unlabelled line"
        has_line = line.get_linestyle() not in ("None", "none", "", " ")
        has_marker = line.get_marker() not in ("None", "none", "", " ", None)
        if has_line:
            marks.append((name, _densify(pts), True))
        if has_marker:
            marks.append((name + " (markers)", pts, False))
    for coll in ax.collections:
        if not coll.get_visible() or type(coll).__name__ in ("QuadMesh", "PolyQuadMesh"):
            continue
        offsets = np.asarray(coll.get_offsets(), float)
        if type(coll).__name__ == "PathCollection" and offsets.size:  # scatter
            pts = coll.get_offset_transform().transform(offsets[np.all(np.isfinite(offsets), axis=1)])
            marks.append(("scatter points", pts, False))
            continue
        if type(coll).__name__ == "LineCollection":  # error bars, vlines
            segs = [np.asarray(s, float) for s in coll.get_segments() if len(s)]
            if segs:
                pts = np.vstack([_densify(coll.get_transform().transform(s[np.all(np.isfinite(s), axis=1)]))
                                 for s in segs if np.isfinite(s).all(axis=1).any()] or [np.empty((0, 2))])
                marks.append(("error bars / segments", pts, False))
    return marks


def _inside(pts: np.ndarray, bbox, pad: float = 0.0) -> np.ndarray:
    return ((pts[:, 0] >= bbox.x0 - pad) & (pts[:, 0] <= bbox.x1 + pad)
            & (pts[:, 1] >= bbox.y0 - pad) & (pts[:, 1] <= bbox.y1 + pad))


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar") or getattr(ax, "_colorbar_info", None) is not None or (
        ax.get_label() == "<colorbar>")


def _overlapping_texts(fig, renderer, name: str) -> list[str]:
    """Pairs of visible texts (titles, labels, tick labels, annotations) whose boxes overlap.

    Texts inside a legend are left out (the legend lays them out itself).
    """
    in_legends = {id(t) for leg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)] if leg is not None
                  for t in leg.findobj(match=lambda a: isinstance(a, plt.Text))}
    tick_labels, drawn = set(), set()  # tick labels outside the view exist but are not drawn
    for ax in fig.axes:
        for axis in ax._axis_map.values():
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                tick_labels.update((id(tick.label1), id(tick.label2)))
            for tick in axis._update_ticks():
                drawn.update((id(tick.label1), id(tick.label2)))
    boxes = []
    for t in fig.findobj(match=lambda a: isinstance(a, plt.Text)):
        if id(t) in in_legends or not t.get_visible() or not t.get_text().strip():
            continue
        if id(t) in tick_labels and id(t) not in drawn:
            continue
        b = t.get_window_extent(renderer)
        if b.width > 0 and b.height > 0:
            slanted = t.get_rotation() % 90 != 0  # its box is wider than its glyphs
            boxes.append((t.get_text(), b.x0 + 1, b.y0 + 1, b.x1 - 1, b.y1 - 1, slanted))
    found = []
    for i in range(len(boxes)):
        ti, a0, b0, a1, b1, si = boxes[i]
        for j in range(i + 1, len(boxes)):
            tj, c0, d0, c1, d1, sj = boxes[j]
            if si or sj:  # a slanted text's box is much wider than its glyphs: not judged
                continue
            if a0 < c1 and c0 < a1 and b0 < d1 and d0 < b1:
                found.append(f"{name}: texts {ti[:30]!r} and {tj[:30]!r} overlap")
    return found


def figure_problems(fig, name: str = "figure") -> list[str]:
    """One line per problem a reader would meet in ``fig`` (see the module docstring)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems: list[str] = []
    fig_bbox = fig.get_tightbbox(renderer)  # inches: what savefig(bbox="tight") keeps
    width_in = fig_bbox.width
    scale = min(1.0, SHOWN_WIDTH_IN / width_in) if width_in > 0 else 1.0

    small = []
    for t in fig.findobj(match=lambda a: isinstance(a, plt.Text)):
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() * scale < MIN_FONT_PT - 1e-9:
            small.append((t.get_fontsize() * scale, t.get_text()))
    if small:
        size, text = min(small)
        problems.append(f"{name}: {len(small)} text(s) below {MIN_FONT_PT:g} pt when the {width_in:.1f}-inch-wide "
                        f"figure is shown {SHOWN_WIDTH_IN:g} inches wide (smallest {size:.1f} pt: {text[:40]!r})")

    problems += _overlapping_texts(fig, renderer, name)

    plotted = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison and not ax.images:
            continue
        where = f"{name}, axes {i + 1}" + (f" ({ax.get_title()[:40]!r})" if ax.get_title() else "")
        if _is_colorbar(ax):
            if not (ax.get_ylabel().strip() or ax.get_xlabel().strip()):
                problems.append(f"{where}: colourbar without a label")
            continue
        marks = _data_marks(ax)
        need_x = need_y = bool(marks or ax.images or ax.collections)
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        if ax.images and spec is not None:  # a grid of images is labelled on its outer panels
            need_x, need_y = need_x and spec.is_last_row(), need_y and spec.is_first_col()
        # an axis shared with a labelled one (sharex / sharey) carries that label
        if any(o.get_xlabel().strip() for o in ax.get_shared_x_axes().get_siblings(ax) if o is not ax):
            need_x = False
        if any(o.get_ylabel().strip() for o in ax.get_shared_y_axes().get_siblings(ax) if o is not ax):
            need_y = False
        if need_x and not ax.get_xlabel().strip():
            problems.append(f"{where}: no x-axis label")
        if need_y and not ax.get_ylabel().strip():
            problems.append(f"{where}: no y-axis label")
        ax_bbox = ax.get_window_extent(renderer)
        for desc, pts, is_line in marks:
            if len(pts) == 0:
                continue
            inside = _inside(pts, ax_bbox, pad=1.0)
            if not inside.any():
                problems.append(f"{where}: {desc} lies entirely outside the axes")
            elif not is_line and not inside.all():
                problems.append(f"{where}: {int((~inside).sum())} point(s) of {desc} are clipped by the axes")
        plotted.append((where, ax_bbox, marks))

    legends = [(f"{name}: the legend of axes {i + 1}", ax.get_legend()) for i, ax in enumerate(fig.axes)]
    legends += [(f"{name}: the figure legend", leg) for leg in fig.legends]
    for who, leg in legends:
        if leg is None or not leg.get_visible():
            continue
        lb = leg.get_window_extent(renderer)
        for where, ax_bbox, marks in plotted:
            for desc, pts, _ in marks:
                if (_inside(pts, lb) & _inside(pts, ax_bbox)).any():
                    problems.append(f"{who} covers {desc} in {where.split(', ', 1)[-1]}")
    return problems


@contextlib.contextmanager
def checking_figures(module_names: Iterable[str]):
    """Within the block, every figure the named ``figures.*`` modules save is checked first.

    Yields a dict ``{figure stem: [problems]}`` filled as figures are saved
    (each module's ``save_figure`` is wrapped, then restored).
    """
    found: dict[str, list[str]] = {}
    patched = []
    for name in module_names:
        module = importlib.import_module(name)
        original = module.save_figure

        def checking_save(fig, stem, _original=original, **kw):
            found[Path(stem).name] = figure_problems(fig, Path(stem).name)
            return _original(fig, stem, **kw)

        module.save_figure = checking_save
        patched.append((module, original))
    try:
        yield found
    finally:
        for module, original in patched:
            module.save_figure = original


def check_entry_figures(plot, results_folder, out_dir) -> list[str]:
    """Render ``plot(results_folder, out_dir)`` and return the problems of every figure it saves."""
    with checking_figures([plot.__module__]) as found:
        plot(results_folder, out_dir)
    return [p for problems in found.values() for p in problems]


def main(argv: list[str] | None = None) -> int:
    """``python -m figures._check``: check every registered figure drawn from saved results."""
    import tempfile

    from figures.manifest import MANIFEST, results_dir

    ap = argparse.ArgumentParser(prog="python -m figures._check", description=__doc__.split("\n\n")[0])
    ap.add_argument("--results-dir", type=Path, default=Path("results"), help="results root (default: results)")
    ap.add_argument("--scale", default="default", help="quick | default | paper (default: default)")
    ap.add_argument("names", nargs="*", metavar="NAME", help="simulations whose figures to check (default: all)")
    args = ap.parse_args(argv)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for e in MANIFEST:
            if not e.figures or (args.names and e.name not in args.names):
                continue
            folder = results_dir(e, args.scale, args.results_dir)
            if not (folder / f"{e.name}.json").is_file():
                print(f"{e.name}: no saved result under {folder}, skipped", file=sys.stderr)
                continue
            problems += check_entry_figures(e.plot(), folder, Path(tmp))
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
