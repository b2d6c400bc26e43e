"""evaluate_imagesets: the standard evaluation on three ImageSets (one protocol: fidelity against held-out, memorisation
against training with held-out as the negative control), with and without subgroup and task columns."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics.evidence import IMAGESET_FEATURES, evaluate_all, evaluate_imagesets
from misyn_lab.metrics.result import SPLIT_ALL_REAL, SPLIT_HELDOUT, SPLIT_TRAINING, results_table


def _set(rng: np.random.Generator, n: int, *, shift: float, synthetic: bool, name: str) -> ImageSet:
    """Smooth random 16×16 images; group "b" images are brighter (so the subgroup is visible in features)."""
    group = np.where(np.arange(n) % 3 == 0, "b", "a")
    label = np.where(np.arange(n) % 2 == 0, "lesion", "normal")
    sex = np.where(np.arange(n) % 4 < 2, "F", "M")
    base = rng.uniform(0.2, 0.5, (n, 1, 1)) + 0.3 * (group == "b")[:, None, None]
    noise = rng.normal(0, 0.05, (n, 16, 16))
    images = np.clip(base + noise + shift, 0, 1).astype(np.float32)
    return ImageSet.from_arrays(images, {"group": group, "label": label, "sex": sex}, synthetic=synthetic, name=name)


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(3)
    return (_set(rng, 36, shift=0.0, synthetic=False, name="train"),
            _set(rng, 15, shift=0.0, synthetic=False, name="holdout"),
            _set(rng, 30, shift=0.15, synthetic=True, name="syn"))


def test_with_subgroup_and_task_adds_subgroup_table_and_tstr(sets):
    tr, ho, sy = sets
    ev = evaluate_imagesets(tr, ho, sy, subgroup="group", task="label", bootstrap=20, permutations=20)
    assert {"prdc.coverage", "frechet", "mmd.rbf", "ks.max", "detection.auc", "memorisation.copy_rate",
            "memorisation.pixel_copy_rate", "subgroup.coverage_min", "tstr.gap"} <= set(ev.results)
    assert ev.results["prdc.coverage"].ci is not None  # bootstrap CIs reach the PRDC results
    assert ev.results["frechet"].details["feature_set"] == IMAGESET_FEATURES
    assert sorted(ev.subgroups.by_group["subgroup"].astype(str)) == ["a", "b"]
    assert ev.subgroups.by_group["n_real"].sum() == len(ho)  # per-subgroup fidelity against the held-out images too
    assert ev.utility is not None and ev.memorisation is not None and ev.notes == []
    assert ev.results["ks.max"].details["n_features"] == len(ev.feature_shift)
    # TSTR predicts the task label, broken down by the subgroup; tested on the held-out images
    assert set(ev.utility.per_group["group"]) == {"a", "b"}
    assert ev.results["tstr.gap"].n == {"real_train": 36, "synthetic": 30, "real_test": 15, "real": 15}


def test_every_result_records_its_split_and_n(sets):
    """Fidelity, coverage, distances and detection are measured on the held-out images (n = 15), memorisation on
    the training images (n = 36) with the held-out images as the negative control; the table shows both."""
    tr, ho, sy = sets
    ev = evaluate_imagesets(tr, ho, sy, bootstrap=0, permutations=10)
    for key in ("prdc.precision", "prdc.recall", "prdc.density", "prdc.coverage", "frechet", "mmd.rbf", "ks.max",
                "detection.auc"):
        assert (ev.results[key].split, ev.results[key].n["real"]) == (SPLIT_HELDOUT, 15), key
    for key in ("memorisation.copy_rate", "memorisation.train_copied_rate", "memorisation.pixel_copy_rate"):
        assert ev.results[key].split == SPLIT_TRAINING, key
    assert ev.results["memorisation.copy_rate"].n["train"] == 36
    pixel = ev.results["memorisation.pixel_copy_rate"]
    assert pixel.n == {"train": 36, "synthetic": 30, "holdout": 15}
    assert pixel.details["n_negative_control"] == 15 and pixel.details["verdict"] in ("copies", "inconclusive")
    table = results_table(ev.results).set_index("key")
    assert table.loc["prdc.coverage", "split"] == "held-out" and table.loc["prdc.coverage", "n_real"] == 15
    assert table.loc["memorisation.copy_rate", "split"] == "training"
    assert table.loc["memorisation.copy_rate", "n_real"] == 36
    assert ev.protocol == {"n_train": 36, "n_holdout": 15, "n_synthetic": 30, "fidelity_split": "held-out",
                           "memorisation_split": "training", "subgroup": None, "task": None}
    assert ev.protocol_text().startswith("Fidelity, coverage, distances and detection: against the 15 held-out")


def test_without_a_training_set_every_real_image_is_held_out_and_it_says_so(sets):
    tr, ho, sy = sets
    ev = evaluate_imagesets(None, ho, sy, task="label", bootstrap=0, permutations=10)
    assert ev.notes[0] == ("no training set named: all 15 real images are treated as held-out; memorisation is "
                           "checked against all of them")
    assert ev.results["prdc.coverage"].split == SPLIT_ALL_REAL and ev.results["prdc.coverage"].n["real"] == 15
    assert ev.results["memorisation.copy_rate"].split == SPLIT_ALL_REAL
    assert ev.results["memorisation.copy_rate"].n["train"] == 15  # memorisation against every real image
    copy = ev.results["memorisation.copy_rate"]
    assert copy.details["n_negative_control"] == 15 and "no training set named" in copy.interpretation
    assert ev.results["memorisation.pixel_copy_rate"].n == {"real": 15, "synthetic": 30}
    assert ev.utility is None and "no training set was named" in ev.notes[-1]
    assert ev.protocol_text().startswith("No training set was named, so every real image (15) is treated as held-out")


def test_without_subgroup_or_task_skips_them_with_notes(sets):
    tr, ho, sy = sets
    for empty in (None, ""):
        ev = evaluate_imagesets(tr, ho, sy, subgroup=empty, task=empty, bootstrap=0, permutations=10)
        assert ev.subgroups is None and ev.utility is None
        assert not [k for k in ev.results if k.startswith(("subgroup.", "tstr.", "trtr."))]
        assert ev.notes == ["no subgroup column given: per-subgroup results skipped",
                            "no task label given: TSTR (train on synthetic, test on real) skipped"]
        assert ev.results["prdc.coverage"].ci is None
    # a subgroup alone never becomes the TSTR label
    ev = evaluate_imagesets(tr, ho, sy, subgroup="group", bootstrap=0, permutations=10, pixel_check=False)
    assert ev.utility is None and "memorisation.pixel_copy_rate" not in ev.results


def test_sensitive_attribute_is_refused_as_the_task_unless_declared(sets):
    tr, ho, sy = sets
    with pytest.raises(InputError, match=r"the TSTR task 'sex' is a sensitive attribute: a classifier predicting it "
                                         r"measures no clinical utility \(fix: name the clinical label column"):
        evaluate_imagesets(tr, ho, sy, subgroup="sex", task="sex")
    ev = evaluate_imagesets(tr, ho, sy, task="sex", sensitive_task=True, bootstrap=0, permutations=10,
                            pixel_check=False)
    assert ev.utility is not None and ev.protocol["task"] == "sex"


def test_same_numbers_as_evaluate_all_on_the_same_features(sets):
    """The image-set evaluation is evaluate_all on standardised features, not a second implementation: fidelity
    against the held-out features, memorisation against the training features."""
    from misyn_lab.features import PCAEmbedding, extract_features, standardise

    tr, ho, sy = sets
    ev = evaluate_imagesets(tr, ho, sy, subgroup=None, seed=1, bootstrap=0, permutations=15, pixel_check=False)
    emb = PCAEmbedding.fit(tr, n_components=16, size=(16, 16), seed=1)
    f = [extract_features(s, IMAGESET_FEATURES, embedding=emb, progress=False) for s in (tr, ho, sy)]
    z_tr, z_sy = standardise(f[0].values, f[2].values)
    _, z_ho = standardise(f[0].values, f[1].values)
    direct = evaluate_all(z_ho, z_sy, k=5, feature_set=IMAGESET_FEATURES, feature_names=f[0].names, train_feats=z_tr,
                          holdout_feats=z_ho, permutations=15, seed=1)
    assert set(direct) == set(ev.results)
    for key, r in direct.items():
        assert r.to_dict() == ev.results[key].to_dict(), key


def test_bad_subgroup_and_tiny_sets_are_refused(sets):
    tr, ho, sy = sets
    with pytest.raises(InputError, match="the train set has no metadata column 'site'"):
        evaluate_imagesets(tr, ho, sy, subgroup="site")
    with pytest.raises(InputError, match="the holdout set has no metadata column 'diagnosis'"):
        evaluate_imagesets(None, ho, sy, task="diagnosis")
    with pytest.raises(InputError, match="too few images"):
        evaluate_imagesets(tr.take(np.arange(2)), ho, sy)


def test_evaluate_all_bootstrap_gives_prdc_cis(rng):
    real, syn = rng.standard_normal((60, 3)), rng.standard_normal((60, 3)) + 0.5
    out = evaluate_all(real, syn, bootstrap=25, permutations=0)
    lo, hi = out["prdc.coverage"].ci
    assert lo <= out["prdc.coverage"].value <= hi
    assert out["frechet"].ci is None
    assert evaluate_all(real, syn, permutations=0)["prdc.coverage"].ci is None


def test_tstr_skip_note_names_the_set_lacking_two_task_values(sets):
    tr, ho, sy = sets
    kw = dict(subgroup="group", task="label", bootstrap=0, permutations=10, pixel_check=False)
    one_tr = tr.with_meta(label=["normal"] * len(tr))
    ev = evaluate_imagesets(one_tr, ho, sy, **kw)
    assert ev.utility is None and ev.notes == ["TSTR skipped: the training set has fewer than two 'label' values"]
    one_sy = sy.with_meta(label=["lesion"] * len(sy))
    ev = evaluate_imagesets(tr, ho, one_sy, **kw)
    assert ev.notes == ["TSTR skipped: the synthetic set has fewer than two 'label' values"]
    ev = evaluate_imagesets(one_tr, ho, one_sy, **kw)
    assert ev.notes == ["TSTR skipped: the synthetic and the training sets have fewer than two 'label' values"]
