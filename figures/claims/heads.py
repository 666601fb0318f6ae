"""Claims of the reproduction report: All four papers: features before the projector against features after it."""

from __future__ import annotations

import numpy as np

from figures.claims._base import CONFIRMED, CONTRADICTED, NOT_AT_SCALE, Claim, Finding, _f

__all__ = ["CLAIMS"]


def _headline(part: str):
    def check(meta, a):
        res = meta["results"].get(part, {})
        runs, gaps = res.get("runs", {}), res.get("probe_gap", {})
        lines, better_h, better_z, n = [], 0, 0, 0
        for key, r in runs.items():
            if key.startswith("none") or "@" in key and not key.endswith("@moderate"):
                continue
            n += 1
            g = gaps.get(key)
            if g is not None and g.get("n_seeds", 1) >= 2:
                se = g["sd"] / np.sqrt(g["n_seeds"])
                better_h += int(g["mean"] > 2 * se)
                better_z += int(g["mean"] < -2 * se)
                lines.append(f"{key}: probe accuracy on h {_f(r['probe_h_final'])}, on z {_f(r['probe_z_final'])}; "
                             f"paired gap h - z {_f(g['mean'])} +- {_f(se)} (s.e., {g['n_seeds']} seeds; "
                             f"> 0.01 in {g['n_h_better_by_0.01']} of {g['n_seeds']})")
            else:  # a single seed: the gap must exceed 0.01
                d = r["probe_h_final"] - r["probe_z_final"]
                better_h += int(d > 0.01)
                better_z += int(d < -0.01)
                lines.append(f"{key}: probe accuracy on h {_f(r['probe_h_final'])}, on z {_f(r['probe_z_final'])} "
                             "(one seed)")
        none = runs.get("none@moderate", runs.get("none"))
        if none is not None:
            lines.append(f"no projection head: probe accuracy on h {_f(none['probe_h_final'])}")
        lines.append(f"heads where h beats z significantly: {better_h} of {n}; where z beats h: {better_z} of {n}")
        if n == 0:
            return Finding(NOT_AT_SCALE, lines)
        if better_z > 0:
            return Finding(CONTRADICTED, lines)
        return Finding(CONFIRMED if better_h == n else NOT_AT_SCALE, lines)

    return check


CLAIMS: tuple[Claim, ...] = (
    Claim("HEAD-digits", "Features before the projector beat features after it (digits)", "all four papers",
          "Linear-probe accuracy on the representation h (before the projection head) is higher than on the "
          "embedding z (after it).",
          "projector_e2e", ("projector_e2e_digits",),
          "per head, the paired per-seed gap h - z: confirmed if it exceeds 2 standard errors for every head "
          "(with one seed: 0.01); contradicted if z beats h by that much for any head; not reproduced at our "
          "scale otherwise.", _headline("digits"), "sparsehead.md"),
    Claim("HEAD-synthetic", "Features before the projector beat features after it (synthetic)", "all four papers",
          "Linear-probe accuracy on the representation h (before the projection head) is higher than on the "
          "embedding z (after it).",
          "projector_e2e", ("projector_e2e_synthetic",),
          "as for the digits, per head at moderate augmentation: confirmed if the paired gap h - z exceeds 2 "
          "standard errors for every head; contradicted if z beats h by that much for any head; not reproduced "
          "at our scale otherwise.", _headline("synthetic"), "sparsehead.md"),
)
