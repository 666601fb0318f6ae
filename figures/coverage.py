"""Coverage map: every numbered item of the seed papers, and where the package checks it.

Each :class:`Item` names one numbered Figure / Table / Theorem / Proposition /
Definition / Lemma / Corollary / Assumption / Algorithm / Equation of a seed
paper (``../shared/seeds/``) and says where it is checked:

* ``claims`` -- claim ids of the reproduction report (:data:`figures.report.CLAIMS`),
  each with a rule and a verdict computed from saved results;
* ``tests`` -- test files (``tests/test_x.py``) or test functions
  (``tests/test_x.py::test_name``) that check it against an independent
  computation (identities, constructions, counterexamples need no simulation);
* otherwise ``status`` says why it is not checked here: ``"no claim"`` (a
  diagram, a notation card, a protocol table) or ``"not checkable here"`` /
  ``"not yet checked"`` with the reason, and ``substitute`` names the closest
  check the package does instead.

:func:`render_coverage` writes the map as the first section of the report;
``tests/test_coverage.py`` checks that every claim id and test named exists,
that no item is listed twice, that every claim of the report appears in the
map, and (where the seed texts are present) that every numbered item found in
them is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Item", "PAPERS", "COVERAGE", "STATUSES", "render_coverage"]

CHECKED = "checked"
NO_CLAIM = "no claim"
NOT_CHECKABLE = "not checkable here"
NOT_YET = "not yet checked"
STATUSES = (CHECKED, NO_CLAIM, NOT_CHECKABLE, NOT_YET)

#: seed file -> short name of the paper
PAPERS = {
    "000_71e4879be47f7c31.txt": "Li & Pimentel-Alarcón (Deep Fusion)",
    "001_6199d7d77b786062.txt": "Cosentino et al. (geometry of contrastive SSL)",
    "002_dec3eb1fb54f79bd.txt": "Song et al. (SparseHead)",
    "003_19605e57a6621069.txt": "Gui, Ma & Zhong (poster)",
    "004_95c1a7ef567a4779.txt": "Gui, Ma & Zhong (arXiv abstract)",
}


@dataclass(frozen=True)
class Item:
    seed: str  #: seed file name (a key of PAPERS)
    label: str  #: e.g. "Theorem 2", "Figure 5", "Eq. (10)"
    what: str  #: the claim or content, in a few words
    claims: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    status: str = CHECKED
    reason: str = ""  #: why it is not checked (status != checked)
    substitute: str = ""  #: the closest check done instead

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


_LPA, _COS, _SONG, _GMZ, _ABS = PAPERS

COVERAGE: tuple[Item, ...] = (
    # ------------------------------------------------------------ Li & Pimentel-Alarcón
    Item(_LPA, "Figure 1", "diagram of the transformer projection head and Deep Fusion", status=NO_CLAIM,
         reason="a schematic; the attention maps it depicts are Table 1"),
    Item(_LPA, "Equation (1)", "the NT-Xent loss of SimCLR",
         tests=("tests/test_ntxent.py", "tests/test_infonce.py::test_nt_xent_is_softplus_of_cosentino_terms")),
    Item(_LPA, "Definition 1", "cluster integrity rho (eq. 2)", claims=("LPA-Alg1",),
         tests=("tests/test_integrity.py", "tests/test_attention.py::test_definition1_rho_is_the_wrong_constant_for_K3")),
    Item(_LPA, "Algorithm 1", "greedy search for the cluster integrity", claims=("LPA-Alg1",),
         tests=("tests/test_integrity.py::test_counterexample_algorithm1_far_below_the_optimum",
                "tests/test_integrity.py::test_greedy_step_rules_on_a_hand_made_plane",
                "tests/test_integrity.py::test_greedy_follows_the_listing_of_algorithm1_step_by_step")),
    Item(_LPA, "Theorem 1", "one layer on noiseless subspace clusters gives block-diagonal attention",
         tests=("tests/test_attention.py::test_theorem1_cross_cluster_scores_are_exactly_zero",
                "tests/test_attention.py::test_counterexample_opposite_points_break_the_within_bound_for_every_weight_pair",
                "tests/test_attention.py::test_corrected_theorem1_signed_integrity_is_attained_and_optimal")),
    Item(_LPA, "Definition 2", "sharpness of an attention map",
         tests=("tests/test_attention.py::test_sharpness_is_the_infimum_of_definition_2",)),
    Item(_LPA, "Theorem 2", "sharpness grows by a factor per layer under noise (Deep Fusion)",
         claims=("LPA-T2", "LPA-T2-corrected"),
         tests=("tests/test_attention.py::test_uncorrected_one_layer_bound_is_violated_and_the_corrected_one_attained",
                "tests/test_attention.py::test_counterexample_theorem2_gain_not_sustained_across_layers")),
    Item(_LPA, "Table 1", "attention of a trained transformer head per layer groups the batch by class",
         claims=("LPA-Table1",)),
    Item(_LPA, "Table 2", "transformer vs FFN projection head accuracy", claims=("LPA-Table2", "LPA-Table2-decide")),
    Item(_LPA, "Table 3", "ablation over the batch size (CIFAR100, ResNet18)", claims=("LPA-Table3",),
         reason="at our scale: noisy subspace clusters, a small MLP backbone, CPU (not CIFAR100 / ResNet18)"),
    Item(_LPA, "Table 4", "ablation over the temperature (the transformer collapses at 0.02)", claims=("LPA-Table4",),
         reason="at our scale: noisy subspace clusters, a small MLP backbone, CPU (not CIFAR100 / ResNet18)"),
    Item(_LPA, "Table 5", "ablation over the weight decay", claims=("LPA-Table5",),
         reason="at our scale: noisy subspace clusters, a small MLP backbone, CPU (not CIFAR100 / ResNet18)"),
    Item(_LPA, "Table 6", "supervised accuracy by depth and by where features are taken",
         claims=("LPA-Table6-where", "LPA-Table6-depth"),
         reason="at our scale: noisy subspace clusters, a small MLP backbone, CPU (not CIFAR100 / ResNet18)"),
    # ---------------------------------------------------------------- Cosentino et al.
    Item(_COS, "Figure 1", "stronger augmentation gives a lower-rank projector", claims=("COS-Fig1", "COS-Fig1-nuisance"),
         reason="COS-Fig1 with an isotropic augmentation (no preferred directions), COS-Fig1-nuisance with one that "
                "moves the data along k chosen directions (what Props. 4.1-4.3 are about)"),
    Item(_COS, "Table 1", "notation reference card", status=NO_CLAIM, reason="notation only"),
    Item(_COS, "Figure 2", "augmentation strength weighs invariance against repulsion per datum", claims=("COS-Fig5",),
         reason="a schematic; its measurable consequence is Fig. 5's (the nearest negative's distance against the "
                "augmentation strength)"),
    Item(_COS, "Table 2", "data-augmentation policies of the experiments", status=NO_CLAIM,
         reason="a protocol table (image augmentations for CIFAR); ours are in theory.augmentations"),
    Item(_COS, "Eq. (1)", "batch InfoNCE",
         tests=("tests/test_infonce.py::test_eq1_matches_loop_reference",)),
    Item(_COS, "Eq. (2)", "Rank_tau of a matrix",
         tests=("tests/test_projector_geometry.py::test_rank_tau_against_eigenvalues_of_gram",
                "tests/test_projector_geometry.py::test_rank_tau_at_exact_ties_and_the_zero_matrix")),
    Item(_COS, "Proposition C.1", "entropy decomposition of InfoNCE",
         tests=("tests/test_infonce.py::test_prop_c1_entropy_decomposition_is_an_identity",
                "tests/test_infonce.py::test_prop_c1_printed_sign_is_a_typo")),
    Item(_COS, "Proposition 3.1", "interpretable upper bound on InfoNCE (eq. 3)", claims=("COS-P31",),
         tests=("tests/test_infonce.py::test_prop_31_sandwich_holds_for_all_inputs",)),
    Item(_COS, "Eq. (3)", "the upper bound L_Upper", claims=("COS-P31", "COS-Fig3"),
         tests=("tests/test_infonce.py::test_invariance_and_repulsion_losses_against_loops",)),
    Item(_COS, "Figure 3", "the upper bound tracks InfoNCE during training", claims=("COS-Fig3",)),
    Item(_COS, "Figure 4", "encoder log-singular values at init, half-way and end", claims=("COS-Fig4",),
         reason="digits with a small CNN (d_enc = 32) and synthetic data, not CIFAR100 / ResNet (d_enc = 512)"),
    Item(_COS, "Eq. (4)", "the invariance term of the bound",
         tests=("tests/test_infonce.py::test_invariance_and_repulsion_losses_against_loops",)),
    Item(_COS, "Eq. (5)", "the repulsion term of the bound (nearest negative)",
         tests=("tests/test_infonce.py::test_nearest_negative_is_the_cosine_argmax_not_the_inner_product_argmax",)),
    Item(_COS, "Figure 5", "distance between a view and its nearest negative for three augmentation strengths",
         claims=("COS-Fig5",)),
    Item(_COS, "Figure 6", "nearest negatives share the label more often during training", claims=("COS-Fig6",)),
    Item(_COS, "Eq. (8)", "the reformulated bound on the projector sphere",
         tests=("tests/test_infonce.py::test_eq8_equals_eq3_on_the_projector_sphere",
                "tests/test_infonce.py::test_eq8_needs_the_normalisation")),
    Item(_COS, "Proposition 4.1", "augmentation directions in the projector's kernel minimise the invariance term",
         claims=("COS-Fig1-nuisance",),
         tests=("tests/test_projector_geometry.py::test_prop_41_kernel_projector_attains_the_minimum",
                "tests/test_projector_geometry.py::test_prop_41_necessity_counterexample")),
    Item(_COS, "Proposition 4.2", "the minimiser's scaling for views along the augmentation",
         tests=("tests/test_projector_geometry.py::test_invariance_minimizer_scales_nan_for_anti_aligned_views",
                "tests/test_projector_geometry.py::test_invariance_minimizer_scales_edges")),
    Item(_COS, "Proposition 4.3", "Lie-group augmentations: the generator lies in the kernel",
         tests=("tests/test_projector_geometry.py::test_prop_43_lie_generator_in_kernel",
                "tests/test_projector_geometry.py::test_lie_augment_rotation_matches_closed_form")),
    Item(_COS, "Eq. (10)", "fraction of variance unexplained (FVU)", claims=("COS-Fig7",),
         tests=("tests/test_projector_geometry.py::test_fvu_against_least_squares",)),
    Item(_COS, "Figure 7", "FVU falls during training", claims=("COS-Fig7",)),
    Item(_COS, "Figure 8", "illustration of the projector aligning with the tangent space", status=NO_CLAIM,
         reason="a schematic"),
    Item(_COS, "Eq. 13", "the appendix's Lie-group augmentation model",
         tests=("tests/test_projector_geometry.py::test_lie_augment_rotation_matches_closed_form",)),
    Item(_COS, "Figure 9", "encoder log-singular values on transformed CIFAR100", claims=("COS-Fig4",),
         reason="as Figure 4 (the transformed-data variant has no analogue at our scale beyond Figure 4's runs)"),
    Item(_COS, "Figure 10", "rank of the covariance of 500 rotated copies of a one-hot image vs the angle",
         claims=("COS-Fig10",),
         tests=("tests/test_augmentations.py::test_rotate_matches_scipy_at_the_given_angles_and_random_affine_at_its_draw",
                "tests/test_rotation_rank.py")),
    Item(_COS, "Table 6", "comparison with related work", status=NO_CLAIM, reason="a literature table"),
    # ------------------------------------------------------------------------- Song et al.
    Item(_SONG, "Equation 1", "the contrastive objective with a projection head",
         tests=("tests/test_ntxent.py",)),
    Item(_SONG, "Equation 2", "InfoNCE of a mini-batch", tests=("tests/test_infonce.py::test_eq1_matches_loop_reference",)),
    Item(_SONG, "Equation 3", "linear evaluation of the frozen features",
         tests=("tests/test_evaluation.py::test_linear_probe_fits_a_stratified_tenth_standardised_with_its_own_statistics",)),
    Item(_SONG, "Equation 4", "the few-shot reading of InfoNCE", status=NO_CLAIM,
         reason="a reformulation used to motivate Definition 5.1; nothing to compute"),
    Item(_SONG, "Figure 1", "eigenvalue spectra of representations and embeddings", status=CHECKED,
         tests=("tests/test_sparsehead.py::test_eigenvalue_spectrum_against_numpy_cov",),
         reason="drawn (no verdict) in projector_e2e_synthetic and projector_e2e_digits"),
    Item(_SONG, "Figure 2", "illustration: only a subset of features is used", status=NO_CLAIM, reason="a schematic"),
    Item(_SONG, "Definition 5.1", "ground-truth equivalent representation", status=NOT_CHECKABLE,
         reason="needs the ground-truth representation of natural images",
         substitute="SONG-L21 (what the L2,1 penalty does to the head)"),
    Item(_SONG, "Proposition 5.2", "generalisation via a GTE representation", status=NOT_CHECKABLE,
         reason="as Definition 5.1", substitute="SONG-L21"),
    Item(_SONG, "Assumption 5.3", "the task-specific head is sparse", status=NOT_CHECKABLE,
         reason="an assumption on unknown task heads", substitute="SONG-L21"),
    Item(_SONG, "Assumption 5.4", "intra-support sufficient variance", status=NOT_CHECKABLE,
         reason="an assumption on an unknown distribution of heads", substitute="SONG-L21"),
    Item(_SONG, "Assumption 5.5", "non-trivial features", status=NOT_CHECKABLE,
         reason="an assumption on unknown supports", substitute="SONG-L21"),
    Item(_SONG, "Theorem 5.6", "GTE via sparsity (L2,0-penalised minimiser)", status=NOT_CHECKABLE,
         reason="rests on Definition 5.1 and Assumptions 5.3-5.5", substitute="SONG-L21"),
    Item(_SONG, "Lemma 5.7", "distance concentration: the min-max distance ratio tends to 0 with d",
         tests=("tests/test_sparsehead.py::test_lemma_57_distance_concentration_monte_carlo",)),
    Item(_SONG, "Theorem 5.8", "the learned embedding's min-max distance ratio is bounded below", claims=("SONG-T58",),
         reason="as stated not testable (C(X) is unspecified; docs/sparsehead.md); SONG-T58 checks its direction, "
                "sparse against dense heads"),
    Item(_SONG, "Equation 12", "the min-max distance ratio",
         tests=("tests/test_sparsehead.py::test_min_max_distance_ratio_against_loops",)),
    Item(_SONG, "Corollary 6.1", "the L2,1 (group-lasso) relaxation", claims=("SONG-L21",),
         tests=("tests/test_sparsehead.py::test_prox_against_cvxpy",
                "tests/test_sparsehead.py::test_l21_penalty_zeroes_whole_columns_in_a_convex_problem")),
    Item(_SONG, "Table 1", "downstream accuracy with and without SparseHead", claims=("SONG-Table1", "SONG-L21"),
         reason="at the digits and synthetic scale: the linear probe and the 5-NN classifier of the backbone features",
         tests=("tests/test_evaluation.py::test_knn_accuracy_matches_scikit_learn",)),
    Item(_SONG, "Table 2", "semi-supervised fine-tuning with 1% and 10% of ImageNet labels", claims=("SONG-Table2",),
         reason="at the digits scale: the backbone fine-tuned with a linear classifier on 1% and 10% of the labels",
         tests=("tests/test_semi_supervised.py",)),
    Item(_SONG, "Table 3", "transfer to object detection and segmentation", status=NOT_CHECKABLE,
         reason="needs COCO/VOC and a detection pipeline", substitute="HEAD-digits, HEAD-synthetic"),
    Item(_SONG, "Figure 3", "spectra with and without SparseHead", status=CHECKED,
         tests=("tests/test_sparsehead.py::test_eigenvalue_spectrum_against_numpy_cov",),
         reason="drawn (no verdict) in projector_e2e_synthetic and projector_e2e_digits"),
    # ------------------------------------------------------------------- Gui, Ma & Zhong
    Item(_GMZ, "Figure 1", "encoder-projector framework", status=NO_CLAIM, reason="a diagram"),
    Item(_GMZ, "Figure 2", "signal expansion/shrinkage on a pretrained encoder with a linear projector",
         claims=("GMZ-Fig2", "GMZ-Fig2-aug"),
         tests=("tests/test_feature_evidence.py",),
         reason="digits with a small CNN and 2-GMM inputs with an MLP encoder (not CIFAR / ResNet)"),
    Item(_GMZ, "Empirical evidence", "separable features after a few epochs; the loss decomposition per epoch",
         claims=("GMZ-evidence-sep", "GMZ-evidence-loss", "GMZ-evidence-param"),
         tests=("tests/test_feature_evidence.py",)),
    Item(_GMZ, "Theorem 1", "expansion above tau*, shrinkage below", claims=("GMZ-T1", "GMZ-T1-exact", "GMZ-lowtau",
                                                                              "GMZ-T1-train", "GMZ-T1-SGD",
                                                                              "GMZ-xval-NTXent", "GMZ-NTXent-rank-one"),
         tests=("tests/test_population_loss.py", "tests/test_phase.py", "tests/test_exact_boundary.py")),
    Item(_GMZ, "Figure 3", "expansion measure against tau", claims=("GMZ-Fig3",)),
    Item(_GMZ, "Proposition", "low-dimensional logistic regression: three penalty regimes",
         claims=("GMZ-P1a", "GMZ-P1b", "GMZ-P2"), tests=("tests/test_logistic.py",)),
    Item(_GMZ, "Theorem 2", "expansion helps, shrinkage hurts the max-margin classifier (CGMT)",
         claims=("GMZ-T2", "GMZ-T2-CGMT", "GMZ-T2-sep", "GMZ-T2-limit", "GMZ-T2-xval"),
         tests=("tests/test_maxmargin.py", "tests/test_svm.py")),
    Item(_ABS, "Abstract, claim 1", "the contrastive loss expands or shrinks the signal",
         claims=("GMZ-T1", "GMZ-T1-exact")),
    Item(_ABS, "Abstract, claim 2", "shrinkage hurts and expansion helps downstream linear accuracy",
         claims=("GMZ-T2", "GMZ-T2-xval", "HEAD-digits", "HEAD-synthetic")),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_coverage() -> list[str]:
    """The coverage map as markdown lines (one table per seed paper)."""
    out = [
        "## Coverage map",
        "",
        "Every numbered item of the seed papers, and where it is checked: a claim of this report (with its rule and "
        "verdict below), the test suite (a comparison with an independent computation), or why it is not checked "
        "here and the closest check done instead. Generated from `figures/coverage.py`.",
        "",
    ]
    counts = {s: sum(1 for i in COVERAGE if i.status == s) for s in STATUSES}
    out += ["Items: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES) + ".", ""]
    for seed, paper in PAPERS.items():
        items = [i for i in COVERAGE if i.seed == seed]
        out += [f"**{paper}** (`{seed}`)", "", "| item | content | where it is checked |", "|---|---|---|"]
        for i in items:
            where = []
            if i.claims:
                where.append("report: " + ", ".join(f"[{c}](#{c.lower()})" for c in i.claims))
            if i.tests:
                where.append("tests: " + ", ".join(f"`{t}`" for t in i.tests))
            if i.status != CHECKED:
                where.append(f"**{i.status}**: {i.reason}" + (f"; instead: {i.substitute}" if i.substitute else ""))
            elif i.reason:
                where.append(i.reason)
            out.append(f"| {_cell(i.label)} | {_cell(i.what)} | {_cell('; '.join(where))} |")
        out.append("")
    return out
