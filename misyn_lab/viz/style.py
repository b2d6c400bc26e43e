"""Shared look of every misyn-lab figure: seaborn styling, colour-blind-safe palette, title + takeaway.

Convention: every plot function returns a :class:`matplotlib.figure.Figure` whose one-line takeaway is
drawn as a caption at the bottom of the figure and also stored as ``fig.misyn_takeaway`` (str), so notebooks
and reports can quote it without reading pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from misyn_lab.errors import InputError

PALETTE = "colorblind"
REAL_COLOUR = sns.color_palette(PALETTE)[0]
SYN_COLOUR = sns.color_palette(PALETTE)[1]
MARK_COLOUR = "#d62728"  # the red of the SYNTHETIC marker
INTENSITY_LABEL = "pixel intensity (normalised, 0–1)"
SYNTHETIC_MARK = "SYNTHETIC"


def palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colour-blind-safe colours (seaborn "colorblind", cycled)."""
    base = sns.color_palette(PALETTE)
    return [base[i % len(base)] for i in range(max(n, 1))]


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None,
               **kw: Any) -> tuple[Figure, np.ndarray]:
    """A figure (not registered with pyplot's global state) with seaborn "whitegrid" axes; axes as a 2-D array.

    The style is applied in a context, so the caller's global matplotlib settings are left alone; colours are
    always passed explicitly from the "colorblind" palette.
    """
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=figsize or (6.4 * ncols ** 0.6, 4.4 * nrows ** 0.6), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def finish(fig: Figure, title: str, takeaway: str) -> Figure:
    """Add the title and the takeaway caption; store the takeaway as ``fig.misyn_takeaway``."""
    fig.suptitle(title, fontsize=12, fontweight="bold")
    height = float(fig.get_figheight())
    bottom = min(0.3, 0.42 / height)  # keep ~0.4 inch free for the caption
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, bottom, 1.0, 1.0 - bottom - 0.02))
    fig.text(0.5, 0.008, takeaway, ha="center", va="bottom", fontsize=9, style="italic", wrap=True)
    fig.misyn_takeaway = takeaway  # type: ignore[attr-defined]
    return fig


def mark_synthetic(ax: Any, *, fontsize: float = 8) -> None:
    """Draw the visible red SYNTHETIC marker (label + frame) on an image tile."""
    ax.text(0.02, 0.98, SYNTHETIC_MARK, transform=ax.transAxes, ha="left", va="top", color="white",
            fontsize=fontsize, fontweight="bold",
            bbox=dict(facecolor=MARK_COLOUR, edgecolor="none", pad=1.5, alpha=0.9))
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_edgecolor(MARK_COLOUR)
        spine.set_linewidth(2.5)


def show_image(ax: Any, image: np.ndarray, *, caption: str = "", synthetic: bool = False) -> None:
    """An image tile (grey or RGB in [0, 1]) without ticks, captioned, SYNTHETIC-marked when synthetic."""
    img = np.asarray(image)
    if img.ndim == 2:
        ax.imshow(img, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if caption:
        ax.set_title(caption, fontsize=8)
    if synthetic:
        mark_synthetic(ax)


def as_2d(x: Any, name: str) -> np.ndarray:
    """Feature matrix (ndarray or FeatureMatrix) as float64 N×D, checked for shape and finiteness."""
    values = getattr(x, "values", x)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise InputError(f"{name} must be a 2-D feature matrix (N×D), got shape {arr.shape}", path=name)
    if not np.isfinite(arr).all():
        raise InputError(f"{name} contains NaN or infinite values", path=name,
                         remedy="drop or impute those rows before plotting")
    return arr


def as_labels(groups: Sequence[Any] | None, n: int, name: str) -> np.ndarray | None:
    if groups is None:
        return None
    arr = np.asarray(list(groups), dtype=object)
    if len(arr) != n:
        raise InputError(f"{name} has {len(arr)} labels for {n} rows", path=name, remedy="give one label per row")
    out = ["(missing)" if (g is None or (isinstance(g, float) and np.isnan(g))) else str(g) for g in arr]
    return np.array([g if g.strip() else "(blank)" for g in out], dtype=object)


def close(fig: Figure) -> None:
    """Release a figure (figures are not registered with pyplot, so this only clears it)."""
    fig.clear()


__all__ = ["INTENSITY_LABEL", "MARK_COLOUR", "PALETTE", "REAL_COLOUR", "SYNTHETIC_MARK", "SYN_COLOUR",
           "as_2d", "as_labels", "finish", "mark_synthetic", "new_figure", "palette", "show_image"]
