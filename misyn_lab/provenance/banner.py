"""Burn a visible "SYNTHETIC" strip into an image (opt-in: it changes pixel data, on purpose).

The strip runs across the top of the image: filled with the image's maximum value, the word written in
its minimum value, so it stays visible under any window/level and for any dtype (8/16-bit, signed,
float, grey or colour).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TEXT = "SYNTHETIC"


def banner_mask(height: int, width: int) -> tuple[int, np.ndarray]:
    """``(strip height, text mask of shape strip_height × width)`` for an image of the given size."""
    strip = int(min(height, max(10, height // 8)))
    canvas = Image.new("L", (width, strip), 0)
    draw = ImageDraw.Draw(canvas)
    size = max(6, strip - 2)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow without scalable default font
        font = ImageFont.load_default()
    left, top, right, bottom = draw.textbbox((0, 0), TEXT, font=font)
    x = max(0, (width - (right - left)) // 2 - left)
    y = max(0, (strip - (bottom - top)) // 2 - top)
    draw.text((x, y), TEXT, fill=255, font=font)
    return strip, np.asarray(canvas) > 127


def burn_banner(pixels: np.ndarray) -> np.ndarray:
    """A copy of ``pixels`` (H×W or H×W×C) with the SYNTHETIC strip burned in."""
    arr = np.array(pixels, copy=True)
    if arr.ndim not in (2, 3):
        raise ValueError(f"banner needs a 2-D image, got shape {arr.shape}")
    h, w = arr.shape[:2]
    strip, text = banner_mask(h, w)
    finite = arr[np.isfinite(arr)] if np.issubdtype(arr.dtype, np.floating) else arr
    hi = finite.max() if finite.size else 1
    lo = finite.min() if finite.size else 0
    if hi == lo:  # flat image: use the dtype's range so the text shows
        if np.issubdtype(arr.dtype, np.integer):
            info = np.iinfo(arr.dtype)
            hi, lo = info.max, info.min
        else:
            hi, lo = 1.0, 0.0
    region = arr[:strip]
    region[...] = hi
    region[text] = lo
    if arr.ndim == 3 and arr.shape[2] == 4:  # keep the strip opaque
        region[..., 3] = hi if not np.issubdtype(arr.dtype, np.integer) else np.iinfo(arr.dtype).max
    return arr
