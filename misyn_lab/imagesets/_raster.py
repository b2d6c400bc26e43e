"""Read one PNG/JPEG/TIFF file with Pillow into raw frames, checking the declared size before decoding."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from misyn_lab.errors import InputError
from misyn_lab.imagesets.budget import DEFAULT_MAX_PIXELS, iter_pages, open_image, reduce_for

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
_SKIP_REMEDY = "re-export or remove the file, or pass on_error='skip' to list it and continue"


@dataclass
class RawFrame:
    """One decoded frame: raw values (H×W or H×W×3) plus what the loader should record about it."""

    pixels: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


def _tiff_dtype(im: Image.Image) -> str | None:
    tags = getattr(im, "tag_v2", None)
    if not tags:
        return None
    bits = tags.get(258)
    fmt = tags.get(339, 1)
    if isinstance(bits, tuple):
        bits = bits[0]
    if isinstance(fmt, tuple):
        fmt = fmt[0]
    if bits is None:
        return None
    kind = {1: "uint", 2: "int", 3: "float"}.get(int(fmt), "uint")
    return f"{kind}{int(bits)}"


def _frame_array(im: Image.Image, path: Path, alpha: str) -> tuple[np.ndarray, list[str]]:
    notes: list[str] = []
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        notes.append("palette image expanded to RGB")
        mode = im.mode
    if mode in ("LA", "PA", "La"):
        if alpha == "error":
            raise InputError(f"image has an alpha channel (mode {mode})", path=path,
                             remedy="flatten it first, or pass alpha='drop' to drop the alpha channel")
        im = im.convert("L")
        notes.append(f"alpha channel dropped (mode {mode})")
        mode = "L"
    if mode in ("RGBA", "RGBa"):
        if alpha == "error":
            raise InputError("image has an alpha channel (RGBA)", path=path,
                             remedy="flatten it first, or pass alpha='drop' to drop the alpha channel")
        im = im.convert("RGB")
        notes.append("alpha channel dropped (RGBA -> RGB)")
        mode = "RGB"
    if mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        im = im.convert("RGB")
        notes.append(f"converted {mode} -> RGB")
        mode = "RGB"
    arr = np.asarray(im)
    if arr.ndim == 3 and arr.shape[-1] not in (1, 3):
        raise InputError(f"unsupported channel count {arr.shape[-1]} (mode {mode})", path=path,
                         remedy="convert the file to grey or RGB")
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    return arr, notes


def read_raster(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, alpha: str = "drop",
                target: tuple[int, int] | None = None) -> list[RawFrame]:
    """Decode every frame of a PNG/JPEG/TIFF file into raw arrays (dtype kept).

    The pixel budget (:mod:`misyn_lab.imagesets.budget`) is checked page by page before each page is decoded:
    the sum over all pages of height × width × samples may not exceed ``max_pixels``. ``target`` (H, W), the
    size the caller will resize to, lets large JPEGs decode at reduced scale and large PNG/TIFF pages shrink
    by an integer factor right after decoding (noted in ``notes``; ``orig_height``/``orig_width`` keep the
    declared size). Unreadable, truncated or empty files raise :class:`InputError` naming the file.
    """
    path = Path(path)
    if alpha not in ("drop", "error"):
        raise InputError(f"alpha must be 'drop' or 'error', got {alpha!r}", path=path)
    try:
        if path.stat().st_size == 0:
            raise InputError("file is empty (0 bytes)", path=path, remedy=_SKIP_REMEDY)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path, remedy=_SKIP_REMEDY) from exc
    frames: list[RawFrame] = []
    im = open_image(path, path, remedy=_SKIP_REMEDY)
    try:
        with im:
            fmt = im.format or path.suffix.lstrip(".").upper()
            tiff_dtype = _tiff_dtype(im) if fmt == "TIFF" else None
            for k, page, (width, height), note in iter_pages(im, path, max_pixels=max_pixels, target=target,
                                                                  remedy=_SKIP_REMEDY):
                page_mode = page.mode
                page, reduced = reduce_for(page, target)
                arr, notes = _frame_array(page, path, alpha)
                notes = [n for n in (note, reduced) if n] + notes
                orig_dtype = tiff_dtype or {"I;16": "uint16", "I;16B": "uint16", "I;16L": "uint16",
                                            "I;16S": "int16", "1": "bool"}.get(page_mode, str(arr.dtype))
                frames.append(RawFrame(arr, {
                    "file_format": fmt, "pil_mode": page_mode, "orig_dtype": orig_dtype,
                    "frame": k, "notes": "; ".join(notes),
                    "orig_height": int(height), "orig_width": int(width),
                }))
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated/corrupt data as OSError/SyntaxError/ValueError
        raise InputError(f"corrupt or truncated image data ({exc})", path=path, remedy=_SKIP_REMEDY) from exc
    if len(frames) == 1:
        frames[0].info["frame"] = ""
    return frames
