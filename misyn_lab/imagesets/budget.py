"""The pixel budget: how much one file may make misyn-lab decode, checked from headers *before* decoding.

One rule for every reader (PNG/JPEG/TIFF pages, DICOM frames, NIfTI volumes, ``.npz`` arrays, and the
provenance station's hashing): the number of **pixel values** a file declares — height × width × samples per
pixel, summed over all its frames, pages or slices — must not exceed ``max_pixels``
(:data:`DEFAULT_MAX_PIXELS` = 64,000,000 unless the caller passes another value). An RGB pixel counts three
values. A file over the budget is refused with an :class:`~misyn_lab.errors.InputError` naming the file,
the declared size and the ``max_pixels=`` remedy, before a single pixel is allocated; multi-page TIFFs are
walked page by page and stop at the first page that breaks the budget.

When the caller knows the size it will resize to (``target``), large JPEGs are decoded at a reduced scale
with Pillow's :meth:`~PIL.Image.Image.draft` (1/2, 1/4 or 1/8, the DCT does the work) and the budget applies to
the reduced size; large PNG/TIFF images are shrunk with :meth:`~PIL.Image.Image.reduce` right after
decoding, so the float conversion and anti-aliased resize that follow work on a small image.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Iterator
from typing import Any

from PIL import Image, UnidentifiedImageError

from misyn_lab.errors import InputError

#: Default budget: pixel values (height × width × samples, over all frames/pages/slices) one file may declare.
DEFAULT_MAX_PIXELS = 64_000_000
#: Most frames/pages one raster file may hold (a file of a million 1×1 pages is refused, not iterated).
MAX_PAGES = 10_000
#: Bands each Pillow mode decodes to after misyn-lab's conversions (palette images become RGB).
_BANDS = {"1": 1, "L": 1, "P": 3, "PA": 3, "I": 1, "F": 1, "I;16": 1, "I;16B": 1, "I;16L": 1, "I;16S": 1,
          "I;16N": 1, "LA": 2, "La": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3, "RGBA": 4, "RGBa": 4,
          "RGBX": 4, "CMYK": 4}
_REMEDY = "downsample or tile it first, or raise max_pixels= if you trust the file"


def check_budget(values: int, max_pixels: int, path: Any, *, what: str) -> None:
    """Raise :class:`InputError` when ``values`` declared pixel values exceed ``max_pixels``.

    ``what`` describes the declaration (e.g. ``"120 frames of 2048×2048"``) for the message.
    """
    limit = int(max_pixels)
    if limit < 1:
        raise InputError(f"max_pixels must be a positive integer, got {max_pixels!r}", path="max_pixels",
                         remedy=f"leave it at the default ({DEFAULT_MAX_PIXELS:,})")
    if int(values) > limit:
        raise InputError(f"file declares {what} = {int(values):,} pixel values, more than the budget of "
                         f"{limit:,}; not decoded", path=path, remedy=_REMEDY)


def shape_values(shape: tuple[int, ...]) -> int:
    """Number of values an array of ``shape`` holds (exact integer arithmetic; no overflow)."""
    return math.prod(int(s) for s in shape)


def bands(mode: str) -> int:
    """Values per pixel Pillow mode ``mode`` decodes to (after palette expansion)."""
    return _BANDS.get(mode, 4)


_UNREADABLE = "re-export the image, or skip the file"


def open_image(source: str | os.PathLike[str] | bytes, path: Any, *, remedy: str = _UNREADABLE):
    """Open a PNG/JPEG/TIFF with Pillow, reading the header only.

    Pillow's own decompression-bomb refusal and unreadable headers become :class:`InputError` naming
    ``path``. Decoding happens later, page by page, through :func:`iter_pages`.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Image.DecompressionBombError as exc:
        raise InputError(f"image declares too many pixels to decode safely ({exc})", path=path,
                         remedy=_REMEDY) from exc
    except UnidentifiedImageError as exc:
        raise InputError("not a readable PNG/JPEG/TIFF image (unknown or corrupt header)", path=path,
                         remedy=remedy) from exc
    except PermissionError as exc:
        raise InputError("permission denied: the file cannot be opened for reading", path=path,
                         remedy="fix the file's permissions (chmod u+r) or skip the file") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"corrupt or truncated image header ({exc})", path=path, remedy=remedy) from exc


def _target(target: Any) -> tuple[int, int] | None:
    """``(H, W)`` of a usable target size, else ``None`` (the loader validates ``size`` itself)."""
    try:
        h, w = int(target[0]), int(target[1])
    except (TypeError, ValueError, IndexError):
        return None
    return (h, w) if h >= 1 and w >= 1 else None


def draft_for(im: Any, target: tuple[int, int] | None) -> str:
    """Ask Pillow to decode a JPEG at the smallest DCT scale still at least ``target`` (H, W); returns a note."""
    size = _target(target)
    if size is None or getattr(im, "format", None) != "JPEG":
        return ""
    h, w = size
    width, height = im.size
    if width < 2 * w or height < 2 * h:
        return ""
    mode = "L" if im.mode == "L" else ("RGB" if im.mode in ("RGB", "YCbCr") else im.mode)
    if mode not in ("L", "RGB"):
        return ""
    im.draft(mode, (w, h))
    if im.size == (width, height):
        return ""
    return f"JPEG decoded at reduced scale {im.size[0]}×{im.size[1]} (of {width}×{height}) for size {h}×{w}"


def reduce_for(im: Any, target: tuple[int, int] | None) -> tuple[Any, str]:
    """Shrink a decoded image by an integer box factor, keeping at least twice ``target`` (H, W) per side."""
    size = _target(target)
    if size is None:
        return im, ""
    h, w = size
    width, height = im.size
    factor = min(width // max(2 * w, 1), height // max(2 * h, 1))
    if factor < 2 or im.mode not in ("L", "RGB", "I", "F", "LA", "RGBA", "CMYK"):
        return im, ""
    small = im.reduce(factor)
    return small, f"box-reduced by {factor} ({width}×{height} -> {small.size[0]}×{small.size[1]}) for size {h}×{w}"


def check_page_budget(im: Any, path: Any, max_pixels: int, *, k: int = 0, total: int = 0) -> int:
    """Add page ``k`` of the open Pillow image ``im`` (its declared size and mode) to the ``total`` pixel values
    of the pages before it and check the sum against the budget before anything is decoded.

    Returns
    -------
    int
        The new total.

    Raises
    ------
    InputError
        Over the budget, naming the page.

    Examples
    --------
    >>> from PIL import Image
    >>> check_page_budget(Image.new("RGB", (4, 3)), "a.png", 100)
    36
    >>> check_page_budget(Image.new("L", (20, 10)), "a.png", 100)
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: a.png: file declares 20×10×1 = 200 pixel values, more than the budget of 100; ...
    """
    width, height = im.size
    total += int(width) * int(height) * bands(im.mode)
    pages = f"{k + 1} page(s)" if k else f"{width}×{height}×{bands(im.mode)}"
    check_budget(total, max_pixels, path, what=f"{pages} (up to page {k + 1}: {width}×{height}, mode {im.mode})"
                 if k else pages)
    return total


def iter_pages(im: Any, path: Any, *, max_pixels: int = DEFAULT_MAX_PIXELS,
               target: tuple[int, int] | None = None,
               first_only: bool = False, remedy: str = _UNREADABLE) -> Iterator[tuple[int, Any, tuple[int, int], str]]:
    """Yield ``(index, decoded Pillow image, declared (width, height), note)`` page by page, checking the
    budget before each decode.

    Pages are reached lazily with ``seek`` (no up-front page count), each page's declared size is added to
    the running total *before* it is decoded, and the walk stops at :data:`MAX_PAGES`. ``first_only`` decodes
    page 0 alone (the budget then covers that page). Decoding errors become :class:`InputError`.
    """
    total = 0
    k = 0
    while True:
        if k:
            if first_only:
                return
            try:
                im.seek(k)
            except EOFError:
                return
            except (OSError, SyntaxError, ValueError) as exc:
                raise InputError(f"page {k + 1} cannot be read ({exc})", path=path, remedy=remedy) from exc
            if k >= MAX_PAGES:
                raise InputError(f"file holds more than {MAX_PAGES:,} pages/frames", path=path,
                                 remedy="split it into smaller files")
        declared = tuple(int(v) for v in im.size)
        note = draft_for(im, target) if k == 0 else ""
        total = check_page_budget(im, path, max_pixels, k=k, total=total)
        try:
            im.load()
        except InputError:
            raise
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise InputError(f"corrupt or truncated image data ({exc})", path=path, remedy=remedy) from exc
        yield k, im, declared, note
        k += 1
