"""Which image format a file is (by magic bytes first, file name second), and decoding it to pixels.

One job: bytes on disk -> a format name and a 2-D (or H×W×C) numpy array. Errors are
:class:`~misyn_lab.errors.InputError` naming the file, never a dependency's exception.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
from PIL import Image

from misyn_lab.errors import InputError, MisynError
from misyn_lab.imagesets.budget import bands, check_page_budget
from misyn_lab.imagesets.readers import (
    DEFAULT_MAX_PIXELS,
    PIXEL_KEYWORDS,
    check_dicom_budget,
    dicom_pixels,
    has_dicm_marker,
    iter_pages,
    open_image,
    suffix,
)
from misyn_lab.imagesets.readers import dcmread as read_dicom  # the one DICOM reader (re-exported here)

# libspng (misyn-lab[scale]): the same pixels as Pillow's PNG decoder in about 20 % less time (128² slices, read)
try:
    import pyspng
except ImportError:  # pragma: no cover - depends on the install
    pyspng = None

FORMATS = ("png", "jpeg", "tiff", "dicom", "nifti")
SUFFIXES = {
    ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff",
    ".dcm": "dicom", ".dicom": "dicom", ".nii": "nifti", ".nii.gz": "nifti",
}
#: PNG colour types (IHDR) libspng decodes when pyspng is installed, with their Pillow mode: 8-bit grey and 8-bit
#: RGB, not interlaced (the usual medical and generated PNG). Pillow decodes every other PNG.
SPNG_MODES = {0: "L", 2: "RGB"}
#: Pixel budget of decoding for hashes and labelling (the loaders' budget; see misyn_lab.imagesets.budget).
MAX_PIXELS = DEFAULT_MAX_PIXELS


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


def open_pil(path: str | os.PathLike[str], data: bytes | None = None):
    """Open a PNG/JPEG/TIFF with Pillow (header only; nothing is decoded, so no pixel budget applies yet)."""
    return open_image(data if data is not None else path, path,
                      remedy="the file may be truncated or corrupt; re-export it")


def decode_pil(path: str | os.PathLike[str], data: bytes | None = None, *, draft: int | None = None,
               max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Pixels of a PNG/JPEG/TIFF (first page), decoded under the pixel budget.

    ``draft`` lets JPEG decode at reduced size (>= ``draft`` pixels a side); the budget applies to what is
    decoded. Palette images become RGB(A), CMYK/YCbCr/LAB/HSV become RGB, bilevel becomes L.
    """
    plain = plain_png(data, max_pixels) if data is not None else None
    if plain is not None:  # Pillow's header parse would check exactly what plain_png checked: straight to libspng
        fast = png_pixels(data, *plain)
        if fast is not None:
            return fast
    im = open_pil(path, data)
    if im.format == "PNG" and data is not None:
        check_page_budget(im, path, max_pixels)  # before libspng decodes anything
        fast = png_pixels(data, im.mode, im.size[::-1])
        if fast is not None:
            return fast
    if draft and im.format == "JPEG":
        im.draft("L" if im.mode == "L" else "RGB", (draft, draft))
    try:
        for _k, page, _declared, _note in iter_pages(im, path, max_pixels=max_pixels, first_only=True,
                                                     remedy="the file may be truncated or corrupt; re-export it"):
            if page.mode == "P":
                page = page.convert("RGBA" if "transparency" in page.info else "RGB")
            elif page.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
                page = page.convert("RGB")
            elif page.mode == "1":
                page = page.convert("L")
            return np.asarray(page)
    except MisynError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"cannot decode image pixels: {exc}", path=path,
                         remedy="the file may be truncated or corrupt; re-export it") from exc
    raise InputError("image holds no page to decode", path=path, remedy="re-export the image")


def plain_png(data: bytes, max_pixels: int = MAX_PIXELS) -> tuple[str, tuple[int, int]] | None:
    """``(mode, (height, width))`` of a plain PNG libspng can decode with no header parse by Pillow, else ``None``.

    Plain: the signature, then an IHDR of 13 bytes with a valid CRC declaring 8-bit grey or RGB (:data:`SPNG_MODES`),
    standard compression and filtering, no interlace, a size within the pixel budget and within Pillow's
    decompression-bomb limit, and then directly the first IDAT chunk. For such a file, opening it with Pillow
    checks exactly these things (its header parse stops at the first IDAT), so skipping it changes no outcome; any
    other file (ancillary chunks before IDAT, a damaged header, over a limit ...) returns ``None`` and goes through
    Pillow, which gives its designed error or pixels as before.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.fromarray(np.zeros((3, 4), np.uint8)).save(buf, format="PNG")
    >>> plain_png(buf.getvalue())
    ('L', (3, 4))
    >>> plain_png(buf.getvalue(), max_pixels=11) is None        # 12 pixel values: over the budget
    True
    """
    if (pyspng is None or len(data) < 41 or data[:16] != b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
            or data[37:41] != b"IDAT" or zlib.crc32(data[12:29]) != int.from_bytes(data[29:33], "big")):
        return None
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    depth, colour, compression, filtering, interlace = data[24:29]
    mode = SPNG_MODES.get(colour)
    if mode is None or depth != 8 or compression or filtering or interlace or not width or not height:
        return None
    bomb = Image.MAX_IMAGE_PIXELS
    if width * height * bands(mode) > max_pixels or (bomb is not None and width * height > bomb):
        return None
    return mode, (height, width)


def png_pixels(data: bytes, mode: str, shape: tuple[int, int]) -> np.ndarray | None:
    """The pixels of a PNG decoded by libspng (pyspng), or ``None`` for Pillow to decode it.

    Only 8-bit grey and 8-bit RGB PNGs that are not interlaced (:data:`SPNG_MODES`) take this path, and only when
    pyspng is installed; their pixels equal Pillow's (tested). Any failure (a corrupt or truncated file) returns
    ``None``: Pillow then decodes the file and gives its designed error.

    Parameters
    ----------
    data : bytes
        The PNG file.
    mode : str
        The Pillow mode its header declares.
    shape : tuple of int
        ``(height, width)`` its header declares.

    Returns
    -------
    numpy.ndarray or None
        ``height × width`` (grey) or ``height × width × 3`` (RGB) ``uint8``.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4)).save(buf, format="PNG")
    >>> pixels = png_pixels(buf.getvalue(), "L", (3, 4))
    >>> pixels is None or pixels.tolist() == np.arange(12).reshape(3, 4).tolist()
    True
    """
    if pyspng is None or len(data) < 33 or data[12:16] != b"IHDR" or data[24] != 8 or data[28] != 0:
        return None
    want = SPNG_MODES.get(data[25])
    if want is None or want != mode:
        return None
    try:
        pixels = pyspng.load(data, want)
    except Exception:  # noqa: BLE001 - libspng raises its own errors on damaged files; Pillow reports them
        return None
    expected = shape if want == "L" else (*shape, 3)
    return pixels if pixels.shape == expected and pixels.dtype == np.uint8 else None


def decode_dicom(path: str | os.PathLike[str], ds=None, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The first frame of a DICOM image, raw stored values (integer, Float or Double Float Pixel Data).

    Only that frame is decoded, and its Rows × Columns × samples are checked against the pixel budget
    first; pydicom's warnings are captured, never printed.
    """
    ds = ds if ds is not None else read_dicom(path, pixels=True)
    try:
        return _decode_dicom(path, ds, max_pixels)
    except MisynError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom/numpy raise arbitrary types on corrupt pixel data
        raise InputError(f"cannot decode DICOM pixel data: {type(exc).__name__}: {exc}", path=path,
                         remedy="the pixel data may be corrupt or need a decoder that is not installed") from exc


def _decode_dicom(path: str | os.PathLike[str], ds, max_pixels: int) -> np.ndarray:
    if not any(k in ds for k in PIXEL_KEYWORDS):
        raise InputError("DICOM file has no pixel data", path=path, remedy="only DICOM images can be checked")
    frames = check_dicom_budget(ds, path, max_pixels, frames=1)
    arr, _notes = dicom_pixels(ds, path, index=0 if frames > 1 else None)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and samples == 1):
        raise InputError(f"unsupported DICOM pixel array shape {arr.shape}", path=path)
    return arr
