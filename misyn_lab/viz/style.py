"""Shared look of every misyn-lab figure: seaborn styling, colour-blind-safe palette, title + takeaway.

Convention: every plot function returns a :class:`matplotlib.figure.Figure`. Without ``ax`` it makes its own
figure (:func:`panels`), draws the title on top and the one-line takeaway as a caption at the bottom, and stores
the takeaway as ``fig.misyn_takeaway`` (str), so notebooks and reports can quote it without reading pixels. With
``ax`` (one Axes, or as many as the figure has panels) it draws into those Axes and returns their figure: the
title goes to the first Axes when it has none, and the takeaway is stored as ``ax.misyn_takeaway`` on every
given Axes and added to the figure's ``misyn_takeaways`` list (``fig.misyn_takeaway`` joins them); the caller's
figure keeps its own title and layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from misyn_lab.errors import InputError

PALETTE = "colorblind"
REAL_COLOUR = sns.color_palette(PALETTE)[0]
SYN_COLOUR = sns.color_palette(PALETTE)[1]
MARK_COLOUR = "#d62728"  # the red of the SYNTHETIC marker
INTENSITY_LABEL = "pixel intensity (normalised, 0–1)"
SYNTHETIC_MARK = "SYNTHETIC"


def palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colour-blind-safe colours (seaborn "colorblind", cycled).

    Parameters
    ----------
    n : int
        Number of colours.

    Returns
    -------
    list of (float, float, float)

    Examples
    --------
    >>> len(palette(12)), palette(12)[10] == palette(1)[0]
    (12, True)
    """
    base = sns.color_palette(PALETTE)
    return [base[i % len(base)] for i in range(max(n, 1))]


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None,
               **kw: Any) -> tuple[Figure, np.ndarray]:
    """A figure (not registered with pyplot's global state) with seaborn "whitegrid" axes; axes as a 2-D array.

    The style is applied in a context, so the caller's global matplotlib settings are left alone; colours are
    always passed explicitly from the "colorblind" palette.

    Parameters
    ----------
    nrows, ncols : int
        Panels.
    figsize : (float, float), optional
        Size in inches (default grows with the panels).
    **kw
        Passed to :meth:`matplotlib.figure.Figure.subplots`.

    Returns
    -------
    (Figure, ndarray of Axes)

    Examples
    --------
    >>> fig, axes = new_figure(2, 3)
    >>> axes.shape
    (2, 3)
    """
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=figsize or (6.4 * ncols ** 0.6, 4.4 * nrows ** 0.6), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def panels(ax: Any, n: int = 1, *, nrows: int = 1, ncols: int | None = None,
           figsize: tuple[float, float] | None = None, **kw: Any) -> tuple[Figure, np.ndarray, bool]:
    """The Axes a figure function draws into: the caller's ``ax`` (one Axes, or a sequence of exactly ``n``), or
    a new ``nrows × ncols`` figure (:func:`new_figure`; ``ncols`` defaults to ``n``).

    Returns ``(figure, axes as an nrows × ncols array, created)``; ``created`` is False for the caller's Axes
    (taken in row order). Raises
    :class:`~misyn_lab.errors.InputError` when ``ax`` is not ``n`` Axes.

    Parameters
    ----------
    ax : Axes, sequence of Axes or None
        The caller's Axes, or ``None`` for a figure of its own.
    n : int
        Panels the figure draws.
    nrows, ncols : int
        Arrangement of the panels.
    figsize : (float, float), optional
        Size of a figure of its own.
    **kw
        Passed to :func:`new_figure`.

    Examples
    --------
    >>> fig = Figure()
    >>> given = fig.subplots(1, 2)
    >>> out, axes, created = panels(list(given), 2)
    >>> out is fig, axes.shape, created
    (True, (1, 2), False)
    """
    if ax is None:
        fig, axes = new_figure(nrows, n if ncols is None else ncols, figsize=figsize, **kw)
        return fig, axes, True
    given = np.empty(1, dtype=object)
    if isinstance(ax, Axes):
        given[0] = ax
    else:
        given = np.asarray(list(np.ravel(np.asarray(ax, dtype=object))), dtype=object)
    if len(given) != n or not all(isinstance(a, Axes) for a in given):
        raise InputError(f"this figure draws {n} panel{'s' if n != 1 else ''}: ax must be "
                         f"{'one Axes' if n == 1 else f'{n} Axes'}, got {type(ax).__name__} of {len(given)}",
                         path="ax", remedy=f"pass {'an Axes' if n == 1 else f'{n} Axes (e.g. fig.subplots(1, {n}))'}"
                                           " or leave ax=None for a figure of its own")
    return given[0].figure, given.reshape(nrows, -1), False


def finish(fig: Figure, title: str, takeaway: str, *, axes: np.ndarray | None = None) -> Figure:
    """Add the title and the takeaway caption; store the takeaway as ``fig.misyn_takeaway``.

    With ``axes`` (the caller's Axes, see :func:`panels`) the caller's figure is left as it is: the title goes to
    the first Axes when it has none, and the takeaway is stored on each Axes (``ax.misyn_takeaway``) and added to
    ``fig.misyn_takeaways``.

    Parameters
    ----------
    fig : Figure
        The figure drawn.
    title, takeaway : str
        Its title and one-line takeaway.
    axes : ndarray of Axes, optional
        The caller's Axes (the figure is the caller's).

    Returns
    -------
    Figure
        ``fig``.

    Examples
    --------
    >>> fig, _ = new_figure()
    >>> finish(fig, "Title", "One line.").misyn_takeaway
    'One line.'
    """
    if axes is not None:
        first = np.ravel(axes)[0]
        if not first.get_title():
            first.set_title(title, fontsize=10, fontweight="bold")
        for a in np.ravel(axes):
            a.misyn_takeaway = takeaway
        takeaways = [*getattr(fig, "misyn_takeaways", []), takeaway]
        fig.misyn_takeaways = takeaways  # type: ignore[attr-defined]
        fig.misyn_takeaway = " ".join(takeaways)  # type: ignore[attr-defined]
        return fig
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
    """Draw the visible red SYNTHETIC marker (label + frame) on an image tile.

    Parameters
    ----------
    ax : Axes
        The tile.
    fontsize : float
        Size of the label.

    Examples
    --------
    >>> fig, axes = new_figure()
    >>> mark_synthetic(axes[0, 0])
    >>> axes[0, 0].texts[0].get_text()
    'SYNTHETIC'
    """
    ax.text(0.02, 0.98, SYNTHETIC_MARK, transform=ax.transAxes, ha="left", va="top", color="white",
            fontsize=fontsize, fontweight="bold",
            bbox=dict(facecolor=MARK_COLOUR, edgecolor="none", pad=1.5, alpha=0.9))
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_edgecolor(MARK_COLOUR)
        spine.set_linewidth(2.5)


def show_image(ax: Any, image: np.ndarray, *, caption: str = "", synthetic: bool = False) -> None:
    """An image tile (grey or RGB in [0, 1]) without ticks, captioned, SYNTHETIC-marked when synthetic.

    Parameters
    ----------
    ax : Axes
        The tile.
    image : ndarray
        ``H×W`` grey or ``H×W×3`` RGB in [0, 1].
    caption : str
        Tile title.
    synthetic : bool
        Add the SYNTHETIC marker.

    Examples
    --------
    >>> fig, axes = new_figure()
    >>> show_image(axes[0, 0], np.zeros((4, 4)), caption="a tile", synthetic=True)
    >>> axes[0, 0].get_title(), axes[0, 0].texts[0].get_text()
    ('a tile', 'SYNTHETIC')
    """
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
    """Feature matrix (ndarray or FeatureMatrix) as float64 N×D, checked for shape and finiteness.

    Parameters
    ----------
    x : array-like or FeatureMatrix
        The features.
    name : str
        Its name in error messages.

    Returns
    -------
    ndarray

    Raises
    ------
    InputError
        For a matrix that is not 2-D or not finite.

    Examples
    --------
    >>> as_2d([[1, 2], [3, 4]], "feats").dtype
    dtype('float64')
    """
    values = getattr(x, "values", x)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise InputError(f"{name} must be a 2-D feature matrix (N×D), got shape {arr.shape}", path=name)
    if not np.isfinite(arr).all():
        raise InputError(f"{name} contains NaN or infinite values", path=name,
                         remedy="drop or impute those rows before plotting")
    return arr


def as_labels(groups: Sequence[Any] | None, n: int, name: str) -> np.ndarray | None:
    """Subgroup labels as strings, one per row, or ``None`` without labels.

    Parameters
    ----------
    groups : sequence or None
        One label per row.
    n : int
        Number of rows.
    name : str
        Its name in error messages.

    Returns
    -------
    ndarray of str or None
        Missing labels as ``(missing)``, blank ones as ``(blank)``.

    Raises
    ------
    InputError
        When the number of labels is not ``n``.

    Examples
    --------
    >>> list(as_labels(["F", None, " "], 3, "groups"))
    ['F', '(missing)', '(blank)']
    """
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
           "as_2d", "as_labels", "finish", "mark_synthetic", "new_figure", "palette", "panels", "show_image"]
