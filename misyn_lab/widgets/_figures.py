"""Image tiles for the widgets (a Figure as PNG and as a document block is :mod:`misyn_lab.render`)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw


#: The word every displayed synthetic tile carries.
MARKER_TEXT = "SYNTHETIC"


def tile_png(image: np.ndarray, *, marked: bool = False, size: int = 96) -> bytes:
    """PNG bytes of one image tile (float [0, 1], grey or RGB) scaled to ``size`` px on its long side.

    ``marked`` draws a red SYNTHETIC band across the top, at display resolution so the word stays whole
    however small the stored image is. Only the displayed copy is changed, never the image itself (pure).
    """
    arr = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    pil = Image.fromarray((arr * 255).round().astype(np.uint8)).convert("RGB")
    scale = size / max(pil.size)
    pil = pil.resize((max(1, round(pil.width * scale)), max(1, round(pil.height * scale))), Image.NEAREST)
    if marked:
        draw = ImageDraw.Draw(pil)
        band = max(14, pil.height // 8)
        draw.rectangle([0, 0, pil.width, band], fill=(200, 30, 30))
        draw.text((4, max(1, band // 2 - 6)), MARKER_TEXT, fill=(255, 255, 255))
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()
