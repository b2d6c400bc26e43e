"""Bad-input corpus across the package: every input is generated here (nothing downloaded).

Each case names the input, the public API call (or CLI command) it goes through, and the expected
behaviour: a :class:`~misyn_lab.errors.MisynError` subclass with a message fragment (file named, remedy
given), a *listed* skip (``ImageSet.skipped`` / an ``unreadable`` audit record with the reason), or a
successful, documented conversion. CLI cases also check the exit code and that stderr is one line with no
traceback.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from misyn_lab.cli import main
from misyn_lab.errors import InputError, MisynError, SchemaError

# ------------------------------------------------------------------------------------------- generators


def _png_bytes(arr: np.ndarray, **kw: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", **kw)
    return buf.getvalue()


def _grad(h: int = 32, w: int = 32) -> np.ndarray:
    return (np.add.outer(np.arange(h), np.arange(w)) * 255 // max(1, h + w - 2)).astype(np.uint8)


def _folder_with(tmp: Path, name: str, data: bytes, *, good: bool = True) -> Path:
    folder = tmp / "imgs"
    folder.mkdir(exist_ok=True)
    if good:
        (folder / "good.png").write_bytes(_png_bytes(_grad()))
    (folder / name).write_bytes(data)
    return folder


def make_truncated_png(tmp: Path) -> Path:
    data = _png_bytes((np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8))
    p = tmp / "truncated.png"
    p.write_bytes(data[: len(data) // 2])
    return p


def make_truncated_jpeg(tmp: Path) -> Path:
    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)).save(buf, "JPEG")
    p = tmp / "truncated.jpg"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    return p


def make_zero_png(tmp: Path) -> Path:
    p = tmp / "empty.png"
    p.write_bytes(b"")
    return p


def make_zero_dcm(tmp: Path) -> Path:
    p = tmp / "empty.dcm"
    p.write_bytes(b"")
    return p


def _dicom(tmp: Path, name: str, *, pixels: bool = True, transfer_syntax: str | None = None,
           pixel_bytes: bytes | None = None) -> Path:
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax or ExplicitVRLittleEndian
    ds = FileDataset(str(tmp / name), {}, file_meta=meta, preamble=b"\x00" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientID = "OT", "X"
    if pixels:
        ds.Rows = ds.Columns = 16
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        if pixel_bytes is not None:
            from pydicom.encaps import encapsulate

            ds.PixelData = encapsulate([pixel_bytes])
            ds["PixelData"].VR = "OB"
        else:
            ds.PixelData = np.arange(256, dtype=np.uint16).tobytes()
    path = tmp / name
    ds.save_as(path, enforce_file_format=True)
    return path


def make_dicom_no_pixels(tmp: Path) -> Path:
    return _dicom(tmp, "nopix.dcm", pixels=False)


def make_dicom_j2k_no_decoder(tmp: Path) -> Path:
    from pydicom.uid import JPEG2000Lossless

    # a JPEG 2000 codestream header (SOC + SIZ marker) followed by garbage: no decoder can use it
    fake = b"\xff\x4f\xff\x51" + b"\x00\x29" + np.random.default_rng(6).bytes(64)
    return _dicom(tmp, "j2k.dcm", transfer_syntax=JPEG2000Lossless, pixel_bytes=fake)


def make_dicom_garbage(tmp: Path) -> Path:
    p = tmp / "garbage.dcm"
    p.write_bytes(b"\x00" * 128 + b"DICM" + np.random.default_rng(5).bytes(200))
    return p


def make_nifti_4d(tmp: Path) -> Path:
    p = tmp / "fmri.nii.gz"
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random((8, 8, 4, 3)).astype(np.float32), np.eye(4)), p)
    return p


def make_nifti_garbage(tmp: Path) -> Path:
    p = tmp / "broken.nii.gz"
    p.write_bytes(zlib.compress(b"not a nifti header" * 10))
    return p


def make_png16(tmp: Path) -> Path:
    p = tmp / "sixteen.png"
    Image.fromarray((np.arange(32 * 32, dtype=np.uint16).reshape(32, 32) * 60)).save(p)
    return p


def make_signed_tiff(tmp: Path) -> Path:
    p = tmp / "signed.tif"
    Image.fromarray((np.arange(32 * 32, dtype=np.int32).reshape(32, 32) - 500).astype(np.int16)
                    .astype(np.int32), mode="I").save(p)
    return p


def make_rgba(tmp: Path) -> Path:
    p = tmp / "rgba.png"
    arr = np.dstack([_grad()] * 3 + [np.full((32, 32), 128, np.uint8)])
    Image.fromarray(arr, mode="RGBA").save(p)
    return p


def _npz(tmp: Path, name: str, arr: np.ndarray) -> Path:
    p = tmp / name
    np.savez(p, images=arr)
    return p


def make_npz_nan(tmp: Path) -> Path:
    arr = np.random.default_rng(0).random((3, 8, 8))
    arr[1, 2, 3] = np.nan
    return _npz(tmp, "nan.npz", arr)


def make_npz_inf(tmp: Path) -> Path:
    arr = np.random.default_rng(0).random((3, 8, 8))
    arr[0, 0, 0] = np.inf
    return _npz(tmp, "inf.npz", arr)


def make_npz_1d(tmp: Path) -> Path:
    return _npz(tmp, "flat.npz", np.arange(10.0))


def make_npz_object(tmp: Path) -> Path:
    p = tmp / "objects.npz"
    np.savez(p, images=np.array([{"a": 1}], dtype=object))
    return p


def make_1x1(tmp: Path) -> Path:
    p = tmp / "pixel.png"
    Image.fromarray(np.array([[200]], np.uint8)).save(p)
    return p


def make_huge_declared_png(tmp: Path) -> Path:
    """A valid-looking PNG whose IHDR declares 20,000×20,000 pixels (a decompression bomb header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    p = tmp / "huge.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return p


def make_empty_folder(tmp: Path) -> Path:
    p = tmp / "empty_folder"
    p.mkdir()
    return p


def make_non_images(tmp: Path) -> Path:
    p = tmp / "docs"
    p.mkdir()
    (p / "readme.txt").write_text("hello")
    (p / "table.csv").write_text("a,b\n1,2\n")
    return p


def make_symlink_loop(tmp: Path) -> Path:
    p = tmp / "loop"
    (p / "sub").mkdir(parents=True)
    (p / "sub" / "good.png").write_bytes(_png_bytes(_grad()))
    os.symlink(p, p / "sub" / "back")  # folder loop
    os.symlink(p / "sub" / "self.png", p / "sub" / "self.png")  # file pointing at itself
    return p


def make_locked_folder(tmp: Path) -> Path:
    p = tmp / "locked_folder"
    p.mkdir()
    (p / "good.png").write_bytes(_png_bytes(_grad()))
    (p / "locked.png").write_bytes(_png_bytes(_grad()))
    (p / "locked.png").chmod(0)
    return p


def make_multipage_tiff(tmp: Path) -> Path:
    p = tmp / "pages.tif"
    frames = [Image.fromarray(_grad()), Image.fromarray(255 - _grad())]
    frames[0].save(p, save_all=True, append_images=frames[1:])
    return p


def make_jpeg_named_png(tmp: Path) -> Path:
    p = tmp / "actually_jpeg.png"
    Image.fromarray(_grad()).save(p, format="JPEG")
    return p


def make_text_named_png(tmp: Path) -> Path:
    p = tmp / "notes.png"
    p.write_text("this is not an image")
    return p


def make_review_yaml_malformed(tmp: Path) -> Path:
    p = tmp / "bad.yaml"
    p.write_text("kind: misyn-lab-review\nschema_version: 1\nanswers: [unclosed\n  - : :\n")
    return p


def make_review_json_malformed(tmp: Path) -> Path:
    p = tmp / "bad.json"
    p.write_text('{"kind": "misyn-lab-review", "schema_version": 1, "answers": {')
    return p


def _new_review(tmp: Path, name: str) -> Path:
    from misyn_lab.checklist import Review

    path = tmp / name
    Review.new("bad-input corpus", reviewer="ana").save(path)
    return path


def make_review_newer(tmp: Path) -> Path:
    path = _new_review(tmp, "future.json")
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    return path


def make_review_non_utf8(tmp: Path) -> Path:
    path = _new_review(tmp, "latin1.yaml")
    path.write_bytes(path.read_bytes() + "\n# r\xe9vision\n".encode("latin-1"))
    return path


def make_review_valid(tmp: Path) -> Path:
    return _new_review(tmp, "ok.yaml")


def make_registry_newer(tmp: Path) -> Path:
    import sqlite3

    from misyn_lab.provenance import Registry

    path = tmp / "reg.sqlite"
    Registry(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version=99")
    con.commit()
    con.close()
    return path


def make_registry_garbage(tmp: Path) -> Path:
    path = tmp / "reg.sqlite"
    path.write_bytes(b"definitely not sqlite" * 50)
    return path


def make_nan_imageset(tmp: Path) -> np.ndarray:
    arr = np.random.default_rng(0).random((2, 8, 8)).astype(np.float32)
    arr[0, 0, 0] = np.nan
    return arr


def make_traversal_imageset(tmp: Path):
    from misyn_lab.imagesets import ImageSet

    return ImageSet.from_arrays(np.zeros((2, 8, 8), np.float32),
                                pd.DataFrame({"id": ["ok", "../../outside"], "synthetic": [True, True]}))


# ------------------------------------------------------------------------------------------- actions


def load_folder(x: Path, **kw: Any):
    from misyn_lab.imagesets import load_folder as lf

    return lf(x, **kw)


def load_folder_skip(x: Path):
    folder = x.parent if x.is_file() else x
    if not (folder / "good.png").exists():
        (folder / "good.png").write_bytes(_png_bytes(_grad()))
    with pytest.warns(UserWarning, match="skipped"):
        return load_folder(folder, on_error="skip")


def load_dicom(x: Path):
    from misyn_lab.imagesets import load_dicom as ld

    return ld(x)


def load_nifti(x: Path):
    from misyn_lab.imagesets import load_nifti as ln

    return ln(x)


def load_npz(x: Path):
    from misyn_lab.imagesets import load_npz as ln

    return ln(x)


def review_load(x: Path):
    from misyn_lab.checklist import Review

    return Review.load(x)


def review_unknown_item(x: Path):
    from misyn_lab.checklist import Review

    return Review.load(x).set_answer("XX-999", "ana", "met", "looks fine")


def review_script_roundtrip(x: Path):
    from misyn_lab.checklist import Review

    review = Review.load(x)
    item = review.checklist.ids[0]
    payload = "<script>alert('x')</script> & <b>bold</b>"
    review.set_answer(item, "ana", review_status(), payload)
    review.save()
    again = Review.load(x)
    return payload, again.answer(item, "ana").justification


def review_status() -> str:
    from misyn_lab.checklist.answers import STATUSES

    return next(s for s in STATUSES if s not in ("unanswered",))


def is_synthetic(x: Path):
    from misyn_lab.provenance import is_synthetic as f

    return f(x)


def label(x: Path):
    from misyn_lab.provenance import Provenance, label_file

    return label_file(x, Provenance(generator="g"), out=x.with_name("labelled_" + x.name))


def audit(x: Path):
    from misyn_lab.provenance import audit_folder

    return audit_folder(x, progress=False)


def audit_with_registry(x: Path):
    from misyn_lab.provenance import Registry, audit_folder

    folder = _folder_with(x.parent, x.name, x.read_bytes(), good=True) if x.is_file() else x
    return audit_folder(folder, registry=Registry(x.parent / "audit_reg.sqlite"), progress=False)


def registry_open(x: Path):
    from misyn_lab.provenance import Registry

    return Registry(x)


def imageset_from_arrays(x: np.ndarray):
    from misyn_lab.imagesets import ImageSet

    return ImageSet.from_arrays(x)


def export(x: Any):
    from misyn_lab.provenance import Provenance, export_imageset

    return export_imageset(x, Path(os.environ["BAD_INPUT_TMP"]) / "export", provenance=Provenance(generator="g"))


def card_with_script(x: Path):
    from misyn_lab.provenance import Provenance, build_card, card_markdown

    prov = Provenance(generator="<script>alert(1)</script>", notes="<img src=x onerror=alert(1)>")
    return card_markdown(build_card(provenance=prov, intended_use="<script>steal()</script>"))


# ------------------------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Raises:
    error: type[BaseException]
    fragment: str


@dataclass(frozen=True)
class Listed:
    """The call succeeds but lists the bad file (ImageSet.skipped or an 'unreadable' audit record)."""

    name: str
    fragment: str


@dataclass(frozen=True)
class Ok:
    """The call succeeds and ``check(result)`` holds (a documented conversion)."""

    check: Callable[[Any], bool]
    what: str


def _skipped(result: Any) -> dict[str, str]:
    if hasattr(result, "skipped"):
        return {Path(s.path).name: s.reason for s in result.skipped}
    return {Path(r.path).name: r.reason for r in result.records if r.status == "unreadable"}


CASES: list[tuple[str, Callable[[Path], Any], Callable[[Any], Any], Any]] = [
    ("truncated-png/load_folder", make_truncated_png, load_folder, Raises(InputError, "truncated.png")),
    ("truncated-png/load_folder-skip", make_truncated_png, load_folder_skip, Listed("truncated.png", "")),
    ("truncated-png/audit+registry", make_truncated_png, audit_with_registry, Listed("truncated.png", "truncat")),
    ("truncated-jpeg/load_folder", make_truncated_jpeg, load_folder, Raises(InputError, "truncated.jpg")),
    ("truncated-jpeg/label", make_truncated_jpeg, label, Raises(InputError, "truncated.jpg")),
    ("zero-byte-png/load_folder", make_zero_png, load_folder, Raises(InputError, "empty.png")),
    ("zero-byte-png/is_synthetic", make_zero_png, is_synthetic, Raises(InputError, "empty.png")),
    ("zero-byte-dcm/load_dicom", make_zero_dcm, load_dicom, Raises(InputError, "empty.dcm")),
    ("dicom-without-pixels/load_dicom", make_dicom_no_pixels, load_dicom, Raises(InputError, "pixel data")),
    ("dicom-j2k-fake-data/load_dicom", make_dicom_j2k_no_decoder, load_dicom, Raises(InputError, "j2k.dcm")),
    ("dicom-j2k-fake-data/audit+registry", make_dicom_j2k_no_decoder, audit_with_registry,
     Listed("j2k.dcm", "no working decoder for the compressed transfer syntax")),
    ("dicom-garbage/load_dicom", make_dicom_garbage, load_dicom, Raises(InputError, "garbage.dcm")),
    ("dicom-garbage/is_synthetic", make_dicom_garbage, is_synthetic, Raises(InputError, "garbage.dcm")),
    ("nifti-4d/load_nifti", make_nifti_4d, load_nifti, Raises(InputError, "4-D")),
    ("nifti-garbage/load_nifti", make_nifti_garbage, load_nifti, Raises(InputError, "broken.nii.gz")),
    ("png-16bit/load_folder", make_png16, load_folder,
     Ok(lambda s: float(s.images.max()) <= 1.0 and "uint16" in str(s.meta.get("orig_dtype", [""])[0]),
        "scaled to [0,1], original dtype recorded")),
    ("tiff-signed/load_folder", make_signed_tiff, load_folder,
     Ok(lambda s: float(s.images.min()) >= 0.0 and float(s.meta["orig_min"][0]) < 0,
        "signed values scaled, negative original minimum recorded")),
    ("png-rgba/load_folder", make_rgba, load_folder,
     Ok(lambda s: s.images.shape[-1] == 3, "alpha channel dropped (noted)")),
    ("png-rgba/load_folder-alpha-error", make_rgba, lambda x: load_folder(x, alpha="error"),
     Raises(InputError, "alpha")),
    ("png-1x1/load_folder", make_1x1, load_folder, Ok(lambda s: s.image_shape[:2] == (1, 1), "loaded as 1×1")),
    ("png-1x1/label+read", make_1x1, lambda x: is_synthetic(label(x)), Ok(lambda m: m.labelled, "labelled")),
    ("png-20000x20000-declared/load_folder", make_huge_declared_png, load_folder, Raises(InputError, "huge.png")),
    ("png-20000x20000-declared/label", make_huge_declared_png, label, Raises(InputError, "too many pixels")),
    ("npz-nan/load_npz", make_npz_nan, load_npz, Raises(InputError, "NaN")),
    ("npz-inf/load_npz", make_npz_inf, load_npz, Raises(InputError, "inf")),
    ("npz-1d/load_npz", make_npz_1d, load_npz, Raises(InputError, "flat.npz")),
    ("npz-object-array/load_npz", make_npz_object, load_npz, Raises(InputError, "objects.npz")),
    ("array-nan/ImageSet.from_arrays", make_nan_imageset, imageset_from_arrays, Raises(InputError, "NaN")),
    ("empty-folder/load_folder", make_empty_folder, load_folder, Raises(InputError, "no PNG/JPEG/TIFF")),
    ("empty-folder/audit", make_empty_folder, audit, Raises(InputError, "no image files found")),
    ("non-images/load_folder", make_non_images, load_folder, Raises(InputError, "no PNG/JPEG/TIFF")),
    ("non-images/audit", make_non_images, audit, Raises(InputError, "2 non-image files")),
    ("text-named-png/load_folder", make_text_named_png, load_folder, Raises(InputError, "notes.png")),
    ("jpeg-named-png/load_folder", make_jpeg_named_png, load_folder,
     Ok(lambda s: len(s) == 1, "decoded by content, not by suffix")),
    ("multipage-tiff/label", make_multipage_tiff, label, Raises(InputError, "multi-page")),
    ("symlink-loop/audit", make_symlink_loop, audit, Listed("self.png", "symlink loop")),
    ("symlink-loop/load_folder", make_symlink_loop, load_folder, Ok(lambda s: len(s) == 1, "loop not followed")),
    ("unreadable-permission/audit", make_locked_folder, audit, Listed("locked.png", "permission denied")),
    ("unreadable-permission/load_folder-skip", make_locked_folder, load_folder_skip,
     Listed("locked.png", "permission denied")),
    ("review-malformed-yaml/load", make_review_yaml_malformed, review_load, Raises(SchemaError, "bad.yaml")),
    ("review-malformed-json/load", make_review_json_malformed, review_load, Raises(SchemaError, "bad.json")),
    ("review-newer-schema/load", make_review_newer, review_load, Raises(SchemaError, "newer")),
    ("review-non-utf8/load", make_review_non_utf8, review_load, Raises(MisynError, "UTF-8")),
    ("review-unknown-checklist-id/set_answer", make_review_valid, review_unknown_item, Raises(InputError, "XX-999")),
    ("review-script-in-text/round-trip", make_review_valid, review_script_roundtrip,
     Ok(lambda r: r[0] == r[1], "stored verbatim as data (escaped when rendered)")),
    ("card-script-in-text/markdown", make_review_valid, card_with_script,
     Ok(lambda md: "<script>" not in md and "&lt;script&gt;" in md and "<img" not in md, "HTML-escaped")),
    ("registry-newer-schema/open", make_registry_newer, registry_open, Raises(SchemaError, "newer")),
    ("registry-garbage/open", make_registry_garbage, registry_open, Raises(InputError, "not a misyn-lab registry")),
    ("path-traversal-output-name/export", make_traversal_imageset, export, Raises(InputError, "path traversal")),
]


@pytest.fixture
def as_non_root_reader(monkeypatch):
    """Make chmod-000 files unreadable even when the tests run as root (CI does): root ignores permission
    bits, so reads of mode-000 files are refused at the ``open`` level, as they would be for a normal user."""
    if os.geteuid() != 0:
        return
    real_open = builtins.open
    import io as _io

    real_io_open = _io.open

    def guarded(opener):
        def _open(file, *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and os.path.exists(file):
                try:
                    mode = os.stat(file).st_mode & 0o777
                except OSError:
                    mode = 0o644
                if mode == 0 and not os.path.isdir(file):
                    raise PermissionError(13, "Permission denied", os.fspath(file))
            return opener(file, *args, **kwargs)
        return _open

    monkeypatch.setattr(builtins, "open", guarded(real_open))
    monkeypatch.setattr(_io, "open", guarded(real_io_open))


@pytest.mark.parametrize("case_id,make,act,expect", CASES, ids=[c[0] for c in CASES])
def test_bad_input(case_id, make, act, expect, tmp_path, monkeypatch, as_non_root_reader):
    monkeypatch.setenv("BAD_INPUT_TMP", str(tmp_path))
    monkeypatch.setenv("MISYN_LAB_REGISTRY", str(tmp_path / "default_registry.sqlite"))
    subject = make(tmp_path)
    if isinstance(expect, Raises):
        with pytest.raises(expect.error) as info:
            act(subject)
        assert isinstance(info.value, MisynError), f"{type(info.value).__name__} is not a MisynError"
        assert expect.fragment in str(info.value), str(info.value)
        assert "\n" not in str(info.value)
    elif isinstance(expect, Listed):
        result = act(subject)
        listed = _skipped(result)
        assert expect.name in listed, f"{expect.name} not listed: {listed}"
        assert expect.fragment in listed[expect.name], listed[expect.name]
    else:
        result = act(subject)
        assert expect.check(result), f"expected: {expect.what}; got {result!r}"
    for p in tmp_path.rglob("*"):  # leave no mode-000 file behind for pytest's tmp cleanup
        if not p.is_symlink() and p.exists():
            p.chmod(0o755 if p.is_dir() else 0o644)


# ------------------------------------------------------------------------------------------- CLI


def _cli_label(x: Path) -> list[str]:
    return ["label", str(x), "--generator", "g", "--out", str(x.parent / "labelled")]


CLI_CASES: list[tuple[str, Callable[[Path], Any], Callable[[Path], list[str]], int, str]] = [
    ("label-zero-byte", make_zero_png, _cli_label, 2, "empty.png"),
    ("label-truncated-png", make_truncated_png, _cli_label, 2, "truncated.png"),
    ("label-text-file", make_non_images, lambda x: _cli_label(x / "readme.txt"), 2, "not a supported image"),
    ("label-huge-declared", make_huge_declared_png, _cli_label, 2, "too many pixels"),
    ("label-dicom-j2k-banner", make_dicom_j2k_no_decoder, lambda x: _cli_label(x) + ["--banner"], 2, "compressed"),
    ("label-multipage-tiff", make_multipage_tiff, _cli_label, 2, "multi-page"),
    ("label-dicom-no-pixels-banner", make_dicom_no_pixels, lambda x: _cli_label(x) + ["--banner"], 2, "pixel data"),
    ("label-missing-file", make_empty_folder, lambda x: _cli_label(x / "nope.png"), 2, "no such file"),
    ("audit-empty-folder", make_empty_folder, lambda x: ["audit", str(x)], 2, "no image files found"),
    ("audit-non-images", make_non_images, lambda x: ["audit", str(x)], 2, "no image files found"),
    ("audit-newer-registry", make_registry_newer, lambda x: ["audit", str(x.parent), "--registry", str(x)], 2,
     "newer"),
    ("audit-garbage-registry", make_registry_garbage, lambda x: ["audit", str(x.parent), "--registry", str(x)], 2,
     "not a misyn-lab registry"),
    ("audit-missing-registry", make_symlink_loop, lambda x: ["audit", str(x), "--registry", str(x / "no.sqlite")],
     2, "registry file does not exist"),
    ("review-malformed-yaml", make_review_yaml_malformed, lambda x: ["review", "summary", str(x)], 2, "bad.yaml"),
    ("review-newer-schema", make_review_newer, lambda x: ["review", "summary", str(x)], 2, "newer"),
    ("review-non-utf8", make_review_non_utf8, lambda x: ["review", "summary", str(x)], 2, "UTF-8"),
    ("review-unknown-item", make_review_valid, lambda x: ["review", "answer", str(x), "XX-999", review_status(),
                                                          "--reviewer", "ana"], 2, "XX-999"),
]


@pytest.mark.parametrize("case_id,make,argv,code,fragment", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_input_cli(case_id, make, argv, code, fragment, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MISYN_LAB_REGISTRY", str(tmp_path / "default_registry.sqlite"))
    subject = make(tmp_path)
    args = argv(subject)
    capsys.readouterr()
    assert main(args) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("misyn-lab: error:") and fragment in lines[0], lines[0]


def test_corpus_is_large_enough():
    inputs = {c[1] for c in CASES} | {c[1] for c in CLI_CASES}
    assert len(inputs) >= 30, len(inputs)
