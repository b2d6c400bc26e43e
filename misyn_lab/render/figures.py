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
    r"""PNG bytes of a matplotlib figure (tight box, metadata stripped so the output is byte-stable).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : float, optional
        Resolution (``None``: the figure's own).
    close : bool, optional
        Close the figure afterwards (``False`` leaves a figure that is redrawn later open).
    tight : bool, optional
        ``False`` keeps the figure's own size (no second layout pass: faster for a fixed layout).

    Returns
    -------
    bytes
        The PNG.

    Examples
    --------
    >>> from misyn_lab.render import figure_png
    >>> from matplotlib.figure import Figure as MplFigure
    >>> png = figure_png(MplFigure(figsize=(1, 1)))
    >>> png[:4] == b"\x89PNG", png == figure_png(MplFigure(figsize=(1, 1)))
    (True, True)
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
    figure's takeaway (``fig.misyn_takeaway``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (closed after rendering).
    caption : str, optional
        The caption.
    alt : str, optional
        What it shows, in words.
    dpi : float, optional
        Resolution (``None``: the figure's own).

    Returns
    -------
    Figure
        PNG bytes with alt text and caption.

    Raises
    ------
    ValueError
        A figure with neither ``alt`` nor a takeaway: every figure in a document says in words what it shows.

    Examples
    --------
    >>> from misyn_lab.render import figure
    >>> from matplotlib.figure import Figure as MplFigure
    >>> fig = MplFigure()
    >>> fig.misyn_takeaway = "recall fell in the minority"
    >>> figure(fig).alt
    'recall fell in the minority'
    """
    text = alt if alt is not None else getattr(fig, "misyn_takeaway", "")
    if not str(text or "").strip():
        raise ValueError("this figure has no takeaway (fig.misyn_takeaway) to use as alt text; pass alt=")
    return Figure(figure_png(fig, dpi=dpi), alt=str(text), caption=caption)
