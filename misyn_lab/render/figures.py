"""Matplotlib figures as document blocks: PNG bytes (byte-stable) and a :class:`~misyn_lab.render.blocks.Figure`
whose alt text is the figure's takeaway.

Works on any object with matplotlib's ``savefig`` (the render station imports no plotting code of its own);
every misyn-lab figure stores its one-line takeaway as ``fig.misyn_takeaway``, which becomes the alt text, so a
screen reader hears what the figure shows.
"""

from __future__ import annotations

import io
import sys
from typing import Any

from misyn_lab.render.blocks import Figure

__all__ = ["figure", "figure_png"]


def figure_png(fig: Any, *, dpi: float | None = 90, close: bool = True, tight: bool = True) -> bytes:
    """PNG bytes of a matplotlib figure (tight box, metadata stripped so the output is byte-stable).

    ``dpi=None`` keeps the figure's own dpi; ``close=False`` leaves a figure that is redrawn later open;
    ``tight=False`` keeps the figure's own size (no second layout pass: faster for a fixed layout).
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, bbox_inches="tight" if tight else None,
                metadata={"Software": None})
    pyplot = sys.modules.get("matplotlib.pyplot")
    if close and pyplot is not None:
        pyplot.close(fig)  # a figure made with pyplot stays registered (and in memory) until closed
    return buf.getvalue()


def figure(fig: Any, caption: str = "", *, alt: str | None = None, dpi: float | None = 90) -> Figure:
    """A :class:`~misyn_lab.render.blocks.Figure` of a matplotlib figure; its alt text is ``alt`` or else the
    figure's takeaway (``fig.misyn_takeaway``). A figure with neither is refused (``ValueError``): every figure
    in a document says in words what it shows."""
    text = alt if alt is not None else getattr(fig, "misyn_takeaway", "")
    if not str(text or "").strip():
        raise ValueError("this figure has no takeaway (fig.misyn_takeaway) to use as alt text; pass alt=")
    return Figure(figure_png(fig, dpi=dpi), alt=str(text), caption=caption)
