"""Common contract of every teaching generator: shapes, flags, provenance, determinism, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.synth import (GENERATORS, PROVENANCE_COLUMNS, ConditionalGenerator, GaussianMixtureGenerator,
                             LabelConditionedGenerator, MemorisingGenerator, PCAGaussianGenerator,
                             SubgroupSkewedGenerator, SuperResolutionGenerator, default_created, make_generator)

FACTORIES = {
    "pca_gaussian": lambda: PCAGaussianGenerator(n_components=8),
    "gaussian_mixture": lambda: GaussianMixtureGenerator(n_components=3, n_pca=8),
    "memorising": lambda: MemorisingGenerator(strength=0.9),
    "subgroup_skewed": lambda: SubgroupSkewedGenerator("group", n_components=8),
    "super_resolution": lambda: SuperResolutionGenerator(factor=4, n_components=8),
    "conditional": lambda: ConditionalGenerator(["group", "plane"], n_components=4),
}


@pytest.fixture(scope="module")
def fitted(brains, brain_pairs):
    gens = {name: make().fit(brains) for name, make in FACTORIES.items()}
    images, masks = brain_pairs
    gens["label_conditioned"] = LabelConditionedGenerator().fit(images, masks)
    return gens


ALL = [*FACTORIES, "label_conditioned"]


def test_registry_lists_every_generator():
    assert set(GENERATORS) == set(ALL)
    for name, cls in GENERATORS.items():
        assert cls.name == name and cls.limit in ("L1", "L2", "L3", "privacy") and cls.description
    assert isinstance(make_generator("pca_gaussian", n_components=4), PCAGaussianGenerator)
    with pytest.raises(InputError, match="unknown generator 'gan'"):
        make_generator("gan")
    with pytest.raises(InputError, match="bad parameters for generator 'pca_gaussian'"):
        make_generator("pca_gaussian", colour=3)


@pytest.mark.parametrize("name", ALL)
def test_sample_shape_flags_and_provenance(fitted, name):
    gen = fitted[name]
    train = gen.training_set
    out = gen.sample(7, seed=3)
    assert out.images.shape == (7,) + train.image_shape
    assert out.images.dtype == np.float32 and out.images.min() >= 0 and out.images.max() <= 1
    assert out.synthetic.all()
    assert out.ids == [f"{name}-3-{i}" for i in range(7)]
    for col in PROVENANCE_COLUMNS:
        assert col in out.meta and out.meta[col].notna().all(), col
    row = out.meta.iloc[0]
    assert row["generator"] == name and row["generator_version"] == gen.version and row["seed"] == 3
    assert f"n={len(train)}" in row["training_data"] and "sha256:" in row["training_data"]
    assert json.loads(row["conditions"]) == {}
    assert row["created"] == default_created(3) == "2000-01-01T00:00:03Z"
    # attributes copied, identity never
    assert (out.meta["modality"] == "MR").all()
    assert "subject" not in out.meta and "slice_index" not in out.meta and "file" not in out.meta


@pytest.mark.parametrize("name", ALL)
def test_deterministic_per_seed(fitted, name):
    gen = fitted[name]
    a, b, c = gen.sample(5, seed=11), gen.sample(5, seed=11), gen.sample(5, seed=12)
    assert a.images.tobytes() == b.images.tobytes()
    assert a.meta.equals(b.meta)
    assert not np.array_equal(a.images, c.images)


@pytest.mark.parametrize("name", ALL)
def test_bad_calls(fitted, name, brains, brain_pairs):
    gen = fitted[name]
    for bad in (0, -2, 2.5, True):
        with pytest.raises(InputError, match="n must be a positive integer"):
            gen.sample(bad, seed=0)
    with pytest.raises(InputError, match="seed must be a non-negative integer"):
        gen.sample(2, seed=-1)
    with pytest.raises(InputError, match="unknown condition column 'colour'"):
        gen.sample(2, seed=0, conditions={"colour": "red"})
    with pytest.raises(InputError, match="conditions must be a dict"):
        gen.sample(2, seed=0, conditions=["plane"])
    fresh = FACTORIES[name]() if name in FACTORIES else LabelConditionedGenerator()
    with pytest.raises(InputError, match="has not been fitted"):
        fresh.sample(2, seed=0)


@pytest.mark.parametrize("name", ALL)
def test_card_is_json_safe(fitted, name):
    card = fitted[name].card()
    assert json.loads(json.dumps(card)) == json.loads(json.dumps(card, default=str))
    assert card["generator"] == name and card["training_data"] == fitted[name].sample(1, 0).meta["training_data"][0]
    assert card["limit"] in ("L1", "L2", "L3", "privacy")


def test_default_created_is_valid_for_any_seed():
    assert default_created(0) == "2000-01-01T00:00:00Z"
    assert default_created(2 ** 40).startswith("20")  # no overflow for huge seeds


def test_created_override_and_conditions_recorded(fitted):
    out = fitted["pca_gaussian"].sample(4, seed=1, conditions={"plane": "axial"}, created="2026-11-25T10:00:00Z")
    assert (out.meta["created"] == "2026-11-25T10:00:00Z").all()
    assert json.loads(out.meta["conditions"].iloc[0]) == {"plane": "axial"}
    assert (out.meta["plane"] == "axial").all()


def test_conditions_select_training_rows(fitted, brains):
    gen = fitted["pca_gaussian"]
    axial = brains.subset(plane="axial").images.reshape(-1, 32 * 32).mean(axis=0)
    sagittal = brains.subset(plane="sagittal").images.reshape(-1, 32 * 32).mean(axis=0)
    out = gen.sample(40, seed=0, conditions={"plane": "axial"}).images.reshape(40, -1).mean(axis=0)
    assert np.linalg.norm(out - axial) < 0.5 * np.linalg.norm(out - sagittal)
    with pytest.raises(InputError, match="no training image matches conditions"):
        gen.sample(2, seed=0, conditions={"plane": "oblique"})


def test_fit_refuses_bad_training_sets(brains):
    with pytest.raises(InputError, match="needs an ImageSet"):
        PCAGaussianGenerator().fit(brains.images)
    with pytest.raises(InputError, match="marked synthetic"):
        PCAGaussianGenerator().fit(brains.with_meta(synthetic=True))
    with pytest.raises(InputError, match="at least 2 training images"):
        PCAGaussianGenerator().fit(brains.take([0]))
    with pytest.raises(InputError, match="n_components must be a positive integer"):
        PCAGaussianGenerator(n_components=0)
    with pytest.raises(InputError, match="strength must lie in"):
        MemorisingGenerator(strength=1.5)
    with pytest.raises(InputError, match="factor must be an integer >= 2"):
        SuperResolutionGenerator(factor=1)


def test_colour_images_are_supported():
    from misyn_lab.imagesets import load_sample

    retina = load_sample("retina", size=(24, 24)).take(range(20))
    assert retina.is_colour
    out = PCAGaussianGenerator(4).fit(retina).sample(3, seed=0)
    assert out.images.shape == (3, 24, 24, 3)
