"""Labelling files as synthetic and reading the mark back, for every format written."""

from __future__ import annotations

import json
import shutil

import nibabel as nib
import numpy as np
import pandas as pd
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.datadict import tag_for_keyword

from misyn_lab.errors import InputError, SchemaError
from misyn_lab.imagesets import ImageSet
from misyn_lab.provenance import (
    COMPOSITE_TRAINED_ALGORITHMIC_MEDIA,
    TRAINED_ALGORITHMIC_MEDIA,
    Provenance,
    export_imageset,
    is_synthetic,
    label_file,
    safe_output_name,
    write_dicom,
    write_png,
    write_tiff,
)
from misyn_lab.provenance.record import parse_xmp


def _pixels(path):
    return np.asarray(Image.open(path))


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "JPEG"])
def test_label_raster_round_trip_keeps_pixels(tmp_path, prov, synthetic_png, fmt):
    src = tmp_path / f"plain.{fmt.lower()}"
    Image.open(synthetic_png).save(src, format=fmt)
    before = _pixels(src)
    assert is_synthetic(src) is None
    out = label_file(src, prov, out=tmp_path / f"labelled.{fmt.lower()}")
    mark = is_synthetic(out)
    assert mark is not None and mark.labelled and mark.format == fmt.lower().replace("jpeg", "jpeg")
    assert mark.provenance["generator"] == "pca-gaussian"
    assert mark.provenance["seed"] == 7
    assert mark.provenance["conditioning"]["prompt"].endswith("ünïcode")
    assert mark.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert any("DigitalSourceType" in f for f in mark.fields)
    np.testing.assert_array_equal(_pixels(out), before)  # labelling never changes pixels
    # the JPEG was not re-encoded: its entropy-coded data is byte-identical
    if fmt == "JPEG":
        raw_in, raw_out = src.read_bytes(), out.read_bytes()
        assert raw_out.endswith(raw_in[raw_in.index(b"\xff\xda"):])


def test_png_carries_text_chunks_and_xmp(tmp_path, prov, synthetic_png):
    out = label_file(synthetic_png, prov, out=tmp_path / "l.png")
    im = Image.open(out)
    assert im.info["misyn:synthetic"] == "true"
    assert json.loads(im.info["misyn:provenance"])["training_data"] == "MNI152 axial slices"
    xmp = parse_xmp(im.info["XML:com.adobe.xmp"])
    assert xmp.digital_source_type == TRAINED_ALGORITHMIC_MEDIA and xmp.synthetic


def test_tiff_carries_description_and_xmp_tag(tmp_path, prov, synthetic_png):
    src = tmp_path / "a.tif"
    Image.open(synthetic_png).save(src)
    out = label_file(src, prov, out=tmp_path / "b.tif")
    tags = Image.open(out).tag_v2
    assert json.loads(tags[270])["misyn:synthetic"] is True
    assert b"trainedAlgorithmicMedia" in tags[700]


def test_label_in_place_and_into_folder(tmp_path, prov, synthetic_png):
    outdir = tmp_path / "out"
    outdir.mkdir()
    copy = label_file(synthetic_png, prov, out=outdir)
    assert copy == outdir / "syn.png" and is_synthetic(copy)
    assert is_synthetic(synthetic_png) is None
    label_file(synthetic_png, prov)
    assert is_synthetic(synthetic_png).labelled


def test_banner_changes_pixels_only_when_asked(tmp_path, prov, synthetic_png):
    before = _pixels(synthetic_png)
    out = label_file(synthetic_png, prov, out=tmp_path / "b.png", banner=True)
    after = _pixels(out)
    assert after.shape == before.shape
    strip = max(10, before.shape[0] // 8)
    assert not np.array_equal(after[:strip], before[:strip])  # visible strip burned in
    np.testing.assert_array_equal(after[strip:], before[strip:])  # rest untouched
    assert len(np.unique(after[:strip])) == 2  # strip colour + text colour


def test_dicom_label_uses_standard_attributes(tmp_path, prov):
    src = tmp_path / "ct.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm"), src)
    before = pydicom.dcmread(src).pixel_array.copy()
    out = label_file(src, prov, out=tmp_path / "ct_syn.dcm")
    ds = pydicom.dcmread(out)
    assert tag_for_keyword("SyntheticData") == 0x0008001C
    assert ds.SyntheticData == "YES"
    assert list(ds.ImageType)[:2] == ["DERIVED", "SECONDARY"]
    assert ds.ConversionType == "SYN"
    assert "pca-gaussian" in ds.DerivationDescription
    item = ds.ContributingEquipmentSequence[-1]
    code = item.PurposeOfReferenceCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning) == ("109100", "DCM", "Synthesizing Equipment")
    assert item.Manufacturer == "pca-gaussian" and "0.3" in list(item.SoftwareVersions)
    assert "BurnedInAnnotation" not in ds or ds.BurnedInAnnotation != "YES"
    np.testing.assert_array_equal(ds.pixel_array, before)
    mark = is_synthetic(out)
    assert {"SyntheticData", "ConversionType", "ContributingEquipmentSequence"} <= set(mark.fields)
    assert mark.provenance["seed"] == 7


def test_dicom_banner_sets_burned_in_and_references_source(tmp_path, prov):
    src = tmp_path / "ct.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm"), src)
    old = pydicom.dcmread(src)
    out = label_file(src, prov, out=tmp_path / "ct_b.dcm", banner=True)
    ds = pydicom.dcmread(out)
    assert ds.BurnedInAnnotation == "YES"
    assert ds.SOPInstanceUID != old.SOPInstanceUID
    assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == old.SOPInstanceUID
    assert not np.array_equal(ds.pixel_array, old.pixel_array)
    assert "BurnedInAnnotation" in is_synthetic(out).fields


def test_write_dicom_from_array_with_source_sop(tmp_path):
    p = Provenance(generator="cyclegan-mr2ct", generator_version="1", source_sop_instance_uid="1.2.3.4",
                   source_sop_class_uid="1.2.840.10008.5.1.4.1.1.4",
                   digital_source_type=COMPOSITE_TRAINED_ALGORITHMIC_MEDIA)
    arr = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    out = write_dicom(arr, tmp_path / "x.dcm", p)
    ds = pydicom.dcmread(out)
    assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == "1.2.3.4"
    assert ds.PatientName == "SYNTHETIC^IMAGE"
    np.testing.assert_array_equal(ds.pixel_array, np.round(arr * 65535).astype(np.uint16))
    assert is_synthetic(out).provenance["digital_source_type"] == COMPOSITE_TRAINED_ALGORITHMIC_MEDIA


def test_nifti_header_and_sidecar(tmp_path, prov):
    vol = np.random.default_rng(0).random((8, 8, 4)).astype(np.float32)
    src = tmp_path / "vol.nii.gz"
    nib.save(nib.Nifti1Image(vol, np.eye(4)), src)
    assert is_synthetic(src) is None
    out = label_file(src, prov, out=tmp_path / "syn.nii.gz")
    mark = is_synthetic(out)
    assert "NIfTI descrip" in mark.fields and mark.provenance["generator"] == "pca-gaussian"
    assert (tmp_path / "syn.json").is_file()
    np.testing.assert_array_equal(np.asanyarray(nib.load(out).dataobj), vol)


def test_write_helpers_and_export_imageset(tmp_path, prov):
    rng = np.random.default_rng(1)
    images = rng.random((3, 32, 32)).astype(np.float32)
    iset = ImageSet.from_arrays(images, pd.DataFrame({"id": ["a", "b", "c"], "synthetic": [True, False, True],
                                                      "seed": [11, 12, 13]}))
    for fmt in ("png", "tiff", "dcm"):
        paths = export_imageset(iset, tmp_path / fmt, fmt=fmt, provenance=prov)
        assert [p.name for p in paths] == [f"a.{'tiff' if fmt == 'tiff' else fmt}",
                                           f"c.{'tiff' if fmt == 'tiff' else fmt}"]
        assert [is_synthetic(p).provenance["seed"] for p in paths] == [11, 13]
    assert is_synthetic(write_png(images[0], tmp_path / "one.png", prov)).format == "png"
    assert is_synthetic(write_tiff(images[0], tmp_path / "one.tif", prov)).format == "tiff"


def test_export_refuses_path_traversal_and_missing_provenance(tmp_path, prov):
    images = np.zeros((1, 8, 8), np.float32)
    bad = ImageSet.from_arrays(images, pd.DataFrame({"id": ["../escape"], "synthetic": [True]}))
    with pytest.raises(InputError, match="path traversal"):
        export_imageset(bad, tmp_path / "o", provenance=prov)
    assert not (tmp_path / "escape.png").exists()
    ok = ImageSet.from_arrays(images, pd.DataFrame({"id": ["x"], "synthetic": [True]}))
    with pytest.raises(InputError, match="no provenance"):
        export_imageset(ok, tmp_path / "o")
    real = ImageSet.from_arrays(images, pd.DataFrame({"id": ["x"], "synthetic": [False]}))
    with pytest.raises(InputError, match="no synthetic images"):
        export_imageset(real, tmp_path / "o", provenance=prov)


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../b", "sub/x", "..\\x", "C:\\x"])
def test_safe_output_name_refuses_traversal(name):
    with pytest.raises(InputError, match="output"):
        safe_output_name(name)


def test_safe_output_name_cleans_odd_characters():
    assert safe_output_name("slice 01 (ü)") == "slice_01_"


def test_provenance_validation_and_round_trip(prov):
    assert Provenance.from_json(prov.to_json()) == prov
    with pytest.raises(SchemaError, match="generator"):
        Provenance(generator=" ")
    with pytest.raises(SchemaError, match="seed"):
        Provenance(generator="g", seed="abc")
    with pytest.raises(SchemaError, match="not valid JSON"):
        Provenance.from_json("{nope")
    kept = Provenance.from_dict({"generator": "g", "future_field": 1})
    assert "future_field" in kept.notes


def test_unmarked_and_foreign_marks(tmp_path):
    plain = tmp_path / "p.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(plain)
    assert is_synthetic(plain) is None
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()  # a mark written by another tool: only the IPTC XMP property
    info.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
                  'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
                  'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"><Iptc4xmpExt:DigitalSourceType>'
                  f'{TRAINED_ALGORITHMIC_MEDIA}</Iptc4xmpExt:DigitalSourceType></rdf:Description></rdf:RDF></x:xmpmeta>')
    foreign = tmp_path / "f.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(foreign, pnginfo=info)
    mark = is_synthetic(foreign)
    assert mark.labelled and mark.provenance is None and mark.digital_source_type == TRAINED_ALGORITHMIC_MEDIA


def test_export_imageset_registers_every_file_in_a_new_registry(tmp_path, prov):
    from misyn_lab.provenance import Registry

    iset = ImageSet.from_arrays(np.random.default_rng(2).random((3, 16, 16)).astype(np.float32),
                                pd.DataFrame({"id": ["a", "b", "c"], "synthetic": [True, True, False]}))
    paths = export_imageset(iset, tmp_path / "o", provenance=prov, registry=tmp_path / "reg.sqlite")
    with Registry(tmp_path / "reg.sqlite") as reg:
        assert [r["source_name"] for r in reg.rows()] == [p.name for p in paths] == ["a.png", "b.png"]
        assert reg.match(paths[1]).kind == "sha256"


def test_corrupt_private_provenance_json_is_reported_not_swallowed(tmp_path, prov):
    from misyn_lab.provenance import audit_folder
    from misyn_lab.provenance.dicom_mark import PRIVATE_CREATOR, PRIVATE_GROUP, PRIVATE_PROVENANCE_OFFSET

    src = tmp_path / "ct.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm"), src)
    root = tmp_path / "out"
    out = label_file(src, prov, out=root / "syn.dcm")
    ds = pydicom.dcmread(out)
    ds.private_block(PRIVATE_GROUP, PRIVATE_CREATOR)[PRIVATE_PROVENANCE_OFFSET].value = '{"generator": "pca-'
    ds.save_as(out)
    mark = is_synthetic(out)
    assert mark is not None and f"private {PRIVATE_CREATOR} provenance" not in mark.fields
    assert mark.provenance["generator"] == "pca-gaussian"  # fallback: Contributing Equipment
    assert len(mark.problems) == 1
    assert "MISYN_LAB provenance unreadable (malformed provenance JSON at line 1" in mark.problems[0]
    (rec,) = audit_folder(root, progress=False).records
    assert rec.status == "labelled_synthetic" and "provenance unreadable" in rec.reason
    assert is_synthetic(label_file(src, prov, out=tmp_path / "fine.dcm")).problems == []
