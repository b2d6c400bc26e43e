"""Figures of a class reader study: each reader's accuracy with its CI, and the tiles that fooled most readers.

Data in, matplotlib Figure out. Synthetic tiles in the gallery carry the red SYNTHETIC marker; every takeaway is
generated from the numbers drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import finish, palette, panels, show_image

READER_COLUMNS = ("reader", "accuracy", "ci_low", "ci_high")
TILE_COLUMNS = ("tile_id", "truth", "answers", "fooled")


def _need(table: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in table]
    if missing:
        raise InputError(f"{what} lacks columns {missing}", path=what,
                         remedy="pass the table of misyn_lab.instruments.reader_class (reader_table / tiles)")
    if table.empty:
        raise InputError(f"{what} has no rows", path=what, remedy="analyse at least one reader's answers")


def reader_accuracy_figure(readers: pd.DataFrame, pooled: tuple[float, float, float] | None = None, *,
                           title: str = "Each reader's accuracy", ax: Any = None) -> Figure:
    """One row per reader: accuracy with its CI, chance (50 %) as a dashed line, and the pooled accuracy with its
    CI as a shaded band.

    Parameters
    ----------
    readers : DataFrame
        ``reader``, ``accuracy``, ``ci_low``, ``ci_high`` (e.g. Wilson intervals per reader).
    pooled : (float, float, float), optional
        ``(accuracy, low, high)`` of all readers, e.g. the two-way cluster bootstrap.
    title : str
        Figure title.
    ax : Axes, optional
        Draw into this Axes (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or ``ax``'s figure; the takeaway counts the readers whose CI lies wholly above chance.

    Raises
    ------
    InputError
        When a column is missing or the table is empty.

    Examples
    --------
    >>> t = pd.DataFrame({"reader": ["ana", "ben"], "accuracy": [0.9, 0.5], "ci_low": [0.7, 0.3],
    ...                   "ci_high": [0.97, 0.7]})
    >>> reader_accuracy_figure(t).misyn_takeaway
    'Readers with a CI wholly above chance: 1 of 2; accuracies range from 50% to 90%.'
    """
    _need(readers, READER_COLUMNS, "reader table")
    t = readers.sort_values(["accuracy", "reader"]).reset_index(drop=True)
    fig, axes, own = panels(ax, figsize=(7.0, 0.32 * len(t) + 1.9))
    ax = axes[0, 0]
    colours = palette(3)
    y = np.arange(len(t))
    if pooled is not None:
        ax.axvspan(pooled[1], pooled[2], color=colours[2], alpha=0.18, lw=0)
        ax.axvline(pooled[0], color=colours[2], lw=1.5)
    ax.axvline(0.5, color="0.3", ls="--", lw=1)
    above = t["ci_low"] > 0.5
    for mask, colour in ((above, colours[0]), (~above, colours[1])):
        sub = t[mask]
        ax.errorbar(sub["accuracy"], y[mask.to_numpy()],
                    xerr=[sub["accuracy"] - sub["ci_low"], sub["ci_high"] - sub["accuracy"]],
                    fmt="o", color=colour, capsize=3)
    ax.set_yticks(y, [str(r) for r in t["reader"]], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy (share of tiles judged correctly); dashed: chance")
    ax.set_ylabel("reader")
    n_above = int(above.sum())
    takeaway = (f"Readers with a CI wholly above chance: {n_above} of {len(t)}; accuracies range from "
                f"{t['accuracy'].min():.0%} to {t['accuracy'].max():.0%}.")
    if pooled is not None:
        takeaway += f" Band: pooled accuracy {pooled[0]:.0%} (CI {pooled[1]:.0%}–{pooled[2]:.0%})."
    return finish(fig, title, takeaway, axes=None if own else axes)


def fooled_gallery(tiles: pd.DataFrame, images: Mapping[str, Any], *, n: int = 8, ncols: int = 4,
                   title: str = "The tiles that fooled most readers", ax: Any = None) -> Figure:
    """The ``n`` most-fooled tiles, each captioned with its truth and how many readers it fooled; synthetic tiles
    carry the SYNTHETIC marker.

    Parameters
    ----------
    tiles : DataFrame
        ``tile_id``, ``truth``, ``answers``, ``fooled``, sorted most fooled first (e.g.
        :meth:`~misyn_lab.instruments.reader_class.ClassReaderResults.fooled_most`).
    images : mapping of str to ndarray
        Tile id -> pixels.
    n, ncols : int
        Tiles shown and tiles per row.
    title : str
        Figure title.
    ax : sequence of Axes, optional
        ``rows × ncols`` Axes to draw into (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or the Axes' figure; the takeaway counts synthetic tiles and tiles that fooled a majority.

    Raises
    ------
    InputError
        When a column or a tile's pixels are missing.

    Examples
    --------
    >>> t = pd.DataFrame({"tile_id": ["t1"], "truth": ["synthetic"], "answers": [4], "fooled": [3]})
    >>> fooled_gallery(t, {"t1": np.zeros((8, 8))}).misyn_takeaway
    '1 most-fooled tiles: 1 synthetic (marked), 0 real; 1 of them fooled a majority of readers.'
    """
    _need(tiles, TILE_COLUMNS, "tile table")
    shown = tiles.head(int(n))
    missing = [t for t in shown["tile_id"] if t not in images]
    if missing:
        raise InputError(f"no pixels for tiles {missing}", path="images",
                         remedy="pass {tile.id: tile.image for tile in study.tiles}")
    k = len(shown)
    ncols = max(1, min(int(ncols), k))
    nrows = int(np.ceil(k / ncols))
    fig, axes, own = panels(ax, nrows * ncols, nrows=nrows, ncols=ncols,
                            figsize=(2.0 * ncols + 0.4, 2.1 * nrows + 1.0))
    for pos, tile_ax in enumerate(axes.ravel()):
        if pos >= k:
            tile_ax.set_axis_off()
            continue
        row = shown.iloc[pos]
        taken = "real" if row["truth"] == "synthetic" else "synthetic"
        caption = f"{row['tile_id']} ({row['truth']}): {int(row['fooled'])}/{int(row['answers'])} said {taken}"
        show_image(tile_ax, np.asarray(images[row["tile_id"]]), caption=caption,
                   synthetic=row["truth"] == "synthetic")
    n_syn = int((shown["truth"] == "synthetic").sum())
    majority = int((shown["fooled"] * 2 > shown["answers"]).sum())
    takeaway = (f"{k} most-fooled tiles: {n_syn} synthetic (marked), {k - n_syn} real; {majority} of them fooled a "
                "majority of readers.")
    return finish(fig, title, takeaway, axes=None if own else axes)


__all__ = ["fooled_gallery", "reader_accuracy_figure"]
