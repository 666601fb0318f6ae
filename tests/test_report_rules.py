"""The verdict rules of the report's newer claims, on hand-made results where the verdict is known."""

import numpy as np
import pytest

from figures.claims import cos, lpa, song
from figures.claims import CONFIRMED, CONTRADICTED, NOT_AT_SCALE


def _e2e_meta(diff_mlp, diff_lin, n=5, metric="probe_h_final", noise=0.001, metrics=None):
    rng = np.random.default_rng(0)
    runs = {}
    for part, suffix in (("synthetic", "@moderate"), ("digits", "")):
        for base, diff in (("mlp", diff_mlp), ("linear", diff_lin)):
            runs[f"{base}{suffix}"], runs[f"{base}+sparse{suffix}"] = {"stats": {}}, {"stats": {}}
            for m in metrics or [metric]:
                v = 0.8 + 0.05 * rng.standard_normal(n)
                runs[f"{base}{suffix}"]["stats"][m] = {"all": v.tolist()}
                runs[f"{base}+sparse{suffix}"]["stats"][m] = {"all": (v + diff + noise * rng.standard_normal(n)).tolist()}
    return {"config": {"label_fractions": [0.01, 0.1], "finetune_epochs": 100, "knn_k": 5},
            "results": {"synthetic": {"runs": {k: r for k, r in runs.items() if k.endswith("@moderate")}},
                        "digits": {"runs": {k: r for k, r in runs.items() if not k.endswith("@moderate")}}}}


@pytest.mark.parametrize("fn, metric", [(song._song_table1, "probe_h_final"), (song._song_t58, "min_max_ratio_z")])
def test_sparsehead_paired_rules(fn, metric):
    assert fn(_e2e_meta(0.02, 0.03, metric=metric), {}).verdict == CONFIRMED
    assert fn(_e2e_meta(0.02, -0.03, metric=metric), {}).verdict == CONTRADICTED
    assert fn(_e2e_meta(0.0, 0.0, metric=metric, noise=0.01), {}).verdict == NOT_AT_SCALE
    # two replicates decide nothing, however large the difference
    assert fn(_e2e_meta(0.2, 0.3, n=2, metric=metric), {}).verdict == NOT_AT_SCALE
    assert fn({"results": {}}, {}).verdict == NOT_AT_SCALE


def test_table1_rule_reads_the_probe_and_the_knn_accuracy():
    both = ["probe_h_final", "knn_h_final"]
    assert song._song_table1(_e2e_meta(0.02, 0.03, metrics=both), {}).verdict == CONFIRMED
    # a k-NN that does not move keeps the verdict open
    m = _e2e_meta(0.02, 0.03, metrics=both)
    for part in ("synthetic", "digits"):
        for key, run in m["results"][part]["runs"].items():
            if "+sparse" in key:
                base = m["results"][part]["runs"][key.replace("+sparse", "")]
                run["stats"]["knn_h_final"] = base["stats"]["knn_h_final"]
    f = song._song_table1(m, {})
    assert f.verdict == NOT_AT_SCALE and any("5-NN" in line for line in f.measured)


def test_table2_rule_pairs_each_label_fraction_on_the_digits():
    ft = ["finetune_1pct", "finetune_10pct"]
    assert song._song_table2(_e2e_meta(0.02, 0.03, metrics=ft), {}).verdict == CONFIRMED
    assert song._song_table2(_e2e_meta(0.02, -0.03, metrics=ft), {}).verdict == CONTRADICTED
    assert song._song_table2(_e2e_meta(0.0, 0.0, metrics=ft, noise=0.01), {}).verdict == NOT_AT_SCALE
    f = song._song_table2(_e2e_meta(0.02, 0.03, metrics=ft), {})
    assert sum("fine-tuning on 1% of the labels" in line for line in f.measured) == 2  # mlp and linear, digits only
    assert song._song_table2({"config": {"label_fractions": [0.1]}, "results": {}}, {}).verdict == NOT_AT_SCALE


def _nuisance(rank, frac, d=32, k=8):
    meta = {"config": {"d": d, "n_nuisance": k, "rank_tol": 0.05}}
    return meta, {"sigmas": np.array([0.0, 1.0, 4.0]), "rank": np.array(rank, float), "nuisance_fraction": np.array(frac)}


def test_nuisance_rank_rule():
    ok = _nuisance([[32, 32, 31], [28, 27, 29], [24, 24, 25]], [[0.25] * 3, [0.01] * 3, [1e-5] * 3])
    assert cos._cos_nuisance_rank(*ok).verdict == CONFIRMED
    too_far = _nuisance([[32, 32, 32], [20, 20, 20], [16, 16, 16]], [[0.25] * 3, [0.01] * 3, [1e-5] * 3])
    assert cos._cos_nuisance_rank(*too_far).verdict == NOT_AT_SCALE  # dropped by more than k
    rises = _nuisance([[24, 24, 24], [28, 28, 28], [32, 32, 32]], [[0.01] * 3, [0.1] * 3, [0.25] * 3])
    assert cos._cos_nuisance_rank(*rises).verdict == CONTRADICTED
    flat = _nuisance([[32, 32, 32]] * 3, [[0.25] * 3] * 3)
    assert cos._cos_nuisance_rank(*flat).verdict == NOT_AT_SCALE


def _rotation(ranks, angles=(0.0, 5.0, 45.0, 180.0)):
    meta = {"config": {"copies": 500, "size": 32, "rank_tol": 1e-10}}
    return meta, {"max_angles": np.array(angles), "ranks": np.array(ranks, float)}


def test_rotation_rank_rule():
    grows = _rotation([[0, 3, 20, 80], [0, 2, 15, 60], [0, 4, 25, 90]])
    assert cos._cos_rotation_rank(*grows).verdict == CONFIRMED
    falls = _rotation([[0, 80, 20, 3], [0, 60, 15, 2], [0, 90, 25, 4]])
    assert cos._cos_rotation_rank(*falls).verdict == CONTRADICTED
    nonzero_at_zero = _rotation([[1, 3, 20, 80], [0, 2, 15, 60], [0, 4, 25, 90]])
    assert cos._cos_rotation_rank(*nonzero_at_zero).verdict == CONTRADICTED
    dip = _rotation([[0, 3, 40, 10], [0, 2, 45, 12], [0, 4, 50, 11]])  # a real drop between neighbours
    assert cos._cos_rotation_rank(*dip).verdict == NOT_AT_SCALE
    one_run = _rotation([[0, 3, 20, 80]])
    assert cos._cos_rotation_rank(*one_run).verdict == NOT_AT_SCALE


def _ablation(axis, vals, tf, mlp, mass):
    """Hand-made ablation results: accuracies (V, seeds) per head and last-layer mass excess (V, seeds)."""
    tf, mlp, mass = (np.asarray(x, float) for x in (tf, mlp, mass))
    meta = {"config": {"axes": [axis]}, "results": {"heads": ["mlp", "transformer"]}}
    arrays = {f"{axis}_values": np.asarray(vals, float), f"{axis}_unsup_backbone": np.stack([mlp, tf], axis=1),
              f"{axis}_mass_excess": mass[:, :, None]}
    return meta, arrays


def test_ablation_rules():
    s = [0.0, 0.01, -0.01]
    # Table 3: gain and attention both fade with the batch
    fade = _ablation("batch", [16, 256], tf=[[0.8 + e for e in s], [0.7 + e for e in s]], mlp=[[0.7] * 3, [0.7] * 3],
                     mass=[[0.05 + e / 10 for e in s], [0.0 + e / 10 for e in s]])
    assert lpa._lpa_table3(*fade).verdict == CONFIRMED
    grow = _ablation("batch", [16, 256], tf=[[0.7] * 3, [0.8 + e for e in s]], mlp=[[0.7] * 3, [0.7] * 3],
                     mass=[[0.0 + e / 10 for e in s], [0.05 + e / 10 for e in s]])
    assert lpa._lpa_table3(*grow).verdict == CONTRADICTED
    assert lpa._lpa_table3({"config": {"axes": ["tau"]}, "results": {"heads": []}}, {}).verdict == NOT_AT_SCALE
    # Table 4: collapse at the smallest temperature
    collapse = _ablation("tau", [0.2, 0.02], tf=[[0.8] * 3, [0.1 + e for e in s]], mlp=[[0.7] * 3, [0.6] * 3],
                         mass=[[0.0] * 3] * 2)
    assert lpa._lpa_table4(*collapse).verdict == CONFIRMED
    better = _ablation("tau", [0.2, 0.02], tf=[[0.8] * 3, [0.9 + e for e in s]], mlp=[[0.7] * 3, [0.6] * 3],
                       mass=[[0.0] * 3] * 2)
    assert lpa._lpa_table4(*better).verdict == CONTRADICTED
    # Table 5: the largest decay is the worst for both heads
    ruin = _ablation("weight_decay", [0.1, 1e-3], tf=[[0.1 + e for e in s], [0.8] * 3], mlp=[[0.1 + e for e in s], [0.7] * 3],
                     mass=[[0.0] * 3] * 2)
    assert lpa._lpa_table5(*ruin).verdict == CONFIRMED
    fine = _ablation("weight_decay", [0.1, 1e-3], tf=[[0.8 + e for e in s], [0.7] * 3], mlp=[[0.1] * 3, [0.7] * 3],
                     mass=[[0.0] * 3] * 2)
    assert lpa._lpa_table5(*fine).verdict == NOT_AT_SCALE


def _two_pairs(axis, vals, ours, authors):
    """Both FFN/transformer pairs, each given as (tf, mlp, mass) like :func:`_ablation`."""
    heads = ["mlp", "transformer", "deepfusion_ffn", "deepfusion"]
    (tf, mlp, m1), (dtf, dff, m2) = ([np.asarray(x, float) for x in p] for p in (ours, authors))
    meta = {"config": {"axes": [axis]}, "results": {"heads": heads, "pairs": [["mlp", "transformer"],
                                                                             ["deepfusion_ffn", "deepfusion"]]}}
    arrays = {f"{axis}_values": np.asarray(vals, float), f"{axis}_unsup_backbone": np.stack([mlp, tf, dff, dtf], axis=1),
              f"{axis}_mass_excess_last_transformer": m1, f"{axis}_mass_excess_last_deepfusion": m2}
    return meta, arrays


def test_ablation_rules_need_every_pair():
    s = [0.0, 0.01, -0.01]
    fade = ([[0.8 + e for e in s], [0.7 + e for e in s]], [[0.7] * 3, [0.7] * 3],
            [[0.05 + e / 10 for e in s], [0.0 + e / 10 for e in s]])
    grow = ([[0.7] * 3, [0.8 + e for e in s]], [[0.7] * 3, [0.7] * 3],
            [[0.0 + e / 10 for e in s], [0.05 + e / 10 for e in s]])
    assert lpa._lpa_table3(*_two_pairs("batch", [16, 256], fade, fade)).verdict == CONFIRMED
    assert lpa._lpa_table3(*_two_pairs("batch", [16, 256], grow, grow)).verdict == CONTRADICTED
    mixed = lpa._lpa_table3(*_two_pairs("batch", [16, 256], fade, grow))
    assert mixed.verdict == NOT_AT_SCALE and sum(line.startswith("the authors'") for line in mixed.measured) == 2
    collapse = ([[0.8] * 3, [0.1 + e for e in s]], [[0.7] * 3, [0.6] * 3], [[0.0] * 3] * 2)
    flat = ([[0.8] * 3, [0.6 + e for e in s]], [[0.7] * 3, [0.6] * 3], [[0.0] * 3] * 2)
    assert lpa._lpa_table4(*_two_pairs("tau", [0.2, 0.02], collapse, collapse)).verdict == CONFIRMED
    assert lpa._lpa_table4(*_two_pairs("tau", [0.2, 0.02], collapse, flat)).verdict == NOT_AT_SCALE


def _table6(backbone, head, vals=(1, 3)):
    """Hand-made depth-axis results: linear-probe accuracies (V, heads, seeds) on the backbone and the head output."""
    meta = {"config": {"axes": ["depth"]}, "results": {"heads": ["mlp", "transformer"]}}
    return meta, {"depth_values": np.asarray(vals, float), "depth_sup_backbone": np.asarray(backbone, float),
                  "depth_sup_head": np.asarray(head, float)}


def test_table6_rules():
    s = np.array([0.0, 0.01, -0.01])
    bb = np.stack([np.stack([0.8 + s, 0.82 + s]), np.stack([0.75 + s, 0.78 + s])])  # depth 1 better than depth 3
    hd = bb - 0.1 + np.array([0.0, 0.003, -0.002])
    where, depth = (lambda m, a: lpa._lpa_table6(m, a, "where")), (lambda m, a: lpa._lpa_table6(m, a, "depth"))
    assert where(*_table6(bb, hd)).verdict == CONFIRMED and depth(*_table6(bb, hd)).verdict == CONFIRMED
    flipped = hd.copy()
    flipped[1, 1] = bb[1, 1] + 0.1 + np.array([0.0, 0.003, -0.002])  # the 3-block transformer's output wins
    assert where(*_table6(bb, flipped)).verdict == CONTRADICTED
    deeper_better = bb[::-1].copy()
    assert depth(*_table6(deeper_better, deeper_better - 0.1)).verdict == CONTRADICTED
    same = np.stack([bb[0], bb[0] + np.array([0.0, 0.04, -0.04])])  # depth changes nothing beyond the noise
    assert depth(*_table6(same, hd)).verdict == NOT_AT_SCALE
    assert where({"config": {"axes": ["tau"]}, "results": {}}, {}).verdict == NOT_AT_SCALE
