"""Distribution plots: overlaid pixel-intensity histograms and the per-feature shift ranking."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from misyn_lab.errors import InputError
from misyn_lab.imagesets.intensity import luminance
from misyn_lab.viz.style import INTENSITY_LABEL, REAL_COLOUR, SYN_COLOUR, finish, palette, panels


def _pixels(x: Any, name: str, max_pixels: int, rng: np.random.Generator) -> np.ndarray:
    images = getattr(x, "images", x)
    arr = np.asarray(images, dtype=np.float64)
    if arr.ndim == 4:
        arr = luminance(arr)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise InputError(f"{name} must be a non-empty image, image stack or ImageSet, got shape {arr.shape}",
                         path=name)
    flat = arr.ravel()
    if not np.isfinite(flat).all():
        raise InputError(f"{name} contains NaN or infinite pixels", path=name)
    if flat.size > max_pixels:
        flat = flat[rng.choice(flat.size, size=max_pixels, replace=False)]
    return flat


def intensity_histograms(real: Any, syn: Any, *, bins: int = 64, labels: tuple[str, str] = ("real", "synthetic"),
                         max_pixels: int = 200_000, seed: int = 0, title: str | None = None,
                         ax: Any = None) -> Figure:
    """Overlaid pixel-intensity densities (step histograms) of a real and a synthetic set.

    Parameters
    ----------
    real, syn : ImageSet or ndarray
        Images in [0, 1] (colour is converted to luminance).
    bins : int
        Histogram bins over [0, 1].
    labels : (str, str)
        Legend names of the two sets.
    max_pixels : int
        At most this many pixels per set are drawn (a seeded subsample) so the plot stays fast.
    seed : int
        Seed of that subsample.
    title : str, optional
        Figure title.
    ax : Axes, optional
        Draw into this Axes (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or ``ax``'s figure; the takeaway compares the tails: the share of synthetic pixels above
        the real 99th percentile (1 % by construction for the real set) and below the 1st.

    Raises
    ------
    InputError
        For an empty, misshapen or non-finite image set.

    Examples
    --------
    >>> real = np.linspace(0, 1, 400).reshape(4, 10, 10)
    >>> intensity_histograms(real, real * 0.5).misyn_takeaway.split("; ")  # doctest: +NORMALIZE_WHITESPACE
    ['Synthetic pixels above the real 99th percentile (0.99): 0.0% (real: 1%)',
     'below the real 1st percentile: 2.0%', 'mean 0.250 vs real 0.500.']
    """
    rng = np.random.default_rng(seed)
    r = _pixels(real, "real", max_pixels, rng)
    s = _pixels(syn, "syn", max_pixels, rng)
    edges = np.linspace(0.0, 1.0, int(bins) + 1)
    fig, axes, own = panels(ax, figsize=(7.0, 4.2))
    ax = axes[0, 0]
    for data, colour, label in ((r, REAL_COLOUR, labels[0]), (s, SYN_COLOUR, labels[1])):
        ax.hist(data, bins=edges, density=True, histtype="step", linewidth=2, color=colour, label=label)
        ax.hist(data, bins=edges, density=True, histtype="stepfilled", alpha=0.15, color=colour)
    ax.set_xlabel(INTENSITY_LABEL)
    ax.set_ylabel("density (per unit intensity)")
    ax.set_xlim(0, 1)
    ax.legend(title="images")
    p99 = float(np.percentile(r, 99))
    tail = float(np.mean(s > p99))
    p01 = float(np.percentile(r, 1))
    low = float(np.mean(s < p01))
    takeaway = (f"Synthetic pixels above the real 99th percentile ({p99:.2f}): {tail:.1%} (real: 1%); "
                f"below the real 1st percentile: {low:.1%}; mean {s.mean():.3f} vs real {r.mean():.3f}.")
    return finish(fig, title or "Pixel intensities: real vs synthetic", takeaway, axes=None if own else axes)


_VALUE_LABELS = {
    "ks_statistic": "KS statistic (0 = same distribution, 1 = disjoint)",
    "wasserstein": "Wasserstein-1 distance (feature units)",
    "smd": "standardised mean difference (synthetic − real, pooled s.d.)",
}


def feature_shift_ranking(shift_df: pd.DataFrame, top: int = 15, *, value: str | None = None,
                          title: str | None = None, ax: Any = None) -> Figure:
    """Horizontal bars of the ``top`` most shifted features, sorted by absolute value and coloured by feature
    family (the text before the first dot).

    Parameters
    ----------
    shift_df : DataFrame
        A ``feature`` column and a value column, e.g. :func:`misyn_lab.metrics.feature_shift`.
    top : int
        Number of features shown.
    value : str, optional
        The value column (default: ``ks_statistic`` if present, else ``smd``, else ``wasserstein``).
    title : str, optional
        Figure title.
    ax : Axes, optional
        Draw into this Axes (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or ``ax``'s figure; the takeaway names the largest shift.

    Raises
    ------
    InputError
        For an empty table, a missing column or a bad ``top``.

    Examples
    --------
    >>> shift = pd.DataFrame({"feature": ["int.mean", "tex.contrast"], "ks_statistic": [0.12, 0.61]})
    >>> feature_shift_ranking(shift).misyn_takeaway
    'Largest shift: tex.contrast (ks_statistic = 0.61); 2 of 2 features shown, most shifted at the top.'
    """
    if not isinstance(shift_df, pd.DataFrame) or shift_df.empty:
        raise InputError("shift_df must be a non-empty DataFrame", path="feature_shift_ranking",
                         remedy="pass misyn_lab.metrics.feature_shift(real, syn, names)")
    if "feature" not in shift_df:
        raise InputError("shift_df has no 'feature' column", path="feature_shift_ranking",
                         remedy=f"columns present: {list(shift_df.columns)}")
    if value is None:
        value = next((c for c in ("ks_statistic", "smd", "wasserstein") if c in shift_df), None)
        if value is None:
            raise InputError("shift_df has none of the columns ks_statistic, smd, wasserstein",
                             path="feature_shift_ranking", remedy="name the column with value=...")
    if value not in shift_df:
        raise InputError(f"shift_df has no column {value!r}", path="feature_shift_ranking",
                         remedy=f"columns present: {list(shift_df.columns)}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise InputError(f"top must be a positive integer, got {top!r}", path="feature_shift_ranking")
    table = shift_df[["feature", value]].copy()
    table[value] = pd.to_numeric(table[value], errors="coerce")
    table = table.dropna()
    if table.empty:
        raise InputError(f"column {value!r} has no numeric values", path="feature_shift_ranking")
    table = table.reindex(table[value].abs().sort_values(ascending=False, kind="stable").index).head(int(top))
    table = table.iloc[::-1]
    families = [str(f).split(".")[0] if "." in str(f) else "feature" for f in table["feature"]]
    fam_order = list(dict.fromkeys(families[::-1]))
    colours = dict(zip(fam_order, palette(len(fam_order))))
    fig, axes, own = panels(ax, figsize=(7.5, 0.35 * len(table) + 1.8))
    ax = axes[0, 0]
    ax.barh([str(f) for f in table["feature"]], table[value], color=[colours[f] for f in families])
    ax.set_xlabel(_VALUE_LABELS.get(value, value))
    ax.set_ylabel("feature")
    if any(v < 0 for v in table[value]):
        ax.axvline(0, color="black", linewidth=0.8)
    handles = [Patch(color=c, label=f) for f, c in colours.items()]
    if len(colours) > 1:
        ax.legend(handles=handles, title="family", loc="lower right", fontsize=8)
    worst = table.iloc[-1]
    takeaway = (f"Largest shift: {worst['feature']} ({value} = {worst[value]:.3g}); "
                f"{len(table)} of {len(shift_df)} features shown, most shifted at the top.")
    return finish(fig, title or "Which features moved most in the synthetic set", takeaway,
                  axes=None if own else axes)


def feature_histogram(real_values: Any, syn_values: Any, feature: str, *, marks: tuple[float, ...] = (),
                      bins: int = 30, title: str | None = None, takeaway: str | None = None,
                      ax: Any = None) -> Figure:
    """Overlaid densities of one feature, real vs SYNTHETIC, with optional dotted reference lines.

    Parameters
    ----------
    real_values, syn_values : array-like
        1-D arrays of the feature (e.g. one column of a FeatureMatrix).
    feature : str
        Its name, on the x axis.
    marks : tuple of float
        Dotted reference lines.
    bins : int
        Shared histogram bins.
    title, takeaway : str, optional
        Figure title and takeaway (default: the difference of the means in real-s.d. units).
    ax : Axes, optional
        Draw into this Axes (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or ``ax``'s figure.

    Raises
    ------
    InputError
        For an empty or non-finite array.

    Examples
    --------
    >>> feature_histogram([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], "mean intensity").misyn_takeaway
    'Synthetic mean of mean intensity differs from the real mean by +1.22 real s.d.'
    """
    r = np.asarray(real_values, dtype=np.float64).ravel()
    s = np.asarray(syn_values, dtype=np.float64).ravel()
    for name, arr in (("real_values", r), ("syn_values", s)):
        if arr.size == 0 or not np.isfinite(arr).all():
            raise InputError(f"{name} must be a non-empty array of finite numbers", path="feature_histogram",
                             remedy="pass one column of a feature matrix")
    fig, axes, own = panels(ax, figsize=(6.4, 3.8))
    ax = axes[0, 0]
    edges = np.histogram_bin_edges(np.concatenate([r, s]), bins=bins)
    ax.hist(r, bins=edges, alpha=0.55, color=REAL_COLOUR, label="real", density=True)
    ax.hist(s, bins=edges, alpha=0.55, color=SYN_COLOUR, label="SYNTHETIC", density=True)
    for v in marks:
        ax.axvline(v, color="black", ls=":", lw=1)
    ax.set(xlabel=f"{feature} (feature value)", ylabel="density (per feature unit)")
    ax.legend(frameon=False)
    if takeaway is None:
        sd = float(r.std()) or 1.0
        shift = (s.mean() - r.mean()) / sd
        takeaway = f"Synthetic mean of {feature} differs from the real mean by {shift:+.2f} real s.d."
    return finish(fig, title or f"{feature}: real vs synthetic", takeaway, axes=None if own else axes)
