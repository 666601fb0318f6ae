"""Theory of projection heads in contrastive learning.

Small, single-purpose modules of pure functions on numpy arrays (torch only
where autograd or a GPU is needed).  Import the module you need, e.g.::

    from theory.population_loss import population_loss
    from theory.phase import tau_star

Nothing is imported eagerly here, so that importing one module never pays
for (or breaks on) another.
"""

__version__ = "0.1.0"
