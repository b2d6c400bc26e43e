"""Which image format a file is (by magic bytes first, file name second), and decoding it to pixels.

One job: bytes on disk -> a format name and a 2-D (or H×W×C) numpy array. Errors are
:class:`~misyn_lab.errors.InputError` naming the file, never a dependency's exception.
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np

from misyn_lab.errors import InputError, MisynError
from misyn_lab.imagesets._dicom import dcmread as read_dicom  # the one DICOM reader (re-exported here)
from misyn_lab.imagesets._dicom import has_dicm_marker
from misyn_lab.imagesets._loading import suffix

FORMATS = ("png", "jpeg", "tiff", "dicom", "nifti")
SUFFIXES = {
    ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff",
    ".dcm": "dicom", ".dicom": "dicom", ".nii": "nifti", ".nii.gz": "nifti",
}
#: Largest image (in pixels) misyn-lab will decode; a crafted header cannot make it allocate more.
MAX_PIXELS = 64_000_000


def sniff(path: str | os.PathLike[str], head: bytes) -> str | None:
    """The format of a file from its first bytes (at least 132 for DICOM), falling back on the suffix."""
    if has_dicm_marker(head):  # first: a DICOM preamble may hold a TIFF header
        return "dicom"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if len(head) >= 348 and head[344:348] in (b"n+1\x00", b"ni1\x00"):
        return "nifti"
    if head.startswith(b"\x1f\x8b") and suffix(path) == ".nii.gz":
        return "nifti"
    fmt = SUFFIXES.get(suffix(path))
    return fmt


def read_head(path: str | os.PathLike[str], n: int = 352) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path,
                         remedy="check that the file exists and is readable") from exc


def _pil_open(path: str | os.PathLike[str], data: bytes | None):
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data) if data is not None else path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(f"image declares too many pixels to decode safely ({exc})", path=path,
                         remedy="crop or downsample the image first") from exc
    except UnidentifiedImageError as exc:
        raise InputError("not a readable image (unknown or corrupt header)", path=path,
                         remedy="re-export the image as PNG/TIFF/JPEG/DICOM") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"cannot open image: {exc}", path=path, remedy="the file may be truncated or corrupt") from exc


def open_pil(path: str | os.PathLike[str], data: bytes | None = None):
    """Open a PNG/JPEG/TIFF with Pillow (header only), with a pixel-count limit."""
    im = _pil_open(path, data)
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise InputError(f"image declares {w}×{h} pixels, more than the {MAX_PIXELS:,} misyn-lab decodes", path=path,
                         remedy="crop or downsample the image first")
    return im


def decode_pil(path: str | os.PathLike[str], data: bytes | None = None, *, draft: int | None = None) -> np.ndarray:
    """Pixels of a PNG/JPEG/TIFF. ``draft`` lets JPEG decode at reduced size (≥ ``draft`` pixels a side)."""
    im = open_pil(path, data)
    try:
        if draft and im.format == "JPEG":
            im.draft("L" if im.mode == "L" else "RGB", (draft, draft))
        im.load()
        if im.mode == "P":
            im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        elif im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
            im = im.convert("RGB")
        elif im.mode == "1":
            im = im.convert("L")
        return np.asarray(im)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"cannot decode image pixels: {exc}", path=path,
                         remedy="the file may be truncated or corrupt; re-export it") from exc


def decode_dicom(path: str | os.PathLike[str], ds=None) -> np.ndarray:
    """The first frame of a DICOM image (pixel data decoded with pydicom's installed handlers)."""
    ds = ds if ds is not None else read_dicom(path, pixels=True)
    try:
        return _decode_dicom(path, ds)
    except MisynError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom/numpy raise arbitrary types on corrupt pixel data
        raise InputError(f"cannot decode DICOM pixel data: {type(exc).__name__}: {exc}", path=path,
                         remedy="the pixel data may be corrupt or need a decoder that is not installed") from exc


def _decode_dicom(path: str | os.PathLike[str], ds) -> np.ndarray:
    if "PixelData" not in ds:
        raise InputError("DICOM file has no pixel data", path=path, remedy="only DICOM images can be checked")
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    if rows * cols > MAX_PIXELS:
        raise InputError(f"DICOM image declares {rows}×{cols} pixels", path=path, remedy="downsample it first")
    ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    try:
        arr = ds.pixel_array
    except Exception as exc:  # noqa: BLE001 - pydicom's decoder plugins raise many types
        first = " ".join(str(exc).split())[:200]
        if ts is not None and ts.is_compressed:
            raise InputError(f"no working decoder for the compressed transfer syntax {ts.name} ({first})", path=path,
                             remedy="install a pydicom decoder (e.g. pip install pylibjpeg pylibjpeg-openjpeg) "
                                    "or decompress the file") from exc
        raise InputError(f"cannot decode DICOM pixel data: {first}", path=path,
                         remedy="the pixel data may be truncated or corrupt") from exc
    arr = np.asarray(arr)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if frames > 1 and arr.ndim >= 3:
        arr = arr[0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and samples == 1):
        raise InputError(f"unsupported DICOM pixel array shape {arr.shape}", path=path)
    return arr
