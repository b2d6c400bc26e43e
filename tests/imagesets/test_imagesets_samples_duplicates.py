"""No duplicate real images in the sample archive: the committed files, the builder check, the MNI sagittal set."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
from PIL import Image

from misyn_lab.errors import InputError
from misyn_lab.imagesets.samples import data_dir, read_metadata
from misyn_lab.imagesets.samples_build import (MNI_PER_PLANE, MNI_SAGITTAL, Sample, build_samples, hemisphere_indices,
                                               is_mirror_symmetric, midline_index)


def _pixel_hash(path) -> str:
    arr = np.asarray(Image.open(path))
    return hashlib.sha256(f"{arr.shape}{arr.dtype}".encode() + arr.tobytes()).hexdigest()


def test_no_two_committed_images_are_pixel_identical():
    root = data_dir()
    files = sorted(p.relative_to(root).as_posix() for p in (root / "images").rglob("*.png"))
    assert files == sorted(read_metadata()["file"])  # no stray image outside metadata.csv
    by_hash: dict[str, list[str]] = {}
    for f in files:
        by_hash.setdefault(_pixel_hash(root / f), []).append(f)
    dups = [v for v in by_hash.values() if len(v) > 1]
    assert dups == [], f"{len(dups)} groups of pixel-identical images, e.g. {dups[:3]}"


def test_mni_sagittal_slices_are_midline_plus_one_hemisphere():
    meta = read_metadata()
    sag = meta[(meta["group"] == "mni152") & (meta["plane"] == "sagittal")]
    x_mm = [int(re.search(r"MNI x=(-?\d+) mm", n).group(1)) for n in sag["notes"]]
    assert len(sag) == MNI_SAGITTAL == len(set(x_mm))
    assert min(x_mm) == 0 and all(x >= 0 for x in x_mm)  # midline included, no mirrored (x < 0) slice
    steps = np.diff(sorted(x_mm))
    assert steps.min() >= 1 and steps.max() - steps.min() <= 1  # spread evenly
    # the other planes and Colin27 still cover both sides
    cor = meta[(meta["group"] == "mni152") & (meta["plane"] == "coronal")]
    assert len(cor) == MNI_PER_PLANE
    colin_sag = meta[(meta["group"] == "colin27") & (meta["plane"] == "sagittal")]
    if len(colin_sag):
        xs = [int(re.search(r"x=(-?\d+) mm", n).group(1)) for n in colin_sag["notes"]]
        assert min(xs) < 0 < max(xs)
    text = (data_dir() / "PROVENANCE.md").read_text()
    assert "template is *symmetric*" in text and "right hemisphere only" in text


def test_why_one_hemisphere_template_is_mirror_symmetric_colin27_is_not():
    import nibabel as nib
    from nilearn import datasets

    from misyn_lab.imagesets.samples_sources import COLIN27_PATH

    t1 = nib.as_closest_canonical(datasets.load_mni152_template(resolution=1))
    mid = midline_index(t1.affine)
    vol = t1.get_fdata()
    assert is_mirror_symmetric(vol, 0, mid)
    assert not is_mirror_symmetric(vol, 0, mid + 1)  # the check is not trivially true
    if COLIN27_PATH.is_file():
        colin = nib.as_closest_canonical(nib.load(str(COLIN27_PATH)))
        assert not is_mirror_symmetric(colin.get_fdata(), 0, midline_index(colin.affine))


def test_is_mirror_symmetric_small_arrays():
    a = np.arange(5.0)[:, None] * np.ones((5, 3))
    sym = np.abs(a - 2)
    assert is_mirror_symmetric(sym, 0, 2)
    sym[4, 1] += 1
    assert not is_mirror_symmetric(sym, 0, 2)
    assert not is_mirror_symmetric(np.zeros((3, 3)), 0, 0)  # nothing to mirror at the edge


def test_hemisphere_indices_spread_and_errors():
    right = hemisphere_indices(98, 170, 40)
    assert len(right) == 40 == len(set(right)) and right[0] == 98 and right[-1] == 163
    left = hemisphere_indices(98, 26, 10)
    assert len(left) == 10 and left[-1] == 98 and left[0] == 33 and max(left) == 98
    with pytest.raises(InputError, match=r"only 11 distinct slices between index 0 and 10\.0, 20 wanted"):
        hemisphere_indices(0, 10, 20, margin=0.0)


def test_build_fails_before_writing_when_two_images_are_pixel_identical(tmp_path, monkeypatch):
    import misyn_lab.imagesets.samples_build as sb

    img = np.arange(128 * 128, dtype=np.uint32).reshape(128, 128).astype(np.uint8)

    def twins():
        for k in range(3):
            yield Sample(img.copy() if k < 2 else img.T.copy(), sb._base_row("microaneurysms", plane="patch"))

    monkeypatch.setattr(sb, "microaneurysm_samples", twins)
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"1 group\(s\) of pixel-identical images, e\.g\. "
                                         r"\[\['microaneurysms-001', 'microaneurysms-002'\]\]"):
        build_samples(out, groups=("microaneurysms",))
    assert not out.exists()
    summary = build_samples(out, groups=("histology",))  # distinct images pass, with a note
    assert any("no two of the 16 images are pixel-identical" in n for n in summary["notes"])
