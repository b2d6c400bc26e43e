"""Case 1 computations: Dice, the paired experiment, subgroups, near-copies, the release audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from misyn_lab.cases import segmentation as S
from misyn_lab.errors import InputError


def test_dice_hand_computed():
    truth = np.array([[1, 1, 0], [2, 2, 0]])
    pred = np.array([[1, 0, 0], [2, 2, 2]])
    # label 1: 2*1/(1+2) = 2/3 ; label 2: 2*2/(3+2) = 4/5
    assert S.dice(pred, truth) == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert S.dice(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0  # absent from both: perfect


def test_slice_region_tertiles():
    meta = pd.DataFrame({"plane": ["a"] * 6 + ["b"] * 3, "slice_index": [5, 1, 2, 3, 4, 6, 30, 10, 20]})
    assert S.slice_region(meta).tolist() == ["high", "low", "low", "middle", "middle", "high", "high", "low", "middle"]


def _toy(n=8, size=16, seed=0):
    rng = np.random.default_rng(seed)
    masks = np.zeros((n, size, size), dtype=np.int64)
    images = np.zeros((n, size, size), dtype=np.float32)
    for i in range(n):
        r = rng.integers(3, 6)
        yy, xx = np.mgrid[:size, :size]
        disk = (yy - size // 2) ** 2 + (xx - size // 2) ** 2 < r * r
        masks[i][disk] = 1
        images[i] = np.clip(0.2 + 0.6 * disk + rng.normal(0, 0.05, (size, size)), 0, 1)
    meta = pd.DataFrame({"id": [f"im{i}" for i in range(n)], "plane": ["axial", "coronal"] * (n // 2),
                         "slice_index": range(n)})
    meta["slice_region"] = S.slice_region(meta)
    return images, masks, meta


def _copies(tr_im, tr_mask, n, seed):
    idx = np.arange(n) % len(tr_im)
    return tr_im[idx], tr_mask[idx]


def test_experiment_is_paired_and_splits_are_disjoint():
    images, masks, meta = _toy()
    exp = S.run_experiment(images, masks, meta, _copies, k=2, n_synthetic=4, seeds=[0, 1], n_test=4)
    counts = exp.table.groupby(["seed", "image_id"])["arm"].apply(sorted)
    assert all(v == ["real", "real+synthetic"] for v in counts)
    for seed, (_, _, train_ids) in exp.synthetic.items():
        tested = set(exp.table.loc[exp.table.seed == seed, "image_id"])
        assert not tested & set(train_ids) and len(tested) == 4
    assert exp.per_seed().shape == (2, 2)
    assert ((exp.table["dice"] >= 0) & (exp.table["dice"] <= 1)).all()
    tab = S.subgroup_table(exp, "plane")
    assert set(tab["plane"]) == {"axial", "coronal"} and "mean difference" in tab
    worst = S.worst_cases(exp, 3)
    assert worst["difference"].is_monotonic_increasing


def test_experiment_rejects_bad_k_and_shapes():
    images, masks, meta = _toy()
    with pytest.raises(InputError, match="too few"):
        S.run_experiment(images, masks, meta, _copies, k=7)
    with pytest.raises(InputError, match="8 images, 7 masks"):
        S.run_experiment(images, masks[:7], meta, _copies, k=2)
    with pytest.raises(InputError, match="no subgroup column 'sex'"):
        S.subgroup_table(S.run_experiment(images, masks, meta, _copies, k=2, n_synthetic=1, seeds=[0], n_test=2),
                         "sex")


def test_near_copies_found_for_copies_not_for_noise():
    images, masks, meta = _toy(n=10)
    exp = S.run_experiment(images, masks, meta, _copies, k=3, n_synthetic=6, seeds=[0], n_test=4)
    res, pairs = S.near_copies(exp, images, meta)
    assert res.key == "memorisation.pixel_copy_rate" and res.value == 1.0 and pairs["is_copy"].all()
    assert res.split == "training" and res.n == {"synthetic": 6, "holdout": 4, "checks": 1}

    def noise(tr_im, tr_mask, n, seed):
        rng = np.random.default_rng(seed)
        return rng.random((n,) + tr_im.shape[1:]).astype(np.float32), tr_mask[np.arange(n) % len(tr_mask)]

    exp2 = S.run_experiment(images, masks, meta, noise, k=3, n_synthetic=6, seeds=[0], n_test=4)
    res2, _ = S.near_copies(exp2, images, meta)
    assert res2.value == 0.0


def test_bundled_case1_data_and_small_run(tmp_path):
    images, masks, meta = S.load_case1_data(size=32, per_plane=4)
    assert images.shape == (12, 32, 32) and set(np.unique(masks)) <= {0, 1, 2}
    assert set(meta["plane"]) == {"axial", "coronal", "sagittal"}
    result = S.run_case1(n_seeds=3, k=2, n_synthetic=3, n_test=4, size=32, per_plane=4,
                         audit_dir=str(tmp_path / "audit"), n_boot=200)
    assert len(result.experiment.per_seed()) == 3
    measured = result.measured()
    assert set(measured) == {"seg.dice_paired", "seg.dice_worst_subgroup", "memorisation.pixel_copy_rate",
                             "audit.unlabelled_synthetic"}
    b = result.paired.bootstrap
    assert result.bottom_line(0.01).startswith(S.dice_bottom_line(b.value, b.ci, 3, mid=0.01,
                                                                  share_worse=result.share_worse())[:-1])
    assert set(result.settle_data()) == {"C1", "C4"} and len(result.settle_data()["C1"][0]) == 3
    tables = result.reporting_tables()
    assert len(tables["worst_cases"]) == len(result.worst) and set(tables["subgroups"]["column"]) == {
        "plane", "slice_region"}
    assert result.audit.before["unlabelled_registry_match"] == 3
    assert result.audit.after["unlabelled_registry_match"] == 0 and result.audit.after["labelled_synthetic"] == 3
    ws = result.worst_subgroup()
    all_means = pd.concat([result.by_plane["mean (real+synthetic)"], result.by_region["mean (real+synthetic)"]])
    assert ws["mean"] == pytest.approx(all_means.min())
    diffs = pd.concat([result.by_plane["mean difference"], result.by_region["mean difference"]])
    assert result.most_harmed_subgroup()["mean difference"] == pytest.approx(diffs.min())
    assert "Lowest Dice with synthetic pairs" in measured["seg.dice_worst_subgroup"].interpretation


def test_near_copies_pool_seeds_with_their_negative_controls():
    """Copies and out-of-sample false alarms are counted over seeds, each seed against its own training and held-out
    images; the verdict reads the pooled copy rate against the pooled false-alarm rate."""
    images, masks, meta = _toy(n=10)
    exp = S.run_experiment(images, masks, meta, _copies, k=3, n_synthetic=6, seeds=[0, 1], n_test=4)
    res, _ = S.near_copies(exp, images, meta)
    per = res.details["per_part"]
    assert set(per) == {"seed 0", "seed 1"} and res.n == {"synthetic": 12, "holdout": 8, "checks": 2}
    assert res.details["copies"] == sum(p["copies"] for p in per.values()) == 12
    fa = res.details["false_alarm_rate"]
    assert fa == pytest.approx(np.mean([p["false_alarm_rate"] for p in per.values()]))
    assert res.details["verdict"] == ("copies" if res.ci[0] > res.details["false_alarm_ci"][1] else "inconclusive")


@pytest.mark.parametrize("estimate, ci, mid, expected", [
    (-0.021, (-0.050, -0.005), 0.01, "made segmentation worse (harm)"),
    (-0.004, (-0.012, 0.004), 0.01, "made no detectable difference (the CI includes 0)"),
    (0.004, (0.002, 0.006), 0.01, "gave a gain smaller than the minimal important difference 0.01"),
    (0.015, (0.005, 0.025), 0.01, "gave a gain that may be smaller than the minimal important difference 0.01"),
    (0.03, (0.02, 0.04), 0.01, "improved segmentation (gain)"),
    (0.03, (0.02, 0.04), None, "improved segmentation (gain)"),
])
def test_bottom_line_agrees_with_the_sign_and_size_of_the_ci(estimate, ci, mid, expected):
    from misyn_lab.render import fmt_number

    line = S.dice_bottom_line(estimate, ci, 20, mid=mid, share_worse=0.75)
    assert line.startswith(f"Bottom line: adding synthetic pairs {expected}: mean Dice change {fmt_number(estimate)}")
    assert f"95 % CI [{fmt_number(ci[0])}, {fmt_number(ci[1])}] over 20 seeds/splits" in line  # one number format
    assert line.endswith("75 % of held-out images were segmented worse.")
    words = {"harm": ci[1] < 0, "gain": ci[0] > 0}
    for word, present in words.items():
        assert (word in line) == present, (word, line)


def test_subgroup_sentence_names_losses_and_gains_by_their_sign():
    worst = {"column": "plane", "group": "coronal", "mean": 0.83, "min": 0.66, "mean difference": -0.028,
             "share worse": 0.88}
    gain = dict(worst, group="axial", **{"mean difference": 0.004, "share worse": 0.3})
    text = S.subgroup_sentence(worst, worst)
    assert text == ("Lowest Dice with synthetic pairs, and the largest loss from adding synthetic pairs: plane = "
                    "coronal (mean Dice 0.830, worst case 0.660; adding synthetic pairs brought a mean loss of 0.0280 "
                    "there and made 88 % of its images worse).")
    assert "a mean gain of 0.00400" in S.subgroup_sentence(gain, gain)
    assert "loss" not in S.subgroup_sentence(gain, gain) and "smallest gain" in S.subgroup_sentence(gain, gain)
    # two different subgroups: both named, in words, and why they differ is said
    region = dict(worst, column="slice_region", group="middle", **{"mean difference": -0.05, "share worse": 0.9})
    two = S.subgroup_sentence(worst, region)
    assert "The largest loss from adding synthetic pairs: slice region = middle (a mean loss of 0.0500, 90 % of its " \
           "images worse)" in two
    assert "ranked by the Dice it reaches, the second by the change synthetic pairs made" in two


def test_release_audit_evidence_is_a_count_like_a_folder_audit():
    """``audit.unlabelled_synthetic`` means one thing everywhere: the number of unlabelled synthetic files (here as
    released); the shares before and after labelling are in the words and details."""
    from misyn_lab.cases.release import ReleaseAudit
    from misyn_lab.metrics.keys import KEYS

    audit = ReleaseAudit(before={"unlabelled_registry_match": 3, "no_evidence": 1},
                         after={"labelled_synthetic": 3, "no_evidence": 1}, n_files=4, released_dir="released")
    result = audit.result
    assert result.value == 3.0 and result.n == {"files": 4}
    assert result.details["share_before"] == 0.75 and result.details["share_after"] == 0.0
    assert "3 of the 4 synthetic files (75" in result.interpretation and "after labelling 0 (0" in result.interpretation
    assert KEYS["audit.unlabelled_synthetic"].unit == "count"
