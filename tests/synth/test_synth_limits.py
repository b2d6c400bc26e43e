"""Each generator shows the limit it was built for (memorisation, skew, invented detail, unseen conditions)."""

from __future__ import annotations

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.synth import (ConditionalGenerator, LabelConditionedGenerator, MemorisingGenerator,
                             PCAGaussianGenerator, SubgroupSkewedGenerator, SuperResolutionGenerator, degrade,
                             high_pass, invented_detail_map)


def _nn_dist(samples: np.ndarray, train: np.ndarray) -> np.ndarray:
    s = samples.reshape(len(samples), -1).astype(np.float64)
    t = train.reshape(len(train), -1).astype(np.float64)
    d2 = (s ** 2).sum(1)[:, None] - 2 * s @ t.T + (t ** 2).sum(1)[None, :]
    return np.sqrt(np.maximum(d2.min(axis=1), 0))


def test_memorising_outputs_near_copies(brains):
    mem = MemorisingGenerator(strength=1.0).fit(brains).sample(40, seed=0)
    pca = PCAGaussianGenerator(8).fit(brains).sample(40, seed=0)
    d_mem = np.median(_nn_dist(mem.images, brains.images))
    d_pca = np.median(_nn_dist(pca.images, brains.images))
    assert d_mem < 0.5 * d_pca
    # the recorded source is a training image, and the copy is close to it
    src = brains.take(np.flatnonzero(brains.meta["id"].isin(mem.meta["derived_from"].iloc[:1])))
    assert np.abs(mem.images[0] - src.images[0]).mean() < 0.1


def test_memorising_strength_zero_is_not_a_copy(brains):
    far = MemorisingGenerator(strength=0.0).fit(brains).sample(30, seed=0)
    near = MemorisingGenerator(strength=1.0).fit(brains).sample(30, seed=0)
    assert np.median(_nn_dist(near.images, brains.images)) < np.median(_nn_dist(far.images, brains.images))


def test_subgroup_skewed_under_represents_minority(brains):
    gen = SubgroupSkewedGenerator("group", minority_weight=0.2, distortion=0.5, n_components=8).fit(brains)
    assert gen.minority == "colin27"  # 72 vs 102 images
    out = gen.sample(400, seed=0)
    train_share = float((brains.meta["group"] == "colin27").mean())
    syn_share = float((out.meta["group"] == "colin27").mean())
    expected = 72 * 0.2 / (72 * 0.2 + 102)
    assert syn_share < 0.5 * train_share
    assert abs(syn_share - expected) < 0.06
    # the minority is pulled towards the majority mean
    maj = brains.subset(group="mni152").images.reshape(-1, 1024).mean(axis=0)
    minr = brains.subset(group="colin27").images.reshape(-1, 1024).mean(axis=0)
    syn_min = out.subset(group="colin27").images.reshape(-1, 1024).mean(axis=0)
    assert np.linalg.norm(syn_min - maj) < np.linalg.norm(minr - maj)


def test_subgroup_skewed_bad_column(brains):
    with pytest.raises(InputError, match="unknown metadata column 'ethnicity'"):
        SubgroupSkewedGenerator("ethnicity").fit(brains)
    with pytest.raises(InputError, match="has only one value"):
        SubgroupSkewedGenerator("modality").fit(brains)
    with pytest.raises(InputError, match="minority 'x' not found"):
        SubgroupSkewedGenerator("group", minority="x").fit(brains)


def test_super_resolution_invents_high_frequency_detail(brains):
    gen = SuperResolutionGenerator(factor=4, n_components=8).fit(brains)
    trip = gen.sample_triplets(10, seed=0)
    truth, restored = trip.real.images.astype(np.float64), trip.restored.images.astype(np.float64)
    assert trip.degraded.shape == (10, 8, 8)
    assert list(trip.real.ids) == list(trip.restored.meta["derived_from"])
    # the low band is constrained by the degraded input ...
    low_err = np.abs(degrade(restored, 4) - trip.degraded).mean()
    # ... the high band was never observed, and the restoration puts something else there
    hf_true = high_pass(truth, 4)
    hf_rest = high_pass(restored, 4)
    hf_err = np.abs(hf_rest - hf_true).mean()
    assert np.abs(hf_rest).mean() > 0.005          # detail is present in the output
    assert hf_err > 0.005                          # and it is not the true detail
    assert hf_err > low_err
    dmap = invented_detail_map(truth[0], restored[0], factor=4)
    assert dmap.shape == (32, 32) and dmap.max() > 0
    with pytest.raises(InputError, match="differ in shape"):
        invented_detail_map(truth[0], restored[0][:16])
    with pytest.raises(InputError, match="low-resolution images have shape"):
        gen.restore(np.zeros((1, 5, 5)))


def test_conditional_seen_and_unseen_combinations(brains):
    gen = ConditionalGenerator(["group", "plane"], n_components=4).fit(brains)
    assert len(gen.seen_combinations) == 6
    seen = gen.sample(6, seed=0, conditions={"group": "colin27", "plane": "axial"})
    assert seen.meta["conditions_observed"].all()
    assert (seen.meta["plane"] == "axial").all() and (seen.meta["group"] == "colin27").all()
    unseen = gen.sample(6, seed=0, conditions={"group": "ct_atlas", "plane": "axial"})
    assert not unseen.meta["conditions_observed"].any()
    assert (unseen.meta["group"] == "ct_atlas").all()          # labelled as requested ...
    sources = set(unseen.meta["conditions_source"])            # ... but drawn from the nearest seen cells
    assert sources <= {'{"group": "colin27", "plane": "axial"}', '{"group": "mni152", "plane": "axial"}'}
    partial = gen.sample(10, seed=0, conditions={"plane": "coronal"})
    assert partial.meta["conditions_observed"].all() and (partial.meta["plane"] == "coronal").all()
    with pytest.raises(InputError, match=r"unknown condition column\(s\) \['sex'\]"):
        gen.sample(2, seed=0, conditions={"sex": "F"})
    with pytest.raises(InputError, match=r"unknown metadata column\(s\) \['colour'\]"):
        ConditionalGenerator(["colour"]).fit(brains)


def test_label_conditioned_masks_stay_aligned(brain_pairs):
    images, masks = brain_pairs
    gen = LabelConditionedGenerator(alpha=5.0, sigma=6.0).fit(images, masks)
    out, new_masks = gen.sample_pairs(8, seed=0)
    assert new_masks.shape == (8,) + images.image_shape
    assert set(np.unique(new_masks)) <= set(np.unique(masks))
    assert np.issubdtype(new_masks.dtype, np.integer)
    assert np.array_equal(out.images, gen.sample(8, seed=0).images)
    assert not np.array_equal(new_masks[0], masks[np.flatnonzero(images.meta["id"] == out.meta["derived_from"][0])[0]])
    # alignment: white matter (2) stays brighter than background (0) under the warped mask
    for img, m in zip(out.images, new_masks):
        assert img[m == 2].mean() > img[m == 0].mean() + 0.2
    with pytest.raises(InputError, match="needs masks"):
        LabelConditionedGenerator().fit(images)
    with pytest.raises(InputError, match="masks have shape"):
        LabelConditionedGenerator().fit(images, masks[:, :10])


def test_large_pca_uses_randomised_path_with_same_subspace(monkeypatch):
    from misyn_lab.synth import _linalg

    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(400, 3)))[0].T                     # 3 orthonormal directions
    x = (rng.normal(size=(80, 3)) * [5.0, 3.0, 2.0]) @ basis + 0.01 * rng.normal(size=(80, 400))
    x = x.reshape(80, 20, 20)
    exact = _linalg.PCABasis.fit(x, 3)
    monkeypatch.setattr(_linalg, "EXACT_LIMIT", 10)
    fast = _linalg.PCABasis.fit(x, 3)
    cos = np.abs(np.sum(exact.components * fast.components, axis=1))
    assert cos.min() > 0.999
