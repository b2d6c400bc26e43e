"""The pixel budget: checked from headers before decoding, over all pages/frames/slices, with one default and a
parameter; large JPEGs decoded at reduced scale when a target size is known."""

from __future__ import annotations

import time

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from misyn_lab.errors import InputError
from misyn_lab.imagesets import load_folder, load_images, load_nifti, load_npz
from misyn_lab.imagesets.budget import DEFAULT_MAX_PIXELS, check_budget, iter_pages, open_image, reduce_for


def test_default_budget_and_message():
    assert DEFAULT_MAX_PIXELS == 64_000_000
    check_budget(64_000_000, DEFAULT_MAX_PIXELS, "f.png", what="x")  # at the budget: fine
    with pytest.raises(InputError) as info:
        check_budget(64_000_001, DEFAULT_MAX_PIXELS, "f.png", what="8000×8001×1")
    assert str(info.value) == ("f.png: file declares 8000×8001×1 = 64,000,001 pixel values, more than the budget of "
                               "64,000,000; not decoded (fix: downsample or tile it first, or raise max_pixels= if you "
                               "trust the file)")
    with pytest.raises(InputError, match="max_pixels must be a positive integer, got 0"):
        check_budget(1, 0, "f.png", what="x")


def test_pages_are_checked_one_by_one_before_decoding(tmp_path):
    path = tmp_path / "pages.tif"
    pages = [Image.new("L", (100, 100), k) for k in range(5)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    decoded = []
    im = open_image(path, path)
    with pytest.raises(InputError, match=r"file declares 4 page\(s\) \(up to page 4: 100×100, mode L\) = 40,000 "
                                         r"pixel values, more than the budget of 35,000"):
        for k, page, declared, _ in iter_pages(im, path, max_pixels=35_000):
            decoded.append((k, declared, int(np.asarray(page)[0, 0])))
    assert decoded == [(0, (100, 100), 0), (1, (100, 100), 1), (2, (100, 100), 2)]  # page 4 never decoded
    assert len(load_folder(path)) == 5
    with pytest.raises(InputError, match="pages.tif: file declares 4 page"):
        load_folder(path, max_pixels=35_000)


def test_colour_counts_three_values_per_pixel(tmp_path):
    Image.new("RGB", (100, 100)).save(tmp_path / "c.png")
    with pytest.raises(InputError, match=r"100×100×3 = 30,000 pixel values, more than the budget of 29,999"):
        load_folder(tmp_path / "c.png", max_pixels=29_999)
    assert load_folder(tmp_path / "c.png", max_pixels=30_000).image_shape == (100, 100, 3)


def test_big_jpeg_decodes_at_reduced_scale_for_a_target_size(tmp_path):
    rng = np.random.default_rng(0)
    base = Image.fromarray((rng.random((150, 150, 3)) * 255).astype(np.uint8)).resize((2400, 2400))
    base.save(tmp_path / "big.jpg", quality=80)
    start = time.perf_counter()
    small = load_images(tmp_path / "big.jpg", size=(32, 32))
    seconds = time.perf_counter() - start
    row = small.meta.iloc[0]
    assert small.image_shape == (32, 32, 3) and (row["orig_height"], row["orig_width"]) == (2400, 2400)
    assert row["notes"] == ("JPEG decoded at reduced scale 300×300 (of 2400×2400) for size 32×32; box-reduced by 4 "
                            "(300×300 -> 75×75) for size 32×32")
    assert seconds < 10, seconds
    # same picture as decoding everything and resizing (to within JPEG's own error)
    full = np.asarray(Image.open(tmp_path / "big.jpg"), dtype=np.float32) / 255.0
    from skimage.transform import resize

    ref = resize(full, (32, 32, 3), order=1, anti_aliasing=True)
    assert float(np.abs(small.images[0] - ref).mean()) < 0.02


def test_reduce_keeps_at_least_twice_the_target():
    im = Image.new("L", (1000, 600))
    small, note = reduce_for(im, (32, 32))
    assert small.size == (112, 67) and note == "box-reduced by 9 (1000×600 -> 112×67) for size 32×32"
    assert reduce_for(im, None)[0] is im and reduce_for(Image.new("L", (100, 100)), (32, 32))[1] == ""


def test_nifti_volume_and_npz_stack_are_budgeted_from_headers(tmp_path):
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random((20, 20, 20)).astype(np.float32), np.eye(4)),
             tmp_path / "v.nii.gz")
    with pytest.raises(InputError, match=r"v\.nii\.gz: file declares a volume of 20×20×20 = 8,000 pixel values, more "
                                         r"than the budget of 7,999"):
        load_nifti(tmp_path / "v.nii.gz", max_pixels=7_999)
    assert len(load_nifti(tmp_path / "v.nii.gz", max_pixels=8_000)) == 20
    np.savez(tmp_path / "s.npz", images=np.zeros((4, 10, 10), np.float32))
    with pytest.raises(InputError, match=r"s\.npz: file declares an array of shape \(4, 10, 10\) = 400 pixel values"):
        load_npz(tmp_path / "s.npz", max_pixels=399)
    assert len(load_npz(tmp_path / "s.npz")) == 4


def test_options_are_checked_before_any_file_is_read(tmp_path):
    with pytest.raises(InputError, match=r"size must be two positive integers \(height, width\), got \(0, 3\)"):
        load_folder(tmp_path / "missing", size=(0, 3))
    with pytest.raises(InputError, match="max_pixels must be a positive integer, got 'many'"):
        load_folder(tmp_path / "missing", max_pixels="many")
