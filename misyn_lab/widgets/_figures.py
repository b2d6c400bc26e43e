"""Small figure helpers shared by the widgets: Figure -> PNG bytes / base64 <img> HTML."""

from __future__ import annotations

import base64
import io

from matplotlib.figure import Figure


def figure_png(fig: Figure, *, dpi: int | None = None) -> bytes:
    """PNG bytes of ``fig`` (the figure is not shown or kept by pyplot)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi)
    return buf.getvalue()


def png_img_html(png: bytes, alt: str) -> str:
    """An ``<img>`` tag embedding ``png`` as base64 (self-contained, works in exported HTML)."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{alt}" src="data:image/png;base64,{data}"/>'
