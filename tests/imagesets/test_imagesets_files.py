"""ImageFiles: a file-backed collection read chunk by chunk gives exactly what the loaders give in memory, keeps
the set-wide rules across chunks, and reports bad input like the loaders."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from misyn_lab.imagesets.samples import BUNDLED_DIR
from misyn_lab.errors import InputError
from misyn_lab.imagesets import load_dicom, load_folder
from misyn_lab.imagesets.files import ImageFiles, file_sha256, split_positions, unique_ids

from .conftest import write_png

SAMPLES = BUNDLED_DIR / "images"


def assert_same(a, b):
    np.testing.assert_array_equal(a.images, b.images)
    pd.testing.assert_frame_equal(a.meta, b.meta)
    assert a.name == b.name and a.skipped == b.skipped


@pytest.mark.parametrize("sub, options", [("mni152", {}), ("retina", {}), ("", {"size": (24, 24), "grey": True}),
                                          ("", {"size": (20, 30), "grey": False})])
@pytest.mark.parametrize("chunk_size", [1, 13, None])
def test_chunks_reassemble_to_the_loader_result(sub, options, chunk_size):
    folder = SAMPLES / sub if sub else SAMPLES
    files = ImageFiles.from_folder(folder, **options)
    assert len(files) == len(list(folder.rglob("*.png")))
    assert_same(files.to_imageset(chunk_size=chunk_size), load_folder(folder, **options))
    chunks = list(files.chunks(chunk_size))
    assert sum(len(c) for c in chunks) == len(files)
    if chunk_size:
        assert max(len(c) for c in chunks) <= chunk_size


def test_dicom_folder_with_multiframe_files(tmp_path, dicom_file):
    rng = np.random.default_rng(0)
    for i in range(3):
        dicom_file(f"d{i}.dcm", rng.integers(0, 4000, (2, 8, 8)), frames=2)
    dicom_file("single.dcm", rng.integers(0, 4000, (8, 8)))
    files = ImageFiles.from_folder(tmp_path)
    assert files.kind == "dicom" and len(files) == 4
    for cs in (1, 3):
        assert_same(files.to_imageset(chunk_size=cs), load_dicom(tmp_path))


def test_ids_repeated_across_chunks_are_made_unique_like_the_loader(tmp_path):
    rng = np.random.default_rng(1)
    for name in ("a.png", "a.tif", "b.png", "b.jpg"):
        write_png(tmp_path / "x" / name, rng.integers(0, 256, (8, 8), dtype=np.uint8))
    files = ImageFiles.from_folder(tmp_path / "x")
    assert_same(files.to_imageset(chunk_size=1), load_folder(tmp_path / "x"))
    assert files.to_imageset(chunk_size=1).ids == ["a", "a~2", "b", "b~2"]
    assert unique_ids(["x", "y", "x", "x"]) == ["x", "y", "x~2", "x~3"]


def test_shape_and_colour_mixes_across_chunks_are_refused(tmp_path):
    rng = np.random.default_rng(2)
    write_png(tmp_path / "s" / "a.png", rng.integers(0, 256, (8, 8), dtype=np.uint8))
    write_png(tmp_path / "s" / "b.png", rng.integers(0, 256, (9, 8), dtype=np.uint8))
    with pytest.raises(InputError) as err:
        ImageFiles.from_folder(tmp_path / "s").to_imageset(chunk_size=1)
    assert "images have 2 different shapes: a.png (8, 8), b.png (9, 8)" in str(err.value)
    assert "pass size=(H, W)" in str(err.value)
    assert len(ImageFiles.from_folder(tmp_path / "s", size=(8, 8)).to_imageset(chunk_size=1)) == 2
    write_png(tmp_path / "c" / "a.png", rng.integers(0, 256, (8, 8), dtype=np.uint8))
    write_png(tmp_path / "c" / "b.png", rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    with pytest.raises(InputError, match=r"mixed grey and colour images, e\.g\. .*a\.png \(grey\) and .*b\.png \(RGB\)"):
        ImageFiles.from_folder(tmp_path / "c").to_imageset(chunk_size=1)


def test_skipped_files_are_collected_over_chunks_and_warned_once(tmp_path, grey_folder):
    (grey_folder / "bad.png").write_bytes(b"not a png")
    (grey_folder / "zz_empty.png").write_bytes(b"")
    files = ImageFiles.from_folder(grey_folder, on_error="skip")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = files.to_imageset(chunk_size=1)
    assert [w for w in caught if "skipped 2 of 5 file(s)" in str(w.message)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(got, load_folder(grey_folder, on_error="skip"))
    with pytest.raises(InputError, match="bad.png: not a readable PNG/JPEG/TIFF image"):
        ImageFiles.from_folder(grey_folder).to_imageset(chunk_size=2)


def test_every_file_skipped_is_an_error(tmp_path):
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "a.png").write_bytes(b"")
    with pytest.raises(InputError, match="none of the 1 file\\(s\\) could be read"):
        ImageFiles.from_folder(tmp_path / "e", on_error="skip").to_imageset()


def test_bad_arguments(tmp_path, grey_folder):
    with pytest.raises(InputError, match="no such file or folder"):
        ImageFiles.from_folder(tmp_path / "missing")
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "a.txt").write_text("x")
    with pytest.raises(InputError, match=r"no PNG/JPEG/TIFF or DICOM images found \(1 other file\(s\)\)"):
        ImageFiles.from_folder(tmp_path / "txt")
    with pytest.raises(InputError, match="on_error must be 'raise' or 'skip', got 'ignore'"):
        ImageFiles.from_folder(grey_folder, on_error="ignore")
    with pytest.raises(InputError, match="chunk_size must be a positive integer, got 0"):
        ImageFiles.from_folder(grey_folder).specs(0)
    with pytest.raises(InputError, match="1 file\\(s\\) do not exist"):
        ImageFiles.from_files([grey_folder / "img0.png", grey_folder / "nope.png"])
    with pytest.raises(InputError, match="empty list of image files"):
        ImageFiles.from_files([])


def test_explicit_file_list_hashes_and_default_chunking(grey_folder):
    paths = sorted(grey_folder.glob("*.png"))
    files = ImageFiles.from_files(paths[::-1], name="rev")
    got = files.to_imageset()
    assert got.ids == ["img2", "img1", "img0"] and got.name == "rev"
    assert files.chunk_files() == 4096  # 16×16 grey images: the cap, far below the pixel budget
    assert file_sha256(paths[0]) == __import__("hashlib").sha256(paths[0].read_bytes()).hexdigest()
    assert files.take([2]).files == [paths[0]]
    assert files.with_options(synthetic=True).to_imageset().synthetic.all()


def test_split_positions_is_seeded_and_validated():
    train, held = split_positions(10, seed=0, holdout=0.3)
    assert len(held) == 3 and sorted(np.concatenate([train, held]).tolist()) == list(range(10))
    assert np.array_equal(held, split_positions(10, seed=0, holdout=0.3)[1])
    with pytest.raises(InputError, match="holdout must be between 0 and 1, got 1.5"):
        split_positions(10, holdout=1.5)


@pytest.mark.parametrize("name", ["a.PNG", ".png", "a.", "a.nii.gz", "A.NII.GZ", "dir/x.tar.png", "x", "a/b/",
                                  "name.with.dots.TIF", "..", ".", "folder.d/file", "/abs/p.dcm", "a..b", "trail.png/"])
def test_suffix_follows_path_suffix_lower_cased(name):
    from pathlib import Path

    from misyn_lab.imagesets.readers import suffix

    low = Path(name).name.lower()
    expected = ".nii.gz" if low.endswith(".nii.gz") else Path(low).suffix
    assert suffix(name) == expected and suffix(Path(name)) == expected
