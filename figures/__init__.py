"""Figures: plot saved results only (never run theory or training).

Each ``figures.<name>`` module exposes ``plot(results_dir, out_dir=None)``
that reads the JSON/NPZ written by ``sims.<name>`` and writes PNG + PDF via
:func:`figures._style.save_figure`, in the package style.
"""
