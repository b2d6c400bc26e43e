"""Shared fixtures for the imagesets tests: small generated image files in tmp_path."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")


def write_png(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def png_with_declared_size(path: Path, width: int, height: int) -> Path:
    """A PNG whose IHDR declares width×height (8-bit grey) followed by a tiny IDAT and IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\x00" * 16)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def grey_folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    folder = tmp_path / "grey"
    for i in range(3):
        write_png(folder / f"img{i}.png", rng.integers(0, 256, (16, 16), dtype=np.uint8))
    return folder


@pytest.fixture
def dicom_file(tmp_path: Path):
    """Factory: write a small CT-like DICOM file with given pixels (or without pixel data)."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    def make(name: str, pixels: np.ndarray | None, *, slope: float = 1.0, intercept: float = -1024.0,
             modality: str = "CT", frames: int | None = None) -> Path:
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[name])
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = tmp_path / name
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = modality
        ds.PatientSex = "F"
        ds.PatientAge = "045Y"
        ds.BodyPartExamined = "CHEST"
        if pixels is not None:
            arr = np.asarray(pixels, dtype=np.uint16)
            ds.Rows, ds.Columns = arr.shape[-2:]
            if frames:
                ds.NumberOfFrames = frames
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.BitsAllocated = 16
            ds.BitsStored = 16
            ds.HighBit = 15
            ds.PixelRepresentation = 0
            ds.RescaleSlope = slope
            ds.RescaleIntercept = intercept
            ds.PixelData = arr.tobytes()
        ds.save_as(path, enforce_file_format=True)
        return path

    return make
