"""Command-line simulations.  Each module is a thin CLI: ``python -m sims.<name>``.

Every simulation composes functions of :mod:`theory`, writes its results
(JSON + NPZ with the config, seed and package versions) atomically to an
output folder, and then asks :mod:`figures` to plot those saved results.
Shared CLI plumbing lives in :mod:`sims._common`.
"""
