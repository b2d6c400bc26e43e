"""evaluate_imagesets: the standard evaluation on three ImageSets, with and without a subgroup column."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet
from misyn_lab.metrics.evidence import IMAGESET_FEATURES, evaluate_all, evaluate_imagesets


def _set(rng: np.random.Generator, n: int, *, shift: float, synthetic: bool, name: str) -> ImageSet:
    """Smooth random 16×16 images; group "b" images are brighter (so the subgroup is visible in features)."""
    group = np.where(np.arange(n) % 3 == 0, "b", "a")
    base = rng.uniform(0.2, 0.5, (n, 1, 1)) + 0.3 * (group == "b")[:, None, None]
    noise = rng.normal(0, 0.05, (n, 16, 16))
    images = np.clip(base + noise + shift, 0, 1).astype(np.float32)
    return ImageSet.from_arrays(images, {"group": group}, synthetic=synthetic, name=name)


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(3)
    return (_set(rng, 36, shift=0.0, synthetic=False, name="train"),
            _set(rng, 15, shift=0.0, synthetic=False, name="holdout"),
            _set(rng, 30, shift=0.15, synthetic=True, name="syn"))


def test_with_subgroup_adds_subgroup_table_and_tstr(sets):
    tr, ho, sy = sets
    ev = evaluate_imagesets(tr, ho, sy, subgroup="group", bootstrap=20, permutations=20)
    assert {"prdc.coverage", "frechet", "mmd.rbf", "ks.max", "detection.auc", "memorisation.copy_rate",
            "subgroup.coverage_min", "tstr.gap"} <= set(ev.results)
    assert ev.results["prdc.coverage"].ci is not None  # bootstrap CIs reach the PRDC results
    assert ev.results["frechet"].details["feature_set"] == IMAGESET_FEATURES
    assert sorted(ev.by_subgroup["subgroup"].astype(str)) == ["a", "b"]
    assert ev.utility is not None and ev.memorisation is not None and ev.notes == []
    assert ev.results["ks.max"].details["n_features"] == len(ev.feature_shift)


def test_without_subgroup_skips_subgroups_and_tstr_with_a_note(sets):
    tr, ho, sy = sets
    for empty in (None, ""):
        ev = evaluate_imagesets(tr, ho, sy, subgroup=empty, bootstrap=0, permutations=10)
        assert ev.by_subgroup.empty and ev.utility is None
        assert not [k for k in ev.results if k.startswith(("subgroup.", "tstr.", "trtr."))]
        assert "no subgroup column given" in ev.notes[0]
        assert ev.results["prdc.coverage"].ci is None


def test_same_numbers_as_evaluate_all_on_the_same_features(sets):
    """The image-set evaluation is evaluate_all on standardised features, not a second implementation."""
    from misyn_lab.features import PCAEmbedding, extract_features, standardise

    tr, ho, sy = sets
    ev = evaluate_imagesets(tr, ho, sy, subgroup=None, seed=1, bootstrap=0, permutations=15)
    emb = PCAEmbedding.fit(tr, n_components=16, size=(16, 16), seed=1)
    f = [extract_features(s, IMAGESET_FEATURES, embedding=emb, progress=False) for s in (tr, ho, sy)]
    z_tr, z_sy = standardise(f[0].values, f[2].values)
    _, z_ho = standardise(f[0].values, f[1].values)
    direct = evaluate_all(z_tr, z_sy, k=5, feature_set=IMAGESET_FEATURES, feature_names=f[0].names, train_feats=z_tr,
                          holdout_feats=z_ho, permutations=15, seed=1)
    assert set(direct) == set(ev.results)
    for key, r in direct.items():
        assert r.to_dict() == ev.results[key].to_dict(), key


def test_bad_subgroup_and_tiny_sets_are_refused(sets):
    tr, ho, sy = sets
    with pytest.raises(InputError, match="the train set has no metadata column 'sex'"):
        evaluate_imagesets(tr, ho, sy, subgroup="sex")
    with pytest.raises(InputError, match="too few images"):
        evaluate_imagesets(tr.take(np.arange(2)), ho, sy)


def test_evaluate_all_bootstrap_gives_prdc_cis(rng):
    real, syn = rng.standard_normal((60, 3)), rng.standard_normal((60, 3)) + 0.5
    out = evaluate_all(real, syn, bootstrap=25, permutations=0)
    lo, hi = out["prdc.coverage"].ci
    assert lo <= out["prdc.coverage"].value <= hi
    assert out["frechet"].ci is None
    assert evaluate_all(real, syn, permutations=0)["prdc.coverage"].ci is None


def test_tstr_skip_note_names_the_set_lacking_two_subgroup_values(sets):
    tr, ho, sy = sets
    one_tr = tr.with_meta(group=["a"] * len(tr))
    ev = evaluate_imagesets(one_tr, ho, sy, subgroup="group", bootstrap=0, permutations=10)
    assert ev.utility is None and ev.notes == ["TSTR skipped: the training set has fewer than two 'group' values"]
    one_sy = sy.with_meta(group=["b"] * len(sy))
    ev = evaluate_imagesets(tr, ho, one_sy, subgroup="group", bootstrap=0, permutations=10)
    assert ev.notes == ["TSTR skipped: the synthetic set has fewer than two 'group' values"]
    ev = evaluate_imagesets(one_tr, ho, one_sy, subgroup="group", bootstrap=0, permutations=10)
    assert ev.notes == ["TSTR skipped: the synthetic and the training sets have fewer than two 'group' values"]
