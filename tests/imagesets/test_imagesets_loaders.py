"""Loaders on generated files, including every kind of bad input the issue lists."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from misyn_lab.errors import InputError
from misyn_lab.imagesets import load_dicom, load_folder, load_images, load_nifti, load_npz
from tests.imagesets.conftest import png_with_declared_size, write_png


# ------------------------------------------------------------------------------------ raster folders
def test_load_folder_grey_8bit(grey_folder):
    s = load_folder(grey_folder)
    assert len(s) == 3 and s.image_shape == (16, 16)
    raw = np.asarray(Image.open(grey_folder / "img1.png"))
    np.testing.assert_allclose(s.images[1], raw / 255.0, atol=1e-6)
    assert s.ids == ["img0", "img1", "img2"]
    assert set(s.meta["intensity_scaling"]) == {"divided by 255"}
    assert not s.synthetic.any()
    assert load_folder(grey_folder, synthetic=True).synthetic.all()


def test_16bit_png_range_recorded_not_clipped(tmp_path):
    arr = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    arr2 = np.array([[300, 301], [302, 20000]], dtype=np.uint16)
    write_png(tmp_path / "a.png", arr)
    write_png(tmp_path / "b.png", arr2)
    s = load_folder(tmp_path)
    row = s.meta.iloc[0]
    assert row["orig_dtype"] == "uint16" and row["orig_min"] == 0 and row["orig_max"] == 65535
    np.testing.assert_allclose(s.images[0].ravel(), arr.ravel() / 65535.0, atol=1e-6)
    # values above 255 keep their distinct levels (a 16->8-bit clip would make 301 and 302 collide or saturate)
    assert len(np.unique(s.images[1])) == 4 and s.images[1].max() == 1.0
    assert s.meta.iloc[1]["orig_max"] == 20000


def test_signed_int16_tiff(tmp_path):
    import tifffile  # a scikit-image requirement
    arr = np.array([[-1000, 0], [500, 3000]], dtype=np.int16)
    tifffile.imwrite(tmp_path / "ct.tif", arr)
    s = load_folder(tmp_path)
    row = s.meta.iloc[0]
    assert row["orig_dtype"] == "int16" and row["orig_min"] == -1000 and row["orig_max"] == 3000
    np.testing.assert_allclose(s.images[0], (arr + 1000) / 4000.0, atol=1e-6)


def test_rgba_dropped_with_note_or_error(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 10
    write_png(tmp_path / "x.png", rgba)
    s = load_folder(tmp_path)
    assert s.image_shape == (4, 4, 3)
    assert "alpha channel dropped" in s.meta.iloc[0]["notes"]
    np.testing.assert_allclose(s.images[0, 0, 0], [200 / 255, 0, 0], atol=1e-6)
    with pytest.raises(InputError, match="alpha channel"):
        load_folder(tmp_path, alpha="error")


def test_corrupt_truncated_and_empty_files(tmp_path, grey_folder):
    good = (grey_folder / "img0.png").read_bytes()
    (tmp_path / "trunc.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match=r"trunc\.png: corrupt or truncated.*on_error='skip'"):
        load_folder(tmp_path / "trunc.png")
    (tmp_path / "zero.png").write_bytes(b"")
    with pytest.raises(InputError, match=r"zero\.png: file is empty \(0 bytes\)"):
        load_folder(tmp_path / "zero.png")
    (tmp_path / "junk.png").write_bytes(b"this is not an image at all")
    with pytest.raises(InputError, match=r"junk\.png: not a readable PNG/JPEG/TIFF"):
        load_folder(tmp_path / "junk.png")


def test_skip_mode_lists_and_warns(tmp_path, grey_folder):
    (grey_folder / "zero.png").write_bytes(b"")
    (grey_folder / "junk.tif").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="skipped 2 of 5 file"):
        s = load_folder(grey_folder, on_error="skip")
    assert len(s) == 3
    assert sorted(k.path.rsplit("/", 1)[-1] for k in s.skipped) == ["junk.tif", "zero.png"]
    assert all(k.reason for k in s.skipped)
    with pytest.raises(InputError, match=r"junk\.tif: not a readable PNG/JPEG/TIFF"):
        load_folder(grey_folder)  # default: raise at the first bad file (sorted order)
    with pytest.raises(InputError, match="on_error must be 'raise' or 'skip'"):
        load_folder(grey_folder, on_error="ignore")


def test_all_skipped_is_an_error(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    with pytest.warns(UserWarning, match="skipped 1 of 1"), \
            pytest.raises(InputError, match="none of the 1 file\\(s\\) could be read"):
        load_folder(tmp_path, on_error="skip")


def test_empty_folder_and_non_images(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: no PNG/JPEG/TIFF images found \(no files\)"):
        load_folder(tmp_path / "empty")
    other = tmp_path / "docs"
    other.mkdir()
    (other / "notes.txt").write_text("hello")
    (other / "table.csv").write_text("a,b")
    with pytest.raises(InputError, match=r"2 other file\(s\).*fix: point to a folder"):
        load_folder(other)
    with pytest.raises(InputError, match="no such file or folder"):
        load_folder(tmp_path / "missing")


def test_mixed_shapes_need_size(tmp_path):
    write_png(tmp_path / "a.png", np.zeros((8, 8), np.uint8))
    write_png(tmp_path / "b.png", np.zeros((8, 12), np.uint8))
    with pytest.raises(InputError, match=r"2 different shapes: a\.png \(8, 8\), b\.png \(8, 12\).*size=\(H, W\)"):
        load_folder(tmp_path)
    s = load_folder(tmp_path, size=(6, 6))
    assert s.image_shape == (6, 6) and s.meta["orig_width"].tolist() == [8, 12]


def test_mixed_grey_and_colour(tmp_path):
    write_png(tmp_path / "g.png", np.full((4, 4), 100, np.uint8))
    write_png(tmp_path / "c.png", np.full((4, 4, 3), 100, np.uint8))
    with pytest.raises(InputError, match="mixed grey and colour.*grey=True"):
        load_folder(tmp_path)
    assert load_folder(tmp_path, grey=True).image_shape == (4, 4)
    assert load_folder(tmp_path, grey=False).image_shape == (4, 4, 3)


def test_huge_declared_png_rejected_before_decoding(tmp_path):
    png_with_declared_size(tmp_path / "bomb.png", 20000, 20000)
    with pytest.raises(InputError, match=r"bomb\.png: image declares too many pixels to decode safely"):
        load_folder(tmp_path / "bomb.png")
    png_with_declared_size(tmp_path / "big.png", 9000, 9000)  # 81 Mpx: below Pillow's limit, above ours
    with pytest.raises(InputError, match=r"big\.png: file declares 9000×9000×1 = 81,000,000 pixel values, more "
                                         r"than the budget of 64,000,000; not decoded.*max_pixels="):
        load_folder(tmp_path / "big.png")
    png_with_declared_size(tmp_path / "mid.png", 100, 100)
    with pytest.raises(InputError, match="= 10,000 pixel values, more than the budget of 50;"):
        load_folder(tmp_path / "mid.png", max_pixels=50)


# ------------------------------------------------------------------------------------ DICOM
def test_dicom_rescale_metadata_and_frames(dicom_file):
    px = np.array([[0, 1024], [2048, 4096]], dtype=np.uint16)
    p = dicom_file("ct.dcm", px)
    s = load_dicom(p)
    row = s.meta.iloc[0]
    assert row["orig_min"] == -1024 and row["orig_max"] == 3072  # slope 1, intercept -1024 applied
    assert (row["modality"], row["sex"], row["age"], row["body_part"]) == ("CT", "F", "045Y", "CHEST")
    assert "rescale slope/intercept applied" in row["notes"]
    w = load_dicom(p, window=(0.0, 2048.0))
    np.testing.assert_allclose(w.images[0].ravel(), [0.0, 0.5, 1.0, 1.0])  # HU -1024, 0, 1024, 3072
    multi = dicom_file("mf.dcm", np.stack([px, px * 2 // 3, px // 2]), frames=3)
    m = load_dicom(multi)
    assert len(m) == 3 and m.ids == ["mf#0", "mf#1", "mf#2"]


def test_dicom_without_pixel_data(dicom_file, tmp_path):
    p = dicom_file("nopix.dcm", None)
    with pytest.raises(InputError, match=r"nopix\.dcm: DICOM object has no pixel data"):
        load_dicom(p)
    good = dicom_file("ok.dcm", np.ones((2, 2), np.uint16))
    with pytest.warns(UserWarning, match="skipped 1 of 2"):
        s = load_dicom([good, p], on_error="skip")
    assert len(s) == 1 and s.skipped[0].path.endswith("nopix.dcm")


def test_corrupt_dicom_element_is_listed_not_raised(tmp_path):
    """A value whose length does not fit its VR makes pydicom raise its own exception type on first read
    (BytesLengthException here; struct.error in older pydicom): load_dicom(on_error='skip') lists the file."""
    import shutil
    import struct

    from pydicom.data import get_testdata_file

    good = tmp_path / "ok.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm", download=False), good)
    data = bytearray(good.read_bytes())
    at = data.find(struct.pack("<HH", 0x0028, 0x0010))  # Rows, explicit VR 'US' with 2 value bytes
    assert data[at + 4:at + 6] == b"US"
    data[at + 4:at + 6] = b"UL"  # same header size, but 2 bytes cannot hold a 4-byte UL value
    bad = tmp_path / "bad_rows.dcm"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"bad_rows\.dcm: corrupt DICOM attribute: \w+"):
        load_dicom(bad)
    with pytest.warns(UserWarning, match="skipped 1 of 2"):
        s = load_dicom([good, bad], on_error="skip")
    assert len(s) == 1 and s.skipped[0].path.endswith("bad_rows.dcm")
    assert "corrupt DICOM attribute" in s.skipped[0].reason


def test_not_dicom_and_compressed_without_decoder(tmp_path):
    bad = tmp_path / "x.dcm"
    bad.write_bytes(b"not dicom")
    with pytest.raises(InputError, match=r"x\.dcm: (not a DICOM file|cannot parse)"):
        load_dicom(bad)
    from pydicom.data import get_testdata_file

    path = get_testdata_file("JPGExtended.dcm", download=False)  # JPEG lossless needs pylibjpeg or gdcm
    lossless = get_testdata_file("JPEG-LL.dcm", download=False)
    try:
        import pylibjpeg  # noqa: F401
        pytest.skip("a JPEG decoder is installed")
    except ImportError:
        pass
    assert path is not None
    with pytest.raises(InputError, match=r"JPEG-LL\.dcm: cannot decode compressed pixel data.*pip install pylibjpeg"):
        load_dicom(lossless)


# ------------------------------------------------------------------------------------ NIfTI
def test_nifti_slicing_and_4d_error(tmp_path):
    import nibabel as nib

    vol = np.zeros((6, 7, 5), np.int16)
    vol[2:4, 2:5, 1:4] = np.arange(18).reshape(2, 3, 3) * 100 - 300
    nib.save(nib.Nifti1Image(vol, np.eye(4)), tmp_path / "v.nii.gz")
    s = load_nifti(tmp_path / "v.nii.gz", axis=2)
    assert s.meta["slice_index"].tolist() == [1, 2, 3]  # constant slices skipped by default
    assert s.image_shape == (7, 6) and set(s.meta["plane"]) == {"axial"}
    assert s.meta.iloc[0]["orig_min"] == -300
    sag = load_nifti(tmp_path / "v.nii.gz", axis=0, slices=[0, 2])
    assert sag.meta["slice_index"].tolist() == [0, 2] and sag.image_shape == (5, 7)
    with pytest.raises(InputError, match=r"slice indices \[9\] outside 0\.\.5"):
        load_nifti(tmp_path / "v.nii.gz", axis=0, slices=[9])
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4, 3), np.float32), np.eye(4)), tmp_path / "fmri.nii")
    with pytest.raises(InputError, match=r"fmri\.nii: volume is 4-D.*img\.slicer\[\.\.\., t\]"):
        load_nifti(tmp_path / "fmri.nii")
    nanvol = np.ones((3, 3, 3), np.float32)
    nanvol[1, 1, 1] = np.nan
    nib.save(nib.Nifti1Image(nanvol, np.eye(4)), tmp_path / "nan.nii")
    with pytest.raises(InputError, match="volume contains NaN"):
        load_nifti(tmp_path / "nan.nii")


# ------------------------------------------------------------------------------------ npz / dispatch
def test_npz_plain_nan_inf_and_keys(tmp_path):
    np.savez(tmp_path / "plain.npz", images=np.arange(32, dtype=np.int32).reshape(2, 4, 4) * 100)
    s = load_npz(tmp_path / "plain.npz")
    assert len(s) == 2 and s.images.max() == 1.0 and s.meta.iloc[1]["orig_max"] == 3100
    bad = np.zeros((2, 3, 3), np.float32)
    bad[0, 1, 1] = np.inf
    np.savez(tmp_path / "bad.npz", images=bad)
    with pytest.raises(InputError, match=r"bad\.npz: 1 image\(s\) contain NaN or infinite"):
        load_npz(tmp_path / "bad.npz")
    np.savez(tmp_path / "two.npz", a=np.zeros((1, 2, 2)), b=np.zeros((1, 2, 2)))
    with pytest.raises(InputError, match=r"keys: \['a', 'b'\].*key='<name>'"):
        load_npz(tmp_path / "two.npz")
    assert len(load_npz(tmp_path / "two.npz", key="b")) == 1
    np.savez(tmp_path / "objects.npz", images=np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputError, match=r"objects\.npz: cannot read array 'images'.*no Python objects"):
        load_npz(tmp_path / "objects.npz")
    (tmp_path / "junk.npz").write_bytes(b"nope")
    with pytest.raises(InputError, match="not a readable .npz"):
        load_npz(tmp_path / "junk.npz")


def test_npz_plain_records_on_disk_dtype(tmp_path):
    np.savez(tmp_path / "u16.npz", images=(np.arange(32, dtype=np.uint16).reshape(2, 4, 4) * 2000))
    s = load_npz(tmp_path / "u16.npz")
    assert set(s.meta["orig_dtype"]) == {"uint16"} and s.images.dtype == np.float32
    np.save(tmp_path / "i16.npy", np.arange(-8, 8, dtype=np.int16).reshape(1, 4, 4))
    assert load_npz(tmp_path / "i16.npy").meta.loc[0, "orig_dtype"] == "int16"


def test_load_images_dispatch(tmp_path, grey_folder, dicom_file):
    assert len(load_images(grey_folder)) == 3
    assert len(load_images(grey_folder / "img0.png")) == 1
    p = dicom_file("one.dcm", np.ones((2, 2), np.uint16))
    assert load_images(p).meta.iloc[0]["modality"] == "CT"
    import nibabel as nib

    nib.save(nib.Nifti1Image(np.arange(27, dtype=np.float32).reshape(3, 3, 3), np.eye(4)), tmp_path / "v.nii")
    assert len(load_images(tmp_path / "v.nii", axis=1)) == 3
    with pytest.raises(InputError, match=r"option\(s\) \['recursive'\] do not apply to load_nifti"):
        load_images(tmp_path / "v.nii", recursive=False)
    (tmp_path / "x.xyz").write_text("?")
    with pytest.raises(InputError, match=r"unsupported file type \.xyz"):
        load_images(tmp_path / "x.xyz")


def test_progress_bar_path_for_many_files(grey_folder, monkeypatch):
    import misyn_lab.imagesets._loading as loading

    monkeypatch.setattr(loading, "PROGRESS_THRESHOLD", 1)
    s = load_folder(grey_folder)
    assert len(s) == 3 and s.ids == ["img0", "img1", "img2"]
