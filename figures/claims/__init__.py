"""The claims of the reproduction report, one module per seed paper.

:data:`CLAIMS` is every claim in report order; each has the paper's statement,
the simulation and figures it is checked with, and an explicit rule
(``check(meta, arrays) -> Finding``) that turns the saved numbers into a
verdict. :mod:`figures.report` only renders them.
"""

from __future__ import annotations

from figures.claims import cos, gmz, heads, lpa, song
from figures.claims._base import CONFIRMED, CONTRADICTED, CORRECTED, NO_RESULTS, NOT_AT_SCALE, VERDICTS, Claim, Finding

__all__ = ["CLAIMS", "Claim", "Finding", "VERDICTS", "CONFIRMED", "CORRECTED", "NOT_AT_SCALE", "CONTRADICTED",
           "NO_RESULTS", "gmz", "lpa", "cos", "heads", "song"]

CLAIMS: tuple[Claim, ...] = gmz.CLAIMS + lpa.CLAIMS + cos.CLAIMS + heads.CLAIMS + song.CLAIMS
