"""Memorisation: how close each synthetic image lies to its nearest training image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import SYN_COLOUR, finish, palette, panels

RATIO_LABEL = "distance to nearest training image ÷ typical real-to-real distance (ratio, 1 = typical)"


def copy_ratio_histogram(ratios: np.ndarray | Mapping[str, np.ndarray], threshold: float, *,
                         title: str | None = None, takeaway: str | None = None, ax: Any = None) -> Figure:
    """Histogram of the synthetic-to-nearest-training distance ratio, with the copy threshold.

    Parameters
    ----------
    ratios : ndarray or mapping of str to ndarray
        One array (e.g. ``MemorisationResult.ratio``) or ``{design name: array}`` to compare designs.
    threshold : float
        The copy threshold: below it a synthetic image counts as a likely copy.
    title, takeaway : str, optional
        Figure title and takeaway (default: the share below the threshold, per design).
    ax : Axes, optional
        Draw into this Axes (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or ``ax``'s figure.

    Raises
    ------
    InputError
        For no finite ratio or a threshold that is not a positive number.

    Examples
    --------
    >>> copy_ratio_histogram(np.array([0.05, 0.8, 1.0, 1.2]), 0.1).misyn_takeaway
    '25% of synthetic images lie below the copy threshold.'
    """
    sets = dict(ratios) if isinstance(ratios, Mapping) else {"": ratios}
    arrays = {}
    for name, r in sets.items():
        arr = np.asarray(r, dtype=np.float64).ravel()
        arr = arr[np.isfinite(arr)]
        if arr.size == 0:
            raise InputError(f"no finite distance ratios{' for ' + name if name else ''}",
                             path="copy_ratio_histogram", remedy="pass MemorisationResult.ratio")
        arrays[name] = arr
    if not np.isfinite(threshold) or threshold <= 0:
        raise InputError(f"threshold must be a positive number, got {threshold}", path="copy_ratio_histogram")
    fig, axes, own = panels(ax, figsize=(6.4, 3.8))
    ax = axes[0, 0]
    colours = [SYN_COLOUR] if len(arrays) == 1 else palette(len(arrays))
    bins = np.histogram_bin_edges(np.concatenate(list(arrays.values())), bins=30)
    for (name, arr), colour in zip(arrays.items(), colours):
        label = f"SYNTHETIC ({name})" if name else "SYNTHETIC → nearest training image"
        ax.hist(arr, bins=bins, alpha=0.6, color=colour, label=label)
    ax.axvline(threshold, color="black", ls="--", label=f"copy threshold ({threshold:.2f})")
    ax.set(xlabel=RATIO_LABEL, ylabel="synthetic images (count)")
    ax.legend(frameon=False, fontsize=8)
    if takeaway is None:
        takeaway = "; ".join(f"{name + ': ' if name else ''}{np.mean(arr < threshold):.0%} of synthetic images "
                             "lie below the copy threshold" for name, arr in arrays.items()) + "."
    return finish(fig, title or "Memorisation: distance to the nearest training image", takeaway,
                  axes=None if own else axes)
