"""The workbook's images: the teaching set, the seeded split, and the evaluation inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.workbook import load_inputs, split_real, teaching_real_set


def test_teaching_set_draw_is_seeded_and_checked():
    a, b = teaching_real_set(20, seed=1), teaching_real_set(20, seed=1)
    assert len(a) == 20 and a.ids == b.ids and not a.synthetic.any()
    assert a.images.shape[1:] == (32, 32)
    assert teaching_real_set(20, seed=2).ids != a.ids
    with pytest.raises(InputError, match="n must be between 2 and"):
        teaching_real_set(1)


def test_split_is_disjoint_and_seeded():
    real = teaching_real_set(30, seed=0)
    train, held = split_real(real, seed=0, holdout=0.3)
    assert len(held) == 9 and len(train) == 21 and not set(train.ids) & set(held.ids)
    assert split_real(real, seed=0)[1].ids == held.ids
    with pytest.raises(InputError, match="holdout must be between 0 and 1, got 1.5"):
        split_real(real, holdout=1.5)


def test_load_inputs_teaching_generator_with_and_without_subgroup():
    with_group = load_inputs(n=12, seed=0, subgroup="plane", size=(16, 16))
    assert "'subgroup_skewed'" in with_group.note and len(with_group.synthetic) == 12
    assert with_group.synthetic.synthetic.all() and not with_group.holdout.synthetic.any()
    # the planted flaw and the stand-in task are said out loud
    assert ("a planted flaw, so there is something to find: it under-samples the least frequent 'plane' value "
            "('sagittal', sampling weight 0.2)") in with_group.note
    assert with_group.task == "plane" and "TSTR task: 'plane', a stand-in" in with_group.note
    assert (len(with_group.train), len(with_group.holdout)) == (122, 52)
    assert "real: 122 training images (the teaching generator is fitted on these) and 52 held-out" in with_group.note
    without = load_inputs(n=12, seed=0, subgroup=None, size=(16, 16))
    assert "'pca_gaussian'" in without.note
    assert "'pca_gaussian'" in load_inputs(n=12, seed=0, subgroup="", size=(16, 16)).note


def test_load_inputs_from_folders(tmp_path: Path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for folder, n in (("real", 12), ("syn", 6)):
        (tmp_path / folder).mkdir()
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (20, 20), dtype=np.uint8)).save(tmp_path / folder / f"{i}.png")
    data = load_inputs(tmp_path / "real", tmp_path / "syn", subgroup=None, size=(16, 16))
    # which real images trained the user's generator is unknown: every real image is held-out, and it says so
    assert data.train is None and len(data.holdout) == 12 and len(data.synthetic) == 6 and data.task is None
    assert data.synthetic.synthetic.all() and "6 images from" in data.note
    assert "no training images named, so all 12 real images are treated as held-out" in data.note
    with pytest.raises(InputError, match="the real set has no column 'plane'"):
        load_inputs(tmp_path / "real", tmp_path / "syn", subgroup="plane", size=(16, 16))
    # with the training images named: the user's split
    (tmp_path / "train").mkdir()
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (20, 20), dtype=np.uint8)).save(tmp_path / "train" / f"t{i}.png")
    split = load_inputs(tmp_path / "real", tmp_path / "syn", real_train_path=tmp_path / "train", subgroup=None,
                        size=(16, 16))
    assert (len(split.train), len(split.holdout)) == (5, 12)
    assert f"real: 5 training images (what the generator saw, {tmp_path / 'train'}) and 12 held-out" in split.note


def test_load_inputs_refuses_synthetic_without_real(tmp_path: Path):
    with pytest.raises(InputError, match="a synthetic or training set needs the held-out real set it is compared with"):
        load_inputs(None, tmp_path)
    with pytest.raises(InputError, match="needs the held-out real set"):
        load_inputs(None, None, real_train_path=tmp_path)
