"""The figure manifest: the one registry of what ``python -m figures`` makes.

Every figure (and table) the package reproduces is listed here exactly once:
the output file stem (written as ``<stem>.png`` and ``<stem>.pdf``, tables as
``<stem>.md``), the paper figure/table or theorem it reproduces, the
simulation (``sims.<name>``) whose saved result it is drawn from, the plot
callable (``figures.<name>.plot``), and the command-line arguments of that
simulation at each scale:

``quick``
    the simulation's ``--quick`` (plus, for the slowest ones, a few flags
    that shrink it further); seconds per simulation, used by the tests.
``default``
    the simulation's own defaults (minutes on a laptop CPU).
``paper``
    the simulation's paper-scale preset where it has one
    (``sims.deep_fusion_toy --preset paper``), otherwise larger grids,
    more replicates and longer training chosen here; meant for a
    workstation or a GPU (the torch simulations use CUDA when present).

``docs/figures.md`` is rendered from this module
(``python -m figures.report --docs``); a test keeps the two in sync.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

__all__ = [
    "SCALES",
    "Output",
    "Entry",
    "MANIFEST",
    "entry",
    "resolve_names",
    "all_outputs",
    "render_markdown",
    "results_dir",
    "sim_args",
    "expected_config",
    "Status",
    "result_status",
]

#: The scales every entry defines, smallest first.
SCALES = ("quick", "default", "paper")


@dataclass(frozen=True)
class Output:
    """One output file set of an entry."""

    stem: str
    """File stem: ``<stem>.png`` + ``<stem>.pdf`` (figures) or ``<stem>.md`` (tables)."""
    paper: str
    """The paper figure / table / theorem it reproduces."""
    shows: str
    """What is drawn: theory lines, simulation points, axes."""
    kind: str = "figure"
    """``"figure"`` (PNG + PDF, drawn by the entry's plot callable) or ``"table"`` (markdown, :mod:`figures.report`)."""

    @property
    def suffixes(self) -> tuple[str, ...]:
        return (".png", ".pdf") if self.kind == "figure" else (".md",)

    def files(self, out_dir: str | Path) -> list[Path]:
        return [Path(out_dir) / f"{self.stem}{s}" for s in self.suffixes]


@dataclass(frozen=True)
class Entry:
    """One simulation and the outputs drawn from its saved result."""

    name: str
    """Name on the command line; also ``sims.<name>``, the result name and ``figures.<name>``."""
    paper: str
    """Source paper (short citation)."""
    outputs: tuple[Output, ...]
    scales: Mapping[str, tuple[str, ...]]
    """Arguments of ``python -m sims.<name>`` at each of :data:`SCALES`."""
    doc: str
    """The docs page that states the theorems this entry checks."""
    notes: str = ""
    plot_callable: str = field(default="")
    """``module:function``; defaults to ``figures.<name>:plot``."""

    @property
    def sim_module(self) -> str:
        return f"sims.{self.name}"

    @property
    def result_name(self) -> str:
        return self.name

    def load_sim(self) -> ModuleType:
        return importlib.import_module(self.sim_module)

    def plot(self) -> Callable[..., list[Path]]:
        mod, func = (self.plot_callable or f"figures.{self.name}:plot").split(":")
        return getattr(importlib.import_module(mod), func)

    def command(self, scale: str = "default") -> str:
        """The shell command that regenerates this entry's result at ``scale``."""
        args = " ".join(self.scales[scale])
        return f"python -m {self.sim_module}{(' ' + args) if args else ''}"

    @property
    def figures(self) -> tuple[Output, ...]:
        return tuple(o for o in self.outputs if o.kind == "figure")

    @property
    def tables(self) -> tuple[Output, ...]:
        return tuple(o for o in self.outputs if o.kind == "table")


GMZ = "Gui, Ma & Zhong (expansion-shrinkage poster; arXiv 2306.03335)"
LPA = "Li & Pimentel-Alarcón (Deep Fusion)"
COS = "Cosentino et al. (InfoNCE geometry of projection heads)"
SONG = "Song et al. (SparseHead)"

MANIFEST: tuple[Entry, ...] = (
    Entry(
        name="phase_diagram",
        paper=GMZ,
        doc="expansion_shrinkage.md",
        outputs=(
            Output(
                "phase_diagram",
                "GMZ Theorem 1: the expansion-shrinkage phase diagram",
                "heat map of the expansion measure of the minimiser of the exact loss C and of L~ over "
                "(tau, sigma_aug^2), with the threshold tau* (white dashed) and the exact loss's rank-one "
                "boundary (red)",
            ),
            Output(
                "phase_diagram_fig3",
                "GMZ poster Fig. 3 (expansion measure against tau)",
                "expansion measure of the minimiser against tau for a few sigma_aug^2 (solid: C, dashed: L~, "
                "dotted: tau*)",
            ),
            Output(
                "phase_diagram_p",
                "beyond the poster: the exact minimiser against tau and p (low-temperature law)",
                "t* of C against tau for several p with the law 1 - tau (p-1) N((1+s)^2+rho)/(2 s rho (1+s)) "
                "(dotted), tau* and tau_C; the (tau, p) map of t*",
            ),
            Output(
                "phase_diagram_ratio",
                "beyond the poster: the exact boundary tau_C against tau* (Theorem 1)",
                "tau_C / tau* over (sigma_aug^2, rho) in [1e-3, 1e2]^2, log colour scale with contours",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--n-sigma2", "200", "--n-tau", "200", "--rho", "0.5", "1", "4", "--n-curve-tau", "800"),
        },
    ),
    Entry(
        name="ntxent_phase",
        paper=GMZ,
        doc="expansion_shrinkage.md",
        outputs=(
            Output(
                "ntxent_phase",
                "beyond the poster: the phase diagram of the infinite-batch NT-Xent loss (no rank-one phase)",
                "expansion measure of the minimiser over (tau, sigma_aug^2) for L~, C and infinite-batch NT-Xent at "
                "p and as p -> inf (2 x 2), with tau* and tau_C; exactly rank-one minimisers dotted; NT-Xent cells "
                "with quadrature error > 1e-3 crossed out",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--n-sigma2", "16", "--n-tau", "16", "--nodes", "16"),
        },
    ),
    Entry(
        name="phase_train",
        paper=GMZ,
        doc="expansion_shrinkage.md",
        outputs=(
            Output(
                "phase_train",
                "GMZ Theorem 1 cross-validated by training (goes with the phase diagram)",
                "population minimiser's expansion measure against tau (lines) with the projector learned by "
                "Adam on the finite-batch loss (points, mean +- s.e. over seeds)",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--sigma2", "0.1", "0.5", "2", "--tau", "0.05", "0.2", "0.5", "2", "10", "50",
                      "--p", "20", "--steps", "3000", "--batch", "2048", "--n-seeds", "5"),
        },
    ),
    Entry(
        name="trained_expansion",
        paper=GMZ,
        doc="expansion_shrinkage.md",
        outputs=(
            Output(
                "trained_expansion",
                "GMZ poster Fig. 2: signal expansion/shrinkage on a trained encoder with a linear projector",
                "cumulative signal score of the projector's top singular directions against their number, per "
                "temperature (lines, mean +- sd over seeds) with the isotropic baseline i/p; the top direction's "
                "share against tau per augmentation strength, with the input model's tau_C",
            ),
            Output(
                "trained_expansion_evidence",
                "GMZ poster, empirical evidence for feature-level modeling: separability and the loss decomposition",
                "per epoch (one line per seed): fraction of class pairs with separable encoder features, "
                "L_perp / min_phi L and the distance of the projector to the re-optimised one",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--seeds", "10", "--evidence-seeds", "5", "--epochs", "40", "--synthetic-epochs", "60", "--taus", "0.05", "0.1", "0.2",
                      "0.5", "1", "2", "5", "--aug-scales", "0.25", "0.5", "2", "4", "--rep-dim", "64",
                      "--eval-size", "512"),
        },
    ),
    Entry(
        name="maxmargin",
        paper=GMZ,
        doc="maxmargin.md",
        outputs=(
            Output(
                "maxmargin_error",
                "GMZ Theorem 2: Err*(eta) of the max-margin classifier",
                "asymptotic test error Err*(eta) (CGMT, line) with the exact error of finite-sample SVMs at "
                "several p (points, mean +- sd), Bayes error and the eta -> inf limit",
            ),
            Output(
                "maxmargin_margin",
                "GMZ Theorem 2: the asymptotic margin kappa*(eta)",
                "kappa*(eta) (line) with finite-sample SVM margins (points, mean +- sd)",
            ),
            Output(
                "maxmargin_separability",
                "GMZ Theorem 2: the separability threshold delta*(rho)",
                "fraction of linearly separable samples (LP) against delta = n/p for several p, delta* marked",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--rho", "0.5", "1", "2", "--p", "200", "400", "800", "1600", "--reps", "50",
                      "--sep-p", "100", "200", "400", "--sep-reps", "100"),
        },
    ),
    Entry(
        name="logistic_lowdim",
        paper=GMZ,
        doc="maxmargin.md",
        outputs=(
            Output(
                "logistic_lowdim_error",
                "GMZ low-dimensional Proposition (logistic regression, both lambda_n regimes)",
                "test error against eta for lambda_n = a, a n^(1/4), a sqrt(n), balanced and i.i.d. labels, "
                "growing n (points, mean +- sd), Bayes error and the derived sqrt(n) limit (lines)",
            ),
            Output(
                "logistic_lowdim_rate",
                "GMZ low-dimensional Proposition: the O(b_n n^(-1/2)) band",
                "mean excess error against n (log-log) with the stated band b_n n^(-1/2) and the measured "
                "n^(-1) reference",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--n", "250", "1000", "4000", "16000", "64000", "--reps", "400"),
        },
    ),
    Entry(
        name="fusion_theory",
        paper=LPA,
        doc="deep_fusion.md",
        outputs=(
            Output(
                "fusion_theory_sharpness",
                "LPA Theorem 2: sharpness per layer",
                "Def. 2 log-sharpness of the attention against the layer for several noise levels (points, "
                "mean +- s.e.); its gain per layer against Theorem 2's claimed gain (dashed); the proof's score "
                "gap with the corrected lower bound (triangles)",
            ),
            Output(
                "fusion_theory_attention",
                "LPA Theorem 1: attention of the subspace construction across layers",
                "attention matrices of the Theorem 1 construction, samples sorted by cluster, noise level x layer",
            ),
            Output(
                "fusion_theory_integrity",
                "LPA Definition 1 / Appendix Algorithm 1: cluster integrity",
                "greedy Algorithm 1 against the certified convex (SOCP) bounds, with y = x",
            ),
            Output(
                "fusion_theory_region",
                "LPA Theorem 2: where the bound says anything",
                "claimed log gain over (eps, rho) for several n, with the gain = 1 contour and the "
                "separability boundary Delta = delta",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--reps", "50", "--layers", "10", "--n-integrity", "200"),
        },
    ),
    Entry(
        name="deep_fusion_toy",
        paper=LPA,
        doc="deep_fusion.md",
        outputs=(
            Output(
                "deep_fusion_toy_attention",
                "LPA Table 1 (attention maps across layers)",
                "attention maps (mean over the heads, one colour scale for all panels) of the trained "
                "transformer head at up to five layers, held-out batch sorted by class",
            ),
            Output(
                "deep_fusion_toy_depth",
                "LPA Deep Fusion claim (grouping rises with depth)",
                "in-class attention mass (points, mean +- sd over seeds) against its chance level (line), "
                "Def. 2 sharpness and block-diagonality per layer",
            ),
            Output(
                "deep_fusion_toy_comparison",
                "LPA Table 2 protocol (FFN vs transformer head) on our data",
                "training curves and the unsupervised (1-NN) / supervised (10% linear probe) accuracies on "
                "backbone features and head outputs per head (mean +- sd over seeds)",
            ),
            Output(
                "deep_fusion_toy_table2",
                "LPA Table 2 protocol (FFN vs transformer head) on our data",
                "the accuracies and training times as a markdown table (mean +- sd over seeds)",
                kind="table",
            ),
        ),
        scales={
            "quick": ("--quick", "--epochs", "10"),
            "default": (),
            "paper": ("--preset", "paper"),
        },
        notes="the quick scale adds --epochs 10 to the simulation's --quick (which trains 60 epochs), to keep "
              "the test suite fast; the figures are complete, the attention is less grouped.",
    ),
    Entry(
        name="deep_fusion_table2",
        paper=LPA,
        doc="transformer_head.md",
        outputs=(
            Output(
                "deep_fusion_table2",
                "LPA Table 2 where it can decide: FFN vs transformer head on noisy subspace clusters",
                "1-NN and linear-probe accuracy of the backbone and of the head's output for both heads (dots: "
                "paired seeds, bars: means) and the paired transformer-minus-FFN differences with 95% t-intervals "
                "against the paper's gain",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--seeds", "100", "--epochs", "30"),
        },
    ),
    Entry(
        name="deep_fusion_ablation",
        paper=LPA,
        doc="transformer_head.md",
        outputs=(
            Output(
                "deep_fusion_ablation",
                "LPA Tables 3-6: batch size, temperature, weight decay and depth ablations",
                "1-NN accuracy of the backbone (our FFN and transformer heads and the authors', mean +- sd over "
                "seeds), the paired transformer-minus-FFN difference of each pair, and each transformer's in-class "
                "attention mass minus chance in its first and last layer, against each swept setting",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--seeds", "6", "--epochs", "40", "--batch-sizes", "16", "64", "256", "512", "--taus", "1", "0.2",
                      "0.05", "0.02", "--weight-decays", "0.1", "0.01", "0.001", "0.0001"),
        },
    ),
    Entry(
        name="nuisance_rank",
        paper=COS,
        doc="infonce_geometry.md",
        outputs=(
            Output(
                "nuisance_rank",
                "Cosentino Fig. 1 / Props. 4.1-4.3 with an augmentation along k nuisance coordinates",
                "Rank_tau of a linear projector trained with NT-Xent against the augmentation strength on k "
                "nuisance coordinates (points, mean +- sd over seeds) with d and d - k; the projector's weight on "
                "those coordinates; its singular values",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--seeds", "10", "--epochs", "100", "--d", "64", "--n-nuisance", "16"),
        },
    ),
    Entry(
        name="rotation_rank",
        paper=COS,
        doc="infonce_geometry.md",
        outputs=(
            Output(
                "rotation_rank",
                "Cosentino Fig. 10: rank of a rotated image collection",
                "rank of the covariance of 500 rotated copies of a random one-hot 32x32 image against the maximum "
                "angle (points, mean +- sd over 5 runs) with the largest possible rank; the covariance spectra "
                "of one run",
            ),
        ),
        scales={
            "quick": ("--quick",),
            "default": (),
            "paper": ("--runs", "20"),
        },
    ),
    Entry(
        name="projector_e2e",
        paper=f"{COS}; {SONG}; {GMZ}",
        doc="sparsehead.md",
        outputs=(
            Output(
                "projector_e2e_xval",
                "GMZ Theorems 1-2 cross-validated by SGD on GMM features",
                "learned vs population-minimiser expansion measure, SGD trajectories, downstream max-margin "
                "error against Err*(eta(t))",
            ),
            Output(
                "projector_e2e_synthetic",
                "Cosentino Figs. 1, 3, 6, 7; Song Figs. 1, 3 (synthetic data)",
                "InfoNCE within its Prop. 3.1 bounds, Rank_tau, FVU, nearest-negative agreement per epoch; "
                "covariance spectra of h and z; linear probe before/after the projector",
            ),
            Output(
                "projector_e2e_digits",
                "Cosentino Figs. 1, 3, 6, 7; Song Figs. 1, 3 (8x8 digits)",
                "the same panels on the digits with a small CNN",
            ),
            Output(
                "projector_e2e_encoder",
                "Cosentino Figs. 4, 5, 9: the encoder's spectrum over training and the nearest-negative distance",
                "log-singular values of the encoder outputs at initialisation, half-way and the end; their Rank_tau "
                "and the normalised distance between a view and its nearest negative per epoch (mean +- sd over "
                "seeds), for three augmentation strengths and the digits",
            ),
            Output(
                "projector_e2e_sparsehead",
                "Song et al. Tables 1-2: SparseHead's effect on the downstream accuracy",
                "paired with-minus-without-SparseHead difference of the linear-probe and 5-NN accuracy of the "
                "backbone features and of the accuracy after fine-tuning on 1% / 10% of the digits labels, per data "
                "set and head (every replicate, mean +- s.e.)",
            ),
        ),
        scales={
            "quick": ("--quick", "--heads", "linear,mlp,mlp+sparse"),
            "default": (),
            "paper": ("--xval-steps", "2000", "--xval-seeds", "5", "--downstream-reps", "100",
                      "--epochs", "100", "--digits-epochs", "60", "--n-train", "4096", "--n-test", "2048"),
        },
        notes="the quick scale trains only the linear, mlp and mlp+SparseHead heads (all panels are drawn).",
    ),
)

_BY_NAME = {e.name: e for e in MANIFEST}
_BY_STEM = {o.stem: e for e in MANIFEST for o in e.outputs}


def entry(name: str) -> Entry:
    """The entry called ``name`` (a simulation name or an output stem); ``KeyError`` otherwise."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    return _BY_STEM[name]


def resolve_names(names: list[str] | tuple[str, ...]) -> list[Entry]:
    """Entries for ``names`` (simulation names or output stems), in manifest order, without repeats.

    Raises
    ------
    KeyError
        Naming the first unknown name.
    """
    if not names:
        return list(MANIFEST)
    wanted = set()
    for n in names:
        if n not in _BY_NAME and n not in _BY_STEM:
            raise KeyError(n)
        wanted.add(entry(n).name)
    return [e for e in MANIFEST if e.name in wanted]


def all_outputs() -> list[tuple[Entry, Output]]:
    """Every ``(entry, output)`` pair of the manifest."""
    return [(e, o) for e in MANIFEST for o in e.outputs]


def render_markdown() -> str:
    """``docs/figures.md``: the manifest as a page (generated, do not edit by hand)."""
    lines = [
        "# Figures and tables",
        "",
        "<!-- generated by `python -m figures.report --docs` from figures/manifest.py; do not edit -->",
        "",
        "Every figure the package reproduces, the paper figure, table or theorem it reproduces, and the",
        "simulation whose saved result it is drawn from. `python -m figures` makes all of them",
        "(`python -m figures NAME ...` a subset, `python -m figures --list` prints this list); figures are",
        "PNG + PDF, tables markdown. Theory is drawn as lines, simulations as points with error bars.",
        "See [the user guide](user_guide.md) for the flags and [the reproduction report](reproduction.md)",
        "for what each figure shows about each claim.",
        "",
        "| output | reproduces | drawn from | what it shows |",
        "|---|---|---|---|",
    ]
    for e, o in all_outputs():
        files = " ".join(f"`{o.stem}{s}`" for s in o.suffixes)
        lines.append(f"| {files} | {o.paper} | `sims.{e.name}` | {o.shows} |")
    lines += ["", "## Simulations and scales", ""]
    lines += [
        "`python -m figures --scale quick|default|paper` runs each simulation with these arguments when its",
        "saved result is missing or stale (`quick` is also `--quick`). Results go to `results/<name>/`",
        "(default scale) or `results/<scale>/<name>/`; figures to `figures/out/<scale>/`.",
        "",
        "| simulation | paper | quick | default | paper scale | theory page |",
        "|---|---|---|---|---|---|",
    ]
    for e in MANIFEST:
        cells = [f"`{' '.join(e.scales[s])}`" if e.scales[s] else "(defaults)" for s in SCALES]
        lines.append(f"| `sims.{e.name}` | {e.paper} | {cells[0]} | {cells[1]} | {cells[2]} | [{e.doc}]({e.doc}) |")
    notes = [f"* `sims.{e.name}`: {e.notes}" for e in MANIFEST if e.notes]
    if notes:
        lines += ["", "Notes:", ""] + notes
    lines += [
        "",
        "Only `sims.deep_fusion_toy` has a paper preset of its own (`--preset paper`: 10 layers, 4 heads, SGD",
        "lr 0.1 cosine, batch 1024, 200 epochs); the other paper-scale rows are larger grids, more replicates",
        "and longer training chosen in `figures/manifest.py`.",
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------ results


def results_dir(e: Entry, scale: str, root: str | Path = "results") -> Path:
    """Where ``e``'s result lives: ``<root>/<name>`` (default scale) or ``<root>/<scale>/<name>``."""
    root = Path(root)
    return root / e.name if scale == "default" else root / scale / e.name


def sim_args(e: Entry, scale: str, out: str | Path, *, n_jobs: int | None = None) -> list[str]:
    """The argument list of ``sims.<name>.main`` for ``scale``, writing to ``out``."""
    args = [*e.scales[scale], "--out", str(out)]
    if n_jobs is not None and _has_option(e, "--n-jobs"):
        args += ["--n-jobs", str(n_jobs)]
    return args


def _has_option(e: Entry, option: str) -> bool:
    return option in e.load_sim().build_parser()._option_string_actions


def expected_config(e: Entry, scale: str, out: str | Path) -> dict:
    """The config ``sims.<name>`` would write for ``scale`` (its own ``build_parser`` + ``make_config``).

    Raises
    ------
    ValueError / sims._common.CLIError
        If the manifest's arguments are invalid for the simulation.
    """
    import contextlib
    import io

    mod = e.load_sim()
    parser = mod.build_parser()
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = parser.parse_args(sim_args(e, scale, out))
    except SystemExit as exc:
        msg = " ".join(err.getvalue().split()) or f"exit {exc.code}"
        raise ValueError(f"figures/manifest.py: invalid {scale} arguments for sims.{e.name}: {msg}") from None
    return mod.make_config(args)


@dataclass(frozen=True)
class Status:
    """Freshness of one entry's saved result."""

    state: str
    """``"fresh"``, ``"missing"``, ``"stale"`` or ``"corrupt"``."""
    reason: str
    file: Path
    config_hash: str | None = None
    folder: Path | None = None
    """The folder holding the result of the expected config (``<out>/runs/<config_hash>``)."""

    @property
    def fresh(self) -> bool:
        return self.state == "fresh"


def result_status(e: Entry, scale: str, root: str | Path = "results", *, config: dict | None = None) -> Status:
    """Is there an intact result of the config the manifest asks for at ``scale``, made by this code?

    The result of that config lives in ``<results_dir>/runs/<config_hash>/``
    (results of other configs coexist there); :func:`sims._store.lookup`
    verifies it exactly as the simulations do:

    * ``missing``: no result of this config;
    * ``corrupt``: unreadable / truncated JSON or NPZ, arrays missing from
      the NPZ, or a checksum that does not match (a hand-edited config,
      result or array);
    * ``stale``: a complete result made by other code (another source
      fingerprint of ``theory/`` and ``sims/``);
    * ``fresh``: intact, of this config, made by this code.
    """
    from sims._common import config_hash
    from sims._store import run_dir
    from sims._store import lookup as _lookup

    d = results_dir(e, scale, root)
    want = expected_config(e, scale, d) if config is None else config
    folder = run_dir(d, want)
    js = folder / f"{e.result_name}.json"
    hit, reason = _lookup(folder, e.result_name, want)
    h = config_hash(want)
    if hit is not None:
        return Status("fresh", "", js, h, folder)
    if reason.startswith("missing"):
        latest = d / f"{e.result_name}.json"
        more = f" (the latest result in {d} is of another config)" if latest.exists() else ""
        return Status("missing", f"no result of this config: {js}{more}", js, h, folder)
    state = "stale" if reason.startswith("stale") else "corrupt"
    npz = folder / f"{e.result_name}.npz"
    return Status(state, reason, npz if str(npz) in reason else js, h, folder)
