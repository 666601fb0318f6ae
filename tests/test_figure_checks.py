"""``figures._check``: each check finds the problem it names, and every registered figure passes them all.

The checker is first shown to catch planted problems (a legend over a line,
a marker set outside the view, a missing axis label, a tiny font on a wide
figure) and to stay silent on a clean figure; then every figure of the
quick run (``quick_run_checked`` in ``conftest.py``) is checked as it is drawn.
"""

from __future__ import annotations

import numpy as np
import pytest

from figures._check import MIN_FONT_PT, SHOWN_WIDTH_IN, figure_problems
from figures._style import plt, use_style
from figures.manifest import MANIFEST


def _clean_figure(width: float = 5.0):
    use_style()
    fig, ax = plt.subplots(figsize=(width, 3.5))
    x = np.linspace(0.0, 1.0, 50)
    ax.plot(x, x, label="identity")
    ax.plot(x, 0.5 + 0.0 * x, "o", label="points")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig, ax


def test_clean_figure_has_no_problem():
    fig, _ = _clean_figure()
    assert figure_problems(fig) == []
    plt.close(fig)


def test_legend_over_a_line_segment_is_found():
    """The diagonal crosses the legend box between two vertices: only the densified segment hits it."""
    use_style()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot([0.0, 1.0], [0.0, 1.0], label="a two-point diagonal")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="center")
    problems = figure_problems(fig)
    assert any("legend" in p and "diagonal" in p for p in problems), problems
    plt.close(fig)


def test_figure_legend_over_data_is_found():
    fig, ax = _clean_figure()
    ax.get_legend().remove()
    fig.legend(*ax.get_legend_handles_labels(), loc="center")
    problems = figure_problems(fig)
    assert any("figure legend covers" in p for p in problems), problems
    plt.close(fig)


def test_markers_outside_the_view_are_found():
    fig, ax = _clean_figure()
    ax.plot([0.5, 3.0], [0.5, 0.5], "s", label="one marker beyond x = 1")
    ax.set_xlim(0, 1)
    ax.plot([5.0, 6.0], [5.0, 6.0], "-", label="a line out of view")
    problems = figure_problems(fig)
    assert any("1 point(s)" in p and "clipped" in p for p in problems), problems
    assert any("out of view" in p and "entirely outside" in p for p in problems), problems
    plt.close(fig)


def test_missing_axis_labels_are_found_and_shared_axes_excused():
    use_style()
    fig, (a, b) = plt.subplots(1, 2, sharey=True, figsize=(6, 3))
    for ax in (a, b):
        ax.plot([0, 1], [0, 1])
    a.set_xlabel("x")
    a.set_ylabel("y")  # b shares y with a: excused; b has no x label: reported
    problems = figure_problems(fig)
    assert problems == [p for p in problems if "axes 2" in p and "x-axis" in p] and len(problems) == 1, problems
    plt.close(fig)


def test_colourbar_without_label_is_found():
    use_style()
    fig, ax = plt.subplots(figsize=(5, 4))
    im = ax.imshow(np.arange(16.0).reshape(4, 4))
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    fig.colorbar(im, ax=ax)
    assert any("colourbar without a label" in p for p in figure_problems(fig))
    plt.close(fig)


def test_font_size_is_judged_at_the_shown_width():
    """The same 9-pt legend passes on a narrow figure and fails on one 3x as wide as the page."""
    fig, _ = _clean_figure(width=5.0)
    assert figure_problems(fig) == []
    plt.close(fig)
    fig, _ = _clean_figure(width=3.0 * SHOWN_WIDTH_IN)
    problems = figure_problems(fig)
    assert len(problems) == 1 and "below" in problems[0] and f"{MIN_FONT_PT:g} pt" in problems[0], problems
    plt.close(fig)


@pytest.mark.parametrize("stem", [o.stem for e in MANIFEST for o in e.figures])
def test_every_registered_figure_passes_the_checks(quick_run_checked, stem):
    """Each figure of the quick run was checked as it was drawn (the session fixture in conftest.py)."""
    _, _, problems = quick_run_checked
    assert stem in problems, f"{stem} was not drawn through save_figure"
    assert problems[stem] == [], "\n".join(problems[stem])


def test_overlapping_titles_are_found():
    use_style()
    fig, (a, b) = plt.subplots(1, 2, figsize=(5, 3))
    for ax in (a, b):
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title("a title much too long for its narrow panel, so it runs into the next one")
    problems = figure_problems(fig)
    assert any("overlap" in p and "a title much" in p for p in problems), problems
    plt.close(fig)
