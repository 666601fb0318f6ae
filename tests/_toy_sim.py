"""A toy simulation on the shared run skeleton, for the skeleton's own tests.

``python tests/_toy_sim.py --units N --sleep S --out DIR`` runs ``N`` units,
each sleeping ``S`` seconds and drawing three normals from
``SeedSequence([seed, i])``; the combine step stacks them.  Its figure is
one PNG/PDF pair whose bytes encode the result, so a test can tell which
result a figure was drawn from.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # run as a script: make the package and this folder importable
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from sims._common import ArgumentParser, Simulation, Unit, add_run_arguments, load_results  # noqa: E402
from theory._validation import check_int, check_scalar  # noqa: E402

NAME = "toy"


def build_parser() -> ArgumentParser:
    ap = ArgumentParser(prog="toy", description="toy simulation")
    ap.add_argument("--units", type=int, default=6, help="number of units")
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds per unit")
    add_run_arguments(ap, NAME)
    return ap


def make_config(args) -> dict:
    return {"units": check_int(args.units, "--units", low=1), "sleep": check_scalar(args.sleep, "--sleep", low=0.0),
            "seed": check_int(args.seed, "--seed", low=0)}


def unit(seed: int, i: int, sleep: float) -> dict:
    time.sleep(sleep)
    rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
    return {"x": rng.standard_normal(3), "i": i, "pair": (float(i) / 3, None)}


def units(config: dict) -> list[Unit]:
    return [Unit(unit, (config["seed"], i, config["sleep"])) for i in range(config["units"])]


def combine(config: dict, results: list):
    x = np.stack([r["x"] for r in results])
    assert [r["i"] for r in results] == list(range(config["units"]))
    return {"total": float(x.sum())}, {"x": x, "third": np.array([r["pair"][0] for r in results])}


def plot(results_dir, out_dir=None) -> list[Path]:
    meta, arrays = load_results(results_dir, NAME)
    out = Path(results_dir if out_dir is None else out_dir)
    paths = []
    for ext in ("png", "pdf"):
        path = out / f"toy_fig.{ext}"
        path.write_text(meta["checksum"]["arrays"])
        paths.append(path)
    return paths


SIMULATION = Simulation(name=NAME, build_parser=build_parser, make_config=make_config, units=units, combine=combine,
                        plot="_toy_sim", figure_stems=("toy_fig",), describe=lambda c: f"toy ({c['units']} units)")
main = SIMULATION.entry()

if __name__ == "__main__":
    raise SystemExit(main())
