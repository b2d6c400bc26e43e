"""The bundled real samples: listing, loading, masks, and byte-for-byte reproducibility of the archive."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from misyn_lab.errors import InputError
from misyn_lab.imagesets import list_samples, load_sample, load_sample_with_masks
from misyn_lab.imagesets.samples import data_dir, read_metadata
from misyn_lab.imagesets.samples_build import build_samples, manifest_text


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_list_samples_has_three_or_more_modalities():
    table = list_samples()
    modalities = {m for v in table["modality"] for m in v.split(",")}
    assert len(modalities) >= 3 and {"MR", "CT", "fundus"} <= modalities
    assert int(table["n_images"].sum()) == len(read_metadata())
    assert (table["licence"] != "").all()


def test_metadata_only_real_columns_and_files_exist():
    meta = read_metadata()
    root = data_dir()
    assert list(meta.columns) == ["id", "group", "file", "mask_file", "source", "source_package", "source_file",
                                  "licence", "modality", "body_part", "plane", "slice_index", "subject", "sex",
                                  "age", "burned_in_text", "notes"]
    assert meta["id"].is_unique
    assert all((root / f).is_file() for f in meta["file"])
    assert set(meta["sex"]) <= {"", "F", "M"}
    us = meta[meta["modality"] == "US"]
    assert us["burned_in_text"].str.startswith("yes").any()


def test_load_sample_shapes_values_and_copies():
    mni = load_sample("mni152")
    n_mni = int((read_metadata()["group"] == "mni152").sum())
    assert len(mni) == n_mni and mni.image_shape == (128, 128)
    assert mni.images.dtype == np.float32 and 0.0 <= mni.images.min() and mni.images.max() <= 1.0
    assert not mni.synthetic.any() and set(mni.meta["plane"]) == {"axial", "coronal", "sagittal"}
    upper = mni.subset("slice_index > 100", plane="axial")
    assert 0 < len(upper) < 40 and (upper.meta["slice_index"] > 100).all()
    ct = load_sample("CT", size=(64, 64))
    assert ct.image_shape == (64, 64) and set(ct.meta["modality"]) == {"CT"}
    histo = load_sample("histology")
    assert histo.image_shape == (128, 128, 3)
    every = load_sample("all")
    assert len(every) == len(read_metadata()) and every.image_shape == (128, 128)  # mixed -> grey
    mni.images[:] = 0  # the cache hands out copies
    assert load_sample("mni152").images.max() > 0


def test_unknown_sample_name_lists_valid_names():
    with pytest.raises(InputError, match=r"unknown sample name 'lungs'.*'dicom_ct'.*'mni152'.*'fundus'"):
        load_sample("lungs")


def test_masks_aligned_with_images():
    images, masks = load_sample_with_masks("mni152")
    assert masks.shape == images.images.shape and set(np.unique(masks)) == {0, 1, 2}
    img = images.images
    # on a T1 image white matter is brighter than grey matter, which is brighter than the background
    wm, gm, bg = img[masks == 2].mean(), img[masks == 1].mean(), img[masks == 0].mean()
    assert wm > gm + 0.1 and gm > bg
    # a misaligned mask (shifted by 8 pixels) separates the tissues much less
    shifted = np.roll(masks, 8, axis=2)
    assert img[shifted == 2].mean() - img[shifted == 1].mean() < wm - gm
    with pytest.raises(InputError, match="have no mask.*use a group with masks: \\['mni152'\\]"):
        load_sample_with_masks("retina")


def test_data_dir_override_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("MISYN_LAB_DATA", str(tmp_path))
    with pytest.raises(InputError, match="sample archive not found.*misyn-lab samples build"):
        load_sample("all")


def test_committed_manifest_matches_committed_files():
    root = data_dir()
    assert (root / "MANIFEST.sha256").read_text() == manifest_text(root)
    assert (root / "PROVENANCE.md").is_file() and "MNI" in (root / "PROVENANCE.md").read_text()


def test_build_is_deterministic_and_matches_committed(tmp_path):
    groups = ("dicom_ct", "dicom_mr", "dicom_cr", "dicom_us", "dicom_nm", "microaneurysms", "histology")
    a = build_samples(tmp_path / "a", groups=groups)
    b = build_samples(tmp_path / "b", groups=groups)
    assert a["n_images"] == b["n_images"] > 30
    assert (tmp_path / "a" / "MANIFEST.sha256").read_text() == (tmp_path / "b" / "MANIFEST.sha256").read_text()
    committed = data_dir()
    for png in sorted((tmp_path / "a" / "images").rglob("*.png")):
        rel = png.relative_to(tmp_path / "a")
        assert _sha(png) == _sha(committed / rel), rel
    # size target of the whole committed archive
    assert sum(p.stat().st_size for p in committed.rglob("*") if p.is_file()) < 10e6


def test_volume_and_retina_build_matches_committed(tmp_path):
    from misyn_lab.imagesets.samples_sources import COLIN27_PATH

    summary = build_samples(tmp_path, groups=("mni152", "colin27", "retina"))
    assert summary["counts"]["mni152/MR"] == 102 and summary["n_masks"] == 102
    committed = data_dir()
    files = sorted((tmp_path / "images").rglob("*.png")) + sorted((tmp_path / "masks").rglob("*.png"))
    n_colin = int((read_metadata()["group"] == "colin27").sum()) if COLIN27_PATH.is_file() else 0
    assert len(files) == 2 * 102 + n_colin + summary["counts"]["retina/fundus"]  # MNI images + masks
    assert all(_sha(f) == _sha(committed / f.relative_to(tmp_path)) for f in files)


def test_build_unknown_group():
    with pytest.raises(InputError, match=r"unknown sample groups \['nope'\]"):
        build_samples("/nonexistent-never-written", groups=("nope",))


def test_optional_colin27_missing_is_a_note(tmp_path, monkeypatch):
    import misyn_lab.imagesets.samples_build as sb

    monkeypatch.setattr(sb, "COLIN27_PATH", tmp_path / "absent" / "ch2.nii.gz")
    summary = build_samples(tmp_path / "out", groups=("colin27", "microaneurysms"))
    assert summary["counts"] == {"microaneurysms/fundus": 1}
    assert any("Colin27 skipped" in n and "mricron-data" in n for n in summary["notes"])
    assert "Colin27 skipped" in (tmp_path / "out" / "PROVENANCE.md").read_text()


def test_required_dicom_source_missing_fails_optional_is_noted():
    from misyn_lab.imagesets.samples_build import dicom_samples
    from misyn_lab.imagesets.samples_sources import DicomSource

    with pytest.raises(InputError, match=r"pydicom test file no_such_file\.dcm not found.*pydicom-data"):
        list(dicom_samples((DicomSource("dicom_ct", "no_such_file.dcm"),)))
    notes: list[str] = []
    assert list(dicom_samples((DicomSource("dicom_ct", "no_such_file.dcm", optional=True),), skipped=notes)) == []
    assert notes and notes[0].startswith("no_such_file.dcm:")
