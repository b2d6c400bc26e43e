"""Read one PNG/JPEG/TIFF file with Pillow into raw frames, checking the declared size before decoding."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from misyn_lab.errors import InputError

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
#: Default limit on the number of pixels one image may declare (64 megapixels).
DEFAULT_MAX_PIXELS = 64_000_000

_SKIP_REMEDY = "re-export or remove the file, or pass on_error='skip' to list it and continue"


@dataclass
class RawFrame:
    """One decoded frame: raw values (H×W or H×W×3) plus what the loader should record about it."""

    pixels: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


def check_declared_size(height: int, width: int, max_pixels: int, path: str | Path) -> None:
    """Raise before decoding when an image declares more than ``max_pixels`` pixels per frame."""
    if int(height) * int(width) > int(max_pixels):
        raise InputError(
            f"image declares {width}×{height} pixels ({int(height) * int(width) / 1e6:.1f} Mpx), more than the "
            f"limit of {max_pixels / 1e6:.1f} Mpx; not decoded",
            path=path,
            remedy="downsample or tile it first, or raise max_pixels= if you trust the file",
        )


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


def read_raster(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, alpha: str = "drop") -> list[RawFrame]:
    """Decode every frame of a PNG/JPEG/TIFF file into raw arrays (dtype kept).

    The declared size is checked against ``max_pixels`` before any pixel is decoded. Unreadable,
    truncated or empty files raise :class:`InputError` naming the file.
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                n_frames = int(getattr(im, "n_frames", 1) or 1)
                check_declared_size(height, width, max_pixels, path)
                fmt = im.format or path.suffix.lstrip(".").upper()
                tiff_dtype = _tiff_dtype(im) if fmt == "TIFF" else None
                for k in range(n_frames):
                    if n_frames > 1:
                        im.seek(k)
                    im.load()
                    arr, notes = _frame_array(im, path, alpha)
                    orig_dtype = tiff_dtype or {"I;16": "uint16", "I;16B": "uint16", "I;16L": "uint16",
                                                "I;16S": "int16", "1": "bool"}.get(im.mode, str(arr.dtype))
                    frames.append(RawFrame(arr, {
                        "file_format": fmt, "pil_mode": im.mode, "orig_dtype": orig_dtype,
                        "frame": k if n_frames > 1 else "", "notes": "; ".join(notes),
                    }))
    except InputError:
        raise
    except Image.DecompressionBombError as exc:
        raise InputError(
            f"image declares more pixels than Pillow's decompression-bomb limit ({exc}); not decoded",
            path=path, remedy="downsample or tile it first; such files are rejected before decoding",
        ) from exc
    except PermissionError as exc:
        raise InputError("permission denied: the file cannot be opened for reading", path=path,
                         remedy="fix the file's permissions (chmod u+r) or skip it with on_error='skip'") from exc
    except UnidentifiedImageError as exc:
        raise InputError("not a readable PNG/JPEG/TIFF image (unknown or corrupt header)", path=path,
                         remedy=_SKIP_REMEDY) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated/corrupt data as OSError/SyntaxError/ValueError
        raise InputError(f"corrupt or truncated image data ({exc})", path=path, remedy=_SKIP_REMEDY) from exc
    return frames
